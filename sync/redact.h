/* redact.h: keeping PostgreSQL passwords out of everything waverunner prints.
 * Pure: no I/O, no libpq. */
#ifndef redact_h
#define redact_h

#include <stddef.h>

/* conninfo (a libpq keyword string "host=h password=x" or a URL
 * "postgresql://user:x@host/db?password=x") with every password value replaced
 * by "***", also inside a dbname value that is itself a connection string.
 * New string; caller frees. */
char *sync_redact_conninfo(const char *conninfo);

/* The password values written in conninfo, as written and percent-decoded
 * (URL form), so that messages echoing them can be scrubbed. Appends new
 * strings to *secrets (*n of them; caller frees each and the array). */
void sync_conninfo_secrets(const char *conninfo, char ***secrets, size_t *n);

/* msg with every occurrence of each non-empty secret replaced by "***".
 * New string; caller frees. */
char *sync_scrub(const char *msg, char *const *secrets, size_t n);

/* A libpq error message made fit for one line: without "connection to server
 * at ... failed:" prefixes, severity labels ("FATAL:  ") and line breaks
 * (joined with "; "). New string; caller frees. */
char *sync_clean_pg_error(const char *msg);

#endif
