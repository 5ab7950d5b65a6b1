-- The VetIS dictionary lists (src/vetis.h, src/vetis_ops.c) against the
-- mock's services (test/mock_api/mock_vetis.c, PROTOCOL.md): every resource's
-- columns, paging with total and with hasMore only, pushdown of dates and
-- keys, the url rules, and a LIMIT over an exact lower bound.
\set VERBOSITY default
\set SHOW_CONTEXT never
\getenv mock MOCK_URL
\set base :mock '/platform/services/2.1'
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

\i sql/include/mock_log.sql

-- the mock's truth (GET /_vetis/SET): one JSON object a line
CREATE TEMP TABLE truth_raw (line text);
CREATE TEMP TABLE truth (set text, seq int, current boolean, key text,
  key2 text, plain int, item jsonb);
CREATE FUNCTION load_truth(s text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE truth_raw;
  EXECUTE format('COPY truth_raw FROM PROGRAM %L WITH (FORMAT csv, QUOTE E''\x01'', DELIMITER E''\x02'')',
                 'curl -s ' || current_setting('paged.mock') || '/_vetis/' || s);
  INSERT INTO truth
    SELECT s, (j->>'seq')::int, (j->>'current')::boolean, j->>'key', j->>'key2',
           (j->>'plain')::int, j->'item'
    FROM (SELECT line::jsonb AS j FROM truth_raw) l;
END $$;
SELECT set_config('paged.mock', :'mock', false) IS NOT NULL AS ok;
SELECT count(load_truth(s)) FROM unnest(ARRAY['country', 'region', 'district',
  'locality', 'street', 'purpose', 'method', 'disease', 'product',
  'subProduct', 'productItem', 'businessEntity', 'russianEnterprise',
  'foreignEnterprise', 'location']) s;
SELECT set, count(*) FROM truth GROUP BY set ORDER BY set;

CREATE SERVER vetis FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url :'base');
CREATE USER MAPPING FOR CURRENT_USER SERVER vetis
  OPTIONS (user 'test-user', password 'test-password');

