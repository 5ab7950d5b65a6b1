-- Parallel Foreign Scan: one Mercury interval shared out by range of
-- offsets, the packets of an IN list by stream; the same rows as serially.
\set VERBOSITY default
\set SHOW_CONTEXT never
\getenv mock MOCK_URL
\set murl :mock '/mercury/ok'
\set mshorturl :mock '/mercury/short-pages'
\set durl :mock '/diadoc/ok'
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
\i sql/include/mock_log.sql

CREATE SERVER p_m FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url :'murl', page_size '100');
CREATE USER MAPPING FOR CURRENT_USER SERVER p_m OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE p_units (uuid uuid, name text, update_date timestamptz, begin_date timestamptz)
  SERVER p_m OPTIONS (resource 'unit_changes', rows_estimate '10000');
-- a server that pages by its own, smaller size (every page half of what is asked)
CREATE SERVER p_ms FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url :'mshorturl', page_size '100');
CREATE USER MAPPING FOR CURRENT_USER SERVER p_ms OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE p_units_short (uuid uuid, name text, update_date timestamptz, begin_date timestamptz)
  SERVER p_ms OPTIONS (resource 'unit_changes', rows_estimate '10000');
CREATE SERVER p_d FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url :'durl', box_id 'box-1');
CREATE USER MAPPING FOR CURRENT_USER SERVER p_d OPTIONS (client_id 'test-client', token 'test-token');
CREATE FOREIGN TABLE p_docs (packet_id text, entity_id text) SERVER p_d OPTIONS (resource 'docflows_by_packet');

-- rows_estimate is a non-negative integer of tables
ALTER FOREIGN TABLE p_docs OPTIONS (ADD rows_estimate '-1');
ALTER FOREIGN TABLE p_docs OPTIONS (ADD rows_estimate 'many');
ALTER SERVER p_d OPTIONS (ADD rows_estimate '10');

-- A small scan is not parallel-safe (Async Append needs that): without
-- rows_estimate or an earlier scan's total, three packets are estimated at
-- 30 documents, far too few to pay for starting workers
EXPLAIN (COSTS OFF) SELECT count(*) FROM p_docs WHERE packet_id IN ('p100', 'p250', 'p7');
-- ... unless starting workers costs nothing
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
EXPLAIN (COSTS OFF) SELECT count(*) FROM p_docs WHERE packet_id IN ('p100', 'p250', 'p7');
RESET parallel_setup_cost;
RESET parallel_tuple_cost;

-- The estimate from the total an earlier scan was told (default costs).
-- Before any scan: the default (one page of 1000 rows), a serial plan.
CREATE FOREIGN TABLE p_units_est (uuid uuid, name text, update_date timestamptz, begin_date timestamptz)
  SERVER p_m OPTIONS (resource 'unit_changes');
