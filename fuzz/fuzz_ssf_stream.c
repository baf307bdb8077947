/*
 * The body of a Shared Signals stream request (POST, PUT, PATCH
 * /api/v1/ssf/streams): any bytes are a stream configuration with every
 * member in shape, or a refusal that names the field or the byte, never
 * a crash or a leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "nhir/nhir.h"
#include "nhir/ssf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_ssf_stream_req r;
	enum nhir_rc rc;

	rc = nhir_ssf_decode_stream((const char *)data, size, &r, &err);
	if (rc == NHIR_OK) {
		if (r.id < 0 || (r.has_aud && !r.aud[0]) ||
		    (r.has_delivery && !r.poll &&
		     strncmp(r.endpoint, "http", 4)) ||
		    (r.has_delivery && r.poll && r.endpoint[0]) ||
		    (r.events >> NHIR_SSF_VERIFICATION) ||
		    memchr(r.aud, '\0', sizeof(r.aud)) == NULL ||
		    memchr(r.description, '\0', sizeof(r.description)) == NULL)
			abort();
	} else if (!err.msg[0] || r.has_delivery || r.aud[0] ||
		   (rc != NHIR_EPARSE && rc != NHIR_EINVAL &&
		    rc != NHIR_ENOMEM) ||
		   (rc != NHIR_ENOMEM && strncmp(err.msg, "request body:", 13))) {
		abort();
	}
	return 0;
}
