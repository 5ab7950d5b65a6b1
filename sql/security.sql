-- Security: who may change what, where requests may go, TLS, redirects,
-- hostile XML, what the SOAP request can contain, secrets in messages.
\set VERBOSITY default
\set SHOW_CONTEXT never
\set ON_ERROR_STOP 0
\getenv mock MOCK_URL
\getenv tls MOCK_TLS_URL
\getenv cafile MOCK_TLS_CA
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

-- paged_fdw.allowed_hosts cannot be set by a non-superuser even before the
-- library is loaded: the placeholder is refused when the setting is defined.
-- (This must come first: nothing has loaded paged_fdw in this session yet.)
CREATE ROLE regress_paged_user;
SET SESSION AUTHORIZATION regress_paged_user;
SET paged_fdw.allowed_hosts = 'evil.example';
RESET SESSION AUTHORIZATION;
LOAD 'paged_fdw';
SHOW paged_fdw.allowed_hosts;
-- and once it is loaded, SET is refused outright
SET SESSION AUTHORIZATION regress_paged_user;
SET paged_fdw.allowed_hosts = '';
\echo SQLSTATE :SQLSTATE
RESET SESSION AUTHORIZATION;
-- so is raising the memory one Diadoc page may decode to (issue 16)
SHOW paged_fdw.max_decoded_size;
SET SESSION AUTHORIZATION regress_paged_user;
SET paged_fdw.max_decoded_size = '4GB';
\echo SQLSTATE :SQLSTATE
RESET SESSION AUTHORIZATION;

CREATE TEMP TABLE mock_log_buf (line text);
CREATE FUNCTION sec_mock_get(path text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE mock_log_buf;
  EXECUTE format('COPY mock_log_buf FROM PROGRAM %L',
                 'curl -s ' || current_setting('paged.mock') || path);
  RETURN QUERY SELECT line FROM mock_log_buf;
END $$;
CREATE FUNCTION sec_requests() RETURNS SETOF text LANGUAGE sql
  AS $$ SELECT * FROM sec_mock_get('/_log') $$;
SELECT set_config('paged.mock', :'mock', false) IS NOT NULL AS ok;
SELECT count(*) >= 0 AS cleared FROM sec_requests();

-- Run a query; report its SQLSTATE, message and detail instead of failing.
CREATE FUNCTION sec_try(q text, OUT state text, OUT message text, OUT detail text)
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  state := '00000';
  message := 'ok';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                          detail = PG_EXCEPTION_DETAIL;
END $$;

-- =====================================================================
-- Nothing is granted to PUBLIC, and nobody needs it
-- =====================================================================
SELECT fdwname,
       fdwacl IS NULL OR NOT EXISTS (SELECT 1 FROM aclexplode(fdwacl) a WHERE a.grantee = 0) AS public_has_no_usage
FROM pg_foreign_data_wrapper WHERE fdwname = 'paged_fdw';
SELECT p.proname,
       p.proacl IS NOT NULL AND
       NOT EXISTS (SELECT 1 FROM aclexplode(p.proacl) a WHERE a.grantee = 0) AS public_cannot_execute
FROM pg_proc p WHERE p.proname IN ('paged_fdw_handler', 'paged_fdw_validator') ORDER BY 1;

-- a role with USAGE on a server (not on the wrapper) and its own mapping
-- can use it: the handler and validator need no EXECUTE privilege
\set durl :mock '/diadoc/ok'
CREATE SERVER sec_diadoc FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', api_version 'legacy', url :'durl', box_id 'box-1');
CREATE FOREIGN TABLE sec_docs (packet_id text, entity_id text)
  SERVER sec_diadoc OPTIONS (resource 'docflows_by_packet');
GRANT USAGE ON FOREIGN SERVER sec_diadoc TO regress_paged_user;
GRANT SELECT ON sec_docs TO regress_paged_user;
SET ROLE regress_paged_user;
CREATE USER MAPPING FOR CURRENT_USER SERVER sec_diadoc
  OPTIONS (client_id 'test-client', token 'test-token');
SELECT entity_id FROM sec_docs WHERE packet_id = 'p2' ORDER BY 1;
-- but it cannot create servers, so it cannot point requests anywhere
CREATE SERVER sec_evil FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url 'http://169.254.169.254/');
\echo SQLSTATE :SQLSTATE
-- and it cannot read another user's mapping options
RESET ROLE;
CREATE USER MAPPING FOR CURRENT_USER SERVER sec_diadoc
  OPTIONS (client_id 'test-client', token 'test-token');
SET ROLE regress_paged_user;
SELECT usename = current_user AS own, umoptions IS NULL AS hidden
FROM pg_user_mappings WHERE srvname = 'sec_diadoc' ORDER BY 1;
RESET ROLE;
SELECT * FROM sec_requests();

