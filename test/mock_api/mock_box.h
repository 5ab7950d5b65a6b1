/*
 * mock_box.h
 *		The mock's generated Diadoc box: documents whose state changes with
 *		every event, and the event feed (GetDocflowEvents V5) over them.
 *		test/mock_api/PROTOCOL.md ("Generated box") has the formulas.
 *
 * Everything is a pure function of (event number, box id): no state, so
 * any thread may call anything.  The box "at horizon h" is the box after
 * its first h events (0 < h <= BOX_NEVENTS): the scenario box-h, or
 * BOX_NEVENTS for every other scenario.  A document exists at horizon h
 * when one of its events is below h; its current state is the state after
 * the last such event.
 *
 * Other endpoints over the same box (SearchDocflows, GetDocflows) enumerate
 * the documents with box_doc_state() and encode them with box_doc_v5().
 */
#ifndef MOCK_BOX_H
#define MOCK_BOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BOX_NDOCS		30		/* documents d = 0 .. BOX_NDOCS-1 */
#define BOX_NEVENTS		100		/* events k = 0 .. BOX_NEVENTS-1, in time order */
#define BOX_KEY_LEN		9		/* bytes of an event's IndexKey */
#define BOX_ID_MAX		32		/* every generated id fits (with its NUL) */

/* One document's state after one of its events. */
typedef struct BoxDoc
{
	int			doc;			/* d */
	int			event;			/* k: the event this state is after */
	int			version;		/* 0 for the document's first event, then 1, 2, ... */
	char		message_id[BOX_ID_MAX];	/* bmsg-<d div 2> */
	char		entity_id[BOX_ID_MAX];	/* bent-<d> */
	char		event_id[BOX_ID_MAX];	/* bevt-<k> (LastEvent.EventId) */
	int64_t		ticks;			/* LastEvent.Timestamp: box_event_ticks(k) */
	const char *type_named_id;	/* FullVersion.TypeNamedId */
	int			direction;		/* DocumentDirection: 1 Inbound, 2 Outbound, 3 Internal */
	int			message_type;	/* Documents.MessageType: 1 Letter, 2 Draft */
	const char *department_id;	/* DocumentInfo.DepartmentId */
	char		counteragent[BOX_ID_MAX];	/* box-cp-<d mod 5> */
	char		document_number[BOX_ID_MAX];	/* Metadata DocumentNumber B-<d> */
	char		custom_document_id[BOX_ID_MAX]; /* bcustom-<d> */
	bool		is_read;
	bool		is_deleted;
	char		status[64];		/* PrimaryStatus.StatusText (UTF-8) */
} BoxDoc;

/* The feed: event k's document, timestamp (.NET ticks) and IndexKey. */
extern int	box_event_doc(int k);
extern int64_t box_event_ticks(int k);
extern void box_event_key(int k, uint8_t key[BOX_KEY_LEN]);

/* The event an IndexKey names, or -1 when it is not one of the box's keys. */
extern int	box_key_event(const uint8_t *key, size_t len);

/* The state of event k's document after event k. */
extern void box_event_state(int k, BoxDoc *out);

/*
 * Document d's current state at horizon h; false (out untouched) when the
 * document does not exist yet at h.
 */
extern bool box_doc_state(int d, int horizon, BoxDoc *out);

/* The document with these ids, or -1. */
extern int	box_find_doc(const char *message_id, const char *entity_id);

/*
 * A state as a DocumentWithDocflowV5 for the box "box" (the request's
 * boxId: participants' IsCurrentBox), with fields the FDW's subset does not
 * declare.  Returns a malloc'd buffer and its length in *len.
 */
extern uint8_t *box_doc_v5(const BoxDoc *s, const char *box, size_t *len);

/* What an endpoint of the box answers (mock_api.c turns it into a Reply). */
typedef struct BoxReply
{
	int			status;			/* HTTP status */
	bool		text;			/* body is text/plain (an error), else protobuf */
	uint8_t    *body;			/* malloc'd */
	size_t		len;
} BoxReply;

/* Ways the event feed can misbehave (scenarios, PROTOCOL.md). */
typedef enum BoxBad
{
	BOX_BAD_NONE,
	BOX_BAD_NO_KEY,				/* missing-required: last event of a page has no IndexKey */
	BOX_BAD_NO_DOCUMENT,		/* no-document: events of documents d mod 10 == 3 carry no Document */
	BOX_BAD_UNSORTED			/* unsorted: SortDirection ignored, always ascending */
} BoxBad;

/*
 * POST …/V5/GetDocflowEvents?boxId=BOX, after the mock's method,
 * authentication and box checks.  Appends the log line's fields (after
 * "diadoc V5/GetDocflowEvents box=BOX ") to log (NUL-terminated, at most
 * logsize bytes), status included.
 */
extern void box_events_answer(const uint8_t *body, size_t len, const char *box,
							  int horizon, BoxBad bad, BoxReply *r,
							  char *log, size_t logsize);

#endif							/* MOCK_BOX_H */
