/* db-runs.c: workflow runs, interactions, parents and events. */
#include "db-runs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db-texts.h"
#include "dbint.h"
#include "err.h"
#include "json.h"
#include "util.h"

int db_run_create(struct db *db, long workflow_id, long posting_id, const char *params_json,
		  const char *created_by, long *run_id)
{
	static const char SQL[] =
		"INSERT INTO workflow_runs (workflow_id, posting_id, status, params, created_by, started_at, "
		"updated_at) VALUES (?1, ?2, 'running', ?3, ?4, ?5, ?5)";
	char now[32];
	iso_now(now);
	if (db_do(db, SQL, "LlTTT", workflow_id, posting_id, params_json ? params_json : "{}", created_by, now))
		return err_wrap(E_DB, "creating a run of workflow %ld", workflow_id);
	*run_id = (long)sqlite3_last_insert_rowid(db->sql);
	return E_OK;
}

/* The first run of workflow for posting with status, or 0. */
static int run_for(struct db *db, long workflow_id, long posting_id, const char *status, long *run_id)
{
	static const char SQL[] =
		"SELECT workflow_run_id FROM workflow_runs WHERE workflow_id = ?1 AND posting_id IS ?2 "
		"AND status = ?3 ORDER BY workflow_run_id LIMIT 1";
	*run_id = 0;
	return db_get(db, SQL, "LlT", "L", workflow_id, posting_id, status, run_id) < 0 ? E_DB : E_OK;
}

int db_run_active_for(struct db *db, long workflow_id, long posting_id, long *run_id)
{
	return run_for(db, workflow_id, posting_id, "running", run_id);
}

int db_run_completed_for(struct db *db, long workflow_id, long posting_id, long *run_id)
{
	return run_for(db, workflow_id, posting_id, "completed", run_id);
}

static int row_exists(struct db *db, const char *sql, long id, int *found)
{
	int rc = db_get(db, sql, "L", "", id);
	*found = rc == SQLITE_ROW;
	return rc < 0 ? E_DB : E_OK;
}

int db_scope_check(struct db *db, const struct scope *scope)
{
	int found = 1, rc = E_OK;
	if (scope->run_id &&
	    !(rc = row_exists(db, "SELECT 1 FROM workflow_runs WHERE workflow_run_id = ?1", scope->run_id, &found)) &&
	    !found)
		return err_set(E_INPUT, "there is no run %ld", scope->run_id);
	if (!rc && scope->workflow_id &&
	    !(rc = row_exists(db, "SELECT 1 FROM workflows WHERE workflow_id = ?1", scope->workflow_id, &found)) &&
	    !found)
		return err_set(E_INPUT, "there is no workflow %ld", scope->workflow_id);
	return rc;
}

/* Why a run that cannot move failed, in words; NULL if it did not (caller frees). */
static int failure_reason(struct db *db, long run_id, long waiting, char **reason)
{
	static const char FAILED[] =
		"SELECT i.conversation_id, c.conversation_name, i.error_message, min(i.interaction_id) FROM interactions i "
		"JOIN conversations c USING (conversation_id) WHERE i.workflow_run_id = ?1 AND i.status = 'failed' "
		"HAVING count(*) > 0";
	static const char NO_MATCH[] =
		"SELECT i.conversation_id, c.conversation_name, stored_text(i.branch_text, i.output), "
		"min(i.interaction_id) FROM interactions i "
		"JOIN conversations c USING (conversation_id) JOIN interaction_events e USING (interaction_id) "
		"WHERE i.workflow_run_id = ?1 AND e.event_type = 'no_rule_matched' HAVING count(*) > 0";
	static const char WAITING[] =
		"SELECT i.conversation_id, c.conversation_name, min(i.interaction_id) FROM interactions i "
		"JOIN conversations c USING (conversation_id) WHERE i.workflow_run_id = ?1 AND i.status = 'waiting' "
		"HAVING count(*) > 0";
	/* The first row by interaction_id: min() picks the row whose other columns
	 * are returned (SQLite's bare columns), without sorting the run's rows. */
	long conv = 0;
	char *name = NULL, *text = NULL;
	*reason = NULL;
	int rc = db_get(db, FAILED, "L", "LTT", run_id, &conv, &name, &text);
	if (rc == SQLITE_ROW) {
		char *err = utf8_shorten(text ? text : "", 300);
		*reason = xasprintf("conversation %ld '%s' failed: %s", conv, name ? name : "", err);
		free(err);
	} else if (rc == SQLITE_DONE) {
		rc = db_get(db, NO_MATCH, "L", "LTT", run_id, &conv, &name, &text);
		if (rc == SQLITE_ROW) {
			char *shown = text_one_line(text ? text : "", 60);
			*reason = xasprintf("no rule matched after conversation %ld '%s' (it answered: %s)", conv,
					    name ? name : "", shown);
			free(shown);
		}
	}
	if (rc == SQLITE_DONE && waiting) {
		rc = db_get(db, WAITING, "L", "LT", run_id, &conv, &name);
		if (rc == SQLITE_ROW)
			*reason = xasprintf("conversation %ld '%s' waited for a group that did not finish", conv,
					    name ? name : "");
	}
	free(name);
	free(text);
	return rc < 0 ? E_DB : E_OK;
}

