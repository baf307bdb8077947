/* nhir serve: the record over HTTP, to holders of a token or session. */
#include "compat.h"
#include <getopt.h>
#include <sys/stat.h>
#include "nhir/oidc.h"
#include "nhir/plan.h"
#include "nhir/witness.h"
#include "nhir/ssf.h"
#include "cli/cli.h"
#include "server/server.h"

static const char usage_serve[] =
	"usage: nhir serve [--listen ADDR:PORT] [--threads N]\n"
	"                  [--max-body BYTES] [--timeout SECONDS]\n"
	"                  [--tls-cert FILE --tls-key FILE]\n"
	"                  [--login-limit USER/ADDRESS] [--config FILE]\n"
	"                  [--catalog FILE] [--policy FILE]\n"
	"                  [--max-upload BYTES] [--upload-dir DIR]\n"
	"                  [--upload-time SECONDS] [--connectors FILE]\n"
	"                  [--report-key KEYFILE] [--read-only]\n"
	"                  [--watch-root DIR]\n"
	"       nhir serve --routes\n"
	"\n"
	"Serves the database (--db, $NHIR_DB) over HTTP: GET /healthz, and\n"
	"under /api/v1 the record to holders of an API token ('nhir token')\n"
	"or of a session: POST /api/v1/login with a local password ('nhir\n"
	"user passwd'; 'nhir config set passwords off' turns them off) sets\n"
	"a session cookie, and every change made with it needs the session's\n"
	"CSRF token in X-CSRF-Token.  Failed logins are limited per user and\n"
	"per client address in 5 minutes (--login-limit, default 5/20); past\n"
	"that, 429 with Retry-After.\n"
	"--config FILE (YAML) may configure sign-in by OpenID Connect: its\n"
	"'oidc:' names issuer, client_id, client_secret_file or\n"
	"client_secret_env, redirect_uri and user_claim; GET\n"
	"/api/v1/oidc/login starts it (authorization code with PKCE), and\n"
	"the user the claim names must exist in nhir, unless 'roles:' maps\n"
	"the provider's groups to nhir roles (then they decide the role at\n"
	"each sign-in, and 'provision: true' makes a new person a user).\n"
	"Its 'witness:' (url, token_file, key, interval) sends signed\n"
	"checkpoints of the audit log to another nhir server, the witness,\n"
	"whenever the log has grown and interval seconds have passed; a\n"
	"server takes others' checkpoints at POST\n"
	"/api/v1/witness/checkpoints ('nhir audit verify --witness URL').\n"
	"Its 'webhooks:' lists hooks told of events by an HTTP POST: each\n"
	"has name, url or url_file (a file of mode 0600 holding it), format\n"
	"(json or slack), events (incident.declared, approval.requested,\n"
	"step.failed, incident.contained, incident.closed, watch.alert,\n"
	"watch.verdict), secret_file (at\n"
	"least 16 bytes, mode 0600) and optionally attempts (default 8).\n"
	"Each request carries X-Nhir-Signature: t=TIME,v1=HMAC-SHA256 of\n"
	"'TIME.BODY' under the secret; one not answered 2xx is tried again\n"
	"after 2 s, doubling up to an hour ($NHIR_WEBHOOK_BACKOFF_MS, 10 to\n"
	"2000, shortens the first wait for tests).  GET\n"
	"/api/v1/webhooks/deliveries lists the deliveries to admins.\n"
	"SIGHUP reads FILE again; if it does not load, the running\n"
	"configuration stays (the server's log says why); 'witness:' is\n"
	"read at the start only.\n"
	"Its 'ssf:' (issuer, key, and optionally receive: {audience,\n"
	"providers}) makes the server an OpenID Shared Signals transmitter\n"
	"(and receiver of SETs from those providers, as findings):\n"
	"/.well-known/ssf-configuration, streams pushed or polled, SETs\n"
	"signed EdDSA by the key (a file of 'nhir report keygen', mode 0600;\n"
	"read at the start only).  See doc/guide/ssf.md.\n"
	"--listen defaults to " SRV_LISTEN_DEFAULT "; port 0 takes any free\n"
	"port.  Once listening it prints 'listening on http://ADDR:PORT'.\n"
	"N worker threads answer requests (default 4); a request body over\n"
	"BYTES (default 65536) gets 413, and a connection idle for SECONDS\n"
	"(default 30) is closed.  SIGTERM or SIGINT stops it: requests in\n"
	"flight finish first.  The principal of every request is the token's\n"
	"user; --as and any identity a client claims are ignored.  The server\n"
	"speaks plain HTTP unless given --tls-cert (a PEM certificate chain)\n"
	"and --tls-key (its PEM private key, mode 0600 or stricter): then\n"
	"HTTPS only, TLS 1.2 or 1.3, and every answer says Strict-Transport-\n"
	"Security.  Without TLS, keep it on loopback or behind a TLS proxy.\n"
	"Uploads (POST /api/v1/import, /api/v1/ingest, /api/v1/findings/\n"
	"import and an incident's evidence) stream into an unnamed file\n"
	"(mode 0600) in DIR (default $TMPDIR or /var/tmp), gzip inflated on\n"
	"the way (Content-Encoding: gzip, or a body that starts as gzip\n"
	"does, evidence aside); one over BYTES (default 268435456) once\n"
	"inflated gets 413, and one still arriving after SECONDS (default\n"
	"600; 0: no limit) is cut off.\n"
	"Plans are built from the catalog an admin configured (nhir config),\n"
	"else --catalog FILE, $NHIR_CATALOG or catalog/actions.yaml;\n"
	"findings are explained by --policy FILE, $NHIR_POLICY or\n"
	"policy/routing.yaml.\n"
	"Plan steps run (and revocations are verified) through the\n"
	"connectors of --connectors FILE or $NHIR_CONNECTORS, read at each\n"
	"request; without them, execute and verify are refused.  Reports are\n"
	"signed with --report-key KEYFILE or $NHIR_REPORT_KEY ('nhir report\n"
	"keygen'; mode 0600 or stricter), which also signs a checkpoint of\n"
	"the audit log at each signing.\n"
	"A watch after containment started over HTTP (POST /api/v1/incidents/\n"
	"INC/watch) checks uploads to /api/v1/ingest, and with \"dir\" the\n"
	"files landing in that folder under --watch-root DIR (none without\n"
	"it); its verdict is signed with the report key.\n"
	"--read-only serves reads only (a PostgreSQL hot standby, a copy):\n"
	"the database is opened read-only and every route that changes the\n"
	"record answers 503 problem+json 'read-only' (NHIR_EREADONLY)\n"
	"unread; its configuration may have no webhooks, witness or ssf.\n"
	"A standby is served read-only even without it.\n"
	"--routes lists what it answers, one 'METHOD PATH' a line, with\n"
	"'write' after a route that changes the record and 'public' after one\n"
	"that needs no token; the API is described at /api/v1/openapi.json.\n"
	"\n"
	"exit status: 0 stopped by a signal, 1 error, 2 usage error\n";

