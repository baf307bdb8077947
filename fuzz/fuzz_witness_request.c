/*
 * The body of POST /api/v1/witness/checkpoints: any bytes are a
 * checkpoint with every field in shape, or a refusal that says where
 * (naming the field when one is at fault), never a crash or a leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "nhir/nhir.h"
#include "server/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int hex_len(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!strchr("0123456789abcdef", s[i]))
			return -1;
	return (int)i;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_witness_cp cp;
	char field[16];
	enum nhir_rc rc;

	rc = srv_decode_witness((const char *)data, size, &cp, field, &err);
	if (rc == NHIR_OK) {
		if (hex_len(cp.log) != 32 || hex_len(cp.head) != 64 ||
		    hex_len(cp.public_key) != 64 ||
		    hex_len(cp.signature) != 128 || cp.seq < 1 || cp.at < 0 ||
		    field[0])
			abort();
	} else if (!err.msg[0] || cp.log[0] || cp.head[0] ||
		   (rc != NHIR_EPARSE && rc != NHIR_EINVAL &&
		    rc != NHIR_ETOOBIG && rc != NHIR_ENOMEM) ||
		   (rc != NHIR_ENOMEM && strncmp(err.msg, "request body:", 13)) ||
		   memchr(field, '\0', 16) == NULL ||
		   (field[0] && !strstr(err.msg, field))) {
		abort();
	}
	return 0;
}
