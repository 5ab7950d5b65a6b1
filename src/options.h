/*-------------------------------------------------------------------------
 * options.h
 *		Option catalog, validation and resolution for paged_fdw.
 *-------------------------------------------------------------------------
 */
#ifndef PAGED_OPTIONS_H
#define PAGED_OPTIONS_H

#include "postgres.h"
#include "access/attnum.h"
#include "nodes/pg_list.h"

/*
 * Every option of a server, table and the current user's mapping, merged
 * (table overrides server) and parsed.  Strings are palloc'd in the caller's
 * context.  Secrets (token, login, password) are here only to be handed to
 * http.c; nothing may print them.
 */
typedef struct PagedOptions
{
	Oid			serverid;
	Oid			tableid;
	Oid			userid;			/* user the mapping was looked up for */
	Oid			umid;			/* user mapping OID, InvalidOid if none */

	char	   *api;			/* "diadoc" or "mercury" */
	char	   *url;			/* base URL, without credentials */
	char	   *resource;		/* e.g. "docflows_by_packet" */
	char	   *box_id;			/* Diadoc box id (server or table) */
	char	   *api_version;	/* Diadoc: "legacy", "2" ... "5"; NULL = default */

	/* user mapping */
	char	   *client_id;
	char	   *token;
	char	   *login;
	char	   *user;
	char	   *password;

	/* tuning */
	int			page_size;		/* 0 means "resource default" */
	int			max_retries;
	double		retry_max_time; /* seconds, cap on total time spent retrying */
	double		connect_timeout;	/* seconds */
	double		request_timeout;	/* seconds */
	int64		max_response_size;	/* bytes */
	int			max_pages;		/* per stream; 0 = unlimited */
	int			max_concurrency;
	bool		prefetch;		/* ask for pages before they are needed */
	bool		ssl_verify;
	char	   *ca_file;
} PagedOptions;

/* Resolve all options for a foreign table as seen by user "userid". */
extern PagedOptions *paged_get_options(Oid foreigntableid, Oid userid);

/* Validator body (called by the SQL-level validator function). */
extern void paged_validate_options(List *options_list, Oid catalog);

/* Column option column_name of one attribute, or NULL. */
extern char *paged_column_name(Oid relid, AttrNumber attnum);

#endif							/* PAGED_OPTIONS_H */
