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
				cJSON *parsed = cJSON_Parse(db_col_str(st, i));
				cJSON_AddItemToObject(o, key, parsed ? parsed : cJSON_CreateNull());
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

cJSON *db_row_one(struct db *db, sqlite3_stmt *st, const char *what, long id, int *rc)
{
	int s = db_step(db, st);
	cJSON *o = NULL;
	*rc = E_DB;
	if (s == SQLITE_ROW) {
		o = db_row_object(st);
		*rc = E_OK;
	} else if (s == SQLITE_DONE) {
		*rc = err_set(E_INPUT, "there is no %s %ld", what, id);
	}
	sqlite3_reset(st);
	return o;
}

/* Runs by state: of every run or a workflow's, as schema 0010 keeps them
 * counted; of one run, from its row. */
static int runs_by_state(struct db *db, long workflow, long run, struct run_counts *out)
{
	static const char COUNTED[] =
		"SELECT ifnull(sum(runs) FILTER (WHERE status = 'running'), 0), "
		"ifnull(sum(runs) FILTER (WHERE status = 'completed'), 0), "
		"ifnull(sum(runs) FILTER (WHERE status = 'failed'), 0) FROM status_runs "
		"WHERE (?1 = 0 OR workflow_id = ?1)";
	static const char OF_RUN[] =
		"SELECT status = 'running', status = 'completed', status = 'failed' FROM workflow_runs "
		"WHERE workflow_run_id = ?2 AND (?1 = 0 OR workflow_id = ?1)";
	memset(out, 0, sizeof *out);
	return db_get(db, run ? OF_RUN : COUNTED, "LL", "LLL", workflow, run, &out->running, &out->completed,
		      &out->failed) < 0 ? E_DB : E_OK;
}

