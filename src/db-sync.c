/* db-sync.c: sync's bookkeeping in the local database (posting_sync, sync_state, posting_claims). */
#include "db-sync.h"

#include <stdlib.h>
#include <string.h>

#include "dbint.h"
#include "err.h"
#include "util.h"

int db_sync_state_get(struct db *db, const char *key, char **value)
{
	static const char SQL[] = "SELECT value FROM sync_state WHERE key = ?1";
	*value = NULL;
	return db_get(db, SQL, "T", "T", key, value) < 0 ? E_DB : E_OK;
}

int db_sync_state_set(struct db *db, const char *key, const char *value)
{
	static const char SQL[] =
		"INSERT INTO sync_state (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
	return db_do(db, SQL, "TT", key, value);
}

int db_sync_local(struct db *db, long posting_id, struct sync_local *out)
{
	static const char SQL[] =
		"SELECT s.posting_id IS NOT NULL, s.remote_updated_at, p.external_job_id, "
		"p.results_updated_at IS NOT NULL AND (s.pushed_results_at IS NULL "
		"OR p.results_updated_at > s.pushed_results_at) "
		"FROM postings p LEFT JOIN posting_sync s USING (posting_id) WHERE p.posting_id = ?1";
	memset(out, 0, sizeof *out);
	int rc = db_get(db, SQL, "L", "iTTi", posting_id, &out->pulled, &out->remote_updated_at,
			&out->external_job_id, &out->unpushed);
	out->exists = rc == SQLITE_ROW;
	return rc < 0 ? E_DB : E_OK;
}

void db_sync_local_release(struct sync_local *l)
{
	free(l->remote_updated_at);
	free(l->external_job_id);
	memset(l, 0, sizeof *l);
}

int db_sync_mark_pulled(struct db *db, long posting_id, const char *remote_updated_at, const char *now)
{
	static const char SQL[] =
		"INSERT INTO posting_sync (posting_id, remote_updated_at, pulled_at) VALUES (?1, ?2, ?3) "
		"ON CONFLICT (posting_id) DO UPDATE SET remote_updated_at = excluded.remote_updated_at, "
		"pulled_at = excluded.pulled_at";
	return db_do(db, SQL, "LTT", posting_id, remote_updated_at, now);
}

static void read_item(sqlite3_stmt *st, void *item, size_t i)
{
	struct sync_item *it = item;
	db_columns(st, "LTTLLTTTTiTTTiii", &it->posting_id, &it->summary, &it->skills, &it->ihl_score, &it->ihl_scale,
		   &it->ihl_verdict, &it->status, &it->results_at, &it->remote_updated_at, &it->stale, &it->pulled_at,
		   &it->claim_server, &it->claim_token, &it->claim_final, &it->claim_failed, &it->claim_released);
	it->has_ihl = !db_col_is_null(st, 3);
	(void)i;
}

int db_sync_to_push(struct db *db, struct sync_item **items, size_t *n)
{
	static const char SQL[] =
		"SELECT p.posting_id, p.extracted_summary, p.skill_keywords, p.ihl_score, p.ihl_scale, "
		"p.ihl_verdict, p.posting_status, p.results_updated_at, s.remote_updated_at, "
		"p.results_updated_at <= s.pulled_at, s.pulled_at, c.server, c.token, "
		"EXISTS (SELECT 1 FROM workflow_runs r WHERE r.posting_id = p.posting_id) AND NOT EXISTS "
		"(SELECT 1 FROM workflow_runs r WHERE r.posting_id = p.posting_id AND r.status = 'running'), "
		"coalesce((SELECT r.status = 'failed' FROM workflow_runs r WHERE r.posting_id = p.posting_id "
		"ORDER BY r.workflow_run_id DESC LIMIT 1), 0), c.released_at IS NOT NULL "
		"FROM postings p JOIN posting_sync s USING (posting_id) LEFT JOIN posting_claims c USING (posting_id) "
		"WHERE s.pulled_at IS NOT NULL AND p.results_updated_at IS NOT NULL "
		"AND (s.pushed_results_at IS NULL OR p.results_updated_at > s.pushed_results_at) "
		"ORDER BY p.posting_id";
	*items = NULL;
	*n = 0;
	return db_read_rows(db, SQL, items, n, sizeof **items, read_item, "");
}

void db_sync_items_free(struct sync_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(items[i].summary);
		free(items[i].skills);
		free(items[i].ihl_verdict);
		free(items[i].status);
		free(items[i].results_at);
		free(items[i].remote_updated_at);
		free(items[i].pulled_at);
		free(items[i].claim_server);
		free(items[i].claim_token);
	}
	free(items);
}

