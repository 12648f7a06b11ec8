/* failure.h: the classes of failure a step can end in, their stored names,
 * and which may succeed when tried again. Pure: no I/O. The retry policy
 * (when to try again) is retry.h. */
#ifndef failure_h
#define failure_h

enum fail_class {
	FC_NONE = 0,
	FC_CONNECTION,     /* refused, reset, DNS: retried */
	FC_TIMEOUT,        /* the step's timeout or the server stalled: retried */
	FC_RATE_LIMIT,     /* HTTP 429: retried, honouring Retry-After */
	FC_SERVER,         /* HTTP 5xx, server busy: retried */
	FC_LEASE,          /* the process running it died: retried */
	FC_NOT_FOUND,      /* unknown model (404) */
	FC_BAD_REQUEST,    /* HTTP 400 and other 4xx */
	FC_AUTH,           /* HTTP 401/403 */
	FC_TEMPLATE,       /* the template could not be rendered */
	FC_INVALID_OUTPUT, /* a malformed or empty answer, output that is not one JSON document */
	FC_TOO_LARGE,      /* a model's answer over the cap (run --max-answer): not retried */
	FC_SCRIPT,         /* a script exited non-zero or was killed */
	FC_STEP_FAILED,    /* the step reported failure ([FAILED], "error") */
	FC_REPLAY_MISS,    /* no recorded response for the request */
	FC_INTERNAL,       /* a fault in waverunner itself */
};

/* The stored name ("connection", "timeout", ...). */
const char *fail_class_name(enum fail_class c);
/* 1 if a failure of this class may succeed when tried again. */
int fail_class_retryable(enum fail_class c);

#endif
