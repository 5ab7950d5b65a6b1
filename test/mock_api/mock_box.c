/*
 * mock_box.c
 *		The mock's generated Diadoc box and its event feed (mock_box.h,
 *		PROTOCOL.md "Generated box").
 */
#include "mock_box.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diadoc_docflow_events.pb-c.h"

/* 2025-01-01T00:00:00Z in .NET ticks; one minute */
#define BOX_TICKS_2025	INT64_C(638712864000000000)
#define BOX_TICKS_MIN	INT64_C(600000000)

/* doc(k) = 7k mod 30: 13 is 7's inverse mod 30, so round r of d is 30r + 13d mod 30 */
#define BOX_STEP		7
#define BOX_STEP_INV	13

static const char *const box_types[] = {
	"Nonformalized", "Invoice", "UniversalTransferDocument", "XmlTorg12"
};
static const char *const box_severity[] = {"Info", "Success", "Success", "Warning"};
static const char *const box_directions[] = {NULL, "Inbound", "Outbound", "Internal"};
static const char *const box_msgtypes[] = {"Unknown", "Letter", "Draft", "Template"};

#define BOX_ROOT_DEPARTMENT "00000000-0000-0000-0000-000000000000"

static void *
box_alloc(size_t n)
{
	void	   *p = calloc(1, n ? n : 1);

	if (p == NULL)
		abort();
	return p;
}

int
box_event_doc(int k)
{
	return (k * BOX_STEP) % BOX_NDOCS;
}

/* 10 minutes apart, plus 0, 300 or 600 ns: not whole microseconds */
int64_t
box_event_ticks(int k)
{
	return BOX_TICKS_2025 + k * 10 * BOX_TICKS_MIN + (k % 3) * 3;
}

void
box_event_key(int k, uint8_t key[BOX_KEY_LEN])
{
	uint64_t	v = (uint64_t) k + 1;

	key[0] = 0xEE;
	for (int i = 8; i >= 1; i--, v >>= 8)
		key[i] = (uint8_t) v;
}

int
box_key_event(const uint8_t *key, size_t len)
{
	uint64_t	v = 0;

	if (key == NULL || len != BOX_KEY_LEN || key[0] != 0xEE)
		return -1;
	for (int i = 1; i <= 8; i++)
		v = (v << 8) | key[i];
	if (v < 1 || v > BOX_NEVENTS)
		return -1;
	return (int) v - 1;
}

/* Event of round r of document d (may be >= BOX_NEVENTS). */
static int
box_doc_event(int d, int r)
{
	return r * BOX_NDOCS + (d * BOX_STEP_INV) % BOX_NDOCS;
}

void
box_event_state(int k, BoxDoc *s)
{
	int			d = box_event_doc(k);
	int			v = k / BOX_NDOCS;

	memset(s, 0, sizeof(*s));
	s->doc = d;
	s->event = k;
	s->version = v;
	snprintf(s->message_id, sizeof(s->message_id), "bmsg-%d", d / 2);
	snprintf(s->entity_id, sizeof(s->entity_id), "bent-%d", d);
	snprintf(s->event_id, sizeof(s->event_id), "bevt-%d", k);
	s->ticks = box_event_ticks(k);
	s->type_named_id = box_types[d % 4];
	s->direction = 1 + d % 3;
	s->message_type = d % 7 == 6 ? 2 : 1;
	s->department_id = d % 2 == 0 ? BOX_ROOT_DEPARTMENT : "dep-1";
	if (s->direction != 3)
		snprintf(s->counteragent, sizeof(s->counteragent), "box-cp-%d", d % 5);
	snprintf(s->document_number, sizeof(s->document_number), "B-%d", d);
	snprintf(s->custom_document_id, sizeof(s->custom_document_id), "bcustom-%d", d);
	s->is_read = v >= 1;
	s->is_deleted = d % 10 == 9 && v >= 2;
	snprintf(s->status, sizeof(s->status), "Статус %d.%d", d, v);
}

bool
box_doc_state(int d, int horizon, BoxDoc *out)
{
	int			last = -1;

	if (d < 0 || d >= BOX_NDOCS)
		return false;
	for (int r = 0; box_doc_event(d, r) < horizon && box_doc_event(d, r) < BOX_NEVENTS; r++)
		last = box_doc_event(d, r);
	if (last < 0)
		return false;
	box_event_state(last, out);
	return true;
}

