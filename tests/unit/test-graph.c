/* Unit tests of graph.c: a workflow as nodes and edges, and its DOT and
 * Mermaid text (escaping included). */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "graph.h"
#include "tap.h"
#include "util.h"
#include "workflow.h"

/* A fetch that fans out, a step with a quote, a backslash and markup in its
 * name, two rules that fire together (fan-out), a fan-in, a bounded loop, an
 * END rule and a terminal step. Written out of order. */
static const char WF[] =
	"{\"workflow_id\": 7, \"name\": \"t \\\"7\\\"\","
	" \"actors\": [{\"actor_id\": 1, \"name\": \"m\", \"type\": \"ai_model\"},"
	"  {\"actor_id\": 2, \"name\": \"fetcher\", \"type\": \"builtin\", \"config\": {\"builtin\": \"fetch_jobs\"}}],"
	" \"conversations\": ["
	"  {\"conversation_id\": 30, \"name\": \"grade\", \"actor\": \"m\", \"order\": 30, \"instruction\": {\"template\": \"x\"},"
	"   \"rules\": [{\"id\": 301, \"condition\": \"[FAIL]\", \"next\": 20, \"priority\": 20, \"max_iterations\": 2},"
	"             {\"id\": 302, \"condition\": \"contains:\\\"a|b\\\" #1 <x>\", \"next\": null, \"priority\": 10},"
	"             {\"id\": 303, \"condition\": \"*\", \"next\": 40, \"priority\": 5},"
	"             {\"id\": 304, \"condition\": \"*\", \"next\": 41, \"priority\": 5}]},"
	"  {\"conversation_id\": 10, \"name\": \"fetch\", \"actor\": \"fetcher\", \"order\": 10, \"instruction\": {\"template\": \"{}\"},"
	"   \"rules\": [{\"id\": 101, \"condition\": \"success\", \"next\": 20, \"priority\": 1}]},"
	"  {\"conversation_id\": 20, \"name\": \"say \\\"hi\\\" \\\\ <script>\", \"actor\": \"m\", \"order\": 20,"
	"   \"instruction\": {\"template\": \"x\"}, \"rules\": [{\"id\": 201, \"condition\": \"*\", \"next\": 30, \"priority\": 1}]},"
	"  {\"conversation_id\": 40, \"name\": \"a\", \"actor\": \"m\", \"order\": 40, \"parallel_group\": 1,"
	"   \"instruction\": {\"template\": \"x\"}, \"rules\": [{\"id\": 401, \"condition\": \"*\", \"next\": 50}]},"
	"  {\"conversation_id\": 41, \"name\": \"b\", \"actor\": \"m\", \"order\": 41, \"parallel_group\": 1,"
	"   \"instruction\": {\"template\": \"x\"}, \"rules\": [{\"id\": 411, \"condition\": \"*\", \"next\": 50}]},"
	"  {\"conversation_id\": 50, \"name\": \"join\", \"actor\": \"m\", \"order\": 50, \"parallel_group\": 1,"
	"   \"wait_for_group\": true, \"terminal\": true, \"instruction\": {\"template\": \"x\"}}"
	" ]}";

static int contains(const char *hay, const char *needle)
{
	return hay && strstr(hay, needle) != NULL;
}

