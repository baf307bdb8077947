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
#include <stdint.h>
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
 * Where the literals of a scanner may start in a buffer: every place
 * with the bytes they all share at up to three offsets (the 'A', 'I',
 * 'A' of "AKIA" and "ASIA"), found in one pass.  A scanner whose
 * literals all have those bytes there (the one it was made for, and
 * any it grows into or that takes some of its keys) then finds its
 * literals in the buffer by looking at those places only: a few per
 * kilobyte of JSON logs instead of every byte.
 */
struct nhir_litscan_index {
	int off[3];		/* the offsets tested, or off[0] -1: none */
	unsigned char byte[3];	/* the bytes they must hold */
	uint32_t *at;		/* the places, in order */
	size_t nr, alloc;
	bool whole;		/* every place is listed (else not usable) */
};

/*
 * Lists in ix the places of data[0..len) that may start a literal of
 * ls; ix->whole false when it could not (no shared bytes, a buffer of
 * 4 GB or more, too many places, out of memory): finds with it then
 * search the bytes.  ix is reused: its memory is kept.
 */
void nhir_litscan_index(const struct nhir_litscan *ls, const char *data,
			size_t len, struct nhir_litscan_index *ix);
void nhir_litscan_index_release(struct nhir_litscan_index *ix);
/*
 * What from + nhir_litscan_find(ls, data + from, len - from, which)
 * returns (SIZE_MAX stays SIZE_MAX), data being (a prefix of) the
 * buffer ix was made from, by looking only at its places when every
 * literal of ls has the bytes ix tests.
 */
size_t nhir_litscan_find_from(const struct nhir_litscan *ls,
			      const struct nhir_litscan_index *ix,
			      const char *data, size_t len, size_t from,
			      size_t *which);
/*
 * What an indexed buffer may hold, in a few bytes per place: the
 * strings of NHIR_LITSCAN_PRINT bytes that start at its places, in a
 * Bloom filter.  Kept after the buffer is gone, it says that a buffer
 * cannot hold any of a set of literals without searching it again.
 */
#define NHIR_LITSCAN_PRINT 20

struct nhir_litscan_prints {
	int off[3];		/* the index's offsets and bytes */
	unsigned char byte[3];
	uint64_t *bits;
	size_t words;		/* a power of two, or 0: no prints */
	size_t len;		/* of the buffer */
};

/*
 * The prints of data[0..len) from its index ix (which must be whole),
 * in at most max bytes; false (and no prints) when they would be
 * larger, or out of memory.  pr is released first.
 */
bool nhir_litscan_prints_make(const struct nhir_litscan_index *ix,
			      const char *data, size_t len, size_t max,
			      struct nhir_litscan_prints *pr);
/*
 * False when the buffer pr was made from holds none of the literals of
 * ls (it cannot hold one of them); true when it may, or when pr cannot
 * tell (no prints, a literal shorter than NHIR_LITSCAN_PRINT or
 * without the bytes its index tests).
 */
bool nhir_litscan_prints_may(const struct nhir_litscan_prints *pr,
			     const struct nhir_litscan *ls);
void nhir_litscan_prints_release(struct nhir_litscan_prints *pr);

/*
 * True (the default): candidates are tested thirty-two at a time where
 * the processor has AVX2; tests set it false to try sixteen at a time.
 */
extern bool nhir_litscan_avx2;

#endif
