/*
 * The body of a Shared Signals subject request (POST
 * /api/v1/ssf/subjects:add and :remove): any bytes are a stream and an
 * RFC 9493 subject nhir can match, with its key in shape, or a refusal
 * that names the field or the byte, never a crash or a leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "nhir/nhir.h"
#include "nhir/ssf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const formats[] = { "account\n", "email\n",
		"iss_sub\n", "opaque\n", "phone_number\n", "did\n", "uri\n" };

	for (int add = 0; add < 2; add++) {
		struct nhir_err err = NHIR_ERR_INIT;
		struct nhir_ssf_subject_req r;
		enum nhir_rc rc;
		bool known = false;

		rc = nhir_ssf_decode_subject((const char *)data, size, add, &r,
					     &err);
		if (rc == NHIR_OK) {
			for (size_t i = 0; i < sizeof(formats) / sizeof(*formats); i++)
				known |= !strncmp(r.key, formats[i],
						  strlen(formats[i]));
			if (r.id <= 0 || !known || strchr(r.key, '\r') ||
			    memchr(r.key, '\0', sizeof(r.key)) == NULL ||
			    (!add && r.has_verified))
				abort();
		} else if (!err.msg[0] ||
			   (rc != NHIR_EPARSE && rc != NHIR_EINVAL &&
			    rc != NHIR_ENOMEM) ||
			   (rc != NHIR_ENOMEM &&
			    strncmp(err.msg, "request body:", 13))) {
			abort();
		}
	}
	return 0;
}
