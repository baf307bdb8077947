/*
 * Containment and recovery: the action catalog, the plan (a DAG of steps
 * built from an incident's confirmed scope), four-eyes approval,
 * execution through connectors, revocation states, probes, and residual
 * access.  See doc/formats/catalog.md, doc/formats/connectors.md and
 * doc/internals/plan.md.
 *
 * The operations take the context of nhir/ctx.h: store, ctx->actor (the
 * "actor" below), the clock approvals and steps are timed by, and the
 * environment connectors read.
 */
#ifndef NHIR_PLAN_H
#define NHIR_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ctx.h"
#include "error.h"
#include "model.h"
#include "store.h"

/* ---- the catalog ---- */

enum nhir_phase {
	NHIR_PHASE_PRESERVE = 0,
	NHIR_PHASE_NOTIFY,
	NHIR_PHASE_ROTATE,
	NHIR_PHASE_CONTAIN,
	NHIR_PHASE_REVOKE,
	NHIR_PHASE_CUT,
	NHIR_PHASE_RECOVER,
	NHIR_PHASE_VERIFY,
	NHIR_PHASE_NR
};

const char *nhir_phase_name(enum nhir_phase p);

/*
 * What a cut takes away from the identity it is on: the sessions issued
 * before it (a deny on aws:TokenIssueTime), everything its keys and
 * sessions could do (its policies detached), or only new sessions (its
 * trust removed; those issued live on).  Catalog and plan_step name
 * them "issued-before", "everything", "new-only".
 */
enum nhir_cut {
	NHIR_CUT_NONE = 0,	/* not a cut */
	NHIR_CUT_ISSUED_BEFORE,
	NHIR_CUT_EVERYTHING,
	NHIR_CUT_NEW_ONLY,
	NHIR_CUT_NR
};

const char *nhir_cut_name(enum nhir_cut c);	/* NULL for NHIR_CUT_NONE */
enum nhir_cut nhir_cut_parse(const char *s);	/* NHIR_CUT_NONE if unknown */

struct nhir_action {
	char *id, *provider;
	unsigned kinds;			/* 1 << enum nhir_node_kind; all if 0 */
	char **subtypes;		/* empty: any subtype */
	size_t subtype_nr;
	enum nhir_phase phase;
	enum nhir_cut cuts;		/* for a cut: what it cuts */
	char *kills, *survives;		/* text, "; "-joined */
	bool kills_self, kills_children;
	bool reversible, destroys_evidence, privileged;
	int64_t delay;			/* seconds */
	int line;
};

struct nhir_catalog {
	struct nhir_action *v;
	size_t nr, alloc;
};

/*
 * The SHA-256 (hex) of everything an entry says (not where it is in
 * its file): what an approval of a step made from it is bound to.
 * false on out of memory.
 */
bool nhir_action_digest(const struct nhir_action *a, char out[65]);

enum nhir_rc nhir_catalog_load(const char *path, struct nhir_catalog **out,
			       struct nhir_err *err);
enum nhir_rc nhir_catalog_parse(const char *data, size_t len,
				const char *name, struct nhir_catalog **out,
				struct nhir_err *err);
void nhir_catalog_free(struct nhir_catalog *c);
const struct nhir_action *nhir_catalog_find(const struct nhir_catalog *c,
					    const char *id);
/*
 * The most specific action of phase for a node of kind and subtype:
 * one naming the subtype, else one for any subtype of the kind; NULL
 * if there is none.
 */
const struct nhir_action *nhir_catalog_pick(const struct nhir_catalog *c,
					    enum nhir_node_kind kind,
					    const char *subtype,
					    enum nhir_phase phase);

/* ---- the plan ---- */

/*
 * How a step, an approval and a revocation stand.  A store keeps each
 * as its name (below); a name this nhir does not know, written by a
 * newer one, reads as the value each parse function says.
 */
enum nhir_step_status {
	NHIR_STEP_PLANNED,		/* "planned" */
	NHIR_STEP_RUNNING,		/* "running" */
	NHIR_STEP_DONE,			/* "done" */
	NHIR_STEP_FAILED,		/* "failed" */
	NHIR_STEP_SKIPPED,		/* "skipped" */
	NHIR_STEP_STATUS_NR
};

