/*-------------------------------------------------------------------------
 * mercury.c
 *		The VetIS list engine: every operation of the table in vetis_ops.c
 *		(GetUnitChangesList and the other dictionary lists of the VetIS
 *		services), SOAP 1.1 over HTTP, offset paging.
 *
 * A *ChangesList scan is one stream per begin date: the tightest
 * update-date interval the pushed conditions allow; a keyed list is one
 * stream per key value; a plain list is one stream.  Each page is one SOAP
 * request with listOptions (count, offset); the answer's list@total, or
 * its hasMore, tells the pager when to stop.
 *
 * Answers are read with callbacks, never built into a tree: the fast
 * scanner of src/xmlscan.c, with libxml2's SAX2 parser as the authority.
 * Elements are matched by local name so that both the v2 schema (bs/dt
 * namespaces) and the older v1 schema (one argc namespace) parse.  Every
 * scalar field of an item is kept as text until fill_row converts the
 * wanted columns; when a jsonb column (a nested type, or the whole record)
 * is wanted, the item's elements are also kept as a flat list of nodes,
 * from which fill_row builds the jsonb.  The converters are our own strict
 * parsers for the XML Schema lexical forms, so a bad value is reported
 * with the column it belongs to.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlversion.h>

#include "catalog/pg_type_d.h"
#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"
#include "utils/xml.h"

#include "resource.h"
#include "vetis.h"
#include "xmlscan.h"
#include "xmlscan_run.h"

#define MERCURY_MAX_PAGE	1000

#define SOAP_ENV_NS		"http://schemas.xmlsoap.org/soap/envelope/"
#define XSI_NS			"http://www.w3.org/2001/XMLSchema-instance"

/* libxml2 2.12 made the structured error argument const. */
#if LIBXML_VERSION >= 21200
#define MERCURY_XML_ERROR const xmlError
#else
#define MERCURY_XML_ERROR xmlError
#endif

/* Column numbers of unit_changes (the C-level tests use them). */
#define MC_NAME		9

/*
 * One item of a page: each scalar field's text, NULL where the element was
 * absent or nil; and, when the tree is kept, its elements' nodes
 * [first_node, end_node).  A text is either in the page's text buffer
 * (NUL-terminated) or, when the scanner read it in one piece, where it is
 * in the answer's body (not terminated: only the length says where it
 * ends).
 */
typedef struct MercuryUnit
{
	const char *val[VETIS_MAX_FIELDS];
	int			len[VETIS_MAX_FIELDS];
	uint32		seen;			/* bit per field, to refuse duplicates */
	int			first_node;
	int			end_node;
} MercuryUnit;

/*
 * One element inside an item, in document order.  Its descendants are the
 * nodes after it up to "end"; off is its text, -1 for nil, -2 when it has
 * child elements (its text is then ignored).
 */
typedef struct VetisNode
{
	const char *name;			/* static, or in the text buffer */
	int			end;
	int			off;
	int			len;
} VetisNode;

#define VN_NIL		(-1)
#define VN_COMPLEX	(-2)

/* A parsed page, as the pager keeps it (PageResult.records). */
typedef struct MercuryPage
{
	MercuryUnit *units;
	VetisNode  *nodes;
	const char *text;			/* the texts the nodes' offsets point into */
	List	   *secrets;		/* of the request, redacted from bad values */

	/*
	 * Read by src/xmlscan.c, which hands out only valid UTF-8 without a
	 * zero byte (it checks every character as it scans, and what it
	 * decodes from a reference); then pg_verify_mbstr would only repeat
	 * that for each text.  libxml2's texts are verified.
	 */
	bool		utf8_checked;
} MercuryPage;

/* The request of one stream (ResourceStream.arg). */
typedef struct MercuryStream
{
	const VetisOp *op;
	/* VK_CHANGES: the interval */
	TimestampTz begin;			/* beginDate sent */
	bool		has_end;
	TimestampTz end;			/* endDate sent (exclusive) */
	bool		has_begin_eq;	/* begin_date = value given by the user */
	TimestampTz begin_eq;
	bool		has_end_eq;		/* end_date = value given by the user */
	TimestampTz end_eq;
	bool		no_recheck_lower;	/* update_date >= is not rechecked: drop
									 * items without an updateDate */
	/* VK_KEYED: the key */
	Datum		key;
	char	   *key_text;		/* as sent */
} MercuryStream;

/*
 * xs:integer texts converted before in the scan, and their numerics: a
 * list's numeric column (a unit's factor) takes few distinct values, and
 * making a numeric costs a conversion and allocations each time.  A row
 * gets a copy in its own memory, so an entry may be replaced any time.
 */
#define VETIS_NUMERIC_SLOTS	64
#define VETIS_NUMERIC_KEY	40	/* longer texts are not kept */

typedef struct VetisNumeric
{
	int			len;			/* of the text; 0: empty slot */
	char		text[VETIS_NUMERIC_KEY];
	Numeric		value;			/* in the scan's memory */
} VetisNumeric;

/*
 * What vetis_fill_row makes of one wanted column.  The kinds up to
 * VF_OTHER are an item field's scalar text converted (NULL when absent);
 * the rest are made otherwise.
 */
typedef enum VetisFillKind
{
	VF_UUID,
	VF_TEXT,					/* text made in the row's allocation */
	VF_NUMERIC,
	VF_BOOL,
	VF_TIMESTAMPTZ,
	VF_INT4,
	VF_OTHER,					/* text converted to the database encoding */
	VF_JSONB,					/* a field kept as jsonb */
	VF_RECORD,
	VF_BEGIN,
	VF_END,
	VF_KEY
} VetisFillKind;

typedef struct VetisFillCol
{
	int16		colno;
	uint8		kind;			/* VetisFillKind */
	int8		field;			/* in the item type, -1 none */
} VetisFillCol;

/*
 * The groups of VetisFillPlan.fast, in the order vetis_fill_row's first
 * pass runs them: a loop per kind, without a dispatch per column.
 */
typedef enum VetisFillGroup
{
	VG_UUID,
	VG_ROOM,					/* VF_TEXT and VF_NUMERIC, in column order */
	VG_BOOL,
	VG_TIMESTAMPTZ,
	VG_REQUEST,					/* VF_BEGIN, VF_END, VF_KEY */
	VG_NGROUPS
} VetisFillGroup;

/* a bit per column number in a uint32 (VetisFillPlan.slow, a row's defer) */
#define VF_BIT(colno)	((uint32) 1 << (colno))
StaticAssertDecl(VETIS_MAX_COLUMNS <= 32, "VetIS column bits do not fit");

/*
 * The wanted columns of an operation, made once for a want array: in
 * column order (the exact conversions, which raise the ERROR of the first
 * bad column), and grouped by kind for the first pass of a row, which
 * raises none and leaves what it cannot convert (and the kinds in "slow")
 * to the exact code.
 */
typedef struct VetisFillPlan
{
	const VetisOp *op;			/* NULL: not made */
	bool		direct_texts;	/* UTF-8 database: VF_TEXT, else VF_OTHER */
	bool		want[VETIS_MAX_COLUMNS];	/* what it was made for */
	int			ncols;
	VetisFillCol cols[VETIS_MAX_COLUMNS];
	uint32		slow;			/* columns only the exact code converts */
	uint32		texts;			/* the VF_TEXT columns */
	uint8		group[VG_NGROUPS + 1];	/* where each group starts in fast */
	VetisFillCol fast[VETIS_MAX_COLUMNS];
} VetisFillPlan;

/*
 * The room a row's allocation has for its texts and kept numerics (after
 * its UUIDs): at first, and at most once rows needed more (a row whose
 * texts do not fit takes more allocations).
 */
#define VETIS_ROW_ROOM		256
#define VETIS_ROW_ROOM_MAX	8192

/* Per-scan state (ResourceCtx.state). */
typedef struct VetisScan
{
	const VetisOp *op;
	bool		keep_tree;		/* a jsonb column is wanted */
	char	   *url;			/* where the requests go */
	VetisNumeric numerics[VETIS_NUMERIC_SLOTS];
	VetisFillPlan plan;			/* of the last rows filled */
	int			row_room;		/* for texts and numerics; 0: VETIS_ROW_ROOM */
	char	   *row_buf;		/* a row's UUIDs, texts and numerics */
	Size		row_buf_size;
} VetisScan;

/* What an element on the parser's path is to us. */
typedef enum MercuryElem
{
	ME_ENVELOPE,
	ME_BODY,
	ME_RESPONSE,
	ME_LIST,
	ME_UNIT,
	ME_FIELD,
	ME_NESTED,
	ME_FAULT,
	ME_FAULTSTRING,
	ME_DETAIL
} MercuryElem;

#define MERCURY_MAX_DEPTH	64

/* State and result of reading one answer. */
typedef struct MercuryParse
{
	const VetisOp *op;			/* what was asked for */
	int			nfields;		/* of its item type */
	bool		keep_tree;		/* keep the nodes of the items */
	xmlParserCtxtPtr ctxt;		/* while libxml2 parses */
	const xmlChar *field_names[VETIS_MAX_FIELDS];	/* as the parser hands
													 * them out */
	const xmlChar *unit_name;
	/* an item's name from the scanner's name cache (see mercury_run_start) */
	const char *run_item;

	/* the path from the root to the current element, elements we track */
	MercuryElem stack[MERCURY_MAX_DEPTH];
	int			nodestack[MERCURY_MAX_DEPTH];	/* node of each, or -1 */
	int			depth;
	int			skip;			/* > 0: inside an element we ignore */
	bool		seen_body;
	bool		seen_response;
	bool		seen_list;
	int			field;			/* scalar item field being read */

	/* texts kept: one buffer as large as the answer, never enlarged */
	char	   *buf;
	size_t		size;
	int			used;
	bool		collect;		/* keep the text of the current element */
	int			text_start;

	/*
	 * The scanner hands out most texts as one piece of the body, which
	 * outlives the page (PageResult.keeps_body): such a text is pointed
	 * to, not copied.  "body" is set only while the scanner reads a page
	 * for scalar fields alone; "piece" is the current element's text while
	 * it is that one piece of the body, else NULL.
	 */
	const char *body;
	size_t		bodylen;
	bool		direct;			/* the current element's text may be a piece */
	const char *piece;
	int			piecelen;
	bool		used_body;		/* some unit points into the body */
	int			next_field;		/* the field expected next (fields come in
								 * schema order) */
	uint64		scalar_fields;	/* bit per field: op->scalar (scanner only;
								 * bit 63 is no field) */

	/*
	 * depth while an item is the innermost element and nothing is
	 * skipped, without a tree: where a leaf may be a field of the item
	 * (mercury_scan_leaf_named); else -1
	 */
	int			leaf_depth;

	/* list answer */
	int64		total;			/* list attributes, -1 if absent */
	int64		count;
	int64		offset;
	int			has_more;		/* hasMore: 1, 0, or -1 if absent */
	MercuryUnit *units;
	int			nunits;
	int			maxunits;
	MercuryUnit *unit;			/* the last one: units[nunits - 1] */
	VetisNode  *nodes;
	int			nnodes;
	int			maxnodes;

	/* fault answer */
	bool		is_fault;
	const char *faultstring;	/* the first one, in buf */
	const char *fault_kind;		/* local name of the element under detail */
	char		fault_kind_buf[128];

	bool		scanned;		/* read by the fast scanner, not libxml2 */

	/* the request's secrets, redacted from any remote text kept below */
	List	   *secrets;

	/* first problem met (libxml2's or ours), secrets redacted, not cleaned */
	bool		failed;
	int			errline;
	char		errmsg[256];
	long		erroffset;		/* libxml2's: byte of the body, or -1 */
	int			skipped;		/* bytes of the body not given to libxml2 */
	int			errcode;		/* libxml2's error code, or 0 */
	char		errelem[64];	/* libxml2's: innermost open element */
} MercuryParse;

/*
 * ---------------------------------------------------------------------
 * Small text helpers
 * ---------------------------------------------------------------------
 */

/*
 * A printable excerpt of remote text for messages: control characters and
 * bytes that are not valid UTF-8 become '?', non-ASCII characters are kept
 * only when the database encoding is UTF-8 (messages are in the server
 * encoding), and at most maxchars characters are kept.
 */
static char *
mercury_excerpt(const char *s, size_t len, int maxchars)
{
	StringInfoData buf;
	bool		keep_utf8 = (GetDatabaseEncoding() == PG_UTF8);
	size_t		i = 0;
	int			nchars = 0;

	initStringInfo(&buf);
	while (i < len)
	{
		unsigned char c = (unsigned char) s[i];

		if (nchars >= maxchars)
		{
			appendStringInfoString(&buf, "...");
			break;
		}
		if (c >= 0x20 && c < 0x7f)
		{
			appendStringInfoChar(&buf, (char) c);
			i++;
		}
		else if (c == '\t' || c == '\n' || c == '\r')
		{
			appendStringInfoChar(&buf, ' ');
			i++;
		}
		else if (c >= 0x80 && keep_utf8)
		{
			int			l = pg_utf_mblen((const unsigned char *) s + i);

			if (l > 1 && i + l <= len &&
				pg_utf8_islegal((const unsigned char *) s + i, l))
			{
				/* C1 controls (U+0080..U+009F) are as unprintable as C0 */
				if (c == 0xC2 && (unsigned char) s[i + 1] < 0xA0)
					appendStringInfoChar(&buf, '?');
				else
					appendBinaryStringInfo(&buf, s + i, l);
				i += l;
			}
			else
			{
				appendStringInfoChar(&buf, '?');
				i++;
			}
		}
		else
		{
			appendStringInfoChar(&buf, '?');
			i++;
		}
		nchars++;
	}
	return buf.data;
}

/*
 * Append text as XML character data or attribute content.  Everything we
 * send is formatted by us, but it goes through here anyway so that no value
 * can ever add markup.
 */
static void
mercury_append_escaped(StringInfo buf, const char *s)
{
	for (; *s != '\0'; s++)
	{
		switch (*s)
		{
			case '&':
				appendStringInfoString(buf, "&amp;");
				break;
			case '<':
				appendStringInfoString(buf, "&lt;");
				break;
			case '>':
				appendStringInfoString(buf, "&gt;");
				break;
			case '"':
				appendStringInfoString(buf, "&quot;");
				break;
			case '\'':
				appendStringInfoString(buf, "&apos;");
				break;
			default:
				appendStringInfoChar(buf, *s);
				break;
		}
	}
}

static void
mercury_append_element(StringInfo buf, const char *indent, const char *qname,
					   const char *value)
{
	appendStringInfo(buf, "%s<%s>", indent, qname);
	mercury_append_escaped(buf, value);
	appendStringInfo(buf, "</%s>", qname);
}

/*
 * Format a finite timestamp in UTC: "2024-01-01T00:00:00Z" for the wire,
 * "2024-01-01 00:00:00+00" for labels.  Fractional seconds only when there
 * are any.
 */
static void
mercury_append_timestamp(StringInfo buf, TimestampTz ts, bool wire)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (TIMESTAMP_NOT_FINITE(ts) ||
		timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
		elog(ERROR, "timestamp out of range for a VetIS request");

	appendStringInfo(buf, "%04d-%02d-%02d%c%02d:%02d:%02d",
					 tm.tm_year, tm.tm_mon, tm.tm_mday, wire ? 'T' : ' ',
					 tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (fsec != 0)
		appendStringInfo(buf, ".%06d", (int) fsec);
	appendStringInfoString(buf, wire ? "Z" : "+00");
}

static inline bool
mercury_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* XML Schema's whiteSpace="collapse" types: ignore surrounding blanks. */
static void
mercury_trim_blanks(const char **s, int *len)
{
	while (*len > 0 && mercury_is_space(**s))
	{
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && mercury_is_space((*s)[*len - 1]))
		(*len)--;
}

/* The same, inline for the usual value that has no blanks to trim. */
static pg_attribute_always_inline void
mercury_trim(const char **s, int *len)
{
	if (*len > 0 && !mercury_is_space(**s) &&
		!mercury_is_space((*s)[*len - 1]))
		return;
	mercury_trim_blanks(s, len);
}

/*
 * ---------------------------------------------------------------------
 * Plan time: required conditions and options
 * ---------------------------------------------------------------------
 */

/*
 * A *ChangesList needs beginDate: begin_date = / IN (...) or a lower
 * update_date bound; a keyed list its key; a plain list nothing.
 */
bool
vetis_has_required(const VetisOp *op, const int *pushed)
{
	switch (op->kind)
	{
		case VK_CHANGES:
			return (pushed[op->col_begin] & ((1 << PAGED_OP_EQ) | (1 << PAGED_OP_IN))) != 0 ||
				(pushed[op->col_update] &
				 ((1 << PAGED_OP_GT) | (1 << PAGED_OP_GE) | (1 << PAGED_OP_EQ))) != 0;
		case VK_KEYED:
			return (pushed[op->col_key] & ((1 << PAGED_OP_EQ) | (1 << PAGED_OP_IN))) != 0;
		case VK_PLAIN:
			break;
	}
	return true;
}

static const VetisOp *
vetis_op_of(const PagedOptions *opts)
{
	const VetisOp *op = vetis_find_op(opts->resource);

	if (op == NULL)
		elog(ERROR, "unknown VetIS resource \"%s\"", opts->resource);
	return op;
}

/*
 * Where the requests of "op" go: the server url is the services base
 * (".../platform/services/2.1"), to which the operation's service is
 * appended.  A url that already ends in a service name (the contract
 * before there was more than one service) is used as it is for that
 * service's operations, and is an error for the others.
 */
static char *
vetis_url(const PagedOptions *opts, const VetisOp *op)
{
	const char *url = opts->url;
	size_t		len = strlen(url);
	int			i;

	while (len > 0 && url[len - 1] == '/')
		len--;
	for (i = 0; vetis_services[i] != NULL; i++)
	{
		size_t		slen = strlen(vetis_services[i]);

		if (len > slen && url[len - slen - 1] == '/' &&
			memcmp(url + len - slen, vetis_services[i], slen) == 0)
		{
			ForeignServer *server;

			if (strcmp(vetis_services[i], op->service) == 0)
				return pnstrdup(url, len);
			server = GetForeignServer(opts->serverid);
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("url of server \"%s\" ends in service %s, but resource \"%s\" is served by %s",
							server->servername, vetis_services[i],
							op->resource, op->service),
					 errdetail("%s is an operation of %s; the url names a single service.",
							   op->operation, op->service),
					 errhint("Set the url to the services base, \"%.*s\", and each resource appends its service: ALTER SERVER %s OPTIONS (SET url '%.*s').",
							 (int) (len - slen - 1), url,
							 quote_identifier(server->servername),
							 (int) (len - slen - 1), url)));
		}
	}
	return psprintf("%.*s/%s", (int) len, url, op->service);
}

