/*
 * The routes: which one a request is, who sent it, and the answer.
 *
 * Every route but /healthz needs "Authorization: Bearer TOKEN".  The
 * principal is the token's user and nothing else: no header, parameter
 * or --as changes it.  A read token may only GET.  Each refusal is in
 * the server's log (never with the token); one that names a known
 * token, and every refusal by role, is on the audit log too.
 */
#include "compat.h"
#include <strings.h>
#include "nhir/doc.h"
#include "nhir/token.h"
#include "server/server-internal.h"

#define API "/api/v1/incidents"

enum srv_route api_route(const char *method, const char *url,
			 int64_t *incident, bool *method_ok)
{
	bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	const char *rest, *slash;
	char ref[32];
	size_t n;

	*incident = 0;
	*method_ok = get;
	if (!strcmp(url, "/healthz"))
		return ROUTE_HEALTHZ;
	if (!strcmp(url, "/metrics"))
		return ROUTE_METRICS;
	if (!strcmp(url, "/api/v1/audit"))
		return ROUTE_AUDIT;
	if (!strcmp(url, API))
		return ROUTE_INCIDENTS;
	if (strncmp(url, API "/", strlen(API "/")))
		return ROUTE_NONE;
	rest = url + strlen(API "/");
	slash = strchr(rest, '/');
	n = slash ? (size_t)(slash - rest) : strlen(rest);
	if (!n || n >= sizeof(ref))
		return ROUTE_NONE;
	memcpy(ref, rest, n);
	ref[n] = '\0';
	*incident = nhir_incident_ref(ref);
	if (!*incident)
		return ROUTE_NONE;
	if (!slash)
		return ROUTE_INCIDENT;
	if (!strcmp(slash, "/notes")) {
		*method_ok = !strcmp(method, "POST");
		return ROUTE_NOTES;
	}
	return ROUTE_NONE;
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

static const char *route_op(const struct srv_req *r)
{
	switch (r->route) {
	case ROUTE_METRICS: return "api.metrics";
	case ROUTE_INCIDENTS: return "api.incident.list";
	case ROUTE_INCIDENT: return "api.incident.show";
	case ROUTE_NOTES: return "api.note";
	case ROUTE_AUDIT: return "api.audit";
	default: return "api";
	}
}

static enum MHD_Result unauthenticated(struct srv_req *r, const char *why)
{
	srv_log("401 %s %s: %s", r->method, r->url, why);
	return srv_problem(r, 401, NHIR_EDENIED, "unauthenticated",
			   "Authentication required", why);
}

/*
 * Sets r->user from the bearer token, or answers 401 (or 403 for a
 * read token on a write route) and returns false with *ok set.
 */
static bool authenticate(struct srv_req *r, bool write, enum MHD_Result *ok)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_token t;
	const char *h;
	char why[NHIR_ERR_MSG_MAX + 64];
	enum nhir_rc rc;

	h = MHD_lookup_connection_value(r->con, MHD_HEADER_KIND,
					MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h) {
		*ok = unauthenticated(r, "this needs an API token: "
				      "Authorization: Bearer TOKEN");
		return false;
	}
	if (strncasecmp(h, "Bearer ", 7)) {
		*ok = unauthenticated(r, "the Authorization header is not "
				      "'Bearer TOKEN'");
		return false;
	}
	for (h += 7; *h == ' '; h++)
		;
	r->st = srv_store(r->srv, &err);
	if (!r->st) {
		*ok = srv_fail(r, &err);
		return false;
	}
	rc = nhir_token_check(r->st, h, nhir_time_now(), &t, &err);
	if (rc == NHIR_EDENIED) {
		/* a known token is named on the audit log, by id */
		if (t.id)
			nhir_audit_denied(r->st, t.user, route_op(r), 0,
					  err.msg);
		*ok = unauthenticated(r, err.msg);
		return false;
	}
	if (rc) {
		*ok = srv_fail(r, &err);
		return false;
	}
	snprintf(r->user, sizeof(r->user), "%s", t.user);
	r->token = t.id;
	if (write && t.scope != NHIR_TOKEN_WRITE) {
		snprintf(why, sizeof(why), "token %" PRId64 " of %s may only "
			 "read", t.id, t.user);
		nhir_audit_denied(r->st, r->user, route_op(r), r->incident,
				  why);
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

	rc = nhir_authorize(r->st, r->user, NHIR_PERM_READ, 0, &err);
	if (!rc)
		return true;
	if (rc == NHIR_EDENIED)
		nhir_audit_denied(r->st, r->user, route_op(r), 0, err.msg);
	*ok = srv_fail(r, &err);
	return false;
}

static enum MHD_Result incidents(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	const char *q;
	int state = -1;
	cJSON *doc;

	q = MHD_lookup_connection_value(r->con, MHD_GET_ARGUMENT_KIND,
					"state");
	if (q && (state = nhir_inc_state_parse(q)) < 0)
		return srv_problem(r, 400, NHIR_EINVAL, "invalid",
				   "Bad request", "parameter 'state' is not "
				   "a state (declared, investigating, "
				   "containing, recovering, closed)");
	if (nhir_doc_incidents(r->st, state, &doc, &err))
		return srv_fail(r, &err);
	return srv_respond_doc(r, 200, doc);
}

static enum MHD_Result incident(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	cJSON *doc;

	if (nhir_doc_incident(r->st, r->incident, &doc, &err))
		return srv_fail(r, &err);
	return srv_respond_doc(r, 200, doc);
}

static bool json_body(struct srv_req *r)
{
	const char *t = MHD_lookup_connection_value(
		r->con, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t n = strlen("application/json");

	return t && !strncasecmp(t, "application/json", n) &&
	       (!t[n] || t[n] == ';' || t[n] == ' ');
}

static enum MHD_Result note(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	char *text = NULL;
	cJSON *doc;
	enum nhir_rc rc;

	if (!json_body(r))
		return srv_problem(r, 415, NHIR_EINVAL, "media-type",
				   "Unsupported media type",
				   "the body must be application/json");
	if (srv_decode_note(r->body, r->len, &text, &err))
		return srv_fail(r, &err);
	/* the library authorizes, changes and audits, as the token's user */
	rc = nhir_note_add(r->st, r->user, r->incident, text, &err);
	srv_free(text);
	if (rc)
		return srv_fail(r, &err);
	srv_log("201 %s %s: note by %s (token %" PRId64 ")", r->method,
		r->url, r->user, r->token);
	if (nhir_doc_incident(r->st, r->incident, &doc, &err))
		return srv_fail(r, &err);
	return srv_respond_doc(r, 201, doc);
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

static enum MHD_Result metrics(struct srv_req *r)
{
	size_t len = 0;
	char *text = srv_metrics_text(r->srv, &len);
	enum MHD_Result ok;

	if (!text)
		return srv_problem(r, 500, NHIR_ENOMEM, "internal",
				   "Internal error", "out of memory");
	ok = srv_respond(r, 200, "text/plain; version=0.0.4; charset=utf-8",
			 text, len);
	srv_free(text);
	return ok;
}

enum MHD_Result api_handle(struct srv_req *r)
{
	enum MHD_Result ok = MHD_NO;

	if (r->route == ROUTE_HEALTHZ)
		return healthz(r);
	if (!authenticate(r, r->route == ROUTE_NOTES, &ok))
		return ok;
	switch (r->route) {
	case ROUTE_METRICS:
		return metrics(r);
	case ROUTE_NOTES:
		return note(r);
	default:
		break;
	}
	if (!may_read(r, &ok))
		return ok;
	switch (r->route) {
	case ROUTE_INCIDENTS:
		return incidents(r);
	case ROUTE_INCIDENT:
		return incident(r);
	case ROUTE_AUDIT:
		return audit(r);
	default:
		return srv_problem(r, 404, NHIR_ENOTFOUND, "not-found",
				   "Not found", "no such route");
	}
}
