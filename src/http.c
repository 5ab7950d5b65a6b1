/*-------------------------------------------------------------------------
 * http.c
 *		libcurl behind the small asynchronous, cancellable interface of http.h.
 *
 * Connections.  Each backend keeps a hash of HttpConn keyed by (server,
 * user mapping).  An HttpConn owns one curl multi handle, whose connection
 * cache gives keep-alive reuse across pages and scans, and a small pool of
 * idle easy handles.  Syscache invalidation of the server or the user
 * mapping marks the entry invalid; it is rebuilt (dropping its cached
 * connections) by the next http_get_conn() that finds no transfer running
 * on it.
 *
 * Transfers.  A transfer has two halves:
 *	- HttpTransfer, palloc'd in the caller's "owner" context: the copied
 *	  request, the HttpResponse handed out, and a reset callback on "owner";
 *	- HttpXfer, malloc'd: everything curl touches (easy handle, header list,
 *	  response buffer, error buffer).  curl callbacks only ever see this
 *	  half, and they never palloc or ereport, because a longjmp through curl
 *	  would leave it in an undefined state.
 * The owner's reset callback releases a transfer that the caller did not
 * release itself, so an ERROR (or a cancel) anywhere cannot leak a handle,
 * socket or buffer.  Memory context callbacks run before the context's
 * memory is freed, so the request body copied into "owner" (which curl
 * reads through CURLOPT_POSTFIELDS) outlives the transfer.  As a last
 * safety net, top-level transaction abort detaches every transfer still
 * attached to a multi handle, touching only malloc'd state.
 *
 * Driving.  Each multi handle is driven through curl's socket interface:
 * CURLMOPT_SOCKETFUNCTION keeps the sockets curl wants to wait on in an
 * epoll set of the connection, CURLMOPT_TIMERFUNCTION arms a timerfd that
 * is in the same set, and curl_multi_socket_action() is told what became
 * ready.  So one descriptor (the epoll fd, http_wait_fd()) is readable
 * whenever curl has something to do, which is what an Async Append's wait
 * set needs: one descriptor per scan, however many transfers it has in
 * flight (libcurl 7.88 has no curl_multi_waitfds).  Waiting is an
 * epoll_wait() on that descriptor in slices of at most HTTP_WAIT_SLICE_MS,
 * with CHECK_FOR_INTERRUPTS() between slices, so a cancel, statement_timeout
 * or terminate wins quickly, and the longjmp happens outside of any curl
 * call.  (The wait also returns early when a signal interrupts it.)  While
 * transfers run, the timerfd fires at least every HTTP_WAIT_SLICE_MS, so a
 * waiter that only watches the descriptor checks for interrupts as often.
 *
 * Classification (design section 4): 2xx is OK; connect failures (DNS,
 * refused, connect timeout), transport failures, request timeouts, 408,
 * 429 and 5xx may be retried by the caller; everything else is fatal.  A
 * connect failure that retrying cannot fix (TLS verification, a malformed
 * URL) is marked "permanent" and is fatal at once.  A connect failure that
 * persists through the retries is HV00N; a timeout once connected is
 * HV000.
 *
 * No message ever contains request headers, credentials or the request
 * body; URLs have any userinfo part removed before they are printed.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <math.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "common/pg_prng.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/timestamp.h"

#include <curl/curl.h>

#include "utils/memutils.h"
#include "utils/inval.h"
#include "utils/syscache.h"
#include "access/xact.h"
#include "miscadmin.h"
#include "utils/hsearch.h"
#include "lib/ilist.h"
#include "common/base64.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"

#include "http.h"
#include "stats.h"

#define HTTP_USER_AGENT		"paged_fdw/1.0"
#define HTTP_WAIT_SLICE_MS	100 /* longest wait between interrupt checks */
#define HTTP_POOL_SIZE		8	/* idle easy handles kept per connection */
#define HTTP_EXCERPT_LEN	300 /* bytes of remote text quoted in errors */
#define HTTP_REASON_LEN		300 /* bytes of curl's error text quoted */
#define HTTP_CT_LEN			256 /* longest Content-Type kept */
#define HTTP_REDACT_MIN		4	/* shortest secret redacted from remote text */

typedef struct HttpConnKey
{
	Oid			serverid;
	Oid			umid;
} HttpConnKey;

struct HttpConn
{
	HttpConnKey key;			/* hash key, must be first */
	CURLM	   *multi;			/* NULL until (re)built */
	int			epfd;			/* epoll set: curl's sockets + timerfd */
	int			timerfd;		/* curl's next timeout (and wake-ups) */
	int64		timeout_at;		/* CLOCK_MONOTONIC us of curl's timeout,
								 * -1 if none */
	int64		wake_at;		/* ... of a waiter's wake-up (http_wake_after),
								 * -1 if none */
	uint32		builds;			/* multi handles built so far */
	bool		invalid;		/* server or mapping changed: rebuild */
	uint32		server_hash;	/* syscache hash of the server OID */
	uint32		mapping_hash;	/* syscache hash of the user mapping OID */
	dlist_head	xfers;			/* unreleased HttpXfers of this multi */
	int			nidle;
	CURL	   *idle[HTTP_POOL_SIZE];	/* reset easy handles for reuse */

	/* settings from the most recent http_get_conn() */
	long		connect_timeout_ms; /* 0 = curl's default */
	long		request_timeout_ms; /* 0 = none */
	size_t		max_response_size;	/* 0 = unlimited */
	bool		ssl_verify;
	char	   *ca_file;		/* in TopMemoryContext, or NULL */
	double		max_rps;		/* max_requests_per_second, 0 = none */
	HttpRateReservation rate_prepaid;	/* slot reserved for the next
										 * request (http_rate_prepay) */
};

/*
 * The curl side of a transfer.  malloc'd: curl callbacks and the abort
 * safety net may touch it; neither may depend on palloc'd memory.
 */
typedef struct HttpXfer
{
	dlist_node	node;			/* in conn->xfers while conn != NULL */
	HttpConn   *conn;			/* NULL once orphaned by a rebuild */
	CURL	   *easy;
	bool		attached;		/* currently added to conn->multi */
	bool		done;			/* finished (or aborted) */
	bool		aborted;		/* detached by transaction abort */
	CURLcode	result;
	struct curl_slist *headers;

	/* response, filled by the callbacks */
	char	   *buf;			/* NUL-terminated once anything arrived */
	size_t		len;
	size_t		cap;
	size_t		limit;			/* max_response_size, 0 = unlimited */
	bool		too_large;		/* write callback refused: over limit */
	bool		oom;			/* write callback refused: realloc failed */
	double		retry_after;	/* seconds, -1 if none */
	char		errbuf[CURL_ERROR_SIZE];
} HttpXfer;

struct HttpTransfer
{
	HttpConn   *conn;
	HttpXfer   *x;				/* NULL once released */
	MemoryContext owner;
	HttpRequest req;			/* copy, in owner */
	HttpResponse resp;			/* valid once have_resp */
	bool		have_resp;
	MemoryContextCallback reset_cb;
};

static HTAB *http_conns = NULL;
static bool http_curl_ready = false;

/* GUC paged_fdw.allowed_hosts (defined in _PG_init) */
char	   *http_allowed_hosts = NULL;

/*
 * Response buffers of finished transfers, kept for the next ones: a page
 * is hundreds of kB, and malloc'ing that much anew each time gets fresh
 * memory from the kernel (an mmap, or the heap grown again after a trim)
 * that is then faulted in page by page.  Emptied at the end of every
 * transaction, so an idle backend keeps none.  Plain malloc'd memory, no
 * ERROR: used from curl's write callback.
 */
#define HTTP_SPARE_BUFS		8
#define HTTP_SPARE_MAX_BUF	((size_t) 8 * 1024 * 1024)	/* larger: freed */
#define HTTP_SPARE_MAX_ALL	((size_t) 32 * 1024 * 1024)	/* kept in all */

typedef struct HttpSpareBuf
{
	char	   *buf;
	size_t		cap;
} HttpSpareBuf;

static HttpSpareBuf http_spare[HTTP_SPARE_BUFS];
static int	http_nspare = 0;
static size_t http_spare_bytes = 0;

static void http_spare_drain(void);
static void http_global_init(void);
static void http_init(void);
static void http_inval_callback(Datum arg, int cacheid, uint32 hashvalue);
static void http_xact_callback(XactEvent event, void *arg);
static void http_conn_rebuild(HttpConn *conn);
static bool http_conn_busy(HttpConn *conn);
static void http_xfer_free(HttpXfer *x);
static void http_owner_reset(void *arg);
static size_t http_write_cb(char *ptr, size_t size, size_t nmemb, void *arg);
static size_t http_header_cb(char *ptr, size_t size, size_t nitems, void *arg);
static void http_fill_response(HttpTransfer *t);
static HttpOutcome http_outcome(CURLcode rc);
static bool http_permanent(CURLcode rc);
static char *http_safe_url(const char *url);
static long http_ms(double seconds);
static void http_drive(HttpConn *conn, int wait_ms);
static void http_conn_build(HttpConn *conn);

/* ----------------------------------------------------------------
 *		Connection cache
 * ----------------------------------------------------------------
 */

/* curl_global_init, once per backend, before any other curl call. */
static void
http_global_init(void)
{
	if (!http_curl_ready)
	{
		CURLcode	rc = curl_global_init(CURL_GLOBAL_DEFAULT);

		if (rc != CURLE_OK)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("could not initialize libcurl: %s",
							curl_easy_strerror(rc))));
		http_curl_ready = true;
	}
}

/* One-time setup: curl, the hash and the callbacks. */
static void
http_init(void)
{
	HASHCTL		ctl;

	http_global_init();

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(HttpConnKey);
	ctl.entrysize = sizeof(HttpConn);
	ctl.hcxt = CacheMemoryContext;
	http_conns = hash_create("paged_fdw connections", 8, &ctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	CacheRegisterSyscacheCallback(FOREIGNSERVEROID, http_inval_callback,
								  (Datum) 0);
	CacheRegisterSyscacheCallback(USERMAPPINGOID, http_inval_callback,
								  (Datum) 0);
	RegisterXactCallback(http_xact_callback, NULL);
}

/*
 * Mark entries of a changed server or user mapping invalid.  Rebuilding
 * waits for http_get_conn(): a transfer may be running right now.
 */
static void
http_inval_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	HASH_SEQ_STATUS scan;
	HttpConn   *conn;

	hash_seq_init(&scan, http_conns);
	while ((conn = (HttpConn *) hash_seq_search(&scan)) != NULL)
	{
		if (hashvalue == 0 ||
			(cacheid == FOREIGNSERVEROID && conn->server_hash == hashvalue) ||
			(cacheid == USERMAPPINGOID && conn->mapping_hash == hashvalue))
			conn->invalid = true;
	}
}