int db_report_run_counts(struct db *db, const struct scope *scope, struct run_counts *out)
{
	static const char RETRY[] =
		"SELECT count(*) FROM interactions i JOIN workflow_runs r ON r.workflow_run_id = i.workflow_run_id "
		"WHERE i.status = 'pending' AND i.attempts > 0 AND (?1 = 0 OR r.workflow_id = ?1) "
		"AND (?2 = 0 OR r.workflow_run_id = ?2)";
	long workflow = scope ? scope->workflow_id : 0, run = scope ? scope->run_id : 0;
	if (runs_by_state(db, workflow, run, out))
		return E_DB;
	return db_get(db, RETRY, "LL", "L", workflow, run, &out->retry_waiting) < 0 ? E_DB : E_OK;
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

/* A number that may be SQL NULL, summed as SQL's sum() does. */
struct opt_sum {
	double v;
	int set;
};

static void opt_add(struct opt_sum *o, sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return;
	o->v += sqlite3_column_double(st, col);
	o->set = 1;
}

static void opt_put(cJSON *o, const char *key, const struct opt_sum *v)
{
	cJSON_AddItemToObject(o, key, v->set ? cJSON_CreateNumber(v->v) : cJSON_CreateNull());
}

struct step_acc {
	long conv, last_id;
	double count[5]; /* pending, waiting, running, completed, failed */
	double attempts, retries, dead_ends, duration_n;
	struct opt_sum prompt, output, duration, load;
};

struct model_acc {
	char *model, *backend; /* backend may be NULL */
	double calls, loads;
	struct opt_sum prompt, output, duration, load;
};

struct usage {
	struct step_acc *steps;
	size_t nsteps;
	struct model_acc *models;
	size_t nmodels;
};

static const char *const STATUSES[] = { "pending", "waiting", "running", "completed", "failed" };

static struct step_acc *step_of(struct usage *u, long conv)
{
	for (size_t i = 0; i < u->nsteps; i++)
		if (u->steps[i].conv == conv)
			return &u->steps[i];
	u->steps = xreallocarray(u->steps, u->nsteps + 1, sizeof *u->steps);
	u->steps[u->nsteps] = (struct step_acc){ .conv = conv };
	return &u->steps[u->nsteps++];
}

static int same_opt_str(const char *a, const char *b)
{
	return a && b ? !strcmp(a, b) : a == b;
}

static struct model_acc *model_of(struct usage *u, const char *model, const char *backend)
{
	for (size_t i = 0; i < u->nmodels; i++)
		if (!strcmp(u->models[i].model, model) && same_opt_str(u->models[i].backend, backend))
			return &u->models[i];
	u->models = xreallocarray(u->models, u->nmodels + 1, sizeof *u->models);
	u->models[u->nmodels] = (struct model_acc){ .model = xstrdup(model), .backend = backend ? xstrdup(backend) : NULL };
	return &u->models[u->nmodels++];
}

static void usage_free(struct usage *u)
{
	for (size_t i = 0; i < u->nmodels; i++) {
		free(u->models[i].model);
		free(u->models[i].backend);
	}
	free(u->models);
	free(u->steps);
}

/* Adds the usage rows of st to u: conversation, model, backend, status, how
 * many, attempts, tokens, duration (sum and how many have one), load time,
 * reloads, latest id. */
static int usage_add(struct db *db, sqlite3_stmt *st, struct usage *u)
{
	int rc;
	while ((rc = db_step(db, st)) == SQLITE_ROW) {
		struct step_acc *s = step_of(u, (long)sqlite3_column_int64(st, 0));
		double n = sqlite3_column_double(st, 4);
		const char *status = db_col_str(st, 3);
		for (size_t k = 0; k < 5; k++)
			if (!strcmp(status, STATUSES[k]))
				s->count[k] += n;
		s->attempts += sqlite3_column_double(st, 5);
		opt_add(&s->prompt, st, 6);
		opt_add(&s->output, st, 7);
		opt_add(&s->duration, st, 8);
		s->duration_n += sqlite3_column_double(st, 9);
		opt_add(&s->load, st, 10);
		long last = (long)sqlite3_column_int64(st, 12);
		if (last > s->last_id)
			s->last_id = last;
		if (db_col_is_null(st, 1))
			continue;
		struct model_acc *m = model_of(u, db_col_str(st, 1), db_col_is_null(st, 2) ? NULL : db_col_str(st, 2));
		m->calls += n;
		opt_add(&m->prompt, st, 6);
		opt_add(&m->output, st, 7);
		opt_add(&m->duration, st, 8);
		opt_add(&m->load, st, 10);
		m->loads += sqlite3_column_double(st, 11);
	}
	sqlite3_reset(st);
	return rc < 0 ? E_DB : E_OK;
}

/* One interaction as a usage row. */
#define USAGE_ROW \
	"SELECT i.conversation_id, i.model, i.backend, i.status, 1, i.attempts, i.prompt_tokens, " \
	"i.output_tokens, i.duration_ms, i.duration_ms IS NOT NULL, i.load_duration_ms, " \
	"coalesce(i.load_duration_ms > 500, 0), i.interaction_id FROM interactions i "

/* The usage of a workflow: its finished interactions as schema 0010 keeps
 * them counted (a row whose interactions have all moved on counts none), and
 * its live ones (pending, waiting, running: the index interactions_ready
 * holds only them) one by one. Of a run: its interactions. */
static int usage_read(struct db *db, long workflow, long run, struct usage *u)
{
	static const char FINISHED[] =
		"SELECT conversation_id, model, backend, status, interactions, attempts, "
		"CASE WHEN prompt_n > 0 THEN prompt_tokens END, CASE WHEN output_n > 0 THEN output_tokens END, "
		"CASE WHEN duration_n > 0 THEN duration_ms END, duration_n, "
		"CASE WHEN load_n > 0 THEN load_ns / 1e6 END, loads, last_interaction_id "
		"FROM status_steps WHERE workflow_id = ?1 AND interactions > 0";
	static const char LIVE[] =
		USAGE_ROW "INDEXED BY interactions_ready CROSS JOIN workflow_runs r ON r.workflow_run_id = i.workflow_run_id "
		"WHERE (i.status = 'pending' OR i.status = 'running' OR i.status = 'waiting') AND r.workflow_id = ?1";
	static const char OF_RUN[] = USAGE_ROW "INDEXED BY interactions_by_run WHERE i.workflow_run_id = ?1";
	sqlite3_stmt *st;
	if (run)
		return (st = db_bound(db, OF_RUN, "L", run)) ? usage_add(db, st, u) : E_DB;
	if (!(st = db_bound(db, FINISHED, "L", workflow)) || usage_add(db, st, u))
		return E_DB;
	return (st = db_bound(db, LIVE, "L", workflow)) ? usage_add(db, st, u) : E_DB;
}

/* Adds the retries and dead ends of each step: of a workflow, as schema 0010
 * keeps them counted; of a run, from its interactions' events. */
static int add_events(struct db *db, long workflow, long run, struct usage *u)
{
	static const char OF_WORKFLOW[] =
		"SELECT conversation_id, retries, dead_ends FROM status_events WHERE workflow_id = ?1";
	static const char OF_RUN[] =
		"SELECT j.conversation_id, count(*) FILTER (WHERE e.event_type = 'interaction_retried'), "
		"count(*) FILTER (WHERE e.event_type = 'no_rule_matched') "
		"FROM interactions j INDEXED BY interactions_by_run "
		"CROSS JOIN interaction_events e INDEXED BY interaction_events_by_interaction "
		"ON e.interaction_id = j.interaction_id WHERE j.workflow_run_id = ?2 "
		"AND (e.event_type = 'interaction_retried' OR e.event_type = 'no_rule_matched') GROUP BY j.conversation_id";
	sqlite3_stmt *st = db_bound(db, run ? OF_RUN : OF_WORKFLOW, "LL", workflow, run);
	if (!st)
		return E_DB;
	int rc;
	while ((rc = db_step(db, st)) == SQLITE_ROW) {
		long conv = (long)sqlite3_column_int64(st, 0);
		for (size_t i = 0; i < u->nsteps; i++) {
			if (u->steps[i].conv != conv)
				continue;
			u->steps[i].retries += sqlite3_column_double(st, 1);
			u->steps[i].dead_ends += sqlite3_column_double(st, 2);
		}
	}
	sqlite3_reset(st);
	return rc < 0 ? E_DB : E_OK;
}

static int by_count_then_message(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	double cx = json_num(x, "count"), cy = json_num(y, "count");
	return cx > cy ? -1 : cx < cy ? 1 : strcmp(json_text(x, "message"), json_text(y, "message"));
}

/* rows ordered by count, the most frequent first, then by message. */
static void sort_by_count(cJSON *rows)
{
	size_t n = (size_t)cJSON_GetArraySize(rows);
	if (n < 2)
		return;
	cJSON **v = xcalloc(n, sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i] = cJSON_DetachItemFromArray(rows, 0);
	qsort(v, n, sizeof *v, by_count_then_message);
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(rows, v[i]);
	free(v);
}

struct step_row {
	double order;
	long conv;
	cJSON *o;
};

static int by_step_order(const void *a, const void *b)
{
	const struct step_row *x = a, *y = b;
	return x->order < y->order ? -1 : x->order > y->order ? 1 : x->conv < y->conv ? -1 : x->conv > y->conv;
}

/* The step object of s (NULL when its conversation is gone), with its place
 * in the workflow's order in *order. Its actor is that of its latest
 * interaction (or, if that one was deleted, of the latest before it). */
static int step_object(struct db *db, long workflow, const struct step_acc *s, cJSON **out, double *order)
{
	static const char SQL[] =
		"SELECT c.conversation_name, a.actor_name, coalesce(wc.execution_order, 1e9) "
		"FROM conversations c CROSS JOIN actors a "
		"LEFT JOIN workflow_conversations wc ON wc.workflow_id = ?1 AND wc.conversation_id = c.conversation_id "
		"WHERE c.conversation_id = ?2 AND a.actor_id = (SELECT l.actor_id FROM interactions l "
		"WHERE l.interaction_id <= ?3 AND l.conversation_id = ?2 ORDER BY l.interaction_id DESC LIMIT 1)";
	*out = NULL;
	sqlite3_stmt *st = db_bound(db, SQL, "LLL", workflow, s->conv, s->last_id);
	if (!st)
		return E_DB;
	int rc = db_step(db, st);
	if (rc == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "conversation_id", (double)s->conv);
		cJSON_AddStringToObject(o, "name", db_col_str(st, 0));
		cJSON_AddStringToObject(o, "actor", db_col_str(st, 1));
		for (size_t k = 0; k < 5; k++)
			cJSON_AddNumberToObject(o, STATUSES[k], s->count[k]);
		cJSON_AddNumberToObject(o, "attempts", s->attempts);
		cJSON_AddNumberToObject(o, "retries", s->retries);
		cJSON_AddNumberToObject(o, "no_rule_matched", s->dead_ends);
		opt_put(o, "prompt_tokens", &s->prompt);
		opt_put(o, "output_tokens", &s->output);
		cJSON_AddItemToObject(o, "avg_duration_ms", s->duration_n > 0 ? cJSON_CreateNumber(s->duration.v / s->duration_n)
									   : cJSON_CreateNull());
		opt_put(o, "load_ms", &s->load);
		*order = sqlite3_column_double(st, 2);
		*out = o;
	}
	sqlite3_reset(st);
	return rc < 0 ? E_DB : E_OK;
}

