-- Connection reuse, prefetch and concurrency, observed from the mock's side.
\set VERBOSITY default

\set SHOW_CONTEXT never
\getenv mock MOCK_URL
\set durl :mock '/diadoc/ok'
\set dslowurl :mock '/diadoc/latency-200'
\set murl :mock '/mercury/ok'
\set mslowurl :mock '/mercury/latency-50'
\set statscmd 'curl -s ' :mock '/_stats'
\set resetcmd 'curl -s ' :mock '/_control/reset-max-inflight'
SET timezone = 'UTC';

\i sql/include/mock_log.sql
-- One counter of the mock's /_stats ("connections" counts TCP connections
-- accepted, including the one of the curl that asks).
CREATE OR REPLACE FUNCTION mock_stat(name text) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE mock_log_buf;
  EXECUTE format('COPY mock_log_buf FROM PROGRAM %L', current_setting('paged.statscmd'));
  RETURN substring((SELECT line FROM mock_log_buf) FROM name || '=([0-9]+)')::bigint;
END $$;
-- Forget the peak of concurrent requests: from now on, count anew.
CREATE OR REPLACE FUNCTION mock_reset_max_inflight() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE mock_log_buf;
  EXECUTE format('COPY mock_log_buf FROM PROGRAM %L', current_setting('paged.resetcmd'));
END $$;
SELECT set_config('paged.statscmd', :'statscmd', false) IS NOT NULL AS ok,
       set_config('paged.resetcmd', :'resetcmd', false) IS NOT NULL AS ok;
SELECT count(*) >= 0 AS cleared FROM mock_requests();

CREATE SERVER dfast FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', api_version 'legacy', url :'durl', box_id 'box-1');
CREATE USER MAPPING FOR CURRENT_USER SERVER dfast
  OPTIONS (client_id 'test-client', token 'test-token');
CREATE FOREIGN TABLE sp_docs (packet_id text, entity_id text, index_key bytea)
  SERVER dfast OPTIONS (resource 'docflows_by_packet');

-- 1. Connection reuse: a 100-page scan opens one TCP connection ...
SELECT mock_stat('connections') AS c0 \gset
SELECT count(*), count(DISTINCT entity_id) FROM sp_docs WHERE packet_id = 'p10000';
SELECT mock_stat('connections') - :c0 - 1 AS connections_opened;
SELECT count(*) AS requests FROM mock_requests();
-- ... and later scans of the same server in this backend open none
SELECT mock_stat('connections') AS c0 \gset
SELECT count(*) FROM sp_docs WHERE packet_id = 'p10000';
SELECT count(*) FROM sp_docs WHERE packet_id = 'p250';
SELECT mock_stat('connections') - :c0 - 1 AS connections_opened;
SELECT count(*) AS requests FROM mock_requests();

-- Slow start, then prefetch: while the rows of page 1 are handed out
-- nothing more is asked for (the consumer may stop within page 1); once
-- page 1 is used up, page 2 is asked for, and as soon as it is parsed,
-- page 3 too, while the rows of page 2 are still being handed out (here:
-- while the cursor waits)
BEGIN;
DECLARE c CURSOR FOR SELECT entity_id FROM sp_docs WHERE packet_id = 'p250';
FETCH 1 FROM c;
SELECT pg_sleep(0.2);
SELECT * FROM mock_requests() ORDER BY 1;
MOVE 100 IN c;
FETCH 1 FROM c;
SELECT pg_sleep(0.2);
SELECT * FROM mock_requests() ORDER BY 1;
COMMIT;

-- 2. Several packets: their first pages are in flight at once, up to
-- max_concurrency (each answer takes 200 ms, so overlapping requests
-- are seen by the mock).  Slow start: packet 1 alone, then 2 in flight,
-- then 4 (the window doubles with each page used up).
CREATE SERVER dslow FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', api_version 'legacy', url :'dslowurl', box_id 'box-1', max_concurrency '4');
CREATE USER MAPPING FOR CURRENT_USER SERVER dslow
  OPTIONS (client_id 'test-client', token 'test-token');
CREATE FOREIGN TABLE slowdocs (packet_id text, entity_id text)
  SERVER dslow OPTIONS (resource 'docflows_by_packet');
SELECT mock_reset_max_inflight();
SELECT packet_id, count(*) FROM slowdocs
WHERE packet_id IN ('p10', 'p20', 'p30', 'p40', 'p50', 'p60', 'p70', 'p80')
GROUP BY packet_id ORDER BY packet_id;
SELECT mock_stat('max_inflight') AS max_inflight;
SELECT * FROM mock_requests() ORDER BY 1;
-- = ANY with more packets than the window: never more than max_concurrency
ALTER SERVER dslow OPTIONS (SET max_concurrency '2');
SELECT mock_reset_max_inflight();
SELECT count(*), count(DISTINCT packet_id) FROM slowdocs
WHERE packet_id = ANY ('{p1,p2,p3,p4,p5}');
SELECT mock_stat('max_inflight') AS max_inflight;
SELECT count(*) AS requests FROM mock_requests();
-- prefetch off: strictly one request at a time
ALTER FOREIGN TABLE slowdocs OPTIONS (ADD prefetch 'false');
SELECT mock_reset_max_inflight();
SELECT count(*) FROM slowdocs WHERE packet_id IN ('p1', 'p2', 'p3');
SELECT mock_stat('max_inflight') AS max_inflight;
SELECT count(*) AS requests FROM mock_requests();

