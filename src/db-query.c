/* db-query.c: the SQL of sql_query steps: checked to be one pure read, then run
 * with bound parameters.
 *
 * How "pure read" is enforced. sqlite3_stmt_readonly() alone is not enough: it
 * is true for BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE, ATTACH, DETACH and
 * many PRAGMAs, and a ROLLBACK in a step would end the engine's own transaction
 * (the rest of the batch then commits piecemeal), PRAGMA query_only=1 would
 * block every later write of the connection. So the statement is compiled
 * under an authorizer that allows only what a SELECT needs (SQLITE_SELECT,
 * SQLITE_READ, SQLITE_RECURSIVE, and functions other than load_extension and
 * fts3_tokenizer) and denies every other action; the compiled program can do
 * nothing it was not authorized for. Statements that report no action while
 * compiled (VACUUM, a bare REINDEX) are caught by also requiring a SELECT and
 * sqlite3_stmt_readonly().
 *
 * Why an authorizer on the engine's connection rather than a second, read-only
 * connection: built-ins run inside the transaction that finishes their step, so
 * a query must see that transaction's own writes (a summary saved earlier in the
 * same batch); a second connection would read the last commit instead. It also
 * costs no extra open and schema parse: 4000 postings through tests/data/
 * workflows/builtins.json (three built-ins, one query each) ran in 0.7 s with
 * this authorizer as without one, in 2.0 s with a read-only connection opened
 * per query. The authorizer is installed once per connection and
 * denies only while a guard is active, i.e. while a query of a step is being
 * compiled: setting and clearing it around each query expires every cached
 * statement of the connection each time (sqlite3_set_authorizer does that),
 * which measured 1.4 s.
 *
 * validate checks the same way, against an in-memory database holding the
 * schema compiled into this binary, so that a workflow file is checked with no
 * database at hand and the check can touch nothing. */
#include "db-query.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db-texts.h"
#include "dbint.h"
#include "schema.h"
#include "util.h"

/* What compiling the user's statement asked for. */
struct guard {
	int saw_select;
	char *why; /* the first denied action, in words */
	int why_internal; /* ... and it is about one of SQLite's own tables */
};

/* The action that was denied, in words ("it would delete from table postings"). */
static char *denied(int action, const char *a, const char *b)
{
	const char *what = NULL, *on = a;
	switch (action) {
	case SQLITE_INSERT: what = "insert into table"; break;
	case SQLITE_UPDATE: what = "update table"; break;
	case SQLITE_DELETE: what = "delete from table"; break;
	case SQLITE_TRANSACTION: return xasprintf("it would control the transaction (%s)", a ? a : "?");
	case SQLITE_SAVEPOINT:
		return xasprintf("it would %s savepoint %s", a && !strcmp(a, "BEGIN") ? "set" :
			         a && !strcmp(a, "RELEASE") ? "release" : "roll back to", b ? b : "?");
	case SQLITE_ATTACH: what = "attach database"; break;
	case SQLITE_DETACH: what = "detach database"; break;
	case SQLITE_PRAGMA:
		return b ? xasprintf("it would run PRAGMA %s = %s", a, b) : xasprintf("it would run PRAGMA %s", a);
	case SQLITE_FUNCTION: what = "call function"; on = b; break;
	case SQLITE_ALTER_TABLE: what = "alter table"; on = b; break;
	case SQLITE_ANALYZE: return xstrdup("it would gather statistics (ANALYZE)");
	case SQLITE_REINDEX: return xstrdup("it would rebuild indexes (REINDEX)");
	case SQLITE_CREATE_INDEX: case SQLITE_CREATE_TEMP_INDEX: what = "create index"; break;
	case SQLITE_CREATE_TABLE: case SQLITE_CREATE_TEMP_TABLE: what = "create table"; break;
	case SQLITE_CREATE_TRIGGER: case SQLITE_CREATE_TEMP_TRIGGER: what = "create trigger"; break;
	case SQLITE_CREATE_VIEW: case SQLITE_CREATE_TEMP_VIEW: what = "create view"; break;
	case SQLITE_CREATE_VTABLE: what = "create virtual table"; break;
	case SQLITE_DROP_INDEX: case SQLITE_DROP_TEMP_INDEX: what = "drop index"; break;
	case SQLITE_DROP_TABLE: case SQLITE_DROP_TEMP_TABLE: what = "drop table"; break;
	case SQLITE_DROP_TRIGGER: case SQLITE_DROP_TEMP_TRIGGER: what = "drop trigger"; break;
	case SQLITE_DROP_VIEW: case SQLITE_DROP_TEMP_VIEW: what = "drop view"; break;
	case SQLITE_DROP_VTABLE: what = "drop virtual table"; break;
	default: return xasprintf("it would do more than read (SQLite action %d)", action);
	}
	return on ? xasprintf("it would %s %s", what, on) : xasprintf("it would %s", what);
}

