/*
 * After-action reports: everything the record holds about an incident,
 * as one JSON document (rendered as Markdown or self-contained HTML),
 * mapped to NIST CSF 2.0 and OWASP NHI Top 10 (2025), and signed with
 * Ed25519.  See doc/formats/report.md.
 */
#ifndef NHIR_REPORT_H
#define NHIR_REPORT_H

#include <stdint.h>
#include <cjson/cJSON.h>
#include "ctx.h"
#include "error.h"
#include "nhir/buf.h"
#include "store.h"

/*
 * The report of an incident as of time at (every reader may; the
 * access is on the audit log).  Caller deletes *out.
 */
enum nhir_rc nhir_report_build(const struct nhir_ctx *ctx, int64_t incident,
			       int64_t at, cJSON **out, struct nhir_err *err);

/* Markdown and HTML renderings of a built report, appended to b. */
void nhir_report_markdown(const cJSON *r, struct nhir_buf *b);
void nhir_report_html(const cJSON *r, struct nhir_buf *b);

/*
 * Response metrics over incidents declared since (NHIR_TIME_UNSET: all):
 * per incident, the times from exposure to detection, declaration,
 * containment, and revocations requested, confirmed and verified, and
 * the credentials still valid days after their owners were notified;
 * medians by severity and by credential kind.  Caller deletes *out.
 */
enum nhir_rc nhir_metrics(const struct nhir_ctx *ctx, int64_t since,
			  int64_t days, cJSON **out, struct nhir_err *err);

/* Ed25519: a new key pair in path (secret, 0600) and path.pub. */
enum nhir_rc nhir_report_keygen(const char *path, struct nhir_err *err);
/*
 * Wraps the report as {"report": ..., "signature": {...}}, signed over
 * the report's canonical JSON with the secret key in keyfile.  Caller
 * frees *out.
 */
enum nhir_rc nhir_report_sign(const cJSON *r, const char *keyfile,
			      char **out, struct nhir_err *err);
/*
 * Checks a signed report's signature; with pubfile, also that it was
 * made with that key.  NHIR_ECONFLICT (tampered or another key) with
 * the reason in err; *signer set to the public key's hex.
 */
enum nhir_rc nhir_report_verify(const char *data, size_t len,
				const char *pubfile, char signer[65],
				struct nhir_err *err);

#endif
