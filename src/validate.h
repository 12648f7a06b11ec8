/* validate.h: checks a workflow before anything runs and names each problem:
 * which workflow, conversation and rule, and what is wrong. */
#ifndef validate_h
#define validate_h

#include <stddef.h>

#include "workflow.h"

enum severity { SEV_ERROR, SEV_WARNING };

struct finding {
	enum severity severity;
	long conversation_id;  /* 0 when about the whole workflow */
	long rule_id;          /* 0 when not about one rule */
	char *message;         /* "conversation 3338 'Improve': unknown placeholder {x}" */
};

struct findings {
	struct finding *items;
	size_t n;
	size_t cap;
	size_t errors;
	size_t warnings;
};

/* Checks wf (which must hold every actor its conversations name; see
 * db_workflow_complete_actors) and appends what it finds. */
void validate_workflow(const struct workflow *wf, struct findings *out);
void findings_release(struct findings *f);
/* Prints each finding to stderr: "waverunner: CMD: ORIGIN: error: message". */
void findings_print(const struct findings *f, const char *origin);
/* The findings as a JSON array (new; caller deletes). */
cJSON *findings_json(const struct findings *f);

/* The placeholders of c's template and system prompt that only earlier steps
 * can fill ({conversation_N_output}, {parent_response}), appended to names
 * ("{a}, {b}"); returns how many. A run that starts at c has no earlier steps
 * (see waverunner rerun, which reuses them). */
struct buf;
size_t validate_start_needs(const struct wf_conv *c, struct buf *names);

#endif