-- 3. Offset paging: after the first page told the total, up to
-- max_concurrency pages in flight, rows still in offset order, each page
-- asked for once.
CREATE SERVER mslow FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'mercury', url :'mslowurl', max_concurrency '4');
CREATE USER MAPPING FOR CURRENT_USER SERVER mslow
  OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE sp_units (name text, update_date timestamptz, begin_date timestamptz)
  SERVER mslow OPTIONS (resource 'unit_changes');
SELECT mock_reset_max_inflight();
SELECT mock_stat('connections') AS c0 \gset
SELECT count(*) AS rows,
       count(*) FILTER (WHERE name <> 'unit ' || (n - 1)) AS out_of_order
FROM (SELECT name, row_number() OVER () AS n
      FROM sp_units WHERE begin_date = '2000-01-01') s;
SELECT mock_stat('connections') - :c0 - 1 <= 4 AS at_most_4_connections;
SELECT mock_stat('max_inflight') AS max_inflight;
SELECT * FROM mock_requests() ORDER BY 1;
-- Prefetched requests go out while the consumer works, not at the next page
-- boundary: a new server (so new connections), then the cursor stops on the
-- last row of page 4.  Slow start asked for offset 0; 1000 and 2000 once
-- page 1 was used up; 3000, 4000 and 5000 once page 2 was; 6000 once page 3
-- was; and 7000 as soon as page 4 was parsed, before its rows were handed
-- out: that request, too, must have reached the mock.
CREATE SERVER mfast FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url :'murl');
CREATE USER MAPPING FOR CURRENT_USER SERVER mfast
  OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE units_fast (name text, begin_date timestamptz, update_date timestamptz)
  SERVER mfast OPTIONS (resource 'unit_changes');
BEGIN;
DECLARE c CURSOR FOR SELECT name FROM units_fast WHERE begin_date = '2000-01-01';
MOVE 3999 IN c;
SELECT pg_sleep(0.2);
SELECT * FROM mock_requests() ORDER BY 1;
FETCH 1 FROM c;
COMMIT;

-- rows in order with a window of 1, too
ALTER SERVER mslow OPTIONS (SET max_concurrency '1');
SELECT mock_reset_max_inflight();
SELECT count(*) AS rows,
       count(*) FILTER (WHERE name <> 'unit ' || (n - 1)) AS out_of_order
FROM (SELECT name, row_number() OVER () AS n
      FROM sp_units WHERE begin_date = '2000-01-01') s;
SELECT mock_stat('max_inflight') AS max_inflight;
SELECT count(*) AS requests FROM mock_requests();
ALTER SERVER mslow OPTIONS (SET max_concurrency '4');

-- 4. A pushed LIMIT never asks for rows past it, whatever the window.
SELECT count(*) FROM (SELECT name FROM sp_units WHERE begin_date = '2000-01-01' LIMIT 2500) s;
SELECT * FROM mock_requests() ORDER BY 1;
SELECT name FROM sp_units WHERE begin_date = '2000-01-01' LIMIT 3;
SELECT * FROM mock_requests() ORDER BY 1;
SELECT count(*) FROM (SELECT entity_id FROM sp_docs WHERE packet_id = 'p10000' LIMIT 150) s;
SELECT * FROM mock_requests() ORDER BY 1;

-- 4b. A LIMIT that cannot be pushed (update_date > is rechecked locally, a
-- join, a cursor closed early): slow start sends one request, not a
-- window of them.
SELECT count(*) FROM (SELECT name FROM units_fast
                      WHERE update_date > '2000-01-01' LIMIT 5) s;
SELECT * FROM mock_requests() ORDER BY 1;
SELECT count(*) FROM (SELECT name FROM units_fast
                      WHERE begin_date = '2000-01-01' AND name LIKE 'unit%' LIMIT 999) s;
SELECT * FROM mock_requests() ORDER BY 1;
-- 1001 rows: page 1 used up, pages 2 and 3 asked for, nothing more
SELECT count(*) FROM (SELECT name FROM units_fast
                      WHERE begin_date = '2000-01-01' AND name LIKE 'unit%' LIMIT 1001) s;
SELECT * FROM mock_requests() ORDER BY 1;
SELECT count(*) FROM (SELECT d.entity_id FROM sp_docs d
                      JOIN (VALUES ('p250'), ('p300'), ('p400')) v(p) ON d.packet_id = v.p
                      LIMIT 5) s;
SELECT * FROM mock_requests() ORDER BY 1;
SELECT count(*) FROM (SELECT entity_id FROM sp_docs
                      WHERE packet_id IN ('p250', 'p300', 'p400') AND entity_id <> '' LIMIT 5) s;
SELECT * FROM mock_requests() ORDER BY 1;
BEGIN;
DECLARE c CURSOR FOR SELECT name FROM units_fast WHERE begin_date = '2000-01-01';
FETCH 10 FROM c;
CLOSE c;
COMMIT;
SELECT * FROM mock_requests() ORDER BY 1;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT name FROM units_fast WHERE update_date > '2000-01-01' LIMIT 5;
SELECT count(*) AS requests FROM mock_requests();

-- 5. EXPLAIN ANALYZE counts the requests of a concurrent scan
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT count(*) FROM sp_units WHERE begin_date = '2000-01-01';
SELECT count(*) AS requests FROM mock_requests();
