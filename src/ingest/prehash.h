/*
 * The SHA-256 of the next file of a directory, taken on a thread of its
 * own while the file before it is ingested (prehash.c).
 */
#ifndef NHIR_INGEST_PREHASH_H
#define NHIR_INGEST_PREHASH_H

#include <stdint.h>
#include "nhir/error.h"

struct nhir_prehash;

/* The SHA-256 of the file's bytes as stored (compressed or not), hex. */
enum nhir_rc nhir_file_sha(const char *path, char hex[65], uint64_t *size,
			   struct nhir_err *err);
/*
 * Starts hashing path (copied) unless a file is being hashed.  *p is
 * started on the first call; left NULL when it cannot be, which only
 * means nothing is hashed ahead.
 */
void nhir_prehash_post(struct nhir_prehash **p, const char *path);
/*
 * nhir_file_sha() of path: what was taken ahead if path was posted
 * (waiting for it to end), else taken now.  p may be NULL.
 */
enum nhir_rc nhir_prehash_take(struct nhir_prehash *p, const char *path,
			       char hex[65], uint64_t *size,
			       struct nhir_err *err);
/* Stops the thread and frees p; NULL-safe. */
void nhir_prehash_free(struct nhir_prehash *p);

#endif
