/*
 * nhir serve: libmicrohttpd with a bounded pool of worker threads, a
 * pool of store handles beside it, limits on every request, security
 * headers on every response, and a graceful stop on SIGTERM.
 */
#include "compat.h"
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <strings.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "nhir/visible.h"
#include "server/server-internal.h"
#include "server/ui.h"

/* The statuses /metrics tells apart; anything else counts as "other". */
static const unsigned statuses[] = {
	200, 201, 302, 304, 400, 401, 403, 404, 405, 409, 412, 413, 415, 422,
	429, 500, 503,
};
#define STATUS_NR (NHIR_ARRAY_SIZE(statuses) + 1)

/* The latency histogram's upper bounds, microseconds (then +Inf). */
static const unsigned long buckets[] = {
	1000, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000,
	2500000, 5000000, 10000000,
};
#define BUCKET_NR NHIR_ARRAY_SIZE(buckets)

struct srv {
	const struct srv_opts *o;
	bool tls;
	struct srv_feeds *feeds;
	struct MHD_Daemon *d;
	pthread_mutex_t lock;		/* guards the store pool */
	struct nhir_store **idle;
	size_t idle_nr;
	atomic_long inflight;
	atomic_bool stopping;
	atomic_ulong count[ROUTE_NR][STATUS_NR];
	atomic_ulong micros[ROUTE_NR];	/* time spent, by route */
	atomic_ulong le[ROUTE_NR][BUCKET_NR];	/* answered within bucket */
	atomic_ulong answered[ROUTE_NR];
	struct srv_limits *limits;	/* failed logins */
	struct srv_oidc *oidc;		/* NULL: not configured */
	struct srv_hooks *hooks;	/* the webhooks' sender */
	atomic_ulong reloads[2];	/* of the configuration: done, failed */
	bool cookie_secure;
	struct srv_witness *witness;	/* the sender, or NULL */
	atomic_ulong wit[WIT_NR];	/* its attempts, by result */
	struct srv_ssf *ssf;		/* Shared Signals, or NULL */
	struct srv_cache *cache;	/* answers kept (cache.c), or NULL */
	struct srv_graphs *graphs;	/* the graph kept (graph.c), or NULL */
	struct srv_watches *watches;	/* watches it runs (watch.c) */
	/* the writer (srv_writer_queue): its thread, queue and handle */
	pthread_mutex_t wlock;
	pthread_cond_t wcond, ccond;
	pthread_t wthread;
	bool wstarted, wstop;
	struct srv_req *whead, *wtail;
	struct nhir_store *writer;
	atomic_ulong batches, batched;
	/* the checkpointer: copies the writer's log back (SQLite) */
	pthread_t cthread;
	bool cstarted;
	struct nhir_store *cstore;
	atomic_ulong checkpoints;
};

struct srv_cache *srv_cache(struct srv *s)
{
	return s->cache;
}

struct srv_graphs *srv_graphs(struct srv *s)
{
	return s->graphs;
}

struct srv_watches *srv_watches(struct srv *s)
{
	return s->watches;
}

struct srv_ssf *srv_ssf(struct srv *s)
{
	return s->ssf;
}

void srv_witness_count(struct srv *s, int result)
{
	if (result >= 0 && result < WIT_NR)
		atomic_fetch_add(&s->wit[result], 1);
}

struct srv_limits *srv_limits(struct srv *s)
{
	return s->limits;
}

struct srv_oidc *srv_oidc(struct srv *s)
{
	struct srv_oidc *o;

	pthread_mutex_lock(&s->lock);
	o = s->oidc;
	srv_oidc_hold(o);
	pthread_mutex_unlock(&s->lock);
	return o;
}

/*
 * SIGHUP: the configuration file read again.  A file that does not
 * load, a provider that does not answer, or a hook whose files cannot
 * be used leaves the running configuration in place, all of it;
 * sign-ins under way go on when the client stays the same.
 */
static void reload(struct srv *s, const struct srv_opts *o)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_oidc_config *c = calloc(1, sizeof(*c));
	struct nhir_webhooks *hooks = calloc(1, sizeof(*hooks));
	struct srv_oidc *fresh = NULL, *old;
	struct srv_hookset *set = NULL;
	char secret[1024];
	bool found = false;

	if (!o->config || !o->config_load) {
		srv_log("SIGHUP: no --config to read again");
		free(c);
		free(hooks);
		return;
	}
	if (!c || !hooks)
		nhir_err_set(&err, NHIR_ENOMEM, "out of memory");
	else if (!o->config_load(o->config, c, &found, secret,
				 sizeof(secret), hooks, &err) &&
		 (!found || !srv_oidc_start(&fresh, c, secret, &err)))
		set = srv_hookset_new(s, hooks, &err);
	memset(secret, 0, sizeof(secret));
	free(c);
	free(hooks);
	if (err.rc || !set) {
		atomic_fetch_add(&s->reloads[1], 1);
		srv_log("SIGHUP: %s: %s; the running configuration stays",
			o->config, err.msg);
		srv_oidc_put(fresh);
		return;
	}
	pthread_mutex_lock(&s->lock);
	old = s->oidc;
	srv_oidc_carry(fresh, old);
	s->oidc = fresh;
	pthread_mutex_unlock(&s->lock);
	srv_oidc_put(old);
	srv_log("SIGHUP: %s read again; sign-in by OpenID Connect %s; %zu "
		"webhook(s)", o->config, fresh ? "on" : "off",
		srv_hookset_nr(set));
	srv_hooks_swap(s->hooks, set);
	atomic_fetch_add(&s->reloads[0], 1);
}

