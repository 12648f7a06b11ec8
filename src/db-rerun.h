/* db-rerun.h: what rerun reads and writes: where a posting's latest run
 * reached a step, the steps before it, and their copies in a new run. */
#ifndef db_rerun_h
#define db_rerun_h

#include <stddef.h>

struct db;

/* The workflows that have conversation conv as a step: the first in *workflow_id
 * (0 if none), how many in *count. */
int db_rerun_workflow_of(struct db *db, long conv, long *workflow_id, long *count);

/* The parameters a run was started with (a JSON object text; caller frees). */
int db_run_params(struct db *db, long run_id, char **params);

/* The postings that have a run of workflow, by id (caller frees *ids). */
int db_rerun_postings(struct db *db, long workflow_id, long **ids, size_t *n);

/* The first interaction of conversation conv in run (0 when the run never
 * reached it), with the rule that created it (0 for a seed). */
int db_rerun_anchor(struct db *db, long run_id, long conv, long *id, long *via_rule);

/* Every interaction of run that anchor descends from (its parents, theirs, and
 * so on, within the run), in the order they ran (caller frees *ids). */
int db_rerun_ancestors(struct db *db, long run_id, long anchor, long **ids, size_t *n);

/* Copies completed interaction src into run as a completed interaction with
 * the given parents (no attempt, no call): its input, output, what branching
 * matched and its usage, its branching events, and an event
 * "interaction_reused" naming src and its run. */
int db_interaction_copy(struct db *db, long src, long run_id, const long *parents, size_t nparents, long *id);

#endif
