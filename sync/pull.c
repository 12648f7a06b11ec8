/* pull.c: waverunner sync pull: postings, page by page, and workflow
 * definitions from turing (see sync.h). */
#include "sync.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "db-defs.h"
#include "db-postings.h"
#include "db-sync.h"
#include "db.h"
#include "err.h"
#include "json.h"
#include "pg.h"
#include "turing.h"
#include "util.h"
#include "validate.h"

#define PAGE 500
#define CURSOR_KEY "pull.cursor"

enum kind { K_ID, K_TEXT, K_JSON, K_BOOL };

/* The posting columns a pull copies, when PostgreSQL has them. */
static const struct {
	const char *name;
	enum kind kind;
} pull_columns[] = {
	{ "posting_id", K_ID },          { "posting_name", K_TEXT },     { "job_title", K_TEXT },
	{ "job_description", K_TEXT },   { "location_city", K_TEXT },    { "location_country", K_TEXT },
	{ "source", K_TEXT },            { "external_job_id", K_TEXT },  { "external_id", K_TEXT },
	{ "external_url", K_TEXT },      { "posting_status", K_TEXT },   { "first_seen_at", K_TEXT },
	{ "last_seen_at", K_TEXT },      { "updated_at", K_TEXT },       { "source_metadata", K_JSON },
	{ "invalidated", K_BOOL },       { "enabled", K_BOOL },
};

/* Where paging stands: the (updated_at, posting_id) of the last row read. */
struct cursor {
	int set;
	char *updated_at; /* NULL: the row had none */
	long posting_id;
};

static void cursor_release(struct cursor *c)
{
	free(c->updated_at);
	memset(c, 0, sizeof *c);
}

/* The cursor a plain pull from server left, if any. */
static int cursor_load(struct db *db, const char *server, struct cursor *c)
{
	char *text;
	memset(c, 0, sizeof *c);
	int rc = db_sync_state_get(db, CURSOR_KEY, &text);
	if (rc || !text)
		return rc;
	cJSON *j = json_parse(text, strlen(text), NULL);
	free(text);
	const char *s = json_str(j, "server");
	long id;
	if (s && !strcmp(s, server) && json_get_long(j, "posting_id", &id) == 0) {
		c->set = 1;
		c->posting_id = id;
		const char *t = json_str(j, "updated_at");
		c->updated_at = t ? xstrdup(t) : NULL;
	}
	cJSON_Delete(j);
	return E_OK;
}

static int cursor_save(struct db *db, const char *server, const struct cursor *c)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "server", server);
	if (c->updated_at)
		cJSON_AddStringToObject(j, "updated_at", c->updated_at);
	else
		cJSON_AddNullToObject(j, "updated_at");
	cJSON_AddNumberToObject(j, "posting_id", (double)c->posting_id);
	char *text = json_print(j);
	cJSON_Delete(j);
	int rc = db_sync_state_set(db, CURSOR_KEY, text);
	free(text);
	return rc;
}

static size_t column_index(const char *name)
{
	size_t i = 0;
	while (strcmp(pull_columns[i].name, name))
		i++;
	return i;
}

struct pull_state {
	struct db *db;
	struct pg *pg;
	const struct pull_opts *o;
	int present[ARRAY_LEN(pull_columns)]; /* which columns PostgreSQL has */
	int has_updated_at;
	int *seen;      /* for --ids: which of them PostgreSQL has */
	long fetched, added, updated, unchanged;
	cJSON *failed;  /* [{"posting_id", "message"}] */
	cJSON *waiting; /* postings changed while their results wait to be pushed */
};

