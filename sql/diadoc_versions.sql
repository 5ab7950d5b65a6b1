-- diadoc_docflows in every API version (server option api_version):
-- the path each one sends, the schema each one decodes, every column of
-- every version against the mock's generated data and against fixtures
-- encoded by protoc (test/fixtures/diadoc_*.txt), bad input.
\set VERBOSITY default
\set SHOW_CONTEXT never
\getenv mock MOCK_URL
\set durl :mock '/diadoc/ok'
\set fixurl :mock '/diadoc/fixture'
\set baddateurl :mock '/diadoc/bad-date'
\set badutf8url :mock '/diadoc/bad-utf8'
\set badrangeurl :mock '/diadoc/bad-range'
\set garbageurl :mock '/diadoc/garbage'
\set truncurl :mock '/diadoc/truncated'
\set missingurl :mock '/diadoc/missing-required'
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

\i sql/include/mock_log.sql

-- one server, user mapping and table per version; "dv5d" has no option
CREATE FUNCTION mk_version(name text, url text, version text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE SERVER %I FOREIGN DATA WRAPPER paged_fdw OPTIONS (api %L, url %L, box_id %L%s)',
                 name || '_srv', 'diadoc', url, 'box-1',
                 CASE WHEN version IS NULL THEN '' ELSE format(', api_version %L', version) END);
  EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER %I OPTIONS (client_id %L, token %L)',
                 name || '_srv', 'test-client', 'test-token');
  EXECUTE format($t$CREATE FOREIGN TABLE %I (
    box_id text, packet_id text, index_key bytea, message_id text, entity_id text,
    last_event_id text, last_event_at timestamptz, document_type text, direction text,
    is_test boolean, custom_document_id text, counteragent_box_id text,
    document_date date, document_number text, version text, is_finished boolean,
    is_deleted boolean, department_id text, sent_at timestamptz, delivered_at timestamptz,
    status text, status_severity text, document jsonb,
    message_type text, type_function text, file_name text, metadata jsonb, is_read boolean,
    sender_box_id text, recipient_box_id text, secondary_status text
  ) SERVER %I OPTIONS (resource 'docflows_by_packet')$t$, name, name || '_srv');
END $$;
SELECT mk_version('dvl', :'durl', 'legacy'), mk_version('dv2', :'durl', '2'),
       mk_version('dv3', :'durl', '3'), mk_version('dv4', :'durl', '4'),
       mk_version('dv5', :'durl', '5'), mk_version('dv5d', :'durl', NULL);
SELECT mk_version('fxl', :'fixurl', 'legacy'), mk_version('fx2', :'fixurl', '2'),
       mk_version('fx3', :'fixurl', '3'), mk_version('fx4', :'fixurl', '4'),
       mk_version('fx5', :'fixurl', NULL);

-- the option: values, servers it belongs to
CREATE SERVER bad_version FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'http://h', api_version '6');
CREATE SERVER bad_version FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'http://h', api_version 'V5');
CREATE SERVER bad_version FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'http://h', api_version '');
CREATE SERVER bad_version FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url 'http://h', api_version '5');
CREATE FOREIGN TABLE bad_version_t (box_id text) SERVER dv5_srv OPTIONS (resource 'docflows_by_packet', api_version '5');
CREATE SERVER mercury_version FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url 'http://h');
ALTER SERVER mercury_version OPTIONS (ADD api_version '3');
DROP SERVER mercury_version;

-- EXPLAIN names the version, the path and the schema
EXPLAIN (COSTS OFF) SELECT entity_id FROM dvl WHERE packet_id = 'p1';
EXPLAIN (COSTS OFF) SELECT entity_id FROM dv2 WHERE packet_id = 'p1';
EXPLAIN (COSTS OFF) SELECT entity_id FROM dv3 WHERE packet_id = 'p1';
EXPLAIN (COSTS OFF) SELECT entity_id FROM dv4 WHERE packet_id = 'p1';
EXPLAIN (COSTS OFF) SELECT entity_id FROM dv5d WHERE packet_id = 'p1';

