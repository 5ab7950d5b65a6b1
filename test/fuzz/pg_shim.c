/*-------------------------------------------------------------------------
 * pg_shim.c
 *		The backend functions paged_fdw's resources and http.c use, written
 *		for the fuzzers and unit tests in this directory.  See pg_shim.h.
 *
 * The stand-ins check what the real functions would refuse and what the
 * FDW promises: text handed to a Datum must be valid in the database
 * encoding, jsonb tokens must nest properly, numeric input must be a
 * number.  A broken promise is an abort(), which libFuzzer reports.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include "access/xact.h"
#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"
#include "utils/xml.h"

#include "options.h"
#include "oidc.h"
#include "stats.h"
#include "pg_shim.h"

static void shim_unreachable(const char *what) pg_attribute_noreturn();

static void
shim_unreachable(const char *what)
{
	fprintf(stderr, "pg_shim: %s called, which the parsers never should\n", what);
	abort();
}

/* ----------------------------------------------------------------
 * Memory: one arena, freed as a whole
 * ----------------------------------------------------------------
 */
typedef struct ShimChunk
{
	struct ShimChunk *prev;
	struct ShimChunk *next;
	Size		size;
	Size		pad;			/* keeps the payload MAXALIGNed */
} ShimChunk;

static ShimChunk shim_arena = {&shim_arena, &shim_arena, 0, 0};

static char shim_context_dummy[3];
MemoryContext CurrentMemoryContext = (MemoryContext) &shim_context_dummy[0];
MemoryContext TopMemoryContext = (MemoryContext) &shim_context_dummy[1];
MemoryContext CacheMemoryContext = (MemoryContext) &shim_context_dummy[2];

static void *
shim_alloc(Size size, Size limit, bool zero)
{
	ShimChunk  *c;

	if (size > limit)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("invalid memory alloc request size %zu", size)));
	c = malloc(sizeof(ShimChunk) + size);
	if (c == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	if (zero)
		memset(c + 1, 0, size);
	c->size = size;
	c->next = shim_arena.next;
	c->prev = &shim_arena;
	shim_arena.next->prev = c;
	shim_arena.next = c;
	return c + 1;
}

void
shim_reset(void)
{
	while (shim_arena.next != &shim_arena)
	{
		ShimChunk  *c = shim_arena.next;

		shim_arena.next = c->next;
		free(c);
	}
	shim_arena.prev = &shim_arena;
}

void *
palloc(Size size)
{
	return shim_alloc(size, MaxAllocSize, false);
}

void *
palloc0(Size size)
{
	return shim_alloc(size, MaxAllocSize, true);
}

/* MCXT_ALLOC_NO_OOM is honoured for the size limit only (malloc is not faulted) */
void *
palloc_extended(Size size, int flags)
{
	if ((flags & MCXT_ALLOC_NO_OOM) &&
		size > ((flags & MCXT_ALLOC_HUGE) ? MaxAllocHugeSize : MaxAllocSize))
		return NULL;
	return shim_alloc(size, (flags & MCXT_ALLOC_HUGE) ? MaxAllocHugeSize : MaxAllocSize,
					  (flags & MCXT_ALLOC_ZERO) != 0);
}

void *
MemoryContextAllocHuge(MemoryContext context, Size size)
{
	return shim_alloc(size, MaxAllocHugeSize, false);
}

void *
MemoryContextAlloc(MemoryContext context, Size size)
{
	return shim_alloc(size, MaxAllocSize, false);
}

void *
MemoryContextAllocExtended(MemoryContext context, Size size, int flags)
{
	return palloc_extended(size, flags);
}

/* What a chunk takes: its size and the header (the backend rounds up too). */
Size
GetMemoryChunkSpace(void *pointer)
{
	ShimChunk  *c = ((ShimChunk *) pointer) - 1;

	return c->size + sizeof(ShimChunk);
}

void *
MemoryContextAllocZero(MemoryContext context, Size size)
{
	return shim_alloc(size, MaxAllocSize, true);
}

void
pfree(void *pointer)
{
	ShimChunk  *c = ((ShimChunk *) pointer) - 1;

	c->prev->next = c->next;
	c->next->prev = c->prev;
	free(c);
}

void *
repalloc(void *pointer, Size size)
{
	void	   *n = palloc(size);
	ShimChunk  *c = ((ShimChunk *) pointer) - 1;

	memcpy(n, pointer, Min(size, c->size));
	pfree(pointer);
	return n;
}

char *
MemoryContextStrdup(MemoryContext context, const char *string)
{
	return pstrdup(string);
}

