/* db-report.h: what status and trace show, read from the database as JSON
 * values that the commands print either as text or as they are (--json). */
#ifndef db_report_h
#define db_report_h

#include <cJSON.h>

#include "db-runs.h"

struct db;

struct run_counts {
	long running;
	long completed;
	long failed;
	long retry_waiting;   /* interactions pending again after a failed attempt */
};

/* Runs in scope by state, and the interactions that wait to be retried. */
int db_report_run_counts(struct db *db, const struct scope *scope, struct run_counts *out);

/* Per workflow (or only workflow_id): its runs by state, each step's
 * interactions by status with attempts, retries, dead ends, errors and model
 * usage, usage per model, and the failed runs with their reasons. */
int db_report_status(struct db *db, long workflow_id, cJSON **out);

/* One run: its row, its steps as above, usage per model. E_INPUT if no such run. */
int db_report_run(struct db *db, long run_id, cJSON **out);

/* The path a run took: every interaction in order with its parents, the rule
 * that created it, its branching, events, input and output. */
int db_report_trace(struct db *db, long run_id, cJSON **out);

#endif
