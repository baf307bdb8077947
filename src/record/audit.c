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
	if (detail) {
		d = nhir_json_canonical(detail);
	} else {
		d = nhir_strdup("{}");
	}
	if (!d)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
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
	return NHIR_OK;
}
