/*-------------------------------------------------------------------------
 * diadoc.c
 *		Kontur Diadoc GetDocflowsByPacketId as the resource
 *		"docflows_by_packet" of paged_fdw.
 *
 * One stream per (box id, packet id) pair.  A page is one
 * GetDocflowsByPacketId call: a protobuf GetDocflowsByPacketIdRequest goes
 * out with the packet id, Count and the previous page's NextPageIndexKey as
 * AfterIndexKey, and a GetDocflowsByPacketIdResponse comes back.  The
 * response is decoded by protobuf-c straight into the page memory context,
 * so resetting that context frees a page no matter how the scan ends.
 *
 * Authentication is either a static token from the user mapping or a token
 * obtained with login/password from V3/Authenticate; the latter is cached
 * per backend (tokens live 24 hours) and renewed once when a page is
 * answered with 401.  OpenID Connect sends "Authorization: Bearer" and
 * nothing else: with a ready access_token, or with one that oidc.c obtains
 * with client_id, client_secret and refresh_token (renewed the same way).
 *
 * Choices the design leaves open, made here:
 * - An optional field that is absent on the wire gives NULL, even where
 *   the .proto declares a default (DocumentType): NULL says "not sent",
 *   which a default value cannot.
 * - The token is fetched when the first page request is built, not at scan
 *   start, so EXPLAIN and scans that can match no row (packet_id = NULL)
 *   never touch the network.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "common/base64.h"
#include "common/hashfn.h"
#include "datatype/timestamp.h"
#include "foreign/foreign.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "diadoc.pb-c.h"
#include "http.h"
#include "oidc.h"
#include "options.h"
#include "resource.h"

/* DateTime.MaxValue.Ticks: 9999-12-31T23:59:59.9999999 */
#define DIADOC_MAX_TICKS	INT64CONST(3155378975999999999)

/* The API's limit on Count. */
#define DIADOC_MAX_PAGE_SIZE	100

/* Tokens are valid for 24 hours; renew an hour early. */
#define DIADOC_TOKEN_MAX_AGE	((int64) 23 * USECS_PER_HOUR)

/* .NET ticks (100 ns) from 0001-01-01 to the PostgreSQL epoch 2000-01-01. */
#define DIADOC_TICKS_TO_PG_EPOCH_USECS	INT64CONST(63082281600000000)

/* Longest piece of remote text quoted in an error message, in bytes. */
#define DIADOC_EXCERPT_BYTES	40

/* Column numbers: the order of diadoc_columns[] below. */
enum
{
	DIADOC_COL_BOX_ID,
	DIADOC_COL_PACKET_ID,
	DIADOC_COL_INDEX_KEY,
	DIADOC_COL_MESSAGE_ID,
	DIADOC_COL_ENTITY_ID,
	DIADOC_COL_LAST_EVENT_ID,
	DIADOC_COL_LAST_EVENT_AT,
	DIADOC_COL_DOCUMENT_TYPE,
	DIADOC_COL_DIRECTION,
	DIADOC_COL_IS_TEST,
	DIADOC_COL_CUSTOM_DOCUMENT_ID,
	DIADOC_COL_COUNTERAGENT_BOX_ID,
	DIADOC_COL_DOCUMENT_DATE,
	DIADOC_COL_DOCUMENT_NUMBER,
	DIADOC_COL_VERSION,
	DIADOC_COL_IS_FINISHED,
	DIADOC_COL_IS_DELETED,
	DIADOC_COL_DEPARTMENT_ID,
	DIADOC_COL_SENT_AT,
	DIADOC_COL_DELIVERED_AT,
	DIADOC_COL_STATUS,
	DIADOC_COL_STATUS_SEVERITY,
	DIADOC_COL_DOCUMENT
};

/*
 * Pushed equality on box_id and packet_id needs no recheck: every row of a
 * stream carries the very box id and packet id the request was sent with.
 */
static const ResourceColumn diadoc_columns[] = {
	{"box_id", TEXTOID, RC_PUSH_EQ | RC_PUSH_IN, false, true},
	{"packet_id", TEXTOID, RC_PUSH_EQ | RC_PUSH_IN, false, true},
	{"index_key", BYTEAOID, 0, false},
	{"message_id", TEXTOID, 0, false},
	{"entity_id", TEXTOID, 0, false},
	{"last_event_id", TEXTOID, 0, false},
	{"last_event_at", TIMESTAMPTZOID, 0, false},
	{"document_type", TEXTOID, 0, false},
	{"direction", TEXTOID, 0, false},
	{"is_test", BOOLOID, 0, false},
	{"custom_document_id", TEXTOID, 0, false},
	{"counteragent_box_id", TEXTOID, 0, false},
	{"document_date", DATEOID, 0, false},
	{"document_number", TEXTOID, 0, false},
	{"version", TEXTOID, 0, false},
	{"is_finished", BOOLOID, 0, false},
	{"is_deleted", BOOLOID, 0, false},
	{"department_id", TEXTOID, 0, false},
	{"sent_at", TIMESTAMPTZOID, 0, false},
	{"delivered_at", TIMESTAMPTZOID, 0, false},
	{"status", TEXTOID, 0, false},
	{"status_severity", TEXTOID, 0, false},
	{"document", JSONBOID, 0, false}
};

StaticAssertDecl(lengthof(diadoc_columns) == DIADOC_COL_DOCUMENT + 1,
				 "diadoc_columns[] does not match the column numbers");

/* What a stream asks for. */
typedef struct DiadocStream
{
	char	   *box_id;			/* server encoding, for rows and labels */
	char	   *packet_id;
	char	   *box_id_utf8;	/* what goes on the wire */
	char	   *packet_id_utf8;
} DiadocStream;

/* Per-scan state (ctx->state), in the scan context. */
typedef struct DiadocState
{
	char	   *base_url;		/* option url without trailing slashes */
	bool		use_login;		/* token is obtained (login/password, or
								 * OpenID Connect when use_oidc) */
	bool		use_oidc;		/* Bearer token from the refresh flow */
	uint64		cred_hash;		/* identifies url+client_id+login+password */
	char	   *auth_header;	/* current "Authorization: ..." line */
	uint64		auth_generation;	/* token cache generation it was built
									 * from */

	/* secrets redacted from values quoted in errors, for auth_generation */
	List	   *value_secrets;
	bool		value_secrets_set;
	uint64		value_secrets_gen;

	/* re-authentication bookkeeping, see diadoc_parse_page */
	bool		reauth_skip;	/* next reauth() only needs a resend */
	ResourceStream *reauth_stream;	/* page that last triggered a reauth */
	int			reauth_page_no;
} DiadocState;

/*
 * Backend-wide cache of tokens obtained with login/password, keyed by user
 * mapping.  cred_hash covers everything the token depends on, so an ALTER
 * SERVER or ALTER USER MAPPING makes the entry stale without any
 * invalidation callback.  Lives in TopMemoryContext.
 */
typedef struct DiadocToken
{
	struct DiadocToken *next;
	Oid			umid;
	uint64		cred_hash;
	uint64		generation;		/* unique per Authenticate call */
	TimestampTz obtained;
	char	   *token;
} DiadocToken;

