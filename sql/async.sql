-- Async Append: foreign scans of several partitions (or UNION ALL
-- branches) wait for their pages at the same time.
\set VERBOSITY default
\set SHOW_CONTEXT never
\getenv mock MOCK_URL
\set okurl :mock '/diadoc/ok'
\set slowurl :mock '/diadoc/latency-100'
\set badurl :mock '/diadoc/status-404'
\set statscmd 'curl -s ' :mock '/_stats'
\set resetcmd 'curl -s ' :mock '/_control/reset-max-inflight'

\i sql/include/mock_log.sql
CREATE OR REPLACE FUNCTION mock_stat(name text) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE mock_log_buf;
  EXECUTE format('COPY mock_log_buf FROM PROGRAM %L', current_setting('paged.statscmd'));
  RETURN substring((SELECT line FROM mock_log_buf) FROM name || '=([0-9]+)')::bigint;
END $$;
CREATE OR REPLACE FUNCTION mock_reset_max_inflight() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE mock_log_buf;
  EXECUTE format('COPY mock_log_buf FROM PROGRAM %L', current_setting('paged.resetcmd'));
END $$;
SELECT set_config('paged.statscmd', :'statscmd', false) IS NOT NULL AS ok,
       set_config('paged.resetcmd', :'resetcmd', false) IS NOT NULL AS ok;

-- async_capable is a boolean of servers and tables
CREATE SERVER a_bad_opt FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', api_version 'legacy', url :'okurl', async_capable 'maybe');
CREATE SERVER a_srv FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', api_version 'legacy', url :'okurl', box_id 'box-1', async_capable 'false');
ALTER SERVER a_srv OPTIONS (SET async_capable 'true');

-- A partitioned table with one partition per box, each on its own server
-- (one of them on the same server as another: scans then share a
-- connection), all answering after 100 ms.
CREATE SERVER a1 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url :'slowurl', box_id 'box-1');
CREATE SERVER a2 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url :'slowurl', box_id 'box-2');
CREATE SERVER a3 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url :'slowurl', box_id 'box-3');
CREATE USER MAPPING FOR CURRENT_USER SERVER a1 OPTIONS (client_id 'test-client', token 'test-token');
CREATE USER MAPPING FOR CURRENT_USER SERVER a2 OPTIONS (client_id 'test-client', token 'test-token');
CREATE USER MAPPING FOR CURRENT_USER SERVER a3 OPTIONS (client_id 'test-client', token 'test-token');
CREATE TABLE adocs (box_id text, packet_id text, entity_id text, index_key bytea)
  PARTITION BY LIST (box_id);
CREATE FOREIGN TABLE adocs1 PARTITION OF adocs FOR VALUES IN ('box-1')
  SERVER a1 OPTIONS (resource 'docflows_by_packet');
CREATE FOREIGN TABLE adocs2 PARTITION OF adocs FOR VALUES IN ('box-2')
  SERVER a2 OPTIONS (resource 'docflows_by_packet');
CREATE FOREIGN TABLE adocs3 PARTITION OF adocs FOR VALUES IN ('box-3')
  SERVER a3 OPTIONS (resource 'docflows_by_packet');
CREATE FOREIGN TABLE adocs4 PARTITION OF adocs FOR VALUES IN ('box-4')
  SERVER a3 OPTIONS (resource 'docflows_by_packet', box_id 'box-4');

EXPLAIN (COSTS OFF) SELECT count(*) FROM adocs WHERE packet_id = 'p250';

-- The four scans' requests are in flight at the same time: with prefetch
-- off each scan has one request in flight, so more than one at once at
-- the mock can only come from the Append.
ALTER SERVER a1 OPTIONS (ADD prefetch 'false');
ALTER SERVER a2 OPTIONS (ADD prefetch 'false');
ALTER SERVER a3 OPTIONS (ADD prefetch 'false');
SELECT mock_reset_max_inflight();
SELECT count(*), count(DISTINCT box_id) AS boxes FROM adocs WHERE packet_id = 'p250';
SELECT mock_stat('max_inflight') AS max_inflight;

