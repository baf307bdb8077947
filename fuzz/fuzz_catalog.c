/* The action catalog parser: any input is a catalog or a located error. */
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nhir_catalog *c = NULL;
	struct nhir_err err = NHIR_ERR_INIT;
	enum nhir_rc rc;

	rc = nhir_catalog_parse((const char *)data, size, "fuzz.yaml", &c, &err);
	if (rc == NHIR_OK) {
		for (size_t i = 0; i < c->nr; i++)
			if (!c->v[i].id || !c->v[i].kills || !c->v[i].survives ||
			    (unsigned)c->v[i].phase >= NHIR_PHASE_NR)
				abort();
		(void)nhir_catalog_pick(c, NHIR_NODE_CREDENTIAL, "aws-access-key",
					NHIR_PHASE_CONTAIN);
		nhir_catalog_free(c);
	} else if ((rc != NHIR_EPARSE && rc != NHIR_ENOMEM) || c ||
		   strncmp(err.msg, "fuzz.yaml:", 10)) {
		abort();
	}
	return 0;
}
