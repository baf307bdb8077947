/*
 * The graph a server answers blasts from, kept in memory: loaded once
 * and used by every request that reads the same graph tag (in its own
 * snapshot, so a request never uses a graph older than the one it
 * reads), until the tag moves.  A store with no cache file (PostgreSQL)
 * would otherwise scan the whole graph for every blast.  Told by its
 * watch (events.c) that a change committed anywhere touched the graph,
 * the server loads the new one at once, so the next request finds it
 * ready.  A request holds the graph it uses until it is done; a graph
 * replaced meanwhile is freed by the last request to let it go.
 */
#include "compat.h"
#include <pthread.h>
#include <stdatomic.h>
#include "server/server-internal.h"

struct srv_graph {
	struct nhir_graph *g;
	unsigned refs;		/* the kept one's, and each request's */
};

struct srv_graphs {
	pthread_mutex_t lock;
	struct srv_graph *kept;	/* NULL: none yet */
	atomic_ulong loads[2];	/* by a request, on a change heard */
	atomic_ulong reused;
};

struct srv_graphs *srv_graphs_new(void)
{
	struct srv_graphs *gs = calloc(1, sizeof(*gs));

	if (gs)
		pthread_mutex_init(&gs->lock, NULL);
	return gs;
}

static void drop(struct srv_graph *h)
{
	/* under the lock */
	if (h && !--h->refs) {
		nhir_graph_free(h->g);
		free(h);
	}
}

void srv_graphs_free(struct srv_graphs *gs)
{
	if (!gs)
		return;
	drop(gs->kept);
	pthread_mutex_destroy(&gs->lock);
	free(gs);
}

/* Keeps g (tag its own) in place of the one kept; returns it held. */
static struct srv_graph *keep(struct srv_graphs *gs, struct nhir_graph *g)
{
	struct srv_graph *h = calloc(1, sizeof(*h));

	if (!h) {
		nhir_graph_free(g);
		return NULL;
	}
	h->g = g;
	h->refs = 2;
	pthread_mutex_lock(&gs->lock);
	drop(gs->kept);
	gs->kept = h;
	pthread_mutex_unlock(&gs->lock);
	return h;
}

static struct srv_graph *held(struct srv_graphs *gs, const uint64_t tag[4])
{
	struct srv_graph *h = NULL;

	pthread_mutex_lock(&gs->lock);
	if (gs->kept && !memcmp(gs->kept->g->tag, tag, sizeof(gs->kept->g->tag))) {
		h = gs->kept;
		h->refs++;
	}
	pthread_mutex_unlock(&gs->lock);
	return h;
}

enum nhir_rc srv_graph_get(struct srv_graphs *gs, struct nhir_store *st,
			   const uint64_t tag[4], struct srv_graph **out,
			   struct nhir_err *err)
{
	struct nhir_graph *g = NULL;
	enum nhir_rc rc;

	*out = gs ? held(gs, tag) : NULL;
	if (*out) {
		atomic_fetch_add(&gs->reused, 1);
		return NHIR_OK;
	}
	rc = nhir_store_load_graph(st, &g, err);
	if (rc)
		return rc;
	if (gs) {
		atomic_fetch_add(&gs->loads[0], 1);
		*out = keep(gs, g);
	} else if ((*out = calloc(1, sizeof(**out)))) {
		(*out)->g = g;
		(*out)->refs = 1;
	} else {
		nhir_graph_free(g);
	}
	return *out ? NHIR_OK : nhir_err_set(err, NHIR_ENOMEM,
					     "out of memory");
}

const struct nhir_graph *srv_graph_of(const struct srv_graph *h)
{
	return h->g;
}

void srv_graph_put(struct srv_graphs *gs, struct srv_graph *h)
{
	if (!h)
		return;
	if (!gs) {
		drop(h);
		return;
	}
	pthread_mutex_lock(&gs->lock);
	drop(h);
	pthread_mutex_unlock(&gs->lock);
}

void srv_graph_refresh(struct srv_graphs *gs, struct nhir_store *st)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_graph *g = NULL;
	struct srv_graph *h;
	uint64_t tag[4];
	bool any;

	if (!gs)
		return;
	/* only a graph some request asked for is kept up to date */
	pthread_mutex_lock(&gs->lock);
	any = gs->kept != NULL;
	pthread_mutex_unlock(&gs->lock);
	if (!any)
		return;
	if (nhir_store_graph_tag(st, tag, &err)) {
		srv_log("graph: %s", err.msg);
		return;
	}
	h = held(gs, tag);
	if (h) {
		srv_graph_put(gs, h);
		return;
	}
	if (nhir_store_load_graph(st, &g, &err)) {
		srv_log("graph: %s", err.msg);
		return;
	}
	atomic_fetch_add(&gs->loads[1], 1);
	srv_graph_put(gs, keep(gs, g));
}

void srv_graphs_metrics(struct srv_graphs *gs, struct nhir_buf *b)
{
	if (!gs)
		return;
	nhir_buf_addf(b, "# HELP nhir_graph_loads_total Graphs loaded from "
		      "the database: for a request that found none current, "
		      "or on hearing that the graph changed.\n"
		      "# TYPE nhir_graph_loads_total counter\n"
		      "nhir_graph_loads_total{by=\"request\"} %lu\n"
		      "nhir_graph_loads_total{by=\"change\"} %lu\n"
		      "# HELP nhir_graph_reused_total Requests answered from "
		      "the graph kept.\n# TYPE nhir_graph_reused_total "
		      "counter\nnhir_graph_reused_total %lu\n",
		      atomic_load(&gs->loads[0]), atomic_load(&gs->loads[1]),
		      atomic_load(&gs->reused));
}
