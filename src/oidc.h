/*-------------------------------------------------------------------------
 * oidc.h
 *		OpenID Connect access tokens for paged_fdw (refresh-token flow).
 *
 * oidc_answer.c reads the identity provider's JSON answers (it needs only
 * palloc, ereport and PostgreSQL's JSON parser, so the fuzzer can run it);
 * oidc.c asks for tokens and keeps them per backend and user mapping.
 *-------------------------------------------------------------------------
 */
#ifndef PAGED_OIDC_H
#define PAGED_OIDC_H

#include "postgres.h"

#include "http.h"
#include "options.h"

/* Longest lifetime taken from expires_in (README.md: OpenID Connect). */
#define OIDC_MAX_LIFETIME	86400.0

/* The top-level members of a token endpoint answer we care about. */
typedef struct OidcAnswer
{
	char	   *access_token;	/* NULL if absent */
	char	   *token_type;
	char	   *refresh_token;
	char	   *error;
	char	   *error_description;
	char	   *expires_in;		/* the number as written, NULL if absent */
	const char *wrong_type;		/* first member of our set whose value was
								 * not of the expected JSON type */
	const char *duplicate;		/* first member of our set given twice */
} OidcAnswer;

/*
 * Parse a JSON answer with PostgreSQL's JSON parser.  False if it is not
 * JSON or not an object; *why then says so without quoting the text (it
 * may hold a token).
 */
extern bool oidc_parse_answer(const char *body, size_t len, OidcAnswer *ans,
							  const char **why);

/*
 * A successful (2xx) answer's token: ERROR (HV000) unless it has a usable
 * access_token, token_type Bearer (or none) and a sane expires_in.
 * *lifetime is the number of seconds, -1 when the answer gave none.
 * "endpoint" is named in messages.  Never quotes a token.
 */
extern void oidc_check_token_answer(const OidcAnswer *ans, const char *endpoint,
									double *lifetime);

/* Free an answer's strings, zeroing them first. */
extern void oidc_answer_wipe(OidcAnswer *ans);

/*
 * Authorization line for the next API request of this user mapping,
 * obtaining an access token if there is no current one.  *generation
 * changes whenever the token does.  The line is palloc'd.
 */
extern char *oidc_auth_header(HttpConn *conn, const PagedOptions *opts,
							  uint64 *generation);

/*
 * The API refused the access token (401): forget it, keeping the refresh
 * token (which may have rotated), so the next oidc_auth_header() gets a
 * new one.
 */
extern void oidc_forget_access_token(Oid umid);

#endif							/* PAGED_OIDC_H */
