/* cmd-init.c: waverunner init: create the database, or bring its schema up to date. */
#include <stdio.h>

#include "cmd.h"
#include "db.h"
#include "err.h"
#include "json.h"

static int cmd_init(struct cmd_ctx *ctx, int argc, char **argv)
{
	int rc = E_OK;
	if (cmd_parse_args(ctx, argc, argv, NULL, 1, &rc) < 0)
		return rc;
	if ((rc = cmd_open_db(ctx, DB_CREATE)))
		return rc;
	if (ctx->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "database", db_path(ctx->db));
		cJSON_AddNumberToObject(o, "schema_version", db_schema_version(ctx->db));
		json_emit(o);
	} else {
		printf("database %s is ready (schema version %d)\n", db_path(ctx->db), db_schema_version(ctx->db));
	}
	return E_OK;
}

CMD_DEFINE(init, NULL,
	   "init",
	   "create the database, or bring its schema up to date");
