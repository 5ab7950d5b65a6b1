/*-------------------------------------------------------------------------
 * unit_mercury.c
 *		C-level checks of what the SOAP side of src/mercury.c promises:
 *		the escape helper, the request writer at extreme timestamps, the
 *		prolog check, and libxml2's reader options on their own (with a
 *		DTD that the prolog check would have refused).
 *
 * src/mercury.c is included, so its static functions can be called.
 * Prints "ok - ..." or "FAIL - ..." per check; exits 1 if any failed.
 *-------------------------------------------------------------------------
 */
#include "../../src/mercury.c"

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

/* mercury_build_request for one interval. */
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
	ResourceStream stream;
	PageCursor	cursor;

	memset(&opts, 0, sizeof(opts));
	opts.url = "https://mercury.example/";
	opts.user = "u";
	opts.password = "p";
	memset(&ctx, 0, sizeof(ctx));
	ctx.opts = &opts;
	memset(&ms, 0, sizeof(ms));
	ms.begin = a->begin;
	ms.has_end = a->has_end;
	ms.end = a->end;
	stream.label = "test";
	stream.arg = &ms;
	memset(&cursor, 0, sizeof(cursor));
	cursor.count = 1000;
	cursor.offset = INT64CONST(9223372036854775807);
	memset(&a->req, 0, sizeof(a->req));
	mercury_build_request(&ctx, &stream, &cursor, &a->req);
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
		mercury_parse_init(&p);
		snprintf(what, sizeof(what), "prolog case %d is %s", i + 1,
				 cases[i].accepted ? "accepted" : "refused");
		report(mercury_check_prolog(cases[i].body, len, &p) == cases[i].accepted,
			   what);
	}
}

/*
 * The reader mercury_parse_xml uses, on documents with a DTD (which
 * mercury_check_prolog refuses before libxml2 sees them): no entity may be
 * loaded or expanded.
 */
static void
read_all(const char *doc, size_t *text_bytes, bool *failed, bool *saw_canary)
{
	PgXmlErrorContext *cxt = pg_xml_init(PG_XML_STRICTNESS_ALL);
	xmlTextReaderPtr r = mercury_reader_open(doc, strlen(doc));
	int			ret;

	*text_bytes = 0;
	*saw_canary = false;
	while ((ret = xmlTextReaderRead(r)) == 1)
	{
		const xmlChar *v = xmlTextReaderConstValue(r);

		if (v != NULL)
		{
			*text_bytes += strlen((const char *) v);
			if (strstr((const char *) v, "UNIT-CANARY"))
				*saw_canary = true;
		}
		/* what a careless caller might do: ask for the expanded text */
		if (xmlTextReaderNodeType(r) == XML_READER_TYPE_ELEMENT)
		{
			xmlChar    *s = xmlTextReaderReadString(r);

			if (s != NULL)
			{
				*text_bytes += strlen((const char *) s);
				if (strstr((const char *) s, "UNIT-CANARY"))
					*saw_canary = true;
				xmlFree(s);
			}
		}
	}
	*failed = ret < 0;
	xmlFreeTextReader(r);
	pg_xml_done(cxt, false);
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
			 "<!DOCTYPE e [<!ENTITY x SYSTEM \"file://%s\">]><e>&x;</e>", canary_path);
	read_all(doc, &bytes, &failed, &canary);
	report(!canary && shim_entity_loads == 0,
		   "reader: an external entity naming a local file is neither loaded nor read");

	shim_entity_loads = 0;
	snprintf(doc, sizeof(doc),
			 "<!DOCTYPE e [<!ENTITY x SYSTEM \"http://127.0.0.1:9/probe\">]><e>&x;</e>");
	read_all(doc, &bytes, &failed, &canary);
	report(shim_entity_loads == 0,
		   "reader: an external entity naming a network address is not fetched");

	shim_entity_loads = 0;
	snprintf(doc, sizeof(doc),
			 "<!DOCTYPE e [<!ENTITY %% p SYSTEM \"file://%s\"> %%p;]><e>t</e>", canary_path);
	read_all(doc, &bytes, &failed, &canary);
	report(!canary && shim_entity_loads == 0,
		   "reader: an external parameter entity is not loaded");

	shim_entity_loads = 0;
	snprintf(doc, sizeof(doc),
			 "<!DOCTYPE e SYSTEM \"file://%s\"><e>t</e>", canary_path);
	read_all(doc, &bytes, &failed, &canary);
	report(!canary && shim_entity_loads == 0,
		   "reader: an external DTD subset is not loaded");

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
	appendStringInfoString(&laughs, "]><e>&l9;</e>");
	t0 = clock();
	read_all(laughs.data, &bytes, &failed, &canary);
	report(bytes < 1024 * 1024 &&
		   (double) (clock() - t0) / CLOCKS_PER_SEC < 2.0,
		   "reader: billion laughs is neither expanded nor slow");
	printf("# billion laughs: %zu bytes of text, %.3f s, reader %s\n", bytes,
		   (double) (clock() - t0) / CLOCKS_PER_SEC, failed ? "failed" : "finished");
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
	test_reader(canary);
	shim_reset();
	unlink(canary);
	xmlCleanupParser();
	return failures > 0 ? 1 : 0;
}
