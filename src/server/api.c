/*
 * The routes: which one a request is, who sent it, and the answer.
 *
 * One table says every route: its path template, and per method the
 * handler, whether it changes anything and the name its refusals carry
 * on the audit log.  Matching, the 405 "Allow" header, /metrics labels
 * and /api/v1/openapi.json's coverage test all read the same table.
 *
 * Every route but /healthz, the API description and the sign-in routes
 * needs "Authorization: Bearer TOKEN" or a session cookie (auth.c).
 * The principal is the token's or the session's user and nothing else:
 * no header, parameter or --as changes it.  A read token may only read;
 * a session's changes need its CSRF token.  Each refusal is in the server's log (never with the
 * token); one that names a known token, and every refusal by role, is
 * on the audit log too.  Changes are authorized, made and audited by
 * the library, in one transaction, as the token's user.
 */
#include "compat.h"
#include <ctype.h>
#include <strings.h>
#include "nhir/doc.h"
#include "nhir/session.h"
#include "nhir/token.h"
#include "server/server-internal.h"

/* OP_UPLOAD: the body is streamed to a spool, the principal checked
 * before it is read; OP_SERIAL: a change to the record and nothing
 * else (no upload, no connector, no password hashing), made through
 * the server's writer (srv_writer) in the order the requests came */
enum { OP_PUBLIC = 1, OP_WRITE = 2, OP_UPLOAD = 4, OP_SERIAL = 8 };
#define OP_CHANGE (OP_WRITE | OP_SERIAL)

struct api_op {
	const char *method;	/* GET also answers HEAD */
	unsigned flags;
	const char *name;	/* as refusals are audited */
	enum MHD_Result (*fn)(struct srv_req *r);
};

struct api_path {
	const char *tmpl;	/* {id}: an incident, {n}: a number */
	struct api_op ops[5];	/* the streams of Shared Signals have 5 */
};

static enum MHD_Result healthz(struct srv_req *r);
static enum MHD_Result metrics(struct srv_req *r);
static enum MHD_Result openapi(struct srv_req *r);
static enum MHD_Result audit(struct srv_req *r);
static enum MHD_Result tokens(struct srv_req *r);
static enum MHD_Result token_create(struct srv_req *r);
static enum MHD_Result token_revoke(struct srv_req *r);
static enum MHD_Result incidents(struct srv_req *r);
static enum MHD_Result declare(struct srv_req *r);
static enum MHD_Result incident(struct srv_req *r);
static enum MHD_Result state(struct srv_req *r);
static enum MHD_Result assign(struct srv_req *r);
static enum MHD_Result scope(struct srv_req *r);
static enum MHD_Result decide(struct srv_req *r);
static enum MHD_Result note(struct srv_req *r);
static enum MHD_Result task(struct srv_req *r);
static enum MHD_Result task_done(struct srv_req *r);
static enum MHD_Result plan(struct srv_req *r);
static enum MHD_Result plan_build(struct srv_req *r);
static enum MHD_Result approve(struct srv_req *r);
static enum MHD_Result reject(struct srv_req *r);
static enum MHD_Result approve_all(struct srv_req *r);

#define INC "/api/v1/incidents/{id}"

