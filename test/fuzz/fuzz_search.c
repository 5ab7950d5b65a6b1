/*-------------------------------------------------------------------------
 * fuzz_search.c
 *		libFuzzer target: SearchDocflows and GetDocflows answers through the
 *		resources search and documents (src/diadoc_search.c: their page
 *		decoders, the checks of a GetDocflows answer against its batch, and
 *		every column of the V5 documents).  See fuzz_page.h for the input.
 *
 * Variant bit 0: 0 search (query 'B-1'), 1 documents (message_id IN
 * bmsg-0 .. bmsg-4, entity_id IN bent-0 .. bent-9: one batch of 50 ids).
 * Bit 1: search with scope 'incoming' instead of none.  Always the first
 * page: a later page's key is the resource's own (its FirstIndex), which
 * the driver's made-up key is not.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "fuzz_page.h"
#include "pg_shim.h"

static PushedValue *
pushed(int colno, int n, const char *fmt)
{
	PushedValue *pv = palloc0(sizeof(PushedValue));
	int			i;

	pv->colno = colno;
	pv->op = n == 1 ? PAGED_OP_EQ : PAGED_OP_IN;
	pv->nvalues = n;
	pv->values = palloc(sizeof(Datum) * n);
	for (i = 0; i < n; i++)
		pv->values[i] = CStringGetTextDatum(n == 1 ? fmt : psprintf(fmt, i));
	return pv;
}

static void
prepare(FuzzSetup *setup, int variant)
{
	bool		documents = (variant & 1) != 0;

	setup->res = documents ? &diadoc_documents_resource : &diadoc_search_resource;
	setup->opts.api = "diadoc";
	setup->opts.url = "https://diadoc.example/api/";
	setup->opts.resource = documents ? "documents" : "search";
	setup->opts.box_id = "box-1";
	setup->opts.client_id = "SEKRIT-FUZZ-CLIENT";
	setup->opts.umid = 1;
	setup->opts.token = "SEKRIT-FUZZ-TOKEN";
	setup->secrets[0] = "SEKRIT-FUZZ-TOKEN";
	setup->secrets[1] = "SEKRIT-FUZZ-CLIENT";
	setup->page_no = 0;

	/* column numbers: box_id 0, then query 1, scope 2 / message_id 1, entity_id 2 */
	if (documents)
		setup->pushed = list_make2(pushed(1, 5, "bmsg-%d"), pushed(2, 10, "bent-%d"));
	else if (variant & 2)
		setup->pushed = list_make2(pushed(1, 1, "B-1"), pushed(2, 1, "incoming"));
	else
		setup->pushed = list_make1(pushed(1, 1, "B-1"));
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_page(prepare, data, size);
}
