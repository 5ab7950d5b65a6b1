/*-------------------------------------------------------------------------
 * resource.h
 *		The interface one API resource (a foreign table kind) implements.
 *
 * The FDW core (paged_fdw.c, quals.c, pager.c) knows nothing about any
 * wire format.  A resource declares its columns and which conditions it can
 * push, turns the evaluated pushed conditions into "streams" (independent
 * paged sequences: one per Diadoc packet id, one per Mercury interval),
 * builds the HTTP request for one page of a stream, parses a response into
 * an opaque array of records, and converts one record into Datums.
 *
 * Adding a resource: one new src/<api>.c defining a PagedResource, and one
 * line in the table in src/resource.c.
 *-------------------------------------------------------------------------
 */
#ifndef PAGED_RESOURCE_H
#define PAGED_RESOURCE_H

#include "postgres.h"
#include "nodes/pg_list.h"
#include "http.h"
#include "options.h"

/* Conditions a column can push into the request. */
#define RC_PUSH_EQ		0x01	/* col = value */
#define RC_PUSH_IN		0x02	/* col IN (...), col = ANY(array) */
#define RC_PUSH_RANGE	0x04	/* col <, <=, >, >= value (and BETWEEN) */
#define RC_ORDERED		0x10	/* rows can come in this column's order,
								 * ascending or descending (ResourceCtx.order);
								 * the column is never NULL */

typedef struct ResourceColumn
{
	const char *name;
	Oid			typid;			/* type the resource produces */
	int			push;			/* RC_PUSH_* bits */
	bool		recheck;		/* pushed conditions still evaluated locally */
	bool		notnull;		/* never NULL in a row (a request key) */
	int			exact_ops;		/* 1 << PagedOp: sent exactly despite recheck */
} ResourceColumn;

typedef enum PagedOp
{
	PAGED_OP_EQ,
	PAGED_OP_IN,
	PAGED_OP_LT,
	PAGED_OP_LE,
	PAGED_OP_GT,
	PAGED_OP_GE
} PagedOp;

/*
 * A pushed condition after evaluation at scan start.  values are of the
 * column's typid, NULL elements already removed; nvalues == 0 with an EQ or
 * range op means the comparison value was NULL (no row can match).
 */
typedef struct PushedValue
{
	int			colno;			/* index into PagedResource.columns */
	PagedOp		op;
	int			nvalues;
	Datum	   *values;
} PushedValue;

/* What a resource sees of a running scan. */
typedef struct ResourceCtx
{
	const PagedOptions *opts;
	HttpConn   *conn;
	MemoryContext scan_cxt;		/* lives as long as the scan */
	int			page_size;		/* effective page size */
	void	   *state;			/* resource-private (auth token, ...) */
	const bool *want;			/* columns the scan reads, or NULL: all */
	struct PagedScanStat *stat; /* statistics and progress, or NULL */
	int			order;			/* order of the RC_ORDERED column the plan
								 * relies on: 1 ascending, -1 descending,
								 * 0 any */
} ResourceCtx;

/* One independent paged sequence. */
typedef struct ResourceStream
{
	char	   *label;			/* for messages and EXPLAIN ANALYZE */
	void	   *arg;			/* resource-private */
} ResourceStream;

/* Where in a stream a page request starts. */
typedef struct PageCursor
{
	int			page_no;		/* 0-based page number within the stream */
	int			count;			/* rows to ask for */
	/* key paging */
	char	   *key;			/* NULL for the first page */
	int			keylen;
	/* offset paging */
	int64		offset;
} PageCursor;

typedef enum PageVerdict
{
	PAGE_OK,					/* PageResult filled */
	PAGE_END,					/* stream ended (nothing in PageResult) */
	PAGE_RETRY,					/* transient failure: ask again, same cursor */
	PAGE_REAUTH					/* credentials expired: reauth() then ask again */
} PageVerdict;

