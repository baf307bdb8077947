/*
 * A strict reader of the XML AWS's Query APIs answer with (iamxml.h).
 * Recursive descent over the bytes, depth-limited; every error names
 * the byte offset where the input went wrong.
 */
#include "compat.h"
#include <ctype.h>
#include "core/alloc.h"
#include "nhir/buf.h"
#include "plan/iamxml.h"

struct xp {
	const char *s;
	size_t len, pos, elements;
	const char *what;
	struct nhir_err *err;
};

static enum nhir_rc bad(struct xp *p, const char *why)
{
	return nhir_err_set(p->err, NHIR_EPARSE, "%s: byte %zu: %s", p->what,
			    p->pos, why);
}

static bool at(const struct xp *p, const char *lit)
{
	size_t n = strlen(lit);

	return p->len - p->pos >= n && !memcmp(p->s + p->pos, lit, n);
}

static bool space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void skip_space(struct xp *p)
{
	while (p->pos < p->len && space(p->s[p->pos]))
		p->pos++;
}

static bool name_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c == ':' || c >= 0x80;
}

static bool name_char(unsigned char c)
{
	return name_start(c) || isdigit(c) || c == '-' || c == '.';
}

/* A name at p: its length, 0 if there is none. */
static size_t name_len(const struct xp *p)
{
	size_t n = 0;

	if (p->pos >= p->len || !name_start((unsigned char)p->s[p->pos]))
		return 0;
	while (p->pos + n < p->len &&
	       name_char((unsigned char)p->s[p->pos + n]))
		n++;
	return n;
}

/* Skips up to and past end ("-->", "?>"); an error if it never comes. */
static enum nhir_rc skip_to(struct xp *p, const char *end, const char *why)
{
	size_t start = p->pos;

	for (; p->pos < p->len; p->pos++)
		if (at(p, end)) {
			p->pos += strlen(end);
			return NHIR_OK;
		}
	p->pos = start;
	return bad(p, why);
}

/* Comments, processing instructions and space between elements. */
static enum nhir_rc skip_misc(struct xp *p)
{
	enum nhir_rc rc = NHIR_OK;

	for (;;) {
		skip_space(p);
		if (at(p, "<!--"))
			rc = skip_to(p, "-->", "a comment that does not end");
		else if (at(p, "<?"))
			rc = skip_to(p, "?>", "a processing instruction that "
				     "does not end");
		else if (at(p, "<!"))
			return bad(p, "a document type declaration (refused)");
		else
			return NHIR_OK;
		if (rc)
			return rc;
	}
}

static void add_utf8(struct nhir_buf *b, unsigned long c)
{
	if (c < 0x80) {
		nhir_buf_addch(b, (char)c);
	} else if (c < 0x800) {
		nhir_buf_addch(b, (char)(0xc0 | (c >> 6)));
		nhir_buf_addch(b, (char)(0x80 | (c & 0x3f)));
	} else if (c < 0x10000) {
		nhir_buf_addch(b, (char)(0xe0 | (c >> 12)));
		nhir_buf_addch(b, (char)(0x80 | ((c >> 6) & 0x3f)));
		nhir_buf_addch(b, (char)(0x80 | (c & 0x3f)));
	} else {
		nhir_buf_addch(b, (char)(0xf0 | (c >> 18)));
		nhir_buf_addch(b, (char)(0x80 | ((c >> 12) & 0x3f)));
		nhir_buf_addch(b, (char)(0x80 | ((c >> 6) & 0x3f)));
		nhir_buf_addch(b, (char)(0x80 | (c & 0x3f)));
	}
}

