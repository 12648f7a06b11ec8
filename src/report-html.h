/* report-html.h: writing the self-contained HTML pages of `report`: one file,
 * inline styles, script and SVG, nothing fetched. Everything taken from the
 * database is escaped here. */
#ifndef report_html_h
#define report_html_h

#include <cJSON.h>

/* What the page of a workflow shows. */
struct report_workflow {
	const cJSON *status;  /* db_report_status's workflow object (runs, steps, models) */
	const cJSON *runs;    /* db_graph_runs */
	const cJSON *paths;   /* db_graph_paths */
	const cJSON *stops;   /* db_graph_stops */
	const cJSON *rules;   /* {"RULE": [from, to or null]} for the script */
	long runs_total;      /* how many runs the workflow has (runs may hold fewer) */
	const char *svg;      /* the graph, inline SVG, ids prefixed "w" */
	const char *db_name;
};

/* One run of a run or posting page. */
struct report_run {
	cJSON *trace;         /* db_report_trace */
	cJSON *detail;        /* {"models": usage per model, as db_report_run has it} */
	char *svg;            /* its workflow's graph with its path highlighted */
};

/* New strings (caller frees). */
char *report_html_workflow(const struct report_workflow *w);
/* The page of runs (of one posting, or one run): posting is db_graph_posting,
 * or NULL for a run without one. */
char *report_html_runs(const char *title, const cJSON *posting, const struct report_run *runs, size_t n,
		       const char *db_name);

#endif
