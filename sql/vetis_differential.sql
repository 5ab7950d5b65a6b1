-- Randomized differential test of the VetIS list resources: generated
-- queries over foreign tables of four services (Dictionary: purpose_changes;
-- Product: product_item_changes; Enterprise: business_entity_changes,
-- russian_enterprise_changes, activity_locations; Ikar: region_changes,
-- streets_by_locality) are compared with the same queries over local tables
-- built from the mock's truth (GET /_vetis/SET: every item as JSON, see test/mock_api/PROTOCOL.md).
-- Every query runs three times: against answers with total and hasMore,
-- with hasMore only (the mock's "hasmore" scenario) and with neither
-- ("no-totals": the list ends at a short page or offsetOutOfRangeFault).  Fixed
-- seed; any difference is listed with both query texts.
\set VERBOSITY default
\set SHOW_CONTEXT never
\getenv mock MOCK_URL
\set vurl :mock '/mercury/ok/platform/services/2.1'
\set hmurl :mock '/mercury/hasmore/platform/services/2.1'
\set nturl :mock '/mercury/no-totals/platform/services/2.1'
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
-- everything of this test lives in its own schema (the database is shared)
CREATE SCHEMA vd_work;
SET search_path = vd_work, public;
\i sql/include/mock_log.sql

-- Two servers at the services base: each resource appends its service.
CREATE SERVER vd_ok FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'mercury', url :'vurl', page_size '97');
CREATE SERVER vd_hm FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'mercury', url :'hmurl', page_size '113');
CREATE SERVER vd_nt FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'mercury', url :'nturl', page_size '50');
CREATE USER MAPPING FOR CURRENT_USER SERVER vd_ok
  OPTIONS (user 'test-user', password 'test-password');
CREATE USER MAPPING FOR CURRENT_USER SERVER vd_hm
  OPTIONS (user 'test-user', password 'test-password');
CREATE USER MAPPING FOR CURRENT_USER SERVER vd_nt
  OPTIONS (user 'test-user', password 'test-password');

