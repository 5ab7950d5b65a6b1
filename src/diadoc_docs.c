/*-------------------------------------------------------------------------
 * diadoc_docs.c
 *		Diadoc documents of each schema version: DocumentWithDocflow (the
 *		legacy path and V2), DocumentWithDocflowV3, V4 and V5, each mapped
 *		to the document columns of diadoc_docs.h.
 *
 * The mapping of every column for every schema is the table in README.md
 * (DESIGN.md section 6.1).  Rules the table leaves to us:
 * - A field absent on the wire gives NULL, even where the .proto declares
 *   a default; a missing message (DocumentInfo, Docflow, ...) gives NULL
 *   for every column read from it.  Presence-less scalars used to choose
 *   (TitleIndex, Type, IsCurrentBox, Version.Status) are read with their
 *   protobuf defaults (0, Unknown, false), as any protobuf reader would.
 * - Strings must be UTF-8 without NUL bytes: anything else is an ERROR
 *   naming the column and the field.
 * - document_date accepts dd.MM.yyyy (every schema) and yyyy-MM-dd
 *   (V3 and later, metadata) with a real calendar date; anything else is
 *   NULL, never an ERROR: the raw text stays in metadata and document.
 * - metadata is an object key -> value ({} without items); on a repeated
 *   key the first value wins; an item without Key is left out, one
 *   without Value maps to JSON null.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/base64.h"
#include "datatype/timestamp.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "diadoc_docflow.pb-c.h"
#include "diadoc_docs.h"
#include "http.h"

/* DateTime.MaxValue.Ticks: 9999-12-31T23:59:59.9999999 */
#define DIADOC_MAX_TICKS	INT64CONST(3155378975999999999)

/* .NET ticks (100 ns) from 0001-01-01 to the PostgreSQL epoch 2000-01-01. */
#define DIADOC_TICKS_TO_PG_EPOCH_USECS	INT64CONST(63082281600000000)

/* Longest piece of remote text quoted in an error message, in bytes. */
#define DIADOC_EXCERPT_BYTES	40

/* Short names for the generated types. */
typedef Diadoc__Api__Proto__Timestamp PbTimestamp;
typedef Diadoc__Api__Proto__DocumentId PbDocumentId;
typedef Diadoc__Api__Proto__FullVersion PbFullVersion;
typedef Diadoc__Api__Proto__DocflowStatusV3 PbStatusV3;
typedef Diadoc__Api__Proto__Events__MetadataItem PbMetadataItem;
typedef Diadoc__Api__Proto__Documents__DocumentParticipantV2 PbParticipantV2;
typedef Diadoc__Api__Proto__Docflow__DocumentParticipant PbParticipantV3;
typedef Diadoc__Api__Proto__Docflow__DocumentLetterInfo PbLetterInfo;
typedef Diadoc__Api__Proto__Docflow__SenderTitleDocflow PbSenderTitle;
typedef Diadoc__Api__Proto__Docflow__TitleDocflow PbTitle;
typedef Diadoc__Api__Proto__Docflow__TitleParticipantDocflow PbTitleParticipant;

/* Column names, for error messages. */
static const ResourceColumn ddoc_columns[] = {
	DIADOC_DOC_COLUMNS
};

StaticAssertDecl(lengthof(ddoc_columns) == DDOC_NCOLUMNS,
				 "DIADOC_DOC_COLUMNS does not match DiadocDocColumn");

/* ----------------------------------------------------------------
 * Text from the wire
 * ----------------------------------------------------------------
 */

/* The bytes from "start" on, for a message about a bad value. */
static char *
ddoc_excerpt(const char *s, size_t len, size_t start)
{
	return http_bytes_excerpt(diadoc_value_secrets, s, len, start,
							  start + DIADOC_EXCERPT_BYTES);
}

/* Which value was being converted, for errors raised by the conversion. */
typedef struct DiadocConvArg
{
	const char *column;
	const char *field;
} DiadocConvArg;

static void
diadoc_conv_errcontext(void *arg)
{
	DiadocConvArg *a = (DiadocConvArg *) arg;

	errcontext("converting Diadoc field %s for column \"%s\" to the database encoding",
			   a->field, a->column);
}

/*
 * A protobuf string (allocated by diadoc_pb_alloc) in the database
 * encoding.  Remote strings must be UTF-8 without NUL bytes; anything else
 * is an ERROR that names the column and the field and quotes the value.
 */
static char *
diadoc_server_string(const char *s, const char *column, const char *field,
					 int *outlen)
{
	size_t		len = diadoc_pb_strlen(s);
	const char *nul;
	char	   *res;
	DiadocConvArg arg;
	ErrorContextCallback errcb;

	if (len >= MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("Diadoc field %s for column \"%s\" is too long",
						field, column),
				 errdetail("The value has %zu bytes.", len)));

	nul = memchr(s, '\0', len);
	if (nul != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("Diadoc field %s for column \"%s\" contains a NUL byte",
						field, column),
				 errdetail("The NUL is at byte %d of %zu: \"%s\".",
						   (int) (nul - s) + 1, len,
						   ddoc_excerpt(s, len,
										  (nul - s) > DIADOC_EXCERPT_BYTES / 2 ?
										  (nul - s) - DIADOC_EXCERPT_BYTES / 2 : 0))));

	if (!pg_verify_mbstr(PG_UTF8, s, (int) len, true))
	{
		int			ok = pg_encoding_verifymbstr(PG_UTF8, s, (int) len);

		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("Diadoc field %s for column \"%s\" is not valid UTF-8",
						field, column),
				 errdetail("The first invalid byte is byte %d of %zu: \"%s\".",
						   ok + 1, len,
						   ddoc_excerpt(s, len,
										  ok > DIADOC_EXCERPT_BYTES / 2 ?
										  ok - DIADOC_EXCERPT_BYTES / 2 : 0))));
	}

	/* Already verified: spare pg_any_to_server a second pass. */
	if (GetDatabaseEncoding() == PG_UTF8)
	{
		*outlen = (int) len;
		return unconstify(char *, s);
	}
	arg.column = column;
	arg.field = field;
	errcb.callback = diadoc_conv_errcontext;
	errcb.arg = &arg;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;
	res = pg_any_to_server(s, (int) len, PG_UTF8);
	error_context_stack = errcb.previous;
	*outlen = (res == s) ? (int) len : (int) strlen(res);
	return res;
}