/* Installed once per connection; decides only while db->query_guard is set. */
static int authorize(void *ctx, int action, const char *a, const char *b, const char *dbname,
		     const char *trigger)
{
	(void)dbname;
	(void)trigger;
	struct guard *g = ((struct db *)ctx)->query_guard;
	if (!g)
		return SQLITE_OK;
	switch (action) {
	case SQLITE_SELECT:
		g->saw_select = 1;
		return SQLITE_OK;
	case SQLITE_READ:
		if (!a || strncmp(a, "pragma_", 7))
			return SQLITE_OK;
		if (!g->why)
			g->why = xasprintf("it would run PRAGMA %s", a + 7);
		return SQLITE_DENY;
	case SQLITE_RECURSIVE:
		return SQLITE_OK;
	case SQLITE_UPDATE:
		/* SQLite reports these itself when it first connects an eponymous
		 * virtual table (json_each); a statement that does update the
		 * schema table is not read-only, and is refused below. */
		if (a && (!strcmp(a, "sqlite_master") || !strcmp(a, "sqlite_temp_master")))
			return SQLITE_OK;
		break;
	case SQLITE_FUNCTION:
		if (b && strcasecmp(b, "load_extension") && strcasecmp(b, "fts3_tokenizer"))
			return SQLITE_OK;
		break;
	}
	/* A write to a table of SQLite's own comes before the action that makes
	 * it (CREATE TABLE inserts into sqlite_master): go on to name the action.
	 * The statement is refused all the same, since a reason was noted. */
	int internal = a && !strncmp(a, "sqlite_", 7);
	if (!g->why || (g->why_internal && !internal)) {
		free(g->why);
		g->why = denied(action, a, b);
		g->why_internal = internal;
	}
	return internal ? SQLITE_OK : SQLITE_DENY;
}

/* Compiles sql on db under the guard. Returns the statement, or NULL with
 * *error (caller frees) saying why it is not one pure read. */
static sqlite3_stmt *compile(struct db *db, const char *sql, char **error)
{
	if (!db->query_authorizer) {
		sqlite3_set_authorizer(db->sql, authorize, db);
		db->query_authorizer = 1;
	}
	struct guard g = { 0, NULL, 0 };
	sqlite3_stmt *st = NULL, *more = NULL;
	const char *tail = NULL;
	db->query_guard = &g;
	int rc = sqlite3_prepare_v2(db->sql, sql, -1, &st, &tail);
	if (rc == SQLITE_OK && st && tail && *tail) {
		/* Anything but blanks and comments after the first statement. */
		if (sqlite3_prepare_v2(db->sql, tail, -1, &more, NULL) != SQLITE_OK || more) {
			sqlite3_finalize(more);
			sqlite3_finalize(st);
			db->query_guard = NULL;
			free(g.why);
			*error = xstrdup("the query must be a single statement");
			return NULL;
		}
	}
	db->query_guard = NULL;
	*error = NULL;
	if (g.why)
		*error = xasprintf("the query must only read, and %s", g.why);
	else if (rc != SQLITE_OK)
		*error = xasprintf("the query does not compile: %s", sqlite3_errmsg(db->sql));
	else if (!st)
		*error = xstrdup("the query is empty");
	else if (!g.saw_select || !sqlite3_stmt_readonly(st))
		*error = xstrdup("the query must only read (a SELECT), and this statement is not one");
	free(g.why);
	if (*error) {
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

static const struct {
	const char *name;
	size_t offset;
} named[] = {
	{ ":posting_id", offsetof(struct query_params, posting_id) },
	{ ":workflow_run_id", offsetof(struct query_params, workflow_run_id) },
	{ ":workflow_id", offsetof(struct query_params, workflow_id) },
	{ ":interaction_id", offsetof(struct query_params, interaction_id) },
};

/* Binds the named parameters from p (NULL: only checks their names). */
static int bind_params(sqlite3_stmt *st, const struct query_params *p, char **error)
{
	int nparams = sqlite3_bind_parameter_count(st);
	for (int i = 1; i <= nparams; i++) {
		const char *name = sqlite3_bind_parameter_name(st, i);
		int known = 0;
		for (size_t k = 0; name && k < ARRAY_LEN(named); k++)
			if (!strcmp(name, named[k].name)) {
				if (p)
					sqlite3_bind_int64(st, i, *(const long *)((const char *)p + named[k].offset));
				known = 1;
			}
		if (!known) {
			*error = xasprintf("the query uses parameter %s; it may use :posting_id, :workflow_run_id, "
					   ":workflow_id and :interaction_id", name ? name : "?");
			return -1;
		}
	}
	return 0;
}

int db_query_scalar(struct db *db, const char *sql, const struct query_params *p, char **value,
		    int *has_row, char **error)
{
	*value = NULL;
	*has_row = 0;
	sqlite3_stmt *st = compile(db, sql, error);
	if (!st)
		return -1;
	if (bind_params(st, p, error) < 0) {
		sqlite3_finalize(st);
		return -1;
	}
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*has_row = 1;
		if (sqlite3_column_type(st, 0) != SQLITE_NULL)
			*value = xstrdup((const char *)sqlite3_column_text(st, 0));
	} else if (rc != SQLITE_DONE) {
		*error = xasprintf("the query failed: %s", sqlite3_errmsg(db->sql));
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

/* The in-memory database with this binary's schema that queries are checked
 * against; opened on first use, kept for the life of the process. */
static struct db *schema_db(void)
{
	static struct db *db;
	static int failed;
	if (db || failed)
		return db;
	struct db *d = xcalloc(1, sizeof *d);
	d->path = xstrdup(":memory:");
	int ok = sqlite3_open_v2(":memory:", &d->sql, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) ==
		 SQLITE_OK;
	for (const struct migration *m = schema_migrations; ok && m->sql; m++)
		ok = sqlite3_exec(d->sql, m->sql, NULL, NULL, NULL) == SQLITE_OK;
	/* The functions every connection has (stored_text) compile here too. */
	ok = ok && db_texts_register(d) == 0;
	if (!ok) {
		failed = 1;
		db_close(d);
		return NULL;
	}
	return db = d;
}

int db_query_check(const char *sql, char **error)
{
	struct db *db = schema_db();
	*error = NULL;
	if (!db) {
		*error = xstrdup("the query cannot be checked: the schema does not load into memory");
		return -1;
	}
	sqlite3_stmt *st = compile(db, sql, error);
	if (!st)
		return -1;
	int rc = bind_params(st, NULL, error);
	sqlite3_finalize(st);
	return rc;
}
