/*
 * Connectors: how a step reaches a provider.  "exec" runs a configured
 * command that reads the step as JSON on stdin and answers JSON on
 * stdout, within a timeout; "http" posts the same JSON to a webhook
 * (libcurl, loaded when the first http connector runs: its dependencies
 * cost every other command milliseconds at start).  Probes are the same, asked whether a credential still
 * works.  Secrets come from the environment or files named in the
 * configuration (${env:NAME}, ${file:PATH}) and are never stored.
 */
#include "compat.h"
#include <stddef.h>
#include <strings.h>
#include <ctype.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dlfcn.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include "nhir/buf.h"
#include "nhir/oidc.h"
#include "nhir/plan.h"
#include "nhir/webhook.h"
#include "core/yaml.h"
#include "plan/aws.h"
#include "plan/gcp.h"
#include "plan/entra.h"
#include "plan/github.h"
#include "plan/k8s.h"
#include "plan/vault.h"
#include "plan/plan-internal.h"

#define MAX_ARGS 32
#define MAX_PATTERNS 32
#define MAX_HEADERS 16
#define MAX_ENV 32
#define MAX_OUTPUT (1 << 20)

struct connector {
	char *name;
	bool http;
	char *exe;			/* exec: argv[0], an absolute path */
	char *argv[MAX_ARGS + 1];	/* exec */
	char *env[MAX_ENV];		/* exec: the variables it is given */
	size_t env_nr;
	char *url;			/* http */
	char *headers[MAX_HEADERS];	/* "Name: value" with ${...} */
	size_t header_nr;
	int64_t timeout;
	char *patterns[MAX_PATTERNS];	/* actions, or subtypes for probes */
	size_t pattern_nr;
	struct nhir_aws *aws;		/* built in: type aws (aws.c) */
	struct nhir_github *github;	/* built in: type github (github.c) */
	struct nhir_vault *vault;	/* built in: type vault (vault.c) */
	struct nhir_gcp *gcp;		/* built in: type gcp (gcp.c) */
	struct nhir_k8s *k8s;		/* built in: type kubernetes (k8s.c) */
	struct nhir_entra *entra;	/* built in: type entra (entra.c) */
};

struct nhir_connectors {
	struct connector *conn, *probe;
	size_t conn_nr, probe_nr;
};

static void conn_free(struct connector *c)
{
	for (size_t i = 0; c->argv[i]; i++)
		nhir_free(c->argv[i]);
	for (size_t i = 0; i < c->env_nr; i++)
		nhir_free(c->env[i]);
	nhir_free(c->exe);
	for (size_t i = 0; i < c->header_nr; i++)
		nhir_free(c->headers[i]);
	for (size_t i = 0; i < c->pattern_nr; i++)
		nhir_free(c->patterns[i]);
	nhir_free(c->name);
	nhir_free(c->url);
	nhir_aws_free(c->aws);
	nhir_github_free(c->github);
	nhir_vault_free(c->vault);
	nhir_gcp_free(c->gcp);
	nhir_k8s_free(c->k8s);
	nhir_entra_free(c->entra);
}

void nhir_connectors_free(struct nhir_connectors *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->conn_nr; i++)
		conn_free(&c->conn[i]);
	for (size_t i = 0; i < c->probe_nr; i++)
		conn_free(&c->probe[i]);
	nhir_free(c->conn);
	nhir_free(c->probe);
	nhir_free(c);
}

static enum nhir_rc strs(struct nhir_yaml *y, const yaml_node_t *n,
			 const char *what, char **out, size_t max, size_t *nr)
{
	yaml_node_item_t *it;
	size_t k;

	*nr = 0;
	if (!nhir_yaml_is_seq(n))
		return nhir_yaml_error(y, n, "%s is a list", what);
	it = nhir_yaml_items(n, &k);
	if (!k || k > max)
		return nhir_yaml_error(y, n, "%s: 1 to %zu entries", what, max);
	for (size_t i = 0; i < k; i++) {
		const char *s = nhir_yaml_str(nhir_yaml_node(y, it[i]));

		if (!s)
			return nhir_yaml_error(y, n, "%s: entries are texts", what);
		out[i] = nhir_strdup(s);
		if (!out[i])
			return nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
		(*nr)++;
	}
	return NHIR_OK;
}

