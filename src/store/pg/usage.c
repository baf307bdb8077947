/*
 * The PostgreSQL store's usage accounting and lineage, with the SQLite
 * store's semantics (src/store/sqlite/usage.c, graph.c;
 * doc/internals/usage.md): each key's running use kept in key_use as
 * events are flushed, the sources and actions of keys with 256 events
 * or more rolled up, lineage edges kept again by interned key, and the
 * lineage walked breadth first over key_use.  A flush reads and writes
 * the use of all the keys it names in one statement each, and their
 * roll-ups in one statement each (arrays), not one per key or source.
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

/* NULL, as SQLite binds none */
#define NUL INT64_MIN

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

/*
 * A flush's usage, written for all its keys at once: the kept use of
 * every key the batch names is read with one statement, counted here,
 * and written back with one; the sources and actions of rolled-up keys
 * are one upsert each for the whole batch, and the keys that reach
 * ROLLUP_MIN are filled from their events with one statement each.
 * Only a key whose events arrived out of order reads its events alone.
 */
struct roll_item {
	int64_t key, a, b, time;
	bool failed;
};

struct roll_batch {
	struct roll_item *src, *act;	/* rolled-up keys' sources, actions */
	size_t src_nr, act_nr;
	int64_t *fill, *put;	/* keys to roll up now; keys to write */
	size_t fill_nr, put_nr;
};

/* v (NUL for NULL) appended to an array's text form. */
static void arr_add(struct nhir_buf *b, int64_t v)
{
	nhir_buf_addch(b, b->len ? ',' : '{');
	if (v == NUL)
		nhir_buf_adds(b, "NULL");
	else
		nhir_buf_addf(b, "%" PRId64, v);
}

/* Closes the nr arrays of col; false when out of memory. */
static bool arr_end(struct nhir_buf *col, int nr)
{
	bool ok = true;

	for (int c = 0; c < nr; c++) {
		if (!col[c].len)
			nhir_buf_addch(&col[c], '{');
		nhir_buf_addch(&col[c], '}');
		ok = ok && !col[c].err;
	}
	return ok;
}

static void arr_init(struct nhir_buf *col, int nr)
{
	for (int c = 0; c < nr; c++)
		nhir_buf_init(&col[c], 1u << 30);
}

static void arr_release(struct nhir_buf *col, int nr)
{
	for (int c = 0; c < nr; c++)
		nhir_buf_release(&col[c]);
}

/*
 * Brings every key of the batch into the cache: those it lacks read
 * with one statement (a key with no row yet starts at nothing).
 */
static enum nhir_rc use_load(struct pg_store *s, struct nhir_err *err)
{
	struct pg_events *ev = &s->ev;
	struct nhir_buf keys = NHIR_BUF_INIT(1u << 30);
	size_t distinct = 0;
	struct pgq *q;
	enum nhir_rc rc;

