/* http.h: model servers over HTTP (Ollama and OpenAI-compatible), driven by
 * libcurl's multi interface. The only file that includes curl.h is http.c. */
#ifndef http_h
#define http_h

#include "exec.h"
#include "llm.h"

struct engine_opts;

/* The executor for backend (LLM_OLLAMA or LLM_OPENAI). */
struct executor *http_backend_new(enum llm_mode backend, const struct engine_opts *o);

#endif
