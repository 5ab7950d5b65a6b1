/*-------------------------------------------------------------------------
 * unit_mercury.c
 *		C-level checks of what the SOAP side of src/mercury.c promises:
 *		the escape helper, the request writer at extreme timestamps, the
 *		prolog check, and libxml2's parser as mercury.c sets it up, on
 *		its own (with a DTD that the prolog check would have refused).
 *
 * src/mercury.c is included, so its static functions can be called.
 * Prints "ok - ..." or "FAIL - ..." per check; exits 1 if any failed.
 *-------------------------------------------------------------------------
 */
#include "../../src/mercury.c"

/* the operation these checks are about */
#define UNIT_OP vetis_find_op("unit_changes")

#include <iconv.h>
#include <libxml/xmlreader.h>
#include <time.h>
#include <unistd.h>

#include "pg_shim.h"

static int	failures = 0;

static void
report(bool ok, const char *what)
{
	printf("%s - unit_mercury: %s\n", ok ? "ok" : "FAIL", what);
	if (!ok)
		failures++;
}

/* Run fn(arg) with ERROR caught; false if it raised one. */
static bool
no_error(void (*fn) (void *), void *arg)
{
	sigjmp_buf	jb;
	volatile bool ok = true;

	if (sigsetjmp(jb, 0) == 0)
	{
		PG_exception_stack = &jb;
		fn(arg);
	}
	else
		ok = false;
	PG_exception_stack = NULL;
	error_context_stack = NULL;
	return ok;
}

/* Text content of the only element of a document, or NULL if not well-formed. */
static char *
roundtrip(const char *doc)
{
	xmlDocPtr	d = xmlReadMemory(doc, strlen(doc), NULL, "UTF-8", XML_PARSE_NONET);
	xmlChar    *content;
	char	   *res;

	if (d == NULL || xmlDocGetRootElement(d) == NULL)
	{
		if (d)
			xmlFreeDoc(d);
		return NULL;
	}
	content = xmlNodeGetContent(xmlDocGetRootElement(d));
	res = pstrdup((const char *) content);
	xmlFree(content);
	xmlFreeDoc(d);
	return res;
}

static void
test_escape(void)
{
	static const char *const inputs[] = {
		"plain",
		"<b>&amp;</b>",
		"\"quoted\" 'single'",
		"]]><x/><!-- --><?pi?>",
		"</bs:beginDate><bs:endDate>2999-01-01T00:00:00Z</bs:endDate>",
		"&#60;&lt;",
		""
	};
	int			i;
	bool		exact;
	StringInfoData buf;

	initStringInfo(&buf);
	mercury_append_escaped(&buf, "<a href=\"x\">&'</a>");
	exact = strcmp(buf.data,
				   "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;") == 0;
	report(exact, "escape helper replaces < > & \" '");

	for (i = 0; i < (int) lengthof(inputs); i++)
	{
		char	   *back;
		char		what[200];

		resetStringInfo(&buf);
		mercury_append_element(&buf, "", "v", inputs[i]);
		back = roundtrip(buf.data);
		snprintf(what, sizeof(what),
				 "value %d comes back unchanged as the text of one element", i + 1);
		report(back != NULL && strcmp(back, inputs[i]) == 0 &&
			   strncmp(buf.data, "<v>", 3) == 0 &&
			   strchr(buf.data + 3, '<') == buf.data + buf.len - 4,
			   what);
	}
}

/* vetis_build_request for one interval. */
typedef struct BuildArg
{
	TimestampTz begin;
	bool		has_end;
	TimestampTz end;
	HttpRequest req;
} BuildArg;

static void
build(void *arg)
{
	BuildArg   *a = (BuildArg *) arg;
	PagedOptions opts;
	ResourceCtx ctx;
	MercuryStream ms;
	VetisScan	vs;
	ResourceStream stream;
	PageCursor	cursor;

	memset(&opts, 0, sizeof(opts));
	opts.url = "https://mercury.example/";
	opts.user = "u";
	opts.password = "p";
	memset(&ctx, 0, sizeof(ctx));
	ctx.opts = &opts;
	memset(&vs, 0, sizeof(vs));
	vs.op = UNIT_OP;
	vs.url = "https://mercury.example/DictionaryService";
	ctx.state = &vs;
	memset(&ms, 0, sizeof(ms));
	ms.op = UNIT_OP;
	ms.begin = a->begin;
	ms.has_end = a->has_end;
	ms.end = a->end;
	stream.label = "test";
	stream.arg = &ms;
	memset(&cursor, 0, sizeof(cursor));
	cursor.count = 1000;
	cursor.offset = INT64CONST(9223372036854775807);
	memset(&a->req, 0, sizeof(a->req));
	vetis_build_request(&ctx, &stream, &cursor, &a->req);
}

/* The text of every element without children, "name=value;..." */
static char *
leaf_values(const char *body)
{
	xmlTextReaderPtr r = xmlReaderForMemory(body, strlen(body), NULL, "UTF-8",
											XML_PARSE_NONET);
	StringInfoData buf;
	char	   *name = NULL;
	int			ret;
	bool		ok = true;

	initStringInfo(&buf);
	while ((ret = xmlTextReaderRead(r)) == 1)
	{
		int			type = xmlTextReaderNodeType(r);

		if (type == XML_READER_TYPE_ELEMENT)
			name = pstrdup((const char *) xmlTextReaderConstName(r));
		else if (type == XML_READER_TYPE_TEXT && name != NULL)
			appendStringInfo(&buf, "%s=%s;", name,
							 (const char *) xmlTextReaderConstValue(r));
		else if (type != XML_READER_TYPE_END_ELEMENT &&
				 type != XML_READER_TYPE_SIGNIFICANT_WHITESPACE &&
				 type != XML_READER_TYPE_WHITESPACE)
			ok = false;			/* no comments, PIs, CDATA, entities */
	}
	xmlFreeTextReader(r);
	return (ret == 0 && ok) ? buf.data : NULL;
}

static TimestampTz
ts(int y, int m, int d, int hh, int mi, int ss, int usec)
{
	return ((TimestampTz) (date2j(y, m, d) - POSTGRES_EPOCH_JDATE) * SECS_PER_DAY +
			hh * 3600 + mi * 60 + ss) * USECS_PER_SEC + usec;
}

static void
test_request(void)
{
	static const struct
	{
		int			y1, m1, d1, us1;
		bool		has_end;
		int			y2, m2, d2, us2;
		const char *expect;
	}			cases[] = {
		{1, 1, 1, 0, true, 9999, 12, 31, 999999,
		"bs:count=1000;bs:offset=9223372036854775807;bs:beginDate=0001-01-01T00:00:00Z;bs:endDate=9999-12-31T00:00:00.999999Z;"},
		{2024, 2, 29, 1, false, 0, 0, 0, 0,
		"bs:count=1000;bs:offset=9223372036854775807;bs:beginDate=2024-02-29T00:00:00.000001Z;"},
		{294276, 12, 31, 999999, false, 0, 0, 0, 0,
		"bs:count=1000;bs:offset=9223372036854775807;bs:beginDate=294276-12-31T00:00:00.999999Z;"},
	};
	int			i;

	for (i = 0; i < (int) lengthof(cases); i++)
	{
		BuildArg	a;
		char	   *values;
		char		what[200];

		a.begin = ts(cases[i].y1, cases[i].m1, cases[i].d1, 0, 0, 0, cases[i].us1);
		a.has_end = cases[i].has_end;
		a.end = cases[i].has_end ?
			ts(cases[i].y2, cases[i].m2, cases[i].d2, 0, 0, 0, cases[i].us2) : 0;
		snprintf(what, sizeof(what),
				 "request %d is well-formed and holds only the formatted values", i + 1);
		if (!no_error(build, &a))
		{
			report(false, what);
			continue;
		}
		values = leaf_values(a.req.body);
		report(values != NULL && strcmp(values, cases[i].expect) == 0 &&
			   strlen(a.req.body) == a.req.body_len, what);
		if (values != NULL && strcmp(values, cases[i].expect) != 0)
			printf("# got:    %s\n# wanted: %s\n", values, cases[i].expect);
	}

	/* an infinite timestamp cannot be formatted: an ERROR, no request */
	{
		BuildArg	a;

		a.begin = DT_NOEND;
		a.has_end = false;
		report(!no_error(build, &a), "an infinite timestamp is refused, not written");
	}
}

static void
test_prolog(void)
{
	static const struct
	{
		const char *body;
		bool		accepted;
	}			cases[] = {
		{"<soap:Envelope/>", true},
		{"\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!-- c --><?pi x?><e/>", true},
		{"<!DOCTYPE e><e/>", false},
		{"  <?xml version=\"1.0\"?><!-- <e/> --><!DOCTYPE e [<!ENTITY x \"y\">]><e/>", false},
		{"<?xml version=\"1.0\"?><!doctype e><e/>", false},
		{"<!-- unterminated", true},
		{"\xFF\xFE<\0e\0/\0>\0", false},
		{"\xFE\xFF\0<\0e\0/\0>", false},
		{"<\0e\0/\0>\0", false},
	};
	int			i;

	for (i = 0; i < (int) lengthof(cases); i++)
	{
		MercuryParse p;
		char		what[100];
		size_t		len = strlen(cases[i].body);

		/* the UTF-16 cases hold NULs: give their real length */
		if (i >= 6)
			len = i == 8 ? 8 : 10;
		mercury_parse_init(&p, UNIT_OP, false);
		snprintf(what, sizeof(what), "prolog case %d is %s", i + 1,
				 cases[i].accepted ? "accepted" : "refused");
		report(mercury_check_prolog(cases[i].body, len, &p) == cases[i].accepted,
			   what);
	}
}

/*
 * The parser mercury_parse_xml uses, on documents with a DTD (which
 * mercury_check_prolog refuses before libxml2 sees them), and with its
 * DOCTYPE and entity-reference callbacks (which refuse them too) taken out
 * of this parser's copy of the handler: what is left, libxml2's options
 * and the callbacks we do not set, must neither load nor expand an entity.
 * "dtd" is followed by a SOAP answer whose unit name is "&name;".
 */
static void
read_all(const char *dtd, const char *name, size_t *text_bytes, bool *failed,
		 bool *saw_canary)
{
	PgXmlErrorContext *cxt = pg_xml_init(PG_XML_STRICTNESS_ALL);
	MercuryParse p;
	StringInfoData doc;

	initStringInfo(&doc);
	appendStringInfo(&doc, "%s<s:Envelope xmlns:s=\"" SOAP_ENV_NS "\"><s:Body>"
					 "<r:getUnitChangesListResponse xmlns:r=\"urn:r\"><r:unitList>"
					 "<r:unit><r:name>&%s;</r:name></r:unit></r:unitList>"
					 "</r:getUnitChangesListResponse></s:Body></s:Envelope>",
					 dtd, name);
	mercury_parse_init(&p, UNIT_OP, false);
	p.size = 64 * 1024 * 1024;
	p.buf = palloc(p.size);
	p.ctxt = mercury_parser_open(&p);
	p.ctxt->sax->internalSubset = NULL;
	p.ctxt->sax->reference = NULL;
	xmlParseChunk(p.ctxt, doc.data, doc.len, 1);
	*failed = p.failed || !p.ctxt->wellFormed;
	*text_bytes = p.used;
	*saw_canary = memmem(p.buf, p.used, "UNIT-CANARY", 11) != NULL;
	if (p.ctxt->myDoc != NULL)
		xmlFreeDoc(p.ctxt->myDoc);
	xmlFreeParserCtxt(p.ctxt);
	pg_xml_done(cxt, false);
}

/*
 * The answer is read as UTF-8 whatever its first bytes say: a well-formed
 * answer in EBCDIC (which libxml2 would otherwise detect from "<?xm" and
 * decode, hiding a DOCTYPE from the byte-wise prolog check) is refused.
 */
static void
test_encoding(void)
{
	const char *doc =
		"<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"" SOAP_ENV_NS "\"><s:Body>"
		"<r:getUnitChangesListResponse xmlns:r=\"urn:r\"><r:unitList>"
		"<r:unit><r:name>n</r:name></r:unit></r:unitList>"
		"</r:getUnitChangesListResponse></s:Body></s:Envelope>";
	char		ebcdic[1024];
	char	   *in = (char *) doc;
	char	   *out = ebcdic;
	size_t		inleft = strlen(doc);
	size_t		outleft = sizeof(ebcdic);
	iconv_t		cd = iconv_open("IBM037", "UTF-8");
	MercuryParse p;

	mercury_parse_init(&p, UNIT_OP, false);
	report(mercury_parse_xml(doc, strlen(doc), &p) && p.nunits == 1,
		   "encoding: the answer parses in UTF-8");
	if (cd == (iconv_t) -1 || iconv(cd, &in, &inleft, &out, &outleft) == (size_t) -1)
	{
		report(false, "encoding: iconv to IBM037");
		return;
	}
	iconv_close(cd);
	mercury_parse_init(&p, UNIT_OP, false);
	report(!mercury_parse_xml(ebcdic, out - ebcdic, &p) && p.nunits == 0,
		   "encoding: the same answer in EBCDIC is refused, not decoded");
}

/*
 * The fast scanner (src/xmlscan.c): which answers it reads itself, and
 * that every answer comes out as libxml2 reads it.  This program is built
 * with MERCURY_CROSSCHECK, so each answer the scanner accepts is read
 * again by libxml2 and any difference aborts.
 */
#define ENV_OPEN "<s:Envelope xmlns:s=\"" SOAP_ENV_NS "\"><s:Body>" \
	"<ws:getUnitChangesListResponse xmlns:ws=\"urn:ws\" xmlns:bs=\"urn:bs\">" \
	"<ws:unitList count=\"1\" total=\"1\" offset=\"0\"><ws:unit>"
#define ENV_CLOSE "</ws:unit></ws:unitList></ws:getUnitChangesListResponse></s:Body></s:Envelope>"
/* a list's answer around items: the format takes count and total */
#define LIST_OPEN_FMT "<s:Envelope xmlns:s=\"" SOAP_ENV_NS "\"><s:Body>" \
	"<ws:getUnitChangesListResponse xmlns:ws=\"urn:ws\" xmlns:bs=\"urn:bs\">" \
	"<ws:unitList count=\"%d\" total=\"%d\" offset=\"0\">"
#define LIST_CLOSE "</ws:unitList></ws:getUnitChangesListResponse></s:Body></s:Envelope>"

static void
test_scanner(void)
{
	static const struct
	{
		const char *what;
		const char *doc;
		bool		scanned;	/* read by the scanner, not libxml2 */
		bool		ok;			/* a valid answer */
		const char *name;		/* the unit's name text, if ok */
	}			cases[] = {
		{"a plain answer", ENV_OPEN "<bs:name>n</bs:name>" ENV_CLOSE, true, true, "n"},
		/* empty: one leaf call with no text (issue 14), an empty text as before */
		{"an empty field", ENV_OPEN "<bs:name></bs:name>" ENV_CLOSE, true, true, ""},
		{"an empty-element field", ENV_OPEN "<bs:guid>g</bs:guid><bs:name/>" ENV_CLOSE, true, true, ""},
		{"XML declaration and BOM", "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
			ENV_OPEN "<bs:name>n</bs:name>" ENV_CLOSE, true, true, "n"},
		{"entities and character references", ENV_OPEN "<bs:name>a&amp;b&lt;&gt;&quot;&apos;&#x41;&#66;&#x10000;&#233;</bs:name>" ENV_CLOSE,
			true, true, "a&b<>\"'AB\xF0\x90\x80\x80\xC3\xA9"},
		{"CDATA and comments", "<!-- c -->" ENV_OPEN "<!-- in --><bs:name>x<![CDATA[<y>&]]>z</bs:name>" ENV_CLOSE "<!-- after -->\n",
			true, true, "x<y>&z"},
		{"UTF-8 text", ENV_OPEN "<bs:name>\xD0\x95\xD0\xB4 \xE2\x82\xAC</bs:name>" ENV_CLOSE, true, true, "\xD0\x95\xD0\xB4 \xE2\x82\xAC"},
		{"another prefix for the same namespaces, and a default namespace",
			"<E:Envelope xmlns:E='" SOAP_ENV_NS "'><Body xmlns = '" SOAP_ENV_NS "'>"
			"<getUnitChangesListResponse xmlns=\"urn:x\"><unitList total='1'><q:unit xmlns:q=\"urn:q\">"
			"<name xmlns=\"\">m</name></q:unit></unitList></getUnitChangesListResponse></Body></E:Envelope>",
			true, true, "m"},
		{"xsi:nil and unknown elements", ENV_OPEN "<bs:name xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" i:nil=\"true\"/>"
			"<bs:other a=\"1\"><bs:deep><bs:deeper/>t</bs:deep></bs:other>" ENV_CLOSE, true, true, NULL},
		{"white space in tags", ENV_OPEN "<bs:name\n>n</bs:name\t>" ENV_CLOSE, true, true, "n"},
		{"a SOAP fault", "<s:Envelope xmlns:s=\"" SOAP_ENV_NS "\"><s:Body><s:Fault><faultcode>s:Client</faultcode>"
			"<faultstring>bad &amp; wrong</faultstring><detail><ws:incorrectRequestFault xmlns:ws=\"urn:ws\"/></detail>"
			"</s:Fault></s:Body></s:Envelope>", true, true, NULL},
		/* left to libxml2, which reads them */
		{"CR LF line ends", ENV_OPEN "<bs:name>a\r\nb</bs:name>" ENV_CLOSE, false, true, "a\nb"},
		{"a processing instruction", ENV_OPEN "<?pi x?><bs:name>n</bs:name>" ENV_CLOSE, false, true, "n"},
		{"a non-ASCII element name", ENV_OPEN "<bs:\xD0\xB8\xD0\xBC\xD1\x8F/><bs:name>n</bs:name>" ENV_CLOSE, false, true, "n"},
		{"an entity in an attribute", ENV_OPEN "<bs:other a=\"&amp;\"/><bs:name>n</bs:name>" ENV_CLOSE, false, true, "n"},
		{"another declared encoding", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>" ENV_OPEN "<bs:name>n</bs:name>" ENV_CLOSE,
			false, true, "n"},
		{"a relative namespace name", ENV_OPEN "<q:other xmlns:q=\"rel\"/><bs:name>n</bs:name>" ENV_CLOSE, false, true, "n"},
		{"a tab in an attribute", ENV_OPEN "<bs:other a=\"\t\"/><bs:name>n</bs:name>" ENV_CLOSE, false, true, "n"},
		/* wrong: left to libxml2, which refuses them */
		{"an undeclared prefix", ENV_OPEN "<zz:name>n</zz:name>" ENV_CLOSE, false, false, NULL},
		{"a mismatched end tag", ENV_OPEN "<bs:name>n</bs:nam>" ENV_CLOSE, false, false, NULL},
		{"]]> in text", ENV_OPEN "<bs:name>a]]>b</bs:name>" ENV_CLOSE, false, false, NULL},
		{"an attribute twice", ENV_OPEN "<bs:other a=\"1\" a=\"2\"/>" ENV_CLOSE, false, false, NULL},
		{"the same namespaced attribute twice", ENV_OPEN "<bs:other xmlns:a=\"urn:a\" xmlns:b=\"urn:a\" a:x=\"1\" b:x=\"2\"/>" ENV_CLOSE,
			false, false, NULL},
		{"a namespace declared twice", ENV_OPEN "<bs:other xmlns:p=\"urn:a\" xmlns:p=\"urn:a\"/>" ENV_CLOSE, false, false, NULL},
		{"the default namespace declared twice", ENV_OPEN "<bs:other xmlns=\"urn:a\" xmlns=\"urn:b\"/>" ENV_CLOSE, false, false, NULL},
		{"attributes not separated", ENV_OPEN "<bs:other a=\"1\"b=\"2\"/>" ENV_CLOSE, false, false, NULL},
		{"an undeclared entity", ENV_OPEN "<bs:name>&foo;</bs:name>" ENV_CLOSE, false, false, NULL},
		{"a character reference to NUL", ENV_OPEN "<bs:name>&#0;</bs:name>" ENV_CLOSE, false, false, NULL},
		{"a character reference to U+FFFE", ENV_OPEN "<bs:name>&#xFFFE;</bs:name>" ENV_CLOSE, false, false, NULL},
		{"two colons in a name", ENV_OPEN "<bs:na:me/>" ENV_CLOSE, false, false, NULL},
		{"-- in a comment", ENV_OPEN "<!-- a -- b -->" ENV_CLOSE, false, false, NULL},
		{"text after the root", ENV_OPEN ENV_CLOSE "x", false, false, NULL},
		{"a second root", ENV_OPEN ENV_CLOSE "<x/>", false, false, NULL},
		{"a namespace name that is not a URI", ENV_OPEN "<q:other xmlns:q=\"http://a b/\"/>" ENV_CLOSE, false, false, NULL},
		{"an empty prefixed namespace", ENV_OPEN "<bs:other xmlns:p=\"\"/>" ENV_CLOSE, false, false, NULL},
		{"a control character", ENV_OPEN "<bs:name>\x01</bs:name>" ENV_CLOSE, false, false, NULL},
		{"an overlong UTF-8 sequence", ENV_OPEN "<bs:name>\xC0\xAF</bs:name>" ENV_CLOSE, false, false, NULL},
		{"a UTF-8 surrogate", ENV_OPEN "<bs:name>\xED\xA0\x80</bs:name>" ENV_CLOSE, false, false, NULL},
		{"a truncated document", ENV_OPEN "<bs:name>n</bs:name>", false, false, NULL},
		{"a declaration not at the start", " <?xml version=\"1.0\"?>" ENV_OPEN ENV_CLOSE, false, false, NULL},
		{"version 1.1", "<?xml version=\"1.1\"?>" ENV_OPEN "<bs:name>n</bs:name>" ENV_CLOSE, false, true, "n"},
		/* names read 16 bytes at a time, end tags compared in words (issue 14) */
		{"names of 15, 16 and 17 bytes with '-', '.', '_' and digits",
			ENV_OPEN "<bs:a-b.c_d12345>x</bs:a-b.c_d12345><bs:a-b.c_d123456>x</bs:a-b.c_d123456>"
			"<bs:A-b.c_d1234567>x</bs:A-b.c_d1234567><bs:name>n</bs:name>" ENV_CLOSE, true, true, "n"},
		{"a name ending in a colon", ENV_OPEN "<bs:>x</bs:>" ENV_CLOSE, false, false, NULL},
		{"a digit after the colon", ENV_OPEN "<bs:1a>x</bs:1a>" ENV_CLOSE, false, false, NULL},
		{"a name starting with '-'", ENV_OPEN "<-a>x</-a>" ENV_CLOSE, false, false, NULL},
		{"an end tag one byte different, 8 bytes in", ENV_OPEN "<bs:createDate>x</bs:createDatf>" ENV_CLOSE, false, false, NULL},
		{"an end tag one byte different, first byte", ENV_OPEN "<bs:createDate>x</cs:createDate>" ENV_CLOSE, false, false, NULL},
		{"an end tag with a longer name", ENV_OPEN "<bs:createDate>x</bs:createDate2>" ENV_CLOSE, false, false, NULL},
		{"a prefix bound again inside an element, then back (cached element names)",
			"<s:Envelope xmlns:s=\"" SOAP_ENV_NS "\"><h:Header xmlns:h=\"urn:h\" xmlns:s=\"urn:other\"><s:Body/></h:Header><s:Body>"
			"<ws:getUnitChangesListResponse xmlns:ws=\"urn:ws\" xmlns:bs=\"urn:bs\">"
			"<ws:unitList count=\"1\" total=\"1\" offset=\"0\"><ws:unit><bs:name>n</bs:name>" ENV_CLOSE, true, true, "n"},
		/* text checked 16 bytes at a time (issue 14): two-byte sequences, and what stops them */
		{"Cyrillic text of more than 16 bytes, a character across each 16-byte step",
			ENV_OPEN "<bs:name>" "a\xD0\x95\xD0\xB4\xD0\xB8\xD0\xBD\xD0\xB8\xD1\x86\xD0\xB0\xD0\xB8\xD0\xB7\xD0\xBC\xD0\xB5\xD1\x80\xD0\xB5\xD0\xBD\xD0\xB8\xD1\x8F\xD0\x95\xD0\xB4\xD0\xB8\xD0\xBD\xD0\xB8\xD1\x86\xD0\xB0" "</bs:name>" ENV_CLOSE,
			true, true, "a\xD0\x95\xD0\xB4\xD0\xB8\xD0\xBD\xD0\xB8\xD1\x86\xD0\xB0\xD0\xB8\xD0\xB7\xD0\xBC\xD0\xB5\xD1\x80\xD0\xB5\xD0\xBD\xD0\xB8\xD1\x8F\xD0\x95\xD0\xB4\xD0\xB8\xD0\xBD\xD0\xB8\xD1\x86\xD0\xB0"},
		{"Cyrillic text with a tab, a line feed, three- and four-byte characters",
			ENV_OPEN "<bs:name>" "\xD0\x95\xD0\xB4\xD0\xB8\xD0\xBD\xD0\xB8\xD1\x86\xD0\xB0\t\xD0\xB8\xD0\xB7\xD0\xBC\xD0\xB5\xD1\x80\xD0\xB5\xD0\xBD\xD0\xB8\xD1\x8F\n\xE2\x82\xAC\xF0\x90\x80\x80 \xD0\x95\xD0\xB4\xD0\xB8\xD0\xBD\xD0\xB8\xD1\x86\xD0\xB0" "</bs:name>" ENV_CLOSE,
			true, true, "\xD0\x95\xD0\xB4\xD0\xB8\xD0\xBD\xD0\xB8\xD1\x86\xD0\xB0\t\xD0\xB8\xD0\xB7\xD0\xBC\xD0\xB5\xD1\x80\xD0\xB5\xD0\xBD\xD0\xB8\xD1\x8F\n\xE2\x82\xAC\xF0\x90\x80\x80 \xD0\x95\xD0\xB4\xD0\xB8\xD0\xBD\xD0\xB8\xD1\x86\xD0\xB0"},
		{"a lead byte before '<' after Cyrillic text",
			ENV_OPEN "<bs:name>" "\xD0\x95\xD0\xB4\xD0\xB8\xD0\xBD\xD0\xB8\xD1\x86\xD0\xB0\xD0" "</bs:name>" ENV_CLOSE,
			false, false, NULL},
		{"a lead byte 16th in Cyrillic text, before an ASCII byte",
			ENV_OPEN "<bs:name>" "a\xD0\x95\xD0\xB4\xD0\xB8\xD0\xBD\xD0\xB8\xD1\x86\xD0\xB0\xD0xxxxxxxxxxxxxxxx" "</bs:name>" ENV_CLOSE,
			false, false, NULL},
		{"an overlong two-byte sequence in Cyrillic text",
			ENV_OPEN "<bs:name>" "\xD0\x95\xD0\xB4\xD0\xB8\xD0\xBD\xD0\xB8\xD1\x86\xD0\xB0\xC1\xBF\xD0\xB8\xD0\xB7\xD0\xBC\xD0\xB5\xD1\x80\xD0\xB5\xD0\xBD\xD0\xB8\xD1\x8F" "</bs:name>" ENV_CLOSE,
			false, false, NULL},
		{"a continuation byte without a lead byte in Cyrillic text",
			ENV_OPEN "<bs:name>" "\xD0\x95\xD0\xB4\xD0\xB8\xD0\xBD\xD0\xB8\xD1\x86\xD0\xB0\x80\xD0\xB8\xD0\xB7\xD0\xBC\xD0\xB5\xD1\x80\xD0\xB5\xD0\xBD\xD0\xB8\xD1\x8F" "</bs:name>" ENV_CLOSE,
			false, false, NULL},
		{"a control character in Cyrillic text",
			ENV_OPEN "<bs:name>" "\xD0\x95\xD0\xB4\xD0\xB8\xD0\xBD\xD0\xB8\xD1\x86\xD0\xB0\x01\xD0\xB8\xD0\xB7\xD0\xBC\xD0\xB5\xD1\x80\xD0\xB5\xD0\xBD\xD0\xB8\xD1\x8F" "</bs:name>" ENV_CLOSE,
			false, false, NULL},
		{"a UTF-8 surrogate in Cyrillic text",
			ENV_OPEN "<bs:name>" "\xD0\x95\xD0\xB4\xD0\xB8\xD0\xBD\xD0\xB8\xD1\x86\xD0\xB0\xED\xA0\x80\xD0\xB8\xD0\xB7\xD0\xBC\xD0\xB5\xD1\x80\xD0\xB5\xD0\xBD\xD0\xB8\xD1\x8F" "</bs:name>" ENV_CLOSE,
			false, false, NULL},
	};
	int			i;

	for (i = 0; i < (int) lengthof(cases); i++)
	{
		MercuryParse p;
		bool		ok;
		char		what[200];
		const char *name = NULL;

		mercury_parse_init(&p, UNIT_OP, false);
		ok = mercury_parse_xml(cases[i].doc, strlen(cases[i].doc), &p);
		if (ok && p.nunits == 1 && p.units[0].val[MC_NAME] != NULL)
			name = pnstrdup(p.units[0].val[MC_NAME], p.units[0].len[MC_NAME]);
		snprintf(what, sizeof(what), "scanner: %s: %s, %s", cases[i].what,
				 cases[i].scanned ? "read by the scanner" : "read by libxml2",
				 cases[i].ok ? "accepted" : "refused");
		report(ok == cases[i].ok && p.scanned == cases[i].scanned &&
			   (cases[i].name == NULL ? name == NULL :
				name != NULL && strcmp(name, cases[i].name) == 0),
			   what);
		if (ok != cases[i].ok || p.scanned != cases[i].scanned)
			printf("#   ok=%d scanned=%d: %s\n", ok, p.scanned, p.errmsg);
	}
}