	for (size_t i = 0; i < ev->batch_nr; i++)
		distinct += ev->batch[i].ids[1] > 0 &&
			    (!i || ev->batch[i].ids[1] != ev->batch[i - 1].ids[1]);
	if (ev->use.nr + distinct > USE_MAX) {
		nhir_free(ev->use.v);
		memset(&ev->use, 0, sizeof(ev->use));
	}
	while ((ev->use.nr + distinct + 1) * 2 > ev->use.alloc)
		if (!use_grow(ev))
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	for (size_t i = 0; i < ev->batch_nr; i++) {
		int64_t key = ev->batch[i].ids[1];
		struct pg_key_state *u;

		if (key <= 0 || (i && key == ev->batch[i - 1].ids[1]))
			continue;
		u = use_slot(ev, key);
		if (u->key)
			continue;
		memset(u, 0, sizeof(*u));
		u->key = key;
		u->total.concurrent_first = NHIR_TIME_UNSET;
		ev->use.nr++;
		arr_add(&keys, key);
	}
	if (!keys.len)
		return NHIR_OK;
	if (!arr_end(&keys, 1)) {
		nhir_buf_release(&keys);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	/* a key's rows (one per parent) carry the same use */
	rc = pq_query(&s->base, err, &q, "SELECT DISTINCT ON (key) key, "
		      USE_COLS " FROM unnest(CAST(? AS bigint[])) AS v(k)"
		      " JOIN key_use ON key = v.k", "t", keys.buf);
	nhir_buf_release(&keys);
	if (rc)
		return rc;
	while (pq_step(&s->base, q, err) == 1) {
		struct pg_key_state *u = use_slot(ev, pq_col_int(q, 0));
		struct nhir_key_use *t = &u->total;

		if (!u->key)
			continue;
		t->events = (uint64_t)pq_col_int(q, 1);
		t->failed = (uint64_t)pq_col_int(q, 2);
		t->notable = (uint64_t)pq_col_int(q, 3);
		t->flags = (unsigned)pq_col_int(q, 4);
		t->first = pq_col_int(q, 5);
		t->last = pq_col_int(q, 6);
		t->concurrent = (uint64_t)pq_col_int(q, 7);
		t->concurrent_first = col_time(q, 8, NHIR_TIME_UNSET);
		t->rolled = pq_col_int(q, 11) != 0;
		u->has_tail = !pq_is_null(q, 9);
		u->tail_time = pq_col_int(q, 9);
		u->tail_ip = pq_col_int(q, 10);
	}
	pq_done(q);
	return NHIR_OK;
}

static int cmp_roll(const void *x, const void *y)
{
	const struct roll_item *p = x, *q = y;

	if (p->key != q->key)
		return p->key < q->key ? -1 : 1;
	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	return p->b < q->b ? -1 : p->b > q->b;
}

/*
 * Adds the nr items (one per event) to their keys' sources (sources
 * true) or actions: one statement, the distinct ones as arrays.
 */
static enum nhir_rc roll_add(struct pg_store *s, struct roll_item *v,
			     size_t nr, bool sources, struct nhir_err *err)
{
	/* key; a; b (sources) or failed (actions); first; last; count */
	struct nhir_buf col[6];
	enum nhir_rc rc = NHIR_OK;

	if (!nr)
		return NHIR_OK;
	arr_init(col, 6);
	qsort(v, nr, sizeof(*v), cmp_roll);
	for (size_t i = 0, j; i < nr; i = j) {
		int64_t first = v[i].time, last = v[i].time;
		int64_t failed = 0;

		for (j = i; j < nr && v[j].key == v[i].key &&
			    v[j].a == v[i].a && v[j].b == v[i].b; j++) {
			if (v[j].time < first)
				first = v[j].time;
			if (v[j].time > last)
				last = v[j].time;
			failed += v[j].failed;
		}
		arr_add(&col[0], v[i].key);
		arr_add(&col[1], v[i].a);
		arr_add(&col[2], sources ? v[i].b : failed);
		arr_add(&col[3], first);
		arr_add(&col[4], last);
		arr_add(&col[5], (int64_t)(j - i));
	}
	if (!arr_end(col, 6))
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	else if (sources)
		rc = pq_exec_bulk(&s->base, err, "INSERT INTO key_source"
				  " SELECT k, ip, ua, f, l, n FROM"
				  " unnest(CAST(?1 AS bigint[]),"
				  " CAST(?2 AS bigint[]), CAST(?3 AS bigint[]),"
				  " CAST(?4 AS bigint[]), CAST(?5 AS bigint[]),"
				  " CAST(?6 AS bigint[]))"
				  " AS v(k, ip, ua, f, l, n)"
				  " ON CONFLICT (key, ip, ua) DO UPDATE SET"
				  " first = least(key_source.first,"
				  " excluded.first), last = greatest("
				  "key_source.last, excluded.last),"
				  " count = key_source.count + excluded.count",
				  "tttttt", col[0].buf, col[1].buf, col[2].buf,
				  col[3].buf, col[4].buf, col[5].buf);
	else
		rc = pq_exec_bulk(&s->base, err, "INSERT INTO key_action"
				  " SELECT k, a, n, f FROM"
				  " unnest(CAST(?1 AS bigint[]),"
				  " CAST(?2 AS bigint[]), CAST(?3 AS bigint[]),"
				  " CAST(?4 AS bigint[]))"
				  " AS v(k, a, f, n) ON CONFLICT (key, action)"
				  " DO UPDATE SET count = key_action.count +"
				  " excluded.count, failed = key_action.failed"
				  " + excluded.failed", "tttt", col[0].buf,
				  col[1].buf, col[2].buf, col[5].buf);
	arr_release(col, 6);
	return rc;
}

/* Rolls up the nr keys that just reached ROLLUP_MIN, from their events. */
static enum nhir_rc roll_fill(struct pg_store *s, const int64_t *keys,
			      size_t nr, struct nhir_err *err)
{
	struct nhir_buf arr = NHIR_BUF_INIT(1u << 30);
	enum nhir_rc rc;

	if (!nr)
		return NHIR_OK;
	for (size_t i = 0; i < nr; i++)
		arr_add(&arr, keys[i]);
	if (!arr_end(&arr, 1)) {
		nhir_buf_release(&arr);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	rc = pq_exec_bulk(&s->base, err, "INSERT INTO key_source SELECT"
			  " actor_key, coalesce(src_ip, 0),"
			  " coalesce(user_agent, 0), min(time), max(time),"
			  " count(*) FROM event WHERE actor_key = ANY(CAST(?"
			  " AS bigint[])) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
			  "t", arr.buf);
	if (!rc)
		rc = pq_exec_bulk(&s->base, err, "INSERT INTO key_action SELECT"
				  " actor_key, coalesce(action, 0), count(*),"
				  " count(*) FILTER (WHERE flags & 16 != 0)"
				  " FROM event WHERE actor_key = ANY(CAST(? AS"
				  " bigint[])) GROUP BY 1, 2 ORDER BY 1, 2",
				  "t", arr.buf);
	nhir_buf_release(&arr);
	return rc;
}

/*
 * Writes the use of the nr keys: each of a key's rows, or a first row
 * (a key minted by nobody known) for a key that has none.
 */
static enum nhir_rc use_write(struct pg_store *s, const int64_t *keys,
			      size_t nr, struct nhir_err *err)
{
	struct nhir_buf col[12];
	enum nhir_rc rc;

	if (!nr)
		return NHIR_OK;
	arr_init(col, 12);
	for (size_t i = 0; i < nr; i++) {
		const struct pg_key_state *u = use_slot(&s->ev, keys[i]);
		const struct nhir_key_use *t = &u->total;

		arr_add(&col[0], u->key);
		arr_add(&col[1], (int64_t)t->events);
		arr_add(&col[2], (int64_t)t->failed);
		arr_add(&col[3], (int64_t)t->notable);
		arr_add(&col[4], (int64_t)t->flags);
		arr_add(&col[5], t->events ? t->first : NUL);
		arr_add(&col[6], t->events ? t->last : NUL);
		arr_add(&col[7], (int64_t)t->concurrent);
		arr_add(&col[8], t->concurrent ? t->concurrent_first : NUL);
		arr_add(&col[9], u->has_tail ? u->tail_time : NUL);
		arr_add(&col[10], u->has_tail ? u->tail_ip : NUL);
		arr_add(&col[11], (int64_t)t->rolled);
	}
	if (!arr_end(col, 12)) {
		arr_release(col, 12);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	rc = pq_exec_bulk(&s->base, err, "WITH v AS (SELECT * FROM"
			  " unnest(CAST(?1 AS bigint[]), CAST(?2 AS bigint[]),"
			  " CAST(?3 AS bigint[]), CAST(?4 AS bigint[]),"
			  " CAST(?5 AS bigint[]), CAST(?6 AS bigint[]),"
			  " CAST(?7 AS bigint[]), CAST(?8 AS bigint[]),"
			  " CAST(?9 AS bigint[]), CAST(?10 AS bigint[]),"
			  " CAST(?11 AS bigint[]), CAST(?12 AS bigint[]))"
			  " WITH ORDINALITY AS v(key, events, failed, notable,"
			  " flags, first, last, concurrent, cfirst, ttime,"
			  " tip, rolled, ord)),"
			  " u AS (UPDATE key_use k SET events = v.events,"
			  " failed = v.failed, notable = v.notable,"
			  " flags = v.flags, first = v.first, last = v.last,"
			  " concurrent = v.concurrent,"
			  " concurrent_first = v.cfirst, tail_time = v.ttime,"
			  " tail_ip = v.tip, rolled = v.rolled FROM v"
			  " WHERE k.key = v.key RETURNING k.key)"
			  " INSERT INTO key_use SELECT 0, v.key, 0, NULL, t.s,"
			  " 0, v.events, v.failed, v.notable, v.flags, v.first,"
			  " v.last, v.concurrent, v.cfirst, v.ttime, v.tip,"
			  " v.rolled FROM v JOIN str t ON t.id = v.key"
			  " WHERE NOT EXISTS (SELECT 1 FROM u WHERE"
			  " u.key = v.key) ORDER BY v.ord", "tttttttttttt",
			  col[0].buf, col[1].buf, col[2].buf, col[3].buf,
			  col[4].buf, col[5].buf, col[6].buf, col[7].buf,
			  col[8].buf, col[9].buf, col[10].buf, col[11].buf);
	arr_release(col, 12);
	return rc;
}

/* Counts key's n events (of the batch) into its cached use, noting in
 * rb what is to be written. */
static enum nhir_rc roll_key(struct pg_store *s, int64_t key,
			     const struct pg_ev *v, size_t n,
			     struct roll_batch *rb, struct nhir_err *err)
{
	struct pg_key_state *u = use_slot(&s->ev, key);
	bool was_rolled = u->total.rolled, recount = false;
	size_t added = 0;

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
			rb->src[rb->src_nr++] = (struct roll_item){
				key, e->ids[5], e->ids[6], e->time, false };
			rb->act[rb->act_nr++] = (struct roll_item){
				key, e->ids[3], 0, e->time,
				(e->flags & NHIR_EV_FAILED) != 0 };
		}
		added++;
	}
	if (!added)
		return NHIR_OK;
	if (recount) {
		enum nhir_rc rc = use_recount(s, u, err);

		if (rc)
			return rc;
	}
	if (!was_rolled && u->total.events >= ROLLUP_MIN) {
		rb->fill[rb->fill_nr++] = key;
		u->total.rolled = true;
	}
	rb->put[rb->put_nr++] = key;
	return NHIR_OK;
}

enum nhir_rc pg_roll_up(struct pg_store *s, struct nhir_err *err)
{
	struct pg_events *ev = &s->ev;
	struct roll_batch rb;
	size_t n = ev->batch_nr;
	enum nhir_rc rc;