bool srv_cookie_secure(const struct srv *s)
{
	return s->cookie_secure;
}

void srv_client_address(struct srv_req *r, char *buf, size_t n)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	snprintf(buf, n, "unknown");
	ci = MHD_get_connection_info(r->con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !(sa = ci->client_addr))
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
			  buf, (socklen_t)n);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			  buf, (socklen_t)n);
}

bool srv_content_type(struct srv_req *r, const char *type)
{
	const char *t = MHD_lookup_connection_value(
		r->con, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t n = strlen(type);

	return t && !strncasecmp(t, type, n) &&
	       (!t[n] || t[n] == ';' || t[n] == ' ');
}

void srv_log(const char *fmt, ...)
{
	struct nhir_buf b = NHIR_BUF_INIT(0);
	char now[40];
	va_list ap;

	nhir_time_format((int64_t)time(NULL), now, sizeof(now));
	nhir_buf_addf(&b, "%s nhir serve: ", now);
	va_start(ap, fmt);
	nhir_buf_vaddf_visible(&b, NULL, fmt, ap);
	va_end(ap);
	nhir_buf_addch(&b, '\n');
	if (!b.err)
		fwrite(b.buf, 1, b.len, stderr);
	nhir_buf_release(&b);
}

const struct srv_opts *srv_opts(struct srv *s)
{
	return s->o;
}

const struct nhir_ctx *srv_lib(struct srv_req *r)
{
	const struct srv_opts *o = r->srv->o;

	r->lib = (struct nhir_ctx){
		.st = r->st,
		.actor = r->user,
		.now = NHIR_TIME_UNSET,
		.catalog = o->catalog,
		.policy = o->policy,
		.connectors = o->connectors,
		.tmpdir = o->upload_dir,
		.env = o->env,
		.env_data = o->env_data,
	};
	return &r->lib;
}

struct srv_feeds *srv_feeds(struct srv *s)
{
	return s->feeds;
}

bool srv_stopping(struct srv *s)
{
	return atomic_load(&s->stopping);
}

/* ---- the store pool ---- */

/*
 * The writer: one thread makes the record's changes, one request after
 * the other in the order they came, on one store handle whose cache no
 * other handle of this server makes stale.  A worker queues the request
 * and suspends its connection; the writer runs the route's handler,
 * whose answer is held (r->hold), and resumes the connection, whose
 * next call queues the answer.  A worker never waits on another's
 * change, and no request is passed by a later one.
 */
static void writer_run(struct srv *s, struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	enum MHD_Result ok;

	if (!s->writer && nhir_store_open(&s->writer, s->o->db, 0, &err)) {
		srv_log("the writer's database handle: %s", err.msg);
		s->writer = NULL;
	}
	r->st = s->writer;
	ok = api_change(r);
	if (r->st && r->st != s->writer)
		srv_store_put(s, r->st);
	r->st = NULL;
	/* no answer held: the connection is closed (on_request) */
	if (ok == MHD_NO && !r->held)
		srv_log("%s %s: the change gave no answer", r->method, r->url);
}

static void *writer_main(void *arg)
{
	struct srv *s = arg;
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&s->wlock);
	for (;;) {
		struct srv_req *batch, *r, *next;
		unsigned long nr = 0;

		while (!s->whead && !s->wstop)
			pthread_cond_wait(&s->wcond, &s->wlock);
		if (!s->whead)
			break;
		batch = s->whead;
		s->whead = s->wtail = NULL;
		pthread_mutex_unlock(&s->wlock);
		for (r = batch; r; r = next) {
			next = r->wnext;
			writer_run(s, r);
			nr++;
			MHD_resume_connection(r->con);
		}
		atomic_fetch_add(&s->batches, 1);
		atomic_fetch_add(&s->batched, nr);
		pthread_mutex_lock(&s->wlock);
	}
	pthread_mutex_unlock(&s->wlock);
	return NULL;
}

bool srv_writer_queue(struct srv_req *r)
{
	struct srv *s = r->srv;

	if (!s->wstarted)
		return false;
	r->hold = true;
	r->queued = true;
	r->wnext = NULL;
	/* suspended before the writer can see it, and so resume it */
	MHD_suspend_connection(r->con);
	pthread_mutex_lock(&s->wlock);
	if (s->wtail)
		s->wtail->wnext = r;
	else
		s->whead = r;
	s->wtail = r;
	pthread_cond_signal(&s->wcond);
	pthread_mutex_unlock(&s->wlock);
	return true;
}

/*
 * The checkpointer: a few times a second, when the writer made
 * changes, copies the log back into the database on a handle of its
 * own, so that the commit that reaches the log's limit (and copies the
 * rest itself) has little left to do and the changes queued behind it
 * wait less (SQLite; nothing to do on PostgreSQL).
 */
static void *checkpointer_main(void *arg)
{
	struct srv *s = arg;
	unsigned long done = 0;
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&s->wlock);
	while (!s->wstop) {
		struct timespec until;
		unsigned long made = atomic_load(&s->batched);

		if (made != done) {
			struct nhir_err err = NHIR_ERR_INIT;

			pthread_mutex_unlock(&s->wlock);
			if (nhir_store_checkpoint(s->cstore, &err))
				srv_log("checkpoint: %s", err.msg);
			else
				atomic_fetch_add(&s->checkpoints, 1);
			done = made;
			pthread_mutex_lock(&s->wlock);
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 200 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		if (!s->wstop)
			pthread_cond_timedwait(&s->ccond, &s->wlock, &until);
	}
	pthread_mutex_unlock(&s->wlock);
	return NULL;
}

