/*
 * Carrying out the plan: one step at a time through its connector, with
 * every precondition checked (dependencies done, approvals valid, not
 * rejected), the connector's answer kept as evidence, and revocation
 * states moved: requested when a step starts, confirmed when the
 * connector says done, verified when a probe shows the credential no
 * longer works.
 */
#define _GNU_SOURCE 1	/* F_OFD_SETLK: a step's lock is its run's */
#include "compat.h"
#include <ctype.h>
#include <fcntl.h>
#include <unistd.h>
#include "nhir/plan.h"
#include "nhir/record.h"
#include "core/hash.h"
#include "record/record-internal.h"
#include "plan/plan-internal.h"
#include "store/plan.h"

/*
 * A running step is held by its run: an open-file-description lock on
 * byte id of "<database>-run", taken before the step is claimed and let
 * go when it is finished.  The kernel drops it when the run dies, so a
 * step "running" with no lock held was interrupted (the run was killed
 * or crashed while the connector ran): whether the action was taken is
 * unknown, and a lead decides (nhir_step_resolve()).
 */
static int step_lock(struct nhir_store *st, int64_t id, int64_t seq,
		     struct nhir_err *err)
{
	char *path = nhir_store_side_path(st, "run");
	struct flock l;
	int fd;

	if (!path)
		return -2;	/* in memory: one process, nothing to hold */
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	nhir_free(path);
	memset(&l, 0, sizeof(l));
	l.l_type = F_WRLCK;
	l.l_whence = SEEK_SET;
	l.l_start = (off_t)id;
	l.l_len = 1;
	if (fd >= 0 && !fcntl(fd, F_OFD_SETLK, &l))
		return fd;
	if (fd >= 0)
		nhir_err_set(err, NHIR_ECONFLICT, "step %" PRId64 " was claimed "
			     "by another run: not sent again", seq);
	else
		nhir_err_set(err, NHIR_EIO, "cannot hold step %" PRId64 " for "
			     "this run: %s", seq, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static void step_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

bool plan_step_interrupted(struct nhir_store *st, int64_t id)
{
	char *path = nhir_store_side_path(st, "run");
	struct flock l;
	int fd;

	if (!path)
		return false;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	nhir_free(path);
	if (fd < 0)
		return true;	/* no run ever held a step */
	memset(&l, 0, sizeof(l));
	l.l_type = F_WRLCK;
	l.l_whence = SEEK_SET;
	l.l_start = (off_t)id;
	l.l_len = 1;
	if (fcntl(fd, F_OFD_GETLK, &l)) {
		close(fd);
		return false;	/* unknown: not called interrupted */
	}
	close(fd);
	return l.l_type == F_UNLCK;
}

/* One step, as execution needs it. */
struct xstep {
	int64_t id, seq, target;
	char action[128], phase[16], status[16];
	enum nhir_cut cuts;
	int needed, approvals;
	bool rejected;
};

static int take_step(const struct nhir_step *s, void *data)
{
	struct xstep *x = data;

	x->id = s->id;
	x->seq = s->seq;
	x->target = s->target;
	ir_copy(x->action, sizeof(x->action), s->action);
	ir_copy(x->phase, sizeof(x->phase), s->phase);
	ir_copy(x->status, sizeof(x->status), s->status);
	x->cuts = s->cuts;
	x->needed = s->approvals_needed;
	x->approvals = s->approvals;
	x->rejected = s->rejected;
	return 1;
}

/* The first unfinished step x waits for, as why x cannot run yet. */
struct wait {
	const struct xstep *x;
	char *buf;
	size_t n;
};

static int wait_cb(void *arg, int64_t seq, enum nhir_step_status status,
		   const char *why)
{
	struct wait *w = arg;

	if (status == NHIR_STEP_DONE || status == NHIR_STEP_SKIPPED)
		return 0;
	snprintf(w->buf, w->n, "step %" PRId64 " waits for step %" PRId64
		 " (%s): %s", w->x->seq, seq, nhir_step_status_name(status), why);
	return 1;
}

/* Why step x cannot run now ("" if it can), into buf. */
static enum nhir_rc blocked(struct nhir_store *st, const struct xstep *x,
			    char *buf, size_t n, struct nhir_err *err)
{
	struct wait w = { x, buf, n };
	enum nhir_rc rc;

	buf[0] = 0;
	rc = nhir_plan_store(st)->waits_of(st, x->id, wait_cb, &w, err);
	if (rc)
		return rc;
	if (!buf[0] && x->rejected)
		snprintf(buf, n, "step %" PRId64 " was rejected; it needs a new "
			 "approval", x->seq);
	else if (!buf[0] && x->approvals < x->needed)
		snprintf(buf, n, "step %" PRId64 " needs %d approval%s (has %d)",
			 x->seq, x->needed, x->needed == 1 ? "" : "s",
			 x->approvals);
	return NHIR_OK;
}

struct pick {
	struct xstep *x;
	bool found;
};

static int next_cb(const struct nhir_step *s, void *data)
{
	struct pick *p = data;

	if (!strcmp(s->status, "interrupted")) {
		/* not passed over: someone must decide what it did */
		take_step(s, p->x);
		p->found = true;
		return 1;
	}
	if (strcmp(s->status, "planned") && strcmp(s->status, "failed"))
		return 0;
	take_step(s, p->x);
	p->found = true;
	return 1;
}

static int acts_cb(const struct nhir_edge *e, void *data)
{
	struct { int64_t *v; size_t nr; } *a = data;

	if (e->kind == NHIR_EDGE_AUTHENTICATES && a->nr < 16)
		a->v[a->nr++] = e->dst;
	return 0;
}

/* The identities a credential acts as: what a probe should test. */
static void acts_as(struct nhir_store *st, int64_t node, cJSON *t)
{
	int64_t ids[16];
	struct { int64_t *v; size_t nr; } a = { ids, 0 };
	cJSON *arr;

	if (nhir_store_node_edges(st, node, NHIR_DIR_OUT, acts_cb, &a, NULL) ||
	    !a.nr || !(arr = cJSON_AddArrayToObject(t, "acts_as")))
		return;
	for (size_t i = 0; i < a.nr; i++) {
		struct nhir_node n;

		if (nhir_store_get_node(st, ids[i], &n, NULL))
			continue;
		cJSON_AddItemToArray(arr, cJSON_CreateString(n.ext_id));
		nhir_node_release(&n);
	}
}

/*
 * The object a token is bound to ("Pod NS/NAME", as nhir ingest
 * k8s-audit keeps it): deleting it ends the token.
 */
static void bound_object(const char *attrs, cJSON *t)
{
	cJSON *a = attrs ? cJSON_Parse(attrs) : NULL;
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(a, "bound_object");

	if (cJSON_IsString(b))
		cJSON_AddStringToObject(t, "bound_object", b->valuestring);
	cJSON_Delete(a);
}

/* The request a connector receives. */
static char *request_json(struct nhir_store *st, int64_t incident,
			  const struct xstep *x, bool dry_run)
{
	cJSON *o = cJSON_CreateObject(), *t;
	struct nhir_node n;
	char *s, *out = NULL, inc[32];

	if (!o)
		return NULL;
	snprintf(inc, sizeof(inc), "INC-%" PRId64, incident);
	cJSON_AddStringToObject(o, "incident", inc);
	cJSON_AddNumberToObject(o, "step", (double)x->seq);
	cJSON_AddStringToObject(o, "action", x->action);
	cJSON_AddBoolToObject(o, "dry_run", dry_run);
	t = cJSON_AddObjectToObject(o, "target");
	if (x->target && t && !nhir_store_get_node(st, x->target, &n, NULL)) {
		cJSON_AddStringToObject(t, "id", n.ext_id);
		cJSON_AddStringToObject(t, "kind", nhir_node_kind_name(n.kind));
		if (n.name)
			cJSON_AddStringToObject(t, "name", n.name);
		if (n.subtype)
			cJSON_AddStringToObject(t, "subtype", n.subtype);
		if (n.provider)
			cJSON_AddStringToObject(t, "provider", n.provider);
		bound_object(n.attrs, t);
		nhir_node_release(&n);
		acts_as(st, x->target, t);
	}
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (s) {
		out = nhir_strdup(s);
		cJSON_free(s);
	}
	return out;
}

/*
 * Into res, the digest of what confirming step x sends: the name of
 * its connector (cname; "probe" for a verify step's probe), a newline,
 * and its request with dry_run false (req when given, else built).
 */
static enum nhir_rc request_digest(struct nhir_store *st, int64_t incident,
				   const struct xstep *x, const char *cname,
				   const char *req, struct nhir_exec_result *res,
				   struct nhir_err *err)
{
	char *own = req ? NULL : request_json(st, incident, x, false);
	struct nhir_sha256 h;
	unsigned char md[32];

	if (!req)
		req = own;
	if (!req || !nhir_sha256_init(&h)) {
		nhir_free(own);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	nhir_sha256_update(&h, cname, strlen(cname));
	nhir_sha256_update(&h, "\n", 1);
	nhir_sha256_update(&h, req, strlen(req));
	nhir_sha256_final(&h, md);
	nhir_sha256_release(&h);
	nhir_hex32(md, res->request_sha256);
	nhir_free(own);
	return NHIR_OK;
}

/*
 * Is what step x would send (res->request_sha256) what was confirmed?
 * Else nothing is sent: a stale preview never runs another request.
 */
static enum nhir_rc as_confirmed(const struct nhir_exec_expect *e,
				 const struct xstep *x,
				 struct nhir_exec_result *res,
				 struct nhir_err *err)
{
	if (!e || !e->request_sha256 ||
	    !strcmp(e->request_sha256, res->request_sha256))
		return NHIR_OK;
	snprintf(res->unexpected, sizeof(res->unexpected), "request_sha256");
	return nhir_err_set(err, NHIR_ECONFLICT, "step %" PRId64 " (%s) would "
			    "now send a request other than the one confirmed "
			    "(its digest is %.12s..., not %.12s...): nothing "
			    "was sent; see its dry run again", x->seq,
			    x->action, res->request_sha256, e->request_sha256);
}

static bool revokes(const struct xstep *x)
{
	return !strcmp(x->phase, "contain") || !strcmp(x->phase, "revoke");
}

/* Keeps the connector's answer as evidence of the incident. */
static int64_t keep_output(const struct nhir_ctx *ctx, int64_t incident,
			   const struct xstep *x, const char *conn,
			   const char *req, const struct nhir_buf *reply,
			   const char *error)
{
	char dir[256], path[512], source[300], sha[65];
	int64_t ev = 0;
	FILE *f;

	/* named for what it is: the evidence keeps the file's name */
	snprintf(dir, sizeof(dir), "%s/nhir-step-XXXXXX",
		 nhir_ctx_tmpdir(ctx));
	if (!mkdtemp(dir))
		return 0;
	snprintf(path, sizeof(path), "%s/step-%" PRId64 "-%s.log", dir, x->seq,
		 x->action);
	f = fopen(path, "wx");
	if (!f) {
		rmdir(dir);
		return 0;
	}
	fprintf(f, "request: %s\nconnector: %s\n", req, conn);
	if (error)
		fprintf(f, "error: %s\n", error);
	fprintf(f, "reply: %.*s\n", (int)reply->len, reply->buf ? reply->buf : "");
	fclose(f);
	snprintf(source, sizeof(source), "connector %s, step %" PRId64 " (%s)",
		 conn, x->seq, x->action);
	if (nhir_evidence_add(ctx, incident, path, source, 0, &ev, sha, NULL))
		ev = 0;
	unlink(path);
	rmdir(dir);
	return ev;
}

static bool proves_nothing(const char *call);

/*
 * A verify step: the target's probe.  Its status is done when the
 * probe's call is refused, failed when it still works or proves
 * nothing; detail says which.
 */
static const char *probe_target(const struct nhir_ctx *ctx,
				struct nhir_store *st, int64_t incident,
				const struct nhir_connectors *conn,
				int64_t target, char *detail, size_t n)
{
	struct nhir_buf reply = NHIR_BUF_INIT(1 << 20);
	struct nhir_err perr = NHIR_ERR_INIT;
	struct nhir_node node;
	struct xstep x;
	const char *out = "failed", *call = "";
	char *req;
	cJSON *a = NULL, *said = NULL;

	if (nhir_store_get_node(st, target, &node, NULL)) {
		snprintf(detail, n, "no such node");
		return out;
	}
	memset(&x, 0, sizeof(x));
	x.target = target;
	snprintf(x.action, sizeof(x.action), "probe");
	req = request_json(st, incident, &x, false);
	if (!req || nhir_connector_call(ctx, conn,
					node.subtype ? node.subtype : "", true,
					req, &reply, &perr)) {
		snprintf(detail, n, "%s", req ? perr.msg : "out of memory");
	} else {
		nhir_buf_addch(&reply, 0);
		a = cJSON_Parse(reply.buf);
		if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(a, "call")))
			call = cJSON_GetObjectItemCaseSensitive(a, "call")->valuestring;
		said = cJSON_GetObjectItemCaseSensitive(a, "detail");
		if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(a, "status")) &&
		    cJSON_IsString(said))
			/* a built-in probe that could not tell */
			snprintf(detail, n, "%s", said->valuestring);
		else if (!cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(a, "works")))
			snprintf(detail, n, "the probe answered something that "
				 "is not {\"works\": ...}");
		else if (proves_nothing(call))
			snprintf(detail, n, "%s succeeds whatever the "
				 "permissions: refused as proof", call);
		else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "works")))
			if (cJSON_IsString(said))
				snprintf(detail, n, "still works: %s",
					 said->valuestring);
			else
				snprintf(detail, n, "%s still succeeds with %s",
					 call[0] ? call : "the probe",
					 node.ext_id);
		else {
			if (cJSON_IsString(said))
				snprintf(detail, n, "%s", said->valuestring);
			else
				snprintf(detail, n, "%s is refused for %s",
					 call[0] ? call : "the probe's call",
					 node.ext_id);
			out = "done";
		}
	}
	cJSON_Delete(a);
	nhir_free(req);
	nhir_buf_release(&reply);
	nhir_node_release(&node);
	return out;
}