/* One page of postings after cur, in (updated_at, posting_id) order. */
static int fetch_page(struct pull_state *ps, const struct cursor *cur, long page, struct pg_res **res)
{
	const struct pull_opts *o = ps->o;
	struct pg_query q;
	pg_query_init(&q);
	pg_query_sql(&q, "SELECT ");
	int first = 1;
	for (size_t i = 0; i < ARRAY_LEN(pull_columns); i++) {
		if (!ps->present[i])
			continue;
		/* Column names come from the fixed list above, never from input. */
		pg_query_sql(&q, first ? "" : ", ");
		pg_query_sql(&q, pull_columns[i].name);
		pg_query_sql(&q, "::text");
		first = 0;
	}
	pg_query_sql(&q, " FROM postings WHERE true");
	char *ids = o->nids ? pg_id_array(o->ids, o->nids) : NULL;
	char idtext[32], pagetext[32];
	if (o->status) {
		pg_query_sql(&q, " AND posting_status = ");
		pg_query_param(&q, o->status);
	}
	if (ids) {
		pg_query_sql(&q, " AND posting_id = ANY (");
		pg_query_param(&q, ids);
		pg_query_sql(&q, "::bigint[])");
	}
	if (o->since) {
		pg_query_sql(&q, " AND updated_at >= ");
		pg_query_param(&q, o->since);
	}
	if (cur->set) {
		snprintf(idtext, sizeof idtext, "%ld", cur->posting_id);
		if (!ps->has_updated_at) {
			pg_query_sql(&q, " AND posting_id > ");
			pg_query_param(&q, idtext);
			pg_query_sql(&q, "::bigint");
		} else if (cur->updated_at) {
			pg_query_sql(&q, " AND (updated_at > ");
			int t = pg_query_param(&q, cur->updated_at);
			pg_query_sql(&q, " OR (updated_at = ");
			pg_query_ref(&q, t);
			pg_query_sql(&q, " AND posting_id > ");
			pg_query_param(&q, idtext);
			pg_query_sql(&q, "::bigint))");
		} else {
			/* Rows without updated_at come first (NULLS FIRST). */
			pg_query_sql(&q, " AND (updated_at IS NOT NULL OR posting_id > ");
			pg_query_param(&q, idtext);
			pg_query_sql(&q, "::bigint)");
		}
	}
	pg_query_sql(&q, ps->has_updated_at ? " ORDER BY updated_at ASC NULLS FIRST, posting_id" : " ORDER BY posting_id");
	snprintf(pagetext, sizeof pagetext, "%ld", page);
	pg_query_sql(&q, " LIMIT ");
	pg_query_param(&q, pagetext);
	pg_query_sql(&q, "::bigint");
	int rc = pg_run(ps->pg, &q, res);
	if (rc == E_FAIL)
		rc = err_wrap(E_REMOTE, "reading postings from PostgreSQL at %s", pg_where(ps->pg));
	pg_query_release(&q);
	free(ids);
	return rc;
}

/* --since goes to PostgreSQL as it is; check first that it reads it as a time. */
static int check_since(struct pull_state *ps)
{
	const char *params[] = { ps->o->since };
	int rc = pg_exec(ps->pg, "SELECT $1::text::timestamptz", 1, params, NULL);
	if (rc == E_FAIL)
		return err_wrap(E_USAGE, "--since '%s' is not a time PostgreSQL reads", ps->o->since);
	return rc;
}

/* The posting of row as the JSON object db_posting_upsert takes. */
static cJSON *row_posting(const struct pull_state *ps, const struct pg_res *r, size_t row, const char **version)
{
	cJSON *p = cJSON_CreateObject();
	int col = 0;
	*version = NULL;
	for (size_t i = 0; i < ARRAY_LEN(pull_columns); i++) {
		if (!ps->present[i])
			continue;
		const char *v = pg_get(r, row, col++);
		const char *name = pull_columns[i].name;
		if (!strcmp(name, "updated_at"))
			*version = v;
		if (!v)
			continue;
		switch (pull_columns[i].kind) {
		case K_ID: {
			long id = 0;
			parse_long(v, &id);
			cJSON_AddNumberToObject(p, name, (double)id);
			break;
		}
		case K_BOOL:
			cJSON_AddBoolToObject(p, name, !strcmp(v, "true"));
			break;
		case K_JSON: {
			cJSON *j = json_parse(v, strlen(v), NULL);
			cJSON_AddItemToObject(p, name, j ? j : cJSON_CreateString(v));
			break;
		}
		default:
			cJSON_AddStringToObject(p, name, v);
		}
	}
	return p;
}

static void add_failure(cJSON *arr, long id, const char *msg)
{
	cJSON *f = cJSON_CreateObject();
	cJSON_AddNumberToObject(f, "posting_id", (double)id);
	cJSON_AddStringToObject(f, "message", msg);
	cJSON_AddItemToArray(arr, f);
}