-- each version sends its own path (the mock logs it), the default is V5
SELECT count(*) FROM dvl WHERE packet_id = 'p3';
SELECT count(*) FROM dv2 WHERE packet_id = 'p3';
SELECT count(*) FROM dv3 WHERE packet_id = 'p3';
SELECT count(*) FROM dv4 WHERE packet_id = 'p3';
SELECT count(*) FROM dv5 WHERE packet_id = 'p3';
SELECT count(*) FROM dv5d WHERE packet_id = 'p3';
SELECT * FROM mock_requests();
-- ALTER SERVER switches the path of the next scan
ALTER SERVER dv5d_srv OPTIONS (ADD api_version '4');
SELECT count(*) FROM dv5d WHERE packet_id = 'p3';
ALTER SERVER dv5d_srv OPTIONS (DROP api_version);
SELECT count(*) FROM dv5d WHERE packet_id = 'p3';
SELECT * FROM mock_requests();

-- ---------------------------------------------------------------------
-- Generated data (PROTOCOL.md): every column of every version, row by
-- row, against the values the data set defines for document i.  Each
-- line counts the rows of a 200-document packet (two pages) where the
-- column differs from its definition; every count must be 0.
-- ---------------------------------------------------------------------
CREATE TEMP TABLE gen AS
SELECT i,
       'msg-p200-' || i / 3 AS message_id, 'ent-p200-' || i AS entity_id,
       'evt-p200-' || i AS last_event_id,
       timestamptz '2024-01-01 00:00:00+00' + i * interval '1 minute' AS ts,
       (ARRAY['UnknownDocumentDirection', 'Inbound', 'Outbound', 'Internal'])[i % 4 + 1] AS direction,
       CASE WHEN i % 4 = 3 THEN NULL ELSE 'custom-' || i END AS custom_document_id,
       i % 11 = 10 AS is_deleted, 'N-' || i AS document_number
FROM generate_series(0, 199) i;

-- legacy and V2: the seed's mapping; the new columns are NULL
CREATE TEMP VIEW gen_check_legacy AS
SELECT col, count(*) FILTER (WHERE bad) AS mismatches FROM (
  SELECT g.i, c.col, c.bad
  FROM gen g JOIN LATERAL (
    SELECT row_number() OVER (ORDER BY index_key) - 1 AS i, * FROM dvl WHERE packet_id = 'p200') d ON d.i = g.i,
  LATERAL (VALUES
    ('message_id', d.message_id IS DISTINCT FROM g.message_id),
    ('entity_id', d.entity_id IS DISTINCT FROM g.entity_id),
    ('last_event_id', d.last_event_id IS DISTINCT FROM g.last_event_id),
    ('last_event_at', d.last_event_at IS DISTINCT FROM g.ts),
    ('document_type', d.document_type IS DISTINCT FROM
       (ARRAY['Nonformalized', 'Invoice', 'Torg12', 'XmlTorg12', 'ReconciliationAct', '999'])[g.i % 6 + 1]),
    ('direction', d.direction IS DISTINCT FROM g.direction),
    ('is_test', d.is_test IS DISTINCT FROM (g.i % 5 = 0)),
    ('custom_document_id', d.custom_document_id IS DISTINCT FROM g.custom_document_id),
    ('counteragent_box_id', d.counteragent_box_id IS DISTINCT FROM 'box-cp-' || g.i % 10),
    ('document_date', d.document_date IS DISTINCT FROM
       CASE WHEN g.i % 13 = 12 THEN NULL ELSE date '2024-01-01' + g.i END),
    ('document_number', d.document_number IS DISTINCT FROM g.document_number),
    ('version', d.version IS DISTINCT FROM 'v' || 1 + g.i % 3),
    ('is_finished', d.is_finished IS DISTINCT FROM (g.i % 2 = 0)),
    ('is_deleted', d.is_deleted IS DISTINCT FROM g.is_deleted),
    ('department_id', d.department_id IS DISTINCT FROM '00000000-0000-0000-0000-000000000000'),
    ('sent_at', d.sent_at IS DISTINCT FROM g.ts - interval '1 hour'),
    ('delivered_at', d.delivered_at IS DISTINCT FROM
       CASE WHEN g.i % 7 = 6 THEN NULL ELSE g.ts - interval '30 minutes' END),
    ('status', d.status IS DISTINCT FROM 'Статус ' || g.i),
    ('status_severity', d.status_severity IS DISTINCT FROM
       (ARRAY['UnknownDocflowStatusSeverity', 'Info', 'Success', 'Warning', 'Error'])[g.i % 5 + 1]),
    ('secondary_status', d.secondary_status IS NOT NULL),
    ('document', d.document->'DocumentId'->>'EntityId' IS DISTINCT FROM g.entity_id
       OR d.document->'Docflow'->>'PacketId' IS DISTINCT FROM 'p200'
       OR d.document->'DocumentInfo' ? 'DocumentType' IS DISTINCT FROM true),
    ('new columns NULL', num_nonnulls(d.message_type, d.type_function, d.file_name, d.metadata,
       d.is_read, d.sender_box_id, d.recipient_box_id) <> 0)
  ) c(col, bad)) x
