/*
 * The (identity, key) pairs a writer stored in its transaction, for
 * key_identity (doc/internals/events.md): each pair is inserted once
 * per transaction instead of once per event.  Both backends.
 */
#include "compat.h"
#include "core/hash.h"
#include "store/store-internal.h"

#define PAIRS_MAX (1u << 16)	/* pairs kept; the table takes 2 MB */

void nhir_store_pairs_clear(struct nhir_store_pairs *p)
{
	nhir_free(p->v);
	memset(p, 0, sizeof(*p));
}

static size_t slot(const struct nhir_store_pairs *p, int64_t a, int64_t b)
{
	size_t mask = p->alloc - 1;
	size_t i = nhir_hash_u64((uint64_t)a * 0x9e3779b97f4a7c15ULL ^
				 (uint64_t)b) & mask;

	while (p->v[i].a && (p->v[i].a != a || p->v[i].b != b))
		i = (i + 1) & mask;
	return i;
}

static bool grow(struct nhir_store_pairs *p)
{
	struct nhir_store_pairs old = *p;
	size_t n = p->alloc ? p->alloc * 2 : 1024;

	p->v = nhir_calloc(n, sizeof(*p->v));
	if (!p->v) {
		*p = old;
		return false;
	}
	p->alloc = n;
	for (size_t i = 0; i < old.alloc; i++)
		if (old.v[i].a)
			p->v[slot(p, old.v[i].a, old.v[i].b)] = old.v[i];
	nhir_free(old.v);
	return true;
}

int nhir_store_pairs_add(struct nhir_store_pairs *p, int64_t a, int64_t b)
{
	size_t i;

	NHIR_ASSERT(a > 0);
	/* bounded: forgetting them all costs an insert of each again */
	if (p->nr >= PAIRS_MAX) {
		memset(p->v, 0, p->alloc * sizeof(*p->v));
		p->nr = 0;
	}
	if ((p->nr + 1) * 2 > p->alloc && !grow(p))
		return -1;
	i = slot(p, a, b);
	if (p->v[i].a)
		return 0;
	p->v[i].a = a;
	p->v[i].b = b;
	p->nr++;
	return 1;
}
