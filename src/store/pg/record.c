/* PostgreSQL storage for users, authority, incidents, the audit log, evidence and settings (src/record/). */
#include "compat.h"
#include "store/record.h"
#include "store/pg/pg-internal.h"

/* ---- settings ---- */

static enum nhir_rc settings_read(struct nhir_store *st, const char *key,
				  nhir_setting_cb cb, void *data,
				  struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc;
	int r;

	rc = pq_query(st, err, &q, "SELECT key, value, set_by, set_at FROM"
		      " setting WHERE ?1 IS NULL OR key = ?1 ORDER BY key",
		      "t", key);
	if (rc)
		return rc;
	while ((r = pq_step(st, q, err)) == 1) {
		struct nhir_setting s;

		s.key = pq_text(q, 0);
		s.value = pq_text(q, 1);
		s.set_by = pq_text(q, 2);
		s.set_at = pq_col_int(q, 3);
		if (cb(&s, data)) {
			r = 0;
			break;
		}
	}
	pq_done(q);
	return pq_step_rc(r, err);
}

static enum nhir_rc setting_put(struct nhir_store *st,
				const struct nhir_setting *s,
				struct nhir_err *err)
{
	return pq_exec(st, err, "INSERT INTO setting(key, value, set_by,"
		       " set_at) VALUES(?, ?, ?, ?) ON CONFLICT(key) DO"
		       " UPDATE SET value = excluded.value, set_by ="
		       " excluded.set_by, set_at = excluded.set_at",
		       "ttti", s->key, s->value, s->set_by, s->set_at);
}

static enum nhir_rc setting_delete(struct nhir_store *st, const char *key,
				   struct nhir_err *err)
{
	return pq_exec(st, err, "DELETE FROM setting WHERE key = ?", "t", key);
}

/* ---- users ---- */

static void copy(char *dst, size_t n, const char *s)
{
	snprintf(dst, n, "%s", s ? s : "");
}

#define USER_COLS "name, role, active, created, created_by"

static void fill_user(struct pgq *q, struct nhir_user *u)
{
	memset(u, 0, sizeof(*u));
	copy(u->name, sizeof(u->name), pq_text(q, 0));
	u->role = nhir_role_parse(pq_text(q, 1));
	u->active = pq_col_int(q, 2) != 0;
	u->created = pq_col_int(q, 3);
	copy(u->created_by, sizeof(u->created_by), pq_text(q, 4));
}

static enum nhir_rc user_read(struct nhir_store *st, const char *name,
			      struct nhir_user *out, bool *found,
			      struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc;
	int r;

	memset(out, 0, sizeof(*out));
	*found = false;
	/* one person whatever the case: the exact name first, where an
	 * older database holds both */
	rc = pq_query(st, err, &q, "SELECT " USER_COLS " FROM nhir_user"
		      " WHERE lower(name) = lower(?1)"
		      " ORDER BY name = ?1 DESC LIMIT 1", "t", name);
	if (rc)
		return rc;
	r = pq_step(st, q, err);
	if (r == 1) {
		fill_user(q, out);
		*found = true;
	}
	pq_done(q);
	return pq_step_rc(r, err);
}

static enum nhir_rc users_read(struct nhir_store *st, nhir_user_cb cb,
			       void *data, struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc;
	int r;

	rc = pq_query(st, err, &q, "SELECT " USER_COLS " FROM nhir_user"
		      " ORDER BY name", "");
	if (rc)
		return rc;
	while ((r = pq_step(st, q, err)) == 1) {
		struct nhir_user u;

		fill_user(q, &u);
		if (cb(&u, data)) {
			r = 0;
			break;
		}
	}
	pq_done(q);
	return pq_step_rc(r, err);
}

static enum nhir_rc user_count(struct nhir_store *st, int64_t *n,
			       struct nhir_err *err)
{
	return pq_int(st, err, n, NULL, "SELECT count(*) FROM nhir_user", "");
}