/* An environment variable's name: [A-Za-z_][A-Za-z0-9_]*. */
static bool env_name(const char *s)
{
	if (!*s || isdigit((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

static bool executable(const char *path)
{
	struct stat sb;

	return !stat(path, &sb) && S_ISREG(sb.st_mode) && !access(path, X_OK);
}

/* Where a bare command name is looked for: not $PATH, which is not the
 * configuration's to choose. */
#define COMMAND_PATH "/usr/local/bin:/usr/bin:/bin"

/*
 * The command's absolute path, fixed when the file is loaded: a bare
 * name is looked up in COMMAND_PATH, a relative path is taken from the
 * directory of the connectors file (y->name).  The program is then run
 * by that path, whatever the environment or directory nhir runs in.
 */
static enum nhir_rc resolve(struct nhir_yaml *y, const yaml_node_t *v,
			    struct connector *c)
{
	const char *cmd = c->argv[0], *path = COMMAND_PATH;
	char dir[PATH_MAX], *p = NULL, *slash;
	size_t n;

	if (cmd[0] == '/') {
		p = nhir_strdup(cmd);
	} else if (strchr(cmd, '/')) {
		if (realpath(y->name, dir) && (slash = strrchr(dir, '/'))) {
			*slash = 0;
			n = strlen(dir) + strlen(cmd) + 2;
			p = nhir_malloc(n);
			if (p)
				snprintf(p, n, "%s/%s", dir, cmd);
		}
	} else {
		while (*path) {
			const char *e = strchr(path, ':');
			size_t dl = e ? (size_t)(e - path) : strlen(path);

			n = dl + strlen(cmd) + 2;
			p = nhir_malloc(n);
			if (!p)
				break;
			snprintf(p, n, "%.*s/%s", (int)dl, path, cmd);
			if (executable(p))
				break;
			nhir_free(p);
			p = NULL;
			path += dl + (e ? 1 : 0);
		}
	}
	if (p && executable(p)) {
		c->exe = p;
		return NHIR_OK;
	}
	nhir_free(p);
	return nhir_yaml_error(y, v, "'%s': command '%s' is not an "
			       "executable file%s", c->name, cmd,
			       strchr(cmd, '/') ? " (a relative command is "
			       "taken from the connectors file's directory)"
			       : " in " COMMAND_PATH);
}

/* The keys of each built-in type: a type that has none of them takes none. */
static const struct {
	const char *type;
	const char *keys[8];
} builtin_keys[] = {
	{ "aws", { NHIR_AWS_KEYS, NULL } },
	{ "github", { NHIR_GITHUB_KEYS, NULL } },
	{ "vault", { NHIR_VAULT_KEYS, NULL } },
	{ "gcp", { NHIR_GCP_KEYS, NULL } },
	{ "kubernetes", { NHIR_K8S_KEYS, NULL } },
	{ "entra", { NHIR_ENTRA_KEYS, NULL } },
};

/* Whether type (built in or not) takes key of the built-in keys. */
static bool takes(const char *type, const char *key)
{
	for (size_t t = 0; t < NHIR_ARRAY_SIZE(builtin_keys); t++)
		for (size_t i = 0; !strcmp(type, builtin_keys[t].type) &&
		     builtin_keys[t].keys[i]; i++)
			if (!strcmp(key, builtin_keys[t].keys[i]))
				return true;
	return false;
}

static enum nhir_rc parse_conn(struct nhir_yaml *y, const yaml_node_t *n,
			       bool probe, struct connector *c)
{
	static const char *const keys[] = { "name", "type", "command", "url",
					    "headers", "timeout", "actions",
					    "subtypes", "env", NHIR_AWS_KEYS,
					    NHIR_GITHUB_KEYS, "address",
					    "namespace", NHIR_GCP_KEYS,
					    NHIR_K8S_KEYS, NHIR_ENTRA_KEYS,
					    NULL };
	const char *name, *type;
	yaml_node_t *v;
	size_t nr;
	bool builtin;
	enum nhir_rc rc = nhir_yaml_keys(y, n, probe ? "a probe" : "a connector",
					 keys);

	if (rc)
		return rc;
	name = nhir_yaml_str(nhir_yaml_get(y, n, "name"));
	type = nhir_yaml_str(nhir_yaml_get(y, n, "type"));
	if (!name)
		return nhir_yaml_error(y, n, "a %s needs a name",
				       probe ? "probe" : "connector");
	c->name = nhir_strdup(name);
	if (!c->name)
		return nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
	if (!type || (strcmp(type, "exec") && strcmp(type, "http") &&
		      strcmp(type, "aws") && strcmp(type, "github") &&
		      strcmp(type, "vault") && strcmp(type, "gcp") &&
		      strcmp(type, "kubernetes") && strcmp(type, "entra")))
		return nhir_yaml_error(y, n, "'%s': type is exec, http, aws, "
				       "github, vault, gcp, kubernetes or entra",
				       name);
	c->http = !strcmp(type, "http");
	builtin = !strcmp(type, "aws") || !strcmp(type, "github") ||
		  !strcmp(type, "vault") || !strcmp(type, "gcp") ||
		  !strcmp(type, "kubernetes") || !strcmp(type, "entra");
	for (size_t t = 0; t < NHIR_ARRAY_SIZE(builtin_keys); t++) {
		if (!strcmp(type, builtin_keys[t].type))
			continue;
		for (size_t i = 0; builtin_keys[t].keys[i]; i++) {
			const char *k = builtin_keys[t].keys[i];

			if (!takes(type, k) && nhir_yaml_get(y, n, k))
				return nhir_yaml_error(y, nhir_yaml_get(y, n, k),
						       "'%s': %s is for "
						       "connectors of type %s",
						       name, k,
						       builtin_keys[t].type);
		}
	}
	if (builtin) {
		static const char *const not_builtin[] = { "command", "url",
							   "headers", "env" };

		for (size_t i = 0; i < NHIR_ARRAY_SIZE(not_builtin); i++)
			if (nhir_yaml_get(y, n, not_builtin[i]))
				return nhir_yaml_error(y, nhir_yaml_get(y, n,
						       not_builtin[i]), "'%s': a "
						       "connector of type %s "
						       "takes no %s", name, type,
						       not_builtin[i]);
		rc = !strcmp(type, "aws") ? nhir_aws_config(y, n, name, &c->aws)
		     : !strcmp(type, "github")
		     ? nhir_github_config(y, n, name, &c->github)
		     : !strcmp(type, "vault")
		     ? nhir_vault_config(y, n, name, &c->vault)
		     : !strcmp(type, "gcp")
		     ? nhir_gcp_config(y, n, name, &c->gcp)
		     : !strcmp(type, "kubernetes")
		     ? nhir_k8s_config(y, n, name, &c->k8s)
		     : nhir_entra_config(y, n, name, &c->entra);
		if (rc)
			return rc;
	} else if (c->http) {
		const char *url = nhir_yaml_str(nhir_yaml_get(y, n, "url"));

		if (!url || (strncmp(url, "http://", 7) &&
			     strncmp(url, "https://", 8)))
			return nhir_yaml_error(y, n, "'%s': an http connector "
					       "needs an http(s) url", name);
		c->url = nhir_strdup(url);
		if (!c->url)
			return nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
		v = nhir_yaml_get(y, n, "headers");
		if (v) {
			if (!nhir_yaml_is_map(v))
				return nhir_yaml_error(y, v, "'%s': headers is "
						       "a mapping", name);
			for (yaml_node_pair_t *p = v->data.mapping.pairs.start;
			     p < v->data.mapping.pairs.top &&
			     c->header_nr < MAX_HEADERS; p++) {
				const char *k = nhir_yaml_str(nhir_yaml_node(y, p->key));
				const char *x = nhir_yaml_str(nhir_yaml_node(y, p->value));
				size_t len;

				if (!k || !x)
					return nhir_yaml_error(y, v, "'%s': header"
							       " names and "
							       "values are "
							       "texts", name);
				len = strlen(k) + strlen(x) + 3;
				c->headers[c->header_nr] = nhir_malloc(len);
				if (!c->headers[c->header_nr])
					return nhir_err_set(y->err, NHIR_ENOMEM,
							    "out of memory");
				snprintf(c->headers[c->header_nr++], len,
					 "%s: %s", k, x);
			}
		}
	} else {
		v = nhir_yaml_get(y, n, "command");
		if (!v)
			return nhir_yaml_error(y, n, "'%s': an exec connector "
					       "needs a command", name);
		rc = strs(y, v, "command", c->argv, MAX_ARGS, &nr);
		if (rc)
			return rc;
		v = nhir_yaml_get(y, n, "env");
		if (v) {
			rc = strs(y, v, "env", c->env, MAX_ENV, &c->env_nr);
			if (rc)
				return rc;
			for (size_t i = 0; i < c->env_nr; i++)
				if (!env_name(c->env[i]))
					return nhir_yaml_error(y, v, "'%s': env "
							       "lists variable "
							       "names, not '%s'",
							       name, c->env[i]);
		}
	}
	if (c->http && nhir_yaml_get(y, n, "env"))
		return nhir_yaml_error(y, nhir_yaml_get(y, n, "env"), "'%s': env "
				       "is for exec connectors (headers take "
				       "${env:NAME})", name);
	c->timeout = 30;
	v = nhir_yaml_get(y, n, "timeout");
	if (v && (!nhir_yaml_int(v, &c->timeout) || c->timeout <= 0 ||
		  c->timeout > 3600))
		return nhir_yaml_error(y, v, "'%s': timeout is 1 to 3600 "
				       "seconds", name);
	v = nhir_yaml_get(y, n, probe ? "subtypes" : "actions");
	if (!v)
		return nhir_yaml_error(y, n, "'%s' needs %s", name,
				       probe ? "subtypes" : "actions");
	rc = strs(y, v, probe ? "subtypes" : "actions", c->patterns,
		  MAX_PATTERNS, &c->pattern_nr);
	if (!rc && !c->http && !c->aws && !c->github && !c->vault && !c->gcp &&
	    !c->k8s && !c->entra)
		rc = resolve(y, nhir_yaml_get(y, n, "command"), c);
	return rc;
}

static enum nhir_rc from_doc(struct nhir_yaml *y, struct nhir_connectors **out)
{
	static const char *const keys[] = { "version", "connectors", "probes",
					    NULL };
	struct nhir_connectors *c = nhir_calloc(1, sizeof(*c));
	yaml_node_t *root = nhir_yaml_root(y);
	enum nhir_rc rc;

	if (!c) {
		nhir_yaml_free(y);
		return nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
	}
	rc = nhir_yaml_keys(y, root, "the connectors file", keys);
	if (!rc && (!nhir_yaml_str(nhir_yaml_get(y, root, "version")) ||
		    strcmp(nhir_yaml_str(nhir_yaml_get(y, root, "version")), "1")))
		rc = nhir_yaml_error(y, root, "version must be 1");
	for (int probe = 0; !rc && probe < 2; probe++) {
		yaml_node_t *list = nhir_yaml_get(y, root, probe ? "probes"
								 : "connectors");
		yaml_node_item_t *it;
		struct connector **v = probe ? &c->probe : &c->conn;
		size_t *vn = probe ? &c->probe_nr : &c->conn_nr, nr;

		if (!list)
			continue;
		if (!nhir_yaml_is_seq(list)) {
			rc = nhir_yaml_error(y, list, "%s is a list",
					     probe ? "probes" : "connectors");
			break;
		}
		it = nhir_yaml_items(list, &nr);
		*v = nhir_calloc(nr ? nr : 1, sizeof(**v));
		if (!*v) {
			rc = nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
			break;
		}
		for (size_t i = 0; !rc && i < nr; i++) {
			(*vn)++;
			rc = parse_conn(y, nhir_yaml_node(y, it[i]), probe,
					&(*v)[i]);
		}
	}
	nhir_yaml_free(y);
	if (rc) {
		nhir_connectors_free(c);
		return rc;
	}
	*out = c;
	return NHIR_OK;
}

enum nhir_rc nhir_connectors_parse(const char *data, size_t len,
				   const char *name,
				   struct nhir_connectors **out,
				   struct nhir_err *err)
{
	struct nhir_yaml y;
	enum nhir_rc rc = nhir_yaml_load(&y, data, len, name, err);

	*out = NULL;
	return rc ? rc : from_doc(&y, out);
}

/* Is uid the caller's or root's: someone the caller trusts anyway? */
static bool trusted_owner(uid_t uid)
{
	return uid == geteuid() || uid == 0;
}

/*
 * The directory holding file (as named, or where a link leads): its
 * owner may replace the file, and so may anyone allowed to write it,
 * unless it is sticky (as /tmp: only a file's owner removes it).
 */
static enum nhir_rc check_dir(const char *path, const char *file,
			      struct nhir_err *err)
{
	const char *slash = strrchr(file, '/');
	char *dir = !slash ? nhir_strdup(".")
		    : nhir_strndup(file, slash == file ? 1
						       : (size_t)(slash - file));
	struct stat sb;
	enum nhir_rc rc = NHIR_OK;

	if (!dir)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	if (stat(dir, &sb))
		rc = nhir_err_set(err, NHIR_EIO, "cannot read '%s': %s", dir,
				  strerror(errno));
	else if (!trusted_owner(sb.st_uid))
		rc = nhir_err_set(err, NHIR_EINVAL, "'%s': its directory "
				  "'%s' belongs to user %u, who may replace "
				  "it: a connectors file names the programs "
				  "nhir runs", path, dir, (unsigned)sb.st_uid);
	else if ((sb.st_mode & (S_IWGRP | S_IWOTH)) &&
		 !(sb.st_mode & S_ISVTX))
		rc = nhir_err_set(err, NHIR_EINVAL, "'%s': its directory "
				  "'%s' is writable by %s (mode %04o), who "
				  "may replace it: a connectors file names "
				  "the programs nhir runs; chmod go-w it",
				  path, dir,
				  sb.st_mode & S_IWOTH ? "others" : "its group",
				  (unsigned)(sb.st_mode & 07777));
	nhir_free(dir);
	return rc;
}

/*
 * A connectors file names the programs nhir runs: nobody but the caller
 * (or root) may change it, nor replace it in its directory.
 */
static enum nhir_rc check_trusted(const char *path, struct nhir_err *err)
{
	struct stat sb;
	char real[PATH_MAX];
	enum nhir_rc rc;

	if (stat(path, &sb))
		return NHIR_OK;	/* reading it says why */
	if (!trusted_owner(sb.st_uid))
		return nhir_err_set(err, NHIR_EINVAL, "'%s' belongs to user "
				    "%u, not to you or root: a connectors file "
				    "names the programs nhir runs", path,
				    (unsigned)sb.st_uid);
	if (sb.st_mode & (S_IWGRP | S_IWOTH))
		return nhir_err_set(err, NHIR_EINVAL, "'%s' is writable by "
				    "%s (mode %04o): a connectors file names "
				    "the programs nhir runs; chmod go-w it",
				    path, sb.st_mode & S_IWOTH ? "others"
							       : "its group",
				    (unsigned)(sb.st_mode & 07777));
	rc = check_dir(path, path, err);
	if (rc)
		return rc;
	if (!realpath(path, real))
		return nhir_err_set(err, NHIR_EIO, "cannot read '%s': %s",
				    path, strerror(errno));
	return check_dir(path, real, err);
}

enum nhir_rc nhir_connectors_load(const char *path,
				  struct nhir_connectors **out,
				  struct nhir_err *err)
{
	struct nhir_yaml y;
	enum nhir_rc rc;

	*out = NULL;
	rc = check_trusted(path, err);
	if (rc)
		return rc;
	rc = nhir_yaml_load_file(&y, path, err);
	return rc ? rc : from_doc(&y, out);
}

/* "aws.*" matches "aws.delete-access-key"; "*" everything. */
static bool matches(const char *pat, const char *s)
{
	size_t n = strlen(pat);

	if (n && pat[n - 1] == '*')
		return !strncmp(pat, s, n - 1);
	return !strcmp(pat, s);
}

static const struct connector *find(const struct connector *v, size_t nr,
				    const char *what)
{
	for (size_t i = 0; what && i < nr; i++)
		for (size_t k = 0; k < v[i].pattern_nr; k++)
			if (matches(v[i].patterns[k], what))
				return &v[i];
	return NULL;
}

const char *nhir_connector_for(const struct nhir_connectors *c,
			       const char *action, bool probe)
{
	const struct connector *x = !c ? NULL
				 : probe ? find(c->probe, c->probe_nr, action)
					 : find(c->conn, c->conn_nr, action);

	return x ? x->name : NULL;
}

bool nhir_connector_builtin(const struct nhir_connectors *c,
			    const char *action, bool probe)
{
	const struct connector *x = !c ? NULL
				 : probe ? find(c->probe, c->probe_nr, action)
					 : find(c->conn, c->conn_nr, action);

	return x && (x->aws || x->github || x->vault || x->gcp || x->k8s ||
		     x->entra);
}

/*
 * ${env:NAME} (through the operation's environment lookup) and
 * ${file:PATH} in s, expanded into b.
 */
static bool expand(const struct nhir_ctx *op, const char *s,
		   struct nhir_buf *b, struct nhir_err *err)
{
	while (*s) {
		const char *e;
		char ref[512];

		if (strncmp(s, "${", 2) || !(e = strchr(s, '}'))) {
			nhir_buf_addch(b, *s++);
			continue;
		}
		snprintf(ref, sizeof(ref), "%.*s", (int)(e - s - 2), s + 2);
		if (!strncmp(ref, "env:", 4)) {
			const char *v = nhir_ctx_env(op, ref + 4);

			if (!v) {
				nhir_err_set(err, NHIR_EINVAL, "connector secret "
					     "$%s is not set", ref + 4);
				return false;
			}
			nhir_buf_adds(b, v);
		} else if (!strncmp(ref, "file:", 5)) {
			FILE *f = fopen(ref + 5, "rb");
			char chunk[1024];
			size_t n;

			if (!f) {
				nhir_err_set(err, NHIR_EIO, "cannot read connector "
					     "secret file '%s'", ref + 5);
				return false;
			}
			while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
				nhir_buf_add(b, chunk, n);
			fclose(f);
			while (b->len && (b->buf[b->len - 1] == '\n' ||
					  b->buf[b->len - 1] == '\r'))
				b->len--;
		} else {
			nhir_err_set(err, NHIR_EINVAL, "unknown reference "
				     "${%s}: use ${env:NAME} or ${file:PATH}",
				     ref);
			return false;
		}
		s = e + 1;
	}
	return true;
}

/* Runs argv with in on stdin, collecting stdout into out. */
static enum nhir_rc run_exec(const struct nhir_ctx *op,
			     const struct connector *c, const char *in,
			     struct nhir_buf *out, struct nhir_err *err)
{
	int pin[2], pout[2], status = 0;
	size_t off = 0, len = strlen(in), envn = 0;
	int64_t deadline = nhir_mono_ms() + c->timeout * 1000;
	bool timed_out = false;
	pid_t pid, parent = getpid();
	/* only the variables it names, made before fork: no PATH, no
	 * secrets of nhir's own environment */
	char *envp[MAX_ENV + 1];

	for (size_t i = 0; i < c->env_nr; i++) {
		const char *v = nhir_ctx_env(op, c->env[i]);
		size_t n;

		if (!v)
			continue;
		n = strlen(c->env[i]) + strlen(v) + 2;
		envp[envn] = nhir_malloc(n);
		if (!envp[envn]) {
			while (envn)
				nhir_free(envp[--envn]);
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		}
		snprintf(envp[envn++], n, "%s=%s", c->env[i], v);
	}
	envp[envn] = NULL;
	if (pipe(pin)) {
		while (envn)
			nhir_free(envp[--envn]);
		return nhir_err_set(err, NHIR_EIO, "pipe: %s", strerror(errno));
	}
	if (pipe(pout)) {
		close(pin[0]);
		close(pin[1]);
		while (envn)
			nhir_free(envp[--envn]);
		return nhir_err_set(err, NHIR_EIO, "pipe: %s", strerror(errno));
	}
	pid = fork();
	if (pid < 0) {
		close(pin[0]);
		close(pin[1]);
		close(pout[0]);
		close(pout[1]);
		while (envn)
			nhir_free(envp[--envn]);
		return nhir_err_set(err, NHIR_EIO, "fork: %s", strerror(errno));
	}
	if (!pid) {
		dup2(pin[0], 0);
		dup2(pout[1], 1);
		close(pin[0]);
		close(pin[1]);
		close(pout[0]);
		close(pout[1]);
		/* its own group, which dies with nhir */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		execve(c->exe, c->argv, envp);
		_exit(127);
	}
	while (envn)
		nhir_free(envp[--envn]);
	close(pin[0]);
	close(pout[1]);
	fcntl(pin[1], F_SETFL, O_NONBLOCK);
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		struct pollfd fds[2];
		int nfds = 0, wait_ms;
		int64_t left = deadline - nhir_mono_ms();

		if (left <= 0) {
			timed_out = true;
			break;
		}
		wait_ms = left > 1000 ? 1000 : (int)left;
		fds[nfds].fd = pout[0];
		fds[nfds++].events = POLLIN;
		if (pin[1] >= 0) {
			fds[nfds].fd = pin[1];
			fds[nfds++].events = POLLOUT;
		}
		if (poll(fds, (nfds_t)nfds, wait_ms) < 0 && errno != EINTR)
			break;
		if (pin[1] >= 0 && nfds > 1 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = write(pin[1], in + off, len - off);

			if (w > 0)
				off += (size_t)w;
			if (w < 0 || off == len) {
				close(pin[1]);
				pin[1] = -1;
			}
		}
		if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			char chunk[4096];
			ssize_t r = read(pout[0], chunk, sizeof(chunk));

			if (r <= 0)
				break;
			nhir_buf_add(out, chunk, (size_t)r);
		}
	}
	if (pin[1] >= 0)
		close(pin[1]);
	close(pout[0]);
	if (timed_out) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* nothing it started outlives it */
	kill(-pid, SIGKILL);
	if (timed_out)
		return nhir_err_set(err, NHIR_EIO, "'%s' timed out after %" PRId64
				    " s", c->name, c->timeout);
	if (out->err)
		return nhir_err_set(err, NHIR_ETOOBIG, "'%s' wrote more than "
				    "1 MiB", c->name);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return nhir_err_set(err, NHIR_EIO, "'%s' failed (%s %d)",
				    c->name, WIFEXITED(status) ? "exit status"
							       : "signal",
				    WIFEXITED(status) ? WEXITSTATUS(status)
						      : WTERMSIG(status));
	return NHIR_OK;
}

bool plan_expand(const struct nhir_ctx *op, const char *s, struct nhir_buf *b,
		 struct nhir_err *err)
{
	return expand(op, s, b, err);
}

/* The libcurl functions used, looked up once. */
static struct {
	bool tried;
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	void (*easy_cleanup)(CURL *);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	char why[256];
} lc;

static pthread_mutex_t lc_lock = PTHREAD_MUTEX_INITIALIZER;

/* Loaded once, whichever thread (a server's requests, its witness
 * sender) asks first. */
static enum nhir_rc load_curl(struct nhir_err *err)
{
	static const char *const names[] = { "libcurl.so.4",
					     "libcurl-gnutls.so.4" };
	void *h = NULL;

	pthread_mutex_lock(&lc_lock);
	if (!lc.tried) {
		lc.tried = true;
		for (size_t i = 0; !h && i < NHIR_ARRAY_SIZE(names); i++)
			h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
		if (!h) {
			const char *e = dlerror();

			snprintf(lc.why, sizeof(lc.why), "%s",
				 e ? e : "libcurl.so.4 not found");
		}
		/* POSIX: a function pointer may be read through void * */
		if (!h)
			goto out;
		*(void **)&lc.easy_init = dlsym(h, "curl_easy_init");
		*(void **)&lc.easy_setopt = dlsym(h, "curl_easy_setopt");
		*(void **)&lc.easy_perform = dlsym(h, "curl_easy_perform");
		*(void **)&lc.easy_getinfo = dlsym(h, "curl_easy_getinfo");
		*(void **)&lc.easy_strerror = dlsym(h, "curl_easy_strerror");
		*(void **)&lc.easy_cleanup = dlsym(h, "curl_easy_cleanup");
		*(void **)&lc.slist_append = dlsym(h, "curl_slist_append");
		*(void **)&lc.slist_free_all = dlsym(h, "curl_slist_free_all");
		if (!lc.easy_init || !lc.easy_setopt || !lc.easy_perform ||
		    !lc.easy_getinfo || !lc.easy_strerror || !lc.easy_cleanup ||
		    !lc.slist_append || !lc.slist_free_all) {
			snprintf(lc.why, sizeof(lc.why),
				 "a libcurl function is missing");
			lc.easy_init = NULL;
		}
	}
out:
	pthread_mutex_unlock(&lc_lock);
	if (!lc.easy_init)
		return nhir_err_set(err, NHIR_EIO,
				    "http connectors need libcurl: %s", lc.why);
	return NHIR_OK;
}

static size_t on_body(char *p, size_t size, size_t n, void *data)
{
	nhir_buf_add(data, p, size * n);
	return ((struct nhir_buf *)data)->err ? 0 : size * n;
}

/* The answer's headers a caller may want: rate limits, paging. */
static size_t on_header(char *p, size_t size, size_t n, void *data)
{
	static const struct {
		const char *name;
		size_t off;
	} keep[] = {
		{ "retry-after:", offsetof(struct plan_http_answer, retry_after) },
		{ "x-ratelimit-remaining:",
		  offsetof(struct plan_http_answer, rl_remaining) },
		{ "x-ratelimit-reset:",
		  offsetof(struct plan_http_answer, rl_reset) },
		{ "link:", offsetof(struct plan_http_answer, link) },
	};
	struct plan_http_answer *a = data;
	size_t len = size * n;

	for (size_t i = 0; i < NHIR_ARRAY_SIZE(keep); i++) {
		size_t k = strlen(keep[i].name), z = len;
		char *dst = (char *)a + keep[i].off;
		size_t dn = keep[i].off == offsetof(struct plan_http_answer, link)
			    ? sizeof(a->link) : sizeof(a->retry_after);

		if (len <= k || strncasecmp(p, keep[i].name, k))
			continue;
		while (z > k && (p[z - 1] == '\r' || p[z - 1] == '\n' ||
				 p[z - 1] == ' '))
			z--;
		while (k < z && p[k] == ' ')
			k++;
		/* too long to keep whole: kept as nothing, never cut */
		if (z - k < dn)
			snprintf(dst, dn, "%.*s", (int)(z - k), p + k);
		else
			dst[0] = 0;
	}
	return len;
}

static size_t on_drop(char *p, size_t size, size_t n, void *data)
{
	(void)p;
	(void)data;
	return size * n;
}

enum nhir_rc plan_http_do(const struct plan_http *q,
			  struct plan_http_answer *a, struct nhir_err *err)
{
	struct curl_slist *hdrs = NULL, *more;
	const char *got = NULL;
	long connect = q->connect_timeout ? q->connect_timeout : 10L;
	CURL *curl;
	CURLcode cc;
	enum nhir_rc rc;

	memset(a, 0, offsetof(struct plan_http_answer, body));
	rc = load_curl(err);
	if (rc)
		return rc;
	curl = lc.easy_init();
	if (!curl)
		return nhir_err_set(err, NHIR_ENOMEM, "libcurl failed to start");
	for (size_t i = 0; i <= q->header_nr; i++) {
		/* and "Expect:": one round trip, whatever the size */
		more = lc.slist_append(hdrs, i < q->header_nr ? q->headers[i]
							     : "Expect:");
		if (!more) {
			lc.slist_free_all(hdrs);
			lc.easy_cleanup(curl);
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		}
		hdrs = more;
	}
	lc.easy_setopt(curl, CURLOPT_URL, q->url);
	lc.easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	if (q->upload) {
		/* streamed from the file as it is read (libcurl's fread) */
		lc.easy_setopt(curl, CURLOPT_POST, 1L);
		lc.easy_setopt(curl, CURLOPT_READDATA, q->upload);
		lc.easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
			       (curl_off_t)q->upload_len);
	} else if (q->body) {
		lc.easy_setopt(curl, CURLOPT_POSTFIELDS, q->body);
		lc.easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
			       (curl_off_t)q->body_len);
	}
	if (q->method && strcmp(q->method, "GET") && strcmp(q->method, "POST"))
		lc.easy_setopt(curl, CURLOPT_CUSTOMREQUEST, q->method);
	else if (q->method && !strcmp(q->method, "POST") && !q->body &&
		 !q->upload)
		lc.easy_setopt(curl, CURLOPT_POSTFIELDS, "");
	if (q->user) {
		lc.easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		lc.easy_setopt(curl, CURLOPT_USERNAME, q->user);
		lc.easy_setopt(curl, CURLOPT_PASSWORD,
			       q->password ? q->password : "");
	}
	lc.easy_setopt(curl, CURLOPT_TIMEOUT, q->timeout);
	lc.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
		       q->timeout < connect ? q->timeout : connect);
	lc.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	lc.easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	/* certificates and host names are checked */
	lc.easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	lc.easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (q->ca_pem) {
		struct curl_blob ca = { (void *)(uintptr_t)q->ca_pem,
					q->ca_pem_len, CURL_BLOB_COPY };

		lc.easy_setopt(curl, CURLOPT_CAINFO_BLOB, &ca);
	} else if (q->ca_file) {
		lc.easy_setopt(curl, CURLOPT_CAINFO, q->ca_file);
	}
	if (a->body) {
		lc.easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
		lc.easy_setopt(curl, CURLOPT_WRITEDATA, a->body);
	} else {
		lc.easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_drop);
	}
	lc.easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	lc.easy_setopt(curl, CURLOPT_HEADERDATA, a);
	lc.easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	cc = lc.easy_perform(curl);
	lc.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &a->status);
	if (cc == CURLE_OK &&
	    lc.easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &got) == CURLE_OK &&
	    got)
		snprintf(a->ctype, sizeof(a->ctype), "%s", got);
	/* curl's reasons name no header and no URL: both may be secrets */
	a->timed_out = cc == CURLE_OPERATION_TIMEDOUT;
	if (cc == CURLE_WRITE_ERROR && a->body && a->body->err)
		rc = nhir_err_set(err, NHIR_ETOOBIG, "the answer is over %zu "
				  "bytes", a->body->max);
	else if (cc != CURLE_OK)
		rc = nhir_err_set(err, NHIR_EIO, "%s", lc.easy_strerror(cc));
	lc.slist_free_all(hdrs);
	lc.easy_cleanup(curl);
	return rc;
}

