/*
 * Live feeds: GET /api/v1/events streams the audit log as it grows, as
 * Server-Sent Events, so that a board or an incident page shows what
 * the team does the moment it is on the record.  Each event is one
 * audit entry, as GET /api/v1/audit has it, with its seq as the event
 * id: a client that reconnects with Last-Event-ID misses nothing.
 *
 * A feed never holds a worker thread while it waits: when it has sent
 * everything, its content reader suspends the connection and returns
 * 0, and the watcher thread (one per server) resumes it when the log
 * has an entry the feed has not looked at, when a keep-alive is due,
 * or when the server stops.
 */
#include "compat.h"
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>
#include "nhir/doc.h"
#include "server/server-internal.h"

#define FEED_BATCH 64		/* entries read at a time */
#define FEED_MAX 256		/* feeds open at once */
#define FEED_BEAT_US (15 * 1000000LL)	/* a comment line this often */
#define WATCH_US 200000		/* how often the watcher looks */
#define WATCH_WAIT_MS 500	/* longest wait for a change heard */

struct feed {
	struct srv *srv;
	struct srv_feeds *all;
	struct MHD_Connection *con;
	int64_t incident;	/* 0: every entry */
	int64_t scanned;	/* entries up to this seq were looked at */
	int64_t beat;		/* when a byte last went out, µs */
	char *buf;
	size_t len, off;
	bool suspended;
	struct feed *next;	/* in all->waiting while suspended */
};

struct srv_feeds {
	struct srv *srv;
	pthread_mutex_t lock;
	struct feed *waiting;
	size_t open;
	atomic_bool stop;
	bool started;
	pthread_t watcher;
	int64_t newest;		/* the newest seq the watcher read */
	atomic_bool heard;	/* it hears of changes (a watch, up) */
	atomic_ulong notified, polls;
};

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Resumes the waiting feeds that have something to send; all: every one. */
static void wake(struct srv_feeds *fs, int64_t newest, bool all)
{
	struct feed **p, *f;
	int64_t t = now_us();

	pthread_mutex_lock(&fs->lock);
	for (p = &fs->waiting; (f = *p);) {
		if (all || f->scanned < newest || t - f->beat >= FEED_BEAT_US) {
			*p = f->next;
			f->next = NULL;
			f->suspended = false;
			MHD_resume_connection(f->con);
		} else {
			p = &f->next;
		}
	}
	pthread_mutex_unlock(&fs->lock);
}

/*
 * The newest entry's seq: kept for feeds about to wait (reader), and
 * the waiting ones that have not looked at it woken.
 */
static void look(struct srv_feeds *fs)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_store *st = srv_store(fs->srv, &err);
	int64_t newest = 0;

	if (!st || nhir_audit_newest(st, &newest, &err))
		srv_log("events: %s", err.msg);
	srv_store_put(fs->srv, st);
	pthread_mutex_lock(&fs->lock);
	if (newest > fs->newest)
		fs->newest = newest;
	pthread_mutex_unlock(&fs->lock);
	wake(fs, newest, false);
}

/* The store's watch, when it keeps one (NULL: look every WATCH_US). */
static struct nhir_store_watch *watch_open(struct srv_feeds *fs)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_store *st = srv_store(fs->srv, &err);
	struct nhir_store_watch *w = NULL;

	if (st && nhir_store_watch_new(st, &w, &err) &&
	    err.rc != NHIR_EUNSUPPORTED)
		srv_log("events: %s; looking for changes every %d ms instead",
			err.msg, WATCH_US / 1000);
	srv_store_put(fs->srv, st);
	atomic_store(&fs->heard, w != NULL);
	return w;
}

/*
 * Told of every change as it is committed (a watch: PostgreSQL), the
 * watcher reads the newest seq only then, and loads the graph anew
 * when the change touched it; while the watch is down, and on a store
 * without one, it reads the newest seq every WATCH_US while a feed
 * waits.
 */