/*
 * Safety net: at top-level abort, no transfer may stay attached to a multi
 * handle.  Normally the owners' reset callbacks have already released them
 * (or will, when the portal's memory goes); this only catches transfers
 * whose owner context outlives the transaction.  Only malloc'd state is
 * touched.  The transfers stay unreleased (their owner still points at
 * them) and report HTTP_TRANSPORT_FAILED if anyone waits on them.
 *
 * Subtransaction abort is deliberately left alone: memory that dies with
 * the subtransaction fires the reset callbacks, and transfers whose owner
 * survives belong to scans still open in the parent (a cursor fetched
 * inside a rolled-back savepoint), which must keep working.
 */
static void
http_xact_callback(XactEvent event, void *arg)
{
	HASH_SEQ_STATUS scan;
	HttpConn   *conn;

	/* kept response buffers serve one transaction's scans */
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_PREPARE || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PARALLEL_ABORT)
		http_spare_drain();
	if (event != XACT_EVENT_ABORT && event != XACT_EVENT_PARALLEL_ABORT)
		return;
	if (http_conns == NULL)
		return;

	hash_seq_init(&scan, http_conns);
	while ((conn = (HttpConn *) hash_seq_search(&scan)) != NULL)
	{
		dlist_iter	iter;

		dlist_foreach(iter, &conn->xfers)
		{
			HttpXfer   *x = dlist_container(HttpXfer, node, iter.cur);

			if (x->attached)
			{
				curl_multi_remove_handle(conn->multi, x->easy);
				x->attached = false;
				x->done = true;
				x->aborted = true;
				x->result = CURLE_ABORTED_BY_CALLBACK;
			}
		}
	}
}

/* True if a transfer of this connection is still attached to its multi. */
static bool
http_conn_busy(HttpConn *conn)
{
	dlist_iter	iter;

	dlist_foreach(iter, &conn->xfers)
	{
		HttpXfer   *x = dlist_container(HttpXfer, node, iter.cur);

		if (x->attached)
			return true;
	}
	return false;
}

/*
 * Drop the multi handle (closing its cached connections) and the idle easy
 * handles.  Finished but unreleased transfers are orphaned: they keep their
 * easy handle and clean it up themselves when released.
 */
static void
http_conn_rebuild(HttpConn *conn)
{
	dlist_mutable_iter iter;

	Assert(!http_conn_busy(conn));

	dlist_foreach_modify(iter, &conn->xfers)
	{
		HttpXfer   *x = dlist_container(HttpXfer, node, iter.cur);

		dlist_delete(&x->node);
		x->conn = NULL;
	}
	while (conn->nidle > 0)
		curl_easy_cleanup(conn->idle[--conn->nidle]);
	if (conn->multi != NULL)
		curl_multi_cleanup(conn->multi);
	conn->multi = NULL;
	/* after the cleanup: curl may still tell the socket callback */
	if (conn->epfd >= 0)
		close(conn->epfd);
	if (conn->timerfd >= 0)
		close(conn->timerfd);
	conn->epfd = -1;
	conn->timerfd = -1;
	conn->timeout_at = -1;
	conn->wake_at = -1;
	conn->invalid = false;
}

/* Microseconds of CLOCK_MONOTONIC (callbacks may not use PostgreSQL's clock). */
static int64
http_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Arm the timerfd for curl's timeout or a waiter's wake-up, whichever comes
 * first, but at most HTTP_WAIT_SLICE_MS ahead while one is set, so that
 * whoever waits on the epoll fd wakes to check for interrupts.  "now"
 * makes the descriptor readable immediately.
 */
static void
http_arm_timer(HttpConn *conn, bool now)
{
	struct itimerspec its;
	int64		at = conn->timeout_at;

	if (conn->wake_at >= 0 && (at < 0 || conn->wake_at < at))
		at = conn->wake_at;
	memset(&its, 0, sizeof(its));
	if (now)
		its.it_value.tv_nsec = 1;
	else if (at >= 0)
	{
		int64		us = at - http_now_us();

		us = Min(us, (int64) HTTP_WAIT_SLICE_MS * 1000);
		if (us <= 0)
			its.it_value.tv_nsec = 1;	/* zero would disarm */
		else
		{
			its.it_value.tv_sec = us / 1000000;
			its.it_value.tv_nsec = (us % 1000000) * 1000;
		}
	}
	else if (http_conn_busy(conn))
		its.it_value.tv_nsec = HTTP_WAIT_SLICE_MS * 1000000L;
	(void) timerfd_settime(conn->timerfd, 0, &its, NULL);
}

/* CURLMOPT_TIMERFUNCTION: remember curl's next timeout, arm the timerfd. */
static int
http_timer_cb(CURLM *multi, long timeout_ms, void *arg)
{
	HttpConn   *conn = (HttpConn *) arg;

	conn->timeout_at = timeout_ms < 0 ? -1 :
		http_now_us() + (int64) timeout_ms * 1000;
	http_arm_timer(conn, false);
	return 0;
}

/* CURLMOPT_SOCKETFUNCTION: keep the epoll set what curl waits for. */
static int
http_socket_cb(CURL *easy, curl_socket_t s, int what, void *arg, void *sockp)
{
	HttpConn   *conn = (HttpConn *) arg;
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.data.fd = s;
	if (what == CURL_POLL_REMOVE)
	{
		/* the socket may already be closed: nothing left to remove then */
		(void) epoll_ctl(conn->epfd, EPOLL_CTL_DEL, s, &ev);
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev.events |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		ev.events |= EPOLLOUT;
	if (epoll_ctl(conn->epfd, EPOLL_CTL_MOD, s, &ev) == 0)
		return 0;
	if (errno == ENOENT && epoll_ctl(conn->epfd, EPOLL_CTL_ADD, s, &ev) == 0)
		return 0;
	return -1;					/* curl fails the transfers of this socket */
}

/* A new multi handle with its epoll set and timerfd. */
static void
http_conn_build(HttpConn *conn)
{
	struct epoll_event ev;

	conn->timeout_at = -1;
	conn->wake_at = -1;
	conn->builds++;
	conn->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (conn->epfd >= 0)
		conn->timerfd = timerfd_create(CLOCK_MONOTONIC,
									   TFD_NONBLOCK | TFD_CLOEXEC);
	if (conn->epfd >= 0 && conn->timerfd >= 0)
	{
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.fd = conn->timerfd;
		if (epoll_ctl(conn->epfd, EPOLL_CTL_ADD, conn->timerfd, &ev) == 0)
			conn->multi = curl_multi_init();
	}
	if (conn->multi == NULL)
	{
		int			save_errno = errno;

		if (conn->epfd >= 0)
			close(conn->epfd);
		if (conn->timerfd >= 0)
			close(conn->timerfd);
		conn->epfd = conn->timerfd = -1;
		errno = save_errno;
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not create a libcurl multi handle: %m")));
	}
	curl_multi_setopt(conn->multi, CURLMOPT_SOCKETFUNCTION, http_socket_cb);
	curl_multi_setopt(conn->multi, CURLMOPT_SOCKETDATA, conn);
	curl_multi_setopt(conn->multi, CURLMOPT_TIMERFUNCTION, http_timer_cb);
	curl_multi_setopt(conn->multi, CURLMOPT_TIMERDATA, conn);
}

/* Milliseconds for a curl timeout option; 0 stays "none". */
static long
http_ms(double seconds)
{
	if (seconds <= 0 || isnan(seconds))
		return 0;
	if (seconds > (double) LONG_MAX / 1000.0)
		return LONG_MAX;
	return (long) ceil(seconds * 1000.0);
}

HttpConn *
http_get_conn(const PagedOptions *opts)
{
	HttpConnKey key;
	HttpConn   *conn;
	bool		found;

	if (http_conns == NULL)
		http_init();

	memset(&key, 0, sizeof(key));
	key.serverid = opts->serverid;
	key.umid = opts->umid;

	conn = (HttpConn *) hash_search(http_conns, &key, HASH_ENTER, &found);
	if (!found)
	{
		/* make the entry consistent before anything can ereport */
		conn->multi = NULL;
		conn->epfd = -1;
		conn->timerfd = -1;
		conn->timeout_at = -1;
		conn->wake_at = -1;
		conn->rate_prepaid.start = 0;
		conn->builds = 0;
		conn->invalid = false;
		dlist_init(&conn->xfers);
		conn->nidle = 0;
		conn->ca_file = NULL;
		conn->server_hash = GetSysCacheHashValue1(FOREIGNSERVEROID,
												  ObjectIdGetDatum(key.serverid));
		conn->mapping_hash = GetSysCacheHashValue1(USERMAPPINGOID,
												   ObjectIdGetDatum(key.umid));
	}

	if (conn->invalid && !http_conn_busy(conn))
		http_conn_rebuild(conn);

	if (conn->multi == NULL)
		http_conn_build(conn);

	/* settings apply to transfers started from now on */
	conn->connect_timeout_ms = http_ms(opts->connect_timeout);
	conn->request_timeout_ms = http_ms(opts->request_timeout);
	conn->max_response_size = opts->max_response_size > 0 ?
		(size_t) opts->max_response_size : 0;
	conn->ssl_verify = opts->ssl_verify;
	conn->max_rps = opts->max_requests_per_second;
	if (conn->ca_file == NULL || opts->ca_file == NULL ||
		strcmp(conn->ca_file, opts->ca_file) != 0)
	{
		char	   *ca = NULL;

		if (opts->ca_file != NULL && opts->ca_file[0] != '\0')
			ca = MemoryContextStrdup(TopMemoryContext, opts->ca_file);
		if (conn->ca_file != NULL)
			pfree(conn->ca_file);
		conn->ca_file = ca;
	}

	return conn;
}

/* ----------------------------------------------------------------
 *		curl callbacks: malloc'd state only, no palloc, no ereport
 * ----------------------------------------------------------------
 */

/* Keep a buffer for a later transfer, or free it. */
static void
http_spare_put(char *buf, size_t cap)
{
	int			i;
	int			smallest = 0;

	if (buf == NULL)
		return;

	/*
	 * Kept only while a transaction runs: a buffer freed during abort or
	 * commit cleanup (a page's memory deleted after the transaction
	 * callback emptied the pool) would otherwise stay with an idle backend.
	 */
	if (cap > HTTP_SPARE_MAX_BUF || !IsTransactionState())
	{
		free(buf);
		return;
	}
	if (http_nspare < HTTP_SPARE_BUFS &&
		http_spare_bytes + cap <= HTTP_SPARE_MAX_ALL)
	{
		http_spare[http_nspare].buf = buf;
		http_spare[http_nspare].cap = cap;
		http_nspare++;
		http_spare_bytes += cap;
		return;
	}
	/* full: keep the larger of this one and the smallest kept, if it fits */
	for (i = 1; i < http_nspare; i++)
		if (http_spare[i].cap < http_spare[smallest].cap)
			smallest = i;
	if (http_nspare > 0 && http_spare[smallest].cap < cap &&
		http_spare_bytes - http_spare[smallest].cap + cap <= HTTP_SPARE_MAX_ALL)
	{
		/* the new one goes last: http_spare_get takes the latest first */
		http_spare_bytes -= http_spare[smallest].cap;
		free(http_spare[smallest].buf);
		memmove(&http_spare[smallest], &http_spare[smallest + 1],
				sizeof(HttpSpareBuf) * (http_nspare - smallest - 1));
		http_spare[http_nspare - 1].buf = buf;
		http_spare[http_nspare - 1].cap = cap;
		http_spare_bytes += cap;
	}
	else
		free(buf);
}

/*
 * The buffer kept last that holds at least "want" bytes, else NULL: the
 * one most likely still in the CPU's caches.
 */
static char *
http_spare_get(size_t want, size_t *cap)
{
	int			i;
	char	   *buf;

	for (i = http_nspare - 1; i >= 0; i--)
		if (http_spare[i].cap >= want)
			break;
	if (i < 0)
		return NULL;
	buf = http_spare[i].buf;
	*cap = http_spare[i].cap;
	http_spare_bytes -= *cap;
	memmove(&http_spare[i], &http_spare[i + 1],
			sizeof(HttpSpareBuf) * (http_nspare - i - 1));
	http_nspare--;
	return buf;
}

static void
http_spare_drain(void)
{
	while (http_nspare > 0)
		free(http_spare[--http_nspare].buf);
	http_spare_bytes = 0;
}

static size_t
http_write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	HttpXfer   *x = (HttpXfer *) arg;
	size_t		n = size * nmemb;

	if (x->limit > 0 && (n > x->limit || x->len > x->limit - n))
	{
		x->too_large = true;
		return 0;				/* makes curl fail with CURLE_WRITE_ERROR */
	}

	if (x->len + n + 1 > x->cap)
	{
		size_t		newcap = x->cap;
		char	   *nbuf;

		if (newcap == 0)
		{
			curl_off_t	clen = -1;

			/*
			 * Size the first buffer from Content-Length when there is one
			 * (the wire size: only a first guess for a compressed answer).
			 */
			newcap = 16384;
			if (curl_easy_getinfo(x->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
								  &clen) == CURLE_OK &&
				clen > 0 && (x->limit == 0 || (size_t) clen <= x->limit) &&
				(uint64) clen < (uint64) (SIZE_MAX / 4))
				newcap = (size_t) clen + 1;
			/* pages of one list differ by a few bytes: one kept buffer fits */
			if (newcap > 65536)
				newcap = TYPEALIGN(65536, newcap);
		}
		while (newcap < x->len + n + 1)
			newcap = newcap < SIZE_MAX / 2 ? newcap * 2 : x->len + n + 1;
		/* never hold more than the limit allows */
		if (x->limit > 0 && newcap > x->limit + 1)
			newcap = x->limit + 1;

		if (x->buf == NULL &&
			(nbuf = http_spare_get(newcap, &newcap)) != NULL)
			x->buf = nbuf;
		else
		{
			nbuf = realloc(x->buf, newcap);
			if (nbuf == NULL)
			{
				x->oom = true;
				return 0;
			}
			x->buf = nbuf;
		}
		x->cap = newcap;
	}

	memcpy(x->buf + x->len, ptr, n);
	x->len += n;
	x->buf[x->len] = '\0';
	return n;
}

