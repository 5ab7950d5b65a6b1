/*-------------------------------------------------------------------------
 * fuzz_mercury.c
 *		libFuzzer target: GetUnitChangesList answers (SOAP 1.1) through the
 *		unit_changes resource: the prolog check, libxml2's streaming reader,
 *		faults, and the strict xs: converters of every column.  See
 *		fuzz_page.h for the input.
 *
 * Variant bit 0: the answer is for the second page (offset = page size),
 * where an offsetOutOfRangeFault ends the list instead of failing.
 * Variant bits 1-3: the VetIS operation (fuzz_ops below; 0 is unit_changes),
 * so nested items, jsonb columns, keys and plain lists are fuzzed too.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "fuzz_page.h"
#include "vetis.h"
#include "pg_shim.h"

/* seeds: test/fuzz/run.sh gives each its answers, flags (k << 5) */
static const char *const fuzz_ops[8] = {
	"unit_changes", "business_entity_changes", "product_item_changes",
	"russian_enterprise_changes", "countries", "regions_by_country",
	"activity_locations", "street_changes"
};

static void
prepare(FuzzSetup *setup, int variant)
{
	PushedValue *pv = palloc0(sizeof(PushedValue));
	const VetisOp *op = vetis_find_op(fuzz_ops[(variant >> 1) & 7]);

	setup->res = op->res;
	setup->opts.api = "mercury";
	setup->opts.url = op->kind == VK_CHANGES && strcmp(op->service, "DictionaryService") == 0 ?
		"https://mercury.example/DictionaryService" :
		"https://mercury.example/platform/services/2.1";
	setup->opts.resource = (char *) op->resource;
	setup->opts.user = "fuzz-user";
	setup->opts.password = "SEKRIT\\FUZZ-PASSWORD";
	setup->secrets[0] = "SEKRIT\\FUZZ-PASSWORD";
	/* base64 of "fuzz-user:SEKRIT\FUZZ-PASSWORD", the Basic header's */
	setup->secrets[1] = "ZnV6ei11c2VyOlNFS1JJVFxGVVpaLVBBU1NXT1JE";
	setup->opts.page_size = 100;
	setup->page_no = (variant & 1) ? 1 : 0;

	pv->op = PAGED_OP_EQ;
	pv->nvalues = 1;
	pv->values = palloc(sizeof(Datum));
	if (op->kind == VK_CHANGES)
	{
		pv->colno = op->col_begin;	/* begin_date = 2024-01-01 00:00:00+00 */
		pv->values[0] = TimestampTzGetDatum((TimestampTz) 8766 * USECS_PER_DAY);
		setup->pushed = list_make1(pv);
	}
	else if (op->kind == VK_KEYED)
	{
		pg_uuid_t  *u = palloc0(sizeof(pg_uuid_t));

		u->data[6] = 0x40;
		u->data[15] = 0x2a;
		pv->colno = op->col_key;
		pv->values[0] = UUIDPGetDatum(u);
		setup->pushed = list_make1(pv);
	}
	else
		setup->pushed = NIL;
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_page(prepare, data, size);
}
