/*
 * The store's typed interface for plans, steps, approvals, revocations and cuts (src/plan/).
 * Statuses and phases cross it as enums; the domain module holds the
 * rules and this interface only stores and fetches.  Every backend
 * defines one const struct nhir_plan_store_ops (the SQLite one in
 * src/store/sqlite/plan.c).
 *
 * Methods that list call a callback once per row; a nonzero return
 * from the callback stops the listing and the method returns NHIR_OK.
 * Strings handed to a callback live until it returns.  A method that
 * finds nothing calls its callback never and returns NHIR_OK, unless
 * it says otherwise.
 */
#ifndef NHIR_STORE_PLAN_H
#define NHIR_STORE_PLAN_H

#include <stdbool.h>
#include <stdint.h>
#include "nhir/plan.h"
#include "nhir/record.h"
#include "nhir/store.h"

/* A step as it is written (step_insert); every step starts planned. */
struct nhir_plan_step_def {
	int64_t incident, seq;
	const char *action;
	int64_t target;			/* a node id; 0: none */
	enum nhir_phase phase;
	enum nhir_cut cuts;		/* NHIR_CUT_NONE: stored as NULL */
	const char *why, *breaks, *survives;
	bool reversible, destroys_evidence, privileged, changes_access;
	int approvals_needed;
	int64_t delay;
	const char *proposer;
	int64_t created;
	const char *entry;		/* its catalog entry's digest */
};

/* A step as it is read (steps_read); strings live until the callback returns. */
struct nhir_plan_step_row {
	struct nhir_plan_step_def def;	/* incident, seq, action, ... */
	int64_t id;
	enum nhir_step_status status;
	const char *target_ext, *target_name;	/* NULL: no target */
	const char *result;			/* NULL when none */
	const char *digest;			/* "" before digests were kept */
	int64_t started, finished;		/* 0 when unset */
	/*
	 * The seqs of the steps it waits for, comma-separated without
	 * spaces, in no promised order; NULL when it waits for none.
	 */
	const char *after;
};
typedef int (*nhir_plan_step_cb)(void *arg,
				 const struct nhir_plan_step_row *s);

/* A dependency: step waits for after (step ids), for why. */
typedef int (*nhir_plan_dep_cb)(void *arg, int64_t step, int64_t after,
				const char *why);
/* A step that one waits for: its seq and status now, and why. */
typedef int (*nhir_plan_wait_cb)(void *arg, int64_t seq,
				 enum nhir_step_status status,
				 const char *why);

/* An approval or rejection as it is written. */
struct nhir_plan_approval_def {
	int64_t step;			/* step id */
	const char *actor;
	enum nhir_verdict verdict;
	const char *why;
	int64_t at, expires;
	/* what it was given for: the step's digest, seq, entry, reversibility */
	const char *digest;
	int64_t seq;
	const char *entry;
	bool reversible;
};

/*
 * An approval as it is read, beside its step now and its actor now.
 * Fields of what it was given for that older approvals lack: seq 0,
 * entry NULL, reversible -1.
 */
struct nhir_plan_approval_row {
	struct nhir_plan_approval_def def;
	int64_t id;
	int reversible;			/* def.reversible, or -1: unknown */
	int64_t step_seq;
	const char *step_digest, *step_entry, *step_proposer;
	bool step_reversible;
	bool user;			/* the actor is still a user */
	enum nhir_role role;		/* when user */
	bool active;			/* when user */
	bool withdrawn;
	const char *withdrawn_why;	/* when withdrawn */
};
typedef int (*nhir_plan_approval_cb)(void *arg,
				     const struct nhir_plan_approval_row *a);

/* A node of the incident's scope that is settled: confirmed or dismissed. */
typedef int (*nhir_plan_scope_cb)(void *arg, int64_t node, bool confirmed);

/* A revocation as stored; times 0 when unset. */
struct nhir_plan_revocation {
	int64_t node;
	const char *ext_id;		/* the node's external id */
	enum nhir_revocation_state state;
	const char *detail;		/* NULL when none */
	int64_t requested, confirmed, verified;
};
typedef int (*nhir_plan_revocation_cb)(void *arg,
				       const struct nhir_plan_revocation *r);

/* A node of an incident (a seed, a revoked node). */
typedef int (*nhir_plan_node_cb)(void *arg, int64_t node);
/* A cut: tokens of node issued before issued_before are denied. */
typedef int (*nhir_plan_cut_cb)(void *arg, int64_t node,
				int64_t issued_before);

struct nhir_plan_store_ops {
	unsigned version;	/* methods added later are NULL-checked */

