/*-------------------------------------------------------------------------
 * xmlscan_bench.c
 *		CPU cost of src/xmlscan.c alone: scan saved pages many times.
 *
 *	xmlscan_bench FILE... [-n LOOPS] [-r REPEATS] [-l | -s]
 *
 * Each repeat scans every FILE LOOPS times with callbacks that only count
 * and hash what they are given (the names list is the Mercury unit's, as
 * src/mercury.c passes it), and takes the thread's CPU time.  With -l the
 * handler has the leaf callback too (as src/mercury.c's has), which hashes
 * what start, text and end would: the same hash in both modes.  With -s
 * it is passed as leaf_named, in a copy of the scanner's leaf run with the
 * callbacks compiled in (XmlScanHandler.leaf_run, as src/mercury.c makes
 * its own): the same hash again.  Prints the
 * median over the repeats in ns per byte and ns per unit (a "unit"
 * element), the fastest repeat (less disturbed on a shared machine), and a
 * hash of every callback's arguments: the same hash before and after a
 * change to the scanner means the same events on these pages.  No network,
 * no PostgreSQL; test/bench/xmlscan.sh fetches a page of the mock and runs
 * it.
 *-------------------------------------------------------------------------
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xmlscan.h"
#include "xmlscan_run.h"

static const char *const unit_fields[] = {
	"uuid", "guid", "active", "last", "status", "createDate", "updateDate",
	"previous", "next", "name", "fullName", "commonUnitGuid", "factor"
};

typedef struct Counts
{
	uint64_t	hash;
	long		starts;
	long		units;
	long		textbytes;
} Counts;

/* FNV-1a over the bytes, then a separator */
static void
mix(Counts *c, const char *s, size_t len)
{
	size_t		i;

	for (i = 0; i < len; i++)
		c->hash = (c->hash ^ (unsigned char) s[i]) * UINT64_C(0x100000001b3);
	c->hash = (c->hash ^ 0xff) * UINT64_C(0x100000001b3);
}

static bool hashing;

static bool
b_start(void *arg, const char *lname, const char *prefix, const char *uri,
		int nattrs, const char **attrs)
{
	Counts	   *c = arg;

	c->starts++;
	if (lname[0] == 'u' && strcmp(lname, "unit") == 0)
		c->units++;
	if (hashing)
	{
		int			i;

		mix(c, lname, strlen(lname));
		mix(c, prefix ? prefix : "-", prefix ? strlen(prefix) : 1);
		mix(c, uri ? uri : "-", uri ? strlen(uri) : 1);
		for (i = 0; i < nattrs; i++)
		{
			const char **a = &attrs[i * XMLSCAN_ATTR_FIELDS];

			mix(c, a[0], strlen(a[0]));
			mix(c, a[1] ? a[1] : "-", a[1] ? strlen(a[1]) : 1);
			mix(c, a[2] ? a[2] : "-", a[2] ? strlen(a[2]) : 1);
			mix(c, a[3], a[4] - a[3]);
		}
	}
	return true;
}

static bool
b_end(void *arg, const char *lname, const char *prefix, const char *uri)
{
	Counts	   *c = arg;

	if (hashing)
		mix(c, lname, strlen(lname));
	return true;
}

static bool
b_text(void *arg, const char *s, size_t len)
{
	Counts	   *c = arg;

	c->textbytes += len;
	if (hashing)
		mix(c, s, len);
	return true;
}

/*
 * The leaf callback (-l): the same counts and the same hash as start, text
 * and end would give for the element, so both modes print the same hash.
 */
static bool
b_leaf(void *arg, const char *lname, const char *prefix, const char *uri,
	   const char *s, size_t len)
{
	Counts	   *c = arg;

	c->starts++;
	if (lname[0] == 'u' && strcmp(lname, "unit") == 0)
		c->units++;
	c->textbytes += len;
	if (hashing)
	{
		mix(c, lname, strlen(lname));
		mix(c, prefix ? prefix : "-", prefix ? strlen(prefix) : 1);
		mix(c, uri ? uri : "-", uri ? strlen(uri) : 1);
		if (len > 0)
			mix(c, s, len);
		mix(c, lname, strlen(lname));
	}
	return true;
}

/* -s: the leaf callback as leaf_named, and in the copy of the leaf run */
static bool
b_named(void *arg, const XmlScanName *n, const char *s, size_t len)
{
	return b_leaf(arg, n->lname, n->prefix, n->uri, s, len);
}