typedef struct PageResult
{
	int			nrecords;
	void	   *records;		/* resource-private, in the page context */
	/* key paging */
	bool		has_next;
	char	   *next_key;		/* in the page context */
	int			next_keylen;
	/* offset paging (has_next: more after a short page, total unknown) */
	int64		total;			/* -1 if the answer did not say */
	/* PAGE_RETRY: what the server said, for the ERROR if retries run out */
	const char *what;
	/* PAGE_OK: records point into the response body; keep it with them */
	bool		keeps_body;
} PageResult;

typedef enum PagingStyle
{
	PAGING_KEY,
	PAGING_OFFSET
} PagingStyle;

typedef struct PagedResource
{
	const char *api;			/* value of the server option "api" */
	const char *name;			/* value of the table option "resource" */
	const char *import_name;	/* IMPORT FOREIGN SCHEMA's table name, or
								 * NULL for "<api>_<name>" */
	const char *operation;		/* remote operation, for EXPLAIN and errors */
	const ResourceColumn *columns;
	int			ncolumns;
	PagingStyle paging;
	int			default_page_size;
	int			max_page_size;

	/*
	 * Required conditions: given which (column, op) pairs are pushed
	 * (pushed[colno] is a bitmask of 1 << PagedOp), say whether a scan can
	 * be sent at all.  required_columns and required_hint go into the ERROR.
	 */
	bool		(*has_required) (const int *pushed);
	const char *required_columns;	/* e.g. "packet_id" */
	const char *required_hint;	/* e.g. "Add WHERE packet_id = '...'." */

	/* Check the resolved options at plan time (missing credentials, ...). */
	void		(*check_options) (const PagedOptions *opts);

	/* Scan start: set ctx->state, authenticate if needed. */
	void		(*begin) (ResourceCtx *ctx);

	/*
	 * Turn the evaluated conditions into streams (palloc'd in the current
	 * context).  An empty list means no row can match: nothing is sent.
	 */
	List	   *(*make_streams) (ResourceCtx *ctx, List *pushed_values);

	/* Build the request for one page (palloc in the current context). */
	void		(*build_request) (ResourceCtx *ctx, ResourceStream *stream,
								  const PageCursor *cursor, HttpRequest *req);

	/*
	 * Parse a completed response (any status).  For PAGE_OK fill "out" with
	 * everything allocated in the current (page) context.  Errors are
	 * ereport'ed; generic statuses are handed to http_classify/http_raise.
	 */
	PageVerdict (*parse_page) (ResourceCtx *ctx, ResourceStream *stream,
							   const PageCursor *cursor,
							   const HttpRequest *req, const HttpResponse *resp,
							   PageResult *out);

	/* Refresh credentials after PAGE_REAUTH; false if that is impossible. */
	bool		(*reauth) (ResourceCtx *ctx);

	/*
	 * Convert record "index" of a page into values[colno]/nulls[colno] for
	 * every colno with want[colno]; other slots are left alone.  Runs in a
	 * short-lived per-row context.  A bad value is an ERROR naming the
	 * column and the offending text (the core adds page and record).
	 */
	void		(*fill_row) (ResourceCtx *ctx, ResourceStream *stream,
							 void *records, int index, const bool *want,
							 Datum *values, bool *nulls);

	/*
	 * Optional: where the options send the requests (method, path, schema
	 * version), for EXPLAIN's "Remote Endpoint".  No network, no secrets.
	 */
	char	   *(*describe_endpoint) (const PagedOptions *opts);
} PagedResource;

extern const PagedResource *paged_find_resource(const char *api,
												const char *name);
extern const PagedResource *const paged_resources[];
extern int	paged_resource_count(void);
extern const PagedResource *paged_resource_get(int i);
extern char *paged_resource_import_name(const PagedResource *res);
extern int	paged_resource_column(const PagedResource *res, const char *name);

/* Resources (one per src/<api>.c). */
extern const PagedResource diadoc_docflows_resource;
extern const PagedResource diadoc_search_resource;
extern const PagedResource diadoc_documents_resource;
extern const PagedResource diadoc_events_resource;
/* The VetIS dictionary lists: one per row of VETIS_OPERATIONS (vetis.h). */

/* paged_fdw.max_decoded_size (MB): the most one Diadoc page may decode to */
extern int	diadoc_max_decoded_size;

#endif							/* PAGED_RESOURCE_H */
