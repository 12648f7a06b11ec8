/* cmd-export.c: waverunner export: write a stored workflow back as a workflow file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "db-defs.h"
#include "err.h"
#include "json.h"
#include "util.h"
#include "workflow.h"

static const struct cmd_option options[] = {
	{ "workflow", 'w', "ID", "the workflow to export" },
	{ "output", 'o', "FILE", "write to FILE instead of standard output" },
	{ 0 },
};

static int cmd_export(struct cmd_ctx *ctx, int argc, char **argv)
{
	long id = 0;
	const char *output = NULL;
	const struct cmd_arg args[] = { { 'w', .id = &id }, { 'o', .text = &output }, { 0 } };
	int rc;
	if (cmd_parse_args(ctx, argc, argv, args, 1, &rc) < 0)
		return rc;
	if (!id)
		return cmd_usage_error(ctx, "say which workflow: --workflow ID");
	if ((rc = cmd_open_db(ctx, 0)))
		return rc;
	struct workflow wf;
	if ((rc = db_workflow_read(ctx->db, id, &wf)))
		return rc;
	cJSON *root = workflow_to_json(&wf);
	workflow_release(&wf);
	char *text = json_print_indented(root);
	cJSON_Delete(root);
	size_t len = strlen(text);
	if (output) {
		if (write_file_atomic(output, text, len) < 0)
			rc = err_set(E_INPUT, "%s: %s", output, strerror(errno));
	} else {
		fputs(text, stdout);
	}
	free(text);
	return rc;
}

CMD_DEFINE(export, options,
	   "export --workflow ID [--output FILE]",
	   "write a stored workflow as a workflow file (load, export, load is a fixed point)");
