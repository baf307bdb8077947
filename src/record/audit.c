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
 * The state tables in the chain: each row's content as a JSON array,
 * by its key (k1, k2; '' when the key is one column).  An entry
 * carries the SHA-256 of every row its transaction wrote, and verify
 * checks every row against the newest entry that wrote it.
 */
static const struct row_table {
	const char *name, *what;
	const char *one;	/* the row's content by key */
	const char *all;	/* k1, k2, content of every row */
} row_tables[] = {
	{ "approval", "approval",
	  "SELECT json_array(id, step, actor, verdict, why, at, expires)"
	  " FROM approval WHERE id = ?1",
	  "SELECT CAST(id AS TEXT) AS k1, '' AS k2, json_array(id, step,"
	  " actor, verdict, why, at, expires) AS c FROM approval" },
	{ "decision", "decision",
	  "SELECT json_array(id, incident, at, actor, kind, what, why)"
	  " FROM decision WHERE id = ?1",
	  "SELECT CAST(id AS TEXT) AS k1, '' AS k2, json_array(id, incident,"
	  " at, actor, kind, what, why) AS c FROM decision" },
	{ "nhir_user", "user",
	  "SELECT json_array(name, role, active, created, created_by)"
	  " FROM nhir_user WHERE name = ?1",
	  "SELECT name AS k1, '' AS k2, json_array(name, role, active,"
	  " created, created_by) AS c FROM nhir_user" },
	{ "scope", "scope row",
	  "SELECT json_array(incident, node, status, origin, updated, actor)"
	  " FROM scope WHERE incident = ?1 AND node = ?2",
	  "SELECT CAST(incident AS TEXT) AS k1, CAST(node AS TEXT) AS k2,"
	  " json_array(incident, node, status, origin, updated, actor) AS c"
	  " FROM scope" },
};

static const struct row_table *row_table(const char *name)
{
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(row_tables); i++)
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

/* The digest of one row (hex, or "" when it no longer exists). */
static enum nhir_rc row_digest(struct nhir_store *st,
			       const struct row_table *t, const char *k1,
			       const char *k2, char hex[65],
			       struct nhir_err *err)
{
	struct nhir_sql *q;
	enum nhir_rc rc;
	int r;

	hex[0] = 0;
	rc = ir_query(st, err, &q, t->one, *k2 ? "tt" : "t", k1, k2);
	if (rc)
		return rc;
	r = nhir_sql_step(q, err);
	if (r == 1 && !text_sha(nhir_sql_text(q, 0), hex))
		r = -1;
	nhir_sql_finish(q);
	return ir_step_rc(r, err);
}

/* Adds "rows": [[table, k1, k2, digest or null], ...] to d. */
static enum nhir_rc touched_rows(struct nhir_store *st, cJSON *d,
				 struct nhir_err *err)
{
	struct nhir_sql *q;
	cJSON *rows = NULL;
	enum nhir_rc rc;
	int r;

	rc = ir_query(st, err, &q, "SELECT DISTINCT t, k1, k2 FROM"
		      " temp.audit_rows ORDER BY t, k1, k2", "");
	if (rc)
		return rc;
	while ((r = nhir_sql_step(q, err)) == 1) {
		const struct row_table *t = row_table(nhir_sql_text(q, 0));
		const char *k1 = nhir_sql_text(q, 1), *k2 = nhir_sql_text(q, 2);
		char hex[65];
		cJSON *row;

		if (!t || !k1 || !k2)
			continue;
		rc = row_digest(st, t, k1, k2, hex, err);
		if (rc)
			break;
		if (!rows)
			rows = cJSON_AddArrayToObject(d, "rows");
		row = cJSON_CreateArray();
		cJSON_AddItemToArray(rows, row);
		cJSON_AddItemToArray(row, cJSON_CreateString(t->name));
		cJSON_AddItemToArray(row, cJSON_CreateString(k1));
		cJSON_AddItemToArray(row, cJSON_CreateString(k2));
		cJSON_AddItemToArray(row, hex[0] ? cJSON_CreateString(hex)
						 : cJSON_CreateNull());
	}
	nhir_sql_finish(q);
	if (!rc && r < 0)
		rc = ir_step_rc(r, err);
	if (!rc)
		rc = ir_exec(st, err, "DELETE FROM temp.audit_rows", "");
	return rc;
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
	int64_t n = 0;
	bool found;
	enum nhir_rc rc;
	struct nhir_err e2 = NHIR_ERR_INIT;

	*out = NULL;
	if (!d)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	if (cJSON_IsObject(d) &&
	    !ir_int(st, &e2, &n, &found, "SELECT count(*) FROM"
		    " temp.audit_rows", "") && n) {
		rc = touched_rows(st, d, err);
		if (rc) {
			cJSON_Delete(d);
			return rc;
		}
	}
	*out = nhir_json_canonical(d);
	cJSON_Delete(d);
	return *out ? NHIR_OK : nhir_err_set(err, NHIR_ENOMEM, "out of memory");
}

