/*
 * The compact graph and its builder.
 *
 * The image is a header followed by arrays, each starting on an 8-byte
 * boundary, in the order of enum sect.  Offsets and lengths in the header
 * are checked by nhir_graph_attach() before any array is touched, so a
 * damaged cache file is an error, not a crash.  The header ends with the
 * SHA-256 of the whole image (taken with that field zeroed): a cache
 * whose bytes changed in any way after it was written (a bad disk, a bit
 * flip, an edit) is refused and the graph rebuilt from the database,
 * where a changed array could otherwise pass every bound check and
 * quietly change an answer.
 */
#include "compat.h"
#include "nhir/graph.h"
#include "core/hash.h"

#define IMG_MAGIC "NHIRGRF\001"
#define IMG_VERSION 6u	/* 6: checksummed */

enum sect {
	S_NODE_ID, S_NODE_KIND, S_NODE_FLAGS, S_NODE_CREATED, S_NODE_EXPIRES,
	S_OUT_OFF, S_OUT_DST, S_OUT_INFO,
	S_TIMED_POS, S_TIMED_CREATED, S_TIMED_EXPIRES,
	S_REV_OFF, S_REV_SRC, S_REV_FWD,
	S_END_NODE, S_END_FROM, S_END_UNTIL, S_END_FACT,
	S_NR
};

struct img_hdr {
	char magic[8];
	uint32_t version;
	uint32_t node_nr;
	uint64_t edge_nr, timed_nr, rev_nr, end_nr;
	uint64_t tag[4];
	uint64_t off[S_NR];
	uint64_t total;
	unsigned char sum[32];	/* SHA-256 of the image, this zeroed */
};

/* The image's checksum: its bytes with the header's sum zeroed. */
static bool image_sum(const void *image, size_t len, unsigned char out[32])
{
	struct nhir_sha256 h = { NULL };
	struct img_hdr hdr;

	if (!nhir_sha256_init(&h))
		return false;
	memcpy(&hdr, image, sizeof(hdr));
	memset(hdr.sum, 0, sizeof(hdr.sum));
	nhir_sha256_update(&h, &hdr, sizeof(hdr));
	nhir_sha256_update(&h, (const char *)image + sizeof(hdr),
			   len - sizeof(hdr));
	nhir_sha256_final(&h, out);
	nhir_sha256_release(&h);
	return true;
}

/* Edge kinds indexed in reverse. */
static bool reverse_kind(enum nhir_edge_kind k)
{
	return k == NHIR_EDGE_USES || k == NHIR_EDGE_CACHES ||
	       k == NHIR_EDGE_OWNS || k == NHIR_EDGE_STORED_IN ||
	       k == NHIR_EDGE_AUTHENTICATES;
}

/* Element size and element count of each section. */
static void sect_shape(uint32_t node_nr, uint64_t edge_nr, uint64_t timed_nr,
		       uint64_t rev_nr, uint64_t end_nr, size_t size[S_NR],
		       uint64_t nr[S_NR])
{
	static const size_t sz[S_NR] = {
		8, 1, 1, 8, 8, 8, 4, 2, 8, 8, 8, 8, 4, 4, 4, 8, 8, 8,
	};

	memcpy(size, sz, sizeof(sz));
	nr[S_NODE_ID] = nr[S_NODE_KIND] = nr[S_NODE_FLAGS] = node_nr;
	nr[S_NODE_CREATED] = nr[S_NODE_EXPIRES] = node_nr;
	nr[S_OUT_OFF] = nr[S_REV_OFF] = (uint64_t)node_nr + 1;
	nr[S_OUT_DST] = nr[S_OUT_INFO] = edge_nr;
	nr[S_TIMED_POS] = nr[S_TIMED_CREATED] = nr[S_TIMED_EXPIRES] = timed_nr;
	nr[S_REV_SRC] = nr[S_REV_FWD] = rev_nr;
	nr[S_END_NODE] = nr[S_END_FROM] = nr[S_END_UNTIL] = end_nr;
	nr[S_END_FACT] = end_nr;
}

