/* SQLite storage for users, authority, incidents, the audit log, evidence and settings (src/record/). */
#include "compat.h"
#include "store/record.h"
#include "store/sqlite/sqlite-internal.h"

/* ---- settings ---- */

static enum nhir_rc settings_read(struct nhir_store *st, const char *key,
				  nhir_setting_cb cb, void *data,
				  struct nhir_err *err)
{
	sqlite3_stmt *q;
	enum nhir_rc rc;
	int r;

	rc = sq_query(st, err, &q, "SELECT key, value, set_by, set_at FROM"
		      " setting WHERE ?1 IS NULL OR key = ?1 ORDER BY key",
		      "t", key);
	if (rc)
		return rc;
	while ((r = sq_step(st, q, err)) == 1) {
		struct nhir_setting s;

		s.key = sq_text(q, 0);
		s.value = sq_text(q, 1);
		s.set_by = sq_text(q, 2);
		s.set_at = sq_col_int(q, 3);
		if (cb(&s, data)) {
			r = 0;
			break;
		}
	}
	sqlite3_finalize(q);
	return sq_step_rc(r, err);
}

static enum nhir_rc setting_put(struct nhir_store *st,
				const struct nhir_setting *s,
				struct nhir_err *err)
{
	return sq_exec(st, err, "INSERT INTO setting(key, value, set_by,"
		       " set_at) VALUES(?, ?, ?, ?) ON CONFLICT(key) DO"
		       " UPDATE SET value = excluded.value, set_by ="
		       " excluded.set_by, set_at = excluded.set_at",
		       "ttti", s->key, s->value, s->set_by, s->set_at);
}

static enum nhir_rc setting_delete(struct nhir_store *st, const char *key,
				   struct nhir_err *err)
{
	return sq_exec(st, err, "DELETE FROM setting WHERE key = ?", "t", key);
}

/* ---- users ---- */

static const char *const role_text[NHIR_ROLE_NR] = {
	[NHIR_ROLE_NONE] = "none",
	[NHIR_ROLE_OBSERVER] = "observer",
	[NHIR_ROLE_RESPONDER] = "responder",
	[NHIR_ROLE_APPROVER] = "approver",
	[NHIR_ROLE_LEAD] = "lead",
	[NHIR_ROLE_ADMIN] = "admin",
};

static const char *role_store(enum nhir_role r)
{
	return (unsigned)r < NHIR_ROLE_NR ? role_text[r] : "none";
}

static enum nhir_role role_load(const char *s)
{
	for (int r = NHIR_ROLE_OBSERVER; s && r < NHIR_ROLE_NR; r++)
		if (!strcmp(s, role_text[r]))
			return (enum nhir_role)r;
	return NHIR_ROLE_NONE;
}

static void copy(char *dst, size_t n, const char *s)
{
	snprintf(dst, n, "%s", s ? s : "");
}

#define USER_COLS "name, role, active, created, created_by"

static void fill_user(sqlite3_stmt *q, struct nhir_user *u)
{
	memset(u, 0, sizeof(*u));
	copy(u->name, sizeof(u->name), sq_text(q, 0));
	u->role = role_load(sq_text(q, 1));
	u->active = sq_col_int(q, 2) != 0;
	u->created = sq_col_int(q, 3);
	copy(u->created_by, sizeof(u->created_by), sq_text(q, 4));
}

static enum nhir_rc user_read(struct nhir_store *st, const char *name,
			      struct nhir_user *out, bool *found,
			      struct nhir_err *err)
{
	sqlite3_stmt *q;
	enum nhir_rc rc;
	int r;

	memset(out, 0, sizeof(*out));
	*found = false;
	rc = sq_query(st, err, &q, "SELECT " USER_COLS " FROM nhir_user"
		      " WHERE name = ?", "t", name);
	if (rc)
		return rc;
	r = sq_step(st, q, err);
	if (r == 1) {
		fill_user(q, out);
		*found = true;
	}
	sqlite3_finalize(q);
	return sq_step_rc(r, err);
}

static enum nhir_rc users_read(struct nhir_store *st, nhir_user_cb cb,
			       void *data, struct nhir_err *err)
{
	sqlite3_stmt *q;
	enum nhir_rc rc;
	int r;

	rc = sq_query(st, err, &q, "SELECT " USER_COLS " FROM nhir_user"
		      " ORDER BY name", "");
	if (rc)
		return rc;
	while ((r = sq_step(st, q, err)) == 1) {
		struct nhir_user u;

		fill_user(q, &u);
		if (cb(&u, data)) {
			r = 0;
			break;
		}
	}
	sqlite3_finalize(q);
	return sq_step_rc(r, err);
}

static enum nhir_rc user_count(struct nhir_store *st, int64_t *n,
			       struct nhir_err *err)
{
	return sq_int(st, err, n, NULL, "SELECT count(*) FROM nhir_user", "");
}

