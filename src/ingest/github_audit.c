/*
 * GitHub audit log export (JSON Lines or a JSON array), as the
 * organization or enterprise audit log API and its streaming export
 * write it.  The token behind a programmatic call is named by its
 * hashed_token (GitHub's own SHA-256 of it, base64), never the token.
 */
#include "compat.h"
#include "nhir/buf.h"
#include "ingest/json.h"
#include "ingest/telemetry-internal.h"

static const char *const persistence[] = {
	"public_key.create", "deploy_key.create", "hook.create",
	"personal_access_token.access_granted", "oauth_authorization.create",
	"integration_installation.create", "org.add_member", "gpg_key.create",
	"repo.add_member", "team.add_member", "org.invite_member",
	"business.add_admin", "org_credential_authorization.grant",
};

/* Planted values: Actions secrets written (persistence to report). */
static const char *const secrets[] = {
	"repo.create_actions_secret", "repo.update_actions_secret",
	"org.create_actions_secret", "org.update_actions_secret",
	"environment.create_actions_secret",
	"environment.update_actions_secret",
};

/* A token ended: its token_id (or hashed_token) names it. */
static const char *const token_ends[] = {
	"personal_access_token.destroy", "personal_access_token.revoke",
	"personal_access_token.access_revoked", "oauth_access.destroy",
	"oauth_access.revoke",
};

static const char *const key_ends[] = {
	"public_key.delete", "deploy_key.delete", "deploy_key.destroy",
	"gpg_key.delete", "gpg_key.destroy",
};

static const char *const escalation[] = {
	"org.update_member", "team.promote_maintainer", "repo.update_member",
	"org.oauth_app_access_approved", "business.add_admin",
	"org.add_billing_manager", "protected_branch.destroy",
	"protected_branch.policy_override", "repo.access",
	"org.disable_two_factor_requirement",
};

static bool in(const char *s, const char *const *list, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

/* "@timestamp" or "created_at": epoch milliseconds, or ISO 8601. */
static bool gh_time(const cJSON *r, int64_t *out)
{
	static const char *const keys[] = { "@timestamp", "created_at",
					    "timestamp" };

	for (size_t i = 0; i < NHIR_ARRAY_SIZE(keys); i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, keys[i]);

		if (cJSON_IsNumber(v) && v->valuedouble > 0)
			return nhir_json_epoch(v->valuedouble, 1000, out);
		if (cJSON_IsString(v) &&
		    !nhir_time_parse(v->valuestring, (size_t)-1, out, NULL))
			return true;
	}
	return false;
}

struct ghrec {
	struct nhir_tele *t;
	const cJSON *r;
	const char *act;
	int64_t time;
	const char *key;	/* the acting token, "" if none */
	const char *kind;	/* programmatic_access_type */
};

/* "github:ssh-key:FP", ... for a key event; NULL when it names none. */
static const char *key_node(const struct ghrec *g, char *out, size_t n,
			    const char **subtype)
{
	const char *fp = nhir_json_str(g->r, "deploy_key_fingerprint");
	const char *repo = nhir_json_str(g->r, "repo");
	bool gpg = !strncmp(g->act, "gpg_key.", 8);
	bool deploy = !strncmp(g->act, "deploy_key.", 11) ||
		      (fp && *fp) || (repo && *repo && !gpg);

	if (!fp || !*fp)
		fp = nhir_json_str(g->r, "fingerprint");
	if (gpg && (!fp || !*fp))
		fp = nhir_json_str(g->r, "key_id");
	if (!fp || !*fp)
		return NULL;
	*subtype = gpg ? "github-gpg-key" : deploy ? "github-deploy-key"
						  : "github-ssh-key";
	snprintf(out, n, "github:%s:%s", gpg ? "gpg-key" : deploy
						? "deploy-key" : "ssh-key", fp);
	return out;
}

static bool gh_end(const struct ghrec *g, const char *node,
		   enum nhir_node_kind kind, const char *subtype)
{
	struct nhir_end_rec e = NHIR_END_REC_INIT;

