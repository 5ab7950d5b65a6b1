/*-------------------------------------------------------------------------
 * options.c
 *		Option table, validation and resolution for paged_fdw.
 *
 * Every option is listed once in paged_options[] with the catalog it may
 * appear in.  Secrets may appear only in user mappings: a user mapping is
 * the one place PostgreSQL hides from other users (pg_user_mappings shows
 * its options only to the owner and superusers).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>
#include <math.h>

#include "access/reloptions.h"
#include "catalog/pg_foreign_data_wrapper.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_user_mapping.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/varlena.h"

#include "http.h"
#include "options.h"

typedef enum PagedOptionKind
{
	OPT_STRING,
	OPT_API,					/* "diadoc" | "mercury" */
	OPT_API_VERSION,			/* Diadoc: "legacy" | "2" | ... | "5" */
	OPT_URL,					/* http:// or https:// */
	OPT_INT,					/* integer within [min, max] */
	OPT_REAL,					/* seconds within [min, max] */
	OPT_BOOL
} PagedOptionKind;

/* How a validated value is stored into PagedOptions. */
typedef enum PagedOptionStore
{
	STORE_NONE,					/* not part of PagedOptions (column_name) */
	STORE_STR,					/* char * */
	STORE_INT,					/* int */
	STORE_INT64,				/* int64 */
	STORE_REAL,					/* double */
	STORE_BOOL					/* bool */
} PagedOptionStore;

typedef struct PagedOptionDef
{
	const char *name;
	Oid			catalog;
	PagedOptionKind kind;
	bool		secret;			/* never shown; user mappings only */
	double		min;
	double		max;
	PagedOptionStore store;
	size_t		offset;			/* of the field in PagedOptions */
} PagedOptionDef;

#define SRV ForeignServerRelationId
#define TBL ForeignTableRelationId
#define UM	UserMappingRelationId
#define COL AttributeRelationId
#define F(store, field) STORE_##store, offsetof(PagedOptions, field)

/* The single list of options; each name may appear for several catalogs. */
static const PagedOptionDef paged_options[] = {
	{"api", SRV, OPT_API, false, 0, 0, F(STR, api)},
	{"url", SRV, OPT_URL, false, 0, 0, F(STR, url)},
	{"api_version", SRV, OPT_API_VERSION, false, 0, 0, F(STR, api_version)},
	{"box_id", SRV, OPT_STRING, false, 0, 0, F(STR, box_id)},
	{"box_id", TBL, OPT_STRING, false, 0, 0, F(STR, box_id)},
	{"resource", TBL, OPT_STRING, false, 0, 0, F(STR, resource)},
	{"page_size", SRV, OPT_INT, false, 1, 1000, F(INT, page_size)},
	{"page_size", TBL, OPT_INT, false, 1, 1000, F(INT, page_size)},
	{"max_retries", SRV, OPT_INT, false, 0, 100, F(INT, max_retries)},
	{"retry_max_time", SRV, OPT_REAL, false, 0, 3600, F(REAL, retry_max_time)},
	{"connect_timeout", SRV, OPT_REAL, false, 0, 3600, F(REAL, connect_timeout)},
	{"request_timeout", SRV, OPT_REAL, false, 0, 86400, F(REAL, request_timeout)},
	{"max_response_size", SRV, OPT_INT, false, 1024, 1073741824, F(INT64, max_response_size)},
	{"max_pages", SRV, OPT_INT, false, 0, 100000000, F(INT, max_pages)},
	{"max_pages", TBL, OPT_INT, false, 0, 100000000, F(INT, max_pages)},
	{"max_concurrency", SRV, OPT_INT, false, 1, 64, F(INT, max_concurrency)},
	{"prefetch", SRV, OPT_BOOL, false, 0, 0, F(BOOL, prefetch)},
	{"prefetch", TBL, OPT_BOOL, false, 0, 0, F(BOOL, prefetch)},
	{"ssl_verify", SRV, OPT_BOOL, false, 0, 0, F(BOOL, ssl_verify)},
	{"ca_file", SRV, OPT_STRING, false, 0, 0, F(STR, ca_file)},
	{"client_id", UM, OPT_STRING, false, 0, 0, F(STR, client_id)},
	{"token", UM, OPT_STRING, true, 0, 0, F(STR, token)},
	{"login", UM, OPT_STRING, true, 0, 0, F(STR, login)},
	{"user", UM, OPT_STRING, false, 0, 0, F(STR, user)},
	{"password", UM, OPT_STRING, true, 0, 0, F(STR, password)},
	{"column_name", COL, OPT_STRING, false, 0, 0, STORE_NONE, 0},
	{NULL, InvalidOid, OPT_STRING, false, 0, 0, STORE_NONE, 0}
};

#undef F

