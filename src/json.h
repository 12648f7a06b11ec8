/* json.h: cJSON helpers: strict parsing with positions, typed getters, printing,
 * and finding the JSON document inside a model's free-text answer.
 *
 * Ownership (cJSON's rule, stated once): cJSON_AddItemTo* and cJSON_ReplaceItem*
 * take ownership of the item; only a root is passed to cJSON_Delete. Strings from
 * json_print*() are freed with free(). Getters return borrowed pointers. */
#ifndef json_h
#define json_h

#include <stddef.h>
#include <cJSON.h>

/* Makes cJSON's allocations exit with "out of memory" (err_out_of_memory)
 * rather than fail; main() calls it once. */
void json_init(void);

/* Parses exactly one JSON document (whitespace around it allowed). On failure
 * returns NULL and, if errmsg is not NULL, a message such as
 * "line 3, column 7: unexpected character" (caller frees). A NUL byte or a
 * \u0000 escape in a string is refused with its place: text cannot hold one. */
cJSON *json_parse(const char *text, size_t len, char **errmsg);

/* The same, and a key that appears twice in one object is an error (cJSON
 * would keep both and find the first): for files people write. */
cJSON *json_parse_strict(const char *text, size_t len, char **errmsg);

/* The offset of the first \u0000 escape inside a string of JSON text (which
 * cJSON would decode into a NUL that ends the string), or -1. */
long json_nul_escape(const char *text, size_t len);

/* Compact and indented serialisations; caller frees. */
char *json_print(const cJSON *item);
char *json_print_pretty(const cJSON *item);
/* Indented by two spaces, "key": value, a newline at the end: the layout of a
 * hand-written file, so that a diff against one is small. */
char *json_print_indented(const cJSON *item);

/* Typed getters on an object. They return 1 when the key is absent or null,
 * 0 with *out set when present with the right type, -1 for a wrong type. */
int json_get_string(const cJSON *obj, const char *key, const char **out);
int json_get_long(const cJSON *obj, const char *key, long *out);
int json_get_double(const cJSON *obj, const char *key, double *out);
int json_get_bool(const cJSON *obj, const char *key, int *out);
/* The string value of key, or NULL if absent or not a string. */
const char *json_str(const cJSON *obj, const char *key);
/* The same, but "" when absent: for printing. */
const char *json_text(const cJSON *obj, const char *key);
/* The number value of key, or 0 when absent or not a number: for printing. */
double json_num(const cJSON *obj, const char *key);

/* The text a value stands for in a template: strings as they are, numbers in
 * shortest form, true/false, "" for null, arrays and objects as compact JSON.
 * Caller frees. */
char *json_value_text(const cJSON *item);

/* Follows a dotted path ("a.b.0") into item: object keys, array indexes.
 * Returns the borrowed item or NULL. */
const cJSON *json_path(const cJSON *item, const char *path);

/* Finds the JSON document in a model's answer: the content of the first fenced
 * code block that parses, else the whole text, else the first balanced object
 * or array that parses. Returns a new root or NULL. */
cJSON *json_from_text(const char *text);
/* The same; when none is found and a candidate was refused only for holding
 * \u0000, *refused says so and where (caller frees), else it is NULL. */
cJSON *json_find(const char *text, char **refused);

/* Prints root compactly and a newline to stdout, then deletes it. */
void json_emit(cJSON *root);

/* A JSON string literal (with quotes) for s; caller frees. */
char *json_quote(const char *s);

#endif
