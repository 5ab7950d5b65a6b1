-- Conditions that are the same as a pushed one though written otherwise
-- (issue 10): IN/OR on box_id and packet_id, IS NOT DISTINCT FROM, name
-- values, date and timestamp bounds, BETWEEN SYMMETRIC, columns declared
-- date, and joins under enable_* settings.  Rows and the mock's log.
\set VERBOSITY default
\set SHOW_CONTEXT never
\getenv mock MOCK_URL
\set durl :mock '/diadoc/ok'
\set murl :mock '/mercury/ok'
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

\i sql/include/mock_log.sql

CREATE SERVER cd_diadoc FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', api_version 'legacy', url :'durl', box_id 'box-1');
CREATE USER MAPPING FOR CURRENT_USER SERVER cd_diadoc
  OPTIONS (client_id 'test-client', token 'test-token');
CREATE FOREIGN TABLE cd_docs (box_id text, packet_id text, entity_id text)
  SERVER cd_diadoc OPTIONS (resource 'docflows_by_packet');

CREATE SERVER cd_mercury FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url :'murl');
CREATE USER MAPPING FOR CURRENT_USER SERVER cd_mercury
  OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE cd_units (name text, update_date timestamptz, begin_date timestamptz)
  SERVER cd_mercury OPTIONS (resource 'unit_changes');

-- 1. box_id IN / = ANY / OR: one stream per (box, packet) pair
EXPLAIN (COSTS OFF) SELECT * FROM cd_docs WHERE packet_id = 'p2' AND box_id IN ('box-1', 'box-2');
SELECT box_id, packet_id, entity_id FROM cd_docs
WHERE packet_id = 'p2' AND box_id IN ('box-1', 'box-2') ORDER BY 1, 3;
SELECT * FROM mock_requests() ORDER BY 1;
SELECT box_id, packet_id, count(*) FROM cd_docs
WHERE packet_id IN ('p2', 'p3') AND box_id = ANY (ARRAY['box-2', NULL, 'box-1', 'box-2'])
GROUP BY 1, 2 ORDER BY 1, 2;
SELECT * FROM mock_requests() ORDER BY 1;
SELECT box_id, count(*) FROM cd_docs
WHERE packet_id = 'p3' AND (box_id = 'box-2' OR box_id = 'box-1') GROUP BY 1 ORDER BY 1;
SELECT * FROM mock_requests() ORDER BY 1;
-- several conditions on box_id intersect; nothing left: nothing sent
SELECT box_id, count(*) FROM cd_docs
WHERE packet_id = 'p3' AND box_id IN ('box-1', 'box-2') AND box_id <> 'box-1'
  AND box_id IN ('box-2', 'box-3') GROUP BY 1;
SELECT count(*) FROM cd_docs WHERE packet_id = 'p3' AND box_id IN ('box-1') AND box_id = 'box-2';
SELECT * FROM mock_requests() ORDER BY 1;
-- a parameter as the list
PREPARE boxes(text[]) AS SELECT box_id, count(*) FROM cd_docs
  WHERE packet_id = 'p1' AND box_id = ANY ($1) GROUP BY 1 ORDER BY 1;
SET plan_cache_mode = force_generic_plan;
EXECUTE boxes(ARRAY['box-1', 'box-2']);
RESET plan_cache_mode;
SELECT * FROM mock_requests() ORDER BY 1;

