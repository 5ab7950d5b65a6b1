/*-------------------------------------------------------------------------
 * diadoc_events.c
 *		Kontur Diadoc GetDocflowEvents (V5) as the resource "docflow_events"
 *		of paged_fdw: the box's event feed, one row per event.
 *
 * One stream per scan: the box of the box_id option, from the lower bound
 * on event_at on.  A page is one POST /V5/GetDocflowEvents: the
 * TimeBasedFilter carries the bounds on event_at and the sort direction,
 * AfterIndexKey the IndexKey of the previous page's last event, and the
 * filters on direction, document_type, message_type, department_id and
 * counteragent_box_id go into the request's own filters.  The answer has no
 * key of its own, so an empty page ends the feed (DESIGN.md 6.3).
 *
 * Requests, authentication and decoding are those of src/diadoc.c, the
 * document columns those of src/diadoc_docs.c (the V5 schema, whatever
 * api_version says: the feed exists in V5 only here).
 *
 * Choices the design leaves open, made here:
 * - event_at >= x is exact (FromTimestamp is inclusive; a timestamptz is
 *   the event's ticks cut to microseconds, so ticks >= 10 x); > x and the
 *   upper bounds are sent widened and rechecked: ToTimestamp's
 *   inclusiveness is undocumented, so x + 1 microsecond goes out for <= x.
 * - A filter goes out only when it says exactly what the condition says or
 *   more: DocumentDirections and MessageTypes only when every value is one
 *   the API knows (the SDK's constants), otherwise the condition stays
 *   local only.  Every pushed document condition is also rechecked.
 * - message_id and entity_id come from the event's DocumentId, so they
 *   need no PopulateDocuments; the other document columns do.
 * - An event without a Document although documents were asked for (a
 *   document deleted since, or no longer visible to the user) is a row
 *   whose document columns other than message_id/entity_id are NULL: the
 *   event itself happened, and a sync must not stop at it.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "diadoc.h"
#include "diadoc_docflow_events.pb-c.h"
#include "diadoc_docs.h"
#include "http.h"
#include "options.h"
#include "resource.h"

#define EV_MAX_PAGE_SIZE	100
#define EV_PATH				"/V5/GetDocflowEvents"
#define EV_OPERATION		"GetDocflowEvents"

/* .NET ticks from 0001-01-01 to 2000-01-01 (PostgreSQL's epoch), in microseconds */
#define EV_EPOCH_USECS		INT64CONST(63082281600000000)
/* DateTime.MaxValue in microseconds since 0001-01-01 */
#define EV_MAX_USECS		INT64CONST(315537897599999999)

enum
{
	EV_COL_EVENT_ID,
	EV_COL_EVENT_AT,
	EV_COL_INDEX_KEY,
	EV_COL_PREVIOUS_EVENT_ID,
	EV_COL_DOC_FIRST			/* DiadocDocColumn 0 */
};

static const ResourceColumn ev_columns[] = {
	{"event_id", TEXTOID, 0, false},
	{"event_at", TIMESTAMPTZOID, RC_PUSH_RANGE | RC_ORDERED, true, true,
	1 << PAGED_OP_GE},
	{"index_key", BYTEAOID, 0, false},
	{"previous_event_id", TEXTOID, 0, false},
	DIADOC_DOC_COLUMNS_PUSHED(RC_PUSH_EQ | RC_PUSH_IN,	/* document_type */
							  RC_PUSH_EQ | RC_PUSH_IN,	/* direction */
							  RC_PUSH_EQ,	/* counteragent_box_id */
							  RC_PUSH_EQ,	/* department_id */
							  RC_PUSH_EQ | RC_PUSH_IN)	/* message_type */
};

StaticAssertDecl(lengthof(ev_columns) == EV_COL_DOC_FIRST + DDOC_NCOLUMNS,
				 "ev_columns[] does not match the column numbers");

#define EV_DOC(c)	(EV_COL_DOC_FIRST + (c))

/* Values the API knows for the list filters (the SDK's Constants). */
static const char *const ev_directions[] = {"Inbound", "Outbound", "Internal", NULL};
static const char *const ev_message_types[] = {"Letter", "Draft", "Template", NULL};

