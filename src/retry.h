/* retry.h: the retry policy. Pure: no I/O. The failure classes are failure.h.
 *
 * What can succeed later is retried with exponential backoff, jitter and a cap
 * (connection refused or reset, timeouts, HTTP 429 and 5xx, a lost lease);
 * what cannot is failed at once (unknown model, bad request, bad template,
 * invalid output, a script's error). */
#ifndef retry_h
#define retry_h

#include <stdint.h>

#include "failure.h"

/* A server's Retry-After is honoured up to this. */
#define RETRY_AFTER_CAP_MS 120000

/* The wait before the next try after failed attempt number attempt (1, 2, ...):
 * base * 2^(attempt-1), capped, times a jitter factor in [0.5, 1]; a server's
 * Retry-After (ms, when > 0) is honoured up to RETRY_AFTER_CAP_MS (120 s). rng is the
 * caller's random state. */
int64_t retry_delay_ms(int attempt, int64_t base_ms, int64_t cap_ms, int64_t retry_after_ms, uint64_t *rng);

#endif