/*
 * The scanner on its own: leaf elements with plain text, whose end tag
 * the scanner compares with the start tag's name in one 16-byte step
 * (issue 14).  Every event is written down, so that the fast path and the
 * content loop can be compared on the same documents; documents are
 * copied to buffers of their exact size, so that AddressSanitizer sees
 * any read past the end.
 */
typedef struct LeafLog
{
	StringInfoData out;
	const char *doc;			/* the document scanned, doc[0..len) */
	size_t		len;
} LeafLog;

static bool
leaf_start(void *arg, const char *lname, const char *prefix, const char *uri,
		   int nattrs, const char **attrs)
{
	LeafLog    *l = arg;

	appendStringInfo(&l->out, "S(%s,%s,%s,%d)", lname, prefix ? prefix : "-",
					 uri ? uri : "-", nattrs);
	return true;
}

static bool
leaf_end(void *arg, const char *lname, const char *prefix, const char *uri)
{
	LeafLog    *l = arg;

	appendStringInfo(&l->out, "E(%s)", lname);
	return true;
}

static bool
leaf_text(void *arg, const char *s, size_t len)
{
	LeafLog    *l = arg;

	/* pieces of one text run together, whichever way it was read */
	appendStringInfoString(&l->out, "T");
	appendBinaryStringInfo(&l->out, s, len);
	appendStringInfoString(&l->out, ";");
	return true;
}

/*
 * The leaf callback (issue 14): logged as start, text and end would be,
 * after a marker byte that no document here holds (a control character,
 * which the scanner refuses in text and names), so that the log without
 * the markers must equal the three callbacks' and the markers count the
 * elements that took the leaf path.
 */
#define LEAF_MARK '\x01'

static bool
leaf_leaf(void *arg, const char *lname, const char *prefix, const char *uri,
		  const char *s, size_t len)
{
	LeafLog    *l = arg;

	/* a leaf's text is a piece of the document itself (xmlscan.h) */
	if (len > 0 && (s < l->doc || s > l->doc + l->len || len > (size_t) (l->doc + l->len - s)))
		appendStringInfoString(&l->out, "OUTSIDE");
	appendStringInfoChar(&l->out, LEAF_MARK);
	leaf_start(arg, lname, prefix, uri, 0, NULL);
	if (len > 0)
		leaf_text(arg, s, len);
	return leaf_end(arg, lname, prefix, uri);
}

static const char *const leaf_names[] = {"name", "N"};

/*
 * The leaf_named callback: logged as leaf_leaf does, and the name's index
 * checked: names[index] is the very pointer passed as the local name, or
 * -1 for a local name that is none of them (else "BADINDEX" is logged).
 */
static bool
leaf_named(void *arg, const XmlScanName *name, const char *s, size_t len)
{
	LeafLog    *l = arg;
	int			i;

	if (name->index >= 0 ? name->index >= (int) lengthof(leaf_names) ||
		leaf_names[name->index] != name->lname : false)
		appendStringInfoString(&l->out, "BADINDEX");
	for (i = 0; i < (int) lengthof(leaf_names) && name->index < 0; i++)
	{
		if (strcmp(leaf_names[i], name->lname) == 0)
			appendStringInfoString(&l->out, "BADINDEX");
	}
	return leaf_leaf(arg, name->lname, name->prefix, name->uri, s, len);
}

#ifdef XS_SSE2
/*
 * A copy of the scanner's leaf run with the callbacks above compiled in,
 * made as src/mercury.c makes its own (XmlScanHandler.leaf_run): it must
 * make the same calls as the generic run.
 */
static pg_attribute_always_inline bool
run_leaf(const XsScan *s, const XmlScanName *n, const char *text, size_t len)
{
	return leaf_named(s->arg, n, text, len);
}

static pg_attribute_always_inline bool
run_start(const XsScan *s, const XmlScanName *n)
{
	return leaf_start(s->arg, n->lname, n->prefix, n->uri, 0, xs_no_attrs);
}

static pg_attribute_always_inline bool
run_end(const XsScan *s, const XsOpen *o)
{
	return leaf_end(s->arg, o->lname, o->prefix, o->uri);
}

static pg_attribute_always_inline bool
run_text(const XsScan *s, const char *text, size_t len)
{
	return leaf_text(s->arg, text, len);
}

static const char *
leaf_run(XsScan *s, const char *p, unsigned int *guess)
{
	return xs_leaf_run_with(s, p, guess, run_leaf, run_start, run_end,
							run_text);
}
#endif

/*
 * One scan of leaf_scan_with: leaf is 0 (none), 1 (leaf), 2 (leaf_named)
 * or 3 (leaf_named and the copy of the leaf run above).
 */
static char *
leaf_scan_once(const char *doc, size_t len, int leaf, int *leaves)
{
	XmlScanHandler h = {leaf_start, leaf_end, leaf_text, leaf_names, 2};
	LeafLog		l;
	char	   *copy = malloc(len > 0 ? len : 1);
	bool		ok;
	int			i,
				j,
				n = 0;

	if (leaf == 1)
		h.leaf = leaf_leaf;
	else if (leaf >= 2)
		h.leaf_named = leaf_named;
#ifdef XS_SSE2
	if (leaf == 3)
		h.leaf_run = leaf_run;
#endif
	memcpy(copy, doc, len);
	initStringInfo(&l.out);
	l.doc = copy;
	l.len = len;
	ok = xmlscan_parse(copy, len, &h, &l);
	free(copy);
	if (!ok)
	{
		pfree(l.out.data);
		return NULL;
	}
	for (i = j = 0; i < l.out.len; i++)
	{
		if (l.out.data[i] == LEAF_MARK)
			n++;
		else
			l.out.data[j++] = l.out.data[i];
	}
	l.out.data[j] = '\0';
	if (leaves != NULL)
		*leaves = n;
	return l.out.data;
}

/*
 * Scan doc with start, text and end (with_leaf false) or with the leaf
 * callback too; the events, or NULL if the scanner gave up.  *leaves (if
 * not NULL) gets the number of leaf calls, and they are taken out of the
 * events.  With the leaf callback, the document is scanned with leaf_named
 * too, in the generic leaf run and in the copy above, which must each give
 * the same events and leaf calls (else the result says so, and matches no
 * expected events).
 */
static char *
leaf_scan_with(const char *doc, size_t len, bool with_leaf, int *leaves)
{
	char	   *got;
	int			n = 0,
				mode;

	if (!with_leaf)
		return leaf_scan_once(doc, len, 0, leaves);
	got = leaf_scan_once(doc, len, 1, &n);
	if (leaves != NULL)
		*leaves = n;
	for (mode = 2; mode <= 3; mode++)
	{
		int			nn = 0;
		char	   *named = leaf_scan_once(doc, len, mode, &nn);

		if (got == NULL && named == NULL)
			continue;
		if (got == NULL || named == NULL || n != nn || strcmp(got, named) != 0)
		{
			char	   *diff = psprintf("leaf and %s differ: %s (%d leaves) / %s (%d leaves)",
										mode == 2 ? "leaf_named" : "leaf_named with the copy of the run",
										got ? got : "(gave up)", n,
										named ? named : "(gave up)", nn);

			if (got != NULL)
				pfree(got);
			if (named != NULL)
				pfree(named);
			return diff;
		}
		pfree(named);
	}
	return got;
}

static char *
leaf_scan(const char *doc, size_t len)
{
	return leaf_scan_with(doc, len, false, NULL);
}

