/* Unit tests of cmd.c: the help made from a command's option table, and
 * cmd_parse_args. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "err.h"
#include "tap.h"

enum { OPT_STRICT = CMD_OPT_LONG_ONLY + 1 };

/* cmd_parse_args: ids, texts and flags from the table of a made-up command. */
static void test_parse_args(void)
{
	static const struct cmd_option opts[] = {
		{ "workflow", 'w', "ID", "the workflow" },
		{ "output", 'o', "FILE", "the file" },
		{ "all", OPT_STRICT, NULL, "all of them" },
		{ 0 },
	};
	static const struct cmd_entry entry = { .name = "made-up", .usage = "made-up", .summary = "s", .opts = opts };
	struct cmd_ctx ctx = { .entry = &entry };
	long id = 0;
	const char *out = NULL;
	int all = 0, rc = -1;
	const struct cmd_arg args[] = { { 'w', .id = &id }, { 'o', .text = &out }, { OPT_STRICT, .flag = &all }, { 0 } };
	char *ok_argv[] = { "made-up", "-w", "7", "--output", "f.html", "--all", "rest", NULL };
	optind = 0;
	is_int(cmd_parse_args(&ctx, 7, ok_argv, args, 0, &rc), 0, "cmd_parse_args: options parsed");
	ok(rc == E_OK && id == 7 && out && !strcmp(out, "f.html") && all == 1, "an id, a text and a flag set");
	is_str(ok_argv[optind], "rest", "optind at the operand");
	optind = 0;
	is_int(cmd_parse_args(&ctx, 7, ok_argv, args, 1, &rc), -1, "an operand where none is taken: done");
	is_int(rc, E_USAGE, "with a usage error");
	/* The usage error goes to stderr: read it back from a file. */
	char *bad_argv[] = { "made-up", "--workflow", "zero", NULL };
	FILE *tmp = tmpfile();
	int saved = dup(2);
	fflush(stderr);
	dup2(fileno(tmp), 2);
	optind = 0;
	int got = cmd_parse_args(&ctx, 3, bad_argv, args, 1, &rc);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	char said[512] = "";
	rewind(tmp);
	size_t n = fread(said, 1, sizeof said - 1, tmp);
	said[n] = '\0';
	fclose(tmp);
	ok(got == -1 && rc == E_USAGE, "a bad id: done, with a usage error");
	ok(strstr(said, "made-up: --workflow needs a positive number, not 'zero'") != NULL,
	   "the message names the option");
}

int main(void)
{
	test_parse_args();
	static const struct cmd_option opts[] = {
		{ "workflow", 'w', "ID", "the workflow" },
		{ "max-interactions", 'n', "N", "stop after N\nstarted interactions" },
		{ "strict", OPT_STRICT, NULL, "exit 1 when a run failed" },
		{ NULL, 0, "RUN", "one run" },
		{ NULL, 0, NULL, "push:" },
		{ 0 },
	};
	char *h = cmd_options_help(opts);
	is_str(h,
	       "  -w, --workflow ID         the workflow\n"
	       "  -n, --max-interactions N  stop after N\n"
	       "                            started interactions\n"
	       "      --strict              exit 1 when a run failed\n"
	       "  RUN                       one run\n"
	       "push:\n",
	       "the help of a table: one column, continuation lines under it, long-only options indented");
	free(h);
	static const struct cmd_option long_only[] = { { "pg", 0x100, "CONNINFO", "the server" }, { 0 } };
	is_str_free(cmd_options_help(long_only),
		    "  --pg CONNINFO       the server\n", "without short options, long ones are not indented");

	/* Every command's table: each option shows in its help with its short letter.
	 * Every command that takes options has a table (help and getopt from one
	 * list); only init takes none. */
	for (const struct cmd_entry *const *e = cmd_table; *e; e++) {
		ok((*e)->opts || !strcmp((*e)->name, "init"), "%s: help and getopt come from its option table",
		   (*e)->name);
		if (!(*e)->opts)
			continue;
		h = cmd_options_help((*e)->opts);
		for (const struct cmd_option *o = (*e)->opts; o->help; o++) {
			if (!o->name)
				continue;
			char want[96];
			if (o->key > 0 && o->key <= CMD_OPT_LONG_ONLY)
				snprintf(want, sizeof want, "-%c, --%s", o->key, o->name);
			else
				snprintf(want, sizeof want, "--%s", o->name);
			ok(strstr(h, want) != NULL, "%s --help shows %s", (*e)->name, want);
		}
		free(h);
	}
	return done_testing();
}