int db_run_refresh(struct db *db, long run_id, const char **status)
{
	static const char COUNTS[] =
		"SELECT count(*) FILTER (WHERE status = 'pending' OR status = 'running'), "
		"count(*) FILTER (WHERE status = 'waiting') FROM interactions WHERE workflow_run_id = ?1";
	static const char UPDATE[] =
		"UPDATE workflow_runs SET status = ?2, status_detail = ?3, updated_at = ?4, "
		"completed_at = CASE WHEN ?2 = 'running' THEN NULL ELSE coalesce(completed_at, ?4) END "
		"WHERE workflow_run_id = ?1 AND (status IS NOT ?2 OR status_detail IS NOT ?3)";
	long active = 0, waiting = 0;
	if (db_get(db, COUNTS, "L", "LL", run_id, &active, &waiting) != SQLITE_ROW)
		return E_DB;
	char *reason = NULL;
	const char *s = "running";
	if (!active) {
		if (failure_reason(db, run_id, waiting, &reason))
			return E_DB;
		s = reason ? "failed" : "completed";
	}
	char now[32];
	iso_now(now);
	int rc = db_do(db, UPDATE, "LTTT", run_id, s, reason, now);
	free(reason);
	if (status)
		*status = s;
	return rc;
}

int db_event_add(struct db *db, long interaction_id, const char *type, const char *data)
{
	static const char SQL[] =
		"INSERT INTO interaction_events (interaction_id, event_type, event_data, event_timestamp) "
		"VALUES (?1, ?2, ?3, ?4)";
	char now[32];
	iso_now(now);
	return db_do(db, SQL, "LTTT", interaction_id, type, data ? data : "{}", now)
		       ? err_wrap(E_DB, "recording event %s of interaction %ld", type, interaction_id)
		       : E_OK;
}

int db_parent_add(struct db *db, long id, long parent)
{
	static const char SQL[] =
		"INSERT OR IGNORE INTO interaction_parents (interaction_id, parent_interaction_id) VALUES (?1, ?2)";
	return db_do(db, SQL, "LL", id, parent);
}