int
box_find_doc(const char *message_id, const char *entity_id)
{
	BoxDoc		s;

	for (int d = 0; d < BOX_NDOCS; d++)
	{
		box_event_state(box_doc_event(d, 0), &s);
		if (message_id && entity_id && strcmp(s.message_id, message_id) == 0 &&
			strcmp(s.entity_id, entity_id) == 0)
			return d;
	}
	return -1;
}

/* ----------------------------------------------------------------
 * Encoding
 * ----------------------------------------------------------------
 */

/* Everything one encoded document points to, freed at once. */
typedef struct BoxPool
{
	void	   *p[64];
	int			n;
} BoxPool;

static void *
pool_alloc(BoxPool *pool, size_t n)
{
	void	   *p = box_alloc(n);

	if (pool->n == (int) (sizeof(pool->p) / sizeof(pool->p[0])))
		abort();
	pool->p[pool->n++] = p;
	return p;
}

static char *
pool_printf(BoxPool *pool, const char *fmt,...)
{
	char	   *s = pool_alloc(pool, 64);
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(s, 64, fmt, ap);
	va_end(ap);
	return s;
}

static void
pool_free(BoxPool *pool)
{
	for (int i = 0; i < pool->n; i++)
		free(pool->p[i]);
	pool->n = 0;
}

static Diadoc__Api__Proto__Timestamp *
pool_ts(BoxPool *pool, int64_t ticks)
{
	Diadoc__Api__Proto__Timestamp *ts = pool_alloc(pool, sizeof(*ts));

	diadoc__api__proto__timestamp__init(ts);
	ts->has_ticks = 1;
	ts->ticks = ticks;
	return ts;
}

static Diadoc__Api__Proto__Documents__DocumentParticipantV2 *
pool_party(BoxPool *pool, const char *boxid, const char *box, int type)
{
	Diadoc__Api__Proto__Documents__DocumentParticipantV2 *p = pool_alloc(pool, sizeof(*p));

	diadoc__api__proto__documents__document_participant_v2__init(p);
	p->boxid = (char *) boxid;
	p->role = type == DIADOC__API__PROTO__WORKFLOWS__PARTICIPANT_TYPE__PARTICIPANT_TYPE__Sender ?
		"Sender" : "Recipient";
	p->has_type = 1;
	p->type = type;
	p->has_iscurrentbox = 1;
	p->iscurrentbox = strcmp(boxid, box) == 0;
	return p;
}

static void
pool_unknown(BoxPool *pool, ProtobufCMessageUnknownField *u, uint32_t tag,
			 ProtobufCWireType wt, const void *data, size_t len)
{
	u->tag = tag;
	u->wire_type = wt;
	u->len = len;
	u->data = pool_alloc(pool, len);
	memcpy(u->data, data, len);
}

