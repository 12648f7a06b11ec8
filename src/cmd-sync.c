/* cmd-sync.c: waverunner sync pull | push | setup | status: exchange
 * postings, workflow definitions and results with PostgreSQL (turing), and
 * share it between instances through claims. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "claims.h"
#include "cmd.h"
#include "db-sync.h"
#include "db.h"
#include "err.h"
#include "json.h"
#include "pg.h"
#include "sync.h"
#include "util.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	cmd_signal_again(&stop, "sync: interrupted again: exiting now; nothing uncommitted was marked pushed\n");
	/* A statement waiting on the server ends now, not when the server answers. */
	pg_cancel_running();
}

struct sync_args {
	const char *conninfo;
	struct pull_opts pull;
	long *ids;
	size_t nids;
	long *workflows;
	size_t nworkflows;
	struct push_opts push;
	int64_t every_ms;
	long claim;               /* pull --claim N */
	int64_t lease_ms;         /* pull --lease */
	int pull_only, push_only; /* options given, to refuse them on the other subcommand */
	int select_only;          /* a posting option --claim cannot go with */
	int lease_given;
};

static int add_ids(struct cmd_ctx *ctx, const char *opt, const char *arg, long **ids, size_t *n)
{
	char *copy = xstrdup(arg), *save = NULL;
	int rc = E_OK;
	for (char *tok = strtok_r(copy, ", ", &save); tok && !rc; tok = strtok_r(NULL, ", ", &save)) {
		long id;
		if ((rc = cmd_parse_id(ctx, opt, tok, &id)))
			break;
		*ids = xreallocarray(*ids, *n + 1, sizeof **ids);
		(*ids)[(*n)++] = id;
	}
	free(copy);
	return rc;
}

static const char *count_word(long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static long num(const cJSON *o, const char *key)
{
	return (long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static void print_pull(const cJSON *report)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(report, "postings");
	const cJSON *it;
	if (p) {
		const char *mode = json_str(p, "mode");
		const cJSON *after = cJSON_GetObjectItemCaseSensitive(p, "after");
		long fetched = num(p, "fetched");
		printf("postings from PostgreSQL at %s", json_str(report, "server"));
		if (!strcmp(mode, "incremental")) {
			const char *at = json_str(after, "updated_at");
			printf(", changed since the last pull (after updated_at %s, posting %ld)", at ? at : "empty",
			       num(after, "posting_id"));
		}
		printf(": %ld fetched (%ld new, %ld updated, %ld unchanged)\n", fetched, num(p, "new"),
		       num(p, "updated"), num(p, "unchanged"));
		const char *absent = json_str(p, "columns_absent");
		if (absent)
			warn("PostgreSQL's postings table has no %s: left empty here", absent);
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(p, "failed"))
			warn("posting %ld not stored: %s", num(it, "posting_id"), json_str(it, "message"));
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(p, "not_found"))
			warn("posting %ld is not in PostgreSQL", (long)cJSON_GetNumberValue(it));
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(p, "results_waiting"))
			warn("posting %ld changed in PostgreSQL while its results wait to be pushed: they are not pushed "
			     "until it runs again (or push --force)", (long)cJSON_GetNumberValue(it));
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(report, "workflows")) {
		long id = num(it, "workflow_id");
		const cJSON *n;
		if (json_str(it, "error")) {
			note("workflow %ld: %s", id, json_str(it, "error"));
			continue;
		}
		printf("workflow %ld '%s': %ld conversations, %ld rules, stored\n", id, json_str(it, "name"),
		       num(it, "conversations"), num(it, "rules"));
		cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(it, "mapped"))
			printf("  %s\n", n->valuestring);
		cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(it, "problems"))
			warn("workflow %ld: %s", id, n->valuestring);
		cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(it, "findings")) {
			if (!strcmp(json_str(n, "severity"), "error"))
				note("workflow %ld: error: %s", id, json_str(n, "message"));
			else
				warn("workflow %ld: %s", id, json_str(n, "message"));
		}
		long errors = num(it, "errors"), warnings = num(it, "warnings");
		printf("workflow %ld: validate: %ld %s, %ld %s\n", id, errors, count_word(errors, "error", "errors"),
		       warnings, count_word(warnings, "warning", "warnings"));
	}
}