/*
 * Captures Retry-After.  Called for every header line of every response,
 * including interim 1xx ones; a status line starts a new response.
 */
static size_t
http_header_cb(char *ptr, size_t size, size_t nitems, void *arg)
{
	HttpXfer   *x = (HttpXfer *) arg;
	size_t		n = size * nitems;
	char		value[128];
	size_t		vlen;
	const char *p;
	const char *end = ptr + n;

	if (n >= 5 && memcmp(ptr, "HTTP/", 5) == 0)
	{
		x->retry_after = -1;
		return n;
	}
	if (n <= 12 || pg_strncasecmp(ptr, "Retry-After:", 12) != 0)
		return n;

	/* trim the value */
	p = ptr + 12;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == '\r' || end[-1] == '\n' ||
					   end[-1] == ' ' || end[-1] == '\t'))
		end--;
	vlen = end - p;
	if (vlen == 0 || vlen >= sizeof(value))
	{
		x->retry_after = -1;
		return n;
	}
	memcpy(value, p, vlen);
	value[vlen] = '\0';

	if (strspn(value, "0123456789") == vlen)
	{
		/* delay-seconds; absurd values are capped at a day */
		x->retry_after = vlen > 6 ? 86400.0 : Min(atof(value), 86400.0);
	}
	else
	{
		/* HTTP-date */
		time_t		when = curl_getdate(value, NULL);

		if (when == (time_t) -1)
			x->retry_after = -1;
		else
		{
			double		delta = difftime(when, time(NULL));

			x->retry_after = delta > 0 ? Min(delta, 86400.0) : 0;
		}
	}
	return n;
}

/* ----------------------------------------------------------------
 *		Transfers
 * ----------------------------------------------------------------
 */

/*
 * Undo everything of the curl side: detach, give the easy handle back to
 * the pool (or clean it up), free the buffers.  Never ereports: it runs
 * from memory context reset callbacks during error cleanup.
 */
static void
http_xfer_free(HttpXfer *x)
{
	HttpConn   *conn = x->conn;

	if (conn != NULL)
	{
		if (x->attached)
			curl_multi_remove_handle(conn->multi, x->easy);
		x->attached = false;
		dlist_delete(&x->node);
	}
	if (x->easy != NULL)
	{
		if (conn != NULL && !conn->invalid && conn->nidle < HTTP_POOL_SIZE)
		{
			/* drops our pointers (buffers, lists) held as options */
			curl_easy_reset(x->easy);
			conn->idle[conn->nidle++] = x->easy;
		}
		else
			curl_easy_cleanup(x->easy);
	}
	curl_slist_free_all(x->headers);
	http_spare_put(x->buf, x->cap);
	free(x);
}

static void
http_owner_reset(void *arg)
{
	HttpTransfer *t = (HttpTransfer *) arg;

	if (t->x != NULL)
	{
		HttpXfer   *x = t->x;

		t->x = NULL;
		http_xfer_free(x);
	}
}

void
http_release(HttpTransfer *t)
{
	if (t == NULL || t->x == NULL)
		return;
	http_owner_reset(t);
	/* the body was the transfer's buffer */
	t->resp.body = NULL;
	t->resp.len = 0;
}

/* A response body a page keeps (http_keep_body), freed with the page. */
typedef struct HttpKeptBody
{
	MemoryContextCallback cb;
	char	   *buf;
	size_t		cap;
} HttpKeptBody;

static void
http_free_body(void *arg)
{
	HttpKeptBody *kb = (HttpKeptBody *) arg;

	http_spare_put(kb->buf, kb->cap);
}

void
http_keep_body(HttpTransfer *t)
{
	HttpKeptBody *kb;

	if (t == NULL || t->x == NULL || !t->have_resp || t->x->buf == NULL ||
		t->resp.body != t->x->buf)
		return;
	/* allocated first: an ERROR here leaves the buffer with the transfer */
	kb = MemoryContextAlloc(t->owner, sizeof(HttpKeptBody));
	kb->buf = t->x->buf;
	kb->cap = t->x->cap;
	kb->cb.func = http_free_body;
	kb->cb.arg = kb;
	MemoryContextRegisterResetCallback(t->owner, &kb->cb);
	t->x->buf = NULL;
	t->x->len = t->x->cap = 0;
}

/* Copy a list of C strings into the current memory context. */
static List *
http_copy_strings(List *list)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, list)
		result = lappend(result, pstrdup((const char *) lfirst(lc)));
	return result;
}

/* Append "Name: value" strings; false on out-of-memory. */
static bool
http_append_headers(struct curl_slist **slist, List *headers)
{
	ListCell   *lc;

	foreach(lc, headers)
	{
		struct curl_slist *n = curl_slist_append(*slist,
												 (const char *) lfirst(lc));

		if (n == NULL)
			return false;
		*slist = n;
	}
	return true;
}

/* ----------------------------------------------------------------
 *		paged_fdw.allowed_hosts
 *
 * A superuser-only list of the hosts servers may reach.  The URL's host is
 * taken as curl itself will use it (curl's URL parser, which also turns
 * numeric IPv4 spellings such as 0x7f.1 into 127.0.0.1), and compared with
 * the list right before each request, so changing the setting takes effect
 * at once, whatever servers already exist.  Names are compared as names:
 * the list cannot see what a name resolves to (see README.md, Security).
 * ----------------------------------------------------------------
 */

/* One entry of the list. */
typedef struct HttpHostPattern
{
	bool		any;			/* "*": every host */
	bool		suffix;			/* "*.domain": host holds ".domain" */
	char		host[256];		/* lower case; IPv6 in brackets */
	int			port;			/* 0: any port */
} HttpHostPattern;

/* Next comma-separated entry, blanks trimmed; false at the end. */
static bool
http_next_entry(const char **p, const char **start, size_t *len)
{
	const char *s = *p;
	const char *e;

	if (*s == '\0')
		return false;
	e = s + strcspn(s, ",");
	*p = *e == ',' ? e + 1 : e;
	while (s < e && isspace((unsigned char) *s))
		s++;
	while (e > s && isspace((unsigned char) e[-1]))
		e--;
	*start = s;
	*len = e - s;
	return true;
}

