/* db-graph.c: the queries behind report (db-graph.h). */
#include "db-graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbint.h"
#include "err.h"
#include "util.h"

/* Runs the statement for static sql with (a, b) bound to ?1, ?2, collecting
 * its rows into a new array. */
static int rows(struct db *db, const char *sql, long a, long b, cJSON **out)
{
	*out = cJSON_CreateArray();
	sqlite3_stmt *st = db_bound(db, sql, "LL", a, b);
	if (st && !db_rows_into(db, st, *out))
		return E_OK;
	cJSON_Delete(*out);
	*out = NULL;
	return E_DB;
}

int db_graph_rule_counts(struct db *db, long workflow, long run, cJSON **out)
{
	static const char SQL[] =
		"SELECT CAST(j.value AS INTEGER) AS rule, count(DISTINCT i.workflow_run_id) AS runs "
		"FROM workflow_runs r JOIN interactions i ON i.workflow_run_id = r.workflow_run_id "
		"JOIN interaction_events e ON e.interaction_id = i.interaction_id "
		"JOIN json_each(e.event_data, '$.rules') j "
		"WHERE r.workflow_id = ?1 AND (?2 = 0 OR r.workflow_run_id = ?2) "
		"AND e.event_type = 'interaction_branched' GROUP BY 1 ORDER BY 1";
	return rows(db, SQL, workflow, run, out);
}

int db_graph_start_counts(struct db *db, long workflow, long run, cJSON **out)
{
	static const char SQL[] =
		"SELECT i.conversation_id AS conversation_id, count(DISTINCT i.workflow_run_id) AS runs "
		"FROM workflow_runs r JOIN interactions i ON i.workflow_run_id = r.workflow_run_id "
		"WHERE r.workflow_id = ?1 AND (?2 = 0 OR r.workflow_run_id = ?2) AND i.via_rule_id IS NULL "
		"AND NOT EXISTS (SELECT 1 FROM interaction_parents x WHERE x.interaction_id = i.interaction_id) "
		"GROUP BY 1 ORDER BY 1";
	return rows(db, SQL, workflow, run, out);
}

int db_graph_runs(struct db *db, long workflow, long limit, cJSON **out)
{
	static const char SQL[] =
		"SELECT r.workflow_run_id AS run_id, r.posting_id AS posting_id, p.job_title AS title, "
		"p.external_job_id AS job_id, r.status AS status, r.status_detail AS reason, "
		"substr(p.extracted_summary, 1, 140) AS summary, json_array_length(p.skill_keywords) AS skills, "
		"substr((SELECT group_concat(CASE j.type WHEN 'object' THEN coalesce(json_extract(j.value, '$.name'), "
		"  json_extract(j.value, '$.skill'), j.value) ELSE j.value END, ', ') "
		"  FROM json_each(p.skill_keywords) j), 1, 100) AS skill_list, "
		"p.ihl_score AS ihl_score, p.ihl_scale AS ihl_scale, p.ihl_verdict AS ihl_verdict, "
		"s.steps AS steps, s.duration_ms AS duration_ms, s.tokens AS tokens "
		"FROM workflow_runs r LEFT JOIN postings p ON p.posting_id = r.posting_id "
		"LEFT JOIN (SELECT i.workflow_run_id AS run, count(*) AS steps, sum(i.duration_ms) AS duration_ms, "
		"  CASE WHEN count(i.prompt_tokens) + count(i.output_tokens) > 0 "
		"  THEN sum(coalesce(i.prompt_tokens, 0) + coalesce(i.output_tokens, 0)) END AS tokens FROM interactions i "
		"  WHERE i.workflow_run_id IN (SELECT workflow_run_id FROM workflow_runs WHERE workflow_id = ?1) "
		"  GROUP BY i.workflow_run_id) s ON s.run = r.workflow_run_id "
		"WHERE r.workflow_id = ?1 ORDER BY r.workflow_run_id LIMIT ?2";
	return rows(db, SQL, workflow, limit, out);
}

