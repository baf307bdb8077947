/*
 * The literal scanner against a naive search: the input is a count of
 * literals (1 to 8, first byte), each as a length byte and its bytes,
 * then the text searched.  Any disagreement aborts.
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
	nhir_litscan_free(ls);
	return 0;
}