void
vetis_check_options(const PagedOptions *opts)
{
	const VetisOp *op = vetis_op_of(opts);
	const char *missing = NULL;

	if (opts->user == NULL || opts->user[0] == '\0')
		missing = "user";
	else if (opts->password == NULL || opts->password[0] == '\0')
		missing = "password";

	if (missing != NULL)
	{
		ForeignServer *server = GetForeignServer(opts->serverid);

		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("user mapping for server \"%s\" has no option \"%s\"",
						server->servername, missing),
				 errdetail("%s uses HTTP Basic authentication with the user mapping's options \"user\" and \"password\".",
						   op->operation),
				 errhint("Use CREATE USER MAPPING FOR CURRENT_USER SERVER %s OPTIONS (user '...', password '...'), or ALTER USER MAPPING ... OPTIONS (ADD %s '...').",
						 quote_identifier(server->servername), missing)));
	}
	if (opts->url != NULL)
		(void) vetis_url(opts, op);
}

void
vetis_begin(ResourceCtx *ctx)
{
	VetisScan  *vs = MemoryContextAllocZero(ctx->scan_cxt, sizeof(VetisScan));
	int			c;

	/* Basic authentication: nothing to obtain before the first page. */
	vs->op = vetis_op_of(ctx->opts);
	vs->url = MemoryContextStrdup(ctx->scan_cxt, vetis_url(ctx->opts, vs->op));
	vs->keep_tree = (ctx->want == NULL);
	for (c = 0; c < vs->op->ncolumns && !vs->keep_tree; c++)
		if (ctx->want[c] && vs->op->columns[c].typid == JSONBOID)
			vs->keep_tree = true;
	ctx->state = vs;
}

bool
vetis_reauth(ResourceCtx *ctx)
{
	/* Basic credentials cannot be refreshed; a 401 is final. */
	return false;
}

/*
 * ---------------------------------------------------------------------
 * Streams: the update-date interval of the scan
 * ---------------------------------------------------------------------
 */