-- Every row once, and each scan's rows in that scan's order (document i
-- of a packet has entity_id ent-P-i): the Append only interleaves scans.
CREATE TEMP TABLE async_rows AS
  SELECT row_number() OVER () AS n, box_id, entity_id,
         split_part(entity_id, '-', 3)::int AS doc
  FROM adocs WHERE packet_id = 'p250';
SELECT box_id, count(*), count(DISTINCT doc), min(doc), max(doc)
  FROM async_rows GROUP BY box_id ORDER BY box_id;
SELECT box_id, bool_and(doc = prev + 1) AS in_order
  FROM (SELECT box_id, doc, lag(doc) OVER (PARTITION BY box_id ORDER BY n) AS prev
        FROM async_rows) s
  WHERE prev IS NOT NULL GROUP BY box_id ORDER BY box_id;

-- The same rows without Async Append (the option on both levels)
ALTER SERVER a1 OPTIONS (ADD async_capable 'false');
ALTER SERVER a2 OPTIONS (ADD async_capable 'false');
ALTER SERVER a3 OPTIONS (ADD async_capable 'false');
EXPLAIN (COSTS OFF) SELECT count(*) FROM adocs WHERE packet_id = 'p250';
SELECT mock_reset_max_inflight();
CREATE TEMP TABLE sync_rows AS
  SELECT box_id, entity_id FROM adocs WHERE packet_id = 'p250';
SELECT mock_stat('max_inflight') AS max_inflight;
SELECT (SELECT count(*) FROM sync_rows) AS sync_rows,
       (SELECT count(*) FROM (SELECT box_id, entity_id FROM async_rows
                              EXCEPT ALL SELECT * FROM sync_rows) d) AS only_async,
       (SELECT count(*) FROM (SELECT * FROM sync_rows
                              EXCEPT ALL SELECT box_id, entity_id FROM async_rows) d) AS only_sync;
-- the table option overrides the server's
ALTER FOREIGN TABLE adocs2 OPTIONS (ADD async_capable 'true');
EXPLAIN (COSTS OFF) SELECT count(*) FROM adocs WHERE packet_id = 'p250';
ALTER SERVER a1 OPTIONS (DROP async_capable, DROP prefetch);
ALTER SERVER a2 OPTIONS (DROP async_capable, DROP prefetch);
ALTER SERVER a3 OPTIONS (DROP async_capable, DROP prefetch);
ALTER FOREIGN TABLE adocs2 OPTIONS (DROP async_capable);

-- UNION ALL of foreign tables is an Append too
EXPLAIN (COSTS OFF)
SELECT entity_id FROM adocs1 WHERE packet_id = 'p5'
UNION ALL SELECT entity_id FROM adocs3 WHERE packet_id = 'p7';
SELECT count(*) FROM (SELECT entity_id FROM adocs1 WHERE packet_id = 'p5'
                      UNION ALL SELECT entity_id FROM adocs3 WHERE packet_id = 'p7') u;

-- LIMIT over the Append: the scans stop, their transfers are dropped, and
-- the connections are fine for the next query
SELECT count(*) >= 0 AS cleared FROM mock_requests();
SELECT count(*) FROM (SELECT * FROM adocs WHERE packet_id = 'p100000' LIMIT 150) s;
-- each scan sent its first page; no scan went past its second
SELECT count(*) BETWEEN 4 AND 8 AS few_requests FROM mock_requests();
SELECT box_id, count(*) FROM adocs WHERE packet_id = 'p150' GROUP BY 1 ORDER BY 1;
-- a local condition and a LIMIT, through a cursor
BEGIN;
DECLARE c CURSOR FOR SELECT entity_id FROM adocs
  WHERE packet_id = 'p100' AND entity_id LIKE '%99';
FETCH 2 FROM c;
CLOSE c;
COMMIT;

