/* db-limits.h: the limits run learned of each model server (schema 0007),
 * for status. */
#ifndef db_limits_h
#define db_limits_h

#include <cJSON.h>

struct db;

/* Records that server (its origin) takes limit requests at once, found by
 * source ("reported" or "measured"). Inside the caller's transaction. */
int db_server_limit_set(struct db *db, const char *server, int limit, const char *source);

/* Every server's limit as {"server", "max_in_flight", "source", "updated_at"}
 * objects, by server (caller deletes *out). */
int db_server_limits(struct db *db, cJSON **out);

#endif
