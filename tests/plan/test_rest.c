/*
 * What the github and vault connectors read of the answers of JSON APIs
 * (src/plan/rest.c): bodies as JSON or refused at their byte offset, the
 * message GitHub or Vault gives, and the wait a rate limit asks for from
 * Retry-After or X-RateLimit-Remaining and -Reset.
 */
#include "lib/testlib.h"
#include "plan/rest.h"

static void test_answers(void **state)
{
	static const char ok[] = "{\"message\":\"Bad credentials\","
				 "\"documentation_url\":\"https://docs.github.com/rest\"}";
	static const char list[] = " [{\"id\":42,\"token_id\":6001}]\n";
	static const char cut[] = "{\"number\":7,\"secret\":\"x";
	static const char html[] = "<html>502 Bad Gateway</html>";
	struct nhir_err err = NHIR_ERR_INIT;
	const char *msg;
	cJSON *doc;

	(void)state;
	assert_int_equal(nhir_rest_answer(ok, strlen(ok), 401, "answer",
					    &doc, &msg, &err), 0);
	assert_string_equal(msg, "Bad credentials");
	cJSON_Delete(doc);
	assert_int_equal(nhir_rest_answer(list, strlen(list), 200, "answer",
					    &doc, &msg, &err), 0);
	assert_true(cJSON_IsArray(doc));
	assert_null(msg);
	cJSON_Delete(doc);
	assert_int_equal(nhir_rest_answer("{\"errors\":[\"permission denied\"]}",
					  32, 403, "answer", &doc, &msg, &err), 0);
	assert_string_equal(msg, "permission denied");
	cJSON_Delete(doc);
	assert_int_equal(nhir_rest_answer("{\"errors\":[]}", 13, 400, "answer",
					  &doc, &msg, &err), 0);
	assert_null(msg);
	cJSON_Delete(doc);
	assert_int_equal(nhir_rest_answer(" \n", 2, 202, "answer", &doc,
					    &msg, &err), 0);
	assert_null(doc);
	assert_int_equal(nhir_rest_answer(cut, strlen(cut), 200, "GitHub's "
					    "answer", &doc, &msg, &err),
			 NHIR_EPARSE);
	assert_null(doc);
	assert_string_equal(err.msg, "GitHub's answer (HTTP 200): byte 22: not "
			    "JSON");
	assert_int_equal(nhir_rest_answer(html, strlen(html), 502, "answer",
					    &doc, &msg, &err), NHIR_EPARSE);
	assert_string_equal(err.msg, "answer (HTTP 502): byte 0: not JSON");
}

static void test_wait(void **state)
{
	const int64_t now = 1714557300;

	(void)state;
	/* not a rate limit */
	assert_int_equal(nhir_rest_wait(200, "", "", "", now), -1);
	assert_int_equal(nhir_rest_wait(503, "5", "0", "", now), -1);
	assert_int_equal(nhir_rest_wait(403, "", "4999", "1714557360", now), -1);
	assert_int_equal(nhir_rest_wait(403, "", "", "", now), -1);
	/* the secondary limit names its wait */
	assert_int_equal(nhir_rest_wait(403, "60", "", "", now), 60);
	assert_int_equal(nhir_rest_wait(429, "60", "0", "1714557900", now), 60);
	/* the primary limit its reset */
	assert_int_equal(nhir_rest_wait(403, "", "0", "1714557360", now), 60);
	assert_int_equal(nhir_rest_wait(403, "", "0", "1714557000", now), 0);
	/* a 429 with nothing said: back off */
	assert_int_equal(nhir_rest_wait(429, "", "", "", now), 0);
	/* bad headers are no wait, never a number made up */
	assert_int_equal(nhir_rest_wait(403, "soon", "0", "tomorrow", now), 0);
	assert_int_equal(nhir_rest_wait(429, "-5", "", "", now), 0);
	assert_int_equal(nhir_rest_wait(429, "9999999999", "", "", now), 0);
	assert_int_equal(nhir_rest_wait(403, "", "0", "99999999999999", now), 0);
	/* a Retry-After that is no number leaves the reset read alone */
	assert_int_equal(nhir_rest_wait(429, "44444\x8b", "0", "1714557360", now), 60);
	assert_int_equal(nhir_rest_wait(403, "60s", "0", "1714557330", now), 30);
}

static void test_plain_url(void **state)
{
	static const char *const ok[] = {
		"http://127.0.0.1", "http://127.0.0.1:8200", "http://127.1.2.3/v1",
		"http://localhost:9", "http://localhost/x", "http://[::1]:80/",
		"http://[::1]", "http://127.0.0.1?x", "http://127.255.255.255",
	};
	static const char *const bad[] = {
		"http://127.attacker.example/", "http://localhost.evil.example/",
		"http://127.0.0.1.evil.example", "http://127.0.0.1@evil.example/",
		"http://evil.example@127.0.0.1/", "http://[::1].evil/",
		"http://[::2]/", "http://127.0.0/", "http://127.0.0.1./",
		"http://127.0.0.256/", "http://128.0.0.1/", "http://localhostx/",
		"https://127.0.0.1/", "http://", "http://1270.0.0.1/",
		"http://127.0.0.1:80@evil.example/", "http://127.00001.0.1/",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++)
		if (!plan_url_plain_ok(ok[i]))
			fail_msg("refused %s", ok[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (plan_url_plain_ok(bad[i]))
			fail_msg("took %s", bad[i]);
	assert_false(plan_url_plain_ok(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_url),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_wait),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
