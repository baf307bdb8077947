#include "compat.h"
#include "nhir/buf.h"

char nhir_buf_empty[1];

void nhir_buf_init(struct nhir_buf *b, size_t max)
{
	b->buf = nhir_buf_empty;
	b->len = 0;
	b->alloc = 0;
	b->max = max;
	b->err = NHIR_OK;
}

void nhir_buf_release(struct nhir_buf *b)
{
	if (b->alloc)
		nhir_free(b->buf);
	nhir_buf_init(b, b->max);
}

void nhir_buf_reset(struct nhir_buf *b)
{
	b->len = 0;
	b->buf[0] = 0;
	b->err = NHIR_OK;
}

char *nhir_buf_detach(struct nhir_buf *b, size_t *len)
{
	char *p;

	if (b->err) {
		nhir_buf_release(b);
		return NULL;
	}
	if (!b->alloc) {
		p = nhir_strdup("");
	} else {
		p = b->buf;
		b->alloc = 0;
	}
	if (len)
		*len = p ? b->len : 0;
	nhir_buf_init(b, b->max);
	return p;
}

/* Makes room for n more bytes plus the NUL; false on a (sticky) error. */
static bool grow(struct nhir_buf *b, size_t n)
{
	size_t want, cap = b->max ? b->max : NHIR_BUF_MAX_DEFAULT;
	char *old = b->alloc ? b->buf : NULL;
	size_t alloc = b->alloc;

	if (b->err)
		return false;
	if (!nhir_st_add(b->len, n, &want) || want > cap) {
		b->err = NHIR_ETOOBIG;
		return false;
	}
	if (want + 1 <= b->alloc)
		return true;
	if (nhir_alloc_grow((void **)&old, want + 1, &alloc, 1)) {
		b->err = NHIR_ENOMEM;
		return false;
	}
	if (!b->alloc)
		old[0] = 0;
	b->buf = old;
	b->alloc = alloc;
	return true;
}

void nhir_buf_add(struct nhir_buf *b, const void *data, size_t len)
{
	if (!grow(b, len))
		return;
	if (len)
		memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = 0;
}

void nhir_buf_adds(struct nhir_buf *b, const char *s)
{
	nhir_buf_add(b, s, strlen(s));
}

void nhir_buf_addch(struct nhir_buf *b, char c)
{
	nhir_buf_add(b, &c, 1);
}

void nhir_buf_vaddf(struct nhir_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	if (b->err)
		return;
	va_copy(cp, ap);
	n = vsnprintf(b->buf + b->len, b->alloc ? b->alloc - b->len : 0,
		      fmt, cp);
	va_end(cp);
	if (n < 0) {
		b->err = NHIR_EINVAL;
		return;
	}
	if (b->alloc && (size_t)n < b->alloc - b->len) {
		b->len += n;
		return;
	}
	if (!grow(b, (size_t)n))
		return;
	vsnprintf(b->buf + b->len, b->alloc - b->len, fmt, ap);
	b->len += n;
}

void nhir_buf_addf(struct nhir_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nhir_buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void nhir_buf_add_json_str(struct nhir_buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, start = 0;

	nhir_buf_addch(b, '"');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6];

		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		nhir_buf_add(b, s + start, i - start);
		start = i + 1;
		switch (c) {
		case '"': nhir_buf_add(b, "\\\"", 2); break;
		case '\\': nhir_buf_add(b, "\\\\", 2); break;
		case '\n': nhir_buf_add(b, "\\n", 2); break;
		case '\r': nhir_buf_add(b, "\\r", 2); break;
		case '\t': nhir_buf_add(b, "\\t", 2); break;
		default:
			esc[0] = '\\';
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			nhir_buf_add(b, esc, 6);
		}
	}
	nhir_buf_add(b, s + start, len - start);
	nhir_buf_addch(b, '"');
}