CREATE FUNCTION scan_plan(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  j jsonb;
  scan jsonb;
BEGIN
  EXECUTE 'EXPLAIN (VERBOSE, FORMAT JSON) ' || q INTO j;
  scan := jsonb_path_query_first(j, 'strict $.** ? (@."Node Type" == "Foreign Scan")');
  RETURN format('%s%s: %s rows, %s',
                CASE WHEN j::text LIKE '%"Gather"%' THEN 'Gather > ' ELSE '' END,
                CASE WHEN (scan->>'Parallel Aware')::boolean THEN 'Parallel Foreign Scan' ELSE 'Foreign Scan' END,
                scan->>'Plan Rows', scan->>'Rows Estimate');
END $$;
SELECT scan_plan($$SELECT count(*) FROM p_units_est WHERE begin_date = '2000-01-01'$$);
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM p_units_est WHERE begin_date = '2000-01-01';
SET max_parallel_workers_per_gather = 0;
SELECT count(*) AS n, count(DISTINCT uuid) AS d, min(name) AS lo, max(update_date) AS hi
  FROM p_units_est WHERE begin_date = '2000-01-01' \gset serial_
RESET max_parallel_workers_per_gather;
-- that scan was told the total: the same scan is now planned with it, big
-- enough for the planner to choose a Parallel Foreign Scan by cost
SELECT scan_plan($$SELECT count(*) FROM p_units_est WHERE begin_date = '2000-01-01'$$);
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM p_units_est WHERE begin_date = '2000-01-01';
SELECT count(*) = :serial_n AND count(DISTINCT uuid) = :serial_d AND min(name) = :'serial_lo'
       AND max(update_date) = :'serial_hi' AS same_as_serial
  FROM p_units_est WHERE begin_date = '2000-01-01';
-- other conditions, another estimate: not known yet
SELECT scan_plan($$SELECT count(*) FROM p_units_est WHERE begin_date = '2000-01-01' AND update_date >= '2024-01-01'$$);
-- a parameter's value is not known when planning: no estimate from totals
PREPARE est(timestamptz) AS SELECT count(*) FROM p_units_est WHERE begin_date = $1;
SET plan_cache_mode = force_generic_plan;
SELECT scan_plan($$EXECUTE est('2000-01-01')$$);
RESET plan_cache_mode;
DEALLOCATE est;
-- rows_estimate overrides the earlier total: small again, serial
ALTER FOREIGN TABLE p_units_est OPTIONS (ADD rows_estimate '500');
SELECT scan_plan($$SELECT count(*) FROM p_units_est WHERE begin_date = '2000-01-01'$$);
ALTER FOREIGN TABLE p_units_est OPTIONS (SET rows_estimate '100000');
SELECT scan_plan($$SELECT count(*) FROM p_units_est WHERE begin_date = '2000-01-01'$$);
-- without the option, the earlier total again
ALTER FOREIGN TABLE p_units_est OPTIONS (DROP rows_estimate);
SELECT scan_plan($$SELECT count(*) FROM p_units_est WHERE begin_date = '2000-01-01'$$);
-- another user (own user mapping, maybe another account) has no estimate
-- from this user's scans
CREATE ROLE regress_paged_est;
GRANT USAGE ON FOREIGN SERVER p_m TO regress_paged_est;
GRANT SELECT ON p_units_est TO regress_paged_est;
GRANT EXECUTE ON FUNCTION scan_plan(text) TO regress_paged_est;
CREATE USER MAPPING FOR regress_paged_est SERVER p_m OPTIONS (user 'test-user', password 'test-password');
SET ROLE regress_paged_est;
SELECT scan_plan($$SELECT count(*) FROM p_units_est WHERE begin_date = '2000-01-01'$$);
RESET ROLE;
-- a LIMIT 1 query (one request for one row) is told the total too
SELECT scan_plan($$SELECT count(*) FROM p_units_est WHERE begin_date = '2001-01-01'$$);
SELECT count(*) FROM (SELECT 1 FROM p_units_est WHERE begin_date = '2001-01-01' LIMIT 1) s;
SELECT scan_plan($$SELECT count(*) FROM p_units_est WHERE begin_date = '2001-01-01'$$);

-- use_remote_estimate (server and table option, a boolean): with no
-- estimate known, the planner asks the API for one row and takes the
-- list's total from the answer
ALTER SERVER p_m OPTIONS (ADD use_remote_estimate 'maybe');
ALTER FOREIGN TABLE p_units_est OPTIONS (ADD use_remote_estimate '1x');
ALTER USER MAPPING FOR CURRENT_USER SERVER p_m OPTIONS (ADD use_remote_estimate 'true');
CREATE FOREIGN TABLE p_units_remote (uuid uuid, name text, update_date timestamptz, begin_date timestamptz)
  SERVER p_m OPTIONS (resource 'unit_changes', use_remote_estimate 'true');
SELECT count(*) >= 0 AS cleared FROM mock_requests();
-- exactly one request, for one row, while planning; big enough for a
-- Parallel Foreign Scan by cost (default costs)
SELECT scan_plan($$SELECT count(*) FROM p_units_remote WHERE begin_date = '2000-01-01'$$);
SELECT regexp_replace(line, ' begin=.*', '') AS request FROM mock_requests() AS r(line);
-- the total is the scan's row count
SELECT count(*) FROM p_units_remote WHERE begin_date = '2000-01-01';
SELECT count(*) >= 0 AS cleared FROM mock_requests();
-- known now: planned without a request
SELECT scan_plan($$SELECT count(*) FROM p_units_remote WHERE begin_date = '2000-01-01'$$);
SELECT count(*) AS requests FROM mock_requests();
-- rows_estimate set: no request
ALTER FOREIGN TABLE p_units_remote OPTIONS (ADD rows_estimate '500');
SELECT scan_plan($$SELECT count(*) FROM p_units_remote WHERE begin_date = '2002-01-01'$$);
SELECT count(*) AS requests FROM mock_requests();
ALTER FOREIGN TABLE p_units_remote OPTIONS (DROP rows_estimate);
-- a parameter's value is not known when planning: no request
PREPARE est_remote(timestamptz) AS SELECT count(*) FROM p_units_remote WHERE begin_date = $1;
SET plan_cache_mode = force_generic_plan;
SELECT scan_plan($$EXECUTE est_remote('2002-01-01')$$);
SELECT count(*) AS requests FROM mock_requests();
-- a custom plan knows the value: one request, once
RESET plan_cache_mode;
SELECT scan_plan($$EXECUTE est_remote('2002-01-01')$$);
SELECT scan_plan($$EXECUTE est_remote('2002-01-01')$$);
SELECT count(*) AS requests FROM mock_requests();
DEALLOCATE est_remote;
-- without the required condition the scan cannot be sent: no request
SELECT scan_plan($$SELECT count(*) FROM p_units_remote WHERE name = 'x'$$);
SELECT count(*) AS requests FROM mock_requests();
-- another user learns nothing from this user's request: it asks its own;
-- nothing is asked for a user the executor will refuse (no SELECT)
SET ROLE regress_paged_est;
SELECT scan_plan($$SELECT count(*) FROM p_units_remote WHERE begin_date = '2000-01-01'$$);
RESET ROLE;
SELECT count(*) AS requests FROM mock_requests();
GRANT SELECT ON p_units_remote TO regress_paged_est;
SET ROLE regress_paged_est;
SELECT scan_plan($$SELECT count(*) FROM p_units_remote WHERE begin_date = '2000-01-01'$$);
RESET ROLE;
SELECT count(*) AS requests FROM mock_requests();
-- the server option, and the table's overriding it
CREATE SERVER p_mr FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'mercury', url :'murl', page_size '100', use_remote_estimate 'true');
CREATE USER MAPPING FOR CURRENT_USER SERVER p_mr OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE p_units_r1 (uuid uuid, begin_date timestamptz) SERVER p_mr OPTIONS (resource 'unit_changes');
CREATE FOREIGN TABLE p_units_r2 (uuid uuid, begin_date timestamptz) SERVER p_mr
  OPTIONS (resource 'unit_changes', use_remote_estimate 'false');