/* Lays out sections after the header; false on overflow. */
static bool layout(struct img_hdr *h)
{
	size_t size[S_NR];
	uint64_t nr[S_NR], at = (sizeof(*h) + 7) & ~(uint64_t)7;

	sect_shape(h->node_nr, h->edge_nr, h->timed_nr, h->rev_nr, h->end_nr,
		   size, nr);
	for (int s = 0; s < S_NR; s++) {
		uint64_t bytes;

		if (__builtin_mul_overflow(nr[s], (uint64_t)size[s], &bytes) ||
		    __builtin_add_overflow(bytes, 7, &bytes))
			return false;
		bytes &= ~(uint64_t)7;
		h->off[s] = at;
		if (__builtin_add_overflow(at, bytes, &at))
			return false;
	}
	h->total = at;
	return true;
}

static void set_pointers(struct nhir_graph *g, const struct img_hdr *h)
{
	char *base = g->image;

	g->node_nr = h->node_nr;
	g->edge_nr = h->edge_nr;
	g->timed_nr = h->timed_nr;
	g->rev_nr = h->rev_nr;
	g->end_nr = h->end_nr;
	memcpy(g->tag, h->tag, sizeof(g->tag));
	g->node_id = (const int64_t *)(base + h->off[S_NODE_ID]);
	g->node_kind = (const uint8_t *)(base + h->off[S_NODE_KIND]);
	g->node_flags = (const uint8_t *)(base + h->off[S_NODE_FLAGS]);
	g->node_created = (const int64_t *)(base + h->off[S_NODE_CREATED]);
	g->node_expires = (const int64_t *)(base + h->off[S_NODE_EXPIRES]);
	g->out_off = (const uint64_t *)(base + h->off[S_OUT_OFF]);
	g->out_dst = (const uint32_t *)(base + h->off[S_OUT_DST]);
	g->out_info = (const uint16_t *)(base + h->off[S_OUT_INFO]);
	g->timed_pos = (const uint64_t *)(base + h->off[S_TIMED_POS]);
	g->timed_created = (const int64_t *)(base + h->off[S_TIMED_CREATED]);
	g->timed_expires = (const int64_t *)(base + h->off[S_TIMED_EXPIRES]);
	g->rev_off = (const uint64_t *)(base + h->off[S_REV_OFF]);
	g->rev_src = (const uint32_t *)(base + h->off[S_REV_SRC]);
	g->rev_fwd = (const uint32_t *)(base + h->off[S_REV_FWD]);
	g->end_node = (const uint32_t *)(base + h->off[S_END_NODE]);
	g->end_from = (const int64_t *)(base + h->off[S_END_FROM]);
	g->end_until = (const int64_t *)(base + h->off[S_END_UNTIL]);
	g->end_fact = (const int64_t *)(base + h->off[S_END_FACT]);
}

void nhir_graph_free(struct nhir_graph *g)
{
	if (!g)
		return;
	if (g->release)
		g->release(g->image, g->image_len);
	else
		nhir_free(g->image);
	nhir_free(g);
}

uint32_t nhir_graph_find(const struct nhir_graph *g, int64_t id)
{
	size_t lo = 0, hi = g->node_nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (g->node_id[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < g->node_nr && g->node_id[lo] == id)
		return (uint32_t)lo;
	return UINT32_MAX;
}

void nhir_graph_edge_window(const struct nhir_graph *g, uint64_t pos,
			    int64_t *created, int64_t *expires)
{
	size_t lo = 0, hi = g->timed_nr;

	*created = NHIR_TIME_UNSET;
	*expires = NHIR_TIME_NEVER;
	if (!(g->out_info[pos] & NHIR_EI_TIMED))
		return;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (g->timed_pos[mid] < pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < g->timed_nr && g->timed_pos[lo] == pos) {
		*created = g->timed_created[lo];
		*expires = g->timed_expires[lo];
	}
}

bool nhir_graph_ended(const struct nhir_graph *g, uint32_t n, int64_t at,
		      int64_t *since, int64_t *fact)
{
	size_t lo = 0, hi = g->end_nr;

	if (n >= g->node_nr || !(g->node_flags[n] & NHIR_NF_ENDS))
		return false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (g->end_node[mid] < n)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < g->end_nr && g->end_node[lo] == n; lo++) {
		if (at < g->end_from[lo] || at >= g->end_until[lo])
			continue;
		if (since)
			*since = g->end_from[lo];
		if (fact)
			*fact = g->end_fact[lo];
		return true;
	}
	return false;
}

