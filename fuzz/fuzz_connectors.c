/* The connectors file parser: any input is a configuration or a located error. */
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nhir_connectors *c = NULL;
	struct nhir_err err = NHIR_ERR_INIT;
	enum nhir_rc rc;

	rc = nhir_connectors_parse((const char *)data, size, "fuzz.yaml", &c,
				   &err);
	if (rc == NHIR_OK)
		nhir_connectors_free(c);
	else if ((rc != NHIR_EPARSE && rc != NHIR_ENOMEM) || c ||
		 strncmp(err.msg, "fuzz.yaml:", 10))
		abort();
	return 0;
}