-- every resource with every column
CREATE FOREIGN TABLE v_unit_changes (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, full_name text, common_unit_guid uuid, factor numeric,
  begin_date timestamptz, end_date timestamptz, record jsonb
) SERVER vetis OPTIONS (resource 'unit_changes');
CREATE FOREIGN TABLE v_purpose_changes (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, for_substandard boolean, begin_date timestamptz,
  end_date timestamptz, record jsonb
) SERVER vetis OPTIONS (resource 'purpose_changes');
CREATE FOREIGN TABLE v_research_method_changes (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, begin_date timestamptz, end_date timestamptz, record jsonb
) SERVER vetis OPTIONS (resource 'research_method_changes');
CREATE FOREIGN TABLE v_disease_changes (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, begin_date timestamptz, end_date timestamptz, record jsonb
) SERVER vetis OPTIONS (resource 'disease_changes');
CREATE FOREIGN TABLE v_product_changes (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, code text, english_name text, product_type integer,
  begin_date timestamptz, end_date timestamptz, record jsonb
) SERVER vetis OPTIONS (resource 'product_changes');
CREATE FOREIGN TABLE v_sub_product_changes (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, code text, english_name text, product_guid uuid,
  begin_date timestamptz, end_date timestamptz, record jsonb
) SERVER vetis OPTIONS (resource 'sub_product_changes');
CREATE FOREIGN TABLE v_product_item_changes (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  global_id text, name text, code text, product_type integer, product jsonb,
  sub_product jsonb, corresponds_to_gost boolean, gost text, producer jsonb,
  tm_owner jsonb, producing jsonb, packaging jsonb, is_public boolean,
  begin_date timestamptz, end_date timestamptz, record jsonb
) SERVER vetis OPTIONS (resource 'product_item_changes');
CREATE FOREIGN TABLE v_business_entity_changes (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  type integer, name text, incorporation_form jsonb, full_name text,
  fio text, passport text, inn text, kpp text, ogrn text,
  juridical_address jsonb, activity_location jsonb, begin_date timestamptz,
  end_date timestamptz, record jsonb
) SERVER vetis OPTIONS (resource 'business_entity_changes');
CREATE FOREIGN TABLE v_russian_enterprise_changes (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, english_name text, type integer, number_list jsonb,
  address jsonb, activity_list jsonb, owner jsonb,
  official_registration jsonb, registry_status text, begin_date timestamptz,
  end_date timestamptz, record jsonb
) SERVER vetis OPTIONS (resource 'russian_enterprise_changes');
CREATE FOREIGN TABLE v_foreign_enterprise_changes (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, english_name text, type integer, number_list jsonb,
  address jsonb, activity_list jsonb, owner jsonb,
  official_registration jsonb, registry_status text, begin_date timestamptz,
  end_date timestamptz, record jsonb
) SERVER vetis OPTIONS (resource 'foreign_enterprise_changes');
CREATE FOREIGN TABLE v_country_changes (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, full_name text, english_name text, code text, code3 text,
  begin_date timestamptz, end_date timestamptz, record jsonb
) SERVER vetis OPTIONS (resource 'country_changes');
CREATE FOREIGN TABLE v_region_changes (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, english_name text, view text, region_code text, type text,
  country_guid uuid, has_streets boolean, begin_date timestamptz,
  end_date timestamptz, record jsonb
) SERVER vetis OPTIONS (resource 'region_changes');
CREATE FOREIGN TABLE v_district_changes (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, english_name text, view text, region_code text, type text,
  country_guid uuid, has_streets boolean, region_guid uuid,
  begin_date timestamptz, end_date timestamptz, record jsonb
) SERVER vetis OPTIONS (resource 'district_changes');
CREATE FOREIGN TABLE v_locality_changes (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, english_name text, view text, region_code text, type text,
  country_guid uuid, has_streets boolean, region_guid uuid,
  district_guid uuid, city_guid uuid, begin_date timestamptz,
  end_date timestamptz, record jsonb
) SERVER vetis OPTIONS (resource 'locality_changes');
CREATE FOREIGN TABLE v_street_changes (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, english_name text, view text, region_code text, type text,
  country_guid uuid, has_streets boolean, locality_guid uuid,
  begin_date timestamptz, end_date timestamptz, record jsonb
) SERVER vetis OPTIONS (resource 'street_changes');
CREATE FOREIGN TABLE v_countries (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, full_name text, english_name text, code text, code3 text,
  record jsonb
) SERVER vetis OPTIONS (resource 'countries');
CREATE FOREIGN TABLE v_units (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, full_name text, common_unit_guid uuid, factor numeric,
  record jsonb
) SERVER vetis OPTIONS (resource 'units');
CREATE FOREIGN TABLE v_purposes (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, for_substandard boolean, record jsonb
) SERVER vetis OPTIONS (resource 'purposes');
CREATE FOREIGN TABLE v_research_methods (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, record jsonb
) SERVER vetis OPTIONS (resource 'research_methods');
CREATE FOREIGN TABLE v_diseases (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, record jsonb
) SERVER vetis OPTIONS (resource 'diseases');
CREATE FOREIGN TABLE v_regions_by_country (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, english_name text, view text, region_code text, type text,
  country_guid uuid, has_streets boolean, record jsonb
) SERVER vetis OPTIONS (resource 'regions_by_country');
CREATE FOREIGN TABLE v_districts_by_region (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, english_name text, view text, region_code text, type text,
  country_guid uuid, has_streets boolean, region_guid uuid, record jsonb
) SERVER vetis OPTIONS (resource 'districts_by_region');
CREATE FOREIGN TABLE v_localities_by_region (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, english_name text, view text, region_code text, type text,
  country_guid uuid, has_streets boolean, region_guid uuid,
  district_guid uuid, city_guid uuid, record jsonb
) SERVER vetis OPTIONS (resource 'localities_by_region');
CREATE FOREIGN TABLE v_localities_by_district (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, english_name text, view text, region_code text, type text,
  country_guid uuid, has_streets boolean, region_guid uuid,
  district_guid uuid, city_guid uuid, record jsonb
) SERVER vetis OPTIONS (resource 'localities_by_district');
CREATE FOREIGN TABLE v_streets_by_locality (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, english_name text, view text, region_code text, type text,
  country_guid uuid, has_streets boolean, locality_guid uuid, record jsonb
) SERVER vetis OPTIONS (resource 'streets_by_locality');
CREATE FOREIGN TABLE v_products_by_type (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, code text, english_name text, product_type integer, record jsonb
) SERVER vetis OPTIONS (resource 'products_by_type');
CREATE FOREIGN TABLE v_sub_products_by_product (
  uuid uuid, guid uuid, active boolean, last boolean, status text,
  create_date timestamptz, update_date timestamptz, previous uuid, next uuid,
  name text, code text, english_name text, product_guid uuid, record jsonb
) SERVER vetis OPTIONS (resource 'sub_products_by_product');
CREATE FOREIGN TABLE v_activity_locations (
  business_entity jsonb, enterprise jsonb, global_id jsonb,
  business_entity_guid uuid, record jsonb
) SERVER vetis OPTIONS (resource 'activity_locations');