/* The steps of workflow (limited to run when run != 0), in workflow order,
 * each with its errors. */
static int steps(struct db *db, long workflow, long run, const struct usage *u, cJSON *into)
{
	/* Of a workflow, as schema 0010 keeps them counted; of a run, its own. */
	static const char ERRORS[] =
		"SELECT error_message AS message, failure_class AS failure_class, interactions AS count "
		"FROM status_errors WHERE workflow_id = ?1 AND conversation_id = ?3 AND interactions > 0";
	static const char RUN_ERRORS[] =
		"SELECT i.error_message AS message, i.failure_class AS failure_class, count(*) AS count "
		"FROM interactions i INDEXED BY interactions_errors "
		"WHERE i.conversation_id = ?3 AND i.error_message IS NOT NULL AND i.workflow_run_id = ?2 "
		"GROUP BY i.failure_class, i.error_message";
	struct step_row *rows = xcalloc(u->nsteps ? u->nsteps : 1, sizeof *rows);
	size_t n = 0;
	int rc = E_OK;
	for (size_t i = 0; !rc && i < u->nsteps; i++) {
		rc = step_object(db, workflow, &u->steps[i], &rows[n].o, &rows[n].order);
		rows[n].conv = u->steps[i].conv;
		if (rows[n].o)
			n++;
	}
	if (n > 1)
		qsort(rows, n, sizeof *rows, by_step_order);
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(into, rows[i].o);
	free(rows);
	cJSON *step;
	sqlite3_stmt *st;
	cJSON_ArrayForEach(step, into) {
		if (rc || !(st = db_bound(db, run ? RUN_ERRORS : ERRORS, "LLL", workflow, run,
					  (long)json_num(step, "conversation_id"))))
			return E_DB;
		cJSON *errs = cJSON_CreateArray();
		if (!(rc = db_rows_into(db, st, errs))) {
			sort_by_count(errs);
			group_errors(errs, cJSON_AddArrayToObject(step, "errors"));
		}
		cJSON_Delete(errs);
	}
	return rc;
}

