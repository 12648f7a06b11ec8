/* db.c: opening the database, migrations, transactions and the statement cache. */
#include "dbint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "db-texts.h"
#include "err.h"
#include "schema.h"
#include "util.h"

int db_error(struct db *db, const char *context)
{
	return err_set(E_DB, "%s: %s", context, sqlite3_errmsg(db->sql));
}

int db_exec(struct db *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db->sql, sql, NULL, NULL, &msg) != SQLITE_OK) {
		err_set(E_DB, "database %s: %s", db->path, msg ? msg : sqlite3_errmsg(db->sql));
		sqlite3_free(msg);
		return E_DB;
	}
	return E_OK;
}

/* Test hook: with WAVERUNNER_TEST_EXPLAIN set to a file, each statement the code
 * prepares is appended to it once, on one line after "== ", followed by the
 * detail of each row of its EXPLAIN QUERY PLAN (tests/t-plans.sh reads it). */
static void explain_to_file(struct db *db, const char *sql)
{
	const char *path = getenv("WAVERUNNER_TEST_EXPLAIN");
	if (!path || !*path)
		return;
	FILE *f = fopen(path, "a");
	if (!f)
		return;
	fputs("== ", f);
	for (const char *p = sql; *p; p++)
		fputc(*p == '\n' || *p == '\t' ? ' ' : *p, f);
	fputc('\n', f);
	char *q = xasprintf("EXPLAIN QUERY PLAN %s", sql);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->sql, q, -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW)
			fprintf(f, "%s\n", (const char *)sqlite3_column_text(st, 3));
		sqlite3_finalize(st);
	}
	free(q);
	fclose(f);
}

