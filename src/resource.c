/*-------------------------------------------------------------------------
 * resource.c
 *		The table of resources paged_fdw knows.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "resource.h"
#include "vetis.h"

/* Adding a resource: one line here and one src/<api>.c. */
const PagedResource *const paged_resources[] = {
	&diadoc_docflows_resource,
	VETIS_RESOURCES
	NULL
};

const PagedResource *
paged_find_resource(const char *api, const char *name)
{
	int			i;

	for (i = 0; paged_resources[i] != NULL; i++)
	{
		if (strcmp(paged_resources[i]->api, api) == 0 &&
			strcmp(paged_resources[i]->name, name) == 0)
			return paged_resources[i];
	}
	return NULL;
}

int
paged_resource_column(const PagedResource *res, const char *name)
{
	int			i;

	for (i = 0; i < res->ncolumns; i++)
	{
		if (strcmp(res->columns[i].name, name) == 0)
			return i;
	}
	return -1;
}
