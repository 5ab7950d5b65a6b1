-- Faults: retries, hostile answers, bad values and the SQLSTATE of every
-- failure, against the mock's misbehaving scenarios.  (Timeouts, cancel
-- and the leak run are in test/faults_slow.sh.)
\set VERBOSITY default
\set SHOW_CONTEXT never
\getenv mock MOCK_URL
\set resetcmd 'curl -s ' :mock '/_control/reset'
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

\i sql/include/mock_log.sql
SELECT set_config('paged.mock', :'mock', false) IS NOT NULL AS ok;
-- retry-KIND-N counters start from zero
COPY mock_log_buf FROM PROGRAM :'resetcmd';
SELECT count(*) >= 0 AS cleared FROM mock_requests();

-- A server, user mapping and foreign table for one scenario of one API,
-- named d_SCENARIO (Diadoc) or m_SCENARIO (Mercury).
CREATE FUNCTION fault_table(api text, scenario text, opts text DEFAULT '')
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  name text := left(api, 1) || '_' || translate(scenario, '-.', '__');
BEGIN
  EXECUTE format('CREATE SERVER %I FOREIGN DATA WRAPPER paged_fdw OPTIONS (api %L, url %L%s%s)',
                 name, api, current_setting('paged.mock') || '/' || api || '/' || scenario,
                 CASE WHEN api = 'diadoc' THEN ', box_id ''box-1'', api_version ''legacy''' ELSE '' END,
                 CASE WHEN opts <> '' THEN ', ' || opts ELSE '' END);
  IF api = 'diadoc' THEN
    EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER %I OPTIONS (client_id %L, token %L)',
                   name, 'test-client', 'test-token');
    EXECUTE format('CREATE FOREIGN TABLE %I (packet_id text, entity_id text, index_key bytea,
                      document_number text, document_date date, last_event_at timestamptz,
                      status text) SERVER %I OPTIONS (resource %L)',
                   name, name, 'docflows_by_packet');
  ELSE
    EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER %I OPTIONS (user %L, password %L)',
                   name, 'test-user', 'test-password');
    EXECUTE format('CREATE FOREIGN TABLE %I (uuid uuid, name text, full_name text,
                      create_date timestamptz, update_date timestamptz, factor numeric,
                      begin_date timestamptz, end_date timestamptz)
                    SERVER %I OPTIONS (resource %L, page_size %L)',
                   name, name, 'unit_changes', '100');
  END IF;
  RETURN name;
END $$;

-- Run a query; its SQLSTATE and message, and how many requests it sent.
CREATE FUNCTION fault_case(q text, OUT state text, OUT message text, OUT requests bigint)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM count(*) FROM mock_requests();
  BEGIN
    EXECUTE q;
    state := '00000';
    message := 'ok';
  EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
  END;
  SELECT count(*) INTO requests FROM mock_requests();
END $$;

-- The query of each API used below: one Diadoc page, or two Mercury pages
-- (144 units of 2024-01-01, page_size 100).
CREATE FUNCTION fault_query(api text, tbl text) RETURNS text LANGUAGE sql AS $$
  SELECT CASE api
    WHEN 'diadoc' THEN format('SELECT count(*) FROM %I WHERE packet_id = %L', tbl, 'p5')
    ELSE format('SELECT count(*) FROM %I WHERE begin_date = %L AND end_date = %L',
                tbl, '2024-01-01', '2024-01-02') END
$$;

--
-- 1. Every HTTP status, SOAP fault and connection failure, and its SQLSTATE.
-- max_retries is 1: a status that is retried sends two requests, one that
-- must not be retried (400, 401, 402, 403, incorrectRequestFault,
-- accessDeniedFault) sends one.
--
CREATE TEMP TABLE mapping_cases (api text, scenario text, tbl text);
INSERT INTO mapping_cases
  SELECT api, 'status-' || s, fault_table(api, 'status-' || s, 'max_retries ''1''')
  FROM unnest(ARRAY['diadoc', 'mercury']) api,
       unnest(ARRAY[301, 302, 400, 401, 402, 403, 404, 405, 408, 409, 413,
                    429, 500, 502, 503, 504]) s;