/* A value as the dry run shows it: short, on one line. */
static char *shown_value(const cJSON *v)
{
	if (cJSON_IsString(v)) {
		char *s = utf8_shorten(v->valuestring, 60);
		int whole = !strcmp(s, v->valuestring) && !strpbrk(s, "\n\t");
		for (char *p = s; *p; p++)
			if (*p == '\n' || *p == '\t')
				*p = ' ';
		char *q = json_quote(s);
		char *out = whole ? xstrdup(q) : xasprintf("%s (%zu characters)", q, utf8_length(v->valuestring));
		free(q);
		free(s);
		return out;
	}
	if (cJSON_IsNull(v))
		return xstrdup("NULL");
	char *j = json_print(v);
	char *s = utf8_shorten(j, 80);
	free(j);
	return s;
}

static void print_push(const cJSON *report, long round)
{
	const cJSON *it;
	int dry = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(report, "dry_run"));
	if (!round)
		printf("%s to PostgreSQL at %s\n", dry ? "dry run of a push (nothing is changed)" : "push",
		       json_str(report, "server"));
	if (round <= 1) {
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(report, "skipped_columns")) {
			const char *effect = json_str(it, "effect");
			printf("skipped column %s: %s%s%s\n", json_str(it, "column"), json_str(it, "reason"),
			       effect ? "; " : "", effect ? effect : "");
		}
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(report, "postings")) {
		long id = num(it, "posting_id");
		const char *result = json_str(it, "result");
		const char *msg = json_str(it, "message");
		if (dry && !strcmp(result, "would_push")) {
			printf("posting %ld would be sent:\n", id);
			const cJSON *v;
			cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(it, "values")) {
				char *s = !strcmp(v->string, "updated_at") ? xstrdup("now()") : shown_value(v);
				printf("  %-26s %s\n", v->string, s);
				free(s);
			}
		} else if (dry) {
			printf("posting %ld: %s: %s\n", id, result, msg ? msg : "");
		} else if (!strcmp(result, "conflict")) {
			warn("posting %ld: conflict: %s", id, msg);
		} else if (!strcmp(result, "rejected")) {
			warn("posting %ld: rejected by PostgreSQL: %s", id, msg);
		} else if (!strcmp(result, "missing")) {
			warn("posting %ld: %s", id, msg);
		}
	}
	const cJSON *lo = cJSON_GetObjectItemCaseSensitive(report, "not_pulled");
	if (cJSON_GetArraySize(lo) && round <= 1) {
		struct buf b = BUF_INIT;
		int k = 0;
		cJSON_ArrayForEach(it, lo)
			if (k++ < 10)
				buf_printf(&b, "%s%ld", b.len ? ", " : "", (long)cJSON_GetNumberValue(it));
		printf("not pushed: %d %s with results that did not come from PostgreSQL (%s%s); push only updates "
		       "postings a pull brought\n", k, count_word(k, "posting", "postings"), buf_str(&b),
		       k > 10 ? ", ..." : "");
		buf_release(&b);
	}
	if (dry) {
		long w = num(report, "would_push"), c = num(report, "conflicts"), m = num(report, "missing");
		printf("%ld %s would be pushed, %ld %s, %ld missing in PostgreSQL\n", w,
		       count_word(w, "posting", "postings"), c, count_word(c, "conflict", "conflicts"), m);
		return;
	}
	long p = num(report, "pushed"), u = num(report, "up_to_date"), c = num(report, "conflicts"),
	     r = num(report, "rejected"), m = num(report, "missing"), ns = num(report, "not_sent");
	if (round) {
		char now[32];
		iso_now(now);
		printf("round %ld at %s: ", round, now);
	}
	printf("pushed %ld %s", p, count_word(p, "posting", "postings"));
	if (u)
		printf(", %ld already up to date", u);
	printf(", %ld %s, %ld rejected", c, count_word(c, "conflict", "conflicts"), r);
	if (m)
		printf(", %ld missing in PostgreSQL", m);
	if (ns)
		printf(", %ld not sent", ns);
	printf("\n");
	const cJSON *cl = cJSON_GetObjectItemCaseSensitive(report, "claims");
	long cd = cl ? num(cl, "done") : 0, cf = cl ? num(cl, "failed") : 0, cg = cl ? num(cl, "lost") : 0;
	if (cd || cf || cg) {
		printf("claims ended: %ld done, %ld failed", cd, cf);
		if (cg)
			printf(", %ld no longer held", cg);
		printf("\n");
	}
}

