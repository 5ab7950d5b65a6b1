-- IMPORT FOREIGN SCHEMA: the remote schemas are the APIs; each resource of
-- the server's API becomes one table <api>_<resource> (or its import name)
-- with the resource's columns, types, NOT NULL where every row has a value,
-- and the option "resource".  The generated tables are queried as they are.
\set VERBOSITY default
\set SHOW_CONTEXT never
\getenv mock MOCK_URL
\set durl :mock '/diadoc/ok'
\set murl :mock '/mercury/ok'
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

\i sql/include/mock_log.sql

-- the Diadoc server without api_version: the current version (V5)
CREATE SERVER imp_diadoc FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', url :'durl', box_id 'box-1');
CREATE USER MAPPING FOR CURRENT_USER SERVER imp_diadoc
  OPTIONS (client_id 'test-client', token 'test-token');
CREATE SERVER imp_mercury FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url :'murl');
CREATE USER MAPPING FOR CURRENT_USER SERVER imp_mercury
  OPTIONS (user 'test-user', password 'test-password');

CREATE SCHEMA imp_d;
CREATE SCHEMA imp_m;
IMPORT FOREIGN SCHEMA diadoc FROM SERVER imp_diadoc INTO imp_d;
IMPORT FOREIGN SCHEMA mercury FROM SERVER imp_mercury INTO imp_m;

-- what was created: one table per resource, its options, columns, NOT NULLs
CREATE VIEW imported AS
SELECT c.relnamespace::regnamespace AS schema, c.relname, s.srvname, ft.ftoptions,
       count(*) AS columns,
       coalesce(string_agg(a.attname, ', ' ORDER BY a.attnum) FILTER (WHERE a.attnotnull), '')
         AS not_null
FROM pg_foreign_table ft
JOIN pg_class c ON c.oid = ft.ftrelid
JOIN pg_foreign_server s ON s.oid = ft.ftserver
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
GROUP BY 1, 2, 3, 4;
SELECT * FROM imported WHERE schema IN ('imp_d'::regnamespace, 'imp_m'::regnamespace)
ORDER BY 1, 2;
\d imp_d.diadoc_docflows
\d imp_m.mercury_unit_changes

-- Every imported table resolves (resource, columns, types, credentials):
-- planning it either works or stops only for want of a required condition.
CREATE FUNCTION plan_outcome(t regclass) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('EXPLAIN (COSTS OFF) SELECT * FROM %s', t);
  RETURN 'planned';
EXCEPTION WHEN feature_not_supported THEN
  RETURN SQLERRM;
END $$;
SELECT c.relnamespace::regnamespace AS schema, c.relname, plan_outcome(c.oid)
FROM pg_class c
WHERE c.relnamespace IN ('imp_d'::regnamespace, 'imp_m'::regnamespace)
ORDER BY 1, 2;

-- The generated tables against hand-written definitions (those of
-- diadoc_versions.sql and mercury.sql): same rows, column by column (the
-- hand-written columns: a resource may have more).
CREATE FOREIGN TABLE ref_docflows (
  box_id text, packet_id text, index_key bytea, message_id text, entity_id text,
  last_event_id text, last_event_at timestamptz, document_type text, direction text,
  is_test boolean, custom_document_id text, counteragent_box_id text,
  document_date date, document_number text, version text, is_finished boolean,
  is_deleted boolean, department_id text, sent_at timestamptz, delivered_at timestamptz,
  status text, status_severity text, document jsonb,
  message_type text, type_function text, file_name text, metadata jsonb, is_read boolean,
  sender_box_id text, recipient_box_id text, secondary_status text
) SERVER imp_diadoc OPTIONS (resource 'docflows_by_packet');
CREATE FOREIGN TABLE ref_units (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, full_name text, common_unit_guid uuid, factor numeric,
  begin_date timestamptz, end_date timestamptz
) SERVER imp_mercury OPTIONS (resource 'unit_changes');

SELECT count(*), count(DISTINCT entity_id), count(box_id) AS box_ids,
       count(packet_id) AS packet_ids, count(message_type) AS v5_message_types
