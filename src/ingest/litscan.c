/*
 * The literal scanner (litscan.h).  With one literal, glibc's memmem
 * (a two-way search with a skip table) runs at memory speed.  With
 * several, candidates come from memchr on the rarest byte that every
 * literal has at the same offset (the 'I' of "AKIA" and "ASIA"), or,
 * when they share none, from a table of the bytes that start one.  A
 * candidate is checked with one hash lookup of its first bytes in a
 * table of the literals, so a miss costs the same with ten literals or
 * ten thousand; only a hash hit is compared byte by byte.  Where SSE2
 * is there (every x86-64), sixteen candidates are tested at once
 * against the three rarest of the bytes the literals share, so that
 * only a place with all three in position is looked up.
 */
#define _GNU_SOURCE 1	/* memmem */
#include "compat.h"
#include "core/alloc.h"
#include "ingest/litscan.h"
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define NHIR_LITSCAN_AVX2 1
#endif

bool nhir_litscan_avx2 = true;

#define ANCHOR_SPAN 16	/* offsets considered for the memchr byte */

struct lit {
	char *s;
	size_t len;
};

struct nhir_litscan {
	struct lit *v;
	size_t nr, alloc;
	size_t minlen;
	size_t hl;			/* bytes hashed: minlen */
	uint32_t *slot;			/* literal index + 1; 0 empty */
	uint64_t *hash;			/* of the slot's literal */
	size_t slots;			/* a power of two, or 0 */
	unsigned char first[256];	/* a literal starts with the byte */
	uint32_t shared;		/* offsets where all have one byte */
	int anchor;			/* that offset for memchr, or -1 */
	int wide[3];			/* the rarest shared offsets, or -1 */
	uint32_t pmask, pval;		/* the shared ones of the first 4 */
};

/*
 * Bytes by how often they occur in JSON logs, most common first; a
 * byte not listed is rare.  Only the order matters.
 */
static const char common[] =
	"\" :,.-_/0123456789etaoinsrlcdmuhpgfybwkvxzjqAESTNCRLOD{}[]";

static int rarity(unsigned char c)
{
	const char *p = c ? strchr(common, c) : NULL;

	return p ? (int)(p - common) : (int)sizeof(common);
}

struct nhir_litscan *nhir_litscan_new(void)
{
	struct nhir_litscan *ls = nhir_calloc(1, sizeof(*ls));

	if (ls)
		ls->anchor = ls->wide[0] = ls->wide[1] = ls->wide[2] = -1;
	return ls;
}

