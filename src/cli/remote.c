/*
 * The command line against nhir serve: which server and token (nhir
 * login's file, or $NHIR_SERVER and $NHIR_TOKEN), one request to it,
 * and its answer: a document to print as the local mode prints it, or
 * a problem (RFC 9457) reported with the same words and exit code as
 * the library's error would be, naming the server and the request.
 */
#include "compat.h"
#include <ctype.h>
#include <fcntl.h>
#include <getopt.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>
#include <sodium.h>
#include "nhir/buf.h"
#include "nhir/doc.h"
#include "nhir/oidc.h"
#include "nhir/witness.h"
#include "cli/cli.h"
#include "cli/remote.h"

/* Seconds a request may take: an upload of a large log takes its time. */
#define RMT_TIMEOUT 3600L
/* The largest answer taken (a report, a blast radius). */
#define RMT_ANSWER_MAX ((size_t)256 << 20)
#define TOKEN_MAX 256

static char server[1024];
static char token[TOKEN_MAX + 2];
/* rmt_quiet: the next problem is kept for the caller, not reported */
static bool quiet;
static char last_code[32], last_detail[1024];
static cJSON *last_result;	/* a problem's "result" document */

/* The file nhir login keeps: $XDG_CONFIG_HOME/nhir/login, or under ~. */
static bool login_dir(char *dir, size_t n)
{
	const char *x = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int w;

	if (x && *x == '/')
		w = snprintf(dir, n, "%s/nhir", x);
	else if (home && *home)
		w = snprintf(dir, n, "%s/.config/nhir", home);
	else
		return false;
	return w > 0 && (size_t)w < n;
}

static bool login_path(char *path, size_t n)
{
	char dir[PATH_MAX - 16];
	int w;

	if (!login_dir(dir, sizeof(dir)))
		return false;
	w = snprintf(path, n, "%s/login", dir);
	return w > 0 && (size_t)w < n;
}

/* A line "KEY VALUE" of the login file into val. */
static bool take_line(const char *line, const char *key, char *val,
		      size_t n)
{
	size_t k = strlen(key);
	size_t len;

	if (strncmp(line, key, k) || line[k] != ' ')
		return false;
	line += k + 1;
	len = strcspn(line, "\r\n");
	if (!len || len >= n)
		return false;
	memcpy(val, line, len);
	val[len] = 0;
	return true;
}

/*
 * Reads the login file: -1 when there is none, else an exit code.  A
 * file others may read is refused: it holds a token.
 */