static void writer_stop(struct srv *s)
{
	pthread_mutex_lock(&s->wlock);
	s->wstop = true;
	pthread_cond_signal(&s->wcond);
	pthread_cond_signal(&s->ccond);
	pthread_mutex_unlock(&s->wlock);
	if (s->wstarted)
		pthread_join(s->wthread, NULL);
	s->wstarted = false;
	if (s->cstarted)
		pthread_join(s->cthread, NULL);
	s->cstarted = false;
}

struct nhir_store *srv_store(struct srv *s, struct nhir_err *err)
{
	struct nhir_store *st = NULL;

	pthread_mutex_lock(&s->lock);
	if (s->idle_nr)
		st = s->idle[--s->idle_nr];
	pthread_mutex_unlock(&s->lock);
	if (st)
		return st;
	if (nhir_store_open(&st, s->o->db, s->o->read_only ?
			    NHIR_STORE_READONLY : 0, err))
		return NULL;
	return st;
}

void srv_store_put(struct srv *s, struct nhir_store *st)
{
	if (!st)
		return;
	pthread_mutex_lock(&s->lock);
	if (s->idle_nr < s->o->threads) {
		s->idle[s->idle_nr++] = st;
		st = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	nhir_store_close(st);
}

/* ---- responses ---- */

static void count(struct srv_req *r)
{
	size_t k = NHIR_ARRAY_SIZE(statuses);

	for (size_t i = 0; i < NHIR_ARRAY_SIZE(statuses); i++)
		if (statuses[i] == r->status)
			k = i;
	atomic_fetch_add(&r->srv->count[r->route][k], 1);
}

enum MHD_Result srv_respond(struct srv_req *r, unsigned status,
			    const char *type, const char *body, size_t len)
{
	struct MHD_Response *res;

	res = MHD_create_response_from_buffer(len, (void *)body,
					      MHD_RESPMEM_MUST_COPY);
	if (!res)
		return MHD_NO;
	return srv_queue(r, status, type, res);
}

void srv_headers(struct srv_req *r, unsigned status, const char *type,
		 struct MHD_Response *res)
{
	const char *csp = "default-src 'none'; frame-ancestors 'none'";
	const char *cache = "no-store";

	srv_ui_policy(r, status, &csp, &cache);
	MHD_add_response_header(res, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(res, "Content-Security-Policy", csp);
	MHD_add_response_header(res, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(res, "X-Frame-Options", "DENY");
	MHD_add_response_header(res, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(res, "Cache-Control", cache);
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(res, "WWW-Authenticate",
					"Bearer realm=\"nhir\"");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED) {
		char allow[64];

		api_route_allow(r->route, allow, sizeof(allow));
		MHD_add_response_header(res, "Allow", allow);
	}
	if (r->etag[0])
		MHD_add_response_header(res, MHD_HTTP_HEADER_ETAG, r->etag);
	if (r->location[0] && status == MHD_HTTP_CREATED)
		MHD_add_response_header(res, MHD_HTTP_HEADER_LOCATION,
					r->location);
	if (r->srv->tls)
		MHD_add_response_header(res, "Strict-Transport-Security",
					"max-age=31536000");
	if (r->set_cookie[0])
		MHD_add_response_header(res, MHD_HTTP_HEADER_SET_COOKIE,
					r->set_cookie);
	if (r->set_cookie2[0])
		MHD_add_response_header(res, MHD_HTTP_HEADER_SET_COOKIE,
					r->set_cookie2);
	if (r->redirect)
		MHD_add_response_header(res, MHD_HTTP_HEADER_LOCATION,
					r->redirect);
	if (status == 429 && r->retry_after) {
		char ra[24];

		snprintf(ra, sizeof(ra), "%u", r->retry_after);
		MHD_add_response_header(res, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	if (atomic_load(&r->srv->stopping) || r->too_big || r->close)
		MHD_add_response_header(res, MHD_HTTP_HEADER_CONNECTION,
					"close");
}

enum MHD_Result srv_queue_shared(struct srv_req *r, unsigned status,
				 struct MHD_Response *res)
{
	enum MHD_Result ok = MHD_queue_response(r->con, status, res);

	r->answered = true;
	r->status = status;
	return ok;
}

enum MHD_Result srv_queue(struct srv_req *r, unsigned status,
			  const char *type, struct MHD_Response *res)
{
	enum MHD_Result ok;

	srv_headers(r, status, type, res);
	if (r->hold && !r->held) {
		r->held = res;
		r->held_status = status;
		r->answered = true;
		r->status = status;
		return MHD_YES;
	}
	ok = MHD_queue_response(r->con, status, res);
	MHD_destroy_response(res);
	r->answered = true;
	r->status = status;
	return ok;
}

enum MHD_Result srv_respond_doc(struct srv_req *r, unsigned status,
				cJSON *doc)
{
	char *s = doc ? cJSON_PrintUnformatted(doc) : NULL;
	enum MHD_Result ok;

	cJSON_Delete(doc);
	if (!s)
		return srv_problem(r, 500, NHIR_ENOMEM, "internal",
				   "Internal error", "out of memory");
	ok = srv_respond(r, status, "application/json", s, strlen(s));
	cJSON_free(s);
	return ok;
}

enum MHD_Result srv_problem(struct srv_req *r, unsigned status,
			    enum nhir_rc rc, const char *slug,
			    const char *title, const char *detail)
{
	return srv_problem_ext(r, status, rc, slug, title, detail, NULL);
}

enum MHD_Result srv_problem_ext(struct srv_req *r, unsigned status,
				enum nhir_rc rc, const char *slug,
				const char *title, const char *detail,
				cJSON *ext)
{
	cJSON *p = cJSON_CreateObject();
	char type[80];
	char *s;
	enum MHD_Result ok;

	snprintf(type, sizeof(type), "urn:nhir:problem:%s", slug);
	if (p && (!cJSON_AddStringToObject(p, "type", type) ||
		  !cJSON_AddStringToObject(p, "title", title) ||
		  !cJSON_AddNumberToObject(p, "status", status) ||
		  !cJSON_AddStringToObject(p, "detail", detail) ||
		  !cJSON_AddStringToObject(p, "code", nhir_rc_name(rc)))) {
		cJSON_Delete(p);
		p = NULL;
	}
	while (ext && ext->child) {
		cJSON *m = cJSON_DetachItemViaPointer(ext, ext->child);

		if (p)
			cJSON_AddItemToObject(p, m->string, m);
		else
			cJSON_Delete(m);
	}
	cJSON_Delete(ext);
	s = p ? cJSON_PrintUnformatted(p) : NULL;
	cJSON_Delete(p);
	if (!s)
		return MHD_NO;
	ok = srv_respond(r, status, "application/problem+json", s, strlen(s));
	cJSON_free(s);
	return ok;
}

enum MHD_Result srv_fail_ext(struct srv_req *r, const struct nhir_err *err,
			     cJSON *ext)
{
	const char *msg = err->msg[0] ? err->msg : nhir_strerror(err->rc);

	switch (err->rc) {
	case NHIR_EINVAL:
	case NHIR_EPARSE:
	case NHIR_EAMBIGUOUS:
		return srv_problem_ext(r, 400, err->rc, "invalid",
				       "Bad request", msg, ext);
	case NHIR_ETOOBIG:
		return srv_problem_ext(r, 413, err->rc, "too-big",
				       "Content too large", msg, ext);
	case NHIR_ENOTFOUND:
		return srv_problem_ext(r, 404, err->rc, "not-found",
				       "Not found", msg, ext);
	case NHIR_EDENIED:
		return srv_problem_ext(r, 403, err->rc, "forbidden",
				       "Not authorized", msg, ext);
	case NHIR_ECONFLICT:
		return srv_problem_ext(r, 409, err->rc, "conflict", "Conflict",
				       msg, ext);
	case NHIR_ESTALE:
		return srv_problem_ext(r, 412, err->rc, "stale",
				       "Precondition failed", msg, ext);
	case NHIR_EUNSUPPORTED:
		return srv_problem_ext(r, 501, err->rc, "not-implemented",
				       "Not implemented", msg, ext);
	case NHIR_EREADONLY:
		/* a standby met without --read-only */
		srv_log("%s %s: %s", r->method, r->url, msg);
		return srv_problem_ext(r, 503, err->rc, "read-only",
				       "Read-only database", "the database "
				       "takes no changes (a standby?): send "
				       "changes to the server of the primary "
				       "database", ext);
	case NHIR_EUNAVAILABLE:
		/* the database went away: try again; the log has its words */
		srv_log("%s %s: %s", r->method, r->url, msg);
		return srv_problem_ext(r, 503, err->rc, "unavailable",
				       "Service unavailable", "the database "
				       "cannot be reached now; try again",
				       ext);
	default:
		/* the store's own words stay in the server's log */
		srv_log("%s %s: %s", r->method, r->url, msg);
		return srv_problem_ext(r, 500, err->rc, "internal",
				       "Internal error",
				       "the server failed; its log says why",
				       ext);
	}
}

enum MHD_Result srv_fail(struct srv_req *r, const struct nhir_err *err)
{
	return srv_fail_ext(r, err, NULL);
}

/* ---- metrics ---- */

char *srv_metrics_text(struct srv *s, struct nhir_store *db, size_t *len)
{
	struct nhir_buf b = NHIR_BUF_INIT(0);
	uint64_t bytes = 0;
	char *out;

	nhir_buf_addf(&b, "# HELP nhir_http_requests_total HTTP requests "
		      "answered, by route and status.\n"
		      "# TYPE nhir_http_requests_total counter\n");
	for (int rt = 0; rt < ROUTE_NR; rt++)
		for (size_t k = 0; k < STATUS_NR; k++) {
			unsigned long n = atomic_load(&s->count[rt][k]);
			char st[16];

			if (!n)
				continue;
			if (k < NHIR_ARRAY_SIZE(statuses))
				snprintf(st, sizeof(st), "%u", statuses[k]);
			else
				snprintf(st, sizeof(st), "other");
			nhir_buf_addf(&b, "nhir_http_requests_total{route=\"%s\","
				      "status=\"%s\"} %lu\n", api_route_name((enum srv_route)rt),
				      st, n);
		}
	nhir_buf_addf(&b, "# HELP nhir_http_request_duration_seconds Time "
		      "from a request's first byte to its answer, by route.\n"
		      "# TYPE nhir_http_request_duration_seconds histogram\n");
	for (int rt = 0; rt < ROUTE_NR; rt++) {
		const char *name = api_route_name((enum srv_route)rt);
		unsigned long us = atomic_load(&s->micros[rt]);
		unsigned long all = atomic_load(&s->answered[rt]);

		if (!all)
			continue;
		for (size_t k = 0; k < BUCKET_NR; k++)
			nhir_buf_addf(&b, "nhir_http_request_duration_seconds_"
				      "bucket{route=\"%s\",le=\"%g\"} %lu\n",
				      name, (double)buckets[k] / 1e6,
				      atomic_load(&s->le[rt][k]));
		nhir_buf_addf(&b, "nhir_http_request_duration_seconds_bucket{"
			      "route=\"%s\",le=\"+Inf\"} %lu\n"
			      "nhir_http_request_duration_seconds_sum{route="
			      "\"%s\"} %lu.%06lu\n"
			      "nhir_http_request_duration_seconds_count{route="
			      "\"%s\"} %lu\n", name, all, name, us / 1000000,
			      us % 1000000, name, all);
	}
	if (db && !nhir_store_bytes(db, &bytes, NULL))
		nhir_buf_addf(&b, "# HELP nhir_store_bytes Space the database "
			      "takes on disk (the SQLite file, or the "
			      "PostgreSQL database).\n# TYPE nhir_store_bytes "
			      "gauge\nnhir_store_bytes %" PRIu64 "\n", bytes);
	nhir_buf_addf(&b, "# HELP nhir_http_requests_in_flight Requests being "
		      "answered.\n# TYPE nhir_http_requests_in_flight gauge\n"
		      "nhir_http_requests_in_flight %ld\n",
		      atomic_load(&s->inflight));
	nhir_buf_addf(&b, "# HELP nhir_config_reloads_total Readings of the "
		      "configuration file on SIGHUP.\n# TYPE "
		      "nhir_config_reloads_total counter\n"
		      "nhir_config_reloads_total{result=\"ok\"} %lu\n"
		      "nhir_config_reloads_total{result=\"failed\"} %lu\n",
		      atomic_load(&s->reloads[0]), atomic_load(&s->reloads[1]));
	if (s->o->witness)
		nhir_buf_addf(&b, "# HELP nhir_witness_sends_total Checkpoints "
			      "of this log sent to the witness, by result.\n"
			      "# TYPE nhir_witness_sends_total counter\n"
			      "nhir_witness_sends_total{result=\"ok\"} %lu\n"
			      "nhir_witness_sends_total{result=\"refused\"} "
			      "%lu\n"
			      "nhir_witness_sends_total{result=\"failed\"} "
			      "%lu\n", atomic_load(&s->wit[WIT_OK]),
			      atomic_load(&s->wit[WIT_REFUSED]),
			      atomic_load(&s->wit[WIT_FAILED]));
	srv_cache_metrics(s->cache, &b);
	srv_graphs_metrics(s->graphs, &b);
	srv_feeds_metrics(s->feeds, &b);
	nhir_buf_addf(&b, "# HELP nhir_writer_runs_total Times the writer "
		      "took what was queued.\n# TYPE nhir_writer_runs_total "
		      "counter\nnhir_writer_runs_total %lu\n"
		      "# HELP nhir_writer_changes_total Changes the writer "
		      "made, in the order they came.\n# TYPE "
		      "nhir_writer_changes_total counter\n"
		      "nhir_writer_changes_total %lu\n",
		      atomic_load(&s->batches), atomic_load(&s->batched));
	nhir_buf_addf(&b, "# HELP nhir_checkpoints_total Copies of the "
		      "write-ahead log back into the database, off the "
		      "writer's path.\n# TYPE nhir_checkpoints_total counter\n"
		      "nhir_checkpoints_total %lu\n",
		      atomic_load(&s->checkpoints));
	srv_hooks_metrics(s->hooks, &b);
	srv_ssf_metrics(s->ssf, &b);
	if (b.err) {
		nhir_buf_release(&b);
		return NULL;
	}
	out = malloc(b.len + 1);
	if (out) {
		memcpy(out, b.buf, b.len);
		out[b.len] = '\0';
		*len = b.len;
	}
	nhir_buf_release(&b);
	return out;
}

/* ---- requests ---- */

static int64_t micros_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct req_slot {
	struct srv_req r;
	int64_t started;
};

static enum MHD_Result first_call(struct srv *s, struct MHD_Connection *c,
				  struct srv_req *r)
{
	const char *cl;
	bool method_ok = true, upload;
	enum srv_upload_kind kind = SRV_UP_INGEST;
	uint64_t limit;

	if (atomic_load(&s->stopping))
		return srv_problem(r, 503, NHIR_OK, "stopping",
				   "Service unavailable",
				   "the server is stopping");
	r->route = api_route(r, &method_ok);
	upload = method_ok && api_route_upload(r, &kind);
	limit = upload ? s->o->max_upload : s->o->max_body;
	/* a body too large is refused unread, whatever the route */
	cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl) {
		char *end;
		unsigned long long n;

		errno = 0;
		n = strtoull(cl, &end, 10);
		if (errno || end == cl || *end ||
		    (n > SRV_DRAIN_MAX && n > limit)) {
			r->too_big = true;
			return srv_problem(r, 413, NHIR_ETOOBIG, "too-big",
					   "Content too large",
					   "the request body is larger than "
					   "the server takes");
		}
		/*
		 * Over the limit but not by much: read it (and drop it)
		 * before answering 413, so that a proxy which sends the
		 * whole body first gets the answer, not a reset.
		 */
		if (n > limit)
			r->too_big = true;
	}
	if (r->route == ROUTE_NONE) {
		enum MHD_Result ok;

		/* the web workbench's page and assets */
		if (srv_ui(r, &ok))
			return ok;
		return srv_problem(r, 404, NHIR_ENOTFOUND, "not-found",
				   "Not found", "no such route");
	}
	if (!method_ok)
		return srv_problem(r, 405, NHIR_EINVAL, "method",
				   "Method not allowed",
				   "this route does not take that method");
	/* nothing of a change is read on a server that takes none */
	if (s->o->read_only && api_route_writes(r))
		return srv_problem(r, 503, NHIR_EREADONLY, "read-only",
				   "Read-only server", "this server only "
				   "reads (nhir serve --read-only): send "
				   "changes to the server of the primary "
				   "database");
	if (upload && !r->too_big) {
		enum MHD_Result ok;

		/*
		 * A refusal of a body small enough to drain is answered once
		 * the body is read and dropped: a client still sending when
		 * the server closes can miss the answer.  A larger one is
		 * answered at once, and the connection closed.
		 */
		r->hold = !cl || strtoull(cl, NULL, 10) <= SRV_DRAIN_MAX;
		r->close = !r->hold;
		ok = up_begin(r, kind);
		r->hold = false;
		/* the store is back in the pool while the body streams in */
		srv_store_put(s, r->st);
		r->st = NULL;
		return ok;
	}
	return MHD_YES;
}

/* An upload that has taken too long, or kept sending after failing. */
static bool upload_cut(struct srv *s, struct req_slot *slot)
{
	struct srv_req *r = &slot->r;
	int64_t took = micros_now() - slot->started;

	if (s->o->upload_time &&
	    took > (int64_t)s->o->upload_time * 1000000) {
		srv_log("%s %s: upload cut off after %u s (%" PRIu64
			" bytes received)", r->method, r->url,
			s->o->upload_time, srv_upload_received(r->up));
		return true;
	}
	if (srv_upload_failed(r->up) &&
	    srv_upload_received(r->up) > s->o->max_upload + SRV_DRAIN_MAX) {
		srv_log("%s %s: upload refused, and still sending: closed",
			r->method, r->url);
		return true;
	}
	return false;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct srv *s = cls;
	struct req_slot *slot = *con_cls;
	struct srv_req *r;
	enum MHD_Result ok;

	(void)version;
	if (!slot) {
		slot = calloc(1, sizeof(*slot));
		if (!slot)
			return MHD_NO;
		*con_cls = slot;
		slot->started = micros_now();
		r = &slot->r;
		r->srv = s;
		r->con = c;
		r->url = url;
		r->method = method;
		atomic_fetch_add(&s->inflight, 1);
		return first_call(s, c, r);
	}
	r = &slot->r;
	/* back from the writer without an answer: closed */
	if (r->queued && !r->held)
		return MHD_NO;
	if (r->held) {
		struct MHD_Response *res = r->held;

		if (*upload_size) {
			r->dropped += *upload_size;
			*upload_size = 0;
			return r->dropped > SRV_DRAIN_MAX ? MHD_NO : MHD_YES;
		}
		r->held = NULL;
		ok = MHD_queue_response(c, r->held_status, res);
		MHD_destroy_response(res);
		return ok;
	}
	if (r->answered) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size && r->up) {
		srv_upload_feed(r->up, upload, *upload_size);
		*upload_size = 0;
		return upload_cut(s, slot) ? MHD_NO : MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size;

		*upload_size = 0;
		if (r->too_big || n > s->o->max_body - r->len) {
			r->too_big = true;
			return MHD_YES;
		}
		if (r->len + n + 1 > r->cap) {
			size_t cap = r->len + n + 1 > 4096 ? r->len + n + 1 : 4096;
			char *b = realloc(r->body, cap);

			if (!b)
				return MHD_NO;
			r->body = b;
			r->cap = cap;
		}
		memcpy(r->body + r->len, upload, n);
		r->len += n;
		r->body[r->len] = '\0';
		return MHD_YES;
	}
	if (r->too_big)
		return srv_problem(r, 413, NHIR_ETOOBIG, "too-big",
				   "Content too large",
				   "the request body is larger than the "
				   "server takes");
	ok = api_handle(r);
	/* a queued change's handle is the writer's to give back */
	if (r->st && !r->queued) {
		srv_store_put(s, r->st);
		r->st = NULL;
	}
	return ok;
}

static void on_completed(void *cls, struct MHD_Connection *c,
			 void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct srv *s = cls;
	struct req_slot *slot = *con_cls;
	unsigned long took;

	(void)c;
	if (!slot)
		return;
	if (!slot->r.answered)
		slot->r.status = 0;
	count(&slot->r);
	took = (unsigned long)(micros_now() - slot->started);
	atomic_fetch_add(&s->micros[slot->r.route], took);
	atomic_fetch_add(&s->answered[slot->r.route], 1);
	/* cumulative, as Prometheus has it: every bucket it fits in */
	for (size_t k = 0; k < BUCKET_NR; k++)
		if (took <= buckets[k])
			atomic_fetch_add(&s->le[slot->r.route][k], 1);
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
		srv_log("%s %s: connection ended early (%d)", slot->r.method,
			slot->r.url, (int)toe);
	free(slot->r.body);
	if (slot->r.held)
		MHD_destroy_response(slot->r.held);
	srv_upload_free(slot->r.up);
	free(slot);
	*con_cls = NULL;
	atomic_fetch_sub(&s->inflight, 1);
}

/* ---- listening ---- */

/* "ADDR:PORT" or "[ADDR6]:PORT", numeric only, into *ss. */
static bool parse_listen(const char *s, struct sockaddr_storage *ss,
			 socklen_t *sl)
{
	char host[64];
	const char *port;
	struct addrinfo hints, *ai = NULL;
	size_t n;

	if (s[0] == '[') {
		const char *e = strchr(s, ']');

		if (!e || e[1] != ':')
			return false;
		n = (size_t)(e - s - 1);
		port = e + 2;
		s++;
	} else {
		port = strrchr(s, ':');
		if (!port)
			return false;
		n = (size_t)(port - s);
		port++;
	}
	if (!n || n >= sizeof(host) || !*port || strspn(port, "0123456789") !=
	    strlen(port) || strlen(port) > 5 || strtol(port, NULL, 10) > 65535)
		return false;
	memcpy(host, s, n);
	host[n] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &ai) || !ai)
		return false;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sl = ai->ai_addrlen;
	freeaddrinfo(ai);
	return true;
}

/*
 * Listening on a loopback address, the server is reached from this
 * host only, over plain HTTP: its cookies cannot ask for TLS.  Any other
 * address is reached through a TLS proxy, and they do.
 */
static bool loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)(const void *)ss)
				      ->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(
			&((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr);
	return false;
}

static void print_listening(struct srv *s, const struct sockaddr_storage *ss)
{
	const union MHD_DaemonInfo *di;
	char host[INET6_ADDRSTRLEN];
	unsigned port = 0;

	di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	if (di)
		port = di->port;
	if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr,
			  host, sizeof(host));
		printf("listening on %s://[%s]:%u\n",
		       s->tls ? "https" : "http", host, port);
	} else {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
			  host, sizeof(host));
		printf("listening on %s://%s:%u\n", s->tls ? "https" : "http",
		       host, port);
	}
	fflush(stdout);
}