static const struct api_path paths[ROUTE_NR] = {
	[ROUTE_NONE] = { "none", { { NULL, 0, NULL, NULL } } },
	[ROUTE_HEALTHZ] = { "/healthz",
		{ { "GET", OP_PUBLIC, "api.healthz", healthz } } },
	[ROUTE_METRICS] = { "/metrics",
		{ { "GET", 0, "api.metrics", metrics } } },
	[ROUTE_OPENAPI] = { "/api/v1/openapi.json",
		{ { "GET", OP_PUBLIC, "api.openapi", openapi } } },
	[ROUTE_AUDIT] = { "/api/v1/audit",
		{ { "GET", 0, "api.audit", audit } } },
	[ROUTE_TOKENS] = { "/api/v1/tokens",
		{ { "GET", 0, "api.token.list", tokens },
		  { "POST", OP_WRITE, "api.token.create", token_create } } },
	[ROUTE_TOKEN] = { "/api/v1/tokens/{n}",
		{ { "DELETE", OP_WRITE, "api.token.revoke", token_revoke } } },
	[ROUTE_EVENTS] = { "/api/v1/events",
		{ { "GET", 0, "api.events", srv_events } } },
	[ROUTE_INCIDENTS] = { "/api/v1/incidents",
		{ { "GET", 0, "api.incident.list", incidents },
		  { "POST", OP_CHANGE, "api.incident.declare", declare } } },
	[ROUTE_INCIDENT] = { INC,
		{ { "GET", 0, "api.incident.show", incident } } },
	[ROUTE_STATE] = { INC "/state",
		{ { "POST", OP_CHANGE, "api.incident.state", state } } },
	[ROUTE_ASSIGN] = { INC "/assign",
		{ { "POST", OP_CHANGE, "api.incident.assign", assign } } },
	[ROUTE_SCOPE] = { INC "/scope",
		{ { "GET", 0, "api.incident.scope", rd_scope },
		  { "POST", OP_CHANGE, "api.scope", scope } } },
	[ROUTE_DECISIONS] = { INC "/decisions",
		{ { "POST", OP_CHANGE, "api.decide", decide } } },
	[ROUTE_NOTES] = { INC "/notes",
		{ { "POST", OP_CHANGE, "api.note", note } } },
	[ROUTE_TASKS] = { INC "/tasks",
		{ { "GET", 0, "api.task.list", rd_tasks },
		  { "POST", OP_CHANGE, "api.task", task } } },
	[ROUTE_TASK_DONE] = { INC "/tasks/{n}/done",
		{ { "POST", OP_CHANGE, "api.task.done", task_done } } },
	[ROUTE_EVIDENCE_ITEM] = { INC "/evidence/{n}",
		{ { "GET", 0, "api.evidence.download", up_evidence_get } } },
	[ROUTE_IMPORT] = { "/api/v1/import",
		{ { "POST", OP_WRITE | OP_UPLOAD, "api.import", up_import } } },
	[ROUTE_INGEST] = { "/api/v1/ingest",
		{ { "POST", OP_WRITE | OP_UPLOAD, "api.ingest", up_ingest } } },
	[ROUTE_FINDINGS_IMPORT] = { "/api/v1/findings/import",
		{ { "POST", OP_WRITE | OP_UPLOAD, "api.findings.import",
		    up_findings } } },
	[ROUTE_LOGIN] = { "/api/v1/login",
		{ { "POST", OP_PUBLIC | OP_WRITE, "api.login", auth_login } } },
	[ROUTE_LOGOUT] = { "/api/v1/logout",
		{ { "POST", OP_WRITE, "api.logout", auth_logout } } },
	[ROUTE_SESSION] = { "/api/v1/session",
		{ { "GET", 0, "api.session", auth_session } } },
	[ROUTE_OIDC_LOGIN] = { "/api/v1/oidc/login",
		{ { "GET", OP_PUBLIC, "api.oidc.login", oidc_login } } },
	[ROUTE_OIDC_CALLBACK] = { "/api/v1/oidc/callback",
		{ { "GET", OP_PUBLIC, "api.oidc.callback", oidc_callback } } },
	[ROUTE_PLAN] = { INC "/plan",
		{ { "GET", 0, "api.plan", plan },
		  { "POST", OP_CHANGE, "api.plan.build", plan_build } } },
	[ROUTE_APPROVE] = { INC "/steps/{n}/approve",
		{ { "POST", OP_CHANGE, "api.approve", approve } } },
	[ROUTE_REJECT] = { INC "/steps/{n}/reject",
		{ { "POST", OP_CHANGE, "api.reject", reject } } },
	[ROUTE_BLAST] = { "/api/v1/blast",
		{ { "GET", 0, "api.blast", rd_blast } } },
	[ROUTE_USAGE] = { "/api/v1/usage",
		{ { "GET", 0, "api.usage", rd_usage } } },
	[ROUTE_TIMELINE] = { "/api/v1/timeline",
		{ { "GET", 0, "api.timeline", rd_timeline } } },
	[ROUTE_NODE] = { "/api/v1/node",
		{ { "GET", 0, "api.show", rd_node } } },
	[ROUTE_FINDINGS] = { "/api/v1/findings",
		{ { "GET", 0, "api.findings.list", rd_findings } } },
	[ROUTE_FINDING] = { "/api/v1/findings/{n}",
		{ { "GET", 0, "api.findings.show", rd_finding } } },
	[ROUTE_ROUTE_EXPLAIN] = { "/api/v1/findings/{n}/route",
		{ { "GET", 0, "api.route.explain", rd_route_explain } } },
	[ROUTE_TRIAGE] = { "/api/v1/triage",
		{ { "GET", 0, "api.triage", rd_findings } } },
	[ROUTE_AUDIT_VERIFY] = { "/api/v1/audit/verify",
		{ { "GET", 0, "api.audit.verify", rd_audit_verify } } },
	[ROUTE_CONTAIN] = { INC "/contain",
		{ { "GET", 0, "api.contain", rd_contain } } },
	[ROUTE_USERS] = { "/api/v1/users",
		{ { "GET", 0, "api.user.list", rd_users },
		  { "POST", OP_WRITE, "api.user.add", ad_user_add } } },
	[ROUTE_REPORT] = { INC "/report",
		{ { "GET", 0, "api.report", rd_report } } },
	[ROUTE_EVIDENCE] = { INC "/evidence",
		{ { "GET", 0, "api.evidence.list", rd_evidence },
		  { "POST", OP_WRITE | OP_UPLOAD, "api.evidence.add",
		    up_evidence } } },
	[ROUTE_WITNESS] = { "/api/v1/witness/checkpoints",
		{ { "POST", OP_WRITE, "api.witness.checkpoint", wit_post } } },
	[ROUTE_WITNESS_LOG] = { "/api/v1/witness/checkpoints/{log}",
		{ { "GET", 0, "api.witness.get", wit_get } } },
	[ROUTE_WEBHOOK_DELIVERIES] = { "/api/v1/webhooks/deliveries",
		{ { "GET", 0, "api.webhook.deliveries",
		    rd_webhook_deliveries } } },
	[ROUTE_STREAM] = { "/api/v1/stream",
		{ { "GET", 0, "api.stream", srv_events } } },
	[ROUTE_EXECUTE] = { INC "/steps/{n}/execute",
		{ { "POST", OP_WRITE, "api.execute", ct_execute } } },
	[ROUTE_EXECUTE_NEXT] = { INC "/execute",
		{ { "POST", OP_WRITE, "api.execute", ct_execute } } },
	[ROUTE_VERIFY] = { INC "/verify",
		{ { "POST", OP_WRITE, "api.verify", ct_verify } } },
	[ROUTE_PLAN_EDIT] = { INC "/plan/edit",
		{ { "POST", OP_WRITE, "api.plan.edit", ct_plan_edit } } },
	[ROUTE_USER] = { "/api/v1/users/{name}",
		{ { "POST", OP_WRITE, "api.user.set", ad_user_set } } },
	[ROUTE_SESSIONS] = { "/api/v1/sessions",
		{ { "GET", 0, "api.session.list", ad_sessions } } },
	[ROUTE_SESSION_ITEM] = { "/api/v1/sessions/{n}",
		{ { "DELETE", OP_WRITE, "api.session.end", ad_session_end } } },
	[ROUTE_REPORT_SIGN] = { INC "/report/sign",
		{ { "POST", OP_WRITE, "api.report.sign", sg_report_sign } } },
	/* Shared Signals (ssf.c) */
	[ROUTE_SSF_METADATA] = { "/.well-known/ssf-configuration",
		{ { "GET", OP_PUBLIC, "api.ssf.metadata", ssf_metadata } } },
	[ROUTE_SSF_JWKS] = { "/api/v1/ssf/jwks",
		{ { "GET", OP_PUBLIC, "api.ssf.jwks", ssf_jwks } } },
	[ROUTE_SSF_STREAMS] = { "/api/v1/ssf/streams",
		{ { "GET", 0, "api.ssf.stream.read", ssf_streams },
		  { "POST", OP_WRITE, "api.ssf.stream.create",
		    ssf_stream_create },
		  { "PUT", OP_WRITE, "api.ssf.stream.replace",
		    ssf_stream_replace },
		  { "PATCH", OP_WRITE, "api.ssf.stream.update",
		    ssf_stream_update },
		  { "DELETE", OP_WRITE, "api.ssf.stream.delete",
		    ssf_stream_delete } } },
	[ROUTE_SSF_STATUS] = { "/api/v1/ssf/status",
		{ { "GET", 0, "api.ssf.status", ssf_status },
		  { "POST", OP_WRITE, "api.ssf.status.set",
		    ssf_status_set } } },
	[ROUTE_SSF_VERIFY] = { "/api/v1/ssf/verify",
		{ { "POST", OP_WRITE, "api.ssf.verify", ssf_verify } } },
	[ROUTE_SSF_POLL] = { "/api/v1/ssf/poll/{n}",
		{ { "POST", OP_WRITE, "api.ssf.poll", ssf_poll } } },
	[ROUTE_SSF_RECEIVE] = { "/api/v1/ssf/receive",
		{ { "POST", OP_PUBLIC | OP_WRITE, "api.ssf.receive",
		    ssf_receive } } },
	[ROUTE_SSF_SUBJECT_ADD] = { "/api/v1/ssf/subjects:add",
		{ { "POST", OP_WRITE, "api.ssf.subject.add",
		    ssf_subject_add } } },
	[ROUTE_SSF_SUBJECT_REMOVE] = { "/api/v1/ssf/subjects:remove",
		{ { "POST", OP_WRITE, "api.ssf.subject.remove",
		    ssf_subject_remove } } },
	[ROUTE_RESPONSE_METRICS] = { "/api/v1/metrics",
		{ { "GET", 0, "api.metrics", rd_metrics } } },
	[ROUTE_APPROVE_ALL] = { INC "/approve",
		{ { "POST", OP_CHANGE, "api.approve.all", approve_all } } },
	/* watching after containment (watch.c) */
	[ROUTE_WATCH] = { INC "/watch",
		{ { "GET", 0, "api.watch.state", wt_state },
		  { "POST", OP_WRITE, "api.watch.start", wt_start },
		  { "DELETE", OP_WRITE, "api.watch.end", wt_end } } },
};