static enum nhir_rc user_insert(struct nhir_store *st,
				const struct nhir_user *u,
				struct nhir_err *err)
{
	return pq_exec(st, err, "INSERT INTO nhir_user(" USER_COLS ")"
		       " VALUES(?, ?, ?, ?, ?)", "ttiit", u->name,
		       nhir_role_name(u->role), (int64_t)u->active, u->created,
		       u->created_by);
}

static enum nhir_rc user_update(struct nhir_store *st, const char *name,
				enum nhir_role role, bool active,
				struct nhir_err *err)
{
	return pq_exec(st, err, "UPDATE nhir_user SET role = ?, active = ?"
		       " WHERE name = ?", "tit", nhir_role_name(role),
		       (int64_t)active, name);
}

/* ---- incidents ---- */

#define INC_COLS "id, title, severity, state, lead, exposed_at, declared," \
		 " declared_by, updated, closed"

static void fill_incident(struct pgq *q, struct nhir_incident *i)
{
	memset(i, 0, sizeof(*i));
	i->id = pq_col_int(q, 0);
	copy(i->title, sizeof(i->title), pq_text(q, 1));
	copy(i->severity, sizeof(i->severity), pq_text(q, 2));
	i->state = (enum nhir_inc_state)nhir_inc_state_parse(pq_text(q, 3));
	copy(i->lead, sizeof(i->lead), pq_text(q, 4));
	i->exposed_at = pq_is_null(q, 5) ? NHIR_TIME_UNSET : pq_col_int(q, 5);
	i->declared = pq_col_int(q, 6);
	copy(i->declared_by, sizeof(i->declared_by), pq_text(q, 7));
	i->updated = pq_col_int(q, 8);
	i->closed = pq_is_null(q, 9) ? NHIR_TIME_UNSET : pq_col_int(q, 9);
}

static enum nhir_rc incident_read(struct nhir_store *st, int64_t id,
				  struct nhir_incident *out, bool *found,
				  struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc;
	int r;

	memset(out, 0, sizeof(*out));
	*found = false;
	rc = pq_query(st, err, &q, "SELECT " INC_COLS " FROM incident"
		      " WHERE id = ?", "i", id);
	if (rc)
		return rc;
	r = pq_step(st, q, err);
	if (r == 1) {
		fill_incident(q, out);
		*found = true;
	}
	pq_done(q);
	return pq_step_rc(r, err);
}

static enum nhir_rc incidents_read(struct nhir_store *st, int state,
				   nhir_incident_cb cb, void *data,
				   struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc;
	int r;

	if (state >= NHIR_INC_STATE_NR)
		return NHIR_OK;
	if (state >= 0)
		rc = pq_query(st, err, &q, "SELECT " INC_COLS " FROM incident"
			      " WHERE state = ? ORDER BY id", "t",
			      nhir_inc_state_name(state));
	else
		rc = pq_query(st, err, &q, "SELECT " INC_COLS " FROM incident"
			      " ORDER BY id", "");
	if (rc)
		return rc;
	while ((r = pq_step(st, q, err)) == 1) {
		struct nhir_incident i;

		fill_incident(q, &i);
		if (cb(&i, data)) {
			r = 0;
			break;
		}
	}
	pq_done(q);
	return pq_step_rc(r, err);
}

static enum nhir_rc incident_insert(struct nhir_store *st,
				    const struct nhir_incident_def *i,
				    int64_t *id, struct nhir_err *err)
{
	return pq_int(st, err, id, NULL, "INSERT INTO incident(title,"
		      " severity, state, lead, exposed_at, declared,"
		      " declared_by, updated) VALUES(?, ?, ?, ?, ?, ?, ?, ?)"
		      " RETURNING id", "ttttziti", i->title, i->severity,
		      nhir_inc_state_name(i->state), i->lead, i->exposed_at,
		      i->declared, i->declared_by, i->updated);
}

static enum nhir_rc incident_set_lead(struct nhir_store *st, int64_t id,
				      const char *lead, int64_t updated,
				      struct nhir_err *err)
{
	return pq_exec(st, err, "UPDATE incident SET lead = ?, updated = ?"
		       " WHERE id = ?", "tii", lead, updated, id);
}

