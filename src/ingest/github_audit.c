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
	"integration_installation.create", "org.add_member",
	"repo.add_member", "team.add_member", "org.invite_member",
	"business.add_admin", "org_credential_authorization.grant",
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

static int gh_record(struct nhir_tele *t, const cJSON *r, bool first)
{
	const char *act = nhir_json_str(r, "action");
	const char *actor = nhir_json_str(r, "actor");
	const char *hashed = nhir_json_str(r, "hashed_token");
	const char *kind = nhir_json_str(r, "programmatic_access_type");
	const cJSON *tid = cJSON_GetObjectItemCaseSensitive(r, "token_id");
	const char *target = nhir_json_str(r, "repo");
	char key[300], who[300], action[200];
	struct nhir_event ev;
	int64_t time;

	(void)first;
	if (!act || !gh_time(r, &time)) {
		nhir_tele_malformed(t, "a GitHub audit entry needs action and "
				    "@timestamp or created_at");
		return 0;
	}
	key[0] = 0;
	if (hashed && *hashed)
		snprintf(key, sizeof(key), "github:token:%s", hashed);
	else if (cJSON_IsNumber(tid) && tid->valuedouble > 0)
		snprintf(key, sizeof(key), "github:token-id:%.0f",
			 tid->valuedouble);
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
	if (in(act, persistence, NHIR_ARRAY_SIZE(persistence)))
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
	return 1;
}

const struct nhir_tele_format nhir_tele_github_audit = {
	.name = "github-audit",
	.summary = "GitHub audit log export (JSON Lines or JSON array)",
	.record = gh_record,
};