static DiadocToken *diadoc_tokens = NULL;
static uint64 diadoc_token_generation = 0;

/*
 * protobuf-c allocator.  Everything is palloc'd in the context that was
 * current when decoding started and never freed piecemeal: an ERROR
 * cannot leak, and the page context reset frees the whole message.
 *
 * Each chunk is prefixed with its requested size.  protobuf-c allocates a
 * string field as exactly (wire length + 1) bytes and NUL-terminates it, so
 * the prefix tells us the wire length, and with it whether the remote
 * string carried an embedded NUL that the C string would silently cut off.
 */
#define DIADOC_CHUNK_HDR	MAXALIGN(sizeof(Size))

/*
 * The decoded size of a page is bounded: protobuf-c turns every empty
 * sub-message on the wire (two bytes) into a struct of a hundred bytes or
 * more, so a hostile page decodes to tens of times its size, and decoding
 * cannot be interrupted from outside.  Every allocation is counted against
 * a limit, and an allocation also looks for a pending cancel: either makes
 * it fail, protobuf-c gives up (returns NULL), and diadoc_pb_decode raises
 * the ERROR.  A page may take DIADOC_DECODE_FACTOR times its size (at least
 * DIADOC_DECODE_MIN), never more than paged_fdw.max_decoded_size, which
 * only a superuser can change: what one page may take is the whole
 * cluster's concern, while max_response_size is the server owner's.
 */
#define DIADOC_DECODE_FACTOR	32
#define DIADOC_DECODE_MIN		((Size) 1024 * 1024)

int			diadoc_max_decoded_size = 256;	/* MB, paged_fdw.max_decoded_size */

typedef struct DiadocDecode
{
	MemoryContext cxt;
	Size		used;			/* bytes allocated so far */
	Size		limit;
	bool		over_limit;		/* an allocation was refused: limit */
	bool		interrupted;	/* an allocation was refused: interrupt */
} DiadocDecode;

static void *
diadoc_pb_alloc(void *allocator_data, size_t size)
{
	DiadocDecode *d = (DiadocDecode *) allocator_data;
	char	   *chunk;

	/* no ERROR inside protobuf-c: refuse, and say why afterwards */
	if (INTERRUPTS_PENDING_CONDITION() && INTERRUPTS_CAN_BE_PROCESSED())
	{
		d->interrupted = true;
		return NULL;
	}
	/* d->used never exceeds d->limit; no sum that could overflow */
	if (size > d->limit - d->used ||
		DIADOC_CHUNK_HDR > d->limit - d->used - size)
	{
		d->over_limit = true;
		return NULL;
	}
	chunk = MemoryContextAllocExtended(d->cxt, DIADOC_CHUNK_HDR + size,
									   MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
	if (chunk == NULL)
	{
		d->over_limit = true;
		return NULL;
	}
	/* what the chunk really takes, palloc's rounding and header included */
	d->used = Min(d->limit, d->used + GetMemoryChunkSpace(chunk));
	*(Size *) chunk = size;
	return chunk + DIADOC_CHUNK_HDR;
}

static void
diadoc_pb_free(void *allocator_data, void *pointer)
{
	/* freed with the memory context */
}

/*
 * Decode the body of "resp" as a message of type "desc", within the bound
 * above; NULL if it is not a valid message.  Every message decoded from the
 * wire goes through here.
 */
static ProtobufCMessage *
diadoc_pb_decode(const ProtobufCMessageDescriptor *desc,
				 const HttpRequest *req, const HttpResponse *resp)
{
	DiadocDecode d;
	ProtobufCAllocator allocator;
	ProtobufCMessage *msg;
	Size		cap = (Size) diadoc_max_decoded_size * 1024 * 1024;

	d.cxt = CurrentMemoryContext;
	d.used = 0;
	d.limit = Min(cap, Max(DIADOC_DECODE_MIN,
						   (Size) resp->len * DIADOC_DECODE_FACTOR));
	allocator.alloc = diadoc_pb_alloc;
	allocator.free = diadoc_pb_free;
	allocator.allocator_data = &d;

	for (;;)
	{
		d.over_limit = false;
		d.interrupted = false;
		msg = protobuf_c_message_unpack(desc, &allocator, resp->len,
										(const uint8_t *) resp->body);
		if (!d.interrupted)
			break;

		/*
		 * A cancel or timeout ends here with its own ERROR.  Not every
		 * pending interrupt is one: then decode again, the memory already
		 * taken still counting.  (Interrupts that cannot be served now,
		 * being held off, do not stop the decoder at all.)
		 */
		CHECK_FOR_INTERRUPTS();
	}
	if (msg == NULL && d.over_limit)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("%s response is too large to decode", req->operation),
				 errdetail("Decoding the %zu-byte body would take more than %zu bytes of memory. A page may take %d times its size (at least %zu kB), and never more than paged_fdw.max_decoded_size (%d MB).",
						   resp->len, d.limit, DIADOC_DECODE_FACTOR,
						   DIADOC_DECODE_MIN / 1024, diadoc_max_decoded_size),
				 errhint("Lower \"page_size\"; a superuser can raise paged_fdw.max_decoded_size.")));
	if (msg != NULL)
		elog(DEBUG2, "%s: decoded %zu bytes into %zu bytes of memory",
			 req->operation, resp->len, d.used);
	return msg;
}

static bool diadoc_pb_varint(const uint8_t *data, size_t len, size_t *pos,
							 uint64 *v);

/*
 * Number of top-level fields "number" (length-delimited) in a message, or
 * -1 if the wire data is not even a sequence of fields.  Reads only the
 * tags and lengths: cheap, and before any memory is spent on decoding.
 */
static int64
diadoc_pb_count_field(const uint8_t *data, size_t len, uint32 number)
{
	size_t		pos = 0;
	int64		n = 0;

	while (pos < len)
	{
		uint64		tag;
		uint64		v;

		if (!diadoc_pb_varint(data, len, &pos, &tag))
			return -1;
		switch (tag & 7)
		{
			case 0:
				if (!diadoc_pb_varint(data, len, &pos, &v))
					return -1;
				break;
			case 1:
				pos += 8;
				break;
			case 2:
				if (!diadoc_pb_varint(data, len, &pos, &v) || v > len - pos)
					return -1;
				pos += v;
				if ((tag >> 3) == number)
					n++;
				break;
			case 5:
				pos += 4;
				break;
			default:
				return -1;
		}
		if (pos > len)
			return -1;
	}
	return n;
}

/* Wire length of a string that diadoc_pb_alloc allocated. */
static size_t
diadoc_pb_strlen(const char *s)
{
	Size		alloc = *(const Size *) (s - DIADOC_CHUNK_HDR);

	return alloc > 0 ? alloc - 1 : 0;
}

/* ----------------------------------------------------------------
 * Text from the wire
 * ----------------------------------------------------------------
 */

/*
 * The credentials of the scan whose rows diadoc_fill_row is converting: a
 * value is data, but a hostile or careless server can put a credential
 * there too, so quoted values are redacted like any other remote text.
 */
static List *diadoc_value_secrets = NIL;

