/* db-graph.h: the queries behind `report`: how often each rule fired, where
 * runs started, the runs of a workflow with their postings' results, each
 * run's path in short, why runs stopped, and a posting's results. Values come
 * as JSON, like db-report.h's. */
#ifndef db_graph_h
#define db_graph_h

#include <cJSON.h>

struct db;

/* [{"rule", "runs"}]: per rule, the runs of workflow (or only run, when not 0)
 * in which it fired, END rules included. */
int db_graph_rule_counts(struct db *db, long workflow, long run, cJSON **out);
/* [{"conversation_id", "runs"}]: the steps runs of workflow (or only run) began at. */
int db_graph_start_counts(struct db *db, long workflow, long run, cJSON **out);
/* The runs of workflow, oldest first, at most limit: run_id, posting_id, title,
 * job_id, status, reason, summary (its start), skills (count), skill_list (its
 * start), ihl_score, ihl_scale, ihl_verdict, steps, duration_ms, tokens. */
int db_graph_runs(struct db *db, long workflow, long limit, cJSON **out);
/* {"RUN": {"s": [[conversation_id, "S", duration_ms], ...], "r": [rule...]}}:
 * each run's interactions in order (S: the first letter of its status) and
 * the rules that fired in it. */
int db_graph_paths(struct db *db, long workflow, long limit, cJSON **out);
/* [{"reason", "runs", "example_run"}]: failed runs grouped by why. */
int db_graph_stops(struct db *db, long workflow, cJSON **out);
/* A posting's row and results; E_INPUT if there is none. */
int db_graph_posting(struct db *db, long posting, cJSON **out);
/* The workflows that have runs, ascending (caller frees). */
int db_graph_workflows_run(struct db *db, long **ids, size_t *n);
/* The runs of posting (of workflow, when not 0), oldest first (caller frees). */
int db_graph_posting_runs(struct db *db, long posting, long workflow, long **ids, size_t *n);

#endif
