#include "compat.h"
#include "nhir/ingest.h"
#include "ingest/csv.h"

void nhir_csv_init(struct nhir_csv *c, const char *data, size_t len)
{
	memset(c, 0, sizeof(*c));
	c->data = data;
	c->len = len;
	nhir_buf_init(&c->buf, NHIR_MAX_RECORD_LEN);
	if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3))
		c->pos = 3;
}

void nhir_csv_release(struct nhir_csv *c)
{
	nhir_buf_release(&c->buf);
}

int nhir_csv_next(struct nhir_csv *c, size_t *bad_off, struct nhir_err *err)
{
	size_t starts[NHIR_CSV_MAX_FIELDS];
	const char *d = c->data;
	size_t i = c->pos;

	/* Blank lines between rows are skipped. */
	while (i < c->len && (d[i] == '\n' || d[i] == '\r')) {
		if (d[i] == '\n')
			c->line++;
		i++;
	}
	if (i >= c->len) {
		c->pos = i;
		return 0;
	}
	c->line++;
	c->row_off = i;
	c->nr = 0;
	nhir_buf_reset(&c->buf);
	for (;;) {
		if (c->nr >= NHIR_CSV_MAX_FIELDS) {
			*bad_off = i;
			nhir_err_set(err, NHIR_EPARSE, "more than %d fields",
				     NHIR_CSV_MAX_FIELDS);
			return -1;
		}
		starts[c->nr] = c->buf.len;
		c->field_off[c->nr] = i;
		if (i < c->len && d[i] == '"') {
			size_t q = i++;

			for (;;) {
				if (i >= c->len) {
					*bad_off = q;
					nhir_err_set(err, NHIR_EPARSE,
						     "unterminated quoted field");
					return -1;
				}
				if (d[i] == '"') {
					if (i + 1 < c->len && d[i + 1] == '"') {
						nhir_buf_addch(&c->buf, '"');
						i += 2;
						continue;
					}
					i++;
					break;
				}
				if (d[i] == '\n')
					c->line++;
				nhir_buf_addch(&c->buf, d[i++]);
			}
			if (i < c->len && d[i] != ',' && d[i] != '\n' &&
			    d[i] != '\r') {
				*bad_off = i;
				nhir_err_set(err, NHIR_EPARSE,
					     "text after a closing quote");
				return -1;
			}
		} else {
			size_t s = i;

			while (i < c->len && d[i] != ',' && d[i] != '\n' &&
			       d[i] != '\r')
				i++;
			nhir_buf_add(&c->buf, d + s, i - s);
		}
		nhir_buf_addch(&c->buf, 0);
		if (c->buf.err) {
			*bad_off = c->row_off;
			nhir_err_set(err, NHIR_ETOOBIG, "row longer than %u bytes",
				     NHIR_MAX_RECORD_LEN);
			return -1;
		}
		c->nr++;
		if (i < c->len && d[i] == ',') {
			i++;
			continue;
		}
		break;
	}
	if (i < c->len && d[i] == '\r')
		i++;
	if (i < c->len && d[i] == '\n')
		i++;
	c->pos = i;
	for (size_t f = 0; f < c->nr; f++)
		c->field[f] = c->buf.buf + starts[f];
	return 1;
}
