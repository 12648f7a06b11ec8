/* cmd.c: the command table and option parsing shared by all commands. */
#include "cmd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db-defs.h"
#include "db-graph.h"
#include "db.h"
#include "err.h"
#include "graph.h"
#include "json.h"
#include "util.h"
#include "validate.h"

const struct cmd_entry *const cmd_table[] = {
	&cmd_init_entry, &cmd_load_entry, &cmd_validate_entry, &cmd_export_entry, &cmd_start_entry,
	&cmd_rerun_entry, &cmd_run_entry, &cmd_status_entry, &cmd_trace_entry, &cmd_show_entry, &cmd_list_entry,
	&cmd_graph_entry, &cmd_report_entry, &cmd_sync_entry, &cmd_work_entry, NULL,
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
	char *table = e->opts ? cmd_options_help(e->opts) : NULL;
	if (table && *table)
		printf("\noptions:\n%s", table);
	free(table);
	printf("\nglobal options:\n"
	       "  --db FILE   the database (default $WAVERUNNER_DB, else ./waverunner.db)\n"
	       "  --json      machine-readable output on stdout\n"
	       "  --help      show this help\n"
	       "\nSee waverunner-%s(1).\n", e->name);
}

void cmd_catch_signals(void (*handler)(int))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

void cmd_signal_again(volatile sig_atomic_t *count, const char *msg)
{
	if (!(*count)++)
		return;
	static const char head[] = "\nwaverunner: ";
	ssize_t r = write(2, head, sizeof head - 1);
	r = write(2, msg, strlen(msg));
	(void)r;
	_exit(E_INTERRUPT);
}

/* The help column: the longest label and two spaces, at least 22. */
enum { HELP_MIN_COLUMN = 22 };

static int has_short(const struct cmd_option *o)
{
	return o->name && o->key > 0 && o->key <= CMD_OPT_LONG_ONLY;
}

/* "  -w, --workflow ID", "      --strict", "  --pg CONNINFO" or "  RUN". */
static void option_label(struct buf *b, const struct cmd_option *o, int any_short)
{
	if (!o->name)
		buf_printf(b, "  %s", o->arg);
	else if (has_short(o))
		buf_printf(b, "  -%c, --%s%s%s", o->key, o->name, o->arg ? " " : "", o->arg ? o->arg : "");
	else
		buf_printf(b, "%s--%s%s%s", any_short ? "      " : "  ", o->name, o->arg ? " " : "",
			   o->arg ? o->arg : "");
}

char *cmd_options_help(const struct cmd_option *opts)
{
	int any_short = 0;
	size_t column = HELP_MIN_COLUMN;
	for (const struct cmd_option *o = opts; o->help; o++)
		any_short |= has_short(o);
	for (const struct cmd_option *o = opts; o->help; o++) {
		if (!o->name && !o->arg)
			continue;
		struct buf l = BUF_INIT;
		option_label(&l, o, any_short);
		if (l.len + 2 > column)
			column = l.len + 2;
		buf_release(&l);
	}
	struct buf out = BUF_INIT;
	for (const struct cmd_option *o = opts; o->help; o++) {
		if (!o->name && !o->arg) {
			buf_printf(&out, "%s\n", o->help);
			continue;
		}
		size_t start = out.len;
		option_label(&out, o, any_short);
		for (const char *h = o->help; *h;) {
			size_t n = strcspn(h, "\n");
			buf_printf(&out, "%*s%.*s\n", (int)(column - (out.len - start)), "", (int)n, h);
			h += n + (h[n] == '\n');
			start = out.len;
		}
	}
	return buf_detach(&out);
}

/* The Levenshtein distance of two short words. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return (size_t)-1;
	size_t row[64];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const char *cmd_nearest(const char *word, const char *const *names, size_t n)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1;
	for (size_t i = 0; i < n; i++) {
		size_t d = distance(word, names[i]);
		if (d < best_d || (d == best_d && best && strlen(names[i]) < strlen(best))) {
			best = names[i];
			best_d = d;
		}
	}
	/* A slip of a letter or two, not another word. */
	size_t len = strlen(word);
	return best && best_d <= (len < 5 ? 1 : 2) ? best : NULL;
}

const char *cmd_nearest_command(const char *word)
{
	const char *names[32];
	size_t n = 0;
	for (const struct cmd_entry *const *e = cmd_table; *e && n < ARRAY_LEN(names); e++)
		names[n++] = (*e)->name;
	return cmd_nearest(word, names, n);
}

