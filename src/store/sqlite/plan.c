/* SQLite storage for plans, steps, approvals, revocations and cuts (src/plan/). */
#include "compat.h"
#include "store/plan.h"
#include "store/sqlite/sqlite-internal.h"

const struct nhir_plan_store_ops nhir_sqlite_plan_ops = {
	.version = 1,
};
