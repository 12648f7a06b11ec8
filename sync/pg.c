/* pg.c: the one place that talks libpq (see pg.h). */
#include "pg.h"

#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "err.h"
#include "redact.h"

struct pg {
	PGconn *conn;
	char *where;
	char **secrets; /* passwords to scrub from every message */
	size_t nsecrets;
	PGcancel *cancel;
};

struct pg_res {
	PGresult *r;
};

/* The connection whose statement a signal handler may cancel. */
static PGcancel *volatile running_cancel;

void pg_cancel_running(void)
{
	PGcancel *c = running_cancel;
	char errbuf[256];
	if (c)
		PQcancel(c, errbuf, (int)sizeof errbuf);
}

static void add_secret(struct pg *pg, const char *s)
{
	if (!s || !*s)
		return;
	pg->secrets = xreallocarray(pg->secrets, pg->nsecrets + 1, sizeof *pg->secrets);
	pg->secrets[pg->nsecrets++] = xstrdup(s);
}

/* A libpq message made safe to print: one line, without the password. */
static char *clean(const struct pg *pg, const char *raw)
{
	char *one = sync_clean_pg_error(raw);
	char *safe = sync_scrub(one, pg->secrets, pg->nsecrets);
	free(one);
	return safe;
}

static int is_url(const char *s)
{
	return str_starts_with(s, "postgresql://") || str_starts_with(s, "postgres://");
}

/* 1 when the connection settings (conninfo, PGDATABASE, a service) name a
 * database, or may. */
static int names_database(const char *conninfo)
{
	const char *env = getenv("PGDATABASE"), *service = getenv("PGSERVICE");
	if ((env && *env) || (service && *service))
		return 1;
	if (!*conninfo)
		return 0;
	if (!is_url(conninfo) && !strchr(conninfo, '='))
		return 1; /* a bare word is a database name to libpq */
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
	int named = 0;
	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if ((!strcmp(o->keyword, "dbname") || !strcmp(o->keyword, "service")) && o->val && *o->val)
			named = 1;
	PQconninfoFree(opts);
	return named;
}

static void pg_free(struct pg *pg)
{
	if (!pg)
		return;
	if (running_cancel == pg->cancel)
		running_cancel = NULL;
	if (pg->cancel)
		PQfreeCancel(pg->cancel);
	if (pg->conn)
		PQfinish(pg->conn);
	for (size_t i = 0; i < pg->nsecrets; i++)
		free(pg->secrets[i]);
	free(pg->secrets);
	free(pg->where);
	free(pg);
}

