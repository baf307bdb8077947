/*
 * The compact in-memory graph: nodes by dense index, forward edges in CSR
 * arrays, and a reverse index of the edge kinds that are walked backwards
 * (uses, caches, owns, stored_in, authenticates).  It is one contiguous image, so it can
 * be written to a file and mapped back without parsing.
 *
 * A graph is immutable once built and may be shared between threads.
 */
#ifndef NHIR_GRAPH_H
#define NHIR_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "model.h"

/* Edge info bits (uint16_t): kind, privilege, cascade, validity. */
#define NHIR_EI_KIND(i) ((enum nhir_edge_kind)((i) & 0xf))
#define NHIR_EI_PRIV(i) ((enum nhir_priv)(((i) >> 4) & 0x3))
#define NHIR_EI_CASCADE(i) ((enum nhir_cascade)(((i) >> 6) & 0x3))
#define NHIR_EI_TIMED 0x100
#define NHIR_EI_MAKE(k, p, c) \
	((uint16_t)((k) | ((p) << 4) | ((c) << 6)))

/* Node flags (uint8_t). */
#define NHIR_NF_DISABLED 0x1
#define NHIR_NF_TIMED 0x2	/* has created or expires: check validity */
#define NHIR_NF_REV 0x4		/* has reverse-indexed edges */
#define NHIR_NF_ENDS 0x8	/* has end intervals: see nhir_graph_ended */

struct nhir_graph {
	uint32_t node_nr;
	uint64_t edge_nr;	/* forward edges */
	uint64_t timed_nr;	/* edges with a validity window */
	uint64_t rev_nr;	/* reverse-indexed edges */
	uint64_t end_nr;	/* end intervals */
	uint64_t tag[4];	/* set by the store: what the image reflects */

	const int64_t *node_id;		/* store id, ascending */
	const uint8_t *node_kind;
	const uint8_t *node_flags;
	const int64_t *node_created;	/* NHIR_TIME_UNSET if unknown */
	const int64_t *node_expires;	/* NHIR_TIME_NEVER if none */

	const uint64_t *out_off;	/* node_nr + 1 */
	const uint32_t *out_dst;
	const uint16_t *out_info;

	const uint64_t *timed_pos;	/* sorted forward edge positions */
	const int64_t *timed_created;
	const int64_t *timed_expires;

	const uint64_t *rev_off;	/* node_nr + 1 */
	const uint32_t *rev_src;
	const uint32_t *rev_fwd;	/* forward position of the edge */

	/*
	 * End intervals from logged end facts, by node then start: node
	 * end_node[i] was ended from end_from[i] until end_until[i]
	 * (NHIR_TIME_NEVER: for good) by the store's end fact end_fact[i].
	 */
	const uint32_t *end_node;
	const int64_t *end_from;
	const int64_t *end_until;
	const int64_t *end_fact;

	/* private */
	void *image;
	size_t image_len;
	void (*release)(void *image, size_t len);
};

/* Frees g and its image.  Accepts NULL. */
void nhir_graph_free(struct nhir_graph *g);

/* Index of store id, or UINT32_MAX if it is not in the graph. */
uint32_t nhir_graph_find(const struct nhir_graph *g, int64_t id);

/* The validity window of forward edge at position pos. */
void nhir_graph_edge_window(const struct nhir_graph *g, uint64_t pos,
			    int64_t *created, int64_t *expires);

/*
 * Was node n ended by a logged fact at time at?  If so, *since (may be
 * NULL) is when that interval began and *fact (may be NULL) the store's
 * end fact id (nhir_store_get_end); the earliest such interval wins.
 */
bool nhir_graph_ended(const struct nhir_graph *g, uint32_t n, int64_t at,
		      int64_t *since, int64_t *fact);

/*
 * How to name the node (store id) whose end fact ended another with it:
 * "its identity " for an identity (a deleted user's keys), else "its
 * issuer " (what a revoked token issued).
 */
const char *nhir_end_whose(const struct nhir_graph *g, int64_t node);

/*
 * Building.  Add every node (in ascending id order), then every edge (any
 * order), then finish.  The builder borrows nothing; on error it must
 * still be released.
 */
struct nhir_graph_builder;
enum nhir_rc nhir_graph_builder_new(struct nhir_graph_builder **out,
				    uint64_t node_hint, uint64_t edge_hint,
				    struct nhir_err *err);
enum nhir_rc nhir_graph_builder_node(struct nhir_graph_builder *b,
				     int64_t id, enum nhir_node_kind kind,
				     uint8_t flags, int64_t created,
				     int64_t expires, struct nhir_err *err);
enum nhir_rc nhir_graph_builder_edge(struct nhir_graph_builder *b,
				     int64_t src, int64_t dst,
				     uint16_t info, int64_t created,
				     int64_t expires, struct nhir_err *err);
/*
 * An end interval of node id (any order, after the nodes); an interval
 * of a node not added is dropped.
 */
enum nhir_rc nhir_graph_builder_end(struct nhir_graph_builder *b,
				    int64_t id, int64_t from, int64_t until,
				    int64_t fact, struct nhir_err *err);
/* Produces the graph (owned by the caller) and frees the builder. */
enum nhir_rc nhir_graph_builder_finish(struct nhir_graph_builder *b,
				       const uint64_t tag[4],
				       struct nhir_graph **out,
				       struct nhir_err *err);
void nhir_graph_builder_free(struct nhir_graph_builder *b);

/*
 * Attaches a graph to an image made by nhir_graph_builder_finish (for
 * example, mapped from a file).  Validates the header, the checksum of
 * the whole image and every array bound; returns NHIR_EPARSE on a
 * damaged image.  release (may be NULL)
 * is called on the image by nhir_graph_free.
 */
enum nhir_rc nhir_graph_attach(void *image, size_t len,
			       void (*release)(void *, size_t),
			       struct nhir_graph **out, struct nhir_err *err);

#endif