/* The bytes from "start" on, for a message about a bad value. */
static char *
diadoc_excerpt(const char *s, size_t len, size_t start)
{
	return http_bytes_excerpt(diadoc_value_secrets, s, len, start,
							  start + DIADOC_EXCERPT_BYTES);
}

/* Everything diadoc_value_secrets must hold for this scan, now. */
static List *
diadoc_scan_secrets(ResourceCtx *ctx)
{
	DiadocState *state = (DiadocState *) ctx->state;

	if (!state->value_secrets_set ||
		state->value_secrets_gen != state->auth_generation)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(ctx->scan_cxt);
		HttpRequest req;

		memset(&req, 0, sizeof(req));
		if (state->auth_header != NULL)
			req.secret_headers = list_make1(state->auth_header);
		req.secrets = list_make4(ctx->opts->client_id,
								 ctx->opts->token,
								 ctx->opts->login,
								 ctx->opts->password);
		state->value_secrets = http_secrets(&req);
		state->value_secrets_set = true;
		state->value_secrets_gen = state->auth_generation;
		MemoryContextSwitchTo(oldcxt);
	}
	return state->value_secrets;
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
						   diadoc_excerpt(s, len,
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
						   diadoc_excerpt(s, len,
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

static Datum
diadoc_text_datum(const char *s, const char *column, const char *field)
{
	int			len;
	char	   *str = diadoc_server_string(s, column, field, &len);

	return PointerGetDatum(cstring_to_text_with_len(str, len));
}

/* An option or qual value (database encoding) as UTF-8 for the wire. */
static char *
diadoc_to_utf8(const char *s)
{
	return pg_server_to_any(s, strlen(s), PG_UTF8);
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
 * Options and required conditions
 * ----------------------------------------------------------------
 */

static bool
diadoc_has_required(const int *pushed)
{
	return (pushed[DIADOC_COL_PACKET_ID] &
			((1 << PAGED_OP_EQ) | (1 << PAGED_OP_IN))) != 0;
}

/* Server name for hints. */
static const char *
diadoc_server_name(const PagedOptions *opts)
{
	ForeignServer *server = GetForeignServer(opts->serverid);

	return quote_identifier(server->servername);
}

/*
 * Values that go into the Authorization header must not be able to break
 * it: no control characters, and no comma (it separates the ddauth_
 * parameters).
 */
static bool
diadoc_header_safe(const char *s)
{
	for (; *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		if (c < 0x20 || c == 0x7f || c == ',')
			return false;
	}
	return true;
}

static void
diadoc_missing_option(const PagedOptions *opts, const char *what,
					  const char *example)
{
	if (!OidIsValid(opts->umid))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("no user mapping with Diadoc credentials for server %s",
						diadoc_server_name(opts)),
				 errhint("Create one: CREATE USER MAPPING FOR CURRENT_USER SERVER %s OPTIONS (client_id '...', token '...'), or use login and password instead of token.",
						 diadoc_server_name(opts))));
	ereport(ERROR,
			(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
			 errmsg("user mapping for server %s lacks %s",
					diadoc_server_name(opts), what),
			 errhint("Add it to the user mapping: ALTER USER MAPPING FOR CURRENT_USER SERVER %s OPTIONS (ADD %s).",
					 diadoc_server_name(opts), example)));
}

/*
 * OpenID Connect: one scheme's options only (the validator already refuses
 * mixed sets; the catalog may predate it), and the refresh flow complete.
 */
static void
diadoc_check_bearer_options(const PagedOptions *opts)
{
	const char *other = opts->token ? "token" :
		opts->login ? "login" : opts->password ? "password" : NULL;

	if (other == NULL && opts->access_token != NULL &&
		(opts->refresh_token != NULL || opts->client_secret != NULL))
		other = opts->refresh_token ? "refresh_token" : "client_secret";
	if (other != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("options \"%s\" and \"%s\" cannot both be set",
						opts->access_token ? "access_token" :
						opts->refresh_token ? "refresh_token" : "client_secret",
						other),
				 errhint("Drop one of them from the user mapping for server %s.",
						 diadoc_server_name(opts))));
	if (opts->access_token != NULL)
		return;
	if (opts->client_secret == NULL)
		diadoc_missing_option(opts, "option \"client_secret\" (\"refresh_token\" is set)",
							  "client_secret '...'");
	if (opts->refresh_token == NULL)
		diadoc_missing_option(opts, "option \"refresh_token\" (\"client_secret\" is set)",
							  "refresh_token '...'");
}

static void
diadoc_check_options(const PagedOptions *opts)
{
	if (opts->url == NULL || opts->url[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("option \"url\" is required for Diadoc server %s",
						diadoc_server_name(opts)),
				 errhint("Set it on the server, e.g. ALTER SERVER %s OPTIONS (ADD url 'https://diadoc-api.kontur.ru').",
						 diadoc_server_name(opts))));

	/* a ready Bearer token needs nothing else */
	if (opts->access_token != NULL)
	{
		diadoc_check_bearer_options(opts);
		goto page_size;
	}
	if (opts->client_id == NULL || opts->client_id[0] == '\0')
		diadoc_missing_option(opts, "option \"client_id\"", "client_id '...'");
	if (opts->refresh_token != NULL || opts->client_secret != NULL)
	{
		diadoc_check_bearer_options(opts);
		goto page_size;
	}
	if (!diadoc_header_safe(opts->client_id))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("option \"client_id\" contains a control character or a comma"),
				 errhint("Correct client_id in the user mapping for server %s.",
						 diadoc_server_name(opts))));

	if (opts->token != NULL && (opts->login != NULL || opts->password != NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("options \"token\" and \"login\"/\"password\" cannot both be set"),
				 errdetail("Diadoc authenticates either with a ready token or with a login and a password."),
				 errhint("Drop one of them from the user mapping for server %s.",
						 diadoc_server_name(opts))));

	if (opts->token != NULL)
	{
		if (opts->token[0] == '\0' || !diadoc_header_safe(opts->token))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("option \"token\" is empty or contains a control character or a comma"),
					 errhint("Correct token in the user mapping for server %s.",
							 diadoc_server_name(opts))));
	}
	else if (opts->login == NULL && opts->password == NULL)
		diadoc_missing_option(opts,
							  "option \"token\", or options \"login\" and \"password\"",
							  "token '...'");
	else if (opts->login == NULL)
		diadoc_missing_option(opts, "option \"login\" (\"password\" is set)",
							  "login '...'");
	else if (opts->password == NULL)
		diadoc_missing_option(opts, "option \"password\" (\"login\" is set)",
							  "password '...'");

page_size:
	if (opts->page_size > DIADOC_MAX_PAGE_SIZE)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("page_size %d exceeds the GetDocflowsByPacketId limit of %d",
						opts->page_size, DIADOC_MAX_PAGE_SIZE),
				 errhint("Set page_size to a value between 1 and %d.",
						 DIADOC_MAX_PAGE_SIZE)));
}

/* ----------------------------------------------------------------
 * Authentication
 * ----------------------------------------------------------------
 */