int db_graph_paths(struct db *db, long workflow, long limit, cJSON **out)
{
	static const char STEPS[] =
		"SELECT i.workflow_run_id, i.conversation_id, i.status, i.duration_ms "
		"FROM interactions i WHERE i.workflow_run_id IN "
		"(SELECT workflow_run_id FROM workflow_runs WHERE workflow_id = ?1 ORDER BY workflow_run_id LIMIT ?2) "
		"ORDER BY i.workflow_run_id, i.execution_order, i.interaction_id";
	static const char RULES[] =
		"SELECT DISTINCT i.workflow_run_id, CAST(j.value AS INTEGER) "
		"FROM interactions i JOIN interaction_events e ON e.interaction_id = i.interaction_id "
		"JOIN json_each(e.event_data, '$.rules') j WHERE i.workflow_run_id IN "
		"(SELECT workflow_run_id FROM workflow_runs WHERE workflow_id = ?1 ORDER BY workflow_run_id LIMIT ?2) "
		"AND e.event_type = 'interaction_branched' ORDER BY 1, 2";
	cJSON *root = cJSON_CreateObject();
	*out = NULL;
	char key[32];
	cJSON *run = NULL;
	long cur = 0;
	int rc;
	sqlite3_stmt *st = db_bound(db, STEPS, "LL", workflow, limit);
	if (!st)
		goto fail;
	while ((rc = db_step(db, st)) == SQLITE_ROW) {
		long id = (long)sqlite3_column_int64(st, 0);
		if (!run || id != cur) {
			snprintf(key, sizeof key, "%ld", id);
			run = cJSON_AddObjectToObject(root, key);
			cJSON_AddArrayToObject(run, "s");
			cJSON_AddArrayToObject(run, "r");
			cur = id;
		}
		cJSON *step = cJSON_CreateArray();
		cJSON_AddItemToArray(step, cJSON_CreateNumber(sqlite3_column_double(st, 1)));
		char state[2] = { db_col_str(st, 2)[0], '\0' }; /* c(ompleted), f(ailed), p, r, w */
		cJSON_AddItemToArray(step, cJSON_CreateString(state));
		cJSON_AddItemToArray(step, db_col_is_null(st, 3) ? cJSON_CreateNull()
								  : cJSON_CreateNumber(sqlite3_column_double(st, 3)));
		cJSON_AddItemToArray(cJSON_GetObjectItem(run, "s"), step);
	}
	sqlite3_reset(st);
	if (rc < 0 || !(st = db_bound(db, RULES, "LL", workflow, limit)))
		goto fail;
	while ((rc = db_step(db, st)) == SQLITE_ROW) {
		snprintf(key, sizeof key, "%lld", (long long)sqlite3_column_int64(st, 0));
		run = cJSON_GetObjectItem(root, key);
		if (run)
			cJSON_AddItemToArray(cJSON_GetObjectItem(run, "r"), cJSON_CreateNumber(sqlite3_column_double(st, 1)));
	}
	sqlite3_reset(st);
	if (rc < 0)
		goto fail;
	*out = root;
	return E_OK;
fail:
	cJSON_Delete(root);
	return E_DB;
}

int db_graph_stops(struct db *db, long workflow, cJSON **out)
{
	static const char SQL[] =
		"SELECT coalesce(status_detail, 'no reason recorded') AS reason, count(*) AS runs, "
		"min(workflow_run_id) AS example_run FROM workflow_runs "
		"WHERE workflow_id = ?1 AND status = 'failed' AND ?2 = 0 GROUP BY status_detail ORDER BY 2 DESC, 3";
	return rows(db, SQL, workflow, 0, out);
}

int db_graph_posting(struct db *db, long posting, cJSON **out)
{
	static const char SQL[] =
		"SELECT posting_id AS posting_id, job_title AS title, external_job_id AS job_id, "
		"location_city AS city, location_country AS country, posting_status AS posting_status, "
		"extracted_summary AS summary, skill_keywords AS skills_json, ihl_score AS ihl_score, "
		"ihl_scale AS ihl_scale, ihl_verdict AS ihl_verdict, results_updated_at AS results_updated_at "
		"FROM postings WHERE posting_id = ?1";
	sqlite3_stmt *st = db_bound(db, SQL, "L", posting);
	int rc = E_DB;
	*out = st ? db_row_one(db, st, "posting", posting, &rc) : NULL;
	return rc;
}

int db_graph_posting_runs(struct db *db, long posting, long workflow, long **ids, size_t *n)
{
	static const char SQL[] =
		"SELECT workflow_run_id FROM workflow_runs WHERE posting_id = ?1 AND (?2 = 0 OR workflow_id = ?2) "
		"ORDER BY workflow_run_id";
	return db_ids(db, SQL, ids, n, "LL", posting, workflow);
}

int db_graph_workflows_run(struct db *db, long **ids, size_t *n)
{
	static const char SQL[] = "SELECT DISTINCT workflow_id FROM workflow_runs ORDER BY workflow_id";
	return db_ids(db, SQL, ids, n, "");
}
