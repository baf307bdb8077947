/*
 * The literal scanner: one literal, literals sharing a first byte and
 * not, overlaps, ends of the buffer, limits, and random text against a
 * naive search.
 */
#include "lib/testlib.h"
#include "ingest/litscan.h"

static struct nhir_litscan *scanner(const char *const *lits, size_t nr)
{
	struct nhir_litscan *ls = nhir_litscan_new();

	assert_non_null(ls);
	for (size_t i = 0; i < nr; i++)
		assert_int_equal(nhir_litscan_add(ls, lits[i], strlen(lits[i]),
						  NULL), NHIR_OK);
	return ls;
}

static size_t find(const struct nhir_litscan *ls, const char *s,
		   size_t *which)
{
	return nhir_litscan_find(ls, s, strlen(s), which);
}

static void test_one(void **state)
{
	static const char *const k[] = { "AKIAEXAMPLEDEPLOY01" };
	struct nhir_litscan *ls = scanner(k, 1);
	size_t w = 9;

	(void)state;
	assert_int_equal(find(ls, "{\"accessKeyId\":\"AKIAEXAMPLEDEPLOY01\"}",
			      &w), 16);
	assert_int_equal(w, 0);
	assert_int_equal(find(ls, "AKIAEXAMPLEDEPLOY0", NULL), SIZE_MAX);
	assert_int_equal(find(ls, "AKIAEXAMPLEDEPLOY01", NULL), 0);
	assert_int_equal(find(ls, "", NULL), SIZE_MAX);
	nhir_litscan_free(ls);
}

static void test_shared_first_byte(void **state)
{
	static const char *const k[] = { "ASIAONE", "AKIATWO", "AB" };
	struct nhir_litscan *ls = scanner(k, 3);
	size_t w = 9;

	(void)state;
	assert_int_equal(find(ls, "xxAKIAONE AKIATWO", &w), 10);
	assert_int_equal(w, 1);
	assert_int_equal(find(ls, "AAAB", &w), 2);
	assert_int_equal(w, 2);
	assert_int_equal(find(ls, "AAAAAAAAAAA", NULL), SIZE_MAX);
	/* the shortest literal at the very end */
	assert_int_equal(find(ls, "ASIAON AB", &w), 7);
	nhir_litscan_free(ls);
}

static void test_mixed_first_bytes(void **state)
{
	static const char *const k[] = { "token-9", "AKIAX", "s.vault" };
	struct nhir_litscan *ls = scanner(k, 3);
	size_t w = 9;

	(void)state;
	assert_int_equal(find(ls, "a s.vaul token-9 s.vault", &w), 9);
	assert_int_equal(w, 0);
	assert_int_equal(find(ls, "token-8 AKIAX", &w), 8);
	assert_int_equal(w, 1);
	assert_true(nhir_litscan_has(ls, "s.vault", 7));
	assert_false(nhir_litscan_has(ls, "s.vaul", 6));
	assert_string_equal(nhir_litscan_key(ls, 2), "s.vault");
	nhir_litscan_free(ls);
}

static void test_limits(void **state)
{
	struct nhir_litscan *ls = nhir_litscan_new();
	struct nhir_err err = NHIR_ERR_INIT;
	char big[NHIR_LITSCAN_MAX_LEN + 1];

	(void)state;
	assert_non_null(ls);
	assert_int_equal(find(ls, "anything", NULL), SIZE_MAX);
	assert_int_equal(nhir_litscan_add(ls, "", 0, &err), NHIR_EINVAL);
	memset(big, 'a', sizeof(big));
	assert_int_equal(nhir_litscan_add(ls, big, sizeof(big), &err),
			 NHIR_EINVAL);
	assert_int_equal(nhir_litscan_add(ls, big, sizeof(big) - 1, &err),
			 NHIR_OK);
	assert_int_equal(nhir_litscan_add(ls, "k", 1, NULL), NHIR_OK);
	assert_int_equal(nhir_litscan_add(ls, "k", 1, NULL), NHIR_OK);
	assert_int_equal(nhir_litscan_count(ls), 2);
	assert_int_equal(nhir_litscan_find(ls, "xxk", 3, NULL), 2);
	nhir_litscan_free(ls);
	nhir_litscan_free(NULL);
}