static enum nhir_rc user_insert(struct nhir_store *st,
				const struct nhir_user *u,
				struct nhir_err *err)
{
	return sq_exec(st, err, "INSERT INTO nhir_user(" USER_COLS ")"
		       " VALUES(?, ?, ?, ?, ?)", "ttiit", u->name,
		       role_store(u->role), (int64_t)u->active, u->created,
		       u->created_by);
}

static enum nhir_rc user_update(struct nhir_store *st, const char *name,
				enum nhir_role role, bool active,
				struct nhir_err *err)
{
	return sq_exec(st, err, "UPDATE nhir_user SET role = ?, active = ?"
		       " WHERE name = ?", "tit", role_store(role),
		       (int64_t)active, name);
}

/* ---- incidents ---- */

static const char *const inc_state_text[NHIR_INC_STATE_NR] = {
	"declared", "investigating", "containing", "recovering", "closed",
};

static enum nhir_inc_state inc_state_load(const char *s)
{
	for (int i = 0; s && i < NHIR_INC_STATE_NR; i++)
		if (!strcmp(s, inc_state_text[i]))
			return (enum nhir_inc_state)i;
	return (enum nhir_inc_state)-1;
}

#define INC_COLS "id, title, severity, state, lead, exposed_at, declared," \
		 " declared_by, updated, closed"

static void fill_incident(sqlite3_stmt *q, struct nhir_incident *i)
{
	memset(i, 0, sizeof(*i));
	i->id = sq_col_int(q, 0);
	copy(i->title, sizeof(i->title), sq_text(q, 1));
	copy(i->severity, sizeof(i->severity), sq_text(q, 2));
	i->state = inc_state_load(sq_text(q, 3));
	copy(i->lead, sizeof(i->lead), sq_text(q, 4));
	i->exposed_at = sq_is_null(q, 5) ? NHIR_TIME_UNSET : sq_col_int(q, 5);
	i->declared = sq_col_int(q, 6);
	copy(i->declared_by, sizeof(i->declared_by), sq_text(q, 7));
	i->updated = sq_col_int(q, 8);
	i->closed = sq_is_null(q, 9) ? NHIR_TIME_UNSET : sq_col_int(q, 9);
}

static enum nhir_rc incident_read(struct nhir_store *st, int64_t id,
				  struct nhir_incident *out, bool *found,
				  struct nhir_err *err)
{
	sqlite3_stmt *q;
	enum nhir_rc rc;
	int r;

	memset(out, 0, sizeof(*out));
	*found = false;
	rc = sq_query(st, err, &q, "SELECT " INC_COLS " FROM incident"
		      " WHERE id = ?", "i", id);
	if (rc)
		return rc;
	r = sq_step(st, q, err);
	if (r == 1) {
		fill_incident(q, out);
		*found = true;
	}
	sqlite3_finalize(q);
	return sq_step_rc(r, err);
}

/* ---- evidence ---- */

static enum nhir_rc evidence_insert(struct nhir_store *st,
				    const struct nhir_evidence_def *e,
				    int64_t *id, struct nhir_err *err)
{
	return sq_int(st, err, id, NULL, "INSERT INTO evidence(incident,"
		      " name, sha256, size, source, collected_by, collected)"
		      " VALUES(?, ?, ?, ?, ?, ?, ?) RETURNING id", "ittitti",
		      e->incident, e->name, e->sha256, e->size, e->source,
		      e->collected_by, e->collected);
}

static enum nhir_rc evidence_locate(struct nhir_store *st, int64_t id,
				    int64_t *incident, char sha[65],
				    bool *found, struct nhir_err *err)
{
	sqlite3_stmt *q;
	enum nhir_rc rc;
	int r;

	*incident = 0;
	sha[0] = 0;
	*found = false;
	rc = sq_query(st, err, &q, "SELECT incident, sha256 FROM evidence"
		      " WHERE id = ?", "i", id);
	if (rc)
		return rc;
	r = sq_step(st, q, err);
	if (r == 1) {
		*incident = sq_col_int(q, 0);
		copy(sha, 65, sq_text(q, 1));
		*found = true;
	}
	sqlite3_finalize(q);
	return sq_step_rc(r, err);
}

static enum nhir_rc custody_insert(struct nhir_store *st, int64_t ev,
				   int64_t at, const char *actor,
				   const char *action, const char *detail,
				   struct nhir_err *err)
{
	return sq_exec(st, err, "INSERT INTO custody(evidence, at, actor,"
		       " action, detail) VALUES(?, ?, ?, ?, ?)", "iittt", ev,
		       at, actor, action, detail);
}

const struct nhir_record_store_ops nhir_sqlite_record_ops = {
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
	.evidence_insert = evidence_insert,
	.evidence_locate = evidence_locate,
	.custody_insert = custody_insert,
};
