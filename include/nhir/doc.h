/*
 * Documents: the JSON of the library's results, built here once so
 * that the command line (--format json) and nhir serve print the same
 * bytes; no front end builds JSON of its own.  Every document is an
 * object with "version" (NHIR_DOC_VERSION) first; a member is added in
 * a later version but never renamed or dropped.  Times are ISO 8601
 * UTC strings, null when not known (the plan, verify, contain, users,
 * evidence and settings documents give "-", as they always have).
 * Schemas: doc/formats/documents.md.
 *
 * These read; they do not authorize: the front end checks that its
 * principal may read (nhir_authorize) before it asks.  *out is the
 * caller's to cJSON_Delete.
 */
#ifndef NHIR_DOC_H
#define NHIR_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "ctx.h"
#include "error.h"
#include "ingest.h"
#include "record.h"
#include "store.h"

#define NHIR_DOC_VERSION 1

/* {"version", "incidents": [incident...]}; state -1: all. */
enum nhir_rc nhir_doc_incidents(struct nhir_store *st, int state,
				cJSON **out, struct nhir_err *err);
/*
 * One incident: its fields, "can_close", "scope" and the record
 * ("members", "decisions", "tasks", "notes", "evidences",
 * "custodys").  NHIR_ENOTFOUND when there is no such incident.
 */
enum nhir_rc nhir_doc_incident(struct nhir_store *st, int64_t id,
			       cJSON **out, struct nhir_err *err);
/*
 * {"version", "scope": [...]}: the scope of an incident, each item as
 * in nhir_doc_incident's "scope".  NHIR_ENOTFOUND when there is no
 * such incident.
 */
enum nhir_rc nhir_doc_scope(struct nhir_store *st, int64_t id, cJSON **out,
			    struct nhir_err *err);
/* {"version", "users": [...]}: every user with role and state. */
enum nhir_rc nhir_doc_users(struct nhir_store *st, cJSON **out,
			    struct nhir_err *err);
/* {"version", "tasks": [...]} of incident inc; NHIR_ENOTFOUND if none. */
enum nhir_rc nhir_doc_tasks(struct nhir_store *st, int64_t inc, cJSON **out,
			    struct nhir_err *err);
/* {"version", "evidence": [...]} of incident inc. */
enum nhir_rc nhir_doc_evidence(struct nhir_store *st, int64_t inc,
			       cJSON **out, struct nhir_err *err);
/*
 * The audit chain's verification chk and each checkpoint checked
 * ({"version", "entries", "intact", "head", ["first_broken", "why"],
 * "checkpoints"}); source names where a checkpoint came from (its file,
 * or "recorded").
 */
struct nhir_doc_checkpoint {
	const char *source;
	struct nhir_checkpoint_check check;
};
enum nhir_rc nhir_doc_audit_verify(const struct nhir_audit_check *chk,
				   const struct nhir_doc_checkpoint *cps,
				   size_t nr, cJSON **out,
				   struct nhir_err *err);
/*
 * Which audit entries were written while the database kept a fixed
 * clock: those after a "config" entry setting clock to fixed, up to and
 * including the one setting it back to real.  Found from the whole log,
 * so that a listing of one incident marks its entries too.
 */
struct nhir_clock_spans {
	int64_t from[64], to[64];	/* from exclusive, to inclusive */
	size_t nr;
	bool open, overflow;
};
enum nhir_rc nhir_audit_clock_spans(struct nhir_store *st,
				    struct nhir_clock_spans *out,
				    struct nhir_err *err);
bool nhir_audit_on_fixed_clock(const struct nhir_clock_spans *c,
			       int64_t seq);

/*
 * {"version", "entries": [...]}: the audit log (of incident, 0: all),
 * each entry's detail exactly as stored and chained, and "fixed_clock":
 * true on an entry written on a fixed clock.
 */
enum nhir_rc nhir_doc_audit(struct nhir_store *st, int64_t incident,
			    cJSON **out, struct nhir_err *err);
/* As nhir_doc_audit, only the entries after seq after, at most limit. */
enum nhir_rc nhir_doc_audit_since(struct nhir_store *st, int64_t incident,
				  int64_t after, size_t limit, cJSON **out,
				  struct nhir_err *err);
/* {"version", "tokens": [...]}: the API tokens actor may see. */
enum nhir_rc nhir_doc_tokens(const struct nhir_ctx *ctx, cJSON **out,
			     struct nhir_err *err);
/*
 * {"version", "token": {...as in nhir_doc_tokens}, ["value"]}: token id
 * if actor may see it (NHIR_ENOTFOUND otherwise), with value, the token
 * itself, only when given (the answer to its making, shown that once).
 */
enum nhir_rc nhir_doc_token(const struct nhir_ctx *ctx, int64_t id,
			    const char *value, cJSON **out,
			    struct nhir_err *err);