static enum nhir_rc incident_set_state(struct nhir_store *st, int64_t id,
				       enum nhir_inc_state state,
				       int64_t updated, int64_t closed,
				       struct nhir_err *err)
{
	return pq_exec(st, err, "UPDATE incident SET state = ?, updated = ?,"
		       " closed = ? WHERE id = ?", "tizi",
		       nhir_inc_state_name(state), updated, closed, id);
}

/* ---- members, scope, decisions, notes, tasks ---- */

static enum nhir_rc member_add(struct nhir_store *st, int64_t incident,
			       const char *name, int64_t added,
			       struct nhir_err *err)
{
	return pq_exec(st, err, "INSERT INTO incident_member(incident, name,"
		       " added) VALUES(?, ?, ?) ON CONFLICT DO NOTHING", "iti",
		       incident, name, added);
}

static enum nhir_rc scope_put(struct nhir_store *st,
			      const struct nhir_scope_row *s, bool overwrite,
			      struct nhir_err *err)
{
	if ((unsigned)s->status >= NHIR_SCOPE_STATUS_UNKNOWN ||
	    (unsigned)s->origin >= NHIR_SCOPE_FROM_UNKNOWN)
		return nhir_err_set(err, NHIR_EINVAL, "no such scope status "
				    "or origin");
	if (overwrite)
		return pq_exec(st, err, "INSERT INTO scope(incident, node,"
			       " status, origin, updated, actor) VALUES(?, ?,"
			       " ?, ?, ?, ?) ON CONFLICT(incident, node) DO"
			       " UPDATE SET status = excluded.status, updated"
			       " = excluded.updated, actor = excluded.actor",
			       "iittit", s->incident, s->node,
			       nhir_scope_status_name(s->status),
			       nhir_scope_origin_name(s->origin), s->updated,
			       s->actor);
	return pq_exec(st, err, "INSERT INTO scope(incident, node, status,"
		       " origin, updated, actor) VALUES(?, ?, ?, ?, ?, ?)"
		       " ON CONFLICT(incident, node) DO NOTHING", "iittit",
		       s->incident, s->node, nhir_scope_status_name(s->status),
		       nhir_scope_origin_name(s->origin), s->updated, s->actor);
}

static enum nhir_rc scope_read(struct nhir_store *st, int64_t incident,
			       nhir_scope_row_cb cb, void *data,
			       struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc;
	int r;

	rc = pq_query(st, err, &q,
		      "SELECT s.node, n.ext_id, n.name, s.status, s.origin,"
		      " s.actor, n.kind, s.updated FROM scope s JOIN node n"
		      " ON n.id = s.node WHERE s.incident = ?"
		      " ORDER BY CASE s.status WHEN 'confirmed' THEN 0"
		      " WHEN 'proposed' THEN 1 ELSE 2 END, n.kind, n.ext_id",
		      "i", incident);
	if (rc)
		return rc;
	while ((r = pq_step(st, q, err)) == 1) {
		struct nhir_scope_row s;

		s.incident = incident;
		s.node = pq_col_int(q, 0);
		s.ext_id = pq_text(q, 1);
		s.name = pq_text(q, 2);
		s.status = nhir_scope_status_parse(pq_text(q, 3));
		s.origin = nhir_scope_origin_parse(pq_text(q, 4));
		s.actor = pq_text(q, 5);
		s.kind = (int)pq_col_int(q, 6);
		s.updated = pq_col_int(q, 7);
		if (cb(&s, data)) {
			r = 0;
			break;
		}
	}
	pq_done(q);
	return pq_step_rc(r, err);
}

static enum nhir_rc scope_count(struct nhir_store *st, int64_t incident,
				enum nhir_scope_status status, int64_t *n,
				struct nhir_err *err)
{
	*n = 0;
	if ((unsigned)status >= NHIR_SCOPE_STATUS_UNKNOWN)
		return NHIR_OK;
	return pq_int(st, err, n, NULL, "SELECT count(*) FROM scope WHERE"
		      " incident = ? AND status = ?", "it", incident,
		      nhir_scope_status_name(status));
}

