/*
 * What the entra connector takes of the token endpoint's answers
 * (src/plan/entra.c): the access token and its lifetime; an error
 * answer's error and description; what is not an answer, by its byte
 * or its field.  No error carries the token.
 */
#include "lib/testlib.h"
#include "plan/entra.h"

static enum nhir_rc answer(const char *body, long status, struct nhir_buf *tok,
			   int64_t *exp, struct nhir_err *err)
{
	memset(err, 0, sizeof(*err));
	return nhir_entra_token_answer(body, strlen(body), status, tok, exp,
				       err);
}

static void test_token(void **state)
{
	struct nhir_buf tok = NHIR_BUF_INIT(1 << 16);
	struct nhir_err err;
	int64_t exp;

	(void)state;
	assert_int_equal(answer("{\"token_type\":\"Bearer\",\"expires_in\":3599,"
				"\"ext_expires_in\":3599,\"access_token\":"
				"\"eyJ0.e30.c2ln\"}", 200, &tok, &exp, &err), 0);
	assert_string_equal(tok.buf, "eyJ0.e30.c2ln");
	assert_int_equal(exp, 3599);
	assert_int_equal(answer("{\"error\":\"invalid_client\",\"error_description\":"
				"\"AADSTS7000215: Invalid client secret provided.\"}",
				401, &tok, &exp, &err), NHIR_EDENIED);
	assert_string_equal(err.msg, "the token endpoint refused: HTTP 401: "
			    "invalid_client: AADSTS7000215: Invalid client "
			    "secret provided.");
	assert_int_equal(tok.len, 0);
	/* an error said with a 200 is an error */
	assert_int_equal(answer("{\"error\":\"temporarily_unavailable\","
				"\"access_token\":\"x\"}", 200, &tok, &exp,
				&err), NHIR_EDENIED);
	assert_int_equal(tok.len, 0);
	assert_int_equal(answer("{\"token_type\":\"Bearer\",\"expires_in\":3599,"
				"\"access_token\":\"a\\nb\"}", 200, &tok, &exp,
				&err), NHIR_EPARSE);
	assert_string_equal(err.msg, "the token endpoint's answer: field "
			    "access_token: not one word");
	assert_int_equal(answer("{\"token_type\":\"pop\",\"expires_in\":3599,"
				"\"access_token\":\"secretvalue\"}", 200, &tok,
				&exp, &err), NHIR_EPARSE);
	assert_string_equal(err.msg, "the token endpoint's answer: field "
			    "token_type: not Bearer");
	assert_null(strstr(err.msg, "secretvalue"));
	assert_int_equal(answer("{\"token_type\":\"Bearer\",\"expires_in\":\"3599\","
				"\"access_token\":\"t\"}", 200, &tok, &exp,
				&err), NHIR_EPARSE);
	assert_non_null(strstr(err.msg, "field expires_in"));
	assert_int_equal(answer("{\"token_type\":\"Bearer\",\"expires_in\":1}",
				200, &tok, &exp, &err), NHIR_EPARSE);
	assert_string_equal(err.msg, "the token endpoint's answer: field "
			    "access_token: missing");
	assert_int_equal(answer("{\"token_type\": [", 200, &tok, &exp, &err),
			 NHIR_EPARSE);
	assert_string_equal(err.msg, "the token endpoint's answer (HTTP 200): "
			    "byte 15: not JSON");
	assert_int_equal(answer("<html>503</html>", 503, &tok, &exp, &err),
			 NHIR_EPARSE);
	nhir_buf_release(&tok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