/* Stores one fetched posting (inside the page's transaction). */
static int store_row(struct pull_state *ps, const struct pg_res *r, size_t row, const char *now)
{
	const char *version;
	cJSON *p = row_posting(ps, r, row, &version);
	long id = 0;
	json_get_long(p, "posting_id", &id);
	for (size_t i = 0; i < ps->o->nids; i++)
		if (ps->o->ids[i] == id)
			ps->seen[i] = 1;
	struct sync_local local;
	int rc = db_sync_local(ps->db, id, &local);
	if (rc) {
		cJSON_Delete(p);
		return rc;
	}
	const char *ext = json_str(p, "external_job_id");
	if (local.exists && local.pulled && version && local.remote_updated_at &&
	    !strcmp(version, local.remote_updated_at)) {
		ps->unchanged++;
	} else if (local.exists && !local.pulled && ext && local.external_job_id &&
		   strcmp(ext, local.external_job_id)) {
		char *m = xasprintf("posting %ld exists locally as another posting (external_job_id %s, not %s; it "
				    "was not pulled from PostgreSQL): not replaced",
				    id, local.external_job_id, ext);
		add_failure(ps->failed, id, m);
		free(m);
	} else {
		char *where = xasprintf("PostgreSQL posting %ld", id);
		long stored;
		int inserted;
		rc = db_posting_upsert(ps->db, p, where, &stored, &inserted);
		free(where);
		if (rc == E_INPUT) {
			add_failure(ps->failed, id, err_msg());
			rc = E_OK;
		} else if (!rc) {
			rc = db_sync_mark_pulled(ps->db, stored, version, now);
			if (inserted)
				ps->added++;
			else
				ps->updated++;
			if (local.unpushed)
				cJSON_AddItemToArray(ps->waiting, cJSON_CreateNumber((double)id));
		}
	}
	db_sync_local_release(&local);
	cJSON_Delete(p);
	return rc;
}

/* A page is one local transaction: one that rolls back takes back what it
 * counted and noted, so the report is of what was stored. */
struct page_counts {
	long added, updated, unchanged;
	int failed, waiting;
};

static struct page_counts page_counts_save(const struct pull_state *ps)
{
	return (struct page_counts){ ps->added, ps->updated, ps->unchanged, cJSON_GetArraySize(ps->failed),
				     cJSON_GetArraySize(ps->waiting) };
}

static void page_counts_restore(struct pull_state *ps, const struct page_counts *c)
{
	ps->added = c->added;
	ps->updated = c->updated;
	ps->unchanged = c->unchanged;
	while (cJSON_GetArraySize(ps->failed) > c->failed)
		cJSON_DeleteItemFromArray(ps->failed, cJSON_GetArraySize(ps->failed) - 1);
	while (cJSON_GetArraySize(ps->waiting) > c->waiting)
		cJSON_DeleteItemFromArray(ps->waiting, cJSON_GetArraySize(ps->waiting) - 1);
}

/* Which of pull_columns turing's postings table has (ps->present), with those
 * it lacks in *missing; an error when it cannot serve the options. */
static int check_columns(struct pull_state *ps, struct buf *missing)
{
	const struct pull_opts *o = ps->o;
	struct pg_column *cols;
	size_t ncols;
	int rc = pg_columns(ps->pg, "postings", &cols, &ncols);
	if (rc)
		return rc;
	for (size_t i = 0; i < ARRAY_LEN(pull_columns); i++) {
		ps->present[i] = pg_column_type(cols, ncols, pull_columns[i].name) != NULL;
		if (!ps->present[i])
			buf_printf(missing, "%s%s", missing->len ? ", " : "", pull_columns[i].name);
	}
	pg_columns_free(cols, ncols);
	ps->has_updated_at = ps->present[column_index("updated_at")];
	if (!ps->present[0])
		return err_set(E_INPUT, "PostgreSQL's postings table at %s has no posting_id column", pg_where(ps->pg));
	if (o->since && !ps->has_updated_at)
		return err_set(E_USAGE, "--since needs an updated_at column, and PostgreSQL's postings table at %s has none",
			       pg_where(ps->pg));
	return o->since ? check_since(ps) : E_OK;
}

/* Moves cur to the last of the n rows of res. */
static void cursor_move(const struct pull_state *ps, struct cursor *cur, const struct pg_res *res, size_t n)
{
	const char *last_at = NULL;
	int col = 0;
	for (size_t i = 0; i < ARRAY_LEN(pull_columns); i++) {
		if (!ps->present[i])
			continue;
		if (i == column_index("updated_at"))
			last_at = pg_get(res, n - 1, col);
		col++;
	}
	free(cur->updated_at);
	cur->updated_at = last_at ? xstrdup(last_at) : NULL;
	cur->set = 1;
	parse_long(pg_get(res, n - 1, 0), &cur->posting_id);
}

/* Stores the n rows of page res in one local transaction, with the cursor
 * (saved when plain); one that rolls back counts nothing. */
static int store_page(struct pull_state *ps, struct cursor *cur, const struct pg_res *res, size_t n, int plain)
{
	char now[32];
	iso_now(now);
	struct page_counts before = page_counts_save(ps);
	int rc = db_begin(ps->db);
	if (rc)
		return rc;
	for (size_t i = 0; !rc && i < n; i++)
		rc = store_row(ps, res, i, now);
	cursor_move(ps, cur, res, n);
	if (!rc && plain)
		rc = cursor_save(ps->db, pg_where(ps->pg), cur);
	if (!rc)
		rc = db_commit(ps->db);
	else
		db_rollback(ps->db);
	if (!rc)
		ps->fetched += (long)n;
	else
		page_counts_restore(ps, &before);
	return rc;
}