-- =====================================================================
-- Option values that reach a URL or a header: checked at CREATE/ALTER
-- =====================================================================
CREATE SERVER sec_opt FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url 'https://h/');
ALTER SERVER sec_opt OPTIONS (SET url E'https://h/\r\nX-Injected: 1');
\echo SQLSTATE :SQLSTATE
ALTER SERVER sec_opt OPTIONS (SET url E'https://h/\tx');
\echo SQLSTATE :SQLSTATE
ALTER SERVER sec_opt OPTIONS (SET url 'https://h/a b');
\echo SQLSTATE :SQLSTATE
ALTER SERVER sec_opt OPTIONS (SET url 'file:///etc/passwd');
\echo SQLSTATE :SQLSTATE
ALTER SERVER sec_opt OPTIONS (SET url 'gopher://h/');
\echo SQLSTATE :SQLSTATE
ALTER SERVER sec_opt OPTIONS (SET url 'https://user@h/');
\echo SQLSTATE :SQLSTATE
ALTER SERVER sec_opt OPTIONS (ADD box_id E'b\u007f');
\echo SQLSTATE :SQLSTATE
ALTER SERVER sec_opt OPTIONS (ADD ca_file E'/tmp/x\n');
\echo SQLSTATE :SQLSTATE
ALTER SERVER sec_opt OPTIONS (SET url 'HTTPS://h/ok');
CREATE USER MAPPING FOR CURRENT_USER SERVER sec_opt OPTIONS (user 'u', password 'p');
ALTER USER MAPPING FOR CURRENT_USER SERVER sec_opt OPTIONS (SET user E'u\r\nX: 1');
\echo SQLSTATE :SQLSTATE
ALTER USER MAPPING FOR CURRENT_USER SERVER sec_opt OPTIONS (SET user 'u:v');
\echo SQLSTATE :SQLSTATE
ALTER USER MAPPING FOR CURRENT_USER SERVER sec_opt OPTIONS (SET password E'SEKRIT\r\n');
\echo SQLSTATE :SQLSTATE
ALTER USER MAPPING FOR CURRENT_USER SERVER sec_opt OPTIONS (ADD client_id 'a,ddauth_token=b');
\echo SQLSTATE :SQLSTATE
ALTER USER MAPPING FOR CURRENT_USER SERVER sec_opt OPTIONS (ADD token 'SEKRIT,x');
\echo SQLSTATE :SQLSTATE
CREATE FOREIGN TABLE sec_opt_t (name text OPTIONS (column_name E'name\n')) SERVER sec_opt
  OPTIONS (resource 'unit_changes');
\echo SQLSTATE :SQLSTATE
-- secrets only in user mappings, whatever the object
CREATE FOREIGN TABLE sec_opt_t (name text OPTIONS (password 'SEKRIT')) SERVER sec_opt
  OPTIONS (resource 'unit_changes');
\echo SQLSTATE :SQLSTATE
ALTER SERVER sec_opt OPTIONS (ADD login 'SEKRIT');
\echo SQLSTATE :SQLSTATE
ALTER FOREIGN DATA WRAPPER paged_fdw OPTIONS (ADD token 'SEKRIT');
\echo SQLSTATE :SQLSTATE
DROP SERVER sec_opt CASCADE;

-- =====================================================================
-- Redirects are never followed
-- =====================================================================
\set rfile :mock '/diadoc/redirect-file'
\set rhost :mock '/diadoc/redirect-host'
\set mrfile :mock '/mercury/redirect-file'
CREATE SERVER sec_rfile FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url :'rfile', box_id 'box-1');
CREATE SERVER sec_rhost FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url :'rhost', box_id 'box-1');
CREATE SERVER sec_mrfile FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url :'mrfile');
CREATE USER MAPPING FOR CURRENT_USER SERVER sec_rfile OPTIONS (client_id 'test-client', token 'test-token');
CREATE USER MAPPING FOR CURRENT_USER SERVER sec_rhost OPTIONS (client_id 'test-client', token 'test-token');
CREATE USER MAPPING FOR CURRENT_USER SERVER sec_mrfile OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE sec_rfile_t (packet_id text, entity_id text) SERVER sec_rfile OPTIONS (resource 'docflows_by_packet');
CREATE FOREIGN TABLE sec_rhost_t (packet_id text, entity_id text) SERVER sec_rhost OPTIONS (resource 'docflows_by_packet');
CREATE FOREIGN TABLE sec_mrfile_t (name text, begin_date timestamptz) SERVER sec_mrfile OPTIONS (resource 'unit_changes');
SELECT * FROM sec_rfile_t WHERE packet_id = 'p1';
\echo SQLSTATE :SQLSTATE
SELECT * FROM sec_mrfile_t WHERE begin_date = '2024-01-01';
\echo SQLSTATE :SQLSTATE
-- a redirect to the very same server under another name: one request only
SELECT * FROM sec_rhost_t WHERE packet_id = 'p1';
\echo SQLSTATE :SQLSTATE
SELECT * FROM sec_requests();

