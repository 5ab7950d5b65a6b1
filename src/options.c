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

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/reloptions.h"
#include "access/table.h"
#include "catalog/pg_foreign_data_wrapper.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_user_mapping.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

#include "http.h"
#include "options.h"
#include "resource.h"

typedef enum PagedOptionKind
{
	OPT_STRING,
	OPT_API,					/* "diadoc" | "mercury" */
	OPT_API_VERSION,			/* Diadoc: "legacy" | "2" | ... | "5" */
	OPT_URL,					/* http:// or https:// */
	OPT_INT,					/* integer within [min, max] */
	OPT_REAL,					/* seconds within [min, max] */
	OPT_RATE,					/* requests per second within [min, max] */
	OPT_BOOL,
	OPT_LIST_CHANGE				/* "warn" | "error" */
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
	{"async_capable", SRV, OPT_BOOL, false, 0, 0, F(BOOL, async_capable)},
	{"async_capable", TBL, OPT_BOOL, false, 0, 0, F(BOOL, async_capable)},
	{"rows_estimate", TBL, OPT_INT, false, 0, 1e12, F(INT64, rows_estimate)},
	{"use_remote_estimate", SRV, OPT_BOOL, false, 0, 0, F(BOOL, use_remote_estimate)},
	{"use_remote_estimate", TBL, OPT_BOOL, false, 0, 0, F(BOOL, use_remote_estimate)},
	{"ssl_verify", SRV, OPT_BOOL, false, 0, 0, F(BOOL, ssl_verify)},
	{"ca_file", SRV, OPT_STRING, false, 0, 0, F(STR, ca_file)},
	{"on_list_change", SRV, OPT_LIST_CHANGE, false, 0, 0, F(STR, on_list_change)},
	{"on_list_change", TBL, OPT_LIST_CHANGE, false, 0, 0, F(STR, on_list_change)},
	{"oidc_token_url", SRV, OPT_URL, false, 0, 0, F(STR, oidc_token_url)},
	{"oidc_scope", SRV, OPT_STRING, false, 0, 0, F(STR, oidc_scope)},
	{"max_requests_per_second", SRV, OPT_RATE, false, 0.001, 100000, F(REAL, max_requests_per_second)},
	{"client_id", UM, OPT_STRING, false, 0, 0, F(STR, client_id)},
	{"token", UM, OPT_STRING, true, 0, 0, F(STR, token)},
	{"login", UM, OPT_STRING, true, 0, 0, F(STR, login)},
	{"user", UM, OPT_STRING, false, 0, 0, F(STR, user)},
	{"password", UM, OPT_STRING, true, 0, 0, F(STR, password)},
	{"access_token", UM, OPT_STRING, true, 0, 0, F(STR, access_token)},
	{"client_secret", UM, OPT_STRING, true, 0, 0, F(STR, client_secret)},
	{"refresh_token", UM, OPT_STRING, true, 0, 0, F(STR, refresh_token)},
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

/*
 * Strict integer parse: digits with an optional sign, nothing around them
 * (not even blanks: strtoll would skip leading ones); false on junk,
 * overflow or trailing characters.
 */
static bool
paged_parse_int64(const char *s, int64 *out)
{
	char	   *end;
	long long	v;

	if (*s == '\0' || isspace((unsigned char) *s))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return false;
	*out = (int64) v;
	return true;
}

static bool
paged_parse_real(const char *s, double *out)
{
	char	   *end;
	double		v;

	if (*s == '\0' || isspace((unsigned char) *s))
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || isnan(v) || isinf(v))
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
							opt->name, paged_cut_value(value, PAGED_VALUE_MAX)),
					 errdetail("Control characters (such as carriage return or line feed) are not allowed.")));
		}
	}
}

