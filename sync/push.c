/* push.c: waverunner sync push: results to turing's postings, in batches,
 * without overwriting what changed there since the pull (see sync.h). */
#include "sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "db-postings.h"
#include "db-sync.h"
#include "db.h"
#include "err.h"
#include "json.h"
#include "pg.h"
#include "util.h"

enum ctype { CT_NONE, CT_TEXT, CT_JSONB, CT_JSON, CT_INT, CT_TIME, CT_OTHER };

/* The result columns push writes, when PostgreSQL has them with a usable type.
 * updated_by_interaction_id is set to NULL: a local interaction id means
 * nothing in turing (and would point at one of its own interactions). */
enum col { C_SUMMARY, C_SKILLS, C_IHL, C_SCALE, C_VERDICT, C_STATUS, C_UPDATED_AT, C_UPDATED_BY, NCOLS };

static const struct {
	int pcol;        /* the local column (db-postings.h), or -1: none */
	int core;        /* say so when it cannot be pushed */
	unsigned types;  /* accepted types, bits of 1 << enum ctype */
} columns[NCOLS] = {
	[C_SUMMARY] = { PCOL_extracted_summary, 1, 1u << CT_TEXT },
	[C_SKILLS] = { PCOL_skill_keywords, 1, 1u << CT_JSONB | 1u << CT_JSON | 1u << CT_TEXT },
	[C_IHL] = { PCOL_ihl_score, 1, 1u << CT_INT },
	[C_SCALE] = { PCOL_ihl_scale, 0, 1u << CT_INT },
	[C_VERDICT] = { PCOL_ihl_verdict, 0, 1u << CT_TEXT },
	[C_STATUS] = { PCOL_posting_status, 1, 1u << CT_TEXT },
	[C_UPDATED_AT] = { PCOL_updated_at, 1, 1u << CT_TIME },
	[C_UPDATED_BY] = { -1, 0, ~0u },
};

/* The name of column c in turing's postings: the local column's name. */
static const char *col_name(enum col c)
{
	return columns[c].pcol >= 0 ? posting_columns[columns[c].pcol].name : "updated_by_interaction_id";
}

static enum ctype classify(const char *type)
{
	if (!type)
		return CT_NONE;
	if (!strcmp(type, "text") || str_starts_with(type, "character"))
		return CT_TEXT;
	if (!strcmp(type, "jsonb"))
		return CT_JSONB;
	if (!strcmp(type, "json"))
		return CT_JSON;
	if (!strcmp(type, "integer") || !strcmp(type, "smallint") || !strcmp(type, "bigint") ||
	    str_starts_with(type, "numeric"))
		return CT_INT;
	if (str_starts_with(type, "timestamp"))
		return CT_TIME;
	return CT_OTHER;
}

struct push_ctx {
	struct db *db;
	struct pg *pg;
	const struct push_opts *o;
	enum ctype type[NCOLS]; /* CT_NONE: not pushed */
	long pushed, up_to_date, conflicts, rejected, missing;
	cJSON *postings;
	int claims;             /* turing has waverunner_claims (checked when a posting is claimed) */
	long claims_done, claims_failed; /* claims the batches ended */
};

enum outcome { O_NONE, O_PUSHED, O_UP_TO_DATE, O_CONFLICT, O_REJECTED, O_MISSING };

struct push_result {
	enum outcome kind;
	char *version;  /* PostgreSQL's updated_at after the push */
	char *message;
	cJSON *sent;    /* the columns sent */
	int claim_ended; /* its claim is over: done (or failed) in turing */
};

/* Looks at PostgreSQL's postings table: which result columns it can take. */
static int plan_columns(struct push_ctx *px, cJSON *report)
{
	struct pg_column *cols;
	size_t n;
	int rc = pg_columns(px->pg, "postings", &cols, &n);
	if (rc)
		return rc;
	if (!pg_column_type(cols, n, "posting_id")) {
		pg_columns_free(cols, n);
		return err_set(E_INPUT, "PostgreSQL's postings table at %s has no posting_id column", pg_where(px->pg));
	}
	cJSON *sent = cJSON_AddArrayToObject(report, "columns");
	cJSON *skipped = cJSON_AddArrayToObject(report, "skipped_columns");
	for (int c = 0; c < NCOLS; c++) {
		const char *type = pg_column_type(cols, n, col_name(c));
		enum ctype t = classify(type);
		if (t != CT_NONE && (columns[c].types & (1u << t))) {
			px->type[c] = t;
			cJSON_AddItemToArray(sent, cJSON_CreateString(col_name(c)));
			continue;
		}
		px->type[c] = CT_NONE;
		if (!columns[c].core)
			continue;
		cJSON *s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "column", col_name(c));
		char *why = !type ? xstrdup("PostgreSQL's postings table has no such column")
				  : xasprintf("its type in PostgreSQL is %s", type);
		cJSON_AddStringToObject(s, "reason", why);
		if (c == C_UPDATED_AT)
			cJSON_AddStringToObject(s, "effect", "changes made in PostgreSQL after a pull cannot be detected");
		free(why);
		cJSON_AddItemToArray(skipped, s);
	}
	pg_columns_free(cols, n);
	return E_OK;
}