#ifdef XS_SSE2
static inline XS_ALWAYS_INLINE bool
run_leaf(const XsScan *s, const XmlScanName *n, const char *text, size_t len)
{
	return b_named(s->arg, n, text, len);
}

static inline XS_ALWAYS_INLINE bool
run_start(const XsScan *s, const XmlScanName *n)
{
	return b_start(s->arg, n->lname, n->prefix, n->uri, 0, xs_no_attrs);
}

static inline XS_ALWAYS_INLINE bool
run_end(const XsScan *s, const XsOpen *o)
{
	return b_end(s->arg, o->lname, o->prefix, o->uri);
}

static inline XS_ALWAYS_INLINE bool
run_text(const XsScan *s, const char *text, size_t len)
{
	return b_text(s->arg, text, len);
}

static const char *
b_leaf_run(XsScan *s, const char *p, unsigned int *guess)
{
	return xs_leaf_run_with(s, p, guess, run_leaf, run_start, run_end,
							run_text);
}
#endif

static double
cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	XmlScanHandler h = {
		.start = b_start,
		.end = b_end,
		.text = b_text,
		.names = unit_fields,
		.nnames = sizeof(unit_fields) / sizeof(unit_fields[0]),
	};
	char	   *docs[64];
	const char *files[64];
	size_t		lens[64];
	int			ndocs = 0;
	long		loops = 200;
	int			repeats = 7;
	double	   *secs;
	Counts		c;
	size_t		bytes = 0;
	long		units;
	int			i,
				r;
	long		l;

	for (i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			loops = atol(argv[++i]);
		else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
			repeats = atoi(argv[++i]);
		else if (strcmp(argv[i], "-l") == 0)
			h.leaf = b_leaf;
		else if (strcmp(argv[i], "-s") == 0)
		{
			h.leaf_named = b_named;
#ifdef XS_SSE2
			h.leaf_run = b_leaf_run;
#endif
		}
		else if (ndocs < 64)
		{
			FILE	   *f = fopen(argv[i], "rb");
			long		n;

			if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0)
			{
				perror(argv[i]);
				return 1;
			}
			rewind(f);
			docs[ndocs] = malloc(n + 1);
			if (docs[ndocs] == NULL || fread(docs[ndocs], 1, n, f) != (size_t) n)
			{
				perror(argv[i]);
				return 1;
			}
			fclose(f);
			lens[ndocs] = n;
			files[ndocs] = argv[i];
			bytes += n;
			ndocs++;
		}
	}
	if (ndocs == 0 || loops < 1 || repeats < 1)
	{
		fprintf(stderr, "usage: xmlscan_bench FILE... [-n LOOPS] [-r REPEATS] [-l | -s]\n");
		return 2;
	}

	/* once with hashing: the events, and that the scanner reads the pages */
	memset(&c, 0, sizeof(c));
	c.hash = UINT64_C(0xcbf29ce484222325);
	hashing = true;
	for (i = 0; i < ndocs; i++)
	{
		if (!xmlscan_parse(docs[i], lens[i], &h, &c))
		{
			fprintf(stderr, "%s: the scanner gives up on it\n", files[i]);
			return 1;
		}
	}
	units = c.units;
	hashing = false;

	secs = malloc(sizeof(double) * repeats);
	for (r = 0; r < repeats; r++)
	{
		double		t0 = cpu_seconds();

		for (l = 0; l < loops; l++)
			for (i = 0; i < ndocs; i++)
				if (!xmlscan_parse(docs[i], lens[i], &h, &c))
					return 1;
		secs[r] = cpu_seconds() - t0;
	}
	qsort(secs, repeats, sizeof(double), cmp_double);
	printf("%s bytes=%zu units=%ld loops=%ld repeats=%d ns_per_byte=%.3f ns_per_unit=%.1f (min %.1f) MB_per_s=%.0f hash=%016llx\n",
		   h.leaf_named != NULL ? "leaf_named, own run" : h.leaf != NULL ? "leaf" : "start/text/end",
		   bytes, units, loops, repeats,
		   secs[repeats / 2] * 1e9 / ((double) bytes * loops),
		   units ? secs[repeats / 2] * 1e9 / ((double) units * loops) : 0.0,
		   units ? secs[0] * 1e9 / ((double) units * loops) : 0.0,
		   (double) bytes * loops / secs[repeats / 2] / 1e6,
		   (unsigned long long) c.hash);
	return 0;
}