const char *nhir_step_status_name(enum nhir_step_status s);	/* "?" */
/* An unknown name is failed: the step is not known to have worked. */
enum nhir_step_status nhir_step_status_parse(const char *s);

enum nhir_verdict {
	NHIR_VERDICT_APPROVE,		/* "approve" */
	NHIR_VERDICT_REJECT,		/* "reject" */
};

const char *nhir_verdict_name(enum nhir_verdict v);
/* Only "reject" is a rejection. */
enum nhir_verdict nhir_verdict_parse(const char *s);

enum nhir_revocation_state {
	NHIR_REVOCATION_REQUESTED,	/* "requested" */
	NHIR_REVOCATION_CONFIRMED,	/* "confirmed" */
	NHIR_REVOCATION_VERIFIED,	/* "verified" */
};

const char *nhir_revocation_state_name(enum nhir_revocation_state s);
/* An unknown name is requested: not known to be confirmed. */
enum nhir_revocation_state nhir_revocation_state_parse(const char *s);

/*
 * Builds the plan of an incident from its confirmed scope (replacing a
 * plan nothing of which has run yet).  Needs the incident's lead or a
 * responder.  *steps is how many.
 */
enum nhir_rc nhir_plan_build(const struct nhir_ctx *ctx, int64_t incident,
			     const struct nhir_catalog *cat, size_t *steps,
			     struct nhir_err *err);

/* Where a plan's catalog came from. */
struct nhir_plan_origin {
	const char *catalog;	/* its path */
	bool configured;	/* the admin's setting (nhir config) */
	const char *why;	/* another one: the lead's reason */
};
/*
 * nhir_plan_build, saying which catalog: its path and digest go on the
 * plan's audit entry.  One other than the configured catalog (when a
 * catalog is configured) is the lead's decision, with why, recorded as
 * one; anyone else is refused (NHIR_EDENIED, on the audit log).
 */
enum nhir_rc nhir_plan_build_from(const struct nhir_ctx *ctx, int64_t incident,
				  const struct nhir_catalog *cat,
				  const struct nhir_plan_origin *o,
				  size_t *steps, struct nhir_err *err);
/* SHA-256 (hex) over every entry's digest, in order. */
bool nhir_catalog_digest(const struct nhir_catalog *c, char out[65]);

struct nhir_step {
	int64_t id, seq, incident, target;
	const char *action, *phase, *status, *why, *breaks, *survives;
	enum nhir_cut cuts;			/* a cut: what it cuts */
	const char *target_ext, *target_name, *proposer, *result;
	bool reversible, destroys_evidence, privileged, changes_access;
	int approvals_needed, approvals;	/* valid approvals now */
	int void_approvals;	/* approvals and rejections that no longer
				 * count: see nhir_approval_each */
	bool rejected;				/* a rejection stands */
	int64_t delay, started, finished;
	const char *after;			/* "3,4": step ids it waits for */
};
typedef int (*nhir_step_cb)(const struct nhir_step *s, void *data);
enum nhir_rc nhir_plan_each(struct nhir_store *st, int64_t incident,
			    nhir_step_cb cb, void *data, struct nhir_err *err);
enum nhir_rc nhir_step_get(struct nhir_store *st, int64_t incident,
			   int64_t step, nhir_step_cb cb, void *data,
			   struct nhir_err *err);

/*
 * Edits (the lead): add an action on a target after a step (0: none),
 * skip a step, or move a step before another.  A change that breaks an
 * ordering constraint is NHIR_ECONFLICT with the constraint in err,
 * unless accept is given: then the lead's decision (accept as why) is
 * recorded and the constraint dropped.
 */
enum nhir_rc nhir_plan_add(const struct nhir_ctx *ctx, int64_t incident,
			   const struct nhir_catalog *cat, const char *action,
			   const char *target, int64_t after, int64_t *step,
			   struct nhir_err *err);
enum nhir_rc nhir_plan_skip(const struct nhir_ctx *ctx, int64_t incident,
			    int64_t step, const char *why, const char *accept,
			    struct nhir_err *err);
enum nhir_rc nhir_plan_move(const struct nhir_ctx *ctx, int64_t incident,
			    int64_t step, int64_t before, const char *accept,
			    struct nhir_err *err);

/* ---- approval ---- */