static enum nhir_rc run_http(const struct nhir_ctx *op,
			     const struct connector *c, const char *in,
			     struct nhir_buf *out, struct nhir_err *err)
{
	const char *lines[MAX_HEADERS + 1];
	struct nhir_buf h = NHIR_BUF_INIT(1 << 16);
	struct plan_http_answer a;
	struct nhir_err e = NHIR_ERR_INIT;
	enum nhir_rc rc = NHIR_OK;
	size_t off = 0;

	nhir_buf_adds(&h, "Content-Type: application/json");
	nhir_buf_addch(&h, 0);
	for (size_t i = 0; i < c->header_nr; i++) {
		if (!expand(op, c->headers[i], &h, err)) {
			rc = err && err->rc ? err->rc : NHIR_EINVAL;
			goto out;
		}
		nhir_buf_addch(&h, 0);
	}
	if (h.err) {
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i <= c->header_nr; i++) {
		lines[i] = h.buf + off;
		off += strlen(h.buf + off) + 1;
	}
	{
		struct plan_http q = { .method = "POST", .url = c->url,
				       .headers = lines,
				       .header_nr = c->header_nr + 1,
				       .body = in, .body_len = strlen(in),
				       .timeout = (long)c->timeout };

		a.body = out;
		rc = plan_http_do(&q, &a, &e);
	}
	if (rc == NHIR_ENOMEM)
		nhir_err_set(err, rc, "%s", e.msg);
	else if (rc && a.timed_out)
		rc = nhir_err_set(err, NHIR_EIO, "'%s' timed out after %" PRId64
				  " s", c->name, c->timeout);
	else if (rc)
		rc = nhir_err_set(err, rc == NHIR_ETOOBIG ? rc : NHIR_EIO,
				  "'%s': %s", c->name, e.msg);
	else if (a.status < 200 || a.status >= 300)
		rc = nhir_err_set(err, NHIR_EIO, "'%s' answered HTTP %ld",
				  c->name, a.status);
out:
	/* headers may hold secrets */
	if (h.buf)
		sodium_memzero(h.buf, h.alloc);
	nhir_buf_release(&h);
	return rc;
}

