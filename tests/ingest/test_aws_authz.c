/*
 * aws-authz: the real cloudsplaining samples (some partial on purpose)
 * and hand-made documents for each rule of the reachability model.
 */
#include "lib/testlib.h"
#include "ingest/iam.h"

struct find_edge {
	int64_t dst;
	enum nhir_edge_kind kind;
	int found;
	enum nhir_priv priv;
	char attrs[512];
};

static int edge_cb(const struct nhir_edge *e, void *data)
{
	struct find_edge *f = data;

	if (e->dst == f->dst && e->kind == f->kind) {
		f->found = 1;
		f->priv = e->priv;
		snprintf(f->attrs, sizeof(f->attrs), "%s", e->attrs);
		return 1;
	}
	return 0;
}

static struct find_edge edge_between(struct nhir_store *st, const char *from,
				     const char *to, enum nhir_edge_kind k)
{
	struct find_edge f = { 0, k, 0, 0, "" };
	int64_t src;

	if (nhir_store_resolve(st, to, &f.dst, NULL) ||
	    nhir_store_resolve(st, from, &src, NULL))
		return f;
	nhir_store_node_edges(st, src, NHIR_DIR_OUT, edge_cb, &f, NULL);
	return f;
}

static int64_t priv_to(struct nhir_store *st, const char *from, const char *to)
{
	struct find_edge f = edge_between(st, from, to, NHIR_EDGE_CAN);

	return f.found ? (int64_t)f.priv : -1;
}

static void test_match_and_priv(void **state)
{
	(void)state;
	assert_true(nhir_iam_match("s3:Get*", "s3:GetObject", true));
	assert_true(nhir_iam_match("S3:get*", "s3:GetObject", true));
	assert_false(nhir_iam_match("arn:aws:s3:::A*", "arn:aws:s3:::abc", false));
	assert_true(nhir_iam_match("arn:aws:iam::*:role/a?c", "arn:aws:iam::1:role/abc", false));
	assert_true(nhir_iam_match("*", "", false));
	assert_false(nhir_iam_match("a*b*c", "aXbY", false));
	assert_int_equal(nhir_iam_priv("*", "*"), NHIR_PRIV_ADMIN);
	assert_int_equal(nhir_iam_priv("iam:*", "*"), NHIR_PRIV_ADMIN);
	assert_int_equal(nhir_iam_priv("iam:PutUserPolicy", "*"), NHIR_PRIV_ADMIN);
	assert_int_equal(nhir_iam_priv("iam:PutRolePolicy",
				       "arn:aws:iam::1:role/*"), NHIR_PRIV_ADMIN);
	assert_int_equal(nhir_iam_priv("iam:PutRolePolicy",
				       "arn:aws:iam::1:role/one"), NHIR_PRIV_WRITE);
	assert_int_equal(nhir_iam_priv("s3:GetObject", "*"), NHIR_PRIV_READ);
	assert_int_equal(nhir_iam_priv("ec2:Describe*", "*"), NHIR_PRIV_READ);
	assert_int_equal(nhir_iam_priv("s3:*", "*"), NHIR_PRIV_WRITE);
	assert_int_equal(nhir_iam_priv("s3:PutObject", "arn:aws:s3:::b/*"),
			 NHIR_PRIV_WRITE);
}

