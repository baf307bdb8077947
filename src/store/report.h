/*
 * The store's typed interface for the after-action report and metrics (src/report/).
 * Statuses and phases cross it as enums; the domain module holds the
 * rules and this interface only stores and fetches.  Every backend
 * defines one const struct nhir_report_store_ops (the SQLite one in
 * src/store/sqlite/report.c).
 */
#ifndef NHIR_STORE_REPORT_H
#define NHIR_STORE_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include "nhir/store.h"

struct nhir_report_store_ops {
	unsigned version;	/* methods added later are NULL-checked */
};

/* The interface of st's backend. */
const struct nhir_report_store_ops *nhir_report_store(struct nhir_store *st);

#endif