-- 5. OR of equalities, IS NOT DISTINCT FROM, name values: the same as IN / =
EXPLAIN (COSTS OFF) SELECT * FROM cd_docs WHERE packet_id = 'p2' OR packet_id = 'p3';
SELECT packet_id, count(*) FROM cd_docs WHERE packet_id = 'p2' OR packet_id = 'p3' GROUP BY 1 ORDER BY 1;
SELECT * FROM mock_requests() ORDER BY 1;
EXPLAIN (COSTS OFF) SELECT * FROM cd_docs
WHERE packet_id = 'p1' OR packet_id IN ('p2', 'p3') OR packet_id = ANY (ARRAY['p4', NULL]);
SELECT packet_id, count(*) FROM cd_docs
WHERE packet_id = 'p1' OR packet_id IN ('p2', 'p3') OR packet_id = ANY (ARRAY['p4', NULL])
GROUP BY 1 ORDER BY 1;
SELECT * FROM mock_requests() ORDER BY 1;
-- an OR of ANDs: the union of each branch's key values is sent, the OR is rechecked
EXPLAIN (COSTS OFF) SELECT * FROM cd_docs
WHERE (packet_id = 'p2' AND box_id = 'box-2') OR (packet_id = 'p3' AND box_id = 'box-1' AND entity_id LIKE '%2');
SELECT box_id, packet_id, entity_id FROM cd_docs
WHERE (packet_id = 'p2' AND box_id = 'box-2') OR (packet_id = 'p3' AND box_id = 'box-1' AND entity_id LIKE '%2')
ORDER BY 1, 2, 3;
SELECT * FROM mock_requests() ORDER BY 1;
-- a branch that folds to NULL adds nothing
SELECT count(*) FROM cd_docs WHERE (packet_id = NULL::name AND box_id = 'box-2') OR packet_id = 'p1';
SELECT * FROM mock_requests() ORDER BY 1;
-- an OR with another column cannot be sent
SELECT count(*) FROM cd_docs WHERE packet_id = 'p2' OR entity_id = 'x';
-- OR intersected with IN
SELECT packet_id, count(*) FROM cd_docs
WHERE (packet_id = 'p2' OR packet_id = 'p3') AND packet_id IN ('p3', 'p4') GROUP BY 1;
SELECT * FROM mock_requests() ORDER BY 1;
EXPLAIN (COSTS OFF) SELECT * FROM cd_docs WHERE packet_id IS NOT DISTINCT FROM 'p2';
SELECT count(*) FROM cd_docs WHERE packet_id IS NOT DISTINCT FROM 'p2';
SELECT * FROM mock_requests() ORDER BY 1;
-- IS NOT DISTINCT FROM NULL matches a NULL packet_id, and there is none
SELECT count(*) FROM cd_docs WHERE packet_id IS NOT DISTINCT FROM NULL;
SELECT count(*) FROM cd_docs WHERE packet_id IS NULL;
PREPARE nd(text) AS SELECT count(*) FROM cd_docs WHERE packet_id IS NOT DISTINCT FROM $1;
SET plan_cache_mode = force_generic_plan;
EXECUTE nd('p3');
EXECUTE nd(NULL);
RESET plan_cache_mode;
SELECT * FROM mock_requests() ORDER BY 1;
-- IS DISTINCT FROM is not equality
SELECT count(*) FROM cd_docs WHERE packet_id IS DISTINCT FROM 'p2';
-- name and varchar values
EXPLAIN (COSTS OFF) SELECT * FROM cd_docs WHERE packet_id = 'p2'::name;
SELECT count(*) FROM cd_docs WHERE packet_id = 'p2'::name;
SELECT count(*) FROM cd_docs WHERE 'p3'::name = packet_id AND box_id = 'box-2'::name;
SELECT count(*) FROM cd_docs WHERE packet_id IN ('p1'::name, 'p4'::name);
SELECT count(*) FROM cd_docs WHERE packet_id = 'p2'::varchar;
SELECT * FROM mock_requests() ORDER BY 1;
-- equality under a nondeterministic collation is not the API's: never sent
CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
SELECT count(*) FROM cd_docs WHERE packet_id = 'P2' COLLATE ci;
SELECT count(*) FROM cd_docs WHERE packet_id = 'p2' AND packet_id = 'P2' COLLATE ci;
SELECT * FROM mock_requests() ORDER BY 1;

-- 3. date and timestamp bounds on timestamptz: the operator's own conversion
EXPLAIN (COSTS OFF) SELECT count(*) FROM cd_units
WHERE update_date >= '2024-01-02'::date AND update_date < '2024-01-02 02:00'::timestamp;
SELECT count(*) FROM cd_units
WHERE update_date >= '2024-01-02'::date AND update_date < '2024-01-02 02:00'::timestamp;
SELECT * FROM mock_requests();
SET timezone = 'Europe/Moscow';
SELECT count(*), min(update_date), max(update_date) FROM cd_units
WHERE update_date >= '2024-01-02'::date AND update_date <= '2024-01-02 02:00'::timestamp;
SELECT * FROM mock_requests();
SELECT count(*) FROM cd_units WHERE update_date > '2024-01-02 01:00'::timestamp AND update_date < '2024-01-02'::date + 1;
SELECT * FROM mock_requests();
SET timezone = 'UTC';
-- stable expressions: current_date, localtimestamp
SELECT (SELECT count(*) FROM cd_units WHERE update_date >= current_date - 1000)
     = (SELECT count(*) FROM cd_units WHERE update_date >= (current_date - 1000)::timestamptz) AS same;