static const char doc[] =
	"{\"UserDetailList\":["
	" {\"UserName\":\"dev\",\"Arn\":\"arn:aws:iam::111:user/dev\","
	"  \"CreateDate\":\"2023-03-09 10:41:45+00:00\",\"GroupList\":[\"devs\"],"
	"  \"AttachedManagedPolicies\":[],"
	"  \"UserPolicyList\":[{\"PolicyName\":\"assume-any\",\"PolicyDocument\":"
	"   {\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\","
	"    \"Resource\":\"*\"}}}]},"
	" {\"UserName\":\"ops\",\"Arn\":\"arn:aws:iam::111:user/ops\","
	"  \"GroupList\":[],\"AttachedManagedPolicies\":[{\"PolicyName\":\"P\","
	"   \"PolicyArn\":\"arn:aws:iam::111:policy/P\"}],"
	"  \"PermissionsBoundary\":{\"PermissionsBoundaryType\":\"Policy\","
	"   \"PermissionsBoundaryArn\":\"arn:aws:iam::111:policy/B\"}},"
	" {\"UserName\":\"denied\",\"Arn\":\"arn:aws:iam::111:user/denied\","
	"  \"GroupList\":[],\"UserPolicyList\":[{\"PolicyName\":\"x\","
	"   \"PolicyDocument\":\"%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow"
	"%22%2C%22Action%22%3A%22iam%3A*%22%2C%22Resource%22%3A%22*%22%7D%2C%7B%22"
	"Effect%22%3A%22Deny%22%2C%22Action%22%3A%22iam%3A*%22%2C%22Resource%22%3A"
	"%22*%22%7D%5D%7D\"}]},"
	" {\"UserName\":\"poweruser\",\"Arn\":\"arn:aws:iam::111:user/poweruser\","
	"  \"GroupList\":[],\"UserPolicyList\":[{\"PolicyName\":\"pu\","
	"   \"PolicyDocument\":{\"Statement\":[{\"Effect\":\"Allow\","
	"   \"NotAction\":[\"iam:*\",\"organizations:*\"],\"Resource\":\"*\"}]}}]}"
	"],"
	"\"GroupDetailList\":[{\"GroupName\":\"devs\",\"Arn\":\"arn:aws:iam::111:group/devs\","
	" \"GroupPolicyList\":[{\"PolicyName\":\"read\",\"PolicyDocument\":"
	"  {\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"s3:GetObject\","
	"  \"s3:ListBucket\"],\"Resource\":[\"arn:aws:s3:::logs\","
	"  \"arn:aws:s3:::logs/*\"]}]}}],\"AttachedManagedPolicies\":[]}],"
	"\"RoleDetailList\":["
	" {\"RoleName\":\"admin\",\"Arn\":\"arn:aws:iam::111:role/admin\","
	"  \"AssumeRolePolicyDocument\":{\"Statement\":[{\"Effect\":\"Allow\","
	"   \"Principal\":{\"AWS\":\"arn:aws:iam::111:root\"},"
	"   \"Action\":\"sts:AssumeRole\"}]},"
	"  \"RolePolicyList\":[],\"AttachedManagedPolicies\":[{\"PolicyName\":"
	"   \"AdministratorAccess\",\"PolicyArn\":"
	"   \"arn:aws:iam::aws:policy/AdministratorAccess\"}],"
	"  \"InstanceProfileList\":[{\"InstanceProfileName\":\"admin-ip\","
	"   \"Arn\":\"arn:aws:iam::111:instance-profile/admin-ip\"}]},"
	" {\"RoleName\":\"named\",\"Arn\":\"arn:aws:iam::111:role/named\","
	"  \"AssumeRolePolicyDocument\":{\"Statement\":[{\"Effect\":\"Allow\","
	"   \"Principal\":{\"AWS\":[\"arn:aws:iam::111:user/ops\","
	"   \"arn:aws:iam::222:root\"],\"Service\":\"lambda.amazonaws.com\"},"
	"   \"Action\":\"sts:AssumeRole\",\"Condition\":{\"Bool\":"
	"   {\"aws:MultiFactorAuthPresent\":\"true\"}}}]},"
	"  \"RolePolicyList\":[],\"AttachedManagedPolicies\":[]}],"
	"\"Policies\":["
	" {\"PolicyName\":\"AdministratorAccess\",\"Arn\":"
	"  \"arn:aws:iam::aws:policy/AdministratorAccess\",\"DefaultVersionId\":\"v1\","
	"  \"PolicyVersionList\":[{\"VersionId\":\"v1\",\"IsDefaultVersion\":true,"
	"  \"Document\":{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\","
	"  \"Resource\":\"*\"}]}}]},"
	" {\"PolicyName\":\"P\",\"Arn\":\"arn:aws:iam::111:policy/P\","
	"  \"DefaultVersionId\":\"v2\",\"PolicyVersionList\":["
	"  {\"VersionId\":\"v1\",\"IsDefaultVersion\":false,\"Document\":"
	"   {\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}},"
	"  {\"VersionId\":\"v2\",\"IsDefaultVersion\":true,\"Document\":"
	"   {\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"s3:*\",\"ec2:*\"],"
	"   \"Resource\":\"*\"}]}}]},"
	" {\"PolicyName\":\"B\",\"Arn\":\"arn:aws:iam::111:policy/B\","
	"  \"DefaultVersionId\":\"v1\",\"PolicyVersionList\":[{\"VersionId\":\"v1\","
	"  \"IsDefaultVersion\":true,\"Document\":{\"Statement\":[{\"Effect\":"
	"  \"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}}]}"
	"]}";