/* The values item sends, by column (NULL: not sent). */
static void item_values(const struct push_ctx *px, const struct sync_item *it, char *vals[NCOLS])
{
	memset(vals, 0, NCOLS * sizeof *vals);
	if (px->type[C_SUMMARY] && it->summary)
		vals[C_SUMMARY] = xstrdup(it->summary);
	if (px->type[C_SKILLS] && it->skills)
		vals[C_SKILLS] = xstrdup(it->skills);
	if (it->has_ihl) {
		/* As stored: 0-10 in workflow 3001, like the scores turing holds. */
		if (px->type[C_IHL])
			vals[C_IHL] = xasprintf("%ld", it->ihl_score);
		if (px->type[C_SCALE] && it->ihl_scale)
			vals[C_SCALE] = xasprintf("%ld", it->ihl_scale);
		if (px->type[C_VERDICT] && it->ihl_verdict)
			vals[C_VERDICT] = xstrdup(it->ihl_verdict);
	}
	if (px->type[C_STATUS] && it->status && !strcmp(it->status, "complete"))
		vals[C_STATUS] = xstrdup(it->status);
}

static void free_values(char *vals[NCOLS])
{
	for (int c = 0; c < NCOLS; c++)
		free(vals[c]);
}

/* "$n" cast to a column type. Every use of a parameter starts with ::text, so
 * PostgreSQL deduces one type for it. */
static void value_expr(struct pg_query *q, enum ctype t, int n)
{
	pg_query_ref(q, n);
	pg_query_sql(q, t == CT_JSONB ? "::text::jsonb" : t == CT_JSON ? "::text::json" : t == CT_INT ? "::text::bigint"
											: "::text");
}

/* "col IS [NOT] DISTINCT FROM $n" for each value, joined with OR (AND). */
static void differs(struct pg_query *q, const struct push_ctx *px, const int *param, int equal)
{
	int first = 1;
	pg_query_sql(q, "(");
	for (int c = 0; c < NCOLS; c++) {
		if (!param[c])
			continue;
		pg_query_sql(q, first ? "" : equal ? " AND " : " OR ");
		first = 0;
		pg_query_sql(q, col_name(c));
		if (px->type[c] == CT_JSON)
			pg_query_sql(q, "::jsonb");
		pg_query_sql(q, equal ? " IS NOT DISTINCT FROM " : " IS DISTINCT FROM ");
		value_expr(q, px->type[c] == CT_JSON ? CT_JSONB : px->type[c], param[c]);
	}
	pg_query_sql(q, ")");
}

/* After an update that changed no row: gone, already there, or changed remotely. */
static int classify_unchanged(struct push_ctx *px, const struct sync_item *it, char *vals[NCOLS], const char *idtext,
			      struct push_result *res)
{
	struct pg_query q;
	int param[NCOLS] = { 0 };
	pg_query_init(&q);
	int id = pg_query_add(&q, idtext);
	for (int c = 0; c < NCOLS; c++)
		if (vals[c])
			param[c] = pg_query_add(&q, vals[c]);
	pg_query_sql(&q, px->type[C_UPDATED_AT] ? "SELECT updated_at::text, " : "SELECT NULL, ");
	differs(&q, px, param, 1);
	pg_query_sql(&q, " FROM postings WHERE posting_id = ");
	pg_query_ref(&q, id);
	pg_query_sql(&q, "::bigint");
	struct pg_res *r;
	int rc = pg_run(px->pg, &q, &r);
	pg_query_release(&q);
	if (rc)
		return rc;
	if (!pg_rows(r)) {
		res->kind = O_MISSING;
		res->message = xstrdup("no longer in PostgreSQL: not pushed");
	} else if (!strcmp(pg_get(r, 0, 1), "t") || !strcmp(pg_get(r, 0, 1), "true")) {
		res->kind = O_UP_TO_DATE;
		res->version = pg_get(r, 0, 0) ? xstrdup(pg_get(r, 0, 0)) : NULL;
	} else {
		const char *now = pg_get(r, 0, 0);
		res->kind = O_CONFLICT;
		res->version = now ? xstrdup(now) : NULL;
		res->message = xasprintf("changed in PostgreSQL after it was pulled (updated_at then %s, now %s): not "
					 "pushed; pull it and run it again, or push --force",
					 it->remote_updated_at ? it->remote_updated_at : "empty", now ? now : "empty");
	}
	pg_res_free(r);
	return E_OK;
}