/* Earliest beginDate we send: xs:dateTime years before 1 are murky. */
static TimestampTz
mercury_min_send_ts(void)
{
	return (TimestampTz) (date2j(1, 1, 1) - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY;
}

static void
mercury_raise_begin(bool *has, TimestampTz *begin, TimestampTz v)
{
	if (!*has || v > *begin)
		*begin = v;
	*has = true;
}

/* +infinity as an upper bound constrains nothing. */
static void
mercury_lower_end(bool *has, TimestampTz *end, TimestampTz v)
{
	if (TIMESTAMP_IS_NOEND(v))
		return;
	if (!*has || v < *end)
		*end = v;
	*has = true;
}

static int
mercury_ts_cmp(const void *a, const void *b)
{
	TimestampTz x = *(const TimestampTz *) a;
	TimestampTz y = *(const TimestampTz *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/*
 * Apply "begin_date = v" or "begin_date IN (...)" to the set of begin dates
 * asked for: the first condition gives the set (sorted, duplicates dropped),
 * later ones intersect it.  *begins == NULL means "not constrained yet".
 */
static void
mercury_constrain_begins(const PushedValue *pv, TimestampTz **begins, int *nbegins)
{
	TimestampTz *in = palloc(sizeof(TimestampTz) * Max(pv->nvalues, 1));
	int			n = 0;
	int			i;
	int			k = 0;

	for (i = 0; i < pv->nvalues; i++)
		in[i] = DatumGetTimestampTz(pv->values[i]);
	qsort(in, pv->nvalues, sizeof(TimestampTz), mercury_ts_cmp);
	for (i = 0; i < pv->nvalues; i++)
		if (i == 0 || in[i] != in[i - 1])
			in[n++] = in[i];
	if (*begins == NULL)
	{
		*begins = in;
		*nbegins = n;
		return;
	}
	for (i = 0; i < *nbegins; i++)
		if (n > 0 && bsearch(&(*begins)[i], in, n, sizeof(TimestampTz), mercury_ts_cmp))
			(*begins)[k++] = (*begins)[i];
	*nbegins = k;
}

/*
 * One stream per begin_date value asked for (each row carries the begin_date
 * of its request), else one for the update_date bounds; all share the upper
 * bound.
 */
static List *
mercury_changes_streams(const VetisOp *op, List *pushed_values)
{
	MercuryStream common;
	bool		has_lower = false;
	bool		has_ge = false;
	TimestampTz lower = 0;
	TimestampTz *begins = NULL;
	int			nbegins = 0;
	List	   *streams = NIL;
	ListCell   *lc;
	int			i;

	memset(&common, 0, sizeof(common));
	foreach(lc, pushed_values)
	{
		PushedValue *pv = (PushedValue *) lfirst(lc);
		TimestampTz v;

		if (pv->colno != op->col_begin && pv->colno != op->col_end &&
			pv->colno != op->col_update)
			continue;
		/* A comparison with NULL, an empty or all-NULL IN list: no row can match. */
		if (pv->nvalues == 0)
			return NIL;
		if (pv->colno == op->col_begin)
		{
			if (pv->op == PAGED_OP_EQ || pv->op == PAGED_OP_IN)
				mercury_constrain_begins(pv, &begins, &nbegins);
			continue;
		}
		/* IN lists are never declared pushable on the other columns. */
		if (pv->op == PAGED_OP_IN)
			continue;
		v = DatumGetTimestampTz(pv->values[0]);

		if (pv->colno == op->col_end)
		{
			if (pv->op == PAGED_OP_EQ)
			{
				if (common.has_end_eq && common.end_eq != v)
					return NIL;
				common.has_end_eq = true;
				common.end_eq = v;
				mercury_lower_end(&common.has_end, &common.end, v);
			}
		}
		else
		{
			switch (pv->op)
			{
					/*
					 * beginDate is inclusive: >= is sent exactly, > as
					 * >= and rechecked locally
					 */
				case PAGED_OP_GE:
					has_ge = true;
					/* FALLTHROUGH */
				case PAGED_OP_GT:
					mercury_raise_begin(&has_lower, &lower, v);
					break;
				case PAGED_OP_LT:
					mercury_lower_end(&common.has_end, &common.end, v);
					break;
				case PAGED_OP_EQ:
					/* the interval [v, v + 1 microsecond) */
					mercury_raise_begin(&has_lower, &lower, v);
					/* FALLTHROUGH */
				case PAGED_OP_LE:
					/* endDate is exclusive: send the next microsecond */
					if (TIMESTAMP_IS_NOBEGIN(v))
						mercury_lower_end(&common.has_end, &common.end, v);
					else if (!TIMESTAMP_IS_NOEND(v) && v < END_TIMESTAMP - 1)
						mercury_lower_end(&common.has_end, &common.end, v + 1);
					break;
				default:
					break;
			}
		}
	}

	if (begins == NULL && !has_lower)
		elog(ERROR, "%s scan has no lower bound for beginDate", op->operation);

	for (i = 0; i < (begins ? nbegins : 1); i++)
	{
		MercuryStream *ms;
		ResourceStream *stream;
		StringInfoData label;
		bool		has_begin = has_lower;
		TimestampTz begin = lower;

		if (begins)
			mercury_raise_begin(&has_begin, &begin, begins[i]);
		/* Remote dates are finite: nothing is updated at or after +infinity. */
		if (TIMESTAMP_IS_NOEND(begin))
			continue;
		if (begin < mercury_min_send_ts())
			begin = mercury_min_send_ts();
		if (common.has_end && common.end <= begin)
			continue;

		ms = palloc(sizeof(MercuryStream));
		*ms = common;
		ms->op = op;
		ms->no_recheck_lower = has_ge;
		ms->begin = begin;
		if (begins)
		{
			ms->has_begin_eq = true;
			ms->begin_eq = begins[i];
		}

		/* reads in messages: "page 2 of changes from ... to ..." */
		initStringInfo(&label);
		appendStringInfoString(&label, ms->has_end ? "changes from " : "changes since ");
		mercury_append_timestamp(&label, ms->begin, false);
		if (ms->has_end)
		{
			appendStringInfoString(&label, " to ");
			mercury_append_timestamp(&label, ms->end, false);
		}

		stream = palloc0(sizeof(ResourceStream));
		stream->label = label.data;
		stream->arg = ms;
		streams = lappend(streams, stream);
	}
	return streams;
}

/* A key value and its text as sent (canonical: equal texts, equal keys). */
typedef struct VetisKey
{
	char	   *text;
	Datum		value;
} VetisKey;

static int
vetis_key_cmp(const void *a, const void *b)
{
	return strcmp(((const VetisKey *) a)->text, ((const VetisKey *) b)->text);
}

static char *
vetis_key_text(const VetisOp *op, Datum d)
{
	if (op->key_typid == UUIDOID)
	{
		const unsigned char *u = DatumGetUUIDP(d)->data;

		return psprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
						u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7],
						u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
	}
	return psprintf("%d", DatumGetInt32(d));
}

/*
 * One stream per key value: "key = v" or "key IN (...)" give the set
 * (sorted, duplicates dropped), later conditions intersect it.
 */
static List *
vetis_keyed_streams(const VetisOp *op, List *pushed_values)
{
	VetisKey   *keys = NULL;
	int			nkeys = 0;
	List	   *streams = NIL;
	ListCell   *lc;
	int			i;

	foreach(lc, pushed_values)
	{
		PushedValue *pv = (PushedValue *) lfirst(lc);
		VetisKey   *in;
		int			n = 0;
		int			k = 0;

		if (pv->colno != op->col_key ||
			(pv->op != PAGED_OP_EQ && pv->op != PAGED_OP_IN))
			continue;
		in = palloc(sizeof(VetisKey) * Max(pv->nvalues, 1));
		for (i = 0; i < pv->nvalues; i++)
		{
			in[i].value = pv->values[i];
			in[i].text = vetis_key_text(op, pv->values[i]);
		}
		qsort(in, pv->nvalues, sizeof(VetisKey), vetis_key_cmp);
		for (i = 0; i < pv->nvalues; i++)
			if (i == 0 || strcmp(in[i].text, in[i - 1].text) != 0)
				in[n++] = in[i];
		if (keys == NULL)
		{
			keys = in;
			nkeys = n;
			continue;
		}
		for (i = 0; i < nkeys; i++)
			if (n > 0 && bsearch(&keys[i], in, n, sizeof(VetisKey), vetis_key_cmp))
				keys[k++] = keys[i];
		nkeys = k;
	}

	/* has_required made the planner insist on a key condition */
	if (keys == NULL)
		elog(ERROR, "%s scan started without a %s condition",
			 op->operation, op->key_column);

	for (i = 0; i < nkeys; i++)
	{
		MercuryStream *ms = palloc0(sizeof(MercuryStream));
		ResourceStream *stream = palloc0(sizeof(ResourceStream));

		ms->op = op;
		ms->key_text = keys[i].text;
		ms->key = keys[i].value;
		stream->label = psprintf("%s %s", op->key_column, keys[i].text);
		stream->arg = ms;
		streams = lappend(streams, stream);
	}
	return streams;
}

List *
vetis_make_streams(ResourceCtx *ctx, List *pushed_values)
{
	const VetisOp *op = ((VetisScan *) ctx->state)->op;
	MercuryStream *ms;
	ResourceStream *stream;

	if (op->kind == VK_CHANGES)
		return mercury_changes_streams(op, pushed_values);
	if (op->kind == VK_KEYED)
		return vetis_keyed_streams(op, pushed_values);

	/* a plain list: one stream, the whole list */
	ms = palloc0(sizeof(MercuryStream));
	ms->op = op;
	stream = palloc0(sizeof(ResourceStream));
	stream->label = pstrdup("the whole list");
	stream->arg = ms;
	return list_make1(stream);
}

/*
 * ---------------------------------------------------------------------
 * Request
 * ---------------------------------------------------------------------
 */

void
vetis_build_request(ResourceCtx *ctx, ResourceStream *stream,
					const PageCursor *cursor, HttpRequest *req)
{
	MercuryStream *ms = (MercuryStream *) stream->arg;
	const VetisOp *op = ms->op;
	StringInfoData body;
	StringInfoData ts;
	char		num[32];

	initStringInfo(&body);
	initStringInfo(&ts);

	appendStringInfoString(&body,
						   "<soapenv:Envelope xmlns:soapenv=\"" SOAP_ENV_NS "\"\n"
						   "    xmlns:ws=\"http://api.vetrf.ru/schema/cdm/registry/ws-definitions/v2\"\n"
						   "    xmlns:bs=\"http://api.vetrf.ru/schema/cdm/base\"");
	if (op->kind == VK_KEYED)
		appendStringInfoString(&body,
							   "\n    xmlns:dt=\"http://api.vetrf.ru/schema/cdm/dictionary/v2\"");
	appendStringInfo(&body,
					 ">\n"
					 "  <soapenv:Header/>\n"
					 "  <soapenv:Body>\n"
					 "    <ws:%s>\n"
					 "      <bs:listOptions>", op->request);
	snprintf(num, sizeof(num), "%d", cursor->count);
	mercury_append_element(&body, "", "bs:count", num);
	snprintf(num, sizeof(num), INT64_FORMAT, cursor->offset);
	mercury_append_element(&body, "", "bs:offset", num);
	appendStringInfoString(&body, "</bs:listOptions>\n");
	if (op->kind == VK_CHANGES)
	{
		appendStringInfoString(&body, "      <bs:updateDateInterval>\n");
		mercury_append_timestamp(&ts, ms->begin, true);
		mercury_append_element(&body, "        ", "bs:beginDate", ts.data);
		appendStringInfoChar(&body, '\n');
		if (ms->has_end)
		{
			resetStringInfo(&ts);
			mercury_append_timestamp(&ts, ms->end, true);
			mercury_append_element(&body, "        ", "bs:endDate", ts.data);
			appendStringInfoChar(&body, '\n');
		}
		appendStringInfoString(&body, "      </bs:updateDateInterval>\n");
	}
	else if (op->kind == VK_KEYED)
	{
		char	   *qname = psprintf("dt:%s", op->key_elem);

		if (op->key_inner != NULL)
		{
			char	   *inner = psprintf("bs:%s", op->key_inner);

			appendStringInfo(&body, "      <%s>", qname);
			mercury_append_element(&body, "", inner, ms->key_text);
			appendStringInfo(&body, "</%s>\n", qname);
		}
		else
		{
			mercury_append_element(&body, "      ", qname, ms->key_text);
			appendStringInfoChar(&body, '\n');
		}
	}
	appendStringInfo(&body,
					 "    </ws:%s>\n"
					 "  </soapenv:Body>\n"
					 "</soapenv:Envelope>\n", op->request);
	pfree(ts.data);

	req->operation = op->operation;
	req->url = pstrdup(((VetisScan *) ctx->state)->url);
	req->body = body.data;
	req->body_len = body.len;
	req->headers = list_make2(pstrdup("Content-Type: text/xml; charset=utf-8"),
							  psprintf("SOAPAction: \"%s\"", op->operation));
	req->secret_headers = NIL;
	req->basic_user = ctx->opts->user;
	req->basic_password = ctx->opts->password;
}

/*
 * ---------------------------------------------------------------------
 * Answer: libxml2's SAX2 parser
 * ---------------------------------------------------------------------
 *
 * The answer is read in one pass with callbacks, never built into a tree
 * or walked node by node (the streaming reader cost three times as much
 * CPU per page, and at high concurrency that CPU is what limits a scan).
 * The callbacks never ereport: the first problem is noted in the
 * MercuryParse and the parser stopped, and every text they keep goes into
 * one buffer allocated before parsing (decoded text is never longer than
 * its markup), so an ERROR never has to unwind through libxml2.
 */

static void mercury_xml_fail(MercuryParse *p, const char *fmt,...) pg_attribute_printf(2, 3);

/* Record the first problem and stop; the caller decides on the ERROR. */
static void
mercury_xml_fail(MercuryParse *p, const char *fmt,...)
{
	va_list		ap;
	char		msg[1024];
	int			n;

	if (p->failed)
		return;
	p->failed = true;
	p->errline = p->ctxt != NULL ? xmlSAX2GetLineNumber(p->ctxt) : 0;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* names from the document may be in it: redact before it is cut */
	n = Max(n, 0);
	http_redact_into(p->secrets, msg, Min((size_t) n, sizeof(msg) - 1),
					 (size_t) n >= sizeof(msg), p->errmsg, sizeof(p->errmsg));
	if (p->ctxt != NULL)
		xmlStopParser(p->ctxt);
}

/* Name of the tracked element at "level" of the path, for messages. */
static const char *
mercury_elem_name(const MercuryParse *p, int level)
{
	switch (p->stack[level])
	{
		case ME_ENVELOPE:
			return "Envelope";
		case ME_BODY:
			return "Body";
		case ME_RESPONSE:
			return p->op->response;
		case ME_LIST:
			return p->op->list;
		case ME_UNIT:
			return p->op->item;
		case ME_FIELD:
		case ME_NESTED:
			return p->nodestack[level] >= 0 ?
				p->nodes[p->nodestack[level]].name :
				(p->field >= 0 ? p->op->names[p->field] : "?");
		case ME_FAULT:
			return "Fault";
		case ME_FAULTSTRING:
			return "faultstring";
		case ME_DETAIL:
			return "detail";
	}
	return "?";
}

/*
 * libxml2's errors for this parser come here instead of PostgreSQL's
 * handler: we note the first one, stop, and turn it into our own message
 * with a cleaned excerpt afterwards.
 */
static void
mercury_xml_error(void *arg, MERCURY_XML_ERROR *error)
{
	xmlParserCtxtPtr ctxt;
	MercuryParse *p;

	if (error == NULL || error->level < XML_ERR_ERROR || error->ctxt == NULL)
		return;
	ctxt = (xmlParserCtxtPtr) error->ctxt;
	p = (MercuryParse *) ctxt->_private;
	if (p == NULL || p->failed)
		return;
	p->failed = true;
	p->errline = error->line;
	p->errcode = error->code;

	/* where it happened, to say which unit and column it concerns */
	p->erroffset = xmlByteConsumed(ctxt);
	if (p->erroffset >= 0)
		p->erroffset += p->skipped;
	if (ctxt->name != NULL)
		strlcpy(p->errelem, (const char *) ctxt->name, sizeof(p->errelem));

	/*
	 * libxml2 says "Extra content at the end of the document" also when the
	 * document merely stopped early; its stack of open elements tells the
	 * two apart.
	 */
	if (error->code == XML_ERR_DOCUMENT_END && ctxt->nameNr > 0 &&
		ctxt->name != NULL)
	{
		char		name[64];

		http_redact_into(p->secrets, (const char *) ctxt->name,
						 strlen((const char *) ctxt->name), false,
						 name, sizeof(name));
		snprintf(p->errmsg, sizeof(p->errmsg),
				 "The document ends inside <%s>: it is truncated", name);
	}
	else
	{
		const char *m = error->message != NULL ? error->message : "XML error";

		/* libxml2 quotes names and text of the document */
		http_redact_into(p->secrets, m, strlen(m), false,
						 p->errmsg, sizeof(p->errmsg));
	}
	xmlStopParser(ctxt);
}

/* Non-negative integer attribute (the list's total/count/offset). */
static bool
mercury_parse_attr_int(const char *s, int len, int64 *result)
{
	int64		v = 0;
	int			i;

	mercury_trim(&s, &len);
	if (len == 0 || len > 18)
		return false;
	for (i = 0; i < len; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*result = v;
	return true;
}

/*
 * SAX2 passes attributes as five pointers each: local name, prefix, URI,
 * value start and value end (values are not NUL-terminated).
 */
#define MERCURY_ATTR_FIELDS	5

static void
mercury_read_list_attrs(MercuryParse *p, int nattrs, const xmlChar **attrs)
{
	int			i;

	for (i = 0; i < nattrs; i++)
	{
		const xmlChar **a = attrs + i * MERCURY_ATTR_FIELDS;
		const char *name = (const char *) a[0];
		const char *value = (const char *) a[3];
		int			len = (int) (a[4] - a[3]);
		int64	   *target = NULL;

		/* qualified attributes are not ours */
		if (a[2] != NULL)
			continue;
		if (strcmp(name, "total") == 0)
			target = &p->total;
		else if (strcmp(name, "count") == 0)
			target = &p->count;
		else if (strcmp(name, "offset") == 0)
			target = &p->offset;
		if (strcmp(name, "hasMore") == 0)
		{
			const char *v = value;
			int			vlen = len;

			/* xs:boolean */
			mercury_trim(&v, &vlen);
			if ((vlen == 4 && memcmp(v, "true", 4) == 0) || (vlen == 1 && v[0] == '1'))
				p->has_more = 1;
			else if ((vlen == 5 && memcmp(v, "false", 5) == 0) || (vlen == 1 && v[0] == '0'))
				p->has_more = 0;
			else
			{
				char		shown[48];

				http_redact_into(p->secrets, value, len, false,
								 shown, sizeof(shown) - 4);
				mercury_xml_fail(p, "%s attribute hasMore=\"%s\" is not a boolean",
								 p->op->list, shown);
				return;
			}
			continue;
		}
		if (target != NULL && !mercury_parse_attr_int(value, len, target))
		{
			char		shown[48];

			/* redacted before it is cut to 40 bytes */
			http_redact_into(p->secrets, value, len, false,
							 shown, sizeof(shown) - 4);
			mercury_xml_fail(p,
							 "%s attribute %s=\"%s\" is not a non-negative integer",
							 p->op->list, name, shown);
			return;
		}
	}
}

/* xsi:nil="true" on a unit field means an absent value. */
static bool
mercury_is_nil(int nattrs, const xmlChar **attrs)
{
	bool		nil = false;
	int			i;

	for (i = 0; i < nattrs; i++)
	{
		const xmlChar **a = attrs + i * MERCURY_ATTR_FIELDS;

		if (a[2] != NULL && strcmp((const char *) a[0], "nil") == 0 &&
			strcmp((const char *) a[2], XSI_NS) == 0)
		{
			const char *v = (const char *) a[3];
			int			len = (int) (a[4] - a[3]);

			mercury_trim(&v, &len);
			nil = (len == 4 && strncmp(v, "true", 4) == 0) ||
				(len == 1 && v[0] == '1');
		}
	}
	return nil;
}

/* Whether s[0..len) lies within the body the scanner reads. */
static inline bool
mercury_in_body(const MercuryParse *p, const char *s, size_t len)
{
	uintptr_t	off = (uintptr_t) s - (uintptr_t) p->body;

	return off < p->bodylen && len <= p->bodylen - off;
}

/*
 * Start keeping the text of the element just opened (unless "keep" is
 * false); "direct": it need not be NUL-terminated (see MercuryParse.body).
 */
static inline void
mercury_text_begin(MercuryParse *p, bool keep, bool direct)
{
	p->collect = keep;
	p->text_start = p->used;
	p->direct = direct && p->body != NULL;
	p->piece = NULL;
}

/* End of a kept text: NUL-terminate it (unless it is a piece of the body). */
static inline const char *
mercury_text_end(MercuryParse *p, int *len)
{
	p->collect = false;
	if (p->piece != NULL)
	{
		p->used_body = true;
		*len = p->piecelen;
		return p->piece;
	}
	*len = p->used - p->text_start;
	p->buf[p->used++] = '\0';
	return p->buf + p->text_start;
}

/* An element we track has ended (end tag, or it was empty). */
static void
mercury_xml_close(MercuryParse *p)
{
	MercuryElem e = p->stack[--p->depth];
	int			node = p->nodestack[p->depth];

	switch (e)
	{
		case ME_FIELD:
		case ME_NESTED:
			if (p->collect)
			{
				int			len;
				const char *text = mercury_text_end(p, &len);

				if (p->field >= 0)
				{
					MercuryUnit *u = &p->units[p->nunits - 1];

					u->val[p->field] = text;
					u->len[p->field] = len;
				}
				if (node >= 0)
				{
					/* with a tree, every text is in p->buf */
					Assert(text >= p->buf && text < p->buf + p->size);
					p->nodes[node].off = text - p->buf;
					p->nodes[node].len = len;
				}
			}
			if (node >= 0)
				p->nodes[node].end = p->nnodes;
			if (e == ME_FIELD)
				p->field = -1;
			break;
		case ME_UNIT:
			p->units[p->nunits - 1].end_node = p->nnodes;
			p->leaf_depth = -1;
			break;
		case ME_FAULTSTRING:
			if (p->collect)
			{
				int			len;

				p->faultstring = mercury_text_end(p, &len);
			}
			break;
		default:
			break;
	}
}

/* A new item element: a record with no fields at the end of the array. */
static bool
mercury_add_unit(MercuryParse *p)
{
	MercuryUnit *u;

	if (p->nunits >= MERCURY_MAX_PAGE)
	{
		mercury_xml_fail(p, "%s holds more than %d %s elements",
						 p->op->list, MERCURY_MAX_PAGE, p->op->item);
		return false;
	}
	if (p->nunits == p->maxunits)
	{
		/*
		 * The list's count says how many items follow: one allocation for
		 * them (a page has at most MERCURY_MAX_PAGE), not a doubling series
		 * of copies.  A count that is missing or too small only costs copies.
		 * No ERROR inside a callback: allocate without one.
		 */
		int			n;
		MercuryUnit *units;

		if (p->maxunits == 0)
			n = p->count > 0 ? (int) Min(p->count, MERCURY_MAX_PAGE) : 64;
		else
			n = Min(p->maxunits * 2, MERCURY_MAX_PAGE);
		units = palloc_extended(sizeof(MercuryUnit) * n, MCXT_ALLOC_NO_OOM);

		if (units == NULL)
		{
			mercury_xml_fail(p, "out of memory for %d items", n);
			return false;
		}
		if (p->nunits > 0)
		{
			memcpy(units, p->units, sizeof(MercuryUnit) * p->nunits);
			pfree(p->units);
		}
		p->units = units;
		p->maxunits = n;
	}
	u = &p->units[p->nunits++];
	p->unit = u;
	/* all of them: a constant size, which the compiler clears inline */
	memset(u->val, 0, sizeof(u->val));
	u->seen = 0;
	u->first_node = u->end_node = p->nnodes;
	p->next_field = 0;
	return true;
}

/*
 * A node for an element inside an item (only when the tree is kept).  Its
 * name must outlive the parser: a static name where we know it, else a
 * copy in the text buffer (which has room: the name is in the markup).
 */
static int
vetis_add_node(MercuryParse *p, int field, const xmlChar *lname)
{
	VetisNode  *n;
	const char *name;

	if (p->nnodes == p->maxnodes)
	{
		int			max = p->maxnodes == 0 ? 1024 : p->maxnodes * 2;
		VetisNode  *nodes;

		if (max > INT_MAX / 2 / (int) sizeof(VetisNode))
		{
			mercury_xml_fail(p, "The answer has too many elements");
			return -1;
		}
		nodes = palloc_extended(sizeof(VetisNode) * max, MCXT_ALLOC_NO_OOM);
		if (nodes == NULL)
		{
			mercury_xml_fail(p, "out of memory for %d elements", max);
			return -1;
		}
		if (p->nnodes > 0)
		{
			memcpy(nodes, p->nodes, sizeof(VetisNode) * p->nnodes);
			pfree(p->nodes);
		}
		p->nodes = nodes;
		p->maxnodes = max;
	}
	if (field >= 0)
		name = p->op->names[field];
	else
	{
		size_t		len = strlen((const char *) lname);

		name = vetis_nested_name((const char *) lname, len);
		if (name == NULL)
		{
			if (len + 1 > p->size - p->used)
			{
				mercury_xml_fail(p, "The names of the answer are longer than the answer");
				return -1;
			}
			memcpy(p->buf + p->used, lname, len + 1);
			name = p->buf + p->used;
			p->used += len + 1;
		}
	}
	n = &p->nodes[p->nnodes];
	n->name = name;
	n->end = p->nnodes + 1;
	n->off = VN_NIL;
	n->len = 0;
	return p->nnodes++;
}

/*
 * Which item field a local name is.  libxml2 hands out names from its
 * dictionary, so comparing pointers with the interned field names is
 * enough; the string comparison only runs for names we do not map.
 */
static inline int
mercury_field_index(const MercuryParse *p, const xmlChar *lname)
{
	int			nfields = p->nfields;
	int			f;

	for (f = 0; f < nfields; f++)
	{
		if (lname == p->field_names[f])
			return f;
	}
	for (f = 0; f < nfields; f++)
	{
		if (strcmp((const char *) lname, p->op->names[f]) == 0)
			return f;
	}
	return -1;
}

static bool
mercury_is_soap(const xmlChar *lname, const xmlChar *ns, const char *name)
{
	return strcmp((const char *) lname, name) == 0 && ns != NULL &&
		strcmp((const char *) ns, SOAP_ENV_NS) == 0;
}

/* A start tag: decide from its parent what it is, and whether to look in. */
static void
mercury_sax_start(void *arg, const xmlChar *lname, const xmlChar *prefix,
				  const xmlChar *ns, int nnamespaces,
				  const xmlChar **namespaces, int nattrs, int ndefaulted,
				  const xmlChar **attrs)
{
	MercuryParse *p = (MercuryParse *) arg;
	const char *name = (const char *) lname;
	MercuryElem kind;
	int			node = -1;

	if (p->failed)
		return;
	if (p->skip > 0)
	{
		p->skip++;
		return;
	}

	if (p->depth == 0)
	{
		if (!mercury_is_soap(lname, ns, "Envelope"))
		{
			mercury_xml_fail(p,
							 "The root element is <%s> in namespace \"%.80s\", not a SOAP 1.1 Envelope (namespace \"" SOAP_ENV_NS "\")",
							 name, ns ? (const char *) ns : "");
			return;
		}
		kind = ME_ENVELOPE;
	}
	else
	{
		switch (p->stack[p->depth - 1])
		{
			case ME_ENVELOPE:
				/* Header and any extension elements are of no interest */
				if (!mercury_is_soap(lname, ns, "Body"))
				{
					p->skip = 1;
					return;
				}
				if (p->seen_body)
				{
					mercury_xml_fail(p, "The Envelope has more than one Body");
					return;
				}
				p->seen_body = true;
				kind = ME_BODY;
				break;

			case ME_BODY:
				if (mercury_is_soap(lname, ns, "Fault"))
				{
					p->is_fault = true;
					kind = ME_FAULT;
				}
				else if (strcmp(name, p->op->response) == 0)
				{
					if (p->seen_response)
					{
						mercury_xml_fail(p,
										 "The Body has more than one %s",
										 p->op->response);
						return;
					}
					p->seen_response = true;
					kind = ME_RESPONSE;
				}
				else
				{
					mercury_xml_fail(p,
									 "Unexpected element <%s> in the SOAP Body",
									 name);
					return;
				}
				break;

			case ME_RESPONSE:
				if (strcmp(name, p->op->list) != 0)
				{
					p->skip = 1;
					return;
				}
				if (p->seen_list)
				{
					mercury_xml_fail(p, "%s has more than one %s",
									 p->op->response, p->op->list);
					return;
				}
				p->seen_list = true;
				mercury_read_list_attrs(p, nattrs, attrs);
				if (p->failed)
					return;
				kind = ME_LIST;
				break;

			case ME_LIST:
				/*
				 * By name: a pointer equal to an earlier item's name may be
				 * another name the scanner copied to the same place.
				 */
				if (strcmp(name, p->op->item) != 0)
				{
					p->skip = 1;
					return;
				}
				/* the scanner's next ones are most likely this pointer too */
				p->unit_name = lname;
				if (!mercury_add_unit(p))
					return;
				kind = ME_UNIT;
				break;

			case ME_UNIT:
				{
					MercuryUnit *u = &p->units[p->nunits - 1];
					int			f = mercury_field_index(p, lname);

					if (f >= 0 && p->op->scalar[f])
					{
						/* the hot path: a scalar column's element */
						if (u->seen & (1U << f))
						{
							mercury_xml_fail(p,
											 "%s %d has more than one %s element",
											 p->op->item, p->nunits, p->op->names[f]);
							return;
						}
						u->seen |= 1U << f;
						p->field = f;
					}
					else if (!p->keep_tree)
					{
						/* unknown and jsonb elements only matter for a tree */
						p->skip = 1;
						return;
					}
					else
						p->field = -1;	/* jsonb, unknown: only in the tree */
					if (p->keep_tree)
					{
						node = vetis_add_node(p, f, lname);
						if (node < 0)
							return;
					}
					/* a tree's nodes need their texts in p->buf */
					mercury_text_begin(p, nattrs == 0 || !mercury_is_nil(nattrs, attrs),
									   !p->keep_tree);
					kind = ME_FIELD;
				}
				break;

			case ME_FIELD:
			case ME_NESTED:
				{
					int			parent = p->nodestack[p->depth - 1];

					/* a scalar column's element has no children */
					if (p->stack[p->depth - 1] == ME_FIELD && p->field >= 0)
					{
						mercury_xml_fail(p,
										 "Element %s of %s %d has child elements",
										 p->op->names[p->field], p->op->item,
										 p->nunits);
						return;
					}
					if (parent < 0)
					{
						p->skip = 1;
						return;
					}
					/* the parent is complex: its text (blanks) is dropped */
					if (p->nodes[parent].off != VN_COMPLEX)
					{
						if (p->collect)
							p->used = p->text_start;
						p->collect = false;
						p->nodes[parent].off = VN_COMPLEX;
					}
					node = vetis_add_node(p, -1, lname);
					if (p->failed)
						return;
					mercury_text_begin(p, nattrs == 0 || !mercury_is_nil(nattrs, attrs),
									   false);
					kind = ME_NESTED;
				}
				break;

			case ME_FAULT:
				if (strcmp(name, "faultstring") == 0)
				{
					/* the first one is quoted */
					mercury_text_begin(p, p->faultstring == NULL, false);
					kind = ME_FAULTSTRING;
				}
				else if (strcmp(name, "detail") == 0)
					kind = ME_DETAIL;
				else
				{
					p->skip = 1;
					return;
				}
				break;

			case ME_DETAIL:
				/* the first element under detail names the fault */
				if (p->fault_kind == NULL)
				{
					/* quoted in the ERROR: redacted before it is cut */
					http_redact_into(p->secrets, name, strlen(name), false,
									 p->fault_kind_buf, sizeof(p->fault_kind_buf));
					p->fault_kind = p->fault_kind_buf;
				}
				p->skip = 1;
				return;

			default:
				mercury_xml_fail(p, "Unexpected element <%s> inside <%s>",
								 name, mercury_elem_name(p, p->depth - 1));
				return;
		}
	}

	if (p->depth >= MERCURY_MAX_DEPTH)
	{
		mercury_xml_fail(p, "Elements are nested too deeply");
		return;
	}
	p->nodestack[p->depth] = node;
	p->stack[p->depth++] = kind;
	/* (skip is 0 here; a field would be pushed one deeper) */
	if (kind == ME_UNIT && !p->keep_tree && p->depth < MERCURY_MAX_DEPTH)
		p->leaf_depth = p->depth;
}

static void
mercury_sax_end(void *arg, const xmlChar *lname, const xmlChar *prefix,
				const xmlChar *ns)
{
	MercuryParse *p = (MercuryParse *) arg;

	if (p->failed)
		return;
	if (p->skip > 0)
		p->skip--;
	else if (p->depth > 0)
		mercury_xml_close(p);
}

/* Text and CDATA, in as many pieces as libxml2 likes. */
static void
mercury_sax_text(void *arg, const xmlChar *ch, int len)
{
	MercuryParse *p = (MercuryParse *) arg;

	if (!p->collect || p->skip > 0 || p->failed || len <= 0)
		return;
	if (p->direct)
	{
		/* the first piece, if it is in the body: only point to it */
		if (p->piece == NULL && mercury_in_body(p, (const char *) ch, len))
		{
			p->piece = (const char *) ch;
			p->piecelen = len;
			return;
		}
		/* more pieces (an entity between them): copy them all */
		p->direct = false;
		if (p->piece != NULL)
		{
			const char *piece = p->piece;

			p->piece = NULL;
			mercury_sax_text(arg, (const xmlChar *) piece, p->piecelen);
			if (p->failed)
				return;
		}
	}
	/* cannot happen (see mercury_parse_xml), but never write past the end */
	if ((size_t) len >= p->size - p->used)
	{
		mercury_xml_fail(p, "The text of the answer is longer than the answer");
		return;
	}
	memcpy(p->buf + p->used, ch, len);
	p->used += len;
}

static void
mercury_sax_doctype(void *arg, const xmlChar *name, const xmlChar *publicid,
					const xmlChar *systemid)
{
	/* SOAP 1.1 forbids a DTD; refusing it also refuses entities */
	mercury_xml_fail((MercuryParse *) arg,
					 "A SOAP message must not contain a DOCTYPE declaration");
}

static void
mercury_sax_reference(void *arg, const xmlChar *name)
{
	mercury_xml_fail((MercuryParse *) arg, "Entity references are not allowed");
}

/*
 * Look at the prolog (what precedes the root element) before libxml2 does.
 * SOAP 1.1 forbids a document type declaration, and without one there can
 * be no entity declarations: no external entity to fetch or read, no
 * internal entity to multiply ("billion laughs").  Refusing it here means
 * libxml2 never parses a DTD at all, whatever its version and options do
 * with one.  Only UTF-8 (or ASCII-compatible) answers are accepted, so that
 * this byte-wise look cannot be bypassed with another encoding.
 */
static bool
mercury_check_prolog(const char *body, size_t len, MercuryParse *p)
{
	const unsigned char *s = (const unsigned char *) body;
	size_t		i = 0;

	if (len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
		i = 3;					/* UTF-8 byte order mark */
	else if (len >= 2 && ((s[0] == 0xFE && s[1] == 0xFF) ||
						  (s[0] == 0xFF && s[1] == 0xFE) ||
						  s[0] == 0 || s[1] == 0))
	{
		mercury_xml_fail(p, "The answer is not UTF-8 encoded");
		return false;
	}

	for (;;)
	{
		const char *end;
		const char *close;

		while (i < len && mercury_is_space(s[i]))
			i++;
		if (i + 1 < len && s[i] == '<' && s[i + 1] == '?')
			close = "?>";
		else if (i + 3 < len && memcmp(s + i, "<!--", 4) == 0)
			close = "-->";
		else if (i + 1 < len && s[i] == '<' && s[i + 1] == '!')
		{
			mercury_xml_fail(p,
							 "A SOAP message must not contain a DOCTYPE declaration");
			return false;
		}
		else
			return true;		/* the root element, or something libxml2 will refuse */
		end = memmem(s + i + 2, len - i - 2, close, strlen(close));
		if (end == NULL)
			return true;		/* unterminated: libxml2 will say so */
		i = (const unsigned char *) end - s + strlen(close);
	}
}

/*
 * The parser for an answer: SAX2 callbacks for elements, text, CDATA and
 * (to refuse them) DOCTYPE and entity references, and nothing else, so it
 * has no way to load a DTD or an external entity or to define an entity.
 * XML_PARSE_NONET only: never NOENT (entity substitution), DTDLOAD,
 * DTDATTR, DTDVALID, XINCLUDE or HUGE (which lifts libxml2's limits on
 * text size, depth and entity amplification).  pg_xml_init has also
 * installed PostgreSQL's entity loader, which loads nothing.  The answer
 * is read as UTF-8 whatever its XML declaration or first bytes say, so
 * that no other encoding can hide markup from the prolog check.
 */
static xmlParserCtxtPtr
mercury_parser_open(MercuryParse *p)
{
	static xmlSAXHandler sax;
	xmlParserCtxtPtr ctxt;
	int			f;

	if (sax.initialized != XML_SAX2_MAGIC)
	{
		memset(&sax, 0, sizeof(sax));
		sax.startElementNs = mercury_sax_start;
		sax.endElementNs = mercury_sax_end;
		sax.characters = mercury_sax_text;
		sax.ignorableWhitespace = mercury_sax_text;
		sax.cdataBlock = mercury_sax_text;
		sax.internalSubset = mercury_sax_doctype;
		sax.reference = mercury_sax_reference;
		sax.serror = mercury_xml_error;
		sax.initialized = XML_SAX2_MAGIC;
	}

	ctxt = xmlCreatePushParserCtxt(&sax, p, NULL, 0, NULL);
	if (ctxt == NULL)
		return NULL;
	ctxt->_private = p;
	xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_IGNORE_ENC);
	/* no detection of the encoding from the first bytes */
	xmlSwitchEncoding(ctxt, XML_CHAR_ENCODING_UTF8);

	for (f = 0; f < p->op->type->nfields; f++)
		p->field_names[f] = xmlDictLookup(ctxt->dict,
										  (const xmlChar *) p->op->names[f], -1);
	p->unit_name = xmlDictLookup(ctxt->dict, (const xmlChar *) p->op->item, -1);
	return ctxt;
}

static void
mercury_parse_init(MercuryParse *p, const VetisOp *op, bool keep_tree)
{
	memset(p, 0, sizeof(MercuryParse));
	p->op = op;
	p->nfields = op->type->nfields;
	p->keep_tree = keep_tree;
	p->field = -1;
	p->total = -1;
	p->count = -1;
	p->offset = -1;
	p->has_more = -1;
	p->erroffset = -1;
	p->leaf_depth = -1;
}

/*
 * Read an answer with libxml2 (mercury_parse_xml checks the prolog first).
 * The parser is freed and libxml2's global state restored on every path.
 */
static void
mercury_parse_body(const char *body, size_t len, MercuryParse *p)
{
	PgXmlErrorContext *xmlerrcxt;
	volatile bool done = false;

	xmlerrcxt = pg_xml_init(PG_XML_STRICTNESS_ALL);
	PG_TRY();
	{
		int			ret;

		xmlResetLastError();
		p->ctxt = mercury_parser_open(p);
		if (p->ctxt == NULL || p->field_names[0] == NULL || p->unit_name == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory"),
					 errdetail("Could not create an XML parser.")));

		/*
		 * With the encoding fixed before any input, libxml2 would take a
		 * byte order mark for text: it is skipped here instead.
		 */
		if (len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0)
			p->skipped = 3;
		ret = xmlParseChunk(p->ctxt, body + p->skipped, (int) (len - p->skipped), 1);

		if (!p->failed && (ret != 0 || !p->ctxt->wellFormed))
		{
			/* an error that did not reach our handler */
			const xmlError *e = xmlCtxtGetLastError(p->ctxt);

			mercury_xml_fail(p, "%s",
							 e != NULL && e->message != NULL ?
							 e->message : "The XML parser failed");
		}
		if (!p->failed && pg_xml_error_occurred(xmlerrcxt))
			mercury_xml_fail(p, "libxml2 reported an error outside the parser");
		done = true;
	}
	PG_FINALLY();
	{
		if (p->ctxt != NULL)
		{
			/* libxml2 makes a document for a DTD even in SAX mode */
			if (p->ctxt->myDoc != NULL)
				xmlFreeDoc(p->ctxt->myDoc);
			xmlFreeParserCtxt(p->ctxt);
		}
		p->ctxt = NULL;
		pg_xml_done(xmlerrcxt, !done || pg_xml_error_occurred(xmlerrcxt));
	}
	PG_END_TRY();
}

/*
 * Which item field a name from the scanner is (nfields: none).  The
 * scanner hands out field names as these very pointers, and fields come
 * in schema order with some left out: look from the one expected next on.
 * (Out of line: the callbacks try the one expected next themselves.)
 */
static pg_noinline int
mercury_scan_field(const MercuryParse *p, const char *lname)
{
	int			f;

	for (f = p->next_field; f < p->nfields; f++)
		if ((const xmlChar *) lname == p->field_names[f])
			return f;
	for (f = 0; f < p->next_field && f < p->nfields; f++)
		if ((const xmlChar *) lname == p->field_names[f])
			return f;
	return p->nfields;
}

/*
 * The fast path: src/xmlscan.c calls the same callbacks as libxml2 would,
 * for the answers it can be sure about (see xmlscan.h).  The elements of
 * an item that are scalar fields, without a tree, are most of the calls:
 * they are handled here directly when nothing unusual is about them
 * (attributes, a field seen before), the rest by the SAX callbacks.
 */
/*
 * An item's start tag in a list, known to be one (mercury_scan_start,
 * mercury_run_start): a unit added and the item open, as
 * mercury_sax_start would leave them.
 */
static pg_attribute_always_inline bool
mercury_item_begin(MercuryParse *p)
{
	if (!mercury_add_unit(p))
		return false;
	p->nodestack[p->depth] = -1;
	p->stack[p->depth++] = ME_UNIT;
	if (!p->keep_tree)
		p->leaf_depth = p->depth;
	return true;
}

static bool
mercury_scan_start(void *arg, const char *lname, const char *prefix,
				   const char *uri, int nattrs, const char **attrs)
{
	MercuryParse *p = (MercuryParse *) arg;

	if (p->skip == 0 && p->depth > 0 && p->depth < MERCURY_MAX_DEPTH &&
		p->stack[p->depth - 1] == ME_UNIT && nattrs == 0 && !p->keep_tree)
	{
		MercuryUnit *u = &p->units[p->nunits - 1];
		int			f = mercury_scan_field(p, lname);

		if (f < p->nfields && p->op->scalar[f] && !(u->seen & (1U << f)))
		{
			u->seen |= 1U << f;
			p->field = f;
			p->next_field = f + 1;
			mercury_text_begin(p, true, true);
			p->nodestack[p->depth] = -1;
			p->stack[p->depth++] = ME_FIELD;
			return true;
		}
	}
	else if (p->skip == 0 && p->depth > 0 && p->depth < MERCURY_MAX_DEPTH &&
			 p->stack[p->depth - 1] == ME_LIST &&
			 (const xmlChar *) lname == p->unit_name &&
			 strcmp(lname, p->op->item) == 0)
	{
		/*
		 * An item, named as the one before (the pointer alone is no proof,
		 * see mercury_sax_start): what mercury_sax_start does.
		 */
		return mercury_item_begin(p);
	}
	mercury_sax_start(p, (const xmlChar *) lname, (const xmlChar *) prefix,
					  (const xmlChar *) uri, 0, NULL, nattrs, 0,
					  (const xmlChar **) attrs);
	return !p->failed;
}

static pg_attribute_always_inline bool
mercury_scan_end_inline(MercuryParse *p, const char *lname, const char *prefix,
						const char *uri)
{
	if (p->skip == 0 && p->depth > 0 && p->stack[p->depth - 1] == ME_FIELD &&
		p->field >= 0 && p->nodestack[p->depth - 1] < 0)
	{
		p->depth--;
		if (p->collect)
		{
			MercuryUnit *u = &p->units[p->nunits - 1];

			u->val[p->field] = mercury_text_end(p, &u->len[p->field]);
		}
		p->field = -1;
		return true;
	}
	if (p->skip == 0 && p->depth > 0 && p->stack[p->depth - 1] == ME_UNIT)
	{
		/* an item's end: what mercury_xml_close does for it */
		p->depth--;
		p->unit->end_node = p->nnodes;
		p->leaf_depth = -1;
		return true;
	}
	mercury_sax_end(p, (const xmlChar *) lname, (const xmlChar *) prefix,
					(const xmlChar *) uri);
	return !p->failed;
}

static bool
mercury_scan_end(void *arg, const char *lname, const char *prefix,
				 const char *uri)
{
	return mercury_scan_end_inline((MercuryParse *) arg, lname, prefix, uri);
}

static pg_attribute_always_inline bool
mercury_scan_text_inline(MercuryParse *p, const char *s, size_t len)
{
	/* nothing kept (white space between items): mercury_sax_text's test */
	if (!p->collect)
		return !p->failed;
	/* a field's text in one piece: only point to it (see mercury_sax_text) */
	if (p->direct && p->piece == NULL && p->skip == 0 &&
		len > 0 && mercury_in_body(p, s, len))
	{
		p->piece = s;
		p->piecelen = (int) len;
		return true;
	}
	mercury_sax_text(p, (const xmlChar *) s, (int) len);
	return !p->failed;
}

static bool
mercury_scan_text(void *arg, const char *s, size_t len)
{
	return mercury_scan_text_inline((MercuryParse *) arg, s, len);
}

/*
 * A leaf element the scan_leaf fast path below does not take: through the
 * three callbacks (out of line, to keep the fast path small).
 */
static pg_noinline bool
mercury_scan_leaf_other(MercuryParse *p, const char *lname, const char *prefix,
						const char *uri, const char *s, size_t len)
{
	static const char *no_attrs[1];

	return mercury_scan_start(p, lname, prefix, uri, 0, no_attrs) &&
		(len == 0 || mercury_scan_text(p, s, len)) &&
		mercury_scan_end(p, lname, prefix, uri);
}

/*
 * A leaf element with plain text (or none) in one call.  The hot path, a
 * scalar field of an item with text, only points to its text: what
 * mercury_scan_start, _text and _end do for it, without the stack.
 */
static bool
mercury_scan_leaf(void *arg, const char *lname, const char *prefix,
				  const char *uri, const char *s, size_t len)
{
	MercuryParse *p = (MercuryParse *) arg;

	if (likely(p->skip == 0 && p->depth > 0 && p->depth < MERCURY_MAX_DEPTH &&
			   p->stack[p->depth - 1] == ME_UNIT && !p->keep_tree))
	{
		MercuryUnit *u = p->unit;
		int			f = p->next_field;

		if (unlikely(f >= p->nfields ||
					 (const xmlChar *) lname != p->field_names[f]))
			f = mercury_scan_field(p, lname);
		/* (f is nfields, at most VETIS_MAX_FIELDS, for other names) */
		if ((p->scalar_fields & ~u->seen & (1U << f)) &&
			len > 0 && mercury_in_body(p, s, len))
		{
			u->seen |= 1U << f;
			p->next_field = f + 1;
			u->val[f] = s;
			u->len[f] = (int) len;
			p->used_body = true;
			return true;
		}
	}
	return mercury_scan_leaf_other(p, lname, prefix, uri, s, len);
}

/* the rest of mercury_scan_leaf_named (out of line: see there) */
static pg_noinline bool
mercury_scan_leaf_slow(MercuryParse *p, const XmlScanName *name,
					   const char *s, size_t len)
{
	return mercury_scan_leaf(p, name->lname, name->prefix, name->uri, s, len);
}

/*
 * The scanner's leaf callback: the names list is the item type's fields,
 * so a field's index comes with its name.  The hot path, a scalar field
 * of an item, not seen before, with text, is what mercury_scan_leaf does
 * for it, with the item's state in one test (see leaf_depth); the rest
 * goes there.
 */
static inline bool
mercury_scan_leaf_named(void *arg, const XmlScanName *name, const char *s,
						size_t len)
{
	MercuryParse *p = (MercuryParse *) arg;
	MercuryUnit *u = p->unit;
	/* an index below nfields, or -1, which is bit 63: no field */
	unsigned int f = (unsigned int) name->index & 63;

	if (likely(p->depth == p->leaf_depth && p->skip == 0 &&
			   (p->scalar_fields & ~(uint64) u->seen & (UINT64CONST(1) << f)) &&
			   len > 0))
	{
		/*
		 * A leaf's text is a piece of the document (xmlscan.h), which is
		 * the body here (leaf_depth is set only without a tree)
		 */
		Assert(mercury_in_body(p, s, len));
		u->seen |= 1U << f;
		u->val[f] = s;
		u->len[f] = (int) len;
		p->used_body = true;
		return true;
	}
	/* a call of its own, so that the hot path saves no registers */
	return mercury_scan_leaf_slow(p, name, s, len);
}

#ifdef XS_SSE2
/*
 * Mercury's copy of the scanner's leaf run (XmlScanHandler.leaf_run), with
 * the callbacks inlined: most of a page is fields, and in the generic run
 * each is an indirect call whose callee loads its state anew.  The other
 * events of a run are an item's start and end tags and the white space
 * between items.
 */
static pg_attribute_always_inline bool
mercury_run_leaf(const XsScan *s, const XmlScanName *name, const char *text,
				 size_t len)
{
	return mercury_scan_leaf_named(s->arg, name, text, len);
}

/*
 * A start tag in the run: the name is a cache entry's, whose local name
 * lies in the handler's names or the cache's arena, neither rewritten
 * during a scan.  So once it has been found to be the item's name (by
 * strcmp, in mercury_scan_start or mercury_sax_start), the same pointer
 * is the same name for the rest of the scan, and the next item is added
 * without the compare.  (An item's name is compared as a pointer nowhere
 * else: 0b17e66.)
 */
static pg_attribute_always_inline bool
mercury_run_start(const XsScan *s, const XmlScanName *n)
{
	MercuryParse *p = (MercuryParse *) s->arg;
	int			depth = p->depth;

	if (n->lname == p->run_item && p->skip == 0 && depth > 0 &&
		depth < MERCURY_MAX_DEPTH && p->stack[depth - 1] == ME_LIST)
		return mercury_item_begin(p);
	if (!xs_run_start(s, n))
		return false;
	/* an item begun (the callbacks push ME_UNIT for nothing else) */
	if (p->skip == 0 && p->depth == depth + 1 && p->stack[depth] == ME_UNIT)
		p->run_item = n->lname;
	return true;
}

static pg_attribute_always_inline bool
mercury_run_end(const XsScan *s, const XsOpen *o)
{
	return mercury_scan_end_inline((MercuryParse *) s->arg, o->lname,
								   o->prefix, o->uri);
}

static pg_attribute_always_inline bool
mercury_run_text(const XsScan *s, const char *text, size_t len)
{
	return mercury_scan_text_inline((MercuryParse *) s->arg, text, len);
}

static const char *
mercury_leaf_run(XsScan *s, const char *p, unsigned int *guess)
{
	return xs_leaf_run_with(s, p, guess, mercury_run_leaf, mercury_run_start,
							mercury_run_end, mercury_run_text);
}
#endif

/*
 * Scan a body with the fast scanner; "leaf": 0 without the leaf callback,
 * every element through start/text/end; 1 with it, in the scanner's
 * generic leaf run; 2 with it in mercury_leaf_run too, as pages are read.
 * (The tests scan each way and compare.)
 */
static bool
mercury_scan_with(const char *body, size_t len, MercuryParse *p, int leaf)
{
	XmlScanHandler handler = {
		.start = mercury_scan_start,
		.end = mercury_scan_end,
		.text = mercury_scan_text,
		.leaf_named = leaf > 0 ? mercury_scan_leaf_named : NULL,
#ifdef XS_SSE2
		.leaf_run = leaf > 1 ? mercury_leaf_run : NULL,
#endif
		.names = p->op->names,
		.nnames = p->op->type->nfields,
	};
	int			f;
	bool		ok;

	/* the scanner hands out the field names as these pointers */
	p->scalar_fields = 0;
	for (f = 0; f < p->op->type->nfields; f++)
	{
		p->field_names[f] = (const xmlChar *) p->op->names[f];
		if (p->op->scalar[f])
			p->scalar_fields |= UINT64CONST(1) << f;
	}
	p->unit_name = NULL;
	p->run_item = NULL;
	/* scalar fields alone may point into the body */
	if (!p->keep_tree)
	{
		p->body = body;
		p->bodylen = len;
	}
	ok = xmlscan_parse(body, len, &handler, p);
	/* they may point into the scanner's state, which is gone */
	p->unit_name = NULL;
	p->run_item = NULL;
	return ok;
}

static bool
mercury_scan_body(const char *body, size_t len, MercuryParse *p)
{
	return mercury_scan_with(body, len, p, 2);
}

/* Start over, keeping the buffers. */
static void
mercury_parse_reset(MercuryParse *p)
{
	char	   *buf = p->buf;
	size_t		size = p->size;
	MercuryUnit *units = p->units;
	int			maxunits = p->maxunits;
	VetisNode  *nodes = p->nodes;
	int			maxnodes = p->maxnodes;
	List	   *secrets = p->secrets;

	mercury_parse_init(p, p->op, p->keep_tree);
	p->secrets = secrets;
	p->buf = buf;
	p->size = size;
	p->units = units;
	p->maxunits = maxunits;
	p->nodes = nodes;
	p->maxnodes = maxnodes;
}

/* The document ended: is it what we asked for? */
static void
mercury_parse_finish(MercuryParse *p)
{
	if (!p->failed)
	{
		if (p->depth != 0)
			mercury_xml_fail(p, "The document ended inside <%s>",
							 mercury_elem_name(p, p->depth - 1));
		else if (!p->seen_body)
			mercury_xml_fail(p, "The SOAP Envelope has no Body");
		else if (!p->is_fault && !p->seen_response)
			mercury_xml_fail(p,
							 "The SOAP Body holds neither %s nor a Fault",
							 p->op->response);
		else if (!p->is_fault && !p->seen_list && !p->op->list_optional)
			mercury_xml_fail(p, "%s has no %s", p->op->response, p->op->list);
	}
}

#ifdef MERCURY_CROSSCHECK
/*
 * Test builds (the fuzz targets): whatever the fast path accepted, libxml2
 * must accept too and read the same; abort() if not.
 */
static void
mercury_crosscheck(const char *body, size_t len, const MercuryParse *fast)
{
	MercuryParse q;
	int			i;

	mercury_parse_init(&q, fast->op, fast->keep_tree);
	q.secrets = fast->secrets;
	q.size = len + 1;
	q.buf = palloc(q.size);
	mercury_parse_body(body, len, &q);
	mercury_parse_finish(&q);
	if (q.failed || q.total != fast->total || q.count != fast->count ||
		q.offset != fast->offset || q.nunits != fast->nunits ||
		q.has_more != fast->has_more || q.nnodes != fast->nnodes ||
		q.is_fault != fast->is_fault ||
		(q.faultstring == NULL) != (fast->faultstring == NULL) ||
		(q.faultstring && strcmp(q.faultstring, fast->faultstring) != 0) ||
		(q.fault_kind == NULL) != (fast->fault_kind == NULL) ||
		(q.fault_kind && strcmp(q.fault_kind, fast->fault_kind) != 0))
	{
		fprintf(stderr, "mercury crosscheck: libxml2 reads the answer differently (%s)\n",
				q.failed ? q.errmsg : "other values");
		abort();
	}
	for (i = 0; i < q.nunits; i++)
	{
		const MercuryUnit *a = &q.units[i];
		const MercuryUnit *b = &fast->units[i];
		int			f;

		if (a->first_node != b->first_node || a->end_node != b->end_node)
		{
			fprintf(stderr, "mercury crosscheck: the elements of unit %d differ\n", i + 1);
			abort();
		}

		for (f = 0; f < q.op->type->nfields; f++)
		{
			if ((a->val[f] == NULL) != (b->val[f] == NULL) ||
				(a->val[f] != NULL &&
				 (a->len[f] != b->len[f] ||
				  memcmp(a->val[f], b->val[f], a->len[f]) != 0)))
			{
				fprintf(stderr, "mercury crosscheck: unit %d field %s differs\n",
						i + 1, q.op->names[f]);
				abort();
			}
		}
	}
	for (i = 0; i < q.nnodes; i++)
	{
		const VetisNode *a = &q.nodes[i];
		const VetisNode *b = &fast->nodes[i];

		if (strcmp(a->name, b->name) != 0 || a->end != b->end ||
			(a->off < 0 && a->off != b->off) || (a->off >= 0) != (b->off >= 0) ||
			(a->off >= 0 &&
			 (a->len != b->len ||
			  memcmp(q.buf + a->off, fast->buf + b->off, a->len) != 0)))
		{
			fprintf(stderr, "mercury crosscheck: element %d (%s) differs\n",
					i + 1, a->name);
			abort();
		}
	}
	pfree(q.buf);
}
#endif

/*
 * Read a whole answer into *p.  Returns false, with p->failed set and
 * p->errmsg/errline saying why, if it is not a well-formed SOAP envelope
 * holding either the operation's response and list or a Fault.  Only
 * out-of-memory and the like are ERRORs here.
 *
 * The fast scanner reads what it can be sure of; on anything else, or on
 * any problem, libxml2 reads the answer again from the start and has the
 * last word, so messages and line numbers are always libxml2's.
 */
static bool
mercury_parse_xml(const char *body, size_t len, MercuryParse *p)
{
	if (body == NULL || len == 0)
	{
		mercury_xml_fail(p, "The body is empty");
		return false;
	}
	if (len >= (size_t) INT_MAX)
	{
		mercury_xml_fail(p, "The body is too large to parse");
		return false;
	}

	/*
	 * libxml2 would refuse it after reading it all ("Huge input lookup"),
	 * and the scanner gives up on it: say so at once, in words.
	 */
	if (len - (len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0) >
		XMLSCAN_MAX_INPUT)
	{
		mercury_xml_fail(p, "The answer has %zu bytes, more than the %d that libxml2 reads; lower the option \"page_size\"",
						 len, XMLSCAN_MAX_INPUT);
		return false;
	}
	if (!mercury_check_prolog(body, len, p))
		return false;

	/* every text kept, with its NUL, fits in the size of the answer */
	p->size = len + 1;
	p->buf = palloc(p->size);

	if (mercury_scan_body(body, len, p))
	{
		mercury_parse_finish(p);
		if (!p->failed)
		{
			p->scanned = true;
#ifdef MERCURY_CROSSCHECK
			mercury_crosscheck(body, len, p);
#endif
			return true;
		}
	}

	mercury_parse_reset(p);
	mercury_parse_body(body, len, p);
	mercury_parse_finish(p);
	return !p->failed;
}

/*
 * Number of unit start tags (any prefix) in the first "upto" bytes: the
 * unit an error position falls in.  A crude scan, but it only serves a
 * message about a body that did not parse anyway.
 */
static int
mercury_units_before(const char *s, size_t upto, const char *item)
{
	int			n = 0;
	size_t		i;
	size_t		ilen = strlen(item);

	for (i = 0; i + 5 < upto; i++)
	{
		size_t		j = i + 1;

		if (s[i] != '<')
			continue;
		/* skip a prefix */
		while (j < upto && (isalnum((unsigned char) s[j]) || s[j] == '_' ||
							s[j] == '-' || s[j] == '.'))
			j++;
		if (j < upto && s[j] == ':')
			j++;
		else
			j = i + 1;
		if (j + ilen < upto && memcmp(s + j, item, ilen) == 0 &&
			(s[j + ilen] == '>' || s[j + ilen] == '/' || mercury_is_space(s[j + ilen])))
			n++;
	}
	return n;
}

static void mercury_parse_error(const HttpRequest *req, const MercuryParse *p,
								const char *body, size_t len) pg_attribute_noreturn();

static void
mercury_parse_error(const HttpRequest *req, const MercuryParse *p,
					const char *body, size_t len)
{
	char	   *msg;
	int			mlen = strlen(p->errmsg);
	StringInfoData where;
	int			sqlstate = ERRCODE_FDW_ERROR;

	/* libxml2 ends its messages with a newline; we add our own period */
	while (mlen > 0 && (mercury_is_space(p->errmsg[mlen - 1]) ||
						p->errmsg[mlen - 1] == '.'))
		mlen--;
	/*
	 * libxml2 quotes names from the document, which could be anything:
	 * redacted when it was kept (again here, for messages of our own), then
	 * cut and cleaned.
	 */
	{
		size_t		rlen = mlen;
		const char *text = http_redact(req, p->errmsg, &rlen);

		msg = mercury_excerpt(text, rlen, 200);
	}

	/*
	 * A libxml2 error inside a unit (bytes that are not UTF-8, a character
	 * XML does not allow): say which record and column it is in, and show
	 * the bytes there.
	 */
	initStringInfo(&where);
	if (body != NULL && p->erroffset >= 0 && (size_t) p->erroffset <= len)
	{
		int			unit = mercury_units_before(body, (size_t) p->erroffset,
												p->op->item);
		int			f;

		for (f = 0; f < p->op->type->nfields; f++)
		{
			if (strcmp(p->errelem, p->op->names[f]) == 0)
				break;
		}
		if (unit > 0 && f < p->op->type->nfields)
			appendStringInfo(&where, " It is in element %s (column \"%s\") of record %d of the page.",
							 p->op->names[f],
							 p->op->columns[p->op->fieldcol[f]].name, unit);
		else if (unit > 0)
			appendStringInfo(&where, " It is in record %d of the page.", unit);
		{
			size_t		at = (size_t) p->erroffset;

			/* redacted in the whole body, then the window, then escaped */
			appendStringInfo(&where, " The text there: \"%s\".",
							 http_bytes_excerpt(http_secrets(req), body, len,
												at > 48 ? at - 48 : 0,
												at + 24));
		}
	}

	/* bytes that are not UTF-8, characters XML does not allow (NUL) */
	switch (p->errcode)
	{
		case XML_ERR_INVALID_HEX_CHARREF:
		case XML_ERR_INVALID_DEC_CHARREF:
		case XML_ERR_INVALID_CHARREF:
		case XML_ERR_INVALID_CHAR:
		case XML_ERR_INVALID_ENCODING:
			sqlstate = ERRCODE_CHARACTER_NOT_IN_REPERTOIRE;
			break;
		default:
			break;
	}

	if (p->errline > 0)
		ereport(ERROR,
				(errcode(sqlstate),
				 errmsg("could not parse %s response", p->op->operation),
				 errdetail("Line %d: %s.%s", p->errline, msg, where.data)));
	else
		ereport(ERROR,
				(errcode(sqlstate),
				 errmsg("could not parse %s response", p->op->operation),
				 errdetail("%s.%s", msg, where.data)));
}

/* A SOAP Fault: end, retry, or an ERROR with the SQLSTATE of its kind. */
static PageVerdict
mercury_fault(const PageCursor *cursor, const HttpRequest *req,
			  const HttpResponse *resp, HttpClass cls, const MercuryParse *p,
			  PageResult *out)
{
	const char *kind = p->fault_kind;
	const char *fs = p->faultstring != NULL ? p->faultstring : "(no faultstring)";
	char	   *what;
	int			sqlstate;
	size_t		fslen = strlen(fs);
	size_t		kindlen = kind ? strlen(kind) : 0;

	/* redact the whole text first, then cut and clean */
	fs = http_redact(req, fs, &fslen);
	what = mercury_excerpt(fs, fslen, 200);
	if (kind != NULL)
	{
		const char *k = http_redact(req, kind, &kindlen);

		what = psprintf("%s: %s", mercury_excerpt(k, kindlen, 60), what);
	}

	/* quoted in the ERROR should the retries run out */
	out->what = what;

	if (kind == NULL)
	{
		/* a bare fault: go by the HTTP status */
		if (cls == HTTP_CLASS_RETRY)
			return PAGE_RETRY;
		sqlstate = cls == HTTP_CLASS_OK ? ERRCODE_FDW_ERROR :
			http_status_sqlstate(resp->status);
	}
	else if (strcmp(kind, "offsetOutOfRangeFault") == 0)
	{
		/* the list shrank while we paged through it */
		if (cursor->page_no > 0 || cursor->offset > 0)
			return PAGE_END;
		sqlstate = ERRCODE_FDW_ERROR;
	}
	else if (strcmp(kind, "entityNotFoundFault") == 0 &&
			 p->op->kind == VK_KEYED)
	{
		/* an unknown key (Ikar's keyed lists say so): it has no rows */
		return PAGE_END;
	}
	else if (strcmp(kind, "internalServiceFault") == 0)
		return PAGE_RETRY;
	else if (strcmp(kind, "accessDeniedFault") == 0)
		sqlstate = ERRCODE_INSUFFICIENT_PRIVILEGE;
	else if (strcmp(kind, "incorrectRequestFault") == 0)
		sqlstate = ERRCODE_INVALID_PARAMETER_VALUE;
	else
		sqlstate = ERRCODE_FDW_ERROR;	/* entityNotFoundFault, unknown */

	http_raise(req, resp, sqlstate, what);
}

PageVerdict
vetis_parse_page(ResourceCtx *ctx, ResourceStream *stream,
				 const PageCursor *cursor,
				 const HttpRequest *req, const HttpResponse *resp,
				 PageResult *out)
{
	HttpClass	cls = http_classify(resp);
	MercuryParse p;
	MercuryPage *page;
	bool		parsed;

	if (resp->outcome != HTTP_COMPLETED)
	{
		if (cls == HTTP_CLASS_RETRY)
			return PAGE_RETRY;
		http_raise(req, resp, http_status_sqlstate(resp->status), NULL);
	}

	/* Failures are usually SOAP faults, so every answer is read first. */
	mercury_parse_init(&p, ((MercuryStream *) stream->arg)->op,
					   ((VetisScan *) ctx->state)->keep_tree);
	p.secrets = http_secrets(req);
	parsed = mercury_parse_xml(resp->body, resp->len, &p);

	if (parsed && p.is_fault)
		return mercury_fault(cursor, req, resp, cls, &p, out);
	if (cls == HTTP_CLASS_RETRY)
		return PAGE_RETRY;
	if (cls != HTTP_CLASS_OK)
		http_raise(req, resp, http_status_sqlstate(resp->status), NULL);
	http_check_html(req, resp, "a SOAP envelope");
	if (!parsed)
		mercury_parse_error(req, &p, resp->body, resp->len);

	/* The list must agree with itself and with what we asked for. */
	if (p.count >= 0 && p.count != p.nunits)
	{
		snprintf(p.errmsg, sizeof(p.errmsg),
				 "%s says count=\"" INT64_FORMAT "\" but holds %d %s elements",
				 p.op->list, p.count, p.nunits, p.op->item);
		p.errline = 0;
		mercury_parse_error(req, &p, NULL, 0);
	}
	if (p.offset >= 0 && p.offset != cursor->offset)
	{
		snprintf(p.errmsg, sizeof(p.errmsg),
				 "%s says offset=\"" INT64_FORMAT "\" but offset " INT64_FORMAT " was requested",
				 p.op->list, p.offset, cursor->offset);
		p.errline = 0;
		mercury_parse_error(req, &p, NULL, 0);
	}

	/*
	 * update_date >= x is not checked again, so an item without an
	 * updateDate (the schema makes it optional), which that condition would
	 * not let through, cannot be answered exactly: an ERROR, never a row.
	 */
	if (((MercuryStream *) stream->arg)->no_recheck_lower)
	{
		int			f = p.op->colfield[p.op->col_update];
		int			i;

		for (i = 0; i < p.nunits; i++)
			if (p.units[i].val[f] == NULL)
			{
				snprintf(p.errmsg, sizeof(p.errmsg),
						 "%s %d of the page has no updateDate, yet the list was asked for by updateDate",
						 p.op->item, i + 1);
				p.errline = 0;
				mercury_parse_error(req, &p, NULL, 0);
			}
	}

	page = palloc(sizeof(MercuryPage));
	page->units = p.units;
	page->nodes = p.nodes;
	page->text = p.buf;
	page->secrets = p.secrets;
	page->utf8_checked = p.scanned;
	out->nrecords = p.nunits;
	out->records = page;
	out->has_next = false;
	out->next_key = NULL;
	out->next_keylen = 0;
	out->total = p.total;
	out->keeps_body = p.used_body;

	/*
	 * An answer may say hasMore instead of total.  hasMore="false" ends the
	 * list here: its total is known now, so no request follows.
	 * hasMore="true" asks for the next page even after a short one
	 * (has_next, for offset paging).  With neither, a short page ends it.
	 */
	if (p.total < 0 && p.has_more == 0)
		out->total = cursor->offset + p.nunits;
	else if (p.total < 0 && p.has_more == 1)
		out->has_next = true;
	return PAGE_OK;
}

/*
 * ---------------------------------------------------------------------
 * Rows: strict converters for the XML Schema lexical forms
 * ---------------------------------------------------------------------
 */

static void mercury_bad_value(int colno, int sqlstate, const char *what,
							  const char *s, int len,
							  const char *reason) pg_attribute_noreturn();

/*
 * The secrets of the request whose page mercury_fill_row is converting: a
 * value is data, but a hostile or careless server can put a credential
 * there too, so quoted values are redacted like any other remote text.
 */
static List *mercury_value_secrets = NIL;
static const VetisOp *mercury_value_op = NULL;

static void
mercury_bad_value(int colno, int sqlstate, const char *what,
				  const char *s, int len, const char *reason)
{
	size_t		rlen = (size_t) len;
	const char *shown = http_redact_list(mercury_value_secrets, s, &rlen);

	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg("%s in column \"%s\": \"%s\"", what,
					mercury_value_op->columns[colno].name,
					mercury_excerpt(shown, rlen, 60)),
			 errdetail("%s", reason)));
}