static const char *
paged_catalog_name(Oid catalog)
{
	switch (catalog)
	{
		case ForeignServerRelationId:
			return "server";
		case ForeignTableRelationId:
			return "foreign table";
		case UserMappingRelationId:
			return "user mapping";
		case AttributeRelationId:
			return "column";
		case ForeignDataWrapperRelationId:
			return "foreign-data wrapper";
	}
	return "object";
}

static const PagedOptionDef *
paged_option_lookup(const char *name, Oid catalog, bool *known_elsewhere)
{
	const PagedOptionDef *opt;

	*known_elsewhere = false;
	for (opt = paged_options; opt->name; opt++)
	{
		if (strcmp(opt->name, name) != 0)
			continue;
		if (opt->catalog == catalog)
			return opt;
		*known_elsewhere = true;
	}
	return NULL;
}

/* The valid option name closest to "name" for this catalog, or NULL. */
static const char *
paged_closest_option(const char *name, Oid catalog)
{
	const PagedOptionDef *opt;
	const char *best = NULL;
	int			best_dist = INT_MAX;
	int			len = strlen(name);

	for (opt = paged_options; opt->name; opt++)
	{
		int			d;

		if (opt->catalog != catalog)
			continue;
		d = varstr_levenshtein(name, len, opt->name, strlen(opt->name),
							   1, 1, 1, false);
		if (d < best_dist)
		{
			best_dist = d;
			best = opt->name;
		}
	}
	/* Only suggest names that are plausibly a typo. */
	if (best != NULL && best_dist <= Max(2, len / 3))
		return best;
	return NULL;
}

static char *
paged_valid_names(Oid catalog)
{
	StringInfoData buf;
	const PagedOptionDef *opt;

	initStringInfo(&buf);
	for (opt = paged_options; opt->name; opt++)
	{
		if (opt->catalog != catalog)
			continue;
		appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "", opt->name);
	}
	return buf.data;
}

/* Strict integer parse; false on junk, overflow or trailing characters. */
static bool
paged_parse_int64(const char *s, int64 *out)
{
	char	   *end;
	long long	v;

	while (isspace((unsigned char) *s))
		s++;
	if (*s == '\0')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s)
		return false;
	while (isspace((unsigned char) *end))
		end++;
	if (*end != '\0')
		return false;
	*out = (int64) v;
	return true;
}

static bool
paged_parse_real(const char *s, double *out)
{
	char	   *end;
	double		v;

	while (isspace((unsigned char) *s))
		s++;
	if (*s == '\0')
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || isnan(v) || isinf(v))
		return false;
	while (isspace((unsigned char) *end))
		end++;
	if (*end != '\0')
		return false;
	*out = v;
	return true;
}

/*
 * Values reach HTTP headers and URLs: a CR or LF could smuggle a header, so
 * no control character is accepted in any option.
 */
static void
paged_check_no_control(const PagedOptionDef *opt, const char *value)
{
	const unsigned char *p;

	for (p = (const unsigned char *) value; *p; p++)
	{
		if (*p < 0x20 || *p == 0x7f)
		{
			if (opt->secret)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
						 errmsg("invalid value for option \"%s\"", opt->name),
						 errdetail("The value contains a control character.")));
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
					 errmsg("invalid value for option \"%s\": \"%s\"",
							opt->name, value),
					 errdetail("Control characters (such as carriage return or line feed) are not allowed.")));
		}
	}
}

static void
paged_check_url(const char *value)
{
	const char *rest;
	const char *auth_end;
	const char *at;

	if (pg_strncasecmp(value, "http://", 7) == 0)
		rest = value + 7;
	else if (pg_strncasecmp(value, "https://", 8) == 0)
		rest = value + 8;
	else
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"url\": \"%s\"", value),
				 errhint("The URL must start with http:// or https://.")));

	/* Credentials in the URL would be shown in errors and EXPLAIN. */
	auth_end = rest + strcspn(rest, "/?#");
	at = memchr(rest, '@', auth_end - rest);
	if (at != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"url\""),
				 errdetail("The URL contains a user name or password."),
				 errhint("Put credentials in a user mapping.")));
	if (auth_end == rest)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"url\": \"%s\"", value),
				 errdetail("The URL has no host.")));
	if (strchr(value, ' ') != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"url\": \"%s\"", value),
				 errdetail("The URL contains a space; percent-encode it.")));
}

