/* db-sync.c: sync's bookkeeping in the local database (posting_sync, sync_state). */
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

int db_sync_to_push(struct db *db, struct sync_item **items, size_t *n)
{
	static const char SQL[] =
		"SELECT p.posting_id, p.extracted_summary, p.skill_keywords, p.ihl_score, p.ihl_scale, "
		"p.ihl_verdict, p.posting_status, p.results_updated_at, s.remote_updated_at, "
		"p.results_updated_at <= s.pulled_at, s.pulled_at "
		"FROM postings p JOIN posting_sync s USING (posting_id) "
		"WHERE s.pulled_at IS NOT NULL AND p.results_updated_at IS NOT NULL "
		"AND (s.pushed_results_at IS NULL OR p.results_updated_at > s.pushed_results_at) "
		"ORDER BY p.posting_id";
	*items = NULL;
	*n = 0;
	sqlite3_stmt *st = db_prepare(db, SQL);
	if (!st)
		return E_DB;
	int rc;
	while ((rc = db_step(db, st)) == SQLITE_ROW) {
		*items = xreallocarray(*items, *n + 1, sizeof **items);
		struct sync_item *it = &(*items)[(*n)++];
		memset(it, 0, sizeof *it);
		it->posting_id = (long)sqlite3_column_int64(st, 0);
		it->summary = db_col_text(st, 1);
		it->skills = db_col_text(st, 2);
		it->has_ihl = !db_col_is_null(st, 3);
		it->ihl_score = (long)sqlite3_column_int64(st, 3);
		it->ihl_scale = (long)sqlite3_column_int64(st, 4);
		it->ihl_verdict = db_col_text(st, 5);
		it->status = db_col_text(st, 6);
		it->results_at = db_col_text(st, 7);
		it->remote_updated_at = db_col_text(st, 8);
		it->stale = sqlite3_column_int(st, 9);
		it->pulled_at = db_col_text(st, 10);
	}
	sqlite3_reset(st);
	return rc < 0 ? E_DB : E_OK;
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
