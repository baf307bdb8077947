/*
 * The store's typed interface for webhooks (src/record/webhook.c): each
 * hook's cursor over the audit log and the deliveries it queued.  The
 * rules (which entries are events, the backoff, who may list them) are
 * in src/record/webhook.c; this only stores and fetches.  The SQLite
 * one is src/store/sqlite/webhook.c; a backend without one answers
 * NHIR_EUNSUPPORTED (src/store/store.c).  Conventions as in
 * store/record.h.
 */
#ifndef NHIR_STORE_WEBHOOK_H
#define NHIR_STORE_WEBHOOK_H

#include <stdbool.h>
#include <stdint.h>
#include "nhir/store.h"
#include "nhir/webhook.h"

struct nhir_webhook_store_ops {
	unsigned version;

	/* hook's cursor (the last audit seq looked at); *found false: none */
	enum nhir_rc (*cursor_read)(struct nhir_store *st, const char *hook,
				    int64_t *seq, bool *found,
				    struct nhir_err *err);
	/* sets it (making it when there is none) */
	enum nhir_rc (*cursor_write)(struct nhir_store *st, const char *hook,
				     int64_t seq, int64_t at,
				     struct nhir_err *err);
	/*
	 * Adds d (all but id, attempts, last_*; state pending); a second
	 * delivery of the same hook and seq is not added (*id 0).
	 */
	enum nhir_rc (*delivery_insert)(struct nhir_store *st,
					const struct nhir_delivery *d,
					int64_t *id, struct nhir_err *err);
	/* pending deliveries whose next_ms <= now_ms, by next_ms, id */
	enum nhir_rc (*deliveries_due)(struct nhir_store *st, int64_t now_ms,
				       size_t limit, nhir_delivery_cb cb,
				       void *data, struct nhir_err *err);
	/* an attempt of delivery id: its outcome and the next one */
	enum nhir_rc (*delivery_update)(struct nhir_store *st, int64_t id,
					int attempts, int64_t next_ms,
					enum nhir_delivery_state state,
					int64_t at, long status,
					const char *error,
					struct nhir_err *err);
	/* deliveries (of hook, NULL: all), newest first, at most limit */
	enum nhir_rc (*deliveries_read)(struct nhir_store *st,
					const char *hook, size_t limit,
					nhir_delivery_cb cb, void *data,
					struct nhir_err *err);
};

/* The interface of st's backend (one answering NHIR_EUNSUPPORTED). */
const struct nhir_webhook_store_ops *nhir_webhook_store(struct nhir_store *st);

#endif