#if !defined(__SSE2__)
/*
 * The value of a hexadecimal digit (either case), -1 for any other byte:
 * one load per digit (five UUIDs of 32 digits in every unit).
 */
static const int8 mercury_hex[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -1, -1, -1, -1, -1,
	-1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1
};
#endif

#if defined(__SSE2__)
/*
 * 16 hexadecimal digits (either case) to their values, one per byte;
 * *ok keeps its bits only where the byte is a digit.  Signed compares:
 * bytes from 0x80 are negative, neither digits nor letters.
 */
static inline __m128i
mercury_hex16(__m128i c, __m128i *ok)
{
	/* folding case makes 'A'-'F' 'a'-'f' and leaves '0'-'9' as they are */
	__m128i		l = _mm_or_si128(c, _mm_set1_epi8(0x20));
	/* x > lo and not x > hi: two compares (x < hi + 1 takes three) */
	__m128i		isd = _mm_andnot_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8('9')),
									   _mm_cmpgt_epi8(c, _mm_set1_epi8('0' - 1)));
	__m128i		isl = _mm_andnot_si128(_mm_cmpgt_epi8(l, _mm_set1_epi8('f')),
									   _mm_cmpgt_epi8(l, _mm_set1_epi8('a' - 1)));

	*ok = _mm_and_si128(*ok, _mm_or_si128(isd, isl));
	/* a digit's low four bits are its value; a letter's, 9 less */
	return _mm_add_epi8(_mm_and_si128(c, _mm_set1_epi8(0x0F)),
						_mm_and_si128(isl, _mm_set1_epi8(9)));
}

