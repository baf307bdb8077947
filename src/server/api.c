/*
 * The routes: which one a request is, and answering it.
 */
#include "compat.h"
#include "server/server-internal.h"

enum srv_route api_route(const char *method, const char *url,
			 int64_t *incident, bool *method_ok)
{
	*incident = 0;
	*method_ok = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	if (!strcmp(url, "/healthz"))
		return ROUTE_HEALTHZ;
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

enum MHD_Result api_handle(struct srv_req *r)
{
	switch (r->route) {
	case ROUTE_HEALTHZ:
		return healthz(r);
	default:
		return srv_problem(r, 404, NHIR_ENOTFOUND, "not-found",
				   "Not found", "no such route");
	}
}