static uint64
diadoc_cred_hash(const PagedOptions *opts)
{
	StringInfoData buf;
	uint64		h;

	/* NUL separators keep ("ab","c") and ("a","bc") apart */
	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, opts->url, strlen(opts->url) + 1);
	appendBinaryStringInfo(&buf, opts->client_id, strlen(opts->client_id) + 1);
	appendBinaryStringInfo(&buf, opts->login, strlen(opts->login) + 1);
	appendBinaryStringInfo(&buf, opts->password, strlen(opts->password) + 1);
	h = hash_bytes_extended((const unsigned char *) buf.data, buf.len,
							UINT64CONST(0x646961646f63));
	explicit_bzero(buf.data, buf.len);
	pfree(buf.data);
	return h;
}

static void
diadoc_token_forget(Oid umid)
{
	DiadocToken **p = &diadoc_tokens;

	while (*p != NULL)
	{
		DiadocToken *t = *p;

		if (t->umid == umid)
		{
			*p = t->next;
			explicit_bzero(t->token, strlen(t->token));
			pfree(t->token);
			pfree(t);
		}
		else
			p = &t->next;
	}
}

/* Cached token for this mapping if it is current, else NULL. */
static DiadocToken *
diadoc_token_find(Oid umid, uint64 cred_hash)
{
	DiadocToken *t;

	for (t = diadoc_tokens; t != NULL; t = t->next)
	{
		if (t->umid != umid)
			continue;
		if (t->cred_hash == cred_hash &&
			GetCurrentTimestamp() - t->obtained < DIADOC_TOKEN_MAX_AGE)
			return t;
		break;
	}
	if (t != NULL)
		diadoc_token_forget(umid);
	return NULL;
}

static DiadocToken *
diadoc_token_store(Oid umid, uint64 cred_hash, const char *token)
{
	DiadocToken *t;

	diadoc_token_forget(umid);
	t = MemoryContextAllocZero(TopMemoryContext, sizeof(DiadocToken));
	t->token = MemoryContextStrdup(TopMemoryContext, token);
	t->umid = umid;
	t->cred_hash = cred_hash;
	t->generation = ++diadoc_token_generation;
	t->obtained = GetCurrentTimestamp();
	t->next = diadoc_tokens;
	diadoc_tokens = t;
	return t;
}

/* SQLSTATE for a failed response (design section 4). */
static int
diadoc_failure_sqlstate(const HttpResponse *resp)
{
	switch (resp->outcome)
	{
		case HTTP_COMPLETED:
			if (resp->status == 401)
				return ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION;
			return http_status_sqlstate(resp->status);
		case HTTP_CONNECT_FAILED:
			return ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION;
		default:
			return ERRCODE_FDW_ERROR;
	}
}

/* Error context of a token request: who needed the token. */
typedef struct DiadocAuthContext
{
	const char *table;
	const char *server;
} DiadocAuthContext;

static void
diadoc_auth_errcontext(void *arg)
{
	DiadocAuthContext *a = (DiadocAuthContext *) arg;

	errcontext("Authenticate request for a Diadoc token (login and password of the user mapping for server %s), needed to scan foreign table \"%s\"",
			   a->server, a->table);
}

/*
 * POST V3/Authenticate?type=password and return the token (palloc'd).
 * Transient failures are retried like page requests are (max_retries,
 * retry_max_time); anything else is an ERROR, 401 with SQLSTATE 28000.
 */
static char *
diadoc_authenticate(ResourceCtx *ctx)
{
	const PagedOptions *opts = ctx->opts;
	DiadocState *state = (DiadocState *) ctx->state;
	Diadoc__Api__Proto__LoginPassword lp = DIADOC__API__PROTO__LOGIN_PASSWORD__INIT;
	HttpRequest req;
	uint8_t    *body;
	size_t		body_len;
	TimestampTz started = GetCurrentTimestamp();
	int			attempt;
	char	   *token = NULL;
	DiadocAuthContext actx;
	ErrorContextCallback errcb;

	/* names looked up now: no catalog access in an error callback */
	actx.server = diadoc_server_name(opts);
	actx.table = get_rel_name(opts->tableid);
	errcb.callback = diadoc_auth_errcontext;
	errcb.arg = &actx;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;

	lp.login = diadoc_to_utf8(opts->login);
	lp.password = diadoc_to_utf8(opts->password);
	body_len = diadoc__api__proto__login_password__get_packed_size(&lp);
	body = palloc(body_len);
	diadoc__api__proto__login_password__pack(&lp, body);

	memset(&req, 0, sizeof(req));
	req.operation = "Authenticate";
	req.url = psprintf("%s/V3/Authenticate?type=password", state->base_url);
	req.body = (const char *) body;
	req.body_len = body_len;
	req.headers = list_make1(pstrdup("Content-Type: application/x-protobuf"));
	req.secret_headers =
		list_make1(psprintf("Authorization: DiadocAuth ddauth_api_client_id=%s",
							opts->client_id));
	req.secrets = list_make2(opts->login, opts->password);

	for (attempt = 0;; attempt++)
	{
		HttpTransfer *t = http_start(ctx->conn, &req, CurrentMemoryContext);
		HttpResponse *resp = http_wait(t);
		HttpClass cls = http_classify(resp);

		if (cls == HTTP_CLASS_OK)
		{
			const char *b = resp->body ? resp->body : "";
			size_t		len = resp->body ? resp->len : 0;

			/* the answer is the bare token; tolerate surrounding blanks */
			while (len > 0 && isspace((unsigned char) b[0]))
			{
				b++;
				len--;
			}
			while (len > 0 && isspace((unsigned char) b[len - 1]))
				len--;
			token = pnstrdup(b, len);
			if (len == 0 || strlen(token) != len || !diadoc_header_safe(token))
				ereport(ERROR,
						(errcode(ERRCODE_FDW_ERROR),
						 errmsg("Diadoc Authenticate returned no usable token"),
						 errdetail("The %zu-byte answer from %s is empty or contains characters that cannot be sent in an Authorization header.",
								   resp->len, req.url)));
			http_release(t);
			break;
		}

		if (cls == HTTP_CLASS_RETRY && attempt < opts->max_retries)
		{
			double		delay = http_retry_delay(attempt, resp->retry_after);
			double		spent = (double) (GetCurrentTimestamp() - started) / USECS_PER_SEC;

			/* the same rules as for pages (pager.c) */
			if (opts->retry_max_time <= 0 ||
				spent + delay <= opts->retry_max_time)
			{
				http_release(t);
				http_sleep(NULL, delay);
				continue;
			}
		}

		http_raise(http_request(t), resp, diadoc_failure_sqlstate(resp), NULL);
	}

	error_context_stack = errcb.previous;
	explicit_bzero(body, body_len);
	pfree(body);
	return token;
}

/*
 * The Authorization header line for the next request, authenticating first
 * when login/password are used and no current token is cached.
 */
