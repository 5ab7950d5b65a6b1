#!/usr/bin/env bash
# Secrets never show: runs every pg_regress file of the suite and extra
# error and EXPLAIN (VERBOSE, ANALYZE) cases with distinctive credentials,
# then greps the complete client output and the server log (written at
# log_min_messages = debug5) for them.  Prints "ok - ..." / "FAIL - ...".
#
#   test/secrets.sh          (run_tests.sh runs it; alone, it installs first)
#
# The rule.  A secret may appear only where the user typed it: in the text
# of their own statement.  So the lines that quote a statement are left out
# of the search, and nothing else is:
#   - psql runs without echoing statements; the "LINE n:" lines (and the
#     caret under them) with which it quotes a statement at an error
#     position are left out;
#   - in the server log, STATEMENT entries (log_min_error_statement shows
#     the statement that failed, e.g. a CREATE USER MAPPING with a bad
#     option) are left out.  log_statement stays 'none': with 'ddl' or
#     'all' PostgreSQL itself logs CREATE USER MAPPING with its options
#     (README.md, Security).
# Every ERROR, WARNING, NOTICE, DETAIL, HINT, CONTEXT, DEBUG line, every
# EXPLAIN line and every row is searched.  As a check of the check, the
# secrets must be found in the STATEMENT entries that were left out.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

# distinctive values; every secret in the suite contains "sekrit"
SECRET_TOKEN=SEKRIT-TOKEN-4711
SECRET_LOGIN=SEKRIT-LOGIN-1234
SECRET_PASSWORD=SEKRIT-PASSWORD-0815
SECRET_ACCESS=SEKRIT-ACCESS-3141
SECRET_CLIENT=SEKRIT-CLIENTSECRET-2718
SECRET_REFRESH=SEKRIT-REFRESH-1618
pattern='sekrit'
# forms that do not say "sekrit": the Basic header's base64 of the mapping's
# user:password, and the ends of each secret as they would show after a
# cut ("...RD-0815") (case-sensitive)
basic64=$(printf '%s' "test-user:$SECRET_PASSWORD" | base64)
tails="$basic64|RD-0815|EN-4711|IN-1234|SS-3141|ET-2718|SH-1618"

if [ "${1:-}" != "--inside" ]; then
	# Run by run_tests.sh, right after it installed this tree's build under
	# its lock.  On its own: take the same lock and install this tree
	# (another worktree may have installed its own build meanwhile).
	if take_test_lock; then
		build_and_install || { echo "FAIL - secrets: build and install"; exit 1; }
	fi
	work=$(mktemp -d /tmp/paged_fdw_secrets.XXXXXX)
	chmod 755 "$work"
	trap 'stop_mock; stop_tls_mock' EXIT
	encode_fixtures
	# the access tokens the mock issues are secrets too
	creds=(--token "$SECRET_TOKEN" --login "$SECRET_LOGIN" --password "$SECRET_PASSWORD"
		--access-token "$SECRET_ACCESS" --client-secret "$SECRET_CLIENT"
		--refresh-token "$SECRET_REFRESH" --issued-prefix SEKRIT-ISSUED-)
	if ! MOCK_PORT=0 start_mock --units 10000 "${creds[@]}"; then
		echo "FAIL - secrets: start the mock"
		exit 1
	fi
	if ! { make_test_cert "$work/tls" &&
		MOCK_TLS_PORT=0 start_tls_mock "$work/tls" --units 10000 "${creds[@]}"; }; then
		echo "FAIL - secrets: start the TLS mock"
		exit 1
	fi
	export SECRETS_WORK=$work
	pg_virtualenv -t \
		-o log_min_messages=debug5 \
		-o log_error_verbosity=verbose \
		-o log_min_error_statement=error \
		-o log_statement=none \
		"$here/secrets.sh" --inside
	rc=$?
	# keep everything for a look when something failed
	if [ $rc = 0 ]; then rm -rf "$work"; else echo "# outputs and server log kept in $work"; fi
	exit $rc
fi