int db_sync_local_only(struct db *db, long **ids, size_t *n)
{
	static const char SQL[] =
		"SELECT p.posting_id FROM postings p LEFT JOIN posting_sync s USING (posting_id) "
		"WHERE p.results_updated_at IS NOT NULL AND s.pulled_at IS NULL ORDER BY p.posting_id";
	return db_ids(db, SQL, ids, n, "");
}

int db_sync_mark_pushed(struct db *db, long posting_id, const char *results_at, const char *remote_updated_at,
			const char *now)
{
	static const char SQL[] =
		"UPDATE posting_sync SET pushed_results_at = ?2, remote_updated_at = ?3, pushed_at = ?4 "
		"WHERE posting_id = ?1";
	return db_do(db, SQL, "LTTT", posting_id, results_at, remote_updated_at, now);
}

int db_claim_store(struct db *db, long posting_id, const char *server, const char *token, const char *claimed_at,
		   const char *expires_at)
{
	static const char SQL[] =
		"INSERT INTO posting_claims (posting_id, server, token, claimed_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5) "
		"ON CONFLICT (posting_id) DO UPDATE SET server = excluded.server, token = excluded.token, "
		"claimed_at = excluded.claimed_at, expires_at = excluded.expires_at, released_at = NULL";
	return db_do(db, SQL, "LTTTT", posting_id, server, token, claimed_at, expires_at);
}

static void read_claim(sqlite3_stmt *st, void *item, size_t i)
{
	struct held_claim *c = item;
	db_columns(st, "LTTiiii", &c->posting_id, &c->token, &c->expires_at, &c->started, &c->active, &c->failed,
		   &c->unpushed);
	(void)i;
}

int db_claims_held(struct db *db, const char *server, struct held_claim **out, size_t *n)
{
	static const char SQL[] =
		"SELECT c.posting_id, c.token, c.expires_at, "
		"EXISTS (SELECT 1 FROM workflow_runs r WHERE r.posting_id = c.posting_id), "
		"EXISTS (SELECT 1 FROM workflow_runs r WHERE r.posting_id = c.posting_id AND r.status = 'running'), "
		"coalesce((SELECT r.status = 'failed' FROM workflow_runs r WHERE r.posting_id = c.posting_id "
		"ORDER BY r.workflow_run_id DESC LIMIT 1), 0), "
		"p.results_updated_at IS NOT NULL AND (s.pushed_results_at IS NULL "
		"OR p.results_updated_at > s.pushed_results_at) "
		"FROM posting_claims c JOIN postings p USING (posting_id) LEFT JOIN posting_sync s USING (posting_id) "
		"WHERE c.server = ?1 AND c.released_at IS NULL ORDER BY c.posting_id";
	*out = NULL;
	*n = 0;
	return db_read_rows(db, SQL, out, n, sizeof **out, read_claim, "T", server);
}

void db_claims_free(struct held_claim *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].token);
		free(c[i].expires_at);
	}
	free(c);
}

int db_claim_extended(struct db *db, long posting_id, const char *token, const char *expires_at)
{
	static const char SQL[] = "UPDATE posting_claims SET expires_at = ?3 WHERE posting_id = ?1 AND token = ?2";
	return db_do(db, SQL, "LTT", posting_id, token, expires_at);
}

int db_claim_drop(struct db *db, long posting_id, const char *token)
{
	static const char SQL[] = "DELETE FROM posting_claims WHERE posting_id = ?1 AND token = ?2";
	return db_do(db, SQL, "LT", posting_id, token);
}

int db_claim_released(struct db *db, long posting_id, const char *token, const char *now)
{
	static const char SQL[] = "UPDATE posting_claims SET released_at = ?3 WHERE posting_id = ?1 AND token = ?2";
	return db_do(db, SQL, "LTT", posting_id, token, now);
}

int db_sync_actor_id(struct db *db, const char *name, long *id)
{
	static const char SQL[] = "SELECT actor_id FROM actors WHERE actor_name = ?1";
	*id = 0;
	return db_get(db, SQL, "T", "L", name, id) < 0 ? E_DB : E_OK;
}

int db_sync_actor_name(struct db *db, long id, char **name)
{
	static const char SQL[] = "SELECT actor_name FROM actors WHERE actor_id = ?1";
	*name = NULL;
	return db_get(db, SQL, "L", "T", id, name) < 0 ? E_DB : E_OK;
}

int db_sync_actor_max_id(struct db *db, long below, long *max)
{
	static const char SQL[] = "SELECT coalesce(max(actor_id), 0) FROM actors WHERE actor_id < ?1";
	*max = 0;
	return db_get(db, SQL, "L", "L", below, max) < 0 ? E_DB : E_OK;
}
