/* http.h: model servers over HTTP (Ollama and OpenAI-compatible), driven by
 * libcurl's multi interface; and a small blocking client for the job-board
 * fetcher's own process. The only file that includes curl.h is http.c. */
#ifndef http_h
#define http_h

#include <stddef.h>
#include <stdint.h>

#include "exec.h"
#include "llm.h"

struct engine_opts;

/* The executor for backend (LLM_OLLAMA or LLM_OPENAI). The executors of both
 * backends share one set of connections, so that one of them can wait for all
 * (the engine lets only one executor wait). */
struct executor *http_backend_new(enum llm_mode backend, const struct engine_opts *o);

/* The servers actor a's calls may go to under backend, a pool of one or
 * more: the addresses its config "base_url" lists (a string, several
 * separated by commas, or an array of strings), else those the protocol's
 * environment variable lists (OLLAMA_HOST, OPENAI_BASE_URL; commas too), else
 * the protocol's default; each as the URL its requests go to (Ollama's base
 * URL, the OpenAI-compatible chat completions endpoint). An origin listed
 * twice is one server (its first address is kept). Returns how many, with
 * *urls (caller frees each and the array); 0 with *error (caller frees)
 * saying why there is none (unset, an address that is not http:// or
 * https://, naming it). */
size_t http_actor_urls(enum llm_mode backend, const struct wf_actor *a, char ***urls, char **error);

/* The first of them: NULL with *error as above. Caller frees. */
char *http_actor_url(enum llm_mode backend, const struct wf_actor *a, char **error);

/* How many requests the server at endpoint (one of http_actor_urls) serves
 * at once, as it reports it (llama.cpp's /props total_slots), asked with one
 * short request; 0 when its protocol has no such report or it does not
 * answer one. */
int http_server_slots(enum llm_mode backend, const char *endpoint);

/* How many models that server keeps loaded now, as it lists them (Ollama's
 * /api/ps); 0 when its protocol has no such list or it does not answer. */
int http_server_loaded(enum llm_mode backend, const char *endpoint);

/* libcurl's process-wide set-up and tear-down; main() calls them once. */
int http_global_init(void);
void http_global_cleanup(void);

/* Blocking client ---------------------------------------------------------- */

struct http_req {
	const char *method;          /* "GET" or "POST" */
	const char *url;             /* http:// or https:// only */
	const char *const *headers;  /* "Name: value" lines, NULL-terminated; or NULL */
	const char *body;            /* POST body, or NULL */
	size_t body_len;
	int64_t timeout_ms;          /* the whole request; > 0 */
	int64_t connect_timeout_ms;  /* 0: 10 s (bounded by timeout_ms) */
	size_t max_body;             /* 0: 8 MiB */
	int model_server;            /* a model server: local addresses never go through a proxy */
};

struct http_resp {
	long status;                 /* the HTTP status, 0 when there was no response */
	char *body;                  /* NUL-terminated (may hold NULs before body_len) */
	size_t body_len;
	char *content_type;          /* the Content-Type header, or NULL */
	int64_t retry_after_ms;      /* Retry-After (seconds or a date), 0 if none */
	enum fail_class fail;        /* why there is no response: FC_TIMEOUT, FC_CONNECTION, FC_INVALID_OUTPUT */
};

/* A connection cache for a sequence of blocking requests (keep-alive to the
 * same job board). Not to be shared across fork(). */
struct http_client;
struct http_client *http_client_new(void);
void http_client_free(struct http_client *c);

/* Performs one request and waits for it. Returns 0 when a response arrived
 * (whatever its status), or -1 with resp->fail set and *error (caller frees)
 * saying what went wrong ("POST http://...: timed out after 3.0 s"). Release
 * resp with http_resp_release in both cases. */
int http_request(struct http_client *c, const struct http_req *req, struct http_resp *resp, char **error);
void http_resp_release(struct http_resp *resp);

#endif
