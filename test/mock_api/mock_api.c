/*-------------------------------------------------------------------------
 *
 * mock_api.c
 *		Mock Kontur Diadoc and VetIS Mercury servers for paged_fdw's tests.
 *
 * One process serves both APIs on 127.0.0.1.  Every answer is computed
 * from the record number alone, so a page costs O(page size) however big
 * the data set is, and the same request always gets the same bytes.  The
 * second path segment names a scenario (a misbehaviour); each API request
 * is logged in memory so that tests can assert what was pushed down.
 *
 * The contract the tests rely on is test/mock_api/PROTOCOL.md.
 *
 * Threading: libmicrohttpd runs a thread per connection, so concurrent
 * requests are served in parallel and a slow answer only stalls its own
 * connection.  Handlers keep their data on the stack or in per-request
 * buffers; the few shared things live in "state" under one mutex.
 *
 *-------------------------------------------------------------------------
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>
#include <zlib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "diadoc_docflow.pb-c.h"
#include "mock_box.h"
#include "mock_search.h"

#define LOG_CAP			1000000		/* log lines kept; oldest dropped first */
#define MAX_BODY		(16 * 1024 * 1024)
#define MAX_PACKET_ID	1000		/* keeps per-document strings on the stack */
#define FIELD_MAX		64			/* longest Mercury request value we keep */

/* Diadoc: .NET ticks (100 ns since 0001-01-01) of 2024-01-01T00:00:00Z */
#define TICKS_2024		INT64_C(638396640000000000)
#define TICKS_MINUTE	INT64_C(600000000)
#define DAYS_2024		19723		/* 2024-01-01 in days since 1970-01-01 */

/* Mercury: record i was updated at 2024-01-01T00:00:00+03:00 + i * 10 min */
#define MSK_OFFSET		(3 * 3600)
#define UNIT_BASE		INT64_C(1704056400)
#define UNIT_STEP		600

#define NS_SOAP		"http://schemas.xmlsoap.org/soap/envelope/"
#define NS_WS_V2	"http://api.vetrf.ru/schema/cdm/registry/ws-definitions/v2"
#define NS_BS		"http://api.vetrf.ru/schema/cdm/base"
#define NS_DT		"http://api.vetrf.ru/schema/cdm/dictionary/v2"
#define NS_ARGC		"http://api.vetrf.ru/schema/cdm/argus/common"
#define NS_WS_BASE	"http://api.vetrf.ru/schema/cdm/base/ws-definitions"

#define CT_TEXT		"text/plain; charset=utf-8"
#define CT_XML		"text/xml; charset=utf-8"
#define CT_PROTO	"application/x-protobuf"

/* Command line settings; read-only once the daemon runs. */
static int64_t n_units = 10000;
static int	blackhole_port;		/* a port whose connects never complete */
static int64_t max_docs = 10000000;
static const char *fixture_dir;

/* Accepted credentials (--token, --login, --password). */
static const char *cred_token = "test-token";
static const char *cred_login = "test-login";
static const char *cred_password = "test-password";
static bool custom_login;		/* --login given: never echo logins in the log */
static int	listen_port;		/* for the redirect-host scenario */
static bool use_tls;			/* --tls-cert/--tls-key given */

/* Everything shared between connection threads. */
static struct
{
	pthread_mutex_t lock;
	uint64_t	connections;	/* TCP connections accepted */
	uint64_t	requests;		/* API requests served (= lines logged) */
	uint64_t	inflight;		/* API requests being handled right now */
	uint64_t	max_inflight;	/* peak of inflight since start or reset */
	uint64_t	tokens_issued;	/* issued-N is valid iff */
	uint64_t	tokens_expired; /* tokens_expired < N <= tokens_issued */
	uint64_t	probes;			/* requests to /_probe... */
	char	   *last_body;		/* body of the last Mercury request */
	size_t		last_body_len;
	char	  **log;			/* ring of malloc'd lines */
	size_t		log_head;
	size_t		log_count;
}			state = {.lock = PTHREAD_MUTEX_INITIALIZER};


/* ---------------------------------------------------------------------
 * Growable buffer
 * ---------------------------------------------------------------------
 */
typedef struct Buf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} Buf;

static void *
xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (p == NULL)
	{
		fprintf(stderr, "mock_api: out of memory\n");
		abort();
	}
	return p;
}

