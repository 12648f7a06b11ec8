/* llm.h: model calls. The request an ai_model step sends is built once, when
 * its interaction is created, and stored as its input:
 *   {"model": ..., "system": ..., "prompt": ..., "options": {...}, "format": ...}
 * with options in sorted order, so that the same request is the same text.
 * Its replay key is the SHA-256 of that text without the options that do not
 * change the answer (num_gpu, num_thread, ...). */
#ifndef llm_h
#define llm_h

#include <cJSON.h>

#include "workflow.h"

/* The stored request for actor a (caller frees). system may be NULL; the
 * actor's config "system" is used then. */
char *llm_request_json(const struct wf_actor *a, const char *prompt, const char *system);

/* The parts of a stored request, borrowed from req. Returns 0, or -1 with
 * *error (caller frees) when it has no model, or neither a prompt nor
 * messages. */
struct llm_request_parts {
	const char *model;
	const char *prompt;      /* NULL when the request has messages instead */
	const char *system;      /* NULL: none */
	const cJSON *messages;   /* NULL unless an array */
};
int llm_request_parts(const cJSON *req, struct llm_request_parts *p, char **error);

/* A chat message {"role": role, "content": content} (new; caller deletes or
 * adds it to an array). */
cJSON *llm_message(const char *role, const char *content);

/* The replay key of a stored request. Returns 0, or -1 if it is not a request. */
int llm_replay_key(const char *request_json, char key[65]);

/* The backends a model call can go to. */
enum llm_mode {
	LLM_ACTOR = 0, /* as each actor's config says (default ollama) */
	LLM_REPLAY,
	LLM_OLLAMA,
	LLM_OPENAI,
	LLM_RECORD,    /* call the actor's live backend and write the replay fixture */
	LLM_CACHE,     /* the recorded answer when there is one, else a live call, recorded */
};
/* Parses "actor", "replay", "ollama", "openai", "record", "cache"; -1 if none. */
int llm_mode_parse(const char *s);
const char *llm_mode_name(enum llm_mode m);

/* The backend an actor uses under mode m: LLM_REPLAY, LLM_OLLAMA or LLM_OPENAI
 * (for LLM_RECORD and LLM_CACHE: the live one it calls). live is the backend
 * the user chose for every actor (run --backend), or LLM_ACTOR for none; else
 * the actor's config "backend"; else LLM_OPENAI when only OPENAI_BASE_URL is
 * set in the environment (not OLLAMA_HOST); else LLM_OLLAMA. */
enum llm_mode llm_backend_for(const struct wf_actor *a, enum llm_mode m, enum llm_mode live);

/* Server pools: the addresses in a "base_url" setting, in order, each
 * trimmed of spaces. setting is the actor's config "base_url" (a string,
 * which may list several separated by commas, or an array of strings) or,
 * when that is absent or empty, env (the protocol's environment variable, a
 * string that may list several the same way); either may be NULL. Empty
 * entries ("a,,b", a trailing comma) are skipped. Returns the list (caller
 * frees each and the array) and *n; *n == 0 (and NULL): none is set. */
char **llm_addresses(const cJSON *setting, const char *env, size_t *n);

/* Where replayed responses live: $WAVERUNNER_REPLAY_DIR, else fixtures/replay. */
const char *llm_default_replay_dir(void);
/* The fixture file of a key under dir (caller frees). */
char *llm_replay_path(const char *dir, const char key[65]);

#endif
