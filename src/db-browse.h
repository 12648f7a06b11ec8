/* db-browse.h: what show and list read: postings with their results, the
 * workflows, postings and runs in the database, and a posting's latest run.
 * Each returns JSON values that the commands print as text or as they are. */
#ifndef db_browse_h
#define db_browse_h

#include <cJSON.h>

struct db;

/* Filters of list; 0 or NULL means any. */
struct browse_filter {
	long workflow_id;
	const char *status;   /* a run status: running, completed or failed */
	long limit;
};

/* Every workflow with its step count and its runs by state. */
int db_browse_workflows(struct db *db, const struct browse_filter *f, cJSON **out);
/* Postings with their results and their latest run (of f->workflow_id, or of
 * any workflow); f->status keeps those whose latest run has that status. */
int db_browse_postings(struct db *db, const struct browse_filter *f, cJSON **out);
/* Runs, newest first, with their posting and why they failed. */
int db_browse_runs(struct db *db, const struct browse_filter *f, cJSON **out);

/* The latest run of posting_id (of workflow_id, or of any workflow when 0);
 * *run_id is 0 when it has none. E_INPUT when there is no such posting. */
int db_latest_run(struct db *db, long posting_id, long workflow_id, long *run_id);

/* One posting: its row with results, and its latest run (of workflow_id, or
 * of any) with the path it took: each interaction's step, status and verdict.
 * E_INPUT when there is no such posting. */
int db_show_posting(struct db *db, long posting_id, long workflow_id, cJSON **out);

#endif
