/* Control characters shown as visible escapes (include/nhir/visible.h). */
#include "compat.h"
#include "nhir/visible.h"

static const char hex[] = "0123456789abcdef";

/*
 * The length of the valid UTF-8 sequence at s (Unicode table 3-7:
 * no overlong forms, no surrogates, nothing past U+10FFFF) and its code
 * point in *cp; 0 when the first byte does not start one.
 */
static size_t utf8_seq(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		*cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		*cp = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		*cp = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if (i > 1 && (s[i] < 0x80 || s[i] > 0xbf))
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	return n;
}

/* Code points above U+007F that are shown as \uNNNN. */
static bool hidden_cp(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e ||
	       cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 ||
	       cp == 0x2029;
}

/*
 * How many bytes at s are shown as they are (*n, 0 when s[0] needs an
 * escape); the code point of the sequence that needs one in *cp, or
 * UINT32_MAX for a byte outside valid UTF-8.
 */
static size_t plain_run(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		if (u[i] >= 0x20 && u[i] < 0x7f) {
			i++;
			continue;
		}
		n = utf8_seq(u + i, len - i, cp);
		if (!n) {
			*cp = UINT32_MAX;
			return i;
		}
		if (*cp < 0x20 || *cp == 0x7f || hidden_cp(*cp))
			return i;
		i += n;
	}
	return i;
}

bool nhir_needs_escape(const char *s, size_t len)
{
	uint32_t cp;

	return plain_run(s, len, &cp) != len;
}

static void add_x(struct nhir_buf *b, unsigned char c)
{
	char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };

	nhir_buf_add(b, e, 4);
}

void nhir_buf_add_visible(struct nhir_buf *b, const char *s, size_t len)
{
	size_t i = 0, n;
	uint32_t cp;

	while (i < len) {
		n = plain_run(s + i, len - i, &cp);
		nhir_buf_add(b, s + i, n);
		i += n;
		if (i >= len)
			break;
		if (cp == UINT32_MAX) {
			add_x(b, (unsigned char)s[i++]);
		} else if (cp == '\n') {
			nhir_buf_add(b, "\\n", 2);
			i++;
		} else if (cp == '\r') {
			nhir_buf_add(b, "\\r", 2);
			i++;
		} else if (cp == '\t') {
			nhir_buf_add(b, "\\t", 2);
			i++;
		} else if (cp < 0x80) {
			add_x(b, (unsigned char)s[i++]);
		} else {
			nhir_buf_addf(b, "\\u%04" PRIx32, cp);
			i += utf8_seq((const unsigned char *)s + i, len - i,
				      &cp);
		}
	}
}

/* ---- the formatter ---- */

/* One conversion: "%[flags][width][.prec][length]conv". */
struct spec {
	char flags[8];
	int width;		/* -1: none */
	int prec;		/* -1: none */
	char length[3];
	char conv;
};

/* Parses the conversion after '%' at *fmt; false if it is not one. */
static bool parse_spec(const char **fmt, struct spec *sp, va_list *ap)
{
	const char *p = *fmt;
	size_t nf = 0, nl = 0;

	memset(sp, 0, sizeof(*sp));
	sp->width = sp->prec = -1;
	while (*p && strchr("-+ #0", *p) && nf < sizeof(sp->flags) - 1)
		sp->flags[nf++] = *p++;
	if (*p == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			if (nf < sizeof(sp->flags) - 1)
				sp->flags[nf++] = '-';
			sp->width = sp->width == INT_MIN ? INT_MAX
							 : -sp->width;
		}
		p++;
	} else {
		for (sp->width = 0; *p >= '0' && *p <= '9'; p++)
			sp->width = NHIR_MIN(sp->width * 10 + (*p - '0'),
					     100000);
	}
	if (*p == '.') {
		p++;
		if (*p == '*') {
			sp->prec = va_arg(*ap, int);
			p++;
		} else {
			for (sp->prec = 0; *p >= '0' && *p <= '9'; p++)
				sp->prec = NHIR_MIN(sp->prec * 10 + (*p - '0'),
						    100000);
		}
	}
	while (*p && strchr("hlLjzt", *p) && nl < sizeof(sp->length) - 1)
		sp->length[nl++] = *p++;
	if (!*p || !strchr("diouxXeEfFgGaAcspn", *p))
		return false;
	sp->conv = *p++;
	*fmt = p;
	return true;
}