Datum
diadoc_text_datum(const char *s, const char *column, const char *field)
{
	int			len;
	char	   *str = diadoc_server_string(s, column, field, &len);

	return PointerGetDatum(cstring_to_text_with_len(str, len));
}


/* Enum value name as in the .proto, or the number if unknown, as text. */
static Datum
diadoc_enum_datum(const ProtobufCEnumDescriptor *desc, int value)
{
	const ProtobufCEnumValue *ev;

	ev = protobuf_c_enum_descriptor_get_value(desc, value);
	if (ev != NULL)
		return CStringGetTextDatum(ev->name);
	return CStringGetTextDatum(psprintf("%d", value));
}

/* ----------------------------------------------------------------
 * Values
 * ----------------------------------------------------------------
 */

Datum
diadoc_timestamp(const Diadoc__Api__Proto__Timestamp *ts, const char *column)
{
	int64		ticks = ts->ticks;
	int64		usecs = ticks / 10;
	TimestampTz result;

	/*
	 * .NET ticks run from 0001-01-01 to 9999-12-31 (DateTime.MaxValue);
	 * anything else is not a timestamp a .NET server can have meant, even
	 * where timestamptz could hold it.
	 */
	if (ticks < 0 || ticks > DIADOC_MAX_TICKS)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range for column \"%s\"", column),
				 errdetail("Diadoc sent " INT64_FORMAT " ticks; .NET ticks run from 0 (0001-01-01) to " INT64_FORMAT " (9999-12-31).",
						   ticks, DIADOC_MAX_TICKS)));

	result = usecs - DIADOC_TICKS_TO_PG_EPOCH_USECS;
	if (!IS_VALID_TIMESTAMP(result))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range for column \"%s\"", column),
				 errdetail("Diadoc sent %lld ticks, outside the range of timestamp with time zone.",
						   (long long) ticks)));
	return TimestampTzGetDatum(result);
}

/*
 * Strict dd.MM.yyyy, or yyyy-MM-dd when "iso" is set, with a real calendar
 * date; false if it is not one.  "s" is a wire string: one with an
 * embedded NUL is not a date either.
 */
static bool
diadoc_parse_date(const char *s, bool iso, DateADT *result)
{
	int			d;
	int			m;
	int			y;
	int			i;

	if (strlen(s) != 10 || diadoc_pb_strlen(s) != 10)
		return false;
	if (s[2] == '.' && s[5] == '.')
	{
		for (i = 0; i < 10; i++)
			if (i != 2 && i != 5 && !(s[i] >= '0' && s[i] <= '9'))
				return false;
		d = (s[0] - '0') * 10 + (s[1] - '0');
		m = (s[3] - '0') * 10 + (s[4] - '0');
		y = (s[6] - '0') * 1000 + (s[7] - '0') * 100 + (s[8] - '0') * 10 + (s[9] - '0');
	}
	else if (iso && s[4] == '-' && s[7] == '-')
	{
		for (i = 0; i < 10; i++)
			if (i != 4 && i != 7 && !(s[i] >= '0' && s[i] <= '9'))
				return false;
		y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
		m = (s[5] - '0') * 10 + (s[6] - '0');
		d = (s[8] - '0') * 10 + (s[9] - '0');
	}
	else
		return false;
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > day_tab[isleap(y)][m - 1])
		return false;
	*result = date2j(y, m, d) - POSTGRES_EPOCH_JDATE;
	return true;
}

/* ---- the document as jsonb, generically from the descriptors ---- */

static JsonbValue *diadoc_json_message(JsonbParseState **ps,
									   const ProtobufCMessage *msg);

static void
diadoc_json_numeric(JsonbParseState **ps, JsonbIteratorToken tok, Numeric n)
{
	JsonbValue	v;

	v.type = jbvNumeric;
	v.val.numeric = n;
	(void) pushJsonbValue(ps, tok, &v);
}

static void
diadoc_json_string(JsonbParseState **ps, JsonbIteratorToken tok,
				   const char *s, int len)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = unconstify(char *, s);
	v.val.string.len = len;
	(void) pushJsonbValue(ps, tok, &v);
}

static void
diadoc_json_float(JsonbParseState **ps, JsonbIteratorToken tok, double d,
				  bool is_float4)
{
	/* JSON has no NaN or infinity: spell them as strings, as proto3 does */
	if (isnan(d))
		diadoc_json_string(ps, tok, "NaN", 3);
	else if (isinf(d))
		diadoc_json_string(ps, tok, d > 0 ? "Infinity" : "-Infinity",
						   d > 0 ? 8 : 9);
	else if (is_float4)
		diadoc_json_numeric(ps, tok,
							DatumGetNumeric(DirectFunctionCall1(float4_numeric,
																Float4GetDatum((float4) d))));
	else
		diadoc_json_numeric(ps, tok,
							DatumGetNumeric(DirectFunctionCall1(float8_numeric,
																Float8GetDatum(d))));
}

