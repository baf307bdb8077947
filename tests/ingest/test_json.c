/*
 * The structural scanner and record parsing, against hand-made cases and
 * the JSONTestSuite corpus (what a conforming parser must accept and
 * reject).
 */
#include "lib/testlib.h"
#include <dirent.h>
#include "ingest/json.h"

struct collect {
	size_t nr;
	size_t off[16], len[16];
	char key[16][16];
};

static int collect_cb(void *ctx, const struct nhir_json_span *sp)
{
	struct collect *c = ctx;

	if (c->nr < 16) {
		c->off[c->nr] = sp->off;
		c->len[c->nr] = sp->len;
		snprintf(c->key[c->nr], 16, "%.*s", (int)sp->key_len,
			 sp->key ? sp->key : "");
	}
	c->nr++;
	return 0;
}

static void test_values_and_children(void **state)
{
	const char *d = " {\"a\":[1,2,{\"x\":\"]}\\\"\"}],\"b\":\"s\"}\n[3]\n7";
	struct collect c = { 0 };
	size_t bad = 0;

	(void)state;
	assert_int_equal(nhir_json_values(d, strlen(d), collect_cb, &c, &bad,
					  NULL), 0);
	assert_int_equal(c.nr, 3);
	assert_int_equal(c.off[0], 1);
	assert_int_equal(d[c.off[0] + c.len[0] - 1], '}');
	assert_int_equal(d[c.off[1]], '[');
	assert_int_equal(d[c.off[2]], '7');
	memset(&c, 0, sizeof(c));
	assert_int_equal(nhir_json_children(d, strlen(d), 1, collect_cb, &c,
					    &bad, NULL), 0);
	assert_int_equal(c.nr, 2);
	assert_string_equal(c.key[0], "a");
	assert_string_equal(c.key[1], "b");
	memset(&c, 0, sizeof(c));
	assert_int_equal(nhir_json_children(d, strlen(d), 6, collect_cb, &c,
					    &bad, NULL), 0);
	assert_int_equal(c.nr, 3);
}

static void test_structure_errors(void **state)
{
	static const struct {
		const char *in;
		size_t off;
	} cases[] = {
		{ "[1,2", 4 },
		{ "{\"a\":1]", 6 },
		{ "]", 0 },
		{ "\"abc", 0 },
		{ "{\"a\" 1}", 5 },
	};
	struct collect c = { 0 };

	(void)state;
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(cases); i++) {
		size_t bad = 99;
		const char *in = cases[i].in;
		enum nhir_rc rc = nhir_json_values(in, strlen(in), collect_cb,
						   &c, &bad, NULL);

		if (rc == NHIR_OK) {
			/* structure fine at top: children must fail */
			rc = nhir_json_children(in, strlen(in), 0, collect_cb,
						&c, &bad, NULL);
		}
		assert_int_equal(rc, NHIR_EPARSE);
		if (bad != cases[i].off)
			fail_msg("'%s': offset %zu, want %zu", in, bad,
				 cases[i].off);
	}
}

static void test_utf8_fix(void **state)
{
	struct nhir_buf b = NHIR_BUF_INIT(0);
	static const char good[] = "plain \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";

	(void)state;
	assert_int_equal(nhir_utf8_fix(good, strlen(good), &b), 0);
	assert_int_equal(b.len, 0);
	/* lone continuation, overlong, surrogate, truncated */
	assert_int_equal(nhir_utf8_fix("a\x80" "b\xc0\xaf" "c\xed\xa0\x80" "d\xe2\x82",
				       12, &b), 8);
	assert_non_null(strstr(b.buf, "a\xef\xbf\xbd" "b"));
	nhir_buf_release(&b);
}

/* Accepts a document the way importers do: one value, parsed by cJSON. */
static int count_cb(void *ctx, const struct nhir_json_span *sp)
{
	(void)sp;
	(*(int *)ctx)++;
	return 0;
}

