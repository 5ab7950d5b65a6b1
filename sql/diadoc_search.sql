-- diadoc_search (SearchDocflows V5) and diadoc_documents (GetDocflows V5)
-- over the mock's generated box (test/mock_api/PROTOCOL.md, "Generated box"
-- and "Search and documents by id"): columns, paging by FirstIndex until
-- HaveMoreDocuments is false, scopes, the required conditions, documents by
-- IN lists and by a join in batches, 404, and bad answers and input.
\set VERBOSITY default
\set SHOW_CONTEXT never
\getenv mock MOCK_URL
\set okurl :mock '/diadoc/ok'
\set emptyurl :mock '/diadoc/empty-pages'
\set growurl :mock '/diadoc/grow'
\set missingurl :mock '/diadoc/missing-required'
\set extraurl :mock '/diadoc/extra-docs'
\set garbageurl :mock '/diadoc/garbage'
\set boxurl :mock '/diadoc/box-25'
\set loopurl :mock '/diadoc/loop'
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

\i sql/include/mock_log.sql

-- one server per scenario, a search table and a documents table on each
CREATE FUNCTION mk_search(name text, url text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE SERVER %I FOREIGN DATA WRAPPER paged_fdw OPTIONS (api %L, url %L, box_id %L)',
                 name || '_srv', 'diadoc', url, 'box-1');
  EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER %I OPTIONS (client_id %L, token %L)',
                 name || '_srv', 'test-client', 'test-token');
  EXECUTE format($t$CREATE FOREIGN TABLE %I (
    box_id text, query text, scope text, message_id text, entity_id text,
    last_event_id text, last_event_at timestamptz, document_type text, direction text,
    is_test boolean, custom_document_id text, counteragent_box_id text,
    document_date date, document_number text, version text, is_finished boolean,
    is_deleted boolean, department_id text, sent_at timestamptz, delivered_at timestamptz,
    status text, status_severity text, document jsonb,
    message_type text, type_function text, file_name text, metadata jsonb, is_read boolean,
    sender_box_id text, recipient_box_id text, secondary_status text
  ) SERVER %I OPTIONS (resource 'search')$t$, name || '_search', name || '_srv');
  EXECUTE format($t$CREATE FOREIGN TABLE %I (
    box_id text, message_id text, entity_id text,
    last_event_id text, last_event_at timestamptz, document_type text, direction text,
    is_test boolean, custom_document_id text, counteragent_box_id text,
    document_date date, document_number text, version text, is_finished boolean,
    is_deleted boolean, department_id text, sent_at timestamptz, delivered_at timestamptz,
    status text, status_severity text, document jsonb,
    message_type text, type_function text, file_name text, metadata jsonb, is_read boolean,
    sender_box_id text, recipient_box_id text, secondary_status text
  ) SERVER %I OPTIONS (resource 'documents')$t$, name || '_docs', name || '_srv');
END $$;
SELECT mk_search('ok', :'okurl'), mk_search('empty', :'emptyurl'),
       mk_search('grow', :'growurl'), mk_search('missing', :'missingurl'),
       mk_search('extra', :'extraurl'), mk_search('garbage', :'garbageurl'),
       mk_search('box25', :'boxurl'), mk_search('twice', :'loopurl');

-- The box's truth (PROTOCOL.md): document d has ids bmsg-<d div 2> /
-- bent-<d>, number B-<d>, file box-<d>.xml, direction by d mod 3; its
-- version after all 100 events is the number of its events minus one, and
-- it is deleted when d mod 10 = 9 and that version is at least 2.
CREATE TEMP TABLE truth AS
SELECT d, 'bmsg-' || (d / 2) AS message_id, 'bent-' || d AS entity_id,
       'B-' || d AS document_number, 'box-' || d || '.xml' AS file_name,
       (ARRAY['Inbound', 'Outbound', 'Internal'])[1 + d % 3] AS direction,
       d % 10 = 9 AND (99 - (13 * d) % 30) / 30 >= 2 AS is_deleted
FROM generate_series(0, 29) AS d;
SELECT count(*) AS documents, count(*) FILTER (WHERE is_deleted) AS deleted FROM truth;

-- ---------------------------------------------------------------------
-- diadoc_search
-- ---------------------------------------------------------------------

-- EXPLAIN: endpoint and what is pushed
EXPLAIN (COSTS OFF) SELECT entity_id FROM ok_search WHERE query = 'B-1';
EXPLAIN (COSTS OFF) SELECT entity_id FROM ok_search WHERE query = 'B-1' AND scope IN ('incoming', 'deleted');