static const char *
diadoc_auth_header(ResourceCtx *ctx)
{
	DiadocState *state = (DiadocState *) ctx->state;
	const PagedOptions *opts = ctx->opts;
	DiadocToken *t;

	if (!state->use_login)
		return state->auth_header;

	if (state->use_oidc)
	{
		uint64		generation;
		char	   *line = oidc_auth_header(ctx->conn, opts, &generation);

		if (state->auth_header == NULL || state->auth_generation != generation)
		{
			if (state->auth_header != NULL)
			{
				explicit_bzero(state->auth_header, strlen(state->auth_header));
				pfree(state->auth_header);
			}
			state->auth_header = MemoryContextStrdup(ctx->scan_cxt, line);
			state->auth_generation = generation;
		}
		explicit_bzero(line, strlen(line));
		pfree(line);
		return state->auth_header;
	}

	t = diadoc_token_find(opts->umid, state->cred_hash);
	if (t == NULL)
	{
		char	   *token = diadoc_authenticate(ctx);

		t = diadoc_token_store(opts->umid, state->cred_hash, token);
		explicit_bzero(token, strlen(token));
		pfree(token);
	}
	if (state->auth_header == NULL || state->auth_generation != t->generation)
	{
		MemoryContext oldcxt;

		if (state->auth_header != NULL)
		{
			explicit_bzero(state->auth_header, strlen(state->auth_header));
			pfree(state->auth_header);
		}
		oldcxt = MemoryContextSwitchTo(ctx->scan_cxt);
		state->auth_header =
			psprintf("Authorization: DiadocAuth ddauth_api_client_id=%s,ddauth_token=%s",
					 opts->client_id, t->token);
		MemoryContextSwitchTo(oldcxt);
		state->auth_generation = t->generation;
	}
	return state->auth_header;
}

static void
diadoc_begin(ResourceCtx *ctx)
{
	const PagedOptions *opts = ctx->opts;
	DiadocState *state;
	MemoryContext oldcxt;
	size_t		len;

	/* the mapping may have changed since the plan was made */
	diadoc_check_options(opts);

	oldcxt = MemoryContextSwitchTo(ctx->scan_cxt);
	state = palloc0(sizeof(DiadocState));
	len = strlen(opts->url);
	while (len > 0 && opts->url[len - 1] == '/')
		len--;
	state->base_url = pnstrdup(opts->url, len);
	state->use_login = (opts->token == NULL && opts->access_token == NULL);
	state->use_oidc = (state->use_login && opts->refresh_token != NULL);
	if (opts->access_token != NULL)
		state->auth_header = psprintf("Authorization: Bearer %s",
									  opts->access_token);
	else if (state->use_oidc)
		state->auth_header = NULL;	/* obtained with the first page */
	else if (state->use_login)
		state->cred_hash = diadoc_cred_hash(opts);
	else
		state->auth_header =
			psprintf("Authorization: DiadocAuth ddauth_api_client_id=%s,ddauth_token=%s",
					 opts->client_id, opts->token);
	MemoryContextSwitchTo(oldcxt);
	ctx->state = state;
}

static bool
diadoc_reauth(ResourceCtx *ctx)
{
	DiadocState *state = (DiadocState *) ctx->state;

	if (!state->use_login)
		return false;
	if (state->reauth_skip)
	{
		/* the token was already renewed; the page just needs a resend */
		state->reauth_skip = false;
		return true;
	}
	if (state->use_oidc)
		oidc_forget_access_token(ctx->opts->umid);
	else
		diadoc_token_forget(ctx->opts->umid);
	(void) diadoc_auth_header(ctx);
	return true;
}

/* ----------------------------------------------------------------
 * Streams
 * ----------------------------------------------------------------
 */

typedef struct DiadocSortItem
{
	const char *val;
	int			pos;
} DiadocSortItem;

static int
diadoc_sort_cmp(const void *a, const void *b)
{
	const DiadocSortItem *x = a;
	const DiadocSortItem *y = b;
	int			c = strcmp(x->val, y->val);

	if (c != 0)
		return c;
	return (x->pos > y->pos) - (x->pos < y->pos);
}

static int
diadoc_strptr_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/*
 * Apply one evaluated condition to the set of allowed values of a column.
 * *vals == NULL means "not constrained yet".  The set keeps the first
 * condition's order with duplicates dropped; later conditions only filter
 * it (intersection).  Sorting keeps big IN lists from going quadratic.
 */
static void
diadoc_constrain(const PushedValue *pv, char ***vals, int *nvals)
{
	char	  **in;
	int			n = pv->nvalues;
	int			i;

	in = palloc(sizeof(char *) * Max(n, 1));
	for (i = 0; i < n; i++)
		in[i] = TextDatumGetCString(pv->values[i]);

	if (*vals == NULL)
	{
		DiadocSortItem *items = palloc(sizeof(DiadocSortItem) * Max(n, 1));
		bool	   *keep = palloc0(sizeof(bool) * Max(n, 1));
		int			k = 0;

		for (i = 0; i < n; i++)
		{
			items[i].val = in[i];
			items[i].pos = i;
		}
		qsort(items, n, sizeof(DiadocSortItem), diadoc_sort_cmp);
		for (i = 0; i < n; i++)
			if (i == 0 || strcmp(items[i].val, items[i - 1].val) != 0)
				keep[items[i].pos] = true;
		*vals = palloc(sizeof(char *) * Max(n, 1));
		for (i = 0; i < n; i++)
			if (keep[i])
				(*vals)[k++] = in[i];
		*nvals = k;
	}
	else
	{
		int			k = 0;

		qsort(in, n, sizeof(char *), diadoc_strptr_cmp);
		for (i = 0; i < *nvals; i++)
			if (n > 0 &&
				bsearch(&(*vals)[i], in, n, sizeof(char *), diadoc_strptr_cmp))
				(*vals)[k++] = (*vals)[i];
		*nvals = k;
	}
}

static List *
diadoc_make_streams(ResourceCtx *ctx, List *pushed_values)
{
	DiadocState *state = (DiadocState *) ctx->state;
	char	  **packets = NULL;
	int			npackets = 0;
	char	  **boxes = NULL;
	int			nboxes = 0;
	bool		box_from_qual;
	List	   *streams = NIL;
	ListCell   *lc;
	int			b;
	int			p;

	/* new streams: forget which page of the old ones was re-authenticated */
	state->reauth_stream = NULL;

	foreach(lc, pushed_values)
	{
		PushedValue *pv = (PushedValue *) lfirst(lc);

		if (pv->op != PAGED_OP_EQ && pv->op != PAGED_OP_IN)
			continue;
		if (pv->colno == DIADOC_COL_PACKET_ID)
			diadoc_constrain(pv, &packets, &npackets);
		else if (pv->colno == DIADOC_COL_BOX_ID)
			diadoc_constrain(pv, &boxes, &nboxes);
	}

	/* has_required made the planner insist on a packet_id condition */
	if (packets == NULL)
		elog(ERROR, "GetDocflowsByPacketId scan started without a packet_id condition");
	/* packet_id = NULL, an empty IN list, contradicting conditions */
	if (npackets == 0)
		return NIL;

	box_from_qual = (boxes != NULL);
	if (!box_from_qual)
	{
		const char *box = ctx->opts->box_id;

		if (box == NULL || box[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
					 errmsg("no Diadoc box id for foreign table \"%s\"",
							get_rel_name(ctx->opts->tableid)),
					 errdetail("GetDocflowsByPacketId needs a boxId, and neither the box_id option nor a condition box_id = '...' gives one."),
					 errhint("Set the box_id option on the server or the foreign table, or add WHERE box_id = '...'.")));
		boxes = palloc(sizeof(char *));
		boxes[0] = pstrdup(box);
		nboxes = 1;
	}

	for (b = 0; b < nboxes; b++)
	{
		char	   *box_utf8 = diadoc_to_utf8(boxes[b]);

		for (p = 0; p < npackets; p++)
		{
			ResourceStream *rs = palloc0(sizeof(ResourceStream));
			DiadocStream *ds = palloc0(sizeof(DiadocStream));

			ds->box_id = boxes[b];
			ds->box_id_utf8 = box_utf8;
			ds->packet_id = packets[p];
			ds->packet_id_utf8 = diadoc_to_utf8(packets[p]);
			rs->arg = ds;
			/* labels go into messages and EXPLAIN: long ids are cut */
			if (box_from_qual)
				rs->label = psprintf("box %s, packet %s",
									 paged_cut_value(boxes[b], PAGED_VALUE_MAX),
									 paged_cut_value(packets[p], PAGED_VALUE_MAX));
			else
				rs->label = psprintf("packet %s",
									 paged_cut_value(packets[p], PAGED_VALUE_MAX));
			streams = lappend(streams, rs);
		}
	}
	return streams;
}