# ---- inside pg_virtualenv -------------------------------------------------
work=$SECRETS_WORK
out=$work/client.out
: >"$out"
log="$(dirname "$PG_CLUSTER_CONF_ROOT")/log/postgresql-15-regress.log"
failed=0
ok() { echo "ok - secrets: $1"; }
bad() {
	echo "FAIL - secrets: $1"
	failed=1
}

# what pg_regress sets
export PGTZ=PST8PDT PGDATESTYLE='Postgres, MDY'

# client output without the statement quotes psql adds at error positions
# and without the PL/pgSQL context lines quoting a statement it ran
client_text() {
	awk '/^LINE [0-9]+: / { skip = 1; next }
		skip && /^ *\^ *$/ { skip = 0; next }
		/^(CONTEXT:  )?SQL statement "/ { skip = 0; next }
		{ skip = 0; print }' "$1"
}

# 1. every suite file, with the test credentials replaced
regress=$(sed -n 's/^REGRESS = //p' "$top/Makefile")
for name in $regress; do
	f=$work/$name.sql
	sed -e "s/test-token/$SECRET_TOKEN/g" -e "s/test-login/$SECRET_LOGIN/g" \
		-e "s/test-password/$SECRET_PASSWORD/g" -e "s/test-access-token/$SECRET_ACCESS/g" \
		-e "s/test-secret/$SECRET_CLIENT/g" -e "s/test-refresh/$SECRET_REFRESH/g" \
		"$top/sql/$name.sql" >"$f"
	createdb "secrets_$name" && psql -X -q -d "secrets_$name" -c 'CREATE EXTENSION paged_fdw' ||
		{ bad "create database for $name"; continue; }
	(cd "$top" && psql -X -q -d "secrets_$name" -v ON_ERROR_STOP=0 -f "$f") >"$work/$name.out" 2>&1
	cat "$work/$name.out" >>"$out"
	got=$(grep -cE '^(psql:[^ ]*: )?ERROR:' "$work/$name.out")
	# grep -c prints 0 and fails when nothing matches
	want=$(grep -cE '^ERROR:' "$top/expected/$name.out" 2>/dev/null || true)
	[ -n "$want" ] || want="?"
	leaks=$(client_text "$work/$name.out" | grep -ci "$pattern")
	leaks=$((leaks + $(client_text "$work/$name.out" | grep -cE "$tails")))
	if [ "$got" != "$want" ]; then
		bad "sql/$name.sql gave $got errors, expected/$name.out has $want (output: $work/$name.out)"
		grep -E '^(psql:[^ ]*: )?ERROR:' "$work/$name.out" | head -n 40
	elif [ "$leaks" != 0 ]; then
		bad "sql/$name.sql: $leaks output lines show a secret"
		client_text "$work/$name.out" | grep -iE "$pattern|$tails" | head -n 20
	else
		ok "sql/$name.sql with secret credentials: $got errors as in expected/$name.out, no secret in the output"
	fi
done