/* The audit detail of an execution. */
static cJSON *exec_detail(const struct xstep *x, const char *status,
			  const char *detail, int64_t evidence)
{
	cJSON *d = cJSON_CreateObject();

	if (!d)
		return NULL;
	cJSON_AddNumberToObject(d, "step", (double)x->seq);
	cJSON_AddStringToObject(d, "action", x->action);
	cJSON_AddStringToObject(d, "status", status);
	cJSON_AddStringToObject(d, "detail", detail);
	if (evidence)
		cJSON_AddNumberToObject(d, "evidence", (double)evidence);
	return d;
}

static void set_result(struct nhir_exec_result *res, const char *status,
		       const char *detail)
{
	snprintf(res->status, sizeof(res->status), "%s", status);
	snprintf(res->detail, sizeof(res->detail), "%s", detail);
}

/* May actor execute steps of incident?  A refusal goes on the record. */
static enum nhir_rc may_execute(const struct nhir_ctx *ctx, int64_t incident,
				struct nhir_err *err)
{
	enum nhir_rc rc = nhir_authorize(ctx, NHIR_PERM_WORK, incident, err);

	if (rc == NHIR_EDENIED)
		nhir_audit_denied(ctx, "execute", incident, err->msg);
	return rc;
}

/* Step seq of incident, or (seq 0) the next one left to run, into x. */
static enum nhir_rc pick_step(struct nhir_store *st, int64_t incident,
			      int64_t seq, struct xstep *x,
			      struct nhir_err *err)
{
	struct pick p = { x, false };
	enum nhir_rc rc;

