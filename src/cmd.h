/* cmd.h: the command table. Each command lives in src/cmd-NAME.c and exports
 * one struct cmd_entry; --help and the man pages are written from these words. */
#ifndef cmd_h
#define cmd_h

#include <getopt.h>
#include <stddef.h>

struct db;

struct cmd_ctx {
	const char *db_path;   /* --db, $WAVERUNNER_DB or ./waverunner.db */
	int json;              /* --json: machine-readable output */
	struct db *db;         /* opened before run() when the command needs it */
	const struct cmd_entry *entry;
};

struct cmd_entry {
	const char *name;
	const char *usage;     /* after "waverunner": "validate [--workflow ID] [FILE...]" */
	const char *summary;   /* one line, lower case, no period */
	const char *options;   /* the options, one per line: "  --full   show whole prompts" */
	int (*run)(struct cmd_ctx *ctx, int argc, char **argv);
};

/* The commands, in the order help lists them; NULL-terminated. */
extern const struct cmd_entry *const cmd_table[];
const struct cmd_entry *cmd_find(const char *name);

/* The name nearest to word, when word looks like a slip of a letter or two
 * (for "did you mean"), else NULL. */
const char *cmd_nearest(const char *word, const char *const *names, size_t n);
/* The command nearest to word, as cmd_nearest. */
const char *cmd_nearest_command(const char *word);

/* Parses the command's options with getopt_long. The global options --db,
 * --json and --help are accepted everywhere and handled here. Returns the
 * option character (0 when getopt is done: optind is the first operand), or -1
 * after printing help (*rc = E_OK) or an error (*rc = E_USAGE). */
int cmd_getopt(struct cmd_ctx *ctx, int argc, char **argv, const char *shortopts,
	       const struct option *longopts, int *rc);
/* Reports a usage error ("waverunner: CMD: msg" and the usage line); returns E_USAGE. */
int cmd_usage_error(const struct cmd_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the full help of a command to stdout. */
void cmd_print_help(const struct cmd_entry *e);
/* Opens ctx->db_path into ctx->db (db_open flags) unless already open. */
int cmd_open_db(struct cmd_ctx *ctx, int flags);
/* Reads workflow id into *wf (released by the caller, also on failure) for
 * starting runs: E_INPUT when it is disabled or validate finds errors in it
 * (printed). */
struct workflow;
int cmd_read_runnable_workflow(struct cmd_ctx *ctx, long id, struct workflow *wf);
/* Parses a positive id argument; E_USAGE with a message naming the option. */
int cmd_parse_id(const struct cmd_ctx *ctx, const char *opt, const char *arg, long *out);

extern const struct cmd_entry cmd_init_entry, cmd_load_entry, cmd_export_entry, cmd_validate_entry,
	cmd_start_entry, cmd_rerun_entry, cmd_run_entry, cmd_status_entry, cmd_trace_entry,
	cmd_show_entry, cmd_list_entry, cmd_graph_entry, cmd_report_entry, cmd_sync_entry, cmd_work_entry;

#endif
