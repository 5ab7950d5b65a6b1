/*-------------------------------------------------------------------------
 * pager.h
 *		The paging engine: walks the streams of a scan page by page.
 *-------------------------------------------------------------------------
 */
#ifndef PAGED_PAGER_H
#define PAGED_PAGER_H

#include "postgres.h"
#include "port/atomics.h"
#include "resource.h"

typedef struct PagerStats
{
	int64		requests;		/* HTTP requests sent, retries included */
	int64		pages;			/* pages parsed */
	int64		rows;			/* records handed out */
	int64		bytes;			/* response bytes received, decoded */
	int64		wire_bytes;		/* the same as they came (compressed) */
	int64		retries;
	int64		throttled;		/* 429 answers */
	double		wait_secs;		/* time spent waiting for responses */
	bool		has_total;		/* key paging: a page told a total ... */
	int64		total;			/* ... the last one told (for EXPLAIN) */
} PagerStats;

/* Where the row being converted comes from (for error context). */
typedef struct PagerRow
{
	ResourceStream *stream;
	void	   *records;
	int			index;			/* record within the page, 0-based */
	int			page_no;		/* page within the stream, 0-based */
} PagerRow;

typedef struct Pager Pager;

/*
 * Start walking "streams" (ResourceStream *).  limit >= 0 means no more than
 * that many rows will be consumed, so no page asks for more.  All memory
 * lives in a child of "parent".
 */
extern Pager *pager_begin(const PagedResource *res, ResourceCtx *ctx,
						  List *streams, int64 limit, MemoryContext parent);

/* Next record, fetching pages as needed; false at the end. */
extern bool pager_next(Pager *p, PagerRow *row);

/*
 * Next record if it can be had without waiting for the network: for an
 * Async Append.  After PAGER_BLOCKED, call again once the connection's
 * descriptor (http_wait_fd) was readable; rows come in the same order as
 * from pager_next().
 */
typedef enum PagerNext
{
	PAGER_ROW,
	PAGER_END,
	PAGER_BLOCKED
} PagerNext;

extern PagerNext pager_next_async(Pager *p, PagerRow *row);

/*
 * True if pager_next_async() would not block now (or might not); if it
 * would until a time, the connection's descriptor wakes the caller then.
 */
extern bool pager_ready(Pager *p);

/*
 * Parallel scans: what the processes of one Parallel Foreign Scan share (in
 * its DSM segment).  A scan of one offset-paged stream is split by page:
 * each process claims the next range of page_size offsets and reads all of
 * it.  A scan of several streams is split by stream: each process claims
 * the next stream and reads it whole.
 */
typedef struct PagerShared
{
	pg_atomic_uint32 next_stream;	/* split by stream: next to claim */
	pg_atomic_uint64 next_range;	/* split by page: next range to claim */
	int			nprocs;			/* processes planned: they share the window */
} PagerShared;

extern void pager_shared_init(PagerShared *sh, int nprocs);

/* Make "p" one of the processes of a parallel scan (before pager_next). */
extern void pager_set_shared(Pager *p, PagerShared *sh);

/* Abort transfers and free everything. */
extern void pager_end(Pager *p);

extern const PagerStats *pager_stats(Pager *p);

/*
 * The rows the API announced for the whole scan: the sum of the totals the
 * streams' pages told (the latest of each), or -1 if a stream has not told
 * one (not reached, or the API does not say).
 */
extern int64 pager_known_total(Pager *p);

#endif							/* PAGED_PAGER_H */
