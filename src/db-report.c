/* db-report.c: the queries behind status and trace. */
#include "db-report.h"

#include <stdlib.h>
#include <string.h>

#include "dbint.h"
#include "err.h"
#include "json.h"
#include "util.h"

cJSON *db_row_object(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	int n = sqlite3_column_count(st);
	for (int i = 0; i < n; i++) {
		const char *name = sqlite3_column_name(st, i);
		size_t len = strlen(name);
		cJSON *v;
		switch (sqlite3_column_type(st, i)) {
		case SQLITE_NULL:
			v = cJSON_CreateNull();
			break;
		case SQLITE_INTEGER:
		case SQLITE_FLOAT:
			v = cJSON_CreateNumber(sqlite3_column_double(st, i));
			break;
		default:
			if (len > 5 && !strcmp(name + len - 5, "_json")) {
				char *key = xstrndup(name, len - 5);
				cJSON_AddItemToObject(o, key, cJSON_Parse(db_col_str(st, i)));
				free(key);
				continue;
			}
			v = cJSON_CreateString(db_col_str(st, i));
		}
		cJSON_AddItemToObject(o, name, v);
	}
	return o;
}

int db_rows_into(struct db *db, sqlite3_stmt *st, cJSON *array)
{
	int rc;
	while ((rc = db_step(db, st)) == SQLITE_ROW)
		cJSON_AddItemToArray(array, db_row_object(st));
	sqlite3_reset(st);
	return rc < 0 ? E_DB : E_OK;
}

int db_report_run_counts(struct db *db, const struct scope *scope, struct run_counts *out)
{
	static const char SQL[] =
		"SELECT count(*) FILTER (WHERE status = 'running'), count(*) FILTER (WHERE status = 'completed'), "
		"count(*) FILTER (WHERE status = 'failed') FROM workflow_runs "
		"WHERE (?1 = 0 OR workflow_id = ?1) AND (?2 = 0 OR workflow_run_id = ?2)";
	static const char RETRY[] =
		"SELECT count(*) FROM interactions i JOIN workflow_runs r ON r.workflow_run_id = i.workflow_run_id "
		"WHERE i.status = 'pending' AND i.attempts > 0 AND (?1 = 0 OR r.workflow_id = ?1) "
		"AND (?2 = 0 OR r.workflow_run_id = ?2)";
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
	if (rc < 0 || !(st = db_prepare(db, RETRY)))
		return E_DB;
	db_bind_int(st, 1, scope ? scope->workflow_id : 0);
	db_bind_int(st, 2, scope ? scope->run_id : 0);
	if ((rc = db_step(db, st)) == SQLITE_ROW)
		out->retry_waiting = (long)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc < 0 ? E_DB : E_OK;
}

struct error_group {
	char *shape;          /* the failure class and the message's text_shape */
	const cJSON *example; /* the most frequent message of the group */
	double count;
	int variants;
};

static int by_count(const void *a, const void *b)
{
	const struct error_group *x = a, *y = b;
	return x->count < y->count ? 1 : x->count > y->count ? -1 : strcmp(x->shape, y->shape);
}

/* Every distinct error, messages that differ only in numbers (ids, ports,
 * sizes) as one: {message (one line), failure_class, count, variants}, the
 * most frequent first. rows: {message, failure_class, count}, by count. */
static void group_errors(const cJSON *rows, cJSON *into)
{
	size_t n = 0, cap = (size_t)cJSON_GetArraySize(rows);
	struct error_group *g = xcalloc(cap ? cap : 1, sizeof *g);
	const cJSON *row;
	cJSON_ArrayForEach(row, rows) {
		char *msg = text_shape(json_text(row, "message"), 300);
		char *shape = xasprintf("%s\037%s", json_text(row, "failure_class"), msg);
		free(msg);
		size_t i = 0;
		while (i < n && strcmp(g[i].shape, shape))
			i++;
		if (i == n) {
			g[n++] = (struct error_group){ shape, row, 0, 0 };
		} else {
			free(shape);
		}
		g[i].count += json_num(row, "count");
		g[i].variants++;
	}
	qsort(g, n, sizeof *g, by_count);
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		char *line = text_one_line(json_text(g[i].example, "message"), 300);
		cJSON_AddStringToObject(o, "message", line);
		free(line);
		cJSON_AddItemToObject(o, "failure_class", cJSON_Duplicate(cJSON_GetObjectItem(g[i].example, "failure_class"), 1));
		cJSON_AddNumberToObject(o, "count", g[i].count);
		cJSON_AddNumberToObject(o, "variants", g[i].variants);
		cJSON_AddItemToArray(into, o);
		free(g[i].shape);
	}
	free(g);
}

