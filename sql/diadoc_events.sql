-- diadoc_docflow_events (GetDocflowEvents V5) over the mock's generated box
-- (test/mock_api/PROTOCOL.md, "Generated box"): every column against the
-- box's formulas, the incremental sync recipe of README.md, the filters,
-- order and LIMIT, 403 and bad pages.
\set VERBOSITY default
\set SHOW_CONTEXT never
\getenv mock MOCK_URL
\set evurl :mock '/diadoc/ok'
\set ev60url :mock '/diadoc/box-60'
\set nokeyurl :mock '/diadoc/missing-required'
\set nodocurl :mock '/diadoc/no-document'
\set forbiddenurl :mock '/diadoc/status-403'
\set unsortedurl :mock '/diadoc/unsorted'
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

\i sql/include/mock_log.sql

CREATE SERVER dev FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', url :'evurl', box_id 'box-1', page_size '30');
CREATE USER MAPPING FOR CURRENT_USER SERVER dev
  OPTIONS (client_id 'test-client', token 'test-token');
CREATE FOREIGN TABLE diadoc_docflow_events (
  event_id text, event_at timestamptz, index_key bytea, previous_event_id text,
  message_id text, entity_id text,
  last_event_id text, last_event_at timestamptz, document_type text, direction text,
  is_test boolean, custom_document_id text, counteragent_box_id text,
  document_date date, document_number text, version text, is_finished boolean,
  is_deleted boolean, department_id text, sent_at timestamptz, delivered_at timestamptz,
  status text, status_severity text, document jsonb,
  message_type text, type_function text, file_name text, metadata jsonb, is_read boolean,
  sender_box_id text, recipient_box_id text, secondary_status text
) SERVER dev OPTIONS (resource 'docflow_events');

-- The box's truth, from the formulas of PROTOCOL.md: event k of document
-- d = 7k mod 30, version v = k div 30 (state after the event).
CREATE TEMP TABLE truth AS
SELECT k, 'bevt-' || k AS event_id,
       timestamptz '2025-01-01 00:00:00+00' + k * interval '10 minutes' AS event_at,
       '\xee'::bytea || int8send(k + 1) AS index_key,
       CASE WHEN v > 0 THEN 'bevt-' || (k - 30) END AS previous_event_id,
       'bmsg-' || d / 2 AS message_id, 'bent-' || d AS entity_id,
       (ARRAY['Nonformalized', 'Invoice', 'UniversalTransferDocument', 'XmlTorg12'])[d % 4 + 1] AS document_type,
       (ARRAY['Inbound', 'Outbound', 'Internal'])[d % 3 + 1] AS direction,
       CASE WHEN d % 7 = 6 THEN 'Draft' ELSE 'Letter' END AS message_type,
       CASE WHEN d % 2 = 0 THEN '00000000-0000-0000-0000-000000000000' ELSE 'dep-1' END AS department_id,
       CASE WHEN d % 3 <> 2 THEN 'box-cp-' || d % 5 END AS counteragent_box_id,
       CASE WHEN d % 3 = 0 THEN 'box-cp-' || d % 5 ELSE 'box-1' END AS sender_box_id,
       CASE WHEN d % 3 = 1 THEN 'box-cp-' || d % 5 ELSE 'box-1' END AS recipient_box_id,
       'Статус ' || d || '.' || v AS status,
       (ARRAY['Info', 'Success', 'Success', 'Warning'])[v + 1] AS status_severity,
       'Шаг ' || v AS secondary_status,
       v >= 1 AS is_read, d % 10 = 9 AND v >= 2 AS is_deleted,
       CASE WHEN d % 7 = 6 THEN NULL ELSE false END AS is_test,
       'bcustom-' || d AS custom_document_id, date '2025-01-01' + d AS document_date,
       'B-' || d AS document_number, 'box-' || d || '.xml' AS file_name,
       timestamptz '2025-01-01 00:00:00+00' + (13 * d % 30) * interval '10 minutes' AS sent_at,
       CASE WHEN v >= 1 THEN timestamptz '2025-01-01 00:00:00+00' + (13 * d % 30 + 30) * interval '10 minutes' END AS delivered_at
FROM generate_series(0, 99) k, LATERAL (SELECT 7 * k % 30 AS d, k / 30 AS v) x;