static void test_model_rules(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_import_result res;
	struct find_edge f;

	(void)state;
	assert_int_equal(tl_import_text(st, "aws-authz", doc, &res), 0);
	/* group policies reach the member; resources kept as written */
	assert_int_equal(priv_to(st, "arn:aws:iam::111:user/dev",
				 "arn:aws:s3:::logs/*"), NHIR_PRIV_READ);
	/* default policy version only; the boundary caps ec2 away */
	assert_int_equal(priv_to(st, "arn:aws:iam::111:user/ops",
				 "aws:111:*"), NHIR_PRIV_WRITE);
	f = edge_between(st, "arn:aws:iam::111:user/ops", "aws:111:*",
			 NHIR_EDGE_CAN);
	assert_non_null(strstr(f.attrs, "s3:*"));
	assert_null(strstr(f.attrs, "ec2:*"));
	assert_non_null(strstr(f.attrs, "\"bounded\":true"));
	/* explicit deny wins, even URL-encoded */
	assert_int_equal(priv_to(st, "arn:aws:iam::111:user/denied",
				 "aws:111:*"), -1);
	/* NotAction excluding IAM is write, not admin */
	assert_int_equal(priv_to(st, "arn:aws:iam::111:user/poweruser",
				 "aws:111:*"), NHIR_PRIV_WRITE);
	assert_int_equal(priv_to(st, "arn:aws:iam::111:role/admin",
				 "aws:111:*"), NHIR_PRIV_ADMIN);

	/* account trust: only principals whose policies allow AssumeRole */
	f = edge_between(st, "arn:aws:iam::111:user/dev",
			 "arn:aws:iam::111:role/admin", NHIR_EDGE_ASSUMES);
	assert_true(f.found);
	assert_non_null(strstr(f.attrs, "account trust and identity policy"));
	/* poweruser's NotAction allows sts:AssumeRole: it may assume too */
	assert_true(edge_between(st, "arn:aws:iam::111:user/poweruser",
				 "arn:aws:iam::111:role/admin",
				 NHIR_EDGE_ASSUMES).found);
	assert_false(edge_between(st, "arn:aws:iam::111:user/denied",
				  "arn:aws:iam::111:role/admin",
				  NHIR_EDGE_ASSUMES).found);
	assert_false(edge_between(st, "arn:aws:iam::111:user/ops",
				  "arn:aws:iam::111:role/admin",
				  NHIR_EDGE_ASSUMES).found);
	/* a principal named directly, with its condition noted */
	f = edge_between(st, "arn:aws:iam::111:user/ops",
			 "arn:aws:iam::111:role/named", NHIR_EDGE_ASSUMES);
	assert_true(f.found);
	assert_non_null(strstr(f.attrs, "\"conditional\":true"));
	/* another account and a service are external principals */
	assert_true(edge_between(st, "arn:aws:iam::222:root",
				 "arn:aws:iam::111:role/named",
				 NHIR_EDGE_ASSUMES).found);
	assert_true(edge_between(st, "aws-service:lambda.amazonaws.com",
				 "arn:aws:iam::111:role/named",
				 NHIR_EDGE_ASSUMES).found);
	assert_true(edge_between(st, "arn:aws:iam::111:instance-profile/admin-ip",
				 "arn:aws:iam::111:role/admin",
				 NHIR_EDGE_ASSUMES).found);
	/* idempotent */
	assert_int_equal(tl_import_text(st, "aws-authz", doc, &res), 0);
	assert_int_equal(res.added + res.updated, 0);
	nhir_store_close(st);
}

/*
 * The most common shape: a policy whose Resource names a role or user
 * ARN.  And the account boundary: a trust naming account 111's root
 * admits no principal of account 333, whatever its own policy allows.
 */
static const char named_doc[] =
	"{\"UserDetailList\":["
	" {\"UserName\":\"dev\",\"Arn\":\"arn:aws:iam::111:user/dev\","
	"  \"GroupList\":[],\"UserPolicyList\":[{\"PolicyName\":\"p\","
	"  \"PolicyDocument\":{\"Statement\":["
	"   {\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\","
	"    \"Resource\":\"arn:aws:iam::111:role/admin\"},"
	"   {\"Effect\":\"Allow\",\"Action\":\"iam:PassRole\","
	"    \"Resource\":[\"arn:aws:iam::111:role/admin\"]},"
	"   {\"Effect\":\"Allow\",\"Action\":\"iam:CreateAccessKey\","
	"    \"Resource\":\"arn:aws:iam::111:user/ops\"}]}}]},"
	" {\"UserName\":\"ops\",\"Arn\":\"arn:aws:iam::111:user/ops\","
	"  \"GroupList\":[],\"UserPolicyList\":[]},"
	" {\"UserName\":\"stranger\",\"Arn\":\"arn:aws:iam::333:user/stranger\","
	"  \"GroupList\":[],\"UserPolicyList\":[{\"PolicyName\":\"p\","
	"  \"PolicyDocument\":{\"Statement\":{\"Effect\":\"Allow\","
	"   \"Action\":\"sts:AssumeRole\",\"Resource\":\"*\"}}}]}],"
	"\"RoleDetailList\":["
	" {\"RoleName\":\"admin\",\"Arn\":\"arn:aws:iam::111:role/admin\","
	"  \"AssumeRolePolicyDocument\":{\"Statement\":[{\"Effect\":\"Allow\","
	"   \"Principal\":{\"AWS\":\"arn:aws:iam::111:root\"},"
	"   \"Action\":\"sts:AssumeRole\"}]},\"RolePolicyList\":[]}]}";

static void test_principal_resources(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_import_result res;
	struct find_edge f;

	(void)state;
	assert_int_equal(tl_import_text(st, "aws-authz", named_doc, &res), 0);
	assert_int_equal(res.rejected, 0);
	f = edge_between(st, "arn:aws:iam::111:user/dev",
			 "arn:aws:iam::111:role/admin#resource", NHIR_EDGE_CAN);
	assert_true(f.found);
	assert_non_null(strstr(f.attrs, "iam:PassRole"));
	assert_non_null(strstr(f.attrs, "sts:AssumeRole"));
	assert_true(edge_between(st, "arn:aws:iam::111:user/dev",
				 "arn:aws:iam::111:user/ops#resource",
				 NHIR_EDGE_CAN).found);
	/* the identity keeps its kind: the role is still assumable */
	assert_true(edge_between(st, "arn:aws:iam::111:user/dev",
				 "arn:aws:iam::111:role/admin",
				 NHIR_EDGE_ASSUMES).found);
	/* the account boundary holds */
	assert_false(edge_between(st, "arn:aws:iam::333:user/stranger",
				  "arn:aws:iam::111:role/admin",
				  NHIR_EDGE_ASSUMES).found);
	nhir_store_close(st);
}