char *
pstrdup(const char *in)
{
	size_t		len = strlen(in);
	char	   *out = palloc(len + 1);

	memcpy(out, in, len + 1);
	return out;
}

char *
pnstrdup(const char *in, Size len)
{
	char	   *out;

	len = strnlen(in, len);
	out = palloc(len + 1);
	memcpy(out, in, len);
	out[len] = '\0';
	return out;
}

char *
psprintf(const char *fmt,...)
{
	va_list		ap;
	int			n;
	char	   *out;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	out = palloc(n + 1);
	va_start(ap, fmt);
	vsnprintf(out, n + 1, fmt, ap);
	va_end(ap);
	return out;
}

void
MemoryContextRegisterResetCallback(MemoryContext context,
								   MemoryContextCallback *cb)
{
	shim_unreachable("MemoryContextRegisterResetCallback");
}

/* ----------------------------------------------------------------
 * StringInfo
 * ----------------------------------------------------------------
 */
void
initStringInfo(StringInfo str)
{
	str->maxlen = 1024;
	str->data = palloc(str->maxlen);
	resetStringInfo(str);
}

StringInfo
makeStringInfo(void)
{
	StringInfo	s = palloc(sizeof(StringInfoData));

	initStringInfo(s);
	return s;
}

void
resetStringInfo(StringInfo str)
{
	str->data[0] = '\0';
	str->len = 0;
	str->cursor = 0;
}

void
enlargeStringInfo(StringInfo str, int needed)
{
	Size		newlen;

	if (needed < 0 || (Size) needed >= MaxAllocSize - (Size) str->len)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("out of memory"),
				 errdetail("Cannot enlarge string buffer containing %d bytes by %d more bytes.",
						   str->len, needed)));
	needed += str->len + 1;
	if (needed <= str->maxlen)
		return;
	newlen = 2 * (Size) str->maxlen;
	while ((Size) needed > newlen)
		newlen *= 2;
	if (newlen > MaxAllocSize)
		newlen = MaxAllocSize;
	str->data = repalloc(str->data, newlen);
	str->maxlen = (int) newlen;
}

int
appendStringInfoVA(StringInfo str, const char *fmt, va_list args)
{
	int			avail = str->maxlen - str->len;
	int			n = vsnprintf(str->data + str->len, avail, fmt, args);

	if (n < 0)
		abort();
	if (n < avail)
	{
		str->len += n;
		return 0;
	}
	str->data[str->len] = '\0';
	return n + 1;
}

void
appendStringInfo(StringInfo str, const char *fmt,...)
{
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(str, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(str, needed);
	}
}

void
appendBinaryStringInfo(StringInfo str, const char *data, int datalen)
{
	enlargeStringInfo(str, datalen);
	memcpy(str->data + str->len, data, datalen);
	str->len += datalen;
	str->data[str->len] = '\0';
}

void
appendStringInfoString(StringInfo str, const char *s)
{
	appendBinaryStringInfo(str, s, strlen(s));
}

void
appendStringInfoChar(StringInfo str, char ch)
{
	appendBinaryStringInfo(str, &ch, 1);
}

/* ----------------------------------------------------------------
 * Lists (only what the resources build)
 * ----------------------------------------------------------------
 */
static List *
shim_new_list(NodeTag type, int n)
{
	List	   *l = palloc(offsetof(List, initial_elements));

	l->type = type;
	l->length = n;
	l->max_length = Max(n, 4);
	l->elements = palloc(sizeof(ListCell) * l->max_length);
	return l;
}

List *
lappend(List *list, void *datum)
{
	if (list == NIL)
		list = shim_new_list(T_List, 0);
	if (list->length == list->max_length)
	{
		list->max_length *= 2;
		list->elements = repalloc(list->elements,
								  sizeof(ListCell) * list->max_length);
	}
	list->elements[list->length++].ptr_value = datum;
	return list;
}

List *
list_make1_impl(NodeTag t, ListCell datum1)
{
	List	   *l = shim_new_list(t, 1);

	l->elements[0] = datum1;
	return l;
}

List *
list_make2_impl(NodeTag t, ListCell datum1, ListCell datum2)
{
	List	   *l = shim_new_list(t, 2);

	l->elements[0] = datum1;
	l->elements[1] = datum2;
	return l;
}

List *
list_make4_impl(NodeTag t, ListCell datum1, ListCell datum2,
				ListCell datum3, ListCell datum4)
{
	List	   *l = shim_new_list(t, 4);

	l->elements[0] = datum1;
	l->elements[1] = datum2;
	l->elements[2] = datum3;
	l->elements[3] = datum4;
	return l;
}

