/*
 * Usage and lineage: aggregates a key's events into sources, actions
 * and notable calls, and walks issued/created edges to the keys it
 * minted.  Works through the public store API.
 */
#include "compat.h"
#include "nhir/usage.h"
#include "core/hash.h"

bool nhir_ev_internal_source(const char *ip)
{
	static const char svc[] = ".amazonaws.com";
	size_t n = ip ? strlen(ip) : 0;

	if (!ip)
		return false;
	return !strcmp(ip, "AWS Internal") ||
	       (n > sizeof(svc) - 1 &&
		!strcmp(ip + n - (sizeof(svc) - 1), svc));
}

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
	/* the last use with an address, for concurrency */
	const char *last_ip;	/* the query's, valid while it runs */
	int64_t last_time;
};

static bool eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static size_t max_notes(const struct nhir_usage_opts *o)
{
	return o->max_notes ? o->max_notes : 50;
}

static bool add_note(struct nhir_usage_key *k, const struct nhir_event *e)
{
	struct nhir_usage_note *n;

	if (NHIR_ALLOC_GROW(k->note, k->note_nr + 1, k->note_alloc))
		return false;
	n = &k->note[k->note_nr++];
	memset(n, 0, sizeof(*n));
	n->time = e->time;
	n->flags = e->flags;
	n->action = dup_or_null(e->action);
	n->target = dup_or_null(e->target);
	n->outcome = dup_or_null(e->outcome);
	n->src_ip = dup_or_null(e->src_ip);
	return (!e->action || n->action) && (!e->target || n->target) &&
	       (!e->outcome || n->outcome) && (!e->src_ip || n->src_ip);
}

static struct nhir_usage_source *add_source(struct nhir_usage_key *k,
					    const char *ip, const char *ua,
					    int64_t first)
{
	struct nhir_usage_source *s;

	if (NHIR_ALLOC_GROW(k->src, k->src_nr + 1, k->src_alloc))
		return NULL;
	s = &k->src[k->src_nr++];
	memset(s, 0, sizeof(*s));
	s->ip = dup_or_null(ip);
	s->ua = dup_or_null(ua);
	s->first = s->last = first;
	return (!ip || s->ip) && (!ua || s->ua) ? s : NULL;
}

static struct nhir_usage_action *add_action(struct nhir_usage_key *k,
					    const char *action)
{
	struct nhir_usage_action *a;

	if (NHIR_ALLOC_GROW(k->act, k->act_nr + 1, k->act_alloc))
		return NULL;
	a = &k->act[k->act_nr++];
	memset(a, 0, sizeof(*a));
	a->action = nhir_strdup(action ? action : "?");
	return a->action ? a : NULL;
}

