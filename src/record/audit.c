/*
 * The audit log: an append-only chain.  Each entry's hash is SHA-256
 * over the previous entry's hash, a newline, and the canonical JSON of
 * the entry ({action, actor, at, detail, incident, seq}).  The newest
 * entry's seq and hash are also kept in meta as the head, so that
 * entries cut from the end are noticed too.  See doc/internals/record.md.
 */
#include "compat.h"
#include "nhir/buf.h"
#include "core/hash.h"
#include "record/record-internal.h"
#include "store/record.h"

/* Sorts object members by key, recursively (a linked list, in place). */
static int cmp_member(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a;
	const cJSON *y = *(const cJSON *const *)b;

	return strcmp(x->string ? x->string : "", y->string ? y->string : "");
}

static bool sort_members(cJSON *v)
{
	cJSON **kids = NULL, *c;
	size_t n = 0, i;

	for (c = v ? v->child : NULL; c; c = c->next) {
		if (!sort_members(c))
			return false;
		n++;
	}
	if (!cJSON_IsObject(v) || n < 2)
		return true;
	kids = nhir_malloc(n * sizeof(*kids));
	if (!kids)
		return false;
	for (i = 0, c = v->child; c; c = c->next)
		kids[i++] = c;
	qsort(kids, n, sizeof(*kids), cmp_member);
	v->child = kids[0];
	for (i = 0; i < n; i++) {
		kids[i]->prev = i ? kids[i - 1] : kids[n - 1];
		kids[i]->next = i + 1 < n ? kids[i + 1] : NULL;
	}
	nhir_free(kids);
	return true;
}

char *nhir_json_canonical(const cJSON *v)
{
	cJSON *copy = cJSON_Duplicate(v, 1);
	char *s = NULL, *out = NULL;

	if (copy && sort_members(copy))
		s = cJSON_PrintUnformatted(copy);
	cJSON_Delete(copy);
	if (s) {
		out = nhir_strdup(s);
		cJSON_free(s);
	}
	return out;
}

/* The entry's hash, from its parts; false on out of memory. */
static bool entry_hash(int64_t seq, int64_t at, const char *actor,
		       const char *action, int64_t incident,
		       const char *detail, const char *prev, char hex[65])
{
	char head[128];
	struct nhir_sha256 h;
	unsigned char md[32];
	struct nhir_buf b = NHIR_BUF_INIT(1 << 26);
	bool ok;

	/*
	 * The canonical object, written out directly: keys in order, the
	 * detail already canonical.
	 */
	nhir_buf_adds(&b, "{\"action\":");
	nhir_buf_add_json_str(&b, action, strlen(action));
	nhir_buf_adds(&b, ",\"actor\":");
	nhir_buf_add_json_str(&b, actor, strlen(actor));
	snprintf(head, sizeof(head), ",\"at\":%" PRId64 ",\"detail\":", at);
	nhir_buf_adds(&b, head);
	nhir_buf_adds(&b, detail);
	if (incident)
		snprintf(head, sizeof(head), ",\"incident\":%" PRId64
			 ",\"seq\":%" PRId64 "}", incident, seq);
	else
		snprintf(head, sizeof(head), ",\"incident\":null,\"seq\":%"
			 PRId64 "}", seq);
	nhir_buf_adds(&b, head);
	ok = !b.err && nhir_sha256_init(&h);
	if (ok) {
		nhir_sha256_update(&h, prev, strlen(prev));
		nhir_sha256_update(&h, "\n", 1);
		nhir_sha256_update(&h, b.buf, b.len);
		nhir_sha256_final(&h, md);
		nhir_sha256_release(&h);
		nhir_hex32(md, hex);
	}
	nhir_buf_release(&b);
	return ok;
}

/*
 * The state tables on the chain (struct nhir_chain_row in
 * src/store/record.h): an entry carries the SHA-256 of the content of
 * every row its transaction wrote, and verify checks every row against
 * the newest entry that wrote it.
 */
