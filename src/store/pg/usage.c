/*
 * The PostgreSQL store's usage accounting and lineage, with the SQLite
 * store's semantics (src/store/sqlite/usage.c, graph.c;
 * doc/internals/usage.md): each key's running use kept in key_use as
 * events are flushed, the sources and actions of keys with 256 events
 * or more rolled up, lineage edges kept again by interned key, and the
 * lineage walked breadth first over key_use.  A key's roll-up is one
 * statement per batch (arrays of the batch's distinct sources or
 * actions), not one per source.
 */
#include "compat.h"
#include "nhir/buf.h"
#include "core/hash.h"
#include "store/pg/pg-internal.h"

#define USE_MAX (1u << 16)
#define ROLLUP_MIN 256	/* as SQLite's (its migration 7) */

#define USE_COLS "events, failed, notable, flags, first, last, concurrent," \
	" concurrent_first, tail_time, tail_ip, rolled"

static int64_t col_time(struct pgq *q, int col, int64_t dflt)
{
	return pq_is_null(q, col) ? dflt : pq_col_int(q, col);
}

enum nhir_rc pg_key_sources(struct nhir_store *st, const char *key,
			    nhir_key_source_cb cb, void *data,
			    struct nhir_err *err)
{
	int64_t id = pg_str_id(PG(st), key, err);
	struct pgq *q;
	enum nhir_rc rc;

	if (id <= 0)
		return id < 0 ? NHIR_ESTORE : NHIR_OK;
	rc = pq_query(st, err, &q, "SELECT i.s, a.s, k.first, k.last, k.count"
		      " FROM key_source k LEFT JOIN str i ON i.id = k.ip"
		      " LEFT JOIN str a ON a.id = k.ua WHERE k.key = ?", "i",
		      id);
	if (rc)
		return rc;
	while (pq_step(st, q, err) == 1) {
		struct nhir_key_source src = {
			pq_text(q, 0), pq_text(q, 1), pq_col_int(q, 2),
			pq_col_int(q, 3), (uint64_t)pq_col_int(q, 4)
		};

		if (cb(&src, data))
			break;
	}
	pq_done(q);
	return NHIR_OK;
}

enum nhir_rc pg_key_actions(struct nhir_store *st, const char *key,
			    nhir_key_action_cb cb, void *data,
			    struct nhir_err *err)
{
	int64_t id = pg_str_id(PG(st), key, err);
	struct pgq *q;
	enum nhir_rc rc;

	if (id <= 0)
		return id < 0 ? NHIR_ESTORE : NHIR_OK;
	rc = pq_query(st, err, &q, "SELECT a.s, k.count, k.failed FROM"
		      " key_action k LEFT JOIN str a ON a.id = k.action"
		      " WHERE k.key = ?", "i", id);
	if (rc)
		return rc;
	while (pq_step(st, q, err) == 1) {
		struct nhir_key_action a = {
			pq_text(q, 0), (uint64_t)pq_col_int(q, 1),
			(uint64_t)pq_col_int(q, 2)
		};

		if (cb(&a, data))
			break;
	}
	pq_done(q);
	return NHIR_OK;
}

/* ---- the running use of each key ---- */

static struct pg_key_state *use_slot(struct pg_events *ev, int64_t key)
{
	size_t mask = ev->use.alloc - 1;
	size_t i = (size_t)nhir_hash_u64((uint64_t)key) & mask;

	for (; ev->use.v[i].key && ev->use.v[i].key != key; i = (i + 1) & mask)
		;
	return &ev->use.v[i];
}

static bool use_grow(struct pg_events *ev)
{
	struct pg_key_state *old = ev->use.v;
	size_t oalloc = ev->use.alloc;
	size_t n = oalloc ? oalloc * 2 : 1024;

	ev->use.v = nhir_calloc(n, sizeof(*ev->use.v));
	if (!ev->use.v) {
		ev->use.v = old;
		return false;
	}
	ev->use.alloc = n;
	for (size_t i = 0; i < oalloc; i++)
		if (old[i].key)
			*use_slot(ev, old[i].key) = old[i];
	nhir_free(old);
	return true;
}

static struct pg_key_state *use_get(struct pg_store *s, int64_t key,
				    struct nhir_err *err)
{
	struct pg_events *ev = &s->ev;
	struct pg_key_state *u;
	struct pgq *q;

