/*
 * Shared Signals from nhir serve (include/nhir/ssf.h): the transmitter's
 * metadata and keys, the stream management endpoints (SSF 1.0), poll
 * (RFC 8936), and one thread that reads the audit log for the events
 * the streams want and pushes (RFC 8935) what is due, retried with a
 * doubling wait as webhooks are.  Receiving a SET from a configured
 * identity provider is POST /api/v1/ssf/receive.
 *
 * The signing key is read at start and held here only; it is never
 * printed.  Every management call is an admin's (the library checks).
 */
#include "compat.h"
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include "nhir/ssf.h"
#include "nhir/version.h"
#include "nhir/webhook.h"
#include "server/server-internal.h"

#define SSF_TIMEOUT 10L		/* seconds a receiver has to answer */
#define SSF_POLL_MS 200		/* how often the thread looks, at most */
#define SSF_BATCH 16		/* SETs pushed between two looks */
#define SSF_SCAN_LIMIT 500	/* entries a stream reads per look */
#define SSF_LONG_POLL 10	/* seconds a poll may wait for a SET */

struct srv_ssf {
	struct srv *srv;
	struct nhir_ssf_config cfg;
	struct nhir_ssf_key key;
	char *jwks[NHIR_SSF_IDPS_MAX];	/* the providers' keys */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop, started;
	pthread_t thread;
	int64_t base_ms;
	unsigned long pushed[2];	/* ok, failed */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- pushing ---- */

struct due {
	struct nhir_ssf_set s;
	char *jti, *jws, *endpoint;
};

struct due_list {
	struct due v[SSF_BATCH];
	size_t nr;
};

static int due_cb(const struct nhir_ssf_set *s, void *data)
{
	struct due_list *l = data;
	struct due *u;

	if (l->nr == SSF_BATCH)
		return 1;
	u = &l->v[l->nr];
	u->s = *s;
	u->jti = strdup(s->jti ? s->jti : "");
	u->jws = strdup(s->jws ? s->jws : "");
	u->endpoint = strdup(s->endpoint ? s->endpoint : "");
	if (!u->jti || !u->jws || !u->endpoint) {
		free(u->jti);
		free(u->jws);
		free(u->endpoint);
		return 1;
	}
	u->s.jti = u->jti;
	u->s.jws = u->jws;
	u->s.endpoint = u->endpoint;
	l->nr++;
	return 0;
}

static void push_due(struct srv_ssf *x)
{
	static const char *const hdrs[] = {
		"Content-Type: application/secevent+jwt",
		"Accept: application/json",
		("User-Agent: nhir/" NHIR_VERSION),
	};
	struct nhir_err err = NHIR_ERR_INIT;
	struct due_list l;
	struct nhir_store *st;

	memset(&l, 0, sizeof(l));
	st = srv_store(x->srv, &err);
	if (!st || nhir_ssf_due(st, now_ms(), SSF_BATCH, due_cb, &l, &err))
		srv_log("ssf: %s", err.msg);
	srv_store_put(x->srv, st);
	for (size_t i = 0; i < l.nr; i++) {
		struct due *u = &l.v[i];
		const char *state = "";
		char why[300] = "";
		long status = 0;
		bool ok = false, final = false, stopping;

		pthread_mutex_lock(&x->lock);
		stopping = x->stop;
		pthread_mutex_unlock(&x->lock);
		if (stopping)
			break;
		err = (struct nhir_err)NHIR_ERR_INIT;
		if (nhir_http_post(u->endpoint, hdrs, NHIR_ARRAY_SIZE(hdrs),
				   u->jws, strlen(u->jws), SSF_TIMEOUT,
				   &status, &err)) {
			snprintf(why, sizeof(why), "%s", err.msg);
		} else if (status >= 200 && status < 300) {
			ok = true;
		} else {
			/* RFC 8935 2.3: a 400 is the receiver's refusal */
			final = status == 400;
			snprintf(why, sizeof(why), "the receiver answered HTTP "
				 "%ld", status);
		}
		pthread_mutex_lock(&x->lock);
		x->pushed[ok ? 0 : 1]++;
		pthread_mutex_unlock(&x->lock);
		err = (struct nhir_err)NHIR_ERR_INIT;
		st = srv_store(x->srv, &err);
		if (!st || nhir_ssf_pushed(st, &u->s, ok, final, status, why,
					   now_ms(), x->base_ms, &state, &err))
			srv_log("ssf: SET %s: %s", u->jti, err.msg);
		else
			srv_log("ssf: stream %" PRId64 ": SET %s attempt %d: "
				"%s%s%s", u->s.stream, u->jti,
				u->s.attempts + 1, state, ok ? "" : ": ",
				ok ? "" : why);
		srv_store_put(x->srv, st);
	}
	for (size_t i = 0; i < l.nr; i++) {
		free(l.v[i].jti);
		free(l.v[i].jws);
		free(l.v[i].endpoint);
	}
}

static void *run(void *arg)
{
	struct srv_ssf *x = arg;
	int64_t seen = -1;
	long poll = x->base_ms < SSF_POLL_MS ? (long)x->base_ms : SSF_POLL_MS;

	for (;;) {
		struct nhir_err err = NHIR_ERR_INIT;
		struct nhir_store *st;
		struct timespec ts;
		int64_t newest = 0;
		size_t queued = 0;

		pthread_mutex_lock(&x->lock);
		if (x->stop) {
			pthread_mutex_unlock(&x->lock);
			break;
		}
		pthread_mutex_unlock(&x->lock);
		st = srv_store(x->srv, &err);
		/* a new stream starts at the newest entry: seen again */
		if (st && !nhir_audit_newest(st, &newest, &err) &&
		    (newest != seen || seen < 0) &&
		    !nhir_ssf_scan(st, &x->key, x->cfg.issuer, SSF_SCAN_LIMIT,
				   &queued, &err))
			seen = newest;
		if (err.rc)
			srv_log("ssf: %s", err.msg);
		srv_store_put(x->srv, st);
		push_due(x);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += poll * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_mutex_lock(&x->lock);
		if (!x->stop)
			pthread_cond_timedwait(&x->wake, &x->lock, &ts);
		pthread_mutex_unlock(&x->lock);
	}
	return NULL;
}

/* The JWK set in path (a file of at most 64 KiB), or NULL. */
static char *read_jwks(const struct nhir_ssf_idp *p, struct nhir_err *err)
{
	char *buf = malloc(65537);
	size_t n = 0, r;
	cJSON *j;
	bool ok;
	FILE *f;

	if (!buf) {
		nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		return NULL;
	}
	f = fopen(p->jwks_file, "r");
	if (!f) {
		nhir_err_set(err, NHIR_EIO, "%s: ssf: jwks_file %s: %s", p->at,
			     p->jwks_file, strerror(errno));
		free(buf);
		return NULL;
	}
	while (n < 65536 && (r = fread(buf + n, 1, 65536 - n, f)) > 0)
		n += r;
	fclose(f);
	buf[n] = '\0';
	j = n < 65536 ? cJSON_Parse(buf) : NULL;
	ok = cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "keys"));
	cJSON_Delete(j);
	if (!ok) {
		nhir_err_set(err, NHIR_EPARSE, "%s: ssf: jwks_file %s is not "
			     "a JWK set of at most 64 KiB", p->at,
			     p->jwks_file);
		free(buf);
		return NULL;
	}
	return buf;
}