/* ----------------------------------------------------------------
 * Requests and responses
 * ----------------------------------------------------------------
 */

static void
diadoc_build_request(ResourceCtx *ctx, ResourceStream *stream,
					 const PageCursor *cursor, HttpRequest *req)
{
	DiadocState *state = (DiadocState *) ctx->state;
	DiadocStream *ds = (DiadocStream *) stream->arg;
	Diadoc__Api__Proto__GetDocflowsByPacketIdRequest msg =
	DIADOC__API__PROTO__GET_DOCFLOWS_BY_PACKET_ID_REQUEST__INIT;
	const char *auth = diadoc_auth_header(ctx);
	uint8_t    *body;
	size_t		len;

	msg.packetid = ds->packet_id_utf8;
	msg.has_count = true;
	msg.count = cursor->count;
	if (cursor->key != NULL)
	{
		/* an empty key is still a key: send it as present */
		msg.has_afterindexkey = true;
		msg.afterindexkey.len = cursor->keylen;
		msg.afterindexkey.data = (uint8_t *) cursor->key;
	}
	len = diadoc__api__proto__get_docflows_by_packet_id_request__get_packed_size(&msg);
	body = palloc(len);
	diadoc__api__proto__get_docflows_by_packet_id_request__pack(&msg, body);

	memset(req, 0, sizeof(HttpRequest));
	req->operation = "GetDocflowsByPacketId";
	req->url = psprintf("%s/GetDocflowsByPacketId?boxId=%s",
						state->base_url, http_escape(ds->box_id_utf8));
	req->body = (const char *) body;
	req->body_len = len;
	req->headers = list_make1(pstrdup("Content-Type: application/x-protobuf"));
	req->secret_headers = list_make1(pstrdup(auth));
	/* the token alone, in case the server quotes it back */
	if (strstr(auth, "ddauth_token=") != NULL)
		req->secrets = list_make1(pstrdup(strstr(auth, "ddauth_token=") +
										  strlen("ddauth_token=")));
	else if (strncmp(auth, "Authorization: Bearer ", 22) == 0)
		req->secrets = list_make1(pstrdup(auth + 22));
}

/* Was the request sent with exactly this Authorization line? */
static bool
diadoc_sent_with(const HttpRequest *req, const char *header)
{
	ListCell   *lc;

	if (header == NULL)
		return false;
	foreach(lc, req->secret_headers)
	{
		if (strcmp((const char *) lfirst(lc), header) == 0)
			return true;
	}
	return false;
}

/* A varint at *pos; false if the data ends inside it or it is too long. */
static bool
diadoc_pb_varint(const uint8_t *data, size_t len, size_t *pos, uint64 *v)
{
	int			k;

	*v = 0;
	for (k = 0; k < 10 && *pos < len; k++)
	{
		uint8_t		b = data[(*pos)++];

		*v |= (uint64) (b & 0x7f) << (7 * k);
		if ((b & 0x80) == 0)
			return true;
	}
	return false;
}

/*
 * Why protobuf-c refused a message: walk "len" bytes at "data" (which start
 * at byte "base" of the body) against the message descriptor and describe
 * the first problem in "why": a truncated field, an impossible length, a
 * wire type the field cannot have, a required field missing.  "path" names
 * the message for the reader ("" for the top level).  Returns false if
 * nothing wrong was found (protobuf-c refused for a reason not checked
 * here).  Only called after a failed unpack, so speed does not matter.
 */
static bool
diadoc_pb_explain(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
				  size_t len, size_t base, const char *path, StringInfo why)
{
	size_t		pos = 0;
	bool	   *seen = palloc0(sizeof(bool) * Max(desc->n_fields, 1));
	int		   *count = palloc0(sizeof(int) * Max(desc->n_fields, 1));
	const char *where = path[0] ? psprintf(" (in %s)", path) : "";
	unsigned	i;

	while (pos < len)
	{
		size_t		start = pos;
		uint64		tag = 0;
		uint64		v = 0;
		int			wt;
		uint32		number;
		const ProtobufCFieldDescriptor *f;
		int			expect;
		size_t		flen = 0;

		if (!diadoc_pb_varint(data, len, &pos, &tag))
		{
			appendStringInfo(why, "the data ends inside a field tag at byte %zu%s",
							 base + start, where);
			return true;
		}
		wt = (int) (tag & 7);
		number = (uint32) (tag >> 3);
		if (number == 0 || tag >> 3 > PG_INT32_MAX)
		{
			appendStringInfo(why, "byte %zu%s holds field number " UINT64_FORMAT ", which is not valid",
							 base + start, where, tag >> 3);
			return true;
		}
		f = protobuf_c_message_descriptor_get_field(desc, number);

		/* the value */
		switch (wt)
		{
			case 0:
				if (!diadoc_pb_varint(data, len, &pos, &v))
				{
					appendStringInfo(why, "the varint of field %u at byte %zu%s is truncated or too long",
									 number, base + start, where);
					return true;
				}
				break;
			case 1:
			case 5:
				flen = wt == 1 ? 8 : 4;
				if (len - pos < flen)
				{
					appendStringInfo(why, "the data ends inside the %zu-byte value of field %u at byte %zu%s",
									 flen, number, base + start, where);
					return true;
				}
				pos += flen;
				break;
			case 2:
				if (!diadoc_pb_varint(data, len, &pos, &v))
				{
					appendStringInfo(why, "the data ends inside the length of field %u at byte %zu%s",
									 number, base + start, where);
					return true;
				}
				if (v > len - pos)
				{
					appendStringInfo(why, "field %u at byte %zu%s claims " UINT64_FORMAT " bytes, but only %zu are left",
									 number, base + start, where, v, len - pos);
					return true;
				}
				flen = (size_t) v;
				pos += flen;
				break;
			default:
				appendStringInfo(why, "field %u at byte %zu%s has wire type %d, which is not supported",
								 number, base + start, where, wt);
				return true;
		}
		if (f == NULL)
			continue;			/* unknown fields are skipped */

		switch (f->type)
		{
			case PROTOBUF_C_TYPE_FIXED64:
			case PROTOBUF_C_TYPE_SFIXED64:
			case PROTOBUF_C_TYPE_DOUBLE:
				expect = 1;
				break;
			case PROTOBUF_C_TYPE_FIXED32:
			case PROTOBUF_C_TYPE_SFIXED32:
			case PROTOBUF_C_TYPE_FLOAT:
				expect = 5;
				break;
			case PROTOBUF_C_TYPE_STRING:
			case PROTOBUF_C_TYPE_BYTES:
			case PROTOBUF_C_TYPE_MESSAGE:
				expect = 2;
				break;
			default:
				expect = 0;
				break;
		}
		/* repeated scalars may also come packed */
		if (wt != expect && !(wt == 2 && f->label == PROTOBUF_C_LABEL_REPEATED))
		{
			appendStringInfo(why, "field %s (%u) at byte %zu%s has wire type %d, but its type needs wire type %d",
							 f->name, number, base + start, where, wt, expect);
			return true;
		}
		i = (unsigned) (f - desc->fields);
		seen[i] = true;
		if (f->type == PROTOBUF_C_TYPE_MESSAGE && wt == 2)
		{
			const char *sub = f->label == PROTOBUF_C_LABEL_REPEATED ?
				psprintf("%s%s%s[%d]", path, path[0] ? "." : "", f->name, count[i]) :
				psprintf("%s%s%s", path, path[0] ? "." : "", f->name);

			if (diadoc_pb_explain((const ProtobufCMessageDescriptor *) f->descriptor,
								  data + pos - flen, flen, base + pos - flen,
								  sub, why))
				return true;
		}
		count[i]++;
	}

	for (i = 0; i < desc->n_fields; i++)
	{
		if (desc->fields[i].label == PROTOBUF_C_LABEL_REQUIRED && !seen[i])
		{
			appendStringInfo(why, "required field %s (%u) is missing%s",
							 desc->fields[i].name, desc->fields[i].id,
							 path[0] ? psprintf(" in %s (bytes %zu to %zu)", path,
												base, base + len) : "");
			return true;
		}
	}
	return false;
}