static int login_read(char *url, size_t url_n, char *tok, size_t tok_n)
{
	char path[PATH_MAX], line[2048];
	bool got_url = false, got_tok = false;
	struct stat sb;
	FILE *f;
	int fd;

	if (!login_path(path, sizeof(path)))
		return -1;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return -1;
	if (fd < 0) {
		cli_error("cannot read '%s': %s", path, strerror(errno));
		return EXIT_ERROR;
	}
	if (fstat(fd, &sb) || (sb.st_mode & 077) || sb.st_uid != getuid()) {
		close(fd);
		cli_error("'%s' holds a token but others may read it, or it is "
			  "not yours: 'nhir logout', then 'nhir login' again",
			  path);
		return EXIT_ERROR;
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		cli_error("cannot read '%s': %s", path, strerror(errno));
		return EXIT_ERROR;
	}
	while (fgets(line, sizeof(line), f)) {
		got_url = got_url || take_line(line, "server", url, url_n);
		got_tok = got_tok || take_line(line, "token", tok, tok_n);
	}
	sodium_memzero(line, sizeof(line));
	fclose(f);
	if (!got_url || !got_tok) {
		cli_error("'%s' is not what 'nhir login' writes: 'nhir logout', "
			  "then 'nhir login URL' again", path);
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

/* The server's address without its trailing slashes; false if unfit. */
static bool take_url(const char *url, const char *what)
{
	size_t n = strlen(url);

	while (n > 0 && url[n - 1] == '/')
		n--;
	if (!n || n >= sizeof(server)) {
		cli_error("%s '%s' is not a server's address", what, url);
		return false;
	}
	memcpy(server, url, n);
	server[n] = 0;
	if (!nhir_witness_url_ok(server)) {
		cli_error("%s '%s': want https://HOST[:PORT] (plain http only "
			  "to loopback: a token sent over plain http on a "
			  "network is a token given away)", what, url);
		return false;
	}
	return true;
}

int cli_remote_setup(struct cli_ctx *ctx, bool db_given)
{
	const char *env = getenv("NHIR_SERVER");
	const char *tok = getenv("NHIR_TOKEN");
	char url[sizeof(server)];
	int r;

	ctx->remote = false;
	if (db_given)
		return EXIT_OK;
	if (env && *env) {
		if (!take_url(env, "NHIR_SERVER"))
			return EXIT_USAGE;
		if (tok && *tok) {
			if (strlen(tok) > TOKEN_MAX ||
			    strpbrk(tok, " \t\r\n")) {
				cli_error("NHIR_TOKEN is not an API token");
				return EXIT_USAGE;
			}
			snprintf(token, sizeof(token), "%s", tok);
		} else {
			/* the token nhir login kept, for that same server */
			r = login_read(url, sizeof(url), token, sizeof(token));
			if (r > 0)
				return r;
			if (r < 0 || strcmp(url, server)) {
				cli_error("NHIR_SERVER is set but NHIR_TOKEN is "
					  "not: set it, or 'nhir login %s'",
					  server);
				return EXIT_USAGE;
			}
		}
	} else {
		env = getenv("NHIR_DB");
		if (env && *env)
			return EXIT_OK;
		r = login_read(url, sizeof(url), token, sizeof(token));
		if (r < 0)
			return EXIT_OK;
		if (r)
			return r;
		if (!take_url(url, "the server of 'nhir login'"))
			return EXIT_ERROR;
	}
	ctx->remote = true;
	ctx->server = server;
	return EXIT_OK;
}

void rmt_esc(struct nhir_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || strchr("-._~:", c))
			nhir_buf_addch(b, (char)c);
		else
			nhir_buf_addf(b, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
}

int rmt_unoffered(const char *what)
{
	cli_error("'nhir %s' is not offered by the server yet: run it where "
		  "the database is (--db PATH)", what);
	return EXIT_ERROR;
}

/* Says what the server's problem document p says; the exit code. */
static int problem(const char *method, const char *path, long status,
		   const cJSON *p)
{
	const char *detail = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(p, "detail"));
	const char *code = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(p, "code"));
	const char *type = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(p, "type"));
	const cJSON *near = cJSON_GetObjectItemCaseSensitive(p, "nearest");
	const cJSON *it;
	bool denied = status == 401 || status == 403 ||
		      (code && !strcmp(code, "NHIR_EDENIED"));

	cJSON_Delete(last_result);
	last_result = cJSON_Duplicate(
		cJSON_GetObjectItemCaseSensitive(p, "result"), true);
	snprintf(last_code, sizeof(last_code), "%s", code ? code : "");
	snprintf(last_detail, sizeof(last_detail), "%s",
		 detail ? detail : "");
	if (quiet)
		return denied ? EXIT_DENIED : EXIT_ERROR;
	if (!detail) {
		cli_error("the server at %s answered %s %s with HTTP %ld",
			  server, method, path, status);
		return denied ? EXIT_DENIED : EXIT_ERROR;
	}
	cli_error("%s", detail);
	if (type && !strcmp(type, "urn:nhir:problem:unknown-ref")) {
		if (!cJSON_GetArraySize(near)) {
			out_fprintf(stderr, "no known id is near it; a reference "
				    "is a key id, an identity (ARN, user name) "
				    "or #ID\n");
		} else {
			out_fprintf(stderr, "the nearest known:\n");
			cJSON_ArrayForEach(it, near)
				if (cJSON_IsString(it))
					out_fprintf(stderr, "  %s\n",
						    it->valuestring);
		}
	}
	out_fprintf(stderr, "nhir: (the server at %s answered %s %s with HTTP "
		    "%ld%s%s)\n", server, method, path, status,
		    code ? ", " : "", code ? code : "");
	return denied ? EXIT_DENIED : EXIT_ERROR;
}

void rmt_quiet(bool on)
{
	quiet = on;
}