static enum nhir_rc decision_insert(struct nhir_store *st, int64_t incident,
				    int64_t at, const char *actor,
				    const char *kind, const char *what,
				    const char *why, int64_t *id,
				    struct nhir_err *err)
{
	return pq_int(st, err, id, NULL, "INSERT INTO decision(incident, at,"
		      " actor, kind, what, why) VALUES(?, ?, ?, ?, ?, ?)"
		      " RETURNING id", "iitttt", incident, at, actor, kind,
		      what, why);
}

static enum nhir_rc decision_count(struct nhir_store *st, int64_t incident,
				   const char *kind, const char *actor,
				   int64_t *n, struct nhir_err *err)
{
	return pq_int(st, err, n, NULL, "SELECT count(*) FROM decision WHERE"
		      " incident = ? AND kind = ? AND actor = ?", "itt",
		      incident, kind, actor);
}

static enum nhir_rc note_insert(struct nhir_store *st, int64_t incident,
				int64_t at, const char *actor,
				const char *body, struct nhir_err *err)
{
	return pq_exec(st, err, "INSERT INTO note(incident, at, actor, body)"
		       " VALUES(?, ?, ?, ?)", "iitt", incident, at, actor,
		       body);
}

static enum nhir_rc task_insert(struct nhir_store *st,
				const struct nhir_task_def *t, int64_t *id,
				struct nhir_err *err)
{
	return pq_int(st, err, id, NULL, "INSERT INTO task(incident, title,"
		      " owner, due, status, created, actor) VALUES(?, ?, ?, ?,"
		      " ?, ?, ?) RETURNING id", "ittztit", t->incident,
		      t->title, t->owner, t->due,
		      nhir_task_status_name(NHIR_TASK_OPEN), t->created,
		      t->actor);
}

static enum nhir_rc task_read(struct nhir_store *st, int64_t incident,
			      int64_t id, char *owner, size_t n,
			      enum nhir_task_status *status, bool *found,
			      struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc;
	int r;

	if (n)
		owner[0] = 0;
	*status = NHIR_TASK_STATUS_UNKNOWN;
	*found = false;
	rc = pq_query(st, err, &q, "SELECT owner, status FROM task"
		      " WHERE id = ? AND incident = ?", "ii", id, incident);
	if (rc)
		return rc;
	r = pq_step(st, q, err);
	if (r == 1) {
		if (n)
			copy(owner, n, pq_text(q, 0));
		*status = nhir_task_status_parse(pq_text(q, 1));
		*found = true;
	}
	pq_done(q);
	return pq_step_rc(r, err);
}

static enum nhir_rc task_done(struct nhir_store *st, int64_t id, int64_t at,
			      const char *by, struct nhir_err *err)
{
	return pq_exec(st, err, "UPDATE task SET status = ?, done = ?,"
		       " done_by = ? WHERE id = ?", "titi",
		       nhir_task_status_name(NHIR_TASK_DONE), at, by, id);
}

/* The statement of each kind of record row, by enum nhir_record_kind. */
static const char *const record_sql[NHIR_RECORD_KIND_NR] = {
	[NHIR_RECORD_DECISION] =
		"SELECT id, at, actor, kind, what, why, 0, 0"
		" FROM decision WHERE incident = ? ORDER BY id",
	[NHIR_RECORD_NOTE] =
		"SELECT id, at, actor, body, NULL, NULL, 0, 0 FROM"
		" note WHERE incident = ? ORDER BY id",
	[NHIR_RECORD_TASK] =
		"SELECT id, created, actor, title, owner, status,"
		" coalesce(due, 0), coalesce(done, 0) FROM task"
		" WHERE incident = ? ORDER BY id",
	[NHIR_RECORD_MEMBER] =
		"SELECT 0, added, name, NULL, NULL, NULL, 0, 0"
		" FROM incident_member WHERE incident = ?"
		" ORDER BY added, name",
	[NHIR_RECORD_EVIDENCE] =
		"SELECT id, collected, collected_by, name, sha256,"
		" source, size, 0 FROM evidence WHERE incident = ?"
		" ORDER BY id",
	[NHIR_RECORD_CUSTODY] =
		"SELECT c.id, c.at, c.actor, c.action, c.detail,"
		" e.name, e.id, 0 FROM custody c JOIN evidence e"
		" ON e.id = c.evidence WHERE e.incident = ?"
		" ORDER BY c.id",
};

