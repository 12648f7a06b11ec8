/* Unit tests of html.c: charsets, entities, meta tags, the description. */
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "tap.h"

static char *utf8(const char *bytes, enum html_charset cs)
{
	return html_to_utf8(bytes, strlen(bytes), cs);
}

static char *entities(const char *s)
{
	return html_decode_entities(s, strlen(s));
}

static char *og(const char *page, const char *content_type)
{
	return html_og_description(page, strlen(page), content_type);
}

#define CHECK_STR(expr, expected, ...)            \
	do {                                       \
		char *got_ = (expr);               \
		is_str(got_, expected, __VA_ARGS__); \
		free(got_);                        \
	} while (0)

int main(void)
{
	/* Charset labels and detection. */
	is_int(html_charset_from_label("UTF-8", 5), HTML_CS_UTF8, "UTF-8 label");
	is_int(html_charset_from_label(" \"iso-8859-1\" ", 14), HTML_CS_CP1252,
	       "iso-8859-1 (quoted) reads as windows-1252");
	is_int(html_charset_from_label("latin1", 6), HTML_CS_CP1252, "latin1");
	is_int(html_charset_from_label("ISO-8859-15", 11), HTML_CS_LATIN9, "iso-8859-15");
	is_int(html_charset_from_label("shift_jis", 9), HTML_CS_UNKNOWN, "an unsupported charset is unknown");
	const char *meta_page = "<html><head><meta charset=\"windows-1252\"></head></html>";
	is_int(html_charset_detect("text/html; charset=UTF-8", meta_page, strlen(meta_page)), HTML_CS_UTF8,
	       "the Content-Type header wins over <meta charset>");
	is_int(html_charset_detect("text/html", meta_page, strlen(meta_page)), HTML_CS_CP1252,
	       "<meta charset> when the header has none");
	const char *equiv = "<META HTTP-EQUIV='content-type' CONTENT='text/html; charset=ISO-8859-1'>";
	is_int(html_charset_detect(NULL, equiv, strlen(equiv)), HTML_CS_CP1252, "<meta http-equiv=Content-Type>");
	is_int(html_charset_detect("text/html;charset=\"utf-8\"", "", 0), HTML_CS_UTF8, "a quoted header charset");
	is_int(html_charset_detect("text/html; charset=ISO-8859-1", "\xEF\xBB\xBFx", 4), HTML_CS_UTF8,
	       "a byte-order mark wins");
	is_int(html_charset_detect(NULL, "<p>plain</p>", 12), HTML_CS_UNKNOWN, "nothing declared");
	const char *commented = "<!-- <meta charset=\"windows-1252\"> --><p>x</p>";
	is_int(html_charset_detect(NULL, commented, strlen(commented)), HTML_CS_UNKNOWN,
	       "a meta tag in a comment does not count");

	/* Conversion to UTF-8. */
	CHECK_STR(utf8("\xDC" "ber \x80" "5 \x92" "s \x93" "q\x94 \xE4\xF6\xFC\xDF", HTML_CS_CP1252),
		  "Über €5 ’s “q” äöüß", "windows-1252 to UTF-8");
	CHECK_STR(utf8("\xA4 \xBD", HTML_CS_LATIN9), "€ œ", "iso-8859-15 to UTF-8");
	CHECK_STR(utf8("\xC3\x9C" "ber", HTML_CS_UNKNOWN), "Über",
		  "undeclared valid UTF-8 stays UTF-8 (the original's mojibake case)");
	CHECK_STR(utf8("\xDC" "ber", HTML_CS_UNKNOWN), "Über", "undeclared, not UTF-8: read as windows-1252");
	CHECK_STR(utf8("a\xFF" "b\xC3", HTML_CS_UTF8), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD",
		  "declared UTF-8: each invalid byte becomes U+FFFD");
	CHECK_STR(utf8("\xED\xA0\x80" "x", HTML_CS_UTF8), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDx",
		  "an encoded surrogate is invalid");
	CHECK_STR(utf8("\xC0\xAF", HTML_CS_UTF8), "\xEF\xBF\xBD\xEF\xBF\xBD", "an overlong sequence is invalid");
	char *s = html_to_utf8("a\0b", 3, HTML_CS_UTF8);
	is_str(s, "a\xEF\xBF\xBD" "b", "a NUL byte becomes U+FFFD");
	free(s);
	CHECK_STR(utf8("\xEF\xBB\xBFhi", HTML_CS_UTF8), "hi", "a UTF-8 byte-order mark is dropped");
	CHECK_STR(utf8("数据 ✓", HTML_CS_UTF8), "数据 ✓", "CJK and symbols pass through");

	/* Entities. */
	CHECK_STR(entities("Berlin &amp; M&uuml;nchen &quot;x&quot; &lt;b&gt; &apos;y&apos;"),
		  "Berlin & München \"x\" <b> 'y'", "common named entities");
	CHECK_STR(entities("We&#8217;re &#x2019; &#X201c;q&#x201D; &#8211;"), "We’re ’ “q” –",
		  "decimal and hexadecimal references");
	CHECK_STR(entities("&auml;&ouml;&uuml;&Auml;&Ouml;&Uuml;&szlig;&eacute;&egrave;"), "äöüÄÖÜßéè",
		  "Latin-1 letters");
	CHECK_STR(entities("&ndash;&mdash;&rsquo;&lsquo;&rdquo;&ldquo;&hellip;&bull;&euro;&nbsp;|"),
		  "–—’‘”“…•€\xC2\xA0|", "punctuation and symbols");
	CHECK_STR(entities("&#146;s &#150;"), "’s –", "&#128;..&#159; are read as windows-1252");
	CHECK_STR(entities("&#0; &#xD800; &#x110000; &#99999999999999999999;"),
		  "\xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD", "forbidden code points become U+FFFD");
	CHECK_STR(entities("&amp;lt;"), "&lt;", "one pass: a decoded & does not start another entity");
	CHECK_STR(entities("&bogus; & &# &#x; &#;"), "&bogus; & &# &#x; &#;", "unknown and malformed references stay");
	CHECK_STR(entities("AT&amp T &ampx &copy=1 &Auml"), "AT& T &ampx &copy=1 &Auml",
		  "a few names work without the semicolon, as in browsers");
	CHECK_STR(entities("&#65&#x42;C"), "ABC", "a numeric reference may lack its semicolon");
	CHECK_STR(entities("tail &"), "tail &", "a trailing ampersand");

	/* Meta tags. */
	CHECK_STR(html_meta_content("<meta property=\"og:description\" content=\"A &amp; B\">", "og:description"),
		  "A & B", "property= with double quotes; entities decoded");
	CHECK_STR(html_meta_content("<META CONTENT='it\"s' NAME='OG:Description'/>", "og:description"), "it\"s",
		  "content before name, single quotes, upper case, self-closing");
	CHECK_STR(html_meta_content("<meta name=og:description content=unquoted>", "og:description"), "unquoted",
		  "unquoted attribute values");
	CHECK_STR(html_meta_content("<meta\nproperty = \"og:description\"\n content = \"spaced\" >", "og:description"),
		  "spaced", "white space around = and between attributes");
	CHECK_STR(html_meta_content("<!-- <meta property=\"og:description\" content=\"no\"> -->"
				    "<script>x='<meta property=\"og:description\" content=\"no\">'</script>"
				    "<style>/* <meta property=\"og:description\" content=\"no\"> */</style>"
				    "<meta property=\"og:description\" content=\"yes\">",
				    "og:description"),
		  "yes", "comments, scripts and styles are skipped");
	ok(html_meta_content("<meta property=\"og:description\">", "og:description") == NULL,
	   "a tag without content gives nothing");
	ok(html_meta_content("<meta property=\"og:description\" content=\"cut off", "og:description") == NULL,
	   "a tag cut off inside a value gives nothing");
	ok(html_meta_content("<metadata property=\"og:description\" content=\"no\">", "og:description") == NULL,
	   "<metadata> is not <meta>");
	ok(html_meta_content("", "og:description") == NULL, "an empty page");

	/* The whole description. */
	CHECK_STR(og("<head><meta charset=\"utf-8\"><meta name=\"description\" content=\"generic\">"
		     "<meta property=\"og:description\" content=\"  The role \">",
		     "text/html; charset=UTF-8"),
		  "The role", "og:description wins over description, trimmed");
	ok(og("<head><meta name=\"description\" content=\"Careers at Example: find your next job.\">"
	      "<meta property=\"og:title\" content=\"Data Engineer\"></head>", NULL) == NULL,
	   "no og:description: NULL, the generic description is not taken instead");
	CHECK_STR(og("<meta property=\"og:description\" content=\"\xDC" "ber &euro;\">",
		     "text/html; charset=ISO-8859-1"),
		  "Über €", "a Latin-1 page, per its Content-Type");
	CHECK_STR(og("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\">"
		     "<meta property=\"og:description\" content=\"You\x92ll earn \x80\">",
		     "text/html"),
		  "You’ll earn €", "a windows-1252 page, per its meta tag");
	CHECK_STR(og("<meta property=\"og:description\" content=\"\">", NULL), "", "an empty og:description is empty");
	ok(og("<p>no meta</p>", NULL) == NULL, "no description at all gives NULL");
	return done_testing();
}
