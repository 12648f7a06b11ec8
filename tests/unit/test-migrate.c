/* Unit tests of db.c's migration runner: each migration in a transaction of
 * its own, so one that fails half-way leaves the database at the version of
 * the last one that succeeded; a newer database is refused; a missing or
 * empty file is not a database to anything but init. The real migrations are
 * tested through the binary in tests/t-upgrade.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dbint.h"
#include "err.h"
#include "schema.h"
#include "tap.h"
#include "tmpdir.h"

static int has_table(struct db *db, const char *name)
{
	sqlite3_stmt *st;
	int found = 0;
	if (sqlite3_prepare_v2(db->sql, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", -1, &st,
			       NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

int main(void)
{
	char path[600], empty[600];
	if (tmp_file("test-migrate", "t.db", path, sizeof path) < 0 ||
	    tmp_file("test-migrate", "empty.db", empty, sizeof empty) < 0)
		return 1;

	struct db *db = NULL;
	ok(db_open(path, 0, &db) == E_DB && !db, "a missing file is refused without DB_CREATE");
	ok(strstr(err_msg(), "not a waverunner database (run waverunner init)") != NULL, "... saying so: %s",
	   err_msg());
	ok(access(path, F_OK) < 0, "... and not created");
	FILE *f = fopen(empty, "w");
	if (f)
		fclose(f);
	ok(db_open(empty, 0, &db) == E_DB && !db, "an empty file is refused without DB_CREATE");
	ok(strstr(err_msg(), "empty file; not a waverunner database") != NULL, "... saying so: %s", err_msg());
	struct stat st;
	ok(stat(empty, &st) == 0 && st.st_size == 0, "... and left empty");

	if (!ok(db_open(path, DB_CREATE, &db) == E_OK, "DB_CREATE makes a database"))
		return done_testing();
	int latest = db_schema_latest();
	is_int(db_schema_version(db), latest, "at the newest version");

	/* Three more migrations; the third fails at its second statement. */
	int v = latest;
	struct migration bad[] = {
		{ v + 1, "one.sql", "CREATE TABLE m1 (x);" },
		{ v + 2, "two.sql", "CREATE TABLE m2 (x); CREATE TABLE m2b (x);" },
		{ v + 3, "three.sql", "CREATE TABLE m3 (x); CREATE TABLE m1 (x);" },
		{ 0, NULL, NULL },
	};
	is_int(db_migrate(db, bad), E_DB, "a failing migration fails");
	ok(strstr(err_msg(), "applying migration three.sql") != NULL, "... naming it: %s", err_msg());
	is_int(db_schema_version(db), v + 2, "the database is at the version before it");
	ok(has_table(db, "m1") == 1 && has_table(db, "m2") == 1 && has_table(db, "m2b") == 1,
	   "the migrations before it are applied");
	is_int(has_table(db, "m3"), 0, "what it did before failing is undone");
	ok(sqlite3_get_autocommit(db->sql), "no transaction is left open");

	struct migration good[] = {
		{ v + 1, "one.sql", "CREATE TABLE m1 (x);" },
		{ v + 2, "two.sql", "CREATE TABLE m2 (x); CREATE TABLE m2b (x);" },
		{ v + 3, "three.sql", "CREATE TABLE m3 (x);" },
		{ 0, NULL, NULL },
	};
	is_int(db_migrate(db, good), E_OK, "once fixed, the rest applies");
	is_int(db_schema_version(db), v + 3, "... to its version");
	is_int(has_table(db, "m3"), 1, "... with its table");
	is_int(db_migrate(db, good), E_OK, "applying them again does nothing");

	is_int(db_migrate(db, schema_migrations), E_DB, "a database newer than the migrations is refused");
	ok(strstr(err_msg(), "newer than this waverunner knows") != NULL, "... saying so: %s", err_msg());
	is_int(db_schema_version(db), v + 3, "... untouched");
	db_close(db);

	tmp_remove_db(empty);
	tmp_remove_db(path);
	return done_testing();
}
