/*
 * The native inventory format: good inputs in each shape, and bad input
 * of every kind the format can get, each with its location and the
 * database left exactly as it was.
 */
#include "lib/testlib.h"

static const char good[] =
	"{\"type\":\"node\",\"kind\":\"credential\",\"id\":\"AKIA1\","
	"\"owner\":\"team-a\",\"created\":\"2024-01-01T00:00:00Z\"}\n"
	"{\"type\":\"edge\",\"kind\":\"authenticates\",\"from\":\"AKIA1\","
	"\"to\":\"arn:aws:iam::1:user/u\"}\n"
	"{\"type\":\"node\",\"kind\":\"identity\",\"id\":\"arn:aws:iam::1:user/u\","
	"\"disabled\":false,\"attrs\":{\"tags\":{\"env\":\"prod\"}}}\n"
	"{\"type\":\"node\",\"kind\":\"resource\",\"id\":\"bucket\"}\n"
	"{\"type\":\"edge\",\"kind\":\"can\",\"from\":\"arn:aws:iam::1:user/u\","
	"\"to\":\"bucket\",\"privilege\":\"write\",\"actions\":[\"s3:Put*\"]}\n";

static void test_jsonl_and_idempotence(void **state)
{
	char *path = NULL;
	struct nhir_store *st = tl_new_store(&path);
	struct nhir_import_result res;
	char *first;

	(void)state;
	assert_int_equal(tl_import_text(st, "nhir", good, &res), 0);
	/* 4 nodes + owner node + owns edge + 2 edges */
	assert_int_equal(res.added, 7);
	assert_int_equal(res.rejected, 0);
	first = tl_dump(path);
	assert_int_equal(tl_import_text(st, "nhir", good, &res), 0);
	assert_int_equal(res.added, 0);
	assert_int_equal(res.updated, 0);
	assert_int_equal(res.unchanged, 7);
	{
		char *second = tl_dump(path);

		assert_string_equal(first, second);
		free(second);
	}
	assert_non_null(strstr(first, "{\"tags\":{\"env\":\"prod\"}}"));
	assert_non_null(strstr(first, "{\"actions\":[\"s3:Put*\"]}"));
	free(first);
	nhir_store_close(st);
	free(path);
}

static void test_document_shapes(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_import_result res;

	(void)state;
	assert_int_equal(tl_import_text(st, "nhir",
		"{\"version\":1,\"nodes\":[{\"kind\":\"identity\",\"id\":\"a\"},"
		"{\"kind\":\"identity\",\"id\":\"b\"}],\"edges\":[{\"kind\":"
		"\"assumes\",\"from\":\"a\",\"to\":\"b\"}]}", &res), 0);
	assert_int_equal(res.added, 3);
	assert_int_equal(tl_import_text(st, "nhir",
		"[{\"type\":\"node\",\"kind\":\"token\",\"id\":\"t\","
		"\"expires\":1714557600}]", &res), 0);
	assert_int_equal(res.added, 1);
	/* edges before their nodes in the same file are fine */
	assert_int_equal(tl_import_text(st, "nhir",
		"{\"edges\":[{\"kind\":\"authenticates\",\"from\":\"k\","
		"\"to\":\"a\"}],\"nodes\":[{\"kind\":\"credential\","
		"\"id\":\"k\"}]}", &res), 0);
	assert_int_equal(res.added, 2);
	/* BOM, CRLF and blank lines */
	assert_int_equal(tl_import_text(st, "nhir",
		"\xef\xbb\xbf{\"type\":\"node\",\"kind\":\"owner\",\"id\":\"o\"}"
		"\r\n\r\n", &res), 0);
	assert_int_equal(res.added, 1);
	nhir_store_close(st);
}

