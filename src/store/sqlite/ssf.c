/*
 * SQLite storage for Shared Signals (src/record/ssf.c): the streams,
 * the SETs made for them with their deliveries, the jtis received.
 */
#include "compat.h"
#include "nhir/model.h"
#include "store/ssf.h"
#include "store/sqlite/sqlite-internal.h"

static enum nhir_rc stream_insert(struct nhir_store *st,
				  const struct nhir_ssf_stream_row *r,
				  int64_t *id, struct nhir_err *err)
{
	return sq_int(st, err, id, NULL, "INSERT INTO ssf_stream(aud, method,"
		      " endpoint, events, description, status, reason, cursor,"
		      " created, created_by, updated)"
		      " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
		      "tttitttiiti", r->aud, r->method, r->endpoint,
		      (int64_t)r->events, r->description, r->status, r->reason,
		      r->cursor, r->created, r->created_by, r->updated);
}

static enum nhir_rc stream_update(struct nhir_store *st,
				  const struct nhir_ssf_stream_row *r,
				  bool *found, struct nhir_err *err)
{
	int64_t id = 0;
	enum nhir_rc rc;

	rc = sq_int(st, err, &id, found, "UPDATE ssf_stream SET aud = ?,"
		    " method = ?, endpoint = ?, events = ?, description = ?,"
		    " status = ?, reason = ?, updated = ? WHERE id = ?"
		    " RETURNING id", "tttitttii", r->aud, r->method,
		    r->endpoint, (int64_t)r->events, r->description,
		    r->status, r->reason, r->updated, r->id);
	return rc;
}

static enum nhir_rc stream_delete(struct nhir_store *st, int64_t id,
				  bool *found, struct nhir_err *err)
{
	int64_t got = 0;
	enum nhir_rc rc;

	rc = sq_exec(st, err, "DELETE FROM ssf_set WHERE stream = ?", "i", id);
	if (!rc)
		rc = sq_exec(st, err, "DELETE FROM ssf_subject WHERE stream = ?",
			     "i", id);
	if (!rc)
		rc = sq_int(st, err, &got, found, "DELETE FROM ssf_stream"
			    " WHERE id = ? RETURNING id", "i", id);
	return rc;
}

static enum nhir_rc streams_read(struct nhir_store *st, int64_t id,
				 nhir_ssf_stream_cb cb, void *data,
				 struct nhir_err *err)
{
	sqlite3_stmt *q;
	enum nhir_rc rc;
	int r;

	rc = sq_query(st, err, &q, "SELECT id, aud, method, endpoint, events,"
		      " description, status, reason, cursor, created,"
		      " created_by, updated FROM ssf_stream"
		      " WHERE ?1 = 0 OR id = ?1 ORDER BY id", "i", id);
	if (rc)
		return rc;
	while ((r = sq_step(st, q, err)) == 1) {
		struct nhir_ssf_stream_row s;

		memset(&s, 0, sizeof(s));
		s.id = sq_col_int(q, 0);
		s.aud = sq_text(q, 1);
		s.method = sq_text(q, 2);
		s.endpoint = sq_text(q, 3);
		s.events = (unsigned)sq_col_int(q, 4);
		s.description = sq_text(q, 5);
		s.status = sq_text(q, 6);
		s.reason = sq_text(q, 7);
		s.cursor = sq_col_int(q, 8);
		s.created = sq_col_int(q, 9);
		s.created_by = sq_text(q, 10);
		s.updated = sq_col_int(q, 11);
		if (cb(&s, data)) {
			r = 0;
			break;
		}
	}
	sq_done(st, q);
	return sq_step_rc(r, err);
}

static enum nhir_rc stream_cursor(struct nhir_store *st, int64_t id,
				  int64_t seq, struct nhir_err *err)
{
	return sq_exec(st, err, "UPDATE ssf_stream SET cursor = ? WHERE id = ?",
		       "ii", seq, id);
}

static enum nhir_rc set_insert(struct nhir_store *st,
			       const struct nhir_ssf_set *s,
			       struct nhir_err *err)
{
	return sq_exec(st, err, "INSERT INTO ssf_set(stream, seq, jti, event,"
		       " jws, created, state, next_ms)"
		       " VALUES(?, ?, ?, ?, ?, ?, 'pending', ?)", "iitttii",
		       s->stream, s->seq, s->jti, s->event, s->jws, s->created,
		       s->next_ms);
}

static enum nhir_rc each_set(struct nhir_store *st, sqlite3_stmt *q,
			     nhir_ssf_set_cb cb, void *data,
			     struct nhir_err *err)
{
	int r;

	while ((r = sq_step(st, q, err)) == 1) {
		struct nhir_ssf_set s;

		memset(&s, 0, sizeof(s));
		s.id = sq_col_int(q, 0);
		s.stream = sq_col_int(q, 1);
		s.seq = sq_col_int(q, 2);
		s.jti = sq_text(q, 3);
		s.event = sq_text(q, 4);
		s.jws = sq_text(q, 5);
		s.created = sq_col_int(q, 6);
		s.attempts = (int)sq_col_int(q, 7);
		s.next_ms = sq_col_int(q, 8);
		s.endpoint = sq_text(q, 9);
		if (cb(&s, data)) {
			r = 0;
			break;
		}
	}
	sq_done(st, q);
	return sq_step_rc(r, err);
}

