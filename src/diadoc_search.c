/*-------------------------------------------------------------------------
 * diadoc_search.c
 *		Kontur Diadoc SearchDocflows and GetDocflows (API version 5) as the
 *		resources "search" and "documents" of paged_fdw.
 *
 * Both answer with DocumentWithDocflowV5 documents, converted by the V5
 * schema of src/diadoc_docs.c; options, authentication, requests and the
 * decoding of answers are src/diadoc.c's (src/diadoc.h).  The api_version
 * option does not apply: these operations are asked for in version 5.
 *
 * search: one stream per (box id, query, scope).  SearchDocflows pages by
 * offset (FirstIndex, Count <= 100) and ends a search with
 * HaveMoreDocuments = false; it tells no total.  The pager's offset paging
 * ends a list at a short page or at a total, neither of which fits, so the
 * stream is walked as a chain of keys instead: the key of the next page is
 * the FirstIndex it starts at (this page's FirstIndex plus the documents it
 * held) and the number of empty pages in a row that claimed more, so that
 * no key repeats while the search moves on, and a search that keeps
 * answering "more" without documents ends with an ERROR after
 * DIADOC_SEARCH_MAX_EMPTY such pages.
 *
 * documents: GetDocflows takes up to 100 DocumentIds per request and
 * answers with the documents it knows, in any order.  The (message_id,
 * entity_id) pairs are the cross product of the conditions on the two
 * columns (or one pair per outer row of a join); each stream is one batch
 * of at most page_size (default and most: DIADOC_DOCS_BATCH) pairs and
 * one request.  A 404 answer means that none of the batch is known: no
 * rows.
 *
 * Choices the design leaves open, made here:
 * - query and scope are request parameters that every row echoes, like
 *   box_id: a pushed condition on them holds for every row, exactly.  A
 *   scan without a scope condition searches SearchScopeAny and shows scope
 *   'any', which a condition scope = 'any' asks for too; other values are
 *   an ERROR (22023) naming the valid ones.
 * - A query may not hold control characters other than tab, line feed and
 *   carriage return (the YAML "key: value" form of a query may span
 *   lines): anything else is an ERROR (22023) before any request is sent.
 * - GetDocflows answers are checked against the batch: a document whose id
 *   was not asked for, or that comes twice, is an ERROR, so the pushed
 *   conditions on message_id and entity_id need no local recheck.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "diadoc.h"
#include "diadoc_docs.h"
#include "diadoc_search.pb-c.h"
#include "options.h"
#include "resource.h"

/* The API's limit on Count and on the DocumentIds of one GetDocflows. */
#define DIADOC_SEARCH_MAX_PAGE_SIZE	100
#define DIADOC_DOCS_BATCH			100

/* Empty pages in a row with HaveMoreDocuments = true before giving up. */
#define DIADOC_SEARCH_MAX_EMPTY		3

/* The most (message_id, entity_id) pairs one scan may ask for. */
#define DIADOC_DOCS_MAX_PAIRS		100000

/* Longest piece of remote text quoted in an error message, in bytes. */

#define DIADOC_SEARCH_PATH	"/V5/SearchDocflows"
#define DIADOC_DOCS_PATH	"/V5/GetDocflows"

/* ----------------------------------------------------------------
 * Columns
 * ----------------------------------------------------------------
 */

enum
{
	SEARCH_COL_BOX_ID,
	SEARCH_COL_QUERY,
	SEARCH_COL_SCOPE,
	SEARCH_COL_DOC_FIRST		/* DiadocDocColumn 0 */
};

/* box_id, query and scope are what the request was sent with: no recheck */
static const ResourceColumn search_columns[] = {
	{"box_id", TEXTOID, RC_PUSH_EQ | RC_PUSH_IN, false, true},
	{"query", TEXTOID, RC_PUSH_EQ | RC_PUSH_IN, false, true},
	{"scope", TEXTOID, RC_PUSH_EQ | RC_PUSH_IN, false, true},
	DIADOC_DOC_COLUMNS
};

