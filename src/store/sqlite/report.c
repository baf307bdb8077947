/* SQLite storage for the after-action report and metrics (src/report/). */
#include "compat.h"
#include "store/report.h"
#include "store/sqlite/sqlite-internal.h"

const struct nhir_report_store_ops nhir_sqlite_report_ops = {
	.version = 1,
};
