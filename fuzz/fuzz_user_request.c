/*
 * The bodies of POST /api/v1/users and POST /api/v1/users/{name}: any
 * bytes are a user to add (name and role), a change (a role, active or
 * both), or a refusal that says where; never a crash or a leak.  The
 * first byte chooses which body the rest is.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "nhir/nhir.h"
#include "server/decode-ops.h"
#include "server/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct srv_user_req u;
	bool create;
	enum nhir_rc rc;

	if (!size)
		return 0;
	create = data[0] & 1;
	rc = srv_decode_user((const char *)data + 1, size - 1, create, &u,
			     &err);
	if (rc == NHIR_OK) {
		if (create && (!u.name || !*u.name ||
			       strlen(u.name) > NHIR_USER_NAME_MAX ||
			       u.role == NHIR_ROLE_NONE || u.active != -1))
			abort();
		if (!create && (u.name || (u.role == NHIR_ROLE_NONE &&
					   u.active < 0)))
			abort();
		if (u.role >= NHIR_ROLE_NR || u.active < -1 || u.active > 1)
			abort();
		srv_user_req_free(&u);
		return 0;
	}
	if (u.name || !err.msg[0] ||
	    (rc != NHIR_EPARSE && rc != NHIR_EINVAL && rc != NHIR_ETOOBIG &&
	     rc != NHIR_ENOMEM) ||
	    (rc != NHIR_ENOMEM && strncmp(err.msg, "request body:", 13)))
		abort();
	return 0;
}