StaticAssertDecl(lengthof(search_columns) == SEARCH_COL_DOC_FIRST + DDOC_NCOLUMNS,
				 "search_columns[] does not match the column numbers");

enum
{
	DOCS_COL_BOX_ID,
	DOCS_COL_DOC_FIRST			/* DiadocDocColumn 0 */
};

#define DOCS_COL_MESSAGE_ID	(DOCS_COL_DOC_FIRST + DDOC_MESSAGE_ID)
#define DOCS_COL_ENTITY_ID	(DOCS_COL_DOC_FIRST + DDOC_ENTITY_ID)

/* message_id and entity_id: every row is checked to be one asked for */
static const ResourceColumn docs_columns[] = {
	{"box_id", TEXTOID, RC_PUSH_EQ | RC_PUSH_IN, false, true},
	DIADOC_DOC_COLUMNS_BY_ID(RC_PUSH_EQ | RC_PUSH_IN)
};

StaticAssertDecl(lengthof(docs_columns) == DOCS_COL_DOC_FIRST + DDOC_NCOLUMNS,
				 "docs_columns[] does not match the column numbers");

/* The values of the scope column and what each asks for. */
typedef struct SearchScopeName
{
	const char *name;
	Diadoc__Api__Proto__Docflow__SearchScope scope;
} SearchScopeName;

static const SearchScopeName search_scopes[] = {
	{"any", DIADOC__API__PROTO__DOCFLOW__SEARCH_SCOPE__SearchScopeAny},
	{"incoming", DIADOC__API__PROTO__DOCFLOW__SEARCH_SCOPE__SearchScopeIncoming},
	{"outgoing", DIADOC__API__PROTO__DOCFLOW__SEARCH_SCOPE__SearchScopeOutgoing},
	{"deleted", DIADOC__API__PROTO__DOCFLOW__SEARCH_SCOPE__SearchScopeDeleted},
	{"internal", DIADOC__API__PROTO__DOCFLOW__SEARCH_SCOPE__SearchScopeInternal}
};

/* ----------------------------------------------------------------
 * Shared by both resources
 * ----------------------------------------------------------------
 */

static bool
search_pushed_eq(const int *pushed, int colno)
{
	return (pushed[colno] & ((1 << PAGED_OP_EQ) | (1 << PAGED_OP_IN))) != 0;
}

/*
 * The box ids of the scan: those of box_id conditions, else the option's.
 * *from_qual says which.
 */
static char **
search_boxes(ResourceCtx *ctx, List *pushed_values, int box_col,
			 const char *operation, int *nboxes, bool *from_qual)
{
	char	  **boxes = NULL;
	ListCell   *lc;

	*nboxes = 0;
	foreach(lc, pushed_values)
	{
		PushedValue *pv = (PushedValue *) lfirst(lc);

		if (pv->colno == box_col &&
			(pv->op == PAGED_OP_EQ || pv->op == PAGED_OP_IN))
			diadoc_constrain(pv, &boxes, nboxes);
	}
	*from_qual = (boxes != NULL);
	if (boxes == NULL)
	{
		const char *box = ctx->opts->box_id;

		if (box == NULL || box[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
					 errmsg("no Diadoc box id for foreign table \"%s\"",
							get_rel_name(ctx->opts->tableid)),
					 errdetail("%s needs a boxId, and neither the box_id option nor a condition box_id = '...' gives one.",
							   operation),
					 errhint("Set the box_id option on the server or the foreign table, or add WHERE box_id = '...'.")));
		boxes = palloc(sizeof(char *));
		boxes[0] = pstrdup(box);
		*nboxes = 1;
	}
	return boxes;
}