-- =====================================================================
-- TLS: verified by default, against ca_file when given
-- =====================================================================
\set tdurl :tls '/diadoc/ok'
SELECT regexp_replace(:'tls', '127\.0\.0\.1', 'localhost') || '/diadoc/ok' AS tdurl_name \gset
CREATE SERVER sec_tls FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url :'tdurl', box_id 'box-1');
CREATE USER MAPPING FOR CURRENT_USER SERVER sec_tls OPTIONS (client_id 'test-client', token 'test-token');
CREATE FOREIGN TABLE sec_tls_t (packet_id text, entity_id text) SERVER sec_tls OPTIONS (resource 'docflows_by_packet');
-- a self-signed certificate is refused
SELECT * FROM sec_tls_t WHERE packet_id = 'p2';
\echo SQLSTATE :SQLSTATE
-- accepted with the certificate as CA
ALTER SERVER sec_tls OPTIONS (ADD ca_file :'cafile');
SELECT * FROM sec_tls_t WHERE packet_id = 'p2' ORDER BY 2;
-- and refused again once the CA is dropped: the verified connection is not reused
ALTER SERVER sec_tls OPTIONS (DROP ca_file);
SELECT * FROM sec_tls_t WHERE packet_id = 'p2';
\echo SQLSTATE :SQLSTATE
-- the host name is verified too: the certificate is for 127.0.0.1 only
ALTER SERVER sec_tls OPTIONS (SET url :'tdurl_name', ADD ca_file :'cafile');
SELECT * FROM sec_tls_t WHERE packet_id = 'p2';
\echo SQLSTATE :SQLSTATE
-- a missing CA file
ALTER SERVER sec_tls OPTIONS (SET url :'tdurl', SET ca_file '/nonexistent/ca.pem');
SELECT * FROM sec_tls_t WHERE packet_id = 'p2';
\echo SQLSTATE :SQLSTATE
-- a superuser may turn verification off
ALTER SERVER sec_tls OPTIONS (DROP ca_file, ADD ssl_verify 'false');
SELECT * FROM sec_tls_t WHERE packet_id = 'p2' ORDER BY 2;
-- a non-superuser may neither turn it off nor name a CA file
GRANT USAGE ON FOREIGN DATA WRAPPER paged_fdw TO regress_paged_user;
SET ROLE regress_paged_user;
CREATE SERVER sec_tls2 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url :'tdurl', ssl_verify 'off');
\echo SQLSTATE :SQLSTATE
CREATE SERVER sec_tls2 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url :'tdurl', ca_file :'cafile');
\echo SQLSTATE :SQLSTATE
RESET ROLE;
REVOKE USAGE ON FOREIGN DATA WRAPPER paged_fdw FROM regress_paged_user;

-- =====================================================================
-- paged_fdw.allowed_hosts
-- =====================================================================
SELECT split_part(:'mock', ':', 3) AS port \gset
SELECT 'http://2130706433:' || :'port' || '/diadoc/ok' AS durl_num,
       'http://0x7f.1:' || :'port' || '/diadoc/ok' AS durl_hex \gset
SHOW paged_fdw.allowed_hosts;
SET paged_fdw.allowed_hosts = 'example.com, *.kontur.ru:443, [::1]:8080';
SET paged_fdw.allowed_hosts = 'example.com,,x';
\echo SQLSTATE :SQLSTATE
SET paged_fdw.allowed_hosts = 'exa mple.com';
\echo SQLSTATE :SQLSTATE
SET paged_fdw.allowed_hosts = 'example.com:99999';
\echo SQLSTATE :SQLSTATE
SET paged_fdw.allowed_hosts = 'foo.*.com';
\echo SQLSTATE :SQLSTATE
SET paged_fdw.allowed_hosts = '[::g]';
\echo SQLSTATE :SQLSTATE
SHOW paged_fdw.allowed_hosts;
-- a server whose user mapping obtains a token, made while anything goes
RESET paged_fdw.allowed_hosts;
CREATE SERVER sec_login FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url :'durl', box_id 'box-1');
CREATE USER MAPPING FOR CURRENT_USER SERVER sec_login
  OPTIONS (client_id 'test-client', login 'test-login', password 'test-password');
CREATE FOREIGN TABLE sec_login_t (packet_id text, entity_id text) SERVER sec_login OPTIONS (resource 'docflows_by_packet');
-- a trailing comma is harmless
SET paged_fdw.allowed_hosts = 'example.com, *.kontur.ru:443, [::1]:8080,';