static const struct row_table {
	const char *name, *what;
} row_tables[] = {
	{ "approval", "approval" },
	{ "decision", "decision" },
	{ "nhir_user", "user" },
	{ "scope", "scope row" },
};

static const struct row_table *row_table(const char *name)
{
	for (size_t i = 0; name && i < NHIR_ARRAY_SIZE(row_tables); i++)
		if (!strcmp(row_tables[i].name, name))
			return &row_tables[i];
	return NULL;
}

static bool text_sha(const char *text, char hex[65])
{
	struct nhir_sha256 h;
	unsigned char md[32];

	if (!nhir_sha256_init(&h))
		return false;
	nhir_sha256_once(&h, text, strlen(text), md);
	nhir_sha256_release(&h);
	nhir_hex32(md, hex);
	return true;
}

struct touched {
	cJSON *d, *rows;
	bool nomem;
};

/* Adds [table, k1, k2, digest or null] to the entry's "rows". */
static int touched_row(const struct nhir_chain_row *r, void *data)
{
	struct touched *t = data;
	char hex[65] = "";
	cJSON *row;

	if (!row_table(r->table))
		return 0;
	if (r->content && !text_sha(r->content, hex)) {
		t->nomem = true;
		return 1;
	}
	if (!t->rows)
		t->rows = cJSON_AddArrayToObject(t->d, "rows");
	row = cJSON_CreateArray();
	cJSON_AddItemToArray(t->rows, row);
	cJSON_AddItemToArray(row, cJSON_CreateString(r->table));
	cJSON_AddItemToArray(row, cJSON_CreateString(r->k1));
	cJSON_AddItemToArray(row, cJSON_CreateString(r->k2));
	cJSON_AddItemToArray(row, hex[0] ? cJSON_CreateString(hex)
					 : cJSON_CreateNull());
	return 0;
}

/*
 * The detail to chain: detail (or {}) with the digests of the rows
 * this transaction wrote, canonical.  No store connection that records
 * them (a read-only one): detail as it is.
 */
static enum nhir_rc entry_detail(struct nhir_store *st, const cJSON *detail,
				 char **out, struct nhir_err *err)
{
	cJSON *d = detail ? cJSON_Duplicate(detail, 1) : cJSON_CreateObject();
	struct touched t = { d, NULL, false };
	enum nhir_rc rc;

	*out = NULL;
	if (!d)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	if (cJSON_IsObject(d)) {
		rc = nhir_record_store(st)->chain_touched(st, touched_row, &t,
							  err);
		if (!rc && t.nomem)
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		if (rc) {
			cJSON_Delete(d);
			return rc;
		}
	}
	*out = nhir_json_canonical(d);
	cJSON_Delete(d);
	return *out ? NHIR_OK : nhir_err_set(err, NHIR_ENOMEM, "out of memory");
}

/*
 * A time other than the system's goes on the record only of a database
 * whose 'clock' setting is 'fixed' (nhir init --fixed-clock): whatever
 * a caller puts in its context or fixes on its store, the chain of a
 * database that keeps real time is never backdated.
 */
enum nhir_rc ir_clock_allowed(struct nhir_store *st, bool set,
			      struct nhir_err *err)
{
	char v[16];
	bool found = false;
	enum nhir_rc rc;

	if (!set && !nhir_store_clock_fixed(st))
		return NHIR_OK;
	rc = nhir_setting_get(st, "clock", v, sizeof(v), &found, err);
	if (rc || (found && !strcmp(v, "fixed")))
		return rc;
	return nhir_err_set(err, NHIR_EDENIED, "the database keeps real time "
			    "(its 'clock' setting is not 'fixed'): an entry "
			    "at a time given by the caller is refused");
}

