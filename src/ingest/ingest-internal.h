/*
 * What importers use to emit records and report problems.  Offsets are
 * byte offsets into the input given to the importer's run().
 */
#ifndef NHIR_INGEST_INTERNAL_H
#define NHIR_INGEST_INTERNAL_H

#include "nhir/ingest.h"

struct deferred_edge;

struct nhir_import {
	const char *data;
	size_t len;
	const struct nhir_import_opts *opts;
	const struct nhir_import_sink *sink;
	struct nhir_import_result *res;
	/* edges whose endpoints were not known yet, retried at the end */
	struct deferred_edge *deferred;
	size_t deferred_nr, deferred_alloc;
	/* a failure that is not the input's fault stops the run */
	enum nhir_rc hard_rc;
	struct nhir_err hard_err;
};

/* Emit a node or an edge found at offset off.  Return false to stop. */
bool nhir_import_node(struct nhir_import *imp,
		      const struct nhir_node_rec *rec, size_t off);
bool nhir_import_edge(struct nhir_import *imp,
		      const struct nhir_edge_rec *rec, size_t off);
/* An error in the input at off: the record is rejected. */
void nhir_import_error(struct nhir_import *imp, size_t off,
		       const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Something skipped on purpose (partial data, unsupported element). */
void nhir_import_warn(struct nhir_import *imp, size_t off,
		      const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* True once the run must stop (hard failure). */
bool nhir_import_stopped(const struct nhir_import *imp);
/* Records an out-of-memory hard failure. */
void nhir_import_oom(struct nhir_import *imp);

extern const struct nhir_importer nhir_importer_native;
extern const struct nhir_importer nhir_importer_aws_authz;
extern const struct nhir_importer nhir_importer_aws_credreport;
extern const struct nhir_importer nhir_importer_k8s_rbac;

#endif
