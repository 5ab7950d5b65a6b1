/*-------------------------------------------------------------------------
 * fuzz_page.c
 *		The driver behind fuzz_diadoc and fuzz_mercury: build the request
 *		for a page, hand an arbitrary answer to parse_page, and convert
 *		every column of every record it returns.
 *
 * An ERROR is an expected outcome for a hostile answer; what must never
 * happen is a crash, a sanitizer report, a leak, a secret in a message,
 * invalidly encoded text or an out-of-range timestamp in a Datum, or a
 * request to libxml2's external entity loader.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "mb/pg_wchar.h"
#include "utils/date.h"
#include "utils/timestamp.h"

#include "fuzz_page.h"
#include "pg_shim.h"

static const long fuzz_statuses[8] = {200, 200, 200, 200, 200, 500, 401, 403};

/* bytes of Datums are added here so that reading them is not optimized away */
volatile unsigned char fuzz_sink;

/* abort() unless a Datum the resource produced is sound for its type. */
static void
fuzz_check_datum(const ResourceColumn *col, Datum v)
{
	switch (col->typid)
	{
		case TEXTOID:
			shim_check_text(v, col->name);
			break;
		case TIMESTAMPTZOID:
			if (!IS_VALID_TIMESTAMP(DatumGetTimestampTz(v)))
			{
				fprintf(stderr, "fuzz: column %s: timestamp out of range\n", col->name);
				abort();
			}
			break;
		case DATEOID:
			if (!IS_VALID_DATE(DatumGetDateADT(v)))
			{
				fprintf(stderr, "fuzz: column %s: date out of range\n", col->name);
				abort();
			}
			break;
		case BOOLOID:
			if (v != 0 && v != 1)
				abort();
			break;
		case INT4OID:
			fuzz_sink += (unsigned char) DatumGetInt32(v);
			break;
		case UUIDOID:
			{
				const unsigned char *p = (const unsigned char *) DatumGetPointer(v);
				int			i;

				for (i = 0; i < 16; i++)
					fuzz_sink += p[i];
			}
			break;
		default:
			{
				/* varlena: read all of it */
				const char *p = DatumGetPointer(v);
				Size		len = VARSIZE_ANY(p);
				Size		i;

				if (len < VARHDRSZ_SHORT)
					abort();
				for (i = 0; i < len; i++)
					fuzz_sink += (unsigned char) p[i];
			}
			break;
	}
}

/* One record; false if it raised an ERROR (a bad value: allowed). */
static bool
fuzz_row(const PagedResource *res, ResourceCtx *ctx, ResourceStream *stream,
		 void *records, int index, const bool *want, Datum *values,
		 bool *nulls)
{
	sigjmp_buf	jb;
	sigjmp_buf *volatile save = PG_exception_stack;
	ErrorContextCallback *volatile save_ctx = error_context_stack;
	volatile bool ok = true;
	int			col;

	if (sigsetjmp(jb, 0) == 0)
	{
		PG_exception_stack = &jb;
		memset(nulls, true, sizeof(bool) * res->ncolumns);
		res->fill_row(ctx, stream, records, index, want, values, nulls);
		for (col = 0; col < res->ncolumns; col++)
			if (!nulls[col])
				fuzz_check_datum(&res->columns[col], values[col]);
	}
	else
		ok = false;
	PG_exception_stack = save;
	error_context_stack = save_ctx;
	return ok;
}