/* One value of a field; "member" points at the C field or array element. */
static void
diadoc_json_value(JsonbParseState **ps, JsonbIteratorToken tok,
				  const ProtobufCFieldDescriptor *f, const void *member,
				  const ProtobufCMessageDescriptor *parent)
{
	JsonbValue	v;

	switch (f->type)
	{
		case PROTOBUF_C_TYPE_INT32:
		case PROTOBUF_C_TYPE_SINT32:
		case PROTOBUF_C_TYPE_SFIXED32:
			diadoc_json_numeric(ps, tok, int64_to_numeric(*(const int32_t *) member));
			break;
		case PROTOBUF_C_TYPE_UINT32:
		case PROTOBUF_C_TYPE_FIXED32:
			diadoc_json_numeric(ps, tok, int64_to_numeric(*(const uint32_t *) member));
			break;
		case PROTOBUF_C_TYPE_INT64:
		case PROTOBUF_C_TYPE_SINT64:
		case PROTOBUF_C_TYPE_SFIXED64:
			diadoc_json_numeric(ps, tok, int64_to_numeric(*(const int64_t *) member));
			break;
		case PROTOBUF_C_TYPE_UINT64:
		case PROTOBUF_C_TYPE_FIXED64:
			{
				uint64		u = *(const uint64_t *) member;

				if (u <= (uint64) PG_INT64_MAX)
					diadoc_json_numeric(ps, tok, int64_to_numeric((int64) u));
				else
				{
					char		buf[32];

					snprintf(buf, sizeof(buf), UINT64_FORMAT, u);
					diadoc_json_numeric(ps, tok,
										DatumGetNumeric(DirectFunctionCall3(numeric_in,
																			CStringGetDatum(buf),
																			ObjectIdGetDatum(InvalidOid),
																			Int32GetDatum(-1))));
				}
			}
			break;
		case PROTOBUF_C_TYPE_FLOAT:
			diadoc_json_float(ps, tok, *(const float *) member, true);
			break;
		case PROTOBUF_C_TYPE_DOUBLE:
			diadoc_json_float(ps, tok, *(const double *) member, false);
			break;
		case PROTOBUF_C_TYPE_BOOL:
			v.type = jbvBool;
			v.val.boolean = *(const protobuf_c_boolean *) member != 0;
			(void) pushJsonbValue(ps, tok, &v);
			break;
		case PROTOBUF_C_TYPE_ENUM:
			{
				int			e = *(const int *) member;
				const ProtobufCEnumValue *ev;

				ev = protobuf_c_enum_descriptor_get_value(f->descriptor, e);
				if (ev != NULL)
					diadoc_json_string(ps, tok, ev->name, strlen(ev->name));
				else
					diadoc_json_numeric(ps, tok, int64_to_numeric(e));
			}
			break;
		case PROTOBUF_C_TYPE_STRING:
			{
				const char *s = *(char *const *) member;
				char	   *path = psprintf("%s.%s", parent->short_name, f->name);
				char	   *str;
				int			len;

				str = diadoc_server_string(s, "document", path, &len);
				diadoc_json_string(ps, tok, str, len);
			}
			break;
		case PROTOBUF_C_TYPE_BYTES:
			{
				const ProtobufCBinaryData *bd = member;
				int			enclen;
				char	   *enc;

				if (bd->len > (size_t) (MaxAllocSize / 4 * 3 - 8))
					ereport(ERROR,
							(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
							 errmsg("Diadoc field %s.%s for column \"document\" is too long",
									parent->short_name, f->name)));
				enclen = pg_b64_enc_len((int) bd->len);
				enc = palloc(enclen + 1);
				enclen = bd->len == 0 ? 0 :
					pg_b64_encode((const char *) bd->data, (int) bd->len,
								  enc, enclen);
				if (enclen < 0)
					elog(ERROR, "could not encode Diadoc field %s.%s as base64",
						 parent->short_name, f->name);
				diadoc_json_string(ps, tok, enc, enclen);
			}
			break;
		case PROTOBUF_C_TYPE_MESSAGE:
			{
				const ProtobufCMessage *sub = *(ProtobufCMessage *const *) member;

				(void) diadoc_json_message(ps, sub);
			}
			break;
	}
}

/* Size of one element of a repeated field's C array. */
static size_t
diadoc_elem_size(ProtobufCType type)
{
	switch (type)
	{
		case PROTOBUF_C_TYPE_INT32:
		case PROTOBUF_C_TYPE_SINT32:
		case PROTOBUF_C_TYPE_SFIXED32:
		case PROTOBUF_C_TYPE_UINT32:
		case PROTOBUF_C_TYPE_FIXED32:
		case PROTOBUF_C_TYPE_FLOAT:
		case PROTOBUF_C_TYPE_ENUM:
			return 4;
		case PROTOBUF_C_TYPE_INT64:
		case PROTOBUF_C_TYPE_SINT64:
		case PROTOBUF_C_TYPE_SFIXED64:
		case PROTOBUF_C_TYPE_UINT64:
		case PROTOBUF_C_TYPE_FIXED64:
		case PROTOBUF_C_TYPE_DOUBLE:
			return 8;
		case PROTOBUF_C_TYPE_BOOL:
			return sizeof(protobuf_c_boolean);
		case PROTOBUF_C_TYPE_STRING:
		case PROTOBUF_C_TYPE_MESSAGE:
			return sizeof(void *);
		case PROTOBUF_C_TYPE_BYTES:
			return sizeof(ProtobufCBinaryData);
	}
	return 0;
}

/* Did the field come over the wire?  (Repeated fields: is it non-empty?) */
static bool
diadoc_field_present(const ProtobufCMessage *msg,
					 const ProtobufCFieldDescriptor *f)
{
	const char *base = (const char *) msg;
	const void *member = base + f->offset;

	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return *(const size_t *) (base + f->quantifier_offset) > 0;

	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *) (base + f->quantifier_offset) == f->id;

	switch (f->type)
	{
		case PROTOBUF_C_TYPE_STRING:
			{
				const char *s = *(char *const *) member;

				/* absent strings are NULL or point at the static default */
				if (s == NULL || s == f->default_value ||
					s == protobuf_c_empty_string)
					return false;
				return true;
			}
		case PROTOBUF_C_TYPE_MESSAGE:
			return *(ProtobufCMessage *const *) member != NULL;
		default:
			break;
	}

	if (f->label == PROTOBUF_C_LABEL_REQUIRED)
		return true;
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset != 0)
		return *(const protobuf_c_boolean *) (base + f->quantifier_offset) != 0;

	/* proto3 scalars without presence: omitted when zero, as in proto3 JSON */
	if (f->type == PROTOBUF_C_TYPE_BYTES)
		return ((const ProtobufCBinaryData *) member)->len > 0;
	{
		size_t		sz = diadoc_elem_size(f->type);
		const char *p = member;
		size_t		i;

		for (i = 0; i < sz; i++)
			if (p[i] != 0)
				return true;
		return false;
	}
}

