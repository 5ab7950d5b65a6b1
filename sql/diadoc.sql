-- diadoc_docflows end to end against the mock API.
\set VERBOSITY default

\set SHOW_CONTEXT never
\getenv mock MOCK_URL
\set durl :mock '/diadoc/ok'
\set fixurl :mock '/diadoc/fixture'
\set emptyurl :mock '/diadoc/empty-pages'
\set shorturl :mock '/diadoc/short-pages'
\set loopurl :mock '/diadoc/loop'
\set expirecmd 'curl -s ' :mock '/_control/expire-tokens'
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

\i sql/include/mock_log.sql

CREATE SERVER diadoc FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', api_version 'legacy', url :'durl', box_id 'box-1');
CREATE USER MAPPING FOR CURRENT_USER SERVER diadoc
  OPTIONS (client_id 'test-client', token 'test-token');
CREATE FOREIGN TABLE diadoc_docflows (
  box_id text, packet_id text, index_key bytea, message_id text, entity_id text,
  last_event_id text, last_event_at timestamptz, document_type text, direction text,
  is_test boolean, custom_document_id text, counteragent_box_id text,
  document_date date, document_number text, version text, is_finished boolean,
  is_deleted boolean, department_id text, sent_at timestamptz, delivered_at timestamptz,
  status text, status_severity text, document jsonb
) SERVER diadoc OPTIONS (resource 'docflows_by_packet');

-- every column of a small packet
\x on
SELECT * FROM diadoc_docflows WHERE packet_id = 'p2';
\x off
SELECT * FROM mock_requests();

-- rows of the generated data set: types, enums, dates, ticks
SELECT entity_id, document_type, direction, is_test, document_date, document_number,
       last_event_at, sent_at, delivered_at, status, status_severity
FROM diadoc_docflows WHERE packet_id = 'p14' ORDER BY index_key;

-- paging: 250 documents in pages of 100, every row exactly once
SELECT count(*), count(DISTINCT entity_id), min(encode(index_key, 'hex')), max(encode(index_key, 'hex'))
FROM diadoc_docflows WHERE packet_id = 'p250';
SELECT * FROM mock_requests();

-- a page independently encoded by protoc --encode
CREATE SERVER diadoc_fixture FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', api_version 'legacy', url :'fixurl', box_id 'box-1');
CREATE USER MAPPING FOR CURRENT_USER SERVER diadoc_fixture
  OPTIONS (client_id 'test-client', token 'test-token');
CREATE FOREIGN TABLE fixture_docflows (
  box_id text, packet_id text, index_key bytea, message_id text, entity_id text,
  last_event_id text, last_event_at timestamptz, document_type text, direction text,
  is_test boolean, custom_document_id text, counteragent_box_id text,
  document_date date, document_number text, version text, is_finished boolean,
  is_deleted boolean, department_id text, sent_at timestamptz, delivered_at timestamptz,
  status text, status_severity text, document jsonb
) SERVER diadoc_fixture OPTIONS (resource 'docflows_by_packet');
\x on
SELECT * FROM fixture_docflows WHERE packet_id = 'fixture-a';
\x off

-- lazy paging: LIMIT 1 on a 5-page packet sends exactly one request
SELECT entity_id FROM diadoc_docflows WHERE packet_id = 'p450' LIMIT 1;
SELECT * FROM mock_requests();
-- and with prefetch off, a cursor fetches a page only when its rows are needed
ALTER FOREIGN TABLE diadoc_docflows OPTIONS (ADD prefetch 'false');
BEGIN;
DECLARE c CURSOR FOR SELECT entity_id FROM diadoc_docflows WHERE packet_id = 'p450';
FETCH 2 FROM c;
SELECT * FROM mock_requests();
MOVE 97 FROM c;
FETCH 1 FROM c;
SELECT * FROM mock_requests();
FETCH 1 FROM c;
SELECT * FROM mock_requests();
COMMIT;
ALTER FOREIGN TABLE diadoc_docflows OPTIONS (DROP prefetch);

