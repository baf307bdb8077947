/*
 * The PostgreSQL store's telemetry: interned strings, source files,
 * events and the events query, with the SQLite store's semantics
 * (src/store/sqlite/events.c): events are batched, sorted by key and
 * time, those stored already (same key, time and uid) are told apart
 * and not stored again, and the rest are loaded with COPY.  The strings
 * a batch names for the first time are interned by one statement for
 * the whole batch, so that a batch costs a few round trips, not one
 * per event.
 */
#include "compat.h"
#include "nhir/buf.h"
#include "core/hash.h"
#include "store/pg/pg-internal.h"

#define INTERN_MAX (1u << 18)	/* strings cached, as SQLite's */
#define INFILE_MAX (1u << 21)
#define EV_BATCH_MAX 65536

static void intern_clear(struct pg_intern *t)
{
	for (size_t i = 0; i < t->alloc; i++)
		nhir_free(t->v[i].s);
	nhir_free(t->v);
	memset(t, 0, sizeof(*t));
}

void pg_events_reset(struct pg_store *s, bool all)
{
	struct pg_events *e = &s->ev;

	/* what another server committed makes these stale */
	nhir_free(e->use.v);
	memset(&e->use, 0, sizeof(e->use));
	e->spans.loaded = false;
	if (all) {
		e->batch_nr = 0;
		intern_clear(&e->strs);
		nhir_store_pairs_clear(&e->idpairs);
	}
}

void pg_events_free(struct pg_store *s)
{
	pg_events_reset(s, true);
	nhir_free(s->ev.batch);
	nhir_free(s->ev.spans.v);
	nhir_free(s->ev.infile.v);
	nhir_store_pairs_clear(&s->ev.idpairs);
	memset(&s->ev, 0, sizeof(s->ev));
}

static struct pg_intern_slot *intern_slot(struct pg_intern *t, const char *s,
					  uint64_t h)
{
	size_t mask = t->alloc - 1, i = h & mask;

	while (t->v[i].hash && (t->v[i].hash != h || strcmp(t->v[i].s, s)))
		i = (i + 1) & mask;
	return &t->v[i];
}

static bool intern_grow(struct pg_intern *t)
{
	struct pg_intern old = *t;
	size_t n = t->alloc ? t->alloc * 2 : 4096;

	t->v = nhir_calloc(n, sizeof(*t->v));
	if (!t->v) {
		*t = old;
		return false;
	}
	t->alloc = n;
	for (size_t i = 0; i < old.alloc; i++)
		if (old.v[i].hash)
			*intern_slot(t, old.v[i].s, old.v[i].hash) = old.v[i];
	nhir_free(old.v);
	return true;
}

/* The slot of str, made (id 0) when new; NULL when out of memory. */
static struct pg_intern_slot *intern_get(struct pg_intern *t, const char *str)
{
	struct pg_intern_slot *slot;
	uint64_t h;

	if ((t->nr + 1) * 2 > t->alloc && !intern_grow(t))
		return NULL;
	h = nhir_hash_str(str) | 1;
	slot = intern_slot(t, str, h);
	if (slot->hash)
		return slot;
	slot->s = nhir_strdup(str);
	if (!slot->s)
		return NULL;
	slot->hash = h;
	slot->id = 0;
	t->nr++;
	t->pending++;
	return slot;
}

int64_t pg_intern(struct pg_store *s, const char *str, struct nhir_err *err)
{
	struct pg_intern_slot *slot;
	int64_t id;

	if (!str)
		return 0;
	if (s->ev.strs.nr >= INTERN_MAX && !s->ev.strs.pending)
		intern_clear(&s->ev.strs);
	slot = intern_get(&s->ev.strs, str);
	if (!slot) {
		nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		return -1;
	}
	if (slot->id > 0)
		return slot->id;
	if (pq_int(&s->base, err, &id, NULL, "WITH i AS (INSERT INTO str(s)"
		   " VALUES(?1) ON CONFLICT (s) DO NOTHING RETURNING id)"
		   " SELECT id FROM i UNION ALL SELECT id FROM str"
		   " WHERE s = ?1", "t", str))
		return -1;
	slot->id = id;
	s->ev.strs.pending--;
	return id;
}