static bool accepts(const char *d, size_t len)
{
	int n = 0;
	size_t bad;
	uint64_t rep = 0;
	cJSON *o;

	if (nhir_json_values(d, len, count_cb, &n, &bad, NULL) || n != 1)
		return false;
	o = nhir_json_parse(d, len, &bad, &rep);
	cJSON_Delete(o);
	return o != NULL;
}

/* A NUL in a string fails at its offset; an escaped backslash is text. */
static void test_nul(void **state)
{
	static const char esc[] = "{\"a\":\"x\\u0000y\"}";
	static const char raw[] = "{\"a\":\"x\0y\"}";
	static const char text[] = "{\"a\":\"x\\\\u0000y\"}";
	size_t bad = 99;
	cJSON *o;

	(void)state;
	assert_null(nhir_json_parse(esc, sizeof(esc) - 1, &bad, NULL));
	assert_int_equal(bad, 7);
	assert_string_equal(nhir_json_why(esc, sizeof(esc) - 1, bad),
			    "a NUL character (\\u0000) in a string");
	assert_null(nhir_json_parse(raw, sizeof(raw) - 1, &bad, NULL));
	assert_int_equal(bad, 7);
	assert_string_equal(nhir_json_why(raw, sizeof(raw) - 1, bad),
			    "a NUL character (\\u0000) in a string");
	o = nhir_json_parse(text, sizeof(text) - 1, &bad, NULL);
	assert_non_null(o);
	assert_string_equal(nhir_json_str(o, "a"), "x\\u0000y");
	cJSON_Delete(o);
	assert_string_equal(nhir_json_why("{]", 2, 1), "malformed JSON");
}

static void test_jsontestsuite(void **state)
{
	char *dir_path;
	DIR *dir;
	struct dirent *de;
	int y = 0, n = 0, y_bad = 0, n_bad = 0, nul = 0, nul_bad = 0;
	char missed[2048] = "";

	(void)state;
	TL_SKIP_NO_DATA(dir_path, "jsontestsuite/test_parsing");
	dir = opendir(dir_path);
	assert_non_null(dir);
	while ((de = readdir(dir))) {
		char p[1024];
		char *data;
		size_t len;
		bool ok;

		if (de->d_name[1] != '_' ||
		    (de->d_name[0] != 'y' && de->d_name[0] != 'n'))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir_path, de->d_name);
		data = tl_read_file(p, &len);
		assert_non_null(data);
		ok = accepts(data, len);	/* must never crash */
		if (de->d_name[0] == 'y' && nhir_json_nul(data, len) < len) {
			/* valid JSON, but a NUL would cut a C string short:
			 * refused on purpose (y_string_null_escape...) */
			nul++;
			nul_bad += ok;
		} else if (de->d_name[0] == 'y') {
			y++;
			if (!ok) {
				y_bad++;
				if (strlen(missed) < 1800) {
					strcat(missed, " ");
					strcat(missed, de->d_name);
				}
			}
		} else {
			n++;
			n_bad += ok;
		}
		free(data);
	}
	closedir(dir);
	free(dir_path);
	print_message("jsontestsuite: %d/%d valid accepted, %d/%d invalid "
		      "rejected, %d/%d valid holding a NUL refused\n",
		      y - y_bad, y, n - n_bad, n, nul - nul_bad, nul);
	if (y_bad)
		fail_msg("valid documents refused:%s", missed);
	assert_true(n > 150);
	assert_int_equal(n_bad, 0);
	assert_true(nul >= 2);
	assert_int_equal(nul_bad, 0);
}

static void test_deep_nesting_case(void **state)
{
	char *p;
	char *data;
	size_t len;

	(void)state;
	TL_SKIP_NO_DATA(p, "jsontestsuite/test_parsing/n_structure_100000_opening_arrays.json");
	data = tl_read_file(p, &len);
	assert_false(accepts(data, len));
	free(data);
	free(p);
}

/* A random JSON value into b (at most about cap bytes). */
static unsigned rnd_seed = 1;

static unsigned rnd(unsigned n)
{
	rnd_seed = rnd_seed * 1103515245u + 12345u;
	return (rnd_seed >> 16) % n;
}

