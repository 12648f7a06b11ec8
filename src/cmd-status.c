/* cmd-status.c: waverunner status: runs by state; per step: counts, attempts,
 * retries, dead ends, errors and model usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "db-limits.h"
#include "db-report.h"
#include "err.h"
#include "json.h"
#include "util.h"

static void print_steps(const cJSON *steps)
{
	printf("  %-44s %5s %5s %5s %5s %5s %6s %6s %5s %14s %8s\n", "step", "pend", "wait", "run", "done", "fail",
	       "tries", "retry", "dead", "tokens in/out", "avg ms");
	const cJSON *s;
	cJSON_ArrayForEach(s, steps) {
		char label[64], tokens[32] = "-", avg[16] = "-";
		snprintf(label, sizeof label, "%.0f %s", json_num(s, "conversation_id"), json_text(s, "name"));
		char *l = utf8_shorten(label, 44);
		if (!cJSON_IsNull(cJSON_GetObjectItem(s, "prompt_tokens")))
			snprintf(tokens, sizeof tokens, "%.0f/%.0f", json_num(s, "prompt_tokens"), json_num(s, "output_tokens"));
		if (!cJSON_IsNull(cJSON_GetObjectItem(s, "avg_duration_ms")))
			snprintf(avg, sizeof avg, "%.0f", json_num(s, "avg_duration_ms"));
		printf("  %-*s %5.0f %5.0f %5.0f %5.0f %5.0f %6.0f %6.0f %5.0f %14s %8s\n",
		       (int)(44 + strlen(l) - utf8_length(l)), l, json_num(s, "pending"), json_num(s, "waiting"),
		       json_num(s, "running"), json_num(s, "completed"), json_num(s, "failed"), json_num(s, "attempts"), json_num(s, "retries"),
		       json_num(s, "no_rule_matched"), tokens, avg);
		free(l);
	}
	int header = 0;
	cJSON_ArrayForEach(s, steps) {
		const cJSON *e;
		cJSON_ArrayForEach(e, cJSON_GetObjectItem(s, "errors")) {
			if (!header++)
				printf("  errors:\n");
			char *m = utf8_shorten(json_text(e, "message"), 160);
			printf("    %.0f %s: %.0f× %s (%s", json_num(s, "conversation_id"), json_text(s, "name"), json_num(e, "count"), m,
			       json_text(e, "failure_class"));
			if (json_num(e, "variants") > 1)
				printf("; %.0f messages alike but for their numbers", json_num(e, "variants"));
			printf(")\n");
			free(m);
		}
	}
}

static void print_models(const cJSON *models)
{
	const cJSON *m;
	int header = 0;
	cJSON_ArrayForEach(m, models) {
		if (!header++)
			printf("  models:\n");
		printf("    %s (%s): %.0f call%s", json_text(m, "model"), json_text(m, "backend"), json_num(m, "calls"),
		       json_num(m, "calls") == 1 ? "" : "s");
		if (!cJSON_IsNull(cJSON_GetObjectItem(m, "prompt_tokens")))
			printf(", %.0f prompt + %.0f output tokens", json_num(m, "prompt_tokens"), json_num(m, "output_tokens"));
		if (!cJSON_IsNull(cJSON_GetObjectItem(m, "duration_ms")))
			printf(", %.1f s in calls", json_num(m, "duration_ms") / 1000.0);
		if (!cJSON_IsNull(cJSON_GetObjectItem(m, "load_ms")))
			printf(", %.1f s loading (%.0f reload%s)", json_num(m, "load_ms") / 1000.0, json_num(m, "loads"),
			       json_num(m, "loads") == 1 ? "" : "s");
		printf("\n");
	}
}

/* The limits run learned of each model server (engine.c: Limits). */
static void print_servers(const cJSON *servers)
{
	const cJSON *s;
	int header = 0;
	cJSON_ArrayForEach(s, servers) {
		if (!header++)
			printf("\nmodel servers:\n");
		printf("  %s: %.0f request%s at once (%s, %s)\n", json_text(s, "server"), json_num(s, "max_in_flight"),
		       json_num(s, "max_in_flight") == 1 ? "" : "s", json_text(s, "source"), json_text(s, "updated_at"));
	}
}

static const struct cmd_option options[] = {
	{ "workflow", 'w', "ID", "only this workflow" },
	{ NULL, 0, "RUN", "one run: its state, the reason it failed, and its steps" },
	{ 0 },
};