-- An ERROR in one child ends the query; the others' transfers are dropped
-- and the session goes on
CREATE SERVER a_bad FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url :'badurl', box_id 'box-4');
CREATE USER MAPPING FOR CURRENT_USER SERVER a_bad OPTIONS (client_id 'test-client', token 'test-token');
CREATE FOREIGN TABLE adocs_bad (box_id text, packet_id text, entity_id text)
  SERVER a_bad OPTIONS (resource 'docflows_by_packet');
-- (a top-level UNION ALL: under count(*) PostgreSQL 15 puts each branch
-- under a Subquery Scan, which is not async)
EXPLAIN (COSTS OFF) SELECT entity_id FROM adocs1 WHERE packet_id = 'p1000'
UNION ALL SELECT entity_id FROM adocs_bad WHERE packet_id = 'p1000'
UNION ALL SELECT entity_id FROM adocs3 WHERE packet_id = 'p1000';
\set VERBOSITY terse
SELECT entity_id FROM adocs1 WHERE packet_id = 'p1000'
UNION ALL SELECT entity_id FROM adocs_bad WHERE packet_id = 'p1000'
UNION ALL SELECT entity_id FROM adocs3 WHERE packet_id = 'p1000';
\set VERBOSITY default
SELECT count(*) FROM (SELECT entity_id FROM adocs1 WHERE packet_id = 'p1000'
                      UNION ALL SELECT entity_id FROM adocs3 WHERE packet_id = 'p1000') u;

-- statement_timeout while every scan waits
SET statement_timeout = '50ms';
SELECT count(*) FROM adocs WHERE packet_id = 'p1000';
RESET statement_timeout;
SELECT box_id, count(*) FROM adocs WHERE packet_id = 'p150' GROUP BY 1 ORDER BY 1;

-- A retry's backoff does not hold up the other scans: one child's page
-- is answered 429 with Retry-After: 1 (so it is asked again a second
-- later), while the other child reads a packet of 20 pages, one request
-- after the other (key paging).  Those 20 requests go out during the
-- backoff; a backoff that slept in its child would let at most the one
-- request already in flight through.
\set retryurl :mock '/diadoc/retry-429-1-async'
CREATE SERVER a_retry FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url :'retryurl', box_id 'box-1');
CREATE USER MAPPING FOR CURRENT_USER SERVER a_retry OPTIONS (client_id 'test-client', token 'test-token');
CREATE FOREIGN TABLE adocs_retry (box_id text, packet_id text, entity_id text)
  SERVER a_retry OPTIONS (resource 'docflows_by_packet');
-- (a UNION ALL at the top: under count(*) its branches would be Subquery
-- Scans, which PostgreSQL 15 does not run asynchronously)
EXPLAIN (COSTS OFF)
SELECT entity_id FROM adocs_retry WHERE packet_id = 'p50'
UNION ALL SELECT entity_id FROM adocs3 WHERE packet_id = 'p2000';
ALTER SERVER a3 OPTIONS (SET url :'okurl');
SELECT count(*) >= 0 AS cleared FROM mock_requests();
CREATE TEMP TABLE retry_rows AS
  SELECT entity_id FROM adocs_retry WHERE packet_id = 'p50'
  UNION ALL SELECT entity_id FROM adocs3 WHERE packet_id = 'p2000';
SELECT count(*), count(DISTINCT entity_id) FROM retry_rows;
CREATE TEMP TABLE retry_log AS
  SELECT n, line FROM mock_requests() WITH ORDINALITY AS r(line, n);
SELECT (SELECT count(*) FROM retry_log WHERE line ~ 'packet=p50 .*status=429') AS throttled,
       (SELECT count(*) FROM retry_log WHERE line ~ 'packet=p50 .*status=200') AS retried,
       (SELECT count(*) FROM retry_log WHERE line ~ 'packet=p2000 .*status=200') AS other_pages,
       (SELECT count(*) FROM retry_log
        WHERE line ~ 'packet=p2000 '
          AND n > (SELECT min(n) FROM retry_log WHERE line ~ 'packet=p50 .*status=429')
          AND n < (SELECT min(n) FROM retry_log WHERE line ~ 'packet=p50 .*status=200')) >= 15
         AS other_pages_during_backoff;

