/* html.c: a detail page's description as correct UTF-8 (html.h).
 *
 * The original fetcher let its HTTP library guess the charset and stored the
 * result, so a UTF-8 page served as "text/html" came out as "Ãber" and
 * "weâ€™re". Here the charset is decided from what the page declares (header,
 * then <meta>), an undeclared page is taken as UTF-8 only when it is valid
 * UTF-8, and every conversion ends in valid UTF-8 without NUL bytes, so what
 * reaches the database (and PostgreSQL after a push) is always storable. */
#include "html.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

#define REPLACEMENT 0xFFFDu

static void put_utf8(struct buf *b, unsigned cp)
{
	char s[4];
	if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		cp = REPLACEMENT;
	if (cp < 0x80) {
		s[0] = (char)cp;
		buf_add(b, s, 1);
	} else if (cp < 0x800) {
		s[0] = (char)(0xC0 | (cp >> 6));
		s[1] = (char)(0x80 | (cp & 0x3F));
		buf_add(b, s, 2);
	} else if (cp < 0x10000) {
		s[0] = (char)(0xE0 | (cp >> 12));
		s[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		s[2] = (char)(0x80 | (cp & 0x3F));
		buf_add(b, s, 3);
	} else {
		s[0] = (char)(0xF0 | (cp >> 18));
		s[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		s[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		s[3] = (char)(0x80 | (cp & 0x3F));
		buf_add(b, s, 4);
	}
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static int is_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* s[0..len) equals the NUL-terminated word, ignoring ASCII case. */
static int eq_nocase(const char *s, size_t len, const char *word)
{
	size_t i = 0;
	for (; i < len && word[i]; i++)
		if (lower((unsigned char)s[i]) != lower((unsigned char)word[i]))
			return 0;
	return i == len && !word[i];
}

/* Charsets ---------------------------------------------------------------- */

/* Windows-1252 0x80..0x9F; the five undefined bytes map to C1 controls, as in
 * the WHATWG encoding standard. */
static const unsigned short cp1252_high[32] = {
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
	0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
	0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

enum html_charset html_charset_from_label(const char *label, size_t len)
{
	static const char *const utf8[] = { "utf-8", "utf8", "unicode-1-1-utf-8", NULL };
	/* Browsers read all of these as windows-1252 (WHATWG); so do we, which
	 * gets the curly quotes of pages that claim Latin-1 right. */
	static const char *const cp1252[] = { "windows-1252", "cp1252", "x-cp1252", "iso-8859-1", "iso8859-1",
					      "iso_8859-1", "iso_8859-1:1987", "latin1", "l1", "iso-ir-100",
					      "csisolatin1", "cp819", "ibm819", "us-ascii", "ascii",
					      "ansi_x3.4-1968", NULL };
	static const char *const latin9[] = { "iso-8859-15", "iso8859-15", "iso_8859-15", "latin-9", "l9",
					      "csisolatin9", NULL };
	while (len && (is_space((unsigned char)*label) || *label == '"' || *label == '\'')) {
		label++;
		len--;
	}
	while (len && (is_space((unsigned char)label[len - 1]) || label[len - 1] == '"' || label[len - 1] == '\''))
		len--;
	for (const char *const *n = utf8; *n; n++)
		if (eq_nocase(label, len, *n))
			return HTML_CS_UTF8;
	for (const char *const *n = cp1252; *n; n++)
		if (eq_nocase(label, len, *n))
			return HTML_CS_CP1252;
	for (const char *const *n = latin9; *n; n++)
		if (eq_nocase(label, len, *n))
			return HTML_CS_LATIN9;
	return HTML_CS_UNKNOWN;
}

/* The charset parameter of a Content-Type value ("text/html; charset=UTF-8"). */
static enum html_charset charset_param(const char *s, size_t len)
{
	const char *end = s + len;
	for (const char *p = s; p + 7 <= end; p++) {
		if (!eq_nocase(p, 7, "charset"))
			continue;
		const char *v = p + 7;
		while (v < end && is_space((unsigned char)*v))
			v++;
		if (v >= end || *v != '=')
			continue;
		v++;
		while (v < end && is_space((unsigned char)*v))
			v++;
		const char *e = v;
		if (e < end && (*e == '"' || *e == '\'')) {
			char q = *e++;
			v = e;
			while (e < end && *e != q)
				e++;
		} else {
			while (e < end && *e != ';' && *e != ',' && !is_space((unsigned char)*e))
				e++;
		}
		return html_charset_from_label(v, (size_t)(e - v));
	}
	return HTML_CS_UNKNOWN;
}

/* Tags --------------------------------------------------------------------- */

struct attr {
	const char *name, *val;
	size_t nlen, vlen;
};

#define MAX_ATTRS 16

struct tag {
	struct attr a[MAX_ATTRS];
	size_t n;
};

static const struct attr *tag_attr(const struct tag *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (eq_nocase(t->a[i].name, t->a[i].nlen, name))
			return &t->a[i];
	return NULL;
}

/* Where the case-insensitive needle next occurs in [p, end), or end. */
static const char *find_nocase(const char *p, const char *end, const char *needle)
{
	size_t n = strlen(needle);
	for (; p + n <= end; p++)
		if (eq_nocase(p, n, needle))
			return p;
	return end;
}

/* Does [p, end) start with "<" name followed by the end of a tag name? */
static int opens(const char *p, const char *end, const char *name)
{
	size_t n = strlen(name);
	if ((size_t)(end - p) < n + 2 || *p != '<' || !eq_nocase(p + 1, n, name))
		return 0;
	char c = p[1 + n];
	return is_space((unsigned char)c) || c == '/' || c == '>';
}

/* Parses the attributes of a tag whose name ends at p; returns where the tag
 * ends (after '>'), or NULL when the text ends inside it. */
static const char *parse_attrs(const char *p, const char *end, struct tag *t)
{
	t->n = 0;
	for (;;) {
		while (p < end && (is_space((unsigned char)*p) || *p == '/'))
			p++;
		if (p >= end)
			return NULL;
		if (*p == '>')
			return p + 1;
		struct attr a = { p, "", 0, 0 };
		while (p < end && !is_space((unsigned char)*p) && *p != '=' && *p != '>' && *p != '/')
			p++;
		a.nlen = (size_t)(p - a.name);
		while (p < end && is_space((unsigned char)*p))
			p++;
		if (p < end && *p == '=') {
			p++;
			while (p < end && is_space((unsigned char)*p))
				p++;
			if (p >= end)
				return NULL;
			if (*p == '"' || *p == '\'') {
				char q = *p++;
				a.val = p;
				while (p < end && *p != q)
					p++;
				if (p >= end)
					return NULL;
				a.vlen = (size_t)(p - a.val);
				p++;
			} else {
				a.val = p;
				while (p < end && !is_space((unsigned char)*p) && *p != '>')
					p++;
				a.vlen = (size_t)(p - a.val);
			}
		}
		if (t->n < MAX_ATTRS)
			t->a[t->n++] = a;
	}
}

/* The next <meta> tag at or after *pos: 1 with t filled, 0 when there is none.
 * Comments and the raw text of <script> and <style> are skipped, so a meta
 * tag quoted in them does not count. */
static int next_meta(const char **pos, const char *end, struct tag *t)
{
	const char *p = *pos;
	while (p < end) {
		p = memchr(p, '<', (size_t)(end - p));
		if (!p)
			break;
		if ((size_t)(end - p) >= 4 && !memcmp(p, "<!--", 4)) {
			const char *c = p + 4;
			for (; c + 3 <= end && memcmp(c, "-->", 3); c++)
				;
			p = c + 3 <= end ? c + 3 : end;
		} else if (opens(p, end, "script") || opens(p, end, "style")) {
			const char *close = find_nocase(p + 1, end, opens(p, end, "script") ? "</script" : "</style");
			p = close < end ? close + 2 : end;
		} else if (opens(p, end, "meta")) {
			const char *after = parse_attrs(p + 5, end, t);
			if (!after)
				break;
			*pos = after;
			return 1;
		} else {
			p++;
		}
	}
	*pos = end;
	return 0;
}

enum html_charset html_charset_detect(const char *content_type, const char *body, size_t len)
{
	if (len >= 3 && !memcmp(body, "\xEF\xBB\xBF", 3))
		return HTML_CS_UTF8;
	if (content_type) {
		enum html_charset cs = charset_param(content_type, strlen(content_type));
		if (cs != HTML_CS_UNKNOWN)
			return cs;
	}
	/* A declaration belongs in the head; 64 KiB covers the heads real job
	 * boards send without scanning whole pages. */
	const char *p = body, *end = body + (len < 65536 ? len : 65536);
	struct tag t;
	while (next_meta(&p, end, &t)) {
		const struct attr *a = tag_attr(&t, "charset");
		if (a)
			return html_charset_from_label(a->val, a->vlen);
		const struct attr *he = tag_attr(&t, "http-equiv"), *c = tag_attr(&t, "content");
		if (he && c && eq_nocase(he->val, he->vlen, "content-type"))
			return charset_param(c->val, c->vlen);
	}
	return HTML_CS_UNKNOWN;
}

/* The length of the valid UTF-8 sequence at s[0..n), or 0 if it is not one. */
static size_t utf8_seq(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned c = s[0];
	size_t need;
	unsigned lo = 0x80, hi = 0xBF;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
		*cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		*cp = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F; /* no surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		*cp = c & 0x07;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F; /* nothing beyond U+10FFFF */
	} else {
		return 0;
	}
	if (n < need + 1)
		return 0;
	for (size_t i = 1; i <= need; i++) {
		unsigned b = s[i];
		if (b < lo || b > hi)
			return 0;
		lo = 0x80;
		hi = 0xBF;
		*cp = (*cp << 6) | (b & 0x3F);
	}
	return need + 1;
}

static int valid_utf8(const char *s, size_t len)
{
	unsigned cp;
	for (size_t i = 0; i < len;) {
		size_t k = utf8_seq((const unsigned char *)s + i, len - i, &cp);
		if (!k)
			return 0;
		i += k;
	}
	return 1;
}

char *html_to_utf8(const char *body, size_t len, enum html_charset cs)
{
	const unsigned char *s = (const unsigned char *)body;
	struct buf b = BUF_INIT;
	if (cs == HTML_CS_UNKNOWN)
		cs = valid_utf8(body, len) ? HTML_CS_UTF8 : HTML_CS_CP1252;
	if (cs == HTML_CS_UTF8 && len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) {
		s += 3;
		len -= 3;
	}
	for (size_t i = 0; i < len;) {
		unsigned c = s[i], cp;
		if (cs == HTML_CS_UTF8) {
			size_t k = utf8_seq(s + i, len - i, &cp);
			if (!k) {
				put_utf8(&b, REPLACEMENT);
				i++;
				continue;
			}
			if (cp == 0)
				put_utf8(&b, REPLACEMENT);
			else
				buf_add(&b, s + i, k);
			i += k;
			continue;
		}
		cp = c;
		if (cs == HTML_CS_CP1252 && c >= 0x80 && c <= 0x9F) {
			cp = cp1252_high[c - 0x80];
		} else if (cs == HTML_CS_LATIN9) {
			switch (c) {
			case 0xA4: cp = 0x20AC; break;
			case 0xA6: cp = 0x0160; break;
			case 0xA8: cp = 0x0161; break;
			case 0xB4: cp = 0x017D; break;
			case 0xB8: cp = 0x017E; break;
			case 0xBC: cp = 0x0152; break;
			case 0xBD: cp = 0x0153; break;
			case 0xBE: cp = 0x0178; break;
			}
		}
		put_utf8(&b, cp);
		i++;
	}
	return buf_detach(&b);
}

/* Entities ----------------------------------------------------------------- */

/* The HTML 4 names of U+00A0..U+00FF, in order. */
static const char *const latin1_names[96] = {
	"nbsp",   "iexcl",  "cent",   "pound",  "curren", "yen",    "brvbar", "sect",   "uml",    "copy",
	"ordf",   "laquo",  "not",    "shy",    "reg",    "macr",   "deg",    "plusmn", "sup2",   "sup3",
	"acute",  "micro",  "para",   "middot", "cedil",  "sup1",   "ordm",   "raquo",  "frac14", "frac12",
	"frac34", "iquest", "Agrave", "Aacute", "Acirc",  "Atilde", "Auml",   "Aring",  "AElig",  "Ccedil",
	"Egrave", "Eacute", "Ecirc",  "Euml",   "Igrave", "Iacute", "Icirc",  "Iuml",   "ETH",    "Ntilde",
	"Ograve", "Oacute", "Ocirc",  "Otilde", "Ouml",   "times",  "Oslash", "Ugrave", "Uacute", "Ucirc",
	"Uuml",   "Yacute", "THORN",  "szlig",  "agrave", "aacute", "acirc",  "atilde", "auml",   "aring",
	"aelig",  "ccedil", "egrave", "eacute", "ecirc",  "euml",   "igrave", "iacute", "icirc",  "iuml",
	"eth",    "ntilde", "ograve", "oacute", "ocirc",  "otilde", "ouml",   "divide", "oslash", "ugrave",
	"uacute", "ucirc",  "uuml",   "yacute", "thorn",  "yuml",
};

/* The other names job boards use: punctuation, typography, a few symbols. */
static const struct {
	const char *name;
	unsigned cp;
} other_names[] = {
	{ "quot", 34 },       { "amp", 38 },        { "apos", 39 },       { "lt", 60 },          { "gt", 62 },
	{ "OElig", 0x152 },   { "oelig", 0x153 },   { "Scaron", 0x160 },  { "scaron", 0x161 },   { "Yuml", 0x178 },
	{ "fnof", 0x192 },    { "circ", 0x2C6 },    { "tilde", 0x2DC },   { "ensp", 0x2002 },    { "emsp", 0x2003 },
	{ "thinsp", 0x2009 }, { "zwnj", 0x200C },   { "zwj", 0x200D },    { "lrm", 0x200E },     { "rlm", 0x200F },
	{ "ndash", 0x2013 },  { "mdash", 0x2014 },  { "lsquo", 0x2018 },  { "rsquo", 0x2019 },   { "sbquo", 0x201A },
	{ "ldquo", 0x201C },  { "rdquo", 0x201D },  { "bdquo", 0x201E },  { "dagger", 0x2020 },  { "Dagger", 0x2021 },
	{ "bull", 0x2022 },   { "hellip", 0x2026 }, { "permil", 0x2030 }, { "prime", 0x2032 },   { "Prime", 0x2033 },
	{ "lsaquo", 0x2039 }, { "rsaquo", 0x203A }, { "oline", 0x203E },  { "euro", 0x20AC },    { "trade", 0x2122 },
	{ "larr", 0x2190 },   { "uarr", 0x2191 },   { "rarr", 0x2192 },   { "darr", 0x2193 },    { "harr", 0x2194 },
	{ "minus", 0x2212 },  { "infin", 0x221E },  { "asymp", 0x2248 },  { "ne", 0x2260 },      { "le", 0x2264 },
	{ "ge", 0x2265 },     { "check", 0x2713 },  { "Tab", 9 },         { "NewLine", 10 },
};

/* The code point a name (case-sensitive, as in HTML) stands for, or 0. */
static unsigned entity_lookup(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_LEN(latin1_names); i++)
		if (strlen(latin1_names[i]) == len && !memcmp(latin1_names[i], name, len))
			return 0xA0 + (unsigned)i;
	for (size_t i = 0; i < ARRAY_LEN(other_names); i++)
		if (strlen(other_names[i].name) == len && !memcmp(other_names[i].name, name, len))
			return other_names[i].cp;
	return 0;
}

/* Names that pages write without the semicolon often enough to honour. */
static int legacy_name(const char *name, size_t len)
{
	static const char *const names[] = { "amp", "lt", "gt", "quot", "nbsp", "copy", "reg", NULL };
	for (const char *const *n = names; *n; n++)
		if (strlen(*n) == len && !memcmp(*n, name, len))
			return 1;
	return 0;
}

char *html_decode_entities(const char *s, size_t len)
{
	struct buf b = BUF_INIT;
	size_t i = 0;
	while (i < len) {
		const char *amp = memchr(s + i, '&', len - i);
		size_t run = amp ? (size_t)(amp - (s + i)) : len - i;
		buf_add(&b, s + i, run);
		i += run;
		if (i >= len)
			break;
		size_t j = i + 1;
		if (j < len && s[j] == '#') {
			j++;
			int hex = j < len && (s[j] == 'x' || s[j] == 'X');
			if (hex)
				j++;
			unsigned long v = 0;
			size_t digits = 0;
			for (; j < len; j++, digits++) {
				int c = (unsigned char)s[j], d;
				if (c >= '0' && c <= '9')
					d = c - '0';
				else if (hex && lower(c) >= 'a' && lower(c) <= 'f')
					d = lower(c) - 'a' + 10;
				else
					break;
				if (v <= 0x10FFFF) /* saturate: anything larger is replaced anyway */
					v = v * (hex ? 16 : 10) + (unsigned long)d;
			}
			if (!digits) {
				buf_putc(&b, '&');
				i++;
				continue;
			}
			if (j < len && s[j] == ';')
				j++;
			if (v >= 0x80 && v <= 0x9F)
				v = cp1252_high[v - 0x80];
			put_utf8(&b, v > 0x10FFFF ? REPLACEMENT : (unsigned)v);
			i = j;
			continue;
		}
		while (j < len && j - i <= 32 && is_alnum((unsigned char)s[j]))
			j++;
		const char *name = s + i + 1;
		size_t nlen = j - i - 1;
		unsigned cp = nlen ? entity_lookup(name, nlen) : 0;
		if (cp && j < len && s[j] == ';') {
			put_utf8(&b, cp);
			i = j + 1;
		} else if (cp && legacy_name(name, nlen) && !(j < len && s[j] == '=')) {
			put_utf8(&b, cp);
			i = j;
		} else {
			buf_putc(&b, '&');
			i++;
		}
	}
	return buf_detach(&b);
}

/* Meta tags ------------------------------------------------------------------ */

char *html_meta_content(const char *html, const char *prop)
{
	const char *p = html, *end = html + strlen(html);
	struct tag t;
	while (next_meta(&p, end, &t)) {
		const struct attr *name = tag_attr(&t, "property");
		if (!name || !eq_nocase(name->val, name->vlen, prop))
			name = tag_attr(&t, "name");
		if (!name || !eq_nocase(name->val, name->vlen, prop))
			continue;
		const struct attr *c = tag_attr(&t, "content");
		if (c)
			return html_decode_entities(c->val, c->vlen);
	}
	return NULL;
}

char *html_og_description(const char *body, size_t len, const char *content_type)
{
	char *text = html_to_utf8(body, len, html_charset_detect(content_type, body, len));
	/* Only og:description: a page without one has no description. Its
	 * generic <meta name="description"> describes the site, not the
	 * posting, and taking it would have it summarised and scored as if it
	 * were the posting. */
	char *d = html_meta_content(text, "og:description");
	free(text);
	return d ? str_trim(d) : NULL;
}