# 2. error and EXPLAIN cases of our own, DEBUG messages to the client too
cat >"$work/extra.sql" <<EOF
\\set VERBOSITY verbose
\\set SHOW_CONTEXT always
SET client_min_messages = debug5;
SET timezone = 'UTC';
CREATE SERVER d_ok FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url '$MOCK_URL/diadoc/ok', box_id 'box-1');
CREATE SERVER d_login FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url '$MOCK_URL/diadoc/ok', box_id 'box-1');
CREATE SERVER d_badpw FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url '$MOCK_URL/diadoc/ok', box_id 'box-1');
CREATE SERVER d_badtok FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url '$MOCK_URL/diadoc/ok', box_id 'box-1');
CREATE SERVER d_503 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url '$MOCK_URL/diadoc/status-503', box_id 'box-1', max_retries '2', retry_max_time '5');
CREATE SERVER d_echo FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url '$MOCK_URL/diadoc/echo-auth', box_id 'box-1');
CREATE SERVER d_garbage FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url '$MOCK_URL/diadoc/garbage', box_id 'box-1');
CREATE SERVER d_refused FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url 'http://127.0.0.1:1/diadoc', box_id 'box-1');
CREATE SERVER d_tls FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url '$MOCK_TLS_URL/diadoc/ok', box_id 'box-1');
CREATE SERVER o_ok FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url '$MOCK_URL/diadoc/ok', box_id 'box-1', oidc_token_url '$MOCK_URL/oidc/ok/connect/token');
CREATE SERVER o_rot FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url '$MOCK_URL/diadoc/ok', box_id 'box-1', oidc_token_url '$MOCK_URL/oidc/rotate/connect/token');
CREATE SERVER o_grant FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url '$MOCK_URL/diadoc/ok', box_id 'box-1', oidc_token_url '$MOCK_URL/oidc/ok/connect/token');
CREATE SERVER o_client FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url '$MOCK_URL/diadoc/ok', box_id 'box-1', oidc_token_url '$MOCK_URL/oidc/ok/connect/token');
CREATE SERVER o_bad FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url '$MOCK_URL/diadoc/ok', box_id 'box-1', max_retries '1', retry_max_time '5', oidc_token_url '$MOCK_URL/oidc/not-json/connect/token');
CREATE SERVER o_echo FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url '$MOCK_URL/diadoc/echo-auth', box_id 'box-1', oidc_token_url '$MOCK_URL/oidc/ok/connect/token');
CREATE SERVER b_ok FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url '$MOCK_URL/diadoc/ok', box_id 'box-1');
CREATE SERVER b_bad FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url '$MOCK_URL/diadoc/ok', box_id 'box-1');
CREATE SERVER b_echo FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url '$MOCK_URL/diadoc/echo-auth', box_id 'box-1');
CREATE SERVER m_ok FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url '$MOCK_URL/mercury/ok');
CREATE SERVER m_badpw FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url '$MOCK_URL/mercury/ok');
CREATE SERVER m_500 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url '$MOCK_URL/mercury/fault-internal', max_retries '1', retry_max_time '5');
CREATE SERVER m_echo FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url '$MOCK_URL/mercury/echo-auth');
CREATE SERVER m_xxe FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url '$MOCK_URL/mercury/xxe');
CREATE SERVER d_echohtml FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url '$MOCK_URL/diadoc/echo-html', box_id 'box-1');
CREATE SERVER d_echoutf8 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url '$MOCK_URL/diadoc/echo-utf8-12', box_id 'box-1');
CREATE SERVER m_echohtml FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url '$MOCK_URL/mercury/echo-html');
CREATE SERVER m_fault190 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url '$MOCK_URL/mercury/echo-fault-190', max_retries '0');
CREATE SERVER m_attr30 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url '$MOCK_URL/mercury/echo-attr-30');
CREATE SERVER m_value50 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url '$MOCK_URL/mercury/echo-value-50');
CREATE SERVER m_xmlerr40 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url '$MOCK_URL/mercury/echo-xmlerr-40');
CREATE USER MAPPING FOR CURRENT_USER SERVER d_ok OPTIONS (client_id 'test-client', token '$SECRET_TOKEN');
CREATE USER MAPPING FOR CURRENT_USER SERVER d_login OPTIONS (client_id 'test-client', login '$SECRET_LOGIN', password '$SECRET_PASSWORD');
CREATE USER MAPPING FOR CURRENT_USER SERVER d_badpw OPTIONS (client_id 'test-client', login '$SECRET_LOGIN', password 'SEKRIT-WRONG-PASSWORD-99');
CREATE USER MAPPING FOR CURRENT_USER SERVER d_badtok OPTIONS (client_id 'test-client', token 'SEKRIT-WRONG-TOKEN-55');
CREATE USER MAPPING FOR CURRENT_USER SERVER d_503 OPTIONS (client_id 'test-client', token '$SECRET_TOKEN');
CREATE USER MAPPING FOR CURRENT_USER SERVER d_echo OPTIONS (client_id 'test-client', login '$SECRET_LOGIN', password '$SECRET_PASSWORD');
CREATE USER MAPPING FOR CURRENT_USER SERVER d_garbage OPTIONS (client_id 'test-client', token '$SECRET_TOKEN');
CREATE USER MAPPING FOR CURRENT_USER SERVER d_refused OPTIONS (client_id 'test-client', token '$SECRET_TOKEN');
CREATE USER MAPPING FOR CURRENT_USER SERVER d_tls OPTIONS (client_id 'test-client', token '$SECRET_TOKEN');
CREATE USER MAPPING FOR CURRENT_USER SERVER o_ok OPTIONS (client_id 'test-client', client_secret '$SECRET_CLIENT', refresh_token '$SECRET_REFRESH');
CREATE USER MAPPING FOR CURRENT_USER SERVER o_rot OPTIONS (client_id 'test-client', client_secret '$SECRET_CLIENT', refresh_token '$SECRET_REFRESH');
CREATE USER MAPPING FOR CURRENT_USER SERVER o_grant OPTIONS (client_id 'test-client', client_secret '$SECRET_CLIENT', refresh_token 'SEKRIT-WRONG-REFRESH-11');
CREATE USER MAPPING FOR CURRENT_USER SERVER o_client OPTIONS (client_id 'test-client', client_secret 'SEKRIT-WRONG-CLIENT-22', refresh_token '$SECRET_REFRESH');
CREATE USER MAPPING FOR CURRENT_USER SERVER o_bad OPTIONS (client_id 'test-client', client_secret '$SECRET_CLIENT', refresh_token '$SECRET_REFRESH');
CREATE USER MAPPING FOR CURRENT_USER SERVER o_echo OPTIONS (client_id 'test-client', client_secret '$SECRET_CLIENT', refresh_token '$SECRET_REFRESH');
CREATE USER MAPPING FOR CURRENT_USER SERVER b_ok OPTIONS (access_token '$SECRET_ACCESS');
CREATE USER MAPPING FOR CURRENT_USER SERVER b_bad OPTIONS (access_token 'SEKRIT-WRONG-ACCESS-33');
CREATE USER MAPPING FOR CURRENT_USER SERVER b_echo OPTIONS (access_token '$SECRET_ACCESS');
CREATE USER MAPPING FOR CURRENT_USER SERVER m_ok OPTIONS (user 'test-user', password '$SECRET_PASSWORD');
CREATE USER MAPPING FOR CURRENT_USER SERVER m_badpw OPTIONS (user 'test-user', password 'SEKRIT-WRONG-MERC-77');
CREATE USER MAPPING FOR CURRENT_USER SERVER m_500 OPTIONS (user 'test-user', password '$SECRET_PASSWORD');
CREATE USER MAPPING FOR CURRENT_USER SERVER m_echo OPTIONS (user 'test-user', password '$SECRET_PASSWORD');
CREATE USER MAPPING FOR CURRENT_USER SERVER m_xxe OPTIONS (user 'test-user', password '$SECRET_PASSWORD');
CREATE USER MAPPING FOR CURRENT_USER SERVER d_echohtml OPTIONS (client_id 'test-client', token '$SECRET_TOKEN');
CREATE USER MAPPING FOR CURRENT_USER SERVER d_echoutf8 OPTIONS (client_id 'test-client', token '$SECRET_TOKEN');
CREATE USER MAPPING FOR CURRENT_USER SERVER m_echohtml OPTIONS (user 'test-user', password '$SECRET_PASSWORD');
CREATE USER MAPPING FOR CURRENT_USER SERVER m_fault190 OPTIONS (user 'test-user', password '$SECRET_PASSWORD');
CREATE USER MAPPING FOR CURRENT_USER SERVER m_attr30 OPTIONS (user 'test-user', password '$SECRET_PASSWORD');
CREATE USER MAPPING FOR CURRENT_USER SERVER m_value50 OPTIONS (user 'test-user', password '$SECRET_PASSWORD');
CREATE USER MAPPING FOR CURRENT_USER SERVER m_xmlerr40 OPTIONS (user 'test-user', password '$SECRET_PASSWORD');
DO \$\$
DECLARE s text;
BEGIN
  FOREACH s IN ARRAY ARRAY['d_ok', 'd_login', 'd_badpw', 'd_badtok', 'd_503', 'd_echo', 'd_garbage', 'd_refused', 'd_tls', 'd_echohtml', 'd_echoutf8',
                           'o_ok', 'o_rot', 'o_grant', 'o_client', 'o_bad', 'o_echo', 'b_ok', 'b_bad', 'b_echo'] LOOP
    EXECUTE format('CREATE FOREIGN TABLE %I (box_id text, packet_id text, entity_id text, status text, document jsonb) SERVER %I OPTIONS (resource %L)', s || '_t', s, 'docflows_by_packet');
  END LOOP;
  -- SearchDocflows and GetDocflows on the same servers
  FOREACH s IN ARRAY ARRAY['d_ok', 'd_login', 'd_badpw', 'd_echo', 'd_garbage', 'd_echohtml'] LOOP
    EXECUTE format('CREATE FOREIGN TABLE %I (box_id text, query text, scope text, entity_id text, status text, document jsonb) SERVER %I OPTIONS (resource %L)', s || '_s', s, 'search');
    EXECUTE format('CREATE FOREIGN TABLE %I (box_id text, message_id text, entity_id text, status text, document jsonb) SERVER %I OPTIONS (resource %L)', s || '_g', s, 'documents');
  END LOOP;
  FOREACH s IN ARRAY ARRAY['m_ok', 'm_badpw', 'm_500', 'm_echo', 'm_xxe', 'm_echohtml', 'm_fault190', 'm_attr30', 'm_value50', 'm_xmlerr40'] LOOP
    EXECUTE format('CREATE FOREIGN TABLE %I (uuid uuid, name text, update_date timestamptz, begin_date timestamptz) SERVER %I OPTIONS (resource %L)', s || '_t', s, 'unit_changes');
  END LOOP;