static int none_cb(const struct nhir_ssf_set *s, void *data)
{
	(void)s;
	(void)data;
	return 1;
}

struct srv_ssf *srv_ssf_start(struct srv *s, const struct nhir_ssf_config *c,
			      int64_t base_ms, struct nhir_err *err)
{
	struct srv_ssf *x = calloc(1, sizeof(*x));
	struct nhir_store *st;

	if (!x) {
		nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		return NULL;
	}
	x->srv = s;
	x->cfg = *c;
	x->base_ms = base_ms > 0 ? base_ms : NHIR_WEBHOOK_BACKOFF_MS;
	if (nhir_ssf_key_load(c->key, c->alg, &x->key, err))
		goto fail;
	/* a store that keeps no streams: say so now, not at every look */
	st = srv_store(s, err);
	if (!st || nhir_ssf_due(st, 0, 1, none_cb, NULL, err)) {
		srv_store_put(s, st);
		goto fail;
	}
	srv_store_put(s, st);
	for (size_t i = 0; i < c->idp_nr; i++)
		if (!(x->jwks[i] = read_jwks(&c->idp[i], err)))
			goto fail;
	pthread_mutex_init(&x->lock, NULL);
	pthread_cond_init(&x->wake, NULL);
	if (pthread_create(&x->thread, NULL, run, x)) {
		nhir_err_set(err, NHIR_EIO, "ssf: the sending thread did not "
			     "start");
		pthread_cond_destroy(&x->wake);
		pthread_mutex_destroy(&x->lock);
		goto fail;
	}
	x->started = true;
	return x;
fail:
	for (size_t i = 0; i < NHIR_SSF_IDPS_MAX; i++)
		free(x->jwks[i]);
	nhir_ssf_key_wipe(&x->key);
	free(x);
	return NULL;
}

