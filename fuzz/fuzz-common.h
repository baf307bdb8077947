/*
 * Shared body of the importer fuzz targets: run one importer over the
 * input into a sink that keeps nothing but checks every record it gets.
 */
#ifndef NHIR_FUZZ_COMMON_H
#define NHIR_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "nhir/nhir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum nhir_rc fuzz_node(void *ctx, const struct nhir_node_rec *r,
			      enum nhir_put *res, struct nhir_err *err)
{
	(void)ctx;
	(void)err;
	if (!r->ext_id || !*r->ext_id || r->kind <= NHIR_NODE_NONE ||
	    r->kind >= NHIR_NODE_KIND_NR)
		abort();
	*res = NHIR_PUT_ADDED;
	return NHIR_OK;
}

static enum nhir_rc fuzz_edge(void *ctx, const struct nhir_edge_rec *r,
			      enum nhir_put *res, struct nhir_err *err)
{
	(void)ctx;
	if (!r->src || !r->dst || r->kind <= NHIR_EDGE_NONE ||
	    r->kind >= NHIR_EDGE_KIND_NR)
		abort();
	/* every other edge names an unknown node: exercises deferral */
	if (strlen(r->src) % 2)
		return nhir_err_set(err, NHIR_ENOTFOUND, "unknown '%s'",
				    r->src);
	*res = NHIR_PUT_ADDED;
	return NHIR_OK;
}

static inline int fuzz_importer(const char *name, const uint8_t *data, size_t size)
{
	const struct nhir_importer *imp = nhir_importer_find(name);
	struct nhir_import_sink sink = { fuzz_node, fuzz_edge, NULL };
	struct nhir_import_result res;
	struct nhir_import_opts opts = { "fuzz", NULL, NULL };
	struct nhir_err err = NHIR_ERR_INIT;
	enum nhir_rc rc;

	if (!imp)
		abort();
	rc = nhir_import_run(imp, (const char *)data, size, &opts, &sink, &res,
			     &err);
	if (rc != NHIR_OK && rc != NHIR_EPARSE && rc != NHIR_ETOOBIG)
		abort();
	if (rc == NHIR_EPARSE && !res.rejected)
		abort();
	for (size_t i = 0; i < res.error_nr; i++)
		if (res.errors[i].off > size || !res.errors[i].line)
			abort();
	return 0;
}

/* Telemetry formats: parse the input as a log file, without a store. */
static inline int fuzz_telemetry(const char *name, const uint8_t *data, size_t size)
{
	const struct nhir_tele_format *f = nhir_tele_find(name);
	struct nhir_err err = NHIR_ERR_INIT;
	uint64_t events = 0, malformed = 0;
	enum nhir_rc rc;

	if (!f)
		abort();
	rc = nhir_tele_parse_buffer(f, (const char *)data, size, &events,
				    &malformed, &err);
	if (rc != NHIR_OK && rc != NHIR_EPARSE && rc != NHIR_ETOOBIG &&
	    rc != NHIR_EIO)
		abort();
	if (rc && !err.msg[0])
		abort();
	return 0;
}

/* Scanner reports: every sighting handed over must be usable. */
static int fuzz_sighting(const struct nhir_sighting *s, void *data)
{
	(void)data;
	if (!s->secret || !s->secret_len || (!s->file && !s->repo) ||
	    memchr(s->secret, 0, s->secret_len) == s->secret)
		abort();
	return 0;
}

static inline int fuzz_report(const char *name, const uint8_t *data,
			      size_t size)
{
	const struct nhir_scanner_format *f = nhir_scanner_find(name);
	struct nhir_scanner_stats st;
	struct nhir_err err = NHIR_ERR_INIT;
	char preview[96];
	enum nhir_rc rc;

	if (!f)
		abort();
	memset(&st, 0, sizeof(st));
	rc = f->parse((const char *)data, size, fuzz_sighting, NULL, &st, &err);
	if (rc != NHIR_OK && rc != NHIR_EPARSE)
		abort();
	if (rc && !err.msg[0])
		abort();
	for (size_t i = 0; i < st.problem_nr; i++)
		if (st.problems[i].off > size || !st.problems[i].line)
			abort();
	/* previews never carry more than a few characters of the input */
	nhir_secret_preview((const char *)data, size, preview, sizeof(preview));
	if (size >= 16 && strlen(preview) > 40)
		abort();
	return 0;
}

#endif