END \$\$;
-- successes, with everything EXPLAIN can show
EXPLAIN (VERBOSE, ANALYZE, COSTS, TIMING, BUFFERS, SUMMARY) SELECT * FROM d_ok_t WHERE packet_id = 'p250';
EXPLAIN (VERBOSE, ANALYZE, FORMAT JSON) SELECT * FROM d_login_t WHERE packet_id IN ('p3', 'p120');
EXPLAIN (VERBOSE, ANALYZE, FORMAT YAML) SELECT * FROM m_ok_t WHERE update_date >= '2024-01-01' AND update_date < '2024-01-20';
SELECT count(*), min(entity_id) FROM d_login_t WHERE packet_id = 'p5';
EXPLAIN (VERBOSE, ANALYZE) SELECT * FROM d_login_s WHERE query = 'B-1' AND scope IN ('any', 'deleted');
EXPLAIN (VERBOSE, ANALYZE) SELECT * FROM d_ok_g WHERE message_id = 'bmsg-0' AND entity_id IN ('bent-0', 'bent-1', 'x');
SELECT count(*) FROM d_login_g WHERE message_id IN ('bmsg-0', 'nope') AND entity_id = 'bent-0';
-- tokens expire: the FDW re-authenticates with the login
COPY (SELECT 1) TO PROGRAM 'curl -s $MOCK_URL/_control/expire-tokens >/dev/null';
EXPLAIN (VERBOSE, ANALYZE) SELECT * FROM d_login_t WHERE packet_id = 'p5';
-- failures, plain and under EXPLAIN ANALYZE
SELECT * FROM d_badpw_t WHERE packet_id = 'p1';
EXPLAIN (VERBOSE, ANALYZE) SELECT * FROM d_badpw_t WHERE packet_id = 'p1';
SELECT * FROM d_badtok_t WHERE packet_id = 'p1';
EXPLAIN (VERBOSE, ANALYZE) SELECT * FROM d_badtok_t WHERE packet_id = 'p1';
SELECT * FROM d_503_t WHERE packet_id = 'p1';
EXPLAIN (VERBOSE, ANALYZE) SELECT * FROM d_503_t WHERE packet_id = 'p1';
SELECT * FROM d_echo_t WHERE packet_id = 'p1';
ALTER USER MAPPING FOR CURRENT_USER SERVER d_echo OPTIONS (DROP login, DROP password, ADD token '$SECRET_TOKEN');
SELECT * FROM d_echo_t WHERE packet_id = 'p1';
SELECT * FROM d_garbage_t WHERE packet_id = 'p1';
SELECT * FROM d_echo_s WHERE query = 'B-1';
SELECT * FROM d_echo_g WHERE message_id = 'bmsg-0' AND entity_id = 'bent-0';
SELECT * FROM d_badpw_s WHERE query = 'B-1';
SELECT * FROM d_badpw_g WHERE message_id = 'bmsg-0' AND entity_id = 'bent-0';
SELECT * FROM d_garbage_s WHERE query = 'B-1';
SELECT * FROM d_garbage_g WHERE message_id = 'bmsg-0' AND entity_id = 'bent-0';
SELECT * FROM d_refused_t WHERE packet_id = 'p1';
EXPLAIN (VERBOSE, ANALYZE) SELECT * FROM d_tls_t WHERE packet_id = 'p1';
SELECT * FROM m_badpw_t WHERE begin_date = '2024-01-01';
EXPLAIN (VERBOSE, ANALYZE) SELECT * FROM m_badpw_t WHERE begin_date = '2024-01-01';
SELECT * FROM m_500_t WHERE begin_date = '2024-01-01';
SELECT * FROM m_echo_t WHERE begin_date = '2024-01-01';
SELECT * FROM m_xxe_t WHERE begin_date = '2024-01-01';
-- echoed in an HTML page, at the cut points, in a value, around a bad byte
SELECT * FROM d_echohtml_t WHERE packet_id = 'p1';
SELECT * FROM d_echohtml_s WHERE query = 'B-1';
SELECT * FROM d_echohtml_g WHERE message_id = 'bmsg-0' AND entity_id = 'bent-0';
SELECT * FROM d_echoutf8_t WHERE packet_id = 'p1';
SELECT * FROM m_echohtml_t WHERE begin_date = '2024-01-01';
SELECT * FROM m_fault190_t WHERE begin_date = '2024-01-01';
SELECT * FROM m_attr30_t WHERE begin_date = '2024-01-01';
SELECT * FROM m_value50_t WHERE begin_date = '2024-01-01';
SELECT * FROM m_xmlerr40_t WHERE begin_date = '2024-01-01';
-- planning errors and EXPLAIN without ANALYZE
EXPLAIN (VERBOSE) SELECT * FROM d_login_t WHERE packet_id = 'p1';
EXPLAIN (VERBOSE) SELECT * FROM d_login_t;
SELECT * FROM m_ok_t;
-- option errors on mappings that hold secrets
ALTER USER MAPPING FOR CURRENT_USER SERVER d_ok OPTIONS (ADD token 'SEKRIT-TWICE');
ALTER USER MAPPING FOR CURRENT_USER SERVER d_ok OPTIONS (ADD login '$SECRET_LOGIN');
ALTER USER MAPPING FOR CURRENT_USER SERVER d_ok OPTIONS (SET token E'$SECRET_TOKEN\\n');
ALTER USER MAPPING FOR CURRENT_USER SERVER d_ok OPTIONS (SET token '$SECRET_TOKEN,x');
ALTER SERVER d_ok OPTIONS (ADD password '$SECRET_PASSWORD');
-- OpenID Connect: successes (token request, 401 and refresh, rotation) under EXPLAIN
EXPLAIN (VERBOSE, ANALYZE) SELECT * FROM o_ok_t WHERE packet_id = 'p250';
EXPLAIN (VERBOSE, ANALYZE, FORMAT JSON) SELECT * FROM b_ok_t WHERE packet_id = 'p3';
COPY (SELECT 1) TO PROGRAM 'curl -s $MOCK_URL/_control/reset >/dev/null';
SELECT count(*), min(entity_id) FROM o_rot_t WHERE packet_id = 'p5';
COPY (SELECT 1) TO PROGRAM 'curl -s $MOCK_URL/_control/expire-tokens >/dev/null';
EXPLAIN (VERBOSE, ANALYZE) SELECT * FROM o_ok_t WHERE packet_id = 'p5';
EXPLAIN (VERBOSE, ANALYZE) SELECT * FROM o_rot_t WHERE packet_id = 'p5';
-- OpenID Connect failures: every error path of the token request
SELECT * FROM o_grant_t WHERE packet_id = 'p1';
EXPLAIN (VERBOSE, ANALYZE) SELECT * FROM o_grant_t WHERE packet_id = 'p1';
SELECT * FROM o_client_t WHERE packet_id = 'p1';
SELECT * FROM o_bad_t WHERE packet_id = 'p1';
ALTER SERVER o_bad OPTIONS (SET oidc_token_url '$MOCK_URL/oidc/no-access-token/connect/token');
SELECT * FROM o_bad_t WHERE packet_id = 'p1';
ALTER SERVER o_bad OPTIONS (SET oidc_token_url '$MOCK_URL/oidc/mac/connect/token');
SELECT * FROM o_bad_t WHERE packet_id = 'p1';
ALTER SERVER o_bad OPTIONS (SET oidc_token_url '$MOCK_URL/oidc/negative-expires/connect/token');
SELECT * FROM o_bad_t WHERE packet_id = 'p1';
ALTER SERVER o_bad OPTIONS (SET oidc_token_url '$MOCK_URL/oidc/string-expires/connect/token');
SELECT * FROM o_bad_t WHERE packet_id = 'p1';
ALTER SERVER o_bad OPTIONS (SET oidc_token_url '$MOCK_URL/oidc/dup/connect/token');
SELECT * FROM o_bad_t WHERE packet_id = 'p1';
ALTER SERVER o_bad OPTIONS (SET oidc_token_url '$MOCK_URL/oidc/bad-token/connect/token');
SELECT * FROM o_bad_t WHERE packet_id = 'p1';
ALTER SERVER o_bad OPTIONS (SET oidc_token_url '$MOCK_URL/oidc/array/connect/token');
SELECT * FROM o_bad_t WHERE packet_id = 'p1';
ALTER SERVER o_bad OPTIONS (SET oidc_token_url '$MOCK_URL/oidc/status-503/connect/token');
SELECT * FROM o_bad_t WHERE packet_id = 'p1';
ALTER SERVER o_bad OPTIONS (SET oidc_token_url 'http://127.0.0.1:1/connect/token');
SELECT * FROM o_bad_t WHERE packet_id = 'p1';
SELECT * FROM o_echo_t WHERE packet_id = 'p1';
SELECT * FROM b_bad_t WHERE packet_id = 'p1';
EXPLAIN (VERBOSE, ANALYZE) SELECT * FROM b_bad_t WHERE packet_id = 'p1';
SELECT * FROM b_echo_t WHERE packet_id = 'p1';
-- option errors on mappings that hold the new secrets
ALTER USER MAPPING FOR CURRENT_USER SERVER o_ok OPTIONS (ADD token 'SEKRIT-TWICE');
ALTER USER MAPPING FOR CURRENT_USER SERVER o_ok OPTIONS (ADD access_token '$SECRET_ACCESS');
ALTER USER MAPPING FOR CURRENT_USER SERVER b_ok OPTIONS (SET access_token 'SEKRIT ACCESS');
ALTER USER MAPPING FOR CURRENT_USER SERVER b_ok OPTIONS (SET access_token E'$SECRET_ACCESS\n');
ALTER SERVER o_ok OPTIONS (ADD client_secret '$SECRET_CLIENT');
ALTER SERVER o_ok OPTIONS (ADD refresh_token '$SECRET_REFRESH');
-- a token cached from a login survives the mapping's change only as long as the credentials match
ALTER USER MAPPING FOR CURRENT_USER SERVER d_login OPTIONS (SET password 'SEKRIT-CHANGED-PASSWORD');
SELECT * FROM d_login_t WHERE packet_id = 'p1';
EOF
createdb secrets_extra && psql -X -q -d secrets_extra -c 'CREATE EXTENSION paged_fdw' ||
	bad "create database for the extra cases"
