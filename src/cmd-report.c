/* cmd-report.c: waverunner report: one self-contained HTML file showing a
 * workflow and its runs (counts on the graph, steps, why runs stopped, the
 * postings' results), or a run or a posting (the path taken on the graph, each
 * interaction's prompt and answer). The data comes from db-report.c and
 * db-graph.c, the graph from graph.c laid out by gv.c, the page from
 * report-html.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "db-defs.h"
#include "db-graph.h"
#include "db-report.h"
#include "err.h"
#include "graph.h"
#include "gv.h"
#include "json.h"
#include "report-html.h"
#include "util.h"
#include "workflow.h"

/* At most this many runs in a workflow's table (and paths). */
#define MAX_RUNS 5000

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* The SVG of g, its ids prefixed. */
static int draw(struct graph *g, const char *prefix, char **svg)
{
	char *dot = graph_to_dot(g, prefix);
	int rc = gv_svg(dot, svg);
	free(dot);
	return rc;
}

static long count_of(const cJSON *counts, const char *key, long id)
{
	const cJSON *c;
	cJSON_ArrayForEach(c, counts)
		if ((long)json_num(c, key) == id)
			return (long)json_num(c, "runs");
	return 0;
}

/* Runs per edge; START edges to where runs began. */
static void annotate_edges(struct graph *g, const cJSON *rules, const cJSON *starts)
{
	const cJSON *s;
	cJSON_ArrayForEach(s, starts)
		graph_start_edge(g, (long)json_num(s, "conversation_id"));
	for (size_t i = 0; i < g->nedges; i++) {
		struct graph_edge *e = &g->edges[i];
		e->count = e->rule ? count_of(rules, "rule", e->rule) : count_of(starts, "conversation_id", e->to);
	}
}

/* Per step: completed, failed and retried counts, time and tokens. */
static void annotate_steps(struct graph *g, const cJSON *steps)
{
	for (size_t i = 0; i < g->nnodes; i++) {
		struct graph_node *n = &g->nodes[i];
		if (n->id == GRAPH_START || n->id == GRAPH_END)
			continue;
		const cJSON *s, *found = NULL;
		cJSON_ArrayForEach(s, steps)
			if ((long)json_num(s, "conversation_id") == n->id)
				found = s;
		if (!found) {
			n->note = xstrdup("not reached");
			continue;
		}
		struct buf b = BUF_INIT;
		buf_printf(&b, "✓ %.0f  ✗ %.0f  ↻ %.0f", json_num(found, "completed"), json_num(found, "failed"),
			   json_num(found, "retries"));
		const cJSON *avg = cJSON_GetObjectItem(found, "avg_duration_ms");
		if (cJSON_IsNumber(avg))
			buf_printf(&b, avg->valuedouble < 1000 ? "  ⌀ %.0f ms" : "  ⌀ %.1f s",
				   avg->valuedouble < 1000 ? avg->valuedouble : avg->valuedouble / 1000);
		double tok = json_num(found, "prompt_tokens") + json_num(found, "output_tokens");
		if (tok > 0)
			buf_printf(&b, tok < 10000 ? "  %.0f tok" : "  %.0fk tok", tok < 10000 ? tok : tok / 1000);
		n->note = buf_detach(&b);
		n->trouble = json_num(found, "failed") > 0 || json_num(found, "no_rule_matched") > 0;
	}
}

static int workflow_page(struct cmd_ctx *ctx, long id, char **html)
{
	cJSON *status = NULL, *runs = NULL, *paths = NULL, *stops = NULL, *rules = NULL, *starts = NULL;
	char *svg = NULL;
	struct graph g;
	int rc = cmd_read_graph(ctx, id, &g);
	if (rc)
		return rc;
	if ((rc = db_report_status(ctx->db, id, &status)) || (rc = db_graph_runs(ctx->db, id, MAX_RUNS, &runs)) ||
	    (rc = db_graph_paths(ctx->db, id, MAX_RUNS, &paths)) || (rc = db_graph_stops(ctx->db, id, &stops)) ||
	    (rc = db_graph_rule_counts(ctx->db, id, 0, &rules)) || (rc = db_graph_start_counts(ctx->db, id, 0, &starts)))
		goto out;
	const cJSON *w = cJSON_GetArrayItem(cJSON_GetObjectItem(status, "workflows"), 0);
	annotate_edges(&g, rules, starts);
	annotate_steps(&g, cJSON_GetObjectItem(w, "steps"));
	if ((rc = draw(&g, "w", &svg)))
		goto out;
	/* The rules for the script: RULE -> [from, to or null]. */
	cJSON *map = cJSON_CreateObject();
	for (size_t i = 0; i < g.nedges; i++) {
		if (!g.edges[i].rule)
			continue;
		char key[32];
		snprintf(key, sizeof key, "%ld", g.edges[i].rule);
		cJSON *pair = cJSON_AddArrayToObject(map, key);
		cJSON_AddItemToArray(pair, cJSON_CreateNumber((double)g.edges[i].from));
		cJSON_AddItemToArray(pair, g.edges[i].to == GRAPH_END ? cJSON_CreateNull()
								      : cJSON_CreateNumber((double)g.edges[i].to));
	}
	const cJSON *counts = cJSON_GetObjectItem(w, "runs");
	struct report_workflow page = {
		.status = w,
		.runs = runs,
		.paths = paths,
		.stops = stops,
		.rules = map,
		.runs_total = (long)(json_num(counts, "running") + json_num(counts, "completed") + json_num(counts, "failed")),
		.svg = svg,
		.db_name = base_name(ctx->db_path),
	};
	*html = report_html_workflow(&page);
	cJSON_Delete(map);
out:
	graph_release(&g);
	free(svg);
	cJSON_Delete(status);
	cJSON_Delete(runs);
	cJSON_Delete(paths);
	cJSON_Delete(stops);
	cJSON_Delete(rules);
	cJSON_Delete(starts);
	return rc;
}

