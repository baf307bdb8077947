/*
 * A literal multi-pattern scanner: finds where any of a set of byte
 * strings (credential ids) first occurs in a buffer, without parsing
 * it.  One literal is searched with memmem; several with memchr on the
 * rarest byte they all have at one offset, else a byte-table pass, each
 * candidate checked with one hash lookup.
 */
#ifndef NHIR_INGEST_LITSCAN_H
#define NHIR_INGEST_LITSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include "nhir/error.h"

#define NHIR_LITSCAN_MAX_LEN 1024	/* longest literal */

struct nhir_litscan;

/* A scanner with no literals (matches nothing); NULL if out of memory. */
struct nhir_litscan *nhir_litscan_new(void);
void nhir_litscan_free(struct nhir_litscan *ls);
/*
 * Adds a copy of the literal lit[0..len).  An empty or overlong literal
 * is NHIR_EINVAL; a literal already present is ignored.
 */
enum nhir_rc nhir_litscan_add(struct nhir_litscan *ls, const char *lit,
			      size_t len, struct nhir_err *err);
size_t nhir_litscan_count(const struct nhir_litscan *ls);
/* The i-th literal added (NUL-terminated), borrowed. */
const char *nhir_litscan_key(const struct nhir_litscan *ls, size_t i);
/* True if lit is one of the literals. */
bool nhir_litscan_has(const struct nhir_litscan *ls, const char *lit,
		      size_t len);
/*
 * The offset in data of the first occurrence of any literal, or
 * SIZE_MAX; *which (when not NULL) is the index of the literal found
 * (in order of addition).
 */
size_t nhir_litscan_find(const struct nhir_litscan *ls, const char *data,
			 size_t len, size_t *which);
/*
 * True (the default): candidates are tested thirty-two at a time where
 * the processor has AVX2; tests set it false to try sixteen at a time.
 */
extern bool nhir_litscan_avx2;

#endif
