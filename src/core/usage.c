/*
 * Usage and lineage: aggregates a key's events into sources, actions
 * and notable calls, and walks issued/created edges to the keys it
 * minted.  Works through the public store API.
 */
#include "compat.h"
#include "nhir/usage.h"
#include "core/hash.h"

static char *dup_or_null(const char *s)
{
	return s ? nhir_strdup(s) : NULL;
}

static void key_release(struct nhir_usage_key *k)
{
	for (size_t i = 0; i < k->src_nr; i++) {
		nhir_free(k->src[i].ip);
		nhir_free(k->src[i].ua);
	}
	for (size_t i = 0; i < k->act_nr; i++)
		nhir_free(k->act[i].action);
	for (size_t i = 0; i < k->note_nr; i++) {
		nhir_free(k->note[i].action);
		nhir_free(k->note[i].target);
		nhir_free(k->note[i].outcome);
		nhir_free(k->note[i].src_ip);
	}
	nhir_free(k->src);
	nhir_free(k->act);
	nhir_free(k->note);
	nhir_free(k->key);
	nhir_free(k->minted_by);
	nhir_free(k->via);
}

void nhir_usage_release(struct nhir_usage *u)
{
	for (size_t i = 0; i < u->nr; i++)
		key_release(&u->keys[i]);
	nhir_free(u->keys);
	memset(u, 0, sizeof(*u));
}

struct agg {
	struct nhir_usage_key *k;
	const struct nhir_usage_opts *o;
	bool oom;
	/* the last use, for concurrency */
	char last_ip[64];
	int64_t last_time;
	bool have_last;
};

static bool eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static int aggregate(const struct nhir_event *e, void *data)
{
	struct agg *a = data;
	struct nhir_usage_key *k = a->k;
	size_t i, max_notes = a->o->max_notes ? a->o->max_notes : 50;

	if (!k->events || e->time < k->first)
		k->first = e->time;
	if (!k->events || e->time > k->last)
		k->last = e->time;
	k->events++;
	if (e->flags & NHIR_EV_FAILED)
		k->failed++;

	/* Sources are few: a linear scan is fine. */
	for (i = 0; i < k->src_nr; i++)
		if (eq(k->src[i].ip, e->src_ip) && eq(k->src[i].ua, e->user_agent))
			break;
	if (i == k->src_nr) {
		if (NHIR_ALLOC_GROW(k->src, k->src_nr + 1, k->src_alloc))
			goto oom;
		memset(&k->src[i], 0, sizeof(k->src[i]));
		k->src[i].ip = dup_or_null(e->src_ip);
		k->src[i].ua = dup_or_null(e->user_agent);
		k->src[i].first = e->time;
		k->src[i].after_exposure = a->o->exposed_at != NHIR_TIME_UNSET &&
					   e->time >= a->o->exposed_at;
		k->src_nr++;
	}
	k->src[i].count++;
	k->src[i].last = e->time;

	for (i = 0; i < k->act_nr; i++)
		if (eq(k->act[i].action, e->action))
			break;
	if (i == k->act_nr) {
		if (NHIR_ALLOC_GROW(k->act, k->act_nr + 1, k->act_alloc))
			goto oom;
		memset(&k->act[i], 0, sizeof(k->act[i]));
		k->act[i].action = dup_or_null(e->action ? e->action : "?");
		k->act_nr++;
	}
	k->act[i].count++;
	if (e->flags & NHIR_EV_FAILED)
		k->act[i].failed++;

	/*
	 * Concurrent use: the same key used from two addresses within a
	 * minute of each other is a sign that it was copied.
	 */
	if (e->src_ip && a->have_last && strcmp(a->last_ip, e->src_ip) &&
	    e->time - a->last_time <= NHIR_USAGE_CONCURRENT_S) {
		if (!k->concurrent)
			k->concurrent_first = e->time;
		k->concurrent++;
	}
	if (e->src_ip) {
		snprintf(a->last_ip, sizeof(a->last_ip), "%s", e->src_ip);
		a->last_time = e->time;
		a->have_last = true;
	}

	if ((e->flags & (NHIR_EV_PERSISTENCE | NHIR_EV_ESCALATION |
			 NHIR_EV_MINT | NHIR_EV_FAILED)) &&
	    k->note_nr < max_notes) {
		struct nhir_usage_note *n;

		if (NHIR_ALLOC_GROW(k->note, k->note_nr + 1, k->note_alloc))
			goto oom;
		n = &k->note[k->note_nr++];
		n->time = e->time;
		n->flags = e->flags;
		n->action = dup_or_null(e->action);
		n->target = dup_or_null(e->target);
		n->outcome = dup_or_null(e->outcome);
		n->src_ip = dup_or_null(e->src_ip);
	}
	return 0;
oom:
	a->oom = true;
	return 1;
}