/* Pack "msg" and fill *req for a POST of it. */
static void
search_request(ResourceCtx *ctx, const char *operation, const char *path,
			   const char *box_utf8, const ProtobufCMessage *msg,
			   HttpRequest *req)
{
	size_t		len = protobuf_c_message_get_packed_size(msg);
	uint8_t    *body = palloc(Max(len, 1));

	protobuf_c_message_pack(msg, body);
	diadoc_request(ctx, operation, path, box_utf8, body, len, req);
}

/* The documents (field 1) of a decoded answer of either operation. */
static ProtobufCMessage **
search_documents(void *records, size_t *n)
{
	if (records == NULL)
	{
		*n = 0;
		return NULL;
	}
	/* SearchDocflowsResponseV5 and GetDocflowBatchResponseV5 alike */
	if (((ProtobufCMessage *) records)->descriptor ==
		&diadoc__api__proto__docflow__search_docflows_response_v5__descriptor)
	{
		Diadoc__Api__Proto__Docflow__SearchDocflowsResponseV5 *r = records;

		*n = r->n_documents;
		return (ProtobufCMessage **) r->documents;
	}
	else
	{
		Diadoc__Api__Proto__Docflow__GetDocflowBatchResponseV5 *r = records;

		*n = r->n_documents;
		return (ProtobufCMessage **) r->documents;
	}
}

static void
search_fill_text(int colno, const char *s, const bool *want, Datum *values,
				 bool *nulls)
{
	if (want[colno])
	{
		nulls[colno] = false;
		values[colno] = CStringGetTextDatum(s);
	}
}

/* ----------------------------------------------------------------
 * search: SearchDocflows
 * ----------------------------------------------------------------
 */

typedef struct SearchStream
{
	char	   *box_id;			/* server encoding, for rows */
	char	   *query;
	const SearchScopeName *scope;
	char	   *box_id_utf8;	/* what goes on the wire */
	char	   *query_utf8;
} SearchStream;

/* The key of a page after the first: where it starts, empty pages so far. */
typedef struct SearchKey
{
	int32		first_index;
	int32		empty_pages;
} SearchKey;

static bool
search_has_required(const int *pushed)
{
	return search_pushed_eq(pushed, SEARCH_COL_QUERY);
}

static char *
search_describe_endpoint(const PagedOptions *opts)
{
	return pstrdup("POST " DIADOC_SEARCH_PATH " (DocumentWithDocflowV5)");
}

static const SearchScopeName *
search_scope(const char *name)
{
	int			i;

	for (i = 0; i < lengthof(search_scopes); i++)
		if (strcmp(search_scopes[i].name, name) == 0)
			return &search_scopes[i];
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid Diadoc search scope \"%s\"",
					paged_cut_value(name, PAGED_VALUE_MAX)),
			 errhint("The scope column takes 'any', 'incoming', 'outgoing', 'deleted' or 'internal'.")));
	return NULL;				/* keep compiler quiet */
}

/* A query with a control character (but tab, LF, CR) is refused. */
static void
search_check_query(const char *q)
{
	const unsigned char *p;

	for (p = (const unsigned char *) q; *p; p++)
	{
		if ((*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') || *p == 0x7f)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("Diadoc search query contains control character 0x%02x",
							*p),
					 errdetail("The character is at byte %d of the query.",
							   (int) (p - (const unsigned char *) q) + 1),
					 errhint("Remove it from the condition on column query; tab, line feed and carriage return are allowed.")));
	}
}

/*
 * A query for labels (EXPLAIN, messages): cut, quoted, and on one line (a
 * query may hold tab, line feed and carriage return).
 */
static char *
search_label_text(const char *query)
{
	const char *p = paged_cut_value(query, PAGED_VALUE_MAX);
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '\'');
	for (; *p; p++)
	{
		if (*p == '\'')
			appendStringInfoString(&buf, "''");
		else if (*p == '\n')
			appendStringInfoString(&buf, "\\n");
		else if (*p == '\r')
			appendStringInfoString(&buf, "\\r");
		else if (*p == '\t')
			appendStringInfoString(&buf, "\\t");
		else
			appendStringInfoChar(&buf, *p);
	}
	appendStringInfoChar(&buf, '\'');
	return buf.data;
}

