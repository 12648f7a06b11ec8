/* db-report.c: the queries behind status and trace. */
#include "db-report.h"

#include <stdlib.h>
#include <string.h>

#include "dbint.h"
#include "err.h"
#include "json.h"
#include "util.h"

static void add_text_or_null(cJSON *o, const char *key, sqlite3_stmt *st, int col)
{
	if (db_col_is_null(st, col))
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddStringToObject(o, key, db_col_str(st, col));
}

static void add_num_or_null(cJSON *o, const char *key, sqlite3_stmt *st, int col)
{
	if (db_col_is_null(st, col))
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddNumberToObject(o, key, sqlite3_column_double(st, col));
}

int db_report_run_counts(struct db *db, const struct scope *scope, struct run_counts *out)
{
	static const char SQL[] =
		"SELECT count(*) FILTER (WHERE status = 'running'), count(*) FILTER (WHERE status = 'completed'), "
		"count(*) FILTER (WHERE status = 'failed') FROM workflow_runs "
		"WHERE (?1 = 0 OR workflow_id = ?1) AND (?2 = 0 OR workflow_run_id = ?2)";
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = db_prepare(db, SQL);
	if (!st)
		return E_DB;
	db_bind_int(st, 1, scope ? scope->workflow_id : 0);
	db_bind_int(st, 2, scope ? scope->run_id : 0);
	int rc = db_step(db, st);
	if (rc == SQLITE_ROW) {
		out->running = (long)sqlite3_column_int64(st, 0);
		out->completed = (long)sqlite3_column_int64(st, 1);
		out->failed = (long)sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	return rc < 0 ? E_DB : E_OK;
}

/* The steps of workflow (limited to run when run != 0), in workflow order. */
static int steps(struct db *db, long workflow, long run, cJSON *into)
{
	static const char SQL[] =
		"SELECT i.conversation_id, c.conversation_name, a.actor_name, "
		"count(*) FILTER (WHERE i.status = 'pending'), count(*) FILTER (WHERE i.status = 'waiting'), "
		"count(*) FILTER (WHERE i.status = 'running'), count(*) FILTER (WHERE i.status = 'completed'), "
		"count(*) FILTER (WHERE i.status = 'failed'), coalesce(sum(i.attempts), 0), "
		"sum(i.prompt_tokens), sum(i.output_tokens), avg(i.duration_ms), sum(i.load_duration_ms), "
		"(SELECT count(*) FROM interaction_events e JOIN interactions j USING (interaction_id) "
		"  JOIN workflow_runs q ON q.workflow_run_id = j.workflow_run_id "
		"  WHERE j.conversation_id = i.conversation_id AND q.workflow_id = ?1 AND (?2 = 0 OR q.workflow_run_id = ?2) "
		"  AND e.event_type = 'interaction_retried'), "
		"(SELECT count(*) FROM interaction_events e JOIN interactions j USING (interaction_id) "
		"  JOIN workflow_runs q ON q.workflow_run_id = j.workflow_run_id "
		"  WHERE j.conversation_id = i.conversation_id AND q.workflow_id = ?1 AND (?2 = 0 OR q.workflow_run_id = ?2) "
		"  AND e.event_type = 'no_rule_matched') "
		"FROM interactions i JOIN workflow_runs r ON r.workflow_run_id = i.workflow_run_id "
		"JOIN conversations c ON c.conversation_id = i.conversation_id "
		"JOIN actors a ON a.actor_id = i.actor_id "
		"LEFT JOIN workflow_conversations wc ON wc.workflow_id = r.workflow_id "
		"  AND wc.conversation_id = i.conversation_id "
		"WHERE r.workflow_id = ?1 AND (?2 = 0 OR i.workflow_run_id = ?2) "
		"GROUP BY i.conversation_id ORDER BY min(coalesce(wc.execution_order, 1e9)), i.conversation_id";
	static const char ERRORS[] =
		"SELECT i.error_message, i.failure_class, count(*) FROM interactions i "
		"JOIN workflow_runs r ON r.workflow_run_id = i.workflow_run_id "
		"WHERE r.workflow_id = ?1 AND (?2 = 0 OR i.workflow_run_id = ?2) AND i.conversation_id = ?3 "
		"AND i.error_message IS NOT NULL GROUP BY i.error_message ORDER BY count(*) DESC LIMIT 3";
	sqlite3_stmt *st = db_prepare(db, SQL);
	if (!st)
		return E_DB;
	db_bind_int(st, 1, workflow);
	db_bind_int(st, 2, run);
	int rc;
	while ((rc = db_step(db, st)) == SQLITE_ROW) {
		cJSON *s = cJSON_CreateObject();
		cJSON_AddNumberToObject(s, "conversation_id", sqlite3_column_double(st, 0));
		cJSON_AddStringToObject(s, "name", db_col_str(st, 1));
		cJSON_AddStringToObject(s, "actor", db_col_str(st, 2));
		static const char *const states[] = { "pending", "waiting", "running", "completed", "failed" };
		for (int k = 0; k < 5; k++)
			cJSON_AddNumberToObject(s, states[k], sqlite3_column_double(st, 3 + k));
		cJSON_AddNumberToObject(s, "attempts", sqlite3_column_double(st, 8));
		cJSON_AddNumberToObject(s, "retries", sqlite3_column_double(st, 13));
		cJSON_AddNumberToObject(s, "no_rule_matched", sqlite3_column_double(st, 14));
		add_num_or_null(s, "prompt_tokens", st, 9);
		add_num_or_null(s, "output_tokens", st, 10);
		add_num_or_null(s, "avg_duration_ms", st, 11);
		add_num_or_null(s, "load_ms", st, 12);
		cJSON_AddItemToArray(into, s);
	}
	sqlite3_reset(st);
	if (rc < 0)
		return E_DB;
	cJSON *s;
	cJSON_ArrayForEach(s, into) {
		st = db_prepare(db, ERRORS);
		if (!st)
			return E_DB;
		db_bind_int(st, 1, workflow);
		db_bind_int(st, 2, run);
		db_bind_int(st, 3, (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(s, "conversation_id")));
		cJSON *errs = cJSON_AddArrayToObject(s, "errors");
		while ((rc = db_step(db, st)) == SQLITE_ROW) {
			cJSON *e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "message", db_col_str(st, 0));
			add_text_or_null(e, "failure_class", st, 1);
			cJSON_AddNumberToObject(e, "count", sqlite3_column_double(st, 2));
			cJSON_AddItemToArray(errs, e);
		}
		sqlite3_reset(st);
		if (rc < 0)
			return E_DB;
	}
	return E_OK;
}

