/*
 * AWS CloudTrail records: one event each, plus the lineage they reveal.
 *
 * - The signing key (userIdentity.accessKeyId) authenticates the acting
 *   identity: an IAM user for AKIA keys, the role of the session
 *   (sessionContext.sessionIssuer) for ASIA keys.
 * - A successful AssumeRole, AssumeRoleWithWebIdentity,
 *   AssumeRoleWithSAML, GetSessionToken or GetFederationToken: the
 *   caller's key issued the session key in responseElements.credentials
 *   (valid until its expiration; revoking the parent does not kill it),
 *   which authenticates the assumed role or the calling user.
 * - CreateAccessKey, CreateUser, CreateRole, CreateLoginProfile,
 *   CreateServiceSpecificCredential: what was made is a node, linked to
 *   the key that made it by "created".
 * - DeleteAccessKey, DeleteUser, DeleteRole, DeleteLoginProfile,
 *   DeleteServiceSpecificCredential, and UpdateAccessKey or
 *   UpdateServiceSpecificCredential to Inactive (Active re-opens): end
 *   facts on what they name, at the event's time.  A role (or user)
 *   policy that denies everything to sessions whose aws:TokenIssueTime
 *   is before a time (the console's "revoke active sessions") ends the
 *   sessions issued before it; deleting that policy, or putting one of
 *   the same name without the denial, lifts it.
 *
 * Records come as CloudTrail delivers them ({"Records": [...]}, and
 * JSON Lines), as `aws cloudtrail lookup-events` prints them (each of
 * {"Events": [...]} holds the record as a string in CloudTrailEvent),
 * and as Logstash and Elasticsearch keep them: "@timestamp" in place
 * of eventTime (Logstash's cloudtrail codec renames it), a search hit
 * with the record in "_source", or a whole search response
 * ({"hits": {"hits": [...]}}).  doc/formats/cloudtrail.md.
 */
#include "compat.h"
#include "nhir/buf.h"
#include "ingest/json.h"
#include "ingest/telemetry-internal.h"

struct ct {
	struct nhir_tele *t;
	const cJSON *r;
	const char *key;	/* signing key, or NULL */
	const char *arn;	/* acting identity */
	const char *account;
	int64_t time;
	const char *event_id;
	char buf[4][512];
};

static const char *str_or_null(const char *s)
{
	return s && *s ? s : NULL;
}

static const char *const persistence[] = {
	"CreateAccessKey", "CreateUser", "CreateLoginProfile",
	"UpdateLoginProfile", "CreateRole", "AddUserToGroup",
	"CreateServiceSpecificCredential", "UploadSSHPublicKey",
	"UploadSigningCertificate", "CreateOpenIDConnectProvider",
	"CreateSAMLProvider", "CreateVirtualMFADevice",
};

static const char *const escalation[] = {
	"AttachUserPolicy", "AttachRolePolicy", "AttachGroupPolicy",
	"PutUserPolicy", "PutRolePolicy", "PutGroupPolicy",
	"CreatePolicyVersion", "SetDefaultPolicyVersion",
	"UpdateAssumeRolePolicy", "DeleteUserPermissionsBoundary",
	"DeleteRolePermissionsBoundary", "PutUserPermissionsBoundary",
	"PutRolePermissionsBoundary",
};

static const char *const minting[] = {
	"AssumeRole", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML",
	"GetSessionToken", "GetFederationToken",
};

