/*
 * The PostgreSQL store's webhooks (src/record/webhook.c): each hook's
 * cursor over the audit log, and the deliveries with their attempts.
 * As SQLite's (src/store/sqlite/webhook.c).
 */
#include "compat.h"
#include "nhir/model.h"
#include "store/webhook.h"
#include "store/pg/pg-internal.h"

static enum nhir_rc cursor_read(struct nhir_store *st, const char *hook,
				int64_t *seq, bool *found,
				struct nhir_err *err)
{
	return pq_int(st, err, seq, found, "SELECT seq FROM webhook_cursor"
		      " WHERE hook = ?", "t", hook);
}

static enum nhir_rc cursor_write(struct nhir_store *st, const char *hook,
				 int64_t seq, int64_t at,
				 struct nhir_err *err)
{
	return pq_exec(st, err, "INSERT INTO webhook_cursor(hook, seq, set_at)"
		       " VALUES(?1, ?2, ?3) ON CONFLICT(hook) DO UPDATE"
		       " SET seq = ?2, set_at = ?3", "tii", hook, seq, at);
}

static enum nhir_rc delivery_insert(struct nhir_store *st,
				    const struct nhir_delivery *d,
				    int64_t *id, struct nhir_err *err)
{
	return pq_int(st, err, id, NULL, "INSERT INTO webhook_delivery(hook,"
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

static enum nhir_rc each(struct nhir_store *st, struct pgq *q,
			 nhir_delivery_cb cb, void *data,
			 struct nhir_err *err)
{
	while (pq_step(st, q, err) == 1) {
		struct nhir_delivery d;

		memset(&d, 0, sizeof(d));
		d.id = pq_col_int(q, 0);
		d.hook = pq_text(q, 1);
		d.event = pq_text(q, 2);
		d.seq = pq_col_int(q, 3);
		d.incident = pq_is_null(q, 4) ? 0 : pq_col_int(q, 4);
		d.created = pq_col_int(q, 5);
		d.attempts = (int)pq_col_int(q, 6);
		d.next_ms = pq_col_int(q, 7);
		d.state = state_of(pq_text(q, 8));
		d.last_at = pq_is_null(q, 9) ? NHIR_TIME_UNSET
					     : pq_col_int(q, 9);
		d.last_status = pq_is_null(q, 10) ? 0 : (long)pq_col_int(q, 10);
		d.last_error = pq_text(q, 11);
		d.body = pq_text(q, 12);
		if (cb(&d, data))
			break;
	}
	pq_done(q);
	return NHIR_OK;
}

static enum nhir_rc deliveries_due(struct nhir_store *st, int64_t now_ms,
				   size_t limit, nhir_delivery_cb cb,
				   void *data, struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc;

	rc = pq_query(st, err, &q, "SELECT " DELIVERY_COLS " FROM"
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
	return pq_exec(st, err, "UPDATE webhook_delivery SET attempts = ?,"
		       " next_ms = ?, state = ?, last_at = ?, last_status = ?,"
		       " last_error = ? WHERE id = ?", "iitizti",
		       (int64_t)attempts, next_ms,
		       nhir_delivery_state_name(state), at, (int64_t)status,
		       error, id);
}

static enum nhir_rc deliveries_read(struct nhir_store *st, const char *hook,
				    size_t limit, nhir_delivery_cb cb,
				    void *data, struct nhir_err *err)
{
	struct pgq *q;
	enum nhir_rc rc;

	rc = pq_query(st, err, &q, "SELECT " DELIVERY_COLS " FROM"
		      " webhook_delivery WHERE CAST(?1 AS text) IS NULL"
		      " OR hook = ?1 ORDER BY id DESC LIMIT ?2", "ti", hook,
		      (int64_t)limit);
	return rc ? rc : each(st, q, cb, data, err);
}

const struct nhir_webhook_store_ops nhir_pg_webhook_ops = {
	.version = 1,
	.cursor_read = cursor_read,
	.cursor_write = cursor_write,
	.delivery_insert = delivery_insert,
	.deliveries_due = deliveries_due,
	.delivery_update = delivery_update,
	.deliveries_read = deliveries_read,
};
