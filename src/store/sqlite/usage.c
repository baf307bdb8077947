/*
 * The SQLite store's usage accounting: each key's running use and
 * rolled-up sources and actions, kept as events are inserted, and read
 * back for a key.
 */
#include "compat.h"
#include <sqlite3.h>
#include "core/hash.h"
#include "store/store-internal.h"
#include "store/sqlite/sqlite-internal.h"

#define USE_MAX (1u << 16)	/* keys cached; the table takes about 12 MB */
/* Keys with this many events keep their sources and actions rolled up. */
#define ROLLUP_MIN 256	/* also in migration 7 */

static const char *const usage_sql[Q_USAGE_NR] = {
	[Q_USE_GET] =
		"SELECT events, failed, notable, flags, first, last, concurrent,"
		" concurrent_first, tail_time, tail_ip, rolled FROM key_use"
		" WHERE key = ?1 LIMIT 1",
	[Q_USE_PUT] =
		"UPDATE key_use SET events = ?2, failed = ?3, notable = ?4,"
		" flags = ?5, first = ?6, last = ?7, concurrent = ?8,"
		" concurrent_first = ?9, tail_time = ?10, tail_ip = ?11,"
		" rolled = ?12 WHERE key = ?1",
	[Q_USE_NEW] =
		"INSERT INTO key_use SELECT 0, ?1, 0, NULL, s, ?13, ?2, ?3, ?4,"
		" ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12 FROM str WHERE id = ?1",
	[Q_USE_SCAN] =
		"SELECT time, src_ip FROM event WHERE actor_key = ?1"
		" AND src_ip IS NOT NULL AND flags & 32 = 0 ORDER BY time, id",
	[Q_SRC_PUT] =
		"INSERT INTO key_source VALUES(?1, ?2, ?3, ?4, ?5, ?6)"
		" ON CONFLICT DO UPDATE SET first = min(first, excluded.first),"
		" last = max(last, excluded.last),"
		" count = count + excluded.count",
	[Q_ACT_PUT] =
		"INSERT INTO key_action VALUES(?1, ?2, ?3, ?4)"
		" ON CONFLICT DO UPDATE SET count = count + excluded.count,"
		" failed = failed + excluded.failed",
	[Q_SRC_FILL] =
		"INSERT INTO key_source SELECT actor_key, coalesce(src_ip, 0),"
		" coalesce(user_agent, 0), min(time), max(time), count(*)"
		" FROM event WHERE actor_key = ?1 GROUP BY 2, 3",
	[Q_ACT_FILL] =
		"INSERT INTO key_action SELECT actor_key, coalesce(action, 0),"
		" count(*), sum(flags & 16 != 0) FROM event WHERE actor_key = ?1"
		" GROUP BY 2",
	[Q_KEY_SOURCES] =
		"SELECT i.s, a.s, k.first, k.last, k.count FROM key_source k"
		" LEFT JOIN str i ON i.id = k.ip LEFT JOIN str a ON a.id = k.ua"
		" WHERE k.key = ?1",
	[Q_KEY_ACTIONS] =
		"SELECT a.s, k.count, k.failed FROM key_action k"
		" LEFT JOIN str a ON a.id = k.action WHERE k.key = ?1",
};

static sqlite3_stmt *stmt(struct sqlite_store *s, enum usage_stmt q)
{
	return sq_kept(s, &s->usage_q[q], usage_sql[q]);
}

void sq_use_clear(struct use_cache *c)
{
	nhir_free(c->v);
	memset(c, 0, sizeof(*c));
}