static bool number(const char *s, unsigned long long lo,
		   unsigned long long hi, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return !errno && end != s && !*end && *s != '-' && *out >= lo &&
	       *out <= hi;
}

static void route_line(const char *method, const char *path, bool writes,
		       bool public, void *data)
{
	(void)data;
	out_printf("%s %s%s%s\n", method, path, writes ? " write" : "",
		   public ? " public" : "");
}

/* "U/A": the failed logins allowed per user and per address. */
static bool login_limit(const char *s, struct srv_opts *o)
{
	const char *slash = strchr(s, '/');
	unsigned long long u, a;
	char left[24];

	if (!slash || (size_t)(slash - s) >= sizeof(left))
		return false;
	memcpy(left, s, (size_t)(slash - s));
	left[slash - s] = '\0';
	if (!number(left, 1, 1000, &u) || !number(slash + 1, 1, 1000, &a))
		return false;
	o->login_user = (unsigned)u;
	o->login_addr = (unsigned)a;
	return true;
}

/*
 * The OIDC client secret: from the file the configuration names (its
 * first line; a file others may read is refused), or the environment
 * variable it names.  Never from the command line.
 */
static enum nhir_rc client_secret(const struct nhir_oidc_config *c,
				  char *out, size_t n, struct nhir_err *err)
{
	struct stat sb;
	const char *v;
	FILE *f;
	bool ok;

	out[0] = '\0';
	if (c->secret_env[0]) {
		v = getenv(c->secret_env);
		if (!v || !*v || strlen(v) >= n)
			return nhir_err_set(err, NHIR_EINVAL, "oidc: $%s holds "
					    "no client secret (1 to %zu bytes)",
					    c->secret_env, n - 1);
		snprintf(out, n, "%s", v);
		return NHIR_OK;
	}
	f = fopen(c->secret_file, "r");
	if (!f || fstat(fileno(f), &sb)) {
		nhir_err_set(err, NHIR_EIO, "oidc: %s: %s", c->secret_file,
			     strerror(errno));
		if (f)
			fclose(f);
		return NHIR_EIO;
	}
	if (sb.st_mode & 077) {
		fclose(f);
		return nhir_err_set(err, NHIR_EIO, "oidc: %s may be read by "
				    "others (mode %04o): chmod 600 it",
				    c->secret_file,
				    (unsigned)(sb.st_mode & 07777));
	}
	ok = fgets(out, (int)n, f) != NULL;
	fclose(f);
	out[strcspn(out, "\r\n")] = '\0';
	if (!ok || !out[0])
		return nhir_err_set(err, NHIR_EIO, "oidc: %s holds no client "
				    "secret", c->secret_file);
	return NHIR_OK;
}

