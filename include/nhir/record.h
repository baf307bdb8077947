/*
 * The response record: users and their authority, the hash-chained
 * audit log, and incidents with their scope, decisions, notes, tasks
 * and evidence.  Every change is made by a named user, checked against
 * that user's authority, and appended to the audit log in the same
 * transaction; a refusal is appended too.
 *
 * An operation takes the context of nhir/ctx.h: it works on ctx->st as
 * ctx->actor (the "actor" of the comments below), and its changes and
 * audit entries are stamped with ctx's clock (nhir_ctx_now()).  Reads
 * and checks still take the store and, where they need one, the actor.
 */
#ifndef NHIR_RECORD_H
#define NHIR_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "ctx.h"
#include "error.h"
#include "store.h"

/* ---- users and authority ---- */

enum nhir_role {
	NHIR_ROLE_NONE = 0,	/* not a user */
	NHIR_ROLE_OBSERVER,	/* reads (auditors) */
	NHIR_ROLE_RESPONDER,	/* ingests, investigates, records */
	NHIR_ROLE_APPROVER,	/* reads; approves plan steps */
	NHIR_ROLE_LEAD,		/* leads incidents */
	NHIR_ROLE_ADMIN,	/* manages users and data */
	NHIR_ROLE_NR
};

const char *nhir_role_name(enum nhir_role r);
/* The role named s, or NHIR_ROLE_NONE. */
enum nhir_role nhir_role_parse(const char *s);

/* What an operation needs; see doc/internals/record.md for who may. */
enum nhir_perm {
	NHIR_PERM_READ,		/* any active user */
	NHIR_PERM_DATA,		/* import, ingest, findings: responder, lead, admin */
	NHIR_PERM_DECLARE,	/* declare an incident: responder, lead */
	NHIR_PERM_WORK,		/* notes, scope proposals, evidence, own tasks:
				 * responder or lead, on an open incident */
	NHIR_PERM_LEAD,		/* state, decisions, scope, tasks: the
				 * incident's lead */
	NHIR_PERM_ASSIGN,	/* change lead or responders: the lead or an
				 * admin */
	NHIR_PERM_ADMIN,	/* users: admin */
};

/* The longest user name, in bytes: longer ones are refused unread. */
#define NHIR_USER_NAME_MAX 64

struct nhir_user {
	char name[128];
	enum nhir_role role;
	bool active;
	int64_t created;
	char created_by[128];
};

typedef int (*nhir_user_cb)(const struct nhir_user *u, void *data);

/*
 * User names are one person whatever their ASCII case.  Who owns what:
 * the library keeps names unique that way (adding 'alex' beside 'Alex'
 * is refused), finds a user named in any case (nhir_user_get), and
 * stores a user it is told of (a lead, a responder, a task's owner, a
 * token's user) as added.  An actor it acts as must be spelled as added:
 * 'alex' for 'Alex' is refused (NHIR_EDENIED), never silently taken, so
 * the record never names one person two ways.  Finding the actor from
 * what a person typed is the front end's: the CLI does it for --as and
 * NHIR_USER, the server's tokens carry the name as added.
 */
/* NHIR_ENOTFOUND when there is no such user. */
enum nhir_rc nhir_user_get(struct nhir_store *st, const char *name,
			   struct nhir_user *out, struct nhir_err *err);
/*
 * Adds a user.  Needs an admin, except for the very first user, who
 * must be an admin (a database starts with whoever creates it).
 */
enum nhir_rc nhir_user_add(const struct nhir_ctx *ctx, const char *name,
			   enum nhir_role role, struct nhir_err *err);
/* Changes a user's role, or deactivates (active false) them. */
enum nhir_rc nhir_user_set(const struct nhir_ctx *ctx, const char *name,
			   enum nhir_role role, bool active,
			   struct nhir_err *err);
/*
 * A person the identity provider issuer vouched for, with the role its
 * groups give (group, by the server's configuration): a user who exists
 * and is active gets that role if they had another; one who does not
 * exist is added with it when provision is set.  Each change is one
 * transaction with its audit entry "user.idp", whose actor is the
 * person and whose detail names the issuer and the group.  Nothing
 * happens (NHIR_OK) for a deactivated user, one already of that role,
 * or one not provisioned: signing in then decides as without roles.
 * NHIR_EDENIED before anyone is a user: the first admin is added by
 * 'nhir user add', never by a provider.
 */