/* Makes room for n more bytes plus a terminating NUL. */
static void
buf_reserve(Buf *b, size_t n)
{
	size_t		cap = b->cap ? b->cap : 256;

	if (b->len + n + 1 <= b->cap)
		return;
	while (cap < b->len + n + 1)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

static void
buf_append(Buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void
buf_puts(Buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

static void
buf_printf(Buf *b, const char *fmt,...)
{
	va_list		ap;
	int			n;

	for (;;)
	{
		size_t		room;

		buf_reserve(b, 64);
		room = b->cap - b->len;
		va_start(ap, fmt);
		n = vsnprintf(b->data + b->len, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			abort();
		if ((size_t) n < room)
			break;
		buf_reserve(b, n);
	}
	b->len += n;
}

/* A log value: never empty, no spaces or control characters. */
static void
buf_word(Buf *b, const char *s)
{
	size_t		k;

	if (s == NULL || *s == '\0')
	{
		buf_puts(b, "-");
		return;
	}
	for (k = 0; s[k] != '\0' && k < 200; k++)
	{
		unsigned char c = s[k];

		buf_append(b, (c <= ' ' || c == 0x7f) ? "_" : (const char *) &c, 1);
	}
}

static void
buf_hex(Buf *b, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t		k;

	if (p == NULL || n == 0)
	{
		buf_puts(b, "-");
		return;
	}
	buf_reserve(b, 2 * n);
	for (k = 0; k < n; k++)
	{
		b->data[b->len++] = digits[p[k] >> 4];
		b->data[b->len++] = digits[p[k] & 15];
	}
	b->data[b->len] = '\0';
}

static void
buf_xml_escaped(Buf *b, const char *s)
{
	for (; *s; s++)
	{
		switch (*s)
		{
			case '<':
				buf_puts(b, "&lt;");
				break;
			case '>':
				buf_puts(b, "&gt;");
				break;
			case '&':
				buf_puts(b, "&amp;");
				break;
			case '"':
				buf_puts(b, "&quot;");
				break;
			default:
				buf_append(b, s, 1);
		}
	}
}


/* ---------------------------------------------------------------------
 * Shared state: log, counters, tokens
 * ---------------------------------------------------------------------
 */
static void
log_add(const Buf *line)
{
	char	   *copy = strdup(line->data ? line->data : "");

	if (copy == NULL)
		abort();
	pthread_mutex_lock(&state.lock);
	state.requests++;
	if (state.log_count == LOG_CAP)
	{
		free(state.log[state.log_head]);
		state.log[state.log_head] = copy;
		state.log_head = (state.log_head + 1) % LOG_CAP;
	}
	else
		state.log[(state.log_head + state.log_count++) % LOG_CAP] = copy;
	pthread_mutex_unlock(&state.lock);
}

/* Moves every logged line into b, oldest first. */
static void
log_take(Buf *b)
{
	pthread_mutex_lock(&state.lock);
	for (; state.log_count > 0; state.log_count--)
	{
		buf_puts(b, state.log[state.log_head]);
		buf_puts(b, "\n");
		free(state.log[state.log_head]);
		state.log_head = (state.log_head + 1) % LOG_CAP;
	}
	state.log_head = 0;
	pthread_mutex_unlock(&state.lock);
}

/* box-1 .. box-4: four boxes, for a partitioned table of one partition each */
static bool
box_allowed(const char *box)
{
	return box != NULL && strncmp(box, "box-", 4) == 0 &&
		box[4] >= '1' && box[4] <= '4' && box[5] == '\0';
}

static bool bearer_valid(const char *token);

static bool
token_valid(const char *token)
{
	uint64_t	n = 0;
	const char *p;
	bool		ok;

	if (strcmp(token, cred_token) == 0)
		return true;
	/* diadoc_auth marks what came as "Authorization: Bearer" */
	if (strncmp(token, "Bearer:", 7) == 0)
		return bearer_valid(token + 7);
	if (strncmp(token, "issued-", 7) != 0 || token[7] == '\0')
		return false;
	for (p = token + 7; *p; p++)
	{
		if (*p < '0' || *p > '9' || n > UINT64_MAX / 20)
			return false;
		n = n * 10 + (*p - '0');
	}
	pthread_mutex_lock(&state.lock);
	ok = n > state.tokens_expired && n <= state.tokens_issued;
	pthread_mutex_unlock(&state.lock);
	return ok;
}


/* ---------------------------------------------------------------------
 * Scenarios
 *
 * A scenario is looked up once per request; handlers switch on its kind.
 * A new misbehaviour is one enum value, one table row and a case in the
 * handler(s) it affects.  Scenarios meaningless for an API ("-" in
 * PROTOCOL.md) behave like "ok" there.
 * ---------------------------------------------------------------------
 */
typedef enum ScenarioKind
{
	SC_OK,
	SC_V1,
	SC_EMPTY_PAGES,
	SC_SHORT_PAGES,
	SC_LOOP,
	SC_SHRINK,
	SC_FAULT,					/* arg: FaultKind */
	SC_STATUS,					/* arg: HTTP status */
	SC_GARBAGE,
	SC_FIXTURE,
	/* transport misbehaviour (both APIs) */
	SC_SLOW,					/* arg: milliseconds before the answer */
	SC_HANG,
	SC_TRICKLE,
	SC_RESET,
	SC_CUT,
	SC_STREAM,
	SC_HUGE,
	SC_REDIRECT,
	SC_HTML,
	SC_RETRY,					/* arg: failures per page, arg2: FailKind or status */
	/* hostile bodies */
	SC_TRUNCATED,
	SC_OTHER_MESSAGE,
	SC_MISSING_REQUIRED,
	SC_WRONG_WIRE_TYPE,
	SC_HUGE_LENGTH,
	SC_CYCLE,
	SC_WRONG_NS,
	SC_ODD_FAULT,
	SC_GROW,
	SC_SHRINK_TOTAL,
	SC_BAD,						/* arg: BadKind */
	SC_REDIRECT_FILE,			/* 302 to file:///etc/passwd */
	SC_REDIRECT_HOST,			/* 302 to the same request on "localhost" */
	SC_ECHO_AUTH,				/* 401 quoting the credentials received */
	SC_ECHO_HTML,				/* 200 HTML page quoting the request headers */
	SC_ECHO_AT,					/* arg: filler length, arg2: EchoKind */
	SC_AMPLIFY,					/* Diadoc: arg thousand empty sub-messages */
	SC_PADDED,					/* Mercury: arg bytes more in each fullName,
								 * arg2: CR LF line ends */
	SC_EXTRA_DOCS,				/* Diadoc: twice the documents asked for */
	SC_XXE,						/* Mercury: external entity ?target= */
	SC_XXE_PARAM,				/* Mercury: external parameter entity */
	SC_XXE_UTF16,				/* Mercury: SC_XXE in UTF-16 */
	SC_LAUGHS,					/* Mercury: "billion laughs" entities */
	SC_LATENCY,					/* arg: milliseconds; otherwise "ok" */
	SC_BOX,						/* arg: the generated box's horizon (mock_box.h) */
	SC_NO_DOCUMENT,				/* events of some documents carry no Document */
	SC_UNSORTED,				/* the event feed ignores SortDirection */
	SC_HASMORE,					/* Mercury: lists carry hasMore, no total */
	SC_TOTAL_ONLY,				/* Mercury: lists carry total, no hasMore */
	SC_NO_TOTALS,				/* Mercury: lists carry neither */
	SC_HASMORE_SHORT			/* VetIS lists: hasMore only, half-full pages */
} ScenarioKind;

/* How a retry-KIND-N request fails (an HTTP status when positive). */
typedef enum FailKind
{
	FAIL_RESET = -1,
	FAIL_CUT = -2,
	FAIL_HANG = -3,
	FAIL_INTERNAL = -4,
	FAIL_429_DATE = -5,
	FAIL_429_LONG = -6
} FailKind;

/* The bad value of a bad-KIND scenario. */
typedef enum BadKind
{
	BAD_DATE,
	BAD_UUID,
	BAD_NUMBER,
	BAD_RANGE,
	BAD_UTF8,
	BAD_NUL
} BadKind;

/* Where an echo-KIND-N scenario puts the credential it was sent. */
typedef enum EchoKind
{
	ECHO_FAULT,					/* Mercury faultstring */
	ECHO_ATTR,					/* Mercury unitList count attribute */
	ECHO_XMLERR,				/* Mercury: around a byte XML does not allow */
	ECHO_VALUE,					/* Mercury: a unit's uuid */
	ECHO_UTF8					/* Diadoc: StatusText around bytes FF FE */
} EchoKind;

static const char *const echo_kinds[] = {"fault", "attr", "xmlerr", "value", "utf8", NULL};

typedef enum FaultKind
{
	FAULT_INCORRECT,
	FAULT_INTERNAL,
	FAULT_ACCESS,
	FAULT_NOTFOUND,
	FAULT_OFFSET
} FaultKind;

/* Indexed by FaultKind. */
static const struct
{
	const char *name;			/* as in the scenario name */
	const char *element;		/* detail element */
	const char *faultcode;
}			faults[] =
{
	{"incorrect", "incorrectRequestFault", "soap:Client"},
	{"internal", "internalServiceFault", "soap:Server"},
	{"access", "accessDeniedFault", "soap:Client"},
	{"notfound", "entityNotFoundFault", "soap:Client"},
	{"offset", "offsetOutOfRangeFault", "soap:Client"},
};

typedef struct Scenario
{
	ScenarioKind kind;
	int			arg;
	int			arg2;
	const char *name;			/* the path segment, not NUL-terminated */
	int			name_len;
} Scenario;

static const struct
{
	const char *name;
	ScenarioKind kind;
	int			arg;
}			scenarios[] =
{
	{"ok", SC_OK, 0},
	{"v1", SC_V1, 0},
	{"empty-pages", SC_EMPTY_PAGES, 0},
	{"short-pages", SC_SHORT_PAGES, 0},
	{"loop", SC_LOOP, 0},
	{"shrink", SC_SHRINK, 0},
	{"fault-incorrect", SC_FAULT, FAULT_INCORRECT},
	{"fault-internal", SC_FAULT, FAULT_INTERNAL},
	{"fault-access", SC_FAULT, FAULT_ACCESS},
	{"fault-notfound", SC_FAULT, FAULT_NOTFOUND},
	{"fault-offset", SC_FAULT, FAULT_OFFSET},
	{"garbage", SC_GARBAGE, 0},
	{"fixture", SC_FIXTURE, 0},
	{"hang", SC_HANG, 0},
	{"trickle", SC_TRICKLE, 0},
	{"reset", SC_RESET, 0},
	{"cut", SC_CUT, 0},
	{"stream", SC_STREAM, 0},
	{"huge", SC_HUGE, 0},
	{"redirect", SC_REDIRECT, 0},
	{"html-200", SC_HTML, 0},
	{"truncated", SC_TRUNCATED, 0},
	{"other-message", SC_OTHER_MESSAGE, 0},
	{"missing-required", SC_MISSING_REQUIRED, 0},
	{"no-document", SC_NO_DOCUMENT, 0},
	{"unsorted", SC_UNSORTED, 0},
	{"wrong-wire-type", SC_WRONG_WIRE_TYPE, 0},
	{"huge-length", SC_HUGE_LENGTH, 0},
	{"cycle", SC_CYCLE, 0},
	{"wrong-namespace", SC_WRONG_NS, 0},
	{"odd-fault", SC_ODD_FAULT, 0},
	{"grow", SC_GROW, 0},
	{"shrink-total", SC_SHRINK_TOTAL, 0},
	{"bad-date", SC_BAD, BAD_DATE},
	{"bad-uuid", SC_BAD, BAD_UUID},
	{"bad-number", SC_BAD, BAD_NUMBER},
	{"bad-range", SC_BAD, BAD_RANGE},
	{"bad-utf8", SC_BAD, BAD_UTF8},
	{"bad-nul", SC_BAD, BAD_NUL},
	{"redirect-file", SC_REDIRECT_FILE, 0},
	{"redirect-host", SC_REDIRECT_HOST, 0},
	{"echo-auth", SC_ECHO_AUTH, 0},
	{"echo-html", SC_ECHO_HTML, 0},
	{"extra-docs", SC_EXTRA_DOCS, 0},
	{"xxe", SC_XXE, 0},
	{"xxe-param", SC_XXE_PARAM, 0},
	{"xxe-utf16", SC_XXE_UTF16, 0},
	{"laughs", SC_LAUGHS, 0},
	{"hasmore", SC_HASMORE, 0},
	{"total-only", SC_TOTAL_ONLY, 0},
	{"no-totals", SC_NO_TOTALS, 0},
	{"hasmore-short", SC_HASMORE_SHORT, 0},
	{NULL, SC_OK, 0}
};

/* retry-KIND-N[-TAG]: KIND is a status or one of these. */
static const struct
{
	const char *name;
	int			fail;
}			fail_kinds[] =
{
	{"reset", FAIL_RESET},
	{"cut", FAIL_CUT},
	{"hang", FAIL_HANG},
	{"internal", FAIL_INTERNAL},
	{"429date", FAIL_429_DATE},
	{"429long", FAIL_429_LONG},
	{NULL, 0}
};

/* Non-negative decimal of at most 6 digits in s[0..len); -1 if not one. */
static int
small_number(const char *s, size_t len)
{
	int			v = 0;
	size_t		k;

	if (len == 0 || len > 6)
		return -1;
	for (k = 0; k < len; k++)
	{
		if (s[k] < '0' || s[k] > '9')
			return -1;
		v = v * 10 + (s[k] - '0');
	}
	return v;
}

/* retry-KIND-N or retry-KIND-N-TAG */
static bool
retry_lookup(const char *name, size_t len, Scenario *sc)
{
	const char *kind = name + 6,
			   *end = name + len,
			   *dash,
			   *num;
	size_t		klen;
	int			k,
				n;

	if (len < 9 || memcmp(name, "retry-", 6) != 0)
		return false;
	dash = memchr(kind, '-', end - kind);
	if (dash == NULL)
		return false;
	klen = dash - kind;
	num = dash + 1;
	dash = memchr(num, '-', end - num);
	n = small_number(num, (dash ? dash : end) - num);
	if (n < 0)
		return false;
	sc->kind = SC_RETRY;
	sc->arg = n;
	for (k = 0; fail_kinds[k].name; k++)
	{
		if (strlen(fail_kinds[k].name) == klen &&
			memcmp(fail_kinds[k].name, kind, klen) == 0)
		{
			sc->arg2 = fail_kinds[k].fail;
			return true;
		}
	}
	if (klen == 3 && small_number(kind, 3) >= 200 && small_number(kind, 3) < 600)
	{
		sc->arg2 = small_number(kind, 3);
		return true;
	}
	return false;
}

static bool
scenario_lookup(const char *name, size_t len, Scenario *sc)
{
	int			k;

	sc->name = name;
	sc->name_len = (int) len;
	sc->arg2 = 0;
	if (retry_lookup(name, len, sc))
		return true;
	/* slow-N: N milliseconds, at most a minute */
	if (len > 5 && memcmp(name, "slow-", 5) == 0 &&
		small_number(name + 5, len - 5) >= 0 &&
		small_number(name + 5, len - 5) <= 60000)
	{
		sc->kind = SC_SLOW;
		sc->arg = small_number(name + 5, len - 5);
		return true;
	}
	for (k = 0; scenarios[k].name; k++)
	{
		if (strlen(scenarios[k].name) == len &&
			memcmp(scenarios[k].name, name, len) == 0)
		{
			sc->kind = scenarios[k].kind;
			sc->arg = scenarios[k].arg;
			return true;
		}
	}
	/* padded-N, padded-crlf-N: N at most 100000 */
	if (len > 7 && memcmp(name, "padded-", 7) == 0)
	{
		bool		crlf = len > 12 && memcmp(name + 7, "crlf-", 5) == 0;
		size_t		at = crlf ? 12 : 7;
		int			n = small_number(name + at, len - at);

		if (n >= 0 && n <= 100000)
		{
			sc->kind = SC_PADDED;
			sc->arg = n;
			sc->arg2 = crlf;
			return true;
		}
	}
	/* amplify-N: N thousand empty sub-messages, N at most 500000 */
	if (len > 8 && memcmp(name, "amplify-", 8) == 0 &&
		small_number(name + 8, len - 8) > 0 &&
		small_number(name + 8, len - 8) <= 500000)
	{
		sc->kind = SC_AMPLIFY;
		sc->arg = small_number(name + 8, len - 8);
		return true;
	}
	/* echo-KIND-N: N bytes of filler, N at most 1000 */
	if (len > 5 && memcmp(name, "echo-", 5) == 0)
	{
		for (k = 0; echo_kinds[k]; k++)
		{
			size_t		kl = strlen(echo_kinds[k]);

			if (len > 6 + kl && memcmp(name + 5, echo_kinds[k], kl) == 0 &&
				name[5 + kl] == '-' &&
				small_number(name + 6 + kl, len - 6 - kl) >= 0 &&
				small_number(name + 6 + kl, len - 6 - kl) <= 1000)
			{
				sc->kind = SC_ECHO_AT;
				sc->arg = small_number(name + 6 + kl, len - 6 - kl);
				sc->arg2 = k;
				return true;
			}
		}
	}
	/* status-NNN; no 1xx, which is not a final answer */
	if (len == 10 && memcmp(name, "status-", 7) == 0 &&
		name[7] >= '2' && name[7] <= '5' &&
		name[8] >= '0' && name[8] <= '9' &&
		name[9] >= '0' && name[9] <= '9')
	{
		sc->kind = SC_STATUS;
		sc->arg = (name[7] - '0') * 100 + (name[8] - '0') * 10 + (name[9] - '0');
		return true;
	}
	/* box-N: the generated box after its first N events */
	if (len > 4 && memcmp(name, "box-", 4) == 0 &&
		small_number(name + 4, len - 4) > 0 &&
		small_number(name + 4, len - 4) <= BOX_NEVENTS)
	{
		sc->kind = SC_BOX;
		sc->arg = small_number(name + 4, len - 4);
		return true;
	}
	/* latency-N, N in 1..10000 ms */
	if (len > 8 && len <= 13 && memcmp(name, "latency-", 8) == 0 && name[8] != '0')
	{
		int			ms = 0;
		size_t		k;

		for (k = 8; k < len; k++)
		{
			if (name[k] < '0' || name[k] > '9')
				return false;
			ms = ms * 10 + (name[k] - '0');
		}
		if (ms > 10000)
			return false;
		sc->kind = SC_LATENCY;
		sc->arg = ms;
		return true;
	}
	return false;
}


/* ---------------------------------------------------------------------
 * Replies
 * ---------------------------------------------------------------------
 */
/* How the answer goes out (see on_request). */
typedef enum Action
{
	ACT_NORMAL,
	ACT_RESET,					/* close the connection, no answer */
	ACT_HANG,					/* no answer until the client gives up */
	ACT_CUT,					/* full Content-Length, half the body, close */
	ACT_TRICKLE,				/* the body at one byte a second */
	ACT_STREAM,					/* an endless chunked body */
	ACT_HUGE					/* Content-Length 1 GiB */
} Action;

typedef struct Reply
{
	int			status;
	const char *content_type;
	Buf			body;
	bool		basic_challenge;	/* add WWW-Authenticate: Basic */
	Action		action;
	int			delay_ms;		/* wait before answering */
	char		location[1024];	/* Location header when not empty */
	char		retry_after[64];	/* Retry-After header when not empty */
} Reply;

static void
reply_text(Reply *r, int status, const char *fmt,...)
{
	va_list		ap;
	char		text[512];

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	r->status = status;
	r->content_type = CT_TEXT;
	r->body.len = 0;
	buf_puts(&r->body, text);
}

/* The "status-NNN" scenario's answer. */
static void
reply_status(Reply *r, int status)
{
	reply_text(r, status, "mock status %d", status);
}

/* "status=S" for the log; S is a word for answers without a status. */
static void
log_status(Buf *log, const Reply *r)
{
	if (r->action == ACT_RESET)
		buf_puts(log, "status=reset");
	else if (r->action == ACT_HANG)
		buf_puts(log, "status=hang");
	else if (r->action == ACT_CUT)
		buf_puts(log, "status=cut");
	else
		buf_printf(log, "status=%d", r->status);
}

/*
 * Counts requests per key (scenario, API, page): true for the first n
 * requests of a key.  /_control/reset forgets every count.
 */
typedef struct Counter
{
	struct Counter *next;
	int			count;
	char		key[];
} Counter;

static Counter *counters;

static bool
counter_below(const Scenario *sc, const char *api, const char *page, int n)
{
	Buf			key = {0};
	Counter    *c;
	int			seen;

	buf_printf(&key, "%.*s %s %s", sc->name_len, sc->name, api, page);
	pthread_mutex_lock(&state.lock);
	for (c = counters; c; c = c->next)
		if (strcmp(c->key, key.data) == 0)
			break;
	if (c == NULL)
	{
		c = xrealloc(NULL, sizeof(Counter) + key.len + 1);
		c->count = 0;
		memcpy(c->key, key.data, key.len + 1);
		c->next = counters;
		counters = c;
	}
	seen = c->count++;
	pthread_mutex_unlock(&state.lock);
	free(key.data);
	return seen < n;
}

static void
counters_reset(void)
{
	pthread_mutex_lock(&state.lock);
	while (counters)
	{
		Counter    *c = counters;

		counters = c->next;
		free(c);
	}
	pthread_mutex_unlock(&state.lock);
}

static void mercury_fault(Reply *r, FaultKind kind, const char *message);

/*
 * The misbehaviour of scenarios that work the same for both APIs, applied
 * to an answer that would have succeeded (r->status 200): retry-KIND-N
 * (the first N requests of every page fail), slow, hang, trickle, reset,
 * cut, stream, huge, redirect and html-200.  "page" identifies the page
 * for the retry counters.  True if the answer is no longer the page.
 */
static bool
misbehave(const Scenario *sc, bool mercury, const char *page, const char *self,
		  Reply *r)
{
	if (r->status != 200)
		return false;
	switch (sc->kind)
	{
		case SC_RETRY:
			if (!counter_below(sc, mercury ? "mercury" : "diadoc", page, sc->arg))
				return false;
			switch (sc->arg2)
			{
				case FAIL_RESET:
					r->action = ACT_RESET;
					break;
				case FAIL_HANG:
					r->action = ACT_HANG;
					break;
				case FAIL_CUT:
					r->action = ACT_CUT;
					break;
				case FAIL_INTERNAL:
					if (mercury)
						mercury_fault(r, FAULT_INTERNAL, "mock fault: internal (transient)");
					else
						reply_status(r, 500);
					break;
				case FAIL_429_DATE:
					{
						time_t		when = time(NULL) + 2;
						struct tm	tm;

						reply_text(r, 429, "mock: too many requests");
						gmtime_r(&when, &tm);
						strftime(r->retry_after, sizeof(r->retry_after),
								 "%a, %d %b %Y %H:%M:%S GMT", &tm);
					}
					break;
				case FAIL_429_LONG:
					reply_text(r, 429, "mock: too many requests");
					strcpy(r->retry_after, "3600");
					break;
				default:
					reply_status(r, sc->arg2);
					if (sc->arg2 == 429)
						strcpy(r->retry_after, "1");
					break;
			}
			return true;
		case SC_SLOW:
			r->delay_ms = sc->arg;
			return false;
		case SC_HANG:
			r->action = ACT_HANG;
			return true;
		case SC_TRICKLE:
			r->action = ACT_TRICKLE;
			return false;
		case SC_RESET:
			r->action = ACT_RESET;
			return true;
		case SC_CUT:
			r->action = ACT_CUT;
			return true;
		case SC_STREAM:
			r->action = ACT_STREAM;
			return true;
		case SC_HUGE:
			r->action = ACT_HUGE;
			return true;
		case SC_REDIRECT:
			reply_text(r, 302, "%s", "");
			snprintf(r->location, sizeof(r->location), "%s", self);
			return true;
		case SC_HTML:
			r->body.len = 0;
			r->content_type = "text/html; charset=utf-8";
			buf_puts(&r->body,
					 "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title>"
					 "<style>body { font-family: sans-serif; }</style></head>\n"
					 "<body><h1>Service temporarily unavailable</h1>\n"
					 "<p>The upstream server did not answer. Please try again later.</p>"
					 "<script>var retry = 1;</script></body></html>\n");
			return true;
		default:
			return false;
	}
}


/* ---------------------------------------------------------------------
 * Calendar arithmetic (proleptic Gregorian, days since 1970-01-01)
 * ---------------------------------------------------------------------
 */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t		era;
	int64_t		yoe,
				doy,
				doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t		era,
				doe,
				yoe,
				doy,
				mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
parse_digits(const char *s, int n)
{
	int			v = 0;
	int			k;

	for (k = 0; k < n; k++)
	{
		if (s[k] < '0' || s[k] > '9')
			return -1;
		v = v * 10 + (s[k] - '0');
	}
	return v;
}

/*
 * Parses an xs:dateTime "YYYY-MM-DDThh:mm:ss[.f…][Z|±hh:mm]" into
 * microseconds since the Unix epoch.  Without an offset the time is taken
 * as Moscow time, like the real service does.
 */
static bool
parse_datetime(const char *s, int64_t *usec)
{
	int			y = parse_digits(s, 4),
				mo,
				d,
				h,
				mi,
				sec,
				off = MSK_OFFSET;
	int64_t		frac = 0,
				scale = 100000;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	const char *p;

	if (strlen(s) < 19 || y < 0 || s[4] != '-' || s[7] != '-' ||
		s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return false;
	mo = parse_digits(s + 5, 2);
	d = parse_digits(s + 8, 2);
	h = parse_digits(s + 11, 2);
	mi = parse_digits(s + 14, 2);
	sec = parse_digits(s + 17, 2);
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h < 0 || h > 23 ||
		mi < 0 || mi > 59 || sec < 0 || sec > 59)
		return false;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return false;
	p = s + 19;
	if (*p == '.')
	{
		if (p[1] < '0' || p[1] > '9')
			return false;
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			frac += (*p - '0') * scale;
	}
	if (*p == 'Z')
	{
		off = 0;
		p++;
	}
	else if (*p == '+' || *p == '-')
	{
		int			oh = parse_digits(p + 1, 2),
					om = (p[1] && p[2] && p[3] == ':') ? parse_digits(p + 4, 2) : -1;

		if (oh < 0 || oh > 14 || om < 0 || om > 59)
			return false;
		off = (*p == '-' ? -1 : 1) * (oh * 3600 + om * 60);
		p += 6;
	}
	if (*p != '\0')
		return false;
	*usec = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) - off) *
		INT64_C(1000000) + frac;
	return true;
}


/* ---------------------------------------------------------------------
 * Diadoc
 * ---------------------------------------------------------------------
 */

/* Protobuf wire helpers for the parts protobuf-c cannot produce. */
static void
pb_varint(Buf *b, uint64_t v)
{
	uint8_t		tmp[10];
	int			n = 0;

	while (v > 0x7f)
	{
		tmp[n++] = (uint8_t) (v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (uint8_t) v;
	buf_append(b, tmp, n);
}

static void
pb_tag(Buf *b, uint32_t field, int wiretype)
{
	pb_varint(b, ((uint64_t) field << 3) | wiretype);
}

static void
pb_bytes(Buf *b, uint32_t field, const void *p, size_t n)
{
	pb_tag(b, field, 2);
	pb_varint(b, n);
	buf_append(b, p, n);
}

static void
pb_fixed(Buf *b, uint32_t field, uint64_t v, int size)
{
	uint8_t		tmp[8];
	int			k;

	pb_tag(b, field, size == 8 ? 1 : 5);
	for (k = 0; k < size; k++)
		tmp[k] = (uint8_t) (v >> (8 * k));
	buf_append(b, tmp, size);
}

/* Appends protobuf-c's encoding of m. */
static void
pb_message(Buf *b, const ProtobufCMessage *m)
{
	size_t		n = protobuf_c_message_get_packed_size(m);

	buf_reserve(b, n);
	b->len += protobuf_c_message_pack(m, (uint8_t *) b->data + b->len);
}

static void
index_key(uint8_t key[8], int64_t v)
{
	int			k;

	for (k = 0; k < 8; k++)
		key[k] = (uint8_t) ((uint64_t) v >> (56 - 8 * k));
}

/*
 * Number of documents in a packet: "pN" or "pN-anything" holds N (up to
 * --max-docs), anything else none.
 */
static int64_t
packet_size(const char *packet)
{
	int64_t		n = 0;
	const char *p = packet + 1;

	if (packet[0] != 'p' || *p < '0' || *p > '9')
		return 0;
	for (; *p >= '0' && *p <= '9'; p++)
	{
		n = n * 10 + (*p - '0');
		if (n > max_docs)
			return 0;
	}
	return (*p == '\0' || *p == '-') ? n : 0;
}

/* echo-utf8-N: the StatusText of this thread's current answer, or NULL. */
static __thread const char *echo_status_text;

/*
 * Document i of packet P, as PROTOCOL.md's table says.  Known fields are
 * packed by protobuf-c; each DocumentWithDocflow, DocumentInfo and Docflow
 * then gets fields the FDW's schema lacks (of every wire type), which its
 * decoder must skip.  "sub" is scratch space.  "bad" (a BadKind, or -1)
 * puts that kind of bad value into the document.
 */
static void
diadoc_document(Buf *out, Buf *sub, const char *P, int64_t i, int bad)
{
	static const int types[] = {0, 1, 12, 19, 35, 999};
	char		msgid[MAX_PACKET_ID + 32],
				entid[MAX_PACKET_ID + 32],
				evtid[MAX_PACKET_ID + 32],
				msg0[MAX_PACKET_ID + 32],
				ent0[MAX_PACKET_ID + 32],
				custom[48],
				cpbox[48],
				date[48],
				number[48],
				version[48],
				text[64],
				hint[48],
				opaque[48];
	int64_t		ticks = bad == BAD_RANGE ? INT64_MAX : TICKS_2024 + i * TICKS_MINUTE,
				year;
	int			month,
				day;
	Diadoc__Api__Proto__Docflow__DocumentWithDocflow head = DIADOC__API__PROTO__DOCFLOW__DOCUMENT_WITH_DOCFLOW__INIT;
	Diadoc__Api__Proto__Docflow__DocumentWithDocflow tail = DIADOC__API__PROTO__DOCFLOW__DOCUMENT_WITH_DOCFLOW__INIT;
	Diadoc__Api__Proto__DocumentId id = DIADOC__API__PROTO__DOCUMENT_ID__INIT;
	Diadoc__Api__Proto__DocumentId initial = DIADOC__API__PROTO__DOCUMENT_ID__INIT;
	Diadoc__Api__Proto__DocumentId *initials[1] = {&initial};
	Diadoc__Api__Proto__Timestamp last = DIADOC__API__PROTO__TIMESTAMP__INIT;
	Diadoc__Api__Proto__Timestamp sent = DIADOC__API__PROTO__TIMESTAMP__INIT;
	Diadoc__Api__Proto__Timestamp delivered = DIADOC__API__PROTO__TIMESTAMP__INIT;
	Diadoc__Api__Proto__Docflow__DocumentInfo info = DIADOC__API__PROTO__DOCFLOW__DOCUMENT_INFO__INIT;
	Diadoc__Api__Proto__Docflow__DocumentDateAndNumber dn = DIADOC__API__PROTO__DOCFLOW__DOCUMENT_DATE_AND_NUMBER__INIT;
	Diadoc__Api__Proto__Docflow__Docflow flow = DIADOC__API__PROTO__DOCFLOW__DOCFLOW__INIT;
	Diadoc__Api__Proto__Docflow__DocflowStatus status = DIADOC__API__PROTO__DOCFLOW__DOCFLOW_STATUS__INIT;
	Diadoc__Api__Proto__Docflow__DocflowStatusModel primary = DIADOC__API__PROTO__DOCFLOW__DOCFLOW_STATUS_MODEL__INIT;
	Buf			attachment = {0};

	/* fields 1-3 */
	snprintf(msgid, sizeof(msgid), "msg-%s-%" PRId64, P, i / 3);
	snprintf(entid, sizeof(entid), "ent-%s-%" PRId64, P, i);
	snprintf(evtid, sizeof(evtid), "evt-%s-%" PRId64, P, i);
	id.messageid = msgid;
	id.entityid = entid;
	last.ticks = ticks;
	last.has_ticks = true;
	head.documentid = &id;
	head.lasteventid = evtid;
	head.lasteventtimestamp = &last;
	pb_message(out, &head.base);

	/* field 4: DocumentInfo */
	info.has_documenttype = true;
	info.documenttype = types[i % 6];
	info.has_documentdirection = true;
	info.documentdirection = i % 4;
	info.has_istest = true;
	info.istest = i % 5 == 0;
	snprintf(custom, sizeof(custom), "custom-%" PRId64, i);
	info.customdocumentid = i % 4 == 3 ? NULL : custom;
	snprintf(cpbox, sizeof(cpbox), "box-cp-%d", (int) (i % 10));
	info.counteragentboxid = cpbox;
	civil_from_days(DAYS_2024 + i, &year, &month, &day);
	if (i % 13 == 12)
		snprintf(date, sizeof(date), "31.02.2024");
	else
		snprintf(date, sizeof(date), "%02d.%02d.%04" PRId64, day, month, year);
	if (bad == BAD_DATE)
		snprintf(date, sizeof(date), "99.99.2024");
	snprintf(number, sizeof(number), "N-%" PRId64, i);
	dn.documentdate = date;
	dn.documentnumber = number;
	/* protobuf-c packs C strings: a NUL byte needs packing by hand */
	info.documentdateandnumber = bad == BAD_NUL ? NULL : &dn;
	snprintf(version, sizeof(version), "v%d", (int) (1 + i % 3));
	info.version = version;
	sub->len = 0;
	pb_message(sub, &info.base);
	if (bad == BAD_NUL)
	{
		Buf			raw = {0};

		pb_bytes(&raw, 1, date, strlen(date));
		pb_bytes(&raw, 2, "N-\0hidden", 9);
		pb_bytes(sub, 8, raw.data, raw.len);
		free(raw.data);
	}
	snprintf(opaque, sizeof(opaque), "unknown info %" PRId64, i);
	pb_bytes(sub, 9, opaque, strlen(opaque));
	pb_fixed(sub, 1000, (uint64_t) i, 4);
	pb_bytes(out, 4, sub->data, sub->len);

	/* field 5: Docflow */
	flow.has_isfinished = true;
	flow.isfinished = i % 2 == 0;
	flow.departmentid = "00000000-0000-0000-0000-000000000000";
	flow.has_documentisdeleted = true;
	flow.documentisdeleted = i % 11 == 10;
	primary.has_severity = true;
	primary.severity = i % 5;
	snprintf(text, sizeof(text), bad == BAD_UTF8 ? "Статус \xff\xfe %" PRId64 : "Статус %" PRId64, i);
	snprintf(hint, sizeof(hint), "hint %" PRId64, i);
	primary.statustext = echo_status_text ? (char *) echo_status_text : text;
	primary.statushint = hint;
	status.primarystatus = &primary;
	flow.docflowstatus = &status;
	sent.ticks = TICKS_2024 + i * TICKS_MINUTE - 60 * TICKS_MINUTE;
	sent.has_ticks = true;
	flow.sendtimestamp = &sent;
	delivered.ticks = TICKS_2024 + i * TICKS_MINUTE - 30 * TICKS_MINUTE;
	delivered.has_ticks = true;
	flow.deliverytimestamp = i % 7 == 6 ? NULL : &delivered;
	flow.packetid = (char *) P;
	sub->len = 0;
	pb_message(sub, &flow.base);
	/* field 2 stands for the real SignedAttachment: a nested message */
	pb_bytes(&attachment, 1, "attachment content", 18);
	pb_bytes(&attachment, 2, "signature", 9);
	pb_tag(&attachment, 3, 0);
	pb_varint(&attachment, 1);
	pb_bytes(sub, 2, attachment.data, attachment.len);
	pb_tag(sub, 20, 0);
	pb_varint(sub, (uint64_t) i * 1000003 + 1);
	pb_bytes(out, 5, sub->data, sub->len);
	free(attachment.data);

	/* field 6, then unknown fields 9 (bytes) and 100 (fixed64) */
	if (i > 0)
	{
		snprintf(msg0, sizeof(msg0), "msg-%s-0", P);
		snprintf(ent0, sizeof(ent0), "ent-%s-0", P);
		initial.messageid = msg0;
		initial.entityid = ent0;
		tail.n_initialdocumentids = 1;
		tail.initialdocumentids = initials;
		pb_message(out, &tail.base);
	}
	snprintf(opaque, sizeof(opaque), "\x01\x02opaque %" PRId64, i);
	pb_bytes(out, 9, opaque, strlen(opaque));
	pb_fixed(out, 100, (uint64_t) i * 7, 8);
}

/*
 * Document i of packet P in the V3, V4 or V5 schema (version 3, 4, 5) for
 * the box the request names, as PROTOCOL.md's second table says.  Packed
 * by protobuf-c with our subset; each document, DocumentInfo and Docflow
 * then gets fields the subset does not declare (the SDK's TemplateInfo,
 * Confirmation, Revocation, AuthorSigning numbers among them), which the
 * decoder must skip.  "bad" as for diadoc_document.
 */
static void
diadoc_document_v3(Buf *out, Buf *sub, const char *P, int64_t i, int bad,
				   int version, const char *box)
{
	static const char *const typenames[] = {
		"Nonformalized", "Invoice", "UniversalTransferDocument",
		"XmlTorg12", "ReconciliationAct", "UniversalCorrectionDocument"
	};
	static const char *const severities[] = {"Unknown", "Info", "Success", "Warning", "Error"};
	char		msgid[MAX_PACKET_ID + 32],
				entid[MAX_PACKET_ID + 32],
				evtid[MAX_PACKET_ID + 32],
				custom[48],
				cpbox[48],
				date[48],
				number[48],
				fname[64],
				version_s[48],
				text[64],
				text2[64],
				opaque[48];
	int64_t		ticks = bad == BAD_RANGE ? INT64_MAX : TICKS_2024 + i * TICKS_MINUTE,
				year;
	int			month,
				day,
				dir = (int) (i % 4),
				n_meta = 0;
	const char *sender_box,
			   *recipient_box;
	Diadoc__Api__Proto__DocumentId id = DIADOC__API__PROTO__DOCUMENT_ID__INIT;
	Diadoc__Api__Proto__Timestamp last = DIADOC__API__PROTO__TIMESTAMP__INIT;
	Diadoc__Api__Proto__Timestamp sent = DIADOC__API__PROTO__TIMESTAMP__INIT;
	Diadoc__Api__Proto__Timestamp sent_old = DIADOC__API__PROTO__TIMESTAMP__INIT;
	Diadoc__Api__Proto__Timestamp delivered = DIADOC__API__PROTO__TIMESTAMP__INIT;
	Diadoc__Api__Proto__Docflow__LastEvent lastevent = DIADOC__API__PROTO__DOCFLOW__LAST_EVENT__INIT;
	Diadoc__Api__Proto__FullVersion fv = DIADOC__API__PROTO__FULL_VERSION__INIT;
	Diadoc__Api__Proto__Events__MetadataItem meta[4];
	Diadoc__Api__Proto__Events__MetadataItem *metap[4];
	Diadoc__Api__Proto__Docflow__DocumentLetterInfo letter = DIADOC__API__PROTO__DOCFLOW__DOCUMENT_LETTER_INFO__INIT;
	Diadoc__Api__Proto__Docflow__PacketInfo packet = DIADOC__API__PROTO__DOCFLOW__PACKET_INFO__INIT;
	Diadoc__Api__Proto__DocflowStatusModelV3 primary = DIADOC__API__PROTO__DOCFLOW_STATUS_MODEL_V3__INIT;
	Diadoc__Api__Proto__DocflowStatusModelV3 secondary = DIADOC__API__PROTO__DOCFLOW_STATUS_MODEL_V3__INIT;
	Diadoc__Api__Proto__DocflowStatusV3 status = DIADOC__API__PROTO__DOCFLOW_STATUS_V3__INIT;
	Diadoc__Api__Proto__Docflow__DocumentInfoV3 info3 = DIADOC__API__PROTO__DOCFLOW__DOCUMENT_INFO_V3__INIT;
	Diadoc__Api__Proto__Docflow__DocumentInfoV5 info5 = DIADOC__API__PROTO__DOCFLOW__DOCUMENT_INFO_V5__INIT;
	Diadoc__Api__Proto__Docflow__DocumentParticipants parts3 = DIADOC__API__PROTO__DOCFLOW__DOCUMENT_PARTICIPANTS__INIT;
	Diadoc__Api__Proto__Docflow__DocumentParticipant sender3 = DIADOC__API__PROTO__DOCFLOW__DOCUMENT_PARTICIPANT__INIT;
	Diadoc__Api__Proto__Docflow__DocumentParticipant recipient3 = DIADOC__API__PROTO__DOCFLOW__DOCUMENT_PARTICIPANT__INIT;
	Diadoc__Api__Proto__Documents__DocumentParticipantsV2 parts5 = DIADOC__API__PROTO__DOCUMENTS__DOCUMENT_PARTICIPANTS_V2__INIT;
	Diadoc__Api__Proto__Documents__DocumentParticipantV2 p5[3];
	Diadoc__Api__Proto__Documents__DocumentParticipantV2 *p5p[3];
	Diadoc__Api__Proto__Documents__DocumentParticipantFlags flags = DIADOC__API__PROTO__DOCUMENTS__DOCUMENT_PARTICIPANT_FLAGS__INIT;
	Diadoc__Api__Proto__Docflow__SenderTitleDocflow title3 = DIADOC__API__PROTO__DOCFLOW__SENDER_TITLE_DOCFLOW__INIT;
	Diadoc__Api__Proto__Docflow__DocflowV3 flow3 = DIADOC__API__PROTO__DOCFLOW__DOCFLOW_V3__INIT;
	Diadoc__Api__Proto__Docflow__DocflowV4 flow4 = DIADOC__API__PROTO__DOCFLOW__DOCFLOW_V4__INIT;
	Diadoc__Api__Proto__Docflow__DocflowV5 flow5 = DIADOC__API__PROTO__DOCFLOW__DOCFLOW_V5__INIT;
	Diadoc__Api__Proto__Docflow__TitleDocflow titles[3];
	Diadoc__Api__Proto__Docflow__TitleDocflow *titlesp[3];
	Diadoc__Api__Proto__Docflow__TitleVersionV5 tversion[3];
	Diadoc__Api__Proto__Docflow__TitleParticipantDocflow tpd[2];
	Diadoc__Api__Proto__Docflow__TitleParticipantDocflow *tpdp[2][1];
	Diadoc__Api__Proto__Docflow__TitleDeliveryDocflowV5 tdel[2];
	Diadoc__Api__Proto__Docflow__DeliveryDocflowV5 del[2];
	Diadoc__Api__Proto__Docflow__DocumentWithDocflowV3 head3 = DIADOC__API__PROTO__DOCFLOW__DOCUMENT_WITH_DOCFLOW_V3__INIT;
	int			n_parts = 0,
				n_titles = 0,
				k,
				recipient_idx = -1;

	/* DocumentId, LastEvent */
	snprintf(msgid, sizeof(msgid), "msg-%s-%" PRId64, P, i / 3);
	snprintf(entid, sizeof(entid), "ent-%s-%" PRId64, P, i);
	snprintf(evtid, sizeof(evtid), "evt-%s-%" PRId64, P, i);
	id.messageid = msgid;
	id.entityid = entid;
	last.ticks = ticks;
	last.has_ticks = true;
	lastevent.eventid = evtid;
	lastevent.timestamp = &last;
	/* fields 1 and 2 have the same numbers and types in V3, V4 and V5 */
	head3.documentid = &id;
	head3.lastevent = &lastevent;
	pb_message(out, &head3.base);

	/* the parties: the request's box and box-cp-<i mod 10>, by direction */
	snprintf(cpbox, sizeof(cpbox), "box-cp-%d", (int) (i % 10));
	switch (dir)
	{
		case 1:					/* Inbound */
			sender_box = cpbox;
			recipient_box = box;
			break;
		case 2:					/* Outbound */
			sender_box = box;
			recipient_box = cpbox;
			break;
		case 3:					/* Internal */
			sender_box = box;
			recipient_box = box;
			break;
		default:				/* Unknown: a sender only */
			sender_box = cpbox;
			recipient_box = NULL;
			break;
	}

	/* DocumentInfo fields common to V3 and V5 (filled into both) */
	fv.typenamedid = (char *) typenames[i % 6];
	fv.function = i % 6 == 2 ? "СЧФДОП" : "default";
	snprintf(version_s, sizeof(version_s), "utd_v%d", (int) (1 + i % 3));
	fv.version = version_s;
	civil_from_days(DAYS_2024 + i, &year, &month, &day);
	if (bad == BAD_DATE)
		snprintf(date, sizeof(date), "2024-13-45");
	else if (i % 13 == 12)
		snprintf(date, sizeof(date), "31.02.2024");
	else if (i % 2 == 1)
		snprintf(date, sizeof(date), "%04" PRId64 "-%02d-%02d", year, month, day);
	else
		snprintf(date, sizeof(date), "%02d.%02d.%04" PRId64, day, month, year);
	snprintf(number, sizeof(number), "N-%" PRId64, i);
	snprintf(fname, sizeof(fname), "doc-%" PRId64 ".xml", i);
	for (k = 0; k < 4; k++)
	{
		Diadoc__Api__Proto__Events__MetadataItem init = DIADOC__API__PROTO__EVENTS__METADATA_ITEM__INIT;

		meta[k] = init;
		metap[k] = &meta[k];
	}
	meta[n_meta].key = "DocumentNumber";
	meta[n_meta++].value = number;
	meta[n_meta].key = "DocumentDate";
	meta[n_meta++].value = date;
	if (i % 3 != 2)
	{
		meta[n_meta].key = "FileName";
		meta[n_meta++].value = fname;
	}
	if (i % 9 == 8)
	{
		/* a repeated key: the first value counts */
		meta[n_meta].key = "DocumentNumber";
		meta[n_meta++].value = "second";
	}
	letter.has_isencrypted = true;
	letter.isencrypted = false;
	letter.has_istest = true;
	letter.istest = i % 5 == 0;
	packet.has_lockmode = true;
	packet.lockmode = DIADOC__API__PROTO__LOCK_MODE__None;
	packet.packetid = (char *) P;
	snprintf(custom, sizeof(custom), "custom-%" PRId64, i);

#define COMMON_INFO(inf) \
	do { \
		(inf).fullversion = &fv; \
		(inf).has_messagetype = true; \
		(inf).messagetype = i % 5 == 4 ? DIADOC__API__PROTO__DOCUMENTS__MESSAGE_TYPE__Draft : \
			DIADOC__API__PROTO__DOCUMENTS__MESSAGE_TYPE__Letter; \
		(inf).has_workflowid = true; \
		(inf).workflowid = 1; \
		(inf).has_documentdirection = true; \
		(inf).documentdirection = dir; \
		(inf).departmentid = "00000000-0000-0000-0000-000000000000"; \
		(inf).customdocumentid = i % 4 == 3 ? NULL : custom; \
		(inf).n_metadata = n_meta; \
		(inf).metadata = metap; \
		(inf).has_isread = true; \
		(inf).isread = i % 3 == 0; \
		(inf).has_isdeleted = true; \
		(inf).isdeleted = i % 11 == 10; \
		(inf).has_isinvitation = true; \
		(inf).isinvitation = false; \
		(inf).letterinfo = i % 5 == 4 ? NULL : &letter; \
		(inf).packetinfo = &packet; \
	} while (0)

	/* V5 participants: [Proxy when i mod 6 == 5,] Sender[, Recipient] */
	flags.has_isroaming = true;
	flags.isroaming = false;
	for (k = 0; k < 3; k++)
	{
		Diadoc__Api__Proto__Documents__DocumentParticipantV2 init = DIADOC__API__PROTO__DOCUMENTS__DOCUMENT_PARTICIPANT_V2__INIT;

		p5[k] = init;
		p5p[k] = &p5[k];
		p5[k].flags = &flags;
		p5[k].has_type = true;
		p5[k].has_iscurrentbox = true;
	}
	if (i % 6 == 5)
	{
		p5[n_parts].boxid = "box-proxy";
		p5[n_parts].role = "Proxy";
		p5[n_parts].type = DIADOC__API__PROTO__WORKFLOWS__PARTICIPANT_TYPE__PARTICIPANT_TYPE__Proxy;
		p5[n_parts++].iscurrentbox = false;
	}
	p5[n_parts].boxid = (char *) sender_box;
	p5[n_parts].role = "Sender";
	p5[n_parts].type = DIADOC__API__PROTO__WORKFLOWS__PARTICIPANT_TYPE__PARTICIPANT_TYPE__Sender;
	p5[n_parts++].iscurrentbox = strcmp(sender_box, box) == 0;
	if (recipient_box)
	{
		recipient_idx = n_parts;
		p5[n_parts].boxid = (char *) recipient_box;
		p5[n_parts].role = "Recipient";
		p5[n_parts].type = DIADOC__API__PROTO__WORKFLOWS__PARTICIPANT_TYPE__PARTICIPANT_TYPE__Recipient;
		/* Internal: the department of the same box is the recipient */
		p5[n_parts++].iscurrentbox = strcmp(recipient_box, box) == 0;
	}

	sub->len = 0;
	if (version == 5)
	{
		COMMON_INFO(info5);
		parts5.n_participants = n_parts;
		parts5.participants = p5p;
		info5.participants = &parts5;
		pb_message(sub, &info5.base);
	}
	else
	{
		COMMON_INFO(info3);
		sender3.boxid = (char *) sender_box;
		sender3.has_isroaming = true;
		sender3.isroaming = false;
		parts3.sender = &sender3;
		if (recipient_box)
		{
			recipient3.boxid = (char *) recipient_box;
			recipient3.has_isroaming = true;
			recipient3.isroaming = false;
			parts3.recipient = &recipient3;
		}
		parts3.has_isinternal = true;
		parts3.isinternal = dir == 3;
		info3.participants = &parts3;
		pb_message(sub, &info3.base);
	}
#undef COMMON_INFO
	/* the SDK's TemplateInfo (17, a message) and a fixed32 nobody declares */
	pb_bytes(sub, 17, "\x12\x03" "tpl", 5);
	pb_fixed(sub, 1000, (uint64_t) i, 4);
	pb_bytes(out, 3, sub->data, sub->len);

	/* Docflow */
	primary.severity = (char *) severities[i % 5];
	snprintf(text, sizeof(text), bad == BAD_UTF8 ? "Статус \xff\xfe %" PRId64 : "Статус %" PRId64, i);
	primary.statustext = text;
	status.primarystatus = &primary;
	if (i % 2 == 0)
	{
		snprintf(text2, sizeof(text2), "Подписан %" PRId64, i);
		secondary.statustext = text2;
		status.secondarystatus = &secondary;
	}
	sent.ticks = TICKS_2024 + i * TICKS_MINUTE - 60 * TICKS_MINUTE;
	sent.has_ticks = true;
	delivered.ticks = TICKS_2024 + i * TICKS_MINUTE - 30 * TICKS_MINUTE;
	delivered.has_ticks = true;
	sent_old.ticks = TICKS_2024 + i * TICKS_MINUTE - 120 * TICKS_MINUTE;
	sent_old.has_ticks = true;
	sub->len = 0;
	if (version == 5)
	{
		/*
		 * Titles: for i mod 8 == 7 first a Historical title 0 sent two
		 * hours earlier (must not count), then the Current title 0 with
		 * the recipient's delivery, then for even i a title 1 sent later.
		 */
		for (k = 0; k < 3; k++)
		{
			Diadoc__Api__Proto__Docflow__TitleDocflow tinit = DIADOC__API__PROTO__DOCFLOW__TITLE_DOCFLOW__INIT;
			Diadoc__Api__Proto__Docflow__TitleVersionV5 vinit = DIADOC__API__PROTO__DOCFLOW__TITLE_VERSION_V5__INIT;

			titles[k] = tinit;
			titlesp[k] = &titles[k];
			tversion[k] = vinit;
			tversion[k].entityid = entid;
			tversion[k].has_revision = true;
			tversion[k].has_status = true;
		}
		for (k = 0; k < 2; k++)
		{
			Diadoc__Api__Proto__Docflow__TitleParticipantDocflow pinit = DIADOC__API__PROTO__DOCFLOW__TITLE_PARTICIPANT_DOCFLOW__INIT;
			Diadoc__Api__Proto__Docflow__TitleDeliveryDocflowV5 dinit = DIADOC__API__PROTO__DOCFLOW__TITLE_DELIVERY_DOCFLOW_V5__INIT;
			Diadoc__Api__Proto__Docflow__DeliveryDocflowV5 init = DIADOC__API__PROTO__DOCFLOW__DELIVERY_DOCFLOW_V5__INIT;

			tpd[k] = pinit;
			tpdp[k][0] = &tpd[k];
			tdel[k] = dinit;
			del[k] = init;
			tdel[k].delivery = &del[k];
			tpd[k].titledelivery = &tdel[k];
			tpd[k].participant = recipient_idx >= 0 ? &p5[recipient_idx] : NULL;
			del[k].has_status = true;
			del[k].status = DIADOC__API__PROTO__DOCFLOW__DELIVERY_STATUS_V5__DeliveryStatusDelivered;
		}
		if (i % 8 == 7)
		{
			titles[n_titles].has_titleindex = true;
			titles[n_titles].titleindex = 0;
			tversion[n_titles].status = DIADOC__API__PROTO__DOCFLOW__TITLE_VERSION_STATUS_V5__TitleVersionStatusHistorical;
			tversion[n_titles].revision = 1;
			titles[n_titles].version = &tversion[n_titles];
			titles[n_titles].author = &p5[i % 6 == 5 ? 1 : 0];
			del[1].sentat = &sent_old;
			del[1].deliveredat = &sent_old;
			if (recipient_idx >= 0)
			{
				titles[n_titles].n_participantdocflows = 1;
				titles[n_titles].participantdocflows = tpdp[1];
			}
			n_titles++;
		}
		titles[n_titles].has_titleindex = true;
		titles[n_titles].titleindex = 0;
		tversion[n_titles].status = DIADOC__API__PROTO__DOCFLOW__TITLE_VERSION_STATUS_V5__TitleVersionStatusCurrent;
		tversion[n_titles].revision = i % 8 == 7 ? 2 : 1;
		titles[n_titles].version = &tversion[n_titles];
		titles[n_titles].author = &p5[i % 6 == 5 ? 1 : 0];
		del[0].sentat = &sent;
		del[0].deliveredat = i % 7 == 6 ? NULL : &delivered;
		if (recipient_idx >= 0)
		{
			titles[n_titles].n_participantdocflows = 1;
			titles[n_titles].participantdocflows = tpdp[0];
		}
		n_titles++;
		if (i % 2 == 0)
		{
			/* a buyer's title: later than title 0, never the answer */
			titles[n_titles].has_titleindex = true;
			titles[n_titles].titleindex = 1;
			titles[n_titles].author = recipient_idx >= 0 ? &p5[recipient_idx] : NULL;
			n_titles++;
		}
		flow5.n_titles = n_titles;
		flow5.titles = titlesp;
		flow5.docflowstatus = &status;
		pb_message(sub, &flow5.base);
		/* the SDK's Revocation (3): a message we do not declare */
		pb_bytes(sub, 3, "\x08\x01", 2);
	}
	else
	{
		title3.has_isfinished = true;
		title3.isfinished = i % 2 == 0;
		title3.sentat = &sent;
		title3.deliveredat = i % 7 == 6 ? NULL : &delivered;
		if (version == 3)
		{
			flow3.sendertitle = &title3;
			flow3.docflowstatus = &status;
			pb_message(sub, &flow3.base);
		}
		else
		{
			flow4.sendertitle = &title3;
			flow4.docflowstatus = &status;
			pb_message(sub, &flow4.base);
		}
		/* the SDK's Confirmation (2): a message we do not declare */
		pb_bytes(sub, 2, "\x08\x01", 2);
	}
	pb_tag(sub, 20, 0);
	pb_varint(sub, (uint64_t) i * 1000003 + 1);
	pb_bytes(out, 4, sub->data, sub->len);

	/* unknown fields 9 (bytes) and 100 (fixed64) of the document */
	snprintf(opaque, sizeof(opaque), "\x01\x02opaque %" PRId64, i);
	pb_bytes(out, 9, opaque, strlen(opaque));
	pb_fixed(out, 100, (uint64_t) i * 7, 8);
}

/*
 * Reads "DiadocAuth ddauth_api_client_id=test-client[,ddauth_token=T]".
 * False when the header is missing, malformed or names another client;
 * else token receives T ("" when absent).
 */
static bool
diadoc_auth(struct MHD_Connection *conn, char *token, size_t toksize)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
												MHD_HTTP_HEADER_AUTHORIZATION);
	bool		client_ok = false;

	token[0] = '\0';
	/* OpenID Connect: exactly "Bearer TOKEN", no ddauth parameters */
	if (h != NULL && strncmp(h, "Bearer ", 7) == 0)
	{
		h += 7;
		if (h[0] == '\0' || strpbrk(h, " ,\t") != NULL ||
			strlen(h) + 7 >= toksize)
			return false;
		snprintf(token, toksize, "Bearer:%s", h);
		return true;
	}
	if (h == NULL || strncasecmp(h, "DiadocAuth ", 11) != 0)
		return false;
	h += 11;
	while (*h)
	{
		const char *eq,
				   *end;
		size_t		klen,
					vlen;

		while (*h == ' ' || *h == ',')
			h++;
		if (*h == '\0')
			break;
		eq = strchr(h, '=');
		if (eq == NULL)
			return false;
		end = strchr(eq, ',');
		if (end == NULL)
			end = eq + strlen(eq);
		klen = eq - h;
		vlen = end - eq - 1;
		while (vlen > 0 && eq[vlen] == ' ')
			vlen--;
		if (klen == 20 && strncmp(h, "ddauth_api_client_id", 20) == 0)
			client_ok = vlen == 11 && strncmp(eq + 1, "test-client", 11) == 0;
		else if (klen == 12 && strncmp(h, "ddauth_token", 12) == 0)
		{
			if (vlen >= toksize)
				return false;
			memcpy(token, eq + 1, vlen);
			token[vlen] = '\0';
		}
		h = end;
	}
	return client_ok;
}

/* Response message of GetDocflowsByPacketId in API version 0 (legacy), 2-5. */
static const ProtobufCMessageDescriptor *
diadoc_response_descriptor(int version)
{
	switch (version)
	{
		case 3:
			return &diadoc__api__proto__docflow__get_docflows_by_packet_id_response_v3__descriptor;
		case 4:
			return &diadoc__api__proto__docflow__get_docflows_by_packet_id_response_v4__descriptor;
		case 5:
			return &diadoc__api__proto__docflow__get_docflows_by_packet_id_response_v5__descriptor;
		default:
			return &diadoc__api__proto__docflow__get_docflows_by_packet_id_response__descriptor;
	}
}

/*
 * The answer of the "fixture" scenario: DIR/<PacketId>.bin as it is, in
 * whatever version the file was encoded; decoded with the schema of the
 * version asked for, for the log only.
 */
static void
diadoc_fixture(const char *packet, int version, Reply *r, int *docs, Buf *next)
{
	char		path[4096];
	FILE	   *f;
	char		chunk[65536];
	size_t		n;
	Diadoc__Api__Proto__Docflow__GetDocflowsByPacketIdResponse *resp;

	/* a packet id must not lead out of the directory */
	if (fixture_dir == NULL || packet[0] == '.' || strchr(packet, '/') != NULL ||
		snprintf(path, sizeof(path), "%s/%s.bin", fixture_dir, packet) >= (int) sizeof(path) ||
		(f = fopen(path, "rb")) == NULL)
	{
		reply_text(r, 404, "mock: no fixture for packet %s", packet);
		return;
	}
	r->status = 200;
	r->content_type = CT_PROTO;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&r->body, chunk, n);
	fclose(f);

	/* for the log only; a fixture may well be malformed on purpose */
	/*
	 * The response types of all versions are generated with the same
	 * layout (Documents, then NextPageIndexKey): read any through the
	 * legacy struct.
	 */
	resp = (Diadoc__Api__Proto__Docflow__GetDocflowsByPacketIdResponse *)
		protobuf_c_message_unpack(diadoc_response_descriptor(version), NULL,
								  r->body.len, (uint8_t *) r->body.data);
	if (resp)
	{
		*docs = (int) resp->n_documents;
		if (resp->has_nextpageindexkey)
			buf_hex(next, resp->nextpageindexkey.data, resp->nextpageindexkey.len);
		protobuf_c_message_free_unpacked(&resp->base, NULL);
	}
	else
		*docs = -1;
}

/*
 * One page of a generated packet, for a request already checked; 400 when
 * AfterIndexKey is not a key of the packet.
 *
 * Keys are 8 bytes, big-endian i+1 of the page's last document.  The
 * empty-pages scenario answers an 8-byte key with an empty page whose key
 * is the same plus a marker byte, so that it differs from the previous
 * key, and serves the real next page for that 9-byte key.
 */
static void
diadoc_page(const Diadoc__Api__Proto__Docflow__GetDocflowsByPacketIdRequest *req,
			int version, const char *box, const Scenario *sc, Reply *r,
			int *docs, Buf *next)
{
	const ProtobufCBinaryData *after = req->has_afterindexkey ? &req->afterindexkey : NULL;
	int64_t		ndocs = packet_size(req->packetid),
				start = 0,
				n,
				k;
	bool		marked = false;
	uint8_t		key[9];
	Buf			doc = {0},
				sub = {0},
				fetched = {0};
	Diadoc__Api__Proto__Docflow__GetDocflowsByPacketIdResponse resp =
		DIADOC__API__PROTO__DOCFLOW__GET_DOCFLOWS_BY_PACKET_ID_RESPONSE__INIT;

	if (after)
	{
		marked = sc->kind == SC_EMPTY_PAGES && after->len == 9 && after->data[8] == 0xee;
		if (after->len == 8 || marked)
			for (k = 0; k < 8; k++)
				start = (start << 8) | after->data[k];
		if ((after->len != 8 && !marked) || start < 1 || start > ndocs)
		{
			reply_text(r, 400, "mock: AfterIndexKey is not a key of packet %s", req->packetid);
			return;
		}
	}

	if (sc->kind == SC_EMPTY_PAGES && after && !marked)
		n = 0;
	else if (sc->kind == SC_SHORT_PAGES)
		n = req->count / 2 > 0 ? req->count / 2 : 1;
	else
		n = req->count;
	if (n > ndocs - start)
		n = ndocs - start;

	/* Documents: FetchedDocument { Document = 1; IndexKey = 2; } */
	r->status = 200;
	r->content_type = CT_PROTO;
	for (k = start; k < start + n; k++)
	{
		doc.len = 0;
		fetched.len = 0;
		if (version >= 3)
			diadoc_document_v3(&doc, &sub, req->packetid, k,
							   sc->kind == SC_BAD && k == ndocs - 1 ? sc->arg : -1,
							   version, box);
		else
			diadoc_document(&doc, &sub, req->packetid, k,
							sc->kind == SC_BAD && k == ndocs - 1 ? sc->arg : -1);
		index_key(key, k + 1);
		pb_bytes(&fetched, 1, doc.data, doc.len);
		/* missing-required: the page's last document has no IndexKey */
		if (!(sc->kind == SC_MISSING_REQUIRED && k == start + n - 1))
			pb_bytes(&fetched, 2, key, 8);
		pb_bytes(&r->body, 1, fetched.data, fetched.len);
	}
	free(doc.data);
	free(sub.data);
	free(fetched.data);
	*docs = (int) n;

	/* NextPageIndexKey */
	if (sc->kind == SC_LOOP && after)
	{
		/* hand back the key we were given: the client must notice */
		resp.has_nextpageindexkey = true;
		resp.nextpageindexkey = *after;
	}
	else if (sc->kind == SC_CYCLE && start >= 2 * req->count && start + n < ndocs)
	{
		/* from the third page on, back to the key of the second page */
		index_key(key, req->count);
		resp.has_nextpageindexkey = true;
		resp.nextpageindexkey.data = key;
		resp.nextpageindexkey.len = 8;
	}
	else if (sc->kind == SC_EMPTY_PAGES && after && !marked && start < ndocs)
	{
		index_key(key, start);
		key[8] = 0xee;
		resp.has_nextpageindexkey = true;
		resp.nextpageindexkey.data = key;
		resp.nextpageindexkey.len = 9;
	}
	else if (start + n < ndocs)
	{
		index_key(key, start + n);
		resp.has_nextpageindexkey = true;
		resp.nextpageindexkey.data = key;
		resp.nextpageindexkey.len = 8;
	}
	if (resp.has_nextpageindexkey)
	{
		if (sc->kind == SC_WRONG_WIRE_TYPE)
		{
			/* NextPageIndexKey (bytes) as a varint */
			pb_tag(&r->body, 2, 0);
			pb_varint(&r->body, 12345);
		}
		else
			pb_message(&r->body, &resp.base);
		buf_hex(next, resp.nextpageindexkey.data, resp.nextpageindexkey.len);
	}
}

/*
 * Bodies that are not what the client asked for, made from a good page:
 * truncated, another message, a huge length prefix.  (missing-required,
 * wrong-wire-type and cycle are made by diadoc_page.)
 */
static void
diadoc_hostile(const Diadoc__Api__Proto__Docflow__GetDocflowsByPacketIdRequest *req,
			   const Scenario *sc, Reply *r)
{
	switch (sc->kind)
	{
		case SC_TRUNCATED:
			r->body.len /= 2;
			break;
		case SC_OTHER_MESSAGE:
			/* the request itself: a valid protobuf of another type */
			r->body.len = 0;
			pb_message(&r->body, &req->base);
			break;
		case SC_EXTRA_DOCS:
			{
				/* the page twice over: its repeated Documents add up */
				size_t		n = r->body.len;

				buf_reserve(&r->body, n);
				buf_append(&r->body, r->body.data, n);
			}
			break;
		case SC_AMPLIFY:
			{
				/*
				 * One FetchedDocument whose DocumentWithDocflow holds
				 * arg * 1000 empty ForwardDocumentEvents (field 8, two
				 * bytes each on the wire, a struct each decoded).
				 */
				size_t		nev = (size_t) sc->arg * 1000;
				Buf			doc = {0};
				Buf			fetched = {0};
				size_t		k;

				buf_reserve(&doc, nev * 2);
				for (k = 0; k < nev; k++)
					buf_append(&doc, "\x42\x00", 2);
				pb_bytes(&fetched, 1, doc.data, doc.len);
				pb_bytes(&fetched, 2, "\0\0\0\0\0\0\0\1", 8);
				r->body.len = 0;
				pb_bytes(&r->body, 1, fetched.data, fetched.len);
				free(doc.data);
				free(fetched.data);
			}
			break;
		case SC_HUGE_LENGTH:
			/* a Documents entry claiming 64 GiB, then a few bytes */
			pb_tag(&r->body, 1, 2);
			pb_varint(&r->body, UINT64_C(1) << 36);
			buf_puts(&r->body, "not that much");
			break;
		default:
			break;
	}
}

/*
 * API version of a GetDocflowsByPacketId path: 0 for the unversioned
 * (legacy) one, 2-5 for /Vn/, -1 for anything else.
 */
static int
diadoc_docflows_version(const char *op)
{
	if (strcmp(op, "/GetDocflowsByPacketId") == 0)
		return 0;
	if (strlen(op) == 25 && strncmp(op, "/V", 2) == 0 && op[2] >= '2' &&
		op[2] <= '5' && strcmp(op + 3, "/GetDocflowsByPacketId") == 0)
		return op[2] - '0';
	return -1;
}

/*
 * POST …[/Vn]/GetDocflowsByPacketId?boxId=BOX.  The log names the path
 * without the scenario ("GetDocflowsByPacketId", "V5/GetDocflowsByPacketId").
 */
static void
diadoc_docflows(struct MHD_Connection *conn, const char *method,
				const Scenario *sc, const char *op, const Buf *body, Reply *r,
				Buf *log)
{
	int			version = diadoc_docflows_version(op);
	const char *opname = op + 1;
	Diadoc__Api__Proto__Docflow__GetDocflowsByPacketIdRequest *req;
	const char *box = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "boxId");
	char		token[256];
	int			docs = 0;
	Buf			next = {0};

	req = diadoc__api__proto__docflow__get_docflows_by_packet_id_request__unpack(NULL, body->len,
																		(const uint8_t *) body->data);
	if (sc->kind == SC_STATUS)
		reply_status(r, sc->arg);
	else if (strcmp(method, "POST") != 0)
		reply_text(r, 405, "mock: GetDocflowsByPacketId needs POST");
	else if (!diadoc_auth(conn, token, sizeof(token)) || !token_valid(token))
		reply_text(r, 401, "mock: missing or invalid DiadocAuth credentials");
	else if (!box_allowed(box))
		reply_text(r, 403, "mock: box %s is not allowed for this token", box ? box : "(none)");
	else if (req == NULL)
		reply_text(r, 400, "mock: body is not a GetDocflowsByPacketIdRequest");
	else if (req->count < 1 || req->count > 100)
		reply_text(r, 400, "mock: Count must be between 1 and 100");
	else if (strlen(req->packetid) > MAX_PACKET_ID)
		reply_text(r, 400, "mock: PacketId longer than %d bytes", MAX_PACKET_ID);
	else if (sc->kind == SC_FIXTURE)
		diadoc_fixture(req->packetid, version, r, &docs, &next);
	else if (sc->kind == SC_GARBAGE)
	{
		/* field 1, length 100, but the body ends long before */
		static const char garbage[] = "\x0a\x64mock garbage";

		r->status = 200;
		r->content_type = CT_PROTO;
		buf_append(&r->body, garbage, sizeof(garbage) - 1);
	}
	else
	{
		Buf			page = {0};
		char		self[200];
		const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");

		diadoc_page(req, version, box, sc, r, &docs, &next);
		if (r->status == 200)
			diadoc_hostile(req, sc, r);
		buf_puts(&page, req->packetid);
		buf_puts(&page, " ");
		if (req->has_afterindexkey)
			buf_hex(&page, req->afterindexkey.data, req->afterindexkey.len);
		snprintf(self, sizeof(self), "http://%.60s/diadoc/ok%s?boxId=%.60s",
				 host ? host : "127.0.0.1", op, box);
		if (misbehave(sc, false, page.data ? page.data : "", self, r))
		{
			docs = 0;
			next.len = 0;
		}
		free(page.data);
	}

	if (req)
	{
		buf_printf(log, "diadoc %s box=", opname);
		buf_word(log, box);
		buf_puts(log, " packet=");
		buf_word(log, req->packetid);
		buf_printf(log, " count=%d after=", (int) req->count);
		if (req->has_afterindexkey)
			buf_hex(log, req->afterindexkey.data, req->afterindexkey.len);
		else
			buf_puts(log, "-");
		buf_puts(log, " ");
		log_status(log, r);
		if (docs >= 0)
			buf_printf(log, " docs=%d next=%s", docs, next.len ? next.data : "-");
		else
			buf_puts(log, " docs=- next=-");
		diadoc__api__proto__docflow__get_docflows_by_packet_id_request__free_unpacked(req, NULL);
	}
	else
		buf_printf(log, "diadoc %s status=%d error=%s", opname, r->status,
				   r->status == 405 ? "method-not-allowed" : "bad-protobuf");
	free(next.data);
}