-- every column of one document (B-12 matches only document 12)
SELECT box_id, query, scope, message_id, entity_id, last_event_id, last_event_at,
       document_type, direction, is_test, custom_document_id, counteragent_box_id,
       document_date, document_number, version, is_finished, is_deleted, department_id,
       sent_at, delivered_at, status, status_severity, message_type, type_function,
       file_name, metadata, is_read, sender_box_id, recipient_box_id, secondary_status,
       document -> 'DocumentId' AS document_id
FROM ok_search WHERE query = 'B-12';
SELECT * FROM mock_requests();

-- paging: FirstIndex moves by the documents of each page, and the search
-- ends on the page that says HaveMoreDocuments = false (B-1 matches ten
-- documents that are not deleted: B-1 and B-10 .. B-18)
ALTER FOREIGN TABLE ok_search OPTIONS (ADD page_size '3');
SELECT count(*) AS n, count(DISTINCT entity_id) AS distinct_ids FROM ok_search WHERE query = 'B-1';
SELECT * FROM mock_requests();
-- the rows are the truth's (the query is a substring of the number or the file name)
(SELECT entity_id FROM ok_search WHERE query = 'B-1'
 EXCEPT SELECT entity_id FROM truth WHERE NOT is_deleted AND (document_number LIKE '%B-1%' OR file_name LIKE '%B-1%'))
UNION ALL
(SELECT entity_id FROM truth WHERE NOT is_deleted AND (document_number LIKE '%B-1%' OR file_name LIKE '%B-1%')
 EXCEPT SELECT entity_id FROM ok_search WHERE query = 'B-1');
SELECT count(*) >= 0 AS cleared FROM mock_requests();
-- a LIMIT asks for no more than it needs
SELECT entity_id IS NOT NULL AS ok FROM ok_search WHERE query = 'box-' LIMIT 2;
SELECT * FROM mock_requests();
ALTER FOREIGN TABLE ok_search OPTIONS (DROP page_size);

-- scopes: one stream per value, each row says which; without a condition
-- the search is SearchScopeAny and rows say 'any'
SELECT scope, count(*) AS n,
       bool_and(CASE scope WHEN 'deleted' THEN is_deleted
                           ELSE NOT is_deleted AND direction = CASE scope WHEN 'incoming' THEN 'Inbound'
                                                                          WHEN 'outgoing' THEN 'Outbound'
                                                                          ELSE 'Internal' END END) AS rows_fit
FROM ok_search WHERE query = 'box-' AND scope IN ('incoming', 'outgoing', 'internal', 'deleted')
GROUP BY scope ORDER BY scope;
-- (streams are fetched concurrently: the log is sorted)
SELECT * FROM mock_requests() ORDER BY 1;
SELECT scope, count(*) AS n FROM ok_search WHERE query = 'box-' GROUP BY scope;
SELECT scope, count(*) AS n FROM ok_search WHERE query = 'box-' AND scope = 'any' GROUP BY scope;
SELECT * FROM mock_requests();
-- each scope is the truth's
SELECT s.scope,
       (SELECT array_agg(entity_id ORDER BY entity_id) FROM ok_search o
         WHERE o.query = 'box-' AND o.scope = s.scope)
       = (SELECT array_agg(entity_id ORDER BY entity_id) FROM truth t
         WHERE CASE s.scope WHEN 'any' THEN NOT t.is_deleted
                            WHEN 'deleted' THEN t.is_deleted
                            ELSE NOT t.is_deleted AND t.direction = CASE s.scope WHEN 'incoming' THEN 'Inbound'
                                                                                  WHEN 'outgoing' THEN 'Outbound'
                                                                                  ELSE 'Internal' END END) AS same
