/*
 * Blast radius: a breadth-first walk from the seeds.  See blast.h for
 * what each edge kind means to the walk, and docs/blast.md for the output.
 */
#include "compat.h"
#include "nhir/blast.h"

static const char *const group_names[NHIR_BG_NR] = {
	"seeds", "tokens", "credentials", "identities", "resources",
	"grants", "stores", "caches", "workloads", "owners",
};

static const char *const group_titles[NHIR_BG_NR] = {
	"Seeds",
	"Live derived tokens",
	"Other exposed credentials",
	"Identities reachable",
	"Resources reachable (strongest privilege first)",
	"Grants",
	"Where copies of the secret live",
	"Caches holding in-scope tokens or grants",
	"Dependent workloads (who breaks)",
	"Owners (who to call)",
};

const char *nhir_blast_group_name(enum nhir_blast_group grp)
{
	return (unsigned)grp < NHIR_BG_NR ? group_names[grp] : "unknown";
}

const char *nhir_blast_group_title(enum nhir_blast_group grp)
{
	return (unsigned)grp < NHIR_BG_NR ? group_titles[grp] : "unknown";
}

void nhir_blast_release(struct nhir_blast *b)
{
	nhir_free(b->items);
	nhir_free(b->order);
	memset(b, 0, sizeof(*b));
}

static enum nhir_blast_group group_of(enum nhir_node_kind k)
{
	switch (k) {
	case NHIR_NODE_TOKEN: return NHIR_BG_TOKEN;
	case NHIR_NODE_CREDENTIAL: return NHIR_BG_CREDENTIAL;
	case NHIR_NODE_IDENTITY: return NHIR_BG_IDENTITY;
	case NHIR_NODE_RESOURCE: return NHIR_BG_RESOURCE;
	case NHIR_NODE_GRANT: return NHIR_BG_GRANT;
	case NHIR_NODE_STORE: return NHIR_BG_STORE;
	case NHIR_NODE_WORKLOAD: return NHIR_BG_WORKLOAD;
	case NHIR_NODE_OWNER: return NHIR_BG_OWNER;
	default: return NHIR_BG_IDENTITY;
	}
}

/*
 * Which forward edges a compromised node of each kind lets an attacker
 * follow.  Resources and owners are leaves; a workload or a store is
 * only expanded forward when it is itself a seed (a compromised pod
 * exposes the credentials it uses; a leaked vault path exposes what is
 * stored in it, which is walked in reverse below).
 */
static bool follows(enum nhir_node_kind from, enum nhir_edge_kind e,
		    bool is_seed)
{
	switch (from) {
	case NHIR_NODE_CREDENTIAL:
	case NHIR_NODE_TOKEN:
		return e == NHIR_EDGE_AUTHENTICATES || e == NHIR_EDGE_ISSUED ||
		       e == NHIR_EDGE_STORED_IN;
	case NHIR_NODE_IDENTITY:
		return e == NHIR_EDGE_ASSUMES || e == NHIR_EDGE_DELEGATES ||
		       e == NHIR_EDGE_CAN || e == NHIR_EDGE_ISSUED;
	case NHIR_NODE_GRANT:
		return e == NHIR_EDGE_DELEGATES || e == NHIR_EDGE_CAN ||
		       e == NHIR_EDGE_ISSUED;
	case NHIR_NODE_WORKLOAD:
	case NHIR_NODE_RESOURCE:
		return is_seed && (e == NHIR_EDGE_USES ||
				   e == NHIR_EDGE_CACHES);
	default:
		return false;
	}
}

static bool valid_at(int64_t created, int64_t expires, int64_t at)
{
	if (created != NHIR_TIME_UNSET && at < created)
		return false;
	return expires == NHIR_TIME_NEVER || expires == NHIR_TIME_UNSET ||
	       at < expires;
}

struct walk {
	const struct nhir_graph *g;
	const struct nhir_blast_opts *o;
	struct nhir_blast *b;
	uint32_t *fwd_seen;	/* node -> item, or UINT32_MAX */
	uint32_t *rev_seen;
};