/* 1 when item holds (or held) a claim on the server this push goes to. */
static int claimed_here(const struct push_ctx *px, const struct sync_item *it)
{
	return it->claim_token && it->claim_server && !strcmp(it->claim_server, pg_where(px->pg));
}

/* The claim fence: locks the posting's row of waverunner_claims until the
 * batch ends and says whether it still holds this database's token; if not,
 * *why says who has it. */
static int claim_fence(struct push_ctx *px, const struct sync_item *it, const char *idtext, int *ours, char **why)
{
	const char *params[] = { idtext, it->claim_token };
	struct pg_res *r;
	*ours = 0;
	*why = NULL;
	int rc = pg_exec(px->pg,
			 "SELECT token IS NOT DISTINCT FROM $2, state, instance, expires_at::text FROM waverunner_claims "
			 "WHERE posting_id = $1::bigint FOR UPDATE",
			 2, params, &r);
	if (rc)
		return rc;
	const char *state = pg_get(r, 0, 1), *who = pg_get(r, 0, 2), *until = pg_get(r, 0, 3);
	if (!pg_rows(r))
		*why = xstrdup("its claim is no longer in waverunner_claims");
	else if (!strcmp(pg_get(r, 0, 0), "t"))
		*ours = 1;
	else if (!strcmp(state, "claimed"))
		*why = xasprintf("its claim %s and instance %s holds it now (until %s)",
				 it->claim_released ? "was given back" : "expired", who ? who : "?", until ? until : "?");
	else if (!strcmp(state, "free"))
		*why = xasprintf("its claim %s and the posting is free again",
				 it->claim_released ? "was given back" : "expired");
	else
		*why = xasprintf("its claim %s and instance %s has finished it (%s)",
				 it->claim_released ? "was given back" : "expired", who ? who : "?", state);
	pg_res_free(r);
	return E_OK;
}

/* The UPDATE of posting it with the values vals (the NULL ones left alone):
 * only when PostgreSQL's row is still the version the results are based on
 * (unless --force) and something differs. */
static void update_query(struct pg_query *q, const struct push_ctx *px, const struct sync_item *it, char **vals,
			 const char *idtext)
{
	int param[NCOLS] = { 0 };
	pg_query_init(q);
	pg_query_sql(q, "UPDATE postings SET ");
	int first = 1;
	for (int c = 0; c < NCOLS; c++) {
		if (!vals[c])
			continue;
		pg_query_sql(q, first ? "" : ", ");
		first = 0;
		pg_query_sql(q, col_name(c));
		pg_query_sql(q, " = ");
		param[c] = pg_query_add(q, vals[c]);
		value_expr(q, px->type[c], param[c]);
	}
	if (px->type[C_UPDATED_AT])
		pg_query_sql(q, ", updated_at = now()");
	if (px->type[C_UPDATED_BY])
		pg_query_sql(q, ", updated_by_interaction_id = NULL");
	pg_query_sql(q, " WHERE posting_id = ");
	pg_query_param(q, idtext);
	pg_query_sql(q, "::bigint");
	if (px->type[C_UPDATED_AT] && !px->o->force) {
		/* The version the results are based on; the parameter takes the
		 * column's own type, so the comparison is exact. */
		pg_query_sql(q, " AND updated_at IS NOT DISTINCT FROM ");
		pg_query_param(q, it->remote_updated_at);
	}
	pg_query_sql(q, " AND ");
	differs(q, px, param, 0);
	pg_query_sql(q, px->type[C_UPDATED_AT] ? " RETURNING updated_at::text" : " RETURNING NULL");
}

/* Sends one posting's results inside the batch's transaction. Returns E_OK
 * with res filled, or the error that ends the batch (E_REMOTE, E_INTERRUPT). */
