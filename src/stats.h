/*-------------------------------------------------------------------------
 * stats.h
 *		Cumulative statistics (paged_fdw_stats) and live progress of running
 *		scans (paged_fdw_progress).
 *
 * A foreign scan node owns one PagedScanStat (paged_stats_begin); every
 * pager it starts reports to it, once per page, never per row.  The counts
 * are added to the entry of (database, server, user, resource) when the
 * executor state goes away, normally or on ERROR.  Without preloading the
 * entries live in a backend-local hash; with shared_preload_libraries they
 * are in shared memory for the whole cluster, and running scans publish
 * their progress in per-backend slots there.
 *-------------------------------------------------------------------------
 */
#ifndef PAGED_STATS_H
#define PAGED_STATS_H

#include "postgres.h"
#include "datatype/timestamp.h"
#include "nodes/pg_list.h"
#include "options.h"

struct PagerStats;

typedef struct PagedScanStat PagedScanStat;

/* What a scan is doing now (paged_fdw_progress.state). */
typedef enum PagedProgressState
{
	PAGED_STATE_REQUESTING,		/* waiting for a page's answer */
	PAGED_STATE_RETRY_WAIT,		/* sleeping before a retry */
	PAGED_STATE_CONSUMING		/* handing out rows of a page */
} PagedProgressState;

/* GUCs, hooks; called from _PG_init. */
extern void paged_stats_init(void);

/*
 * A scan node begins: NULL when paged_fdw.track_stats is off.  The handle
 * lives in "cxt" and adds its counts to the statistics when "cxt" goes.
 */
extern PagedScanStat *paged_stats_begin(const PagedOptions *opts,
										MemoryContext cxt);

/*
 * A pager of that scan begins: its counters ("live", owned by the pager,
 * living in "pager_cxt") are taken over when pager_cxt goes.  Publishes a
 * progress row while the pager lives.
 */
extern void paged_stats_pager_begin(PagedScanStat *s,
									const struct PagerStats *live,
									List *streams, MemoryContext pager_cxt);

/* The pager's state changed (publishes its counters too). */
extern void paged_stats_state(PagedScanStat *s, PagedProgressState state);

/* A page was parsed; "total" is the row count the API announced, or -1. */
extern void paged_stats_page(PagedScanStat *s, int64 total);

/*
 * An error context callback (arg: the PagedScanStat) to keep on the stack
 * while the scan runs: if the report being made is an ERROR, it is counted
 * by SQLSTATE class and its message kept.  Adds no context line.
 */
extern void paged_stats_errcontext(void *arg);

/*
 * max_requests_per_second for the whole cluster (preloaded only): sets
 * *start to when the next request to the server may start and reserves
 * it (*prev: the slot before, for paged_rate_release); false when not
 * preloaded.
 */
extern bool paged_rate_reserve(Oid serverid, int64 interval, TimestampTz now,
							   TimestampTz *start, TimestampTz *prev);

/* Undo an unused reservation if it is still the latest. */
extern void paged_rate_release(Oid serverid, TimestampTz start,
							   TimestampTz prev);

/*
 * Row totals earlier scans were told (the planner's estimates) for the
 * whole cluster, keyed by database, table, user and the hash of the pushed
 * conditions' text: false when not preloaded.  A lookup sets *total to -1
 * when nothing is known.  Bounded: a new key may replace the least
 * recently used one.
 */
extern bool paged_estimate_shared_lookup(Oid relid, Oid userid,
										 uint64 conds_hash, int64 *total);
extern bool paged_estimate_shared_record(Oid relid, Oid userid,
										 uint64 conds_hash, int64 total);

#endif							/* PAGED_STATS_H */