/* Parse one entry; on failure *why says what is wrong with it. */
static bool
http_parse_host_pattern(const char *s, size_t len, HttpHostPattern *pat,
						const char **why)
{
	const char *host = s;
	size_t		hostlen = len;
	const char *port = NULL;
	size_t		portlen = 0;
	size_t		i;

	memset(pat, 0, sizeof(*pat));
	if (len == 0)
	{
		*why = "an entry is empty";
		return false;
	}
	if (len == 1 && s[0] == '*')
	{
		pat->any = true;
		return true;
	}

	if (s[0] == '[')
	{
		const char *close = memchr(s, ']', len);
		char		addr[64];
		unsigned char bin[16];

		if (close == NULL || close - s - 1 <= 0 ||
			close - s - 1 >= (int) sizeof(addr))
		{
			*why = "an IPv6 address must be written in brackets, such as [::1]";
			return false;
		}
		memcpy(addr, s + 1, close - s - 1);
		addr[close - s - 1] = '\0';
		if (inet_pton(AF_INET6, addr, bin) != 1)
		{
			*why = "the text in brackets is not an IPv6 address";
			return false;
		}
		hostlen = close - s + 1;
		if (hostlen < len)
		{
			if (s[hostlen] != ':')
			{
				*why = "only \":port\" may follow an IPv6 address";
				return false;
			}
			port = s + hostlen + 1;
			portlen = len - hostlen - 1;
		}
	}
	else
	{
		const char *colon = memchr(s, ':', len);

		if (colon != NULL)
		{
			hostlen = colon - s;
			port = colon + 1;
			portlen = len - hostlen - 1;
		}
		if (hostlen >= 2 && host[0] == '*' && host[1] == '.')
		{
			pat->suffix = true;
			host++;				/* keep the dot: ".domain" */
			hostlen--;
		}
		if (hostlen == 0 || (pat->suffix && hostlen == 1))
		{
			*why = "a host name is missing";
			return false;
		}
		for (i = 0; i < hostlen; i++)
		{
			char		c = host[i];

			if (!(isalnum((unsigned char) c) || c == '-' || c == '.' ||
				  c == '_'))
			{
				*why = c == '*' ?
					"\"*\" may only stand alone or start an entry as \"*.\"" :
					"a host name may contain only letters, digits, \"-\", \"_\" and \".\"";
				return false;
			}
		}
	}

	if (hostlen >= sizeof(pat->host))
	{
		*why = "a host name is too long";
		return false;
	}
	for (i = 0; i < hostlen; i++)
		pat->host[i] = pg_tolower((unsigned char) host[i]);
	pat->host[hostlen] = '\0';

	if (port != NULL)
	{
		int			v = 0;

		if (portlen == 0 || portlen > 5 || strspn(port, "0123456789") < portlen)
		{
			*why = "a port must be a number";
			return false;
		}
		for (i = 0; i < portlen; i++)
			v = v * 10 + (port[i] - '0');
		if (v < 1 || v > 65535)
		{
			*why = "a port must be between 1 and 65535";
			return false;
		}
		pat->port = v;
	}
	return true;
}

/* An IP literal as bytes: 4 for IPv4, 16 for "[IPv6]", else 0. */
static int
http_ip_bytes(const char *host, unsigned char *bin)
{
	size_t		len = strlen(host);

	if (len > 2 && host[0] == '[' && host[len - 1] == ']')
	{
		char		addr[64];

		if (len - 2 >= sizeof(addr))
			return 0;
		memcpy(addr, host + 1, len - 2);
		addr[len - 2] = '\0';
		return inet_pton(AF_INET6, addr, bin) == 1 ? 16 : 0;
	}
	return inet_pton(AF_INET, host, bin) == 1 ? 4 : 0;
}

static bool
http_host_matches(const HttpHostPattern *pat, const char *host, int port)
{
	unsigned char a[16];
	unsigned char b[16];
	int			alen;
	size_t		hlen = strlen(host);
	size_t		slen;

	if (pat->any)
		return true;
	if (pat->port != 0 && pat->port != port)
		return false;
	if (pat->suffix)
	{
		/* a subdomain, never the domain itself */
		slen = strlen(pat->host);
		return hlen > slen && strcmp(host + hlen - slen, pat->host) == 0;
	}
	/* addresses compare as addresses: [::1] and [0::1] are one host */
	alen = http_ip_bytes(pat->host, a);
	if (alen > 0)
		return http_ip_bytes(host, b) == alen && memcmp(a, b, alen) == 0;
	return strcmp(host, pat->host) == 0;
}

/* GUC check hook of paged_fdw.allowed_hosts. */
bool
http_allowed_hosts_check(char **newval, void **extra, GucSource source)
{
	const char *p = *newval != NULL ? *newval : "";
	const char *entry;
	size_t		len;
	HttpHostPattern pat;
	const char *why = NULL;

	/* all blank: no restriction */
	if (p[strspn(p, " \t\r\n")] == '\0')
		return true;
	while (http_next_entry(&p, &entry, &len))
	{
		if (!http_parse_host_pattern(entry, len, &pat, &why))
		{
			GUC_check_errdetail("Entry \"%.*s\": %s.", (int) Min(len, 100),
								entry, why);
			GUC_check_errhint("List host names, IP addresses or *.domain patterns, each optionally followed by :port, separated by commas.");
			return false;
		}
	}
	return true;
}

/*
 * ERROR unless paged_fdw.allowed_hosts lets a request go to "url".  Called
 * for every request, and by the validator for the server option "url".
 */
void
http_check_host(const char *url)
{
	const char *list = http_allowed_hosts != NULL ? http_allowed_hosts : "";
	const char *p = list;
	const char *entry;
	size_t		len;
	CURLU	   *cu;
	CURLUcode	uc;
	char	   *chost = NULL;
	char	   *cport = NULL;
	char	   *host = NULL;
	int			port = 0;
	size_t		i;
	char	   *hostport;

	if (list[strspn(list, " \t\r\n")] == '\0')
		return;

	http_global_init();
	cu = curl_url();
	if (cu == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	uc = curl_url_set(cu, CURLUPART_URL, url, 0);
	if (uc == CURLUE_OK)
		uc = curl_url_get(cu, CURLUPART_HOST, &chost, 0);
	if (uc == CURLUE_OK)
		uc = curl_url_get(cu, CURLUPART_PORT, &cport, CURLU_DEFAULT_PORT);
	if (uc == CURLUE_OK && chost != NULL && cport != NULL)
	{
		host = pstrdup(chost);
		port = atoi(cport);
	}
	curl_free(chost);
	curl_free(cport);
	curl_url_cleanup(cu);
	if (host == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("could not find the host of URL \"%s\"",
						http_safe_url(url)),
				 errdetail("paged_fdw.allowed_hosts is set, so every URL must name a host that can be checked.")));

	/* "Example.COM." and "example.com" are one host */
	for (i = 0; host[i] != '\0'; i++)
		host[i] = pg_tolower((unsigned char) host[i]);
	if (i > 1 && host[i - 1] == '.')
		host[i - 1] = '\0';

	while (http_next_entry(&p, &entry, &len))
	{
		HttpHostPattern pat;
		const char *why;

		/* the check hook accepted the list; skip anything odd anyway */
		if (http_parse_host_pattern(entry, len, &pat, &why) &&
			http_host_matches(&pat, host, port))
			return;
	}

	hostport = strchr(host, ':') != NULL && host[0] != '[' ?
		psprintf("[%s]:%d", host, port) : psprintf("%s:%d", host, port);
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("paged_fdw may not connect to %s", hostport),
			 errdetail("The host is not listed in paged_fdw.allowed_hosts."),
			 errhint("A superuser can add it to the setting \"paged_fdw.allowed_hosts\".")));
}

HttpTransfer *
http_start(HttpConn *conn, const HttpRequest *req, MemoryContext owner)
{
	MemoryContext oldcxt;
	HttpTransfer *t;
	HttpXfer   *x;
	CURL	   *easy;
	CURLcode	rc = CURLE_OK;
	CURLMcode	mc;
	bool		slist_ok;

	Assert(conn->multi != NULL);

	/* before anything is set up: a refused host costs nothing to undo */
	http_check_host(req->url);
	http_rate_wait(conn);

	/* everything palloc'd first, so an ERROR here leaks nothing of curl's */
	oldcxt = MemoryContextSwitchTo(owner);
	t = (HttpTransfer *) palloc0(sizeof(HttpTransfer));
	t->conn = conn;
	t->owner = owner;
	t->req.operation = pstrdup(req->operation ? req->operation : "HTTP");
	t->req.url = pstrdup(req->url);
	if (req->body != NULL)
	{
		char	   *body = palloc(req->body_len + 1);

		memcpy(body, req->body, req->body_len);
		body[req->body_len] = '\0';
		t->req.body = body;
		t->req.body_len = req->body_len;
	}
	t->req.headers = http_copy_strings(req->headers);
	t->req.secret_headers = http_copy_strings(req->secret_headers);
	t->req.basic_user = req->basic_user ? pstrdup(req->basic_user) : NULL;
	t->req.basic_password = req->basic_password ?
		pstrdup(req->basic_password) : NULL;
	t->req.secrets = http_copy_strings(req->secrets);
	t->resp.retry_after = -1;
	MemoryContextSwitchTo(oldcxt);

	x = (HttpXfer *) calloc(1, sizeof(HttpXfer));
	if (x == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	x->retry_after = -1;
	x->limit = conn->max_response_size;

	if (conn->nidle > 0)
		easy = conn->idle[--conn->nidle];
	else
		easy = curl_easy_init();
	if (easy == NULL)
	{
		free(x);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not create a libcurl easy handle")));
	}
	x->easy = easy;

	/* the request's headers; "Expect:" suppresses 100-continue round trips */
	slist_ok = http_append_headers(&x->headers, t->req.headers) &&
		http_append_headers(&x->headers, t->req.secret_headers);
	if (slist_ok)
	{
		struct curl_slist *n = curl_slist_append(x->headers, "Expect:");

		if (n == NULL)
			slist_ok = false;
		else
			x->headers = n;
	}

	/*
	 * Options.  Remember the first failure and report it after cleaning up,
	 * rather than ereport'ing with the handle half set up.
	 */
#define HTTP_SETOPT(opt, val) \
	do { \
		if (rc == CURLE_OK) \
			rc = curl_easy_setopt(easy, opt, val); \
	} while (0)

	HTTP_SETOPT(CURLOPT_PRIVATE, (void *) x);
	HTTP_SETOPT(CURLOPT_ERRORBUFFER, x->errbuf);
	HTTP_SETOPT(CURLOPT_URL, t->req.url);
	HTTP_SETOPT(CURLOPT_NOSIGNAL, 1L);
	HTTP_SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	HTTP_SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
	HTTP_SETOPT(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	HTTP_SETOPT(CURLOPT_USERAGENT, HTTP_USER_AGENT);
	/* compressed answers; the write callback sees (and limits) decoded bytes */
	HTTP_SETOPT(CURLOPT_ACCEPT_ENCODING, "gzip, deflate");
	HTTP_SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
	HTTP_SETOPT(CURLOPT_TCP_KEEPIDLE, 60L);
	HTTP_SETOPT(CURLOPT_TCP_KEEPINTVL, 30L);
	HTTP_SETOPT(CURLOPT_CONNECTTIMEOUT_MS, conn->connect_timeout_ms);
	HTTP_SETOPT(CURLOPT_TIMEOUT_MS, conn->request_timeout_ms);
	HTTP_SETOPT(CURLOPT_SSL_VERIFYPEER, conn->ssl_verify ? 1L : 0L);
	HTTP_SETOPT(CURLOPT_SSL_VERIFYHOST, conn->ssl_verify ? 2L : 0L);
	if (conn->ca_file != NULL)
		HTTP_SETOPT(CURLOPT_CAINFO, conn->ca_file);
	/*
	 * A Content-Length over the limit fails at once.  That length counts
	 * bytes on the wire, which for a compressed answer are fewer than the
	 * decoded ones the limit is about; the decoded size is enforced by
	 * http_write_cb as the data streams in.
	 */
	if (x->limit > 0)
		HTTP_SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) x->limit);
	HTTP_SETOPT(CURLOPT_WRITEFUNCTION, http_write_cb);
	HTTP_SETOPT(CURLOPT_WRITEDATA, (void *) x);
	HTTP_SETOPT(CURLOPT_HEADERFUNCTION, http_header_cb);
	HTTP_SETOPT(CURLOPT_HEADERDATA, (void *) x);
	HTTP_SETOPT(CURLOPT_HTTPHEADER, x->headers);
	if (t->req.body != NULL)
	{
		/* the copy lives in "owner", which outlives the transfer */
		HTTP_SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) t->req.body_len);
		HTTP_SETOPT(CURLOPT_POSTFIELDS, t->req.body);
	}
	else
		HTTP_SETOPT(CURLOPT_HTTPGET, 1L);
	if (t->req.basic_user != NULL)
	{
		HTTP_SETOPT(CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
		HTTP_SETOPT(CURLOPT_USERNAME, t->req.basic_user);
		HTTP_SETOPT(CURLOPT_PASSWORD,
					t->req.basic_password ? t->req.basic_password : "");
	}
#undef HTTP_SETOPT

	if (rc != CURLE_OK || !slist_ok)
	{
		x->conn = NULL;			/* not in the list: clean up, don't pool */
		http_xfer_free(x);
		if (!slist_ok)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory")));
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("could not set up %s request: %s",
						t->req.operation, curl_easy_strerror(rc))));
	}

	mc = curl_multi_add_handle(conn->multi, easy);
	if (mc != CURLM_OK)
	{
		x->conn = NULL;
		http_xfer_free(x);
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("could not start %s request: %s",
						t->req.operation, curl_multi_strerror(mc))));
	}
	x->conn = conn;
	x->attached = true;
	dlist_push_tail(&conn->xfers, &x->node);
	t->x = x;

	t->reset_cb.func = http_owner_reset;
	t->reset_cb.arg = (void *) t;
	MemoryContextRegisterResetCallback(owner, &t->reset_cb);

	/* get DNS and connect going now, not at the first wait */
	http_progress(conn);

	return t;
}