int db_interaction_create(struct db *db, const struct new_interaction *ni, long *id)
{
	static const char SQL[] =
		"INSERT INTO interactions (workflow_run_id, posting_id, conversation_id, actor_id, status, "
		"execution_order, via_rule_id, input, error_message, failure_class, max_attempts, not_before, "
		"created_at, completed_at) VALUES (?1, ?2, ?3, ?4, ?5, "
		"(SELECT coalesce(max(execution_order), 0) + 1 FROM interactions WHERE workflow_run_id = ?1), "
		"?6, ?7, ?8, ?9, ?10, ?11, ?11, CASE WHEN ?5 = 'failed' THEN ?11 END)";
	char now[32];
	iso_now(now);
	unsigned char *recipe;
	size_t len;
	if (db_texts_pack(db, ni->input, ni->cuts, ni->ncuts, &recipe, &len))
		return E_DB;
	sqlite3_stmt *st = db_bound(db, SQL, "LlLLTlTTTiT", ni->run_id, ni->posting_id, ni->conversation_id,
				    ni->actor_id, ni->status, ni->via_rule_id, ni->input, ni->error,
				    ni->failure_class, ni->max_attempts, now);
	if (st && recipe)
		sqlite3_bind_blob(st, 7, recipe, (int)len, SQLITE_STATIC);
	int rc = st ? db_run(db, st) : E_DB;
	free(recipe);
	if (rc)
		return err_wrap(E_DB, "creating an interaction of conversation %ld", ni->conversation_id);
	*id = (long)sqlite3_last_insert_rowid(db->sql);
	for (size_t i = 0; !rc && i < ni->nparents; i++)
		rc = db_parent_add(db, *id, ni->parents[i]);
	if (!rc)
		rc = db_event_add(db, *id, "interaction_created", ni->event_data);
	if (!rc && !strcmp(ni->status, "failed")) {
		cJSON *d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "error", ni->error ? ni->error : "");
		cJSON_AddStringToObject(d, "failure_class", ni->failure_class ? ni->failure_class : "");
		cJSON_AddFalseToObject(d, "will_retry");
		char *data = json_print(d);
		cJSON_Delete(d);
		rc = db_event_add(db, *id, "interaction_failed", data);
		free(data);
	}
	return rc;
}

void db_ready_release(struct ready *r)
{
	free(r->input);
	free(r->params);
	memset(r, 0, sizeof *r);
}

/* Reads up to max - *n ready rows of one kind into out + *n: those of the
 * actors in later (a JSON array) when take_later, else all others. */
static int ready_rows(struct db *db, const struct scope *scope, const char *now, const char *later,
		      int take_later, size_t max, struct ready *out, size_t *n)
{
	/* Keys only: the engine reads the input of the few it runs (db_ready_load),
	 * not every pending prompt each round. The pending rows are walked in the
	 * order of their index (schema 0002), oldest run first, so that SQLite stops
	 * at the limit instead of sorting them all; the index's condition is
	 * repeated so that SQLite sees it applies. CROSS JOIN fixes the join order:
	 * left to itself, SQLite 3.40 starts from the running runs (all of them, on
	 * a large backlog) and sorts their pending rows in a temporary b-tree every
	 * round. Scoped to one run, its rows are sought instead. tests/t-plans.sh
	 * pins both plans. */
	static const char ALL[] =
		"SELECT i.interaction_id, i.workflow_run_id, r.workflow_id, i.posting_id, i.conversation_id, "
		"i.attempts, i.max_attempts FROM interactions i INDEXED BY interactions_pending "
		"CROSS JOIN workflow_runs r ON r.workflow_run_id = i.workflow_run_id "
		"WHERE i.status = 'pending' AND i.not_before <= ?1 AND r.status = 'running' "
		"AND (?2 = 0 OR r.workflow_id = ?2) "
		"AND (i.actor_id IN (SELECT value FROM json_each(?5))) = ?6 "
		"ORDER BY i.workflow_run_id, i.interaction_id LIMIT ?4";
	static const char ONE_RUN[] =
		"SELECT i.interaction_id, i.workflow_run_id, r.workflow_id, i.posting_id, i.conversation_id, "
		"i.attempts, i.max_attempts FROM interactions i INDEXED BY interactions_pending "
		"CROSS JOIN workflow_runs r ON r.workflow_run_id = i.workflow_run_id "
		"WHERE i.status = 'pending' AND i.workflow_run_id = ?3 AND i.not_before <= ?1 "
		"AND r.status = 'running' AND (?2 = 0 OR r.workflow_id = ?2) "
		"AND (i.actor_id IN (SELECT value FROM json_each(?5))) = ?6 "
		"ORDER BY i.interaction_id LIMIT ?4";
	const char *SQL = scope && scope->run_id ? ONE_RUN : ALL;
	sqlite3_stmt *st = db_prepare(db, SQL);
	if (!st)
		return E_DB;
	db_bind_text(st, 1, now);
	db_bind_int(st, 2, scope ? scope->workflow_id : 0);
	db_bind_int(st, 3, scope ? scope->run_id : 0);
	db_bind_int(st, 4, (int64_t)(max - *n));
	db_bind_text(st, 5, later ? later : "[]");
	db_bind_int(st, 6, take_later);
	int rc;
	while ((rc = db_step(db, st)) == SQLITE_ROW) {
		struct ready *r = &out[(*n)++];
		memset(r, 0, sizeof *r);
		r->id = (long)sqlite3_column_int64(st, 0);
		r->run_id = (long)sqlite3_column_int64(st, 1);
		r->workflow_id = (long)sqlite3_column_int64(st, 2);
		r->posting_id = (long)sqlite3_column_int64(st, 3);
		r->conversation_id = (long)sqlite3_column_int64(st, 4);
		r->attempts = sqlite3_column_int(st, 5);
		r->max_attempts = sqlite3_column_int(st, 6);
	}
	sqlite3_reset(st);
	return rc < 0 ? E_DB : E_OK;
}