const char *nhir_end_whose(const struct nhir_graph *g, int64_t node)
{
	uint32_t x = nhir_graph_find(g, node);

	return x != UINT32_MAX && g->node_kind[x] == NHIR_NODE_IDENTITY
		       ? "its identity "
		       : "its issuer ";
}

/*
 * The builder keeps edges in flat arrays by store id until finish, which
 * maps ids to indexes and counting-sorts edges by source.
 */
struct nhir_graph_builder {
	int64_t *node_id;
	uint8_t *node_kind, *node_flags;
	int64_t *node_created, *node_expires;
	size_t node_nr, node_alloc[5];

	int64_t *e_src, *e_dst;
	uint16_t *e_info;
	size_t edge_nr, edge_alloc[3];

	/* validity windows of timed edges, by builder edge number */
	uint64_t *t_edge;
	int64_t *t_created, *t_expires;
	size_t timed_nr, timed_alloc[3];

	/* end intervals, by store id */
	int64_t *x_node, *x_from, *x_until, *x_fact;
	size_t end_nr, end_alloc[4];
};

enum nhir_rc nhir_graph_builder_new(struct nhir_graph_builder **out,
				    uint64_t node_hint, uint64_t edge_hint,
				    struct nhir_err *err)
{
	struct nhir_graph_builder *b = nhir_calloc(1, sizeof(*b));

