#include "lib/testlib.h"
#include <string.h>
#include <time.h>

static int64_t parse(const char *s)
{
	int64_t t = 0;
	struct nhir_err err = NHIR_ERR_INIT;

	if (nhir_time_parse(s, (size_t)-1, &t, &err))
		fail_msg("'%s': %s", s, err.msg);
	return t;
}

static void test_forms(void **state)
{
	(void)state;
	assert_int_equal(parse("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(parse("2024-05-01T10:00:00Z"), 1714557600);
	assert_int_equal(parse("2024-05-01T10:00:00.123456Z"), 1714557600);
	assert_int_equal(parse("2024-05-01 10:00:00+00:00"), 1714557600);
	assert_int_equal(parse("2024-05-01T12:00:00+02:00"), 1714557600);
	assert_int_equal(parse("2024-05-01T05:30:00-0430"), 1714557600);
	assert_int_equal(parse("2024-05-01"), 1714521600);
	assert_int_equal(parse("2000-02-29T00:00:00Z"), 951782400);
	assert_int_equal(parse("1714557600"), 1714557600);
	/* as CloudTrail writes some response elements */
	assert_int_equal(parse("Jul 10, 2023, 12:31:14 PM"), 1688992274);
	assert_int_equal(parse("Jul 10, 2023 12:24:29 PM"), 1688991869);
	assert_int_equal(parse("Jan 1, 2024, 12:00:00 AM"), 1704067200);
	assert_int_equal(parse("Jul 10, 2023, 6:30:22 PM"), 1689013822);
}

static void test_bad(void **state)
{
	static const char *const bad[] = {
		"", "yesterday", "2024-13-01", "2024-02-30", "2023-02-29",
		"2024-05-01T25:00:00Z", "2024-05-01T10:00:00Zjunk",
		"2024-5-1", "2024-05-01T10", "2100-02-29",
		"Jul 10, 2023, 13:31:14 PM", "Foo 10, 2023, 12:31:14 PM",
		"Jul 10, 2023, 12:31:14",
	};
	int64_t t;
	struct nhir_err err = NHIR_ERR_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(nhir_time_parse(bad[i], (size_t)-1, &t, &err),
				 NHIR_EPARSE);
		assert_non_null(strstr(err.msg, "bad time"));
	}
}

static void test_format_roundtrip(void **state)
{
	char out[32];

	(void)state;
	nhir_time_format(1714557600, out, sizeof(out));
	assert_string_equal(out, "2024-05-01T10:00:00Z");
	assert_int_equal(parse(out), 1714557600);
	nhir_time_format(NHIR_TIME_UNSET, out, sizeof(out));
	assert_string_equal(out, "-");
}

/* The arithmetic path agrees with gmtime_r() wherever it is taken. */
static void test_format_like_gmtime(void **state)
{
	static const int64_t edge[] = {
		0, 59, 86399, 86400, 951782400 /* 2000-02-29 */,
		951868800, 4107542400 /* 2100-03-01 */, 4107456000,
		253402300799 /* 9999-12-31T23:59:59 */, 253402300800, -1,
	};
	uint64_t x = 88172645463325252ULL;
	char out[32], want[32];

	(void)state;
	for (size_t i = 0; i < 100000 + NHIR_ARRAY_SIZE(edge); i++) {
		int64_t t;
		time_t tt;
		struct tm tm;

		if (i < NHIR_ARRAY_SIZE(edge)) {
			t = edge[i];
		} else {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			t = (int64_t)(x % 260000000000ULL);
		}
		tt = (time_t)t;
		assert_non_null(gmtime_r(&tt, &tm));
		snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02dZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
		nhir_time_format(t, out, sizeof(out));
		assert_string_equal(out, want);
	}
}

/* The system clock only: a fixed time is a context's or a store's. */
static void test_now_override(void **state)
{
	(void)state;
	setenv("NHIR_NOW", "2030-01-01T00:00:00Z", 1);
	assert_true(nhir_time_now() < 1893456000);	/* not read here */
	assert_true(nhir_time_now() > 1700000000);
	unsetenv("NHIR_NOW");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_format_roundtrip),
		cmocka_unit_test(test_format_like_gmtime),
		cmocka_unit_test(test_now_override),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
