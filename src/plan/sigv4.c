/*
 * AWS Signature Version 4 (see sigv4.h).  The four steps of AWS's
 * documentation, in order: the canonical request (method, URI, query,
 * headers, signed header names, payload hash), the string to sign (the
 * algorithm, the time, the scope and the canonical request's hash), the
 * signing key (HMAC-SHA-256 chained over date, region, service and
 * "aws4_request" from "AWS4" + secret) and the signature over the string.
 */
#include "compat.h"
#include <ctype.h>
#include <sodium.h>
#include "nhir/buf.h"
#include "plan/sigv4.h"

#define SIGV4_MAX ((size_t)1 << 20)	/* one request's canonical form */
#define SIGV4_HEADERS_MAX 64

static bool unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* Percent-encodes every byte but the unreserved ones (and '/' if keep). */
static void uri_encode(struct nhir_buf *b, const char *s, size_t n,
		       bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (unreserved(c) || (keep_slash && c == '/')) {
			nhir_buf_addch(b, (char)c);
		} else {
			nhir_buf_addch(b, '%');
			nhir_buf_addch(b, hex[c >> 4]);
			nhir_buf_addch(b, hex[c & 15]);
		}
	}
}

/* Whether the segment seg (len bytes) is "." or "..". */
static bool dot_segment(const char *seg, size_t len)
{
	return (len == 1 && seg[0] == '.') ||
	       (len == 2 && seg[0] == '.' && seg[1] == '.');
}

/*
 * The path with empty and "." segments dropped and ".." taking back the
 * segment before it (RFC 3986 section 5.2.4); a path that ends in a
 * slash (or a dot segment) keeps one.  Segments are encoded, slashes not.
 */
static void canonical_path(struct nhir_buf *b, const char *path,
			   bool normalize)
{
	size_t n = strlen(path), *mark, depth = 0;
	const char *p = path, *end = path + n, *last;
	size_t start = b->len;

	if (!n) {
		nhir_buf_addch(b, '/');
		return;
	}
	if (!normalize) {
		uri_encode(b, path, n, true);
		return;
	}
	mark = nhir_malloc((n + 1) * sizeof(*mark));
	if (!mark) {
		b->err = NHIR_ENOMEM;
		return;
	}
	while (p < end) {
		const char *seg;
		size_t len;

		while (p < end && *p == '/')
			p++;
		seg = p;
		while (p < end && *p != '/')
			p++;
		len = (size_t)(p - seg);
		if (!len || (len == 1 && seg[0] == '.'))
			continue;
		if (dot_segment(seg, len)) {
			if (depth)
				b->len = mark[--depth];
			b->buf[b->len] = '\0';
			continue;
		}
		mark[depth++] = b->len;
		nhir_buf_addch(b, '/');
		uri_encode(b, seg, len, false);
	}
	nhir_free(mark);
	last = end;
	while (last > path && last[-1] != '/')
		last--;
	if (b->len == start || last == end ||
	    dot_segment(last, (size_t)(end - last)))
		nhir_buf_addch(b, '/');
}

struct qparam {
	char *enc;	/* "key=value", encoded */
};

static int cmp_param(const void *a, const void *b)
{
	const char *x = ((const struct qparam *)a)->enc;
	const char *y = ((const struct qparam *)b)->enc;
	size_t kx = strcspn(x, "="), ky = strcspn(y, "=");
	int c = memcmp(x, y, kx < ky ? kx : ky);

	if (c || kx != ky)
		return c ? c : (kx < ky ? -1 : 1);
	return strcmp(x + kx, y + ky);
}

/* Parameters encoded and sorted by key, then value. */
static enum nhir_rc canonical_query(struct nhir_buf *b, const char *q,
				    struct nhir_err *err)
{
	struct qparam *v = NULL;
	size_t nr = 0, alloc = 0;
	enum nhir_rc rc = NHIR_OK;

