/* template.h: prompt templates. Pure: no I/O; variables come from a lookup callback.
 *
 * Syntax: {name} is a placeholder. A name is an identifier with optional dotted
 * fields ({conversation_9163_output.ihl_score}); {a|b} takes the first of a, b
 * that has a value. {{ and }} stand for literal braces. A brace that does not
 * begin a placeholder is kept as it is (so JSON in a template needs no escaping).
 * Rendering is one pass: substituted text is never scanned again. */
#ifndef template_h
#define template_h

#include <stddef.h>

enum tpl_lookup {
	TPL_FOUND = 0,     /* *value set (caller of the callback frees it) */
	TPL_UNKNOWN = 1,   /* no such variable */
	TPL_NO_VALUE = 2,  /* the variable exists but has no value here; *why says why */
};

/* Resolves one name (one alternative of a placeholder). */
typedef enum tpl_lookup (*tpl_lookup_fn)(void *ctx, const char *name, char **value, char **why);

/* Renders tpl. Returns 0 with *out set (caller frees), or -1 with *error set
 * (caller frees) naming the placeholder that could not be filled and why. */
int template_render(const char *tpl, tpl_lookup_fn lookup, void *ctx, char **out, char **error);

/* Renders a template whose result must be one JSON document (the input of a
 * script or built-in step). When tpl itself parses as JSON, each string value is
 * rendered on its own and the document re-serialised, so substituted text can
 * never break the JSON; otherwise the rendered text must parse. */
int template_render_json(const char *tpl, tpl_lookup_fn lookup, void *ctx, char **out, char **error);

/* Calls visit for each placeholder of tpl with its text ("{a|b}") and its
 * alternatives. Returns the number of placeholders. */
typedef void (*tpl_visit_fn)(void *ctx, const char *text, char *const *alts, size_t nalts);
size_t template_scan(const char *tpl, tpl_visit_fn visit, void *ctx);

/* Splits a name into its variable and its field path: "conversation_5_output.a.b"
 * gives "conversation_5_output" and "a.b" (NULL when none). Both new strings. */
void template_split_name(const char *name, char **var, char **field);

#endif
