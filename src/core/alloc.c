#include "compat.h"

/* counted from any thread (telemetry.c parses in a worker) */
static _Atomic unsigned long alloc_count;
static unsigned long fail_at;

void nhir_alloc_fail_at(unsigned long k)
{
	fail_at = k ? alloc_count + k : 0;
}

unsigned long nhir_alloc_count(void)
{
	return alloc_count;
}

static bool should_fail(void)
{
	unsigned long n = ++alloc_count;

	return fail_at && n >= fail_at;
}

void *nhir_malloc(size_t n)
{
	if (should_fail())
		return NULL;
	return malloc(n ? n : 1);
}

void *nhir_calloc(size_t nr, size_t size)
{
	if (should_fail())
		return NULL;
	return calloc(nr ? nr : 1, size ? size : 1);
}

void *nhir_realloc(void *p, size_t n)
{
	if (should_fail())
		return NULL;
	return realloc(p, n ? n : 1);
}

void nhir_free(void *p)
{
	int saved = errno;

	free(p);
	errno = saved;
}

char *nhir_strndup(const char *s, size_t n)
{
	char *p;
	size_t sz;

	if (!nhir_st_add(n, 1, &sz))
		return NULL;
	p = nhir_malloc(sz);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *nhir_strdup(const char *s)
{
	return nhir_strndup(s, strlen(s));
}

int nhir_alloc_grow(void **arr, size_t want, size_t *alloc, size_t elsize)
{
	size_t n, bytes;
	void *p;

	if (want <= *alloc)
		return 0;
	n = *alloc < 8 ? 8 : *alloc;
	while (n < want) {
		if (!nhir_st_add(n, n / 2 + 1, &n))
			return -1;
	}
	if (!nhir_st_mult(n, elsize, &bytes))
		return -1;
	p = nhir_realloc(*arr, bytes);
	if (!p)
		return -1;
	*arr = p;
	*alloc = n;
	return 0;
}
