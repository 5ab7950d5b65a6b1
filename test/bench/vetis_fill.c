/*-------------------------------------------------------------------------
 * vetis_fill.c
 *		Microbenchmark of the VetIS per-row work outside PostgreSQL's
 *		executor: one saved answer page read by mercury_parse_xml (the
 *		fast scanner and mercury.c's callbacks), then every scalar column
 *		of every unit converted by vetis_fill_row, PASSES times.
 *
 * src/mercury.c is included (as test/fuzz/unit_mercury.c does) and runs
 * on test/fuzz/pg_shim.c: palloc is malloc there and a numeric is its
 * text, so the fill figure includes the shim's costs; compare builds of
 * two trees with each other, not with the backend.  The figure of a run is
 * the fastest pass (process CPU time), which is the least disturbed by
 * other work on the machine.  test/bench/vetis_fill.sh builds and runs it.
 *
 *	vetis_fill PAGE PASSES
 *-------------------------------------------------------------------------
 */
#include "mercury.c"

#include <time.h>

#include "pg_shim.h"

static double
bench_cpu_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	static char body[4000000];
	FILE	   *f;
	size_t		len;
	const VetisOp *op = vetis_find_op("unit_changes");
	int			passes;
	double		best_parse = 1e9;
	double		best_fill = 1e9;
	MercuryParse p;
	MercuryPage page;
	MercuryStream ms = {0};
	ResourceStream stream = {0};
	ResourceCtx ctx = {0};
	VetisScan	vs;
	Datum		values[VETIS_MAX_COLUMNS];
	bool		nulls[VETIS_MAX_COLUMNS];
	bool		want[VETIS_MAX_COLUMNS];
	int			nunits = 0;
	int			r;
	int			i;
	sigjmp_buf	jb;

	if (argc != 3 || (f = fopen(argv[1], "rb")) == NULL)
	{
		fprintf(stderr, "usage: vetis_fill PAGE PASSES\n");
		return 2;
	}
	len = fread(body, 1, sizeof(body), f);
	fclose(f);
	passes = atoi(argv[2]);
	if (sigsetjmp(jb, 0) != 0)
	{
		fprintf(stderr, "vetis_fill: ERROR %s\n", shim_last_message());
		return 1;
	}
	PG_exception_stack = &jb;

	/* the columns of figure f: every one but the jsonb record */
	for (i = 0; i < op->ncolumns; i++)
		want[i] = op->colkind[i] != VC_RECORD &&
			op->columns[i].typid != JSONBOID;
	ms.op = op;
	stream.arg = &ms;

	for (r = 0; r < passes; r++)
	{
		double		t0 = bench_cpu_now();
		double		t1;
		double		t2;

		mercury_parse_init(&p, op, false);
		if (!mercury_parse_xml(body, len, &p) || !p.scanned || p.nunits == 0)
		{
			fprintf(stderr, "vetis_fill: the page was not read by the fast scanner\n");
			return 1;
		}
		t1 = bench_cpu_now();
		page.units = p.units;
		page.nodes = p.nodes;
		page.text = p.buf;
		page.secrets = NIL;
		page.utf8_checked = p.scanned;
		/* a scan's state, new each pass (shim_reset frees what it keeps) */
		memset(&vs, 0, sizeof(vs));
		vs.op = op;
		ctx.state = &vs;
		ctx.scan_cxt = CurrentMemoryContext;
		for (i = 0; i < p.nunits; i++)
		{
			memset(nulls, true, sizeof(nulls));
			vetis_fill_row(&ctx, &stream, &page, i, want, values, nulls);
		}
		t2 = bench_cpu_now();
		nunits = p.nunits;
		shim_reset();
		best_parse = Min(best_parse, t1 - t0);
		best_fill = Min(best_fill, t2 - t1);
	}
	printf("parse %.1f ns/unit, fill %.1f ns/unit (%d units, fastest of %d passes)\n",
		   best_parse * 1e9 / nunits, best_fill * 1e9 / nunits, nunits, passes);
	return 0;
}