void
list_sort(List *list, list_sort_comparator cmp)
{
	if (list != NIL && list->length > 1)
		qsort(list->elements, list->length, sizeof(ListCell),
			  (int (*) (const void *, const void *)) cmp);
}

/* ----------------------------------------------------------------
 * Errors
 * ----------------------------------------------------------------
 */
sigjmp_buf *PG_exception_stack = NULL;
ErrorContextCallback *error_context_stack = NULL;
char	   *GUC_check_errdetail_string;
char	   *GUC_check_errhint_string;

static struct
{
	int			elevel;
	int			sqlstate;
	char		message[2048];
	char		detail[2048];
	char		hint[2048];
	char		context[2048];
} shim_err;

static int	shim_last_code;
const char *const *shim_secrets = NULL;
const char *shim_input = NULL;
size_t		shim_input_len = 0;

/*
 * Is secret[off, off + n) in the input at least once, and every time as
 * part of the whole secret?
 */
static bool
shim_only_in_secret(const char *secret, size_t off, size_t n)
{
	size_t		slen = strlen(secret);
	const char *p = shim_input;
	const char *end = shim_input + shim_input_len;
	const char *hit;
	bool		found = false;

	while ((hit = memmem(p, end - p, secret + off, n)) != NULL)
	{
		if (hit - shim_input < (ptrdiff_t) off ||
			(size_t) (end - (hit - off)) < slen ||
			memcmp(hit - off, secret, slen) != 0)
			return false;
		found = true;
		p = hit + 1;
	}
	return found;
}