/*
 * POST …/V5/GetDocflowEvents?boxId=BOX: the generated box's event feed
 * (mock_box.c), after the same checks as the packets.
 */
static void
diadoc_events(struct MHD_Connection *conn, const char *method,
			  const Scenario *sc, const Buf *body, Reply *r, Buf *log)
{
	const char *box = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "boxId");
	char		token[256];
	char		line[1024] = "";
	BoxReply	br;

	buf_puts(log, "diadoc V5/GetDocflowEvents box=");
	buf_word(log, box);
	if (sc->kind == SC_STATUS)
		reply_status(r, sc->arg);
	else if (strcmp(method, "POST") != 0)
		reply_text(r, 405, "mock: GetDocflowEvents needs POST");
	else if (!diadoc_auth(conn, token, sizeof(token)) || !token_valid(token))
		reply_text(r, 401, "mock: missing or invalid DiadocAuth credentials");
	else if (!box_allowed(box))
		reply_text(r, 403, "mock: box %s is not allowed for this token", box ? box : "(none)");
	else
	{
		box_events_answer((const uint8_t *) (body->data ? body->data : ""), body->len,
						  box, sc->kind == SC_BOX ? sc->arg : BOX_NEVENTS,
						  sc->kind == SC_MISSING_REQUIRED ? BOX_BAD_NO_KEY :
						  sc->kind == SC_NO_DOCUMENT ? BOX_BAD_NO_DOCUMENT :
						  sc->kind == SC_UNSORTED ? BOX_BAD_UNSORTED : BOX_BAD_NONE,
						  &br, line, sizeof(line));
		r->status = br.status;
		r->content_type = br.text ? CT_TEXT : CT_PROTO;
		r->body.len = 0;
		buf_append(&r->body, br.body, br.len);
		free(br.body);
		buf_printf(log, " %s", line);
		return;
	}
	buf_puts(log, " ");
	log_status(log, r);
}