const char *rmt_problem(char *detail, size_t n)
{
	snprintf(detail, n, "%s", last_detail);
	return last_code;
}

cJSON *rmt_problem_result(void)
{
	cJSON *r = last_result;

	last_result = NULL;
	return r;
}

const char *rmt_user(void)
{
	static char user[128];
	cJSON *doc = NULL;

	if (!user[0] && !rmt_send("GET", "/api/v1/session", NULL, &doc))
		snprintf(user, sizeof(user), "%s",
			 rmt_str(doc, "user") ? rmt_str(doc, "user") : "?");
	cJSON_Delete(doc);
	return user[0] ? user : "?";
}

int rmt_request(const char *method, const char *path, const char *json,
		const char *file, struct rmt_ans *a)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_http_req q;
	struct nhir_buf url = NHIR_BUF_INIT(1 << 20);
	struct stat sb;
	FILE *f = NULL;
	cJSON *p;
	int r = EXIT_OK;

	memset(&q, 0, sizeof(q));
	nhir_buf_init(&a->body, RMT_ANSWER_MAX);
	a->status = 0;
	a->ctype[0] = 0;
	nhir_buf_addf(&url, "%s%s", server, path);
	nhir_buf_addch(&url, 0);
	if (url.err) {
		cli_error("out of memory");
		return EXIT_ERROR;
	}
	if (file) {
		f = strcmp(file, "-") ? fopen(file, "rb") : stdin;
		if (!f || fstat(fileno(f), &sb)) {
			cli_error("cannot read '%s': %s", file, strerror(errno));
			if (f && f != stdin)
				fclose(f);
			nhir_buf_release(&url);
			return EXIT_ERROR;
		}
		if (S_ISDIR(sb.st_mode)) {
			cli_error("'%s' is a directory", file);
			if (f != stdin)
				fclose(f);
			nhir_buf_release(&url);
			return EXIT_ERROR;
		}
		q.upload = f;
		/* a pipe or a terminal is sent chunked, as it comes */
		q.upload_len = -1;
		if (S_ISREG(sb.st_mode)) {
			/* stdin may have been read from already */
			off_t at = lseek(fileno(f), 0, SEEK_CUR);

			q.upload_len = (int64_t)sb.st_size - (at > 0 ? at : 0);
		}
		q.content_type = "application/octet-stream";
	}
	q.method = method;
	q.url = url.buf;
	q.bearer = token;
	q.body = json;
	q.body_len = json ? strlen(json) : 0;
	q.timeout = RMT_TIMEOUT;
	if (nhir_http_call(&q, &a->body, &a->status, a->ctype,
			   sizeof(a->ctype), &err)) {
		cli_error("cannot %s %s at the server %s: %s", method, path,
			  server, err.msg);
		r = EXIT_ERROR;
	} else if (a->status < 200 || a->status > 299) {
		p = cJSON_ParseWithLength(a->body.buf, a->body.len);
		r = problem(method, path, a->status, p);
		cJSON_Delete(p);
	}
	if (f && f != stdin)
		fclose(f);
	nhir_buf_release(&url);
	if (r)
		nhir_buf_release(&a->body);
	return r;
}

void rmt_ans_release(struct rmt_ans *a)
{
	nhir_buf_release(&a->body);
}

int rmt_print(struct rmt_ans *a)
{
	out_raw(stdout, a->body.buf, a->body.len);
	if (!a->body.len || a->body.buf[a->body.len - 1] != '\n')
		out_raw(stdout, "\n", 1);
	rmt_ans_release(a);
	return EXIT_OK;
}