-- Nor does a wait for max_requests_per_second: one child's server allows
-- 2 requests a second, so its 3 pages are asked for half a second apart;
-- the other child's 20 requests go out in between
CREATE SERVER a_rate FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url :'okurl', box_id 'box-1', max_requests_per_second '2');
CREATE USER MAPPING FOR CURRENT_USER SERVER a_rate OPTIONS (client_id 'test-client', token 'test-token');
CREATE FOREIGN TABLE adocs_rate (box_id text, packet_id text, entity_id text)
  SERVER a_rate OPTIONS (resource 'docflows_by_packet');
SELECT count(*) >= 0 AS cleared FROM mock_requests();
CREATE TEMP TABLE rate_rows AS
  SELECT entity_id FROM adocs_rate WHERE packet_id = 'p300'
  UNION ALL SELECT entity_id FROM adocs3 WHERE packet_id = 'p2000';
SELECT count(*), count(DISTINCT entity_id) FROM rate_rows;
CREATE TEMP TABLE rate_log AS
  SELECT n, line FROM mock_requests() WITH ORDINALITY AS r(line, n);
SELECT (SELECT count(*) FROM rate_log WHERE line ~ 'packet=p300 ') AS limited_pages,
       (SELECT count(*) FROM rate_log WHERE line ~ 'packet=p2000 ') AS other_pages,
       (SELECT count(*) FROM rate_log
        WHERE line ~ 'packet=p2000 '
          AND n > (SELECT min(n) FROM rate_log WHERE line ~ 'packet=p300 ')
          AND n < (SELECT min(n) FROM rate_log WHERE line ~ 'packet=p300 ' AND line !~ 'after=-')) >= 15
         AS other_pages_between;
ALTER SERVER a3 OPTIONS (SET url :'slowurl');

-- Nor does a re-authentication: with login and password, a page answered
-- 401 (the token expired) makes the scan ask for a new token and then for
-- the page again, both as max_requests_per_second allows (1 a second
-- here, so each waits a second).  Neither wait is in the child: the other
-- child's requests (30 pages of 100 ms) go out between the 401 and the
-- token request, and between that and the page asked again.
CREATE SERVER a_login FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url :'okurl', box_id 'box-1', max_requests_per_second '1');
CREATE USER MAPPING FOR CURRENT_USER SERVER a_login OPTIONS (client_id 'test-client', login 'test-login', password 'test-password');
CREATE FOREIGN TABLE adocs_login (box_id text, packet_id text, entity_id text)
  SERVER a_login OPTIONS (resource 'docflows_by_packet');
-- The first page needs a token first (asked for while its request is
-- built): the token request takes the first slot, the page waits for the
-- next one, and the other child goes on meanwhile
SELECT count(*) >= 0 AS cleared FROM mock_requests();
CREATE TEMP TABLE first_rows AS
  SELECT entity_id FROM adocs_login WHERE packet_id = 'p3'
  UNION ALL SELECT entity_id FROM adocs3 WHERE packet_id = 'p3000';
SELECT count(*), count(DISTINCT entity_id) FROM first_rows;
CREATE TEMP TABLE first_log AS
  SELECT n, line FROM mock_requests() WITH ORDINALITY AS r(line, n);
SELECT (SELECT count(*) FROM first_log WHERE line ~ 'Authenticate .*status=200') AS tokens,
       (SELECT count(*) FROM first_log WHERE line ~ 'packet=p3 .*status=200') AS pages,
       (SELECT count(*) FROM first_log
        WHERE line ~ 'packet=p3000 '
          AND n > (SELECT min(n) FROM first_log WHERE line ~ 'Authenticate')
          AND n < (SELECT min(n) FROM first_log WHERE line ~ 'packet=p3 ')) >= 5
         AS other_pages_before_page;
-- a second for the rate's slots to pass
SELECT pg_sleep(1);
\! curl -s "$MOCK_URL/_control/expire-tokens"
SELECT count(*) >= 0 AS cleared FROM mock_requests();
CREATE TEMP TABLE reauth_rows AS
  SELECT entity_id FROM adocs_login WHERE packet_id = 'p100'
  UNION ALL SELECT entity_id FROM adocs3 WHERE packet_id = 'p3000';