static void *watch(void *arg)
{
	struct srv_feeds *fs = arg;
	struct nhir_store_watch *w = watch_open(fs);
	bool down = false;

	while (!atomic_load(&fs->stop)) {
		struct nhir_err err = NHIR_ERR_INIT;
		unsigned what = NHIR_WATCH_DATA;
		bool any;

		if (!w)
			usleep(WATCH_US);
		else if (nhir_store_watch_wait(w, down ? WATCH_US / 1000
						       : WATCH_WAIT_MS,
					       &what, &err))
			what = NHIR_WATCH_DOWN;
		if (w && !!(what & NHIR_WATCH_DOWN) != down) {
			down = !down;
			atomic_store(&fs->heard, !down);
			srv_log("events: %s", down ? "the watch of changes "
				"is lost; looking for them instead" :
				"the watch of changes is back");
		}
		if (what & NHIR_WATCH_DOWN)
			what = NHIR_WATCH_DATA;
		else if (what)
			atomic_fetch_add(&fs->notified, 1);
		if (what & NHIR_WATCH_GRAPH) {
			struct nhir_store *st = srv_store(fs->srv, &err);

			if (st)
				srv_graph_refresh(srv_graphs(fs->srv), st);
			srv_store_put(fs->srv, st);
		}
		pthread_mutex_lock(&fs->lock);
		any = fs->waiting != NULL;
		pthread_mutex_unlock(&fs->lock);
		if ((what & NHIR_WATCH_DATA) && (any || w)) {
			if (!w || down)
				atomic_fetch_add(&fs->polls, 1);
			look(fs);
		} else if (any) {
			wake(fs, 0, false);	/* keep-alives due */
		}
	}
	nhir_store_watch_free(w);
	wake(fs, 0, true);
	return NULL;
}

void srv_feeds_metrics(struct srv_feeds *fs, struct nhir_buf *b)
{
	if (!fs)
		return;
	nhir_buf_addf(b, "# HELP nhir_changes_heard_total Changes the "
		      "database told of as they were committed (PostgreSQL "
		      "LISTEN/NOTIFY).\n# TYPE nhir_changes_heard_total "
		      "counter\nnhir_changes_heard_total %lu\n"
		      "# HELP nhir_changes_watched Whether the server hears "
		      "of changes (1) or looks for them (0).\n"
		      "# TYPE nhir_changes_watched gauge\n"
		      "nhir_changes_watched %d\n"
		      "# HELP nhir_changes_looks_total Times the server "
		      "looked for changes, not told of them.\n"
		      "# TYPE nhir_changes_looks_total counter\n"
		      "nhir_changes_looks_total %lu\n",
		      atomic_load(&fs->notified), atomic_load(&fs->heard),
		      atomic_load(&fs->polls));
}

struct srv_feeds *srv_feeds_start(struct srv *s)
{
	struct srv_feeds *fs = calloc(1, sizeof(*fs));

	if (!fs)
		return NULL;
	fs->srv = s;
	pthread_mutex_init(&fs->lock, NULL);
	if (pthread_create(&fs->watcher, NULL, watch, fs)) {
		pthread_mutex_destroy(&fs->lock);
		free(fs);
		return NULL;
	}
	fs->started = true;
	return fs;
}

void srv_feeds_stop(struct srv_feeds *fs)
{
	if (!fs)
		return;
	atomic_store(&fs->stop, true);
	if (fs->started)
		pthread_join(fs->watcher, NULL);
	fs->started = false;
	wake(fs, 0, true);
}

void srv_feeds_free(struct srv_feeds *fs)
{
	if (!fs)
		return;
	pthread_mutex_destroy(&fs->lock);
	free(fs);
}

static bool add(struct feed *f, const char *s, size_t n)
{
	char *b = realloc(f->buf, f->len + n);

	if (!b)
		return false;
	memcpy(b + f->len, s, n);
	f->buf = b;
	f->len += n;
	return true;
}

/* Reads the entries after f->scanned into f->buf as events. */
static bool fill(struct feed *f)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_store *st;
	cJSON *doc = NULL, *e;
	int64_t newest = 0, last = f->scanned;
	size_t nr = 0;
	bool ok = true;

	st = srv_store(f->srv, &err);
	if (!st || nhir_audit_newest(st, &newest, &err) ||
	    nhir_doc_audit_since(st, f->incident, f->scanned, FEED_BATCH,
				 &doc, &err)) {
		srv_log("events: %s", err.msg);
		srv_store_put(f->srv, st);
		return false;
	}
	srv_store_put(f->srv, st);
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "entries")) {
		cJSON *seq = cJSON_GetObjectItemCaseSensitive(e, "seq");
		char head[64], *text = cJSON_PrintUnformatted(e);
		int n;

		nr++;
		last = (int64_t)seq->valuedouble;
		n = snprintf(head, sizeof(head), "id: %" PRId64
			     "\nevent: audit\ndata: ", last);
		ok = text && add(f, head, (size_t)n) &&
		     add(f, text, strlen(text)) && add(f, "\n\n", 2);
		cJSON_free(text);
		if (!ok)
			break;
	}
	cJSON_Delete(doc);
	/* a full batch may have more behind it; else all up to newest seen */
	f->scanned = nr == FEED_BATCH || last > newest ? last : newest;
	return ok;
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct feed *f = cls;
	size_t n;

	(void)pos;
	if (f->off == f->len) {
		f->off = f->len = 0;
		if (srv_stopping(f->srv))
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (!fill(f))
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (!f->len && now_us() - f->beat >= FEED_BEAT_US &&
		    !add(f, ": keep-alive\n\n", 14))
			return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	if (f->off == f->len) {
		/*
		 * nothing to send: wait, off the worker, for the watcher;
		 * unless it read a newer entry than this feed did before it
		 * began to wait (a change heard once is not heard again)
		 */
		pthread_mutex_lock(&f->all->lock);
		MHD_suspend_connection(f->con);
		if (f->all->newest > f->scanned) {
			MHD_resume_connection(f->con);
		} else {
			f->suspended = true;
			f->next = f->all->waiting;
			f->all->waiting = f;
		}
		pthread_mutex_unlock(&f->all->lock);
		return 0;
	}
	n = f->len - f->off < max ? f->len - f->off : max;
	memcpy(buf, f->buf + f->off, n);
	f->off += n;
	f->beat = now_us();
	return (ssize_t)n;
}