SELECT scan_plan($$SELECT count(*) FROM p_units_r1 WHERE begin_date = '2003-01-01'$$);
SELECT count(*) AS requests FROM mock_requests();
SELECT scan_plan($$SELECT count(*) FROM p_units_r2 WHERE begin_date = '2003-01-01'$$);
SELECT count(*) AS requests FROM mock_requests();
-- several lists (keys in an IN list): one request for each, up to 10;
-- the estimate is the sum of their totals
CREATE FOREIGN TABLE p_countries (guid uuid) SERVER p_mr OPTIONS (resource 'countries');
CREATE FOREIGN TABLE p_regions (guid uuid, country_guid uuid) SERVER p_mr
  OPTIONS (resource 'regions_by_country');
SELECT string_agg(quote_literal(guid), ', ' ORDER BY guid) AS guids3
  FROM (SELECT guid FROM p_countries ORDER BY guid LIMIT 3) s \gset
SELECT string_agg(quote_literal(guid), ', ' ORDER BY guid) AS guids12
  FROM (SELECT guid FROM p_countries ORDER BY guid LIMIT 12) s \gset
SELECT count(*) >= 0 AS cleared FROM mock_requests();
SELECT scan_plan($$SELECT count(*) FROM p_regions WHERE country_guid IN ($$ || :'guids3' || ')');
SELECT count(*) AS requests, count(*) FILTER (WHERE line ~ 'count=1 offset=0 ') AS for_one_row
  FROM mock_requests() AS r(line);
SELECT count(*) FROM p_regions WHERE country_guid IN (:guids3);
-- twelve lists: ten asked, the other two taken to be as long as their average
SELECT count(*) >= 0 AS cleared FROM mock_requests();
SELECT scan_plan($$SELECT count(*) FROM p_regions WHERE country_guid IN ($$ || :'guids12' || ')');
SELECT count(*) AS requests FROM mock_requests();
-- an answer that says hasMore instead of total: the defaults (asked again
-- by the next plan: nothing was learned)
\set mhasmoreurl :mock '/mercury/hasmore'
CREATE SERVER p_mh FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'mercury', url :'mhasmoreurl', use_remote_estimate 'true');
CREATE USER MAPPING FOR CURRENT_USER SERVER p_mh OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE p_units_hm (uuid uuid, begin_date timestamptz) SERVER p_mh OPTIONS (resource 'unit_changes');
SELECT scan_plan($$SELECT count(*) FROM p_units_hm WHERE begin_date = '2000-01-01'$$);
SELECT scan_plan($$SELECT count(*) FROM p_units_hm WHERE begin_date = '2000-01-01'$$);
SELECT count(*) AS requests FROM mock_requests();
-- Diadoc's answers carry no total: nothing is asked
ALTER SERVER p_d OPTIONS (ADD use_remote_estimate 'true');
SELECT scan_plan($$SELECT count(*) FROM p_docs WHERE packet_id = 'p100'$$);
SELECT count(*) AS requests FROM mock_requests();
ALTER SERVER p_d OPTIONS (DROP use_remote_estimate);
-- an error while estimating is the scan's ERROR, raised while planning
-- (EXPLAIN too), without the credentials; the session goes on
\set mbadurl :mock '/mercury/status-500'
CREATE SERVER p_mre FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'mercury', url :'mbadurl', max_retries '0', use_remote_estimate 'true');
CREATE USER MAPPING FOR CURRENT_USER SERVER p_mre OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE p_units_re (uuid uuid, begin_date timestamptz) SERVER p_mre OPTIONS (resource 'unit_changes');
\set SHOW_CONTEXT always
EXPLAIN (COSTS OFF) SELECT count(*) FROM p_units_re WHERE begin_date = '2000-01-01';
\set SHOW_CONTEXT never
SELECT count(*) AS requests FROM mock_requests();
-- the request counts in the statistics, its ERROR too
SELECT scans, requests, errors, errors_by_class FROM paged_fdw_stats WHERE server = 'p_mre';
-- a cancel (statement_timeout) while estimating ends the query as usual
\set mslowurl :mock '/mercury/slow-2000'
CREATE SERVER p_mrs FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'mercury', url :'mslowurl', use_remote_estimate 'true');
CREATE USER MAPPING FOR CURRENT_USER SERVER p_mrs OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE p_units_rs (uuid uuid, begin_date timestamptz) SERVER p_mrs OPTIONS (resource 'unit_changes');
SET statement_timeout = '200ms';
EXPLAIN (COSTS OFF) SELECT count(*) FROM p_units_rs WHERE begin_date = '2000-01-01';
RESET statement_timeout;
SELECT 1 AS still_usable;
DROP SERVER p_mr, p_mh, p_mre, p_mrs CASCADE;

