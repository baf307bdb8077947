/* The routing policy parser: any input is a policy or a located error. */
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nhir_route_policy *p = NULL;
	struct nhir_err err = NHIR_ERR_INIT;
	enum nhir_rc rc;

	rc = nhir_route_parse((const char *)data, size, "fuzz.yaml", &p, &err);
	if (rc == NHIR_OK) {
		struct nhir_route_facts f;
		struct nhir_route_decision d;

		if (!p || !nhir_route_rule_count(p))
			abort();
		memset(&f, 0, sizeof(f));
		f.verified = -1;
		nhir_route_decide(p, &f, &d, NULL, NULL);
		if (!d.outcome || !d.to)
			abort();
		nhir_route_free(p);
	} else if ((rc != NHIR_EPARSE && rc != NHIR_ENOMEM) || p ||
		   strncmp(err.msg, "fuzz.yaml:", 10)) {
		abort();
	}
	return 0;
}