static void
test_leaf(void)
{
	int			qlen,
				tlen,
				pad,
				i;
	bool		all_ok = true,
				prefixes_ok = true,
				mutations_ok = true,
				leaf_cb_ok = true;
	int			leaves;
	StringInfoData doc,
				want;

	initStringInfo(&doc);
	initStringInfo(&want);

	/*
	 * Names of 1 to 34 bytes (15 is the longest the one-step compare
	 * takes, longer ones are compared in words, 16 and 32 are the
	 * steps of a name read 16 bytes at a time), text of 0 to 40 bytes, so
	 * that the text's end and the end tag fall on every place of a 16-byte
	 * step, inside a root and as the root itself, followed by 0 to 19
	 * bytes of white space: the end tag near the end of the document too.
	 * Each document is scanned with start, text and end, and with the
	 * leaf callback, which every one of these leaves must take, and which
	 * must give the same events.
	 */
	for (qlen = 1; qlen <= 34 && all_ok; qlen++)
	{
		char		qname[48];
		const char *local;

		if (qlen < 3)
			snprintf(qname, sizeof(qname), "%.*s", qlen, "NN");
		else
			snprintf(qname, sizeof(qname), "a:%.*s", qlen - 2,
					 "NNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNN");
		local = qlen < 3 ? qname : qname + 2;
		for (tlen = 0; tlen <= 40 && all_ok; tlen++)
		{
			for (pad = 0; pad < 20 && all_ok; pad++)
			{
				int			root;

				for (root = 0; root < 2; root++)
				{
					char	   *got;
					char		text[64];

					for (i = 0; i < tlen; i++)
						text[i] = "0123456789-:T+ abc"[i % 18];
					text[tlen] = '\0';
					resetStringInfo(&doc);
					resetStringInfo(&want);
					if (root == 0)
					{
						/*
						 * three times: the third start tag is the one the
						 * scanner guesses from the two before
						 */
						appendStringInfo(&doc, "<r xmlns:a=\"urn:a\">");
						for (i = 0; i < 3; i++)
							appendStringInfo(&doc, "<%s>%s</%s>", qname, text, qname);
						appendStringInfo(&doc, "</r>");
						appendStringInfo(&want, "S(r,-,-,0)");
					}
					else if (qlen < 3)
						appendStringInfo(&doc, "<%s>%s</%s>", qname, text, qname);
					else
					{
						/*
						 * a prefixed root declares its namespace in an
						 * attribute: the leaf path of the attribute-free
						 * start tag is not taken, only the content loop
						 */
						appendStringInfo(&doc, "<%s xmlns:a=\"urn:a\">%s</%s>",
										 qname, text, qname);
					}
					for (i = 0; i < (root == 0 ? 3 : 1); i++)
					{
						appendStringInfo(&want, "S(%s,%s,%s,0)", local,
										 qlen < 3 ? "-" : "a", qlen < 3 ? "-" : "urn:a");
						if (tlen > 0)
							appendStringInfo(&want, "T%s;", text);
						appendStringInfo(&want, "E(%s)", local);
					}
					if (root == 0)
						appendStringInfo(&want, "E(r)");
					appendStringInfo(&doc, "%*s", pad, "");

					got = leaf_scan(doc.data, doc.len);
					if (got == NULL || strcmp(got, want.data) != 0)
					{
						printf("#   %s\n#   got  %s\n#   want %s\n", doc.data,
							   got ? got : "(gave up)", want.data);
						all_ok = false;
						break;
					}
					pfree(got);

					/*
					 * the leaf callback: the three leaves, or the root
					 * without attributes
					 */
					got = leaf_scan_with(doc.data, doc.len, true, &leaves);
					if (got == NULL || strcmp(got, want.data) != 0 ||
						leaves != (root == 0 ? 3 : qlen < 3))
					{
						printf("#   %s\n#   leaf callback: %d leaves, got  %s\n#   want %s\n",
							   doc.data, got ? leaves : -1, got ? got : "(gave up)",
							   want.data);
						leaf_cb_ok = false;
					}
					if (got != NULL)
						pfree(got);

					/* every proper prefix is not a document */
					if (pad == 0)
					{
						for (i = 0; i < doc.len; i++)
						{
							got = leaf_scan(doc.data, i);
							if (got == NULL)
								got = leaf_scan_with(doc.data, i, true, NULL);
							if (got != NULL)
							{
								printf("#   accepted %d bytes of %s\n", i, doc.data);
								prefixes_ok = false;
								pfree(got);
							}
						}
					}

					/*
					 * any byte of the first leaf's end tag, or of the
					 * third leaf's start or end tag, changed: refused
					 */
					if (pad == 3 && root == 0)
					{
						char	   *tags[3];
						int			t,
									k;

						tags[0] = strstr(doc.data, "</");
						tags[1] = strstr(tags[0] + 1, "</");
						tags[1] = strchr(tags[1] + 1, '<');
						tags[2] = strstr(tags[1] + 1, "</");
						for (t = 0; t < 3; t++)
						{
							for (k = 0; k < qlen + 2 + (t != 1); k++)
							{
								char	   *b = tags[t] + k;
								char		save = *b;

								if (t == 1)
									*b = save == '>' ? ' ' : 'x';
								else
									*b = k == 0 ? 'x' : (k == 1 ? '<' : (save == '>' ? 'N' : 'x'));
								got = leaf_scan(doc.data, doc.len);
								if (got == NULL)
									got = leaf_scan_with(doc.data, doc.len, true, NULL);
								if (got != NULL)
								{
									printf("#   accepted %s\n", doc.data);
									mutations_ok = false;
									pfree(got);
								}
								*b = save;
							}
						}
					}
				}
			}
		}
	}
	report(all_ok, "scanner: leaf elements (three in a row, or the root) with names of 1-34 bytes, text of 0-40 bytes, 0-19 bytes after");
	report(leaf_cb_ok, "scanner: with the leaf callback, each of those leaves is one leaf call, and the events are the same");
	report(prefixes_ok, "scanner: every proper prefix of those documents is refused, with the leaf callback too");
	report(mutations_ok, "scanner: a leaf's end tag, or a guessed start tag, with any byte changed is refused, with the leaf callback too");

	/*
	 * What the one-step compare leaves to the content loop, and what must
	 * not take the leaf callback: each document scanned both ways, and the
	 * leaf calls counted (-1: the scanner's choice, not checked).
	 */
	{
#define LONG_A "Aaaaaaaaaaaaaaaaaaa1"	/* 20 bytes */
#define LONG_B "Bbbbbbbbbbbbbbbbbbb2"
		static const struct
		{
			const char *doc;
			const char *want;	/* NULL: refused */
			int			leaves;
		}			more[] = {
			{"<r><N>x</N ></r>", "S(r,-,-,0)S(N,-,-,0)Tx;E(N)E(r)", 0},
			{"<r><N>x&amp;y</N></r>", "S(r,-,-,0)S(N,-,-,0)Tx;T&;Ty;E(N)E(r)", 0},
			{"<r><N>\xD0\x95\xD0\xB4\xD0\xB8\xD0\xBD\xD0\xB8\xD1\x86\xD0\xB0 abcdefghijkl</N></r>",
			"S(r,-,-,0)S(N,-,-,0)T\xD0\x95\xD0\xB4\xD0\xB8\xD0\xBD\xD0\xB8\xD1\x86\xD0\xB0 abcdefghijkl;E(N)E(r)", -1},
			{"<r><N>x<M/>y</N></r>                ", "S(r,-,-,0)S(N,-,-,0)Tx;S(M,-,-,0)E(M)Ty;E(N)E(r)", 1},
			{"<r><N>x</NN></r>                    ", NULL, 0},
			{"<r><NN>x</N></r>                    ", NULL, 0},
			{"<r><N>x</r></N>                     ", NULL, 0},
			{"<r><N>x\x01</N></r>                 ", NULL, 0},
			{"<r><N>x]]></N></r>                  ", NULL, 0},
			{"<r><N>x]]y</N></r>                  ", "S(r,-,-,0)S(N,-,-,0)Tx]]y;E(N)E(r)", 0},
			/* the start tag after N guessed from the ones before: the guess fails */
			{"<r><N>1</N><M>2</M><N>1</N><M>2</M><N>1</N><MM>2</MM><N>1</N><M a='b'>2</M>"
				"<N>1</N><M/><N>1</N><M >2</M><N>1</N><M>2</M></r>                 ",
				"S(r,-,-,0)S(N,-,-,0)T1;E(N)S(M,-,-,0)T2;E(M)S(N,-,-,0)T1;E(N)S(M,-,-,0)T2;E(M)"
				"S(N,-,-,0)T1;E(N)S(MM,-,-,0)T2;E(MM)S(N,-,-,0)T1;E(N)S(M,-,-,1)T2;E(M)"
				"S(N,-,-,0)T1;E(N)S(M,-,-,0)E(M)S(N,-,-,0)T1;E(N)S(M,-,-,0)T2;E(M)"
				"S(N,-,-,0)T1;E(N)S(M,-,-,0)T2;E(M)E(r)", 12},
			/* the same names under other bindings: the guess is not taken */
			{"<r xmlns:a='urn:1'><a:N>1</a:N><a:M>2</a:M><a:N>1</a:N><a:M>2</a:M>"
				"<s xmlns:a='urn:2'><a:N>1</a:N><a:M>2</a:M><a:N>1</a:N><a:M>2</a:M></s>"
				"<a:N>1</a:N><a:M>2</a:M><t xmlns='urn:3'><N>1</N><M>2</M><N>1</N></t></r>                  ",
				"S(r,-,-,0)S(N,a,urn:1,0)T1;E(N)S(M,a,urn:1,0)T2;E(M)S(N,a,urn:1,0)T1;E(N)S(M,a,urn:1,0)T2;E(M)"
				"S(s,-,-,0)S(N,a,urn:2,0)T1;E(N)S(M,a,urn:2,0)T2;E(M)S(N,a,urn:2,0)T1;E(N)S(M,a,urn:2,0)T2;E(M)E(s)"
				"S(N,a,urn:1,0)T1;E(N)S(M,a,urn:1,0)T2;E(M)S(t,-,urn:3,0)S(N,-,urn:3,0)T1;E(N)S(M,-,urn:3,0)T2;E(M)"
				"S(N,-,urn:3,0)T1;E(N)E(t)E(r)", 13},
			/* a guessed name at the end of its text: no '>' after it */
			{"<r><N>1</N><M>2</M><N>1</N><M>2</M><N>1</N><M", NULL, 0},
			{"<r><N>1</N><M>2</M><N>1</N><M>2</M><N>1</N><M>2</M></r", NULL, 0},
			/* one start tag followed by two or three others in turn (two are guessed) */
			{"<r><A>1</A><B>2</B><A>1</A><C>3</C><A>1</A><B>2</B><A>1</A><C>3</C><A>1</A><D/><A>1</A><B>2</B>"
				"<A>1</A><C>3</C></r>                  ",
				"S(r,-,-,0)S(A,-,-,0)T1;E(A)S(B,-,-,0)T2;E(B)S(A,-,-,0)T1;E(A)S(C,-,-,0)T3;E(C)"
				"S(A,-,-,0)T1;E(A)S(B,-,-,0)T2;E(B)S(A,-,-,0)T1;E(A)S(C,-,-,0)T3;E(C)"
				"S(A,-,-,0)T1;E(A)S(D,-,-,0)E(D)S(A,-,-,0)T1;E(A)S(B,-,-,0)T2;E(B)"
				"S(A,-,-,0)T1;E(A)S(C,-,-,0)T3;E(C)E(r)", 14},
			/* empty elements are leaves, as the root too */
			{"<r><N/></r>", "S(r,-,-,0)S(N,-,-,0)E(N)E(r)", 1},
			{"<r><N></N></r>", "S(r,-,-,0)S(N,-,-,0)E(N)E(r)", 1},
			{"<r><N></N></r>                      ", "S(r,-,-,0)S(N,-,-,0)E(N)E(r)", 1},
			{"<N/>", "S(N,-,-,0)E(N)", 1},
			{"<N></N>", "S(N,-,-,0)E(N)", 1},
			{"<N>x</N>", "S(N,-,-,0)Tx;E(N)", 1},
			/* not one piece of plain text: no leaf call */
			{"<r><N><![CDATA[x]]></N></r>", "S(r,-,-,0)S(N,-,-,0)Tx;E(N)E(r)", 0},
			{"<r><N><![CDATA[]]></N></r>", "S(r,-,-,0)S(N,-,-,0)E(N)E(r)", 0},
			{"<r><N>a<![CDATA[b]]></N></r>                 ", "S(r,-,-,0)S(N,-,-,0)Ta;Tb;E(N)E(r)", 0},
			{"<r><N>a<!--c-->b</N></r>", "S(r,-,-,0)S(N,-,-,0)Ta;Tb;E(N)E(r)", 0},
			{"<r><N><!--c--></N></r>                       ", "S(r,-,-,0)S(N,-,-,0)E(N)E(r)", 0},
			{"<r><N>x<!--c--></N></r>", "S(r,-,-,0)S(N,-,-,0)Tx;E(N)E(r)", 0},
			{"<r><N>&#65;</N></r>", "S(r,-,-,0)S(N,-,-,0)TA;E(N)E(r)", 0},
			{"<r><N>&lt;</N></r>                           ", "S(r,-,-,0)S(N,-,-,0)T<;E(N)E(r)", 0},
			{"<r><N>x\ty</N></r>                           ", "S(r,-,-,0)S(N,-,-,0)Tx\ty;E(N)E(r)", 0},
			{"<r><N>x\ny</N></r>", "S(r,-,-,0)S(N,-,-,0)Tx\ny;E(N)E(r)", 0},
			{"<r><N a='1'>x</N></r>", "S(r,-,-,0)S(N,-,-,1)Tx;E(N)E(r)", 0},
			{"<r><N xmlns:q='urn:q'>x</N></r>", "S(r,-,-,0)S(N,-,-,0)Tx;E(N)E(r)", 0},
			{"<r><N xmlns:q='urn:q'/></r>", "S(r,-,-,0)S(N,-,-,0)E(N)E(r)", 0},
			{"<r><N><M>x</M></N></r>                       ", "S(r,-,-,0)S(N,-,-,0)S(M,-,-,0)Tx;E(M)E(N)E(r)", 1},
			/* names of 20 bytes: leaves, and guesses compared in words */
			{"<r><" LONG_A ">" LONG_A "</" LONG_A "><" LONG_A "/><" LONG_A "></" LONG_A "></r>",
				"S(r,-,-,0)S(" LONG_A ",-,-,0)T" LONG_A ";E(" LONG_A ")S(" LONG_A ",-,-,0)E(" LONG_A ")"
				"S(" LONG_A ",-,-,0)E(" LONG_A ")E(r)", 3},
			{"<r><" LONG_A ">a&lt;b</" LONG_A "></r>", "S(r,-,-,0)S(" LONG_A ",-,-,0)Ta;T<;Tb;E(" LONG_A ")E(r)", 0},
			{"<r><" LONG_A ">1</" LONG_A "><" LONG_B ">2</" LONG_B "><" LONG_A ">1</" LONG_A "><" LONG_B ">2</" LONG_B ">"
				"<" LONG_A ">1</" LONG_A "><" LONG_B "x>2</" LONG_B "x><" LONG_A ">1</" LONG_A "><" LONG_B "/>"
				"<" LONG_A ">1</" LONG_A "><Bbbbbbbbbbbbbbbbbbb3>2</Bbbbbbbbbbbbbbbbbbb3>"
				"<" LONG_A ">1</" LONG_A "><" LONG_B " >2</" LONG_B "></r>",
				"S(r,-,-,0)S(" LONG_A ",-,-,0)T1;E(" LONG_A ")S(" LONG_B ",-,-,0)T2;E(" LONG_B ")"
				"S(" LONG_A ",-,-,0)T1;E(" LONG_A ")S(" LONG_B ",-,-,0)T2;E(" LONG_B ")"
				"S(" LONG_A ",-,-,0)T1;E(" LONG_A ")S(" LONG_B "x,-,-,0)T2;E(" LONG_B "x)"
				"S(" LONG_A ",-,-,0)T1;E(" LONG_A ")S(" LONG_B ",-,-,0)E(" LONG_B ")"
				"S(" LONG_A ",-,-,0)T1;E(" LONG_A ")S(Bbbbbbbbbbbbbbbbbbb3,-,-,0)T2;E(Bbbbbbbbbbbbbbbbbbb3)"
				"S(" LONG_A ",-,-,0)T1;E(" LONG_A ")S(" LONG_B ",-,-,0)T2;E(" LONG_B ")E(r)", 11},
			{"<r><" LONG_A ">1</" LONG_A "><" LONG_B ">2</" LONG_B "><" LONG_A ">1</" LONG_A "><" LONG_B ">2</" LONG_B "></r><" LONG_B,
				NULL, 0},
			{"<r><" LONG_A ">1</" LONG_A "><" LONG_B ">2</" LONG_B "><" LONG_A ">1</" LONG_A "><" LONG_B, NULL, 0},
			{"<r><" LONG_A ">1</" LONG_A "><" LONG_B ">2</" LONG_B "><" LONG_A ">1</" LONG_A "><" LONG_B ">2</" LONG_B, NULL, 0},
			{"<r><" LONG_A ">1</" LONG_A "><" LONG_B ">2</" LONG_B "><" LONG_A ">1</" LONG_A "><" LONG_B ">2</Bbbbbbbbbbbbbbbbbbb3></r>",
				NULL, 0},
			/*
			 * records (issue 14: the leaf run finishes their end tags, the
			 * white space after them and the next start tag): what it
			 * must leave to the content loop, or refuse
			 */
#define REC "<u><N>1</N><M>2</M></u>"
#define EREC "S(u,-,-,0)S(N,-,-,0)T1;E(N)S(M,-,-,0)T2;E(M)E(u)"
#define PAD "                    "
			{"<r>" REC "\n" REC "\n" REC "\n x" REC "\t" REC "</r>" PAD,
				"S(r,-,-,0)" EREC "T\n;" EREC "T\n;" EREC "T\n x;" EREC "T\t;" EREC "E(r)", 10},
			{"<r>" REC "\n" REC "\n" REC "\n&amp;" REC "</r>" PAD,
				"S(r,-,-,0)" EREC "T\n;" EREC "T\n;" EREC "T\n;T&;" EREC "E(r)", 8},
			{"<r>" REC "\n" REC "\n" REC "\n<![CDATA[c]]>" REC "\n<!--c-->" REC "</r>" PAD,
				"S(r,-,-,0)" EREC "T\n;" EREC "T\n;" EREC "T\n;Tc;" EREC "T\n;" EREC "E(r)", 10},
			{"<r>" REC "\n" REC "\n" REC "\r\n" REC "</r>" PAD, NULL, 0},
			{"<r>" REC "\n" REC "\n" REC "\n<u><N>1</N><M>2</M></v>\n" REC "</r>" PAD, NULL, 0},
			{"<r>" REC "\n" REC "\n" REC "\n<u><N>1</N><M>2</M></uu>\n" REC "</r>" PAD, NULL, 0},
			{"<r>" REC "\n" REC "\n" REC "\n<u><N>1</N><M>2</M></u\n" REC "</r>" PAD, NULL, 0},
			{"<r>" REC "\n" REC "\n" REC "\n<u><N>1</N><M>2</M></u \n>\n" REC "</r>" PAD,
				"S(r,-,-,0)" EREC "T\n;" EREC "T\n;" EREC "T\n;" EREC "T\n;" EREC "E(r)", 10},
			{"<r>" REC "\n" REC "\n" REC "\n<u/>\n<u></u>\n<u>\n</u>\n" REC "</r>" PAD,
				"S(r,-,-,0)" EREC "T\n;" EREC "T\n;" EREC "T\n;S(u,-,-,0)E(u)T\n;S(u,-,-,0)E(u)T\n;S(u,-,-,0)T\n;E(u)T\n;"
				EREC "E(r)", 10},
			{"<r>" REC "\n" REC "\n" REC "\n<u a='1'><N>1</N><M>2</M></u>\n" REC "</r>" PAD,
				"S(r,-,-,0)" EREC "T\n;" EREC "T\n;" EREC "T\n;S(u,-,-,1)S(N,-,-,0)T1;E(N)S(M,-,-,0)T2;E(M)E(u)T\n;" EREC "E(r)", 10},
			{"<r>" REC "\n" REC "\n" REC "\n<u><N>&lt;</N><M><![CDATA[2]]></M></u>\n<u><N>1<!---->1</N><M>2 </M ></u>\n" REC "</r>" PAD,
				"S(r,-,-,0)" EREC "T\n;" EREC "T\n;" EREC "T\n;S(u,-,-,0)S(N,-,-,0)T<;E(N)S(M,-,-,0)T2;E(M)E(u)T\n;"
				"S(u,-,-,0)S(N,-,-,0)T1;T1;E(N)S(M,-,-,0)T2 ;E(M)E(u)T\n;" EREC "E(r)", 8},
			/* a text followed by a tag that is not its end tag but for one byte */
			{"<r>" REC "\n" REC "\n" REC "\n<u><N>1</N><M>2<qM>3</qM></M></u>\n" REC "</r>" PAD,
				"S(r,-,-,0)" EREC "T\n;" EREC "T\n;" EREC "T\n;S(u,-,-,0)S(N,-,-,0)T1;E(N)S(M,-,-,0)T2;S(qM,-,-,0)T3;E(qM)E(M)E(u)T\n;"
				EREC "E(r)", 10},
			{"<r>" REC "\n" REC "\n" REC "\n<u><N>1</N><M>2<\?M>3</M></u>\n" REC "</r>" PAD, NULL, 0},
			/* the document ends in a record, or in a tag of one */
			{"<r>" REC "\n" REC "\n" REC "\n<u><N>1</N><M", NULL, 0},
			{"<r>" REC "\n" REC "\n" REC "\n<u><N>1</N><M>2</M></u", NULL, 0},
			{"<r>" REC "\n" REC "\n" REC "\n<u", NULL, 0},
			{"<r>" REC "\n" REC "\n" REC "\n" PAD PAD, NULL, 0},
			{"<r>" REC "\n" REC "\n" REC "\n</r", NULL, 0},
			/* the root's end tag is the content loop's: nothing after it is text */
			{"<r>" REC "\n" REC "\n" REC "</r>\n<!--c-->\n" PAD,
				"S(r,-,-,0)" EREC "T\n;" EREC "T\n;" EREC "E(r)", 6},
			{"<r>" REC "\n" REC "\n" REC "</r>\n<r/>" PAD, NULL, 0},
			/* records in records, and a record's name bound again */
			{"<r xmlns:a='urn:1'><a:u>" REC REC REC "</a:u>\n<a:u>" REC REC "</a:u><a:u xmlns:a='urn:2'>" REC "</a:u>\n<a:u>" REC "</a:u></r>" PAD,
				"S(r,-,-,0)S(u,a,urn:1,0)" EREC EREC EREC "E(u)T\n;S(u,a,urn:1,0)" EREC EREC "E(u)S(u,a,urn:2,0)" EREC "E(u)T\n;S(u,a,urn:1,0)" EREC "E(u)E(r)", 14},
#undef REC
#undef EREC
#undef PAD
		};

		for (i = 0; i < (int) lengthof(more); i++)
		{
			char	   *got = leaf_scan(more[i].doc, strlen(more[i].doc));
			char	   *got_leaf = leaf_scan_with(more[i].doc, strlen(more[i].doc),
												  true, &leaves);
			char		what[200];

			snprintf(what, sizeof(what), "scanner: leaf case %d %s", i,
					 more[i].want ? "read" : "refused");
			report(more[i].want == NULL ? got == NULL :
				   got != NULL && strcmp(got, more[i].want) == 0, what);
			if (got != NULL && (more[i].want == NULL || strcmp(got, more[i].want) != 0))
				printf("#   got %s\n", got);
			if (more[i].want == NULL)
				snprintf(what, sizeof(what), "scanner: leaf case %d with the leaf callback: refused", i);
			else if (more[i].leaves < 0)
				snprintf(what, sizeof(what), "scanner: leaf case %d with the leaf callback: the same events", i);
			else
				snprintf(what, sizeof(what), "scanner: leaf case %d with the leaf callback: the same events, %d leaf calls",
						 i, more[i].leaves);
			report(more[i].want == NULL ? got_leaf == NULL :
				   got_leaf != NULL && strcmp(got_leaf, more[i].want) == 0 &&
				   (more[i].leaves < 0 || leaves == more[i].leaves), what);
			if (got_leaf != NULL && (more[i].want == NULL || strcmp(got_leaf, more[i].want) != 0 ||
									 (more[i].leaves >= 0 && leaves != more[i].leaves)))
				printf("#   got %s (%d leaf calls)\n", got_leaf, leaves);
		}
#undef LONG_A
#undef LONG_B
	}
	pfree(doc.data);
	pfree(want.data);
}

/*
 * A generated name of qlen bytes: "a:" and local bytes (qlen >= 3), or
 * local bytes alone, the last one "last"; its local name and prefix as the
 * callbacks get them.
 */
static void
run_name(char *qname, int qlen, char c, char last, const char **local,
		 const char **prefix, const char **uri)
{
	int			i,
				from = qlen >= 3 ? 2 : 0;

	if (from)
		memcpy(qname, "a:", 2);
	for (i = from; i < qlen; i++)
		qname[i] = c;
	qname[qlen - 1] = last;
	qname[qlen] = '\0';
	*local = qname + from;
	*prefix = from ? "a" : "-";
	*uri = from ? "urn:a" : "-";
}

/*
 * Records of leaves (issue 14): the scanner's leaf run also finishes a
 * record's end tag, the white space after it and the next record's start
 * tag.  Three records of three leaves, leaf names of 1-40 bytes (16-40:
 * compared in two 16-byte steps up to 32, in words beyond; two of the
 * leaves differ only in their last byte), record names of 1-40 bytes,
 * texts of 0-40 bytes, white space of 0-20 bytes around the leaves and
 * between the records, 0-19 bytes after the root: the end tags and the
 * texts' ends fall on every place of a 16-byte step and near the end of
 * the document.  Each document is scanned with start/text/end and with the
 * leaf callbacks (in the generic leaf run and in a copy: leaf_scan_with)
 * against the events written down while making it (every leaf one leaf
 * call); every proper prefix of some is refused, and so is any byte of the
 * second record's end tag or of the third record's start tag changed.
 */
static void
test_records(void)
{
	static const char *const spaces[] = {"", "\n", " \t\n ", "\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n"};
	static const int rlens[] = {1, 2, 7, 15, 16, 17, 31, 32, 33, 40};
	StringInfoData doc,
				want;
	int			qlen,
				tlen,
				r,
				k,
				i,
				docs = 0,
				nprefix = 0,
				nmut = 0;
	bool		all_ok = true,
				prefixes_ok = true,
				mutations_ok = true;

	initStringInfo(&doc);
	initStringInfo(&want);
	for (qlen = 1; qlen <= 40; qlen++)
	{
		for (tlen = 0; tlen <= 40; tlen++)
		{
			for (r = 0; r < (int) lengthof(rlens); r++)
			{
				char		x[48],
							y[48],
							rn[48],
							text[48];
				const char *xl,
						   *xp,
						   *xu,
						   *yl,
						   *yp,
						   *yu,
						   *rl,
						   *rp,
						   *ru;
				const char *in = spaces[(qlen + tlen) % 4];
				const char *between = spaces[(qlen + tlen + r) % 4];
				int			pad = (qlen * 7 + tlen * 3 + r) % 20;
				int			leaves[3];
				char	   *got;
				int			mode;

				run_name(x, qlen, 'x', 'x', &xl, &xp, &xu);
				run_name(y, qlen, 'x', 'y', &yl, &yp, &yu);
				run_name(rn, rlens[r], 'R', 'R', &rl, &rp, &ru);
				for (i = 0; i < tlen; i++)
					text[i] = "0123456789-:T+ abc"[(i + r) % 18];
				text[tlen] = '\0';
				resetStringInfo(&doc);
				resetStringInfo(&want);
				appendStringInfoString(&doc, "<r xmlns:a=\"urn:a\">");
				appendStringInfoString(&want, "S(r,-,-,0)");
				for (k = 0; k < 3; k++)
				{
					appendStringInfo(&doc, "<%s>%s<%s>%s</%s><N>%d</N><%s>%s</%s>%s</%s>%s",
									 rn, in, x, text, x, k, y, text, y, in, rn, between);
					appendStringInfo(&want, "S(%s,%s,%s,0)", rl, rp, ru);
					if (*in)
						appendStringInfo(&want, "T%s;", in);
					appendStringInfo(&want, "S(%s,%s,%s,0)", xl, xp, xu);
					if (tlen > 0)
						appendStringInfo(&want, "T%s;", text);
					appendStringInfo(&want, "E(%s)S(N,-,-,0)T%d;E(N)S(%s,%s,%s,0)", xl, k, yl, yp, yu);
					if (tlen > 0)
						appendStringInfo(&want, "T%s;", text);
					appendStringInfo(&want, "E(%s)", yl);
					if (*in)
						appendStringInfo(&want, "T%s;", in);
					appendStringInfo(&want, "E(%s)", rl);
					if (*between)
						appendStringInfo(&want, "T%s;", between);
				}
				appendStringInfo(&doc, "</r>%*s", pad, "");
				appendStringInfoString(&want, "E(r)");
				docs++;

				/*
				 * start/text/end, leaf (and leaf_named, in the generic run
				 * and a copy, in leaf_scan_with)
				 */
				for (mode = 0; mode < 2; mode++)
				{
					got = leaf_scan_with(doc.data, doc.len, mode == 1, &leaves[mode]);
					if (got == NULL || strcmp(got, want.data) != 0 ||
						(mode == 1 && leaves[mode] != 9))
					{
						if (all_ok)
							printf("#   %s\n#   %s: got  %s (%d leaves)\n#   want %s\n", doc.data,
								   mode ? "leaf" : "start/text/end",
								   got ? got : "(gave up)", mode ? leaves[mode] : 0, want.data);
						all_ok = false;
					}
					if (got != NULL)
						pfree(got);
				}

				/* every proper prefix up to the root's end: not a document */
				if (tlen % 8 == 0 && r % 3 == 0)
				{
					for (i = 0; i < doc.len - pad; i++)
					{
						nprefix++;
						got = leaf_scan(doc.data, i);
						if (got == NULL)
							got = leaf_scan_with(doc.data, i, true, NULL);
						if (got != NULL)
						{
							if (prefixes_ok)
								printf("#   accepted %d bytes of %s\n", i, doc.data);
							prefixes_ok = false;
							pfree(got);
						}
					}
				}

				/*
				 * the second record's end tag, or the third's start tag,
				 * with a byte changed: refused
				 */
				if (tlen % 5 == 0)
				{
					char	   *tags[2];
					char	   *b;
					int			t;

					tags[0] = doc.data;
					for (k = 0; k < 2; k++)
					{
						tags[0] = strstr(tags[0] + 1, "</");
						tags[0] = strstr(tags[0], rn);
						while (tags[0][-1] != '/')
							tags[0] = strstr(tags[0] + 1, rn);
					}
					tags[0] -= 2;	/* "</" of the second record's end tag */
					tags[1] = strchr(tags[0] + 1, '<');
					for (t = 0; t < 2; t++)
					{
						for (b = tags[t]; b == tags[t] || b[-1] != '>'; b++)
						{
							char		save = *b;

							*b = save == '>' ? ' ' : (save == 'x' || save == 'R' ? 'q' : 'x');
							if (b == tags[t] + 1 && t == 0)
								*b = '<';
							nmut++;
							got = leaf_scan(doc.data, doc.len);
							if (got == NULL)
								got = leaf_scan_with(doc.data, doc.len, true, NULL);
							if (got != NULL)
							{
								if (mutations_ok)
									printf("#   accepted %s\n", doc.data);
								mutations_ok = false;
								pfree(got);
							}
							*b = save;
						}
					}
				}
			}
		}
	}
	report(all_ok, psprintf("scanner: %d documents of three records of leaves (names of 1-40 bytes, texts of 0-40, white space between): the events written down, with start/text/end and the leaf callbacks, in the generic leaf run and a copy (each leaf one call)", docs));
	report(prefixes_ok, psprintf("scanner: %d proper prefixes of those documents refused", nprefix));
	report(mutations_ok, psprintf("scanner: %d changed bytes of a record's end tag or the next record's start tag refused", nmut));
	pfree(doc.data);
	pfree(want.data);
}