/*
 * Privilege escalation, in the shape GetAccountAuthorizationDetails
 * returns: each user and role with its inline and attached policies,
 * roles with their trust and instance profiles, managed policies with
 * their versions.
 */
#define USER(name, id, policies) \
	"{\"Path\":\"/\",\"UserName\":\"" name "\",\"UserId\":\"" id "\"," \
	"\"Arn\":\"arn:aws:iam::111122223333:user/" name "\"," \
	"\"CreateDate\":\"2024-01-02T10:00:00Z\",\"GroupList\":[]," \
	"\"AttachedManagedPolicies\":[],\"Tags\":[]," \
	"\"UserPolicyList\":[{\"PolicyName\":\"p\",\"PolicyDocument\":" \
	"{\"Version\":\"2012-10-17\",\"Statement\":[" policies "]}}]}"
#define ALLOW(act, res) \
	"{\"Effect\":\"Allow\",\"Action\":" act ",\"Resource\":" res "}"
#define A "arn:aws:iam::111122223333:"

static const char esc_doc[] =
	"{\"UserDetailList\":["
	USER("keymaker", "AIDA0000000000000001",
	     ALLOW("\"iam:CreateAccessKey\"", "\"" A "user/target\"")) ","
	USER("target", "AIDA0000000000000002",
	     ALLOW("\"s3:GetObject\"", "\"arn:aws:s3:::b/*\"")) ","
	USER("passer", "AIDA0000000000000003",
	     ALLOW("\"iam:PassRole\"", "\"" A "role/fn-admin\"") ","
	     ALLOW("[\"lambda:CreateFunction\",\"lambda:InvokeFunction\"]",
		   "\"*\"")) ","
	USER("passonly", "AIDA0000000000000004",
	     ALLOW("\"iam:PassRole\"", "\"*\"")) ","
	USER("wrongsvc", "AIDA0000000000000005",
	     ALLOW("\"iam:PassRole\"", "\"" A "role/fn-admin\"") ","
	     ALLOW("\"ec2:RunInstances\"", "\"*\"")) ","
	USER("selfput", "AIDA0000000000000006",
	     ALLOW("\"iam:PutUserPolicy\"", "\"" A "user/selfput\"")) ","
	USER("conditional", "AIDA0000000000000007",
	     "{\"Effect\":\"Allow\",\"Action\":\"iam:CreateLoginProfile\","
	     "\"Resource\":\"" A "user/target\",\"Condition\":{\"Bool\":"
	     "{\"aws:MultiFactorAuthPresent\":\"true\"}}}") ","
	USER("hopper", "AIDA0000000000000008",
	     ALLOW("[\"sts:AssumeRole\",\"iam:PutRolePolicy\"]",
		   "\"" A "role/ops\"")) ","
	USER("writer", "AIDA0000000000000009",
	     ALLOW("\"iam:PutRolePolicy\"", "\"" A "role/ops\"")) ","
	USER("rolemaker", "AIDA0000000000000011",
	     ALLOW("[\"iam:CreateRole\",\"iam:AttachRolePolicy\"]",
		   "\"arn:aws:iam::*:role/made-*\"")) ","
	USER("starmaker", "AIDA0000000000000012",
	     ALLOW("[\"iam:CreateRole\",\"iam:PutRolePolicy\"]", "\"*\"")) ","
	USER("mismatch", "AIDA0000000000000013",
	     ALLOW("\"iam:CreateRole\"", "\"" A "role/made-*\"") ","
	     ALLOW("\"iam:AttachRolePolicy\"", "\"" A "role/other-*\"")) ","
	USER("elsewhere", "AIDA0000000000000014",
	     ALLOW("[\"iam:CreateRole\",\"iam:AttachRolePolicy\"]",
		   "\"arn:aws:iam::999999999999:role/*\"")) ","
	USER("createonly", "AIDA0000000000000015",
	     ALLOW("\"iam:CreateRole\"", "\"*\"")) ","
	"{\"Path\":\"/\",\"UserName\":\"versioner\",\"UserId\":"
	" \"AIDA0000000000000010\",\"Arn\":\"" A "user/versioner\","
	" \"CreateDate\":\"2024-01-02T10:00:00Z\",\"GroupList\":[],"
	" \"UserPolicyList\":[],\"AttachedManagedPolicies\":[{\"PolicyName\":"
	"  \"mine\",\"PolicyArn\":\"" A "policy/mine\"}]}"
	"],\"GroupDetailList\":[],"
	"\"RoleDetailList\":["
	" {\"Path\":\"/\",\"RoleName\":\"fn-admin\",\"RoleId\":\"AROA0000000000000001\","
	"  \"Arn\":\"" A "role/fn-admin\",\"CreateDate\":\"2024-01-02T10:00:00Z\","
	"  \"AssumeRolePolicyDocument\":{\"Version\":\"2012-10-17\",\"Statement\":"
	"   [{\"Effect\":\"Allow\",\"Principal\":{\"Service\":"
	"   \"lambda.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]},"
	"  \"InstanceProfileList\":[],\"RolePolicyList\":[],"
	"  \"AttachedManagedPolicies\":[{\"PolicyName\":\"AdministratorAccess\","
	"   \"PolicyArn\":\"arn:aws:iam::aws:policy/AdministratorAccess\"}],"
	"  \"Tags\":[],\"RoleLastUsed\":{}},"
	" {\"Path\":\"/\",\"RoleName\":\"ops\",\"RoleId\":\"AROA0000000000000002\","
	"  \"Arn\":\"" A "role/ops\",\"CreateDate\":\"2024-01-02T10:00:00Z\","
	"  \"AssumeRolePolicyDocument\":\"%7B%22Version%22%3A%222012-10-17%22%2C"
	"%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A"
	"%7B%22AWS%22%3A%22arn%3Aaws%3Aiam%3A%3A111122223333%3Aroot%22%7D%2C"
	"%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D\","
	"  \"InstanceProfileList\":[],\"RolePolicyList\":[],"
	"  \"AttachedManagedPolicies\":[],\"Tags\":[],\"RoleLastUsed\":{}}"
	"],\"Policies\":["
	" {\"PolicyName\":\"AdministratorAccess\",\"PolicyId\":\"ANPAIWMBCKSKIEE64ZLYK\","
	"  \"Arn\":\"arn:aws:iam::aws:policy/AdministratorAccess\",\"Path\":\"/\","
	"  \"DefaultVersionId\":\"v1\",\"AttachmentCount\":1,\"IsAttachable\":true,"
	"  \"PolicyVersionList\":[{\"Document\":{\"Version\":\"2012-10-17\","
	"  \"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]},"
	"  \"VersionId\":\"v1\",\"IsDefaultVersion\":true}]},"
	" {\"PolicyName\":\"mine\",\"PolicyId\":\"ANPA0000000000000001\","
	"  \"Arn\":\"" A "policy/mine\",\"Path\":\"/\",\"DefaultVersionId\":\"v1\","
	"  \"AttachmentCount\":1,\"IsAttachable\":true,\"PolicyVersionList\":"
	"  [{\"Document\":{\"Version\":\"2012-10-17\",\"Statement\":[" ALLOW(
	"\"iam:CreatePolicyVersion\"", "\"" A "policy/mine\"") "]},"
	"  \"VersionId\":\"v1\",\"IsDefaultVersion\":true}]}"
	"]}";