SELECT count(*), count(DISTINCT entity_id) FROM reauth_rows;
CREATE TEMP TABLE reauth_log AS
  SELECT n, line FROM mock_requests() WITH ORDINALITY AS r(line, n);
SELECT (SELECT count(*) FROM reauth_log WHERE line ~ 'packet=p100 .*status=401') AS refused,
       (SELECT count(*) FROM reauth_log WHERE line ~ 'Authenticate .*status=200') AS tokens,
       (SELECT count(*) FROM reauth_log WHERE line ~ 'packet=p100 .*status=200') AS pages,
       (SELECT count(*) FROM reauth_log
        WHERE line ~ 'packet=p3000 '
          AND n > (SELECT min(n) FROM reauth_log WHERE line ~ 'packet=p100 .*status=401')
          AND n < (SELECT min(n) FROM reauth_log WHERE line ~ 'Authenticate')) >= 5
         AS other_pages_before_token,
       (SELECT count(*) FROM reauth_log
        WHERE line ~ 'packet=p3000 '
          AND n > (SELECT min(n) FROM reauth_log WHERE line ~ 'Authenticate')
          AND n < (SELECT min(n) FROM reauth_log WHERE line ~ 'packet=p100 .*status=200')) >= 5
         AS other_pages_before_resend;
-- the same with an OpenID Connect refresh token: the token request goes to
-- the token endpoint, on a slot of the server's schedule all the same
\set tokurl :mock '/oidc/ok/connect/token'
CREATE SERVER a_oidc FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url :'okurl', box_id 'box-1', oidc_token_url :'tokurl', max_requests_per_second '1');
CREATE USER MAPPING FOR CURRENT_USER SERVER a_oidc OPTIONS (client_id 'test-client', client_secret 'test-secret', refresh_token 'test-refresh');
CREATE FOREIGN TABLE adocs_oidc (box_id text, packet_id text, entity_id text)
  SERVER a_oidc OPTIONS (resource 'docflows_by_packet');
SELECT count(*) FROM adocs_oidc WHERE packet_id = 'p3';
SELECT pg_sleep(1);
\! curl -s "$MOCK_URL/_control/expire-tokens"
SELECT count(*) >= 0 AS cleared FROM mock_requests();
CREATE TEMP TABLE oidc_rows AS
  SELECT entity_id FROM adocs_oidc WHERE packet_id = 'p100'
  UNION ALL SELECT entity_id FROM adocs3 WHERE packet_id = 'p3000';
SELECT count(*), count(DISTINCT entity_id) FROM oidc_rows;
CREATE TEMP TABLE oidc_log AS
  SELECT n, line FROM mock_requests() WITH ORDINALITY AS r(line, n);
SELECT (SELECT count(*) FROM oidc_log WHERE line ~ 'packet=p100 .*status=401') AS refused,
       (SELECT count(*) FROM oidc_log WHERE line ~ '^oidc token .*status=200') AS tokens,
       (SELECT count(*) FROM oidc_log WHERE line ~ 'packet=p100 .*status=200') AS pages,
       (SELECT count(*) FROM oidc_log
        WHERE line ~ 'packet=p3000 '
          AND n > (SELECT min(n) FROM oidc_log WHERE line ~ 'packet=p100 .*status=401')
          AND n < (SELECT min(n) FROM oidc_log WHERE line ~ '^oidc token')) >= 5
         AS other_pages_before_token,
       (SELECT count(*) FROM oidc_log
        WHERE line ~ 'packet=p3000 '
          AND n > (SELECT min(n) FROM oidc_log WHERE line ~ '^oidc token')
          AND n < (SELECT min(n) FROM oidc_log WHERE line ~ 'packet=p100 .*status=200')) >= 5
         AS other_pages_before_resend;

SET client_min_messages = warning;
DROP TABLE adocs;
DROP SERVER a1, a2, a3, a_bad, a_srv, a_retry, a_rate, a_login, a_oidc CASCADE;
