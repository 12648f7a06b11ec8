/* Unit tests of retry.c (the backoff between tries) and failure.c (the
 * failure classes: their stored names, which are retried). */
#include <stdint.h>
#include <stdio.h>

#include "failure.h"
#include "retry.h"
#include "tap.h"

int main(void)
{
	is_str(fail_class_name(FC_CONNECTION), "connection", "stored name of a refused connection");
	is_str(fail_class_name(FC_SERVER), "server_error", "stored name of a 5xx");
	is_str(fail_class_name(FC_LEASE), "lease_expired", "stored name of a lost lease");
	is_str(fail_class_name(FC_TOO_LARGE), "answer_too_large", "stored name of an answer over the cap");
	is_str(fail_class_name((enum fail_class)999), "unknown", "a class out of range is unknown");
	for (int c = FC_NONE; c <= FC_INTERNAL; c++)
		ok(fail_class_name((enum fail_class)c)[0] && fail_class_name((enum fail_class)c)[0] != 'u',
		   "class %d has a name of its own: %s", c, fail_class_name((enum fail_class)c));

	const enum fail_class retried[] = { FC_CONNECTION, FC_TIMEOUT, FC_RATE_LIMIT, FC_SERVER, FC_LEASE };
	const enum fail_class final[] = { FC_NONE, FC_NOT_FOUND, FC_BAD_REQUEST, FC_AUTH, FC_TEMPLATE,
					  FC_INVALID_OUTPUT, FC_TOO_LARGE, FC_SCRIPT, FC_STEP_FAILED,
					  FC_REPLAY_MISS, FC_INTERNAL };
	for (size_t i = 0; i < sizeof retried / sizeof *retried; i++)
		ok(fail_class_retryable(retried[i]), "%s is retried", fail_class_name(retried[i]));
	for (size_t i = 0; i < sizeof final / sizeof *final; i++)
		ok(!fail_class_retryable(final[i]), "%s is not retried", fail_class_name(final[i]));

	/* Backoff: base * 2^(attempt-1), capped, times a jitter in [0.5, 1]. */
	uint64_t rng = 42;
	int in_range = 1;
	for (int attempt = 1; attempt <= 12; attempt++) {
		int64_t full = 1000;
		for (int i = 1; i < attempt && full < 60000; i++)
			full *= 2;
		if (full > 60000)
			full = 60000;
		for (int k = 0; k < 200; k++) {
			int64_t d = retry_delay_ms(attempt, 1000, 60000, 0, &rng);
			if (d < full / 2 || d > full) {
				in_range = 0;
				printf("# attempt %d: %lld not in [%lld, %lld]\n", attempt, (long long)d,
				       (long long)(full / 2), (long long)full);
			}
		}
	}
	ok(in_range, "every delay is between half and all of base * 2^(attempt-1), capped at 60 s");
	int64_t lo = INT64_MAX, hi = 0;
	for (int k = 0; k < 1000; k++) {
		int64_t d = retry_delay_ms(1, 1000, 60000, 0, &rng);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	ok(hi - lo > 250, "the jitter spreads the delays (%lld to %lld ms)", (long long)lo, (long long)hi);
	uint64_t a = 7, b = 7;
	is_int(retry_delay_ms(3, 1000, 60000, 0, &a), retry_delay_ms(3, 1000, 60000, 0, &b),
	       "the same random state gives the same delay");
	rng = 1;
	ok(retry_delay_ms(0, 1000, 60000, 0, &rng) <= 1000, "attempt 0 counts as the first");
	ok(retry_delay_ms(1000, 1000, 60000, 0, &rng) <= 60000, "a huge attempt number stays at the cap");

	/* Retry-After: honoured when longer, up to RETRY_AFTER_CAP_MS. */
	is_int(retry_delay_ms(1, 1000, 60000, 30000, &rng), 30000, "a Retry-After of 30 s is honoured");
	is_int(retry_delay_ms(1, 1000, 60000, 600000, &rng), RETRY_AFTER_CAP_MS,
	       "a Retry-After of 10 minutes is cut to the cap of 120 s");
	ok(retry_delay_ms(12, 1000, 60000, 10, &rng) >= 30000, "a short Retry-After does not shorten the backoff");
	return done_testing();
}
