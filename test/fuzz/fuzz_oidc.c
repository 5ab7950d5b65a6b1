/*-------------------------------------------------------------------------
 * fuzz_oidc.c
 *		libFuzzer target: an OpenID Connect token endpoint's answer through
 *		oidc_parse_answer (PostgreSQL's JSON parser) and
 *		oidc_check_token_answer.
 *
 * The input is the answer's body.  Either it is refused with a clean
 * ERROR (SQLSTATE HV000) whose message never quotes the access token, or
 * the token it yields is usable in an Authorization header and the
 * lifetime is within [0, OIDC_MAX_LIFETIME] (or -1: none given).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"

#include "oidc.h"
#include "pg_shim.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_answer(const uint8_t *data, size_t size)
{
	OidcAnswer	ans;
	const char *secrets[2] = {NULL, NULL};
	const char *why;
	double		lifetime;
	const char *p;

	if (!oidc_parse_answer((const char *) data, size, &ans, &why))
	{
		if (why == NULL)
			abort();
		return;
	}

	/*
	 * The access token is a secret: no message may show it, unless the
	 * answer also wrote it where a message may quote (token_type, the
	 * expires_in number), which says nothing about a leak.
	 */
	/*
	 * Only tokens with a character that no fixed part of the messages has
	 * (their words, member names, the token URL): "s_in" is in
	 * "expires_in", which says nothing about a leak either.
	 */
	if (ans.access_token != NULL && strlen(ans.access_token) >= 4 &&
		strpbrk(ans.access_token, "#$%&*+<=>?@[]^`{|}~!") != NULL &&
		!(ans.token_type && strstr(ans.token_type, ans.access_token)) &&
		!(ans.expires_in && strstr(ans.expires_in, ans.access_token)))
	{
		secrets[0] = ans.access_token;
		shim_secrets = secrets;
	}
	oidc_check_token_answer(&ans, "https://id.example/connect/token", &lifetime);
	shim_secrets = NULL;

	if (ans.access_token == NULL || ans.access_token[0] == '\0')
		abort();
	for (p = ans.access_token; *p; p++)
		if ((unsigned char) *p <= 0x20 || (unsigned char) *p >= 0x7f ||
			*p == ',' || *p == '"' || *p == '\\')
			abort();
	if (!(lifetime == -1 || (lifetime >= 0 && lifetime <= OIDC_MAX_LIFETIME)))
		abort();
	if ((lifetime == -1) != (ans.expires_in == NULL))
		abort();
	oidc_answer_wipe(&ans);
	if (ans.access_token != NULL || ans.refresh_token != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sigjmp_buf	jb;

	shim_set_database_encoding(PG_UTF8);
	if (sigsetjmp(jb, 0) == 0)
	{
		PG_exception_stack = &jb;
		fuzz_answer(data, size);
	}
	else if (shim_last_sqlstate() != ERRCODE_FDW_ERROR)
	{
		fprintf(stderr, "fuzz: ERROR with SQLSTATE %d: %s\n",
				shim_last_sqlstate(), shim_last_message());
		abort();
	}
	PG_exception_stack = NULL;
	error_context_stack = NULL;
	shim_secrets = NULL;
	shim_reset();
	return 0;
}