/*
 * Approves (or rejects) a step: an approver or lead, not the plan's
 * proposer; each approval expires after ttl seconds (0: a day, or the
 * maximum when that is less); a ttl over the maximum (setting
 * approval-ttl-max) is NHIR_EINVAL.  The approval is bound to the
 * step's digest: action, target, what it does, reversibility, position
 * in the plan and catalog entry; when any of these changes it no
 * longer counts.  A rejection stands (it does not expire, and others'
 * approvals do not lift it) until the step changes or its author
 * withdraws it; its author may not approve the step meanwhile.
 * Approvals count only while their author is an active approver or
 * lead and not the step's proposer.
 */
enum nhir_rc nhir_approve(const struct nhir_ctx *ctx, int64_t incident,
			  int64_t step, bool approve, const char *why,
			  int64_t ttl, struct nhir_err *err);
/*
 * Approves every step that awaits actor's approval: planned or failed,
 * short of the approvals it needs, and not approved by actor already
 * (a valid approval).  Each is nhir_approve, in its own transaction
 * with its audit entry; a step the library refuses (four eyes: actor
 * proposed it; actor's own rejection stands; it ran meanwhile) is
 * refused alone, the others go on.  cb hears of every step tried, in
 * plan order: approved, or refused with the code and why; it returns
 * NHIR_OK to go on, or a code that ends the run and is returned (with
 * err set).  An actor who may not read the incident, or may not approve
 * at all (not an approver or lead), is NHIR_EDENIED, audited, and
 * nothing is tried.  Any other error ends the run: the steps cb heard
 * of before stay approved.
 */
struct nhir_approve_result {
	int64_t step;
	const char *action;
	bool approved;
	enum nhir_rc rc;	/* NHIR_OK, or why it was refused: */
	const char *reason;	/* the refusal's words; "" when approved */
};
typedef enum nhir_rc (*nhir_approve_cb)(const struct nhir_approve_result *r,
					void *data);
enum nhir_rc nhir_approve_pending(const struct nhir_ctx *ctx, int64_t incident,
				  const char *why, int64_t ttl,
				  nhir_approve_cb cb, void *data,
				  struct nhir_err *err);
/* Withdraws actor's own rejection of a step, with the reason. */
enum nhir_rc nhir_reject_withdraw(const struct nhir_ctx *ctx, int64_t incident,
				  int64_t step, const char *why,
				  struct nhir_err *err);

struct nhir_approval {
	int64_t id, step, seq;		/* step id and its position now */
	const char *actor, *verdict;	/* "approve" or "reject" */
	const char *why;
	int64_t at, expires;
	const char *state;		/* "valid", "expired", "void",
					 * "withdrawn" */
	const char *reason;		/* why not valid; "" when valid */
};
typedef int (*nhir_approval_cb)(const struct nhir_approval *a, void *data);
/* The approvals and rejections of a plan (step: a step id, 0: all). */
enum nhir_rc nhir_approval_each(struct nhir_store *st, int64_t incident,
				int64_t step, nhir_approval_cb cb, void *data,
				struct nhir_err *err);

/* ---- connectors and execution ---- */

struct nhir_connectors;

enum nhir_rc nhir_connectors_load(const char *path,
				  struct nhir_connectors **out,
				  struct nhir_err *err);
enum nhir_rc nhir_connectors_parse(const char *data, size_t len,
				   const char *name,
				   struct nhir_connectors **out,
				   struct nhir_err *err);
void nhir_connectors_free(struct nhir_connectors *c);

struct nhir_exec_result {
	char status[16];	/* "done", "failed", "dry-run", "skipped" */
	char detail[4096];	/* a built-in connector's dry run: requests */
	/*
	 * SHA-256 (hex) of the connector's name, a newline and the step's
	 * request as it is sent when confirmed (dry_run false): a dry run
	 * says it, a confirmation may name it; "" for a step over.
	 */
	char request_sha256[65];
	/* with NHIR_ECONFLICT: the expectation not met ("step",
	 * "request_sha256"), else "" */
	char unexpected[16];
	int64_t step;
	int64_t evidence;	/* where the connector's output is kept */
};

/*
 * What the person confirmed, as the dry run showed it: the step (0:
 * any) and the digest of its request (NULL: any).
 */