/*
 * Push a message as a JSON object: present fields only, keyed by their
 * .proto names.  Unknown fields (msg->unknown_fields) are left out.
 */
static JsonbValue *
diadoc_json_message(JsonbParseState **ps, const ProtobufCMessage *msg)
{
	const ProtobufCMessageDescriptor *desc = msg->descriptor;
	unsigned	i;

	check_stack_depth();
	(void) pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	for (i = 0; i < desc->n_fields; i++)
	{
		const ProtobufCFieldDescriptor *f = &desc->fields[i];
		const char *member = (const char *) msg + f->offset;

		if (!diadoc_field_present(msg, f))
			continue;
		diadoc_json_string(ps, WJB_KEY, f->name, strlen(f->name));
		if (f->label == PROTOBUF_C_LABEL_REPEATED)
		{
			size_t		n = *(const size_t *) ((const char *) msg + f->quantifier_offset);
			const char *arr = *(char *const *) member;
			size_t		sz = diadoc_elem_size(f->type);
			size_t		j;

			(void) pushJsonbValue(ps, WJB_BEGIN_ARRAY, NULL);
			for (j = 0; j < n; j++)
				diadoc_json_value(ps, WJB_ELEM, f, arr + j * sz, desc);
			(void) pushJsonbValue(ps, WJB_END_ARRAY, NULL);
		}
		else
			diadoc_json_value(ps, WJB_VALUE, f, member, desc);
	}
	return pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

/* ----------------------------------------------------------------
 * Columns common to every schema
 * ----------------------------------------------------------------
 */

static void
ddoc_set_text(int col, const char *s, const char *field, Datum *values,
			  bool *nulls)
{
	if (s != NULL)
		values[col] = diadoc_text_datum(s, ddoc_columns[col].name, field);
	else
		nulls[col] = true;
}

/* A Timestamp without Ticks is as good as none. */
static void
ddoc_set_timestamp(int col, const PbTimestamp *ts, Datum *values, bool *nulls)
{
	if (ts != NULL && ts->has_ticks)
		values[col] = diadoc_timestamp(ts, ddoc_columns[col].name);
	else
		nulls[col] = true;
}

static void
ddoc_set_bool(int col, bool present, bool value, Datum *values, bool *nulls)
{
	if (present)
		values[col] = BoolGetDatum(value);
	else
		nulls[col] = true;
}

static void
ddoc_set_enum(int col, const ProtobufCEnumDescriptor *desc, bool present,
			  int value, Datum *values, bool *nulls)
{
	if (present)
		values[col] = diadoc_enum_datum(desc, value);
	else
		nulls[col] = true;
}

/* The whole message as jsonb: the "document" column. */
static Datum
ddoc_document_jsonb(const ProtobufCMessage *doc)
{
	JsonbParseState *ps = NULL;
	JsonbValue *jv;

	jv = diadoc_json_message(&ps, doc);
	return JsonbPGetDatum(JsonbValueToJsonb(jv));
}

/* ----------------------------------------------------------------
 * DocumentWithDocflow (legacy path and V2)
 * ----------------------------------------------------------------
 */

static void
ddoc_fill_v2(const ProtobufCMessage *msg, const bool *want, Datum *values,
			 bool *nulls)
{
	const Diadoc__Api__Proto__Docflow__DocumentWithDocflow *doc =
	(const Diadoc__Api__Proto__Docflow__DocumentWithDocflow *) msg;
	const PbDocumentId *id = doc ? doc->documentid : NULL;
	const Diadoc__Api__Proto__Docflow__DocumentInfo *info =
	doc ? doc->documentinfo : NULL;
	const Diadoc__Api__Proto__Docflow__DocumentDateAndNumber *dn =
	info ? info->documentdateandnumber : NULL;
	const Diadoc__Api__Proto__Docflow__Docflow *flow = doc ? doc->docflow : NULL;
	const Diadoc__Api__Proto__Docflow__DocflowStatus *fs =
	flow ? flow->docflowstatus : NULL;
	const Diadoc__Api__Proto__Docflow__DocflowStatusModel *st =
	fs ? fs->primarystatus : NULL;
	const Diadoc__Api__Proto__Docflow__DocflowStatusModel *st2 =
	fs ? fs->secondarystatus : NULL;
	int			col;

	for (col = 0; col < DDOC_NCOLUMNS; col++)
	{
		if (!want[col])
			continue;
		nulls[col] = false;

		switch ((DiadocDocColumn) col)
		{
			case DDOC_MESSAGE_ID:
				ddoc_set_text(col, id ? id->messageid : NULL,
							  "DocumentId.MessageId", values, nulls);
				break;
			case DDOC_ENTITY_ID:
				ddoc_set_text(col, id ? id->entityid : NULL,
							  "DocumentId.EntityId", values, nulls);
				break;
			case DDOC_LAST_EVENT_ID:
				ddoc_set_text(col, doc ? doc->lasteventid : NULL,
							  "DocumentWithDocflow.LastEventId", values, nulls);
				break;
			case DDOC_LAST_EVENT_AT:
				ddoc_set_timestamp(col, doc ? doc->lasteventtimestamp : NULL,
								   values, nulls);
				break;
			case DDOC_DOCUMENT_TYPE:
				ddoc_set_enum(col, &diadoc__api__proto__document_type__descriptor,
							  info && info->has_documenttype,
							  info ? info->documenttype : 0, values, nulls);
				break;
			case DDOC_DIRECTION:
				ddoc_set_enum(col, &diadoc__api__proto__document_direction__descriptor,
							  info && info->has_documentdirection,
							  info ? info->documentdirection : 0, values, nulls);
				break;
			case DDOC_IS_TEST:
				ddoc_set_bool(col, info && info->has_istest,
							  info && info->istest, values, nulls);
				break;
			case DDOC_CUSTOM_DOCUMENT_ID:
				ddoc_set_text(col, info ? info->customdocumentid : NULL,
							  "DocumentInfo.CustomDocumentId", values, nulls);
				break;
			case DDOC_COUNTERAGENT_BOX_ID:
				ddoc_set_text(col, info ? info->counteragentboxid : NULL,
							  "DocumentInfo.CounteragentBoxId", values, nulls);
				break;
			case DDOC_DOCUMENT_DATE:
				{
					DateADT		date;

					if (dn && dn->documentdate &&
						diadoc_parse_date(dn->documentdate, false, &date))
						values[col] = DateADTGetDatum(date);
					else
						nulls[col] = true;
				}
				break;
			case DDOC_DOCUMENT_NUMBER:
				ddoc_set_text(col, dn ? dn->documentnumber : NULL,
							  "DocumentDateAndNumber.DocumentNumber", values, nulls);
				break;
			case DDOC_VERSION:
				ddoc_set_text(col, info ? info->version : NULL,
							  "DocumentInfo.Version", values, nulls);
				break;
			case DDOC_IS_FINISHED:
				ddoc_set_bool(col, flow && flow->has_isfinished,
							  flow && flow->isfinished, values, nulls);
				break;
			case DDOC_IS_DELETED:
				ddoc_set_bool(col, flow && flow->has_documentisdeleted,
							  flow && flow->documentisdeleted, values, nulls);
				break;
			case DDOC_DEPARTMENT_ID:
				ddoc_set_text(col, flow ? flow->departmentid : NULL,
							  "Docflow.DepartmentId", values, nulls);
				break;
			case DDOC_SENT_AT:
				ddoc_set_timestamp(col, flow ? flow->sendtimestamp : NULL,
								   values, nulls);
				break;
			case DDOC_DELIVERED_AT:
				ddoc_set_timestamp(col, flow ? flow->deliverytimestamp : NULL,
								   values, nulls);
				break;
			case DDOC_STATUS:
				ddoc_set_text(col, st ? st->statustext : NULL,
							  "DocflowStatusModel.StatusText", values, nulls);
				break;
			case DDOC_STATUS_SEVERITY:
				ddoc_set_enum(col, &diadoc__api__proto__docflow__docflow_status_severity__descriptor,
							  st && st->has_severity,
							  st ? st->severity : 0, values, nulls);
				break;
			case DDOC_SECONDARY_STATUS:
				ddoc_set_text(col, st2 ? st2->statustext : NULL,
							  "DocflowStatus.SecondaryStatus.StatusText", values, nulls);
				break;
			case DDOC_DOCUMENT:
				if (doc)
					values[col] = ddoc_document_jsonb(msg);
				else
					nulls[col] = true;
				break;
			case DDOC_MESSAGE_TYPE:
			case DDOC_TYPE_FUNCTION:
			case DDOC_FILE_NAME:
			case DDOC_METADATA:
			case DDOC_IS_READ:
			case DDOC_SENDER_BOX_ID:
			case DDOC_RECIPIENT_BOX_ID:
				/* not in this schema */
				nulls[col] = true;
				break;
			case DDOC_NCOLUMNS:
				break;
		}
	}
}

/* ----------------------------------------------------------------
 * DocumentWithDocflowV3, V4 and V5
 *
 * The three share everything but the participants (DocumentParticipants
 * in V3/V4, DocumentParticipantsV2 in V5) and the docflow (SenderTitle in
 * V3/V4, Titles in V5).  Each schema's fill function gathers what a column
 * reads into a DdocView; ddoc_fill_view fills the columns from it.
 * ----------------------------------------------------------------
 */

typedef struct DdocView
{
	const ProtobufCMessage *doc;	/* the document, for "document" */
	const PbDocumentId *id;
	const Diadoc__Api__Proto__Docflow__LastEvent *last;

	/* DocumentInfoV3 / DocumentInfoV5; info_present false: all NULL */
	bool		info_present;
	const PbFullVersion *fullversion;
	bool		has_messagetype;
	int			messagetype;
	bool		has_direction;
	int			direction;
	const char *departmentid;
	const char *customdocumentid;
	size_t		n_metadata;
	PbMetadataItem *const *metadata;
	bool		has_isread;
	bool		isread;
	bool		has_isdeleted;
	bool		isdeleted;
	const PbLetterInfo *letterinfo;

	/* participants, by role */
	const char *sender_box;
	const char *recipient_box;
	const char *counteragent_box;
	const char *participant_field;	/* for messages */

	/* docflow */
	const PbTimestamp *sent_at;
	const PbTimestamp *delivered_at;
	const PbStatusV3 *status;
} DdocView;

/*
 * Value of the first metadata item with this key, or NULL.  The wire
 * length must match too: a key with an embedded NUL is another key.
 */
static const char *
ddoc_metadata_value(const DdocView *v, const char *key)
{
	size_t		keylen = strlen(key);
	size_t		i;

	for (i = 0; i < v->n_metadata; i++)
	{
		const PbMetadataItem *m = v->metadata[i];

		if (m->key != NULL && diadoc_pb_strlen(m->key) == keylen &&
			memcmp(m->key, key, keylen) == 0)
			return m->value;
	}
	return NULL;
}

typedef struct DdocMetaItem
{
	const char *key;			/* database encoding */
	int			keylen;
	size_t		pos;			/* in the message: the first one wins */
	const char *value;			/* wire value or NULL */
} DdocMetaItem;

static int
ddoc_meta_cmp(const void *a, const void *b)
{
	const DdocMetaItem *x = a;
	const DdocMetaItem *y = b;
	int			c;

	c = memcmp(x->key, y->key, Min(x->keylen, y->keylen));
	if (c == 0)
		c = (x->keylen > y->keylen) - (x->keylen < y->keylen);
	if (c == 0)
		c = (x->pos > y->pos) - (x->pos < y->pos);
	return c;
}

/*
 * Metadata as a jsonb object.  Sorting by key (then position) finds the
 * first item of each key without a quadratic scan of a hostile list.
 */
static Datum
ddoc_metadata_jsonb(const DdocView *v)
{
	JsonbParseState *ps = NULL;
	JsonbValue	jv;
	JsonbValue *res;
	DdocMetaItem *items;
	size_t		n = 0;
	size_t		i;

	items = palloc(sizeof(DdocMetaItem) * Max(v->n_metadata, 1));
	for (i = 0; i < v->n_metadata; i++)
	{
		const PbMetadataItem *m = v->metadata[i];

		if (m->key == NULL)
			continue;
		items[n].key = diadoc_server_string(m->key, "metadata",
											"MetadataItem.Key", &items[n].keylen);
		items[n].pos = i;
		items[n].value = m->value;
		n++;
	}
	qsort(items, n, sizeof(DdocMetaItem), ddoc_meta_cmp);

	(void) pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	for (i = 0; i < n; i++)
	{
		if (i > 0 && items[i].keylen == items[i - 1].keylen &&
			memcmp(items[i].key, items[i - 1].key, items[i].keylen) == 0)
			continue;
		jv.type = jbvString;
		jv.val.string.val = unconstify(char *, items[i].key);
		jv.val.string.len = items[i].keylen;
		(void) pushJsonbValue(&ps, WJB_KEY, &jv);
		if (items[i].value == NULL)
			jv.type = jbvNull;
		else
		{
			int			len;

			jv.type = jbvString;
			jv.val.string.val = diadoc_server_string(items[i].value, "metadata",
													 "MetadataItem.Value", &len);
			jv.val.string.len = len;
		}
		(void) pushJsonbValue(&ps, WJB_VALUE, &jv);
	}
	res = pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	return JsonbPGetDatum(JsonbValueToJsonb(res));
}

static void
ddoc_fill_view(const DdocView *v, const bool *want, Datum *values, bool *nulls)
{
	const Diadoc__Api__Proto__DocflowStatusModelV3 *st =
	v->status ? v->status->primarystatus : NULL;
	const Diadoc__Api__Proto__DocflowStatusModelV3 *st2 =
	v->status ? v->status->secondarystatus : NULL;
	const PbFullVersion *fv = v->fullversion;
	int			col;

	for (col = 0; col < DDOC_NCOLUMNS; col++)
	{
		if (!want[col])
			continue;
		nulls[col] = false;

		switch ((DiadocDocColumn) col)
		{
			case DDOC_MESSAGE_ID:
				ddoc_set_text(col, v->id ? v->id->messageid : NULL,
							  "DocumentId.MessageId", values, nulls);
				break;
			case DDOC_ENTITY_ID:
				ddoc_set_text(col, v->id ? v->id->entityid : NULL,
							  "DocumentId.EntityId", values, nulls);
				break;
			case DDOC_LAST_EVENT_ID:
				ddoc_set_text(col, v->last ? v->last->eventid : NULL,
							  "LastEvent.EventId", values, nulls);
				break;
			case DDOC_LAST_EVENT_AT:
				ddoc_set_timestamp(col, v->last ? v->last->timestamp : NULL,
								   values, nulls);
				break;
			case DDOC_DOCUMENT_TYPE:
				ddoc_set_text(col, fv ? fv->typenamedid : NULL,
							  "FullVersion.TypeNamedId", values, nulls);
				break;
			case DDOC_TYPE_FUNCTION:
				ddoc_set_text(col, fv ? fv->function : NULL,
							  "FullVersion.Function", values, nulls);
				break;
			case DDOC_VERSION:
				ddoc_set_text(col, fv ? fv->version : NULL,
							  "FullVersion.Version", values, nulls);
				break;
			case DDOC_MESSAGE_TYPE:
				ddoc_set_enum(col, &diadoc__api__proto__documents__message_type__descriptor,
							  v->has_messagetype, v->messagetype, values, nulls);
				break;
			case DDOC_DIRECTION:
				ddoc_set_enum(col, &diadoc__api__proto__document_direction__descriptor,
							  v->has_direction, v->direction, values, nulls);
				break;
			case DDOC_IS_TEST:
				ddoc_set_bool(col, v->letterinfo && v->letterinfo->has_istest,
							  v->letterinfo && v->letterinfo->istest,
							  values, nulls);
				break;
			case DDOC_CUSTOM_DOCUMENT_ID:
				ddoc_set_text(col, v->customdocumentid,
							  "DocumentInfo.CustomDocumentId", values, nulls);
				break;
			case DDOC_DEPARTMENT_ID:
				ddoc_set_text(col, v->departmentid,
							  "DocumentInfo.DepartmentId", values, nulls);
				break;
			case DDOC_IS_DELETED:
				ddoc_set_bool(col, v->has_isdeleted, v->isdeleted, values, nulls);
				break;
			case DDOC_IS_READ:
				ddoc_set_bool(col, v->has_isread, v->isread, values, nulls);
				break;
			case DDOC_COUNTERAGENT_BOX_ID:
				ddoc_set_text(col, v->counteragent_box, v->participant_field,
							  values, nulls);
				break;
			case DDOC_SENDER_BOX_ID:
				ddoc_set_text(col, v->sender_box, v->participant_field,
							  values, nulls);
				break;
			case DDOC_RECIPIENT_BOX_ID:
				ddoc_set_text(col, v->recipient_box, v->participant_field,
							  values, nulls);
				break;
			case DDOC_DOCUMENT_DATE:
				{
					const char *s = ddoc_metadata_value(v, "DocumentDate");
					DateADT		date;

					if (s != NULL && diadoc_parse_date(s, true, &date))
						values[col] = DateADTGetDatum(date);
					else
						nulls[col] = true;
				}
				break;
			case DDOC_DOCUMENT_NUMBER:
				ddoc_set_text(col, ddoc_metadata_value(v, "DocumentNumber"),
							  "MetadataItem.Value", values, nulls);
				break;
			case DDOC_FILE_NAME:
				ddoc_set_text(col, ddoc_metadata_value(v, "FileName"),
							  "MetadataItem.Value", values, nulls);
				break;
			case DDOC_METADATA:
				if (v->info_present)
					values[col] = ddoc_metadata_jsonb(v);
				else
					nulls[col] = true;
				break;
			case DDOC_IS_FINISHED:
				/* the V3+ schemas have no overall flag */
				nulls[col] = true;
				break;
			case DDOC_SENT_AT:
				ddoc_set_timestamp(col, v->sent_at, values, nulls);
				break;
			case DDOC_DELIVERED_AT:
				ddoc_set_timestamp(col, v->delivered_at, values, nulls);
				break;
			case DDOC_STATUS:
				ddoc_set_text(col, st ? st->statustext : NULL,
							  "DocflowStatusModelV3.StatusText", values, nulls);
				break;
			case DDOC_STATUS_SEVERITY:
				ddoc_set_text(col, st ? st->severity : NULL,
							  "DocflowStatusModelV3.Severity", values, nulls);
				break;
			case DDOC_SECONDARY_STATUS:
				ddoc_set_text(col, st2 ? st2->statustext : NULL,
							  "DocflowStatusV3.SecondaryStatus.StatusText", values, nulls);
				break;
			case DDOC_DOCUMENT:
				if (v->doc)
					values[col] = ddoc_document_jsonb(v->doc);
				else
					nulls[col] = true;
				break;
			case DDOC_NCOLUMNS:
				break;
		}
	}
}

/*
 * DocumentInfoV3 and DocumentInfoV5 have the same fields but for 4 and 17:
 * the same code reads both.
 */
#define DDOC_VIEW_INFO(v, info) \
	do { \
		(v)->info_present = true; \
		(v)->fullversion = (info)->fullversion; \
		(v)->has_messagetype = (info)->has_messagetype; \
		(v)->messagetype = (int) (info)->messagetype; \
		(v)->has_direction = (info)->has_documentdirection; \
		(v)->direction = (int) (info)->documentdirection; \
		(v)->departmentid = (info)->departmentid; \
		(v)->customdocumentid = (info)->customdocumentid; \
		(v)->n_metadata = (info)->n_metadata; \
		(v)->metadata = (info)->metadata; \
		(v)->has_isread = (info)->has_isread; \
		(v)->isread = (info)->isread != 0; \
		(v)->has_isdeleted = (info)->has_isdeleted; \
		(v)->isdeleted = (info)->isdeleted != 0; \
		(v)->letterinfo = (info)->letterinfo; \
	} while (0)

/* V3/V4 participants: Sender and Recipient; the counteragent by direction. */
static void
ddoc_view_participants_v3(DdocView *v,
						  const Diadoc__Api__Proto__Docflow__DocumentParticipants *p)
{
	const PbParticipantV3 *sender = p ? p->sender : NULL;
	const PbParticipantV3 *recipient = p ? p->recipient : NULL;

	v->participant_field = "DocumentParticipant.BoxId";
	v->sender_box = sender ? sender->boxid : NULL;
	v->recipient_box = recipient ? recipient->boxid : NULL;
	if (v->has_direction &&
		v->direction == DIADOC__API__PROTO__DOCUMENT_DIRECTION__Inbound)
		v->counteragent_box = v->sender_box;
	else if (v->has_direction &&
			 v->direction == DIADOC__API__PROTO__DOCUMENT_DIRECTION__Outbound)
		v->counteragent_box = v->recipient_box;
}

static void
ddoc_view_status_v3(DdocView *v, const PbSenderTitle *title,
					const PbStatusV3 *status)
{
	v->sent_at = title ? title->sentat : NULL;
	v->delivered_at = title ? title->deliveredat : NULL;
	v->status = status;
}

/*
 * DocumentWithDocflowV3 and V4 differ on the wire only in fields we do not
 * read; their generated structs are distinct types with the same members.
 */
#define DDOC_VIEW_V3(v, doc) \
	do { \
		(v)->doc = (const ProtobufCMessage *) (doc); \
		(v)->id = (doc)->documentid; \
		(v)->last = (doc)->lastevent; \
		if ((doc)->documentinfo) \
		{ \
			DDOC_VIEW_INFO((v), (doc)->documentinfo); \
			ddoc_view_participants_v3((v), (doc)->documentinfo->participants); \
		} \
		if ((doc)->docflow) \
			ddoc_view_status_v3((v), (doc)->docflow->sendertitle, \
								(doc)->docflow->docflowstatus); \
	} while (0)

static void
ddoc_fill_v3(const ProtobufCMessage *msg, const bool *want, Datum *values,
			 bool *nulls)
{
	const Diadoc__Api__Proto__Docflow__DocumentWithDocflowV3 *doc =
	(const Diadoc__Api__Proto__Docflow__DocumentWithDocflowV3 *) msg;
	DdocView	v;

	memset(&v, 0, sizeof(v));
	if (doc != NULL)
		DDOC_VIEW_V3(&v, doc);
	ddoc_fill_view(&v, want, values, nulls);
}

static void
ddoc_fill_v4(const ProtobufCMessage *msg, const bool *want, Datum *values,
			 bool *nulls)
{
	const Diadoc__Api__Proto__Docflow__DocumentWithDocflowV4 *doc =
	(const Diadoc__Api__Proto__Docflow__DocumentWithDocflowV4 *) msg;
	DdocView	v;

	memset(&v, 0, sizeof(v));
	if (doc != NULL)
		DDOC_VIEW_V3(&v, doc);
	ddoc_fill_view(&v, want, values, nulls);
}

/* ParticipantType of a V2 participant (absent: Unknown, the default). */
static int
ddoc_participant_type(const PbParticipantV2 *p)
{
	return (p != NULL && p->has_type) ? (int) p->type :
		DIADOC__API__PROTO__WORKFLOWS__PARTICIPANT_TYPE__PARTICIPANT_TYPE__Unknown;
}

/*
 * V5 participants go by Type (not by the free-form Role): the first
 * Sender, the first Recipient, and as counteragent the first Sender or
 * Recipient that is not the current box.  No such participant: NULL.
 */
static void
ddoc_view_participants_v5(DdocView *v,
						  const Diadoc__Api__Proto__Documents__DocumentParticipantsV2 *ps)
{
	size_t		i;

	v->participant_field = "DocumentParticipantV2.BoxId";
	if (ps == NULL)
		return;
	for (i = 0; i < ps->n_participants; i++)
	{
		const PbParticipantV2 *p = ps->participants[i];
		int			type = ddoc_participant_type(p);
		bool		is_sender = type ==
			DIADOC__API__PROTO__WORKFLOWS__PARTICIPANT_TYPE__PARTICIPANT_TYPE__Sender;
		bool		is_recipient = type ==
			DIADOC__API__PROTO__WORKFLOWS__PARTICIPANT_TYPE__PARTICIPANT_TYPE__Recipient;

		if (is_sender && v->sender_box == NULL)
			v->sender_box = p->boxid;
		if (is_recipient && v->recipient_box == NULL)
			v->recipient_box = p->boxid;
		if ((is_sender || is_recipient) && !p->iscurrentbox &&
			v->counteragent_box == NULL)
			v->counteragent_box = p->boxid;
	}
}

/*
 * T0: among the titles with TitleIndex 0, the one whose version is
 * Current; if none is, the one without a Version; else the first.
 */
static const PbTitle *
ddoc_title0(const Diadoc__Api__Proto__Docflow__DocflowV5 *flow)
{
	const PbTitle *first = NULL;
	const PbTitle *unversioned = NULL;
	size_t		i;

	for (i = 0; i < flow->n_titles; i++)
	{
		const PbTitle *t = flow->titles[i];

		if (t->titleindex != 0)
			continue;
		if (t->version != NULL && t->version->status ==
			DIADOC__API__PROTO__DOCFLOW__TITLE_VERSION_STATUS_V5__TitleVersionStatusCurrent)
			return t;
		if (first == NULL)
			first = t;
		if (t->version == NULL && unversioned == NULL)
			unversioned = t;
	}
	return unversioned ? unversioned : first;
}

/*
 * V5 sent_at: the earliest SentAt of T0's participant deliveries;
 * delivered_at: the DeliveredAt of T0's first Recipient participant.
 */
static void
ddoc_view_docflow_v5(DdocView *v, const Diadoc__Api__Proto__Docflow__DocflowV5 *flow)
{
	const PbTitle *t0 = ddoc_title0(flow);
	bool		recipient_seen = false;
	size_t		i;

	v->status = flow->docflowstatus;
	if (t0 == NULL)
		return;
	for (i = 0; i < t0->n_participantdocflows; i++)
	{
		const PbTitleParticipant *pd = t0->participantdocflows[i];
		const Diadoc__Api__Proto__Docflow__DeliveryDocflowV5 *d =
		pd->titledelivery ? pd->titledelivery->delivery : NULL;

		if (d != NULL && d->sentat != NULL && d->sentat->has_ticks &&
			(v->sent_at == NULL || d->sentat->ticks < v->sent_at->ticks))
			v->sent_at = d->sentat;
		if (!recipient_seen && ddoc_participant_type(pd->participant) ==
			DIADOC__API__PROTO__WORKFLOWS__PARTICIPANT_TYPE__PARTICIPANT_TYPE__Recipient)
		{
			recipient_seen = true;
			v->delivered_at = d ? d->deliveredat : NULL;
		}
	}
}

static void
ddoc_fill_v5(const ProtobufCMessage *msg, const bool *want, Datum *values,
			 bool *nulls)
{
	const Diadoc__Api__Proto__Docflow__DocumentWithDocflowV5 *doc =
	(const Diadoc__Api__Proto__Docflow__DocumentWithDocflowV5 *) msg;
	DdocView	v;

	memset(&v, 0, sizeof(v));
	if (doc != NULL)
	{
		v.doc = msg;
		v.id = doc->documentid;
		v.last = doc->lastevent;
		if (doc->documentinfo)
		{
			DDOC_VIEW_INFO(&v, doc->documentinfo);
			ddoc_view_participants_v5(&v, doc->documentinfo->participants);
		}
		if (doc->docflow)
			ddoc_view_docflow_v5(&v, doc->docflow);
	}
	ddoc_fill_view(&v, want, values, nulls);
}

const DiadocSchema diadoc_schema_v2 = {
	"DocumentWithDocflow",
	&diadoc__api__proto__docflow__document_with_docflow__descriptor,
	ddoc_fill_v2
};

const DiadocSchema diadoc_schema_v3 = {
	"DocumentWithDocflowV3",
	&diadoc__api__proto__docflow__document_with_docflow_v3__descriptor,
	ddoc_fill_v3
};

const DiadocSchema diadoc_schema_v4 = {
	"DocumentWithDocflowV4",
	&diadoc__api__proto__docflow__document_with_docflow_v4__descriptor,
	ddoc_fill_v4
};

const DiadocSchema diadoc_schema_v5 = {
	"DocumentWithDocflowV5",
	&diadoc__api__proto__docflow__document_with_docflow_v5__descriptor,
	ddoc_fill_v5
};
