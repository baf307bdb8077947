/*
 * The SQLite store's telemetry: interned strings, source files, events
 * inserted in sorted batches with their duplicates found, and the
 * events query.
 */
#include "compat.h"
#include <sqlite3.h>
#include "nhir/buf.h"
#include "core/hash.h"
#include "store/store-internal.h"
#include "store/sqlite/sqlite-internal.h"

#define INTERN_MAX (1u << 18)	/* strings cached, about 30 MB */
#define INFILE_MAX (1u << 21)	/* hashes kept; the table takes 32 MB */
#define EV_BATCH_MAX 65536	/* events inserted at once */

static const char *const events_sql[Q_EVENTS_NR] = {
	[Q_STR_FIND] = "SELECT id FROM str WHERE s = ?1",
	[Q_STR_INSERT] = "INSERT INTO str(s) VALUES(?1)",
	[Q_STR_GET] = "SELECT s FROM str WHERE id = ?1",
	[Q_FILE_FIND] = "SELECT id FROM source_file WHERE sha256 = ?1",
	[Q_FILE_ADD] =
		"INSERT INTO source_file(path, sha256, size, format, ingested,"
		" actor) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[Q_FILE_DONE] =
		"UPDATE source_file SET events = ?2, skipped = ?3, first = ?4,"
		" last = ?5, duplicates = ?6 WHERE id = ?1",
	[Q_FILE_PATH] = "SELECT path FROM source_file WHERE id = ?1",
	[Q_FILE_SPANS] =
		"SELECT first, last FROM source_file WHERE first IS NOT NULL"
		" ORDER BY first",
	[Q_EVENT_INSERT] =
		"INSERT INTO event(time, source, actor_key, identity, action,"
		" target, src_ip, user_agent, region, outcome, flags, file,"
		" offset, len, uid) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7,"
		" ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
	[Q_EVENT_DUP] =
		"SELECT min(file) FROM event WHERE actor_key IS ?1 AND time = ?2"
		" AND uid = ?3 AND file != ?4",
	[Q_EVENT_SAME] =
		"SELECT 1 FROM event WHERE actor_key IS ?1 AND time = ?2"
		" AND uid = ?3 AND file = ?4 LIMIT 1",
	[Q_KEY_IDENTITY] = "INSERT OR IGNORE INTO key_identity VALUES(?1, ?2)",
};

static sqlite3_stmt *stmt(struct sqlite_store *s, enum events_stmt q)
{
	return sq_kept(s, &s->events_q[q], events_sql[q]);
}

static bool spans_add(struct spans *sp, int64_t first, int64_t last);

void sq_intern_clear(struct intern *t)
{
	for (size_t i = 0; i < t->alloc; i++)
		nhir_free(t->v[i].s);
	nhir_free(t->v);
	memset(t, 0, sizeof(*t));
}

static struct intern_slot *intern_slot(struct intern *t, const char *s,
				       uint64_t h)
{
	size_t mask = t->alloc - 1, i = h & mask;

	while (t->v[i].hash && (t->v[i].hash != h || strcmp(t->v[i].s, s)))
		i = (i + 1) & mask;
	return &t->v[i];
}

static bool intern_grow(struct intern *t)
{
	struct intern old = *t;
	size_t n = t->alloc ? t->alloc * 2 : 4096;

	t->v = nhir_calloc(n, sizeof(*t->v));
	if (!t->v) {
		*t = old;
		return false;
	}
	t->alloc = n;
	t->nr = 0;
	for (size_t i = 0; i < old.alloc; i++) {
		if (!old.v[i].hash)
			continue;
		*intern_slot(t, old.v[i].s, old.v[i].hash) = old.v[i];
		t->nr++;
	}
	nhir_free(old.v);
	return true;
}

