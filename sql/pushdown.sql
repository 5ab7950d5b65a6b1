-- What is pushed into the requests, shown from EXPLAIN and the mock's log.
\set VERBOSITY default
\set SHOW_CONTEXT never
\getenv mock MOCK_URL
\set durl :mock '/diadoc/ok'
\set murl :mock '/mercury/ok'
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

\i sql/include/mock_log.sql

CREATE SERVER pd_diadoc FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', api_version 'legacy', url :'durl', box_id 'box-1');
CREATE USER MAPPING FOR CURRENT_USER SERVER pd_diadoc
  OPTIONS (client_id 'test-client', token 'test-token');
CREATE FOREIGN TABLE docs (
  box_id text, packet_id text, index_key bytea, entity_id text, document_type text,
  is_test boolean, document jsonb
) SERVER pd_diadoc OPTIONS (resource 'docflows_by_packet');

CREATE SERVER pd_mercury FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url :'murl');
CREATE USER MAPPING FOR CURRENT_USER SERVER pd_mercury
  OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE units (
  uuid uuid, name text, active boolean, factor numeric, update_date timestamptz,
  begin_date timestamptz, end_date timestamptz
) SERVER pd_mercury OPTIONS (resource 'unit_changes');

-- 1. IN lists and = ANY: one paged sequence per distinct value, NULLs dropped
EXPLAIN (COSTS OFF) SELECT entity_id FROM docs WHERE packet_id IN ('p2', 'p3', 'p2', NULL);
SELECT packet_id, count(*) FROM docs WHERE packet_id IN ('p2', 'p3', 'p2', NULL)
GROUP BY 1 ORDER BY 1;
SELECT * FROM mock_requests() ORDER BY 1;
SELECT count(*) FROM docs WHERE packet_id = ANY (ARRAY['p1', 'p4', 'p4']);
SELECT * FROM mock_requests() ORDER BY 1;
SELECT count(*) FROM docs WHERE packet_id = ANY (ARRAY[NULL, NULL]::text[]);
SELECT count(*) FROM docs WHERE packet_id = NULL;
SELECT count(*) FROM docs WHERE packet_id IN ('p1', 'p2') AND packet_id IN ('p2', 'p3');
SELECT * FROM mock_requests() ORDER BY 1;
-- a box_id condition overrides the option
SELECT DISTINCT box_id FROM docs WHERE packet_id = 'p2' AND box_id = 'box-2';
SELECT count(*) FROM docs WHERE packet_id = 'p2' AND box_id = 'box-1' AND box_id = 'box-2';
SELECT * FROM mock_requests() ORDER BY 1;

-- 2. parameters: PREPARE under custom and generic plans, initplans, stable expressions
PREPARE q(text) AS SELECT count(*) FROM docs WHERE packet_id = $1;
SET plan_cache_mode = force_custom_plan;
EXPLAIN (COSTS OFF) EXECUTE q('p3');
EXECUTE q('p3');
SET plan_cache_mode = force_generic_plan;
EXPLAIN (COSTS OFF) EXECUTE q('p4');
EXECUTE q('p4');
EXECUTE q('p5');
RESET plan_cache_mode;
SELECT * FROM mock_requests() ORDER BY 1;
PREPARE qa(text[]) AS SELECT count(*) FROM docs WHERE packet_id = ANY ($1);
SET plan_cache_mode = force_generic_plan;
EXECUTE qa(ARRAY['p1', 'p2']);
RESET plan_cache_mode;
SELECT * FROM mock_requests() ORDER BY 1;
CREATE TABLE latest_packet (id text);
INSERT INTO latest_packet VALUES ('p6');
EXPLAIN (COSTS OFF) SELECT count(*) FROM docs WHERE packet_id = (SELECT id FROM latest_packet);
SELECT count(*) FROM docs WHERE packet_id = (SELECT id FROM latest_packet);
SELECT * FROM mock_requests();
-- a stable expression is evaluated once, at scan start
EXPLAIN (COSTS OFF) SELECT count(*) FROM units
WHERE update_date >= now() - interval '1 day' AND update_date < '2024-01-01'::timestamptz + interval '2 hours';
SELECT count(*) FROM units WHERE update_date >= '2024-01-01 00:00+03'::timestamptz + interval '1 hour'
  AND update_date < '2024-01-01 00:00+03'::timestamptz + interval '2 hours';