-- Each column against the record of its row: scalars are the element's
-- text in the column's type, jsonb columns the element (an array, [] when
-- absent, for the elements the schema repeats).  Returns the mismatches.
CREATE FUNCTION column_mismatches(tbl regclass, cond text)
RETURNS TABLE (col name, bad bigint) LANGUAGE plpgsql AS $$
DECLARE
  a record;
  elem text;
  expr text;
BEGIN
  FOR a IN SELECT attname, atttypid::regtype AS typ FROM pg_attribute
           WHERE attrelid = tbl AND attnum > 0 AND NOT attisdropped
             AND attname NOT IN ('record', 'begin_date', 'end_date')
           ORDER BY attnum
  LOOP
    elem := CASE a.attname WHEN 'global_id' THEN 'globalID'
            ELSE replace(initcap(a.attname), '_', '') END;
    elem := lower(left(elem, 1)) || substr(elem, 2);
    IF a.attname = 'business_entity_guid' THEN
      expr := format('%I IS DISTINCT FROM (record->''businessEntity''->>''guid'')::uuid', a.attname);
    ELSIF a.typ = 'jsonb'::regtype THEN
      expr := format('NOT ((%1$I IS NULL AND NOT record ? %2$L) OR %1$I = record->%2$L OR (%1$I = ''[]'' AND NOT record ? %2$L))',
                     a.attname, elem);
    ELSE
      expr := format('%I IS DISTINCT FROM (record->>%L)::%s', a.attname, elem, a.typ);
    END IF;
    col := a.attname;
    EXECUTE format('SELECT count(*) FROM %s WHERE %s AND %s', tbl, cond, expr) INTO bad;
    IF bad > 0 THEN
      RETURN NEXT;
    END IF;
  END LOOP;
END $$;

-- *ChangesList: every version since 2000, against the truth
CREATE TEMP TABLE changes_sets (tbl text, set text);
INSERT INTO changes_sets VALUES
  ('v_purpose_changes', 'purpose'), ('v_research_method_changes', 'method'),
  ('v_disease_changes', 'disease'), ('v_product_changes', 'product'),
  ('v_sub_product_changes', 'subProduct'), ('v_product_item_changes', 'productItem'),
  ('v_business_entity_changes', 'businessEntity'),
  ('v_russian_enterprise_changes', 'russianEnterprise'),
  ('v_foreign_enterprise_changes', 'foreignEnterprise'),
  ('v_country_changes', 'country'), ('v_region_changes', 'region'),
  ('v_district_changes', 'district'), ('v_locality_changes', 'locality'),
  ('v_street_changes', 'street');
CREATE FUNCTION compare_rows(tbl text, cond text, s text, tcond text,
  OUT rows bigint, OUT truth_rows bigint, OUT missing bigint, OUT extra bigint)
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE TEMP TABLE got AS SELECT record FROM %I WHERE %s', tbl, cond);
  EXECUTE format('CREATE TEMP TABLE want AS SELECT item FROM truth WHERE set = %L AND %s', s, tcond);
  SELECT count(*) INTO rows FROM got;
  SELECT count(*) INTO truth_rows FROM want;
  SELECT count(*) INTO missing FROM want w
    WHERE NOT EXISTS (SELECT 1 FROM got g WHERE g.record = w.item);
  SELECT count(*) INTO extra FROM got g
    WHERE NOT EXISTS (SELECT 1 FROM want w WHERE g.record = w.item);
  DROP TABLE got, want;
