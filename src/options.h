/*-------------------------------------------------------------------------
 * options.h
 *		Option catalog, validation and resolution for paged_fdw.
 *-------------------------------------------------------------------------
 */
#ifndef PAGED_OPTIONS_H
#define PAGED_OPTIONS_H

#include "postgres.h"
#include "access/attnum.h"
#include "catalog/objectaccess.h"
#include "nodes/pg_list.h"

/*
 * Every option of a server, table and the current user's mapping, merged
 * (table overrides server) and parsed.  Strings are palloc'd in the caller's
 * context.  Secrets (token, login, password, access_token, client_secret,
 * refresh_token) are here only to be handed to http.c; nothing may print
 * them.
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
	char	   *access_token;	/* OpenID Connect: a ready access token */
	char	   *client_secret;	/* OpenID Connect refresh-token flow */
	char	   *refresh_token;

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
	bool		async_capable;	/* may run under an Async Append */
	int64		rows_estimate;	/* planner's row count, 0 = built-in */
	bool		use_remote_estimate;	/* ask the API's total while planning */
	bool		ssl_verify;
	char	   *ca_file;
	char	   *on_list_change;	/* "warn" or "error" (pager.c) */
	char	   *oidc_token_url; /* token endpoint of the identity provider */
	char	   *oidc_scope;		/* scope sent with a refresh, or NULL */
	double		max_requests_per_second;	/* per backend; 0 = no limit */
} PagedOptions;

/* Resolve all options for a foreign table as seen by user "userid". */
extern PagedOptions *paged_get_options(Oid foreigntableid, Oid userid);

/* Validator body (called by the SQL-level validator function). */
extern void paged_validate_options(List *options_list, Oid catalog);

struct PagedResource;

/* The resource "resource" of "api", checked against page_size. */
extern const struct PagedResource *paged_check_resource(const char *api,
														const char *resource,
														int page_size,
														const char *relname);

/* object_access_hook: checks after ALTER SERVER / ALTER FOREIGN TABLE. */
extern void paged_object_access(ObjectAccessType access, Oid classId,
								Oid objectId, int subId, void *arg);

/*
 * A user-given value for a message, EXPLAIN or a stream label: itself when
 * short, else its first characters (never half a multibyte character),
 * "..." and its full length.  PAGED_VALUE_MAX suits ids and option values,
 * PAGED_CONDITION_MAX a whole pushed condition.
 */
#define PAGED_VALUE_MAX		80
#define PAGED_CONDITION_MAX	200
extern char *paged_cut_value(const char *value, int max_bytes);

/* Column option column_name of one attribute, or NULL. */
extern char *paged_column_name(Oid relid, AttrNumber attnum);

#endif							/* PAGED_OPTIONS_H */