/* What the one stream asks for. */
typedef struct EvStream
{
	char	   *box_utf8;
	int64		from_ticks;
	bool		has_to;
	int64		to_ticks;
	bool		descending;
	bool		populate;		/* PopulateDocuments */
	char	  **types;			/* TypeNamedIds, NULL: none */
	int			ntypes;
	char	  **directions;
	int			ndirections;
	char	  **msgtypes;
	int			nmsgtypes;
	char	   *department;
	char	   *counteragent;
} EvStream;

static bool
ev_has_required(const int *pushed)
{
	return (pushed[EV_COL_EVENT_AT] &
			((1 << PAGED_OP_GE) | (1 << PAGED_OP_GT))) != 0;
}

static char *
ev_describe_endpoint(const PagedOptions *opts)
{
	return psprintf("POST %s (GetDocflowEventsResponseV5, DocumentWithDocflowV5)",
					EV_PATH);
}

/*
 * A timestamptz as .NET ticks, clamped to the ticks a server can have
 * (0001-01-01 .. 9999-12-31): *beyond is set when x is past the end.
 */
static int64
ev_ticks(TimestampTz x, bool *beyond)
{
	int64		usecs;

	*beyond = false;
	if (TIMESTAMP_IS_NOBEGIN(x) || x < -EV_EPOCH_USECS)
		return 0;
	if (TIMESTAMP_IS_NOEND(x) || x > EV_MAX_USECS - EV_EPOCH_USECS)
	{
		*beyond = true;
		return EV_MAX_USECS * 10;
	}
	usecs = x + EV_EPOCH_USECS;
	return usecs * 10;
}

/* Are all n values in the vocabulary? */
static bool
ev_known_values(char **vals, int n, const char *const *vocab)
{
	for (int i = 0; i < n; i++)
	{
		int			k;

		for (k = 0; vocab[k]; k++)
			if (strcmp(vals[i], vocab[k]) == 0)
				break;
		if (vocab[k] == NULL)
			return false;
	}
	return true;
}

/* The document columns a row converts, besides the event's own DocumentId. */
static bool
ev_wants_documents(const bool *want)
{
	if (want == NULL)
		return true;
	for (int c = 0; c < DDOC_NCOLUMNS; c++)
		if (want[EV_DOC(c)] && c != DDOC_MESSAGE_ID && c != DDOC_ENTITY_ID)
			return true;
	return false;
}

