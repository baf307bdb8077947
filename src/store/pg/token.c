/*
 * PostgreSQL storage for API tokens (src/record/token.c), local passwords
 * and sessions (src/record/session.c).
 */
#include "compat.h"
#include "nhir/model.h"
#include "store/token.h"
#include "store/pg/pg-internal.h"

static enum nhir_rc key_read(struct nhir_store *st,
			     unsigned char key[NHIR_TOKEN_KEY_LEN],
			     bool *found, struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc;
	int r;

	*found = false;
	rc = pq_query(st, err, &q, "SELECT key FROM token_key WHERE id = 1",
		      "");
	if (rc)
		return rc;
	r = pq_step(st, q, err);
	if (r == 1 && pq_col_bytes(q, 0, key, NHIR_TOKEN_KEY_LEN) ==
		      NHIR_TOKEN_KEY_LEN) {
		*found = true;
	} else if (r == 1) {
		r = -1;
		nhir_err_set(err, NHIR_ESTORE, "the token key is damaged");
	}
	pq_done(q);
	return pq_step_rc(r, err);
}

static enum nhir_rc key_insert(struct nhir_store *st,
			       const unsigned char key[NHIR_TOKEN_KEY_LEN],
			       struct nhir_err *err)
{
	return pq_exec(st, err, "INSERT INTO token_key(id, key) VALUES(1, ?1)",
		       "b", key, (size_t)NHIR_TOKEN_KEY_LEN);
}

static void copy(char *dst, size_t n, const char *s)
{
	snprintf(dst, n, "%s", s ? s : "");
}

static int64_t opt_time(struct pgq *q, int col)
{
	return pq_is_null(q, col) ? NHIR_TIME_UNSET : pq_col_int(q, col);
}

#define TOKEN_COLS "id, \"user\", scope, created, created_by, expires," \
	" last_used, revoked, revoked_by"

static void fill(struct pgq *q, struct nhir_token *t)
{
	memset(t, 0, sizeof(*t));
	t->id = pq_col_int(q, 0);
	copy(t->user, sizeof(t->user), pq_text(q, 1));
	t->scope = nhir_token_scope_parse(pq_text(q, 2));
	t->created = pq_col_int(q, 3);
	copy(t->created_by, sizeof(t->created_by), pq_text(q, 4));
	t->expires = opt_time(q, 5);
	t->last_used = opt_time(q, 6);
	t->revoked = opt_time(q, 7);
	copy(t->revoked_by, sizeof(t->revoked_by), pq_text(q, 8));
}

static enum nhir_rc token_insert(struct nhir_store *st,
				 const struct nhir_token *t, const char *hash,
				 int64_t *id, struct nhir_err *err)
{
	return pq_int(st, err, id, NULL, "INSERT INTO api_token(hash, \"user\","
		      " scope, created, created_by, expires) VALUES(?, ?, ?, ?,"
		      " ?, ?) RETURNING id", "tttitz", hash, t->user,
		      nhir_token_scope_name(t->scope), t->created,
		      t->created_by, t->expires);
}

static enum nhir_rc read_one(struct nhir_store *st, const char *sql,
			     const char *types, const char *s, int64_t i,
			     struct nhir_token *out, bool *found,
			     struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc;
	int r;

	memset(out, 0, sizeof(*out));
	*found = false;
	rc = types[0] == 't' ? pq_query(st, err, &q, sql, types, s)
			     : pq_query(st, err, &q, sql, types, i);
	if (rc)
		return rc;
	r = pq_step(st, q, err);
	if (r == 1) {
		fill(q, out);
		*found = true;
	}
	pq_done(q);
	return pq_step_rc(r, err);
}

static enum nhir_rc token_by_hash(struct nhir_store *st, const char *hash,
				  struct nhir_token *out, bool *found,
				  struct nhir_err *err)
{
	return read_one(st, "SELECT " TOKEN_COLS " FROM api_token"
			" WHERE hash = ?", "t", hash, 0, out, found, err);
}