/*
 * POST …/V5/SearchDocflows and …/V5/GetDocflows?boxId=BOX: over the
 * generated box (mock_search.c), after the same checks as the packets.
 */
static void
diadoc_search(struct MHD_Connection *conn, const char *method,
			  const Scenario *sc, const char *op, const Buf *body, Reply *r,
			  Buf *log)
{
	const char *box = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "boxId");
	bool		search = strcmp(op, "/V5/SearchDocflows") == 0;
	char		token[256];
	char		line[1024] = "";
	BoxReply	br;

	buf_printf(log, "diadoc %s box=", op + 1);
	buf_word(log, box);
	if (sc->kind == SC_STATUS)
		reply_status(r, sc->arg);
	else if (strcmp(method, "POST") != 0)
		reply_text(r, 405, "mock: %s needs POST", op + 4);
	else if (!diadoc_auth(conn, token, sizeof(token)) || !token_valid(token))
		reply_text(r, 401, "mock: missing or invalid DiadocAuth credentials");
	else if (!box_allowed(box))
		reply_text(r, 403, "mock: box %s is not allowed for this token", box ? box : "(none)");
	else if (sc->kind == SC_GARBAGE)
	{
		/* field 1, length 100, but the body ends long before */
		r->status = 200;
		r->content_type = CT_PROTO;
		buf_puts(&r->body, "\x0a\x64mock garbage");
	}
	else
	{
		SearchBad	bad = sc->kind == SC_EMPTY_PAGES ? SEARCH_BAD_EMPTY_MORE :
			sc->kind == SC_GROW ? SEARCH_BAD_GROW :
			sc->kind == SC_MISSING_REQUIRED ? SEARCH_BAD_MISSING :
			sc->kind == SC_EXTRA_DOCS ? SEARCH_BAD_EXTRA :
			sc->kind == SC_LOOP ? SEARCH_BAD_TWICE : SEARCH_BAD_NONE;

		(search ? search_docflows_answer : get_docflows_answer)
			((const uint8_t *) (body->data ? body->data : ""), body->len, box,
			 sc->kind == SC_BOX ? sc->arg : BOX_NEVENTS, bad, &br, line,
			 sizeof(line));
		r->status = br.status;
		r->content_type = br.text ? CT_TEXT : CT_PROTO;
		r->body.len = 0;
		buf_append(&r->body, br.body, br.len);
		free(br.body);
		buf_printf(log, " %s", line);
		return;
	}
	buf_puts(log, " ");
	log_status(log, r);
}

