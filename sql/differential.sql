-- Randomized differential test: generated queries over the foreign tables
-- are compared with the same queries over local tables that hold the mock's
-- data set, built here from the formulas in test/mock_api/PROTOCOL.md (so
-- the mock, the decoders and the pushdown are all checked against the
-- spec).  Fixed seed; any difference is listed with both query texts.
\set VERBOSITY default
\set SHOW_CONTEXT never
\getenv mock MOCK_URL
\set durl :mock '/diadoc/ok'
\set murl :mock '/mercury/ok'
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

CREATE SERVER df_diadoc FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', api_version 'legacy', url :'durl', box_id 'box-1', page_size '40');
CREATE USER MAPPING FOR CURRENT_USER SERVER df_diadoc
  OPTIONS (client_id 'test-client', token 'test-token');
CREATE FOREIGN TABLE docs_fdw (
  packet_id text, index_key bytea, message_id text, entity_id text,
  last_event_id text, last_event_at timestamptz, document_type text, direction text,
  is_test boolean, custom_document_id text, counteragent_box_id text,
  document_date date, document_number text, version text, is_finished boolean,
  is_deleted boolean, department_id text, sent_at timestamptz, delivered_at timestamptz,
  status text, status_severity text
) SERVER df_diadoc OPTIONS (resource 'docflows_by_packet');

CREATE SERVER df_mercury FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'mercury', url :'murl', page_size '300');
CREATE USER MAPPING FOR CURRENT_USER SERVER df_mercury
  OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE units_fdw (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, full_name text, common_unit_guid uuid, factor numeric,
  begin_date timestamptz, end_date timestamptz
) SERVER df_mercury OPTIONS (resource 'unit_changes');

-- The data sets, from the formulas (Mercury: --units 10000).
CREATE FUNCTION unit_uuid(prefix text, i int) RETURNS uuid IMMUTABLE LANGUAGE sql
  AS $$ SELECT (prefix || lpad(to_hex(i), 12, '0'))::uuid $$;
CREATE TABLE units_local AS
SELECT unit_uuid('00000000-0000-4000-8000-', i) AS uuid,
       unit_uuid('00000000-0000-4000-9000-', i / 3) AS guid,
       (i % 3 = 2 OR i = 9999) AS active,
       (i % 3 = 2 OR i = 9999) AS last,
       CASE WHEN i % 3 = 0 THEN 'CREATED' ELSE 'UPDATED' END AS status,
       t0 + (3 * (i / 3)) * interval '10 min' AS create_date,
       t0 + i * interval '10 min' AS update_date,
       CASE WHEN i % 3 > 0 THEN unit_uuid('00000000-0000-4000-8000-', i - 1) END AS previous,
       CASE WHEN i % 3 < 2 AND i + 1 < 10000 THEN unit_uuid('00000000-0000-4000-8000-', i + 1) END AS next,
       'unit ' || i AS name,
       'Единица измерения ' || i AS full_name,
       CASE WHEN i % 5 <> 4 THEN unit_uuid('00000000-0000-4000-a000-', i % 7) END AS common_unit_guid,
       ('1' || repeat('0', i % 25))::numeric AS factor
FROM generate_series(0, 9999) i, (SELECT '2024-01-01 00:00:00+03'::timestamptz AS t0) c;

CREATE TABLE docs_local AS
SELECT 'p' || n AS packet_id,
       int8send(i + 1) AS index_key,
       'msg-p' || n || '-' || (i / 3) AS message_id,
       'ent-p' || n || '-' || i AS entity_id,
       'evt-p' || n || '-' || i AS last_event_id,
       t0 + i * interval '1 min' AS last_event_at,
       (ARRAY['Nonformalized', 'Invoice', 'Torg12', 'XmlTorg12', 'ReconciliationAct', '999'])[1 + i % 6] AS document_type,
       (ARRAY['UnknownDocumentDirection', 'Inbound', 'Outbound', 'Internal'])[1 + i % 4] AS direction,
       (i % 5 = 0) AS is_test,
       CASE WHEN i % 4 <> 3 THEN 'custom-' || i END AS custom_document_id,
       'box-cp-' || (i % 10) AS counteragent_box_id,
       CASE WHEN i % 13 <> 12 THEN date '2024-01-01' + i END AS document_date,
       'N-' || i AS document_number,
       'v' || (1 + i % 3) AS version,
       (i % 2 = 0) AS is_finished,
       (i % 11 = 10) AS is_deleted,
       '00000000-0000-0000-0000-000000000000' AS department_id,
       t0 + i * interval '1 min' - interval '1 hour' AS sent_at,
       CASE WHEN i % 7 <> 6 THEN t0 + i * interval '1 min' - interval '30 min' END AS delivered_at,
       'Статус ' || i AS status,
       (ARRAY['UnknownDocflowStatusSeverity', 'Info', 'Success', 'Warning', 'Error'])[1 + i % 5] AS status_severity
