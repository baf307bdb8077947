/*
 * Importers: inventory formats turned into nodes and edges.
 *
 * An importer reads one input held in memory and emits normalized
 * records to a sink; it never talks to the database itself.  Errors in
 * the input are collected with their byte offset, line and column, and
 * the rest of the input is still read so that one run reports them all.
 * nhir_import_file() wraps a run in one store transaction: a file with
 * any error leaves the database exactly as it was.
 */
#ifndef NHIR_INGEST_H
#define NHIR_INGEST_H

#include <stddef.h>
#include <stdint.h>
#include "ctx.h"
#include "error.h"
#include "model.h"
#include "store.h"

/* Limits on inputs.  Each has a test. */
#define NHIR_MAX_JSON_DEPTH 256		/* nesting of arrays and objects */
#define NHIR_MAX_RECORD_LEN (16u << 20)	/* one JSON record or CSV row */
#define NHIR_MAX_INPUT_LEN ((size_t)2 << 30)	/* one inventory file */
#define NHIR_IMPORT_DIAG_MAX 10		/* diagnostics kept per kind */

struct nhir_import_diag {
	size_t off;		/* byte offset in the input */
	unsigned line, col;	/* 1-based */
	char msg[200];
};

struct nhir_import_result {
	uint64_t added, updated, unchanged;
	uint64_t rejected;	/* records with errors */
	uint64_t warnings;	/* things skipped on purpose, with reasons */
	uint64_t utf8_replaced;	/* invalid UTF-8 sequences replaced */
	struct nhir_import_diag errors[NHIR_IMPORT_DIAG_MAX];
	size_t error_nr;
	struct nhir_import_diag warns[NHIR_IMPORT_DIAG_MAX];
	size_t warn_nr;
	/* why the graph cache was not made again after the change ("": it
	   was, or nothing changed); the next read makes it */
	char graph_error[NHIR_ERR_MSG_MAX];
};

struct nhir_import_opts {
	const char *cluster;	/* k8s: cluster name for ids ("cluster") */
	const char *account;	/* aws credential report: account, if no ARN */
	/* nhir_import_file: what the file is recorded as, when its path is
	 * a spool (an upload); NULL: its path */
	const char *name;
};

/* Where records go.  Return NHIR_ENOTFOUND for an unknown edge endpoint. */
struct nhir_import_sink {
	enum nhir_rc (*node)(void *ctx, const struct nhir_node_rec *rec,
			     enum nhir_put *res, struct nhir_err *err);
	enum nhir_rc (*edge)(void *ctx, const struct nhir_edge_rec *rec,
			     enum nhir_put *res, struct nhir_err *err);
	void *ctx;
};

struct nhir_import;
struct nhir_importer {
	const char *name;	/* as typed: "nhir", "aws-authz", ... */
	const char *summary;
	/* Reads data and emits records through the nhir_import_* calls. */
	void (*run)(struct nhir_import *imp, const char *data, size_t len);
};

/* The importer called name, or NULL. */
const struct nhir_importer *nhir_importer_find(const char *name);
/* All importers, NULL-terminated. */
const struct nhir_importer *const *nhir_importers(void);

/*
 * Runs imp over data into sink.  Returns NHIR_OK when the input had no
 * errors, NHIR_EPARSE when it had some (see res), or the sink's error
 * when the sink failed for a reason other than the data (out of memory,
 * database failure), which stops the run.
 */
enum nhir_rc nhir_import_run(const struct nhir_importer *imp,
			     const char *data, size_t len,
			     const struct nhir_import_opts *opts,
			     const struct nhir_import_sink *sink,
			     struct nhir_import_result *res,
			     struct nhir_err *err);

/* A sink that writes into st (inside the caller's transaction). */
void nhir_import_store_sink(struct nhir_import_sink *sink,
			    struct nhir_store *st);

/*
 * Imports one file into st in one transaction and records the run
 * (format, path, SHA-256, counts, actor).  On NHIR_EPARSE the
 * transaction is rolled back and nothing of the file is stored.  A
 * change makes the graph cache again (nhir_store_graph_refresh).
 */
enum nhir_rc nhir_import_file(const struct nhir_ctx *ctx,
			      const struct nhir_importer *imp, const char *path,
			      const struct nhir_import_opts *opts,
			      struct nhir_import_result *res,
			      struct nhir_err *err);

/*
 * Telemetry: audit logs turned into events (with provenance) and into
 * the lineage they reveal (a session minted from a key, a key created
 * with another).  One file is one transaction; a file already ingested
 * (same SHA-256) is skipped whole.  A malformed record is skipped and
 * counted; a file that ends inside a record, is not of the format, or
 * holds a record over NHIR_MAX_RECORD_LEN is rolled back whole.
 */
struct nhir_tele_format;
const struct nhir_tele_format *nhir_tele_find(const char *name);
const char *nhir_tele_name(const struct nhir_tele_format *f);
const char *nhir_tele_summary(const struct nhir_tele_format *f);
/* All formats, NULL-terminated. */
const struct nhir_tele_format *const *nhir_tele_formats(void);

#define NHIR_INGEST_DIAG_MAX 10

struct nhir_ingest_diag {
	char path[256];
	uint64_t off;		/* byte offset, after decompression */
	char msg[200];
};