void
http_progress(HttpConn *conn)
{
	http_drive(conn, 0);
}

/* Fail with curl's word for a multi error. */
static void
http_check_multi(CURLMcode mc)
{
	if (mc != CURLM_OK)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("libcurl failed: %s", curl_multi_strerror(mc))));
}

#define HTTP_EVENTS		16		/* ready descriptors handled per wait */

/*
 * Wait up to wait_ms (0: not at all) for a socket of the connection or
 * curl's timeout, let curl act on what is ready, and mark the transfers
 * that finished.
 */
static void
http_drive(HttpConn *conn, int wait_ms)
{
	struct epoll_event events[HTTP_EVENTS];
	CURLMsg    *msg;
	int			running;
	int			left;
	int			n;
	int			i;
	bool		timer = false;

	if (conn->multi == NULL)
		return;

	if (conn->timeout_at >= 0)
	{
		int64		us = conn->timeout_at - http_now_us();

		if (us <= 0)
			wait_ms = 0;
		else if (us < (int64) wait_ms * 1000)
			wait_ms = (int) ((us + 999) / 1000);
	}
	/* pg_stat_activity shows wait_event_type 'Extension' meanwhile */
	pgstat_report_wait_start(PG_WAIT_EXTENSION);
	n = epoll_wait(conn->epfd, events, HTTP_EVENTS, wait_ms);
	pgstat_report_wait_end();
	if (n < 0)
	{
		if (errno != EINTR)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("could not wait for HTTP transfers: %m")));
		n = 0;
	}
	for (i = 0; i < n; i++)
	{
		int			fd = events[i].data.fd;
		int			flags = 0;

		if (fd == conn->timerfd)
		{
			uint64		expirations;

			/* drain it; it is re-armed below if curl still needs it */
			if (read(conn->timerfd, &expirations, sizeof(expirations)) < 0)
				expirations = 0;	/* EAGAIN: already drained */
			timer = true;
			continue;
		}
		if (events[i].events & (EPOLLIN | EPOLLHUP))
			flags |= CURL_CSELECT_IN;
		if (events[i].events & EPOLLOUT)
			flags |= CURL_CSELECT_OUT;
		if (events[i].events & EPOLLERR)
			flags |= CURL_CSELECT_ERR;
		/* a socket an earlier action closed is ignored by curl */
		http_check_multi(curl_multi_socket_action(conn->multi, fd, flags,
												  &running));
	}

	/*
	 * curl's timeout, or a wake-up of the timerfd (the slice, a kick): curl
	 * acts on whatever timers expired, and the timerfd is armed again.
	 */
	if (timer || (conn->timeout_at >= 0 && conn->timeout_at <= http_now_us()))
	{
		if (conn->timeout_at >= 0 && conn->timeout_at <= http_now_us())
			conn->timeout_at = -1;	/* consumed; curl sets the next one */
		if (conn->wake_at >= 0 && conn->wake_at <= http_now_us())
			conn->wake_at = -1; /* its waiter arms the next one */
		http_check_multi(curl_multi_socket_action(conn->multi,
												  CURL_SOCKET_TIMEOUT, 0,
												  &running));
		http_arm_timer(conn, false);
	}

	while ((msg = curl_multi_info_read(conn->multi, &left)) != NULL)
	{
		HttpXfer   *x = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		if (curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
							  (char **) &x) != CURLE_OK || x == NULL)
			continue;
		x->done = true;
		x->result = msg->data.result;
		/* its connection is back in the multi's cache; detach now */
		curl_multi_remove_handle(conn->multi, x->easy);
		x->attached = false;
	}
}

int
http_wait_fd(HttpConn *conn, uint32 *build)
{
	Assert(conn->multi != NULL);
	*build = conn->builds;
	return conn->epfd;
}

void
http_wake(HttpConn *conn)
{
	if (conn->multi != NULL)
		http_arm_timer(conn, true);
}

void
http_wake_after(HttpConn *conn, int64 usecs)
{
	int64		at = http_now_us() + Max(usecs, 0);

	if (conn->multi == NULL)
		return;
	if (conn->wake_at < 0 || conn->wake_at <= http_now_us() || at < conn->wake_at)
		conn->wake_at = at;
	http_arm_timer(conn, false);
}

bool
http_finished(HttpTransfer *t)
{
	return t->x == NULL || t->x->done;
}

HttpResponse *
http_wait(HttpTransfer *t)
{
	HttpXfer   *x = t->x;

	if (x == NULL)
		elog(ERROR, "paged_fdw: wait on a released HTTP transfer");

	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (x->done)
			break;
		Assert(x->conn != NULL);

		/*
		 * Sleep until a socket is ready, curl's next timeout, or the slice
		 * ends, and let curl act on what is ready.
		 */
		http_drive(x->conn, HTTP_WAIT_SLICE_MS);
	}

	if (!t->have_resp)
		http_fill_response(t);
	return &t->resp;
}

const HttpRequest *
http_request(HttpTransfer *t)
{
	return &t->req;
}

/* Map a finished transfer's CURLcode to an outcome. */
static HttpOutcome
http_outcome(CURLcode rc)
{
	switch (rc)
	{
		case CURLE_OK:
			return HTTP_COMPLETED;
		case CURLE_UNSUPPORTED_PROTOCOL:
		case CURLE_URL_MALFORMAT:
		case CURLE_COULDNT_RESOLVE_PROXY:
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_CONNECT:
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CERTPROBLEM:
		case CURLE_SSL_CIPHER:
		case CURLE_SSL_CACERT_BADFILE:
		case CURLE_SSL_ENGINE_NOTFOUND:
		case CURLE_SSL_ENGINE_SETFAILED:
		case CURLE_SSL_ENGINE_INITFAILED:
		case CURLE_SSL_CRL_BADFILE:
		case CURLE_SSL_ISSUER_ERROR:
		case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		case CURLE_SSL_INVALIDCERTSTATUS:
		case CURLE_SSL_CLIENTCERT:
		case CURLE_USE_SSL_FAILED:
			return HTTP_CONNECT_FAILED;
		case CURLE_OPERATION_TIMEDOUT:
			return HTTP_TIMED_OUT;
		case CURLE_FILESIZE_EXCEEDED:
			return HTTP_TOO_LARGE;
		default:
			return HTTP_TRANSPORT_FAILED;
	}
}

/*
 * Connect failures that the same request cannot get past by retrying:
 * certificate and TLS configuration problems, unusable URLs.  DNS failures,
 * refused connections and handshake errors may be passing.
 */
static bool
http_permanent(CURLcode rc)
{
	switch (rc)
	{
		case CURLE_COULDNT_RESOLVE_PROXY:
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_CONNECT:
		case CURLE_SSL_CONNECT_ERROR:
			return false;
		default:
			return true;
	}
}

