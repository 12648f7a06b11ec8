/* replay.h: recorded model responses, keyed by the request (see llm.h). One file
 * per response: DIR/ab/abcdef....json holding {"request", "response", "usage"}. */
#ifndef replay_h
#define replay_h

#include "exec.h"

/* An executor that answers model calls from the files under dir. A request with
 * no recorded response fails (not retried) with a message naming the key. */
struct executor *replay_executor_new(const char *dir);

/* 1 when dir holds a recorded response for request_json (NULL: 0). */
int replay_has(const char *dir, const char *request_json);

/* Writes the fixture for request_json with the response and usage in res.
 * *changed is set when a fixture for the same request already held another
 * response (a model that is not deterministic: the last answer wins).
 * Returns 0, or -1 with *error set (caller frees). */
int replay_write(const char *dir, const char *request_json, const struct result *res, int *changed,
		 char **error);

#endif
