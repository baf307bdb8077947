/*
 * The body of POST /api/v1/witness/checkpoints (srv_decode_witness):
 * a checkpoint in shape is taken whole; anything else is refused with
 * the field, or the byte, at fault, and nothing is half-filled.
 */
#include "lib/testlib.h"
#include "server/server.h"

#define LOGV "0123456789abcdef0123456789abcdef"
#define H64 "abababababababababababababababababababababababababababababababab"
#define P64 "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
#define S128 H64 P64

static void test_good(void **state)
{
	static const char body[] = "{\"log\":\"" LOGV "\",\"seq\":3,\"head\":\""
		H64 "\",\"at\":1764000000,\"public_key\":\"" P64 "\","
		"\"signature\":\"" S128 "\"}";
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_witness_cp cp;
	char field[16];

	(void)state;
	assert_int_equal(srv_decode_witness(body, strlen(body), &cp, field,
					    &err), 0);
	assert_string_equal(cp.log, LOGV);
	assert_int_equal(cp.seq, 3);
	assert_int_equal(cp.at, 1764000000);
	assert_string_equal(cp.head, H64);
	assert_string_equal(cp.public_key, P64);
	assert_string_equal(cp.signature, S128);
	assert_string_equal(field, "");
}

struct bad {
	const char *body;
	enum nhir_rc rc;
	const char *field;	/* "" : the body as a whole */
	const char *msg;
};

#define REST ",\"head\":\"" H64 "\",\"at\":1,\"public_key\":\"" P64 \
	"\",\"signature\":\"" S128 "\"}"

static void test_bad(void **state)
{
	static const struct bad cases[] = {
		{ "", NHIR_EPARSE, "", "empty" },
		{ "[]", NHIR_EPARSE, "", "JSON object" },
		{ "{\"log\":", NHIR_EPARSE, "", "not JSON" },
		{ "{} {}", NHIR_EPARSE, "", "more after" },
		{ "{\"log\":\"" LOGV "\",\"seq\":3" REST "x", NHIR_EPARSE, "",
		  "byte" },
		/* unknown and repeated fields */
		{ "{\"as\":\"ada\",\"log\":\"" LOGV "\",\"seq\":3" REST,
		  NHIR_EINVAL, "as", "unknown field 'as'" },
		{ "{\"log\":\"" LOGV "\",\"log\":\"" LOGV "\",\"seq\":3" REST,
		  NHIR_EINVAL, "log", "given twice" },
		{ "{\"log\":\"" LOGV "\"" REST, NHIR_EINVAL, "seq",
		  "'seq' is missing" },
		/* wrong types */
		{ "{\"log\":\"" LOGV "\",\"seq\":\"3\"" REST, NHIR_EINVAL,
		  "seq", "whole number" },
		{ "{\"log\":\"" LOGV "\",\"seq\":1.5" REST, NHIR_EINVAL, "seq",
		  "whole number" },
		{ "{\"log\":\"" LOGV "\",\"seq\":0" REST, NHIR_EINVAL, "seq",
		  "whole number" },
		{ "{\"log\":\"" LOGV "\",\"seq\":-4" REST, NHIR_EINVAL, "seq",
		  "whole number" },
		{ "{\"log\":\"" LOGV "\",\"seq\":1e300" REST, NHIR_EINVAL, "seq",
		  "whole number" },
		{ "{\"log\":12,\"seq\":3" REST, NHIR_EINVAL, "log",
		  "not a string" },
		{ "{\"log\":null,\"seq\":3" REST, NHIR_EINVAL, "log",
		  "not a string" },
		/* hex of the wrong length or case, base64 */
		{ "{\"log\":\"0123\",\"seq\":3" REST, NHIR_EINVAL, "log",
		  "32 lowercase hex digits (it has 4" },
		{ "{\"log\":\"0123456789ABCDEF0123456789ABCDEF\",\"seq\":3" REST,
		  NHIR_EINVAL, "log", "lowercase hex" },
		{ "{\"log\":\"" LOGV "00\",\"seq\":3" REST, NHIR_ETOOBIG, "log",
		  "at most 32" },
		{ "{\"log\":\"" LOGV "\",\"seq\":3,\"head\":\"" H64 "\",\"at\":1,"
		  "\"public_key\":\"zc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc0=\","
		  "\"signature\":\"" S128 "\"}", NHIR_EINVAL, "public_key",
		  "64 lowercase hex digits" },
		{ "{\"log\":\"" LOGV "\",\"seq\":3,\"head\":\"" H64 "\",\"at\":1,"
		  "\"public_key\":\"" P64 "\",\"signature\":\"" H64 "\"}",
		  NHIR_EINVAL, "signature", "128 lowercase hex digits" },
		{ "{\"log\":\"" LOGV "\",\"seq\":3,\"head\":\"\",\"at\":1,"
		  "\"public_key\":\"" P64 "\",\"signature\":\"" S128 "\"}",
		  NHIR_EINVAL, "head", "empty" },
	};
	struct nhir_witness_cp cp;
	char field[16];

	(void)state;
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(cases); i++) {
		struct nhir_err err = NHIR_ERR_INIT;
		enum nhir_rc rc;

		rc = srv_decode_witness(cases[i].body, strlen(cases[i].body),
					&cp, field, &err);
		if (rc != cases[i].rc || strcmp(field, cases[i].field) ||
		    !strstr(err.msg, cases[i].msg))
			fail_msg("case %zu: rc %d field '%s': %s", i, (int)rc,
				 field, err.msg);
		assert_string_equal(cp.log, "");
		assert_string_equal(cp.head, "");
		assert_int_equal(cp.seq, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
