/*-------------------------------------------------------------------------
 * http.h
 *		libcurl behind a small asynchronous, cancellable interface.
 *
 * Only http.c includes curl.h.  A transfer is started with http_start() and
 * completed with http_wait(); several transfers may be in flight at once on
 * one HttpConn (a curl multi handle with its own connection cache, one per
 * server and user mapping per backend).  Waiting is done in short slices
 * with CHECK_FOR_INTERRUPTS() in between, never inside a curl callback, so a
 * cancel or statement_timeout can always longjmp out.  Everything curl owns
 * is released when the memory context the transfer was started in is reset
 * or deleted, so an ERROR anywhere cannot leak a handle, socket or buffer.
 *-------------------------------------------------------------------------
 */
#ifndef PAGED_HTTP_H
#define PAGED_HTTP_H

#include "postgres.h"
#include "datatype/timestamp.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/guc.h"
#include "options.h"

typedef struct HttpConn HttpConn;
typedef struct HttpTransfer HttpTransfer;

typedef struct HttpRequest
{
	const char *operation;		/* for messages, e.g. "GetDocflowsByPacketId" */
	char	   *url;			/* full URL; never contains credentials */
	const char *body;
	size_t		body_len;
	List	   *headers;		/* "Name: value" strings, may be shown */
	List	   *secret_headers; /* "Name: value" strings, never shown */
	const char *basic_user;		/* HTTP Basic credentials, or NULL */
	const char *basic_password;
	List	   *secrets;		/* other strings never to be shown (token,
								 * login, password): redacted from quoted
								 * remote text */
} HttpRequest;

typedef enum HttpOutcome
{
	HTTP_COMPLETED,				/* an HTTP status line was received */
	HTTP_CONNECT_FAILED,		/* DNS, connect or TLS handshake failed */
	HTTP_TIMED_OUT,				/* connect_timeout or request_timeout */
	HTTP_TRANSPORT_FAILED,		/* reset, truncated transfer, other I/O */
	HTTP_TOO_LARGE				/* body exceeded max_response_size */
} HttpOutcome;

typedef struct HttpResponse
{
	HttpOutcome outcome;
	long		status;			/* 0 unless HTTP_COMPLETED */
	char	   *body;			/* NUL-terminated, owned by the transfer */
	size_t		len;			/* decoded (gzip/deflate undone) */
	int64		wire_len;		/* body bytes as received, before decoding */
	char	   *content_type;	/* or NULL */
	double		retry_after;	/* seconds from Retry-After, or -1 */
	char	   *transport_error;	/* curl's text for failures, or NULL */
	double		elapsed;		/* seconds from start to completion */
	bool		permanent;		/* a failure retrying cannot fix (TLS
								 * verification, bad URL) */
} HttpResponse;

/* Per-backend connection (multi handle) for these options' server+mapping. */
extern HttpConn *http_get_conn(const PagedOptions *opts);

/*
 * Start a transfer.  The request is copied.  The transfer's resources are
 * released by http_release() or, at the latest, when "owner" is reset.
 */
extern HttpTransfer *http_start(HttpConn *conn, const HttpRequest *req,
								MemoryContext owner);

/* Drive all transfers of the connection without blocking. */
extern void http_progress(HttpConn *conn);

/*
 * A descriptor that is readable when the connection's transfers need curl
 * (a socket is ready, curl's timeout is due, or at most every 100 ms while
 * transfers run): for an executor wait set.  http_progress() acts on it.
 * It changes when the connection is rebuilt (*build tells which one it is).
 */
extern int	http_wait_fd(HttpConn *conn, uint32 *build);

/* Make http_wait_fd() readable at once (a waiter has something to do). */
extern void http_wake(HttpConn *conn);

/*
 * Make http_wait_fd() readable in "usecs" microseconds, or earlier (a
 * waiter has something to do then, e.g. a retry after its backoff).  Until
 * then it is also readable every 100 ms, to check for interrupts.
 */
extern void http_wake_after(HttpConn *conn, int64 usecs);

/*
 * max_requests_per_second without blocking.  http_rate_reserve() takes the
 * server's next request slot and sets r->start to its time (false, and
 * nothing taken, when the server has no rate limit); the slot is the
 * caller's from then on, whoever else reserves meanwhile.  r->start is a
 * slot the caller reserved before and has not used, or 0: such a slot is
 * kept, unless its time is an interval or more ago.  Once the time has
 * come, http_rate_prepay() makes the next http_start() on "conn" use that
 * slot instead of reserving (and waiting for) one of its own;
 * http_rate_prepaid() tells whether it is still unused, and
 * http_rate_unprepay() withdraws it, telling the same (call it after the
 * http_start, also on ERROR, so that no other request takes the slot
 * late).  http_rate_release() gives back a slot that will not be used
 * (r->start becomes 0); it never ERRORs.
 */