/* Integers and seconds: strictly parsed, within [min, max]. */
static void
paged_check_number(const PagedOptionDef *opt, const char *value)
{
	bool		is_int = (opt->kind == OPT_INT);
	int64		iv = 0;
	double		v = 0;
	bool		ok;

	ok = is_int ? paged_parse_int64(value, &iv) : paged_parse_real(value, &v);
	if (is_int)
		v = (double) iv;
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 is_int ?
				 errmsg("invalid value for integer option \"%s\": \"%s\"",
						opt->name, value) :
				 errmsg("invalid value for option \"%s\": \"%s\"",
						opt->name, value),
				 is_int ? 0 :
				 errhint("Give a number of seconds, such as 10 or 2.5.")));
	if (v < opt->min || v > opt->max)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("value %s for option \"%s\" is out of range",
						value, opt->name),
				 is_int ?
				 errdetail("Valid values are between %.0f and %.0f.",
						   opt->min, opt->max) :
				 errdetail("Valid values are between %g and %g seconds.",
						   opt->min, opt->max)));
}

static void
paged_check_value(const PagedOptionDef *opt, DefElem *def)
{
	char	   *value = defGetString(def);

	paged_check_no_control(opt, value);

	switch (opt->kind)
	{
		case OPT_STRING:
			if (value[0] == '\0')
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("option \"%s\" must not be empty", opt->name)));
			break;
		case OPT_API:
			if (strcmp(value, "diadoc") != 0 && strcmp(value, "mercury") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"api\": \"%s\"", value),
						 errhint("Valid values are \"diadoc\" and \"mercury\".")));
			break;
		case OPT_API_VERSION:
			if (strcmp(value, "legacy") != 0 && strcmp(value, "2") != 0 &&
				strcmp(value, "3") != 0 && strcmp(value, "4") != 0 &&
				strcmp(value, "5") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"api_version\": \"%s\"", value),
						 errhint("Valid values are \"legacy\", \"2\", \"3\", \"4\" and \"5\" (the default).")));
			break;
		case OPT_URL:
			paged_check_url(value);
			/* checked again before every request: the setting may change */
			http_check_host(value);
			break;
		case OPT_INT:
		case OPT_REAL:
			paged_check_number(opt, value);
			break;
		case OPT_BOOL:
			{
				bool		b;

				if (!parse_bool(value, &b))
					ereport(ERROR,
							(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
							 errmsg("invalid value for boolean option \"%s\": \"%s\"",
									opt->name, value)));

				/*
				 * Turning verification off lets anyone on the network path
				 * read the credentials, so only a superuser may do it.
				 */
				if (strcmp(opt->name, "ssl_verify") == 0 && !b && !superuser())
					ereport(ERROR,
							(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
							 errmsg("only a superuser can set option \"ssl_verify\" to false")));
				break;
			}
	}

	/*
	 * Values with a structure of their own in a header: the Diadoc
	 * Authorization header separates its parameters with commas, and HTTP
	 * Basic cannot carry a colon in the user name.
	 */
	if ((strcmp(opt->name, "client_id") == 0 ||
		 strcmp(opt->name, "token") == 0) && strchr(value, ',') != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 errmsg("invalid value for option \"%s\"", opt->name),
				 errdetail("The value contains a comma, which would split the Diadoc Authorization header.")));
	if (strcmp(opt->name, "user") == 0 && strchr(value, ':') != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 errmsg("invalid value for option \"user\": \"%s\"", value),
				 errdetail("HTTP Basic authentication does not allow a colon in the user name.")));

	/* A CA file is read by the server process: superuser only. */
	if (strcmp(opt->name, "ca_file") == 0 && !superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only a superuser can set option \"ca_file\"")));
}

