/* gv.h: laying out and drawing a DOT graph as SVG with Graphviz (libgvc), the
 * one optional library. Built without it, gv_svg says so and fails. */
#ifndef gv_h
#define gv_h

#include <stddef.h>

/* 1 if this binary was built with Graphviz. */
int gv_available(void);
/* Lays dot out with the "dot" engine and renders it as SVG: *svg is the <svg>
 * element alone (no XML prologue, DOCTYPE, comments or namespace attributes),
 * ready to be placed inside an HTML page; caller frees. E_FAIL without
 * Graphviz, E_INPUT when Graphviz rejects the graph. */
int gv_svg(const char *dot, char **svg);

#endif