static int push_one(struct push_ctx *px, const struct sync_item *it, struct push_result *res)
{
	char *vals[NCOLS];
	char idtext[32];
	snprintf(idtext, sizeof idtext, "%ld", it->posting_id);
	item_values(px, it, vals);
	res->sent = cJSON_CreateArray();
	int any = 0;
	for (int c = 0; c < NCOLS; c++)
		if (vals[c]) {
			any = 1;
			cJSON_AddItemToArray(res->sent, cJSON_CreateString(col_name(c)));
		}
	if (!any) {
		res->kind = O_UP_TO_DATE; /* nothing PostgreSQL can take */
		free_values(vals);
		return E_OK;
	}
	struct pg_query q;
	update_query(&q, px, it, vals, idtext);

	struct pg_res *r = NULL;
	int rc = E_OK;
	if (claimed_here(px, it)) {
		int ours;
		char *why;
		if ((rc = claim_fence(px, it, idtext, &ours, &why))) {
			pg_query_release(&q);
			free_values(vals);
			return rc;
		}
		if (!ours) {
			/* Not written: unless PostgreSQL has these very values already. */
			pg_query_release(&q);
			rc = classify_unchanged(px, it, vals, idtext, res);
			if (!rc && res->kind == O_CONFLICT) {
				free(res->message);
				res->message = xasprintf("%s: not pushed (the claim token fences it)", why);
			}
			free(why);
			free_values(vals);
			return rc;
		}
	}
	rc = pg_savepoint(px->pg);
	if (!rc)
		rc = pg_run(px->pg, &q, &r);
	pg_query_release(&q);
	if (rc == E_FAIL) {
		/* The server refused this row (a constraint): the others still go. */
		res->kind = O_REJECTED;
		res->message = xstrdup(err_msg());
		rc = pg_rollback_to_savepoint(px->pg);
	} else if (!rc) {
		int changed = pg_rows(r) == 1;
		if (changed) {
			res->kind = O_PUSHED;
			res->version = pg_get(r, 0, 0) ? xstrdup(pg_get(r, 0, 0)) : NULL;
		}
		rc = pg_release_savepoint(px->pg);
		if (!rc && !changed)
			rc = classify_unchanged(px, it, vals, idtext, res);
	}
	/* Its runs have ended and its results are in: the claim is done. */
	if (!rc && claimed_here(px, it) && it->claim_final && !it->claim_released &&
	    (res->kind == O_PUSHED || res->kind == O_UP_TO_DATE)) {
		int changed;
		rc = sync_claim_end(px->pg, it->posting_id, it->claim_token, it->claim_failed ? "failed" : "done",
				    &changed);
		res->claim_ended = !rc && changed;
	}
	pg_res_free(r);
	free_values(vals);
	return rc;
}

static const char *outcome_name(enum outcome k)
{
	switch (k) {
	case O_PUSHED: return "pushed";
	case O_UP_TO_DATE: return "up_to_date";
	case O_CONFLICT: return "conflict";
	case O_REJECTED: return "rejected";
	case O_MISSING: return "missing";
	default: return "not_sent";
	}
}

static void report_item(struct push_ctx *px, const struct sync_item *it, struct push_result *res)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "posting_id", (double)it->posting_id);
	cJSON_AddStringToObject(o, "result", outcome_name(res->kind));
	if (res->sent && res->kind == O_PUSHED)
		cJSON_AddItemToObject(o, "columns", res->sent);
	else
		cJSON_Delete(res->sent);
	res->sent = NULL;
	if (res->message)
		cJSON_AddStringToObject(o, "message", res->message);
	cJSON_AddItemToArray(px->postings, o);
	switch (res->kind) {
	case O_PUSHED: px->pushed++; break;
	case O_UP_TO_DATE: px->up_to_date++; break;
	case O_CONFLICT: px->conflicts++; break;
	case O_REJECTED: px->rejected++; break;
	case O_MISSING: px->missing++; break;
	default: break;
	}
}

static void result_release(struct push_result *res)
{
	free(res->version);
	free(res->message);
	cJSON_Delete(res->sent);
	memset(res, 0, sizeof *res);
}

/* The stale check needs no server: a pull changed the posting after its
 * results were saved. */
static int stale_conflict(const struct push_ctx *px, const struct sync_item *it, struct push_result *res)
{
	if (!it->stale || px->o->force)
		return 0;
	res->kind = O_CONFLICT;
	res->message = xasprintf("changed in PostgreSQL (a pull brought the change at %s) after its results were "
				 "saved at %s: not pushed; run it again, or push --force",
				 it->pulled_at, it->results_at);
	return 1;
}

