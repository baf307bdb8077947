/*
 * The reader of IAM's XML answers (src/plan/iamxml.c): answers and
 * errors as IAM writes them, and bad input refused at its byte offset.
 */
#include "lib/testlib.h"
#include "plan/iamxml.h"

static void test_answers(void **state)
{
	static const char ok[] =
		"<?xml version=\"1.0\"?>\n"
		"<ListAccessKeysResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\n"
		" <ListAccessKeysResult><AccessKeyMetadata>\n"
		"  <member><AccessKeyId>AKIA1</AccessKeyId><Status>Active</Status></member>\n"
		"  <member><AccessKeyId>AKIA2</AccessKeyId><Status>Inactive</Status></member>\n"
		" </AccessKeyMetadata><IsTruncated>false</IsTruncated></ListAccessKeysResult>\n"
		" <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>\n"
		"</ListAccessKeysResponse>\n";
	static const char bad[] =
		"<ErrorResponse><Error><Type>Sender</Type>"
		"<Code>SignatureDoesNotMatch</Code><Message>a &amp; b &#x41;&#66; "
		"<![CDATA[<c>]]></Message></Error><RequestId>r-2</RequestId>"
		"</ErrorResponse>";
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_xml *x;
	const struct nhir_xml *m;

	(void)state;
	assert_int_equal(nhir_xml_parse(ok, strlen(ok), "answer", &x, &err), 0);
	m = nhir_xml_at(x, "ListAccessKeysResult/AccessKeyMetadata");
	assert_non_null(m);
	assert_string_equal(nhir_xml_text(m->child, "AccessKeyId"), "AKIA1");
	assert_string_equal(nhir_xml_text(m->child->next, "Status"), "Inactive");
	assert_string_equal(nhir_xml_text(x, "ResponseMetadata/RequestId"), "r-1");
	assert_null(nhir_xml_text(x, "Error/Code"));
	nhir_xml_free(x);
	assert_int_equal(nhir_xml_parse(bad, strlen(bad), "answer", &x, &err), 0);
	assert_string_equal(nhir_xml_text(x, "Error/Code"), "SignatureDoesNotMatch");
	assert_string_equal(nhir_xml_text(x, "Error/Message"), "a & b AB <c>");
	nhir_xml_free(x);
}

static void test_bad(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "", "answer: byte 0: empty" },
		{ "Throttled", "answer: byte 0: not XML" },
		{ "<a><b></a>", "answer: byte 8: the end tag does not close <b> (byte 3)" },
		{ "<a>", "answer: byte 3: the document ends inside an element" },
		{ "<!DOCTYPE a><a/>", "byte 0: a document type declaration (refused)" },
		{ "<a>&x;</a>", "byte 3: an '&' that is not one of the five" },
		{ "<a>&#0;</a>", "byte 3: a bad character reference" },
		{ "<a/><b/>", "byte 4: more after the document's element" },
		{ "<a x=1/>", "byte 5: an attribute value not in quotes" },
		{ "<a>\x01</a>", "byte 3: a control character" },
	};
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_xml *x;
	char deep[400] = "";

	(void)state;
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(cases); i++) {
		assert_int_equal(nhir_xml_parse(cases[i].text,
						strlen(cases[i].text), "answer",
						&x, &err), NHIR_EPARSE);
		assert_null(x);
		if (!strstr(err.msg, cases[i].msg))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg,
				 cases[i].msg);
	}
	for (int i = 0; i < 40; i++)
		strcat(deep, "<a>");
	assert_int_equal(nhir_xml_parse(deep, strlen(deep), "answer", &x, &err),
			 NHIR_EPARSE);
	assert_non_null(strstr(err.msg, "nested too deep"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
