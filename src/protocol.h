/* protocol.h: the model-server protocols in one table. Each protocol (its
 * own file: ollama.c, openai.c) fills one struct llm_protocol; llm.c lists
 * them. http.c and preflight.c know no protocol by name: what differs between
 * them (endpoints, request body, stream parser, auth header, error hints, the
 * model list, the slots a server reports) is here. A new protocol is one file
 * and one line in llm.c's table. */
#ifndef protocol_h
#define protocol_h

#include <stddef.h>
#include <cJSON.h>

#include "llm.h"
#include "llmreply.h"

struct llm_protocol {
	const char *name;           /* "ollama": run --backend, an actor's "backend", result.backend */
	enum llm_mode mode;
	const char *env;            /* the environment variable of its address */
	const char *kind;           /* "an Ollama" server, in messages */
	const char *accept;         /* the streaming media type it answers with */
	const char *stream_name;    /* "NDJSON", in messages */
	/* Keeps the load options of requests to one model the same (NULL: no
	 * such options): ollama_pin_load_options. */
	int (*pin_load_options)(cJSON *options, cJSON **pinned);
	/* The URL requests go to for a configured address (NULL: the default);
	 * NULL with *error (caller frees). */
	char *(*endpoint)(const char *configured, char **error);
	/* The URL the body of req goes to (from the endpoint) and the body;
	 * keep_alive may be NULL. Returns 0, or -1 with *error. */
	int (*request)(const char *endpoint, const cJSON *req, const cJSON *keep_alive, char **url, char **body,
		       char **error);
	void (*feed)(struct llm_reply *r, const char *data, size_t len);
	void (*finish)(struct llm_reply *r);
	/* The Authorization header line, or NULL (caller frees). */
	char *(*auth)(void);
	/* Hints for error messages: appended when a model is not found ("; pull
	 * it with ..."); what to check when a request is refused ("" for none);
	 * what kind of server to start when none answers. */
	char *(*not_found_hint)(const char *model);
	const char *auth_hint;
	const char *server_word;
	/* Where models are listed, from the endpoint (caller frees), and whether
	 * the list (a parsed body) names model; list_of returns the array or NULL. */
	char *(*list_url)(const char *endpoint);
	const cJSON *(*list_of)(const cJSON *doc);
	int (*listed)(const cJSON *list, const char *model);
	/* The one model a server serves whatever the name asked for, when its
	 * list has one (llama.cpp); NULL: none such (may be a NULL function). */
	const char *(*only_model)(const cJSON *list);
	/* Where the server reports how many requests it serves at once (NULL:
	 * it does not), and that number from the parsed answer (0: unknown). */
	char *(*slots_url)(const char *endpoint);
	int (*slots_of)(const cJSON *doc);
	/* Where the server lists the models it keeps loaded now (NULL: it does
	 * not), and how many the parsed answer lists. */
	char *(*loaded_url)(const char *endpoint);
	int (*loaded_of)(const cJSON *doc);
};

extern const struct llm_protocol ollama_protocol, openai_protocol;

/* The protocol of a live backend (LLM_OLLAMA, LLM_OPENAI); NULL for others. */
const struct llm_protocol *llm_protocol_of(enum llm_mode m);
/* The protocol called name, or NULL. */
const struct llm_protocol *llm_protocol_named(const char *name);

#endif