/* The report's "postings" object: the mode, the cursor it started after and
 * the columns turing lacks. */
static cJSON *report_start(cJSON *report, const struct cursor *cur, int plain, const struct buf *missing)
{
	cJSON *pr = cJSON_AddObjectToObject(report, "postings");
	cJSON_AddStringToObject(pr, "mode", !plain ? "selected" : cur->set ? "incremental" : "all");
	if (cur->set) {
		cJSON *after = cJSON_AddObjectToObject(pr, "after");
		if (cur->updated_at)
			cJSON_AddStringToObject(after, "updated_at", cur->updated_at);
		else
			cJSON_AddNullToObject(after, "updated_at");
		cJSON_AddNumberToObject(after, "posting_id", (double)cur->posting_id);
	}
	if (missing->len)
		cJSON_AddStringToObject(pr, "columns_absent", buf_str(missing));
	return pr;
}

/* The counts at the end of the report; E_FAIL when a posting failed or an id
 * asked for was not found. */
static int report_end(struct pull_state *ps, cJSON *pr, int rc)
{
	const struct pull_opts *o = ps->o;
	cJSON_AddNumberToObject(pr, "fetched", (double)ps->fetched);
	cJSON_AddNumberToObject(pr, "new", (double)ps->added);
	cJSON_AddNumberToObject(pr, "updated", (double)ps->updated);
	cJSON_AddNumberToObject(pr, "unchanged", (double)ps->unchanged);
	cJSON_AddItemToObject(pr, "failed", ps->failed);
	cJSON_AddItemToObject(pr, "results_waiting", ps->waiting);
	if (!rc && o->nids) {
		cJSON *absent = cJSON_AddArrayToObject(pr, "not_found");
		for (size_t i = 0; i < o->nids; i++)
			if (!ps->seen[i] && !(o->status || o->since || o->limit))
				cJSON_AddItemToArray(absent, cJSON_CreateNumber((double)o->ids[i]));
		if (cJSON_GetArraySize(absent))
			rc = E_FAIL;
	}
	if (!rc && cJSON_GetArraySize(ps->failed))
		rc = E_FAIL;
	return rc;
}

static int pull_postings(struct pull_state *ps, cJSON *report)
{
	const struct pull_opts *o = ps->o;
	struct buf missing = BUF_INIT;
	int rc = check_columns(ps, &missing);
	int plain = !o->nids && !o->status && !o->since;
	struct cursor cur = { 0 };
	if (!rc && plain && !o->full)
		rc = cursor_load(ps->db, pg_where(ps->pg), &cur);
	if (rc) {
		buf_release(&missing);
		return rc;
	}
	cJSON *pr = report_start(report, &cur, plain, &missing);
	buf_release(&missing);
	ps->failed = cJSON_CreateArray();
	ps->waiting = cJSON_CreateArray();
	ps->seen = xcalloc(o->nids + 1, sizeof *ps->seen);

	long left = o->limit;
	while (!rc) {
		long page = PAGE;
		if (o->limit && left < page)
			page = left;
		if (page <= 0)
			break;
		struct pg_res *res;
		if ((rc = fetch_page(ps, &cur, page, &res)))
			break;
		size_t n = pg_rows(res);
		if (n)
			rc = store_page(ps, &cur, res, n, plain);
		pg_res_free(res);
		left -= (long)n;
		if ((long)n < page)
			break;
	}
	cursor_release(&cur);
	rc = report_end(ps, pr, rc);
	free(ps->seen);
	return rc;
}

/* ---- workflow definitions ---- */

/* Actor ids chosen for built-ins that stand in for part of an actor: above
 * turing's int4 ids, so that they never meet one. */
#define STANDIN_ID_BASE 2147483648L

struct import {
	struct db *db;
	struct workflow wf;
	cJSON *mapped;   /* notes: what was translated */
	cJSON *problems; /* what cannot run here */
};

static int is_true(const char *v)
{
	return v && !strcmp(v, "true");
}

static long to_long(const char *v)
{
	long n = 0;
	if (v)
		parse_long(v, &n);
	return n;
}

