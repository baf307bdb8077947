/*
 * The body of POST /api/v1/incidents/{id}/steps/{n}/execute: any bytes
 * are a run, a dry run or a lead's decision whose fields go together
 * (a run bound to a step and a request digest of 64 hex digits), or a
 * refusal that says where; never a crash, a leak or a half-filled
 * result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "nhir/nhir.h"
#include "server/decode-ops.h"
#include "server/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct srv_exec_req x;
	enum nhir_rc rc;

	rc = srv_decode_execute((const char *)data, size, &x, &err);
	if (rc == NHIR_OK) {
		/* why exactly with resolve, and resolve never with confirm */
		if ((x.resolve == SRV_RESOLVE_NONE) != !x.why)
			abort();
		if (x.resolve != SRV_RESOLVE_NONE && x.confirm)
			abort();
		if (x.why && (!*x.why || strlen(x.why) > SRV_NOTE_MAX))
			abort();
		if (x.resolve != SRV_RESOLVE_NONE &&
		    (x.step || x.request_sha256))
			abort();
		if (x.step < 0 || (x.request_sha256 &&
				   (strlen(x.request_sha256) != 64 ||
				    strspn(x.request_sha256,
					   "0123456789abcdef") != 64)))
			abort();
		srv_exec_req_free(&x);
		return 0;
	}
	if (x.why || x.confirm || x.resolve != SRV_RESOLVE_NONE || x.step ||
	    x.request_sha256 ||
	    !err.msg[0] || (rc != NHIR_EPARSE && rc != NHIR_EINVAL &&
			    rc != NHIR_ETOOBIG && rc != NHIR_ENOMEM) ||
	    (rc != NHIR_ENOMEM && strncmp(err.msg, "request body:", 13)))
		abort();
	return 0;
}