/*
 * A PEM file for TLS, whole, into *out (NUL-terminated; the caller
 * wipes and frees it).  A private key must be kept from group and
 * others: a key anyone on the host can read is no key.
 */
static bool read_pem(const char *path, bool secret, char **out)
{
	struct stat sb;
	char *buf = NULL;
	ssize_t n;
	size_t len = 0;
	int fd;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		srv_log("%s: %s", path, strerror(errno));
		return false;
	}
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) ||
	    sb.st_size > SRV_PEM_MAX) {
		srv_log("%s: not a regular file of at most %d bytes", path,
			SRV_PEM_MAX);
		goto fail;
	}
	if (secret && (sb.st_mode & 077)) {
		srv_log("%s: the private key is readable by group or others "
			"(mode %03o): chmod 600 it", path,
			(unsigned)(sb.st_mode & 0777));
		goto fail;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf)
		goto fail;
	while (len < (size_t)sb.st_size &&
	       (n = read(fd, buf + len, (size_t)sb.st_size - len)) > 0)
		len += (size_t)n;
	buf[len] = 0;
	if (!len || !strstr(buf, "-----BEGIN ")) {
		srv_log("%s: not PEM (no -----BEGIN line)", path);
		goto fail;
	}
	close(fd);
	*out = buf;
	return true;