static void add_num(cJSON *o, const char *key, const cJSON *from, const char *fkey)
{
	const cJSON *v = cJSON_GetObjectItem(from, fkey);
	if (!cJSON_IsNumber(v))
		return;
	cJSON *have = cJSON_GetObjectItem(o, key);
	if (cJSON_IsNumber(have))
		cJSON_SetNumberValue(have, have->valuedouble + v->valuedouble);
	else
		cJSON_ReplaceItemInObject(o, key, cJSON_CreateNumber(v->valuedouble));
}

/* {"models": [...]}: a run's model usage, per model and backend, from its trace
 * (as db_report_run counts it, without a query over every run). */
static cJSON *run_usage(const cJSON *trace)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *models = cJSON_AddArrayToObject(root, "models");
	const cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(trace, "interactions")) {
		if (!*json_text(it, "model"))
			continue;
		cJSON *m, *found = NULL;
		cJSON_ArrayForEach(m, models)
			if (!strcmp(json_text(m, "model"), json_text(it, "model")) &&
			    !strcmp(json_text(m, "backend"), json_text(it, "backend")))
				found = m;
		if (!found) {
			found = cJSON_CreateObject();
			cJSON_AddStringToObject(found, "model", json_text(it, "model"));
			cJSON_AddStringToObject(found, "backend", json_text(it, "backend"));
			cJSON_AddNumberToObject(found, "calls", 0);
			cJSON_AddNullToObject(found, "prompt_tokens");
			cJSON_AddNullToObject(found, "output_tokens");
			cJSON_AddNullToObject(found, "duration_ms");
			cJSON_AddItemToArray(models, found);
		}
		cJSON *calls = cJSON_GetObjectItem(found, "calls");
		cJSON_SetNumberValue(calls, calls->valuedouble + 1);
		add_num(found, "prompt_tokens", it, "prompt_tokens");
		add_num(found, "output_tokens", it, "output_tokens");
		add_num(found, "duration_ms", it, "duration_ms");
	}
	return root;
}

/* One run: its trace, usage, and its workflow's graph with the path it took. */
static int load_run(struct cmd_ctx *ctx, long run, long workflow, struct report_run *r)
{
	memset(r, 0, sizeof *r);
	int rc = db_report_trace(ctx->db, run, &r->trace);
	if (rc)
		return rc;
	long wf_id = (long)json_num(cJSON_GetObjectItem(r->trace, "run"), "workflow_id");
	if (workflow && wf_id != workflow)
		return err_set(E_INPUT, "run %ld is a run of workflow %ld, not of %ld", run, wf_id, workflow);
	r->detail = run_usage(r->trace);
	struct graph g;
	if ((rc = cmd_read_graph(ctx, wf_id, &g)))
		return rc;
	cJSON *rules = NULL, *starts = NULL;
	if ((rc = db_graph_rule_counts(ctx->db, wf_id, run, &rules)) ||
	    (rc = db_graph_start_counts(ctx->db, wf_id, run, &starts)))
		goto out;
	const cJSON *x;
	cJSON_ArrayForEach(x, starts)
		graph_start_edge(&g, (long)json_num(x, "conversation_id"))->highlight = 1;
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(r->trace, "interactions")) {
		struct graph_node *n = graph_node(&g, (long)json_num(x, "conversation_id"));
		if (n)
			n->highlight = 1;
	}
	cJSON_ArrayForEach(x, rules) {
		struct graph_edge *e = graph_rule_edge(&g, (long)json_num(x, "rule"));
		if (!e)
			continue;
		e->highlight = 1;
		for (size_t i = 0; e->to == GRAPH_END && i < g.nnodes; i++)
			if (g.nodes[i].id == GRAPH_END && g.nodes[i].end_of == e->from)
				g.nodes[i].highlight = 1;
	}
	if (cJSON_GetArraySize(starts))
		graph_node(&g, GRAPH_START)->highlight = 1;
	char prefix[32];
	snprintf(prefix, sizeof prefix, "r%ld", run);
	rc = draw(&g, prefix, &r->svg);
