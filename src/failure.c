/* failure.c: the failure classes' names and which are retried (failure.h). */
#include "failure.h"

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