-- ---------------------------------------------------------------------
-- Columns: every column of every event against the truth (0 mismatches
-- per column), the whole feed from its start, three full pages and a
-- short one, then an empty page that ends it.
-- ---------------------------------------------------------------------
CREATE TEMP TABLE got AS SELECT * FROM diadoc_docflow_events WHERE event_at >= '2025-01-01';
SELECT count(*) AS events, count(DISTINCT event_id) AS distinct_events FROM got;
SELECT col, count(*) FILTER (WHERE bad) AS mismatches
FROM truth t LEFT JOIN got g USING (event_id),
LATERAL (VALUES
  ('event_at', g.event_at IS DISTINCT FROM t.event_at),
  ('index_key', g.index_key IS DISTINCT FROM t.index_key),
  ('previous_event_id', g.previous_event_id IS DISTINCT FROM t.previous_event_id),
  ('message_id', g.message_id IS DISTINCT FROM t.message_id),
  ('entity_id', g.entity_id IS DISTINCT FROM t.entity_id),
  ('last_event_id', g.last_event_id IS DISTINCT FROM t.event_id),
  ('last_event_at', g.last_event_at IS DISTINCT FROM t.event_at),
  ('document_type', g.document_type IS DISTINCT FROM t.document_type),
  ('direction', g.direction IS DISTINCT FROM t.direction),
  ('is_test', g.is_test IS DISTINCT FROM t.is_test),
  ('custom_document_id', g.custom_document_id IS DISTINCT FROM t.custom_document_id),
  ('counteragent_box_id', g.counteragent_box_id IS DISTINCT FROM t.counteragent_box_id),
  ('document_date', g.document_date IS DISTINCT FROM t.document_date),
  ('document_number', g.document_number IS DISTINCT FROM t.document_number),
  ('version', g.version IS DISTINCT FROM 'v1'),
  ('is_finished', g.is_finished IS NOT NULL),
  ('is_deleted', g.is_deleted IS DISTINCT FROM t.is_deleted),
  ('department_id', g.department_id IS DISTINCT FROM t.department_id),
  ('sent_at', g.sent_at IS DISTINCT FROM t.sent_at),
  ('delivered_at', g.delivered_at IS DISTINCT FROM t.delivered_at),
  ('status', g.status IS DISTINCT FROM t.status),
  ('status_severity', g.status_severity IS DISTINCT FROM t.status_severity),
  ('document', g.document->'DocumentId'->>'EntityId' IS DISTINCT FROM t.entity_id
     OR g.document->'LastEvent'->>'EventId' IS DISTINCT FROM t.event_id),
  ('message_type', g.message_type IS DISTINCT FROM t.message_type),
  ('type_function', g.type_function IS DISTINCT FROM 'default'),
  ('file_name', g.file_name IS DISTINCT FROM t.file_name),
  ('metadata', g.metadata IS DISTINCT FROM jsonb_build_object('DocumentNumber', t.document_number,
     'DocumentDate', t.document_date::text, 'FileName', t.file_name)),
  ('is_read', g.is_read IS DISTINCT FROM t.is_read),
  ('sender_box_id', g.sender_box_id IS DISTINCT FROM t.sender_box_id),
  ('recipient_box_id', g.recipient_box_id IS DISTINCT FROM t.recipient_box_id),
  ('secondary_status', g.secondary_status IS DISTINCT FROM t.secondary_status)
) c(col, bad)
GROUP BY col ORDER BY col;
-- documents change state from event to event
SELECT entity_id, array_agg(status ORDER BY event_at) AS states,
       array_agg(is_deleted ORDER BY event_at) AS deleted
FROM got WHERE entity_id IN ('bent-0', 'bent-9') GROUP BY entity_id ORDER BY entity_id;
-- pages: Limit = page_size, keyed by the last event's IndexKey, PopulateDocuments
SELECT * FROM mock_requests();

-- only the event's own columns: no PopulateDocuments (message_id and
-- entity_id come from the event's DocumentId)
SELECT event_id, message_id, entity_id FROM diadoc_docflow_events
WHERE event_at >= '2025-01-01 16:30' ORDER BY event_at;
SELECT * FROM mock_requests();