static void
paged_check_url(const char *name, const char *value)
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
				 errmsg("invalid value for option \"%s\": \"%s\"",
						name, paged_cut_value(value, PAGED_CONDITION_MAX)),
				 errhint("The URL must start with http:// or https://.")));

	/* Credentials in the URL would be shown in errors and EXPLAIN. */
	auth_end = rest + strcspn(rest, "/?#");
	at = memchr(rest, '@', auth_end - rest);
	if (at != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"%s\"", name),
				 errdetail("The URL contains a user name or password."),
				 errhint("Put credentials in a user mapping.")));
	if (auth_end == rest)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"",
						name, paged_cut_value(value, PAGED_CONDITION_MAX)),
				 errdetail("The URL has no host.")));
	if (strchr(value, ' ') != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"",
						name, paged_cut_value(value, PAGED_CONDITION_MAX)),
				 errdetail("The URL contains a space; percent-encode it.")));

	/*
	 * The port, if any: after the host, or after "]" of an IPv6 address.
	 * libcurl would reject a bad one only when the first request is sent.
	 */
	{
		const char *host_end = rest;
		const char *colon;

		if (*rest == '[')
		{
			host_end = memchr(rest, ']', auth_end - rest);
			if (host_end == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"%s\": \"%s\"",
								name, paged_cut_value(value, PAGED_CONDITION_MAX)),
						 errdetail("The IPv6 address has no closing \"]\".")));
		}
		colon = memchr(host_end, ':', auth_end - host_end);
		if (colon != NULL)
		{
			const char *d;
			long		port = 0;

			for (d = colon + 1; d < auth_end; d++)
			{
				if (!isdigit((unsigned char) *d) || port > 65535)
					break;
				port = port * 10 + (*d - '0');
			}
			if (d != auth_end || d == colon + 1 || port < 1 || port > 65535)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"%s\": \"%s\"",
								name, paged_cut_value(value, PAGED_CONDITION_MAX)),
						 errdetail("The port must be a number between 1 and 65535.")));
		}
	}
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
						opt->name, paged_cut_value(value, PAGED_VALUE_MAX)) :
				 errmsg("invalid value for option \"%s\": \"%s\"",
						opt->name, paged_cut_value(value, PAGED_VALUE_MAX)),
				 is_int ? 0 : opt->kind == OPT_RATE ?
				 errhint("Give a number of requests per second, such as 20 or 0.5.") :
				 errhint("Give a number of seconds, such as 10 or 2.5.")));
	if (v < opt->min || v > opt->max)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("value %s for option \"%s\" is out of range",
						paged_cut_value(value, PAGED_VALUE_MAX), opt->name),
				 is_int ?
				 errdetail("Valid values are between %.0f and %.0f.",
						   opt->min, opt->max) :
				 opt->kind == OPT_RATE ?
				 errdetail("Valid values are between %g and %g requests per second.",
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
						 errmsg("invalid value for option \"api\": \"%s\"",
								paged_cut_value(value, PAGED_VALUE_MAX)),
						 errhint("Valid values are \"diadoc\" and \"mercury\".")));
			break;
		case OPT_LIST_CHANGE:
			if (strcmp(value, "warn") != 0 && strcmp(value, "error") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"%s\": \"%s\"",
								opt->name, paged_cut_value(value, PAGED_VALUE_MAX)),
						 errhint("Valid values are \"warn\" and \"error\".")));
			break;
		case OPT_API_VERSION:
			if (strcmp(value, "legacy") != 0 && strcmp(value, "2") != 0 &&
				strcmp(value, "3") != 0 && strcmp(value, "4") != 0 &&
				strcmp(value, "5") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"api_version\": \"%s\"",
								paged_cut_value(value, PAGED_VALUE_MAX)),
						 errhint("Valid values are \"legacy\", \"2\", \"3\", \"4\" and \"5\" (the default).")));
			break;
		case OPT_URL:
			paged_check_url(opt->name, value);
			/* checked again before every request: the setting may change */
			http_check_host(value);
			break;
		case OPT_INT:
		case OPT_REAL:
		case OPT_RATE:
			paged_check_number(opt, value);
			break;
		case OPT_BOOL:
			{
				bool		b;

				if (!parse_bool(value, &b))
					ereport(ERROR,
							(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
							 errmsg("invalid value for boolean option \"%s\": \"%s\"",
									opt->name, paged_cut_value(value, PAGED_VALUE_MAX))));

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
	if (strcmp(opt->name, "access_token") == 0 &&
		strcspn(value, " \t\"\\") != strlen(value))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 errmsg("invalid value for option \"access_token\""),
				 errdetail("The value contains a blank, a quote or a backslash, which cannot be sent in a Bearer Authorization header.")));
	if (strcmp(opt->name, "user") == 0 && strchr(value, ':') != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 errmsg("invalid value for option \"user\": \"%s\"",
						paged_cut_value(value, PAGED_VALUE_MAX)),
				 errdetail("HTTP Basic authentication does not allow a colon in the user name.")));

	/* A CA file is read by the server process: superuser only. */
	if (strcmp(opt->name, "ca_file") == 0 && !superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only a superuser can set option \"ca_file\"")));
}