/* The i-th operation of route rt, or NULL past the last. */
static const struct api_op *route_op(enum srv_route rt, size_t i)
{
	if ((unsigned)rt >= ROUTE_NR || i >= NHIR_ARRAY_SIZE(paths[rt].ops) ||
	    !paths[rt].ops[i].method)
		return NULL;
	return &paths[rt].ops[i];
}

bool api_route_upload(const struct srv_req *r, enum srv_upload_kind *kind)
{
	if (!r->op || !(r->op->flags & OP_UPLOAD))
		return false;
	switch (r->route) {
	case ROUTE_IMPORT:
		*kind = SRV_UP_IMPORT;
		break;
	case ROUTE_INGEST:
		*kind = SRV_UP_INGEST;
		break;
	case ROUTE_FINDINGS_IMPORT:
		*kind = SRV_UP_FINDINGS;
		break;
	default:
		*kind = SRV_UP_EVIDENCE;
		break;
	}
	return true;
}

const char *api_route_name(enum srv_route rt)
{
	return (unsigned)rt < ROUTE_NR ? paths[rt].tmpl : "none";
}

const char *api_route_method(enum srv_route rt, size_t i)
{
	const struct api_op *o = route_op(rt, i);

	return o ? o->method : NULL;
}

void api_route_allow(enum srv_route rt, char *buf, size_t len)
{
	const char *m;

	buf[0] = 0;
	for (size_t i = 0; (m = api_route_method(rt, i)); i++) {
		size_t n = strlen(buf);

		snprintf(buf + n, len - n, "%s%s%s", n ? ", " : "", m,
			 strcmp(m, "GET") ? "" : ", HEAD");
	}
}

/* One segment of url (up to '/' or its end) against one of tmpl. */
static bool segment(const char *t, size_t tn, const char *u, size_t un,
		    struct srv_req *r)
{
	char ref[32];
	char *end;
	long long v;

	if (tn == 5 && !memcmp(t, "{log}", 5)) {
		/* a log's identity: 32 lowercase hex digits */
		if (un != 32 || strspn(u, "0123456789abcdef") < 32)
			return false;
		memcpy(r->log, u, 32);
		r->log[32] = '\0';
		return true;
	}
	if (tn == 6 && !memcmp(t, "{name}", 6)) {
		/* a user's name: letters, digits and ._@- */
		if (!un || un >= sizeof(r->name))
			return false;
		for (size_t i = 0; i < un; i++)
			if (!isalnum((unsigned char)u[i]) &&
			    !strchr("._@-", u[i]))
				return false;
		memcpy(r->name, u, un);
		r->name[un] = '\0';
		return true;
	}
	if (!un || un >= sizeof(ref))
		return false;
	if (tn == 4 && !memcmp(t, "{id}", 4)) {
		memcpy(ref, u, un);
		ref[un] = 0;
		r->incident = nhir_incident_ref(ref);
		return r->incident > 0;
	}
	if (tn == 3 && !memcmp(t, "{n}", 3)) {
		memcpy(ref, u, un);
		ref[un] = 0;
		if (strspn(ref, "0123456789") != un || ref[0] == '0')
			return false;
		errno = 0;
		v = strtoll(ref, &end, 10);
		if (errno || *end || v <= 0)
			return false;
		r->num = v;
		return true;
	}
	return tn == un && !memcmp(t, u, un);
}

static bool match(const char *tmpl, const char *url, struct srv_req *r)
{
	r->incident = r->num = 0;
	r->log[0] = '\0';
	r->name[0] = '\0';
	while (*tmpl == '/' && *url == '/') {
		size_t tn = strcspn(++tmpl, "/"), un = strcspn(++url, "/");

		if (!segment(tmpl, tn, url, un, r))
			return false;
		tmpl += tn;
		url += un;
	}
	return !*tmpl && !*url;
}

void srv_routes(srv_route_cb cb, void *data)
{
	const struct api_op *o;

	for (int rt = ROUTE_NONE + 1; rt < ROUTE_NR; rt++)
		for (size_t i = 0; (o = route_op((enum srv_route)rt, i)); i++)
			cb(o->method, paths[rt].tmpl, o->flags & OP_WRITE,
			   o->flags & OP_PUBLIC, data);
}

enum srv_route api_route(struct srv_req *r, bool *method_ok)
{
	bool head = !strcmp(r->method, "HEAD");
	const struct api_op *o;

	*method_ok = false;
	r->op = NULL;
	for (int rt = ROUTE_NONE + 1; rt < ROUTE_NR; rt++) {
		const struct api_path *p = &paths[rt];

		if (!match(p->tmpl, r->url, r))
			continue;
		for (size_t i = 0; (o = route_op((enum srv_route)rt, i)); i++)
			if (!strcmp(o->method, r->method) ||
			    (head && !strcmp(o->method, "GET"))) {
				r->op = o;
				*method_ok = true;
			}
		return (enum srv_route)rt;
	}
	return ROUTE_NONE;
}

bool api_route_writes(const struct srv_req *r)
{
	return r->op && (r->op->flags & OP_WRITE);
}

/* Up, and the database answers a read. */
static enum MHD_Result healthz(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	int64_t users = 0;
	cJSON *d;

	r->st = srv_store(r->srv, &err);
	if (!r->st || nhir_user_count(r->st, &users, &err)) {
		srv_log("healthz: %s", err.msg);
		return srv_problem(r, 503, err.rc, "unavailable",
				   "Service unavailable",
				   "the database does not answer");
	}
	d = cJSON_CreateObject();
	if (d && !cJSON_AddStringToObject(d, "status", "ok")) {
		cJSON_Delete(d);
		d = NULL;
	}
	return srv_respond_doc(r, 200, d);
}

static enum MHD_Result unauthenticated(struct srv_req *r, const char *why)
{
	srv_log("401 %s %s: %s", r->method, r->url, why);
	return srv_problem(r, 401, NHIR_EDENIED, "unauthenticated",
			   "Authentication required", why);
}

/*
 * The verdict of a credential check (a token's or a session's): a
 * refusal is 401, and names a known credential's user on the audit
 * log; any other failure is the library's.  Else sets r->user.
 */
static bool checked(struct srv_req *r, enum nhir_rc rc, int64_t id,
		    const char *user, const struct nhir_err *err,
		    enum MHD_Result *ok)
{
	if (rc == NHIR_EDENIED) {
		struct nhir_ctx c = *srv_lib(r);

		c.actor = user;
		if (id)
			nhir_audit_denied(&c, r->op->name, 0, err->msg);
		*ok = unauthenticated(r, err->msg);
		return false;
	}
	if (rc) {
		*ok = srv_fail(r, err);
		return false;
	}
	snprintf(r->user, sizeof(r->user), "%s", user);
	return true;
}

