/* cmd-graph.c: waverunner graph: a workflow as Graphviz DOT or Mermaid text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "db-defs.h"
#include "err.h"
#include "graph.h"
#include "json.h"
#include "util.h"
#include "workflow.h"

static cJSON *graph_json(const struct graph *g)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddNumberToObject(root, "workflow_id", (double)g->workflow_id);
	cJSON_AddStringToObject(root, "name", g->name);
	cJSON *nodes = cJSON_AddArrayToObject(root, "steps");
	for (size_t i = 0; i < g->nnodes; i++) {
		const struct graph_node *n = &g->nodes[i];
		if (n->id == GRAPH_START || n->id == GRAPH_END)
			continue;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "conversation_id", (double)n->id);
		cJSON_AddStringToObject(o, "name", n->name);
		cJSON_AddStringToObject(o, "actor", n->actor);
		cJSON_AddStringToObject(o, "actor_type", n->actor_type);
		cJSON_AddNumberToObject(o, "order", n->order);
		cJSON_AddBoolToObject(o, "terminal", n->terminal);
		cJSON_AddBoolToObject(o, "fans_out", n->fans_out);
		cJSON_AddNumberToObject(o, "parallel_group", n->group);
		cJSON_AddBoolToObject(o, "wait_for_group", n->wait_for_group);
		cJSON_AddBoolToObject(o, "enabled", n->enabled);
		cJSON_AddItemToArray(nodes, o);
	}
	cJSON *edges = cJSON_AddArrayToObject(root, "rules");
	cJSON *starts = cJSON_AddArrayToObject(root, "starts");
	for (size_t i = 0; i < g->nedges; i++) {
		const struct graph_edge *e = &g->edges[i];
		if (!e->rule) {
			cJSON_AddItemToArray(starts, cJSON_CreateNumber((double)e->to));
			continue;
		}
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "rule", (double)e->rule);
		cJSON_AddNumberToObject(o, "from", (double)e->from);
		if (e->to == GRAPH_END)
			cJSON_AddNullToObject(o, "to");
		else
			cJSON_AddNumberToObject(o, "to", (double)e->to);
		cJSON_AddStringToObject(o, "condition", e->condition);
		cJSON_AddNumberToObject(o, "priority", e->priority);
		if (e->max_iterations)
			cJSON_AddNumberToObject(o, "max_iterations", e->max_iterations);
		else
			cJSON_AddNullToObject(o, "max_iterations");
		cJSON_AddBoolToObject(o, "loop", e->back);
		cJSON_AddBoolToObject(o, "fan_out", e->fan_out);
		cJSON_AddBoolToObject(o, "enabled", e->enabled);
		cJSON_AddItemToArray(edges, o);
	}
	return root;
}

static const struct cmd_option options[] = {
	{ "workflow", 'w', "ID", "the workflow (default: the only one stored)" },
	{ "format", 'f', "FMT", "dot (default; render with Graphviz's dot) or mermaid" },
	{ 0 },
};

static int cmd_graph(struct cmd_ctx *ctx, int argc, char **argv)
{
	long id = 0;
	const char *format = "dot";
	const struct cmd_arg args[] = { { 'w', .id = &id }, { 'f', .text = &format }, { 0 } };
	int rc;
	if (cmd_parse_args(ctx, argc, argv, args, 1, &rc) < 0)
		return rc;
	if (strcmp(format, "dot") && strcmp(format, "mermaid"))
		return cmd_usage_error(ctx, "--format is dot or mermaid, not '%s'", format);
	if ((rc = cmd_open_db(ctx, 0)) || (rc = cmd_pick_workflow(ctx, &id, 0)))
		return rc;
	struct graph g;
	if ((rc = cmd_read_graph(ctx, id, &g)))
		return rc;
	if (ctx->json) {
		json_emit(graph_json(&g));
	} else {
		char *text = !strcmp(format, "dot") ? graph_to_dot(&g, "w") : graph_to_mermaid(&g);
		fputs(text, stdout);
		free(text);
	}
	graph_release(&g);
	return E_OK;
}

CMD_DEFINE(graph, options,
	   "graph [--workflow ID] [--format dot|mermaid]",
	   "write a workflow's graph (steps, actors, rules with conditions and priorities, loop bounds, "
	   "fan-out, fan-in, END) as Graphviz DOT or Mermaid");