static int add_item(struct walk *w, uint32_t node, uint32_t parent,
		    uint8_t via, uint8_t priv, uint8_t flags, uint8_t group,
		    uint32_t depth, int64_t expires)
{
	struct nhir_blast *b = w->b;
	struct nhir_blast_item *it;

	if (b->nr >= UINT32_MAX - 1 ||
	    NHIR_ALLOC_GROW(b->items, b->nr + 1, b->alloc))
		return -1;
	it = &b->items[b->nr];
	it->node = node;
	it->parent = parent;
	it->via = via;
	it->priv = priv;
	it->flags = flags;
	it->group = group;
	it->depth = depth;
	it->expires = expires;
	b->nr++;
	return 0;
}

static int64_t min_expiry(int64_t a, int64_t b)
{
	if (a == NHIR_TIME_UNSET)
		a = NHIR_TIME_NEVER;
	if (b == NHIR_TIME_UNSET)
		b = NHIR_TIME_NEVER;
	return a < b ? a : b;
}

/* Follows the forward edges of item i; returns -1 on out of memory. */
static int expand(struct walk *w, uint32_t i)
{
	const struct nhir_graph *g = w->g;
	struct nhir_blast_item it = w->b->items[i];
	bool seed = it.parent == NHIR_BLAST_NO_PARENT;
	enum nhir_node_kind kind = g->node_kind[it.node];

	for (uint64_t p = g->out_off[it.node]; p < g->out_off[it.node + 1];
	     p++) {
		uint16_t info = g->out_info[p];
		enum nhir_edge_kind ek = NHIR_EI_KIND(info);
		uint32_t dst = g->out_dst[p], seen;
		int64_t created = NHIR_TIME_UNSET, expires = NHIR_TIME_NEVER;
		uint8_t flags = 0, priv = NHIR_EI_PRIV(info);

		if (dst >= g->node_nr || !follows(kind, ek, seed))
			continue;
		if (info & NHIR_EI_TIMED)
			nhir_graph_edge_window(g, p, &created, &expires);
		if (!valid_at(created, expires, w->o->at) ||
		    !valid_at(g->node_created[dst], g->node_expires[dst],
			      w->o->at)) {
			w->b->skipped_invalid++;
			continue;
		}
		seen = w->fwd_seen[dst];
		if (seen != UINT32_MAX) {
			struct nhir_blast_item *s = &w->b->items[seen];

			/* A resource keeps the path of its strongest grant. */
			if (ek == NHIR_EDGE_CAN && s->group == NHIR_BG_RESOURCE &&
			    priv > s->priv) {
				s->priv = priv;
				s->parent = i;
				s->depth = it.depth + 1;
				s->via = ek;
			}
			continue;
		}
		if (ek == NHIR_EDGE_ISSUED) {
			enum nhir_cascade c = NHIR_EI_CASCADE(info);
			int64_t minted = created != NHIR_TIME_UNSET
						 ? created
						 : g->node_created[dst];

			if (c == NHIR_CASCADE_NO)
				flags |= NHIR_BI_SURVIVES;
			else if (c == NHIR_CASCADE_UNKNOWN)
				flags |= NHIR_BI_CASCADE_UNKNOWN;
			if (w->o->exposed_at != NHIR_TIME_UNSET &&
			    minted != NHIR_TIME_UNSET &&
			    minted >= w->o->exposed_at)
				flags |= NHIR_BI_SUSPECT;
		}
		if (g->node_flags[dst] & NHIR_NF_DISABLED)
			flags |= NHIR_BI_INACTIVE;
		w->fwd_seen[dst] = (uint32_t)w->b->nr;
		if (add_item(w, dst, i, (uint8_t)ek, priv, flags,
			     (uint8_t)group_of(g->node_kind[dst]), it.depth + 1,
			     min_expiry(g->node_expires[dst], expires)) < 0)
			return -1;
	}
	return 0;
}

/*
 * A leaked store (a vault path, a CI variable set) exposes every secret
 * stored in it: walk its stored_in edges backwards, as forward items.
 */