-- requests to a host not listed are refused before anything is sent
SELECT * FROM sec_docs WHERE packet_id = 'p1';
\echo SQLSTATE :SQLSTATE
SELECT * FROM sec_requests();
-- also at CREATE and ALTER SERVER
CREATE SERVER sec_hosts FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url :'durl');
\echo SQLSTATE :SQLSTATE
CREATE SERVER sec_hosts FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url 'https://diadoc-api.kontur.ru');
ALTER SERVER sec_hosts OPTIONS (SET url 'https://kontur.ru');
\echo SQLSTATE :SQLSTATE
ALTER SERVER sec_hosts OPTIONS (SET url 'https://evil-kontur.ru');
\echo SQLSTATE :SQLSTATE
ALTER SERVER sec_hosts OPTIONS (SET url 'https://diadoc-api.kontur.ru:8443');
\echo SQLSTATE :SQLSTATE
ALTER SERVER sec_hosts OPTIONS (SET url 'http://diadoc-api.kontur.ru');
\echo SQLSTATE :SQLSTATE
ALTER SERVER sec_hosts OPTIONS (SET url 'https://DIADOC-API.Kontur.RU./');
ALTER SERVER sec_hosts OPTIONS (SET url 'http://[::1]:8080/x');
ALTER SERVER sec_hosts OPTIONS (SET url 'http://[0:0::1]:8080/x');
ALTER SERVER sec_hosts OPTIONS (SET url 'http://[::1]/x');
\echo SQLSTATE :SQLSTATE
DROP SERVER sec_hosts;
-- the host as curl will use it: other spellings of 127.0.0.1 are 127.0.0.1
CREATE SERVER sec_hex FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url :'durl_hex');
\echo SQLSTATE :SQLSTATE
-- the check is made again for every request, so a server created while
-- the host was allowed is refused once it no longer is
SET paged_fdw.allowed_hosts = '127.0.0.1';
CREATE SERVER sec_num FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url :'durl_num', box_id 'box-1');
CREATE USER MAPPING FOR CURRENT_USER SERVER sec_num OPTIONS (client_id 'test-client', token 'test-token');
CREATE FOREIGN TABLE sec_num_t (packet_id text, entity_id text) SERVER sec_num OPTIONS (resource 'docflows_by_packet');
SELECT entity_id FROM sec_num_t WHERE packet_id = 'p1';
SELECT set_config('paged_fdw.allowed_hosts', '127.0.0.1:' || :'port', false);
SELECT entity_id FROM sec_num_t WHERE packet_id = 'p1';
SET paged_fdw.allowed_hosts = '127.0.0.1:1, localhost';
SELECT entity_id FROM sec_num_t WHERE packet_id = 'p1';
\echo SQLSTATE :SQLSTATE
SELECT * FROM sec_requests();
-- the token request of a login mapping is checked as well
SET paged_fdw.allowed_hosts = 'example.com';
SELECT * FROM sec_login_t WHERE packet_id = 'p1';
\echo SQLSTATE :SQLSTATE
SELECT * FROM sec_requests();
RESET paged_fdw.allowed_hosts;
SELECT entity_id FROM sec_login_t WHERE packet_id = 'p1';
SELECT * FROM sec_requests();
DROP SERVER sec_num CASCADE;
DROP SERVER sec_login CASCADE;

-- =====================================================================
-- Hostile XML: no DTD, no entity is expanded or fetched
-- =====================================================================
-- a local file the entity names (the canary must never show up)
SELECT '/tmp/paged_fdw_xxe_canary_' || pg_backend_pid() AS canary \gset
COPY (SELECT 'XXE-CANARY-4242') TO :'canary';
SELECT set_config('paged.canary', :'canary', false) IS NOT NULL AS ok;
CREATE FUNCTION mercury_table(name text, scenario text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE SERVER %I FOREIGN DATA WRAPPER paged_fdw OPTIONS (api %L, url %L)',
                 name, 'mercury', current_setting('paged.mock') || '/mercury/' || scenario);
  EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER %I OPTIONS (user %L, password %L)',
                 name, 'test-user', 'test-password');
  EXECUTE format('CREATE FOREIGN TABLE %I (uuid uuid, name text, begin_date timestamptz) SERVER %I OPTIONS (resource %L)',
                 name || '_t', name, 'unit_changes');
END $$;
SELECT mercury_table('xxe_file', 'xxe?target=file://' || current_setting('paged.canary'));
SELECT mercury_table('xxe_net', 'xxe?target=' || current_setting('paged.mock') || '/_probe/xxe');
SELECT mercury_table('xxe_param', 'xxe-param?target=' || current_setting('paged.mock') || '/_probe/param');
SELECT mercury_table('xxe_utf16', 'xxe-utf16?target=file://' || current_setting('paged.canary'));
SELECT mercury_table('laughs', 'laughs');
SELECT * FROM sec_mock_get('/_probes');
SELECT * FROM xxe_file_t WHERE begin_date = '2024-01-01';
\echo SQLSTATE :SQLSTATE
SELECT * FROM xxe_net_t WHERE begin_date = '2024-01-01';
\echo SQLSTATE :SQLSTATE
SELECT * FROM xxe_param_t WHERE begin_date = '2024-01-01';
\echo SQLSTATE :SQLSTATE
SELECT * FROM xxe_utf16_t WHERE begin_date = '2024-01-01';
\echo SQLSTATE :SQLSTATE
-- nothing connected to the probe; a fetch of it would have counted
SELECT * FROM sec_mock_get('/_probes');
SELECT count(*) FROM sec_mock_get('/_probe/control');
SELECT * FROM sec_mock_get('/_probes');
\set rmcanary 'rm -f ' :canary
COPY (SELECT 1) TO PROGRAM :'rmcanary';
-- billion laughs: a fast ERROR, and the backend's peak memory stays put
CREATE FUNCTION backend_peak_kb() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE mock_log_buf;
  EXECUTE format('COPY mock_log_buf FROM PROGRAM %L',
                 format('awk ''/^VmHWM:/ { print $2 }'' /proc/%s/status', pg_backend_pid()));
  RETURN (SELECT line::bigint FROM mock_log_buf);
