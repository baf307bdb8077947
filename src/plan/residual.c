/*
 * Residual access: what the incident's seeds, and everything minted or
 * created from them, can still reach at a time, once the revocations
 * confirmed so far and the cuts made so far are taken into account.
 *
 * A revoked node is dead: it no longer authenticates, but what it minted
 * is still followed, and lives on unless it dies with its parent
 * (cascade yes).  A cut on an identity (sessions issued before a time
 * denied) removes the authenticates edges of tokens minted before it;
 * a cut at "never" (policies detached) removes all of them.  Validity
 * at the time is applied to every node and edge, so tokens expire on
 * their own.  The incident is contained when nothing is left, or at the
 * time the last residual path expires if every one of them does.
 *
 * What a logged event ended (a key deleted or deactivated, sessions of
 * a role revoked) is dead from that time, like a confirmed revocation,
 * and said so; what expired is dead too.  Neither stops the walk: what
 * they minted or created before is followed, because it lives on.
 */
#include "compat.h"
#include "nhir/buf.h"
#include "nhir/graph.h"
#include "nhir/plan.h"
#include "nhir/record.h"
#include "store/plan.h"

struct ritem {
	uint32_t node, parent;	/* parent: index into items, or UINT32_MAX */
	uint8_t via, priv;
	bool dead;
	bool ended;		/* by a logged event: fact */
	int64_t fact;
	uint32_t access, used;	/* access edges out, and those still open */
	int64_t expires;
};

struct cutv {
	uint32_t node;
	int64_t before;
};

struct rwalk {
	const struct nhir_graph *g;
	int64_t at;
	uint8_t *seen;
	bool *revoked;
	struct cutv *cuts;
	size_t cut_nr, cut_alloc;
	struct ritem *v;
	size_t nr, alloc;
	bool nomem;
};

static bool push(struct rwalk *w, uint32_t node, uint32_t parent, uint8_t via,
		 uint8_t priv, bool dead, int64_t expires)
{
	if (NHIR_ALLOC_GROW(w->v, w->nr + 1, w->alloc))
		return false;
	w->v[w->nr].node = node;
	w->v[w->nr].parent = parent;
	w->v[w->nr].via = via;
	w->v[w->nr].priv = priv;
	w->v[w->nr].dead = dead;
	w->v[w->nr].ended = nhir_graph_ended(w->g, node, w->at, NULL,
					     &w->v[w->nr].fact);
	if (w->v[w->nr].ended)
		w->v[w->nr].dead = true;
	w->v[w->nr].access = w->v[w->nr].used = 0;
	w->v[w->nr].expires = expires;
	w->nr++;
	w->seen[node] = 1;
	return true;
}

/* Is the edge from token (or credential) src to identity dst cut? */
static bool is_cut(const struct rwalk *w, uint32_t src, uint32_t dst,
		   int64_t minted)
{
	for (size_t i = 0; i < w->cut_nr; i++) {
		if (w->cuts[i].node != dst)
			continue;
		if (w->cuts[i].before == NHIR_TIME_NEVER)
			return true;
		if (w->g->node_kind[src] == NHIR_NODE_TOKEN &&
		    minted != NHIR_TIME_UNSET && minted < w->cuts[i].before)
			return true;
	}
	return false;
}

static bool access_edge(enum nhir_edge_kind k)
{
	return k == NHIR_EDGE_AUTHENTICATES || k == NHIR_EDGE_ASSUMES ||
	       k == NHIR_EDGE_DELEGATES || k == NHIR_EDGE_CAN;
}