static const struct tl_bad bad[] = {
	{ "malformed json",
	  "{\"type\":\"node\",\"kind\":\"owner\",\"id\":\"ok\"}\n"
	  "{\"type\":\"node\",\"kind\":\"identity\",\"id\":\"x\",}\n",
	  2, 43, "malformed JSON" },
	{ "unterminated string",
	  "{\"type\":\"node\",\"kind\":\"identity\",\"id\":\"x}\n", 1, 42,
	  "bad character or escape in string" },
	{ "unterminated string at end",
	  "{\"type\":\"node\",\"kind\":\"identity\",\"id\":\"x}", 1, 39,
	  "unterminated string" },
	{ "unclosed object", "{\"type\":\"node\",\n\"kind\":\"identity\"", 2, 18,
	  "unexpected end of input" },
	{ "unknown kind",
	  "{\"type\":\"node\",\"kind\":\"owner\",\"id\":\"ok\"}\n"
	  "{\"type\":\"node\",\"kind\":\"robot\",\"id\":\"x\"}\n",
	  2, 1, "unknown kind 'robot'" },
	{ "unknown edge kind",
	  "{\"type\":\"edge\",\"kind\":\"likes\",\"from\":\"a\",\"to\":\"b\"}",
	  1, 1, "unknown kind 'likes'" },
	{ "wrong type for id",
	  "{\"type\":\"node\",\"kind\":\"identity\",\"id\":42}", 1, 1,
	  "'id' must be a non-empty string" },
	{ "wrong type for name",
	  "{\"type\":\"node\",\"kind\":\"identity\",\"id\":\"x\",\"name\":[]}",
	  1, 1, "'name' must be a string" },
	{ "bad time",
	  "{\"type\":\"node\",\"kind\":\"token\",\"id\":\"x\","
	  "\"expires\":\"soon\"}", 1, 1, "'expires' must be an ISO 8601" },
	{ "unknown field",
	  "{\"type\":\"node\",\"kind\":\"token\",\"id\":\"x\",\"expiry\":1}",
	  1, 1, "unknown field 'expiry'" },
	{ "missing type",
	  "[{\"kind\":\"token\",\"id\":\"x\"}]", 1, 2,
	  "'type' must be \"node\" or \"edge\"" },
	{ "dangling edge",
	  "{\"type\":\"node\",\"kind\":\"identity\",\"id\":\"a\"}\n"
	  "{\"type\":\"edge\",\"kind\":\"assumes\",\"from\":\"a\","
	  "\"to\":\"ghost\"}\n", 2, 1, "'ghost' is not a known node" },
	{ "edge shape",
	  "{\"type\":\"node\",\"kind\":\"identity\",\"id\":\"a\"}\n"
	  "{\"type\":\"node\",\"kind\":\"resource\",\"id\":\"r\"}\n"
	  "{\"type\":\"edge\",\"kind\":\"assumes\",\"from\":\"a\",\"to\":\"r\"}",
	  3, 1, "cannot go from identity to resource" },
	{ "bad privilege",
	  "{\"type\":\"edge\",\"kind\":\"can\",\"from\":\"a\",\"to\":\"b\","
	  "\"privilege\":\"god\"}", 1, 1, "unknown privilege 'god'" },
	{ "secret in attrs",
	  "{\"type\":\"node\",\"kind\":\"credential\",\"id\":\"k\","
	  "\"attrs\":{\"meta\":{\"client_secret\":\"s3cr3t\"}}}", 1, 1,
	  "attribute 'meta.client_secret' looks like a secret" },
	{ "not an object", "[1]", 1, 2, "a record must be an object" },
	{ "stray text",
	  "{\"type\":\"node\",\"kind\":\"owner\",\"id\":\"o\"} trailing",
	  1, 41, "unexpected character" },
	{ "unknown top member", "{\"nodez\":[]}", 1, 10,
	  "unknown top-level member 'nodez'" },
	{ "kind conflict",
	  "{\"type\":\"node\",\"kind\":\"identity\",\"id\":\"same\"}\n"
	  "{\"type\":\"node\",\"kind\":\"token\",\"id\":\"same\"}", 2, 1,
	  "already stored as a identity" },
};