uint8_t *
box_doc_v5(const BoxDoc *s, const char *box, size_t *len)
{
	BoxPool		pool;
	Diadoc__Api__Proto__Docflow__DocumentWithDocflowV5 doc =
		DIADOC__API__PROTO__DOCFLOW__DOCUMENT_WITH_DOCFLOW_V5__INIT;
	Diadoc__Api__Proto__DocumentId id = DIADOC__API__PROTO__DOCUMENT_ID__INIT;
	Diadoc__Api__Proto__Docflow__LastEvent last = DIADOC__API__PROTO__DOCFLOW__LAST_EVENT__INIT;
	Diadoc__Api__Proto__Docflow__DocumentInfoV5 info =
		DIADOC__API__PROTO__DOCFLOW__DOCUMENT_INFO_V5__INIT;
	Diadoc__Api__Proto__FullVersion fv = DIADOC__API__PROTO__FULL_VERSION__INIT;
	Diadoc__Api__Proto__Documents__DocumentParticipantsV2 parts =
		DIADOC__API__PROTO__DOCUMENTS__DOCUMENT_PARTICIPANTS_V2__INIT;
	Diadoc__Api__Proto__Documents__DocumentParticipantV2 *party[2];
	Diadoc__Api__Proto__Events__MetadataItem meta[3];
	Diadoc__Api__Proto__Events__MetadataItem *metap[3];
	Diadoc__Api__Proto__Docflow__PacketInfo packet = DIADOC__API__PROTO__DOCFLOW__PACKET_INFO__INIT;
	Diadoc__Api__Proto__Docflow__DocumentLetterInfo letter =
		DIADOC__API__PROTO__DOCFLOW__DOCUMENT_LETTER_INFO__INIT;
	Diadoc__Api__Proto__Docflow__DocflowV5 flow = DIADOC__API__PROTO__DOCFLOW__DOCFLOW_V5__INIT;
	Diadoc__Api__Proto__Docflow__TitleDocflow title = DIADOC__API__PROTO__DOCFLOW__TITLE_DOCFLOW__INIT;
	Diadoc__Api__Proto__Docflow__TitleDocflow *titlep = &title;
	Diadoc__Api__Proto__Docflow__TitleVersionV5 tver = DIADOC__API__PROTO__DOCFLOW__TITLE_VERSION_V5__INIT;
	Diadoc__Api__Proto__Docflow__TitleParticipantDocflow tpd =
		DIADOC__API__PROTO__DOCFLOW__TITLE_PARTICIPANT_DOCFLOW__INIT;
	Diadoc__Api__Proto__Docflow__TitleParticipantDocflow *tpdp = &tpd;
	Diadoc__Api__Proto__Docflow__TitleDeliveryDocflowV5 tdel =
		DIADOC__API__PROTO__DOCFLOW__TITLE_DELIVERY_DOCFLOW_V5__INIT;
	Diadoc__Api__Proto__Docflow__DeliveryDocflowV5 del =
		DIADOC__API__PROTO__DOCFLOW__DELIVERY_DOCFLOW_V5__INIT;
	Diadoc__Api__Proto__DocflowStatusV3 status = DIADOC__API__PROTO__DOCFLOW_STATUS_V3__INIT;
	Diadoc__Api__Proto__DocflowStatusModelV3 primary = DIADOC__API__PROTO__DOCFLOW_STATUS_MODEL_V3__INIT;
	Diadoc__Api__Proto__DocflowStatusModelV3 secondary = DIADOC__API__PROTO__DOCFLOW_STATUS_MODEL_V3__INIT;
	ProtobufCMessageUnknownField doc_unknown[2];
	ProtobufCMessageUnknownField info_unknown[1];
	ProtobufCMessageUnknownField flow_unknown[1];
	const char *sender;
	const char *recipient;
	int			first = box_doc_event(s->doc, 0);
	uint8_t		fixed[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	uint8_t		varint[1] = {42};
	uint8_t    *out;

	pool.n = 0;
	id.messageid = (char *) s->message_id;
	id.entityid = (char *) s->entity_id;
	doc.documentid = &id;
	last.eventid = (char *) s->event_id;
	last.timestamp = pool_ts(&pool, s->ticks);
	doc.lastevent = &last;

	fv.typenamedid = (char *) s->type_named_id;
	fv.function = "default";
	fv.version = "v1";
	info.fullversion = &fv;
	info.has_messagetype = 1;
	info.messagetype = s->message_type;
	info.has_workflowid = 1;
	info.workflowid = 1;
	info.has_documentdirection = 1;
	info.documentdirection = s->direction;
	sender = s->direction == 1 ? s->counteragent : box;
	recipient = s->direction == 2 ? s->counteragent : box;
	party[0] = pool_party(&pool, sender, box,
						  DIADOC__API__PROTO__WORKFLOWS__PARTICIPANT_TYPE__PARTICIPANT_TYPE__Sender);
	party[1] = pool_party(&pool, recipient, box,
						  DIADOC__API__PROTO__WORKFLOWS__PARTICIPANT_TYPE__PARTICIPANT_TYPE__Recipient);
	parts.n_participants = 2;
	parts.participants = party;
	info.participants = &parts;
	info.departmentid = (char *) s->department_id;
	info.customdocumentid = (char *) s->custom_document_id;
	for (int i = 0; i < 3; i++)
	{
		diadoc__api__proto__events__metadata_item__init(&meta[i]);
		metap[i] = &meta[i];
	}
	meta[0].key = "DocumentNumber";
	meta[0].value = (char *) s->document_number;
	meta[1].key = "DocumentDate";
	meta[1].value = pool_printf(&pool, "2025-01-%02d", 1 + s->doc);
	meta[2].key = "FileName";
	meta[2].value = pool_printf(&pool, "box-%d.xml", s->doc);
	info.n_metadata = 3;
	info.metadata = metap;
	packet.has_lockmode = 1;
	packet.lockmode = DIADOC__API__PROTO__LOCK_MODE__None;
	packet.packetid = pool_printf(&pool, "bpkt-%d", s->doc / 2);
	info.packetinfo = &packet;
	info.has_isread = 1;
	info.isread = s->is_read;
	info.has_isdeleted = 1;
	info.isdeleted = s->is_deleted;
	if (s->message_type == 1)
	{
		letter.has_isencrypted = 1;
		letter.has_istest = 1;
		info.letterinfo = &letter;
	}
	pool_unknown(&pool, &info_unknown[0], 1000, PROTOBUF_C_WIRE_TYPE_32BIT, fixed, 4);
	info.base.n_unknown_fields = 1;
	info.base.unknown_fields = info_unknown;
	doc.documentinfo = &info;

	/* title 0: sent with the first event, delivered with the second */
	tver.entityid = (char *) s->entity_id;
	tver.has_status = 1;
	tver.status = DIADOC__API__PROTO__DOCFLOW__TITLE_VERSION_STATUS_V5__TitleVersionStatusCurrent;
	title.has_titleindex = 1;
	title.titleindex = 0;
	title.version = &tver;
	title.author = party[0];
	del.has_status = 1;
	del.status = s->version >= 1 ?
		DIADOC__API__PROTO__DOCFLOW__DELIVERY_STATUS_V5__DeliveryStatusDelivered :
		DIADOC__API__PROTO__DOCFLOW__DELIVERY_STATUS_V5__DeliveryStatusNotReady;
	del.sentat = pool_ts(&pool, box_event_ticks(first));
	if (s->version >= 1)
		del.deliveredat = pool_ts(&pool, box_event_ticks(box_doc_event(s->doc, 1)));
	tdel.delivery = &del;
	tpd.participant = party[1];
	tpd.titledelivery = &tdel;
	title.n_participantdocflows = 1;
	title.participantdocflows = &tpdp;
	flow.n_titles = 1;
	flow.titles = &titlep;
	primary.severity = (char *) box_severity[s->version % 4];
	primary.statustext = (char *) s->status;
	secondary.statustext = pool_printf(&pool, "Шаг %d", s->version);
	status.primarystatus = &primary;
	status.secondarystatus = &secondary;
	flow.docflowstatus = &status;
	pool_unknown(&pool, &flow_unknown[0], 20, PROTOBUF_C_WIRE_TYPE_VARINT, varint, 1);
	flow.base.n_unknown_fields = 1;
	flow.base.unknown_fields = flow_unknown;
	doc.docflow = &flow;

	pool_unknown(&pool, &doc_unknown[0], 9, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED, "\011box-extra", 10);
	pool_unknown(&pool, &doc_unknown[1], 100, PROTOBUF_C_WIRE_TYPE_64BIT, fixed, 8);
	doc.base.n_unknown_fields = 2;
	doc.base.unknown_fields = doc_unknown;

	*len = protobuf_c_message_get_packed_size(&doc.base);
	out = box_alloc(*len);
	protobuf_c_message_pack(&doc.base, out);
	pool_free(&pool);
	return out;
}

/* ----------------------------------------------------------------
 * GetDocflowEvents
 * ----------------------------------------------------------------
 */

static bool
box_in_list(const char *value, char **list, size_t n)
{
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++)
		if (value && strcmp(list[i], value) == 0)
			return true;
	return false;
}

