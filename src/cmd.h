/* cmd.h: the command table. Each command lives in src/cmd-NAME.c and exports
 * one struct cmd_entry; --help and the man pages are written from these words. */
#ifndef cmd_h
#define cmd_h

#include <getopt.h>
#include <signal.h>
#include <stddef.h>

struct db;

struct cmd_ctx {
	const char *db_path;   /* --db, $WAVERUNNER_DB or ./waverunner.db */
	int json;              /* --json: machine-readable output */
	struct db *db;         /* opened before run() when the command needs it */
	const struct cmd_entry *entry;
};

/* One line of a command's option table, from which both getopt's options and
 * the help are made (so the two cannot disagree). Ended by an entry with no
 * help. An entry with no name is an operand ("RUN") when it has an arg, else a
 * heading line of its own (help only). */
struct cmd_option {
	const char *name;      /* the long option, without "--" */
	int key;               /* its short letter, or a code above CMD_OPT_LONG_ONLY when it has none;
				* what cmd_getopts returns for it */
	const char *arg;       /* the value's name ("ID"), NULL for a flag */
	const char *help;      /* lower case, no period; "\n" starts a continuation line */
};
/* Keys above this have no short letter. */
#define CMD_OPT_LONG_ONLY 0xff

struct cmd_entry {
	const char *name;
	const char *usage;     /* after "waverunner": "validate [--workflow ID] [FILE...]" */
	const char *summary;   /* one line, lower case, no period */
	const struct cmd_option *opts; /* the option table, or NULL when it has none */
	int (*run)(struct cmd_ctx *ctx, int argc, char **argv);
};

/* Defines cmd_NAME_entry, the entry of command NAME, whose run function is
 * cmd_NAME and whose option table is opts (NULL: none):
 * CMD_DEFINE(export, options, "export --workflow ID", "write a workflow"); */
#define CMD_DEFINE(NAME, opts_, usage_, summary_)                                                          \
	const struct cmd_entry cmd_##NAME##_entry = {                                                       \
		.name = #NAME, .usage = usage_, .summary = summary_, .opts = opts_, .run = cmd_##NAME,      \
	}

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
/* cmd_getopt with the options of ctx->entry->opts. */
int cmd_getopts(struct cmd_ctx *ctx, int argc, char **argv, int *rc);
/* What an option of the table sets (args end with key 0): a positive id,
 * parsed (its errors name the option), a text, or a flag set to 1. */
struct cmd_arg {
	int key;
	long *id;
	const char **text;
	int *flag;
};
/* cmd_getopts into args; with no_operands, an operand is a usage error.
 * Returns 0 with optind at the first operand, or -1 when the command is done:
 * help printed (*rc = E_OK) or a usage error (*rc = E_USAGE). */
int cmd_parse_args(struct cmd_ctx *ctx, int argc, char **argv, const struct cmd_arg *args, int no_operands,
		   int *rc);
/* Reports a usage error ("waverunner: CMD: msg" and the usage line); returns E_USAGE. */
int cmd_usage_error(const struct cmd_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the full help of a command to stdout. */
void cmd_print_help(const struct cmd_entry *e);
/* The options part of the help made from an option table (new; caller frees). */
char *cmd_options_help(const struct cmd_option *opts);
/* Sends SIGINT and SIGTERM to handler. */
void cmd_catch_signals(void (*handler)(int));
/* For a signal handler: counts the signal in *count; at the second, writes
 * "\nwaverunner: " and msg to stderr and exits at once (E_INTERRUPT). */
void cmd_signal_again(volatile sig_atomic_t *count, const char *msg);
/* Ends the transaction of ctx->db: commits when rc is E_OK, else (or when
 * the commit fails) rolls back; returns rc or the commit's error. */
int cmd_end_transaction(struct cmd_ctx *ctx, int rc);
/* Ends a command's report (cJSON, owned): printed with --json when ok, else
 * only freed. */
struct cJSON;
void cmd_emit(const struct cmd_ctx *ctx, struct cJSON *report, int ok);
/* Opens ctx->db_path into ctx->db (db_open flags) unless already open. */
int cmd_open_db(struct cmd_ctx *ctx, int flags);
/* Reads workflow id into *wf (released by the caller, also on failure) for
 * starting runs: E_INPUT when it is disabled or validate finds errors in it
 * (printed). */
struct workflow;
int cmd_read_runnable_workflow(struct cmd_ctx *ctx, long id, struct workflow *wf);
/* The workflow a command is about: *id when given (not 0), else the only one
 * stored, else (by_runs) the only one that has runs; E_INPUT when there are
 * none, E_USAGE when it cannot tell. */
int cmd_pick_workflow(struct cmd_ctx *ctx, long *id, int by_runs);
/* The graph of stored workflow id (graph.h; released by the caller). */
struct graph;
int cmd_read_graph(struct cmd_ctx *ctx, long id, struct graph *g);
/* Parses a positive id argument; E_USAGE with a message naming the option. */
int cmd_parse_id(const struct cmd_ctx *ctx, const char *opt, const char *arg, long *out);

extern const struct cmd_entry cmd_init_entry, cmd_load_entry, cmd_export_entry, cmd_validate_entry,
	cmd_start_entry, cmd_rerun_entry, cmd_run_entry, cmd_status_entry, cmd_trace_entry,
	cmd_show_entry, cmd_list_entry, cmd_graph_entry, cmd_report_entry, cmd_sync_entry, cmd_work_entry;

#endif
