-- Diadoc OpenID Connect, compression and the request rate, against the mock API.
\set VERBOSITY default
\set SHOW_CONTEXT never
\getenv mock MOCK_URL
\set durl :mock '/diadoc/ok'
\set tokurl :mock '/oidc/ok/connect/token'
\set tok_array :mock '/oidc/array/connect/token'
\set tok_bad_token :mock '/oidc/bad-token/connect/token'
\set tok_dup :mock '/oidc/dup/connect/token'
\set tok_huge_expires :mock '/oidc/huge-expires/connect/token'
\set tok_mac :mock '/oidc/mac/connect/token'
\set tok_negative_expires :mock '/oidc/negative-expires/connect/token'
\set tok_no_access_token :mock '/oidc/no-access-token/connect/token'
\set tok_not_json :mock '/oidc/not-json/connect/token'
\set tok_rotate :mock '/oidc/rotate/connect/token'
\set tok_short_2 :mock '/oidc/short-2/connect/token'
\set tok_status_503 :mock '/oidc/status-503/connect/token'
\set tok_string_expires :mock '/oidc/string-expires/connect/token'
\set murl :mock '/mercury/ok'
\set mbomb :mock '/mercury/gzip-bomb'
\set dbomb :mock '/diadoc/gzip-bomb'
SET timezone = 'UTC';

\i sql/include/mock_log.sql

-- mock_headers(): per request, the path, the Authorization scheme, what the
-- client accepted, how the mock encoded the answer, decoded and wire sizes
\set hdrcmd 'curl -s ' :mock '/_headers'
CREATE TEMP TABLE mock_hdr_buf (line text);
CREATE FUNCTION mock_headers() RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE mock_hdr_buf;
  EXECUTE format('COPY mock_hdr_buf FROM PROGRAM %L', current_setting('paged.hdrcmd'));
  RETURN QUERY SELECT line FROM mock_hdr_buf;
END $$;
SELECT set_config('paged.hdrcmd', :'hdrcmd', false) IS NOT NULL AS ok;
SELECT count(*) >= 0 AS cleared FROM mock_headers();
-- token numbers depend on what ran before: show them as oidc-#
CREATE FUNCTION norm(s text) RETURNS text LANGUAGE sql
  AS $$ SELECT regexp_replace(s, 'oidc-[0-9]+', 'oidc-#', 'g') $$;
CREATE FUNCTION page_requests() RETURNS SETOF text LANGUAGE sql
  AS $$ SELECT norm(l) FROM mock_requests() l $$;

\set cols 'packet_id text, entity_id text, document_type text'

--
-- 1. a ready access token: "Authorization: Bearer <token>" and nothing else
--
CREATE SERVER d_bearer FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', api_version 'legacy', url :'durl', box_id 'box-1');
CREATE USER MAPPING FOR CURRENT_USER SERVER d_bearer
  OPTIONS (access_token 'test-access-token');
CREATE FOREIGN TABLE t_bearer (:cols) SERVER d_bearer OPTIONS (resource 'docflows_by_packet');
SELECT * FROM t_bearer WHERE packet_id = 'p3' ORDER BY entity_id;
-- "Bearer:static" means the header was exactly "Bearer test-access-token"
SELECT * FROM mock_headers();
SELECT * FROM mock_requests();
-- a wrong access token is refused (no renewal possible): 28000
ALTER USER MAPPING FOR CURRENT_USER SERVER d_bearer OPTIONS (SET access_token 'not-valid');
SELECT * FROM t_bearer WHERE packet_id = 'p3';
\echo SQLSTATE :SQLSTATE
SELECT * FROM mock_requests();

--
-- 2. the refresh-token flow
--
CREATE SERVER d_oidc FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', api_version 'legacy', url :'durl', box_id 'box-1', oidc_token_url :'tokurl');
CREATE USER MAPPING FOR CURRENT_USER SERVER d_oidc
  OPTIONS (client_id 'test-client', client_secret 'test-secret', refresh_token 'test-refresh');
CREATE FOREIGN TABLE t_oidc (:cols) SERVER d_oidc OPTIONS (resource 'docflows_by_packet');
CREATE FOREIGN TABLE t_oidc2 (:cols) SERVER d_oidc OPTIONS (resource 'docflows_by_packet');
SELECT count(*) FROM t_oidc WHERE packet_id = 'p3';
-- one token request (form body as decoded by the mock, no scope), then the page
SELECT * FROM page_requests();
SELECT norm(h) FROM mock_headers() h;
-- the token is reused: by the next scan, another table of the mapping, a join
SELECT count(*) FROM t_oidc WHERE packet_id = 'p250';
SELECT count(*) FROM t_oidc2 a JOIN t_oidc b USING (entity_id)
  WHERE a.packet_id = 'p2' AND b.packet_id = 'p2';
