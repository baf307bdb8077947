/*
 * Upload spools: a request body streamed, as it arrives, into an unnamed
 * file of the server's scratch folder (O_TMPFILE, mode 0600: gone with
 * its descriptor whatever happens, never seen by another user), gzip
 * inflated on the way.  Nothing of a body is held in memory but the
 * chunk at hand.  The library then reads the file by /proc/self/fd/N,
 * as it reads any file.
 */
#define _GNU_SOURCE 1	/* O_TMPFILE, mkostemp */
#include "compat.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#define ZLIB_CONST 1
#include <limits.h>
#include <zlib.h>
#include "server/server-internal.h"

#define SPOOL_OUT 65536

struct srv_upload {
	int fd;
	char path[40];		/* /proc/self/fd/N */
	enum srv_encoding enc;
	bool z_on;		/* inflating */
	bool z_end;		/* at the end of a gzip member */
	z_stream z;
	unsigned char head[2];	/* the first bytes, until enc is known */
	size_t head_n;
	uint64_t received;	/* bytes of the body */
	uint64_t zoff;		/* of them, inflated */
	uint64_t size;		/* bytes written */
	uint64_t limit;
	enum nhir_rc rc;	/* the first failure; the rest is dropped */
	char msg[NHIR_ERR_MSG_MAX];
	unsigned char out[SPOOL_OUT];
};

static void fail(struct srv_upload *u, enum nhir_rc rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct srv_upload *u, enum nhir_rc rc, const char *fmt, ...)
{
	va_list ap;

	if (u->rc)
		return;
	u->rc = rc;
	va_start(ap, fmt);
	vsnprintf(u->msg, sizeof(u->msg), fmt, ap);
	va_end(ap);
}