	memset(x, 0, sizeof(*x));
	if (seq)
		return nhir_step_get(st, incident, seq, take_step, x, err);
	rc = nhir_plan_each(st, incident, next_cb, &p, err);
	if (!rc && !p.found)
		rc = nhir_err_set(err, NHIR_ENOTFOUND, "INC-%" PRId64 " has no "
				  "step left to run", incident);
	return rc;
}

/* Is step x over?  Then res says so. */
static bool already_over(const struct xstep *x, struct nhir_exec_result *res)
{
	char detail[200];

	if (strcmp(x->status, "done") && strcmp(x->status, "skipped"))
		return false;
	snprintf(detail, sizeof(detail), "step %" PRId64 " is already %s: "
		 "nothing to do", x->seq, x->status);
	set_result(res, x->status, detail);
	return true;
}

/* Can step x run now: what it waits for done, approved, not rejected? */
static enum nhir_rc runnable(struct nhir_store *st, const struct xstep *x,
			     struct nhir_err *err)
{
	char why[400];
	enum nhir_rc rc = blocked(st, x, why, sizeof(why), err);

	if (!rc && why[0])
		rc = nhir_err_set(err, NHIR_ECONFLICT, "%s", why);
	return rc;
}

/*
 * A verify step: its target's probe, and the outcome on the record.  A
 * token cut where it acts is verified without a revocation.
 */
