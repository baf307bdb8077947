/*
 * The literal scanner against a naive search: the input is a count of
 * literals (1 to 8, first byte), each as a length byte and its bytes,
 * then the text searched.  Any disagreement aborts.  The index of the
 * text made for the first literals then serves finds of them all, from
 * a few places, which must agree with the plain search; its prints
 * must never say that a literal found is not there.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "compat.h"
#include "ingest/litscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t naive(const char *const *lit, const size_t *len, size_t nr,
		    const char *text, size_t n)
{
	for (size_t p = 0; p < n; p++)
		for (size_t i = 0; i < nr; i++)
			if (len[i] <= n - p && !memcmp(text + p, lit[i], len[i]))
				return p;
	return SIZE_MAX;
}

static void index_check(const char *const *lit, const size_t *len, size_t nr,
			const struct nhir_litscan *ls, const char *text,
			size_t n)
{
	struct nhir_litscan_index ix = { 0 };
	struct nhir_litscan_prints pr = { 0 };
	struct nhir_litscan *first = nhir_litscan_new();
	size_t half = (nr + 1) / 2;

	if (!first)
		return;
	for (size_t i = 0; i < half; i++)
		if (nhir_litscan_add(first, lit[i], len[i], NULL))
			abort();
	nhir_litscan_index(first, text, n, &ix);
	for (size_t from = 0; from <= n; from += 1 + n / 7) {
		for (size_t e = 0; e < 3; e++) {
			size_t end = n - NHIR_MIN(n, e * (1 + n / 5));
			size_t w1 = 0, w2 = 0, want, got;

			if (end < from)
				continue;
			want = nhir_litscan_find(ls, text + from, end - from,
						 &w1);
			if (want != SIZE_MAX)
				want += from;
			got = nhir_litscan_find_from(ls, &ix, text, end, from,
						     &w2);
			if (got != want || (got != SIZE_MAX && w1 != w2))
				abort();
		}
	}
	/* prints never say that a literal there is not */
	if (nhir_litscan_prints_make(&ix, text, n, 1 << 20, &pr) &&
	    nhir_litscan_find(ls, text, n, NULL) != SIZE_MAX &&
	    !nhir_litscan_prints_may(&pr, ls))
		abort();
	nhir_litscan_prints_release(&pr);
	nhir_litscan_index_release(&ix);
	nhir_litscan_free(first);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *lit[8];
	size_t len[8], nr, at = 1, which = 0, got, want;
	struct nhir_litscan *ls;

	if (size < 1)
		return 0;
	nr = (size_t)(data[0] % 8) + 1;
	for (size_t i = 0; i < nr; i++) {
		if (at >= size)
			return 0;
		len[i] = (size_t)(data[at] % 24) + 1;
		at++;
		if (len[i] > size - at)
			return 0;
		lit[i] = (const char *)data + at;
		at += len[i];
	}
	ls = nhir_litscan_new();
	if (!ls)
		return 0;
	for (size_t i = 0; i < nr; i++)
		if (nhir_litscan_add(ls, lit[i], len[i], NULL))
			abort();
	got = nhir_litscan_find(ls, (const char *)data + at, size - at, &which);
	want = naive(lit, len, nr, (const char *)data + at, size - at);
	if (got != want)
		abort();
	if (got != SIZE_MAX) {
		const char *w = nhir_litscan_key(ls, which);

		if (memcmp(data + at + got, w, strlen(w)))
			abort();
	}
	index_check(lit, len, nr, ls, (const char *)data + at, size - at);
	nhir_litscan_free(ls);
	return 0;
}
