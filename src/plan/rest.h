/*
 * JSON APIs over HTTP for the built-in connectors (github.c, vault.c):
 * a request with its credential in a header, retried when the service
 * says to wait or fails, within the step's deadline; in the dry run only
 * shown, the credential redacted; answers read as JSON.
 */
#ifndef NHIR_PLAN_REST_H
#define NHIR_PLAN_REST_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "nhir/buf.h"
#include "nhir/ctx.h"
#include "nhir/error.h"

struct plan_rest {
	const struct nhir_ctx *op;	/* the operation: its environment */
	const char *base;		/* the API's URL, no slash at its end */
	const char *const *fixed;	/* header lines of every request */
	size_t fixed_nr;
	const char *auth;		/* the credential's header, "Name: " */
	const char *ctype;		/* the body's type; NULL: JSON */
	const char *what;		/* "GitHub's answer", for errors */
	const char *ca_file;		/* CAs trusted (plan_http), or */
	const char *ca_pem;		/* these, ca_pem_len bytes of PEM */
	size_t ca_pem_len;
	int64_t deadline_ms;		/* nhir_mono_ms() clock */
	bool dry;			/* show requests, send none */
	struct nhir_buf sent;		/* "LABEL: HTTP 202; ..." */
	struct nhir_buf dry_text;	/* the requests shown */
};

struct plan_rest_answer {
	long status;
	cJSON *doc;		/* NULL for an empty body */
	char message[300];	/* "message", or the first of "errors" */
	char limit[160];	/* a wait asked for past the deadline, said */
};

void plan_rest_init(struct plan_rest *r, const struct nhir_ctx *op,
		    long timeout, bool dry);
void plan_rest_release(struct plan_rest *r);
void plan_rest_answer_free(struct plan_rest_answer *an);

/*
 * Sends METHOD base+path with body (JSON, or NULL), with header
 * r->auth + cred when cred is set; the dry run shows shown_body for the
 * body when given and shown_cred for the credential.  Retried on a 5xx,
 * no answer, or a rate limit (nhir_rest_wait), at most four times
 * within the deadline.  NHIR_OK when answered (an->status says how);
 * an error when not, or when the answer is not JSON.  Every answer's
 * bytes are wiped: they may hold a secret.
 */
enum nhir_rc plan_rest_send(struct plan_rest *r, const char *method,
			    const char *path, const char *body,
			    const char *shown_body, const char *cred,
			    const char *shown_cred, const char *label,
			    struct plan_rest_answer *an, struct nhir_err *err);

/*
 * The credential ref names (${env:NAME}, looked up through op, or
 * ${file:PATH}) read into b,
 * ended by a NUL; false and why when it cannot be read, is empty or is
 * not one line.  b is the caller's to wipe.
 */
bool plan_rest_token(const struct nhir_ctx *op, const char *ref,
		     struct nhir_buf *b, char *why, size_t wn);
/*
 * The secret file path (a key, at most b's max bytes) read into b,
 * ended by a NUL not counted in b->len; false and why (naming the
 * file, never a byte of it) when it cannot be read, is not a regular
 * file, or is empty or too large.  b is the caller's to wipe.
 */
bool plan_rest_read_secret(const char *path, struct nhir_buf *b, char *why,
			   size_t wn);
/* The calls made so far, as one text. */
const char *plan_rest_sent(struct plan_rest *r);
/* A refusal or failure of label, as a step's detail; done: what was. */
void plan_rest_why(char *out, size_t n, const char *label,
		   const struct plan_rest_answer *an, const struct nhir_err *e,
		   const char *done);
/* The reply a connector gives: o printed into reply, then deleted. */
enum nhir_rc plan_rest_reply(struct nhir_buf *reply, cJSON *o,
			     struct nhir_err *err);
/*
 * The reply of a step's run: its dry run (the requests r would have
 * sent, else detail), or "done"/"failed" as ok says with detail and the
 * calls r made.
 */
enum nhir_rc plan_rest_step_reply(struct plan_rest *r, bool ok,
				  const char *detail, struct nhir_buf *reply,
				  struct nhir_err *err);
/*
 * Whether url is plain http to the loopback: its host, exactly (up to
 * ':', '/', '?', '#' or the end), is localhost, [::1] or a dotted quad
 * 127.N.N.N; never a name that merely begins so (127.evil.example,
 * localhost.evil.example) and never with a user (@).  A credential may
 * go in plain http only there.  Pure.
 */
bool plan_url_plain_ok(const char *url);
/* Wipes and releases b. */
void plan_rest_wipe(struct nhir_buf *b);
/* Sleeps ms milliseconds, all of them even when a signal comes. */
void plan_rest_sleep(int64_t ms);

/*
 * An answer body (len bytes, HTTP status): a JSON document in *doc, or
 * none for an empty body; *message its "message", else the first text
 * of its "errors" (Vault's form), else the "message" of its "error"
 * object (Google's form), else its "error_description" or "error"
 * (OAuth's, RFC 6749 5.2).  NHIR_EPARSE naming what, the status
 * and the byte offset when the body is not JSON.
 */
enum nhir_rc nhir_rest_answer(const char *body, size_t len, long status,
			      const char *what, cJSON **doc,
			      const char **message, struct nhir_err *err);

/*
 * How long to wait before a request refused for a rate limit (status,
 * Retry-After, X-RateLimit-Remaining and -Reset as sent) may be sent
 * again, in seconds from now (epoch seconds): -1 when the answer is not
 * a rate limit, 0 when it gives no time.
 */
int64_t nhir_rest_wait(long status, const char *retry_after,
		       const char *remaining, const char *reset, int64_t now);

#endif
