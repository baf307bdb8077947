/*
 * What the gcp connector reads (src/plan/gcp.c): a service-account key
 * file, and the token endpoint's answer.  A key file is accepted with
 * every field nhir needs, or refused naming the file; an answer gives a
 * bearer token of one printable line and a lifetime, or a reason, never
 * garbage.
 */
#include <stdio.h>
#include "fuzz-common.h"
#include "plan/gcp.h"
#include "plan/rest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_gcp_key k;
	struct nhir_buf tok = NHIR_BUF_INIT(8192);
	const char *msg = NULL;
	char why[300];
	cJSON *doc = NULL;
	int64_t life;
	enum nhir_rc rc;

	rc = nhir_gcp_key_parse((const char *)data, size, "fuzz.json", &k, &err);
	if (!rc) {
		if (!k.client_email[0] || !strchr(k.client_email, '@') ||
		    !k.private_key_id[0] ||
		    (strncmp(k.token_uri, "https://", 8) &&
		     strncmp(k.token_uri, "http://", 7)) ||
		    k.private_key.len < 11 ||
		    strncmp(k.private_key.buf, "-----BEGIN ", 11))
			abort();
	} else if ((rc != NHIR_EPARSE && rc != NHIR_ENOMEM) ||
		   strncmp(err.msg, "'fuzz.json': ", 13)) {
		abort();
	}
	nhir_gcp_key_release(&k);

	if (nhir_rest_answer((const char *)data, size, 200, "fuzz", &doc, &msg,
			     &err))
		return 0;
	for (int i = 0; i < 2; i++) {
		if (nhir_gcp_token_read(doc, i ? 400 : 200, &tok, &life, why,
					sizeof(why))) {
			if (i || !tok.len || strlen(tok.buf) != tok.len - 1 ||
			    strpbrk(tok.buf, " \r\n\t") || life < 1)
				abort();
		} else if (!why[0]) {
			abort();
		}
	}
	nhir_buf_release(&tok);
	cJSON_Delete(doc);
	return 0;
}
