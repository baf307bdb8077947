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
#include "nhir/store.h"

/* The state of a revocation, stored as its name. */
enum nhir_revocation_state {
	NHIR_REVOCATION_REQUESTED,	/* "requested" */
	NHIR_REVOCATION_CONFIRMED,	/* "confirmed" */
	NHIR_REVOCATION_VERIFIED,	/* "verified" */
};

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
	 * said); a verified one keeps its state.  NHIR_OK, changing
	 * nothing, when node has no revocation.
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