int db_ready(struct db *db, const struct scope *scope, const char *now, const char *later_actors, size_t max,
	     struct ready *out, size_t *n)
{
	*n = 0;
	int rc = ready_rows(db, scope, now, later_actors, 0, max, out, n);
	if (!rc && later_actors && *n < max)
		rc = ready_rows(db, scope, now, later_actors, 1, max, out, n);
	return rc;
}

int db_ready_load(struct db *db, struct ready *r)
{
	static const char SQL[] =
		"SELECT stored_text(i.input), w.params FROM interactions i "
		"JOIN workflow_runs w ON w.workflow_run_id = i.workflow_run_id WHERE i.interaction_id = ?1";
	char *input = NULL, *params = NULL;
	int rc = db_get(db, SQL, "L", "TT", r->id, &input, &params);
	if (rc == SQLITE_ROW) {
		free(r->input);
		free(r->params);
		r->input = input;
		r->params = params;
	}
	return rc < 0 ? E_DB : E_OK;
}

int db_next_due(struct db *db, const struct scope *scope, char out[32])
{
	/* The first pending row in not_before order whose run is running: a walk
	 * of interactions_ready that stops there (min() over the join would visit
	 * every pending row). */
	static const char SQL[] =
		"SELECT i.not_before FROM interactions i INDEXED BY interactions_ready "
		"CROSS JOIN workflow_runs r ON r.workflow_run_id = i.workflow_run_id "
		"WHERE i.status = 'pending' AND r.status = 'running' "
		"AND (?1 = 0 OR r.workflow_id = ?1) AND (?2 = 0 OR i.workflow_run_id = ?2) "
		"ORDER BY i.not_before LIMIT 1";
	out[0] = '\0';
	char *due = NULL;
	int rc = db_get(db, SQL, "LL", "T", scope ? scope->workflow_id : 0, scope ? scope->run_id : 0, &due);
	if (due)
		snprintf(out, 32, "%s", due);
	free(due);
	return rc < 0 ? E_DB : E_OK;
}

int db_interaction_claim(struct db *db, long id, const char *owner, const char *lease_until, int attempts,
			 int *claimed)
{
	static const char SQL[] =
		"UPDATE interactions SET status = 'running', attempts = attempts + 1, started_at = ?2, "
		"lease_owner = ?3, lease_expires_at = ?4 WHERE interaction_id = ?1 AND status = 'pending' "
		"AND attempts = ?5";
	char now[32];
	iso_now(now);
	int rc = db_do(db, SQL, "LTTTi", id, now, owner, lease_until, attempts);
	*claimed = !rc && sqlite3_changes(db->sql) == 1;
	if (!rc && *claimed) {
		cJSON *d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "owner", owner);
		cJSON_AddNumberToObject(d, "attempt", attempts + 1);
		char *data = json_print(d);
		cJSON_Delete(d);
		rc = db_event_add(db, id, "interaction_started", data);
		free(data);
	}
	return rc;
}

int db_leases_renew(struct db *db, const char *owner, const char *lease_until, long *renewed)
{
	static const char SQL[] =
		"UPDATE interactions SET lease_expires_at = ?2 WHERE status = 'running' AND lease_owner = ?1";
	*renewed = 0;
	if (db_do(db, SQL, "TT", owner, lease_until))
		return err_wrap(E_DB, "renewing the leases of %s", owner);
	*renewed = (long)sqlite3_changes(db->sql);
	return E_OK;
}

