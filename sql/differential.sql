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

-- Issue 10: the classes of conditions that are written otherwise but are the
-- same as a pushed one, each generated: IN lists, = ANY and ORs of box and
-- packet values (with NULLs and duplicates), IS NOT DISTINCT FROM, name
-- values; date/timestamp/timestamptz bounds of mixed types and operators
-- (BETWEEN SYMMETRIC, ORs of bounds) in several time zones, on columns
-- declared timestamptz or date; partitioned tables with random bounds.
CREATE FOREIGN TABLE docs_fdw_b (box_id text, packet_id text, entity_id text, document_type text)
  SERVER df_diadoc OPTIONS (resource 'docflows_by_packet');
CREATE VIEW docs_local_b AS
  SELECT b.box_id, d.packet_id, d.entity_id, d.document_type
  FROM docs_local d, (VALUES ('box-1'), ('box-2')) b(box_id);
CREATE FOREIGN TABLE units_fdw_d (uuid uuid, name text, update_date date)
  SERVER df_mercury OPTIONS (resource 'unit_changes');
CREATE VIEW units_local_d AS SELECT uuid, name, update_date::date AS update_date FROM units_local;

-- A condition "col is one of vals" in one of its many spellings.
CREATE FUNCTION gen_one_of(col text, vals text[]) RETURNS text LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  k text := pick('eq', 'in', 'any', 'or', 'or-in', 'notdistinct', 'name', 'in-name');
  lits text[];
BEGIN
  SELECT array_agg(coalesce(quote_literal(v), 'NULL')) INTO lits FROM unnest(vals) v;
  IF k = 'eq' THEN
    RETURN format('%s = %s', col, lits[1]);
  ELSIF k = 'in' THEN
    RETURN format('%s IN (%s)', col, array_to_string(lits, ', '));
  ELSIF k = 'any' THEN
    RETURN format('%s = ANY (%L::text[])', col, vals);
  ELSIF k = 'or' THEN
    RETURN '(' || (SELECT string_agg(format('%s = %s', col, l), ' OR ') FROM unnest(lits) l) || ')';
  ELSIF k = 'or-in' THEN
    RETURN format('(%s = %s OR %s IN (%s))', col, lits[1], col, array_to_string(lits, ', '));
  ELSIF k = 'notdistinct' THEN
    RETURN format('%s IS NOT DISTINCT FROM %s', col, lits[1]);
  ELSIF k = 'name' THEN
    RETURN format('%s = %s::name', col, lits[1]);
  ELSE
    RETURN format('%s IN (%s)', col, (SELECT string_agg(l || '::name', ', ') FROM unnest(lits) l));
  END IF;
END $$;

CREATE FUNCTION rnd_packets(n int) RETURNS text[] LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  r text[] := '{}';
BEGIN
  FOR i IN 1 .. n LOOP
    r := r || CASE WHEN chance(0.1) THEN NULL WHEN chance(0.1) THEN 'no-such-packet'
                   ELSE 'p' || floor(random() * 131)::int END;
  END LOOP;
  IF chance(0.3) THEN
    r := r || r[1];
  END IF;
  RETURN r;
END $$;

-- Diadoc: packets and boxes in every spelling; one stream per (box, packet).
CREATE FUNCTION gen_diadoc_boxes() RETURNS text[] LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  w text[] := '{}';
  lw text[] := '{}';
  boxes text[] := '{}';
  c text;
  sel text := pick('box_id, packet_id, entity_id', 'entity_id, document_type', 'count(*)');
