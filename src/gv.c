/* gv.c: the only user of Graphviz (gv.h): DOT text in, inline SVG out. */
#include "gv.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "util.h"

#ifdef HAVE_GRAPHVIZ
#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

int gv_available(void)
{
	return 1;
}

/* Graphviz 2.42 keeps the plugin configuration gvContext reads, and
 * fontconfig its caches, to the end of the process: not leaks of ours, but
 * LeakSanitizer (make SANITIZE=1) would fail every report on them. It asks
 * this function what to ignore; other builds never call it. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libgvc.so\nleak:libfontconfig.so\n";
}

/* ... and without a table of the suppressions it used on every run. */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
	return "print_suppressions=0";
}

/* Drops what an inline <svg> does not need and would only name outside
 * addresses: everything before <svg, comments, and the xmlns attributes. */
static char *inline_svg(const char *s, size_t len)
{
	const char *end = s + len;
	const char *p = strstr(s, "<svg");
	struct buf b = BUF_INIT;
	while (p && p < end) {
		if (!strncmp(p, "<!--", 4)) {
			const char *q = strstr(p + 4, "-->");
			p = q ? q + 3 : end;
			if (p < end && *p == '\n')
				p++;
			continue;
		}
		if (!strncmp(p, " xmlns", 6)) {
			const char *q = strchr(p, '"');
			q = q ? strchr(q + 1, '"') : NULL;
			if (q) {
				p = q + 1;
				continue;
			}
		}
		buf_putc(&b, *p++);
	}
	return buf_detach(&b);
}

int gv_svg(const char *dot, char **svg)
{
	*svg = NULL;
	agseterr(AGERR); /* warnings (a font it cannot measure) are not the user's business */
	Agraph_t *g = agmemread(dot);
	if (!g)
		return err_set(E_INPUT, "Graphviz could not read the graph: %s", aglasterr() ? aglasterr() : "syntax error");
	GVC_t *gvc = gvContext();
	int rc = E_OK;
	char *data = NULL;
	unsigned int len = 0;
	if (gvLayout(gvc, g, "dot") != 0)
		rc = err_set(E_INPUT, "Graphviz could not lay the graph out");
	else if (gvRenderData(gvc, g, "svg", &data, &len) != 0 || !data)
		rc = err_set(E_INPUT, "Graphviz could not render SVG (is its svg plugin installed?)");
	else
		*svg = inline_svg(data, len);
	if (data)
		gvFreeRenderData(data);
	gvFreeLayout(gvc, g);
	agclose(g);
	gvFreeContext(gvc);
	return rc;
}

#else

int gv_available(void)
{
	return 0;
}

int gv_svg(const char *dot, char **svg)
{
	(void)dot;
	*svg = NULL;
	return err_set(E_FAIL, "built without Graphviz (install libgraphviz-dev and rebuild)");
}

#endif