/* --read-only: read by load_config, at the start and on SIGHUP */
static bool read_only;

/* srv_config_fn: --config FILE, at the start and on every SIGHUP. */
static enum nhir_rc load_config(const char *path, struct nhir_oidc_config *c,
				bool *found, char *secret, size_t n,
				struct nhir_webhooks *hooks,
				struct nhir_err *err)
{
	enum nhir_rc rc = nhir_oidc_config_load(path, c, found, err);

	if (!rc && *found)
		rc = client_secret(c, secret, n, err);
	if (!rc)
		rc = nhir_webhooks_load(path, hooks, err);
	/* their deliveries are written down: the primary's server sends */
	if (!rc && read_only && hooks->nr)
		rc = nhir_err_set(err, NHIR_EINVAL, "%s: 'webhooks:' on a "
				  "server with --read-only (the primary's "
				  "server sends them)", path);
	return rc;
}

/*
 * The "witness:" section: its token (from a file kept from others) and
 * a signing key kept the same way.  Read once, at the start.
 */
static enum nhir_rc load_witness(const char *path,
				 struct nhir_witness_config *w, bool *found,
				 char *token, size_t n, struct nhir_err *err)
{
	struct stat sb;
	enum nhir_rc rc = nhir_witness_config_load(path, w, found, err);

	if (rc || !*found)
		return rc;
	if (stat(w->key, &sb))
		return nhir_err_set(err, NHIR_EIO, "witness: key %s: %s",
				    w->key, strerror(errno));
	if (sb.st_mode & 077)
		return nhir_err_set(err, NHIR_EIO, "witness: key %s may be "
				    "read by others (mode %04o): chmod 600 it",
				    w->key, (unsigned)(sb.st_mode & 07777));
	return nhir_witness_token_read(w->token_file, token, n, err);
}

/*
 * $NHIR_WEBHOOK_BACKOFF_MS: the first wait before a webhook is tried
 * again, for tests that cannot wait seconds; 10 to 2000, else the
 * default.
 */
static int64_t hook_backoff(void)
{
	const char *v = getenv("NHIR_WEBHOOK_BACKOFF_MS");
	unsigned long long ms;

	if (!v || !number(v, 10, NHIR_WEBHOOK_BACKOFF_MS, &ms))
		return NHIR_WEBHOOK_BACKOFF_MS;
	return (int64_t)ms;
}