ALTER FOREIGN TABLE p_docs OPTIONS (ADD rows_estimate '1000');

SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET max_parallel_workers_per_gather = 2;

-- Serial results first
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial AS
  SELECT 'units' AS t, count(*) AS n, count(DISTINCT uuid) AS d, min(name) AS lo, max(update_date)::text AS hi
  FROM p_units WHERE begin_date = '2000-01-01'
  UNION ALL
  SELECT 'short', count(*), count(DISTINCT uuid), min(name), max(update_date)::text
  FROM p_units_short WHERE begin_date = '2000-01-01'
  UNION ALL
  SELECT 'docs', count(*), count(DISTINCT entity_id), min(entity_id), max(entity_id)
  FROM p_docs WHERE packet_id IN ('p100', 'p250', 'p7', 'p1000', 'p0', 'p333');
SELECT * FROM serial ORDER BY t;
SET max_parallel_workers_per_gather = 2;

EXPLAIN (COSTS OFF) SELECT count(*) FROM p_units WHERE begin_date = '2000-01-01';
EXPLAIN (COSTS OFF) SELECT count(*) FROM p_docs WHERE packet_id IN ('p100', 'p250', 'p7');
SELECT count(*) >= 0 AS cleared FROM mock_requests();
CREATE TEMP TABLE par AS
  SELECT 'units' AS t, count(*) AS n, count(DISTINCT uuid) AS d, min(name) AS lo, max(update_date)::text AS hi
  FROM p_units WHERE begin_date = '2000-01-01';
