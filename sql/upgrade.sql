-- Packaging: ALTER EXTENSION UPDATE from 1.0 to 1.1 gives exactly the
-- objects of a fresh CREATE EXTENSION (1.1), with the same signatures,
-- properties, view definitions and privileges; servers made under 1.0
-- keep working.
\getenv mock MOCK_URL
\set up_url :mock '/diadoc/ok'
CREATE DATABASE regress_paged_upgraded;
CREATE DATABASE regress_paged_fresh;

-- Every member object of the extension, with what matters about it.
\set describe 'SELECT string_agg(d, E''\n'' ORDER BY d) FROM (SELECT pg_describe_object(classid, objid, objsubid) || coalesce((SELECT format('' | %s(%s) returns %s strict=%s volatile=%s parallel=%s secdef=%s acl=%s'', p.proname, pg_get_function_identity_arguments(p.oid), pg_get_function_result(p.oid), p.proisstrict, p.provolatile, p.proparallel, p.prosecdef, p.proacl) FROM pg_proc p WHERE classid = ''pg_proc''::regclass AND p.oid = objid), '''') || coalesce((SELECT format('' | relkind=%s acl=%s def=%s'', c.relkind, c.relacl, pg_get_viewdef(c.oid)) FROM pg_class c WHERE classid = ''pg_class''::regclass AND c.oid = objid), '''') || coalesce((SELECT format('' | handler=%s validator=%s acl=%s'', w.fdwhandler::regproc, w.fdwvalidator::regproc, w.fdwacl) FROM pg_foreign_data_wrapper w WHERE classid = ''pg_foreign_data_wrapper''::regclass AND w.oid = objid), '''') AS d FROM pg_depend WHERE refclassid = ''pg_extension''::regclass AND deptype = ''e'' AND refobjid = (SELECT oid FROM pg_extension WHERE extname = ''paged_fdw'')) s'
\set members 'SELECT pg_describe_object(classid, objid, objsubid) AS member FROM pg_depend WHERE refclassid = ''pg_extension''::regclass AND deptype = ''e'' AND refobjid = (SELECT oid FROM pg_extension WHERE extname = ''paged_fdw'') ORDER BY 1'

\c regress_paged_upgraded
CREATE EXTENSION paged_fdw VERSION '1.0';
SELECT extversion FROM pg_extension WHERE extname = 'paged_fdw';
:members;
CREATE SERVER up_ok FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', api_version 'legacy', url :'up_url', box_id 'box-1');
CREATE USER MAPPING FOR CURRENT_USER SERVER up_ok
  OPTIONS (client_id 'test-client', token 'test-token');
CREATE FOREIGN TABLE up_docs (packet_id text, entity_id text)
  SERVER up_ok OPTIONS (resource 'docflows_by_packet');
SELECT count(*) FROM up_docs WHERE packet_id = 'p5';
-- the default version is 1.1: UPDATE without TO goes there
ALTER EXTENSION paged_fdw UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'paged_fdw';
:members;
:describe \gset upgraded_
SELECT count(*) FROM up_docs WHERE packet_id = 'p5';
SELECT server, scans, rows FROM paged_fdw_stats;
-- IMPORT FOREIGN SCHEMA (a C callback, no SQL object) works after the update
CREATE SCHEMA up_imported;
IMPORT FOREIGN SCHEMA diadoc LIMIT TO (diadoc_docflows) FROM SERVER up_ok INTO up_imported;
SELECT count(*), count(DISTINCT entity_id) FROM up_imported.diadoc_docflows WHERE packet_id = 'p5';

\c regress_paged_fresh
CREATE EXTENSION paged_fdw;
SELECT extversion FROM pg_extension WHERE extname = 'paged_fdw';
:members;
:describe \gset fresh_
SELECT :'upgraded_string_agg' = :'fresh_string_agg' AS same_objects,
       array_length(regexp_split_to_array(:'upgraded_string_agg', E'\n'), 1) AS lines_compared;
-- (what differs, if anything)
SELECT u AS only_after_update FROM regexp_split_to_table(:'upgraded_string_agg', E'\n') u
EXCEPT SELECT regexp_split_to_table(:'fresh_string_agg', E'\n');
SELECT f AS only_in_fresh FROM regexp_split_to_table(:'fresh_string_agg', E'\n') f
EXCEPT SELECT regexp_split_to_table(:'upgraded_string_agg', E'\n');

-- and back: DROP EXTENSION leaves nothing behind
DROP EXTENSION paged_fdw;
SELECT count(*) AS left_over FROM pg_proc WHERE proname LIKE 'paged_fdw%';

\c contrib_regression
DROP DATABASE regress_paged_upgraded;
DROP DATABASE regress_paged_fresh;
