/*
 * mock_search.h
 *		SearchDocflows and GetDocflows (V5) over the mock's generated box
 *		(mock_box.h).  test/mock_api/PROTOCOL.md ("Search and documents by
 *		id") has the rules.
 */
#ifndef MOCK_SEARCH_H
#define MOCK_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "mock_box.h"

/* How an answer misbehaves (from the scenario, see mock_api.c). */
typedef enum SearchBad
{
	SEARCH_BAD_NONE,
	SEARCH_BAD_EMPTY_MORE,		/* empty-pages: no documents, "more" forever */
	SEARCH_BAD_GROW,			/* grow: the box grows with FirstIndex */
	SEARCH_BAD_MISSING,			/* missing-required: HaveMoreDocuments or
								 * DocumentId left out */
	SEARCH_BAD_EXTRA,			/* extra-docs: more documents than asked for,
								 * or one not asked for */
	SEARCH_BAD_TWICE			/* loop: GetDocflows answers a document twice */
} SearchBad;

/*
 * POST …/V5/SearchDocflows?boxId=BOX and POST …/V5/GetDocflows?boxId=BOX,
 * after the mock's method, authentication and box checks.  Write the log
 * line's fields (after "diadoc V5/<op> box=BOX ") into log, status
 * included.
 */
extern void search_docflows_answer(const uint8_t *body, size_t len,
								   const char *box, int horizon, SearchBad bad,
								   BoxReply *r, char *log, size_t logsize);
extern void get_docflows_answer(const uint8_t *body, size_t len,
								const char *box, int horizon, SearchBad bad,
								BoxReply *r, char *log, size_t logsize);

#endif							/* MOCK_SEARCH_H */
