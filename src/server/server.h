/*
 * The HTTP front end (nhir serve).  Like src/cli/ it holds no rules and
 * no SQL: it authenticates the request, calls the library as the
 * token's user and renders the library's documents.  Only libmicrohttpd
 * and the public headers in include/nhir/ are used here.
 */
#ifndef NHIR_SERVER_H
#define NHIR_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "nhir/nhir.h"

#define SRV_LISTEN_DEFAULT "127.0.0.1:8470"
#define SRV_THREADS_DEFAULT 4u
#define SRV_THREADS_MAX 64u
#define SRV_BODY_DEFAULT ((size_t)64 << 10)	/* bytes of a request body */
#define SRV_BODY_MAX ((size_t)16 << 20)
#define SRV_TIMEOUT_DEFAULT 30u			/* seconds a connection idles */
#define SRV_DRAIN_SECONDS 10			/* in-flight requests, at stop */

struct srv_opts {
	const char *db;		/* database path */
	const char *listen;	/* ADDR:PORT, [ADDR6]:PORT; port 0: any */
	unsigned threads;	/* the worker pool */
	size_t max_body;	/* larger request bodies get 413 */
	unsigned timeout;	/* idle connection timeout, seconds */
};

/*
 * Serves until SIGTERM or SIGINT, then lets requests in flight finish
 * (SRV_DRAIN_SECONDS at most) and returns 0; 1 when it cannot start
 * (the reason on stderr).  Prints "listening on http://ADDR:PORT" on
 * stdout once it accepts connections.
 */
int srv_run(const struct srv_opts *o);

/* ---- request bodies (decode.c): pure functions, fuzzed ---- */

/* The longest note a request may carry, in bytes. */
#define SRV_NOTE_MAX ((size_t)16 << 10)

/*
 * Decodes the body of POST /api/v1/incidents/{id}/notes: a JSON object
 * {"text": "..."} and nothing else; text is non-empty valid UTF-8 of at
 * most SRV_NOTE_MAX bytes without NUL.  *text is the caller's to free
 * with srv_free().  NHIR_EPARSE (or NHIR_EINVAL, NHIR_ETOOBIG) with a
 * message naming the field or the byte offset.
 */
enum nhir_rc srv_decode_note(const char *body, size_t len, char **text,
			     struct nhir_err *err);
void srv_free(void *p);

#endif
