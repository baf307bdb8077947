/* SQLite storage for users, authority, incidents, the audit log, evidence and settings (src/record/). */
#include "compat.h"
#include "store/record.h"
#include "store/sqlite/sqlite-internal.h"

const struct nhir_record_store_ops nhir_sqlite_record_ops = {
	.version = 1,
};
