/*
 * The parameters of an upload (srv_decode_upload): the query string's
 * pairs, the X-Nhir-* headers and Content-Encoding, as the server hands
 * them over.  Any of them are either parameters within their limits or
 * a refusal naming the parameter; never a crash or a half-filled
 * result.
 *
 * Input: the first byte picks the route; then lines (split at '\n'),
 * each "key=value" (a pair) or "E:value" (Content-Encoding).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "nhir/nhir.h"
#include "server/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PAIRS 16

static bool text_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static void check(enum srv_upload_kind kind,
		  const struct srv_upload_params *p)
{
	if (!text_ok(p->format, SRV_UP_FORMAT_MAX) ||
	    !text_ok(p->name, SRV_UP_NAME_MAX) ||
	    !text_ok(p->source, SRV_UP_SOURCE_MAX) ||
	    !text_ok(p->cluster, SRV_UP_CLUSTER_MAX))
		abort();
	if (strchr(p->name, '/') || strchr(p->name, '\\') ||
	    !strcmp(p->name, ".") || !strcmp(p->name, ".."))
		abort();
	if (strspn(p->format, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
	    strlen(p->format))
		abort();
	if (kind == SRV_UP_EVIDENCE) {
		if (!p->name[0] || !p->source[0] || p->format[0] ||
		    p->encoding == SRV_ENC_SNIFF)
			abort();
	} else if (!p->format[0] || p->source[0]) {
		abort();
	}
	if (kind != SRV_UP_IMPORT && p->cluster[0])
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct srv_upload_params p;
	const char *keys[PAIRS], *vals[PAIRS], *enc = NULL;
	enum srv_upload_kind kind;
	size_t nr = 0;
	char *buf, *line;
	enum nhir_rc rc;

	if (!size)
		return 0;
	kind = (enum srv_upload_kind)(data[0] % 4);
	buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	for (line = buf; line && nr < PAIRS;) {
		char *next = strchr(line, '\n'), *eq;

		if (next)
			*next++ = '\0';
		if (!strncmp(line, "E:", 2)) {
			enc = line + 2;
		} else if ((eq = strchr(line, '='))) {
			*eq = '\0';
			keys[nr] = line;
			vals[nr] = eq + 1;
			nr++;
		}
		line = next;
	}
	memset(&p, 0x5a, sizeof(p));
	rc = srv_decode_upload(kind, keys, vals, nr, enc, &p, &err);
	if (rc == NHIR_OK) {
		check(kind, &p);
	} else {
		static const struct srv_upload_params zero;

		if (memcmp(&p, &zero, sizeof(p)) || !err.msg[0] ||
		    (rc != NHIR_EINVAL && rc != NHIR_EUNSUPPORTED) ||
		    (strncmp(err.msg, "parameter '", 11) &&
		     strncmp(err.msg, "header ", 7)))
			abort();
	}
	free(buf);
	return 0;
}
