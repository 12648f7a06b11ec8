/* cmd-show.c: waverunner show: what a workflow produced for postings: their
 * summary, skills and IHL score, and the path their latest run took. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "db-browse.h"
#include "err.h"
#include "json.h"
#include "util.h"

/* Prints text indented, line by line, as it is. */
static void print_block(const char *text)
{
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		printf("    %.*s\n", (int)n, p);
		p += n + (nl ? 1 : 0);
	}
}

static int is_null(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);
	return !v || cJSON_IsNull(v);
}

static void print_posting(const cJSON *show)
{
	const cJSON *p = cJSON_GetObjectItem(show, "posting");
	printf("posting %.0f '%s' (%s", json_num(p, "posting_id"), json_text(p, "title"), json_text(p, "external_job_id"));
	if (*json_text(p, "source"))
		printf(", %s", json_text(p, "source"));
	printf(")\n    %s\n", json_text(p, "external_url"));
	if (is_null(p, "description_chars"))
		printf("description: none\n");
	else
		printf("description: %.0f characters\n", json_num(p, "description_chars"));

	if (is_null(p, "summary")) {
		printf("summary: none\n");
	} else {
		printf("summary (interaction %.0f):\n", json_num(p, "summary_interaction_id"));
		print_block(json_text(p, "summary"));
	}
	const cJSON *skills = cJSON_GetObjectItem(p, "skills");
	if (!cJSON_IsArray(skills)) {
		printf("skills: none\n");
	} else {
		printf("skills (%d):", cJSON_GetArraySize(skills));
		const cJSON *s;
		int first = 1;
		cJSON_ArrayForEach(s, skills) {
			/* 3001 saves skills as objects with a name; show the names. */
			const char *name = json_str(s, "name");
			char *t = name ? xstrdup(name) : json_value_text(s);
			printf("%s %s", first ? "" : ",", t);
			free(t);
			first = 0;
		}
		printf("\n");
	}
	if (is_null(p, "ihl_score"))
		printf("IHL score: none\n");
	else
		printf("IHL score: %.0f/%.0f %s (interaction %.0f)\n", json_num(p, "ihl_score"), json_num(p, "ihl_scale"),
		       json_text(p, "ihl_verdict"), json_num(p, "ihl_interaction_id"));

	const cJSON *run = cJSON_GetObjectItem(show, "latest_run");
	if (cJSON_IsNull(run)) {
		printf("no run yet\n");
		return;
	}
	printf("latest run %.0f of workflow %.0f '%s': %s\n", json_num(run, "run_id"), json_num(run, "workflow_id"),
	       json_text(run, "workflow_name"), json_text(run, "status"));
	if (*json_text(run, "reason"))
		printf("    reason: %s\n", json_text(run, "reason"));
	const cJSON *step;
	cJSON_ArrayForEach(step, cJSON_GetObjectItem(run, "path")) {
		char label[80];
		snprintf(label, sizeof label, "%.0f %s", json_num(step, "conversation_id"), json_text(step, "name"));
		char *l = utf8_shorten(label, 44);
		printf("    %-*s %s%s%s%s\n", (int)(44 + strlen(l) - utf8_length(l)), l, json_text(step, "status"),
		       json_num(step, "reused") ? " (reused)" : "", *json_text(step, "verdict") ? " " : "",
		       json_text(step, "verdict"));
		free(l);
	}
}

static const struct cmd_option options[] = {
	{ "workflow", 'w', "ID", "the latest run of this workflow (default: of any workflow)" },
	{ 0 },
};

static int cmd_show(struct cmd_ctx *ctx, int argc, char **argv)
{
	int rc = E_OK;
	long workflow = 0;
	const struct cmd_arg args[] = { { 'w', .id = &workflow }, { 0 } };
	if (cmd_parse_args(ctx, argc, argv, args, 0, &rc) < 0)
		return rc;
	if (optind == argc)
		return cmd_usage_error(ctx, "say which postings: waverunner show POSTING...");
	long *ids = xcalloc((size_t)(argc - optind), sizeof *ids);
	for (int i = optind; i < argc && !rc; i++)
		rc = cmd_parse_id(ctx, "POSTING", argv[i], &ids[i - optind]);
	if (rc || (rc = cmd_open_db(ctx, 0))) {
		free(ids);
		return rc;
	}
	cJSON *all = cJSON_CreateArray();
	for (int i = 0; i < argc - optind && !rc; i++) {
		cJSON *one;
		if ((rc = db_show_posting(ctx->db, ids[i], workflow, &one)))
			break;
		cJSON_AddItemToArray(all, one);
	}
	free(ids);
	if (rc) {
		cJSON_Delete(all);
		return rc;
	}
	if (ctx->json) {
		json_emit(all);
		return E_OK;
	}
	const cJSON *one;
	int first = 1;
	cJSON_ArrayForEach(one, all) {
		if (!first)
			printf("\n");
		first = 0;
		print_posting(one);
	}
	cJSON_Delete(all);
	return E_OK;
}

CMD_DEFINE(show, options,
	   "show [--workflow ID] POSTING...",
	   "show what came out for postings: summary, skills, IHL score and the path their latest run took");
