/*-------------------------------------------------------------------------
 * stats.c
 *		Cumulative statistics and live progress of paged_fdw scans.
 *
 * Statistics.  A scan node's handle (PagedScanStat) accumulates the
 * counters of its pagers (taken over when each pager's memory goes) and
 * the ERRORs raised while it runs (seen by an error context callback).
 * When the executor state goes, normally or on ERROR or cancel, the handle
 * adds everything to the entry of (database, server, user, resource): one
 * hash lookup per scan node, nothing per row and a few stores per page.
 * Without preloading the entries are in a backend-local hash; with
 * shared_preload_libraries = 'paged_fdw' they are in a shared hash of
 * paged_fdw.stats_max_entries entries under one LWLock, and the least
 * recently updated entry is evicted when a new one does not fit.
 *
 * Progress (preloading only).  Each backend owns PAGED_SLOTS_PER_BACKEND
 * slots in shared memory, indexed by its BackendId, so taking or freeing
 * one needs no lock: only the owner writes them, bracketing every update
 * with a change counter that readers check (the protocol of
 * PgBackendStatus.st_changecount).  A slot is taken when a pager starts
 * and freed when the pager's memory context goes, which happens at normal
 * end, rescan, ERROR and cancel alike; a backend that exits frees its
 * slots in an on_shmem_exit callback.
 *
 * The shared segment is a fixed header, the progress slots, then the hash.
 * A second small struct holds the request-rate schedules of
 * max_requests_per_second (paged_rate_reserve), PAGED_RATE_ENTRIES of them
 * under a spinlock.  A third holds the row totals scans were told, the
 * planner's estimates for every backend (paged_estimate_shared_*).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_authid.h"
#include "commands/dbcommands.h"
#include "common/hashfn.h"
#include "foreign/foreign.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/backendid.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "http.h"
#include "pager.h"
#include "stats.h"

#define PAGED_ERROR_CLASSES		8	/* distinct SQLSTATE classes kept */
#define PAGED_LAST_ERROR_LEN	256
#define PAGED_LABEL_LEN			64
#define PAGED_SLOTS_PER_BACKEND	4

/* Class under which errors of further classes are counted. */
#define PAGED_OTHER_CLASS		"**"

typedef struct PagedStatsKey
{
	Oid			dbid;
	Oid			serverid;
	Oid			userid;
	char		resource[NAMEDATALEN];
} PagedStatsKey;

typedef struct PagedCounters
{
	int64		scans;
	int64		requests;
	int64		pages;
	int64		rows;
	int64		bytes_wire;
	int64		bytes_decoded;
	int64		retries;
	int64		throttled;		/* 429 answers */
	double		wait_secs;
	int64		errors;
	char		err_class[PAGED_ERROR_CLASSES][2];	/* "\0\0" = unused */
	int64		err_count[PAGED_ERROR_CLASSES];
	TimestampTz last_error_at;
	char		last_error[PAGED_LAST_ERROR_LEN];
} PagedCounters;

typedef struct PagedStatsEntry
{
	PagedStatsKey key;			/* hash key, must be first */
	PagedCounters c;
	TimestampTz last_at;		/* last update: the eviction order */
} PagedStatsEntry;

typedef struct PagedProgressSlot
{
	uint32		changecount;	/* odd while the owner writes */
	int			pid;			/* 0: free */
	Oid			dbid;
	Oid			serverid;
	Oid			userid;
	char		resource[NAMEDATALEN];
	char		label[PAGED_LABEL_LEN];
	int			state;			/* PagedProgressState */
	TimestampTz started;
	TimestampTz state_since;
	int64		pages;
	int64		rows;
	int64		total_rows;		/* -1: not told */
	int64		bytes_wire;
	int64		bytes_decoded;
	int64		requests;
	int64		retries;
} PagedProgressSlot;

typedef struct PagedShared
{
	LWLock	   *lock;			/* the stats hash and stats_reset */
	TimestampTz stats_reset;
	int			nslots;
	PagedProgressSlot slots[FLEXIBLE_ARRAY_MEMBER];
} PagedShared;

struct PagedScanStat
{
	PagedStatsKey key;
	const PagedOptions *opts;	/* for redacting error messages */
	MemoryContext cxt;
	PagedCounters acc;			/* ended pagers and errors */
	const PagerStats *live;		/* the running pager's counters */
	PagedProgressSlot *slot;	/* its progress row, or NULL */
	MemoryContextCallback end_cb;
	MemoryContextCallback pager_cb;
};

/*
 * The request-rate schedule of one foreign server for the whole cluster:
 * the start of its latest request (possibly still ahead, reserved by a
 * backend that sleeps until then).  dbid 0: free.
 */