static bool in(const char *s, const char *const *list, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

/* "arn:aws:sts::1:assumed-role/R/S" -> "arn:aws:iam::1:role/R" */
static const char *role_of_session(const char *arn, char *out, size_t n)
{
	const char *p = strstr(arn, ":assumed-role/");
	const char *acct, *slash;

	if (!p)
		return NULL;
	acct = arn + strlen("arn:aws:sts::");
	if (strncmp(arn, "arn:aws:sts::", 13) || acct > p)
		return NULL;
	p += strlen(":assumed-role/");
	slash = strchr(p, '/');
	snprintf(out, n, "arn:aws:iam::%.*s:role/%.*s", (int)(
		 strchr(acct, ':') - acct), acct,
		 (int)(slash ? (size_t)(slash - p) : strlen(p)), p);
	return out;
}

static bool node(struct ct *c, enum nhir_node_kind k, const char *id,
		 const char *subtype, int64_t created, int64_t expires)
{
	struct nhir_node_rec r = NHIR_NODE_REC_INIT;

	r.kind = k;
	r.ext_id = id;
	r.subtype = subtype;
	r.provider = "aws";
	r.created = created;
	r.expires = expires;
	return nhir_tele_node(c->t, &r);
}

static bool edge(struct ct *c, enum nhir_edge_kind k, const char *src,
		 const char *dst, enum nhir_cascade cascade, int64_t created,
		 int64_t expires)
{
	struct nhir_edge_rec e = NHIR_EDGE_REC_INIT;

	e.kind = k;
	e.src = src;
	e.dst = dst;
	e.cascade = cascade;
	e.created = created;
	e.expires = expires;
	return nhir_tele_edge(c->t, &e);
}

/*
 * The signing key and the identity it acts as, once per file for each
 * key.  Session keys of roles get the role from sessionIssuer.
 */
static bool actor(struct ct *c, const cJSON *ui)
{
	const char *type = nhir_json_str(ui, "type");
	const cJSON *sc = nhir_json_obj(ui, "sessionContext");
	const cJSON *issuer = nhir_json_obj(sc, "sessionIssuer");
	const char *who = c->arn;
	bool session = !strncmp(c->key, "ASIA", 4);
	int64_t created = NHIR_TIME_UNSET;
	const char *cd = nhir_json_str(nhir_json_obj(sc, "attributes"),
				       "creationDate");

	if (nhir_tele_seen(c->t, c->key))
		return true;
	if (issuer && nhir_json_str(issuer, "arn") &&
	    (!type || strcmp(type, "IAMUser")))
		who = nhir_json_str(issuer, "arn");
	if (cd)
		nhir_time_parse(cd, (size_t)-1, &created, NULL);
	if (!node(c, session ? NHIR_NODE_TOKEN : NHIR_NODE_CREDENTIAL, c->key,
		  session ? "aws-sts-session" : "aws-access-key",
		  session ? created : NHIR_TIME_UNSET, NHIR_TIME_UNSET))
		return false;
	if (!who || strncmp(who, "arn:", 4))
		return true;
	if (!node(c, NHIR_NODE_IDENTITY, who,
		  strstr(who, ":role/") ? "aws-iam-role"
		  : strstr(who, ":user/") ? "aws-iam-user"
		  : strstr(who, ":root") ? "aws-root" : "aws-principal",
		  NHIR_TIME_UNSET, NHIR_TIME_UNSET))
		return false;
	return edge(c, NHIR_EDGE_AUTHENTICATES, c->key, who,
		    NHIR_CASCADE_UNKNOWN, NHIR_TIME_UNSET, NHIR_TIME_UNSET);
}

/* A session minted by an STS call; see the file comment. */
static bool minted(struct ct *c, const char *name, const cJSON *resp)
{
	const cJSON *cred = nhir_json_obj(resp, "credentials");
	const char *nk = str_or_null(nhir_json_str(cred, "accessKeyId"));
	const char *exp = nhir_json_str(cred, "expiration");
	const char *aru = nhir_json_str(nhir_json_obj(resp, "assumedRoleUser"),
					"arn");
	const char *fu = nhir_json_str(nhir_json_obj(resp, "federatedUser"),
				       "arn");
	const cJSON *expn = cJSON_GetObjectItemCaseSensitive(cred, "expiration");
	int64_t expires = NHIR_TIME_UNSET;
	const char *target = NULL;

	if (!nk)
		return true;
	if (exp)
		nhir_time_parse(exp, (size_t)-1, &expires, NULL);
	else if (cJSON_IsNumber(expn))	/* some logs: epoch milliseconds */
		nhir_json_epoch(expn->valuedouble, 1000, &expires);
	if (!node(c, NHIR_NODE_TOKEN, nk, "aws-sts-session", c->time, expires))
		return false;
	if (aru)
		target = role_of_session(aru, c->buf[0], sizeof(c->buf[0]));
	else if (fu)
		target = fu;
	else if (!strcmp(name, "GetSessionToken"))
		target = c->arn;
	if (target && !strncmp(target, "arn:", 4)) {
		if (!node(c, NHIR_NODE_IDENTITY, target,
			  fu ? "aws-federated-user" : strstr(target, ":role/")
			  ? "aws-iam-role" : "aws-iam-user",
			  NHIR_TIME_UNSET, NHIR_TIME_UNSET) ||
		    !edge(c, NHIR_EDGE_AUTHENTICATES, nk, target,
			  NHIR_CASCADE_UNKNOWN, NHIR_TIME_UNSET,
			  NHIR_TIME_UNSET))
			return false;
		/* a federated user acts with the calling user's rights */
		if (fu && c->arn && !strncmp(c->arn, "arn:", 4) &&
		    !edge(c, NHIR_EDGE_ASSUMES, fu, c->arn,
			  NHIR_CASCADE_UNKNOWN, NHIR_TIME_UNSET,
			  NHIR_TIME_UNSET))
			return false;
	}
	if (!c->key)
		return true;
	/* AWS: revoking the parent key does not revoke issued sessions */
	return edge(c, NHIR_EDGE_ISSUED, c->key, nk, NHIR_CASCADE_NO, c->time,
		    expires);
}

/* Keys, users, roles and login profiles made with the signing key. */
static bool created(struct ct *c, const char *name, const cJSON *req,
		    const cJSON *resp)
{
	const char *user = nhir_json_str(req, "userName");
	const char *id = NULL, *subtype = NULL, *auth = NULL;
	enum nhir_node_kind kind = NHIR_NODE_IDENTITY;
	int64_t when = c->time;

	if (!strcmp(name, "CreateAccessKey")) {
		const cJSON *ak = nhir_json_obj(resp, "accessKey");
		const char *cd = nhir_json_str(ak, "createDate");

		id = str_or_null(nhir_json_str(ak, "accessKeyId"));
		user = nhir_json_str(ak, "userName") ? nhir_json_str(ak, "userName")
						     : user;
		kind = NHIR_NODE_CREDENTIAL;
		subtype = "aws-access-key";
		if (cd)
			nhir_time_parse(cd, (size_t)-1, &when, NULL);
	} else if (!strcmp(name, "CreateUser")) {
		id = nhir_json_str(nhir_json_obj(resp, "user"), "arn");
		subtype = "aws-iam-user";
	} else if (!strcmp(name, "CreateRole")) {
		id = nhir_json_str(nhir_json_obj(resp, "role"), "arn");
		subtype = "aws-iam-role";
	} else if (!strcmp(name, "CreateServiceSpecificCredential")) {
		const cJSON *sc = nhir_json_obj(resp, "serviceSpecificCredential");

		id = str_or_null(nhir_json_str(sc, "serviceSpecificCredentialId"));
		user = nhir_json_str(sc, "userName") ? nhir_json_str(sc, "userName")
						     : user;
		kind = NHIR_NODE_CREDENTIAL;
		subtype = "aws-service-specific-credential";
	} else if (!strcmp(name, "CreateLoginProfile") && user && c->account) {
		snprintf(c->buf[1], sizeof(c->buf[1]),
			 "arn:aws:iam::%s:user/%s#login-profile", c->account,
			 user);
		id = c->buf[1];
		kind = NHIR_NODE_CREDENTIAL;
		subtype = "aws-login-profile";
	}
	if (!id)
		return true;
	if (kind == NHIR_NODE_CREDENTIAL && user && c->account) {
		snprintf(c->buf[2], sizeof(c->buf[2]), "arn:aws:iam::%s:user/%s",
			 c->account, user);
		auth = c->buf[2];
	}
	if (!node(c, kind, id, subtype, when, NHIR_TIME_UNSET))
		return false;
	if (auth && (!node(c, NHIR_NODE_IDENTITY, auth, "aws-iam-user",
			   NHIR_TIME_UNSET, NHIR_TIME_UNSET) ||
		     !edge(c, NHIR_EDGE_AUTHENTICATES, id, auth,
			   NHIR_CASCADE_UNKNOWN, NHIR_TIME_UNSET,
			   NHIR_TIME_UNSET)))
		return false;
	if (!c->key)
		return true;
	return edge(c, NHIR_EDGE_CREATED, c->key, id, NHIR_CASCADE_NO, when,
		    NHIR_TIME_UNSET);
}

/*
 * The time before which a policy document denies every session: a Deny
 * statement with DateLessThan on aws:TokenIssueTime.  NHIR_TIME_UNSET
 * when it has none.
 */
static void deny_before(const cJSON *x, int64_t *before)
{
	const char *eff = nhir_json_str(x, "Effect");
	const char *lt = nhir_json_str(nhir_json_obj(nhir_json_obj(x,
		"Condition"), "DateLessThan"), "aws:TokenIssueTime");
	int64_t t;

	if (eff && !strcmp(eff, "Deny") && lt &&
	    !nhir_time_parse(lt, (size_t)-1, &t, NULL) &&
	    (*before == NHIR_TIME_UNSET || t > *before))
		*before = t;
}

static int64_t revokes_before(const char *doc)
{
	size_t bad = 0;
	cJSON *o = doc ? nhir_json_parse(doc, strlen(doc), &bad, NULL) : NULL;
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "Statement");
	const cJSON *x;
	int64_t before = NHIR_TIME_UNSET;

	if (cJSON_IsObject(st))
		deny_before(st, &before);
	else if (cJSON_IsArray(st))
		cJSON_ArrayForEach(x, st)
			deny_before(x, &before);
	cJSON_Delete(o);
	return before;
}