static PageVerdict
diadoc_parse_page(ResourceCtx *ctx, ResourceStream *stream,
				  const PageCursor *cursor, const HttpRequest *req,
				  const HttpResponse *resp, PageResult *out)
{
	DiadocState *state = (DiadocState *) ctx->state;
	Diadoc__Api__Proto__GetDocflowsByPacketIdResponse *msg;
	int64		ndocs;

	/*
	 * 401 with login/password: the token may have expired.  If the request
	 * went out with a token that has been replaced meanwhile (another page
	 * already re-authenticated), a resend is enough.  Otherwise renew the
	 * token, but only once per page: a token refused right after it was
	 * issued is a real authorization failure.
	 */
	if (state->use_login && resp->outcome == HTTP_COMPLETED &&
		resp->status == 401)
	{
		if (!diadoc_sent_with(req, state->auth_header))
		{
			state->reauth_skip = true;
			return PAGE_REAUTH;
		}
		if (state->reauth_stream != stream ||
			state->reauth_page_no != cursor->page_no)
		{
			state->reauth_stream = stream;
			state->reauth_page_no = cursor->page_no;
			state->reauth_skip = false;
			return PAGE_REAUTH;
		}
	}

	switch (http_classify(resp))
	{
		case HTTP_CLASS_RETRY:
			return PAGE_RETRY;
		case HTTP_CLASS_FATAL:
			http_raise(req, resp, diadoc_failure_sqlstate(resp), NULL);
			break;
		case HTTP_CLASS_OK:
			break;
	}
	http_check_html(req, resp, "a protobuf GetDocflowsByPacketIdResponse");

	/* never more documents than asked for: refused before decoding */
	ndocs = diadoc_pb_count_field((const uint8_t *) resp->body, resp->len, 1);
	if (ndocs > cursor->count)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("GetDocflowsByPacketId response holds more documents than were asked for"),
				 errdetail("The answer from %s holds " INT64_FORMAT " documents; Count was %d.",
						   req->url, ndocs, cursor->count)));

	/* unknown fields are kept aside by protobuf-c and ignored by us */
	msg = (Diadoc__Api__Proto__GetDocflowsByPacketIdResponse *)
		diadoc_pb_decode(&diadoc__api__proto__get_docflows_by_packet_id_response__descriptor,
						 req, resp);
	if (msg == NULL)
	{
		StringInfoData why;
		size_t		len = resp->body ? resp->len : 0;
		const char *shown;

		initStringInfo(&why);
		if (diadoc_pb_explain(&diadoc__api__proto__get_docflows_by_packet_id_response__descriptor,
							  (const uint8_t *) resp->body, resp->len, 0,
							  "", &why))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("could not decode GetDocflowsByPacketId response"),
					 errdetail("The %zu-byte body of the HTTP %ld answer from %s is not a valid GetDocflowsByPacketIdResponse: %s.",
							   resp->len, resp->status, req->url, why.data)));
		/* redacted in the whole body, then cut, then escaped */
		shown = http_bytes_excerpt(http_secrets(req), resp->body, len, 0,
								   DIADOC_EXCERPT_BYTES);
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("could not decode GetDocflowsByPacketId response"),
				 errdetail("The %zu-byte body of the HTTP %ld answer from %s is not a valid GetDocflowsByPacketIdResponse (malformed protobuf or a required field missing); it starts with \"%s\".",
						   resp->len, resp->status, req->url, shown)));
	}

	out->nrecords = (int) msg->n_documents;
	out->records = msg;
	out->total = -1;
	out->has_next = msg->has_nextpageindexkey;
	if (out->has_next)
	{
		/* protobuf-c gives NULL data for an empty key; the pager needs a pointer */
		out->next_keylen = (int) msg->nextpageindexkey.len;
		out->next_key = msg->nextpageindexkey.data ?
			(char *) msg->nextpageindexkey.data : palloc0(1);
	}
	else
	{
		out->next_key = NULL;
		out->next_keylen = 0;
	}
	return PAGE_OK;
}

/* ----------------------------------------------------------------
 * Rows
 * ----------------------------------------------------------------
 */

static Datum
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

