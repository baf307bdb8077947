/*
 * Blast radius: "if these nodes are compromised, what is in scope?"
 *
 * A breadth-first walk over the compact graph from the seeds, at a point
 * in time.  Forward edges give what a holder of the seeds can reach:
 * derived tokens (issued), identities (authenticates, assumes,
 * delegates, escalates), resources with privileges (can, escalates),
 * grants, and places where copies of a secret live (stored_in).  A seed
 * that is an identity also exposes the keys and sessions that act as it
 * (its authenticates edges, walked backwards), and so what they minted
 * and created.  Reverse edges then answer who
 * breaks (workloads that use an in-scope credential), which caches hold
 * an in-scope token or grant, and whom to call (owners).  Every item keeps
 * its parent, so the path from a seed can be printed.
 *
 * What has expired or was ended by a logged event (deleted, deactivated,
 * its sessions revoked) at 'at' is not live: it is listed as history and
 * the walk goes through it only along issued and created edges, to what
 * it minted or created, which may still be live (a key created by a
 * session that has since expired).
 */
#ifndef NHIR_BLAST_H
#define NHIR_BLAST_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "graph.h"

enum nhir_blast_group {
	NHIR_BG_SEED = 0,
	NHIR_BG_TOKEN,		/* live derived tokens */
	NHIR_BG_PERSISTENCE,	/* keys, users, roles the seeds created */
	NHIR_BG_CREDENTIAL,	/* other credentials exposed */
	NHIR_BG_IDENTITY,
	NHIR_BG_RESOURCE,	/* with the strongest privilege reachable */
	NHIR_BG_GRANT,
	NHIR_BG_STORE,		/* where copies of a secret live */
	NHIR_BG_CACHE,		/* holders of an in-scope token or grant */
	NHIR_BG_WORKLOAD,	/* who breaks */
	NHIR_BG_OWNER,		/* who to call */
	NHIR_BG_ENDED,		/* expired or ended: history, not live */
	NHIR_BG_NR
};

/* Item flags. */
#define NHIR_BI_SUSPECT 0x01	/* minted at or after the exposure time */
#define NHIR_BI_SURVIVES 0x02	/* not killed by revoking its parent */
#define NHIR_BI_CASCADE_UNKNOWN 0x04
#define NHIR_BI_INACTIVE 0x08	/* disabled: reached, not expanded */
#define NHIR_BI_REVERSE 0x10	/* reached against the edge direction */
#define NHIR_BI_NOT_VALID 0x20	/* a seed that is not valid at 'at' */
#define NHIR_BI_DEPTH_LIMIT 0x40	/* not expanded: --depth reached */
/*
 * Expired, or ended by a logged event (nhir_graph_ended), at 'at'.  It
 * reaches nothing any more, but what it minted or created may live on:
 * only its issued and created edges are followed.  Such items are in
 * NHIR_BG_ENDED, except seeds.
 */
#define NHIR_BI_ENDED 0x80

#define NHIR_BLAST_NO_PARENT UINT32_MAX

struct nhir_blast_item {
	uint32_t node;		/* graph index */
	uint32_t parent;	/* item index, or NHIR_BLAST_NO_PARENT */
	uint8_t via;		/* enum nhir_edge_kind from the parent */
	uint8_t priv;		/* privilege of via; for resources the max */
	uint8_t flags;
	uint8_t group;		/* enum nhir_blast_group */
	uint32_t depth;
	int64_t expires;	/* when it stops on its own; NHIR_TIME_NEVER */
};

struct nhir_blast_opts {
	int64_t at;		/* evaluate validity at this time */
	int64_t exposed_at;	/* NHIR_TIME_UNSET if unknown */
	uint32_t max_depth;	/* 0: unlimited */
};

struct nhir_blast {
	struct nhir_blast_item *items;
	size_t nr, alloc;
	size_t group_nr[NHIR_BG_NR];
	/* items indexes ordered by group, then privilege, then depth */
	uint32_t *order;
	uint64_t skipped_invalid;	/* edges or nodes not valid at 'at' */
};

#define NHIR_BLAST_INIT { NULL, 0, 0, { 0 }, NULL, 0 }

/*
 * Computes the blast radius of seeds (graph indexes) into *out, which
 * must be NHIR_BLAST_INIT or released.  Returns NHIR_ENOMEM or NHIR_EINVAL.
 */
enum nhir_rc nhir_blast_run(const struct nhir_graph *g,
			    const uint32_t *seeds, size_t seed_nr,
			    const struct nhir_blast_opts *opts,
			    struct nhir_blast *out, struct nhir_err *err);
void nhir_blast_release(struct nhir_blast *b);
const char *nhir_blast_group_name(enum nhir_blast_group grp);
const char *nhir_blast_group_title(enum nhir_blast_group grp);

#endif
