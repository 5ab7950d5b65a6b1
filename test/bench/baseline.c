/*-------------------------------------------------------------------------
 * baseline.c
 *		The physical limit for paged_fdw's benchmark: fetch and parse the
 *		same pages the FDW would, with libcurl, protobuf-c and the XML scanner,
 *		without PostgreSQL.
 *
 *	baseline mercury URL [--page-size N] [--concurrency K] [--fetch-only]
 *	baseline diadoc URL PACKET_ID [--page-size N] [--fetch-only]
 *
 * Mercury (offset paging): the first page tells the total, then up to K
 * requests are kept in flight on one curl multi handle (keep-alive), and
 * every page is parsed with src/xmlscan.c into per-unit field copies, as
 * src/mercury.c does.  Diadoc (key paging): page N+1 can only be
 * asked for once page N was decoded (protobuf-c, the same generated code),
 * so it is one request at a time.  --fetch-only skips parsing (except what
 * paging needs), which measures the mock server itself.
 *
 * Prints one line: rows=… pages=… bytes=… seconds=… rows_per_sec=…
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE				/* asprintf */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include "xmlscan.h"

#include "diadoc_docflow.pb-c.h"

#define MAX_INFLIGHT	64

typedef struct Buf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} Buf;

typedef struct Xfer
{
	CURL	   *easy;
	struct curl_slist *headers;
	Buf			resp;
	char	   *body;
	size_t		body_len;
	int64_t		offset;			/* Mercury: the page's offset */
	bool		busy;
} Xfer;

static bool fetch_only = false;
static int64_t total_bytes = 0;
static int64_t total_pages = 0;

static void
die(const char *msg)
{
	fprintf(stderr, "baseline: %s\n", msg);
	exit(1);
}

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	Buf		   *b = (Buf *) arg;
	size_t		n = size * nmemb;

	if (b->len + n + 1 > b->cap)
	{
		size_t		cap = b->cap ? b->cap : 65536;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->data = realloc(b->data, cap);
		if (b->data == NULL)
			die("out of memory");
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Prepare x for a POST of its body to url (the easy handle is reused). */
static void
xfer_setup(Xfer *x, const char *url)
{
	if (x->easy == NULL)
		x->easy = curl_easy_init();
	if (x->easy == NULL)
		die("curl_easy_init failed");
	curl_easy_reset(x->easy);
	x->resp.len = 0;
	curl_easy_setopt(x->easy, CURLOPT_URL, url);
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, x->body);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) x->body_len);
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, (void *) &x->resp);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, (void *) x);
	curl_easy_setopt(x->easy, CURLOPT_ACCEPT_ENCODING, "");
}

/* Run the multi handle until one transfer finishes; returns it. */
static Xfer *
multi_next(CURLM *multi)
{
	for (;;)
	{
		int			running,
					left;
		CURLMsg    *msg;

		curl_multi_perform(multi, &running);
		while ((msg = curl_multi_info_read(multi, &left)) != NULL)
		{
			Xfer	   *x;
			long		status = 0;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &x);
			if (msg->data.result != CURLE_OK)
			{
				fprintf(stderr, "baseline: %s\n", curl_easy_strerror(msg->data.result));
				exit(1);
			}
			curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
			if (status != 200)
			{
				fprintf(stderr, "baseline: HTTP status %ld: %.300s\n", status,
						x->resp.data ? x->resp.data : "");
				exit(1);
			}
			curl_multi_remove_handle(multi, x->easy);
			x->busy = false;
			total_bytes += x->resp.len;
			total_pages++;
			return x;
		}
		if (running == 0)
			die("no transfer running");
		curl_multi_poll(multi, NULL, 0, 1000, NULL);
	}
}

/* ---------------------------------------------------------------------
 * Mercury
 * ---------------------------------------------------------------------
 */
static const char *const unit_fields[] = {
	"uuid", "guid", "active", "last", "status", "createDate", "updateDate",
	"previous", "next", "name", "fullName", "commonUnitGuid", "factor"
};
#define NFIELDS ((int) (sizeof(unit_fields) / sizeof(unit_fields[0])))