void srv_ssf_stop(struct srv_ssf *x)
{
	if (!x)
		return;
	pthread_mutex_lock(&x->lock);
	x->stop = true;
	pthread_cond_signal(&x->wake);
	pthread_mutex_unlock(&x->lock);
	if (x->started)
		pthread_join(x->thread, NULL);
	pthread_cond_destroy(&x->wake);
	pthread_mutex_destroy(&x->lock);
	for (size_t i = 0; i < NHIR_SSF_IDPS_MAX; i++)
		free(x->jwks[i]);
	nhir_ssf_key_wipe(&x->key);
	free(x);
}

void srv_ssf_metrics(struct srv_ssf *x, struct nhir_buf *b)
{
	unsigned long ok, failed;

	if (!x)
		return;
	pthread_mutex_lock(&x->lock);
	ok = x->pushed[0];
	failed = x->pushed[1];
	pthread_mutex_unlock(&x->lock);
	nhir_buf_addf(b, "# HELP nhir_ssf_push_attempts_total Shared Signals "
		      "SETs pushed to receivers, by result.\n# TYPE "
		      "nhir_ssf_push_attempts_total counter\n"
		      "nhir_ssf_push_attempts_total{result=\"ok\"} %lu\n"
		      "nhir_ssf_push_attempts_total{result=\"failed\"} %lu\n",
		      ok, failed);
}

/* Wakes the thread: a verification event is due at once. */
static void poke(struct srv_ssf *x)
{
	pthread_mutex_lock(&x->lock);
	pthread_cond_signal(&x->wake);
	pthread_mutex_unlock(&x->lock);
}

/* ---- the endpoints ---- */

static struct srv_ssf *configured(struct srv_req *r, enum MHD_Result *ok)
{
	struct srv_ssf *x = srv_ssf(r->srv);

	if (!x)
		*ok = srv_problem(r, 404, NHIR_ENOTFOUND, "not-found",
				  "Not found", "Shared Signals are not "
				  "configured on this server (ssf: in "
				  "--config)");
	return x;
}

enum MHD_Result ssf_metadata(struct srv_req *r)
{
	enum MHD_Result ok;
	struct srv_ssf *x = configured(r, &ok);
	cJSON *d;

	if (!x)
		return ok;
	d = nhir_ssf_metadata(x->cfg.issuer);
	return d ? srv_respond_doc(r, 200, d) : MHD_NO;
}

enum MHD_Result ssf_jwks(struct srv_req *r)
{
	enum MHD_Result ok;
	struct srv_ssf *x = configured(r, &ok);
	cJSON *d;
	char *s;

	if (!x)
		return ok;
	d = nhir_ssf_jwks(&x->key);
	s = d ? cJSON_PrintUnformatted(d) : NULL;
	cJSON_Delete(d);
	if (!s)
		return MHD_NO;
	ok = srv_respond(r, 200, "application/jwk-set+json", s, strlen(s));
	cJSON_free(s);
	return ok;
}