static enum nhir_rc token_read(struct nhir_store *st, int64_t id,
			       struct nhir_token *out, bool *found,
			       struct nhir_err *err)
{
	return read_one(st, "SELECT " TOKEN_COLS " FROM api_token"
			" WHERE id = ?", "i", NULL, id, out, found, err);
}

static enum nhir_rc tokens_read(struct nhir_store *st, const char *user,
				nhir_token_cb cb, void *data,
				struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc;
	int r;

	rc = pq_query(st, err, &q, "SELECT " TOKEN_COLS " FROM api_token"
		      " WHERE ?1 IS NULL OR \"user\" = ?1 ORDER BY id", "t", user);
	if (rc)
		return rc;
	while ((r = pq_step(st, q, err)) == 1) {
		struct nhir_token t;

		fill(q, &t);
		if (cb(&t, data)) {
			r = 0;
			break;
		}
	}
	pq_done(q);
	return pq_step_rc(r, err);
}

static enum nhir_rc token_revoke(struct nhir_store *st, int64_t id,
				 int64_t at, const char *by,
				 struct nhir_err *err)
{
	return pq_exec(st, err, "UPDATE api_token SET revoked = ?,"
		       " revoked_by = ? WHERE id = ? AND revoked IS NULL",
		       "iti", at, by, id);
}

static enum nhir_rc token_used(struct nhir_store *st, int64_t id, int64_t at,
			       int64_t grain, struct nhir_err *err)
{
	return pq_exec(st, err, "UPDATE api_token SET last_used = ?1"
		       " WHERE id = ?2 AND (last_used IS NULL"
		       " OR ?1 - last_used >= ?3 OR ?1 < last_used)",
		       "iii", at, id, grain);
}

static enum nhir_rc password_read(struct nhir_store *st, const char *user,
				  char hash[NHIR_PWHASH_MAX], bool *found,
				  struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc;
	int r;

	hash[0] = '\0';
	*found = false;
	rc = pq_query(st, err, &q, "SELECT hash FROM user_password"
		      " WHERE \"user\" = ?", "t", user);
	if (rc)
		return rc;
	r = pq_step(st, q, err);
	if (r == 1 && strlen(pq_text(q, 0)) < NHIR_PWHASH_MAX) {
		copy(hash, NHIR_PWHASH_MAX, pq_text(q, 0));
		*found = true;
	} else if (r == 1) {
		r = -1;
		nhir_err_set(err, NHIR_ESTORE, "the password of '%s' is "
			     "damaged", user);
	}
	pq_done(q);
	return pq_step_rc(r, err);
}

static enum nhir_rc password_write(struct nhir_store *st, const char *user,
				   const char *hash, int64_t at,
				   const char *by, struct nhir_err *err)
{
	if (!hash)
		return pq_exec(st, err, "DELETE FROM user_password"
			       " WHERE \"user\" = ?", "t", user);
	return pq_exec(st, err, "INSERT INTO user_password(\"user\", hash, set_at,"
		       " set_by) VALUES(?1, ?2, ?3, ?4) ON CONFLICT(\"user\") DO"
		       " UPDATE SET hash = ?2, set_at = ?3, set_by = ?4",
		       "ttit", user, hash, at, by);
}

static enum nhir_rc session_insert(struct nhir_store *st,
				   const struct nhir_session *s,
				   const char *hash, int64_t *id,
				   struct nhir_err *err)
{
	return pq_int(st, err, id, NULL, "INSERT INTO session(hash, \"user\","
		      " method, address, created, expires) VALUES(?, ?, ?, ?,"
		      " ?, ?) RETURNING id", "ttttii", hash, s->user,
		      s->method, s->address, s->created, s->expires);
}