END $$;
SELECT tbl, (compare_rows(tbl, 'begin_date = ''2000-01-01''', set, 'true')).*
FROM changes_sets ORDER BY tbl;
SELECT tbl, m.* FROM changes_sets, column_mismatches(tbl::regclass, 'begin_date = ''2000-01-01''') m
ORDER BY 1, 2;
SELECT count(*) > 0 AS requests FROM mock_requests();

-- units (the mock's unit generator, no truth): columns against the record,
-- also in the v1 schema's one namespace
SELECT m.* FROM column_mismatches('v_unit_changes',
  'begin_date = ''2024-01-01'' AND end_date = ''2024-01-02''') m;
\set v1url :mock '/mercury/v1'
CREATE SERVER vetis_v1 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url :'v1url');
CREATE USER MAPPING FOR CURRENT_USER SERVER vetis_v1
  OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE v1_unit_changes (uuid uuid, begin_date timestamptz, end_date timestamptz,
  record jsonb)
  SERVER vetis_v1 OPTIONS (resource 'unit_changes');
-- (v1's status is a word, v2's a code)
SELECT (SELECT array_agg(record - 'status' ORDER BY uuid) FROM v1_unit_changes
        WHERE begin_date = '2024-01-01' AND end_date = '2024-01-02') =
       (SELECT array_agg(record - 'status' ORDER BY uuid) FROM v_unit_changes
        WHERE begin_date = '2024-01-01' AND end_date = '2024-01-02') AS v1_same_record;
SELECT record FROM v1_unit_changes WHERE begin_date = '2024-01-01' LIMIT 1;
SELECT count(*) FROM mock_requests();

-- the rows are in the order of the answers (updateDate, then entity)
SELECT (SELECT array_agg(uuid) FROM v_street_changes
        WHERE update_date >= '2023-03-01' AND update_date < '2023-03-04') =
       (SELECT array_agg((item->>'uuid')::uuid ORDER BY seq) FROM truth
        WHERE set = 'street' AND (item->>'updateDate')::timestamptz >= '2023-03-01'
          AND (item->>'updateDate')::timestamptz < '2023-03-04') AS same_order;

-- nested types as jsonb: objects, and arrays by the schema's repeat rule
-- (an empty numberList or activityList is an object, a missing producing [])
SELECT name, number_list, activity_list, official_registration,
       jsonb_typeof(address) AS address, owner ? 'guid' AS owner_guid
FROM v_russian_enterprise_changes WHERE update_date >= '2023-01-01' LIMIT 4;
SELECT name, jsonb_array_length(producing) AS producing, packaging,
       product ? 'guid' AS product, producer ? 'guid' AS producer
FROM v_product_item_changes WHERE update_date >= '2023-01-01' LIMIT 4;
SELECT name, incorporation_form, jsonb_array_length(activity_location) AS locations,
       (SELECT array_agg(jsonb_array_length(coalesce(l->'globalID', '[]')))
        FROM jsonb_array_elements(activity_location) l) AS gln_counts
FROM v_business_entity_changes WHERE update_date >= '2023-01-01' LIMIT 4;
SELECT * FROM mock_requests() ORDER BY 1;

-- plain lists: the current versions
SELECT 'v_countries' AS tbl, (compare_rows('v_countries', 'true', 'country', 'plain >= 0')).*
UNION ALL SELECT 'v_purposes', (compare_rows('v_purposes', 'true', 'purpose', 'plain >= 0')).*
UNION ALL SELECT 'v_research_methods', (compare_rows('v_research_methods', 'true', 'method', 'plain >= 0')).*
UNION ALL SELECT 'v_diseases', (compare_rows('v_diseases', 'true', 'disease', 'plain >= 0')).*;
SELECT count(*), bool_and(active AND last) AS current, min(name), max(name)
FROM v_units;
SELECT t, m.* FROM unnest(ARRAY['v_countries', 'v_purposes', 'v_research_methods',
  'v_diseases', 'v_units']) t, column_mismatches(t::regclass, 'true') m;
-- (a scan per column above)
SELECT split_part(m, ' ', 2) AS op, count(*), bool_and(m ~ 'count=1000 offset=0 .* key=- status=200') AS one_page
FROM mock_requests() m WHERE m !~ 'GetUnitList' GROUP BY 1 ORDER BY 1;

-- keyed lists: = and IN / ANY (one request per distinct key), against the truth
SELECT (compare_rows('v_regions_by_country',
  'country_guid = ANY (ARRAY(SELECT DISTINCT key::uuid FROM truth WHERE set = ''region''))',
  'region', 'plain >= 0')).*;
