/* cmd-run.c: waverunner run: execute ready interactions until nothing is ready. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cmd.h"
#include "db-report.h"
#include "db-runs.h"
#include "engine.h"
#include "err.h"
#include "json.h"
#include "llm.h"
#include "util.h"

static int parse_count(struct cmd_ctx *ctx, const char *opt, const char *arg, int *out)
{
	long v;
	if (parse_long(arg, &v) < 0 || v < 1 || v > 100000)
		return cmd_usage_error(ctx, "%s needs a number from 1 to 100000, not '%s'", opt, arg);
	*out = (int)v;
	return E_OK;
}

/* A duration option ("5s", "10m"); example is shown when it is not one. */
static int parse_duration(struct cmd_ctx *ctx, const char *opt, const char *example, const char *arg, int64_t *ms)
{
	if (parse_duration_ms(arg, ms) < 0)
		return cmd_usage_error(ctx, "%s needs a duration such as %s, not '%s'", opt, example, arg);
	return E_OK;
}

enum { OPT_STRICT = CMD_OPT_LONG_ONLY + 1 };

static const struct cmd_option options[] = {
	{ "workflow", 'w', "ID", "only runs of this workflow" },
	{ "run", 'r', "ID", "only this run" },
	{ "max-interactions", 'n', "N", "stop after starting N interactions" },
	{ "llm", 'l', "MODE",
	  "where model calls go: replay (recorded answers only), cache (the\n"
	  "recorded answer of an identical request, else a live call,\n"
	  "recorded), record (every call live, recorded), ollama or openai;\n"
	  "default: each actor's live backend" },
	{ "backend", 'B', "B",
	  "the live backend of every actor: ollama or openai (default: the\n"
	  "actor's config \"backend\", else openai when only\n"
	  "OPENAI_BASE_URL is set, else ollama)" },
	{ "replay-dir", 'R', "DIR",
	  "recorded responses (default $WAVERUNNER_REPLAY_DIR, else\n"
	  "fixtures/replay)" },
	{ "parallel", 'j', "N", "interactions in flight at once (default 32)" },
	{ "per-model", 'm', "N",
	  "requests in flight per model (default: its server's limit;\n"
	  "an actor's config \"parallel\" overrides)" },
	{ "per-server", 'P', "N",
	  "requests in flight per model server (default: learned: the\n"
	  "slots it reports, else measured; see Scheduling)" },
	{ "loaded-models", 'L', "N",
	  "different models one server gets requests for at a time\n"
	  "(default: as many as it lists loaded at once in /api/ps,\n"
	  "else 1: it switches models only when the loaded one has\n"
	  "no work left)" },
	{ "order", 'o', "ORDER",
	  "model: requests for the model a server has loaded go first\n"
	  "(default); fifo: oldest run first, whatever the model" },
	{ "scripts", 'S', "N", "scripts running at once (default 4)" },
	{ "max-answer", 'A', "SIZE",
	  "the largest answer a model may give (default 16M); a larger\n"
	  "one fails its step as answer_too_large, not retried" },
	{ "grace", 'g', "DURATION", "after Ctrl-C, how long work in flight may finish (default 5s)" },
	{ "patience", 'T', "DURATION",
	  "how long a model server that is down is waited for, probing\n"
	  "it, before run gives up on it and exits 5 (default 10m)" },
	{ "retry-failed", 'F', NULL,
	  "first put interactions that failed for a transient reason\n"
	  "(connection, timeout, rate_limit, server_error, lease_expired)\n"
	  "back to pending in place, with fresh attempts" },
	{ "quiet", 'q', NULL, "no progress line on a terminal" },
	{ "strict", OPT_STRICT, NULL, "exit 1 when a run failed (for scripts and CI)" },
	{ 0 },
};

