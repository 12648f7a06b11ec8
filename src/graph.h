/* graph.h: a workflow as a graph to draw: its steps (with their actors, fan-out,
 * groups and fan-in, terminal steps), its rules as edges (condition, priority,
 * loop bound, END), and where runs start; written as Graphviz DOT or Mermaid.
 * Pure: no database, no Graphviz. The report annotates a graph (counts, a
 * highlighted path) before writing it; gv.c lays the DOT text out. */
#ifndef graph_h
#define graph_h

#include <stddef.h>

#include "workflow.h"

enum { GRAPH_START = 0, GRAPH_END = -1 }; /* the pseudo-steps' ids */

struct graph_node {
	long id;            /* conversation id, or GRAPH_START / GRAPH_END */
	long end_of;        /* GRAPH_END: the step whose END rules lead here */
	char *name;
	char *actor;
	char *actor_type;   /* ai_model | script | builtin | "" when unknown */
	enum actor_kind kind; /* actor_type, parsed */
	int order;
	int terminal;       /* ends its path by design */
	int fans_out;       /* starts one run per posting it lists (a fetch) */
	int group;          /* parallel_group, 0 = none */
	int wait_for_group; /* fan-in */
	int enabled;
	/* Annotations (the report); the plain graph leaves them empty. */
	char *note;         /* an extra label line, or NULL */
	int highlight;
	int trouble;        /* drawn as a step with failures */
};

struct graph_edge {
	long from, to;      /* node ids; to may be GRAPH_END (then end_of = from) */
	long rule;          /* instruction_step_id; 0 for an edge from START */
	char *condition;    /* NULL for START edges */
	int priority;
	int max_iterations; /* 0 = no bound */
	int back;           /* goes back to an earlier (or the same) step: a loop */
	int fan_out;        /* fires together with other rules of its step */
	int enabled;
	long count;         /* annotation: runs that took it; -1 = not shown */
	int highlight;
};

struct graph {
	long workflow_id;
	char *name;
	struct graph_node *nodes;
	size_t nnodes;
	struct graph_edge *edges;
	size_t nedges;
};

/* Builds g from wf (which it does not keep). Steps in execution order; a START
 * node with an edge to the first step, and to the first step that works on a
 * posting when that is another; one END node per step that has END rules. */
void graph_from_workflow(const struct workflow *wf, struct graph *g);
void graph_release(struct graph *g);

/* Lookups; NULL when absent. */
struct graph_node *graph_node(struct graph *g, long id);
struct graph_edge *graph_rule_edge(struct graph *g, long rule);
/* The START edge to step id, added (count -1) if the graph has none. */
struct graph_edge *graph_start_edge(struct graph *g, long id);

/* DOT text (caller frees). prefix starts every SVG id ("w", "r12"): a node is
 * PREFIX-sID (PREFIX-start, PREFIX-endID), an edge PREFIX-rRULE (PREFIX-startID);
 * each has the SVG class "step" or "rule", plus "hl" when highlighted. */
char *graph_to_dot(const struct graph *g, const char *prefix);
/* Mermaid flowchart text (caller frees). */
char *graph_to_mermaid(const struct graph *g);

/* Text escaped for a quoted DOT string / a quoted Mermaid label, into b. */
struct buf;
void graph_dot_escape(struct buf *b, const char *s);
void graph_mermaid_escape(struct buf *b, const char *s);

#endif