static void paged_validate_server(List *options);

/* True if an option of this name is a secret (in whatever catalog). */
static bool
paged_option_is_secret(const char *name)
{
	const PagedOptionDef *opt;

	for (opt = paged_options; opt->name; opt++)
		if (opt->secret && strcmp(opt->name, name) == 0)
			return true;
	return false;
}

/*
 * The option that selects each way of authenticating, in the order they
 * are named in messages.  client_secret and refresh_token belong to one
 * scheme (the OpenID Connect refresh-token flow); any two options of
 * different schemes in one user mapping leave it unclear which credentials
 * are meant, so they are rejected where the user typed them.
 */
static const struct
{
	const char *name;
	int			scheme;
}			paged_auth_markers[] = {
	{"token", 1},				/* DiadocAuth with a ready token */
	{"login", 2},				/* DiadocAuth, token from login/password */
	{"access_token", 3},		/* Bearer with a ready access token */
	{"refresh_token", 4},		/* Bearer, token from the refresh flow */
	{"client_secret", 4},
};

static void
paged_check_auth_schemes(List *options_list)
{
	const char *seen[lengthof(paged_auth_markers)];
	int			i;
	int			j;

	for (i = 0; i < (int) lengthof(paged_auth_markers); i++)
	{
		ListCell   *lc;

		seen[i] = NULL;
		foreach(lc, options_list)
			if (strcmp(((DefElem *) lfirst(lc))->defname,
					   paged_auth_markers[i].name) == 0)
				seen[i] = paged_auth_markers[i].name;
	}
	for (i = 0; i < (int) lengthof(paged_auth_markers); i++)
		for (j = i + 1; j < (int) lengthof(paged_auth_markers); j++)
			if (seen[i] && seen[j] &&
				paged_auth_markers[i].scheme != paged_auth_markers[j].scheme)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
						 errmsg("options \"%s\" and \"%s\" cannot be used together",
								seen[i], seen[j]),
						 errdetail("They belong to different ways of authenticating."),
						 errhint("Give one of: token (with client_id); login and password (with client_id); access_token; client_id, client_secret and refresh_token.")));
}

void
paged_validate_options(List *options_list, Oid catalog)
{
	ListCell   *cell;
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

			secret_name = paged_option_is_secret(def->defname);
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

		if (strcmp(def->defname, "api") == 0)
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

	if (catalog == UserMappingRelationId)
		paged_check_auth_schemes(options_list);

	if (catalog == ForeignServerRelationId)
		paged_validate_server(options_list);
}

static DefElem *
paged_find_def(List *options, const char *name)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, name) == 0)
			return def;
	}
	return NULL;
}

/* The largest page_size any resource of "api" accepts. */
static int
paged_api_max_page_size(const char *api)
{
	int			max = 0;
	int			i;

	for (i = 0; paged_resources[i] != NULL; i++)
	{
		if (strcmp(paged_resources[i]->api, api) == 0)
			max = Max(max, paged_resources[i]->max_page_size);
	}
	return max;
}

/*
 * What a server's own options decide.  ALTER SERVER hands the validator the
 * options as they will be after the change, so this also catches DROP api
 * and DROP url.  What depends on the server's tables (SET api while tables
 * use another API's resources) is checked by paged_check_altered_server.
 */