/*
 * An index of u's keys by name (open addressing over indexes into
 * u->keys), so that lineage with hundreds of sessions stays linear.
 */
struct key_index {
	uint32_t *slot;		/* 0: empty, else 1 + key index */
	size_t alloc;		/* a power of two */
};

/* The index of key in u, or SIZE_MAX. */
static size_t key_find(const struct key_index *x, const struct nhir_usage *u,
		       const char *key)
{
	size_t mask = x->alloc - 1;

	for (size_t i = nhir_hash_str(key) & mask; x->slot[i]; i = (i + 1) & mask)
		if (!strcmp(u->keys[x->slot[i] - 1].key, key))
			return x->slot[i] - 1;
	return SIZE_MAX;
}

static bool key_index_add(struct key_index *x, const struct nhir_usage *u,
			  size_t k)
{
	size_t mask;

	if ((k + 1) * 2 > x->alloc) {
		size_t n = x->alloc ? x->alloc * 2 : 64;
		uint32_t *v = nhir_calloc(n, sizeof(*v));

		if (!v)
			return false;
		nhir_free(x->slot);
		x->slot = v;
		x->alloc = n;
		for (size_t j = 0; j < k; j++)
			key_index_add(x, u, j);
	}
	mask = x->alloc - 1;
	for (size_t i = nhir_hash_str(u->keys[k].key) & mask;; i = (i + 1) & mask)
		if (!x->slot[i]) {
			x->slot[i] = (uint32_t)k + 1;
			return true;
		}
}

/* Adds a key to u (no events yet). */
static enum nhir_rc new_key(struct nhir_usage *u, const char *key,
			    const char *by, const char *via, int64_t when,
			    unsigned depth, struct nhir_err *err)
{
	struct nhir_usage_key *k;

	if (NHIR_ALLOC_GROW(u->keys, u->nr + 1, u->alloc))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	k = &u->keys[u->nr++];
	memset(k, 0, sizeof(*k));
	k->key = nhir_strdup(key);
	k->minted_by = dup_or_null(by);
	k->via = dup_or_null(via);
	k->minted_at = when;
	k->depth = depth;
	k->first = k->last = NHIR_TIME_UNSET;
	if (!k->key || (by && !k->minted_by) || (via && !k->via))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	return NHIR_OK;
}

/* Adds each minted key, once, as the store's breadth-first walk finds it. */
struct walk {
	struct nhir_usage *u;
	struct key_index *x;
	struct nhir_err *err;
	enum nhir_rc rc;
};

static int walk_cb(const struct nhir_lineage_rec *r, void *data)
{
	struct walk *w = data;
	size_t parent;

	if (key_find(w->x, w->u, r->key) != SIZE_MAX)
		return 0;
	parent = key_find(w->x, w->u, r->parent);
	w->rc = new_key(w->u, r->key, r->parent, nhir_edge_kind_name(r->via),
			r->created, parent == SIZE_MAX
					? r->depth
					: w->u->keys[parent].depth + 1,
			w->err);
	if (!w->rc && !key_index_add(w->x, w->u, w->u->nr - 1))
		w->rc = nhir_err_set(w->err, NHIR_ENOMEM, "out of memory");
	return w->rc != NHIR_OK;
}

/* The keys minted from u's first key, in one store query. */
static enum nhir_rc walk_lineage(struct nhir_store *st, struct nhir_usage *u,
				 struct key_index *x, struct nhir_err *err)
{
	struct walk w = { u, x, err, NHIR_OK };
	enum nhir_rc rc;
	int64_t id;

	if (!key_index_add(x, u, 0))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	if (nhir_store_resolve(st, u->keys[0].key, &id, NULL))
		return NHIR_OK;	/* events only: no lineage known */
	rc = nhir_store_lineage(st, id, NHIR_USAGE_MAX_DEPTH, walk_cb, &w, err);
	return rc ? rc : w.rc;
}

