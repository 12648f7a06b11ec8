/* cmd-status.c: waverunner status: runs by state; per step: counts, attempts,
 * retries, dead ends, errors and model usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "db-report.h"
#include "err.h"
#include "json.h"
#include "util.h"

static double num(const cJSON *o, const char *key)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static const char *str(const cJSON *o, const char *key)
{
	const char *s = json_str(o, key);
	return s ? s : "";
}

static void print_steps(const cJSON *steps)
{
	printf("  %-44s %5s %5s %5s %5s %5s %6s %6s %5s %14s %8s\n", "step", "pend", "wait", "run", "done", "fail",
	       "tries", "retry", "dead", "tokens in/out", "avg ms");
	const cJSON *s;
	cJSON_ArrayForEach(s, steps) {
		char label[64], tokens[32] = "-", avg[16] = "-";
		snprintf(label, sizeof label, "%.0f %s", num(s, "conversation_id"), str(s, "name"));
		char *l = utf8_shorten(label, 44);
		if (!cJSON_IsNull(cJSON_GetObjectItem(s, "prompt_tokens")))
			snprintf(tokens, sizeof tokens, "%.0f/%.0f", num(s, "prompt_tokens"), num(s, "output_tokens"));
		if (!cJSON_IsNull(cJSON_GetObjectItem(s, "avg_duration_ms")))
			snprintf(avg, sizeof avg, "%.0f", num(s, "avg_duration_ms"));
		printf("  %-*s %5.0f %5.0f %5.0f %5.0f %5.0f %6.0f %6.0f %5.0f %14s %8s\n",
		       (int)(44 + strlen(l) - utf8_length(l)), l, num(s, "pending"), num(s, "waiting"),
		       num(s, "running"), num(s, "completed"), num(s, "failed"), num(s, "attempts"), num(s, "retries"),
		       num(s, "no_rule_matched"), tokens, avg);
		free(l);
	}
	int header = 0;
	cJSON_ArrayForEach(s, steps) {
		const cJSON *e;
		cJSON_ArrayForEach(e, cJSON_GetObjectItem(s, "errors")) {
			if (!header++)
				printf("  errors:\n");
			char *m = utf8_shorten(str(e, "message"), 160);
			printf("    %.0f %s: %.0f× %s (%s)\n", num(s, "conversation_id"), str(s, "name"), num(e, "count"), m,
			       str(e, "failure_class"));
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
		printf("    %s (%s): %.0f call%s", str(m, "model"), str(m, "backend"), num(m, "calls"),
		       num(m, "calls") == 1 ? "" : "s");
		if (!cJSON_IsNull(cJSON_GetObjectItem(m, "prompt_tokens")))
			printf(", %.0f prompt + %.0f output tokens", num(m, "prompt_tokens"), num(m, "output_tokens"));
		if (!cJSON_IsNull(cJSON_GetObjectItem(m, "duration_ms")))
			printf(", %.1f s in calls", num(m, "duration_ms") / 1000.0);
		if (!cJSON_IsNull(cJSON_GetObjectItem(m, "load_ms")))
			printf(", %.1f s loading (%.0f reload%s)", num(m, "load_ms") / 1000.0, num(m, "loads"),
			       num(m, "loads") == 1 ? "" : "s");
		printf("\n");
	}
}

static int cmd_status(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "workflow", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	long workflow = 0, run = 0;
	int rc = E_OK, c;
	while ((c = cmd_getopt(ctx, argc, argv, "w:", opts, &rc)) > 0)
		if (c == 'w' && (rc = cmd_parse_id(ctx, "--workflow", optarg, &workflow)))
			return rc;
	if (c < 0)
		return rc;
	if (optind < argc && (rc = cmd_parse_id(ctx, "RUN", argv[optind++], &run)))
		return rc;
	if (optind < argc)
		return cmd_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
	if ((rc = cmd_open_db(ctx, 0)))
		return rc;
	cJSON *rep;
	if ((rc = run ? db_report_run(ctx->db, run, &rep) : db_report_status(ctx->db, workflow, &rep)))
		return rc;
	if (ctx->json) {
		json_emit(rep);
		return E_OK;
	}
	if (run) {
		const cJSON *r = cJSON_GetObjectItem(rep, "run");
		printf("run %.0f of workflow %.0f '%s': %s\n", num(r, "run_id"), num(r, "workflow_id"),
		       str(r, "workflow_name"), str(r, "status"));
		if (!cJSON_IsNull(cJSON_GetObjectItem(r, "posting_id")))
			printf("posting %.0f '%s' (%s)\n", num(r, "posting_id"), str(r, "job_title"),
			       str(r, "external_job_id"));
		if (*str(r, "reason"))
			printf("reason: %s\n", str(r, "reason"));
		printf("\n");
		print_steps(cJSON_GetObjectItem(rep, "steps"));
		print_models(cJSON_GetObjectItem(rep, "models"));
	} else {
		const cJSON *w;
		int first = 1;
		cJSON_ArrayForEach(w, cJSON_GetObjectItem(rep, "workflows")) {
			const cJSON *runs = cJSON_GetObjectItem(w, "runs");
			double total = num(runs, "running") + num(runs, "completed") + num(runs, "failed");
			printf("%sworkflow %.0f '%s': %.0f run%s: %.0f running, %.0f completed, %.0f failed\n",
			       first ? "" : "\n", num(w, "workflow_id"), str(w, "name"), total, total == 1 ? "" : "s",
			       num(runs, "running"), num(runs, "completed"), num(runs, "failed"));
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
				printf("    run %.0f", num(f, "run_id"));
				if (!cJSON_IsNull(cJSON_GetObjectItem(f, "posting_id")))
					printf(" (posting %.0f '%s')", num(f, "posting_id"), str(f, "job_title"));
				printf(": %s\n", str(f, "reason"));
			}
		}
		if (first)
			printf("no workflows (load one with: waverunner load FILE)\n");
	}
	cJSON_Delete(rep);
	return E_OK;
}

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.usage = "status [--workflow ID] [RUN]",
	.summary = "show runs by state and, per step, interactions by status with attempts, retries, dead "
		   "ends, errors and model usage",
	.options = "  -w, --workflow ID   only this workflow\n"
		   "  RUN                 one run: its state, the reason it failed, and its steps\n",
	.run = cmd_status,
};