/* plan_http_do's error, named by url (not secret here) as callers had it. */
static enum nhir_rc url_error(enum nhir_rc rc, const char *url,
			      const struct nhir_err *e, struct nhir_err *err)
{
	if (rc == NHIR_ETOOBIG)
		return nhir_err_set(err, rc, "%s: the answer is over 1 MiB", url);
	if (rc == NHIR_ENOMEM)
		return nhir_err_set(err, rc, "%s", e->msg);
	return rc ? nhir_err_set(err, rc, "%s: %s", url, e->msg) : NHIR_OK;
}

enum nhir_rc nhir_http_request(const char *url, const char *form,
			       const char *user, const char *password,
			       long timeout, struct nhir_buf *out,
			       long *status, struct nhir_err *err)
{
	static const char *const accept[] = { "Accept: application/json" };
	struct plan_http q = { .method = form ? "POST" : "GET", .url = url,
			       .headers = accept, .header_nr = 1, .body = form,
			       .body_len = form ? strlen(form) : 0,
			       .timeout = timeout, .user = user,
			       .password = password };
	struct plan_http_answer a;
	struct nhir_err e = NHIR_ERR_INIT;
	enum nhir_rc rc;

	a.body = out;
	rc = plan_http_do(&q, &a, &e);
	*status = a.status;
	return url_error(rc, url, &e, err);
}