/* Routes each event of the one query to its key's aggregate. */
struct route {
	struct agg *aggs;
	struct nhir_usage *u;
	const struct key_index *x;
	const char *last_ptr;	/* the query's strings are interned */
	size_t last;
	bool oom;
};

static int route_event(const struct nhir_event *e, void *data)
{
	struct route *r = data;
	size_t i = r->last;

	if (e->actor_key != r->last_ptr) {
		if (!e->actor_key)
			return 0;
		i = key_find(r->x, r->u, e->actor_key);
		if (i == SIZE_MAX)
			return 0;
		r->last_ptr = e->actor_key;
		r->last = i;
	}
	if (aggregate(e, &r->aggs[i])) {
		r->oom = true;
		return 1;
	}
	return 0;
}

enum nhir_rc nhir_usage_collect(struct nhir_store *st, const char *ref,
				const struct nhir_usage_opts *opts,
				struct nhir_usage *out, struct nhir_err *err)
{
	struct nhir_event_query q = { NULL, 0, NULL, opts->since, opts->until,
				      true };
	struct route r;
	struct key_index x = { NULL, 0 };
	struct nhir_node n;
	const char **keys = NULL;
	int64_t id;
	enum nhir_rc rc;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	/* A node reference is turned into its external id. */
	if (!nhir_store_resolve(st, ref, &id, NULL) &&
	    !nhir_store_get_node(st, id, &n, NULL)) {
		rc = new_key(out, n.ext_id, NULL, NULL, NHIR_TIME_UNSET, 0, err);
		nhir_node_release(&n);
	} else {
		rc = new_key(out, ref, NULL, NULL, NHIR_TIME_UNSET, 0, err);
	}
	if (!rc)
		rc = walk_lineage(st, out, &x, err);
	if (rc)
		goto out;
	keys = nhir_calloc(out->nr, sizeof(*keys));
	r.aggs = nhir_calloc(out->nr, sizeof(*r.aggs));
	if (!keys || !r.aggs) {
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < out->nr; i++) {
		keys[i] = out->keys[i].key;
		r.aggs[i].k = &out->keys[i];
		r.aggs[i].o = opts;
	}
	r.u = out;
	r.x = &x;
	r.last = SIZE_MAX;
	q.keys = keys;
	q.key_nr = out->nr;
	rc = nhir_store_events(st, &q, route_event, &r, err);
	if (!rc && r.oom)
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
out:
	nhir_free(keys);
	nhir_free(r.aggs);
	nhir_free(x.slot);
	if (rc)
		nhir_usage_release(out);
	return rc;
}

void nhir_keys_free(char **keys, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		nhir_free(keys[i]);
	nhir_free(keys);
}

enum nhir_rc nhir_lineage_keys(struct nhir_store *st, const char *const *refs,
			       size_t ref_nr, char ***keys, size_t *nr,
			       struct nhir_err *err)
{
	struct nhir_usage u;
	struct nhir_usage_opts o = { NHIR_TIME_UNSET, NHIR_TIME_UNSET,
				     NHIR_TIME_UNSET, 1 };
	char **v = NULL;
	size_t n = 0, alloc = 0;
	enum nhir_rc rc = NHIR_OK;

	/*
	 * The usage walk already follows lineage; a tight window keeps it
	 * from reading events: only the keys are wanted here.
	 */
	o.since = 0;
	o.until = 1;
	for (size_t r = 0; !rc && r < ref_nr; r++) {
		rc = nhir_usage_collect(st, refs[r], &o, &u, err);
		for (size_t i = 0; !rc && i < u.nr; i++) {
			bool dup = false;

			for (size_t j = 0; j < n; j++)
				dup |= !strcmp(v[j], u.keys[i].key);
			if (dup)
				continue;
			if (NHIR_ALLOC_GROW(v, n + 1, alloc) ||
			    !(v[n] = nhir_strdup(u.keys[i].key))) {
				rc = nhir_err_set(err, NHIR_ENOMEM,
						  "out of memory");
				break;
			}
			n++;
		}
		if (!rc)
			nhir_usage_release(&u);
	}
	if (rc) {
		nhir_keys_free(v, n);
		return rc;
	}
	*keys = v;
	*nr = n;
	return NHIR_OK;
}