/* ?stream_id=N: *id (0 when absent and not needed). */
static bool stream_param(struct srv_req *r, bool need, int64_t *id,
			 enum MHD_Result *ok)
{
	const char *v = MHD_lookup_connection_value(r->con,
						    MHD_GET_ARGUMENT_KIND,
						    "stream_id");
	char *end;
	long long n;

	*id = 0;
	if (!v && !need)
		return true;
	errno = 0;
	n = v ? strtoll(v, &end, 10) : 0;
	if (!v || !*v || *v == '0' || strspn(v, "0123456789") != strlen(v) ||
	    errno || n <= 0) {
		*ok = srv_problem(r, 400, NHIR_EINVAL, "invalid", "Bad request",
				  v ? "parameter 'stream_id' is not the id of "
				      "a stream" : "parameter 'stream_id' is "
				  "missing");
		return false;
	}
	*id = n;
	return true;
}

static bool json_in(struct srv_req *r, enum MHD_Result *ok)
{
	if (!r->len || srv_content_type(r, "application/json"))
		return true;
	*ok = srv_problem(r, 415, NHIR_EINVAL, "media-type",
			  "Unsupported media type",
			  "the body must be application/json");
	return false;
}

static enum MHD_Result stream_answer(struct srv_req *r, struct srv_ssf *x,
				     int64_t id, unsigned status)
{
	struct nhir_err err = NHIR_ERR_INIT;
	cJSON *d = NULL;

	if (nhir_ssf_stream_doc(srv_lib(r), id, x->cfg.issuer, &d, &err))
		return srv_fail(r, &err);
	return srv_respond_doc(r, status, d);
}

enum MHD_Result ssf_streams(struct srv_req *r)
{
	enum MHD_Result ok;
	struct srv_ssf *x = configured(r, &ok);
	int64_t id;

	if (!x || !stream_param(r, false, &id, &ok))
		return ok;
	return stream_answer(r, x, id, 200);
}

enum MHD_Result ssf_stream_create(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_ssf_stream_req q;
	enum MHD_Result ok;
	struct srv_ssf *x = configured(r, &ok);
	int64_t id = 0;

	if (!x || !json_in(r, &ok))
		return ok;
	if (nhir_ssf_decode_stream(r->body ? r->body : "", r->len, &q, &err))
		return srv_fail(r, &err);
	if (q.id)
		return srv_problem(r, 400, NHIR_EINVAL, "invalid", "Bad request",
				   "request body: field 'stream_id' is the "
				   "transmitter's to give");
	if (nhir_ssf_stream_create(srv_lib(r), &q, &id, &err))
		return srv_fail(r, &err);
	srv_log("201 %s %s: stream %" PRId64 " made by %s", r->method, r->url,
		id, r->user);
	snprintf(r->location, sizeof(r->location),
		 "/api/v1/ssf/streams?stream_id=%" PRId64, id);
	return stream_answer(r, x, id, 201);
}

static enum MHD_Result update(struct srv_req *r, bool replace)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_ssf_stream_req q;
	enum MHD_Result ok;
	struct srv_ssf *x = configured(r, &ok);

	if (!x || !json_in(r, &ok))
		return ok;
	if (nhir_ssf_decode_stream(r->body ? r->body : "", r->len, &q, &err) ||
	    nhir_ssf_stream_update(srv_lib(r), &q, replace, &err))
		return srv_fail(r, &err);
	return stream_answer(r, x, q.id, 200);
}

enum MHD_Result ssf_stream_replace(struct srv_req *r)
{
	return update(r, true);
}

enum MHD_Result ssf_stream_update(struct srv_req *r)
{
	return update(r, false);
}

enum MHD_Result ssf_stream_delete(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	enum MHD_Result ok;
	struct srv_ssf *x = configured(r, &ok);
	int64_t id;

	if (!x || !stream_param(r, true, &id, &ok))
		return ok;
	if (nhir_ssf_stream_delete(srv_lib(r), id, &err))
		return srv_fail(r, &err);
	return srv_respond(r, 204, "application/json", "", 0);
}

