/*
 * Containment over HTTP: running a plan step through its connector
 * (or its dry run), a lead's decision on an interrupted step, verifying
 * revocations by their probes, and the lead's edits of the plan.  The
 * same library calls as nhir execute, nhir verify and nhir plan edit,
 * as the request's user: the library checks role, four eyes and
 * approvals, and audits each change in its transaction.  The
 * connectors are the server's (--connectors, read at each request);
 * nothing a client sends names one.
 */
#include "compat.h"
#include "nhir/doc.h"
#include "nhir/plan.h"
#include "server/decode-ops.h"
#include "server/server-internal.h"

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

/* The server's connectors, loaded now; NULL with the reason in err. */
static struct nhir_connectors *connectors(struct srv_req *r,
					  struct nhir_err *err)
{
	const char *path = srv_opts(r->srv)->connectors;
	struct nhir_connectors *c = NULL;

	if (!path) {
		nhir_err_set(err, NHIR_ECONFLICT, "this server has no "
			     "connectors (nhir serve --connectors FILE, or "
			     "$NHIR_CONNECTORS)");
		return NULL;
	}
	if (nhir_connectors_load(path, &c, err)) {
		/* the file's words stay in the log: they name the server's
		 * paths */
		srv_log("connectors: %s", err->msg);
		nhir_err_set(err, NHIR_EIO, "the server's connectors do not "
			     "load (its log says why)");
		return NULL;
	}
	return c;
}

/* The plan as it is now; with "step": the step edited, when given. */
static enum MHD_Result plan_now(struct srv_req *r, unsigned status,
				int64_t step)
{
	struct nhir_err err = NHIR_ERR_INIT;
	cJSON *doc;

	if (nhir_doc_plan(r->st, r->incident, &doc, &err))
		return srv_fail(r, &err);
	if (step && !cJSON_AddNumberToObject(doc, "step", (double)step)) {
		cJSON_Delete(doc);
		return srv_problem(r, 500, NHIR_ENOMEM, "internal",
				   "Internal error", "out of memory");
	}
	return srv_respond_doc(r, status, doc);
}

/*
 * 409 for a confirmation whose step or request no longer holds: the
 * field ("step", "request_sha256") and what the step is now.
 */
static enum MHD_Result unexpected(struct srv_req *r,
				  const struct nhir_exec_result *res,
				  const struct nhir_err *err)
{
	cJSON *ext = cJSON_CreateObject();

	if (ext) {
		cJSON_AddStringToObject(ext, "field", res->unexpected);
		cJSON_AddNumberToObject(ext, "step", (double)res->step);
		if (res->request_sha256[0])
			cJSON_AddStringToObject(ext, "request_sha256",
						res->request_sha256);
	}
	srv_log("%s %s: not run, %s changed since the preview (%s)",
		r->method, r->url, res->unexpected, r->user);
	return srv_problem_ext(r, 409, err->rc, "conflict", "Conflict",
			       err->msg, ext);
}

/*
 * POST /api/v1/incidents/{id}/steps/{n}/execute: {"confirm": true}
 * runs step n (as nhir execute INC N --confirm), else its dry run says
 * what would be sent (the library's request, which carries no secret);
 * {"resolve", "why"} is the lead's decision on an interrupted step.
 * A step the connector failed is on the record and answered 200 with
 * status "failed", as the command line prints it.
 * POST /api/v1/incidents/{id}/execute is the same for the next step
 * ready (nhir execute INC --next): the library chooses it, and stops
 * at an interrupted one until the lead decides.
 * A dry run answers the digest of the request confirming would send
 * ("request_sha256"); a confirmation carrying "step" and that digest
 * runs only that step with that request, else 409 naming the field
 * that no longer holds (with the step's "step" and "request_sha256"
 * now): a page previewed before the plan changed runs nothing.
 */
