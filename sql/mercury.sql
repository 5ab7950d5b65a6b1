-- mercury_unit_changes end to end against the mock API.
\set VERBOSITY default

\set SHOW_CONTEXT never
\getenv mock MOCK_URL
\set murl :mock '/mercury/ok'
\set v1url :mock '/mercury/v1'
\set shorturl :mock '/mercury/short-pages'
\set shrinkurl :mock '/mercury/shrink'
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

\i sql/include/mock_log.sql

CREATE SERVER mercury FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url :'murl');
CREATE USER MAPPING FOR CURRENT_USER SERVER mercury
  OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE mercury_unit_changes (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, full_name text, common_unit_guid uuid, factor numeric,
  begin_date timestamptz, end_date timestamptz
) SERVER mercury OPTIONS (resource 'unit_changes');

-- every column, one hour of changes (records 0..5)
SELECT * FROM mercury_unit_changes
WHERE begin_date = '2024-01-01 00:00+03' AND end_date = '2024-01-01 01:00+03';
SELECT * FROM mock_requests() ORDER BY 1;

-- factor is exact beyond bigint (records with i mod 25 >= 19)
SELECT name, factor FROM mercury_unit_changes
WHERE begin_date = '2024-01-01 03:10+03' AND end_date = '2024-01-01 04:10+03';

-- offset paging: 2,500 rows in pages of 1000, then of 300
SELECT count(*), count(DISTINCT uuid), min(update_date), max(update_date)
FROM mercury_unit_changes WHERE begin_date = '2024-01-01 00:00+03' AND end_date = '2024-01-18 08:40+03';
SELECT * FROM mock_requests() ORDER BY 1;
-- factor is the very numeric numeric_in makes of its text (up to 18 digits
-- it is built from an int64): 10^0 .. 10^24, 100 rows each
SELECT count(*), count(DISTINCT factor),
       count(*) FILTER (WHERE numeric_send(factor) = numeric_send(factor::text::numeric)) AS same
FROM mercury_unit_changes WHERE begin_date = '2024-01-01 00:00+03' AND end_date = '2024-01-18 08:40+03';
SELECT count(*) AS requests FROM mock_requests();
ALTER FOREIGN TABLE mercury_unit_changes OPTIONS (ADD page_size '300');
SELECT count(*), count(DISTINCT uuid)
FROM mercury_unit_changes WHERE begin_date = '2024-01-01 00:00+03' AND end_date = '2024-01-18 08:40+03';
SELECT * FROM mock_requests() ORDER BY 1;
ALTER FOREIGN TABLE mercury_unit_changes OPTIONS (DROP page_size);

-- update_date ranges narrow the interval and are rechecked locally
SELECT count(*), min(update_date), max(update_date) FROM mercury_unit_changes
WHERE update_date > '2024-01-02 00:00+03' AND update_date <= '2024-01-02 02:00+03';
SELECT * FROM mock_requests() ORDER BY 1;
SELECT count(*) FROM mercury_unit_changes
WHERE update_date BETWEEN '2024-01-03' AND '2024-01-04' AND begin_date = '2024-01-01';
SELECT * FROM mock_requests() ORDER BY 1;
-- no upper bound: to the end of the data set
SELECT count(*) FROM mercury_unit_changes WHERE update_date >= '2024-03-10';
SELECT * FROM mock_requests() ORDER BY 1;
-- contradictory bounds send nothing
SELECT count(*) FROM mercury_unit_changes
WHERE update_date >= '2024-02-01' AND update_date < '2024-01-01';
SELECT count(*) FROM mercury_unit_changes
WHERE begin_date = '2024-01-01' AND begin_date = '2024-01-02';
SELECT count(*) FROM mock_requests();
-- begin_date/end_date show what was asked
SELECT DISTINCT begin_date, end_date FROM mercury_unit_changes
WHERE begin_date = '2024-01-05' AND end_date = '2024-01-05 00:30';
SELECT DISTINCT begin_date, end_date FROM mercury_unit_changes
WHERE update_date >= '2024-01-05' AND update_date < '2024-01-05 00:30';