/* An end fact of this record on node id. */
static bool end(struct ct *c, const char *name, const char *id,
		enum nhir_node_kind kind, const char *subtype,
		enum nhir_end_how how, int64_t before, const char *cause)
{
	struct nhir_end_rec e = NHIR_END_REC_INIT;

	if (!id)
		return true;
	e.node = id;
	e.kind = kind;
	e.subtype = subtype;
	e.provider = "aws";
	e.time = c->time;
	e.how = how;
	e.before = before;
	e.cause = cause;
	e.event_id = c->event_id;
	e.event_name = name;
	return nhir_tele_end(c->t, &e);
}

/* "arn:aws:iam::ACCOUNT:<what>/<name><suffix>" in c->buf[slot]. */
static const char *iam_arn(struct ct *c, int slot, const char *what,
			   const char *name, const char *suffix)
{
	if (!name || !*name || !c->account)
		return NULL;
	snprintf(c->buf[slot], sizeof(c->buf[slot]), "arn:aws:iam::%s:%s/%s%s",
		 c->account, what, name, suffix);
	return c->buf[slot];
}

/* Deletions, deactivations and session revocations; see the top. */
static bool ended(struct ct *c, const char *name, const cJSON *req)
{
	const char *status = nhir_json_str(req, "status");
	enum nhir_end_how toggle = !status ? NHIR_END_NONE
				   : !strcmp(status, "Inactive")
					     ? NHIR_END_DEACTIVATED
				   : !strcmp(status, "Active")
					     ? NHIR_END_REACTIVATED
					     : NHIR_END_NONE;
	const char *user = nhir_json_str(req, "userName");
	const char *role = nhir_json_str(req, "roleName");
	const char *key = str_or_null(nhir_json_str(req, "accessKeyId"));
	const char *ssc = str_or_null(nhir_json_str(req,
						    "serviceSpecificCredentialId"));
	const char *pname = nhir_json_str(req, "policyName");
	bool is_role = strstr(name, "RolePolicy") != NULL;
	const char *who;

	if (!strcmp(name, "DeleteAccessKey"))
		return end(c, name, key, NHIR_NODE_CREDENTIAL, "aws-access-key",
			   NHIR_END_DELETED, NHIR_TIME_UNSET, NULL);
	if (!strcmp(name, "UpdateAccessKey"))
		return !toggle || end(c, name, key, NHIR_NODE_CREDENTIAL,
				      "aws-access-key", toggle,
				      NHIR_TIME_UNSET, NULL);
	if (!strcmp(name, "DeleteServiceSpecificCredential"))
		return end(c, name, ssc, NHIR_NODE_CREDENTIAL,
			   "aws-service-specific-credential", NHIR_END_DELETED,
			   NHIR_TIME_UNSET, NULL);
	if (!strcmp(name, "UpdateServiceSpecificCredential"))
		return !toggle || end(c, name, ssc, NHIR_NODE_CREDENTIAL,
				      "aws-service-specific-credential", toggle,
				      NHIR_TIME_UNSET, NULL);
	if (!strcmp(name, "DeleteUser"))
		return end(c, name, iam_arn(c, 3, "user", user, ""),
			   NHIR_NODE_IDENTITY, "aws-iam-user", NHIR_END_DELETED,
			   NHIR_TIME_UNSET, NULL);
	if (!strcmp(name, "DeleteRole"))
		return end(c, name, iam_arn(c, 3, "role", role, ""),
			   NHIR_NODE_IDENTITY, "aws-iam-role", NHIR_END_DELETED,
			   NHIR_TIME_UNSET, NULL);
	if (!strcmp(name, "DeleteLoginProfile"))
		return end(c, name, iam_arn(c, 3, "user", user,
					    "#login-profile"),
			   NHIR_NODE_CREDENTIAL, "aws-login-profile",
			   NHIR_END_DELETED, NHIR_TIME_UNSET, NULL);
	if (!pname || !*pname)
		return true;
	who = is_role ? iam_arn(c, 3, "role", role, "")
		      : iam_arn(c, 3, "user", user, "");
	if (!strcmp(name, "PutRolePolicy") || !strcmp(name, "PutUserPolicy")) {
		int64_t before = revokes_before(nhir_json_str(req,
							      "policyDocument"));

		return end(c, name, who, NHIR_NODE_IDENTITY,
			   is_role ? "aws-iam-role" : "aws-iam-user",
			   before == NHIR_TIME_UNSET ? NHIR_END_SESSIONS_RESTORED
						     : NHIR_END_SESSIONS_REVOKED,
			   before, pname);
	}
	if (!strcmp(name, "DeleteRolePolicy") ||
	    !strcmp(name, "DeleteUserPolicy"))
		return end(c, name, who, NHIR_NODE_IDENTITY,
			   is_role ? "aws-iam-role" : "aws-iam-user",
			   NHIR_END_SESSIONS_RESTORED, NHIR_TIME_UNSET, pname);
	return true;
}