	if (ev->use.nr >= USE_MAX) {
		nhir_free(ev->use.v);
		memset(&ev->use, 0, sizeof(ev->use));
	}
	if ((ev->use.nr + 1) * 2 > ev->use.alloc && !use_grow(ev)) {
		nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		return NULL;
	}
	u = use_slot(ev, key);
	if (u->key)
		return u;
	if (pq_query(&s->base, err, &q, "SELECT " USE_COLS " FROM key_use"
		     " WHERE key = ? LIMIT 1", "i", key))
		return NULL;
	memset(u, 0, sizeof(*u));
	u->key = key;
	u->total.concurrent_first = NHIR_TIME_UNSET;
	if (pq_step(&s->base, q, err) == 1) {
		struct nhir_key_use *t = &u->total;

		t->events = (uint64_t)pq_col_int(q, 0);
		t->failed = (uint64_t)pq_col_int(q, 1);
		t->notable = (uint64_t)pq_col_int(q, 2);
		t->flags = (unsigned)pq_col_int(q, 3);
		t->first = pq_col_int(q, 4);
		t->last = pq_col_int(q, 5);
		t->concurrent = (uint64_t)pq_col_int(q, 6);
		t->concurrent_first = col_time(q, 7, NHIR_TIME_UNSET);
		t->rolled = pq_col_int(q, 10) != 0;
		u->has_tail = !pq_is_null(q, 8);
		u->tail_time = pq_col_int(q, 8);
		u->tail_ip = pq_col_int(q, 9);
	}
	pq_done(q);
	ev->use.nr++;
	return u;
}

/* NULL, as SQLite binds none */
#define NUL INT64_MIN

/*
 * Writes u to each of its key's rows (unless only_new), or a first row
 * when there is none: a key minted by nobody known.
 */
static enum nhir_rc use_put(struct pg_store *s, const struct pg_key_state *u,
			    int64_t minted, bool only_new,
			    struct nhir_err *err)
{
	const struct nhir_key_use *t = &u->total;
	int64_t n = 0;
	enum nhir_rc rc;
	int64_t first = t->events ? t->first : NUL;
	int64_t last = t->events ? t->last : NUL;
	int64_t cfirst = t->concurrent ? t->concurrent_first : NUL;
	int64_t tt = u->has_tail ? u->tail_time : NUL;
	int64_t tip = u->has_tail ? u->tail_ip : NUL;

	if (!only_new) {
		rc = pq_int(&s->base, err, &n, NULL, "WITH u AS (UPDATE key_use"
			    " SET events = ?2, failed = ?3, notable = ?4,"
			    " flags = ?5, first = ?6, last = ?7,"
			    " concurrent = ?8, concurrent_first = ?9,"
			    " tail_time = ?10, tail_ip = ?11, rolled = ?12"
			    " WHERE key = ?1 RETURNING 1) SELECT count(*)"
			    " FROM u", "iiiiinninnni", u->key,
			    (int64_t)t->events, (int64_t)t->failed,
			    (int64_t)t->notable, (int64_t)t->flags, first,
			    last, (int64_t)t->concurrent, cfirst, tt, tip,
			    (int64_t)t->rolled);
		if (rc || n)
			return rc;
	}
	return pq_exec_bulk(&s->base, err, "INSERT INTO key_use SELECT 0, ?1,"
			    " 0, NULL, s, ?13, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
			    " ?10, ?11, ?12 FROM str WHERE id = ?1",
			    "iiiiinninnnii", u->key, (int64_t)t->events,
			    (int64_t)t->failed, (int64_t)t->notable,
			    (int64_t)t->flags, first, last,
			    (int64_t)t->concurrent, cfirst, tt, tip,
			    (int64_t)t->rolled, minted);
}

static void use_follow(struct pg_key_state *u, int64_t time, int64_t ip)
{
	nhir_key_use_follow(&u->total, time, u->has_tail && u->tail_ip != ip,
			    u->tail_time);
	u->tail_time = time;
	u->tail_ip = ip;
	u->has_tail = true;
}

_Static_assert(NHIR_EV_INTERNAL == 32, "use_recount's condition");

static enum nhir_rc use_recount(struct pg_store *s, struct pg_key_state *u,
				struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc;

	u->total.concurrent = 0;
	u->total.concurrent_first = NHIR_TIME_UNSET;
	u->has_tail = false;
	rc = pq_query(&s->base, err, &q, "SELECT time, src_ip FROM event"
		      " WHERE actor_key = ? AND src_ip IS NOT NULL"
		      " AND flags & 32 = 0 ORDER BY time, id", "i", u->key);
	if (rc)
		return rc;
	while (pq_step(&s->base, q, err) == 1)
		use_follow(u, pq_col_int(q, 0), pq_col_int(q, 1));
	pq_done(q);
	return NHIR_OK;
}