SELECT (SELECT count(*) FROM cd_units WHERE update_date >= localtimestamp - interval '1000 days')
     = (SELECT count(*) FROM cd_units WHERE update_date >= (localtimestamp - interval '1000 days')::timestamptz) AS same;
SELECT (SELECT count(*) FROM cd_units WHERE begin_date = current_date - 1000)
     = (SELECT count(*) FROM cd_units WHERE begin_date = (current_date - 1000)::timestamptz) AS same;
SELECT count(*) FROM mock_requests();
SELECT count(*), min(begin_date) FROM cd_units WHERE begin_date = '2024-03-09'::date;
SELECT * FROM mock_requests();
-- begin_date IN / OR: one request per begin date, each row with its request's begin_date
EXPLAIN (COSTS OFF) SELECT count(*) FROM cd_units
WHERE begin_date IN ('2024-03-09 20:00+00', '2024-03-09'::date, NULL) AND update_date < '2024-03-09 21:00+00';
SELECT begin_date, count(*) FROM cd_units
WHERE (begin_date = '2024-03-09 20:00+00' OR begin_date = '2024-03-09'::date OR begin_date = '2024-03-09 20:00+00')
  AND update_date < '2024-03-09 21:00+00' GROUP BY 1 ORDER BY 1;
SELECT * FROM mock_requests() ORDER BY 1;
SELECT count(*) FROM cd_units WHERE begin_date IN ('2024-03-09 20:00+00', '2024-03-09 21:00+00')
  AND begin_date = '2024-03-09 21:00+00' AND update_date >= '2024-03-09 21:30+00';
SELECT count(*) FROM cd_units WHERE begin_date IN ('2024-03-09 20:00+00') AND begin_date = '2024-03-09 21:00+00';
SELECT * FROM mock_requests() ORDER BY 1;
-- dates beyond the timestamp range compare as beyond every timestamp
SELECT count(*) FROM cd_units WHERE update_date >= 'infinity'::date;
SELECT count(*) FROM cd_units WHERE update_date > '5874897-12-31'::date;
SELECT count(*) FROM cd_units WHERE update_date >= '2024-03-10'::date AND update_date < '5874897-12-31'::date;
SELECT * FROM mock_requests();
-- BETWEEN SYMMETRIC, and ORs of bounds: the least lower, greatest upper bound
EXPLAIN (COSTS OFF) SELECT count(*) FROM cd_units
WHERE update_date BETWEEN SYMMETRIC '2024-01-03' AND '2024-01-02 12:00';
SELECT count(*) FROM cd_units WHERE update_date BETWEEN SYMMETRIC '2024-01-03' AND '2024-01-02 12:00';
SELECT count(*) FROM cd_units WHERE update_date BETWEEN '2024-01-02 12:00' AND '2024-01-03';
SELECT * FROM mock_requests();
SELECT count(*) FROM cd_units
WHERE update_date BETWEEN SYMMETRIC '2024-01-03'::date AND '2024-01-02 12:00'::timestamp;
SELECT count(*) FROM cd_units
WHERE update_date BETWEEN SYMMETRIC '2024-01-03 12:00'::timestamptz AND '2024-01-03'::date;
SELECT * FROM mock_requests();
SELECT count(*) FROM cd_units
WHERE (update_date >= '2024-03-09' AND update_date < '2024-03-09 01:00')
   OR (update_date > '2024-03-08 22:00' AND update_date <= '2024-03-08 23:00');
SELECT * FROM mock_requests();
-- an OR arm without a lower bound: no lower bound, so it cannot be sent
SELECT count(*) FROM cd_units WHERE update_date >= '2024-03-09' OR update_date < '2024-01-01';
SELECT count(*) FROM cd_units WHERE update_date NOT BETWEEN SYMMETRIC '2024-01-03' AND '2024-01-02';

-- a column declared date (or timestamp): a widened interval, rechecked locally
CREATE FOREIGN TABLE cd_units_d (name text, update_date date)
  SERVER cd_mercury OPTIONS (resource 'unit_changes');
CREATE FOREIGN TABLE cd_units_ts (name text, update_date timestamp)
  SERVER cd_mercury OPTIONS (resource 'unit_changes');