-- ---------------------------------------------------------------------
-- The sync recipe of README.md, twice: the first run sees the box after
-- 60 events, the second the whole box, and asks only for the events from
-- the last one synced on (FromTimestamp in the log).
-- ---------------------------------------------------------------------
CREATE TABLE box_events (
  event_id text PRIMARY KEY, event_at timestamptz NOT NULL,
  message_id text NOT NULL, entity_id text NOT NULL,
  status text, is_deleted boolean, counteragent_box_id text
);
CREATE TABLE box_documents (
  message_id text, entity_id text, PRIMARY KEY (message_id, entity_id),
  last_event_id text, last_event_at timestamptz, status text, is_deleted boolean
);
CREATE FUNCTION sync_box() RETURNS void LANGUAGE sql AS $$
  INSERT INTO box_events AS e
  SELECT event_id, event_at, message_id, entity_id, status, is_deleted, counteragent_box_id
  FROM diadoc_docflow_events
  WHERE event_at >= coalesce((SELECT max(event_at) FROM box_events), '-infinity')
  ON CONFLICT (event_id) DO UPDATE
    SET status = excluded.status, is_deleted = excluded.is_deleted;
  INSERT INTO box_documents AS d
  SELECT DISTINCT ON (message_id, entity_id)
         message_id, entity_id, event_id, event_at, status, is_deleted
  FROM box_events ORDER BY message_id, entity_id, event_at DESC
  ON CONFLICT (message_id, entity_id) DO UPDATE
    SET last_event_id = excluded.last_event_id, last_event_at = excluded.last_event_at,
        status = excluded.status, is_deleted = excluded.is_deleted
    WHERE d.last_event_at <= excluded.last_event_at;
$$;
ALTER SERVER dev OPTIONS (SET url :'ev60url');
SELECT sync_box();
SELECT count(*) AS events, max(event_id::text) FILTER (WHERE event_at = (SELECT max(event_at) FROM box_events)) AS last
FROM box_events;
SELECT count(*) AS documents FROM box_documents;
SELECT * FROM mock_requests();
ALTER SERVER dev OPTIONS (SET url :'evurl');
SELECT sync_box();
-- the second run started at the last synced event (2025-01-01 09:50, event 59)
SELECT * FROM mock_requests();
-- equal to the truth: no event missing, none extra, none different
SELECT count(*) AS events FROM box_events;
(SELECT event_id, event_at, message_id, entity_id, status, is_deleted, counteragent_box_id FROM box_events
 EXCEPT SELECT event_id, event_at, message_id, entity_id, status, is_deleted, counteragent_box_id FROM truth)
UNION ALL
(SELECT event_id, event_at, message_id, entity_id, status, is_deleted, counteragent_box_id FROM truth
 EXCEPT SELECT event_id, event_at, message_id, entity_id, status, is_deleted, counteragent_box_id FROM box_events);
-- every document in the state after its last event
CREATE TEMP VIEW truth_documents AS
SELECT DISTINCT ON (message_id, entity_id) message_id, entity_id, event_id AS last_event_id,
       status, is_deleted
FROM truth ORDER BY message_id, entity_id, k DESC;
(SELECT message_id, entity_id, last_event_id, status, is_deleted FROM box_documents
 EXCEPT SELECT * FROM truth_documents)
UNION ALL
(SELECT * FROM truth_documents
 EXCEPT SELECT message_id, entity_id, last_event_id, status, is_deleted FROM box_documents);
SELECT count(*) AS documents, count(*) FILTER (WHERE is_deleted) AS deleted FROM box_documents;

-- ---------------------------------------------------------------------
-- Bounds on event_at: >= is exact (FromTimestamp inclusive, nothing
-- rechecked), > and upper bounds are rechecked; a lower bound is required.
-- Events 1, 2 are 300 and 600 ns after their minute: event_at cuts them.
-- ---------------------------------------------------------------------
EXPLAIN (COSTS OFF) SELECT event_id FROM diadoc_docflow_events WHERE event_at >= '2025-01-01 00:10';
SELECT event_id FROM diadoc_docflow_events WHERE event_at >= '2025-01-01 00:10' AND event_at <= '2025-01-01 00:20';
SELECT * FROM mock_requests();
EXPLAIN (COSTS OFF) SELECT event_id FROM diadoc_docflow_events WHERE event_at > '2025-01-01 00:10' AND event_at < '2025-01-01 00:40';
SELECT event_id FROM diadoc_docflow_events WHERE event_at > '2025-01-01 00:10' AND event_at < '2025-01-01 00:40';
SELECT * FROM mock_requests();
-- as many rows as the truth for a handful of ranges
SELECT lo, hi,
  (SELECT count(*) FROM diadoc_docflow_events WHERE event_at >= lo AND event_at < hi) AS got,
  (SELECT count(*) FROM truth WHERE event_at >= lo AND event_at < hi) AS want
