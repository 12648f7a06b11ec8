/* openai.h: the OpenAI-compatible chat completions protocol (llama.cpp's
 * server, Ollama's /v1, others) without I/O: the endpoint for a base URL, the
 * body for a stored request (llm.h), and the server-sent events it answers with. */
#ifndef openai_h
#define openai_h

#include <stddef.h>
#include <cJSON.h>

#include "llmreply.h"

/* The chat completions URL for a base URL: "http://h:8080" and "http://h:8080/v1"
 * both give "http://h:8080/v1/chat/completions" (a full endpoint is kept).
 * Returns a new string, or NULL with *error set (caller frees). */
char *openai_endpoint(const char *base, char **error);

/* The streaming body for the stored request req: the system prompt and the
 * prompt as messages, the options these servers share (temperature, top_p,
 * seed, num_predict as max_tokens, stop, penalties; the others have no
 * equivalent and are left out), and format as response_format. Returns 0, or
 * -1 with *error set (caller frees *body, *error). */
int openai_request(const cJSON *req, char **body, char **error);

/* Parses received bytes of the answer (server-sent events, or one JSON object
 * when the server did not stream) into r. openai_finish ends the body. */
void openai_feed(struct llm_reply *r, const char *data, size_t len);
void openai_finish(struct llm_reply *r);

#endif