EXPLAIN (COSTS OFF) SELECT count(*) FROM cd_units_d WHERE update_date >= '2024-01-02' AND update_date < '2024-01-04';
SELECT count(*) FROM cd_units_d WHERE update_date >= '2024-01-02' AND update_date < '2024-01-04';
SELECT count(*) FROM cd_units WHERE update_date >= '2024-01-02' AND update_date < '2024-01-04';
SELECT * FROM mock_requests();
SET timezone = 'America/New_York';
SELECT (SELECT count(*) FROM cd_units_d WHERE update_date = '2024-02-10')
     = (SELECT count(*) FROM cd_units WHERE update_date >= '2024-02-10'::date AND update_date < '2024-02-11'::date) AS same;
SELECT (SELECT count(*) FROM cd_units_d WHERE update_date BETWEEN SYMMETRIC '2024-02-11' AND now()::date - 1000 AND update_date < '2024-02-12 10:00+00'::timestamptz)
     = (SELECT count(*) FROM cd_units WHERE update_date >= least('2024-02-11'::date, now()::date - 1000)
          AND update_date < '2024-02-13'::date) AS same;
SELECT (SELECT count(*) FROM cd_units_ts WHERE update_date >= '2024-02-10 22:00' AND update_date <= '2024-02-11 03:00'::timestamptz)
     = (SELECT count(*) FROM cd_units WHERE update_date >= '2024-02-10 22:00'::timestamp AND update_date <= '2024-02-11 03:00'::timestamptz) AS same;
SET timezone = 'UTC';
SELECT count(*) FROM mock_requests();

-- 4. a join that can supply the condition is planned with it whatever enable_* say
CREATE TABLE cd_pk (id text PRIMARY KEY);
INSERT INTO cd_pk SELECT 'p' || g FROM generate_series(1, 300) g;
ANALYZE cd_pk;
CREATE TABLE cd_begins (b timestamptz);
INSERT INTO cd_begins VALUES ('2024-03-09 12:00+00'), ('2024-03-09 20:00+00');
ANALYZE cd_begins;
CREATE FUNCTION check_join(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  EXECUTE 'SELECT count(*) FROM (' || q || ') x' INTO n;
  RETURN n::text;
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT cd_pk.id, d.entity_id FROM cd_pk JOIN cd_docs d ON d.packet_id = cd_pk.id;
EXPLAIN (COSTS OFF) SELECT count(*) FROM cd_docs WHERE packet_id IN (SELECT id FROM cd_pk WHERE id < 'p11');
RESET enable_nestloop;
CREATE FUNCTION join_matrix() RETURNS TABLE (nestloop text, hashjoin text, mergejoin text,
    join_rows text, semi_rows text, mercury_rows text) LANGUAGE plpgsql AS $$
BEGIN
  FOREACH nestloop IN ARRAY '{on,off}'::text[] LOOP
    FOREACH hashjoin IN ARRAY '{on,off}'::text[] LOOP
      FOREACH mergejoin IN ARRAY '{on,off}'::text[] LOOP
        PERFORM set_config('enable_nestloop', nestloop, true),
                set_config('enable_hashjoin', hashjoin, true),
                set_config('enable_mergejoin', mergejoin, true);
        join_rows := check_join('SELECT cd_pk.id, d.entity_id FROM cd_pk JOIN cd_docs d ON d.packet_id = cd_pk.id WHERE cd_pk.id LIKE ''p1_''');
        semi_rows := check_join('SELECT * FROM cd_docs WHERE packet_id IN (SELECT id FROM cd_pk WHERE id LIKE ''p2_'')');
        mercury_rows := check_join('SELECT * FROM cd_begins b JOIN cd_units m ON m.begin_date = b.b');
        RETURN NEXT;
      END LOOP;
    END LOOP;
  END LOOP;
END $$;
BEGIN;
SELECT * FROM join_matrix();
COMMIT;
-- the same rows as asked directly
SELECT count(*) FROM cd_docs WHERE packet_id IN ('p10', 'p11', 'p12', 'p13', 'p14', 'p15', 'p16', 'p17', 'p18', 'p19');
SELECT count(*) FROM cd_units WHERE begin_date = '2024-03-09 12:00+00';
SELECT count(*) FROM cd_units WHERE begin_date = '2024-03-09 20:00+00';
SELECT count(*) > 0 AS sent FROM mock_requests();