FROM (VALUES (timestamptz '2025-01-01 00:00', timestamptz '2025-01-01 00:00:00.000001'),
             ('2025-01-01 01:05', '2025-01-01 03:00'), ('2025-01-01 16:00', 'infinity'),
             ('-infinity', '2025-01-01 00:30'), ('2025-01-02', '2025-01-03')) r(lo, hi);
SELECT count(*) FROM diadoc_docflow_events WHERE event_at >= 'infinity';
SELECT count(*) FROM diadoc_docflow_events WHERE event_at >= '2025-01-01 05:00' AND event_at < '2025-01-01 01:00';
SELECT * FROM mock_requests();
-- no lower bound: nothing is sent
SELECT event_id FROM diadoc_docflow_events;
\echo SQLSTATE :SQLSTATE
SELECT event_id FROM diadoc_docflow_events WHERE event_at <= '2025-01-01 00:10';
SELECT event_id FROM diadoc_docflow_events WHERE event_at >= '2025-01-01' OR event_id = 'x';
SELECT * FROM mock_requests();

-- ---------------------------------------------------------------------
-- Filters: sent where the API says exactly that (or more), always
-- rechecked; values the API does not know stay local.
-- ---------------------------------------------------------------------
CREATE FUNCTION filter_check(cond text) RETURNS TABLE (got bigint, want bigint) LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('SELECT count(*) FROM diadoc_docflow_events WHERE event_at >= %L AND %s', '2025-01-01', cond) INTO got;
  EXECUTE format('SELECT count(*) FROM truth WHERE %s', cond) INTO want;
  RETURN NEXT;
END $$;
SELECT cond, f.* FROM (VALUES
  ($$direction = 'Inbound'$$), ($$direction IN ('Outbound', 'Internal')$$),
  ($$direction = 'UnknownDocumentDirection'$$), ($$direction IN ('Inbound', 'inbound')$$),
  ($$document_type = 'Invoice'$$), ($$document_type IN ('XmlTorg12', 'Nonformalized', 'Other')$$),
  ($$message_type = 'Draft'$$), ($$message_type IN ('Letter', 'Unknown')$$),
  ($$department_id = 'dep-1'$$), ($$counteragent_box_id = 'box-cp-3'$$),
  ($$direction = 'Outbound' AND counteragent_box_id = 'box-cp-1' AND message_type = 'Letter'$$),
  ($$direction = 'Inbound' AND direction = 'Outbound'$$), ($$document_type = NULL$$)
) c(cond), LATERAL filter_check(cond) f;
SELECT line FROM mock_requests() line WHERE line NOT LIKE '%after=ee%';
EXPLAIN (VERBOSE, COSTS OFF) SELECT event_id FROM diadoc_docflow_events
WHERE event_at >= '2025-01-01' AND direction = 'Inbound' AND counteragent_box_id = 'box-cp-3';