SELECT count(*) FILTER (WHERE l LIKE 'oidc token%') AS token_requests,
       count(*) FILTER (WHERE l LIKE 'diadoc GetDocflows%status=200%') AS pages
FROM mock_requests() l;
SELECT count(DISTINCT substring(h FROM 'auth=(\S+)')) AS distinct_tokens,
       count(*) FILTER (WHERE h LIKE '%auth=Bearer:oidc-%') AS bearer_requests
FROM mock_headers() h;

-- the API answers 401 (token expired early): one refresh, the page is retried
\! curl -s "$MOCK_URL/_control/expire-tokens"
SELECT count(*) FROM t_oidc WHERE packet_id = 'p3';
SELECT * FROM page_requests();
-- a scope is sent only when oidc_scope asks for it
ALTER SERVER d_oidc OPTIONS (ADD oidc_scope 'Diadoc.PublicAPI.Staging');
SELECT count(*) FROM t_oidc WHERE packet_id = 'p1';
SELECT * FROM page_requests();

-- expiry: expires_in 2 s, renewed shortly before that without any 401
CREATE SERVER d_short FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', api_version 'legacy', url :'durl', box_id 'box-1',
           oidc_token_url :'tok_short_2');
CREATE USER MAPPING FOR CURRENT_USER SERVER d_short
  OPTIONS (client_id 'test-client', client_secret 'test-secret', refresh_token 'test-refresh');
CREATE FOREIGN TABLE t_short (:cols) SERVER d_short OPTIONS (resource 'docflows_by_packet');
SELECT count(*) FROM t_short WHERE packet_id = 'p1';
SELECT count(*) FROM t_short WHERE packet_id = 'p1';
SELECT * FROM page_requests();
SELECT pg_sleep(2.1);
SELECT count(*) FROM t_short WHERE packet_id = 'p1';
SELECT * FROM page_requests();

-- rotation: each answer carries a new refresh token, the old one is dead
\! curl -s "$MOCK_URL/_control/reset"
CREATE SERVER d_rot FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', api_version 'legacy', url :'durl', box_id 'box-1',
           oidc_token_url :'tok_rotate');
CREATE USER MAPPING FOR CURRENT_USER SERVER d_rot
  OPTIONS (client_id 'test-client', client_secret 'test-secret', refresh_token 'test-refresh');
CREATE FOREIGN TABLE t_rot (:cols) SERVER d_rot OPTIONS (resource 'docflows_by_packet');
SELECT count(*) FROM t_rot WHERE packet_id = 'p1';
\! curl -s "$MOCK_URL/_control/expire-tokens"
SELECT count(*) FROM t_rot WHERE packet_id = 'p1';
\! curl -s "$MOCK_URL/_control/expire-tokens"
SELECT count(*) FROM t_rot WHERE packet_id = 'p1';
-- refresh=initial, then rot-1, then rot-2: the rotated token was used
SELECT * FROM page_requests();
-- not written back: the mapping still says test-refresh
SELECT umoptions @> ARRAY['refresh_token=test-refresh'] AS unchanged
FROM pg_user_mappings WHERE srvname = 'd_rot';

--
-- 3. the identity provider says no: 28000, its code in the DETAIL, no secret
--
ALTER USER MAPPING FOR CURRENT_USER SERVER d_oidc OPTIONS (SET refresh_token 'refresh-SECRET-1');
SELECT count(*) FROM t_oidc WHERE packet_id = 'p1';
\echo SQLSTATE :SQLSTATE
ALTER USER MAPPING FOR CURRENT_USER SERVER d_oidc
  OPTIONS (SET refresh_token 'test-refresh', SET client_secret 'client-SECRET-2');
SELECT count(*) FROM t_oidc WHERE packet_id = 'p1';
\echo SQLSTATE :SQLSTATE
SELECT * FROM page_requests();
-- fixed again: works (the backend is fine)
ALTER USER MAPPING FOR CURRENT_USER SERVER d_oidc OPTIONS (SET client_secret 'test-secret');
SELECT count(*) FROM t_oidc WHERE packet_id = 'p1';

-- the token endpoint fails: retried like pages, then its own error
CREATE SERVER d_503 FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', api_version 'legacy', url :'durl', box_id 'box-1', max_retries '1',
           oidc_token_url :'tok_status_503');
CREATE USER MAPPING FOR CURRENT_USER SERVER d_503
  OPTIONS (client_id 'test-client', client_secret 'test-secret', refresh_token 'test-refresh');
CREATE FOREIGN TABLE t_503 (:cols) SERVER d_503 OPTIONS (resource 'docflows_by_packet');
SELECT count(*) FROM t_503 WHERE packet_id = 'p1';
\echo SQLSTATE :SQLSTATE
SELECT * FROM page_requests();

