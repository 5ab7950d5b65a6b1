-- Example queries against the bundled mock API (run by test/demo.sh).
\getenv mock MOCK_URL
\set durl :mock '/diadoc/ok'
\set murl :mock '/mercury/ok'
\pset null '(null)'
\echo
\echo '== setup =='
CREATE EXTENSION paged_fdw;

-- api_version is left at its default, 5: POST /V5/GetDocflowsByPacketId
CREATE SERVER diadoc FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', url :'durl', box_id 'box-1');
CREATE USER MAPPING FOR CURRENT_USER SERVER diadoc
  OPTIONS (client_id 'test-client', login 'test-login', password 'test-password');
CREATE FOREIGN TABLE diadoc_docflows (
  box_id text, packet_id text, index_key bytea, message_id text, entity_id text,
  last_event_id text, last_event_at timestamptz, document_type text, direction text,
  is_test boolean, custom_document_id text, counteragent_box_id text,
  document_date date, document_number text, version text, is_finished boolean,
  is_deleted boolean, department_id text, sent_at timestamptz, delivered_at timestamptz,
  status text, status_severity text, document jsonb,
  message_type text, type_function text, file_name text, metadata jsonb, is_read boolean,
  sender_box_id text, recipient_box_id text, secondary_status text
) SERVER diadoc OPTIONS (resource 'docflows_by_packet');

CREATE SERVER mercury FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'mercury', url :'murl');
CREATE USER MAPPING FOR CURRENT_USER SERVER mercury
  OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE mercury_unit_changes (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, full_name text, common_unit_guid uuid, factor numeric,
  begin_date timestamptz, end_date timestamptz
) SERVER mercury OPTIONS (resource 'unit_changes');

SET timezone = 'UTC';

\echo '== the documents of one packet (API version 5, the default) =='
SELECT entity_id, document_type, type_function, direction, counteragent_box_id,
       document_date, document_number, status, sent_at, delivered_at
FROM diadoc_docflows WHERE packet_id = 'p5';
SELECT entity_id, message_type, sender_box_id, recipient_box_id, file_name, metadata, secondary_status
FROM diadoc_docflows WHERE packet_id = 'p5';
EXPLAIN (COSTS OFF) SELECT * FROM diadoc_docflows WHERE packet_id = 'p5';

\echo '== the same packet through the unversioned path of the seed (api_version legacy) =='
CREATE SERVER diadoc_legacy FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', api_version 'legacy', url :'durl', box_id 'box-1');
CREATE USER MAPPING FOR CURRENT_USER SERVER diadoc_legacy
  OPTIONS (client_id 'test-client', token 'test-token');
CREATE FOREIGN TABLE diadoc_docflows_legacy (
  entity_id text, document_type text, direction text, counteragent_box_id text, status text,
  is_finished boolean, packet_id text
) SERVER diadoc_legacy OPTIONS (resource 'docflows_by_packet');
SELECT entity_id, document_type, direction, counteragent_box_id, status, is_finished
FROM diadoc_docflows_legacy WHERE packet_id = 'p5';

\echo '== several packets at once, and the whole document as jsonb =='
SELECT packet_id, count(*) FROM diadoc_docflows
WHERE packet_id IN ('p3', 'p250', 'nothing-here') GROUP BY packet_id ORDER BY packet_id;
SELECT jsonb_pretty(document) FROM diadoc_docflows WHERE packet_id = 'p2' LIMIT 1;

\echo '== a join with a local table =='
CREATE TABLE my_packets (packet_id text PRIMARY KEY, note text);
INSERT INTO my_packets VALUES ('p1', 'one document'), ('p4', 'four documents');
SELECT p.note, d.entity_id, d.document_number
FROM my_packets p JOIN diadoc_docflows d ON d.packet_id = p.packet_id ORDER BY 1, 2;

\echo '== unit changes of one day =='
SELECT uuid, name, status, active, update_date, factor
FROM mercury_unit_changes
WHERE begin_date = '2024-01-02' AND end_date = '2024-01-02 01:00' ORDER BY update_date;

\echo '== a range on update_date narrows the request =='
SELECT count(*), min(update_date), max(update_date)
FROM mercury_unit_changes
WHERE update_date >= '2024-01-10' AND update_date < '2024-01-20';
EXPLAIN (COSTS OFF)
SELECT * FROM mercury_unit_changes WHERE update_date >= '2024-01-10' AND update_date < '2024-01-20';

\echo '== a sync into a local table =='
CREATE TABLE units (uuid uuid PRIMARY KEY, name text, factor numeric, update_date timestamptz);
INSERT INTO units
SELECT uuid, name, factor, update_date FROM mercury_unit_changes
WHERE begin_date = '2024-01-01' AND end_date = '2024-01-03'
ON CONFLICT (uuid) DO UPDATE SET name = EXCLUDED.name, factor = EXCLUDED.factor;
SELECT count(*) AS synced, max(factor) AS biggest_factor FROM units;

\echo '== every table of an API in one statement: IMPORT FOREIGN SCHEMA =='
CREATE SCHEMA vetis;
IMPORT FOREIGN SCHEMA mercury FROM SERVER mercury INTO vetis;
CREATE SCHEMA box;
IMPORT FOREIGN SCHEMA diadoc FROM SERVER diadoc INTO box;
SELECT foreign_table_schema AS schema, count(*) AS tables
FROM information_schema.foreign_tables
WHERE foreign_table_schema IN ('vetis', 'box') GROUP BY 1 ORDER BY 1;

\echo '== a VetIS dictionary: regions of each country (one request per country) =='
SELECT c.name AS country, count(r.*) AS regions
FROM vetis.mercury_countries c JOIN vetis.mercury_regions_by_country r ON r.country_guid = c.guid
GROUP BY 1 ORDER BY 2 DESC LIMIT 3;

\echo '== nested VetIS types as jsonb =='
SELECT name, inn, incorporation_form->>'name' AS form, jsonb_array_length(activity_location) AS locations
FROM vetis.mercury_business_entity_changes
WHERE update_date >= '2024-01-01' LIMIT 3;

\echo '== the box event feed: the newest events first =='
SELECT event_at, document_type, direction, status
FROM box.diadoc_docflow_events
WHERE event_at >= '2025-01-01' ORDER BY event_at DESC LIMIT 5;

\echo '== search, then the documents found, by id =='
SELECT d.document_number, d.status, d.is_read
FROM box.diadoc_search s JOIN box.diadoc_documents d USING (message_id, entity_id)
WHERE s.query = 'B-1' ORDER BY 1 LIMIT 5;

\echo '== a query the API cannot answer fails before sending anything =='
\set ON_ERROR_STOP 0
SELECT count(*) FROM diadoc_docflows;