static void notef(cJSON *arr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void notef(cJSON *arr, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	cJSON_AddItemToArray(arr, cJSON_CreateString(m));
	free(m);
}

static struct wf_actor *add_actor(struct import *im, long id, const char *name, const char *type)
{
	struct workflow *wf = &im->wf;
	wf->actors = xreallocarray(wf->actors, wf->nactors + 1, sizeof *wf->actors);
	struct wf_actor *a = &wf->actors[wf->nactors++];
	memset(a, 0, sizeof *a);
	a->id = id;
	a->name = xstrdup(name);
	a->type = xstrdup(type);
	a->kind = actor_kind_parse(type);
	a->config = cJSON_CreateObject();
	a->enabled = 1;
	return a;
}

/* The local actor that runs conversation c for turing's actor on row r of the
 * conversation query; adds it to the workflow the first time. Returns its name. */
static const char *map_actor(struct import *im, const struct wf_conv *c, const struct pg_res *r, size_t row)
{
	long id = to_long(pg_get(r, row, 9));
	const char *name = pg_get(r, row, 10);
	const char *type = pg_get(r, row, 11);
	const char *config = pg_get(r, row, 12);
	const char *path = pg_get(r, row, 13);
	int enabled = is_true(pg_get(r, row, 14));
	int has_code = is_true(pg_get(r, row, 15));
	char *label = workflow_conv_label(c);
	const char *result = name;
	if (!strcmp(type, "script")) {
		int per_conv;
		const char *builtin = turing_builtin(name, c->id, c->canonical_name, &per_conv);
		if (builtin && per_conv) {
			result = builtin;
			if (!workflow_actor(&im->wf, builtin)) {
				const struct builtin *b = builtin_find(builtin);
				long k = b ? (long)(b - builtins) : 0;
				struct wf_actor *a = add_actor(im, STANDIN_ID_BASE + k, builtin, "builtin");
				cJSON_AddStringToObject(a->config, "builtin", builtin);
			}
			notef(im->mapped, "%s: actor %ld '%s' (its description check) runs as built-in %s", label, id,
			      name, builtin);
		} else if (builtin) {
			if (!workflow_actor(&im->wf, name)) {
				struct wf_actor *a = add_actor(im, id, name, "builtin");
				cJSON_AddStringToObject(a->config, "builtin", builtin);
				a->enabled = enabled;
				notef(im->mapped, "actor %ld '%s' (script %s) runs as built-in %s", id, name,
				      path ? path : "in the database", builtin);
			}
		} else if (!workflow_actor(&im->wf, name)) {
			struct wf_actor *a = add_actor(im, id, name, "script");
			a->script = path ? xstrdup(path) : NULL;
			a->enabled = enabled && path;
			if (!path)
				notef(im->problems, "actor %ld '%s' has no script_file_path (turing ran %s): stored "
				      "disabled", id, name, has_code ? "its script_code from the database" : "nothing");
			else
				notef(im->mapped, "actor %ld '%s' runs program %s: it must be executable, take this "
				      "project's JSON input on stdin and print one JSON document (turing ran "
				      "python3 on it)", id, name, path);
		}
	} else if (!strcmp(type, "ai_model")) {
		if (!workflow_actor(&im->wf, name)) {
			struct wf_actor *a = add_actor(im, id, name, "ai_model");
			char *dropped;
			cJSON_Delete(a->config);
			a->config = turing_model_config(config, &dropped);
			a->enabled = enabled;
			if (dropped)
				notef(im->mapped, "actor %ld '%s': execution_config keys %s left out (turing did not "
				      "send them to the model)", id, name, dropped);
			free(dropped);
		}
	} else {
		/* human, machine_actor: turing had no executor that did their work. */
		if (!workflow_actor(&im->wf, name)) {
			struct wf_actor *a = add_actor(im, id, name, "script");
			a->enabled = 0;
		}
		notef(im->problems, "%s: actor %ld '%s' is a %s actor: waverunner cannot run it (stored as a "
		      "disabled actor)", label, id, name, type);
	}
	free(label);
	return result;
}

/* Gives each actor a local id: the one its name already has, else turing's
 * when no other local actor holds it, else a new one. */
static int assign_actor_ids(struct import *im)
{
	struct workflow *wf = &im->wf;
	long next = 0;
	int rc = db_sync_actor_max_id(im->db, STANDIN_ID_BASE, &next);
	for (size_t i = 0; !rc && i < wf->nactors; i++)
		if (wf->actors[i].id > next && wf->actors[i].id < STANDIN_ID_BASE)
			next = wf->actors[i].id;
	for (size_t i = 0; !rc && i < wf->nactors; i++) {
		struct wf_actor *a = &wf->actors[i];
		long local;
		char *owner;
		if ((rc = db_sync_actor_id(im->db, a->name, &local)))
			break;
		if (local) {
			a->id = local;
			continue;
		}
		if ((rc = db_sync_actor_name(im->db, a->id, &owner)))
			break;
		if (owner) {
			long was = a->id;
			a->id = ++next;
			notef(im->mapped, "actor '%s': id %ld belongs to local actor '%s'; stored as actor %ld", a->name,
			      was, owner, a->id);
			free(owner);
		}
	}
	return rc;
}

static struct wf_conv *conv_by_id(struct workflow *wf, long id)
{
	return workflow_conv(wf, id);
}

/* Whether turing's table has column col (later turing migrations added some). */
static int has_column(struct pg *pg, const char *table, const char *col, int *has)
{
	struct pg_column *cols;
	size_t n;
	*has = 0;
	int rc = pg_columns(pg, table, &cols, &n);
	if (!rc) {
		*has = pg_column_type(cols, n, col) != NULL;
		pg_columns_free(cols, n);
	}
	return rc;
}

/* Ends q, begun with the SQL before the workflow id, with the id and tail,
 * and runs it. */
static int run_for_workflow(struct pg *pg, struct pg_query *q, const char *idtext, const char *tail,
			    struct pg_res **r)
{
	pg_query_param(q, idtext);
	pg_query_sql(q, tail);
	int rc = pg_run(pg, q, r);
	pg_query_release(q);
	return rc;
}

/* The workflows row. */
static int read_workflow_row(struct import *im, struct pg *pg, long id, const char *idtext)
{
	struct workflow *wf = &im->wf;
	const char *params[] = { idtext };
	struct pg_res *r;
	int rc = pg_exec(pg,
			 "SELECT workflow_name, workflow_description, workflow_version::text, "
			 "coalesce(enabled, true)::text FROM workflows WHERE workflow_id = $1::bigint",
			 1, params, &r);
	if (rc)
		return rc;
	if (!pg_rows(r)) {
		pg_res_free(r);
		return err_set(E_INPUT, "PostgreSQL at %s has no workflow %ld", pg_where(pg), id);
	}
	wf->id = id;
	wf->name = xstrdup(pg_get(r, 0, 0));
	wf->description = pg_get(r, 0, 1) ? xstrdup(pg_get(r, 0, 1)) : NULL;
	wf->version = pg_get(r, 0, 2) ? (int)to_long(pg_get(r, 0, 2)) : 1;
	wf->enabled = is_true(pg_get(r, 0, 3));
	wf->parameters = cJSON_CreateObject();
	pg_res_free(r);
	return E_OK;
}

/* The workflow's conversations with their actors. */
static int read_convs(struct import *im, struct pg *pg, long id, const char *idtext)
{
	struct workflow *wf = &im->wf;
	int has_timeout, has_code, rc;
	if ((rc = has_column(pg, "conversations", "timeout_seconds", &has_timeout)) ||
	    (rc = has_column(pg, "actors", "script_code", &has_code)))
		return rc;
	struct pg_query q;
	struct pg_res *r;
	pg_query_init(&q);
	pg_query_sql(&q, "SELECT c.conversation_id::text, c.conversation_name, c.canonical_name, "
			 "c.conversation_description, (coalesce(c.enabled, true) AND coalesce(wc.enabled, true))::text, "
			 "wc.execution_order::text, wc.parallel_group::text, coalesce(wc.wait_for_group, false)::text, ");
	pg_query_sql(&q, has_timeout ? "c.timeout_seconds::text, " : "NULL, ");
	pg_query_sql(&q, "a.actor_id::text, a.actor_name, a.actor_type, a.execution_config::text, "
			 "a.script_file_path, coalesce(a.enabled, true)::text, ");
	pg_query_sql(&q, has_code ? "(a.script_code IS NOT NULL)::text " : "'false' ");
	pg_query_sql(&q, "FROM workflow_conversations wc JOIN conversations c ON c.conversation_id = wc.conversation_id "
			 "JOIN actors a ON a.actor_id = c.actor_id WHERE wc.workflow_id = ");
	if ((rc = run_for_workflow(pg, &q, idtext, "::bigint ORDER BY wc.execution_order, c.conversation_id", &r)))
		return rc;
	for (size_t i = 0; i < pg_rows(r); i++) {
		long cid = to_long(pg_get(r, i, 0));
		if (conv_by_id(wf, cid)) {
			notef(im->problems, "conversation %ld is in workflow %ld twice: the step at order %s is left out",
			      cid, id, pg_get(r, i, 5));
			continue;
		}
		wf->convs = xreallocarray(wf->convs, wf->nconvs + 1, sizeof *wf->convs);
		struct wf_conv *c = &wf->convs[wf->nconvs++];
		memset(c, 0, sizeof *c);
		c->id = cid;
		c->name = xstrdup(pg_get(r, i, 1));
		c->canonical_name = pg_get(r, i, 2) ? xstrdup(pg_get(r, i, 2)) : NULL;
		c->description = pg_get(r, i, 3) ? xstrdup(pg_get(r, i, 3)) : NULL;
		c->enabled = is_true(pg_get(r, i, 4));
		c->order = (int)to_long(pg_get(r, i, 5));
		c->parallel_group = (int)to_long(pg_get(r, i, 6));
		c->wait_for_group = is_true(pg_get(r, i, 7));
		long timeout = to_long(pg_get(r, i, 8));
		c->timeout_seconds = timeout > 0 ? (int)timeout : 300;
		c->max_attempts = 3;
		c->actor = xstrdup(map_actor(im, c, r, i));
	}
	pg_res_free(r);
	return E_OK;
}

/* Each conversation's first instruction. */
static int read_instructions(struct import *im, struct pg *pg, const char *idtext)
{
	int has_terminal;
	int rc = has_column(pg, "instructions", "is_terminal", &has_terminal);
	if (rc)
		return rc;
	struct pg_query q;
	struct pg_res *r;
	pg_query_init(&q);
	pg_query_sql(&q, "SELECT DISTINCT ON (i.conversation_id) i.conversation_id::text, i.instruction_id::text, "
			 "i.instruction_name, i.prompt_template, ");
	pg_query_sql(&q, has_terminal ? "coalesce(i.is_terminal, false)::text " : "'false' ");
	pg_query_sql(&q, "FROM instructions i WHERE i.conversation_id IN (SELECT conversation_id FROM "
			 "workflow_conversations WHERE workflow_id = ");
	if ((rc = run_for_workflow(pg, &q, idtext,
				   "::bigint) AND coalesce(i.enabled, true) AND i.step_number = 1 "
				   "ORDER BY i.conversation_id, i.instruction_id", &r)))
		return rc;
	for (size_t i = 0; i < pg_rows(r); i++) {
		struct wf_conv *c = conv_by_id(&im->wf, to_long(pg_get(r, i, 0)));
		if (!c)
			continue;
		c->has_instruction = 1;
		c->instruction_id = to_long(pg_get(r, i, 1));
		c->instruction_name = xstrdup(pg_get(r, i, 2));
		c->template = xstrdup(pg_get(r, i, 3)); /* translated below */
		c->terminal = is_true(pg_get(r, i, 4));
	}
	pg_res_free(r);
	return E_OK;
}

/* Rules hang on any instruction of the conversation, as turing reads them. */
static int read_rules(struct import *im, struct pg *pg, const char *idtext)
{
	struct pg_query q;
	struct pg_res *r;
	pg_query_init(&q);
	pg_query_sql(&q, "SELECT s.instruction_step_id::text, s.instruction_step_name, i.conversation_id::text, "
			 "s.branch_condition, s.next_conversation_id::text, coalesce(s.branch_priority, 5)::text, "
			 "s.max_iterations::text, s.branch_description, coalesce(s.enabled, true)::text "
			 "FROM instruction_steps s JOIN instructions i ON i.instruction_id = s.instruction_id "
			 "WHERE i.conversation_id IN (SELECT conversation_id FROM workflow_conversations WHERE workflow_id = ");
	int rc = run_for_workflow(pg, &q, idtext,
				  "::bigint) ORDER BY i.conversation_id, s.branch_priority DESC NULLS FIRST, "
				  "s.instruction_step_id", &r);
	if (rc)
		return rc;
	for (size_t i = 0; i < pg_rows(r); i++) {
		struct wf_conv *c = conv_by_id(&im->wf, to_long(pg_get(r, i, 2)));
		if (!c)
			continue;
		c->rules = xreallocarray(c->rules, c->nrules + 1, sizeof *c->rules);
		struct wf_rule *ru = &c->rules[c->nrules];
		memset(ru, 0, sizeof *ru);
		ru->seq = (int)c->nrules++;
		ru->id = to_long(pg_get(r, i, 0));
		ru->name = xstrdup(pg_get(r, i, 1));
		ru->condition = xstrdup(pg_get(r, i, 3));
		ru->next = to_long(pg_get(r, i, 4));
		ru->priority = (int)to_long(pg_get(r, i, 5));
		ru->max_iterations = (int)to_long(pg_get(r, i, 6));
		ru->description = pg_get(r, i, 7) ? xstrdup(pg_get(r, i, 7)) : NULL;
		ru->enabled = is_true(pg_get(r, i, 8));
	}
	pg_res_free(r);
	return E_OK;
}

static int read_definition(struct import *im, struct pg *pg, long id, const char *idtext)
{
	int rc = read_workflow_row(im, pg, id, idtext);
	if (!rc)
		rc = read_convs(im, pg, id, idtext);
	if (!rc)
		rc = read_instructions(im, pg, idtext);
	if (!rc)
		rc = read_rules(im, pg, idtext);
	return rc;
}

/* Templates in this project's syntax; built-ins get the input they need. */
static void translate_templates(struct import *im)
{
	struct workflow *wf = &im->wf;
	for (size_t i = 0; i < wf->nconvs; i++) {
		struct wf_conv *c = &wf->convs[i];
		const struct wf_actor *a = workflow_actor(wf, c->actor);
		char *tpl;
		if (a && a->kind == ACTOR_BUILTIN) {
			const char *builtin = json_str(a->config, "builtin");
			tpl = turing_builtin_template(builtin ? builtin : a->name, c->template, wf);
			char *label = workflow_conv_label(c);
			if (!c->template || strcmp(tpl, c->template))
				notef(im->mapped, "%s: input of built-in %s: %s (turing's script read it from the "
				      "database)", label, builtin ? builtin : a->name, tpl);
			free(label);
			if (!c->has_instruction) {
				c->has_instruction = 1;
				c->instruction_name = xstrdup(c->canonical_name ? c->canonical_name : c->name);
			}
		} else if (c->has_instruction) {
			tpl = turing_template(c->template);
		} else {
			continue;
		}
		free(c->template);
		c->template = tpl;
	}
}

static int pull_workflow(struct db *db, struct pg *pg, long id, cJSON *out)
{
	struct import im = { db, { 0 }, cJSON_CreateArray(), cJSON_CreateArray() };
	char idtext[32];
	snprintf(idtext, sizeof idtext, "%ld", id);
	cJSON *w = cJSON_CreateObject();
	cJSON_AddNumberToObject(w, "workflow_id", (double)id);
	cJSON_AddItemToArray(out, w);
	int rc = pg_begin_snapshot(pg);
	if (!rc) {
		rc = read_definition(&im, pg, id, idtext);
		pg_rollback(pg);
	}
	if (rc == E_FAIL)
		rc = err_wrap(E_REMOTE, "reading workflow %ld from PostgreSQL at %s", id, pg_where(pg));
	if (!rc) {
		translate_templates(&im);
		workflow_sort(&im.wf);
		rc = assign_actor_ids(&im);
	}
	struct findings f = { 0 };
	if (!rc) {
		validate_workflow(&im.wf, &f);
		if (!(rc = db_begin(db))) {
			rc = db_workflow_store(db, &im.wf, 0);
			if (!rc)
				rc = db_commit(db);
			else
				db_rollback(db);
		}
	}
	if (rc) {
		cJSON_AddStringToObject(w, "error", err_msg());
	} else {
		size_t nrules = 0;
		for (size_t i = 0; i < im.wf.nconvs; i++)
			nrules += im.wf.convs[i].nrules;
		cJSON_AddStringToObject(w, "name", im.wf.name);
		cJSON_AddNumberToObject(w, "conversations", (double)im.wf.nconvs);
		cJSON_AddNumberToObject(w, "rules", (double)nrules);
		cJSON_AddNumberToObject(w, "errors", (double)f.errors);
		cJSON_AddNumberToObject(w, "warnings", (double)f.warnings);
		cJSON_AddItemToObject(w, "findings", findings_json(&f));
	}
	cJSON_AddItemToObject(w, "mapped", im.mapped);
	cJSON_AddItemToObject(w, "problems", im.problems);
	int problems = cJSON_GetArraySize(im.problems) > 0 || f.errors;
	findings_release(&f);
	workflow_release(&im.wf);
	if (rc)
		return rc;
	return problems ? E_FAIL : E_OK;
}

int sync_pull(struct db *db, struct pg *pg, const struct pull_opts *o, cJSON *report)
{
	struct pull_state ps = { .db = db, .pg = pg, .o = o };
	int rc = E_OK, worst = E_OK;
	cJSON_AddStringToObject(report, "server", pg_where(pg));
	if (o->postings) {
		rc = pull_postings(&ps, report);
		if (rc && rc != E_FAIL)
			return rc;
		worst = rc;
	}
	if (o->nworkflows) {
		cJSON *ws = cJSON_AddArrayToObject(report, "workflows");
		for (size_t i = 0; i < o->nworkflows; i++) {
			rc = pull_workflow(db, pg, o->workflows[i], ws);
			if (rc == E_DB)
				return rc;
			/* Each workflow reports its own error; the first one decides the status. */
			if (rc && (worst == E_OK || worst == E_FAIL))
				worst = rc;
		}
	}
	return worst;
}