-- ---------------------------------------------------------------------
-- Order and LIMIT: ORDER BY event_at DESC LIMIT asks for Descending (no
-- Sort, the LIMIT pushed); ascending otherwise.
-- ---------------------------------------------------------------------
EXPLAIN (COSTS OFF) SELECT event_id FROM diadoc_docflow_events WHERE event_at >= '2025-01-01' ORDER BY event_at DESC LIMIT 3;
SELECT event_id, event_at FROM diadoc_docflow_events WHERE event_at >= '2025-01-01' ORDER BY event_at DESC LIMIT 3;
SELECT * FROM mock_requests();
EXPLAIN (COSTS OFF) SELECT event_id FROM diadoc_docflow_events WHERE event_at >= '2025-01-01' ORDER BY event_at LIMIT 3;
SELECT event_id FROM diadoc_docflow_events WHERE event_at >= '2025-01-01 10:00' ORDER BY event_at LIMIT 3;
SELECT * FROM mock_requests();
-- DESC without LIMIT: the feed ascending, sorted locally
EXPLAIN (COSTS OFF) SELECT event_id FROM diadoc_docflow_events WHERE event_at >= '2025-01-01' ORDER BY event_at DESC;
SELECT array_agg(event_id) = (SELECT array_agg(event_id ORDER BY k DESC) FROM truth WHERE k >= 95) AS newest_first
FROM (SELECT event_id FROM diadoc_docflow_events WHERE event_at >= '2025-01-01 15:50' ORDER BY event_at DESC) s;
-- descending over several pages, with a filter, never fewer rows than asked
SELECT array_agg(event_id) = (SELECT array_agg(event_id) FROM (SELECT event_id FROM truth WHERE direction = 'Internal' ORDER BY k DESC LIMIT 25) t) AS same
FROM (SELECT event_id FROM diadoc_docflow_events WHERE event_at >= '2025-01-01' AND direction = 'Internal' ORDER BY event_at DESC LIMIT 25) s;
SELECT * FROM mock_requests();
-- a server that ignores the sort direction: an ERROR, not wrong rows
ALTER SERVER dev OPTIONS (SET url :'unsortedurl');
SELECT event_id FROM diadoc_docflow_events WHERE event_at >= '2025-01-01' ORDER BY event_at DESC LIMIT 2;
\echo SQLSTATE :SQLSTATE
-- without ORDER BY the same answers are fine
SELECT count(*) FROM diadoc_docflow_events WHERE event_at >= '2025-01-01';
ALTER SERVER dev OPTIONS (SET url :'evurl');

-- EXPLAIN ANALYZE shows the TotalCount of the last page (it grows as the
-- client pages on: the mock counts the events before the page in)
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT event_id FROM diadoc_docflow_events WHERE event_at >= '2025-01-01 08:00';
SELECT * FROM mock_requests();

-- ---------------------------------------------------------------------
-- 403, bad pages; the backend stays usable after each
-- ---------------------------------------------------------------------
ALTER SERVER dev OPTIONS (SET url :'forbiddenurl');
SELECT event_id FROM diadoc_docflow_events WHERE event_at >= '2025-01-01';
\echo SQLSTATE :SQLSTATE
ALTER SERVER dev OPTIONS (SET url :'nokeyurl');
SELECT count(*) FROM diadoc_docflow_events WHERE event_at >= '2025-01-01';
\echo SQLSTATE :SQLSTATE
-- even on a short page: only an empty page ends the feed
SELECT count(*) FROM diadoc_docflow_events WHERE event_at >= '2025-01-01 16:10';
ALTER SERVER dev OPTIONS (SET url :'nodocurl');
-- events of documents 3, 13, 23 come without Document: their document
-- columns are NULL, message_id and entity_id come from the event
SELECT count(*) AS events, count(status) AS with_document,
       count(*) FILTER (WHERE status IS NULL AND entity_id IN ('bent-3', 'bent-13', 'bent-23')) AS without
FROM diadoc_docflow_events WHERE event_at >= '2025-01-01';
ALTER SERVER dev OPTIONS (SET url :'evurl');
SELECT count(*) AS usable FROM diadoc_docflow_events WHERE event_at >= '2025-01-01 16:00';
-- the feed is V5 whatever api_version says; the box comes from box_id
ALTER SERVER dev OPTIONS (ADD api_version 'legacy');
SELECT count(*) >= 0 AS cleared FROM mock_requests();
SELECT count(*) FROM diadoc_docflow_events WHERE event_at >= '2025-01-01 16:00';
SELECT split_part(line, ' ', 2) AS path FROM mock_requests() line;
ALTER SERVER dev OPTIONS (DROP box_id);
SELECT count(*) FROM diadoc_docflow_events WHERE event_at >= '2025-01-01 16:00';
\echo SQLSTATE :SQLSTATE
ALTER FOREIGN TABLE diadoc_docflow_events OPTIONS (ADD box_id 'box-2');
SELECT count(*) FROM diadoc_docflow_events WHERE event_at >= '2025-01-01 16:00';
SELECT split_part(line, ' ', 3) AS box FROM mock_requests() line;
SELECT count(*) >= 0 AS cleared FROM mock_requests();

DROP TABLE box_events, box_documents;
DROP FUNCTION sync_box(), filter_check(text);
DROP SERVER dev CASCADE;