/* The spec back as a printf format with width and precision resolved. */
static void spec_format(const struct spec *sp, char *out, size_t len)
{
	char w[16] = "", pr[16] = "";

	if (sp->width > 0)
		snprintf(w, sizeof(w), "%d", sp->width);
	if (sp->prec >= 0)
		snprintf(pr, sizeof(pr), ".%d", sp->prec);
	snprintf(out, len, "%%%s%s%s%s%c", sp->flags, w, pr, sp->length,
		 sp->conv);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
/* A numeric or pointer conversion, through the C library. */
static void add_number(struct nhir_buf *b, const struct spec *sp,
		       va_list *ap)
{
	char f[48];
	const char *l = sp->length;

	spec_format(sp, f, sizeof(f));
	if (sp->conv == 'p') {
		nhir_buf_addf(b, f, va_arg(*ap, void *));
	} else if (strchr("eEfFgGaA", sp->conv)) {
		if (!strcmp(l, "L"))
			nhir_buf_addf(b, f, va_arg(*ap, long double));
		else
			nhir_buf_addf(b, f, va_arg(*ap, double));
	} else if (!strcmp(l, "ll")) {
		nhir_buf_addf(b, f, va_arg(*ap, long long));
	} else if (!strcmp(l, "l")) {
		nhir_buf_addf(b, f, va_arg(*ap, long));
	} else if (!strcmp(l, "j")) {
		nhir_buf_addf(b, f, va_arg(*ap, intmax_t));
	} else if (!strcmp(l, "z")) {
		nhir_buf_addf(b, f, va_arg(*ap, size_t));
	} else if (!strcmp(l, "t")) {
		nhir_buf_addf(b, f, va_arg(*ap, ptrdiff_t));
	} else {
		/* int, and hh / h which promote to int */
		nhir_buf_addf(b, f, va_arg(*ap, int));
	}
}
#pragma GCC diagnostic pop

/* Appends text, padded to the spec's width (in bytes). */
static void add_padded(struct nhir_buf *b, const struct spec *sp,
		       const char *s, size_t len)
{
	size_t pad = sp->width > 0 && (size_t)sp->width > len
			     ? (size_t)sp->width - len : 0;
	bool left = strchr(sp->flags, '-') != NULL;

	if (!left)
		for (size_t i = 0; i < pad; i++)
			nhir_buf_addch(b, ' ');
	nhir_buf_add(b, s, len);
	if (left)
		for (size_t i = 0; i < pad; i++)
			nhir_buf_addch(b, ' ');
}

static void add_string(struct nhir_buf *b, const struct spec *sp,
		       const char *s, size_t len, bool verbatim)
{
	struct nhir_buf e = NHIR_BUF_INIT(0);

	if (verbatim || !nhir_needs_escape(s, len)) {
		add_padded(b, sp, s, len);
		return;
	}
	nhir_buf_add_visible(&e, s, len);
	if (e.err)
		b->err = e.err;
	else
		add_padded(b, sp, e.buf, e.len);
	nhir_buf_release(&e);
}

void nhir_buf_vaddf_visible(struct nhir_buf *b, nhir_verbatim_fn verbatim,
			    const char *fmt, va_list ap)
{
	va_list cp;
	struct spec sp;
	const char *p = fmt, *pct, *s;
	char c;

	va_copy(cp, ap);
	while (*p && !b->err) {
		pct = strchr(p, '%');
		if (!pct) {
			nhir_buf_adds(b, p);
			break;
		}
		nhir_buf_add(b, p, (size_t)(pct - p));
		p = pct + 1;
		if (*p == '%') {
			nhir_buf_addch(b, '%');
			p++;
			continue;
		}
		if (!parse_spec(&p, &sp, &cp) || sp.conv == 'n') {
			b->err = NHIR_EINVAL;
			break;
		}
		if (sp.conv == 's') {
			s = va_arg(cp, const char *);
			if (!s)
				s = "(null)";
			add_string(b, &sp, s, sp.prec >= 0
				   ? strnlen(s, (size_t)sp.prec) : strlen(s),
				   verbatim && verbatim(s));
		} else if (sp.conv == 'c') {
			c = (char)va_arg(cp, int);
			add_string(b, &sp, &c, 1, false);
		} else {
			add_number(b, &sp, &cp);
		}
	}
	va_end(cp);
}

void nhir_buf_addf_visible(struct nhir_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nhir_buf_vaddf_visible(b, NULL, fmt, ap);
	va_end(ap);
}