END $$;
SELECT backend_peak_kb() AS peak_before \gset
SELECT clock_timestamp() AS t0 \gset
SELECT * FROM sec_try('SELECT * FROM laughs_t WHERE begin_date = ''2024-01-01''');
SELECT clock_timestamp() - :'t0'::timestamptz < interval '2 s' AS fast,
       backend_peak_kb() - :peak_before < 20000 AS memory_small;
SELECT * FROM sec_requests();
DROP SERVER xxe_file CASCADE;
DROP SERVER xxe_net CASCADE;
DROP SERVER xxe_param CASCADE;
DROP SERVER xxe_utf16 CASCADE;
DROP SERVER laughs CASCADE;

-- =====================================================================
-- The SOAP request holds nothing but formatted numbers and timestamps
-- =====================================================================
\set murl :mock '/mercury/ok'
CREATE SERVER sec_merc FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url :'murl');
CREATE USER MAPPING FOR CURRENT_USER SERVER sec_merc OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE sec_merc_t (name text, update_date timestamptz, begin_date timestamptz, end_date timestamptz)
  SERVER sec_merc OPTIONS (resource 'unit_changes');
-- the raw body of the last Mercury request, byte for byte
CREATE FUNCTION last_soap() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE mock_log_buf;
  EXECUTE format('COPY mock_log_buf FROM PROGRAM %L',
                 'curl -s ' || current_setting('paged.mock') || '/_last-body | base64 -w0');
  RETURN (SELECT convert_from(decode(line, 'base64'), 'UTF8') FROM mock_log_buf);
END $$;
-- every text node of the body, with a verdict: well-formed, and each value
-- a plain number or xs:dateTime
CREATE FUNCTION soap_values(OUT well_formed boolean, OUT element text, OUT value text, OUT plain boolean)
RETURNS SETOF record LANGUAGE plpgsql AS $$
DECLARE
  b text := last_soap();
BEGIN
  well_formed := xml_is_well_formed_document(b);
  IF NOT well_formed THEN
    RETURN NEXT;
    RETURN;
  END IF;
  -- every element without child elements, in document order
  FOR element, value IN
    SELECT x.name, x.val
    FROM XMLTABLE('//*[not(*)]' PASSING CAST(b AS xml)
                  COLUMNS name text PATH 'name()', val text PATH 'string(.)') x
  LOOP
    plain := value ~ '^(\d+|\d{4,6}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z|)$';
    RETURN NEXT;
  END LOOP;
END $$;
-- year 1 and year 9999, with microseconds
SELECT count(*) FROM (SELECT name FROM sec_merc_t
  WHERE begin_date = '0001-01-01 00:00:00+00' AND end_date = '9999-12-31 23:59:59.999999+00' LIMIT 1) s;
SELECT * FROM soap_values();
-- -infinity and dates BC start at year 1; +infinity as the end is no end
SELECT count(*) FROM (SELECT name FROM sec_merc_t
  WHERE begin_date = '-infinity' AND end_date = 'infinity' LIMIT 1) s;
SELECT * FROM soap_values();
SELECT count(*) FROM (SELECT name FROM sec_merc_t WHERE begin_date = '0044-03-15 BC' LIMIT 1) s;
SELECT * FROM soap_values();
-- microseconds; <= is sent as the next microsecond
SELECT count(*) FROM sec_merc_t
  WHERE update_date > '2024-01-01 00:00:00.000001+03' AND update_date <= '2024-01-01 00:30:00.123456+03';
SELECT * FROM soap_values();
-- the last year timestamptz can hold (the mock refuses years beyond 9999)
SELECT * FROM sec_merc_t WHERE begin_date = '294276-12-31 23:59:59.999999+00';
\echo SQLSTATE :SQLSTATE
SELECT * FROM soap_values();
-- +infinity as the start: nothing can match, nothing is sent
SELECT count(*) FROM sec_merc_t WHERE begin_date = 'infinity';
SELECT * FROM sec_requests();

-- =====================================================================
-- A server that quotes the credentials back: they are redacted
-- =====================================================================
\set echod :mock '/diadoc/echo-auth'
\set echom :mock '/mercury/echo-auth'
CREATE SERVER sec_echo_d FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url :'echod', box_id 'box-1');
CREATE SERVER sec_echo_m FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url :'echom');
CREATE USER MAPPING FOR CURRENT_USER SERVER sec_echo_d
  OPTIONS (client_id 'test-client', token 'SEKRIT-ECHO-TOKEN');
