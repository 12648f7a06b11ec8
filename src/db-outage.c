/* db-outage.c: model-server outages and run --retry-failed (db-outage.h). */
#include "db-outage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbint.h"
#include "err.h"
#include "json.h"
#include "util.h"

int db_next_due_except(struct db *db, const struct scope *scope, const char *except_actors, const char *now,
		       char out[32])
{
	/* A walk of interactions_ready in not_before order that stops at the first
	 * match (min() over the join visited every pending row). */
	static const char SQL[] =
		"SELECT i.not_before FROM interactions i INDEXED BY interactions_ready "
		"CROSS JOIN workflow_runs r ON r.workflow_run_id = i.workflow_run_id "
		"WHERE i.status = 'pending' AND r.status = 'running' "
		"AND (?1 = 0 OR r.workflow_id = ?1) AND (?2 = 0 OR i.workflow_run_id = ?2) "
		"AND NOT (i.not_before <= ?4 AND i.actor_id IN (SELECT value FROM json_each(?3))) "
		"ORDER BY i.not_before LIMIT 1";
	char *due = NULL;
	int rc = db_get(db, SQL, "LLTT", "T", scope ? scope->workflow_id : 0, scope ? scope->run_id : 0,
			except_actors ? except_actors : "[]", now, &due);
	snprintf(out, 32, "%s", due ? due : "");
	free(due);
	return rc < 0 ? E_DB : E_OK;
}

int db_count_pending_of(struct db *db, const struct scope *scope, const char *actors, long *count)
{
	static const char SQL[] =
		"SELECT count(*) FROM interactions i JOIN workflow_runs r USING (workflow_run_id) "
		"WHERE i.status = 'pending' AND r.status = 'running' "
		"AND (?1 = 0 OR r.workflow_id = ?1) AND (?2 = 0 OR i.workflow_run_id = ?2) "
		"AND i.actor_id IN (SELECT value FROM json_each(?3))";
	*count = 0;
	return db_get(db, SQL, "LLT", "L", scope ? scope->workflow_id : 0, scope ? scope->run_id : 0,
		      actors ? actors : "[]", count) < 0 ? E_DB : E_OK;
}

int db_scope_workflows(struct db *db, const struct scope *scope, int include_failed, long **ids, size_t *n)
{
	static const char SQL[] =
		"SELECT DISTINCT workflow_id FROM workflow_runs WHERE (status = 'running' OR (?3 AND status = 'failed')) "
		"AND (?1 = 0 OR workflow_id = ?1) AND (?2 = 0 OR workflow_run_id = ?2) ORDER BY workflow_id";
	return db_ids(db, SQL, ids, n, "LLi", scope ? scope->workflow_id : 0, scope ? scope->run_id : 0,
		      include_failed != 0);
}

struct failed_row {
	long id, run_id;
	int attempts;
	char *failure_class, *error;
};

static void read_failed(sqlite3_stmt *st, void *item, size_t i)
{
	struct failed_row *r = item;
	db_columns(st, "LLiTT", &r->id, &r->run_id, &r->attempts, &r->failure_class, &r->error);
	(void)i;
}

int db_retry_failed(struct db *db, const struct scope *scope, const char *classes, long *count)
{
	static const char LIST[] =
		"SELECT i.interaction_id, i.workflow_run_id, i.attempts, i.failure_class, i.error_message "
		"FROM interactions i JOIN workflow_runs r USING (workflow_run_id) "
		"WHERE i.status = 'failed' AND i.failure_class IN (SELECT value FROM json_each(?3)) "
		"AND (?1 = 0 OR r.workflow_id = ?1) AND (?2 = 0 OR i.workflow_run_id = ?2) ORDER BY i.interaction_id";
	static const char RESET[] =
		"UPDATE interactions SET status = 'pending', attempts = 0, not_before = ?2, error_message = NULL, "
		"failure_class = NULL, output = NULL, branch_text = NULL, completed_at = NULL, lease_owner = NULL, "
		"lease_expires_at = NULL WHERE interaction_id = ?1 AND status = 'failed'";
	*count = 0;
	struct failed_row *rows = NULL;
	size_t n = 0;
	int rc = db_read_rows(db, LIST, &rows, &n, sizeof *rows, read_failed, "LLT", scope ? scope->workflow_id : 0,
			      scope ? scope->run_id : 0, classes);
	char now[32];
	iso_now(now);
	for (size_t i = 0; !rc && i < n; i++) {
		if ((rc = db_do(db, RESET, "LT", rows[i].id, now)))
			break;
		cJSON *d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "reason", "retry_failed");
		cJSON_AddStringToObject(d, "error", rows[i].error ? rows[i].error : "");
		cJSON_AddStringToObject(d, "failure_class", rows[i].failure_class ? rows[i].failure_class : "");
		cJSON_AddNumberToObject(d, "attempts", rows[i].attempts);
		cJSON_AddBoolToObject(d, "will_retry", 1);
		char *data = json_print(d);
		cJSON_Delete(d);
		rc = db_event_add(db, rows[i].id, "interaction_retried", data);
		free(data);
		/* Rows are in id order, so one run's come together mostly; a
		 * refresh is cheap and idempotent anyway. */
		if (!rc && (i + 1 == n || rows[i + 1].run_id != rows[i].run_id))
			rc = db_run_refresh(db, rows[i].run_id, NULL);
		if (!rc)
			(*count)++;
	}
	for (size_t i = 0; i < n; i++) {
		free(rows[i].failure_class);
		free(rows[i].error);
	}
	free(rows);
	return rc;
}
