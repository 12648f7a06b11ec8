/* report-html.c: the HTML pages of report (report-html.h). A page is one file:
 * its style, script and graph (SVG from Graphviz) are inline, a Content
 * Security Policy forbids every fetch, and every text from the database is
 * escaped (HTML text and attributes; JSON data with <, > and & as \u escapes). */
#include "report-html.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

static const char STYLE[] =
	"*{box-sizing:border-box}"
	"body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;"
	"color:#202124;background:#f8f9fa}"
	"header{background:#1a237e;color:#fff;padding:14px 24px}"
	"header h1{margin:0;font-size:20px;font-weight:600}"
	"header p{margin:4px 0 0;opacity:.85;font-size:13px}"
	"main{padding:16px 24px;max-width:1500px}"
	"section{background:#fff;border:1px solid #dadce0;border-radius:8px;padding:12px 16px;margin:0 0 16px}"
	"h2{font-size:16px;margin:0 0 10px}h3{font-size:14px;margin:12px 0 6px}"
	".cols{display:flex;gap:16px;align-items:flex-start;flex-wrap:wrap}"
	".cols>section,.cols>.side{flex:1 1 420px;min-width:0}"
	".graphbox{flex:0 1 auto;overflow:auto;max-height:88vh}"
	".graphbox svg{display:block;height:auto;max-width:100%}"
	".graphbox.wide svg{max-width:none}"
	"svg g.node.hl polygon,svg g.node.hl path{stroke:#e65100;stroke-width:2.5px}"
	"svg g.node.step.hl polygon,svg g.node.step.hl path{fill:#ffe0b2}"
	"svg g.node.start.hl ellipse,svg g.node.end.hl polygon{fill:#e65100;stroke:#e65100}"
	"svg g.edge.hl path,svg g.edge.hl polygon{stroke:#e65100;stroke-width:2.5px}"
	"svg g.edge.hl polygon{fill:#e65100}svg g.edge.hl text{fill:#bf360c;font-weight:bold}"
	"svg.sel g.node:not(.hl),svg.sel g.edge:not(.hl){opacity:.3}"
	"svg g.node{cursor:pointer}"
	"table{border-collapse:collapse;width:100%;font-size:13px}"
	"th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e8eaed;vertical-align:top}"
	"th{background:#f1f3f4;position:sticky;top:0;font-weight:600;white-space:nowrap}"
	"th.sort{cursor:pointer;user-select:none}th.sort:after{content:' \\2195';color:#9aa0a6}"
	"th.asc:after{content:' \\2191';color:#202124}th.desc:after{content:' \\2193';color:#202124}"
	"td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
	".tablebox{max-height:70vh;overflow:auto}"
	/* A fixed layout: the browser sizes the columns once, not from 1,000 rows. */
	"#runtable{table-layout:fixed}#runtable th{width:64px}#runtable th:nth-child(3){width:16%}"
	"#runtable th:nth-child(4){width:110px}#runtable th:nth-child(5){width:26%}#runtable th:nth-child(6){width:18%}"
	"#runtable th:nth-child(8){width:120px}#runtable td{overflow-wrap:anywhere}"
	"table.few tr.more{display:none}"
	"button{font:inherit;margin:8px 0 0;padding:4px 12px;border:1px solid #dadce0;border-radius:4px;"
	"background:#fff;cursor:pointer}"
	".completed{color:#137333}.failed{color:#c5221f;font-weight:600}.running,.pending,.waiting{color:#b06000}"
	".muted{color:#5f6368}.small{font-size:12px}"
	".badge{display:inline-block;padding:0 6px;border-radius:9px;background:#e8eaed;font-size:12px}"
	".badge.completed{background:#e6f4ea}.badge.failed{background:#fce8e6}"
	"a{color:#1a0dab;text-decoration:none}a:hover{text-decoration:underline}"
	"details.ix{border:1px solid #dadce0;border-radius:6px;margin:6px 0;background:#fff}"
	"details.ix>summary{cursor:pointer;padding:6px 10px;list-style-position:inside}"
	"details.ix[open]>summary{background:#f1f3f4;border-bottom:1px solid #dadce0}"
	"details.ix .body{padding:6px 12px 10px}"
	"details.ix.st-failed{border-color:#c5221f}details.summary>summary{cursor:pointer}"
	"pre{white-space:pre-wrap;word-break:break-word;background:#f8f9fa;border:1px solid #e8eaed;"
	"border-radius:4px;padding:8px;margin:4px 0 8px;max-height:420px;overflow:auto;font:12px/1.4 ui-monospace,"
	"'DejaVu Sans Mono',Menlo,Consolas,monospace}"
	"dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:4px 0}"
	"dl.kv dt{color:#5f6368}dl.kv dd{margin:0}"
	".legend span{display:inline-block;margin-right:14px}"
	".sw{display:inline-block;width:12px;height:12px;border:1px solid #5f6368;border-radius:3px;"
	"vertical-align:-2px;margin-right:4px}"
	"#runpanel:empty{display:none}"
	"ol.path{margin:4px 0;padding-left:22px}";

