/*
 * The token endpoint's answers as the entra connector reads them
 * (src/plan/entra.c): an access token with its lifetime, or an error
 * that names the answer, never a token with a blank or a line break in
 * it, nor one given with an error.
 */
#include <stdio.h>
#include "fuzz-common.h"
#include "plan/entra.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long st[] = { 200, 400, 401, 429 };

	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		struct nhir_buf tok = NHIR_BUF_INIT(1 << 16);
		struct nhir_err err = NHIR_ERR_INIT;
		int64_t exp = -1;
		enum nhir_rc rc;

		rc = nhir_entra_token_answer((const char *)data, size, st[i],
					     &tok, &exp, &err);
		if (rc == NHIR_OK) {
			if (st[i] != 200 || !tok.len || tok.buf[tok.len - 1] ||
			    strlen(tok.buf) != tok.len - 1 ||
			    strpbrk(tok.buf, " \t\r\n") || exp < 1 ||
			    exp > 2 * 86400)
				abort();
		} else if ((rc != NHIR_EPARSE && rc != NHIR_EDENIED &&
			    rc != NHIR_ENOMEM) ||
			   strncmp(err.msg, "the token endpoint", 18) ||
			   (st[i] != 200 && rc == NHIR_EPARSE &&
			    !strstr(err.msg, "not JSON"))) {
			abort();
		}
		nhir_buf_release(&tok);
	}
	return 0;
}