static int cmd_status(struct cmd_ctx *ctx, int argc, char **argv)
{
	long workflow = 0, run = 0;
	int rc = E_OK, c;
	while ((c = cmd_getopts(ctx, argc, argv, &rc)) > 0)
		if (c == 'w' && (rc = cmd_parse_id(ctx, "--workflow", optarg, &workflow)))
			return rc;
	if (c < 0)
		return rc;
	if (optind < argc && (rc = cmd_parse_id(ctx, "RUN", argv[optind++], &run)))
		return rc;
	if (optind < argc)
		return cmd_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
	if (workflow && run) /* a run is one workflow's: the other would be ignored */
		return cmd_usage_error(ctx, "give --workflow or RUN, not both");
	if ((rc = cmd_open_db(ctx, 0)))
		return rc;
	cJSON *rep;
	if ((rc = run ? db_report_run(ctx->db, run, &rep) : db_report_status(ctx->db, workflow, &rep)))
		return rc;
	cJSON *servers = NULL;
	if (!run && (rc = db_server_limits(ctx->db, &servers))) {
		cJSON_Delete(rep);
		return rc;
	}
	if (servers)
		cJSON_AddItemToObject(rep, "model_servers", servers);
	if (ctx->json) {
		json_emit(rep);
		return E_OK;
	}
	if (run) {
		const cJSON *r = cJSON_GetObjectItem(rep, "run");
		printf("run %.0f of workflow %.0f '%s': %s\n", json_num(r, "run_id"), json_num(r, "workflow_id"),
		       json_text(r, "workflow_name"), json_text(r, "status"));
		if (!cJSON_IsNull(cJSON_GetObjectItem(r, "posting_id")))
			printf("posting %.0f '%s' (%s)\n", json_num(r, "posting_id"), json_text(r, "job_title"),
			       json_text(r, "external_job_id"));
		if (*json_text(r, "reason")) {
			char *why = text_one_line(json_text(r, "reason"), 300);
			printf("reason: %s\n", why);
			free(why);
		}
		printf("\n");
		print_steps(cJSON_GetObjectItem(rep, "steps"));
		print_models(cJSON_GetObjectItem(rep, "models"));
	} else {
		const cJSON *w;
		int first = 1;
		cJSON_ArrayForEach(w, cJSON_GetObjectItem(rep, "workflows")) {
			const cJSON *runs = cJSON_GetObjectItem(w, "runs");
			double total = json_num(runs, "running") + json_num(runs, "completed") + json_num(runs, "failed");
			printf("%sworkflow %.0f '%s': %.0f run%s: %.0f running, %.0f completed, %.0f failed\n",
			       first ? "" : "\n", json_num(w, "workflow_id"), json_text(w, "name"), total, total == 1 ? "" : "s",
			       json_num(runs, "running"), json_num(runs, "completed"), json_num(runs, "failed"));
			first = 0;
			if (!total)
				continue;
			printf("\n");
			print_steps(cJSON_GetObjectItem(w, "steps"));
			print_models(cJSON_GetObjectItem(w, "models"));
			const cJSON *f;
			int header = 0;
			cJSON_ArrayForEach(f, cJSON_GetObjectItem(w, "failed_runs")) {
				if (!header++)
					printf("  failed runs:\n");
				printf("    run %.0f", json_num(f, "run_id"));
				if (!cJSON_IsNull(cJSON_GetObjectItem(f, "posting_id")))
					printf(" (posting %.0f '%s')", json_num(f, "posting_id"), json_text(f, "job_title"));
				char *why = text_one_line(json_text(f, "reason"), 300);
				printf(": %s\n", why);
				free(why);
			}
			if (header && header < json_num(runs, "failed"))
				printf("    and %.0f more: waverunner list runs --failed --workflow %.0f\n",
				       json_num(runs, "failed") - header, json_num(w, "workflow_id"));
		}
		if (first)
			printf("no workflows (load one with: waverunner load FILE)\n");
		print_servers(servers);
	}
	cJSON_Delete(rep);
	return E_OK;
}

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.usage = "status [--workflow ID] [RUN]",
	.summary = "show runs by state and, per step, interactions by status with attempts, retries, dead "
		   "ends, errors and model usage",
	.opts = options,
	.run = cmd_status,
};