static List *
search_make_streams(ResourceCtx *ctx, List *pushed_values)
{
	char	  **queries = NULL;
	int			nqueries = 0;
	char	  **scopes = NULL;
	int			nscopes = 0;
	char	  **boxes;
	int			nboxes;
	bool		box_from_qual;
	List	   *streams = NIL;
	ListCell   *lc;
	int			b,
				q,
				s;

	diadoc_new_streams(ctx);
	foreach(lc, pushed_values)
	{
		PushedValue *pv = (PushedValue *) lfirst(lc);

		if (pv->op != PAGED_OP_EQ && pv->op != PAGED_OP_IN)
			continue;
		if (pv->colno == SEARCH_COL_QUERY)
			diadoc_constrain(pv, &queries, &nqueries);
		else if (pv->colno == SEARCH_COL_SCOPE)
			diadoc_constrain(pv, &scopes, &nscopes);
	}
	if (queries == NULL)
		elog(ERROR, "SearchDocflows scan started without a query condition");
	/* every value is checked, even if another condition rules all out */
	for (q = 0; q < nqueries; q++)
		search_check_query(queries[q]);
	for (s = 0; s < nscopes; s++)
		(void) search_scope(scopes[s]);
	if (nqueries == 0 || (scopes != NULL && nscopes == 0))
		return NIL;
	if (scopes == NULL)
	{
		scopes = palloc(sizeof(char *));
		scopes[0] = pstrdup(search_scopes[0].name);
		nscopes = 1;
	}

	boxes = search_boxes(ctx, pushed_values, SEARCH_COL_BOX_ID,
						 "SearchDocflows", &nboxes, &box_from_qual);
	for (b = 0; b < nboxes; b++)
	{
		char	   *box_utf8 = diadoc_to_utf8(boxes[b]);

		for (q = 0; q < nqueries; q++)
		{
			char	   *query_utf8 = diadoc_to_utf8(queries[q]);

			for (s = 0; s < nscopes; s++)
			{
				ResourceStream *rs = palloc0(sizeof(ResourceStream));
				SearchStream *ss = palloc0(sizeof(SearchStream));

				ss->box_id = boxes[b];
				ss->box_id_utf8 = box_utf8;
				ss->query = queries[q];
				ss->query_utf8 = query_utf8;
				ss->scope = search_scope(scopes[s]);
				rs->arg = ss;
				rs->label = psprintf("%s%s%squery %s, scope %s",
									 box_from_qual ? "box " : "",
									 box_from_qual ? paged_cut_value(boxes[b], PAGED_VALUE_MAX) : "",
									 box_from_qual ? ", " : "",
									 search_label_text(queries[q]),
									 ss->scope->name);
				streams = lappend(streams, rs);
			}
		}
	}
	return streams;
}

static void
search_decode_key(const PageCursor *cursor, SearchKey *key)
{
	memset(key, 0, sizeof(SearchKey));
	if (cursor->key == NULL)
		return;
	if (cursor->keylen != sizeof(SearchKey))
		elog(ERROR, "SearchDocflows page key of %d bytes", cursor->keylen);
	memcpy(key, cursor->key, sizeof(SearchKey));
}

static void
search_build_request(ResourceCtx *ctx, ResourceStream *stream,
					 const PageCursor *cursor, HttpRequest *req)
{
	SearchStream *ss = (SearchStream *) stream->arg;
	Diadoc__Api__Proto__Docflow__SearchDocflowsRequest msg =
	DIADOC__API__PROTO__DOCFLOW__SEARCH_DOCFLOWS_REQUEST__INIT;
	SearchKey	key;

	search_decode_key(cursor, &key);
	msg.querystring = ss->query_utf8;
	msg.has_count = true;
	msg.count = cursor->count;
	/* the first page too: FirstIndex 0 said, not left to a default */
	msg.has_firstindex = true;
	msg.firstindex = key.first_index;
	if (ss->scope->scope != DIADOC__API__PROTO__DOCFLOW__SEARCH_SCOPE__SearchScopeAny)
	{
		msg.has_scope = true;
		msg.scope = ss->scope->scope;
	}
	search_request(ctx, "SearchDocflows", DIADOC_SEARCH_PATH, ss->box_id_utf8,
				   &msg.base, req);
}