/* One batch: one PostgreSQL transaction, then the local marks. */
static int push_batch(struct push_ctx *px, const struct sync_item *items, size_t n)
{
	struct push_result *res = xcalloc(n, sizeof *res);
	int rc = pg_begin(px->pg);
	for (size_t i = 0; !rc && i < n; i++)
		if (!stale_conflict(px, &items[i], &res[i]))
			rc = push_one(px, &items[i], &res[i]);
	rc = pg_end(px->pg, rc);
	if (rc) {
		/* Nothing of this batch is in PostgreSQL, and nothing is marked. */
		char *m = xstrdup(err_msg());
		for (size_t i = 0; i < n; i++) {
			result_release(&res[i]);
			report_item(px, &items[i], &res[i]);
		}
		err_set(rc, "%s; the %zu posting%s of this batch were not pushed (the next push sends them)", m, n,
			n == 1 ? "" : "s");
		free(m);
		free(res);
		return rc;
	}
	char now[32];
	iso_now(now);
	rc = db_begin(px->db);
	for (size_t i = 0; !rc && i < n; i++)
		if (res[i].kind == O_PUSHED || res[i].kind == O_UP_TO_DATE) {
			rc = db_sync_mark_pushed(px->db, items[i].posting_id, items[i].results_at, res[i].version, now);
			if (!rc && res[i].claim_ended) {
				rc = db_claim_drop(px->db, items[i].posting_id, items[i].claim_token);
				if (items[i].claim_failed)
					px->claims_failed++;
				else
					px->claims_done++;
			}
		}
	if (!rc)
		rc = db_commit(px->db);
	else
		db_rollback(px->db);
	for (size_t i = 0; i < n; i++) {
		report_item(px, &items[i], &res[i]);
		result_release(&res[i]);
	}
	free(res);
	/* If the marks were lost, the next push finds the values already there. */
	return rc ? err_wrap(rc, "PostgreSQL has the batch, but marking it pushed locally failed") : E_OK;
}

static int dry_item(struct push_ctx *px, const struct sync_item *it)
{
	char *vals[NCOLS];
	struct push_result res = { 0 };
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "posting_id", (double)it->posting_id);
	item_values(px, it, vals);
	cJSON *v = cJSON_AddObjectToObject(o, "values");
	for (int c = 0; c < NCOLS; c++) {
		if (!vals[c])
			continue;
		cJSON *j = px->type[c] == CT_JSONB || px->type[c] == CT_JSON ? cJSON_Parse(vals[c]) : NULL;
		if (px->type[c] == CT_INT)
			cJSON_AddNumberToObject(v, col_name(c), atof(vals[c]));
		else if (j)
			cJSON_AddItemToObject(v, col_name(c), j);
		else
			cJSON_AddStringToObject(v, col_name(c), vals[c]);
	}
	if (px->type[C_UPDATED_AT])
		cJSON_AddStringToObject(v, "updated_at", "now()");
	if (px->type[C_UPDATED_BY])
		cJSON_AddNullToObject(v, "updated_by_interaction_id");
	free_values(vals);
	enum outcome kind = O_PUSHED;
	int rc = E_OK, ours = 1;
	char *why = NULL;
	if (claimed_here(px, it)) {
		char idtext[32];
		snprintf(idtext, sizeof idtext, "%ld", it->posting_id);
		rc = claim_fence(px, it, idtext, &ours, &why);
	}
	if (rc) {
		cJSON_Delete(o);
		return rc;
	}
	if (!ours) {
		kind = O_CONFLICT;
		res.message = xasprintf("%s: would not be pushed (the claim token fences it)", why);
		free(why);
	} else if (stale_conflict(px, it, &res)) {
		kind = O_CONFLICT;
	} else {
		char idtext[32];
		snprintf(idtext, sizeof idtext, "%ld", it->posting_id);
		const char *params[] = { idtext, it->remote_updated_at };
		int check = px->type[C_UPDATED_AT] && !px->o->force;
		struct pg_res *r;
		rc = pg_exec(px->pg,
			     check ? "SELECT updated_at IS NOT DISTINCT FROM $2, updated_at::text FROM postings "
				     "WHERE posting_id = $1::bigint"
				   : "SELECT true, NULL FROM postings WHERE posting_id = $1::bigint",
			     check ? 2 : 1, params, &r);
		if (!rc && !pg_rows(r)) {
			kind = O_MISSING;
			res.message = xstrdup("no longer in PostgreSQL: would not be pushed");
		} else if (!rc && strcmp(pg_get(r, 0, 0), "t") && strcmp(pg_get(r, 0, 0), "true")) {
			kind = O_CONFLICT;
			res.message = xasprintf("changed in PostgreSQL after it was pulled (updated_at then %s, now "
						"%s): would not be pushed without --force",
						it->remote_updated_at ? it->remote_updated_at : "empty",
						pg_get(r, 0, 1) ? pg_get(r, 0, 1) : "empty");
		}
		pg_res_free(r);
	}
	if (rc) {
		cJSON_Delete(o);
		return rc;
	}
	cJSON_AddStringToObject(o, "result", kind == O_PUSHED ? "would_push" : outcome_name(kind));
	if (res.message)
		cJSON_AddStringToObject(o, "message", res.message);
	if (kind == O_PUSHED)
		px->pushed++;
	else if (kind == O_CONFLICT)
		px->conflicts++;
	else
		px->missing++;
	cJSON_AddItemToArray(px->postings, o);
	result_release(&res);
	return E_OK;
}

