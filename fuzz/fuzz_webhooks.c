/*
 * The "webhooks:" section of nhir serve's configuration: any input is a
 * list of hooks, each valid, or a located error.
 */
#include "fuzz-common.h"
#include "nhir/webhook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nhir_webhooks h;
	struct nhir_err err = NHIR_ERR_INIT;
	enum nhir_rc rc;

	rc = nhir_webhooks_parse((const char *)data, size, "fuzz.yaml", &h,
				 &err);
	if (rc == NHIR_OK) {
		if (h.nr > NHIR_WEBHOOKS_MAX)
			abort();
		for (size_t i = 0; i < h.nr; i++)
			if (!h.v[i].name[0] || !h.v[i].events ||
			    !h.v[i].secret_file[0] ||
			    !h.v[i].url[0] == !h.v[i].url_file[0] ||
			    h.v[i].attempts < 1 ||
			    h.v[i].attempts > NHIR_WEBHOOK_ATTEMPTS_MAX ||
			    strncmp(h.v[i].secret_at, "fuzz.yaml:", 10))
				abort();
	} else if ((rc != NHIR_EPARSE && rc != NHIR_ENOMEM) || h.nr ||
		   strncmp(err.msg, "fuzz.yaml:", 10)) {
		abort();
	}
	return 0;
}
