/* db-rerun.c: the queries behind rerun (see db-rerun.h). */
#include "db-rerun.h"

#include <stdlib.h>

#include "dbint.h"
#include "db-runs.h"
#include "err.h"
#include "util.h"

int db_rerun_workflow_of(struct db *db, long conv, long *workflow_id, long *count)
{
	static const char SQL[] =
		"SELECT min(workflow_id), count(*) FROM workflow_conversations WHERE conversation_id = ?1";
	*workflow_id = *count = 0;
	return db_get(db, SQL, "L", "LL", conv, workflow_id, count) < 0 ? E_DB : E_OK;
}

int db_run_params(struct db *db, long run_id, char **params)
{
	static const char SQL[] = "SELECT params FROM workflow_runs WHERE workflow_run_id = ?1";
	*params = NULL;
	if (db_get(db, SQL, "L", "T", run_id, params) < 0)
		return E_DB;
	return *params ? E_OK : err_set(E_INPUT, "there is no run %ld", run_id);
}

int db_rerun_postings(struct db *db, long workflow_id, long **ids, size_t *n)
{
	static const char SQL[] =
		"SELECT DISTINCT posting_id FROM workflow_runs WHERE workflow_id = ?1 AND posting_id IS NOT NULL "
		"ORDER BY posting_id";
	return db_ids(db, SQL, ids, n, "L", workflow_id);
}

int db_rerun_anchor(struct db *db, long run_id, long conv, long *id, long *via_rule)
{
	static const char SQL[] =
		"SELECT interaction_id, via_rule_id FROM interactions WHERE workflow_run_id = ?1 "
		"AND conversation_id = ?2 ORDER BY execution_order, interaction_id LIMIT 1";
	*id = *via_rule = 0;
	return db_get(db, SQL, "LL", "LL", run_id, conv, id, via_rule) < 0 ? E_DB : E_OK;
}

int db_rerun_ancestors(struct db *db, long run_id, long anchor, long **ids, size_t *n)
{
	/* A fan-out run's seed has its parent in the run that fetched: the walk
	 * stays within this run. */
	static const char SQL[] =
		"WITH RECURSIVE up (id) AS ("
		"  SELECT p.parent_interaction_id FROM interaction_parents p WHERE p.interaction_id = ?2 "
		"  UNION SELECT p.parent_interaction_id FROM interaction_parents p JOIN up ON p.interaction_id = up.id) "
		"SELECT i.interaction_id FROM up JOIN interactions i ON i.interaction_id = up.id "
		"WHERE i.workflow_run_id = ?1 ORDER BY i.execution_order, i.interaction_id";
	return db_ids(db, SQL, ids, n, "LL", run_id, anchor);
}

int db_interaction_copy(struct db *db, long src, long run_id, const long *parents, size_t nparents, long *id)
{
	static const char COPY[] =
		"INSERT INTO interactions (workflow_run_id, posting_id, conversation_id, actor_id, status, "
		"execution_order, via_rule_id, input, output, branch_text, attempts, max_attempts, not_before, "
		"created_at, started_at, completed_at, duration_ms, backend, model, prompt_tokens, output_tokens, "
		"total_duration_ms, load_duration_ms, eval_duration_ms, done_reason) "
		"SELECT ?2, posting_id, conversation_id, actor_id, 'completed', "
		"(SELECT coalesce(max(execution_order), 0) + 1 FROM interactions WHERE workflow_run_id = ?2), "
		"via_rule_id, input, output, branch_text, 0, max_attempts, ?3, ?3, started_at, completed_at, "
		"duration_ms, backend, model, prompt_tokens, output_tokens, total_duration_ms, load_duration_ms, "
		"eval_duration_ms, done_reason FROM interactions WHERE interaction_id = ?1 AND status = 'completed'";
	static const char EVENTS[] =
		"INSERT INTO interaction_events (interaction_id, event_type, event_data, event_timestamp) "
		"SELECT ?2, event_type, event_data, event_timestamp FROM interaction_events "
		"WHERE interaction_id = ?1 AND event_type IN ('interaction_branched', 'no_rule_matched') "
		"ORDER BY event_id";
	static const char REUSED[] =
		"INSERT INTO interaction_events (interaction_id, event_type, event_data, event_timestamp) "
		"SELECT ?2, 'interaction_reused', json_object('from_interaction_id', ?1, "
		"'from_run_id', workflow_run_id), ?3 FROM interactions WHERE interaction_id = ?1";
	char now[32];
	iso_now(now);
	if (db_do(db, COPY, "LLT", src, run_id, now))
		return E_DB;
	if (sqlite3_changes(db->sql) != 1)
		return err_set(E_INPUT, "interaction %ld has not completed: it cannot be reused", src);
	*id = (long)sqlite3_last_insert_rowid(db->sql);
	for (size_t i = 0; i < nparents; i++)
		if (db_parent_add(db, *id, parents[i]))
			return E_DB;
	if (db_do(db, EVENTS, "LL", src, *id))
		return E_DB;
	return db_do(db, REUSED, "LLT", src, *id, now) ? E_DB : E_OK;
}
