/*-------------------------------------------------------------------------
 * oidc.c
 *		OpenID Connect refresh-token flow: access tokens for Diadoc.
 *
 * POST {oidc_token_url} with an application/x-www-form-urlencoded body
 * grant_type=refresh_token&client_id=..&client_secret=..&refresh_token=..
 * (and scope when the server option oidc_scope is set) returns JSON with an
 * access_token, its lifetime (expires_in) and perhaps a new refresh_token.
 *
 * Tokens are kept per backend and user mapping in TopMemoryContext: the
 * access token until shortly before it expires (or until the API answers
 * 401), the refresh token for as long as the mapping's credentials stay
 * the same.  A refresh token the provider rotates replaces the mapping's
 * one in this backend only; it is not written back to the catalog (a
 * backend cannot write a user mapping behind the user's back, and another
 * backend may hold a rotation of its own).  Every secret is zeroed before
 * its memory is freed.
 *
 * Scope: RFC 6749 section 6 makes scope optional in a refresh request and
 * grants the originally granted scope when it is absent, so none is sent
 * unless oidc_scope asks for one (asking for a scope that was not granted
 * is an invalid_scope error).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/hashfn.h"
#include "lib/stringinfo.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "oidc.h"

/* Refresh this long before expiry: a tenth of the lifetime, at most 60 s. */
#define OIDC_EARLY_MAX_SECS	60.0

typedef struct OidcEntry
{
	struct OidcEntry *next;
	Oid			umid;
	uint64		cred_hash;		/* token url, client, secret, mapping's
								 * refresh token, scope */
	char	   *refresh_token;	/* current one (may have rotated) */
	char	   *access_token;	/* NULL when there is no current one */
	TimestampTz refresh_at;		/* renew from then on; 0 = until a 401 */
	uint64		generation;
} OidcEntry;

static OidcEntry *oidc_entries = NULL;
static uint64 oidc_generation = 0;

static void
oidc_free_string(char **s)
{
	if (*s != NULL)
	{
		explicit_bzero(*s, strlen(*s));
		pfree(*s);
		*s = NULL;
	}
}

static uint64
oidc_cred_hash(const PagedOptions *opts)
{
	StringInfoData buf;
	uint64		h;
	const char *parts[5];
	int			i;

	parts[0] = opts->oidc_token_url;
	parts[1] = opts->client_id;
	parts[2] = opts->client_secret;
	parts[3] = opts->refresh_token;
	parts[4] = opts->oidc_scope ? opts->oidc_scope : "";
	/* NUL separators keep ("ab","c") and ("a","bc") apart */
	initStringInfo(&buf);
	for (i = 0; i < (int) lengthof(parts); i++)
		appendBinaryStringInfo(&buf, parts[i], strlen(parts[i]) + 1);
	h = hash_bytes_extended((const unsigned char *) buf.data, buf.len,
							UINT64CONST(0x6f6964630a));
	explicit_bzero(buf.data, buf.len);
	pfree(buf.data);
	return h;
}

static void
oidc_entry_free(OidcEntry *e)
{
	oidc_free_string(&e->refresh_token);
	oidc_free_string(&e->access_token);
	pfree(e);
}

/* The entry of this mapping, a fresh one if its credentials changed. */
static OidcEntry *
oidc_entry(const PagedOptions *opts)
{
	OidcEntry **p = &oidc_entries;
	OidcEntry  *e;
	uint64		h = oidc_cred_hash(opts);

	while ((e = *p) != NULL)
	{
		if (e->umid == opts->umid)
		{
			if (e->cred_hash == h)
				return e;
			*p = e->next;
			oidc_entry_free(e);
			break;
		}
		p = &e->next;
	}
	e = MemoryContextAllocZero(TopMemoryContext, sizeof(OidcEntry));
	e->umid = opts->umid;
	e->cred_hash = h;
	e->refresh_token = MemoryContextStrdup(TopMemoryContext,
										   opts->refresh_token);
	e->next = oidc_entries;
	oidc_entries = e;
	return e;
}