/* The id of string str in str, inserting it; 0 for NULL; -1 on error. */
int64_t sq_intern(struct sqlite_store *s, const char *str)
{
	struct intern_slot *slot;
	sqlite3_stmt *q;
	uint64_t h;
	int64_t id = -1;

	if (!str)
		return 0;
	/*
	 * Bounded: a corpus with millions of distinct targets would grow
	 * the table without end.  Dropping it all is crude but keeps memory
	 * flat; the strings that repeat come back at once.
	 */
	if (s->strs.nr >= INTERN_MAX)
		sq_intern_clear(&s->strs);
	if ((s->strs.nr + 1) * 2 > s->strs.alloc && !intern_grow(&s->strs))
		return -1;
	h = nhir_hash_str(str) | 1;	/* 0 marks an empty slot */
	slot = intern_slot(&s->strs, str, h);
	if (slot->hash)
		return slot->id;
	q = stmt(s, Q_STR_FIND);
	if (!q)
		return -1;
	sq_bind_text(q, 1, str);
	if (sqlite3_step(q) == SQLITE_ROW) {
		id = sqlite3_column_int64(q, 0);
	} else {
		q = stmt(s, Q_STR_INSERT);
		if (!q)
			return -1;
		sq_bind_text(q, 1, str);
		if (sqlite3_step(q) != SQLITE_DONE)
			return -1;
		id = sqlite3_last_insert_rowid(s->db);
	}
	sqlite3_reset(q);
	slot->s = nhir_strdup(str);
	if (!slot->s)
		return -1;
	slot->hash = h;
	slot->id = id;
	s->strs.nr++;
	return id;
}

/* The id of an existing string, 0 if it was never stored. */
int64_t sq_str_id(struct sqlite_store *s, const char *str)
{
	sqlite3_stmt *q = stmt(s, Q_STR_FIND);
	int64_t id = 0;

	if (!q)
		return -1;
	sq_bind_text(q, 1, str);
	if (sqlite3_step(q) == SQLITE_ROW)
		id = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	return id;
}

enum nhir_rc sq_file_find(struct nhir_store *st, const char *sha,
			  int64_t *id, struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	sqlite3_stmt *q = stmt(s, Q_FILE_FIND);
	int rc;

	if (!q)
		return sq_db_err(s, err, "cannot look up file");
	sq_bind_text(q, 1, sha);
	rc = sqlite3_step(q);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_db_err(s, err, "cannot look up file");
	return NHIR_OK;
}

enum nhir_rc sq_file_add(struct nhir_store *st, const char *path,
			 const char *sha, uint64_t size,
			 const char *format, const char *actor,
			 int64_t since, int64_t *id,
			 struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	sqlite3_stmt *q = stmt(s, Q_FILE_ADD);

	if (!q)
		return sq_db_err(s, err, "cannot record file");
	sq_bind_text(q, 1, path);
	sq_bind_text(q, 2, sha);
	sqlite3_bind_int64(q, 3, (int64_t)size);
	sq_bind_text(q, 4, format);
	sqlite3_bind_int64(q, 5, nhir_store_now(st));
	sq_bind_text(q, 6, actor);
	if (sqlite3_step(q) != SQLITE_DONE)
		return sq_db_err(s, err, "cannot record file");
	*id = sqlite3_last_insert_rowid(s->db);
	s->first = INT64_MAX;
	s->last = INT64_MIN;
	memset(&s->dups, 0, sizeof(s->dups));
	s->run_first = since ? since : *id;
	/* a big file's table is dropped, not cleared for each small one */
	if (s->infile.alloc > 65536) {
		nhir_free(s->infile.v);
		memset(&s->infile, 0, sizeof(s->infile));
	} else if (s->infile.nr) {
		memset(s->infile.v, 0, s->infile.alloc * sizeof(*s->infile.v));
		s->infile.nr = 0;
	}
	return NHIR_OK;
}

enum nhir_rc sq_file_done(struct nhir_store *st, int64_t id,
			  uint64_t events, uint64_t skipped,
			  struct nhir_dups *dups, struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	sqlite3_stmt *q;
	enum nhir_rc rc = sq_flush_events(s, err);
	uint64_t ndup = s->dups.before + s->dups.run + s->dups.repeated;

	if (rc)
		return rc;
	q = stmt(s, Q_FILE_DONE);
	if (!q)
		return sq_db_err(s, err, "cannot record file");
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, (int64_t)(events - ndup));
	sqlite3_bind_int64(q, 3, (int64_t)skipped);
	if (s->first <= s->last) {
		sqlite3_bind_int64(q, 4, s->first);
		sqlite3_bind_int64(q, 5, s->last);
	}
	sqlite3_bind_int64(q, 6, (int64_t)ndup);
	rc = sqlite3_step(q) == SQLITE_DONE ? NHIR_OK : NHIR_ESTORE;
	sqlite3_clear_bindings(q);
	sqlite3_reset(q);
	if (rc)
		return sq_db_err(s, err, "cannot record file");
	if (s->first <= s->last && s->spans.loaded &&
	    !spans_add(&s->spans, s->first, s->last))
		s->spans.loaded = false;	/* read again when needed */
	*dups = s->dups;
	return NHIR_OK;
}