enum MHD_Result ssf_status(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	enum MHD_Result ok;
	struct srv_ssf *x = configured(r, &ok);
	cJSON *d = NULL;
	int64_t id;

	if (!x || !stream_param(r, true, &id, &ok))
		return ok;
	if (nhir_ssf_status_doc(srv_lib(r), id, &d, &err))
		return srv_fail(r, &err);
	return srv_respond_doc(r, 200, d);
}

/* stream_id of a decoded body (a string of digits). */
static bool body_stream(struct srv_req *r, const char *s, int64_t *id,
			enum MHD_Result *ok)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (*s == '0' || strspn(s, "0123456789") != strlen(s) || errno ||
	    n <= 0) {
		*ok = srv_problem(r, 400, NHIR_EINVAL, "invalid", "Bad request",
				  "request body: field 'stream_id' is not the "
				  "id of a stream");
		return false;
	}
	*id = n;
	return true;
}

enum MHD_Result ssf_status_set(struct srv_req *r)
{
	static const struct srv_field f[] = {
		{ "stream_id", SRV_STR, true, 0, 20 },
		{ "status", SRV_STR, true, 0, 16 },
		{ "reason", SRV_STR, false, 0, 255 },
	};
	struct srv_value v[NHIR_ARRAY_SIZE(f)];
	struct nhir_err err = NHIR_ERR_INIT;
	enum MHD_Result ok;
	struct srv_ssf *x = configured(r, &ok);
	enum nhir_rc rc;
	int64_t id;
	cJSON *d = NULL;

	if (!x || !json_in(r, &ok))
		return ok;
	if (srv_decode(r->body ? r->body : "", r->len, f, NHIR_ARRAY_SIZE(f),
		       v, &err))
		return srv_fail(r, &err);
	if (!body_stream(r, v[0].s, &id, &ok)) {
		srv_values_free(v, NHIR_ARRAY_SIZE(f));
		return ok;
	}
	rc = nhir_ssf_status_set(srv_lib(r), id, v[1].s, v[2].s, &err);
	srv_values_free(v, NHIR_ARRAY_SIZE(f));
	if (rc || nhir_ssf_status_doc(srv_lib(r), id, &d, &err))
		return srv_fail(r, &err);
	return srv_respond_doc(r, 200, d);
}

enum MHD_Result ssf_verify(struct srv_req *r)
{
	static const struct srv_field f[] = {
		{ "stream_id", SRV_STR, true, 0, 20 },
		{ "state", SRV_STR, false, 0, 256 },
	};
	struct srv_value v[NHIR_ARRAY_SIZE(f)];
	struct nhir_err err = NHIR_ERR_INIT;
	enum MHD_Result ok;
	struct srv_ssf *x = configured(r, &ok);
	enum nhir_rc rc;
	int64_t id;

	if (!x || !json_in(r, &ok))
		return ok;
	if (srv_decode(r->body ? r->body : "", r->len, f, NHIR_ARRAY_SIZE(f),
		       v, &err))
		return srv_fail(r, &err);
	if (!body_stream(r, v[0].s, &id, &ok)) {
		srv_values_free(v, NHIR_ARRAY_SIZE(f));
		return ok;
	}
	rc = nhir_ssf_verify(srv_lib(r), id, v[1].s, &x->key, x->cfg.issuer,
			     &err);
	srv_values_free(v, NHIR_ARRAY_SIZE(f));
	if (rc)
		return srv_fail(r, &err);
	poke(x);
	return srv_respond(r, 204, "application/json", "", 0);
}

static enum MHD_Result subject(struct srv_req *r, bool add)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_ssf_subject_req q;
	enum MHD_Result ok;
	struct srv_ssf *x = configured(r, &ok);

	if (!x || !json_in(r, &ok))
		return ok;
	if (nhir_ssf_decode_subject(r->body ? r->body : "", r->len, add, &q,
				    &err) ||
	    nhir_ssf_subject_set(srv_lib(r), &q, add, &err))
		return srv_fail(r, &err);
	/* SSF 1.0 8.1.3: 200 to an add, 204 to a removal, no body */
	return srv_respond(r, add ? 200 : 204, "application/json", "", 0);
}

enum MHD_Result ssf_subject_add(struct srv_req *r)
{
	return subject(r, true);
}