int pg_connect(const char *conninfo, struct pg **out)
{
	*out = NULL;
	const char *from = "--pg";
	if (!conninfo) {
		conninfo = getenv("WAVERUNNER_PG");
		from = "$WAVERUNNER_PG";
	}
	if (!conninfo)
		conninfo = "";
	struct pg *pg = xcalloc(1, sizeof *pg);
	sync_conninfo_secrets(conninfo, &pg->secrets, &pg->nsecrets);
	add_secret(pg, getenv("PGPASSWORD"));

	if (*conninfo && (is_url(conninfo) || strchr(conninfo, '='))) {
		char *perr = NULL;
		PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
		if (!opts) {
			char *m = clean(pg, perr ? perr : "cannot be parsed");
			char *shown = sync_redact_conninfo(conninfo);
			err_set(E_INPUT, "the PostgreSQL connection settings from %s (%s) cannot be read: %s", from,
				shown, m);
			free(shown);
			free(m);
			PQfreemem(perr);
			pg_free(pg);
			return E_INPUT;
		}
		PQconninfoFree(opts);
	}

	/* Earlier entries yield to the connection string, later ones override it. */
	const char *keys[6], *vals[6];
	int k = 0;
	keys[k] = "connect_timeout", vals[k++] = "10";
	keys[k] = "application_name", vals[k++] = "waverunner";
	keys[k] = "dbname", vals[k++] = conninfo;
	keys[k] = "client_encoding", vals[k++] = "UTF8";
	if (!names_database(conninfo))
		keys[k] = "dbname", vals[k++] = "turing";
	keys[k] = NULL, vals[k] = NULL;
	pg->conn = PQconnectdbParams(keys, vals, 1);
	const char *host = pg->conn ? PQhost(pg->conn) : NULL;
	const char *port = pg->conn ? PQport(pg->conn) : NULL;
	const char *db = pg->conn ? PQdb(pg->conn) : NULL;
	pg->where = xasprintf("host %s port %s database %s", host && *host ? host : "(default)",
			      port && *port ? port : "(default)", db && *db ? db : "(default)");
	if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK) {
		if (pg->conn)
			add_secret(pg, PQpass(pg->conn));
		char *m = clean(pg, pg->conn ? PQerrorMessage(pg->conn) : "out of memory");
		err_set(E_REMOTE, "cannot connect to PostgreSQL at %s: %s", pg->where, m);
		free(m);
		pg_free(pg);
		return E_REMOTE;
	}
	add_secret(pg, PQpass(pg->conn));
	/* Times are read back and compared as text: one format in every session. */
	int rc = pg_exec(pg, "SET datestyle TO ISO", 0, NULL, NULL);
	if (rc) {
		pg_free(pg);
		return E_REMOTE;
	}
	pg->cancel = PQgetCancel(pg->conn);
	running_cancel = pg->cancel;
	*out = pg;
	return E_OK;
}

void pg_close(struct pg *pg)
{
	pg_free(pg);
}

const char *pg_where(const struct pg *pg)
{
	return pg->where;
}

void pg_query_init(struct pg_query *q)
{
	memset(q, 0, sizeof *q);
	buf_puts(&q->sql, "");
}

void pg_query_release(struct pg_query *q)
{
	buf_release(&q->sql);
}

void pg_query_sql(struct pg_query *q, const char *fragment)
{
	buf_puts(&q->sql, fragment);
}

int pg_query_add(struct pg_query *q, const char *value)
{
	if (q->n == (int)ARRAY_LEN(q->params))
		abort(); /* the statements sync builds have a handful of parameters */
	q->params[q->n++] = value;
	return q->n;
}

int pg_query_param(struct pg_query *q, const char *value)
{
	int n = pg_query_add(q, value);
	pg_query_ref(q, n);
	return n;
}

void pg_query_ref(struct pg_query *q, int n)
{
	buf_printf(&q->sql, "$%d", n);
}

static int pg_result(struct pg *pg, PGresult *r, struct pg_res **res);

int pg_exec(struct pg *pg, const char *sql, int nparams, const char *const *params, struct pg_res **res)
{
	if (res)
		*res = NULL;
	return pg_result(pg, PQexecParams(pg->conn, sql, nparams, NULL, params, NULL, NULL, 0), res);
}

int pg_exec_script(struct pg *pg, const char *sql)
{
	return pg_result(pg, PQexec(pg->conn, sql), NULL);
}

/* Takes r: the rows into *res, or the error recorded. */
static int pg_result(struct pg *pg, PGresult *r, struct pg_res **res)
{
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		if (res) {
			*res = xmalloc(sizeof **res);
			(*res)->r = r;
		} else {
			PQclear(r);
		}
		return E_OK;
	}
	int code;
	char *m;
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		m = clean(pg, PQerrorMessage(pg->conn));
		code = err_set(E_REMOTE, "lost the connection to PostgreSQL at %s: %s", pg->where, m);
	} else {
		const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
		const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
		m = clean(pg, primary ? primary : PQerrorMessage(pg->conn));
		if (state && !strcmp(state, "57014"))
			code = err_set(E_INTERRUPT, "PostgreSQL cancelled the statement: %s", m);
		else
			code = err_set(E_FAIL, "%s", m);
	}
	free(m);
	PQclear(r);
	return code;
}