SELECT (compare_rows('v_districts_by_region',
  'region_guid IN (SELECT key::uuid FROM truth WHERE set = ''district'' AND plain >= 0 ORDER BY plain LIMIT 1)',
  'district', 'plain >= 0 AND key = (SELECT key FROM truth WHERE set = ''district'' AND plain >= 0 ORDER BY plain LIMIT 1)')).*;
SELECT (compare_rows('v_localities_by_region',
  'region_guid = ANY (ARRAY(SELECT DISTINCT key::uuid FROM truth WHERE set = ''locality''))',
  'locality', 'plain >= 0')).*;
SELECT (compare_rows('v_localities_by_district',
  'district_guid = ANY (ARRAY(SELECT DISTINCT key2::uuid FROM truth WHERE set = ''locality''))',
  'locality', 'plain >= 0 AND key2 IS NOT NULL')).*;
SELECT (compare_rows('v_streets_by_locality',
  'locality_guid = ANY (ARRAY(SELECT DISTINCT key::uuid FROM truth WHERE set = ''street''))',
  'street', 'plain >= 0')).*;
SELECT (compare_rows('v_products_by_type', 'product_type IN (1, 2, 3, 4, 5, 6, 7, 8, 3)',
  'product', 'plain >= 0')).*;
SELECT (compare_rows('v_sub_products_by_product',
  'product_guid = ANY (ARRAY(SELECT DISTINCT key::uuid FROM truth WHERE set = ''subProduct''))',
  'subProduct', 'plain >= 0')).*;
SELECT (compare_rows('v_activity_locations',
  'business_entity_guid = ANY (ARRAY(SELECT DISTINCT key::uuid FROM truth WHERE set = ''location''))',
  'location', 'plain >= 0')).*;
SELECT t, m.* FROM (VALUES
  ('v_regions_by_country', 'country_guid = ANY (ARRAY(SELECT DISTINCT key::uuid FROM truth WHERE set = ''region''))'),
  ('v_localities_by_district', 'district_guid = ANY (ARRAY(SELECT DISTINCT key2::uuid FROM truth WHERE set = ''locality''))'),
  ('v_products_by_type', 'product_type IN (1, 2, 3, 4, 5, 6, 7, 8)'),
  ('v_activity_locations', 'business_entity_guid = ANY (ARRAY(SELECT DISTINCT key::uuid FROM truth WHERE set = ''location''))')
  ) v(t, c), column_mismatches(t::regclass, c) m;
SELECT count(*) > 0 AS requests FROM mock_requests();
-- one request per distinct key; the key column is the request's
SELECT product_type, count(*) FROM v_products_by_type
WHERE product_type IN (3, 1, 3) OR product_type = 1 GROUP BY 1 ORDER BY 1;
SELECT * FROM mock_requests() ORDER BY 1;
-- a join: one stream per key of the outer side
CREATE TEMP TABLE some_regions AS
  SELECT DISTINCT key::uuid AS guid FROM truth WHERE set = 'district' ORDER BY 1 LIMIT 3;
EXPLAIN (COSTS OFF)
SELECT r.guid, count(d.*) FROM some_regions r JOIN v_districts_by_region d ON d.region_guid = r.guid
GROUP BY 1;
SELECT (SELECT array_agg(row(r.guid, n) ORDER BY r.guid) FROM
        (SELECT r.guid, count(d.*) AS n FROM some_regions r
         JOIN v_districts_by_region d ON d.region_guid = r.guid GROUP BY 1) r) =
       (SELECT array_agg(row(r.guid, n) ORDER BY r.guid) FROM
        (SELECT r.guid, count(t.*) AS n FROM some_regions r
         JOIN truth t ON t.set = 'district' AND t.plain >= 0 AND t.key::uuid = r.guid GROUP BY 1) r)
  AS join_matches_truth;
SELECT count(*) AS requests FROM mock_requests();
-- an unknown key: Ikar says entityNotFoundFault, which is no rows
SELECT count(*) FROM v_regions_by_country WHERE country_guid = '00000000-0000-4000-8000-00000000abcd';
SELECT count(*) FROM v_streets_by_locality WHERE locality_guid IS NULL;
SELECT * FROM mock_requests() ORDER BY 1;
-- a missing key: the same ERROR as a missing packet_id, nothing is sent
SELECT * FROM v_streets_by_locality;
SELECT * FROM v_activity_locations WHERE business_entity_guid::text LIKE 'a%';
SELECT count(*) AS requests FROM mock_requests();