psql -X -q -d secrets_extra -v ON_ERROR_STOP=0 -f "$work/extra.sql" >"$work/extra.out" 2>&1
cat "$work/extra.out" >>"$out"
nerr=$(grep -cE '^psql:[^ ]*: ERROR:' "$work/extra.out")
nexplain=$(grep -cE 'Remote Requests|"Remote Requests"|Remote Operation' "$work/extra.out")
nrows=$(grep -cE 'ent-p5-0|unit 1\b|Remote Rows' "$work/extra.out")
leaks=$(client_text "$work/extra.out" | grep -ciE "$pattern")
leaks=$((leaks + $(client_text "$work/extra.out" | grep -cE "$tails")))
# 62 statements above fail by design; a different number means a case did
# not run as intended (look at $work/extra.out)
if [ "$nerr" != 62 ] || [ "$nexplain" -lt 9 ] || [ "$nrows" -lt 2 ]; then
	bad "extra cases did not run as intended: $nerr errors (want 62), $nexplain EXPLAIN lines, $nrows result lines"
	grep -E '^psql:[^ ]*: ERROR:' "$work/extra.out"
elif [ "$leaks" != 0 ]; then
	bad "extra error and EXPLAIN cases: $leaks output lines show a secret"
	client_text "$work/extra.out" | grep -iE "$pattern|$tails" | head -n 20