/* Does text show the secret, or a piece of it cut off (see pg_shim.h)? */
static bool
shim_shows(const char *text, const char *secret)
{
	char		esc[256];
	size_t		slen = strlen(secret);
	size_t		o = 0;
	size_t		i;

	if (strstr(text, secret) != NULL)
		return true;
	/* as http_bytes_excerpt would escape it */
	for (i = 0; i < slen && o + 5 < sizeof(esc); i++)
	{
		unsigned char c = (unsigned char) secret[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			esc[o++] = (char) c;
		else
			o += snprintf(esc + o, sizeof(esc) - o, "\\x%02X", c);
	}
	esc[o] = '\0';
	/* (unless the input has that very text: then it is the server's own) */
	if (strcmp(esc, secret) != 0 && strstr(text, esc) != NULL &&
		(shim_input == NULL ||
		 memmem(shim_input, shim_input_len, esc, strlen(esc)) == NULL))
		return true;
	/*
	 * A piece at a cut: the first (last) i bytes of the secret before
	 * (after) "...".  Only a leak if that piece comes from the secret: if
	 * every place the input has the piece is inside the whole secret (the
	 * fuzzer also makes inputs with pieces of it that are not the secret).
	 */
	if (shim_input == NULL)
		return false;
	for (i = 8; i < slen; i++)
	{
		char		piece[300];

		snprintf(piece, sizeof(piece), "%.*s...", (int) i, secret);
		if (strstr(text, piece) != NULL && shim_only_in_secret(secret, 0, i))
			return true;
		snprintf(piece, sizeof(piece), "...%s", secret + slen - i);
		if (strstr(text, piece) != NULL && shim_only_in_secret(secret, slen - i, i))
			return true;
	}
	return false;
}
static char shim_last_msg[2048];

bool
errstart(int elevel, const char *domain)
{
	memset(&shim_err, 0, sizeof(shim_err));
	shim_err.elevel = elevel;
	shim_err.sqlstate = ERRCODE_INTERNAL_ERROR;
	return true;
}

bool
errstart_cold(int elevel, const char *domain)
{
	return errstart(elevel, domain);
}

int
errcode(int sqlerrcode)
{
	shim_err.sqlstate = sqlerrcode;
	return 0;
}

#define SHIM_FORMAT(buf) \
	do { \
		va_list		ap; \
		va_start(ap, fmt); \
		vsnprintf((buf), sizeof(buf), fmt, ap); \
		va_end(ap); \
	} while (0)

int
errmsg(const char *fmt,...)
{
	SHIM_FORMAT(shim_err.message);
	return 0;
}

int
errmsg_internal(const char *fmt,...)
{
	SHIM_FORMAT(shim_err.message);
	return 0;
}

int
errdetail(const char *fmt,...)
{
	SHIM_FORMAT(shim_err.detail);
	return 0;
}

int
errhint(const char *fmt,...)
{
	SHIM_FORMAT(shim_err.hint);
	return 0;
}

int
errcontext_msg(const char *fmt,...)
{
	SHIM_FORMAT(shim_err.context);
	return 0;
}

int
set_errcontext_domain(const char *domain)
{
	return 0;
}

void
pre_format_elog_string(int errnumber, const char *domain)
{
}

char *
format_elog_string(const char *fmt,...)
{
	static char buf[2048];

	SHIM_FORMAT(buf);
	return buf;
}

void
errfinish(const char *filename, int lineno, const char *funcname)
{
	ErrorContextCallback *econtext;

	if (shim_err.elevel < ERROR)
		return;

	/* as the backend does: the context callbacks add their lines */
	for (econtext = error_context_stack; econtext != NULL;
		 econtext = econtext->previous)
		econtext->callback(econtext->arg);

	/* no message may quote a secret (pg_shim.h: shim_secrets) */
	for (int k = 0; shim_secrets != NULL && shim_secrets[k] != NULL; k++)
	{
		const char *secret = shim_secrets[k];

		if (shim_shows(shim_err.message, secret) || shim_shows(shim_err.detail, secret) ||
			shim_shows(shim_err.hint, secret) || shim_shows(shim_err.context, secret))
		{
			fprintf(stderr, "pg_shim: a message shows the secret %s: %s | %s | %s\n",
					secret, shim_err.message, shim_err.detail, shim_err.context);
			abort();
		}
	}

	shim_last_code = shim_err.sqlstate;
	strlcpy(shim_last_msg, shim_err.message, sizeof(shim_last_msg));
	if (getenv("SHIM_VERBOSE"))
		fprintf(stderr, "ERROR %s: %s | %s | %s\n",
				unpack_sql_state(shim_err.sqlstate), shim_err.message,
				shim_err.detail, shim_err.context);
	pg_re_throw();
}

void
pg_re_throw(void)
{
	if (PG_exception_stack == NULL)
	{
		fprintf(stderr, "pg_shim: ERROR outside of any handler: %s\n",
				shim_err.message);
		abort();
	}
	siglongjmp(*PG_exception_stack, 1);
}

int
shim_last_sqlstate(void)
{
	return shim_last_code;
}

const char *
shim_last_message(void)
{
	return shim_last_msg;
}

char *
unpack_sql_state(int sql_state)
{
	static char buf[12];
	int			i;

	for (i = 0; i < 5; i++)
	{
		buf[i] = PGUNSIXBIT(sql_state);
		sql_state >>= 6;
	}
	buf[i] = '\0';
	return buf;
}

/* ----------------------------------------------------------------
 * Encodings
 * ----------------------------------------------------------------
 */
static int	shim_encoding = PG_UTF8;

void
shim_set_database_encoding(int encoding)
{
	shim_encoding = encoding;
}

int
GetDatabaseEncoding(void)
{
	return shim_encoding;
}

/* The harnesses run as inside one transaction. */
bool
IsTransactionState(void)
{
	return true;
}

bool
pg_verify_mbstr(int encoding, const char *mbstr, int len, bool noError)
{
	int			ok;

	if (encoding == PG_LATIN1)
		ok = (int) strnlen(mbstr, len);
	else
		ok = pg_encoding_verifymbstr(encoding, mbstr, len);
	if (ok == len)
		return true;
	if (noError)
		return false;
	ereport(ERROR,
			(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
			 errmsg("invalid byte sequence for encoding \"%s\"",
					encoding == PG_UTF8 ? "UTF8" : "LATIN1")));
}

/* UTF-8 to the database encoding (UTF8 or LATIN1), as the backend would. */
char *
pg_any_to_server(const char *s, int len, int encoding)
{
	StringInfoData buf;
	int			i = 0;

	if (encoding != PG_UTF8)
		shim_unreachable("pg_any_to_server from an encoding other than UTF8");
	if (len <= 0)
		return unconstify(char *, s);
	(void) pg_verify_mbstr(PG_UTF8, s, len, false);
	if (shim_encoding == PG_UTF8)
		return unconstify(char *, s);

	initStringInfo(&buf);
	while (i < len)
	{
		unsigned char c = (unsigned char) s[i];

		if (c < 0x80)
		{
			appendStringInfoChar(&buf, (char) c);
			i++;
		}
		else if ((c == 0xC2 || c == 0xC3) && i + 1 < len)
		{
			appendStringInfoChar(&buf,
								 (char) (((c & 0x03) << 6) | (s[i + 1] & 0x3F)));
			i += 2;
		}
		else
			ereport(ERROR,
					(errcode(ERRCODE_UNTRANSLATABLE_CHARACTER),
					 errmsg("character with byte sequence 0x%02x in encoding \"UTF8\" has no equivalent in encoding \"LATIN1\"",
							c)));
	}
	return buf.data;
}

/* The database encoding to UTF-8. */
char *
pg_server_to_any(const char *s, int len, int encoding)
{
	StringInfoData buf;
	int			i;

	if (encoding != PG_UTF8)
		shim_unreachable("pg_server_to_any to an encoding other than UTF8");
	if (shim_encoding == PG_UTF8)
		return unconstify(char *, s);
	initStringInfo(&buf);
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c < 0x80)
			appendStringInfoChar(&buf, (char) c);
		else
		{
			appendStringInfoChar(&buf, (char) (0xC0 | (c >> 6)));
			appendStringInfoChar(&buf, (char) (0x80 | (c & 0x3F)));
		}
	}
	return buf.data;
}