BEGIN
  IF chance(0.2) THEN
    -- an OR of ANDs, each branch with its packets and boxes (a NULL literal may fold a branch away)
    c := format('((%s AND %s) OR (%s AND %s AND %s))',
                gen_one_of('packet_id', rnd_packets(1 + floor(random() * 3)::int)),
                gen_one_of('box_id', ARRAY[pick('box-1', 'box-2', NULL), pick('box-1', 'box-2')]),
                gen_one_of('packet_id', rnd_packets(1 + floor(random() * 3)::int)),
                gen_one_of('box_id', ARRAY[pick('box-1', 'box-2')]),
                pick('true', 'entity_id LIKE ''%1''', 'document_type <> ''Invoice'''));
    RETURN ARRAY[format('SELECT %s FROM docs_fdw_b WHERE %s', sel, c),
                 format('SELECT %s FROM docs_local_b WHERE %s', sel, c),
                 'or-of-and'];
  END IF;
  c := gen_one_of('packet_id', rnd_packets(1 + floor(random() * 4)::int));
  w := w || c;
  IF chance(0.3) THEN
    w := w || gen_one_of('packet_id', rnd_packets(1 + floor(random() * 4)::int));
  END IF;
  IF chance(0.8) THEN
    FOR i IN 1 .. 1 + floor(random() * 3)::int LOOP
      boxes := boxes || pick('box-1', 'box-2', 'box-2', NULL);
    END LOOP;
    w := w || gen_one_of('box_id', boxes);
    lw := w;
  ELSE
    lw := w || 'box_id = ''box-1'''::text;   -- no box condition: the option's box
  END IF;
  IF chance(0.3) THEN
    c := pick('document_type = ''Invoice''', 'entity_id LIKE ''%1''', 'box_id <> ''box-1''');
    w := w || c; lw := lw || c;
  END IF;
  RETURN ARRAY[format('SELECT %s FROM docs_fdw_b WHERE %s', sel, array_to_string(w, ' AND ')),
               format('SELECT %s FROM docs_local_b WHERE %s', sel, array_to_string(lw, ' AND ')),
               'in-or-box'];
END $$;

-- A bound value near the data, as timestamptz, timestamp or date, literal or expression.
CREATE FUNCTION rnd_bound(lo int, hi int) RETURNS text LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  t timestamptz := rnd_ts(lo, hi);
BEGIN
  RETURN pick(format('%L::timestamptz', t), format('%L::timestamp', t::timestamp),
              format('%L::date', t::date), format('(%L::date - %s)', t::date + 3, 3),
              format('(%L::timestamp + interval ''90 min'')', t::timestamp - interval '90 min'),
              format('%L', t));
END $$;

-- Mercury: bounds of mixed types and operators, on timestamptz or date columns.
CREATE FUNCTION gen_mercury_types() RETURNS text[] LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  a int := -50 + floor(random() * 9000)::int;
  b int := a + floor(random() * 700)::int;
  w text[] := '{}';
  k text;
  tbl text := pick('units', 'units', 'units_d');
  lo text;
  hi text;
  up text;