/*
 * The use and lineage of what ref stands for (nhir_usage_ref): for a
 * credential {"version", "keys": [...]}; for an identity {"version",
 * "identity", "credentials": [{"keys": [...]}...]}, a credential
 * already shown under one that minted it not again.
 */
struct nhir_ref_keys;
struct nhir_usage_opts;
enum nhir_rc nhir_doc_usage(struct nhir_store *st,
			    const struct nhir_ref_keys *ref,
			    const struct nhir_usage_opts *opts, cJSON **out,
			    struct nhir_err *err);

/*
 * What nhir hunt found for keys ({"version", "keys": [...]}): for each,
 * its usage as nhir_doc_usage gives it (without a version of its own),
 * or {"key", "found": false} when the logs searched did not have it.
 */
enum nhir_rc nhir_doc_hunt(struct nhir_store *st, const char *const *keys,
			   size_t nr, const struct nhir_usage_opts *opts,
			   cJSON **out, struct nhir_err *err);

/*
 * One node of the graph ({"version", "id", "ref", "kind", "name",
 * "subtype", "provider", "created", "expires", "disabled", "attrs",
 * "edges", "ended"}): every edge into and out of it, by kind then id,
 * and the logged events that ended it, in time order.  NHIR_ENOTFOUND
 * when there is no node id.
 */
enum nhir_rc nhir_doc_node(struct nhir_store *st, int64_t id, cJSON **out,
			   struct nhir_err *err);

/*
 * The events of the keys q names (q->keys, q->key_nr; since, until), in
 * order: {"version", "keys": how many keys, "events": [...]}, each with
 * the path of the file it came from ("file #N" when the store lost it).
 */
struct nhir_event_query;
enum nhir_rc nhir_doc_timeline(struct nhir_store *st,
			       const struct nhir_event_query *q, cJSON **out,
			       struct nhir_err *err);

/*
 * Findings with their routing ({"version", "findings": [...]}); all:
 * dismissed and incident-bound ones too.  *dedicated (when not NULL)
 * counts the open ones routed to dedicated response.
 */
enum nhir_rc nhir_doc_findings(struct nhir_store *st, bool all,
			       size_t *dedicated, cJSON **out,
			       struct nhir_err *err);
/*
 * One finding and where it was seen ({"version", "finding",
 * "sightings"}); NHIR_ENOTFOUND when there is no finding id.
 */
enum nhir_rc nhir_doc_finding(struct nhir_store *st, int64_t id, cJSON **out,
			      struct nhir_err *err);
/* One scanner report given to nhir findings import, and what it did. */
struct nhir_findings_file {
	const char *path;
	bool rejected;		/* the counts are then not given */
	uint64_t entries, findings_new, sightings_new, matched, skipped;
};
/* {"version", "format", "reports": [...]}: an import of files. */
enum nhir_rc nhir_doc_findings_import(const char *format,
				      const struct nhir_findings_file *files,
				      size_t nr, cJSON **out,
				      struct nhir_err *err);
/*
 * How policy p decides finding id ({"version", "finding", "facts",
 * "unknown", "rules", "decision"}): its facts, those not known, each
 * rule in order until one matched, and the decision.
 */
struct nhir_route_policy;
enum nhir_rc nhir_doc_route_explain(struct nhir_store *st,
				    const struct nhir_route_policy *p,
				    int64_t id, cJSON **out,
				    struct nhir_err *err);

/*
 * The plan of incident inc ({"version", "incident", "steps",
 * "not_planned_ended"}): each step with its approvals that no longer
 * count, and what the last build left out because a logged event had
 * ended it.
 */
enum nhir_rc nhir_doc_plan(struct nhir_store *st, int64_t inc, cJSON **out,
			   struct nhir_err *err);

/*
 * What approving every step awaiting one approver did (nhir approve
 * INC --all, POST .../approve): {"version", "incident", "approver",
 * "steps": [{"step", "action", "approved", "code" (when refused),
 * "reason"}], "plan"}.  Built as the run goes: nhir_doc_approvals_new,
 * nhir_doc_approved as nhir_approve_pending's callback (its data the
 * document), then nhir_doc_approvals_end, which adds the plan as it is
 * now when st is given and hands the document over (or frees it).
 */
struct nhir_approve_result;
struct nhir_doc_approvals;
enum nhir_rc nhir_doc_approvals_new(int64_t inc, const char *approver,
				    struct nhir_doc_approvals **out,
				    struct nhir_err *err);
enum nhir_rc nhir_doc_approved(const struct nhir_approve_result *r,
			       void *approvals);
/* How many steps it holds. */
size_t nhir_doc_approvals_count(const struct nhir_doc_approvals *a);
enum nhir_rc nhir_doc_approvals_end(struct nhir_doc_approvals *a,
				    struct nhir_store *st, cJSON **out,
				    struct nhir_err *err);

