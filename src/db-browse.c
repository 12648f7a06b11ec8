/* db-browse.c: the queries behind show and list (see db-browse.h). */
#include "db-browse.h"

#include <string.h>

#include "dbint.h"
#include "err.h"
#include "json.h"

/* The latest run of a posting: the highest run id (ids only grow). */
#define LATEST_RUN(posting, workflow)                                                             \
	"(SELECT max(q.workflow_run_id) FROM workflow_runs q WHERE q.posting_id = " posting          \
	" AND (" workflow " = 0 OR q.workflow_id = " workflow "))"

/* ?1 workflow, ?2 status, ?3 limit (-1: none) bound on st; then all its rows. */
static int list_rows(struct db *db, sqlite3_stmt *st, const struct browse_filter *f, cJSON **out)
{
	db_bind_int(st, 1, f->workflow_id);
	db_bind_text(st, 2, f->status);
	db_bind_int(st, 3, f->limit > 0 ? f->limit : -1);
	cJSON *rows = cJSON_CreateArray();
	if (db_rows_into(db, st, rows)) {
		cJSON_Delete(rows);
		return E_DB;
	}
	*out = rows;
	return E_OK;
}

int db_browse_workflows(struct db *db, const struct browse_filter *f, cJSON **out)
{
	static const char SQL[] =
		"SELECT w.workflow_id AS workflow_id, w.workflow_name AS name, w.enabled AS enabled, "
		"(SELECT count(*) FROM workflow_conversations c WHERE c.workflow_id = w.workflow_id) AS steps, "
		"(SELECT count(*) FROM workflow_runs r WHERE r.workflow_id = w.workflow_id AND r.status = 'running') "
		"  AS running, "
		"(SELECT count(*) FROM workflow_runs r WHERE r.workflow_id = w.workflow_id AND r.status = 'completed') "
		"  AS completed, "
		"(SELECT count(*) FROM workflow_runs r WHERE r.workflow_id = w.workflow_id AND r.status = 'failed') "
		"  AS failed "
		"FROM workflows w WHERE (?1 = 0 OR w.workflow_id = ?1)"
		"ORDER BY w.workflow_id LIMIT ?3";
	sqlite3_stmt *st = db_prepare(db, SQL);
	return st ? list_rows(db, st, f, out) : E_DB;
}

int db_browse_postings(struct db *db, const struct browse_filter *f, cJSON **out)
{
	static const char SQL[] =
		"SELECT p.posting_id AS posting_id, p.job_title AS title, p.external_job_id AS external_job_id, "
		"p.job_description IS NOT NULL AS has_description, length(p.extracted_summary) AS summary_chars, "
		"json_array_length(p.skill_keywords) AS skills, p.ihl_score AS ihl_score, p.ihl_scale AS ihl_scale, "
		"p.ihl_verdict AS ihl_verdict, r.workflow_run_id AS run_id, r.workflow_id AS workflow_id, "
		"r.status AS run_status "
		"FROM postings p LEFT JOIN workflow_runs r ON r.workflow_run_id = " LATEST_RUN("p.posting_id", "?1") " "
		"WHERE (?1 = 0 OR r.workflow_run_id IS NOT NULL) AND (?2 IS NULL OR r.status = ?2) "
		"ORDER BY p.posting_id LIMIT ?3";
	sqlite3_stmt *st = db_prepare(db, SQL);
	return st ? list_rows(db, st, f, out) : E_DB;
}

int db_browse_runs(struct db *db, const struct browse_filter *f, cJSON **out)
{
	static const char SQL[] =
		"SELECT r.workflow_run_id AS run_id, r.workflow_id AS workflow_id, r.posting_id AS posting_id, "
		"p.job_title AS title, r.status AS status, r.started_at AS started_at, r.updated_at AS updated_at, "
		"r.status_detail AS reason, "
		"(SELECT count(*) FROM interactions i WHERE i.workflow_run_id = r.workflow_run_id) AS interactions "
		"FROM workflow_runs r LEFT JOIN postings p ON p.posting_id = r.posting_id "
		"WHERE (?1 = 0 OR r.workflow_id = ?1) AND (?2 IS NULL OR r.status = ?2) "
		"ORDER BY r.workflow_run_id DESC LIMIT ?3";
	sqlite3_stmt *st = db_prepare(db, SQL);
	return st ? list_rows(db, st, f, out) : E_DB;
}

