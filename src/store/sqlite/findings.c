/* SQLite storage for findings and routing (src/findings/). */
#include "compat.h"
#include "store/findings.h"
#include "store/sqlite/sqlite-internal.h"

const struct nhir_findings_store_ops nhir_sqlite_findings_ops = {
	.version = 1,
};
