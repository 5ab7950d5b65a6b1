/*-------------------------------------------------------------------------
 * pager.c
 *		The paging engine.
 *
 * A scan is a list of streams (independent paged sequences).  Rows come out
 * stream by stream, page by page, in order.  Pages are requested through a
 * window of in-flight requests ("slots", kept in the order they will be
 * consumed):
 *
 *	- key paging: page N+1 of a stream can only be asked for once page N
 *	  told its key, so it is requested as soon as page N is parsed, i.e.
 *	  while its rows are being consumed (prefetch);
 *	- offset paging: once the first page told the total, the following
 *	  offsets are requested up to the window size;
 *	- further streams start their first page while earlier ones are read.
 *
 * A pushed-down LIMIT shrinks the window to what is needed: no request asks
 * for rows past the limit.  With prefetch off the window is strictly lazy:
 * a page is requested only when its rows are needed.
 *
 * Slow start.  A LIMIT the scan cannot see (a condition rechecked locally,
 * a join, a cursor that is closed early) may need only a few rows of the
 * first page, so a scan starts with one page in flight and nothing more
 * until that page is used up.  Each page used up doubles the window (pages
 * being consumed or in flight) up to max_concurrency requests in flight
 * plus the page in hand: 1, 2, 4, ...  A big scan pays one unhidden round
 * trip or two at its start; a scan that stops within its first page sends
 * one request.
 *
 * Transfers only move while curl is called.  While rows of the current
 * page are handed out, the pager lets curl run every PAGER_PROGRESS_ROWS
 * rows if PAGER_PROGRESS_MS have passed, so prefetched requests connect,
 * send and drain their sockets during the consumer's per-row work instead
 * of at the next page boundary.  The clock is read once per batch of rows
 * and curl at most once a millisecond, which costs well under 1% of a
 * count(*) scan.
 *
 * Every slot lives in its own memory context (request, transfer, parsed
 * records), deleted once its rows are consumed, so memory is bounded by the
 * window and not by the result.  Deleting the context also releases the
 * curl transfer, which is what makes an ERROR or cancel leak-free.
 *
 * Without blocking.  An Async Append asks for rows with pager_next_async(),
 * which returns PAGER_BLOCKED instead of waiting when the next row needs a
 * page that has not arrived yet; the pager's state is then exactly what it
 * was before the wait, so the next call goes on from there.  The backoff
 * before a retry is such a wait too: the failed page's slot keeps the time
 * to ask again (retry_at), and the connection's descriptor is made readable
 * then (http_wake_after), so the other scans of the Append go on meanwhile.
 * So is the wait for max_requests_per_second: an async caller's requests
 * are kept unsent ("pending") and go out in order (pager_start_pending),
 * each on a slot of the server's schedule that the pager reserved in one
 * step (http_rate_reserve, at most one slot per pager at a time): once
 * reserved, no other backend can take it, so when its time comes the
 * request is sent on it (http_rate_prepay) and http_start never waits.
 * Until then the connection's descriptor is set to wake the executor at
 * that time, and the other scans of the Append go on.  A re-sent request
 * after a 401 goes the same way, and so does the token request of the
 * re-authentication (reauth_due): it is made when the pager holds a slot
 * whose time has come, and takes that slot.
 *
 * Parallel scans (pager_set_shared).  Every process builds the same
 * streams.  One offset-paged stream is split by range: a process claims
 * range k (offsets k * page_size up to the next range) from a shared
 * counter, asks for it and reads all of it: a short page that is not the
 * list's end is followed by a request for the rest of the range, so no
 * range is left half read and none is read twice.  A process stops at its
 * first range past the end.  Several streams are split by stream: a process
 * claims the next stream and reads it as a serial scan would.  Either way
 * each row is read by exactly one process, as long as the list does not
 * change meanwhile (the same condition as for a serial scan).
 *
 * Failures.  A page whose request failed in a way that may pass (connect
 * failure, reset, timeout, 408, 429, 5xx, or what the resource calls
 * transient) is asked for again with the same cursor, so a retry can
 * neither skip nor repeat rows, after a backoff (http_retry_delay), up to
 * max_retries times and while the time spent on the page stays within
 * retry_max_time.  Paging that would not end is an ERROR: a key seen
 * before in the stream (any earlier key, not only the previous one: the
 * keys of a stream are remembered as 64-bit hashes), or more than
 * max_pages pages.  An offset-paged list whose total changes between pages
 * is followed as far as it is knowable (see pager_after_page).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "pager.h"
#include "stats.h"

/* (overridable at build time, e.g. COPT=-DPAGER_PROGRESS_ROWS=2000000000 to measure) */
#ifndef PAGER_PROGRESS_ROWS
#define PAGER_PROGRESS_ROWS	16	/* rows between clock reads */
#endif
#ifndef PAGER_PROGRESS_MS
#define PAGER_PROGRESS_MS	1	/* least time between curl calls */
#endif

typedef struct PagerSlot
{
	int			stream_no;
	PageCursor	cursor;
	MemoryContext cxt;			/* request, transfer, parsed page */
	HttpRequest req;
	HttpTransfer *xfer;
	int			attempts;		/* retries so far */
	bool		reauthed;
	bool		reauth_due;		/* re-authenticate before the resend (the
								 * 401's transfer is kept for its ERROR) */
	bool		built;			/* req is built and not sent yet */
	TimestampTz first_wait;		/* when the pager first waited for it */
	TimestampTz retry_at;		/* after a failure: ask again then, or 0 */
	bool		pending;		/* not sent yet: waits for the request rate */
} PagerSlot;

