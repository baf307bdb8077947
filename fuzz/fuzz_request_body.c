/*
 * Request bodies decoded by field (srv_decode): any bytes are either
 * the fields, each within its limits, or a refusal that says where;
 * never a crash, a leak or a half-filled result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "nhir/nhir.h"
#include "server/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct srv_field f[] = {
	{ "title", SRV_STR, true, 0, 64 },
	{ "n", SRV_INT, false, -5, 1000 },
	{ "flag", SRV_BOOL, false, 0, 0 },
	{ "seeds", SRV_STRS, false, 0, 32 },
	{ "why", SRV_STR, false, 0, 4096 },
	{ "findings", SRV_INTS, false, 1, 1000 },
};
#define NF (sizeof(f) / sizeof(f[0]))

static void check(const struct srv_value *v)
{
	for (size_t i = 0; i < NF; i++) {
		if (!v[i].set && (v[i].s || v[i].v))
			abort();
		if (v[i].s && (!*v[i].s || strlen(v[i].s) > f[i].max))
			abort();
		if (f[i].type == SRV_INT && v[i].set &&
		    (v[i].i < f[i].min || v[i].i > (int64_t)f[i].max))
			abort();
		if (v[i].n > SRV_LIST_MAX)
			abort();
		for (size_t k = 0; k < v[i].n; k++) {
			long long x;

			if (!v[i].v[k])
				abort();
			if (f[i].type != SRV_INTS) {
				if (strlen(v[i].v[k]) > f[i].max)
					abort();
				continue;
			}
			x = strtoll(v[i].v[k], NULL, 10);
			if (x < f[i].min || x > (long long)f[i].max)
				abort();
		}
	}
	if (!v[0].s)
		abort();	/* required */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct srv_value v[NF];
	enum nhir_rc rc;

	rc = srv_decode((const char *)data, size, f, NF, v, &err);
	if (rc == NHIR_OK) {
		check(v);
		srv_values_free(v, NF);
		return 0;
	}
	for (size_t i = 0; i < NF; i++)
		if (v[i].s || v[i].v)
			abort();
	if (!err.msg[0] || (rc != NHIR_EPARSE && rc != NHIR_EINVAL &&
			    rc != NHIR_ETOOBIG && rc != NHIR_ENOMEM) ||
	    (rc != NHIR_ENOMEM && strncmp(err.msg, "request body:", 13)))
		abort();
	return 0;
}