void
shim_check_text(Datum d, const char *what)
{
	text	   *t = (text *) DatumGetPointer(d);
	const char *s = VARDATA_ANY(t);
	int			len = VARSIZE_ANY_EXHDR(t);

	if (!pg_verify_mbstr(shim_encoding, s, len, true) ||
		memchr(s, '\0', len) != NULL)
	{
		fprintf(stderr, "pg_shim: %s is not valid text in the database encoding\n",
				what);
		abort();
	}
}

/* ----------------------------------------------------------------
 * text, numeric, jsonb
 * ----------------------------------------------------------------
 */
text *
cstring_to_text_with_len(const char *s, int len)
{
	text	   *t = palloc(len + VARHDRSZ);

	SET_VARSIZE(t, len + VARHDRSZ);
	memcpy(VARDATA(t), s, len);
	return t;
}

text *
cstring_to_text(const char *s)
{
	return cstring_to_text_with_len(s, strlen(s));
}

char *
text_to_cstring(const text *t)
{
	int			len = VARSIZE_ANY_EXHDR(t);
	char	   *s = palloc(len + 1);

	memcpy(s, VARDATA_ANY(t), len);
	s[len] = '\0';
	return s;
}

struct varlena *
pg_detoast_datum(struct varlena *datum)
{
	return datum;
}

Datum
DirectFunctionCall1Coll(PGFunction func, Oid collation, Datum arg1)
{
	LOCAL_FCINFO(fcinfo, 1);

	InitFunctionCallInfoData(*fcinfo, NULL, 1, collation, NULL, NULL);
	fcinfo->args[0].value = arg1;
	fcinfo->args[0].isnull = false;
	return (*func) (fcinfo);
}

Datum
DirectFunctionCall3Coll(PGFunction func, Oid collation, Datum arg1,
						Datum arg2, Datum arg3)
{
	LOCAL_FCINFO(fcinfo, 3);

	InitFunctionCallInfoData(*fcinfo, NULL, 3, collation, NULL, NULL);
	fcinfo->args[0].value = arg1;
	fcinfo->args[0].isnull = false;
	fcinfo->args[1].value = arg2;
	fcinfo->args[1].isnull = false;
	fcinfo->args[2].value = arg3;
	fcinfo->args[2].isnull = false;
	return (*func) (fcinfo);
}

/* A stand-in Numeric: a varlena holding the number's text. */
static Datum
shim_numeric(const char *text)
{
	return PointerGetDatum(cstring_to_text(text));
}

/* numeric_in's syntax: blanks, sign, digits[.digits][e[sign]digits], NaN, Infinity */
Datum
numeric_in(PG_FUNCTION_ARGS)
{
	const char *s = PG_GETARG_CSTRING(0);
	const char *p = s;
	int			before = 0;
	int			after = 0;

	while (isspace((unsigned char) *p))
		p++;
	if (*p == '+' || *p == '-')
		p++;
	if (pg_strcasecmp(p, "NaN") == 0 || pg_strcasecmp(p, "Infinity") == 0)
		return shim_numeric(s);
	while (isdigit((unsigned char) *p))
	{
		p++;
		before++;
	}
	if (*p == '.')
	{
		p++;
		while (isdigit((unsigned char) *p))
		{
			p++;
			after++;
		}
	}
	if (before + after == 0)
		goto bad;
	if (*p == 'e' || *p == 'E')
	{
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char) *p))
			goto bad;
		while (isdigit((unsigned char) *p))
			p++;
	}
	while (isspace((unsigned char) *p))
		p++;
	if (*p != '\0')
		goto bad;
	if (before > 131072)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value overflows numeric format")));
	return shim_numeric(s);

bad:
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type %s: \"%s\"", "numeric", s)));
}