BEGIN
  lo := rnd_bound(a, a + 1); hi := rnd_bound(b, b + 1);
  k := pick('ge', 'gt', 'eq', 'between', 'symmetric', 'symmetric-rev', 'or', 'or-and', 'begin', 'begin-in');
  IF k = 'ge' THEN w := w || format('update_date >= %s', lo);
  ELSIF k = 'gt' THEN w := w || format('%s < update_date', lo);
  ELSIF k = 'eq' THEN w := w || format('update_date = %s', lo);
  ELSIF k = 'between' THEN w := w || format('update_date BETWEEN %s AND %s', lo, hi);
  ELSIF k = 'symmetric' THEN w := w || format('update_date BETWEEN SYMMETRIC %s AND %s', lo, hi);
  ELSIF k = 'symmetric-rev' THEN w := w || format('update_date BETWEEN SYMMETRIC %s AND %s', hi, lo);
  ELSIF k = 'or' THEN w := w || format('(update_date >= %s OR update_date > %s)', hi, lo);
  ELSIF k = 'or-and' THEN
    w := w || format('((update_date >= %s AND update_date < %s) OR (update_date > %s AND update_date <= %s))',
                     lo, rnd_bound(a + 20, a + 200), hi, rnd_bound(b + 1, b + 100));
  ELSIF k = 'begin-in' THEN
    -- one request per distinct begin date: a row once per begin date it lies after
    hi := rnd_bound(a + 1, b + 1);
    up := rnd_bound(b, b + 1);
    RETURN ARRAY[format('SELECT uuid, name FROM units_fdw WHERE %s AND update_date < %s',
                        format(pick('begin_date IN (%1$s, %2$s, %1$s, NULL)', '(begin_date = %1$s OR begin_date = %2$s)',
                                    'begin_date = ANY (ARRAY[%2$s, %1$s]::timestamptz[])'), lo, hi), up),
                 format('SELECT uuid, name FROM units_local u, (SELECT DISTINCT b FROM unnest(ARRAY[%s, %s]::timestamptz[]) b) bs WHERE u.update_date >= bs.b AND update_date < %s',
                        lo, hi, up),
                 'types-begin-in'];
  ELSE
    tbl := 'units';
    RETURN ARRAY[format('SELECT uuid, name FROM units_fdw WHERE begin_date = %s AND update_date < %s', lo, hi),
                 format('SELECT uuid, name FROM units_local WHERE update_date >= %s AND update_date < %s', lo, hi),
                 'types-begin'];
  END IF;
  IF chance(0.5) THEN
    w := w || format('update_date %s %s', pick('<', '<=', '<'), rnd_bound(a + 50, b + 200));
  END IF;
  IF chance(0.2) THEN
    w := w || 'name LIKE ''%3'''::text;
  END IF;
  IF tbl = 'units' THEN
    RETURN ARRAY[format('SELECT uuid, name, update_date FROM units_fdw WHERE %s', array_to_string(w, ' AND ')),
                 format('SELECT uuid, name, update_date FROM units_local WHERE %s', array_to_string(w, ' AND ')),
                 'types-' || k];
  END IF;
  RETURN ARRAY[format('SELECT uuid, name, update_date FROM units_fdw_d WHERE %s', array_to_string(w, ' AND ')),
               format('SELECT uuid, name, update_date FROM units_local_d WHERE %s', array_to_string(w, ' AND ')),
               'date-column-' || k];
END $$;

-- Partitioned tables with random bounds: returns (query, local query, shape, DDL).
CREATE FUNCTION gen_partitioned() RETURNS text[] LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  k text := pick('range', 'range', 'range-date', 'list-packet', 'list-box');
  ddl text := 'DROP TABLE IF EXISTS df_part; ';
  cuts int[];
  lists text[];
  loc text[] := '{}';
  w text[] := '{}';
  open_ended boolean := false;
  typ text;
  v text;
  vals text[];
  used text[] := '{}';