static int run_setup(struct cmd_ctx *ctx, struct sync_args *a)
{
	struct pg *pg;
	int rc = pg_connect(a->conninfo, &pg);
	if (rc)
		return rc;
	cJSON *report = cJSON_CreateObject();
	rc = sync_setup(pg, report);
	pg_close(pg);
	if (!rc && !ctx->json)
		printf("claims ready in PostgreSQL at %s: table waverunner_claims, %ld %s queued\n",
		       json_str(report, "server"), num(report, "queued"), count_word(num(report, "queued"), "posting", "postings"));
	cmd_emit(ctx, report, !rc);
	return rc;
}

static int run_status(struct cmd_ctx *ctx, struct sync_args *a)
{
	struct pg *pg;
	int rc = pg_connect(a->conninfo, &pg);
	if (rc)
		return rc;
	cJSON *report = cJSON_CreateObject();
	rc = sync_claims_status(pg, report);
	char *instance = NULL;
	struct held_claim *held = NULL;
	size_t nheld = 0;
	if (!rc)
		rc = sync_instance(ctx->db, 0, &instance);
	if (!rc)
		rc = db_claims_held(ctx->db, pg_where(pg), &held, &nheld);
	pg_close(pg);
	if (rc) {
		cJSON_Delete(report);
		return rc;
	}
	if (instance)
		cJSON_AddStringToObject(report, "this_instance", instance);
	cJSON_AddNumberToObject(report, "held_here", (double)nheld);
	db_claims_free(held, nheld);
	if (ctx->json) {
		json_emit(report);
		free(instance);
		return E_OK;
	}
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(report, "postings"), *it;
	long total = num(p, "free") + num(p, "claimed") + num(p, "expired") + num(p, "done") + num(p, "failed") +
		     num(p, "skipped");
	printf("claims in PostgreSQL at %s\n", json_str(report, "server"));
	printf("postings: %ld queued: %ld free, %ld claimed, %ld expired claims, %ld done, %ld failed, %ld skipped\n",
	       total, num(p, "free"), num(p, "claimed"), num(p, "expired"), num(p, "done"), num(p, "failed"),
	       num(p, "skipped"));
	if (num(p, "not_queued"))
		printf("%ld newer postings not queued yet (the next claim queues them)\n", num(p, "not_queued"));
	const cJSON *inst = cJSON_GetObjectItemCaseSensitive(report, "instances");
	if (cJSON_GetArraySize(inst)) {
		printf("%-28s %8s %8s %8s %8s  %s\n", "instance", "claimed", "expired", "done", "failed", "lease until");
		cJSON_ArrayForEach(it, inst) {
			const char *until = json_str(it, "lease_until");
			printf("%-28s %8ld %8ld %8ld %8ld  %s\n", json_str(it, "instance"), num(it, "claimed"),
			       num(it, "expired"), num(it, "done"), num(it, "failed"),
			       num(it, "claimed") + num(it, "expired") ? (until ? until : "") : "-");
		}
	}
	if (instance)
		printf("this database is instance %s and holds %ld %s\n", instance, num(report, "held_here"),
		       count_word(num(report, "held_here"), "claim", "claims"));
	free(instance);
	cJSON_Delete(report);
	return E_OK;
}

