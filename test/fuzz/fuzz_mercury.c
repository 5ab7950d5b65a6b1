/*-------------------------------------------------------------------------
 * fuzz_mercury.c
 *		libFuzzer target: GetUnitChangesList answers (SOAP 1.1) through the
 *		unit_changes resource: the prolog check, libxml2's streaming reader,
 *		faults, and the strict xs: converters of every column.  See
 *		fuzz_page.h for the input.
 *
 * Variant bit: the answer is for the second page (offset = page size),
 * where an offsetOutOfRangeFault ends the list instead of failing.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/timestamp.h"

#include "fuzz_page.h"
#include "vetis.h"
#include "pg_shim.h"

static void
prepare(FuzzSetup *setup, int variant)
{
	PushedValue *pv = palloc0(sizeof(PushedValue));

	setup->res = &mercury_unit_changes_resource;
	setup->opts.api = "mercury";
	setup->opts.url = "https://mercury.example/DictionaryService";
	setup->opts.resource = "unit_changes";
	setup->opts.user = "fuzz-user";
	setup->opts.password = "SEKRIT\\FUZZ-PASSWORD";
	setup->secrets[0] = "SEKRIT\\FUZZ-PASSWORD";
	/* base64 of "fuzz-user:SEKRIT\FUZZ-PASSWORD", the Basic header's */
	setup->secrets[1] = "ZnV6ei11c2VyOlNFS1JJVFxGVVpaLVBBU1NXT1JE";
	setup->opts.page_size = 100;
	setup->page_no = (variant & 1) ? 1 : 0;

	pv->colno = 13;				/* begin_date = 2024-01-01 00:00:00+00 */
	pv->op = PAGED_OP_EQ;
	pv->nvalues = 1;
	pv->values = palloc(sizeof(Datum));
	pv->values[0] = TimestampTzGetDatum((TimestampTz) 8766 * USECS_PER_DAY);
	setup->pushed = list_make1(pv);
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_page(prepare, data, size);
}
