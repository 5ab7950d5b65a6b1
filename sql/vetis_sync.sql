-- The README's recipe for an incremental sync of a VetIS dictionary into a
-- local table (INSERT ... SELECT ... ON CONFLICT with update_date > the last
-- synced value), run against the mock: the second run must ask only for the
-- changes since the last synced value (the mock's log), and the local table
-- must then equal the mock's truth (GET /_vetis/purpose).
\set VERBOSITY default
\set SHOW_CONTEXT never
\getenv mock MOCK_URL
\set vurl :mock '/mercury/ok/platform/services/2.1'
SET timezone = 'UTC';
-- everything of this test lives in its own schema (the database is shared)
CREATE SCHEMA vs_work;
SET search_path = vs_work, public;
\i sql/include/mock_log.sql

CREATE SERVER sync_vetis FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'mercury', url :'vurl', page_size '50');
CREATE USER MAPPING FOR CURRENT_USER SERVER sync_vetis
  OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE mercury_purpose_changes (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, for_substandard boolean, begin_date timestamptz, end_date timestamptz
) SERVER sync_vetis OPTIONS (resource 'purpose_changes');

-- the recipe's local table: one row per guid, its newest version
CREATE TABLE purposes (
  guid uuid PRIMARY KEY,
  uuid uuid NOT NULL,
  active boolean,
  last boolean,
  status text,
  create_date timestamptz,
  update_date timestamptz NOT NULL,
  name text,
  for_substandard boolean
);

-- The first sync, as if it had run on 2023-08-01: everything until then.
INSERT INTO purposes AS p
SELECT DISTINCT ON (guid) guid, uuid, active, last, status, create_date, update_date, name, for_substandard
FROM mercury_purpose_changes
WHERE begin_date = '2000-01-01 00:00+03' AND end_date = '2023-08-01 00:00+03'
ORDER BY guid, update_date DESC
ON CONFLICT (guid) DO UPDATE
  SET uuid = excluded.uuid, active = excluded.active, last = excluded.last,
      status = excluded.status, create_date = excluded.create_date,
      update_date = excluded.update_date, name = excluded.name,
      for_substandard = excluded.for_substandard
  WHERE p.update_date <= excluded.update_date;
SELECT count(*) > 100 AS synced, max(update_date) < '2023-08-01 00:00+03' AS until_then FROM purposes;
CREATE TABLE watermark AS SELECT max(update_date) AS last_synced FROM purposes;

-- The truth: every version of every purpose.
CREATE TABLE vs_truth (line jsonb);
CREATE TEMP TABLE truth_buf (line text);
SELECT set_config('paged.truthcmd', 'curl -s ' || :'mock' || '/_vetis/purpose', false) IS NOT NULL AS ok;
DO $$ BEGIN
  EXECUTE format('COPY truth_buf FROM PROGRAM %L WITH (FORMAT csv, QUOTE E''\x01'', DELIMITER E''\x02'')',
                 current_setting('paged.truthcmd'));
END $$;
INSERT INTO vs_truth SELECT line::jsonb FROM truth_buf;
CREATE VIEW truth_purposes AS
SELECT (i->>'guid')::uuid AS guid, (i->>'uuid')::uuid AS uuid, (i->>'active')::boolean AS active,
       (i->>'last')::boolean AS last, i->>'status' AS status, (i->>'createDate')::timestamptz AS create_date,
       (i->>'updateDate')::timestamptz AS update_date, i->>'name' AS name,
       (i->>'forSubstandard')::boolean AS for_substandard
FROM (SELECT line->'item' AS i FROM vs_truth) t;
-- there are changes after the first sync, and versions of purposes it copied
SELECT count(*) > 50 AS changes_since,
       count(*) FILTER (WHERE guid IN (SELECT guid FROM purposes)) > 10 AS newer_versions
FROM truth_purposes WHERE update_date > (SELECT last_synced FROM watermark);

-- The second sync: the recipe as the README has it.
SELECT count(*) >= 0 AS cleared FROM mock_requests();
INSERT INTO purposes AS p
SELECT DISTINCT ON (guid) guid, uuid, active, last, status, create_date, update_date, name, for_substandard
FROM mercury_purpose_changes
WHERE update_date > (SELECT coalesce(max(update_date), '2000-01-01 00:00+03') FROM purposes)
ORDER BY guid, update_date DESC
ON CONFLICT (guid) DO UPDATE
  SET uuid = excluded.uuid, active = excluded.active, last = excluded.last,
      status = excluded.status, create_date = excluded.create_date,
      update_date = excluded.update_date, name = excluded.name,
      for_substandard = excluded.for_substandard
  WHERE p.update_date <= excluded.update_date;
-- it asked for the changes since the last synced value (beginDate is
-- inclusive, the ">" is checked locally), with no upper bound, and no more
SELECT count(*) AS requests,
       count(*) FILTER (WHERE (substring(l from ' begin=(\S+)'))::timestamptz = (SELECT last_synced FROM watermark)) AS from_last_synced,
       count(*) FILTER (WHERE l LIKE '% end=- %') AS open_ended,
       sum((substring(l from ' items=(\d+)'))::int) AS items_received,
       (SELECT count(*) FROM truth_purposes WHERE update_date >= (SELECT last_synced FROM watermark)) AS items_since
FROM mock_requests() l;
-- the local table is the newest version of every purpose
SELECT (SELECT count(*) FROM purposes) AS local_rows,
       (SELECT count(*) FROM truth_purposes WHERE last) AS truth_rows,
       (SELECT count(*) FROM ((SELECT * FROM purposes EXCEPT SELECT guid, uuid, active, last, status, create_date, update_date, name, for_substandard FROM truth_purposes WHERE last)
                              UNION ALL
                              (SELECT guid, uuid, active, last, status, create_date, update_date, name, for_substandard FROM truth_purposes WHERE last EXCEPT SELECT * FROM purposes)) d) AS differences;

-- A third run finds nothing new: it asks from the newest value and inserts nothing.
SELECT count(*) >= 0 AS cleared FROM mock_requests();
WITH run AS (
INSERT INTO purposes AS p
SELECT DISTINCT ON (guid) guid, uuid, active, last, status, create_date, update_date, name, for_substandard
FROM mercury_purpose_changes
WHERE update_date > (SELECT coalesce(max(update_date), '2000-01-01 00:00+03') FROM purposes)
ORDER BY guid, update_date DESC
ON CONFLICT (guid) DO UPDATE
  SET uuid = excluded.uuid, active = excluded.active, last = excluded.last,
      status = excluded.status, create_date = excluded.create_date,
      update_date = excluded.update_date, name = excluded.name,
      for_substandard = excluded.for_substandard
  WHERE p.update_date <= excluded.update_date
RETURNING 1)
SELECT count(*) AS rows_written FROM run;
SELECT count(*) AS requests,
       bool_and((substring(l from ' begin=(\S+)'))::timestamptz = (SELECT max(update_date) FROM purposes)) AS from_newest
FROM mock_requests() l;

-- leave nothing behind for the tests that share this database
SET client_min_messages = warning;
DROP SERVER sync_vetis CASCADE;
DROP SCHEMA vs_work CASCADE;
RESET client_min_messages;
RESET search_path;
