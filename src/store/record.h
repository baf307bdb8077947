/*
 * The store's typed interface for users, authority, incidents, the audit log, evidence and settings (src/record/).
 * Statuses and phases cross it as enums; the domain module holds the
 * rules and this interface only stores and fetches.  Every backend
 * defines one const struct nhir_record_store_ops (the SQLite one in
 * src/store/sqlite/record.c).
 */
#ifndef NHIR_STORE_RECORD_H
#define NHIR_STORE_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include "nhir/store.h"

struct nhir_record_store_ops {
	unsigned version;	/* methods added later are NULL-checked */
};

/* The interface of st's backend. */
const struct nhir_record_store_ops *nhir_record_store(struct nhir_store *st);

#endif
