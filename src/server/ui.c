/*
 * The web workbench's files, built in (see ui.h): "/" is the page,
 * /assets/NAME.HASH.js|css its scripts and styles.
 */
#include "compat.h"
#include <string.h>
#include "server/server-internal.h"
#include "server/ui.h"

#define PAGE_CSP "default-src 'none'; script-src 'self'; style-src 'self'; " \
	"img-src 'self'; connect-src 'self'; font-src 'self'; " \
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

static const struct srv_asset *find(const char *url)
{
	if (!strcmp(url, "/index.html"))
		url = "/";
	for (const struct srv_asset *a = srv_assets; a->path; a++)
		if (!strcmp(a->path, url))
			return a;
	return NULL;
}

static bool ui_path(const char *url)
{
	return !strcmp(url, "/") || !strcmp(url, "/index.html") ||
	       !strncmp(url, "/assets/", 8);
}

bool srv_ui(struct srv_req *r, enum MHD_Result *ok)
{
	const struct srv_asset *a;
	struct MHD_Response *res;

	if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD"))
		return false;
	if (!ui_path(r->url))
		return false;
	a = find(r->url);
	if (!a) {
		*ok = srv_problem(r, 404, NHIR_ENOTFOUND, "not-found",
				  "Not found", srv_assets[0].path ?
				  "no such file of the web workbench" :
				  "this server was built without the web "
				  "workbench (npm was absent)");
		return true;
	}
	res = MHD_create_response_from_buffer(a->len, (void *)a->data,
					      MHD_RESPMEM_PERSISTENT);
	if (!res) {
		*ok = MHD_NO;
		return true;
	}
	*ok = srv_queue(r, 200, a->type, res);
	return true;
}

void srv_ui_policy(const struct srv_req *r, unsigned status,
		   const char **csp, const char **cache)
{
	if (status != 200 || r->route != ROUTE_NONE || !ui_path(r->url) ||
	    !find(r->url))
		return;
	if (!strncmp(r->url, "/assets/", 8)) {
		*cache = "public, max-age=31536000, immutable";
		return;
	}
	*csp = PAGE_CSP;
}

bool srv_ui_wanted(struct srv_req *r)
{
	const char *accept = MHD_lookup_connection_value(r->con,
		MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);

	return srv_assets[0].path && accept && strstr(accept, "text/html");
}

/*
 * The session cookie is SameSite=Strict, so a redirect from the
 * provider's site to / would arrive without it; a page of this server
 * that moves on to / is a navigation from this site, which has it.
 */
enum MHD_Result srv_ui_signed_in(struct srv_req *r)
{
	static const char page[] =
		"<!doctype html>\n<html lang=\"en\"><head>"
		"<meta charset=\"utf-8\">"
		"<meta http-equiv=\"refresh\" content=\"0; url=/\">"
		"<title>Signed in</title></head>\n<body><p>Signed in. "
		"<a href=\"/\">Open the workbench</a>.</p></body></html>\n";

	return srv_respond(r, 200, "text/html; charset=utf-8", page,
			   sizeof(page) - 1);
}