typedef struct PagerRest
{
	int64		offset;
	int			count;
} PagerRest;

typedef struct StreamState
{
	bool		done;			/* nothing more to request */
	bool		next_known;		/* the next request's position is known */
	bool		sequential;		/* offset paging saw a short page */
	int			pages_requested;
	/* key paging */
	char	   *next_key;
	int			next_keylen;
	HTAB	   *seen_keys;		/* hashes of the keys requested so far */
	/* offset paging */
	List	   *rests;			/* parallel by range: PagerRest * of ranges
								 * whose pages came back short */
	bool		claims_over;	/* ... a range reached the list's end */
	bool		probing;		/* ... a range past the total was claimed */
	int64		next_offset;
	int64		total;			/* -1 until the first page told it */
	int64		first_total;	/* what the first page announced */
	bool		warned;			/* the list changed: said so once */
} StreamState;

struct Pager
{
	const PagedResource *res;
	ResourceCtx *ctx;
	MemoryContext cxt;
	ResourceStream **streams;
	StreamState *ss;
	int			nstreams;
	int			cur_stream;		/* stream being consumed */
	int			window;			/* slow start: pages in hand or in flight */
	int			max_inflight;	/* max requests in flight */
	bool		prefetch;
	int64		limit;			/* -1: none */
	int64		emitted;

	List	   *slots;			/* PagerSlot * in flight, in consumption order */
	PagerSlot  *cur;			/* parsed page being consumed (not in slots) */
	PageResult	page;
	int			row;
	int			rows_since_progress;
	TimestampTz last_progress;
	PagerShared *shared;		/* parallel scan, or NULL */
	bool		by_range;		/* ... split by range (else by stream) */
	bool		nowait;			/* pager_next_async: do not wait */
	HttpRateReservation rate;	/* request-rate slot reserved for the next
								 * pending request (start 0: none) */
	HttpConn   *rate_conn;		/* ... on this connection */
	MemoryContextCallback rate_cb;	/* gives it back when the pager goes */
	bool		blocked;		/* ... and it would have had to */

	PagerStats	stats;
};

/* pager_complete: the page has not arrived and p->nowait is set */
#define PAGE_BLOCKED	((PageVerdict) -1)

static void pager_start_slot(Pager *p, PagerSlot *slot);
static bool pager_has_pending(Pager *p);
static void pager_start_pending(Pager *p);

/*
 * The pager's memory goes (end, rescan, ERROR, cancel) with a request-rate
 * slot still reserved: give it back.
 */
static void
pager_release_rate(void *arg)
{
	Pager	   *p = (Pager *) arg;

	if (p->rate_conn != NULL)
		http_rate_release(p->rate_conn, &p->rate);
}

/* The stream to read after the current one: the next, or the next claimed. */
static int
pager_next_stream(Pager *p)
{
	uint32		s;

	if (p->shared == NULL || p->by_range)
		return p->cur_stream + 1;
	s = pg_atomic_fetch_add_u32(&p->shared->next_stream, 1);
	if (s >= (uint32) p->nstreams)
		return p->nstreams;
	return (int) s;
}

Pager *
pager_begin(const PagedResource *res, ResourceCtx *ctx, List *streams,
			int64 limit, MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "paged_fdw pager",
											  ALLOCSET_DEFAULT_SIZES);
	Pager	   *p = MemoryContextAllocZero(cxt, sizeof(Pager));
	ListCell   *lc;
	int			i = 0;

	p->res = res;
	p->ctx = ctx;
	p->cxt = cxt;
	p->nstreams = list_length(streams);
	p->streams = MemoryContextAlloc(cxt, sizeof(ResourceStream *) * Max(p->nstreams, 1));
	p->ss = MemoryContextAllocZero(cxt, sizeof(StreamState) * Max(p->nstreams, 1));
	foreach(lc, streams)
	{
		p->streams[i] = (ResourceStream *) lfirst(lc);
		p->ss[i].next_known = true;
		p->ss[i].total = -1;
		p->ss[i].first_total = -1;
		i++;
	}
	p->limit = limit;
	p->prefetch = ctx->opts->prefetch;
	p->max_inflight = p->prefetch ? Max(ctx->opts->max_concurrency, 1) : 1;
	p->window = 1;
	p->rate_cb.func = pager_release_rate;
	p->rate_cb.arg = p;
	MemoryContextRegisterResetCallback(cxt, &p->rate_cb);
	paged_stats_pager_begin(ctx->stat, &p->stats, streams, cxt);
	return p;
}

const PagerStats *
pager_stats(Pager *p)
{
	return &p->stats;
}

int64
pager_known_total(Pager *p)
{
	int64		sum = 0;
	int			i;

	for (i = 0; i < p->nstreams; i++)
	{
		if (p->ss[i].total < 0)
			return -1;
		sum += p->ss[i].total;
	}
	return sum;
}

/*
 * Rows the consumer may still need beyond those in hand or asked for: what
 * limits the count of the next request.
 */
static int64
pager_rows_wanted(Pager *p)
{
	int64		wanted;
	ListCell   *lc;

	if (p->limit < 0)
		return PG_INT64_MAX;
	wanted = p->limit - p->emitted;
	if (p->cur != NULL)
		wanted -= p->page.nrecords - p->row;
	foreach(lc, p->slots)
		wanted -= ((PagerSlot *) lfirst(lc))->cursor.count;
	return wanted;
}

