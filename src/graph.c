/* graph.c: a workflow as a graph to draw, and its DOT and Mermaid text (graph.h). */
#include "graph.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "validate.h"

static struct graph_node *add_node(struct graph *g, long id)
{
	g->nodes = xreallocarray(g->nodes, g->nnodes + 1, sizeof *g->nodes);
	struct graph_node *n = &g->nodes[g->nnodes++];
	memset(n, 0, sizeof *n);
	n->id = id;
	n->enabled = 1;
	return n;
}

static struct graph_edge *add_edge(struct graph *g, long from, long to, long rule)
{
	g->edges = xreallocarray(g->edges, g->nedges + 1, sizeof *g->edges);
	struct graph_edge *e = &g->edges[g->nedges++];
	memset(e, 0, sizeof *e);
	e->from = from;
	e->to = to;
	e->rule = rule;
	e->enabled = 1;
	e->count = -1;
	return e;
}

static void add_step(struct graph *g, const struct workflow *wf, const struct wf_conv *c)
{
	struct graph_node *n = add_node(g, c->id);
	const struct wf_actor *a = workflow_actor(wf, c->actor);
	n->name = xstrdup(c->name ? c->name : "");
	n->actor = xstrdup(c->actor ? c->actor : "");
	n->actor_type = xstrdup(a && a->type ? a->type : "");
	n->kind = a ? a->kind : ACTOR_UNKNOWN;
	n->order = c->order;
	n->terminal = c->terminal;
	n->fans_out = workflow_step_is_global(wf, c);
	n->group = c->parallel_group;
	n->wait_for_group = c->wait_for_group;
	n->enabled = c->enabled;
}

/* Rules of c that fire together with rule k: same priority and condition,
 * another target (3001's extract step starts both graders this way). */
static int fires_with_others(const struct wf_conv *c, size_t k)
{
	const struct wf_rule *r = &c->rules[k];
	for (size_t i = 0; i < c->nrules; i++)
		if (i != k && c->rules[i].enabled && c->rules[i].priority == r->priority && c->rules[i].next != r->next &&
		    !strcmp(c->rules[i].condition ? c->rules[i].condition : "", r->condition ? r->condition : ""))
			return 1;
	return 0;
}

static int order_of(const struct workflow *wf, long id)
{
	const struct wf_conv *c = workflow_conv(wf, id);
	return c ? c->order : 0;
}

void graph_from_workflow(const struct workflow *wf, struct graph *g)
{
	memset(g, 0, sizeof *g);
	g->workflow_id = wf->id;
	g->name = xstrdup(wf->name ? wf->name : "");
	struct graph_node *s = add_node(g, GRAPH_START);
	s->name = xstrdup("START");
	/* Steps in execution order (wf may be unsorted). */
	size_t *idx = xcalloc(wf->nconvs ? wf->nconvs : 1, sizeof *idx);
	for (size_t i = 0; i < wf->nconvs; i++) {
		size_t j = i;
		for (; j > 0 && (wf->convs[idx[j - 1]].order > wf->convs[i].order ||
				 (wf->convs[idx[j - 1]].order == wf->convs[i].order &&
				  wf->convs[idx[j - 1]].id > wf->convs[i].id)); j--)
			idx[j] = idx[j - 1];
		idx[j] = i;
	}
	for (size_t i = 0; i < wf->nconvs; i++)
		add_step(g, wf, &wf->convs[idx[i]]);
	const struct wf_conv *first = NULL, *entry = NULL;
	for (size_t i = 0; i < wf->nconvs; i++) {
		const struct wf_conv *c = &wf->convs[idx[i]];
		if (!c->enabled)
			continue;
		if (!first)
			first = c;
		if (!entry && !workflow_step_is_global(wf, c))
			entry = c;
	}
	if (first)
		add_edge(g, GRAPH_START, first->id, 0);
	if (entry && entry != first)
		add_edge(g, GRAPH_START, entry->id, 0);
	for (size_t i = 0; i < wf->nconvs; i++) {
		const struct wf_conv *c = &wf->convs[idx[i]];
		int has_end = 0;
		for (size_t k = 0; k < c->nrules; k++) {
			const struct wf_rule *r = &c->rules[k];
			struct graph_edge *e = add_edge(g, c->id, r->next ? r->next : GRAPH_END, r->id);
			e->condition = xstrdup(r->condition ? r->condition : "");
			e->priority = r->priority;
			e->max_iterations = r->max_iterations;
			e->enabled = r->enabled && c->enabled;
			e->back = r->next && order_of(wf, r->next) <= c->order;
			e->fan_out = r->enabled && fires_with_others(c, k);
			has_end |= !r->next;
		}
		if (has_end) {
			struct graph_node *n = add_node(g, GRAPH_END);
			n->end_of = c->id;
			n->name = xstrdup("END");
		}
	}
	free(idx);
}