#define PAGED_RATE_ENTRIES 64

typedef struct PagedRateEntry
{
	Oid			dbid;
	Oid			serverid;
	TimestampTz last;
} PagedRateEntry;

typedef struct PagedRateShared
{
	slock_t		mutex;
	PagedRateEntry entries[PAGED_RATE_ENTRIES];
} PagedRateShared;

/*
 * The row totals earlier scans were told (the planner's estimates), shared
 * by the cluster: a set-associative cache, each key hashed to one set of
 * PAGED_EST_WAYS entries, where a new key replaces the least recently used
 * one.  A lookup or store touches one set, so a spinlock is enough.  dbid
 * 0: free.
 */
#define PAGED_EST_WAYS	8
#define PAGED_EST_SETS	128			/* 1024 entries, 40 kB */

typedef struct PagedEstEntry
{
	Oid			dbid;
	Oid			relid;
	Oid			userid;
	uint64		conds_hash;
	int64		total;
	uint64		used;			/* PagedEstShared.clock when last used */
} PagedEstEntry;

typedef struct PagedEstShared
{
	slock_t		mutex;
	uint64		clock;
	PagedEstEntry entries[PAGED_EST_SETS * PAGED_EST_WAYS];
} PagedEstShared;

/* GUCs */
static bool paged_track_stats = true;
static int	paged_stats_max_entries = 1000;

/* shared state (preloaded) */
static PagedShared *paged_shared = NULL;
static PagedRateShared *paged_rate = NULL;
static PagedEstShared *paged_est = NULL;
static HTAB *paged_shared_hash = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* backend-local state (not preloaded) */
static HTAB *paged_local_hash = NULL;
static TimestampTz paged_local_reset = 0;

static bool paged_exit_registered = false;

PG_FUNCTION_INFO_V1(paged_fdw_stats);
PG_FUNCTION_INFO_V1(paged_fdw_stats_reset);
PG_FUNCTION_INFO_V1(paged_fdw_progress);

/* ----------------------------------------------------------------
 *		Shared memory
 * ----------------------------------------------------------------
 */

static int
paged_nslots(void)
{
	return MaxBackends * PAGED_SLOTS_PER_BACKEND;
}

static Size
paged_shmem_size(void)
{
	Size		size;

	size = add_size(offsetof(PagedShared, slots),
					mul_size(paged_nslots(), sizeof(PagedProgressSlot)));
	size = MAXALIGN(size);
	size = add_size(size, hash_estimate_size(paged_stats_max_entries,
											 sizeof(PagedStatsEntry)));
	size = add_size(size, MAXALIGN(sizeof(PagedRateShared)));
	size = add_size(size, MAXALIGN(sizeof(PagedEstShared)));
	return size;
}

static void
paged_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(paged_shmem_size());
	RequestNamedLWLockTranche("paged_fdw", 1);
}

static void
paged_shmem_startup(void)
{
	bool		found;
	HASHCTL		ctl;
	int			nslots = paged_nslots();

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	paged_shared = ShmemInitStruct("paged_fdw",
								   offsetof(PagedShared, slots) +
								   nslots * sizeof(PagedProgressSlot),
								   &found);
	if (!found)
	{
		memset(paged_shared, 0, offsetof(PagedShared, slots) +
			   nslots * sizeof(PagedProgressSlot));
		paged_shared->lock = &(GetNamedLWLockTranche("paged_fdw"))->lock;
		paged_shared->stats_reset = GetCurrentTimestamp();
		paged_shared->nslots = nslots;
	}
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(PagedStatsKey);
	ctl.entrysize = sizeof(PagedStatsEntry);
	paged_shared_hash = ShmemInitHash("paged_fdw stats",
									  paged_stats_max_entries,
									  paged_stats_max_entries,
									  &ctl, HASH_ELEM | HASH_BLOBS);
	paged_rate = ShmemInitStruct("paged_fdw rate", sizeof(PagedRateShared),
								 &found);
	if (!found)
	{
		memset(paged_rate, 0, sizeof(PagedRateShared));
		SpinLockInit(&paged_rate->mutex);
	}
	paged_est = ShmemInitStruct("paged_fdw estimates", sizeof(PagedEstShared),
								&found);
	if (!found)
	{
		memset(paged_est, 0, sizeof(PagedEstShared));
		SpinLockInit(&paged_est->mutex);
	}
	LWLockRelease(AddinShmemInitLock);
}