/*
 * The next request of stream s, if its position is known and it is still
 * needed; fills *cursor.
 */
static bool
pager_next_request(Pager *p, int s, PageCursor *cursor)
{
	StreamState *st = &p->ss[s];
	int64		wanted = pager_rows_wanted(p);
	int			max_pages = p->ctx->opts->max_pages;

	/*
	 * Parallel by range: the rest of a range whose page came back short is
	 * read even after this process claimed its last range.
	 */
	if (p->by_range && st->rests != NIL)
	{
		PagerRest  *r = (PagerRest *) linitial(st->rests);

		memset(cursor, 0, sizeof(PageCursor));
		cursor->page_no = st->pages_requested;
		cursor->offset = r->offset;
		cursor->count = r->count;
		st->rests = list_delete_first(st->rests);
		return true;
	}
	if (st->done || !st->next_known || wanted <= 0)
		return false;
	if (p->res->paging == PAGING_OFFSET && st->total >= 0 &&
		st->next_offset >= st->total)
	{
		st->done = true;
		return false;
	}
	if (max_pages > 0 && st->pages_requested >= max_pages)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("%s returned more than max_pages (%d) pages for %s",
						p->res->operation, max_pages, p->streams[s]->label),
				 errhint("Raise the max_pages option of the server or foreign table, or narrow the query.")));

	memset(cursor, 0, sizeof(PageCursor));
	cursor->page_no = st->pages_requested;
	cursor->count = p->ctx->page_size;
	if (wanted < cursor->count)
		cursor->count = (int) wanted;
	if (p->by_range)
	{
		/* a new range (the rests of ranges were asked for above) */
		if (st->claims_over)
		{
			st->done = true;
			return false;
		}
		/*
		 * A claimed range is always asked for (the list may have grown
		 * since this process learned its total), so claim no more once
		 * this process has one request past that total out and the
		 * counter is past it too.
		 */
		if (st->probing && st->total >= 0 &&
			(int64) pg_atomic_read_u64(&p->shared->next_range) * p->ctx->page_size >= st->total)
		{
			st->done = true;
			return false;
		}
		cursor->count = p->ctx->page_size;
		cursor->offset = (int64) pg_atomic_fetch_add_u64(&p->shared->next_range, 1) *
			p->ctx->page_size;
		if (st->total >= 0 && cursor->offset >= st->total)
			st->probing = true;
	}
	else if (p->res->paging == PAGING_KEY)
	{
		cursor->key = st->next_key;
		cursor->keylen = st->next_keylen;
	}
	else
	{
		cursor->offset = st->next_offset;
		if (st->total >= 0 && st->total - cursor->offset < cursor->count)
			cursor->count = (int) (st->total - cursor->offset);
	}
	return true;
}

/* Mark the request in *cursor as sent: advance the stream's position. */
static void
pager_advance(Pager *p, int s, const PageCursor *cursor)
{
	StreamState *st = &p->ss[s];

	st->pages_requested++;
	if (p->by_range)
		return;					/* the next request claims its own range */
	if (p->res->paging == PAGING_KEY)
		st->next_known = false;
	else if (st->total < 0 || st->sequential)
		st->next_known = false; /* wait for this page's answer */
	else
		st->next_offset = cursor->offset + cursor->count;
}

/* Error context: which page of which stream an error is about. */
typedef struct PagerPageArg
{
	Pager	   *p;
	PagerSlot  *slot;
} PagerPageArg;

static void
pager_page_errcontext(void *arg)
{
	PagerPageArg *a = (PagerPageArg *) arg;

	errcontext("page %d of %s (%s)", a->slot->cursor.page_no + 1,
			   a->p->streams[a->slot->stream_no]->label, a->p->res->operation);
}

/* Errors from here on say which page (pop with errcb->previous). */
static void
pager_push_page_context(Pager *p, PagerSlot *slot, ErrorContextCallback *errcb,
						PagerPageArg *errarg)
{
	errarg->p = p;
	errarg->slot = slot;
	errcb->callback = pager_page_errcontext;
	errcb->arg = errarg;
	errcb->previous = error_context_stack;
	error_context_stack = errcb;
}

static void
pager_add_slot(Pager *p, int s, const PageCursor *cursor)
{
	MemoryContext cxt = AllocSetContextCreate(p->cxt, "paged_fdw page",
											  ALLOCSET_DEFAULT_SIZES);
	PagerSlot  *slot = MemoryContextAllocZero(cxt, sizeof(PagerSlot));
	ListCell   *lc;
	int			pos = 0;
	ErrorContextCallback errcb;
	PagerPageArg errarg;

	slot->stream_no = s;
	slot->cursor = *cursor;
	slot->cxt = cxt;
	if (cursor->key != NULL)
	{
		slot->cursor.key = MemoryContextAlloc(cxt, cursor->keylen + 1);
		memcpy(slot->cursor.key, cursor->key, cursor->keylen);
	}
	pager_advance(p, s, cursor);

	/*
	 * Building the request may itself call the API (a Diadoc token) or
	 * fail (a host not allowed): say which page it was for.
	 */
	pager_push_page_context(p, slot, &errcb, &errarg);
	/* an async caller does not wait for the request rate: sent in order */
	if (p->nowait)
		slot->pending = true;
	else
		pager_start_slot(p, slot);
	error_context_stack = errcb.previous;

	/* Keep consumption order: by stream, then by page. */
	foreach(lc, p->slots)
	{
		PagerSlot  *o = (PagerSlot *) lfirst(lc);

		if (o->stream_no > s)
			break;
		pos++;
	}
	p->slots = list_insert_nth(p->slots, pos, slot);
}