	while (q && *q) {
		size_t len = strcspn(q, "&"), k = strcspn(q, "=");
		struct nhir_buf e = NHIR_BUF_INIT(SIGV4_MAX);

		if (k > len)
			k = len;
		if (len) {
			uri_encode(&e, q, k, false);
			nhir_buf_addch(&e, '=');
			if (k < len)
				uri_encode(&e, q + k + 1, len - k - 1, false);
			if (NHIR_ALLOC_GROW(v, nr + 1, alloc) || e.err) {
				nhir_buf_release(&e);
				rc = nhir_err_set(err, NHIR_ENOMEM,
						  "out of memory");
				goto out;
			}
			v[nr++].enc = nhir_buf_detach(&e, NULL);
		}
		q += len + (q[len] == '&');
	}
	if (nr)
		qsort(v, nr, sizeof(*v), cmp_param);
	for (size_t i = 0; i < nr; i++) {
		if (i)
			nhir_buf_addch(b, '&');
		nhir_buf_adds(b, v[i].enc);
	}
out:
	for (size_t i = 0; i < nr; i++)
		nhir_free(v[i].enc);
	nhir_free(v);
	return rc;
}

struct hdr {
	char name[64];
	const struct nhir_sigv4_header *h;
	size_t order;
};

static int cmp_hdr(const void *a, const void *b)
{
	const struct hdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* A value trimmed, with each run of spaces made one. */
static void add_trimmed(struct nhir_buf *b, const char *s)
{
	bool space = false;

	while (*s == ' ' || *s == '\t')
		s++;
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t') {
			space = true;
			continue;
		}
		if (space)
			nhir_buf_addch(b, ' ');
		space = false;
		nhir_buf_addch(b, *s);
	}
}

/*
 * "name:value\n" for each header name in order, then the blank line,
 * then the signed header names into names; the X-Amz-Date value into
 * date.
 */
static enum nhir_rc canonical_headers(struct nhir_buf *b,
				      struct nhir_buf *names,
				      const struct nhir_sigv4_request *r,
				      char date[17], struct nhir_err *err)
{
	struct hdr h[SIGV4_HEADERS_MAX];
	bool host = false;
	size_t i, j;

	if (r->header_nr > SIGV4_HEADERS_MAX)
		return nhir_err_set(err, NHIR_ETOOBIG, "more than %d headers "
				    "to sign", SIGV4_HEADERS_MAX);
	date[0] = '\0';
	for (i = 0; i < r->header_nr; i++) {
		size_t n = strlen(r->headers[i].name);

		if (!n || n >= sizeof(h[i].name))
			return nhir_err_set(err, NHIR_EINVAL, "header name "
					    "'%.40s' is empty or too long",
					    r->headers[i].name);
		for (j = 0; j <= n; j++)
			h[i].name[j] = (char)tolower(
				(unsigned char)r->headers[i].name[j]);
		h[i].h = &r->headers[i];
		h[i].order = i;
		host |= !strcmp(h[i].name, "host");
		if (!strcmp(h[i].name, "x-amz-date")) {
			if (strlen(h[i].h->value) != 16 ||
			    h[i].h->value[8] != 'T' ||
			    h[i].h->value[15] != 'Z')
				return nhir_err_set(err, NHIR_EINVAL,
						    "X-Amz-Date '%.40s' is not "
						    "YYYYMMDDTHHMMSSZ",
						    h[i].h->value);
			memcpy(date, h[i].h->value, 17);
		}
	}
	if (!host || !date[0])
		return nhir_err_set(err, NHIR_EINVAL, "a signed request needs "
				    "its Host and X-Amz-Date headers");
	qsort(h, r->header_nr, sizeof(h[0]), cmp_hdr);
	for (i = 0; i < r->header_nr; i = j) {
		nhir_buf_adds(b, h[i].name);
		nhir_buf_addch(b, ':');
		if (i)
			nhir_buf_addch(names, ';');
		nhir_buf_adds(names, h[i].name);
		for (j = i; j < r->header_nr && !strcmp(h[j].name, h[i].name);
		     j++) {
			if (j > i)
				nhir_buf_addch(b, ',');
			add_trimmed(b, h[j].h->value);
		}
		nhir_buf_addch(b, '\n');
	}
	return NHIR_OK;
}

