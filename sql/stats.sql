-- Statistics (paged_fdw_stats, backend-local here: pg_regress does not
-- preload the library), paged_fdw_progress without preloading, who sees
-- what, and paged_fdw_stats_reset.  The cluster-wide view and live
-- progress are tested by test/progress.sh.
\set VERBOSITY default
\set SHOW_CONTEXT never
\getenv mock MOCK_URL
SET timezone = 'UTC';

-- Nothing counted yet in this backend.
SELECT count(*) AS entries FROM paged_fdw_stats;

-- Progress needs shared memory.
SELECT * FROM paged_fdw_progress;
\echo SQLSTATE :SQLSTATE

CREATE FUNCTION st_table(name text, api text, scenario text, opts text DEFAULT '')
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE SERVER %I FOREIGN DATA WRAPPER paged_fdw OPTIONS (api %L, url %L%s%s)',
                 name, api, current_setting('paged.mock') || '/' || api || '/' || scenario,
                 CASE WHEN api = 'diadoc' THEN ', box_id ''box-1'', api_version ''legacy''' ELSE '' END,
                 CASE WHEN opts <> '' THEN ', ' || opts ELSE '' END);
  IF api = 'diadoc' THEN
    EXECUTE format('CREATE USER MAPPING FOR PUBLIC SERVER %I OPTIONS (client_id %L, token %L)',
                   name, 'test-client', 'test-token');
    EXECUTE format('CREATE FOREIGN TABLE %I (packet_id text, entity_id text) SERVER %I
                    OPTIONS (resource %L, page_size %L)', name, name, 'docflows_by_packet', '100');
  ELSE
    EXECUTE format('CREATE USER MAPPING FOR PUBLIC SERVER %I OPTIONS (user %L, password %L)',
                   name, 'test-user', 'test-password');
    EXECUTE format('CREATE FOREIGN TABLE %I (uuid uuid, name text, begin_date timestamptz,
                    end_date timestamptz) SERVER %I OPTIONS (resource %L, page_size %L)',
                   name, name, 'unit_changes', '100');
  END IF;
END $$;
SELECT set_config('paged.mock', :'mock', false) IS NOT NULL AS ok;
SELECT st_table('st_ok', 'diadoc', 'ok');
SELECT st_table('st_m_ok', 'mercury', 'ok');
SELECT st_table('st_429', 'mercury', 'retry-429-1-stats');
SELECT st_table('st_garbage', 'diadoc', 'garbage');
SELECT st_table('st_slow', 'diadoc', 'slow-300');
SELECT st_table('st_hang', 'diadoc', 'hang');
-- a declared type the values do not fit: a conversion ERROR (class 22)
CREATE FOREIGN TABLE st_badtype (packet_id text, entity_id integer)
  SERVER st_ok OPTIONS (resource 'docflows_by_packet');

-- The shape of the view
\d paged_fdw_stats

-- Three scans of one table: 5 + 250 rows (1 + 3 pages of at most 100)
SELECT count(*) FROM st_ok WHERE packet_id = 'p5';
SELECT count(*) FROM st_ok WHERE packet_id = 'p250';
SELECT count(*) FROM st_ok WHERE packet_id = 'p0';
SELECT server, usename = current_user AS me, resource, scans, requests, pages, rows,
       bytes_wire > 0 AS got_bytes, bytes_wire < bytes_decoded AS wire_compressed,
       retries, throttled, errors, errors_by_class, wait_time >= 0 AS waited,
       last_error_at, last_error, last_scan_at > now() - interval '1 minute' AS recent,
       stats_reset IS NOT NULL AS has_reset, datname = current_database() AS this_db
  FROM paged_fdw_stats ORDER BY server;

-- Offset paging: 144 units in 2 pages
SELECT count(*) FROM st_m_ok WHERE begin_date = '2024-01-01' AND end_date = '2024-01-02';
SELECT scans, requests, pages, rows FROM paged_fdw_stats WHERE server = 'st_m_ok';

-- A nested loop rescans the inner side: one scan per outer row, counted
-- once the statement ends (one flush per scan node)
SELECT count(*) FROM (VALUES ('p1'), ('p2'), ('p3')) v(p)
  CROSS JOIN LATERAL (SELECT * FROM st_ok WHERE packet_id = v.p OFFSET 0) d;
SELECT scans, pages, rows FROM paged_fdw_stats WHERE server = 'st_ok';

-- A 429 with Retry-After: 1, then the page
SELECT count(*) FROM st_429 WHERE begin_date = '2024-01-01' AND end_date = '2024-01-01 06:00';
SELECT scans, requests, pages, rows, retries, throttled, errors
  FROM paged_fdw_stats WHERE server = 'st_429';

-- Time waiting on the network: one page answered after 300 ms
SELECT count(*) FROM st_slow WHERE packet_id = 'p5';
SELECT wait_time >= 300 AS waited_300ms, wait_time < 5000 AS not_absurd
  FROM paged_fdw_stats WHERE server = 'st_slow';