/*
 * Requests that may be in flight now: the slow-start window less the page
 * being consumed, never more than max_concurrency.
 */
static int
pager_allowed(Pager *p)
{
	return Min(p->window - (p->cur != NULL ? 1 : 0), p->max_inflight);
}

/* Fill the window with the requests that will be needed next. */
static void
pager_fill(Pager *p)
{
	MemoryContext old = MemoryContextSwitchTo(p->cxt);
	int			allowed = pager_allowed(p);
	int			s;

	/* what waited for the request rate goes out first */
	if (pager_has_pending(p))
		pager_start_pending(p);
	for (s = p->cur_stream; s < p->nstreams; s++)
	{
		PageCursor	cursor;

		/*
		 * Later streams only when nothing limits us and prefetch is on (and
		 * not when processes claim streams: the next one may be another's).
		 */
		if (s > p->cur_stream &&
			(!p->prefetch || p->limit >= 0 || (p->shared && !p->by_range)))
			break;
		while (list_length(p->slots) < allowed)
		{
			if (!pager_next_request(p, s, &cursor))
				break;
			pager_add_slot(p, s, &cursor);
		}
		if (list_length(p->slots) >= allowed)
			break;
	}
	if (p->nowait && pager_has_pending(p))
		pager_start_pending(p);
	MemoryContextSwitchTo(old);
}

/* Build the slot's request (which may ask the API for a token). */
static void
pager_build_slot(Pager *p, PagerSlot *slot)
{
	MemoryContext old = MemoryContextSwitchTo(slot->cxt);

	memset(&slot->req, 0, sizeof(HttpRequest));
	p->res->build_request(p->ctx, p->streams[slot->stream_no], &slot->cursor,
						  &slot->req);
	slot->built = true;
	MemoryContextSwitchTo(old);
}

/* Send the slot's request, building it first unless that is done. */
static void
pager_start_slot(Pager *p, PagerSlot *slot)
{
	MemoryContext old;

	if (!slot->built)
		pager_build_slot(p, slot);
	old = MemoryContextSwitchTo(slot->cxt);
	slot->xfer = http_start(p->ctx->conn, &slot->req, slot->cxt);
	slot->built = false;
	p->stats.requests++;
	MemoryContextSwitchTo(old);
}

/*
 * With a request-rate slot prepaid (if "limited"): re-authenticate if due,
 * build the request, send it.  A token request on the way takes the slot:
 * then return with the request unsent (slot->xfer NULL), to be sent on the
 * next slot.
 */
static void
pager_send_prepaid(Pager *p, PagerSlot *slot, bool limited)
{
	HttpConn   *conn = p->ctx->conn;

	if (slot->reauth_due)
	{
		slot->reauth_due = false;
		if (!p->res->reauth(p->ctx))
			http_raise(&slot->req, http_wait(slot->xfer),
					   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, NULL);
		http_release(slot->xfer);
		slot->xfer = NULL;
		slot->built = false;	/* again, with the new credentials */
		if (limited && !http_rate_prepaid(conn))
			return;
	}
	if (!slot->built)
	{
		pager_build_slot(p, slot);
		if (limited && !http_rate_prepaid(conn))
			return;
	}
	pager_start_slot(p, slot);
}

/*
 * Send a pending request on a request-rate slot of the pager's own: false
 * if an async caller has to wait for the slot's time (the connection's
 * descriptor wakes the executor then), true once the request is sent.  A
 * blocking caller waits in http_start for the slot.
 */
static bool
pager_send(Pager *p, PagerSlot *slot)
{
	HttpConn   *conn = p->ctx->conn;

	for (;;)
	{
		bool		limited;

		p->rate_conn = conn;
		limited = http_rate_reserve(conn, &p->rate);
		if (limited)
		{
			TimestampTz now = GetCurrentTimestamp();

			if (p->nowait && p->rate.start > now)
			{
				http_wake_after(conn, p->rate.start - now);
				return false;
			}
			http_rate_prepay(conn, &p->rate);
			p->rate.start = 0;
		}
		/* a slot prepaid and left unused must not go to a later request */
		PG_TRY();
		{
			pager_send_prepaid(p, slot, limited);
		}
		PG_FINALLY();
		{
			(void) http_rate_unprepay(conn);
		}
		PG_END_TRY();
		if (slot->xfer != NULL)
			return true;
	}
}

static bool
pager_has_pending(Pager *p)
{
	ListCell   *lc;

	foreach(lc, p->slots)
	{
		if (((PagerSlot *) lfirst(lc))->pending)
			return true;
	}
	return false;
}

/*
 * Send the pending requests in order: as many as the request rate allows
 * now for an async caller, all of them (waiting in http_start) otherwise.
 */
static void
pager_start_pending(Pager *p)
{
	ListCell   *lc;

	foreach(lc, p->slots)
	{
		PagerSlot  *slot = (PagerSlot *) lfirst(lc);
		ErrorContextCallback errcb;
		PagerPageArg errarg;
		bool		sent;

		if (!slot->pending)
			continue;
		pager_push_page_context(p, slot, &errcb, &errarg);
		sent = pager_send(p, slot);
		error_context_stack = errcb.previous;
		if (!sent)
			break;
		slot->pending = false;
	}
}