CREATE USER MAPPING FOR CURRENT_USER SERVER sec_echo_m
  OPTIONS (user 'test-user', password 'SEKRIT-ECHO-PASSWORD');
CREATE FOREIGN TABLE sec_echo_d_t (packet_id text, entity_id text) SERVER sec_echo_d OPTIONS (resource 'docflows_by_packet');
CREATE FOREIGN TABLE sec_echo_m_t (name text, begin_date timestamptz) SERVER sec_echo_m OPTIONS (resource 'unit_changes');
SELECT * FROM sec_echo_d_t WHERE packet_id = 'p1';
\echo SQLSTATE :SQLSTATE
SELECT * FROM sec_echo_m_t WHERE begin_date = '2024-01-01';
\echo SQLSTATE :SQLSTATE
ALTER USER MAPPING FOR CURRENT_USER SERVER sec_echo_d
  OPTIONS (DROP token, ADD login 'SEKRIT-ECHO-LOGIN', ADD password 'SEKRIT-ECHO-PASSWORD');
SELECT * FROM sec_echo_d_t WHERE packet_id = 'p1';
\echo SQLSTATE :SQLSTATE
SELECT * FROM sec_requests();
DROP SERVER sec_echo_d CASCADE;
DROP SERVER sec_echo_m CASCADE;

-- =====================================================================
-- Quoted server text: the secrets are redacted from the whole text first,
-- then it is cut and escaped (issue 16).  sec_shows() is true if any five
-- bytes of the secret, as sent or as an excerpt escapes it (\x5C, \xNN),
-- appear, or a piece of it stands at a cut ("SEKR..." or "...0815").
-- =====================================================================
CREATE FUNCTION sec_shows(t text, secret text) RETURNS bool LANGUAGE plpgsql AS $$
DECLARE
  b bytea := convert_to(secret, current_setting('server_encoding'));
  esc text := '';
  f text;
  i int;
BEGIN
  IF t IS NULL THEN
    RETURN false;
  END IF;
  FOR i IN 0 .. length(b) - 1 LOOP
    IF get_byte(b, i) BETWEEN 32 AND 126 AND get_byte(b, i) <> 92 THEN
      esc := esc || chr(get_byte(b, i));
    ELSE
      esc := esc || '\x' || upper(lpad(to_hex(get_byte(b, i)), 2, '0'));
    END IF;
  END LOOP;
  FOREACH f IN ARRAY ARRAY[secret, esc] LOOP
    FOR i IN 1 .. length(f) - 4 LOOP
      IF strpos(t, substr(f, i, 5)) > 0 THEN
        RETURN true;
      END IF;
    END LOOP;
    FOR i IN 1 .. length(f) - 1 LOOP
      IF strpos(t, left(f, i) || '...') > 0 OR strpos(t, '...' || right(f, i)) > 0 THEN
        RETURN true;
      END IF;
    END LOOP;
  END LOOP;
  RETURN false;
END $$;
-- the check of the check: each of these shows the secret
SELECT sec_shows('it is SEKRIT here', E'SEKRIT\\pw') AS whole,
       sec_shows('x: "...T\x5Cpw"', E'SEKRIT\\pw') AS escaped_tail,
       sec_shows('x: "abc SEK..."', E'SEKRIT\\pw') AS cut_head,
       sec_shows('x: "...w"', E'SEKRIT\\pw') AS cut_tail,
       sec_shows('x: "[redacted]"', E'SEKRIT\\pw') AS redacted;
-- run q against server srv with url MOCK/api/SCENARIO-N for each N
CREATE FUNCTION sec_sweep(srv text, api text, scenario text, ns int[], q text, secrets text[])
RETURNS TABLE (n int, state text, shows_secret bool, redacted bool) LANGUAGE plpgsql AS $$
DECLARE
  r record;
  t text;
  s text;
BEGIN
  FOREACH n IN ARRAY ns LOOP
    EXECUTE format('ALTER SERVER %I OPTIONS (SET url %L)', srv,
                   current_setting('paged.mock') || '/' || api || '/' || scenario || '-' || n);
    SELECT * INTO r FROM sec_try(q);
    state := r.state;
    t := coalesce(r.message, '') || ' ' || coalesce(r.detail, '');
    shows_secret := false;
    FOREACH s IN ARRAY secrets LOOP
      shows_secret := shows_secret OR sec_shows(t, s);
    END LOOP;
    redacted := strpos(t, '[redacted]') > 0;
    RETURN NEXT;
  END LOOP;
END $$;

-- a proxy's debug page (200 text/html) echoing the request headers: the
-- Basic password, its base64 form, the DiadocAuth client id and token
\set hd :mock '/diadoc/echo-html'
\set hm :mock '/mercury/echo-html'
CREATE SERVER sec_html_d FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url :'hd', box_id 'box-1');
CREATE SERVER sec_html_m FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url :'hm');
CREATE USER MAPPING FOR CURRENT_USER SERVER sec_html_d
  OPTIONS (client_id 'SEKRIT-CLIENT-ID-42', token 'SEKRIT-HTML-TOKEN-4711');