/* Connectors that do not load keep the server from starting. */
static int check_connectors(const char *path)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_connectors *c = NULL;

	if (!path)
		return EXIT_OK;
	if (nhir_connectors_load(path, &c, &err))
		return cli_fail(&err);
	nhir_connectors_free(c);
	return EXIT_OK;
}

/* A signing key others may read keeps the server from starting. */
static int check_report_key(const char *path)
{
	struct stat sb;

	if (!path)
		return EXIT_OK;
	errno = 0;
	if (stat(path, &sb) || !S_ISREG(sb.st_mode)) {
		cli_error("--report-key %s: %s", path, errno ? strerror(errno)
				: "not a regular file");
		return EXIT_ERROR;
	}
	if (sb.st_mode & 077) {
		cli_error("--report-key %s: others may read it (mode %03o): "
			  "chmod 600 it", path, (unsigned)(sb.st_mode & 0777));
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

int cmd_serve(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "threads", required_argument, NULL, 't' },
		{ "max-body", required_argument, NULL, 'b' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "routes", no_argument, NULL, 'r' },
		{ "tls-cert", required_argument, NULL, 'C' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "login-limit", required_argument, NULL, 'L' },
		{ "config", required_argument, NULL, 'c' },
		{ "catalog", required_argument, NULL, 'A' },
		{ "policy", required_argument, NULL, 'P' },
		{ "max-upload", required_argument, NULL, 'U' },
		{ "upload-dir", required_argument, NULL, 'D' },
		{ "upload-time", required_argument, NULL, 'W' },
		{ "connectors", required_argument, NULL, 'X' },
		{ "report-key", required_argument, NULL, 'S' },
		{ "read-only", no_argument, NULL, 'R' },
		{ "watch-root", required_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct srv_opts o = {
		ctx->db, SRV_LISTEN_DEFAULT, SRV_THREADS_DEFAULT,
		SRV_BODY_DEFAULT, SRV_TIMEOUT_DEFAULT, SRV_UPLOAD_DEFAULT, NULL,
		SRV_UPLOAD_TIME_DEFAULT, NULL, NULL,
		SRV_LOGIN_FAILS_USER, SRV_LOGIN_FAILS_ADDR, NULL, NULL, NULL,
		NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL,
		false, cli_getenv, NULL, NULL,
	};
	struct nhir_oidc_config oidc;
	struct nhir_witness_config witness;
	static struct nhir_webhooks hooks;
	static struct nhir_ssf_config ssf;
	const char *config = NULL;
	char secret[1024], wtoken[1024] = "";
	int rc;
	unsigned long long v;
	bool routes = false;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			o.listen = optarg;
			break;
		case 't':
			if (!number(optarg, 1, SRV_THREADS_MAX, &v)) {
				cli_error("--threads is '%s': a number from 1 "
					  "to %u", optarg, SRV_THREADS_MAX);
				return EXIT_USAGE;
			}
			o.threads = (unsigned)v;
			break;
		case 'b':
			if (!number(optarg, 1, SRV_BODY_MAX, &v)) {
				cli_error("--max-body is '%s': bytes, 1 to %zu",
					  optarg, SRV_BODY_MAX);
				return EXIT_USAGE;
			}
			o.max_body = (size_t)v;
			break;
		case 'T':
			if (!number(optarg, 1, 3600, &v)) {
				cli_error("--timeout is '%s': seconds, 1 to 3600",
					  optarg);
				return EXIT_USAGE;
			}
			o.timeout = (unsigned)v;
			break;
		case 'r':
			routes = true;
			break;
		case 'C':
			o.tls_cert = optarg;
			break;
		case 'K':
			o.tls_key = optarg;
			break;
		case 'L':
			if (!login_limit(optarg, &o)) {
				cli_error("--login-limit is '%s': USER/ADDRESS, "
					  "failed logins from 1 to 1000", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'c':
			config = optarg;
			break;
		case 'A':
			o.catalog = optarg;
			break;
		case 'P':
			o.policy = optarg;
			break;
		case 'U':
			if (!number(optarg, 1, SRV_UPLOAD_MAX, &v)) {
				cli_error("--max-upload is '%s': bytes, 1 to %"
					  PRIu64, optarg, SRV_UPLOAD_MAX);
				return EXIT_USAGE;
			}
			o.max_upload = v;
			break;
		case 'D':
			o.upload_dir = optarg;
			break;
		case 'W':
			if (!number(optarg, 0, 86400, &v)) {
				cli_error("--upload-time is '%s': seconds, 0 to "
					  "86400", optarg);
				return EXIT_USAGE;
			}
			o.upload_time = (unsigned)v;
			break;
		case 'X':
			o.connectors = optarg;
			break;
		case 'S':
			o.report_key = optarg;
			break;
		case 'R':
			read_only = o.read_only = true;
			break;
		case 'V':
			o.watch_root = optarg;
			break;
		case 'h':
			return cli_usage(usage_serve, true);
		default:
			return cli_usage(usage_serve, false);
		}
	}
	if (optind != argc)
		return cli_usage(usage_serve, false);
	if (!o.upload_dir) {
		const char *tmp = getenv("TMPDIR");

		o.upload_dir = tmp && *tmp ? tmp : "/var/tmp";
	}
	o.catalog = cli_catalog_path(o.catalog);
	o.policy = cli_policy_path(o.policy);
	o.connectors = cli_connectors_path(o.connectors);
	if (!o.report_key && getenv("NHIR_REPORT_KEY") &&
	    *getenv("NHIR_REPORT_KEY"))
		o.report_key = getenv("NHIR_REPORT_KEY");
	if (!o.tls_cert != !o.tls_key) {
		cli_error("--tls-cert and --tls-key go together");
		return EXIT_USAGE;
	}
	if (routes) {
		srv_routes(route_line, NULL);
		return EXIT_OK;
	}
	/* tokens expire and approvals lapse by the real clock only */
	if (cli_now_fixed() != NHIR_TIME_UNSET) {
		cli_error("nhir serve keeps the real clock: unset NHIR_NOW");
		return EXIT_USAGE;
	}
	if (config) {
		struct nhir_err err = NHIR_ERR_INIT;
		bool found = false;

		if (load_config(config, &oidc, &found, secret, sizeof(secret),
				&hooks, &err))
			return cli_fail(&err);
		o.hooks = &hooks;
		if (found) {
			o.oidc = &oidc;
			o.oidc_secret = secret;
		}
		o.config = config;
		o.config_load = load_config;
		if (load_witness(config, &witness, &found, wtoken,
				 sizeof(wtoken), &err)) {
			memset(secret, 0, sizeof(secret));
			return cli_fail(&err);
		}
		if (found) {
			o.witness = &witness;
			o.witness_token = wtoken;
		}
		if (nhir_ssf_config_load(config, &ssf, &found, &err)) {
			memset(secret, 0, sizeof(secret));
			memset(wtoken, 0, sizeof(wtoken));
			return cli_fail(&err);
		}
		if (found)
			o.ssf = &ssf;
		if (read_only && (o.witness || o.ssf)) {
			memset(secret, 0, sizeof(secret));
			memset(wtoken, 0, sizeof(wtoken));
			cli_error("%s: '%s:' on a server with --read-only (the "
				  "primary's server runs it)", config,
				  o.witness ? "witness" : "ssf");
			return EXIT_USAGE;
		}
	}
	if ((rc = check_connectors(o.connectors)) ||
	    (rc = check_report_key(o.report_key)))
		return rc;
	o.hook_backoff_ms = hook_backoff();
	rc = srv_run(&o) ? EXIT_ERROR : EXIT_OK;
	memset(secret, 0, sizeof(secret));
	memset(wtoken, 0, sizeof(wtoken));
	return rc;
}