/* Does event k pass the request's filters?  They see the state after k. */
static bool
box_event_matches(int k, const Diadoc__Api__Proto__Docflow__GetDocflowEventsRequest *req)
{
	const Diadoc__Api__Proto__TimeBasedFilter *f = req->filter;
	BoxDoc		s;
	int64_t		t = box_event_ticks(k);

	if (f->fromtimestamp && f->fromtimestamp->has_ticks && t < f->fromtimestamp->ticks)
		return false;
	if (f->totimestamp && f->totimestamp->has_ticks && t > f->totimestamp->ticks)
		return false;
	box_event_state(k, &s);
	return box_in_list(box_msgtypes[s.message_type], req->messagetypes, req->n_messagetypes) &&
		box_in_list(box_directions[s.direction], req->documentdirections,
					req->n_documentdirections) &&
		box_in_list(s.type_named_id, req->typenamedids, req->n_typenamedids) &&
		(req->departmentid == NULL || strcmp(req->departmentid, s.department_id) == 0) &&
		(req->counteragentboxid == NULL ||
		 strcmp(req->counteragentboxid, s.counteragent) == 0);
}

static void
box_log(char *log, size_t logsize, const char *fmt,...)
{
	size_t		used = strlen(log);
	va_list		ap;

	if (used + 1 >= logsize)
		return;
	va_start(ap, fmt);
	vsnprintf(log + used, logsize - used, fmt, ap);
	va_end(ap);
}

