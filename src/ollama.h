/* ollama.h: Ollama's native protocol without I/O: the server's address from
 * OLLAMA_HOST, the body of /api/generate or /api/chat for a stored request
 * (llm.h), the load options that must not change between requests to a model,
 * and the NDJSON stream the server answers with. */
#ifndef ollama_h
#define ollama_h

#include <stddef.h>
#include <cJSON.h>

#include "llmreply.h"

/* The base URL ("http://127.0.0.1:11434", no trailing slash) for a host in any
 * form OLLAMA_HOST accepts (host, host:port, [v6]:port, scheme://host[:port][/path],
 * quoted or padded); NULL or "" gives the default. An empty or unspecified host
 * (":1234", "0.0.0.0") is dialled on the loopback interface, as Ollama's own
 * clients do. Returns a new string, or NULL with *error set (caller frees). */
char *ollama_base_url(const char *host, char **error);

/* 1 for an option that is fixed when Ollama loads a model (num_ctx, num_batch,
 * num_gpu, ...): a request that changes one makes the server reload the model. */
int ollama_is_load_option(const char *name);

/* Keeps the load options of every request to one model identical. The first
 * call for a model (*pinned NULL) records the load options in options (an
 * object, or NULL for none); later calls replace the load options in options by
 * the recorded ones. Returns 1 when options was changed. *pinned is owned by the
 * caller (cJSON_Delete). */
int ollama_pin_load_options(cJSON *options, cJSON **pinned);

/* The path ("/api/generate", or "/api/chat" when the request has a system
 * prompt or messages) and the streaming body for the stored request req (an
 * object with "model" and "prompt" or "messages"); keep_alive (NULL: none) is
 * added. Returns 0, or -1 with *error set (caller frees *body, *error). */
int ollama_request(const cJSON *req, const cJSON *keep_alive, const char **path, char **body, char **error);

/* Parses received bytes of an /api/generate or /api/chat answer (NDJSON, or
 * one JSON object when the server did not stream) into r. ollama_finish ends
 * the body. */
void ollama_feed(struct llm_reply *r, const char *data, size_t len);
void ollama_finish(struct llm_reply *r);

#endif
