/*-------------------------------------------------------------------------
 * fuzz_page.h
 *		One HTTP answer through a resource's parse_page and fill_row, as
 *		the pager would hand it over.  Shared by the fuzz targets.
 *-------------------------------------------------------------------------
 */
#ifndef FUZZ_PAGE_H
#define FUZZ_PAGE_H

#include "postgres.h"

#include "resource.h"

/*
 * The first input byte chooses the circumstances, the rest is the body:
 *	bits 0-2	HTTP status: 200 (five of eight values), 500, 401, 403
 *	bit 3		database encoding LATIN1 instead of UTF8
 *	bits 4-7	resource-specific variant (0-15, see each target)
 */
typedef struct FuzzSetup
{
	const PagedResource *res;
	PagedOptions opts;			/* filled by the target */
	List	   *pushed;			/* PushedValues for make_streams */
	int			page_no;		/* of the page the answer is for */
	const char *secrets[4];		/* never to appear in an ERROR (NULL ends) */
} FuzzSetup;

/* The target fills *setup for this variant (palloc is available). */
typedef void (*FuzzPrepare) (FuzzSetup *setup, int variant);

extern int	fuzz_page(FuzzPrepare prepare, const uint8_t *data, size_t size);

#endif							/* FUZZ_PAGE_H */