-- the v1 schema (one namespace) gives the same rows as v2
CREATE SERVER mercury_v1 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url :'v1url');
CREATE USER MAPPING FOR CURRENT_USER SERVER mercury_v1
  OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE units_v1 (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, full_name text, common_unit_guid uuid, factor numeric,
  begin_date timestamptz, end_date timestamptz
) SERVER mercury_v1 OPTIONS (resource 'unit_changes');
(SELECT * FROM units_v1 WHERE begin_date = '2024-01-01' AND end_date = '2024-01-08')
EXCEPT ALL
(SELECT * FROM mercury_unit_changes WHERE begin_date = '2024-01-01' AND end_date = '2024-01-08');
SELECT count(*) FROM units_v1 WHERE begin_date = '2024-01-01' AND end_date = '2024-01-08';

-- short pages: the server gives fewer rows than asked; none lost
CREATE SERVER mercury_short FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url :'shorturl');
CREATE USER MAPPING FOR CURRENT_USER SERVER mercury_short
  OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE units_short (uuid uuid, update_date timestamptz, begin_date timestamptz, end_date timestamptz)
  SERVER mercury_short OPTIONS (resource 'unit_changes', page_size '400');
SELECT count(*) FROM mock_requests();
SELECT count(*), count(DISTINCT uuid) FROM units_short
WHERE begin_date = '2024-01-01' AND end_date = '2024-01-08';
SELECT * FROM mock_requests() ORDER BY 1;

-- the list shrinks under us: offsetOutOfRangeFault after page 1 ends the scan
CREATE SERVER mercury_shrink FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url :'shrinkurl');
CREATE USER MAPPING FOR CURRENT_USER SERVER mercury_shrink
  OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE units_shrink (uuid uuid, begin_date timestamptz, end_date timestamptz)
  SERVER mercury_shrink OPTIONS (resource 'unit_changes', page_size '100');
SELECT count(*) FROM units_shrink WHERE begin_date = '2024-01-01' AND end_date = '2024-01-08';
-- (prefetched requests past the end may or may not have reached the mock)
SELECT * FROM mock_requests() m WHERE m ~ 'offset=(0|100) ' ORDER BY 1;
-- on_list_change 'error' (table option): the early end is an ERROR
ALTER FOREIGN TABLE units_shrink OPTIONS (ADD on_list_change 'error');
SELECT count(*) FROM units_shrink WHERE begin_date = '2024-01-01' AND end_date = '2024-01-08';
\echo SQLSTATE :SQLSTATE
SELECT count(*) > 0 AS sent FROM mock_requests();

-- SOAP faults are reported with their faultstring and SQLSTATE

CREATE FUNCTION fault_server(kind text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE SERVER %I FOREIGN DATA WRAPPER paged_fdw OPTIONS (api %L, url %L, max_retries %L)',
                 'm_' || kind, 'mercury', current_setting('paged.mock') || '/mercury/fault-' || kind, '0');
  EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER %I OPTIONS (user %L, password %L)',
                 'm_' || kind, 'test-user', 'test-password');
  EXECUTE format('CREATE FOREIGN TABLE %I (uuid uuid, begin_date timestamptz) SERVER %I OPTIONS (resource %L)',
                 'f_' || kind, 'm_' || kind, 'unit_changes');
END $$;
SELECT set_config('paged.mock', :'mock', false) IS NOT NULL AS ok;
SELECT fault_server(k) FROM unnest(ARRAY['incorrect', 'internal', 'access', 'notfound', 'offset']) k;
SELECT * FROM f_incorrect WHERE begin_date = '2024-01-01';
\echo SQLSTATE :SQLSTATE
SELECT * FROM f_internal WHERE begin_date = '2024-01-01';
\echo SQLSTATE :SQLSTATE
SELECT * FROM f_access WHERE begin_date = '2024-01-01';
\echo SQLSTATE :SQLSTATE
SELECT * FROM f_notfound WHERE begin_date = '2024-01-01';
\echo SQLSTATE :SQLSTATE
SELECT * FROM f_offset WHERE begin_date = '2024-01-01';
\echo SQLSTATE :SQLSTATE

-- wrong password
CREATE SERVER mercury_bad FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url :'murl');
CREATE USER MAPPING FOR CURRENT_USER SERVER mercury_bad
  OPTIONS (user 'test-user', password 'nope');
