/*
 * The literal scanner (litscan.h).  With one literal, glibc's memmem
 * (a two-way search with a skip table) runs at memory speed.  With
 * several, a table of the bytes that start a literal drives the scan:
 * when they all share one first byte, memchr jumps between its
 * occurrences; otherwise each byte is looked up.  Each candidate is
 * checked against the literals starting with its byte and first two
 * bytes, so a miss costs a table load.
 */
#define _GNU_SOURCE 1	/* memmem */
#include "compat.h"
#include "core/alloc.h"
#include "ingest/litscan.h"

struct lit {
	char *s;
	size_t len;
};

struct nhir_litscan {
	struct lit *v;
	size_t nr, alloc;
	unsigned char first[256];	/* a literal starts with the byte */
	unsigned char second[65536 / 8];	/* its first two bytes */
	size_t minlen;
	int one_first;			/* the shared first byte, or -1 */
};

struct nhir_litscan *nhir_litscan_new(void)
{
	struct nhir_litscan *ls = nhir_calloc(1, sizeof(*ls));

	if (ls)
		ls->one_first = -1;
	return ls;
}

void nhir_litscan_free(struct nhir_litscan *ls)
{
	if (!ls)
		return;
	for (size_t i = 0; i < ls->nr; i++)
		nhir_free(ls->v[i].s);
	nhir_free(ls->v);
	nhir_free(ls);
}

size_t nhir_litscan_count(const struct nhir_litscan *ls)
{
	return ls->nr;
}

const char *nhir_litscan_key(const struct nhir_litscan *ls, size_t i)
{
	return ls->v[i].s;
}

bool nhir_litscan_has(const struct nhir_litscan *ls, const char *lit,
		      size_t len)
{
	for (size_t i = 0; i < ls->nr; i++)
		if (ls->v[i].len == len && !memcmp(ls->v[i].s, lit, len))
			return true;
	return false;
}

static unsigned pair(const char *p)
{
	return (unsigned)(unsigned char)p[0] << 8 | (unsigned char)p[1];
}

enum nhir_rc nhir_litscan_add(struct nhir_litscan *ls, const char *lit,
			      size_t len, struct nhir_err *err)
{
	unsigned char c;
	char *s;

	if (!len || len > NHIR_LITSCAN_MAX_LEN)
		return nhir_err_set(err, NHIR_EINVAL, "a literal of %zu bytes "
				    "(1 to %d)", len, NHIR_LITSCAN_MAX_LEN);
	if (nhir_litscan_has(ls, lit, len))
		return NHIR_OK;
	if (NHIR_ALLOC_GROW(ls->v, ls->nr + 1, ls->alloc))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	s = nhir_strndup(lit, len);
	if (!s)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	ls->v[ls->nr].s = s;
	ls->v[ls->nr].len = len;
	c = (unsigned char)lit[0];
	if (!ls->nr)
		ls->one_first = c;
	else if (ls->one_first != c)
		ls->one_first = -2;
	ls->first[c] = 1;
	if (len >= 2)
		ls->second[pair(lit) / 8] |= (unsigned char)(1u << (pair(lit) % 8));
	ls->minlen = ls->nr ? NHIR_MIN(ls->minlen, len) : len;
	ls->nr++;
	return NHIR_OK;
}

/* Does a literal start at p (with end - p bytes left)? */
static bool match_at(const struct nhir_litscan *ls, const char *p,
		     const char *end, size_t *which)
{
	size_t left = (size_t)(end - p);

	if (left < ls->minlen)
		return false;
	if (ls->minlen >= 2 &&
	    !(ls->second[pair(p) / 8] & (1u << (pair(p) % 8))))
		return false;
	for (size_t i = 0; i < ls->nr; i++)
		if (ls->v[i].len <= left &&
		    !memcmp(p, ls->v[i].s, ls->v[i].len)) {
			if (which)
				*which = i;
			return true;
		}
	return false;
}

size_t nhir_litscan_find(const struct nhir_litscan *ls, const char *data,
			 size_t len, size_t *which)
{
	const char *p = data, *end = data + len;

	if (!ls->nr || len < ls->minlen)
		return SIZE_MAX;
	if (ls->nr == 1) {
		const char *m = memmem(data, len, ls->v[0].s, ls->v[0].len);

		if (!m)
			return SIZE_MAX;
		if (which)
			*which = 0;
		return (size_t)(m - data);
	}
	if (ls->one_first >= 0) {
		while (p < end) {
			p = memchr(p, ls->one_first, (size_t)(end - p));
			if (!p)
				return SIZE_MAX;
			if (match_at(ls, p, end, which))
				return (size_t)(p - data);
			p++;
		}
		return SIZE_MAX;
	}
	for (; p < end; p++)
		if (ls->first[(unsigned char)*p] && match_at(ls, p, end, which))
			return (size_t)(p - data);
	return SIZE_MAX;
}
