/* sync.h: waverunner sync: pulling postings and workflow definitions from
 * PostgreSQL (turing) into the local database, and pushing results back. */
#ifndef sync_h
#define sync_h

#include <signal.h>
#include <stddef.h>

#include <cJSON.h>

struct db;
struct pg;

struct pull_opts {
	int postings;             /* pull postings */
	const long *ids;          /* only these postings */
	size_t nids;
	const char *since;        /* only postings with updated_at >= since */
	const char *status;       /* only postings with this posting_status */
	long limit;               /* at most this many postings; 0: all */
	int full;                 /* start from the beginning, not where the last pull stopped */
	const long *workflows;    /* workflow definitions to import */
	size_t nworkflows;
};

/* Pulls into db and describes what it did in report (a JSON object: "server",
 * "postings" and "workflows"; printed by cmd-sync.c). Postings are upserted
 * page by page, each page one local transaction; results already on a posting
 * are never touched. A plain pull (no --ids, --status, --since) continues where
 * the previous one stopped, by (updated_at, posting_id). Returns E_OK, E_FAIL
 * when some postings could not be stored or a workflow has problems, or the
 * error that stopped it (E_REMOTE, E_DB, E_INPUT). */
int sync_pull(struct db *db, struct pg *pg, const struct pull_opts *o, cJSON *report);

struct push_opts {
	int dry_run;              /* change nothing; say what would be sent */
	int force;                /* push over postings that changed in PostgreSQL */
	long batch;               /* postings per PostgreSQL transaction */
	volatile sig_atomic_t *stop; /* set by a signal: stop after the current batch */
};

/* Pushes the results that changed since the last push, batch by batch, each
 * batch one PostgreSQL transaction with a savepoint per posting; postings are
 * marked pushed locally only after their batch committed. Describes what it did
 * in report ("columns", "skipped_columns", counts and "postings"). Returns
 * E_OK; E_FAIL when conflicts or rejected postings remain; E_REMOTE when the
 * connection failed (what was not committed is sent by the next push);
 * E_INTERRUPT when stopped. */
int sync_push(struct db *db, struct pg *pg, const struct push_opts *o, cJSON *report);

#endif
