/*
 * Structural JSON scanning: find the byte spans of values without
 * building them, so that each record of a large document can be parsed
 * alone (with cJSON) and every error can name its byte offset.
 */
#ifndef NHIR_INGEST_JSON_H
#define NHIR_INGEST_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "nhir/buf.h"
#include "nhir/error.h"

struct nhir_json_span {
	const char *key;	/* member name (raw, unescaped) or NULL */
	size_t key_len;
	size_t off, len;	/* of the value, relative to the scan base */
};

/* Return non-zero to stop early. */
typedef int (*nhir_json_cb)(void *ctx, const struct nhir_json_span *sp);

/*
 * Calls cb for each top-level value in data (one for a document, one per
 * line for JSON Lines).  On malformed structure returns NHIR_EPARSE with
 * *bad_off set to the offset of the problem.
 */
enum nhir_rc nhir_json_values(const char *data, size_t len, nhir_json_cb cb,
			      void *ctx, size_t *bad_off,
			      struct nhir_err *err);
/*
 * Calls cb for each member of the object (or element of the array) that
 * starts at data + off.  Offsets in spans are relative to data.
 */
enum nhir_rc nhir_json_children(const char *data, size_t len, size_t off,
				nhir_json_cb cb, void *ctx, size_t *bad_off,
				struct nhir_err *err);

/*
 * Finds the end of the value starting at data + off (whitespace first is
 * skipped): NHIR_JSON_COMPLETE with *end set; NHIR_JSON_MORE when data
 * ends inside it (read more and call again); NHIR_JSON_BAD with
 * *bad_off and err set.
 */
enum nhir_json_end {
	NHIR_JSON_COMPLETE,
	NHIR_JSON_MORE,
	NHIR_JSON_BAD,
};
/*
 * True (the default): a well-formed object or array is crossed 64
 * bytes at a time where the processor allows (json.c).  Tests set it
 * false to compare with the careful byte-by-byte way.
 */
extern bool nhir_json_wide;
/*
 * True (the default): that way goes 32 bytes a step where the
 * processor has AVX2; tests set it false to try the 16-byte way too.
 */
extern bool nhir_json_avx2;

enum nhir_json_end nhir_json_value_end(const char *data, size_t len,
				       size_t off, size_t *end,
				       size_t *bad_off, struct nhir_err *err);

/*
 * cJSON allocates through the library allocator, like everything else.
 * Call once before using cJSON (idempotent).
 */
void nhir_json_init(void);

/*
 * A per-thread arena for parsing one record at a time: between begin and
 * end, cJSON's allocations are bumps in one block and its frees are
 * nothing; end drops everything allocated since begin, so every tree
 * parsed in between must be gone by then.  Ingest parses a million
 * records a gigabyte, and malloc and free of their nodes cost more than
 * the parse.
 */
void nhir_json_arena_begin(void);
void nhir_json_arena_end(void);
/* Frees this thread's arena (a thread that parsed, before it ends). */
void nhir_json_arena_free(void);

/*
 * Parses one value with cJSON after replacing invalid UTF-8 (counted in
 * *replaced, which may be NULL).  On failure returns NULL with *bad_off
 * set.  A NUL character in a string (a \u0000 escape, or a raw zero
 * byte) is a failure at its offset: a C string would end there and
 * silently lose the rest.
 */
cJSON *nhir_json_parse(const char *p, size_t len, size_t *bad_off,
		       uint64_t *replaced);
/* The offset of the first \u0000 escape or zero byte in p, or len. */
size_t nhir_json_nul(const char *p, size_t len);
/*
 * Why nhir_json_parse(p, len) failed at bad: "a NUL character (\u0000)
 * in a string" or "malformed JSON".
 */
const char *nhir_json_why(const char *p, size_t len, size_t bad);

/*
 * A number of seconds (or milliseconds, scale 1000) since the epoch as
 * a time, if it is one: between 1970 and 9999.  Converting an out of
 * range double is undefined behaviour, so every importer goes through
 * this.
 */
static inline bool nhir_json_epoch(double v, double scale, int64_t *out)
{
	double s = v / scale;

	if (!(s >= 0 && s < 253402300800.0))
		return false;
	*out = (int64_t)s;
	return true;
}

/* Typed access; NULL when absent or of another type. */
const char *nhir_json_str(const cJSON *obj, const char *key);
const cJSON *nhir_json_arr(const cJSON *obj, const char *key);
const cJSON *nhir_json_obj(const cJSON *obj, const char *key);

/* Writes the JSON text of o (compact) into buf (reset first). */
void nhir_json_print(struct nhir_buf *buf, const cJSON *o);

/*
 * Counts bytes of invalid UTF-8 in s; if any, writes a copy with each
 * bad sequence replaced by U+FFFD to out and returns the count.
 */
size_t nhir_utf8_fix(const char *s, size_t len, struct nhir_buf *out);

#endif
