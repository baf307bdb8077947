#include "compat.h"
#include "ingest/ingest-internal.h"
static void none(struct nhir_import *imp, const char *d, size_t l) { (void)imp; (void)d; (void)l; }
const struct nhir_importer nhir_importer_aws_authz = { "aws-authz", "x", none };
const struct nhir_importer nhir_importer_aws_credreport = { "aws-credential-report", "x", none };
const struct nhir_importer nhir_importer_k8s_rbac = { "k8s-rbac", "x", none };
