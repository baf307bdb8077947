/* The action catalog and connectors files: the shipped ones, and bad ones. */
#include "lib/testlib.h"
#include "plan/plan-internal.h"

static void test_shipped_catalog(void **state)
{
	struct nhir_catalog *c;
	struct nhir_err err = NHIR_ERR_INIT;
	const struct nhir_action *a;

	(void)state;
	assert_int_equal(nhir_catalog_load("catalog/actions.yaml", &c, &err), 0);
	assert_true(c->nr >= 25);
	a = nhir_catalog_pick(c, NHIR_NODE_CREDENTIAL, "aws-access-key",
			      NHIR_PHASE_CONTAIN);
	assert_string_equal(a->id, "aws.deactivate-access-key");
	assert_true(a->reversible && a->kills_self && !a->kills_children);
	a = nhir_catalog_pick(c, NHIR_NODE_CREDENTIAL, "aws-access-key",
			      NHIR_PHASE_REVOKE);
	assert_string_equal(a->id, "aws.delete-access-key");
	assert_true(!a->reversible && a->destroys_evidence);
	/* an STS session cannot be revoked: its action kills nothing */
	a = nhir_catalog_pick(c, NHIR_NODE_TOKEN, "aws-sts-session",
			      NHIR_PHASE_REVOKE);
	assert_false(a->kills_self);
	/* an unknown subtype falls back to the generic action */
	a = nhir_catalog_pick(c, NHIR_NODE_TOKEN, "martian-token",
			      NHIR_PHASE_REVOKE);
	assert_string_equal(a->id, "generic.revoke");
	a = nhir_catalog_pick(c, NHIR_NODE_IDENTITY, "gcp-service-account",
			      NHIR_PHASE_CONTAIN);
	assert_true(a->kills_children);
	assert_null(nhir_catalog_pick(c, NHIR_NODE_RESOURCE, "s3", NHIR_PHASE_CUT));
	assert_non_null(nhir_catalog_find(c, "vault.revoke-token"));
	assert_non_null(nhir_catalog_find(c, "github.delete-oauth-grant"));
	assert_non_null(nhir_catalog_find(c, "k8s.rotate-signing-key"));
	assert_non_null(nhir_catalog_find(c, "entra.disable-service-principal"));
	nhir_catalog_free(c);
}

#define ACT "version: 1\nactions:\n  - id: a\n    applies: {kind: credential}\n" \
	    "    phase: revoke\n    kills: [self]\n    survives: []\n" \
	    "    reversible: false\n    evidence: false\n    privileged: false\n"

static void test_bad_catalogs(void **state)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ ACT "    delay: 0\n", NULL },
		{ ACT "    delay: soon\n", "c.yaml:11: action 'a': delay is seconds" },
		{ ACT "    delay: 0\n    colour: red\n", "c.yaml:12: an action: unknown key 'colour'" },
		{ ACT "    delay: 0\n  - id: a\n    applies: {kind: token}\n    phase: revoke\n"
		  "    kills: []\n    survives: []\n    reversible: true\n    evidence: false\n"
		  "    privileged: false\n    delay: 0\n", "action 'a' is defined twice" },
		{ "version: 1\nactions:\n  - id: b\n    phase: cut\n    cuts: everything\n    applies: {kind: gizmo}\n", "c.yaml:6: action 'b': unknown kind 'gizmo'" },
		{ "version: 1\nactions:\n  - id: b\n    phase: cut\n    applies: {kind: identity}\n", "c.yaml:3: action 'b': a cut needs cuts: issued-before, everything or new-only" },
		{ "version: 1\nactions:\n  - id: b\n    phase: cut\n    cuts: some\n    applies: {kind: identity}\n", "c.yaml:5: action 'b': a cut needs cuts" },
		{ ACT "    delay: 0\n    cuts: everything\n", "c.yaml:12: action 'a': only a cut has cuts" },
		{ "version: 1\nactions:\n  - id: b\n    applies: {kind: token}\n    phase: later\n", "c.yaml:5: action 'b': phase is one of" },
		{ "version: 2\nactions: []\n", "c.yaml:1: version must be 1" },
		{ "version: 1\nactions: {}\n", "actions must be a list" },
		{ "version: 1\nactions:\n  - applies: {kind: token}\n", "c.yaml:3: an action needs an id" },
		{ "version: 1\nactions: [\n", "c.yaml:3:1:" },
	};
	struct nhir_catalog *c;
	struct nhir_err err = NHIR_ERR_INIT;

	(void)state;
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(bad); i++) {
		enum nhir_rc rc = nhir_catalog_parse(bad[i].text, strlen(bad[i].text),
						     "c.yaml", &c, &err);

		if (!bad[i].msg) {
			assert_int_equal(rc, 0);
			nhir_catalog_free(c);
			continue;
		}
		assert_int_equal(rc, NHIR_EPARSE);
		if (!strstr(err.msg, bad[i].msg))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, bad[i].msg);
	}
}