void graph_release(struct graph *g)
{
	for (size_t i = 0; i < g->nnodes; i++) {
		free(g->nodes[i].name);
		free(g->nodes[i].actor);
		free(g->nodes[i].actor_type);
		free(g->nodes[i].note);
	}
	for (size_t i = 0; i < g->nedges; i++)
		free(g->edges[i].condition);
	free(g->nodes);
	free(g->edges);
	free(g->name);
	memset(g, 0, sizeof *g);
}

struct graph_node *graph_node(struct graph *g, long id)
{
	for (size_t i = 0; i < g->nnodes; i++)
		if (g->nodes[i].id == id)
			return &g->nodes[i];
	return NULL;
}

struct graph_edge *graph_rule_edge(struct graph *g, long rule)
{
	for (size_t i = 0; rule && i < g->nedges; i++)
		if (g->edges[i].rule == rule)
			return &g->edges[i];
	return NULL;
}

struct graph_edge *graph_start_edge(struct graph *g, long id)
{
	for (size_t i = 0; i < g->nedges; i++)
		if (g->edges[i].from == GRAPH_START && g->edges[i].to == id)
			return &g->edges[i];
	return add_edge(g, GRAPH_START, id, 0);
}

/* Control characters and line breaks in names become spaces. */
static int is_ctl(char c)
{
	return (unsigned char)c < 0x20 || c == 0x7f;
}

void graph_dot_escape(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(b, '\\');
		buf_putc(b, is_ctl(*s) ? ' ' : *s);
	}
}

void graph_mermaid_escape(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '"': buf_puts(b, "#quot;"); break;
		case '#': buf_puts(b, "#35;"); break;
		case '<': buf_puts(b, "#lt;"); break;
		case '>': buf_puts(b, "#gt;"); break;
		case '&': buf_puts(b, "#amp;"); break;
		case '|': buf_puts(b, "#124;"); break;
		case '`': buf_puts(b, "#96;"); break;
		default: buf_putc(b, is_ctl(*s) ? ' ' : *s);
		}
	}
}

typedef void (*escape_fn)(struct buf *, const char *);

/* The lines of a step's label, joined by sep, each escaped. */
static void node_label(struct buf *b, const struct graph_node *n, const char *sep, escape_fn esc)
{
	esc(b, n->name);
	buf_puts(b, sep);
	char *s = xasprintf("%ld · %s", n->id, n->actor);
	esc(b, s);
	free(s);
	if (n->fans_out) {
		buf_puts(b, sep);
		esc(b, "fan-out: one run per posting");
	}
	if (n->wait_for_group) {
		buf_puts(b, sep);
		s = xasprintf("fan-in: waits for group %d", n->group);
		esc(b, s);
		free(s);
	} else if (n->group) {
		buf_puts(b, sep);
		s = xasprintf("group %d", n->group);
		esc(b, s);
		free(s);
	}
	if (n->terminal) {
		buf_puts(b, sep);
		esc(b, "terminal");
	}
	if (!n->enabled) {
		buf_puts(b, sep);
		esc(b, "disabled");
	}
	if (n->note) {
		buf_puts(b, sep);
		esc(b, n->note);
	}
}