int rmt_doc(const char *method, const char *path, struct rmt_ans *a,
	    cJSON **doc)
{
	*doc = cJSON_ParseWithLength(a->body.buf, a->body.len);
	if (!*doc || !cJSON_IsObject(*doc)) {
		cJSON_Delete(*doc);
		*doc = NULL;
		cli_error("the server at %s answered %s %s with something that "
			  "is not a JSON document", server, method, path);
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

int rmt_get(const char *path, int fmt, cJSON **doc)
{
	struct rmt_ans a;
	int r;

	*doc = NULL;
	r = rmt_request("GET", path, NULL, NULL, &a);
	if (r)
		return r;
	if (fmt == FMT_JSON)
		return rmt_print(&a);
	r = rmt_doc("GET", path, &a, doc);
	rmt_ans_release(&a);
	return r;
}

int rmt_send(const char *method, const char *path, const char *json,
	     cJSON **doc)
{
	struct rmt_ans a;
	int r;

	*doc = NULL;
	r = rmt_request(method, path, json, NULL, &a);
	if (!r && doc)
		r = rmt_doc(method, path, &a, doc);
	rmt_ans_release(&a);
	return r;
}

int rmt_fields(const char *method, const char *path,
	       const struct nhir_req_field *f, size_t nr, cJSON **doc)
{
	char *json = nhir_request_json(f, nr);
	int r;

	if (!json) {
		cli_error("out of memory");
		return EXIT_ERROR;
	}
	r = rmt_send(method, path, json, doc);
	cJSON_free(json);
	return r;
}

const char *rmt_str(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* A time of a document as the text prints it: "-" when not known. */
const char *rmt_time(const cJSON *o, const char *k)
{
	const char *s = rmt_str(o, k);

	return s && *s ? s : "-";
}

int64_t rmt_num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

bool rmt_bool(const cJSON *o, const char *k)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, k));
}

const cJSON *rmt_arr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsArray(v) ? v : NULL;
}

/* ---- nhir login, nhir logout ---- */

static const char usage_login[] =
	"usage: nhir login URL [--token-stdin]\n"
	"       nhir logout\n"
	"\n"
	"Keeps an API token ('nhir token create', by an admin of the server)\n"
	"for the nhir server at URL, so that every command talks to that\n"
	"server as the token's user: the same commands, output and exit\n"
	"status as on a database file, with each change made by the person\n"
	"the token proves.  The token is read from the terminal without\n"
	"echo, or from the first line of standard input (--token-stdin, or\n"
	"when standard input is not a terminal), checked with the server,\n"
	"and kept in $XDG_CONFIG_HOME/nhir/login (default\n"
	"~/.config/nhir/login), mode 0600.  'logout' removes that file.\n"
	"NHIR_SERVER and NHIR_TOKEN do the same without a file.\n"
	"\n"
	"exit status: 0 ok, 1 error, 2 usage error, 5 the token was refused\n";

static const char usage_logout[] =
	"usage: nhir logout\n"
	"       nhir login URL [--token-stdin]\n"
	"\n"
	"Removes the file 'nhir login' keeps ($XDG_CONFIG_HOME/nhir/login,\n"
	"default ~/.config/nhir/login): commands work on a database file\n"
	"again.  The token itself stays valid until it expires or is revoked\n"
	"('nhir token revoke ID').\n"
	"\n"
	"exit status: 0 ok, 1 error, 2 usage error\n";

static bool read_line(FILE *f, char *buf, size_t n)
{
	size_t len;

	if (!fgets(buf, (int)n, f))
		return false;
	len = strcspn(buf, "\r\n");
	if (len == n - 1 && buf[len] != '\n') {
		sodium_memzero(buf, n);
		return false;
	}
	buf[len] = 0;
	return len > 0;
}

