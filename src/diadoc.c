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
 * The server option api_version chooses the path and the schema of the
 * answer (diadoc_versions[] below); the documents of each schema are mapped
 * to columns by src/diadoc_docs.c.
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

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "datatype/timestamp.h"
#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "diadoc.h"
#include "diadoc_docflow.pb-c.h"
#include "diadoc_docs.h"
#include "http.h"
#include "oidc.h"
#include "options.h"
#include "resource.h"

/* The API's limit on Count. */
#define DIADOC_MAX_PAGE_SIZE	100

/* Tokens are valid for 24 hours; renew an hour early. */
#define DIADOC_TOKEN_MAX_AGE	((int64) 23 * USECS_PER_HOUR)

/* Longest piece of remote text quoted in an error message, in bytes. */
#define DIADOC_EXCERPT_BYTES	40

/*
 * Column numbers: box_id, packet_id and index_key, then the document
 * columns of diadoc_docs.h as one block.
 */
enum
{
	DIADOC_COL_BOX_ID,
	DIADOC_COL_PACKET_ID,
	DIADOC_COL_INDEX_KEY,
	DIADOC_COL_DOC_FIRST		/* DiadocDocColumn 0 */
};

/*
 * Pushed equality on box_id and packet_id needs no recheck: every row of a
 * stream carries the very box id and packet id the request was sent with.
 */
static const ResourceColumn diadoc_columns[] = {
	{"box_id", TEXTOID, RC_PUSH_EQ | RC_PUSH_IN, false, true},
	{"packet_id", TEXTOID, RC_PUSH_EQ | RC_PUSH_IN, false, true},
	{"index_key", BYTEAOID, 0, false},
	DIADOC_DOC_COLUMNS
};

StaticAssertDecl(lengthof(diadoc_columns) == DIADOC_COL_DOC_FIRST + DDOC_NCOLUMNS,
				 "diadoc_columns[] does not match the column numbers");

/*
 * API versions of GetDocflowsByPacketId (server option api_version): the
 * path, the response message and the document schema.  The request is the
 * same in every version, and so is the response's shape (Documents = 1 of
 * FetchedDocument { Document = 1; IndexKey = 2; }, NextPageIndexKey = 2),
 * which diadoc_parse_page reads through the descriptors.
 */
typedef struct DiadocVersion
{
	const char *name;			/* value of api_version */
	const char *path;			/* appended to the url option */
	const ProtobufCMessageDescriptor *response;
	const DiadocSchema *schema;
} DiadocVersion;

static const DiadocVersion diadoc_versions[] = {
	{"legacy", "/GetDocflowsByPacketId",
	&diadoc__api__proto__docflow__get_docflows_by_packet_id_response__descriptor,
	&diadoc_schema_v2},
	{"2", "/V2/GetDocflowsByPacketId",
	&diadoc__api__proto__docflow__get_docflows_by_packet_id_response__descriptor,
	&diadoc_schema_v2},
	{"3", "/V3/GetDocflowsByPacketId",
	&diadoc__api__proto__docflow__get_docflows_by_packet_id_response_v3__descriptor,
	&diadoc_schema_v3},
	{"4", "/V4/GetDocflowsByPacketId",
	&diadoc__api__proto__docflow__get_docflows_by_packet_id_response_v4__descriptor,
	&diadoc_schema_v4},
	{"5", "/V5/GetDocflowsByPacketId",
	&diadoc__api__proto__docflow__get_docflows_by_packet_id_response_v5__descriptor,
	&diadoc_schema_v5}
};

/* Without the option: the current version. */
#define DIADOC_DEFAULT_VERSION	"5"

/* The version the options ask for (options.c accepted only known names). */
static const DiadocVersion *
diadoc_version(const PagedOptions *opts)
{
	const char *name = opts->api_version ? opts->api_version :
		DIADOC_DEFAULT_VERSION;
	int			i;

	for (i = 0; i < lengthof(diadoc_versions); i++)
		if (strcmp(diadoc_versions[i].name, name) == 0)
			return &diadoc_versions[i];
	elog(ERROR, "unknown Diadoc api_version \"%s\"", name);
	return NULL;				/* keep compiler quiet */
}

