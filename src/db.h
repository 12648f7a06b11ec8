/* db.h: the SQLite database that holds all of waverunner's state: opening it,
 * its schema version, and transactions. Queries live in the db-*.c modules;
 * no file outside src/db*.c includes sqlite3.h. */
#ifndef db_h
#define db_h

struct db;

enum db_open_flags {
	DB_CREATE = 1 << 0,   /* create the file if it does not exist (init) */
	DB_READONLY = 1 << 1, /* open read-only; no migrations */
};

/* Opens path, sets WAL mode, synchronous=FULL, foreign keys and a busy timeout,
 * and applies pending migrations. A database from a newer waverunner is refused.
 * Returns E_OK with *out set (free with db_close), or E_DB with a message. */
int db_open(const char *path, int flags, struct db **out);
void db_close(struct db *db);
const char *db_path(const struct db *db);
/* The schema version of the open database and the newest this binary knows. */
int db_schema_version(struct db *db);
int db_schema_latest(void);

/* Transactions. db_begin takes the write lock at once (BEGIN IMMEDIATE), so a
 * transaction never fails half-way for want of the lock. */
int db_begin(struct db *db);
int db_commit(struct db *db);
void db_rollback(struct db *db);

#endif
