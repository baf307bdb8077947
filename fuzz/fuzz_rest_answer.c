/*
 * The answers of JSON APIs as the github and vault connectors read them
 * (src/plan/rest.c):
 * any body is a JSON document, nothing, or an error naming its byte
 * offset; the rate-limit headers (the input's first line, fields split
 * by '|') give a wait, no wait, or "not a rate limit", never garbage.
 */
#include <stdio.h>
#include "fuzz-common.h"
#include "plan/rest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nhir_err err = NHIR_ERR_INIT;
	const char *msg = NULL, *nl;
	char head[256], *f[3] = { head, NULL, NULL };
	cJSON *doc = NULL;
	enum nhir_rc rc;
	int64_t w;

	rc = nhir_rest_answer((const char *)data, size, 200, "fuzz", &doc,
				&msg, &err);
	if (rc == NHIR_OK) {
		if (msg && (!doc || !cJSON_IsObject(doc)))
			abort();
	} else if (doc || msg || (rc != NHIR_EPARSE && rc != NHIR_ENOMEM) ||
		   strncmp(err.msg, "fuzz (HTTP 200): byte ", 22)) {
		abort();
	}
	cJSON_Delete(doc);

	nl = memchr(data, '\n', size);
	snprintf(head, sizeof(head), "%.*s", (int)(nl ? (size_t)(nl - (const char *)data)
						   : size < 255 ? size : 255),
		 (const char *)data);
	for (int i = 1; i < 3; i++) {
		f[i] = strchr(f[i - 1], '|');
		if (!f[i]) {
			f[i] = "";
			continue;
		}
		*f[i]++ = 0;
	}
	for (size_t i = 0; i < 4; i++) {
		static const long st[] = { 200, 403, 429, 503 };

		w = nhir_rest_wait(st[i], f[0], f[1], f[2], 1714557300);
		if (w < -1 || w > 999999999999LL ||
		    ((st[i] == 200 || st[i] == 503) && w != -1) ||
		    (st[i] == 429 && w < 0))
			abort();
	}
	return 0;
}