static enum nhir_rc run_probe(const struct nhir_ctx *ctx, int64_t incident,
			      const struct xstep *x, bool confirm,
			      const struct nhir_exec_expect *expect,
			      const struct nhir_connectors *conn,
			      struct nhir_exec_result *res,
			      struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const struct nhir_plan_store_ops *ops = nhir_plan_store(st);
	char detail[400];
	const char *status;
	bool done;
	int64_t now;
	enum nhir_rc rc;

	rc = request_digest(st, incident, x, "probe", NULL, res, err);
	if (!rc)
		rc = as_confirmed(expect, x, res, err);
	if (rc)
		return rc;
	if (!confirm) {
		snprintf(detail, sizeof(detail), "would probe the target of "
			 "step %" PRId64, x->seq);
		set_result(res, "dry-run", detail);
		return NHIR_OK;
	}
	status = probe_target(ctx, st, incident, conn, x->target, detail,
			      sizeof(detail));
	done = !strcmp(status, "done");
	set_result(res, status, detail);
	now = nhir_ctx_now(ctx);
	rc = ir_begin(ctx, NHIR_PERM_WORK, incident, "execute", err);
	if (!rc)
		rc = ops->step_finish(st, x->id, done ? NHIR_STEP_DONE
						      : NHIR_STEP_FAILED,
				      now, now, detail, 0, err);
	if (!rc && done)
		rc = ops->revocation_verify(st, incident, x->target, x->id, now,
					    detail, err);
	return ir_end(ctx, rc, "execute", incident,
		      exec_detail(x, status, detail, 0), err);
}