static void
pager_free_slot(Pager *p, PagerSlot *slot)
{
	p->slots = list_delete_ptr(p->slots, slot);
	/* Releases the transfer through its reset callback. */
	MemoryContextDelete(slot->cxt);
}

/* Drop every queued request of stream s (it ended or must be redone). */
static void
pager_drop_stream_slots(Pager *p, int s)
{
	ListCell   *lc;

	foreach(lc, p->slots)
	{
		PagerSlot  *o = (PagerSlot *) lfirst(lc);

		if (o->stream_no == s)
		{
			p->slots = foreach_delete_current(p->slots, lc);
			MemoryContextDelete(o->cxt);
		}
	}
}

static int
pager_failure_sqlstate(const HttpResponse *resp)
{
	if (resp->outcome == HTTP_CONNECT_FAILED)
		return ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION;
	if (resp->outcome == HTTP_COMPLETED)
		return http_status_sqlstate(resp->status);
	return ERRCODE_FDW_ERROR;
}

/*
 * Wait for the head slot and parse it, retrying as needed.  Returns the
 * verdict: PAGE_OK (p->page filled, slot becomes p->cur) or PAGE_END.
 *
 * The time budget of a page (retry_max_time) starts when the pager first
 * waits for it, not when it was sent: a prefetched page may wait unread
 * for a long time (a cursor the client fetches from slowly), and its
 * transfer may have timed out meanwhile without the server being at fault.
 */
static PageVerdict
pager_complete(Pager *p, PagerSlot *slot)
{
	const PagedOptions *opts = p->ctx->opts;

	if (slot->first_wait == 0)
		slot->first_wait = GetCurrentTimestamp();

	for (;;)
	{
		TimestampTz wait_start;
		HttpResponse *resp;
		PageVerdict verdict;
		MemoryContext old;
		PageResult	result;

		/* a retry's backoff: sleep it out, or tell an async caller to wait */
		if (slot->retry_at != 0)
		{
			TimestampTz now = GetCurrentTimestamp();

			if (slot->retry_at > now)
			{
				if (p->nowait)
				{
					http_wake_after(p->ctx->conn, slot->retry_at - now);
					return PAGE_BLOCKED;
				}
				http_sleep(p->ctx->conn,
						   (double) (slot->retry_at - now) / USECS_PER_SEC);
			}
			slot->retry_at = 0;
			slot->pending = true;	/* sent below, as the request rate allows */
		}

		/* requests kept for the request rate, this one first */
		if (slot->pending)
		{
			pager_start_pending(p);
			if (slot->pending)
				return PAGE_BLOCKED;	/* the descriptor wakes at its slot */
		}

		paged_stats_state(p->ctx->stat, PAGED_STATE_REQUESTING);
		if (p->nowait && !http_finished(slot->xfer))
		{
			http_progress(p->ctx->conn);
			if (!http_finished(slot->xfer))
				return PAGE_BLOCKED;
		}
		wait_start = GetCurrentTimestamp();
		resp = http_wait(slot->xfer);

		/* time the consumer was blocked, not the transfers' own durations */
		p->last_progress = GetCurrentTimestamp();
		p->stats.wait_secs += (double) (p->last_progress - wait_start) / USECS_PER_SEC;
		p->stats.bytes += resp->len;
		p->stats.wire_bytes += resp->wire_len;
		if (resp->outcome == HTTP_COMPLETED && resp->status == 429)
			p->stats.throttled++;

		memset(&result, 0, sizeof(result));
		result.total = -1;
		old = MemoryContextSwitchTo(slot->cxt);
		if (resp->outcome == HTTP_COMPLETED)
			verdict = p->res->parse_page(p->ctx, p->streams[slot->stream_no],
										 &slot->cursor, &slot->req, resp,
										 &result);
		else if (http_classify(resp) != HTTP_CLASS_RETRY)
			http_raise(&slot->req, resp, pager_failure_sqlstate(resp), NULL);
		else
			verdict = PAGE_RETRY;
		MemoryContextSwitchTo(old);

		if (verdict == PAGE_OK || verdict == PAGE_END)
		{
			/* the body then goes with slot->cxt, on every path */
			if (verdict == PAGE_OK && result.keeps_body)
				http_keep_body(slot->xfer);
			http_release(slot->xfer);
			slot->xfer = NULL;
			p->page = result;
			return verdict;
		}

		if (verdict == PAGE_REAUTH)
		{
			if (slot->reauthed || p->res->reauth == NULL)
				http_raise(&slot->req, resp,
						   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, NULL);
			slot->reauthed = true;

			/*
			 * Re-authenticate and ask again for the same page (same key or
			 * offset) as the request rate allows, without blocking an async
			 * caller: the token request and the resend are pending sends.
			 */
			slot->reauth_due = true;
			slot->pending = true;
			continue;
		}
		else
		{
			double		delay = http_retry_delay(slot->attempts, resp->retry_after);
			double		spent = (double) (GetCurrentTimestamp() - slot->first_wait) / USECS_PER_SEC;

			/* retry_max_time 0 means no limit but max_retries */
			if (slot->attempts >= opts->max_retries ||
				(opts->retry_max_time > 0 &&
				 spent + delay > opts->retry_max_time))
				http_raise(&slot->req, resp, pager_failure_sqlstate(resp),
						   result.what);
			slot->attempts++;
			p->stats.retries++;
			http_release(slot->xfer);
			slot->xfer = NULL;
			paged_stats_state(p->ctx->stat, PAGED_STATE_RETRY_WAIT);
			/* asked again at the top of the loop, after the backoff */
			slot->retry_at = GetCurrentTimestamp() +
				Max((int64) (delay * USECS_PER_SEC), 1);
			continue;
		}
	}
}