enum nhir_rc nhir_http_json(const char *url, const char *json,
			    const char *bearer, long timeout,
			    struct nhir_buf *out, long *status,
			    struct nhir_err *err)
{
	struct nhir_buf auth = NHIR_BUF_INIT(4096);
	const char *lines[3] = { "Accept: application/json" };
	struct plan_http_answer a;
	struct nhir_err e = NHIR_ERR_INIT;
	size_t nr = 1;
	enum nhir_rc rc;

	*status = 0;
	if (json)
		lines[nr++] = "Content-Type: application/json";
	if (bearer) {
		nhir_buf_addf(&auth, "Authorization: Bearer %s", bearer);
		nhir_buf_addch(&auth, 0);
		if (auth.err) {
			nhir_buf_release(&auth);
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		}
		lines[nr++] = auth.buf;
	}
	{
		struct plan_http q = { .method = json ? "POST" : "GET",
				       .url = url, .headers = lines,
				       .header_nr = nr, .body = json,
				       .body_len = json ? strlen(json) : 0,
				       .timeout = timeout };

		a.body = out;
		rc = plan_http_do(&q, &a, &e);
	}
	*status = a.status;
	/* the header held the token */
	if (auth.buf)
		sodium_memzero(auth.buf, auth.alloc);
	nhir_buf_release(&auth);
	return url_error(rc, url, &e, err);
}

