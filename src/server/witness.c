/*
 * Witnessing over HTTP (include/nhir/witness.h).  As a witness, the
 * server takes other logs' signed checkpoints (POST, a write token of
 * a user who may bring data in) and answers what it holds (GET); the
 * library checks, refuses contradictions and audits.  As a sender
 * (the configuration's "witness:"), a thread signs a checkpoint of this
 * log whenever it has grown and the interval has passed, posts it to
 * the witness, retries with backoff, and counts each attempt in
 * /metrics (nhir_witness_sends_total).
 */
#include "compat.h"
#include <pthread.h>
#include <time.h>
#include "server/server-internal.h"

/* ---- the witness's routes ---- */

/* A refusal naming the field it is about (problem member "field"). */
static enum MHD_Result refused(struct srv_req *r, const struct nhir_err *err,
			       const char *field)
{
	cJSON *ext;

	if (!field[0] || (err->rc != NHIR_EINVAL && err->rc != NHIR_EPARSE &&
			  err->rc != NHIR_ECONFLICT && err->rc != NHIR_ETOOBIG))
		return srv_fail(r, err);
	ext = cJSON_CreateObject();
	if (ext)
		cJSON_AddStringToObject(ext, "field", field);
	if (err->rc == NHIR_ECONFLICT)
		return srv_problem_ext(r, 409, err->rc, "conflict", "Conflict",
				       err->msg, ext);
	if (err->rc == NHIR_ETOOBIG)
		return srv_problem_ext(r, 413, err->rc, "too-big",
				       "Content too large", err->msg, ext);
	return srv_problem_ext(r, 400, err->rc, "invalid", "Bad request",
			       err->msg, ext);
}

static enum MHD_Result held_doc(struct srv_req *r, unsigned status,
				const char *log, int64_t seq)
{
	struct nhir_err err = NHIR_ERR_INIT;
	enum MHD_Result ok;
	char *doc = NULL;

	if (nhir_witness_get(r->st, log, seq, &doc, &err)) {
		/* told apart from a path that is no route: a witness that
		 * holds nothing of a log is what a verifier must notice */
		if (err.rc == NHIR_ENOTFOUND)
			return srv_problem(r, 404, err.rc, "no-checkpoint",
					   "No checkpoint held", err.msg);
		return srv_fail(r, &err);
	}
	ok = srv_respond(r, status, "application/json", doc, strlen(doc));
	free(doc);
	return ok;
}

enum MHD_Result wit_post(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_witness_cp cp;
	char field[16];
	bool fresh = false;

	if (!srv_content_type(r, "application/json"))
		return srv_problem(r, 415, NHIR_EINVAL, "media-type",
				   "Unsupported media type",
				   "the body must be application/json");
	if (srv_decode_witness(r->body, r->len, &cp, field, &err))
		return refused(r, &err, field);
	if (nhir_witness_accept(srv_lib(r), &cp, &fresh, field, &err)) {
		srv_log("%s %s: checkpoint of log %s at entry %" PRId64
			" from %s refused: %s", r->method, r->url, cp.log,
			cp.seq, r->user, err.msg);
		return refused(r, &err, field);
	}
	srv_log("%s %s: checkpoint of log %s at entry %" PRId64 " from %s "
		"(token %" PRId64 ")%s", r->method, r->url, cp.log, cp.seq,
		r->user, r->token, fresh ? "" : ", already held");
	snprintf(r->location, sizeof(r->location),
		 NHIR_WITNESS_PATH "/%s?seq=%" PRId64, cp.log, cp.seq);
	return held_doc(r, fresh ? 201 : 200, cp.log, cp.seq);
}

enum MHD_Result wit_get(struct srv_req *r)
{
	const char *q = MHD_lookup_connection_value(r->con,
						    MHD_GET_ARGUMENT_KIND,
						    "seq");
	int64_t seq = 0;

	if (q) {
		char *end;

		errno = 0;
		seq = strtoll(q, &end, 10);
		if (errno || end == q || *end || seq < 1 ||
		    strspn(q, "0123456789") != strlen(q))
			return srv_problem(r, 400, NHIR_EINVAL, "invalid",
					   "Bad request", "parameter 'seq' is "
					   "not an entry (a whole number, 1 or "
					   "more)");
	}
	return held_doc(r, 200, r->log, seq);
}

/* ---- the sender ---- */

struct srv_witness {
	struct srv *s;
	const struct srv_opts *o;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
};