/* What run did: interactions, attempts, runs by state, what waits. */
static void print_summary(const struct cmd_ctx *ctx, const struct engine_stats *st, const struct run_counts *c)
{
	double secs = (double)st->elapsed_ms / 1000.0;
	long ended = st->adv.completed + st->adv.failed; /* interactions that ended for good */
	double rate = secs > 0 ? (double)ended / secs : 0;
	char rate_text[32];
	snprintf(rate_text, sizeof rate_text, rate >= 10 || rate == 0 ? "%.0f" : "%.2g", rate);
	if (ctx->json) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddNumberToObject(j, "interactions", (double)ended);
		cJSON_AddNumberToObject(j, "attempts", (double)st->finished);
		cJSON_AddNumberToObject(j, "completed", (double)st->adv.completed);
		cJSON_AddNumberToObject(j, "failed", (double)st->adv.failed);
		cJSON_AddNumberToObject(j, "retried", (double)st->adv.retried);
		cJSON_AddNumberToObject(j, "created", (double)st->adv.created);
		cJSON_AddNumberToObject(j, "leases_recovered", (double)st->recovered);
		cJSON_AddNumberToObject(j, "discarded", (double)st->discarded);
		cJSON_AddNumberToObject(j, "resumed", (double)st->resumed);
		cJSON_AddNumberToObject(j, "released", (double)st->released);
		cJSON_AddNumberToObject(j, "elapsed_ms", (double)st->elapsed_ms);
		struct rusage ru;
		if (getrusage(RUSAGE_SELF, &ru) == 0)
			cJSON_AddNumberToObject(j, "max_rss_kb", (double)ru.ru_maxrss);
		cJSON_AddBoolToObject(j, "interrupted", st->interrupted);
		cJSON *runs = cJSON_AddObjectToObject(j, "runs");
		cJSON_AddNumberToObject(runs, "completed", (double)c->completed);
		cJSON_AddNumberToObject(runs, "failed", (double)c->failed);
		cJSON_AddNumberToObject(runs, "running", (double)c->running);
		cJSON_AddNumberToObject(j, "retry_waiting", (double)c->retry_waiting);
		json_emit(j);
	} else {
		if (st->resumed)
			printf("resumed %ld failed interaction%s in place (--retry-failed)\n", st->resumed,
			       st->resumed == 1 ? "" : "s");
		if (st->recovered)
			printf("took back %ld interaction%s from a process that had stopped\n", st->recovered,
			       st->recovered == 1 ? "" : "s");
		printf("ran %ld interaction%s in %.2f s (%s/s): %ld completed, %ld failed (%ld attempt%s, %ld retried)\n",
		       ended, ended == 1 ? "" : "s", secs, rate_text, st->adv.completed, st->adv.failed, st->finished,
		       st->finished == 1 ? "" : "s", st->adv.retried);
		printf("runs: %ld completed, %ld failed, %ld running\n", c->completed, c->failed,
		       c->running);
		if (c->retry_waiting)
			printf("%ld interaction%s wait%s to be retried (waverunner status says why); run again to go on\n",
			       c->retry_waiting, c->retry_waiting == 1 ? "" : "s",
			       c->retry_waiting == 1 ? "s" : "");
		if (st->discarded)
			printf("discarded %ld attempt%s that ended after another process had taken its lease\n",
			       st->discarded, st->discarded == 1 ? "" : "s");
		if (st->released)
			printf("gave back %ld interaction%s whose model server failed, no attempt spent\n", st->released,
			       st->released == 1 ? "" : "s");
		if (st->interrupted)
			printf("interrupted: what was not finished is pending; run again to go on\n");
	}
}