/* The closing message of a pull that ran into problems: what they were. */
static void pull_failure(const cJSON *report)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(report, "postings"), *it;
	struct buf b = BUF_INIT;
	int failed = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "failed"));
	int absent = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "not_found"));
	if (failed)
		buf_printf(&b, "%d %s not stored", failed, count_word(failed, "posting", "postings"));
	if (absent)
		buf_printf(&b, "%s%d %s not in PostgreSQL", b.len ? "; " : "", absent,
			   count_word(absent, "posting", "postings"));
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(report, "workflows"))
		if (!json_str(it, "error") && (num(it, "errors") || cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(it, "problems"))))
			buf_printf(&b, "%sworkflow %ld is stored but cannot run as it is (waverunner validate --workflow "
				   "%ld lists why)", b.len ? "; " : "", num(it, "workflow_id"), num(it, "workflow_id"));
	err_set(E_FAIL, "%s", b.len ? buf_str(&b) : "problems (see above)");
	buf_release(&b);
}

/* 1 when the recorded error is a workflow's, which print_pull showed. */
static int printed_with_workflow(const cJSON *report)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(report, "workflows")) {
		const char *e = json_str(it, "error");
		if (e && !strcmp(e, err_msg()))
			return 1;
	}
	return 0;
}

static void print_claim(const cJSON *report)
{
	const cJSON *it, *claimed = cJSON_GetObjectItemCaseSensitive(report, "claimed");
	int n = cJSON_GetArraySize(claimed), taken = 0;
	struct buf ids = BUF_INIT, from = BUF_INIT;
	cJSON_ArrayForEach(it, claimed) {
		const char *was = json_str(it, "taken_from");
		buf_printf(&ids, "%s%ld", ids.len ? ", " : "", num(it, "posting_id"));
		if (was) {
			taken++;
			if (!strstr(buf_str(&from), was))
				buf_printf(&from, "%s%s", from.len ? ", " : "", was);
		}
	}
	printf("claimed %d %s in PostgreSQL at %s as instance %s", n, count_word(n, "posting", "postings"),
	       json_str(report, "server"), json_str(report, "instance"));
	if (n)
		printf(" until %s: %s", json_str(report, "lease_until"), buf_str(&ids));
	else
		printf(": none is free and no claim has expired");
	printf("\n");
	if (taken)
		printf("%d of them taken over from expired claims of %s\n", taken, buf_str(&from));
	buf_release(&ids);
	buf_release(&from);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(report, "dropped"))
		warn("posting %ld was claimed but could not be pulled: marked failed in PostgreSQL",
		     (long)cJSON_GetNumberValue(it));
}

static int run_claim(struct cmd_ctx *ctx, struct sync_args *a, struct pg *pg)
{
	char *instance;
	int rc = sync_instance(ctx->db, 1, &instance);
	if (rc)
		return rc;
	cJSON *report = cJSON_CreateObject();
	rc = sync_claim(ctx->db, pg, instance, a->claim, a->lease_ms, report);
	free(instance);
	cJSON *pulled = cJSON_DetachItemFromObject(report, "pull");
	if (!ctx->json) {
		if (cJSON_HasObjectItem(report, "claimed"))
			print_claim(report);
		if (pulled)
			print_pull(pulled);
	}
	if (rc == E_FAIL) {
		int dropped = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(report, "dropped"));
		err_set(E_FAIL, "%d claimed %s could not be pulled", dropped, count_word(dropped, "posting", "postings"));
	}
	if (pulled)
		cJSON_AddItemToObject(report, "postings", cJSON_DetachItemFromObject(pulled, "postings"));
	cJSON_Delete(pulled);
	if (!rc && a->nworkflows) {
		struct pull_opts wo = a->pull;
		wo.postings = 0;
		cJSON *wr = cJSON_CreateObject();
		rc = sync_pull(ctx->db, pg, &wo, wr);
		if (!ctx->json)
			print_pull(wr);
		if (rc == E_FAIL)
			pull_failure(wr);
		cJSON_AddItemToObject(report, "workflows", cJSON_DetachItemFromObject(wr, "workflows"));
		cJSON_Delete(wr);
	}
	cmd_emit(ctx, report, 1);
	return rc;
}