static void gen_value(char *b, size_t *n, size_t cap, int depth)
{
	static const char *const scalars[] = { "true", "false", "null", "0",
					       "-12.5e3", "1234567890" };
	static const char chars[] = "abc{}[],: \"AKIA0";
	unsigned k = depth > 4 || *n + 40 > cap ? rnd(2) : rnd(4);

	if (k == 0) {
		const char *sc = scalars[rnd(NHIR_ARRAY_SIZE(scalars))];

		memcpy(b + *n, sc, strlen(sc));
		*n += strlen(sc);
	} else if (k == 1) {
		size_t l = rnd(30);

		b[(*n)++] = '"';
		for (size_t i = 0; i < l; i++) {
			char c = chars[rnd(sizeof(chars) - 1)];

			b[(*n)++] = c == '"' ? 'q' : c;
		}
		b[(*n)++] = '"';
	} else {
		bool obj = k == 2;
		unsigned m = rnd(6);

		b[(*n)++] = obj ? '{' : '[';
		for (unsigned i = 0; i < m && *n + 60 < cap; i++) {
			if (i)
				b[(*n)++] = rnd(3) ? ',' : ' ';
			if (rnd(8) == 0)
				b[(*n)++] = '\n';
			if (obj) {
				memcpy(b + *n, "\"k\":", 4);
				*n += 4;
			}
			gen_value(b, n, cap, depth + 1);
		}
		b[(*n)++] = obj ? '}' : ']';
	}
}

/*
 * The 64-bytes-at-a-time way against the careful way: random values,
 * some with a byte changed or cut short, must end at the same place or
 * fail at the same offset with the same message.
 */
static void test_wide_same_as_careful(void **state)
{
	static const char nasty[] = "\t\\\"}]{[x\001 ,:\303\n1e";
	char b[2048];
	size_t agree = 0, complete = 0;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t n = 0, end[3] = { 0, 0, 0 }, bad[3] = { 0, 0, 0 };
		enum nhir_json_end r[3];
		struct nhir_err err[3] = { NHIR_ERR_INIT, NHIR_ERR_INIT,
					   NHIR_ERR_INIT };

		gen_value(b, &n, sizeof(b) - 80, 0);
		for (unsigned m = rnd(3); m; m--)
			if (n)
				b[rnd((unsigned)n)] = nasty[rnd(sizeof(nasty) - 1)];
		if (rnd(5) == 0 && n)
			n = rnd((unsigned)n);
		/* careful; 16 bytes a step; 32 where the processor can */
		for (int w = 0; w < 3; w++) {
			nhir_json_wide = w > 0;
			nhir_json_avx2 = w > 1;
			r[w] = nhir_json_value_end(b, n, 0, &end[w], &bad[w],
						   &err[w]);
		}
		nhir_json_wide = true;
		nhir_json_avx2 = true;
		for (int w = 1; w < 3; w++)
			if (r[0] != r[w] ||
			    (r[0] == NHIR_JSON_COMPLETE && end[0] != end[w]) ||
			    (r[0] != NHIR_JSON_COMPLETE &&
			     (bad[0] != bad[w] ||
			      strcmp(err[0].msg, err[w].msg))))
				fail_msg("round %d: '%.*s': careful %d %zu "
					 "%zu, wide (%d) %d %zu %zu", round,
					 (int)n, b, r[0], end[0], bad[0], w,
					 r[w], end[w], bad[w]);
		agree++;
		complete += r[0] == NHIR_JSON_COMPLETE && n > 64;
	}
	assert_int_equal(agree, 20000);
#if defined(__x86_64__) && defined(__GNUC__)
	print_message("wide ways compared: 16 bytes a step%s\n",
		      __builtin_cpu_supports("avx2") ? " and 32 (AVX2)" :
		      " (no AVX2 here)");
#endif
	/* the wide way was tried on values longer than its 64 bytes */
	assert_true(complete > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values_and_children),
		cmocka_unit_test(test_structure_errors),
		cmocka_unit_test(test_utf8_fix),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_jsontestsuite),
		cmocka_unit_test(test_deep_nesting_case),
		cmocka_unit_test(test_wide_same_as_careful),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
