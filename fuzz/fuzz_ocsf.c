#include <stdlib.h>
#include "nhir/nhir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct nhir_tele_format *f = nhir_tele_find("ocsf");
	struct nhir_err err = NHIR_ERR_INIT;
	uint64_t events = 0, malformed = 0;
	enum nhir_rc rc;

	if (!f)
		abort();
	rc = nhir_tele_parse_buffer(f, (const char *)data, size, &events,
				    &malformed, &err);
	if (rc != NHIR_OK && rc != NHIR_EPARSE && rc != NHIR_ETOOBIG &&
	    rc != NHIR_EIO)
		abort();
	return 0;
}
