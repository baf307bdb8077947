/*
 * The XML of IAM's and STS's answers (src/plan/iamxml.c): any input is
 * a tree within the limits, or an error naming its byte offset.
 */
#include "fuzz-common.h"
#include "plan/iamxml.h"

static size_t walk(const struct nhir_xml *x, int depth)
{
	size_t n = 0;

	for (; x; x = x->next) {
		if (depth >= NHIR_XML_MAX_DEPTH || !x->name || !*x->name ||
		    !x->text)
			abort();
		n += 1 + walk(x->child, depth + 1);
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_xml *x = NULL;
	enum nhir_rc rc;

	rc = nhir_xml_parse((const char *)data, size, "fuzz", &x, &err);
	if (rc == NHIR_OK) {
		if (!x || x->next || walk(x, 0) > NHIR_XML_MAX_ELEMENTS)
			abort();
		(void)nhir_xml_text(x, "Error/Code");
		(void)nhir_xml_at(x, "ListAccessKeysResult/AccessKeyMetadata");
	} else if (x || (rc != NHIR_EPARSE && rc != NHIR_ENOMEM &&
			 rc != NHIR_ETOOBIG) || strncmp(err.msg, "fuzz: ", 6)) {
		abort();
	}
	nhir_xml_free(x);
	return 0;
}