enum nhir_rc nhir_audit_append(struct nhir_store *st, const char *actor,
			       const char *action, int64_t incident,
			       const cJSON *detail, struct nhir_err *err)
{
	struct nhir_sql *q;
	char prev[65], hash[65], headv[96];
	char *d;
	int64_t seq = 1, at = nhir_time_now();
	enum nhir_rc rc;
	int r;

	rc = ir_query(st, err, &q,
		      "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
		      "");
	if (rc)
		return rc;
	r = nhir_sql_step(q, err);
	if (r == 1) {
		seq = nhir_sql_int(q, 0) + 1;
		ir_copy(prev, sizeof(prev), nhir_sql_text(q, 1));
	} else {
		ir_copy(prev, sizeof(prev), NHIR_AUDIT_GENESIS);
	}
	nhir_sql_finish(q);
	if (r < 0)
		return err && err->rc ? err->rc : NHIR_ESTORE;
	rc = entry_detail(st, detail, &d, err);
	if (rc)
		return rc;
	if (!entry_hash(seq, at, actor, action, incident, d, prev, hash)) {
		nhir_free(d);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	rc = ir_exec(st, err,
		     "INSERT INTO audit(seq, at, actor, action, incident,"
		     " detail, prev, hash) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
		     "iittzttt", seq, at, actor, action, incident, d, prev,
		     hash);
	nhir_free(d);
	if (rc)
		return rc;
	snprintf(headv, sizeof(headv), "%" PRId64 ":%s", seq, hash);
	return ir_exec(st, err,
		       "INSERT INTO meta(key, value) VALUES('audit_head', ?)"
		       " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
		       "t", headv);
}

void nhir_audit_denied(struct nhir_store *st, const char *actor,
		       const char *operation, int64_t incident,
		       const char *why)
{
	cJSON *d = cJSON_CreateObject();
	struct nhir_err err = NHIR_ERR_INIT;
	char who[NHIR_USER_NAME_MAX + 40];

	if (!d)
		return;
	/* a name no user can have is kept short: its start and its size */
	if (actor && strlen(actor) > NHIR_USER_NAME_MAX) {
		snprintf(who, sizeof(who), "%.32s...(%zu bytes)", actor,
			 strlen(actor));
		actor = who;
	}
	cJSON_AddStringToObject(d, "operation", operation);
	cJSON_AddStringToObject(d, "reason", why);
	if (!nhir_store_begin(st, &err))
		ir_end(st, NHIR_OK, actor, "denied", incident, d, &err);
	else
		cJSON_Delete(d);
}

enum nhir_rc nhir_audit_each(struct nhir_store *st, int64_t incident,
			     nhir_audit_cb cb, void *data,
			     struct nhir_err *err)
{
	struct nhir_sql *q;
	enum nhir_rc rc;
	int r;

	if (incident)
		rc = ir_query(st, err, &q,
			      "SELECT seq, at, actor, action, incident, detail,"
			      " prev, hash FROM audit WHERE incident = ?"
			      " ORDER BY seq", "i", incident);
	else
		rc = ir_query(st, err, &q,
			      "SELECT seq, at, actor, action, incident, detail,"
			      " prev, hash FROM audit ORDER BY seq", "");
	if (rc)
		return rc;
	while ((r = nhir_sql_step(q, err)) == 1) {
		struct nhir_audit_entry e;

		e.seq = nhir_sql_int(q, 0);
		e.at = nhir_sql_int(q, 1);
		e.actor = nhir_sql_text(q, 2);
		e.action = nhir_sql_text(q, 3);
		e.incident = nhir_sql_is_null(q, 4) ? 0 : nhir_sql_int(q, 4);
		e.detail = nhir_sql_text(q, 5);
		e.prev = nhir_sql_text(q, 6);
		e.hash = nhir_sql_text(q, 7);
		if (cb(&e, data)) {
			r = 0;
			break;
		}
	}
	nhir_sql_finish(q);
	return ir_step_rc(r, err);
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

static void broken(struct nhir_audit_check *c, int64_t seq, const char *fmt,
		   ...) __attribute__((format(printf, 3, 4)));

/* The newest digest the chain holds for each row it wrote. */
static enum nhir_rc load_rowmap(struct nhir_store *st, int64_t *nr,
				struct nhir_err *err)
{
	bool found;
	enum nhir_rc rc;

	rc = ir_exec(st, err, "CREATE TEMP TABLE IF NOT EXISTS audit_rowmap("
		     "t TEXT, k1 TEXT, k2 TEXT, d TEXT, seq INTEGER,"
		     " PRIMARY KEY(t, k1, k2))", "");
	if (!rc)
		rc = ir_exec(st, err, "DELETE FROM temp.audit_rowmap", "");
	if (!rc)
		rc = ir_exec(st, err, "INSERT OR REPLACE INTO temp.audit_rowmap"
			     " SELECT json_extract(r.value, '$[0]'),"
			     " json_extract(r.value, '$[1]'),"
			     " json_extract(r.value, '$[2]'),"
			     " json_extract(r.value, '$[3]'), a.seq"
			     " FROM audit a, json_each(a.detail, '$.rows') r"
			     " WHERE json_valid(a.detail) ORDER BY a.seq", "");
	if (!rc)
		rc = ir_int(st, err, nr, &found, "SELECT count(*) FROM"
			    " temp.audit_rowmap", "");
	return rc;
}

/* Every row of t against the entry that wrote it. */
static enum nhir_rc check_table(struct nhir_store *st,
				const struct row_table *t, int64_t last,
				struct nhir_audit_check *c,
				struct nhir_err *err)
{
	struct nhir_sql *q;
	char sql[1024], hex[65];
	enum nhir_rc rc;
	int r = 0;

	snprintf(sql, sizeof(sql), "SELECT x.k1, x.k2, x.c, m.d, m.seq,"
		 " m.seq IS NOT NULL, b.t IS NOT NULL FROM (%s) x"
		 " LEFT JOIN temp.audit_rowmap m ON m.t = ?1 AND m.k1 = x.k1"
		 " AND m.k2 = x.k2 LEFT JOIN audit_rows_before b ON b.t = ?1"
		 " AND b.k1 = x.k1 AND b.k2 = x.k2 ORDER BY x.k1, x.k2", t->all);
	rc = ir_query(st, err, &q, sql, "t", t->name);
	if (rc)
		return rc;
	while (!c->broken && (r = nhir_sql_step(q, err)) == 1) {
		const char *k1 = nhir_sql_text(q, 0), *k2 = nhir_sql_text(q, 1);
		const char *d = nhir_sql_text(q, 3);
		int64_t seq = nhir_sql_int(q, 4);
		char key[160];

		snprintf(key, sizeof(key), "%s%s%s", k1 ? k1 : "",
			 k2 && *k2 ? ":" : "", k2 ? k2 : "");
		if (!text_sha(nhir_sql_text(q, 2) ? nhir_sql_text(q, 2) : "",
			      hex)) {
			nhir_sql_finish(q);
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		}
		if (!nhir_sql_int(q, 5) && !nhir_sql_int(q, 6))
			broken(c, last, "%s %s is not on the audit log: it was "
			       "written outside nhir", t->what, key);
		else if (nhir_sql_int(q, 5) && !d)
			broken(c, seq, "%s %s was deleted by entry %" PRId64
			       " but is there again", t->what, key, seq);
		else if (nhir_sql_int(q, 5) && strcmp(d, hex))
			broken(c, seq, "%s %s was changed outside nhir: it "
			       "differs from what entry %" PRId64 " recorded",
			       t->what, key, seq);
	}
	nhir_sql_finish(q);
	return c->broken ? NHIR_OK : ir_step_rc(r, err);
}

/* Rows the chain wrote that are gone without an entry saying so. */
static enum nhir_rc check_deleted(struct nhir_store *st,
				  struct nhir_audit_check *c,
				  struct nhir_err *err)
{
	struct nhir_sql *q;
	enum nhir_rc rc;
	int r = 0;

	rc = ir_query(st, err, &q, "SELECT t, k1, k2, seq FROM"
		      " temp.audit_rowmap WHERE d IS NOT NULL ORDER BY seq", "");
	if (rc)
		return rc;
	while (!c->broken && (r = nhir_sql_step(q, err)) == 1) {
		const struct row_table *t = row_table(nhir_sql_text(q, 0));
		const char *k1 = nhir_sql_text(q, 1), *k2 = nhir_sql_text(q, 2);
		char hex[65];

		if (!t || !k1 || !k2)
			continue;
		rc = row_digest(st, t, k1, k2, hex, err);
		if (rc)
			break;
		if (!hex[0])
			broken(c, nhir_sql_int(q, 3), "%s %s%s%s, written by "
			       "entry %" PRId64 ", was deleted outside nhir",
			       t->what, k1, *k2 ? ":" : "", k2,
			       nhir_sql_int(q, 3));
	}
	nhir_sql_finish(q);
	return rc ? rc : c->broken ? NHIR_OK : ir_step_rc(r, err);
}

/* The state tables against the chain (once the chain holds rows). */
static enum nhir_rc check_rows(struct nhir_store *st, int64_t last,
			       struct nhir_audit_check *c,
			       struct nhir_err *err)
{
	int64_t nr = 0;
	enum nhir_rc rc = load_rowmap(st, &nr, err);

	if (rc || !nr)
		return rc;
	for (size_t i = 0; !rc && !c->broken &&
	     i < NHIR_ARRAY_SIZE(row_tables); i++)
		rc = check_table(st, &row_tables[i], last, c, err);
	if (!rc && !c->broken)
		rc = check_deleted(st, c, err);
	return rc;
}

enum nhir_rc nhir_audit_verify(struct nhir_store *st,
			       struct nhir_audit_check *c,
			       struct nhir_err *err)
{
	struct nhir_sql *q;
	char last[65], hash[65];
	int64_t want = 1, head_seq = 0;
	enum nhir_rc rc;
	int r;

	memset(c, 0, sizeof(*c));
	ir_copy(last, sizeof(last), NHIR_AUDIT_GENESIS);
	rc = ir_query(st, err, &q,
		      "SELECT seq, at, actor, action, incident, detail, prev,"
		      " hash FROM audit ORDER BY seq", "");
	if (rc)
		return rc;
	while ((r = nhir_sql_step(q, err)) == 1) {
		int64_t seq = nhir_sql_int(q, 0);
		const char *actor = nhir_sql_text(q, 2);
		const char *action = nhir_sql_text(q, 3);
		const char *detail = nhir_sql_text(q, 5);
		const char *prev = nhir_sql_text(q, 6);
		const char *stored = nhir_sql_text(q, 7);
		int64_t inc = nhir_sql_is_null(q, 4) ? 0 : nhir_sql_int(q, 4);
		cJSON *parsed;
		char *canon = NULL;

		c->entries++;
		if (c->broken)
			continue;
		if (seq != want) {
			broken(c, want, seq > want
				   ? "entry %" PRId64 " is missing (the next is %" PRId64 ")"
				   : "entry %" PRId64 " is out of order (found %" PRId64 ")",
			       want, seq);
			continue;
		}
		want++;
		if (!actor || !action || !detail || !prev || !stored) {
			broken(c, seq, "entry %" PRId64 " has a field removed",
			       seq);
			continue;
		}
		if (strcmp(prev, last)) {
			broken(c, seq, "entry %" PRId64 " does not follow entry %"
			       PRId64 " (previous hash differs)", seq, seq - 1);
			continue;
		}
		parsed = cJSON_Parse(detail);
		canon = parsed ? nhir_json_canonical(parsed) : NULL;
		cJSON_Delete(parsed);
		if (!canon || strcmp(canon, detail)) {
			nhir_free(canon);
			broken(c, seq, "entry %" PRId64 " has a detail that is not "
			       "canonical JSON", seq);
			continue;
		}
		nhir_free(canon);
		if (!entry_hash(seq, nhir_sql_int(q, 1), actor, action, inc,
				detail, prev, hash)) {
			nhir_sql_finish(q);
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		}
		if (strcmp(hash, stored)) {
			broken(c, seq, "entry %" PRId64 " was changed: its content "
			       "does not match its hash", seq);
			continue;
		}
		ir_copy(last, sizeof(last), stored);
		ir_copy(c->head, sizeof(c->head), stored);
		head_seq = seq;
	}
	nhir_sql_finish(q);
	if (r < 0)
		return err && err->rc ? err->rc : NHIR_ESTORE;
	if (!c->broken) {
		char *v = NULL;
		bool found;

		rc = ir_query(st, err, &q,
			      "SELECT value FROM meta WHERE key = 'audit_head'",
			      "");
		if (rc)
			return rc;
		r = nhir_sql_step(q, err);
		if (r == 1 && nhir_sql_text(q, 0))
			v = nhir_strdup(nhir_sql_text(q, 0));
		nhir_sql_finish(q);
		found = v != NULL;
		if (r < 0) {
			nhir_free(v);
			return err && err->rc ? err->rc : NHIR_ESTORE;
		}
		if (found || head_seq) {
			char want_head[96];

			snprintf(want_head, sizeof(want_head), "%" PRId64 ":%s",
				 head_seq, c->head);
			if (!v || strcmp(v, want_head)) {
				int64_t hs = v ? strtoll(v, NULL, 10) : 0;

				if (hs > head_seq)
					broken(c, head_seq + 1,
					       "entries %" PRId64 " to %" PRId64
					       " were removed from the end",
					       head_seq + 1, hs);
				else
					broken(c, head_seq ? head_seq : 1,
					       "the recorded head (%s) does "
					       "not match the last entry",
					       v ? v : "none");
			}
		}
		nhir_free(v);
	}
	if (!c->broken)
		return check_rows(st, head_seq ? head_seq : 1, c, err);
	return NHIR_OK;
}
