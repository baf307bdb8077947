/*
 * A non-recursive structural scanner.  It checks what it needs to find
 * value boundaries: bracket matching (with a bit stack, so depth is
 * bounded by NHIR_MAX_JSON_DEPTH), terminated strings, and separators.
 * Scalars and string contents are checked later by cJSON.
 */
#include "compat.h"
#include "nhir/ingest.h"
#include "ingest/json.h"
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define NHIR_JSON_AVX2 1
#endif

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t skip_ws(const char *d, size_t len, size_t i)
{
	while (i < len && is_ws(d[i]))
		i++;
	return i;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/*
 * Skips the string starting at d[i] == '"'; returns the offset after it,
 * or SIZE_MAX with *bad at the problem.  Raw control characters and
 * unknown escapes are errors, as RFC 8259 says.
 */
/*
 * Eight bytes at a time (SWAR): is any byte a quote, a backslash or a
 * control character?  Most of a string is none of these.
 */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/*
 * The high bit of each such byte is set in the result; the lowest one
 * set is always a true one (a false one only follows a true one).
 */
static uint64_t special8(const char *p)
{
	uint64_t x, q, b;

	memcpy(&x, p, 8);
	q = x ^ (ONES * '"');
	b = x ^ (ONES * '\\');
	return (((q - ONES) & ~q) | ((b - ONES) & ~b) | (x - ONES * 0x20)) &
	       ~x & HIGHS;
}

/* The offset of the first such byte in p[0..8) flagged by m (not 0). */
static size_t first8(uint64_t m)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
	__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (size_t)__builtin_ctzll(m) / 8;
#else
	(void)m;
	return 0;	/* the bytes are then looked at one by one */
#endif
}

static size_t skip_string(const char *d, size_t len, size_t i, size_t *bad)
{
	for (i++; i < len; i++) {
		unsigned char c;

		while (i + 8 <= len) {
			uint64_t m = special8(d + i);

			if (m) {
				i += first8(m);
				break;
			}
			i += 8;
		}
		if (i >= len)
			break;
		c = (unsigned char)d[i];

		if (c == '"')
			return i + 1;
		if (c < 0x20) {
			*bad = i;
			return SIZE_MAX;
		}
		if (c != '\\')
			continue;
		if (++i >= len)
			break;
		switch (d[i]) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n':
		case 'r': case 't':
			break;
		case 'u':
			if (len - i < 5 || !is_hex(d[i + 1]) ||
			    !is_hex(d[i + 2]) || !is_hex(d[i + 3]) ||
			    !is_hex(d[i + 4])) {
				*bad = i - 1;
				return SIZE_MAX;
			}
			i += 4;
			break;
		default:
			*bad = i - 1;
			return SIZE_MAX;
		}
	}
	*bad = len;
	return SIZE_MAX;
}

/* true, false, null, or a number as RFC 8259 writes it. */
static bool valid_scalar(const char *p, size_t n)
{
	size_t i = 0;

	if ((n == 4 && !memcmp(p, "true", 4)) ||
	    (n == 5 && !memcmp(p, "false", 5)) ||
	    (n == 4 && !memcmp(p, "null", 4)))
		return true;
	if (i < n && p[i] == '-')
		i++;
	if (i < n && p[i] == '0')
		i++;
	else if (i < n && p[i] >= '1' && p[i] <= '9')
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	else
		return false;
	if (i < n && p[i] == '.') {
		size_t s = ++i;

		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == s)
			return false;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		size_t s;

		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		s = i;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == s)
			return false;
	}
	return i == n;
}

bool nhir_json_wide = true;
bool nhir_json_avx2 = true;

#ifdef __SSE2__
/*
 * The fast way over an object or array that is plainly well formed, 64
 * bytes at a time (the way simdjson finds structure): masks of quotes,
 * backslashes, control characters, brackets and the other structural
 * and blank bytes; a prefix XOR of the quotes says which bytes are in a
 * string.  Only brackets and the starts of scalars outside strings are
 * then looked at one by one.  It gives up (SIZE_MAX, and skip_value()
 * goes the careful way from the start, with its messages) on anything
 * else: a backslash, a control character in a string, a scalar that is
 * not valid, nesting too deep, or the end of the data before the end
 * of the value.  What it accepts the careful way accepts, with the same
 * end.
 */