enum nhir_rc nhir_user_idp(struct nhir_store *st, const char *issuer,
			   const char *name, enum nhir_role role,
			   const char *group, bool provision,
			   struct nhir_err *err);
enum nhir_rc nhir_user_list(struct nhir_store *st, nhir_user_cb cb,
			    void *data, struct nhir_err *err);
/* How many users exist. */
enum nhir_rc nhir_user_count(struct nhir_store *st, int64_t *n,
			     struct nhir_err *err);

/*
 * May actor do perm (on incident, 0 for none)?  NHIR_OK, or
 * NHIR_EDENIED with the reason in err.  Reads only: callers record a
 * refusal with nhir_audit_denied() once their transaction is gone.
 */
enum nhir_rc nhir_authorize(const struct nhir_ctx *ctx, enum nhir_perm perm,
			    int64_t incident, struct nhir_err *err);

/* ---- settings an admin controls (nhir config) ---- */

/*
 * Known keys: "catalog" and "connectors" (the files every plan uses,
 * absolute paths), "approval-ttl-max" (seconds an approval may last at
 * most).  Setting one needs an admin and is on the audit log.
 */
#define NHIR_APPROVAL_TTL_MAX (7 * 24 * 3600)	/* when not configured */
#define NHIR_SETTING_MAX 4096			/* bytes of a value */

bool nhir_setting_known(const char *key);
/* value "" when unset (*found false); NHIR_EINVAL when it does not fit. */
enum nhir_rc nhir_setting_get(struct nhir_store *st, const char *key,
			      char *value, size_t n, bool *found,
			      struct nhir_err *err);
/* value NULL: unset. */
enum nhir_rc nhir_setting_set(const struct nhir_ctx *ctx, const char *key,
			      const char *value, struct nhir_err *err);
struct nhir_setting {
	const char *key, *value, *set_by;
	int64_t set_at;
};
typedef int (*nhir_setting_cb)(const struct nhir_setting *s, void *data);
enum nhir_rc nhir_setting_each(struct nhir_store *st, nhir_setting_cb cb,
			       void *data, struct nhir_err *err);
/* The maximum TTL of an approval, configured or the default. */
enum nhir_rc nhir_approval_ttl_max(struct nhir_store *st, int64_t *out,
				   struct nhir_err *err);

/* ---- the audit log ---- */

#define NHIR_AUDIT_GENESIS \
	"0000000000000000000000000000000000000000000000000000000000000000"

/*
 * Appends an entry (in the caller's transaction): hash = SHA-256 of
 * the previous entry's hash, a newline, and the canonical JSON of
 * {action, actor, at, detail, incident, seq}.  detail may be NULL.
 */
enum nhir_rc nhir_audit_append(const struct nhir_ctx *ctx, const char *action,
			       int64_t incident, const cJSON *detail,
			       struct nhir_err *err);
/* Records a refusal in its own transaction (why: the refusal text). */
void nhir_audit_denied(const struct nhir_ctx *ctx, const char *operation,
		       int64_t incident, const char *why);
/*
 * nhir_authorize, and a refusal recorded on the audit log under
 * operation: what every read and every operation outside a change's own
 * transaction calls, so that no front end can forget either half.
 */
enum nhir_rc nhir_authorize_audited(const struct nhir_ctx *ctx,
				    enum nhir_perm perm, int64_t incident,
				    const char *operation,
				    struct nhir_err *err);
/*
 * May actor bring data in (import, ingest, routing)?  As
 * nhir_authorize_audited with NHIR_PERM_DATA; a database that has no
 * user yet (made by the library, before 'nhir init' names its first
 * admin) has no one to check against, and is let through.
 */
enum nhir_rc nhir_authorize_data(const struct nhir_ctx *ctx,
				 const char *operation, struct nhir_err *err);

struct nhir_audit_entry {
	int64_t seq, at, incident;
	const char *actor, *action, *detail, *prev, *hash;
};
typedef int (*nhir_audit_cb)(const struct nhir_audit_entry *e, void *data);

/* Entries in order; incident 0: all. */
enum nhir_rc nhir_audit_each(struct nhir_store *st, int64_t incident,
			     nhir_audit_cb cb, void *data,
			     struct nhir_err *err);
/* Entries after seq after, at most limit (0: all), in order. */
enum nhir_rc nhir_audit_since(struct nhir_store *st, int64_t incident,
			      int64_t after, size_t limit, nhir_audit_cb cb,
			      void *data, struct nhir_err *err);