	e.node = node;
	e.kind = kind;
	e.subtype = subtype;
	e.provider = "github";
	e.time = g->time;
	e.how = NHIR_END_DELETED;
	e.event_id = nhir_json_str(g->r, "_document_id");
	e.event_name = g->act;
	return nhir_tele_end(g->t, &e);
}

/*
 * What the token made that outlives a session: a key (a deploy key made
 * with a personal access token is deleted with that token, GitHub's
 * documented behaviour; a user's SSH or GPG key is not), an Actions
 * secret's value.
 */
static bool created(const struct ghrec *g, const char *node,
		    enum nhir_node_kind kind, const char *subtype,
		    enum nhir_cascade c)
{
	struct nhir_node_rec n = NHIR_NODE_REC_INIT;
	struct nhir_edge_rec e = NHIR_EDGE_REC_INIT;

	n.kind = kind;
	n.ext_id = node;
	n.subtype = subtype;
	n.provider = "github";
	n.created = g->time;
	if (!nhir_tele_node(g->t, &n))
		return false;
	if (!g->key[0])
		return true;
	e.kind = NHIR_EDGE_CREATED;
	e.src = g->key;
	e.dst = node;
	e.cascade = c;
	e.created = g->time;
	return nhir_tele_edge(g->t, &e);
}

static bool lineage(const struct ghrec *g, const char *ended)
{
	const char *sub, *name;
	char node[400];

	if (!strcmp(g->act, "public_key.create") ||
	    !strcmp(g->act, "deploy_key.create") ||
	    !strcmp(g->act, "gpg_key.create")) {
		bool pat = g->kind && strstr(g->kind, "ersonal access token");

		if (!key_node(g, node, sizeof(node), &sub))
			return true;
		return created(g, node, NHIR_NODE_CREDENTIAL, sub,
			       strcmp(sub, "github-deploy-key")
				       ? NHIR_CASCADE_NO
				       : pat ? NHIR_CASCADE_YES
					     : NHIR_CASCADE_UNKNOWN);
	}
	if (in(g->act, key_ends, NHIR_ARRAY_SIZE(key_ends)))
		return !key_node(g, node, sizeof(node), &sub) ||
		       gh_end(g, node, NHIR_NODE_CREDENTIAL, sub);
	if (in(g->act, secrets, NHIR_ARRAY_SIZE(secrets))) {
		const char *where = nhir_json_str(g->r, "repo");

		name = nhir_json_str(g->r, "name");
		if (!name || !*name)
			name = nhir_json_str(g->r, "secret_name");
		if (!where || !*where)
			where = nhir_json_str(g->r, "org");
		if (!name || !*name || !where)
			return true;
		snprintf(node, sizeof(node), "github:actions-secret:%s:%s",
			 where, name);
		return created(g, node, NHIR_NODE_RESOURCE,
			       "github-actions-secret", NHIR_CASCADE_NO);
	}
	if (ended)
		return gh_end(g, ended, NHIR_NODE_CREDENTIAL, "github-token");
	if (!strcmp(g->act, "oauth_authorization.destroy")) {
		const char *app = nhir_json_str(g->r, "oauth_application");
		const char *who = nhir_json_str(g->r, "user");

		if (!who || !*who)
			who = nhir_json_str(g->r, "actor");
		if (!app || !*app || !who || !*who)
			return true;
		snprintf(node, sizeof(node), "github:oauth-grant:%s:%s", app,
			 who);
		return gh_end(g, node, NHIR_NODE_GRANT, "github-oauth-grant");
	}
	return true;
}