CREATE USER MAPPING FOR CURRENT_USER SERVER sec_html_m
  OPTIONS (user 'test-user', password E'SEKRIT\\pw&<html>-0815');
CREATE FOREIGN TABLE sec_html_d_t (packet_id text, status text) SERVER sec_html_d OPTIONS (resource 'docflows_by_packet');
CREATE FOREIGN TABLE sec_html_m_t (uuid uuid, name text, begin_date timestamptz) SERVER sec_html_m OPTIONS (resource 'unit_changes');
SELECT * FROM sec_try($$SELECT * FROM sec_html_d_t WHERE packet_id = 'p1'$$);
SELECT * FROM sec_try($$SELECT * FROM sec_html_m_t WHERE begin_date = '2024-01-01'$$);
SELECT sec_shows(detail, 'SEKRIT-CLIENT-ID-42') OR sec_shows(detail, 'SEKRIT-HTML-TOKEN-4711') AS shows_diadoc,
       strpos(detail, '[redacted]') > 0 AS redacted
FROM sec_try($$SELECT * FROM sec_html_d_t WHERE packet_id = 'p1'$$);
SELECT sec_shows(detail, E'SEKRIT\\pw&<html>-0815') OR sec_shows(detail, E'SEKRIT\\pw&amp;&lt;html&gt;-0815') OR
       -- the base64 of test-user:SEKRIT\pw&<html>-0815, as the Basic header has it
       strpos(detail, encode(convert_to(E'test-user:SEKRIT\\pw&<html>-0815', 'UTF8'), 'base64')) > 0 AS shows_mercury
FROM sec_try($$SELECT * FROM sec_html_m_t WHERE begin_date = '2024-01-01'$$);

-- the secret moved across every cut point: the 200-character faultstring,
-- the 40-byte attribute, the 60-character value, the window around a bad
-- byte (48 bytes before, 24 after), Diadoc's 40-byte window
CREATE SERVER sec_cut_m FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url :'hm', max_retries '0');
CREATE SERVER sec_cut_d FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url :'hd', box_id 'box-1');
CREATE USER MAPPING FOR CURRENT_USER SERVER sec_cut_m
  OPTIONS (user 'test-user', password E'SEKRIT\\pw-\u00c4\u00f6-0815');
CREATE USER MAPPING FOR CURRENT_USER SERVER sec_cut_d
  OPTIONS (client_id 'test-client', token 'SEKRIT-CUT-TOKEN-4711');
CREATE FOREIGN TABLE sec_cut_m_t (uuid uuid, name text, begin_date timestamptz) SERVER sec_cut_m OPTIONS (resource 'unit_changes');
CREATE FOREIGN TABLE sec_cut_d_t (packet_id text, status text) SERVER sec_cut_d OPTIONS (resource 'docflows_by_packet');
SELECT * FROM sec_sweep('sec_cut_m', 'mercury', 'echo-fault', '{0,180,185,190,195,199,200,201}',
  $$SELECT * FROM sec_cut_m_t WHERE begin_date = '2024-01-01'$$, ARRAY[E'SEKRIT\\pw-\u00c4\u00f6-0815']);
SELECT * FROM sec_sweep('sec_cut_m', 'mercury', 'echo-attr', '{0,20,25,30,35,39,40}',
  $$SELECT * FROM sec_cut_m_t WHERE begin_date = '2024-01-01'$$, ARRAY[E'SEKRIT\\pw-\u00c4\u00f6-0815']);
SELECT * FROM sec_sweep('sec_cut_m', 'mercury', 'echo-value', '{0,40,45,50,55,59,60}',
  $$SELECT * FROM sec_cut_m_t WHERE begin_date = '2024-01-01'$$, ARRAY[E'SEKRIT\\pw-\u00c4\u00f6-0815']);
SELECT * FROM sec_sweep('sec_cut_m', 'mercury', 'echo-xmlerr', '{10,20,28,32,36,40,44,48,60}',
  $$SELECT * FROM sec_cut_m_t WHERE begin_date = '2024-01-01'$$, ARRAY[E'SEKRIT\\pw-\u00c4\u00f6-0815']);
SELECT * FROM sec_sweep('sec_cut_d', 'diadoc', 'echo-utf8', '{0,4,8,12,16,20,24,30,40}',
  $$SELECT * FROM sec_cut_d_t WHERE packet_id = 'p1'$$, ARRAY['SEKRIT-CUT-TOKEN-4711']);
-- what such a quote looks like
ALTER SERVER sec_cut_m OPTIONS (SET url :'hm');
\set xm :mock '/mercury/echo-xmlerr-40'
ALTER SERVER sec_cut_m OPTIONS (SET url :'xm');
SELECT state, detail FROM sec_try($$SELECT * FROM sec_cut_m_t WHERE begin_date = '2024-01-01'$$);
DROP SERVER sec_html_d CASCADE;
DROP SERVER sec_html_m CASCADE;
DROP SERVER sec_cut_d CASCADE;