INSERT INTO mapping_cases
  SELECT 'mercury', 'fault-' || k, fault_table('mercury', 'fault-' || k, 'max_retries ''1''')
  FROM unnest(ARRAY['incorrect', 'internal', 'access', 'notfound', 'offset']) k;
INSERT INTO mapping_cases
  SELECT 'mercury', 'odd-fault', fault_table('mercury', 'odd-fault', 'max_retries ''1''');
SELECT api, scenario, (fault_case(fault_query(api, tbl))).*
FROM mapping_cases ORDER BY api, scenario;

-- nothing listens on port 1: connection refused is retried, then HV00N
-- (no request reaches the mock); TLS spoken to a plain HTTP port is a
-- connect failure too
CREATE SERVER d_refused FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', api_version 'legacy', url 'http://127.0.0.1:1/diadoc', box_id 'box-1', max_retries '1');
CREATE USER MAPPING FOR CURRENT_USER SERVER d_refused OPTIONS (client_id 'test-client', token 'test-token');
CREATE FOREIGN TABLE d_refused (packet_id text, entity_id text) SERVER d_refused
  OPTIONS (resource 'docflows_by_packet');
SELECT * FROM fault_case(fault_query('diadoc', 'd_refused'));
SELECT set_config('paged.tlsurl', replace(:'mock', 'http://', 'https://') || '/mercury/ok', false) IS NOT NULL AS ok;
DO $$ BEGIN
  EXECUTE format('CREATE SERVER m_tls FOREIGN DATA WRAPPER paged_fdw OPTIONS (api %L, url %L, max_retries %L)',
                 'mercury', current_setting('paged.tlsurl'), '0');
END $$;
CREATE USER MAPPING FOR CURRENT_USER SERVER m_tls OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE m_tls (uuid uuid, begin_date timestamptz, end_date timestamptz)
  SERVER m_tls OPTIONS (resource 'unit_changes');