/* The status named s (a step's as read), planned if none matches. */
static enum nhir_step_status status_read(const char *s)
{
	for (int i = 0; i < NHIR_STEP_STATUS_NR; i++)
		if (!strcmp(nhir_step_status_name((enum nhir_step_status)i), s))
			return (enum nhir_step_status)i;
	return NHIR_STEP_PLANNED;
}

/*
 * Marks step x running only if it still has the status it was read
 * with: of two runs that picked the same step, one claims it and the
 * other is refused before anything reaches a connector.
 */
static enum nhir_rc claim(struct nhir_store *st, const struct xstep *x,
			  int64_t now, struct nhir_err *err)
{
	bool claimed = false;
	enum nhir_rc rc;

	rc = nhir_plan_store(st)->step_start(st, x->id, status_read(x->status),
					     now, &claimed, err);
	if (!rc && !claimed)
		rc = nhir_err_set(err, NHIR_ECONFLICT, "step %" PRId64 " was "
				  "claimed by another run: not sent again",
				  x->seq);
	return rc;
}

/*
 * Puts the start of step x on the record before anything is sent: the
 * step is running and its target's revocation requested.
 */
static enum nhir_rc start_step(const struct nhir_ctx *ctx, int64_t incident,
			       const struct xstep *x, const char *cname,
			       struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const struct nhir_plan_store_ops *ops = nhir_plan_store(st);
	int64_t now = nhir_ctx_now(ctx);
	cJSON *d;
	enum nhir_rc rc;

	rc = ir_begin(ctx, NHIR_PERM_WORK, incident, "execute", err);
	if (!rc)
		rc = claim(st, x, now, err);
	if (!rc && x->target && revokes(x))
		rc = ops->revocation_request(st, incident, x->target, x->id, now,
					     err);
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddNumberToObject(d, "step", (double)x->seq);
		cJSON_AddStringToObject(d, "action", x->action);
		cJSON_AddStringToObject(d, "connector", cname);
	}
	return ir_end(ctx, rc, "execute.start", incident, d, err);
}

/* What the connector's answer says: done, or why not in cerr. */
struct answer {
	cJSON *json;
	const char *status;	/* "done" or "failed" */
	const char *detail;	/* the connector's detail when done */
	struct nhir_err cerr;
};

static void read_answer(const char *cname, struct nhir_buf *reply,
			struct answer *a)
{
	const cJSON *status, *detail;

	nhir_buf_addch(reply, 0);
	a->json = cJSON_Parse(reply->buf ? reply->buf : "");
	reply->len = reply->len ? reply->len - 1 : 0;
	status = cJSON_GetObjectItemCaseSensitive(a->json, "status");
	detail = cJSON_GetObjectItemCaseSensitive(a->json, "detail");
	if (!cJSON_IsObject(a->json) || !cJSON_IsString(status))
		nhir_err_set(&a->cerr, NHIR_EPARSE, "%s answered something "
			     "that is not {\"status\": ...}", cname);
	else if (!strcmp(status->valuestring, "done"))
		a->status = "done";
	else if (cJSON_IsString(detail) && detail->valuestring[0])
		nhir_err_set(&a->cerr, NHIR_EIO, "%s says: %s: %s", cname,
			     status->valuestring, detail->valuestring);
	else
		nhir_err_set(&a->cerr, NHIR_EIO, "%s says: %s", cname,
			     status->valuestring);
	if (cJSON_IsString(detail))
		a->detail = detail->valuestring;
}

/*
 * When sessions issued before are cut: the time the connector says its
 * deny names ("cut_at"), if it says one no later than now; else now.
 * A deny written before the step ends cuts nothing issued in between.
 */
static int64_t cut_time(const struct answer *a, int64_t now)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(a->json, "cut_at");
	int64_t t;

	if (cJSON_IsString(c) &&
	    !nhir_time_parse(c->valuestring, (size_t)-1, &t, NULL) && t <= now)
		return t;
	return now;
}

/*
 * Puts how step x ended on the record: its status and result, the
 * revocation confirmed, and a cut that ends the sessions of its
 * identity issued before now, or everything it can do (one that only
 * stops new sessions leaves every access there is).
 */