/* An entity or character reference at p ('&'), decoded into b. */
static enum nhir_rc entity(struct xp *p, struct nhir_buf *b)
{
	static const struct {
		const char *name;
		char c;
	} named[] = { { "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' },
		      { "&quot;", '"' }, { "&apos;", '\'' } };
	unsigned long c = 0;
	size_t i = p->pos + 2, digits = 0;
	bool hex;

	for (size_t k = 0; k < NHIR_ARRAY_SIZE(named); k++)
		if (at(p, named[k].name)) {
			nhir_buf_addch(b, named[k].c);
			p->pos += strlen(named[k].name);
			return NHIR_OK;
		}
	if (!at(p, "&#"))
		return bad(p, "an '&' that is not one of the five entities "
			   "or a character reference");
	hex = i < p->len && p->s[i] == 'x';
	if (hex)
		i++;
	for (; i < p->len && p->s[i] != ';' && digits < 8; i++, digits++) {
		unsigned char d = (unsigned char)p->s[i];

		if (hex && isxdigit(d))
			c = c * 16 + (unsigned long)(isdigit(d) ? d - '0'
						     : (tolower(d) - 'a' + 10));
		else if (!hex && isdigit(d))
			c = c * 10 + (unsigned long)(d - '0');
		else
			return bad(p, "a bad character reference");
	}
	if (!digits || i >= p->len || p->s[i] != ';' || !c || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff) ||
	    (c < 0x20 && c != '\t' && c != '\n' && c != '\r'))
		return bad(p, "a bad character reference");
	add_utf8(b, c);
	p->pos = i + 1;
	return NHIR_OK;
}

/* Attributes up to '>' or "/>": read past, but each well formed. */
static enum nhir_rc attributes(struct xp *p)
{
	for (;;) {
		size_t n;
		char q;

		skip_space(p);
		if (p->pos >= p->len)
			return bad(p, "a start tag that does not end");
		if (p->s[p->pos] == '>' || at(p, "/>"))
			return NHIR_OK;
		n = name_len(p);
		if (!n)
			return bad(p, "an attribute without a name");
		p->pos += n;
		skip_space(p);
		if (p->pos >= p->len || p->s[p->pos] != '=')
			return bad(p, "an attribute without '='");
		p->pos++;
		skip_space(p);
		if (p->pos >= p->len || (p->s[p->pos] != '"' &&
					 p->s[p->pos] != '\''))
			return bad(p, "an attribute value not in quotes");
		q = p->s[p->pos++];
		while (p->pos < p->len && p->s[p->pos] != q) {
			if (p->s[p->pos] == '<')
				return bad(p, "'<' in an attribute value");
			p->pos++;
		}
		if (p->pos >= p->len)
			return bad(p, "an attribute value that does not end");
		p->pos++;
	}
}

static char *trimmed(struct nhir_buf *b)
{
	size_t a = 0, e = b->len;

	while (a < e && space(b->buf[a]))
		a++;
	while (e > a && space(b->buf[e - 1]))
		e--;
	return nhir_strndup(b->len ? b->buf + a : "", e - a);
}

static enum nhir_rc element(struct xp *p, int depth, struct nhir_xml **out);

/* The content of an element up to its end tag (not read). */
static enum nhir_rc content(struct xp *p, int depth, struct nhir_xml *x,
			    struct nhir_buf *text)
{
	struct nhir_xml **tail = &x->child;
	enum nhir_rc rc;

	for (;;) {
		unsigned char c;

		if (p->pos >= p->len)
			return bad(p, "the document ends inside an element");
		c = (unsigned char)p->s[p->pos];
		if (at(p, "</"))
			return NHIR_OK;
		if (at(p, "<!--")) {
			rc = skip_to(p, "-->", "a comment that does not end");
		} else if (at(p, "<![CDATA[")) {
			size_t start = p->pos + 9;

			p->pos = start;
			rc = skip_to(p, "]]>", "a CDATA section that does "
				     "not end");
			if (!rc)
				nhir_buf_add(text, p->s + start,
					     p->pos - 3 - start);
		} else if (at(p, "<?")) {
			rc = skip_to(p, "?>", "a processing instruction that "
				     "does not end");
		} else if (at(p, "<!")) {
			rc = bad(p, "a declaration inside an element");
		} else if (c == '<') {
			rc = element(p, depth + 1, tail);
			if (!rc)
				tail = &(*tail)->next;
		} else if (c == '&') {
			rc = entity(p, text);
		} else if (c < 0x20 && !space((char)c)) {
			rc = bad(p, "a control character");
		} else if (at(p, "]]>")) {
			rc = bad(p, "']]>' outside a CDATA section");
		} else {
			nhir_buf_addch(text, (char)c);
			p->pos++;
			rc = NHIR_OK;
		}
		if (rc)
			return rc;
		if (text->err)
			return nhir_err_set(p->err, NHIR_ENOMEM, "out of memory");
	}
}