static void feed_free(void *cls)
{
	struct feed *f = cls;
	struct feed **p;

	pthread_mutex_lock(&f->all->lock);
	for (p = &f->all->waiting; *p; p = &(*p)->next)
		if (*p == f) {
			*p = f->next;
			break;
		}
	f->all->open--;
	pthread_mutex_unlock(&f->all->lock);
	free(f->buf);
	free(f);
}

/* A whole number, or -1. */
static int64_t seq_of(const char *s)
{
	char *end;
	long long v;

	if (!s || !*s || strspn(s, "0123456789") != strlen(s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	return errno || *end ? -1 : v;
}

enum MHD_Result srv_events(struct srv_req *r)
{
	struct srv_feeds *fs = srv_feeds(r->srv);
	struct nhir_err err = NHIR_ERR_INIT;
	struct MHD_Response *res;
	const char *q, *last;
	struct feed *f;
	int64_t inc = 0, after = -1;

	q = MHD_lookup_connection_value(r->con, MHD_GET_ARGUMENT_KIND,
					"incident");
	if (q && !(inc = nhir_incident_ref(q)))
		return srv_problem(r, 400, NHIR_EINVAL, "invalid",
				   "Bad request", "parameter 'incident' is "
				   "not an incident (INC-12 or 12)");
	q = MHD_lookup_connection_value(r->con, MHD_GET_ARGUMENT_KIND, "after");
	last = MHD_lookup_connection_value(r->con, MHD_HEADER_KIND,
					   "Last-Event-ID");
	if (q && (after = seq_of(q)) < 0)
		return srv_problem(r, 400, NHIR_EINVAL, "invalid",
				   "Bad request", "parameter 'after' is not "
				   "an entry's seq");
	if (last && (after = seq_of(last)) < 0)
		return srv_problem(r, 400, NHIR_EINVAL, "invalid",
				   "Bad request", "Last-Event-ID is not an "
				   "entry's seq");
	/* an incident's feed starts with its whole record; all, with now */
	if (after < 0 && !inc && nhir_audit_newest(r->st, &after, &err))
		return srv_fail(r, &err);
	if (!fs)
		return srv_problem(r, 503, NHIR_ENOMEM, "unavailable",
				   "Service unavailable", "no live feeds");
	f = calloc(1, sizeof(*f));
	if (!f)
		return srv_problem(r, 500, NHIR_ENOMEM, "internal",
				   "Internal error", "out of memory");
	pthread_mutex_lock(&fs->lock);
	if (fs->open >= FEED_MAX) {
		pthread_mutex_unlock(&fs->lock);
		free(f);
		return srv_problem(r, 503, NHIR_ETOOBIG, "unavailable",
				   "Service unavailable", "too many live "
				   "feeds are open; try again later");
	}
	fs->open++;
	pthread_mutex_unlock(&fs->lock);
	f->srv = r->srv;
	f->all = fs;
	f->con = r->con;
	f->incident = inc;
	f->scanned = after < 0 ? 0 : after;
	f->beat = now_us();
	/* a first line at once, so that the client has the headers now */
	if (!add(f, "retry: 3000\n\n", 13)) {
		feed_free(f);
		return MHD_NO;
	}
	res = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 << 10,
						reader, f, feed_free);
	if (!res) {
		feed_free(f);
		return MHD_NO;
	}
	/* a proxy passes each event on at once */
	MHD_add_response_header(res, "X-Accel-Buffering", "no");
	srv_log("200 %s %s: live feed for %s (token %" PRId64 ")", r->method,
		r->url, r->user, r->token);
	return srv_queue(r, 200, "text/event-stream", res);
}