-- each page asked for once, no range read twice; each process asks once
-- past the end (the list might have grown)
SELECT count(*) FILTER (WHERE line ~ 'units=100 ') AS full_pages,
       count(*) FILTER (WHERE line !~ 'units=100 ') BETWEEN 1 AND 3 AS past_the_end,
       count(*) = count(DISTINCT line) AS none_twice
FROM mock_requests() AS r(line);
INSERT INTO par
  SELECT 'short', count(*), count(DISTINCT uuid), min(name), max(update_date)::text
  FROM p_units_short WHERE begin_date = '2000-01-01';
SELECT count(*) = count(DISTINCT line) AS none_twice FROM mock_requests() AS r(line);
INSERT INTO par
  SELECT 'docs', count(*), count(DISTINCT entity_id), min(entity_id), max(entity_id)
  FROM p_docs WHERE packet_id IN ('p100', 'p250', 'p7', 'p1000', 'p0', 'p333');
SELECT t, p.n = s.n AND p.d = s.d AND p.lo = s.lo AND p.hi = s.hi AS same_as_serial, p.n
FROM par p JOIN serial s USING (t) ORDER BY t;
-- the workers did share the work: parallel workers that read rows
CREATE FUNCTION workers_with_rows(q text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  j jsonb;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, FORMAT JSON) ' || q INTO j;
  RETURN (SELECT count(*) FROM jsonb_path_query(j,
            'strict $.** ? (@."Parallel Aware" == true)."Workers"[*]."Actual Rows"') r
          WHERE r::text::bigint > 0);
END $$;
SELECT workers_with_rows($$SELECT count(*) FROM p_units WHERE begin_date = '2000-01-01'$$) >= 1 AS units_shared,
       workers_with_rows($$SELECT count(*) FROM p_docs WHERE packet_id IN ('p1000', 'p2000', 'p3000')$$) >= 1 AS docs_shared;

-- A LIMIT keeps the scan serial (its rows depend on the scan's order)
EXPLAIN (COSTS OFF) SELECT name FROM p_units WHERE begin_date = '2000-01-01' AND name LIKE '%7' LIMIT 5;
SELECT name FROM p_units WHERE begin_date = '2000-01-01' AND name LIKE '%7' LIMIT 5;
-- a UNION ALL of two parallel scans: a Parallel Append
EXPLAIN (COSTS OFF)
SELECT count(*) FROM (SELECT uuid FROM p_units WHERE begin_date = '2000-01-01'
                      UNION ALL SELECT uuid FROM p_units_short WHERE begin_date = '2000-01-01') u;
SELECT count(*) FROM (SELECT uuid FROM p_units WHERE begin_date = '2000-01-01'
                      UNION ALL SELECT uuid FROM p_units_short WHERE begin_date = '2000-01-01') u;

-- A list that grows while it is read (the first page announces a total a
-- quarter too small): serially the scan follows it to the new end; in
-- parallel too (each process asks past the total it knows).  The WARNING
-- about it comes from one process or several, so it is not shown here.
\set mgrowurl :mock '/mercury/grow'
CREATE SERVER p_mg FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url :'mgrowurl', page_size '100');
CREATE USER MAPPING FOR CURRENT_USER SERVER p_mg OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE p_units_grow (uuid uuid, begin_date timestamptz)
  SERVER p_mg OPTIONS (resource 'unit_changes', rows_estimate '10000');
SET client_min_messages = error;
SET max_parallel_workers_per_gather = 0;
SELECT count(*), count(DISTINCT uuid) FROM p_units_grow WHERE begin_date = '2000-01-01';
SET max_parallel_workers_per_gather = 2;
SELECT count(*), count(DISTINCT uuid) FROM p_units_grow WHERE begin_date = '2000-01-01';
RESET client_min_messages;

-- An ERROR in a worker ends the query; the session goes on
\set mbadurl :mock '/mercury/status-500'
CREATE SERVER p_mb FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url :'mbadurl', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER p_mb OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE p_units_bad (uuid uuid, begin_date timestamptz)
  SERVER p_mb OPTIONS (resource 'unit_changes', rows_estimate '10000');