/* Each 16-bit lane's two values (first in the low byte) as hi * 16 + lo. */
static inline __m128i
mercury_hex_pairs(__m128i v)
{
	return _mm_and_si128(_mm_or_si128(_mm_slli_epi16(v, 4), _mm_srli_epi16(v, 8)),
						 _mm_set1_epi16(0x00FF));
}
#endif

/*
 * The 36 bytes at s as 8-4-4-4-12 hexadecimal digits, either case, into
 * *u; false (and *u undefined) if they are anything else.
 */
static pg_attribute_always_inline bool
mercury_uuid_read(const char *s, pg_uuid_t *u)
{
	bool		bad;

	bad = (s[8] != '-') | (s[13] != '-') | (s[18] != '-') | (s[23] != '-');
#if defined(__SSE2__)
	{
		/*
		 * The 32 digits without the hyphens, two vectors of 16 put
		 * together from overlapping loads in registers (copied through
		 * memory instead, the 16-byte load waits for the smaller stores
		 * before it).  First: bytes 0-7 of s, 9-12 of s shifted by one,
		 * 14-17 of s + 2 (its bytes 12-15); second: 19-22 of s + 19, 24-35
		 * of s + 20 (its bytes 4-15).
		 */
		__m128i		a = _mm_loadu_si128((const __m128i *) s);
		__m128i		b = _mm_loadu_si128((const __m128i *) (s + 2));
		__m128i		c = _mm_loadu_si128((const __m128i *) (s + 19));
		__m128i		d = _mm_loadu_si128((const __m128i *) (s + 20));
		__m128i		m0_7 = _mm_set_epi32(0, 0, -1, -1);
		__m128i		m8_11 = _mm_set_epi32(0, -1, 0, 0);
		__m128i		m0_3 = _mm_set_epi32(0, 0, 0, -1);
		__m128i		first = _mm_or_si128(_mm_or_si128(_mm_and_si128(a, m0_7),
													  _mm_and_si128(_mm_srli_si128(a, 1), m8_11)),
										 _mm_andnot_si128(_mm_or_si128(m0_7, m8_11), b));
		__m128i		second = _mm_or_si128(_mm_and_si128(c, m0_3),
										  _mm_andnot_si128(m0_3, d));
		__m128i		ok = _mm_set1_epi8(-1);
		__m128i		v1 = mercury_hex_pairs(mercury_hex16(first, &ok));
		__m128i		v2 = mercury_hex_pairs(mercury_hex16(second, &ok));

		/* one pack of both: the lanes are 0-255, nothing saturates */
		_mm_storeu_si128((__m128i *) u->data, _mm_packus_epi16(v1, v2));
		bad |= _mm_movemask_epi8(ok) != 0xFFFF;
	}
#else
	{
		/* where each byte's two digits are: the hyphens are at 8, 13, 18, 23 */
		static const uint8 pos[UUID_LEN] = {
			0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34
		};
		int			i;

		for (i = 0; i < UUID_LEN; i++)
		{
			int			hi = mercury_hex[(unsigned char) s[pos[i]]];
			int			lo = mercury_hex[(unsigned char) s[pos[i] + 1]];

			/* a non-digit is -1: its sign bit survives the OR */
			bad |= (hi | lo) < 0;
			u->data[i] = (unsigned char) (hi * 16 + lo);
		}
	}
#endif
	return !bad;
}