/* For EXPLAIN: which version, path and schema a scan uses. */
static char *
diadoc_describe_endpoint(const PagedOptions *opts)
{
	const DiadocVersion *v = diadoc_version(opts);

	return psprintf("POST %s (api_version %s, %s)", v->path, v->name,
					v->schema->name);
}

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
	const DiadocVersion *version;	/* option api_version */
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
ProtobufCMessage *
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
int64
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
size_t
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
List	   *diadoc_value_secrets = NIL;

/* Everything diadoc_value_secrets must hold for this scan, now. */
List *
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

/* An option or qual value (database encoding) as UTF-8 for the wire. */
char *
diadoc_to_utf8(const char *s)
{
	return pg_server_to_any(s, strlen(s), PG_UTF8);
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

void
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
		return;
	}
	if (opts->client_id == NULL || opts->client_id[0] == '\0')
		diadoc_missing_option(opts, "option \"client_id\"", "client_id '...'");
	if (opts->refresh_token != NULL || opts->client_secret != NULL)
	{
		diadoc_check_bearer_options(opts);
		return;
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
int
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

void
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
	state->version = diadoc_version(opts);
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

bool
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
void
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

/* New streams: forget which page of the old ones was re-authenticated. */
void
diadoc_new_streams(ResourceCtx *ctx)
{
	DiadocState *state = (DiadocState *) ctx->state;

	state->reauth_stream = NULL;
}

static List *
diadoc_make_streams(ResourceCtx *ctx, List *pushed_values)
{
	char	  **packets = NULL;
	int			npackets = 0;
	char	  **boxes = NULL;
	int			nboxes = 0;
	bool		box_from_qual;
	List	   *streams = NIL;
	ListCell   *lc;
	int			b;
	int			p;

	diadoc_new_streams(ctx);

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
	Diadoc__Api__Proto__Docflow__GetDocflowsByPacketIdRequest msg =
	DIADOC__API__PROTO__DOCFLOW__GET_DOCFLOWS_BY_PACKET_ID_REQUEST__INIT;
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
	len = diadoc__api__proto__docflow__get_docflows_by_packet_id_request__get_packed_size(&msg);
	body = palloc(len);
	diadoc__api__proto__docflow__get_docflows_by_packet_id_request__pack(&msg, body);
	diadoc_request(ctx, "GetDocflowsByPacketId", state->version->path,
				   ds->box_id_utf8, body, len, req);
}

/*
 * An HTTP request of any Diadoc operation: POST {url}{path}?boxId=box with
 * a protobuf body and the scan's credentials.
 */
void
diadoc_request(ResourceCtx *ctx, const char *operation, const char *path,
			   const char *box_utf8, const uint8_t *body, size_t len,
			   HttpRequest *req)
{
	DiadocState *state = (DiadocState *) ctx->state;
	const char *auth = diadoc_auth_header(ctx);

	memset(req, 0, sizeof(HttpRequest));
	req->operation = operation;
	req->url = psprintf("%s%s?boxId=%s", state->base_url, path,
						http_escape(box_utf8));
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
bool
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

/*
 * The page and FetchedDocument messages of every version have the same
 * field numbers but are distinct C types: read them through their
 * descriptors.
 */
static const ProtobufCFieldDescriptor *
diadoc_pb_field(const ProtobufCMessage *msg, unsigned id)
{
	const ProtobufCFieldDescriptor *f;

	f = protobuf_c_message_descriptor_get_field(msg->descriptor, id);
	if (f == NULL)
		elog(ERROR, "message %s has no field %u", msg->descriptor->name, id);
	return f;
}

/* Elements of repeated field "id" (into *elems if not NULL). */
static size_t
diadoc_pb_repeated(const ProtobufCMessage *msg, unsigned id, void ***elems)
{
	const ProtobufCFieldDescriptor *f = diadoc_pb_field(msg, id);
	const char *base = (const char *) msg;

	Assert(f->label == PROTOBUF_C_LABEL_REPEATED);
	if (elems != NULL)
		*elems = *(void **const *) (base + f->offset);
	return *(const size_t *) (base + f->quantifier_offset);
}

/* Bytes field "id", or NULL when it is absent. */
static const ProtobufCBinaryData *
diadoc_pb_bytes(const ProtobufCMessage *msg, unsigned id)
{
	const ProtobufCFieldDescriptor *f = diadoc_pb_field(msg, id);
	const char *base = (const char *) msg;

	Assert(f->type == PROTOBUF_C_TYPE_BYTES);
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL &&
		!*(const protobuf_c_boolean *) (base + f->quantifier_offset))
		return NULL;
	return (const ProtobufCBinaryData *) (base + f->offset);
}

/* Message field "id", or NULL when it is absent. */
static const ProtobufCMessage *
diadoc_pb_submessage(const ProtobufCMessage *msg, unsigned id)
{
	const ProtobufCFieldDescriptor *f = diadoc_pb_field(msg, id);

	Assert(f->type == PROTOBUF_C_TYPE_MESSAGE);
	return *(ProtobufCMessage *const *) ((const char *) msg + f->offset);
}

/*
 * Does this answer call for PAGE_REAUTH?  Every Diadoc operation answers a
 * stale token the same way.
 */
bool
diadoc_need_reauth(ResourceCtx *ctx, ResourceStream *stream,
				   const PageCursor *cursor, const HttpRequest *req,
				   const HttpResponse *resp)
{
	DiadocState *state = (DiadocState *) ctx->state;

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
			return true;
		}
		if (state->reauth_stream != stream ||
			state->reauth_page_no != cursor->page_no)
		{
			state->reauth_stream = stream;
			state->reauth_page_no = cursor->page_no;
			state->reauth_skip = false;
			return true;
		}
	}

	return false;
}

