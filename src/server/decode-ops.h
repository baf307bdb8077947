/*
 * The bodies of the containment and administration routes (execute,
 * plan edits, users), decoded by pure functions that the fuzz targets
 * call too.  Each takes a JSON object of known fields (srv_decode's
 * rules: each once, nothing else, strings non-empty UTF-8) and checks
 * how the fields go together, as the command line's options do; a
 * refusal is NHIR_EPARSE or NHIR_EINVAL (NHIR_ETOOBIG) with a message
 * beginning "request body:" that names the field or the byte offset,
 * and leaves nothing to free.
 */
#ifndef NHIR_SERVER_DECODE_OPS_H
#define NHIR_SERVER_DECODE_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "nhir/nhir.h"
#include "nhir/record.h"

/*
 * POST /api/v1/incidents/{id}/steps/{n}/execute: {"confirm": true}
 * runs the step; without it (or false) the dry run says what would be
 * sent.  {"resolve": "done"|"retry", "why": "..."} is the lead's
 * decision on an interrupted step instead (as nhir execute --resolve):
 * why is required with resolve and taken with nothing else.  "step"
 * and "request_sha256", as a dry run answered them, bind the run to
 * what was previewed.
 */
enum srv_resolve { SRV_RESOLVE_NONE, SRV_RESOLVE_DONE, SRV_RESOLVE_RETRY };
struct srv_exec_req {
	bool confirm;
	enum srv_resolve resolve;
	char *why;		/* with resolve; else NULL */
	/* what the dry run showed, to be run only if it still is: "step"
	 * (0: not given) and "request_sha256" (64 lowercase hex digits, or
	 * NULL); neither with resolve */
	int64_t step;
	char *request_sha256;
};
enum nhir_rc srv_decode_execute(const char *body, size_t len,
				struct srv_exec_req *out,
				struct nhir_err *err);
void srv_exec_req_free(struct srv_exec_req *x);

/*
 * POST /api/v1/incidents/{id}/plan/edit, as nhir plan edit:
 *   {"op": "add", "action": A, "target": T?, "after": STEP?}
 *   {"op": "skip", "step": S, "why": W, "accept_risk": R?}
 *   {"op": "move", "step": S, "before": STEP, "accept_risk": R?}
 * Steps are whole numbers from 1; a field another op takes is refused
 * by name.
 */
enum srv_edit_op { SRV_EDIT_ADD, SRV_EDIT_SKIP, SRV_EDIT_MOVE };
struct srv_plan_edit {
	enum srv_edit_op op;
	char *action, *target, *why, *accept;
	int64_t step, after, before;	/* 0: not given */
};
enum nhir_rc srv_decode_plan_edit(const char *body, size_t len,
				  struct srv_plan_edit *out,
				  struct nhir_err *err);
void srv_plan_edit_free(struct srv_plan_edit *e);

/*
 * POST /api/v1/users (create true): {"name": N, "role": R}, both
 * required.  POST /api/v1/users/{name}: {"role": R?, "active": B?},
 * at least one (as nhir user set --role, --deactivate, --activate).
 * name is at most NHIR_USER_NAME_MAX bytes; role one of observer,
 * responder, approver, lead, admin.
 */
struct srv_user_req {
	char *name;		/* create only */
	enum nhir_role role;	/* NHIR_ROLE_NONE: unchanged */
	int active;		/* -1 unchanged, 0 deactivate, 1 activate */
};
enum nhir_rc srv_decode_user(const char *body, size_t len, bool create,
			     struct srv_user_req *out, struct nhir_err *err);
void srv_user_req_free(struct srv_user_req *u);

/*
 * POST /api/v1/incidents/{id}/watch: {"for": "30m"?, "dir": D?,
 * "log": FORMAT?}, as nhir watch --for, --dir, --log: period in
 * seconds (default 30 min), dir as sent (NULL: none; where it leads is
 * the server's to check), the log format known (default cloudtrail).
 */
struct nhir_tele_format;
struct srv_watch_req {
	int64_t period;
	char *dir;
	const struct nhir_tele_format *fmt;
};
enum nhir_rc srv_decode_watch(const char *body, size_t len,
			      struct srv_watch_req *out, struct nhir_err *err);
void srv_watch_req_free(struct srv_watch_req *w);

#endif
