/*
 * What the gcp connector reads (src/plan/gcp.c): service-account key
 * files as Google writes them, refused with the file and the field named
 * when they are not one; the token endpoint's answers (RFC 6749 5.1 and
 * 5.2); and Google's error objects as rest.c reads their message.
 */
#include "lib/testlib.h"
#include "plan/gcp.h"
#include "plan/rest.h"

#define PEM "-----BEGIN PRIVATE KEY-----\\nMIIEvQ\\n-----END PRIVATE KEY-----\\n"
#define KEY(type, email, id, uri) \
	"{\"type\": " type ", \"project_id\": \"demo-proj\", " \
	"\"private_key_id\": " id ", \"private_key\": \"" PEM "\", " \
	"\"client_email\": " email ", \"client_id\": \"1047\", " \
	"\"auth_uri\": \"https://accounts.google.com/o/oauth2/auth\", " \
	uri "\"universe_domain\": \"googleapis.com\"}"
#define GOOD_URI "\"token_uri\": \"https://oauth2.googleapis.com/token\", "

static void refused(const char *text, const char *want)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_gcp_key k;

	assert_int_equal(nhir_gcp_key_parse(text, strlen(text), "k.json", &k,
					    &err), NHIR_EPARSE);
	nhir_gcp_key_release(&k);
	assert_string_equal(err.msg, want);
}

static void test_key_file(void **state)
{
	static const char good[] = KEY("\"service_account\"",
				       "\"ci@demo-proj.iam.gserviceaccount.com\"",
				       "\"0a1b2c\"", GOOD_URI);
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_gcp_key k;

	(void)state;
	assert_int_equal(nhir_gcp_key_parse(good, strlen(good), "k.json", &k,
					    &err), 0);
	assert_string_equal(k.client_email, "ci@demo-proj.iam.gserviceaccount.com");
	assert_string_equal(k.private_key_id, "0a1b2c");
	assert_string_equal(k.token_uri, "https://oauth2.googleapis.com/token");
	assert_string_equal(k.private_key.buf, "-----BEGIN PRIVATE KEY-----\n"
			    "MIIEvQ\n-----END PRIVATE KEY-----\n");
	assert_int_equal(k.private_key.len, strlen(k.private_key.buf));
	nhir_gcp_key_release(&k);
	assert_null(k.private_key.buf);

	refused(KEY("\"authorized_user\"", "\"a@b\"", "\"1\"", GOOD_URI),
		"'k.json': field type is \"authorized_user\", not "
		"\"service_account\" (the gcp connector acts with a service "
		"account's key)");
	refused("{\"client_email\": \"a@b\"}", "'k.json': field type is "
		"missing, not \"service_account\" (the gcp connector acts with "
		"a service account's key)");
	refused(KEY("\"service_account\"", "\"a@b\"", "7", GOOD_URI),
		"'k.json': field private_key_id is not a text");
	refused(KEY("\"service_account\"", "\"a b@c\"", "\"1\"", GOOD_URI),
		"'k.json': field client_email holds a space, quote or control "
		"character");
	refused(KEY("\"service_account\"", "\"ci\"", "\"1\"", GOOD_URI),
		"'k.json': field client_email is not an email address");
	refused(KEY("\"service_account\"", "\"a@b\"", "\"1\"", ""),
		"'k.json': field token_uri is missing");
	refused(KEY("\"service_account\"", "\"a@b\"", "\"1\"",
		    "\"token_uri\": \"http://oauth2.example.com/token\", "),
		"'k.json': field token_uri is plain http to an address not "
		"loopback (it would carry a credential); use https");
	refused(KEY("\"service_account\"", "\"a@b\"", "\"1\"",
		    "\"token_uri\": \"ftp://x/token\", "),
		"'k.json': field token_uri is not an http(s) URL");
	refused("{\"type\": \"service_account\", \"client_email\": \"a@b\", "
		"\"private_key_id\": \"1\", \"token_uri\": \"https://x/t\", "
		"\"private_key\": \"MIIEvQ\"}",
		"'k.json': field private_key is not a PEM text (-----BEGIN "
		"PRIVATE KEY-----)");
	refused("{\"type\": \"service_account\", \"client_email\": \"a@b\", "
		"\"private_key_id\": \"1\", \"token_uri\": \"https://x/t\"}",
		"'k.json': field private_key is missing");
	refused("[1, 2]", "'k.json': not a JSON object (a service-account key "
		"file is one)");
	refused("{\"type\": \"service_account\",\n \"client_email\": \"a@b\" x}",
		"'k.json': byte 51: not JSON");
	refused("", "'k.json': byte 0: not JSON");
}