\set VERBOSITY terse
SELECT count(*) FROM p_units_bad WHERE begin_date = '2000-01-01';
\set VERBOSITY default
SELECT count(*) FROM p_units WHERE begin_date = '2000-01-01';

RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET max_parallel_workers_per_gather;

-- An Append of small scans keeps Async Append (its scans are not
-- parallel-safe); of scans known to be big, it is parallel-safe, and
-- PostgreSQL then does not run it asynchronously
CREATE FOREIGN TABLE p_small1 (uuid uuid, begin_date timestamptz) SERVER p_m OPTIONS (resource 'unit_changes');
CREATE FOREIGN TABLE p_small2 (uuid uuid, begin_date timestamptz) SERVER p_m OPTIONS (resource 'unit_changes');
EXPLAIN (COSTS OFF)
SELECT uuid FROM p_small1 WHERE begin_date = '2002-01-01'
UNION ALL SELECT uuid FROM p_small2 WHERE begin_date = '2002-01-01';
ALTER FOREIGN TABLE p_small1 OPTIONS (ADD rows_estimate '1000000');
ALTER FOREIGN TABLE p_small2 OPTIONS (ADD rows_estimate '1000000');
EXPLAIN (COSTS OFF)
SELECT uuid FROM p_small1 WHERE begin_date = '2002-01-01'
UNION ALL SELECT uuid FROM p_small2 WHERE begin_date = '2002-01-01';
-- max_concurrency bounds the whole parallel scan, not each process: no
-- more processes than it, and they split the window (a server answering
-- after 20 ms, so that requests overlap; the mock counts the most at once)
\set mlaturl :mock '/mercury/latency-20'
\set statscmd 'curl -s ' :mock '/_stats'
\set resetcmd 'curl -s ' :mock '/_control/reset-max-inflight'
CREATE FUNCTION mock_max_inflight(reset boolean) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE mock_log_buf;
  EXECUTE format('COPY mock_log_buf FROM PROGRAM %L',
                 current_setting(CASE WHEN reset THEN 'paged.resetcmd' ELSE 'paged.statscmd' END));
  RETURN substring((SELECT line FROM mock_log_buf) FROM 'max_inflight=([0-9]+)')::bigint;
END $$;
SELECT set_config('paged.statscmd', :'statscmd', false) IS NOT NULL AS ok,
       set_config('paged.resetcmd', :'resetcmd', false) IS NOT NULL AS ok;
CREATE SERVER p_mc FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'mercury', url :'mlaturl', page_size '100', max_concurrency '2');
CREATE USER MAPPING FOR CURRENT_USER SERVER p_mc OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE p_units_mc (uuid uuid, begin_date timestamptz) SERVER p_mc
  OPTIONS (resource 'unit_changes', rows_estimate '1000000');
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET max_parallel_workers_per_gather = 4;
-- two requests at once: the leader and one worker
EXPLAIN (COSTS OFF) SELECT count(*) FROM p_units_mc WHERE begin_date = '2000-01-01';
SELECT mock_max_inflight(true) IS NULL AS reset;
SELECT count(*) = (SELECT n FROM serial WHERE t = 'units') AS all_rows FROM p_units_mc WHERE begin_date = '2000-01-01';
SELECT mock_max_inflight(false) BETWEEN 1 AND 2 AS at_most_max_concurrency;
-- one request at a time: no parallel plan
ALTER SERVER p_mc OPTIONS (SET max_concurrency '1');
EXPLAIN (COSTS OFF) SELECT count(*) FROM p_units_mc WHERE begin_date = '2000-01-01';
ALTER SERVER p_mc OPTIONS (SET max_concurrency '2', ADD prefetch 'false');
EXPLAIN (COSTS OFF) SELECT count(*) FROM p_units_mc WHERE begin_date = '2000-01-01';
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET max_parallel_workers_per_gather;
DROP SERVER p_mc CASCADE;
DROP FUNCTION mock_max_inflight(boolean);

SET client_min_messages = warning;
DROP SERVER p_m, p_ms, p_d, p_mg, p_mb CASCADE;
DROP FUNCTION scan_plan(text);
DROP ROLE regress_paged_est;