static enum nhir_rc records_read(struct nhir_store *st, int64_t incident,
				 enum nhir_record_kind kind,
				 nhir_record_cb cb, void *data,
				 struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc;
	int r;

	if ((unsigned)kind >= NHIR_RECORD_KIND_NR)
		return nhir_err_set(err, NHIR_EINVAL, "no such record kind");
	rc = pq_query(st, err, &q, record_sql[kind], "i", incident);
	if (rc)
		return rc;
	while ((r = pq_step(st, q, err)) == 1) {
		struct nhir_record_item it;

		it.type = NULL;
		it.id = pq_col_int(q, 0);
		it.at = pq_col_int(q, 1);
		it.actor = pq_text(q, 2);
		it.a = pq_text(q, 3);
		it.b = pq_text(q, 4);
		it.c = pq_text(q, 5);
		it.n1 = pq_col_int(q, 6);
		it.n2 = pq_col_int(q, 7);
		if (cb(&it, data)) {
			r = 0;
			break;
		}
	}
	pq_done(q);
	return pq_step_rc(r, err);
}

/* ---- the audit log ---- */

static enum nhir_rc audit_last(struct nhir_store *st, int64_t *seq,
			       char hash[65], bool *found,
			       struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc;
	int r;

	*seq = 0;
	hash[0] = 0;
	*found = false;
	rc = pq_query(st, err, &q, "SELECT seq, hash FROM audit ORDER BY seq"
		      " DESC LIMIT 1", "");
	if (rc)
		return rc;
	r = pq_step(st, q, err);
	if (r == 1) {
		*seq = pq_col_int(q, 0);
		copy(hash, 65, pq_text(q, 1));
		*found = true;
	}
	pq_done(q);
	return pq_step_rc(r, err);
}

static enum nhir_rc audit_insert(struct nhir_store *st,
				 const struct nhir_audit_entry *e,
				 struct nhir_err *err)
{
	return pq_exec(st, err, "INSERT INTO audit(seq, at, actor, action,"
		       " incident, detail, prev, hash) VALUES(?, ?, ?, ?, ?, ?,"
		       " ?, ?)", "iittzttt", e->seq, e->at, e->actor, e->action,
		       e->incident, e->detail, e->prev, e->hash);
}

static enum nhir_rc audit_read_after(struct nhir_store *st, int64_t incident,
				     int64_t after, size_t limit,
				     nhir_audit_cb cb, void *data,
				     struct nhir_err *err)
{
	int64_t lim = (int64_t)limit;	/* 'z': 0 binds NULL, no limit */
	struct pgq *q;
	enum nhir_rc rc;
	int r;

	if (incident)
		rc = pq_query(st, err, &q, "SELECT seq, at, actor, action,"
			      " incident, detail, prev, hash FROM audit WHERE"
			      " incident = ? AND seq > ? ORDER BY seq LIMIT ?",
			      "iiz", incident, after, lim);
	else
		rc = pq_query(st, err, &q, "SELECT seq, at, actor, action,"
			      " incident, detail, prev, hash FROM audit WHERE"
			      " seq > ? ORDER BY seq LIMIT ?", "iz", after, lim);
	if (rc)
		return rc;
	while ((r = pq_step(st, q, err)) == 1) {
		struct nhir_audit_entry e;

		e.seq = pq_col_int(q, 0);
		e.at = pq_col_int(q, 1);
		e.actor = pq_text(q, 2);
		e.action = pq_text(q, 3);
		e.incident = pq_is_null(q, 4) ? 0 : pq_col_int(q, 4);
		e.detail = pq_text(q, 5);
		e.prev = pq_text(q, 6);
		e.hash = pq_text(q, 7);
		if (cb(&e, data)) {
			r = 0;
			break;
		}
	}
	pq_done(q);
	return pq_step_rc(r, err);
}