static void edge_label(struct buf *b, const struct graph_edge *e, const char *sep, escape_fn esc)
{
	char *s;
	if (e->condition) {
		s = xasprintf("%s  (prio %d)%s", e->condition, e->priority, e->fan_out ? "  fan-out" : "");
		esc(b, s);
		free(s);
		if (e->max_iterations) {
			buf_puts(b, sep);
			s = xasprintf("loop: at most %d×", e->max_iterations);
			esc(b, s);
			free(s);
		}
		if (!e->enabled) {
			buf_puts(b, sep);
			esc(b, "disabled");
		}
	}
	if (e->count >= 0) {
		if (e->condition)
			buf_puts(b, sep);
		s = xasprintf("%ld run%s", e->count, e->count == 1 ? "" : "s");
		esc(b, s);
		free(s);
	}
}

/* A node's DOT name and SVG id suffix: start, sID, endID. */
static void node_key(struct buf *b, long id, long from)
{
	if (id == GRAPH_START)
		buf_puts(b, "start");
	else if (id == GRAPH_END)
		buf_printf(b, "end%ld", from);
	else
		buf_printf(b, "s%ld", id);
}

static const char *fill_of(const struct graph_node *n)
{
	if (n->highlight)
		return "#ffe0b2";
	switch (n->kind) {
	case ACTOR_AI_MODEL:
		return "#e8f0fe";
	case ACTOR_BUILTIN:
		return "#e6f4ea";
	case ACTOR_SCRIPT:
		return "#fef7e0";
	default:
		return "#f1f3f4";
	}
}

static void dot_node(struct buf *b, const struct graph_node *n, const char *prefix)
{
	buf_puts(b, "  ");
	node_key(b, n->id, n->end_of);
	buf_printf(b, " [id=\"%s-", prefix);
	node_key(b, n->id, n->end_of);
	if (n->id == GRAPH_START || n->id == GRAPH_END) {
		buf_printf(b, "\", class=\"%s%s\", label=\"%s\", shape=%s, style=filled, fillcolor=\"%s\", "
			   "fontcolor=\"%s\", fontsize=9, width=0.5, height=0.3, margin=\"0.04,0.02\"];\n",
			   n->id == GRAPH_START ? "start" : "end", n->highlight ? " hl" : "", n->name,
			   n->id == GRAPH_START ? "circle" : "box", n->highlight ? "#e65100" : "#5f6368", "white");
		return;
	}
	buf_printf(b, "\", class=\"step%s%s\", label=\"", n->highlight ? " hl" : "", n->trouble ? " trouble" : "");
	node_label(b, n, "\\n", graph_dot_escape);
	buf_printf(b, "\", fillcolor=\"%s\"", fill_of(n));
	if (n->highlight)
		buf_puts(b, ", color=\"#e65100\", penwidth=2.5");
	else if (n->trouble)
		buf_puts(b, ", color=\"#c5221f\", penwidth=2");
	if (n->terminal)
		buf_puts(b, ", peripheries=2");
	if (!n->enabled)
		buf_puts(b, ", style=\"rounded,filled,dashed\", fontcolor=\"#80868b\"");
	if (n->fans_out)
		buf_puts(b, ", shape=box3d, style=filled");
	buf_puts(b, "];\n");
}

static void dot_edge(struct buf *b, const struct graph_edge *e, const char *prefix)
{
	buf_puts(b, "  ");
	node_key(b, e->from, 0);
	buf_puts(b, " -> ");
	node_key(b, e->to, e->from);
	if (e->rule)
		buf_printf(b, " [id=\"%s-r%ld\"", prefix, e->rule);
	else
		buf_printf(b, " [id=\"%s-start%ld\"", prefix, e->to);
	buf_printf(b, ", class=\"rule%s\", label=\"", e->highlight ? " hl" : "");
	edge_label(b, e, "\\n", graph_dot_escape);
	buf_puts(b, "\"");
	if (e->highlight)
		buf_puts(b, ", color=\"#e65100\", fontcolor=\"#bf360c\", penwidth=2.5");
	else if (e->count == 0)
		buf_puts(b, ", color=\"#c0c4c9\", fontcolor=\"#9aa0a6\"");
	if (e->back)
		buf_puts(b, ", style=dashed, constraint=false");
	if (!e->enabled)
		buf_puts(b, ", style=dotted");
	buf_puts(b, "];\n");
}