	/* ---- steps ---- */
	/* Stores a planned step; its id into *id. */
	enum nhir_rc (*step_insert)(struct nhir_store *st,
				    const struct nhir_plan_step_def *d,
				    int64_t *id, struct nhir_err *err);
	/*
	 * The steps of incident by seq; seq not 0: only that one (none
	 * when there is no such step).
	 */
	enum nhir_rc (*steps_read)(struct nhir_store *st, int64_t incident,
				   int64_t seq, nhir_plan_step_cb cb,
				   void *arg, struct nhir_err *err);
	/* Sets what approvals of step id are bound to. */
	enum nhir_rc (*step_set_digest)(struct nhir_store *st, int64_t id,
					const char *digest,
					struct nhir_err *err);
	/* Sets the status and result of step id (result NULL: none). */
	enum nhir_rc (*step_set_status)(struct nhir_store *st, int64_t id,
					enum nhir_step_status status,
					const char *result,
					struct nhir_err *err);
	/*
	 * Claims step id: marks it running since at only if its status is
	 * still from (the one it was read with), in one statement, so of
	 * two runs that picked the same step only one claims it.
	 * *claimed says whether this call did.
	 */
	enum nhir_rc (*step_start)(struct nhir_store *st, int64_t id,
				   enum nhir_step_status from, int64_t at,
				   bool *claimed, struct nhir_err *err);
	/*
	 * Step id ended with status at finished, with result and the
	 * evidence it kept (0: none); started not 0 sets when it began.
	 */
	enum nhir_rc (*step_finish)(struct nhir_store *st, int64_t id,
				    enum nhir_step_status status,
				    int64_t started, int64_t finished,
				    const char *result, int64_t evidence,
				    struct nhir_err *err);
	/*
	 * Every verify-phase step of incident on target not yet done
	 * becomes done at at, with result.
	 */
	enum nhir_rc (*verify_steps_done)(struct nhir_store *st,
					  int64_t incident, int64_t target,
					  int64_t at, const char *result,
					  struct nhir_err *err);
	/* How many steps of incident are neither planned nor skipped. */
	enum nhir_rc (*steps_begun)(struct nhir_store *st, int64_t incident,
				    int64_t *n, struct nhir_err *err);
	/* The highest step id of incident, 0 when it has none. */
	enum nhir_rc (*step_last_id)(struct nhir_store *st, int64_t incident,
				     int64_t *id, struct nhir_err *err);
	/* The highest seq of incident's steps, 0 when it has none. */
	enum nhir_rc (*step_last_seq)(struct nhir_store *st, int64_t incident,
				      int64_t *seq, struct nhir_err *err);
	/* The lowest id of a step in phase placed before seq; 0: none. */
	enum nhir_rc (*step_first_in_phase)(struct nhir_store *st,
					    int64_t incident,
					    enum nhir_phase phase,
					    int64_t before, int64_t *id,
					    struct nhir_err *err);
	/* Every step of incident at seq or later moves one later. */
	enum nhir_rc (*steps_make_room)(struct nhir_store *st,
					int64_t incident, int64_t seq,
					struct nhir_err *err);
	/*
	 * Step ids[i] of incident gets seq i + 1; no two steps share a
	 * seq at any time a reader could see.
	 */
	enum nhir_rc (*steps_renumber)(struct nhir_store *st, int64_t incident,
				       const int64_t *ids, size_t n,
				       struct nhir_err *err);
	/*
	 * The approvals of incident's steps with id <= old move to the
	 * newest step (id > old) with the same action and target, keeping
	 * what they were given for; those with none are deleted and
	 * counted in *dropped.
	 */
	enum nhir_rc (*approvals_carry)(struct nhir_store *st, int64_t incident,
					int64_t old, int64_t *dropped,
					struct nhir_err *err);
	/* Deletes incident's steps with id <= old and their dependencies. */
	enum nhir_rc (*steps_drop_upto)(struct nhir_store *st, int64_t incident,
					int64_t old, struct nhir_err *err);

	/* ---- dependencies ---- */
	/* step waits for after; NHIR_ECONFLICT if it already does. */
	enum nhir_rc (*dep_insert)(struct nhir_store *st, int64_t step,
				   int64_t after, const char *why,
				   struct nhir_err *err);
	/* Every dependency between incident's steps, in no particular order. */
	enum nhir_rc (*deps_of)(struct nhir_store *st, int64_t incident,
				nhir_plan_dep_cb cb, void *arg,
				struct nhir_err *err);
	/* The steps step waits for, by seq. */
	enum nhir_rc (*waits_of)(struct nhir_store *st, int64_t step,
				 nhir_plan_wait_cb cb, void *arg,
				 struct nhir_err *err);
	/* step no longer waits for after. */
	enum nhir_rc (*dep_drop)(struct nhir_store *st, int64_t step,
				 int64_t after, struct nhir_err *err);
	/* No step waits for after any more. */
	enum nhir_rc (*deps_drop_after)(struct nhir_store *st, int64_t after,
					struct nhir_err *err);