GROUP BY col;
SELECT * FROM gen_check_legacy ORDER BY col;
-- V2 gives exactly the rows of legacy
SELECT count(*) AS differing FROM (
  (SELECT * FROM dvl WHERE packet_id = 'p200' EXCEPT ALL SELECT * FROM dv2 WHERE packet_id = 'p200')
  UNION ALL
  (SELECT * FROM dv2 WHERE packet_id = 'p200' EXCEPT ALL SELECT * FROM dvl WHERE packet_id = 'p200')) x;

-- V3, V4 and V5 over the same generated documents
CREATE TEMP VIEW gen_v3plus AS
SELECT 3 AS v, * FROM dv3 WHERE packet_id = 'p200'
UNION ALL SELECT 4, * FROM dv4 WHERE packet_id = 'p200'
UNION ALL SELECT 5, * FROM dv5 WHERE packet_id = 'p200';
CREATE TEMP VIEW gen_check_v3plus AS
SELECT v, col, count(*) FILTER (WHERE bad) AS mismatches, count(*) AS rows FROM (
  SELECT d.v, c.col, c.bad
  FROM (SELECT row_number() OVER (PARTITION BY v ORDER BY index_key) - 1 AS i, * FROM gen_v3plus) d
  JOIN gen g ON g.i = d.i,
  LATERAL (SELECT
      CASE g.i % 4 WHEN 1 THEN 'box-cp-' || g.i % 10 WHEN 0 THEN 'box-cp-' || g.i % 10 ELSE 'box-1' END AS sender,
      CASE g.i % 4 WHEN 1 THEN 'box-1' WHEN 2 THEN 'box-cp-' || g.i % 10 WHEN 3 THEN 'box-1' END AS recipient) p,
  LATERAL (VALUES
    ('index_key', d.index_key IS DISTINCT FROM int8send(g.i + 1)),
    ('box_id, packet_id', (d.box_id, d.packet_id) IS DISTINCT FROM ('box-1', 'p200')),
    ('message_id', d.message_id IS DISTINCT FROM g.message_id),
    ('entity_id', d.entity_id IS DISTINCT FROM g.entity_id),
    ('last_event_id', d.last_event_id IS DISTINCT FROM g.last_event_id),
    ('last_event_at', d.last_event_at IS DISTINCT FROM g.ts),
    ('document_type', d.document_type IS DISTINCT FROM
       (ARRAY['Nonformalized', 'Invoice', 'UniversalTransferDocument', 'XmlTorg12',
              'ReconciliationAct', 'UniversalCorrectionDocument'])[g.i % 6 + 1]),
    ('type_function', d.type_function IS DISTINCT FROM CASE WHEN g.i % 6 = 2 THEN 'СЧФДОП' ELSE 'default' END),
    ('version', d.version IS DISTINCT FROM 'utd_v' || 1 + g.i % 3),
    ('message_type', d.message_type IS DISTINCT FROM CASE WHEN g.i % 5 = 4 THEN 'Draft' ELSE 'Letter' END),
    ('direction', d.direction IS DISTINCT FROM g.direction),
    ('is_test', d.is_test IS DISTINCT FROM CASE WHEN g.i % 5 = 4 THEN NULL ELSE g.i % 5 = 0 END),
    ('custom_document_id', d.custom_document_id IS DISTINCT FROM g.custom_document_id),
    ('department_id', d.department_id IS DISTINCT FROM '00000000-0000-0000-0000-000000000000'),
    ('is_deleted', d.is_deleted IS DISTINCT FROM g.is_deleted),
    ('is_read', d.is_read IS DISTINCT FROM (g.i % 3 = 0)),
    ('sender_box_id', d.sender_box_id IS DISTINCT FROM p.sender),
    ('recipient_box_id', d.recipient_box_id IS DISTINCT FROM p.recipient),
    -- V3/V4 by direction; V5 the first Sender/Recipient that is not box-1
    ('counteragent_box_id', d.counteragent_box_id IS DISTINCT FROM
       CASE WHEN d.v < 5 THEN CASE g.i % 4 WHEN 1 THEN p.sender WHEN 2 THEN p.recipient END
            ELSE CASE g.i % 4 WHEN 3 THEN NULL ELSE 'box-cp-' || g.i % 10 END END),
    ('document_date', d.document_date IS DISTINCT FROM
       CASE WHEN g.i % 13 = 12 THEN NULL ELSE date '2024-01-01' + g.i END),
    ('document_number', d.document_number IS DISTINCT FROM g.document_number),
    ('file_name', d.file_name IS DISTINCT FROM CASE WHEN g.i % 3 = 2 THEN NULL ELSE 'doc-' || g.i || '.xml' END),
    ('metadata', d.metadata IS DISTINCT FROM
       jsonb_build_object('DocumentNumber', g.document_number,
                          'DocumentDate', CASE WHEN g.i % 13 = 12 THEN '31.02.2024'
                                               WHEN g.i % 2 = 1 THEN to_char(date '2024-01-01' + g.i, 'YYYY-MM-DD')
                                               ELSE to_char(date '2024-01-01' + g.i, 'DD.MM.YYYY') END)
       || CASE WHEN g.i % 3 = 2 THEN '{}' ELSE jsonb_build_object('FileName', 'doc-' || g.i || '.xml') END),
    ('is_finished', d.is_finished IS NOT NULL),
    -- V5: T0's deliveries; the Unknown direction has no recipient, so none
    ('sent_at', d.sent_at IS DISTINCT FROM
       CASE WHEN d.v = 5 AND g.i % 4 = 0 THEN NULL ELSE g.ts - interval '1 hour' END),
    ('delivered_at', d.delivered_at IS DISTINCT FROM
       CASE WHEN g.i % 7 = 6 OR (d.v = 5 AND g.i % 4 = 0) THEN NULL ELSE g.ts - interval '30 minutes' END),
    ('status', d.status IS DISTINCT FROM 'Статус ' || g.i),
    ('status_severity', d.status_severity IS DISTINCT FROM
       (ARRAY['Unknown', 'Info', 'Success', 'Warning', 'Error'])[g.i % 5 + 1]),
    ('secondary_status', d.secondary_status IS DISTINCT FROM
       CASE WHEN g.i % 2 = 0 THEN 'Подписан ' || g.i END),
    ('document', d.document->'DocumentId'->>'EntityId' IS DISTINCT FROM g.entity_id
       OR d.document->'LastEvent'->>'EventId' IS DISTINCT FROM g.last_event_id
       OR d.document->'DocumentInfo'->'PacketInfo'->>'PacketId' IS DISTINCT FROM 'p200'
       OR d.document->'DocumentInfo'->>'MessageType' IS DISTINCT FROM d.message_type
       OR jsonb_typeof(d.document->'DocumentInfo'->'Participants') IS DISTINCT FROM 'object'
       OR (d.v = 5) IS DISTINCT FROM (d.document->'Docflow' ? 'Titles')
       OR (d.v < 5) IS DISTINCT FROM (d.document->'Docflow' ? 'SenderTitle'))
  ) c(col, bad)) x