/* Called with every problem as it is found, when set. */
typedef void (*nhir_ingest_diag_cb)(const struct nhir_ingest_diag *d,
				    void *data);

struct nhir_ingest_result {
	uint64_t files;		/* ingested now */
	uint64_t files_seen;	/* skipped: ingested before */
	uint64_t files_failed;	/* rolled back */
	uint64_t files_skipped;	/* in a directory, not a log of the format */
	uint64_t digests_skipped; /* in a directory, digests of the logs */
	uint64_t bytes;		/* read, after decompression */
	uint64_t records, events;
	uint64_t malformed;	/* records skipped */
	uint64_t duplicates;	/* events stored by a run before this one */
	uint64_t dup_run;	/* events also in another file of this run */
	uint64_t repeated;	/* records repeated within their file */
	uint64_t lineage;	/* nodes and edges added or changed, kept */
	int64_t run_first;	/* the run's first file: calls with one res
				   are one run */
	/* problems: the first NHIR_INGEST_DIAG_MAX, and how many in all */
	struct nhir_ingest_diag diags[NHIR_INGEST_DIAG_MAX];
	size_t diag_nr;
	uint64_t diag_total;
	nhir_ingest_diag_cb on_diag;	/* set by the caller, or NULL */
	void *diag_data;
	/* as nhir_import_result's: the graph cache not made again */
	char graph_error[NHIR_ERR_MSG_MAX];
};

/*
 * Adds the counts of one run (from) to another (to): every counter, the
 * problems kept while there is room (diag_total counts them all), the
 * graph cache's error if from has one.  to's run_first and callbacks
 * stay.
 */
void nhir_ingest_result_add(struct nhir_ingest_result *to,
			    const struct nhir_ingest_result *from);

/* Called after each file, for progress. */
typedef void (*nhir_ingest_progress_cb)(const char *path,
					const struct nhir_ingest_result *r,
					void *data);

/*
 * Ingests path (a file, or a directory walked recursively in name
 * order; ".gz" files are read transparently) into st, adding to *res.
 * In a directory, a file that is not a log of fmt at all (a README) is
 * reported and skipped (res->files_skipped), a digest of the logs
 * (CloudTrail-Digest/) too but counted apart (res->digests_skipped), and
 * so is
 * a hidden entry (name starting with '.'), which is not read.  Returns
 * NHIR_OK, NHIR_EPARSE when some file was rolled back (see res->diags),
 * or an error that stopped the run.  Calls that share res are one run:
 * its duplicates tell the run's own files from earlier ones.  A call
 * that changes lineage makes the graph cache again (see
 * nhir_store_graph_refresh; res->graph_error says if it could not).
 */
enum nhir_rc nhir_ingest_path(const struct nhir_ctx *ctx,
			      const struct nhir_tele_format *fmt,
			      const char *path,
			      nhir_ingest_progress_cb progress, void *pdata,
			      struct nhir_ingest_result *res,
			      struct nhir_err *err);

/*
 * Ingests one regular file at path (a spool: an upload kept by the
 * caller, perhaps /proc/self/fd/N) as nhir_ingest_path would, but stored,
 * audited and reported as name.
 */
enum nhir_rc nhir_ingest_upload(const struct nhir_ctx *ctx,
				const struct nhir_tele_format *fmt,
				const char *path, const char *name,
				struct nhir_ingest_result *res,
				struct nhir_err *err);

/*
 * A hunt: only the records of the given credentials, and of those they
 * minted or created, found by a literal search of the raw files and
 * stored as an ingest of those records would store them (events,
 * lineage, provenance, de-duplication), so that usage, timeline and
 * blast see them.  A file holding none of the keys is read but leaves
 * nothing; a file searched is not marked ingested, so a later ingest
 * still reads all of it.  A credential minted by a key joins the keys;
 * files read before it joined are read again for it (up to
 * NHIR_HUNT_MAX_PASSES passes), except those named for a delivery time
 * (CloudTrail's ..._YYYYMMDDTHHMMZ_...) before it was minted.  A key
 * written with \u escapes in a record is not found.
 */
#define NHIR_HUNT_MAX_PASSES 16

struct nhir_hunt_result {
	struct nhir_ingest_result in;	/* files: those with a record */
	uint64_t files_scanned, files_matched, bytes_scanned;
	uint64_t records_matched;	/* parsed: they held a key */
	uint64_t keys;			/* at the end */
	uint64_t keys_found;		/* minted or created, added */
	unsigned passes;
};

/* paths as for nhir_ingest_path; res zeroed by the caller. */
enum nhir_rc nhir_hunt(const struct nhir_ctx *ctx,
		       const struct nhir_tele_format *fmt,
		       const char *const *keys, size_t key_nr,
		       const char *const *paths, size_t path_nr,
		       struct nhir_hunt_result *res, struct nhir_err *err);

/*
 * Runs fmt over one in-memory input without a store (for fuzzing):
 * returns the number of records that produced events in *events.
 */
enum nhir_rc nhir_tele_parse_buffer(const struct nhir_tele_format *fmt,
				    const char *data, size_t len,
				    uint64_t *events, uint64_t *malformed,
				    struct nhir_err *err);

#endif