enum MHD_Result ct_execute(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_connectors *conn;
	struct nhir_exec_result res;
	struct nhir_exec_expect expect;
	struct srv_exec_req x;
	enum MHD_Result ok;
	enum nhir_rc rc;
	cJSON *doc;

	if (!json_ok(r, &ok))
		return ok;
	if (srv_decode_execute(r->body, r->len, &x, &err))
		return srv_fail(r, &err);
	if (x.resolve != SRV_RESOLVE_NONE && !r->num) {
		srv_exec_req_free(&x);
		return srv_problem(r, 400, NHIR_EINVAL, "invalid",
				   "Bad request", "request body: field "
				   "'resolve' names a step: POST it to "
				   ".../steps/N/execute");
	}
	if (x.resolve != SRV_RESOLVE_NONE) {
		rc = nhir_step_resolve(srv_lib(r), r->incident, r->num,
				       x.resolve == SRV_RESOLVE_DONE, x.why,
				       &err);
		srv_exec_req_free(&x);
		if (rc)
			return srv_fail(r, &err);
		srv_log("%s %s: step %" PRId64 " resolved by %s (token %"
			PRId64 ")", r->method, r->url, r->num, r->user,
			r->token);
		return plan_now(r, 200, 0);
	}
	conn = connectors(r, &err);
	if (!conn) {
		srv_exec_req_free(&x);
		return srv_fail(r, &err);
	}
	expect.step = x.step;
	expect.request_sha256 = x.request_sha256;
	rc = nhir_execute_expect(srv_lib(r), r->incident, r->num, x.confirm,
				 &expect, conn, &res, &err);
	nhir_connectors_free(conn);
	srv_exec_req_free(&x);
	if (rc == NHIR_ECONFLICT && res.unexpected[0])
		return unexpected(r, &res, &err);
	if (!rc)
		rc = nhir_doc_execute(r->incident, &res, &doc, &err);
	if (rc)
		return srv_fail(r, &err);
	srv_log("%s %s: step %" PRId64 " %s by %s (token %" PRId64 ")",
		r->method, r->url, res.step, res.status, r->user, r->token);
	return srv_respond_doc(r, 200, doc);
}

/*
 * POST /api/v1/incidents/{id}/verify: every confirmed revocation's
 * probe, as nhir verify; the counts and each revocation's state.
 */
enum MHD_Result ct_verify(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_connectors *conn;
	struct nhir_verify_result res;
	struct srv_value v[1];
	enum MHD_Result ok;
	enum nhir_rc rc;
	cJSON *doc;

	if (!json_ok(r, &ok))
		return ok;
	/* no field: {} or nothing */
	if (srv_decode(r->body, r->len, NULL, 0, v, &err))
		return srv_fail(r, &err);
	conn = connectors(r, &err);
	if (!conn)
		return srv_fail(r, &err);
	rc = nhir_verify(srv_lib(r), r->incident, conn, &res, &err);
	nhir_connectors_free(conn);
	if (!rc)
		rc = nhir_doc_verify(r->st, r->incident, &res, &doc, &err);
	if (rc)
		return srv_fail(r, &err);
	srv_log("%s %s: %zu probed, %zu verified, by %s (token %" PRId64 ")",
		r->method, r->url, res.probed, res.verified, r->user,
		r->token);
	return srv_respond_doc(r, 200, doc);
}

/* The catalog plans are built from: an admin's, else the server's. */
static enum nhir_rc catalog(struct srv_req *r, struct nhir_catalog **cat,
			    struct nhir_err *err)
{
	char *conf = malloc(NHIR_SETTING_MAX);
	const char *path;
	bool found = false;
	enum nhir_rc rc;

	*cat = NULL;
	if (!conf)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	rc = nhir_setting_get(r->st, "catalog", conf, NHIR_SETTING_MAX,
			      &found, err);
	path = found ? conf : srv_opts(r->srv)->catalog;
	if (!rc)
		rc = path ? nhir_catalog_load(path, cat, err)
			  : nhir_err_set(err, NHIR_ECONFLICT, "this server "
					 "has no action catalog");
	free(conf);
	return rc;
}

/*
 * POST /api/v1/incidents/{id}/plan/edit: add, skip or move a step, as
 * nhir plan edit; the lead's, and a broken ordering constraint is 409
 * unless accept_risk says why (then the lead's decision is recorded).
 */
enum MHD_Result ct_plan_edit(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_catalog *cat = NULL;
	struct srv_plan_edit e;
	int64_t step = 0;
	enum MHD_Result ok;
	enum nhir_rc rc;

	if (!json_ok(r, &ok))
		return ok;
	if (srv_decode_plan_edit(r->body, r->len, &e, &err))
		return srv_fail(r, &err);
	switch (e.op) {
	case SRV_EDIT_ADD:
		rc = catalog(r, &cat, &err);
		if (!rc)
			rc = nhir_plan_add(srv_lib(r), r->incident, cat,
					   e.action, e.target, e.after, &step,
					   &err);
		nhir_catalog_free(cat);
		break;
	case SRV_EDIT_SKIP:
		step = e.step;
		rc = nhir_plan_skip(srv_lib(r), r->incident, e.step, e.why,
				    e.accept, &err);
		break;
	default:
		step = e.step;
		rc = nhir_plan_move(srv_lib(r), r->incident, e.step, e.before,
				    e.accept, &err);
		break;
	}
	srv_plan_edit_free(&e);
	if (rc)
		return srv_fail(r, &err);
	srv_log("%s %s: step %" PRId64 " edited by %s (token %" PRId64 ")",
		r->method, r->url, step, r->user, r->token);
	return plan_now(r, 200, step);
}