enum MHD_Result ssf_subject_remove(struct srv_req *r)
{
	return subject(r, false);
}

enum MHD_Result ssf_poll(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_ssf_poll_req p, none;
	enum MHD_Result ok;
	struct srv_ssf *x = configured(r, &ok);
	cJSON *d = NULL;
	size_t nr = 0;
	enum nhir_rc rc;

	if (!x || !json_in(r, &ok))
		return ok;
	if (nhir_ssf_decode_poll(r->body ? r->body : "", r->len, &p, &err))
		return srv_fail(r, &err);
	rc = nhir_ssf_poll(srv_lib(r), r->num, &p, &d, &nr, &err);
	/* long polling: wait for a SET, the acknowledgements done once */
	memset(&none, 0, sizeof(none));
	none.max_events = p.max_events;
	for (int i = 0; !rc && !nr && !p.return_immediately &&
			p.max_events != 0 && i < SSF_LONG_POLL * 4 &&
			!srv_stopping(r->srv); i++) {
		usleep(250000);
		cJSON_Delete(d);
		d = NULL;
		rc = nhir_ssf_poll(srv_lib(r), r->num, &none, &d, &nr, &err);
	}
	nhir_ssf_poll_req_free(&p);
	if (rc)
		return srv_fail(r, &err);
	return srv_respond_doc(r, 200, d);
}

/* RFC 8935 2.3: a refusal is 400 {"err", "description"}. */
static enum MHD_Result set_refused(struct srv_req *r, const char *code,
				   const char *why)
{
	cJSON *d = cJSON_CreateObject();

	srv_log("400 %s %s: SET refused (%s): %s", r->method, r->url, code,
		why);
	if (!d || !cJSON_AddStringToObject(d, "err", code) ||
	    !cJSON_AddStringToObject(d, "description", why)) {
		cJSON_Delete(d);
		return MHD_NO;
	}
	return srv_respond_doc(r, 400, d);
}

enum MHD_Result ssf_receive(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	enum MHD_Result ok;
	struct srv_ssf *x = configured(r, &ok);
	const struct nhir_ssf_idp *idp = NULL;
	char iss[NHIR_SSF_ISSUER_MAX], code[24] = "invalid_request";
	int64_t finding = 0;
	bool fresh = false;
	size_t k = 0;

	if (!x)
		return ok;
	if (!x->cfg.idp_nr)
		return srv_problem(r, 404, NHIR_ENOTFOUND, "not-found",
				   "Not found", "this server takes no SETs "
				   "(ssf: receive: in --config)");
	if (!srv_content_type(r, "application/secevent+jwt"))
		return set_refused(r, "invalid_request", "the body must be "
				   "application/secevent+jwt");
	if (r->len > NHIR_SSF_SET_MAX || !r->body ||
	    !nhir_ssf_set_issuer(r->body, r->len, iss, sizeof(iss)))
		return set_refused(r, "invalid_request", "the body is not a "
				   "SET naming its issuer");
	for (k = 0; k < x->cfg.idp_nr; k++)
		if (!strcmp(x->cfg.idp[k].issuer, iss)) {
			idp = &x->cfg.idp[k];
			break;
		}
	if (!idp)
		return set_refused(r, "invalid_issuer", "no provider of this "
				   "server's configuration has that issuer");
	r->st = srv_store(r->srv, &err);
	if (!r->st)
		return srv_fail(r, &err);
	switch (nhir_ssf_receive(srv_lib(r), &x->cfg, idp, x->jwks[k], r->body,
				 r->len, &finding, &fresh, code, &err)) {
	case NHIR_OK:
		break;
	case NHIR_EPARSE:
	case NHIR_EINVAL:
	case NHIR_EDENIED:
	case NHIR_ENOTFOUND:
	case NHIR_ETOOBIG:
		return set_refused(r, code, err.msg);
	default:
		return srv_fail(r, &err);
	}
	srv_log("202 %s %s: SET from %s: finding %" PRId64 "%s", r->method,
		r->url, idp->issuer, finding, fresh ? "" : " (taken before)");
	return srv_respond(r, 202, "application/json", "", 0);
}