GROUP BY v, col;
SELECT col, string_agg(format('V%s: %s of %s', v, mismatches, rows), ', ' ORDER BY v) AS mismatches
FROM gen_check_v3plus GROUP BY col ORDER BY col;
SELECT count(*) AS requests, count(DISTINCT split_part(line, ' ', 2)) AS paths
FROM mock_requests() line;

-- the rows themselves, for a reader: a small packet in each version
SELECT entity_id, document_type, direction, counteragent_box_id, sender_box_id,
       recipient_box_id, document_date, file_name, sent_at, delivered_at, status_severity,
       secondary_status
FROM dv5 WHERE packet_id = 'p8' ORDER BY index_key;
SELECT entity_id, document_type, direction, counteragent_box_id, sender_box_id,
       recipient_box_id, document_date, file_name, sent_at, delivered_at, status_severity,
       secondary_status
FROM dv3 WHERE packet_id = 'p8' ORDER BY index_key;
\x on
SELECT * FROM dv5 WHERE packet_id = 'p8-x' ORDER BY index_key LIMIT 1 OFFSET 5;
SELECT * FROM dv4 WHERE packet_id = 'p8-x' ORDER BY index_key LIMIT 1 OFFSET 5;
\x off
SELECT * FROM mock_requests();

-- ---------------------------------------------------------------------
-- Fixtures encoded by protoc (test/fixtures/diadoc_v3.txt etc., whose
-- headers list the expected value of every column)
-- ---------------------------------------------------------------------
\x on
SELECT * FROM fx3 WHERE packet_id = 'fixture-v3';
\x off
-- V4 reads the same fields as V3: the same page as V4 gives the same rows
SELECT count(*) AS differing FROM (
  (SELECT index_key, message_id, entity_id, last_event_id, last_event_at, document_type, direction,
          is_test, custom_document_id, counteragent_box_id, document_date, document_number, version,
          is_finished, is_deleted, department_id, sent_at, delivered_at, status, status_severity,
          document, message_type, type_function, file_name, metadata, is_read, sender_box_id,
          recipient_box_id, secondary_status
   FROM fx3 WHERE packet_id = 'fixture-v3'
   EXCEPT ALL
   SELECT index_key, message_id, entity_id, last_event_id, last_event_at, document_type, direction,
          is_test, custom_document_id, counteragent_box_id, document_date, document_number, version,
          is_finished, is_deleted, department_id, sent_at, delivered_at, status, status_severity,
          document, message_type, type_function, file_name, metadata, is_read, sender_box_id,
          recipient_box_id, secondary_status
   FROM fx4 WHERE packet_id = 'fixture-v4')) x;