/* POST …/V3/Authenticate?type=password with a LoginPassword body. */
static void
diadoc_authenticate(struct MHD_Connection *conn, const char *method,
					const Scenario *sc, const Buf *body, Reply *r, Buf *log)
{
	Diadoc__Api__Proto__LoginPassword *lp;
	const char *type = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "type");
	char		token[256];

	lp = diadoc__api__proto__login_password__unpack(NULL, body->len,
													(const uint8_t *) body->data);
	if (sc->kind == SC_STATUS)
		reply_status(r, sc->arg);
	else if (strcmp(method, "POST") != 0)
		reply_text(r, 405, "mock: Authenticate needs POST");
	else if (!diadoc_auth(conn, token, sizeof(token)))
		reply_text(r, 401, "mock: missing or invalid ddauth_api_client_id");
	else if (lp == NULL)
		reply_text(r, 400, "mock: body is not a LoginPassword");
	else if (type == NULL || strcmp(type, "password") != 0 ||
			 strcmp(lp->login, cred_login) != 0 ||
			 strcmp(lp->password, cred_password) != 0)
		reply_text(r, 401, "mock: wrong login or password");
	else
	{
		uint64_t	n;

		pthread_mutex_lock(&state.lock);
		n = ++state.tokens_issued;
		pthread_mutex_unlock(&state.lock);
		reply_text(r, 200, "issued-%" PRIu64, n);
	}

	buf_puts(log, "diadoc Authenticate login=");
	/* with --login the tests use real-looking secrets: do not print them */
	if (custom_login && lp)
		buf_puts(log, strcmp(lp->login, cred_login) == 0 ? "valid" : "invalid");
	else
		buf_word(log, lp ? lp->login : NULL);
	buf_printf(log, " status=%d", r->status);
	if (lp)
		diadoc__api__proto__login_password__free_unpacked(lp, NULL);
}


/* ---------------------------------------------------------------------
 * Mercury
 * ---------------------------------------------------------------------
 */

/* What we read from a getUnitChangesListRequest; "" = element absent. */
typedef struct UnitRequest
{
	bool		found;			/* saw getUnitChangesListRequest */
	char		count[FIELD_MAX];
	char		offset[FIELD_MAX];
	char		begin[FIELD_MAX];
	char		end[FIELD_MAX];
} UnitRequest;

/* Copies an element's trimmed text; overlong text becomes "?" (invalid). */
static void
xml_text(xmlNode *node, char *dst)
{
	xmlChar    *content = xmlNodeGetContent(node);
	const char *s = content ? (const char *) content : "";
	size_t		n;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	if (n >= FIELD_MAX)
		strcpy(dst, "?");
	else
	{
		memcpy(dst, s, n);
		dst[n] = '\0';
	}
	xmlFree(content);
}

/* Matches by local name only, so any prefix or namespace version parses. */
static void
mercury_walk(xmlNode *node, const char *parent, UnitRequest *ur)
{
	for (; node; node = node->next)
	{
		const char *name = (const char *) node->name;

		if (node->type != XML_ELEMENT_NODE)
			continue;
		if (strcmp(name, "getUnitChangesListRequest") == 0)
			ur->found = true;
		else if (strcmp(parent, "listOptions") == 0 && strcmp(name, "count") == 0)
			xml_text(node, ur->count);
		else if (strcmp(parent, "listOptions") == 0 && strcmp(name, "offset") == 0)
			xml_text(node, ur->offset);
		else if (strcmp(parent, "updateDateInterval") == 0 && strcmp(name, "beginDate") == 0)
			xml_text(node, ur->begin);
		else if (strcmp(parent, "updateDateInterval") == 0 && strcmp(name, "endDate") == 0)
			xml_text(node, ur->end);
		mercury_walk(node->children, name, ur);
	}
}

/* Returns NULL on success, else a short reason for the log. */
static const char *
mercury_parse(const Buf *body, UnitRequest *ur)
{
	xmlDoc	   *doc;

	memset(ur, 0, sizeof(*ur));
	if (body->len == 0)
		return "empty-body";
	/* no network, no entity expansion, no DTD loading */
	doc = xmlReadMemory(body->data, (int) body->len, "request.xml", NULL,
						XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL)
		return "malformed-xml";
	mercury_walk(xmlDocGetRootElement(doc), "", ur);
	xmlFreeDoc(doc);
	return ur->found ? NULL : "not-getUnitChangesListRequest";
}