static int expose_stored(struct walk *w, uint32_t i)
{
	const struct nhir_graph *g = w->g;
	uint32_t node = w->b->items[i].node;

	for (uint64_t r = g->rev_off[node]; r < g->rev_off[node + 1]; r++) {
		uint32_t src = g->rev_src[r], fwd = g->rev_fwd[r];
		int64_t created, expires;

		if (src >= g->node_nr || fwd >= g->edge_nr ||
		    NHIR_EI_KIND(g->out_info[fwd]) != NHIR_EDGE_STORED_IN ||
		    w->fwd_seen[src] != UINT32_MAX)
			continue;
		nhir_graph_edge_window(g, fwd, &created, &expires);
		if (!valid_at(created, expires, w->o->at) ||
		    !valid_at(g->node_created[src], g->node_expires[src],
			      w->o->at)) {
			w->b->skipped_invalid++;
			continue;
		}
		w->fwd_seen[src] = (uint32_t)w->b->nr;
		if (add_item(w, src, i, NHIR_EDGE_STORED_IN, 0,
			     NHIR_BI_REVERSE |
				     (g->node_flags[src] & NHIR_NF_DISABLED
					      ? NHIR_BI_INACTIVE
					      : 0),
			     (uint8_t)group_of(g->node_kind[src]),
			     w->b->items[i].depth + 1,
			     min_expiry(g->node_expires[src], expires)) < 0)
			return -1;
	}
	return 0;
}

/*
 * Adds, for each item from 'from' to 'to', the nodes on the far end of
 * its reverse edges of kind ek, into group grp.
 */