/* The newest entry's seq; 0 when the log is empty. */
enum nhir_rc nhir_audit_newest(struct nhir_store *st, int64_t *seq,
			       struct nhir_err *err);

struct nhir_audit_check {
	int64_t entries;	/* read */
	int64_t broken;		/* first broken entry's seq, 0 if intact */
	char why[200];
	char head[65];		/* hash of the last intact entry */
};

/* Recomputes the chain; NHIR_OK even when broken (see out->broken). */
enum nhir_rc nhir_audit_verify(struct nhir_store *st,
			       struct nhir_audit_check *out,
			       struct nhir_err *err);

/* ---- signed checkpoints (src/record/checkpoint.c) ---- */

/*
 * Signs the audit log's head (newest entry's seq and hash) with the
 * Ed25519 secret key in keyfile, after checking the chain (a broken or
 * empty log is not signed: NHIR_ECONFLICT), records the checkpoint in
 * the database and returns its document (JSON text; caller frees).
 */
enum nhir_rc nhir_audit_checkpoint(struct nhir_store *st, const char *keyfile,
				   char **out, struct nhir_err *err);

struct nhir_checkpoint_check {
	int64_t seq;		/* the entry it vouches for */
	char head[65];
	char signer[65];	/* public key, hex */
	char fingerprint[48];	/* NHIR_KEY_FP_LEN */
	bool trusted;		/* signer is in the trust list */
	char label[64];		/* its label there */
	char log[33];		/* the log it is of, or "" (signed without) */
	bool holds;		/* signature valid, trusted, log matches */
	char why[320];		/* why not, naming the entry */
};

/*
 * Checks a checkpoint document: its signature, that its signer is in
 * the trust list at trust (a KEY.pub file or a list; NULL: none, so it
 * does not hold), and that the log still has the signed hash at the
 * signed entry.  NHIR_EPARSE when doc is not a checkpoint.
 */
enum nhir_rc nhir_audit_check_checkpoint(struct nhir_store *st,
					 const char *doc, size_t len,
					 const char *trust,
					 struct nhir_checkpoint_check *out,
					 struct nhir_err *err);
typedef int (*nhir_checkpoint_cb)(const struct nhir_checkpoint_check *c,
				  void *data);
/* Each checkpoint recorded in the database, checked as above. */
enum nhir_rc nhir_audit_checkpoints(struct nhir_store *st, const char *trust,
				    nhir_checkpoint_cb cb, void *data,
				    struct nhir_err *err);

/* Canonical JSON: members sorted by key, no spaces.  Caller frees. */
char *nhir_json_canonical(const cJSON *v);

/* ---- incidents ---- */

enum nhir_inc_state {
	NHIR_INC_DECLARED = 0,
	NHIR_INC_INVESTIGATING,
	NHIR_INC_CONTAINING,
	NHIR_INC_RECOVERING,
	NHIR_INC_CLOSED,
	NHIR_INC_STATE_NR
};

const char *nhir_inc_state_name(enum nhir_inc_state s);
int nhir_inc_state_parse(const char *s);	/* -1 if unknown */

/* Severities, most severe first. */
bool nhir_severity_valid(const char *s);

struct nhir_incident {
	int64_t id;
	char title[256];
	char severity[16];
	enum nhir_inc_state state;
	char lead[128];
	int64_t exposed_at;	/* NHIR_TIME_UNSET if unknown */
	int64_t declared, updated, closed;
	char declared_by[128];
};

/*
 * An incident's entity tag: a quoted digest of its document
 * (nhir_doc_incident), so it changes exactly when what a reader of the
 * incident sees changes.  HTTP's ETag and If-Match.
 */
#define NHIR_ETAG_LEN 36	/* '"', 32 hex digits, '"', NUL (and spare) */
enum nhir_rc nhir_incident_etag(struct nhir_store *st, int64_t id,
				char tag[NHIR_ETAG_LEN],
				struct nhir_err *err);
/* The tag of a document's compact JSON text (as cJSON_PrintUnformatted
 * writes it): what a front end that has the text already sends. */
void nhir_etag_of(const char *text, size_t len, char tag[NHIR_ETAG_LEN]);
/*
 * The next change made through st to incident id proceeds only if the
 * incident's tag is still tag; else it is refused with NHIR_ESTALE,
 * checked in the change's own transaction.  tag NULL: no condition.
 * The condition is used up by the next change, whichever incident.
 */
