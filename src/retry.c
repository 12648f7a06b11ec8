/* retry.c: backoff between tries (see retry.h). */
#include "retry.h"

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
		int64_t honoured = retry_after_ms > RETRY_AFTER_CAP_MS ? RETRY_AFTER_CAP_MS : retry_after_ms;
		if (honoured > delay)
			delay = honoured;
	}
	return delay;
}
