/*
 * Text that is safe to put in front of a person: strings that came from
 * an incident (a userAgent sent with a stolen key, a scanner's file path,
 * a title) may hold escape sequences that clear a terminal, retitle a
 * window or forge a line of output.  These functions show every such
 * character as a visible escape instead:
 *
 *   \n \r \t            newline, carriage return, tab
 *   \xNN                any other C0 control (ESC is \x1b), DEL, and
 *                       each byte that is not part of valid UTF-8
 *   \uNNNN              C1 controls sent as UTF-8 (U+0080-U+009F),
 *                       bidirectional controls (U+061C, U+200E, U+200F,
 *                       U+202A-U+202E, U+2066-U+2069) and the line and
 *                       paragraph separators U+2028, U+2029
 *
 * Everything else, valid UTF-8 included, is copied unchanged; a
 * backslash is not doubled, so the text "\x1b" and an escaped ESC look
 * alike (JSON output is exact where that matters).
 */
#ifndef NHIR_VISIBLE_H
#define NHIR_VISIBLE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include "buf.h"

/* Appends s[0..len) to b with control characters escaped (see above). */
void nhir_buf_add_visible(struct nhir_buf *b, const char *s, size_t len);

/* True when s[0..len) would be changed by nhir_buf_add_visible. */
bool nhir_needs_escape(const char *s, size_t len);

/*
 * Tells nhir_buf_vaddf_visible that a %s argument is trusted program
 * text (a colour sequence) to copy as it is.  Borrows s.
 */
typedef bool (*nhir_verbatim_fn)(const char *s);

/*
 * Like nhir_buf_vaddf, but each %s and %c argument goes through
 * nhir_buf_add_visible (a precision on %s counts bytes of the argument,
 * so "%.*s" of a view works; a width pads the escaped text).  A %s
 * argument for which verbatim (may be NULL) returns true is copied as
 * it is.  The format itself is trusted and copied unchanged.  %n is
 * refused (b->err becomes NHIR_EINVAL).
 */
void nhir_buf_vaddf_visible(struct nhir_buf *b, nhir_verbatim_fn verbatim,
			    const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
void nhir_buf_addf_visible(struct nhir_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