typedef struct HttpRateReservation
{
	TimestampTz start;			/* the slot's time, or 0 */
	TimestampTz prev;			/* the server's slot before it */
} HttpRateReservation;

extern bool http_rate_reserve(HttpConn *conn, HttpRateReservation *r);
extern void http_rate_release(HttpConn *conn, HttpRateReservation *r);
extern void http_rate_prepay(HttpConn *conn, const HttpRateReservation *r);
extern bool http_rate_prepaid(HttpConn *conn);
extern bool http_rate_unprepay(HttpConn *conn);

/* True once the transfer has finished (http_progress/http_wait drive it). */
extern bool http_finished(HttpTransfer *t);

/* Block (cancellably) until the transfer has finished; returns its result. */
extern HttpResponse *http_wait(HttpTransfer *t);

/* Abort if still running and free everything the transfer holds. */
extern void http_release(HttpTransfer *t);

/*
 * Keep the body of a finished transfer (its HttpResponse.body) after
 * http_release(), until the transfer's owner context is reset or deleted:
 * a parsed page can then point into it instead of copying from it.
 */
extern void http_keep_body(HttpTransfer *t);

/* The request a transfer was started with (for messages). */
extern const HttpRequest *http_request(HttpTransfer *t);

typedef enum HttpClass
{
	HTTP_CLASS_OK,				/* 2xx */
	HTTP_CLASS_RETRY,			/* connect or transport failure, timeout,
								 * 408, 429, 5xx */
	HTTP_CLASS_FATAL			/* anything else */
} HttpClass;

extern HttpClass http_classify(const HttpResponse *resp);

/*
 * Seconds to wait before retry number "attempt" (0-based): exponential
 * backoff with jitter, at least the server's Retry-After ("retry_after",
 * -1 if none) but never more than HTTP_RETRY_AFTER_CAP.
 */
#define HTTP_RETRY_AFTER_CAP	30.0
extern double http_retry_delay(int attempt, double retry_after);

/*
 * Sleep "secs" seconds, cancellably (interrupts are checked at least every
 * 100 ms), keeping the transfers of "conn" (may be NULL) moving meanwhile.
 */
extern void http_sleep(HttpConn *conn, double secs);

/*
 * ereport(ERROR) for a failed response with the SQLSTATE the design maps
 * its outcome/status to, naming the operation, status and URL and quoting a
 * short sanitized excerpt of the body.  "what" overrides the excerpt (e.g. a
 * SOAP faultstring) when not NULL.
 */
extern void http_raise(const HttpRequest *req, const HttpResponse *resp,
					   int sqlstate, const char *what) pg_attribute_noreturn();

/*
 * ERROR (HV000) if a successful response is an HTML page (a proxy's or
 * gateway's error page sent with 200) rather than the "expected" kind of
 * answer; the message quotes the page's text.
 */
extern void http_check_html(const HttpRequest *req, const HttpResponse *resp,
							const char *expected);

/* SQLSTATE for an HTTP status (design section 4). */
extern int	http_status_sqlstate(long status);

/*
 * Quoting remote text: the secrets are always redacted first, from the
 * whole text, then the quote is cut, then made printable; every quote of
 * server text in a message goes through one of these.
 *
 * The strings never to be shown for a request (longest first).
 */
extern List *http_secrets(const HttpRequest *req);

/* Remote text with the secrets replaced by "[redacted]". */
extern const char *http_redact(const HttpRequest *req, const char *text,
							   size_t *len);
extern const char *http_redact_list(List *secrets, const char *text,
									size_t *len);

/* The same without allocating, into dst, then cut (for parser callbacks). */
extern void http_redact_into(List *secrets, const char *src, size_t len,
							 bool src_cut, char *dst, size_t dstsize);

/* Printable, truncated, control-character-free copy of remote text. */
extern char *http_excerpt(const char *text, size_t len, size_t maxlen);

/*
 * Bytes s[start, end) as they are where printable, as \xNN elsewhere, the
 * secrets redacted first (as in the whole of s).
 */
extern char *http_bytes_excerpt(List *secrets, const char *s, size_t len,
								size_t start, size_t end);

/* paged_fdw.allowed_hosts: the setting, its check hook, the check. */
extern char *http_allowed_hosts;
extern bool http_allowed_hosts_check(char **newval, void **extra,
									 GucSource source);
extern void http_check_host(const char *url);

/* Percent-encode a query string value. */
extern char *http_escape(const char *s);

/*
 * Append "name=value" to an application/x-www-form-urlencoded body (with
 * "&" before all but the first pair), the value escaped by libcurl.
 */
extern void http_form_append(StringInfo buf, const char *name,
							 const char *value);

/*
 * Per-backend request rate limit (server option max_requests_per_second).
 * http_start() calls it for every request, so retries and token requests
 * count too; it waits (cancellably, keeping "conn"'s transfers moving)
 * until the server's next request slot, or the slot prepaid.
 */
extern void http_rate_wait(HttpConn *conn);

#endif							/* PAGED_HTTP_H */