static struct find_edge esc(struct nhir_store *st, const char *from,
			    const char *to)
{
	return edge_between(st, from, to, NHIR_EDGE_ESCALATES);
}

static void test_escalation(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_import_result res;
	struct find_edge f;

	(void)state;
	assert_int_equal(tl_import_text(st, "aws-authz", esc_doc, &res), 0);
	assert_int_equal(res.rejected, 0);
	/* keys for another user: that user's access */
	f = esc(st, A "user/keymaker", A "user/target");
	assert_true(f.found);
	assert_non_null(strstr(f.attrs, "\"iam:CreateAccessKey\""));
	assert_null(strstr(f.attrs, "not_evaluated"));
	/* a role passed to a service that runs code */
	f = esc(st, A "user/passer", A "role/fn-admin");
	assert_true(f.found);
	assert_non_null(strstr(f.attrs, "iam:PassRole+lambda:CreateFunction"
				"+lambda:InvokeFunction"));
	/* PassRole alone, or to a service the role does not trust: none */
	assert_false(esc(st, A "user/passonly", A "role/fn-admin").found);
	assert_false(esc(st, A "user/wrongsvc", A "role/fn-admin").found);
	/* a policy written on itself: admin of the account */
	f = esc(st, A "user/selfput", "aws:111122223333:*");
	assert_true(f.found);
	assert_int_equal(f.priv, NHIR_PRIV_ADMIN);
	assert_non_null(strstr(f.attrs, "[\"iam:PutUserPolicy\"]"));
	/* a new version of a policy attached to itself */
	f = esc(st, A "user/versioner", "aws:111122223333:*");
	assert_true(f.found);
	assert_non_null(strstr(f.attrs, "iam:CreatePolicyVersion(" A
				"policy/mine)"));
	/* a condition nhir does not evaluate: kept, and said */
	f = esc(st, A "user/conditional", A "user/target");
	assert_true(f.found);
	assert_non_null(strstr(f.attrs, "\"not_evaluated\":[\"condition on "
				"iam:CreateLoginProfile\"]"));
	/* a policy written on a role it can assume; not on one it cannot */
	f = esc(st, A "user/hopper", "aws:111122223333:*");
	assert_true(f.found);
	assert_non_null(strstr(f.attrs, "iam:PutRolePolicy(" A "role/ops)"));
	assert_false(esc(st, A "user/writer", "aws:111122223333:*").found);
	/* a role it creates, naming itself in the trust, then writes */
	f = esc(st, A "user/rolemaker", "aws:111122223333:*");
	assert_true(f.found);
	assert_int_equal(f.priv, NHIR_PRIV_ADMIN);
	assert_non_null(strstr(f.attrs, "[\"iam:CreateRole(arn:aws:iam::*:"
				"role/made-*)+iam:AttachRolePolicy\"]"));
	f = esc(st, A "user/starmaker", "aws:111122223333:*");
	assert_true(f.found);
	assert_non_null(strstr(f.attrs,
			       "[\"iam:CreateRole+iam:PutRolePolicy\"]"));
	/* not when the names it may create and write differ, the role
	 * would be another account's, or it may only create */
	assert_false(esc(st, A "user/mismatch", "aws:111122223333:*").found);
	assert_false(esc(st, A "user/elsewhere", "aws:111122223333:*").found);
	assert_false(esc(st, A "user/createonly", "aws:111122223333:*").found);
	/* who is admin already escalates nothing; nobody escalates to self */
	assert_false(esc(st, A "role/fn-admin", "aws:111122223333:*").found);
	assert_false(esc(st, A "user/target", A "user/target").found);
	/* the same file again changes nothing */
	assert_int_equal(tl_import_text(st, "aws-authz", esc_doc, &res), 0);
	assert_int_equal(res.added + res.updated, 0);
	nhir_store_close(st);
}

