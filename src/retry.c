/* retry.c: failure classes and backoff (see retry.h). */
#include "retry.h"

static const char *const names[] = {
	[FC_NONE] = "none",
	[FC_CONNECTION] = "connection",
	[FC_TIMEOUT] = "timeout",
	[FC_RATE_LIMIT] = "rate_limit",
	[FC_SERVER] = "server_error",
	[FC_LEASE] = "lease_expired",
	[FC_NOT_FOUND] = "not_found",
	[FC_BAD_REQUEST] = "bad_request",
	[FC_AUTH] = "auth",
	[FC_TEMPLATE] = "template",
	[FC_INVALID_OUTPUT] = "invalid_output",
	[FC_TOO_LARGE] = "answer_too_large",
	[FC_SCRIPT] = "script_error",
	[FC_STEP_FAILED] = "step_failed",
	[FC_REPLAY_MISS] = "replay_miss",
	[FC_INTERNAL] = "internal",
};

const char *fail_class_name(enum fail_class c)
{
	return (unsigned)c < sizeof names / sizeof names[0] && names[c] ? names[c] : "unknown";
}

int fail_class_retryable(enum fail_class c)
{
	return c == FC_CONNECTION || c == FC_TIMEOUT || c == FC_RATE_LIMIT || c == FC_SERVER || c == FC_LEASE;
}

static uint64_t next_random(uint64_t *s)
{
	/* xorshift64*: plenty for jitter. */
	uint64_t x = *s ? *s : 0x9E3779B97F4A7C15ull;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

int64_t retry_delay_ms(int attempt, int64_t base_ms, int64_t cap_ms, int64_t retry_after_ms, uint64_t *rng)
{
	if (attempt < 1)
		attempt = 1;
	int64_t delay = base_ms;
	for (int i = 1; i < attempt && delay < cap_ms; i++)
		delay *= 2;
	if (delay > cap_ms)
		delay = cap_ms;
	/* Jitter spreads retries of many interactions that failed together. */
	double factor = 0.5 + 0.5 * (double)(next_random(rng) >> 11) / (double)(1ull << 53);
	delay = (int64_t)((double)delay * factor);
	if (retry_after_ms > 0) {
		int64_t honoured = retry_after_ms > 120000 ? 120000 : retry_after_ms;
		if (honoured > delay)
			delay = honoured;
	}
	return delay;
}