static void
fuzz_run(FuzzPrepare prepare, const uint8_t *data, size_t size)
{
	FuzzSetup	setup;
	const PagedResource *res;
	ResourceCtx ctx;
	List	   *streams;
	ResourceStream *stream;
	PageCursor	cursor;
	HttpRequest req;
	HttpResponse resp;
	PageResult	out;
	PageVerdict verdict;
	uint8_t		flags = data[0];
	char	   *body;
	bool	   *want;
	Datum	   *values;
	bool	   *nulls;
	int			i;

	memset(&setup, 0, sizeof(setup));
	prepare(&setup, flags >> 4);
	res = setup.res;

	memset(&ctx, 0, sizeof(ctx));
	ctx.opts = &setup.opts;
	ctx.scan_cxt = CurrentMemoryContext;
	ctx.page_size = setup.opts.page_size > 0 ?
		setup.opts.page_size : res->default_page_size;
	if (res->check_options)
		res->check_options(&setup.opts);
	if (res->begin)
		res->begin(&ctx);
	streams = res->make_streams(&ctx, setup.pushed);
	if (streams == NIL)
		abort();				/* the targets push conditions that match */
	stream = (ResourceStream *) linitial(streams);

	memset(&cursor, 0, sizeof(cursor));
	cursor.page_no = setup.page_no;
	cursor.count = ctx.page_size;
	cursor.offset = (int64) setup.page_no * ctx.page_size;
	if (setup.page_no > 0 && res->paging == PAGING_KEY)
	{
		cursor.key = pstrdup("previous-key");
		cursor.keylen = strlen(cursor.key);
	}
	memset(&req, 0, sizeof(req));
	res->build_request(&ctx, stream, &cursor, &req);

	/* the answer, in a buffer of its exact size as curl's would be */
	body = palloc(size);
	memcpy(body, data + 1, size - 1);
	body[size - 1] = '\0';
	memset(&resp, 0, sizeof(resp));
	resp.outcome = HTTP_COMPLETED;
	resp.status = fuzz_statuses[flags & 7];
	resp.body = body;
	resp.len = size - 1;
	resp.retry_after = -1;

	memset(&out, 0, sizeof(out));
	shim_secrets = setup.secrets;
	shim_input = body;
	shim_input_len = size - 1;
	verdict = res->parse_page(&ctx, stream, &cursor, &req, &resp, &out);
	if (verdict != PAGE_OK)
		return;

	/* what the pager relies on */
	if (out.nrecords < 0 || (out.nrecords > 0 && out.records == NULL) ||
		(out.has_next && res->paging == PAGING_KEY && out.next_key == NULL) ||
		out.next_keylen < 0 ||
		out.total < -1)
	{
		fprintf(stderr, "fuzz: inconsistent PageResult\n");
		abort();
	}

	/*
	 * A page that does not keep the body must not need it: the pager frees
	 * it now (ASan sees any later use).  The secrets check goes on reading
	 * a copy.
	 */
	if (!out.keeps_body)
	{
		char	   *copy = palloc(size);

		memcpy(copy, body, size);	/* protobuf: zero bytes included */
		shim_input = copy;
		pfree(body);
	}

	/*
	 * Every column of every record.  A value that does not convert is an
	 * ERROR quoting it, with the secrets redacted like any remote text
	 * (README, Security): checked too.
	 */
	want = palloc(sizeof(bool) * res->ncolumns);
	values = palloc0(sizeof(Datum) * res->ncolumns);
	nulls = palloc(sizeof(bool) * res->ncolumns);
	memset(want, true, sizeof(bool) * res->ncolumns);
	for (i = 0; i < out.nrecords; i++)
		(void) fuzz_row(res, &ctx, stream, out.records, i, want, values, nulls);
}

int
fuzz_page(FuzzPrepare prepare, const uint8_t *data, size_t size)
{
	sigjmp_buf	jb;

	if (size < 1)
		return 0;

	shim_set_database_encoding((data[0] & 0x08) ? PG_LATIN1 : PG_UTF8);
	shim_entity_loads = 0;
	if (sigsetjmp(jb, 0) == 0)
	{
		PG_exception_stack = &jb;
		fuzz_run(prepare, data, size);
	}
	PG_exception_stack = NULL;
	error_context_stack = NULL;
	shim_secrets = NULL;
	shim_input = NULL;
	shim_reset();

	if (shim_entity_loads != 0)
	{
		fprintf(stderr, "fuzz: libxml2 asked for an external entity\n");
		abort();
	}
	return 0;
}