static enum nhir_rc finish_step(const struct nhir_ctx *ctx, int64_t incident,
				const struct xstep *x, const struct answer *a,
				const struct nhir_exec_result *res,
				struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const struct nhir_plan_store_ops *ops = nhir_plan_store(st);
	bool done = !strcmp(a->status, "done");
	int64_t now = nhir_ctx_now(ctx);
	enum nhir_rc rc;

	rc = nhir_store_begin(st, err);
	if (!rc)
		rc = ops->step_finish(st, x->id, done ? NHIR_STEP_DONE
						      : NHIR_STEP_FAILED,
				      0, now, res->detail, res->evidence, err);
	if (!rc && done && x->target && revokes(x))
		rc = ops->revocation_confirm(st, incident, x->target, now,
					     a->detail, err);
	if (!rc && done && x->target &&
	    (x->cuts == NHIR_CUT_ISSUED_BEFORE || x->cuts == NHIR_CUT_EVERYTHING))
		rc = ops->cut_put(st, incident, x->target,
				  x->cuts == NHIR_CUT_EVERYTHING ? NHIR_TIME_NEVER
								 : cut_time(a, now),
				  x->id, err);
	return ir_end(ctx, rc, "execute", incident,
		      exec_detail(x, a->status, res->detail, res->evidence),
		      err);
}

/* Step x through its connector: started, sent, kept, finished. */
static enum nhir_rc run_connector(const struct nhir_ctx *ctx, int64_t incident,
				  const struct xstep *x, bool confirm,
				  const struct nhir_exec_expect *expect,
				  const struct nhir_connectors *conn,
				  struct nhir_exec_result *res,
				  struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	struct nhir_buf reply = NHIR_BUF_INIT(1 << 20);
	struct answer a = { NULL, "failed", "", NHIR_ERR_INIT };
	const char *cname = nhir_connector_for(conn, x->action, false);
	char *req;
	int lock;
	enum nhir_rc rc;

	if (!cname)
		return nhir_err_set(err, NHIR_ENOTFOUND, "no connector is "
				    "configured for %s", x->action);
	req = request_json(st, incident, x, !confirm);
	if (!req)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	rc = request_digest(st, incident, x, cname, confirm ? req : NULL, res,
			    err);
	if (!rc)
		rc = as_confirmed(expect, x, res, err);
	if (rc) {
		nhir_free(req);
		return rc;
	}
	if (!confirm && nhir_connector_builtin(conn, x->action, false)) {
		/* a built-in connector shows the requests it would send */
		rc = nhir_connector_call(ctx, conn, x->action, false, req,
					 &reply, err);
		if (!rc) {
			read_answer(cname, &reply, &a);
			snprintf(res->status, sizeof(res->status), "dry-run");
			snprintf(res->detail, sizeof(res->detail), "would send "
				 "(%s):\n%s", cname, a.detail ? a.detail
							      : a.cerr.msg);
		}
		cJSON_Delete(a.json);
		nhir_buf_release(&reply);
		nhir_free(req);
		return rc;
	}
	if (!confirm) {
		snprintf(res->status, sizeof(res->status), "dry-run");
		snprintf(res->detail, sizeof(res->detail), "would send to %s: %s",
			 cname, req);
		nhir_free(req);
		return NHIR_OK;
	}
	lock = step_lock(st, x->id, x->seq, err);
	rc = lock == -1 ? err->rc : start_step(ctx, incident, x, cname, err);
	if (!rc) {
		if (!nhir_connector_call(ctx, conn, x->action, false, req,
					 &reply, &a.cerr))
			read_answer(cname, &reply, &a);
		set_result(res, a.status, strcmp(a.status, "done") ? a.cerr.msg
								   : a.detail);
		res->evidence = keep_output(ctx, incident, x, cname, req,
					    &reply, strcmp(a.status, "done")
						    ? a.cerr.msg : NULL);
		rc = finish_step(ctx, incident, x, &a, res, err);
	}
	step_unlock(lock);
	cJSON_Delete(a.json);
	nhir_buf_release(&reply);
	nhir_free(req);
	return rc;
}

enum nhir_rc nhir_execute(const struct nhir_ctx *ctx, int64_t incident,
			  int64_t seq, bool confirm,
			  const struct nhir_connectors *conn,
			  struct nhir_exec_result *res, struct nhir_err *err)
{
	return nhir_execute_expect(ctx, incident, seq, confirm, NULL, conn,
				   res, err);
}