static int gh_record(struct nhir_tele *t, const cJSON *r, bool first)
{
	const char *act = nhir_json_str(r, "action");
	const char *actor = nhir_json_str(r, "actor");
	const char *hashed = nhir_json_str(r, "hashed_token");
	const char *kind = nhir_json_str(r, "programmatic_access_type");
	const cJSON *tid = cJSON_GetObjectItemCaseSensitive(r, "token_id");
	const char *target = nhir_json_str(r, "repo");
	char key[300], who[300], action[200], tname[80], ended[300];
	char kbuf[300];
	const char *known = NULL;
	bool ends;
	struct nhir_event ev;
	struct ghrec g;
	int64_t time;

	(void)first;
	if (!act || !gh_time(r, &time)) {
		nhir_tele_malformed(t, "a GitHub audit entry needs action and "
				    "@timestamp or created_at");
		return 0;
	}
	key[0] = ended[0] = tname[0] = 0;
	ends = in(act, token_ends, NHIR_ARRAY_SIZE(token_ends));
	if (cJSON_IsNumber(tid) && tid->valuedouble > 0) {
		snprintf(tname, sizeof(tname), "gh-token-id:%.0f",
			 tid->valuedouble);
		/*
		 * A copy: the name map's value is replaced (and freed) just
		 * below when this record names the token's hash.
		 */
		known = nhir_tele_name_get(t, tname);
		if (known) {
			snprintf(kbuf, sizeof(kbuf), "%s", known);
			known = kbuf;
		}
	}
	if (hashed && *hashed)
		snprintf(key, sizeof(key), "github:token:%s", hashed);
	else if (known)
		snprintf(key, sizeof(key), "%s", known);
	else if (tname[0])
		snprintf(key, sizeof(key), "github:token-id:%.0f",
			 tid->valuedouble);
	if (tname[0] && hashed && *hashed &&
	    !nhir_tele_name_set(t, tname, key, false))
		return -1;
	if (ends && (tname[0] || key[0])) {
		/*
		 * The token named by token_id is the one ended (matched to
		 * its hashed_token through earlier records), not an actor;
		 * without token_id, the hashed_token is.
		 */
		if (known)
			snprintf(ended, sizeof(ended), "%s", known);
		else if (tname[0])
			snprintf(ended, sizeof(ended), "github:token-id:%.0f",
				 tid->valuedouble);
		else
			snprintf(ended, sizeof(ended), "%s", key);
		if (!strcmp(ended, key) || !hashed || !*hashed)
			key[0] = 0;
	}
	if (actor && *actor)
		snprintf(who, sizeof(who), "github:%s", actor);
	else
		who[0] = 0;
	snprintf(action, sizeof(action), "github:%s", act);
	if (!target || !*target)
		target = nhir_json_str(r, "repository");
	if (!target || !*target)
		target = nhir_json_str(r, "user");
	if (!target || !*target)
		target = nhir_json_str(r, "org");

	memset(&ev, 0, sizeof(ev));
	ev.time = time;
	ev.source = "github-audit";
	ev.uid = nhir_tele_uid(nhir_json_str(r, "_document_id"), NULL);
	ev.actor_key = key[0] ? key : NULL;
	ev.identity = who[0] ? who : NULL;
	ev.action = action;
	ev.target = target && *target ? target : NULL;
	ev.src_ip = nhir_json_str(r, "actor_ip");
	ev.user_agent = nhir_json_str(r, "user_agent");
	ev.outcome = "success";
	if (!strcmp(act, "git.fetch") || !strcmp(act, "git.clone"))
		ev.flags |= NHIR_EV_READ_ONLY;
	if (in(act, persistence, NHIR_ARRAY_SIZE(persistence)) ||
	    in(act, secrets, NHIR_ARRAY_SIZE(secrets)))
		ev.flags |= NHIR_EV_PERSISTENCE;
	if (in(act, escalation, NHIR_ARRAY_SIZE(escalation)))
		ev.flags |= NHIR_EV_ESCALATION;
	if (!nhir_tele_event(t, &ev))
		return -1;

	/* The token authenticates its actor. */
	if (key[0] && who[0]) {
		bool app = kind && strstr(kind, "GitHub App");

		if (!nhir_tele_authenticates(t,
				app && strstr(kind, "server-to-server")
					? NHIR_NODE_TOKEN : NHIR_NODE_CREDENTIAL,
				key, app ? "github-app-token" : "github-token",
				who, actor,
				strstr(actor, "[bot]") ? "github-app"
						       : "github-account",
				"github"))
			return -1;
	}
	g = (struct ghrec){ t, r, act, time, key, kind };
	return lineage(&g, ended[0] ? ended : NULL) ? 1 : -1;
}

const struct nhir_tele_format nhir_tele_github_audit = {
	.name = "github-audit",
	.summary = "GitHub audit log export (JSON Lines or JSON array)",
	.record = gh_record,
};