void
paged_validate_options(List *options_list, Oid catalog)
{
	ListCell   *cell;
	bool		has_token = false;
	bool		has_login = false;
	const char *api = NULL;
	bool		has_api_version = false;

	foreach(cell, options_list)
	{
		DefElem    *def = (DefElem *) lfirst(cell);
		const PagedOptionDef *opt;
		bool		known_elsewhere;
		ListCell   *prev;

		opt = paged_option_lookup(def->defname, catalog, &known_elsewhere);
		if (opt == NULL)
		{
			const char *closest = paged_closest_option(def->defname, catalog);
			bool		secret_name;

			secret_name = (strcmp(def->defname, "token") == 0 ||
						   strcmp(def->defname, "password") == 0 ||
						   strcmp(def->defname, "login") == 0);
			if (secret_name)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
						 errmsg("option \"%s\" is only allowed in a user mapping",
								def->defname),
						 errhint("Secrets belong in CREATE USER MAPPING ... OPTIONS (%s '...'), where only the mapped user and superusers can read them.",
								 def->defname)));
			if (known_elsewhere)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
						 errmsg("option \"%s\" is not valid for a %s",
								def->defname, paged_catalog_name(catalog)),
						 paged_valid_names(catalog)[0] != '\0' ?
						 errhint("Valid options here are: %s.",
								 paged_valid_names(catalog)) :
						 errhint("There are no valid options here.")));
			if (closest != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
						 errmsg("invalid option \"%s\"", def->defname),
						 errhint("Perhaps you meant the option \"%s\".", closest)));
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("invalid option \"%s\"", def->defname),
					 paged_valid_names(catalog)[0] != '\0' ?
					 errhint("Valid options here are: %s.",
							 paged_valid_names(catalog)) :
					 errhint("There are no valid options here.")));
		}

		/* The same option twice: reject rather than silently pick one. */
		foreach(prev, options_list)
		{
			DefElem    *other = (DefElem *) lfirst(prev);

			if (other == def)
				break;
			if (strcmp(other->defname, def->defname) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
						 errmsg("option \"%s\" specified more than once",
								def->defname)));
		}

		paged_check_value(opt, def);

		if (strcmp(def->defname, "token") == 0)
			has_token = true;
		else if (strcmp(def->defname, "login") == 0)
			has_login = true;
		else if (strcmp(def->defname, "api") == 0)
			api = defGetString(def);
		else if (strcmp(def->defname, "api_version") == 0)
			has_api_version = true;
	}

	if (catalog == ForeignServerRelationId && has_api_version &&
		(api == NULL || strcmp(api, "diadoc") != 0))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("option \"api_version\" is only valid for Diadoc servers"),
				 errhint("Use it together with api 'diadoc'.")));

	if (catalog == UserMappingRelationId && has_token && has_login)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("options \"token\" and \"login\" cannot be used together"),
				 errhint("Give either a token, or a login and password to obtain one.")));
}

/* Store each option of a list into *o, as its table entry says. */
static void
paged_apply(PagedOptions *o, Oid catalog, List *options)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);
		char	   *v = defGetString(def);
		bool		known_elsewhere;
		const PagedOptionDef *opt = paged_option_lookup(def->defname, catalog,
														&known_elsewhere);
		char	   *field;
		int64		iv = 0;

		if (opt == NULL)
			continue;
		field = (char *) o + opt->offset;
		/* Values were validated at CREATE/ALTER time. */
		switch (opt->store)
		{
			case STORE_NONE:
				break;
			case STORE_STR:
				*(char **) field = pstrdup(v);
				break;
			case STORE_INT:
				(void) paged_parse_int64(v, &iv);
				*(int *) field = (int) iv;
				break;
			case STORE_INT64:
				(void) paged_parse_int64(v, (int64 *) field);
				break;
			case STORE_REAL:
				(void) paged_parse_real(v, (double *) field);
				break;
			case STORE_BOOL:
				(void) parse_bool(v, (bool *) field);
				break;
		}
	}
}

PagedOptions *
paged_get_options(Oid foreigntableid, Oid userid)
{
	PagedOptions *o = palloc0(sizeof(PagedOptions));
	ForeignTable *table = GetForeignTable(foreigntableid);
	ForeignServer *server = GetForeignServer(table->serverid);
	UserMapping *um = GetUserMapping(userid, table->serverid);

	o->serverid = server->serverid;
	o->tableid = foreigntableid;
	o->userid = userid;
	o->umid = um->umid;

	/* Defaults: see README.md, "Options". */
	o->page_size = 0;
	o->max_retries = 3;
	o->retry_max_time = 60.0;
	o->connect_timeout = 10.0;
	o->request_timeout = 60.0;
	o->max_response_size = INT64CONST(64) * 1024 * 1024;
	o->max_pages = 100000;		/* ends a runaway list; 0 = no limit */
	o->max_concurrency = 4;
	o->prefetch = true;
	o->ssl_verify = true;

	/* Later lists override earlier ones: table beats server. */
	paged_apply(o, ForeignServerRelationId, server->options);
	paged_apply(o, ForeignTableRelationId, table->options);
	paged_apply(o, UserMappingRelationId, um->options);

	if (o->api == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("server \"%s\" has no option \"api\"", server->servername),
				 errhint("Use ALTER SERVER %s OPTIONS (ADD api 'diadoc') or 'mercury'.",
						 quote_identifier(server->servername))));
	if (o->url == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("server \"%s\" has no option \"url\"", server->servername),
				 errhint("Use ALTER SERVER %s OPTIONS (ADD url 'https://...').",
						 quote_identifier(server->servername))));
	if (o->resource == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("foreign table \"%s\" has no option \"resource\"",
						get_rel_name(foreigntableid)),
				 errhint("Use ALTER FOREIGN TABLE ... OPTIONS (ADD resource '%s').",
						 strcmp(o->api, "mercury") == 0 ? "unit_changes" : "docflows_by_packet")));
	return o;
}

char *
paged_column_name(Oid relid, AttrNumber attnum)
{
	List	   *options = GetForeignColumnOptions(relid, attnum);
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "column_name") == 0)
			return defGetString(def);
	}
	return NULL;
}