/*
 * The first steps of parsing any Diadoc answer: a stale token, a transient
 * failure, a failure, HTML.  PAGE_OK if the body is to be decoded as "desc".
 */
PageVerdict
diadoc_check_answer(ResourceCtx *ctx, ResourceStream *stream,
					const PageCursor *cursor, const HttpRequest *req,
					const HttpResponse *resp,
					const ProtobufCMessageDescriptor *desc)
{
	if (diadoc_need_reauth(ctx, stream, cursor, req, resp))
		return PAGE_REAUTH;
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
	http_check_html(req, resp, psprintf("a protobuf %s", desc->short_name));
	return PAGE_OK;
}

/*
 * Never more items (top-level field "field") than asked for: refused before
 * decoding, so a hostile page cannot make us decode more than a page.
 */
void
diadoc_check_count(const HttpRequest *req, const HttpResponse *resp,
				   uint32 field, const char *what, int most)
{
	int64		n;

	n = diadoc_pb_count_field((const uint8_t *) resp->body, resp->len, field);
	if (n > most)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("%s response holds more %s than were asked for",
						req->operation, what),
				 errdetail("The answer from %s holds " INT64_FORMAT " %s; at most %d were asked for.",
						   req->url, n, what, most)));
}

/* Decode an answer as a "desc", or an ERROR that says why it is not one. */
ProtobufCMessage *
diadoc_decode_answer(const ProtobufCMessageDescriptor *desc,
					 const HttpRequest *req, const HttpResponse *resp)
{
	ProtobufCMessage *msg = diadoc_pb_decode(desc, req, resp);
	StringInfoData why;
	size_t		len = resp->body ? resp->len : 0;

	if (msg != NULL)
		return msg;
	initStringInfo(&why);
	if (diadoc_pb_explain(desc, (const uint8_t *) resp->body, resp->len, 0,
						  "", &why))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("could not decode %s response", req->operation),
				 errdetail("The %zu-byte body of the HTTP %ld answer from %s is not a valid %s: %s.",
						   resp->len, resp->status, req->url,
						   desc->short_name, why.data)));
	/* redacted in the whole body, then cut, then escaped */
	ereport(ERROR,
			(errcode(ERRCODE_FDW_ERROR),
			 errmsg("could not decode %s response", req->operation),
			 errdetail("The %zu-byte body of the HTTP %ld answer from %s is not a valid %s (malformed protobuf or a required field missing); it starts with \"%s\".",
					   resp->len, resp->status, req->url, desc->short_name,
					   http_bytes_excerpt(http_secrets(req), resp->body, len,
										  0, DIADOC_EXCERPT_BYTES))));
	return NULL;				/* keep compiler quiet */
}