typedef struct Unit
{
	int			off[NFIELDS];	/* in the page's text buffer, -1 if absent */
} Unit;

/* What the SAX callbacks of one page share. */
typedef struct PageParse
{
	Unit	   *units;
	int64_t		nunits;
	int64_t		maxunits;
	int			depth;			/* of the current element, root = 1 */
	int			unit_depth;		/* of the open unit, or -1 */
	int			field;			/* field being read, or -1 */
	char	   *text;			/* all field texts, NUL-terminated */
	size_t		used;
	int64_t		total;
} PageParse;

static bool
scan_start(void *arg, const char *name, const char *prefix, const char *uri,
		   int nattrs, const char **attrs)
{
	PageParse  *pp = arg;

	pp->depth++;
	if (strcmp(name, "unitList") == 0)
	{
		for (int i = 0; i < nattrs; i++)
			if (strcmp(attrs[i * XMLSCAN_ATTR_FIELDS], "total") == 0)
				pp->total = strtoll(attrs[i * XMLSCAN_ATTR_FIELDS + 3], NULL, 10);
	}
	else if (strcmp(name, "unit") == 0)
	{
		if (pp->nunits == pp->maxunits)
		{
			pp->maxunits = pp->maxunits ? pp->maxunits * 2 : 64;
			pp->units = realloc(pp->units, sizeof(Unit) * pp->maxunits);
			if (pp->units == NULL)
				die("out of memory");
		}
		for (int f = 0; f < NFIELDS; f++)
			pp->units[pp->nunits].off[f] = -1;
		pp->nunits++;
		pp->unit_depth = pp->depth;
	}
	else if (pp->unit_depth >= 0 && pp->depth == pp->unit_depth + 1)
	{
		int			f;

		/* the scanner hands out our own pointers for these names */
		for (f = 0; f < NFIELDS; f++)
			if (name == unit_fields[f])
				break;
		pp->field = f < NFIELDS ? f : -1;
		if (pp->field >= 0)
			pp->units[pp->nunits - 1].off[f] = (int) pp->used;
	}
	return true;
}

static bool
scan_end(void *arg, const char *name, const char *prefix, const char *uri)
{
	PageParse  *pp = arg;

	if (pp->field >= 0 && pp->depth == pp->unit_depth + 1)
	{
		pp->text[pp->used++] = '\0';
		pp->field = -1;
	}
	else if (pp->depth == pp->unit_depth)
		pp->unit_depth = -1;
	pp->depth--;
	return true;
}

static bool
scan_text(void *arg, const char *s, size_t len)
{
	PageParse  *pp = arg;

	if (pp->field >= 0)
	{
		memcpy(pp->text + pp->used, s, len);
		pp->used += len;
	}
	return true;
}

/*
 * Parse one page the way src/mercury.c does: the fast scanner of
 * src/xmlscan.c (the mock's answers never need its libxml2 fallback), a
 * record per unit, each mapped field's text copied into one buffer as
 * large as the page.  Returns the unit count; *total gets unitList@total.
 */
static int64_t
mercury_parse(const Buf *b, int64_t *total)
{
	static const XmlScanHandler handler = {
		.start = scan_start,
		.end = scan_end,
		.text = scan_text,
		.names = unit_fields,
		.nnames = NFIELDS,
	};
	PageParse	pp = {.unit_depth = -1, .field = -1, .total = -1};

	pp.text = malloc(b->len + 1);
	if (pp.text == NULL)
		die("out of memory");
	if (!xmlscan_parse(b->data, b->len, &handler, &pp))
		die("the page is not plain XML the scanner reads");
	*total = pp.total;
	free(pp.units);
	free(pp.text);
	return pp.nunits;
}

/* Just what paging needs: unitList@total and @count, found by scanning. */
static int64_t
mercury_scan_attrs(const Buf *b, int64_t *total)
{
	const char *p = strstr(b->data, "unitList count=\"");
	const char *t;

	if (p == NULL)
		die("no unitList in the answer");
	t = strstr(p, "total=\"");
	*total = t ? strtoll(t + 7, NULL, 10) : -1;
	return strtoll(p + 16, NULL, 10);
}

