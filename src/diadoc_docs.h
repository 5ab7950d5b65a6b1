/*-------------------------------------------------------------------------
 * diadoc_docs.h
 *		Diadoc documents of each schema version: the columns a document
 *		gives, and per schema (DocumentWithDocflow, ...V3, ...V4, ...V5)
 *		how one decoded document fills them.
 *
 * src/diadoc.c (requests, authentication, paging) decodes a page and hands
 * each document to DiadocSchema.fill; any other operation that returns the
 * same documents (GetDocflowEvents, SearchDocflows, GetDocflows) can do the
 * same.  A resource lays the document columns out as one block in its own
 * column list (DIADOC_DOC_COLUMNS) and passes want/values/nulls from the
 * block's first column on.
 *-------------------------------------------------------------------------
 */
#ifndef PAGED_DIADOC_DOCS_H
#define PAGED_DIADOC_DOCS_H

#include "postgres.h"

#include <protobuf-c/protobuf-c.h>

#include "catalog/pg_type_d.h"
#include "resource.h"

/* The document columns, in the order of DIADOC_DOC_COLUMNS. */
typedef enum DiadocDocColumn
{
	DDOC_MESSAGE_ID,
	DDOC_ENTITY_ID,
	DDOC_LAST_EVENT_ID,
	DDOC_LAST_EVENT_AT,
	DDOC_DOCUMENT_TYPE,
	DDOC_DIRECTION,
	DDOC_IS_TEST,
	DDOC_CUSTOM_DOCUMENT_ID,
	DDOC_COUNTERAGENT_BOX_ID,
	DDOC_DOCUMENT_DATE,
	DDOC_DOCUMENT_NUMBER,
	DDOC_VERSION,
	DDOC_IS_FINISHED,
	DDOC_IS_DELETED,
	DDOC_DEPARTMENT_ID,
	DDOC_SENT_AT,
	DDOC_DELIVERED_AT,
	DDOC_STATUS,
	DDOC_STATUS_SEVERITY,
	DDOC_DOCUMENT,
	/* only the V3+ schemas have these (secondary_status: every schema) */
	DDOC_MESSAGE_TYPE,
	DDOC_TYPE_FUNCTION,
	DDOC_FILE_NAME,
	DDOC_METADATA,
	DDOC_IS_READ,
	DDOC_SENDER_BOX_ID,
	DDOC_RECIPIENT_BOX_ID,
	DDOC_SECONDARY_STATUS,
	DDOC_NCOLUMNS
} DiadocDocColumn;

/* ResourceColumn initializers, one per DiadocDocColumn, nothing pushable. */
#define DIADOC_DOC_COLUMNS DIADOC_DOC_COLUMNS_PUSHED(0, 0, 0, 0, 0)

/*
 * The same with RC_PUSH_* bits for the columns an operation can filter on
 * (document_type, direction, counteragent_box_id, department_id,
 * message_type); a pushed document column is always rechecked.
 */
#define DIADOC_DOC_COLUMNS_PUSHED(type, dir, cpty, dept, mtype) \
	{"message_id", TEXTOID, 0, false}, \
	{"entity_id", TEXTOID, 0, false}, \
	DIADOC_DOC_COLUMNS_AFTER_IDS(type, dir, cpty, dept, mtype)

/*
 * The same for documents asked for by id (GetDocflows): message_id and
 * entity_id are the request's keys, with push bits "ids" and never NULL.
 */
#define DIADOC_DOC_COLUMNS_BY_ID(ids) \
	{"message_id", TEXTOID, (ids), false, true}, \
	{"entity_id", TEXTOID, (ids), false, true}, \
	DIADOC_DOC_COLUMNS_AFTER_IDS(0, 0, 0, 0, 0)

#define DIADOC_DOC_COLUMNS_AFTER_IDS(type, dir, cpty, dept, mtype) \
	{"last_event_id", TEXTOID, 0, false}, \
	{"last_event_at", TIMESTAMPTZOID, 0, false}, \
	{"document_type", TEXTOID, (type), (type) != 0}, \
	{"direction", TEXTOID, (dir), (dir) != 0}, \
	{"is_test", BOOLOID, 0, false}, \
	{"custom_document_id", TEXTOID, 0, false}, \
	{"counteragent_box_id", TEXTOID, (cpty), (cpty) != 0}, \
	{"document_date", DATEOID, 0, false}, \
	{"document_number", TEXTOID, 0, false}, \
	{"version", TEXTOID, 0, false}, \
	{"is_finished", BOOLOID, 0, false}, \
	{"is_deleted", BOOLOID, 0, false}, \
	{"department_id", TEXTOID, (dept), (dept) != 0}, \
	{"sent_at", TIMESTAMPTZOID, 0, false}, \
	{"delivered_at", TIMESTAMPTZOID, 0, false}, \
	{"status", TEXTOID, 0, false}, \
	{"status_severity", TEXTOID, 0, false}, \
	{"document", JSONBOID, 0, false}, \
	{"message_type", TEXTOID, (mtype), (mtype) != 0}, \
	{"type_function", TEXTOID, 0, false}, \
	{"file_name", TEXTOID, 0, false}, \
	{"metadata", JSONBOID, 0, false}, \
	{"is_read", BOOLOID, 0, false}, \
	{"sender_box_id", TEXTOID, 0, false}, \
	{"recipient_box_id", TEXTOID, 0, false}, \
	{"secondary_status", TEXTOID, 0, false}

/* One document schema. */
typedef struct DiadocSchema
{
	const char *name;			/* e.g. "DocumentWithDocflowV5" */
	const ProtobufCMessageDescriptor *document;

	/*
	 * Fill want[c] columns of values/nulls (indexed by DiadocDocColumn) from
	 * "doc", a message of type "document" decoded with the allocator of
	 * diadoc.c, or NULL (the document was absent: every column NULL).
	 * Runs in a short-lived per-row context; a bad value is an ERROR that
	 * names the column.
	 */
	void		(*fill) (const ProtobufCMessage *doc, const bool *want,
						 Datum *values, bool *nulls);
} DiadocSchema;

extern const DiadocSchema diadoc_schema_v2;	/* legacy path and V2 */
extern const DiadocSchema diadoc_schema_v3;
extern const DiadocSchema diadoc_schema_v4;
extern const DiadocSchema diadoc_schema_v5;

/*
 * Wire length of a string decoded by diadoc.c's protobuf-c allocator (which
 * records it, so that an embedded NUL is noticed).  Defined in diadoc.c.
 */
extern size_t diadoc_pb_strlen(const char *s);

/*
 * The credentials of the scan whose rows are being converted: a value is
 * data, but a hostile server can put a credential there too, so quoted
 * values are redacted like any other remote text.  Set by diadoc.c.
 */
extern List *diadoc_value_secrets;

/*
 * Values of fields outside the document (an event's id and time), checked
 * and converted as the document's own: a wire string as text, a Timestamp
 * as timestamptz; a bad value is an ERROR naming column and field.
 */
struct Diadoc__Api__Proto__Timestamp;
extern Datum diadoc_text_datum(const char *s, const char *column,
							   const char *field);
extern Datum diadoc_timestamp(const struct Diadoc__Api__Proto__Timestamp *ts,
							  const char *column);

#endif							/* PAGED_DIADOC_DOCS_H */
