/*
 * The library's allocator.  All allocation goes through these so that
 * tests can count allocations and inject failures.  None of them abort:
 * a NULL return means out of memory and becomes NHIR_ENOMEM.
 */
#ifndef NHIR_CORE_ALLOC_H
#define NHIR_CORE_ALLOC_H

#include <stddef.h>
#include <stdbool.h>

void *nhir_malloc(size_t n);
void *nhir_calloc(size_t nr, size_t size);
void *nhir_realloc(void *p, size_t n);
void nhir_free(void *p);
/* Returns an owned copy of s (or of its first n bytes, NUL-terminated). */
char *nhir_strdup(const char *s);
char *nhir_strndup(const char *s, size_t n);

/* Overflow-checked size arithmetic: false on overflow. */
static inline bool nhir_st_add(size_t a, size_t b, size_t *out)
{
	return !__builtin_add_overflow(a, b, out);
}

static inline bool nhir_st_mult(size_t a, size_t b, size_t *out)
{
	return !__builtin_mul_overflow(a, b, out);
}

/*
 * Fault injection for tests: the k-th allocation from now on (1-based)
 * and every one after it fail, until nhir_alloc_fail_at(0).
 */
void nhir_alloc_fail_at(unsigned long k);
unsigned long nhir_alloc_count(void);

/*
 * Grows arr (of nr used, alloc capacity) to hold at least want elements.
 * Evaluates to 0 on success, -1 on overflow or out of memory; arr is
 * unchanged on failure.
 */
int nhir_alloc_grow(void **arr, size_t want, size_t *alloc, size_t elsize);
#define NHIR_ALLOC_GROW(arr, want, alloc) \
	nhir_alloc_grow((void **)&(arr), (want), &(alloc), sizeof(*(arr)))

#define NHIR_FREE_AND_NULL(p) do { nhir_free(p); (p) = NULL; } while (0)

#endif
