/*
 * What the kubernetes connector takes of a kubeconfig (src/plan/k8s.c):
 * the context's server, CA (inline or a file beside the kubeconfig) and
 * bearer token (inline or a file); what it refuses, with the file and
 * line named.
 */
#include "lib/testlib.h"
#include "plan/k8s.h"

#define CA_B64 "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUIKLS0tLS1FTkQg" \
	       "Q0VSVElGSUNBVEUtLS0tLQo="

static const char good[] =
	"apiVersion: v1\n"
	"kind: Config\n"
	"current-context: responder\n"
	"clusters:\n"
	"- name: prod\n"
	"  cluster:\n"
	"    server: https://127.0.0.1:6443//\n"
	"    certificate-authority-data: " CA_B64 "\n"
	"- name: by-file\n"
	"  cluster: {server: 'https://kube.example.com', certificate-authority: ca/ca.crt}\n"
	"contexts:\n"
	"- name: responder\n"
	"  context: {cluster: prod, user: responder}\n"
	"- name: viewer\n"
	"  context: {cluster: by-file, user: viewer}\n"
	"users:\n"
	"- name: responder\n"
	"  user: {token: abc.def.ghi}\n"
	"- name: viewer\n"
	"  user: {tokenFile: /run/token}\n";

static void test_contexts(void **state)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_kubeconfig k;

	(void)state;
	assert_int_equal(nhir_kubeconfig_parse(good, strlen(good), "/etc/kube/config",
					       NULL, &k, &err), 0);
	assert_string_equal(k.context, "responder");
	assert_string_equal(k.server, "https://127.0.0.1:6443");
	assert_null(k.ca_file);
	assert_true(k.ca_pem.len > 27);
	assert_memory_equal(k.ca_pem.buf, "-----BEGIN CERTIFICATE-----", 27);
	assert_string_equal(k.token.buf, "abc.def.ghi");
	assert_null(k.token_file);
	nhir_kubeconfig_release(&k);

	assert_int_equal(nhir_kubeconfig_parse(good, strlen(good), "/etc/kube/config",
					       "viewer", &k, &err), 0);
	assert_string_equal(k.server, "https://kube.example.com");
	assert_string_equal(k.ca_file, "/etc/kube/ca/ca.crt");
	assert_int_equal(k.ca_pem.len, 0);
	assert_int_equal(k.token.len, 0);
	assert_string_equal(k.token_file, "/run/token");
	nhir_kubeconfig_release(&k);
}

static void refused(const char *text, const char *context, const char *want)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_kubeconfig k;

	assert_int_equal(nhir_kubeconfig_parse(text, strlen(text), "kc", context,
					       &k, &err), NHIR_EPARSE);
	if (!strstr(err.msg, want))
		fail_msg("'%s' does not say '%s'", err.msg, want);
}

#define HEAD "current-context: c\n" \
	     "contexts:\n" \
	     "- {name: c, context: {cluster: k, user: u}}\n" \
	     "clusters:\n"

static void test_refused(void **state)
{
	(void)state;
	refused(good, "nowhere", "kc:1: context 'nowhere' is not among the "
		"file's contexts");
	refused("kind: Config\n", NULL, "kc:1: no current-context");
	refused("- a\n", NULL, "kc:1: a kubeconfig is a mapping");
	refused("current-context: [\n", NULL, "kc:2:");
	refused(HEAD "- {name: k, cluster: {server: 'https://h'}}\n"
		"users:\n- {name: u, user: {client-certificate-data: AA, "
		"client-key-data: AA}}\n", NULL, "kc:7: user 'u' signs in with "
		"a client certificate");
	refused(HEAD "- {name: k, cluster: {server: 'https://h'}}\n"
		"users:\n- {name: u, user: {exec: {command: aws}}}\n", NULL,
		"kc:7: user 'u' signs in with an exec plugin");
	refused(HEAD "- {name: k, cluster: {server: 'https://h'}}\n"
		"users:\n- {name: u, user: {}}\n", NULL,
		"kc:7: user 'u' has no token or tokenFile");
	refused(HEAD "- {name: k, cluster: {server: 'https://h', "
		"insecure-skip-tls-verify: true}}\n", NULL,
		"kc:5: cluster 'k': insecure-skip-tls-verify");
	refused(HEAD "- {name: k, cluster: {server: 'http://kube.example.com'}}\n",
		NULL, "kc:5: cluster 'k': server: plain http only to a loopback");
	/* a name that only begins like the loopback is not it */
	refused(HEAD "- {name: k, cluster: {server: 'http://127.evil.example'}}\n",
		NULL, "kc:5: cluster 'k': server: plain http only to a loopback");
	refused(HEAD "- {name: k, cluster: {server: 'http://localhost.evil.example:80'}}\n",
		NULL, "kc:5: cluster 'k': server: plain http only to a loopback");
	refused(HEAD "- {name: k, cluster: {server: 'ftp://h'}}\n", NULL,
		"kc:5: cluster 'k': server is an http(s) URL");
	refused(HEAD "- {name: k, cluster: {server: 'https://u@h'}}\n", NULL,
		"server has no query, fragment or user");
	refused(HEAD "- {name: k, cluster: {server: 'https://h', "
		"certificate-authority-data: 'QUJD%'}}\n", NULL,
		"certificate-authority-data: byte 4: not base64");
	refused(HEAD "- {name: k, cluster: {server: 'https://h', "
		"certificate-authority-data: 'QUJD'}}\n", NULL,
		"certificate-authority-data is not PEM certificates");
	refused(HEAD "- {name: k, cluster: {server: 'https://h', "
		"proxy-url: 'http://p'}}\n", NULL,
		"cluster 'k': proxy-url is not supported");
	refused(HEAD "- {name: other, cluster: {server: 'https://h'}}\n", NULL,
		"kc:3: cluster 'k' is not among the file's clusters");
	refused(HEAD "- {name: k, cluster: {server: 'https://h'}}\n"
		"users:\n- {name: u, user: {token: \"a\\nb\"}}\n", NULL,
		"kc:7: user 'u': token is one line of text");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_contexts),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