static char *
mercury_body(int count, int64_t offset, size_t *len)
{
	char	   *s;
	int			n = asprintf(&s,
							 "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"\n"
							 "    xmlns:ws=\"http://api.vetrf.ru/schema/cdm/registry/ws-definitions/v2\"\n"
							 "    xmlns:bs=\"http://api.vetrf.ru/schema/cdm/base\">\n"
							 "  <soapenv:Header/>\n  <soapenv:Body>\n"
							 "    <ws:getUnitChangesListRequest>\n"
							 "      <bs:listOptions><bs:count>%d</bs:count><bs:offset>%lld</bs:offset></bs:listOptions>\n"
							 "      <bs:updateDateInterval>\n"
							 "        <bs:beginDate>2000-01-01T00:00:00+00:00</bs:beginDate>\n"
							 "      </bs:updateDateInterval>\n"
							 "    </ws:getUnitChangesListRequest>\n  </soapenv:Body>\n"
							 "</soapenv:Envelope>\n", count, (long long) offset);

	if (n < 0)
		die("out of memory");
	*len = (size_t) n;
	return s;
}

static int64_t
mercury_run(const char *url, int page_size, int concurrency)
{
	CURLM	   *multi = curl_multi_init();
	Xfer		xf[MAX_INFLIGHT];
	struct curl_slist *headers = NULL;
	int64_t		rows = 0,
				total = -1,
				next_offset = 0;
	int			inflight = 0;

	memset(xf, 0, sizeof(xf));
	headers = curl_slist_append(headers, "Content-Type: text/xml; charset=utf-8");
	headers = curl_slist_append(headers, "SOAPAction: \"GetUnitChangesList\"");
	headers = curl_slist_append(headers, "Expect:");
	headers = curl_slist_append(headers, "Authorization: Basic dGVzdC11c2VyOnRlc3QtcGFzc3dvcmQ=");

	for (;;)
	{
		Xfer	   *x;
		int64_t		n,
					t;

		/* fill the window: the first page alone, then up to "concurrency" */
		while (inflight < (total < 0 ? 1 : concurrency) &&
			   (total < 0 ? next_offset == 0 : next_offset < total))
		{
			int			k;

			for (k = 0; xf[k].busy; k++)
				;
			x = &xf[k];
			x->headers = headers;
			free(x->body);
			x->body = mercury_body(page_size, next_offset, &x->body_len);
			x->offset = next_offset;
			xfer_setup(x, url);
			curl_multi_add_handle(multi, x->easy);
			x->busy = true;
			inflight++;
			next_offset += page_size;
		}
		if (inflight == 0)
			break;
		x = multi_next(multi);
		inflight--;
		n = fetch_only ? mercury_scan_attrs(&x->resp, &t) : mercury_parse(&x->resp, &t);
		rows += n;
		if (total < 0)
			total = t;
	}
	for (int k = 0; k < MAX_INFLIGHT; k++)
	{
		if (xf[k].easy)
			curl_easy_cleanup(xf[k].easy);
		free(xf[k].resp.data);
		free(xf[k].body);
	}
	curl_slist_free_all(headers);
	curl_multi_cleanup(multi);
	return rows;
}

/* ---------------------------------------------------------------------
 * Diadoc
 * ---------------------------------------------------------------------
 */