/* Strict dd.MM.yyyy with a real calendar date; false if it is not one. */
static bool
diadoc_parse_date(const char *s, DateADT *result)
{
	int			d;
	int			m;
	int			y;
	int			i;

	if (strlen(s) != 10 || s[2] != '.' || s[5] != '.')
		return false;
	for (i = 0; i < 10; i++)
		if (i != 2 && i != 5 && !(s[i] >= '0' && s[i] <= '9'))
			return false;
	d = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	y = (s[6] - '0') * 1000 + (s[7] - '0') * 100 + (s[8] - '0') * 10 + (s[9] - '0');
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

static void
diadoc_fill_row(ResourceCtx *ctx, ResourceStream *stream, void *records,
				int index, const bool *want, Datum *values, bool *nulls)
{
	Diadoc__Api__Proto__GetDocflowsByPacketIdResponse *page = records;
	Diadoc__Api__Proto__FetchedDocument *fd = page->documents[index];
	Diadoc__Api__Proto__DocumentWithDocflow *doc = fd->document;
	Diadoc__Api__Proto__DocumentId *id = doc->documentid;
	Diadoc__Api__Proto__DocumentInfo *info = doc->documentinfo;
	Diadoc__Api__Proto__DocumentDateAndNumber *dn =
	info ? info->documentdateandnumber : NULL;
	Diadoc__Api__Proto__Docflow *flow = doc->docflow;
	Diadoc__Api__Proto__DocflowStatusModel *st =
	(flow && flow->docflowstatus) ? flow->docflowstatus->primarystatus : NULL;
	DiadocStream *ds = (DiadocStream *) stream->arg;
	int			col;

	diadoc_value_secrets = diadoc_scan_secrets(ctx);
	for (col = 0; col < (int) lengthof(diadoc_columns); col++)
	{
		const char *name = diadoc_columns[col].name;
		const char *str = NULL; /* text column value, NULL if absent */
		const char *field = NULL;	/* its protobuf field, for messages */
		bool		is_text = false;

		if (!want[col])
			continue;
		nulls[col] = false;

		switch (col)
		{
			case DIADOC_COL_BOX_ID:
				values[col] = CStringGetTextDatum(ds->box_id);
				break;
			case DIADOC_COL_PACKET_ID:
				values[col] = CStringGetTextDatum(ds->packet_id);
				break;
			case DIADOC_COL_INDEX_KEY:
				{
					bytea	   *b = palloc(VARHDRSZ + fd->indexkey.len);

					SET_VARSIZE(b, VARHDRSZ + fd->indexkey.len);
					if (fd->indexkey.len > 0)
						memcpy(VARDATA(b), fd->indexkey.data, fd->indexkey.len);
					values[col] = PointerGetDatum(b);
				}
				break;
			case DIADOC_COL_MESSAGE_ID:
				is_text = true;
				str = id ? id->messageid : NULL;
				field = "DocumentId.MessageId";
				break;
			case DIADOC_COL_ENTITY_ID:
				is_text = true;
				str = id ? id->entityid : NULL;
				field = "DocumentId.EntityId";
				break;
			case DIADOC_COL_LAST_EVENT_ID:
				is_text = true;
				str = doc->lasteventid;
				field = "DocumentWithDocflow.LastEventId";
				break;
			case DIADOC_COL_LAST_EVENT_AT:
				if (doc->lasteventtimestamp)
					values[col] = diadoc_timestamp(doc->lasteventtimestamp, name);
				else
					nulls[col] = true;
				break;
			case DIADOC_COL_DOCUMENT_TYPE:
				if (info && info->has_documenttype)
					values[col] =
						diadoc_enum_datum(&diadoc__api__proto__document_type__descriptor,
										  info->documenttype);
				else
					nulls[col] = true;
				break;
			case DIADOC_COL_DIRECTION:
				if (info && info->has_documentdirection)
					values[col] =
						diadoc_enum_datum(&diadoc__api__proto__document_direction__descriptor,
										  info->documentdirection);
				else
					nulls[col] = true;
				break;
			case DIADOC_COL_IS_TEST:
				if (info && info->has_istest)
					values[col] = BoolGetDatum(info->istest != 0);
				else
					nulls[col] = true;
				break;
			case DIADOC_COL_CUSTOM_DOCUMENT_ID:
				is_text = true;
				str = info ? info->customdocumentid : NULL;
				field = "DocumentInfo.CustomDocumentId";
				break;
			case DIADOC_COL_COUNTERAGENT_BOX_ID:
				is_text = true;
				str = info ? info->counteragentboxid : NULL;
				field = "DocumentInfo.CounteragentBoxId";
				break;
			case DIADOC_COL_DOCUMENT_DATE:
				{
					DateADT		date;

					/* the design asks for NULL, not an ERROR, when unparsable */
					if (dn && dn->documentdate &&
						diadoc_parse_date(dn->documentdate, &date))
						values[col] = DateADTGetDatum(date);
					else
						nulls[col] = true;
				}
				break;
			case DIADOC_COL_DOCUMENT_NUMBER:
				is_text = true;
				str = dn ? dn->documentnumber : NULL;
				field = "DocumentDateAndNumber.DocumentNumber";
				break;
			case DIADOC_COL_VERSION:
				is_text = true;
				str = info ? info->version : NULL;
				field = "DocumentInfo.Version";
				break;
			case DIADOC_COL_IS_FINISHED:
				if (flow && flow->has_isfinished)
					values[col] = BoolGetDatum(flow->isfinished != 0);
				else
					nulls[col] = true;
				break;
			case DIADOC_COL_IS_DELETED:
				if (flow && flow->has_documentisdeleted)
					values[col] = BoolGetDatum(flow->documentisdeleted != 0);
				else
					nulls[col] = true;
				break;
			case DIADOC_COL_DEPARTMENT_ID:
				is_text = true;
				str = flow ? flow->departmentid : NULL;
				field = "Docflow.DepartmentId";
				break;
			case DIADOC_COL_SENT_AT:
				if (flow && flow->sendtimestamp)
					values[col] = diadoc_timestamp(flow->sendtimestamp, name);
				else
					nulls[col] = true;
				break;
			case DIADOC_COL_DELIVERED_AT:
				if (flow && flow->deliverytimestamp)
					values[col] = diadoc_timestamp(flow->deliverytimestamp, name);
				else
					nulls[col] = true;
				break;
			case DIADOC_COL_STATUS:
				is_text = true;
				str = st ? st->statustext : NULL;
				field = "DocflowStatusModel.StatusText";
				break;
			case DIADOC_COL_STATUS_SEVERITY:
				if (st && st->has_severity)
					values[col] =
						diadoc_enum_datum(&diadoc__api__proto__docflow_status_severity__descriptor,
										  st->severity);
				else
					nulls[col] = true;
				break;
			case DIADOC_COL_DOCUMENT:
				{
					JsonbParseState *ps = NULL;
					JsonbValue *jv;

					jv = diadoc_json_message(&ps, &doc->base);
					values[col] = JsonbPGetDatum(JsonbValueToJsonb(jv));
				}
				break;
		}

		if (is_text)
		{
			if (str != NULL)
				values[col] = diadoc_text_datum(str, name, field);
			else
				nulls[col] = true;
		}
	}
}

const PagedResource diadoc_docflows_resource = {
	.api = "diadoc",
	.name = "docflows_by_packet",
	.operation = "GetDocflowsByPacketId",
	.columns = diadoc_columns,
	.ncolumns = lengthof(diadoc_columns),
	.paging = PAGING_KEY,
	.default_page_size = DIADOC_MAX_PAGE_SIZE,
	.max_page_size = DIADOC_MAX_PAGE_SIZE,
	.has_required = diadoc_has_required,
	.required_columns = "packet_id",
	.required_hint = "Add a condition such as WHERE packet_id = '...' or packet_id IN (...), or join on packet_id.",
	.check_options = diadoc_check_options,
	.begin = diadoc_begin,
	.make_streams = diadoc_make_streams,
	.build_request = diadoc_build_request,
	.parse_page = diadoc_parse_page,
	.reauth = diadoc_reauth,
	.fill_row = diadoc_fill_row
};