/* The runs table shows this many rows until asked for all: a browser lays
 * out a table of 1,000 rows in about a second, of 100 at once. */
#define SHOWN_ROWS 100
#define STR_(x) #x
#define STR(x) STR_(x)

/* The script: sortable tables; on a workflow page, the run named by the
 * address's #run-N highlighted on the graph with its path listed. */
static const char SCRIPT[] =
	"(function(){'use strict';var SHOWN=" STR(SHOWN_ROWS) ";"
	"function val(td){var v=td.getAttribute('data-v');if(v===null)v=td.textContent;"
	"var n=parseFloat(v);return v!==''&&!isNaN(n)&&isFinite(v)?n:v.toLowerCase();}"
	"document.querySelectorAll('table.sortable').forEach(function(t){"
	"t.querySelectorAll('th').forEach(function(th,i){th.classList.add('sort');"
	"th.addEventListener('click',function(){var asc=!th.classList.contains('asc');"
	"t.querySelectorAll('th').forEach(function(h){h.classList.remove('asc','desc');});"
	"th.classList.add(asc?'asc':'desc');var tb=t.tBodies[0];var rows=Array.prototype.slice.call(tb.rows);"
	"rows.sort(function(a,b){var x=val(a.cells[i]),y=val(b.cells[i]);"
	"if(typeof x!==typeof y){x=String(x);y=String(y);}return (x<y?-1:x>y?1:0)*(asc?1:-1);});"
	"rows.forEach(function(r,k){r.classList.toggle('more',k>=SHOWN);tb.appendChild(r);});});});});"
	"var more=document.getElementById('showall');"
	"if(more)more.addEventListener('click',function(){document.getElementById('runtable').classList.remove('few');"
	"more.remove();});"
	"var data=document.getElementById('paths');if(!data)return;"
	"var STATES={c:'completed',f:'failed',p:'pending',r:'running',w:'waiting'};"
	"var paths=JSON.parse(data.textContent);"
	"var rules=JSON.parse(document.getElementById('rules').textContent);"
	"var names=JSON.parse(document.getElementById('names').textContent);"
	"var svg=document.querySelector('#graph svg');var panel=document.getElementById('runpanel');"
	"function el(id){return document.getElementById(id);}"
	"function hl(id){var e=el(id);if(e)e.classList.add('hl');}"
	"function show(){var m=/^#run-(\\d+)$/.exec(location.hash);"
	"if(svg){svg.querySelectorAll('.hl').forEach(function(e){e.classList.remove('hl');});"
	"svg.classList.remove('sel');}panel.textContent='';"
	"if(!m||!paths[m[1]])return;var p=paths[m[1]];if(svg)svg.classList.add('sel');"
	"p.s.forEach(function(s){hl('w-s'+s[0]);});if(p.s.length){hl('w-start');hl('w-start'+p.s[0][0]);}"
	"p.r.forEach(function(r){hl('w-r'+r);var x=rules[r];if(x&&x[1]===null)hl('w-end'+x[0]);});"
	"var h=document.createElement('h2');h.textContent='Run '+m[1]+': the path it took';panel.appendChild(h);"
	"var ol=document.createElement('ol');ol.className='path';"
	"p.s.forEach(function(s){var li=document.createElement('li');li.setAttribute('data-conv',s[0]);"
	"var st=STATES[s[1]]||s[1];"
	"li.textContent=s[0]+' '+(names[s[0]]||'')+' \\u2014 '+st+(s[2]===null?'':', '+s[2]+' ms');"
	"if(st!=='completed')li.className=st;ol.appendChild(li);});panel.appendChild(ol);"
	"var q=document.createElement('p');q.className='muted small';"
	"q.textContent='Prompts and answers of this run: waverunner report --run '+m[1]+' -o run-'+m[1]+'.html';"
	"panel.appendChild(q);}"
	"window.addEventListener('hashchange',show);show();"
	"})();";

/* Text escaped for HTML text and quoted attributes. */
static void esc(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': buf_puts(b, "&amp;"); break;
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		case '\'': buf_puts(b, "&#39;"); break;
		default: buf_putc(b, *s);
		}
	}
}