/*
 * 8-4-4-4-12 hexadecimal digits, either case; nothing else.  The value is
 * written to *u.  Returns 0, or why the text is not a UUID: 1 its length,
 * 2 any other byte (*u is then undefined).  No ERROR (mercury_uuid_parse
 * raises it).
 */
static int
mercury_uuid_scan(const char *s0, int len0, pg_uuid_t *u)
{
	const char *s = s0;
	int			len = len0;

	mercury_trim(&s, &len);
	if (len != 36)
		return 1;
	return mercury_uuid_read(s, u) ? 0 : 2;
}

/* A UUID as mercury_uuid_scan reads it, or the ERROR that says why not. */
static void
mercury_uuid_parse(int colno, const char *s0, int len0, pg_uuid_t *u)
{
	int			r = mercury_uuid_scan(s0, len0, u);

	if (r == 1)
		mercury_bad_value(colno, ERRCODE_INVALID_TEXT_REPRESENTATION,
						  "invalid input syntax for type uuid", s0, len0,
						  "A UUID has 36 characters: 8-4-4-4-12 hexadecimal digits.");
	if (r != 0)
		mercury_bad_value(colno, ERRCODE_INVALID_TEXT_REPRESENTATION,
						  "invalid input syntax for type uuid", s0, len0,
						  "Expected 8-4-4-4-12 hexadecimal digits separated by hyphens.");
}

/* xs:boolean: true, false, 1, 0; -1 for anything else (no ERROR). */
static pg_attribute_always_inline int
mercury_bool_scan(const char *s0, int len0)
{
	const char *s = s0;
	int			len = len0;

	mercury_trim(&s, &len);
	if ((len == 4 && memcmp(s, "true", 4) == 0) || (len == 1 && s[0] == '1'))
		return 1;
	if ((len == 5 && memcmp(s, "false", 5) == 0) || (len == 1 && s[0] == '0'))
		return 0;
	return -1;
}

/* xs:boolean, or the ERROR that says it is none. */
static Datum
mercury_bool_datum(int colno, const char *s0, int len0)
{
	int			r = mercury_bool_scan(s0, len0);

	if (r >= 0)
		return BoolGetDatum(r != 0);
	mercury_bad_value(colno, ERRCODE_INVALID_TEXT_REPRESENTATION,
					  "invalid input syntax for type boolean", s0, len0,
					  "Expected true, false, 1 or 0.");
}