static int by_model(const void *a, const void *b)
{
	const struct model_acc *x = a, *y = b;
	int c = strcmp(x->model, y->model);
	if (c || same_opt_str(x->backend, y->backend))
		return c;
	return !x->backend ? -1 : !y->backend ? 1 : strcmp(x->backend, y->backend);
}

/* Model usage per model and backend, ordered by model, then backend. */
static void models(struct usage *u, cJSON *into)
{
	if (u->nmodels > 1)
		qsort(u->models, u->nmodels, sizeof *u->models, by_model);
	for (size_t i = 0; i < u->nmodels; i++) {
		const struct model_acc *m = &u->models[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "model", m->model);
		cJSON_AddItemToObject(o, "backend", m->backend ? cJSON_CreateString(m->backend) : cJSON_CreateNull());
		cJSON_AddNumberToObject(o, "calls", m->calls);
		opt_put(o, "prompt_tokens", &m->prompt);
		opt_put(o, "output_tokens", &m->output);
		opt_put(o, "duration_ms", &m->duration);
		opt_put(o, "load_ms", &m->load);
		cJSON_AddNumberToObject(o, "loads", m->loads);
		cJSON_AddItemToArray(into, o);
	}
}

/* Steps and models of workflow (of run, when run != 0) into o. */
static int usage_into(struct db *db, long workflow, long run, cJSON *o)
{
	struct usage u = { 0 };
	int rc = usage_read(db, workflow, run, &u);
	if (!rc)
		rc = add_events(db, workflow, run, &u);
	if (!rc)
		rc = steps(db, workflow, run, &u, cJSON_AddArrayToObject(o, "steps"));
	if (!rc)
		models(&u, cJSON_AddArrayToObject(o, "models"));
	usage_free(&u);
	return rc;
}