-- empty and short intermediate pages are followed to the end
CREATE SERVER diadoc_empty FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', api_version 'legacy', url :'emptyurl', box_id 'box-1');
CREATE USER MAPPING FOR CURRENT_USER SERVER diadoc_empty
  OPTIONS (client_id 'test-client', token 'test-token');
CREATE FOREIGN TABLE empty_pages (packet_id text, entity_id text)
  SERVER diadoc_empty OPTIONS (resource 'docflows_by_packet');
SELECT count(*), count(DISTINCT entity_id) FROM empty_pages WHERE packet_id = 'p250';
SELECT * FROM mock_requests();
CREATE SERVER diadoc_short FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', api_version 'legacy', url :'shorturl', box_id 'box-1');
CREATE USER MAPPING FOR CURRENT_USER SERVER diadoc_short
  OPTIONS (client_id 'test-client', token 'test-token');
CREATE FOREIGN TABLE short_pages (packet_id text, entity_id text)
  SERVER diadoc_short OPTIONS (resource 'docflows_by_packet');
SELECT count(*), count(DISTINCT entity_id) FROM short_pages WHERE packet_id = 'p250';
SELECT count(*) AS requests FROM mock_requests();

-- a repeated NextPageIndexKey is an error, not an endless scan
CREATE SERVER diadoc_loop FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', api_version 'legacy', url :'loopurl', box_id 'box-1');
CREATE USER MAPPING FOR CURRENT_USER SERVER diadoc_loop
  OPTIONS (client_id 'test-client', token 'test-token');
CREATE FOREIGN TABLE loop_pages (packet_id text, entity_id text)
  SERVER diadoc_loop OPTIONS (resource 'docflows_by_packet');

SELECT count(*) FROM loop_pages WHERE packet_id = 'p250';
\echo SQLSTATE :SQLSTATE

SELECT count(*) FROM mock_requests();

-- a packet with no documents, and an unknown one
SELECT count(*) FROM diadoc_docflows WHERE packet_id = 'p0';
SELECT count(*) FROM diadoc_docflows WHERE packet_id = 'no-such-packet';
SELECT * FROM mock_requests();

-- a subset of columns in another order, one renamed
CREATE FOREIGN TABLE docs_subset (
  doc_status text OPTIONS (column_name 'status'),
  entity_id text,
  packet_id text
) SERVER diadoc OPTIONS (resource 'docflows_by_packet');
SELECT * FROM docs_subset WHERE packet_id = 'p3';
-- a column declared with another type goes through that type's input
CREATE FOREIGN TABLE docs_retyped (packet_id text, last_event_at text, is_test text, index_key text)
  SERVER diadoc OPTIONS (resource 'docflows_by_packet');
SELECT * FROM docs_retyped WHERE packet_id = 'p2';

-- a join with a local table: one request per outer row, each for its packet
SELECT count(*) FROM mock_requests();
CREATE TABLE my_packets (packet_id text PRIMARY KEY, note text);
INSERT INTO my_packets VALUES ('p1', 'one'), ('p3', 'three'), ('p0', 'empty');
SELECT p.note, d.entity_id
FROM my_packets p JOIN diadoc_docflows d ON d.packet_id = p.packet_id
ORDER BY p.note, d.entity_id;
SELECT * FROM mock_requests() ORDER BY 1;

-- a materialized view, created and refreshed
CREATE MATERIALIZED VIEW packet_summary AS
  SELECT packet_id, count(*) AS docs, count(*) FILTER (WHERE is_test) AS tests
  FROM diadoc_docflows WHERE packet_id IN ('p5', 'p7') GROUP BY packet_id;
SELECT * FROM packet_summary ORDER BY packet_id;
REFRESH MATERIALIZED VIEW packet_summary;
SELECT * FROM packet_summary ORDER BY packet_id;

