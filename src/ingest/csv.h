/*
 * A CSV reader (RFC 4180: quoted fields, doubled quotes, CRLF or LF) that
 * yields rows of borrowed-or-unescaped fields with their byte offsets.
 */
#ifndef NHIR_INGEST_CSV_H
#define NHIR_INGEST_CSV_H

#include <stddef.h>
#include "nhir/buf.h"
#include "nhir/error.h"

#define NHIR_CSV_MAX_FIELDS 256

struct nhir_csv {
	const char *data;
	size_t len, pos;
	unsigned line;		/* line of the row just read, 1-based */
	size_t row_off;		/* offset of the row just read */
	/* the row: fields point into buf (NUL-terminated each) */
	struct nhir_buf buf;
	size_t field_off[NHIR_CSV_MAX_FIELDS];
	const char *field[NHIR_CSV_MAX_FIELDS];
	size_t nr;
};

void nhir_csv_init(struct nhir_csv *c, const char *data, size_t len);
void nhir_csv_release(struct nhir_csv *c);
/*
 * Reads the next row.  Returns 1 for a row, 0 at the end, or -1 with
 * err and *bad_off set on malformed input (unterminated quote, too many
 * fields, a row longer than NHIR_MAX_RECORD_LEN).
 */
int nhir_csv_next(struct nhir_csv *c, size_t *bad_off, struct nhir_err *err);

#endif