enum nhir_rc nhir_execute_expect(const struct nhir_ctx *ctx, int64_t incident,
				 int64_t seq, bool confirm,
				 const struct nhir_exec_expect *expect,
				 const struct nhir_connectors *conn,
				 struct nhir_exec_result *res,
				 struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	struct nhir_err own = NHIR_ERR_INIT;
	struct xstep x;
	enum nhir_rc rc;

	if (!err)
		err = &own;	/* a refusal's reason goes on the record */
	memset(res, 0, sizeof(*res));
	rc = may_execute(ctx, incident, err);
	if (!rc)
		rc = pick_step(st, incident, seq, &x, err);
	if (rc)
		return rc;
	res->step = x.seq;
	if (expect && expect->step && x.seq != expect->step) {
		snprintf(res->unexpected, sizeof(res->unexpected), "step");
		return nhir_err_set(err, NHIR_ECONFLICT, "the step to run is "
				    "step %" PRId64 " (%s), not step %" PRId64
				    " as confirmed: nothing was run; see its "
				    "dry run", x.seq, x.action, expect->step);
	}
	if (already_over(&x, res))
		return NHIR_OK;
	if (!strcmp(x.status, "interrupted"))
		return nhir_err_set(err, NHIR_ECONFLICT, "step %" PRId64 " (%s) "
				    "was interrupted: its run ended while the "
				    "connector ran, so whether it acted is "
				    "unknown; a lead decides: nhir execute "
				    "INC-%" PRId64 " %" PRId64 " --resolve "
				    "done|retry --why TEXT", x.seq, x.action,
				    incident, x.seq);
	rc = runnable(st, &x, err);
	if (rc)
		return rc;
	if (!strcmp(x.phase, "verify") && x.target)
		return run_probe(ctx, incident, &x, confirm, expect, conn, res,
				 err);
	return run_connector(ctx, incident, &x, confirm, expect, conn, res,
			     err);
}

enum nhir_rc nhir_step_resolve(const struct nhir_ctx *ctx, int64_t incident,
			       int64_t seq, bool done, const char *why,
			       struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	const struct nhir_plan_store_ops *ops = nhir_plan_store(st);
	struct xstep x;
	char what[400], result[600];
	int64_t now = nhir_ctx_now(ctx);
	cJSON *d;
	enum nhir_rc rc;

	if (!why || !*why)
		return nhir_err_set(err, NHIR_EINVAL, "a decision on an "
				    "interrupted step needs its reason (--why)");
	rc = ir_begin(ctx, NHIR_PERM_LEAD, incident, "execute.resolve", err);
	if (rc)
		return rc;
	memset(&x, 0, sizeof(x));
	rc = nhir_step_get(st, incident, seq, take_step, &x, err);
	if (!rc && strcmp(x.status, "interrupted"))
		rc = nhir_err_set(err, NHIR_ECONFLICT, "step %" PRId64 " is %s, "
				  "not interrupted: nothing to decide", seq,
				  x.status);
	snprintf(what, sizeof(what), "step %" PRId64 " (%s) was interrupted; "
		 "%s", seq, x.action, done ? "it is taken as done"
					   : "it is to be run again");
	snprintf(result, sizeof(result), "interrupted; the lead decided: %s",
		 done ? "done" : "run again");
	if (!rc)
		rc = ops->step_finish(st, x.id, done ? NHIR_STEP_DONE
						     : NHIR_STEP_FAILED,
				      0, now, result, 0, err);
	if (!rc && done && x.target && revokes(&x))
		rc = ops->revocation_confirm(st, incident, x.target, now,
					     result, err);
	if (!rc)
		rc = ops->decision_insert(st, incident, now, actor, what, why,
					  err);
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddNumberToObject(d, "step", (double)seq);
		cJSON_AddStringToObject(d, "action", x.action);
		cJSON_AddStringToObject(d, "decided", done ? "done" : "retry");
		cJSON_AddStringToObject(d, "why", why);
	}
	return ir_end(ctx, rc, "execute.resolve", incident, d, err);
}

/* ---- revocation states and probes ---- */

struct each_revocation {
	nhir_revocation_cb cb;
	void *data;
};

static int revocation_cb(void *arg, const struct nhir_plan_revocation *r)
{
	struct each_revocation *e = arg;
	struct nhir_revocation v;

	v.node = r->node;
	v.ext_id = r->ext_id;
	v.state = nhir_revocation_state_name(r->state);
	v.detail = r->detail;
	v.requested = r->requested;
	v.confirmed = r->confirmed;
	v.verified = r->verified;
	return e->cb(&v, e->data);
}

enum nhir_rc nhir_revocation_each(struct nhir_store *st, int64_t incident,
				  nhir_revocation_cb cb, void *data,
				  struct nhir_err *err)
{
	struct each_revocation e = { cb, data };

	return nhir_plan_store(st)->revocations_of(st, incident, revocation_cb,
						   &e, err);
}

struct pending {
	int64_t *node;
	size_t nr, alloc;
	bool oom;
};

static int pending_cb(const struct nhir_revocation *r, void *data)
{
	struct pending *p = data;

	if (strcmp(r->state, "confirmed"))
		return 0;
	if (NHIR_ALLOC_GROW(p->node, p->nr + 1, p->alloc)) {
		p->oom = true;
		return 1;
	}
	p->node[p->nr++] = r->node;
	return 0;
}

/* Calls that succeed whatever the permissions prove nothing. */
static bool proves_nothing(const char *call)
{
	char low[128];
	size_t i;

	for (i = 0; call[i] && i + 1 < sizeof(low); i++)
		low[i] = (char)tolower((unsigned char)call[i]);
	low[i] = 0;
	return strstr(low, "getcalleridentity") != NULL;
}