else
	ok "$nerr error cases (wrong token, wrong login, 401 from Authenticate and Mercury, retries exhausted, connection refused, TLS, XML, echoed credentials in errors, HTML pages, faults, values and around bad bytes, option errors; OpenID Connect: invalid_grant, invalid_client, every bad token answer, token endpoint down, Bearer refused and echoed) and EXPLAIN (VERBOSE, ANALYZE) in text, JSON and YAML: no secret in the client output"
fi

# 3. the whole server log
if [ ! -s "$log" ]; then
	bad "no server log at $log"
	exit 1
fi
cp "$log" "$work/server.log"
# an entry starts with the timestamp of log_line_prefix; statement text is
# in STATEMENT entries and in CONTEXT entries quoting a PL/pgSQL statement
quoting='/ (STATEMENT:  |CONTEXT:  SQL statement ")/'
awk "/^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] / { stmt = (\$0 ~ $quoting) }
	!stmt { print }" "$log" >"$work/log.searched"
awk "/^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] / { stmt = (\$0 ~ $quoting) }
	stmt { print }" "$log" >"$work/log.statements"
lines=$(wc -l <"$log")
debug=$(grep -c 'DEBUG:' "$work/log.searched")
errors=$(grep -c 'ERROR:' "$work/log.searched")
leaks=$(grep -ci "$pattern" "$work/log.searched")
leaks=$((leaks + $(grep -cE "$tails" "$work/log.searched")))
control=$(grep -ci "$pattern" "$work/log.statements")
if [ "$leaks" != 0 ]; then
	bad "server log: $leaks lines outside the users' own statements show a secret"
	grep -iE "$pattern|$tails" "$work/log.searched" | head -n 20
elif [ "$debug" -lt 1000 ] || [ "$errors" -lt 50 ]; then
	bad "server log looks incomplete: $lines lines, $debug DEBUG, $errors ERROR"
elif [ "$control" -lt 1 ]; then
	bad "server log: the secrets are not even in the failed statements' text; is the search blind?"
else
	ok "server log at debug5 ($lines lines, $debug DEBUG, $errors ERROR): no secret outside the $control STATEMENT/CONTEXT lines that quote the users' own statements"
fi
exit $failed
