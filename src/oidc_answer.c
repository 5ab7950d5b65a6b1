/*-------------------------------------------------------------------------
 * oidc_answer.c
 *		Reading an OpenID Connect token endpoint's JSON answer.
 *
 * The answer is parsed by PostgreSQL's JSON parser (pg_parse_json with a
 * semantic action that keeps the top-level members we need).  Nothing
 * here ever quotes the answer's text: a successful answer holds tokens.
 *
 * Choices (README.md, OpenID Connect):
 * - token_type must be "Bearer" (compared without regard to case, as RFC
 *   6749 says); an answer without token_type is taken as Bearer.
 * - expires_in must be a JSON number >= 0; a larger value than
 *   OIDC_MAX_LIFETIME is taken as that (the token is refreshed after a day
 *   at the latest); an answer without it keeps the token until the API
 *   answers 401.
 * - Any of the members we read given twice is an error: which one counts
 *   would be a guess.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/jsonapi.h"
#include "mb/pg_wchar.h"
#include "utils/memutils.h"

#include "oidc.h"

typedef struct OidcParse
{
	OidcAnswer *ans;
	int			depth;			/* object/array nesting, 1 = top level */
	char	  **field;			/* member of ours being read, or NULL */
	bool		field_is_number;	/* expires_in: a number is expected */
	const char *field_name;
	bool		top_is_object;
} OidcParse;

static void
oidc_object_start(void *state)
{
	OidcParse  *p = (OidcParse *) state;

	if (p->depth == 0)
		p->top_is_object = true;
	else if (p->depth == 1 && p->field != NULL && p->ans->wrong_type == NULL)
		p->ans->wrong_type = p->field_name;
	p->field = NULL;
	p->depth++;
}

static void
oidc_array_start(void *state)
{
	OidcParse  *p = (OidcParse *) state;

	if (p->depth == 1 && p->field != NULL && p->ans->wrong_type == NULL)
		p->ans->wrong_type = p->field_name;
	p->field = NULL;
	p->depth++;
}

static void
oidc_nest_end(void *state)
{
	((OidcParse *) state)->depth--;
}

static void
oidc_field_start(void *state, char *fname, bool isnull)
{
	OidcParse  *p = (OidcParse *) state;
	OidcAnswer *a = p->ans;
	static const char *const names[] = {
		"access_token", "token_type", "refresh_token", "error",
		"error_description", "expires_in"
	};
	char	  **slots[lengthof(names)];
	int			i;

	p->field = NULL;
	if (p->depth != 1)
		return;
	slots[0] = &a->access_token;
	slots[1] = &a->token_type;
	slots[2] = &a->refresh_token;
	slots[3] = &a->error;
	slots[4] = &a->error_description;
	slots[5] = &a->expires_in;
	for (i = 0; i < (int) lengthof(names); i++)
	{
		if (strcmp(fname, names[i]) != 0)
			continue;
		/* a JSON null is as good as absent */
		if (isnull)
			return;
		if (*slots[i] != NULL && a->duplicate == NULL)
			a->duplicate = names[i];
		p->field = slots[i];
		p->field_name = names[i];
		p->field_is_number = (i == 5);
		return;
	}
}

static void
oidc_scalar(void *state, char *token, JsonTokenType tokentype)
{
	OidcParse  *p = (OidcParse *) state;
	bool		want_number = p->field_is_number;
	char	  **slot = p->field;

	p->field = NULL;
	if (p->depth != 1 || slot == NULL ||
		(want_number && tokentype != JSON_TOKEN_NUMBER) ||
		(!want_number && tokentype != JSON_TOKEN_STRING))
	{
		if (p->depth == 1 && slot != NULL && p->ans->wrong_type == NULL)
			p->ans->wrong_type = p->field_name;
		/* members we do not keep (an id_token, say) are secrets too */
		if (token != NULL)
		{
			explicit_bzero(token, strlen(token));
			pfree(token);
		}
		return;
	}
	if (*slot != NULL)
	{
		explicit_bzero(*slot, strlen(*slot));
		pfree(*slot);
	}
	*slot = token;
}