/* Read exactly n digits at *p; false if they are not there. */
static pg_attribute_always_inline bool
mercury_digits(const char **p, const char *end, int n, int *result)
{
	int			v = 0;
	int			i;

	if (end - *p < n)
		return false;
	for (i = 0; i < n; i++)
	{
		char		c = (*p)[i];

		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*result = v;
	return true;
}

static bool
mercury_expect(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return false;
	(*p)++;
	return true;
}

/*
 * YYYY-MM-DDThh:mm:ss at s (len bytes), the layout every Mercury timestamp
 * has, read in one step: false for anything else (another number of year
 * digits, a wrong byte) and for the year 0, which the general code then
 * reads or refuses.  Only the reading: the ranges are checked after.
 */
static inline bool
mercury_datetime_fixed(const char *s, int len, int *year, int *month,
					   int *day, int *hour, int *minute, int *second)
{
	if (len < 19)
		return false;
#ifndef WORDS_BIGENDIAN
	{
		/*
		 * Eight bytes at a time: "YYYY-MM-", "DDThh:mm" and "hh:mm:ss"
		 * (s + 11).  A digit is 0x30-0x39: its high half 3, and still 3
		 * after adding 6 (which, once the high halves are 3, carries into
		 * no other byte); a separator is its byte.  Byte k of a word is
		 * s[k] here (little-endian).
		 */
		uint64		w0,
					w1,
					w2;

#define MERCURY_DIGITS_OK(w, d) \
	(((w) & ((d) & UINT64CONST(0xF0F0F0F0F0F0F0F0))) == ((d) & UINT64CONST(0x3030303030303030)) && \
	 (((w) + ((d) & UINT64CONST(0x0606060606060606))) & ((d) & UINT64CONST(0xF0F0F0F0F0F0F0F0))) == \
	 ((d) & UINT64CONST(0x3030303030303030)))
		memcpy(&w0, s, 8);
		memcpy(&w1, s + 8, 8);
		memcpy(&w2, s + 11, 8);
		/* digits: bytes 0-3, 5, 6 of w0; 0, 1, 3, 4, 6, 7 of w1 and w2 */
		if (!MERCURY_DIGITS_OK(w0, UINT64CONST(0x00FFFF00FFFFFFFF)) ||
			!MERCURY_DIGITS_OK(w1, UINT64CONST(0xFFFF00FFFF00FFFF)) ||
			!MERCURY_DIGITS_OK(w2, UINT64CONST(0xFFFF00FFFF00FFFF)) ||
			(w0 & UINT64CONST(0xFF0000FF00000000)) != UINT64CONST(0x2D00002D00000000) ||
			(w1 & UINT64CONST(0x0000FF0000FF0000)) != UINT64CONST(0x00003A0000540000) ||
			(w2 & UINT64CONST(0x0000FF0000FF0000)) != UINT64CONST(0x00003A00003A0000))
			return false;
#undef MERCURY_DIGITS_OK
	}
#else
	{
		static const uint8 digit_at[14] = {
			0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18
		};
		unsigned int bad = 0;
		int			i;

		for (i = 0; i < 14; i++)
			bad |= (unsigned int) (unsigned char) (s[digit_at[i]] - '0') > 9;
		if (bad | (s[4] != '-') | (s[7] != '-') | (s[10] != 'T') |
			(s[13] != ':') | (s[16] != ':'))
			return false;
	}
#endif
#define MERCURY_D2(at) ((s[at] - '0') * 10 + (s[(at) + 1] - '0'))
	*year = MERCURY_D2(0) * 100 + MERCURY_D2(2);
	*month = MERCURY_D2(5);
	*day = MERCURY_D2(8);
	*hour = MERCURY_D2(11);
	*minute = MERCURY_D2(14);
	*second = MERCURY_D2(17);
#undef MERCURY_D2
	return *year != 0;
}

/* The last date converted and its day number: rows of a list share dates. */
static int	mercury_last_ymd = 0;	/* (year * 16 + month) * 32 + day; 0: none */
static int64 mercury_last_days;

/*
 * xs:dateTime: YYYY-MM-DDThh:mm:ss[.fraction][Z|(+|-)hh:mm].
 *
 * Mercury always writes an offset (+03:00).  A value without one is taken
 * as UTC, not as the session's TimeZone, so that a row converts the same
 * way for every session (and a materialized view does not depend on who
 * refreshed it).  Fractions beyond microseconds are rounded.  Years before
 * 1 are refused (XML Schema 1.0 and 1.1 disagree about them).
 */
static Datum
mercury_timestamp_datum(int colno, const char *s0, int len0)
{
	const char *s = s0;
	int			len = len0;
	const char *p;
	const char *end;
	const char *what = "invalid input syntax for type timestamp with time zone";
	int			ndigits = 0;
	int			year = 0;
	int			month,
				day,
				hour,
				minute,
				second;
	int64		usec = 0;
	int			tzsec = 0;
	int			ymd;
	int64		ndays;
	TimestampTz result;

	mercury_trim(&s, &len);
	p = s;
	end = s + len;

	if (mercury_datetime_fixed(s, len, &year, &month, &day, &hour, &minute,
							   &second))
		p += 19;
	else
	{
		if (p < end && (*p == '-' || *p == '+'))
			mercury_bad_value(colno, ERRCODE_DATETIME_VALUE_OUT_OF_RANGE,
							  "timestamp out of range", s0, len0,
							  "Years before 1 and signed years are not supported.");
		while (p + ndigits < end && p[ndigits] >= '0' && p[ndigits] <= '9')
			ndigits++;
		if (ndigits < 4 || (ndigits > 4 && p[0] == '0'))
			mercury_bad_value(colno, ERRCODE_INVALID_DATETIME_FORMAT, what, s0, len0,
							  "Expected an xs:dateTime such as 2024-01-01T00:00:00+03:00.");
		/* beyond timestamptz's last year; also keeps the arithmetic below safe */
		if (ndigits > 6 || !mercury_digits(&p, end, ndigits, &year) ||
			year == 0 || year > 294276)
			mercury_bad_value(colno, ERRCODE_DATETIME_VALUE_OUT_OF_RANGE,
							  "timestamp out of range", s0, len0,
							  "The year is out of range.");

		if (!mercury_expect(&p, end, '-') ||
			!mercury_digits(&p, end, 2, &month) ||
			!mercury_expect(&p, end, '-') ||
			!mercury_digits(&p, end, 2, &day) ||
			!mercury_expect(&p, end, 'T') ||
			!mercury_digits(&p, end, 2, &hour) ||
			!mercury_expect(&p, end, ':') ||
			!mercury_digits(&p, end, 2, &minute) ||
			!mercury_expect(&p, end, ':') ||
			!mercury_digits(&p, end, 2, &second))
			mercury_bad_value(colno, ERRCODE_INVALID_DATETIME_FORMAT, what, s0, len0,
							  "Expected an xs:dateTime such as 2024-01-01T00:00:00+03:00.");
	}

	if (p < end && *p == '.')
	{
		int			nfrac = 0;

		p++;
		while (p < end && *p >= '0' && *p <= '9')
		{
			if (nfrac < 6)
				usec = usec * 10 + (*p - '0');
			else if (nfrac == 6 && *p >= '5')
				usec++;			/* round half up to microseconds */
			nfrac++;
			p++;
		}
		if (nfrac == 0)
			mercury_bad_value(colno, ERRCODE_INVALID_DATETIME_FORMAT, what, s0, len0,
							  "A decimal point must be followed by digits.");
		for (; nfrac < 6; nfrac++)
			usec *= 10;
	}

	if (p < end && *p == 'Z')
		p++;
	else if (p < end && (*p == '+' || *p == '-'))
	{
		int			sign = *p == '-' ? -1 : 1;
		int			tzh,
					tzm;

		p++;
		if (!mercury_digits(&p, end, 2, &tzh) ||
			!mercury_expect(&p, end, ':') ||
			!mercury_digits(&p, end, 2, &tzm))
			mercury_bad_value(colno, ERRCODE_INVALID_DATETIME_FORMAT, what, s0, len0,
							  "A time zone offset must look like +03:00.");
		if (tzm > 59 || tzh > 14 || (tzh == 14 && tzm != 0))
			mercury_bad_value(colno, ERRCODE_INVALID_DATETIME_FORMAT, what, s0, len0,
							  "The time zone offset is out of range.");
		tzsec = sign * (tzh * SECS_PER_HOUR + tzm * SECS_PER_MINUTE);
	}
	if (p != end)
		mercury_bad_value(colno, ERRCODE_INVALID_DATETIME_FORMAT, what, s0, len0,
						  "Unexpected characters after the time.");

	if (month < 1 || month > 12 ||
		day < 1 || day > day_tab[isleap(year) ? 1 : 0][month - 1])
		mercury_bad_value(colno, ERRCODE_DATETIME_FIELD_OVERFLOW,
						  "date/time field value out of range", s0, len0,
						  "The month or day is out of range.");
	/* 24:00:00 is allowed by XML Schema as the end of the day */
	if (minute > 59 || second > 59 ||
		(hour > 23 && !(hour == 24 && minute == 0 && second == 0 && usec == 0)))
		mercury_bad_value(colno, ERRCODE_DATETIME_FIELD_OVERFLOW,
						  "date/time field value out of range", s0, len0,
						  "The hour, minute or second is out of range.");

	/* year <= 294276 and |offset| <= 14h: no int64 overflow here */
	ymd = (year * 16 + month) * 32 + day;
	if (ymd != mercury_last_ymd)
	{
		mercury_last_days = (int64) date2j(year, month, day) - POSTGRES_EPOCH_JDATE;
		mercury_last_ymd = ymd;
	}
	ndays = mercury_last_days;
	result = ndays * USECS_PER_DAY +
		((int64) hour * SECS_PER_HOUR + minute * SECS_PER_MINUTE + second -
		 tzsec) * USECS_PER_SEC + usec;
	if (!IS_VALID_TIMESTAMP(result))
		mercury_bad_value(colno, ERRCODE_DATETIME_VALUE_OUT_OF_RANGE,
						  "timestamp out of range", s0, len0,
						  "The value is outside the range of timestamp with time zone.");
	return TimestampTzGetDatum(result);
}

/*
 * Dates and offsets the first pass read last, by their bytes, a few
 * timestamp columns each their own: a list's rows share them, and the
 * bytes say all that made them valid.
 */
#define MERCURY_KEPT_TS	4

typedef struct MercuryKeptTs
{
	bool		date_valid;
	bool		offset_valid;
	uint16		date2;			/* bytes 8-9 of YYYY-MM-DD */
	uint64		date8;			/* bytes 0-7 */
	uint64		offset;			/* the 8 bytes "ss+hh:mm" from 17, "ss" 0 */
	int64		days;			/* since 2000-01-01 */
	int			tzsec;
} MercuryKeptTs;

static MercuryKeptTs mercury_kept_ts[MERCURY_KEPT_TS];

/* keeps bytes 2-7 (in memory order) of a word loaded with memcpy */
static const union
{
	uint8		b[8];
	uint64		w;
}			mercury_offset_mask = {{0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}};

/*
 * The xs:dateTime Mercury writes, YYYY-MM-DDThh:mm:ss and then Z or an
 * offset (+03:00) and nothing else, into *result as mercury_timestamp_datum
 * makes it; false for anything else, valid or not (blanks, a fraction, the
 * hour 24, a bad byte), which that function then converts or refuses.
 * "kept" chooses the entry of mercury_kept_ts (the column's).  Raises no
 * ERROR: vetis_fill_row's first pass calls it.
 */
static pg_attribute_always_inline bool
mercury_timestamp_fast(const char *s, int len, int kept, TimestampTz *result)
{
	MercuryKeptTs *k = &mercury_kept_ts[(unsigned int) kept % MERCURY_KEPT_TS];
	unsigned int h1,
				h2,
				mi1,
				mi2,
				s1,
				s2;
	int			hour;
	int			minute;
	int			second;
	int			tzsec;
	uint64		date8;
	uint16		date2;
	TimestampTz r;

	if (len == 25)
	{
		uint64		offset;

		memcpy(&offset, s + 17, 8);
		offset &= mercury_offset_mask.w;
		if (!k->offset_valid || k->offset != offset)
		{
			const char *t = s + 19;
			unsigned int th1 = (unsigned char) t[1] - '0';
			unsigned int th2 = (unsigned char) t[2] - '0';
			unsigned int tm1 = (unsigned char) t[4] - '0';
			unsigned int tm2 = (unsigned char) t[5] - '0';
			int			tzh = th1 * 10 + th2;
			int			tzm = tm1 * 10 + tm2;

			if ((t[0] != '+' && t[0] != '-') || t[3] != ':' ||
				th1 > 9 || th2 > 9 || tm1 > 9 || tm2 > 9 ||
				tzm > 59 || tzh > 14 || (tzh == 14 && tzm != 0))
				return false;
			k->tzsec = tzh * SECS_PER_HOUR + tzm * SECS_PER_MINUTE;
			if (t[0] == '-')
				k->tzsec = -k->tzsec;
			k->offset = offset;
			k->offset_valid = true;
		}
		tzsec = k->tzsec;
	}
	else if (len == 20 && s[19] == 'Z')
		tzsec = 0;
	else
		return false;

	memcpy(&date8, s, 8);
	memcpy(&date2, s + 8, 2);
	if (!k->date_valid || k->date8 != date8 || k->date2 != date2)
	{
		int			year,
					month,
					day,
					h,
					m,
					sec;

		if (!mercury_datetime_fixed(s, len, &year, &month, &day, &h, &m,
									&sec) ||
			month < 1 || month > 12 ||
			day < 1 || day > day_tab[isleap(year) ? 1 : 0][month - 1])
			return false;
		k->days = (int64) date2j(year, month, day) - POSTGRES_EPOCH_JDATE;
		k->date8 = date8;
		k->date2 = date2;
		k->date_valid = true;
	}

	/* Thh:mm:ss (the text has 20 or 25 bytes); 24:00:00 is the general code's */
	h1 = (unsigned char) s[11] - '0';
	h2 = (unsigned char) s[12] - '0';
	mi1 = (unsigned char) s[14] - '0';
	mi2 = (unsigned char) s[15] - '0';
	s1 = (unsigned char) s[17] - '0';
	s2 = (unsigned char) s[18] - '0';
	if (s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
		h1 > 9 || h2 > 9 || mi1 > 9 || mi2 > 9 || s1 > 9 || s2 > 9)
		return false;
	hour = h1 * 10 + h2;
	minute = mi1 * 10 + mi2;
	second = s1 * 10 + s2;
	if (hour > 23 || minute > 59 || second > 59)
		return false;
	r = k->days * USECS_PER_DAY +
		((int64) hour * SECS_PER_HOUR + minute * SECS_PER_MINUTE + second -
		 tzsec) * USECS_PER_SEC;
	if (!IS_VALID_TIMESTAMP(r))
		return false;
	*result = r;
	return true;
}

/* numeric's limit on digits before the decimal point */
#define MERCURY_MAX_INT_DIGITS	131072

/* xs:integer: optional sign and decimal digits, any size. */
static Datum
mercury_integer_datum(int colno, const char *s0, int len0)
{
	const char *s = s0;
	int			len = len0;
	int			i = 0;
	int			i0;
	char	   *copy;

	mercury_trim(&s, &len);
	if (len > 0 && (s[0] == '+' || s[0] == '-'))
		i = 1;
	i0 = i;
	if (i == len)
		mercury_bad_value(colno, ERRCODE_INVALID_TEXT_REPRESENTATION,
						  "invalid input syntax for type numeric", s0, len0,
						  "Expected an xs:integer: an optional sign and decimal digits.");
	for (; i < len; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			mercury_bad_value(colno, ERRCODE_INVALID_TEXT_REPRESENTATION,
							  "invalid input syntax for type numeric", s0, len0,
							  "Expected an xs:integer: an optional sign and decimal digits.");
	}
	if (len > MERCURY_MAX_INT_DIGITS)
		mercury_bad_value(colno, ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
						  "value out of range for type numeric", s0, len0,
						  "The integer has too many digits.");

	/*
	 * Up to 18 digits fit an int64: the same numeric as numeric_in makes
	 * (scale 0, leading zeros and a minus zero gone) without reading the
	 * text again.
	 */
	if (len - i0 <= 18)
	{
		int64		v = 0;

		for (i = i0; i < len; i++)
			v = v * 10 + (s[i] - '0');
		return NumericGetDatum(int64_to_numeric(s[0] == '-' ? -v : v));
	}
	copy = pnstrdup(s, len);
	return DirectFunctionCall3(numeric_in, CStringGetDatum(copy),
							   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
}

/* What a text of len bytes takes in a row's allocation (vetis_fill_row). */
static inline Size
mercury_text_room(int len)
{
	return INTALIGN(VARHDRSZ + len);
}

/* A text made at *room (a row's allocation), *room advanced past it. */
static inline Datum
mercury_text_at(const char *s, int len, char **room)
{
	text	   *t = (text *) *room;

	SET_VARSIZE(t, VARHDRSZ + len);
	memcpy(VARDATA(t), s, len);
	*room += mercury_text_room(len);
	return PointerGetDatum(t);
}

/*
 * A remote text, UTF-8, checked unless "checked" (MercuryPage.utf8_checked)
 * says the scanner did, in the database's encoding.  In a UTF-8 database
 * it is made at *room when room is not NULL (the row's allocation), and
 * *room advanced past it.
 */
static Datum
mercury_text_datum(int colno, const char *s, int len, bool checked,
				   char **room)
{
	char	   *conv;

	/* the verifier refuses a zero byte too: tell which it was */
	if (!checked && !pg_verify_mbstr(PG_UTF8, s, len, true))
	{
		if (memchr(s, '\0', len) != NULL)
			mercury_bad_value(colno, ERRCODE_CHARACTER_NOT_IN_REPERTOIRE,
							  "invalid byte sequence for encoding \"UTF8\"", s, len,
							  "The text contains a zero byte.");
		mercury_bad_value(colno, ERRCODE_CHARACTER_NOT_IN_REPERTOIRE,
						  "invalid byte sequence for encoding \"UTF8\"", s, len,
						  "The text is not valid UTF-8.");
	}
	/* a UTF-8 database would only verify it again */
	if (GetDatabaseEncoding() == PG_UTF8)
	{
		if (room == NULL)
			return PointerGetDatum(cstring_to_text_with_len(s, len));
		return mercury_text_at(s, len, room);
	}
	conv = pg_any_to_server(s, len, PG_UTF8);
	if (conv == s)
		return PointerGetDatum(cstring_to_text_with_len(s, len));
	return PointerGetDatum(cstring_to_text(conv));
}

/* xs:int (and its restrictions): an optional sign and decimal digits. */
static Datum
vetis_int4_datum(int colno, const char *s0, int len0)
{
	const char *s = s0;
	int			len = len0;
	int			i = 0;
	bool		neg = false;
	int64		v = 0;

	mercury_trim(&s, &len);
	if (len > 0 && (s[0] == '+' || s[0] == '-'))
	{
		neg = s[0] == '-';
		i = 1;
	}
	if (i == len)
		mercury_bad_value(colno, ERRCODE_INVALID_TEXT_REPRESENTATION,
						  "invalid input syntax for type integer", s0, len0,
						  "Expected an xs:int: an optional sign and decimal digits.");
	for (; i < len; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			mercury_bad_value(colno, ERRCODE_INVALID_TEXT_REPRESENTATION,
							  "invalid input syntax for type integer", s0, len0,
							  "Expected an xs:int: an optional sign and decimal digits.");
		v = v * 10 + (s[i] - '0');
		if (v > (int64) PG_INT32_MAX + 1)
			break;
	}
	if (neg)
		v = -v;
	if (i < len || v > PG_INT32_MAX || v < PG_INT32_MIN)
		mercury_bad_value(colno, ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
						  "value out of range for type integer", s0, len0,
						  "The value is outside the range of integer.");
	return Int32GetDatum((int32) v);
}

/* A remote text as a jsonb string: checked UTF-8, in the database encoding. */
static void
vetis_jsonb_string(JsonbValue *v, int colno, const char *s, int len)
{
	char	   *conv;

	if (memchr(s, '\0', len) != NULL)
		mercury_bad_value(colno, ERRCODE_CHARACTER_NOT_IN_REPERTOIRE,
						  "invalid byte sequence for encoding \"UTF8\"", s, len,
						  "The text contains a zero byte.");
	if (!pg_verify_mbstr(PG_UTF8, s, len, true))
		mercury_bad_value(colno, ERRCODE_CHARACTER_NOT_IN_REPERTOIRE,
						  "invalid byte sequence for encoding \"UTF8\"", s, len,
						  "The text is not valid UTF-8.");
	conv = pg_any_to_server(s, len, PG_UTF8);
	v->type = jbvString;
	v->val.string.val = conv;
	v->val.string.len = conv == s ? len : strlen(conv);
}

static void vetis_push_node(JsonbParseState **state, const MercuryPage *page,
							int colno, int node, bool is_elem);

/*
 * The children of a node (or of an item: [first, end)) as the members of
 * an object: one key per element name, an array for the elements the
 * schema repeats, whatever their number.  "fields" gives the repeat rule
 * of the item's own children; deeper, vetis_repeated_nested does (by the
 * parent's name).
 */
static void
vetis_push_members(JsonbParseState **state, const MercuryPage *page,
				   int colno, int first, int end, const VetisItemType *fields,
				   const char *parent)
{
	int			j;

	for (j = first; j < end; j = page->nodes[j].end)
	{
		const char *name = page->nodes[j].name;
		bool		repeated = false;
		bool		seen = false;
		int			count = 0;
		int			k;
		JsonbValue	key;

		/* only the first element of each name starts a member */
		for (k = first; k < j; k = page->nodes[k].end)
			if (strcmp(page->nodes[k].name, name) == 0)
				seen = true;
		if (seen)
			continue;
		for (k = j; k < end; k = page->nodes[k].end)
			if (strcmp(page->nodes[k].name, name) == 0)
				count++;

		if (fields != NULL)
		{
			int			f;
			bool		known = false;

			for (f = 0; f < fields->nfields; f++)
				if (strcmp(fields->fields[f].elem, name) == 0)
				{
					repeated = fields->fields[f].repeated;
					known = true;
				}
			/* an element the schema does not have: an array if it repeats */
			if (!known)
				repeated = count > 1;
		}
		else
			repeated = vetis_repeated_nested(parent, name);
		if (!repeated && count > 1)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("element %s occurs %d times in column \"%s\"",
							name, count, mercury_value_op->columns[colno].name),
					 errdetail("The VetIS schema allows at most one %s there.",
							   name)));

		key.type = jbvString;
		key.val.string.val = (char *) name;
		key.val.string.len = strlen(name);
		pushJsonbValue(state, WJB_KEY, &key);
		if (repeated)
		{
			pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
			for (k = j; k < end; k = page->nodes[k].end)
				if (strcmp(page->nodes[k].name, name) == 0)
					vetis_push_node(state, page, colno, k, true);
			pushJsonbValue(state, WJB_END_ARRAY, NULL);
		}
		else
			vetis_push_node(state, page, colno, j, false);
	}
}

/* One element: a string, null (xsi:nil), or an object of its children. */
static void
vetis_push_node(JsonbParseState **state, const MercuryPage *page, int colno,
				int node, bool is_elem)
{
	const VetisNode *n = &page->nodes[node];
	JsonbValue	v;

	check_stack_depth();
	if (n->off == VN_COMPLEX || (n->off >= 0 && vetis_complex(n->name)))
	{
		pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
		vetis_push_members(state, page, colno, node + 1, n->end, NULL,
						   n->name);
		pushJsonbValue(state, WJB_END_OBJECT, NULL);
		return;
	}
	if (n->off == VN_NIL)
		v.type = jbvNull;
	else
		vetis_jsonb_string(&v, colno, page->text + n->off, n->len);
	pushJsonbValue(state, is_elem ? WJB_ELEM : WJB_VALUE, &v);
}

/*
 * A jsonb column: the item's element(s) of field f (an array of all of
 * them for a repeated field), or with f < 0 the whole item as an object.
 * NULL (*isnull) when a field's element is absent.
 */