int db_interaction_holds(struct db *db, long id, const struct fence *f, char **why)
{
	static const char SQL[] =
		"SELECT status, lease_owner, attempts FROM interactions WHERE interaction_id = ?1";
	*why = NULL;
	sqlite3_stmt *st = db_prepare(db, SQL);
	if (!st)
		return E_DB;
	db_bind_int(st, 1, id);
	int rc = db_step(db, st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		if (rc < 0)
			return E_DB;
		*why = xstrdup("the interaction no longer exists");
		return E_OK;
	}
	const char *status = db_col_str(st, 0);
	const char *owner = db_col_is_null(st, 1) ? NULL : db_col_str(st, 1);
	int attempts = sqlite3_column_int(st, 2);
	const char *want = f->owner ? "running" : "pending";
	if (!strcmp(status, "running") && owner && (!f->owner || strcmp(owner, f->owner)))
		*why = xasprintf("its lease was taken over: %s runs attempt %d now", owner, attempts);
	else if (!strcmp(status, "pending") && f->owner)
		*why = xasprintf("its lease was taken back: it is pending again after %d attempt%s", attempts,
				 attempts == 1 ? "" : "s");
	else if (strcmp(status, want))
		*why = xasprintf("it is %s now, after %d attempt%s", status, attempts, attempts == 1 ? "" : "s");
	else if (attempts != f->attempts)
		*why = xasprintf("it is in attempt %d now", attempts);
	else if (f->owner ? !owner || strcmp(owner, f->owner) : owner != NULL)
		*why = xasprintf("its lease is held by %s", owner ? owner : "no one");
	sqlite3_reset(st);
	return E_OK;
}

int db_attempt_discarded(struct db *db, long id, const struct fence *f, const char *outcome, const char *why)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "owner", f->owner ? f->owner : "");
	cJSON_AddNumberToObject(d, "attempt", f->attempts);
	cJSON_AddStringToObject(d, "outcome", outcome);
	cJSON_AddStringToObject(d, "why", why);
	char *data = json_print(d);
	cJSON_Delete(d);
	int rc = db_event_add(db, id, "attempt_discarded", data);
	free(data);
	return rc;
}

/* The fence's condition, appended to every update that ends an attempt; its
 * parameters are ?20 (owner) and ?21 (attempts). */
#define FENCED \
	" AND status = CASE WHEN ?20 IS NULL THEN 'pending' ELSE 'running' END " \
	"AND coalesce(lease_owner, '') = coalesce(?20, '') AND attempts = ?21"

static void bind_fence(sqlite3_stmt *st, const struct fence *f)
{
	db_bind_text(st, 20, f->owner);
	db_bind_int(st, 21, f->attempts);
}

/* Runs a fenced update: it must have changed the row (the caller checked the
 * fence in this transaction). */
static int run_fenced(struct db *db, sqlite3_stmt *st, long id, const struct fence *f)
{
	if (db_run(db, st))
		return E_DB;
	if (sqlite3_changes(db->sql) == 1)
		return E_OK;
	return err_set(E_DB, "interaction %ld: attempt %d%s%s ended after it stopped being current", id,
		       f->attempts, f->owner ? " of " : "", f->owner ? f->owner : "");
}

static void bind_record(sqlite3_stmt *st, const struct step_record *rec)
{
	/* Parameters ?3 .. ?13 carry the record. */
	db_bind_text(st, 3, rec ? rec->output : NULL);
	db_bind_text(st, 4, rec ? rec->branch_text : NULL);
	db_bind_opt_int(st, 5, rec ? rec->duration_ms : 0, rec != NULL);
	db_bind_text(st, 6, rec ? rec->backend : NULL);
	db_bind_text(st, 7, rec ? rec->model : NULL);
	db_bind_opt_int(st, 8, rec ? rec->prompt_tokens : 0, rec && rec->prompt_tokens >= 0);
	db_bind_opt_int(st, 9, rec ? rec->output_tokens : 0, rec && rec->output_tokens >= 0);
	if (rec && rec->total_ms >= 0)
		db_bind_double(st, 10, rec->total_ms);
	else
		sqlite3_bind_null(st, 10);
	if (rec && rec->load_ms >= 0)
		db_bind_double(st, 11, rec->load_ms);
	else
		sqlite3_bind_null(st, 11);
	if (rec && rec->eval_ms >= 0)
		db_bind_double(st, 12, rec->eval_ms);
	else
		sqlite3_bind_null(st, 12);
	db_bind_text(st, 13, rec ? rec->done_reason : NULL);
}

