/*
 * The body of POST /api/v1/login, as a form (first byte odd) or as
 * JSON: any bytes are a user and a password within their limits, or a
 * refusal that says where and never quotes the password.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "nhir/nhir.h"
#include "server/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fine(const char *s, size_t max)
{
	size_t n;

	if (!s)
		abort();
	n = strlen(s);
	if (!n || n > max)
		abort();
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nhir_err err = NHIR_ERR_INIT;
	char *user = NULL, *password = NULL;
	enum nhir_rc rc;
	bool form;

	if (!size)
		return 0;
	form = data[0] & 1;
	rc = srv_decode_login((const char *)data + 1, size - 1, form, &user,
			      &password, &err);
	if (rc == NHIR_OK) {
		fine(user, SRV_LOGIN_USER_MAX);
		fine(password, SRV_LOGIN_PASSWORD_MAX);
		/* the message of a refusal never holds the password */
	} else if (user || password || !err.msg[0] ||
		   (rc != NHIR_EPARSE && rc != NHIR_EINVAL &&
		    rc != NHIR_ENOMEM) ||
		   (rc != NHIR_ENOMEM && strncmp(err.msg, "request body:", 13))) {
		abort();
	}
	srv_free_secret(user);
	srv_free_secret(password);
	return 0;
}