static uint64_t mask16(__m128i x, char c)
{
	return (uint64_t)(unsigned)_mm_movemask_epi8(
		_mm_cmpeq_epi8(x, _mm_set1_epi8(c)));
}

struct block {
	uint64_t quote, bslash, ctrl, open, close, other;
};

static void classify(const char *p, struct block *b)
{
	memset(b, 0, sizeof(*b));
	for (int k = 0; k < 4; k++) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)
					    (p + 16 * k));
		int sh = 16 * k;
		uint64_t ctrl = (uint64_t)(unsigned)_mm_movemask_epi8(
			_mm_cmpeq_epi8(_mm_and_si128(x, _mm_set1_epi8(
				(char)0xe0)), _mm_setzero_si128()));
		uint64_t ws = mask16(x, ' ') | mask16(x, '\t') |
			      mask16(x, '\n') | mask16(x, '\r');

		b->quote |= mask16(x, '"') << sh;
		b->bslash |= mask16(x, '\\') << sh;
		b->ctrl |= ctrl << sh;
		b->open |= (mask16(x, '{') | mask16(x, '[')) << sh;
		b->close |= (mask16(x, '}') | mask16(x, ']')) << sh;
		b->other |= (ws | mask16(x, ',') | mask16(x, ':')) << sh;
	}
}

static uint64_t prefix_xor(uint64_t x)
{
	x ^= x << 1;
	x ^= x << 2;
	x ^= x << 4;
	x ^= x << 8;
	x ^= x << 16;
	x ^= x << 32;
	return x;
}

/*
 * The walk over d[i..] given the way blocks are classified; each
 * instance below has classify() inlined for its instruction set.
 */
static inline __attribute__((always_inline)) size_t
skip_blocks(const char *d, size_t len, size_t i,
	    void (*cls)(const char *, struct block *))
{
	unsigned char stack[NHIR_MAX_JSON_DEPTH / 8];
	unsigned depth = 0;
	uint64_t in_carry = 0, scal_carry = 0;
	char pad[64];

	if (i >= len || (d[i] != '{' && d[i] != '['))
		return SIZE_MAX;
	for (size_t at = i; at < len; at += 64) {
		const char *p = d + at;
		struct block b;
		uint64_t in, scal, starts, tok;

		if (len - at < 64) {
			/* the last bytes, padded with blanks */
			memset(pad, ' ', sizeof(pad));
			memcpy(pad, p, len - at);
			p = pad;
		}
		cls(p, &b);
		if (b.bslash)
			return SIZE_MAX;
		/* in a string: from its opening quote up to its closing one */
		in = prefix_xor(b.quote) ^ in_carry;
		in_carry = 0 - (in >> 63);
		/* a control character (a tab too) in a string, or one
		 * outside that is not a blank */
		if ((in & b.ctrl) || (~in & b.ctrl & ~b.other))
			return SIZE_MAX;
		scal = ~(in | b.quote | b.open | b.close | b.other);
		starts = scal & ~(scal << 1 | scal_carry);
		scal_carry = scal >> 63;
		tok = ((b.open | b.close) & ~in) | starts;
		while (tok) {
			size_t o = (size_t)__builtin_ctzll(tok), e;
			size_t pos = at + o;
			char c = d[pos];

			tok &= tok - 1;
			if (c == '{' || c == '[') {
				if (depth >= NHIR_MAX_JSON_DEPTH)
					return SIZE_MAX;
				if (c == '{')
					stack[depth / 8] |= (unsigned char)
						(1u << (depth % 8));
				else
					stack[depth / 8] &= (unsigned char)
						~(1u << (depth % 8));
				depth++;
			} else if (c == '}' || c == ']') {
				bool obj;

				if (!depth)
					return SIZE_MAX;
				obj = stack[(depth - 1) / 8] &
				      (1u << ((depth - 1) % 8));
				if (obj != (c == '}'))
					return SIZE_MAX;
				if (!--depth)
					return pos + 1;
			} else {
				/* a scalar: to the next structural or blank */
				for (e = pos; e < len && !is_ws(d[e]) &&
				     d[e] != ',' && d[e] != ':' && d[e] != ']' &&
				     d[e] != '}' && d[e] != '[' && d[e] != '{' &&
				     d[e] != '"'; e++)
					;
				if (e >= len || !valid_scalar(d + pos, e - pos))
					return SIZE_MAX;
			}
		}
	}
	return SIZE_MAX;
}
static size_t skip_sse2(const char *d, size_t len, size_t i)
{
	return skip_blocks(d, len, i, classify);
}

