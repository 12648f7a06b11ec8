/* claims.c: claims on turing's postings for instances that share it (see
 * claims.h): setup, claiming, lease extension, release, status. */
#include "claims.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db-sync.h"
#include "db.h"
#include "err.h"
#include "json.h"
#include "pg.h"
#include "sync.h"
#include "util.h"

#define INSTANCE_KEY "claims.instance"

int sync_instance(struct db *db, int create, char **name)
{
	int rc = db_sync_state_get(db, INSTANCE_KEY, name);
	if (rc || *name || !create)
		return rc;
	char host[64] = "";
	if (gethostname(host, sizeof host - 1) < 0 || !*host)
		snprintf(host, sizeof host, "waverunner");
	for (char *p = host; *p; p++)
		if (*p == '.' || (unsigned char)*p < 0x21) {
			*p = 0;
			break;
		}
	unsigned char r[4] = { 0 };
	FILE *f = fopen("/dev/urandom", "rb");
	size_t got = f ? fread(r, 1, sizeof r, f) : 0;
	if (f)
		fclose(f);
	if (got != sizeof r) {
		uint64_t x = (uint64_t)mono_ms() ^ ((uint64_t)getpid() << 20);
		memcpy(r, &x, sizeof r);
	}
	*name = xasprintf("%s-%02x%02x%02x%02x", host, r[0], r[1], r[2], r[3]);
	if ((rc = db_sync_state_set(db, INSTANCE_KEY, *name))) {
		free(*name);
		*name = NULL;
	}
	return rc;
}

int sync_claims_ready(struct pg *pg)
{
	struct pg_res *r;
	int rc = pg_exec(pg, "SELECT to_regclass('waverunner_claims') IS NOT NULL", 0, NULL, &r);
	if (rc)
		return rc == E_FAIL ? err_wrap(E_REMOTE, "PostgreSQL at %s", pg_where(pg)) : rc;
	int ready = pg_get(r, 0, 0) && !strcmp(pg_get(r, 0, 0), "t");
	pg_res_free(r);
	if (!ready)
		return err_set(E_INPUT, "PostgreSQL at %s has no table waverunner_claims: run waverunner sync setup "
			       "once (it creates it)", pg_where(pg));
	return E_OK;
}

/* The SQL condition under which a posting is queued as skipped, from the
 * columns turing's postings table has ("false" when none). New string. */
static int skip_condition(struct pg *pg, char **out)
{
	struct pg_column *cols;
	size_t n;
	int rc = pg_columns(pg, "postings", &cols, &n);
	if (rc)
		return rc;
	struct buf b = BUF_INIT;
	buf_puts(&b, "(false");
	if (pg_column_type(cols, n, "posting_status"))
		buf_puts(&b, " OR posting_status IN ('complete', 'filled', 'invalid')");
	if (pg_column_type(cols, n, "invalidated"))
		buf_puts(&b, " OR invalidated IS TRUE");
	if (pg_column_type(cols, n, "enabled"))
		buf_puts(&b, " OR enabled IS FALSE");
	buf_puts(&b, ")");
	pg_columns_free(cols, n);
	*out = buf_detach(&b);
	return E_OK;
}

/* Queues postings not queued yet: all of them, or (newer) only those above
 * the newest queued one, which the primary key finds at once. */
static int queue_postings(struct pg *pg, int newer, long *queued)
{
	char *skip;
	int rc = skip_condition(pg, &skip);
	if (rc)
		return rc;
	struct pg_query q;
	pg_query_init(&q);
	/* The condition is built from fixed fragments above, never from input. */
	pg_query_sql(&q, "INSERT INTO waverunner_claims (posting_id, state) SELECT posting_id, CASE WHEN ");
	pg_query_sql(&q, skip);
	pg_query_sql(&q, " THEN 'skipped' ELSE 'free' END FROM postings");
	if (newer)
		pg_query_sql(&q, " WHERE posting_id > (SELECT coalesce(max(posting_id), 0) FROM waverunner_claims)");
	pg_query_sql(&q, " ON CONFLICT (posting_id) DO NOTHING RETURNING posting_id");
	struct pg_res *r;
	rc = pg_run(pg, &q, &r);
	pg_query_release(&q);
	free(skip);
	if (rc)
		return rc;
	*queued = (long)pg_rows(r);
	pg_res_free(r);
	return E_OK;
}

int sync_setup(struct pg *pg, cJSON *report)
{
	cJSON_AddStringToObject(report, "server", pg_where(pg));
	long queued = 0;
	int rc = pg_begin(pg);
	if (!rc)
		rc = pg_exec(pg, "SET LOCAL client_min_messages = warning", 0, NULL, NULL);
	if (!rc)
		rc = pg_exec_script(pg, pg_claims_sql);
	if (!rc)
		rc = queue_postings(pg, 0, &queued);
	rc = pg_end(pg, rc);
	if (rc == E_FAIL)
		return err_wrap(E_REMOTE, "setting up claims in PostgreSQL at %s", pg_where(pg));
	cJSON_AddNumberToObject(report, "queued", (double)queued);
	return rc;
}