/* Key paging: refuse a key the stream was already requested with. */
typedef struct PagerSeenKey
{
	uint64		hash;			/* hash key, must be first */
	int			page_no;		/* the page requested with it */
} PagerSeenKey;

static void
pager_check_key(Pager *p, int s, const PageCursor *c)
{
	StreamState *st = &p->ss[s];
	uint64		h = hash_bytes_extended((const unsigned char *) p->page.next_key,
										p->page.next_keylen, 0);
	PagerSeenKey *e;
	bool		found;

	if (c->key != NULL && p->page.next_keylen == c->keylen &&
		memcmp(p->page.next_key, c->key, c->keylen) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("%s returned the same page key twice for %s",
						p->res->operation, p->streams[s]->label),
				 errdetail("Page %d's NextPageIndexKey equals the key it was requested with, so paging would never end.",
						   c->page_no + 1)));

	if (st->seen_keys == NULL)
	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(uint64);
		ctl.entrysize = sizeof(PagerSeenKey);
		ctl.hcxt = p->cxt;
		st->seen_keys = hash_create("paged_fdw page keys", 64, &ctl,
									HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	e = (PagerSeenKey *) hash_search(st->seen_keys, &h, HASH_ENTER, &found);
	if (found)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("%s returned a page key seen before for %s",
						p->res->operation, p->streams[s]->label),
				 errdetail("Page %d's NextPageIndexKey is the key page %d was requested with, so paging would go round in circles.",
						   c->page_no + 1, e->page_no + 1)));
	e->page_no = c->page_no + 1;
}

/*
 * A list that changed while it was read: a WARNING once per stream, or with
 * on_list_change 'error' an ERROR with SQLSTATE 40001, the code of a
 * transaction that may succeed if retried, so that a sync job rolls back
 * and can run again instead of committing a partial copy.
 */
static bool
pager_list_change_is_error(Pager *p)
{
	return strcmp(p->ctx->opts->on_list_change, "error") == 0;
}

static void
pager_list_changed(Pager *p, int s, const char *msg, const char *detail)
{
	bool		error = pager_list_change_is_error(p);

	ereport(error ? ERROR : WARNING,
			(errcode(error ? ERRCODE_T_R_SERIALIZATION_FAILURE : ERRCODE_WARNING),
			 errmsg_internal("%s", msg),
			 errdetail_internal("%s", detail),
			 error ?
			 errhint("The list changed on the server while it was read (the option on_list_change is \"error\"). Run the statement again.") :
			 errhint("Run the query again. To make this an error that rolls back a sync job, set the option on_list_change to \"error\".")));
}

/*
 * Offset paging: the total a later page announces differs from what we
 * had.  A list that grew is followed to its new end: rows appended at the
 * end (the usual case for a list ordered by update time) are then read
 * exactly once.  Rows inserted before the offset reached would push rows
 * already read to later offsets, and a list that shrank may have pulled
 * unread rows back to offsets already read; the answer cannot tell, so
 * either is a WARNING, once per stream, or an ERROR (on_list_change).
 * Growth is an ERROR too under 'error': a closed interval cannot grow by
 * appending, so there it can only mean rows inserted earlier, i.e. rows
 * returned twice.
 */
static void
pager_total_changed(Pager *p, int s, int64 total, int page_no)
{
	StreamState *st = &p->ss[s];
	const char *op = p->res->operation;
	const char *label = p->streams[s]->label;

	if (!st->warned)
	{
		st->warned = true;
		if (total > st->total)
			pager_list_changed(p, s,
							   psprintf("the list of %s grew from " INT64_FORMAT " to " INT64_FORMAT " rows while it was read",
										label, st->total, total),
							   psprintf(pager_list_change_is_error(p) ?
										"%s announced " INT64_FORMAT " rows, then " INT64_FORMAT " on page %d. Rows inserted earlier in the list would make rows already read appear twice, and the answer cannot tell them from rows added at the end." :
										"%s announced " INT64_FORMAT " rows, then " INT64_FORMAT " on page %d. The scan goes on to the new end: rows added at the end are returned once, but rows inserted earlier in the list make some rows appear twice.",
										op, st->total, total, page_no + 1));
		else
			pager_list_changed(p, s,
							   psprintf("the list of %s shrank from " INT64_FORMAT " to " INT64_FORMAT " rows while it was read",
										label, st->total, total),
							   psprintf("%s announced " INT64_FORMAT " rows, then " INT64_FORMAT " on page %d. Rows may be missing: the rows after a removed one move to offsets already read.",
										op, st->total, total, page_no + 1));
	}

	if (total > st->total)
	{
		/* pager_next_request may have stopped at the old total */
		st->done = false;
		st->claims_over = false;
		st->probing = false;
	}
	else
	{
		ListCell   *lc;

		/* requests past the new end can only come back empty */
		foreach(lc, p->slots)
		{
			PagerSlot  *o = (PagerSlot *) lfirst(lc);

			if (o->stream_no == s && o->cursor.offset >= total)
			{
				p->slots = foreach_delete_current(p->slots, lc);
				MemoryContextDelete(o->cxt);
			}
		}
	}
	st->total = total;
}