struct roll_item {
	int64_t a, b, time;
	bool failed;
};

static int cmp_roll(const void *x, const void *y)
{
	const struct roll_item *p = x, *q = y;

	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	return p->b < q->b ? -1 : p->b > q->b;
}

/*
 * Adds the nr items (one per event) to key's sources (sources true) or
 * actions: one statement, the distinct sources or actions as arrays.
 */
static enum nhir_rc roll_add(struct pg_store *s, int64_t key,
			     struct roll_item *v, size_t nr, bool sources,
			     struct nhir_err *err)
{
	/* a; b (sources) or failed (actions); first; last; count */
	struct nhir_buf col[5];
	enum nhir_rc rc = NHIR_OK;

	for (int c = 0; c < 5; c++) {
		nhir_buf_init(&col[c], 1u << 30);
		nhir_buf_addch(&col[c], '{');
	}
	qsort(v, nr, sizeof(*v), cmp_roll);
	for (size_t i = 0, j; i < nr; i = j) {
		int64_t first = v[i].time, last = v[i].time;
		uint64_t failed = 0;
		const char *sep = i ? "," : "";

		for (j = i; j < nr && v[j].a == v[i].a && v[j].b == v[i].b;
		     j++) {
			if (v[j].time < first)
				first = v[j].time;
			if (v[j].time > last)
				last = v[j].time;
			failed += v[j].failed;
		}
		nhir_buf_addf(&col[0], "%s%" PRId64, sep, v[i].a);
		if (sources)
			nhir_buf_addf(&col[1], "%s%" PRId64, sep, v[i].b);
		else
			nhir_buf_addf(&col[1], "%s%" PRIu64, sep, failed);
		nhir_buf_addf(&col[2], "%s%" PRId64, sep, first);
		nhir_buf_addf(&col[3], "%s%" PRId64, sep, last);
		nhir_buf_addf(&col[4], "%s%zu", sep, j - i);
	}
	for (int c = 0; c < 5; c++) {
		nhir_buf_addch(&col[c], '}');
		if (col[c].err && !rc)
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	if (!rc && sources)
		rc = pq_exec_bulk(&s->base, err, "INSERT INTO key_source"
				  " SELECT ?1, ip, ua, f, l, n FROM"
				  " unnest(CAST(?2 AS bigint[]),"
				  " CAST(?3 AS bigint[]), CAST(?4 AS bigint[]),"
				  " CAST(?5 AS bigint[]), CAST(?6 AS bigint[]))"
				  " AS v(ip, ua, f, l, n)"
				  " ON CONFLICT (key, ip, ua) DO UPDATE SET"
				  " first = least(key_source.first,"
				  " excluded.first), last = greatest("
				  "key_source.last, excluded.last),"
				  " count = key_source.count + excluded.count",
				  "ittttt", key, col[0].buf, col[1].buf,
				  col[2].buf, col[3].buf, col[4].buf);
	else if (!rc)
		rc = pq_exec_bulk(&s->base, err, "INSERT INTO key_action"
				  " SELECT ?1, a, n, f FROM"
				  " unnest(CAST(?2 AS bigint[]),"
				  " CAST(?3 AS bigint[]), CAST(?4 AS bigint[]))"
				  " AS v(a, f, n) ON CONFLICT (key, action)"
				  " DO UPDATE SET count = key_action.count +"
				  " excluded.count, failed = key_action.failed"
				  " + excluded.failed", "ittt", key,
				  col[0].buf, col[1].buf, col[4].buf);
	for (int c = 0; c < 5; c++)
		nhir_buf_release(&col[c]);
	return rc;
}

static enum nhir_rc roll_fill(struct pg_store *s, int64_t key,
			      struct nhir_err *err)
{
	enum nhir_rc rc;