FROM (VALUES ('any'), ('incoming'), ('outgoing'), ('internal'), ('deleted')) AS s(scope);
SELECT count(*) >= 0 AS cleared FROM mock_requests();
-- conditions that no row can meet send nothing; an unknown scope is an ERROR
SELECT count(*) FROM ok_search WHERE query = 'box-' AND scope = NULL;
SELECT count(*) FROM ok_search WHERE query = 'box-' AND scope = 'incoming' AND scope = 'outgoing';
SELECT count(*) FROM ok_search WHERE query IN ('B-1', 'B-2') AND query = 'B-3';
SELECT * FROM mock_requests();
SELECT count(*) FROM ok_search WHERE query = 'box-' AND scope = 'Incoming';
SELECT 1 AS usable;
-- box_id: a condition sends each box (the documents' IsCurrentBox follows it)
SELECT box_id, entity_id, sender_box_id, recipient_box_id FROM ok_search
WHERE query = 'B-12' AND box_id IN ('box-2', 'box-3') ORDER BY box_id;
SELECT * FROM mock_requests() ORDER BY 1;
SELECT box_id, entity_id FROM ok_docs WHERE box_id = 'box-4' AND message_id = 'bmsg-6' AND entity_id = 'bent-12';
SELECT * FROM mock_requests();
-- several queries: one stream each, rows echo their own query
SELECT query, count(*) FROM ok_search WHERE query IN ('B-2', 'B-3') GROUP BY query ORDER BY query;
SELECT count(*) >= 0 AS cleared FROM mock_requests();

-- query is required
SELECT count(*) FROM ok_search;
SELECT count(*) FROM ok_search WHERE query LIKE 'B-1%';
SELECT 1 AS usable;

-- control characters: tab, line feed and carriage return go out as they
-- are (a YAML query may span lines); any other is an ERROR before a request
SELECT count(*) FROM ok_search WHERE query = E'B-1\n';
SELECT * FROM mock_requests();
EXPLAIN (COSTS OFF) SELECT count(*) FROM ok_search WHERE query = E'key: B-1\r\nkind:\t''x''';
SELECT count(*) FROM ok_search WHERE query = E'B-1\x01';
SELECT count(*) FROM ok_search WHERE query IN ('B-1', E'\x1b[2J');
SELECT * FROM mock_requests();
SELECT 1 AS usable;

-- a box that grows while it is searched (each page sees the box after
-- more events): paging goes on while HaveMoreDocuments says so, and every
-- document comes once
ALTER FOREIGN TABLE grow_search OPTIONS (ADD page_size '5');
SELECT count(*) AS n, count(DISTINCT entity_id) AS distinct_ids FROM grow_search WHERE query = 'box-';
SELECT * FROM mock_requests();

-- HaveMoreDocuments = true on empty pages, again and again: an ERROR
-- after three, naming the operation
SELECT count(*) FROM empty_search WHERE query = 'B-1';
SELECT * FROM mock_requests();
SELECT 1 AS usable;
-- an answer without HaveMoreDocuments, one with more documents than Count,
-- one that is not protobuf
SELECT count(*) FROM missing_search WHERE query = 'B-1';
SELECT count(*) FROM extra_search WHERE query = 'B-1';
SELECT count(*) FROM garbage_search WHERE query = 'B-1';
SELECT count(*) >= 0 AS cleared FROM mock_requests();
SELECT 1 AS usable;

-- ---------------------------------------------------------------------
-- diadoc_documents
-- ---------------------------------------------------------------------

EXPLAIN (COSTS OFF) SELECT entity_id FROM ok_docs WHERE message_id = 'bmsg-0' AND entity_id IN ('bent-0', 'bent-1');

-- the pairs are the cross product; unknown pairs are simply missing
SELECT message_id, entity_id, document_number, direction
FROM ok_docs WHERE message_id = 'bmsg-0' AND entity_id IN ('bent-0', 'bent-1', 'bent-2')
ORDER BY entity_id;
SELECT * FROM mock_requests();

-- 450 pairs go out in batches of at most 100; the 30 documents come back
SELECT count(*) AS n, count(DISTINCT entity_id) AS distinct_ids
FROM ok_docs
WHERE message_id = ANY (ARRAY(SELECT 'bmsg-' || i FROM generate_series(0, 14) AS i))
  AND entity_id = ANY (ARRAY(SELECT 'bent-' || i FROM generate_series(0, 29) AS i));
SELECT * FROM mock_requests() ORDER BY 1;
-- page_size makes the batches smaller
ALTER FOREIGN TABLE ok_docs OPTIONS (ADD page_size '40');
SELECT count(*) AS n FROM ok_docs
WHERE message_id = ANY (ARRAY(SELECT 'bmsg-' || i FROM generate_series(0, 14) AS i))
  AND entity_id = ANY (ARRAY(SELECT 'bent-' || i FROM generate_series(0, 9) AS i));
SELECT * FROM mock_requests() ORDER BY 1;
ALTER FOREIGN TABLE ok_docs OPTIONS (DROP page_size);

-- the same documents as the search shows (both read the same box)
SELECT count(*) AS differences FROM (
  (SELECT message_id, entity_id, last_event_id, document_type, direction, status, is_deleted, document
   FROM ok_search WHERE query = 'box-' AND scope IN ('any', 'deleted')
   EXCEPT
   SELECT message_id, entity_id, last_event_id, document_type, direction, status, is_deleted, document
   FROM ok_docs
   WHERE message_id = ANY (ARRAY(SELECT 'bmsg-' || i FROM generate_series(0, 14) AS i))
     AND entity_id = ANY (ARRAY(SELECT 'bent-' || i FROM generate_series(0, 29) AS i)))
  UNION ALL
  (SELECT message_id, entity_id, last_event_id, document_type, direction, status, is_deleted, document
   FROM ok_docs
   WHERE message_id = ANY (ARRAY(SELECT 'bmsg-' || i FROM generate_series(0, 14) AS i))
     AND entity_id = ANY (ARRAY(SELECT 'bent-' || i FROM generate_series(0, 29) AS i))
   EXCEPT
   SELECT message_id, entity_id, last_event_id, document_type, direction, status, is_deleted, document
   FROM ok_search WHERE query = 'box-' AND scope IN ('any', 'deleted'))) AS x;
SELECT count(*) >= 0 AS cleared FROM mock_requests();

-- a batch of which no document is known is answered 404: no rows, no ERROR
SELECT count(*) FROM ok_docs WHERE message_id IN ('nope-1', 'nope-2') AND entity_id = 'bent-0';
SELECT * FROM mock_requests();
-- the box after 25 events: documents created later are not there yet
-- (documents 2 and 9 are created by events 26 and 27)
SELECT entity_id FROM ok_docs WHERE message_id IN ('bmsg-1', 'bmsg-4') AND entity_id IN ('bent-2', 'bent-3', 'bent-8', 'bent-9') ORDER BY 1;
SELECT entity_id FROM box25_docs WHERE message_id IN ('bmsg-1', 'bmsg-4') AND entity_id IN ('bent-2', 'bent-3', 'bent-8', 'bent-9') ORDER BY 1;
SELECT * FROM mock_requests();

-- a join on both columns: parameterized scans, one request per outer row
CREATE TEMP TABLE wanted (m text, e text);
INSERT INTO wanted VALUES ('bmsg-1', 'bent-2'), ('bmsg-1', 'bent-3'), ('bmsg-5', 'bent-11'),
  ('bmsg-5', 'bent-99'), ('nope', 'bent-4');
ANALYZE wanted;
EXPLAIN (COSTS OFF) SELECT w.m, d.entity_id FROM wanted w JOIN ok_docs d ON d.message_id = w.m AND d.entity_id = w.e;
SELECT w.m, w.e, d.document_number FROM wanted w JOIN ok_docs d ON d.message_id = w.m AND d.entity_id = w.e ORDER BY 1, 2;
SELECT * FROM mock_requests();
SELECT w.m, w.e, d.document_number FROM wanted w LEFT JOIN ok_docs d ON d.message_id = w.m AND d.entity_id = w.e ORDER BY 1, 2;
SELECT count(*) >= 0 AS cleared FROM mock_requests();

-- both conditions are required
SELECT count(*) FROM ok_docs WHERE message_id = 'bmsg-0';
SELECT count(*) FROM ok_docs WHERE entity_id IN ('bent-0');
SELECT 1 AS usable;
SELECT count(*) FROM ok_docs WHERE message_id = NULL AND entity_id = 'bent-0';
SELECT * FROM mock_requests();
-- more pairs than one scan may ask for: an ERROR before any request
SELECT count(*) FROM ok_docs
WHERE message_id = ANY (ARRAY(SELECT 'm' || i FROM generate_series(1, 400) AS i))
  AND entity_id = ANY (ARRAY(SELECT 'e' || i FROM generate_series(1, 300) AS i));
SELECT * FROM mock_requests();
SELECT 1 AS usable;

-- answers that do not fit the batch: more documents than ids, a document
-- without DocumentId, one that was not asked for, one twice
SELECT count(*) FROM extra_docs WHERE message_id = 'bmsg-0' AND entity_id = 'bent-0';
SELECT count(*) FROM missing_docs WHERE message_id = 'bmsg-0' AND entity_id IN ('bent-0', 'bent-77');
SELECT count(*) FROM extra_docs WHERE message_id = 'bmsg-0' AND entity_id IN ('bent-0', 'bent-77');
-- a document twice (two ids asked for, two documents in the answer)
SELECT count(*) FROM twice_docs WHERE message_id = 'bmsg-0' AND entity_id IN ('bent-0', 'bent-77');
SELECT count(*) FROM garbage_docs WHERE message_id = 'bmsg-0' AND entity_id = 'bent-0';
SELECT count(*) >= 0 AS cleared FROM mock_requests();
SELECT 1 AS usable;

DROP FUNCTION mk_search(text, text);