Numeric
int64_to_numeric(int64 val)
{
	char		buf[32];

	snprintf(buf, sizeof(buf), INT64_FORMAT, val);
	return (Numeric) DatumGetPointer(shim_numeric(buf));
}

Datum
float4_numeric(PG_FUNCTION_ARGS)
{
	char		buf[64];

	snprintf(buf, sizeof(buf), "%.9g", (double) PG_GETARG_FLOAT4(0));
	return shim_numeric(buf);
}

Datum
float8_numeric(PG_FUNCTION_ARGS)
{
	char		buf[64];

	snprintf(buf, sizeof(buf), "%.17g", PG_GETARG_FLOAT8(0));
	return shim_numeric(buf);
}

/*
 * pushJsonbValue: checks that the tokens nest as a jsonb value must, and
 * reads every byte of every string (so ASan sees a bad pointer or length)
 * and checks it is valid in the database encoding.
 */
#define SHIM_JSON_DEPTH 256

typedef struct ShimJsonState
{
	int			depth;
	char		kind[SHIM_JSON_DEPTH];	/* 'o' or 'a' */
	bool		want_value[SHIM_JSON_DEPTH];
	bool		done;
} ShimJsonState;

static void
shim_json_scalar(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
		case jbvBool:
			break;
		case jbvNumeric:
			if (v->val.numeric == NULL)
				abort();
			break;
		case jbvString:
			if (v->val.string.len < 0 ||
				(v->val.string.len > 0 && v->val.string.val == NULL))
				abort();
			if (v->val.string.len > JENTRY_OFFLENMASK)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("string too long to represent as jsonb string")));
			if (!pg_verify_mbstr(shim_encoding, v->val.string.val,
								 v->val.string.len, true) ||
				memchr(v->val.string.val, '\0', v->val.string.len) != NULL)
			{
				fprintf(stderr, "pg_shim: jsonb string not valid in the database encoding\n");
				abort();
			}
			break;
		default:
			fprintf(stderr, "pg_shim: jsonb scalar of type %d\n", (int) v->type);
			abort();
	}
}

JsonbValue *
pushJsonbValue(JsonbParseState **pstate, JsonbIteratorToken seq,
			   JsonbValue *jbval)
{
	ShimJsonState *st = (ShimJsonState *) *pstate;
	JsonbValue *res;

	if (st == NULL)
	{
		st = palloc0(sizeof(ShimJsonState));
		*pstate = (JsonbParseState *) st;
	}
	if (st->done)
		abort();				/* a token after the outermost end */

	switch (seq)
	{
		case WJB_BEGIN_OBJECT:
		case WJB_BEGIN_ARRAY:
			if (st->depth > 0 && st->kind[st->depth - 1] == 'o' &&
				!st->want_value[st->depth - 1])
				abort();		/* a container where a key belongs */
			if (st->depth > 0 && st->kind[st->depth - 1] == 'o')
				st->want_value[st->depth - 1] = false;
			if (st->depth >= SHIM_JSON_DEPTH)
				abort();
			st->kind[st->depth] = seq == WJB_BEGIN_OBJECT ? 'o' : 'a';
			st->want_value[st->depth] = false;
			st->depth++;
			return NULL;
		case WJB_KEY:
			if (st->depth == 0 || st->kind[st->depth - 1] != 'o' ||
				st->want_value[st->depth - 1] || jbval->type != jbvString)
				abort();
			shim_json_scalar(jbval);
			st->want_value[st->depth - 1] = true;
			return NULL;
		case WJB_VALUE:
			if (st->depth == 0 || st->kind[st->depth - 1] != 'o' ||
				!st->want_value[st->depth - 1])
				abort();
			shim_json_scalar(jbval);
			st->want_value[st->depth - 1] = false;
			return NULL;
		case WJB_ELEM:
			if (st->depth == 0 || st->kind[st->depth - 1] != 'a')
				abort();
			shim_json_scalar(jbval);
			return NULL;
		case WJB_END_OBJECT:
		case WJB_END_ARRAY:
			if (st->depth == 0 ||
				st->kind[st->depth - 1] != (seq == WJB_END_OBJECT ? 'o' : 'a') ||
				st->want_value[st->depth - 1])
				abort();
			st->depth--;
			res = palloc0(sizeof(JsonbValue));
			res->type = seq == WJB_END_OBJECT ? jbvObject : jbvArray;
			if (st->depth == 0)
				st->done = true;
			return res;
		default:
			abort();
	}
}