#ifdef NHIR_JSON_AVX2
/*
 * The same classes 32 bytes at a time: '{' and '[' (and '}' and ']')
 * differ only in the bit 0x20; blanks and ',' by a table looked up by
 * the low four bits (a byte with the high bit set looks up 0), ':' by
 * one compare (its low four bits are those of '\n').
 */
__attribute__((target("avx2")))
static inline __attribute__((always_inline)) uint64_t
mask32(__m256i m)
{
	return (uint64_t)(uint32_t)_mm256_movemask_epi8(m);
}

__attribute__((target("avx2")))
static inline __attribute__((always_inline)) void
classify_avx2(const char *p, struct block *b)
{
	const __m256i blank = _mm256_setr_epi8(
		' ', -1, -1, -1, -1, -1, -1, -1, -1, '\t', '\n', -1, ',', '\r',
		-1, 0,
		' ', -1, -1, -1, -1, -1, -1, -1, -1, '\t', '\n', -1, ',', '\r',
		-1, 0);

	for (int k = 0; k < 2; k++) {
		__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)
					       (p + 32 * k));
		__m256i lo = _mm256_or_si256(x, _mm256_set1_epi8(0x20));
		int sh = 32 * k;
		uint64_t quote = mask32(_mm256_cmpeq_epi8(x,
					_mm256_set1_epi8('"')));
		uint64_t bslash = mask32(_mm256_cmpeq_epi8(x,
					 _mm256_set1_epi8('\\')));
		uint64_t ctrl = mask32(_mm256_cmpeq_epi8(_mm256_min_epu8(x,
					_mm256_set1_epi8(0x1f)), x));
		uint64_t open = mask32(_mm256_cmpeq_epi8(lo,
				       _mm256_set1_epi8('{')));
		uint64_t close = mask32(_mm256_cmpeq_epi8(lo,
					_mm256_set1_epi8('}')));
		uint64_t other = mask32(_mm256_or_si256(
			_mm256_cmpeq_epi8(_mm256_shuffle_epi8(blank, x), x),
			_mm256_cmpeq_epi8(x, _mm256_set1_epi8(':'))));

		if (!k) {
			b->quote = quote;
			b->bslash = bslash;
			b->ctrl = ctrl;
			b->open = open;
			b->close = close;
			b->other = other;
		} else {
			b->quote |= quote << sh;
			b->bslash |= bslash << sh;
			b->ctrl |= ctrl << sh;
			b->open |= open << sh;
			b->close |= close << sh;
			b->other |= other << sh;
		}
	}
}

__attribute__((target("avx2")))
static size_t skip_avx2(const char *d, size_t len, size_t i)
{
	return skip_blocks(d, len, i, classify_avx2);
}
#endif

/* The widest way the processor has (nhir_json_avx2 says which). */
static size_t skip_fast(const char *d, size_t len, size_t i)
{
#ifdef NHIR_JSON_AVX2
	if (nhir_json_avx2 && __builtin_cpu_supports("avx2"))
		return skip_avx2(d, len, i);
#endif
	return skip_sse2(d, len, i);
}
#endif

/*
 * Skips one value at d[i]; returns the offset after it, or SIZE_MAX with
 * *bad and a message on error.
 */
