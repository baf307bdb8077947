/*
 * Changes as they are made (nhir_store_watch_new, store.h): a connection
 * of the watch's own, made with the store's parameters, LISTENs on
 * channel nhir_change; every write transaction of this store sends
 * NOTIFY nhir_change at its commit (db.c), with payload "graph" when it
 * changed the graph, "data" otherwise.  PostgreSQL delivers a
 * notification only once its transaction commits, and to every
 * listener, so each server hears every other's changes and its own.
 * The connection lost (the server restarted, a failover), the watch
 * answers NHIR_WATCH_DOWN and makes it again at each wait; made again,
 * it answers everything changed, as what it missed is unknown.  A hot
 * standby delivers no notifications: no watch there.
 */
#include "compat.h"
#include <poll.h>
#include "store/pg/pg-internal.h"

#define CHANNEL "nhir_change"

struct pg_watch {
	struct nhir_store_watch base;
	PGconn *conn;
	bool down;
};

static void quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static bool listen_on(struct pg_watch *w)
{
	PGresult *res;
	bool ok;

	if (PQstatus(w->conn) != CONNECTION_OK)
		return false;
	res = PQexec(w->conn, "LISTEN " CHANNEL);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	return ok;
}

static bool has_key(const char *const *keys, size_t n, const char *k)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(keys[i], k))
			return true;
	return false;
}

enum nhir_rc pg_watch_new(struct nhir_store *st, struct nhir_store_watch **out,
			  struct nhir_err *err)
{
	struct pg_store *s = PG(st);
	PQconninfoOption *opts;
	const char *keys[64], *vals[64];
	struct pg_watch *w;
	size_t n = 0;

	if (s->standby)
		return nhir_err_set(err, NHIR_EUNSUPPORTED, "a hot standby "
				    "delivers no notifications of changes");
	opts = PQconninfo(s->conn);
	if (!opts)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	for (PQconninfoOption *o = opts; o->keyword && n + 3 < 64; o++)
		if (o->val && *o->val &&
		    strcmp(o->keyword, "application_name")) {
			keys[n] = o->keyword;
			vals[n++] = o->val;
		}
	keys[n] = "application_name";
	vals[n++] = "nhir watch";
	/* a reconnection (PQreset) to a host gone away blocks the watcher
	 * no longer than this, unless the DSN says otherwise */
	if (!has_key(keys, n, "connect_timeout")) {
		keys[n] = "connect_timeout";
		vals[n++] = "5";
	}
	keys[n] = vals[n] = NULL;
	w = nhir_calloc(1, sizeof(*w));
	if (!w) {
		PQconninfoFree(opts);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	w->conn = PQconnectdbParams(keys, vals, 0);
	PQconninfoFree(opts);
	if (w->conn)
		PQsetNoticeProcessor(w->conn, quiet, NULL);
	if (!w->conn || !listen_on(w)) {
		if (w->conn)
			PQfinish(w->conn);
		nhir_free(w);
		return nhir_err_set(err, NHIR_EUNAVAILABLE, "%s: cannot listen "
				    "for changes", s->shown);
	}
	*out = &w->base;
	return NHIR_OK;
}

/* The notifications read so far, as NHIR_WATCH_ bits. */
static unsigned drain(struct pg_watch *w)
{
	PGnotify *n;
	unsigned what = 0;

	while ((n = PQnotifies(w->conn))) {
		what |= NHIR_WATCH_DATA;
		if (n->extra && !strcmp(n->extra, "graph"))
			what |= NHIR_WATCH_GRAPH;
		PQfreemem(n);
	}
	return what;
}

enum nhir_rc pg_watch_wait(struct nhir_store_watch *base, unsigned ms,
			   unsigned *what, struct nhir_err *err)
{
	struct pg_watch *w = (struct pg_watch *)base;
	struct pollfd p;

	(void)err;
	if (w->down) {
		PQreset(w->conn);
		if (listen_on(w)) {
			w->down = false;
			*what = NHIR_WATCH_DATA | NHIR_WATCH_GRAPH;
			return NHIR_OK;
		}
		nhir_sleep_ms((int)ms);
		*what = NHIR_WATCH_DOWN;
		return NHIR_OK;
	}
	if (!PQconsumeInput(w->conn))
		goto lost;
	*what = drain(w);
	if (*what)
		return NHIR_OK;
	p.fd = PQsocket(w->conn);
	p.events = POLLIN;
	p.revents = 0;
	if (p.fd < 0)
		goto lost;
	if (poll(&p, 1, (int)ms) <= 0)
		return NHIR_OK;
	if (!PQconsumeInput(w->conn))
		goto lost;
	*what = drain(w);
	return NHIR_OK;
lost:
	w->down = true;
	*what = NHIR_WATCH_DOWN;
	return NHIR_OK;
}

void pg_watch_free(struct nhir_store_watch *base)
{
	struct pg_watch *w = (struct pg_watch *)base;

	if (w->conn)
		PQfinish(w->conn);
	nhir_free(w);
}
