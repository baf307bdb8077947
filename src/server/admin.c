/*
 * Administration over HTTP: users (as nhir user add and nhir user set)
 * and browser sessions (who is signed in, and ending a session).  The
 * library decides who may (an admin for users; an admin or the
 * session's own user for sessions) and audits each change in its
 * transaction as the request's user; a refusal is on the audit log.
 * No answer carries a cookie, a password or a hash of either.
 */
#include "compat.h"
#include "nhir/doc.h"
#include "nhir/session.h"
#include "server/decode-ops.h"
#include "server/server-internal.h"

static bool json_ok(struct srv_req *r, enum MHD_Result *ok)
{
	if (r->len && srv_content_type(r, "application/json"))
		return true;
	*ok = srv_problem(r, 415, NHIR_EINVAL, "media-type",
			  "Unsupported media type",
			  "the body must be application/json");
	return false;
}

static enum MHD_Result users_doc(struct srv_req *r, unsigned status)
{
	struct nhir_err err = NHIR_ERR_INIT;
	cJSON *doc;

	if (nhir_doc_users(r->st, &doc, &err))
		return srv_fail(r, &err);
	return srv_respond_doc(r, status, doc);
}

/* POST /api/v1/users {"name", "role"}: 201, the users. */
enum MHD_Result ad_user_add(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct srv_user_req u;
	enum MHD_Result ok;
	enum nhir_rc rc;

	if (!json_ok(r, &ok))
		return ok;
	if (srv_decode_user(r->body, r->len, true, &u, &err))
		return srv_fail(r, &err);
	rc = nhir_user_add(srv_lib(r), u.name, u.role, &err);
	if (!rc) {
		snprintf(r->location, sizeof(r->location), "/api/v1/users/%s",
			 u.name);
		srv_log("201 %s %s: user %s (%s) added by %s (token %" PRId64
			")", r->method, r->url, u.name, nhir_role_name(u.role),
			r->user, r->token);
	}
	srv_user_req_free(&u);
	if (rc)
		return srv_fail(r, &err);
	return users_doc(r, 201);
}

/* POST /api/v1/users/{name} {"role", "active"}: the users. */
enum MHD_Result ad_user_set(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct srv_user_req u;
	struct nhir_user cur;
	enum MHD_Result ok;
	enum nhir_rc rc;

	if (!json_ok(r, &ok))
		return ok;
	if (srv_decode_user(r->body, r->len, false, &u, &err))
		return srv_fail(r, &err);
	/* what is not given stays as it is (the library wants both) */
	rc = nhir_user_get(r->st, r->name, &cur, &err);
	if (!rc)
		rc = nhir_user_set(srv_lib(r), cur.name,
				   u.role != NHIR_ROLE_NONE ? u.role : cur.role,
				   u.active >= 0 ? u.active != 0 : cur.active,
				   &err);
	srv_user_req_free(&u);
	if (rc)
		return srv_fail(r, &err);
	srv_log("%s %s: user %s changed by %s (token %" PRId64 ")", r->method,
		r->url, cur.name, r->user, r->token);
	return users_doc(r, 200);
}

static cJSON *session_json(const struct nhir_session *s)
{
	cJSON *o = cJSON_CreateObject();
	char t[40];

	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "id", (double)s->id);
	cJSON_AddStringToObject(o, "user", s->user);
	cJSON_AddStringToObject(o, "method", s->method);
	cJSON_AddStringToObject(o, "address", s->address);
	nhir_time_format(s->created, t, sizeof(t));
	cJSON_AddStringToObject(o, "created", t);
	nhir_time_format(s->expires, t, sizeof(t));
	cJSON_AddStringToObject(o, "expires", t);
	if (s->ended == NHIR_TIME_UNSET) {
		cJSON_AddNullToObject(o, "ended");
	} else {
		nhir_time_format(s->ended, t, sizeof(t));
		cJSON_AddStringToObject(o, "ended", t);
	}
	return o;
}

static int add_session(const struct nhir_session *s, void *data)
{
	cJSON *o = session_json(s);

	return !o || !cJSON_AddItemToArray(data, o);
}

/* Counts the query parameters: [0] 'user', [1] any other. */
static enum MHD_Result count_param(void *cls, enum MHD_ValueKind kind,
				   const char *key, const char *value)
{
	unsigned *n = cls;

	(void)kind;
	(void)value;
	n[strcmp(key, "user") != 0]++;
	return MHD_YES;
}

/*
 * GET /api/v1/sessions[?user=U]: the live sessions, an admin's of
 * everyone (or of U), anyone else's own.
 */
enum MHD_Result ad_sessions(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	const char *user;
	cJSON *doc, *arr;
	unsigned n[2] = { 0, 0 };

	MHD_get_connection_values(r->con, MHD_GET_ARGUMENT_KIND, count_param,
				  n);
	if (n[0] > 1 || n[1])
		return srv_problem(r, 400, NHIR_EINVAL, "invalid",
				   "Bad request", "this route takes only the "
				   "parameter 'user', once");
	user = MHD_lookup_connection_value(r->con, MHD_GET_ARGUMENT_KIND,
					   "user");
	if (user && (!*user || strlen(user) > NHIR_USER_NAME_MAX))
		return srv_problem(r, 400, NHIR_EINVAL, "invalid",
				   "Bad request", "parameter 'user' is not a "
				   "user name");
	doc = cJSON_CreateObject();
	arr = doc ? cJSON_AddArrayToObject(doc, "sessions") : NULL;
	if (!arr || !cJSON_AddNumberToObject(doc, "version", 1)) {
		cJSON_Delete(doc);
		return srv_problem(r, 500, NHIR_ENOMEM, "internal",
				   "Internal error", "out of memory");
	}
	if (nhir_session_list(srv_lib(r), user, nhir_time_now(), add_session,
			      arr, &err)) {
		cJSON_Delete(doc);
		return srv_fail(r, &err);
	}
	return srv_respond_doc(r, 200, doc);
}

/* DELETE /api/v1/sessions/{n}: ends it; the session as it was. */
enum MHD_Result ad_session_end(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_session s;
	cJSON *doc, *o;

	if (r->len)
		return srv_problem(r, 400, NHIR_EINVAL, "invalid",
				   "Bad request", "ending a session has no "
				   "body");
	if (nhir_session_end(srv_lib(r), r->num, &s, &err))
		return srv_fail(r, &err);
	srv_log("%s %s: session %" PRId64 " of %s ended by %s", r->method,
		r->url, r->num, s.user, r->user);
	doc = cJSON_CreateObject();
	o = session_json(&s);
	if (!doc || !o) {
		cJSON_Delete(doc);
		cJSON_Delete(o);
		return srv_problem(r, 500, NHIR_ENOMEM, "internal",
				   "Internal error", "out of memory");
	}
	if (!cJSON_AddItemToObject(doc, "session", o) ||
	    !cJSON_AddNumberToObject(doc, "version", 1) ||
	    !cJSON_AddBoolToObject(doc, "ended", true)) {
		cJSON_Delete(doc);
		return srv_problem(r, 500, NHIR_ENOMEM, "internal",
				   "Internal error", "out of memory");
	}
	return srv_respond_doc(r, 200, doc);
}