/*
 * The scanner without the leaf callback: every element through
 * mercury_scan_start, _text and _end, as before the leaf callback (issue 14).
 */
static bool
scan_three(const char *body, size_t len, MercuryParse *p)
{
	return mercury_scan_with(body, len, p, false);
}

/*
 * Whether two scans of doc[0..len) (ok: the scan's verdict) read the same:
 * verdict, message, items, fields; *pieces counts the texts of a that
 * point into doc.
 */
static bool
same_scans(const MercuryParse *a, bool oka, const MercuryParse *b, bool okb,
		   const char *doc, size_t len, int *pieces)
{
	int			u,
				f;

	if (oka != okb || a->failed != b->failed || a->nunits != b->nunits ||
		a->used_body != b->used_body ||
		(a->failed && strcmp(a->errmsg, b->errmsg) != 0))
		return false;
	for (u = 0; u < a->nunits; u++)
	{
		for (f = 0; f < a->op->type->nfields; f++)
		{
			const MercuryUnit *x = &a->units[u];
			const MercuryUnit *y = &b->units[u];

			if ((x->val[f] == NULL) != (y->val[f] == NULL) ||
				x->seen != y->seen ||
				(x->val[f] != NULL &&
				 (x->len[f] != y->len[f] || memcmp(x->val[f], y->val[f], x->len[f]) != 0 ||
				  (x->val[f] >= doc && x->val[f] < doc + len) !=
				  (y->val[f] >= doc && y->val[f] < doc + len))))
				return false;
			if (x->val[f] != NULL && x->val[f] >= doc && x->val[f] < doc + len)
				(*pieces)++;
		}
	}
	return true;
}

/*
 * Mercury's leaf callback against start, text and end: generated pages of
 * units whose fields are plain, empty (both ways), with entities, CDATA,
 * comments, xsi:nil or another attribute, Cyrillic, left out, out of
 * order, twice, or among unknown elements; every page read with the leaf
 * callback, in the scanner's generic leaf run and in Mercury's copy (as
 * pages are read), and with start/text/end must give the same verdict and
 * the same texts (the pages as read are also read again by libxml2: this
 * program is built with MERCURY_CROSSCHECK).
 */
static void
test_leaf_mercury(void)
{
	const VetisOp *op = UNIT_OP;
	uint32		rnd = 12345;
	int			docs,
				same = 0,
				scanned = 0,
				refused = 0,
				pieces = 0;
	bool		shown = false;
	StringInfoData doc;
	char		what[256];

	initStringInfo(&doc);
	for (docs = 0; docs < 3000; docs++)
	{
		int			nunits,
					u,
					f;
		MercuryParse pl,
					pg,
					p3;
		bool		okl,
					okg,
					ok3,
					ok;
		int			pieces_g = 0;

		resetStringInfo(&doc);
		appendStringInfoString(&doc,
							   "<s:Envelope xmlns:s=\"" SOAP_ENV_NS "\" xmlns:i=\"" XSI_NS "\"><s:Body>"
							   "<ws:getUnitChangesListResponse xmlns:ws=\"urn:ws\" xmlns:bs=\"urn:bs\">"
							   "<ws:unitList count=\"3\" total=\"3\" offset=\"0\">\n");
		nunits = docs % 4;
		for (u = 0; u < nunits; u++)
		{
			int			order[VETIS_MAX_FIELDS];

			for (f = 0; f < op->type->nfields; f++)
				order[f] = f;
			/* now and then two fields swapped */
			rnd = rnd * 1103515245 + 12345;
			if ((rnd >> 16) % 4 == 0)
			{
				int			a = (rnd >> 8) % op->type->nfields;
				int			b = (rnd >> 20) % op->type->nfields;
				int			t = order[a];

				order[a] = order[b];
				order[b] = t;
			}
			appendStringInfoString(&doc, "<ws:unit>");
			for (f = 0; f < op->type->nfields; f++)
			{
				const char *n = op->names[order[f]];
				int			v;

				rnd = rnd * 1103515245 + 12345;
				v = (rnd >> 16) % 40;
				switch (v)
				{
					case 0:
					case 1:
						break;	/* left out */
					case 2:
						appendStringInfo(&doc, "<bs:%s/>", n);
						break;
					case 3:
						appendStringInfo(&doc, "<bs:%s></bs:%s>", n, n);
						break;
					case 4:
						appendStringInfo(&doc, "<bs:%s>a&amp;b</bs:%s>", n, n);
						break;
					case 5:
						appendStringInfo(&doc, "<bs:%s><![CDATA[c<d]]></bs:%s>", n, n);
						break;
					case 6:
						appendStringInfo(&doc, "<bs:%s>a<!--x-->b</bs:%s>", n, n);
						break;
					case 7:
						appendStringInfo(&doc, "<bs:%s i:nil=\"true\"/>", n);
						break;
					case 8:
						appendStringInfo(&doc, "<bs:%s a=\"1\">t</bs:%s>", n, n);
						break;
					case 9:
						appendStringInfo(&doc, "<bs:%s>\xD0\x95\xD0\xB4 %d</bs:%s>", n, docs, n);
						break;
					case 10:
						appendStringInfo(&doc, "<bs:%s>x</bs:%s><bs:%s>y</bs:%s>", n, n, n, n);
						break;
					case 11:
						appendStringInfo(&doc, "<bs:other>o</bs:other><bs:%s>%d</bs:%s>", n, u, n);
						break;
					case 12:
						appendStringInfo(&doc, "<bs:%s>x</bs:%s >", n, n);
						break;
					case 13:
						appendStringInfo(&doc, "<bs:%s>&#x41;</bs:%s>", n, n);
						break;
					case 14:
						/* leaves named as fields inside an element skipped */
						appendStringInfo(&doc, "<bs:other><bs:%s>z</bs:%s><bs:%s/></bs:other><bs:%s>%d</bs:%s>",
										 n, n, n, n, u, n);
						break;
					case 15:
						/* inside a field: a field's element has no children */
						appendStringInfo(&doc, "<bs:%s><bs:%s>z</bs:%s></bs:%s>", n, n, n, n);
						break;
					case 16:
						/* an item's name inside an item: no item */
						appendStringInfo(&doc, "<ws:unit><bs:%s>z</bs:%s></ws:unit><bs:%s>%d</bs:%s>",
										 n, n, n, u, n);
						break;
					case 17:
						/* or inside a field: a field's element has no children */
						appendStringInfo(&doc, "<bs:%s><ws:unit><bs:%s>z</bs:%s></ws:unit></bs:%s>",
										 n, n, n, n);
						break;
					default:
						appendStringInfo(&doc, "<bs:%s>v%d-%d-%s</bs:%s>", n, u, f, n, n);
						break;
				}
			}
			appendStringInfoString(&doc, "</ws:unit>\n");
		}
		appendStringInfoString(&doc, LIST_CLOSE);

		mercury_parse_init(&pl, op, false);
		pl.size = doc.len + 1;
		pl.buf = palloc(pl.size);
		okl = mercury_scan_body(doc.data, doc.len, &pl) && !pl.failed;
		mercury_parse_init(&pg, op, false);
		pg.size = doc.len + 1;
		pg.buf = palloc(pg.size);
		okg = mercury_scan_with(doc.data, doc.len, &pg, 1) && !pg.failed;
		mercury_parse_init(&p3, op, false);
		p3.size = doc.len + 1;
		p3.buf = palloc(p3.size);
		ok3 = scan_three(doc.data, doc.len, &p3) && !p3.failed;

		ok = same_scans(&pl, okl, &p3, ok3, doc.data, doc.len, &pieces) &&
			same_scans(&pg, okg, &p3, ok3, doc.data, doc.len, &pieces_g);
		if (ok)
			same++;
		else if (!shown)
			printf("#   differs (Mercury's run %d \"%s\", generic run %d \"%s\", three %d \"%s\"): %s\n",
				   okl, pl.errmsg, okg, pg.errmsg, ok3, p3.errmsg, doc.data);
		shown |= !ok;
		if (okl)
			scanned++;
		else
			refused++;

		/* the whole way: libxml2 reads what the scanner accepted again */
		if (okl)
		{
			pfree(pl.buf);
			mercury_parse_init(&pl, op, false);
			ok = mercury_parse_xml(doc.data, doc.len, &pl) && pl.scanned;
			if (!ok)
				same--;
		}
		pfree(pl.buf);
		pfree(pg.buf);
		pfree(p3.buf);
		if (pl.units != NULL)
			pfree(pl.units);
		if (pg.units != NULL)
			pfree(pg.units);
		if (p3.units != NULL)
			pfree(p3.units);
	}
	snprintf(what, sizeof(what),
			 "leaf callback: %d generated pages (%d read, %d refused by the callbacks, %d texts pointed into the body) read the same in Mercury's leaf run, in the generic one and with start/text/end",
			 docs, scanned, refused, pieces);
	report(same == docs && scanned > docs / 4 && refused > docs / 4 && pieces > 1000, what);
	pfree(doc.data);
}

/*
 * Where the scanner leaves a text (issue 14): one piece of the body is
 * pointed to (the page then keeps the body), anything else is copied into
 * the page's buffer; with a tree, or read by libxml2, everything is copied.
 */
static void
test_text_places(void)
{
	static const struct
	{
		const char *what;
		const char *text;		/* between <bs:name> and </bs:name> */
		const char *value;
		bool		in_body;
	}			cases[] = {
		{"plain text", "plain", "plain", true},
		{"an entity after text", "a&amp;", "a&", false},
		{"an entity first", "&amp;b", "&b", false},
		{"a character reference first", "&#x41;bc", "Abc", false},
		{"CDATA after text", "x<![CDATA[<y>]]>", "x<y>", false},
	};
	int			i;

	for (i = 0; i < (int) lengthof(cases); i++)
	{
		char	   *doc = psprintf(ENV_OPEN "<bs:name>%s</bs:name><bs:guid>g</bs:guid>" ENV_CLOSE,
								   cases[i].text);
		size_t		len = strlen(doc);
		MercuryParse p;
		bool		ok;
		const char *v;
		int			vlen;
		char		what[200];

		mercury_parse_init(&p, UNIT_OP, false);
		ok = mercury_parse_xml(doc, len, &p);
		v = ok && p.nunits == 1 ? p.units[0].val[MC_NAME] : NULL;
		vlen = v != NULL ? p.units[0].len[MC_NAME] : -1;
		snprintf(what, sizeof(what), "text places: %s is %s", cases[i].what,
				 cases[i].in_body ? "pointed to in the body" : "copied");
		report(ok && p.scanned && v != NULL &&
			   vlen == (int) strlen(cases[i].value) &&
			   memcmp(v, cases[i].value, vlen) == 0 &&
			   (v >= doc && v < doc + len) == cases[i].in_body &&
			   (v >= p.buf && v < p.buf + p.size) == !cases[i].in_body &&
			   p.used_body,	/* guid is always a piece of the body */
			   what);

		/* a tree's nodes index the buffer: every text is copied */
		mercury_parse_init(&p, UNIT_OP, true);
		ok = mercury_parse_xml(doc, len, &p);
		v = ok && p.nunits == 1 ? p.units[0].val[MC_NAME] : NULL;
		snprintf(what, sizeof(what), "text places: %s is copied for a tree",
				 cases[i].what);
		report(ok && p.scanned && v != NULL && !p.used_body &&
			   v >= p.buf && v < p.buf + p.size &&
			   strcmp(v, cases[i].value) == 0, what);
	}
}

/* ---- redaction before cutting and escaping (issue 16) ---- */

/* Any piece of the secret (4 bytes or more, or its escaped backslash)? */
static bool
shows_piece(const char *text, const char *secret)
{
	size_t		slen = strlen(secret);
	size_t		i;

	for (i = 0; i + 4 <= slen; i++)
	{
		char		piece[5];

		memcpy(piece, secret + i, 4);
		piece[4] = '\0';
		if (strstr(text, piece) != NULL)
			return true;
	}
	return strstr(text, "T\\x5C") != NULL || strstr(text, "x5Cpw") != NULL;
}

static void
test_redaction(void)
{
	const char *secret = "SEKRIT\\pw-0815";
	HttpRequest req;
	List	   *secrets;
	int			pos;
	int			bad_into = 0,
				bad_cut = 0,
				bad_window = 0,
				redacted = 0;
	char		buf[2048];

	memset(&req, 0, sizeof(req));
	req.basic_user = "u";
	req.basic_password = secret;
	secrets = http_secrets(&req);

	for (pos = 0; pos < 80; pos++)
	{
		char		src[256];
		char		dst[44];
		size_t		len;
		int			start;

		/* redact, then cut to 40 bytes: the secret at and across the cut */
		len = snprintf(src, sizeof(src), "%.*s%s and the rest of it", pos,
					   "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
					   secret);
		http_redact_into(secrets, src, len, false, dst, sizeof(dst));
		if (shows_piece(dst, secret))
			bad_into++;
		if (strstr(dst, "[redacted]"))
			redacted++;

		/* a text already cut inside the secret (vsnprintf ran out) */
		http_redact_into(secrets, src, Min(len, (size_t) pos + 7), true, dst, sizeof(dst));
		if (shows_piece(dst, secret))
			bad_cut++;

		/* the bytes window of every start and end around the secret */
		for (start = 0; start < pos + 20; start += 3)
		{
			char	   *w = http_bytes_excerpt(secrets, src, len, start, start + 24);

			if (shows_piece(w, secret))
				bad_window++;
		}
	}
	snprintf(buf, sizeof(buf), "redaction: a secret at each of 80 places across a 40-byte cut is redacted before the cut (%d pieces shown, %d redacted whole)",
			 bad_into, redacted);
	report(bad_into == 0 && redacted > 0, buf);
	snprintf(buf, sizeof(buf), "redaction: a text already cut inside a secret drops the piece (%d shown)", bad_cut);
	report(bad_cut == 0, buf);
	snprintf(buf, sizeof(buf), "redaction: byte windows starting and ending inside a secret widen to redact it whole, before escaping (%d shown)", bad_window);
	report(bad_window == 0, buf);
	/* the base64 form of the Basic header is among the secrets */
	report(list_length(secrets) >= 2 &&
		   strcmp(http_redact(&req, "Basic dTpTRUtSSVRccHctMDgxNQ==", &(size_t) {30}), "Basic [redacted]") == 0,
		   "redaction: the base64 form of Basic user:password is redacted");
}

/* ---- libxml2's limits and the scanner's (issue 16) ---- */

static bool
lim_start(void *arg, const char *lname, const char *prefix, const char *uri,
		  int nattrs, const char **attrs)
{
	return true;
}

static bool
lim_end(void *arg, const char *lname, const char *prefix, const char *uri)
{
	return true;
}

static bool
lim_text(void *arg, const char *s, size_t len)
{
	return true;
}

/* The scanner alone. */
static bool
lim_scanned(const char *doc, size_t len)
{
	static const XmlScanHandler h = {lim_start, lim_end, lim_text, NULL, 0};

	return xmlscan_parse(doc, len, &h, NULL);
}

static int	lim_errors;

static void
lim_error(void *arg, MERCURY_XML_ERROR *error)
{
	if (error != NULL && error->level >= XML_ERR_ERROR)
		lim_errors++;
}

/* libxml2 alone, set up as mercury_parser_open sets it up (push, NONET). */
static bool
lim_libxml2(const char *doc, size_t len)
{
	xmlSAXHandler sax;
	xmlParserCtxtPtr ctxt;
	bool		ok;
	int			ret;

	memset(&sax, 0, sizeof(sax));
	sax.initialized = XML_SAX2_MAGIC;
	sax.serror = lim_error;
	lim_errors = 0;
	ctxt = xmlCreatePushParserCtxt(&sax, NULL, NULL, 0, NULL);
	xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_IGNORE_ENC);
	xmlSwitchEncoding(ctxt, XML_CHAR_ENCODING_UTF8);
	ret = xmlParseChunk(ctxt, doc, (int) len, 1);
	ok = ret == 0 && ctxt->wellFormed && lim_errors == 0;
	xmlFreeParserCtxt(ctxt);
	return ok;
}

/*
 * "<r>" head, n bytes of filler (byte c, or "\r\n" pairs if crlf), tail
 * "</r>": exactly total bytes when n is chosen from it.
 */
static char *
lim_doc(const char *head, char c, bool crlf, size_t n, const char *tail,
		size_t *len)
{
	size_t		hl = strlen(head),
				tl = strlen(tail);
	char	   *d = malloc(hl + n + tl + 1);
	size_t		i;

	memcpy(d, head, hl);
	for (i = 0; i < n; i++)
		d[hl + i] = crlf ? (i % 2 == 0 ? '\r' : '\n') : c;
	memcpy(d + hl + n, tail, tl);
	*len = hl + n + tl;
	d[*len] = '\0';
	return d;
}

static void
lim_case(const char *what, const char *head, char c, bool crlf, size_t n,
		 const char *tail, bool want_scanned, bool want_libxml2)
{
	size_t		len;
	char	   *d = lim_doc(head, c, crlf, n, tail, &len);
	bool		sc = lim_scanned(d, len);
	bool		lx = lim_libxml2(d, len);
	char		msg[300];

	snprintf(msg, sizeof(msg), "limits: %s (%zu bytes): scanner %s, libxml2 %s",
			 what, len, want_scanned ? "reads it" : "gives up",
			 want_libxml2 ? "accepts" : "refuses");
	/* the contract: whatever the scanner reads, libxml2 accepts */
	report(sc == want_scanned && lx == want_libxml2 && (!sc || lx), msg);
	free(d);
}

static void
test_limits(void)
{
	const size_t max = XMLSCAN_MAX_INPUT;
	char		name[1100];
	char	   *deep;
	size_t		k;

	/* the whole document: libxml2's XML_MAX_LOOKUP_LIMIT */
	lim_case("a document of exactly the limit, LF", "<r>", '\n', false, max - 7, "</r>", true, true);
	lim_case("a document one byte over the limit, LF", "<r>", '\n', false, max - 6, "</r>", false, false);
	lim_case("a document of exactly the limit, CR LF", "<r>", 0, true, max - 7 - 1, "</r>\n", false, true);
	lim_case("a document one byte over the limit, CR LF", "<r>", 0, true, max - 6 - 1, "</r>\n", false, false);
	/* one text node, CDATA section, comment, attribute value over 10 MB */
	lim_case("a text node over 10,000,000 bytes", "<r>", 'a', false, max + 1, "</r>", false, false);
	lim_case("a CDATA section over 10,000,000 bytes", "<r><![CDATA[", 'a', false, max + 1, "]]></r>", false, false);
	lim_case("a comment over 10,000,000 bytes", "<r><!--", 'a', false, max + 1, "--></r>", false, false);
	lim_case("an attribute value over 10,000,000 bytes", "<r a=\"", 'a', false, max + 1, "\"/>", false, false);
	/* names: the scanner's 1000 bytes, libxml2's 50,000 */
	lim_case("an element name of 1000 bytes", "<", 'n', false, 1000, "/>", true, true);
	lim_case("an element name of 1001 bytes", "<", 'n', false, 1001, "/>", false, true);
	lim_case("an element name of 50,001 bytes", "<", 'n', false, 50001, "/>", false, false);
	lim_case("an attribute name of 1001 bytes", "<r ", 'n', false, 1001, "=\"v\"/>", false, true);
	/*
	 * depth: the scanner gives up beyond 200; libxml2's push parser has no
	 * limit (its pull parser's is 256), mercury.c has its own
	 */
	for (k = 0; k < 3; k++)
	{
		static const int depths[] = {200, 201, 257};
		int			dpt = depths[k];
		size_t		len = (size_t) dpt * 7;
		int			i;
		bool		sc,
					lx;

		deep = malloc(len + 1);
		for (i = 0; i < dpt; i++)
			memcpy(deep + i * 3, "<d>", 3);
		for (i = 0; i < dpt; i++)
			memcpy(deep + dpt * 3 + i * 4, "</d>", 4);
		deep[len] = '\0';
		sc = lim_scanned(deep, len);
		lx = lim_libxml2(deep, len);
		snprintf(name, sizeof(name), "limits: %d nested elements: scanner %s, libxml2 accepts",
				 dpt, dpt <= 200 ? "reads them" : "gives up");
		report(sc == (dpt <= 200) && lx, name);
		free(deep);
	}
}

static void
test_reader(const char *canary_path)
{
	char		doc[4096];
	size_t		bytes;
	bool		failed;
	bool		canary;
	StringInfoData laughs;
	int			k;
	clock_t		t0;

	shim_entity_loads = 0;
	snprintf(doc, sizeof(doc),
			 "<!DOCTYPE e [<!ENTITY x SYSTEM \"file://%s\">]>", canary_path);
	read_all(doc, "x", &bytes, &failed, &canary);
	report(!canary && shim_entity_loads == 0,
		   "parser: an external entity naming a local file is neither loaded nor read");

	shim_entity_loads = 0;
	read_all("<!DOCTYPE e [<!ENTITY x \"UNIT-CANARY\">]>", "x", &bytes, &failed, &canary);
	report(!canary && failed,
		   "parser: an internal entity is not expanded, and the document is refused");

	shim_entity_loads = 0;
	read_all("<!DOCTYPE e [<!ENTITY x SYSTEM \"http://127.0.0.1:9/probe\">]>", "x",
			 &bytes, &failed, &canary);
	report(shim_entity_loads == 0,
		   "parser: an external entity naming a network address is not fetched");

	shim_entity_loads = 0;
	snprintf(doc, sizeof(doc),
			 "<!DOCTYPE e [<!ENTITY %% p SYSTEM \"file://%s\"> %%p;]>", canary_path);
	read_all(doc, "amp", &bytes, &failed, &canary);
	report(!canary && shim_entity_loads == 0,
		   "parser: an external parameter entity is not loaded");

	shim_entity_loads = 0;
	snprintf(doc, sizeof(doc),
			 "<!DOCTYPE e SYSTEM \"file://%s\">", canary_path);
	read_all(doc, "amp", &bytes, &failed, &canary);
	report(!canary && shim_entity_loads == 0,
		   "parser: an external DTD subset is not loaded");

	initStringInfo(&laughs);
	appendStringInfoString(&laughs, "<!DOCTYPE e [<!ENTITY l0 \"lol\">");
	for (k = 1; k <= 9; k++)
	{
		int			j;

		appendStringInfo(&laughs, "<!ENTITY l%d \"", k);
		for (j = 0; j < 10; j++)
			appendStringInfo(&laughs, "&l%d;", k - 1);
		appendStringInfoString(&laughs, "\">");
	}
	appendStringInfoString(&laughs, "]>");
	t0 = clock();
	read_all(laughs.data, "l9", &bytes, &failed, &canary);
	report(bytes < 1024 * 1024 &&
		   (double) (clock() - t0) / CLOCKS_PER_SEC < 2.0,
		   "parser: billion laughs is neither expanded nor slow");
	printf("# billion laughs: %zu bytes of text, %.3f s, parser %s\n", bytes,
		   (double) (clock() - t0) / CLOCKS_PER_SEC, failed ? "failed" : "finished");
}