#define SET_COLS "s.id, s.stream, s.seq, s.jti, s.event, s.jws, s.created," \
	" s.attempts, s.next_ms, t.endpoint"

static enum nhir_rc sets_due(struct nhir_store *st, int64_t now_ms,
			     size_t limit, nhir_ssf_set_cb cb, void *data,
			     struct nhir_err *err)
{
	sqlite3_stmt *q;
	enum nhir_rc rc;

	rc = sq_query(st, err, &q, "SELECT " SET_COLS " FROM ssf_set s"
		      " JOIN ssf_stream t ON t.id = s.stream"
		      " WHERE s.state = 'pending' AND s.next_ms <= ?"
		      " AND t.status = 'enabled' AND t.method = '"
		      NHIR_SSF_PUSH "' ORDER BY s.next_ms, s.id LIMIT ?", "ii",
		      now_ms, (int64_t)limit);
	return rc ? rc : each_set(st, q, cb, data, err);
}

static enum nhir_rc set_update(struct nhir_store *st, int64_t id,
			       int attempts, int64_t next_ms,
			       const char *state, int64_t at, long status,
			       const char *error, struct nhir_err *err)
{
	return sq_exec(st, err, "UPDATE ssf_set SET attempts = ?, next_ms = ?,"
		       " state = ?, last_at = ?, last_status = ?,"
		       " last_error = ? WHERE id = ? AND state = 'pending'",
		       "iitizti",
		       (int64_t)attempts, next_ms, state, at, (int64_t)status,
		       error, id);
}

static enum nhir_rc sets_pending(struct nhir_store *st, int64_t stream,
				 size_t limit, nhir_ssf_set_cb cb, void *data,
				 struct nhir_err *err)
{
	sqlite3_stmt *q;
	enum nhir_rc rc;

	rc = sq_query(st, err, &q, "SELECT " SET_COLS " FROM ssf_set s"
		      " JOIN ssf_stream t ON t.id = s.stream"
		      " WHERE s.stream = ? AND s.state = 'pending'"
		      " ORDER BY s.id LIMIT ?", "ii", stream, (int64_t)limit);
	return rc ? rc : each_set(st, q, cb, data, err);
}

static enum nhir_rc set_ack(struct nhir_store *st, int64_t stream,
			    const char *jti, const char *state, int64_t at,
			    const char *error, struct nhir_err *err)
{
	return sq_exec(st, err, "UPDATE ssf_set SET state = ?, last_at = ?,"
		       " last_error = ? WHERE stream = ? AND jti = ?"
		       " AND state = 'pending'", "tit" "it", state, at, error,
		       stream, jti);
}

static enum nhir_rc received_put(struct nhir_store *st, const char *issuer,
				 const char *jti, int64_t finding, int64_t at,
				 bool *fresh, struct nhir_err *err)
{
	int64_t one = 0;

	return sq_int(st, err, &one, fresh, "INSERT INTO ssf_received(issuer,"
		      " jti, finding, received) VALUES(?, ?, ?, ?)"
		      " ON CONFLICT DO NOTHING RETURNING 1", "ttzi", issuer,
		      jti, finding, at);
}

static enum nhir_rc subject_put(struct nhir_store *st, int64_t stream,
				const char *key, bool included, int verified,
				int64_t at, const char *by,
				struct nhir_err *err)
{
	/* verified: NULL when not said (-1), else 0 or 1 */
	return sq_exec(st, err, "INSERT INTO ssf_subject(stream, subject,"
		       " included, verified, updated, updated_by)"
		       " VALUES(?1, ?2, ?3, CASE WHEN ?4 < 0 THEN NULL ELSE ?4"
		       " END, ?5, ?6) ON CONFLICT(stream, subject) DO UPDATE"
		       " SET included = ?3, verified = CASE WHEN ?4 < 0 THEN"
		       " verified ELSE ?4 END, updated = ?5, updated_by = ?6",
		       "itiiit", stream, key, (int64_t)included,
		       (int64_t)verified, at, by);
}

static enum nhir_rc subject_get(struct nhir_store *st, int64_t stream,
				const char *key, int *state,
				struct nhir_err *err)
{
	int64_t inc = 0;
	bool found = false;
	enum nhir_rc rc;

	rc = sq_int(st, err, &inc, &found, "SELECT included FROM ssf_subject"
		    " WHERE stream = ? AND subject = ?", "it", stream, key);
	*state = rc || !found ? 0 : inc ? 1 : 2;
	return rc;
}

const struct nhir_ssf_store_ops nhir_sqlite_ssf_ops = {
	.version = 1,
	.stream_insert = stream_insert,
	.stream_update = stream_update,
	.stream_delete = stream_delete,
	.streams_read = streams_read,
	.stream_cursor = stream_cursor,
	.set_insert = set_insert,
	.sets_due = sets_due,
	.set_update = set_update,
	.sets_pending = sets_pending,
	.set_ack = set_ack,
	.received_put = received_put,
	.subject_put = subject_put,
	.subject_get = subject_get,
};