/* Build the HttpResponse of a finished transfer, in the owner context. */
static void
http_fill_response(HttpTransfer *t)
{
	HttpXfer   *x = t->x;
	HttpResponse *resp = &t->resp;
	MemoryContext oldcxt;
	curl_off_t	total_us = 0;
	char	   *ct = NULL;

	Assert(x->done);

	if (x->oom)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory while receiving %s response",
						t->req.operation),
				 errdetail("Failed after %zu bytes.", x->len)));

	oldcxt = MemoryContextSwitchTo(t->owner);

	memset(resp, 0, sizeof(*resp));
	resp->retry_after = -1;
	if (x->aborted)
	{
		resp->outcome = HTTP_TRANSPORT_FAILED;
		resp->transport_error = pstrdup("transfer aborted by transaction abort");
	}
	else if (x->too_large || x->result == CURLE_FILESIZE_EXCEEDED)
	{
		resp->outcome = HTTP_TOO_LARGE;
		resp->transport_error =
			psprintf("response exceeds max_response_size (%zu bytes)",
					 x->limit);
	}
	else
	{
		resp->outcome = http_outcome(x->result);
		if (resp->outcome != HTTP_COMPLETED)
			resp->transport_error = pstrdup(x->errbuf[0] != '\0' ?
											x->errbuf :
											curl_easy_strerror(x->result));
		if (resp->outcome == HTTP_TIMED_OUT)
		{
			curl_off_t	connect_us = 0;

			/* no connection was ever made: the server is unreachable */
			if (curl_easy_getinfo(x->easy, CURLINFO_CONNECT_TIME_T,
								  &connect_us) == CURLE_OK && connect_us == 0)
				resp->outcome = HTTP_CONNECT_FAILED;
		}
		else if (resp->outcome == HTTP_CONNECT_FAILED)
			resp->permanent = http_permanent(x->result);
	}

	if (resp->outcome == HTTP_COMPLETED)
	{
		long		status = 0;

		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		resp->status = status;
		resp->retry_after = x->retry_after;
		if (curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK &&
			ct != NULL)
			resp->content_type = pnstrdup(ct, Min(strlen(ct), HTTP_CT_LEN));

		/* redirects are not followed: say where it pointed */
		if (status >= 300 && status < 400)
		{
			char	   *loc = NULL;

			if (curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_URL, &loc) ==
				CURLE_OK && loc != NULL)
				resp->transport_error = psprintf("redirected to %s",
												 http_safe_url(loc));
		}
	}

	{
		curl_off_t	wire = 0;

		/* libcurl counts body bytes before content decoding */
		if (!x->aborted &&
			curl_easy_getinfo(x->easy, CURLINFO_SIZE_DOWNLOAD_T, &wire) == CURLE_OK)
			resp->wire_len = (int64) wire;
	}

	if (x->buf != NULL)
		resp->body = x->buf;
	else
		resp->body = pstrdup("");
	resp->len = x->len;

	if (!x->aborted &&
		curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME_T, &total_us) == CURLE_OK)
		resp->elapsed = (double) total_us / 1000000.0;

	MemoryContextSwitchTo(oldcxt);
	t->have_resp = true;
}

/* ----------------------------------------------------------------
 *		Classification and errors
 * ----------------------------------------------------------------
 */

HttpClass
http_classify(const HttpResponse *resp)
{
	long		status = resp->status;

	switch (resp->outcome)
	{
		case HTTP_COMPLETED:
			break;
		case HTTP_TIMED_OUT:
		case HTTP_TRANSPORT_FAILED:
			return HTTP_CLASS_RETRY;
		case HTTP_CONNECT_FAILED:
			return resp->permanent ? HTTP_CLASS_FATAL : HTTP_CLASS_RETRY;
		case HTTP_TOO_LARGE:
			return HTTP_CLASS_FATAL;
	}

	if (status >= 200 && status < 300)
		return HTTP_CLASS_OK;
	if (status == 408 || status == 429 || (status >= 500 && status < 600))
		return HTTP_CLASS_RETRY;
	return HTTP_CLASS_FATAL;
}

double
http_retry_delay(int attempt, double retry_after)
{
	double		base = 0.2 * (double) (1 << Min(Max(attempt, 0), 10));
	double		delay;

	if (base > 10.0)
		base = 10.0;
	/* "equal jitter": half fixed, half random, so that clients spread out */
	delay = base / 2 + pg_prng_double(&pg_global_prng_state) * base / 2;
	if (retry_after >= 0)
		delay = Max(delay, Min(retry_after, HTTP_RETRY_AFTER_CAP));
	return delay;
}

void
http_sleep(HttpConn *conn, double secs)
{
	TimestampTz until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													(int64) (secs * 1000.0));

	for (;;)
	{
		long		ms;

		CHECK_FOR_INTERRUPTS();
		/* transfers already in flight (prefetch) go on meanwhile */
		if (conn != NULL)
			http_progress(conn);
		ms = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), until);
		if (ms <= 0)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Min(ms, HTTP_WAIT_SLICE_MS), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

int
http_status_sqlstate(long status)
{
	switch (status)
	{
		case 400:
			return ERRCODE_INVALID_PARAMETER_VALUE;
		case 401:
		case 402:
			return ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION;
		case 403:
			return ERRCODE_INSUFFICIENT_PRIVILEGE;
		default:
			return ERRCODE_FDW_ERROR;
	}
}

/* The URL with any "user:password@" removed, palloc'd. */
static char *
http_safe_url(const char *url)
{
	const char *auth;
	const char *auth_end;
	const char *at = NULL;
	const char *p;
	char	   *stripped;

	if (url == NULL)
		return pstrdup("(none)");
	auth = strstr(url, "://");
	if (auth == NULL)
		return http_excerpt(url, strlen(url), 1000);
	auth += 3;
	auth_end = auth + strcspn(auth, "/?#");
	for (p = auth; p < auth_end; p++)
		if (*p == '@')
			at = p;
	if (at == NULL)
		return http_excerpt(url, strlen(url), 1000);
	stripped = psprintf("%.*s%s", (int) (auth - url), url, at + 1);
	return http_excerpt(stripped, strlen(stripped), 1000);
}

/* Drop a trailing period so "...%s." does not print two. */
static char *
http_sentence(char *s)
{
	size_t		n = strlen(s);

	while (n > 0 && (s[n - 1] == '.' || s[n - 1] == ' '))
		s[--n] = '\0';
	return s;
}

/* Add "s" to the list, and its UTF-8 and XML-escaped forms where they differ. */
static List *
http_add_secret(List *result, const char *s)
{
	const char *utf8;
	StringInfoData esc;
	const char *p;

	if (s == NULL || strlen(s) < HTTP_REDACT_MIN)
		return result;
	result = lappend(result, unconstify(char *, s));

	/* sent as UTF-8 (Diadoc's login), stored in the database encoding */
	utf8 = pg_server_to_any(s, strlen(s), PG_UTF8);
	if (utf8 != s && strcmp(utf8, s) != 0)
		result = lappend(result, unconstify(char *, utf8));

	/* quoted back inside XML or HTML, & < > " ' come as references */
	if (strpbrk(s, "&<>\"'") == NULL)
		return result;
	initStringInfo(&esc);
	for (p = s; *p; p++)
	{
		switch (*p)
		{
			case '&':
				appendStringInfoString(&esc, "&amp;");
				break;
			case '<':
				appendStringInfoString(&esc, "&lt;");
				break;
			case '>':
				appendStringInfoString(&esc, "&gt;");
				break;
			case '"':
				appendStringInfoString(&esc, "&quot;");
				break;
			case '\'':
				appendStringInfoString(&esc, "&#39;");
				break;
			default:
				appendStringInfoChar(&esc, *p);
				break;
		}
	}
	return lappend(result, esc.data);
}

/* Longer secrets first: one that contains another is redacted whole. */
static int
http_secret_cmp(const ListCell *a, const ListCell *b)
{
	size_t		la = strlen((const char *) lfirst(a));
	size_t		lb = strlen((const char *) lfirst(b));

	return la > lb ? -1 : la < lb ? 1 : 0;
}

/*
 * Secrets of a request: what the resource listed, the values of the secret
 * headers and of each "name=value" parameter in them (DiadocAuth's client
 * id and token), and the HTTP Basic password, also in the base64 form a
 * server echoing its request headers would show.  Each also in UTF-8 and
 * XML-escaped form; secrets shorter than HTTP_REDACT_MIN bytes are left
 * out: they would match everywhere and the replacement itself would give
 * them away.  Longest first.
 */
List *
http_secrets(const HttpRequest *req)
{
	List	   *result = NIL;
	ListCell   *lc;

	if (req == NULL)
		return NIL;
	foreach(lc, req->secrets)
		result = http_add_secret(result, lfirst(lc));
	foreach(lc, req->secret_headers)
	{
		const char *h = (const char *) lfirst(lc);
		const char *colon = strchr(h, ':');
		const char *p;

		if (colon == NULL)
			continue;
		colon++;
		while (*colon == ' ')
			colon++;
		result = http_add_secret(result, colon);
		/* "Scheme k1=v1, k2=v2": each value on its own */
		for (p = strchr(colon, '='); p != NULL; p = strchr(p, '='))
		{
			size_t		vlen;

			p++;
			vlen = strcspn(p, ", ");
			result = http_add_secret(result, pnstrdup(p, vlen));
			p += vlen;
		}
	}
	if (req->basic_password != NULL)
	{
		char	   *pair = psprintf("%s:%s",
									req->basic_user ? req->basic_user : "",
									req->basic_password);
		int			enclen = pg_b64_enc_len(strlen(pair));
		char	   *enc = palloc(enclen + 1);

		enclen = pg_b64_encode(pair, strlen(pair), enc, enclen);
		enc[Max(enclen, 0)] = '\0';
		result = http_add_secret(result, req->basic_password);
		result = http_add_secret(result, enc);
	}
	list_sort(result, http_secret_cmp);
	return result;
}

/*
 * "text" with every secret in the list replaced by "[redacted]".  Remote
 * text is quoted in messages, and a server may well echo the credentials
 * it was sent ("invalid token ...").  Returns "text" itself when there is
 * nothing to replace (the usual case, cheap even for a large body), else a
 * palloc'd NUL-terminated copy; *len is updated.
 */
const char *
http_redact_list(List *secrets, const char *text, size_t *len)
{
	ListCell   *lc;

	if (text == NULL)
		return text;
	foreach(lc, secrets)
	{
		const char *secret = (const char *) lfirst(lc);
		size_t		slen = strlen(secret);
		StringInfoData buf;
		const char *p = text;
		const char *hit;

		if ((hit = memmem(p, *len, secret, slen)) == NULL)
			continue;
		initStringInfo(&buf);
		do
		{
			appendBinaryStringInfo(&buf, p, hit - p);
			appendStringInfoString(&buf, "[redacted]");
			p = hit + slen;
		} while ((hit = memmem(p, *len - (p - text), secret, slen)) != NULL);
		appendBinaryStringInfo(&buf, p, *len - (p - text));
		text = buf.data;
		*len = buf.len;
	}
	return text;
}

/* http_redact_list with the request's secrets. */
const char *
http_redact(const HttpRequest *req, const char *text, size_t *len)
{
	return http_redact_list(http_secrets(req), text, len);
}

/* The secret that starts at s[i] and ends within s[0, len), or NULL. */
static const char *
http_secret_at(List *secrets, const char *s, size_t len, size_t i)
{
	ListCell   *lc;

	foreach(lc, secrets)
	{
		const char *secret = (const char *) lfirst(lc);
		size_t		slen = strlen(secret);

		if (i + slen <= len && memcmp(s + i, secret, slen) == 0)
			return secret;
	}
	return NULL;
}

/* Bytes of the UTF-8 sequence starting with lead byte c (1 if not a lead). */
static int
http_utf8_len(unsigned char c)
{
	if (c >= 0xf0 && c < 0xf8)
		return 4;
	if (c >= 0xe0)
		return c < 0xf0 ? 3 : 1;
	if (c >= 0xc0)
		return 2;
	return 1;
}