int main(void)
{
	cJSON *root = cJSON_Parse(WF);
	struct workflow wf;
	int rc = root ? workflow_from_json(root, "t.json", &wf) : E_INPUT;
	cJSON_Delete(root);
	if (!ok(rc == E_OK, "the test workflow parses (%s)", err_msg()))
		return 1;
	struct graph g;
	graph_from_workflow(&wf, &g);
	workflow_release(&wf);

	/* Nodes: START, 6 steps in order, one END (for step 30). */
	is_int(g.nnodes, 8, "START, six steps and one END node");
	ok(g.nodes[0].id == GRAPH_START, "START comes first");
	ok(g.nodes[1].id == 10 && g.nodes[2].id == 20 && g.nodes[3].id == 30 && g.nodes[6].id == 50,
	   "steps in execution order, not file order");
	struct graph_node *n = graph_node(&g, 10);
	ok(n && n->fans_out && !strcmp(n->actor_type, "builtin"), "the fetch fans out");
	n = graph_node(&g, 50);
	ok(n && n->wait_for_group && n->group == 1 && n->terminal, "the join is a terminal fan-in of group 1");
	ok(graph_node(&g, GRAPH_END) && graph_node(&g, GRAPH_END)->end_of == 30, "the END node belongs to step 30");

	/* Edges: START to the fetch and to the first step that works on a posting. */
	int starts = 0;
	for (size_t i = 0; i < g.nedges; i++)
		if (g.edges[i].from == GRAPH_START)
			starts += g.edges[i].to == 10 || g.edges[i].to == 20 ? 1 : 100;
	is_int(starts, 2, "START leads to the fetch and to the posting entry (20)");
	struct graph_edge *e = graph_rule_edge(&g, 301);
	ok(e && e->from == 30 && e->to == 20 && e->back && e->max_iterations == 2, "rule 301 loops back to 20, at most twice");
	e = graph_rule_edge(&g, 302);
	ok(e && e->to == GRAPH_END && !e->back, "rule 302 ends the path");
	ok(graph_rule_edge(&g, 303)->fan_out && graph_rule_edge(&g, 304)->fan_out, "303 and 304 fire together");
	ok(!graph_rule_edge(&g, 301)->fan_out && !graph_rule_edge(&g, 201)->fan_out, "other rules do not");

	char *dot = graph_to_dot(&g, "w");
	ok(contains(dot, "label=\"say \\\"hi\\\" \\\\ <script>\\n20 · m\""), "DOT: quotes and backslashes escaped in labels");
	ok(contains(dot, "s30 -> s20 [id=\"w-r301\""), "DOT: the loop edge, with its SVG id");
	ok(contains(dot, "loop: at most 2×"), "DOT: the loop bound");
	ok(contains(dot, "s30 -> end30 [id=\"w-r302\", class=\"rule\", label=\"contains:\\\"a|b\\\" #1 <x>  (prio 10)\""),
	   "DOT: the END rule with its condition and priority, escaped");
	ok(contains(dot, "fan-out: one run per posting") && contains(dot, "fan-in: waits for group 1"),
	   "DOT: fan-out and fan-in named");
	ok(contains(dot, "digraph \"workflow_7\"") && contains(dot, "workflow 7: t \\\"7\\\""), "DOT: the title escaped");
	free(dot);

	char *mm = graph_to_mermaid(&g);
	ok(contains(mm, "flowchart TD\n"), "Mermaid: a flowchart");
	ok(contains(mm, "s20[\"say #quot;hi#quot; \\ #lt;script#gt;<br/>20 · m\"]"), "Mermaid: quotes and markup as entities");
	ok(contains(mm, "s30 -->|\"contains:#quot;a#124;b#quot; #35;1 #lt;x#gt;  (prio 10)\"| x30"),
	   "Mermaid: the END edge, its label escaped (| and # too)");
	ok(contains(mm, "s30 -.->|\"[FAIL]  (prio 20)<br/>loop: at most 2×\"| s20"), "Mermaid: the loop, dotted");
	ok(contains(mm, "s10[[\"fetch<br/>10 · fetcher<br/>fan-out: one run per posting\"]]"), "Mermaid: the fan-out step");
	ok(!contains(mm, " end") && !contains(mm, "end\n"), "Mermaid: no node named end (a keyword)");
	free(mm);

	/* Annotations. */
	graph_node(&g, 20)->highlight = 1;
	graph_rule_edge(&g, 201)->highlight = 1;
	graph_rule_edge(&g, 201)->count = 3;
	graph_node(&g, 30)->note = xstrdup("✓ 3");
	graph_start_edge(&g, 30)->count = 1;
	dot = graph_to_dot(&g, "r9");
	ok(contains(dot, "[id=\"r9-s20\", class=\"step hl\""), "DOT: a highlighted step has the class hl");
	ok(contains(dot, "[id=\"r9-r201\", class=\"rule hl\", label=\"*  (prio 1)\\n3 runs\""), "DOT: an edge with its count");
	ok(contains(dot, "start -> s30 [id=\"r9-start30\""), "DOT: a START edge added where runs began");
	ok(contains(dot, "\\n✓ 3\""), "DOT: a step's note");
	free(dot);
	graph_release(&g);
	return done_testing();
}
