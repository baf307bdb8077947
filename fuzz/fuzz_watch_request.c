/*
 * The body of POST /api/v1/incidents/{id}/watch: any bytes are a
 * period within its bounds, a known log format and perhaps a folder,
 * or a refusal that says where; never a crash, a leak or a half-filled
 * result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "nhir/nhir.h"
#include "nhir/watch.h"
#include "server/decode-ops.h"
#include "server/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct srv_watch_req w;
	enum nhir_rc rc;

	rc = srv_decode_watch((const char *)data, size, &w, &err);
	if (rc == NHIR_OK) {
		if (w.period < 1 || w.period > NHIR_WATCH_FOR_MAX || !w.fmt)
			abort();
		if (w.dir && (!*w.dir || strlen(w.dir) > 1024))
			abort();
		srv_watch_req_free(&w);
		return 0;
	}
	if (w.dir || w.fmt || w.period || !err.msg[0] ||
	    (rc != NHIR_EPARSE && rc != NHIR_EINVAL && rc != NHIR_ETOOBIG &&
	     rc != NHIR_ENOMEM) ||
	    (rc != NHIR_ENOMEM && strncmp(err.msg, "request body:", 13)))
		abort();
	return 0;
}
