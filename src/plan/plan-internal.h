/* Shared inside src/plan/: calling connectors. */
#ifndef NHIR_PLAN_INTERNAL_H
#define NHIR_PLAN_INTERNAL_H

#include "nhir/buf.h"
#include "nhir/plan.h"
#include "store/plan.h"

/*
 * Sends request (JSON) to the connector configured for action (or, for
 * probe, the probe configured for a node subtype); its answer in reply.
 * NHIR_ENOTFOUND when none is configured; NHIR_EIO when it failed,
 * timed out or answered an HTTP error.
 */
enum nhir_rc nhir_connector_call(const struct nhir_connectors *c,
				 const char *what, bool probe,
				 const char *request, struct nhir_buf *reply,
				 struct nhir_err *err);
/* Whether the connector for what is built in (answers dry runs itself). */
bool nhir_connector_builtin(const struct nhir_connectors *c,
			    const char *what, bool probe);
/*
 * POSTs body (a form) with headers ("Name: value") to url; the answer's
 * body in out, its status in *status.  An error when no answer came.
 */
enum nhir_rc plan_http_form(const char *url, const char *const *headers,
			    size_t header_nr, const char *body, long timeout,
			    struct nhir_buf *out, long *status,
			    struct nhir_err *err);
/* The name of the connector (or probe) for what, or NULL. */
const char *nhir_connector_for(const struct nhir_connectors *c,
			       const char *what, bool probe);

/*
 * Recomputes the digest of every step of an incident's plan (after a
 * build or an edit that moves steps): what approvals are bound to.
 */
enum nhir_rc plan_digests(struct nhir_store *st, int64_t incident,
			  struct nhir_err *err);

/* The name of a step status, as front ends print it. */
/* Step id is marked running but no run holds it (src/plan/execute.c). */
bool plan_step_interrupted(struct nhir_store *st, int64_t id);

#endif