enum nhir_rc nhir_audit_append(const struct nhir_ctx *ctx, const char *action,
			       int64_t incident, const cJSON *detail,
			       struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	const struct nhir_record_store_ops *rs = nhir_record_store(st);
	struct nhir_audit_entry e;
	char prev[65], hash[65], headv[96];
	char *d;
	int64_t seq = 0, at = nhir_ctx_now(ctx);
	enum nhir_rc rc;
	bool found;

	rc = ir_clock_allowed(st, ctx->now != NHIR_TIME_UNSET, err);
	if (rc)
		return rc;
	rc = rs->audit_last(st, &seq, prev, &found, err);
	if (rc)
		return rc;
	if (!found)
		ir_copy(prev, sizeof(prev), NHIR_AUDIT_GENESIS);
	seq++;
	rc = entry_detail(st, detail, &d, err);
	if (rc)
		return rc;
	if (!entry_hash(seq, at, actor, action, incident, d, prev, hash)) {
		nhir_free(d);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	e = (struct nhir_audit_entry){
		.seq = seq, .at = at, .actor = actor, .action = action,
		.incident = incident, .detail = d, .prev = prev, .hash = hash,
	};
	rc = rs->audit_insert(st, &e, err);
	nhir_free(d);
	if (rc)
		return rc;
	snprintf(headv, sizeof(headv), "%" PRId64 ":%s", seq, hash);
	return rs->audit_head_put(st, headv, err);
}

void nhir_audit_denied(const struct nhir_ctx *ctx, const char *operation,
		       int64_t incident, const char *why)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	struct nhir_ctx as = *ctx;
	cJSON *d = cJSON_CreateObject();
	struct nhir_err err = NHIR_ERR_INIT;
	char who[NHIR_USER_NAME_MAX + 40];

	/* a read-only store (a standby) cannot keep it: the caller logs */
	if (!d || nhir_store_readonly(st)) {
		cJSON_Delete(d);
		return;
	}
	/* a name no user can have is kept short: its start and its size */
	if (actor && strlen(actor) > NHIR_USER_NAME_MAX) {
		snprintf(who, sizeof(who), "%.32s...(%zu bytes)", actor,
			 strlen(actor));
		as.actor = who;
	}
	cJSON_AddStringToObject(d, "operation", operation);
	cJSON_AddStringToObject(d, "reason", why);
	if (!nhir_store_begin(st, &err))
		ir_end(&as, NHIR_OK, "denied", incident, d, &err);
	else
		cJSON_Delete(d);
}

enum nhir_rc nhir_audit_each(struct nhir_store *st, int64_t incident,
			     nhir_audit_cb cb, void *data,
			     struct nhir_err *err)
{
	return nhir_record_store(st)->audit_read(st, incident, cb, data, err);
}

/* For a backend without audit_read_after: the filter over them all. */
struct since {
	int64_t after;
	size_t limit, n;
	nhir_audit_cb cb;
	void *data;
};

static int since_cb(const struct nhir_audit_entry *e, void *data)
{
	struct since *s = data;

	if (e->seq <= s->after)
		return 0;
	if (s->limit && s->n++ >= s->limit)
		return 1;
	return s->cb(e, s->data);
}

enum nhir_rc nhir_audit_since(struct nhir_store *st, int64_t incident,
			      int64_t after, size_t limit, nhir_audit_cb cb,
			      void *data, struct nhir_err *err)
{
	const struct nhir_record_store_ops *o = nhir_record_store(st);
	struct since s = { after, limit, 0, cb, data };

	if (o->audit_read_after)
		return o->audit_read_after(st, incident, after, limit, cb, data,
					   err);
	return o->audit_read(st, incident, since_cb, &s, err);
}

enum nhir_rc nhir_audit_newest(struct nhir_store *st, int64_t *seq,
			       struct nhir_err *err)
{
	char hash[65];
	bool found;

	return nhir_record_store(st)->audit_last(st, seq, hash, &found, err);
}

static void broken(struct nhir_audit_check *c, int64_t seq, const char *fmt,
		   ...) __attribute__((format(printf, 3, 4)));
static void broken(struct nhir_audit_check *c, int64_t seq, const char *fmt,
		   ...)
{
	va_list ap;

	if (c->broken)
		return;
	c->broken = seq;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
}