FROM generate_series(0, 130) n, generate_series(0, 129) i,
     (SELECT '2024-01-01 00:00:00+00'::timestamptz AS t0) c
WHERE i < n;

CREATE TABLE df_wanted (uuid uuid, tag int);
INSERT INTO df_wanted
SELECT unit_uuid('00000000-0000-4000-8000-', (g * 7919) % 10000), g FROM generate_series(1, 60) g;
CREATE TABLE df_packets (packet_id text PRIMARY KEY, tag int);
INSERT INTO df_packets SELECT 'p' || ((g * 37) % 131), g FROM generate_series(1, 25) g
  ON CONFLICT DO NOTHING;
INSERT INTO df_packets VALUES ('no-such-packet', 0);
ANALYZE units_local, docs_local, df_wanted, df_packets;

-- Generators.
CREATE FUNCTION pick(VARIADIC a text[]) RETURNS text LANGUAGE sql VOLATILE
  AS $$ SELECT a[1 + floor(random() * array_length(a, 1))::int] $$;
CREATE FUNCTION chance(p float8) RETURNS boolean LANGUAGE sql VOLATILE
  AS $$ SELECT random() < p $$;

-- A timestamp literal near the data: on a record, or between two.
CREATE FUNCTION rnd_ts(lo int, hi int) RETURNS timestamptz LANGUAGE sql VOLATILE AS $$
  SELECT '2024-01-01 00:00:00+03'::timestamptz
         + (lo + floor(random() * (hi - lo))::int) * interval '10 min'
         + (CASE WHEN random() < 0.3 THEN interval '5 min' ELSE interval '0' END)
$$;

-- One Mercury query pair: (fdw, local).
CREATE FUNCTION gen_mercury() RETURNS text[] LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  lo timestamptz := rnd_ts(-50, 10050);
  hi timestamptz := lo + floor(random() * 1500)::int * interval '10 min'
                    + (CASE WHEN random() < 0.2 THEN interval '5 min' ELSE interval '0' END);
  fw text[] := '{}';
  lw text[] := '{}';
  k text;
  cond text;
  sel text;
  tail text := '';
  ltail text := '';
  q text;
  lq text;
