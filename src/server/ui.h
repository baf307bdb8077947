/*
 * The web workbench (web/), built by make and built into the server
 * (tools/embed-ui.sh writes BUILD/gen/ui.c): its page at "/" and its
 * hashed assets under /assets/.
 */
#ifndef NHIR_SERVER_UI_H
#define NHIR_SERVER_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <microhttpd.h>

struct srv_req;

/* One built file: its path as served, its type and its bytes. */
struct srv_asset {
	const char *path;
	const char *type;
	const unsigned char *data;
	size_t len;
};

/* The built files (gen/ui.c), ended by one whose path is NULL. */
extern const struct srv_asset srv_assets[];

/*
 * A GET or HEAD of the page or of an asset that no API route matched:
 * answers it (true, *ok the result).  Anything else: false, untouched.
 */
bool srv_ui(struct srv_req *r, enum MHD_Result *ok);

/*
 * The Content-Security-Policy and Cache-Control of an answer: the
 * API's (nothing runs, nothing is kept) unless it is the page (its own
 * scripts and styles, and requests to this server only) or an asset
 * (kept a year: its name changes with its bytes).
 */
void srv_ui_policy(const struct srv_req *r, unsigned status,
		   const char **csp, const char **cache);

/* Does a browser ask (Accept: text/html), with the workbench built in? */
bool srv_ui_wanted(struct srv_req *r);
/* The page a browser gets once signed in by its identity provider. */
enum MHD_Result srv_ui_signed_in(struct srv_req *r);

#endif