/*
 * VetIS items: nested elements kept as nodes when a jsonb column is wanted
 * (by both parsers: the fuzz build crosschecks them), and the one list the
 * bindings make optional (productItemList) may be absent.
 */
static void
test_vetis(void)
{
	const char *nested =
		"<s:Envelope xmlns:s=\"" SOAP_ENV_NS "\"><s:Body>"
		"<ws:getBusinessEntityChangesListResponse xmlns:ws=\"urn:ws\" xmlns:dt=\"urn:dt\">"
		"<dt:businessEntityList count=\"1\" hasMore=\"false\"><dt:businessEntity>"
		"<dt:name>n</dt:name><dt:activityLocation><dt:globalID>1</dt:globalID>"
		"<dt:globalID>2</dt:globalID><dt:enterprise><dt:name>e</dt:name></dt:enterprise>"
		"</dt:activityLocation><dt:odd>x</dt:odd></dt:businessEntity>"
		"</dt:businessEntityList></ws:getBusinessEntityChangesListResponse></s:Body></s:Envelope>";
	const char *nolist =
		"<s:Envelope xmlns:s=\"" SOAP_ENV_NS "\"><s:Body>"
		"<ws:getProductItemChangesListResponse xmlns:ws=\"urn:ws\"/></s:Body></s:Envelope>";
	const char *nolist_units =
		"<s:Envelope xmlns:s=\"" SOAP_ENV_NS "\"><s:Body>"
		"<ws:getUnitChangesListResponse xmlns:ws=\"urn:ws\"/></s:Body></s:Envelope>";
	MercuryParse p;
	bool		ok;

	mercury_parse_init(&p, vetis_find_op("business_entity_changes"), true);
	ok = mercury_parse_xml(nested, strlen(nested), &p);
	/* name, activityLocation, 2 globalID, enterprise, its name, odd */
	report(ok && p.nunits == 1 && p.nnodes == 7 && p.has_more == 0 &&
		   p.nodes[1].off == VN_COMPLEX && p.nodes[1].end == 6 &&
		   strcmp(p.nodes[6].name, "odd") == 0 &&
		   strcmp(p.buf + p.nodes[2].off, "1") == 0,
		   "vetis: nested elements are kept as nodes, unknown ones too");
	mercury_parse_init(&p, vetis_find_op("business_entity_changes"), false);
	ok = mercury_parse_xml(nested, strlen(nested), &p);
	report(ok && p.nunits == 1 && p.nnodes == 0 &&
		   p.units[0].len[10] == 1 && p.units[0].val[10][0] == 'n',
		   "vetis: without a jsonb column only the scalar fields are kept");
	mercury_parse_init(&p, vetis_find_op("product_item_changes"), false);
	report(mercury_parse_xml(nolist, strlen(nolist), &p) && p.nunits == 0,
		   "vetis: an answer without the optional productItemList is an empty list");
	mercury_parse_init(&p, UNIT_OP, false);
	report(!mercury_parse_xml(nolist_units, strlen(nolist_units), &p),
		   "vetis: an answer without unitList is refused");
}

/*
 * The converters' fast paths give what the general ones gave: an xs:integer
 * of up to 18 digits is built from an int64 (here the shim's numeric is the
 * text int64_to_numeric printed, so leading zeros, a plus and a minus zero
 * must be gone), a longer one still goes through numeric_in; a UUID is read
 * with a table, either case, and refused with the same messages.
 */
static const char *conv_in;
static int	conv_len;
static Datum conv_out;

static void
conv_integer(void *arg)
{
	conv_out = mercury_integer_datum(12, conv_in, conv_len);
}

static void
conv_uuid(void *arg)
{
	pg_uuid_t  *u = palloc(sizeof(pg_uuid_t));

	mercury_uuid_parse(0, conv_in, conv_len, u);
	conv_out = UUIDPGetDatum(u);
}

static void
conv_text(void *arg)
{
	conv_out = mercury_text_datum(9, conv_in, conv_len, false, NULL);
}

static bool
conv_ok(void (*fn) (void *), const char *in, int len, const char *want)
{
	conv_in = in;
	conv_len = len;
	if (!no_error(fn, NULL))
		return false;
	if (fn == conv_uuid)
	{
		char		buf[37];
		const unsigned char *d = DatumGetUUIDP(conv_out)->data;

		snprintf(buf, sizeof(buf),
				 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
				 d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9],
				 d[10], d[11], d[12], d[13], d[14], d[15]);
		return strcmp(buf, want) == 0;
	}
	return strcmp(text_to_cstring((text *) DatumGetPointer(conv_out)), want) == 0;
}

static bool
conv_fails(void (*fn) (void *), const char *in, int len, int sqlstate,
		   const char *message_start)
{
	conv_in = in;
	conv_len = len;
	return !no_error(fn, NULL) && shim_last_sqlstate() == sqlstate &&
		strncmp(shim_last_message(), message_start, strlen(message_start)) == 0;
}

static void
test_convert(void)
{
	const char *u = "0123ABCD-89ab-CDEF-0f1E-2d3c4b5a6978";

	mercury_value_op = UNIT_OP;
	mercury_value_secrets = NIL;
	report(conv_ok(conv_integer, "007", 3, "7") &&
		   conv_ok(conv_integer, "+42", 3, "42") &&
		   conv_ok(conv_integer, "-0", 2, "0") &&
		   conv_ok(conv_integer, " -15\n", 5, "-15") &&
		   conv_ok(conv_integer, "999999999999999999", 18, "999999999999999999") &&
		   conv_ok(conv_integer, "-999999999999999999", 19, "-999999999999999999"),
		   "convert: an xs:integer of up to 18 digits is built from its int64");
	report(conv_ok(conv_integer, "0001000000000000000000", 22, "0001000000000000000000") &&
		   conv_ok(conv_integer, "-9223372036854775808", 20, "-9223372036854775808"),
		   "convert: a longer xs:integer goes through numeric_in");
	report(conv_fails(conv_integer, "12a", 3, ERRCODE_INVALID_TEXT_REPRESENTATION,
					  "invalid input syntax for type numeric") &&
		   conv_fails(conv_integer, "-", 1, ERRCODE_INVALID_TEXT_REPRESENTATION,
					  "invalid input syntax for type numeric") &&
		   conv_fails(conv_integer, "1.5", 3, ERRCODE_INVALID_TEXT_REPRESENTATION,
					  "invalid input syntax for type numeric"),
		   "convert: a bad xs:integer is refused");
	report(conv_ok(conv_uuid, u, 36, "0123abcd-89ab-cdef-0f1e-2d3c4b5a6978") &&
		   conv_ok(conv_uuid, " 00000000-0000-0000-0000-00000000000f ", 38,
				   "00000000-0000-0000-0000-00000000000f") &&
		   conv_ok(conv_uuid, "ffffffff-ffff-ffff-ffff-ffffffffffff", 36,
				   "ffffffff-ffff-ffff-ffff-ffffffffffff"),
		   "convert: a UUID in either case");
	report(conv_fails(conv_uuid, "0123abcd-89ab-cdef-0f1e-2d3c4b5a697", 35,
					  ERRCODE_INVALID_TEXT_REPRESENTATION, "invalid input syntax for type uuid") &&
		   conv_fails(conv_uuid, "0123abcd089ab-cdef-0f1e-2d3c4b5a6978", 36,
					  ERRCODE_INVALID_TEXT_REPRESENTATION, "invalid input syntax for type uuid") &&
		   conv_fails(conv_uuid, "0123abcd-89ab-cdef-0f1e-2d3c4b5a697g", 36,
					  ERRCODE_INVALID_TEXT_REPRESENTATION, "invalid input syntax for type uuid") &&
		   conv_fails(conv_uuid, "g123abcd-89ab-cdef-0f1e-2d3c4b5a6978", 36,
					  ERRCODE_INVALID_TEXT_REPRESENTATION, "invalid input syntax for type uuid") &&
		   conv_fails(conv_uuid, "0123abcd-89ab-cdef-0f1e-2d3c4b5a69\xc3\xa9", 36,
					  ERRCODE_INVALID_TEXT_REPRESENTATION, "invalid input syntax for type uuid"),
		   "convert: a malformed UUID is refused");
	{
		/*
		 * Every byte at every place of a UUID (read 16 digits at a time
		 * where SSE2 is): accepted exactly where it is a hexadecimal digit
		 * or the hyphen, with the value it must have.
		 */
		const char *base = "0123abcd-89ab-cdef-0f1e-2d3c4b5a6978";
		bool		all = true;
		int			pos;
		int			b;

		for (pos = 0; pos < 36; pos++)
		{
			for (b = 1; b < 256; b++)
			{
				char		in[37];
				char		want[37];
				bool		hyphen = pos == 8 || pos == 13 || pos == 18 || pos == 23;
				bool		ok;

				memcpy(in, base, 37);
				in[pos] = (char) b;
				memcpy(want, base, 37);
				want[pos] = (char) tolower(b);
				/* blanks at either end are trimmed, leaving too few characters */
				ok = hyphen ? b == '-' : isxdigit(b) != 0;
				if (ok ? !conv_ok(conv_uuid, in, 36, want) :
					!conv_fails(conv_uuid, in, 36, ERRCODE_INVALID_TEXT_REPRESENTATION,
								"invalid input syntax for type uuid"))
				{
					printf("#   byte %d at %d\n", b, pos);
					all = false;
				}
			}
		}
		report(all, "convert: every byte at every place of a UUID is read as it must be");
	}
	report(conv_ok(conv_text, "\xd0\x95\xd0\xb4", 4, "\xd0\x95\xd0\xb4") &&
		   conv_fails(conv_text, "a\0b", 3, ERRCODE_CHARACTER_NOT_IN_REPERTOIRE,
					  "invalid byte sequence for encoding \"UTF8\"") &&
		   conv_fails(conv_text, "a\xff", 2, ERRCODE_CHARACTER_NOT_IN_REPERTOIRE,
					  "invalid byte sequence for encoding \"UTF8\""),
		   "convert: text is checked UTF-8");
}

/*
 * Texts of a page the scanner read are not verified again
 * (MercuryPage.utf8_checked, issue 14): that is exact only if the scanner
 * refuses every byte sequence pg_verify_mbstr(PG_UTF8) refuses, in the
 * text it hands out as it is, in what it copies (CDATA) and in what it
 * decodes (character references).  First each kind of such sequence, at
 * every place of a 16-byte step and after two-byte characters (the text
 * is checked 16 bytes at a time); then every short sequence of bytes near
 * the UTF-8 boundaries, whose field text PostgreSQL's own verifier must
 * accept whenever the scanner does.
 */
static bool
scan_only(const char *doc, size_t len, MercuryParse *p)
{
	mercury_parse_init(p, UNIT_OP, false);
	p->size = len + 1;
	p->buf = palloc(p->size);
	return mercury_scan_body(doc, len, p);
}

/* The scanner reads <bs:name>before seq after</bs:name>, or refuses it. */
static bool
scan_name(const char *before, const char *seq, size_t seqlen,
		  const char *after, MercuryParse *p)
{
	StringInfoData doc;

	initStringInfo(&doc);
	appendStringInfo(&doc, ENV_OPEN "<bs:name>%s", before);
	appendBinaryStringInfo(&doc, seq, seqlen);
	appendStringInfo(&doc, "%s</bs:name><bs:guid>g</bs:guid>" ENV_CLOSE, after);
	return scan_only(doc.data, doc.len, p);
}

/*
 * A page as vetis_parse_page makes it from an answer to op; keep_tree: as
 * when a jsonb column is wanted.  *nunits (if given) gets its records.
 */
static MercuryPage *
page_of(const VetisOp *op, const char *doc, bool keep_tree, int *nunits)
{
	ResourceCtx ctx;
	VetisScan	vs;
	MercuryStream ms;
	ResourceStream stream;
	PageCursor	cursor;
	HttpRequest req;
	HttpResponse resp;
	PageResult	out;

	memset(&ctx, 0, sizeof(ctx));
	memset(&vs, 0, sizeof(vs));
	memset(&ms, 0, sizeof(ms));
	memset(&stream, 0, sizeof(stream));
	memset(&cursor, 0, sizeof(cursor));
	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	memset(&out, 0, sizeof(out));
	vs.op = ms.op = op;
	vs.keep_tree = keep_tree;
	ctx.state = &vs;
	stream.arg = &ms;
	resp.outcome = HTTP_COMPLETED;
	resp.status = 200;
	resp.body = pstrdup(doc);
	resp.len = strlen(doc);
	if (vetis_parse_page(&ctx, &stream, &cursor, &req, &resp, &out) != PAGE_OK)
		return NULL;
	if (nunits != NULL)
		*nunits = out.nrecords;
	return (MercuryPage *) out.records;
}

/* A unit page with at least one unit, as vetis_parse_page makes it. */
static MercuryPage *
parse_page_of(const char *doc)
{
	int			n;
	MercuryPage *page = page_of(UNIT_OP, doc, false, &n);

	return page != NULL && n >= 1 ? page : NULL;
}

static MercuryPage *fill_page;

static void
fill_name(void *arg)
{
	MercuryStream ms;
	ResourceStream stream;
	Datum		values[VETIS_MAX_COLUMNS];
	bool		nulls[VETIS_MAX_COLUMNS];
	bool		want[VETIS_MAX_COLUMNS];

	memset(&ms, 0, sizeof(ms));
	memset(&stream, 0, sizeof(stream));
	memset(want, 0, sizeof(want));
	ms.op = UNIT_OP;
	stream.arg = &ms;
	want[MC_NAME] = true;
	memset(nulls, true, sizeof(nulls));
	vetis_fill_row(NULL, &stream, fill_page, 0, want, values, nulls);
}

static void
test_scanned_utf8(void)
{
	static const struct
	{
		const char *what;
		const char *seq;
		int			len;
	}			bad[] = {
		{"a zero byte", "\x00", 1},
		{"an overlong two-byte NUL", "\xC0\x80", 2},
		{"an overlong two-byte '/'", "\xC0\xAF", 2},
		{"an overlong two-byte U+007F", "\xC1\xBF", 2},
		{"an overlong three-byte NUL", "\xE0\x80\x80", 3},
		{"an overlong three-byte U+07FF", "\xE0\x9F\xBF", 3},
		{"an overlong four-byte NUL", "\xF0\x80\x80\x80", 4},
		{"an overlong four-byte U+FFFF", "\xF0\x8F\xBF\xBF", 4},
		{"the first surrogate", "\xED\xA0\x80", 3},
		{"the last surrogate", "\xED\xBF\xBF", 3},
		{"a surrogate pair", "\xED\xA0\xBD\xED\xB2\xA9", 6},
		{"U+110000", "\xF4\x90\x80\x80", 4},
		{"a lead byte F5", "\xF5\x80\x80\x80", 4},
		{"a lead byte F7", "\xF7\xBF\xBF\xBF", 4},
		{"a five-byte form", "\xF8\x88\x80\x80\x80", 5},
		{"a six-byte form", "\xFC\x84\x80\x80\x80\x80", 6},
		{"the byte FE", "\xFE", 1},
		{"the byte FF", "\xFF", 1},
		{"a lone continuation byte 80", "\x80", 1},
		{"a lone continuation byte BF", "\xBF", 1},
		{"a continuation byte too many", "\xC3\xA9\xA9", 3},
		{"a two-byte sequence cut after its lead", "\xC3", 1},
		{"a three-byte sequence cut after two bytes", "\xE2\x82", 2},
		{"a three-byte sequence cut after its lead", "\xE2", 1},
		{"a four-byte sequence cut after three bytes", "\xF0\x9F\x98", 3},
		{"a four-byte sequence cut after two bytes", "\xF0\x9F", 2},
		{"a lead byte before a lead byte", "\xC3\xC3\xA9", 3},
	};
	static const char *const bad_refs[] = {
		"&#0;", "&#x0;", "&#x00000000;", "&#xD800;", "&#xDFFF;", "&#55296;",
		"&#57343;", "&#x110000;", "&#1114112;", "&#xFFFFFFFF;",
		"&#x100000000;", "&#4294967296;", "&#99999999999;", "&#x;", "&#;",
	};
	/* what the byte sequences stand between: each place of a step */
	static const char *const afters[] = {"", "b", "bcdefghijklmnopqrstu",
	"\xD0\x95\xD0\xB4\xD0\xB8\xD0\xBD\xD0\xB8\xD1\x86\xD0\xB0", "&amp;"};
	const char *cyr = "\xD0\x95\xD0\xB4\xD0\xB8\xD0\xBD\xD0\xB8\xD1\x86\xD0\xB0\xD0\xB8";
	MercuryParse p;
	bool		all = true;
	bool		controls = true;
	int			i,
				k,
				a;

	for (i = 0; i < (int) lengthof(bad); i++)
	{
		bool		refused = true;

		/* never valid, or there would be nothing for the scanner to refuse */
		if (pg_verify_mbstr(PG_UTF8, bad[i].seq, bad[i].len, true))
		{
			printf("#   pg_verify_mbstr accepts %s\n", bad[i].what);
			all = false;
		}
		for (k = 0; k <= 24; k++)
		{
			for (a = 0; a < (int) lengthof(afters); a++)
			{
				char		before[64];
				bool		cyrillic = k > 16;
				int			n = cyrillic ? (k - 16) * 2 : k;

				/* k ASCII bytes, or k - 16 Cyrillic letters, before it */
				if (cyrillic)
					memcpy(before, cyr, n);
				else
					memset(before, 'a', n);
				before[n] = '\0';
				if (scan_name(before, bad[i].seq, bad[i].len, afters[a], &p))
				{
					printf("#   accepted %s after %d %s bytes, before \"%s\"\n",
						   bad[i].what, n, cyrillic ? "Cyrillic" : "ASCII", afters[a]);
					refused = false;
				}
				/* the same with a valid character there is read */
				if (!scan_name(before, "\xC3\xA9", 2, afters[a], &p))
				{
					printf("#   refused the control for %d bytes before \"%s\"\n",
						   n, afters[a]);
					controls = false;
				}
				shim_reset();
			}
			/* in a CDATA section */
			if (k <= 16)
			{
				char	   *cdata = psprintf("<![CDATA[%.*s", k, "aaaaaaaaaaaaaaaa");
				char	   *tail = psprintf("x]]>");
				char	   *seq = palloc(bad[i].len + strlen(tail) + 1);

				memcpy(seq, bad[i].seq, bad[i].len);
				strcpy(seq + bad[i].len, tail);
				if (scan_name(cdata, seq, bad[i].len + strlen(tail), "", &p))
				{
					printf("#   accepted %s in CDATA after %d bytes\n", bad[i].what, k);
					refused = false;
				}
				shim_reset();
			}
		}
		if (!refused)
			all = false;
	}
	report(all, "scanned UTF-8: the scanner refuses each kind of sequence pg_verify_mbstr refuses, at every place of a 16-byte step, after Cyrillic text, in CDATA");
	report(controls, "scanned UTF-8: ... and reads the same texts with a valid character instead");

	all = true;
	for (i = 0; i < (int) lengthof(bad_refs); i++)
	{
		for (a = 0; a < (int) lengthof(afters); a++)
		{
			if (scan_name("a", bad_refs[i], strlen(bad_refs[i]), afters[a], &p))
			{
				printf("#   accepted %s before \"%s\"\n", bad_refs[i], afters[a]);
				all = false;
			}
			shim_reset();
		}
	}
	report(all, "scanned UTF-8: the scanner refuses character references to NUL, surrogates and beyond U+10FFFF");

	/*
	 * Every sequence of one to three bytes of this alphabet, and of four
	 * that starts with a lead byte of three or four, after 0-16 ASCII
	 * bytes or 1-8 Cyrillic letters (four: after 0 and 14 ASCII bytes):
	 * whenever the scanner reads it, the field's text is valid UTF-8 to
	 * PostgreSQL.
	 */
	{
		static const unsigned char alpha[] = {
			0x00, 0x01, 0x09, 0x0A, 0x0D, 0x20, '&', '<', 'A', ']', 0x7F,
			0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBE, 0xBF, 0xC0, 0xC1, 0xC2,
			0xD0, 0xDF, 0xE0, 0xE1, 0xED, 0xEE, 0xEF, 0xF0, 0xF4, 0xF5,
			0xF8, 0xFF
		};
		static const unsigned char leads4[] = {0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5};
		int			na = lengthof(alpha);
		long		accepted = 0,
					refused = 0;
		int			len;

		all = true;
		for (len = 1; len <= 4; len++)
		{
			int			nfirst = len == 4 ? lengthof(leads4) : na;
			long		combos = nfirst;
			long		c;

			for (i = 1; i < len; i++)
				combos *= na;
			for (c = 0; c < combos; c++)
			{
				char		seq[4];
				long		r = c;

				for (i = len - 1; i > 0; i--)
				{
					seq[i] = (char) alpha[r % na];
					r /= na;
				}
				seq[0] = (char) (len == 4 ? leads4[r] : alpha[r]);
				for (k = 0; k <= 24; k++)
				{
					char		before[32];
					bool		cyrillic = k > 16;
					int			n = cyrillic ? (k - 16) * 2 : k;

					if (len == 4 && k != 0 && k != 14)
						continue;
					if (cyrillic)
						memcpy(before, cyr, n);
					else
						memset(before, 'a', n);
					before[n] = '\0';
					if (scan_name(before, seq, len, "", &p))
					{
						const char *v = p.units[0].val[MC_NAME];
						int			vlen = p.units[0].len[MC_NAME];

						accepted++;
						if (v == NULL || !pg_verify_mbstr(PG_UTF8, v, vlen, true))
						{
							printf("#   accepted bytes %02x %02x %02x %02x (%d) after %d bytes\n",
								   (unsigned char) seq[0], len > 1 ? (unsigned char) seq[1] : 0,
								   len > 2 ? (unsigned char) seq[2] : 0,
								   len > 3 ? (unsigned char) seq[3] : 0, len, n);
							all = false;
						}
					}
					else
						refused++;
					if ((accepted + refused) % 1024 == 0)
						shim_reset();
				}
			}
		}
		shim_reset();
		printf("#   %ld texts read, %ld refused\n", accepted, refused);
		report(all && accepted > 1000 && refused > 1000,
			   "scanned UTF-8: every text of 1-4 bytes near the UTF-8 boundaries the scanner reads is valid to pg_verify_mbstr");
	}

	/*
	 * The page says whether the scanner read it, and an unverified text is
	 * verified: a page read by libxml2 (a CR LF sends it there), its text
	 * then replaced by bytes that are not UTF-8, is refused; the same page
	 * marked as scanned would take them (which is why only the scanner may
	 * mark a page so).
	 */
	{
		MercuryPage *scanned = parse_page_of(ENV_OPEN "<bs:name>n</bs:name>" ENV_CLOSE);
		MercuryPage *fallback = parse_page_of(ENV_OPEN "<bs:name>n</bs:name><bs:status>a\r\nb</bs:status>" ENV_CLOSE);
		bool		refused;
		bool		taken;

		report(scanned != NULL && scanned->utf8_checked &&
			   fallback != NULL && !fallback->utf8_checked,
			   "scanned UTF-8: only a page the scanner read is marked as checked");
		if (fallback != NULL)
		{
			mercury_value_op = UNIT_OP;
			fallback->units[0].val[MC_NAME] = "a\xff";
			fallback->units[0].len[MC_NAME] = 2;
			fill_page = fallback;
			refused = !no_error(fill_name, NULL) &&
				shim_last_sqlstate() == ERRCODE_CHARACTER_NOT_IN_REPERTOIRE;
			fallback->utf8_checked = true;
			taken = no_error(fill_name, NULL);
			report(refused && taken,
				   "scanned UTF-8: a text of a page libxml2 read is verified (and the skip is real)");
		}
		shim_reset();
	}
}