/*
 * Two accounts, two files.  Account 111111111111 (A) holds the roles:
 * partner-admin trusts account 222222222222 (B), ci-deploy trusts B's
 * role ci by name, internal trusts only A.  Account B holds the callers:
 * bob may assume partner-admin, carol any role, dave nothing, ci may
 * assume ci-deploy, eve may assume internal.
 */
#define B "arn:aws:iam::222222222222:"
#define AA "arn:aws:iam::111111111111:"
#define TRUST(who) \
	"\"AssumeRolePolicyDocument\":{\"Version\":\"2012-10-17\",\"Statement\":" \
	"[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" who "\"}," \
	"\"Action\":\"sts:AssumeRole\"}]}"
#define ROLE(acct, name, id, trust, attached) \
	"{\"Path\":\"/\",\"RoleName\":\"" name "\",\"RoleId\":\"" id "\"," \
	"\"Arn\":\"" acct "role/" name "\",\"CreateDate\":\"2024-01-02T10:00:00Z\"," \
	trust ",\"InstanceProfileList\":[],\"RolePolicyList\":[]," \
	"\"AttachedManagedPolicies\":[" attached "],\"Tags\":[],\"RoleLastUsed\":{}}"
#define ADMIN_ATTACHED "{\"PolicyName\":\"AdministratorAccess\",\"PolicyArn\":" \
	"\"arn:aws:iam::aws:policy/AdministratorAccess\"}"
#define BUSER(name, id, stmt) \
	"{\"Path\":\"/\",\"UserName\":\"" name "\",\"UserId\":\"" id "\"," \
	"\"Arn\":\"" B "user/" name "\",\"CreateDate\":\"2024-01-02T10:00:00Z\"," \
	"\"GroupList\":[],\"AttachedManagedPolicies\":[],\"Tags\":[]," \
	"\"UserPolicyList\":[{\"PolicyName\":\"p\",\"PolicyDocument\":" \
	"{\"Version\":\"2012-10-17\",\"Statement\":[" stmt "]}}]}"

static const char acct_a[] =
	"{\"UserDetailList\":[],\"GroupDetailList\":[],\"RoleDetailList\":["
	ROLE(AA, "partner-admin", "AROA1000000000000001",
	     TRUST("arn:aws:iam::222222222222:root"), ADMIN_ATTACHED) ","
	ROLE(AA, "ci-deploy", "AROA1000000000000002", TRUST(B "role/ci"),
	     ADMIN_ATTACHED) ","
	ROLE(AA, "internal", "AROA1000000000000003",
	     TRUST("arn:aws:iam::111111111111:root"), ADMIN_ATTACHED)
	"],\"Policies\":[{\"PolicyName\":\"AdministratorAccess\","
	" \"PolicyId\":\"ANPAIWMBCKSKIEE64ZLYK\",\"Arn\":"
	" \"arn:aws:iam::aws:policy/AdministratorAccess\",\"Path\":\"/\","
	" \"DefaultVersionId\":\"v1\",\"AttachmentCount\":3,\"IsAttachable\":true,"
	" \"PolicyVersionList\":[{\"Document\":{\"Version\":\"2012-10-17\","
	" \"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]},"
	" \"VersionId\":\"v1\",\"IsDefaultVersion\":true}]}]}";

static const char acct_b[] =
	"{\"UserDetailList\":["
	BUSER("bob", "AIDA2000000000000001",
	      ALLOW("\"sts:AssumeRole\"", "\"" AA "role/partner-admin\"")) ","
	BUSER("carol", "AIDA2000000000000002",
	      ALLOW("\"sts:AssumeRole\"", "\"*\"")) ","
	BUSER("dave", "AIDA2000000000000003",
	      ALLOW("\"s3:GetObject\"", "\"*\"")) ","
	BUSER("eve", "AIDA2000000000000004",
	      ALLOW("\"sts:AssumeRole\"", "\"" AA "role/internal\""))
	"],\"GroupDetailList\":[],\"RoleDetailList\":["
	"{\"Path\":\"/\",\"RoleName\":\"ci\",\"RoleId\":\"AROA2000000000000001\","
	" \"Arn\":\"" B "role/ci\",\"CreateDate\":\"2024-01-02T10:00:00Z\","
	" " TRUST("arn:aws:iam::222222222222:root") ","
	" \"InstanceProfileList\":[],\"AttachedManagedPolicies\":[],"
	" \"RolePolicyList\":[{\"PolicyName\":\"p\",\"PolicyDocument\":"
	" {\"Version\":\"2012-10-17\",\"Statement\":["
	ALLOW("\"sts:AssumeRole\"", "\"" AA "role/ci-deploy\"") "]}}]}"
	"],\"Policies\":[]}";