static size_t skip_value(const char *d, size_t len, size_t i, size_t *bad,
			 bool *more, struct nhir_err *err)
{
	unsigned char stack[NHIR_MAX_JSON_DEPTH / 8];
	unsigned depth = 0;

	*more = false;
	i = skip_ws(d, len, i);
#ifdef __SSE2__
	if (nhir_json_wide) {
		size_t e = skip_fast(d, len, i);

		if (e != SIZE_MAX)
			return e;
	}
#endif
	if (i >= len) {
		*bad = i;
		*more = true;
		nhir_err_set(err, NHIR_EPARSE, "unexpected end of input");
		return SIZE_MAX;
	}
	for (;;) {
		char c;

		i = skip_ws(d, len, i);
		if (i >= len) {
			*more = true;
			*bad = i;
			nhir_err_set(err, NHIR_EPARSE,
				     "unexpected end of input (unclosed %s)",
				     depth ? "array or object" : "value");
			return SIZE_MAX;
		}
		c = d[i];
		if (c == '{' || c == '[') {
			if (depth >= NHIR_MAX_JSON_DEPTH) {
				*bad = i;
				nhir_err_set(err, NHIR_EPARSE,
					     "nesting deeper than %d",
					     NHIR_MAX_JSON_DEPTH);
				return SIZE_MAX;
			}
			if (c == '{')
				stack[depth / 8] |= (unsigned char)(1u << (depth % 8));
			else
				stack[depth / 8] &= (unsigned char)~(1u << (depth % 8));
			depth++;
			i++;
			continue;
		}
		if (c == '}' || c == ']') {
			bool obj;

			if (!depth) {
				*bad = i;
				nhir_err_set(err, NHIR_EPARSE,
					     "unexpected '%c'", c);
				return SIZE_MAX;
			}
			obj = stack[(depth - 1) / 8] & (1u << ((depth - 1) % 8));
			if (obj != (c == '}')) {
				*bad = i;
				nhir_err_set(err, NHIR_EPARSE,
					     "mismatched '%c'", c);
				return SIZE_MAX;
			}
			depth--;
			i++;
		} else if (c == '"') {
			size_t e = skip_string(d, len, i, bad);

			if (e == SIZE_MAX) {
				bool end = *bad >= len;

				*more = end;
				if (end)
					*bad = i;
				nhir_err_set(err, NHIR_EPARSE, "%s",
					     end ? "unterminated string"
						 : "bad character or escape "
						   "in string");
				return SIZE_MAX;
			}
			i = e;
		} else if (c == ',' || c == ':') {
			if (!depth) {
				*bad = i;
				nhir_err_set(err, NHIR_EPARSE,
					     "unexpected '%c'", c);
				return SIZE_MAX;
			}
			i++;
			continue;
		} else {
			size_t s = i;

			while (i < len && !is_ws(d[i]) && d[i] != ',' &&
			       d[i] != ':' && d[i] != ']' && d[i] != '}' &&
			       d[i] != '[' && d[i] != '{' && d[i] != '"')
				i++;
			/*
			 * Inside a container a scalar cut by the end of the
			 * data may go on in more data.
			 */
			if (i >= len && depth) {
				*more = true;
				*bad = i;
				nhir_err_set(err, NHIR_EPARSE,
					     "unexpected end of input");
				return SIZE_MAX;
			}
			if (i == s || !valid_scalar(d + s, i - s)) {
				*bad = s;
				nhir_err_set(err, NHIR_EPARSE,
					     "unexpected character");
				return SIZE_MAX;
			}
		}
		if (!depth)
			return i;
	}
}

enum nhir_rc nhir_json_values(const char *data, size_t len, nhir_json_cb cb,
			      void *ctx, size_t *bad_off,
			      struct nhir_err *err)
{
	size_t i = 0;

	/* A UTF-8 byte order mark is tolerated at the start. */
	if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3))
		i = 3;
	for (;;) {
		struct nhir_json_span sp = { NULL, 0, 0, 0 };
		size_t e;
		bool more;

		i = skip_ws(data, len, i);
		if (i >= len)
			return NHIR_OK;
		e = skip_value(data, len, i, bad_off, &more, err);
		if (e == SIZE_MAX)
			return NHIR_EPARSE;
		sp.off = i;
		sp.len = e - i;
		if (cb(ctx, &sp))
			return NHIR_OK;
		i = e;
	}
}