/* A text[] literal of tokens (they are UUIDs: no quoting needed, but quoted). */
static char *token_array(const struct held_claim *c, size_t n)
{
	struct buf b = BUF_INIT;
	buf_putc(&b, '{');
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s\"%s\"", i ? "," : "", c[i].token);
	buf_putc(&b, '}');
	return buf_detach(&b);
}

/* The claim: expired claims first (oldest expiry first), then free postings
 * in posting_id order; each from its partial index, rows other claimers hold
 * locked skipped. One statement, one transaction. Every LIMIT is the
 * parameter itself, so that the planner knows picked is small and joins it
 * by primary key (a LIMIT it cannot estimate made it hash the whole table:
 * 660 ms instead of 1 ms at a million rows). The CTEs are read lazily: fresh
 * locks only the rows the outer LIMIT still needs. tests/bench/claims.sh
 * measures this statement; keep the two in step. */
static const char CLAIM_SQL[] =
	"WITH expired AS (SELECT posting_id, instance FROM waverunner_claims "
	"WHERE state = 'claimed' AND expires_at < now() ORDER BY expires_at LIMIT $1::bigint FOR UPDATE SKIP LOCKED), "
	"fresh AS (SELECT posting_id, NULL::text AS instance FROM waverunner_claims WHERE state = 'free' "
	"ORDER BY posting_id LIMIT $1::bigint FOR UPDATE SKIP LOCKED), "
	"picked AS (SELECT * FROM expired UNION ALL SELECT * FROM fresh LIMIT $1::bigint) "
	"UPDATE waverunner_claims c SET state = 'claimed', instance = $2, token = gen_random_uuid()::text, "
	"claimed_at = now(), expires_at = now() + $3::bigint * interval '1 millisecond', claims = c.claims + 1 "
	"FROM picked WHERE c.posting_id = picked.posting_id "
	"RETURNING c.posting_id::text, c.token, c.claimed_at::text, c.expires_at::text, picked.instance";

/* Marks claims in turing that were taken but cannot be worked on here. */
static int mark_failed(struct pg *pg, const long *ids, size_t n, const char *instance)
{
	if (!n)
		return E_OK;
	char *arr = pg_id_array(ids, n);
	const char *params[] = { arr, instance };
	int rc = pg_exec(pg,
			 "UPDATE waverunner_claims SET state = 'failed', done_at = now() "
			 "WHERE posting_id = ANY ($1::bigint[]) AND instance = $2 AND state = 'claimed'",
			 2, params, NULL);
	free(arr);
	return rc;
}