static Datum
vetis_jsonb_datum(const MercuryPage *page, const MercuryUnit *u,
				  const VetisOp *op, int colno, int f, bool *isnull)
{
	JsonbParseState *state = NULL;
	JsonbValue *res;
	const char *elem = f >= 0 ? op->type->fields[f].elem : NULL;
	int			j;
	int			count = 0;

	*isnull = false;
	if (f < 0)
	{
		pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
		vetis_push_members(&state, page, colno, u->first_node, u->end_node,
						   op->type, op->item);
		res = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
		return JsonbPGetDatum(JsonbValueToJsonb(res));
	}

	for (j = u->first_node; j < u->end_node; j = page->nodes[j].end)
		if (strcmp(page->nodes[j].name, elem) == 0)
			count++;
	if (op->type->fields[f].repeated)
	{
		/* an absent repeated element is an empty array */
		pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
		for (j = u->first_node; j < u->end_node; j = page->nodes[j].end)
			if (strcmp(page->nodes[j].name, elem) == 0)
				vetis_push_node(&state, page, colno, j, true);
		res = pushJsonbValue(&state, WJB_END_ARRAY, NULL);
		return JsonbPGetDatum(JsonbValueToJsonb(res));
	}
	/* at most one: the parser refused a second */
	for (j = u->first_node; j < u->end_node; j = page->nodes[j].end)
	{
		const VetisNode *n = &page->nodes[j];

		if (strcmp(n->name, elem) != 0)
			continue;
		if (n->off == VN_NIL)
			break;
		if (n->off == VN_COMPLEX || vetis_complex(n->name))
		{
			pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
			vetis_push_members(&state, page, colno, j + 1, n->end, NULL,
							   n->name);
			res = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
		}
		else
		{
			/* a simple type (an element the schema does not know) */
			JsonbValue	v;

			vetis_jsonb_string(&v, colno, page->text + n->off, n->len);
			return JsonbPGetDatum(JsonbValueToJsonb(&v));
		}
		return JsonbPGetDatum(JsonbValueToJsonb(res));
	}
	*isnull = true;
	return (Datum) 0;
}

/* The slot of an xs:integer text in VetisScan.numerics. */
static inline VetisNumeric *
vetis_numeric_slot(VetisScan *vs, const char *s, int len)
{
	unsigned int h = (unsigned int) len * 7 + (unsigned char) s[0] * 5 +
		(unsigned char) s[len - 1] * 3 + (unsigned char) s[len >> 1];

	return &vs->numerics[h % VETIS_NUMERIC_SLOTS];
}

/* The numeric of this very text if the scan converted it before, or NULL. */
static inline Numeric
vetis_numeric_known(VetisScan *vs, const char *s, int len)
{
	VetisNumeric *e;

	if (vs == NULL || len <= 0 || len > VETIS_NUMERIC_KEY)
		return NULL;
	e = vetis_numeric_slot(vs, s, len);
	if (e->len != len || memcmp(e->text, s, len) != 0)
		return NULL;
	return e->value;
}

/* Keep the numeric a text was converted to, in place of the slot's last. */
static void
vetis_numeric_keep(ResourceCtx *ctx, const char *s, int len, Numeric value)
{
	VetisScan  *vs = (VetisScan *) ctx->state;
	VetisNumeric *e;

	if (len <= 0 || len > VETIS_NUMERIC_KEY)
		return;
	e = vetis_numeric_slot(vs, s, len);
	if (e->len > 0)
		pfree(e->value);
	e->len = 0;
	e->value = MemoryContextAlloc(ctx->scan_cxt, VARSIZE(value));
	memcpy(e->value, value, VARSIZE(value));
	memcpy(e->text, s, len);
	e->len = len;
}

/* The group of VetisFillPlan.fast of a kind; -1: only the exact code. */
static int
vetis_fill_group(VetisFillKind kind)
{
	switch (kind)
	{
		case VF_UUID:
			return VG_UUID;
		case VF_TEXT:
		case VF_NUMERIC:
			return VG_ROOM;
		case VF_BOOL:
			return VG_BOOL;
		case VF_TIMESTAMPTZ:
			return VG_TIMESTAMPTZ;
		case VF_BEGIN:
		case VF_END:
		case VF_KEY:
			return VG_REQUEST;
		default:
			return -1;
	}
}

/*
 * The plan of the columns "want" asks of op; direct_texts: texts are made
 * in the row's allocation (a UTF-8 database).
 */
static void
vetis_fill_plan(VetisFillPlan *plan, const VetisOp *op, const bool *want,
				bool direct_texts)
{
	int			colno;
	int			g;
	int			i;
	int			n = 0;

	plan->op = op;
	plan->direct_texts = direct_texts;
	memcpy(plan->want, want, sizeof(bool) * op->ncolumns);
	plan->ncols = 0;
	plan->slow = 0;
	plan->texts = 0;
	for (colno = 0; colno < op->ncolumns; colno++)
	{
		VetisFillCol *pc;

		if (!want[colno])
			continue;
		pc = &plan->cols[plan->ncols++];
		pc->colno = colno;
		pc->field = -1;
		switch (op->colkind[colno])
		{
			case VC_BEGIN:
				pc->kind = VF_BEGIN;
				continue;
			case VC_END:
				pc->kind = VF_END;
				continue;
			case VC_KEY:
				pc->kind = VF_KEY;
				continue;
			case VC_RECORD:
				pc->kind = VF_RECORD;
				plan->slow |= VF_BIT(colno);
				continue;
			case VC_FIELD:
				break;
		}
		pc->field = op->colfield[colno];
		switch (op->columns[colno].typid)
		{
			case UUIDOID:
				pc->kind = VF_UUID;
				break;
			case TEXTOID:
				pc->kind = direct_texts ? VF_TEXT : VF_OTHER;
				break;
			case NUMERICOID:
				pc->kind = VF_NUMERIC;
				break;
			case BOOLOID:
				pc->kind = VF_BOOL;
				break;
			case TIMESTAMPTZOID:
				pc->kind = VF_TIMESTAMPTZ;
				break;
			case INT4OID:
				pc->kind = VF_INT4;
				break;
			case JSONBOID:
				pc->kind = VF_JSONB;
				break;
			default:
				pc->kind = VF_OTHER;
				break;
		}
		if (pc->kind == VF_TEXT)
			plan->texts |= VF_BIT(colno);
		if (vetis_fill_group((VetisFillKind) pc->kind) < 0)
			plan->slow |= VF_BIT(colno);
	}
	for (g = 0; g < VG_NGROUPS; g++)
	{
		plan->group[g] = n;
		for (i = 0; i < plan->ncols; i++)
			if (vetis_fill_group((VetisFillKind) plan->cols[i].kind) == g)
				plan->fast[n++] = plan->cols[i];
	}
	plan->group[VG_NGROUPS] = n;
}

/* Whether two want arrays of n columns are the same (once per row). */
static inline bool
vetis_want_same(const bool *a, const bool *b, int n)
{
	if (n >= 8 && n <= 16)
	{
		uint64		a0,
					a1,
					b0,
					b1;

		/* two overlapping words cover the n bytes */
		memcpy(&a0, a, 8);
		memcpy(&a1, a + n - 8, 8);
		memcpy(&b0, b, 8);
		memcpy(&b1, b + n - 8, 8);
		return ((a0 ^ b0) | (a1 ^ b1)) == 0;
	}
	return memcmp(a, b, n) == 0;
}

/* A column made from the request (begin, end, key): never an ERROR. */
static pg_attribute_always_inline void
vetis_fill_request(const VetisFillCol *pc, const MercuryStream *ms,
				   Datum *values, bool *nulls)
{
	int			colno = pc->colno;

	/* The request's interval, as the user gave it where possible. */
	if (pc->kind == VF_BEGIN)
	{
		values[colno] = TimestampTzGetDatum(ms->has_begin_eq ?
											ms->begin_eq : ms->begin);
		nulls[colno] = false;
	}
	else if (pc->kind == VF_END)
	{
		if (ms->has_end_eq)
			values[colno] = TimestampTzGetDatum(ms->end_eq);
		else if (ms->has_end)
			values[colno] = TimestampTzGetDatum(ms->end);
		nulls[colno] = !ms->has_end_eq && !ms->has_end;
	}
	else
	{
		values[colno] = ms->key;
		nulls[colno] = false;
	}
}

/* A column that is not an item field's scalar text (vetis_fill_row). */
static void
vetis_fill_other(const VetisFillCol *pc, const MercuryPage *page,
				 const MercuryUnit *u, const MercuryStream *ms,
				 Datum *values, bool *nulls)
{
	int			colno = pc->colno;

	switch ((VetisFillKind) pc->kind)
	{
		case VF_BEGIN:
		case VF_END:
		case VF_KEY:
			vetis_fill_request(pc, ms, values, nulls);
			break;
		case VF_RECORD:
		case VF_JSONB:
			values[colno] = vetis_jsonb_datum(page, u, ms->op, colno,
											  pc->field, &nulls[colno]);
			break;
		default:
			elog(ERROR, "unexpected VetIS column kind %d", pc->kind);
	}
}

/*
 * One column by the exact code: its value, or the ERROR of its text.  A
 * numeric converted here is marked in *converted (to be kept).
 */
static void
vetis_fill_exact(const VetisFillCol *pc, const MercuryPage *page,
				 const MercuryUnit *u, const MercuryStream *ms,
				 Datum *values, bool *nulls, bool *converted)
{
	int			colno = pc->colno;
	const char *v;
	int			len;

	if (pc->kind > VF_OTHER)
	{
		vetis_fill_other(pc, page, u, ms, values, nulls);
		return;
	}
	v = u->val[pc->field];
	if (v == NULL)
	{
		nulls[colno] = true;
		return;
	}
	len = u->len[pc->field];
	nulls[colno] = false;

	switch ((VetisFillKind) pc->kind)
	{
		case VF_UUID:
			{
				pg_uuid_t  *uuid = palloc(sizeof(pg_uuid_t));

				mercury_uuid_parse(colno, v, len, uuid);
				values[colno] = UUIDPGetDatum(uuid);
			}
			break;
		case VF_BOOL:
			values[colno] = mercury_bool_datum(colno, v, len);
			break;
		case VF_TIMESTAMPTZ:
			values[colno] = mercury_timestamp_datum(colno, v, len);
			break;
		case VF_NUMERIC:
			values[colno] = mercury_integer_datum(colno, v, len);
			*converted = true;
			break;
		case VF_INT4:
			values[colno] = vetis_int4_datum(colno, v, len);
			break;
		default:
			/* VF_TEXT of a page the scanner did not check, VF_OTHER */
			values[colno] = mercury_text_datum(colno, v, len,
											   page->utf8_checked, NULL);
			break;
	}
}

/*
 * Where a row's UUIDs, texts and numerics go: the scan's buffer (in the
 * scan's context, with VetisScan), used again by every row.  A row's
 * values need to last only until the next row is asked for (a slot's
 * values do), and a row that allocates nothing else leaves the row
 * context untouched, so resetting it costs nothing.  Without a scan, a
 * palloc.
 */
static inline char *
vetis_row_buf(ResourceCtx *ctx, VetisScan *vs, Size size)
{
	if (vs == NULL)
		return palloc(size);
	if (unlikely(size > vs->row_buf_size))
	{
		if (vs->row_buf != NULL)
			pfree(vs->row_buf);
		vs->row_buf = MemoryContextAlloc(ctx->scan_cxt, size);
		vs->row_buf_size = size;
	}
	return vs->row_buf;
}

void
vetis_fill_row(ResourceCtx *ctx, ResourceStream *stream, void *records,
			   int index, const bool *want, Datum *values, bool *nulls)
{
	const MercuryPage *page = (const MercuryPage *) records;
	const MercuryUnit *u = &page->units[index];
	MercuryStream *ms = (MercuryStream *) stream->arg;
	const VetisOp *op = ms->op;
	VetisScan  *vs = ctx != NULL ? (VetisScan *) ctx->state : NULL;
	bool		direct_texts = GetDatabaseEncoding() == PG_UTF8;
	VetisFillPlan own;
	const VetisFillPlan *plan;
	uint32		defer;
	Size		room = 0;		/* for texts and numerics after the UUIDs */
	Size		needed = 0;		/* what the row's took */
	pg_uuid_t  *uuids = NULL;
	char	   *texts;
	char	   *end = NULL;
	int			i;
	int			last;			/* a group's end: stores to nulls alias it */

	mercury_value_secrets = page->secrets;
	mercury_value_op = op;

	/* the scan's plan while it is the one for these columns, else a new one */
	if (vs == NULL)
	{
		vetis_fill_plan(&own, op, want, direct_texts);
		plan = &own;
	}
	else
	{
		if (vs->plan.op != op || vs->plan.direct_texts != direct_texts ||
			!vetis_want_same(vs->plan.want, want, op->ncolumns))
			vetis_fill_plan(&vs->plan, op, want, direct_texts);
		plan = &vs->plan;
	}

	/*
	 * The first pass converts what it can without an ERROR; the columns it
	 * leaves ("defer": a bad or unusual text, a numeric the scan has not
	 * converted before, the kinds of plan->slow) are converted after it in
	 * column order by the exact code, which raises the ERROR of the first
	 * bad column, as converting every column in column order would.
	 */
	defer = plan->slow;
	if (!page->utf8_checked)
		defer |= plan->texts;

	/*
	 * One allocation for the row's UUIDs (room for each, they come first:
	 * 16 bytes each, they leave the rest int-aligned), then its texts and
	 * the numerics converted before, as much as rows of the scan needed:
	 * a palloc for each, or a pass to size them, cost more.
	 */
	if (plan->group[VG_ROOM + 1] > plan->group[VG_UUID])
	{
		Size		nuuids = plan->group[VG_UUID + 1] - plan->group[VG_UUID];

		if (plan->group[VG_ROOM + 1] > plan->group[VG_ROOM])
			room = vs != NULL && vs->row_room > 0 ? vs->row_room : VETIS_ROW_ROOM;
		else
			room = 0;
		uuids = (pg_uuid_t *) vetis_row_buf(ctx, vs, sizeof(pg_uuid_t) * nuuids + room);
		end = (char *) (uuids + nuuids) + room;
	}

	for (i = plan->group[VG_UUID], last = plan->group[VG_UUID + 1]; i < last; i++)
	{
		const VetisFillCol *pc = &plan->fast[i];
		int			colno = pc->colno;
		int			f = pc->field;
		const char *v = u->val[f];

		if (v == NULL)
			nulls[colno] = true;
		else if (u->len[f] != 36 || !mercury_uuid_read(v, uuids))
		{
			/* blanks around it are the exact code's too */
			defer |= VF_BIT(colno);
		}
		else
		{
			values[colno] = UUIDPGetDatum(uuids);
			nulls[colno] = false;
			uuids++;
		}
	}
	/* right after the UUIDs made: absent or bad ones take no room */
	texts = (char *) uuids;

	for (i = plan->group[VG_ROOM], last = plan->group[VG_ROOM + 1]; i < last; i++)
	{
		const VetisFillCol *pc = &plan->fast[i];
		int			colno = pc->colno;
		int			f = pc->field;
		const char *v = u->val[f];
		int			len = u->len[f];
		Numeric		n = NULL;
		Size		need;

		if (v == NULL)
		{
			nulls[colno] = true;
			continue;
		}
		if (pc->kind == VF_TEXT)
		{
			/* checked already, in a UTF-8 database: the bytes as they came */
			if (!page->utf8_checked)
				continue;
			need = mercury_text_room(len);
		}
		else if ((n = vetis_numeric_known(vs, v, len)) != NULL)
			need = INTALIGN(VARSIZE(n));
		else
		{
			defer |= VF_BIT(colno);
			continue;
		}
		needed += need;
		if (unlikely(need > (Size) (end - texts)))
		{
			/* the rest of the row's in one more (rows after it get more) */
			Size		more = Max(need, VETIS_ROW_ROOM);

			texts = palloc(more);
			end = texts + more;
		}
		if (n == NULL)
			values[colno] = mercury_text_at(v, len, &texts);
		else
		{
			memcpy(texts, n, VARSIZE(n));
			values[colno] = PointerGetDatum(texts);
			texts += need;
		}
		nulls[colno] = false;
	}
	if (unlikely(needed > room) && vs != NULL)
		vs->row_room = Min(MAXALIGN(needed), VETIS_ROW_ROOM_MAX);

	for (i = plan->group[VG_BOOL], last = plan->group[VG_BOOL + 1]; i < last; i++)
	{
		const VetisFillCol *pc = &plan->fast[i];
		int			colno = pc->colno;
		int			f = pc->field;
		const char *v = u->val[f];
		int			b;

		if (v == NULL)
			nulls[colno] = true;
		else if ((b = mercury_bool_scan(v, u->len[f])) < 0)
			defer |= VF_BIT(colno);
		else
		{
			values[colno] = BoolGetDatum(b != 0);
			nulls[colno] = false;
		}
	}

	for (i = plan->group[VG_TIMESTAMPTZ], last = plan->group[VG_TIMESTAMPTZ + 1]; i < last; i++)
	{
		const VetisFillCol *pc = &plan->fast[i];
		int			colno = pc->colno;
		int			f = pc->field;
		const char *v = u->val[f];
		TimestampTz ts;

		if (v == NULL)
			nulls[colno] = true;
		else if (!mercury_timestamp_fast(v, u->len[f],
										 i - plan->group[VG_TIMESTAMPTZ], &ts))
			defer |= VF_BIT(colno);
		else
		{
			values[colno] = TimestampTzGetDatum(ts);
			nulls[colno] = false;
		}
	}

	for (i = plan->group[VG_REQUEST]; i < plan->group[VG_REQUEST + 1]; i++)
		vetis_fill_request(&plan->fast[i], ms, values, nulls);

	if (defer != 0)
	{
		int			missed[VETIS_MAX_COLUMNS];	/* numeric columns converted */
		int			nmissed = 0;

		for (i = 0; i < plan->ncols; i++)
		{
			const VetisFillCol *pc = &plan->cols[i];
			bool		converted = false;

			if ((defer & (VF_BIT(pc->colno))) == 0)
				continue;
			vetis_fill_exact(pc, page, u, ms, values, nulls, &converted);
			if (converted)
				missed[nmissed++] = pc->colno;
		}

		/* kept only now: a slot replaced before could be one "known" points to */
		for (i = 0; i < nmissed && vs != NULL; i++)
		{
			int			f = op->colfield[missed[i]];

			vetis_numeric_keep(ctx, u->val[f], u->len[f],
							   DatumGetNumeric(values[missed[i]]));
		}
	}
}