static void test_token(void **state)
{
	static const char gerr[] = "{\"error\": {\"code\": 404, \"message\": "
				   "\"Service account key k does not exist.\", "
				   "\"status\": \"NOT_FOUND\"}}";
	struct nhir_buf tok = NHIR_BUF_INIT(8192);
	const char *msg;
	char why[300];
	int64_t life;
	cJSON *doc;

	(void)state;
	doc = cJSON_Parse("{\"access_token\": \"ya29.c.b0AXv0zT\", "
			  "\"expires_in\": 3599, \"token_type\": \"Bearer\"}");
	assert_true(nhir_gcp_token_read(doc, 200, &tok, &life, why, sizeof(why)));
	assert_string_equal(tok.buf, "ya29.c.b0AXv0zT");
	assert_int_equal(life, 3599);
	cJSON_Delete(doc);
	doc = cJSON_Parse("{\"error\": \"invalid_grant\", \"error_description\": "
			  "\"Invalid JWT Signature.\"}");
	assert_false(nhir_gcp_token_read(doc, 400, &tok, &life, why, sizeof(why)));
	assert_string_equal(why, "HTTP 400: invalid_grant: Invalid JWT Signature.");
	assert_int_equal(tok.len, 0);
	cJSON_Delete(doc);
	assert_false(nhir_gcp_token_read(NULL, 502, &tok, &life, why, sizeof(why)));
	assert_string_equal(why, "HTTP 502");
	doc = cJSON_Parse("{\"access_token\": \"ya29 x\", \"expires_in\": 3599, "
			  "\"token_type\": \"Bearer\"}");
	assert_false(nhir_gcp_token_read(doc, 200, &tok, &life, why, sizeof(why)));
	assert_string_equal(why, "the access_token holds a space or a character "
			    "not printable ASCII (byte 4)");
	cJSON_Delete(doc);
	doc = cJSON_Parse("{\"access_token\": \"x\", \"expires_in\": 3599, "
			  "\"token_type\": \"mac\"}");
	assert_false(nhir_gcp_token_read(doc, 200, &tok, &life, why, sizeof(why)));
	assert_string_equal(why, "the token_type is not Bearer");
	cJSON_Delete(doc);
	doc = cJSON_Parse("{\"access_token\": \"x\", \"expires_in\": \"3599\", "
			  "\"token_type\": \"bearer\"}");
	assert_false(nhir_gcp_token_read(doc, 200, &tok, &life, why, sizeof(why)));
	assert_string_equal(why, "expires_in is not a number of seconds");
	cJSON_Delete(doc);
	doc = cJSON_Parse("{\"id_token\": \"x\"}");
	assert_false(nhir_gcp_token_read(doc, 200, &tok, &life, why, sizeof(why)));
	assert_string_equal(why, "HTTP 200 without an access_token");
	cJSON_Delete(doc);
	nhir_buf_release(&tok);

	/* Google's error objects and OAuth's, as rest.c reads them */
	assert_int_equal(nhir_rest_answer(gerr, strlen(gerr), 404, "a", &doc,
					  &msg, NULL), 0);
	assert_string_equal(msg, "Service account key k does not exist.");
	cJSON_Delete(doc);
	assert_int_equal(nhir_rest_answer("{\"error\": \"invalid_grant\"}", 26,
					  400, "a", &doc, &msg, NULL), 0);
	assert_string_equal(msg, "invalid_grant");
	cJSON_Delete(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_file),
		cmocka_unit_test(test_token),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
