/*-------------------------------------------------------------------------
 * fuzz_events.c
 *		libFuzzer target: GetDocflowEvents (V5) answers through the
 *		docflow_events resource (the events page decoder, the paging
 *		checks and every column, the documents through the V5 schema of
 *		diadoc_docs.c).  See fuzz_page.h for the input.
 *
 * Variant bit 0: the page is not the first one of the feed (the request
 * carries an AfterIndexKey).  Bit 1: the scan also filters on direction
 * and document_type (the request's list filters are built).  The user
 * mapping has a token, as in fuzz_diadoc.c.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "fuzz_page.h"
#include "pg_shim.h"

/* column numbers of diadoc_events.c: event_at, then the document block */
#define FUZZ_EV_EVENT_AT	1
#define FUZZ_EV_DOC_FIRST	4

static PushedValue *
fuzz_text_in(int colno, const char *a, const char *b)
{
	PushedValue *pv = palloc0(sizeof(PushedValue));

	pv->colno = colno;
	pv->op = PAGED_OP_IN;
	pv->nvalues = 2;
	pv->values = palloc(sizeof(Datum) * 2);
	pv->values[0] = CStringGetTextDatum(a);
	pv->values[1] = CStringGetTextDatum(b);
	return pv;
}

static void
prepare(FuzzSetup *setup, int variant)
{
	PushedValue *pv = palloc0(sizeof(PushedValue));

	setup->res = &diadoc_events_resource;
	setup->opts.api = "diadoc";
	setup->opts.url = "https://diadoc.example/api/";
	setup->opts.resource = "docflow_events";
	setup->opts.box_id = "box-1";
	setup->opts.client_id = "SEKRIT-FUZZ-CLIENT";
	setup->opts.umid = 1;
	setup->opts.token = "SEKRIT-FUZZ-TOKEN";
	setup->secrets[0] = "SEKRIT-FUZZ-TOKEN";
	setup->secrets[1] = "SEKRIT-FUZZ-CLIENT";
	setup->page_no = (variant & 1) ? 1 : 0;

	/* event_at >= 2025-01-01 00:00:00+00 */
	pv->colno = FUZZ_EV_EVENT_AT;
	pv->op = PAGED_OP_GE;
	pv->nvalues = 1;
	pv->values = palloc(sizeof(Datum));
	pv->values[0] = TimestampTzGetDatum((TimestampTz) INT64CONST(788918400000000));
	setup->pushed = list_make1(pv);
	if (variant & 2)
	{
		/* direction (DDOC 5) and document_type (DDOC 4) */
		setup->pushed = lappend(setup->pushed,
								fuzz_text_in(FUZZ_EV_DOC_FIRST + 5, "Inbound", "Outbound"));
		setup->pushed = lappend(setup->pushed,
								fuzz_text_in(FUZZ_EV_DOC_FIRST + 4, "Invoice",
											 "UniversalTransferDocument"));
	}
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_page(prepare, data, size);
}