Jsonb *
JsonbValueToJsonb(JsonbValue *val)
{
	Jsonb	   *j;

	if (val == NULL || (val->type != jbvObject && val->type != jbvArray))
		abort();
	j = palloc0(VARHDRSZ + sizeof(uint32));
	SET_VARSIZE(j, VARHDRSZ + sizeof(uint32));
	return j;
}

/* ----------------------------------------------------------------
 * Dates: a Julian day count of our own (days since 4714-11-24 BC)
 * ----------------------------------------------------------------
 */
const int	day_tab[2][13] = {
	{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 0},
	{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 0}
};

#define SHIM_JD_1970 2440588	/* Julian day of 1970-01-01 */

int
date2j(int year, int month, int day)
{
	int64		y = year - (month <= 2);
	int64		era = (y >= 0 ? y : y - 399) / 400;
	int64		yoe = y - era * 400;
	int64		doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
	int64		doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return (int) (era * 146097 + doe - 719468 + SHIM_JD_1970);
}

static void
shim_j2date(int64 jd, int *year, int *month, int *day)
{
	int64		z = jd - SHIM_JD_1970 + 719468;
	int64		era = (z >= 0 ? z : z - 146096) / 146097;
	int64		doe = z - era * 146097;
	int64		yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64		doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64		mp = (5 * doy + 2) / 153;

	*day = (int) (doy - (153 * mp + 2) / 5 + 1);
	*month = (int) (mp < 10 ? mp + 3 : mp - 9);
	*year = (int) (yoe + era * 400 + (*month <= 2));
}

/* UTC only (tzp == NULL), as the resources use it. */
int
timestamp2tm(Timestamp dt, int *tzp, struct pg_tm *tm, fsec_t *fsec,
			 const char **tzn, pg_tz *attimezone)
{
	int64		days;
	int64		time;

	if (tzp != NULL || TIMESTAMP_NOT_FINITE(dt))
		shim_unreachable("timestamp2tm with a time zone or an infinite value");
	days = dt / USECS_PER_DAY;
	time = dt % USECS_PER_DAY;
	if (time < 0)
	{
		time += USECS_PER_DAY;
		days--;
	}
	memset(tm, 0, sizeof(*tm));
	shim_j2date(days + POSTGRES_EPOCH_JDATE, &tm->tm_year, &tm->tm_mon,
				&tm->tm_mday);
	tm->tm_hour = (int) (time / USECS_PER_HOUR);
	time -= (int64) tm->tm_hour * USECS_PER_HOUR;
	tm->tm_min = (int) (time / USECS_PER_MINUTE);
	time -= (int64) tm->tm_min * USECS_PER_MINUTE;
	tm->tm_sec = (int) (time / USECS_PER_SEC);
	*fsec = (fsec_t) (time - (int64) tm->tm_sec * USECS_PER_SEC);
	return 0;
}

TimestampTz
GetCurrentTimestamp(void)
{
	/* 2024-01-01 00:00:00 UTC */
	return (TimestampTz) 8766 * USECS_PER_DAY;
}

long
TimestampDifferenceMilliseconds(TimestampTz start_time, TimestampTz stop_time)
{
	shim_unreachable("TimestampDifferenceMilliseconds");
}

/* ----------------------------------------------------------------
 * Catalog look-ups and the rest of the backend
 * ----------------------------------------------------------------
 */
ForeignServer *
GetForeignServer(Oid serverid)
{
	ForeignServer *s = palloc0(sizeof(ForeignServer));

	s->serverid = serverid;
	s->servername = pstrdup("fuzz_server");
	return s;
}

char *
get_rel_name(Oid relid)
{
	return pstrdup("fuzz_table");
}

const char *
quote_identifier(const char *ident)
{
	return ident;
}

void
check_stack_depth(void)
{
}

volatile sig_atomic_t InterruptPending = false;
volatile uint32 InterruptHoldoffCount = 0;
volatile uint32 QueryCancelHoldoffCount = 0;
volatile uint32 CritSectionCount = 0;
struct Latch *MyLatch = NULL;

/* pgstat_report_wait_start/end (inline, in http_wait) write through this */
static uint32 shim_wait_event_info;
uint32	   *my_wait_event_info = &shim_wait_event_info;

void
ProcessInterrupts(void)
{
	shim_unreachable("ProcessInterrupts");
}

int
WaitLatch(Latch *latch, int wakeEvents, long timeout, uint32 wait_event_info)
{
	shim_unreachable("WaitLatch");
}

void
ResetLatch(Latch *latch)
{
	shim_unreachable("ResetLatch");
}

void
CacheRegisterSyscacheCallback(int cacheid, SyscacheCallbackFunction func,
							  Datum arg)
{
	shim_unreachable("CacheRegisterSyscacheCallback");
}