	/* ---- approvals ---- */
	enum nhir_rc (*approval_insert)(struct nhir_store *st,
					const struct nhir_plan_approval_def *a,
					struct nhir_err *err);
	/*
	 * The approvals and rejections of incident's steps (step: one step
	 * id, 0: all), by the step's seq, then in the order they were given.
	 */
	enum nhir_rc (*approvals_of)(struct nhir_store *st, int64_t incident,
				     int64_t step, nhir_plan_approval_cb cb,
				     void *arg, struct nhir_err *err);
	/*
	 * The latest rejection of step by actor, not withdrawn, given for
	 * digest: *found, and its reason into why (n bytes, truncated).
	 */
	enum nhir_rc (*rejection_standing)(struct nhir_store *st, int64_t step,
					   const char *actor,
					   const char *digest, bool *found,
					   char *why, size_t n,
					   struct nhir_err *err);
	/* How many rejections of step by actor are not withdrawn. */
	enum nhir_rc (*rejections_open)(struct nhir_store *st, int64_t step,
					const char *actor, int64_t *n,
					struct nhir_err *err);
	/* Withdraws them at at, for why. */
	enum nhir_rc (*rejections_withdraw)(struct nhir_store *st,
					    int64_t step, const char *actor,
					    int64_t at, const char *why,
					    struct nhir_err *err);

	/* ---- the incident around the plan ---- */
	/* A decision of actor on incident (what, and why), at at. */
	enum nhir_rc (*decision_insert)(struct nhir_store *st,
					int64_t incident, int64_t at,
					const char *actor, const char *what,
					const char *why,
					struct nhir_err *err);
	/* incident's confirmed and dismissed scope, by node id. */
	enum nhir_rc (*scope_settled)(struct nhir_store *st, int64_t incident,
				      nhir_plan_scope_cb cb, void *arg,
				      struct nhir_err *err);

	/* ---- revocations and cuts ---- */
	/*
	 * Records that step (0: none) asked for node's revocation at at; a
	 * verified revocation stays verified, any other becomes requested.
	 */
	enum nhir_rc (*revocation_request)(struct nhir_store *st,
					   int64_t incident, int64_t node,
					   int64_t step, int64_t at,
					   struct nhir_err *err);
	/*
	 * The connector confirmed node's revocation at at (detail: what it
	 * said); a verified one keeps its state, and a revocation confirmed
	 * before keeps that first time (a second step on the same node,
	 * a delete after a deactivation, does not move it later).  NHIR_OK,
	 * changing nothing, when node has no revocation.
	 */
	enum nhir_rc (*revocation_confirm)(struct nhir_store *st,
					   int64_t incident, int64_t node,
					   int64_t at, const char *detail,
					   struct nhir_err *err);
	/*
	 * node's revocation verified at at, with detail; created (for
	 * step, 0: none) when node has none, keeping its step otherwise.
	 */
	enum nhir_rc (*revocation_verify)(struct nhir_store *st,
					  int64_t incident, int64_t node,
					  int64_t step, int64_t at,
					  const char *detail,
					  struct nhir_err *err);
	/* The revocations of incident, by the ext_id of their node. */
	enum nhir_rc (*revocations_of)(struct nhir_store *st, int64_t incident,
				       nhir_plan_revocation_cb cb, void *arg,
				       struct nhir_err *err);
	/* Replaces the detail of node's revocation; NHIR_OK if it has none. */
	enum nhir_rc (*revocation_note)(struct nhir_store *st,
					int64_t incident, int64_t node,
					const char *detail,
					struct nhir_err *err);
	/*
	 * A cut of node by step (tokens issued before issued_before denied;
	 * NHIR_TIME_NEVER: all).  A node already cut keeps the later of the
	 * two times and its first step.
	 */
	enum nhir_rc (*cut_put)(struct nhir_store *st, int64_t incident,
				int64_t node, int64_t issued_before,
				int64_t step, struct nhir_err *err);

	/* ---- residual access ---- */
	/*
	 * The nodes of incident whose revocation was confirmed or verified
	 * at or before at (the earlier of the two times that is set), in
	 * no particular order.
	 */
	enum nhir_rc (*revoked_nodes)(struct nhir_store *st, int64_t incident,
				      int64_t at, nhir_plan_node_cb cb,
				      void *arg, struct nhir_err *err);
	/*
	 * The cuts of incident in force at at: those made by no step, and
	 * those whose step finished at or before at.  No particular order.
	 */
	enum nhir_rc (*cuts_at)(struct nhir_store *st, int64_t incident,
				int64_t at, nhir_plan_cut_cb cb, void *arg,
				struct nhir_err *err);
	/* The confirmed seeds of incident's scope, in no particular order. */
	enum nhir_rc (*seed_nodes)(struct nhir_store *st, int64_t incident,
				   nhir_plan_node_cb cb, void *arg,
				   struct nhir_err *err);
};

/* The interface of st's backend. */
const struct nhir_plan_store_ops *nhir_plan_store(struct nhir_store *st);

#endif