FROM imp_d.diadoc_docflows WHERE packet_id IN ('p14', 'p250');
SELECT * FROM mock_requests() ORDER BY 1;
\set dcols 'box_id, packet_id, index_key, message_id, entity_id, last_event_id, last_event_at, document_type, direction, is_test, custom_document_id, counteragent_box_id, document_date, document_number, version, is_finished, is_deleted, department_id, sent_at, delivered_at, status, status_severity, document, message_type, type_function, file_name, metadata, is_read, sender_box_id, recipient_box_id, secondary_status'
(SELECT :dcols FROM imp_d.diadoc_docflows WHERE packet_id IN ('p14', 'p250'))
EXCEPT ALL (SELECT :dcols FROM ref_docflows WHERE packet_id IN ('p14', 'p250'));
(SELECT :dcols FROM ref_docflows WHERE packet_id IN ('p14', 'p250'))
EXCEPT ALL (SELECT :dcols FROM imp_d.diadoc_docflows WHERE packet_id IN ('p14', 'p250'));
SELECT entity_id, document_type, direction, document_date, message_type
FROM imp_d.diadoc_docflows WHERE packet_id = 'p14' ORDER BY index_key LIMIT 3;
-- NOT NULL columns are pushed like the hand-written table's: IS NULL sends nothing
SELECT count(*) >= 0 AS cleared FROM mock_requests();
SELECT count(*) FROM imp_d.diadoc_docflows WHERE packet_id = 'p14' AND box_id IS NULL;
SELECT count(*) AS requests FROM mock_requests();

SELECT count(*), count(DISTINCT uuid), count(begin_date) AS begin_dates,
       min(update_date), max(update_date)
FROM imp_m.mercury_unit_changes
WHERE begin_date = '2024-01-01 00:00+03' AND end_date = '2024-01-02 00:00+03';
\set mcols 'uuid, guid, active, last, status, create_date, update_date, previous, next, name, full_name, common_unit_guid, factor, begin_date, end_date'
(SELECT :mcols FROM imp_m.mercury_unit_changes
 WHERE begin_date = '2024-01-01 00:00+03' AND end_date = '2024-01-02 00:00+03')
EXCEPT ALL (SELECT :mcols FROM ref_units
 WHERE begin_date = '2024-01-01 00:00+03' AND end_date = '2024-01-02 00:00+03');
(SELECT :mcols FROM ref_units
 WHERE begin_date = '2024-01-01 00:00+03' AND end_date = '2024-01-02 00:00+03')
EXCEPT ALL (SELECT :mcols FROM imp_m.mercury_unit_changes
 WHERE begin_date = '2024-01-01 00:00+03' AND end_date = '2024-01-02 00:00+03');
SELECT name, update_date, factor FROM imp_m.mercury_unit_changes
WHERE update_date >= '2024-01-01 00:00+03' AND update_date < '2024-01-01 01:00+03'
ORDER BY update_date LIMIT 3;

-- one query of each Diadoc kind through the generated tables: the event
-- feed, search, and documents by id joined to what search found (the same
-- documents, the same states)
SELECT count(*) AS events, count(DISTINCT event_id) AS distinct_events,
       min(event_at) >= '2025-01-01' AS lower_bound_kept
FROM imp_d.diadoc_docflow_events WHERE event_at >= '2025-01-01';
SELECT count(*) > 0 AS found, count(*) = count(DISTINCT entity_id) AS distinct_ids
FROM imp_d.diadoc_search WHERE query = 'B-1';
SELECT count(*) AS joined,
       count(*) = (SELECT count(*) FROM imp_d.diadoc_search WHERE query = 'B-1') AS all_found,
       count(*) FILTER (WHERE s.last_event_id IS DISTINCT FROM d.last_event_id) AS differ
FROM imp_d.diadoc_search s
JOIN imp_d.diadoc_documents d USING (message_id, entity_id)
WHERE s.query = 'B-1';

-- one query of each VetIS kind: a change list of another service than
-- units, a plain list, and a keyed list joined to the plain one (one stream
-- per country)
SELECT count(*) > 0 AS changed, count(*) = count(DISTINCT uuid) AS distinct_versions,
       bool_and(update_date >= '2024-01-01 00:00+03') AS lower_bound_kept,
       bool_and(record ? 'guid') AS records
FROM imp_m.mercury_business_entity_changes WHERE update_date >= '2024-01-01 00:00+03';
SELECT count(*) > 0 AS countries, count(*) = count(DISTINCT guid) AS distinct_guids
FROM imp_m.mercury_countries;
SELECT count(*) > 0 AS regions,
       bool_and(r.country_guid = c.guid) AS keys_kept,
       count(DISTINCT r.guid) = count(*) AS distinct_regions
FROM imp_m.mercury_countries c
JOIN imp_m.mercury_regions_by_country r ON r.country_guid = c.guid;