/*
 * A row's UUIDs and texts are made in one allocation (issue 14): in a
 * UTF-8 database each is what the answer said, the UUIDs next to each
 * other and the texts after them, int-aligned; an absent or nil field
 * takes no room.  In a LATIN1 database texts are converted as before.
 */
static MercuryPage *row_page;
static int	row_index;
static Datum row_values[VETIS_MAX_COLUMNS];
static bool row_nulls[VETIS_MAX_COLUMNS];

static void
fill_all(void *arg)
{
	MercuryStream ms;
	ResourceStream stream;
	bool		want[VETIS_MAX_COLUMNS];

	memset(&ms, 0, sizeof(ms));
	memset(&stream, 0, sizeof(stream));
	memset(want, true, sizeof(want));
	ms.op = UNIT_OP;
	stream.arg = &ms;
	memset(row_nulls, true, sizeof(row_nulls));
	vetis_fill_row(NULL, &stream, row_page, row_index, want, row_values, row_nulls);
}

static bool
text_is(Datum d, const char *want)
{
	text	   *t = (text *) DatumGetPointer(d);

	return VARSIZE_ANY_EXHDR(t) == strlen(want) &&
		memcmp(VARDATA_ANY(t), want, strlen(want)) == 0;
}

static bool
uuid_is(Datum d, int last)
{
	const unsigned char *u = DatumGetUUIDP(d)->data;
	int			i;

	for (i = 0; i < 15; i++)
		if (u[i] != (i == 6 ? 0x40 : (i == 8 ? 0x80 : 0)))
			return false;
	return u[15] == last;
}

static void
test_row_alloc(void)
{
	const VetisOp *op = UNIT_OP;
	MercuryPage *page = parse_page_of(
		"<s:Envelope xmlns:s=\"" SOAP_ENV_NS "\"><s:Body>"
		"<ws:getUnitChangesListResponse xmlns:ws=\"urn:ws\" xmlns:bs=\"urn:bs\">"
		"<ws:unitList count=\"2\" total=\"2\" offset=\"0\">"
		"<ws:unit><bs:uuid>00000000-0000-4000-8000-000000000001</bs:uuid>"
		"<bs:guid>00000000-0000-4000-8000-000000000002</bs:guid>"
		"<bs:status>CREATED</bs:status><bs:previous>00000000-0000-4000-8000-000000000003</bs:previous>"
		"<bs:next>00000000-0000-4000-8000-000000000004</bs:next><bs:name>n</bs:name>"
		"<bs:fullName>\xD0\x95\xD0\xB4\xD0\xB8\xD0\xBD\xD0\xB8\xD1\x86\xD0\xB0 &#xE9;</bs:fullName>"
		"<bs:commonUnitGuid>00000000-0000-4000-8000-000000000005</bs:commonUnitGuid></ws:unit>"
		"<ws:unit><bs:uuid>00000000-0000-4000-8000-000000000006</bs:uuid>"
		"<bs:name xmlns:i=\"" XSI_NS "\" i:nil=\"true\"/><bs:fullName>abc</bs:fullName></ws:unit>"
		"</ws:unitList></ws:getUnitChangesListResponse></s:Body></s:Envelope>");
	int			c_uuid = vetis_find_op("unit_changes")->fieldcol[0];
	int			cols[VETIS_MAX_COLUMNS];
	int			ncols = 0;
	int			c;
	bool		ok;
	bool		one;
	bool		latin1;
	const char *base;
	const char *end;

	/* the text and UUID columns, in column order */
	for (c = 0; c < op->ncolumns; c++)
		if (op->colkind[c] == VC_FIELD &&
			(op->columns[c].typid == UUIDOID || op->columns[c].typid == TEXTOID))
			cols[ncols++] = c;

	mercury_value_op = op;
	row_page = page;
	row_index = 0;
	ok = page != NULL && page->utf8_checked && no_error(fill_all, NULL);
	one = ok;
	if (ok)
	{
		int			nu = 0;

		/* uuid guid previous next common_unit_guid; status name full_name */
		for (c = 0; c < ncols; c++)
			if (op->columns[cols[c]].typid == UUIDOID)
			{
				ok &= !row_nulls[cols[c]] && uuid_is(row_values[cols[c]], ++nu);
				/* next to each other, in column order, from the first */
				one &= DatumGetPointer(row_values[cols[c]]) ==
					DatumGetPointer(row_values[c_uuid]) + (nu - 1) * sizeof(pg_uuid_t);
			}
		ok &= nu == 5 &&
			text_is(row_values[op->fieldcol[4]], "CREATED") &&
			text_is(row_values[MC_NAME], "n") &&
			text_is(row_values[MC_NAME + 1], "\xD0\x95\xD0\xB4\xD0\xB8\xD0\xBD\xD0\xB8\xD1\x86\xD0\xB0 \xC3\xA9");
		/* the texts right after the UUIDs, one after the other, aligned */
		base = DatumGetPointer(row_values[c_uuid]) + 5 * sizeof(pg_uuid_t);
		end = base;
		for (c = 0; c < ncols; c++)
			if (op->columns[cols[c]].typid == TEXTOID)
			{
				const char *t = DatumGetPointer(row_values[cols[c]]);

				one &= t == end && ((uintptr_t) t % sizeof(int32)) == 0;
				end = t + INTALIGN(VARSIZE(t));
			}
	}
	row_index = 1;
	ok &= page != NULL && no_error(fill_all, NULL) &&
		uuid_is(row_values[c_uuid], 6) && row_nulls[MC_NAME] &&
		row_nulls[op->fieldcol[1]] && text_is(row_values[MC_NAME + 1], "abc") &&
		DatumGetPointer(row_values[MC_NAME + 1]) ==
		DatumGetPointer(row_values[c_uuid]) + sizeof(pg_uuid_t);
	report(ok && one, "row allocation: a row's UUIDs and texts are right, made one after the other in one allocation, absent fields taking no room");

	/* LATIN1: texts converted (and allocated) on their own */
	shim_set_database_encoding(PG_LATIN1);
	row_index = 1;
	latin1 = page != NULL && no_error(fill_all, NULL) && text_is(row_values[MC_NAME + 1], "abc") &&
		uuid_is(row_values[c_uuid], 6);
	row_index = 0;
	latin1 = latin1 && !no_error(fill_all, NULL) &&
		shim_last_sqlstate() == ERRCODE_UNTRANSLATABLE_CHARACTER;
	shim_set_database_encoding(PG_UTF8);
	report(latin1, "row allocation: in a LATIN1 database texts are converted, and a character LATIN1 lacks refused");
	shim_reset();
}

/*
 * xs:dateTime (issue 14): the layout Mercury writes read in one step, the
 * others by the general code, a date's day number kept from the value
 * before.  Values in order, so that the kept day number is hit, missed,
 * and hit again after an ERROR; the expected microseconds since
 * 2000-01-01 00:00 UTC were computed elsewhere (Python's datetime).
 */
static Datum ts_out;

static void
conv_ts(void *arg)
{
	ts_out = mercury_timestamp_datum(5, conv_in, conv_len);
}

static void
test_timestamps(void)
{
	static const struct
	{
		const char *in;
		int64		want;
		int			sqlstate;	/* 0: accepted */
		const char *message;
	}			cases[] = {
		{"2024-01-01T00:00:00+03:00", INT64CONST(757371600000000)},
		{"2024-01-01T00:10:00+03:00", INT64CONST(757372200000000)},
		{" 2024-01-01T00:00:00.5+03:00\n", INT64CONST(757371600500000)},
		{"2024-01-02T23:59:59+03:00", INT64CONST(757544399000000)},
		{"2024-01-01T12:00:00Z", INT64CONST(757425600000000)},
		{"2023-02-29T00:00:00Z", 0, ERRCODE_DATETIME_FIELD_OVERFLOW, "date/time field value out of range"},
		{"2024-01-01T12:00:00Z", INT64CONST(757425600000000)},
		{"2024-02-29T10:20:30.123456-05:30", INT64CONST(762537030123456)},
		{"1999-12-31T24:00:00Z", 0},
		{"0001-01-01T00:00:00Z", INT64CONST(-63082281600000000)},
		{"9999-12-31T23:59:59.9999995+14:00", INT64CONST(252455565600000000)},
		{"1970-01-01T00:00:00", INT64CONST(-946684800000000)},
		{"10000-01-01T00:00:00Z", INT64CONST(252455616000000000)},
		{"2024-01-01T00:00:00+03:00", INT64CONST(757371600000000)},
		{"0000-01-01T00:00:00Z", 0, ERRCODE_DATETIME_VALUE_OUT_OF_RANGE, "timestamp out of range"},
		{"2024-13-01T00:00:00Z", 0, ERRCODE_DATETIME_FIELD_OVERFLOW, "date/time field value out of range"},
		{"2024-01-01T24:00:01Z", 0, ERRCODE_DATETIME_FIELD_OVERFLOW, "date/time field value out of range"},
		{"2024-01-01T00:00:60Z", 0, ERRCODE_DATETIME_FIELD_OVERFLOW, "date/time field value out of range"},
		{"2024-01-01X00:00:00Z", 0, ERRCODE_INVALID_DATETIME_FORMAT, "invalid input syntax for type timestamp with time zone"},
		{"2024-01-01T00:00:0aZ", 0, ERRCODE_INVALID_DATETIME_FORMAT, "invalid input syntax for type timestamp with time zone"},
		{"2024-1-01T00:00:00Z", 0, ERRCODE_INVALID_DATETIME_FORMAT, "invalid input syntax for type timestamp with time zone"},
		{"2024-01-01T00:00", 0, ERRCODE_INVALID_DATETIME_FORMAT, "invalid input syntax for type timestamp with time zone"},
		{"2024-01-01T00:00:00+3:00", 0, ERRCODE_INVALID_DATETIME_FORMAT, "invalid input syntax for type timestamp with time zone"},
		{"-2024-01-01T00:00:00Z", 0, ERRCODE_DATETIME_VALUE_OUT_OF_RANGE, "timestamp out of range"},
		{"02024-01-01T00:00:00Z", 0, ERRCODE_INVALID_DATETIME_FORMAT, "invalid input syntax for type timestamp with time zone"},
		{"2024-01-31T23:00:00Z", INT64CONST(760057200000000)},
		{"2024-02-01T00:00:00Z", INT64CONST(760060800000000)},
		{"2025-01-01T00:00:00Z", INT64CONST(789004800000000)},
		{"2024-01-01T00:00:00+03:00", INT64CONST(757371600000000)},
	};
	bool		all = true;
	int			i;

	mercury_value_op = UNIT_OP;
	mercury_value_secrets = NIL;
	for (i = 0; i < (int) lengthof(cases); i++)
	{
		bool		ok;

		conv_in = cases[i].in;
		conv_len = strlen(cases[i].in);
		if (cases[i].sqlstate == 0)
			ok = no_error(conv_ts, NULL) &&
				DatumGetTimestampTz(ts_out) == cases[i].want;
		else
			ok = conv_fails(conv_ts, cases[i].in, conv_len, cases[i].sqlstate,
							cases[i].message);
		if (!ok)
		{
			printf("#   %s\n", cases[i].in);
			all = false;
		}
	}
	report(all, "convert: xs:dateTime values in the usual layout and others, a date's day number kept from the value before, are exact");

	/*
	 * The usual layout is recognized eight bytes at a time: every byte at
	 * every place of it, against a byte-by-byte reading of the layout.
	 */
	all = true;
	{
		const char *base = "2024-01-31T23:59:58+03:00";
		int			pos;
		int			b;

		for (pos = 0; pos < 19; pos++)
		{
			for (b = 0; b < 256; b++)
			{
				char		in[32];
				bool		want = true;
				bool		got;
				int			k;
				int			y,
							mo,
							d,
							h,
							mi,
							se;

				strcpy(in, base);
				in[pos] = (char) b;
				for (k = 0; k < 19; k++)
				{
					char		c = in[k];

					if (k == 4 || k == 7)
						want &= c == '-';
					else if (k == 10)
						want &= c == 'T';
					else if (k == 13 || k == 16)
						want &= c == ':';
					else
						want &= c >= '0' && c <= '9';
				}
				want &= strncmp(in, "0000", 4) != 0;
				got = mercury_datetime_fixed(in, 25, &y, &mo, &d, &h, &mi, &se);
				if (got != want ||
					(got && (y != atoi(in) || mo != atoi(in + 5) || d != atoi(in + 8) ||
							 h != atoi(in + 11) || mi != atoi(in + 14) || se != atoi(in + 17))))
				{
					printf("#   byte %d at %d: %d\n", b, pos, got);
					all = false;
				}
			}
		}
	}
	report(all, "convert: every byte at every place of the usual xs:dateTime layout is read as it must be");
}

/*
 * xs:integer texts the scan converted before are not converted again
 * (issue 14): a row gets a copy of the numeric kept in VetisScan, in its
 * own allocation; the values are the same as without the scan's state,
 * also when two texts share a slot and replace each other, and a text
 * whose conversion failed is not kept.
 */
static ResourceCtx *num_ctx;

/* ctx as a scan of op's with vs as its state, in the current context */
static void
scan_ctx_of(ResourceCtx *ctx, VetisScan *vs, const VetisOp *op)
{
	memset(ctx, 0, sizeof(*ctx));
	vs->op = op;
	ctx->state = vs;
	ctx->scan_cxt = CurrentMemoryContext;
}

static void
fill_ctx(void *arg)
{
	MercuryStream ms;
	ResourceStream stream;
	bool		want[VETIS_MAX_COLUMNS];

	memset(&ms, 0, sizeof(ms));
	memset(&stream, 0, sizeof(stream));
	memset(want, true, sizeof(want));
	ms.op = UNIT_OP;
	stream.arg = &ms;
	memset(row_nulls, true, sizeof(row_nulls));
	vetis_fill_row(num_ctx, &stream, row_page, row_index, want, row_values, row_nulls);
}

static void
test_numeric_cache(void)
{
	const VetisOp *op = UNIT_OP;
	int			c_factor = op->fieldcol[12];
	int			c_uuid = op->fieldcol[0];
	VetisScan	vs;
	ResourceCtx ctx;
	const char *values[24];
	int			nvalues = 0;
	char		collide[2][8];
	StringInfoData doc;
	MercuryPage *page;
	bool		same = true;
	bool		copies = true;
	bool		kept = true;
	int			i;

	memset(&vs, 0, sizeof(vs));
	scan_ctx_of(&ctx, &vs, op);

	/* two texts of one slot */
	strcpy(collide[0], "1");
	for (i = 2; i < 100000; i++)
	{
		snprintf(collide[1], sizeof(collide[1]), "%d", i);
		if (vetis_numeric_slot(&vs, collide[1], strlen(collide[1])) ==
			vetis_numeric_slot(&vs, "1", 1))
			break;
	}
	values[nvalues++] = "1";
	values[nvalues++] = "10";
	values[nvalues++] = "1";
	values[nvalues++] = "007";
	values[nvalues++] = " 42\n";
	values[nvalues++] = "42";
	values[nvalues++] = "-0";
	values[nvalues++] = "1000000000000000000000000";
	values[nvalues++] = "1000000000000000000000000";
	values[nvalues++] = collide[1];
	values[nvalues++] = "1";
	values[nvalues++] = collide[1];
	values[nvalues++] = "10";
	values[nvalues++] = "12345678901234567890123456789012345678901";	/* not kept */
	values[nvalues++] = "12345678901234567890123456789012345678901";
	values[nvalues++] = "1x";	/* refused */
	values[nvalues++] = "10";

	initStringInfo(&doc);
	appendStringInfo(&doc, LIST_OPEN_FMT, nvalues, nvalues);
	for (i = 0; i < nvalues; i++)
		appendStringInfo(&doc, "<ws:unit><bs:uuid>00000000-0000-4000-8000-0000000000%02x</bs:uuid>"
						 "<bs:name>n</bs:name><bs:factor>%s</bs:factor></ws:unit>", i, values[i]);
	appendStringInfoString(&doc, LIST_CLOSE);
	page = parse_page_of(doc.data);

	mercury_value_op = op;
	row_page = page;
	for (i = 0; page != NULL && i < nvalues; i++)
	{
		char	   *plain = NULL;
		char	   *with = NULL;
		bool		plain_ok;
		bool		with_ok;

		row_index = i;
		num_ctx = NULL;
		plain_ok = no_error(fill_ctx, NULL);
		if (plain_ok)
			plain = text_to_cstring((text *) DatumGetPointer(row_values[c_factor]));
		num_ctx = &ctx;
		with_ok = no_error(fill_ctx, NULL);
		if (with_ok)
		{
			const char *d = DatumGetPointer(row_values[c_factor]);
			int			k;

			with = text_to_cstring((text *) d);
			/* never the kept numeric itself */
			for (k = 0; k < VETIS_NUMERIC_SLOTS; k++)
				copies &= vs.numerics[k].len == 0 || d != (const char *) vs.numerics[k].value;
		}
		if (plain_ok != with_ok || (plain_ok && strcmp(plain, with) != 0))
		{
			printf("#   %s: %s / %s\n", values[i], plain ? plain : "ERROR", with ? with : "ERROR");
			same = false;
		}
		/* converted or refused now, then what the slot holds */
		kept &= (vetis_numeric_known(&vs, values[i], strlen(values[i])) != NULL) ==
			(with_ok && strlen(values[i]) <= VETIS_NUMERIC_KEY);
	}
	/* "10", kept by the last row: a copy in the row's allocation */
	if (page != NULL)
	{
		row_index = 1;
		num_ctx = &ctx;
		copies &= vetis_numeric_known(&vs, "10", 2) != NULL &&
			no_error(fill_ctx, NULL) &&
			DatumGetPointer(row_values[c_factor]) ==
			DatumGetPointer(row_values[c_uuid]) + sizeof(pg_uuid_t) +
			INTALIGN(VARHDRSZ + 1);	/* after the UUID and the name "n" */
	}
	report(page != NULL && same, "numeric cache: xs:integer values are the same with the scan's kept numerics as without, also for two texts of one slot");
	report(page != NULL && copies, "numeric cache: a row gets a copy of a kept numeric, in the row's allocation");
	report(page != NULL && kept, "numeric cache: a converted text of up to 40 bytes is kept, a refused or longer one is not");
	shim_reset();
}

/*
 * A scan's rows share one buffer for their UUIDs, texts and numerics
 * (issue 14): each row's values are the same as a row filled on its own
 * gives, the buffer is used again by the next row, and it grows when a
 * row needs more than the rows before it did.
 */
static void
test_row_buf(void)
{
	const VetisOp *op = UNIT_OP;
	int			c_uuid = op->fieldcol[0];
	int			c_name = op->fieldcol[9];
	int			c_factor = op->fieldcol[12];
	VetisScan	vs;
	ResourceCtx ctx;
	StringInfoData doc;
	MercuryPage *page;
	char		big[1201];
	const char *names[5];
	int			nrows = 5;
	bool		same = true;
	bool		reused = true;
	bool		grew = false;
	char	   *first_buf = NULL;
	Size		first_size = 0;
	int			i;

	memset(&vs, 0, sizeof(vs));
	scan_ctx_of(&ctx, &vs, op);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	names[0] = "a";
	names[1] = "bb";
	names[2] = big;				/* more than the first rows' room */
	names[3] = "c";
	names[4] = "dd";

	initStringInfo(&doc);
	appendStringInfo(&doc, LIST_OPEN_FMT, nrows, nrows);
	for (i = 0; i < nrows; i++)
		appendStringInfo(&doc, "<ws:unit><bs:uuid>00000000-0000-4000-8000-0000000000%02x</bs:uuid>"
						 "<bs:guid>00000000-0000-4000-9000-0000000000%02x</bs:guid>"
						 "<bs:name>%s</bs:name><bs:factor>%d</bs:factor></ws:unit>",
						 i, i + 16, names[i], i + 1);
	appendStringInfoString(&doc, LIST_CLOSE);
	page = parse_page_of(doc.data);

	mercury_value_op = op;
	row_page = page;
	for (i = 0; page != NULL && i < nrows; i++)
	{
		pg_uuid_t	plain_uuid;
		char	   *plain_name;
		char	   *plain_factor;
		char	   *name;
		char	   *factor;

		row_index = i;
		num_ctx = NULL;
		if (!no_error(fill_ctx, NULL))
		{
			same = false;
			break;
		}
		memcpy(&plain_uuid, DatumGetPointer(row_values[c_uuid]), sizeof(plain_uuid));
		plain_name = text_to_cstring((text *) DatumGetPointer(row_values[c_name]));
		plain_factor = text_to_cstring((text *) DatumGetPointer(row_values[c_factor]));

		num_ctx = &ctx;
		if (!no_error(fill_ctx, NULL))
		{
			same = false;
			break;
		}
		name = text_to_cstring((text *) DatumGetPointer(row_values[c_name]));
		factor = text_to_cstring((text *) DatumGetPointer(row_values[c_factor]));
		if (memcmp(&plain_uuid, DatumGetPointer(row_values[c_uuid]), sizeof(plain_uuid)) != 0 ||
			strcmp(plain_name, name) != 0 || strcmp(plain_name, names[i]) != 0 ||
			strcmp(plain_factor, factor) != 0)
		{
			printf("#   row %d: %s / %s, %s / %s\n", i, plain_name, name, plain_factor, factor);
			same = false;
		}

		/* the row's values are in the scan's buffer */
		if (DatumGetPointer(row_values[c_uuid]) != vs.row_buf)
			reused = false;
		if (i == 0)
		{
			first_buf = vs.row_buf;
			first_size = vs.row_buf_size;
		}
		else if (i == 1 && (vs.row_buf != first_buf || vs.row_buf_size != first_size))
			reused = false;
		/* the row after the big one asks for the room that one needed */
		if (i == 3)
			grew = vs.row_buf_size > first_size && vs.row_buf_size >= sizeof(big);
		else if (i == 4 && vs.row_buf_size < sizeof(big))
			grew = false;
	}
	report(page != NULL && same, "row buffer: each row's UUIDs, texts and numerics through the scan's buffer are the ones a row filled on its own has");
	report(page != NULL && reused, "row buffer: the rows of a scan use one buffer again and again");
	report(page != NULL && grew, "row buffer: the buffer grows when a row needs more room than the ones before");
	shim_reset();
}