static void
box_log_list(char *log, size_t logsize, const char *name, char **list, size_t n)
{
	box_log(log, logsize, " %s=", name);
	if (n == 0)
		box_log(log, logsize, "-");
	for (size_t i = 0; i < n; i++)
		box_log(log, logsize, "%s%.40s", i ? "," : "", list[i]);
}

static void
box_text(BoxReply *r, int status, const char *msg)
{
	r->status = status;
	r->text = true;
	r->len = strlen(msg);
	r->body = box_alloc(r->len);
	memcpy(r->body, msg, r->len);
}

void
box_events_answer(const uint8_t *body, size_t len, const char *box, int horizon,
				  BoxBad bad, BoxReply *r, char *log, size_t logsize)
{
	Diadoc__Api__Proto__Docflow__GetDocflowEventsRequest *req;
	Diadoc__Api__Proto__Docflow__GetDocflowEventsResponseV5 resp =
		DIADOC__API__PROTO__DOCFLOW__GET_DOCFLOW_EVENTS_RESPONSE_V5__INIT;
	Diadoc__Api__Proto__Docflow__DocflowEventV5 ev[100];
	Diadoc__Api__Proto__Docflow__DocflowEventV5 *evp[100];
	Diadoc__Api__Proto__DocumentId ids[100];
	Diadoc__Api__Proto__Timestamp ts[100];
	Diadoc__Api__Proto__Docflow__DocumentWithDocflowV5 *docs[100];
	uint8_t		keys[100][BOX_KEY_LEN];
	char		evids[100][BOX_ID_MAX];
	char		previds[100][BOX_ID_MAX];
	BoxDoc		states[100];
	ProtobufCMessageUnknownField resp_unknown;
	int			order[BOX_NEVENTS];
	int			nmatch = 0;
	int			start = 0;
	int			limit;
	int			n;
	bool		desc;
	int			after = -1;

	memset(r, 0, sizeof(*r));
	req = diadoc__api__proto__docflow__get_docflow_events_request__unpack(NULL, len, body);
	if (req == NULL)
	{
		box_text(r, 400, "mock: body is not a GetDocflowEventsRequest");
		box_log(log, logsize, "status=400 error=bad-protobuf");
		return;
	}
	limit = req->has_limit ? req->limit : 100;
	desc = req->filter && req->filter->has_sortdirection &&
		req->filter->sortdirection == DIADOC__API__PROTO__SORT_DIRECTION__Descending;
	if (bad == BOX_BAD_UNSORTED)
		desc = false;

	/* the log shows what was asked for, the TimeBasedFilter first */
	box_log(log, logsize, "from=");
	if (req->filter && req->filter->fromtimestamp && req->filter->fromtimestamp->has_ticks)
		box_log(log, logsize, "%lld", (long long) req->filter->fromtimestamp->ticks);
	else
		box_log(log, logsize, "-");
	box_log(log, logsize, " to=");
	if (req->filter && req->filter->totimestamp && req->filter->totimestamp->has_ticks)
		box_log(log, logsize, "%lld", (long long) req->filter->totimestamp->ticks);
	else
		box_log(log, logsize, "-");
	box_log(log, logsize, " sort=%s after=",
			!req->filter || !req->filter->has_sortdirection ? "-" :
			req->filter->sortdirection == DIADOC__API__PROTO__SORT_DIRECTION__Ascending ? "Ascending" :
			req->filter->sortdirection == DIADOC__API__PROTO__SORT_DIRECTION__Descending ?
			"Descending" : "Unknown");
	if (req->has_afterindexkey)
		for (size_t i = 0; i < req->afterindexkey.len && i < 16; i++)
			box_log(log, logsize, "%02x", req->afterindexkey.data[i]);
	else
		box_log(log, logsize, "-");
	box_log(log, logsize, " limit=%d populate=%d", limit,
			req->has_populatedocuments && req->populatedocuments);
	box_log_list(log, logsize, "msgtypes", req->messagetypes, req->n_messagetypes);
	box_log_list(log, logsize, "directions", req->documentdirections, req->n_documentdirections);
	box_log_list(log, logsize, "types", req->typenamedids, req->n_typenamedids);
	box_log(log, logsize, " department=%.40s counteragent=%.40s",
			req->departmentid ? req->departmentid : "-",
			req->counteragentboxid ? req->counteragentboxid : "-");

	if (req->filter == NULL || req->filter->fromtimestamp == NULL ||
		!req->filter->fromtimestamp->has_ticks)
		box_text(r, 400, "mock: Filter.FromTimestamp is required");
	else if (limit < 1 || limit > 100)
		box_text(r, 400, "mock: Limit must be between 1 and 100");
	else if (req->has_afterindexkey &&
			 ((after = box_key_event(req->afterindexkey.data, req->afterindexkey.len)) < 0 ||
			  after >= horizon))
		box_text(r, 400, "mock: AfterIndexKey is not a key of this box");
	if (r->status != 0)
	{
		box_log(log, logsize, " status=%d events=0 total=-", r->status);
		diadoc__api__proto__docflow__get_docflow_events_request__free_unpacked(req, NULL);
		return;
	}

	for (int i = 0; i < horizon && i < BOX_NEVENTS; i++)
	{
		int			k = desc ? horizon - 1 - i : i;

		if (box_event_matches(k, req))
			order[nmatch++] = k;
	}
	if (after >= 0)
	{
		/* the page starts after the key's event, in the feed's order */
		while (start < nmatch && (desc ? order[start] >= after : order[start] <= after))
			start++;
	}
	n = nmatch - start < limit ? nmatch - start : limit;

	for (int i = 0; i < n; i++)
	{
		int			k = order[start + i];
		Diadoc__Api__Proto__Docflow__DocflowEventV5 *e = &ev[i];

		box_event_state(k, &states[i]);
		diadoc__api__proto__docflow__docflow_event_v5__init(e);
		snprintf(evids[i], BOX_ID_MAX, "bevt-%d", k);
		e->eventid = evids[i];
		diadoc__api__proto__timestamp__init(&ts[i]);
		ts[i].has_ticks = 1;
		ts[i].ticks = box_event_ticks(k);
		e->timestamp = &ts[i];
		diadoc__api__proto__document_id__init(&ids[i]);
		ids[i].messageid = states[i].message_id;
		ids[i].entityid = states[i].entity_id;
		e->documentid = &ids[i];
		box_event_key(k, keys[i]);
		if (!(bad == BOX_BAD_NO_KEY && i == n - 1))
		{
			e->has_indexkey = 1;
			e->indexkey.data = keys[i];
			e->indexkey.len = BOX_KEY_LEN;
		}
		if (states[i].version > 0)
		{
			snprintf(previds[i], BOX_ID_MAX, "bevt-%d", k - BOX_NDOCS);
			e->previouseventid = previds[i];
		}
		docs[i] = NULL;
		if (req->has_populatedocuments && req->populatedocuments &&
			!(bad == BOX_BAD_NO_DOCUMENT && states[i].doc % 10 == 3))
		{
			size_t		dlen;
			uint8_t    *bytes = box_doc_v5(&states[i], box ? box : "", &dlen);

			/* decoded back with the subset: unknown fields stay and are re-sent */
			docs[i] = diadoc__api__proto__docflow__document_with_docflow_v5__unpack(NULL, dlen, bytes);
			free(bytes);
			if (docs[i] == NULL)
				abort();
			e->document = docs[i];
		}
		evp[i] = e;
	}
	resp.n_events = n;
	resp.events = evp;
	/* a total that grows as the client pages on: new events keep arriving */
	resp.has_totalcount = 1;
	resp.totalcount = nmatch + start;
	resp.has_totalcounttype = 1;
	resp.totalcounttype = DIADOC__API__PROTO__TOTAL_COUNT_TYPE__GreaterThanOrEqual;
	resp_unknown.tag = 9;
	resp_unknown.wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
	/* protobuf-c keeps a length-prefixed unknown field's length in data */
	resp_unknown.data = (uint8_t *) "\014not declared";
	resp_unknown.len = 13;
	resp.base.n_unknown_fields = 1;
	resp.base.unknown_fields = &resp_unknown;

	r->status = 200;
	r->len = protobuf_c_message_get_packed_size(&resp.base);
	r->body = box_alloc(r->len);
	protobuf_c_message_pack(&resp.base, r->body);
	box_log(log, logsize, " status=200 events=%d total=%d", n, (int) resp.totalcount);

	for (int i = 0; i < n; i++)
		if (docs[i])
			diadoc__api__proto__docflow__document_with_docflow_v5__free_unpacked(docs[i], NULL);
	diadoc__api__proto__docflow__get_docflow_events_request__free_unpacked(req, NULL);
}