-- LIMIT TO and EXCEPT name the tables as they are created; compared with
-- the full imports above: what is missing, what is extra
CREATE VIEW imp_tables AS
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace;
CREATE VIEW imp_diff AS
(SELECT 'missing' AS what, relname FROM imp_tables WHERE nspname IN ('imp_d', 'imp_m')
 EXCEPT SELECT 'missing', relname FROM imp_tables WHERE nspname = 'imp_l')
UNION ALL
(SELECT 'extra', relname FROM imp_tables WHERE nspname = 'imp_l'
 EXCEPT SELECT 'extra', relname FROM imp_tables WHERE nspname IN ('imp_d', 'imp_m'));
CREATE SCHEMA imp_l;
IMPORT FOREIGN SCHEMA mercury LIMIT TO (mercury_unit_changes)
  FROM SERVER imp_mercury INTO imp_l;
IMPORT FOREIGN SCHEMA diadoc EXCEPT (diadoc_docflows)
  FROM SERVER imp_diadoc INTO imp_l;
SELECT relname FROM pg_class WHERE relnamespace = 'imp_l'::regnamespace
  AND relname LIKE 'mercury%';
SELECT * FROM imp_diff WHERE relname NOT LIKE 'mercury%' OR what = 'extra';
SET client_min_messages = warning;
DROP SCHEMA imp_l CASCADE;
RESET client_min_messages;
CREATE SCHEMA imp_l;
IMPORT FOREIGN SCHEMA diadoc LIMIT TO (diadoc_docflows)
  FROM SERVER imp_diadoc INTO imp_l;
IMPORT FOREIGN SCHEMA mercury EXCEPT (mercury_unit_changes)
  FROM SERVER imp_mercury INTO imp_l;