static int models(struct db *db, long workflow, long run, cJSON *into)
{
	static const char SQL[] =
		"SELECT i.model, i.backend, count(*), sum(i.prompt_tokens), sum(i.output_tokens), "
		"sum(i.duration_ms), sum(i.load_duration_ms), count(*) FILTER (WHERE i.load_duration_ms > 500) "
		"FROM interactions i JOIN workflow_runs r ON r.workflow_run_id = i.workflow_run_id "
		"WHERE i.model IS NOT NULL AND (?1 = 0 OR r.workflow_id = ?1) AND (?2 = 0 OR i.workflow_run_id = ?2) "
		"GROUP BY i.model, i.backend ORDER BY i.model, i.backend";
	sqlite3_stmt *st = db_prepare(db, SQL);
	if (!st)
		return E_DB;
	db_bind_int(st, 1, workflow);
	db_bind_int(st, 2, run);
	int rc;
	while ((rc = db_step(db, st)) == SQLITE_ROW) {
		cJSON *m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "model", db_col_str(st, 0));
		cJSON_AddStringToObject(m, "backend", db_col_str(st, 1));
		cJSON_AddNumberToObject(m, "calls", sqlite3_column_double(st, 2));
		add_num_or_null(m, "prompt_tokens", st, 3);
		add_num_or_null(m, "output_tokens", st, 4);
		add_num_or_null(m, "duration_ms", st, 5);
		add_num_or_null(m, "load_ms", st, 6);
		cJSON_AddNumberToObject(m, "loads", sqlite3_column_double(st, 7));
		cJSON_AddItemToArray(into, m);
	}
	sqlite3_reset(st);
	return rc < 0 ? E_DB : E_OK;
}