/* Waits seconds, or until stopped: true when stopping. */
static bool pause_for(struct srv_witness *w, unsigned seconds)
{
	struct timespec until;
	bool stop;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += seconds;
	pthread_mutex_lock(&w->lock);
	while (!w->stop &&
	       pthread_cond_timedwait(&w->wake, &w->lock, &until) == 0)
		;
	stop = w->stop;
	pthread_mutex_unlock(&w->lock);
	return stop;
}

/* The problem's detail of a refusal, for the log ("" if none). */
static void detail_of(const struct nhir_buf *b, char *out, size_t n)
{
	cJSON *d = b->len ? cJSON_ParseWithLength(b->buf, b->len) : NULL;
	const char *s = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(d, "detail"));

	snprintf(out, n, "%s", s ? s : "");
	cJSON_Delete(d);
}

/*
 * One round: signs a checkpoint when the log grew past *sent (or one
 * is pending after a failure), and posts it.  The next pause, seconds.
 */
static unsigned round_once(struct srv_witness *w, struct nhir_store **st,
			   int64_t *sent, struct nhir_witness_cp *pending,
			   bool *have, unsigned *backoff)
{
	const struct nhir_witness_config *c = w->o->witness;
	unsigned interval = (unsigned)c->interval;
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_buf ans = NHIR_BUF_INIT(1 << 20);
	char detail[NHIR_ERR_MSG_MAX];
	int64_t seq = 0;
	long status = 0;
	char *doc = NULL;
	enum nhir_rc rc;
	int result;

	if (!*st && nhir_store_open(st, w->o->db, 0, &err)) {
		*st = NULL;
		srv_log("witness: %s", err.msg);
		srv_witness_count(w->s, WIT_FAILED);
		goto retry;
	}
	if (nhir_audit_newest(*st, &seq, &err)) {
		srv_log("witness: %s", err.msg);
		srv_witness_count(w->s, WIT_FAILED);
		goto retry;
	}
	if (!seq || (seq <= *sent && !*have))
		return interval;
	if (!*have || pending->seq < seq) {
		rc = nhir_audit_checkpoint(*st, c->key, &doc, &err);
		if (!rc)
			rc = nhir_witness_from_doc(doc, pending, &err);
		free(doc);
		if (rc) {
			srv_log("witness: no checkpoint signed: %s", err.msg);
			srv_witness_count(w->s, WIT_FAILED);
			*have = false;
			goto retry;
		}
		*have = true;
	}
	rc = nhir_witness_send(c->url, w->o->witness_token, pending, &status,
			       &ans, &err);
	if (rc || status >= 500 || status == 429 || status == 0) {
		if (rc)
			srv_log("witness: %s", err.msg);
		else
			srv_log("witness: %s answered HTTP %ld", c->url,
				status);
		srv_witness_count(w->s, WIT_FAILED);
		nhir_buf_release(&ans);
		goto retry;
	}
	result = status == 200 || status == 201 ? WIT_OK : WIT_REFUSED;
	srv_witness_count(w->s, result);
	if (result == WIT_OK) {
		*sent = pending->seq;
		srv_log("witness: %s holds entry %" PRId64 " of log %s",
			c->url, pending->seq, pending->log);
	} else {
		/* refused: an alarm, not a reason to hammer the witness */
		detail_of(&ans, detail, sizeof(detail));
		srv_log("witness: %s REFUSED the checkpoint of entry %" PRId64
			" (HTTP %ld): %s", c->url, pending->seq, status,
			detail);
	}
	*have = false;
	*backoff = 0;
	nhir_buf_release(&ans);
	return interval;
retry:
	*backoff = *backoff ? *backoff * 2 : 1;
	if (*backoff > interval)
		*backoff = interval;
	return *backoff;
}

static void *sender(void *data)
{
	struct srv_witness *w = data;
	struct nhir_store *st = NULL;
	struct nhir_witness_cp pending;
	int64_t sent = 0;
	bool have = false;
	unsigned backoff = 0, pause = 0;

	memset(&pending, 0, sizeof(pending));
	while (!pause_for(w, pause))
		pause = round_once(w, &st, &sent, &pending, &have, &backoff);
	nhir_store_close(st);
	return NULL;
}

struct srv_witness *srv_witness_start(struct srv *s)
{
	struct srv_witness *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->s = s;
	w->o = srv_opts(s);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	if (pthread_create(&w->thread, NULL, sender, w)) {
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return NULL;
	}
	srv_log("witness: checkpoints of this log go to %s every %" PRId64
		" s at most", w->o->witness->url, w->o->witness->interval);
	return w;
}

void srv_witness_stop(struct srv_witness *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