static size_t naive(const char *const *k, size_t nr, const char *s, size_t n)
{
	for (size_t p = 0; p < n; p++)
		for (size_t i = 0; i < nr; i++)
			if (strlen(k[i]) <= n - p &&
			    !memcmp(s + p, k[i], strlen(k[i])))
				return p;
	return SIZE_MAX;
}

static void test_random(void **state)
{
	static const char *const k[] = { "ABA", "BAB", "AAB", "CA", "BBBB" };
	char s[64];
	unsigned seed = 7;

	(void)state;
	for (int round = 0; round < 2000; round++) {
		size_t nr = (size_t)round % 5 + 1, n = (size_t)round % 60;
		struct nhir_litscan *ls = scanner(k, nr);

		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			s[i] = "ABC"[(seed >> 16) % 3];
		}
		/* thirty-two at a time (where the processor can), sixteen */
		for (int w = 1; w >= 0; w--) {
			nhir_litscan_avx2 = w;
			assert_int_equal(nhir_litscan_find(ls, s, n, NULL),
					 naive(k, nr, s, n));
		}
		nhir_litscan_avx2 = true;
		nhir_litscan_free(ls);
	}
}

/*
 * Many literals with one prefix (the "AKIA" of key ids): the memchr
 * byte they share and the hash of their first bytes, against the
 * naive search, with literals of several lengths.
 */
static void test_many_shared_prefix(void **state)
{
	static char lits[300][24];
	const char *k[300];
	char s[512];
	unsigned seed = 11;
	struct nhir_litscan *ls = nhir_litscan_new();

	(void)state;
	assert_non_null(ls);
	for (size_t i = 0; i < 300; i++) {
		size_t n = 4 + i % 13;

		memcpy(lits[i], "AKIA", 4);
		for (size_t j = 4; j < n; j++) {
			seed = seed * 1103515245u + 12345u;
			lits[i][j] = "QKIA"[(seed >> 16) % 4];
		}
		lits[i][n] = '\0';
		k[i] = lits[i];
		assert_int_equal(nhir_litscan_add(ls, k[i], n, NULL), NHIR_OK);
	}
	for (size_t i = 0; i < 300; i++)
		assert_true(nhir_litscan_has(ls, k[i], strlen(k[i])));
	assert_false(nhir_litscan_has(ls, "AKIAQQQQQQQQQQQQQQQQQQQ", 23));
	for (int round = 0; round < 500; round++) {
		size_t n = (size_t)round % sizeof(s), got, w = 0, want;

		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			s[i] = "AKIQ"[(seed >> 16) % 4];
		}
		want = naive(k, 300, s, n);
		for (int a = 1; a >= 0; a--) {
			nhir_litscan_avx2 = a;
			got = nhir_litscan_find(ls, s, n, &w);
			assert_int_equal(got, want);
			if (got != SIZE_MAX)
				assert_memory_equal(s + got, k[w],
						    strlen(k[w]));
		}
		nhir_litscan_avx2 = true;
	}
#if defined(__x86_64__) && defined(__GNUC__)
	print_message("compared: sixteen at a time%s\n",
		      __builtin_cpu_supports("avx2") ? " and thirty-two (AVX2)"
						     : " (no AVX2 here)");
#endif
	nhir_litscan_free(ls);
}

/*
 * The index of a text made for some keys finds them, and the keys
 * that join them, as the plain search does, from every place and for
 * every prefix of the text; a key without the bytes it tests (or an
 * index of too many places) falls back to the plain search.
 */
static void index_agrees(const struct nhir_litscan *ls,
			 const struct nhir_litscan_index *ix, const char *s,
			 size_t n)
{
	for (size_t end = 0; end <= n; end += 1 + end / 3)
		for (size_t from = 0; from <= end; from++) {
			size_t w1 = 7, w2 = 7;
			size_t want = nhir_litscan_find(ls, s + from,
							end - from, &w1);

			if (want != SIZE_MAX)
				want += from;
			assert_int_equal(nhir_litscan_find_from(ls, ix, s, end,
								from, &w2),
					 want);
			if (want != SIZE_MAX)
				assert_int_equal(w1, w2);
		}
}