static PageVerdict
search_parse_page(ResourceCtx *ctx, ResourceStream *stream,
				  const PageCursor *cursor, const HttpRequest *req,
				  const HttpResponse *resp, PageResult *out)
{
	const ProtobufCMessageDescriptor *rdesc =
	&diadoc__api__proto__docflow__search_docflows_response_v5__descriptor;
	Diadoc__Api__Proto__Docflow__SearchDocflowsResponseV5 *msg;
	PageVerdict verdict;
	SearchKey	key;
	SearchKey  *next;
	int64		next_index;

	verdict = diadoc_check_answer(ctx, stream, cursor, req, resp, rdesc);
	if (verdict != PAGE_OK)
		return verdict;
	diadoc_check_count(req, resp, 1, "documents", cursor->count);
	msg = (Diadoc__Api__Proto__Docflow__SearchDocflowsResponseV5 *)
		diadoc_decode_answer(rdesc, req, resp);
	if (!msg->has_havemoredocuments)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("SearchDocflows response lacks HaveMoreDocuments"),
				 errdetail("The answer from %s does not say whether more documents follow (field 2 of SearchDocflowsResponseV5 is required).",
						   req->url)));

	out->nrecords = (int) msg->n_documents;
	out->records = msg;
	out->total = -1;
	out->has_next = msg->havemoredocuments;
	out->next_key = NULL;
	out->next_keylen = 0;
	if (!out->has_next)
		return PAGE_OK;

	search_decode_key(cursor, &key);
	next = palloc(sizeof(SearchKey));
	next_index = (int64) key.first_index + msg->n_documents;
	if (next_index > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("SearchDocflows claims more documents past FirstIndex %d",
						PG_INT32_MAX),
				 errdetail("FirstIndex cannot go further.")));
	next->first_index = (int32) next_index;
	next->empty_pages = msg->n_documents == 0 ? key.empty_pages + 1 : 0;
	if (next->empty_pages >= DIADOC_SEARCH_MAX_EMPTY)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("SearchDocflows returned %d empty pages in a row that claimed more documents",
						next->empty_pages),
				 errdetail("Each answer for FirstIndex %d from %s had no document and HaveMoreDocuments = true.",
						   key.first_index, req->url),
				 errhint("The search would not end; it was stopped.")));
	out->next_key = (char *) next;
	out->next_keylen = sizeof(SearchKey);
	return PAGE_OK;
}

static void
search_fill_row(ResourceCtx *ctx, ResourceStream *stream, void *records,
				int index, const bool *want, Datum *values, bool *nulls)
{
	SearchStream *ss = (SearchStream *) stream->arg;
	ProtobufCMessage **docs;
	size_t		n;

	diadoc_value_secrets = diadoc_scan_secrets(ctx);
	docs = search_documents(records, &n);
	Assert(index >= 0 && (size_t) index < n);
	search_fill_text(SEARCH_COL_BOX_ID, ss->box_id, want, values, nulls);
	search_fill_text(SEARCH_COL_QUERY, ss->query, want, values, nulls);
	search_fill_text(SEARCH_COL_SCOPE, ss->scope->name, want, values, nulls);
	diadoc_schema_v5.fill(docs[index], want + SEARCH_COL_DOC_FIRST,
						  values + SEARCH_COL_DOC_FIRST,
						  nulls + SEARCH_COL_DOC_FIRST);
}

