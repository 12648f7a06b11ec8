/* cmd.c: the command table and option parsing shared by all commands. */
#include "cmd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "err.h"
#include "util.h"

const struct cmd_entry *const cmd_table[] = {
	&cmd_init_entry, &cmd_load_entry, &cmd_validate_entry, &cmd_export_entry, &cmd_start_entry,
	&cmd_run_entry, &cmd_status_entry, &cmd_trace_entry, &cmd_graph_entry, &cmd_report_entry, &cmd_sync_entry, NULL,
};

const struct cmd_entry *cmd_find(const char *name)
{
	for (const struct cmd_entry *const *e = cmd_table; *e; e++)
		if (!strcmp((*e)->name, name))
			return *e;
	return NULL;
}

void cmd_print_help(const struct cmd_entry *e)
{
	printf("usage: waverunner [--db FILE] [--json] %s\n\n%s.\n", e->usage, e->summary);
	if (e->options && *e->options)
		printf("\noptions:\n%s", e->options);
	printf("\nglobal options:\n"
	       "  --db FILE   the database (default $WAVERUNNER_DB, else ./waverunner.db)\n"
	       "  --json      machine-readable output on stdout\n"
	       "  --help      show this help\n"
	       "\nSee waverunner-%s(1).\n", e->name);
}

int cmd_usage_error(const struct cmd_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "waverunner: %s: %s\nusage: waverunner %s\n", ctx->entry->name, m, ctx->entry->usage);
	free(m);
	return E_USAGE;
}

enum { OPT_DB = 0x1000, OPT_JSON, OPT_HELP };

int cmd_getopt(struct cmd_ctx *ctx, int argc, char **argv, const char *shortopts,
	       const struct option *longopts, int *rc)
{
	static struct option all[64];
	size_t n = 0;
	for (const struct option *o = longopts; o && o->name && n < ARRAY_LEN(all) - 4; o++)
		all[n++] = *o;
	all[n++] = (struct option){ "db", required_argument, NULL, OPT_DB };
	all[n++] = (struct option){ "json", no_argument, NULL, OPT_JSON };
	all[n++] = (struct option){ "help", no_argument, NULL, OPT_HELP };
	all[n] = (struct option){ NULL, 0, NULL, 0 };
	char shorts[64];
	snprintf(shorts, sizeof shorts, ":%s", shortopts ? shortopts : "");
	for (;;) {
		int c = getopt_long(argc, argv, shorts, all, NULL);
		switch (c) {
		case -1:
			return 0;
		case OPT_DB:
			ctx->db_path = optarg;
			continue;
		case OPT_JSON:
			ctx->json = 1;
			continue;
		case OPT_HELP:
			cmd_print_help(ctx->entry);
			*rc = E_OK;
			return -1;
		case '?':
			*rc = optopt ? cmd_usage_error(ctx, "unknown option '-%c'", optopt)
				     : cmd_usage_error(ctx, "unknown option '%s'", argv[optind - 1]);
			return -1;
		case ':':
			*rc = cmd_usage_error(ctx, "option '%s' needs a value", argv[optind - 1]);
			return -1;
		default:
			return c;
		}
	}
}

int cmd_parse_id(const struct cmd_ctx *ctx, const char *opt, const char *arg, long *out)
{
	if (parse_long(arg, out) < 0 || *out <= 0)
		return cmd_usage_error(ctx, "%s needs a positive number, not '%s'", opt, arg);
	return E_OK;
}

int cmd_open_db(struct cmd_ctx *ctx, int flags)
{
	if (ctx->db)
		return E_OK;
	return db_open(ctx->db_path, flags, &ctx->db);
}
