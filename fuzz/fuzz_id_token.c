/*
 * An ID token and the provider's keys, as nhir serve receives them
 * from an identity provider: the token, a newline, the JWK set (or a
 * fixed one when there is no newline).  Any bytes are a user or a
 * refusal with a reason, never a crash or a leak; the token's groups
 * are mapped to a role (nhir_oidc_role) whatever the signature says,
 * for a forged token's payload is as hostile as any.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "nhir/nhir.h"
#include "nhir/oidc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fixed[] = "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k1\","
	"\"n\":\"xcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFAQ\",\"e\":\"AQAB\"}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nhir_oidc_expect x = { "https://idp.example", "nhir", "n0nce",
				      "sub", 1800000000 };
	struct nhir_err err = NHIR_ERR_INIT;
	const char *in = (const char *)data, *nl = memchr(in, '\n', size);
	const char *jwks = nl ? nl + 1 : fixed;
	size_t jlen = nl ? size - (size_t)(nl + 1 - in) : strlen(fixed);
	static struct nhir_oidc_config c = {
		.roles_claim = "groups",
		.groups = { { "ops", NHIR_ROLE_RESPONDER },
			    { "leads", NHIR_ROLE_LEAD } },
		.groups_nr = 2,
	};
	enum nhir_role role;
	char user[65], group[128];
	enum nhir_rc rc;

	rc = nhir_oidc_verify(in, nl ? (size_t)(nl - in) : size, jwks, jlen,
			      &x, user, sizeof(user), &err);
	if (rc == NHIR_OK ? !user[0] : (user[0] || !err.msg[0]))
		abort();
	rc = nhir_oidc_role(in, nl ? (size_t)(nl - in) : size, &c, &role,
			    group, sizeof(group), &err);
	if ((rc == NHIR_OK) != (role != NHIR_ROLE_NONE) ||
	    (rc == NHIR_OK && !group[0]))
		abort();
	return 0;
}