/* One event of a key read from the log (a window, or a key kept short). */
static int aggregate(const struct nhir_event *e, void *data)
{
	struct agg *a = data;
	struct nhir_usage_key *k = a->k;
	size_t i;

	nhir_key_use_add(&k->use, e->time, e->flags);
	/*
	 * Concurrent use: the same key used from two addresses within a
	 * minute of each other is a sign that it was copied.  The events
	 * come in (time, id) order, as the store counts them.
	 */
	if (e->src_ip && !(e->flags & NHIR_EV_INTERNAL)) {
		nhir_key_use_follow(&k->use, e->time,
				    a->last_ip && !eq(a->last_ip, e->src_ip),
				    a->last_time);
		a->last_ip = e->src_ip;
		a->last_time = e->time;
	}
	if (!k->detail)
		return 0;

	/* Sources are few: a linear scan is fine. */
	for (i = 0; i < k->src_nr; i++)
		if (eq(k->src[i].ip, e->src_ip) && eq(k->src[i].ua, e->user_agent))
			break;
	if (i == k->src_nr &&
	    !add_source(k, e->src_ip, e->user_agent, e->time))
		goto oom;
	k->src[i].count++;
	k->src[i].last = e->time;

	for (i = 0; i < k->act_nr; i++)
		if (eq(k->act[i].action, e->action ? e->action : "?"))
			break;
	if (i == k->act_nr && !add_action(k, e->action))
		goto oom;
	k->act[i].count++;
	k->act[i].failed += !!(e->flags & NHIR_EV_FAILED);

	if ((e->flags & NHIR_EV_NOTABLE) && k->note_nr < max_notes(a->o) &&
	    !add_note(k, e))
		goto oom;
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

/* Adds a key to u (no events yet), minted by keys[parent] unless root. */
static enum nhir_rc new_key(struct nhir_usage *u, const char *key, bool root,
			    size_t parent, const char *via, int64_t when,
			    struct nhir_err *err)
{
	struct nhir_usage_key *k;

	if (NHIR_ALLOC_GROW(u->keys, u->nr + 1, u->alloc))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	k = &u->keys[u->nr++];
	memset(k, 0, sizeof(*k));
	k->key = nhir_strdup(key);
	if (!root) {
		k->parent = parent;
		k->minted_by = u->keys[parent].key;
		k->via = via;
		k->depth = u->keys[parent].depth + 1;
	}
	k->minted_at = root ? NHIR_TIME_UNSET : when;
	k->use.first = k->use.last = NHIR_TIME_UNSET;
	k->use.concurrent_first = NHIR_TIME_UNSET;
	if (!k->key)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	return NHIR_OK;
}

/*
 * Adds each key of a lineage, once, as the store's breadth-first walk
 * finds it, with what the store keeps of its use.
 */
struct walk {
	struct nhir_usage *u;
	struct key_index *x;
	struct nhir_err *err;
	enum nhir_rc rc;
};

static int walk_cb(const struct nhir_lineage_rec *r, void *data)
{
	struct walk *w = data;
	struct nhir_usage_key *k;
	size_t parent = 0;

	if (w->x->alloc && key_find(w->x, w->u, r->key) != SIZE_MAX)
		return 0;
	if (r->parent) {
		parent = w->x->alloc ? key_find(w->x, w->u, r->parent)
				     : SIZE_MAX;
		if (parent == SIZE_MAX)
			return 0;	/* not reached from the root */
	}
	w->rc = new_key(w->u, r->key, !r->parent, parent,
			nhir_edge_kind_name(r->via), r->created, w->err);
	if (!w->rc && !key_index_add(w->x, w->u, w->u->nr - 1))
		w->rc = nhir_err_set(w->err, NHIR_ENOMEM, "out of memory");
	if (w->rc)
		return 1;
	k = &w->u->keys[w->u->nr - 1];
	if (r->use)
		k->use = *r->use;
	return 0;
}

/* ref's external id (a node reference is turned into it), owned. */
static char *root_key(struct nhir_store *st, const char *ref)
{
	struct nhir_node n;
	int64_t id;
	char *key;

	if (nhir_store_resolve(st, ref, &id, NULL) ||
	    nhir_store_get_node(st, id, &n, NULL))
		return nhir_strdup(ref);
	key = nhir_strdup(n.ext_id);
	nhir_node_release(&n);
	return key;
}

/* ref and the keys minted from it, into u (indexed by x). */
static enum nhir_rc walk_lineage(struct nhir_store *st, const char *ref,
				 struct walk *w)
{
	char *root = root_key(st, ref);
	enum nhir_rc rc;

	if (!root)
		return nhir_err_set(w->err, NHIR_ENOMEM, "out of memory");
	rc = nhir_store_lineage(st, root, NHIR_USAGE_MAX_DEPTH, walk_cb, w,
				w->err);
	nhir_free(root);
	return rc ? rc : w->rc;
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

/* Reads the events of the keys marked in pick, in one query. */
static enum nhir_rc scan_events(struct nhir_store *st, struct nhir_usage *u,
				const struct key_index *x, const bool *pick,
				const struct nhir_usage_opts *opts,
				struct nhir_err *err)
{
	struct nhir_event_query q = { NULL, 0, NULL, opts->since, opts->until,
				      true, false, 0 };
	struct route r = { NULL, u, x, NULL, SIZE_MAX, false };
	const char **keys = nhir_calloc(u->nr, sizeof(*keys));
	enum nhir_rc rc = NHIR_OK;

	r.aggs = nhir_calloc(u->nr, sizeof(*r.aggs));
	if (!keys || !r.aggs) {
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < u->nr; i++) {
		struct nhir_usage_key *k = &u->keys[i];

		r.aggs[i].k = k;
		r.aggs[i].o = opts;
		if (!pick[i])
			continue;
		keys[q.key_nr++] = k->key;
		/* counted again from the events */
		memset(&k->use, 0, sizeof(k->use));
		k->use.first = k->use.last = NHIR_TIME_UNSET;
		k->use.concurrent_first = NHIR_TIME_UNSET;
	}
	q.keys = keys;
	if (q.key_nr)
		rc = nhir_store_events(st, &q, route_event, &r, err);
	if (!rc && r.oom)
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
out:
	nhir_free(keys);
	nhir_free(r.aggs);
	return rc;
}

/* A rolled key's detail, from what the store keeps. */
struct kept {
	struct nhir_usage_key *k;
	const struct nhir_usage_opts *o;
	bool oom;
};

static int kept_source(const struct nhir_key_source *s, void *data)
{
	struct kept *p = data;
	struct nhir_usage_source *d = add_source(p->k, s->ip, s->ua, s->first);

	if (!d) {
		p->oom = true;
		return 1;
	}
	d->last = s->last;
	d->count = s->count;
	return 0;
}

static int kept_action(const struct nhir_key_action *a, void *data)
{
	struct kept *p = data;
	struct nhir_usage_action *d = add_action(p->k, a->action);

	if (!d) {
		p->oom = true;
		return 1;
	}
	d->count = a->count;
	d->failed = a->failed;
	return 0;
}

static int kept_note(const struct nhir_event *e, void *data)
{
	struct kept *p = data;

	if (!add_note(p->k, e)) {
		p->oom = true;
		return 1;
	}
	return 0;
}

static enum nhir_rc read_kept(struct nhir_store *st, struct nhir_usage_key *k,
			      const struct nhir_usage_opts *opts,
			      struct nhir_err *err)
{
	struct kept p = { k, opts, false };
	const char *keys[1] = { k->key };
	struct nhir_event_query q = { keys, 1, NULL, NHIR_TIME_UNSET,
				      NHIR_TIME_UNSET, false, true,
				      max_notes(opts) };
	enum nhir_rc rc;

	rc = nhir_store_key_sources(st, k->key, kept_source, &p, err);
	if (!rc && !p.oom)
		rc = nhir_store_key_actions(st, k->key, kept_action, &p, err);
	if (!rc && !p.oom)
		rc = nhir_store_events(st, &q, kept_note, &p, err);
	if (!rc && p.oom)
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	return rc;
}

static int cmp_opt_str(const char *a, const char *b)
{
	if (!a || !b)
		return !b - !a;
	return strcmp(a, b);
}

/* Sources in the order first seen. */
static int cmp_source(const void *a, const void *b)
{
	const struct nhir_usage_source *x = a, *y = b;
	int c;

	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	c = cmp_opt_str(x->ip, y->ip);
	return c ? c : cmp_opt_str(x->ua, y->ua);
}

/* Sources grouped by address, addresses in the order first seen. */
static int cmp_grouped(const void *a, const void *b)
{
	const struct nhir_usage_source *x = a, *y = b;
	int c;

	if (x->addr_first != y->addr_first)
		return x->addr_first < y->addr_first ? -1 : 1;
	c = cmp_opt_str(x->ip, y->ip);
	return c ? c : cmp_source(a, b);
}

static int cmp_ip_first(const void *a, const void *b)
{
	const struct nhir_usage_source *x = a, *y = b;
	int c = cmp_opt_str(x->ip, y->ip);

	return c ? c : cmp_source(a, b);
}

/* An address and when the lineage first used it. */
struct addr_seen {
	const char *ip;
	int64_t first;
};

static int cmp_addr_seen(const void *a, const void *b)
{
	const struct addr_seen *x = a, *y = b;
	int c = cmp_opt_str(x->ip, y->ip);

	if (c)
		return c;
	return x->first < y->first ? -1 : x->first > y->first;
}

/*
 * Every address any key of the lineage used, each once with the
 * earliest time: a session that calls from the address its parent key
 * has used all along brings no new address.
 */
static enum nhir_rc lineage_addrs(const struct nhir_usage *u,
				  struct addr_seen **out, size_t *nr,
				  struct nhir_err *err)
{
	struct addr_seen *a;
	size_t all = 0, k = 0;

	*out = NULL;
	*nr = 0;
	for (size_t i = 0; i < u->nr; i++)
		all += u->keys[i].src_nr;
	if (!all)
		return NHIR_OK;
	a = nhir_calloc(all, sizeof(*a));
	if (!a)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	for (size_t i = 0; i < u->nr; i++)
		for (size_t j = 0; j < u->keys[i].src_nr; j++) {
			a[k].ip = u->keys[i].src[j].ip;
			a[k++].first = u->keys[i].src[j].first;
		}
	qsort(a, all, sizeof(*a), cmp_addr_seen);
	for (size_t i = 0; i < all; i++)
		if (!*nr || cmp_opt_str(a[i].ip, a[*nr - 1].ip))
			a[(*nr)++] = a[i];
	*out = a;
	return NHIR_OK;
}

/* When the lineage first used ip; fallback when it is not in seen. */
static int64_t lineage_first(const struct addr_seen *seen, size_t nr,
			     const char *ip, int64_t fallback)
{
	size_t lo = 0, hi = nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_opt_str(seen[mid].ip, ip);

		if (!c)
			return seen[mid].first < fallback ? seen[mid].first
							  : fallback;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return fallback;
}

/*
 * Groups k's sources by address: each address is new after exposure
 * when the lineage first used it then (any key, any user agent), never
 * when it is the provider's own.
 */
static void group_sources(struct nhir_usage_key *k, int64_t exposed_at,
			  const struct addr_seen *seen, size_t seen_nr)
{
	if (k->src_nr > 1)
		qsort(k->src, k->src_nr, sizeof(*k->src), cmp_ip_first);
	for (size_t i = 0, j; i < k->src_nr; i = j) {
		int64_t first = k->src[i].first;

		for (j = i; j < k->src_nr && !cmp_opt_str(k->src[j].ip,
							 k->src[i].ip); j++)
			;
		for (size_t m = i; m < j; m++) {
			struct nhir_usage_source *s = &k->src[m];

			int64_t lineage = lineage_first(seen, seen_nr, s->ip,
							first);

			s->addr_first = first;
			s->internal = nhir_ev_internal_source(s->ip);
			s->after_exposure = exposed_at != NHIR_TIME_UNSET &&
					    !s->internal && lineage >= exposed_at;
		}
	}
	if (k->src_nr > 1)
		qsort(k->src, k->src_nr, sizeof(*k->src), cmp_grouped);
}

/* Actions by count, most first. */
static int cmp_action(const void *a, const void *b)
{
	const struct nhir_usage_action *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->action, y->action);
}

enum nhir_rc nhir_usage_collect(struct nhir_store *st, const char *ref,
				const struct nhir_usage_opts *opts,
				struct nhir_usage *out, struct nhir_err *err)
{
	struct key_index x = { NULL, 0 };
	struct walk w = { out, &x, err, NHIR_OK };
	bool window = opts->since != NHIR_TIME_UNSET ||
		      opts->until != NHIR_TIME_UNSET;
	bool *scan = NULL;
	struct addr_seen *seen = NULL;
	size_t seen_nr = 0;
	enum nhir_rc rc;

	memset(out, 0, sizeof(*out));
	rc = walk_lineage(st, ref, &w);
	if (!rc && !out->nr)
		rc = nhir_err_set(err, NHIR_ENOTFOUND, "no key '%s'", ref);
	if (rc)
		goto out;
	scan = nhir_calloc(out->nr, sizeof(*scan));
	if (!scan) {
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < out->nr; i++) {
		struct nhir_usage_key *k = &out->keys[i];

		k->detail = !i || opts->all ||
			    out->nr - 1 <= NHIR_USAGE_DETAIL_MAX;
		/*
		 * A window needs every key's events in it; over all time,
		 * only those of detailed keys whose detail is not kept.
		 */
		if (window)
			scan[i] = true;
		else if (k->detail && k->use.events && !k->use.rolled)
			scan[i] = true;
		else if (k->detail && k->use.events)
			rc = read_kept(st, k, opts, err);
		if (rc)
			goto out;
	}
	rc = scan_events(st, out, &x, scan, opts, err);
	if (!rc)
		rc = lineage_addrs(out, &seen, &seen_nr, err);
	for (size_t i = 0; !rc && i < out->nr; i++) {
		struct nhir_usage_key *k = &out->keys[i];

		group_sources(k, opts->exposed_at, seen, seen_nr);
		if (k->act_nr > 1)
			qsort(k->act, k->act_nr, sizeof(*k->act), cmp_action);
	}
out:
	nhir_free(seen);
	nhir_free(scan);
	nhir_free(x.slot);
	if (rc)
		nhir_usage_release(out);
	return rc;
}

void nhir_ref_keys_release(struct nhir_ref_keys *r)
{
	nhir_keys_free(r->keys, r->nr);
	nhir_free(r->ref);
	memset(r, 0, sizeof(*r));
}

/* Adds key to r once; false: out of memory. */
static bool ref_add(struct nhir_ref_keys *r, const char *key)
{
	for (size_t i = 0; i < r->nr; i++)
		if (!strcmp(r->keys[i], key))
			return true;
	if (NHIR_ALLOC_GROW(r->keys, r->nr + 1, r->alloc))
		return false;
	r->keys[r->nr] = nhir_strdup(key);
	return r->keys[r->nr++] != NULL;
}

struct ref_walk {
	struct nhir_store *st;
	struct nhir_ref_keys *r;
	bool oom;
	bool named;	/* events name it as their identity */
};

/* A credential that authenticates the identity acts as it. */
static int ref_edge(const struct nhir_edge *e, void *data)
{
	struct ref_walk *w = data;
	struct nhir_node n;

	if (e->kind != NHIR_EDGE_AUTHENTICATES ||
	    nhir_store_get_node(w->st, e->src, &n, NULL))
		return 0;
	if ((n.kind == NHIR_NODE_CREDENTIAL || n.kind == NHIR_NODE_TOKEN) &&
	    !ref_add(w->r, n.ext_id))
		w->oom = true;
	nhir_node_release(&n);
	return w->oom;
}

static int ref_event(const struct nhir_event *e, void *data)
{
	struct ref_walk *w = data;

	w->named = true;
	if (e->actor_key && !ref_add(w->r, e->actor_key))
		w->oom = true;
	return w->oom;
}

static int any_event(const struct nhir_event *e, void *data)
{
	(void)e;
	*(bool *)data = true;
	return 1;
}

enum nhir_rc nhir_usage_ref(struct nhir_store *st, const char *ref,
			    struct nhir_ref_keys *out, struct nhir_err *err)
{
	struct ref_walk w = { st, out, false, false };
	struct nhir_event_query q = { NULL, 0, NULL, NHIR_TIME_UNSET,
				      NHIR_TIME_UNSET, false, false, 0 };
	struct nhir_node n;
	int64_t id;
	enum nhir_rc rc;
	bool node = false, used = false;

	memset(out, 0, sizeof(*out));
	memset(&n, 0, sizeof(n));
	rc = nhir_store_resolve(st, ref, &id, err);
	if (rc == NHIR_OK) {
		rc = nhir_store_get_node(st, id, &n, err);
		node = !rc;
	}
	if (rc && rc != NHIR_ENOTFOUND)
		return rc;
	rc = NHIR_OK;
	out->ref = nhir_strdup(node ? n.ext_id : ref);
	if (!out->ref) {
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		goto out;
	}
	if (node && n.kind != NHIR_NODE_IDENTITY) {
		rc = ref_add(out, out->ref) ? NHIR_OK
			: nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		goto out;
	}
	/* an identity, or a name only events know: who acted as it */
	if (node)
		rc = nhir_store_node_edges(st, id, NHIR_DIR_IN, ref_edge, &w,
					   err);
	q.identity = out->ref;
	if (!rc && !w.oom)
		rc = nhir_store_events(st, &q, ref_event, &w, err);
	/* a name as the logs spell it (system:serviceaccount:ns:name) */
	q.identity = ref;
	if (!rc && !w.oom && strcmp(ref, out->ref))
		rc = nhir_store_events(st, &q, ref_event, &w, err);
	/* the node's own name, when that is how the logs spell it */
	q.identity = node ? n.name : NULL;
	if (!rc && !w.oom && q.identity && strcmp(q.identity, ref) &&
	    strcmp(q.identity, out->ref))
		rc = nhir_store_events(st, &q, ref_event, &w, err);
	if (!rc && w.oom)
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	if (rc || node || out->nr || w.named) {
		out->identity = true;
		goto out;
	}
	/* a key no importer made a node of, but events name */
	q.identity = NULL;
	q.keys = (const char *const *)&out->ref;
	q.key_nr = 1;
	rc = nhir_store_events(st, &q, any_event, &used, err);
	if (!rc && !used)
		rc = nhir_err_set(err, NHIR_ENOTFOUND,
				  "unknown credential '%s'", ref);
	if (!rc && !ref_add(out, out->ref))
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
out:
	nhir_node_release(&n);
	if (rc)
		nhir_ref_keys_release(out);
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
	struct nhir_usage u = { NULL, 0, 0 };
	struct key_index x = { NULL, 0 };
	struct walk w = { &u, &x, err, NHIR_OK };
	enum nhir_rc rc = NHIR_OK;
	size_t n;
	char **v;

	/* one walk per ref into one set: a key minted twice is once */
	for (size_t r = 0; !rc && r < ref_nr; r++)
		rc = walk_lineage(st, refs[r], &w);
	v = rc ? NULL : nhir_calloc(u.nr + 1, sizeof(*v));
	if (!rc && !v)
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	for (size_t i = 0; !rc && i < u.nr; i++) {
		v[i] = u.keys[i].key;	/* taken over */
		u.keys[i].key = NULL;
	}
	n = u.nr;
	nhir_usage_release(&u);
	nhir_free(x.slot);
	if (rc) {
		nhir_free(v);
		return rc;
	}
	*keys = v;
	*nr = n;
	return NHIR_OK;
}

const char *nhir_usage_note_kind(unsigned flags)
{
	if (flags & NHIR_EV_PERSISTENCE)
		return "persistence";
	if (flags & NHIR_EV_ESCALATION)
		return "escalation";
	if (flags & NHIR_EV_MINT)
		return "minted";
	return "failed";
}

enum nhir_rc nhir_usage_each(struct nhir_store *st,
			     const struct nhir_ref_keys *ref,
			     const struct nhir_usage_opts *opts,
			     nhir_usage_cb cb, void *data, struct nhir_err *err)
{
	bool *shown = nhir_calloc(ref->nr + 1, sizeof(*shown));
	struct nhir_usage u;
	enum nhir_rc rc = NHIR_OK;
	int stop = 0;

	if (!shown)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	for (size_t i = 0; !rc && !stop && i < ref->nr; i++) {
		if (shown[i])
			continue;
		memset(&u, 0, sizeof(u));
		rc = nhir_usage_collect(st, ref->keys[i], opts, &u, err);
		if (rc)
			break;
		/* a later credential this one minted is shown under it */
		for (size_t k = 1; k < u.nr; k++)
			for (size_t j = i + 1; j < ref->nr; j++)
				if (!strcmp(ref->keys[j], u.keys[k].key))
					shown[j] = true;
		stop = cb(&u, data);
		nhir_usage_release(&u);
	}
	nhir_free(shown);
	return rc;
}

enum nhir_rc nhir_ref_unknown(struct nhir_store *st, const char *ref,
			      char (*near)[NHIR_SUGGEST_LEN], size_t max,
			      size_t *nr, bool *events_only,
			      struct nhir_err *err)
{
	struct nhir_ref_keys known;
	enum nhir_rc rc;

	*nr = 0;
	*events_only = false;
	/* a key or an identity only events name: not unknown, no graph */
	rc = nhir_usage_ref(st, ref, &known, err);
	if (!rc) {
		nhir_ref_keys_release(&known);
		*events_only = true;
		return nhir_err_set(err, NHIR_ENOTFOUND, "'%s' is known only "
				    "from events: nhir has no node for it, so "
				    "nothing it reaches or is reached by is "
				    "known; 'nhir usage %s' and 'nhir timeline "
				    "%s' show its events", ref, ref, ref);
	}
	if (rc != NHIR_ENOTFOUND)
		return rc;
	rc = nhir_store_suggest(st, ref, near, max, nr, err);
	if (rc)
		return rc;
	return nhir_err_set(err, NHIR_ENOTFOUND, "unknown credential '%s': "
			    "nhir has no node and no event for it", ref);
}