SELECT * FROM mock_requests();
-- volatile expressions stay local
EXPLAIN (COSTS OFF) SELECT count(*) FROM docs WHERE packet_id = 'p2' AND entity_id = random()::text;

-- 3. joins: a parameterized scan on the inner side of a nested loop
CREATE TABLE local_packets (id text PRIMARY KEY, note text);
INSERT INTO local_packets SELECT 'p' || g, 'note ' || g FROM generate_series(1, 1000) g;
ANALYZE local_packets;
EXPLAIN (COSTS OFF)
SELECT p.id, d.entity_id FROM local_packets p JOIN docs d ON d.packet_id = p.id;
EXPLAIN (COSTS OFF)
SELECT p.id, d.entity_id FROM local_packets p JOIN docs d ON d.packet_id = p.id WHERE p.note IN ('note 2', 'note 3');
SELECT p.id, d.entity_id FROM local_packets p JOIN docs d ON d.packet_id = p.id
WHERE p.note IN ('note 2', 'note 3') ORDER BY 1, 2;
SELECT * FROM mock_requests() ORDER BY 1;
-- LATERAL
SELECT p.id, x.n FROM local_packets p,
  LATERAL (SELECT count(*) AS n FROM docs d WHERE d.packet_id = p.id) x
WHERE p.id IN ('p7', 'p8') ORDER BY 1;
SELECT * FROM mock_requests() ORDER BY 1;
-- a join whose other side cannot supply packet_id cannot be sent
EXPLAIN (COSTS OFF)
SELECT * FROM local_packets p JOIN docs d ON d.entity_id = p.note;
\echo SQLSTATE :SQLSTATE
-- a semi-join on packet_id works too
SELECT count(*) FROM docs WHERE packet_id IN (SELECT id FROM local_packets WHERE note = 'note 9');
SELECT * FROM mock_requests();

-- 4. Mercury: the tightest interval, contradictions, local conditions
EXPLAIN (COSTS OFF) SELECT count(*) FROM units
WHERE begin_date = '2024-01-02' AND update_date > '2024-01-01' AND update_date >= '2024-01-03'
  AND end_date = '2024-01-10' AND update_date < '2024-01-05' AND update_date <= '2024-01-04';
SELECT count(*) FROM units
WHERE begin_date = '2024-01-02' AND update_date > '2024-01-01' AND update_date >= '2024-01-03'
  AND end_date = '2024-01-10' AND update_date < '2024-01-05' AND update_date <= '2024-01-04';
SELECT * FROM mock_requests();
SELECT count(*) FROM units WHERE update_date = '2024-01-03 00:00:00+00';
SELECT * FROM mock_requests();
EXPLAIN (COSTS OFF) SELECT * FROM units WHERE update_date > '2024-02-01' AND update_date < '2024-01-01';
SELECT count(*) FROM units WHERE update_date > '2024-02-01' AND update_date < '2024-01-01';
SELECT count(*) FROM units WHERE begin_date = '2024-01-05' AND end_date = '2024-01-05';
SELECT count(*) FROM units WHERE update_date > '2024-01-05' AND update_date = NULL;
SELECT count(*) FROM mock_requests();
-- conditions that cannot be pushed are evaluated locally
SELECT count(*), sum(factor) FROM units
WHERE begin_date = '2024-01-01' AND end_date = '2024-01-02' AND (active OR name LIKE '%7') AND factor > 100;
SELECT count(*) FROM units
WHERE begin_date = '2024-01-01' AND end_date = '2024-01-02' AND update_date::date = '2024-01-01';
SELECT * FROM mock_requests() ORDER BY 1;

