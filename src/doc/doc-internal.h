/*
 * Building documents (include/nhir/doc.h): a struct doc carries the
 * tree and one sticky out-of-memory flag, so that a serializer adds its
 * members in order and checks once at the end.  Every adder accepts a
 * NULL parent (an earlier add failed) and then only keeps the flag set.
 * A parent that is an array gets the value appended; name is ignored.
 */
#ifndef NHIR_DOC_INTERNAL_H
#define NHIR_DOC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "nhir/doc.h"
#include "nhir/view.h"

struct doc {
	cJSON *root;		/* {"version": NHIR_DOC_VERSION, ...} */
	bool oom;
};

/* A new document with "version" first; false when out of memory. */
bool doc_init(struct doc *d);
/* Hands the document to *out, or frees it and says why not. */
enum nhir_rc doc_finish(struct doc *d, cJSON **out, struct nhir_err *err);
/* Frees a document abandoned after rc, and passes rc on. */
enum nhir_rc doc_fail(struct doc *d, enum nhir_rc rc);

/* Adds item to parent under name (or appends it); item on success. */
cJSON *doc_add(struct doc *d, cJSON *parent, const char *name, cJSON *item);
cJSON *doc_obj(struct doc *d, cJSON *parent, const char *name);
cJSON *doc_arr(struct doc *d, cJSON *parent, const char *name);
/* A string, or null for NULL. */
void doc_str(struct doc *d, cJSON *o, const char *name, const char *s);
/* A string of at most len bytes. */
void doc_strn(struct doc *d, cJSON *o, const char *name, const char *s,
	      size_t len);
void doc_num(struct doc *d, cJSON *o, const char *name, int64_t v);
void doc_u64(struct doc *d, cJSON *o, const char *name, uint64_t v);
void doc_dbl(struct doc *d, cJSON *o, const char *name, double v);
void doc_bool(struct doc *d, cJSON *o, const char *name, bool v);
void doc_null(struct doc *d, cJSON *o, const char *name);
/* An ISO 8601 time, or null when NHIR_TIME_UNSET or NHIR_TIME_NEVER. */
void doc_time(struct doc *d, cJSON *o, const char *name, int64_t t);
/*
 * JSON text as it is (stored attributes, which the store keeps as
 * valid JSON): printed byte for byte; NULL: null.
 */
void doc_raw(struct doc *d, cJSON *o, const char *name, const char *json);
/* A copy of a parsed JSON value (NULL: null). */
void doc_json(struct doc *d, cJSON *o, const char *name, const cJSON *v);

/* A blast result read back (nhir/view.h). */
struct view_label {
	bool loaded;
	struct nhir_node node;
	bool edge_loaded;
	cJSON *edge;		/* attributes of the edge that reached it */
};

/* An edge leaving the node whose edges were read last. */
struct view_edge {
	int64_t dst;
	enum nhir_edge_kind kind;
	char *attrs;		/* as stored; NULL: none */
};

struct nhir_blast_view {
	struct nhir_store *st;
	const struct nhir_graph *g;
	const struct nhir_blast *b;
	int64_t at;
	struct view_label *labels;	/* by item index */
	bool *parents;			/* items some item was reached from */
	/*
	 * The edges leaving one node, read once for all the items reached
	 * from it (a walk lists a node's children one after another).
	 */
	int64_t out_of;			/* 0: none read */
	struct view_edge *out;
	size_t out_nr, out_alloc;
};

#endif
