/*-------------------------------------------------------------------------
 * fuzz_diadoc.c
 *		libFuzzer target: GetDocflowsByPacketId answers through the
 *		docflows_by_packet resource (protobuf-c decoding, every column
 *		including the jsonb document).  See fuzz_page.h for the input.
 *
 * Variant bit: the page is not the first one of its packet (the request
 * carries an AfterIndexKey).  The user mapping has a token: with login and
 * password, building the request would call Authenticate over the network.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "fuzz_page.h"
#include "pg_shim.h"

static void
prepare(FuzzSetup *setup, bool variant)
{
	PushedValue *pv = palloc0(sizeof(PushedValue));

	setup->res = &diadoc_docflows_resource;
	setup->opts.api = "diadoc";
	setup->opts.url = "https://diadoc.example/api/";
	setup->opts.resource = "docflows_by_packet";
	setup->opts.box_id = "box-1";
	setup->opts.client_id = "SEKRIT-FUZZ-CLIENT";
	setup->opts.umid = 1;
	setup->opts.token = "SEKRIT-FUZZ-TOKEN";
	setup->secrets[0] = "SEKRIT-FUZZ-TOKEN";
	setup->secrets[1] = "SEKRIT-FUZZ-CLIENT";
	setup->page_no = variant ? 1 : 0;

	pv->colno = 1;				/* packet_id */
	pv->op = PAGED_OP_EQ;
	pv->nvalues = 1;
	pv->values = palloc(sizeof(Datum));
	pv->values[0] = CStringGetTextDatum("p1");
	setup->pushed = list_make1(pv);
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_page(prepare, data, size);
}
