/*
 * Helpers shared by importers: time fields, secret-looking attributes,
 * and building attribute objects.
 */
#ifndef NHIR_INGEST_COMMON_H
#define NHIR_INGEST_COMMON_H

#include <cjson/cJSON.h>
#include "nhir/buf.h"
#include "ingest/ingest-internal.h"

/*
 * Reads an optional time member (ISO 8601 string or epoch number) into
 * *out.  Returns false and reports at off when present but invalid.
 */
bool nhir_ingest_time(struct nhir_import *imp, const cJSON *obj,
		      const char *key, size_t off, int64_t *out);

/*
 * Returns the path of the first member of attrs (searched recursively)
 * whose name says it holds a secret value (password, private_key,
 * client_secret, ...) and whose value is a non-empty string, or NULL.
 * path is written into buf.
 */
const char *nhir_ingest_secret_attr(const cJSON *attrs, char *buf,
				    size_t buflen);

/* True if s (case-insensitive) names a field that holds a secret. */
bool nhir_ingest_secret_name(const char *s);

#endif
