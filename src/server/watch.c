/*
 * Watching after containment, in the server: POST
 * /api/v1/incidents/{id}/watch starts a watch of the incident (for a
 * period, optionally on a folder under the server's --watch-root), GET
 * reads its state from the record, DELETE ends it and answers its
 * verdict.  The watch runs nhir_watch_run() in a thread of its own, on
 * a database handle of its own, as 'nhir watch' does; uploads to POST
 * /api/v1/ingest are checked while it is open (uploads.c), alerts
 * reach the live feed and webhooks by the record, and the period ends
 * it even if nobody asks: its verdict is then the server's, in the
 * name of who started it.  A server that stops ends its watches first
 * (verdict "incomplete", stopped by "signal").  The verdict is signed
 * with the server's report key (--report-key) when it has one.
 */
#include "compat.h"
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include "nhir/watch.h"
#include "server/decode-ops.h"
#include "server/server-internal.h"

/* One watch this server runs. */
struct srv_watch {
	struct srv *srv;
	int64_t incident;
	pthread_t thread;
	atomic_bool stop;
	const char *stop_why;	/* "request", "signal": set before stop */
	char stop_by[NHIR_USER_NAME_MAX + 1];
	atomic_bool done;	/* the thread has recorded the verdict */
	struct nhir_store *st;
	/* the watch's context: its own handle, who started it */
	struct nhir_ctx ctx;
	char actor[128];	/* as srv_req.user */
	struct nhir_watch *w;
	const struct nhir_tele_format *fmt;
	char dir[PATH_MAX];	/* "": none */
	/* the verdict, once done */
	char *doc;
	struct nhir_err err;
	struct srv_watch *next;
};

struct srv_watches {
	struct srv *srv;
	pthread_mutex_t lock;
	struct srv_watch *head;
	bool closed;		/* stopping: no watch starts any more */
};

struct srv_watches *srv_watches_new(struct srv *s)
{
	struct srv_watches *ws = calloc(1, sizeof(*ws));

	if (!ws)
		return NULL;
	ws->srv = s;
	pthread_mutex_init(&ws->lock, NULL);
	return ws;
}

static void watch_free(struct srv_watch *x)
{
	if (!x)
		return;
	nhir_watch_free(x->w);
	nhir_store_close(x->st);
	nhir_free(x->doc);
	free(x);
}

/* Ends x (why, in the name of by, or of who started it) and waits. */
static void watch_end(struct srv_watch *x, const char *why, const char *by)
{
	x->stop_why = why;
	snprintf(x->stop_by, sizeof(x->stop_by), "%s", by ? by : "");
	atomic_store(&x->stop, true);
	pthread_join(x->thread, NULL);
}

void srv_watches_stop(struct srv_watches *ws)
{
	struct srv_watch *x, *next;

	if (!ws)
		return;
	pthread_mutex_lock(&ws->lock);
	ws->closed = true;
	x = ws->head;
	ws->head = NULL;
	pthread_mutex_unlock(&ws->lock);
	for (; x; x = next) {
		next = x->next;
		watch_end(x, "signal", NULL);
		if (x->err.rc)
			srv_log("watch of INC-%" PRId64 ": no verdict: %s",
				x->incident, x->err.msg);
		watch_free(x);
	}
}

void srv_watches_free(struct srv_watches *ws)
{
	if (!ws)
		return;
	srv_watches_stop(ws);
	pthread_mutex_destroy(&ws->lock);
	free(ws);
}

static const char *stopped(void *data, const char **actor)
{
	struct srv_watch *x = data;

	if (!atomic_load(&x->stop))
		return NULL;
	*actor = x->stop_by[0] ? x->stop_by : NULL;
	return x->stop_why;
}

static void on_alert(const struct nhir_watch_alert *a, void *data)
{
	(void)data;
	srv_log("watch of INC-%" PRId64 ": alert: %s used after its cut, in "
		"%s (audit %" PRId64 ")", a->incident, a->key,
		a->file ? a->file : "?", a->seq);
}

static void on_diag(const struct nhir_ingest_diag *d, void *data)
{
	struct srv_watch *x = data;

	srv_log("watch of INC-%" PRId64 ": %s: byte %" PRIu64 ": %s",
		x->incident, d->path, d->off, d->msg);
}

static void on_warn(const char *msg, void *data)
{
	struct srv_watch *x = data;

	srv_log("watch of INC-%" PRId64 ": %s", x->incident, msg);
}

