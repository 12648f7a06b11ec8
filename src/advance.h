/* advance.h: creating interactions, and moving a run on when one ends.
 *
 * Finishing an interaction happens inside one transaction the caller holds:
 * its output, status and events, the children chosen by branching (in this run,
 * or one new run per posting when a step fans out), fan-in bookkeeping, and the
 * run's status. A crash before the commit leaves none of it; after, all. */
#ifndef advance_h
#define advance_h

#include <stdint.h>

#include "exec.h"
#include "workflow.h"

struct db;

/* Where a new interaction goes and what made it. */
struct spawn {
	long run_id;
	long posting_id;          /* 0: the run has none */
	const char *params;       /* the run's parameters (JSON object) */
	const struct wf_conv *conv;
	long via_rule;            /* 0: a seed */
	const long *parents;
	size_t nparents;
};

/* Creates an interaction for s, rendering its input now. A template that cannot
 * be rendered creates it failed, with the reason (never a silent drop). */
int advance_create(struct db *db, const struct workflow *wf, const struct spawn *s, long *id);

struct advance_stats {
	long completed;
	long failed;
	long retried;
	long created;
	long runs_created;
	long runs_completed;
	long runs_failed;
};

struct retry_policy {
	int64_t base_ms;
	int64_t cap_ms;
	uint64_t rng;
};

/* Records the end of task t (its result in t->res) and everything that follows
 * from it. Must run inside a transaction, in which the caller has made sure
 * that f, the fence of t's attempt, still holds (db_interaction_holds): then
 * every write that ends the attempt is conditional on it. */
int advance_finish(struct db *db, struct task *t, const struct fence *f, struct retry_policy *policy,
		   struct advance_stats *stats);

#endif