static enum nhir_rc audit_read(struct nhir_store *st, int64_t incident,
			       nhir_audit_cb cb, void *data,
			       struct nhir_err *err)
{
	return audit_read_after(st, incident, 0, 0, cb, data, err);
}

/* The first column of the one-row query q as a new string (NULL: none). */
static enum nhir_rc text_of(struct nhir_store *st, struct pgq *q,
			    char **out, bool *found, struct nhir_err *err)
{
	int r = pq_step(st, q, err);

	*out = NULL;
	if (found)
		*found = r == 1;
	if (r == 1 && pq_text(q, 0)) {
		*out = nhir_strdup(pq_text(q, 0));
		if (!*out) {
			pq_done(q);
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		}
	}
	pq_done(q);
	return pq_step_rc(r, err);
}

static enum nhir_rc audit_hash_at(struct nhir_store *st, int64_t seq,
				  char **hash, bool *found,
				  struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc;

	*hash = NULL;
	*found = false;
	rc = pq_query(st, err, &q, "SELECT hash FROM audit WHERE seq = ?", "i",
		      seq);
	return rc ? rc : text_of(st, q, hash, found, err);
}

static enum nhir_rc audit_head_put(struct nhir_store *st, const char *head,
				   struct nhir_err *err)
{
	return pq_exec(st, err, "INSERT INTO meta(key, value)"
		       " VALUES('audit_head', ?) ON CONFLICT(key) DO UPDATE"
		       " SET value = excluded.value", "t", head);
}

static enum nhir_rc audit_head_read(struct nhir_store *st, char **head,
				    struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc;

	*head = NULL;
	rc = pq_query(st, err, &q, "SELECT value FROM meta WHERE key ="
		      " 'audit_head'", "");
	return rc ? rc : text_of(st, q, head, NULL, err);
}

/*
 * The chained tables: a row's content by its key, and every row with
 * its key, content and whether it predates the chain (migration 12's
 * audit_rows_before).  The triggers of schema.c's migration 6 record
 * which rows a transaction wrote in pg_temp.audit_rows.
 */
#define CHAIN_ALL(keys, content, table, name) \
	"SELECT x.k1, x.k2, x.c, b.t IS NOT NULL FROM (SELECT " keys ", " \
	content " AS c FROM " table ") x LEFT JOIN audit_rows_before b" \
	" ON b.t = '" name "' AND b.k1 = x.k1 AND b.k2 = x.k2" \
	" ORDER BY x.k1 COLLATE \"C\", x.k2 COLLATE \"C\""
#define KEY_ID "CAST(id AS TEXT) AS k1, '' AS k2"

/*
 * A row's content as SQLite's json_array() writes it: the columns'
 * JSON, comma-separated, no spaces (json_build_array would add them).
 */
#define J(c) "coalesce(to_json(" c ")::text, 'null')"
#define J2(a, b) J(a) " || ',' || " J(b)
#define APPROVAL_ROW "'[' || " J2("id", "step") " || ',' || " \
	J2("actor", "verdict") " || ',' || " J2("why", "at") " || ',' || " \
	J("expires") " || ']'"
#define DECISION_ROW "'[' || " J2("id", "incident") " || ',' || " \
	J2("at", "actor") " || ',' || " J2("kind", "what") " || ',' || " \
	J("why") " || ']'"
#define USER_ROW "'[' || " J2("name", "role") " || ',' || " \
	J2("active", "created") " || ',' || " J("created_by") " || ']'"
#define SCOPE_ROW "'[' || " J2("incident", "node") " || ',' || " \
	J2("status", "origin") " || ',' || " J2("updated", "actor") " || ']'"