/*
 * An offset-paged list ended at "offset", before the total its first page
 * announced: it shrank while we read it, so rows may have moved to offsets
 * already read.  The API gives no way to know which; say so, once.
 */
static void
pager_warn_ended(Pager *p, int s, int64 offset)
{
	StreamState *st = &p->ss[s];

	if (st->total < 0 || offset >= st->total || st->warned)
		return;
	st->warned = true;
	pager_list_changed(p, s,
					   psprintf("the list of %s ended after " INT64_FORMAT " of " INT64_FORMAT " rows",
								p->streams[s]->label, offset, st->total),
					   psprintf("%s announced " INT64_FORMAT " rows but had none at offset " INT64_FORMAT ". Rows may be missing: the rows after a removed one move to offsets already read.",
								p->res->operation, st->total, offset));
}

/*
 * Parallel by range: the list ends at "end".  Claim no more ranges, and
 * drop the requests of ranges past it; the rests of earlier ranges are
 * still read.
 */
static void
pager_range_end(Pager *p, int s, int64 end)
{
	ListCell   *lc;

	p->ss[s].claims_over = true;
	foreach(lc, p->slots)
	{
		PagerSlot  *o = (PagerSlot *) lfirst(lc);

		if (o->stream_no == s && o->cursor.offset >= end)
		{
			p->slots = foreach_delete_current(p->slots, lc);
			MemoryContextDelete(o->cxt);
		}
	}
}

/* Learn from a parsed page where its stream goes next. */
static void
pager_after_page(Pager *p, PagerSlot *slot)
{
	int			s = slot->stream_no;
	StreamState *st = &p->ss[s];
	const PageCursor *c = &slot->cursor;
	int			n = p->page.nrecords;

	p->stats.pages++;
	/* a key-paged total (the event feed's TotalCount) is for EXPLAIN only */
	paged_stats_page(p->ctx->stat,
					 p->res->paging == PAGING_KEY ? -1 : p->page.total);

	if (p->res->paging == PAGING_KEY)
	{
		/* a key-paged total only informs (EXPLAIN ANALYZE), never stops */
		if (p->page.total >= 0)
		{
			p->stats.has_total = true;
			p->stats.total = p->page.total;
		}
		if (!p->page.has_next)
		{
			st->done = true;
			return;
		}
		pager_check_key(p, s, c);
		st->next_key = MemoryContextAlloc(p->cxt, Max(p->page.next_keylen, 1));
		memcpy(st->next_key, p->page.next_key, p->page.next_keylen);
		st->next_keylen = p->page.next_keylen;
		st->next_known = true;
		return;
	}

	/* Offset paging. */
	if (p->page.total >= 0)
	{
		if (st->total < 0)
			st->total = st->first_total = p->page.total;
		else if (p->page.total != st->total)
			pager_total_changed(p, s, p->page.total, c->page_no);
	}
	if (p->by_range)
	{
		int64		end = c->offset + n;

		if (n == 0 || p->page.total < 0 || end >= p->page.total)
		{
			/* (an empty page before the announced end: the list shrank) */
			if (n == 0)
				pager_warn_ended(p, s, c->offset);
			pager_range_end(p, s, end);
		}
		else if (n < c->count)
		{
			/* a short page within the list: ask for the rest of the range */
			PagerRest  *r = MemoryContextAlloc(p->cxt, sizeof(PagerRest));

			r->offset = end;
			r->count = c->count - n;
			st->rests = lappend(st->rests, r);
		}
		return;
	}
	if (n == 0 || (p->page.total < 0 && n < c->count && !p->page.has_next))
	{
		/*
		 * An empty page, or a short one with no total and no word of more
		 * (VetIS hasMore): the list ended.
		 */
		if (n == 0)
			pager_warn_ended(p, s, c->offset);
		st->done = true;
		pager_drop_stream_slots(p, s);
		return;
	}
	if (n < c->count && !st->sequential)
	{
		/*
		 * A short page that is not the last one: the server pages by its
		 * own size, so offsets already requested past it are wrong.  Drop
		 * them and continue one page at a time from where this page ended.
		 */
		st->sequential = true;
		pager_drop_stream_slots(p, s);
		st->pages_requested = c->page_no + 1;
	}
	if (st->sequential || !st->next_known)
	{
		st->next_offset = c->offset + n;
		st->next_known = true;
	}
}

/* Let the transfers in flight move, if the last time is long enough ago. */
static void
pager_progress(Pager *p)
{
	TimestampTz now = GetCurrentTimestamp();

	p->rows_since_progress = 0;
	if (now - p->last_progress < PAGER_PROGRESS_MS * 1000)
		return;
	p->last_progress = now;
	/* a prefetch whose request-rate slot has come goes out on it */
	if (p->nowait && p->rate.start != 0 && p->rate.start <= now)
		pager_start_pending(p);
	http_progress(p->ctx->conn);
}