static void esc_short(struct buf *b, const char *s, size_t max)
{
	char *t = utf8_shorten(s ? s : "", max);
	esc(b, t);
	free(t);
}

/* JSON for a <script type="application/json"> element: no <, > or & that
 * could end the element. */
static void json_data(struct buf *b, const char *id, const cJSON *v)
{
	char *text = json_print(v);
	buf_printf(b, "<script type=\"application/json\" id=\"%s\">", id);
	for (const char *p = text; *p; p++) {
		if (*p == '<')
			buf_puts(b, "\\u003c");
		else if (*p == '>')
			buf_puts(b, "\\u003e");
		else if (*p == '&')
			buf_puts(b, "\\u0026");
		else
			buf_putc(b, *p);
	}
	buf_puts(b, "</script>\n");
	free(text);
}

static int is_null(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);
	return !v || cJSON_IsNull(v);
}

/* A unit of a number as shown: values below `below` are shown divided by
 * div with fmt; the last unit of a list has below 0 (no bound). */
struct unit {
	double below, div;
	const char *fmt;
};

static void fmt_units(struct buf *b, double v, const struct unit *u)
{
	while (u->below > 0 && v >= u->below)
		u++;
	buf_printf(b, u->fmt, v / u->div);
}

static void fmt_ms(struct buf *b, double ms)
{
	static const struct unit units[] = { { 1000, 1, "%.0f ms" }, { 60000, 1000, "%.1f s" }, { 0, 60000, "%.1f min" } };
	fmt_units(b, ms, units);
}

static void fmt_count(struct buf *b, double n)
{
	static const struct unit units[] = { { 10000, 1, "%.0f" }, { 1e6, 1000, "%.1fk" }, { 0, 1e6, "%.1fM" } };
	fmt_units(b, n, units);
}

enum { AS_COUNT, AS_MS, AS_ID, AS_TEXT };

/* A number cell (sorts by data-v); "–" when null. */
static void num_cell(struct buf *b, const cJSON *o, const char *key, int as)
{
	if (is_null(o, key)) {
		buf_puts(b, "<td class=\"n\" data-v=\"-1\">–</td>");
		return;
	}
	double v = json_num(o, key);
	buf_printf(b, "<td class=\"n\" data-v=\"%.0f\">", v);
	if (as == AS_MS)
		fmt_ms(b, v);
	else if (as == AS_ID)
		buf_printf(b, "%.0f", v);
	else
		fmt_count(b, v);
	buf_puts(b, "</td>");
}

static void page_start(struct buf *b, const char *title, const char *subtitle)
{
	buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		    "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	esc(b, title);
	buf_puts(b, "</title>\n<style>");
	buf_puts(b, STYLE);
	buf_puts(b, "</style>\n</head>\n<body>\n<header><h1>");
	esc(b, title);
	buf_puts(b, "</h1><p>");
	esc(b, subtitle);
	buf_puts(b, "</p></header>\n<main>\n");
}

static void page_end(struct buf *b)
{
	buf_puts(b, "</main>\n<script>");
	buf_puts(b, SCRIPT);
	buf_puts(b, "</script>\n</body>\n</html>\n");
}

static void legend(struct buf *b, long run)
{
	buf_puts(b, "<p class=\"legend small muted\">"
		    "<span><i class=\"sw\" style=\"background:#e8f0fe\"></i>model</span>"
		    "<span><i class=\"sw\" style=\"background:#e6f4ea\"></i>built-in</span>"
		    "<span><i class=\"sw\" style=\"background:#fef7e0\"></i>script</span>");
	if (run)
		buf_puts(b, "<span><i class=\"sw\" style=\"background:#ffe0b2;border-color:#e65100\"></i>the path taken</span>");
	else
		buf_puts(b, "<span><i class=\"sw\" style=\"border-color:#c5221f;border-width:2px\"></i>step with failures</span>"
			    "<span>edges: condition, priority, runs that took them; dashed: a loop back</span>");
	buf_puts(b, "</p>\n");
}

/* run: the id of the run whose path the graph shows, 0 for a workflow's. */
static void graph_section(struct buf *b, const char *svg, long run)
{
	if (run)
		buf_printf(b, "<section class=\"graphbox\" id=\"graph-%ld\"><h2>Graph</h2>\n", run);
	else
		buf_puts(b, "<section class=\"graphbox\" id=\"graph\"><h2>Graph</h2>\n");
	buf_puts(b, svg ? svg : "<p class=\"muted\">(no graph)</p>");
	legend(b, run);
	buf_puts(b, "</section>\n");
}

/* A column of a table row: a member of the row's object and how it shows. */
struct col {
	const char *key;
	int as; /* AS_TEXT: escaped text cell; else a num_cell */
};