sqlite3_stmt *db_prepare(struct db *db, const char *sql)
{
	for (size_t i = 0; i < db->ncache; i++) {
		if (db->cache[i].sql == sql) {
			sqlite3_stmt *st = db->cache[i].stmt;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
	}
	sqlite3_stmt *st;
	if (sqlite3_prepare_v3(db->sql, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		db_error(db, "preparing a query");
		return NULL;
	}
	if (db->ncache == db->cache_cap) {
		db->cache_cap = db->cache_cap ? db->cache_cap * 2 : 64;
		db->cache = xreallocarray(db->cache, db->cache_cap, sizeof *db->cache);
	}
	db->cache[db->ncache].sql = sql;
	db->cache[db->ncache].stmt = st;
	db->ncache++;
	explain_to_file(db, sql);
	return st;
}

int db_step(struct db *db, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc;
	err_set(E_DB, "database %s: %s", db->path, sqlite3_errmsg(db->sql));
	sqlite3_reset(st);
	return -1;
}

int db_run(struct db *db, sqlite3_stmt *st)
{
	int rc = db_step(db, st);
	sqlite3_reset(st);
	return rc < 0 ? E_DB : E_OK;
}

int db_collect_ids(struct db *db, sqlite3_stmt *st, long **ids, size_t *n)
{
	size_t cap = 0;
	int rc;
	*ids = NULL;
	*n = 0;
	while ((rc = db_step(db, st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*ids = xreallocarray(*ids, cap, sizeof **ids);
		}
		(*ids)[(*n)++] = (long)sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	return rc < 0 ? E_DB : E_OK;
}

void db_bind_text(sqlite3_stmt *st, int idx, const char *s)
{
	if (s)
		sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, idx);
}

void db_bind_int(sqlite3_stmt *st, int idx, int64_t v)
{
	sqlite3_bind_int64(st, idx, v);
}

void db_bind_opt_int(sqlite3_stmt *st, int idx, int64_t v, int present)
{
	if (present)
		sqlite3_bind_int64(st, idx, v);
	else
		sqlite3_bind_null(st, idx);
}

void db_bind_double(sqlite3_stmt *st, int idx, double v)
{
	sqlite3_bind_double(st, idx, v);
}

int db_bind_named_text(sqlite3_stmt *st, const char *name, const char *s)
{
	int idx = sqlite3_bind_parameter_index(st, name);
	if (idx > 0)
		db_bind_text(st, idx, s);
	return idx;
}

char *db_col_text(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	return s ? xstrdup((const char *)s) : NULL;
}

const char *db_col_str(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	return s ? (const char *)s : "";
}

int db_col_is_null(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL;
}

int db_schema_latest(void)
{
	int v = 0;
	for (const struct migration *m = schema_migrations; m->sql; m++)
		v = m->version;
	return v;
}

int db_schema_version(struct db *db)
{
	sqlite3_stmt *st;
	int v = -1;
	if (sqlite3_prepare_v2(db->sql, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	return v;
}

/* Applies one migration and records its version, in one transaction: a
 * migration that fails half-way leaves the database at the version before it. */
static int migrate_one(struct db *db, const struct migration *m)
{
	int rc = db_begin(db);
	if (!rc && (rc = db_exec(db, m->sql)))
		err_wrap(E_DB, "applying migration %s", m->name);
	if (!rc) {
		char pragma[64];
		snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", m->version);
		rc = db_exec(db, pragma);
	}
	if (!rc)
		rc = db_commit(db);
	else
		db_rollback(db);
	return rc;
}

int db_migrate(struct db *db, const struct migration *list)
{
	int have = db_schema_version(db);
	int latest = 0;
	for (const struct migration *m = list; m->sql; m++)
		latest = m->version;
	if (have < 0)
		return db_error(db, db->path);
	if (have > latest)
		return err_set(E_DB,
			       "database %s has schema version %d, newer than this waverunner knows (%d); "
			       "use a newer waverunner",
			       db->path, have, latest);
	if (have == latest)
		return E_OK;
	/* A migration may edit the stored text of a table (0002 does), which
	 * SQLite's defensive mode forbids; some builds turn that mode on. */
	int defensive = 0;
	sqlite3_db_config(db->sql, SQLITE_DBCONFIG_DEFENSIVE, -1, &defensive);
	sqlite3_db_config(db->sql, SQLITE_DBCONFIG_DEFENSIVE, 0, NULL);
	int rc = E_OK;
	for (const struct migration *m = list; !rc && m->sql; m++)
		if (m->version > have)
			rc = migrate_one(db, m);
	sqlite3_db_config(db->sql, SQLITE_DBCONFIG_DEFENSIVE, defensive, NULL);
	return rc;
}

#define NOT_OURS "not a waverunner database (run waverunner init)"

int db_open(const char *path, int flags, struct db **out)
{
	struct stat st = { 0 };
	if (!(flags & DB_CREATE) && stat(path, &st) < 0)
		return err_set(E_DB, "database %s: %s%s", path, strerror(errno),
			       errno == ENOENT ? "; " NOT_OURS : "");
	struct db *db = xcalloc(1, sizeof *db);
	db->path = xstrdup(path);
	int oflags = (flags & DB_READONLY) ? SQLITE_OPEN_READONLY
					   : SQLITE_OPEN_READWRITE | ((flags & DB_CREATE) ? SQLITE_OPEN_CREATE : 0);
	int rc = E_OK;
	if (sqlite3_open_v2(path, &db->sql, oflags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rc = err_set(E_DB, "database %s: %s", path,
			     db->sql ? sqlite3_errmsg(db->sql) : "cannot open");
		goto out;
	}
	sqlite3_busy_timeout(db->sql, 30000);
	sqlite3_extended_result_codes(db->sql, 1);
	if ((rc = db_texts_register(db)))
		goto out;
	/* Reading the schema first tells a non-database file apart at once. */
	int version = db_schema_version(db);
	if (version < 0) {
		rc = err_set(E_DB, "database %s: %s", path, sqlite3_errmsg(db->sql));
		goto out;
	}
	/* Version 0: an empty file, or another program's database. Only init
	 * makes it a waverunner database; anything else leaves it as it is. */
	if (version == 0 && !(flags & DB_CREATE)) {
		rc = err_set(E_DB, "database %s: %s; " NOT_OURS, path,
			     st.st_size == 0 ? "empty file" : "schema version 0");
		goto out;
	}
	if (flags & DB_READONLY) {
		int v = db_schema_version(db);
		if (v != db_schema_latest())
			rc = err_set(E_DB, "database %s has schema version %d, this waverunner needs %d%s",
				     path, v, db_schema_latest(),
				     v > db_schema_latest() ? "; use a newer waverunner"
							    : "; open it once for writing to upgrade it");
		goto out;
	}
	rc = db_exec(db, "PRAGMA journal_mode = WAL");
	if (!rc)
		rc = db_exec(db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON");
	if (!rc)
		rc = db_migrate(db, schema_migrations);
out:
	if (rc) {
		db_close(db);
		return rc;
	}
	*out = db;
	return E_OK;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->ncache; i++)
		sqlite3_finalize(db->cache[i].stmt);
	free(db->cache);
	if (db->sql)
		sqlite3_close(db->sql);
	free(db->path);
	free(db);
}

const char *db_path(const struct db *db)
{
	return db->path;
}

int db_begin(struct db *db)
{
	int rc = db_exec(db, "BEGIN IMMEDIATE");
	if (!rc)
		db->in_transaction = 1;
	return rc;
}

int db_commit(struct db *db)
{
	int rc = db_exec(db, "COMMIT");
	if (rc)
		db_rollback(db);
	db->in_transaction = 0;
	return rc;
}

void db_rollback(struct db *db)
{
	if (!sqlite3_get_autocommit(db->sql))
		sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
	db->in_transaction = 0;
}