char *graph_to_dot(const struct graph *g, const char *prefix)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "digraph \"workflow_%ld\" {\n", g->workflow_id);
	buf_puts(&b, "  graph [label=\"");
	char *title = xasprintf("workflow %ld: %s", g->workflow_id, g->name);
	graph_dot_escape(&b, title);
	free(title);
	buf_puts(&b, "\", labelloc=t, fontsize=14, fontname=\"Helvetica,Arial,sans-serif\", "
		     "rankdir=TB, nodesep=0.35, ranksep=0.45, bgcolor=\"transparent\", pad=0.2];\n"
		     "  node [shape=box, style=\"rounded,filled\", color=\"#5f6368\", fontname=\"Helvetica,Arial,sans-serif\", "
		     "fontsize=10, margin=\"0.12,0.05\"];\n"
		     "  edge [color=\"#5f6368\", fontname=\"Helvetica,Arial,sans-serif\", fontsize=8, fontcolor=\"#3c4043\", "
		     "arrowsize=0.7];\n");
	for (size_t i = 0; i < g->nnodes; i++)
		dot_node(&b, &g->nodes[i], prefix);
	for (size_t i = 0; i < g->nedges; i++)
		dot_edge(&b, &g->edges[i], prefix);
	buf_puts(&b, "}\n");
	return buf_detach(&b);
}

static void mermaid_key(struct buf *b, long id, long from)
{
	/* "end" is a Mermaid keyword: the ids are n_start, sID, xID. */
	if (id == GRAPH_START)
		buf_puts(b, "n_start");
	else if (id == GRAPH_END)
		buf_printf(b, "x%ld", from);
	else
		buf_printf(b, "s%ld", id);
}

char *graph_to_mermaid(const struct graph *g)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "flowchart TD\n  %% workflow ");
	char *title = xasprintf("%ld: %s", g->workflow_id, g->name);
	graph_mermaid_escape(&b, title);
	free(title);
	buf_puts(&b, "\n");
	for (size_t i = 0; i < g->nnodes; i++) {
		const struct graph_node *n = &g->nodes[i];
		buf_puts(&b, "  ");
		mermaid_key(&b, n->id, n->end_of);
		if (n->id == GRAPH_START || n->id == GRAPH_END) {
			buf_printf(&b, "((\"%s\"))\n", n->name);
			continue;
		}
		buf_puts(&b, n->fans_out ? "[[\"" : "[\"");
		node_label(&b, n, "<br/>", graph_mermaid_escape);
		buf_puts(&b, n->fans_out ? "\"]]" : "\"]");
		const char *cls = n->highlight ? "hl" : !n->enabled ? "off" : n->terminal ? "terminal" : n->actor_type;
		if (*cls)
			buf_printf(&b, ":::%s", cls);
		buf_puts(&b, "\n");
	}
	for (size_t i = 0; i < g->nedges; i++) {
		const struct graph_edge *e = &g->edges[i];
		buf_puts(&b, "  ");
		mermaid_key(&b, e->from, 0);
		buf_puts(&b, e->back ? " -.->" : " -->");
		struct buf l = BUF_INIT;
		edge_label(&l, e, "<br/>", graph_mermaid_escape);
		if (l.len)
			buf_printf(&b, "|\"%s\"|", buf_str(&l));
		buf_release(&l);
		buf_puts(&b, " ");
		mermaid_key(&b, e->to, e->from);
		buf_puts(&b, "\n");
	}
	buf_puts(&b, "  classDef ai_model fill:#e8f0fe,stroke:#5f6368\n"
		     "  classDef builtin fill:#e6f4ea,stroke:#5f6368\n"
		     "  classDef script fill:#fef7e0,stroke:#5f6368\n"
		     "  classDef terminal fill:#f1f3f4,stroke:#5f6368,stroke-width:3px\n"
		     "  classDef off fill:#ffffff,stroke:#9aa0a6,stroke-dasharray:4\n"
		     "  classDef hl fill:#ffe0b2,stroke:#e65100,stroke-width:3px\n");
	return buf_detach(&b);
}