-- The same seven tables in three schemas, one per server.
CREATE FUNCTION make_tables(s text, srv text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  versioning text := 'uuid uuid, guid uuid, active boolean, last boolean, status text, '
                     'create_date timestamptz, update_date timestamptz, previous uuid, next uuid';
  address_object text := 'name text, english_name text, view text, region_code text, type text, '
                         'country_guid uuid, has_streets boolean';
BEGIN
  EXECUTE format('CREATE SCHEMA %I', s);
  EXECUTE format('CREATE FOREIGN TABLE %I.purpose_changes (%s, name text, for_substandard boolean, '
                 'begin_date timestamptz, end_date timestamptz, record jsonb) '
                 'SERVER %I OPTIONS (resource ''purpose_changes'')', s, versioning, srv);
  EXECUTE format('CREATE FOREIGN TABLE %I.product_item_changes (%s, global_id text, name text, code text, '
                 'product_type int, product jsonb, sub_product jsonb, corresponds_to_gost boolean, gost text, '
                 'producer jsonb, tm_owner jsonb, producing jsonb, packaging jsonb, is_public boolean, '
                 'begin_date timestamptz, end_date timestamptz, record jsonb) '
                 'SERVER %I OPTIONS (resource ''product_item_changes'')', s, versioning, srv);
  EXECUTE format('CREATE FOREIGN TABLE %I.business_entity_changes (%s, type int, name text, '
                 'incorporation_form jsonb, full_name text, fio text, passport text, inn text, kpp text, '
                 'ogrn text, juridical_address jsonb, activity_location jsonb, '
                 'begin_date timestamptz, end_date timestamptz, record jsonb) '
                 'SERVER %I OPTIONS (resource ''business_entity_changes'')', s, versioning, srv);
  EXECUTE format('CREATE FOREIGN TABLE %I.russian_enterprise_changes (%s, name text, english_name text, '
                 'type int, number_list jsonb, address jsonb, activity_list jsonb, owner jsonb, '
                 'official_registration jsonb, registry_status text, '
                 'begin_date timestamptz, end_date timestamptz, record jsonb) '
                 'SERVER %I OPTIONS (resource ''russian_enterprise_changes'')', s, versioning, srv);
  EXECUTE format('CREATE FOREIGN TABLE %I.region_changes (%s, %s, '
                 'begin_date timestamptz, end_date timestamptz, record jsonb) '
                 'SERVER %I OPTIONS (resource ''region_changes'')', s, versioning, address_object, srv);
  EXECUTE format('CREATE FOREIGN TABLE %I.streets_by_locality (%s, %s, locality_guid uuid, record jsonb) '
                 'SERVER %I OPTIONS (resource ''streets_by_locality'')', s, versioning, address_object, srv);
  EXECUTE format('CREATE FOREIGN TABLE %I.activity_locations (business_entity jsonb, enterprise jsonb, '
                 'global_id jsonb, business_entity_guid uuid, record jsonb) '
                 'SERVER %I OPTIONS (resource ''activity_locations'')', s, srv);
END $$;
SELECT make_tables('v_ok', 'vd_ok'), make_tables('v_hm', 'vd_hm'), make_tables('v_nt', 'vd_nt');

-- The truth: every item of a set, one JSON object a line.
CREATE TABLE vd_truth (set text, line jsonb);
CREATE FUNCTION load_truth(s text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  CREATE TEMP TABLE truth_buf (line text);
  -- JSON has backslashes and quotes: read each line as one CSV field
  EXECUTE format('COPY truth_buf FROM PROGRAM %L WITH (FORMAT csv, QUOTE E''\x01'', DELIMITER E''\x02'')',
                 'curl -s ' || current_setting('paged.mock') || '/_vetis/' || s);
  INSERT INTO vd_truth SELECT s, line::jsonb FROM truth_buf;
  GET DIAGNOSTICS n = ROW_COUNT;
  DROP TABLE truth_buf;
  RETURN n;
END $$;
SELECT set_config('paged.mock', :'mock', false) IS NOT NULL AS ok;
SELECT s, load_truth(s) > 0 AS loaded
FROM unnest(ARRAY['purpose', 'productItem', 'businessEntity', 'russianEnterprise', 'region', 'street', 'location', 'locality']) s;

-- A local table with the columns of a foreign table, from the truth of a
-- set: column name -> element name (snake to camel case, "id" -> "ID"),
-- values cast to the column's type, jsonb columns the element as it is
-- (a repeated one an array, [] when absent); record the whole item; the
-- key column of a keyed list the key the item is listed under.  Extra
-- columns: seq (the changes order), current, plain (the plain list order).
CREATE FUNCTION camel(col text) RETURNS text IMMUTABLE LANGUAGE sql AS $$
  SELECT string_agg(CASE WHEN n = 1 THEN p WHEN p = 'id' THEN 'ID' ELSE initcap(p) END, '' ORDER BY n)
  FROM unnest(string_to_array(col, '_')) WITH ORDINALITY AS t(p, n)
$$;
CREATE FUNCTION make_local(ft regclass, s text, keycol text DEFAULT NULL) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  cols text[] := '{}';
  a record;
  e text;
BEGIN
  FOR a IN SELECT attname, atttypid::regtype::text AS typ FROM pg_attribute
           WHERE attrelid = ft AND attnum > 0 AND NOT attisdropped ORDER BY attnum LOOP
    e := camel(a.attname);
    IF a.attname IN ('begin_date', 'end_date') THEN
      CONTINUE;
    ELSIF a.attname = 'record' THEN
      cols := cols || 'line->''item'' AS record'::text;
    ELSIF a.attname = keycol THEN
      cols := cols || format('(line->>''key'')::%s AS %I', a.typ, a.attname);
    ELSIF a.typ = 'jsonb' AND e IN ('producing', 'activityLocation', 'officialRegistration', 'globalID') THEN
      cols := cols || format('coalesce(line->''item''->%L, ''[]'') AS %I', e, a.attname);
    ELSIF a.typ = 'jsonb' THEN
      cols := cols || format('line->''item''->%L AS %I', e, a.attname);
    ELSE
      cols := cols || format('(line->''item''->>%L)::%s AS %I', e, a.typ, a.attname);
    END IF;
  END LOOP;
  EXECUTE format('CREATE TABLE %I AS SELECT %s, (line->>''seq'')::int AS seq, (line->>''current'')::boolean AS current, '
                 '(line->>''plain'')::int AS plain FROM vd_truth WHERE set = %L',
                 'l_' || (SELECT relname FROM pg_class WHERE oid = ft), array_to_string(cols, ', '), s);
END $$;
SELECT make_local('v_ok.purpose_changes', 'purpose'),
       make_local('v_ok.product_item_changes', 'productItem'),
       make_local('v_ok.business_entity_changes', 'businessEntity'),
       make_local('v_ok.russian_enterprise_changes', 'russianEnterprise'),
       make_local('v_ok.region_changes', 'region'),
       make_local('v_ok.streets_by_locality', 'street', 'locality_guid'),
       make_local('v_ok.activity_locations', 'location', 'business_entity_guid');
-- the keyed lists hold current items only
DELETE FROM l_streets_by_locality WHERE NOT current;
DELETE FROM l_activity_locations WHERE NOT current;
ANALYZE l_purpose_changes, l_product_item_changes, l_business_entity_changes,
        l_russian_enterprise_changes, l_region_changes,
        l_streets_by_locality, l_activity_locations;

-- keys to ask for: every locality (most have no street, one has hundreds)
-- and business entity, and guids no entity has
CREATE TABLE k_localities AS
  SELECT (line->'item'->>'guid')::uuid AS guid, (line->>'plain')::int + 1 AS tag
  FROM vd_truth WHERE set = 'locality' AND (line->>'current')::boolean;
-- deleted entities too (they have no activity locations)
CREATE TABLE k_entities AS
  SELECT (line->'item'->>'guid')::uuid AS guid,
         row_number() OVER (ORDER BY (line->>'plain')::int < 0, (line->>'plain')::int, (line->>'seq')::int) AS tag
  FROM vd_truth WHERE set = 'businessEntity' AND (line->'item'->>'last')::boolean;
CREATE TABLE k_wanted (uuid uuid, tag int);
INSERT INTO k_wanted SELECT uuid, row_number() OVER () FROM
  (SELECT uuid FROM l_product_item_changes ORDER BY seq LIMIT 40) a;
INSERT INTO k_wanted SELECT uuid, 100 + row_number() OVER () FROM
  (SELECT uuid FROM l_region_changes WHERE seq % 5 = 0) a;
ANALYZE k_localities, k_entities, k_wanted;
-- the data set has what the comparisons need
SELECT (SELECT count(*) FROM l_purpose_changes) > 300 AS many_purposes,
       (SELECT count(*) FROM l_streets_by_locality GROUP BY locality_guid ORDER BY 1 DESC LIMIT 1) > 300 AS a_long_street_list,
       (SELECT count(*) FROM l_business_entity_changes WHERE jsonb_array_length(activity_location) > 1) > 0 AS repeated_locations,
       (SELECT count(*) FROM l_business_entity_changes WHERE jsonb_array_length(activity_location) = 1) > 0 AS single_locations,
       (SELECT count(*) FROM l_product_item_changes WHERE packaging IS NULL) > 0 AS absent_packaging,
       (SELECT count(*) FROM (SELECT update_date FROM l_region_changes GROUP BY 1 HAVING count(*) > 1) d) > 0 AS tied_update_dates;

-- Generators.
CREATE FUNCTION pick(VARIADIC a text[]) RETURNS text LANGUAGE sql VOLATILE
  AS $$ SELECT a[1 + floor(random() * array_length(a, 1))::int] $$;
CREATE FUNCTION chance(p float8) RETURNS boolean LANGUAGE sql VOLATILE
  AS $$ SELECT random() < p $$;

-- A timestamp near the data: an item's updateDate (ties included), or between.
CREATE FUNCTION rnd_ts(t text) RETURNS timestamptz LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  r timestamptz;
  n bigint;
BEGIN
  IF chance(0.6) THEN
    EXECUTE format('SELECT count(*) FROM %I', t) INTO n;
    EXECUTE format('SELECT update_date FROM %I ORDER BY seq OFFSET %s LIMIT 1', t, floor(random() * n)::bigint)
      INTO r;
    RETURN r;
  END IF;
  RETURN '2022-12-20 00:00+03'::timestamptz + floor(random() * 500 * 48) * interval '30 min';
END $$;

-- Conditions evaluated locally, per resource.
CREATE FUNCTION local_cond(res text) RETURNS text LANGUAGE sql VOLATILE AS $$
  SELECT CASE res
    WHEN 'purpose_changes' THEN pick('active', 'NOT last', 'for_substandard', 'for_substandard IS NULL',
           'status = ''200''', 'previous IS NULL', 'name LIKE ''%7''', 'record ? ''next''')
    WHEN 'product_item_changes' THEN pick('active', 'product_type = 3', 'producer IS NULL', 'gost IS NOT NULL',
           'jsonb_array_length(producing) > 1', 'packaging->''packagingType''->>''globalID'' = ''BX''',
           'packaging ? ''unit''', 'is_public', 'global_id LIKE ''%1%''', 'tm_owner->>''guid'' IS NOT NULL',
           'record->''product''->>''guid'' = product->>''guid''')
    WHEN 'business_entity_changes' THEN pick('type = 1', 'type <> 1', 'kpp IS NULL', 'passport IS NOT NULL',
           'jsonb_array_length(activity_location) = 2', 'juridical_address->''region''->>''name'' LIKE ''%1''',
           'incorporation_form->>''shortName'' = ''ООО''', 'name LIKE ''%&%''', 'last AND NOT active',
           'activity_location @> ''[{"globalID": []}]''')
    WHEN 'russian_enterprise_changes' THEN pick('type = 2', 'number_list IS NULL', 'number_list = ''{}''',
           'jsonb_array_length(number_list->''enterpriseNumber'') = 1', 'activity_list ? ''activity''',
           'jsonb_array_length(official_registration) = 2', 'owner IS NULL', 'registry_status = ''VERIFIED''',
           'registry_status IS NULL', 'address->''street''->>''name'' LIKE ''%5%''')
    WHEN 'region_changes' THEN pick('active', 'has_streets', 'has_streets IS NULL', 'view = ''обл''',
           'type = ''край''', 'english_name IS NULL', 'region_code < ''30''', 'status = ''400''')
  END
$$;

-- Projections, per resource ('*' is every column but begin/end_date).
CREATE FUNCTION projection(res text) RETURNS text LANGUAGE sql VOLATILE AS $$
  SELECT CASE res
    WHEN 'purpose_changes' THEN pick('uuid, guid, active, last, status, create_date, update_date, previous, next',
           'name, for_substandard, update_date', 'record', 'uuid, record->>''name''')
    WHEN 'product_item_changes' THEN pick('uuid, global_id, name, code, product_type, corresponds_to_gost, gost, is_public',
           'uuid, product, sub_product, producer, tm_owner', 'uuid, producing, packaging', 'record',
           'guid, status, previous, next, update_date')
    WHEN 'business_entity_changes' THEN pick('uuid, type, name, full_name, fio, passport, inn, kpp, ogrn',
           'uuid, incorporation_form, juridical_address', 'uuid, activity_location', 'record',
           'guid, active, last, status, create_date, update_date')
    WHEN 'russian_enterprise_changes' THEN pick('uuid, name, english_name, type, registry_status',
           'uuid, number_list, activity_list', 'uuid, address, owner', 'uuid, official_registration', 'record')
    WHEN 'region_changes' THEN pick('uuid, name, english_name, view, region_code, type, country_guid, has_streets',
           'record', 'guid, active, last, status, create_date, update_date, previous, next')
  END
$$;

-- One query pair over a *ChangesList resource: (fdw, local, shape).
CREATE FUNCTION gen_changes(s text, res text) RETURNS text[] LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  lt text := 'l_' || res;
  lo timestamptz := rnd_ts(lt);
  hi timestamptz := lo + floor(random() * 60 * 24) * interval '1 hour';
  fw text[] := '{}';
  lw text[] := '{}';
  k text;
  c text;
  sel text := projection(res);
  tail text;
  ft text := format('%I.%I', s, res);
BEGIN
  IF chance(0.3) THEN
    hi := rnd_ts(lt);                     -- may be before lo: no rows
  END IF;
  k := pick('begin', 'ge', 'gt', 'eq', 'ge');
  IF k = 'begin' THEN
    fw := fw || format('begin_date = %L', lo); lw := lw || format('update_date >= %L', lo);
  ELSE
    c := format('update_date %s %L', CASE k WHEN 'ge' THEN '>=' WHEN 'gt' THEN '>' ELSE '=' END, lo);
    fw := fw || c; lw := lw || c;
  END IF;
  k := pick('end', 'lt', 'le', 'between', 'none', 'none');
  IF k = 'end' THEN
    fw := fw || format('end_date = %L', hi); lw := lw || format('update_date < %L', hi);
  ELSIF k = 'lt' THEN
    fw := fw || format('update_date < %L', hi); lw := lw || format('update_date < %L', hi);
  ELSIF k = 'le' THEN
    fw := fw || format('update_date <= %L', hi); lw := lw || format('update_date <= %L', hi);
  ELSIF k = 'between' THEN
    c := format('update_date BETWEEN %L AND %L', lo, hi);
    fw := fw || c; lw := lw || c;
  END IF;
  FOR n IN 1 .. floor(random() * 3)::int LOOP
    c := local_cond(res);
    fw := fw || c; lw := lw || c;
  END LOOP;

  k := pick('rows', 'rows', 'rows', 'agg', 'limit', 'limit', 'join');
  IF k = 'rows' THEN
    RETURN ARRAY[format('SELECT %s FROM %s WHERE %s', sel, ft, array_to_string(fw, ' AND ')),
                 format('SELECT %s FROM %I WHERE %s', sel, lt, array_to_string(lw, ' AND ')), k];
  ELSIF k = 'agg' THEN
    sel := 'count(*), count(DISTINCT guid), min(update_date), max(create_date), count(next), sum(length(record::text))';
    RETURN ARRAY[format('SELECT %s FROM %s WHERE %s', sel, ft, array_to_string(fw, ' AND ')),
                 format('SELECT %s FROM %I WHERE %s', sel, lt, array_to_string(lw, ' AND ')), k];
  ELSIF k = 'limit' THEN
    -- rows come in the service's order (updateDate, then as listed): seq
    tail := format(' LIMIT %s', 1 + floor(random() * 300)::int);
    IF chance(0.4) THEN
      tail := tail || format(' OFFSET %s', floor(random() * 200)::int);
    END IF;
    RETURN ARRAY[format('SELECT uuid, update_date FROM %s WHERE %s%s', ft, array_to_string(fw, ' AND '), tail),
                 format('SELECT uuid, update_date FROM %I WHERE %s ORDER BY seq%s', lt, array_to_string(lw, ' AND '), tail),
                 k];
  END IF;
  RETURN ARRAY[format('SELECT w.tag, f.uuid, f.record FROM k_wanted w JOIN %s f ON f.uuid = w.uuid WHERE %s',
                      ft, array_to_string(fw, ' AND ')),
               format('SELECT w.tag, f.uuid, f.record FROM k_wanted w JOIN %I f ON f.uuid = w.uuid WHERE %s',
                      lt, array_to_string(lw, ' AND ')), k];
END $$;

-- A key condition in one of its spellings, over some of the keys.
CREATE FUNCTION key_cond(col text, keys uuid[]) RETURNS text LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  k text := pick('eq', 'in', 'any', 'or');
BEGIN
  IF k = 'eq' THEN
    RETURN format('%I = %L', col, keys[1]);
  ELSIF k = 'in' THEN
    RETURN format('%I IN (%s)', col, (SELECT string_agg(quote_literal(v), ', ') FROM unnest(keys) v));
  ELSIF k = 'any' THEN
    RETURN format('%I = ANY (%L::uuid[])', col, keys);
  END IF;
  RETURN '(' || (SELECT string_agg(format('%I = %L', col, v), ' OR ') FROM unnest(keys) v) || ')';
END $$;

-- One query pair over a keyed list.
CREATE FUNCTION gen_keyed(s text, res text) RETURNS text[] LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  street boolean := res = 'streets_by_locality';
  col text := CASE WHEN street THEN 'locality_guid' ELSE 'business_entity_guid' END;
  kt text := CASE WHEN street THEN 'k_localities' ELSE 'k_entities' END;
  keys uuid[];
  ft text := format('%I.%I', s, res);
  lt text := 'l_' || res;
  sel text;
  extra text := '';
  kc text;
  k text;
BEGIN
  -- the first key of each table has the long list; some keys have none
  EXECUTE format('SELECT array_agg(guid) FROM (SELECT guid FROM %I ORDER BY CASE WHEN random() < 0.3 THEN 0 ELSE tag END, random() LIMIT %s) x',
                 kt, 1 + floor(random() * 4)::int) INTO keys;
  IF NOT street AND chance(0.2) THEN
    keys := keys || '00000000-0000-4000-8000-000000000000'::uuid;   -- unknown: an empty list
  END IF;
  IF chance(0.3) THEN
    extra := ' AND ' || CASE WHEN street THEN pick('type = ''улица''', 'view IS NULL', 'english_name LIKE ''%1''', 'country_guid IS NULL')
                        ELSE pick('jsonb_array_length(global_id) = 0', 'enterprise->>''name'' LIKE ''%1%''', 'record ? ''globalID''') END;
  END IF;
  sel := CASE WHEN street THEN pick('uuid, guid, active, last, status, create_date, update_date, previous, next, locality_guid',
                                    'name, english_name, view, region_code, type, country_guid, has_streets, locality_guid', 'record, locality_guid')
              ELSE pick('business_entity, enterprise, global_id, business_entity_guid', 'record', 'business_entity_guid, enterprise->>''guid''') END;
  k := pick('rows', 'rows', 'agg', 'join', 'limit');
  kc := key_cond(col, keys);
  IF k = 'rows' THEN
    RETURN ARRAY[format('SELECT %s FROM %s WHERE %s%s', sel, ft, kc, extra),
                 format('SELECT %s FROM %I WHERE %s%s', sel, lt, kc, extra), k];
  ELSIF k = 'agg' THEN
    RETURN ARRAY[format('SELECT %I, count(*), max(record::text) FROM %s WHERE %s%s GROUP BY 1', col, ft, kc, extra),
                 format('SELECT %I, count(*), max(record::text) FROM %I WHERE %s%s GROUP BY 1', col, lt, kc, extra), k];
  ELSIF k = 'limit' THEN
    -- one key: rows come in the plain list's order
    sel := format(' LIMIT %s', 1 + floor(random() * 400)::int);
    kc := format('%I = %L', col, keys[1]);
    RETURN ARRAY[format('SELECT record FROM %s WHERE %s%s%s', ft, kc, extra, sel),
                 format('SELECT record FROM %I WHERE %s%s ORDER BY plain%s', lt, kc, extra, sel), k];
  END IF;
  -- a join: one stream per key of the outer table
  sel := (20 + floor(random() * 40)::int)::text;
  RETURN ARRAY[format('SELECT t.tag, f.record FROM %I t JOIN %s f ON f.%I = t.guid WHERE t.tag %% %s = 1%s',
                      kt, ft, col, sel, extra),
               format('SELECT t.tag, f.record FROM %I t JOIN %I f ON f.%I = t.guid WHERE t.tag %% %s = 1%s',
                      kt, lt, col, sel, extra), k];
END $$;

CREATE TABLE vdiff (n int, schema text, res text, shape text, q text, lq text, nrows bigint, differences bigint, error text);

CREATE FUNCTION run_vdiff(s text, nqueries int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  resources text[] := ARRAY['purpose_changes', 'product_item_changes', 'business_entity_changes',
                            'russian_enterprise_changes', 'region_changes', 'streets_by_locality',
                            'activity_locations'];
  res text;
  pair text[];
  d bigint;
  r bigint;
BEGIN
  PERFORM setseed(0.1212);
  FOR n IN 1 .. nqueries LOOP
    res := resources[1 + (n - 1) % 7];
    IF res IN ('streets_by_locality', 'activity_locations') THEN
      pair := gen_keyed(s, res);
    ELSE
      pair := gen_changes(s, res);
    END IF;
    r := NULL;
    BEGIN
      EXECUTE format('SELECT count(*) FROM (%s) x', pair[2]) INTO r;
      EXECUTE format('SELECT count(*) FROM (((%s) EXCEPT ALL (%s)) UNION ALL ((%s) EXCEPT ALL (%s))) x',
                     pair[1], pair[2], pair[2], pair[1]) INTO d;
      INSERT INTO vdiff VALUES (n, s, res, pair[3], pair[1], pair[2], r, d, NULL);
    EXCEPTION WHEN OTHERS THEN
      INSERT INTO vdiff VALUES (n, s, res, pair[3], pair[1], pair[2], r, -1, SQLSTATE || ': ' || SQLERRM);
    END;
  END LOOP;
END $$;

SELECT run_vdiff('v_ok', 280);
SELECT run_vdiff('v_hm', 280);
SELECT run_vdiff('v_nt', 280);

-- what was covered
SELECT schema, res, count(*) AS queries, count(*) FILTER (WHERE nrows > 0) AS with_rows,
       count(DISTINCT shape) AS shapes
FROM vdiff GROUP BY 1, 2 ORDER BY 1, 2;
SELECT count(*) AS queries, count(*) FILTER (WHERE differences <> 0) AS with_differences,
       sum(nrows) > 30000 AS many_rows_compared
FROM vdiff;
-- any difference or error, with the queries that show it (first few)
SELECT n, schema, differences, error, q, lq FROM vdiff WHERE differences <> 0 ORDER BY schema, n LIMIT 12;
-- every server was asked the same generated queries (same seed)
SELECT b.schema, count(*) AS same_queries
FROM vdiff a JOIN vdiff b ON a.n = b.n AND a.schema = 'v_ok' AND b.schema <> 'v_ok'
WHERE replace(a.q, 'v_ok.', b.schema || '.') = b.q AND a.nrows = b.nrows
GROUP BY 1 ORDER BY 1;

-- Pushdown and paging, from the mock's log: the interval, page size and
-- offsets sent, and on the hasMore-only server no request after the last page.
SELECT count(*) >= 0 AS cleared FROM mock_requests();
SELECT count(*) FROM v_ok.purpose_changes WHERE update_date >= '2023-06-01 00:00+03' AND update_date < '2023-09-01 00:00+03';
-- (pages may be fetched concurrently: in offset order)
SELECT regexp_replace(l, ' items=.*', '') AS request FROM mock_requests() l
ORDER BY (regexp_match(l, 'offset=(\d+)'))[1]::int;
SELECT count(*) FROM v_hm.purpose_changes WHERE begin_date = '2023-06-01 00:00+03' AND end_date = '2023-09-01 00:00+03';
SELECT l AS request FROM mock_requests() l ORDER BY (regexp_match(l, 'offset=(\d+)'))[1]::int;
SELECT count(*) = (SELECT count(*) FROM l_streets_by_locality WHERE locality_guid = (SELECT guid FROM k_localities WHERE tag = 1)) AS all_streets
FROM v_hm.streets_by_locality WHERE locality_guid = (SELECT guid FROM k_localities WHERE tag = 1);
SELECT regexp_replace(l, 'key=[0-9a-f-]*', 'key=K') AS request FROM mock_requests() l
ORDER BY (regexp_match(l, 'offset=(\d+)'))[1]::int;
-- with neither total nor hasMore: on to a short page, or past the end of a
-- list that fills its last page (offsetOutOfRangeFault ends it, no error)
SELECT count(*) FROM v_nt.purpose_changes WHERE begin_date = '2023-06-01 00:00+03' AND end_date = '2023-09-01 00:00+03';
SELECT l AS request FROM mock_requests() l ORDER BY (regexp_match(l, 'offset=(\d+)'))[1]::int;
-- 364 streets: 4 pages of 91, then offset 364 is past the end
ALTER SERVER vd_nt OPTIONS (SET page_size '91');
SELECT count(*) FROM v_nt.streets_by_locality WHERE locality_guid = (SELECT guid FROM k_localities WHERE tag = 1);
SELECT regexp_replace(l, 'key=[0-9a-f-]*', 'key=K') AS request FROM mock_requests() l
ORDER BY (regexp_match(l, 'offset=(\d+)'))[1]::int;

SELECT count(*) >= 0 AS cleared FROM mock_requests();

-- Two rules the comparisons above depend on, asked directly so that a
-- failure says which: a nested element is an array only where the schema
-- repeats it (PackingType.globalID is a single code, unlike the globalID
-- of BusinessMember and BusinessEntity.activityLocation), and an empty
-- element of a complex type (an enterprise's <dt:numberList/> with no
-- enterpriseNumber) is an empty object, as the truth has it.
SELECT count(*) FILTER (WHERE jsonb_typeof(packaging->'packagingType'->'globalID') <> 'string') AS packing_code_not_a_string,
       count(*) FILTER (WHERE jsonb_typeof(packaging->'packagingType'->'globalID') = 'string') > 0 AS packing_codes_seen
FROM v_ok.product_item_changes WHERE update_date >= '2023-01-01';
SELECT count(*) FILTER (WHERE jsonb_typeof(number_list) <> 'object' OR jsonb_typeof(activity_list) <> 'object') AS lists_not_objects,
       count(*) FILTER (WHERE number_list = '{}' OR activity_list = '{}') AS empty_lists
FROM v_ok.russian_enterprise_changes WHERE update_date >= '2023-01-01';
SELECT count(*) FILTER (WHERE number_list = '{}' OR activity_list = '{}') AS empty_lists
FROM l_russian_enterprise_changes;

-- An unknown key of an Ikar keyed list: the service answers
-- entityNotFoundFault, the table has no rows for it.
SELECT count(*) >= 0 AS cleared FROM mock_requests();
SELECT count(*) FROM v_ok.streets_by_locality WHERE locality_guid = '00000000-0000-4000-8000-000000000000';
SELECT regexp_replace(l, 'key=[0-9a-f-]*', 'key=K') AS request FROM mock_requests() l
ORDER BY (regexp_match(l, 'offset=(\d+)'))[1]::int;

-- leave nothing behind for the tests that share this database
SET client_min_messages = warning;
DROP SCHEMA v_ok, v_hm, v_nt, vd_work CASCADE;
DROP SERVER vd_ok, vd_hm, vd_nt CASCADE;
RESET client_min_messages;
RESET search_path;
