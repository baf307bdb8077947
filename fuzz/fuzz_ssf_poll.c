/*
 * The body of a poll (RFC 8936, POST /api/v1/ssf/poll/{n}): any bytes
 * are a poll request whose jtis are text and whose maxEvents is in
 * range, or a refusal that names the field or the byte, never a crash
 * or a leak.
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
	struct nhir_ssf_poll_req p;
	enum nhir_rc rc;

	rc = nhir_ssf_decode_poll((const char *)data, size, &p, &err);
	if (rc == NHIR_OK) {
		if (p.max_events < -1 || p.max_events > NHIR_SSF_POLL_MAX ||
		    (p.ack_nr && !p.ack) || (p.err_nr && !p.err_jti))
			abort();
		for (size_t i = 0; i < p.ack_nr; i++)
			if (!p.ack[i][0] || strlen(p.ack[i]) > 128)
				abort();
		for (size_t i = 0; i < p.err_nr; i++)
			if (!p.err_jti[i][0] || strlen(p.err_jti[i]) > 128)
				abort();
		nhir_ssf_poll_req_free(&p);
		if (p.ack || p.ack_nr || p.err_jti)
			abort();
	} else if (!err.msg[0] || p.ack || p.err_jti ||
		   (rc != NHIR_EPARSE && rc != NHIR_EINVAL &&
		    rc != NHIR_ENOMEM) ||
		   (rc != NHIR_ENOMEM && strncmp(err.msg, "request body:", 13))) {
		abort();
	}
	return 0;
}