/* What the call acted on, from the parameters most calls use. */
static const char *target_of(const cJSON *r, const cJSON *req)
{
	static const char *const keys[] = {
		"roleArn", "userName", "roleName", "groupName", "policyArn",
		"bucketName", "secretId", "name", "functionName", "keyId",
		"instanceId", "trailName", "accessKeyId",
	};
	const cJSON *res = nhir_json_arr(r, "resources");

	for (size_t i = 0; i < NHIR_ARRAY_SIZE(keys); i++)
		if (str_or_null(nhir_json_str(req, keys[i])))
			return nhir_json_str(req, keys[i]);
	if (res && res->child)
		return nhir_json_str(res->child, "ARN");
	return NULL;
}

/*
 * The top-level members a record is read from, found in one pass over
 * its members: cJSON looks keys up by a linear scan, and a record has a
 * dozen of them.
 */
struct fields {
	const cJSON *ui, *req, *resp, *ro;
	const char *name, *src, *when, *errc, *ip, *ua, *region, *recipient;
	const char *id, *stamp;
};

static const char *sv(const cJSON *c)
{
	return cJSON_IsString(c) ? c->valuestring : NULL;
}

static void pick(const cJSON *r, struct fields *f)
{
	const cJSON *c;

	memset(f, 0, sizeof(*f));
	cJSON_ArrayForEach(c, r) {
		const char *k = c->string;

		if (!k)
			continue;
		switch (k[0]) {
		case '@':
			if (!strcmp(k, "@timestamp"))
				f->stamp = sv(c);
			break;
		case 'a':
			if (!strcmp(k, "awsRegion"))
				f->region = sv(c);
			break;
		case 'e':
			if (!strcmp(k, "eventName"))
				f->name = sv(c);
			else if (!strcmp(k, "eventSource"))
				f->src = sv(c);
			else if (!strcmp(k, "eventTime"))
				f->when = sv(c);
			else if (!strcmp(k, "errorCode"))
				f->errc = sv(c);
			else if (!strcmp(k, "eventID"))
				f->id = sv(c);
			break;
		case 'r':
			if (!strcmp(k, "requestParameters"))
				f->req = cJSON_IsObject(c) ? c : NULL;
			else if (!strcmp(k, "responseElements"))
				f->resp = cJSON_IsObject(c) ? c : NULL;
			else if (!strcmp(k, "readOnly"))
				f->ro = c;
			else if (!strcmp(k, "recipientAccountId"))
				f->recipient = sv(c);
			break;
		case 's':
			if (!strcmp(k, "sourceIPAddress"))
				f->ip = sv(c);
			break;
		case 'u':
			if (!strcmp(k, "userIdentity"))
				f->ui = cJSON_IsObject(c) ? c : NULL;
			else if (!strcmp(k, "userAgent"))
				f->ua = sv(c);
			break;
		}
	}
}

