/*
 * The store's typed interface for plans, steps, approvals, revocations and cuts (src/plan/).
 * Statuses and phases cross it as enums; the domain module holds the
 * rules and this interface only stores and fetches.  Every backend
 * defines one const struct nhir_plan_store_ops (the SQLite one in
 * src/store/sqlite/plan.c).
 */
#ifndef NHIR_STORE_PLAN_H
#define NHIR_STORE_PLAN_H

#include <stdbool.h>
#include <stdint.h>
#include "nhir/store.h"

struct nhir_plan_store_ops {
	unsigned version;	/* methods added later are NULL-checked */
};

/* The interface of st's backend. */
const struct nhir_plan_store_ops *nhir_plan_store(struct nhir_store *st);

#endif