enum nhir_rc nhir_verify(const struct nhir_ctx *ctx, int64_t incident,
			 const struct nhir_connectors *conn,
			 struct nhir_verify_result *res, struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const struct nhir_plan_store_ops *ops = nhir_plan_store(st);
	struct pending p = { NULL, 0, 0, false };
	struct nhir_err own = NHIR_ERR_INIT;
	enum nhir_rc rc;

	if (!err)
		err = &own;	/* a refusal's reason goes on the record */
	memset(res, 0, sizeof(*res));
	rc = nhir_authorize(ctx, NHIR_PERM_WORK, incident, err);
	if (rc) {
		if (rc == NHIR_EDENIED)
			nhir_audit_denied(ctx, "verify", incident, err->msg);
		return rc;
	}
	rc = nhir_revocation_each(st, incident, pending_cb, &p, err);
	if (!rc && p.oom)
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	for (size_t i = 0; !rc && i < p.nr; i++) {
		struct nhir_buf reply = NHIR_BUF_INIT(1 << 20);
		struct nhir_err perr = NHIR_ERR_INIT;
		struct nhir_node n;
		struct xstep x;
		const char *outcome, *call = "";
		char detail[400] = "", *req;
		cJSON *a = NULL, *d = NULL;
		enum nhir_rc prc;

		if (nhir_store_get_node(st, p.node[i], &n, err)) {
			rc = NHIR_ESTORE;
			break;
		}
		if (!nhir_connector_for(conn, n.subtype ? n.subtype : "", true)) {
			res->no_probe++;
			nhir_node_release(&n);
			continue;
		}
		memset(&x, 0, sizeof(x));
		x.target = p.node[i];
		snprintf(x.action, sizeof(x.action), "probe");
		req = request_json(st, incident, &x, false);
		prc = req ? nhir_connector_call(ctx, conn, n.subtype, true, req,
						&reply, &perr)
			  : nhir_err_set(&perr, NHIR_ENOMEM, "out of memory");
		nhir_free(req);
		if (!prc) {
			nhir_buf_addch(&reply, 0);
			a = cJSON_Parse(reply.buf);
			if (!cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(a, "works")))
				prc = nhir_err_set(&perr, NHIR_EPARSE, "the probe "
						   "answered something that is "
						   "not {\"works\": ...}");
			if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(a, "call")))
				call = cJSON_GetObjectItemCaseSensitive(a, "call")->valuestring;
			d = cJSON_GetObjectItemCaseSensitive(a, "detail");
		}
		res->probed++;
		if (prc) {
			outcome = "probe-failed";
			snprintf(detail, sizeof(detail), "%s", perr.msg);
		} else if (proves_nothing(call)) {
			outcome = "refused";
			res->refused++;
			snprintf(detail, sizeof(detail), "%s succeeds whatever the "
				 "permissions: it proves nothing", call);
		} else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "works"))) {
			outcome = "still-works";
			res->still_working++;
			if (cJSON_IsString(d))
				snprintf(detail, sizeof(detail), "still works: "
					 "%s", d->valuestring);
			else
				snprintf(detail, sizeof(detail), "%s still "
					 "succeeds with %s",
					 call[0] ? call : "the probe", n.ext_id);
		} else {
			outcome = "verified";
			res->verified++;
			/* a built-in probe says what it saw */
			if (cJSON_IsString(d))
				snprintf(detail, sizeof(detail), "%s",
					 d->valuestring);
			else
				snprintf(detail, sizeof(detail), "%s is refused "
					 "for %s", call[0] ? call
					 : "the probe's call", n.ext_id);
		}
		rc = ir_begin(ctx, NHIR_PERM_WORK, incident, "verify", err);
		if (!rc && !strcmp(outcome, "verified")) {
			rc = ops->revocation_verify(st, incident, p.node[i], 0,
						    nhir_ctx_now(ctx), detail,
						    err);
			if (!rc)
				rc = ops->verify_steps_done(st, incident,
							    p.node[i],
							    nhir_ctx_now(ctx),
							    detail, err);
		} else if (!rc) {
			rc = ops->revocation_note(st, incident, p.node[i],
						  detail, err);
		}
		d = cJSON_CreateObject();
		if (d) {
			cJSON_AddStringToObject(d, "node", n.ext_id);
			cJSON_AddStringToObject(d, "outcome", outcome);
			cJSON_AddStringToObject(d, "detail", detail);
		}
		rc = ir_end(ctx, rc, "verify", incident, d, err);
		cJSON_Delete(a);
		nhir_buf_release(&reply);
		nhir_node_release(&n);
	}
	nhir_free(p.node);
	return rc;
}