static int read_token(const char *url, bool from_stdin)
{
	struct termios old, hush;
	bool ok, tty = isatty(STDIN_FILENO) && !from_stdin;

	if (tty && tcgetattr(STDIN_FILENO, &old) == 0) {
		hush = old;
		hush.c_lflag &= ~(tcflag_t)ECHO;
		hush.c_lflag |= ECHONL;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &hush);
		out_fprintf(stderr, "API token for %s: ", url);
		ok = read_line(stdin, token, sizeof(token));
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	} else {
		ok = read_line(stdin, token, sizeof(token));
	}
	if (!ok || strpbrk(token, " \t")) {
		sodium_memzero(token, sizeof(token));
		cli_error("no API token read (one line of at most %d bytes)",
			  TOKEN_MAX);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* Writes the login file anew, mode 0600, by a rename; exit code. */
static int login_write(const char *who)
{
	char dir[PATH_MAX - 16], path[PATH_MAX], tmp[PATH_MAX + 32];
	struct nhir_buf b = NHIR_BUF_INIT(4096);
	char *slash;
	FILE *f;
	int fd, r = EXIT_OK;

	if (!login_dir(dir, sizeof(dir)) ||
	    !login_path(path, sizeof(path))) {
		cli_error("no place for the token: set HOME or "
			  "XDG_CONFIG_HOME");
		return EXIT_ERROR;
	}
	/* ~/.config may not be there yet; nhir's own directory is 0700 */
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		if (mkdir(dir, 0700) && errno != EEXIST) {
			cli_error("cannot make '%s': %s", dir, strerror(errno));
			return EXIT_ERROR;
		}
		*slash = '/';
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		cli_error("cannot make '%s': %s", dir, strerror(errno));
		return EXIT_ERROR;
	}
	snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		cli_error("cannot create '%s': %s", tmp, strerror(errno));
		return EXIT_ERROR;
	}
	nhir_buf_addf(&b, "# nhir login: the server and the API token of %s\n"
		      "server %s\ntoken %s\n", who, server, token);
	f = fdopen(fd, "w");
	if (!f)
		close(fd);
	if (f && !b.err && !fchmod(fd, 0600)) {
		out_raw(f, b.buf, b.len);
		if (fflush(f) || ferror(f) || fsync(fd))
			r = EXIT_ERROR;
	} else {
		r = EXIT_ERROR;
	}
	if ((f && fclose(f)) || r) {
		cli_error("cannot write '%s': %s", tmp,
			  b.err ? "out of memory" : strerror(errno));
		r = EXIT_ERROR;
	}
	if (!r && rename(tmp, path)) {
		cli_error("cannot write '%s': %s", path, strerror(errno));
		r = EXIT_ERROR;
	}
	if (r)
		unlink(tmp);
	if (b.buf)
		sodium_memzero(b.buf, b.alloc);
	nhir_buf_release(&b);
	if (!r)
		out_printf("token kept in %s (mode 0600)\n", path);
	return r;
}

int cmd_login(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "token-stdin", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	bool from_stdin = false;
	const char *user;
	cJSON *doc = NULL;
	int c, r;

	(void)ctx;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h')
			return cli_usage(usage_login, true);
		if (c == 's')
			from_stdin = true;
		else
			return cli_usage(usage_login, false);
	}
	if (optind + 1 != argc)
		return cli_usage(usage_login, false);
	if (!take_url(argv[optind], "login"))
		return EXIT_USAGE;
	r = read_token(server, from_stdin);
	if (r)
		return r;
	r = rmt_send("GET", "/api/v1/session", NULL, &doc);
	user = rmt_str(doc, "user");
	if (!r && !user) {
		cli_error("the server at %s did not say whose the token is",
			  server);
		r = EXIT_ERROR;
	}
	if (!r) {
		out_printf("logged in to %s as %s (token %" PRId64 ")\n", server,
			   user, rmt_num(doc, "token"));
		r = login_write(user);
	}
	cJSON_Delete(doc);
	sodium_memzero(token, sizeof(token));
	return r;
}

int cmd_logout(int argc, char **argv, struct cli_ctx *ctx)
{
	char path[PATH_MAX], url[sizeof(server)];
	int r;

	(void)ctx;
	if (argc > 1)
		return cli_usage(usage_logout, !strcmp(argv[1], "--help") ||
						 !strcmp(argv[1], "-h"));
	r = login_read(url, sizeof(url), token, sizeof(token));
	sodium_memzero(token, sizeof(token));
	if (!login_path(path, sizeof(path))) {
		cli_error("no login file: HOME and XDG_CONFIG_HOME are unset");
		return EXIT_ERROR;
	}
	if (unlink(path)) {
		if (errno == ENOENT) {
			out_printf("not logged in (no %s)\n", path);
			return EXIT_OK;
		}
		cli_error("cannot remove '%s': %s", path, strerror(errno));
		return EXIT_ERROR;
	}
	if (r == EXIT_OK)
		out_printf("logged out of %s (%s removed; the token itself "
			   "stays valid until it expires or is revoked)\n",
			   url, path);
	else
		out_printf("%s removed\n", path);
	return EXIT_OK;
}