/*
 * The same order without allocating, for parser callbacks that must not
 * ereport: src[0, len) into dst (dstsize bytes with the NUL), secrets
 * replaced first, then cut, never inside a UTF-8 sequence, "..." marking
 * the cut.  "src_cut" says src is only the start of a longer text (a
 * vsnprintf that ran out of room): a tail of it that could be the start of
 * a secret is dropped too, since what followed is unknown.  Escaping is
 * left to whoever quotes dst.
 */
void
http_redact_into(List *secrets, const char *src, size_t len, bool src_cut,
				 char *dst, size_t dstsize)
{
	size_t		i = 0;
	size_t		o = 0;
	bool		cut = src_cut;
	bool		again = src_cut;

	Assert(dstsize > 4);
	while (again)
	{
		ListCell   *lc;

		again = false;
		foreach(lc, secrets)
		{
			const char *secret = (const char *) lfirst(lc);
			size_t		k = Min(strlen(secret) - 1, len);

			for (; k > 0; k--)
			{
				if (memcmp(src + len - k, secret, k) == 0)
				{
					len -= k;
					again = true;
					break;
				}
			}
		}
	}
	while (i < len)
	{
		const char *secret = http_secret_at(secrets, src, len, i);
		size_t		n = secret ? strlen("[redacted]") :
			(size_t) http_utf8_len((unsigned char) src[i]);

		/* room for this, "..." and the NUL */
		if (o + n + 4 > dstsize)
		{
			cut = true;
			break;
		}
		if (secret)
		{
			memcpy(dst + o, "[redacted]", n);
			i += strlen(secret);
		}
		else
		{
			n = Min(n, len - i);
			memcpy(dst + o, src + i, n);
			i += n;
		}
		o += n;
	}
	if (cut)
	{
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}

/*
 * http_excerpt of remote text with the request's secrets redacted, before
 * (so that a secret is never cut in half) and after (markup stripping and
 * blank folding could join one together).
 */
static char *
http_safe_excerpt(const HttpRequest *req, const char *text, size_t len,
				  size_t maxlen)
{
	char	   *ex;
	size_t		exlen;

	text = http_redact(req, text, &len);
	ex = http_excerpt(text, len, maxlen);
	exlen = strlen(ex);
	return unconstify(char *, http_redact(req, ex, &exlen));
}

/*
 * sqlstate 0 means "the code the design maps this outcome/status to".  For
 * a response without an HTTP status the generic ERRCODE_FDW_ERROR (what
 * http_status_sqlstate(0) gives) is also replaced by the outcome's own code,
 * so that a caller passing http_status_sqlstate(resp->status) still gets
 * HV00N for a connection failure.
 */
void
http_raise(const HttpRequest *req, const HttpResponse *resp, int sqlstate,
		   const char *what)
{
	const char *op = (req && req->operation) ? req->operation : "HTTP";
	char	   *url = http_safe_url(req ? req->url : NULL);
	char	   *said = NULL;
	const char *hint = NULL;

	if (resp == NULL)
		ereport(ERROR,
				(errcode(sqlstate ? sqlstate : ERRCODE_FDW_ERROR),
				 errmsg("%s request failed", op),
				 errdetail("URL: %s.", url)));

	if (what != NULL)
		said = http_safe_excerpt(req, what, strlen(what), HTTP_EXCERPT_LEN);
	else if (resp->outcome == HTTP_COMPLETED && resp->body != NULL &&
			 resp->len > 0)
		said = http_safe_excerpt(req, resp->body, resp->len, HTTP_EXCERPT_LEN);
	if (said != NULL && said[0] == '\0')
		said = NULL;

	if (resp->outcome != HTTP_COMPLETED)
	{
		const char *reason = said;
		char	   *curl_text = NULL;

		if (sqlstate == 0 || sqlstate == ERRCODE_FDW_ERROR)
			sqlstate = resp->outcome == HTTP_CONNECT_FAILED ?
				ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION : ERRCODE_FDW_ERROR;
		if (resp->transport_error != NULL)
			curl_text = http_sentence(http_safe_excerpt(req,
														resp->transport_error,
														strlen(resp->transport_error),
														HTTP_REASON_LEN));
		if (reason == NULL)
			reason = curl_text;

		switch (resp->outcome)
		{
			case HTTP_CONNECT_FAILED:
				ereport(ERROR,
						(errcode(sqlstate),
						 errmsg("%s request failed: could not connect to server",
								op),
						 reason ? errdetail("URL: %s. %s.", url, reason) :
						 errdetail("URL: %s.", url),
						 resp->permanent ?
						 errhint("Check the server option \"url\"; for TLS errors, the options \"ssl_verify\" and \"ca_file\".") :
						 errhint("Check the server option \"url\" and the network, or raise \"connect_timeout\" or \"max_retries\".")));
				break;
			case HTTP_TIMED_OUT:
				ereport(ERROR,
						(errcode(sqlstate),
						 errmsg("%s request failed: timed out after %.1f s",
								op, resp->elapsed),
						 reason ? errdetail("URL: %s. %s.", url, reason) :
						 errdetail("URL: %s.", url),
						 errhint("Raise the option \"request_timeout\" or \"connect_timeout\".")));
				break;
			case HTTP_TOO_LARGE:
				ereport(ERROR,
						(errcode(sqlstate),
						 errmsg("%s request failed: %s", op,
								curl_text ? curl_text :
								"response exceeds max_response_size"),
						 errdetail("URL: %s.", url),
						 errhint("Raise the option \"max_response_size\" or lower \"page_size\".")));
				break;
			default:
				ereport(ERROR,
						(errcode(sqlstate),
						 errmsg("%s request failed: connection error", op),
						 reason ? errdetail("URL: %s. %s.", url, reason) :
						 errdetail("URL: %s.", url)));
				break;
		}
		pg_unreachable();
	}

	if (sqlstate == 0)
		sqlstate = http_status_sqlstate(resp->status);

	if (resp->status == 401)
		hint = "Check the credentials in the user mapping for this server.";
	else if (resp->status == 402)
		hint = "The API subscription of this account may have ended.";
	else if (resp->status == 403)
		hint = "The credentials in the user mapping are not allowed to access this resource; check them and, for Diadoc, the option \"box_id\".";
	else if (resp->status == 429)
		hint = "The server is limiting the request rate; lower \"max_concurrency\" or raise \"max_retries\".";
	else if (resp->status >= 300 && resp->status < 400)
		hint = "Redirects are not followed: set the server option \"url\" to the final address.";

	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg("%s request failed with HTTP status %ld", op, resp->status),
			 /* for a redirect, where it pointed says more than its body */
			 (resp->status >= 300 && resp->status < 400 &&
			  resp->transport_error) ?
			 errdetail("URL: %s. The server %s.", url,
					   http_safe_excerpt(req, resp->transport_error,
										 strlen(resp->transport_error),
										 HTTP_REASON_LEN)) :
			 said ? errdetail("URL: %s. Server said: \"%s\".", url, said) :
			 errdetail("URL: %s.", url),
			 hint ? errhint("%s", hint) : 0));
	pg_unreachable();
}

/*
 * Content-Type text/html, or a body that starts with an HTML doctype or
 * <html> whatever the Content-Type says.  (Neither a protobuf message nor
 * a SOAP envelope can start like that.)
 */
void
http_check_html(const HttpRequest *req, const HttpResponse *resp,
				const char *expected)
{
	const char *b = resp->body;
	size_t		len = resp->len;
	bool		html = false;

	if (resp->outcome != HTTP_COMPLETED)
		return;
	if (resp->content_type != NULL &&
		pg_strncasecmp(resp->content_type, "text/html", 9) == 0)
		html = true;
	else if (b != NULL)
	{
		while (len > 0 && (*b == ' ' || *b == '\t' || *b == '\r' || *b == '\n'))
		{
			b++;
			len--;
		}
		html = (len >= 14 && pg_strncasecmp(b, "<!DOCTYPE html", 14) == 0) ||
			(len >= 5 && pg_strncasecmp(b, "<html", 5) == 0);
	}
	if (!html)
		return;

	ereport(ERROR,
			(errcode(ERRCODE_FDW_ERROR),
			 errmsg("%s answered HTTP status %ld with an HTML page instead of %s",
					req->operation ? req->operation : "HTTP", resp->status,
					expected),
			 errdetail("URL: %s. The page says: \"%s\".",
					   http_safe_url(req->url),
					   http_safe_excerpt(req, resp->body, resp->len,
										 HTTP_EXCERPT_LEN)),
			 errhint("A proxy or gateway may stand between this server and the API; check the server option \"url\".")));
}

/*
 * At the '<' (offset i) of an element whose content is not prose (head,
 * script, style), the offset just past its end tag; otherwise 0.
 */
static size_t
http_skip_element(const unsigned char *s, size_t len, size_t i)
{
	static const char *const names[] = {"head", "script", "style"};
	int			k;

	for (k = 0; k < (int) lengthof(names); k++)
	{
		size_t		nlen = strlen(names[k]);
		size_t		j;

		if (i + 1 + nlen >= len ||
			pg_strncasecmp((const char *) s + i + 1, names[k], nlen) != 0 ||
			!(s[i + 1 + nlen] == '>' || s[i + 1 + nlen] == ' ' ||
			  s[i + 1 + nlen] == '\t' || s[i + 1 + nlen] == '\r' ||
			  s[i + 1 + nlen] == '\n'))
			continue;

		/* find "</name", then the '>' closing it */
		for (j = i + 1 + nlen; j + 2 + nlen <= len; j++)
		{
			if (s[j] == '<' && s[j + 1] == '/' &&
				pg_strncasecmp((const char *) s + j + 2, names[k], nlen) == 0)
			{
				const unsigned char *gt = memchr(s + j, '>', len - j);

				return gt ? (size_t) (gt - s) + 1 : len;
			}
		}
		return len;
	}
	return 0;
}

/*
 * The raw bytes s[start, end) for a message about bytes that are wrong:
 * printable ASCII and, in a UTF-8 database, whole valid UTF-8 characters
 * as they are, anything else as \xNN, so that the offending bytes can be
 * seen.  "start" moves back to the beginning of a UTF-8 character; "..."
 * marks a cut side.  The secrets (http_secrets) are redacted first, as if
 * in the whole of s: one that straddles "start" is replaced whole and one
 * that straddles "end" is replaced whole, so neither is cut into pieces
 * nor escaped into a form the redaction would miss.
 */
