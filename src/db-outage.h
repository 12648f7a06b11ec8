/* db-outage.h: what the engine needs when a model server is down, and what
 * `run --retry-failed` changes: finding what is due apart from the work of down servers,
 * counting what waits for a server, the workflows a run will call, and putting
 * transiently failed interactions back to pending in place. */
#ifndef db_outage_h
#define db_outage_h

#include <stddef.h>

#include "db-runs.h"

struct db;

/* Like db_next_due, but leaving out the interactions of the actors in
 * except_actors (a JSON array of actor ids, or NULL) that are already due:
 * those wait for a server that is down, not for a time. */
int db_next_due_except(struct db *db, const struct scope *scope, const char *except_actors, const char *now,
		       char out[32]);

/* How many pending interactions of running runs in scope belong to the actors
 * in actors (a JSON array of actor ids). */
int db_count_pending_of(struct db *db, const struct scope *scope, const char *actors, long *count);

/* The workflows of the runs in scope that are running (and failed ones too,
 * with include_failed). Caller frees *ids. */
int db_scope_workflows(struct db *db, const struct scope *scope, int include_failed, long **ids, size_t *n);

/* run --retry-failed: every failed interaction in scope whose class is one of
 * classes (a JSON array of class names) goes back to pending, due now, with a
 * fresh attempt budget; its output and error are cleared, an
 * interaction_retried event records what failed; its run is running again.
 * *count: how many. */
int db_retry_failed(struct db *db, const struct scope *scope, const char *classes, long *count);

#endif