/* The cells of o's columns, in order. */
static void cells(struct buf *b, const cJSON *o, const struct col *cols, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (cols[i].as != AS_TEXT) {
			num_cell(b, o, cols[i].key, cols[i].as);
			continue;
		}
		buf_puts(b, "<td>");
		esc(b, json_text(o, cols[i].key));
		buf_puts(b, "</td>");
	}
}

static void models_table(struct buf *b, const cJSON *models)
{
	if (!cJSON_GetArraySize(models))
		return;
	buf_puts(b, "<h3>Model usage</h3><table><thead><tr><th>model</th><th>backend</th><th class=\"n\">calls</th>"
		    "<th class=\"n\">prompt tokens</th><th class=\"n\">output tokens</th><th class=\"n\">time in calls</th>"
		    "</tr></thead><tbody>\n");
	static const struct col cols[] = {
		{ "model", AS_TEXT },		{ "backend", AS_TEXT },		  { "calls", AS_COUNT },
		{ "prompt_tokens", AS_COUNT }, { "output_tokens", AS_COUNT }, { "duration_ms", AS_MS },
	};
	const cJSON *m;
	cJSON_ArrayForEach(m, models) {
		buf_puts(b, "<tr>");
		cells(b, m, cols, ARRAY_LEN(cols));
		buf_puts(b, "</tr>\n");
	}
	buf_puts(b, "</tbody></table>\n");
}