-- ERRORs: counted by SQLSTATE class, the last message kept as the user saw it
SELECT count(*) FROM st_garbage WHERE packet_id = 'p5';
SELECT errors, errors_by_class, last_error = :'LAST_ERROR_MESSAGE' AS same_message,
       last_error_at > now() - interval '1 minute' AS recent
  FROM paged_fdw_stats WHERE server = 'st_garbage';
SELECT sum(entity_id) FROM st_badtype WHERE packet_id = 'p5';
SELECT errors, errors_by_class, last_error = :'LAST_ERROR_MESSAGE' AS same_message
  FROM paged_fdw_stats WHERE server = 'st_ok';
-- a cancel (statement_timeout) while waiting on the network: class 57
SET statement_timeout = '300ms';
SELECT count(*) FROM st_hang WHERE packet_id = 'p5';
RESET statement_timeout;
SELECT errors, errors_by_class, last_error = :'LAST_ERROR_MESSAGE' AS same_message
  FROM paged_fdw_stats WHERE server = 'st_hang';
-- an ERROR caught by PL/pgSQL is still an ERROR of the scan
DO $$
BEGIN
  PERFORM count(*) FROM st_garbage WHERE packet_id = 'p5';
EXCEPTION WHEN others THEN
  RAISE NOTICE 'caught %', sqlstate;
END $$;
SELECT errors FROM paged_fdw_stats WHERE server = 'st_garbage';

-- Plain EXPLAIN sends nothing and counts nothing; EXPLAIN ANALYZE counts
SELECT scans AS before FROM paged_fdw_stats WHERE server = 'st_ok' \gset
EXPLAIN (COSTS OFF) SELECT * FROM st_ok WHERE packet_id = 'p5';
SELECT scans - :before AS added FROM paged_fdw_stats WHERE server = 'st_ok';
\o /dev/null
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM st_ok WHERE packet_id = 'p5';
\o
SELECT scans - :before AS added FROM paged_fdw_stats WHERE server = 'st_ok';
SELECT scans AS before FROM paged_fdw_stats WHERE server = 'st_ok' \gset

-- paged_fdw.track_stats = off counts nothing
SET paged_fdw.track_stats = off;
SELECT count(*) FROM st_ok WHERE packet_id = 'p5';
RESET paged_fdw.track_stats;
SELECT scans - :before AS added FROM paged_fdw_stats WHERE server = 'st_ok';

--
-- Who sees what: two roles, each with its own mapping to one server.
--
CREATE ROLE regress_stats_a;
CREATE ROLE regress_stats_b;
CREATE ROLE regress_stats_reader IN ROLE pg_read_all_stats;
SELECT st_table('st_two', 'diadoc', 'ok');
CREATE USER MAPPING FOR regress_stats_a SERVER st_two OPTIONS (client_id 'test-client', token 'test-token');
CREATE USER MAPPING FOR regress_stats_b SERVER st_two OPTIONS (client_id 'test-client', token 'test-token');
GRANT SELECT ON st_two TO regress_stats_a, regress_stats_b;
SELECT paged_fdw_stats_reset();
SET SESSION AUTHORIZATION regress_stats_a;
SELECT count(*) FROM st_two WHERE packet_id = 'p5';
SET SESSION AUTHORIZATION regress_stats_b;
SELECT count(*) FROM st_two WHERE packet_id = 'p7';
RESET SESSION AUTHORIZATION;
SELECT count(*) FROM st_two WHERE packet_id = 'p3';
-- the superuser sees all three users' rows
SELECT usename, rows FROM paged_fdw_stats ORDER BY usename;
-- a user sees only its own row
SET SESSION AUTHORIZATION regress_stats_a;
SELECT usename, rows FROM paged_fdw_stats ORDER BY usename;
SET SESSION AUTHORIZATION regress_stats_b;
SELECT usename, rows FROM paged_fdw_stats ORDER BY usename;
-- and may not reset them (like pg_stat_reset)
SELECT paged_fdw_stats_reset();
-- a member of pg_read_all_stats sees everybody's
SET SESSION AUTHORIZATION regress_stats_reader;
SELECT usename, rows FROM paged_fdw_stats ORDER BY usename;
RESET SESSION AUTHORIZATION;
-- no secret anywhere in the view (the mappings' token and the password)
SELECT count(*) AS rows_with_secrets FROM paged_fdw_stats s
 WHERE s::text LIKE '%test-token%' OR s::text LIKE '%test-password%';

-- Reset empties the view and sets stats_reset
SELECT now() AS t0 \gset
SELECT paged_fdw_stats_reset();
SELECT count(*) AS entries FROM paged_fdw_stats;
SELECT count(*) FROM st_ok WHERE packet_id = 'p5';
SELECT scans, stats_reset >= :'t0' AS reset_since FROM paged_fdw_stats;

DROP USER MAPPING FOR regress_stats_a SERVER st_two;
DROP USER MAPPING FOR regress_stats_b SERVER st_two;
REVOKE ALL ON st_two FROM regress_stats_a, regress_stats_b;
DROP ROLE regress_stats_a, regress_stats_b, regress_stats_reader;