CREATE FOREIGN TABLE units_bad (uuid uuid, begin_date timestamptz) SERVER mercury_bad OPTIONS (resource 'unit_changes');
SELECT * FROM units_bad WHERE begin_date = '2024-01-01';
\echo SQLSTATE :SQLSTATE

-- the required lower bound
SELECT count(*) FROM mock_requests();
SELECT * FROM mercury_unit_changes;
\echo SQLSTATE :SQLSTATE
SELECT * FROM mercury_unit_changes WHERE end_date = '2024-01-02';
\echo SQLSTATE :SQLSTATE
SELECT * FROM mercury_unit_changes WHERE update_date < '2024-01-02';
\echo SQLSTATE :SQLSTATE
SELECT count(*) FROM mock_requests();

-- a subset of columns in another order, a join, a materialized view, a sync
CREATE FOREIGN TABLE unit_names (
  n text OPTIONS (column_name 'name'), u uuid OPTIONS (column_name 'uuid'), update_date timestamptz
) SERVER mercury OPTIONS (resource 'unit_changes');
SELECT * FROM unit_names WHERE update_date >= '2024-01-01 00:00+03' AND update_date < '2024-01-01 00:30+03';
CREATE TABLE wanted_units (uuid uuid PRIMARY KEY);
INSERT INTO wanted_units VALUES ('00000000-0000-4000-8000-000000000014'), ('00000000-0000-4000-8000-00000000001e');
SELECT w.uuid, m.name FROM wanted_units w
JOIN mercury_unit_changes m ON m.uuid = w.uuid
WHERE m.begin_date = '2024-01-01' AND m.end_date = '2024-01-02' ORDER BY 1;
CREATE MATERIALIZED VIEW current_units AS
  SELECT guid, name, factor FROM mercury_unit_changes
  WHERE begin_date = '2024-01-01' AND end_date = '2024-01-02' AND last;
SELECT count(*) FROM current_units;
REFRESH MATERIALIZED VIEW current_units;
SELECT count(*) FROM current_units;
CREATE TABLE units_copy (uuid uuid PRIMARY KEY, name text, factor numeric);
INSERT INTO units_copy SELECT uuid, name, factor FROM mercury_unit_changes
  WHERE begin_date = '2024-01-01' AND end_date = '2024-01-03'
  ON CONFLICT (uuid) DO UPDATE SET name = EXCLUDED.name;
INSERT INTO units_copy SELECT uuid, name, factor FROM mercury_unit_changes
  WHERE begin_date = '2024-01-02' AND end_date = '2024-01-04'
  ON CONFLICT (uuid) DO UPDATE SET name = EXCLUDED.name;
SELECT count(*), sum(factor) FROM units_copy;

-- A row goes straight into the scan's slot only when attribute i is
-- resource column i, each read exactly when the query needs it and none
-- converted; every other table takes the copy.  The same rows either way:
-- all columns and the record (straight), a leading subset (straight), a
-- dropped column, columns reordered, duplicated and converted (copied).
CREATE FOREIGN TABLE units_all (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, full_name text, common_unit_guid uuid, factor numeric,
  begin_date timestamptz, end_date timestamptz, record jsonb
) SERVER mercury OPTIONS (resource 'unit_changes');
CREATE FOREIGN TABLE units_lead (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz
) SERVER mercury OPTIONS (resource 'unit_changes');
CREATE FOREIGN TABLE units_dropped (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, full_name text, common_unit_guid uuid, factor numeric,
  begin_date timestamptz, end_date timestamptz
) SERVER mercury OPTIONS (resource 'unit_changes');
ALTER FOREIGN TABLE units_dropped DROP COLUMN guid;
CREATE FOREIGN TABLE units_mixed (
  factor numeric, name text, uuid uuid, end_date timestamptz, guid uuid,
  active boolean, last boolean, status text, create_date timestamptz,
  update_date timestamptz, previous uuid, next uuid, full_name text,
  common_unit_guid uuid, begin_date timestamptz,
  uuid_again uuid OPTIONS (column_name 'uuid'),
  factor_text text OPTIONS (column_name 'factor'),
  update_text text OPTIONS (column_name 'update_date'),
  record jsonb
) SERVER mercury OPTIONS (resource 'unit_changes');
\set w 'begin_date = ''2024-01-01'' AND end_date = ''2024-01-03'''
SELECT count(*) AS n FROM mercury_unit_changes WHERE :w;
(SELECT uuid, guid, active, last, status, create_date, update_date, previous, next,
        name, full_name, common_unit_guid, factor, begin_date, end_date
 FROM units_all WHERE :w)
