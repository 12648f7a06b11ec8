/* html.h: what the fetcher takes from a job board's detail page: the text of
 * its og:description, decoded to UTF-8 whatever the page's charset, with HTML
 * entities resolved. Pure: no I/O. */
#ifndef html_h
#define html_h

#include <stddef.h>

enum html_charset {
	HTML_CS_UNKNOWN = 0, /* not declared, or a charset this module does not convert */
	HTML_CS_UTF8,
	HTML_CS_CP1252,      /* windows-1252, and iso-8859-1 / us-ascii, which browsers read as it */
	HTML_CS_LATIN9,      /* iso-8859-15 */
};

/* The charset a label names ("utf-8", "ISO-8859-1", "latin1", ...). */
enum html_charset html_charset_from_label(const char *label, size_t len);

/* The charset of a page: a byte-order mark, else the charset parameter of the
 * Content-Type header value (may be NULL), else a <meta charset> or <meta
 * http-equiv="Content-Type"> in the page. */
enum html_charset html_charset_detect(const char *content_type, const char *body, size_t len);

/* body[0..len) as UTF-8, in a new NUL-terminated string (caller frees). UTF-8
 * input keeps its valid sequences and has each invalid byte and each NUL
 * replaced by U+FFFD; windows-1252 and iso-8859-15 are converted. An unknown
 * charset is read as UTF-8 when the bytes are valid UTF-8, else as
 * windows-1252 (what a browser would show). A UTF-8 byte-order mark is dropped. */
char *html_to_utf8(const char *body, size_t len, enum html_charset cs);

/* Resolves character references in s[0..len) (UTF-8): named ones (&amp;,
 * &auml;, &rsquo;, ...), decimal (&#8217;) and hexadecimal (&#x2019;) ones,
 * in one pass (so "&amp;lt;" gives "&lt;"). Unknown names stay as they are;
 * code points that may not appear (0, surrogates, beyond U+10FFFF) become
 * U+FFFD; &#128;..&#159; are read as windows-1252, as browsers do. Returns a
 * new string (caller frees). */
char *html_decode_entities(const char *s, size_t len);

/* The content attribute of the first <meta> whose property or name attribute
 * is prop (ASCII case-insensitive), entities decoded, in a new string; NULL
 * when the page has none. html is UTF-8 text. Comments, <script> and <style>
 * are skipped. */
char *html_meta_content(const char *html, const char *prop);

/* The description of a detail page: its og:description, as UTF-8 with
 * entities decoded and surrounding white space trimmed. Returns a new string,
 * or NULL when the page has no og:description; the generic <meta
 * name="description"> is never taken instead (it describes the site, not the
 * posting). content_type is the response's Content-Type header (may be NULL). */
char *html_og_description(const char *body, size_t len, const char *content_type);

#endif