struct nhir_exec_expect {
	int64_t step;
	const char *request_sha256;
};

/*
 * Runs a step (step 0: the next one ready, or an interrupted one
 * before it) as ctx->actor.  Without confirm it only
 * says what would be sent.  Needs approvals, dependencies done and a
 * connector for the action.  A step already done does nothing.
 * ctx->tmpdir is where the connector's answer is written before it is
 * kept as evidence (NULL: /tmp); the connector reads the environment
 * (its secrets, AWS_*, KUBECONFIG, ...) only through ctx->env: the
 * front end says which, nhir_execute() reads nothing of the process.
 */
enum nhir_rc nhir_execute(const struct nhir_ctx *ctx, int64_t incident,
			  int64_t step, bool confirm,
			  const struct nhir_connectors *conn,
			  struct nhir_exec_result *res, struct nhir_err *err);
/*
 * The same, bound to what was confirmed: if the step chosen is not
 * expect->step, or its request's digest not expect->request_sha256,
 * nothing is sent and the answer is NHIR_ECONFLICT with res->unexpected
 * naming which, res->step and res->request_sha256 the step's now.
 */
enum nhir_rc nhir_execute_expect(const struct nhir_ctx *ctx, int64_t incident,
				 int64_t step, bool confirm,
				 const struct nhir_exec_expect *expect,
				 const struct nhir_connectors *conn,
				 struct nhir_exec_result *res,
				 struct nhir_err *err);

/*
 * A step left "running" by a run that died (killed, crashed) while its
 * connector ran shows as "interrupted": whether the action was taken is
 * unknown, nhir_execute() refuses it and step 0 stops at it rather than
 * pass it over.  The lead decides, with why, on the record: done (taken
 * as done, its revocation confirmed) or not (failed: run it again).
 */
enum nhir_rc nhir_step_resolve(const struct nhir_ctx *ctx, int64_t incident,
			       int64_t seq, bool done, const char *why,
			       struct nhir_err *err);

/* ---- revocation and verification ---- */

struct nhir_revocation {
	int64_t node;
	const char *ext_id, *state, *detail;
	int64_t requested, confirmed, verified;
};
typedef int (*nhir_revocation_cb)(const struct nhir_revocation *r,
				  void *data);
enum nhir_rc nhir_revocation_each(struct nhir_store *st, int64_t incident,
				  nhir_revocation_cb cb, void *data,
				  struct nhir_err *err);

struct nhir_verify_result {
	size_t probed, verified, still_working, refused, no_probe;
};

/*
 * Runs the probes of every confirmed revocation of the incident, as
 * ctx->actor; the probes read the environment through ctx->env.
 */
enum nhir_rc nhir_verify(const struct nhir_ctx *ctx, int64_t incident,
			 const struct nhir_connectors *conn,
			 struct nhir_verify_result *res, struct nhir_err *err);

/* ---- residual access ---- */

struct nhir_residual_item {
	int64_t node;
	char *ext_id, *path;
	enum nhir_node_kind kind;
	enum nhir_priv priv;
	int64_t expires;	/* NHIR_TIME_NEVER if it does not end */
};

/* What a logged event ended on the way (deleted, deactivated, ...). */
struct nhir_residual_end {
	int64_t node;
	char *ext_id, *path;
	int64_t at;		/* when it was ended */
	enum nhir_end_how how;
	char *event;		/* the event's name */
	char *file;		/* where its record is; NULL if unknown */
	uint64_t offset;
};

struct nhir_residual {
	struct nhir_residual_item *items;
	size_t nr, alloc;
	struct nhir_residual_end *ended;
	size_t ended_nr, ended_alloc;
	int64_t contained_at;	/* NHIR_TIME_UNSET: not contained; else when */
};

/*
 * What the incident's seeds (and everything minted from them) still
 * reach at time at, with revoked nodes dead and cut edges removed.
 * What a logged event ended by then (nhir_store_put_end) is dead too,
 * and listed in ended; what expired is dead.  The walk goes on through
 * dead nodes to what they minted or created.
 */
enum nhir_rc nhir_residual(struct nhir_store *st, int64_t incident,
			   int64_t at, struct nhir_residual *out,
			   struct nhir_err *err);
void nhir_residual_release(struct nhir_residual *r);

#endif