uint32
GetSysCacheHashValue(int cacheId, Datum key1, Datum key2, Datum key3,
					 Datum key4)
{
	shim_unreachable("GetSysCacheHashValue");
}

void
RegisterXactCallback(XactCallback callback, void *arg)
{
	shim_unreachable("RegisterXactCallback");
}

HTAB *
hash_create(const char *tabname, long nelem, const HASHCTL *info, int flags)
{
	shim_unreachable("hash_create");
}

void *
hash_search(HTAB *hashp, const void *keyPtr, HASHACTION action, bool *foundPtr)
{
	shim_unreachable("hash_search");
}

void
hash_seq_init(HASH_SEQ_STATUS *status, HTAB *hashp)
{
	shim_unreachable("hash_seq_init");
}

void *
hash_seq_search(HASH_SEQ_STATUS *status)
{
	shim_unreachable("hash_seq_search");
}

/* ----------------------------------------------------------------
 * libxml2 set-up, as utils/adt/xml.c does it
 * ----------------------------------------------------------------
 */
struct PgXmlErrorContext
{
	bool		err_occurred;
	xmlStructuredErrorFunc saved_errfunc;
	void	   *saved_errcxt;
	xmlExternalEntityLoader saved_entityfunc;
};

int			shim_entity_loads = 0;

static void
shim_xml_error(void *data, xmlErrorPtr error)
{
	PgXmlErrorContext *errcxt = (PgXmlErrorContext *) data;

	if (error != NULL && error->level >= XML_ERR_ERROR)
		errcxt->err_occurred = true;
}

/* Counts the request and loads nothing, like the backend's loader. */
static xmlParserInputPtr
shim_entity_loader(const char *URL, const char *ID, xmlParserCtxtPtr ctxt)
{
	shim_entity_loads++;
	return xmlNewStringInputStream(ctxt, (const xmlChar *) "");
}

PgXmlErrorContext *
pg_xml_init(PgXmlStrictness strictness)
{
	PgXmlErrorContext *errcxt = palloc0(sizeof(PgXmlErrorContext));

	xmlInitParser();
	errcxt->saved_errfunc = xmlStructuredError;
	errcxt->saved_errcxt = xmlStructuredErrorContext;
	xmlSetStructuredErrorFunc(errcxt, shim_xml_error);
	errcxt->saved_entityfunc = xmlGetExternalEntityLoader();
	xmlSetExternalEntityLoader(shim_entity_loader);
	return errcxt;
}

void
pg_xml_done(PgXmlErrorContext *errcxt, bool isError)
{
	xmlSetStructuredErrorFunc(errcxt->saved_errcxt, errcxt->saved_errfunc);
	xmlSetExternalEntityLoader(errcxt->saved_entityfunc);
}

bool
pg_xml_error_occurred(PgXmlErrorContext *errcxt)
{
	return errcxt->err_occurred;
}

/* timestamp.c's, only for stream labels here: any readable text will do */
const char *
timestamptz_to_str(TimestampTz t)
{
	return psprintf("timestamptz " INT64_FORMAT, (int64) t);
}

/*
 * options.c's paged_cut_value (options.c is not linked here): the same
 * contract, clipping at a UTF-8 character start as pg_mbcliplen would.
 */
char *
paged_cut_value(const char *value, int max_bytes)
{
	size_t		len = strlen(value);
	size_t		keep;

	if (len <= (size_t) max_bytes)
		return (char *) value;
	keep = Max(max_bytes - 24, 8);
	while (keep > 0 && ((unsigned char) value[keep] & 0xC0) == 0x80)
		keep--;
	return psprintf("%.*s... (%zu bytes)", (int) keep, value, len);
}

/* ----------------------------------------------------------------
 *		OpenID Connect (oidc.c): network, never reached by the targets
 * ----------------------------------------------------------------
 */
char *
oidc_auth_header(HttpConn *conn, const PagedOptions *opts, uint64 *generation)
{
	shim_unreachable("oidc_auth_header");
}

void
oidc_forget_access_token(Oid umid)
{
	shim_unreachable("oidc_forget_access_token");
}

/* ----------------------------------------------------------------
 *		Shared request rate (stats.c): the targets run as if not preloaded
 * ----------------------------------------------------------------
 */
bool
paged_rate_reserve(Oid serverid, int64 interval, TimestampTz now,
				   TimestampTz *start, TimestampTz *prev)
{
	return false;
}

void
paged_rate_release(Oid serverid, TimestampTz start, TimestampTz prev)
{
}