int db_report_status(struct db *db, long workflow_id, cJSON **out)
{
	static const char WFS[] =
		"SELECT w.workflow_id, w.workflow_name, "
		"(SELECT count(*) FROM workflow_runs r WHERE r.workflow_id = w.workflow_id AND r.status = 'running'), "
		"(SELECT count(*) FROM workflow_runs r WHERE r.workflow_id = w.workflow_id AND r.status = 'completed'), "
		"(SELECT count(*) FROM workflow_runs r WHERE r.workflow_id = w.workflow_id AND r.status = 'failed') "
		"FROM workflows w WHERE (?1 = 0 OR w.workflow_id = ?1) ORDER BY w.workflow_id";
	static const char FAILED[] =
		"SELECT r.workflow_run_id, r.posting_id, p.job_title, r.status_detail FROM workflow_runs r "
		"LEFT JOIN postings p ON p.posting_id = r.posting_id "
		"WHERE r.workflow_id = ?1 AND r.status = 'failed' ORDER BY r.workflow_run_id LIMIT 50";
	cJSON *root = cJSON_CreateObject();
	cJSON *wfs = cJSON_AddArrayToObject(root, "workflows");
	sqlite3_stmt *st = db_prepare(db, WFS);
	if (!st)
		goto fail;
	db_bind_int(st, 1, workflow_id);
	int rc;
	while ((rc = db_step(db, st)) == SQLITE_ROW) {
		cJSON *w = cJSON_CreateObject();
		cJSON_AddNumberToObject(w, "workflow_id", sqlite3_column_double(st, 0));
		cJSON_AddStringToObject(w, "name", db_col_str(st, 1));
		cJSON *runs = cJSON_AddObjectToObject(w, "runs");
		cJSON_AddNumberToObject(runs, "running", sqlite3_column_double(st, 2));
		cJSON_AddNumberToObject(runs, "completed", sqlite3_column_double(st, 3));
		cJSON_AddNumberToObject(runs, "failed", sqlite3_column_double(st, 4));
		cJSON_AddItemToArray(wfs, w);
	}
	sqlite3_reset(st);
	if (rc < 0)
		goto fail;
	if (workflow_id && !cJSON_GetArraySize(wfs)) {
		cJSON_Delete(root);
		return err_set(E_INPUT, "there is no workflow %ld", workflow_id);
	}
	cJSON *w;
	cJSON_ArrayForEach(w, wfs) {
		long id = (long)cJSON_GetNumberValue(cJSON_GetObjectItem(w, "workflow_id"));
		if (steps(db, id, 0, cJSON_AddArrayToObject(w, "steps")) ||
		    models(db, id, 0, cJSON_AddArrayToObject(w, "models")))
			goto fail;
		cJSON *failed = cJSON_AddArrayToObject(w, "failed_runs");
		st = db_prepare(db, FAILED);
		if (!st)
			goto fail;
		db_bind_int(st, 1, id);
		while ((rc = db_step(db, st)) == SQLITE_ROW) {
			cJSON *f = cJSON_CreateObject();
			cJSON_AddNumberToObject(f, "run_id", sqlite3_column_double(st, 0));
			add_num_or_null(f, "posting_id", st, 1);
			add_text_or_null(f, "job_title", st, 2);
			add_text_or_null(f, "reason", st, 3);
			cJSON_AddItemToArray(failed, f);
		}
		sqlite3_reset(st);
		if (rc < 0)
			goto fail;
	}
	*out = root;
	return E_OK;
fail:
	cJSON_Delete(root);
	return E_DB;
}