out:
	cJSON_Delete(rules);
	cJSON_Delete(starts);
	graph_release(&g);
	return rc;
}

static void release_runs(struct report_run *runs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		cJSON_Delete(runs[i].trace);
		cJSON_Delete(runs[i].detail);
		free(runs[i].svg);
	}
	free(runs);
}

static int runs_page(struct cmd_ctx *ctx, long workflow, long run, long posting_id, char **html)
{
	long *ids = NULL;
	size_t n = 0;
	cJSON *posting = NULL;
	int rc;
	if (run) {
		ids = xmalloc(sizeof *ids);
		ids[n++] = run;
	} else {
		if ((rc = db_graph_posting(ctx->db, posting_id, &posting)) ||
		    (rc = db_graph_posting_runs(ctx->db, posting_id, workflow, &ids, &n)))
			goto out;
		if (!n) {
			rc = workflow ? err_set(E_INPUT, "posting %ld has no runs of workflow %ld", posting_id, workflow)
				      : err_set(E_INPUT, "posting %ld has no runs", posting_id);
			goto out;
		}
	}
	struct report_run *runs = xcalloc(n, sizeof *runs);
	for (size_t i = 0; i < n; i++)
		if ((rc = load_run(ctx, ids[i], workflow, &runs[i]))) {
			release_runs(runs, n);
			goto out;
		}
	const cJSON *first = cJSON_GetObjectItem(runs[0].trace, "run");
	if (run && !cJSON_IsNull(cJSON_GetObjectItem(first, "posting_id")) &&
	    (rc = db_graph_posting(ctx->db, (long)json_num(first, "posting_id"), &posting))) {
		release_runs(runs, n);
		goto out;
	}
	char *title = run ? xasprintf("run %ld of workflow %.0f: %s", run, json_num(first, "workflow_id"),
				      json_text(first, "workflow_name"))
			  : xasprintf("posting %ld: %s", posting_id, json_text(posting, "title"));
	*html = report_html_runs(title, posting, runs, n, base_name(ctx->db_path));
	free(title);
	release_runs(runs, n);
out:
	free(ids);
	cJSON_Delete(posting);
	return rc;
}

static const struct cmd_option options[] = {
	{ "workflow", 'w', "ID",
	  "the workflow (default: the only one, or the only one with runs); with\n"
	  "--posting, only its runs" },
	{ "run", 'r', "ID", "a page of this run" },
	{ "posting", 'p', "ID", "a page of this posting: its results and each of its runs" },
	{ "output", 'o', "FILE", "the HTML file to write (required)" },
	{ 0 },
};

static int cmd_report(struct cmd_ctx *ctx, int argc, char **argv)
{
	long workflow = 0, run = 0, posting = 0;
	const char *output = NULL;
	const struct cmd_arg args[] = {
		{ 'w', .id = &workflow }, { 'r', .id = &run }, { 'p', .id = &posting }, { 'o', .text = &output }, { 0 },
	};
	int rc;
	if (cmd_parse_args(ctx, argc, argv, args, 1, &rc) < 0)
		return rc;
	if (!output || !*output)
		return cmd_usage_error(ctx, "say where to write the page: -o FILE.html");
	if (run && posting)
		return cmd_usage_error(ctx, "--run and --posting exclude each other");
	char *html_unused;
	if (!gv_available())
		return gv_svg("", &html_unused);
	if ((rc = cmd_open_db(ctx, 0)))
		return rc;
	char *html = NULL;
	if (run || posting)
		rc = runs_page(ctx, workflow, run, posting, &html);
	else if (!(rc = cmd_pick_workflow(ctx, &workflow, 1)))
		rc = workflow_page(ctx, workflow, &html);
	if (rc)
		return rc;
	size_t len = strlen(html);
	if (write_file_atomic(output, html, len) < 0)
		rc = err_set(E_INPUT, "%s: %s", output, strerror(errno));
	free(html);
	if (rc)
		return rc;
	if (ctx->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "file", output);
		cJSON_AddNumberToObject(o, "bytes", (double)len);
		json_emit(o);
	} else {
		printf("wrote %s (%zu KB): open it in a browser\n", output, (len + 1023) / 1024);
	}
	return E_OK;
}

CMD_DEFINE(report, options,
	   "report [--workflow ID] [--run ID | --posting ID] -o FILE.html",
	   "write one self-contained HTML page: a workflow's graph with the runs' counts, steps, failures and "
	   "results, or the path a run or posting took with each prompt and answer");