/* Strict non-negative decimal; -1 when s is not one (or too big). */
static int64_t
parse_count(const char *s)
{
	int64_t		v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++)
	{
		if (*s < '0' || *s > '9' || v > INT64_C(1000000000000))
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static int64_t
ceil_div(int64_t a, int64_t b)
{
	return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

static void
mercury_fault(Reply *r, FaultKind kind, const char *message)
{
	r->status = 500;
	r->content_type = CT_XML;
	r->body.len = 0;
	buf_printf(&r->body,
			   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			   "<soap:Envelope xmlns:soap=\"" NS_SOAP "\"><soap:Body><soap:Fault>"
			   "<faultcode>%s</faultcode><faultstring>",
			   faults[kind].faultcode);
	buf_xml_escaped(&r->body, message);
	buf_printf(&r->body,
			   "</faultstring><detail><ws:%s xmlns:ws=\"" NS_WS_BASE "\" xmlns:bs=\"" NS_BS "\">"
			   "<bs:message>",
			   faults[kind].element);
	buf_xml_escaped(&r->body, message);
	buf_printf(&r->body,
			   "</bs:message></ws:%s></detail></soap:Fault></soap:Body></soap:Envelope>\n",
			   faults[kind].element);
}

/*
 * Number formatting by hand: a 1000-unit page has ~15,000 values, and
 * snprintf was most of the time spent on it.
 */
static char *
put_digits(char *dst, uint64_t v, int width, unsigned base)
{
	int			k;

	for (k = width - 1; k >= 0; k--, v /= base)
		dst[k] = "0123456789abcdef"[v % base];
	dst[width] = '\0';
	return dst + width;
}

static char *
put_decimal(char *dst, uint64_t v)
{
	int			width = 1;
	uint64_t	t;

	for (t = v; t >= 10; t /= 10)
		width++;
	return put_digits(dst, v, width, 10);
}

/* <prefix:name>text</prefix:name> */
static void
xml_elem(Buf *b, const char *prefix, const char *name, const char *text)
{
	size_t		pl = strlen(prefix),
				nl = strlen(name),
				tl = strlen(text);
	char	   *p;

	buf_reserve(b, 2 * (pl + nl) + tl + 6);
	p = b->data + b->len;
	*p++ = '<';
	memcpy(p, prefix, pl), p += pl;
	*p++ = ':';
	memcpy(p, name, nl), p += nl;
	*p++ = '>';
	memcpy(p, text, tl), p += tl;
	*p++ = '<';
	*p++ = '/';
	memcpy(p, prefix, pl), p += pl;
	*p++ = ':';
	memcpy(p, name, nl), p += nl;
	*p++ = '>';
	*p = '\0';
	b->len = p - b->data;
}

/* "00000000-0000-4000-X000-" followed by 12 hex digits of v */
static void
unit_uuid(char *dst, char kind, uint64_t v)
{
	memcpy(dst, "00000000-0000-4000-X000-", 24);
	dst[19] = kind;
	put_digits(dst + 24, v, 12, 16);
}

/* updateDate of record i, in Moscow time */
static void
unit_date(char *dst, int64_t i)
{
	int64_t		local = UNIT_BASE + i * UNIT_STEP + MSK_OFFSET,
				secs = local % 86400,
				year;
	int			month,
				day;

	civil_from_days(local / 86400, &year, &month, &day);
	dst = put_digits(dst, year, 4, 10);
	*dst++ = '-';
	dst = put_digits(dst, month, 2, 10);
	*dst++ = '-';
	dst = put_digits(dst, day, 2, 10);
	*dst++ = 'T';
	dst = put_digits(dst, secs / 3600, 2, 10);
	*dst++ = ':';
	dst = put_digits(dst, secs / 60 % 60, 2, 10);
	*dst++ = ':';
	dst = put_digits(dst, secs % 60, 2, 10);
	strcpy(dst, "+03:00");
}

/*
 * Records first ... first+n-1, as PROTOCOL.md's table says; record bad_at
 * gets the bad value "bad" (a BadKind).
 */
static void
mercury_units(Buf *b, bool v1, int64_t first, int64_t n, int64_t bad_at, int bad)
{
	const char *bs = v1 ? "argc" : "bs";
	const char *dt = v1 ? "argc" : "dt";
	const char *open = v1 ? "<argc:unit>" : "<dt:unit>";
	const char *close = v1 ? "</argc:unit>\n" : "</dt:unit>\n";
	char		v[128];
	int64_t		i;

	for (i = first; i < first + n; i++)
	{
		bool		current = i % 3 == 2 || i == n_units - 1;
		int			k = i == bad_at ? bad : -1;

		buf_puts(b, open);
		unit_uuid(v, '8', i);
		xml_elem(b, bs, "uuid", k == BAD_UUID ? "0000-not-a-uuid" : v);
		unit_uuid(v, '9', i / 3);
		xml_elem(b, bs, "guid", v);
		xml_elem(b, bs, "active", current ? "true" : "false");
		xml_elem(b, bs, "last", current ? "true" : "false");
		xml_elem(b, bs, "status", i % 3 == 0 ? "CREATED" : "UPDATED");
		unit_date(v, i - i % 3);
		xml_elem(b, bs, "createDate", k == BAD_RANGE ? "300000-01-01T00:00:00+03:00" : v);
		unit_date(v, i);
		xml_elem(b, bs, "updateDate", k == BAD_DATE ? "2024-02-30T10:00:00+03:00" : v);
		if (i % 3 > 0)
		{
			unit_uuid(v, '8', i - 1);
			xml_elem(b, bs, "previous", v);
		}
		if (i % 3 < 2 && i + 1 < n_units)
		{
			unit_uuid(v, '8', i + 1);
			xml_elem(b, bs, "next", v);
		}
		strcpy(v, k == BAD_NUL ? "unit&#0;" : "unit ");
		put_decimal(v + strlen(v), i);
		xml_elem(b, dt, "name", v);
		strcpy(v, k == BAD_UTF8 ? "Единица \xff\xfe " : "Единица измерения ");
		put_decimal(v + strlen(v), i);
		xml_elem(b, dt, "fullName", v);
		if (i % 5 != 4)
		{
			unit_uuid(v, 'a', i % 7);
			xml_elem(b, dt, "commonUnitGuid", v);
		}
		if (k == BAD_NUMBER)
		{
			/* 10^140000: more digits than numeric allows */
			buf_printf(b, "<%s:factor>1", dt);
			buf_reserve(b, 140000);
			memset(b->data + b->len, '0', 140000);
			b->len += 140000;
			buf_printf(b, "</%s:factor>", dt);
		}
		else
		{
			/* 10^(i mod 25) */
			v[0] = '1';
			memset(v + 1, '0', i % 25);
			v[1 + i % 25] = '\0';
			xml_elem(b, dt, "factor", v);
		}
		buf_puts(b, close);
	}
}

/*
 * One page of the records with begin <= updateDate < end (end NULL: no
 * upper bound), for a request already checked.  The selection is
 * arithmetic: record i was updated at UNIT_BASE + i * UNIT_STEP.
 */
static void
mercury_page(const Scenario *sc, int64_t count, int64_t offset, int64_t begin,
			 const int64_t *end, Reply *r, int64_t *units, int64_t *total)
{
	const int64_t base = UNIT_BASE * INT64_C(1000000),
				step = UNIT_STEP * INT64_C(1000000);
	int64_t		lo = ceil_div(begin - base, step),
				hi = end ? ceil_div(*end - base, step) : n_units,
				n;
	bool		v1 = sc->kind == SC_V1;
	const char *list = v1 ? "argc:unitList" : "dt:unitList";

	int64_t		announced;
	const char *soap_ns = sc->kind == SC_WRONG_NS ?
		"http://www.w3.org/2003/05/soap-envelope" : NS_SOAP;

	lo = lo < 0 ? 0 : lo > n_units ? n_units : lo;
	hi = hi < lo ? lo : hi > n_units ? n_units : hi;
	*total = hi - lo;
	/* shrink-total: after the first page the list is 50 records shorter */
	if (sc->kind == SC_SHRINK_TOTAL && offset > 0)
		*total = *total > 50 ? *total - 50 : 0;

	if (offset > 0 && (offset >= *total || sc->kind == SC_SHRINK))
	{
		mercury_fault(r, FAULT_OFFSET, "offset is out of range");
		return;
	}
	/* grow: the first page announces a quarter fewer records than there are */
	announced = *total;
	if (sc->kind == SC_GROW && offset == 0)
		announced = *total - *total / 4;
	n = sc->kind == SC_SHORT_PAGES ? (count / 2 > 0 ? count / 2 : 1) : count;
	if (n > announced - offset)
		n = announced - offset;
	*units = n;
	*total = announced;

	r->status = 200;
	r->content_type = CT_XML;
	buf_reserve(&r->body, 1024 + n * 900);
	buf_printf(&r->body,
			   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			   "<soap:Envelope xmlns:soap=\"%s\"><soap:Body>"
			   "<ws:getUnitChangesListResponse xmlns:ws=\"" NS_WS_V2 "\" %s>\n"
			   "<%s count=\"%" PRId64 "\"",
			   soap_ns,
			   v1 ? "xmlns:argc=\"" NS_ARGC "\"" : "xmlns:bs=\"" NS_BS "\" xmlns:dt=\"" NS_DT "\"",
			   list, n);
	/* an answer may carry total, hasMore or both (scenarios hasmore, ...) */
	if (sc->kind != SC_HASMORE && sc->kind != SC_NO_TOTALS)
		buf_printf(&r->body, " total=\"%" PRId64 "\"", *total);
	buf_printf(&r->body, " offset=\"%" PRId64 "\"", offset);
	/* hasMore came with the v2 schema */
	if (!v1 && sc->kind != SC_TOTAL_ONLY && sc->kind != SC_NO_TOTALS)
		buf_printf(&r->body, " hasMore=\"%s\"", offset + n < *total ? "true" : "false");
	buf_puts(&r->body, ">\n");
	mercury_units(&r->body, v1, lo + offset, n,
				  sc->kind == SC_BAD ? hi - 1 : -1, sc->kind == SC_BAD ? sc->arg : -1);
	buf_printf(&r->body, "</%s></ws:getUnitChangesListResponse></soap:Body></soap:Envelope>\n",
			   list);
}

/*
 * padded-N: every fullName N bytes longer (a run of "." before its end
 * tag); padded-crlf-N: the same with CR LF line ends, which the client's
 * fast scanner leaves to libxml2.
 */
static void
mercury_pad(Reply *r, int pad, bool crlf)
{
	Buf			out = {0};
	const char *p = r->body.data;
	const char *end = r->body.data + r->body.len;
	static const char close[] = "</dt:fullName>";

	buf_reserve(&out, r->body.len);
	while (p < end)
	{
		if (*p == '<' && (size_t) (end - p) >= sizeof(close) - 1 &&
			memcmp(p, close, sizeof(close) - 1) == 0)
		{
			int			k;

			buf_reserve(&out, pad);
			for (k = 0; k < pad; k++)
				out.data[out.len++] = '.';
		}
		else if (*p == '\n' && crlf)
			buf_append(&out, "\r", 1);
		buf_append(&out, p, 1);
		p++;
	}
	free(r->body.data);
	r->body = out;
}

/*
 * A SOAP fault with odd contents: a multi-line faultstring with markup,
 * control characters and 600 bytes of filler; text before the first element
 * of detail, which is of an unknown kind and nests deeper elements.
 */
static void
mercury_odd_fault(Reply *r)
{
	int			k;

	r->status = 500;
	r->content_type = CT_XML;
	r->body.len = 0;
	buf_puts(&r->body,
			 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			 "<soap:Envelope xmlns:soap=\"" NS_SOAP "\"><soap:Body><soap:Fault>"
			 "<faultcode xmlns:x=\"urn:odd\">x:Weird</faultcode>"
			 "<faultstring xml:lang=\"ru\">Ошибка\n\tline two &lt;b&gt;bold&lt;/b&gt; &#x7f; <![CDATA[<cdata>]]>");
	for (k = 0; k < 60; k++)
		buf_puts(&r->body, " filler-ok");
	buf_puts(&r->body,
			 "</faultstring><detail>some text first"
			 "<x:strangeFault xmlns:x=\"urn:odd\"><x:inner><x:deeper>1</x:deeper></x:inner></x:strangeFault>"
			 "<ws:accessDeniedFault xmlns:ws=\"" NS_WS_BASE "\"/>"
			 "</detail></soap:Fault></soap:Body></soap:Envelope>\n");
}

/* POST /mercury/SCENARIO: GetUnitChangesList */
static void
mercury_unit_changes(struct MHD_Connection *conn, const char *method,
					 const Scenario *sc, const Buf *body, Reply *r, Buf *log)
{
	UnitRequest ur;
	const char *error = mercury_parse(body, &ur);
	char	   *user,
			   *password = NULL;
	bool		auth_ok;
	int64_t		count = ur.count[0] ? parse_count(ur.count) : 100,
				offset = ur.offset[0] ? parse_count(ur.offset) : 0,
				begin,
				end,
				total = 0,
				units = 0;

	user = MHD_basic_auth_get_username_password(conn, &password);
	auth_ok = user && password && strcmp(user, "test-user") == 0 &&
		strcmp(password, cred_password) == 0;
	MHD_free(user);
	MHD_free(password);

	if (sc->kind == SC_STATUS)
		reply_status(r, sc->arg);
	else if (strcmp(method, "POST") != 0)
		reply_text(r, 405, "mock: GetUnitChangesList needs POST");
	else if (!auth_ok)
	{
		reply_text(r, 401, "mock: HTTP Basic authentication required");
		r->basic_challenge = true;
	}
	else if (error)
		mercury_fault(r, FAULT_INCORRECT, "Request is not a valid getUnitChangesListRequest");
	else if (sc->kind == SC_FAULT)
	{
		char		message[64];

		snprintf(message, sizeof(message), "mock fault: %s", faults[sc->arg].name);
		mercury_fault(r, sc->arg, message);
	}
	else if (sc->kind == SC_GARBAGE)
	{
		r->status = 200;
		r->content_type = CT_XML;
		buf_puts(&r->body, "<soap:Envelope xmlns:soap=\"" NS_SOAP "\"><soap:Body><unclosed");
	}
	else if (count < 1 || count > 1000)
		mercury_fault(r, FAULT_INCORRECT, "listOptions/count must be between 1 and 1000");
	else if (offset < 0)
		mercury_fault(r, FAULT_INCORRECT, "listOptions/offset must be a non-negative integer");
	else if (!ur.begin[0] || !parse_datetime(ur.begin, &begin))
		mercury_fault(r, FAULT_INCORRECT, "updateDateInterval/beginDate is missing or invalid");
	else if (ur.end[0] && !parse_datetime(ur.end, &end))
		mercury_fault(r, FAULT_INCORRECT, "updateDateInterval/endDate is invalid");
	else
	{
		Buf			page = {0};
		char		self[200];
		const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");

		mercury_page(sc, count, offset, begin, ur.end[0] ? &end : NULL, r, &units, &total);
		if (r->status == 200 && sc->kind == SC_TRUNCATED)
			r->body.len /= 2;
		else if (r->status == 200 && sc->kind == SC_PADDED)
			mercury_pad(r, sc->arg, sc->arg2);
		else if (r->status == 200 && sc->kind == SC_ODD_FAULT)
		{
			mercury_odd_fault(r);
			units = 0;
		}
		buf_printf(&page, "%s %s %s %s", ur.count, ur.offset, ur.begin, ur.end);
		snprintf(self, sizeof(self), "http://%.60s/mercury/ok", host ? host : "127.0.0.1");
		if (misbehave(sc, true, page.data, self, r))
			units = 0;
		free(page.data);
	}

	if (r->status == 405)
		error = "method-not-allowed";
	if (error)
		buf_printf(log, "mercury GetUnitChangesList status=%d error=%s", r->status, error);
	else
	{
		buf_puts(log, "mercury GetUnitChangesList count=");
		buf_word(log, ur.count[0] ? ur.count : "100");
		buf_puts(log, " offset=");
		buf_word(log, ur.offset[0] ? ur.offset : "0");
		buf_puts(log, " begin=");
		buf_word(log, ur.begin);
		buf_puts(log, " end=");
		buf_word(log, ur.end);
		buf_puts(log, " ");
		log_status(log, r);
		buf_printf(log, " units=%" PRId64 " total=%" PRId64, units, total);
	}
}


/* The other VetIS list operations and their service paths. */
#include "mock_vetis.c"


/* ---------------------------------------------------------------------
 * HTTP plumbing
 * ---------------------------------------------------------------------
 */

/* Per-request state: the body as it arrives. */
typedef struct Request
{
	Buf			body;
	bool		too_big;
} Request;

/* ---------------------------------------------------------------------
 * OpenID Connect token endpoint, compression, header log
 *
 * POST /oidc/SCENARIO/connect/token (form body) issues access tokens
 * oidc-N with an expiry; the Diadoc API paths accept "Bearer oidc-N"
 * until then, and the static --access-token.  Answers are compressed when
 * the client asks (Accept-Encoding), and /_headers tells per request what
 * came in (path, Authorization scheme, Accept-Encoding) and what went out
 * (encoding, decoded and wire sizes).
 * ---------------------------------------------------------------------
 */
#define OIDC_CAP		100000	/* access tokens the mock can issue */
#define BOMB_SIZE		(64u * 1024 * 1024)	/* decoded size of gzip-bomb */

static const char *cred_client_secret = "test-secret";
static const char *cred_refresh = "test-refresh";
static const char *cred_access = "test-access-token";
static const char *issued_prefix = "";	/* --issued-prefix: before oidc-N */
static bool no_compress;		/* --no-compress: never compress answers */
static bool log_times;			/* --log-times: t=SECONDS in /_headers */

static struct
{
	pthread_mutex_t lock;
	uint64_t	issued;			/* oidc-N valid iff expired_upto < N <= issued */
	uint64_t	expired_upto;	/* and now < expiry[N] */
	double		expiry[OIDC_CAP + 1];
	uint64_t	rotation;		/* rotate scenario: rot-N is current, 0 none */
	Buf			headers;		/* the /_headers lines */
	Buf			bomb;			/* gzip of BOMB_SIZE zero bytes */
}			ostate = {.lock = PTHREAD_MUTEX_INITIALIZER};

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "oidc-N" issued and not expired, or the static access token. */
static bool
bearer_valid(const char *token)
{
	uint64_t	n = 0;
	const char *p;
	bool		ok;

	if (strcmp(token, cred_access) == 0)
		return true;
	if (strncmp(token, issued_prefix, strlen(issued_prefix)) != 0)
		return false;
	token += strlen(issued_prefix);
	if (strncmp(token, "oidc-", 5) != 0 || token[5] == '\0')
		return false;
	for (p = token + 5; *p; p++)
	{
		if (*p < '0' || *p > '9' || n > OIDC_CAP)
			return false;
		n = n * 10 + (*p - '0');
	}
	pthread_mutex_lock(&ostate.lock);
	ok = n > ostate.expired_upto && n <= ostate.issued && n <= OIDC_CAP &&
		mono_now() < ostate.expiry[n];
	pthread_mutex_unlock(&ostate.lock);
	return ok;
}

static void
oidc_expire_all(void)
{
	pthread_mutex_lock(&ostate.lock);
	ostate.expired_upto = ostate.issued;
	pthread_mutex_unlock(&ostate.lock);
}

static void
oidc_reset(void)
{
	pthread_mutex_lock(&ostate.lock);
	ostate.rotation = 0;
	pthread_mutex_unlock(&ostate.lock);
}

/* Percent-decode a form value ('+' is a space); false if malformed. */
static bool
form_decode(const char *s, size_t n, char *out, size_t outsize)
{
	size_t		k = 0;
	size_t		i;

	for (i = 0; i < n; i++)
	{
		int			c = (unsigned char) s[i];

		if (c == '+')
			c = ' ';
		else if (c == '%')
		{
			unsigned int v;

			if (i + 2 >= n)
				return false;
			if (sscanf(s + i + 1, "%2x", &v) != 1 ||
				!strchr("0123456789abcdefABCDEF", s[i + 1]) ||
				!strchr("0123456789abcdefABCDEF", s[i + 2]))
				return false;
			c = (int) v;
			i += 2;
		}
		if (c == 0 || k + 1 >= outsize)
			return false;
		out[k++] = (char) c;
	}
	out[k] = '\0';
	return true;
}

typedef struct TokenForm
{
	char		grant_type[256];
	char		client_id[256];
	char		client_secret[256];
	char		refresh_token[256];
	char		scope[256];
	bool		bad;			/* malformed, duplicate or overlong */
} TokenForm;

static void
form_parse(const Buf *body, TokenForm *f)
{
	const char *p = body->data ? body->data : "";
	const char *end = p + body->len;

	memset(f, 0, sizeof(*f));
	while (p < end)
	{
		const char *amp = memchr(p, '&', end - p);
		const char *pe = amp ? amp : end;
		const char *eq = memchr(p, '=', pe - p);
		char		key[64];
		char	   *dst = NULL;

		if (eq == NULL || !form_decode(p, eq - p, key, sizeof(key)))
		{
			f->bad = true;
			return;
		}
		if (strcmp(key, "grant_type") == 0)
			dst = f->grant_type;
		else if (strcmp(key, "client_id") == 0)
			dst = f->client_id;
		else if (strcmp(key, "client_secret") == 0)
			dst = f->client_secret;
		else if (strcmp(key, "refresh_token") == 0)
			dst = f->refresh_token;
		else if (strcmp(key, "scope") == 0)
			dst = f->scope;
		if (dst != NULL && (dst[0] != '\0' ||
							!form_decode(eq + 1, pe - eq - 1, dst, 256)))
		{
			f->bad = true;
			return;
		}
		p = amp ? amp + 1 : end;
	}
}

static void
json_error(Reply *r, int status, const char *error, const char *desc)
{
	r->status = status;
	r->content_type = "application/json";
	r->body.len = 0;
	buf_printf(&r->body, "{\"error\":\"%s\",\"error_description\":\"%s\"}",
			   error, desc);
}

/* POST /oidc/SCENARIO/connect/token */
static void
oidc_token(struct MHD_Connection *conn, const char *method, const char *scen,
		   size_t scen_len, const Buf *body, Reply *r, Buf *log)
{
	const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
												 MHD_HTTP_HEADER_CONTENT_TYPE);
	TokenForm	f;
	char		name[64];
	const char *refresh_label = "invalid";
	char		rot_label[32] = "";
	char		rotated[32] = "";
	char		access[128] = "";
	bool		secret_ok;
	bool		refresh_ok = false;
	long		expires = 3600;
	uint64_t	n = 0;
	char		desc[600];

	snprintf(name, sizeof(name), "%.*s", (int) (scen_len < 60 ? scen_len : 60), scen);
	form_parse(body, &f);
	secret_ok = strcmp(f.client_secret, cred_client_secret) == 0;

	pthread_mutex_lock(&ostate.lock);
	if (strcmp(name, "rotate") == 0)
	{
		snprintf(rot_label, sizeof(rot_label), "rot-%" PRIu64, ostate.rotation);
		if (ostate.rotation == 0 && strcmp(f.refresh_token, cred_refresh) == 0)
			refresh_ok = true, refresh_label = "initial";
		else if (ostate.rotation > 0 && strcmp(f.refresh_token, rot_label) == 0)
			refresh_ok = true, refresh_label = rot_label;
	}
	else if (strcmp(f.refresh_token, cred_refresh) == 0)
		refresh_ok = true, refresh_label = "initial";
	pthread_mutex_unlock(&ostate.lock);

	if (strncmp(name, "short-", 6) == 0)
		expires = atol(name + 6);

	if (strncmp(name, "status-", 7) == 0)
		reply_status(r, atoi(name + 7));
	else if (strcmp(method, "POST") != 0)
		json_error(r, 405, "invalid_request", "POST expected");
	else if (ct == NULL || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0)
		json_error(r, 400, "invalid_request", "form body expected");
	else if (f.bad)
		json_error(r, 400, "invalid_request", "malformed or repeated form field");
	else if (strcmp(f.grant_type, "refresh_token") != 0)
		json_error(r, 400, "unsupported_grant_type", "only refresh_token");
	else if (strcmp(f.client_id, "test-client") != 0 || !secret_ok)
	{
		/* echoes what it got: the client must redact it */
		snprintf(desc, sizeof(desc), "client %.100s with secret %.200s is unknown",
				 f.client_id, f.client_secret);
		json_error(r, 400, "invalid_client", desc);
	}
	else if (!refresh_ok)
	{
		snprintf(desc, sizeof(desc), "refresh token %.200s is invalid or expired",
				 f.refresh_token);
		json_error(r, 400, "invalid_grant", desc);
	}
	else
	{
		pthread_mutex_lock(&ostate.lock);
		if (ostate.issued < OIDC_CAP)
		{
			n = ++ostate.issued;
			ostate.expiry[n] = mono_now() + (double) expires;
		}
		if (strcmp(name, "rotate") == 0)
			snprintf(rotated, sizeof(rotated), "rot-%" PRIu64, ++ostate.rotation);
		pthread_mutex_unlock(&ostate.lock);
		snprintf(access, sizeof(access), "%.60soidc-%" PRIu64, issued_prefix, n);

		r->status = 200;
		r->content_type = "application/json";
		r->body.len = 0;
		if (strcmp(name, "no-access-token") == 0)
			buf_printf(&r->body, "{\"token_type\":\"Bearer\",\"expires_in\":3600}");
		else if (strcmp(name, "not-json") == 0)
		{
			r->content_type = CT_TEXT;
			buf_printf(&r->body, "access_token=%s&expires_in=3600", access);
		}
		else if (strcmp(name, "array") == 0)
			buf_printf(&r->body, "[{\"access_token\":\"%s\"}]", access);
		else if (strcmp(name, "huge-expires") == 0)
			buf_printf(&r->body, "{\"access_token\":\"%s\",\"token_type\":\"Bearer\",\"expires_in\":1e300}", access);
		else if (strcmp(name, "negative-expires") == 0)
			buf_printf(&r->body, "{\"access_token\":\"%s\",\"token_type\":\"Bearer\",\"expires_in\":-5}", access);
		else if (strcmp(name, "string-expires") == 0)
			buf_printf(&r->body, "{\"access_token\":\"%s\",\"token_type\":\"Bearer\",\"expires_in\":\"3600\"}", access);
		else if (strcmp(name, "mac") == 0)
			buf_printf(&r->body, "{\"access_token\":\"%s\",\"token_type\":\"mac\",\"expires_in\":3600}", access);
		else if (strcmp(name, "dup") == 0)
			buf_printf(&r->body, "{\"access_token\":\"%s\",\"access_token\":\"%s\",\"expires_in\":3600}", access, access);
		else if (strcmp(name, "bad-token") == 0)
			buf_printf(&r->body, "{\"access_token\":\"%s x\",\"token_type\":\"Bearer\",\"expires_in\":3600}", access);
		else
		{
			/* nested members and unknown ones must be skipped */
			buf_printf(&r->body, "{\"id_token\":{\"access_token\":\"nested\"},\"access_token\":\"%s\",\"token_type\":\"Bearer\",\"expires_in\":%ld,\"scope\":[\"Diadoc.PublicAPI\"]",
					   access, expires);
			if (rotated[0])
				buf_printf(&r->body, ",\"refresh_token\":\"%s\"", rotated);
			buf_puts(&r->body, "}");
		}
	}

	buf_puts(log, "oidc token grant=");
	buf_word(log, f.grant_type);
	buf_puts(log, " client=");
	buf_word(log, f.client_id);
	buf_printf(log, " secret=%s refresh=%s scope=", secret_ok ? "valid" : "invalid",
			   refresh_ok ? refresh_label : "invalid");
	buf_word(log, f.scope);
	/* the token's name only: with --issued-prefix the whole is a test secret */
	buf_printf(log, " status=%d issued=%s expires=%ld rotated=%s", r->status,
			   access[0] ? access + strlen(issued_prefix) : "-", expires,
			   rotated[0] ? rotated : "-");
	explicit_bzero(&f, sizeof(f));
}

/* The gzip-bomb body, built once. */
static pthread_once_t bomb_once = PTHREAD_ONCE_INIT;

static void
bomb_build(void)
{
	z_stream	zs = {0};
	static unsigned char zeros[65536];
	unsigned char out[65536];
	size_t		fed = 0;
	int			flush;

	if (deflateInit2(&zs, 9, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	do
	{
		size_t		chunk = BOMB_SIZE - fed < sizeof(zeros) ? BOMB_SIZE - fed : sizeof(zeros);

		zs.next_in = zeros;
		zs.avail_in = (uInt) chunk;
		fed += chunk;
		flush = fed == BOMB_SIZE ? Z_FINISH : Z_NO_FLUSH;
		do
		{
			zs.next_out = out;
			zs.avail_out = sizeof(out);
			deflate(&zs, flush);
			buf_append(&ostate.bomb, out, sizeof(out) - zs.avail_out);
		} while (zs.avail_out == 0);
	} while (flush != Z_FINISH);
	deflateEnd(&zs);
}

/*
 * Compress r's body as the request's Accept-Encoding allows (gzip first,
 * then deflate); returns the encoding used or NULL.
 */
static const char *
compress_reply(struct MHD_Connection *conn, Reply *r)
{
	const char *ae = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
												 MHD_HTTP_HEADER_ACCEPT_ENCODING);
	z_stream	zs = {0};
	Buf			out = {0};
	int			wbits;
	const char *enc;

	if (ae == NULL || r->body.len == 0 || no_compress)
		return NULL;
	if (strstr(ae, "gzip") != NULL)
		wbits = 31, enc = "gzip";
	else if (strstr(ae, "deflate") != NULL)
		wbits = 15, enc = "deflate";
	else
		return NULL;
	if (deflateInit2(&zs, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	buf_reserve(&out, deflateBound(&zs, r->body.len) + 16);
	zs.next_in = (unsigned char *) r->body.data;
	zs.avail_in = (uInt) r->body.len;
	zs.next_out = (unsigned char *) out.data;
	zs.avail_out = (uInt) out.cap;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
		abort();
	out.len = out.cap - zs.avail_out;
	deflateEnd(&zs);
	free(r->body.data);
	r->body = out;
	return enc;
}

/* One /_headers line for an API request. */
static void
header_log(struct MHD_Connection *conn, const char *url, const char *enc,
		   size_t size, size_t wire)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
												MHD_HTTP_HEADER_AUTHORIZATION);
	const char *ae = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
												 MHD_HTTP_HEADER_ACCEPT_ENCODING);
	Buf			line = {0};
	char		label[64];

	if (h == NULL)
		snprintf(label, sizeof(label), "-");
	else if (strncmp(h, "Bearer ", 7) == 0)
	{
		const char *t = h + 7;

		/* exactly "Bearer TOKEN": nothing before, after or inside */
		if (t[0] == '\0' || strpbrk(t, " ,\t") != NULL)
			snprintf(label, sizeof(label), "Bearer:malformed");
		else if (strcmp(t, cred_access) == 0)
			snprintf(label, sizeof(label), "Bearer:static");
		else if (strncmp(t, issued_prefix, strlen(issued_prefix)) == 0 &&
				 strncmp(t + strlen(issued_prefix), "oidc-", 5) == 0 &&
				 strlen(t + strlen(issued_prefix)) < 30)
			snprintf(label, sizeof(label), "Bearer:%s", t + strlen(issued_prefix));
		else
			snprintf(label, sizeof(label), "Bearer:other");
	}
	else
		snprintf(label, sizeof(label), "%.*s", (int) strcspn(h, " "), h);

	buf_word(&line, url);
	buf_printf(&line, " auth=%.40s accept=", label);
	if (ae)
	{
		const char *p;

		for (p = ae; *p; p++)
			if (*p != ' ')
				buf_append(&line, p, 1);
	}
	else
		buf_puts(&line, "-");
	buf_printf(&line, " encoding=%s size=%zu wire=%zu", enc ? enc : "identity",
			   size, wire);
	if (log_times)
		buf_printf(&line, " t=%.6f", mono_now());
	buf_puts(&line, "\n");
	pthread_mutex_lock(&ostate.lock);
	buf_append(&ostate.headers, line.data, line.len);
	pthread_mutex_unlock(&ostate.lock);
	free(line.data);
}

/*
 * Requests this part of the mock answers itself: the token endpoint and
 * the gzip-bomb scenario of both APIs.  False for everything else.
 */
static bool
extra_dispatch(struct MHD_Connection *conn, const char *url, const char *method,
			   Request *req, Reply *r, bool *precompressed)
{
	const char *scen;
	size_t		len;
	Buf			log = {0};

	*precompressed = false;
	if (strncmp(url, "/oidc/", 6) == 0)
	{
		scen = url + 6;
		len = strcspn(scen, "/");
		if (strcmp(scen + len, "/connect/token") != 0)
		{
			json_error(r, 404, "invalid_request", "unknown path");
			buf_puts(&log, "oidc unknown status=404");
		}
		else
			oidc_token(conn, method, scen, len, &req->body, r, &log);
		log_add(&log);
		free(log.data);
		return true;
	}
	if (strncmp(url, "/diadoc/gzip-bomb/", 18) == 0 ||
		strcmp(url, "/mercury/gzip-bomb") == 0 ||
		strncmp(url, "/mercury/gzip-bomb/", 19) == 0)
	{
		pthread_once(&bomb_once, bomb_build);
		r->status = 200;
		r->content_type = url[1] == 'd' ? CT_PROTO : CT_XML;
		r->body.len = 0;
		buf_append(&r->body, ostate.bomb.data, ostate.bomb.len);
		*precompressed = true;
		buf_printf(&log, "%s gzip-bomb status=200 size=%u wire=%zu",
				   url[1] == 'd' ? "diadoc" : "mercury", BOMB_SIZE, ostate.bomb.len);
		log_add(&log);
		free(log.data);
		return true;
	}
	return false;
}

/* /_log, /_stats, /_control/…: not API requests, never logged. */
static void
control(const char *url, Reply *r)
{
	if (strcmp(url, "/_log") == 0)
	{
		reply_text(r, 200, "%s", "");
		log_take(&r->body);
	}
	else if (strcmp(url, "/_stats") == 0)
	{
		uint64_t	c,
					q;

		uint64_t	in,
					max;

		pthread_mutex_lock(&state.lock);
		c = state.connections;
		q = state.requests;
		in = state.inflight;
		max = state.max_inflight;
		pthread_mutex_unlock(&state.lock);
		reply_text(r, 200, "connections=%" PRIu64 " requests=%" PRIu64
				   " inflight=%" PRIu64 " max_inflight=%" PRIu64 "\n",
				   c, q, in, max);
	}
	else if (strcmp(url, "/_control/reset-max-inflight") == 0)
	{
		pthread_mutex_lock(&state.lock);
		state.max_inflight = state.inflight;
		pthread_mutex_unlock(&state.lock);
		reply_text(r, 200, "ok\n");
	}
	else if (strcmp(url, "/_control/reset") == 0)
	{
		counters_reset();
		oidc_reset();
		reply_text(r, 200, "ok\n");
	}
	else if (strncmp(url, "/_vetis/", 8) == 0)
		vetis_truth(url + 8, r);
	else if (strcmp(url, "/_headers") == 0)
	{
		reply_text(r, 200, "%s", "");
		pthread_mutex_lock(&ostate.lock);
		if (ostate.headers.len)
			buf_append(&r->body, ostate.headers.data, ostate.headers.len);
		ostate.headers.len = 0;
		pthread_mutex_unlock(&ostate.lock);
	}
	else if (strcmp(url, "/_control/blackhole-port") == 0)
		reply_text(r, 200, "%d\n", blackhole_port);
	else if (strncmp(url, "/_probe", 7) == 0 && strcmp(url, "/_probes") != 0)
	{
		/* what an external entity would fetch: count, never serve */
		pthread_mutex_lock(&state.lock);
		state.probes++;
		pthread_mutex_unlock(&state.lock);
		reply_text(r, 200, "probe\n");
	}
	else if (strcmp(url, "/_probes") == 0)
	{
		uint64_t	n;

		pthread_mutex_lock(&state.lock);
		n = state.probes;
		pthread_mutex_unlock(&state.lock);
		reply_text(r, 200, "probes=%" PRIu64 "\n", n);
	}
	else if (strcmp(url, "/_last-body") == 0)
	{
		reply_text(r, 200, "%s", "");
		r->content_type = CT_XML;
		pthread_mutex_lock(&state.lock);
		if (state.last_body)
			buf_append(&r->body, state.last_body, state.last_body_len);
		pthread_mutex_unlock(&state.lock);
	}
	else if (strcmp(url, "/_control/expire-tokens") == 0)
	{
		pthread_mutex_lock(&state.lock);
		state.tokens_expired = state.tokens_issued;
		pthread_mutex_unlock(&state.lock);
		oidc_expire_all();
		reply_text(r, 200, "ok\n");
	}
	else
		reply_text(r, 404, "mock: no control endpoint %s", url);
}

/* Query arguments as "?k=v&...", percent-encoding all but unreserved bytes. */
static enum MHD_Result
query_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	Buf		   *b = cls;
	const char *parts[2] = {key, value ? value : ""};
	int			k;

	buf_puts(b, b->len == 0 ? "?" : "&");
	for (k = 0; k < 2; k++)
	{
		const unsigned char *c;

		if (k == 1)
			buf_puts(b, "=");
		for (c = (const unsigned char *) parts[k]; *c; c++)
		{
			if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
				(*c >= '0' && *c <= '9') || strchr("-._~", *c))
				buf_append(b, c, 1);
			else
				buf_printf(b, "%%%02X", *c);
		}
	}
	return MHD_YES;
}