SELECT * FROM fault_case(fault_query('mercury', 'm_tls'));
-- the full message of a few of them
SELECT count(*) FROM d_status_403 WHERE packet_id = 'p5';
\echo SQLSTATE :SQLSTATE
SELECT count(*) FROM m_status_302 WHERE begin_date = '2024-01-01';
\echo SQLSTATE :SQLSTATE
SELECT count(*) FROM m_fault_internal WHERE begin_date = '2024-01-01';
\echo SQLSTATE :SQLSTATE
SELECT count(*) FROM m_odd_fault WHERE begin_date = '2024-01-01';
\echo SQLSTATE :SQLSTATE
-- (curl's own words vary: "after 0 ms")
\set VERBOSITY terse
SELECT count(*) FROM d_refused WHERE packet_id = 'p5';
\echo SQLSTATE :SQLSTATE
\set VERBOSITY default
SELECT count(*) FROM mock_requests();

--
-- 2. Retries: the same page again, with the same key or offset, so no row
-- is lost or repeated.  Strictly lazy paging (prefetch off) keeps the log
-- in request order.
--
SELECT fault_table('diadoc', 'retry-503-1', 'prefetch ''false''');
SELECT count(*), count(DISTINCT entity_id) FROM d_retry_503_1 WHERE packet_id = 'p250';
SELECT * FROM mock_requests();
SELECT fault_table('mercury', 'retry-reset-1', 'prefetch ''false''');
SELECT count(*), count(DISTINCT uuid) FROM m_retry_reset_1
WHERE begin_date = '2024-01-01' AND end_date = '2024-01-02';
SELECT * FROM mock_requests();
-- a body cut off mid-way, a transient SOAP fault twice per page
SELECT fault_table('diadoc', 'retry-cut-1', 'prefetch ''false''');
SELECT count(*), count(DISTINCT entity_id) FROM d_retry_cut_1 WHERE packet_id = 'p150';
SELECT * FROM mock_requests();
SELECT fault_table('mercury', 'retry-internal-2', 'prefetch ''false''');
SELECT count(*), count(DISTINCT uuid) FROM m_retry_internal_2
WHERE begin_date = '2024-01-01' AND end_date = '2024-01-02';
SELECT * FROM mock_requests();
-- with prefetch and several requests in flight the rows are the same
SELECT fault_table('mercury', 'retry-502-1-prefetch');
SELECT count(*), count(DISTINCT uuid), min(update_date), max(update_date)
FROM m_retry_502_1_prefetch WHERE begin_date = '2024-01-01' AND end_date = '2024-01-08';
SELECT split_part(split_part(line, ' ', 4), '=', 2)::int AS "offset",
       string_agg(split_part(line, ' ', 7), ' ' ORDER BY line DESC) AS statuses
FROM mock_requests() line GROUP BY 1 ORDER BY 1;
SELECT fault_table('diadoc', 'retry-reset-2-prefetch');
SELECT count(*), count(DISTINCT entity_id) FROM d_retry_reset_2_prefetch
WHERE packet_id IN ('p120', 'p230', 'p7');
SELECT count(*) FILTER (WHERE line LIKE '% status=reset %') AS resets,
       count(*) FILTER (WHERE line LIKE '% status=200 %') AS pages
FROM mock_requests() line;
-- EXPLAIN ANALYZE counts the retries
SELECT fault_table('diadoc', 'retry-500-2-explain');
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT * FROM d_retry_500_2_explain WHERE packet_id = 'p150';
SELECT * FROM mock_requests();
-- 429 with Retry-After in seconds (1) and as an HTTP date (about 2 s ahead)
SELECT fault_table('mercury', 'retry-429-1');
SELECT count(*) FROM m_retry_429_1 WHERE begin_date = '2024-01-01' AND end_date = '2024-01-01 06:00';
SELECT fault_table('diadoc', 'retry-429date-1');
SELECT count(*) FROM d_retry_429date_1 WHERE packet_id = 'p5';
SELECT * FROM mock_requests() ORDER BY 1;
-- a Retry-After beyond what retry_max_time leaves: no point in waiting
SELECT fault_table('diadoc', 'retry-429long-1', 'retry_max_time ''5''');
SELECT count(*) FROM d_retry_429long_1 WHERE packet_id = 'p5';
\echo SQLSTATE :SQLSTATE
-- max_retries runs out
SELECT fault_table('mercury', 'retry-503-9', 'max_retries ''2''');
SELECT count(*) FROM m_retry_503_9 WHERE begin_date = '2024-01-01' AND end_date = '2024-01-02';
\echo SQLSTATE :SQLSTATE
SELECT * FROM mock_requests() ORDER BY 1;

--
-- 3. Hostile answers: a clear ERROR each, and the backend goes on.
--
SELECT fault_table('diadoc', s, 'max_retries ''0''')
FROM unnest(ARRAY['truncated', 'other-message', 'missing-required', 'wrong-wire-type',
                  'huge-length', 'garbage', 'html-200', 'cycle', 'redirect', 'cut']) s;
SELECT fault_table('diadoc', 'stream', 'max_response_size ''1048576''');
SELECT fault_table('diadoc', 'huge', 'max_response_size ''1048576''');
SELECT count(*) FROM d_truncated WHERE packet_id = 'p5';
\echo SQLSTATE :SQLSTATE
SELECT count(*) FROM d_other_message WHERE packet_id = 'p5';
\echo SQLSTATE :SQLSTATE
SELECT count(*) FROM d_missing_required WHERE packet_id = 'p5';
\echo SQLSTATE :SQLSTATE
SELECT count(*) FROM d_wrong_wire_type WHERE packet_id = 'p150';
\echo SQLSTATE :SQLSTATE
SELECT count(*) FROM d_huge_length WHERE packet_id = 'p5';
\echo SQLSTATE :SQLSTATE
SELECT count(*) FROM d_garbage WHERE packet_id = 'p5';
\echo SQLSTATE :SQLSTATE
SELECT count(*) FROM d_html_200 WHERE packet_id = 'p5';
\echo SQLSTATE :SQLSTATE
SELECT count(*) FROM d_redirect WHERE packet_id = 'p5';
\echo SQLSTATE :SQLSTATE
SELECT count(*) FROM d_cut WHERE packet_id = 'p5';
\echo SQLSTATE :SQLSTATE
-- a body larger than max_response_size is aborted while it streams in, or
-- at once when its Content-Length says so; neither is retried
SELECT count(*) FROM d_stream WHERE packet_id = 'p5';
\echo SQLSTATE :SQLSTATE
SELECT count(*) FROM d_huge WHERE packet_id = 'p5';
\echo SQLSTATE :SQLSTATE
SELECT * FROM mock_requests() ORDER BY 1;
-- a key seen two pages earlier: stopped before any page is asked for twice
SELECT count(*) FROM d_cycle WHERE packet_id = 'p450';
\echo SQLSTATE :SQLSTATE
SELECT * FROM mock_requests();
-- more pages than max_pages
SELECT fault_table('diadoc', 'ok', 'max_pages ''2''');
SELECT count(*) FROM d_ok WHERE packet_id = 'p250';
\echo SQLSTATE :SQLSTATE
SELECT count(*) FROM d_ok WHERE packet_id = 'p200';
ALTER FOREIGN TABLE d_ok OPTIONS (ADD max_pages '3');
SELECT count(*) FROM d_ok WHERE packet_id = 'p250';

SELECT fault_table('mercury', s, 'max_retries ''0''')
FROM unnest(ARRAY['truncated', 'garbage', 'wrong-namespace', 'html-200', 'redirect', 'cut']) s;
SELECT fault_table('mercury', 'stream', 'max_response_size ''1048576''');
SELECT count(*) FROM m_truncated WHERE begin_date = '2024-01-01';
\echo SQLSTATE :SQLSTATE
SELECT count(*) FROM m_garbage WHERE begin_date = '2024-01-01';
\echo SQLSTATE :SQLSTATE
SELECT count(*) FROM m_wrong_namespace WHERE begin_date = '2024-01-01';
\echo SQLSTATE :SQLSTATE
SELECT count(*) FROM m_html_200 WHERE begin_date = '2024-01-01';
\echo SQLSTATE :SQLSTATE
SELECT count(*) FROM m_redirect WHERE begin_date = '2024-01-01';
\echo SQLSTATE :SQLSTATE
SELECT count(*) FROM m_cut WHERE begin_date = '2024-01-01';
\echo SQLSTATE :SQLSTATE
SELECT count(*) FROM m_stream WHERE begin_date = '2024-01-01';
\echo SQLSTATE :SQLSTATE
SELECT fault_table('mercury', 'ok', 'max_pages ''1''');
SELECT count(*) FROM m_ok WHERE begin_date = '2024-01-01' AND end_date = '2024-01-02';
\echo SQLSTATE :SQLSTATE
SELECT count(*) FROM mock_requests();

-- A total that changes between pages.  Growth is followed to the new end
-- (nothing lost, nothing twice, since the mock appends); a shrink loses
-- what cannot be known: both say so once.
SELECT fault_table('mercury', 'grow');
SELECT count(*), count(DISTINCT uuid) FROM m_grow
WHERE begin_date = '2024-01-01' AND end_date = '2024-01-08';
SELECT max(split_part(split_part(line, ' ', 4), '=', 2)::int) AS last_offset,
       string_agg(DISTINCT split_part(line, ' ', 9), ' ') AS totals
FROM mock_requests() line;
SELECT fault_table('mercury', 'shrink-total');
SELECT count(*), count(DISTINCT uuid) FROM m_shrink_total
WHERE begin_date = '2024-01-01' AND end_date = '2024-01-08';
SELECT string_agg(DISTINCT split_part(line, ' ', 9), ' ') AS totals FROM mock_requests() line;
-- on_list_change 'error': either change is an ERROR with SQLSTATE 40001
-- that rolls back a sync (growth too: see README, "Errors and retries")
CREATE TABLE sync_target (uuid uuid PRIMARY KEY);
ALTER SERVER m_shrink_total OPTIONS (ADD on_list_change 'error');
\set SHOW_CONTEXT always
BEGIN;
INSERT INTO sync_target SELECT uuid FROM m_shrink_total
WHERE begin_date = '2024-01-01' AND end_date = '2024-01-08';
\echo SQLSTATE :SQLSTATE
ROLLBACK;
\set SHOW_CONTEXT never
SELECT count(*) AS committed FROM sync_target;
SELECT count(*) AS requests FROM mock_requests();
ALTER SERVER m_grow OPTIONS (ADD on_list_change 'error');
INSERT INTO sync_target SELECT uuid FROM m_grow
WHERE begin_date = '2024-01-01' AND end_date = '2024-01-08';
\echo SQLSTATE :SQLSTATE
SELECT count(*) AS committed FROM sync_target;
SELECT count(*) >= 1 AS sent FROM mock_requests();
-- the table's option overrides the server's
ALTER FOREIGN TABLE m_grow OPTIONS (ADD on_list_change 'warn');
INSERT INTO sync_target SELECT uuid FROM m_grow
WHERE begin_date = '2024-01-01' AND end_date = '2024-01-08';
SELECT count(*) AS committed FROM sync_target;
SELECT count(*) >= 1 AS sent FROM mock_requests();
-- and a list that does not change is no error
ALTER SERVER m_ok OPTIONS (SET max_pages '0', ADD on_list_change 'error');
SELECT count(*), count(DISTINCT uuid) FROM m_ok
WHERE begin_date = '2024-01-01' AND end_date = '2024-01-08';
SELECT count(*) > 1 AS several_pages FROM mock_requests();
ALTER SERVER m_ok OPTIONS (SET max_pages '1', DROP on_list_change);
DROP TABLE sync_target;

--
-- 4. Bad values: an ERROR naming the column, the record, the page and the
-- offending text; never a silent wrong value.
--
\set SHOW_CONTEXT always
SELECT fault_table('diadoc', s)
FROM unnest(ARRAY['bad-date', 'bad-range', 'bad-utf8', 'bad-nul']) s;
-- Diadoc's DocumentDate that does not parse is NULL (the design says so)
SELECT entity_id, document_date FROM d_bad_date WHERE packet_id = 'p150' ORDER BY index_key DESC LIMIT 2;
SELECT entity_id, last_event_at FROM d_bad_range WHERE packet_id = 'p150';
\echo SQLSTATE :SQLSTATE
SELECT entity_id, status FROM d_bad_utf8 WHERE packet_id = 'p150';
\echo SQLSTATE :SQLSTATE
SELECT entity_id, document_number FROM d_bad_nul WHERE packet_id = 'p150';
\echo SQLSTATE :SQLSTATE
-- a column declared with a type the value does not fit
CREATE FOREIGN TABLE d_number_as_int (packet_id text, document_number int, status text)
  SERVER d_ok OPTIONS (resource 'docflows_by_packet');
SELECT * FROM d_number_as_int WHERE packet_id = 'p3';
\echo SQLSTATE :SQLSTATE

SELECT fault_table('mercury', s)
FROM unnest(ARRAY['bad-date', 'bad-uuid', 'bad-number', 'bad-range', 'bad-utf8', 'bad-nul']) s;
SELECT update_date FROM m_bad_date WHERE begin_date = '2024-01-01' AND end_date = '2024-01-02';
\echo SQLSTATE :SQLSTATE
SELECT uuid FROM m_bad_uuid WHERE begin_date = '2024-01-01' AND end_date = '2024-01-02';
\echo SQLSTATE :SQLSTATE
SELECT factor FROM m_bad_number WHERE begin_date = '2024-01-01' AND end_date = '2024-01-02';
\echo SQLSTATE :SQLSTATE
SELECT create_date FROM m_bad_range WHERE begin_date = '2024-01-01' AND end_date = '2024-01-02';
\echo SQLSTATE :SQLSTATE
SELECT full_name FROM m_bad_utf8 WHERE begin_date = '2024-01-01' AND end_date = '2024-01-02';
\echo SQLSTATE :SQLSTATE
SELECT name FROM m_bad_nul WHERE begin_date = '2024-01-01' AND end_date = '2024-01-02';
\echo SQLSTATE :SQLSTATE
-- the bad value is only an error when its column is read
SELECT count(*) FROM m_bad_uuid WHERE begin_date = '2024-01-01' AND end_date = '2024-01-02';
CREATE FOREIGN TABLE m_factor_as_bigint (factor bigint, begin_date timestamptz, end_date timestamptz)
  SERVER m_ok OPTIONS (resource 'unit_changes', page_size '10', max_pages '100');
SELECT sum(factor) FROM m_factor_as_bigint WHERE begin_date = '2024-01-01' AND end_date = '2024-01-02';
\echo SQLSTATE :SQLSTATE
\set SHOW_CONTEXT never

-- after all this, the backend works as before
SELECT count(*), count(DISTINCT entity_id) FROM d_ok WHERE packet_id = 'p250';
SELECT count(*) FROM m_ok WHERE begin_date = '2024-01-01' AND end_date = '2024-01-01 12:00';
