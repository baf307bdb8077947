/*
 * struct nhir_buf: owned, growable, NUL-terminated bytes with a hard cap.
 *
 * Invariants: buf is never NULL and buf[len] == 0.  Appends return void;
 * a failure (out of memory, or growing past max) is sticky in err and
 * later appends do nothing, so check err once after a run of appends.
 * nhir_buf_detach() is the only way to take the bytes.
 */
#ifndef NHIR_BUF_H
#define NHIR_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include "error.h"

struct nhir_buf {
	char *buf;
	size_t len;
	size_t alloc;
	size_t max;		/* hard cap on len; 0 means NHIR_BUF_MAX_DEFAULT */
	enum nhir_rc err;	/* sticky: NHIR_ENOMEM or NHIR_ETOOBIG */
};

#define NHIR_BUF_MAX_DEFAULT ((size_t)1 << 30)

extern char nhir_buf_empty[];
#define NHIR_BUF_INIT(m) { nhir_buf_empty, 0, 0, (m), NHIR_OK }

void nhir_buf_init(struct nhir_buf *b, size_t max);
/* Frees the contents; b is left as after nhir_buf_init with the same max. */
void nhir_buf_release(struct nhir_buf *b);
/* Empties b but keeps its memory and clears a sticky error. */
void nhir_buf_reset(struct nhir_buf *b);
/* Returns owned bytes (never NULL on success; NULL after an error). */
char *nhir_buf_detach(struct nhir_buf *b, size_t *len);

void nhir_buf_add(struct nhir_buf *b, const void *data, size_t len);
void nhir_buf_adds(struct nhir_buf *b, const char *s);
void nhir_buf_addch(struct nhir_buf *b, char c);
void nhir_buf_addf(struct nhir_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void nhir_buf_vaddf(struct nhir_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Appends s as a JSON string literal, quotes included, escaping as needed. */
void nhir_buf_add_json_str(struct nhir_buf *b, const char *s, size_t len);

#endif