const PagedResource diadoc_search_resource = {
	.api = "diadoc",
	.name = "search",
	.operation = "SearchDocflows",
	.columns = search_columns,
	.ncolumns = lengthof(search_columns),
	.paging = PAGING_KEY,
	.default_page_size = DIADOC_SEARCH_MAX_PAGE_SIZE,
	.max_page_size = DIADOC_SEARCH_MAX_PAGE_SIZE,
	.has_required = search_has_required,
	.required_columns = "query",
	.required_hint = "Add a condition such as WHERE query = '...'.",
	.check_options = diadoc_check_options,
	.begin = diadoc_begin,
	.make_streams = search_make_streams,
	.build_request = search_build_request,
	.parse_page = search_parse_page,
	.reauth = diadoc_reauth,
	.fill_row = search_fill_row,
	.describe_endpoint = search_describe_endpoint
};

/* ----------------------------------------------------------------
 * documents: GetDocflows
 * ----------------------------------------------------------------
 */

typedef struct DocsStream
{
	char	   *box_id;			/* server encoding, for rows */
	char	   *box_id_utf8;
	int			npairs;
	char	  **message_ids;	/* UTF-8, as sent */
	char	  **entity_ids;
} DocsStream;

static bool
docs_has_required(const int *pushed)
{
	return search_pushed_eq(pushed, DOCS_COL_MESSAGE_ID) &&
		search_pushed_eq(pushed, DOCS_COL_ENTITY_ID);
}

static char *
docs_describe_endpoint(const PagedOptions *opts)
{
	return psprintf("POST " DIADOC_DOCS_PATH " (DocumentWithDocflowV5, up to %d ids a request)",
					DIADOC_DOCS_BATCH);
}

static List *
docs_make_streams(ResourceCtx *ctx, List *pushed_values)
{
	char	  **mids = NULL;
	int			nmids = 0;
	char	  **eids = NULL;
	int			neids = 0;
	char	  **boxes;
	int			nboxes;
	bool		box_from_qual;
	char	  **mids_utf8;
	char	  **eids_utf8;
	List	   *streams = NIL;
	ListCell   *lc;
	int64		npairs;
	int			batch;
	int			nbatches;
	int			b,
				i;

	diadoc_new_streams(ctx);
	foreach(lc, pushed_values)
	{
		PushedValue *pv = (PushedValue *) lfirst(lc);

		if (pv->op != PAGED_OP_EQ && pv->op != PAGED_OP_IN)
			continue;
		if (pv->colno == DOCS_COL_MESSAGE_ID)
			diadoc_constrain(pv, &mids, &nmids);
		else if (pv->colno == DOCS_COL_ENTITY_ID)
			diadoc_constrain(pv, &eids, &neids);
	}
	if (mids == NULL || eids == NULL)
		elog(ERROR, "GetDocflows scan started without message_id and entity_id conditions");
	if (nmids == 0 || neids == 0)
		return NIL;
	npairs = (int64) nmids * neids;
	if (npairs > DIADOC_DOCS_MAX_PAIRS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many Diadoc documents asked for at once"),
				 errdetail("The conditions on message_id (%d values) and entity_id (%d values) make " INT64_FORMAT " pairs; at most %d can be asked for in one scan.",
						   nmids, neids, npairs, DIADOC_DOCS_MAX_PAIRS),
				 errhint("Join on both columns instead, or narrow the IN lists.")));

	mids_utf8 = palloc(sizeof(char *) * nmids);
	for (i = 0; i < nmids; i++)
		mids_utf8[i] = diadoc_to_utf8(mids[i]);
	eids_utf8 = palloc(sizeof(char *) * neids);
	for (i = 0; i < neids; i++)
		eids_utf8[i] = diadoc_to_utf8(eids[i]);

	boxes = search_boxes(ctx, pushed_values, DOCS_COL_BOX_ID, "GetDocflows",
						 &nboxes, &box_from_qual);
	batch = Max(1, Min(ctx->page_size, DIADOC_DOCS_BATCH));
	nbatches = (int) ((npairs + batch - 1) / batch);
	for (b = 0; b < nboxes; b++)
	{
		char	   *box_utf8 = diadoc_to_utf8(boxes[b]);
		int64		p = 0;
		int			k;

		for (k = 0; k < nbatches; k++)
		{
			ResourceStream *rs = palloc0(sizeof(ResourceStream));
			DocsStream *ds = palloc0(sizeof(DocsStream));
			int			n = (int) Min(batch, npairs - p);

			ds->box_id = boxes[b];
			ds->box_id_utf8 = box_utf8;
			ds->npairs = n;
			ds->message_ids = palloc(sizeof(char *) * n);
			ds->entity_ids = palloc(sizeof(char *) * n);
			for (i = 0; i < n; i++, p++)
			{
				ds->message_ids[i] = mids_utf8[p / neids];
				ds->entity_ids[i] = eids_utf8[p % neids];
			}
			rs->arg = ds;
			if (nbatches == 1 && !box_from_qual)
				rs->label = psprintf("%d document id%s", n, n == 1 ? "" : "s");
			else
				rs->label = psprintf("%s%s%sdocument ids " INT64_FORMAT "-" INT64_FORMAT " of " INT64_FORMAT,
									 box_from_qual ? "box " : "",
									 box_from_qual ? paged_cut_value(boxes[b], PAGED_VALUE_MAX) : "",
									 box_from_qual ? ", " : "",
									 p - n + 1, p, npairs);
			streams = lappend(streams, rs);
		}
	}
	return streams;
}