int pg_run(struct pg *pg, const struct pg_query *q, struct pg_res **res)
{
	return pg_exec(pg, buf_str(&q->sql), q->n, q->params, res);
}

size_t pg_rows(const struct pg_res *r)
{
	return r ? (size_t)PQntuples(r->r) : 0;
}

const char *pg_get(const struct pg_res *r, size_t row, int col)
{
	if (!r || row >= (size_t)PQntuples(r->r) || col >= PQnfields(r->r) || PQgetisnull(r->r, (int)row, col))
		return NULL;
	return PQgetvalue(r->r, (int)row, col);
}

void pg_res_free(struct pg_res *r)
{
	if (!r)
		return;
	PQclear(r->r);
	free(r);
}

int pg_begin(struct pg *pg)
{
	return pg_exec(pg, "BEGIN", 0, NULL, NULL);
}

int pg_begin_snapshot(struct pg *pg)
{
	return pg_exec(pg, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, NULL);
}

int pg_commit(struct pg *pg)
{
	PGresult *r = PQexec(pg->conn, "COMMIT");
	int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK && !strcmp(PQcmdStatus(r), "COMMIT");
	PQclear(r);
	if (ok)
		return E_OK;
	char *m = clean(pg, PQerrorMessage(pg->conn));
	int code = PQstatus(pg->conn) != CONNECTION_OK
			   ? err_set(E_REMOTE, "lost the connection to PostgreSQL at %s while committing: %s",
				     pg->where, m)
			   : err_set(E_FAIL, "PostgreSQL did not commit the transaction: %s", *m ? m : "rolled back");
	free(m);
	return code;
}

void pg_rollback(struct pg *pg)
{
	if (PQstatus(pg->conn) == CONNECTION_OK)
		PQclear(PQexec(pg->conn, "ROLLBACK"));
}

int pg_end(struct pg *pg, int rc)
{
	if (rc) {
		pg_rollback(pg);
		return rc;
	}
	return pg_commit(pg);
}

char *pg_id_array(const long *ids, size_t n)
{
	struct buf b = BUF_INIT;
	buf_putc(&b, '{');
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%ld", i ? "," : "", ids[i]);
	buf_putc(&b, '}');
	return buf_detach(&b);
}

int pg_savepoint(struct pg *pg)
{
	return pg_exec(pg, "SAVEPOINT waverunner_row", 0, NULL, NULL);
}

int pg_release_savepoint(struct pg *pg)
{
	return pg_exec(pg, "RELEASE SAVEPOINT waverunner_row", 0, NULL, NULL);
}

int pg_rollback_to_savepoint(struct pg *pg)
{
	return pg_exec(pg, "ROLLBACK TO SAVEPOINT waverunner_row", 0, NULL, NULL);
}

int pg_columns(struct pg *pg, const char *table, struct pg_column **cols, size_t *n)
{
	/* to_regclass resolves the name through search_path exactly like the
	 * statements that follow will, and gives NULL for no such table. */
	static const char SQL[] =
		"SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
		"WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";
	const char *params[] = { table };
	struct pg_res *r;
	*cols = NULL;
	*n = 0;
	int rc = pg_exec(pg, SQL, 1, params, &r);
	if (rc)
		return rc;
	size_t rows = pg_rows(r);
	if (!rows) {
		pg_res_free(r);
		return err_set(E_INPUT, "PostgreSQL at %s has no table %s", pg->where, table);
	}
	*cols = xcalloc(rows, sizeof **cols);
	for (size_t i = 0; i < rows; i++) {
		(*cols)[i].name = xstrdup(pg_get(r, i, 0));
		(*cols)[i].type = xstrdup(pg_get(r, i, 1));
	}
	*n = rows;
	pg_res_free(r);
	return E_OK;
}

void pg_columns_free(struct pg_column *cols, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(cols[i].name);
		free(cols[i].type);
	}
	free(cols);
}

const char *pg_column_type(const struct pg_column *cols, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(cols[i].name, name))
			return cols[i].type;
	return NULL;
}