/*
 * The per-scan plan of the wanted columns (issue 14): a row filled with a
 * subset of the columns, through a scan's VetisScan whose plan is made
 * again when another subset is asked (as a rescan with other columns
 * would), has every wanted column as filling that column alone gives it
 * (values, nulls and ERRORs; rows with a bad value fail exactly when a
 * subset holds its column), and leaves the other columns alone.  The
 * operations mix UUIDs, texts, numerics, booleans, timestamps, integers,
 * jsonb fields (one repeated), the record, begin/end and a key.  The
 * shim's jsonb is a placeholder: for jsonb only null-ness compares.
 */
#define PLAN_UNITS	4

typedef struct PlanFill
{
	ResourceCtx *ctx;
	ResourceStream *stream;
	MercuryPage *page;
	int			index;
	const bool *want;
	Datum	   *values;
	bool	   *nulls;
} PlanFill;

static void
plan_fill(void *arg)
{
	PlanFill   *pf = (PlanFill *) arg;

	vetis_fill_row(pf->ctx, pf->stream, pf->page, pf->index, pf->want,
				   pf->values, pf->nulls);
}

static bool
plan_same(Oid typid, Datum a, Datum b)
{
	switch (typid)
	{
		case UUIDOID:
			return memcmp(DatumGetPointer(a), DatumGetPointer(b),
						  sizeof(pg_uuid_t)) == 0;
		case BOOLOID:
		case INT4OID:
		case TIMESTAMPTZOID:
			return a == b;
		case JSONBOID:
			return true;
		default:
			return VARSIZE_ANY(DatumGetPointer(a)) == VARSIZE_ANY(DatumGetPointer(b)) &&
				memcmp(DatumGetPointer(a), DatumGetPointer(b),
					   VARSIZE_ANY(DatumGetPointer(a))) == 0;
	}
}

/* Checks one operation's page; false (and a line) at the first difference. */
static bool
plan_case(const char *what, const VetisOp *op, const char *doc,
		  MercuryStream *ms, int expect_units, TimestampTz begin,
		  TimestampTz end)
{
	ResourceStream stream;
	ResourceCtx ctx;
	VetisScan  *vs = palloc0(sizeof(VetisScan));
	MercuryPage *page;
	int			nunits = 0;
	Datum		ref[PLAN_UNITS][VETIS_MAX_COLUMNS];
	bool		refnull[PLAN_UNITS][VETIS_MAX_COLUMNS];
	int			referr[PLAN_UNITS][VETIS_MAX_COLUMNS];	/* SQLSTATE, 0 none */
	bool		want[VETIS_MAX_COLUMNS];
	Datum		values[VETIS_MAX_COLUMNS];
	bool		nulls[VETIS_MAX_COLUMNS];
	PlanFill	pf;
	uint32		seed = 12345;
	int			nerr = 0;
	int			u;
	int			c;
	int			r;

	memset(&stream, 0, sizeof(stream));
	stream.arg = ms;
	scan_ctx_of(&ctx, vs, op);
	page = page_of(op, doc, true, &nunits);
	if (page == NULL || nunits != expect_units || nunits > PLAN_UNITS)
	{
		printf("#   %s: the page was not read (%d units)\n", what, nunits);
		return false;
	}
	mercury_value_op = op;

	/* each column alone, without a scan's state */
	pf.ctx = NULL;
	pf.stream = &stream;
	pf.page = page;
	pf.want = want;
	pf.values = values;
	pf.nulls = nulls;
	for (u = 0; u < nunits; u++)
		for (c = 0; c < op->ncolumns; c++)
		{
			memset(want, 0, sizeof(want));
			want[c] = true;
			memset(nulls, true, sizeof(nulls));
			pf.index = u;
			referr[u][c] = no_error(plan_fill, &pf) ? 0 : shim_last_sqlstate();
			ref[u][c] = values[c];
			refnull[u][c] = nulls[c];
			nerr += referr[u][c] != 0;
		}
	if (nerr == 0)
	{
		printf("#   %s: no column fails alone\n", what);
		return false;
	}
	/* the request's columns: begin, end (-1: NULL) and the key as given */
	for (c = 0; c < op->ncolumns; c++)
		if ((op->colkind[c] == VC_BEGIN &&
			 (refnull[0][c] || DatumGetTimestampTz(ref[0][c]) != begin)) ||
			(op->colkind[c] == VC_END &&
			 (refnull[0][c] != (end < 0) ||
			  (end >= 0 && DatumGetTimestampTz(ref[0][c]) != end))) ||
			(op->colkind[c] == VC_KEY &&
			 (refnull[0][c] || ref[0][c] != ms->key)))
		{
			printf("#   %s: column %d is not the request's\n", what, c);
			return false;
		}

	/* subsets, another one every few rows, through the scan's plan */
	pf.ctx = &ctx;
	for (r = 0; r < 400; r++)
	{
		int			err = 0;
		int			got;

		if (r % 3 == 0)
		{
			for (c = 0; c < op->ncolumns; c++)
			{
				seed = seed * 1103515245 + 12345;
				/* all, none, or about half of the columns */
				want[c] = r % 30 == 0 ? true : r % 30 == 3 ? false : (seed >> 16) & 1;
			}
		}
		u = r % nunits;
		for (c = 0; c < VETIS_MAX_COLUMNS; c++)
		{
			values[c] = (Datum) (0x5EED0000 + c);
			nulls[c] = (c + r) % 2 == 0;
		}
		pf.index = u;
		got = no_error(plan_fill, &pf) ? 0 : shim_last_sqlstate();
		for (c = 0; c < op->ncolumns && err == 0; c++)
			if (want[c] && referr[u][c] != 0)
				err = referr[u][c];
		if (got != err)
		{
			printf("#   %s: row %d, round %d: SQLSTATE %d, alone %d\n", what, u, r, got, err);
			return false;
		}
		if (vs->plan.op != op ||
			memcmp(vs->plan.want, want, op->ncolumns) != 0)
		{
			printf("#   %s: round %d: the plan is not the one of the columns\n", what, r);
			return false;
		}
		if (got != 0)
			continue;
		for (c = 0; c < VETIS_MAX_COLUMNS; c++)
		{
			bool		ok;

			if (c >= op->ncolumns || !want[c])
				ok = values[c] == (Datum) (0x5EED0000 + c) &&
					nulls[c] == ((c + r) % 2 == 0);
			else
				ok = nulls[c] == refnull[u][c] &&
					(nulls[c] || plan_same(op->columns[c].typid, values[c], ref[u][c]));
			if (!ok)
			{
				printf("#   %s: row %d, round %d: column %d differs\n", what, u, r, c);
				return false;
			}
		}
	}
	return true;
}

static void
test_fill_plan(void)
{
	const char *items =
		"<s:Envelope xmlns:s=\"" SOAP_ENV_NS "\"><s:Body>"
		"<ws:getProductItemChangesListResponse xmlns:ws=\"urn:ws\" xmlns:bs=\"urn:bs\" xmlns:dt=\"urn:dt\">"
		"<dt:productItemList count=\"3\" total=\"3\" offset=\"0\">"
		"<dt:productItem><bs:uuid>00000000-0000-4000-8000-000000000001</bs:uuid>"
		"<bs:guid>00000000-0000-4000-8000-000000000002</bs:guid><bs:active>true</bs:active>"
		"<bs:last>false</bs:last><bs:status>MOVED</bs:status>"
		"<bs:createDate>2021-03-04T05:06:07+03:00</bs:createDate>"
		"<bs:updateDate>2022-01-02T03:04:05Z</bs:updateDate>"
		"<bs:previous>00000000-0000-4000-8000-000000000003</bs:previous>"
		"<dt:globalID>4601234567890</dt:globalID><dt:name>\xD0\x9C\xD0\xBE\xD0\xBB\xD0\xBE\xD0\xBA\xD0\xBE</dt:name>"
		"<dt:code>c1</dt:code><dt:productType>3</dt:productType>"
		"<dt:product><bs:guid>00000000-0000-4000-8000-000000000004</bs:guid></dt:product>"
		"<dt:correspondsToGost>true</dt:correspondsToGost><dt:gost>G 1</dt:gost>"
		"<dt:producer><dt:name>p</dt:name></dt:producer>"
		"<dt:producing><dt:location><dt:name>a</dt:name></dt:location></dt:producing>"
		"<dt:producing><dt:location><dt:name>b</dt:name></dt:location></dt:producing>"
		"<dt:isPublic>false</dt:isPublic></dt:productItem>"
		"<dt:productItem><bs:uuid>00000000-0000-4000-8000-000000000005</bs:uuid>"
		"<dt:name xmlns:i=\"" XSI_NS "\" i:nil=\"true\"/><dt:code></dt:code></dt:productItem>"
		"<dt:productItem><bs:uuid>00000000-0000-4000-8000-000000000006</bs:uuid>"
		"<bs:active>maybe</bs:active><bs:previous>0000-nothing</bs:previous>"
		"<dt:name>ok</dt:name><dt:productType>x</dt:productType></dt:productItem>"
		"</dt:productItemList></ws:getProductItemChangesListResponse></s:Body></s:Envelope>";
	const char *units =
		"<s:Envelope xmlns:s=\"" SOAP_ENV_NS "\"><s:Body>"
		"<ws:getUnitChangesListResponse xmlns:ws=\"urn:ws\" xmlns:bs=\"urn:bs\">"
		"<ws:unitList count=\"4\" total=\"4\" offset=\"0\">"
		"<ws:unit><bs:uuid>00000000-0000-4000-8000-000000000001</bs:uuid>"
		"<bs:name>kg</bs:name><bs:fullName>\xD0\xBA\xD0\xB3</bs:fullName><bs:factor>1000</bs:factor></ws:unit>"
		"<ws:unit><bs:uuid>00000000-0000-4000-8000-000000000002</bs:uuid>"
		"<bs:name>t</bs:name><bs:factor>1000000000000000000000000</bs:factor>"
		"<bs:commonUnitGuid>00000000-0000-4000-8000-000000000003</bs:commonUnitGuid></ws:unit>"
		"<ws:unit><bs:name>g</bs:name><bs:factor>1000</bs:factor></ws:unit>"
		"<ws:unit><bs:uuid>00000000-0000-4000-8000-000000000004</bs:uuid>"
		"<bs:factor>1e3</bs:factor><bs:fullName>f</bs:fullName></ws:unit>"
		"</ws:unitList></ws:getUnitChangesListResponse></s:Body></s:Envelope>";
	const char *regions =
		"<s:Envelope xmlns:s=\"" SOAP_ENV_NS "\"><s:Body>"
		"<ws:getRegionListByCountryResponse xmlns:ws=\"urn:ws\" xmlns:bs=\"urn:bs\" xmlns:dt=\"urn:dt\">"
		"<dt:regionList count=\"2\" total=\"2\" offset=\"0\">"
		"<dt:region><bs:guid>00000000-0000-4000-8000-000000000001</bs:guid>"
		"<dt:name>r</dt:name><dt:hasStreets>true</dt:hasStreets><dt:odd><dt:x>1</dt:x></dt:odd></dt:region>"
		"<dt:region><bs:guid>00000000-0000-4000-8000-00000000000g</bs:guid>"
		"<dt:regionCode>77</dt:regionCode></dt:region>"
		"</dt:regionList></ws:getRegionListByCountryResponse></s:Body></s:Envelope>";
	MercuryStream ms;
	pg_uuid_t	key;
	bool		ok;

	memset(&ms, 0, sizeof(ms));
	ms.op = vetis_find_op("product_item_changes");
	ms.begin = 1000;
	ms.has_end = true;
	ms.end = 2000;
	ok = plan_case("product items, end_date sent", ms.op, items, &ms, 3, 1000, 2000);
	ms.has_begin_eq = true;
	ms.begin_eq = 999;
	ms.has_end = false;
	ok &= plan_case("product items, begin_date given, no end", ms.op, items, &ms, 3, 999, -1);
	report(ok, "fill plan: product items (uuid, bool, text, timestamptz, int4, jsonb, repeated jsonb, record, begin/end): any subset of columns, changing, gives each column as alone, and no other");

	memset(&ms, 0, sizeof(ms));
	ms.op = UNIT_OP;
	ms.begin = 5;
	report(plan_case("units", ms.op, units, &ms, 4, 5, -1),
		   "fill plan: units (numerics kept by the scan among uuids and texts): any subset of columns, changing, gives each column as alone, and no other");

	memset(&ms, 0, sizeof(ms));
	memset(&key, 0x42, sizeof(key));
	ms.op = vetis_find_op("regions_by_country");
	ms.key = UUIDPGetDatum(&key);
	report(plan_case("regions by country", ms.op, regions, &ms, 2, 0, 0),
		   "fill plan: regions by country (the key column, an unknown element in the record): any subset of columns, changing, gives each column as alone, and no other");
	shim_reset();
}

/*
 * A scan's plan follows the database encoding: texts made in the row's
 * allocation in a UTF-8 database are converted (and refused when LATIN1
 * lacks a character) once the same scan fills in a LATIN1 one.
 */
static void
test_fill_plan_encoding(void)
{
	const VetisOp *op = UNIT_OP;
	MercuryPage *page = parse_page_of(
		"<s:Envelope xmlns:s=\"" SOAP_ENV_NS "\"><s:Body>"
		"<ws:getUnitChangesListResponse xmlns:ws=\"urn:ws\" xmlns:bs=\"urn:bs\">"
		"<ws:unitList count=\"1\" total=\"1\" offset=\"0\">"
		"<ws:unit><bs:uuid>00000000-0000-4000-8000-000000000001</bs:uuid>"
		"<bs:fullName>\xD0\xBA\xD0\xB3</bs:fullName></ws:unit>"
		"</ws:unitList></ws:getUnitChangesListResponse></s:Body></s:Envelope>");
	MercuryStream ms;
	ResourceStream stream;
	ResourceCtx ctx;
	VetisScan	vs;
	bool		want[VETIS_MAX_COLUMNS];
	Datum		values[VETIS_MAX_COLUMNS];
	bool		nulls[VETIS_MAX_COLUMNS];
	PlanFill	pf;
	bool		ok;

	memset(&ms, 0, sizeof(ms));
	memset(&stream, 0, sizeof(stream));
	memset(&vs, 0, sizeof(vs));
	memset(want, true, sizeof(want));
	ms.op = op;
	stream.arg = &ms;
	scan_ctx_of(&ctx, &vs, op);
	pf = (PlanFill) {
		.ctx = &ctx, .stream = &stream, .page = page,
		.index = 0, .want = want, .values = values, .nulls = nulls
	};
	mercury_value_op = op;
	memset(nulls, true, sizeof(nulls));
	ok = page != NULL && no_error(plan_fill, &pf) &&
		text_is(values[MC_NAME + 1], "\xD0\xBA\xD0\xB3") && vs.plan.direct_texts;
	shim_set_database_encoding(PG_LATIN1);
	memset(nulls, true, sizeof(nulls));
	ok = ok && !no_error(plan_fill, &pf) &&
		shim_last_sqlstate() == ERRCODE_UNTRANSLATABLE_CHARACTER &&
		!vs.plan.direct_texts;
	shim_set_database_encoding(PG_UTF8);
	memset(nulls, true, sizeof(nulls));
	ok = ok && no_error(plan_fill, &pf) &&
		text_is(values[MC_NAME + 1], "\xD0\xBA\xD0\xB3") && vs.plan.direct_texts;
	report(ok, "fill plan: a scan's plan is made again when the database encoding differs (texts converted in LATIN1, made in the row's allocation in UTF-8)");
	shim_reset();
}

/*
 * vetis_fill_row's two passes (issue 14): a first pass by kind that raises
 * no ERROR and leaves what it cannot convert to the exact converters,
 * run after it in column order.  Rows of generated values (valid, unusual
 * but valid, bad, absent) for every column kind of unit_changes, with the
 * wanted columns, the database encoding and the request's interval
 * changing within one scan, with and without the scan's state: each row
 * gives what the exact converters give column by column in column order,
 * the values and NULLs of the wanted columns (the others left alone), or
 * the same ERROR, SQLSTATE and message (which names the column), as the
 * first bad column there.  Then the first pass's timestamp reading
 * against the general one: every byte at every place of the two layouts
 * it takes, and generated values, in a sequence that hits and misses the
 * kept day number.
 */
static const char *const pass_uuids[] = {
	"0123abcd-89ab-cdef-0f1e-2d3c4b5a6978", "0123ABCD-89AB-CDEF-0F1E-2D3C4B5A6978",
	" 00000000-0000-4000-8000-00000000000f\n", "0123abcd-89ab-cdef-0f1e-2d3c4b5a697",
	"0123abcd-89ab-cdef-0f1e-2d3c4b5a697g", "0123abcd+89ab-cdef-0f1e-2d3c4b5a6978", NULL
};
static const char *const pass_bools[] = {"true", "false", "1", "0", " true", "false\n", "maybe", "", NULL};
static const char *const pass_timestamps[] = {
	"2024-01-01T00:00:00+03:00", "2024-02-29T10:20:30Z", "2024-02-29T10:20:30-14:00",
	"2024-02-29T10:20:30.5-05:30", "1999-12-31T24:00:00Z", " 2024-01-01T00:00:00+03:00",
	"2023-02-29T00:00:00Z", "2024-13-01T00:00:00+03:00", "2024-01-01T00:00:00+14:30",
	"2024-01-01T00:00:00+03:0", "0000-01-01T00:00:00Z", "x", NULL
};
static const char *const pass_texts[] = {
	"a", "\xD0\x95\xD0\xB4", "", "CREATED", NULL,
	/* longer than a row's first room together: more allocations */
	"0123456789012345678901234567890123456789012345678901234567890123456789"
	"0123456789012345678901234567890123456789012345678901234567890123456789"
	"0123456789012345678901234567890123456789012345678901234567890123456789",
	"\xD0\x95\xD0\xB4\xD0\xB8\xD0\xBD\xD0\xB8\xD1\x86\xD0\xB0 0123456789012345678901234567890123456789"
};
static const char *const pass_numerics[] = {"1", "10", "1000000000000000000000000", " 42", "1x", "-0", NULL};

static void
conv_bool(void *arg)
{
	conv_out = mercury_bool_datum(UNIT_OP->fieldcol[2], conv_in, conv_len);
}

typedef struct PassRef
{
	const VetisFillPlan *plan;
	MercuryPage *page;
	int			index;
	MercuryStream *ms;
	Datum	   *values;
	bool	   *nulls;
} PassRef;

/* the exact converters alone, column by column in column order */
static void
pass_exact(void *arg)
{
	PassRef    *r = (PassRef *) arg;
	int			i;

	for (i = 0; i < r->plan->ncols; i++)
	{
		bool		converted = false;

		vetis_fill_exact(&r->plan->cols[i], r->page, &r->page->units[r->index],
						 r->ms, r->values, r->nulls, &converted);
	}
}

static const char *
pass_pick(const char *const *pool, int n, uint32 *seed)
{
	*seed = *seed * 1103515245 + 12345;
	return pool[(*seed >> 16) % n];
}