/* The redirect-* and echo-auth scenarios, for both APIs. */
static void
special_reply(struct MHD_Connection *conn, const Scenario *sc, bool diadoc,
			  const char *op, const Buf *body, Reply *r)
{
	if (sc->kind == SC_REDIRECT_FILE)
	{
		reply_text(r, 302, "mock: moved");
		snprintf(r->location, sizeof(r->location), "file:///etc/passwd");
	}
	else if (sc->kind == SC_REDIRECT_HOST)
	{
		Buf			query = {0};

		/* the same request on the same server under another host name */
		MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, query_arg, &query);
		reply_text(r, 302, "mock: moved");
		snprintf(r->location, sizeof(r->location), "%s://localhost:%d/%s/ok%s%s",
				 use_tls ? "https" : "http", listen_port,
				 diadoc ? "diadoc" : "mercury", op, query.data ? query.data : "");
		free(query.data);
	}
	else
	{
		/* a careless server quoting everything it was sent */
		const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
													MHD_HTTP_HEADER_AUTHORIZATION);
		char	   *user,
				   *password = NULL;

		reply_text(r, 401, "mock: rejected credentials: Authorization=%s", h ? h : "-");
		user = MHD_basic_auth_get_username_password(conn, &password);
		if (user)
			buf_printf(&r->body, " user=%s password=%s", user, password ? password : "-");
		MHD_free(user);
		MHD_free(password);
		if (diadoc && strcmp(op, "/V3/Authenticate") == 0)
		{
			Diadoc__Api__Proto__LoginPassword *lp =
				diadoc__api__proto__login_password__unpack(NULL, body->len,
														   (const uint8_t *) body->data);

			if (lp)
			{
				buf_printf(&r->body, " login=%s password=%s", lp->login, lp->password);
				diadoc__api__proto__login_password__free_unpacked(lp, NULL);
			}
		}
	}
}

/* HTML-escaped s, for the echo-html page. */
static void
buf_html(Buf *b, const char *s)
{
	for (; s && *s; s++)
	{
		if (*s == '<')
			buf_puts(b, "&lt;");
		else if (*s == '>')
			buf_puts(b, "&gt;");
		else if (*s == '&')
			buf_puts(b, "&amp;");
		else
			buf_append(b, s, 1);
	}
}

/* s with the first "<tag>...</tag>" content (or attribute tag="...") replaced. */
static void
buf_splice(Buf *b, const char *open, const char *close, const Buf *with)
{
	char	   *start = b->data ? strstr(b->data, open) : NULL;
	char	   *end;
	Buf			out = {0};

	if (start == NULL)
		return;
	start += strlen(open);
	end = strstr(start, close);
	if (end == NULL)
		return;
	buf_append(&out, b->data, start - b->data);
	buf_append(&out, with->data, with->len);
	buf_append(&out, end, b->len - (end - b->data));
	free(b->data);
	*b = out;
}

static void mercury_page(const Scenario *sc, int64_t count, int64_t offset,
						 int64_t begin, const int64_t *end, Reply *r,
						 int64_t *units, int64_t *total);
static void diadoc_page(const Diadoc__Api__Proto__Docflow__GetDocflowsByPacketIdRequest *req,
						int version, const char *box, const Scenario *sc,
						Reply *r, int *docs, Buf *next);

/*
 * A careless server quoting the credentials it was sent, whatever they are
 * (no authentication check): echo-html is a proxy's debug page (200
 * text/html) showing the request headers; echo-KIND-N puts the secret (the
 * Basic password or the DiadocAuth token) after N bytes of filler at the
 * place KIND names, so that the tests can move it across every cut point.
 */
static void
echo_reply(struct MHD_Connection *conn, const Scenario *sc, bool diadoc,
		   const Buf *body, Reply *r)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
												MHD_HTTP_HEADER_AUTHORIZATION);
	char	   *user,
			   *password = NULL;
	char		token[256] = "";
	const char *secret;
	Buf			text = {0};
	int			k;

	user = MHD_basic_auth_get_username_password(conn, &password);
	if (h && strstr(h, "ddauth_token="))
	{
		const char *t = strstr(h, "ddauth_token=") + 13;

		snprintf(token, sizeof(token), "%.*s", (int) strcspn(t, ", "), t);
	}
	secret = diadoc ? token : (password ? password : "");

	if (sc->kind == SC_ECHO_HTML)
	{
		r->status = 200;
		r->content_type = "text/html; charset=utf-8";
		buf_puts(&r->body, "<!DOCTYPE html>\n<html><head><title>Request echo</title></head>"
				 "<body><h1>Debug: request headers</h1><pre>\nAuthorization: ");
		buf_html(&r->body, h ? h : "-");
		buf_puts(&r->body, "\nuser: ");
		buf_html(&r->body, user ? user : "-");
		buf_puts(&r->body, "\npassword: ");
		buf_html(&r->body, password ? password : "-");
		buf_puts(&r->body, "\ntoken: ");
		buf_html(&r->body, token);
		buf_puts(&r->body, "\n</pre></body></html>\n");
	}
	else if (!diadoc && sc->arg2 == ECHO_FAULT)
	{
		for (k = 0; k < sc->arg; k++)
			buf_puts(&text, "x");
		buf_puts(&text, secret);
		buf_puts(&text, " and more");
		mercury_fault(r, FAULT_INCORRECT, text.data);
	}
	else if (!diadoc)
	{
		Scenario	ok = {SC_OK, 0, 0, "ok", 2};
		int64_t		units,
					total;

		mercury_page(&ok, 1, 0, 0, NULL, r, &units, &total);
		for (k = 0; k < sc->arg; k++)
			buf_puts(&text, "x");
		if (sc->arg2 == ECHO_ATTR)
		{
			buf_puts(&text, secret);
			buf_splice(&r->body, "count=\"", "\"", &text);
		}
		else if (sc->arg2 == ECHO_VALUE)
		{
			buf_puts(&text, secret);
			buf_splice(&r->body, "<bs:uuid>", "</bs:uuid>", &text);
		}
		else
		{
			/* the secret raw, N bytes, a byte XML refuses, N/2 bytes, the secret */
			text.len = 0;
			buf_puts(&text, secret);
			for (k = 0; k < sc->arg; k++)
				buf_puts(&text, "x");
			buf_puts(&text, "\x01");
			for (k = 0; k < sc->arg / 2; k++)
				buf_puts(&text, "y");
			buf_puts(&text, secret);
			buf_splice(&r->body, "<dt:name>", "</dt:name>", &text);
		}
	}
	else
	{
		Diadoc__Api__Proto__Docflow__GetDocflowsByPacketIdRequest *req =
			diadoc__api__proto__docflow__get_docflows_by_packet_id_request__unpack(NULL, body->len,
																		(const uint8_t *) body->data);
		Scenario	ok = {SC_OK, 0, 0, "ok", 2};
		int			docs;
		Buf			next = {0};

		/* the token, N bytes, bytes that are not UTF-8, N/2 bytes, the token */
		buf_puts(&text, secret);
		for (k = 0; k < sc->arg; k++)
			buf_puts(&text, "x");
		buf_puts(&text, "\xff\xfe");
		for (k = 0; k < sc->arg / 2; k++)
			buf_puts(&text, "y");
		buf_puts(&text, secret);
		if (req == NULL)
			reply_text(r, 400, "mock: body is not a GetDocflowsByPacketIdRequest");
		else
		{
			echo_status_text = text.data;
			/* the seed's schema: the echo tests use api_version 'legacy' */
			diadoc_page(req, 0, "box-1", &ok, r, &docs, &next);
			echo_status_text = NULL;
			diadoc__api__proto__docflow__get_docflows_by_packet_id_request__free_unpacked(req, NULL);
		}
		free(next.data);
	}
	free(text.data);
	MHD_free(user);
	MHD_free(password);
}

/*
 * Hostile GetUnitChangesList answers: a document type declaration with an
 * external entity (?target=URL, default file:///etc/hostname), an external
 * parameter entity, the same in UTF-16, or nested entities that expand to
 * 10^9 "lol"s.  None of them may be expanded or fetched by the client.
 */