/* The run row as an object; NULL (E_INPUT set) if there is none. */
static cJSON *run_row(struct db *db, long run_id, int *rc)
{
	static const char SQL[] =
		"SELECT r.workflow_run_id, r.workflow_id, w.workflow_name, r.posting_id, p.job_title, "
		"p.external_job_id, r.status, r.status_detail, r.started_at, r.completed_at, r.params, "
		"(SELECT min(x.parent_interaction_id) FROM interactions s JOIN interaction_parents x "
		"  ON x.interaction_id = s.interaction_id JOIN interactions pi ON pi.interaction_id = x.parent_interaction_id "
		"  WHERE s.workflow_run_id = r.workflow_run_id AND pi.workflow_run_id <> r.workflow_run_id) "
		"FROM workflow_runs r JOIN workflows w ON w.workflow_id = r.workflow_id "
		"LEFT JOIN postings p ON p.posting_id = r.posting_id WHERE r.workflow_run_id = ?1";
	sqlite3_stmt *st = db_prepare(db, SQL);
	*rc = E_DB;
	if (!st)
		return NULL;
	db_bind_int(st, 1, run_id);
	int s = db_step(db, st);
	cJSON *o = NULL;
	if (s == SQLITE_ROW) {
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "run_id", sqlite3_column_double(st, 0));
		cJSON_AddNumberToObject(o, "workflow_id", sqlite3_column_double(st, 1));
		cJSON_AddStringToObject(o, "workflow_name", db_col_str(st, 2));
		add_num_or_null(o, "posting_id", st, 3);
		add_text_or_null(o, "job_title", st, 4);
		add_text_or_null(o, "external_job_id", st, 5);
		cJSON_AddStringToObject(o, "status", db_col_str(st, 6));
		add_text_or_null(o, "reason", st, 7);
		add_text_or_null(o, "started_at", st, 8);
		add_text_or_null(o, "completed_at", st, 9);
		cJSON_AddItemToObject(o, "params", cJSON_Parse(db_col_str(st, 10)));
		add_num_or_null(o, "started_by_interaction_id", st, 11);
		*rc = E_OK;
	} else if (s == SQLITE_DONE) {
		*rc = err_set(E_INPUT, "there is no run %ld", run_id);
	}
	sqlite3_reset(st);
	return o;
}

int db_report_run(struct db *db, long run_id, cJSON **out)
{
	int rc;
	cJSON *run = run_row(db, run_id, &rc);
	if (!run)
		return rc;
	cJSON *root = cJSON_CreateObject();
	cJSON_AddItemToObject(root, "run", run);
	long wf = (long)cJSON_GetNumberValue(cJSON_GetObjectItem(run, "workflow_id"));
	if (steps(db, wf, run_id, cJSON_AddArrayToObject(root, "steps")) ||
	    models(db, 0, run_id, cJSON_AddArrayToObject(root, "models"))) {
		cJSON_Delete(root);
		return E_DB;
	}
	*out = root;
	return E_OK;
}