-- a page with more documents than Count asked for is refused before it
-- is decoded (the mock sends each of the 100 documents twice)
\set xd :mock '/diadoc/extra-docs'
CREATE SERVER sec_extra FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url :'xd', box_id 'box-1');
CREATE USER MAPPING FOR CURRENT_USER SERVER sec_extra OPTIONS (client_id 'test-client', token 'test-token');
CREATE FOREIGN TABLE sec_extra_t (packet_id text, entity_id text) SERVER sec_extra OPTIONS (resource 'docflows_by_packet');
SELECT count(*) FROM sec_extra_t WHERE packet_id = 'p250';
\echo SQLSTATE :SQLSTATE
DROP SERVER sec_extra CASCADE;

-- =====================================================================
-- The scanner is only ever stricter than libxml2: a page of 1000 units is
-- read the same way with LF line ends (the scanner reads it) and CR LF
-- (left to libxml2): a 10.2 MB one refused both times, since libxml2 reads
-- no document over 10,000,000 bytes, an 8.9 MB one read both times
-- =====================================================================
CREATE SERVER sec_pad FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url :'hm', page_size '1000', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER sec_pad OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE sec_pad_t (name text, full_name text, begin_date timestamptz, end_date timestamptz)
  SERVER sec_pad OPTIONS (resource 'unit_changes');
CREATE FUNCTION sec_pad_read(scen text, OUT page text, OUT state text, OUT units bigint, OUT bytes bigint, OUT detail text)
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER SERVER sec_pad OPTIONS (SET url %L)',
                 current_setting('paged.mock') || '/mercury/' || scen);
  page := scen;
  SELECT count(*), sum(octet_length(full_name)) INTO units, bytes FROM sec_pad_t
  WHERE begin_date = '2024-01-01 00:00+03' AND end_date = '2024-01-07 22:40+03';
  state := '00000';
EXCEPTION WHEN OTHERS THEN
  page := scen;
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, detail = PG_EXCEPTION_DETAIL;
END $$;
SELECT * FROM sec_pad_read('padded-9600') UNION ALL SELECT * FROM sec_pad_read('padded-crlf-9600');
SELECT * FROM sec_pad_read('padded-8000') UNION ALL SELECT * FROM sec_pad_read('padded-crlf-8000');
DROP SERVER sec_pad CASCADE;

-- the same in a LATIN1 database: the password's non-ASCII bytes are sent
-- as they are stored, so the echo is not UTF-8 and every answer is an XML
-- error quoting the bytes around it, escaped (\xC4) after the redaction
SELECT current_database() AS sec_regdb \gset
SELECT string_agg(pg_get_functiondef(oid), '@@@') AS sec_defs FROM pg_proc
WHERE proname IN ('sec_try', 'sec_shows', 'sec_sweep') \gset
CREATE DATABASE sec_latin1 TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C';
\c sec_latin1
SET client_min_messages = warning;
CREATE EXTENSION paged_fdw;
SELECT set_config('paged.mock', :'mock', false) IS NOT NULL AS ok;
SELECT unnest(string_to_array(:'sec_defs', '@@@')) \gexec
CREATE SERVER sec_cut_m FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url :'hm', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER sec_cut_m
  OPTIONS (user 'test-user', password E'SEKRIT\\pw-\u00c4\u00f6-0815');
CREATE FOREIGN TABLE sec_cut_m_t (uuid uuid, name text, begin_date timestamptz) SERVER sec_cut_m OPTIONS (resource 'unit_changes');
SELECT * FROM sec_sweep('sec_cut_m', 'mercury', 'echo-fault', '{0,180,190,199,200}',
  $$SELECT * FROM sec_cut_m_t WHERE begin_date = '2024-01-01'$$, ARRAY[E'SEKRIT\\pw-\u00c4\u00f6-0815']);
SELECT * FROM sec_sweep('sec_cut_m', 'mercury', 'echo-xmlerr', '{10,20,28,32,36,40,44,48,60}',
  $$SELECT * FROM sec_cut_m_t WHERE begin_date = '2024-01-01'$$, ARRAY[E'SEKRIT\\pw-\u00c4\u00f6-0815']);
\set xm :mock '/mercury/echo-fault-190'
ALTER SERVER sec_cut_m OPTIONS (SET url :'xm');
SELECT state, detail FROM sec_try($$SELECT * FROM sec_cut_m_t WHERE begin_date = '2024-01-01'$$);
\c :sec_regdb
DROP DATABASE sec_latin1;
SELECT set_config('paged.mock', :'mock', false) IS NOT NULL AS ok;
DROP SERVER sec_cut_m CASCADE;

DROP SERVER sec_rfile CASCADE;
DROP SERVER sec_rhost CASCADE;
DROP SERVER sec_mrfile CASCADE;
DROP SERVER sec_tls CASCADE;
DROP SERVER sec_merc CASCADE;
DROP SERVER sec_diadoc CASCADE;
DROP ROLE regress_paged_user;