/* One CloudTrail record; id stands for a missing eventID (or NULL). */
static int ct_event(struct nhir_tele *t, const cJSON *r, const char *id)
{
	struct ct c;
	struct nhir_event ev;
	struct fields f;
	const cJSON *ui, *req, *resp, *ro;
	const char *name, *src, *when, *errc;
	char action[192];
	size_t svc;

	pick(r, &f);
	ui = f.ui;
	req = f.req;
	resp = f.resp;
	ro = f.ro;
	name = f.name;
	src = f.src;
	when = f.when ? f.when : f.stamp;	/* Logstash: @timestamp */
	errc = str_or_null(f.errc);
	if (!f.id)
		f.id = id;
	memset(&c, 0, sizeof(c));
	c.t = t;
	c.r = r;
	if (!name || !src || !when) {
		nhir_tele_malformed(t, "a CloudTrail record needs eventTime, "
				    "eventSource and eventName");
		return 0;
	}
	if (nhir_time_parse(when, (size_t)-1, &c.time, NULL)) {
		nhir_tele_malformed(t, "bad eventTime '%.40s'", when);
		return 0;
	}
	c.key = str_or_null(nhir_json_str(ui, "accessKeyId"));
	c.arn = str_or_null(nhir_json_str(ui, "arn"));
	c.account = str_or_null(nhir_json_str(ui, "accountId"));
	c.event_id = str_or_null(f.id);
	if (!c.account)
		c.account = str_or_null(f.recipient);
	if (!c.arn)
		c.arn = str_or_null(nhir_json_str(ui, "invokedBy"));
	svc = strcspn(src, ".");
	snprintf(action, sizeof(action), "%.*s:%s", (int)NHIR_MIN(svc, 64),
		 src, name);

	memset(&ev, 0, sizeof(ev));
	ev.time = c.time;
	ev.source = "cloudtrail";
	ev.uid = nhir_tele_uid(f.id, NULL);
	ev.actor_key = c.key;
	ev.identity = c.arn;
	ev.action = action;
	ev.target = target_of(r, req);
	ev.src_ip = str_or_null(f.ip);
	ev.user_agent = str_or_null(f.ua);
	ev.region = str_or_null(f.region);
	ev.outcome = errc ? errc : "success";
	if (cJSON_IsTrue(ro))
		ev.flags |= NHIR_EV_READ_ONLY;
	if (nhir_ev_internal_source(ev.src_ip))
		ev.flags |= NHIR_EV_INTERNAL;
	if (errc)
		ev.flags |= NHIR_EV_FAILED;
	if (in(name, persistence, NHIR_ARRAY_SIZE(persistence)))
		ev.flags |= NHIR_EV_PERSISTENCE;
	if (in(name, escalation, NHIR_ARRAY_SIZE(escalation)))
		ev.flags |= NHIR_EV_ESCALATION;
	if (!errc && in(name, minting, NHIR_ARRAY_SIZE(minting)))
		ev.flags |= NHIR_EV_MINT;
	if (!nhir_tele_event(t, &ev))
		return -1;

	if (c.key && !actor(&c, ui))
		return -1;
	if (errc)
		return 1;
	if ((ev.flags & NHIR_EV_MINT) && !minted(&c, name, resp))
		return -1;
	if ((ev.flags & NHIR_EV_PERSISTENCE) && !created(&c, name, req, resp))
		return -1;
	if (!ended(&c, name, req))
		return -1;
	return 1;
}