static void steps_table(struct buf *b, const cJSON *steps)
{
	buf_puts(b, "<div class=\"tablebox\"><table class=\"sortable\" id=\"steps\"><thead><tr><th>step</th><th>actor</th>"
		    "<th class=\"n\">completed</th><th class=\"n\">failed</th><th class=\"n\">retried</th>"
		    "<th class=\"n\">dead ends</th><th class=\"n\">avg time</th><th class=\"n\">tokens in</th>"
		    "<th class=\"n\">tokens out</th><th>errors</th></tr></thead><tbody>\n");
	static const struct col cols[] = {
		{ "actor", AS_TEXT },	       { "completed", AS_COUNT },	 { "failed", AS_COUNT },
		{ "retries", AS_COUNT },       { "no_rule_matched", AS_COUNT },	 { "avg_duration_ms", AS_MS },
		{ "prompt_tokens", AS_COUNT }, { "output_tokens", AS_COUNT },
	};
	const cJSON *s;
	cJSON_ArrayForEach(s, steps) {
		buf_printf(b, "<tr data-conv=\"%.0f\"><td>%.0f ", json_num(s, "conversation_id"), json_num(s, "conversation_id"));
		esc(b, json_text(s, "name"));
		buf_puts(b, "</td>");
		cells(b, s, cols, ARRAY_LEN(cols));
		buf_puts(b, "<td class=\"small\">");
		const cJSON *e;
		cJSON_ArrayForEach(e, cJSON_GetObjectItem(s, "errors")) {
			buf_printf(b, "<div class=\"failed\">%.0f× ", json_num(e, "count"));
			esc_short(b, json_text(e, "message"), 200);
			buf_puts(b, " <span class=\"muted\">(");
			esc(b, json_text(e, "failure_class"));
			buf_puts(b, ")</span></div>");
		}
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</tbody></table></div>\n");
}

static void stops_section(struct buf *b, const cJSON *status, const cJSON *stops)
{
	buf_puts(b, "<section id=\"stops\"><h2>Where runs stopped, and why</h2>\n");
	const cJSON *runs = cJSON_GetObjectItem(status, "runs");
	buf_printf(b, "<p>%.0f completed, <span class=\"%s\">%.0f failed</span>, %.0f running. "
		      "Completed runs ended where an END rule or a terminal step ended them (the graph counts them).</p>\n",
		   json_num(runs, "completed"), json_num(runs, "failed") ? "failed" : "", json_num(runs, "failed"),
		   json_num(runs, "running"));
	if (cJSON_GetArraySize(stops)) {
		buf_puts(b, "<table><thead><tr><th class=\"n\">runs</th><th>reason</th><th>e.g. run</th></tr></thead><tbody>\n");
		const cJSON *s;
		cJSON_ArrayForEach(s, stops) {
			buf_printf(b, "<tr><td class=\"n\">%.0f</td><td class=\"failed\">", json_num(s, "runs"));
			esc_short(b, json_text(s, "reason"), 400);
			buf_printf(b, "</td><td><a href=\"#run-%.0f\">%.0f</a></td></tr>\n", json_num(s, "example_run"),
				   json_num(s, "example_run"));
		}
		buf_puts(b, "</tbody></table>\n");
	}
	const cJSON *st;
	int header = 0;
	cJSON_ArrayForEach(st, cJSON_GetObjectItem(status, "steps")) {
		if (!json_num(st, "no_rule_matched"))
			continue;
		if (!header++)
			buf_puts(b, "<h3>Dead ends: no rule matched</h3><ul>");
		buf_printf(b, "<li>%.0f× at %.0f ", json_num(st, "no_rule_matched"), json_num(st, "conversation_id"));
		esc(b, json_text(st, "name"));
		buf_puts(b, "</li>");
	}
	if (header)
		buf_puts(b, "</ul>\n");
	buf_puts(b, "</section>\n");
}

static void runs_table(struct buf *b, const cJSON *runs, long total)
{
	static const struct col tail[] = {
		{ "ihl_verdict", AS_TEXT }, { "steps", AS_COUNT }, { "duration_ms", AS_MS }, { "tokens", AS_COUNT },
	};
	buf_printf(b, "<section id=\"runs\"><h2>Postings and their results (%d run%s", cJSON_GetArraySize(runs),
		   cJSON_GetArraySize(runs) == 1 ? "" : "s");
	if (total > cJSON_GetArraySize(runs))
		buf_printf(b, ", the first of %ld", total);
	buf_puts(b, ")</h2>\n<p class=\"muted small\">Click a heading to sort; click a run to see its path on the graph.</p>\n"
		    "<div class=\"tablebox\"><table class=\"sortable few\" id=\"runtable\"><thead><tr>"
		    "<th class=\"n\">run</th><th class=\"n\">posting</th><th>title</th><th>status</th><th>summary</th>"
		    "<th>skills</th><th class=\"n\">IHL</th><th>verdict</th><th class=\"n\">steps</th><th class=\"n\">time</th>"
		    "<th class=\"n\">tokens</th></tr></thead><tbody>\n");
	const cJSON *r;
	int k = 0;
	cJSON_ArrayForEach(r, runs) {
		double id = json_num(r, "run_id");
		buf_printf(b, "<tr id=\"row-%.0f\"%s><td class=\"n\" data-v=\"%.0f\"><a href=\"#run-%.0f\">%.0f</a></td>", id,
			   k++ >= SHOWN_ROWS ? " class=\"more\"" : "", id, id, id);
		num_cell(b, r, "posting_id", AS_ID);
		buf_puts(b, "<td>");
		esc_short(b, json_text(r, "title"), 80);
		buf_printf(b, "<br><span class=\"muted small\">");
		esc(b, json_text(r, "job_id"));
		buf_printf(b, "</span></td><td><span class=\"badge %s\">", json_text(r, "status"));
		esc(b, json_text(r, "status"));
		buf_puts(b, "</span>");
		if (*json_text(r, "reason")) {
			buf_puts(b, "<div class=\"small failed\">");
			esc_short(b, json_text(r, "reason"), 160);
			buf_puts(b, "</div>");
		}
		buf_puts(b, "</td><td class=\"small\">");
		esc_short(b, json_text(r, "summary"), 120);
		buf_printf(b, "</td><td class=\"small\" data-v=\"%.0f\">", is_null(r, "skills") ? -1 : json_num(r, "skills"));
		if (!is_null(r, "skills")) {
			buf_printf(b, "%.0f: ", json_num(r, "skills"));
			esc_short(b, json_text(r, "skill_list"), 80);
		}
		buf_puts(b, "</td>");
		if (is_null(r, "ihl_score"))
			buf_puts(b, "<td class=\"n\" data-v=\"-1\">–</td>");
		else
			buf_printf(b, "<td class=\"n\" data-v=\"%.0f\">%.0f/%.0f</td>", json_num(r, "ihl_score"),
				   json_num(r, "ihl_score"), is_null(r, "ihl_scale") ? 10.0 : json_num(r, "ihl_scale"));
		cells(b, r, tail, ARRAY_LEN(tail));
		buf_puts(b, "</tr>\n");
	}
	buf_puts(b, "</tbody></table></div>");
	if (cJSON_GetArraySize(runs) > SHOWN_ROWS)
		buf_printf(b, "<button id=\"showall\">Show all %d rows (the first %d are shown; a sort sorts them all)</button>",
			   cJSON_GetArraySize(runs), SHOWN_ROWS);
	buf_puts(b, "</section>\n");
}

char *report_html_workflow(const struct report_workflow *w)
{
	struct buf b = BUF_INIT;
	char now[32];
	iso_now(now);
	char *title = xasprintf("workflow %.0f: %s", json_num(w->status, "workflow_id"), json_text(w->status, "name"));
	char *sub = xasprintf("waverunner report of %s, %s", w->db_name, now);
	page_start(&b, title, sub);
	free(title);
	free(sub);
	buf_puts(&b, "<div class=\"cols\">\n");
	graph_section(&b, w->svg, 0);
	buf_puts(&b, "<div class=\"side\"><section id=\"runpanel\"></section>\n");
	stops_section(&b, w->status, w->stops);
	buf_puts(&b, "<section id=\"usage\">");
	models_table(&b, cJSON_GetObjectItem(w->status, "models"));
	buf_puts(&b, "<p class=\"muted small\">A run's prompts and answers: waverunner report --run ID -o FILE.html</p>"
		     "</section></div>\n</div>\n<section id=\"steps-section\"><h2>Steps</h2>\n");
	steps_table(&b, cJSON_GetObjectItem(w->status, "steps"));
	buf_puts(&b, "</section>\n");
	runs_table(&b, w->runs, w->runs_total);
	/* Step names for the run panel. */
	cJSON *names = cJSON_CreateObject();
	const cJSON *s;
	cJSON_ArrayForEach(s, cJSON_GetObjectItem(w->status, "steps")) {
		char key[32];
		snprintf(key, sizeof key, "%.0f", json_num(s, "conversation_id"));
		cJSON_AddStringToObject(names, key, json_text(s, "name"));
	}
	json_data(&b, "names", names);
	cJSON_Delete(names);
	json_data(&b, "rules", w->rules);
	json_data(&b, "paths", w->paths);
	page_end(&b);
	return buf_detach(&b);
}

/* The text a model was given: the "prompt" of an Ollama request, or the
 * messages of a chat request; NULL when the input is not such a request. */
static char *prompt_of(const char *input)
{
	cJSON *in = cJSON_Parse(input);
	if (!cJSON_IsObject(in)) {
		cJSON_Delete(in);
		return NULL;
	}
	struct buf b = BUF_INIT;
	const cJSON *p = cJSON_GetObjectItem(in, "prompt"), *msgs = cJSON_GetObjectItem(in, "messages");
	const cJSON *sys = cJSON_GetObjectItem(in, "system");
	if (cJSON_IsString(sys))
		buf_printf(&b, "[system]\n%s\n\n", sys->valuestring);
	if (cJSON_IsString(p)) {
		buf_puts(&b, p->valuestring);
	} else if (cJSON_IsArray(msgs)) {
		const cJSON *m;
		cJSON_ArrayForEach(m, msgs)
			buf_printf(&b, "[%s]\n%s\n\n", json_text(m, "role"), json_text(m, "content"));
	}
	cJSON_Delete(in);
	if (!b.len) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b);
}