int sync_push(struct db *db, struct pg *pg, const struct push_opts *o, cJSON *report)
{
	struct push_ctx px = { .db = db, .pg = pg, .o = o };
	cJSON_AddStringToObject(report, "server", pg_where(pg));
	cJSON_AddBoolToObject(report, "dry_run", o->dry_run);
	int rc = plan_columns(&px, report);
	if (rc)
		return rc;
	struct sync_item *items;
	size_t n;
	long *local_only;
	size_t nlocal;
	if ((rc = db_sync_to_push(db, &items, &n)))
		return rc;
	if ((rc = db_sync_local_only(db, &local_only, &nlocal))) {
		db_sync_items_free(items, n);
		return rc;
	}
	cJSON_AddNumberToObject(report, "to_push", (double)n);
	for (size_t i = 0; !rc && i < n && !px.claims; i++)
		if (claimed_here(&px, &items[i]))
			px.claims = 1;
	if (px.claims && (rc = sync_claims_ready(pg))) {
		free(local_only);
		db_sync_items_free(items, n);
		return rc;
	}
	px.postings = cJSON_CreateArray();
	if (o->dry_run) {
		for (size_t i = 0; !rc && i < n; i++)
			rc = dry_item(&px, &items[i]);
	} else {
		size_t batch = o->batch > 0 ? (size_t)o->batch : 100;
		for (size_t start = 0; !rc && start < n; start += batch) {
			if (o->stop && *o->stop) {
				rc = err_set(E_INTERRUPT, "interrupted");
				break;
			}
			rc = push_batch(&px, items + start, n - start < batch ? n - start : batch);
		}
	}
	/* Claims whose runs ended with nothing (more) to push are over too. */
	if (!rc && !o->dry_run) {
		cJSON *rel = cJSON_AddObjectToObject(report, "claims");
		rc = sync_release(db, pg, 0, rel);
		cJSON *d = cJSON_GetObjectItem(rel, "done"), *f = cJSON_GetObjectItem(rel, "failed");
		if (!rc) {
			cJSON_SetNumberValue(d, d->valuedouble + (double)px.claims_done);
			cJSON_SetNumberValue(f, f->valuedouble + (double)px.claims_failed);
		}
	}
	cJSON_AddNumberToObject(report, o->dry_run ? "would_push" : "pushed", (double)px.pushed);
	if (!o->dry_run) {
		cJSON_AddNumberToObject(report, "up_to_date", (double)px.up_to_date);
		cJSON_AddNumberToObject(report, "rejected", (double)px.rejected);
		cJSON_AddNumberToObject(report, "not_sent", (double)(n - (size_t)(px.pushed + px.up_to_date +
			px.conflicts + px.rejected + px.missing)));
	}
	cJSON_AddNumberToObject(report, "conflicts", (double)px.conflicts);
	cJSON_AddNumberToObject(report, "missing", (double)px.missing);
	cJSON *lo = cJSON_AddArrayToObject(report, "not_pulled");
	for (size_t i = 0; i < nlocal; i++)
		cJSON_AddItemToArray(lo, cJSON_CreateNumber((double)local_only[i]));
	cJSON_AddItemToObject(report, "postings", px.postings);
	free(local_only);
	db_sync_items_free(items, n);
	if (rc)
		return rc;
	return px.conflicts || px.rejected || px.missing ? E_FAIL : E_OK;
}