void
oidc_forget_access_token(Oid umid)
{
	OidcEntry  *e;

	for (e = oidc_entries; e != NULL; e = e->next)
		if (e->umid == umid)
			oidc_free_string(&e->access_token);
}

/* Provider text for a message: secrets redacted, excerpted, redacted again. */
static char *
oidc_shown(const HttpRequest *req, const char *text, size_t maxlen)
{
	size_t		len = strlen(text);
	const char *redacted = http_redact(req, text, &len);
	char	   *ex = http_excerpt(redacted, len, maxlen);

	len = strlen(ex);
	return unconstify(char *, http_redact(req, ex, &len));
}

/*
 * An error answer (RFC 6749 section 5.2: JSON with "error").  Rejected
 * credentials are 28000; the provider's error code and description are
 * quoted, secrets redacted.  Returns only if the body is no such answer.
 */
static void
oidc_raise_error_answer(const HttpRequest *req, const HttpResponse *resp)
{
	OidcAnswer	ans;
	const char *why;
	const char *code;
	char	   *code_shown;
	char	   *desc_shown = NULL;
	int			sqlstate;

	if (resp->body == NULL ||
		!oidc_parse_answer(resp->body, resp->len, &ans, &why))
		return;
	if (ans.error == NULL)
	{
		oidc_answer_wipe(&ans);
		return;
	}
	code = ans.error;
	code_shown = oidc_shown(req, code, 100);
	if (ans.error_description != NULL)
		desc_shown = oidc_shown(req, ans.error_description, 300);

	if (strcmp(code, "invalid_grant") == 0 ||
		strcmp(code, "invalid_client") == 0 ||
		strcmp(code, "unauthorized_client") == 0 ||
		strcmp(code, "invalid_scope") == 0)
		sqlstate = ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION;
	else
		sqlstate = ERRCODE_FDW_ERROR;
	oidc_answer_wipe(&ans);

	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg("OpenID Connect token request failed with HTTP status %ld",
					resp->status),
			 desc_shown && desc_shown[0] ?
			 errdetail("The identity provider at %s answered \"%s\": \"%s\".",
					   req->url, code_shown, desc_shown) :
			 errdetail("The identity provider at %s answered \"%s\".",
					   req->url, code_shown),
			 strcmp(code_shown, "invalid_grant") == 0 ?
			 errhint("The refresh token in the user mapping is no longer valid (expired, revoked, or already rotated); put a new one in with ALTER USER MAPPING ... OPTIONS (SET refresh_token '...').") :
			 strcmp(code_shown, "invalid_client") == 0 ?
			 errhint("Check the options \"client_id\" and \"client_secret\" of the user mapping.") :
			 strcmp(code_shown, "invalid_scope") == 0 ?
			 errhint("Check the server option \"oidc_scope\".") : 0));
}