SELECT count(*) FROM fx4 WHERE packet_id = 'fixture-v4';

\x on
SELECT * FROM fx5 WHERE packet_id = 'fixture-v5';
\x off

-- fields the subset does not declare (TemplateInfo, AuthorSigning,
-- AmendmentRequests, ..., future numbers of every wire type) are skipped
\x on
SELECT * FROM fx5 WHERE packet_id = 'fixture-v5x';
\x off

-- legacy and V2 decode the legacy page alike; the complete DocumentType enum
SELECT count(*) AS differing FROM (
  (SELECT * FROM fxl WHERE packet_id = 'fixture-a' EXCEPT ALL SELECT * FROM fx2 WHERE packet_id = 'fixture-a')) x;
SELECT secondary_status, message_type, metadata, is_read FROM fx2 WHERE packet_id = 'fixture-a' ORDER BY index_key;
SELECT encode(index_key, 'hex') AS k, document_type FROM fxl WHERE packet_id = 'fixture-enum' ORDER BY index_key;
SELECT * FROM mock_requests();

-- ---------------------------------------------------------------------
-- Bad input
-- ---------------------------------------------------------------------
-- V5 is wire-incompatible with V3: a V3 page read as V5 is refused, not
-- misread (DocumentParticipant.IsRoaming, a bool, where V5 has Role)
SELECT count(*) FROM fx5 WHERE packet_id = 'fixture-v3';
SELECT 1 AS still_usable;
-- and a V5 page read as V3 is refused too
SELECT count(*) FROM fx3 WHERE packet_id = 'fixture-v5';
-- a V5 page whose last document has a DocumentDate that is no date:
-- document_date NULL, the raw text stays in metadata
CREATE SERVER dv5_bad_date FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', url :'baddateurl', box_id 'box-1');
CREATE USER MAPPING FOR CURRENT_USER SERVER dv5_bad_date OPTIONS (client_id 'test-client', token 'test-token');
CREATE FOREIGN TABLE dv5_bad_date_t (packet_id text, entity_id text, document_date date, metadata jsonb, index_key bytea)
  SERVER dv5_bad_date OPTIONS (resource 'docflows_by_packet');
