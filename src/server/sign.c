/*
 * Signed reports over HTTP: POST /api/v1/incidents/{id}/report/sign
 * answers what 'nhir report INC --format json --sign KEYFILE' prints,
 * signed with the server's key (--report-key), and signs a checkpoint
 * of the audit log with the same key, as the command line does.  The
 * incident's lead or an admin may: the signature is the server's word.
 * Building the report is on the audit log as every reading is.
 */
#include "compat.h"
#include "nhir/keys.h"
#include "nhir/record.h"
#include "nhir/report.h"
#include "server/server-internal.h"

/*
 * The incident's lead or an admin, whatever the incident's state: the
 * report most often signed is a closed incident's, which takes no
 * change (NHIR_PERM_ASSIGN would refuse it).
 */
static enum nhir_rc may_sign(struct srv_req *r, struct nhir_err *err)
{
	struct nhir_incident inc;
	struct nhir_user u;
	enum nhir_rc rc;

	rc = nhir_authorize(srv_lib(r), NHIR_PERM_READ, r->incident, err);
	if (!rc)
		rc = nhir_user_get(r->st, r->user, &u, err);
	if (!rc)
		rc = nhir_incident_get(r->st, r->incident, &inc, err);
	if (!rc && u.role != NHIR_ROLE_ADMIN && strcmp(inc.lead, u.name))
		rc = nhir_err_set(err, NHIR_EDENIED, "only the lead of INC-%"
				  PRId64 " (%s) or an admin has its report "
				  "signed; %s is %s", r->incident, inc.lead,
				  u.name, nhir_role_name(u.role));
	return rc;
}

enum MHD_Result sg_report_sign(struct srv_req *r)
{
	static const struct srv_field f[] = {
		{ "at", SRV_STR, false, 0, 40 },
	};
	struct srv_value v[NHIR_ARRAY_SIZE(f)];
	struct nhir_err err = NHIR_ERR_INIT;
	const char *key = srv_opts(r->srv)->report_key;
	int64_t at = nhir_time_now();
	char *text = NULL, *cp = NULL, signer[65], fp[NHIR_KEY_FP_LEN];
	struct MHD_Response *res;
	enum nhir_rc rc = NHIR_OK;
	cJSON *rep = NULL;

	if (r->len && !srv_content_type(r, "application/json"))
		return srv_problem(r, 415, NHIR_EINVAL, "media-type",
				   "Unsupported media type",
				   "the body must be application/json");
	if (srv_decode(r->body, r->len, f, NHIR_ARRAY_SIZE(f), v, &err))
		return srv_fail(r, &err);
	if (v[0].s && nhir_time_parse(v[0].s, strlen(v[0].s), &at, &err)) {
		nhir_err_prefix(&err, "request body: field 'at'");
		rc = err.rc;
	}
	srv_values_free(v, NHIR_ARRAY_SIZE(f));
	if (rc)
		return srv_fail(r, &err);
	rc = may_sign(r, &err);
	if (rc == NHIR_EDENIED)
		nhir_audit_denied(srv_lib(r), "api.report.sign", r->incident,
				  err.msg);
	if (!rc && !key)
		rc = nhir_err_set(&err, NHIR_ECONFLICT, "this server has no "
				  "report signing key (nhir serve --report-key "
				  "KEYFILE)");
	if (!rc)
		rc = nhir_report_build(srv_lib(r), r->incident, at, &rep, &err);
	if (!rc)
		rc = nhir_report_sign(rep, key, &text, &err);
	cJSON_Delete(rep);
	if (!rc)
		rc = nhir_report_verify(text, strlen(text), NULL, signer, &err);
	if (rc) {
		nhir_free(text);
		return srv_fail(r, &err);
	}
	/* the log's head, signed too: a later rewrite shows */
	if (nhir_audit_checkpoint(r->st, key, &cp, &err))
		srv_log("%s %s: no checkpoint: %s", r->method, r->url,
			err.msg);
	nhir_free(cp);
	nhir_key_fingerprint(signer, fp);
	srv_log("%s %s: report of INC-%" PRId64 " signed (%s) for %s (token %"
		PRId64 ")", r->method, r->url, r->incident, fp, r->user,
		r->token);
	res = MHD_create_response_from_buffer(strlen(text), text,
					      MHD_RESPMEM_MUST_COPY);
	nhir_free(text);
	if (!res)
		return MHD_NO;
	MHD_add_response_header(res, "X-Nhir-Signer", fp);
	return srv_queue(r, 200, "application/json", res);
}