static List *
ev_make_streams(ResourceCtx *ctx, List *pushed_values)
{
	EvStream   *es = palloc0(sizeof(EvStream));
	ResourceStream *rs;
	bool		has_lower = false;
	TimestampTz lower = 0;
	bool		has_upper = false;
	TimestampTz upper = 0;
	const char *box = ctx->opts->box_id;
	ListCell   *lc;
	bool		beyond;

	diadoc_new_streams(ctx);

	foreach(lc, pushed_values)
	{
		PushedValue *pv = (PushedValue *) lfirst(lc);
		int			c = pv->colno - EV_COL_DOC_FIRST;

		if (pv->colno == EV_COL_EVENT_AT)
		{
			TimestampTz v;

			/* x < NULL and the like: no row */
			if (pv->nvalues == 0)
				return NIL;
			/* one condition's values are alternatives (an OR of ranges) */
			v = DatumGetTimestampTz(pv->values[0]);
			for (int i = 1; i < pv->nvalues; i++)
			{
				TimestampTz w = DatumGetTimestampTz(pv->values[i]);

				if (pv->op == PAGED_OP_GE || pv->op == PAGED_OP_GT ? w < v : w > v)
					v = w;
			}
			/* several conditions must all hold */
			if (pv->op == PAGED_OP_GE || pv->op == PAGED_OP_GT)
			{
				if (!has_lower || v > lower)
					lower = v;
				has_lower = true;
			}
			else if (pv->op == PAGED_OP_LE || pv->op == PAGED_OP_LT)
			{
				/* ToTimestamp may be exclusive: <= x asks up to x + 1 us */
				if (pv->op == PAGED_OP_LE && !TIMESTAMP_NOT_FINITE(v))
					v += 1;
				if (!has_upper || v < upper)
					upper = v;
				has_upper = true;
			}
			continue;
		}
		if (pv->op != PAGED_OP_EQ && pv->op != PAGED_OP_IN)
			continue;
		if (c == DDOC_DOCUMENT_TYPE)
			diadoc_constrain(pv, &es->types, &es->ntypes);
		else if (c == DDOC_DIRECTION)
			diadoc_constrain(pv, &es->directions, &es->ndirections);
		else if (c == DDOC_MESSAGE_TYPE)
			diadoc_constrain(pv, &es->msgtypes, &es->nmsgtypes);
		else if (c == DDOC_DEPARTMENT_ID || c == DDOC_COUNTERAGENT_BOX_ID)
		{
			char	  **vals = NULL;
			int			n = 0;
			char	  **dst = c == DDOC_DEPARTMENT_ID ? &es->department : &es->counteragent;

			if (*dst != NULL)
			{
				vals = palloc(sizeof(char *));
				vals[0] = *dst;
				n = 1;
			}
			diadoc_constrain(pv, &vals, &n);
			if (n == 0)
				return NIL;
			*dst = vals[0];
		}
	}

	/* has_required made the planner insist on a lower bound */
	if (!has_lower)
		elog(ERROR, "GetDocflowEvents scan started without a lower bound on event_at");
	/* a value NULL, an empty IN list, contradicting conditions: no row */
	if ((es->types && es->ntypes == 0) ||
		(es->directions && es->ndirections == 0) ||
		(es->msgtypes && es->nmsgtypes == 0))
		return NIL;

	es->from_ticks = ev_ticks(lower, &beyond);
	if (beyond)
		return NIL;
	if (has_upper)
	{
		es->to_ticks = ev_ticks(upper, &beyond);
		es->has_to = !beyond;
		if (es->has_to && (TIMESTAMP_IS_NOBEGIN(upper) || es->to_ticks < es->from_ticks))
			return NIL;
	}

	/* a filter the API would apply differently stays local only */
	if (es->directions && !ev_known_values(es->directions, es->ndirections, ev_directions))
		es->directions = NULL;
	if (es->msgtypes && !ev_known_values(es->msgtypes, es->nmsgtypes, ev_message_types))
		es->msgtypes = NULL;
	for (int i = 0; es->types && i < es->ntypes; i++)
		es->types[i] = diadoc_to_utf8(es->types[i]);
	if (es->department)
		es->department = diadoc_to_utf8(es->department);
	if (es->counteragent)
		es->counteragent = diadoc_to_utf8(es->counteragent);

	if (box == NULL || box[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("no Diadoc box id for foreign table \"%s\"",
						get_rel_name(ctx->opts->tableid)),
				 errdetail("GetDocflowEvents reads the events of one box, and the box_id option does not give one."),
				 errhint("Set the box_id option on the server or the foreign table.")));
	es->box_utf8 = diadoc_to_utf8(box);
	es->descending = ctx->order < 0;
	es->populate = ev_wants_documents(ctx->want);

	rs = palloc0(sizeof(ResourceStream));
	rs->arg = es;
	rs->label = psprintf("events of box %s from %s%s",
						 paged_cut_value(box, PAGED_VALUE_MAX),
						 timestamptz_to_str(lower),
						 es->descending ? ", newest first" : "");
	return list_make1(rs);
}

