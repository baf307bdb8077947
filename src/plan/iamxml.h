/*
 * The XML of AWS's Query APIs (IAM, STS): an answer such as
 * <ListAccessKeysResponse><ListAccessKeysResult>...</...> or an error
 * <ErrorResponse><Error><Code>...</Code></Error></ErrorResponse>, read
 * into a tree of elements.  A small, strict subset of XML 1.0: elements,
 * attributes (read past), character data with the five named entities
 * and character references, CDATA, comments and processing
 * instructions.  A document type declaration is refused (no entity
 * expansion), and so are depth, size and element counts past fixed
 * limits.  Bad input is an error naming its byte offset.
 */
#ifndef NHIR_PLAN_IAMXML_H
#define NHIR_PLAN_IAMXML_H

#include <stddef.h>
#include "nhir/error.h"

#define NHIR_XML_MAX_BYTES ((size_t)1 << 20)
#define NHIR_XML_MAX_DEPTH 32
#define NHIR_XML_MAX_ELEMENTS 20000

struct nhir_xml {
	char *name;		/* as written, prefix and all */
	char *text;		/* its own character data, trimmed; "" if none */
	struct nhir_xml *child, *next;
};

/* Parses data (what names it in errors: "IAM's answer to ListAccessKeys"). */
enum nhir_rc nhir_xml_parse(const char *data, size_t len, const char *what,
			    struct nhir_xml **out, struct nhir_err *err);
void nhir_xml_free(struct nhir_xml *x);

/* The first child of x named name (its local name: any prefix ignored). */
const struct nhir_xml *nhir_xml_child(const struct nhir_xml *x,
				      const char *name);
/* The element at path under x ("Error/Code"), or NULL. */
const struct nhir_xml *nhir_xml_at(const struct nhir_xml *x, const char *path);
/* Its text, or NULL when there is no such element. */
const char *nhir_xml_text(const struct nhir_xml *x, const char *path);

#endif
