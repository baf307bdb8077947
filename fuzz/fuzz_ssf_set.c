/*
 * A Security Event Token as POST /api/v1/ssf/receive takes it from an
 * identity provider: the SET, a newline, the provider's JWK set (or a
 * fixed one when there is no newline).  Any bytes are a SET whose claims
 * hold or a refusal with a reason and an RFC 8935 error code, never a
 * crash or a leak; the payload is also read as sightings whatever the
 * signature says, for a forged SET's claims are as hostile as any.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "nhir/nhir.h"
#include "nhir/ssf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fixed[] = "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
	"\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\","
	"\"kid\":\"k1\",\"alg\":\"EdDSA\"}]}";

static int count(const struct nhir_sighting *s, void *data)
{
	size_t *n = data;

	if (!s->secret || !s->secret_len || !s->detector || !s->preview ||
	    strncmp(s->secret, "secevent:", 9))
		abort();
	(*n)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_scanner_stats stats;
	const char *in = (const char *)data, *nl = memchr(in, '\n', size);
	const char *jwks = nl ? nl + 1 : fixed;
	size_t jlen = nl ? size - (size_t)(nl + 1 - in) : strlen(fixed);
	size_t len = nl ? (size_t)(nl - in) : size, n = 0;
	char code[24], iss[NHIR_SSF_ISSUER_MAX], *text;
	cJSON *claims = NULL;
	enum nhir_rc rc;

	(void)nhir_ssf_set_issuer(in, len, iss, sizeof(iss));
	rc = nhir_ssf_set_check(in, len, jwks, jlen, "https://idp.example",
				"https://nhir.example", 1800000000, &claims,
				code, &err);
	if (rc == NHIR_OK) {
		if (!claims)
			abort();
		text = cJSON_PrintUnformatted(claims);
		if (text && nhir_ssf_sightings(text, strlen(text), count, &n,
					       &stats, &err) == NHIR_OK &&
		    n != stats.entries)
			abort();
		cJSON_free(text);
		cJSON_Delete(claims);
	} else if (claims || !err.msg[0] || !code[0]) {
		abort();
	}
	/* the claims as they came, unchecked */
	err = (struct nhir_err)NHIR_ERR_INIT;
	n = 0;
	if (nhir_ssf_sightings(in, len, count, &n, &stats, &err) == NHIR_OK &&
	    n != stats.entries)
		abort();
	return 0;
}