int db_report_status(struct db *db, long workflow_id, cJSON **out)
{
	/* The workflows, then the counts of each: with few workflows, SQLite may
	 * sort them rather than walk them in order, which must not sort runs. */
	static const char WFS[] =
		"SELECT w.workflow_id, w.workflow_name FROM workflows w WHERE (?1 = 0 OR w.workflow_id = ?1) "
		"ORDER BY w.workflow_id";
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
		struct run_counts n;
		if (runs_by_state(db, id, 0, &n))
			goto fail;
		cJSON *runs = cJSON_AddObjectToObject(w, "runs");
		cJSON_AddNumberToObject(runs, "running", (double)n.running);
		cJSON_AddNumberToObject(runs, "completed", (double)n.completed);
		cJSON_AddNumberToObject(runs, "failed", (double)n.failed);
		if (usage_into(db, id, 0, w))
			goto fail;
		if (!(st = db_bound(db, FAILED, "L", id)) || db_rows_into(db, st, cJSON_AddArrayToObject(w, "failed_runs")))
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
	sqlite3_stmt *st = db_bound(db, SQL, "L", run_id);
	*rc = E_DB;
	return st ? db_row_one(db, st, "run", run_id, rc) : NULL;
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
	if (usage_into(db, wf, run_id, root)) {
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
		"i.via_rule_id AS via_rule_id, s.branch_condition AS via_condition, stored_text(i.input) AS input, "
		"i.output AS output, i.error_message AS error, i.failure_class AS failure_class, "
		"stored_text(i.branch_text, i.output) AS branch_text, i.prompt_tokens AS prompt_tokens, i.output_tokens AS output_tokens, "
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
	sqlite3_stmt *st = db_bound(db, ITEMS, "L", run_id);
	if (!st || db_rows_into(db, st, items))
		goto fail;
	cJSON *o;
	cJSON_ArrayForEach(o, items) {
		long id = (long)json_num(o, "interaction_id");
		long *parents;
		size_t n;
		if (db_ids(db, PARENTS, &parents, &n, "L", id))
			goto fail;
		cJSON *list = cJSON_AddArrayToObject(o, "parents");
		for (size_t i = 0; i < n; i++)
			cJSON_AddItemToArray(list, cJSON_CreateNumber((double)parents[i]));
		free(parents);
		if (!(st = db_bound(db, EVENTS, "L", id)) || db_rows_into(db, st, cJSON_AddArrayToObject(o, "events")))
			goto fail;
	}
	*out = root;
	return E_OK;
fail:
	cJSON_Delete(root);
	return E_DB;
}
