/*
 * Blast radius: a breadth-first walk from the seeds.  See blast.h for
 * what each edge kind means to the walk, and doc/guide/blast.md for the output.
 */
#include "compat.h"
#include "nhir/blast.h"

static const char *const group_names[NHIR_BG_NR] = {
	"seeds", "tokens", "persistence", "credentials", "identities", "resources",
	"grants", "stores", "caches", "workloads", "owners", "ended",
};

static const char *const group_titles[NHIR_BG_NR] = {
	"Seeds",
	"Live derived tokens",
	"Persistence: keys, users and roles created with them",
	"Other exposed credentials",
	"Identities reachable",
	"Resources reachable (strongest privilege first)",
	"Grants",
	"Where copies of the secret live",
	"Caches holding in-scope tokens or grants",
	"Dependent workloads (who breaks)",
	"Owners (who to call)",
	"Expired or ended: history, walked only for what they made",
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
		       e == NHIR_EDGE_STORED_IN || e == NHIR_EDGE_CREATED;
	case NHIR_NODE_IDENTITY:
		return e == NHIR_EDGE_ASSUMES || e == NHIR_EDGE_DELEGATES ||
		       e == NHIR_EDGE_CAN || e == NHIR_EDGE_ISSUED ||
		       e == NHIR_EDGE_CREATED || e == NHIR_EDGE_ESCALATES;
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

/*
 * What the walk knows of each node, one byte: reached forward, reached
 * in reverse, and the strongest privilege a "can" edge gave it.  At a
 * byte a node the array stays in the L2 cache for a million nodes,
 * which matters because the test "already in scope?" is made for every
 * edge followed.
 */
#define ST_FWD 0x1
#define ST_REV 0x2
#define ST_PRIV_SHIFT 2
#define ST_PRIV(s) (((s) >> ST_PRIV_SHIFT) & 0x3)
#define ST_KEEP 0x10	/* no escalation of equal strength replaces its path */

/*
 * A sparse node -> uint64 map, for the nodes whose strongest grant came
 * after the edge that first reached them: (depth << 32) | (1 + item).  Blocks are allocated on
 * first write, so a small radius costs nothing to set up.
 */
#define SPARSE_SHIFT 12

struct sparse {
	uint64_t **blk;
	size_t nr;
};

static int sparse_set(struct sparse *m, uint32_t key, uint64_t v)
{
	uint64_t **b = &m->blk[key >> SPARSE_SHIFT];

	if (!*b) {
		*b = nhir_calloc((size_t)1 << SPARSE_SHIFT, sizeof(uint64_t));
		if (!*b)
			return -1;
	}
	(*b)[key & ((1u << SPARSE_SHIFT) - 1)] = v;
	return 0;
}

static uint64_t sparse_get(const struct sparse *m, uint32_t key)
{
	const uint64_t *b = m->blk[key >> SPARSE_SHIFT];

	return b ? b[key & ((1u << SPARSE_SHIFT) - 1)] : 0;
}

static void sparse_free(struct sparse *m)
{
	for (size_t i = 0; m->blk && i < m->nr; i++)
		nhir_free(m->blk[i]);
	nhir_free(m->blk);
}

struct walk {
	const struct nhir_graph *g;
	const struct nhir_blast_opts *o;
	struct nhir_blast *b;
	uint8_t *state;		/* ST_* per node */
	struct sparse up;	/* node -> its strongest grant, see upgrade */
	unsigned mask[2][NHIR_NODE_KIND_NR];
};

static inline int add_item(struct walk *w, uint32_t node, uint32_t parent,
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

#define PREFETCH 16	/* edges ahead; tuned on bench-blast */

#define LINEAGE_MASK ((1u << NHIR_EDGE_ISSUED) | (1u << NHIR_EDGE_CREATED))

/*
 * Is what was created at created and expires at expires history at at:
 * it existed before, and has expired since?
 */
static bool lapsed(int64_t created, int64_t expires, int64_t at)
{
	return (created == NHIR_TIME_UNSET || at >= created) &&
	       expires != NHIR_TIME_UNSET && expires != NHIR_TIME_NEVER &&
	       at >= expires;
}

static bool node_valid(const struct nhir_graph *g, uint32_t n, int64_t at)
{
	return !(g->node_flags[n] & NHIR_NF_TIMED) ||
	       nhir_valid_at(g->node_created[n], g->node_expires[n], at);
}

/*
 * Bit masks of the edge kinds followed from a node of each kind, for a
 * seed and for anything else; filled once per run from follows().
 */
static void follow_masks(unsigned m[2][NHIR_NODE_KIND_NR])
{
	for (int k = 0; k < NHIR_NODE_KIND_NR; k++) {
		m[0][k] = m[1][k] = 0;
		for (int e = 1; e < NHIR_EDGE_KIND_NR; e++) {
			if (follows((enum nhir_node_kind)k,
				    (enum nhir_edge_kind)e, false))
				m[0][k] |= 1u << e;
			if (follows((enum nhir_node_kind)k,
				    (enum nhir_edge_kind)e, true))
				m[1][k] |= 1u << e;
		}
	}
}

/*
 * Was node first reached at depth?  Items are appended breadth first,
 * so those of that depth are the last ones; rarely asked (an escalation
 * to a resource already reached with the same privilege).
 */
static bool reached_at(const struct nhir_blast *b, uint32_t node,
		       uint32_t depth)
{
	for (size_t k = b->nr; k-- > 0 && b->items[k].depth >= depth;)
		if (b->items[k].node == node)
			return b->items[k].depth == depth;
	return false;
}

/*
 * Follows the forward edges of item i; returns -1 on out of memory.
 * This is the hot loop: an edge to a node already in scope costs one
 * read of state[]; validity and expiry are only looked up for edges and
 * nodes that carry a window.
 */
static int expand(struct walk *w, uint32_t i)
{
	const struct nhir_graph *g = w->g;
	struct nhir_blast_item it = w->b->items[i];
	unsigned mask = w->mask[it.parent == NHIR_BLAST_NO_PARENT]
			       [g->node_kind[it.node] % NHIR_NODE_KIND_NR];
	uint64_t end = g->out_off[it.node + 1];

	/* what is no longer live leads only to what it made */
	if ((it.flags & NHIR_BI_ENDED) ||
	    ((it.flags & NHIR_BI_INACTIVE) && it.parent != NHIR_BLAST_NO_PARENT))
		mask &= LINEAGE_MASK;
	if (!mask)
		return 0;
	for (uint64_t p = g->out_off[it.node]; p < end; p++) {
		uint16_t info = g->out_info[p];
		enum nhir_edge_kind ek = NHIR_EI_KIND(info);
		uint32_t dst = g->out_dst[p];
		int64_t created = NHIR_TIME_UNSET, expires = NHIR_TIME_NEVER;
		uint8_t flags = 0, priv = NHIR_EI_PRIV(info), nflags, st;

		/* Targets are random: ask for the one a few edges on. */
		if (p + PREFETCH < end && g->out_dst[p + PREFETCH] < g->node_nr) {
			uint32_t ahead = g->out_dst[p + PREFETCH];

			__builtin_prefetch(&w->state[ahead]);
			__builtin_prefetch(&g->node_flags[ahead]);
		}
		if (!(mask & (1u << ek)) || dst >= g->node_nr)
			continue;
		st = w->state[dst];
		if (st & ST_FWD) {
			/*
			 * A resource keeps the path of its strongest grant;
			 * at equal strength an escalation, which says how,
			 * but not by a longer path than the one that reached
			 * it first (a grant of its own policy is not made to
			 * rest on another's).
			 */
			if ((ek != NHIR_EDGE_CAN && ek != NHIR_EDGE_ESCALATES) ||
			    priv < ST_PRIV(st) ||
			    (priv == ST_PRIV(st) &&
			     (ek != NHIR_EDGE_ESCALATES || (st & ST_KEEP) ||
			      sparse_get(&w->up, dst))) ||
			    g->node_kind[dst] != NHIR_NODE_RESOURCE)
				continue;
			if (priv == ST_PRIV(st) &&
			    !reached_at(w->b, dst, it.depth + 1)) {
				w->state[dst] = (uint8_t)(st | ST_KEEP);
				continue;
			}
			if (info & NHIR_EI_TIMED) {
				nhir_graph_edge_window(g, p, &created, &expires);
				if (!nhir_valid_at(created, expires, w->o->at))
					continue;
			}
			w->state[dst] = (uint8_t)((st & ~(0x3 << ST_PRIV_SHIFT) & ~ST_KEEP) |
						  (priv << ST_PRIV_SHIFT));
			if (sparse_set(&w->up, dst,
				       ((uint64_t)(it.depth + 1) << 32) | (i + 1)))
				return -1;
			continue;
		}
		nflags = g->node_flags[dst];
		if (info & NHIR_EI_TIMED)
			nhir_graph_edge_window(g, p, &created, &expires);
		if (!nhir_valid_at(created, expires, w->o->at) ||
		    ((nflags & NHIR_NF_TIMED) &&
		     !nhir_valid_at(g->node_created[dst], g->node_expires[dst],
			       w->o->at))) {
			/* minted or created, then expired: history */
			if (!((1u << ek) & LINEAGE_MASK) ||
			    !nhir_valid_at(created, NHIR_TIME_NEVER, w->o->at) ||
			    ((nflags & NHIR_NF_TIMED) &&
			     !nhir_valid_at(g->node_created[dst], NHIR_TIME_NEVER,
					    w->o->at))) {
				w->b->skipped_invalid++;
				continue;
			}
			flags |= NHIR_BI_ENDED;
		}
		if ((nflags & NHIR_NF_ENDS) &&
		    nhir_graph_ended(g, dst, w->o->at, NULL, NULL))
			flags |= NHIR_BI_ENDED;
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
		if (nflags & NHIR_NF_DISABLED)
			flags |= NHIR_BI_INACTIVE;
		w->state[dst] = (uint8_t)(ST_FWD | (priv << ST_PRIV_SHIFT));
		if (ek == NHIR_EDGE_CREATED) {
			/*
			 * made with the compromised credential: suspect, and
			 * outlives it unless it dies with it (a deploy key
			 * made with a GitHub personal access token)
			 */
			if (NHIR_EI_CASCADE(info) != NHIR_CASCADE_YES)
				flags |= NHIR_BI_SURVIVES;
			if (w->o->exposed_at != NHIR_TIME_UNSET &&
			    created != NHIR_TIME_UNSET &&
			    created >= w->o->exposed_at)
				flags |= NHIR_BI_SUSPECT;
		}
		/* nothing survives that is not live */
		if (flags & NHIR_BI_ENDED)
			flags &= (uint8_t)~(NHIR_BI_SURVIVES |
					    NHIR_BI_CASCADE_UNKNOWN);
		if (add_item(w, dst, i, (uint8_t)ek, priv, flags,
			     (uint8_t)(flags & NHIR_BI_ENDED ? NHIR_BG_ENDED
				       : ek == NHIR_EDGE_CREATED
					       ? NHIR_BG_PERSISTENCE
					       : group_of(g->node_kind[dst])),
			     it.depth + 1,
			     nflags & NHIR_NF_TIMED
				     ? nhir_min_expiry(g->node_expires[dst], expires)
				     : expires) < 0)
			return -1;
	}
	return 0;
}

/*
 * The kind of the edge from node src to dst that gives privilege priv:
 * a "can", or an "escalates" to what is gained (admin of an account).
 */
static uint8_t grant_kind(const struct nhir_graph *g, uint32_t src,
			  uint32_t dst, uint8_t priv)
{
	for (uint64_t p = g->out_off[src]; p < g->out_off[src + 1]; p++)
		if (g->out_dst[p] == dst &&
		    NHIR_EI_PRIV(g->out_info[p]) == priv &&
		    NHIR_EI_KIND(g->out_info[p]) == NHIR_EDGE_ESCALATES)
			return NHIR_EDGE_ESCALATES;
	return NHIR_EDGE_CAN;
}

/* Gives each resource the path of the strongest grant to it. */
static void apply_upgrades(struct walk *w, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		struct nhir_blast_item *it = &w->b->items[i];
		uint64_t up;

		if (it->group != NHIR_BG_RESOURCE)
			continue;
		up = sparse_get(&w->up, it->node);
		if (!up)
			continue;
		it->parent = (uint32_t)(up & 0xffffffffu) - 1;
		it->depth = (uint32_t)(up >> 32);
		it->priv = (uint8_t)ST_PRIV(w->state[it->node]);
		it->via = grant_kind(w->g, w->b->items[it->parent].node,
				     it->node, it->priv);
	}
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
		    (w->state[src] & ST_FWD))
			continue;
		nhir_graph_edge_window(g, fwd, &created, &expires);
		if (!nhir_valid_at(created, expires, w->o->at) ||
		    !node_valid(g, src, w->o->at)) {
			w->b->skipped_invalid++;
			continue;
		}
		w->state[src] |= ST_FWD;
		if (add_item(w, src, i, NHIR_EDGE_STORED_IN, 0,
			     NHIR_BI_REVERSE |
				     (g->node_flags[src] & NHIR_NF_DISABLED
					      ? NHIR_BI_INACTIVE
					      : 0),
			     (uint8_t)group_of(g->node_kind[src]),
			     w->b->items[i].depth + 1,
			     nhir_min_expiry(g->node_expires[src], expires)) < 0)
			return -1;
	}
	return 0;
}