int sync_claim(struct db *db, struct pg *pg, const char *instance, long n, int64_t lease_ms, cJSON *report)
{
	cJSON_AddStringToObject(report, "server", pg_where(pg));
	cJSON_AddStringToObject(report, "instance", instance);
	int rc = sync_claims_ready(pg);
	if (rc)
		return rc;
	char ntext[32], lease[32];
	snprintf(ntext, sizeof ntext, "%ld", n);
	snprintf(lease, sizeof lease, "%lld", (long long)lease_ms);
	long queued = 0;
	struct pg_res *r = NULL;
	rc = pg_begin(pg);
	if (!rc)
		rc = queue_postings(pg, 1, &queued);
	if (!rc) {
		const char *params[] = { ntext, instance, lease };
		rc = pg_exec(pg, CLAIM_SQL, 3, params, &r);
	}
	rc = pg_end(pg, rc);
	if (rc) {
		pg_res_free(r);
		return rc == E_FAIL ? err_wrap(E_REMOTE, "claiming postings in PostgreSQL at %s", pg_where(pg)) : rc;
	}
	cJSON_AddNumberToObject(report, "queued", (double)queued);
	size_t rows = pg_rows(r);
	if (rows)
		cJSON_AddStringToObject(report, "lease_until", pg_get(r, 0, 3));
	long *ids = xcalloc(rows + 1, sizeof *ids);
	cJSON *claimed = cJSON_AddArrayToObject(report, "claimed");
	for (size_t i = 0; i < rows; i++) {
		parse_long(pg_get(r, i, 0), &ids[i]);
		cJSON *c = cJSON_CreateObject();
		cJSON_AddNumberToObject(c, "posting_id", (double)ids[i]);
		if (pg_get(r, i, 4))
			cJSON_AddStringToObject(c, "taken_from", pg_get(r, i, 4));
		cJSON_AddItemToArray(claimed, c);
	}
	if (rows) {
		struct pull_opts po = { .postings = 1, .ids = ids, .nids = rows };
		cJSON *pulled = cJSON_CreateObject();
		rc = sync_pull(db, pg, &po, pulled);
		cJSON_AddItemToObject(report, "pull", pulled);
		if (rc && rc != E_FAIL) {
			pg_res_free(r);
			free(ids);
			return rc;
		}
		/* Record each claim whose posting is here now; the others go back
		 * to turing as failed (they would come back to us forever). */
		long *drop = xcalloc(rows + 1, sizeof *drop);
		size_t ndrop = 0;
		int lrc = db_begin(db);
		for (size_t i = 0; !lrc && i < rows; i++) {
			struct sync_local local;
			if ((lrc = db_sync_local(db, ids[i], &local)))
				break;
			int here = local.exists && local.pulled;
			db_sync_local_release(&local);
			if (here)
				lrc = db_claim_store(db, ids[i], pg_where(pg), pg_get(r, i, 1), pg_get(r, i, 2),
						     pg_get(r, i, 3));
			else
				drop[ndrop++] = ids[i];
		}
		if (!lrc)
			lrc = db_commit(db);
		else
			db_rollback(db);
		if (lrc) {
			pg_res_free(r);
			free(ids);
			free(drop);
			return lrc;
		}
		cJSON *dropped = cJSON_AddArrayToObject(report, "dropped");
		for (size_t i = 0; i < ndrop; i++)
			cJSON_AddItemToArray(dropped, cJSON_CreateNumber((double)drop[i]));
		int frc = mark_failed(pg, drop, ndrop, instance);
		free(drop);
		if (frc)
			rc = frc == E_FAIL ? err_wrap(E_REMOTE, "PostgreSQL at %s", pg_where(pg)) : frc;
		else if (ndrop)
			rc = E_FAIL;
		else
			rc = E_OK;
	}
	pg_res_free(r);
	free(ids);
	return rc;
}

int sync_extend(struct pg *pg, const struct held_claim *c, size_t n, int64_t lease_ms, long **lost, size_t *nlost,
		char until[64])
{
	*lost = NULL;
	*nlost = 0;
	until[0] = 0;
	if (!n)
		return E_OK;
	long *ids = xcalloc(n, sizeof *ids);
	for (size_t i = 0; i < n; i++)
		ids[i] = c[i].posting_id;
	char *idarr = pg_id_array(ids, n), *tokens = token_array(c, n), lease[32];
	snprintf(lease, sizeof lease, "%lld", (long long)lease_ms);
	const char *params[] = { idarr, tokens, lease };
	struct pg_res *r;
	int rc = pg_exec(pg,
			 "UPDATE waverunner_claims c SET expires_at = now() + $3::bigint * interval '1 millisecond' "
			 "FROM unnest($1::bigint[], $2::text[]) AS t (posting_id, token) "
			 "WHERE c.posting_id = t.posting_id AND c.token = t.token AND c.state = 'claimed' "
			 "RETURNING c.posting_id::text, c.expires_at::text",
			 3, params, &r);
	free(idarr);
	free(tokens);
	if (rc) {
		free(ids);
		return rc == E_FAIL ? err_wrap(E_REMOTE, "extending claims in PostgreSQL at %s", pg_where(pg)) : rc;
	}
	size_t rows = pg_rows(r);
	int *kept = xcalloc(n, sizeof *kept);
	for (size_t k = 0; k < rows; k++) {
		long id = 0;
		parse_long(pg_get(r, k, 0), &id);
		for (size_t i = 0; i < n; i++)
			if (ids[i] == id)
				kept[i] = 1;
		snprintf(until, 64, "%s", pg_get(r, k, 1));
	}
	for (size_t i = 0; i < n; i++)
		if (!kept[i]) {
			*lost = xreallocarray(*lost, *nlost + 1, sizeof **lost);
			(*lost)[(*nlost)++] = ids[i];
		}
	free(kept);
	free(ids);
	pg_res_free(r);
	return E_OK;
}

int sync_claim_end(struct pg *pg, long id, const char *token, const char *state, int *changed)
{
	char idtext[32];
	snprintf(idtext, sizeof idtext, "%ld", id);
	const char *params[] = { idtext, token, state };
	struct pg_res *r;
	int rc = pg_exec(pg,
			 "UPDATE waverunner_claims SET state = $3, done_at = CASE WHEN $3 = 'free' THEN NULL ELSE now() END, "
			 "expires_at = CASE WHEN $3 = 'free' THEN NULL ELSE expires_at END, "
			 "token = CASE WHEN $3 = 'free' THEN NULL ELSE token END, "
			 "instance = CASE WHEN $3 = 'free' THEN NULL ELSE instance END "
			 "WHERE posting_id = $1::bigint AND token = $2 AND state = 'claimed' RETURNING 1",
			 3, params, &r);
	if (rc)
		return rc;
	*changed = pg_rows(r) == 1;
	pg_res_free(r);
	return E_OK;
}