-- date pushdown on every *ChangesList: begin_date/end_date and update_date bounds
SELECT tbl, (compare_rows(tbl, 'update_date >= ''2023-06-01'' AND update_date < ''2023-07-01''',
  set, '(item->>''updateDate'')::timestamptz >= ''2023-06-01'' AND (item->>''updateDate'')::timestamptz < ''2023-07-01''')).*
FROM changes_sets ORDER BY tbl;
SELECT tbl, (compare_rows(tbl, 'begin_date = ''2023-06-01'' AND end_date = ''2023-06-02''',
  set, '(item->>''updateDate'')::timestamptz >= ''2023-06-01'' AND (item->>''updateDate'')::timestamptz < ''2023-06-02''')).*
FROM changes_sets ORDER BY tbl;
SELECT * FROM mock_requests() m WHERE split_part(m, ' ', 2) IN ('GetStreetChangesList', 'GetCountryChangesList')
ORDER BY 1;

-- LIMIT over update_date >= x: beginDate says it exactly, so nothing is
-- rechecked and the request asks for the LIMIT
EXPLAIN (COSTS OFF) SELECT * FROM v_purpose_changes WHERE update_date >= '2023-06-01' LIMIT 5;
SELECT array_agg(uuid) = (SELECT array_agg((item->>'uuid')::uuid ORDER BY seq) FROM
  (SELECT * FROM truth WHERE set = 'purpose' AND (item->>'updateDate')::timestamptz >= '2023-06-01'
   ORDER BY seq LIMIT 5) t) AS first_five
FROM (SELECT uuid FROM v_purpose_changes WHERE update_date >= '2023-06-01' LIMIT 5) v;
SELECT name FROM v_purpose_changes WHERE begin_date = '2023-06-01' LIMIT 2;
SELECT * FROM mock_requests() ORDER BY 1;
-- > and upper bounds stay rechecked: no LIMIT in the request
EXPLAIN (COSTS OFF) SELECT * FROM v_purpose_changes WHERE update_date > '2023-06-01' LIMIT 5;
SELECT count(*) FROM (SELECT 1 FROM v_purpose_changes WHERE update_date > '2023-06-01' LIMIT 5) v;
SELECT count(*) FROM (SELECT 1 FROM v_purpose_changes
  WHERE update_date >= '2023-06-01' AND update_date <= '2023-09-01' LIMIT 5) v;
SELECT * FROM mock_requests() ORDER BY 1;

-- paging: answers with hasMore and no total page on until hasMore is false,
-- and no further; answers with neither stop at a short page
\set hasmore :mock '/mercury/hasmore/platform/services/2.1'
\set nototals :mock '/mercury/no-totals/platform/services/2.1'
\set totalonly :mock '/mercury/total-only/platform/services/2.1'
CREATE SERVER vetis_hasmore FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'mercury', url :'hasmore', page_size '125');
CREATE SERVER vetis_nototals FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'mercury', url :'nototals', page_size '125');
CREATE SERVER vetis_totalonly FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'mercury', url :'totalonly', page_size '125');
CREATE USER MAPPING FOR CURRENT_USER SERVER vetis_hasmore
  OPTIONS (user 'test-user', password 'test-password');
CREATE USER MAPPING FOR CURRENT_USER SERVER vetis_nototals
  OPTIONS (user 'test-user', password 'test-password');
CREATE USER MAPPING FOR CURRENT_USER SERVER vetis_totalonly
  OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE hm_products (uuid uuid, begin_date timestamptz)
  SERVER vetis_hasmore OPTIONS (resource 'product_changes');
CREATE FOREIGN TABLE hm_diseases (uuid uuid, name text)
  SERVER vetis_hasmore OPTIONS (resource 'diseases');
CREATE FOREIGN TABLE nt_products (uuid uuid, begin_date timestamptz)
  SERVER vetis_nototals OPTIONS (resource 'product_changes');
CREATE FOREIGN TABLE nt_diseases (uuid uuid, name text)
  SERVER vetis_nototals OPTIONS (resource 'diseases');