/* Ends the attempt of interaction id under fence f with its record: status
 * "completed" (error and failure_class NULL) or "failed". */
static int end_attempt(struct db *db, long id, const struct fence *f, const char *status,
		       const struct step_record *rec, int attempts, const char *error, const char *failure_class)
{
	static const char SQL[] =
		"UPDATE interactions SET status = ?17, output = ?3, "
		"branch_text = CASE WHEN ?4 = ?3 THEN x'' ELSE ?4 END, duration_ms = ?5, "
		"backend = ?6, model = ?7, prompt_tokens = ?8, output_tokens = ?9, total_duration_ms = ?10, "
		"load_duration_ms = ?11, eval_duration_ms = ?12, done_reason = ?13, completed_at = ?2, "
		"started_at = coalesce(started_at, ?2), attempts = ?14, error_message = ?15, failure_class = ?16, "
		"lease_owner = NULL, lease_expires_at = NULL WHERE interaction_id = ?1" FENCED;
	char now[32];
	iso_now(now);
	sqlite3_stmt *st = db_bound(db, SQL, "LT", id, now);
	if (!st)
		return E_DB;
	bind_record(st, rec);
	db_bind_int(st, 14, attempts);
	db_bind_text(st, 15, error);
	db_bind_text(st, 16, failure_class);
	db_bind_text(st, 17, status);
	bind_fence(st, f);
	return run_fenced(db, st, id, f);
}

int db_interaction_complete(struct db *db, long id, const struct fence *f, const struct step_record *rec,
			    int attempts)
{
	if (end_attempt(db, id, f, "completed", rec, attempts, NULL, NULL))
		return E_DB;
	cJSON *d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "duration_ms", (double)rec->duration_ms);
	if (rec->model)
		cJSON_AddStringToObject(d, "model", rec->model);
	if (rec->branch_text) {
		char *shown = utf8_shorten(rec->branch_text, 120);
		cJSON_AddStringToObject(d, "status", shown);
		free(shown);
	}
	if (rec->log)
		cJSON_AddStringToObject(d, "stderr", rec->log);
	char *data = json_print(d);
	cJSON_Delete(d);
	int rc = db_event_add(db, id, "interaction_completed", data);
	free(data);
	return rc;
}

static char *failure_data(const char *failure_class, const char *error, int attempts, int will_retry,
			  int64_t delay_ms, const char *log)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "error", error ? error : "");
	cJSON_AddStringToObject(d, "failure_class", failure_class ? failure_class : "");
	cJSON_AddNumberToObject(d, "attempts", attempts);
	cJSON_AddBoolToObject(d, "will_retry", will_retry);
	if (will_retry)
		cJSON_AddNumberToObject(d, "retry_in_ms", (double)delay_ms);
	if (log)
		cJSON_AddStringToObject(d, "stderr", log);
	char *data = json_print(d);
	cJSON_Delete(d);
	return data;
}

int db_interaction_fail(struct db *db, long id, const struct fence *f, const char *failure_class,
			const char *error, const struct step_record *rec, int attempts)
{
	if (end_attempt(db, id, f, "failed", rec, attempts, error, failure_class))
		return E_DB;
	char *data = failure_data(failure_class, error, attempts, 0, 0, rec ? rec->log : NULL);
	int rc = db_event_add(db, id, "interaction_failed", data);
	free(data);
	return rc;
}

int db_interaction_retry(struct db *db, long id, const struct fence *f, const char *failure_class,
			 const char *error, const char *not_before, int attempts, int64_t delay_ms, const char *log)
{
	static const char SQL[] =
		"UPDATE interactions SET status = 'pending', not_before = ?2, attempts = ?3, error_message = ?4, "
		"failure_class = ?5, lease_owner = NULL, lease_expires_at = NULL WHERE interaction_id = ?1" FENCED;
	sqlite3_stmt *st = db_bound(db, SQL, "LTiTT", id, not_before, attempts, error, failure_class);
	if (!st)
		return E_DB;
	bind_fence(st, f);
	if (run_fenced(db, st, id, f))
		return E_DB;
	char *data = failure_data(failure_class, error, attempts, 1, delay_ms, log);
	int rc = db_event_add(db, id, "interaction_retried", data);
	free(data);
	return rc;
}

