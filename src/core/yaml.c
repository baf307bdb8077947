/* libyaml document helpers (src/core/yaml.h). */
#include "compat.h"
#include <ctype.h>
#include <unistd.h>
#include "nhir/buf.h"
#include "core/input.h"
#include "core/yaml.h"

/*
 * Refuses a document nested deeper than NHIR_YAML_MAX_DEPTH, before
 * libyaml builds it: its scanner takes time quadratic in the nesting
 * (100,000 levels took half a minute), and nhir's files are a few
 * levels deep.  A syntax error is left to the loader to report.
 */
static enum nhir_rc check_depth(const char *data, size_t len,
				const char *name, struct nhir_err *err)
{
	yaml_parser_t p;
	yaml_event_t ev;
	yaml_event_type_t type;
	int depth = 0;
	enum nhir_rc rc = NHIR_OK;

	if (!yaml_parser_initialize(&p))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
	while (!rc && yaml_parser_parse(&p, &ev)) {
		type = ev.type;
		if (type == YAML_SEQUENCE_START_EVENT ||
		    type == YAML_MAPPING_START_EVENT) {
			if (++depth > NHIR_YAML_MAX_DEPTH)
				rc = nhir_err_set(err, NHIR_EPARSE,
						  "%s:%d:%d: nested deeper than "
						  "%d levels", name,
						  (int)ev.start_mark.line + 1,
						  (int)ev.start_mark.column + 1,
						  NHIR_YAML_MAX_DEPTH);
		} else if (type == YAML_SEQUENCE_END_EVENT ||
			   type == YAML_MAPPING_END_EVENT) {
			depth--;
		}
		yaml_event_delete(&ev);
		if (type == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&p);
	return rc;
}

enum nhir_rc nhir_yaml_load(struct nhir_yaml *y, const char *data,
			    size_t len, const char *name,
			    struct nhir_err *err)
{
	yaml_parser_t p;
	enum nhir_rc rc;

	memset(y, 0, sizeof(*y));
	y->name = name;
	y->err = err;
	rc = check_depth(data, len, name, err);
	if (rc)
		return rc;
	if (!yaml_parser_initialize(&p))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
	if (!yaml_parser_load(&p, &y->doc))
		rc = nhir_err_set(err, NHIR_EPARSE, "%s:%d:%d: %s%s%s", name,
				  (int)p.problem_mark.line + 1,
				  (int)p.problem_mark.column + 1,
				  p.problem ? p.problem : "bad YAML",
				  p.context ? " " : "",
				  p.context ? p.context : "");
	else
		y->loaded = true;
	yaml_parser_delete(&p);
	if (!rc && !yaml_document_get_root_node(&y->doc))
		rc = nhir_err_set(err, NHIR_EPARSE, "%s:1: empty document",
				  name);
	if (rc)
		nhir_yaml_free(y);
	return rc;
}

enum nhir_rc nhir_read_small_file(const char *path, struct nhir_buf *b,
				  struct nhir_err *err)
{
	char chunk[8192];
	ssize_t n = 0;
	int fd;
	enum nhir_rc rc;

	*b = (struct nhir_buf)NHIR_BUF_INIT(1 << 20);
	rc = nhir_input_open(path, &fd, err);
	if (rc)
		return rc;
	/* stops at the limit: standard input may not end */
	while (!b->err && ((n = read(fd, chunk, sizeof(chunk))) > 0 ||
			   (n < 0 && errno == EINTR)))
		if (n > 0)
			nhir_buf_add(b, chunk, (size_t)n);
	if (!b->err && n < 0)
		rc = nhir_err_set(err, NHIR_EIO, "cannot read '%s': %s", path,
				  strerror(errno));
	else if (b->err)
		rc = nhir_err_set(err, NHIR_ETOOBIG, "'%s' is over 1 MiB", path);
	close(fd);
	if (rc)
		nhir_buf_release(b);
	return rc;
}

enum nhir_rc nhir_yaml_load_file(struct nhir_yaml *y, const char *path,
				 struct nhir_err *err)
{
	struct nhir_buf b;
	enum nhir_rc rc;

	memset(y, 0, sizeof(*y));
	rc = nhir_read_small_file(path, &b, err);
	if (rc)
		return rc;
	rc = nhir_yaml_load(y, b.buf ? b.buf : "", b.len, path, err);
	nhir_buf_release(&b);
	return rc;
}

void nhir_yaml_free(struct nhir_yaml *y)
{
	if (y->loaded)
		yaml_document_delete(&y->doc);
	y->loaded = false;
}

yaml_node_t *nhir_yaml_root(struct nhir_yaml *y)
{
	return y->loaded ? yaml_document_get_root_node(&y->doc) : NULL;
}

yaml_node_t *nhir_yaml_node(struct nhir_yaml *y, int index)
{
	return yaml_document_get_node(&y->doc, index);
}

int nhir_yaml_line(const yaml_node_t *n)
{
	return n ? (int)n->start_mark.line + 1 : 0;
}

const char *nhir_yaml_str(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE
		       ? (const char *)n->data.scalar.value
		       : NULL;
}

bool nhir_yaml_is_map(const yaml_node_t *n)
{
	return n && n->type == YAML_MAPPING_NODE;
}

bool nhir_yaml_is_seq(const yaml_node_t *n)
{
	return n && n->type == YAML_SEQUENCE_NODE;
}

yaml_node_t *nhir_yaml_get(struct nhir_yaml *y, const yaml_node_t *m,
			   const char *key)
{
	if (!nhir_yaml_is_map(m))
		return NULL;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
	     p < m->data.mapping.pairs.top; p++) {
		const char *k = nhir_yaml_str(nhir_yaml_node(y, p->key));

		if (k && !strcmp(k, key))
			return nhir_yaml_node(y, p->value);
	}
	return NULL;
}

yaml_node_item_t *nhir_yaml_items(const yaml_node_t *seq, size_t *nr)
{
	if (!nhir_yaml_is_seq(seq)) {
		*nr = 0;
		return NULL;
	}
	*nr = (size_t)(seq->data.sequence.items.top -
		       seq->data.sequence.items.start);
	return seq->data.sequence.items.start;
}

enum nhir_rc nhir_yaml_error(struct nhir_yaml *y, const yaml_node_t *n,
			     const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return nhir_err_set(y->err, NHIR_EPARSE, "%s:%d: %s", y->name,
			    nhir_yaml_line(n), msg);
}

enum nhir_rc nhir_yaml_keys(struct nhir_yaml *y, const yaml_node_t *m,
			    const char *what, const char *const *keys)
{
	if (!nhir_yaml_is_map(m))
		return nhir_yaml_error(y, m, "%s must be a mapping", what);
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
	     p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = nhir_yaml_node(y, p->key);
		const char *k = nhir_yaml_str(kn);
		size_t i;

		for (i = 0; k && keys[i]; i++)
			if (!strcmp(k, keys[i]))
				break;
		if (!k || !keys[i])
			return nhir_yaml_error(y, kn, "%s: unknown key '%s'",
					       what, k ? k : "?");
	}
	return NHIR_OK;
}

bool nhir_yaml_bool(const yaml_node_t *n, bool *out)
{
	const char *s = nhir_yaml_str(n);

	if (s && (!strcmp(s, "true") || !strcmp(s, "yes")))
		*out = true;
	else if (s && (!strcmp(s, "false") || !strcmp(s, "no")))
		*out = false;
	else
		return false;
	return true;
}

bool nhir_yaml_int(const yaml_node_t *n, int64_t *out)
{
	const char *s = nhir_yaml_str(n);
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return !*end && !errno;
}