static void test_index(void **state)
{
	static const char *const k[] = { "AKIAQQQQQQQQQQQQQQQ7",
					 "ASIAKKQQQQQQQQQQQQQ1",
					 "ASIAQQQQQQQQQQQQQQQ2", "AKIAQQ" };
	static const char *const absent[] = { "ASIAQQQQQQQKQQQQQQQ9",
					      "ASIAZZZZZZZZZZZZZZZ9" };
	struct nhir_litscan_prints pr = { 0 };
	char s[700];
	unsigned seed = 5;
	struct nhir_litscan_index ix = { 0 };

	(void)state;
	for (int round = 0; round < 60; round++) {
		size_t n = 200 + (size_t)round * 8;
		struct nhir_litscan *ls = scanner(k, 2);
		bool dense = round % 10 == 9;

		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			s[i] = "AKSIQ7\\"[(seed >> 16) % 7];
		}
		if (dense)	/* a place every three bytes: not indexed */
			for (size_t i = 0; i < n; i++)
				s[i] = "IQQ"[i % 3];
		/* keys in place, at both ends and across 32-byte steps */
		for (size_t i = 0; i + 20 <= n;
		     i += (dense ? 150 : 37) + (size_t)round)
			memcpy(s + i, k[(i / 37) % 3], 20);
		memcpy(s + n - 20, k[round % 3], 20);
		nhir_litscan_avx2 = round % 2;
		nhir_litscan_index(ls, s, n, &ix);
		assert_int_equal(ix.whole, !dense);
		assert_int_equal(nhir_litscan_prints_make(&ix, s, n, 1 << 20,
							  &pr), !dense);
		index_agrees(ls, &ix, s, n);
		assert_true(nhir_litscan_prints_may(&pr, ls));
		/* a key joins with the same bytes at the places tested */
		assert_int_equal(nhir_litscan_add(ls, k[2], 20, NULL), NHIR_OK);
		index_agrees(ls, &ix, s, n);
		assert_true(nhir_litscan_prints_may(&pr, ls));
		/* and one without them: the bytes are searched */
		assert_int_equal(nhir_litscan_add(ls, k[3], 6, NULL), NHIR_OK);
		index_agrees(ls, &ix, s, n);
		nhir_litscan_free(ls);
		/* prints: a key not there, with and without the bytes */
		ls = scanner(absent, 1);
		assert_int_equal(nhir_litscan_prints_may(&pr, ls), dense);
		assert_int_equal(nhir_litscan_add(ls, absent[1], 20, NULL),
				 NHIR_OK);
		assert_true(nhir_litscan_prints_may(&pr, ls));
		/* too large for the room given: none, so it may be there */
		assert_false(nhir_litscan_prints_make(&ix, s, n, 8, &pr));
		assert_true(nhir_litscan_prints_may(&pr, ls));
		nhir_litscan_free(ls);
	}
	nhir_litscan_avx2 = true;
	nhir_litscan_index_release(&ix);
	nhir_litscan_prints_release(&pr);
}

static void test_out_of_memory(void **state)
{
	struct nhir_litscan *ls = nhir_litscan_new();

	(void)state;
	assert_non_null(ls);
	nhir_alloc_fail_at(1);
	assert_int_equal(nhir_litscan_add(ls, "AKIA1", 5, NULL), NHIR_ENOMEM);
	assert_null(nhir_litscan_new());
	nhir_alloc_fail_at(0);
	assert_int_equal(nhir_litscan_count(ls), 0);
	/* the table of the literals cannot grow: nothing is added */
	assert_int_equal(nhir_litscan_add(ls, "AKIA1", 5, NULL), NHIR_OK);
	nhir_alloc_fail_at(3);
	assert_int_equal(nhir_litscan_add(ls, "AK2", 3, NULL), NHIR_ENOMEM);
	nhir_alloc_fail_at(0);
	assert_int_equal(nhir_litscan_count(ls), 1);
	assert_false(nhir_litscan_has(ls, "AK2", 3));
	assert_int_equal(nhir_litscan_find(ls, "xAKIA1", 6, NULL), 1);
	nhir_litscan_free(ls);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one),
		cmocka_unit_test(test_shared_first_byte),
		cmocka_unit_test(test_mixed_first_bytes),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_many_shared_prefix),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_out_of_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