BEGIN
  IF chance(0.05) THEN
    hi := lo - interval '1 hour';      -- contradictory on purpose
  END IF;
  k := pick('begin', 'ge', 'gt', 'eq');
  IF k = 'begin' THEN
    fw := fw || format('begin_date = %L', lo); lw := lw || format('update_date >= %L', lo);
  ELSIF k = 'ge' THEN
    fw := fw || format('update_date >= %L', lo); lw := lw || format('update_date >= %L', lo);
  ELSIF k = 'gt' THEN
    fw := fw || format('update_date > %L', lo); lw := lw || format('update_date > %L', lo);
  ELSE
    fw := fw || format('update_date = %L', lo); lw := lw || format('update_date = %L', lo);
  END IF;
  k := pick('end', 'lt', 'le', 'between', 'none', 'end+lt');
  IF k = 'end' THEN
    fw := fw || format('end_date = %L', hi); lw := lw || format('update_date < %L', hi);
  ELSIF k = 'lt' THEN
    fw := fw || format('update_date < %L', hi); lw := lw || format('update_date < %L', hi);
  ELSIF k = 'le' THEN
    fw := fw || format('update_date <= %L', hi); lw := lw || format('update_date <= %L', hi);
  ELSIF k = 'between' THEN
    cond := format('update_date BETWEEN %L AND %L', lo + interval '10 min', hi);
    fw := fw || cond; lw := lw || cond;
  ELSIF k = 'end+lt' THEN
    fw := fw || format('end_date = %L', hi) || format('update_date < %L', hi - interval '1 day');
    lw := lw || format('update_date < %L', hi) || format('update_date < %L', hi - interval '1 day');
  END IF;
  -- conditions evaluated locally
  FOR n IN 1 .. floor(random() * 3)::int LOOP
    cond := pick('active', 'NOT last', 'name LIKE ''%7''', 'factor > 1000000',
                 'status = ''CREATED''', 'common_unit_guid IS NULL', 'previous IS NOT NULL',
                 'full_name LIKE ''%1%''', 'update_date::time = ''00:00''',
                 'next = unit_uuid(''00000000-0000-4000-8000-'', 3001)');
    fw := fw || cond; lw := lw || cond;
  END LOOP;

  k := pick('rows', 'rows', 'agg', 'group', 'limit', 'limit', 'join', 'semi');
  IF k = 'rows' THEN
    sel := pick('uuid, name, factor, update_date', 'guid, active, last, status, create_date, previous, next',
                'full_name, common_unit_guid', '*');
    IF sel = '*' THEN
      sel := 'uuid, guid, active, last, status, create_date, update_date, previous, next, name, full_name, common_unit_guid, factor';
    END IF;
    q := format('SELECT %s FROM units_fdw WHERE %s', sel, array_to_string(fw, ' AND '));
    lq := format('SELECT %s FROM units_local WHERE %s', sel, array_to_string(lw, ' AND '));
  ELSIF k = 'agg' THEN
    sel := 'count(*), sum(factor), min(update_date), max(name), count(DISTINCT guid)';
    q := format('SELECT %s FROM units_fdw WHERE %s', sel, array_to_string(fw, ' AND '));
    lq := format('SELECT %s FROM units_local WHERE %s', sel, array_to_string(lw, ' AND '));
  ELSIF k = 'group' THEN
    q := format('SELECT status, active, count(*), max(factor) FROM units_fdw WHERE %s GROUP BY 1, 2',
                array_to_string(fw, ' AND '));
    lq := format('SELECT status, active, count(*), max(factor) FROM units_local WHERE %s GROUP BY 1, 2',
                 array_to_string(lw, ' AND '));
  ELSIF k = 'limit' THEN
    -- rows come in offset (update_date) order; LIMIT is pushed when nothing stays local
    tail := format(' LIMIT %s', 1 + floor(random() * 700)::int);
    IF chance(0.5) THEN
      tail := tail || format(' OFFSET %s', floor(random() * 900)::int);
    END IF;
    q := format('SELECT uuid, name FROM units_fdw WHERE %s%s', array_to_string(fw, ' AND '), tail);
    lq := format('SELECT uuid, name FROM units_local WHERE %s ORDER BY update_date%s',
                 array_to_string(lw, ' AND '), tail);
  ELSIF k = 'join' THEN
    q := format('SELECT w.tag, m.name, m.factor FROM df_wanted w JOIN units_fdw m ON m.uuid = w.uuid WHERE %s',
                array_to_string(fw, ' AND '));
    lq := format('SELECT w.tag, m.name, m.factor FROM df_wanted w JOIN units_local m ON m.uuid = w.uuid WHERE %s',
                 array_to_string(lw, ' AND '));
  ELSE
    q := format('SELECT tag FROM df_wanted w WHERE EXISTS (SELECT 1 FROM units_fdw m WHERE m.uuid = w.uuid AND %s)',
                array_to_string(fw, ' AND '));
    lq := format('SELECT tag FROM df_wanted w WHERE EXISTS (SELECT 1 FROM units_local m WHERE m.uuid = w.uuid AND %s)',
                 array_to_string(lw, ' AND '));
  END IF;
  RETURN ARRAY[q, lq, k];
END $$;

-- One Diadoc query pair.
CREATE FUNCTION gen_diadoc() RETURNS text[] LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  packets text[] := '{}';
  pw text;
  conds text[] := '{}';
  extra text := '';
  k text;
  sel text;
  tail text;
  q text;
  lq text;
  one text;