-- 5. LIMIT and OFFSET
EXPLAIN (COSTS OFF) SELECT uuid FROM units WHERE begin_date = '2024-01-01' LIMIT 5;
SELECT name FROM units WHERE begin_date = '2024-01-01' AND end_date = '2024-01-08' LIMIT 5;
SELECT * FROM mock_requests();
SELECT name FROM units WHERE begin_date = '2024-01-01' AND end_date = '2024-01-08' LIMIT 3 OFFSET 1000;
SELECT * FROM mock_requests() ORDER BY 1;
SELECT entity_id FROM docs WHERE packet_id = 'p450' LIMIT 2 OFFSET 150;
SELECT * FROM mock_requests() ORDER BY 1;
-- a local condition: the limit is not pushed, the result stays right
EXPLAIN (COSTS OFF) SELECT name FROM units
WHERE begin_date = '2024-01-01' AND end_date = '2024-01-08' AND name LIKE '%5' LIMIT 5;
SELECT name FROM units
WHERE begin_date = '2024-01-01' AND end_date = '2024-01-08' AND name LIKE '%5' LIMIT 5;
-- update_date ranges are rechecked locally, so no limit either
SELECT count(*) FROM (SELECT name FROM units
  WHERE update_date > '2024-01-01 00:00+03' AND update_date < '2024-01-08' LIMIT 5) s;
SELECT * FROM mock_requests() ORDER BY 1;
-- ORDER BY, aggregates or a join above the scan: not pushed
EXPLAIN (COSTS OFF) SELECT name FROM units WHERE begin_date = '2024-01-01' ORDER BY name LIMIT 5;
EXPLAIN (COSTS OFF) SELECT count(*) FROM units WHERE begin_date = '2024-01-01' LIMIT 5;
EXPLAIN (COSTS OFF) SELECT * FROM local_packets p JOIN docs d ON d.packet_id = p.id LIMIT 5;
SELECT count(*) FROM mock_requests();

-- 6. only requested columns are built: "document" only when selected
EXPLAIN (VERBOSE, COSTS OFF) SELECT entity_id FROM docs WHERE packet_id = 'p2';
EXPLAIN (VERBOSE, COSTS OFF) SELECT document->'DocumentInfo'->>'Version' FROM docs WHERE packet_id = 'p2';
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM docs WHERE packet_id = 'p2' AND is_test;

-- 7. EXPLAIN ANALYZE: requests, pages, rows, bytes, retries; never credentials
EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT count(*) FROM docs WHERE packet_id IN ('p250', 'p3');
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT count(*) FROM units WHERE begin_date = '2024-01-01' AND end_date = '2024-01-10';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT p.id, d.entity_id FROM local_packets p JOIN docs d ON d.packet_id = p.id WHERE p.note IN ('note 2', 'note 3');
SELECT count(*) FROM mock_requests();

-- 8. rescans: nested loops, cursors moved backwards, FETCH across pages
BEGIN;
DECLARE c SCROLL CURSOR FOR SELECT entity_id FROM docs WHERE packet_id = 'p250';
FETCH 2 FROM c;
MOVE FORWARD 97 FROM c;
FETCH 3 FROM c;
FETCH BACKWARD 2 FROM c;
FETCH ABSOLUTE 201 FROM c;
FETCH FIRST FROM c;
MOVE LAST FROM c;
FETCH PRIOR FROM c;
CLOSE c;
COMMIT;
BEGIN;
DECLARE m CURSOR FOR SELECT name FROM units WHERE begin_date = '2024-01-01' AND end_date = '2024-01-08';
MOVE 998 FROM m;
FETCH 4 FROM m;
COMMIT;
-- the same foreign scan rescanned with a different parameter each time
SELECT p.id, (SELECT count(*) FROM docs d WHERE d.packet_id = p.id) FROM local_packets p
WHERE p.id IN ('p1', 'p2', 'p3', 'p10') ORDER BY 1;
SELECT count(*) FROM mock_requests();
-- an unparameterized inner scan rescanned by a nested loop: same rows each time
SET enable_material = off;
SET enable_hashjoin = off;
SET enable_mergejoin = off;
EXPLAIN (COSTS OFF) SELECT g, d.entity_id FROM generate_series(1, 2) g,
  LATERAL (SELECT entity_id FROM docs WHERE packet_id = 'p3' AND g > 0 OFFSET 0) d;
SELECT g, d.entity_id FROM generate_series(1, 2) g,
  LATERAL (SELECT entity_id FROM docs WHERE packet_id = 'p3' AND g > 0 OFFSET 0) d ORDER BY 1, 2;
RESET enable_material;
RESET enable_hashjoin;
RESET enable_mergejoin;
SELECT * FROM mock_requests();