bool
pager_next(Pager *p, PagerRow *row)
{
	for (;;)
	{
		PagerSlot  *head;
		PageVerdict verdict;
		ErrorContextCallback errcb;
		PagerPageArg errarg;

		if (p->cur != NULL && p->row < p->page.nrecords)
		{
			if (p->limit >= 0 && p->emitted >= p->limit)
				return false;
			if (p->slots != NIL &&
				++p->rows_since_progress >= PAGER_PROGRESS_ROWS)
				pager_progress(p);
			row->stream = p->streams[p->cur->stream_no];
			row->records = p->page.records;
			row->index = p->row++;
			row->page_no = p->cur->cursor.page_no;
			p->emitted++;
			p->stats.rows++;
			return true;
		}
		if (p->limit >= 0 && p->emitted >= p->limit)
			return false;

		/*
		 * The current page is used up: free it, and since the consumer
		 * wants more, widen the window (slow start).
		 */
		if (p->cur != NULL)
		{
			MemoryContextDelete(p->cur->cxt);
			p->cur = NULL;
			memset(&p->page, 0, sizeof(PageResult));
			p->window = Min(p->window * 2, p->max_inflight + 1);
		}

		/* Move past finished streams (to the next one claimed, if shared). */
		while (p->cur_stream < p->nstreams && p->ss[p->cur_stream].done &&
			   p->ss[p->cur_stream].rests == NIL &&
			   (p->slots == NIL ||
				((PagerSlot *) linitial(p->slots))->stream_no != p->cur_stream))
			p->cur_stream = pager_next_stream(p);
		if (p->cur_stream >= p->nstreams)
			return false;

		pager_fill(p);
		if (p->slots == NIL)
		{
			/* Nothing can be asked: the limit is met or the stream ended. */
			if (p->ss[p->cur_stream].done || pager_rows_wanted(p) <= 0)
			{
				p->ss[p->cur_stream].done = true;
				if (pager_rows_wanted(p) <= 0)
					return false;
				continue;
			}
			elog(ERROR, "paged_fdw: no request to send for %s",
				 p->streams[p->cur_stream]->label);
		}

		head = (PagerSlot *) linitial(p->slots);
		p->cur_stream = head->stream_no;

		/* errors and warnings about this page say which page it is */
		pager_push_page_context(p, head, &errcb, &errarg);

		verdict = pager_complete(p, head);
		if (verdict == PAGE_BLOCKED)
		{
			/* nothing changed but the transfers: the next call goes on */
			error_context_stack = errcb.previous;
			p->blocked = true;
			return false;
		}
		if (verdict == PAGE_END)
		{
			StreamState *st = &p->ss[head->stream_no];

			/* the resource ended the list (offsetOutOfRangeFault) */
			if (p->res->paging == PAGING_OFFSET)
				pager_warn_ended(p, head->stream_no, head->cursor.offset);
			error_context_stack = errcb.previous;
			if (p->by_range)
			{
				int64		end = head->cursor.offset;

				pager_free_slot(p, head);
				pager_range_end(p, p->cur_stream, end);
				continue;
			}
			st->done = true;
			pager_free_slot(p, head);
			pager_drop_stream_slots(p, p->cur_stream);
			continue;
		}
		p->slots = list_delete_first(p->slots);
		p->cur = head;
		p->row = 0;
		pager_after_page(p, head);
		error_context_stack = errcb.previous;
		/* Prefetch while this page's rows are consumed. */
		if (p->prefetch)
			pager_fill(p);
	}
}

void
pager_shared_init(PagerShared *sh, int nprocs)
{
	pg_atomic_init_u32(&sh->next_stream, 0);
	pg_atomic_init_u64(&sh->next_range, 0);
	sh->nprocs = Max(nprocs, 1);
}

void
pager_set_shared(Pager *p, PagerShared *sh)
{
	p->shared = sh;
	/*
	 * max_concurrency bounds the whole scan, not each process: the planner
	 * plans at most that many processes, and they split the window.
	 */
	p->max_inflight = Max(p->max_inflight / sh->nprocs, 1);
	p->by_range = p->nstreams == 1 && p->res->paging == PAGING_OFFSET;
	if (!p->by_range)
		p->cur_stream = pager_next_stream(p);
}

PagerNext
pager_next_async(Pager *p, PagerRow *row)
{
	bool		got;

	p->nowait = true;
	p->blocked = false;
	got = pager_next(p, row);
	p->nowait = false;
	if (got)
		return PAGER_ROW;
	return p->blocked ? PAGER_BLOCKED : PAGER_END;
}

/*
 * If the pager waits for a time (a reserved request-rate slot, a retry's
 * backoff), the connection's descriptor is set again to wake the executor
 * then: another scan's earlier wake-up may have used the connection's
 * timer since the pager set it.
 */
bool
pager_ready(Pager *p)
{
	PagerSlot  *head;
	TimestampTz now;

	if (p->cur != NULL && p->row < p->page.nrecords)
		return true;
	if (p->slots == NIL)
		return true;			/* the end, or a request to send */
	now = GetCurrentTimestamp();
	if (p->rate.start != 0 && pager_has_pending(p))
	{
		/* a request to send on the slot reserved for it */
		if (p->rate.start <= now)
			return true;
		http_wake_after(p->ctx->conn, p->rate.start - now);
	}
	head = (PagerSlot *) linitial(p->slots);
	if (head->retry_at != 0)
	{
		if (head->retry_at <= now)
			return true;
		http_wake_after(p->ctx->conn, head->retry_at - now);
		return false;
	}
	if (head->pending)
		return p->rate.start == 0;	/* none reserved yet: might go at once */
	return head->xfer == NULL || http_finished(head->xfer);
}

void
pager_end(Pager *p)
{
	/* Deleting the context releases every transfer still in flight. */
	MemoryContextDelete(p->cxt);
}
