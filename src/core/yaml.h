/*
 * Small helpers over libyaml's document API for nhir's configuration
 * files (the action catalog, connectors): load with a located error,
 * typed access, and errors that name file and line.
 */
#ifndef NHIR_CORE_YAML_H
#define NHIR_CORE_YAML_H

#include <stdbool.h>
#include <stdint.h>
#include <yaml.h>
#include "nhir/buf.h"
#include "nhir/error.h"

struct nhir_yaml {
	yaml_document_t doc;
	const char *name;	/* file name, for errors */
	struct nhir_err *err;
	bool loaded;
};

/* Deepest nesting of sequences and mappings a file may have. */
#define NHIR_YAML_MAX_DEPTH 64

/*
 * Parses data; a syntax error is NHIR_EPARSE "name:line:col: what", as
 * is nesting deeper than NHIR_YAML_MAX_DEPTH.  On failure nothing is
 * left to free.
 */
enum nhir_rc nhir_yaml_load(struct nhir_yaml *y, const char *data,
			    size_t len, const char *name,
			    struct nhir_err *err);
/* Reads a whole small file (at most 1 MiB) into b (not terminated). */
enum nhir_rc nhir_read_small_file(const char *path, struct nhir_buf *b,
				  struct nhir_err *err);
/* Reads a whole file (at most 1 MiB) and parses it. */
enum nhir_rc nhir_yaml_load_file(struct nhir_yaml *y, const char *path,
				 struct nhir_err *err);
void nhir_yaml_free(struct nhir_yaml *y);

yaml_node_t *nhir_yaml_root(struct nhir_yaml *y);
yaml_node_t *nhir_yaml_node(struct nhir_yaml *y, int index);
int nhir_yaml_line(const yaml_node_t *n);
/* The scalar's text, or NULL if n is not a scalar. */
const char *nhir_yaml_str(const yaml_node_t *n);
/* The value of key in mapping m, or NULL. */
yaml_node_t *nhir_yaml_get(struct nhir_yaml *y, const yaml_node_t *m,
			   const char *key);
bool nhir_yaml_is_map(const yaml_node_t *n);
bool nhir_yaml_is_seq(const yaml_node_t *n);
/* Items of a sequence; *nr set. */
yaml_node_item_t *nhir_yaml_items(const yaml_node_t *seq, size_t *nr);
/*
 * Checks that every key of mapping m is one of keys (NULL-terminated);
 * else an error naming the key and its line.
 */
enum nhir_rc nhir_yaml_keys(struct nhir_yaml *y, const yaml_node_t *m,
			    const char *what, const char *const *keys);
/* "name:line: what: msg" as NHIR_EPARSE. */
enum nhir_rc nhir_yaml_error(struct nhir_yaml *y, const yaml_node_t *n,
			     const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* true / false / yes / no into *out; false if not a boolean. */
bool nhir_yaml_bool(const yaml_node_t *n, bool *out);
bool nhir_yaml_int(const yaml_node_t *n, int64_t *out);

#endif