/*
 * A record of any of the shapes above: unwrapped, then ct_event().  A
 * search response holds many: it counts as used if any of them is.
 */
static int ct_record(struct nhir_tele *t, const cJSON *r, bool first)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(r, "CloudTrailEvent");
	const cJSON *hits;
	const char *id;
	int rc, used = 0;

	if (first && nhir_json_str(r, "digestStartTime")) {
		/* CloudTrail-Digest/: integrity hashes of log files, no event */
		nhir_tele_digest(t);
		return 0;
	}
	if (cJSON_IsString(s)) {
		/* lookup-events: the record is a string in the entry */
		size_t bad = 0;
		cJSON *o = nhir_json_parse(s->valuestring,
					   strlen(s->valuestring), &bad, NULL);

		if (!o || !cJSON_IsObject(o)) {
			cJSON_Delete(o);
			nhir_tele_malformed(t, "CloudTrailEvent is not a JSON "
					    "object (at byte %zu of it)", bad);
			return 0;
		}
		rc = ct_event(t, o, nhir_json_str(r, "EventId"));
		cJSON_Delete(o);
		return rc;
	}
	s = cJSON_GetObjectItemCaseSensitive(r, "_source");
	id = nhir_json_str(r, "_id");
	if (cJSON_IsObject(s))
		return ct_event(t, s, id);
	hits = cJSON_GetObjectItemCaseSensitive(r, "hits");
	if (cJSON_IsObject(hits))
		hits = cJSON_GetObjectItemCaseSensitive(hits, "hits");
	if (!cJSON_IsArray(hits))
		return ct_event(t, r, NULL);
	cJSON_ArrayForEach(s, hits) {
		const cJSON *src = cJSON_GetObjectItemCaseSensitive(s, "_source");

		if (!cJSON_IsObject(src))
			continue;
		rc = ct_event(t, src, nhir_json_str(s, "_id"));
		if (rc < 0)
			return rc;
		used += rc;
	}
	if (!used)
		nhir_tele_malformed(t, "a search response with no CloudTrail "
				    "record in hits.hits[]._source");
	return used ? 1 : 0;
}

const struct nhir_tele_format nhir_tele_cloudtrail = {
	.name = "cloudtrail",
	.summary = "AWS CloudTrail: S3 delivery files, .json.gz, JSON Lines, "
		   "lookup-events output, Logstash/Elasticsearch exports",
	.record = ct_record,
};