/*
 * Sets r->user from a session cookie, or answers 401; a change (any
 * method but GET and HEAD) also needs the session's CSRF token in
 * X-CSRF-Token, else 403.  Refusals naming a known session are on the
 * audit log.
 */
static bool session_auth(struct srv_req *r, const char *cookie,
			 enum MHD_Result *ok)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_session s = { 0 };
	const char *csrf;
	char why[NHIR_ERR_MSG_MAX + 64];
	enum nhir_rc rc;

	if (!r->st)
		r->st = srv_store(r->srv, &err);
	rc = r->st ? nhir_session_check(r->st, cookie, nhir_time_now(), &s,
					&err) : err.rc;
	if (!checked(r, rc, s.id, s.user, &err, ok))
		return false;
	r->session = s.id;
	r->cookie = cookie;
	if (!strcmp(r->method, "GET") || !strcmp(r->method, "HEAD"))
		return true;
	csrf = MHD_lookup_connection_value(r->con, MHD_HEADER_KIND,
					   SRV_CSRF_HEADER);
	if (nhir_session_csrf_ok(r->st, cookie, csrf))
		return true;
	snprintf(why, sizeof(why), "session %" PRId64 " of %s: a change "
		 "needs the session's CSRF token in " SRV_CSRF_HEADER ", %s",
		 s.id, s.user, csrf ? "and this one is not it" : "and there "
		 "is none");
	nhir_audit_denied(srv_lib(r), r->op->name, r->incident, why);
	srv_log("403 %s %s: %s", r->method, r->url, why);
	*ok = srv_problem(r, 403, NHIR_EDENIED, "csrf", "CSRF token missing "
			  "or wrong", why);
	return false;
}

/*
 * Sets r->user from the bearer token, or answers 401 (or 403 for a
 * read token on a write route) and returns false with *ok set.
 */
static bool token_auth(struct srv_req *r, bool write, enum MHD_Result *ok,
		       struct nhir_token *tok);

bool api_authenticate(struct srv_req *r, bool write, enum MHD_Result *ok)
{
	struct nhir_token t;

	return token_auth(r, write, ok, &t);
}

/* The same, with the token as checked into *tok (zeroed first). */
static bool token_auth(struct srv_req *r, bool write, enum MHD_Result *ok,
		       struct nhir_token *tok)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_token *t = tok;
	const char *h;
	char why[NHIR_ERR_MSG_MAX + 64];
	enum nhir_rc rc;

	h = MHD_lookup_connection_value(r->con, MHD_HEADER_KIND,
					MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h) {
		const char *cookie = MHD_lookup_connection_value(
			r->con, MHD_COOKIE_KIND, SRV_SESSION_COOKIE);

		if (cookie)
			return session_auth(r, cookie, ok);
		*ok = unauthenticated(r, "this needs an API token: "
				      "Authorization: Bearer TOKEN, or a "
				      "session (POST /api/v1/login)");
		return false;
	}
	if (strncasecmp(h, "Bearer ", 7)) {
		*ok = unauthenticated(r, "the Authorization header is not "
				      "'Bearer TOKEN'");
		return false;
	}
	for (h += 7; *h == ' '; h++)
		;
	memset(t, 0, sizeof(*t));
	if (!r->st)
		r->st = srv_store(r->srv, &err);
	rc = r->st ? nhir_token_check(r->st, h, nhir_time_now(), t, &err)
		   : err.rc;
	if (!checked(r, rc, t->id, t->user, &err, ok))
		return false;
	r->token = t->id;
	if (write && t->scope != NHIR_TOKEN_WRITE) {
		snprintf(why, sizeof(why), "token %" PRId64 " of %s may only "
			 "read", t->id, t->user);
		nhir_audit_denied(srv_lib(r), r->op->name, r->incident, why);
		srv_log("403 %s %s: %s", r->method, r->url, why);
		*ok = srv_problem(r, 403, NHIR_EDENIED, "forbidden",
				  "Not authorized", why);
		return false;
	}
	return true;
}

/* May r->user read the record?  Else answers 403 (audited). */
static bool may_read(struct srv_req *r, enum MHD_Result *ok)
{
	struct nhir_err err = NHIR_ERR_INIT;
	enum nhir_rc rc;

	rc = nhir_authorize(srv_lib(r), NHIR_PERM_READ, 0, &err);
	if (!rc)
		return true;
	if (rc == NHIR_EDENIED)
		nhir_audit_denied(srv_lib(r), r->op->name, 0, err.msg);
	*ok = srv_fail(r, &err);
	return false;
}

static enum MHD_Result incidents(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	const char *q;
	int st = -1;
	cJSON *doc;

	q = MHD_lookup_connection_value(r->con, MHD_GET_ARGUMENT_KIND,
					"state");
	if (q && (st = nhir_inc_state_parse(q)) < 0)
		return srv_problem(r, 400, NHIR_EINVAL, "invalid",
				   "Bad request", "parameter 'state' is not "
				   "a state (declared, investigating, "
				   "containing, recovering, closed)");
	if (nhir_doc_incidents(r->st, st, &doc, &err))
		return srv_fail(r, &err);
	return srv_respond_doc(r, 200, doc);
}

/*
 * The incident as it is now, with its ETag: status 200 or 201; a 200
 * kept under k when k names a key.
 */
static enum MHD_Result incident_kept(struct srv_req *r, unsigned status,
				     const struct srv_cache_key *k)
{
	struct nhir_err err = NHIR_ERR_INIT;
	enum MHD_Result ok;
	cJSON *doc;
	char *text;

	if (nhir_doc_incident(r->st, r->incident, &doc, &err))
		return srv_fail(r, &err);
	/* built once: the tag is the digest of the very bytes sent */
	text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if (text)
		nhir_etag_of(text, strlen(text), r->etag);
	if (!text || !r->etag[0]) {
		cJSON_free(text);
		return srv_problem(r, 500, NHIR_ENOMEM, "internal",
				   "Internal error", "out of memory");
	}
	if (k && k->len && status == 200)
		ok = srv_cache_put(srv_cache(r->srv), r, k, text,
				   strlen(text));
	else
		ok = srv_respond(r, status, "application/json", text,
				 strlen(text));
	cJSON_free(text);
	return ok;
}

static enum MHD_Result incident_doc(struct srv_req *r, unsigned status)
{
	return incident_kept(r, status, NULL);
}

/* If-None-Match: "*" or a list of tags, one of them the current one. */
static bool none_match(const char *h, const char *tag)
{
	size_t n = strlen(tag);

	for (; h && *h; h++) {
		if (*h == '*')
			return true;
		if (!strncmp(h, "W/", 2))
			h += 2;
		if (!strncmp(h, tag, n) && (!h[n] || h[n] == ',' ||
					    h[n] == ' '))
			return true;
		h = strchr(h, ',');
		if (!h)
			break;
	}
	return false;
}