--
-- 4. bad token answers: clear errors (or the documented cap), backend usable
--
CREATE SERVER d_bad FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', api_version 'legacy', url :'durl', box_id 'box-1',
           oidc_token_url :'tok_no_access_token');
CREATE USER MAPPING FOR CURRENT_USER SERVER d_bad
  OPTIONS (client_id 'test-client', client_secret 'test-secret', refresh_token 'test-refresh');
CREATE FOREIGN TABLE t_bad (:cols) SERVER d_bad OPTIONS (resource 'docflows_by_packet');
SELECT count(*) FROM t_bad WHERE packet_id = 'p1';
\echo SQLSTATE :SQLSTATE
ALTER SERVER d_bad OPTIONS (SET oidc_token_url :'tok_not_json');
SELECT count(*) FROM t_bad WHERE packet_id = 'p1';
\echo SQLSTATE :SQLSTATE
ALTER SERVER d_bad OPTIONS (SET oidc_token_url :'tok_array');
SELECT count(*) FROM t_bad WHERE packet_id = 'p1';
ALTER SERVER d_bad OPTIONS (SET oidc_token_url :'tok_mac');
SELECT count(*) FROM t_bad WHERE packet_id = 'p1';
ALTER SERVER d_bad OPTIONS (SET oidc_token_url :'tok_negative_expires');
SELECT count(*) FROM t_bad WHERE packet_id = 'p1';
ALTER SERVER d_bad OPTIONS (SET oidc_token_url :'tok_string_expires');
SELECT count(*) FROM t_bad WHERE packet_id = 'p1';
ALTER SERVER d_bad OPTIONS (SET oidc_token_url :'tok_dup');
SELECT count(*) FROM t_bad WHERE packet_id = 'p1';
ALTER SERVER d_bad OPTIONS (SET oidc_token_url :'tok_bad_token');
SELECT count(*) FROM t_bad WHERE packet_id = 'p1';
\echo SQLSTATE :SQLSTATE
-- a huge expires_in is taken as one day (README): works, token kept
ALTER SERVER d_bad OPTIONS (SET oidc_token_url :'tok_huge_expires');
SELECT count(*) FROM t_bad WHERE packet_id = 'p1';
SELECT count(*) FROM t_bad WHERE packet_id = 'p1';
SELECT * FROM page_requests();
SELECT 1 AS still_usable;

-- the token URL obeys paged_fdw.allowed_hosts like every URL
ALTER SERVER d_bad OPTIONS (SET oidc_token_url 'http://localhost:47719/oidc/ok/connect/token');
SET paged_fdw.allowed_hosts = '127.0.0.1';
SELECT count(*) FROM t_bad WHERE packet_id = 'p1';
\echo SQLSTATE :SQLSTATE
RESET paged_fdw.allowed_hosts;

--
-- 5. options: contradictory sets at CREATE/ALTER USER MAPPING name both
--
CREATE SERVER d_opt FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url :'durl');
CREATE USER MAPPING FOR CURRENT_USER SERVER d_opt
  OPTIONS (client_id 'c', token 't', refresh_token 'r');
CREATE USER MAPPING FOR CURRENT_USER SERVER d_opt
  OPTIONS (access_token 'a', login 'l', password 'p');
CREATE USER MAPPING FOR CURRENT_USER SERVER d_opt
  OPTIONS (access_token 'a', client_secret 's');
CREATE USER MAPPING FOR CURRENT_USER SERVER d_opt
  OPTIONS (token 't', login 'l');
CREATE USER MAPPING FOR CURRENT_USER SERVER d_opt
  OPTIONS (client_id 'c', client_secret 's', refresh_token 'r');
ALTER USER MAPPING FOR CURRENT_USER SERVER d_opt OPTIONS (ADD access_token 'a');
ALTER USER MAPPING FOR CURRENT_USER SERVER d_opt OPTIONS (ADD token 'a');
ALTER USER MAPPING FOR CURRENT_USER SERVER d_opt OPTIONS (ADD login 'a');
-- a Bearer token that would break the header; the value is not shown
ALTER USER MAPPING FOR CURRENT_USER SERVER d_opt
  OPTIONS (DROP client_secret, DROP refresh_token, ADD access_token 'abc def');
-- secrets only in user mappings
ALTER SERVER d_opt OPTIONS (ADD client_secret 'x');
ALTER SERVER d_opt OPTIONS (ADD refresh_token 'x');
ALTER SERVER d_opt OPTIONS (ADD access_token 'x');
ALTER USER MAPPING FOR CURRENT_USER SERVER d_opt OPTIONS (ADD oidc_token_url 'http://x');
ALTER SERVER d_opt OPTIONS (ADD oidc_token_url 'ftp://127.0.0.1/token');
ALTER SERVER d_opt OPTIONS (ADD oidc_token_url 'http://user:pw@127.0.0.1/token');
-- an incomplete refresh set is caught when the table is used
CREATE FOREIGN TABLE t_opt (:cols) SERVER d_opt OPTIONS (resource 'docflows_by_packet');
ALTER USER MAPPING FOR CURRENT_USER SERVER d_opt OPTIONS (DROP refresh_token);
SELECT * FROM t_opt WHERE packet_id = 'p1';