/*
 * What the last build of inc's plan left out because a logged event
 * had ended it (its audit entry lists them): a new array, or NULL when
 * there is no build or it lists none.
 */
enum nhir_rc nhir_plan_not_planned(struct nhir_store *st, int64_t inc,
				   cJSON **out, struct nhir_err *err);
/* What running a step did ({"version", "incident", "step", ...}). */
struct nhir_exec_result;
enum nhir_rc nhir_doc_execute(int64_t inc, const struct nhir_exec_result *r,
			      cJSON **out, struct nhir_err *err);
/* The probes' counts r and every revocation of inc with its state. */
struct nhir_verify_result;
enum nhir_rc nhir_doc_verify(struct nhir_store *st, int64_t inc,
			     const struct nhir_verify_result *r, cJSON **out,
			     struct nhir_err *err);
/* Residual access r of inc at time at (nhir_residual). */
struct nhir_residual;
enum nhir_rc nhir_doc_residual(int64_t inc, int64_t at,
			       const struct nhir_residual *r, cJSON **out,
			       struct nhir_err *err);

/*
 * What an ingest of logs did (res; {"version", "files", ...,
 * "problems", "complete"}).  The problems are diags (nr of them) when
 * given, those res kept otherwise; complete: nothing was rejected or
 * skipped.
 */
struct nhir_ingest_result;
struct nhir_ingest_diag;
enum nhir_rc nhir_doc_ingest(const struct nhir_ingest_result *res,
			     const struct nhir_ingest_diag *diags, size_t nr,
			     bool complete, cJSON **out, struct nhir_err *err);
/* One file given to nhir import, and what importing it did. */
struct nhir_import_file {
	const char *path;
	enum nhir_rc rc;	/* NHIR_EPARSE: rejected with errors */
	struct nhir_import_result res;
	char error[sizeof(((struct nhir_err *)0)->msg)];	/* other rc */
};
/* {"version", "format", "files": [...]}: an import of files. */
enum nhir_rc nhir_doc_import(const char *format,
			     const struct nhir_import_file *files, size_t nr,
			     cJSON **out, struct nhir_err *err);
/*
 * What nhir db copy copied and verified: {"version", "tables": {name:
 * rows}, "rows", "evidence_files", "fingerprint_key", "audit_entries",
 * "audit_head", "verified"}.
 */
struct nhir_copy_result;
struct nhir_audit_check;
enum nhir_rc nhir_doc_db_copy(const struct nhir_copy_result *res,
			      const struct nhir_audit_check *chk, cJSON **out,
			      struct nhir_err *err);
/* {"version", "settings": [{key, value, set_by, set_at}]}. */
enum nhir_rc nhir_doc_settings(struct nhir_store *st, cJSON **out,
			       struct nhir_err *err);

/*
 * What is in scope if the seeds of a blast walk are compromised
 * ({"version", "at", "exposed_at", "max_depth", "skipped_invalid",
 * "counts", "groups", "truncated"}), at most limit items a group (0:
 * all).  o is what the walk was run with; v its view (nhir/view.h).
 */
struct nhir_blast_view;
struct nhir_blast_opts;
enum nhir_rc nhir_doc_blast(struct nhir_blast_view *v,
			    const struct nhir_blast_opts *o, size_t limit,
			    cJSON **out, struct nhir_err *err);

/*
 * A request body for nhir serve's API: an object of the fields given,
 * leaving out a string that is NULL, a number not set and an empty
 * list.  NULL when out of memory; the caller's to cJSON_free.
 */
enum nhir_req_type { NHIR_REQ_STR, NHIR_REQ_NUM, NHIR_REQ_STRS,
		     NHIR_REQ_NUMS, NHIR_REQ_TRUE, NHIR_REQ_BOOL };
struct nhir_req_field {
	const char *name;
	enum nhir_req_type type;
	const char *str;
	int64_t num;
	bool set;			/* NHIR_REQ_NUM: num is given;
					 * NHIR_REQ_TRUE: the member is true;
					 * NHIR_REQ_BOOL: given, as num != 0 */
	const char *const *strs;	/* NHIR_REQ_STRS: nr of them */
	const int64_t *nums;		/* NHIR_REQ_NUMS: nr of them */
	size_t nr;
};
char *nhir_request_json(const struct nhir_req_field *f, size_t nr);

/*
 * Documents of one request each, as one (the command line sends a file
 * per upload): the items of more's array member moved to sum's; the
 * counts of ingest document more added to sum's, its problems appended
 * and "complete" only if both are.
 */
void nhir_doc_append(cJSON *sum, cJSON *more, const char *member);
void nhir_doc_ingest_sum(cJSON *sum, cJSON *more);

#endif