static void
docs_build_request(ResourceCtx *ctx, ResourceStream *stream,
				   const PageCursor *cursor, HttpRequest *req)
{
	DocsStream *ds = (DocsStream *) stream->arg;
	Diadoc__Api__Proto__Docflow__GetDocflowBatchRequest msg =
	DIADOC__API__PROTO__DOCFLOW__GET_DOCFLOW_BATCH_REQUEST__INIT;
	Diadoc__Api__Proto__Docflow__GetDocflowRequest *items;
	Diadoc__Api__Proto__DocumentId *ids;
	int			i;

	items = palloc(sizeof(*items) * ds->npairs);
	ids = palloc(sizeof(*ids) * ds->npairs);
	msg.n_requests = ds->npairs;
	msg.requests = palloc(sizeof(*msg.requests) * ds->npairs);
	for (i = 0; i < ds->npairs; i++)
	{
		diadoc__api__proto__docflow__get_docflow_request__init(&items[i]);
		diadoc__api__proto__document_id__init(&ids[i]);
		ids[i].messageid = ds->message_ids[i];
		ids[i].entityid = ds->entity_ids[i];
		items[i].documentid = &ids[i];
		msg.requests[i] = &items[i];
	}
	search_request(ctx, "GetDocflows", DIADOC_DOCS_PATH, ds->box_id_utf8,
				   &msg.base, req);
}

/* Error for a document of the answer that is not one of the batch. */
static void
docs_unexpected(const HttpRequest *req, int index, const char *why,
				const char *mid, const char *eid)
{
	List	   *secrets = http_secrets(req);

	/* ids are remote text: redacted, cut and escaped like any other */
	ereport(ERROR,
			(errcode(ERRCODE_FDW_ERROR),
			 errmsg("GetDocflows response holds a document that %s", why),
			 errdetail("Document %d of the answer from %s has message id \"%s\" and entity id \"%s\".",
					   index + 1, req->url,
					   mid ? http_bytes_excerpt(secrets, mid, diadoc_pb_strlen(mid), 0, 80) : "",
					   eid ? http_bytes_excerpt(secrets, eid, diadoc_pb_strlen(eid), 0, 80) : "")));
}