/* The steps of workflow (limited to run when run != 0), in workflow order,
 * each with its errors. */
static int steps(struct db *db, long workflow, long run, cJSON *into)
{
	static const char SQL[] =
		"SELECT i.conversation_id AS conversation_id, c.conversation_name AS name, a.actor_name AS actor, "
		"count(*) FILTER (WHERE i.status = 'pending') AS pending, "
		"count(*) FILTER (WHERE i.status = 'waiting') AS waiting, "
		"count(*) FILTER (WHERE i.status = 'running') AS running, "
		"count(*) FILTER (WHERE i.status = 'completed') AS completed, "
		"count(*) FILTER (WHERE i.status = 'failed') AS failed, coalesce(sum(i.attempts), 0) AS attempts, "
		"(SELECT count(*) FROM interaction_events e JOIN interactions j USING (interaction_id) "
		"  JOIN workflow_runs q ON q.workflow_run_id = j.workflow_run_id "
		"  WHERE j.conversation_id = i.conversation_id AND q.workflow_id = ?1 AND (?2 = 0 OR q.workflow_run_id = ?2) "
		"  AND e.event_type = 'interaction_retried') AS retries, "
		"(SELECT count(*) FROM interaction_events e JOIN interactions j USING (interaction_id) "
		"  JOIN workflow_runs q ON q.workflow_run_id = j.workflow_run_id "
		"  WHERE j.conversation_id = i.conversation_id AND q.workflow_id = ?1 AND (?2 = 0 OR q.workflow_run_id = ?2) "
		"  AND e.event_type = 'no_rule_matched') AS no_rule_matched, "
		"sum(i.prompt_tokens) AS prompt_tokens, sum(i.output_tokens) AS output_tokens, "
		"avg(i.duration_ms) AS avg_duration_ms, sum(i.load_duration_ms) AS load_ms "
		"FROM interactions i JOIN workflow_runs r ON r.workflow_run_id = i.workflow_run_id "
		"JOIN conversations c ON c.conversation_id = i.conversation_id "
		"JOIN actors a ON a.actor_id = i.actor_id "
		"LEFT JOIN workflow_conversations wc ON wc.workflow_id = r.workflow_id "
		"  AND wc.conversation_id = i.conversation_id "
		"WHERE r.workflow_id = ?1 AND (?2 = 0 OR i.workflow_run_id = ?2) "
		"GROUP BY i.conversation_id ORDER BY min(coalesce(wc.execution_order, 1e9)), i.conversation_id";
	static const char ERRORS[] =
		"SELECT i.error_message AS message, i.failure_class AS failure_class, count(*) AS count "
		"FROM interactions i JOIN workflow_runs r ON r.workflow_run_id = i.workflow_run_id "
		"WHERE r.workflow_id = ?1 AND (?2 = 0 OR i.workflow_run_id = ?2) AND i.conversation_id = ?3 "
		"AND i.error_message IS NOT NULL GROUP BY i.failure_class, i.error_message "
		"ORDER BY count(*) DESC, i.error_message";
	sqlite3_stmt *st = db_prepare(db, SQL);
	if (!st)
		return E_DB;
	db_bind_int(st, 1, workflow);
	db_bind_int(st, 2, run);
	int rc = db_rows_into(db, st, into);
	cJSON *step;
	cJSON_ArrayForEach(step, into) {
		if (rc || !(st = db_prepare(db, ERRORS)))
			return E_DB;
		db_bind_int(st, 1, workflow);
		db_bind_int(st, 2, run);
		db_bind_int(st, 3, (int64_t)json_num(step, "conversation_id"));
		cJSON *rows = cJSON_CreateArray();
		if (!(rc = db_rows_into(db, st, rows)))
			group_errors(rows, cJSON_AddArrayToObject(step, "errors"));
		cJSON_Delete(rows);
	}
	return rc;
}