enum nhir_rc sq_key_sources(struct nhir_store *st, const char *key,
			    nhir_key_source_cb cb, void *data,
			    struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	int64_t id = sq_str_id(s, key);
	sqlite3_stmt *q = id > 0 ? stmt(s, Q_KEY_SOURCES) : NULL;
	int r;

	if (!id)
		return NHIR_OK;
	if (!q)
		return sq_db_err(s, err, "cannot read key sources");
	sqlite3_bind_int64(q, 1, id);
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		struct nhir_key_source src = {
			(const char *)sqlite3_column_text(q, 0),
			(const char *)sqlite3_column_text(q, 1),
			sqlite3_column_int64(q, 2), sqlite3_column_int64(q, 3),
			(uint64_t)sqlite3_column_int64(q, 4)
		};

		if (cb(&src, data)) {
			r = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(q);
	if (r != SQLITE_DONE)
		return sq_db_err(s, err, "cannot read key sources");
	return NHIR_OK;
}

enum nhir_rc sq_key_actions(struct nhir_store *st, const char *key,
			    nhir_key_action_cb cb, void *data,
			    struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	int64_t id = sq_str_id(s, key);
	sqlite3_stmt *q = id > 0 ? stmt(s, Q_KEY_ACTIONS) : NULL;
	int r;

	if (!id)
		return NHIR_OK;
	if (!q)
		return sq_db_err(s, err, "cannot read key actions");
	sqlite3_bind_int64(q, 1, id);
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		struct nhir_key_action a = {
			(const char *)sqlite3_column_text(q, 0),
			(uint64_t)sqlite3_column_int64(q, 1),
			(uint64_t)sqlite3_column_int64(q, 2)
		};

		if (cb(&a, data)) {
			r = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(q);
	if (r != SQLITE_DONE)
		return sq_db_err(s, err, "cannot read key actions");
	return NHIR_OK;
}

/*
 * Usage roll-ups (doc/internals/usage.md).  After each batch, every key
 * it touched has its key_use row brought up to date: totals, and the
 * concurrency count, which follows the key's IP-bearing events in
 * (time, id) order.  A batch whose events all come after the key's last
 * one (logs read in time order) extends the count; one that reaches
 * back in time has it counted again from the key's events.
 */
static struct key_state *use_slot(struct use_cache *c, int64_t key)
{
	size_t mask = c->alloc - 1, i = (size_t)nhir_hash_u64((uint64_t)key);

	for (i &= mask; c->v[i].key && c->v[i].key != key; i = (i + 1) & mask)
		;
	return &c->v[i];
}

static bool use_grow(struct use_cache *c)
{
	struct use_cache old = *c;
	size_t n = c->alloc ? c->alloc * 2 : 1024;

	c->v = nhir_calloc(n, sizeof(*c->v));
	if (!c->v) {
		*c = old;
		return false;
	}
	c->alloc = n;
	for (size_t i = 0; i < old.alloc; i++)
		if (old.v[i].key)
			*use_slot(c, old.v[i].key) = old.v[i];
	nhir_free(old.v);
	return true;
}

/* The running use of key: cached, else read, else new. */
static struct key_state *use_get(struct sqlite_store *s, int64_t key,
				 struct nhir_err *err)
{
	struct key_state *u;
	sqlite3_stmt *q;
	int rc;

	if (s->use.nr >= USE_MAX)
		sq_use_clear(&s->use);
	if ((s->use.nr + 1) * 2 > s->use.alloc && !use_grow(&s->use)) {
		nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		return NULL;
	}
	u = use_slot(&s->use, key);
	if (u->key)
		return u;
	q = stmt(s, Q_USE_GET);
	if (!q) {
		sq_db_err(s, err, "cannot read key use");
		return NULL;
	}
	sqlite3_bind_int64(q, 1, key);
	rc = sqlite3_step(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sq_db_err(s, err, "cannot read key use");
		return NULL;
	}
	memset(u, 0, sizeof(*u));
	u->key = key;
	u->total.concurrent_first = NHIR_TIME_UNSET;
	if (rc == SQLITE_ROW) {
		struct nhir_key_use *t = &u->total;

		t->events = (uint64_t)sqlite3_column_int64(q, 0);
		t->failed = (uint64_t)sqlite3_column_int64(q, 1);
		t->notable = (uint64_t)sqlite3_column_int64(q, 2);
		t->flags = (unsigned)sqlite3_column_int64(q, 3);
		t->first = sqlite3_column_int64(q, 4);
		t->last = sqlite3_column_int64(q, 5);
		t->concurrent = (uint64_t)sqlite3_column_int64(q, 6);
		t->concurrent_first = sq_col_time(q, 7, NHIR_TIME_UNSET);
		t->rolled = sqlite3_column_int(q, 10) != 0;
		u->has_tail = sqlite3_column_type(q, 8) != SQLITE_NULL;
		u->tail_time = sqlite3_column_int64(q, 8);
		u->tail_ip = sqlite3_column_int64(q, 9);
	}
	sqlite3_reset(q);
	s->use.nr++;
	return u;
}

static void bind_use(sqlite3_stmt *q, const struct key_state *u)
{
	sqlite3_bind_int64(q, 1, u->key);
	const struct nhir_key_use *t = &u->total;

	sqlite3_bind_int64(q, 2, (int64_t)t->events);
	sqlite3_bind_int64(q, 3, (int64_t)t->failed);
	sqlite3_bind_int64(q, 4, (int64_t)t->notable);
	sqlite3_bind_int64(q, 5, t->flags);
	if (t->events) {
		sqlite3_bind_int64(q, 6, t->first);
		sqlite3_bind_int64(q, 7, t->last);
	}
	sqlite3_bind_int64(q, 8, (int64_t)t->concurrent);
	if (t->concurrent)
		sqlite3_bind_int64(q, 9, t->concurrent_first);
	if (u->has_tail) {
		sqlite3_bind_int64(q, 10, u->tail_time);
		sqlite3_bind_int64(q, 11, u->tail_ip);
	}
	sqlite3_bind_int(q, 12, t->rolled);
}

/* A first row for u's key, which nobody is known to have minted. */
enum nhir_rc sq_use_new(struct sqlite_store *s, const struct key_state *u,
			int64_t minted, struct nhir_err *err)
{
	sqlite3_stmt *q = stmt(s, Q_USE_NEW);

	if (!q)
		return sq_db_err(s, err, "cannot store key use");
	bind_use(q, u);
	sqlite3_bind_int64(q, 13, minted);
	if (sqlite3_step(q) != SQLITE_DONE || !sqlite3_changes(s->db))
		return sq_db_err(s, err, "cannot store key use");
	return NHIR_OK;
}

/* Writes u to each of its key's rows, or a first row (nobody minted it). */
static enum nhir_rc use_put(struct sqlite_store *s, const struct key_state *u,
			    struct nhir_err *err)
{
	sqlite3_stmt *q = stmt(s, Q_USE_PUT);

	if (!q)
		return sq_db_err(s, err, "cannot store key use");
	bind_use(q, u);
	if (sqlite3_step(q) != SQLITE_DONE)
		return sq_db_err(s, err, "cannot store key use");
	return sqlite3_changes(s->db) ? NHIR_OK : sq_use_new(s, u, 0, err);
}

/* One more IP-bearing use of u's key, in (time, id) order. */
static void use_follow(struct key_state *u, int64_t time, int64_t ip)
{
	nhir_key_use_follow(&u->total, time, u->has_tail && u->tail_ip != ip,
			    u->tail_time);
	u->tail_time = time;
	u->tail_ip = ip;
	u->has_tail = true;
}

_Static_assert(NHIR_EV_INTERNAL == 32, "Q_USE_SCAN's condition");

/* Counts u's concurrent uses again, from all of its events. */
static enum nhir_rc use_recount(struct sqlite_store *s, struct key_state *u,
				struct nhir_err *err)
{
	sqlite3_stmt *q = stmt(s, Q_USE_SCAN);
	int rc;

	if (!q)
		return sq_db_err(s, err, "cannot read key use");
	u->total.concurrent = 0;
	u->total.concurrent_first = NHIR_TIME_UNSET;
	u->has_tail = false;
	sqlite3_bind_int64(q, 1, u->key);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		use_follow(u, sqlite3_column_int64(q, 0),
			   sqlite3_column_int64(q, 1));
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return sq_db_err(s, err, "cannot read key use");
	return NHIR_OK;
}

static int cmp_roll(const void *a, const void *b)
{
	const struct roll_item *x = a, *y = b;

	if (x->a != y->a)
		return x->a < y->a ? -1 : 1;
	return x->b < y->b ? -1 : x->b > y->b;
}

/*
 * Adds the nr items (one per event) to key's sources (sources true) or
 * actions, one upsert per distinct source or action.
 */
static enum nhir_rc roll_add(struct sqlite_store *s, int64_t key,
			     struct roll_item *v, size_t nr, bool sources,
			     struct nhir_err *err)
{
	qsort(v, nr, sizeof(*v), cmp_roll);
	for (size_t i = 0, j; i < nr; i = j) {
		int64_t first = v[i].time, last = v[i].time;
		uint64_t failed = 0;
		sqlite3_stmt *q;

		for (j = i; j < nr && v[j].a == v[i].a && v[j].b == v[i].b;
		     j++) {
			if (v[j].time < first)
				first = v[j].time;
			if (v[j].time > last)
				last = v[j].time;
			failed += v[j].failed;
		}
		q = stmt(s, sources ? Q_SRC_PUT : Q_ACT_PUT);
		if (!q)
			return sq_db_err(s, err, "cannot store key use");
		sqlite3_bind_int64(q, 1, key);
		sqlite3_bind_int64(q, 2, v[i].a);
		if (sources) {
			sqlite3_bind_int64(q, 3, v[i].b);
			sqlite3_bind_int64(q, 4, first);
			sqlite3_bind_int64(q, 5, last);
			sqlite3_bind_int64(q, 6, (int64_t)(j - i));
		} else {
			sqlite3_bind_int64(q, 3, (int64_t)(j - i));
			sqlite3_bind_int64(q, 4, (int64_t)failed);
		}
		if (sqlite3_step(q) != SQLITE_DONE)
			return sq_db_err(s, err, "cannot store key use");
	}
	return NHIR_OK;
}

/* Starts keeping key's sources and actions, from its stored events. */
static enum nhir_rc roll_fill(struct sqlite_store *s, int64_t key,
			      struct nhir_err *err)
{
	enum usage_stmt fill[] = { Q_SRC_FILL, Q_ACT_FILL };

	for (size_t i = 0; i < NHIR_ARRAY_SIZE(fill); i++) {
		sqlite3_stmt *q = stmt(s, fill[i]);

		if (!q)
			return sq_db_err(s, err, "cannot store key use");
		sqlite3_bind_int64(q, 1, key);
		if (sqlite3_step(q) != SQLITE_DONE)
			return sq_db_err(s, err, "cannot store key use");
	}
	return NHIR_OK;
}

/* The use of key after the n batched events v (sorted by time). */
static enum nhir_rc roll_key(struct sqlite_store *s, int64_t key,
			     const struct ev_batch *v, size_t n,
			     struct nhir_err *err)
{
	struct key_state *u = use_get(s, key, err);
	bool was_rolled, recount = false;
	size_t added = 0;
	enum nhir_rc rc;

	if (!u)
		return err && err->rc ? err->rc : NHIR_ESTORE;
	was_rolled = u->total.rolled;
	if (was_rolled && NHIR_ALLOC_GROW(s->roll, n, s->roll_alloc))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const struct ev_batch *e = &v[i];

		if (e->dup)
			continue;
		nhir_key_use_add(&u->total, e->time, e->flags);
		if (e->ids[5] && !(e->flags & NHIR_EV_INTERNAL) && !recount) {
			if (u->has_tail && e->time < u->tail_time)
				recount = true;	/* reaches back in time */
			else
				use_follow(u, e->time, e->ids[5]);
		}
		if (was_rolled) {
			/* ids: 3 action, 5 src_ip, 6 user_agent */
			s->roll[added].a = e->ids[5];
			s->roll[added].b = e->ids[6];
			s->roll[added].time = e->time;
			s->roll[added].failed = false;
		}
		added++;
	}
	if (!added)
		return NHIR_OK;
	rc = recount ? use_recount(s, u, err) : NHIR_OK;
	if (!rc && was_rolled) {
		rc = roll_add(s, key, s->roll, added, true, err);
		for (size_t i = 0, j = 0; !rc && i < n; i++) {
			if (v[i].dup)
				continue;
			s->roll[j].a = v[i].ids[3];
			s->roll[j].b = 0;
			s->roll[j].time = v[i].time;
			s->roll[j++].failed = v[i].flags & NHIR_EV_FAILED;
		}
		if (!rc)
			rc = roll_add(s, key, s->roll, added, false, err);
	} else if (!rc && u->total.events >= ROLLUP_MIN) {
		rc = roll_fill(s, key, err);
		u->total.rolled = !rc;
	}
	return rc ? rc : use_put(s, u, err);
}

/* Brings the use of every key in the inserted batch up to date. */
enum nhir_rc sq_roll_up(struct sqlite_store *s, struct nhir_err *err)
{
	enum nhir_rc rc = NHIR_OK;

	for (size_t i = 0, j; !rc && i < s->batch_nr; i = j) {
		int64_t key = s->batch[i].ids[1];

		for (j = i; j < s->batch_nr && s->batch[j].ids[1] == key; j++)
			;
		if (key > 0)
			rc = roll_key(s, key, &s->batch[i], j - i, err);
	}
	if (rc)
		sq_use_clear(&s->use);	/* the transaction will roll back */
	return rc;
}