CREATE FOREIGN TABLE to_diseases (uuid uuid, name text)
  SERVER vetis_totalonly OPTIONS (resource 'diseases');
-- 125 product versions: one full page, hasMore false
SELECT count(*), count(DISTINCT uuid) FROM hm_products WHERE begin_date = '2000-01-01';
SELECT * FROM mock_requests() ORDER BY 1;
-- without total or hasMore, the full page asks for one more
SELECT count(*), count(DISTINCT uuid) FROM nt_products WHERE begin_date = '2000-01-01';
SELECT * FROM mock_requests() ORDER BY 1;
-- the current diseases over pages of 125, in the three forms
SELECT count(*) AS truth FROM truth WHERE set = 'disease' AND plain >= 0;
SELECT count(*), count(DISTINCT uuid) FROM hm_diseases;
SELECT * FROM mock_requests() ORDER BY 1;
SELECT count(*), count(DISTINCT uuid) FROM nt_diseases;
SELECT * FROM mock_requests() ORDER BY 1;
SELECT count(*), count(DISTINCT uuid) FROM to_diseases;
SELECT * FROM mock_requests() ORDER BY 1;
-- LIMIT: hasMore true and enough rows: no second page
SELECT count(*) FROM (SELECT 1 FROM hm_diseases LIMIT 100) v;
SELECT * FROM mock_requests() ORDER BY 1;
-- hasMore true on short pages (half of the count asked for): the scan
-- pages on past each short page until hasMore is false, and no further
\set hmshort :mock '/mercury/hasmore-short/platform/services/2.1'
CREATE SERVER vetis_hmshort FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'mercury', url :'hmshort', page_size '125');
CREATE USER MAPPING FOR CURRENT_USER SERVER vetis_hmshort
  OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE hs_diseases (uuid uuid, name text)
  SERVER vetis_hmshort OPTIONS (resource 'diseases');
SELECT count(*) = (SELECT count(*) FROM truth WHERE set = 'disease' AND plain >= 0) AS all_rows,
       count(DISTINCT uuid) = count(*) AS distinct_rows
FROM hs_diseases;
SELECT * FROM mock_requests() ORDER BY 1;

-- url: the services base, or (today's contract) a url ending in a service:
-- then the resources of that service work, the others are an ERROR
\set dicturl :mock '/mercury/ok/DictionaryService'
\set ikarurl :mock '/mercury/ok/IkarService/'
\set baseslash :mock '/platform/services/2.1/'
CREATE SERVER vetis_dict FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url :'dicturl');
CREATE SERVER vetis_ikar FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url :'ikarurl');
CREATE SERVER vetis_slash FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url :'baseslash');
CREATE USER MAPPING FOR CURRENT_USER SERVER vetis_dict
  OPTIONS (user 'test-user', password 'test-password');
CREATE USER MAPPING FOR CURRENT_USER SERVER vetis_ikar
  OPTIONS (user 'test-user', password 'test-password');
CREATE USER MAPPING FOR CURRENT_USER SERVER vetis_slash
  OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE d_units (name text) SERVER vetis_dict OPTIONS (resource 'units');
CREATE FOREIGN TABLE d_purposes (name text, update_date timestamptz) SERVER vetis_dict OPTIONS (resource 'purpose_changes');
CREATE FOREIGN TABLE d_products (name text, update_date timestamptz) SERVER vetis_dict OPTIONS (resource 'product_changes');
CREATE FOREIGN TABLE i_countries (name text) SERVER vetis_ikar OPTIONS (resource 'countries');
CREATE FOREIGN TABLE i_units (name text, begin_date timestamptz) SERVER vetis_ikar OPTIONS (resource 'unit_changes');
CREATE FOREIGN TABLE s_countries (name text) SERVER vetis_slash OPTIONS (resource 'countries');
SELECT count(*) FROM d_units;
SELECT count(*) FROM d_purposes WHERE update_date >= '2024-01-01';
SELECT count(*) FROM i_countries;
SELECT count(*) FROM s_countries;
SELECT * FROM d_products WHERE update_date >= '2024-01-01';
SELECT * FROM i_units WHERE begin_date = '2024-01-01';
SELECT regexp_replace(m, 'count=.*', '') FROM mock_requests() m ORDER BY 1;