static int cmd_run(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct engine_opts o;
	engine_opts_default(&o);
	int quiet = 0, strict = 0, rc = E_OK, c;
	long max = 0;
	while ((c = cmd_getopts(ctx, argc, argv, &rc)) > 0 && !rc) {
		switch (c) {
		case 'w': rc = cmd_parse_id(ctx, "--workflow", optarg, &o.scope.workflow_id); break;
		case 'r': rc = cmd_parse_id(ctx, "--run", optarg, &o.scope.run_id); break;
		case 'n': rc = cmd_parse_id(ctx, "--max-interactions", optarg, &max); break;
		case 'l': {
			int m = llm_mode_parse(optarg);
			if (m < 0)
				rc = cmd_usage_error(ctx, "--llm is replay, cache, record, ollama or openai, not '%s'", optarg);
			else
				o.llm = (enum llm_mode)m;
			break;
		}
		case 'R': o.replay_dir = optarg; break;
		case 'B':
			if (!strcmp(optarg, "ollama") || !strcmp(optarg, "openai"))
				o.live = !strcmp(optarg, "openai") ? LLM_OPENAI : LLM_OLLAMA;
			else
				rc = cmd_usage_error(ctx, "--backend is ollama or openai, not '%s'", optarg);
			break;
		case 'j': rc = parse_count(ctx, "--parallel", optarg, &o.parallel); break;
		case 'm': rc = parse_count(ctx, "--per-model", optarg, &o.per_model); break;
		case 'S': rc = parse_count(ctx, "--scripts", optarg, &o.scripts); break;
		case 'P': rc = parse_count(ctx, "--per-server", optarg, &o.per_server); break;
		case 'L': rc = parse_count(ctx, "--loaded-models", optarg, &o.loaded_models); break;
		case 'o':
			if (!strcmp(optarg, "model") || !strcmp(optarg, "fifo"))
				o.fifo = !strcmp(optarg, "fifo");
			else
				rc = cmd_usage_error(ctx, "--order is model or fifo, not '%s'", optarg);
			break;
		case 'g': rc = parse_duration(ctx, "--grace", "5s", optarg, &o.grace_ms); break;
		case 'A':
			if (parse_size(optarg, &o.max_answer) < 0)
				rc = cmd_usage_error(ctx, "--max-answer needs a size such as 16M, not '%s'", optarg);
			break;
		case 'T': rc = parse_duration(ctx, "--patience", "10m", optarg, &o.patience_ms); break;
		case 'F': o.retry_failed = 1; break;
		case 'q': quiet = 1; break;
		case OPT_STRICT: strict = 1; break;
		}
	}
	if (c < 0 || rc)
		return rc;
	if (optind < argc)
		return cmd_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
	if (o.scope.workflow_id && o.scope.run_id)
		return cmd_usage_error(ctx, "give --workflow or --run, not both");
	o.max_interactions = max;
	o.progress = !quiet && !ctx->json && isatty(2);
	if ((rc = engine_opts_env(&o)) || (rc = cmd_open_db(ctx, 0)) || (rc = db_scope_check(ctx->db, &o.scope)))
		return rc;
	struct engine_stats st;
	rc = engine_run(ctx->db, &o, &st);
	/* E_REMOTE: a server given up on; the summary still says what was done. */
	if (rc && rc != E_INTERRUPT && rc != E_REMOTE)
		return rc;
	struct run_counts rc_counts;
	int rc2 = db_report_run_counts(ctx->db, &o.scope, &rc_counts);
	if (rc2)
		return rc2;
	print_summary(ctx, &st, &rc_counts);
	/* --strict: for scripts and CI, a run that failed here fails the command. */
	if (!rc && strict && st.adv.runs_failed) {
		warn("%ld run%s failed (--strict)", st.adv.runs_failed, st.adv.runs_failed == 1 ? "" : "s");
		rc = E_FAIL;
	}
	return rc;
}

const struct cmd_entry cmd_run_entry = {
	.name = "run",
	.usage = "run [--workflow ID | --run ID] [--max-interactions N] [--llm MODE] [--backend B] [--replay-dir DIR] "
		 "[--parallel N] [--per-model N] [--per-server N] [--loaded-models N] [--order model|fifo] "
		 "[--scripts N] [--max-answer SIZE] [--grace DURATION] [--patience DURATION] [--retry-failed] "
		 "[--quiet] [--strict]",
	.summary = "execute ready interactions until nothing is ready, then print a summary",
	.opts = options,
	.run = cmd_run,
};