	rc = pq_exec_bulk(&s->base, err, "INSERT INTO key_source SELECT"
			  " actor_key, coalesce(src_ip, 0),"
			  " coalesce(user_agent, 0), min(time), max(time),"
			  " count(*) FROM event WHERE actor_key = ?"
			  " GROUP BY 1, 2, 3", "i", key);
	if (!rc)
		rc = pq_exec_bulk(&s->base, err, "INSERT INTO key_action SELECT"
				  " actor_key, coalesce(action, 0), count(*),"
				  " count(*) FILTER (WHERE flags & 16 != 0)"
				  " FROM event WHERE actor_key = ?"
				  " GROUP BY 1, 2", "i", key);
	return rc;
}

static enum nhir_rc roll_key(struct pg_store *s, int64_t key,
			     const struct pg_ev *v, size_t n,
			     struct nhir_err *err)
{
	struct pg_key_state *u = use_get(s, key, err);
	struct roll_item *roll = NULL;
	bool was_rolled, recount = false;
	size_t added = 0;
	enum nhir_rc rc;

	if (!u)
		return err && err->rc ? err->rc : NHIR_ESTORE;
	was_rolled = u->total.rolled;
	if (was_rolled) {
		roll = nhir_calloc(n, sizeof(*roll));
		if (!roll)
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		const struct pg_ev *e = &v[i];

		if (e->dup)
			continue;
		nhir_key_use_add(&u->total, e->time, e->flags);
		if (e->ids[5] && !(e->flags & NHIR_EV_INTERNAL) && !recount) {
			if (u->has_tail && e->time < u->tail_time)
				recount = true;
			else
				use_follow(u, e->time, e->ids[5]);
		}
		if (was_rolled) {
			roll[added].a = e->ids[5];
			roll[added].b = e->ids[6];
			roll[added].time = e->time;
			roll[added].failed = false;
		}
		added++;
	}
	if (!added) {
		nhir_free(roll);
		return NHIR_OK;
	}
	rc = recount ? use_recount(s, u, err) : NHIR_OK;
	if (!rc && was_rolled) {
		rc = roll_add(s, key, roll, added, true, err);
		for (size_t i = 0, j = 0; !rc && i < n; i++) {
			if (v[i].dup)
				continue;
			roll[j].a = v[i].ids[3];
			roll[j].b = 0;
			roll[j].time = v[i].time;
			roll[j++].failed = v[i].flags & NHIR_EV_FAILED;
		}
		if (!rc)
			rc = roll_add(s, key, roll, added, false, err);
	} else if (!rc && u->total.events >= ROLLUP_MIN) {
		rc = roll_fill(s, key, err);
		u->total.rolled = !rc;
	}
	nhir_free(roll);
	return rc ? rc : use_put(s, u, 0, false, err);
}

enum nhir_rc pg_roll_up(struct pg_store *s, struct nhir_err *err)
{
	struct pg_events *ev = &s->ev;
	enum nhir_rc rc = NHIR_OK;

	for (size_t i = 0, j; !rc && i < ev->batch_nr; i = j) {
		int64_t key = ev->batch[i].ids[1];

		for (j = i; j < ev->batch_nr && ev->batch[j].ids[1] == key; j++)
			;
		if (key > 0)
			rc = roll_key(s, key, &ev->batch[i], j - i, err);
	}
	if (rc) {
		nhir_free(ev->use.v);
		memset(&ev->use, 0, sizeof(ev->use));
	}
	return rc;
}

/* ---- lineage edges, by interned key ---- */

enum nhir_rc pg_mint_put(struct pg_store *s, const struct nhir_edge_rec *r,
			 enum nhir_node_kind dkind, struct nhir_err *err)
{
	struct nhir_store *st = &s->base;
	int64_t src, dst, n = 0, created;
	enum nhir_rc rc;
	int step;