static int run_pull(struct cmd_ctx *ctx, struct sync_args *a)
{
	struct pg *pg;
	int rc = pg_connect(a->conninfo, &pg);
	if (rc)
		return rc;
	if (a->claim) {
		rc = run_claim(ctx, a, pg);
		pg_close(pg);
		return rc;
	}
	cJSON *report = cJSON_CreateObject();
	rc = sync_pull(ctx->db, pg, &a->pull, report);
	pg_close(pg);
	if (!ctx->json)
		print_pull(report);
	if (rc == E_FAIL)
		pull_failure(report);
	else if (rc && !ctx->json && printed_with_workflow(report))
		err_clear();
	cmd_emit(ctx, report, 1);
	return rc;
}

static int push_round(struct cmd_ctx *ctx, struct sync_args *a, long round)
{
	struct pg *pg;
	cJSON *report = cJSON_CreateObject();
	if (round)
		cJSON_AddNumberToObject(report, "round", (double)round);
	int rc = pg_connect(a->conninfo, &pg);
	if (!rc) {
		rc = sync_push(ctx->db, pg, &a->push, report);
		pg_close(pg);
	}
	int printed = cJSON_HasObjectItem(report, "postings");
	if (ctx->json) {
		if (rc && rc != E_FAIL)
			cJSON_AddStringToObject(report, "error", err_msg());
		json_emit(report);
	} else {
		if (printed)
			print_push(report, round);
		cJSON_Delete(report);
	}
	if (rc == E_FAIL)
		err_set(E_FAIL, "some results were not pushed (see above)");
	fflush(stdout);
	return rc;
}

static int run_push(struct cmd_ctx *ctx, struct sync_args *a)
{
	stop = 0;
	a->push.stop = &stop;
	cmd_catch_signals(on_signal);
	if (!a->every_ms) {
		int rc = push_round(ctx, a, 0);
		if (rc == E_INTERRUPT)
			note("interrupted: what was not committed in PostgreSQL is not marked pushed; the next push "
			     "sends it");
		return rc;
	}
	for (long round = 1;; round++) {
		int rc = push_round(ctx, a, round);
		if (rc == E_USAGE || rc == E_INPUT)
			return rc;
		/* The server may come back by the next round; say why this one failed. */
		if (rc && rc != E_INTERRUPT) {
			if (!ctx->json)
				err_print();
			fflush(stderr);
		}
		int64_t until = mono_ms() + a->every_ms;
		while (!stop && mono_ms() < until) {
			struct timespec ts = { 0, 100 * 1000000L };
			nanosleep(&ts, NULL);
		}
		if (stop) {
			err_clear();
			if (rc == E_INTERRUPT)
				note("interrupted: what was not committed in PostgreSQL is not marked pushed; the next "
				     "push sends it");
			return E_INTERRUPT;
		}
	}
}

enum { O_PG = CMD_OPT_LONG_ONLY + 1, O_IDS, O_SINCE, O_STATUS, O_LIMIT, O_FULL, O_WORKFLOWS, O_DRY, O_FORCE, O_BATCH,
       O_EVERY, O_CLAIM, O_LEASE };