/*
 * A compromised identity (a seed) exposes the keys and sessions that act
 * as it: walk its authenticates edges backwards, as forward items, so
 * that what they minted and created is in scope too.  What has expired
 * or ended since is history, walked for what it made.
 */
static int expose_credentials(struct walk *w, uint32_t i)
{
	const struct nhir_graph *g = w->g;
	uint32_t node = w->b->items[i].node;
	int64_t at = w->o->at;

	for (uint64_t r = g->rev_off[node]; r < g->rev_off[node + 1]; r++) {
		uint32_t src = g->rev_src[r], fwd = g->rev_fwd[r];
		int64_t created, expires;
		uint8_t flags = NHIR_BI_REVERSE, nf;

		if (src >= g->node_nr || fwd >= g->edge_nr ||
		    NHIR_EI_KIND(g->out_info[fwd]) != NHIR_EDGE_AUTHENTICATES ||
		    (w->state[src] & ST_FWD))
			continue;
		nf = g->node_flags[src];
		nhir_graph_edge_window(g, fwd, &created, &expires);
		if (!nhir_valid_at(created, expires, at) ||
		    !node_valid(g, src, at)) {
			if (!nhir_valid_at(created, NHIR_TIME_NEVER, at) ||
			    ((nf & NHIR_NF_TIMED) &&
			     !nhir_valid_at(g->node_created[src],
					    NHIR_TIME_NEVER, at))) {
				w->b->skipped_invalid++;
				continue;
			}
			flags |= NHIR_BI_ENDED;
		}
		if ((nf & NHIR_NF_ENDS) && nhir_graph_ended(g, src, at, NULL, NULL))
			flags |= NHIR_BI_ENDED;
		if (nf & NHIR_NF_DISABLED)
			flags |= NHIR_BI_INACTIVE;
		w->state[src] |= ST_FWD;
		if (add_item(w, src, i, NHIR_EDGE_AUTHENTICATES, 0, flags,
			     (uint8_t)(flags & NHIR_BI_ENDED
					       ? NHIR_BG_ENDED
					       : group_of(g->node_kind[src])),
			     w->b->items[i].depth + 1,
			     nf & NHIR_NF_TIMED
				     ? nhir_min_expiry(g->node_expires[src],
						       expires)
				     : expires) < 0)
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

		if (!(g->node_flags[node] & NHIR_NF_REV) ||
		    !(kinds_mask & (1u << g->node_kind[node])) ||
		    (w->b->items[i].flags & NHIR_BI_ENDED))
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
			if (!nhir_valid_at(created, expires, w->o->at)) {
				w->b->skipped_invalid++;
				continue;
			}
			if (w->state[src] & (ST_FWD | ST_REV))
				continue;
			w->state[src] |= ST_REV;
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
	struct walk w = { g, opts, out, NULL, { NULL, 0 }, { { 0 } } };
	enum nhir_rc rc = NHIR_OK;
	size_t fwd_end, rev_end;

	unsigned creds = (1u << NHIR_NODE_CREDENTIAL) | (1u << NHIR_NODE_TOKEN);
	unsigned cached = creds | (1u << NHIR_NODE_GRANT);
	unsigned all = ~0u;

	memset(out, 0, sizeof(*out));
	follow_masks(w.mask);
	w.state = nhir_calloc((size_t)g->node_nr + 1, 1);
	w.up.nr = ((size_t)g->node_nr >> SPARSE_SHIFT) + 1;
	w.up.blk = nhir_calloc(w.up.nr, sizeof(*w.up.blk));
	if (!w.state || !w.up.blk)
		goto oom;

	for (size_t s = 0; s < seed_nr; s++) {
		uint32_t n = seeds[s];
		uint8_t flags = 0;

		if (n >= g->node_nr) {
			rc = nhir_err_set(err, NHIR_EINVAL, "seed out of range");
			goto out;
		}
		if (w.state[n] & ST_FWD)
			continue;
		if (lapsed(g->node_created[n], g->node_expires[n], opts->at) ||
		    nhir_graph_ended(g, n, opts->at, NULL, NULL))
			flags |= NHIR_BI_ENDED;
		else if (!node_valid(g, n, opts->at))
			flags |= NHIR_BI_NOT_VALID;
		if (g->node_flags[n] & NHIR_NF_DISABLED)
			flags |= NHIR_BI_INACTIVE;
		w.state[n] |= ST_FWD;
		if (add_item(&w, n, NHIR_BLAST_NO_PARENT, 0, 0, flags,
			     NHIR_BG_SEED, 0, g->node_expires[n]) < 0)
			goto oom;
	}

	/*
	 * Breadth first: items[] is the queue.  A seed is expanded even
	 * when disabled (the responder asked about it) but not when it is
	 * not yet valid at 'at'; other disabled nodes, and whatever has
	 * expired or ended, are followed only to what they made.
	 */
	for (size_t i = 0; i < out->nr; i++) {
		struct nhir_blast_item *it = &out->items[i];
		bool is_store_seed, is_identity_seed;

		/*
		 * Each item's edges are somewhere random: fetch the offsets
		 * of the item 2 * PREFETCH on, and the edges of the one
		 * PREFETCH on, whose offsets have arrived by now.
		 */
		if (i + 2 * PREFETCH < out->nr)
			__builtin_prefetch(
				&g->out_off[out->items[i + 2 * PREFETCH].node]);
		if (i + PREFETCH < out->nr) {
			uint64_t o = g->out_off[out->items[i + PREFETCH].node];

			__builtin_prefetch(&g->out_dst[o]);
			__builtin_prefetch(&g->out_info[o]);
		}
		if (it->flags & NHIR_BI_NOT_VALID)
			continue;

		if (opts->max_depth && it->depth >= opts->max_depth) {
			/* Only worth saying for a node with edges to follow. */
			if (w.mask[it->group == NHIR_BG_SEED]
				  [g->node_kind[it->node] % NHIR_NODE_KIND_NR] &&
			    g->out_off[it->node + 1] > g->out_off[it->node])
				it->flags |= NHIR_BI_DEPTH_LIMIT;
			continue;
		}
		/* expand() may move items[]: decide before calling it. */
		is_store_seed = it->group == NHIR_BG_SEED &&
				g->node_kind[it->node] == NHIR_NODE_STORE;
		is_identity_seed = it->group == NHIR_BG_SEED &&
				   g->node_kind[it->node] == NHIR_NODE_IDENTITY &&
				   (g->node_flags[it->node] & NHIR_NF_REV);
		if (expand(&w, (uint32_t)i) < 0)
			goto oom;
		if (is_store_seed && expose_stored(&w, (uint32_t)i) < 0)
			goto oom;
		if (is_identity_seed && expose_credentials(&w, (uint32_t)i) < 0)
			goto oom;
	}
	fwd_end = out->nr;
	apply_upgrades(&w, fwd_end);

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
	nhir_free(w.state);
	sparse_free(&w.up);
	return rc;
}