/* Does a blast of from reach to (the store's graph, now)? */
static const struct nhir_blast_item *reaches(struct nhir_store *st,
					     const char *from, const char *to,
					     struct nhir_blast *b,
					     struct nhir_graph **g)
{
	struct nhir_blast_opts o = { 0, NHIR_TIME_UNSET, 0 };
	int64_t s, d;
	uint32_t seed;

	nhir_blast_release(b);
	nhir_graph_free(*g);
	*g = NULL;
	assert_int_equal(nhir_store_load_graph(st, g, NULL), 0);
	if (nhir_store_resolve(st, from, &s, NULL) ||
	    nhir_store_resolve(st, to, &d, NULL))
		return NULL;
	o.at = nhir_time_now();
	seed = nhir_graph_find(*g, s);
	assert_int_equal(nhir_blast_run(*g, &seed, 1, &o, b, NULL), 0);
	for (size_t i = 0; i < b->nr; i++)
		if ((*g)->node_id[b->items[i].node] == d)
			return &b->items[i];
	return NULL;
}

static void test_cross_account(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_import_result res;
	struct nhir_blast b = NHIR_BLAST_INIT;
	struct nhir_graph *g = NULL;
	const struct nhir_blast_item *it;
	struct find_edge f;

	(void)state;
	/* the caller's side alone: bob stops at the gate, unknown */
	assert_int_equal(tl_import_text(st, "aws-authz", acct_b, &res), 0);
	assert_int_equal(res.rejected, 0);
	assert_true(esc(st, B "user/bob", AA "role/partner-admin").found == 0);
	assert_true(edge_between(st, B "user/bob", AA "role/partner-admin#from:"
				 "arn:aws:iam::222222222222:root",
				 NHIR_EDGE_ASSUMES).found);
	assert_null(reaches(st, B "user/bob", AA "role/partner-admin", &b, &g));

	/* both sides: the path exists, through the gate */
	assert_int_equal(tl_import_text(st, "aws-authz", acct_a, &res), 0);
	assert_int_equal(res.rejected, 0);
	assert_non_null(reaches(st, B "user/bob", AA "role/partner-admin",
				&b, &g));
	assert_non_null(reaches(st, B "user/bob", "aws:111111111111:*", &b, &g));
	assert_non_null(reaches(st, B "user/carol", AA "role/partner-admin",
				&b, &g));
	assert_non_null(reaches(st, B "role/ci", AA "role/ci-deploy", &b, &g));
	/* a trust that admits the account, a policy that does not allow */
	assert_null(reaches(st, B "user/dave", AA "role/partner-admin", &b, &g));
	/* a trust naming ci only: not bob, although B is the account */
	assert_null(reaches(st, B "user/bob", AA "role/ci-deploy", &b, &g));
	/* a policy allowing it, a trust that does not admit the account */
	assert_null(reaches(st, B "user/eve", AA "role/internal", &b, &g));
	/* (carol reaches internal, but from a role of A that may assume
	 * it, not through a gate of internal: there is none) */
	it = reaches(st, B "user/carol", AA "role/internal", &b, &g);
	assert_non_null(it);
	assert_int_equal(it->depth, 4);
	assert_false(edge_between(st, B "user/carol", AA "role/internal#from:"
				  "arn:aws:iam::222222222222:root",
				  NHIR_EDGE_ASSUMES).found &&
		     edge_between(st, AA "role/internal#from:arn:aws:iam::"
				  "222222222222:root", AA "role/internal",
				  NHIR_EDGE_ASSUMES).found);
	/* order does not matter: the same in the other order */
	nhir_blast_release(&b);
	nhir_graph_free(g);
	g = NULL;
	nhir_store_close(st);

	st = tl_new_store(NULL);
	/* the trust side alone: kept, and said to be unknown */
	assert_int_equal(tl_import_text(st, "aws-authz", acct_a, &res), 0);
	f = edge_between(st, "arn:aws:iam::222222222222:root",
			 AA "role/partner-admin", NHIR_EDGE_ASSUMES);
	assert_true(f.found);
	assert_non_null(strstr(f.attrs, "not_evaluated"));
	f = edge_between(st, B "role/ci", AA "role/ci-deploy#from:" B "role/ci",
			 NHIR_EDGE_ASSUMES);
	assert_true(f.found);
	assert_null(strstr(f.attrs, "identity_policy"));
	assert_non_null(reaches(st, B "role/ci", AA "role/ci-deploy", &b, &g));
	assert_int_equal(tl_import_text(st, "aws-authz", acct_b, &res), 0);
	f = edge_between(st, B "role/ci", AA "role/ci-deploy#from:" B "role/ci",
			 NHIR_EDGE_ASSUMES);
	assert_non_null(strstr(f.attrs, "\"identity_policy\":\"allows\""));
	assert_non_null(reaches(st, B "user/bob", AA "role/partner-admin",
				&b, &g));
	assert_null(reaches(st, B "user/dave", AA "role/partner-admin", &b, &g));
	nhir_blast_release(&b);
	nhir_graph_free(g);
	nhir_store_close(st);
}

