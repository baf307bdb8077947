/*
 * The body of POST /api/v1/incidents/{id}/notes: any bytes are a note's
 * text or a refusal that says where, never a crash or a leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "nhir/nhir.h"
#include "server/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nhir_err err = NHIR_ERR_INIT;
	char *text = NULL;
	enum nhir_rc rc;

	rc = srv_decode_note((const char *)data, size, &text, &err);
	if (rc == NHIR_OK) {
		size_t n;

		if (!text)
			abort();
		n = strlen(text);
		if (!n || n > SRV_NOTE_MAX)
			abort();
		srv_free(text);
	} else if (text || !err.msg[0] ||
		   (rc != NHIR_EPARSE && rc != NHIR_EINVAL &&
		    rc != NHIR_ETOOBIG && rc != NHIR_ENOMEM) ||
		   (rc != NHIR_ENOMEM && strncmp(err.msg, "request body:", 13))) {
		abort();
	}
	return 0;
}