-- a sync into a local table
CREATE TABLE docs_copy (entity_id text PRIMARY KEY, status text);
INSERT INTO docs_copy SELECT entity_id, status FROM diadoc_docflows WHERE packet_id = 'p4'
  ON CONFLICT (entity_id) DO UPDATE SET status = EXCLUDED.status;
INSERT INTO docs_copy SELECT entity_id, status FROM diadoc_docflows WHERE packet_id = 'p6'
  ON CONFLICT (entity_id) DO UPDATE SET status = EXCLUDED.status;
SELECT count(*) FROM docs_copy;

-- the required condition: missing, it fails before any request
SELECT count(*) FROM mock_requests();
SELECT * FROM diadoc_docflows;
\echo SQLSTATE :SQLSTATE
SELECT * FROM diadoc_docflows WHERE packet_id LIKE 'p%';
\echo SQLSTATE :SQLSTATE
SELECT * FROM diadoc_docflows WHERE entity_id = 'ent-p3-1';
\echo SQLSTATE :SQLSTATE
SELECT count(*) FROM mock_requests();

-- login and password: a token is obtained, cached, and renewed once on 401
CREATE SERVER diadoc_login FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', api_version 'legacy', url :'durl', box_id 'box-1');
CREATE USER MAPPING FOR CURRENT_USER SERVER diadoc_login
  OPTIONS (client_id 'test-client', login 'test-login', password 'test-password');
CREATE FOREIGN TABLE login_docs (packet_id text, entity_id text)
  SERVER diadoc_login OPTIONS (resource 'docflows_by_packet');
SELECT count(*) FROM login_docs WHERE packet_id = 'p3';
SELECT count(*) FROM login_docs WHERE packet_id = 'p4';
SELECT * FROM mock_requests();
SELECT set_config('paged.logcmd', :'expirecmd', false) IS NOT NULL AS ok;
SELECT count(*) FROM mock_requests();
SELECT set_config('paged.logcmd', :'logcmd', false) IS NOT NULL AS ok;
SELECT count(*) FROM login_docs WHERE packet_id = 'p5';
SELECT * FROM mock_requests();

-- wrong credentials: the CONTEXT says which table needed the token, and
-- for which page of which packet
ALTER USER MAPPING FOR CURRENT_USER SERVER diadoc_login
  OPTIONS (SET password 'wrong-password');
\set SHOW_CONTEXT always
SELECT count(*) FROM login_docs WHERE packet_id = 'p5';
\echo SQLSTATE :SQLSTATE
-- the same from a join (the token is asked for by the first inner scan)
SELECT count(*) FROM (VALUES ('p5'), ('p6')) v(p) JOIN login_docs d ON d.packet_id = v.p;
\echo SQLSTATE :SQLSTATE
\set SHOW_CONTEXT never

ALTER USER MAPPING FOR CURRENT_USER SERVER diadoc_login
  OPTIONS (DROP login, DROP password, ADD token 'bad-token');
SELECT count(*) FROM login_docs WHERE packet_id = 'p5';
\echo SQLSTATE :SQLSTATE
-- a box the token may not see
SELECT count(*) FROM diadoc_docflows WHERE packet_id = 'p5' AND box_id = 'box-9';
\echo SQLSTATE :SQLSTATE
SELECT * FROM mock_requests();
-- a very long packet id is cut in EXPLAIN and in the CONTEXT of an error
-- (after 56 bytes, not inside a character), with its full length
EXPLAIN (COSTS OFF) SELECT * FROM diadoc_docflows WHERE packet_id = repeat('p', 10000);
EXPLAIN (COSTS OFF, FORMAT JSON)
SELECT * FROM diadoc_docflows WHERE packet_id = repeat('я', 5000) AND box_id = 'box-1';
\set SHOW_CONTEXT always
SELECT count(*) FROM diadoc_docflows WHERE packet_id = repeat('x', 10000) AND box_id = 'box-9';
\set SHOW_CONTEXT never
SELECT count(*) AS requests FROM mock_requests();
-- the backend is still fine
SELECT count(*) FROM diadoc_docflows WHERE packet_id = 'p5';