static void *watch_main(void *arg)
{
	struct srv_watch *x = arg;
	struct nhir_watch_run run;
	struct nhir_watch_end end;
	struct nhir_ingest_result res;
	struct nhir_watch_totals t;
	const char *dir = x->dir;
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	memset(&run, 0, sizeof(run));
	memset(&res, 0, sizeof(res));
	run.fmt = x->fmt;
	run.dirs = &dir;
	run.dir_nr = x->dir[0] ? 1 : 0;
	run.keyfile = srv_opts(x->srv)->report_key;
	run.stop = stopped;
	run.on_alert = on_alert;
	run.on_diag = on_diag;
	run.on_warn = on_warn;
	run.data = x;
	if (nhir_watch_run(x->w, &run, &res, &end, &x->doc, &t, &x->err))
		srv_log("watch of INC-%" PRId64 ": no verdict: %s",
			x->incident, x->err.msg);
	else
		srv_log("watch of INC-%" PRId64 ": verdict %s (%" PRIu64
			" uses after cut); %" PRIu64 " files read; ended: %s",
			x->incident, t.result, t.uses, res.files, end.stopped);
	atomic_store(&x->done, true);
	return NULL;
}

/* Those whose thread is done, taken out and freed. */
static void reap(struct srv_watches *ws)
{
	struct srv_watch **p, *x, *dead = NULL;

	pthread_mutex_lock(&ws->lock);
	for (p = &ws->head; (x = *p);) {
		if (atomic_load(&x->done)) {
			*p = x->next;
			x->next = dead;
			dead = x;
		} else {
			p = &x->next;
		}
	}
	pthread_mutex_unlock(&ws->lock);
	while ((x = dead)) {
		dead = x->next;
		pthread_join(x->thread, NULL);
		watch_free(x);
	}
}

/* The watch of incident this server runs, taken out of the list. */
static struct srv_watch *take(struct srv_watches *ws, int64_t incident)
{
	struct srv_watch **p, *x;

	pthread_mutex_lock(&ws->lock);
	for (p = &ws->head; (x = *p); p = &x->next)
		if (x->incident == incident && !atomic_load(&x->done)) {
			*p = x->next;
			x->next = NULL;
			break;
		}
	pthread_mutex_unlock(&ws->lock);
	return x;
}

/* An empty body, or one that says it is JSON; else 415. */
static bool json_ok(struct srv_req *r, enum MHD_Result *ok)
{
	if (!r->len || srv_content_type(r, "application/json"))
		return true;
	*ok = srv_problem(r, 415, NHIR_EINVAL, "media-type",
			  "Unsupported media type",
			  "the body must be application/json");
	return false;
}

/* May r->user work on the incident?  A refusal audited as op. */
static enum nhir_rc may_work(struct srv_req *r, const char *op,
			     struct nhir_err *err)
{
	return nhir_authorize_audited(srv_lib(r), NHIR_PERM_WORK, r->incident,
				      op, err);
}

/*
 * The folder dir names under the server's --watch-root, into out:
 * relative, no "..", a folder, and still under the root once links
 * are followed.
 */
static enum nhir_rc watch_dir(struct srv_req *r, const char *dir, char *out,
			      struct nhir_err *err)
{
	const char *root = srv_opts(r->srv)->watch_root;
	char rroot[PATH_MAX], joined[PATH_MAX * 2];
	struct stat sb;
	size_t n;

	if (!root)
		return nhir_err_set(err, NHIR_EINVAL, "request body: field "
				    "'dir': this server reads no folders (nhir "
				    "serve --watch-root DIR); upload the logs "
				    "to POST /api/v1/ingest instead");
	if (!*dir || dir[0] == '/' || !strcmp(dir, "..") ||
	    !strncmp(dir, "../", 3) || strstr(dir, "/../") ||
	    ((n = strlen(dir)) >= 3 && !strcmp(dir + n - 3, "/..")))
		return nhir_err_set(err, NHIR_EINVAL, "request body: field "
				    "'dir': a folder under the server's watch "
				    "root, relative, without '..'");
	if (!realpath(root, rroot))
		return nhir_err_set(err, NHIR_EIO, "the watch root cannot be "
				    "read: %s", strerror(errno));
	snprintf(joined, sizeof(joined), "%s/%s", rroot, dir);
	if (!realpath(joined, out) || stat(out, &sb) || !S_ISDIR(sb.st_mode))
		return nhir_err_set(err, NHIR_EINVAL, "request body: field "
				    "'dir': '%s' is not a folder under the "
				    "server's watch root", dir);
	n = strlen(rroot);
	if (strcmp(rroot, "/") &&
	    (strncmp(out, rroot, n) || (out[n] && out[n] != '/')))
		return nhir_err_set(err, NHIR_EINVAL, "request body: field "
				    "'dir': '%s' leads out of the server's "
				    "watch root", dir);
	return NHIR_OK;
}

/* The watch's state as the record tells it. */
static enum MHD_Result state_doc(struct srv_req *r, unsigned status)
{
	struct nhir_err err = NHIR_ERR_INIT;
	cJSON *doc;

	if (nhir_doc_watch_state(srv_lib(r), r->incident, &doc, &err))
		return srv_fail(r, &err);
	return srv_respond_doc(r, status, doc);
}

enum MHD_Result wt_state(struct srv_req *r)
{
	return state_doc(r, 200);
}

