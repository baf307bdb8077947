/*
 * Kubeconfig files as the kubernetes connector reads them
 * (src/plan/k8s.c): a context's server, CA and bearer token, or an
 * error that names the file (and a line, for what the YAML says), never
 * a server that is not an http(s) URL nor a context without a token.
 */
#include <stdio.h>
#include "fuzz-common.h"
#include "plan/k8s.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const contexts[] = { NULL, "incident-response" };

	for (size_t i = 0; i < 2; i++) {
		struct nhir_err err = NHIR_ERR_INIT;
		struct nhir_kubeconfig k;
		enum nhir_rc rc;

		rc = nhir_kubeconfig_parse((const char *)data, size,
					   "dir/kubeconfig", contexts[i], &k,
					   &err);
		if (rc) {
			if ((rc != NHIR_EPARSE && rc != NHIR_ENOMEM) ||
			    (rc == NHIR_EPARSE &&
			     strncmp(err.msg, "dir/kubeconfig:", 15)))
				abort();
			continue;
		}
		if (!k.server || (strncmp(k.server, "https://", 8) &&
				  strncmp(k.server, "http://", 7)) ||
		    (!k.token.len && !k.token_file) || !k.context ||
		    (k.ca_file && strncmp(k.ca_file, "dir/", 4) &&
		     k.ca_file[0] != '/'))
			abort();
		nhir_kubeconfig_release(&k);
	}
	return 0;
}