static PageVerdict
diadoc_parse_page(ResourceCtx *ctx, ResourceStream *stream,
				  const PageCursor *cursor, const HttpRequest *req,
				  const HttpResponse *resp, PageResult *out)
{
	DiadocState *state = (DiadocState *) ctx->state;
	const ProtobufCMessageDescriptor *rdesc;
	ProtobufCMessage *msg;
	const ProtobufCBinaryData *key;
	PageVerdict verdict;

	rdesc = state->version->response;
	verdict = diadoc_check_answer(ctx, stream, cursor, req, resp, rdesc);
	if (verdict != PAGE_OK)
		return verdict;
	diadoc_check_count(req, resp, 1, "documents", cursor->count);
	/* unknown fields are kept aside by protobuf-c and ignored by us */
	msg = diadoc_decode_answer(rdesc, req, resp);

	out->nrecords = (int) diadoc_pb_repeated(msg, 1, NULL);
	out->records = msg;
	out->total = -1;
	key = diadoc_pb_bytes(msg, 2);
	out->has_next = key != NULL;
	if (out->has_next)
	{
		/* protobuf-c gives NULL data for an empty key; the pager needs a pointer */
		out->next_keylen = (int) key->len;
		out->next_key = key->data ? (char *) key->data : palloc0(1);
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

/*
 * box_id and packet_id come from the stream, index_key from the
 * FetchedDocument, everything else from its document through the schema
 * of the version (src/diadoc_docs.c).  Absent Document or IndexKey (the V3+
 * subsets declare them optional): NULL.
 */
static void
diadoc_fill_row(ResourceCtx *ctx, ResourceStream *stream, void *records,
				int index, const bool *want, Datum *values, bool *nulls)
{
	DiadocState *state = (DiadocState *) ctx->state;
	DiadocStream *ds = (DiadocStream *) stream->arg;
	ProtobufCMessage **docs;
	const ProtobufCMessage *fd;
	const ProtobufCBinaryData *key;

	diadoc_value_secrets = diadoc_scan_secrets(ctx);
	(void) diadoc_pb_repeated((const ProtobufCMessage *) records, 1,
							  (void ***) &docs);
	fd = docs[index];

	if (want[DIADOC_COL_BOX_ID])
	{
		nulls[DIADOC_COL_BOX_ID] = false;
		values[DIADOC_COL_BOX_ID] = CStringGetTextDatum(ds->box_id);
	}
	if (want[DIADOC_COL_PACKET_ID])
	{
		nulls[DIADOC_COL_PACKET_ID] = false;
		values[DIADOC_COL_PACKET_ID] = CStringGetTextDatum(ds->packet_id);
	}
	if (want[DIADOC_COL_INDEX_KEY])
	{
		key = diadoc_pb_bytes(fd, 2);
		nulls[DIADOC_COL_INDEX_KEY] = (key == NULL);
		if (key != NULL)
		{
			bytea	   *b = palloc(VARHDRSZ + key->len);

			SET_VARSIZE(b, VARHDRSZ + key->len);
			if (key->len > 0)
				memcpy(VARDATA(b), key->data, key->len);
			values[DIADOC_COL_INDEX_KEY] = PointerGetDatum(b);
		}
	}
	state->version->schema->fill(diadoc_pb_submessage(fd, 1),
								 want + DIADOC_COL_DOC_FIRST,
								 values + DIADOC_COL_DOC_FIRST,
								 nulls + DIADOC_COL_DOC_FIRST);
}

const PagedResource diadoc_docflows_resource = {
	.api = "diadoc",
	.name = "docflows_by_packet",
	.import_name = "diadoc_docflows",
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
	.fill_row = diadoc_fill_row,
	.describe_endpoint = diadoc_describe_endpoint
};