BEGIN
  IF k IN ('range', 'range-date') THEN
    typ := CASE WHEN k = 'range' THEN 'timestamptz' ELSE 'date' END;
    IF typ = 'date' THEN
      SELECT array_agg(x ORDER BY x) INTO lists FROM
        (SELECT DISTINCT ('2024-01-01'::date + floor(random() * 72)::int)::text AS x
         FROM generate_series(1, 2 + floor(random() * 3)::int)) s;
    ELSE
      SELECT array_agg(rnd_ts(c, c + 1)::text ORDER BY c) INTO lists FROM
        (SELECT DISTINCT floor(random() * 10000)::int AS c FROM generate_series(1, 2 + floor(random() * 3)::int)) s;
    END IF;
    ddl := ddl || format('CREATE TABLE df_part (uuid uuid, name text, update_date %s) PARTITION BY RANGE (update_date); ', typ);
    FOR i IN 1 .. cardinality(lists) - 1 LOOP
      ddl := ddl || format('CREATE FOREIGN TABLE df_part_%s PARTITION OF df_part FOR VALUES FROM (%L) TO (%L) SERVER df_mercury OPTIONS (resource ''unit_changes''); ',
                           i, lists[i], lists[i + 1]);
    END LOOP;
    IF cardinality(lists) < 2 OR chance(0.3) THEN
      ddl := ddl || 'CREATE FOREIGN TABLE df_part_def PARTITION OF df_part DEFAULT SERVER df_mercury OPTIONS (resource ''unit_changes''); ';
      open_ended := true;
    ELSIF chance(0.3) THEN
      ddl := ddl || format('CREATE FOREIGN TABLE df_part_min PARTITION OF df_part FOR VALUES FROM (MINVALUE) TO (%L) SERVER df_mercury OPTIONS (resource ''unit_changes''); ',
                           lists[1]);
      loc := loc || format('update_date < %L::%s', lists[cardinality(lists)], typ);
      open_ended := true;
    ELSE
      loc := loc || format('update_date >= %L::%s', lists[1], typ)
                 || format('update_date < %L::%s', lists[cardinality(lists)], typ);
    END IF;
    IF open_ended OR chance(0.6) THEN
      w := w || format('update_date %s %s', pick('>=', '>', '='), rnd_bound(-50, 10050));
    END IF;
    IF chance(0.4) THEN
      w := w || format('update_date < %s', rnd_bound(-50, 10050));
    END IF;
    w := w || 'true'::text;
    RETURN ARRAY[format('SELECT uuid, name, update_date FROM df_part WHERE %s', array_to_string(w, ' AND ')),
                 format('SELECT uuid, name, update_date FROM %s WHERE %s',
                        CASE WHEN typ = 'date' THEN 'units_local_d' ELSE 'units_local' END,
                        array_to_string(w || loc, ' AND ')),
                 'partition-' || k, ddl];
  END IF;
  -- LIST on packet_id or box_id
  IF k = 'list-packet' THEN
    ddl := ddl || 'CREATE TABLE df_part (packet_id text, entity_id text, document_type text) PARTITION BY LIST (packet_id); ';
    FOR i IN 1 .. 1 + floor(random() * 3)::int LOOP
      vals := '{}';
      FOR j IN 1 .. 1 + floor(random() * 3)::int LOOP
        v := 'p' || floor(random() * 131)::int;
        IF NOT v = ANY (used) THEN
          vals := vals || v; used := used || v;
        END IF;
      END LOOP;
      CONTINUE WHEN cardinality(vals) = 0;
      ddl := ddl || format('CREATE FOREIGN TABLE df_part_%s PARTITION OF df_part FOR VALUES IN (%s) SERVER df_diadoc OPTIONS (resource ''docflows_by_packet''); ',
                           i, (SELECT string_agg(quote_literal(x), ', ') FROM unnest(vals) x));
    END LOOP;
    IF chance(0.3) THEN
      ddl := ddl || 'CREATE FOREIGN TABLE df_part_def PARTITION OF df_part DEFAULT SERVER df_diadoc OPTIONS (resource ''docflows_by_packet''); ';
      open_ended := true;
    END IF;
    IF open_ended OR chance(0.5) THEN
      w := w || gen_one_of('packet_id', rnd_packets(1 + floor(random() * 4)::int) || used[1]);
    END IF;
    w := w || 'true'::text;
    RETURN ARRAY[format('SELECT packet_id, entity_id, document_type FROM df_part WHERE %s', array_to_string(w, ' AND ')),
                 format('SELECT packet_id, entity_id, document_type FROM docs_local WHERE %s AND (%L::boolean OR packet_id = ANY (%L::text[]))',
                        array_to_string(w, ' AND '), open_ended, used),
                 'partition-' || k, ddl];
  END IF;
  ddl := ddl || 'CREATE TABLE df_part (box_id text, packet_id text, entity_id text) PARTITION BY LIST (box_id); ';
  IF chance(0.5) THEN
    ddl := ddl || 'CREATE FOREIGN TABLE df_part_1 PARTITION OF df_part FOR VALUES IN (''box-1'') SERVER df_diadoc OPTIONS (resource ''docflows_by_packet''); '
               || 'CREATE FOREIGN TABLE df_part_2 PARTITION OF df_part FOR VALUES IN (''box-2'') SERVER df_diadoc OPTIONS (resource ''docflows_by_packet''); ';
    used := '{box-1,box-2}';
  ELSE
    v := pick('box-1', 'box-2');
    ddl := ddl || format('CREATE FOREIGN TABLE df_part_1 PARTITION OF df_part FOR VALUES IN (%L) SERVER df_diadoc OPTIONS (resource ''docflows_by_packet''); ', v);
    used := ARRAY[v];
  END IF;
  w := w || gen_one_of('packet_id', rnd_packets(1 + floor(random() * 3)::int));
  IF chance(0.5) THEN
    w := w || gen_one_of('box_id', ARRAY[pick('box-1', 'box-2', NULL), pick('box-1', 'box-2')]);
  END IF;
  RETURN ARRAY[format('SELECT box_id, packet_id, entity_id FROM df_part WHERE %s', array_to_string(w, ' AND ')),
               format('SELECT box_id, packet_id, entity_id FROM docs_local_b WHERE %s AND box_id = ANY (%L::text[])',
                      array_to_string(w, ' AND '), used),
               'partition-' || k, ddl];
