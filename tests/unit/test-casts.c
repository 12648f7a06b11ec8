/* Unit tests of the conversions of untrusted doubles to integers: whatever a
 * file, an option, a header or a model says (NaN, 1e300, -1e20), the answer is
 * a refusal, never an undefined conversion (make check SANITIZE=1 builds with
 * -fsanitize=float-cast-overflow, which aborts on one). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"
#include "llmreply.h"
#include "tap.h"
#include "util.h"

static void whole(double d, int want_ok, long want)
{
	long v = -7;
	int r = double_to_long(d, &v);
	is_int(r, want_ok ? 0 : -1, "double_to_long(%g) %s", d, want_ok ? "converts" : "refuses");
	if (want_ok)
		is_int(v, want, "... to %ld", want);
	else
		is_int(v, -7, "... and leaves the output alone");
}

static void duration_refused(const char *s)
{
	int64_t ms = 0;
	is_int(parse_duration_ms(s, &ms), -1, "duration '%s' is refused", s);
}

static void ihl_refused(const char *text, const char *why_has)
{
	int score = -1, derived = 0;
	char *verdict = NULL, *why = NULL;
	is_int(extract_ihl(text, &score, &verdict, &derived, &why), -1, "IHL answer %s is refused", text);
	ok(why && strstr(why, why_has), "... saying so: %s", why ? why : "(none)");
	free(verdict);
	free(why);
}

int main(void)
{
	whole(0, 1, 0);
	whole(-3, 1, -3);
	whole(9007199254740992.0, 1, 9007199254740992L);
	whole(-9007199254740992.0, 1, -9007199254740992L);
	whole(18014398509481984.0, 0, 0);
	whole(1e300, 0, 0);
	whole(-1e20, 0, 0);
	whole(2.5, 0, 0);
	whole(NAN, 0, 0);
	whole(INFINITY, 0, 0);
	whole(-INFINITY, 0, 0);

	duration_refused("nan");
	duration_refused("NaN");
	duration_refused("inf");
	duration_refused("1e300");
	duration_refused("1e300m");
	int64_t ms = 0;
	is_int(parse_duration_ms("1.5s", &ms), 0, "a duration still parses");
	is_int(ms, 1500, "... as 1500 ms");

	is_int(llmreply_retry_after("Retry-After: nan\r\n", 18, 0), -1, "Retry-After: nan is no wait");
	is_int(llmreply_retry_after("Retry-After-Ms: NAN\r\n", 21, 0), -1, "Retry-After-Ms: NAN is no wait");
	is_int(llmreply_retry_after("Retry-After: 1e300\r\n", 20, 0), -1, "Retry-After: 1e300 is no wait");
	is_int(llmreply_retry_after("Retry-After: -inf\r\n", 19, 0), -1, "Retry-After: -inf is no wait");

	ihl_refused("{\"ihl_score\": 1e308, \"verdict\": \"FAKE\"}", "not a whole number in 0-10");
	ihl_refused("{\"ihl_score\": -1e308}", "not a whole number in 0-10");
	ihl_refused("{\"ihl_score\": \"nan\"}", "not a whole number in 0-10");
	ihl_refused("{\"ihl_score\": \"1e999\"}", "not a whole number in 0-10");
	ihl_refused("IHL Score: 1e308", "not a whole number in 0-10");

	return done_testing();
}