enum nhir_rc nhir_http_call(const struct nhir_http_req *q,
			    struct nhir_buf *out, long *status, char *ctype,
			    size_t ctype_size, struct nhir_err *err)
{
	struct nhir_buf auth = NHIR_BUF_INIT(4096);
	struct nhir_buf ct = NHIR_BUF_INIT(512);
	const char *lines[3] = { "Accept: application/json, "
				 "application/problem+json" };
	struct plan_http_answer a;
	size_t nr = 1;
	enum nhir_rc rc;

	*status = 0;
	if (ctype_size)
		ctype[0] = 0;
	nhir_buf_addf(&auth, "Authorization: Bearer %s",
		      q->bearer ? q->bearer : "");
	nhir_buf_addch(&auth, 0);
	nhir_buf_addf(&ct, "Content-Type: %s",
		      q->content_type ? q->content_type : "application/json");
	nhir_buf_addch(&ct, 0);
	if (auth.err || ct.err) {
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		goto out;
	}
	if (q->bearer)
		lines[nr++] = auth.buf;
	if (q->body || q->upload)
		lines[nr++] = ct.buf;
	{
		struct plan_http r = { .method = q->method, .url = q->url,
				       .headers = lines, .header_nr = nr,
				       .body = q->body, .body_len = q->body_len,
				       .timeout = q->timeout,
				       .upload = q->upload,
				       .upload_len = q->upload_len };

		a.body = out;
		rc = plan_http_do(&r, &a, err);
	}
	*status = a.status;
	if (ctype_size && a.ctype[0])
		snprintf(ctype, ctype_size, "%s", a.ctype);
out:
	/* the header held the token */
	if (auth.buf)
		sodium_memzero(auth.buf, auth.alloc);
	nhir_buf_release(&auth);
	nhir_buf_release(&ct);
	return rc;
}