/* The long option nearest to the unknown "--name[=value]" among all. */
static const char *nearest_option(const char *arg, const struct option *all)
{
	char word[64];
	snprintf(word, sizeof word, "%s", arg + 2);
	word[strcspn(word, "=")] = '\0';
	const char *names[64];
	size_t n = 0;
	for (const struct option *o = all; o->name && n < ARRAY_LEN(names); o++)
		names[n++] = o->name;
	return cmd_nearest(word, names, n);
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

int cmd_getopts(struct cmd_ctx *ctx, int argc, char **argv, int *rc)
{
	static struct option longopts[64];
	char shorts[64];
	size_t n = 0, ns = 0;
	for (const struct cmd_option *o = ctx->entry->opts; o && o->help; o++) {
		if (!o->name || n + 1 >= ARRAY_LEN(longopts))
			continue;
		longopts[n++] = (struct option){ o->name, o->arg ? required_argument : no_argument, NULL, o->key };
		if (has_short(o) && ns + 3 < sizeof shorts) {
			shorts[ns++] = (char)o->key;
			if (o->arg)
				shorts[ns++] = ':';
		}
	}
	longopts[n] = (struct option){ NULL, 0, NULL, 0 };
	shorts[ns] = '\0';
	return cmd_getopt(ctx, argc, argv, shorts, longopts, rc);
}

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
			if (optopt) {
				*rc = cmd_usage_error(ctx, "unknown option '-%c'", optopt);
			} else {
				const char *arg = argv[optind - 1];
				const char *near = str_starts_with(arg, "--") ? nearest_option(arg, all) : NULL;
				*rc = near ? cmd_usage_error(ctx, "unknown option '%s' (did you mean '--%s'?)", arg, near)
					   : cmd_usage_error(ctx, "unknown option '%s'", arg);
			}
			return -1;
		case ':':
			*rc = cmd_usage_error(ctx, "option '%s' needs a value", argv[optind - 1]);
			return -1;
		default:
			return c;
		}
	}
}

/* The option of args for key c, or NULL. */
static const struct cmd_arg *arg_of(const struct cmd_arg *args, int c)
{
	for (const struct cmd_arg *a = args; a && a->key; a++)
		if (a->key == c)
			return a;
	return NULL;
}

/* Sets what a sets from optarg. */
static int set_arg(struct cmd_ctx *ctx, const struct cmd_arg *a)
{
	if (a->text)
		*a->text = optarg;
	if (a->flag)
		*a->flag = 1;
	if (!a->id)
		return E_OK;
	char name[64] = "";
	for (const struct cmd_option *o = ctx->entry->opts; o && o->help; o++)
		if (o->name && o->key == a->key)
			snprintf(name, sizeof name, "--%s", o->name);
	return cmd_parse_id(ctx, name, optarg, a->id);
}

int cmd_parse_args(struct cmd_ctx *ctx, int argc, char **argv, const struct cmd_arg *args, int no_operands,
		   int *rc)
{
	int c;
	*rc = E_OK;
	while ((c = cmd_getopts(ctx, argc, argv, rc)) > 0) {
		const struct cmd_arg *a = arg_of(args, c);
		if (a && (*rc = set_arg(ctx, a)))
			return -1;
	}
	if (c < 0)
		return -1;
	if (no_operands && optind < argc) {
		*rc = cmd_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
		return -1;
	}
	return 0;
}

int cmd_read_graph(struct cmd_ctx *ctx, long id, struct graph *g)
{
	struct workflow wf;
	int rc = db_workflow_read(ctx->db, id, &wf);
	if (rc)
		return rc;
	graph_from_workflow(&wf, g);
	workflow_release(&wf);
	return E_OK;
}

int cmd_parse_id(const struct cmd_ctx *ctx, const char *opt, const char *arg, long *out)
{
	if (parse_long(arg, out) < 0 || *out <= 0)
		return cmd_usage_error(ctx, "%s needs a positive number, not '%s'", opt, arg);
	return E_OK;
}

int cmd_end_transaction(struct cmd_ctx *ctx, int rc)
{
	if (!rc)
		rc = db_commit(ctx->db);
	if (rc)
		db_rollback(ctx->db);
	return rc;
}

void cmd_emit(const struct cmd_ctx *ctx, cJSON *report, int ok)
{
	if (ok && ctx->json)
		json_emit(report);
	else
		cJSON_Delete(report);
}

int cmd_open_db(struct cmd_ctx *ctx, int flags)
{
	if (ctx->db)
		return E_OK;
	return db_open(ctx->db_path, flags, &ctx->db);
}

int cmd_read_runnable_workflow(struct cmd_ctx *ctx, long id, struct workflow *wf)
{
	int rc = db_workflow_read(ctx->db, id, wf);
	if (rc)
		return rc;
	if (!wf->enabled)
		return err_set(E_INPUT, "workflow %ld is disabled", wf->id);
	struct findings f = { 0 };
	validate_workflow(wf, &f);
	if (f.errors) {
		findings_print(&f, "workflow");
		rc = err_set(E_INPUT, "workflow %ld has %zu error%s (see above; waverunner validate lists them); "
			     "nothing was started", wf->id, f.errors, f.errors == 1 ? "" : "s");
	}
	findings_release(&f);
	return rc;
}

int cmd_pick_workflow(struct cmd_ctx *ctx, long *id, int by_runs)
{
	if (*id)
		return E_OK;
	long *ids;
	size_t n;
	int rc = db_workflow_ids(ctx->db, &ids, &n);
	if (rc)
		return rc;
	if (n > 1 && by_runs) {
		long *with_runs;
		size_t nruns;
		if ((rc = db_graph_workflows_run(ctx->db, &with_runs, &nruns))) {
			free(ids);
			return rc;
		}
		if (nruns == 1) {
			free(ids);
			ids = with_runs;
			n = 1;
		} else {
			free(with_runs);
		}
	}
	if (n == 1)
		*id = ids[0];
	free(ids);
	if (!n)
		return err_set(E_INPUT, "there are no workflows (load one first)");
	if (n > 1)
		return cmd_usage_error(ctx, "there are %zu workflows: say which, --workflow ID", n);
	return E_OK;
}