static int reverse_pass(struct walk *w, size_t from, size_t to,
			enum nhir_edge_kind ek, enum nhir_blast_group grp,
			unsigned kinds_mask)
{
	const struct nhir_graph *g = w->g;

	for (size_t i = from; i < to; i++) {
		uint32_t node = w->b->items[i].node;

		if (!(kinds_mask & (1u << g->node_kind[node])))
			continue;
		for (uint64_t r = g->rev_off[node]; r < g->rev_off[node + 1];
		     r++) {
			uint32_t src = g->rev_src[r], fwd = g->rev_fwd[r];
			int64_t created, expires;
			uint16_t info;

			if (src >= g->node_nr || fwd >= g->edge_nr)
				continue;
			info = g->out_info[fwd];
			if (NHIR_EI_KIND(info) != ek)
				continue;
			nhir_graph_edge_window(g, fwd, &created, &expires);
			if (!valid_at(created, expires, w->o->at)) {
				w->b->skipped_invalid++;
				continue;
			}
			if (w->rev_seen[src] != UINT32_MAX ||
			    w->fwd_seen[src] != UINT32_MAX)
				continue;
			w->rev_seen[src] = (uint32_t)w->b->nr;
			if (add_item(w, src, (uint32_t)i, (uint8_t)ek,
				     NHIR_EI_PRIV(info), NHIR_BI_REVERSE,
				     (uint8_t)grp, w->b->items[i].depth + 1,
				     expires) < 0)
				return -1;
		}
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Fills b->order.  Keys carry the group, rank and depth in the high bits
 * and the item index in the low 36 bits, so ties keep discovery order.
 */
static int sort_order(struct nhir_blast *b)
{
	uint64_t *keys = nhir_malloc((b->nr + 1) * sizeof(uint64_t));

	b->order = nhir_malloc((b->nr + 1) * sizeof(uint32_t));
	if (!keys || !b->order) {
		nhir_free(keys);
		return -1;
	}
	for (size_t i = 0; i < b->nr; i++) {
		const struct nhir_blast_item *it = &b->items[i];
		uint64_t rank = it->group == NHIR_BG_RESOURCE ? 3u - it->priv
							     : 0;
		uint64_t depth = NHIR_MIN(it->depth, (1u << 18) - 1);

		keys[i] = ((uint64_t)it->group << 60) | (rank << 58) |
			  (depth << 40) | (uint64_t)i;
		b->group_nr[it->group]++;
	}
	qsort(keys, b->nr, sizeof(uint64_t), cmp_u64);
	for (size_t i = 0; i < b->nr; i++)
		b->order[i] = (uint32_t)(keys[i] & 0xffffffffffULL);
	nhir_free(keys);
	return 0;
}

enum nhir_rc nhir_blast_run(const struct nhir_graph *g,
			    const uint32_t *seeds, size_t seed_nr,
			    const struct nhir_blast_opts *opts,
			    struct nhir_blast *out, struct nhir_err *err)
{
	struct walk w = { g, opts, out, NULL, NULL };
	enum nhir_rc rc = NHIR_OK;
	size_t fwd_end, rev_end;

	unsigned creds = (1u << NHIR_NODE_CREDENTIAL) | (1u << NHIR_NODE_TOKEN);
	unsigned cached = creds | (1u << NHIR_NODE_GRANT);
	unsigned all = ~0u;

	memset(out, 0, sizeof(*out));
	w.fwd_seen = nhir_malloc(((size_t)g->node_nr + 1) * sizeof(uint32_t));
	w.rev_seen = nhir_malloc(((size_t)g->node_nr + 1) * sizeof(uint32_t));
	if (!w.fwd_seen || !w.rev_seen)
		goto oom;
	memset(w.fwd_seen, 0xff, (size_t)g->node_nr * sizeof(uint32_t));
	memset(w.rev_seen, 0xff, (size_t)g->node_nr * sizeof(uint32_t));

	for (size_t s = 0; s < seed_nr; s++) {
		uint32_t n = seeds[s];
		uint8_t flags = 0;

		if (n >= g->node_nr) {
			rc = nhir_err_set(err, NHIR_EINVAL, "seed out of range");
			goto out;
		}
		if (w.fwd_seen[n] != UINT32_MAX)
			continue;
		if (!valid_at(g->node_created[n], g->node_expires[n], opts->at))
			flags |= NHIR_BI_NOT_VALID;
		if (g->node_flags[n] & NHIR_NF_DISABLED)
			flags |= NHIR_BI_INACTIVE;
		w.fwd_seen[n] = (uint32_t)out->nr;
		if (add_item(&w, n, NHIR_BLAST_NO_PARENT, 0, 0, flags,
			     NHIR_BG_SEED, 0, g->node_expires[n]) < 0)
			goto oom;
	}

	/*
	 * Breadth first: items[] is the queue.  A seed is expanded even
	 * when disabled (the responder asked about it) but not when it is
	 * not valid at 'at'; other disabled nodes are listed, not expanded.
	 */
	for (size_t i = 0; i < out->nr; i++) {
		struct nhir_blast_item *it = &out->items[i];
		bool is_store_seed;

		if (it->flags & NHIR_BI_NOT_VALID)
			continue;
		if ((it->flags & NHIR_BI_INACTIVE) && it->group != NHIR_BG_SEED)
			continue;
		if (opts->max_depth && it->depth >= opts->max_depth) {
			it->flags |= NHIR_BI_DEPTH_LIMIT;
			continue;
		}
		/* expand() may move items[]: decide before calling it. */
		is_store_seed = it->group == NHIR_BG_SEED &&
				g->node_kind[it->node] == NHIR_NODE_STORE;
		if (expand(&w, (uint32_t)i) < 0)
			goto oom;
		if (is_store_seed && expose_stored(&w, (uint32_t)i) < 0)
			goto oom;
	}
	fwd_end = out->nr;

	if (reverse_pass(&w, 0, fwd_end, NHIR_EDGE_USES, NHIR_BG_WORKLOAD,
			 creds) < 0 ||
	    reverse_pass(&w, 0, fwd_end, NHIR_EDGE_CACHES, NHIR_BG_CACHE,
			 cached) < 0)
		goto oom;
	rev_end = out->nr;
	if (reverse_pass(&w, 0, rev_end, NHIR_EDGE_OWNS, NHIR_BG_OWNER,
			 all) < 0)
		goto oom;

	if (sort_order(out) < 0)
		goto oom;
	goto out;
oom:
	rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory in blast radius");
out:
	if (rc)
		nhir_blast_release(out);
	nhir_free(w.fwd_seen);
	nhir_free(w.rev_seen);
	return rc;
}