static void
paged_validate_server(List *options)
{
	DefElem    *api = paged_find_def(options, "api");
	DefElem    *page_size = paged_find_def(options, "page_size");
	int64		n;
	int			max;

	if (api == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("a paged_fdw server needs the option \"api\""),
				 errhint("Add api 'diadoc' or api 'mercury' to the server's OPTIONS.")));
	if (paged_find_def(options, "url") == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("a paged_fdw server needs the option \"url\""),
				 errhint("Add the API's base URL to the server's OPTIONS, e.g. url 'https://diadoc-api.kontur.ru'.")));
	max = paged_api_max_page_size(defGetString(api));
	if (page_size != NULL && paged_parse_int64(defGetString(page_size), &n) &&
		n > max)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("value " INT64_FORMAT " for option \"page_size\" is out of range for api \"%s\"",
						n, defGetString(api)),
				 errdetail("The %s API returns at most %d rows per page.",
						   defGetString(api), max)));
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

/*
 * The resource a table names, checked against its server's api and its
 * page_size; "relname" is for messages.  Shared by planning and by the
 * checks after ALTER SERVER / ALTER FOREIGN TABLE.
 */
const PagedResource *
paged_check_resource(const char *api, const char *resource, int page_size,
					 const char *relname)
{
	const PagedResource *res = paged_find_resource(api, resource);

	if (res == NULL)
	{
		StringInfoData names;
		int			i;

		initStringInfo(&names);
		for (i = 0; paged_resources[i] != NULL; i++)
		{
			if (strcmp(paged_resources[i]->api, api) == 0)
				appendStringInfo(&names, "%s%s", names.len ? ", " : "",
								 paged_resources[i]->name);
		}
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("api \"%s\" has no resource \"%s\"", api,
						paged_cut_value(resource, PAGED_VALUE_MAX)),
				 errdetail("Foreign table \"%s\" names it in its option \"resource\".",
						   relname),
				 errhint("Valid resources for api \"%s\": %s.", api, names.data)));
	}
	if (page_size > res->max_page_size)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("value %d for option \"page_size\" is out of range for resource \"%s\"",
						page_size, res->name),
				 errdetail("%s accepts at most %d rows per page (foreign table \"%s\").",
						   res->operation, res->max_page_size, relname)));
	return res;
}

/* Is fdwid a paged_fdw wrapper?  (Looks at its validator's C symbol.) */
static bool
paged_is_our_wrapper(Oid fdwid)
{
	ForeignDataWrapper *fdw = GetForeignDataWrapper(fdwid);
	HeapTuple	tup;
	bool		ours = false;

	if (!OidIsValid(fdw->fdwvalidator))
		return false;
	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fdw->fdwvalidator));
	if (HeapTupleIsValid(tup))
	{
		Form_pg_proc proc = (Form_pg_proc) GETSTRUCT(tup);

		if (proc->prolang == ClanguageId)
		{
			bool		isnull;
			Datum		src = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosrc,
											  &isnull);

			ours = !isnull &&
				strcmp(TextDatumGetCString(src), "paged_fdw_validator") == 0;
		}
		ReleaseSysCache(tup);
	}
	return ours;
}

/*
 * The options of a catalog row as the current command left them: the
 * post-alter hook runs before the command counter moves on, so the syscache
 * still has the old row, and SnapshotSelf sees the new one.
 */