EXCEPT ALL (SELECT * FROM mercury_unit_changes WHERE :w);
(SELECT * FROM mercury_unit_changes WHERE :w)
EXCEPT ALL
(SELECT uuid, guid, active, last, status, create_date, update_date, previous, next,
        name, full_name, common_unit_guid, factor, begin_date, end_date
 FROM units_mixed WHERE :w);
(SELECT uuid, guid, active, last, status, create_date, update_date, previous, next,
        name, full_name, common_unit_guid, factor, begin_date, end_date
 FROM units_mixed WHERE :w)
EXCEPT ALL (SELECT * FROM mercury_unit_changes WHERE :w);
(SELECT uuid, active, last, status, create_date, update_date, previous, next,
        name, full_name, common_unit_guid, factor, begin_date, end_date
 FROM mercury_unit_changes WHERE :w)
EXCEPT ALL (SELECT * FROM units_dropped WHERE :w);
SELECT count(*) AS n,
       count(*) FILTER (WHERE uuid_again = uuid AND factor_text = factor::text
                        AND update_text = update_date::text
                        AND record->>'name' = name AND record->>'uuid' = uuid::text) AS same
FROM units_mixed WHERE :w;
SELECT count(*) AS n,
       count(*) FILTER (WHERE record->>'name' = name AND record->>'uuid' = uuid::text) AS same
FROM units_all WHERE :w;
-- every column at its place but two swapped, or one converted: copied
CREATE FOREIGN TABLE units_swapped (
  uuid uuid OPTIONS (column_name 'guid'), guid uuid OPTIONS (column_name 'uuid'),
  active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, full_name text, common_unit_guid uuid, factor numeric,
  begin_date timestamptz, end_date timestamptz
) SERVER mercury OPTIONS (resource 'unit_changes');
CREATE FOREIGN TABLE units_converted (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, full_name text, common_unit_guid uuid, factor text,
  begin_date timestamptz, end_date timestamptz
) SERVER mercury OPTIONS (resource 'unit_changes');
(SELECT guid, uuid, active, last, status, create_date, update_date, previous, next,
        name, full_name, common_unit_guid, factor, begin_date, end_date
 FROM units_swapped WHERE :w)
EXCEPT ALL (SELECT * FROM mercury_unit_changes WHERE :w);
(SELECT uuid, guid, active, last, status, create_date, update_date, previous, next,
        name, full_name, common_unit_guid, factor::numeric, begin_date, end_date
 FROM units_converted WHERE :w)
EXCEPT ALL (SELECT * FROM mercury_unit_changes WHERE :w);
SELECT count(*) AS n FROM units_swapped WHERE :w;
SELECT count(*) AS n FROM units_converted WHERE :w;
-- only some columns read; a table of the first columns alone
\set u 'update_date >= ''2024-01-01'' AND update_date < ''2024-01-03'''
SELECT count(*) AS n, count(m.guid) AS guids, count(m.name) AS names
FROM (SELECT uuid, guid, name FROM units_all WHERE :u) m
JOIN (SELECT uuid, guid, active FROM units_lead WHERE :u) l
  ON l.uuid = m.uuid AND l.guid = m.guid;
(SELECT * FROM units_lead WHERE :u)
EXCEPT ALL
(SELECT uuid, guid, active, last, status, create_date, update_date
 FROM mercury_unit_changes WHERE :u);
(SELECT uuid, guid, active, last, status, create_date, update_date
 FROM mercury_unit_changes WHERE :u)
EXCEPT ALL (SELECT * FROM units_lead WHERE :u);
SELECT count(*) AS n FROM units_lead WHERE :u;