int64_t pg_str_id(struct pg_store *s, const char *str, struct nhir_err *err)
{
	int64_t id;

	if (pq_int(&s->base, err, &id, NULL, "SELECT id FROM str WHERE s = ?",
		   "t", str))
		return -1;
	return id;
}

/* str as an element of an array literal: quoted, \ and " escaped. */
static void array_add(struct nhir_buf *b, const char *str)
{
	if (b->len > 1)
		nhir_buf_addch(b, ',');
	nhir_buf_addch(b, '"');
	for (const char *c = str; *c; c++) {
		if (*c == '"' || *c == '\\')
			nhir_buf_addch(b, '\\');
		nhir_buf_addch(b, *c);
	}
	nhir_buf_addch(b, '"');
}

/* Interns every string the cache holds without an id, in one statement. */
static enum nhir_rc intern_pending(struct pg_store *s, struct nhir_err *err)
{
	struct pg_intern *t = &s->ev.strs;
	struct nhir_buf arr = NHIR_BUF_INIT(1u << 30);
	struct pgq *q = NULL;
	enum nhir_rc rc;

	if (!t->pending)
		return NHIR_OK;
	nhir_buf_addch(&arr, '{');
	for (size_t i = 0; i < t->alloc; i++)
		if (t->v[i].hash && !t->v[i].id)
			array_add(&arr, t->v[i].s);
	nhir_buf_addch(&arr, '}');
	if (arr.err) {
		nhir_buf_release(&arr);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	rc = pq_query(&s->base, err, &q, "WITH v AS (SELECT DISTINCT"
		      " unnest(CAST(?1 AS text[])) COLLATE \"C\" AS s),"
		      " i AS (INSERT INTO str(s) SELECT s FROM v"
		      " ON CONFLICT (s) DO NOTHING RETURNING id, s)"
		      " SELECT id, s FROM i UNION ALL"
		      " SELECT str.id, str.s FROM str JOIN v ON v.s = str.s",
		      "t", arr.buf);
	nhir_buf_release(&arr);
	if (rc)
		return rc;
	while (pq_step(&s->base, q, err) == 1) {
		const char *str = pq_text(q, 1);
		struct pg_intern_slot *slot =
			intern_slot(t, str, nhir_hash_str(str) | 1);

		if (slot->hash && !slot->id) {
			slot->id = pq_col_int(q, 0);
			t->pending--;
		}
	}
	pq_done(q);
	if (t->pending)
		return nhir_err_set(err, NHIR_ESTORE, "cannot intern %zu "
				    "strings", t->pending);
	return NHIR_OK;
}

/*
 * Interns strs[0..nr) in their order (the first time each is named),
 * as one statement: ids follow as pg_intern() one at a time gives them.
 * The strings the events wait to intern are left to them.
 */
enum nhir_rc pg_intern_many(struct pg_store *s, const char *const *strs,
			    size_t nr, int64_t *ids, struct nhir_err *err)
{
	struct pg_intern *t = &s->ev.strs;
	struct nhir_buf arr = NHIR_BUF_INIT(1u << 30);
	struct pgq *q = NULL;
	enum nhir_rc rc;

	if (t->nr + nr >= INTERN_MAX && !t->pending)
		intern_clear(t);
	nhir_buf_addch(&arr, '{');
	for (size_t i = 0; i < nr; i++) {
		struct pg_intern_slot *slot = intern_get(t, strs[i]);

		if (!slot) {
			nhir_buf_release(&arr);
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		}
		if (!slot->id)
			array_add(&arr, strs[i]);
	}
	nhir_buf_addch(&arr, '}');
	if (arr.err) {
		nhir_buf_release(&arr);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	rc = arr.len > 2 ? pq_query(&s->base, err, &q, "WITH v AS (SELECT s"
		" COLLATE \"C\" AS s, min(o) AS o FROM unnest(CAST(?1 AS"
		" text[])) WITH ORDINALITY AS u(s, o) GROUP BY 1),"
		" i AS (INSERT INTO str(s) SELECT s FROM v ORDER BY o"
		" ON CONFLICT (s) DO NOTHING RETURNING id, s)"
		" SELECT id, s FROM i UNION ALL"
		" SELECT str.id, str.s FROM str JOIN v ON v.s = str.s",
		"t", arr.buf) : NHIR_OK;
	nhir_buf_release(&arr);
	if (rc)
		return rc;
	while (q && pq_step(&s->base, q, err) == 1) {
		const char *str = pq_text(q, 1);
		struct pg_intern_slot *slot =
			intern_slot(t, str, nhir_hash_str(str) | 1);

		if (slot->hash && !slot->id) {
			slot->id = pq_col_int(q, 0);
			t->pending--;
		}
	}
	pq_done(q);
	for (size_t i = 0; i < nr; i++) {
		struct pg_intern_slot *slot =
			intern_slot(t, strs[i], nhir_hash_str(strs[i]) | 1);

		ids[i] = slot->hash ? slot->id : 0;
		if (ids[i] <= 0)
			return nhir_err_set(err, NHIR_ESTORE, "cannot intern "
					    "'%s'", strs[i]);
	}
	return NHIR_OK;
}

enum nhir_rc pg_file_find(struct nhir_store *st, const char *sha256,
			  int64_t *id, struct nhir_err *err)
{
	return pq_int(st, err, id, NULL, "SELECT id FROM source_file"
		      " WHERE sha256 = ?", "t", sha256);
}

enum nhir_rc pg_file_add(struct nhir_store *st, const char *path,
			 const char *sha256, uint64_t size, const char *format,
			 const char *actor, int64_t since, int64_t *id,
			 struct nhir_err *err)
{
	struct pg_events *e = &PG(st)->ev;
	enum nhir_rc rc;

	rc = pq_int(st, err, id, NULL, "INSERT INTO source_file(path, sha256,"
		    " size, format, ingested, actor) VALUES(?, ?, ?, ?, ?, ?)"
		    " RETURNING id", "ttitit", path, sha256, (int64_t)size,
		    format, nhir_store_now(st), actor);
	if (rc)
		return rc;
	e->first = INT64_MAX;
	e->last = INT64_MIN;
	memset(&e->dups, 0, sizeof(e->dups));
	e->run_first = since ? since : *id;
	if (e->infile.alloc > 65536) {
		nhir_free(e->infile.v);
		memset(&e->infile, 0, sizeof(e->infile));
	} else if (e->infile.nr) {
		memset(e->infile.v, 0, e->infile.alloc * sizeof(*e->infile.v));
		e->infile.nr = 0;
	}
	return NHIR_OK;
}

/* Adds [first, last] to the sorted, merged spans. */
static bool spans_add(struct pg_spans *sp, int64_t first, int64_t last)
{
	size_t i = 0, j;

	while (i < sp->nr && sp->v[i].last < first)
		i++;
	if (i < sp->nr && sp->v[i].first <= last) {
		if (first < sp->v[i].first)
			sp->v[i].first = first;
		for (j = i + 1; j < sp->nr && sp->v[j].first <= last; j++)
			;
		if (sp->v[j - 1].last > last)
			last = sp->v[j - 1].last;
		if (last > sp->v[i].last)
			sp->v[i].last = last;
		memmove(&sp->v[i + 1], &sp->v[j], (sp->nr - j) * sizeof(*sp->v));
		sp->nr -= j - i - 1;
		return true;
	}
	if (NHIR_ALLOC_GROW(sp->v, sp->nr + 1, sp->alloc))
		return false;
	memmove(&sp->v[i + 1], &sp->v[i], (sp->nr - i) * sizeof(*sp->v));
	sp->v[i].first = first;
	sp->v[i].last = last;
	sp->nr++;
	return true;
}

static bool spans_cover(const struct pg_spans *sp, int64_t t)
{
	size_t lo = 0, hi = sp->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sp->v[mid].last < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < sp->nr && sp->v[lo].first <= t;
}

static enum nhir_rc spans_load(struct pg_store *s, struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc;

	rc = pq_query(&s->base, err, &q, "SELECT first, last FROM source_file"
		      " WHERE first IS NOT NULL ORDER BY first", "");
	if (rc)
		return rc;
	s->ev.spans.nr = 0;
	while (pq_step(&s->base, q, err) == 1)
		if (!spans_add(&s->ev.spans, pq_col_int(q, 0),
			       pq_col_int(q, 1))) {
			pq_done(q);
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		}
	pq_done(q);
	s->ev.spans.loaded = true;
	return NHIR_OK;
}

enum nhir_rc pg_file_done(struct nhir_store *st, int64_t id, uint64_t events,
			  uint64_t skipped, struct nhir_dups *dups,
			  struct nhir_err *err)
{
	struct pg_store *s = PG(st);
	struct pg_events *e = &s->ev;
	enum nhir_rc rc = pg_flush_events(s, err);
	uint64_t ndup = e->dups.before + e->dups.run + e->dups.repeated;
	bool span = e->first <= e->last;

	if (rc)
		return rc;
	rc = pq_exec(st, err, "UPDATE source_file SET events = ?, skipped = ?,"
		     " first = ?, last = ?, duplicates = ? WHERE id = ?",
		     span ? "iiiiii" : "iizzii", (int64_t)(events - ndup),
		     (int64_t)skipped, span ? e->first : (int64_t)0,
		     span ? e->last : (int64_t)0, (int64_t)ndup, id);
	if (rc)
		return rc;
	if (span && e->spans.loaded && !spans_add(&e->spans, e->first, e->last))
		e->spans.loaded = false;
	*dups = e->dups;
	return NHIR_OK;
}

static int cmp_ev(const void *a, const void *b)
{
	const struct pg_ev *x = a, *y = b;

	if (x->ids[1] != y->ids[1])
		return x->ids[1] < y->ids[1] ? -1 : 1;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static bool infile_seen(struct pg_events *ev, uint64_t h)
{
	__typeof__(ev->infile) *f = &ev->infile;
	size_t i;

	if ((f->nr + 1) * 2 > f->alloc) {
		uint64_t *old = f->v;
		size_t oalloc = f->alloc, n = f->alloc ? f->alloc * 2 : 4096;

		f->v = nhir_calloc(n, sizeof(*f->v));
		if (!f->v) {
			f->v = old;
			return true;	/* look it up */
		}
		f->alloc = n;
		for (size_t j = 0; j < oalloc; j++) {
			if (!old[j])
				continue;
			for (i = old[j] & (n - 1); f->v[i]; i = (i + 1) & (n - 1))
				;
			f->v[i] = old[j];
		}
		nhir_free(old);
	}
	for (i = h & (f->alloc - 1); f->v[i]; i = (i + 1) & (f->alloc - 1))
		if (f->v[i] == h)
			return true;
	f->v[i] = h;
	f->nr++;
	return false;
}

/*
 * Is v[i] stored already: 1 from a file before the run, 2 from another
 * file of the run, 3 earlier in its own file (stored, or earlier in this
 * batch: the batch is sorted by key and time, so those are just
 * before it); 0 not; -1 on error.
 */
static int is_dup(struct pg_store *s, const struct pg_ev *v, size_t i,
		  struct nhir_err *err)
{
	const struct pg_ev *e = &v[i];
	struct pgq *q;
	uint64_t h;
	int r = 0;

	if (spans_cover(&s->ev.spans, e->time)) {
		if (pq_query(&s->base, err, &q, "SELECT min(file) FROM event"
			     " WHERE actor_key IS NOT DISTINCT FROM ?"
			     " AND time = ? AND uid = ? AND file != ?", "ziii",
			     e->ids[1], e->time, (int64_t)e->uid, e->file))
			return -1;
		if (pq_step(&s->base, q, err) == 1 && !pq_is_null(q, 0))
			r = pq_col_int(q, 0) < s->ev.run_first ? 1 : 2;
		pq_done(q);
		if (r)
			return r;
	}
	h = nhir_hash_u64((uint64_t)e->ids[1] * 0x9e3779b97f4a7c15ULL ^
			  (uint64_t)e->time) ^ e->uid;
	h |= 1;
	if (s->ev.infile.nr < INFILE_MAX && !infile_seen(&s->ev, h))
		return 0;
	for (size_t j = i; j-- > 0 && v[j].ids[1] == e->ids[1] &&
			   v[j].time == e->time;)
		if (!v[j].dup && v[j].uid == e->uid && v[j].file == e->file)
			return 3;
	if (pq_query(&s->base, err, &q, "SELECT 1 FROM event"
		     " WHERE actor_key IS NOT DISTINCT FROM ? AND time = ?"
		     " AND uid = ? AND file = ? LIMIT 1", "ziii", e->ids[1],
		     e->time, (int64_t)e->uid, e->file))
		return -1;
	r = q->nr ? 3 : 0;
	pq_done(q);
	return r;
}

static void copy_int(struct nhir_buf *b, int64_t v, bool null0)
{
	if (null0 && v <= 0)
		nhir_buf_adds(b, "\\N\t");
	else
		nhir_buf_addf(b, "%" PRId64 "\t", v);
}

/* Sends the rows in b (COPY's text format), then empties it. */
static enum nhir_rc copy_send(struct pg_store *s, struct nhir_buf *b,
			      struct nhir_err *err)
{
	if (b->err)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	if (b->len && PQputCopyData(s->conn, b->buf, (int)b->len) != 1)
		return nhir_err_set(err, NHIR_EUNAVAILABLE, "cannot store "
				    "events: %s", PQerrorMessage(s->conn));
	nhir_buf_reset(b);
	return NHIR_OK;
}

/* COPYs the batch's events that are not duplicates into event. */
static enum nhir_rc copy_events(struct pg_store *s, struct nhir_err *err)
{
	struct nhir_buf b = NHIR_BUF_INIT(1u << 30);
	PGresult *res;
	enum nhir_rc rc = NHIR_OK;
	size_t n = 0;

	for (size_t i = 0; i < s->ev.batch_nr; i++)
		n += !s->ev.batch[i].dup;
	if (!n)
		return NHIR_OK;
	res = PQexec(s->conn, "COPY event(time, source, actor_key, identity,"
		     " action, target, src_ip, user_agent, region, outcome,"
		     " flags, file, \"offset\", len, uid) FROM STDIN");
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		rc = pq_fail(s, res, "cannot store events", err);
		PQclear(res);
		return rc;
	}
	PQclear(res);
	for (size_t i = 0; !rc && i < s->ev.batch_nr; i++) {
		const struct pg_ev *e = &s->ev.batch[i];

		if (e->dup)
			continue;
		copy_int(&b, e->time, false);
		for (int k = 0; k < 9; k++)
			copy_int(&b, e->ids[k], true);
		copy_int(&b, (int64_t)e->flags, false);
		copy_int(&b, e->file, false);
		copy_int(&b, (int64_t)e->offset, false);
		copy_int(&b, (int64_t)e->len, false);
		nhir_buf_addf(&b, "%" PRId64 "\n", (int64_t)e->uid);
		if (b.len >= (1u << 20))
			rc = copy_send(s, &b, err);
	}
	if (!rc)
		rc = copy_send(s, &b, err);
	nhir_buf_release(&b);
	if (PQputCopyEnd(s->conn, rc ? "nhir: stopped" : NULL) != 1 && !rc)
		rc = nhir_err_set(err, NHIR_EUNAVAILABLE, "cannot store "
				  "events: %s", PQerrorMessage(s->conn));
	while ((res = PQgetResult(s->conn))) {
		if (!rc && PQresultStatus(res) != PGRES_COMMAND_OK)
			rc = pq_fail(s, res, "cannot store events", err);
		PQclear(res);
	}
	return rc;
}

/*
 * key_identity gets the identity and key (0 for none) of the events
 * stored, each pair new to this writer once: one statement a batch.
 */
static enum nhir_rc key_identity(struct pg_store *s, struct nhir_err *err)
{
	struct pg_events *ev = &s->ev;
	struct nhir_buf b = NHIR_BUF_INIT(1u << 30);
	enum nhir_rc rc = NHIR_OK;
	size_t n = 0;

	nhir_buf_adds(&b, "INSERT INTO key_identity VALUES");
	for (size_t i = 0; i < ev->batch_nr; i++) {
		const struct pg_ev *e = &ev->batch[i];
		int r;

		if (e->dup || e->ids[2] <= 0)
			continue;
		r = nhir_store_pairs_add(&ev->idpairs, e->ids[2], e->ids[1]);
		if (r < 0) {
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
			goto out;
		}
		if (r)
			nhir_buf_addf(&b, "%s(%" PRId64 ",%" PRId64 ")",
				      n++ ? "," : "", e->ids[2], e->ids[1]);
	}
	nhir_buf_adds(&b, " ON CONFLICT DO NOTHING");
	if (b.err)
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	else if (n)
		rc = pq_run(s, b.buf, err);
out:
	nhir_buf_release(&b);
	return rc;
}

enum nhir_rc pg_flush_events(struct pg_store *s, struct nhir_err *err)
{
	struct pg_events *ev = &s->ev;
	enum nhir_rc rc = pg_graph_ready(s, err);

	if (rc || !ev->batch_nr)
		return rc;
	rc = intern_pending(s, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < ev->batch_nr; i++)
		for (int k = 0; k < 9; k++)
			if (ev->batch[i].ids[k] < 0) {
				const char *str = ev->batch[i].strs[k];

				ev->batch[i].ids[k] = intern_slot(&ev->strs,
					str, nhir_hash_str(str) | 1)->id;
			}
	if (!ev->spans.loaded) {
		rc = spans_load(s, err);
		if (rc)
			return rc;
	}
	qsort(ev->batch, ev->batch_nr, sizeof(*ev->batch), cmp_ev);
	for (size_t i = 0; i < ev->batch_nr; i++) {
		int dup = is_dup(s, ev->batch, i, err);

		if (dup < 0)
			return err && err->rc ? err->rc : NHIR_ESTORE;
		ev->batch[i].dup = dup;
		if (dup == 1)
			ev->dups.before++;
		else if (dup == 2)
			ev->dups.run++;
		else if (dup == 3)
			ev->dups.repeated++;
	}
	rc = copy_events(s, err);
	if (!rc)
		rc = key_identity(s, err);
	if (!rc)
		rc = pg_roll_up(s, err);
	if (rc)
		return rc;
	ev->batch_nr = 0;
	return NHIR_OK;
}

enum nhir_rc pg_put_events(struct nhir_store *st, int64_t file,
			   const struct nhir_event *ev, size_t nr,
			   struct nhir_err *err)
{
	struct pg_store *s = PG(st);
	struct pg_events *pe = &s->ev;
	enum nhir_rc rc;

	for (size_t i = 0; i < nr; i++) {
		const struct nhir_event *e = &ev[i];
		const char *f[9] = { e->source, e->actor_key, e->identity,
				     e->action, e->target, e->src_ip,
				     e->user_agent, e->region, e->outcome };
		struct pg_ev *b;

		if (pe->batch_nr >= EV_BATCH_MAX ||
		    (pe->strs.nr >= INTERN_MAX && pe->batch_nr)) {
			rc = pg_flush_events(s, err);
			if (rc)
				return rc;
		}
		if (pe->strs.nr >= INTERN_MAX)
			intern_clear(&pe->strs);
		if (NHIR_ALLOC_GROW(pe->batch, pe->batch_nr + 1,
				    pe->batch_alloc))
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		b = &pe->batch[pe->batch_nr];
		for (int k = 0; k < 9; k++) {
			struct pg_intern_slot *slot;

			b->strs[k] = NULL;
			b->ids[k] = 0;
			if (!f[k])
				continue;
			slot = intern_get(&pe->strs, f[k]);
			if (!slot)
				return nhir_err_set(err, NHIR_ENOMEM,
						    "out of memory");
			b->ids[k] = slot->id ? slot->id : -1;
			b->strs[k] = slot->s;
		}
		b->time = e->time;
		b->file = file;
		b->offset = e->offset;
		b->len = e->len;
		b->flags = e->flags;
		b->dup = 0;
		b->uid = e->uid;
		if (pe->first == INT64_MAX || e->time < pe->first)
			pe->first = e->time;
		if (pe->last == INT64_MIN || e->time > pe->last)
			pe->last = e->time;
		pe->batch_nr++;
	}
	return NHIR_OK;
}

/* Strings by id, each read once per query (as SQLite's id_cache). */
struct id_cache {
	int64_t *ids;
	char **s;
	size_t nr, alloc;
};

static void id_cache_clear(struct id_cache *c)
{
	for (size_t i = 0; i < c->alloc; i++)
		nhir_free(c->s[i]);
	nhir_free(c->ids);
	nhir_free(c->s);
	memset(c, 0, sizeof(*c));
}

static bool id_cache_grow(struct id_cache *c)
{
	struct id_cache old = *c;
	size_t n = c->alloc ? c->alloc * 2 : 256;

	c->ids = nhir_calloc(n, sizeof(*c->ids));
	c->s = nhir_calloc(n, sizeof(*c->s));
	if (!c->ids || !c->s) {
		nhir_free(c->ids);
		nhir_free(c->s);
		*c = old;
		return false;
	}
	c->alloc = n;
	c->nr = 0;
	for (size_t i = 0; i < old.alloc; i++) {
		size_t j;

		if (!old.ids[i])
			continue;
		for (j = (size_t)old.ids[i] & (n - 1); c->ids[j];
		     j = (j + 1) & (n - 1))
			;
		c->ids[j] = old.ids[i];
		c->s[j] = old.s[i];
		c->nr++;
	}
	nhir_free(old.ids);
	nhir_free(old.s);
	return true;
}

static const char *id_string(struct pg_store *s, struct id_cache *c,
			     int64_t id, bool *oom)
{
	struct pgq *q;
	size_t j;

	if (id <= 0)
		return NULL;
	if ((c->nr + 1) * 2 > c->alloc && !id_cache_grow(c)) {
		*oom = true;
		return NULL;
	}
	for (j = (size_t)id & (c->alloc - 1); c->ids[j];
	     j = (j + 1) & (c->alloc - 1))
		if (c->ids[j] == id)
			return c->s[j];
	if (pq_query(&s->base, NULL, &q, "SELECT s FROM str WHERE id = ?", "i",
		     id)) {
		*oom = true;
		return NULL;
	}
	c->s[j] = NULL;
	if (pq_step(&s->base, q, NULL) == 1) {
		c->s[j] = nhir_strdup(pq_text(q, 0));
		if (!c->s[j])
			*oom = true;
	}
	pq_done(q);
	c->ids[j] = id;
	c->nr++;
	return c->s[j];
}

/* The slot of id in c: where it is, or the free one it would take. */
static size_t id_slot(const struct id_cache *c, int64_t id)
{
	size_t j;

	for (j = (size_t)id & (c->alloc - 1); c->ids[j] && c->ids[j] != id;
	     j = (j + 1) & (c->alloc - 1))
		;
	return j;
}

/* Reads the strings of ids in one statement into c (ids are numbers). */
static bool id_cache_read(struct pg_store *s, struct id_cache *c,
			  const int64_t *ids, size_t n)
{
	struct nhir_buf sql = NHIR_BUF_INIT(1 << 20);
	struct pgq *q;
	bool ok = true;

	nhir_buf_adds(&sql, "SELECT id, s FROM str WHERE id IN (");
	for (size_t i = 0; i < n; i++)
		nhir_buf_addf(&sql, "%s%" PRId64, i ? "," : "", ids[i]);
	nhir_buf_adds(&sql, ")");
	if (sql.err || pq_query(&s->base, NULL, &q, sql.buf, "")) {
		nhir_buf_release(&sql);
		return false;
	}
	nhir_buf_release(&sql);
	while (ok && pq_step(&s->base, q, NULL) == 1) {
		int64_t id = pq_col_int(q, 0);
		size_t j;

		if ((c->nr + 1) * 2 > c->alloc && !id_cache_grow(c)) {
			ok = false;
			break;
		}
		j = id_slot(c, id);
		if (c->ids[j])
			continue;
		c->s[j] = nhir_strdup(pq_text(q, 1));
		if (!c->s[j])
			ok = false;
		c->ids[j] = id;
		c->nr++;
	}
	pq_done(q);
	return ok;
}

/*
 * The strings the rows of q name (columns 1 to 9), read into c before
 * the rows are passed on: a statement per ID_READ_MAX of them, not one
 * per string.  A string it misses is read alone by id_string().
 */
#define ID_READ_MAX 4096
static bool id_cache_prefetch(struct pg_store *s, struct id_cache *c,
			      struct pgq *q)
{
	struct id_cache want = { NULL, NULL, 0, 0 };
	int64_t *ids = nhir_calloc(ID_READ_MAX, sizeof(*ids));
	size_t n = 0;
	int row = q->row;
	bool ok = ids != NULL;

	for (q->row = 0; ok && q->row < q->nr; q->row++)
		for (int k = 1; ok && k <= 9; k++) {
			int64_t id = pq_col_int(q, k);
			size_t j;

			if (id <= 0 || (c->alloc && c->ids[id_slot(c, id)]))
				continue;
			if ((want.nr + 1) * 2 > want.alloc &&
			    !id_cache_grow(&want)) {
				ok = false;
				break;
			}
			j = id_slot(&want, id);
			if (want.ids[j])
				continue;
			want.ids[j] = id;
			want.nr++;
			ids[n++] = id;
			if (n == ID_READ_MAX) {
				ok = id_cache_read(s, c, ids, n);
				n = 0;
			}
		}
	if (ok && n)
		ok = id_cache_read(s, c, ids, n);
	q->row = row;
	id_cache_clear(&want);
	nhir_free(ids);
	return ok;
}

enum nhir_rc pg_events(struct nhir_store *st, const struct nhir_event_query *eq,
		       nhir_event_cb cb, void *data, struct nhir_err *err)
{
	struct pg_store *s = PG(st);
	struct nhir_buf sql = NHIR_BUF_INIT(1 << 20);
	struct id_cache cache = { NULL, NULL, 0, 0 };
	struct pgq *q = NULL;
	enum nhir_rc rc;
	bool oom = false;

	rc = pg_flush_events(s, err);
	if (rc)
		goto out;
	nhir_buf_adds(&sql, "SELECT time, source, actor_key, identity, action,"
		      " target, src_ip, user_agent, region, outcome, flags, file,"
		      " \"offset\", len FROM event WHERE ");
	if (eq->key_nr) {
		nhir_buf_adds(&sql, "actor_key IN (");
		for (size_t i = 0; i < eq->key_nr; i++) {
			int64_t id = pg_str_id(s, eq->keys[i], err);

			if (id < 0) {
				rc = err && err->rc ? err->rc : NHIR_ESTORE;
				goto out;
			}
			nhir_buf_addf(&sql, "%s%" PRId64, i ? "," : "", id);
		}
		nhir_buf_adds(&sql, ")");
	} else {
		int64_t id = pg_str_id(s, eq->identity, err);

		if (id < 0) {
			rc = err && err->rc ? err->rc : NHIR_ESTORE;
			goto out;
		}
		nhir_buf_addf(&sql, "identity = %" PRId64, id);
	}
	if (eq->since != NHIR_TIME_UNSET)
		nhir_buf_addf(&sql, " AND time >= %" PRId64, eq->since);
	if (eq->until != NHIR_TIME_UNSET)
		nhir_buf_addf(&sql, " AND time < %" PRId64, eq->until);
	_Static_assert(NHIR_EV_NOTABLE == 30, "event_notable's condition");
	if (eq->notable)
		nhir_buf_adds(&sql, " AND flags & 30 != 0");
	nhir_buf_adds(&sql, eq->lean && eq->key_nr
				    ? " ORDER BY actor_key, time, id"
				    : " ORDER BY time, id");
	if (eq->limit)
		nhir_buf_addf(&sql, " LIMIT %zu", eq->limit);
	if (sql.err) {
		rc = nhir_err_set(err, sql.err, "event query too large");
		goto out;
	}
	rc = pq_query(st, err, &q, sql.buf, "");
	if (rc)
		goto out;
	if (!id_cache_prefetch(s, &cache, q)) {
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		goto out;
	}
	while (pq_step(st, q, err) == 1) {
		struct nhir_event e;
		const char **f[9];

		memset(&e, 0, sizeof(e));
		f[0] = &e.source;
		f[1] = &e.actor_key;
		f[2] = &e.identity;
		f[3] = &e.action;
		f[4] = &e.target;
		f[5] = &e.src_ip;
		f[6] = &e.user_agent;
		f[7] = &e.region;
		f[8] = &e.outcome;
		e.time = pq_col_int(q, 0);
		e.flags = (unsigned)pq_col_int(q, 10);
		for (int k = 0; k < 9; k++) {
			if (k == 4 && eq->lean && !(e.flags & ~NHIR_EV_READ_ONLY))
				continue;
			*f[k] = id_string(s, &cache, pq_col_int(q, 1 + k),
					  &oom);
		}
		if (oom) {
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
			goto out;
		}
		if (!eq->lean || !eq->key_nr || eq->notable) {
			e.file = pq_col_int(q, 11);
			e.offset = (uint64_t)pq_col_int(q, 12);
			e.len = (uint32_t)pq_col_int(q, 13);
		}
		if (cb(&e, data))
			break;
	}
out:
	pq_done(q);
	id_cache_clear(&cache);
	nhir_buf_release(&sql);
	return rc;
}

char *pg_file_path(struct nhir_store *st, int64_t id)
{
	struct pgq *q;
	char *p = NULL;

	if (pq_query(st, NULL, &q, "SELECT path FROM source_file WHERE id = ?",
		     "i", id))
		return NULL;
	if (pq_step(st, q, NULL) == 1 && pq_text(q, 0))
		p = nhir_strdup(pq_text(q, 0));
	pq_done(q);
	return p;
}