static const struct cmd_option options[] = {
	{ "pg", O_PG, "CONNINFO",
	  "the PostgreSQL server: a libpq connection string or a postgresql://\n"
	  "URL (default $WAVERUNNER_PG, else libpq's PG* variables and\n"
	  ".pgpass; database turing unless one is named; connect_timeout 10 s)" },
	{ NULL, 0, NULL, "pull (postings: all; the next plain pull fetches only what changed since, by updated_at):" },
	{ "ids", O_IDS, "N[,N...]", "only these postings (repeatable)" },
	{ "since", O_SINCE, "TIME", "only postings with updated_at at or after TIME" },
	{ "status", O_STATUS, "S", "only postings with posting_status S" },
	{ "limit", O_LIMIT, "N", "at most N postings (a plain pull resumes after them next time)" },
	{ "full", O_FULL, NULL, "fetch every posting, not only what changed since the last pull" },
	{ "claim", O_CLAIM, "N",
	  "claim up to N postings no other instance holds (expired claims\n"
	  "first) and pull them (needs sync setup once)" },
	{ "lease", O_LEASE, "DURATION", "how long the claims last unless extended (default 30m)" },
	{ "workflows", O_WORKFLOWS, "ID[,ID...]",
	  "import these workflow definitions (then only postings if a posting\n"
	  "option is given too); ids may also follow the options" },
	{ NULL, 0, NULL, "push (the results that changed since the last push):" },
	{ "dry-run", O_DRY, NULL, "show what would be sent; change nothing" },
	{ "force", O_FORCE, NULL, "push over postings that changed in PostgreSQL since the pull" },
	{ "batch", O_BATCH, "N", "postings per PostgreSQL transaction (default 100)" },
	{ "every", O_EVERY, "DURATION", "push again every DURATION (30s, 5m) until interrupted" },
	{ NULL, 0, NULL, "setup: create the table waverunner_claims in turing (once; harmless again)" },
	{ NULL, 0, NULL, "status: postings by claim state, claims per instance, expired claims" },
	{ 0 },
};

/* One option of cmd_sync into a (c as cmd_getopts returns it). */
static int parse_option(struct cmd_ctx *ctx, struct sync_args *a, int c)
{
	int rc = E_OK;
	long v = 0;
	switch (c) {
	case O_PG: a->conninfo = optarg; break;
	case O_IDS: rc = add_ids(ctx, "--ids", optarg, &a->ids, &a->nids); a->pull_only = a->select_only = c; break;
	case O_SINCE: a->pull.since = optarg; a->pull_only = a->select_only = c; break;
	case O_STATUS: a->pull.status = optarg; a->pull_only = a->select_only = c; break;
	case O_CLAIM:
		if (parse_long(optarg, &v) < 0 || v < 1 || v > 100000)
			rc = cmd_usage_error(ctx, "--claim needs a number from 1 to 100000, not '%s'", optarg);
		a->claim = v;
		a->pull_only = c;
		break;
	case O_LEASE:
		if (parse_duration_ms(optarg, &a->lease_ms) < 0 || a->lease_ms < 1000 ||
		    a->lease_ms > 7LL * 24 * 3600 * 1000)
			rc = cmd_usage_error(ctx, "--lease needs a duration from 1s to 7d, such as 30s or 20m, "
					     "not '%s'", optarg);
		a->lease_given = a->pull_only = c;
		break;
	case O_LIMIT:
		if (parse_long(optarg, &v) < 0 || v < 1)
			rc = cmd_usage_error(ctx, "--limit needs a positive number, not '%s'", optarg);
		a->pull.limit = v;
		a->pull_only = a->select_only = c;
		break;
	case O_FULL: a->pull.full = 1; a->pull_only = a->select_only = c; break;
	case O_WORKFLOWS:
		rc = add_ids(ctx, "--workflows", optarg, &a->workflows, &a->nworkflows);
		a->pull_only = c;
		break;
	case O_DRY: a->push.dry_run = 1; a->push_only = c; break;
	case O_FORCE: a->push.force = 1; a->push_only = c; break;
	case O_BATCH:
		if (parse_long(optarg, &v) < 0 || v < 1 || v > 100000)
			rc = cmd_usage_error(ctx, "--batch needs a number from 1 to 100000, not '%s'", optarg);
		a->push.batch = v;
		a->push_only = c;
		break;
	case O_EVERY:
		if (parse_duration_ms(optarg, &a->every_ms) < 0 || a->every_ms < 1000)
			rc = cmd_usage_error(ctx, "--every needs a duration of at least 1s, such as 30s or 5m, "
					     "not '%s'", optarg);
		a->push_only = c;
		break;
	}
	return rc;
}

