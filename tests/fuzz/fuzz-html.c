/* fuzz-html: html.c on arbitrary pages. The first byte picks the declared
 * Content-Type; the rest is the page. Whatever the bytes, what comes out is
 * valid UTF-8 without NUL bytes (what the database and PostgreSQL accept).
 * fuzz-sources: src/html.c src/util.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *s)
{
	if (s && !utf8_valid(s, strlen(s)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = { NULL, "text/html", "text/html; charset=UTF-8",
					     "text/html; charset=ISO-8859-1", "text/html; charset=iso-8859-15",
					     "text/html; charset=\"windows-1252\"" };
	if (!size)
		return 0;
	const char *type = types[data[0] % (sizeof types / sizeof *types)];
	const char *page = (const char *)data + 1;
	size_t len = size - 1;
	for (int cs = HTML_CS_UNKNOWN; cs <= HTML_CS_LATIN9; cs++) {
		char *u = html_to_utf8(page, len, (enum html_charset)cs);
		check(u);
		char *d = html_decode_entities(u, strlen(u));
		check(d);
		free(d);
		char *m = html_meta_content(u, "og:description");
		check(m);
		free(m);
		free(u);
	}
	char *og = html_og_description(page, len, type);
	check(og);
	free(og);
	(void)html_charset_detect(type, page, len);
	return 0;
}