	if (!b)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	/*
	 * Room up front for what the caller expects, so a large graph is
	 * not copied while its arrays grow.  A wrong hint costs nothing
	 * but memory: the arrays still grow past it.
	 */
	node_hint = NHIR_MIN(node_hint, (uint64_t)UINT32_MAX);
	edge_hint = NHIR_MIN(edge_hint, (uint64_t)UINT32_MAX);
	if (NHIR_ALLOC_GROW(b->node_id, node_hint, b->node_alloc[0]) ||
	    NHIR_ALLOC_GROW(b->node_kind, node_hint, b->node_alloc[1]) ||
	    NHIR_ALLOC_GROW(b->node_flags, node_hint, b->node_alloc[2]) ||
	    NHIR_ALLOC_GROW(b->node_created, node_hint, b->node_alloc[3]) ||
	    NHIR_ALLOC_GROW(b->node_expires, node_hint, b->node_alloc[4]) ||
	    NHIR_ALLOC_GROW(b->e_src, edge_hint, b->edge_alloc[0]) ||
	    NHIR_ALLOC_GROW(b->e_dst, edge_hint, b->edge_alloc[1]) ||
	    NHIR_ALLOC_GROW(b->e_info, edge_hint, b->edge_alloc[2])) {
		nhir_graph_builder_free(b);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	*out = b;
	return NHIR_OK;
}

void nhir_graph_builder_free(struct nhir_graph_builder *b)
{
	if (!b)
		return;
	nhir_free(b->node_id);
	nhir_free(b->node_kind);
	nhir_free(b->node_flags);
	nhir_free(b->node_created);
	nhir_free(b->node_expires);
	nhir_free(b->e_src);
	nhir_free(b->e_dst);
	nhir_free(b->e_info);
	nhir_free(b->t_edge);
	nhir_free(b->t_created);
	nhir_free(b->t_expires);
	nhir_free(b->x_node);
	nhir_free(b->x_from);
	nhir_free(b->x_until);
	nhir_free(b->x_fact);
	nhir_free(b);
}

enum nhir_rc nhir_graph_builder_end(struct nhir_graph_builder *b,
				    int64_t id, int64_t from, int64_t until,
				    int64_t fact, struct nhir_err *err)
{
	size_t n = b->end_nr;

	if (until != NHIR_TIME_NEVER && until <= from)
		return NHIR_OK;		/* empty: nothing ended */
	if (n >= UINT32_MAX - 1)
		return nhir_err_set(err, NHIR_ETOOBIG, "too many end facts");
	if (NHIR_ALLOC_GROW(b->x_node, n + 1, b->end_alloc[0]) ||
	    NHIR_ALLOC_GROW(b->x_from, n + 1, b->end_alloc[1]) ||
	    NHIR_ALLOC_GROW(b->x_until, n + 1, b->end_alloc[2]) ||
	    NHIR_ALLOC_GROW(b->x_fact, n + 1, b->end_alloc[3]))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	b->x_node[n] = id;
	b->x_from[n] = from;
	b->x_until[n] = until;
	b->x_fact[n] = fact;
	b->end_nr++;
	return NHIR_OK;
}

enum nhir_rc nhir_graph_builder_node(struct nhir_graph_builder *b,
				     int64_t id, enum nhir_node_kind kind,
				     uint8_t flags, int64_t created,
				     int64_t expires, struct nhir_err *err)
{
	size_t n = b->node_nr;

	if (n && b->node_id[n - 1] >= id)
		return nhir_err_set(err, NHIR_EINVAL,
				    "graph nodes must come in ascending id order");
	if (n >= UINT32_MAX - 1)
		return nhir_err_set(err, NHIR_ETOOBIG, "too many nodes");
	if (NHIR_ALLOC_GROW(b->node_id, n + 1, b->node_alloc[0]) ||
	    NHIR_ALLOC_GROW(b->node_kind, n + 1, b->node_alloc[1]) ||
	    NHIR_ALLOC_GROW(b->node_flags, n + 1, b->node_alloc[2]) ||
	    NHIR_ALLOC_GROW(b->node_created, n + 1, b->node_alloc[3]) ||
	    NHIR_ALLOC_GROW(b->node_expires, n + 1, b->node_alloc[4]))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	b->node_id[n] = id;
	b->node_kind[n] = (uint8_t)kind;
	b->node_flags[n] = flags & (uint8_t)~(NHIR_NF_TIMED | NHIR_NF_REV |
					      NHIR_NF_ENDS);
	if (created != NHIR_TIME_UNSET ||
	    (expires != NHIR_TIME_UNSET && expires != NHIR_TIME_NEVER))
		b->node_flags[n] |= NHIR_NF_TIMED;
	b->node_created[n] = created;
	b->node_expires[n] = expires == NHIR_TIME_UNSET ? NHIR_TIME_NEVER
							: expires;
	b->node_nr++;
	return NHIR_OK;
}

enum nhir_rc nhir_graph_builder_edge(struct nhir_graph_builder *b,
				     int64_t src, int64_t dst,
				     uint16_t info, int64_t created,
				     int64_t expires, struct nhir_err *err)
{
	size_t n = b->edge_nr;

	if (n >= UINT32_MAX - 1)
		return nhir_err_set(err, NHIR_ETOOBIG, "too many edges");
	if (NHIR_ALLOC_GROW(b->e_src, n + 1, b->edge_alloc[0]) ||
	    NHIR_ALLOC_GROW(b->e_dst, n + 1, b->edge_alloc[1]) ||
	    NHIR_ALLOC_GROW(b->e_info, n + 1, b->edge_alloc[2]))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	info &= (uint16_t)~NHIR_EI_TIMED;
	if (created != NHIR_TIME_UNSET ||
	    (expires != NHIR_TIME_UNSET && expires != NHIR_TIME_NEVER)) {
		size_t t = b->timed_nr;

		if (NHIR_ALLOC_GROW(b->t_edge, t + 1, b->timed_alloc[0]) ||
		    NHIR_ALLOC_GROW(b->t_created, t + 1, b->timed_alloc[1]) ||
		    NHIR_ALLOC_GROW(b->t_expires, t + 1, b->timed_alloc[2]))
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		b->t_edge[t] = n;
		b->t_created[t] = created;
		b->t_expires[t] = expires == NHIR_TIME_UNSET ? NHIR_TIME_NEVER
							     : expires;
		b->timed_nr++;
		info |= NHIR_EI_TIMED;
	}
	b->e_src[n] = src;
	b->e_dst[n] = dst;
	b->e_info[n] = info;
	b->edge_nr++;
	return NHIR_OK;
}

/*
 * Maps store ids to indexes.  Ids are usually dense (SQLite rowids), so a
 * direct table is used when it is at most four times the node count;
 * otherwise a binary search.
 */
struct idmap {
	int64_t base;
	uint32_t *direct;
	size_t direct_nr;
	const int64_t *ids;
	size_t nr;
};

static uint32_t idmap_get(const struct idmap *m, int64_t id)
{
	size_t lo = 0, hi = m->nr;

	if (m->direct) {
		if (id < m->base || (uint64_t)(id - m->base) >= m->direct_nr)
			return UINT32_MAX;
		return m->direct[id - m->base];
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->nr && m->ids[lo] == id ? (uint32_t)lo : UINT32_MAX;
}

static bool idmap_init(struct idmap *m, const int64_t *ids, size_t nr)
{
	memset(m, 0, sizeof(*m));
	m->ids = ids;
	m->nr = nr;
	if (!nr)
		return true;
	m->base = ids[0];
	if ((uint64_t)(ids[nr - 1] - ids[0]) < (uint64_t)nr * 4) {
		m->direct_nr = (size_t)(ids[nr - 1] - ids[0]) + 1;
		m->direct = nhir_malloc(m->direct_nr * sizeof(uint32_t));
		if (!m->direct)
			return false;
		memset(m->direct, 0xff, m->direct_nr * sizeof(uint32_t));
		for (size_t i = 0; i < nr; i++)
			m->direct[ids[i] - m->base] = (uint32_t)i;
	}
	return true;
}

/*
 * End intervals by node index, then start (insertion sort: there are
 * few, and they mostly arrive in node order).
 */
static void fill_ends(struct nhir_graph *g, const struct nhir_graph_builder *b,
		      const struct idmap *map)
{
	uint32_t *en = (uint32_t *)g->end_node;
	int64_t *ef = (int64_t *)g->end_from, *eu = (int64_t *)g->end_until;
	int64_t *ex = (int64_t *)g->end_fact;
	size_t k = 0;

	for (size_t x = 0; x < b->end_nr; x++) {
		uint32_t n = idmap_get(map, b->x_node[x]);
		size_t j;

		if (n == UINT32_MAX)
			continue;
		for (j = k; j > 0 && (en[j - 1] > n || (en[j - 1] == n &&
							 ef[j - 1] > b->x_from[x]));
		     j--) {
			en[j] = en[j - 1];
			ef[j] = ef[j - 1];
			eu[j] = eu[j - 1];
			ex[j] = ex[j - 1];
		}
		en[j] = n;
		ef[j] = b->x_from[x];
		eu[j] = b->x_until[x];
		ex[j] = b->x_fact[x];
		((uint8_t *)g->node_flags)[n] |= NHIR_NF_ENDS;
		k++;
	}
}

enum nhir_rc nhir_graph_builder_finish(struct nhir_graph_builder *b,
				       const uint64_t tag[4],
				       struct nhir_graph **out,
				       struct nhir_err *err)
{
	struct img_hdr h;
	struct nhir_graph *g = NULL;
	struct idmap map;
	uint32_t *src_idx = NULL, *dst_idx = NULL;
	uint64_t *out_off, *rev_off, *cursor = NULL, *slot = NULL;
	uint64_t rev_nr = 0, dropped = 0;
	char *base;
	enum nhir_rc rc = NHIR_OK;

	memset(&map, 0, sizeof(map));
	memset(&h, 0, sizeof(h));
	if (!idmap_init(&map, b->node_id, b->node_nr))
		goto oom;
	src_idx = nhir_malloc((b->edge_nr + 1) * sizeof(uint32_t));
	dst_idx = nhir_malloc((b->edge_nr + 1) * sizeof(uint32_t));
	slot = nhir_malloc((b->edge_nr + 1) * sizeof(uint64_t));
	cursor = nhir_calloc((size_t)b->node_nr + 1, sizeof(uint64_t));
	if (!src_idx || !dst_idx || !slot || !cursor)
		goto oom;
	for (size_t e = 0; e < b->edge_nr; e++) {
		src_idx[e] = idmap_get(&map, b->e_src[e]);
		dst_idx[e] = idmap_get(&map, b->e_dst[e]);
		if (src_idx[e] == UINT32_MAX || dst_idx[e] == UINT32_MAX) {
			/* An edge to a node that is gone: skip it. */
			dropped++;
			continue;
		}
		if (reverse_kind(NHIR_EI_KIND(b->e_info[e])))
			rev_nr++;
	}

	memcpy(h.magic, IMG_MAGIC, 8);
	h.version = IMG_VERSION;
	h.node_nr = (uint32_t)b->node_nr;
	h.edge_nr = b->edge_nr - dropped;
	h.timed_nr = 0;
	for (size_t t = 0; t < b->timed_nr; t++)
		if (src_idx[b->t_edge[t]] != UINT32_MAX &&
		    dst_idx[b->t_edge[t]] != UINT32_MAX)
			h.timed_nr++;
	h.rev_nr = rev_nr;
	for (size_t x = 0; x < b->end_nr; x++)
		if (idmap_get(&map, b->x_node[x]) != UINT32_MAX)
			h.end_nr++;
	if (tag)
		memcpy(h.tag, tag, sizeof(h.tag));
	if (!layout(&h) || h.total > SIZE_MAX)
		return nhir_err_set(err, NHIR_ETOOBIG, "graph too large");

	g = nhir_calloc(1, sizeof(*g));
	if (!g)
		goto oom;
	g->image = nhir_calloc(1, (size_t)h.total);
	if (!g->image)
		goto oom;
	g->image_len = (size_t)h.total;
	base = g->image;
	memcpy(base, &h, sizeof(h));
	set_pointers(g, &h);

	if (b->node_nr) {
		/* an empty estate has no arrays: memcpy(NULL, 0) is UB */
		memcpy((void *)g->node_id, b->node_id, b->node_nr * 8);
		memcpy((void *)g->node_kind, b->node_kind, b->node_nr);
		memcpy((void *)g->node_flags, b->node_flags, b->node_nr);
		memcpy((void *)g->node_created, b->node_created,
		       b->node_nr * 8);
		memcpy((void *)g->node_expires, b->node_expires,
		       b->node_nr * 8);
	}

	/* Counting sort of edges by source: offsets, then slots. */
	out_off = (uint64_t *)g->out_off;
	for (size_t e = 0; e < b->edge_nr; e++)
		if (src_idx[e] != UINT32_MAX && dst_idx[e] != UINT32_MAX)
			out_off[src_idx[e] + 1]++;
	for (size_t n = 0; n < b->node_nr; n++)
		out_off[n + 1] += out_off[n];
	memcpy(cursor, out_off, b->node_nr * sizeof(uint64_t));
	for (size_t e = 0; e < b->edge_nr; e++) {
		uint64_t pos;

		if (src_idx[e] == UINT32_MAX || dst_idx[e] == UINT32_MAX) {
			slot[e] = UINT64_MAX;
			continue;
		}
		pos = cursor[src_idx[e]]++;
		slot[e] = pos;
		((uint32_t *)g->out_dst)[pos] = dst_idx[e];
		((uint16_t *)g->out_info)[pos] = b->e_info[e];
	}

	/* Timed edges, sorted by forward position (insertion sort is
	 * enough when they arrive in order, which is the common case). */
	{
		uint64_t *tp = (uint64_t *)g->timed_pos;
		int64_t *tc = (int64_t *)g->timed_created;
		int64_t *te = (int64_t *)g->timed_expires;
		size_t k = 0;

		for (size_t t = 0; t < b->timed_nr; t++) {
			uint64_t pos = slot[b->t_edge[t]];
			size_t j;

			if (pos == UINT64_MAX)
				continue;
			for (j = k; j > 0 && tp[j - 1] > pos; j--) {
				tp[j] = tp[j - 1];
				tc[j] = tc[j - 1];
				te[j] = te[j - 1];
			}
			tp[j] = pos;
			tc[j] = b->t_created[t];
			te[j] = b->t_expires[t];
			k++;
		}
	}

	/* Reverse index of the kinds walked backwards. */
	rev_off = (uint64_t *)g->rev_off;
	for (size_t e = 0; e < b->edge_nr; e++)
		if (slot[e] != UINT64_MAX &&
		    reverse_kind(NHIR_EI_KIND(b->e_info[e])))
			rev_off[dst_idx[e] + 1]++;
	for (size_t n = 0; n < b->node_nr; n++) {
		if (rev_off[n + 1])
			((uint8_t *)g->node_flags)[n] |= NHIR_NF_REV;
		rev_off[n + 1] += rev_off[n];
	}
	memcpy(cursor, rev_off, b->node_nr * sizeof(uint64_t));
	for (size_t e = 0; e < b->edge_nr; e++) {
		uint64_t pos;

		if (slot[e] == UINT64_MAX ||
		    !reverse_kind(NHIR_EI_KIND(b->e_info[e])))
			continue;
		pos = cursor[dst_idx[e]]++;
		((uint32_t *)g->rev_src)[pos] = src_idx[e];
		((uint32_t *)g->rev_fwd)[pos] = (uint32_t)slot[e];
	}
	fill_ends(g, b, &map);
	if (!image_sum(g->image, g->image_len,
		       ((struct img_hdr *)g->image)->sum))
		goto oom;
	*out = g;
	g = NULL;
	goto out;
oom:
	rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory building graph");
out:
	nhir_free(map.direct);
	nhir_free(src_idx);
	nhir_free(dst_idx);
	nhir_free(slot);
	nhir_free(cursor);
	nhir_graph_free(g);
	nhir_graph_builder_free(b);
	return rc;
}

/* Checks that offsets are monotonic and end at the array's length. */
static bool offsets_ok(const uint64_t *off, uint32_t n, uint64_t total)
{
	if (off[0] != 0 || off[n] != total)
		return false;
	for (uint32_t i = 0; i < n; i++)
		if (off[i] > off[i + 1])
			return false;
	return true;
}

enum nhir_rc nhir_graph_attach(void *image, size_t len,
			       void (*release)(void *, size_t),
			       struct nhir_graph **out, struct nhir_err *err)
{
	struct img_hdr h, want;
	struct nhir_graph *g;
	unsigned char sum[32];

	if (len < sizeof(h) || ((uintptr_t)image & 7))
		return nhir_err_set(err, NHIR_EPARSE, "graph image truncated");
	memcpy(&h, image, sizeof(h));
	if (memcmp(h.magic, IMG_MAGIC, 8) || h.version != IMG_VERSION)
		return nhir_err_set(err, NHIR_EPARSE, "not a graph image");
	want = h;
	if (!layout(&want) || memcmp(want.off, h.off, sizeof(h.off)) ||
	    want.total != h.total || h.total != len)
		return nhir_err_set(err, NHIR_EPARSE, "graph image damaged");
	if (!image_sum(image, len, sum))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	if (memcmp(sum, h.sum, sizeof(sum)))
		return nhir_err_set(err, NHIR_EPARSE, "graph image does not "
				    "match its checksum");
	g = nhir_calloc(1, sizeof(*g));
	if (!g)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	g->image = image;
	g->image_len = len;
	set_pointers(g, &h);
	if (!offsets_ok(g->out_off, g->node_nr, g->edge_nr) ||
	    !offsets_ok(g->rev_off, g->node_nr, g->rev_nr))
		goto bad;
	/*
	 * Edge targets are not checked here: the checksum says the image
	 * is as it was written, and readers check each index as they
	 * follow it.
	 */
	for (uint64_t t = 0; t < g->timed_nr; t++)
		if (g->timed_pos[t] >= g->edge_nr)
			goto bad;
	for (uint64_t x = 0; x < g->end_nr; x++)
		if (g->end_node[x] >= g->node_nr ||
		    (x && g->end_node[x] < g->end_node[x - 1]))
			goto bad;
	g->release = release;
	*out = g;
	return NHIR_OK;
bad:
	g->image = NULL;
	nhir_free(g);
	return nhir_err_set(err, NHIR_EPARSE, "graph image damaged");
}