static void
test_fill_passes(void)
{
	const VetisOp *op = UNIT_OP;
	enum
	{
		NROWS = 240
	};
	StringInfoData doc;
	MercuryPage *page;
	MercuryStream ms;
	ResourceStream stream;
	ResourceCtx ctx;
	VetisScan  *vs = palloc0(sizeof(VetisScan));
	bool		want[VETIS_MAX_COLUMNS];
	uint32		seed = 4242;
	bool		same = true;
	int			nerrors = 0;
	int			nrows_ok = 0;
	int			r;
	int			c;
	int			f;

	initStringInfo(&doc);
	appendStringInfo(&doc, LIST_OPEN_FMT, NROWS, NROWS);
	for (r = 0; r < NROWS; r++)
	{
		appendStringInfoString(&doc, "<ws:unit>");
		for (f = 0; f < op->type->nfields; f++)
		{
			const char *v;

			switch (op->type->fields[f].typid)
			{
				case UUIDOID:
					v = pass_pick(pass_uuids, lengthof(pass_uuids), &seed);
					break;
				case BOOLOID:
					v = pass_pick(pass_bools, lengthof(pass_bools), &seed);
					break;
				case TIMESTAMPTZOID:
					v = pass_pick(pass_timestamps, lengthof(pass_timestamps), &seed);
					break;
				case NUMERICOID:
					v = pass_pick(pass_numerics, lengthof(pass_numerics), &seed);
					break;
				default:
					v = pass_pick(pass_texts, lengthof(pass_texts), &seed);
					break;
			}
			/* most rows mostly valid, so that some fill without an ERROR */
			if (r % 4 == 0 && v != NULL)
				v = op->type->fields[f].typid == UUIDOID ? pass_uuids[r % 3] :
					op->type->fields[f].typid == BOOLOID ? pass_bools[r % 6] :
					op->type->fields[f].typid == TIMESTAMPTZOID ? pass_timestamps[r % 6] :
					op->type->fields[f].typid == NUMERICOID ? pass_numerics[r % 4] : v;
			if (v != NULL)
				appendStringInfo(&doc, "<bs:%s>%s</bs:%s>", op->type->fields[f].elem,
								 v, op->type->fields[f].elem);
		}
		appendStringInfoString(&doc, "</ws:unit>");
	}
	appendStringInfoString(&doc, LIST_CLOSE);
	page = parse_page_of(doc.data);

	memset(&ms, 0, sizeof(ms));
	memset(&stream, 0, sizeof(stream));
	ms.op = op;
	stream.arg = &ms;
	scan_ctx_of(&ctx, vs, op);
	mercury_value_op = op;
	mercury_value_secrets = NIL;
	memset(want, true, sizeof(want));

	for (r = 0; page != NULL && r < 6 * NROWS; r++)
	{
		int			index = (r * 7) % NROWS;
		bool		latin1 = (r / NROWS) % 3 == 2;
		Datum		values[VETIS_MAX_COLUMNS];
		bool		nulls[VETIS_MAX_COLUMNS];
		Datum		refv[VETIS_MAX_COLUMNS];
		bool		refn[VETIS_MAX_COLUMNS];
		VetisFillPlan refplan;
		PassRef		ref;
		PlanFill	pf;
		bool		ref_ok;
		bool		got_ok;
		int			ref_state = 0;
		char	   *ref_msg = NULL;

		/* other columns every few rows: all, none, about half */
		if (r % 5 == 0)
			for (c = 0; c < op->ncolumns; c++)
			{
				seed = seed * 1103515245 + 12345;
				want[c] = r % 50 == 0 ? true : r % 50 == 5 ? false : (seed >> 16) & 1;
			}
		/* the request's interval, other for other streams */
		ms.begin = r;
		ms.has_end = r % 2 == 0;
		ms.end = 2 * r;
		ms.has_begin_eq = r % 3 == 0;
		ms.begin_eq = 3 * r;
		ms.has_end_eq = r % 5 == 0;
		ms.end_eq = 5 * r;
		shim_set_database_encoding(latin1 ? PG_LATIN1 : PG_UTF8);

		vetis_fill_plan(&refplan, op, want, !latin1);
		memset(refn, true, sizeof(refn));
		ref.plan = &refplan;
		ref.page = page;
		ref.index = index;
		ref.ms = &ms;
		ref.values = refv;
		ref.nulls = refn;
		ref_ok = no_error(pass_exact, &ref);
		if (!ref_ok)
		{
			ref_state = shim_last_sqlstate();
			ref_msg = pstrdup(shim_last_message());
			nerrors++;
		}

		for (c = 0; c < VETIS_MAX_COLUMNS; c++)
		{
			values[c] = (Datum) (0x5EED0000 + c);
			nulls[c] = (c + r) % 2 == 0;
		}
		pf = (PlanFill) {
			.ctx = r % 7 == 3 ? NULL : &ctx, .stream = &stream, .page = page,
			.index = index, .want = want, .values = values, .nulls = nulls
		};
		got_ok = no_error(plan_fill, &pf);
		if (got_ok != ref_ok ||
			(!ref_ok && (shim_last_sqlstate() != ref_state ||
						 strcmp(shim_last_message(), ref_msg) != 0)))
		{
			printf("#   row %d, round %d: %s / exact: %s\n", index, r,
				   got_ok ? "no ERROR" : shim_last_message(), ref_ok ? "no ERROR" : ref_msg);
			same = false;
			continue;
		}
		if (!ref_ok)
			continue;
		nrows_ok++;
		for (c = 0; c < VETIS_MAX_COLUMNS; c++)
		{
			bool		ok;

			if (c >= op->ncolumns || !want[c])
				ok = values[c] == (Datum) (0x5EED0000 + c) && nulls[c] == ((c + r) % 2 == 0);
			else
				ok = nulls[c] == refn[c] &&
					(nulls[c] || plan_same(op->columns[c].typid, values[c], refv[c]));
			if (!ok)
			{
				printf("#   row %d, round %d: column %d differs\n", index, r, c);
				same = false;
			}
		}
	}
	shim_set_database_encoding(PG_UTF8);

	/*
	 * One column left out, then all again, for each column in turn through
	 * the scan's plan: the plan is made again whichever byte of want
	 * differs.  Row 0 has every field valid (r % 4 == 0 above).
	 */
	for (c = 0; page != NULL && c < op->ncolumns; c++)
	{
		Datum		values[VETIS_MAX_COLUMNS];
		bool		nulls[VETIS_MAX_COLUMNS];
		PlanFill	pf;
		int			k;

		pf = (PlanFill) {
			.ctx = &ctx, .stream = &stream, .page = page,
			.index = 0, .want = want, .values = values, .nulls = nulls
		};
		for (k = 0; k < 2; k++)
		{
			memset(want, true, sizeof(want));
			want[c] = k == 1;
			/* filled: a value written, or NULL */
			values[c] = (Datum) 0x5EED;
			nulls[c] = false;
			if (!no_error(plan_fill, &pf) ||
				(k == 0) != (values[c] == (Datum) 0x5EED && !nulls[c]))
			{
				printf("#   column %d %s: %s\n", c, k == 0 ? "left out" : "wanted again",
					   values[c] == (Datum) 0x5EED ? "not filled" : "filled");
				same = false;
			}
		}
	}
	/*
	 * Texts longer than a row's first room: right, and a row like it after
	 * it has them in its one allocation, right after its UUIDs.
	 */
	{
		char		longer[301];
		VetisScan  *vs2 = palloc0(sizeof(VetisScan));
		ResourceCtx ctx2;
		MercuryPage *page2;
		Datum		values[VETIS_MAX_COLUMNS];
		bool		nulls[VETIS_MAX_COLUMNS];
		PlanFill	pf;
		int			c_uuid = op->fieldcol[0];
		int			c_name = op->fieldcol[9];
		int			c_full = op->fieldcol[10];
		bool		grown = true;
		int			k;

		memset(longer, 'x', 300);
		longer[300] = '\0';
		resetStringInfo(&doc);
		appendStringInfo(&doc, "<s:Envelope xmlns:s=\"" SOAP_ENV_NS "\"><s:Body>"
						 "<ws:getUnitChangesListResponse xmlns:ws=\"urn:ws\" xmlns:bs=\"urn:bs\">"
						 "<ws:unitList count=\"1\" total=\"1\" offset=\"0\"><ws:unit>"
						 "<bs:uuid>00000000-0000-4000-8000-000000000001</bs:uuid>"
						 "<bs:guid>00000000-0000-4000-8000-000000000002</bs:guid>"
						 "<bs:previous>00000000-0000-4000-8000-000000000003</bs:previous>"
						 "<bs:next>00000000-0000-4000-8000-000000000004</bs:next>"
						 "<bs:name>%s</bs:name><bs:fullName>y%s</bs:fullName>"
						 "<bs:commonUnitGuid>00000000-0000-4000-8000-000000000005</bs:commonUnitGuid></ws:unit>"
						 "</ws:unitList></ws:getUnitChangesListResponse></s:Body></s:Envelope>",
						 longer, longer);
		page2 = parse_page_of(doc.data);
		scan_ctx_of(&ctx2, vs2, op);
		memset(want, true, sizeof(want));
		pf = (PlanFill) {
			.ctx = &ctx2, .stream = &stream, .page = page2,
			.index = 0, .want = want, .values = values, .nulls = nulls
		};
		for (k = 0; k < 2 && page2 != NULL; k++)
		{
			memset(nulls, true, sizeof(nulls));
			grown &= no_error(plan_fill, &pf) && text_is(values[c_name], longer) &&
				VARSIZE(DatumGetPointer(values[c_full])) == VARHDRSZ + 301 &&
				uuid_is(values[c_uuid], 1);
		}
		grown &= page2 != NULL &&
			/* every UUID there: the room is exactly what the row needed */
			DatumGetPointer(values[c_name]) == DatumGetPointer(values[c_uuid]) + 5 * sizeof(pg_uuid_t) &&
			DatumGetPointer(values[c_full]) == DatumGetPointer(values[c_name]) +
			INTALIGN(VARHDRSZ + 300);
		report(grown, "fill passes: texts longer than a row's first room are right, and a row after it has them in its one allocation");
	}

	report(page != NULL && same && nerrors > 100 && nrows_ok > 100,
		   "fill passes: generated rows give the values, NULLs or first ERROR (SQLSTATE, message, column) of the exact converters in column order, as columns, encoding and interval change within a scan");

	/*
	 * xs:boolean, which both passes read with mercury_bool_scan: every
	 * text of up to 6 bytes over its letters, digits and blanks, and a few
	 * others, against the lexical space (true, false, 1, 0, XML blanks
	 * around them); the ERROR's SQLSTATE and message when refused.
	 */
	{
		static const char alphabet[] = "truefals10 \t\n\rxT";
		const int	nalpha = sizeof(alphabet) - 1;
		bool		all = true;
		int			len;
		long		n;
		long		total;

		mercury_value_op = op;
		for (len = 0, total = 1; len <= 6; len++, total *= nalpha)
			for (n = 0; n < total; n++)
			{
				char		in[8];
				const char *t;
				int			tl;
				long		x = n;
				int			k;
				int			want;
				int			got;

				for (k = 0; k < len; k++, x /= nalpha)
					in[k] = alphabet[x % nalpha];
				in[len] = '\0';
				t = in;
				tl = len;
				while (tl > 0 && strchr(" \t\n\r", t[0]) != NULL)
					t++, tl--;
				while (tl > 0 && strchr(" \t\n\r", t[tl - 1]) != NULL)
					tl--;
				want = (tl == 4 && memcmp(t, "true", 4) == 0) || (tl == 1 && t[0] == '1') ? 1 :
					(tl == 5 && memcmp(t, "false", 5) == 0) || (tl == 1 && t[0] == '0') ? 0 : -1;
				got = mercury_bool_scan(in, len);
				if (got != want)
				{
					printf("#   \"%s\": %d, want %d\n", in, got, want);
					all = false;
				}
			}
		conv_in = "maybe";
		conv_len = 5;
		all &= !no_error(conv_bool, NULL) &&
			shim_last_sqlstate() == ERRCODE_INVALID_TEXT_REPRESENTATION &&
			strcmp(shim_last_message(), "invalid input syntax for type boolean in column \"active\": \"maybe\"") == 0;
		report(all, "fill passes: xs:boolean, every text of up to 6 bytes over its letters and blanks, read as its lexical space says; a bad one's ERROR");
	}

	/* the first pass's timestamps against the general code */
	{
		static const char *const bases[] = {
			"2024-01-31T23:59:58+03:00", "2024-02-29T00:00:00Z", "1999-12-31T23:59:59-14:00"
		};
		bool		all = true;
		int			taken = 0;
		int			prev_y = 0;
		int			prev_mo = 0;
		int			prev_d = 0;
		int			b;
		int			pos;
		int			i;

		for (i = 0; i < (int) lengthof(bases); i++)
			for (pos = 0; pos < (int) strlen(bases[i]); pos++)
				for (b = 0; b < 256; b++)
				{
					char		in[32];
					int			len = strlen(bases[i]);
					TimestampTz fast = 0;
					bool		fast_ok;
					bool		general_ok;

					strcpy(in, bases[i]);
					in[pos] = (char) b;
					fast_ok = mercury_timestamp_fast(in, len, i % 2, &fast);
					conv_in = in;
					conv_len = len;
					general_ok = no_error(conv_ts, NULL);
					/*
					 * one byte other: never 24:00:00 or a fraction; blanks
					 * at either end are the general code's
					 */
					if (fast_ok != (general_ok && !((pos == 0 || pos == len - 1) &&
													mercury_is_space(in[pos]))) ||
						(fast_ok && DatumGetTimestampTz(ts_out) != fast))
					{
						printf("#   %s (byte %d at %d): first pass %d, general %d\n",
							   bases[i], b, pos, fast_ok, general_ok);
						all = false;
					}
					taken += fast_ok;
				}
		report(all && taken > 3 * 100, "fill passes: every byte at every place of the two xs:dateTime layouts the first pass reads: it takes what the general code accepts, with the same value");

		/*
		 * Every beginning of the layouts, in an allocation of its own size
		 * (ASan's bounds): taken whole, refused cut, nothing read past it.
		 */
		all = true;
		for (i = 0; i < (int) lengthof(bases); i++)
		{
			int			full = strlen(bases[i]);
			int			len;

			for (len = 0; len <= full; len++)
			{
				char	   *in = palloc(Max(len, 1));
				TimestampTz fast = 0;

				memcpy(in, bases[i], len);
				if (mercury_timestamp_fast(in, len, 0, &fast) != (len == full))
				{
					printf("#   %.*s: %s\n", len, bases[i], len == full ? "refused" : "taken");
					all = false;
				}
				pfree(in);
			}
		}
		report(all, "fill passes: every beginning of the xs:dateTime layouts, in an allocation of its size: only the whole one is taken, nothing is read past the end");

		/*
		 * Generated values, months and days up to 99 (invalid ones, and
		 * some whose day number key would equal a valid date's) after
		 * valid dates, so that the kept day number is hit and missed.
		 */
		all = true;
		taken = 0;
		for (i = 0; i < 200000; i++)
		{
			char		in[40];
			int			y,
						mo,
						d,
						h,
						mi,
						se,
						tzh,
						tzm;
			int			len;
			TimestampTz fast = 0;
			bool		fast_ok;
			bool		general_ok;
			bool		layout;

			seed = seed * 1103515245 + 12345;
			y = 1 + (seed >> 8) % 9999;
			seed = seed * 1103515245 + 12345;
			mo = (seed >> 16) % 8 == 0 ? (seed >> 8) % 100 : 1 + (seed >> 8) % 12;
			seed = seed * 1103515245 + 12345;
			d = (seed >> 16) % 8 == 0 ? (seed >> 8) % 100 : 1 + (seed >> 8) % 31;
			if (i % 3 == 1 && prev_y > 1)
			{
				/*
				 * The date before with its month 16 more and the year one
				 * less, or its day 32 more and the month one less: the
				 * same (year * 16 + month) * 32 + day as that date.
				 */
				y = prev_y - (i % 2);
				mo = prev_mo + (i % 2 ? 16 : -1);
				d = prev_d + (i % 2 ? 0 : 32);
			}
			prev_y = y;
			prev_mo = mo;
			prev_d = d;
			seed = seed * 1103515245 + 12345;
			h = (seed >> 8) % 26;
			mi = (seed >> 16) % 61;
			seed = seed * 1103515245 + 12345;
			se = (seed >> 8) % 61;
			tzh = (seed >> 16) % 16;
			seed = seed * 1103515245 + 12345;
			tzm = (seed >> 8) % 61;
			switch ((seed >> 16) % 6)
			{
				case 0:
					len = snprintf(in, sizeof(in), "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, h, mi, se);
					layout = true;
					break;
				case 1:
					len = snprintf(in, sizeof(in), "%04d-%02d-%02dT%02d:%02d:%02d.5+%02d:%02d", y, mo, d, h, mi, se, tzh, tzm);
					layout = false;
					break;
				case 2:
					len = snprintf(in, sizeof(in), "%04d-%02d-%02dT%02d:%02d:%02d", y, mo, d, h, mi, se);
					layout = false;
					break;
				default:
					len = snprintf(in, sizeof(in), "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", y, mo, d, h, mi, se,
								   (seed >> 20) & 1 ? '-' : '+', tzh, tzm);
					layout = true;
					break;
			}
			fast_ok = mercury_timestamp_fast(in, len, i % 2, &fast);
			conv_in = in;
			conv_len = len;
			general_ok = no_error(conv_ts, NULL);
			/* the first pass leaves 24:00:00 to the general code */
			if ((fast_ok && (!general_ok || DatumGetTimestampTz(ts_out) != fast)) ||
				(!fast_ok && general_ok && layout && h != 24))
			{
				printf("#   %s: first pass %d, general %d\n", in, fast_ok, general_ok);
				all = false;
			}
			taken += fast_ok;
		}
		report(all && taken > 50000, "fill passes: generated xs:dateTime values: the first pass takes each the general code accepts in its layouts, with the same value, and nothing else");
	}
	shim_reset();
}

/*
 * An item is known by its name, not by where the scanner keeps the name:
 * a name it copies into its per-element arena (a start tag with
 * attributes) may lie where the previous item's did, so a sibling of
 * another name in the list must still be skipped, read with and without
 * the leaf callback (in the scanner's generic leaf run and in Mercury's
 * copy, which knows an item in the run by its cached name's pointer), and
 * by libxml2.  The last lists repeat their elements, so that the scanner
 * guesses their start tags and the leaf run reads them: an element of
 * another name beside the items or inside one, or an item inside an item.
 */
static void
test_item_names(void)
{
	static const struct
	{
		const char *list;
		int			items;
	}			lists[] = {
		/* the item's name and then another's at the same arena place */
		{"<ws:unit a=\"1\"><bs:name>u1</bs:name></ws:unit>"
		"<ws:uxit a=\"1\"><bs:name>x</bs:name></ws:uxit>", 1},
		{"<ws:unit a=\"1\"><bs:name>u1</bs:name></ws:unit>"
			"<ws:othername a=\"1\"><bs:name>x</bs:name></ws:othername>"
		"<ws:unit a=\"2\"><bs:name>u2</bs:name></ws:unit>", 2},
		{"<ws:unit><bs:name>u1</bs:name></ws:unit>"
			"<ws:uxit a=\"1\"><bs:name>x</bs:name></ws:uxit>"
		"<ws:unit><bs:name>u2</bs:name></ws:unit>", 2},
		{"<ws:unit a=\"1\"><bs:name>u1</bs:name></ws:unit>"
			"<ws:uxit><bs:name>x</bs:name></ws:uxit>"
			"<ws:unit a=\"1\"><bs:name>u2</bs:name></ws:unit>"
		"<ws:uxit a=\"1\"/><ws:unix a=\"1\"></ws:unix>", 2},
		/* guessed: another element beside the items */
		{"<ws:unit><bs:name>u1</bs:name><bs:guid>g</bs:guid></ws:unit>"
			"<ws:uxit><bs:name>x1</bs:name><bs:guid>g</bs:guid></ws:uxit>"
			"<ws:unit><bs:name>u2</bs:name><bs:guid>g</bs:guid></ws:unit>"
			"<ws:uxit><bs:name>x2</bs:name><bs:guid>g</bs:guid></ws:uxit>"
			"<ws:unit><bs:name>u3</bs:name><bs:guid>g</bs:guid></ws:unit>"
		"<ws:uxit><bs:name>x3</bs:name><bs:guid>g</bs:guid></ws:uxit>", 3},
		/* an item inside an item (skipped, as any element not a field) */
		{"<ws:unit><bs:name>u1</bs:name></ws:unit>"
			"<ws:unit><ws:unit><bs:name>z1</bs:name></ws:unit><bs:name>u2</bs:name></ws:unit>"
			"<ws:unit><bs:name>u3</bs:name></ws:unit>"
			"<ws:unit><ws:unit><bs:name>z2</bs:name></ws:unit><bs:name>u4</bs:name></ws:unit>"
		"<ws:unit><ws:unit><bs:name>z3</bs:name></ws:unit><bs:name>u5</bs:name></ws:unit>", 5},
		/* another element inside the items and then beside them */
		{"<ws:unit><bs:other><bs:name>z1</bs:name></bs:other><bs:name>u1</bs:name></ws:unit>"
			"<bs:other><bs:name>q1</bs:name></bs:other>"
			"<ws:unit><bs:other><bs:name>z2</bs:name></bs:other><bs:name>u2</bs:name></ws:unit>"
			"<bs:other><bs:name>q2</bs:name></bs:other>"
			"<ws:unit><bs:other><bs:name>z3</bs:name></bs:other><bs:name>u3</bs:name></ws:unit>"
		"<bs:other><bs:name>q3</bs:name></bs:other>", 3},
		/* items inside another element beside the items (skipped) */
		{"<ws:unit><bs:name>u1</bs:name></ws:unit>"
			"<ws:uxit><ws:unit><bs:name>z1</bs:name></ws:unit></ws:uxit>"
			"<ws:unit><bs:name>u2</bs:name></ws:unit>"
			"<ws:uxit><ws:unit><bs:name>z2</bs:name></ws:unit></ws:uxit>"
			"<ws:unit><bs:name>u3</bs:name></ws:unit>"
		"<ws:uxit><ws:unit><bs:name>z3</bs:name></ws:unit></ws:uxit>", 3},
		/* a field not read as a leaf, then its name beside the items */
		{"<ws:unit><bs:name>a&amp;1</bs:name></ws:unit><bs:name>b&amp;1</bs:name>"
			"<ws:unit><bs:name>a&amp;2</bs:name></ws:unit><bs:name>b&amp;2</bs:name>"
		"<ws:unit><bs:name>a&amp;3</bs:name></ws:unit><bs:name>b&amp;3</bs:name>", 3},
	};
	int			i,
				mode;

	for (i = 0; i < (int) lengthof(lists); i++)
	{
		StringInfoData doc;
		int			items = lists[i].items;
		MercuryParse px;
		bool		okx;
		char		what[160];

		initStringInfo(&doc);
		appendStringInfo(&doc,
						 "<s:Envelope xmlns:s=\"" SOAP_ENV_NS "\"><s:Body>"
						 "<ws:getUnitChangesListResponse xmlns:ws=\"urn:ws\" xmlns:bs=\"urn:bs\">"
						 "<ws:unitList count=\"1\" total=\"1\" offset=\"0\">%s</ws:unitList>"
						 "</ws:getUnitChangesListResponse></s:Body></s:Envelope>",
						 lists[i].list);
		mercury_parse_init(&px, UNIT_OP, false);
		px.size = doc.len + 1;
		px.buf = palloc(px.size);
		mercury_parse_body(doc.data, doc.len, &px);
		mercury_parse_finish(&px);
		okx = !px.failed;
		snprintf(what, sizeof(what),
				 "list %d: libxml2 reads %d items", i, items);
		report(okx && px.nunits == items, what);
		for (mode = 0; mode < 3; mode++)
		{
			MercuryParse p;
			bool		ok;
			int			u,
						f;

			mercury_parse_init(&p, UNIT_OP, false);
			p.size = doc.len + 1;
			p.buf = palloc(p.size);
			/* 2: with Mercury's leaf run, as pages are read */
			ok = mercury_scan_with(doc.data, doc.len, &p, mode) &&
				(mercury_parse_finish(&p), !p.failed);
			ok = ok && p.nunits == items && px.nunits == items;
			/* each item's fields as libxml2 read them */
			for (u = 0; ok && u < items; u++)
			{
				for (f = 0; f < UNIT_OP->type->nfields; f++)
				{
					const MercuryUnit *a = &p.units[u];
					const MercuryUnit *b = &px.units[u];

					if ((a->val[f] == NULL) != (b->val[f] == NULL) ||
						(a->val[f] != NULL &&
						 (a->len[f] != b->len[f] ||
						  memcmp(a->val[f], b->val[f], a->len[f]) != 0)))
						ok = false;
				}
			}
			snprintf(what, sizeof(what),
					 "list %d, scanner %s: %d items, as libxml2 reads them", i,
					 mode == 0 ? "start/text/end" : mode == 1 ? "generic leaf run" : "Mercury's leaf run",
					 items);
			report(ok, what);
			pfree(p.buf);
			if (p.units != NULL)
				pfree(p.units);
		}
		pfree(px.buf);
		if (px.units != NULL)
			pfree(px.units);
		pfree(doc.data);
	}
}

int
main(int argc, char **argv)
{
	const char *canary = "/tmp/paged_fdw_unit_canary.xml";
	FILE	   *f = fopen(canary, "w");

	if (f == NULL)
		return 2;
	fputs("UNIT-CANARY", f);
	fclose(f);

	xmlInitParser();
	test_escape();
	test_request();
	test_prolog();
	test_encoding();
	test_vetis();
	test_convert();
	test_scanner();
	test_leaf();
	test_records();
	test_leaf_mercury();
	test_item_names();
	test_text_places();
	test_limits();
	test_redaction();
	test_reader(canary);
	test_scanned_utf8();
	test_row_alloc();
	test_timestamps();
	test_numeric_cache();
	test_row_buf();
	test_fill_plan();
	test_fill_plan_encoding();
	test_fill_passes();
	shim_reset();
	unlink(canary);
	xmlCleanupParser();
	return failures > 0 ? 1 : 0;
}