static enum nhir_rc element(struct xp *p, int depth, struct nhir_xml **out)
{
	struct nhir_buf text = NHIR_BUF_INIT(NHIR_XML_MAX_BYTES);
	struct nhir_xml *x;
	size_t n, start = p->pos;
	enum nhir_rc rc;

	if (depth >= NHIR_XML_MAX_DEPTH)
		return bad(p, "elements nested too deep");
	if (++p->elements > NHIR_XML_MAX_ELEMENTS)
		return bad(p, "too many elements");
	p->pos++;	/* '<' */
	n = name_len(p);
	if (!n)
		return bad(p, "a tag without a name");
	x = nhir_calloc(1, sizeof(*x));
	if (!x || !(x->name = nhir_strndup(p->s + p->pos, n))) {
		nhir_free(x);
		return nhir_err_set(p->err, NHIR_ENOMEM, "out of memory");
	}
	*out = x;
	p->pos += n;
	rc = attributes(p);
	if (rc)
		return rc;
	if (at(p, "/>")) {
		p->pos += 2;
	} else {
		p->pos++;	/* '>' */
		rc = content(p, depth, x, &text);
		if (!rc) {
			p->pos += 2;	/* "</" */
			if (name_len(p) != n || memcmp(p->s + p->pos, x->name, n)) {
				rc = nhir_err_set(p->err, NHIR_EPARSE, "%s: "
						  "byte %zu: the end tag does "
						  "not close <%s> (byte %zu)",
						  p->what, p->pos, x->name,
						  start);
			} else {
				p->pos += n;
				skip_space(p);
				if (p->pos >= p->len || p->s[p->pos] != '>')
					rc = bad(p, "an end tag that does not "
						 "end with '>'");
				else
					p->pos++;
			}
		}
	}
	if (!rc) {
		x->text = trimmed(&text);
		if (!x->text)
			rc = nhir_err_set(p->err, NHIR_ENOMEM, "out of memory");
	}
	nhir_buf_release(&text);
	return rc;
}

enum nhir_rc nhir_xml_parse(const char *data, size_t len, const char *what,
			    struct nhir_xml **out, struct nhir_err *err)
{
	struct xp p = { data, len, 0, 0, what, err };
	enum nhir_rc rc;

	*out = NULL;
	if (len > NHIR_XML_MAX_BYTES)
		return nhir_err_set(err, NHIR_ETOOBIG, "%s: over %zu bytes",
				    what, NHIR_XML_MAX_BYTES);
	if (at(&p, "\xef\xbb\xbf"))
		p.pos = 3;
	rc = skip_misc(&p);
	if (rc)
		return rc;
	if (p.pos >= len || data[p.pos] != '<')
		return bad(&p, len ? "not XML: no element" : "empty");
	rc = element(&p, 0, out);
	if (!rc)
		rc = skip_misc(&p);
	if (!rc && p.pos < len)
		rc = bad(&p, "more after the document's element");
	if (rc) {
		nhir_xml_free(*out);
		*out = NULL;
	}
	return rc;
}

void nhir_xml_free(struct nhir_xml *x)
{
	while (x) {
		struct nhir_xml *next = x->next;

		nhir_xml_free(x->child);
		nhir_free(x->name);
		nhir_free(x->text);
		nhir_free(x);
		x = next;
	}
}

static bool local_is(const char *name, const char *want, size_t n)
{
	const char *colon = strrchr(name, ':');

	if (colon)
		name = colon + 1;
	return strlen(name) == n && !memcmp(name, want, n);
}

static const struct nhir_xml *child_n(const struct nhir_xml *x,
				      const char *name, size_t n)
{
	for (x = x ? x->child : NULL; x; x = x->next)
		if (local_is(x->name, name, n))
			return x;
	return NULL;
}

const struct nhir_xml *nhir_xml_child(const struct nhir_xml *x,
				      const char *name)
{
	return child_n(x, name, strlen(name));
}

const struct nhir_xml *nhir_xml_at(const struct nhir_xml *x, const char *path)
{
	while (x && *path) {
		const char *slash = strchr(path, '/');
		size_t n = slash ? (size_t)(slash - path) : strlen(path);

		x = child_n(x, path, n);
		path += n + (slash ? 1 : 0);
	}
	return x;
}

const char *nhir_xml_text(const struct nhir_xml *x, const char *path)
{
	x = nhir_xml_at(x, path);
	return x ? x->text : NULL;
}