static void kv(struct buf *b, const char *k, const char *v)
{
	buf_printf(b, "<dt>%s</dt><dd>", k);
	esc(b, v);
	buf_puts(b, "</dd>");
}

static void events_list(struct buf *b, const cJSON *events)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, events) {
		const char *type = json_text(e, "type");
		const cJSON *d = cJSON_GetObjectItem(e, "data");
		if (!strcmp(type, "interaction_branched")) {
			buf_puts(b, "<p class=\"small\">&rarr; ");
			if (*json_text(d, "verdict")) {
				esc(b, json_text(d, "verdict"));
				buf_puts(b, ": ");
			}
			buf_puts(b, "rule");
			const cJSON *x;
			cJSON_ArrayForEach(x, cJSON_GetObjectItem(d, "rules"))
				buf_printf(b, " %.0f", x->valuedouble);
			buf_puts(b, " fired:");
			cJSON_ArrayForEach(x, cJSON_GetObjectItem(d, "targets"))
				buf_printf(b, " %.0f", x->valuedouble);
			if (cJSON_IsTrue(cJSON_GetObjectItem(d, "end")))
				buf_puts(b, " END");
			if (cJSON_IsTrue(cJSON_GetObjectItem(d, "bound_reached")))
				buf_puts(b, " (a loop rule had reached its bound)");
			if (cJSON_GetObjectItem(d, "runs_started"))
				buf_printf(b, " (%.0f runs started)", json_num(d, "runs_started"));
			buf_puts(b, "</p>");
		} else if (!strcmp(type, "no_rule_matched")) {
			buf_puts(b, "<p class=\"small failed\">&rarr; no rule matched");
			if (*json_text(d, "verdict")) {
				buf_puts(b, " verdict ");
				esc(b, json_text(d, "verdict"));
			}
			buf_puts(b, ": the path ends here</p>");
		} else if (!strcmp(type, "interaction_retried")) {
			buf_printf(b, "<p class=\"small failed\">retry: attempt %.0f failed (", json_num(d, "attempts"));
			esc(b, json_text(d, "failure_class"));
			buf_puts(b, "): ");
			esc_short(b, json_text(d, "error"), 400);
			buf_puts(b, "</p>");
		} else if (!strcmp(type, "lease_expired")) {
			buf_puts(b, "<p class=\"small\">lease taken back from ");
			esc(b, json_text(d, "owner"));
			buf_puts(b, "</p>");
		}
	}
}

