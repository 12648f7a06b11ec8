/* Unit tests of cmd.c: the help made from a command's option table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "tap.h"

enum { OPT_STRICT = CMD_OPT_LONG_ONLY + 1 };

int main(void)
{
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
	h = cmd_options_help(long_only);
	is_str(h, "  --pg CONNINFO       the server\n", "without short options, long ones are not indented");
	free(h);

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