int db_latest_run(struct db *db, long posting_id, long workflow_id, long *run_id)
{
	static const char SQL[] = "SELECT " LATEST_RUN("p.posting_id", "?2") " FROM postings p WHERE p.posting_id = ?1";
	*run_id = 0;
	int s = db_get(db, SQL, "LL", "L", posting_id, workflow_id, run_id);
	if (s < 0)
		return E_DB;
	if (s == SQLITE_DONE)
		return err_set(E_INPUT, "there is no posting %ld", posting_id);
	return E_OK;
}

int db_show_posting(struct db *db, long posting_id, long workflow_id, cJSON **out)
{
	static const char RUN[] =
		"SELECT r.workflow_run_id AS run_id, r.workflow_id AS workflow_id, w.workflow_name AS workflow_name, "
		"r.status AS status, r.status_detail AS reason, r.started_at AS started_at, "
		"r.completed_at AS completed_at FROM workflow_runs r JOIN workflows w USING (workflow_id) "
		"WHERE r.workflow_run_id = ?1";
	/* The verdict an answer gave is in the event that recorded its branching. */
	static const char PATH[] =
		"SELECT i.interaction_id AS interaction_id, i.conversation_id AS conversation_id, "
		"c.conversation_name AS name, i.status AS status, i.attempts AS attempts, "
		"(SELECT json_extract(e.event_data, '$.verdict') FROM interaction_events e "
		"  WHERE e.interaction_id = i.interaction_id "
		"  AND e.event_type IN ('interaction_branched', 'no_rule_matched') "
		"  ORDER BY e.event_id DESC LIMIT 1) AS verdict, "
		"i.failure_class AS failure_class, i.error_message AS error, "
		"EXISTS (SELECT 1 FROM interaction_events e WHERE e.interaction_id = i.interaction_id "
		"  AND e.event_type = 'interaction_reused') AS reused "
		"FROM interactions i JOIN conversations c ON c.conversation_id = i.conversation_id "
		"WHERE i.workflow_run_id = ?1 ORDER BY i.execution_order, i.interaction_id";
	static const char POSTING[] =
		"SELECT posting_id, posting_name, job_title AS title, external_job_id, external_url, source, "
		"location_city, location_country, posting_status, length(job_description) AS description_chars, "
		"extracted_summary AS summary, skill_keywords AS skills_json, ihl_score, ihl_scale, ihl_verdict, "
		"summary_interaction_id, skills_interaction_id, ihl_interaction_id, results_updated_at "
		"FROM postings WHERE posting_id = ?1";
	int rc;
	sqlite3_stmt *st = db_bound(db, POSTING, "L", posting_id);
	if (!st)
		return E_DB;
	cJSON *posting = db_row_one(db, st, "posting", posting_id, &rc);
	if (!posting)
		return rc;
	cJSON *root = cJSON_CreateObject();
	cJSON_AddItemToObject(root, "posting", posting);
	long run_id;
	if ((rc = db_latest_run(db, posting_id, workflow_id, &run_id)))
		goto fail;
	if (!run_id) {
		cJSON_AddNullToObject(root, "latest_run");
		*out = root;
		return E_OK;
	}
	rc = E_DB;
	if (!(st = db_bound(db, RUN, "L", run_id)))
		goto fail;
	cJSON *run = db_row_one(db, st, "run", run_id, &rc);
	if (!run)
		goto fail;
	cJSON_AddItemToObject(root, "latest_run", run);
	rc = E_DB;
	if (!(st = db_bound(db, PATH, "L", run_id)))
		goto fail;
	if (db_rows_into(db, st, cJSON_AddArrayToObject(run, "path")))
		goto fail;
	*out = root;
	return E_OK;
fail:
	cJSON_Delete(root);
	return rc;
}
