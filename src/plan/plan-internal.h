/* Shared inside src/plan/: calling connectors. */
#ifndef NHIR_PLAN_INTERNAL_H
#define NHIR_PLAN_INTERNAL_H

#include <stdio.h>
#include "nhir/buf.h"
#include "nhir/ctx.h"
#include "nhir/plan.h"
#include "store/plan.h"

/*
 * Sends request (JSON) to the connector configured for action (or, for
 * probe, the probe configured for a node subtype); its answer in reply.
 * The connector reads the environment only through op's lookup.
 * NHIR_ENOTFOUND when none is configured; NHIR_EIO when it failed,
 * timed out or answered an HTTP error.
 */
enum nhir_rc nhir_connector_call(const struct nhir_ctx *op,
				 const struct nhir_connectors *c,
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
/*
 * One HTTP request of a built-in connector, through the one libcurl
 * setup they share: method (GET, POST, PATCH, DELETE, ...), headers
 * ("Name: value"), a body of body_len bytes or none, within timeout
 * seconds; no redirect is followed, certificates are checked.
 */
struct plan_http {
	const char *method;
	const char *url;
	const char *const *headers;
	size_t header_nr;
	const char *body;
	size_t body_len;
	long timeout;
	long connect_timeout;		/* 0: 10 s (never past timeout) */
	FILE *upload;			/* a body streamed from a file */
	int64_t upload_len;
	const char *user, *password;	/* HTTP Basic, when user is set */
	const char *ca_file;		/* the CAs trusted, else the system's */
	const char *ca_pem;		/* or these (PEM), ca_pem_len bytes */
	size_t ca_pem_len;
};

/* Its answer: status, the headers rate limits and paging need, body. */
struct plan_http_answer {
	long status;
	char retry_after[32];	/* Retry-After */
	char rl_remaining[32];	/* X-RateLimit-Remaining */
	char rl_reset[32];	/* X-RateLimit-Reset */
	char link[1024];	/* Link (empty when longer) */
	char ctype[256];	/* Content-Type */
	bool timed_out;
	struct nhir_buf *body;	/* the caller's, bounded by its max; NULL:
				 * the answer's body is not kept */
};

/*
 * Sends q.  An error when no answer came, saying why in curl's words
 * (never the URL or a header: either may be a secret), or when the
 * answer is larger than a->body's max.
 */
enum nhir_rc plan_http_do(const struct plan_http *q,
			  struct plan_http_answer *a, struct nhir_err *err);
/*
 * Expands ${env:NAME} (through op's lookup) and ${file:PATH} in s into
 * b (a connector's secret); false with err set when one cannot be read.
 */
bool plan_expand(const struct nhir_ctx *op, const char *s, struct nhir_buf *b,
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
