#include "lib/testlib.h"
#include <string.h>

static void assert_sane(const struct nhir_buf *b)
{
	assert_non_null(b->buf);
	assert_int_equal(b->buf[b->len], 0);
	if (b->alloc)
		assert_true(b->len < b->alloc);
}

static void test_add_and_detach(void **state)
{
	struct nhir_buf b = NHIR_BUF_INIT(0);
	char *p;
	size_t len;

	(void)state;
	assert_sane(&b);
	nhir_buf_adds(&b, "hello");
	nhir_buf_addch(&b, ' ');
	nhir_buf_addf(&b, "%d-%s", 42, "x");
	assert_int_equal(b.err, NHIR_OK);
	assert_string_equal(b.buf, "hello 42-x");
	assert_sane(&b);
	p = nhir_buf_detach(&b, &len);
	assert_string_equal(p, "hello 42-x");
	assert_int_equal(len, 10);
	assert_sane(&b);
	assert_int_equal(b.len, 0);
	nhir_free(p);
}

static void test_long_format_grows(void **state)
{
	struct nhir_buf b = NHIR_BUF_INIT(0);
	char big[5000];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	nhir_buf_addf(&b, "<%s>", big);
	assert_int_equal(b.len, sizeof(big) + 1);
	assert_int_equal(b.buf[0], '<');
	assert_int_equal(b.buf[b.len - 1], '>');
	assert_sane(&b);
	nhir_buf_release(&b);
}

static void test_cap_is_sticky(void **state)
{
	struct nhir_buf b = NHIR_BUF_INIT(8);

	(void)state;
	nhir_buf_adds(&b, "12345678");
	assert_int_equal(b.err, NHIR_OK);
	nhir_buf_adds(&b, "9");
	assert_int_equal(b.err, NHIR_ETOOBIG);
	nhir_buf_adds(&b, "more");
	assert_int_equal(b.len, 8);
	assert_null(nhir_buf_detach(&b, NULL));
	assert_sane(&b);
}

static void test_oom_is_sticky(void **state)
{
	struct nhir_buf b = NHIR_BUF_INIT(0);

	(void)state;
	nhir_alloc_fail_at(1);
	nhir_buf_adds(&b, "x");
	nhir_alloc_fail_at(0);
	assert_int_equal(b.err, NHIR_ENOMEM);
	assert_sane(&b);
	nhir_buf_release(&b);
}

static void test_json_escape(void **state)
{
	struct nhir_buf b = NHIR_BUF_INIT(0);
	const char in[] = "a\"b\\c\n\x01\x7f\xc3\xa9";

	(void)state;
	nhir_buf_add_json_str(&b, in, sizeof(in) - 1);
	assert_string_equal(b.buf, "\"a\\\"b\\\\c\\n\\u0001\\u007f\xc3\xa9\"");
	nhir_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_and_detach),
		cmocka_unit_test(test_long_format_grows),
		cmocka_unit_test(test_cap_is_sticky),
		cmocka_unit_test(test_oom_is_sticky),
		cmocka_unit_test(test_json_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