--
-- 6. compression: asked for, decoded; wire and decoded bytes in EXPLAIN ANALYZE
--
SELECT count(*) >= 0 AS cleared FROM mock_headers();
ALTER USER MAPPING FOR CURRENT_USER SERVER d_bearer OPTIONS (SET access_token 'test-access-token');
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT * FROM t_bearer WHERE packet_id = 'p250';
SELECT * FROM mock_headers();
CREATE SERVER m_gz FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url :'murl');
CREATE USER MAPPING FOR CURRENT_USER SERVER m_gz OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE m_units (uuid uuid, name text, update_date timestamptz)
  SERVER m_gz OPTIONS (resource 'unit_changes', page_size '500');
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT * FROM m_units WHERE update_date >= '2024-01-01';
-- pages come back in any order: totals, to compare with the EXPLAIN above
SELECT count(*) AS requests, min(h) = max(h) AS same_headers, min(h) AS headers,
       sum(split_part(substring(l FROM 'size=[0-9]+'), '=', 2)::int) AS decoded,
       sum(split_part(substring(l FROM 'wire=[0-9]+'), '=', 2)::int) AS wire
FROM mock_headers() l, LATERAL (SELECT substring(l FROM '^\S+ auth=\S+ accept=\S+ encoding=\S+')) x(h);
SELECT count(*), count(DISTINCT uuid) FROM m_units WHERE update_date >= '2024-01-01';
SELECT count(*) AS mercury_requests FROM mock_requests();

-- a gzip bomb (64 kB that inflate to 64 MB) stops at max_response_size
CREATE SERVER m_bomb FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'mercury', url :'mbomb', max_response_size '1048576');
CREATE USER MAPPING FOR CURRENT_USER SERVER m_bomb OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE m_bomb_units (uuid uuid, update_date timestamptz) SERVER m_bomb OPTIONS (resource 'unit_changes');
SELECT * FROM m_bomb_units WHERE update_date >= '2024-01-01';
\echo SQLSTATE :SQLSTATE
CREATE SERVER d_bomb FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', api_version 'legacy', url :'dbomb', box_id 'box-1', max_response_size '1048576');
CREATE USER MAPPING FOR CURRENT_USER SERVER d_bomb OPTIONS (access_token 'test-access-token');
CREATE FOREIGN TABLE t_bomb (:cols) SERVER d_bomb OPTIONS (resource 'docflows_by_packet');
SELECT * FROM t_bomb WHERE packet_id = 'p1';
\echo SQLSTATE :SQLSTATE
SELECT * FROM mock_requests();
SELECT 1 AS still_usable;

--
-- 7. max_requests_per_second
--
ALTER SERVER d_opt OPTIONS (ADD max_requests_per_second '0');
ALTER SERVER d_opt OPTIONS (ADD max_requests_per_second 'fast');
ALTER SERVER d_opt OPTIONS (ADD max_requests_per_second '1000001');
CREATE FOREIGN TABLE t_opt2 (:cols) SERVER d_opt OPTIONS (resource 'docflows_by_packet', max_requests_per_second '5');
ALTER SERVER d_opt OPTIONS (ADD max_requests_per_second '0.5');
-- at 5 requests a second, 5 pages (one token request first) cannot take
-- less than 5 intervals of 0.2 s; only a lower bound, never timing-flaky
ALTER SERVER d_oidc OPTIONS (ADD max_requests_per_second '5', DROP oidc_scope);
\! curl -s "$MOCK_URL/_control/expire-tokens"
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FROM t_oidc WHERE packet_id = 'p500';
SELECT clock_timestamp() - :'t0'::timestamptz >= interval '0.95 s' AS rate_held;
-- a token request and 5 pages
SELECT count(*) AS requests FROM mock_requests();
-- a request waiting for its slot is cancellable: at one request in 1000 s
-- the second page would wait 1000 s; statement_timeout ends it, and a
-- cancelled wait takes no slot (a faster rate applies at once)
ALTER SERVER d_bearer OPTIONS (ADD max_requests_per_second '0.001');
SET statement_timeout = '1s';
SELECT count(*) FROM t_bearer WHERE packet_id = 'p250';
\echo SQLSTATE :SQLSTATE
RESET statement_timeout;
ALTER SERVER d_bearer OPTIONS (SET max_requests_per_second '1000');
SET statement_timeout = '5s';
SELECT count(*) FROM t_bearer WHERE packet_id = 'p250';
RESET statement_timeout;
SELECT count(*) AS requests FROM mock_requests();