void nhir_incident_expect(struct nhir_store *st, int64_t id,
			  const char *tag);

/* "INC-12" or "12" to 12; 0 if neither. */
int64_t nhir_incident_ref(const char *s);

struct nhir_declare {
	const char *title, *severity, *lead;
	const char *const *seeds;	/* node references */
	size_t seed_nr;
	const int64_t *findings;	/* finding ids */
	size_t finding_nr;
	int64_t exposed_at;		/* NHIR_TIME_UNSET */
	size_t propose_max;		/* blast items proposed; 0: 5000 */
};

/* Declares an incident; its scope is the seeds (and the findings'
 * credentials), confirmed, and their blast radius, proposed. */
enum nhir_rc nhir_incident_declare(const struct nhir_ctx *ctx,
				   const struct nhir_declare *d, int64_t *id,
				   struct nhir_err *err);
enum nhir_rc nhir_incident_get(struct nhir_store *st, int64_t id,
			       struct nhir_incident *out,
			       struct nhir_err *err);
typedef int (*nhir_incident_cb)(const struct nhir_incident *inc,
				void *data);
/* state -1: all. */
enum nhir_rc nhir_incident_list(struct nhir_store *st, int state,
				nhir_incident_cb cb, void *data,
				struct nhir_err *err);
/* New lead (or NULL) and responders to add. */
enum nhir_rc nhir_incident_assign(const struct nhir_ctx *ctx, int64_t id,
				  const char *lead,
				  const char *const *responders, size_t nr,
				  struct nhir_err *err);
/*
 * Moves to state: one step forward, or one back (not from closed).
 * Guards: containing needs a confirmed scope; closed needs recovery
 * criteria met (every task done, no scope left proposed) or a risk
 * acceptance recorded by the lead.  NHIR_ECONFLICT with the unmet
 * guard in err.
 */
enum nhir_rc nhir_incident_move(const struct nhir_ctx *ctx, int64_t id,
				enum nhir_inc_state to, const char *why,
				struct nhir_err *err);
/* Why the incident may not close yet ("" if it may), into buf. */
enum nhir_rc nhir_incident_close_check(struct nhir_store *st, int64_t id,
				       char *buf, size_t len,
				       struct nhir_err *err);

/*
 * Where a node of the scope stands and how it came in; a store keeps
 * each as its name.  A name this nhir does not know (a newer one wrote
 * it) is UNKNOWN, named "unknown", and never written.
 */
enum nhir_scope_status {
	NHIR_SCOPE_STATUS_PROPOSED = 0,	/* "proposed" */
	NHIR_SCOPE_STATUS_CONFIRMED,	/* "confirmed" */
	NHIR_SCOPE_STATUS_DISMISSED,	/* "dismissed" */
	NHIR_SCOPE_STATUS_UNKNOWN,
};
const char *nhir_scope_status_name(enum nhir_scope_status s);
enum nhir_scope_status nhir_scope_status_parse(const char *s);

enum nhir_scope_origin {
	NHIR_SCOPE_FROM_SEED = 0,	/* "seed" */
	NHIR_SCOPE_FROM_BLAST,		/* "blast" */
	NHIR_SCOPE_FROM_MANUAL,		/* "manual" */
	NHIR_SCOPE_FROM_UNKNOWN,
};
const char *nhir_scope_origin_name(enum nhir_scope_origin o);
enum nhir_scope_origin nhir_scope_origin_parse(const char *s);

/* Scope: add (proposed, by a worker), confirm and dismiss (the lead). */
enum nhir_scope_op { NHIR_SCOPE_ADD, NHIR_SCOPE_CONFIRM, NHIR_SCOPE_DISMISS };
enum nhir_rc nhir_scope_change(const struct nhir_ctx *ctx, int64_t id,
			       enum nhir_scope_op op, const char *ref,
			       const char *why, struct nhir_err *err);
struct nhir_scope_item {
	int64_t node;
	const char *ext_id, *name, *status, *origin, *actor;
	int kind;
	int64_t updated;
};
typedef int (*nhir_scope_cb)(const struct nhir_scope_item *s, void *data);
enum nhir_rc nhir_scope_each(struct nhir_store *st, int64_t id,
			     nhir_scope_cb cb, void *data,
			     struct nhir_err *err);

