-- Foreign tables as partitions (issue 10): a partition's bounds narrow its
-- request like a WHERE condition and are rechecked where the request is not
-- exact, so a partitioned table returns each row once, as the direct query.
\set VERBOSITY default
\set SHOW_CONTEXT never
\getenv mock MOCK_URL
\set durl :mock '/diadoc/ok'
\set murl :mock '/mercury/ok'
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

\i sql/include/mock_log.sql

CREATE SERVER pt_diadoc FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', api_version 'legacy', url :'durl', box_id 'box-1');
CREATE USER MAPPING FOR CURRENT_USER SERVER pt_diadoc
  OPTIONS (client_id 'test-client', token 'test-token');
CREATE SERVER pt_mercury FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url :'murl');
CREATE USER MAPPING FOR CURRENT_USER SERVER pt_mercury
  OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE pt_units (uuid uuid, name text, update_date timestamptz, begin_date timestamptz)
  SERVER pt_mercury OPTIONS (resource 'unit_changes');
CREATE FOREIGN TABLE pt_docs (box_id text, packet_id text, entity_id text)
  SERVER pt_diadoc OPTIONS (resource 'docflows_by_packet');

-- 1. RANGE on update_date, by month
CREATE TABLE uc (uuid uuid, name text, update_date timestamptz) PARTITION BY RANGE (update_date);
CREATE FOREIGN TABLE uc_2024_01 PARTITION OF uc FOR VALUES FROM ('2024-01-01') TO ('2024-02-01')
  SERVER pt_mercury OPTIONS (resource 'unit_changes');
CREATE FOREIGN TABLE uc_2024_02 PARTITION OF uc FOR VALUES FROM ('2024-02-01') TO ('2024-03-01')
  SERVER pt_mercury OPTIONS (resource 'unit_changes');
EXPLAIN (COSTS OFF) SELECT count(*) FROM uc
WHERE update_date >= '2024-01-20' AND update_date < '2024-02-10';
SELECT count(*), count(DISTINCT uuid) FROM uc WHERE update_date >= '2024-01-20' AND update_date < '2024-02-10';
SELECT * FROM mock_requests() ORDER BY 1;
SELECT count(*) FROM pt_units WHERE update_date >= '2024-01-20' AND update_date < '2024-02-10';
SELECT count(*) AS differences FROM (
  (SELECT uuid, name, update_date FROM uc WHERE update_date >= '2024-01-20' AND update_date < '2024-02-10'
   EXCEPT ALL
   SELECT uuid, name, update_date FROM pt_units WHERE update_date >= '2024-01-20' AND update_date < '2024-02-10')
  UNION ALL
  (SELECT uuid, name, update_date FROM pt_units WHERE update_date >= '2024-01-20' AND update_date < '2024-02-10'
   EXCEPT ALL
   SELECT uuid, name, update_date FROM uc WHERE update_date >= '2024-01-20' AND update_date < '2024-02-10')) d;
-- no WHERE at all: each partition asks for its month (the row at 2024-02-01 00:00 once)
SELECT count(*), count(DISTINCT uuid), min(update_date), max(update_date) FROM uc;
SELECT count(*) FROM pt_units WHERE update_date >= '2024-01-01' AND update_date < '2024-03-01';
SELECT count(*) FROM uc WHERE update_date = '2024-02-01 00:00+00';
SELECT * FROM mock_requests() ORDER BY 1;
-- one partition asked directly keeps its bounds
SELECT count(*), min(update_date), max(update_date) FROM uc_2024_02 WHERE update_date >= '2024-01-15';
SELECT * FROM mock_requests() ORDER BY 1;
-- a parameter and a join to the partitioned table
PREPARE ucq(timestamptz) AS SELECT count(*) FROM uc WHERE update_date >= $1;
SET plan_cache_mode = force_generic_plan;
EXECUTE ucq('2024-02-28 20:00+00');
RESET plan_cache_mode;
SELECT * FROM mock_requests() ORDER BY 1;
-- bounds in another time zone; a partition without a lower bound needs a WHERE lower bound
CREATE TABLE uc2 (name text, update_date timestamptz) PARTITION BY RANGE (update_date);
SET timezone = 'Europe/Moscow';
CREATE FOREIGN TABLE uc2_old PARTITION OF uc2 FOR VALUES FROM (MINVALUE) TO ('2024-03-01')
  SERVER pt_mercury OPTIONS (resource 'unit_changes');
CREATE FOREIGN TABLE uc2_new PARTITION OF uc2 FOR VALUES FROM ('2024-03-01') TO (MAXVALUE)
  SERVER pt_mercury OPTIONS (resource 'unit_changes');