static void test_connectors(void **state)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "version: 1\nconnectors:\n  - name: x\n    type: ftp\n", "k.yaml:3: 'x': type is exec, http, aws, github, vault, gcp, kubernetes or entra" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: exec\n    command: [c]\n    endpoint: http://h/\n    actions: [a]\n", "k.yaml:6: 'x': endpoint is for connectors of type aws" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: aws\n    command: [c]\n    actions: [a]\n", "k.yaml:5: 'x': a connector of type aws takes no command" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: aws\n    org: acme\n    actions: [a]\n", "k.yaml:5: 'x': org is for connectors of type github" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: github\n    token: ghp_literal\n    actions: [a]\n", "k.yaml:5: 'x': token names where the token is read" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: vault\n    actions: [a]\n", "k.yaml:3: 'x': a connector of type vault needs the address of Vault" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: vault\n    address: https://v:8200\n    token: hvs.literal\n    actions: [a]\n", "k.yaml:6: 'x': token names where the token is read" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: github\n    namespace: ns\n    actions: [a]\n", "k.yaml:5: 'x': namespace is for connectors of type vault" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: exec\n    command: [c]\n    token: ${env:T}\n    actions: [a]\n", "k.yaml:6: 'x': token is for connectors of type github" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: github\n    api_url: http://api.example.com\n    actions: [a]\n", "k.yaml:5: 'x': api_url: plain http only to a loopback address" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: aws\n    endpoint: iam.amazonaws.com\n    actions: [a]\n", "k.yaml:5: 'x': endpoint is an http(s) URL" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: aws\n    endpoint: http://iam.example.com/\n    actions: [a]\n", "k.yaml:5: 'x': endpoint: plain http only to a loopback address" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: aws\n    accounts: {\"1234\": \"arn:aws:iam::1234:role/r\"}\n    actions: [a]\n", "'x': accounts: '1234' is not a 12-digit account id" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: aws\n    accounts: {\"111122223333\": r}\n    actions: [a]\n", "'x': accounts: 111122223333: give the ARN of the role to assume" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: exec\n    actions: [a]\n", "'x': an exec connector needs a command" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: http\n    url: ftp://h\n    actions: [a]\n", "needs an http(s) url" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: exec\n    command: [c]\n    timeout: 0\n    actions: [a]\n", "k.yaml:6: 'x': timeout is 1 to 3600 seconds" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: exec\n    command: [c]\n", "'x' needs actions" },
		{ "version: 1\nprobes:\n  - name: p\n    type: exec\n    command: [c]\n    actions: [a]\n", "'p' needs subtypes" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: kubernetes\n    leaked_token: eyJhbGciOi\n    actions: [a]\n", "k.yaml:5: 'x': leaked_token names where the token is read" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: kubernetes\n    cluster: a/b\n    actions: [a]\n", "k.yaml:5: 'x': cluster is the name nhir's ids give the cluster" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: vault\n    address: https://v:8200\n    kubeconfig: /k\n    actions: [a]\n", "k.yaml:6: 'x': kubeconfig is for connectors of type kubernetes" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: entra\n    actions: [a]\n", "k.yaml:3: 'x': a connector of type entra needs the tenant and the client_id" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: entra\n    tenant: t.example\n    client_id: app\n    actions: [a]\n", "k.yaml:6: 'x': client_id 'app' is not an application (client) id, a GUID" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: entra\n    tenant: t.example\n    client_id: 5b1f3e1c-8d7a-4b8e-9a44-0c1d2e3f4a5b\n    client_secret: abc~def\n    actions: [a]\n", "k.yaml:7: 'x': client_secret names where the secret is read" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: entra\n    tenant: t.example\n    client_id: 5b1f3e1c-8d7a-4b8e-9a44-0c1d2e3f4a5b\n    graph_url: http://graph.example.com\n    actions: [a]\n", "k.yaml:7: 'x': graph_url: plain http only to a loopback address" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: entra\n    tenant: t.example\n    client_id: 5b1f3e1c-8d7a-4b8e-9a44-0c1d2e3f4a5b\n    login_url: http://127.0.0.1.evil.example\n    actions: [a]\n", "k.yaml:7: 'x': login_url: plain http only to a loopback address" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: entra\n    tenant: 'a/b'\n    client_id: 5b1f3e1c-8d7a-4b8e-9a44-0c1d2e3f4a5b\n    actions: [a]\n", "k.yaml:5: 'x': tenant 'a/b' is not a tenant id or domain name" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: entra\n    tenant: t.example\n    client_id: 5b1f3e1c-8d7a-4b8e-9a44-0c1d2e3f4a5b\n    actions: [a]\n    proof_keys: {a: b}\n", "k.yaml:8: 'x': proof_keys is a list of {object, key_file, cert_file}" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: entra\n    tenant: t.example\n    client_id: 5b1f3e1c-8d7a-4b8e-9a44-0c1d2e3f4a5b\n    actions: [a]\n    proof_keys:\n      - object: app\n        key_file: k\n        cert_file: c\n", "k.yaml:9: 'x': proof_keys: object is the object id (a GUID)" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: entra\n    tenant: t.example\n    client_id: 5b1f3e1c-8d7a-4b8e-9a44-0c1d2e3f4a5b\n    actions: [a]\n    proof_keys:\n      - object: 22222222-3333-4444-8555-666666666666\n        key_file: k\n", "k.yaml:9: 'x': proof_keys: 22222222-3333-4444-8555-666666666666 needs key_file (the certificate's private key) and cert_file" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: entra\n    tenant: t.example\n    client_id: 5b1f3e1c-8d7a-4b8e-9a44-0c1d2e3f4a5b\n    actions: [a]\n    proof_keys:\n      - object: 22222222-3333-4444-8555-666666666666\n        key_file: ${env:KEY}\n        cert_file: c\n", "k.yaml:10: 'x': proof_keys: key_file is the path of a PEM file, not its content" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: entra\n    tenant: t.example\n    client_id: 5b1f3e1c-8d7a-4b8e-9a44-0c1d2e3f4a5b\n    actions: [a]\n    proof_keys:\n      - {object: 22222222-3333-4444-8555-666666666666, key_file: /a, cert_file: /b}\n      - {object: 22222222-3333-4444-8555-666666666666, key_file: /c, cert_file: /d}\n", "k.yaml:10: 'x': proof_keys: object 22222222-3333-4444-8555-666666666666 twice" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: entra\n    tenant: t.example\n    client_id: 5b1f3e1c-8d7a-4b8e-9a44-0c1d2e3f4a5b\n    actions: [a]\n    proof_keys:\n      - {object: 22222222-3333-4444-8555-666666666666, key: a}\n", "k.yaml:9: a proof key" },
		{ "version: 1\nhooks: []\n", "unknown key 'hooks'" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: github\n    app_id: 1024\n    actions: [a]\n", "k.yaml:3: 'x': a GitHub App needs app_id, app_key_file and installation_id together" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: github\n    app_id: abc\n    actions: [a]\n", "k.yaml:5: 'x': app_id is a number" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: github\n    app_id: 1\n    app_key_file: /k.pem\n    installation_id: 2\n    token: ${env:T}\n    actions: [a]\n", "k.yaml:8: 'x': token or a GitHub App (app_id), not both" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: github\n    app_key_file: \"-----BEGIN RSA PRIVATE KEY-----\"\n    actions: [a]\n", "k.yaml:5: 'x': app_key_file is the path of the App's private key (PEM), not the key itself" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: vault\n    address: https://v:8200\n    app_id: 1\n    actions: [a]\n", "k.yaml:6: 'x': app_id is for connectors of type github" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: gcp\n    key_file: ${file:/k}\n    actions: [a]\n", "k.yaml:5: 'x': key_file is the path of a service-account key file (JSON), or ${env:NAME}" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: gcp\n    iam_url: http://iam.example.com\n    actions: [a]\n", "k.yaml:5: 'x': iam_url is plain http to an address not loopback" },
		{ "version: 1\nconnectors:\n  - name: x\n    type: github\n    key_file: /k.json\n    actions: [a]\n", "k.yaml:5: 'x': key_file is for connectors of type gcp" },
	};
	struct nhir_connectors *c;
	struct nhir_err err = NHIR_ERR_INIT;

	(void)state;
	assert_int_equal(nhir_connectors_load("examples/connectors/simulated.yaml",
					      &c, &err), 0);
	nhir_connectors_free(c);
	assert_int_equal(nhir_connectors_load("examples/connectors/aws.yaml",
					      &c, &err), 0);
	assert_true(nhir_connector_for(c, "aws.deactivate-access-key", false) &&
		    !strcmp(nhir_connector_for(c, "aws.deactivate-access-key",
					       false), "aws"));
	assert_string_equal(nhir_connector_for(c, "generic.notify-owner",
					       false), "simulated");
	assert_string_equal(nhir_connector_for(c, "aws-access-key", true),
			    "aws-probe");
	nhir_connectors_free(c);
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(bad); i++) {
		assert_int_equal(nhir_connectors_parse(bad[i].text, strlen(bad[i].text),
						       "k.yaml", &c, &err), NHIR_EPARSE);
		if (!strstr(err.msg, bad[i].msg))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, bad[i].msg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_catalog),
		cmocka_unit_test(test_bad_catalogs),
		cmocka_unit_test(test_connectors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
