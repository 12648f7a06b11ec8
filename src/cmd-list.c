/* cmd-list.c: waverunner list workflows|postings|runs: what the database
 * holds, a line each, with filters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "db-browse.h"
#include "err.h"
#include "json.h"
#include "util.h"

/* A text column of width code points: padded, or cut with "…" at a code
 * point boundary. */
static void print_cell(const char *text, size_t width)
{
	size_t n = utf8_length(text);
	if (n <= width) {
		printf("%s%*s", text, (int)(width - n), "");
		return;
	}
	const char *p = text;
	for (size_t i = 0; i + 1 < width; i++) /* width - 1 code points, then "…" */
		for (p++; (*p & 0xC0) == 0x80; p++)
			;
	printf("%.*s…", (int)(p - text), text);
}

static const char *or_dash(const cJSON *o, const char *key, char buf[32])
{
	const cJSON *v = cJSON_GetObjectItem(o, key);
	if (!v || cJSON_IsNull(v))
		return "-";
	if (cJSON_IsString(v))
		return v->valuestring;
	snprintf(buf, 32, "%.0f", v->valuedouble);
	return buf;
}

static void print_workflows(const cJSON *rows)
{
	printf("%-9s %-40s %5s %8s %9s %7s\n", "workflow", "name", "steps", "running", "completed", "failed");
	const cJSON *r;
	cJSON_ArrayForEach(r, rows) {
		printf("%-9.0f ", json_num(r, "workflow_id"));
		print_cell(json_text(r, "name"), 40);
		printf(" %5.0f %8.0f %9.0f %7.0f%s\n", json_num(r, "steps"), json_num(r, "running"), json_num(r, "completed"),
		       json_num(r, "failed"), json_num(r, "enabled") ? "" : "  (disabled)");
	}
}

static void print_postings(const cJSON *rows)
{
	printf("%-8s %-32s %-10s %7s %6s %-22s %s\n", "posting", "title", "external", "summary", "skills", "IHL score",
	       "latest run");
	const cJSON *r;
	cJSON_ArrayForEach(r, rows) {
		char a[32], b[32], ihl[48] = "-", run[48] = "-";
		printf("%-8.0f ", json_num(r, "posting_id"));
		print_cell(json_text(r, "title"), 32);
		printf(" ");
		print_cell(json_text(r, "external_job_id"), 10);
		if (!cJSON_IsNull(cJSON_GetObjectItem(r, "ihl_score")))
			snprintf(ihl, sizeof ihl, "%.0f/%.0f %s", json_num(r, "ihl_score"), json_num(r, "ihl_scale"),
				 json_text(r, "ihl_verdict"));
		if (!cJSON_IsNull(cJSON_GetObjectItem(r, "run_id")))
			snprintf(run, sizeof run, "%.0f %s", json_num(r, "run_id"), json_text(r, "run_status"));
		printf(" %7s %6s %-22s %s\n", or_dash(r, "summary_chars", a), or_dash(r, "skills", b), ihl, run);
	}
}

static void print_runs(const cJSON *rows)
{
	printf("%-7s %-9s %-8s %-10s %-25s %s\n", "run", "workflow", "posting", "status", "updated", "reason / title");
	const cJSON *r;
	cJSON_ArrayForEach(r, rows) {
		char p[32];
		printf("%-7.0f %-9.0f %-8s %-10s %-25s ", json_num(r, "run_id"), json_num(r, "workflow_id"),
		       or_dash(r, "posting_id", p), json_text(r, "status"), json_text(r, "updated_at"));
		/* A reason quotes answers: keep it on its line. */
		const char *why = *json_text(r, "reason") ? json_text(r, "reason") : json_text(r, "title");
		char *line = text_one_line(why, 400);
		print_cell(line, 100);
		free(line);
		printf("\n");
	}
}

static const struct cmd_option options[] = {
	{ "workflow", 'w', "ID", "only this workflow (postings: those with a run of it, and their latest)" },
	{ "status", 's', "S", "postings whose latest run, or runs, that are running, completed or failed" },
	{ "failed", 'f', NULL, "the same as --status failed" },
	{ "limit", 'n', "N", "at most N lines" },
	{ 0 },
};

static int cmd_list(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct browse_filter f = { 0 };
	int rc = E_OK, c;
	while ((c = cmd_getopts(ctx, argc, argv, &rc)) > 0) {
		if (c == 'w')
			rc = cmd_parse_id(ctx, "--workflow", optarg, &f.workflow_id);
		else if (c == 'n')
			rc = cmd_parse_id(ctx, "--limit", optarg, &f.limit);
		else if (c == 'f')
			f.status = "failed";
		else if (c == 's') {
			if (strcmp(optarg, "running") && strcmp(optarg, "completed") && strcmp(optarg, "failed"))
				return cmd_usage_error(ctx, "--status is running, completed or failed, not '%s'", optarg);
			f.status = optarg;
		}
		if (rc)
			return rc;
	}
	if (c < 0)
		return rc;
	if (optind != argc - 1)
		return cmd_usage_error(ctx, "say what to list: workflows, postings or runs");
	const char *what = argv[optind];
	int (*query)(struct db *, const struct browse_filter *, cJSON **);
	void (*print)(const cJSON *);
	if (!strcmp(what, "workflows")) {
		if (f.status)
			return cmd_usage_error(ctx, "--status and --failed filter postings and runs, not workflows");
		query = db_browse_workflows;
		print = print_workflows;
	} else if (!strcmp(what, "postings")) {
		query = db_browse_postings;
		print = print_postings;
	} else if (!strcmp(what, "runs")) {
		query = db_browse_runs;
		print = print_runs;
	} else {
		return cmd_usage_error(ctx, "cannot list '%s': say workflows, postings or runs", what);
	}
	cJSON *rows;
	if ((rc = cmd_open_db(ctx, 0)) || (rc = query(ctx->db, &f, &rows)))
		return rc;
	if (ctx->json) {
		json_emit(rows);
		return E_OK;
	}
	print(rows);
	cJSON_Delete(rows);
	return E_OK;
}

CMD_DEFINE(list, options,
	   "list [--workflow ID] [--status STATUS | --failed] [--limit N] workflows|postings|runs",
	   "list the workflows, postings (with their results and latest run) or runs (newest first)");
