/* http.h: model servers over HTTP (Ollama and OpenAI-compatible), driven by
 * libcurl's multi interface. The only file that includes curl.h is http.c. */
#ifndef http_h
#define http_h

#include <stddef.h>

#include "exec.h"
#include "llm.h"

struct engine_opts;

/* The executor for backend (LLM_OLLAMA or LLM_OPENAI). The executors of both
 * backends share one set of connections, so that one of them can wait for all
 * (the engine lets only one executor wait). */
struct executor *http_backend_new(enum llm_mode backend, const struct engine_opts *o);

/* The server actor a's calls go to under backend, as "scheme://host:port"
 * (see llmreply_origin) into out; "" when its address cannot be read (the
 * calls then fail saying why). Base URL: the actor's config "base_url", else
 * OLLAMA_HOST (ollama) or OPENAI_BASE_URL (openai). */
void http_server_key(enum llm_mode backend, const struct wf_actor *a, char *out, size_t size);

#endif