enum MHD_Result wt_start(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct srv_watches *ws = srv_watches(r->srv);
	struct srv_watch *x = NULL;
	struct srv_watch_req q;
	int64_t period;
	enum MHD_Result ok;
	enum nhir_rc rc = NHIR_OK;
	bool open = false;

	if (!json_ok(r, &ok))
		return ok;
	if (srv_decode_watch(r->body, r->len, &q, &err))
		return srv_fail(r, &err);
	period = q.period;
	x = calloc(1, sizeof(*x));
	if (!x || !ws)
		rc = nhir_err_set(&err, NHIR_ENOMEM, "out of memory");
	else
		x->fmt = q.fmt;
	if (!rc)
		rc = may_work(r, "api.watch.start", &err);
	if (!rc && q.dir)
		rc = watch_dir(r, q.dir, x->dir, &err);
	srv_watch_req_free(&q);
	if (!rc)
		reap(ws);
	/* one watch of an incident at a time, whoever started it */
	if (!rc)
		rc = nhir_watch_is_open(srv_lib(r), r->incident, &open, &err);
	if (!rc && open)
		rc = nhir_err_set(&err, NHIR_ECONFLICT, "INC-%" PRId64 " is "
				  "watched already; end that watch first "
				  "(DELETE this route, or stop 'nhir watch')",
				  r->incident);
	if (!rc)
		rc = nhir_store_open(&x->st, srv_opts(r->srv)->db, 0, &err);
	if (!rc) {
		/* the request's context, on the watch's handle, kept with it */
		x->ctx = *srv_lib(r);
		x->ctx.st = x->st;
		snprintf(x->actor, sizeof(x->actor), "%s", r->user);
		x->ctx.actor = x->actor;
		rc = nhir_watch_start(&x->ctx, r->incident, period, &x->w,
				      &err);
	}
	if (rc) {
		watch_free(x);
		return srv_fail(r, &err);
	}
	x->srv = r->srv;
	x->incident = r->incident;
	pthread_mutex_lock(&ws->lock);
	if (ws->closed || pthread_create(&x->thread, NULL, watch_main, x)) {
		struct nhir_watch_end e = { .stopped = "error", .failed = true };
		struct nhir_err err2 = NHIR_ERR_INIT;
		bool closing = ws->closed;

		pthread_mutex_unlock(&ws->lock);
		/* started on the record: its verdict says it never ran */
		if (closing)
			e.stopped = "signal";
		srv_log("watch of INC-%" PRId64 ": %s", r->incident,
			closing ? "the server stops; the watch ends as it "
			"starts" : "the thread did not start");
		if (nhir_watch_finish(x->w, &e, NULL, NULL, &err2))
			srv_log("watch of INC-%" PRId64 ": no verdict: %s",
				r->incident, err2.msg);
		watch_free(x);
		if (closing)
			nhir_err_set(&err, NHIR_EUNAVAILABLE, "the server "
				     "is stopping: no watch starts now");
		else
			nhir_err_set(&err, NHIR_EIO, "the watch's thread did "
				     "not start");
		return srv_fail(r, &err);
	}
	x->next = ws->head;
	ws->head = x;
	pthread_mutex_unlock(&ws->lock);
	srv_log("%s %s: INC-%" PRId64 " watched for %" PRId64 " s%s%s by %s "
		"(token %" PRId64 ")", r->method, r->url, r->incident, period,
		x->dir[0] ? " on " : "", x->dir, r->user, r->token);
	snprintf(r->location, sizeof(r->location),
		 "/api/v1/incidents/INC-%" PRId64 "/watch", r->incident);
	return state_doc(r, 201);
}

enum MHD_Result wt_end(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct srv_watches *ws = srv_watches(r->srv);
	struct srv_watch *x;
	enum MHD_Result ok;
	enum nhir_rc rc;
	bool open = false;

	if (r->len)
		return srv_problem(r, 400, NHIR_EINVAL, "invalid",
				   "Bad request", "ending a watch has no body");
	rc = may_work(r, "api.watch.end", &err);
	if (rc)
		return srv_fail(r, &err);
	x = ws ? take(ws, r->incident) : NULL;
	if (!x) {
		rc = nhir_watch_is_open(srv_lib(r), r->incident, &open, &err);
		if (!rc)
			rc = nhir_err_set(&err, open ? NHIR_ECONFLICT
						     : NHIR_ENOTFOUND,
					  open ? "the watch of INC-%" PRId64
					  " is not this server's ('nhir "
					  "watch'): end it where it runs"
					  : "INC-%" PRId64 " has no watch "
					  "open", r->incident);
		return srv_fail(r, &err);
	}
	watch_end(x, "request", r->user);
	if (x->err.rc || !x->doc) {
		err = x->err;
		watch_free(x);
		return srv_fail(r, &err);
	}
	srv_log("%s %s: the watch of INC-%" PRId64 " ended by %s (token %"
		PRId64 ")", r->method, r->url, r->incident, r->user, r->token);
	ok = srv_respond(r, 200, "application/json", x->doc, strlen(x->doc));
	watch_free(x);
	return ok;
}
