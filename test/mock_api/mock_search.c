/*
 * mock_search.c
 *		SearchDocflows and GetDocflows (V5) over the mock's generated box
 *		(mock_search.h, PROTOCOL.md "Search and documents by id").
 *
 * Search rule: a document matches a QueryString that is a substring of its
 * DocumentNumber ("B-<d>") or of its FileName ("box-<d>.xml"); matches come
 * in the order the documents were created (their first event), so a box
 * that grows adds matches at the end.  Scopes: Any is every document not
 * deleted, Incoming/Outgoing/Internal those of that direction not deleted,
 * Deleted the deleted ones.
 */
#include "mock_search.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diadoc_search.pb-c.h"

#define SEARCH_MAX_COUNT	100
#define DOCS_MAX_IDS		100

/* The box grows by this many events per FirstIndex (scenario grow). */
#define GROW_BASE			10
#define GROW_STEP			2

typedef struct WBuf
{
	uint8_t    *data;
	size_t		len;
	size_t		cap;
} WBuf;

static void
wbuf_put(WBuf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap)
	{
		size_t		cap = b->cap ? b->cap : 256;

		while (cap < b->len + n)
			cap *= 2;
		b->data = realloc(b->data, cap);
		if (b->data == NULL)
			abort();
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void
wbuf_varint(WBuf *b, uint64_t v)
{
	uint8_t		tmp[10];
	int			n = 0;

	do
	{
		tmp[n] = (uint8_t) (v & 0x7f);
		v >>= 7;
		if (v)
			tmp[n] |= 0x80;
		n++;
	} while (v);
	wbuf_put(b, tmp, n);
}

/* A length-delimited field. */
static void
wbuf_bytes(WBuf *b, uint32_t field, const void *p, size_t n)
{
	wbuf_varint(b, ((uint64_t) field << 3) | 2);
	wbuf_varint(b, n);
	wbuf_put(b, p, n);
}

static void
wbuf_bool(WBuf *b, uint32_t field, bool v)
{
	wbuf_varint(b, (uint64_t) field << 3);
	wbuf_varint(b, v ? 1 : 0);
}

/* Append to the log line. */
static void
log_addf(char *log, size_t size, const char *fmt,...)
{
	size_t		used = strlen(log);
	va_list		ap;

	if (used + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(log + used, size - used, fmt, ap);
	va_end(ap);
}

/* A value in the log as one word: unusual bytes as %XX, "-" when absent. */
static void
log_word(char *log, size_t size, const char *s)
{
	if (s == NULL)
	{
		log_addf(log, size, "-");
		return;
	}
	if (*s == '\0')
	{
		log_addf(log, size, "%%");
		return;
	}
	for (; *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')
			log_addf(log, size, "%c", c);
		else
			log_addf(log, size, "%%%02X", c);
	}
}

static void
reply_text(BoxReply *r, int status, const char *fmt,...)
{
	char		text[256];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	r->status = status;
	r->text = true;
	r->len = strlen(text);
	r->body = malloc(r->len + 1);
	if (r->body == NULL)
		abort();
	memcpy(r->body, text, r->len + 1);
}

static void
reply_proto(BoxReply *r, WBuf *b)
{
	r->status = 200;
	r->text = false;
	r->body = b->data ? b->data : malloc(1);
	if (r->body == NULL)
		abort();
	r->len = b->len;
}

/* Append document state s as field 1 of an answer. */
static void
put_doc(WBuf *b, const BoxDoc *s, const char *box)
{
	size_t		len;
	uint8_t    *doc = box_doc_v5(s, box, &len);

	wbuf_bytes(b, 1, doc, len);
	free(doc);
}

/* A field no subset declares, as the real answers have many. */
static void
put_unknown(WBuf *b)
{
	wbuf_bytes(b, 9, "mock-extra", 10);
}

static bool
search_in_scope(const BoxDoc *s, int scope)
{
	switch (scope)
	{
		case DIADOC__API__PROTO__DOCFLOW__SEARCH_SCOPE__SearchScopeIncoming:
			return !s->is_deleted && s->direction == 1;
		case DIADOC__API__PROTO__DOCFLOW__SEARCH_SCOPE__SearchScopeOutgoing:
			return !s->is_deleted && s->direction == 2;
		case DIADOC__API__PROTO__DOCFLOW__SEARCH_SCOPE__SearchScopeInternal:
			return !s->is_deleted && s->direction == 3;
		case DIADOC__API__PROTO__DOCFLOW__SEARCH_SCOPE__SearchScopeDeleted:
			return s->is_deleted;
		default:
			return !s->is_deleted;
	}
}

static bool
search_matches(const BoxDoc *s, const char *query)
{
	char		file[BOX_ID_MAX];

	snprintf(file, sizeof(file), "box-%d.xml", s->doc);
	return strstr(s->document_number, query) != NULL || strstr(file, query) != NULL;
}

/*
 * The documents matching, in the order of their creation: the document
 * created by event j (j < BOX_NDOCS: every document's first event is one
 * of the first BOX_NDOCS events) is box_event_doc(j).
 */
static int
search_collect(const char *query, int scope, int horizon, BoxDoc *out)
{
	int			n = 0;

	for (int j = 0; j < BOX_NDOCS; j++)
	{
		BoxDoc		s;

		if (!box_doc_state(box_event_doc(j), horizon, &s))
			continue;
		if (search_in_scope(&s, scope) && search_matches(&s, query))
			out[n++] = s;
	}
	return n;
}

void
search_docflows_answer(const uint8_t *body, size_t len, const char *box,
					   int horizon, SearchBad bad, BoxReply *r, char *log,
					   size_t logsize)
{
	Diadoc__Api__Proto__Docflow__SearchDocflowsRequest *req;
	BoxDoc		matches[BOX_NDOCS];
	int			total;
	int			count;
	int			first;
	int			scope;
	int			ndocs = 0;
	bool		more;
	WBuf		b = {0};

	memset(r, 0, sizeof(*r));
	req = diadoc__api__proto__docflow__search_docflows_request__unpack(NULL, len, body);
	if (req == NULL)
	{
		reply_text(r, 400, "mock: body is not a SearchDocflowsRequest");
		log_addf(log, logsize, "status=400 error=bad-protobuf");
		return;
	}
	count = req->has_count ? req->count : 100;
	first = req->has_firstindex ? req->firstindex : 0;
	scope = req->has_scope ? (int) req->scope : 0;
	log_addf(log, logsize, "query=");
	log_word(log, logsize, req->querystring);
	log_addf(log, logsize, " scope=%d first=%d count=%d ", scope, first, count);

	if (req->querystring == NULL)
		reply_text(r, 400, "mock: QueryString is required");
	else if (count < 1 || count > SEARCH_MAX_COUNT)
		reply_text(r, 400, "mock: Count must be between 1 and %d", SEARCH_MAX_COUNT);
	else if (first < 0)
		reply_text(r, 400, "mock: FirstIndex must not be negative");
	else if (scope < 0 || scope > 4)
		reply_text(r, 400, "mock: unknown Scope %d", scope);
	if (r->status != 0)
	{
		log_addf(log, logsize, "status=%d", r->status);
		diadoc__api__proto__docflow__search_docflows_request__free_unpacked(req, NULL);
		return;
	}

	if (bad == SEARCH_BAD_GROW)
	{
		int64_t		h = GROW_BASE + (int64_t) GROW_STEP * first;

		horizon = h < BOX_NEVENTS ? (int) h : BOX_NEVENTS;
	}
	total = search_collect(req->querystring, scope, horizon, matches);
	if (bad == SEARCH_BAD_EMPTY_MORE)
		more = true;
	else
	{
		for (int i = first; i < total && ndocs < count; i++, ndocs++)
			put_doc(&b, &matches[i], box);
		if (bad == SEARCH_BAD_EXTRA)
		{
			/* one more than Count, repeating documents if need be */
			for (; ndocs <= count && total > 0; ndocs++)
				put_doc(&b, &matches[ndocs % total], box);
		}
		more = (int64_t) first + count < total;
	}
	put_unknown(&b);
	if (bad != SEARCH_BAD_MISSING)
		wbuf_bool(&b, 2, more);
	reply_proto(r, &b);
	log_addf(log, logsize, "status=200 total=%d docs=%d more=%s", total, ndocs,
			 bad == SEARCH_BAD_MISSING ? "-" : more ? "true" : "false");
	diadoc__api__proto__docflow__search_docflows_request__free_unpacked(req, NULL);
}

void
get_docflows_answer(const uint8_t *body, size_t len, const char *box,
					int horizon, SearchBad bad, BoxReply *r, char *log,
					size_t logsize)
{
	Diadoc__Api__Proto__Docflow__GetDocflowBatchRequest *req;
	int			found[DOCS_MAX_IDS];
	int			nfound = 0;
	bool		asked[BOX_NDOCS] = {0};
	WBuf		b = {0};

	memset(r, 0, sizeof(*r));
	req = diadoc__api__proto__docflow__get_docflow_batch_request__unpack(NULL, len, body);
	if (req == NULL)
	{
		reply_text(r, 400, "mock: body is not a GetDocflowBatchRequest");
		log_addf(log, logsize, "status=400 error=bad-protobuf");
		return;
	}
	log_addf(log, logsize, "ids=%zu", req->n_requests);
	if (req->n_requests > 0 && req->requests[0]->documentid != NULL)
	{
		log_addf(log, logsize, " first=");
		log_word(log, logsize, req->requests[0]->documentid->messageid);
		log_addf(log, logsize, "/");
		log_word(log, logsize, req->requests[0]->documentid->entityid);
	}
	log_addf(log, logsize, " ");

	if (req->n_requests == 0)
		reply_text(r, 400, "mock: Requests is empty");
	else if (req->n_requests > DOCS_MAX_IDS)
		reply_text(r, 400, "mock: at most %d Requests", DOCS_MAX_IDS);
	for (size_t i = 0; r->status == 0 && i < req->n_requests; i++)
	{
		Diadoc__Api__Proto__DocumentId *id = req->requests[i]->documentid;
		BoxDoc		s;
		int			d;

		if (id == NULL || id->messageid == NULL || id->entityid == NULL)
		{
			reply_text(r, 400, "mock: request %zu has no DocumentId", i);
			break;
		}
		d = box_find_doc(id->messageid, id->entityid);
		if (d >= 0 && !asked[d] && box_doc_state(d, horizon, &s))
			found[nfound++] = d;
		if (d >= 0)
			asked[d] = true;
	}
	if (r->status == 0 && nfound == 0 &&
		bad != SEARCH_BAD_MISSING && bad != SEARCH_BAD_EXTRA)
		reply_text(r, 404, "mock: none of the documents is known");
	if (r->status != 0)
	{
		log_addf(log, logsize, "status=%d", r->status);
		diadoc__api__proto__docflow__get_docflow_batch_request__free_unpacked(req, NULL);
		return;
	}

	/* the answer's order is not the request's */
	if (bad == SEARCH_BAD_MISSING)
		wbuf_bytes(&b, 1, "", 0);
	for (int i = nfound - 1; i >= 0; i--)
	{
		BoxDoc		s;

		box_doc_state(found[i], horizon, &s);
		put_doc(&b, &s, box);
		/* the first one found once more (needs a batch of two or more) */
		if (bad == SEARCH_BAD_TWICE && i == 0)
			put_doc(&b, &s, box);
	}
	if (bad == SEARCH_BAD_EXTRA)
	{
		/* the first existing document that was not asked for */
		for (int d = 0; d < BOX_NDOCS; d++)
		{
			BoxDoc		s;

			if (!asked[d] && box_doc_state(d, horizon, &s))
			{
				put_doc(&b, &s, box);
				break;
			}
		}
	}
	put_unknown(&b);
	reply_proto(r, &b);
	log_addf(log, logsize, "status=200 docs=%d", nfound);
	diadoc__api__proto__docflow__get_docflow_batch_request__free_unpacked(req, NULL);
}