SELECT count(*) FROM uc2;
SELECT count(*) FROM uc2 WHERE update_date >= '2024-03-01';
SELECT count(*) FROM uc2 WHERE update_date >= '2024-02-29 23:00';
SELECT count(*) FROM pt_units WHERE update_date >= '2024-02-29 23:00';
SELECT * FROM mock_requests() ORDER BY 1;
SET timezone = 'UTC';
-- a DEFAULT partition's constraint (NOT the others) is checked locally
CREATE FOREIGN TABLE uc2_default PARTITION OF uc DEFAULT
  SERVER pt_mercury OPTIONS (resource 'unit_changes');
EXPLAIN (COSTS OFF) SELECT count(*) FROM uc WHERE update_date >= '2024-02-25';
SELECT count(*) FROM uc WHERE update_date >= '2024-02-25';
SELECT count(*) FROM pt_units WHERE update_date >= '2024-02-25';
SELECT * FROM mock_requests() ORDER BY 1;
DROP FOREIGN TABLE uc2_default;

-- 2. LIST on box_id: each partition asks for its boxes
CREATE TABLE dp (box_id text, packet_id text, entity_id text) PARTITION BY LIST (box_id);
CREATE FOREIGN TABLE dp_box1 PARTITION OF dp FOR VALUES IN ('box-1')
  SERVER pt_diadoc OPTIONS (resource 'docflows_by_packet');
CREATE FOREIGN TABLE dp_box2 PARTITION OF dp FOR VALUES IN ('box-2', 'box-3')
  SERVER pt_diadoc OPTIONS (resource 'docflows_by_packet');
EXPLAIN (COSTS OFF) SELECT * FROM dp WHERE packet_id = 'p3';
-- the WHERE list intersected with each partition's list
SELECT box_id, count(*) FROM dp WHERE packet_id = 'p3' AND box_id IN ('box-1', 'box-2') GROUP BY 1 ORDER BY 1;
SELECT * FROM mock_requests() ORDER BY 1;
SELECT box_id, packet_id, count(*) FROM dp
WHERE packet_id IN ('p1', 'p2') AND box_id IN ('box-2', 'box-4') GROUP BY 1, 2 ORDER BY 1, 2;
SELECT * FROM mock_requests() ORDER BY 1;

-- 3. LIST on packet_id: no WHERE needed, every partition knows its packets
CREATE TABLE pp (packet_id text, entity_id text) PARTITION BY LIST (packet_id);
CREATE FOREIGN TABLE pp_a PARTITION OF pp FOR VALUES IN ('p1', 'p2')
  SERVER pt_diadoc OPTIONS (resource 'docflows_by_packet');
CREATE FOREIGN TABLE pp_b PARTITION OF pp FOR VALUES IN ('p3')
  SERVER pt_diadoc OPTIONS (resource 'docflows_by_packet');
EXPLAIN (COSTS OFF) SELECT * FROM pp;
SELECT packet_id, count(*) FROM pp GROUP BY 1 ORDER BY 1;
SELECT * FROM mock_requests() ORDER BY 1;
SELECT packet_id, count(*) FROM pp WHERE packet_id IN ('p2', 'p3', 'p4') GROUP BY 1 ORDER BY 1;
SELECT * FROM mock_requests() ORDER BY 1;
-- a join supplies packet_id too: the partition still only asks for its own
CREATE TABLE want (id text);
INSERT INTO want VALUES ('p2'), ('p3'), ('p5');
SELECT w.id, count(*) FROM want w JOIN pp ON pp.packet_id = w.id GROUP BY 1 ORDER BY 1;
SELECT * FROM mock_requests() ORDER BY 1;

-- 4. LIST on begin_date
CREATE TABLE ub (name text, begin_date timestamptz) PARTITION BY LIST (begin_date);
CREATE FOREIGN TABLE ub_a PARTITION OF ub FOR VALUES IN ('2024-03-09 20:00+00')
  SERVER pt_mercury OPTIONS (resource 'unit_changes');
SELECT count(*), min(begin_date) FROM ub;
SELECT count(*) FROM pt_units WHERE begin_date = '2024-03-09 20:00+00';
SELECT * FROM mock_requests() ORDER BY 1;
CREATE FOREIGN TABLE ub_b PARTITION OF ub FOR VALUES IN ('2024-03-09 21:00+00', '2024-03-09 22:00+00')
  SERVER pt_mercury OPTIONS (resource 'unit_changes');
EXPLAIN (COSTS OFF) SELECT * FROM ub;
SELECT begin_date, count(*) FROM ub GROUP BY 1 ORDER BY 1;
SELECT * FROM mock_requests() ORDER BY 1;