enum nhir_json_end nhir_json_value_end(const char *data, size_t len,
				       size_t off, size_t *end,
				       size_t *bad_off, struct nhir_err *err)
{
	bool more = false;
	size_t e = skip_value(data, len, off, bad_off, &more, err);

	if (e != SIZE_MAX) {
		*end = e;
		return NHIR_JSON_COMPLETE;
	}
	return more ? NHIR_JSON_MORE : NHIR_JSON_BAD;
}

enum nhir_rc nhir_json_children(const char *data, size_t len, size_t off,
				nhir_json_cb cb, void *ctx, size_t *bad_off,
				struct nhir_err *err)
{
	size_t i = skip_ws(data, len, off);
	bool obj, more;
	char close;

	if (i >= len || (data[i] != '{' && data[i] != '[')) {
		*bad_off = i;
		return nhir_err_set(err, NHIR_EPARSE,
				    "expected an object or an array");
	}
	obj = data[i] == '{';
	close = obj ? '}' : ']';
	i = skip_ws(data, len, i + 1);
	if (i < len && data[i] == close)
		return NHIR_OK;
	for (;;) {
		struct nhir_json_span sp = { NULL, 0, 0, 0 };
		size_t e;

		i = skip_ws(data, len, i);
		if (obj) {
			if (i >= len || data[i] != '"') {
				*bad_off = i;
				return nhir_err_set(err, NHIR_EPARSE,
						    "expected a member name");
			}
			e = skip_string(data, len, i, bad_off);
			if (e == SIZE_MAX) {
				if (*bad_off >= len)
					*bad_off = i;
				return nhir_err_set(err, NHIR_EPARSE,
						    "bad member name");
			}
			sp.key = data + i + 1;
			sp.key_len = e - i - 2;
			i = skip_ws(data, len, e);
			if (i >= len || data[i] != ':') {
				*bad_off = i;
				return nhir_err_set(err, NHIR_EPARSE,
						    "expected ':'");
			}
			i++;
		}
		i = skip_ws(data, len, i);
		e = skip_value(data, len, i, bad_off, &more, err);
		if (e == SIZE_MAX)
			return NHIR_EPARSE;
		sp.off = i;
		sp.len = e - i;
		if (cb(ctx, &sp))
			return NHIR_OK;
		i = skip_ws(data, len, e);
		if (i < len && data[i] == ',') {
			i++;
			continue;
		}
		if (i < len && data[i] == close)
			return NHIR_OK;
		*bad_off = i;
		return nhir_err_set(err, NHIR_EPARSE, "expected ',' or '%c'",
				    close);
	}
}