static const struct chain_table {
	const char *name, *one, *all;
} chain_tables[] = {
	{ "approval",
	  "SELECT " APPROVAL_ROW " FROM approval WHERE id = CAST(?1 AS BIGINT)",
	  CHAIN_ALL(KEY_ID, APPROVAL_ROW, "approval", "approval") },
	{ "decision",
	  "SELECT " DECISION_ROW " FROM decision WHERE id = CAST(?1 AS BIGINT)",
	  CHAIN_ALL(KEY_ID, DECISION_ROW, "decision", "decision") },
	{ "nhir_user",
	  "SELECT " USER_ROW " FROM nhir_user WHERE name = ?1",
	  CHAIN_ALL("name AS k1, '' AS k2", USER_ROW, "nhir_user",
		    "nhir_user") },
	{ "scope",
	  "SELECT " SCOPE_ROW " FROM scope WHERE incident = CAST(?1 AS BIGINT)"
	  " AND node = CAST(?2 AS BIGINT)",
	  CHAIN_ALL("CAST(incident AS TEXT) AS k1, CAST(node AS TEXT) AS k2",
		    SCOPE_ROW, "scope", "scope") },
};

static const struct chain_table *chain_table(const char *name)
{
	for (size_t i = 0; name && i < NHIR_ARRAY_SIZE(chain_tables); i++)
		if (!strcmp(chain_tables[i].name, name))
			return &chain_tables[i];
	return NULL;
}

static enum nhir_rc row_content(struct nhir_store *st,
				const struct chain_table *t, const char *k1,
				const char *k2, char **content,
				struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc;

	*content = NULL;
	rc = pq_query(st, err, &q, t->one, *k2 ? "tt" : "t", k1, k2);
	return rc ? rc : text_of(st, q, content, NULL, err);
}

static enum nhir_rc chain_touched(struct nhir_store *st,
				  nhir_chain_row_cb cb, void *data,
				  struct nhir_err *err)
{
	struct nhir_err e2 = NHIR_ERR_INIT;
	struct pgq *q;
	int64_t n = 0;
	enum nhir_rc rc;
	int r;

	/* a read-only connection has no temp.audit_rows */
	if (pq_int(st, &e2, &n, NULL, "SELECT count(*) FROM pg_temp.audit_rows",
		   "") || !n)
		return NHIR_OK;
	rc = pq_query(st, err, &q, "SELECT DISTINCT t, k1, k2 FROM"
		      " pg_temp.audit_rows ORDER BY t, k1, k2", "");
	if (rc)
		return rc;
	while ((r = pq_step(st, q, err)) == 1) {
		const struct chain_table *t = chain_table(pq_text(q, 0));
		struct nhir_chain_row row = {
			.k1 = pq_text(q, 1), .k2 = pq_text(q, 2),
		};
		char *content;

		if (!t || !row.k1 || !row.k2)
			continue;
		row.table = t->name;
		rc = row_content(st, t, row.k1, row.k2, &content, err);
		if (rc)
			break;
		row.content = content;
		r = cb(&row, data);
		nhir_free(content);
		if (r) {
			r = 0;
			break;
		}
	}
	pq_done(q);
	if (!rc)
		rc = pq_step_rc(r, err);
	if (!rc)
		rc = pq_exec(st, err, "DELETE FROM pg_temp.audit_rows", "");
	return rc;
}

static enum nhir_rc chain_rows(struct nhir_store *st, const char *table,
			       nhir_chain_row_cb cb, void *data,
			       struct nhir_err *err)
{
	const struct chain_table *t = chain_table(table);
	struct pgq *q;
	enum nhir_rc rc;
	int r;

	if (!t)
		return nhir_err_set(err, NHIR_EINVAL, "'%s' is not on the audit"
				    " chain", table ? table : "");
	rc = pq_query(st, err, &q, t->all, "");
	if (rc)
		return rc;
	while ((r = pq_step(st, q, err)) == 1) {
		struct nhir_chain_row row = {
			.table = t->name, .k1 = pq_text(q, 0),
			.k2 = pq_text(q, 1), .content = pq_text(q, 2),
			.before = pq_col_int(q, 3) != 0,
		};

		if (cb(&row, data)) {
			r = 0;
			break;
		}
	}
	pq_done(q);
	return pq_step_rc(r, err);
}

