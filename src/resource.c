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
	&diadoc_search_resource,
	&diadoc_documents_resource,
	&diadoc_events_resource,
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

/*
 * Iteration over every resource, whatever the table above becomes: code
 * that walks all resources (IMPORT FOREIGN SCHEMA) uses only these.
 */
int
paged_resource_count(void)
{
	int			n = 0;

	while (paged_resources[n] != NULL)
		n++;
	return n;
}

const PagedResource *
paged_resource_get(int i)
{
	Assert(i >= 0 && i < paged_resource_count());
	return paged_resources[i];
}

/* The table IMPORT FOREIGN SCHEMA creates for a resource (palloc'd). */
char *
paged_resource_import_name(const PagedResource *res)
{
	if (res->import_name != NULL)
		return pstrdup(res->import_name);
	return psprintf("%s_%s", res->api, res->name);
}