END $$;

CREATE FUNCTION run_differential_issue10(nqueries int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  pair text[];
  d bigint;
  r bigint;
  api text;
BEGIN
  PERFORM setseed(0.1010);
  FOR n IN 1 .. nqueries LOOP
    -- the session TimeZone decides what a date or timestamp bound means
    PERFORM set_config('timezone', pick('UTC', 'Europe/Moscow', 'America/New_York', 'Asia/Kolkata'), false);
    r := NULL;
    IF n % 3 = 0 THEN
      api := 'diadoc'; pair := gen_diadoc_boxes();
    ELSIF n % 3 = 1 THEN
      api := 'mercury'; pair := gen_mercury_types();
    ELSE
      api := 'partitioned'; pair := gen_partitioned();
    END IF;
    BEGIN
      IF pair[4] IS NOT NULL THEN
        EXECUTE pair[4];
      END IF;
      EXECUTE format('SELECT count(*) FROM (%s) x', pair[2]) INTO r;
      EXECUTE format('SELECT count(*) FROM (((%s) EXCEPT ALL (%s)) UNION ALL ((%s) EXCEPT ALL (%s))) x',
                     pair[1], pair[2], pair[2], pair[1]) INTO d;
      INSERT INTO diff_results VALUES (1000 + n, api, pair[3], pair[1], pair[2], r, d, NULL);
    EXCEPTION WHEN OTHERS THEN
      INSERT INTO diff_results VALUES (1000 + n, api, pair[3], coalesce(pair[4], '') || pair[1], pair[2], r, -1,
                                       SQLSTATE || ': ' || SQLERRM);
    END;
  END LOOP;
  PERFORM set_config('timezone', 'UTC', false);
  DROP TABLE IF EXISTS df_part;
END $$;

SET client_min_messages = warning;
SELECT run_differential_issue10(300);
RESET client_min_messages;

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

-- The same queries again with parallel plans made cheap: the Parallel
-- Foreign Scans (pages of one Mercury interval shared out by range, the
-- packets of an IN list or join by stream) must give what serial scans
-- give.  rows_estimate makes the tables parallel-safe and shows the
-- planner a Mercury interval as big.
CREATE TABLE diff_serial AS SELECT * FROM diff_results;
TRUNCATE diff_results;
ALTER FOREIGN TABLE units_fdw OPTIONS (ADD rows_estimate '10000');
ALTER FOREIGN TABLE docs_fdw OPTIONS (ADD rows_estimate '1000');
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET max_parallel_workers_per_gather = 2;
SELECT run_differential(400);
SELECT count(*) AS queries,
       count(*) FILTER (WHERE differences <> 0) AS with_differences
FROM diff_results;
SELECT n, differences, error, q, lq FROM diff_results WHERE differences <> 0 ORDER BY n;
-- the same queries as the serial run, and as many rows
SELECT count(*) AS same_queries_and_rows
FROM diff_results p JOIN diff_serial s USING (n) WHERE p.q = s.q AND p.nrows = s.nrows;
-- parallel plans were used, for both APIs
CREATE FUNCTION parallel_plans(which text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  r record;
  line text;
  n bigint := 0;
BEGIN
  FOR r IN SELECT q FROM diff_results WHERE api = which LOOP
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || r.q LOOP
      IF line LIKE '%Parallel Foreign Scan%' THEN
        n := n + 1;
        EXIT;
      END IF;
    END LOOP;
  END LOOP;
  RETURN n;
END $$;
SELECT parallel_plans('mercury') >= 100 AS mercury_parallel, parallel_plans('diadoc') >= 50 AS diadoc_parallel;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET max_parallel_workers_per_gather;
