/*
 * Results read back for display.  A blast walk (nhir/blast.h) gives
 * bare items: graph indexes, flags, parents.  A view of it loads, as
 * they are asked for, the nodes and edges those stand for, and says
 * what the items alone do not: how an item that is no longer live
 * ended, and what nhir did not evaluate on the path that put it in
 * scope.  The text of nhir blast and the blast document (nhir/doc.h)
 * are both made from one.
 */
#ifndef NHIR_VIEW_H
#define NHIR_VIEW_H

#include <stdbool.h>
#include <stdint.h>
#include "blast.h"
#include "error.h"
#include "graph.h"
#include "store.h"

struct cJSON;
struct nhir_blast_view;

/* st, g and b must outlive the view; at is when validity is judged. */
enum nhir_rc nhir_blast_view_new(struct nhir_store *st,
				 const struct nhir_graph *g,
				 const struct nhir_blast *b, int64_t at,
				 struct nhir_blast_view **out,
				 struct nhir_err *err);
void nhir_blast_view_free(struct nhir_blast_view *v);

/* The node of item (only its id when it cannot be read). */
const struct nhir_node *nhir_blast_view_node(struct nhir_blast_view *v,
					     uint32_t item);
/* Its external id, or "?" when the node has none. */
const char *nhir_blast_view_ref(struct nhir_blast_view *v, uint32_t item);
/*
 * The attributes of the edge that put item in scope (what an escalation
 * used, what was not evaluated), or NULL.  The view's to free.
 */
const struct cJSON *nhir_blast_view_edge(struct nhir_blast_view *v,
					 uint32_t item);
/*
 * What nhir did not evaluate on the path to item (conditions, what the
 * importers said they could not know, whether a session acting as a
 * deleted identity still works): a new array of strings, or NULL.
 */
struct cJSON *nhir_blast_view_not_evaluated(struct nhir_blast_view *v,
					    uint32_t item);
/*
 * For an item no longer live at the view's time: 1 when a logged event
 * ended it (*e filled, to be released with nhir_node_end_release), 0
 * when it expired on its own, -1 when the item is live.
 */
int nhir_blast_view_end(struct nhir_blast_view *v, uint32_t item,
			struct nhir_node_end *e);
/*
 * A trust gate (doc/guide/escalation.md) that leads nowhere: the other
 * side of a cross-account trust is not imported, or does not admit the
 * caller.  Text leaves them out; the document lists them.
 */
bool nhir_blast_view_dead_gate(struct nhir_blast_view *v, uint32_t item);

#endif