void nhir_litscan_free(struct nhir_litscan *ls)
{
	if (!ls)
		return;
	for (size_t i = 0; i < ls->nr; i++)
		nhir_free(ls->v[i].s);
	nhir_free(ls->v);
	nhir_free(ls->slot);
	nhir_free(ls->hash);
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

/* The hash of p[0..hl): its first and last eight bytes when hl >= 8. */
static uint64_t hash_at(const char *p, size_t hl)
{
	uint64_t a = 0, b = 0, h;

	if (hl >= 8) {
		memcpy(&a, p, 8);
		memcpy(&b, p + hl - 8, 8);
	} else {
		memcpy(&a, p, hl);
	}
	h = a * 0x9e3779b97f4a7c15ULL ^ (b + 0x632be59bd9b4e019ULL) *
	    0xc2b2ae3d27d4eb4fULL;
	return h ^ h >> 29;
}

/*
 * The lowest index of a literal at p (with left bytes there), or
 * SIZE_MAX; len_eq: only a literal of exactly that length.
 */
static size_t lookup(const struct nhir_litscan *ls, const char *p,
		     size_t left, bool len_eq)
{
	uint64_t h;
	size_t best = SIZE_MAX;

	if (left < ls->minlen || !ls->slots)
		return SIZE_MAX;
	h = hash_at(p, ls->hl);
	for (size_t i = h & (ls->slots - 1); ls->slot[i];
	     i = (i + 1) & (ls->slots - 1)) {
		size_t k = ls->slot[i] - 1;
		const struct lit *l = &ls->v[k];

		if (ls->hash[i] != h || k >= best ||
		    (len_eq ? l->len != left : l->len > left))
			continue;
		if (!memcmp(p, l->s, l->len))
			best = k;
	}
	return best;
}

bool nhir_litscan_has(const struct nhir_litscan *ls, const char *lit,
		      size_t len)
{
	return lookup(ls, lit, len, true) != SIZE_MAX;
}

static void slot_put(struct nhir_litscan *ls, size_t k)
{
	uint64_t h = hash_at(ls->v[k].s, ls->hl);
	size_t i = h & (ls->slots - 1);

	while (ls->slot[i])
		i = (i + 1) & (ls->slots - 1);
	ls->slot[i] = (uint32_t)k + 1;
	ls->hash[i] = h;
}

/* The table again, for nr literals hashed on their first hl bytes. */
static bool rebuild(struct nhir_litscan *ls, size_t nr)
{
	size_t n = 16;
	uint32_t *slot;
	uint64_t *hash;

	while (n < 4 * nr)
		n *= 2;
	slot = nhir_calloc(n, sizeof(*slot));
	hash = nhir_calloc(n, sizeof(*hash));
	if (!slot || !hash) {
		nhir_free(slot);
		nhir_free(hash);
		return false;
	}
	nhir_free(ls->slot);
	nhir_free(ls->hash);
	ls->slot = slot;
	ls->hash = hash;
	ls->slots = n;
	for (size_t k = 0; k < nr; k++)
		slot_put(ls, k);
	return true;
}

/* The offset whose shared byte is rarest, for memchr; -1 if none. */
static int pick_anchor(const struct nhir_litscan *ls)
{
	int best = -1, r = -1;

	for (int j = 0; j < ANCHOR_SPAN; j++) {
		int rj;

		if (!(ls->shared & (1u << j)))
			continue;
		rj = rarity((unsigned char)ls->v[0].s[j]);
		if (rj > r) {
			r = rj;
			best = j;
		}
	}
	return best;
}

/*
 * The (up to) three shared offsets of the rarest bytes, rarest first,
 * for the sixteen-at-a-time test; fewer than three repeat the last.
 */
static void pick_wide(struct nhir_litscan *ls)
{
	int n = 0;

	for (int w = 0; w < 3; w++) {
		int best = -1, r = -1;

		for (int j = 0; j < ANCHOR_SPAN; j++) {
			int rj;

			if (!(ls->shared & (1u << j)) ||
			    (n > 0 && ls->wide[0] == j) ||
			    (n > 1 && ls->wide[1] == j))
				continue;
			rj = rarity((unsigned char)ls->v[0].s[j]);
			if (rj > r) {
				r = rj;
				best = j;
			}
		}
		if (best >= 0)
			ls->wide[n++] = best;
	}
	for (int w = n; w < 3; w++)
		ls->wide[w] = n ? ls->wide[n - 1] : -1;
}

/*
 * A mask and value over the first four bytes keeping those all the
 * literals share: most candidates fail this before being hashed.
 */
static void set_prefix(struct nhir_litscan *ls)
{
	unsigned char m[4] = { 0 }, v[4] = { 0 };

	for (int j = 0; j < 4; j++)
		if (ls->shared & (1u << j)) {
			m[j] = 0xff;
			v[j] = (unsigned char)ls->v[0].s[j];
		}
	memcpy(&ls->pmask, m, 4);
	memcpy(&ls->pval, v, 4);
}

enum nhir_rc nhir_litscan_add(struct nhir_litscan *ls, const char *lit,
			      size_t len, struct nhir_err *err)
{
	size_t minlen, hl, k = ls->nr;
	char *s;

	if (!len || len > NHIR_LITSCAN_MAX_LEN)
		return nhir_err_set(err, NHIR_EINVAL, "a literal of %zu bytes "
				    "(1 to %d)", len, NHIR_LITSCAN_MAX_LEN);
	if (nhir_litscan_has(ls, lit, len))
		return NHIR_OK;
	if (k >= UINT32_MAX - 1 || NHIR_ALLOC_GROW(ls->v, k + 1, ls->alloc))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	s = nhir_strndup(lit, len);
	if (!s)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	ls->v[k].s = s;
	ls->v[k].len = len;
	minlen = k ? NHIR_MIN(ls->minlen, len) : len;
	hl = minlen;
	if (hl != ls->hl || 4 * (k + 1) > ls->slots) {
		size_t old = ls->hl;

		ls->hl = hl;
		if (!rebuild(ls, k + 1)) {
			ls->hl = old;
			nhir_free(s);
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		}
	} else {
		slot_put(ls, k);
	}
	ls->nr++;
	ls->minlen = minlen;
	ls->first[(unsigned char)lit[0]] = 1;
	if (!k)
		ls->shared = ~0u;
	for (size_t j = 0; j < ANCHOR_SPAN; j++)
		if (j >= minlen || lit[j] != ls->v[0].s[j])
			ls->shared &= ~(1u << j);
	ls->anchor = pick_anchor(ls);
	pick_wide(ls);
	set_prefix(ls);
	return NHIR_OK;
}

/* Does the word at p have the bytes all literals share in the first 4? */
static bool prefix_ok(const struct nhir_litscan *ls, const char *p)
{
	uint32_t w;

	if (ls->minlen < 4)
		return true;
	memcpy(&w, p, 4);
	return (w & ls->pmask) == ls->pval;
}

#ifdef __SSE2__
/*
 * Sixteen candidates at a time, from data on while the loads stay in
 * data[0..len): the offset of the first literal (its index in *k), or
 * SIZE_MAX with *from where the rest is to be searched from.
 */
static size_t find_wide(const struct nhir_litscan *ls, const char *data,
			size_t len, size_t *from, size_t *k)
{
	size_t a0 = (size_t)ls->wide[0], a1 = (size_t)ls->wide[1],
	       a2 = (size_t)ls->wide[2];
	size_t amax = NHIR_MAX(a0, NHIR_MAX(a1, a2)), c;
	const char *s = ls->v[0].s;
	__m128i v0 = _mm_set1_epi8(s[a0]), v1 = _mm_set1_epi8(s[a1]),
		v2 = _mm_set1_epi8(s[a2]);

	for (c = 0; c + 16 + amax <= len; c += 16) {
		const char *p = data + c;
		__m128i m = _mm_cmpeq_epi8(
			_mm_loadu_si128((const __m128i *)(const void *)(p + a0)), v0);
		unsigned bits;

		m = _mm_and_si128(m, _mm_cmpeq_epi8(
			_mm_loadu_si128((const __m128i *)(const void *)(p + a1)), v1));
		m = _mm_and_si128(m, _mm_cmpeq_epi8(
			_mm_loadu_si128((const __m128i *)(const void *)(p + a2)), v2));
		bits = (unsigned)_mm_movemask_epi8(m);
		while (bits) {
			size_t at = c + (size_t)__builtin_ctz(bits);

			bits &= bits - 1;
			/* too near the end for any literal (and for the
			 * prefix's 4 bytes when the anchors are early) */
			if (len - at < ls->minlen || !prefix_ok(ls, data + at))
				continue;
			*k = lookup(ls, data + at, len - at, false);
			if (*k != SIZE_MAX)
				return at;
		}
	}
	*from = c;
	return SIZE_MAX;
}
#endif

#ifdef NHIR_LITSCAN_AVX2
/* The same, thirty-two candidates at a time. */
__attribute__((target("avx2")))
static size_t find_wide_avx2(const struct nhir_litscan *ls, const char *data,
			     size_t len, size_t *from, size_t *k)
{
	size_t a0 = (size_t)ls->wide[0], a1 = (size_t)ls->wide[1],
	       a2 = (size_t)ls->wide[2];
	size_t amax = NHIR_MAX(a0, NHIR_MAX(a1, a2)), c;
	const char *s = ls->v[0].s;
	__m256i v0 = _mm256_set1_epi8(s[a0]), v1 = _mm256_set1_epi8(s[a1]),
		v2 = _mm256_set1_epi8(s[a2]);

	for (c = 0; c + 32 + amax <= len; c += 32) {
		const char *p = data + c;
		__m256i m = _mm256_cmpeq_epi8(_mm256_loadu_si256(
			(const __m256i *)(const void *)(p + a0)), v0);
		uint32_t bits;

		m = _mm256_and_si256(m, _mm256_cmpeq_epi8(_mm256_loadu_si256(
			(const __m256i *)(const void *)(p + a1)), v1));
		m = _mm256_and_si256(m, _mm256_cmpeq_epi8(_mm256_loadu_si256(
			(const __m256i *)(const void *)(p + a2)), v2));
		bits = (uint32_t)_mm256_movemask_epi8(m);
		while (bits) {
			size_t at = c + (size_t)__builtin_ctz(bits);

			bits &= bits - 1;
			if (len - at < ls->minlen || !prefix_ok(ls, data + at))
				continue;
			*k = lookup(ls, data + at, len - at, false);
			if (*k != SIZE_MAX)
				return at;
		}
	}
	*from = c;
	return SIZE_MAX;
}
#endif

#ifdef __SSE2__
/* find_wide(), thirty-two at a time first where the processor can. */
static size_t find_wider(const struct nhir_litscan *ls, const char *data,
			 size_t len, size_t *from, size_t *k)
{
#ifdef NHIR_LITSCAN_AVX2
	if (nhir_litscan_avx2 && __builtin_cpu_supports("avx2")) {
		size_t c = 0, more = 0, at = find_wide_avx2(ls, data, len, &c,
							    k);

		if (at != SIZE_MAX)
			return at;
		/* the last bytes, sixteen at a time */
		at = find_wide(ls, data + c, len - c, &more, k);
		*from = c + more;
		return at == SIZE_MAX ? SIZE_MAX : c + at;
	}
#endif
	return find_wide(ls, data, len, from, k);
}
#endif

size_t nhir_litscan_find(const struct nhir_litscan *ls, const char *data,
			 size_t len, size_t *which)
{
	const char *p, *end = data + len;
	size_t k, start = 0;

	if (!ls->nr || len < ls->minlen)
		return SIZE_MAX;
#ifdef __SSE2__
	if (ls->wide[0] >= 0) {
		size_t at = find_wider(ls, data, len, &start, &k);

		if (at != SIZE_MAX) {
			p = data + at;
			goto found;
		}
	}
#endif
	if (ls->nr == 1) {
		const char *m = memmem(data + start, len - start, ls->v[0].s,
				       ls->v[0].len);

		if (!m)
			return SIZE_MAX;
		if (which)
			*which = 0;
		return (size_t)(m - data);
	}
	if (ls->anchor >= 0) {
		/* a literal at c has the anchor byte at c + anchor */
		size_t a = (size_t)ls->anchor;
		int b = (unsigned char)ls->v[0].s[a];
		const char *last = end - ls->minlen;	/* the last start */

		for (p = data + start; p <= last; p++) {
			const char *q = memchr(p + a, b,
					       (size_t)(last - p) + 1);

			if (!q)
				return SIZE_MAX;
			p = q - a;
			if (!prefix_ok(ls, p))
				continue;
			k = lookup(ls, p, (size_t)(end - p), false);
			if (k != SIZE_MAX)
				goto found;
		}
		return SIZE_MAX;
	}
	for (p = data + start; p < end; p++)
		if (ls->first[(unsigned char)*p] &&
		    (k = lookup(ls, p, (size_t)(end - p), false)) != SIZE_MAX)
			goto found;
	return SIZE_MAX;
found:
	if (which)
		*which = k;
	return (size_t)(p - data);
}

/*
 * The index of a buffer (litscan.h): the places with the three bytes
 * find_wide() tests, all of them, kept while they are fewer than one
 * in INDEX_SPARSE bytes (past that, searching the bytes is as quick).
 */
#define INDEX_SPARSE 8

static bool index_put(struct nhir_litscan_index *ix, size_t at, size_t cap)
{
	if (ix->nr >= cap ||
	    (ix->nr == ix->alloc &&
	     NHIR_ALLOC_GROW(ix->at, ix->nr + 1, ix->alloc)))
		return false;
	ix->at[ix->nr++] = (uint32_t)at;
	return true;
}

#ifdef NHIR_LITSCAN_AVX2
/*
 * The places, thirty-two tested at a time while the loads stay in
 * data[0..len); where the rest is to be tested from, or SIZE_MAX when
 * there are too many.
 */
__attribute__((target("avx2")))
static size_t index_avx2(struct nhir_litscan_index *ix, const char *data,
			 size_t len, size_t cap)
{
	size_t a0 = (size_t)ix->off[0], a1 = (size_t)ix->off[1],
	       a2 = (size_t)ix->off[2];
	size_t amax = NHIR_MAX(a0, NHIR_MAX(a1, a2)), c;
	__m256i v0 = _mm256_set1_epi8((char)ix->byte[0]),
		v1 = _mm256_set1_epi8((char)ix->byte[1]),
		v2 = _mm256_set1_epi8((char)ix->byte[2]);

	for (c = 0; c + 32 + amax <= len; c += 32) {
		const char *p = data + c;
		__m256i m = _mm256_cmpeq_epi8(_mm256_loadu_si256(
			(const __m256i *)(const void *)(p + a0)), v0);
		uint32_t bits;

		m = _mm256_and_si256(m, _mm256_cmpeq_epi8(_mm256_loadu_si256(
			(const __m256i *)(const void *)(p + a1)), v1));
		m = _mm256_and_si256(m, _mm256_cmpeq_epi8(_mm256_loadu_si256(
			(const __m256i *)(const void *)(p + a2)), v2));
		bits = (uint32_t)_mm256_movemask_epi8(m);
		while (bits) {
			if (!index_put(ix, c + (size_t)__builtin_ctz(bits), cap))
				return SIZE_MAX;
			bits &= bits - 1;
		}
	}
	return c;
}
#endif

void nhir_litscan_index(const struct nhir_litscan *ls, const char *data,
			size_t len, struct nhir_litscan_index *ix)
{
	size_t amax = 0, c = 0, cap = len / INDEX_SPARSE + 16;

	ix->nr = 0;
	ix->whole = false;
	ix->off[0] = -1;
	if (!ls->nr || ls->wide[0] < 0 || len > UINT32_MAX)
		return;
	for (int i = 0; i < 3; i++) {
		ix->off[i] = ls->wide[i];
		ix->byte[i] = (unsigned char)ls->v[0].s[ls->wide[i]];
		amax = NHIR_MAX(amax, (size_t)ls->wide[i]);
	}
#ifdef NHIR_LITSCAN_AVX2
	if (nhir_litscan_avx2 && __builtin_cpu_supports("avx2")) {
		c = index_avx2(ix, data, len, cap);
		if (c == SIZE_MAX)
			return;
	}
#endif
	for (; c + amax < len; c++)
		if ((unsigned char)data[c + (size_t)ix->off[0]] == ix->byte[0] &&
		    (unsigned char)data[c + (size_t)ix->off[1]] == ix->byte[1] &&
		    (unsigned char)data[c + (size_t)ix->off[2]] == ix->byte[2] &&
		    !index_put(ix, c, cap))
			return;
	ix->whole = true;
}

void nhir_litscan_index_release(struct nhir_litscan_index *ix)
{
	nhir_free(ix->at);
	ix->at = NULL;
	ix->nr = ix->alloc = 0;
	ix->whole = false;
}

/* Does every literal of ls start where ix has a place? */
static bool index_fits(const struct nhir_litscan *ls,
		       const struct nhir_litscan_index *ix)
{
	if (!ix || !ix->whole || ix->off[0] < 0)
		return false;
	for (int i = 0; i < 3; i++)
		if (ix->off[i] >= ANCHOR_SPAN ||
		    !(ls->shared & (1u << ix->off[i])) ||
		    (unsigned char)ls->v[0].s[ix->off[i]] != ix->byte[i])
			return false;
	return true;
}

size_t nhir_litscan_find_from(const struct nhir_litscan *ls,
			      const struct nhir_litscan_index *ix,
			      const char *data, size_t len, size_t from,
			      size_t *which)
{
	size_t lo = 0, hi, m;

	if (from > len || !ls->nr)
		return SIZE_MAX;
	if (!index_fits(ls, ix)) {
		m = nhir_litscan_find(ls, data + from, len - from, which);
		return m == SIZE_MAX ? SIZE_MAX : from + m;
	}
	hi = ix->nr;
	while (lo < hi) {	/* the first place at or after from */
		size_t mid = lo + (hi - lo) / 2;

		if (ix->at[mid] < from)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < ix->nr; lo++) {
		size_t p = ix->at[lo], k;

		if (p >= len || len - p < ls->minlen)
			break;	/* and so are the places after it */
		if (!prefix_ok(ls, data + p))
			continue;
		k = lookup(ls, data + p, len - p, false);
		if (k != SIZE_MAX) {
			if (which)
				*which = k;
			return p;
		}
	}
	return SIZE_MAX;
}

/* The two bits of a print, from its hash. */
static void print_bits(const struct nhir_litscan_prints *pr, uint64_t h,
		       size_t *a, size_t *b)
{
	size_t mask = pr->words * 64 - 1;

	*a = (size_t)h & mask;
	*b = (size_t)(h >> 32 ^ h >> 13) & mask;
}

void nhir_litscan_prints_release(struct nhir_litscan_prints *pr)
{
	nhir_free(pr->bits);
	memset(pr, 0, sizeof(*pr));
}

bool nhir_litscan_prints_make(const struct nhir_litscan_index *ix,
			      const char *data, size_t len, size_t max,
			      struct nhir_litscan_prints *pr)
{
	size_t words = 1;

	nhir_litscan_prints_release(pr);
	if (!ix->whole || ix->off[0] < 0)
		return false;
	/* sixteen bits a place: one print in a hundred or so is wrongly
	 * said to be there (the buffer is then searched, as without) */
	while (words * 64 < 16 * ix->nr)
		words *= 2;
	if (words * sizeof(uint64_t) > max)
		return false;
	pr->bits = nhir_calloc(words, sizeof(uint64_t));
	if (!pr->bits)
		return false;
	pr->words = words;
	pr->len = len;
	memcpy(pr->off, ix->off, sizeof(pr->off));
	memcpy(pr->byte, ix->byte, sizeof(pr->byte));
	for (size_t i = 0; i < ix->nr; i++) {
		size_t p = ix->at[i], a, b;

		if (p > len || len - p < NHIR_LITSCAN_PRINT)
			break;
		print_bits(pr, hash_at(data + p, NHIR_LITSCAN_PRINT), &a, &b);
		pr->bits[a / 64] |= (uint64_t)1 << (a % 64);
		pr->bits[b / 64] |= (uint64_t)1 << (b % 64);
	}
	return true;
}

bool nhir_litscan_prints_may(const struct nhir_litscan_prints *pr,
			     const struct nhir_litscan *ls)
{
	if (!pr->words)
		return ls->nr > 0;
	for (size_t k = 0; k < ls->nr; k++) {
		const struct lit *l = &ls->v[k];
		size_t a, b;

		if (l->len < NHIR_LITSCAN_PRINT)
			return true;
		for (int i = 0; i < 3; i++)
			if ((size_t)pr->off[i] >= l->len ||
			    (unsigned char)l->s[pr->off[i]] != pr->byte[i])
				return true;
		print_bits(pr, hash_at(l->s, NHIR_LITSCAN_PRINT), &a, &b);
		if ((pr->bits[a / 64] >> (a % 64) & 1) &&
		    (pr->bits[b / 64] >> (b % 64) & 1))
			return true;
	}
	return false;
}