static int64_t
diadoc_run(const char *url, const char *packet, int page_size)
{
	CURLM	   *multi = curl_multi_init();
	Xfer		x;
	char	   *full;
	uint8_t		key[256];
	size_t		keylen = 0;
	bool		has_key = false;
	int64_t		rows = 0;

	memset(&x, 0, sizeof(x));
	if (asprintf(&full, "%s/GetDocflowsByPacketId?boxId=box-1", url) < 0)
		die("out of memory");
	x.headers = curl_slist_append(NULL, "Content-Type: application/x-protobuf");
	x.headers = curl_slist_append(x.headers, "Expect:");
	x.headers = curl_slist_append(x.headers,
								  "Authorization: DiadocAuth ddauth_api_client_id=test-client,ddauth_token=test-token");
	for (;;)
	{
		Diadoc__Api__Proto__Docflow__GetDocflowsByPacketIdRequest req =
		DIADOC__API__PROTO__DOCFLOW__GET_DOCFLOWS_BY_PACKET_ID_REQUEST__INIT;
		Diadoc__Api__Proto__Docflow__GetDocflowsByPacketIdResponse *resp;

		req.packetid = (char *) packet;
		req.has_count = true;
		req.count = page_size;
		if (has_key)
		{
			req.has_afterindexkey = true;
			req.afterindexkey.data = key;
			req.afterindexkey.len = keylen;
		}
		free(x.body);
		x.body_len = diadoc__api__proto__docflow__get_docflows_by_packet_id_request__get_packed_size(&req);
		x.body = malloc(x.body_len + 1);
		diadoc__api__proto__docflow__get_docflows_by_packet_id_request__pack(&req, (uint8_t *) x.body);
		xfer_setup(&x, full);
		curl_multi_add_handle(multi, x.easy);
		x.busy = true;
		multi_next(multi);

		/* paging needs the key, so even --fetch-only decodes */
		resp = diadoc__api__proto__docflow__get_docflows_by_packet_id_response__unpack(NULL, x.resp.len,
																			  (const uint8_t *) x.resp.data);
		if (resp == NULL)
			die("bad protobuf answer");
		rows += resp->n_documents;
		has_key = resp->has_nextpageindexkey;
		if (has_key)
		{
			if (resp->nextpageindexkey.len > sizeof(key))
				die("key too long");
			keylen = resp->nextpageindexkey.len;
			memcpy(key, resp->nextpageindexkey.data, keylen);
		}
		diadoc__api__proto__docflow__get_docflows_by_packet_id_response__free_unpacked(resp, NULL);
		if (!has_key)
			break;
	}
	curl_easy_cleanup(x.easy);
	curl_slist_free_all(x.headers);
	free(x.resp.data);
	free(x.body);
	free(full);
	curl_multi_cleanup(multi);
	return rows;
}

int
main(int argc, char **argv)
{
	const char *api,
			   *url,
			   *packet = NULL;
	int			page_size = 0,
				concurrency = 4,
				k;
	int64_t		rows;
	double		t0,
				secs;

	if (argc < 3)
		die("usage: baseline mercury URL | diadoc URL PACKET_ID [--page-size N] [--concurrency K] [--fetch-only]");
	api = argv[1];
	url = argv[2];
	k = 3;
	if (strcmp(api, "diadoc") == 0)
	{
		if (argc < 4)
			die("diadoc needs a packet id");
		packet = argv[k++];
	}
	else if (strcmp(api, "mercury") != 0)
		die("api must be mercury or diadoc");
	for (; k < argc; k++)
	{
		if (strcmp(argv[k], "--fetch-only") == 0)
			fetch_only = true;
		else if (strcmp(argv[k], "--page-size") == 0 && k + 1 < argc)
			page_size = atoi(argv[++k]);
		else if (strcmp(argv[k], "--concurrency") == 0 && k + 1 < argc)
			concurrency = atoi(argv[++k]);
		else
			die("unknown argument");
	}
	if (concurrency < 1 || concurrency > MAX_INFLIGHT)
		die("--concurrency must be 1..64");

	curl_global_init(CURL_GLOBAL_DEFAULT);
	t0 = now();
	if (packet != NULL)
		rows = diadoc_run(url, packet, page_size > 0 ? page_size : 100);
	else
		rows = mercury_run(url, page_size > 0 ? page_size : 1000, concurrency);
	secs = now() - t0;
	printf("rows=%lld pages=%lld bytes=%lld seconds=%.3f rows_per_sec=%.0f\n",
		   (long long) rows, (long long) total_pages, (long long) total_bytes,
		   secs, rows / secs);
	curl_global_cleanup();
	return 0;
}
