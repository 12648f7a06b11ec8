/* util.h: allocation that never fails, growable byte buffers, time, UTF-8. */
#ifndef util_h
#define util_h

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation: on exhaustion these print "waverunner: COMMAND: out of memory"
 * and exit with E_NOMEM (err.h); they never return NULL. Memory is released
 * with free(). */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t count, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* A growable byte buffer, always NUL-terminated once anything was added.
 * buf_init/buf_release (frees the data), buf_detach (caller frees the result). */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};
#define BUF_INIT { NULL, 0, 0 }
void buf_init(struct buf *b);
void buf_release(struct buf *b);
void buf_reset(struct buf *b);
void buf_add(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *buf_detach(struct buf *b);
/* The contents as a string ("" when empty); borrowed. */
const char *buf_str(const struct buf *b);

/* Time. now_ms: wall clock, milliseconds since the epoch. mono_ms: monotonic. */
int64_t now_ms(void);
int64_t mono_ms(void);
/* Formats ms since the epoch as "2026-11-24T14:37:00.123Z" into out (>= 25 bytes). */
void iso_time(int64_t ms, char out[32]);
/* The current time in that format; out must hold 32 bytes. */
void iso_now(char out[32]);
/* Parses a duration such as "90", "90s", "5m", "1h", "250ms" into milliseconds.
 * Returns 0 on success, -1 if s is not a duration. */
int parse_duration_ms(const char *s, int64_t *out);

/* Parses a size such as "16M", "16MiB", "512K", "1G" (powers of 1024) or
 * "1000" (bytes) into bytes, at least 1. Returns 0, or -1. */
int parse_size(const char *s, size_t *out);

/* UTF-8: 1 if s[0..len) is valid UTF-8. */
int utf8_valid(const char *s, size_t len);
/* Number of code points in a valid UTF-8 string. */
size_t utf8_length(const char *s);
/* Copies at most max_bytes of s into a new string without splitting a code point,
 * appending "…" when shortened. Caller frees. */
char *utf8_shorten(const char *s, size_t max_bytes);

/* s for a message: control characters escaped (\n, \r, \t, \x01), invalid
 * UTF-8 as \xNN, cut after about max_bytes with "… (N bytes)". Caller frees. */
char *str_excerpt(const char *s, size_t max_bytes);
/* The same for a text quoted in a one-line report (an error, a reason, an
 * answer's opening): cut with "…" alone. Caller frees. */
char *text_one_line(const char *s, size_t max_bytes);
/* The shape of a message, for grouping messages that differ only in numbers:
 * each run of digits becomes "#", each run of white space one space, at most
 * max_bytes long. Caller frees. */
char *text_shape(const char *s, size_t max_bytes);

/* Strings. */
int str_starts_with(const char *s, const char *prefix);
int str_starts_with_nocase(const char *s, const char *prefix);
/* Trims ASCII whitespace at both ends, in place; returns s. */
char *str_trim(char *s);
/* Parses a whole decimal integer; returns 0 on success, -1 otherwise. */
int parse_long(const char *s, long *out);
/* A double that is a whole number no larger in size than 2^53 (where every
 * whole number is exact) as a long; -1 for NaN, infinities, fractions and
 * anything larger, whose conversion would be undefined or inexact. */
int double_to_long(double d, long *out);

/* Reads a whole file into a new NUL-terminated buffer (caller frees).
 * Returns 0, or -1 with errno set. */
int read_file(const char *path, char **out, size_t *len);
/* Reads an input file that a person names (load, validate): only a regular
 * file (never a device or a pipe, which could be endless or never end), of at
 * most max bytes. Returns NULL, or why not (caller frees). */
char *read_input_file(const char *path, size_t max, char **out, size_t *len);
/* The size of a workflow or postings file that load and validate accept
 * (man/waverunner-load.1). */
#define INPUT_FILE_MAX ((size_t)256 << 20)
/* Writes data to path atomically (temporary file + rename). Returns 0 or -1. */
int write_file_atomic(const char *path, const char *data, size_t len);
/* Whether write_file_atomic syncs each file to disk before the rename (the
 * default, 1). A tool that writes thousands of files it can make again
 * (tests/tools/answer-run.c) turns it off and calls sync() once at the end. */
void write_files_durable(int on);
/* Creates a directory and its parents (mode 0777 & umask). Returns 0 or -1. */
int mkdir_p(const char *path);

#endif