int db_interaction_release(struct db *db, long id, const struct fence *f, const char *event_data)
{
	static const char SQL[] =
		"UPDATE interactions SET status = 'pending', attempts = max(attempts - 1, 0), lease_owner = NULL, "
		"lease_expires_at = NULL WHERE interaction_id = ?1" FENCED;
	sqlite3_stmt *st = db_bound(db, SQL, "L", id);
	if (!st)
		return E_DB;
	bind_fence(st, f);
	if (run_fenced(db, st, id, f))
		return E_DB;
	return db_event_add(db, id, "interaction_released", event_data ? event_data : "{\"reason\":\"interrupted\"}");
}

static char *ids_json(const long *ids, size_t n)
{
	struct buf b = BUF_INIT;
	buf_putc(&b, '[');
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%ld", i ? "," : "", ids[i]);
	buf_putc(&b, ']');
	return buf_detach(&b);
}

int db_ancestor_output(struct db *db, long run_id, const long *parents, size_t nparents, long conv,
		       char **output, int *found)
{
	/* The nearest ancestor, the latest of equals: the least depth * 2^40 - id
	 * (ids stay below 2^40), whose output min() returns without a sort. */
	static const char SQL[] =
		"WITH RECURSIVE anc(id, depth) AS ("
		" SELECT value, 1 FROM json_each(?1)"
		" UNION"
		" SELECT p.parent_interaction_id, anc.depth + 1 FROM anc"
		" JOIN interaction_parents p ON p.interaction_id = anc.id"
		" JOIN interactions x ON x.interaction_id = p.parent_interaction_id AND x.workflow_run_id = ?3"
		" WHERE anc.depth < 10000) "
		"SELECT i.output, min(anc.depth * 1099511627776 - i.interaction_id) "
		"FROM anc JOIN interactions i ON i.interaction_id = anc.id "
		"WHERE i.conversation_id = ?2 AND i.workflow_run_id = ?3 AND i.status = 'completed' "
		"HAVING count(*) > 0";
	*output = NULL;
	char *ids = ids_json(parents, nparents);
	int rc = db_get(db, SQL, "TLL", "T", ids, conv, run_id, output);
	free(ids);
	*found = rc == SQLITE_ROW;
	return rc < 0 ? E_DB : E_OK;
}

int db_parent_output(struct db *db, const long *parents, size_t nparents, char **output, int *found)
{
	static const char SQL[] = "SELECT output FROM interactions WHERE interaction_id = ?1";
	*output = NULL;
	*found = 0;
	if (!nparents)
		return E_OK;
	int rc = db_get(db, SQL, "L", "T", parents[0], output);
	*found = rc == SQLITE_ROW;
	return rc < 0 ? E_DB : E_OK;
}

int db_rule_fired(struct db *db, long run_id, long rule_id, long *count)
{
	static const char SQL[] =
		"SELECT count(*) FROM interactions WHERE workflow_run_id = ?1 AND via_rule_id = ?2";
	*count = 0;
	return db_get(db, SQL, "LL", "L", run_id, rule_id, count) < 0 ? E_DB : E_OK;
}

int db_waiting_for(struct db *db, long run_id, long conv, long *id)
{
	static const char SQL[] =
		"SELECT interaction_id FROM interactions WHERE workflow_run_id = ?1 AND conversation_id = ?2 "
		"AND status = 'waiting' ORDER BY interaction_id LIMIT 1";
	*id = 0;
	return db_get(db, SQL, "LL", "L", run_id, conv, id) < 0 ? E_DB : E_OK;
}

int db_latest_completed(struct db *db, long run_id, long conv, long *id)
{
	static const char SQL[] =
		"SELECT interaction_id FROM interactions WHERE workflow_run_id = ?1 AND conversation_id = ?2 "
		"AND status = 'completed' ORDER BY interaction_id DESC LIMIT 1";
	*id = 0;
	return db_get(db, SQL, "LL", "L", run_id, conv, id) < 0 ? E_DB : E_OK;
}