static void sha256_hex(const void *p, size_t n, char hex[65])
{
	unsigned char d[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(d, p, n);
	for (size_t i = 0; i < sizeof(d); i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

static void hmac(unsigned char out[32], const unsigned char *key,
		 size_t key_len, const char *msg)
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, key, key_len);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg,
				      strlen(msg));
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

/* The signature of sts under the key derived for the scope's parts. */
static enum nhir_rc signature(const struct nhir_sigv4_key *k,
			      const char *day, const char *sts, char hex[65],
			      struct nhir_err *err)
{
	unsigned char key[32], sig[32];
	size_t n = strlen(k->secret_access_key);
	char *first;

	first = nhir_malloc(n + 5);
	if (!first)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	memcpy(first, "AWS4", 4);
	memcpy(first + 4, k->secret_access_key, n + 1);
	hmac(key, (unsigned char *)first, n + 4, day);
	sodium_memzero(first, n + 4);
	nhir_free(first);
	hmac(key, key, sizeof(key), k->region);
	hmac(key, key, sizeof(key), k->service);
	hmac(key, key, sizeof(key), "aws4_request");
	hmac(sig, key, sizeof(key), sts);
	sodium_memzero(key, sizeof(key));
	for (size_t i = 0; i < sizeof(sig); i++)
		snprintf(hex + 2 * i, 3, "%02x", sig[i]);
	return NHIR_OK;
}

enum nhir_rc nhir_sigv4_sign(const struct nhir_sigv4_request *r,
			     const struct nhir_sigv4_key *k,
			     struct nhir_sigv4_result *out,
			     struct nhir_err *err)
{
	struct nhir_buf creq = NHIR_BUF_INIT(SIGV4_MAX);
	struct nhir_buf names = NHIR_BUF_INIT(SIGV4_MAX);
	struct nhir_buf sts = NHIR_BUF_INIT(SIGV4_MAX);
	struct nhir_buf authz = NHIR_BUF_INIT(SIGV4_MAX);
	char date[17], day[9], hash[65], sig[65];
	enum nhir_rc rc;

	memset(out, 0, sizeof(*out));
	if (!k->access_key_id || !k->secret_access_key || !k->region ||
	    !k->service || !r->method || !r->path)
		return nhir_err_set(err, NHIR_EINVAL, "a signed request needs "
				    "a key, region, service, method and path");
	if (sodium_init() < 0)
		return nhir_err_set(err, NHIR_EIO, "libsodium did not start");
	nhir_buf_adds(&creq, r->method);
	nhir_buf_addch(&creq, '\n');
	canonical_path(&creq, r->path, r->normalize_path);
	nhir_buf_addch(&creq, '\n');
	rc = canonical_query(&creq, r->query, err);
	if (rc)
		goto out;
	nhir_buf_addch(&creq, '\n');
	rc = canonical_headers(&creq, &names, r, date, err);
	if (rc)
		goto out;
	sha256_hex(r->body ? r->body : "", r->body ? r->body_len : 0, hash);
	nhir_buf_addf(&creq, "\n%s\n%s", names.buf, hash);

	memcpy(day, date, 8);
	day[8] = '\0';
	sha256_hex(creq.buf, creq.len, hash);
	nhir_buf_addf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s",
		      date, day, k->region, k->service, hash);
	if (creq.err || names.err || sts.err) {
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		goto out;
	}
	rc = signature(k, day, sts.buf, sig, err);
	if (rc)
		goto out;
	nhir_buf_addf(&authz, "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/"
		      "aws4_request, SignedHeaders=%s, Signature=%s",
		      k->access_key_id, day, k->region, k->service, names.buf,
		      sig);
	if (authz.err) {
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		goto out;
	}
	out->canonical_request = nhir_buf_detach(&creq, NULL);
	out->string_to_sign = nhir_buf_detach(&sts, NULL);
	out->authorization = nhir_buf_detach(&authz, NULL);
out:
	nhir_buf_release(&creq);
	nhir_buf_release(&names);
	nhir_buf_release(&sts);
	nhir_buf_release(&authz);
	return rc;
}

void nhir_sigv4_result_free(struct nhir_sigv4_result *out)
{
	NHIR_FREE_AND_NULL(out->canonical_request);
	NHIR_FREE_AND_NULL(out->string_to_sign);
	NHIR_FREE_AND_NULL(out->authorization);
}