enum nhir_rc plan_http_form(const char *url, const char *const *headers,
			    size_t header_nr, const char *body, long timeout,
			    struct nhir_buf *out, long *status,
			    struct nhir_err *err)
{
	struct plan_http q = { .method = "POST", .url = url,
			       .headers = headers, .header_nr = header_nr,
			       .body = body, .body_len = strlen(body),
			       .timeout = timeout };
	struct plan_http_answer a;
	struct nhir_err e = NHIR_ERR_INIT;
	enum nhir_rc rc;

	a.body = out;
	rc = plan_http_do(&q, &a, &e);
	*status = a.status;
	return url_error(rc, url, &e, err);
}

enum nhir_rc nhir_http_post(const char *url, const char *const *headers,
			    size_t header_nr, const char *body, size_t len,
			    long timeout, long *status, struct nhir_err *err)
{
	const char *lines[33];
	struct plan_http_answer a;
	size_t nr = 0;
	bool typed = false;
	enum nhir_rc rc;

	*status = 0;
	if (header_nr > 32)
		return nhir_err_set(err, NHIR_EINVAL, "too many headers");
	/* JSON unless the caller says otherwise (a SET is secevent+jwt) */
	for (size_t i = 0; i < header_nr; i++)
		if (!strncasecmp(headers[i], "Content-Type:", 13))
			typed = true;
	if (!typed)
		lines[nr++] = "Content-Type: application/json";
	for (size_t i = 0; i < header_nr; i++)
		lines[nr++] = headers[i];
	{
		struct plan_http q = { .method = "POST", .url = url,
				       .headers = lines, .header_nr = nr,
				       .body = body, .body_len = len,
				       .timeout = timeout,
				       .connect_timeout = 5 };

		/* the answer is not read: a.body stays NULL */
		memset(&a, 0, sizeof(a));
		rc = plan_http_do(&q, &a, err);
	}
	/* the reason names no URL; a Slack address is a secret */
	*status = a.status;
	return rc;
}