static bool walk(struct rwalk *w)
{
	const struct nhir_graph *g = w->g;

	for (size_t i = 0; i < w->nr; i++) {
		struct ritem it = w->v[i];
		uint32_t u = it.node;

		for (uint64_t p = g->out_off[u]; p < g->out_off[u + 1]; p++) {
			uint16_t info = g->out_info[p];
			enum nhir_edge_kind ek = NHIR_EI_KIND(info);
			uint32_t dst = g->out_dst[p];
			int64_t created = NHIR_TIME_UNSET,
				expires = NHIR_TIME_NEVER, minted;
			bool derive = ek == NHIR_EDGE_ISSUED ||
				      ek == NHIR_EDGE_CREATED;
			bool dead, lapsed;

			if (dst >= g->node_nr)
				continue;
			if (access_edge(ek))
				w->v[i].access++;
			if (!derive && (!access_edge(ek) || it.dead))
				continue;
			if (info & NHIR_EI_TIMED)
				nhir_graph_edge_window(g, p, &created, &expires);
			lapsed = false;
			if (!nhir_valid_at(created, expires, w->at) ||
			    !nhir_valid_at(g->node_created[dst], g->node_expires[dst],
				      w->at)) {
				/* minted, then expired: dead, still followed */
				if (!derive ||
				    !nhir_valid_at(created, NHIR_TIME_NEVER, w->at) ||
				    !nhir_valid_at(g->node_created[dst],
						   NHIR_TIME_NEVER, w->at))
					continue;
				lapsed = true;
			}
			minted = g->node_created[u];
			if (ek == NHIR_EDGE_AUTHENTICATES &&
			    is_cut(w, u, dst, minted))
				continue;
			if (access_edge(ek))
				w->v[i].used++;
			if (w->seen[dst])
				continue;
			dead = w->revoked[dst] || lapsed ||
			       (g->node_flags[dst] & NHIR_NF_DISABLED) ||
			       (it.dead && ek == NHIR_EDGE_ISSUED &&
				NHIR_EI_CASCADE(info) == NHIR_CASCADE_YES);
			if (!push(w, dst, (uint32_t)i, (uint8_t)ek,
				  (uint8_t)NHIR_EI_PRIV(info), dead,
				  nhir_min_expiry(it.dead && derive ? NHIR_TIME_NEVER
							    : it.expires,
					  nhir_min_expiry(expires, g->node_expires[dst]))))
				return false;
		}
	}
	return true;
}

static char *path_of(struct nhir_store *st, const struct rwalk *w, size_t i)
{
	struct nhir_buf b = NHIR_BUF_INIT(1 << 16);
	uint32_t chain[64];
	size_t n = 0;

	for (uint32_t k = (uint32_t)i; k != UINT32_MAX && n < 64;
	     k = w->v[k].parent)
		chain[n++] = k;
	while (n--) {
		struct nhir_node x;
		const struct ritem *it = &w->v[chain[n]];

		if (b.len)
			nhir_buf_addf(&b, " -%s-> ", nhir_edge_kind_name(it->via));
		if (!nhir_store_get_node(st, w->g->node_id[it->node], &x, NULL)) {
			nhir_buf_adds(&b, x.ext_id);
			nhir_node_release(&x);
		}
	}
	nhir_buf_addch(&b, 0);
	if (b.err) {
		nhir_buf_release(&b);
		return NULL;
	}
	return b.buf;
}

/* Lists item i, ended by a logged event, in out->ended. */
static enum nhir_rc add_ended(struct nhir_store *st, const struct rwalk *w,
			      size_t i, struct nhir_residual *out,
			      struct nhir_err *err)
{
	struct nhir_residual_end *re;
	struct nhir_node_end e;
	struct nhir_node x;

	if (NHIR_ALLOC_GROW(out->ended, out->ended_nr + 1, out->ended_alloc))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	re = &out->ended[out->ended_nr++];
	memset(re, 0, sizeof(*re));
	re->node = w->g->node_id[w->v[i].node];
	if (!nhir_store_get_node(st, re->node, &x, NULL)) {
		re->ext_id = nhir_strdup(x.ext_id);
		nhir_node_release(&x);
	}
	re->path = path_of(st, w, i);
	if (!nhir_store_get_end(st, w->v[i].fact, &e, NULL)) {
		re->at = e.time;
		re->how = e.how;
		re->event = e.event_name;
		re->file = e.path;
		re->offset = e.offset;
		e.event_name = e.path = NULL;
		nhir_node_end_release(&e);
	}
	return NHIR_OK;
}

/* A node whose revocation is confirmed or verified by w->at is dead. */
static int on_revoked(void *arg, int64_t node)
{
	struct rwalk *w = arg;
	uint32_t x = nhir_graph_find(w->g, node);

	if (x != UINT32_MAX)
		w->revoked[x] = true;
	return 0;
}

static int on_cut(void *arg, int64_t node, int64_t before)
{
	struct rwalk *w = arg;
	uint32_t x = nhir_graph_find(w->g, node);

	if (x == UINT32_MAX)
		return 0;
	if (NHIR_ALLOC_GROW(w->cuts, w->cut_nr + 1, w->cut_alloc)) {
		w->nomem = true;
		return 1;
	}
	w->cuts[w->cut_nr].node = x;
	w->cuts[w->cut_nr++].before = before;
	/* its policies detached: it can do nothing any more */
	if (before == NHIR_TIME_NEVER)
		w->revoked[x] = true;
	return 0;
}

