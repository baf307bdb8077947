/*
 * OCSF events (JSON Lines, an array, or single documents): API Activity
 * (class 6003), Authentication (3002) and Account Change (3001).  Other
 * classes are read and passed over.
 */
#include "compat.h"
#include "nhir/buf.h"
#include "ingest/json.h"
#include "ingest/telemetry-internal.h"

static const char *path_str(const cJSON *o, const char *a, const char *b,
			    const char *c)
{
	o = nhir_json_obj(o, a);
	if (c)
		o = nhir_json_obj(o, b);
	return nhir_json_str(o, c ? c : b);
}

static int ocsf_record(struct nhir_tele *t, const cJSON *r, bool first)
{
	const cJSON *cls = cJSON_GetObjectItemCaseSensitive(r, "class_uid");
	const cJSON *tm = cJSON_GetObjectItemCaseSensitive(r, "time");
	const cJSON *act = cJSON_GetObjectItemCaseSensitive(r, "activity_id");
	const cJSON *sid = cJSON_GetObjectItemCaseSensitive(r, "status_id");
	const cJSON *actor = nhir_json_obj(r, "actor");
	const cJSON *api = nhir_json_obj(r, "api");
	const cJSON *res = nhir_json_arr(r, "resources");
	const char *key, *who, *op, *svc, *status;
	char action[256], outcome[96];
	struct nhir_event ev;
	int64_t time = 0;
	int c;

	(void)first;
	if (!cJSON_IsNumber(cls)) {
		nhir_tele_malformed(t, "an OCSF event needs class_uid");
		return 0;
	}
	if (cJSON_IsNumber(tm)) {
		if (!nhir_json_epoch(tm->valuedouble, 1000, &time)) {
			nhir_tele_malformed(t, "OCSF time out of range");
			return 0;
		}
	} else if (!nhir_json_str(r, "time_dt") ||
		 nhir_time_parse(nhir_json_str(r, "time_dt"), (size_t)-1,
				 &time, NULL)) {
		nhir_tele_malformed(t, "an OCSF event needs time");
		return 0;
	}
	c = cls->valueint;
	if (c != 6003 && c != 3002 && c != 3001)
		return 1;
	key = path_str(actor, "user", "credential_uid", NULL);
	if (!key)
		key = path_str(actor, "session", "credential_uid", NULL);
	who = path_str(actor, "user", "uid", NULL);
	if (!who)
		who = path_str(actor, "user", "name", NULL);
	if (!who)
		who = path_str(r, "user", "uid", NULL);
	op = nhir_json_str(api, "operation");
	svc = path_str(api, "service", "name", NULL);
	if (op)
		snprintf(action, sizeof(action), "%.*s:%s",
			 svc ? (int)strcspn(svc, ".") : 4, svc ? svc : "ocsf",
			 op);
	else
		snprintf(action, sizeof(action), "ocsf:%s",
			 nhir_json_str(r, "type_name") ? nhir_json_str(r, "type_name")
						       : "event");
	status = nhir_json_str(r, "status");
	memset(&ev, 0, sizeof(ev));
	ev.time = time;
	ev.source = "ocsf";
	ev.uid = nhir_tele_uid(path_str(r, "metadata", "uid", NULL), NULL);
	ev.actor_key = key && *key ? key : NULL;
	ev.identity = who && *who ? who : NULL;
	ev.action = action;
	ev.target = res && res->child ? nhir_json_str(res->child, "uid") : NULL;
	if (!ev.target && c == 3002)
		ev.target = path_str(r, "user", "uid", NULL);
	ev.src_ip = path_str(r, "src_endpoint", "ip", NULL);
	ev.user_agent = path_str(r, "http_request", "user_agent", NULL);
	ev.region = path_str(r, "cloud", "region", NULL);
	if ((cJSON_IsNumber(sid) && sid->valueint == 2) ||
	    (status && !strcasecmp(status, "Failure"))) {
		snprintf(outcome, sizeof(outcome), "failure%s%.80s",
			 nhir_json_str(r, "status_detail") ? ": " : "",
			 nhir_json_str(r, "status_detail")
				 ? nhir_json_str(r, "status_detail") : "");
		ev.outcome = outcome;
		ev.flags |= NHIR_EV_FAILED;
	} else {
		ev.outcome = "success";
	}
	if (c == 6003 && cJSON_IsNumber(act) && act->valueint == 2)
		ev.flags |= NHIR_EV_READ_ONLY;
	if (c == 3001 && cJSON_IsNumber(act) && act->valueint == 1)
		ev.flags |= NHIR_EV_PERSISTENCE;
	if (!nhir_tele_event(t, &ev))
		return -1;
	if (ev.actor_key && ev.identity &&
	    !nhir_tele_authenticates(t, !strncmp(ev.actor_key, "ASIA", 4)
					       ? NHIR_NODE_TOKEN
					       : NHIR_NODE_CREDENTIAL,
				     ev.actor_key, NULL, ev.identity, NULL,
				     NULL, NULL))
		return -1;
	return 1;
}

const struct nhir_tele_format nhir_tele_ocsf = {
	.name = "ocsf",
	.summary = "OCSF API Activity, Authentication, Account Change events",
	.record = ocsf_record,
};