static enum MHD_Result incident(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct srv_cache_key k;
	char key[48];
	enum MHD_Result ok;
	const char *h;

	h = MHD_lookup_connection_value(r->con, MHD_HEADER_KIND,
					MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (h) {
		if (nhir_incident_etag(r->st, r->incident, r->etag, &err))
			return srv_fail(r, &err);
		if (none_match(h, r->etag))
			return srv_respond(r, 304, "application/json", "", 0);
		return incident_doc(r, 200);
	}
	/*
	 * The document is the database's: kept under the data's version,
	 * read first in the request's snapshot (none on a store that keeps
	 * no version: then it is built every time).
	 */
	memset(&k, 0, sizeof(k));
	if (!nhir_store_data_version(r->st, &k.ver[0], NULL)) {
		snprintf(key, sizeof(key), "incident %" PRId64, r->incident);
		k.key = key;
		k.len = strlen(key);
		if (srv_cache_reply(srv_cache(r->srv), r, &k, &ok))
			return ok;
	}
	return incident_kept(r, 200, &k);
}

static bool json_body(struct srv_req *r)
{
	const char *t = MHD_lookup_connection_value(
		r->con, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t n = strlen("application/json");

	if (!r->len)
		return true;
	return t && !strncasecmp(t, "application/json", n) &&
	       (!t[n] || t[n] == ';' || t[n] == ' ');
}

/*
 * The body by fields f, into v; else answers (415, 400, 413) and
 * returns false with *ok set.
 */
static bool body(struct srv_req *r, const struct srv_field *f, size_t nr,
		 struct srv_value *v, enum MHD_Result *ok)
{
	struct nhir_err err = NHIR_ERR_INIT;

	if (!json_body(r)) {
		*ok = srv_problem(r, 415, NHIR_EINVAL, "media-type",
				  "Unsupported media type",
				  "the body must be application/json");
		return false;
	}
	if (srv_decode(r->body, r->len, f, nr, v, &err)) {
		*ok = srv_fail(r, &err);
		return false;
	}
	return true;
}

/*
 * If-Match: the change goes ahead only if the incident is still as the
 * client read it, checked by the library inside the change's
 * transaction.  Only one strong tag (or "*", which any incident meets).
 */
static bool if_match(struct srv_req *r, enum MHD_Result *ok)
{
	const char *h = MHD_lookup_connection_value(r->con, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_IF_MATCH);

	if (!h || !strcmp(h, "*"))
		return true;
	if (strlen(h) != NHIR_ETAG_LEN - 2 || h[0] != '"') {
		*ok = srv_problem(r, 412, NHIR_ESTALE, "stale",
				  "Precondition failed", "If-Match is not a "
				  "tag this server gave (one strong tag)");
		return false;
	}
	nhir_incident_expect(r->st, r->incident, h);
	return true;
}

/* The end of every change to an incident: the library's verdict. */
static enum MHD_Result changed(struct srv_req *r, enum nhir_rc rc,
			       const struct nhir_err *err, const char *what)
{
	nhir_incident_expect(r->st, 0, NULL);
	if (rc)
		return srv_fail(r, err);
	srv_log("%s %s: %s by %s (token %" PRId64 ")", r->method, r->url,
		what, r->user, r->token);
	return incident_doc(r, 200);
}

static enum MHD_Result declare(struct srv_req *r)
{
	static const struct srv_field f[] = {
		{ "title", SRV_STR, true, 0, 255 },
		{ "severity", SRV_STR, true, 0, 15 },
		{ "lead", SRV_STR, true, 0, 127 },
		{ "seeds", SRV_STRS, false, 0, 512 },
		{ "exposed_at", SRV_STR, false, 0, 40 },
		{ "findings", SRV_INTS, false, 1, (size_t)1 << 53 },
	};
	struct srv_value v[NHIR_ARRAY_SIZE(f)];
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_declare d;
	int64_t finding[SRV_LIST_MAX];
	char loc[64];
	enum MHD_Result ok;
	enum nhir_rc rc = NHIR_OK;

	if (!body(r, f, NHIR_ARRAY_SIZE(f), v, &ok))
		return ok;
	memset(&d, 0, sizeof(d));
	d.title = v[0].s;
	d.severity = v[1].s;
	d.lead = v[2].s;
	d.seeds = (const char *const *)v[3].v;
	d.seed_nr = v[3].n;
	d.exposed_at = NHIR_TIME_UNSET;
	for (size_t k = 0; k < v[5].n && k < SRV_LIST_MAX; k++)
		finding[k] = strtoll(v[5].v[k], NULL, 10);
	d.findings = finding;
	d.finding_nr = v[5].n;
	if (v[4].s && nhir_time_parse(v[4].s, strlen(v[4].s), &d.exposed_at,
				      &err)) {
		nhir_err_prefix(&err, "request body: field 'exposed_at'");
		rc = err.rc;
	}
	if (!rc)
		rc = nhir_incident_declare(srv_lib(r), &d, &r->incident, &err);
	srv_values_free(v, NHIR_ARRAY_SIZE(f));
	if (rc)
		return srv_fail(r, &err);
	srv_log("201 %s %s: INC-%" PRId64 " declared by %s (token %" PRId64
		")", r->method, r->url, r->incident, r->user, r->token);
	snprintf(loc, sizeof(loc), "/api/v1/incidents/INC-%" PRId64,
		 r->incident);
	snprintf(r->location, sizeof(r->location), "%s", loc);
	return incident_doc(r, 201);
}

static enum MHD_Result state(struct srv_req *r)
{
	static const struct srv_field f[] = {
		{ "to", SRV_STR, true, 0, 32 },
		{ "why", SRV_STR, false, 0, SRV_NOTE_MAX },
	};
	struct srv_value v[NHIR_ARRAY_SIZE(f)];
	struct nhir_err err = NHIR_ERR_INIT;
	enum MHD_Result ok;
	enum nhir_rc rc;
	int to;

	if (!body(r, f, NHIR_ARRAY_SIZE(f), v, &ok))
		return ok;
	to = nhir_inc_state_parse(v[0].s);
	if (to < 0)
		rc = nhir_err_set(&err, NHIR_EINVAL, "request body: field 'to' "
				  "is not a state (declared, investigating, "
				  "containing, recovering, closed)");
	else if (!if_match(r, &ok)) {
		srv_values_free(v, NHIR_ARRAY_SIZE(f));
		return ok;
	} else
		rc = nhir_incident_move(srv_lib(r), r->incident,
					(enum nhir_inc_state)to, v[1].s, &err);
	srv_values_free(v, NHIR_ARRAY_SIZE(f));
	return changed(r, rc, &err, "state changed");
}

static enum MHD_Result assign(struct srv_req *r)
{
	static const struct srv_field f[] = {
		{ "lead", SRV_STR, false, 0, 127 },
		{ "responders", SRV_STRS, false, 0, 127 },
	};
	struct srv_value v[NHIR_ARRAY_SIZE(f)];
	struct nhir_err err = NHIR_ERR_INIT;
	enum MHD_Result ok;
	enum nhir_rc rc;

	if (!body(r, f, NHIR_ARRAY_SIZE(f), v, &ok))
		return ok;
	if (!v[0].s && !v[1].n)
		rc = nhir_err_set(&err, NHIR_EINVAL, "request body: give "
				  "'lead' or 'responders'");
	else if (!if_match(r, &ok)) {
		srv_values_free(v, NHIR_ARRAY_SIZE(f));
		return ok;
	} else
		rc = nhir_incident_assign(srv_lib(r), r->incident, v[0].s,
					  (const char *const *)v[1].v, v[1].n,
					  &err);
	srv_values_free(v, NHIR_ARRAY_SIZE(f));
	return changed(r, rc, &err, "assigned");
}

static enum MHD_Result scope(struct srv_req *r)
{
	static const struct srv_field f[] = {
		{ "op", SRV_STR, true, 0, 16 },
		{ "ref", SRV_STR, true, 0, 1024 },
		{ "why", SRV_STR, false, 0, SRV_NOTE_MAX },
	};
	static const char *const ops[] = { "add", "confirm", "dismiss" };
	struct srv_value v[NHIR_ARRAY_SIZE(f)];
	struct nhir_err err = NHIR_ERR_INIT;
	enum MHD_Result ok;
	enum nhir_rc rc;
	size_t op;

	if (!body(r, f, NHIR_ARRAY_SIZE(f), v, &ok))
		return ok;
	for (op = 0; op < NHIR_ARRAY_SIZE(ops); op++)
		if (!strcmp(v[0].s, ops[op]))
			break;
	if (op == NHIR_ARRAY_SIZE(ops))
		rc = nhir_err_set(&err, NHIR_EINVAL, "request body: field 'op' "
				  "is not add, confirm or dismiss");
	else if (!if_match(r, &ok)) {
		srv_values_free(v, NHIR_ARRAY_SIZE(f));
		return ok;
	} else
		rc = nhir_scope_change(srv_lib(r), r->incident,
				       (enum nhir_scope_op)op, v[1].s, v[2].s,
				       &err);
	srv_values_free(v, NHIR_ARRAY_SIZE(f));
	return changed(r, rc, &err, "scope changed");
}

static enum MHD_Result decide(struct srv_req *r)
{
	static const struct srv_field f[] = {
		{ "kind", SRV_STR, false, 0, 32 },
		{ "what", SRV_STR, true, 0, SRV_NOTE_MAX },
		{ "why", SRV_STR, true, 0, SRV_NOTE_MAX },
	};
	struct srv_value v[NHIR_ARRAY_SIZE(f)];
	struct nhir_err err = NHIR_ERR_INIT;
	enum MHD_Result ok;
	enum nhir_rc rc;
	int64_t id = 0;

	if (!body(r, f, NHIR_ARRAY_SIZE(f), v, &ok))
		return ok;
	if (!if_match(r, &ok)) {
		srv_values_free(v, NHIR_ARRAY_SIZE(f));
		return ok;
	}
	rc = nhir_decide(srv_lib(r), r->incident, v[0].s ? v[0].s : "decision",
			 v[1].s, v[2].s, &id, &err);
	srv_values_free(v, NHIR_ARRAY_SIZE(f));
	return changed(r, rc, &err, "decision recorded");
}

static enum MHD_Result note(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	char *text = NULL;
	enum MHD_Result ok;
	enum nhir_rc rc;

	if (!json_body(r) || !r->len)
		return srv_problem(r, 415, NHIR_EINVAL, "media-type",
				   "Unsupported media type",
				   "the body must be application/json");
	if (srv_decode_note(r->body, r->len, &text, &err))
		return srv_fail(r, &err);
	if (!if_match(r, &ok)) {
		srv_free(text);
		return ok;
	}
	/* the library authorizes, changes and audits, as the token's user */
	rc = nhir_note_add(srv_lib(r), r->incident, text, &err);
	srv_free(text);
	nhir_incident_expect(r->st, 0, NULL);
	if (rc)
		return srv_fail(r, &err);
	srv_log("201 %s %s: note by %s (token %" PRId64 ")", r->method,
		r->url, r->user, r->token);
	return incident_doc(r, 201);
}

static enum MHD_Result task(struct srv_req *r)
{
	static const struct srv_field f[] = {
		{ "title", SRV_STR, true, 0, 255 },
		{ "owner", SRV_STR, false, 0, 127 },
		{ "due", SRV_STR, false, 0, 40 },
	};
	struct srv_value v[NHIR_ARRAY_SIZE(f)];
	struct nhir_err err = NHIR_ERR_INIT;
	enum MHD_Result ok;
	enum nhir_rc rc = NHIR_OK;
	int64_t due = NHIR_TIME_UNSET, id = 0;

	if (!body(r, f, NHIR_ARRAY_SIZE(f), v, &ok))
		return ok;
	if (v[2].s && nhir_time_parse(v[2].s, strlen(v[2].s), &due, &err)) {
		nhir_err_prefix(&err, "request body: field 'due'");
		rc = err.rc;
	}
	if (!rc && !if_match(r, &ok)) {
		srv_values_free(v, NHIR_ARRAY_SIZE(f));
		return ok;
	}
	if (!rc)
		rc = nhir_task_add(srv_lib(r), r->incident, v[0].s, v[1].s, due,
				   &id, &err);
	srv_values_free(v, NHIR_ARRAY_SIZE(f));
	if (rc) {
		nhir_incident_expect(r->st, 0, NULL);
		return srv_fail(r, &err);
	}
	nhir_incident_expect(r->st, 0, NULL);
	srv_log("201 %s %s: task %" PRId64 " by %s (token %" PRId64 ")",
		r->method, r->url, id, r->user, r->token);
	return incident_doc(r, 201);
}

static enum MHD_Result task_done(struct srv_req *r)
{
	static const struct srv_field f[] = {
		{ "why", SRV_STR, false, 0, SRV_NOTE_MAX },
	};
	struct srv_value v[NHIR_ARRAY_SIZE(f)];
	struct nhir_err err = NHIR_ERR_INIT;
	enum MHD_Result ok;
	enum nhir_rc rc;

	if (!body(r, f, NHIR_ARRAY_SIZE(f), v, &ok))
		return ok;
	srv_values_free(v, NHIR_ARRAY_SIZE(f));
	if (!if_match(r, &ok))
		return ok;
	rc = nhir_task_done(srv_lib(r), r->incident, r->num, &err);
	return changed(r, rc, &err, "task done");
}

/* The plan as it is now: status 200 or 201. */
static enum MHD_Result plan_doc(struct srv_req *r, unsigned status)
{
	struct nhir_err err = NHIR_ERR_INIT;
	cJSON *doc;

	if (nhir_doc_plan(r->st, r->incident, &doc, &err))
		return srv_fail(r, &err);
	return srv_respond_doc(r, status, doc);
}

static enum MHD_Result plan(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_incident i;

	/* an incident that is not there is 404, not an empty plan */
	if (nhir_incident_get(r->st, r->incident, &i, &err))
		return srv_fail(r, &err);
	return plan_doc(r, 200);
}

/*
 * Builds the plan from the catalog an admin configured, else the
 * server's; a plan part of which ran is not replaced (the library's
 * rule).
 */
static enum MHD_Result plan_build(struct srv_req *r)
{
	static const struct srv_field f[] = {
		{ "why", SRV_STR, false, 0, SRV_NOTE_MAX },
	};
	struct srv_value v[NHIR_ARRAY_SIZE(f)];
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_plan_origin o = { NULL, false, NULL };
	struct nhir_catalog *cat = NULL;
	char *conf;
	bool found = false;
	size_t steps = 0;
	enum MHD_Result ok;
	enum nhir_rc rc;

	if (!body(r, f, NHIR_ARRAY_SIZE(f), v, &ok))
		return ok;
	conf = malloc(NHIR_SETTING_MAX);
	rc = conf ? nhir_setting_get(r->st, "catalog", conf, NHIR_SETTING_MAX,
				     &found, &err)
		  : nhir_err_set(&err, NHIR_ENOMEM, "out of memory");
	if (!rc) {
		o.catalog = found ? conf : srv_opts(r->srv)->catalog;
		o.configured = found;
		o.why = v[0].s;
		rc = o.catalog ? nhir_catalog_load(o.catalog, &cat, &err)
			       : nhir_err_set(&err, NHIR_ECONFLICT, "this "
					      "server has no action catalog");
	}
	if (!rc)
		rc = nhir_plan_build_from(srv_lib(r), r->incident, cat, &o,
					  &steps, &err);
	nhir_catalog_free(cat);
	free(conf);
	srv_values_free(v, NHIR_ARRAY_SIZE(f));
	if (rc)
		return srv_fail(r, &err);
	srv_log("201 %s %s: plan of %zu steps by %s (token %" PRId64 ")",
		r->method, r->url, steps, r->user, r->token);
	return plan_doc(r, 201);
}

/* Four eyes: the library counts distinct approvers, never the proposer. */
static enum MHD_Result verdict(struct srv_req *r, bool yes)
{
	static const struct srv_field f[] = {
		{ "why", SRV_STR, true, 0, SRV_NOTE_MAX },
		{ "ttl", SRV_INT, false, 1, (size_t)366 * 86400 },
		{ "withdraw", SRV_BOOL, false, 0, 0 },
	};
	struct srv_value v[NHIR_ARRAY_SIZE(f)];
	struct nhir_err err = NHIR_ERR_INIT;
	enum MHD_Result ok;
	enum nhir_rc rc;
	bool withdraw = false;

	if (!body(r, f, NHIR_ARRAY_SIZE(f), v, &ok))
		return ok;
	if (!yes && v[1].set)
		rc = nhir_err_set(&err, NHIR_EINVAL, "request body: a "
				  "rejection has no 'ttl'");
	else if (yes && v[2].set && !v[2].null)
		rc = nhir_err_set(&err, NHIR_EINVAL, "request body: field "
				  "'withdraw' goes with a rejection only");
	else if ((withdraw = v[2].b))
		/* the author takes back their own rejection */
		rc = nhir_reject_withdraw(srv_lib(r), r->incident, r->num,
					  v[0].s, &err);
	else
		rc = nhir_approve(srv_lib(r), r->incident, r->num, yes, v[0].s,
				  v[1].set ? v[1].i : 0, &err);
	srv_values_free(v, NHIR_ARRAY_SIZE(f));
	if (rc)
		return srv_fail(r, &err);
	srv_log("%s %s: step %" PRId64 " %s by %s (token %" PRId64 ")",
		r->method, r->url, r->num, yes ? "approved" : withdraw ?
		"rejection withdrawn" : "rejected", r->user, r->token);
	return plan_doc(r, 200);
}

static enum MHD_Result approve(struct srv_req *r)
{
	return verdict(r, true);
}

static enum MHD_Result reject(struct srv_req *r)
{
	return verdict(r, false);
}

/* Each step tried: {"step", "action", "approved", "reason"}. */
/*
 * POST /api/v1/incidents/{id}/approve: {"why", "ttl"} approves every
 * step that awaits the user's approval (nhir approve INC --all), each
 * in its own transaction; four eyes stays the library's.  The answer
 * says per step what was approved and what was refused and why, and
 * the plan after.  A run that fails part way is a problem whose
 * "result" is that document without the plan: what was approved before.
 */
static enum MHD_Result approve_all(struct srv_req *r)
{
	static const struct srv_field f[] = {
		{ "why", SRV_STR, true, 0, SRV_NOTE_MAX },
		{ "ttl", SRV_INT, false, 1, (size_t)366 * 86400 },
	};
	struct srv_value v[NHIR_ARRAY_SIZE(f)];
	struct nhir_err err = NHIR_ERR_INIT, e2 = NHIR_ERR_INIT;
	struct nhir_doc_approvals *a;
	cJSON *doc = NULL, *ext;
	enum MHD_Result ok;
	enum nhir_rc rc;
	size_t n;

	if (!body(r, f, NHIR_ARRAY_SIZE(f), v, &ok))
		return ok;
	rc = nhir_doc_approvals_new(r->incident, r->user, &a, &err);
	if (!rc)
		rc = nhir_approve_pending(srv_lib(r), r->incident, v[0].s,
					  v[1].set ? v[1].i : 0,
					  nhir_doc_approved, a, &err);
	srv_values_free(v, NHIR_ARRAY_SIZE(f));
	if (!a)
		return srv_fail(r, &err);
	n = nhir_doc_approvals_count(a);
	if (!rc) {
		rc = nhir_doc_approvals_end(a, r->st, &doc, &err);
	} else if (!nhir_doc_approvals_end(a, NULL, &doc, &e2) && n) {
		/* the problem carries what was done as its "result" */
		ext = cJSON_CreateObject();
		if (!ext || !cJSON_AddItemToObject(ext, "result", doc))
			cJSON_Delete(doc);
		return srv_fail_ext(r, &err, ext);
	}
	if (rc) {
		cJSON_Delete(doc);
		return srv_fail(r, &err);
	}
	srv_log("%s %s: %zu steps tried by %s (token %" PRId64 ")",
		r->method, r->url, n, r->user, r->token);
	return srv_respond_doc(r, 200, doc);
}

static enum MHD_Result audit(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	const char *q;
	int64_t inc = 0;
	cJSON *doc;

	q = MHD_lookup_connection_value(r->con, MHD_GET_ARGUMENT_KIND,
					"incident");
	if (q && !(inc = nhir_incident_ref(q)))
		return srv_problem(r, 400, NHIR_EINVAL, "invalid",
				   "Bad request", "parameter 'incident' is "
				   "not an incident (INC-12 or 12)");
	if (nhir_doc_audit(r->st, inc, &doc, &err))
		return srv_fail(r, &err);
	return srv_respond_doc(r, 200, doc);
}

static enum MHD_Result tokens(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	cJSON *doc;

	if (nhir_doc_tokens(srv_lib(r), &doc, &err))
		return srv_fail(r, &err);
	return srv_respond_doc(r, 200, doc);
}

/*
 * An admin makes a token for a user: {"user", "scope", "expires"}.  The
 * answer (201) is the only place its value ever appears: the library
 * keeps a keyed hash, the audit entry and this server's log name it by
 * id, and every answer is Cache-Control: no-store.
 */
static enum MHD_Result token_create(struct srv_req *r)
{
	static const struct srv_field f[] = {
		{ "user", SRV_STR, true, 0, 127 },
		{ "scope", SRV_STR, false, 0, 16 },
		{ "expires", SRV_STR, false, 0, 16 },
	};
	struct srv_value v[NHIR_ARRAY_SIZE(f)];
	struct nhir_err err = NHIR_ERR_INIT;
	enum nhir_token_scope scope = NHIR_TOKEN_WRITE;
	char value[NHIR_TOKEN_SIZE] = "";
	int64_t ttl = 0, id = 0;
	enum MHD_Result ok;
	enum nhir_rc rc = NHIR_OK;
	cJSON *doc = NULL;

	if (!body(r, f, NHIR_ARRAY_SIZE(f), v, &ok))
		return ok;
	if (v[1].s && !(scope = nhir_token_scope_parse(v[1].s)))
		rc = nhir_err_set(&err, NHIR_EINVAL, "request body: field "
				  "'scope' is not read or write");
	else if (v[2].s && (!nhir_duration_parse(v[2].s, &ttl) || ttl <= 0 ||
			    ttl > NHIR_TOKEN_TTL_MAX))
		rc = nhir_err_set(&err, NHIR_EINVAL, "request body: field "
				  "'expires' is not a duration such as 12h or "
				  "30d, at most 365d");
	if (!rc)
		rc = nhir_token_create(srv_lib(r), v[0].s, scope, ttl, value,
				       &id, &err);
	srv_values_free(v, NHIR_ARRAY_SIZE(f));
	if (!rc)
		rc = nhir_doc_token(srv_lib(r), id, value, &doc, &err);
	for (volatile char *p = value; p < value + sizeof(value); p++)
		*p = 0;
	if (rc)
		return srv_fail(r, &err);
	srv_log("201 %s %s: token %" PRId64 " made by %s (token %" PRId64
		")", r->method, r->url, id, r->user, r->token);
	snprintf(r->location, sizeof(r->location), "/api/v1/tokens/%" PRId64,
		 id);
	return srv_respond_doc(r, 201, doc);
}

/* Revokes token {n}: an admin, or the token's own user (the library's). */
static enum MHD_Result token_revoke(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	cJSON *doc = NULL;

	if (r->len)
		return srv_problem(r, 400, NHIR_EINVAL, "invalid",
				   "Bad request", "a revocation has no body");
	if (nhir_token_revoke(srv_lib(r), r->num, &err) ||
	    nhir_doc_token(srv_lib(r), r->num, NULL, &doc, &err))
		return srv_fail(r, &err);
	srv_log("%s %s: token %" PRId64 " revoked by %s (token %" PRId64 ")",
		r->method, r->url, r->num, r->user, r->token);
	return srv_respond_doc(r, 200, doc);
}

static enum MHD_Result metrics(struct srv_req *r)
{
	size_t len = 0;
	char *text = srv_metrics_text(r->srv, r->st, &len);
	enum MHD_Result ok;

	if (!text)
		return srv_problem(r, 500, NHIR_ENOMEM, "internal",
				   "Internal error", "out of memory");
	ok = srv_respond(r, 200, "text/plain; version=0.0.4; charset=utf-8",
			 text, len);
	srv_free(text);
	return ok;
}

static enum MHD_Result openapi(struct srv_req *r)
{
	return srv_respond(r, 200, "application/json", srv_openapi,
			   strlen(srv_openapi));
}

/* The value of r's bearer token, or NULL. */
static const char *bearer(struct srv_req *r)
{
	const char *h = MHD_lookup_connection_value(
		r->con, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);

	if (!h || strncasecmp(h, "Bearer ", 7))
		return NULL;
	for (h += 7; *h == ' '; h++)
		;
	return h;
}

/*
 * Opens r's snapshot and reads the data version first (*have when it
 * could): true, the snapshot left open, when r's bearer token was found
 * good for reading at that version; else the snapshot is closed and
 * the token is to be checked.
 */
static bool known_reader(struct srv_req *r, uint64_t *ver, bool *have)
{
	struct nhir_err err = NHIR_ERR_INIT;
	const char *value = bearer(r);

	*have = false;
	if (!value || !srv_cache(r->srv))
		return false;
	r->st = srv_store(r->srv, &err);
	if (!r->st)
		return false;
	nhir_store_read_begin(r->st, NULL);
	*have = !nhir_store_data_version(r->st, ver, NULL);
	if (*have && srv_reader_known(srv_cache(r->srv), r, value, *ver,
				      nhir_time_now()))
		return true;
	nhir_store_read_end(r->st);
	return false;
}

/*
 * Keeps r's token t, checked and found good for reading: only when the
 * data version read before the check (ver) is still the snapshot's,
 * so that all the check read was the data at ver.
 */
static void keep_reader(struct srv_req *r, uint64_t ver, bool have,
			const struct nhir_token *t)
{
	const char *value = bearer(r);
	uint64_t now;

	if (have && value && t->id && !r->session &&
	    !nhir_store_data_version(r->st, &now, NULL) && now == ver)
		srv_reader_keep(srv_cache(r->srv), value, ver, t);
}

enum MHD_Result api_change(struct srv_req *r)
{
	enum MHD_Result ok = MHD_NO;

	if (api_authenticate(r, true, &ok))
		ok = r->op->fn(r);
	return ok;
}

enum MHD_Result api_handle(struct srv_req *r)
{
	enum MHD_Result ok = MHD_NO;
	bool write = r->op->flags & OP_WRITE;
	struct nhir_token t = { 0 };
	uint64_t ver = 0;
	bool have = false;

	if (r->op->flags & OP_PUBLIC || r->authed)
		return r->op->fn(r);
	/* a change to the record: the writer makes it, in its turn */
	if (write && (r->op->flags & OP_SERIAL) && srv_writer_queue(r))
		return MHD_YES;
	if (write) {
		if (!api_authenticate(r, write, &ok))
			return ok;
		return r->op->fn(r);
	}
	/*
	 * A read sees one state of the database and takes its locks once
	 * (a failure to begin only leaves each statement on its own); what
	 * the answer sends later, an event feed's reads, is outside it.  A
	 * bearer token found good for reading at the data version the
	 * snapshot reads first needs no checking again (cache.c).
	 */
	if (known_reader(r, &ver, &have))
		ok = r->op->fn(r);
	else if (!token_auth(r, false, &ok, &t))
		return ok;
	else {
		if (r->st)
			nhir_store_read_begin(r->st, NULL);
		/* reads need the right to read; changes are the library's */
		if (r->op->fn == metrics || may_read(r, &ok)) {
			keep_reader(r, ver, have, &t);
			ok = r->op->fn(r);
		}
	}
	nhir_store_read_end(r->st);
	return ok;
}