/*
 * The rows the chain vouches for: every [table, k1, k2, digest] the
 * entries carry, the newest entry's for each row.
 */
struct rowrec {
	char *t;		/* one block: table, k1, k2 and d */
	const char *k1, *k2, *d;	/* d NULL: the entry deleted the row */
	int64_t seq;
	size_t ord;		/* in the order the entries carry them */
	bool present;		/* the table has the row (check_row) */
};

struct rowmap {
	struct rowrec *v;
	size_t nr, cap;
	bool nomem;
};

static void rowmap_release(struct rowmap *m)
{
	for (size_t i = 0; i < m->nr; i++)
		nhir_free(m->v[i].t);
	nhir_free(m->v);
	memset(m, 0, sizeof(*m));
}

/* Adds the rows of one entry's detail (parsed) to m. */
static void rowmap_add(struct rowmap *m, const cJSON *detail, int64_t seq)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(detail, "rows")) {
		const char *t = cJSON_GetStringValue(cJSON_GetArrayItem(r, 0));
		const char *k1 = cJSON_GetStringValue(cJSON_GetArrayItem(r, 1));
		const char *k2 = cJSON_GetStringValue(cJSON_GetArrayItem(r, 2));
		const cJSON *dj = cJSON_GetArrayItem(r, 3);
		/* a digest that is not text matches no row's */
		const char *d = !dj || cJSON_IsNull(dj) ? NULL
				: cJSON_IsString(dj) ? dj->valuestring : "";
		size_t lt, l1, l2, ld;
		struct rowrec *x;

		/* a row without its key can match no row of a table */
		if (!t || !k1 || !k2 || m->nomem)
			continue;
		if (m->nr == m->cap) {
			size_t cap = m->cap ? 2 * m->cap : 64;
			struct rowrec *v = nhir_realloc(m->v, cap * sizeof(*v));

			if (!v) {
				m->nomem = true;
				return;
			}
			m->v = v;
			m->cap = cap;
		}
		lt = strlen(t) + 1;
		l1 = strlen(k1) + 1;
		l2 = strlen(k2) + 1;
		ld = d ? strlen(d) + 1 : 0;
		x = &m->v[m->nr];
		x->t = nhir_malloc(lt + l1 + l2 + ld);
		if (!x->t) {
			m->nomem = true;
			return;
		}
		memcpy(x->t, t, lt);
		x->k1 = memcpy(x->t + lt, k1, l1);
		x->k2 = memcpy(x->t + lt + l1, k2, l2);
		x->d = d ? memcpy(x->t + lt + l1 + l2, d, ld) : NULL;
		x->seq = seq;
		x->ord = m->nr;
		x->present = false;
		m->nr++;
	}
}

static int cmp_key(const struct rowrec *a, const char *t, const char *k1,
		   const char *k2)
{
	int c = strcmp(a->t, t);

	if (!c)
		c = strcmp(a->k1, k1);
	return c ? c : strcmp(a->k2, k2);
}

static int cmp_rowrec(const void *x, const void *y)
{
	const struct rowrec *a = x, *b = y;
	int c = cmp_key(a, b->t, b->k1, b->k2);

	return c ? c : a->ord < b->ord ? -1 : a->ord > b->ord;
}

static int cmp_by_seq(const void *x, const void *y)
{
	const struct rowrec *a = *(const struct rowrec *const *)x;
	const struct rowrec *b = *(const struct rowrec *const *)y;

	return a->seq != b->seq ? (a->seq < b->seq ? -1 : 1)
				: a->ord < b->ord ? -1 : a->ord > b->ord;
}

/* Keeps the newest record of each row, sorted by its key. */
static void rowmap_finish(struct rowmap *m)
{
	size_t n = 0;

	if (m->nr)
		qsort(m->v, m->nr, sizeof(*m->v), cmp_rowrec);
	for (size_t i = 0; i < m->nr; i++) {
		if (i + 1 < m->nr && !cmp_key(&m->v[i + 1], m->v[i].t,
					      m->v[i].k1, m->v[i].k2)) {
			nhir_free(m->v[i].t);
			continue;
		}
		m->v[n++] = m->v[i];
	}
	m->nr = n;
}