static void
ev_build_request(ResourceCtx *ctx, ResourceStream *stream,
				 const PageCursor *cursor, HttpRequest *req)
{
	EvStream   *es = (EvStream *) stream->arg;
	Diadoc__Api__Proto__Docflow__GetDocflowEventsRequest msg =
	DIADOC__API__PROTO__DOCFLOW__GET_DOCFLOW_EVENTS_REQUEST__INIT;
	Diadoc__Api__Proto__TimeBasedFilter filter = DIADOC__API__PROTO__TIME_BASED_FILTER__INIT;
	Diadoc__Api__Proto__Timestamp from = DIADOC__API__PROTO__TIMESTAMP__INIT;
	Diadoc__Api__Proto__Timestamp to = DIADOC__API__PROTO__TIMESTAMP__INIT;
	uint8_t    *body;
	size_t		len;

	from.has_ticks = true;
	from.ticks = es->from_ticks;
	filter.fromtimestamp = &from;
	if (es->has_to)
	{
		to.has_ticks = true;
		to.ticks = es->to_ticks;
		filter.totimestamp = &to;
	}
	filter.has_sortdirection = true;
	filter.sortdirection = es->descending ?
		DIADOC__API__PROTO__SORT_DIRECTION__Descending :
		DIADOC__API__PROTO__SORT_DIRECTION__Ascending;
	msg.filter = &filter;
	if (cursor->key != NULL)
	{
		msg.has_afterindexkey = true;
		msg.afterindexkey.len = cursor->keylen;
		msg.afterindexkey.data = (uint8_t *) cursor->key;
	}
	msg.has_populatedocuments = true;
	msg.populatedocuments = es->populate;
	if (es->msgtypes)
	{
		msg.n_messagetypes = es->nmsgtypes;
		msg.messagetypes = es->msgtypes;
	}
	if (es->directions)
	{
		msg.n_documentdirections = es->ndirections;
		msg.documentdirections = es->directions;
	}
	if (es->types)
	{
		msg.n_typenamedids = es->ntypes;
		msg.typenamedids = es->types;
	}
	msg.departmentid = es->department;
	msg.counteragentboxid = es->counteragent;
	msg.has_limit = true;
	msg.limit = cursor->count;

	len = diadoc__api__proto__docflow__get_docflow_events_request__get_packed_size(&msg);
	body = palloc(len);
	diadoc__api__proto__docflow__get_docflow_events_request__pack(&msg, body);
	diadoc_request(ctx, EV_OPERATION, EV_PATH, es->box_utf8, body, len, req);
}

static PageVerdict
ev_parse_page(ResourceCtx *ctx, ResourceStream *stream,
			  const PageCursor *cursor, const HttpRequest *req,
			  const HttpResponse *resp, PageResult *out)
{
	const ProtobufCMessageDescriptor *rdesc =
		&diadoc__api__proto__docflow__get_docflow_events_response_v5__descriptor;
	Diadoc__Api__Proto__Docflow__GetDocflowEventsResponseV5 *msg;
	Diadoc__Api__Proto__Docflow__DocflowEventV5 *last;
	PageVerdict verdict;

	/* the feed is for users who may see the whole organisation */
	if (resp->outcome == HTTP_COMPLETED && resp->status == 403)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("Diadoc refused GetDocflowEvents for box %s",
						paged_cut_value(ctx->opts->box_id, PAGED_VALUE_MAX)),
				 errdetail("The server answered HTTP 403: \"%s\".",
						   http_bytes_excerpt(http_secrets(req), resp->body,
											  resp->body ? resp->len : 0, 0, 200)),
				 errhint("The event feed is only for users who may see all of the organisation's documents (and only for a box the credentials may use); a user restricted to some departments gets 403. Ask the organisation's Diadoc administrator for that access, or read packets with docflows_by_packet.")));

	verdict = diadoc_check_answer(ctx, stream, cursor, req, resp, rdesc);
	if (verdict != PAGE_OK)
		return verdict;
	diadoc_check_count(req, resp, 2, "events", cursor->count);
	msg = (Diadoc__Api__Proto__Docflow__GetDocflowEventsResponseV5 *)
		diadoc_decode_answer(rdesc, req, resp);

	out->nrecords = (int) msg->n_events;
	out->records = msg;
	/* informative only (EXPLAIN ANALYZE); a negative count says nothing */
	out->total = msg->has_totalcount && msg->totalcount >= 0 ? msg->totalcount : -1;
	out->next_key = NULL;
	out->next_keylen = 0;
	/* an events page has no key: an empty one ends the feed */
	out->has_next = msg->n_events > 0;
	if (!out->has_next)
		return PAGE_OK;

	last = msg->events[msg->n_events - 1];
	if (!last->has_indexkey || last->indexkey.len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("GetDocflowEvents page ends with an event without IndexKey"),
				 errdetail("The last of the %zu events on page %d from %s has no IndexKey, so the feed cannot go on after it.",
						   msg->n_events, cursor->page_no + 1, req->url)));
	out->next_key = (char *) last->indexkey.data;
	out->next_keylen = (int) last->indexkey.len;
	return PAGE_OK;
}