SELECT * FROM imp_diff ORDER BY 1, 2;
SET client_min_messages = warning;
DROP SCHEMA imp_l CASCADE;
RESET client_min_messages;
CREATE SCHEMA imp_l;
-- a name that is no table of the schema (a typo, a resource name, another
-- schema's table) is an ERROR rather than an import of nothing or of all
IMPORT FOREIGN SCHEMA mercury LIMIT TO (mercury_unit_change)
  FROM SERVER imp_mercury INTO imp_l;
IMPORT FOREIGN SCHEMA diadoc EXCEPT (docflows_by_packet)
  FROM SERVER imp_diadoc INTO imp_l;
IMPORT FOREIGN SCHEMA diadoc LIMIT TO (diadoc_docflows, mercury_unit_changes)
  FROM SERVER imp_diadoc INTO imp_l;
IMPORT FOREIGN SCHEMA diadoc LIMIT TO ("Diadoc_Docflows")
  FROM SERVER imp_diadoc INTO imp_l;

-- remote schemas: the APIs, and only the server's
IMPORT FOREIGN SCHEMA vetis FROM SERVER imp_mercury INTO imp_l;
IMPORT FOREIGN SCHEMA "Mercury" FROM SERVER imp_mercury INTO imp_l;
IMPORT FOREIGN SCHEMA mercury FROM SERVER imp_diadoc INTO imp_l;
IMPORT FOREIGN SCHEMA diadoc FROM SERVER imp_mercury INTO imp_l;
SELECT count(*) AS created FROM pg_class WHERE relnamespace = 'imp_l'::regnamespace;

-- importing twice: the table exists, as for CREATE FOREIGN TABLE, and the
-- whole statement is undone (no table of the schema is created)
\set SHOW_CONTEXT errors
IMPORT FOREIGN SCHEMA mercury FROM SERVER imp_mercury INTO imp_m;
CREATE FOREIGN TABLE imp_l.diadoc_docflows (packet_id text)
  SERVER imp_diadoc OPTIONS (resource 'docflows_by_packet');
IMPORT FOREIGN SCHEMA diadoc FROM SERVER imp_diadoc INTO imp_l;
\set SHOW_CONTEXT never
SELECT relname FROM pg_class WHERE relnamespace = 'imp_l'::regnamespace ORDER BY 1;
DROP FOREIGN TABLE imp_l.diadoc_docflows;
-- a local schema that does not exist
IMPORT FOREIGN SCHEMA mercury FROM SERVER imp_mercury INTO imp_nowhere;

-- Options: import_not_null (as in postgres_fdw), and any foreign-table
-- option of paged_fdw, given to every imported table.
IMPORT FOREIGN SCHEMA mercury FROM SERVER imp_mercury INTO imp_l
  OPTIONS (import_not_null 'false', page_size '300', prefetch 'false');
IMPORT FOREIGN SCHEMA diadoc FROM SERVER imp_diadoc INTO imp_l
  OPTIONS (page_size '50', async_capable 'false');
-- every table, its columns and resource as in the full imports, the given
-- options added, NOT NULL left out where import_not_null is false
SELECT i.srvname,
       count(*) = (SELECT count(*) FROM imported
                   WHERE srvname = i.srvname
                     AND schema IN ('imp_d'::regnamespace, 'imp_m'::regnamespace)) AS every_table,
       bool_and(i.columns = f.columns AND i.ftoptions[1] = f.ftoptions[1]) AS same_columns,
       array_agg(DISTINCT i.ftoptions[2:]) AS added_options,
       bool_and(i.not_null = CASE WHEN i.srvname = 'imp_mercury' THEN '' ELSE f.not_null END)
         AS not_null_as_asked
FROM imported i JOIN imported f USING (relname)
WHERE i.schema = 'imp_l'::regnamespace
  AND f.schema IN ('imp_d'::regnamespace, 'imp_m'::regnamespace)
GROUP BY 1 ORDER BY 1;
-- page_size '300' is what the generated table asks for
SELECT count(*) >= 0 AS cleared FROM mock_requests();
SELECT count(*), count(DISTINCT uuid) FROM imp_l.mercury_unit_changes
WHERE begin_date = '2024-01-01 00:00+03' AND end_date = '2024-01-18 08:40+03';
SELECT * FROM mock_requests() ORDER BY 1;
SELECT count(*) FROM imp_l.diadoc_docflows WHERE packet_id = 'p250';
SELECT * FROM mock_requests() ORDER BY 1;
SET client_min_messages = warning;
DROP SCHEMA imp_l CASCADE;
RESET client_min_messages;
CREATE SCHEMA imp_l;
-- bad options: nothing is created
IMPORT FOREIGN SCHEMA mercury FROM SERVER imp_mercury INTO imp_l
  OPTIONS (resource 'unit_changes');
IMPORT FOREIGN SCHEMA mercury FROM SERVER imp_mercury INTO imp_l
  OPTIONS (url 'http://elsewhere');
IMPORT FOREIGN SCHEMA mercury FROM SERVER imp_mercury INTO imp_l
  OPTIONS (pagesize '10');
IMPORT FOREIGN SCHEMA mercury FROM SERVER imp_mercury INTO imp_l
  OPTIONS (page_size '0');
IMPORT FOREIGN SCHEMA mercury FROM SERVER imp_mercury INTO imp_l
  OPTIONS (import_not_null 'maybe');
IMPORT FOREIGN SCHEMA mercury FROM SERVER imp_mercury INTO imp_l
  OPTIONS (import_not_null 'true', import_not_null 'false');
IMPORT FOREIGN SCHEMA mercury FROM SERVER imp_mercury INTO imp_l
  OPTIONS (token 'secret-value');
-- (a page size valid for some resources, too large for the imported one)
IMPORT FOREIGN SCHEMA diadoc FROM SERVER imp_diadoc INTO imp_l
  OPTIONS (page_size '500');
SELECT count(*) AS created FROM pg_class WHERE relnamespace = 'imp_l'::regnamespace;

-- privileges are the core's: USAGE on the server, CREATE on the schema
CREATE ROLE regress_paged_importer;
GRANT CREATE ON SCHEMA imp_l TO regress_paged_importer;
SET ROLE regress_paged_importer;
IMPORT FOREIGN SCHEMA mercury FROM SERVER imp_mercury INTO imp_l;
RESET ROLE;
GRANT USAGE ON FOREIGN SERVER imp_mercury TO regress_paged_importer;
SET ROLE regress_paged_importer;
IMPORT FOREIGN SCHEMA mercury LIMIT TO (mercury_unit_changes) FROM SERVER imp_mercury INTO imp_l;
SELECT relname, pg_get_userbyid(relowner) AS owner
FROM pg_class WHERE relnamespace = 'imp_l'::regnamespace ORDER BY 1;
RESET ROLE;

SET client_min_messages = warning;
DROP SCHEMA imp_l CASCADE;
RESET client_min_messages;
DROP OWNED BY regress_paged_importer;
DROP ROLE regress_paged_importer;
SET client_min_messages = warning;
DROP SCHEMA imp_d CASCADE;
DROP SCHEMA imp_m CASCADE;
DROP VIEW imp_diff, imp_tables, imported;
DROP FUNCTION plan_outcome(regclass);
DROP FOREIGN TABLE ref_docflows, ref_units;
DROP SERVER imp_diadoc CASCADE;
DROP SERVER imp_mercury CASCADE;
RESET client_min_messages;