static int cmp_batch(const void *a, const void *b)
{
	const struct ev_batch *x = a, *y = b;

	if (x->ids[1] != y->ids[1])
		return x->ids[1] < y->ids[1] ? -1 : 1;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Adds [first, last] to the sorted, merged spans. */
static bool spans_add(struct spans *sp, int64_t first, int64_t last)
{
	size_t i = 0, j;

	while (i < sp->nr && sp->v[i].last < first)
		i++;
	if (i < sp->nr && sp->v[i].first <= last) {
		/* overlaps v[i] and maybe the ones after: merge them */
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

static bool spans_cover(const struct spans *sp, int64_t t)
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

static enum nhir_rc spans_load(struct sqlite_store *s, struct nhir_err *err)
{
	sqlite3_stmt *q = stmt(s, Q_FILE_SPANS);
	int rc;

	if (!q)
		return sq_db_err(s, err, "cannot read file spans");
	s->spans.nr = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		if (!spans_add(&s->spans, sqlite3_column_int64(q, 0),
			       sqlite3_column_int64(q, 1))) {
			sqlite3_reset(q);
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return sq_db_err(s, err, "cannot read file spans");
	s->spans.loaded = true;
	return NHIR_OK;
}

/* Binds e's key, time, uid and file as ?1 to ?4. */
static void bind_dup(sqlite3_stmt *q, const struct ev_batch *e)
{
	if (e->ids[1])
		sqlite3_bind_int64(q, 1, e->ids[1]);
	else
		sqlite3_bind_null(q, 1);
	sqlite3_bind_int64(q, 2, e->time);
	sqlite3_bind_int64(q, 3, (int64_t)e->uid);
	sqlite3_bind_int64(q, 4, e->file);
}

/* Was e's hash seen in this file?  Remembers it if not. */
static bool infile_seen(struct infile *f, uint64_t h)
{
	size_t i;

	if ((f->nr + 1) * 2 > f->alloc) {
		struct infile old = *f;
		size_t n = f->alloc ? f->alloc * 2 : 4096;

		f->v = nhir_calloc(n, sizeof(*f->v));
		if (!f->v) {
			*f = old;
			return true;	/* look it up */
		}
		f->alloc = n;
		for (size_t j = 0; j < old.alloc; j++) {
			if (!old.v[j])
				continue;
			for (i = old.v[j] & (n - 1); f->v[i]; i = (i + 1) & (n - 1))
				;
			f->v[i] = old.v[j];
		}
		nhir_free(old.v);
	}
	for (i = h & (f->alloc - 1); f->v[i]; i = (i + 1) & (f->alloc - 1))
		if (f->v[i] == h)
			return true;
	f->v[i] = h;
	f->nr++;
	return false;
}

/*
 * Is e already stored: 1 from a file before the run, 2 from another
 * file of the run, 3 earlier in its own file; 0 not; -1 on error.
 */
static int is_dup(struct sqlite_store *s, const struct ev_batch *e)
{
	sqlite3_stmt *q;
	uint64_t h;
	int rc;

	if (spans_cover(&s->spans, e->time)) {
		q = stmt(s, Q_EVENT_DUP);
		if (!q)
			return -1;
		bind_dup(q, e);
		rc = sqlite3_step(q);
		if (rc == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
			rc = sqlite3_column_int64(q, 0) < s->run_first ? 1 : 2;
		else
			rc = rc == SQLITE_ROW ? 0 : -1;
		sqlite3_reset(q);
		if (rc)
			return rc;
	}
	h = nhir_hash_u64((uint64_t)e->ids[1] * 0x9e3779b97f4a7c15ULL ^
			  (uint64_t)e->time) ^ e->uid;
	h |= 1;
	if (s->infile.nr < INFILE_MAX && !infile_seen(&s->infile, h))
		return 0;
	q = stmt(s, Q_EVENT_SAME);
	if (!q)
		return -1;
	bind_dup(q, e);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	return rc == SQLITE_ROW ? 3 : rc == SQLITE_DONE ? 0 : -1;
}

/* key_identity has e's identity and key (0 for none); false on error. */
static bool key_identity(struct sqlite_store *s, const struct ev_batch *e)
{
	sqlite3_stmt *q;
	int r;

	if (!e->ids[2])
		return true;
	r = nhir_store_pairs_add(&s->idpairs, e->ids[2], e->ids[1]);
	if (r <= 0)
		return r == 0;
	q = stmt(s, Q_KEY_IDENTITY);
	if (!q)
		return false;
	sqlite3_bind_int64(q, 1, e->ids[2]);
	sqlite3_bind_int64(q, 2, e->ids[1]);
	r = sqlite3_step(q);
	sqlite3_reset(q);
	return r == SQLITE_DONE;
}

/* Inserts the batched events, sorted, but those stored already. */
enum nhir_rc sq_flush_events(struct sqlite_store *s, struct nhir_err *err)
{
	enum nhir_rc rc;

	if (!s->batch_nr)
		return NHIR_OK;
	if (!s->spans.loaded) {
		rc = spans_load(s, err);
		if (rc)
			return rc;
	}
	qsort(s->batch, s->batch_nr, sizeof(*s->batch), cmp_batch);
	for (size_t i = 0; i < s->batch_nr; i++) {
		const struct ev_batch *e = &s->batch[i];
		sqlite3_stmt *q;
		int dup = is_dup(s, e);

		if (dup < 0)
			return sq_db_err(s, err, "cannot look up event");
		s->batch[i].dup = dup;
		if (dup == 1)
			s->dups.before++;
		else if (dup == 2)
			s->dups.run++;
		else if (dup == 3)
			s->dups.repeated++;
		if (dup)
			continue;
		q = stmt(s, Q_EVENT_INSERT);
		if (!q)
			return sq_db_err(s, err, "cannot store event");
		sqlite3_bind_int64(q, 1, e->time);
		for (int k = 0; k < 9; k++)
			if (e->ids[k])
				sqlite3_bind_int64(q, 2 + k, e->ids[k]);
		sqlite3_bind_int(q, 11, (int)e->flags);
		sqlite3_bind_int64(q, 12, e->file);
		sqlite3_bind_int64(q, 13, (int64_t)e->offset);
		sqlite3_bind_int64(q, 14, e->len);
		sqlite3_bind_int64(q, 15, (int64_t)e->uid);
		if (sqlite3_step(q) != SQLITE_DONE || !key_identity(s, e))
			return sq_db_err(s, err, "cannot store event");
	}
	rc = sq_roll_up(s, err);
	if (rc)
		return rc;
	s->batch_nr = 0;
	return NHIR_OK;
}

enum nhir_rc sq_put_events(struct nhir_store *st, int64_t file,
			   const struct nhir_event *ev, size_t nr,
			   struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	enum nhir_rc rc;

	for (size_t i = 0; i < nr; i++) {
		const struct nhir_event *e = &ev[i];
		const char *f[9] = { e->source, e->actor_key, e->identity,
				     e->action, e->target, e->src_ip,
				     e->user_agent, e->region, e->outcome };
		struct ev_batch *b;

		if (s->batch_nr >= EV_BATCH_MAX) {
			rc = sq_flush_events(s, err);
			if (rc)
				return rc;
		}
		if (NHIR_ALLOC_GROW(s->batch, s->batch_nr + 1, s->batch_alloc))
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		b = &s->batch[s->batch_nr];
		for (int k = 0; k < 9; k++) {
			b->ids[k] = sq_intern(s, f[k]);
			if (b->ids[k] < 0)
				return sq_db_err(s, err, "cannot store string");
		}
		b->time = e->time;
		b->file = file;
		b->offset = e->offset;
		b->len = e->len;
		b->flags = e->flags;
		b->uid = e->uid;
		if (s->first == INT64_MAX || e->time < s->first)
			s->first = e->time;
		if (s->last == INT64_MIN || e->time > s->last)
			s->last = e->time;
		s->batch_nr++;
	}
	return NHIR_OK;
}

/*
 * Strings of the events being read, by id.  A key's events share few
 * distinct strings (its addresses, agents, actions), so each is read
 * from str once per query instead of joined on every row.
 */
struct id_cache {
	int64_t *ids;
	char **s;
	size_t nr, alloc;	/* alloc: 0 or a power of two */
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

/* The string with id (0: NULL); *oom on failure. */
static const char *id_string(struct sqlite_store *s, struct id_cache *c,
			     int64_t id, bool *oom)
{
	sqlite3_stmt *q;
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
	q = stmt(s, Q_STR_GET);
	if (!q) {
		*oom = true;
		return NULL;
	}
	sqlite3_bind_int64(q, 1, id);
	c->s[j] = sqlite3_step(q) == SQLITE_ROW ? sq_col_dup(q, 0, oom) : NULL;
	sqlite3_reset(q);
	c->ids[j] = id;
	c->nr++;
	return c->s[j];
}

enum nhir_rc sq_events(struct nhir_store *st,
		       const struct nhir_event_query *eq,
		       nhir_event_cb cb, void *data,
		       struct nhir_err *err)
{
	struct sqlite_store *s = SQ(st);
	struct nhir_buf sql = NHIR_BUF_INIT(1 << 20);
	struct id_cache cache = { NULL, NULL, 0, 0 };
	sqlite3_stmt *q = NULL;
	enum nhir_rc rc = NHIR_OK;
	bool oom = false;
	int r;

	/* events put in this transaction are visible to it */
	rc = sq_flush_events(s, err);
	if (rc)
		goto out;
	if (eq->lean && eq->key_nr && !eq->notable)
		nhir_buf_adds(&sql,
			"SELECT time, NULL, actor_key, NULL, action, target,"
			" src_ip, user_agent, NULL, outcome, flags, 0, 0, 0"
			" FROM event INDEXED BY event_key WHERE ");
	else
		nhir_buf_adds(&sql,
			"SELECT time, source, actor_key, identity, action, target,"
			" src_ip, user_agent, region, outcome, flags, file, offset,"
			" len FROM event WHERE ");
	if (eq->key_nr) {
		nhir_buf_adds(&sql, "actor_key IN (");
		for (size_t i = 0; i < eq->key_nr; i++) {
			int64_t id = sq_str_id(s, eq->keys[i]);

			if (id < 0) {
				rc = sq_db_err(s, err, "cannot read events");
				goto out;
			}
			nhir_buf_addf(&sql, "%s%" PRId64, i ? "," : "", id);
		}
		nhir_buf_adds(&sql, ")");
	} else {
		int64_t id = sq_str_id(s, eq->identity), keyless = 0;
		char one[128];

		if (id < 0) {
			rc = sq_db_err(s, err, "cannot read events");
			goto out;
		}
		/*
		 * No index by identity: the keys that signed for it, and
		 * the events without a key only if it has any, which are
		 * read all (key_identity).
		 */
		snprintf(one, sizeof(one), "SELECT count(*) FROM key_identity"
			 " WHERE identity = %" PRId64 " AND key = 0", id);
		if (sq_query_int(s, one, &keyless) != SQLITE_OK) {
			rc = sq_db_err(s, err, "cannot read events");
			goto out;
		}
		nhir_buf_addf(&sql, "(actor_key IN (SELECT key FROM"
			      " key_identity WHERE identity = %" PRId64
			      " AND key != 0)%s) AND identity = %" PRId64, id,
			      keyless ? " OR actor_key IS NULL" : "", id);
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
	if (sqlite3_prepare_v2(s->db, sql.buf, -1, &q, NULL) != SQLITE_OK) {
		rc = sq_db_err(s, err, "cannot read events");
		goto out;
	}
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
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
		e.time = sqlite3_column_int64(q, 0);
		e.flags = (unsigned)sqlite3_column_int(q, 10);
		for (int k = 0; k < 9; k++) {
			/* lean: most targets are read once; only notable ones */
			if (k == 4 && eq->lean && !(e.flags & ~NHIR_EV_READ_ONLY))
				continue;
			*f[k] = id_string(s, &cache,
					  sqlite3_column_int64(q, 1 + k), &oom);
		}
		if (oom) {
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
			goto out;
		}
		e.file = sqlite3_column_int64(q, 11);
		e.offset = (uint64_t)sqlite3_column_int64(q, 12);
		e.len = (uint32_t)sqlite3_column_int64(q, 13);
		if (cb(&e, data)) {
			r = SQLITE_DONE;
			break;
		}
	}
	if (r != SQLITE_DONE)
		rc = sq_db_err(s, err, "cannot read events");
out:
	sqlite3_finalize(q);
	id_cache_clear(&cache);
	nhir_buf_release(&sql);
	return rc;
}

char *sq_file_path(struct nhir_store *st, int64_t id)
{
	struct sqlite_store *s = SQ(st);
	sqlite3_stmt *q = stmt(s, Q_FILE_PATH);
	char *p = NULL;
	bool oom = false;

	if (!q)
		return NULL;
	sqlite3_bind_int64(q, 1, id);
	if (sqlite3_step(q) == SQLITE_ROW)
		p = sq_col_dup(q, 0, &oom);
	sqlite3_reset(q);
	return p;
}