size_t nhir_utf8_fix(const char *s, size_t len, struct nhir_buf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, bad = 0, start = 0;

	while (i < len) {
		unsigned char c;
		size_t n;
		uint32_t cp;

		/* ASCII eight bytes at a time */
		while (i + 8 <= len) {
			uint64_t x;

			memcpy(&x, p + i, 8);
			if (x & HIGHS)
				break;
			i += 8;
		}
		if (i >= len)
			break;
		c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 4, cp = c & 0x07;
		else
			n = 0, cp = 0;
		if (n && i + n <= len) {
			size_t k;

			for (k = 1; k < n && (p[i + k] & 0xc0) == 0x80; k++)
				cp = (cp << 6) | (p[i + k] & 0x3f);
			if (k == n && !(n == 3 && (cp < 0x800 ||
						   (cp >= 0xd800 && cp <= 0xdfff))) &&
			    !(n == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
				i += n;
				continue;
			}
		}
		if (!bad)
			nhir_buf_reset(out);
		nhir_buf_add(out, s + start, i - start);
		nhir_buf_add(out, "\xef\xbf\xbd", 3);
		bad++;
		i++;
		start = i;
	}
	if (bad)
		nhir_buf_add(out, s + start, len - start);
	return bad;
}

size_t nhir_json_nul(const char *p, size_t len)
{
	const char *z = memchr(p, 0, len);
	size_t end = z ? (size_t)(z - p) : len, i = 0;

	while (i < end) {
		const char *b = memchr(p + i, '\\', end - i);

		if (!b)
			break;
		i = (size_t)(b - p);
		if (i + 6 <= len && p[i + 1] == 'u' &&
		    !memcmp(p + i + 2, "0000", 4))
			return i;
		i += 2;	/* an escaped backslash escapes nothing after it */
	}
	return end;
}

const char *nhir_json_why(const char *p, size_t len, size_t bad)
{
	if (bad < len && (!p[bad] || (bad + 6 <= len &&
				      !memcmp(p + bad, "\\u0000", 6))))
		return "a NUL character (\\u0000) in a string";
	return "malformed JSON";
}

cJSON *nhir_json_parse(const char *p, size_t len, size_t *bad_off,
		       uint64_t *replaced)
{
	struct nhir_buf fixed = NHIR_BUF_INIT(NHIR_MAX_RECORD_LEN * 2);
	const char *end = NULL, *src = p;
	size_t n = nhir_utf8_fix(p, len, &fixed);
	cJSON *o;

	if (n) {
		if (fixed.err) {
			*bad_off = 0;
			nhir_buf_release(&fixed);
			return NULL;
		}
		if (replaced)
			*replaced += n;
		src = fixed.buf;
		len = fixed.len;
	}
	*bad_off = nhir_json_nul(src, len);
	if (*bad_off < len) {
		nhir_buf_release(&fixed);
		return NULL;
	}
	o = cJSON_ParseWithLengthOpts(src, len, &end, 0);
	if (!o) {
		/* Offsets in the fixed copy are close enough to report. */
		*bad_off = end && end >= src && end <= src + len
				   ? (size_t)(end - src)
				   : 0;
		if (n && *bad_off > len)
			*bad_off = len;
	}
	nhir_buf_release(&fixed);
	return o;
}

const char *nhir_json_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const cJSON *nhir_json_arr(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsArray(v) ? v : NULL;
}

const cJSON *nhir_json_obj(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsObject(v) ? v : NULL;
}

void nhir_json_print(struct nhir_buf *buf, const cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);

	nhir_buf_reset(buf);
	if (!s) {
		buf->err = NHIR_ENOMEM;
		return;
	}
	nhir_buf_adds(buf, s);
	cJSON_free(s);
}

struct arena {
	char *buf;
	size_t len, cap, want;
	bool on;
};

static _Thread_local struct arena arena;

static void *json_malloc(size_t n)
{
	if (arena.on) {
		size_t need = (n + 15) & ~(size_t)15;

		if (need >= n && arena.cap - arena.len >= need) {
			void *p = arena.buf + arena.len;

			arena.len += need;
			return p;
		}
		/* too small this time: the next record gets more */
		arena.want = arena.cap * 2;
	}
	return nhir_malloc(n);
}

static void json_free(void *p)
{
	if (arena.buf && (char *)p >= arena.buf &&
	    (char *)p < arena.buf + arena.cap)
		return;
	nhir_free(p);
}

void nhir_json_init(void)
{
	static bool done;
	cJSON_Hooks hooks = { json_malloc, json_free };

	if (!done) {
		cJSON_InitHooks(&hooks);
		done = true;
	}
}

void nhir_json_arena_begin(void)
{
	if (arena.want > arena.cap && arena.want <= NHIR_MAX_RECORD_LEN * 8) {
		char *b = nhir_malloc(arena.want);

		if (b) {
			nhir_free(arena.buf);
			arena.buf = b;
			arena.cap = arena.want;
		}
	}
	if (!arena.buf) {
		arena.buf = nhir_malloc(1 << 20);
		arena.cap = arena.buf ? 1 << 20 : 0;
	}
	arena.len = 0;
	arena.on = arena.buf != NULL;
}

void nhir_json_arena_end(void)
{
	arena.on = false;
	arena.len = 0;
}

void nhir_json_arena_free(void)
{
	nhir_free(arena.buf);
	memset(&arena, 0, sizeof(arena));
}
