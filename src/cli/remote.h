/*
 * The command line against nhir serve (remote.c): one request, its
 * answer as a document, and the document's fields for the text the
 * local mode prints.
 */
#ifndef NHIR_CLI_REMOTE_H
#define NHIR_CLI_REMOTE_H

#include <cjson/cJSON.h>
#include "nhir/buf.h"
#include "nhir/doc.h"
#include "cli/cli.h"

struct rmt_ans {
	long status;
	struct nhir_buf body;
	char ctype[128];
};

/*
 * Decides between the database and a server: --db given means the
 * database; else $NHIR_SERVER (with $NHIR_TOKEN, or nhir login's token
 * for it); else $NHIR_DB; else nhir login's file; else ./nhir.db.
 * Sets ctx->remote; an exit code.
 */
int cli_remote_setup(struct cli_ctx *ctx, bool db_given);
/* "'nhir WHAT' is not offered by the server yet"; the exit code. */
int rmt_unoffered(const char *what);
/* Appends s to b, percent-encoded for a path or a query. */
void rmt_esc(struct nhir_buf *b, const char *s);

/*
 * method path (below /api/v1 ...: the whole path) with json as its
 * body, or file's bytes streamed (- for stdin).  A 2xx answer is in
 * a->body (release it); anything else is reported, and so is a failure
 * to reach the server: the exit code.
 */
int rmt_request(const char *method, const char *path, const char *json,
		const char *file, struct rmt_ans *a);
void rmt_ans_release(struct rmt_ans *a);
/* On: a problem answered is kept (rmt_problem), not reported. */
void rmt_quiet(bool on);
/* The last problem's code ("NHIR_ECONFLICT") and its detail. */
const char *rmt_problem(char *detail, size_t n);
/* The last problem's "result" document (the caller's), or NULL. */
cJSON *rmt_problem_result(void);
/* The name of the token's user (GET /api/v1/session, once). */
const char *rmt_user(void);
/* Prints the answer as it came, with a final newline; releases it. */
int rmt_print(struct rmt_ans *a);
/* The answer as a JSON object into *doc (the caller's); exit code. */
int rmt_doc(const char *method, const char *path, struct rmt_ans *a,
	    cJSON **doc);
/* GET path: printed as it is (FMT_JSON), else parsed into *doc. */
int rmt_get(const char *path, int fmt, cJSON **doc);
/* method path with json; the answer into *doc when doc is not NULL. */
int rmt_send(const char *method, const char *path, const char *json,
	     cJSON **doc);
/* The same with a body of the fields f (nhir_request_json). */
int rmt_fields(const char *method, const char *path,
	       const struct nhir_req_field *f, size_t nr, cJSON **doc);

/* A document's members (NULL, 0, false when absent). */
const char *rmt_str(const cJSON *o, const char *k);
/* A time member as the text prints it: "-" when null. */
const char *rmt_time(const cJSON *o, const char *k);
int64_t rmt_num(const cJSON *o, const char *k);
bool rmt_bool(const cJSON *o, const char *k);
const cJSON *rmt_arr(const cJSON *o, const char *k);

/*
 * approve --all's document (nhir_doc_approvals_*) as text, the same
 * from a database or a server: the exit code, EXIT_DENIED when a step
 * was refused as not the caller's to approve (four eyes).
 */
int cli_approvals_text(int64_t inc, const cJSON *doc);

/* The commands against a server (rcmd.c); each returns the exit code. */
struct nhir_declare;
int r_inc_declare(const struct nhir_declare *d);
int r_inc_list(int state, int fmt);
int r_inc_show(int64_t inc, int fmt);
int r_inc_scope_list(int64_t inc, int fmt);
int r_inc_scope_change(int64_t inc, const char *op, const char *done,
		       char **refs, const char *why);
int r_inc_assign(int64_t inc, const char *lead, const char *const *resp,
		 size_t resp_nr);
int r_inc_state(int64_t inc, const char *to, const char *why);
int r_decide(int64_t inc, const char *kind, const char *what,
	     const char *why);
int r_note(int64_t inc, const char *text);
int r_task_list(int64_t inc, int fmt);
int r_task_add(int64_t inc, const char *title, const char *owner,
	       int64_t due);
int r_task_done(int64_t inc, int64_t id);
int r_evidence_list(int64_t inc, int fmt);
int r_evidence_add(int64_t inc, const char *file, const char *source);
int r_audit_log(int64_t inc, int fmt);
int r_audit_verify(int fmt);
int r_token_list(int fmt);
int r_token_create(const char *user, const char *scope, const char *expires,
		   int fmt);
int r_token_revoke(int64_t id, int fmt);
int r_plan(int64_t inc, bool rebuild, const char *why, int fmt);
int r_verdict(int64_t inc, bool approve, bool all, char **steps,
	      const char *why, int64_t ttl);
int r_contain(int64_t inc, int64_t at, int fmt);
int r_execute(int64_t inc, int64_t step, bool confirm, const char *resolve,
	      const char *why, int fmt);
int r_verify(int64_t inc, int fmt);
/* The text of nhir execute and nhir verify, from their documents. */
void cli_print_execute(int64_t inc, const cJSON *doc);
void cli_print_verify(int64_t inc, const cJSON *doc);
int cli_verify_exit(const cJSON *doc);
int r_show(const struct cli_ctx *ctx, const char *ref, int fmt);
int r_timeline(char **refs, int nr, int64_t since, int64_t until, int fmt);
struct nhir_usage_opts;
int r_usage(const struct cli_ctx *ctx, const char *ref,
	    const struct nhir_usage_opts *o, int fmt);
int r_blast(const struct cli_ctx *ctx, char **refs, int nr, int64_t at,
	    int64_t exposed_at, uint32_t depth, size_t limit, int fmt);
int r_findings_list(bool all, bool triage, int fmt);
int r_findings_show(int64_t id, int fmt);
int r_route_explain(int64_t id, int fmt);
/* The server's report in format (json, html, md) appended to out. */
int r_report(int64_t inc, const char *format, int64_t at,
	     struct nhir_buf *out);
int r_user_list(int fmt);
int r_user_add(const char *name, const char *role);
/* role NULL: kept; active -1: kept, else 0 or 1 */
int r_user_set(const char *name, const char *role, int active);
int r_plan_edit(int64_t inc, const char *op, const char *action,
		const char *target, int64_t step, int64_t after,
		int64_t before, const char *why, const char *accept);
int r_reject_withdraw(int64_t inc, int64_t step, const char *why);
int r_upload(const char *kind, const char *format, const char *cluster,
	     char **files, int nr, int fmt);

#endif