static void interaction(struct buf *b, const cJSON *it, size_t n)
{
	const char *status = json_text(it, "status");
	buf_printf(b, "<details class=\"ix st-%s\" id=\"i%.0f\" data-conv=\"%.0f\"><summary><b>#%zu</b> %.0f ", status,
		   json_num(it, "interaction_id"), json_num(it, "conversation_id"), n, json_num(it, "conversation_id"));
	esc(b, json_text(it, "name"));
	buf_puts(b, " <span class=\"muted\">[");
	esc(b, json_text(it, "actor"));
	buf_printf(b, "]</span> <span class=\"badge %s\">", status);
	esc(b, status);
	buf_printf(b, "</span> <span class=\"muted small\">%.0f attempt%s", json_num(it, "attempts"),
		   json_num(it, "attempts") == 1 ? "" : "s");
	if (!is_null(it, "duration_ms")) {
		buf_puts(b, ", ");
		fmt_ms(b, json_num(it, "duration_ms"));
	}
	if (!is_null(it, "prompt_tokens"))
		buf_printf(b, ", %.0f&rarr;%.0f tokens", json_num(it, "prompt_tokens"), json_num(it, "output_tokens"));
	buf_puts(b, "</span></summary>\n<div class=\"body\"><dl class=\"kv small\">");
	char num[64];
	snprintf(num, sizeof num, "%.0f", json_num(it, "interaction_id"));
	kv(b, "interaction", num);
	if (!is_null(it, "via_rule_id")) {
		char *via = xasprintf("rule %.0f (%s)", json_num(it, "via_rule_id"), json_text(it, "via_condition"));
		kv(b, "created by", via);
		free(via);
	}
	const cJSON *parents = cJSON_GetObjectItem(it, "parents"), *p;
	if (cJSON_GetArraySize(parents)) {
		struct buf pb = BUF_INIT;
		cJSON_ArrayForEach(p, parents)
			buf_printf(&pb, "%s%.0f", pb.len ? ", " : "", p->valuedouble);
		kv(b, "parents", buf_str(&pb));
		buf_release(&pb);
	}
	if (*json_text(it, "model")) {
		char *m = xasprintf("%s (%s)", json_text(it, "model"), json_text(it, "backend"));
		kv(b, "model", m);
		free(m);
	}
	kv(b, "created", json_text(it, "created_at"));
	kv(b, "completed", json_text(it, "completed_at"));
	if (!is_null(it, "load_ms")) {
		snprintf(num, sizeof num, "%.0f ms", json_num(it, "load_ms"));
		kv(b, "model load", num);
	}
	if (*json_text(it, "done_reason"))
		kv(b, "done reason", json_text(it, "done_reason"));
	buf_puts(b, "</dl>\n");
	const char *input = json_text(it, "input");
	char *prompt = prompt_of(input);
	if (prompt) {
		buf_puts(b, "<h3>Prompt</h3><pre class=\"prompt\">");
		esc(b, prompt);
		buf_puts(b, "</pre>\n");
		free(prompt);
	} else if (*input) {
		buf_puts(b, "<h3>Input</h3><pre class=\"prompt\">");
		esc(b, input);
		buf_puts(b, "</pre>\n");
	}
	if (*json_text(it, "output")) {
		buf_puts(b, "<h3>Answer</h3><pre class=\"answer\">");
		esc(b, json_text(it, "output"));
		buf_puts(b, "</pre>\n");
	}
	if (*json_text(it, "error")) {
		buf_puts(b, "<p class=\"failed\">error: ");
		esc(b, json_text(it, "error"));
		buf_puts(b, " (");
		esc(b, json_text(it, "failure_class"));
		buf_puts(b, ")</p>\n");
	}
	events_list(b, cJSON_GetObjectItem(it, "events"));
	buf_puts(b, "</div></details>\n");
}