	if ((r->kind != NHIR_EDGE_ISSUED && r->kind != NHIR_EDGE_CREATED) ||
	    (dkind != NHIR_NODE_CREDENTIAL && dkind != NHIR_NODE_TOKEN))
		return NHIR_OK;
	src = pg_intern(s, r->src, err);
	dst = pg_intern(s, r->dst, err);
	if (src <= 0 || dst <= 0)
		return err && err->rc ? err->rc : NHIR_ESTORE;
	created = r->created == NHIR_TIME_UNSET || r->created == NHIR_TIME_NEVER
			  ? 0 : r->created;
	/*
	 * The first that changes a row: a new key; an edge known already
	 * (its time may be new); a key seen alone, which gets its parent;
	 * a key minted a second time, whose totals are copied.
	 */
	for (step = 0; step < 4 && !n; step++) {
		static const char *const sql[4] = {
			"WITH c AS (INSERT INTO key_use SELECT ?1, ?2, ?3, ?4, s,"
			" 0, 0, 0, 0, 0, NULL, NULL, 0, NULL, NULL, NULL, 0"
			" FROM str WHERE id = ?2 AND NOT EXISTS (SELECT 1 FROM"
			" key_use WHERE key = ?2) RETURNING 1)"
			" SELECT count(*) FROM c",
			"WITH c AS (UPDATE key_use SET created ="
			" coalesce(?4, created) WHERE parent = ?1 AND key = ?2"
			" AND via = ?3 RETURNING 1) SELECT count(*) FROM c",
			"WITH c AS (UPDATE key_use SET parent = ?1, via = ?3,"
			" created = ?4 WHERE parent = 0 AND key = ?2"
			" RETURNING 1) SELECT count(*) FROM c",
			"WITH c AS (INSERT INTO key_use SELECT ?1, key, ?3, ?4,"
			" name, minted, events, failed, notable, flags, first,"
			" last, concurrent, concurrent_first, tail_time,"
			" tail_ip, rolled FROM key_use WHERE key = ?2 LIMIT 1"
			" ON CONFLICT DO NOTHING RETURNING 1)"
			" SELECT count(*) FROM c",
		};

		rc = pq_int(st, err, &n, NULL, sql[step], "iiiz", src, dst,
			    (int64_t)r->kind, created);
		if (rc)
			return rc;
	}
	if (!n || step == 2)
		return NHIR_OK;	/* no new row */
	/* the parent has minted one more: walks descend from it */
	rc = pq_int(st, err, &n, NULL, "WITH c AS (UPDATE key_use SET minted ="
		    " minted + 1 WHERE key = ? RETURNING 1) SELECT count(*)"
		    " FROM c", "i", src);
	if (rc || n)
		return rc;
	{
		struct pg_key_state u;

		memset(&u, 0, sizeof(u));
		u.key = src;
		u.total.concurrent_first = NHIR_TIME_UNSET;
		/* the cached use of src, if any, is stale now */
		nhir_free(s->ev.use.v);
		memset(&s->ev.use, 0, sizeof(s->ev.use));
		return use_put(s, &u, 1, true, err);
	}
}

/* ---- lineage ---- */

struct lin_row {
	int64_t key;
	char *name;
	int64_t created;
	enum nhir_edge_kind via;
	int64_t minted;
	struct nhir_key_use use;
	bool has_use;
};

struct lin_queue {
	struct lin_row *v;
	size_t head, nr, alloc;
	int64_t *seen;
	size_t seen_nr, seen_alloc;
	unsigned *depth;
	size_t depth_alloc;
};

#define LIN_COLS "key, name, minted, created, via, events, failed, notable," \
	" flags, first, last, concurrent, concurrent_first, rolled"

static bool lin_read(struct pgq *q, struct lin_row *r)
{
	r->key = pq_col_int(q, 0);
	r->name = nhir_strdup(pq_text(q, 1) ? pq_text(q, 1) : "");
	r->minted = pq_col_int(q, 2);
	r->created = col_time(q, 3, NHIR_TIME_UNSET);
	r->via = (enum nhir_edge_kind)pq_col_int(q, 4);
	r->use.events = (uint64_t)pq_col_int(q, 5);
	r->use.failed = (uint64_t)pq_col_int(q, 6);
	r->use.notable = (uint64_t)pq_col_int(q, 7);
	r->use.flags = (unsigned)pq_col_int(q, 8);
	r->use.first = col_time(q, 9, NHIR_TIME_UNSET);
	r->use.last = col_time(q, 10, NHIR_TIME_UNSET);
	r->use.concurrent = (uint64_t)pq_col_int(q, 11);
	r->use.concurrent_first = col_time(q, 12, NHIR_TIME_UNSET);
	r->use.rolled = pq_col_int(q, 13) != 0;
	r->has_use = r->use.events > 0;
	return r->name != NULL;
}

static int cmp_lin_row(const void *a, const void *b)
{
	const struct lin_row *x = a, *y = b;

	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Queues r (taking its name) unless it was; false when out of memory. */
static bool lin_push(struct lin_queue *lq, struct lin_row *r, unsigned depth)
{
	size_t mask, i;

	if ((lq->seen_nr + 1) * 2 > lq->seen_alloc) {
		size_t n = lq->seen_alloc ? lq->seen_alloc * 2 : 64;
		int64_t *v = nhir_calloc(n, sizeof(*v));

		if (!v)
			return false;
		for (size_t j = 0; j < lq->seen_alloc; j++) {
			if (!lq->seen[j])
				continue;
			for (i = (size_t)nhir_hash_u64((uint64_t)lq->seen[j]) &
				 (n - 1);
			     v[i]; i = (i + 1) & (n - 1))
				;
			v[i] = lq->seen[j];
		}
		nhir_free(lq->seen);
		lq->seen = v;
		lq->seen_alloc = n;
	}
	mask = lq->seen_alloc - 1;
	for (i = (size_t)nhir_hash_u64((uint64_t)r->key) & mask; lq->seen[i];
	     i = (i + 1) & mask)
		if (lq->seen[i] == r->key)
			return true;
	if (NHIR_ALLOC_GROW(lq->v, lq->nr + 1, lq->alloc) ||
	    NHIR_ALLOC_GROW(lq->depth, lq->nr + 1, lq->depth_alloc))
		return false;
	lq->v[lq->nr] = *r;
	lq->v[lq->nr].name = nhir_strdup(r->name);
	if (!lq->v[lq->nr].name)
		return false;
	lq->depth[lq->nr++] = depth;
	lq->seen[i] = r->key;
	lq->seen_nr++;
	return true;
}

static enum nhir_rc lin_children(struct pg_store *s, struct lin_queue *lq,
				 size_t parent, unsigned max_depth,
				 nhir_lineage_cb cb, void *data, bool *stop,
				 struct nhir_err *err)
{
	struct lin_row *kids = NULL;
	size_t nr = 0;
	unsigned depth = lq->depth[parent] + 1;
	struct pgq *q;
	enum nhir_rc rc;

	rc = pq_query(&s->base, err, &q, "SELECT " LIN_COLS " FROM key_use"
		      " WHERE parent = ?", "i", lq->v[parent].key);
	if (rc)
		return rc;
	kids = nhir_calloc((size_t)q->nr + 1, sizeof(*kids));
	if (!kids)
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	while (!rc && pq_step(&s->base, q, err) == 1)
		if (!lin_read(q, &kids[nr++]))
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	pq_done(q);
	if (!rc && nr > 1)
		qsort(kids, nr, sizeof(*kids), cmp_lin_row);
	for (size_t i = 0; !rc && !*stop && i < nr; i++) {
		struct nhir_lineage_rec rec = {
			kids[i].name, lq->v[parent].name, kids[i].via,
			kids[i].created, depth,
			kids[i].has_use ? &kids[i].use : NULL
		};

		if (cb(&rec, data))
			*stop = true;
		else if (kids[i].minted > 0 && depth < max_depth &&
			 !lin_push(lq, &kids[i], depth))
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < nr; i++)
		nhir_free(kids[i].name);
	nhir_free(kids);
	return rc;
}

enum nhir_rc pg_lineage(struct nhir_store *st, const char *root,
			unsigned max_depth, nhir_lineage_cb cb, void *data,
			struct nhir_err *err)
{
	struct pg_store *s = PG(st);
	struct nhir_lineage_rec rec = { root, NULL, 0, NHIR_TIME_UNSET, 0,
					NULL };
	struct lin_queue lq;
	struct lin_row top;
	enum nhir_rc rc = NHIR_OK;
	struct pgq *q;
	bool stop = false, have = false;
	int64_t id = pg_str_id(s, root, err);

	if (id < 0)
		return err && err->rc ? err->rc : NHIR_ESTORE;
	if (!id) {
		cb(&rec, data);
		return NHIR_OK;
	}
	memset(&lq, 0, sizeof(lq));
	memset(&top, 0, sizeof(top));
	rc = pq_query(st, err, &q, "SELECT " LIN_COLS " FROM key_use"
		      " WHERE key = ? LIMIT 1", "i", id);
	if (rc)
		return rc;
	if (pq_step(st, q, err) == 1) {
		if (!lin_read(q, &top))
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		have = true;
		rec.use = top.has_use ? &top.use : NULL;
	}
	pq_done(q);
	if (rc)
		;
	else if (cb(&rec, data))
		stop = true;
	else if (have && top.minted > 0 && max_depth &&
		 !lin_push(&lq, &top, 0))
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	nhir_free(top.name);
	while (!rc && !stop && lq.head < lq.nr)
		rc = lin_children(s, &lq, lq.head++, max_depth, cb, data,
				  &stop, err);
	for (size_t i = 0; i < lq.nr; i++)
		nhir_free(lq.v[i].name);
	nhir_free(lq.v);
	nhir_free(lq.depth);
	nhir_free(lq.seen);
	return rc;
}