static enum nhir_rc session_by_hash(struct nhir_store *st, const char *hash,
				    struct nhir_session *out, bool *found,
				    struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc;
	int r;

	memset(out, 0, sizeof(*out));
	*found = false;
	rc = pq_query(st, err, &q, "SELECT id, \"user\", method, address,"
		      " created, expires, ended FROM session WHERE hash = ?",
		      "t", hash);
	if (rc)
		return rc;
	r = pq_step(st, q, err);
	if (r == 1) {
		out->id = pq_col_int(q, 0);
		copy(out->user, sizeof(out->user), pq_text(q, 1));
		copy(out->method, sizeof(out->method), pq_text(q, 2));
		copy(out->address, sizeof(out->address), pq_text(q, 3));
		out->created = pq_col_int(q, 4);
		out->expires = pq_col_int(q, 5);
		out->ended = opt_time(q, 6);
		*found = true;
	}
	pq_done(q);
	return pq_step_rc(r, err);
}

static enum nhir_rc session_end(struct nhir_store *st, int64_t id, int64_t at,
				struct nhir_err *err)
{
	return pq_exec(st, err, "UPDATE session SET ended = ? WHERE id = ?"
		       " AND ended IS NULL", "ii", at, id);
}

static enum nhir_rc sessions_purge(struct nhir_store *st, int64_t before,
				   struct nhir_err *err)
{
	return pq_exec(st, err, "DELETE FROM session WHERE expires < ?1"
		       " OR ended < ?1", "i", before);
}

/* One row of session (id, user, method, address, created, expires,
 * ended) into out. */
static void session_row(struct pgq *q, struct nhir_session *out)
{
	memset(out, 0, sizeof(*out));
	out->id = pq_col_int(q, 0);
	copy(out->user, sizeof(out->user), pq_text(q, 1));
	copy(out->method, sizeof(out->method), pq_text(q, 2));
	copy(out->address, sizeof(out->address), pq_text(q, 3));
	out->created = pq_col_int(q, 4);
	out->expires = pq_col_int(q, 5);
	out->ended = opt_time(q, 6);
}

static enum nhir_rc sessions_read(struct nhir_store *st, const char *user,
				  int64_t now, nhir_session_cb cb, void *data,
				  struct nhir_err *err)
{
	struct nhir_session s;
	struct pgq *q;
	enum nhir_rc rc;
	int r;

	rc = pq_query(st, err, &q, "SELECT id, \"user\", method, address,"
		      " created, expires, ended FROM session WHERE ended IS"
		      " NULL AND expires > ?1 AND (?2 IS NULL OR \"user\" = ?2)"
		      " ORDER BY id", "it", now, user);
	if (rc)
		return rc;
	while ((r = pq_step(st, q, err)) == 1) {
		session_row(q, &s);
		if (cb(&s, data)) {
			r = 0;
			break;
		}
	}
	pq_done(q);
	return pq_step_rc(r, err);
}

static enum nhir_rc session_read(struct nhir_store *st, int64_t id,
				 struct nhir_session *out, bool *found,
				 struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc;
	int r;

	memset(out, 0, sizeof(*out));
	*found = false;
	rc = pq_query(st, err, &q, "SELECT id, \"user\", method, address,"
		      " created, expires, ended FROM session WHERE id = ?",
		      "i", id);
	if (rc)
		return rc;
	r = pq_step(st, q, err);
	if (r == 1) {
		session_row(q, out);
		*found = true;
	}
	pq_done(q);
	return pq_step_rc(r, err);
}

const struct nhir_token_store_ops nhir_pg_token_ops = {
	.version = 1,
	.key_read = key_read,
	.key_insert = key_insert,
	.token_insert = token_insert,
	.token_by_hash = token_by_hash,
	.token_read = token_read,
	.tokens_read = tokens_read,
	.token_revoke = token_revoke,
	.token_used = token_used,
	.password_read = password_read,
	.password_write = password_write,
	.session_insert = session_insert,
	.session_by_hash = session_by_hash,
	.session_end = session_end,
	.sessions_purge = sessions_purge,
	.sessions_read = sessions_read,
	.session_read = session_read,
};