/* Ask the token endpoint; retries like page requests.  Fills *ans. */
static void
oidc_request(HttpConn *conn, const PagedOptions *opts, OidcEntry *e,
			 OidcAnswer *ans, double *lifetime)
{
	HttpRequest req;
	StringInfoData body;
	TimestampTz started = GetCurrentTimestamp();
	int			attempt;

	initStringInfo(&body);
	http_form_append(&body, "grant_type", "refresh_token");
	http_form_append(&body, "client_id", opts->client_id);
	http_form_append(&body, "client_secret", opts->client_secret);
	http_form_append(&body, "refresh_token", e->refresh_token);
	if (opts->oidc_scope != NULL)
		http_form_append(&body, "scope", opts->oidc_scope);

	memset(&req, 0, sizeof(req));
	req.operation = "OpenID Connect token";
	req.url = opts->oidc_token_url;
	req.body = body.data;
	req.body_len = body.len;
	req.headers = list_make2(pstrdup("Content-Type: application/x-www-form-urlencoded"),
							 pstrdup("Accept: application/json"));
	req.secrets = list_make3(opts->client_secret, e->refresh_token,
							 opts->refresh_token);

	for (attempt = 0;; attempt++)
	{
		HttpTransfer *t = http_start(conn, &req, CurrentMemoryContext);
		HttpResponse *resp = http_wait(t);
		HttpClass	cls = http_classify(resp);
		const HttpRequest *sent = http_request(t);

		/* the transfer's copy of the body holds the secrets */
		explicit_bzero(unconstify(char *, sent->body), sent->body_len);

		if (cls == HTTP_CLASS_OK)
		{
			const char *why;
			bool		ok;

			ok = oidc_parse_answer(resp->body, resp->len, ans, &why);
			explicit_bzero(resp->body, resp->len);
			if (!ok)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_ERROR),
						 errmsg("OpenID Connect token answer from %s is unusable",
								req.url),
						 errdetail("The %zu-byte answer (HTTP status %ld, Content-Type %s) is not usable: %s.",
								   resp->len, resp->status,
								   resp->content_type ? resp->content_type : "none",
								   why)));
			http_release(t);
			oidc_check_token_answer(ans, req.url, lifetime);
			break;
		}

		if (cls == HTTP_CLASS_RETRY && attempt < opts->max_retries)
		{
			double		delay = http_retry_delay(attempt, resp->retry_after);
			double		spent = (double) (GetCurrentTimestamp() - started) / USECS_PER_SEC;

			if (opts->retry_max_time <= 0 ||
				spent + delay <= opts->retry_max_time)
			{
				http_release(t);
				http_sleep(conn, delay);
				continue;
			}
		}

		if (resp->outcome == HTTP_COMPLETED &&
			(resp->status == 400 || resp->status == 401))
			oidc_raise_error_answer(sent, resp);
		http_raise(sent, resp,
				   resp->outcome == HTTP_COMPLETED &&
				   (resp->status == 400 || resp->status == 401) ?
				   ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION : 0,
				   NULL);
	}

	explicit_bzero(body.data, body.len);
	pfree(body.data);
}

char *
oidc_auth_header(HttpConn *conn, const PagedOptions *opts, uint64 *generation)
{
	OidcEntry  *e = oidc_entry(opts);

	if (e->access_token != NULL && e->refresh_at != 0 &&
		GetCurrentTimestamp() >= e->refresh_at)
		oidc_free_string(&e->access_token);

	if (e->access_token == NULL)
	{
		OidcAnswer	ans;
		double		lifetime;
		TimestampTz now;
		bool		rotated = false;

		oidc_request(conn, opts, e, &ans, &lifetime);
		/* the request may have taken a while: count from its end */
		now = GetCurrentTimestamp();
		e->access_token = MemoryContextStrdup(TopMemoryContext,
											  ans.access_token);
		if (ans.refresh_token != NULL &&
			strcmp(ans.refresh_token, e->refresh_token) != 0)
		{
			char	   *new_refresh = MemoryContextStrdup(TopMemoryContext,
														  ans.refresh_token);

			oidc_free_string(&e->refresh_token);
			e->refresh_token = new_refresh;
			rotated = true;
		}
		if (lifetime < 0)
			e->refresh_at = 0;
		else
		{
			double		early = Min(lifetime / 10.0, OIDC_EARLY_MAX_SECS);

			/* at least one microsecond, so 0 still means "until a 401" */
			e->refresh_at = now +
				Max((int64) ((lifetime - early) * USECS_PER_SEC), 1);
		}
		e->generation = ++oidc_generation;
		elog(DEBUG1, "paged_fdw: new OpenID Connect access token for user mapping %u from %s (expires_in %s%s)",
			 opts->umid, opts->oidc_token_url,
			 ans.expires_in ? ans.expires_in : "not given",
			 rotated ? ", refresh token rotated" : "");
		oidc_answer_wipe(&ans);
	}

	*generation = e->generation;
	return psprintf("Authorization: Bearer %s", e->access_token);
}