static void test_real_samples(void **state)
{
	static const char *const files[] = {
		"example.json", "example-authz-details.json",
		"authz-details.historic.json", "example_authz_v2.json",
		"example_authz_details_for_overrides_complete.json",
		"example_authz_details_for_overrides.json",
		"managed_policy_mismatch.json",
	};
	struct nhir_store *st;
	struct nhir_import_result res;
	struct nhir_err err = NHIR_ERR_INIT;
	char *dir;
	struct find_edge f;

	(void)state;
	TL_SKIP_NO_DATA(dir, "cloudsplaining-iam-authz");
	st = tl_new_store(NULL);
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(files); i++) {
		char path[1024];

		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (nhir_import_file(TL_CTX(st, "t"),
				     nhir_importer_find("aws-authz"), path,
				     NULL, &res, &err))
			fail_msg("%s: %s (%s)", files[i], err.msg,
				 res.error_nr ? res.errors[0].msg : "");
		/* a second import changes nothing */
		assert_int_equal(nhir_import_file(TL_CTX(st, "t"),
						  nhir_importer_find("aws-authz"),
						  path, NULL, &res, &err), 0);
		assert_int_equal(res.added + res.updated, 0);
	}
	/* the privilege-escalation principals of example.json */
	assert_int_equal(priv_to(st,
		"arn:aws:iam::200611803367:user/privesc4-CreateAccessKey-user",
		"aws:200611803367:*"), NHIR_PRIV_ADMIN);
	assert_int_equal(priv_to(st,
		"arn:aws:iam::200611803367:user/fp1-allow-and-deny-user",
		"aws:200611803367:*"), -1);
	assert_true(edge_between(st,
		"arn:aws:iam::200611803367:role/privesc-AssumeRole-starting-role",
		"arn:aws:iam::200611803367:role/privesc-AssumeRole-intermediate-role",
		NHIR_EDGE_ASSUMES).found);
	/* its escalation principals, and its false positives */
	assert_true(esc(st,
		"arn:aws:iam::200611803367:user/privesc10-PutUserPolicy-user",
		"aws:200611803367:*").found);
	assert_true(esc(st,
		"arn:aws:iam::200611803367:user/privesc-sageMakerCreateTrainingJobPassRole-user",
		"arn:aws:iam::200611803367:role/privesc-high-priv-service-role").found);
	assert_false(esc(st,
		"arn:aws:iam::200611803367:user/fp4-nonExploitableResourceConstraint-user",
		"aws:200611803367:*").found);
	assert_non_null(strstr(esc(st,
		"arn:aws:iam::200611803367:user/fp5-nonExploitableConditionConstraint-user",
		"aws:200611803367:*").attrs, "not_evaluated"));
	/* a service role that may create stacksets-exec-* roles and
	 * attach AdministratorAccess to them (under a condition on the
	 * policy's ARN, not evaluated) */
	f = esc(st, "arn:aws:iam::200611803367:role/aws-service-role/"
		"member.org.stacksets.cloudformation.amazonaws.com/"
		"AWSServiceRoleForCloudFormationStackSetsOrgMember",
		"aws:200611803367:*");
	assert_true(f.found);
	assert_non_null(strstr(f.attrs, "iam:CreateRole(arn:aws:iam::*:role/"
				"stacksets-exec-*)+iam:AttachRolePolicy"));
	assert_non_null(strstr(f.attrs, "condition on iam:AttachRolePolicy"));
	/* partial file: the group names a policy that is not there */
	snprintf(err.msg, sizeof(err.msg), "%s/example_authz_v2.json", dir);
	assert_int_equal(nhir_import_file(TL_CTX(st, "t"),
					  nhir_importer_find("aws-authz"),
					  err.msg, NULL, &res, &err), 0);
	assert_true(res.warnings > 0);
	assert_non_null(strstr(res.warns[0].msg, "is not in this file"));
	free(dir);
	nhir_store_close(st);
}

static void test_bad(void **state)
{
	static const struct tl_bad cases[] = {
		{ "[]", "[]", 0, 0, "expected a JSON object" },
		{ "{\"Users\":[]}", "{\"Users\":[]}", 0, 0, "no UserDetailList" },
		{ "{\"UserDetailList\":{}}", "{\"UserDetailList\":{}}", 0, 0, "must be an array" },
		{ "{\"UserDetailList\":[{\"UserName\":\"x\"}]}", "{\"UserDetailList\":[{\"UserName\":\"x\"}]}", 0, 0, "without an Arn" },
		{ "{\"UserDetailList\":[{\"UserName\":\"x\",}]}", "{\"UserDetailList\":[{\"UserName\":\"x\",}]}", 0, 0, "malformed JSON" },
		{ "{\"RoleDetailList\":[1]}", "{\"RoleDetailList\":[1]}", 0, 0, "must be objects" },
	};

	(void)state;
	tl_check_rejected("aws-authz", NULL, cases, NHIR_ARRAY_SIZE(cases));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_and_priv),
		cmocka_unit_test(test_model_rules),
		cmocka_unit_test(test_principal_resources),
		cmocka_unit_test(test_escalation),
		cmocka_unit_test(test_cross_account),
		cmocka_unit_test(test_real_samples),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