static PageVerdict
docs_parse_page(ResourceCtx *ctx, ResourceStream *stream,
				const PageCursor *cursor, const HttpRequest *req,
				const HttpResponse *resp, PageResult *out)
{
	DocsStream *ds = (DocsStream *) stream->arg;
	const ProtobufCMessageDescriptor *rdesc =
	&diadoc__api__proto__docflow__get_docflow_batch_response_v5__descriptor;
	Diadoc__Api__Proto__Docflow__GetDocflowBatchResponseV5 *msg;
	PageVerdict verdict;
	bool	   *seen;
	size_t		d;

	out->total = -1;
	out->has_next = false;
	out->next_key = NULL;
	out->next_keylen = 0;

	/* none of the batch is known (design section 6.3): no rows */
	if (resp->outcome == HTTP_COMPLETED && resp->status == 404)
	{
		out->nrecords = 0;
		out->records = NULL;
		return PAGE_OK;
	}
	verdict = diadoc_check_answer(ctx, stream, cursor, req, resp, rdesc);
	if (verdict != PAGE_OK)
		return verdict;
	diadoc_check_count(req, resp, 1, "documents", ds->npairs);
	msg = (Diadoc__Api__Proto__Docflow__GetDocflowBatchResponseV5 *)
		diadoc_decode_answer(rdesc, req, resp);

	/* each document must be one asked for, once: the conditions then hold */
	seen = palloc0(sizeof(bool) * ds->npairs);
	for (d = 0; d < msg->n_documents; d++)
	{
		Diadoc__Api__Proto__DocumentId *id = msg->documents[d]->documentid;
		int			i;

		if (id == NULL || id->messageid == NULL || id->entityid == NULL)
			docs_unexpected(req, (int) d, "has no DocumentId",
							id ? id->messageid : NULL, id ? id->entityid : NULL);
		for (i = 0; i < ds->npairs; i++)
		{
			if (strcmp(ds->message_ids[i], id->messageid) == 0 &&
				strcmp(ds->entity_ids[i], id->entityid) == 0 &&
				strlen(id->messageid) == diadoc_pb_strlen(id->messageid) &&
				strlen(id->entityid) == diadoc_pb_strlen(id->entityid))
				break;
		}
		if (i == ds->npairs)
			docs_unexpected(req, (int) d, "was not asked for", id->messageid,
							id->entityid);
		if (seen[i])
			docs_unexpected(req, (int) d, "comes twice", id->messageid,
							id->entityid);
		seen[i] = true;
	}
	out->nrecords = (int) msg->n_documents;
	out->records = msg;
	return PAGE_OK;
}

static void
docs_fill_row(ResourceCtx *ctx, ResourceStream *stream, void *records,
			  int index, const bool *want, Datum *values, bool *nulls)
{
	DocsStream *ds = (DocsStream *) stream->arg;
	ProtobufCMessage **docs;
	size_t		n;

	diadoc_value_secrets = diadoc_scan_secrets(ctx);
	docs = search_documents(records, &n);
	Assert(index >= 0 && (size_t) index < n);
	search_fill_text(DOCS_COL_BOX_ID, ds->box_id, want, values, nulls);
	diadoc_schema_v5.fill(docs[index], want + DOCS_COL_DOC_FIRST,
						  values + DOCS_COL_DOC_FIRST,
						  nulls + DOCS_COL_DOC_FIRST);
}

const PagedResource diadoc_documents_resource = {
	.api = "diadoc",
	.name = "documents",
	.operation = "GetDocflows",
	.columns = docs_columns,
	.ncolumns = lengthof(docs_columns),
	.paging = PAGING_KEY,
	.default_page_size = DIADOC_DOCS_BATCH,
	.max_page_size = DIADOC_DOCS_BATCH,
	.has_required = docs_has_required,
	.required_columns = "message_id and entity_id",
	.required_hint = "Add conditions such as WHERE message_id = '...' AND entity_id IN (...), or join on both columns.",
	.check_options = diadoc_check_options,
	.begin = diadoc_begin,
	.make_streams = docs_make_streams,
	.build_request = docs_build_request,
	.parse_page = docs_parse_page,
	.reauth = diadoc_reauth,
	.fill_row = docs_fill_row,
	.describe_endpoint = docs_describe_endpoint
};