/* Model usage of workflow (0: any) or of run (0: all), per model and backend. */
static int models(struct db *db, long workflow, long run, cJSON *into)
{
	static const char SQL[] =
		"SELECT i.model AS model, i.backend AS backend, count(*) AS calls, sum(i.prompt_tokens) AS prompt_tokens, "
		"sum(i.output_tokens) AS output_tokens, sum(i.duration_ms) AS duration_ms, "
		"sum(i.load_duration_ms) AS load_ms, count(*) FILTER (WHERE i.load_duration_ms > 500) AS loads "
		"FROM interactions i JOIN workflow_runs r ON r.workflow_run_id = i.workflow_run_id "
		"WHERE i.model IS NOT NULL AND (?1 = 0 OR r.workflow_id = ?1) AND (?2 = 0 OR i.workflow_run_id = ?2) "
		"GROUP BY i.model, i.backend ORDER BY i.model, i.backend";
	sqlite3_stmt *st = db_prepare(db, SQL);
	if (!st)
		return E_DB;
	db_bind_int(st, 1, workflow);
	db_bind_int(st, 2, run);
	return db_rows_into(db, st, into);
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
		"SELECT r.workflow_run_id AS run_id, r.posting_id AS posting_id, p.job_title AS job_title, "
		"r.status_detail AS reason FROM workflow_runs r "
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
		long id = (long)json_num(w, "workflow_id");
		if (steps(db, id, 0, cJSON_AddArrayToObject(w, "steps")) ||
		    models(db, id, 0, cJSON_AddArrayToObject(w, "models")))
			goto fail;
		st = db_prepare(db, FAILED);
		if (!st)
			goto fail;
		db_bind_int(st, 1, id);
		if (db_rows_into(db, st, cJSON_AddArrayToObject(w, "failed_runs")))
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
		"SELECT r.workflow_run_id AS run_id, r.workflow_id AS workflow_id, w.workflow_name AS workflow_name, "
		"r.posting_id AS posting_id, p.job_title AS job_title, p.external_job_id AS external_job_id, "
		"r.status AS status, r.status_detail AS reason, r.started_at AS started_at, "
		"r.completed_at AS completed_at, r.params AS params_json, "
		"(SELECT min(x.parent_interaction_id) FROM interactions s JOIN interaction_parents x "
		"  ON x.interaction_id = s.interaction_id JOIN interactions pi ON pi.interaction_id = x.parent_interaction_id "
		"  WHERE s.workflow_run_id = r.workflow_run_id AND pi.workflow_run_id <> r.workflow_run_id) "
		"  AS started_by_interaction_id "
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
		o = db_row_object(st);
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
	long wf = (long)json_num(run, "workflow_id");
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
		"SELECT i.interaction_id AS interaction_id, i.execution_order AS execution_order, "
		"i.conversation_id AS conversation_id, c.conversation_name AS name, a.actor_name AS actor, "
		"i.model AS model, i.status AS status, i.attempts AS attempts, i.duration_ms AS duration_ms, "
		"i.via_rule_id AS via_rule_id, s.branch_condition AS via_condition, i.input AS input, "
		"i.output AS output, i.error_message AS error, i.failure_class AS failure_class, "
		"i.branch_text AS branch_text, i.prompt_tokens AS prompt_tokens, i.output_tokens AS output_tokens, "
		"i.load_duration_ms AS load_ms, i.created_at AS created_at, i.completed_at AS completed_at, "
		"i.backend AS backend, i.done_reason AS done_reason, i.started_at AS started_at, "
		"CASE WHEN i.status = 'running' THEN CAST((julianday('now') - julianday(i.started_at)) * 86400000 AS INTEGER) "
		"END AS running_ms "
		"FROM interactions i JOIN conversations c ON c.conversation_id = i.conversation_id "
		"JOIN actors a ON a.actor_id = i.actor_id "
		"LEFT JOIN instruction_steps s ON s.instruction_step_id = i.via_rule_id "
		"WHERE i.workflow_run_id = ?1 ORDER BY i.execution_order, i.interaction_id";
	static const char PARENTS[] =
		"SELECT parent_interaction_id FROM interaction_parents WHERE interaction_id = ?1 "
		"ORDER BY parent_interaction_id";
	static const char EVENTS[] =
		"SELECT event_type AS type, event_data AS data_json, event_timestamp AS at FROM interaction_events "
		"WHERE interaction_id = ?1 ORDER BY event_id";
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
	if (db_rows_into(db, st, items))
		goto fail;
	cJSON *o;
	cJSON_ArrayForEach(o, items) {
		long id = (long)json_num(o, "interaction_id");
		long *parents;
		size_t n;
		if (!(st = db_prepare(db, PARENTS)))
			goto fail;
		db_bind_int(st, 1, id);
		if (db_collect_ids(db, st, &parents, &n))
			goto fail;
		cJSON *list = cJSON_AddArrayToObject(o, "parents");
		for (size_t i = 0; i < n; i++)
			cJSON_AddItemToArray(list, cJSON_CreateNumber((double)parents[i]));
		free(parents);
		if (!(st = db_prepare(db, EVENTS)))
			goto fail;
		db_bind_int(st, 1, id);
		if (db_rows_into(db, st, cJSON_AddArrayToObject(o, "events")))
			goto fail;
	}
	*out = root;
	return E_OK;
fail:
	cJSON_Delete(root);
	return E_DB;
}