static List *
paged_new_options(Oid catalog, Oid indexid, AttrNumber keyatt, Oid objid,
				  AttrNumber optatt)
{
	Relation	rel = table_open(catalog, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	List	   *result = NIL;

	ScanKeyInit(&key, keyatt, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(objid));
	scan = systable_beginscan(rel, indexid, true, SnapshotSelf, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, optatt, RelationGetDescr(rel), &isnull);

		if (!isnull)
			result = untransformRelOptions(d);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return result;
}

static char *
paged_list_value(List *options, const char *name)
{
	DefElem    *def = paged_find_def(options, name);

	return def ? defGetString(def) : NULL;
}

static int
paged_list_page_size(List *server_opts, List *table_opts)
{
	char	   *v = paged_list_value(table_opts, "page_size");
	int64		n = 0;

	if (v == NULL)
		v = paged_list_value(server_opts, "page_size");
	if (v != NULL)
		(void) paged_parse_int64(v, &n);
	return (int) n;
}

/*
 * After ALTER SERVER: a new api must still have every resource the
 * server's tables name, with their page sizes.  (Only when api changed: a
 * rename or owner change must not trip over a table that was already
 * wrong, which planning reports.)
 */
static void
paged_check_altered_server(Oid serverid)
{
	ForeignServer *old = GetForeignServer(serverid);
	List	   *srv;
	char	   *api;
	char	   *old_api;
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tup;

	if (!paged_is_our_wrapper(old->fdwid))
		return;
	srv = paged_new_options(ForeignServerRelationId, ForeignServerOidIndexId,
							Anum_pg_foreign_server_oid, serverid,
							Anum_pg_foreign_server_srvoptions);
	api = paged_list_value(srv, "api");
	old_api = paged_list_value(old->options, "api");
	if (api == NULL || (old_api != NULL && strcmp(api, old_api) == 0))
		return;

	rel = table_open(ForeignTableRelationId, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_foreign_table ft = (Form_pg_foreign_table) GETSTRUCT(tup);
		ForeignTable *table;
		char	   *resource;

		if (ft->ftserver != serverid)
			continue;
		table = GetForeignTable(ft->ftrelid);
		resource = paged_list_value(table->options, "resource");
		if (resource == NULL)
			continue;
		(void) paged_check_resource(api, resource,
									paged_list_page_size(srv, table->options),
									get_rel_name(ft->ftrelid));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

/* After ALTER FOREIGN TABLE ... OPTIONS: the resource and page_size. */
static void
paged_check_altered_table(Oid relid)
{
	ForeignTable *old = GetForeignTable(relid);
	ForeignServer *server = GetForeignServer(old->serverid);
	List	   *tbl;
	char	   *api;
	char	   *resource;

	if (!paged_is_our_wrapper(server->fdwid))
		return;
	tbl = paged_new_options(ForeignTableRelationId, ForeignTableRelidIndexId,
							Anum_pg_foreign_table_ftrelid, relid,
							Anum_pg_foreign_table_ftoptions);
	api = paged_list_value(server->options, "api");
	resource = paged_list_value(tbl, "resource");
	if (api == NULL || resource == NULL)
		return;
	(void) paged_check_resource(api, resource,
								paged_list_page_size(server->options, tbl),
								get_rel_name(relid));
}

/*
 * object_access_hook: the validator sees only an option list, never which
 * server or table it belongs to; after ALTER SERVER and ALTER FOREIGN
 * TABLE ... OPTIONS, PostgreSQL names the object here.  (The validator ran
 * earlier in the same command, so the library, and this hook, are loaded
 * even in a session that had not used the wrapper before.)  CREATE
 * FOREIGN TABLE has no such call: its server-dependent checks happen when
 * the table is first planned.
 */
void
paged_object_access(ObjectAccessType access, Oid classId, Oid objectId,
					int subId, void *arg)
{
	if (access != OAT_POST_ALTER || subId != 0)
		return;
	if (classId == ForeignServerRelationId)
		paged_check_altered_server(objectId);
	else if (classId == ForeignTableRelationId)
		paged_check_altered_table(objectId);
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
	o->async_capable = true;
	o->ssl_verify = true;
	o->on_list_change = "warn";
	o->oidc_token_url = "https://identity.kontur.ru/connect/token";
	o->max_requests_per_second = 0;	/* no limit */

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
paged_cut_value(const char *value, int max_bytes)
{
	int			len = strlen(value);
	int			keep;

	if (len <= max_bytes)
		return (char *) value;
	/* room for the marker, so the result stays near max_bytes */
	keep = pg_mbcliplen(value, len, Max(max_bytes - 24, 8));
	return psprintf("%.*s... (%d characters)", keep, value,
					pg_mbstrlen_with_len(value, len));
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
