/* db-limits.c: the learned limits of the model servers (db-limits.h). */
#include "db-limits.h"

#include "dbint.h"
#include "err.h"
#include "util.h"

int db_server_limit_set(struct db *db, const char *server, int limit, const char *source)
{
	static const char SQL[] =
		"INSERT INTO model_servers (server, max_in_flight, source, updated_at) VALUES (?1, ?2, ?3, ?4) "
		"ON CONFLICT (server) DO UPDATE SET max_in_flight = excluded.max_in_flight, "
		"source = excluded.source, updated_at = excluded.updated_at";
	char now[32];
	iso_now(now);
	return db_do(db, SQL, "TiTT", server, limit, source, now);
}

int db_server_limits(struct db *db, cJSON **out)
{
	static const char SQL[] =
		"SELECT server, max_in_flight, source, updated_at FROM model_servers ORDER BY server";
	*out = cJSON_CreateArray();
	sqlite3_stmt *st = db_prepare(db, SQL);
	if (!st)
		return E_DB;
	return db_rows_into(db, st, *out);
}
