#include "lib/testlib.h"
#include <inttypes.h>
#include <string.h>

/* nhir_buf_add_visible over in[0..len) gives want. */
static void check(const char *in, size_t len, const char *want)
{
	struct nhir_buf b = NHIR_BUF_INIT(0);

	nhir_buf_add_visible(&b, in, len);
	assert_int_equal(b.err, NHIR_OK);
	assert_string_equal(b.buf, want);
	assert_int_equal(nhir_needs_escape(in, len), strcmp(in, want) != 0 ||
						     strlen(in) != len);
	nhir_buf_release(&b);
}

#define CHECK(in, want) check((in), sizeof(in) - 1, (want))

static void test_plain_text_unchanged(void **state)
{
	(void)state;
	CHECK("", "");
	CHECK("aws-cli/2.15 Python/3.11", "aws-cli/2.15 Python/3.11");
	CHECK("C:\\repo\\config.yml", "C:\\repo\\config.yml");
	/* valid UTF-8, up to four bytes, is kept */
	CHECK("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91",
	      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91");
	CHECK("\xef\xbf\xbd", "\xef\xbf\xbd");
	CHECK("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");
}

static void test_c0_and_del(void **state)
{
	(void)state;
	CHECK("a\nb\rc\td", "a\\nb\\rc\\td");
	CHECK("\x1b[2J\x1b]0;pwned\x07", "\\x1b[2J\\x1b]0;pwned\\x07");
	CHECK("\x01\x1f\x7f", "\\x01\\x1f\\x7f");
	/* a NUL inside the given length */
	check("a\0b", 3, "a\\x00b");
}

static void test_c1_and_bidi(void **state)
{
	(void)state;
	/* U+009B is a CSI on terminals that honour C1 */
	CHECK("x\xc2\x9b" "2Jy", "x\\u009b2Jy");
	CHECK("\xc2\x80\xc2\x85\xc2\x9f", "\\u0080\\u0085\\u009f");
	/* U+00A0 is not a control */
	CHECK("\xc2\xa0", "\xc2\xa0");
	CHECK("evil\xe2\x80\xaetxt.exe", "evil\\u202etxt.exe");
	CHECK("\xe2\x81\xa6\xe2\x81\xa9\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c",
	      "\\u2066\\u2069\\u200e\\u200f\\u061c");
	CHECK("a\xe2\x80\xa8" "b\xe2\x80\xa9", "a\\u2028b\\u2029");
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	/* a raw C1 byte, and a lone continuation byte */
	CHECK("a\x9b" "b\x80", "a\\x9bb\\x80");
	/* overlong forms: of '/' and of ESC */
	CHECK("\xc0\xaf", "\\xc0\\xaf");
	CHECK("\xc0\x9b", "\\xc0\\x9b");
	CHECK("\xe0\x80\x9b", "\\xe0\\x80\\x9b");
	/* a surrogate, a code point past U+10FFFF, bytes never used */
	CHECK("\xed\xa0\x80", "\\xed\\xa0\\x80");
	CHECK("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
	CHECK("\xfe\xff", "\\xfe\\xff");
	/* a truncated sequence, at the end and before ASCII */
	CHECK("ok\xe2\x82", "ok\\xe2\\x82");
	CHECK("\xe2\x82z", "\\xe2\\x82z");
	/* the escape of one bad byte does not eat a good sequence */
	CHECK("\xc3\xc3\xa9", "\\xc3\xc3\xa9");
}

static void test_format_escapes_arguments_only(void **state)
{
	struct nhir_buf b = NHIR_BUF_INIT(0);

	(void)state;
	nhir_buf_addf_visible(&b, "%s|%-6s|%5s|%.3s|%.*s|%c%c|%d %zu %"
			      PRId64 " %5.1f %x %%\n", "a\x1b" "b", "x\n",
			      "y", "abc\x1b", 2, "\x1b" "zz", 'q', 0, -3,
			      (size_t)7, (int64_t)1 << 40, 2.25, 255u);
	assert_int_equal(b.err, NHIR_OK);
	assert_string_equal(b.buf, "a\\x1bb|x\\n   |    y|abc|\\x1bz|q\\x00|"
			    "-3 7 1099511627776   2.2 ff %\n");
	nhir_buf_release(&b);
}

static bool is_green(const char *s)
{
	return !strcmp(s, "\x1b[32m");
}

/*
 * Not marked printf-like: the test passes NULL for %s on purpose, which
 * gcc would then refuse; clang's check of the forwarded format is off.
 */
#ifdef __clang__
#pragma clang diagnostic ignored "-Wformat-nonliteral"
#endif
static void add_v(struct nhir_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nhir_buf_vaddf_visible(b, is_green, fmt, ap);
	va_end(ap);
}

static void test_format_verbatim_and_null(void **state)
{
	struct nhir_buf b = NHIR_BUF_INIT(0);
	const char *none = NULL;

	(void)state;
	add_v(&b, "\x1b[1m%s%s%s %*s|%-*s|", "\x1b[32m", "\x1b[31m", none, -3,
	      "a", 3, "b");
	assert_int_equal(b.err, NHIR_OK);
	assert_string_equal(b.buf, "\x1b[1m\x1b[32m\\x1b[31m(null) a  |b  |");
	nhir_buf_release(&b);
}

static void test_format_refuses_n(void **state)
{
	struct nhir_buf b = NHIR_BUF_INIT(0);
	int n = 0;
	const char *fmt = "ab%n";

	(void)state;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	nhir_buf_addf_visible(&b, fmt, &n);
#pragma GCC diagnostic pop
	assert_int_equal(b.err, NHIR_EINVAL);
	assert_int_equal(n, 0);
	nhir_buf_release(&b);
}

static void test_format_long_argument(void **state)
{
	struct nhir_buf b = NHIR_BUF_INIT(0);
	char big[6000];

	(void)state;
	memset(big, '\x1b', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	nhir_buf_addf_visible(&b, "<%s>", big);
	assert_int_equal(b.err, NHIR_OK);
	assert_int_equal(b.len, (sizeof(big) - 1) * 4 + 2);
	assert_null(memchr(b.buf, '\x1b', b.len));
	nhir_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_text_unchanged),
		cmocka_unit_test(test_c0_and_del),
		cmocka_unit_test(test_c1_and_bidi),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_format_escapes_arguments_only),
		cmocka_unit_test(test_format_verbatim_and_null),
		cmocka_unit_test(test_format_refuses_n),
		cmocka_unit_test(test_format_long_argument),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