static enum nhir_rc checkpoint_insert(struct nhir_store *st, int64_t seq,
				      const char *head, int64_t at,
				      const char *public_key, const char *doc,
				      struct nhir_err *err)
{
	return pq_exec(st, err, "INSERT INTO audit_checkpoint(seq, head, at,"
		       " public_key, doc) VALUES(?, ?, ?, ?, ?)", "ititt", seq,
		       head, at, public_key, doc);
}

static enum nhir_rc checkpoints_read(struct nhir_store *st,
				     nhir_checkpoint_doc_cb cb, void *data,
				     struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc;
	int r;

	rc = pq_query(st, err, &q, "SELECT doc FROM audit_checkpoint"
		      " ORDER BY id", "");
	if (rc)
		return rc;
	while ((r = pq_step(st, q, err)) == 1) {
		if (cb(pq_text(q, 0), data)) {
			r = 0;
			break;
		}
	}
	pq_done(q);
	return pq_step_rc(r, err);
}

/* ---- evidence ---- */

static enum nhir_rc evidence_insert(struct nhir_store *st,
				    const struct nhir_evidence_def *e,
				    int64_t *id, struct nhir_err *err)
{
	return pq_int(st, err, id, NULL, "INSERT INTO evidence(incident,"
		      " name, sha256, size, source, collected_by, collected)"
		      " VALUES(?, ?, ?, ?, ?, ?, ?) RETURNING id", "ittitti",
		      e->incident, e->name, e->sha256, e->size, e->source,
		      e->collected_by, e->collected);
}

static enum nhir_rc evidence_locate(struct nhir_store *st, int64_t id,
				    int64_t *incident, char sha[65],
				    bool *found, struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc;
	int r;

	*incident = 0;
	sha[0] = 0;
	*found = false;
	rc = pq_query(st, err, &q, "SELECT incident, sha256 FROM evidence"
		      " WHERE id = ?", "i", id);
	if (rc)
		return rc;
	r = pq_step(st, q, err);
	if (r == 1) {
		*incident = pq_col_int(q, 0);
		copy(sha, 65, pq_text(q, 1));
		*found = true;
	}
	pq_done(q);
	return pq_step_rc(r, err);
}

static enum nhir_rc custody_insert(struct nhir_store *st, int64_t ev,
				   int64_t at, const char *actor,
				   const char *action, const char *detail,
				   struct nhir_err *err)
{
	return pq_exec(st, err, "INSERT INTO custody(evidence, at, actor,"
		       " action, detail) VALUES(?, ?, ?, ?, ?)", "iittt", ev,
		       at, actor, action, detail);
}

const struct nhir_record_store_ops nhir_pg_record_ops = {
	.version = 1,
	.settings_read = settings_read,
	.setting_put = setting_put,
	.setting_delete = setting_delete,
	.user_read = user_read,
	.users_read = users_read,
	.user_count = user_count,
	.user_insert = user_insert,
	.user_update = user_update,
	.incident_read = incident_read,
	.incidents_read = incidents_read,
	.incident_insert = incident_insert,
	.incident_set_lead = incident_set_lead,
	.incident_set_state = incident_set_state,
	.member_add = member_add,
	.scope_put = scope_put,
	.scope_read = scope_read,
	.scope_count = scope_count,
	.decision_insert = decision_insert,
	.decision_count = decision_count,
	.note_insert = note_insert,
	.task_insert = task_insert,
	.task_read = task_read,
	.task_done = task_done,
	.records_read = records_read,
	.audit_last = audit_last,
	.audit_insert = audit_insert,
	.audit_read = audit_read,
	.audit_read_after = audit_read_after,
	.audit_hash_at = audit_hash_at,
	.audit_head_put = audit_head_put,
	.audit_head_read = audit_head_read,
	.chain_touched = chain_touched,
	.chain_rows = chain_rows,
	.checkpoint_insert = checkpoint_insert,
	.checkpoints_read = checkpoints_read,
	.log_id_read = pg_log_id_read,
	.witness_insert = pg_witness_insert,
	.witness_read = pg_witness_read,
	.evidence_insert = evidence_insert,
	.evidence_locate = evidence_locate,
	.custody_insert = custody_insert,
};