	memset(&rb, 0, sizeof(rb));
	rb.src = nhir_calloc(n + 1, sizeof(*rb.src));
	rb.act = nhir_calloc(n + 1, sizeof(*rb.act));
	rb.fill = nhir_calloc(n + 1, sizeof(*rb.fill));
	rb.put = nhir_calloc(n + 1, sizeof(*rb.put));
	if (!rb.src || !rb.act || !rb.fill || !rb.put)
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	else
		rc = use_load(s, err);
	for (size_t i = 0, j; !rc && i < n; i = j) {
		int64_t key = ev->batch[i].ids[1];

		for (j = i; j < n && ev->batch[j].ids[1] == key; j++)
			;
		if (key > 0)
			rc = roll_key(s, key, &ev->batch[i], j - i, &rb, err);
	}
	if (!rc)
		rc = roll_add(s, rb.src, rb.src_nr, true, err);
	if (!rc)
		rc = roll_add(s, rb.act, rb.act_nr, false, err);
	if (!rc)
		rc = roll_fill(s, rb.fill, rb.fill_nr, err);
	if (!rc)
		rc = use_write(s, rb.put, rb.put_nr, err);
	nhir_free(rb.src);
	nhir_free(rb.act);
	nhir_free(rb.fill);
	nhir_free(rb.put);
	if (rc) {
		nhir_free(ev->use.v);
		memset(&ev->use, 0, sizeof(ev->use));
	}
	return rc;
}

/* ---- lineage edges, by interned key ---- */

/* A key minted, kept to be written with the graph (pg_mints_write). */
static enum nhir_rc mint_keep(struct pg_store *s, const struct nhir_edge_rec *r,
			      int64_t created, struct nhir_err *err)
{
	struct pg_graph *g = &s->graph;
	struct pg_gmint *m;

	if (NHIR_ALLOC_GROW(g->m, g->m_nr + 1, g->m_alloc))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	m = &g->m[g->m_nr];
	m->src = nhir_strdup(r->src);
	m->dst = nhir_strdup(r->dst);
	m->via = (int64_t)r->kind;
	m->created = created;
	if (!m->src || !m->dst) {
		nhir_free(m->src);
		nhir_free(m->dst);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	g->m_nr++;
	g->pending++;
	return NHIR_OK;
}

/*
 * What pg_mint_put's statements do one after the other, as one (its
 * parts see the rows as they were before it): the first that changes a
 * row of the key ($2) of a new key; an edge known already; a key seen
 * alone, which gets its parent; a key minted a second time, whose
 * totals are copied.  Then, when that made a row, the parent ($1) has
 * minted one more, or gets a first row.  The answer: whether it did.
 * $1 and $2 differ (the same row is never changed twice).
 */
#define MINT_SQL \
	"WITH k AS (SELECT count(*) AS n, count(*) FILTER (WHERE parent = ?1" \
	" AND via = ?3) AS same, count(*) FILTER (WHERE parent = 0) AS alone" \
	" FROM key_use WHERE key = ?2)," \
	" s0 AS (INSERT INTO key_use SELECT ?1, ?2, ?3, ?4, s, 0, 0, 0, 0, 0," \
	" NULL, NULL, 0, NULL, NULL, NULL, 0 FROM str, k WHERE id = ?2" \
	" AND k.n = 0 RETURNING 1)," \
	" s1 AS (UPDATE key_use SET created = coalesce(?4, created)" \
	" WHERE parent = ?1 AND key = ?2 AND via = ?3 RETURNING 1)," \
	" s2 AS (UPDATE key_use SET parent = ?1, via = ?3, created = ?4" \
	" FROM k WHERE parent = 0 AND key = ?2 AND k.same = 0 RETURNING 1)," \
	" s3 AS (INSERT INTO key_use SELECT ?1, key, ?3, ?4, name, minted," \
	" events, failed, notable, flags, first, last, concurrent," \
	" concurrent_first, tail_time, tail_ip, rolled FROM key_use, k" \
	" WHERE key = ?2 AND k.same = 0 AND k.alone = 0 LIMIT 1" \
	" ON CONFLICT DO NOTHING RETURNING 1)," \
	" made AS (SELECT (SELECT count(*) FROM s0) + (SELECT count(*) FROM s2)" \
	" + (SELECT count(*) FROM s3) AS n)," \
	" m AS (UPDATE key_use SET minted = minted + 1 FROM made" \
	" WHERE key = ?1 AND made.n > 0 RETURNING 1)," \
	" f AS (INSERT INTO key_use SELECT 0, ?1, 0, NULL, s, 1, 0, 0, 0, 0," \
	" NULL, NULL, 0, NULL, NULL, NULL, 0 FROM str, made WHERE id = ?1" \
	" AND made.n > 0 AND NOT EXISTS (SELECT 1 FROM key_use" \
	" WHERE key = ?1) RETURNING 1)" \
	" SELECT count(*) FROM f"

enum nhir_rc pg_mints_write(struct pg_store *s, struct nhir_err *err)
{
	struct pg_graph *g = &s->graph;
	size_t nr = g->m_nr;
	const char **strs = nhir_calloc(2 * nr + 1, sizeof(*strs));
	int64_t *ids = nhir_calloc(2 * nr + 1, sizeof(*ids));
	const char **args = nhir_calloc(4 * nr + 1, sizeof(*args));
	char (*num)[24] = nhir_calloc(4 * nr + 1, sizeof(*num));
	int64_t firsts = 0;
	enum nhir_rc rc = NHIR_OK;

	if (!strs || !ids || !args || !num) {
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nr; i++) {
		strs[2 * i] = g->m[i].src;
		strs[2 * i + 1] = g->m[i].dst;
	}
	rc = pg_intern_many(s, strs, 2 * nr, ids, err);
	if (rc)
		goto out;
	for (size_t i = 0; i < nr; i++) {
		int64_t v[4] = { ids[2 * i], ids[2 * i + 1], g->m[i].via,
				 g->m[i].created };

		for (int c = 0; c < 4; c++) {
			snprintf(num[4 * i + c], sizeof(num[0]), "%" PRId64,
				 v[c]);
			args[4 * i + c] = c == 3 && !v[c] ? NULL
							  : num[4 * i + c];
		}
	}
	rc = pq_exec_rows(&s->base, err, MINT_SQL, "iiii", nr, args, &firsts);
	/* a parent's first row: the cached use of it, if any, is stale */
	if (!rc && firsts) {
		nhir_free(s->ev.use.v);
		memset(&s->ev.use, 0, sizeof(s->ev.use));
	}
out:
	nhir_free(strs);
	nhir_free(ids);
	nhir_free(args);
	nhir_free(num);
	return rc;
}

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
	created = r->created == NHIR_TIME_UNSET || r->created == NHIR_TIME_NEVER
			  ? 0 : r->created;
	/* in a put of the write transaction's graph: written with it */
	if (s->graph.hold && strcmp(r->src, r->dst))
		return mint_keep(s, r, created, err);
	/* what waits goes first: the order is kept */
	rc = pg_graph_drain(s, err);
	if (rc)
		return rc;
	src = pg_intern(s, r->src, err);
	dst = pg_intern(s, r->dst, err);
	if (src <= 0 || dst <= 0)
		return err && err->rc ? err->rc : NHIR_ESTORE;
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
	/* the cached use of src, if any, is stale now */
	nhir_free(s->ev.use.v);
	memset(&s->ev.use, 0, sizeof(s->ev.use));
	/* a first row for a key minted by nobody known */
	return pq_exec_bulk(st, err, "INSERT INTO key_use SELECT 0, ?1, 0, NULL,"
			    " s, 1, 0, 0, 0, 0, NULL, NULL, 0, NULL, NULL, NULL, 0"
			    " FROM str WHERE id = ?1", "i", src);
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