static void test_bad_input(void **state)
{
	(void)state;
	tl_check_rejected("nhir", good, bad, NHIR_ARRAY_SIZE(bad));
}

static void test_all_errors_reported(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_import_result res;
	char text[4096] = "";

	(void)state;
	for (int i = 0; i < 15; i++)
		strcat(text, "{\"type\":\"node\",\"kind\":\"x\",\"id\":\"y\"}\n");
	assert_int_equal(tl_import_text(st, "nhir", text, &res), NHIR_EPARSE);
	assert_int_equal(res.rejected, 15);
	assert_int_equal(res.error_nr, NHIR_IMPORT_DIAG_MAX);
	assert_int_equal(res.errors[9].line, 10);
	nhir_store_close(st);
}

static void test_limits(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_import_result res;
	size_t n = NHIR_MAX_JSON_DEPTH + 10, k = 0;
	char *deep = malloc(2 * n + 1), *big;

	(void)state;
	/* nesting deeper than the limit */
	for (size_t i = 0; i < n; i++)
		deep[k++] = '[';
	for (size_t i = 0; i < n; i++)
		deep[k++] = ']';
	deep[k] = 0;
	assert_int_equal(tl_import_text(st, "nhir", deep, &res), NHIR_EPARSE);
	assert_non_null(strstr(res.errors[0].msg, "nesting deeper than"));
	assert_int_equal(res.errors[0].col, NHIR_MAX_JSON_DEPTH + 1);
	free(deep);

	/* an id longer than NHIR_MAX_ID_LEN */
	big = malloc(NHIR_MAX_ID_LEN + 200);
	k = (size_t)snprintf(big, 100, "{\"type\":\"node\",\"kind\":\"owner\","
			     "\"id\":\"");
	memset(big + k, 'x', NHIR_MAX_ID_LEN + 1);
	k += NHIR_MAX_ID_LEN + 1;
	strcpy(big + k, "\"}");
	assert_int_equal(tl_import_text(st, "nhir", big, &res), NHIR_EPARSE);
	assert_non_null(strstr(res.errors[0].msg, "longer than"));
	free(big);

	/* invalid UTF-8 is replaced and counted, not rejected */
	assert_int_equal(tl_import_text(st, "nhir",
		"{\"type\":\"node\",\"kind\":\"owner\",\"id\":\"o\xff\"}", &res),
		0);
	assert_int_equal(res.utf8_replaced, 1);
	assert_int_equal(tl_node(st, "o\xef\xbf\xbd") > 0, 1);
	nhir_store_close(st);
}

static void test_empty_and_missing(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_import_result res;
	struct nhir_err err = NHIR_ERR_INIT;

	(void)state;
	assert_int_equal(tl_import_text(st, "nhir", "", &res), 0);
	assert_int_equal(res.added, 0);
	assert_int_equal(nhir_import_file(TL_CTX(st, "t"),
					  nhir_importer_find("nhir"),
					  "/nonexistent/file.json", NULL, &res,
					  &err), NHIR_EIO);
	assert_non_null(strstr(err.msg, "/nonexistent/file.json"));
	nhir_store_close(st);
}

static void test_example_inventory(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_import_result res;
	struct nhir_err err = NHIR_ERR_INIT;

	(void)state;
	assert_int_equal(nhir_import_file(TL_CTX(st, "t"),
					  nhir_importer_find("nhir"),
					  "examples/inventory/estate.jsonl",
					  NULL, &res, &err), 0);
	assert_true(res.added > 30);
	assert_int_equal(res.rejected, 0);
	nhir_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsonl_and_idempotence),
		cmocka_unit_test(test_document_shapes),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_empty_and_missing),
		cmocka_unit_test(test_example_inventory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