static struct rowrec *rowmap_find(const struct rowmap *m,
					const char *t, const char *k1,
					const char *k2)
{
	size_t lo = 0, hi = m->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_key(&m->v[mid], t, k1, k2);

		if (!c)
			return &m->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct table_check {
	const struct row_table *t;
	struct rowmap *m;
	int64_t last;
	struct nhir_audit_check *c;
	bool nomem;
};

/* One row of a table against the entry that wrote it. */
static int check_row(const struct nhir_chain_row *r, void *data)
{
	struct table_check *x = data;
	const char *k1 = r->k1 ? r->k1 : "", *k2 = r->k2 ? r->k2 : "";
	struct rowrec *m = rowmap_find(x->m, x->t->name, k1, k2);
	char key[160], hex[65];

	if (m)
		m->present = true;
	snprintf(key, sizeof(key), "%s%s%s", k1, *k2 ? ":" : "", k2);
	if (!text_sha(r->content ? r->content : "", hex)) {
		x->nomem = true;
		return 1;
	}
	if (!m && !r->before)
		broken(x->c, x->last, "%s %s is not on the audit log: it was "
		       "written outside nhir", x->t->what, key);
	else if (m && !m->d)
		broken(x->c, m->seq, "%s %s was deleted by entry %" PRId64
		       " but is there again", x->t->what, key, m->seq);
	else if (m && strcmp(m->d, hex))
		broken(x->c, m->seq, "%s %s was changed outside nhir: it "
		       "differs from what entry %" PRId64 " recorded",
		       x->t->what, key, m->seq);
	return x->c->broken != 0;
}

/*
 * Rows the chain wrote that are gone without an entry saying so: after
 * every table was read, the rows no table had.
 */
static enum nhir_rc check_deleted(const struct rowmap *m,
				  struct nhir_audit_check *c,
				  struct nhir_err *err)
{
	const struct rowrec **by_seq;
	size_t n = 0;

	by_seq = nhir_calloc(m->nr ? m->nr : 1, sizeof(*by_seq));
	if (!by_seq)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	for (size_t i = 0; i < m->nr; i++)
		if (m->v[i].d && !m->v[i].present && row_table(m->v[i].t))
			by_seq[n++] = &m->v[i];
	if (n) {
		const struct rowrec *x;

		qsort(by_seq, n, sizeof(*by_seq), cmp_by_seq);
		x = by_seq[0];
		broken(c, x->seq, "%s %s%s%s, written by entry %" PRId64
		       ", was deleted outside nhir", row_table(x->t)->what,
		       x->k1, *x->k2 ? ":" : "", x->k2, x->seq);
	}
	nhir_free(by_seq);
	return NHIR_OK;
}

/* The state tables against the chain (once the chain holds rows). */
static enum nhir_rc check_rows(struct nhir_store *st,
			       struct rowmap *m, int64_t last,
			       struct nhir_audit_check *c,
			       struct nhir_err *err)
{
	enum nhir_rc rc = NHIR_OK;

	if (!m->nr)
		return NHIR_OK;
	for (size_t i = 0; !rc && !c->broken &&
	     i < NHIR_ARRAY_SIZE(row_tables); i++) {
		struct table_check x = { &row_tables[i], m, last, c, false };

		rc = nhir_record_store(st)->chain_rows(st, row_tables[i].name,
						       check_row, &x, err);
		if (!rc && x.nomem)
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	if (!rc && !c->broken)
		rc = check_deleted(m, c, err);
	return rc;
}

/* The walk over the entries: each against its predecessor. */
struct chain_walk {
	struct nhir_audit_check *c;
	struct rowmap rows;
	char last[65];
	int64_t want, head_seq;
	bool nomem;
};

static int check_entry(const struct nhir_audit_entry *e, void *data)
{
	struct chain_walk *w = data;
	struct nhir_audit_check *c = w->c;
	cJSON *parsed;
	char *canon = NULL, hash[65];
	int64_t seq = e->seq;

	c->entries++;
	if (c->broken)
		return 0;
	if (seq != w->want) {
		broken(c, w->want, seq > w->want
			   ? "entry %" PRId64 " is missing (the next is %" PRId64 ")"
			   : "entry %" PRId64 " is out of order (found %" PRId64 ")",
		       w->want, seq);
		return 0;
	}
	w->want++;
	if (!e->actor || !e->action || !e->detail || !e->prev || !e->hash) {
		broken(c, seq, "entry %" PRId64 " has a field removed", seq);
		return 0;
	}
	if (strcmp(e->prev, w->last)) {
		broken(c, seq, "entry %" PRId64 " does not follow entry %"
		       PRId64 " (previous hash differs)", seq, seq - 1);
		return 0;
	}
	parsed = cJSON_Parse(e->detail);
	canon = parsed ? nhir_json_canonical(parsed) : NULL;
	if (!canon || strcmp(canon, e->detail)) {
		nhir_free(canon);
		cJSON_Delete(parsed);
		broken(c, seq, "entry %" PRId64 " has a detail that is not "
		       "canonical JSON", seq);
		return 0;
	}
	nhir_free(canon);
	if (!entry_hash(seq, e->at, e->actor, e->action, e->incident,
			e->detail, e->prev, hash)) {
		cJSON_Delete(parsed);
		w->nomem = true;
		return 1;
	}
	if (strcmp(hash, e->hash)) {
		cJSON_Delete(parsed);
		broken(c, seq, "entry %" PRId64 " was changed: its content "
		       "does not match its hash", seq);
		return 0;
	}
	rowmap_add(&w->rows, parsed, seq);
	cJSON_Delete(parsed);
	ir_copy(w->last, sizeof(w->last), e->hash);
	ir_copy(c->head, sizeof(c->head), e->hash);
	w->head_seq = seq;
	return 0;
}

/* The recorded head against the last entry. */
static enum nhir_rc check_head(struct nhir_store *st, int64_t head_seq,
			       struct nhir_audit_check *c,
			       struct nhir_err *err)
{
	char *v = NULL;
	enum nhir_rc rc;

	rc = nhir_record_store(st)->audit_head_read(st, &v, err);
	if (rc)
		return rc;
	if (v || head_seq) {
		char want_head[96];

		snprintf(want_head, sizeof(want_head), "%" PRId64 ":%s",
			 head_seq, c->head);
		if (!v || strcmp(v, want_head)) {
			int64_t hs = v ? strtoll(v, NULL, 10) : 0;

			if (hs > head_seq)
				broken(c, head_seq + 1, "entries %" PRId64
				       " to %" PRId64 " were removed from the "
				       "end", head_seq + 1, hs);
			else
				broken(c, head_seq ? head_seq : 1,
				       "the recorded head (%s) does not match "
				       "the last entry", v ? v : "none");
		}
	}
	nhir_free(v);
	return NHIR_OK;
}

enum nhir_rc nhir_audit_verify(struct nhir_store *st,
			       struct nhir_audit_check *c,
			       struct nhir_err *err)
{
	struct chain_walk w;
	enum nhir_rc rc;

	memset(c, 0, sizeof(*c));
	memset(&w, 0, sizeof(w));
	w.c = c;
	w.want = 1;
	ir_copy(w.last, sizeof(w.last), NHIR_AUDIT_GENESIS);
	rc = nhir_record_store(st)->audit_read(st, 0, check_entry, &w, err);
	if (!rc && (w.nomem || w.rows.nomem))
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	if (!rc && !c->broken)
		rc = check_head(st, w.head_seq, c, err);
	if (!rc && !c->broken) {
		rowmap_finish(&w.rows);
		rc = check_rows(st, &w.rows, w.head_seq ? w.head_seq : 1, c,
				err);
	}
	rowmap_release(&w.rows);
	return rc;
}