/* kind: "decision" or "risk-acceptance" (the lead's, to close). */
enum nhir_rc nhir_decide(const struct nhir_ctx *ctx, int64_t id,
			 const char *kind, const char *what, const char *why,
			 int64_t *out_id, struct nhir_err *err);
enum nhir_rc nhir_note_add(const struct nhir_ctx *ctx, int64_t id,
			   const char *body, struct nhir_err *err);
enum nhir_rc nhir_task_add(const struct nhir_ctx *ctx, int64_t id,
			   const char *title, const char *owner, int64_t due,
			   int64_t *task, struct nhir_err *err);
/* Marks a task done: its owner or the lead. */
enum nhir_rc nhir_task_done(const struct nhir_ctx *ctx, int64_t id,
			    int64_t task, struct nhir_err *err);

/* Where a task stands, kept as its name; as scope statuses for unknown. */
enum nhir_task_status {
	NHIR_TASK_OPEN = 0,		/* "open" */
	NHIR_TASK_DONE,			/* "done" */
	NHIR_TASK_STATUS_UNKNOWN,
};
const char *nhir_task_status_name(enum nhir_task_status s);
enum nhir_task_status nhir_task_status_parse(const char *s);

/* One row of an incident's record, for show and reports. */
struct nhir_record_item {
	const char *type;	/* "decision", "note", "task", "evidence", ... */
	int64_t id, at;
	const char *actor;
	const char *a, *b, *c;	/* per type: see record.c */
	int64_t n1, n2;
};
typedef int (*nhir_record_cb)(const struct nhir_record_item *r, void *data);
/* type: "decision", "note", "task", "member", "evidence", "custody". */
enum nhir_rc nhir_record_each(struct nhir_store *st, int64_t id,
			      const char *type, nhir_record_cb cb, void *data,
			      struct nhir_err *err);

/* ---- evidence ---- */

/* The default limit on one piece of evidence, in bytes (2 GiB). */
#define NHIR_EVIDENCE_MAX_SIZE ((uint64_t)2 << 30)
/*
 * Copies path ("-": standard input; else a regular file or a pipe) into
 * the store's evidence folder (beside the database, named by its
 * SHA-256, read-only) and records hash, size, source, collector and
 * time, with a first custody entry.  More than max_size bytes (0: the
 * default) is NHIR_ETOOBIG.  The copy is an unnamed file until complete:
 * a failure or a kill leaves nothing behind.  The input is read before
 * the write transaction begins.
 */
enum nhir_rc nhir_evidence_add(const struct nhir_ctx *ctx, int64_t id,
			       const char *path, const char *source,
			       uint64_t max_size, int64_t *evidence,
			       char sha_hex[65], struct nhir_err *err);
/*
 * As nhir_evidence_add, the evidence named name (a file name) whatever
 * path is: path may be a spool, such as /proc/self/fd/N of an upload.
 */
enum nhir_rc nhir_evidence_add_as(const struct nhir_ctx *ctx, int64_t id,
				  const char *path, const char *name,
				  const char *source, uint64_t max_size,
				  int64_t *evidence, char sha_hex[65],
				  struct nhir_err *err);
/*
 * Copies evidence of incident (0: any) to out, a descriptor open for
 * writing, verifying its hash, as actor (any user may read evidence):
 * the custody entry "downloaded" (detail: to, where it went) and the
 * audit entry "evidence.download" record the access in one
 * transaction.  With out -1 it is checked in place ("verified",
 * "evidence.verify").  *size and sha (the hash recorded) are set.
 * Evidence of another incident is NHIR_ENOTFOUND; a changed hash is
 * NHIR_ECONFLICT, and what was written to out is not the evidence.
 */
enum nhir_rc nhir_evidence_download(const struct nhir_ctx *ctx,
				    int64_t incident, int64_t evidence, int out,
				    const char *to, uint64_t *size,
				    char sha[65], struct nhir_err *err);
/*
 * Writes evidence to path (or checks it in place when path is NULL),
 * verifying its hash; either way a custody entry records the access.
 * path is opened by nhir_store_output_open() with flags (NHIR_OUT_*).
 * A stored file replaced by a symbolic link or a non-regular file is
 * NHIR_ECONFLICT, as is a changed hash; so is a symbolic link in place
 * of the evidence folder (NHIR_EINVAL).
 */
enum nhir_rc nhir_evidence_export(const struct nhir_ctx *ctx, int64_t evidence,
				  const char *path, unsigned flags,
				  struct nhir_err *err);

#endif