/* An unnamed file in dir, or a named one unlinked at once. */
static int spool_file(const char *dir, struct nhir_err *err)
{
	char tmpl[PATH_MAX];
	int fd;

#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
#endif
	if ((size_t)snprintf(tmpl, sizeof(tmpl), "%s/.nhir-upload-XXXXXX",
			     dir) >= sizeof(tmpl)) {
		nhir_err_set(err, NHIR_EIO, "upload folder '%s': name too "
			     "long", dir);
		return -1;
	}
	fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd < 0) {
		nhir_err_set(err, NHIR_EIO, "cannot spool an upload in '%s': "
			     "%s", dir, strerror(errno));
		return -1;
	}
	unlink(tmpl);
	if (fchmod(fd, 0600)) {
		nhir_err_set(err, NHIR_EIO, "cannot spool an upload in '%s': "
			     "%s", dir, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static bool z_start(struct srv_upload *u)
{
	memset(&u->z, 0, sizeof(u->z));
	/* 16 + 15: gzip only, the largest window */
	if (inflateInit2(&u->z, 16 + MAX_WBITS) != Z_OK) {
		fail(u, NHIR_ENOMEM, "out of memory");
		return false;
	}
	u->z_on = true;
	return true;
}

enum nhir_rc srv_upload_open(struct srv_upload **out, const char *dir,
			     uint64_t limit, enum srv_encoding enc,
			     struct nhir_err *err)
{
	struct srv_upload *u;

	*out = NULL;
	u = calloc(1, sizeof(*u));
	if (!u)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	u->fd = spool_file(dir, err);
	if (u->fd < 0) {
		free(u);
		return err->rc;
	}
	snprintf(u->path, sizeof(u->path), "/proc/self/fd/%d", u->fd);
	u->limit = limit;
	u->enc = enc;
	if (enc == SRV_ENC_GZIP && !z_start(u)) {
		srv_upload_free(u);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	*out = u;
	return NHIR_OK;
}

void srv_upload_free(struct srv_upload *u)
{
	if (!u)
		return;
	if (u->z_on)
		inflateEnd(&u->z);
	if (u->fd >= 0)
		close(u->fd);
	free(u);
}

int srv_upload_take_fd(struct srv_upload *u)
{
	int fd = u->fd;

	u->fd = -1;
	return fd;
}

const char *srv_upload_path(const struct srv_upload *u)
{
	return u->path;
}

uint64_t srv_upload_size(const struct srv_upload *u)
{
	return u->size;
}

uint64_t srv_upload_received(const struct srv_upload *u)
{
	return u->received;
}

bool srv_upload_gzip(const struct srv_upload *u)
{
	return u->enc == SRV_ENC_GZIP;
}

bool srv_upload_failed(const struct srv_upload *u)
{
	return u->rc != NHIR_OK;
}

static void put(struct srv_upload *u, const void *data, size_t n)
{
	const char *p = data;

	if (u->rc || !n)
		return;
	if (n > u->limit - u->size) {
		fail(u, NHIR_ETOOBIG, "the upload is larger than the server "
		     "takes (%" PRIu64 " bytes%s)", u->limit,
		     u->enc == SRV_ENC_GZIP ? ", once decompressed" : "");
		return;
	}
	while (n) {
		ssize_t w = write(u->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			fail(u, NHIR_EIO, "cannot spool the upload: %s",
			     w < 0 ? strerror(errno) : "short write");
			return;
		}
		p += w;
		n -= (size_t)w;
		u->size += (uint64_t)w;
	}
}

static void inflate_some(struct srv_upload *u, const unsigned char *in,
			 size_t n)
{
	while (n && !u->rc) {
		size_t used;
		int zr = Z_OK;

		if (u->z_end) {
			/* another member may follow; nothing else may */
			if (in[0] != 0x1f) {
				fail(u, NHIR_EPARSE, "the body is not gzip "
				     "after byte %" PRIu64 " (the gzip stream "
				     "ended there)", u->zoff);
				return;
			}
			inflateReset(&u->z);
			u->z_end = false;
		}
		u->z.next_in = in;
		u->z.avail_in = (uInt)(n > UINT_MAX ? UINT_MAX : n);
		for (;;) {
			u->z.next_out = u->out;
			u->z.avail_out = sizeof(u->out);
			zr = inflate(&u->z, Z_NO_FLUSH);
			put(u, u->out, sizeof(u->out) - u->z.avail_out);
			if (u->rc || zr == Z_STREAM_END || zr == Z_BUF_ERROR)
				break;
			if (zr != Z_OK) {
				used = (size_t)(u->z.next_in - in);
				fail(u, NHIR_EPARSE, "the body is not valid "
				     "gzip at byte %" PRIu64 ": %s",
				     u->zoff + used,
				     u->z.msg ? u->z.msg : "corrupt data");
				return;
			}
			if (!u->z.avail_in && u->z.avail_out)
				break;
		}
		if (zr == Z_STREAM_END)
			u->z_end = true;
		used = (size_t)(u->z.next_in - in);
		u->zoff += used;
		in += used;
		n -= used;
		if (!used && !u->z_end && !u->rc)
			break;	/* zlib wants more than there is */
	}
}

static void take(struct srv_upload *u, const void *data, size_t n)
{
	if (u->enc == SRV_ENC_GZIP)
		inflate_some(u, data, n);
	else
		put(u, data, n);
}

void srv_upload_feed(struct srv_upload *u, const char *data, size_t n)
{
	u->received += n;
	if (u->rc)
		return;
	if (u->received > u->limit) {
		fail(u, NHIR_ETOOBIG, "the upload is larger than the server "
		     "takes (%" PRIu64 " bytes)", u->limit);
		return;
	}
	if (u->enc == SRV_ENC_SNIFF) {
		while (u->head_n < sizeof(u->head) && n) {
			u->head[u->head_n++] = (unsigned char)*data++;
			n--;
		}
		if (u->head_n < sizeof(u->head))
			return;
		/* gzip's magic: the body is a .gz file */
		u->enc = u->head[0] == 0x1f && u->head[1] == 0x8b
			 ? SRV_ENC_GZIP : SRV_ENC_IDENTITY;
		if (u->enc == SRV_ENC_GZIP && !z_start(u))
			return;
		take(u, u->head, u->head_n);
	}
	take(u, data, n);
}

enum nhir_rc srv_upload_finish(struct srv_upload *u, struct nhir_err *err)
{
	if (!u->rc && u->enc == SRV_ENC_SNIFF) {
		u->enc = SRV_ENC_IDENTITY;
		put(u, u->head, u->head_n);
	}
	if (!u->rc && u->enc == SRV_ENC_GZIP && !u->z_end)
		fail(u, NHIR_EPARSE, "the gzip stream is cut short at byte %"
		     PRIu64 " (of %" PRIu64 ")", u->zoff, u->received);
	if (u->rc)
		return nhir_err_set(err, u->rc, "%s", u->msg);
	return NHIR_OK;
}