/* A seed: what the incident started from. */
static int on_seed(void *arg, int64_t node)
{
	struct rwalk *w = arg;
	const struct nhir_graph *g = w->g;
	uint32_t x = nhir_graph_find(g, node);

	if (x == UINT32_MAX || w->seen[x] ||
	    !nhir_valid_at(g->node_created[x], NHIR_TIME_NEVER, w->at))
		return 0;
	if (!push(w, x, UINT32_MAX, 0, 0,
		  w->revoked[x] || (g->node_flags[x] & NHIR_NF_DISABLED) ||
			  !nhir_valid_at(g->node_created[x],
					 g->node_expires[x], w->at),
		  g->node_expires[x])) {
		w->nomem = true;
		return 1;
	}
	return 0;
}

/* The revocations, cuts and seeds of incident at w->at, into w. */
static enum nhir_rc load_walk(struct nhir_store *st, int64_t incident,
			      struct rwalk *w, struct nhir_err *err)
{
	const struct nhir_plan_store_ops *ops = nhir_plan_store(st);
	enum nhir_rc rc;

	rc = ops->revoked_nodes(st, incident, w->at, on_revoked, w, err);
	if (!rc)
		rc = ops->cuts_at(st, incident, w->at, on_cut, w, err);
	if (!rc && !w->nomem)
		rc = ops->seed_nodes(st, incident, on_seed, w, err);
	if (!rc && w->nomem)
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	return rc;
}

void nhir_residual_release(struct nhir_residual *r)
{
	for (size_t i = 0; i < r->ended_nr; i++) {
		nhir_free(r->ended[i].ext_id);
		nhir_free(r->ended[i].path);
		nhir_free(r->ended[i].event);
		nhir_free(r->ended[i].file);
	}
	nhir_free(r->ended);
	for (size_t i = 0; i < r->nr; i++) {
		nhir_free(r->items[i].ext_id);
		nhir_free(r->items[i].path);
	}
	nhir_free(r->items);
	memset(r, 0, sizeof(*r));
}

enum nhir_rc nhir_residual(struct nhir_store *st, int64_t incident,
			   int64_t at, struct nhir_residual *out,
			   struct nhir_err *err)
{
	struct nhir_graph *g = NULL;
	struct rwalk w;
	struct nhir_incident inc;
	enum nhir_rc rc;

	memset(out, 0, sizeof(*out));
	memset(&w, 0, sizeof(w));
	out->contained_at = at;
	rc = nhir_incident_get(st, incident, &inc, err);
	if (!rc)
		rc = nhir_store_load_graph(st, &g, err);
	if (rc)
		return rc;
	w.g = g;
	w.at = at;
	w.seen = nhir_calloc(g->node_nr + 1, 1);
	w.revoked = nhir_calloc(g->node_nr + 1, sizeof(bool));
	if (!w.seen || !w.revoked) {
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		goto out;
	}
	rc = load_walk(st, incident, &w, err);
	if (rc)
		goto out;
	if (!walk(&w)) {
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < w.nr; i++) {
		struct nhir_residual_item *ri;
		struct nhir_node x;
		int64_t e = w.v[i].expires == NHIR_TIME_UNSET ? NHIR_TIME_NEVER
							      : w.v[i].expires;

		if (w.v[i].ended && !w.revoked[w.v[i].node]) {
			rc = add_ended(st, &w, i, out, err);
			if (rc)
				goto out;
		}
		if (w.v[i].dead)
			continue;
		/* a key or token whose every way in was cut reaches nothing */
		if ((g->node_kind[w.v[i].node] == NHIR_NODE_CREDENTIAL ||
		     g->node_kind[w.v[i].node] == NHIR_NODE_TOKEN) &&
		    w.v[i].access && !w.v[i].used)
			continue;
		if (NHIR_ALLOC_GROW(out->items, out->nr + 1, out->alloc)) {
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
			goto out;
		}
		ri = &out->items[out->nr++];
		memset(ri, 0, sizeof(*ri));
		ri->node = g->node_id[w.v[i].node];
		ri->kind = (enum nhir_node_kind)g->node_kind[w.v[i].node];
		ri->priv = (enum nhir_priv)w.v[i].priv;
		ri->expires = e;
		if (!nhir_store_get_node(st, ri->node, &x, NULL)) {
			ri->ext_id = nhir_strdup(x.ext_id);
			nhir_node_release(&x);
		}
		ri->path = path_of(st, &w, i);
		if (e == NHIR_TIME_NEVER)
			out->contained_at = NHIR_TIME_UNSET;
		else if (out->contained_at != NHIR_TIME_UNSET &&
			 e > out->contained_at)
			out->contained_at = e;
	}
out:
	if (rc)
		nhir_residual_release(out);
	nhir_free(w.seen);
	nhir_free(w.revoked);
	nhir_free(w.cuts);
	nhir_free(w.v);
	nhir_graph_free(g);
	return rc;
}