SELECT entity_id, document_date, metadata->>'DocumentDate' AS raw
FROM dv5_bad_date_t WHERE packet_id = 'p3' ORDER BY index_key;
-- invalid UTF-8 and impossible ticks in V5: an ERROR naming the column
ALTER SERVER dv5_bad_date OPTIONS (SET url :'badutf8url');
ALTER FOREIGN TABLE dv5_bad_date_t ADD COLUMN status text, ADD COLUMN last_event_at timestamptz;
SELECT entity_id, status FROM dv5_bad_date_t WHERE packet_id = 'p3';
SELECT entity_id FROM dv5_bad_date_t WHERE packet_id = 'p3';
ALTER SERVER dv5_bad_date OPTIONS (SET url :'badrangeurl');
SELECT entity_id, last_event_at FROM dv5_bad_date_t WHERE packet_id = 'p3';
-- a V5 page that is not protobuf at all, or cut short
ALTER SERVER dv5_bad_date OPTIONS (SET url :'garbageurl');
SELECT entity_id FROM dv5_bad_date_t WHERE packet_id = 'p3';
ALTER SERVER dv5_bad_date OPTIONS (SET url :'truncurl');
SELECT entity_id FROM dv5_bad_date_t WHERE packet_id = 'p3';
-- NUL bytes in metadata: a key with one is another key, a date with one
-- no date; the metadata and document_number columns refuse them
SELECT entity_id, document_date FROM fx5 WHERE packet_id = 'fixture-v5nul' ORDER BY index_key;
SELECT entity_id, metadata FROM fx5 WHERE packet_id = 'fixture-v5nul' ORDER BY index_key;
SELECT entity_id, document_number FROM fx5 WHERE packet_id = 'fixture-v5nul' ORDER BY index_key;
-- a document without MessageId and a Timestamp without Ticks: NULL
-- (document is left out: row 1's NUL key would refuse it before the filter)
SELECT entity_id, message_id, last_event_id, last_event_at
FROM fx5 WHERE packet_id = 'fixture-v5nul' AND index_key = '\x03';
-- V5 with login and password: Authenticate, then the V5 path
CREATE SERVER dv5_login FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', url :'durl', box_id 'box-1');
CREATE USER MAPPING FOR CURRENT_USER SERVER dv5_login
  OPTIONS (client_id 'test-client', login 'test-login', password 'test-password');
CREATE FOREIGN TABLE dv5_login_t (packet_id text, entity_id text, sender_box_id text)
  SERVER dv5_login OPTIONS (resource 'docflows_by_packet');
SELECT entity_id, sender_box_id FROM dv5_login_t WHERE packet_id = 'p2';
-- missing IndexKey: a V5 FetchedDocument without it gives NULL (legacy:
-- a required field, the page is refused)
ALTER SERVER dv5_bad_date OPTIONS (SET url :'missingurl');
SELECT entity_id, index_key FROM dv5_bad_date_t WHERE packet_id = 'p3' ORDER BY entity_id;
SELECT 1 AS still_usable;
SELECT * FROM mock_requests();