fail:
	if (buf) {
		memset(buf, 0, len);
		free(buf);
	}
	close(fd);
	return false;
}

static void wipe(char *p)
{
	if (!p)
		return;
	/* a volatile pointer: the wipe of a buffer about to be freed stays */
	for (volatile char *v = p; *v; v++)
		*v = 0;
	free(p);
}

/* libmicrohttpd's own messages: its format, its arguments */
__attribute__((format(printf, 2, 0)))
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	srv_log("%s", line);
}

int srv_run(const struct srv_opts *o)
{
	struct srv *s;
	struct sockaddr_storage ss;
	socklen_t sl = 0;
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_store *st;
	struct stat sb;
	char *cert = NULL, *key = NULL;
	struct MHD_OptionItem tls[4] = {
		{ MHD_OPTION_END, 0, NULL }, { MHD_OPTION_END, 0, NULL },
		{ MHD_OPTION_END, 0, NULL }, { MHD_OPTION_END, 0, NULL },
	};
	sigset_t set;
	int sig = 0, rc = 1;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
			 MHD_USE_ITC | MHD_USE_ERROR_LOG |
			 MHD_ALLOW_SUSPEND_RESUME;

	memset(&ss, 0, sizeof(ss));
	if (!parse_listen(o->listen, &ss, &sl)) {
		srv_log("cannot listen on '%s': want ADDR:PORT or "
			"[ADDR6]:PORT, numeric", o->listen);
		return 1;
	}
	errno = 0;
	if (!o->upload_dir || access(o->upload_dir, W_OK | X_OK) ||
	    stat(o->upload_dir, &sb) || !S_ISDIR(sb.st_mode)) {
		srv_log("cannot keep uploads in '%s': %s", o->upload_dir ?
			o->upload_dir : "(none)", errno ? strerror(errno)
			: "not a directory");
		return 1;
	}
	if (o->tls_cert && (!read_pem(o->tls_cert, false, &cert) ||
			    !read_pem(o->tls_key, true, &key))) {
		wipe(cert);
		return 1;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		wipe(cert);
		wipe(key);
		return 1;
	}
	s->o = o;
	s->tls = cert != NULL;
	s->idle = calloc(o->threads, sizeof(*s->idle));
	s->limits = srv_limits_new(o->login_user, o->login_addr);
	/* without it every answer is built: slower, as right */
	s->cache = srv_cache_new();
	s->graphs = srv_graphs_new();
	s->cookie_secure = s->tls || !loopback(&ss);
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->wlock, NULL);
	pthread_cond_init(&s->wcond, NULL);
	pthread_cond_init(&s->ccond, NULL);
	/* the database must be there and readable before anyone connects */
	st = s->idle && s->limits ? srv_store(s, &err) : NULL;
	if (!st) {
		srv_log("%s", err.msg[0] ? err.msg : "out of memory");
		goto out;
	}
	if (o->witness) {
		char log[NHIR_LOG_ID_LEN];

		/* a checkpoint the witness can keep names its log */
		if (nhir_log_id(st, log, &err)) {
			srv_log("witness: %s", err.msg);
			srv_store_put(s, st);
			goto out;
		}
	}
	srv_store_put(s, st);
	if (o->oidc && srv_oidc_start(&s->oidc, o->oidc, o->oidc_secret,
				      &err)) {
		srv_log("OpenID Connect: %s", err.msg);
		goto out;
	}

	/* the workers never see the stop signals: this thread waits */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (s->tls)
		flags |= MHD_USE_TLS;
	{
		struct srv_hookset *hs = srv_hookset_new(s, o->hooks, &err);

		if (!hs) {
			srv_log("%s", err.msg);
			goto out;
		}
		s->hooks = srv_hooks_start(s, hs, o->hook_backoff_ms);
		if (!s->hooks) {
			srv_log("webhooks: the sending thread did not start");
			goto out;
		}
	}
	if (o->ssf && !(s->ssf = srv_ssf_start(s, o->ssf, o->hook_backoff_ms,
					       &err))) {
		srv_log("%s", err.msg);
		goto out;
	}
	/* without a checkpointer, commits copy the whole log themselves */
	if (!nhir_store_open(&s->cstore, o->db, 0, &err))
		s->cstarted = !pthread_create(&s->cthread, NULL,
					      checkpointer_main, s);
	s->wstarted = !pthread_create(&s->wthread, NULL, writer_main, s);
	if (!s->wstarted)
		srv_log("the writer thread did not start: changes are made "
			"by the workers");
	s->watches = srv_watches_new(s);
	s->feeds = srv_feeds_start(s);
	if (!s->feeds)
		srv_log("live feeds are off: the watcher did not start");
	if (s->tls) {
		/* TLS 1.2 and 1.3 only */
		tls[0] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0,
						  cert };
		tls[1] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0,
						  key };
		tls[2] = (struct MHD_OptionItem){
			MHD_OPTION_HTTPS_PRIORITIES, 0,
			(void *)"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2" };
	}
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
		MHD_OPTION_ARRAY, tls,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, o->threads,
		MHD_OPTION_CONNECTION_TIMEOUT, o->timeout,
		MHD_OPTION_CONNECTION_LIMIT, 1024u,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, 256u,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 << 10),
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_END);
	if (!s->d) {
		srv_log("cannot listen on %s: %s", o->listen,
			strerror(errno ? errno : EADDRINUSE));
		goto out;
	}
	if (o->witness && !(s->witness = srv_witness_start(s))) {
		srv_log("witness: the sender did not start");
		MHD_stop_daemon(s->d);
		goto out;
	}
	print_listening(s, &ss);
	srv_log("serving %s with %u threads", o->db, o->threads);
	for (;;) {
		if (sigwait(&set, &sig))
			continue;
		if (sig != SIGHUP)
			break;
		reload(s, o);
	}
	srv_log("signal %d: stopping; requests in flight finish", sig);
	atomic_store(&s->stopping, true);
	MHD_quiesce_daemon(s->d);
	/* their verdicts on the record before the feeds and hooks stop */
	srv_watches_stop(s->watches);
	srv_feeds_stop(s->feeds);
	srv_witness_stop(s->witness);
	s->witness = NULL;
	srv_hooks_stop(s->hooks);
	s->hooks = NULL;
	srv_ssf_stop(s->ssf);
	s->ssf = NULL;
	for (int i = 0; i < SRV_DRAIN_SECONDS * 100 &&
			atomic_load(&s->inflight) > 0; i++)
		usleep(10000);
	if (atomic_load(&s->inflight) > 0)
		srv_log("%ld requests still in flight after %d s; closing them",
			atomic_load(&s->inflight), SRV_DRAIN_SECONDS);
	MHD_stop_daemon(s->d);
	writer_stop(s);
	srv_log("stopped");
	rc = 0;
out:
	srv_watches_free(s->watches);
	s->watches = NULL;
	writer_stop(s);
	srv_hooks_stop(s->hooks);
	srv_ssf_stop(s->ssf);
	srv_feeds_stop(s->feeds);
	srv_feeds_free(s->feeds);
	for (size_t i = 0; i < s->idle_nr; i++)
		nhir_store_close(s->idle[i]);
	nhir_store_close(s->writer);
	nhir_store_close(s->cstore);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->wlock);
	pthread_cond_destroy(&s->wcond);
	pthread_cond_destroy(&s->ccond);
	srv_limits_free(s->limits);
	srv_cache_free(s->cache);
	srv_graphs_free(s->graphs);
	srv_oidc_put(s->oidc);
	free(s->idle);
	free(s);
	wipe(cert);
	wipe(key);
	return rc;
}