int db_parents(struct db *db, long id, long **parents, size_t *n)
{
	static const char SQL[] =
		"SELECT parent_interaction_id FROM interaction_parents WHERE interaction_id = ?1 "
		"ORDER BY parent_interaction_id";
	return db_ids(db, SQL, parents, n, "L", id);
}

int db_interaction_activate(struct db *db, long id, const char *input, const size_t *cuts, size_t ncuts,
			    const char *error)
{
	static const char SQL[] =
		"UPDATE interactions SET status = CASE WHEN ?3 IS NULL THEN 'pending' ELSE 'failed' END, "
		"input = ?2, error_message = ?3, failure_class = CASE WHEN ?3 IS NULL THEN NULL ELSE 'template' END, "
		"not_before = ?4, completed_at = CASE WHEN ?3 IS NULL THEN NULL ELSE ?4 END "
		"WHERE interaction_id = ?1 AND status = 'waiting'";
	char now[32];
	iso_now(now);
	unsigned char *recipe;
	size_t len;
	if (db_texts_pack(db, input, cuts, ncuts, &recipe, &len))
		return E_DB;
	sqlite3_stmt *st = db_bound(db, SQL, "LTTT", id, input, error, now);
	if (st && recipe)
		sqlite3_bind_blob(st, 2, recipe, (int)len, SQLITE_STATIC);
	int rc = st ? db_run(db, st) : E_DB;
	free(recipe);
	if (rc)
		return E_DB;
	if (!error)
		return E_OK;
	char *data = failure_data("template", error, 0, 0, 0, NULL);
	rc = db_event_add(db, id, "interaction_failed", data);
	free(data);
	return rc;
}

int db_recover_leases(struct db *db, const char *now, owner_alive_fn alive, long *recovered)
{
	static const char LIST[] =
		"SELECT interaction_id, lease_owner, lease_expires_at, attempts, max_attempts FROM interactions "
		"WHERE status = 'running'";
	static const char RESET[] =
		"UPDATE interactions SET status = 'pending', not_before = ?2, lease_owner = NULL, "
		"lease_expires_at = NULL WHERE interaction_id = ?1 AND status = 'running'";
	*recovered = 0;
	sqlite3_stmt *st = db_prepare(db, LIST);
	if (!st)
		return E_DB;
	struct lost {
		long id;
		int attempts, max_attempts;
		char *owner;
	} *lost = NULL;
	size_t n = 0;
	int rc;
	while ((rc = db_step(db, st)) == SQLITE_ROW) {
		const char *owner = db_col_str(st, 1);
		const char *expires = db_col_str(st, 2);
		if (strcmp(expires, now) > 0 && alive(owner))
			continue;
		lost = xreallocarray(lost, n + 1, sizeof *lost);
		lost[n].id = (long)sqlite3_column_int64(st, 0);
		lost[n].attempts = sqlite3_column_int(st, 3);
		lost[n].max_attempts = sqlite3_column_int(st, 4);
		lost[n].owner = xstrdup(owner);
		n++;
	}
	sqlite3_reset(st);
	rc = rc < 0 ? E_DB : E_OK;
	for (size_t i = 0; !rc && i < n; i++) {
		cJSON *d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "owner", lost[i].owner);
		cJSON_AddNumberToObject(d, "attempts", lost[i].attempts);
		char *data = json_print(d);
		cJSON_Delete(d);
		rc = db_event_add(db, lost[i].id, "lease_expired", data);
		free(data);
		if (rc)
			break;
		if (lost[i].attempts >= lost[i].max_attempts) {
			char *error = xasprintf("the process running it (%s) stopped during its last attempt (%d of %d)",
						lost[i].owner, lost[i].attempts, lost[i].max_attempts);
			struct fence f = { lost[i].owner, lost[i].attempts };
			rc = db_interaction_fail(db, lost[i].id, &f, "lease_expired", error, NULL, lost[i].attempts);
			free(error);
		} else {
			st = db_prepare(db, RESET);
			if (!st) {
				rc = E_DB;
				break;
			}
			db_bind_int(st, 1, lost[i].id);
			db_bind_text(st, 2, now);
			rc = db_run(db, st);
		}
		(*recovered)++;
	}
	for (size_t i = 0; i < n; i++)
		free(lost[i].owner);
	free(lost);
	return rc;
}