void
paged_stats_init(void)
{
	DefineCustomBoolVariable("paged_fdw.track_stats",
							 "Collects statistics and progress of paged_fdw scans.",
							 NULL,
							 &paged_track_stats,
							 true,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
	/* a PGC_POSTMASTER setting may only be defined while preloading */
	if (!process_shared_preload_libraries_in_progress)
		return;
	DefineCustomIntVariable("paged_fdw.stats_max_entries",
							"Number of (server, user, resource) entries paged_fdw_stats keeps.",
							"With shared_preload_libraries the entries are in shared memory; the least recently updated one is evicted when a new one does not fit.",
							&paged_stats_max_entries,
							1000,
							10,
							1000000,
							PGC_POSTMASTER,
							0,
							NULL, NULL, NULL);
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = paged_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = paged_shmem_startup;
}

/*
 * Reserves the next request slot of a server for the whole cluster: the
 * request may start at max(now, previous start + interval), and that
 * becomes the previous start before the caller waits, so that backends
 * waiting at the same time queue up one interval apart and the slot is
 * the caller's alone.  False when the library is not preloaded (the
 * caller keeps a schedule of its own).
 *
 * An unknown server takes a free entry or else the least recently used
 * one (the oldest "last"; a dropped server's entry goes that way): with
 * more than PAGED_RATE_ENTRIES servers busy at once, a server whose entry
 * was taken over restarts its schedule.
 */
bool
paged_rate_reserve(Oid serverid, int64 interval, TimestampTz now,
				   TimestampTz *start, TimestampTz *prev)
{
	PagedRateEntry *e = NULL;
	PagedRateEntry *victim = NULL;
	int			i;

	if (paged_rate == NULL)
		return false;
	SpinLockAcquire(&paged_rate->mutex);
	for (i = 0; i < PAGED_RATE_ENTRIES; i++)
	{
		PagedRateEntry *c = &paged_rate->entries[i];

		if (c->dbid == MyDatabaseId && c->serverid == serverid)
		{
			e = c;
			break;
		}
		if (victim == NULL || c->dbid == InvalidOid ||
			(victim->dbid != InvalidOid && c->last < victim->last))
			victim = c;
	}
	if (e != NULL && e->last + interval > now)
		*start = e->last + interval;
	else
		*start = now;
	*prev = e != NULL ? e->last : 0;
	if (e == NULL)
	{
		e = victim;
		e->dbid = MyDatabaseId;
		e->serverid = serverid;
	}
	e->last = *start;
	SpinLockRelease(&paged_rate->mutex);
	return true;
}

/*
 * Gives back a slot paged_rate_reserve took and that went unused, if it is
 * still the server's latest (no one reserved after it): the schedule is as
 * if it had never been taken.  A slot with later ones after it stays taken
 * (it is only a gap).
 */
void
paged_rate_release(Oid serverid, TimestampTz start, TimestampTz prev)
{
	int			i;

	if (paged_rate == NULL)
		return;
	SpinLockAcquire(&paged_rate->mutex);
	for (i = 0; i < PAGED_RATE_ENTRIES; i++)
	{
		PagedRateEntry *c = &paged_rate->entries[i];

		if (c->dbid == MyDatabaseId && c->serverid == serverid)
		{
			if (c->last == start)
				c->last = prev;
			break;
		}
	}
	SpinLockRelease(&paged_rate->mutex);
}

/*
 * The set of entries a key may live in.  Everything is hashed so that the
 * keys of one table spread over the sets.
 */
static PagedEstEntry *
paged_est_set(Oid relid, Oid userid, uint64 conds_hash)
{
	uint32		h;

	h = hash_combine(hash_uint32((uint32) MyDatabaseId),
					 hash_uint32((uint32) relid));
	h = hash_combine(h, hash_uint32((uint32) userid));
	h = hash_combine(h, (uint32) (conds_hash ^ (conds_hash >> 32)));
	return &paged_est->entries[(h % PAGED_EST_SETS) * PAGED_EST_WAYS];
}

/* Whether an entry holds this key (of this database). */
static inline bool
paged_est_holds(const PagedEstEntry *e, Oid relid, Oid userid,
				uint64 conds_hash)
{
	return e->dbid == MyDatabaseId && e->relid == relid &&
		e->userid == userid && e->conds_hash == conds_hash;
}

/*
 * The total an earlier scan of any backend of this database was told for
 * (table, user, pushed conditions), in *total (-1: none known).  False
 * when the library is not preloaded (the caller keeps its own store).
 */
bool
paged_estimate_shared_lookup(Oid relid, Oid userid, uint64 conds_hash,
							 int64 *total)
{
	PagedEstEntry *set;
	int			i;

	if (paged_est == NULL)
		return false;
	*total = -1;
	set = paged_est_set(relid, userid, conds_hash);
	SpinLockAcquire(&paged_est->mutex);
	for (i = 0; i < PAGED_EST_WAYS; i++)
	{
		PagedEstEntry *e = &set[i];

		if (paged_est_holds(e, relid, userid, conds_hash))
		{
			e->used = ++paged_est->clock;
			*total = e->total;
			break;
		}
	}
	SpinLockRelease(&paged_est->mutex);
	return true;
}

/*
 * Keep a total for every backend: in the key's entry, else in a free one
 * of its set, else in the set's least recently used one.  False when not
 * preloaded.
 */
bool
paged_estimate_shared_record(Oid relid, Oid userid, uint64 conds_hash,
							 int64 total)
{
	PagedEstEntry *set;
	PagedEstEntry *e = NULL;
	int			i;

	if (paged_est == NULL)
		return false;
	set = paged_est_set(relid, userid, conds_hash);
	SpinLockAcquire(&paged_est->mutex);
	for (i = 0; i < PAGED_EST_WAYS; i++)
	{
		PagedEstEntry *c = &set[i];

		if (paged_est_holds(c, relid, userid, conds_hash))
		{
			e = c;
			break;
		}
		if (e == NULL || c->dbid == InvalidOid ||
			(e->dbid != InvalidOid && c->used < e->used))
			e = c;
	}
	e->dbid = MyDatabaseId;
	e->relid = relid;
	e->userid = userid;
	e->conds_hash = conds_hash;
	e->total = total;
	e->used = ++paged_est->clock;
	SpinLockRelease(&paged_est->mutex);
	return true;
}

/* ----------------------------------------------------------------
 *		Counting
 * ----------------------------------------------------------------
 */

static void
paged_counters_add_pager(PagedCounters *c, const PagerStats *p)
{
	c->requests += p->requests;
	c->pages += p->pages;
	c->rows += p->rows;
	c->bytes_wire += p->wire_bytes;
	c->bytes_decoded += p->bytes;
	c->retries += p->retries;
	c->throttled += p->throttled;
	c->wait_secs += p->wait_secs;
}

static void
paged_counters_add_class(PagedCounters *c, const char *cls, int64 n)
{
	int			i;

	for (i = 0; i < PAGED_ERROR_CLASSES; i++)
	{
		if (c->err_class[i][0] == '\0')
		{
			memcpy(c->err_class[i], cls, 2);
			break;
		}
		if (memcmp(c->err_class[i], cls, 2) == 0)
			break;
	}
	if (i == PAGED_ERROR_CLASSES)
	{
		/* full: the last slot becomes (or already is) "other" */
		i = PAGED_ERROR_CLASSES - 1;
		memcpy(c->err_class[i], PAGED_OTHER_CLASS, 2);
	}
	c->err_count[i] += n;
}

static void
paged_counters_add(PagedCounters *c, const PagedCounters *a)
{
	int			i;

	c->scans += a->scans;
	c->requests += a->requests;
	c->pages += a->pages;
	c->rows += a->rows;
	c->bytes_wire += a->bytes_wire;
	c->bytes_decoded += a->bytes_decoded;
	c->retries += a->retries;
	c->throttled += a->throttled;
	c->wait_secs += a->wait_secs;
	c->errors += a->errors;
	for (i = 0; i < PAGED_ERROR_CLASSES && a->err_class[i][0] != '\0'; i++)
		paged_counters_add_class(c, a->err_class[i], a->err_count[i]);
	if (a->last_error_at != 0 && a->last_error_at >= c->last_error_at)
	{
		c->last_error_at = a->last_error_at;
		memcpy(c->last_error, a->last_error, PAGED_LAST_ERROR_LEN);
	}
}

/* The least recently updated entry of a full hash goes. */
static void
paged_evict_oldest(HTAB *hash)
{
	HASH_SEQ_STATUS seq;
	PagedStatsEntry *e;
	PagedStatsEntry *oldest = NULL;

	hash_seq_init(&seq, hash);
	while ((e = (PagedStatsEntry *) hash_seq_search(&seq)) != NULL)
	{
		if (oldest == NULL || e->last_at < oldest->last_at)
			oldest = e;
	}
	if (oldest != NULL)
		hash_search(hash, &oldest->key, HASH_REMOVE, NULL);
}

/* Add a scan's counts to its entry. */
static void
paged_flush(const PagedStatsKey *key, const PagedCounters *acc)
{
	HTAB	   *hash;
	PagedStatsEntry *e;
	bool		found;

	if (paged_shared != NULL)
	{
		hash = paged_shared_hash;
		LWLockAcquire(paged_shared->lock, LW_EXCLUSIVE);
	}
	else
	{
		if (paged_local_hash == NULL)
		{
			HASHCTL		ctl;

			memset(&ctl, 0, sizeof(ctl));
			ctl.keysize = sizeof(PagedStatsKey);
			ctl.entrysize = sizeof(PagedStatsEntry);
			ctl.hcxt = TopMemoryContext;
			paged_local_hash = hash_create("paged_fdw stats", 64, &ctl,
										   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
			if (paged_local_reset == 0)
				paged_local_reset = GetCurrentTimestamp();
		}
		hash = paged_local_hash;
	}

	e = (PagedStatsEntry *) hash_search(hash, key, HASH_FIND, NULL);
	if (e == NULL)
	{
		if (hash_get_num_entries(hash) >= paged_stats_max_entries)
			paged_evict_oldest(hash);
		e = (PagedStatsEntry *) hash_search(hash, key,
											paged_shared ? HASH_ENTER_NULL : HASH_ENTER,
											&found);
		if (e != NULL && !found)
			memset(&e->c, 0, sizeof(PagedCounters));
	}
	if (e != NULL)
	{
		paged_counters_add(&e->c, acc);
		e->last_at = GetCurrentTimestamp();
	}

	if (paged_shared != NULL)
		LWLockRelease(paged_shared->lock);
}

/* ----------------------------------------------------------------
 *		Progress slots
 * ----------------------------------------------------------------
 */

static inline void
paged_slot_begin_write(PagedProgressSlot *slot)
{
	((volatile PagedProgressSlot *) slot)->changecount++;
	pg_write_barrier();
}

static inline void
paged_slot_end_write(PagedProgressSlot *slot)
{
	pg_write_barrier();
	((volatile PagedProgressSlot *) slot)->changecount++;
}

static void
paged_slot_free(PagedProgressSlot *slot)
{
	paged_slot_begin_write(slot);
	slot->pid = 0;
	paged_slot_end_write(slot);
}

/* on_shmem_exit: nothing of this backend stays visible. */
static void
paged_progress_exit(int code, Datum arg)
{
	int			base = (MyBackendId - 1) * PAGED_SLOTS_PER_BACKEND;
	int			i;

	if (paged_shared == NULL)
		return;
	for (i = 0; i < PAGED_SLOTS_PER_BACKEND; i++)
		paged_slot_free(&paged_shared->slots[base + i]);
}

/* A free slot of this backend, or NULL (more scans than slots). */
static PagedProgressSlot *
paged_slot_take(void)
{
	int			base;
	int			i;

	if (paged_shared == NULL || MyBackendId == InvalidBackendId ||
		MyBackendId > MaxBackends)
		return NULL;
	base = (MyBackendId - 1) * PAGED_SLOTS_PER_BACKEND;
	if (!paged_exit_registered)
	{
		/* a slot a previous owner of this BackendId left is not ours */
		for (i = 0; i < PAGED_SLOTS_PER_BACKEND; i++)
			paged_slot_free(&paged_shared->slots[base + i]);
		on_shmem_exit(paged_progress_exit, (Datum) 0);
		paged_exit_registered = true;
	}
	for (i = 0; i < PAGED_SLOTS_PER_BACKEND; i++)
	{
		if (paged_shared->slots[base + i].pid == 0)
			return &paged_shared->slots[base + i];
	}
	return NULL;
}

/* Publish the live counters (between begin/end_write). */
static void
paged_slot_counters(PagedScanStat *s)
{
	PagedProgressSlot *slot = s->slot;
	const PagerStats *p = s->live;

	slot->pages = p->pages;
	slot->rows = p->rows;
	slot->bytes_wire = p->wire_bytes;
	slot->bytes_decoded = p->bytes;
	slot->requests = p->requests;
	slot->retries = p->retries;
}

/* ----------------------------------------------------------------
 *		The scan's calls
 * ----------------------------------------------------------------
 */

/* The scan node's memory goes: its counts go to the statistics. */
static void
paged_stats_end(void *arg)
{
	PagedScanStat *s = (PagedScanStat *) arg;

	/* (the pager's context, a child, has gone already) */
	if (s->acc.scans == 0 && s->acc.errors == 0)
		return;
	paged_flush(&s->key, &s->acc);
}

PagedScanStat *
paged_stats_begin(const PagedOptions *opts, MemoryContext cxt)
{
	PagedScanStat *s;

	if (!paged_track_stats)
		return NULL;
	s = MemoryContextAllocZero(cxt, sizeof(PagedScanStat));
	s->key.dbid = MyDatabaseId;
	s->key.serverid = opts->serverid;
	s->key.userid = opts->userid;
	strlcpy(s->key.resource, opts->resource, NAMEDATALEN);
	s->opts = opts;
	s->cxt = cxt;
	s->end_cb.func = paged_stats_end;
	s->end_cb.arg = s;
	MemoryContextRegisterResetCallback(cxt, &s->end_cb);
	return s;
}

/* The pager's memory goes: take over its counters, free its slot. */
static void
paged_stats_pager_end(void *arg)
{
	PagedScanStat *s = (PagedScanStat *) arg;

	if (s->live != NULL)
		paged_counters_add_pager(&s->acc, s->live);
	s->live = NULL;
	if (s->slot != NULL)
		paged_slot_free(s->slot);
	s->slot = NULL;
}

void
paged_stats_pager_begin(PagedScanStat *s, const PagerStats *live,
						List *streams, MemoryContext pager_cxt)
{
	PagedProgressSlot *slot;

	if (s == NULL)
		return;
	/* one pager at a time per scan node; a previous one has ended */
	Assert(s->live == NULL);
	s->live = live;
	s->acc.scans++;
	s->pager_cb.func = paged_stats_pager_end;
	s->pager_cb.arg = s;
	MemoryContextRegisterResetCallback(pager_cxt, &s->pager_cb);

	slot = paged_slot_take();
	if (slot == NULL)
		return;
	s->slot = slot;
	paged_slot_begin_write(slot);
	slot->pid = MyProcPid;
	slot->dbid = s->key.dbid;
	slot->serverid = s->key.serverid;
	slot->userid = s->key.userid;
	memcpy(slot->resource, s->key.resource, NAMEDATALEN);
	slot->label[0] = '\0';
	if (streams != NIL)
	{
		const char *label = ((ResourceStream *) linitial(streams))->label;
		char		buf[PAGED_LABEL_LEN + 32];
		int			len;

		if (list_length(streams) > 1)
			snprintf(buf, sizeof(buf), "%s (+%d more)", label,
					 list_length(streams) - 1);
		else
			strlcpy(buf, label, sizeof(buf));
		len = pg_mbcliplen(buf, strlen(buf), PAGED_LABEL_LEN - 1);
		memcpy(slot->label, buf, len);
		slot->label[len] = '\0';
	}
	slot->state = PAGED_STATE_REQUESTING;
	slot->started = slot->state_since = GetCurrentTimestamp();
	slot->total_rows = -1;
	paged_slot_counters(s);
	paged_slot_end_write(slot);
}

/* Publish state and counters; total >= 0 also sets total_rows. */
static void
paged_stats_publish(PagedScanStat *s, PagedProgressState state, int64 total)
{
	PagedProgressSlot *slot;

	if (s == NULL || (slot = s->slot) == NULL)
		return;
	paged_slot_begin_write(slot);
	if (slot->state != (int) state)
	{
		slot->state = state;
		slot->state_since = GetCurrentTimestamp();
	}
	if (total >= 0)
		slot->total_rows = total;
	paged_slot_counters(s);
	paged_slot_end_write(slot);
}

void
paged_stats_state(PagedScanStat *s, PagedProgressState state)
{
	paged_stats_publish(s, state, -1);
}

void
paged_stats_page(PagedScanStat *s, int64 total)
{
	paged_stats_publish(s, PAGED_STATE_CONSUMING, total);
}

/*
 * Called from error context callbacks, i.e. inside errfinish() with the
 * report still being made.  Reports below ERROR (warnings, notices) are
 * passed over without copying anything.
 */
void
paged_stats_errcontext(void *arg)
{
	PagedScanStat *s = (PagedScanStat *) arg;
	int			code;
	char	   *cls;
	MemoryContext old;
	ErrorData  *edata;

	if (s == NULL)
		return;
	code = geterrcode();
	cls = unpack_sql_state(code);
	/* success, warning, no data: never an ERROR */
	if (strncmp(cls, "00", 2) == 0 || strncmp(cls, "01", 2) == 0 ||
		strncmp(cls, "02", 2) == 0)
		return;

	/* CopyErrorData must not run in ErrorContext */
	old = MemoryContextSwitchTo(s->cxt);
	edata = CopyErrorData();
	if (edata->elevel >= ERROR)
	{
		HttpRequest req;
		const char *msg = edata->message ? edata->message : "";
		size_t		len = strlen(msg);
		int			clip;

		s->acc.errors++;
		paged_counters_add_class(&s->acc, cls, 1);
		s->acc.last_error_at = GetCurrentTimestamp();

		/* paged_fdw never puts a secret in a message; still, be sure */
		memset(&req, 0, sizeof(req));
		if (s->opts->token)
			req.secrets = lappend(req.secrets, s->opts->token);
		if (s->opts->login)
			req.secrets = lappend(req.secrets, s->opts->login);
		req.basic_user = s->opts->user;
		req.basic_password = s->opts->password;
		msg = http_redact(&req, msg, &len);
		clip = pg_mbcliplen(msg, (int) len, PAGED_LAST_ERROR_LEN - 1);
		memcpy(s->acc.last_error, msg, clip);
		s->acc.last_error[clip] = '\0';
	}
	FreeErrorData(edata);
	MemoryContextSwitchTo(old);
}

/* ----------------------------------------------------------------
 *		SQL functions
 * ----------------------------------------------------------------
 */

/* May the current user see details of rows belonging to "userid"? */
static bool
paged_may_see(Oid userid)
{
	Oid			me = GetUserId();

	return has_privs_of_role(me, ROLE_PG_READ_ALL_STATS) ||
		has_privs_of_role(me, userid);
}

/* Server name, only for servers of this database (OIDs are per database). */
static Datum
paged_server_name(Oid dbid, Oid serverid, bool *isnull)
{
	ForeignServer *server;

	*isnull = true;
	if (dbid != MyDatabaseId)
		return (Datum) 0;
	server = GetForeignServerExtended(serverid, FSV_MISSING_OK);
	if (server == NULL)
		return (Datum) 0;
	*isnull = false;
	return CStringGetTextDatum(server->servername);
}

static Datum
paged_name_datum(const char *name, bool *isnull)
{
	*isnull = (name == NULL);
	if (name == NULL)
		return (Datum) 0;
	return DirectFunctionCall1(namein, CStringGetDatum(name));
}

/* {"HV": 3, "57": 1} */
static Datum
paged_classes_jsonb(const PagedCounters *c)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (i = 0; i < PAGED_ERROR_CLASSES && c->err_class[i][0] != '\0'; i++)
	{
		char		cls[3];

		memcpy(cls, c->err_class[i], 2);
		cls[2] = '\0';
		if (i > 0)
			appendStringInfoString(&buf, ", ");
		escape_json(&buf, strcmp(cls, PAGED_OTHER_CLASS) == 0 ? "other" : cls);
		appendStringInfo(&buf, ": " INT64_FORMAT, c->err_count[i]);
	}
	appendStringInfoChar(&buf, '}');
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
}

#define PAGED_STATS_COLS 22

Datum
paged_fdw_stats(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PagedStatsEntry *entries;
	int			n = 0;
	int			i;
	HTAB	   *hash;
	TimestampTz reset;

	InitMaterializedSRF(fcinfo, 0);

	/* copy under the lock, build rows (catalog lookups) without it */
	if (paged_shared != NULL)
	{
		LWLockAcquire(paged_shared->lock, LW_SHARED);
		hash = paged_shared_hash;
		reset = paged_shared->stats_reset;
	}
	else
	{
		hash = paged_local_hash;
		reset = paged_local_reset;
	}
	entries = palloc(sizeof(PagedStatsEntry) *
					 Max(hash ? hash_get_num_entries(hash) : 0, 1));
	if (hash != NULL)
	{
		HASH_SEQ_STATUS seq;
		PagedStatsEntry *e;

		hash_seq_init(&seq, hash);
		while ((e = (PagedStatsEntry *) hash_seq_search(&seq)) != NULL)
			entries[n++] = *e;
	}
	if (paged_shared != NULL)
		LWLockRelease(paged_shared->lock);

	for (i = 0; i < n; i++)
	{
		PagedStatsEntry *e = &entries[i];
		Datum		values[PAGED_STATS_COLS];
		bool		nulls[PAGED_STATS_COLS];
		int			k = 0;

		/* other users' rows are left out entirely */
		if (!paged_may_see(e->key.userid))
			continue;
		memset(nulls, false, sizeof(nulls));
		values[k++] = ObjectIdGetDatum(e->key.dbid);
		values[k] = paged_name_datum(get_database_name(e->key.dbid), &nulls[k]);
		k++;
		values[k++] = ObjectIdGetDatum(e->key.serverid);
		values[k] = paged_server_name(e->key.dbid, e->key.serverid, &nulls[k]);
		k++;
		values[k++] = ObjectIdGetDatum(e->key.userid);
		values[k] = paged_name_datum(GetUserNameFromId(e->key.userid, true), &nulls[k]);
		k++;
		values[k++] = CStringGetTextDatum(e->key.resource);
		values[k++] = Int64GetDatum(e->c.scans);
		values[k++] = Int64GetDatum(e->c.requests);
		values[k++] = Int64GetDatum(e->c.pages);
		values[k++] = Int64GetDatum(e->c.rows);
		values[k++] = Int64GetDatum(e->c.bytes_wire);
		values[k++] = Int64GetDatum(e->c.bytes_decoded);
		values[k++] = Int64GetDatum(e->c.retries);
		values[k++] = Int64GetDatum(e->c.throttled);
		values[k++] = Int64GetDatum(e->c.errors);
		values[k++] = paged_classes_jsonb(&e->c);
		values[k++] = Float8GetDatum(e->c.wait_secs * 1000.0);
		nulls[k] = (e->c.last_error_at == 0);
		values[k++] = TimestampTzGetDatum(e->c.last_error_at);
		nulls[k] = (e->c.last_error_at == 0);
		values[k++] = CStringGetTextDatum(e->c.last_error);
		values[k++] = TimestampTzGetDatum(e->last_at);
		nulls[k] = (reset == 0);
		values[k++] = TimestampTzGetDatum(reset);
		Assert(k == PAGED_STATS_COLS);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

Datum
paged_fdw_stats_reset(PG_FUNCTION_ARGS)
{
	if (paged_shared != NULL)
	{
		HASH_SEQ_STATUS seq;
		PagedStatsEntry *e;

		LWLockAcquire(paged_shared->lock, LW_EXCLUSIVE);
		hash_seq_init(&seq, paged_shared_hash);
		while ((e = (PagedStatsEntry *) hash_seq_search(&seq)) != NULL)
			hash_search(paged_shared_hash, &e->key, HASH_REMOVE, NULL);
		paged_shared->stats_reset = GetCurrentTimestamp();
		LWLockRelease(paged_shared->lock);
	}
	else
	{
		if (paged_local_hash != NULL)
			hash_destroy(paged_local_hash);
		paged_local_hash = NULL;
		paged_local_reset = GetCurrentTimestamp();
	}
	PG_RETURN_VOID();
}

static const char *const paged_state_names[] = {
	[PAGED_STATE_REQUESTING] = "requesting",
	[PAGED_STATE_RETRY_WAIT] = "waiting for retry",
	[PAGED_STATE_CONSUMING] = "consuming"
};

#define PAGED_PROGRESS_COLS 19

Datum
paged_fdw_progress(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	if (paged_shared == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("paged_fdw_progress needs paged_fdw in shared_preload_libraries"),
				 errhint("Add paged_fdw to shared_preload_libraries in postgresql.conf and restart the server.")));

	InitMaterializedSRF(fcinfo, 0);

	for (i = 0; i < paged_shared->nslots; i++)
	{
		volatile PagedProgressSlot *vslot = &paged_shared->slots[i];
		PagedProgressSlot copy;
		Datum		values[PAGED_PROGRESS_COLS];
		bool		nulls[PAGED_PROGRESS_COLS];
		int			k = 0;

		/* a consistent copy: the same even change count before and after */
		for (;;)
		{
			uint32		before = vslot->changecount;

			pg_read_barrier();
			memcpy(&copy, (const void *) vslot, sizeof(copy));
			pg_read_barrier();
			if (before == vslot->changecount && (before & 1) == 0)
				break;
			CHECK_FOR_INTERRUPTS();
		}
		if (copy.pid == 0 || !paged_may_see(copy.userid))
			continue;
		copy.label[PAGED_LABEL_LEN - 1] = '\0';
		copy.resource[NAMEDATALEN - 1] = '\0';

		memset(nulls, false, sizeof(nulls));
		values[k++] = Int32GetDatum(copy.pid);
		values[k++] = ObjectIdGetDatum(copy.dbid);
		values[k] = paged_name_datum(get_database_name(copy.dbid), &nulls[k]);
		k++;
		values[k++] = ObjectIdGetDatum(copy.serverid);
		values[k] = paged_server_name(copy.dbid, copy.serverid, &nulls[k]);
		k++;
		values[k++] = ObjectIdGetDatum(copy.userid);
		values[k] = paged_name_datum(GetUserNameFromId(copy.userid, true), &nulls[k]);
		k++;
		values[k++] = CStringGetTextDatum(copy.resource);
		values[k++] = CStringGetTextDatum(copy.label);
		if (copy.state >= 0 && copy.state <= PAGED_STATE_CONSUMING)
			values[k++] = CStringGetTextDatum(paged_state_names[copy.state]);
		else
			nulls[k++] = true;
		values[k++] = TimestampTzGetDatum(copy.state_since);
		values[k++] = TimestampTzGetDatum(copy.started);
		values[k++] = Int64GetDatum(copy.pages);
		values[k++] = Int64GetDatum(copy.rows);
		nulls[k] = (copy.total_rows < 0);
		values[k++] = Int64GetDatum(copy.total_rows);
		values[k++] = Int64GetDatum(copy.bytes_wire);
		values[k++] = Int64GetDatum(copy.bytes_decoded);
		values[k++] = Int64GetDatum(copy.requests);
		values[k++] = Int64GetDatum(copy.retries);
		Assert(k == PAGED_PROGRESS_COLS);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
