/*
 * SQLite storage for webhooks (src/record/webhook.c): each hook's
 * cursor over the audit log, and the deliveries with their attempts.
 */
#include "compat.h"
#include "nhir/model.h"
#include "store/webhook.h"
#include "store/sqlite/sqlite-internal.h"

static enum nhir_rc cursor_read(struct nhir_store *st, const char *hook,
				int64_t *seq, bool *found,
				struct nhir_err *err)
{
	return sq_int(st, err, seq, found, "SELECT seq FROM webhook_cursor"
		      " WHERE hook = ?", "t", hook);
}

static enum nhir_rc cursor_write(struct nhir_store *st, const char *hook,
				 int64_t seq, int64_t at,
				 struct nhir_err *err)
{
	return sq_exec(st, err, "INSERT INTO webhook_cursor(hook, seq, set_at)"
		       " VALUES(?1, ?2, ?3) ON CONFLICT(hook) DO UPDATE"
		       " SET seq = ?2, set_at = ?3", "tii", hook, seq, at);
}

static enum nhir_rc delivery_insert(struct nhir_store *st,
				    const struct nhir_delivery *d,
				    int64_t *id, struct nhir_err *err)
{
	return sq_int(st, err, id, NULL, "INSERT INTO webhook_delivery(hook,"
		      " event, seq, incident, created, next_ms, state, body)"
		      " VALUES(?, ?, ?, ?, ?, ?, 'pending', ?)"
		      " ON CONFLICT(hook, seq) DO NOTHING RETURNING id",
		      "ttiziit", d->hook, d->event, d->seq, d->incident,
		      d->created, d->next_ms, d->body);
}

#define DELIVERY_COLS "id, hook, event, seq, incident, created, attempts," \
	" next_ms, state, last_at, last_status, last_error, body"

static enum nhir_delivery_state state_of(const char *s)
{
	for (int i = 0; i < NHIR_DELIVERY_STATE_NR; i++)
		if (s && !strcmp(s, nhir_delivery_state_name(
					    (enum nhir_delivery_state)i)))
			return (enum nhir_delivery_state)i;
	return NHIR_DELIVERY_FAILED;
}

static void fill(sqlite3_stmt *q, struct nhir_delivery *d)
{
	memset(d, 0, sizeof(*d));
	d->id = sq_col_int(q, 0);
	d->hook = sq_text(q, 1);
	d->event = sq_text(q, 2);
	d->seq = sq_col_int(q, 3);
	d->incident = sq_is_null(q, 4) ? 0 : sq_col_int(q, 4);
	d->created = sq_col_int(q, 5);
	d->attempts = (int)sq_col_int(q, 6);
	d->next_ms = sq_col_int(q, 7);
	d->state = state_of(sq_text(q, 8));
	d->last_at = sq_is_null(q, 9) ? NHIR_TIME_UNSET : sq_col_int(q, 9);
	d->last_status = sq_is_null(q, 10) ? 0 : (long)sq_col_int(q, 10);
	d->last_error = sq_text(q, 11);
	d->body = sq_text(q, 12);
}

static enum nhir_rc each(struct nhir_store *st, sqlite3_stmt *q,
			 nhir_delivery_cb cb, void *data,
			 struct nhir_err *err)
{
	int r;

	while ((r = sq_step(st, q, err)) == 1) {
		struct nhir_delivery d;

		fill(q, &d);
		if (cb(&d, data)) {
			r = 0;
			break;
		}
	}
	sq_done(st, q);
	return sq_step_rc(r, err);
}

static enum nhir_rc deliveries_due(struct nhir_store *st, int64_t now_ms,
				   size_t limit, nhir_delivery_cb cb,
				   void *data, struct nhir_err *err)
{
	sqlite3_stmt *q;
	enum nhir_rc rc;

	rc = sq_query(st, err, &q, "SELECT " DELIVERY_COLS " FROM"
		      " webhook_delivery WHERE state = 'pending' AND"
		      " next_ms <= ? ORDER BY next_ms, id LIMIT ?", "ii",
		      now_ms, (int64_t)limit);
	return rc ? rc : each(st, q, cb, data, err);
}

static enum nhir_rc delivery_update(struct nhir_store *st, int64_t id,
				    int attempts, int64_t next_ms,
				    enum nhir_delivery_state state, int64_t at,
				    long status, const char *error,
				    struct nhir_err *err)
{
	return sq_exec(st, err, "UPDATE webhook_delivery SET attempts = ?,"
		       " next_ms = ?, state = ?, last_at = ?, last_status = ?,"
		       " last_error = ? WHERE id = ?", "iitizti",
		       (int64_t)attempts, next_ms, nhir_delivery_state_name(state), at,
		       (int64_t)status, error, id);
}

static enum nhir_rc deliveries_read(struct nhir_store *st, const char *hook,
				    size_t limit, nhir_delivery_cb cb,
				    void *data, struct nhir_err *err)
{
	sqlite3_stmt *q;
	enum nhir_rc rc;

	rc = sq_query(st, err, &q, "SELECT " DELIVERY_COLS " FROM"
		      " webhook_delivery WHERE ?1 IS NULL OR hook = ?1"
		      " ORDER BY id DESC LIMIT ?2", "ti", hook,
		      (int64_t)limit);
	return rc ? rc : each(st, q, cb, data, err);
}

const struct nhir_webhook_store_ops nhir_sqlite_webhook_ops = {
	.version = 1,
	.cursor_read = cursor_read,
	.cursor_write = cursor_write,
	.delivery_insert = delivery_insert,
	.deliveries_due = deliveries_due,
	.delivery_update = delivery_update,
	.deliveries_read = deliveries_read,
};