char *
http_bytes_excerpt(List *secrets, const char *s, size_t len, size_t start,
				   size_t end)
{
	StringInfoData buf;
	size_t		i;
	bool		utf8db = (GetDatabaseEncoding() == PG_UTF8);

	end = Min(end, len);
	start = Min(start, end);
	/* a secret that begins before the window and reaches into it */
	if (secrets != NIL)
	{
		size_t		longest = strlen((const char *) linitial(secrets));
		size_t		k;

		for (k = start >= longest ? start - longest + 1 : 0; k < start; k++)
		{
			const char *secret = http_secret_at(secrets, s, len, k);

			if (secret != NULL && k + strlen(secret) > start)
			{
				start = k;
				break;
			}
		}
	}
	while (start > 0 && ((unsigned char) s[start] & 0xc0) == 0x80)
		start--;
	initStringInfo(&buf);
	if (start > 0)
		appendStringInfoString(&buf, "...");
	for (i = start; i < end;)
	{
		unsigned char c = (unsigned char) s[i];
		const char *secret = http_secret_at(secrets, s, len, i);

		if (secret != NULL)
		{
			appendStringInfoString(&buf, "[redacted]");
			i += strlen(secret);
			continue;
		}
		if (c >= 0x20 && c < 0x7f && c != '\\')
		{
			appendStringInfoChar(&buf, (char) c);
			i++;
			continue;
		}
		if (c >= 0x80 && utf8db)
		{
			int			l = pg_utf_mblen((const unsigned char *) s + i);

			if (i + l <= len && pg_utf8_islegal((const unsigned char *) s + i, l))
			{
				appendBinaryStringInfo(&buf, s + i, l);
				i += l;
				continue;
			}
		}
		appendStringInfo(&buf, "\\x%02X", c);
		i++;
	}
	if (i < len)
		appendStringInfoString(&buf, "...");
	return buf.data;
}

/*
 * A printable excerpt of remote text: at most maxlen bytes, then "..." if
 * cut.  Control characters become spaces and runs of white space collapse;
 * markup is stripped crudely when the text starts with '<'; bytes that are
 * not valid UTF-8 (or any non-ASCII byte when the database encoding is not
 * UTF-8) become '?'.  The content of head, script and style elements is
 * skipped.  Binary data is not quoted at all.
 */
char *
http_excerpt(const char *text, size_t len, size_t maxlen)
{
	StringInfoData buf;
	const unsigned char *s = (const unsigned char *) text;
	bool		utf8 = (GetDatabaseEncoding() == PG_UTF8);
	bool		markup = false;
	bool		in_tag = false;
	bool		space = false;
	size_t		i;
	size_t		nctl = 0;
	size_t		probe;

	initStringInfo(&buf);
	if (text == NULL || len == 0)
		return buf.data;

	/* binary (protobuf, images): say so instead of quoting noise */
	probe = Min(len, 512);
	for (i = 0; i < probe; i++)
		if (s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			nctl++;
	if (nctl > 0 && (memchr(s, '\0', probe) != NULL || nctl * 10 > probe))
	{
		appendStringInfo(&buf, "(%zu bytes of binary data)", len);
		return buf.data;
	}

	for (i = 0; i < len && (s[i] == ' ' || s[i] == '\t' ||
							s[i] == '\r' || s[i] == '\n'); i++)
		;
	markup = (i < len && s[i] == '<');

	while (i < len)
	{
		unsigned char c = s[i];
		int			clen = 1;
		bool		bad = false;

		if (markup)
		{
			if (in_tag)
			{
				if (c == '>')
				{
					in_tag = false;
					space = true;
				}
				i++;
				continue;
			}
			if (c == '<')
			{
				size_t		skip = http_skip_element(s, len, i);

				if (skip > 0)
				{
					i = skip;
					space = true;
				}
				else
				{
					in_tag = true;
					i++;
				}
				continue;
			}
		}
		if (c <= 0x20 || c == 0x7f)
		{
			space = true;
			i++;
			continue;
		}
		if (c >= 0x80)
		{
			clen = pg_utf_mblen(&s[i]);
			if (!utf8 || clen < 2 || i + clen > len ||
				!pg_utf8_islegal(&s[i], clen))
			{
				bad = true;
				clen = 1;
			}
			else if (c == 0xc2 && s[i + 1] < 0xa0)
			{
				/* U+0080..U+009F are control characters too */
				space = true;
				i += clen;
				continue;
			}
		}

		if ((size_t) buf.len + (space && buf.len > 0 ? 1 : 0) +
			(size_t) clen > maxlen)
		{
			appendStringInfoString(&buf, "...");
			break;
		}
		if (space && buf.len > 0)
			appendStringInfoChar(&buf, ' ');
		space = false;
		if (bad)
			appendStringInfoChar(&buf, '?');
		else
			appendBinaryStringInfo(&buf, (const char *) &s[i], clen);
		i += clen;
	}
	return buf.data;
}

/* Percent-encode everything but RFC 3986 unreserved characters. */
char *
http_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	StringInfoData buf;
	const unsigned char *p;

	initStringInfo(&buf);
	for (p = (const unsigned char *) s; *p; p++)
	{
		unsigned char c = *p;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			(c >= '0' && c <= '9') ||
			c == '-' || c == '.' || c == '_' || c == '~')
			appendStringInfoChar(&buf, (char) c);
		else
		{
			appendStringInfoChar(&buf, '%');
			appendStringInfoChar(&buf, hex[c >> 4]);
			appendStringInfoChar(&buf, hex[c & 0x0f]);
		}
	}
	return buf.data;
}

void
http_form_append(StringInfo buf, const char *name, const char *value)
{
	char	   *enc;

	http_global_init();
	/* libcurl 7.82 and later ignore the handle argument */
	enc = curl_easy_escape(NULL, value, 0);
	if (enc == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	appendStringInfo(buf, "%s%s=", buf->len > 0 ? "&" : "", name);
	appendStringInfoString(buf, enc);
	/* the value may be a secret */
	explicit_bzero(enc, strlen(enc));
	curl_free(enc);
}

/* ----------------------------------------------------------------
 *		Request rate
 *
 * One slot schedule per foreign server, shared by every user mapping, scan
 * and kind of request (pages, retries, tokens): a request may start no
 * earlier than 1/rate seconds after the previous one's slot (a token
 * bucket holding one token, so there are no bursts).  The interval is the
 * current option's, so a changed rate applies from the next request on.
 *
 * With shared_preload_libraries the schedule is in shared memory and holds
 * for every backend of the cluster (paged_rate_reserve), otherwise each
 * backend keeps its own here.  Either way a slot is reserved in one step
 * and is then the reserver's alone: concurrent waiters line up one
 * interval apart, and a caller that must not block (an Async Append) can
 * reserve, let the executor wait for the slot's time and send then
 * (http_rate_prepay), with no second look at the schedule that another
 * backend could have changed meanwhile.  A slot left unused (a cancelled
 * wait, a scan that ended first) is given back if no slot was reserved
 * after it (http_rate_release), so that a cancelled wait for a long
 * interval leaves the schedule as it was; otherwise it only lowers the
 * rate, never makes a burst.
 * ----------------------------------------------------------------
 */
typedef struct HttpRateSlot
{
	Oid			serverid;		/* hash key */
	TimestampTz last;			/* latest slot reserved (may be ahead) */
} HttpRateSlot;

static HTAB *http_rate_slots = NULL;

bool
http_rate_reserve(HttpConn *conn, HttpRateReservation *r)
{
	HttpRateSlot *slot;
	bool		found;
	TimestampTz now;
	int64		interval;

	if (conn->max_rps <= 0)
		return false;
	interval = (int64) ceil((double) USECS_PER_SEC / conn->max_rps);
	now = GetCurrentTimestamp();

	/*
	 * A slot reserved before is kept until an interval after its time: sent
	 * later than that, its request could start together with the slot
	 * after it (another backend's), so then it is given up for a new one.
	 */
	if (r->start != 0 && now - r->start < interval)
		return true;
	if (paged_rate_reserve(conn->key.serverid, interval, now, &r->start,
						   &r->prev))
		return true;
	if (http_rate_slots == NULL)
	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(HttpRateSlot);
		ctl.hcxt = TopMemoryContext;
		http_rate_slots = hash_create("paged_fdw request rate", 8, &ctl,
									  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	slot = (HttpRateSlot *) hash_search(http_rate_slots, &conn->key.serverid,
										HASH_ENTER, &found);
	if (!found)
		slot->last = 0;
	r->prev = slot->last;
	r->start = now;
	if (slot->last + interval > now)
		r->start = slot->last + interval;
	slot->last = r->start;
	return true;
}

/* Never ERRORs: called from memory context reset callbacks. */
void
http_rate_release(HttpConn *conn, HttpRateReservation *r)
{
	HttpRateSlot *slot;

	if (r->start == 0)
		return;
	paged_rate_release(conn->key.serverid, r->start, r->prev);
	if (http_rate_slots != NULL)
	{
		slot = (HttpRateSlot *) hash_search(http_rate_slots,
											&conn->key.serverid,
											HASH_FIND, NULL);
		if (slot != NULL && slot->last == r->start)
			slot->last = r->prev;
	}
	r->start = 0;
}

void
http_rate_prepay(HttpConn *conn, const HttpRateReservation *r)
{
	conn->rate_prepaid = *r;
}

bool
http_rate_prepaid(HttpConn *conn)
{
	return conn->rate_prepaid.start != 0;
}

bool
http_rate_unprepay(HttpConn *conn)
{
	bool		was = conn->rate_prepaid.start != 0;

	http_rate_release(conn, &conn->rate_prepaid);
	return was;
}

void
http_rate_wait(HttpConn *conn)
{
	HttpRateReservation r;
	TimestampTz now;

	r.start = 0;
	if (conn->rate_prepaid.start != 0)
	{
		/* the caller reserved this request's slot already */
		r = conn->rate_prepaid;
		conn->rate_prepaid.start = 0;
	}
	else if (!http_rate_reserve(conn, &r))
		return;
	now = GetCurrentTimestamp();
	if (r.start <= now)
		return;

	/*
	 * Said at DEBUG1 because the executor is blocked meanwhile, which an
	 * async scan must never do (test/ratelimit.sh counts these).
	 */
	elog(DEBUG1, "paged_fdw: waiting %.3f s for max_requests_per_second of server %u",
		 (double) (r.start - now) / USECS_PER_SEC, conn->key.serverid);
	/* a cancelled wait gives its slot back (if no one reserved after it) */
	PG_TRY();
	{
		http_sleep(conn, (double) (r.start - now) / USECS_PER_SEC);
	}
	PG_CATCH();
	{
		http_rate_release(conn, &r);
		PG_RE_THROW();
	}
	PG_END_TRY();
}