static void
ev_fill_row(ResourceCtx *ctx, ResourceStream *stream, void *records,
			int index, const bool *want, Datum *values, bool *nulls)
{
	Diadoc__Api__Proto__Docflow__GetDocflowEventsResponseV5 *msg = records;
	Diadoc__Api__Proto__Docflow__DocflowEventV5 *ev = msg->events[index];

	diadoc_value_secrets = diadoc_scan_secrets(ctx);

	if (want[EV_COL_EVENT_ID] && ev->eventid != NULL)
	{
		nulls[EV_COL_EVENT_ID] = false;
		values[EV_COL_EVENT_ID] = diadoc_text_datum(ev->eventid, "event_id", "EventId");
	}
	if (want[EV_COL_EVENT_AT])
	{
		/*
		 * never NULL: the planner may rely on the column's order.  The id is
		 * remote text: redacted, cut and escaped like any other.
		 */
		if (ev->timestamp == NULL || !ev->timestamp->has_ticks)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("GetDocflowEvents event without Timestamp"),
					 errdetail("Event %s has no Timestamp, which the API always sends.",
							   ev->eventid ?
							   http_bytes_excerpt(diadoc_value_secrets, ev->eventid,
												  diadoc_pb_strlen(ev->eventid),
												  0, PAGED_VALUE_MAX) :
							   "(without EventId)")));
		nulls[EV_COL_EVENT_AT] = false;
		values[EV_COL_EVENT_AT] = diadoc_timestamp(ev->timestamp, "event_at");
	}
	if (want[EV_COL_INDEX_KEY] && ev->has_indexkey)
	{
		bytea	   *b = palloc(VARHDRSZ + ev->indexkey.len);

		SET_VARSIZE(b, VARHDRSZ + ev->indexkey.len);
		if (ev->indexkey.len > 0)
			memcpy(VARDATA(b), ev->indexkey.data, ev->indexkey.len);
		nulls[EV_COL_INDEX_KEY] = false;
		values[EV_COL_INDEX_KEY] = PointerGetDatum(b);
	}
	if (want[EV_COL_PREVIOUS_EVENT_ID] && ev->previouseventid != NULL)
	{
		nulls[EV_COL_PREVIOUS_EVENT_ID] = false;
		values[EV_COL_PREVIOUS_EVENT_ID] =
			diadoc_text_datum(ev->previouseventid, "previous_event_id", "PreviousEventId");
	}

	/* the document after the event (NULL: every column NULL) */
	diadoc_schema_v5.fill((const ProtobufCMessage *) ev->document,
						  want + EV_COL_DOC_FIRST,
						  values + EV_COL_DOC_FIRST,
						  nulls + EV_COL_DOC_FIRST);

	/* the event names its document even without PopulateDocuments */
	if (ev->documentid != NULL)
	{
		if (want[EV_DOC(DDOC_MESSAGE_ID)] && ev->documentid->messageid != NULL)
		{
			nulls[EV_DOC(DDOC_MESSAGE_ID)] = false;
			values[EV_DOC(DDOC_MESSAGE_ID)] =
				diadoc_text_datum(ev->documentid->messageid, "message_id",
								  "DocumentId.MessageId");
		}
		if (want[EV_DOC(DDOC_ENTITY_ID)] && ev->documentid->entityid != NULL)
		{
			nulls[EV_DOC(DDOC_ENTITY_ID)] = false;
			values[EV_DOC(DDOC_ENTITY_ID)] =
				diadoc_text_datum(ev->documentid->entityid, "entity_id",
								  "DocumentId.EntityId");
		}
	}
}

const PagedResource diadoc_events_resource = {
	.api = "diadoc",
	.name = "docflow_events",
	.operation = EV_OPERATION,
	.columns = ev_columns,
	.ncolumns = lengthof(ev_columns),
	.paging = PAGING_KEY,
	.default_page_size = EV_MAX_PAGE_SIZE,
	.max_page_size = EV_MAX_PAGE_SIZE,
	.has_required = ev_has_required,
	.required_columns = "event_at",
	.required_hint = "Add a lower bound such as WHERE event_at >= '2025-01-01', the time the feed is read from (for a sync: the last event_at already synced).",
	.check_options = diadoc_check_options,
	.begin = diadoc_begin,
	.make_streams = ev_make_streams,
	.build_request = ev_build_request,
	.parse_page = ev_parse_page,
	.reauth = diadoc_reauth,
	.fill_row = ev_fill_row,
	.describe_endpoint = ev_describe_endpoint
};