static void
mercury_hostile(struct MHD_Connection *conn, const Scenario *sc, Reply *r)
{
	const char *target = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "target");
	Buf			doc = {0};
	int			k;

	if (target == NULL || strchr(target, '"') || strchr(target, '%'))
		target = "file:///etc/hostname";
	buf_puts(&doc, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			 "<!DOCTYPE soap:Envelope [\n");
	if (sc->kind == SC_XXE || sc->kind == SC_XXE_UTF16)
		buf_printf(&doc, "  <!ENTITY ext SYSTEM \"%s\">\n", target);
	else if (sc->kind == SC_XXE_PARAM)
		buf_printf(&doc, "  <!ENTITY %% ext SYSTEM \"%s\">\n  %%ext;\n", target);
	else
	{
		buf_puts(&doc, "  <!ENTITY lol0 \"lol\">\n");
		for (k = 1; k <= 9; k++)
		{
			int			j;

			buf_printf(&doc, "  <!ENTITY lol%d \"", k);
			for (j = 0; j < 10; j++)
				buf_printf(&doc, "&lol%d;", k - 1);
			buf_puts(&doc, "\">\n");
		}
	}
	buf_printf(&doc, "]>\n"
			   "<soap:Envelope xmlns:soap=\"" NS_SOAP "\"><soap:Body>"
			   "<ws:getUnitChangesListResponse xmlns:ws=\"" NS_WS_V2 "\" "
			   "xmlns:bs=\"" NS_BS "\" xmlns:dt=\"" NS_DT "\">\n"
			   "<dt:unitList count=\"1\" total=\"1\" offset=\"0\"><dt:unit>"
			   "<bs:uuid>00000000-0000-4000-8000-000000000000</bs:uuid>"
			   "<dt:name>%s</dt:name></dt:unit></dt:unitList>"
			   "</ws:getUnitChangesListResponse></soap:Body></soap:Envelope>\n",
			   sc->kind == SC_LAUGHS ? "&lol9;" :
			   sc->kind == SC_XXE_PARAM ? "plain" : "&ext;");

	r->status = 200;
	r->content_type = CT_XML;
	if (sc->kind == SC_XXE_UTF16)
	{
		size_t		i;

		/* UTF-16LE with a byte order mark; every byte above is ASCII */
		r->content_type = "text/xml; charset=utf-16";
		buf_append(&r->body, "\xff\xfe", 2);
		for (i = 0; i < doc.len; i++)
		{
			buf_append(&r->body, doc.data + i, 1);
			buf_append(&r->body, "", 1);
		}
	}
	else
		buf_append(&r->body, doc.data, doc.len);
	free(doc.data);
}

/*
 * Routes /API/SCENARIO/OPERATION to its handler.  Every API request leaves
 * exactly one log line, the handlers' own or an error line written here.
 */
static void
dispatch(struct MHD_Connection *conn, const char *url, const char *method,
		 Request *req, Reply *r)
{
	const char *api = url + 1,
			   *vetis_path = NULL,
			   *service,
			   *scen,
			   *op,
			   *opname,
			   *error = NULL;
	bool		diadoc,
				known;
	Scenario	sc;
	Buf			log = {0};

	if (strncmp(url, "/_", 2) == 0)
	{
		control(url, r);
		return;
	}
	/* VetIS services at their real path: scenario "ok" */
	if (strncmp(url, "/platform/services/", 19) == 0)
	{
		vetis_path = url;
		api = "mercury/ok";
	}
	scen = strchr(api, '/');
	diadoc = scen && scen - api == 6 && strncmp(api, "diadoc", 6) == 0;
	if (!diadoc && !(scen && scen - api == 7 && strncmp(api, "mercury", 7) == 0))
	{
		reply_text(r, 404, "mock: use /diadoc/SCENARIO/... or /mercury/SCENARIO");
		return;
	}
	scen++;
	op = vetis_path ? vetis_path : scen + strcspn(scen, "/");

	if (!diadoc)
	{
		char	   *copy = malloc(req->body.len + 1);

		if (copy == NULL)
			abort();
		memcpy(copy, req->body.data ? req->body.data : "", req->body.len);
		copy[req->body.len] = '\0';
		pthread_mutex_lock(&state.lock);
		free(state.last_body);
		state.last_body = copy;
		state.last_body_len = req->body.len;
		pthread_mutex_unlock(&state.lock);
	}

	/* counted from here to the answer, latency included */
	pthread_mutex_lock(&state.lock);
	if (++state.inflight > state.max_inflight)
		state.max_inflight = state.inflight;
	pthread_mutex_unlock(&state.lock);

	known = scenario_lookup(scen, vetis_path ? 2 : op - scen, &sc);
	if (known && sc.kind == SC_LATENCY)
	{
		/* a slow network: only this connection's thread waits */
		struct timespec ts = {sc.arg / 1000, (long) (sc.arg % 1000) * 1000000L};

		while (nanosleep(&ts, &ts) != 0)
			;
		sc.kind = SC_OK;
	}

	if (!known)
	{
		reply_text(r, 404, "mock: unknown scenario");
		error = "unknown-scenario";
	}
	else if (req->too_big)
	{
		reply_text(r, 413, "mock: body too large");
		error = "body-too-large";
	}
	else if (sc.kind == SC_ECHO_HTML || sc.kind == SC_ECHO_AT)
	{
		echo_reply(conn, &sc, diadoc, &req->body, r);
		error = "echo";
	}
	else if (sc.kind == SC_REDIRECT_FILE || sc.kind == SC_REDIRECT_HOST ||
			 sc.kind == SC_ECHO_AUTH)
	{
		special_reply(conn, &sc, diadoc, op, &req->body, r);
		error = sc.kind == SC_ECHO_AUTH ? "echo-auth" : "redirected";
	}
	else if (!diadoc && sc.kind >= SC_XXE && sc.kind <= SC_LAUGHS)
	{
		mercury_hostile(conn, &sc, r);
		error = "hostile-xml";
	}
	else if (diadoc && diadoc_docflows_version(op) >= 0)
		diadoc_docflows(conn, method, &sc, op, &req->body, r, &log);
	else if (diadoc && strcmp(op, "/V5/GetDocflowEvents") == 0)
		diadoc_events(conn, method, &sc, &req->body, r, &log);
	else if (diadoc && (strcmp(op, "/V5/SearchDocflows") == 0 ||
						strcmp(op, "/V5/GetDocflows") == 0))
		diadoc_search(conn, method, &sc, op, &req->body, r, &log);
	else if (diadoc && strcmp(op, "/V3/Authenticate") == 0)
		diadoc_authenticate(conn, method, &sc, &req->body, r, &log);
	else if (!diadoc && vetis_route(op, &service))
		mercury_vetis(conn, method, &sc, service, &req->body, r, &log);
	else
	{
		reply_text(r, 404, "mock: unknown operation");
		error = "unknown-operation";
	}

	if (error)
	{
		if (!diadoc)
			opname = "GetUnitChangesList";
		else if (strcmp(op, "/V3/Authenticate") == 0)
			opname = "Authenticate";
		else
			opname = op + (*op == '/');
		buf_puts(&log, diadoc ? "diadoc " : "mercury ");
		buf_word(&log, opname);
		buf_printf(&log, " status=%d error=%s", r->status, error);
	}
	log_add(&log);
	free(log.data);
	pthread_mutex_lock(&state.lock);
	state.inflight--;
	pthread_mutex_unlock(&state.lock);
}

/* Set once main() is shutting down: waits in connection threads end. */
static volatile sig_atomic_t stopping;

/*
 * Sleep up to ms milliseconds; false as soon as the client has closed its
 * end of the connection (or the server is stopping).
 */
static bool
wait_while_connected(struct MHD_Connection *conn, int ms)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	int			waited = 0;

	while (waited < ms && !stopping)
	{
		int			step = ms - waited < 50 ? ms - waited : 50;

		if (ci != NULL)
		{
			struct pollfd pfd = {.fd = ci->connect_fd, .events = POLLIN};
			char		c;

			if (poll(&pfd, 1, step) > 0)
			{
				if (pfd.revents & (POLLHUP | POLLERR))
					return false;
				if ((pfd.revents & POLLIN) &&
					recv(ci->connect_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0)
					return false;
				/* more bytes from the client: not our business, just wait */
				usleep(step * 1000);
			}
		}
		else
			usleep(step * 1000);
		waited += step;
	}
	return !stopping;
}

/* Close with a TCP reset rather than an orderly shutdown. */
static void
abort_connection(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct linger lg = {.l_onoff = 1, .l_linger = 0};

	if (ci != NULL)
		setsockopt(ci->connect_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

#define STREAM_LIMIT	(UINT64_C(1) << 30)

/* A body produced piece by piece: trickle, cut, stream, huge. */
typedef struct Stream
{
	Action		action;
	Buf			body;
} Stream;

static ssize_t
stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	Stream	   *st = cls;
	size_t		n;

	switch (st->action)
	{
		case ACT_TRICKLE:
			if (pos >= st->body.len)
				return MHD_CONTENT_READER_END_OF_STREAM;
			/* the first byte at once, then one a second */
			if (pos > 0)
			{
				int			k;

				for (k = 0; k < 20 && !stopping; k++)
					usleep(50000);
			}
			if (stopping)
				return MHD_CONTENT_READER_END_WITH_ERROR;
			out[0] = st->body.data[pos];
			return 1;
		case ACT_CUT:
			/* half the body, then the connection goes away */
			if (pos >= st->body.len / 2)
				return MHD_CONTENT_READER_END_WITH_ERROR;
			n = st->body.len / 2 - pos;
			n = n < max ? n : max;
			memcpy(out, st->body.data + pos, n);
			return n;
		default:
			/* stream, huge: filler up to 1 GiB */
			if (pos >= STREAM_LIMIT || stopping)
				return MHD_CONTENT_READER_END_OF_STREAM;
			n = STREAM_LIMIT - pos < max ? STREAM_LIMIT - pos : max;
			memset(out, 'x', n);
			return n;
	}
}

static void
stream_free(void *cls)
{
	Stream	   *st = cls;

	free(st->body.data);
	free(st);
}

/* A response that sends r's body as r->action says; takes the body. */
static struct MHD_Response *
stream_response(Reply *r)
{
	Stream	   *st = calloc(1, sizeof(Stream));
	uint64_t	size;
	struct MHD_Response *resp;

	if (st == NULL)
		return NULL;
	st->action = r->action;
	st->body = r->body;
	memset(&r->body, 0, sizeof(Buf));
	if (r->action == ACT_STREAM)
		size = MHD_SIZE_UNKNOWN;	/* chunked */
	else if (r->action == ACT_HUGE)
		size = STREAM_LIMIT;
	else
		size = st->body.len;
	resp = MHD_create_response_from_callback(size, 65536, stream_read, st, stream_free);
	if (resp == NULL)
		stream_free(st);
	return resp;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
		   const char *method, const char *version, const char *upload_data,
		   size_t *upload_data_size, void **con_cls)
{
	Request    *req = *con_cls;
	Reply		r = {0};
	struct MHD_Response *resp;
	enum MHD_Result ret;
	bool		precompressed;
	const char *encoding = NULL;

	/* first call: headers only */
	if (req == NULL)
	{
		req = calloc(1, sizeof(Request));
		if (req == NULL)
			return MHD_NO;
		*con_cls = req;
		return MHD_YES;
	}
	/* body chunks */
	if (*upload_data_size > 0)
	{
		if (req->body.len + *upload_data_size > MAX_BODY)
			req->too_big = true;
		else
			buf_append(&req->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}

	if (!extra_dispatch(conn, url, method, req, &r, &precompressed))
		dispatch(conn, url, method, req, &r);
	if (r.action == ACT_NORMAL && strncmp(url, "/_", 2) != 0)
	{
		size_t		size = precompressed ? BOMB_SIZE : r.body.len;

		encoding = precompressed ? "gzip" : compress_reply(conn, &r);
		header_log(conn, url, encoding, size, r.body.len);
	}

	if (r.delay_ms > 0 && !wait_while_connected(conn, r.delay_ms))
	{
		free(r.body.data);
		return MHD_NO;
	}
	switch (r.action)
	{
		case ACT_RESET:
			abort_connection(conn);
			free(r.body.data);
			return MHD_NO;
		case ACT_HANG:
			/* until the client gives up (or ten minutes pass) */
			wait_while_connected(conn, 600000);
			abort_connection(conn);
			free(r.body.data);
			return MHD_NO;
		case ACT_NORMAL:
			if (r.body.data)
				resp = MHD_create_response_from_buffer(r.body.len, r.body.data,
													   MHD_RESPMEM_MUST_FREE);
			else
				resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
			break;
		default:
			/* the stream takes the body */
			resp = stream_response(&r);
			break;
	}
	if (resp == NULL)
	{
		free(r.body.data);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r.content_type);
	if (encoding)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, encoding);
	if (r.location[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, r.location);
	if (r.retry_after[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, r.retry_after);
	if (r.basic_challenge)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"mock\"");
	if (r.location[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, r.location);
	ret = MHD_queue_response(conn, r.status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	Request    *req = *con_cls;

	if (req)
	{
		free(req->body.data);
		free(req);
		*con_cls = NULL;
	}
}

static void
on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
	{
		pthread_mutex_lock(&state.lock);
		state.connections++;
		pthread_mutex_unlock(&state.lock);
	}
}

/*
 * A listening socket with a backlog of zero that is never accepted from,
 * its queue filled by one connection of our own: the kernel drops further
 * SYNs, so a client's connect neither succeeds nor fails until it times out.
 */
static void
open_blackhole(void)
{
	struct sockaddr_in addr;
	socklen_t	alen = sizeof(addr);
	int			lfd = socket(AF_INET, SOCK_STREAM, 0),
				cfd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || cfd < 0 ||
		bind(lfd, (struct sockaddr *) &addr, sizeof(addr)) != 0 ||
		listen(lfd, 0) != 0 ||
		getsockname(lfd, (struct sockaddr *) &addr, &alen) != 0 ||
		connect(cfd, (struct sockaddr *) &addr, sizeof(addr)) != 0)
	{
		fprintf(stderr, "mock_api: could not set up the blackhole port\n");
		return;
	}
	/* both stay open until the process exits */
	blackhole_port = ntohs(addr.sin_port);
}

static void
usage(void)
{
	fprintf(stderr,
			"usage: mock_api --port PORT [--units M] [--max-docs N] [--fixture-dir DIR]\n"
			"                [--token T] [--login L] [--password P]\n"
			"                [--access-token A] [--client-secret S] [--refresh-token R]\n"
			"                [--issued-prefix X] [--no-compress 1] [--log-times 1]\n"
			"                [--tls-cert FILE --tls-key FILE]\n"
			"  --port 0 picks a free port; the port is printed as port=NNNN\n");
	exit(2);
}

/* A whole file as a NUL-terminated string (the TLS PEM files). */
static char *
read_file(const char *path)
{
	FILE	   *f = fopen(path, "rb");
	Buf			b = {0};
	char		chunk[4096];
	size_t		n;

	if (f == NULL)
	{
		fprintf(stderr, "mock_api: cannot read %s\n", path);
		exit(2);
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	return b.data ? b.data : strdup("");
}

static int64_t
arg_number(const char *s, int64_t max)
{
	int64_t		v = parse_count(s);

	if (v < 0 || v > max)
	{
		fprintf(stderr, "mock_api: invalid number \"%s\"\n", s);
		usage();
	}
	return v;
}

int
main(int argc, char **argv)
{
	int			port = 0;
	int			k;
	sigset_t	sigs;
	int			sig;
	struct sockaddr_in addr;
	struct MHD_Daemon *daemon;
	const union MHD_DaemonInfo *info;
	char	   *tls_cert = NULL;
	char	   *tls_key = NULL;

	for (k = 1; k < argc; k++)
	{
		if (k + 1 >= argc)
			usage();
		if (strcmp(argv[k], "--port") == 0)
			port = (int) arg_number(argv[++k], 65535);
		else if (strcmp(argv[k], "--units") == 0)
			n_units = arg_number(argv[++k], INT64_C(1000000000));
		else if (strcmp(argv[k], "--max-docs") == 0)
			max_docs = arg_number(argv[++k], INT64_C(1000000000));
		else if (strcmp(argv[k], "--vetis-seed") == 0)
			vetis_seed = (uint64_t) arg_number(argv[++k], INT64_C(1000000000));
		else if (strcmp(argv[k], "--fixture-dir") == 0)
			fixture_dir = argv[++k];
		else if (strcmp(argv[k], "--token") == 0)
			cred_token = argv[++k];
		else if (strcmp(argv[k], "--login") == 0)
		{
			cred_login = argv[++k];
			custom_login = true;
		}
		else if (strcmp(argv[k], "--password") == 0)
			cred_password = argv[++k];
		else if (strcmp(argv[k], "--access-token") == 0)
			cred_access = argv[++k];
		else if (strcmp(argv[k], "--client-secret") == 0)
			cred_client_secret = argv[++k];
		else if (strcmp(argv[k], "--refresh-token") == 0)
			cred_refresh = argv[++k];
		else if (strcmp(argv[k], "--issued-prefix") == 0)
			issued_prefix = argv[++k];
		else if (strcmp(argv[k], "--no-compress") == 0 && argv[++k])
			no_compress = strcmp(argv[k], "1") == 0;
		else if (strcmp(argv[k], "--log-times") == 0 && argv[++k])
			log_times = strcmp(argv[k], "1") == 0;
		else if (strcmp(argv[k], "--tls-cert") == 0)
			tls_cert = read_file(argv[++k]);
		else if (strcmp(argv[k], "--tls-key") == 0)
			tls_key = read_file(argv[++k]);
		else
			usage();
	}
	if ((tls_cert == NULL) != (tls_key == NULL))
		usage();
	use_tls = tls_cert != NULL;

	/*
	 * Block the stop signals before any thread exists, so every thread
	 * inherits the mask and main() alone receives them in sigwait().
	 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	xmlInitParser();
	vetis_init();
	state.log = calloc(LOG_CAP, sizeof(char *));
	if (state.log == NULL)
		abort();

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t) port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	open_blackhole();

	/* with TLS, the certificate options come first; else they end the list */
	daemon = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION |
							  MHD_USE_INTERNAL_POLLING_THREAD |
							  MHD_USE_AUTO | MHD_USE_ERROR_LOG |
							  (use_tls ? MHD_USE_TLS : 0),
							  (uint16_t) port, NULL, NULL, on_request, NULL,
							  MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
							  MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
							  MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
							  MHD_OPTION_CONNECTION_LIMIT, (unsigned int) 1000,
							  MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int) 1,
							  use_tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
							  tls_cert,
							  MHD_OPTION_HTTPS_MEM_KEY, tls_key,
							  MHD_OPTION_END);
	if (daemon == NULL)
	{
		fprintf(stderr, "mock_api: could not listen on 127.0.0.1:%d\n", port);
		return 1;
	}
	info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
	listen_port = info ? (int) info->port : port;
	printf("port=%u\n", (unsigned) listen_port);
	fflush(stdout);

	sigwait(&sigs, &sig);

	stopping = 1;
	MHD_stop_daemon(daemon);
	for (; state.log_count > 0; state.log_count--)
	{
		free(state.log[state.log_head]);
		state.log_head = (state.log_head + 1) % LOG_CAP;
	}
	free(state.log);
	free(state.last_body);
	free(tls_cert);
	free(tls_key);
	xmlCleanupParser();
	return 0;
}
