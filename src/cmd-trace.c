/* cmd-trace.c: waverunner trace: the path a run took, interaction by interaction. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "db-browse.h"
#include "db-report.h"
#include "err.h"
#include "json.h"
#include "util.h"

/* Text on one line (whitespace runs become one space), shortened unless full. */
static void print_text(const char *label, const char *text, int full)
{
	if (full) {
		printf("   %s\n", label);
		for (const char *p = text; *p;) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			printf("     | %.*s\n", (int)n, p);
			p += n + (nl ? 1 : 0);
		}
		return;
	}
	struct buf b = BUF_INIT;
	int space = 0;
	for (const char *p = text; *p; p++) {
		if (isspace((unsigned char)*p)) {
			space = 1;
			continue;
		}
		if (space && b.len)
			buf_putc(&b, ' ');
		space = 0;
		buf_putc(&b, *p);
	}
	char *s = utf8_shorten(buf_str(&b), 150);
	printf("   %-7s %s\n", label, s);
	free(s);
	buf_release(&b);
}

/* A model request in full: its prompt and messages as text, line by line;
 * anything else as it is. */
static void print_input(const char *input)
{
	cJSON *doc = cJSON_Parse(input);
	const cJSON *messages = cJSON_GetObjectItem(doc, "messages");
	if (!cJSON_IsObject(doc) || (!json_str(doc, "prompt") && !cJSON_IsArray(messages))) {
		print_text("input:", input, 1);
		cJSON_Delete(doc);
		return;
	}
	if (json_str(doc, "model"))
		printf("   model:  %s\n", json_str(doc, "model"));
	if (json_str(doc, "system"))
		print_text("system:", json_str(doc, "system"), 1);
	if (json_str(doc, "prompt"))
		print_text("prompt:", json_str(doc, "prompt"), 1);
	const cJSON *m;
	cJSON_ArrayForEach(m, messages) {
		char *label = xasprintf("%s:", *json_text(m, "role") ? json_text(m, "role") : "message");
		print_text(label, json_text(m, "content"), 1);
		free(label);
	}
	cJSON_Delete(doc);
}

static void print_branch(const cJSON *events, int full)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, events) {
		const char *type = json_text(e, "type");
		const cJSON *d = cJSON_GetObjectItem(e, "data");
		if (!strcmp(type, "interaction_branched")) {
			printf("   ->      ");
			if (*json_text(d, "verdict"))
				printf("%s: ", json_text(d, "verdict"));
			const cJSON *x, *rules = cJSON_GetObjectItem(d, "rules");
			printf("rule%s", cJSON_GetArraySize(rules) > 1 ? "s" : "");
			int first = 1;
			cJSON_ArrayForEach(x, rules) {
				printf("%s %.0f", first ? "" : ",", x->valuedouble);
				first = 0;
			}
			printf(" fired:");
			cJSON_ArrayForEach(x, cJSON_GetObjectItem(d, "targets"))
				printf(" %.0f", x->valuedouble);
			if (cJSON_IsTrue(cJSON_GetObjectItem(d, "end")))
				printf(" END");
			if (cJSON_IsTrue(cJSON_GetObjectItem(d, "bound_reached")))
				printf(" (a loop rule had reached its bound)");
			if (cJSON_GetObjectItem(d, "runs_started"))
				printf(" (%.0f run%s started)", json_num(d, "runs_started"),
				       json_num(d, "runs_started") == 1 ? "" : "s");
			/* Listed ids that started nothing: no such posting, one already
			 * running, or a value that is no id (1e300, "x"). */
			const cJSON *skipped = cJSON_GetObjectItem(d, "postings_skipped");
			int nskipped = cJSON_GetArraySize(skipped), shown = 0;
			if (nskipped)
				printf(" (%d skipped:", nskipped);
			cJSON_ArrayForEach(x, skipped) {
				if (shown++ == 5) {
					printf(" ...");
					break;
				}
				char *v = json_print(x);
				printf("%s %s", shown > 1 ? "," : "", v);
				free(v);
			}
			if (nskipped)
				printf(")");
			printf("\n");
		} else if (!strcmp(type, "no_rule_matched")) {
			char *t = text_one_line(json_text(d, "text"), 80);
			printf("   ->      no rule matched%s%s: the path ends here (answer began: %s)\n",
			       *json_text(d, "verdict") ? " verdict " : "", json_text(d, "verdict"), t);
			free(t);
		} else if (!strcmp(type, "interaction_retried")) {
			char *error = text_one_line(json_text(d, "error"), 1000);
			printf("   retry   attempt %.0f failed (%s): %s\n", json_num(d, "attempts"), json_text(d, "failure_class"),
			       error);
			free(error);
		} else if (!strcmp(type, "interaction_reused")) {
			printf("   reused  from interaction %.0f of run %.0f (rerun: no call)\n", json_num(d, "from_interaction_id"),
			       json_num(d, "from_run_id"));
		} else if (!strcmp(type, "lease_expired")) {
			printf("   lease   taken back from %s\n", json_text(d, "owner"));
		} else if (!strcmp(type, "attempt_discarded")) {
			printf("   lease   attempt %.0f of %s %s too late, discarded: %s\n", json_num(d, "attempt"),
			       json_text(d, "owner"), json_text(d, "outcome"), json_text(d, "why"));
		}
		if (*json_text(d, "stderr")) /* what a script wrote on stderr in that attempt */
			print_text("stderr:", json_text(d, "stderr"), full);
	}
}