static int cmd_sync(struct cmd_ctx *ctx, int argc, char **argv)
{
	int rc = E_OK, c;
	if (argc < 2 || argv[1][0] == '-') {
		if (cmd_getopt(ctx, argc, argv, "", NULL, &rc) < 0)
			return rc;
		return cmd_usage_error(ctx, "name what to do: pull, push, setup or status");
	}
	const char *sub = argv[1];
	int pull = !strcmp(sub, "pull"), push = !strcmp(sub, "push");
	int setup = !strcmp(sub, "setup"), status = !strcmp(sub, "status");
	if (!pull && !push && !setup && !status)
		return cmd_usage_error(ctx, "unknown subcommand '%s' (pull, push, setup or status)", sub);
	struct sync_args a = { 0 };
	a.push.batch = 100;
	a.lease_ms = 30 * 60 * 1000;
	argc--;
	argv++;
	while ((c = cmd_getopts(ctx, argc, argv, &rc)) > 0 && !rc)
		rc = parse_option(ctx, &a, c);
	if (c < 0 || rc)
		goto out;
	/* More workflow ids may follow --workflows. */
	for (int i = optind; !rc && i < argc; i++) {
		if (!pull || !a.nworkflows) {
			rc = cmd_usage_error(ctx, "unexpected argument '%s'", argv[i]);
			break;
		}
		rc = add_ids(ctx, "--workflows", argv[i], &a.workflows, &a.nworkflows);
	}
	if (rc)
		goto out;
	if ((setup || status) && (a.push_only || a.pull_only)) {
		rc = cmd_usage_error(ctx, "sync %s takes no option but --pg", sub);
		goto out;
	}
	if (a.claim && a.select_only) {
		rc = cmd_usage_error(ctx, "--claim chooses the postings itself: not with --ids, --since, --status, "
				     "--limit or --full");
		goto out;
	}
	if (a.lease_given && !a.claim) {
		rc = cmd_usage_error(ctx, "--lease goes with --claim");
		goto out;
	}
	if (pull && a.push_only) {
		rc = cmd_usage_error(ctx, "--dry-run, --force, --batch and --every are options of sync push");
		goto out;
	}
	if (push && a.pull_only) {
		rc = cmd_usage_error(ctx, "--ids, --since, --status, --limit, --full, --workflows, --claim and --lease "
				     "are options of sync pull");
		goto out;
	}
	if (a.push.dry_run && a.every_ms) {
		rc = cmd_usage_error(ctx, "give --dry-run or --every, not both");
		goto out;
	}
	a.pull.ids = a.ids;
	a.pull.nids = a.nids;
	a.pull.workflows = a.workflows;
	a.pull.nworkflows = a.nworkflows;
	/* --workflows alone pulls only workflows; a posting option pulls postings too. */
	a.pull.postings = !a.nworkflows || a.nids || a.pull.since || a.pull.status || a.pull.limit || a.pull.full;
	if (!setup && (rc = cmd_open_db(ctx, 0)))
		goto out;
	rc = pull ? run_pull(ctx, &a) : push ? run_push(ctx, &a) : setup ? run_setup(ctx, &a) : run_status(ctx, &a);
out:
	free(a.ids);
	free(a.workflows);
	return rc;
}

CMD_DEFINE(sync, options,
	   "sync pull [--pg CONNINFO] [--ids N[,N...]] [--since TIME] [--status S] [--limit N] [--full] "
	   "[--claim N [--lease DURATION]] [--workflows ID[,ID...]...] | sync push [--pg CONNINFO] [--dry-run] "
	   "[--force] [--batch N] [--every DURATION] | sync setup [--pg CONNINFO] | sync status [--pg CONNINFO]",
	   "pull postings and workflow definitions from PostgreSQL (turing), push results back, share it "
	   "between machines through claims");