BEGIN
  FOR n IN 1 .. 1 + floor(random() * 4)::int LOOP
    packets := packets || pick('p' || floor(random() * 131)::int, 'p' || floor(random() * 131)::int,
                               'p' || floor(random() * 131)::int, 'no-such-packet');
  END LOOP;
  IF chance(0.3) THEN
    packets := packets || packets[1];     -- a duplicate
  END IF;
  one := packets[1];
  k := pick('eq', 'in', 'any', 'in2');
  IF k = 'eq' THEN
    pw := format('packet_id = %L', one);
  ELSIF k = 'in' THEN
    pw := format('packet_id IN (%s)', (SELECT string_agg(quote_literal(p), ', ') FROM unnest(packets) p));
  ELSIF k = 'any' THEN
    pw := format('packet_id = ANY (%L::text[])', packets);
  ELSE
    pw := format('packet_id IN (%s) AND packet_id <> %L',
                 (SELECT string_agg(quote_literal(p), ', ') FROM unnest(packets) p), one);
  END IF;
  FOR n IN 1 .. floor(random() * 3)::int LOOP
    conds := conds || pick('is_test', 'document_type = ''Invoice''', 'direction <> ''Inbound''',
                 'document_date > ''2024-02-01''', 'document_date IS NULL', 'delivered_at IS NULL',
                 'status LIKE ''%1''', 'version = ''v2''', 'is_deleted', 'custom_document_id IS NULL',
                 'index_key > ''\x0000000000000020''::bytea', 'last_event_at < ''2024-01-01 01:00+00''');
  END LOOP;
  IF cardinality(conds) > 0 THEN
    extra := ' AND ' || array_to_string(conds, ' AND ');
  END IF;

  k := pick('rows', 'rows', 'agg', 'group', 'limit', 'join', 'semi');
  IF k = 'rows' THEN
    sel := pick('packet_id, entity_id, document_type, direction, is_test',
                'message_id, last_event_id, last_event_at, document_date, document_number, version',
                'is_finished, is_deleted, department_id, sent_at, delivered_at, status, status_severity',
                'index_key, custom_document_id, counteragent_box_id');
    q := format('SELECT %s FROM docs_fdw WHERE %s%s', sel, pw, extra);
  ELSIF k = 'agg' THEN
    sel := 'count(*), count(DISTINCT message_id), min(document_date), max(last_event_at), count(delivered_at)';
    q := format('SELECT %s FROM docs_fdw WHERE %s%s', sel, pw, extra);
  ELSIF k = 'group' THEN
    q := format('SELECT packet_id, document_type, count(*) FROM docs_fdw WHERE %s%s GROUP BY 1, 2', pw, extra);
  ELSIF k = 'limit' THEN
    -- one packet: rows come in IndexKey order, compared with ORDER BY index_key
    tail := format(' LIMIT %s', 1 + floor(random() * 60)::int);
    IF chance(0.5) THEN
      tail := tail || format(' OFFSET %s', floor(random() * 100)::int);
    END IF;
    q := format('SELECT entity_id FROM docs_fdw WHERE packet_id = %L%s%s', one, extra, tail);
    lq := format('SELECT entity_id FROM docs_local WHERE packet_id = %L%s ORDER BY index_key%s',
                 one, extra, tail);
  ELSIF k = 'join' THEN
    q := format('SELECT p.tag, d.entity_id, d.document_type FROM df_packets p JOIN docs_fdw d ON d.packet_id = p.packet_id WHERE p.tag %% %s = 0%s',
                1 + floor(random() * 4)::int, extra);
  ELSE
    q := format('SELECT p.packet_id FROM df_packets p WHERE EXISTS (SELECT 1 FROM docs_fdw d WHERE d.packet_id = p.packet_id%s)',
                extra);
  END IF;
  IF lq IS NULL THEN
    lq := replace(q, 'docs_fdw', 'docs_local');
  END IF;
  RETURN ARRAY[q, lq, k];
END $$;

CREATE TABLE diff_results (n int, api text, shape text, q text, lq text, nrows bigint, differences bigint, error text);

CREATE FUNCTION run_differential(nqueries int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  pair text[];
  d bigint;
  r bigint;
  api text;
BEGIN
  PERFORM setseed(0.4711);
  FOR n IN 1 .. nqueries LOOP
    IF n % 2 = 0 THEN
      api := 'mercury'; pair := gen_mercury();
    ELSE
      api := 'diadoc'; pair := gen_diadoc();
    END IF;
    BEGIN
      EXECUTE format('SELECT count(*) FROM (%s) x', pair[2]) INTO r;
      EXECUTE format('SELECT count(*) FROM (((%s) EXCEPT ALL (%s)) UNION ALL ((%s) EXCEPT ALL (%s))) x',
                     pair[1], pair[2], pair[2], pair[1]) INTO d;
      INSERT INTO diff_results VALUES (n, api, pair[3], pair[1], pair[2], r, d, NULL);
    EXCEPTION WHEN OTHERS THEN
      INSERT INTO diff_results VALUES (n, api, pair[3], pair[1], pair[2], r, -1, SQLSTATE || ': ' || SQLERRM);
    END;
  END LOOP;
END $$;

SELECT run_differential(400);

-- what was covered
SELECT api, shape, count(*) AS queries FROM diff_results GROUP BY 1, 2 ORDER BY 1, 2;
SELECT count(*) AS queries,
       count(*) FILTER (WHERE differences <> 0) AS with_differences
FROM diff_results;
-- any difference or error, with the queries that show it
SELECT n, differences, error, q, lq FROM diff_results WHERE differences <> 0 ORDER BY n;
-- the comparisons were not trivial: most queries return rows
SELECT api, count(*) FILTER (WHERE nrows > 0) AS queries_with_rows, sum(nrows) AS rows_compared
FROM diff_results GROUP BY 1 ORDER BY 1;