static void posting_section(struct buf *b, const cJSON *p)
{
	buf_printf(b, "<section id=\"posting\"><h2>Posting %.0f: ", json_num(p, "posting_id"));
	esc(b, json_text(p, "title"));
	buf_puts(b, "</h2><dl class=\"kv\">");
	kv(b, "job id", json_text(p, "job_id"));
	char *where = xasprintf("%s%s%s", json_text(p, "city"), *json_text(p, "city") && *json_text(p, "country") ? ", " : "",
				json_text(p, "country"));
	kv(b, "location", where);
	free(where);
	kv(b, "status", json_text(p, "posting_status"));
	if (!is_null(p, "ihl_score")) {
		char *ihl = xasprintf("%.0f/%.0f %s", json_num(p, "ihl_score"), is_null(p, "ihl_scale") ? 10.0 : json_num(p, "ihl_scale"),
				      json_text(p, "ihl_verdict"));
		kv(b, "IHL score", ihl);
		free(ihl);
	} else {
		kv(b, "IHL score", "–");
	}
	const cJSON *skills = cJSON_GetObjectItem(p, "skills"), *s;
	buf_puts(b, "<dt>skills</dt><dd>");
	if (cJSON_IsArray(skills)) {
		int first = 1;
		cJSON_ArrayForEach(s, skills) {
			buf_puts(b, first ? "" : ", ");
			first = 0;
			if (cJSON_IsString(s)) {
				esc(b, s->valuestring);
			} else if (*json_text(s, "name") || *json_text(s, "skill")) {
				esc(b, *json_text(s, "name") ? json_text(s, "name") : json_text(s, "skill"));
				if (*json_text(s, "importance")) {
					buf_puts(b, " <span class=\"muted small\">(");
					esc(b, json_text(s, "importance"));
					buf_puts(b, ")</span>");
				}
			} else {
				char *t = json_print(s);
				esc(b, t);
				free(t);
			}
		}
	} else {
		buf_puts(b, "–");
	}
	buf_puts(b, "</dd>");
	kv(b, "results updated", json_text(p, "results_updated_at"));
	buf_puts(b, "</dl>\n");
	if (*json_text(p, "summary")) {
		buf_puts(b, "<details class=\"summary\"><summary><b>Summary</b> <span class=\"muted small\">");
		esc_short(b, json_text(p, "summary"), 100);
		buf_puts(b, "</span></summary><pre>");
		esc(b, json_text(p, "summary"));
		buf_puts(b, "</pre></details>\n");
	}
	buf_puts(b, "</section>\n");
}

static void run_section(struct buf *b, const struct report_run *r)
{
	const cJSON *run = cJSON_GetObjectItem(r->trace, "run");
	double id = json_num(run, "run_id");
	buf_printf(b, "<div class=\"cols run\" id=\"run-%.0f\">\n", id);
	graph_section(b, r->svg, (long)id);
	buf_printf(b, "<section class=\"path\"><h2>Run %.0f of workflow %.0f: <span class=\"%s\">", id, json_num(run, "workflow_id"),
		   json_text(run, "status"));
	esc(b, json_text(run, "status"));
	buf_puts(b, "</span></h2>\n<dl class=\"kv\">");
	kv(b, "workflow", json_text(run, "workflow_name"));
	kv(b, "started", json_text(run, "started_at"));
	kv(b, "ended", json_text(run, "completed_at"));
	if (!is_null(run, "started_by_interaction_id")) {
		char num[64];
		snprintf(num, sizeof num, "interaction %.0f (a fan-out)", json_num(run, "started_by_interaction_id"));
		kv(b, "started by", num);
	}
	buf_puts(b, "</dl>\n");
	if (*json_text(run, "reason")) {
		buf_puts(b, "<p class=\"failed\">");
		esc(b, json_text(run, "reason"));
		buf_puts(b, "</p>\n");
	}
	buf_puts(b, "<h3>The path taken <span class=\"muted small\">(click a step for its prompt and answer)</span></h3>\n"
		    "<div class=\"interactions\">\n");
	const cJSON *it;
	size_t n = 0;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(r->trace, "interactions"))
		interaction(b, it, ++n);
	buf_puts(b, "</div>\n");
	models_table(b, cJSON_GetObjectItem(r->detail, "models"));
	buf_puts(b, "</section>\n</div>\n");
}

char *report_html_runs(const char *title, const cJSON *posting, const struct report_run *runs, size_t n,
		       const char *db_name)
{
	struct buf b = BUF_INIT;
	char now[32];
	iso_now(now);
	char *sub = xasprintf("waverunner report of %s, %s; %zu run%s", db_name, now, n, n == 1 ? "" : "s");
	page_start(&b, title, sub);
	free(sub);
	if (posting)
		posting_section(&b, posting);
	for (size_t i = 0; i < n; i++)
		run_section(&b, &runs[i]);
	page_end(&b);
	return buf_detach(&b);
}
