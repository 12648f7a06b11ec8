/* main.c: global options, finding the command, opening the database, and
 * turning the result into the exit status (see man/waverunner.1). */
#include <getopt.h>
#include <signal.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "db.h"
#include "err.h"
#include "http.h"
#include "json.h"
#include "version.h"

static void print_usage(FILE *f)
{
	fprintf(f, "usage: waverunner [--db FILE] [--json] COMMAND [ARGS]\n\n"
		   "Runs multi-step LLM workflows over job postings, from one SQLite file.\n\ncommands:\n");
	for (const struct cmd_entry *const *e = cmd_table; *e; e++)
		fprintf(f, "  %-9s %s\n", (*e)->name, (*e)->summary);
	fprintf(f, "\nglobal options:\n"
		   "  --db FILE   the database (default $WAVERUNNER_DB, else ./waverunner.db)\n"
		   "  --json      machine-readable output on stdout\n"
		   "  --help      show help; COMMAND --help (or help COMMAND) shows a command's\n"
		   "  --version   show the version\n"
		   "\nSee waverunner(1).\n");
}

int main(int argc, char **argv)
{
#ifdef __GLIBC__
	/* SQLite builds and drops small temporary b-trees for many statements (the
	 * recursive ancestor lookup, UNIONs, sorts). By default glibc gives the top
	 * of the heap back to the kernel on each free and faults it in again on the
	 * next allocation: measured, that doubled the time of a replayed run. Keep
	 * up to 64 MiB of freed memory instead. */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_TOP_PAD, 4 << 20);
#endif
	json_init();
	/* A write beyond a file size limit (ulimit -f) then fails with EFBIG,
	 * which SQLite reports, instead of killing the process without a word. */
	signal(SIGXFSZ, SIG_IGN);
	struct cmd_ctx ctx = { 0 };
	ctx.db_path = getenv("WAVERUNNER_DB");
	if (!ctx.db_path || !*ctx.db_path)
		ctx.db_path = "waverunner.db";

	/* Global options before the command. */
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			print_usage(stdout);
			return E_OK;
		} else if (!strcmp(argv[i], "--version")) {
			printf("waverunner %s\n", WAVERUNNER_VERSION);
			return E_OK;
		} else if (!strcmp(argv[i], "--json")) {
			ctx.json = 1;
		} else if (!strcmp(argv[i], "--db") && i + 1 < argc) {
			ctx.db_path = argv[++i];
		} else if (!strncmp(argv[i], "--db=", 5)) {
			ctx.db_path = argv[i] + 5;
		} else {
			fprintf(stderr, "waverunner: unknown option '%s'\n", argv[i]);
			print_usage(stderr);
			return E_USAGE;
		}
	}
	if (i == argc) {
		print_usage(stderr);
		return E_USAGE;
	}
	/* help [COMMAND]: the same as --help and COMMAND --help. */
	if (!strcmp(argv[i], "help")) {
		if (i + 1 == argc) {
			print_usage(stdout);
			return E_OK;
		}
		const struct cmd_entry *h = cmd_find(argv[i + 1]);
		if (h && i + 2 == argc) {
			cmd_print_help(h);
			return E_OK;
		}
		i++; /* an unknown command: said below */
	}
	const struct cmd_entry *e = cmd_find(argv[i]);
	if (!e) {
		const char *near = cmd_nearest_command(argv[i]);
		if (near)
			fprintf(stderr, "waverunner: unknown command '%s' (did you mean '%s'?)\n", argv[i], near);
		else
			fprintf(stderr, "waverunner: unknown command '%s' (see waverunner --help)\n", argv[i]);
		return E_USAGE;
	}
	ctx.entry = e;
	err_set_command(e->name);
	/* A failure shows later, where a command needs HTTP and cannot get a handle. */
	http_global_init();

	/* The command parses its own arguments (argv[0] is the command name) and
	 * opens the database through cmd_open_db when it needs it. */
	int rc = e->run(&ctx, argc - i, argv + i);
	if (rc && rc != E_INTERRUPT && *err_msg())
		err_print();
	db_close(ctx.db);
	http_global_cleanup();
	return rc;
}