enum nhir_rc nhir_connector_call(const struct nhir_ctx *op,
				 const struct nhir_connectors *cs,
				 const char *what, bool probe,
				 const char *request, struct nhir_buf *reply,
				 struct nhir_err *err)
{
	const struct connector *c = !cs ? NULL
				 : probe ? find(cs->probe, cs->probe_nr, what)
					 : find(cs->conn, cs->conn_nr, what);
	long t = c ? (long)c->timeout : 0;

	if (!c)
		return nhir_err_set(err, NHIR_ENOTFOUND, "no %s configured for "
				    "'%s'", probe ? "probe" : "connector", what);
	if (c->aws)
		return nhir_aws_call(op, c->aws, c->name, t, request, probe,
				     reply, err);
	if (c->github)
		return nhir_github_call(op, c->github, c->name, t, request,
					probe, reply, err);
	if (c->vault)
		return nhir_vault_call(op, c->vault, c->name, t, request, probe,
				       reply, err);
	if (c->gcp)
		return nhir_gcp_call(op, c->gcp, c->name, t, request, probe,
				     reply, err);
	if (c->k8s)
		return nhir_k8s_call(op, c->k8s, c->name, t, request, probe,
				     reply, err);
	if (c->entra)
		return nhir_entra_call(op, c->entra, c->name, t, request, probe,
				       reply, err);
	return c->http ? run_http(op, c, request, reply, err)
		       : run_exec(op, c, request, reply, err);
}