bool
oidc_parse_answer(const char *body, size_t len, OidcAnswer *ans,
				  const char **why)
{
	JsonLexContext *lex;
	JsonSemAction sem;
	OidcParse	p;
	JsonParseErrorType err;
	char	   *copy;

	memset(ans, 0, sizeof(*ans));
	*why = NULL;
	if (len > (size_t) (MaxAllocSize - 1))
	{
		*why = "it is too large";
		return false;
	}
	/* the lexer wants a NUL-free string it may keep pointers into */
	if (memchr(body, '\0', len) != NULL)
	{
		*why = "it contains a NUL byte";
		return false;
	}
	copy = pnstrdup(body, len);

	memset(&p, 0, sizeof(p));
	p.ans = ans;
	memset(&sem, 0, sizeof(sem));
	sem.semstate = &p;
	sem.object_start = oidc_object_start;
	sem.object_end = oidc_nest_end;
	sem.array_start = oidc_array_start;
	sem.array_end = oidc_nest_end;
	sem.object_field_start = oidc_field_start;
	sem.scalar = oidc_scalar;

	/* RFC 8259: JSON exchanged between systems is UTF-8 */
	lex = makeJsonLexContextCstringLen(copy, (int) len, PG_UTF8, true);
	err = pg_parse_json(lex, &sem);
	explicit_bzero(copy, len);
	pfree(copy);
	if (err != JSON_SUCCESS)
	{
		oidc_answer_wipe(ans);
		*why = "it is not valid JSON";
		return false;
	}
	if (!p.top_is_object)
	{
		oidc_answer_wipe(ans);
		*why = "it is not a JSON object";
		return false;
	}
	return true;
}

void
oidc_answer_wipe(OidcAnswer *ans)
{
	char	  **slots[] = {&ans->access_token, &ans->token_type,
		&ans->refresh_token, &ans->error, &ans->error_description,
	&ans->expires_in};
	int			i;

	for (i = 0; i < (int) lengthof(slots); i++)
	{
		if (*slots[i] != NULL)
		{
			explicit_bzero(*slots[i], strlen(*slots[i]));
			pfree(*slots[i]);
			*slots[i] = NULL;
		}
	}
}

/*
 * A token goes into an HTTP header (access) or a form body (refresh):
 * visible ASCII only, and none of the characters that would end or split a
 * header value.
 */
static bool
oidc_token_chars_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		if (c <= 0x20 || c >= 0x7f || c == ',' || c == '"' || c == '\\')
			return false;
	}
	return true;
}

void
oidc_check_token_answer(const OidcAnswer *ans, const char *endpoint,
						double *lifetime)
{
	*lifetime = -1;

	if (ans->duplicate != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("OpenID Connect token answer from %s is ambiguous",
						endpoint),
				 errdetail("The member \"%s\" appears more than once.",
						   ans->duplicate)));
	if (ans->wrong_type != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("OpenID Connect token answer from %s has a member of the wrong type",
						endpoint),
				 errdetail("The member \"%s\" is not a %s.", ans->wrong_type,
						   strcmp(ans->wrong_type, "expires_in") == 0 ?
						   "number" : "string")));
	if (ans->access_token == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("OpenID Connect token answer from %s has no access_token",
						endpoint),
				 errdetail("A successful answer must carry \"access_token\".")));
	if (!oidc_token_chars_ok(ans->access_token))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("OpenID Connect token answer from %s has an unusable access_token",
						endpoint),
				 errdetail("The access token is empty or contains characters that cannot be sent in an Authorization header.")));
	if (ans->refresh_token != NULL && !oidc_token_chars_ok(ans->refresh_token))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("OpenID Connect token answer from %s has an unusable refresh_token",
						endpoint),
				 errdetail("The new refresh token is empty or contains characters other than visible ASCII.")));
	if (ans->token_type != NULL && pg_strcasecmp(ans->token_type, "Bearer") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("OpenID Connect token answer from %s has token_type \"%s\"",
						endpoint,
						oidc_token_chars_ok(ans->token_type) &&
						strlen(ans->token_type) <= 40 ?
						ans->token_type : "(not shown)"),
				 errdetail("Only Bearer tokens can be used.")));
	if (ans->expires_in != NULL)
	{
		char	   *end;
		double		v;

		errno = 0;
		v = strtod(ans->expires_in, &end);
		/* the JSON lexer has made sure it is a number */
		if (v < 0 || *end != '\0' || isnan(v))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("OpenID Connect token answer from %s has an invalid expires_in",
							endpoint),
					 errdetail("expires_in is %s; it must be a number of seconds, 0 or more.",
							   strlen(ans->expires_in) <= 40 ?
							   ans->expires_in : "a number too long to show")));
		/* huge values (and overflow to infinity) are capped */
		*lifetime = Min(v, OIDC_MAX_LIFETIME);
	}
}
