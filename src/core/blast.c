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
	uint8_t *best_priv;	/* node -> strongest privilege seen */
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

static bool node_valid(const struct nhir_graph *g, uint32_t n, int64_t at)
{
	return !(g->node_flags[n] & NHIR_NF_TIMED) ||
	       valid_at(g->node_created[n], g->node_expires[n], at);
}

/* Bit mask of the edge kinds followed from a node of kind k. */
static unsigned follow_mask(enum nhir_node_kind k, bool seed)
{
	unsigned m = 0;

	for (int e = 1; e < NHIR_EDGE_KIND_NR; e++)
		if (follows(k, (enum nhir_edge_kind)e, seed))
			m |= 1u << e;
	return m;
}

/*
 * Follows the forward edges of item i; returns -1 on out of memory.
 * This is the hot loop: an edge to a node already in scope costs one
 * read of fwd_seen (and, for a "can" edge, of best_priv); validity is
 * only looked up for edges and nodes that carry a window.
 */
static int expand(struct walk *w, uint32_t i)
{
	const struct nhir_graph *g = w->g;
	struct nhir_blast_item it = w->b->items[i];
	unsigned mask = follow_mask(g->node_kind[it.node],
				    it.parent == NHIR_BLAST_NO_PARENT);
	uint64_t end = g->out_off[it.node + 1];

	if (!mask)
		return 0;
	for (uint64_t p = g->out_off[it.node]; p < end; p++) {
		uint16_t info = g->out_info[p];
		enum nhir_edge_kind ek = NHIR_EI_KIND(info);
		uint32_t dst = g->out_dst[p], seen;
		int64_t created = NHIR_TIME_UNSET, expires = NHIR_TIME_NEVER;
		uint8_t flags = 0, priv = NHIR_EI_PRIV(info);

		if (!(mask & (1u << ek)) || dst >= g->node_nr)
			continue;
		seen = w->fwd_seen[dst];
		if (seen != UINT32_MAX) {
			struct nhir_blast_item *s;

			/* A resource keeps the path of its strongest grant. */
			if (ek != NHIR_EDGE_CAN || priv <= w->best_priv[dst])
				continue;
			s = &w->b->items[seen];
			if (s->group != NHIR_BG_RESOURCE)
				continue;
			if (info & NHIR_EI_TIMED) {
				nhir_graph_edge_window(g, p, &created, &expires);
				if (!valid_at(created, expires, w->o->at))
					continue;
			}
			w->best_priv[dst] = priv;
			s->priv = priv;
			s->parent = i;
			s->depth = it.depth + 1;
			s->via = ek;
			continue;
		}
		if (info & NHIR_EI_TIMED)
			nhir_graph_edge_window(g, p, &created, &expires);
		if (!valid_at(created, expires, w->o->at) ||
		    !node_valid(g, dst, w->o->at)) {
			w->b->skipped_invalid++;
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
		w->best_priv[dst] = priv;
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
		    !node_valid(g, src, w->o->at)) {
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

/*
 * Fills b->order: by group, resources by privilege (strongest first),
 * otherwise in discovery order, which is breadth-first and so by depth.
 * A counting sort over (group, rank) buckets: linear in the items.
 */
static int sort_order(struct nhir_blast *b)
{
	size_t start[NHIR_BG_NR * 4 + 1] = { 0 };

	b->order = nhir_malloc((b->nr + 1) * sizeof(uint32_t));
	if (!b->order)
		return -1;
	for (size_t i = 0; i < b->nr; i++) {
		const struct nhir_blast_item *it = &b->items[i];
		unsigned rank = it->group == NHIR_BG_RESOURCE ? 3u - it->priv : 0;

		start[it->group * 4 + rank + 1]++;
		b->group_nr[it->group]++;
	}
	for (size_t k = 1; k <= NHIR_BG_NR * 4; k++)
		start[k] += start[k - 1];
	for (size_t i = 0; i < b->nr; i++) {
		const struct nhir_blast_item *it = &b->items[i];
		unsigned rank = it->group == NHIR_BG_RESOURCE ? 3u - it->priv : 0;

		b->order[start[it->group * 4 + rank]++] = (uint32_t)i;
	}
	return 0;
}

enum nhir_rc nhir_blast_run(const struct nhir_graph *g,
			    const uint32_t *seeds, size_t seed_nr,
			    const struct nhir_blast_opts *opts,
			    struct nhir_blast *out, struct nhir_err *err)
{
	struct walk w = { g, opts, out, NULL, NULL, NULL };
	enum nhir_rc rc = NHIR_OK;
	size_t fwd_end, rev_end;

	unsigned creds = (1u << NHIR_NODE_CREDENTIAL) | (1u << NHIR_NODE_TOKEN);
	unsigned cached = creds | (1u << NHIR_NODE_GRANT);
	unsigned all = ~0u;

	memset(out, 0, sizeof(*out));
	w.fwd_seen = nhir_malloc(((size_t)g->node_nr + 1) * sizeof(uint32_t));
	w.rev_seen = nhir_malloc(((size_t)g->node_nr + 1) * sizeof(uint32_t));
	w.best_priv = nhir_calloc((size_t)g->node_nr + 1, 1);
	if (!w.fwd_seen || !w.rev_seen || !w.best_priv)
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
		if (!node_valid(g, n, opts->at))
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
	nhir_free(w.best_priv);
	return rc;
}