static const struct cmd_option options[] = {
	{ "full", 'f', NULL, "show prompts and outputs whole instead of shortened" },
	{ "posting", 'p', "ID", "the latest run of this posting" },
	{ "workflow", 'w', "ID", "with --posting: its latest run of this workflow" },
	{ 0 },
};

static int cmd_trace(struct cmd_ctx *ctx, int argc, char **argv)
{
	int full = 0, rc = E_OK;
	long run = 0, posting = 0, workflow = 0;
	const struct cmd_arg args[] = { { 'f', .flag = &full }, { 'p', .id = &posting }, { 'w', .id = &workflow }, { 0 } };
	if (cmd_parse_args(ctx, argc, argv, args, 0, &rc) < 0)
		return rc;
	if (posting ? optind != argc : optind != argc - 1)
		return cmd_usage_error(ctx, "say which run: waverunner trace RUN, or trace --posting ID");
	if (workflow && !posting)
		return cmd_usage_error(ctx, "--workflow goes with --posting");
	if ((!posting && (rc = cmd_parse_id(ctx, "RUN", argv[optind], &run))) || (rc = cmd_open_db(ctx, 0)))
		return rc;
	if (posting) {
		if ((rc = db_latest_run(ctx->db, posting, workflow, &run)))
			return rc;
		if (!run)
			return err_set(E_INPUT, "posting %ld has no run%s", posting, workflow ? " of that workflow" : "");
	}
	cJSON *rep;
	if ((rc = db_report_trace(ctx->db, run, &rep)))
		return rc;
	if (ctx->json) {
		json_emit(rep);
		return E_OK;
	}
	const cJSON *r = cJSON_GetObjectItem(rep, "run");
	printf("run %.0f of workflow %.0f '%s': %s\n", json_num(r, "run_id"), json_num(r, "workflow_id"), json_text(r, "workflow_name"),
	       json_text(r, "status"));
	if (!cJSON_IsNull(cJSON_GetObjectItem(r, "posting_id")))
		printf("posting %.0f '%s' (%s)\n", json_num(r, "posting_id"), json_text(r, "job_title"), json_text(r, "external_job_id"));
	if (!cJSON_IsNull(cJSON_GetObjectItem(r, "started_by_interaction_id")))
		printf("started by interaction %.0f (a fan-out)\n", json_num(r, "started_by_interaction_id"));
	if (*json_text(r, "reason")) {
		char *why = text_one_line(json_text(r, "reason"), 1000);
		printf("reason: %s\n", why);
		free(why);
	}
	const cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(rep, "interactions")) {
		printf("\n#%.0f  interaction %.0f: %.0f %s  [%s]  %s, %.0f attempt%s", json_num(it, "execution_order"),
		       json_num(it, "interaction_id"), json_num(it, "conversation_id"), json_text(it, "name"), json_text(it, "actor"),
		       json_text(it, "status"), json_num(it, "attempts"), json_num(it, "attempts") == 1 ? "" : "s");
		if (!cJSON_IsNull(cJSON_GetObjectItem(it, "duration_ms")))
			printf(", %.0f ms", json_num(it, "duration_ms"));
		if (!cJSON_IsNull(cJSON_GetObjectItem(it, "prompt_tokens")))
			printf(", %.0f->%.0f tokens", json_num(it, "prompt_tokens"), json_num(it, "output_tokens"));
		if (!cJSON_IsNull(cJSON_GetObjectItem(it, "running_ms")))
			printf(", running for %.1f s", json_num(it, "running_ms") / 1000.0);
		printf("\n");
		const cJSON *parents = cJSON_GetObjectItem(it, "parents");
		if (cJSON_GetArraySize(parents)) {
			printf("   from   ");
			const cJSON *p;
			cJSON_ArrayForEach(p, parents)
				printf(" %.0f", p->valuedouble);
			if (!cJSON_IsNull(cJSON_GetObjectItem(it, "via_rule_id")))
				printf(" by rule %.0f (%s)", json_num(it, "via_rule_id"), json_text(it, "via_condition"));
			printf("\n");
		}
		if (*json_text(it, "input") && full)
			print_input(json_text(it, "input"));
		else if (*json_text(it, "input"))
			print_text("input:", json_text(it, "input"), 0);
		if (*json_text(it, "output"))
			print_text("output:", json_text(it, "output"), full);
		/* Ollama says "length", OpenAI-compatible servers "length" too. */
		if (!strcmp(json_text(it, "done_reason"), "length"))
			printf("   cut:    the answer reached its length limit (done_reason length: raise num_predict "
			       "or max_tokens)\n");
		if (*json_text(it, "error")) {
			char *error = text_one_line(json_text(it, "error"), full ? 100000 : 1000);
			printf("   error:  %s (%s)\n", error, json_text(it, "failure_class"));
			free(error);
		}
		print_branch(cJSON_GetObjectItem(it, "events"), full);
	}
	cJSON_Delete(rep);
	return E_OK;
}

CMD_DEFINE(trace, options,
	   "trace [--full] RUN | --posting ID [--workflow ID]",
	   "show the path a run took: each interaction with its step, actor, status, attempts, "
	   "duration, the rule that fired, prompt and output");