int sync_release(struct db *db, struct pg *pg, int unfinished, cJSON *report)
{
	struct held_claim *c;
	size_t n;
	int rc = db_claims_held(db, pg_where(pg), &c, &n);
	if (rc)
		return rc;
	long done = 0, failed = 0, freed = 0, gone = 0;
	char now[32];
	iso_now(now);
	for (size_t i = 0; !rc && i < n; i++) {
		int finished = c[i].started && !c[i].active && !c[i].unpushed;
		if (!finished && !unfinished)
			continue;
		const char *state = !finished ? "free" : c[i].failed ? "failed" : "done";
		int changed = 0;
		if ((rc = sync_claim_end(pg, c[i].posting_id, c[i].token, state, &changed)))
			break;
		if (!changed)
			gone++;
		else if (!finished)
			freed++;
		else if (c[i].failed)
			failed++;
		else
			done++;
		/* Finished: the claim is over. Given back: its token still fences a push. */
		rc = finished ? db_claim_drop(db, c[i].posting_id, c[i].token)
			      : db_claim_released(db, c[i].posting_id, c[i].token, now);
	}
	db_claims_free(c, n);
	cJSON_AddNumberToObject(report, "done", (double)done);
	cJSON_AddNumberToObject(report, "failed", (double)failed);
	cJSON_AddNumberToObject(report, "freed", (double)freed);
	cJSON_AddNumberToObject(report, "lost", (double)gone);
	if (rc == E_FAIL)
		rc = err_wrap(E_REMOTE, "releasing claims in PostgreSQL at %s", pg_where(pg));
	return rc;
}

int sync_claims_status(struct pg *pg, cJSON *report)
{
	cJSON_AddStringToObject(report, "server", pg_where(pg));
	int rc = sync_claims_ready(pg);
	if (rc)
		return rc;
	struct pg_res *r = NULL, *per = NULL;
	rc = pg_begin_snapshot(pg);
	if (!rc)
		rc = pg_exec(pg,
			     "SELECT count(*) FILTER (WHERE state = 'free'), "
			     "count(*) FILTER (WHERE state = 'claimed' AND expires_at >= now()), "
			     "count(*) FILTER (WHERE state = 'claimed' AND expires_at < now()), "
			     "count(*) FILTER (WHERE state = 'done'), count(*) FILTER (WHERE state = 'failed'), "
			     "count(*) FILTER (WHERE state = 'skipped'), "
			     "(SELECT count(*) FROM postings WHERE posting_id > "
			     "(SELECT coalesce(max(posting_id), 0) FROM waverunner_claims)) FROM waverunner_claims",
			     0, NULL, &r);
	if (!rc)
		rc = pg_exec(pg,
			     "SELECT instance, count(*) FILTER (WHERE state = 'claimed' AND expires_at >= now()), "
			     "count(*) FILTER (WHERE state = 'claimed' AND expires_at < now()), "
			     "count(*) FILTER (WHERE state = 'done'), count(*) FILTER (WHERE state = 'failed'), "
			     "max(expires_at) FILTER (WHERE state = 'claimed')::text "
			     "FROM waverunner_claims WHERE instance IS NOT NULL GROUP BY instance ORDER BY instance",
			     0, NULL, &per);
	pg_rollback(pg);
	if (rc) {
		pg_res_free(r);
		return rc == E_FAIL ? err_wrap(E_REMOTE, "reading claims from PostgreSQL at %s", pg_where(pg)) : rc;
	}
	static const char *const keys[] = { "free", "claimed", "expired", "done", "failed", "skipped", "not_queued" };
	cJSON *p = cJSON_AddObjectToObject(report, "postings");
	for (int k = 0; k < 7; k++) {
		long v = 0;
		parse_long(pg_get(r, 0, k), &v);
		cJSON_AddNumberToObject(p, keys[k], (double)v);
	}
	cJSON *inst = cJSON_AddArrayToObject(report, "instances");
	for (size_t i = 0; i < pg_rows(per); i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "instance", pg_get(per, i, 0));
		static const char *const ikeys[] = { "claimed", "expired", "done", "failed" };
		for (int k = 0; k < 4; k++) {
			long v = 0;
			parse_long(pg_get(per, i, k + 1), &v);
			cJSON_AddNumberToObject(o, ikeys[k], (double)v);
		}
		if (pg_get(per, i, 5))
			cJSON_AddStringToObject(o, "lease_until", pg_get(per, i, 5));
		cJSON_AddItemToArray(inst, o);
	}
	pg_res_free(r);
	pg_res_free(per);
	return E_OK;
}