int db_report_trace(struct db *db, long run_id, cJSON **out)
{
	static const char ITEMS[] =
		"SELECT i.interaction_id, i.execution_order, i.conversation_id, c.conversation_name, a.actor_name, "
		"i.model, i.status, i.attempts, i.duration_ms, i.via_rule_id, s.branch_condition, i.input, i.output, "
		"i.error_message, i.failure_class, i.branch_text, i.prompt_tokens, i.output_tokens, i.load_duration_ms, "
		"i.created_at, i.completed_at, i.backend, i.done_reason "
		"FROM interactions i JOIN conversations c ON c.conversation_id = i.conversation_id "
		"JOIN actors a ON a.actor_id = i.actor_id "
		"LEFT JOIN instruction_steps s ON s.instruction_step_id = i.via_rule_id "
		"WHERE i.workflow_run_id = ?1 ORDER BY i.execution_order, i.interaction_id";
	static const char PARENTS[] =
		"SELECT parent_interaction_id FROM interaction_parents WHERE interaction_id = ?1 "
		"ORDER BY parent_interaction_id";
	static const char EVENTS[] =
		"SELECT event_type, event_data, event_timestamp FROM interaction_events WHERE interaction_id = ?1 "
		"ORDER BY event_id";
	int rc;
	cJSON *run = run_row(db, run_id, &rc);
	if (!run)
		return rc;
	cJSON *root = cJSON_CreateObject();
	cJSON_AddItemToObject(root, "run", run);
	cJSON *items = cJSON_AddArrayToObject(root, "interactions");
	sqlite3_stmt *st = db_prepare(db, ITEMS);
	if (!st)
		goto fail;
	db_bind_int(st, 1, run_id);
	while ((rc = db_step(db, st)) == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "interaction_id", sqlite3_column_double(st, 0));
		cJSON_AddNumberToObject(o, "execution_order", sqlite3_column_double(st, 1));
		cJSON_AddNumberToObject(o, "conversation_id", sqlite3_column_double(st, 2));
		cJSON_AddStringToObject(o, "name", db_col_str(st, 3));
		cJSON_AddStringToObject(o, "actor", db_col_str(st, 4));
		add_text_or_null(o, "model", st, 5);
		cJSON_AddStringToObject(o, "status", db_col_str(st, 6));
		cJSON_AddNumberToObject(o, "attempts", sqlite3_column_double(st, 7));
		add_num_or_null(o, "duration_ms", st, 8);
		add_num_or_null(o, "via_rule_id", st, 9);
		add_text_or_null(o, "via_condition", st, 10);
		add_text_or_null(o, "input", st, 11);
		add_text_or_null(o, "output", st, 12);
		add_text_or_null(o, "error", st, 13);
		add_text_or_null(o, "failure_class", st, 14);
		add_text_or_null(o, "branch_text", st, 15);
		add_num_or_null(o, "prompt_tokens", st, 16);
		add_num_or_null(o, "output_tokens", st, 17);
		add_num_or_null(o, "load_ms", st, 18);
		add_text_or_null(o, "created_at", st, 19);
		add_text_or_null(o, "completed_at", st, 20);
		add_text_or_null(o, "backend", st, 21);
		add_text_or_null(o, "done_reason", st, 22);
		cJSON_AddItemToArray(items, o);
	}
	sqlite3_reset(st);
	if (rc < 0)
		goto fail;
	cJSON *o;
	cJSON_ArrayForEach(o, items) {
		long id = (long)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "interaction_id"));
		cJSON *parents = cJSON_AddArrayToObject(o, "parents");
		st = db_prepare(db, PARENTS);
		if (!st)
			goto fail;
		db_bind_int(st, 1, id);
		while ((rc = db_step(db, st)) == SQLITE_ROW)
			cJSON_AddItemToArray(parents, cJSON_CreateNumber(sqlite3_column_double(st, 0)));
		sqlite3_reset(st);
		if (rc < 0)
			goto fail;
		cJSON *events = cJSON_AddArrayToObject(o, "events");
		st = db_prepare(db, EVENTS);
		if (!st)
			goto fail;
		db_bind_int(st, 1, id);
		while ((rc = db_step(db, st)) == SQLITE_ROW) {
			cJSON *e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "type", db_col_str(st, 0));
			cJSON_AddItemToObject(e, "data", cJSON_Parse(db_col_str(st, 1)));
			cJSON_AddStringToObject(e, "at", db_col_str(st, 2));
			cJSON_AddItemToArray(events, e);
		}
		sqlite3_reset(st);
		if (rc < 0)
			goto fail;
	}
	*out = root;
	return E_OK;
fail:
	cJSON_Delete(root);
	return E_DB;
}
