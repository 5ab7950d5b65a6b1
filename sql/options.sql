-- Option validation: every error names the option, with the right SQLSTATE.
\set VERBOSITY default
\set SHOW_CONTEXT never
\set ON_ERROR_STOP 0
\getenv mock MOCK_URL

-- nothing granted to PUBLIC
SELECT fdwname, fdwacl FROM pg_foreign_data_wrapper WHERE fdwname = 'paged_fdw';

-- server options
CREATE SERVER bad1 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', urll 'http://x');
\echo SQLSTATE :SQLSTATE
CREATE SERVER bad2 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'soap');
\echo SQLSTATE :SQLSTATE
CREATE SERVER bad3 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'ftp://host/');
\echo SQLSTATE :SQLSTATE
CREATE SERVER bad4 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'https://user:pw@host/');
\echo SQLSTATE :SQLSTATE
CREATE SERVER bad5 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'http://h', page_size '0');
\echo SQLSTATE :SQLSTATE
CREATE SERVER bad6 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'http://h', page_size '10x');
\echo SQLSTATE :SQLSTATE
CREATE SERVER bad7 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'http://h', page_size '1001');
\echo SQLSTATE :SQLSTATE
CREATE SERVER bad8 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'http://h', token 'sekrit-server-token');
\echo SQLSTATE :SQLSTATE
CREATE SERVER bad9 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'http://h', request_timeout 'soon');
\echo SQLSTATE :SQLSTATE
CREATE SERVER bad10 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'http://h', box_id E'box\r\nX-Injected: 1');
\echo SQLSTATE :SQLSTATE
CREATE SERVER bad11 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'http://h', resource 'docflows_by_packet');
\echo SQLSTATE :SQLSTATE
CREATE SERVER bad12 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'http://h', ssl_verify 'maybe');
\echo SQLSTATE :SQLSTATE
CREATE SERVER bad13 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'http:///path');
\echo SQLSTATE :SQLSTATE
CREATE SERVER ok1 FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', url 'http://127.0.0.1:1', box_id 'box-1', page_size '50',
           max_retries '2', connect_timeout '2.5', request_timeout '30', prefetch 'false');
ALTER SERVER ok1 OPTIONS (ADD max_concurrency '0');
\echo SQLSTATE :SQLSTATE
ALTER SERVER ok1 OPTIONS (ADD max_concurrency '8');

-- user mapping options
CREATE USER MAPPING FOR CURRENT_USER SERVER ok1 OPTIONS (client_id 'c', tokn 'x');
\echo SQLSTATE :SQLSTATE
CREATE USER MAPPING FOR CURRENT_USER SERVER ok1 OPTIONS (client_id 'c', token 't', login 'l', password 'p');
\echo SQLSTATE :SQLSTATE
CREATE USER MAPPING FOR CURRENT_USER SERVER ok1 OPTIONS (client_id 'c', box_id 'b');
\echo SQLSTATE :SQLSTATE
CREATE USER MAPPING FOR CURRENT_USER SERVER ok1 OPTIONS (client_id 'c', token E'sekrit\nX: y');
\echo SQLSTATE :SQLSTATE
CREATE USER MAPPING FOR CURRENT_USER SERVER ok1 OPTIONS (client_id 'c', token 'sekrit-um-token');

-- table and column options
CREATE FOREIGN TABLE ft_bad1 (packet_id text) SERVER ok1 OPTIONS (resourse 'docflows_by_packet');
\echo SQLSTATE :SQLSTATE
CREATE FOREIGN TABLE ft_bad2 (packet_id text) SERVER ok1 OPTIONS (resource 'docflows_by_packet', password 'sekrit-table-pw');
\echo SQLSTATE :SQLSTATE
CREATE FOREIGN TABLE ft_bad3 (packet_id text OPTIONS (column_nam 'packet_id')) SERVER ok1 OPTIONS (resource 'docflows_by_packet');
\echo SQLSTATE :SQLSTATE
CREATE FOREIGN TABLE ft_bad4 (packet_id text) SERVER ok1 OPTIONS (resource 'docflows_by_packet', api 'mercury');
\echo SQLSTATE :SQLSTATE
CREATE FOREIGN TABLE ft_unknown_res (packet_id text) SERVER ok1 OPTIONS (resource 'no_such_thing');
CREATE FOREIGN TABLE ft_unknown_col (packet_id text, colour text) SERVER ok1 OPTIONS (resource 'docflows_by_packet');
CREATE FOREIGN TABLE ft_big_page (packet_id text) SERVER ok1 OPTIONS (resource 'docflows_by_packet', page_size '500');

-- errors on these tables come at planning, before any request is sent
SELECT * FROM ft_unknown_res WHERE packet_id = 'p1';
\echo SQLSTATE :SQLSTATE
SELECT * FROM ft_unknown_col WHERE packet_id = 'p1';
\echo SQLSTATE :SQLSTATE
SELECT * FROM ft_big_page WHERE packet_id = 'p1';
\echo SQLSTATE :SQLSTATE

-- no secret is ever shown: the catalogs keep it, messages do not
SELECT count(*) FROM pg_user_mappings WHERE srvname = 'ok1';

-- missing credentials are reported by name
CREATE SERVER merc1 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url 'http://127.0.0.1:1/');
CREATE USER MAPPING FOR CURRENT_USER SERVER merc1 OPTIONS (user 'u');
CREATE FOREIGN TABLE merc_t (uuid uuid, begin_date timestamptz) SERVER merc1 OPTIONS (resource 'unit_changes');
SELECT * FROM merc_t WHERE begin_date = '2024-01-01';
\echo SQLSTATE :SQLSTATE

-- a server without api or url can never work: refused when created, and
-- neither can be dropped later (ALTER SERVER validates the options as they
-- would be after the change)
CREATE SERVER noapi FOREIGN DATA WRAPPER paged_fdw OPTIONS (url 'http://127.0.0.1:1/');
\echo SQLSTATE :SQLSTATE
CREATE SERVER nourl FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury');
\echo SQLSTATE :SQLSTATE
CREATE SERVER noopts FOREIGN DATA WRAPPER paged_fdw;
\echo SQLSTATE :SQLSTATE
ALTER SERVER merc1 OPTIONS (DROP api);
\echo SQLSTATE :SQLSTATE
ALTER SERVER merc1 OPTIONS (DROP url);
\echo SQLSTATE :SQLSTATE
SELECT srvoptions FROM pg_foreign_server WHERE srvname = 'merc1';

-- page_size above the limit of the server's api
CREATE SERVER bigpage FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'http://h', page_size '101');
\echo SQLSTATE :SQLSTATE
ALTER SERVER ok1 OPTIONS (SET page_size '500');
\echo SQLSTATE :SQLSTATE
ALTER SERVER merc1 OPTIONS (ADD page_size '1000');
ALTER SERVER merc1 OPTIONS (DROP page_size);
-- a table's page_size against its server's api: checked by ALTER FOREIGN
-- TABLE, and (CREATE FOREIGN TABLE cannot see the server) at planning
ALTER FOREIGN TABLE ft_unknown_col OPTIONS (ADD page_size '101');
\echo SQLSTATE :SQLSTATE
ALTER FOREIGN TABLE merc_t OPTIONS (ADD page_size '1000');
ALTER FOREIGN TABLE merc_t OPTIONS (DROP page_size);

-- numbers are strict: no blanks around them
CREATE SERVER blank1 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'http://h', page_size ' 10');
\echo SQLSTATE :SQLSTATE
CREATE SERVER blank2 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'http://h', page_size '10 ');
\echo SQLSTATE :SQLSTATE
CREATE SERVER blank3 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'http://h', request_timeout ' 2.5');
\echo SQLSTATE :SQLSTATE
CREATE SERVER blank4 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'http://h', max_retries '+2');
DROP SERVER blank4;

-- the URL's port
CREATE SERVER port1 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'http://h:99999/');
\echo SQLSTATE :SQLSTATE
CREATE SERVER port2 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'http://h:0/x');
\echo SQLSTATE :SQLSTATE
CREATE SERVER port3 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'http://h:http/');
\echo SQLSTATE :SQLSTATE
CREATE SERVER port4 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'http://h:/');
\echo SQLSTATE :SQLSTATE
CREATE SERVER port5 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'https://[::1]:65536');
\echo SQLSTATE :SQLSTATE
CREATE SERVER port6 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'https://[::1');
\echo SQLSTATE :SQLSTATE
CREATE SERVER port7 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'https://h:99999999999999999999/');
\echo SQLSTATE :SQLSTATE
CREATE SERVER port8 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'https://[::1]:65535/p:1?q=a:b#x:y');
CREATE SERVER port9 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'http://h:1?a=b');
DROP SERVER port8;
DROP SERVER port9;

-- another api while tables use the server: refused (checked after ALTER
-- SERVER by an object access hook, also in a session that had not loaded
-- the library yet)
CREATE SERVER swap FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'http://127.0.0.1:1/');
CREATE FOREIGN TABLE swap_d (packet_id text) SERVER swap OPTIONS (resource 'docflows_by_packet');
\c
\set VERBOSITY default
\set SHOW_CONTEXT never
\set ON_ERROR_STOP 0
ALTER SERVER swap OPTIONS (SET api 'mercury');
\echo SQLSTATE :SQLSTATE
SELECT srvoptions FROM pg_foreign_server WHERE srvname = 'swap';
-- the same api again, a new url, a rename: nothing to object to
ALTER SERVER swap OPTIONS (SET api 'diadoc', SET url 'http://127.0.0.1:2/');
ALTER SERVER swap RENAME TO swap2;
ALTER SERVER swap2 RENAME TO swap;
-- once no table needs it, the api may change
DROP FOREIGN TABLE swap_d;
ALTER SERVER swap OPTIONS (SET api 'mercury');
CREATE FOREIGN TABLE swap_m (begin_date timestamptz) SERVER swap OPTIONS (resource 'unit_changes');
-- a table's resource must exist for its server's api
ALTER FOREIGN TABLE swap_m OPTIONS (SET resource 'docflows_by_packet');
\echo SQLSTATE :SQLSTATE
ALTER FOREIGN TABLE swap_m OPTIONS (SET resource 'unit_changes', ADD page_size '1000');
-- a server with a table that was already wrong can still be renamed
ALTER SERVER ok1 RENAME TO ok1_renamed;
ALTER SERVER ok1_renamed RENAME TO ok1;
DROP SERVER swap CASCADE;

-- a table without any column the API needs a condition on: the error says
-- which column to declare
CREATE FOREIGN TABLE no_packet (entity_id text, status text) SERVER ok1 OPTIONS (resource 'docflows_by_packet');
SELECT * FROM no_packet WHERE entity_id = 'x';
\echo SQLSTATE :SQLSTATE
CREATE FOREIGN TABLE no_dates (uuid uuid, end_date timestamptz) SERVER merc1 OPTIONS (resource 'unit_changes');
SELECT * FROM no_dates;
\echo SQLSTATE :SQLSTATE
-- a column mapped to it is enough
CREATE FOREIGN TABLE mapped_packet (pkt text OPTIONS (column_name 'packet_id')) SERVER ok1 OPTIONS (resource 'docflows_by_packet');
EXPLAIN (COSTS OFF) SELECT * FROM mapped_packet WHERE pkt = 'x';

-- long values are cut in messages (not split inside a character), with
-- their full length
DO $$ BEGIN
  EXECUTE format('CREATE SERVER longv FOREIGN DATA WRAPPER paged_fdw OPTIONS (api %L, url %L)',
                 repeat('x', 10000), 'http://h');
END $$;
\echo SQLSTATE :SQLSTATE
DO $$ BEGIN
  EXECUTE format('CREATE SERVER longv FOREIGN DATA WRAPPER paged_fdw OPTIONS (api %L, url %L, page_size %L)',
                 'diadoc', 'http://h', repeat('я', 5000));
END $$;
\echo SQLSTATE :SQLSTATE
DO $$ BEGIN
  EXECUTE format('CREATE SERVER longv FOREIGN DATA WRAPPER paged_fdw OPTIONS (api %L, url %L)',
                 'diadoc', 'http://h:' || repeat('9', 10000) || '/');
END $$;
\echo SQLSTATE :SQLSTATE
DO $$ BEGIN
  EXECUTE format('CREATE FOREIGN TABLE longv (packet_id text) SERVER ok1 OPTIONS (resource %L)',
                 repeat('r', 10000));
END $$;
SELECT * FROM longv WHERE packet_id = 'x';
\echo SQLSTATE :SQLSTATE
DROP FOREIGN TABLE longv;
-- exactly at the limit: nothing is cut
DO $$ BEGIN
  EXECUTE format('CREATE SERVER longv FOREIGN DATA WRAPPER paged_fdw OPTIONS (api %L, url %L)',
                 repeat('x', 80), 'http://h');
END $$;

-- on_list_change
CREATE SERVER olc1 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url 'http://h', on_list_change 'ignore');
\echo SQLSTATE :SQLSTATE
ALTER SERVER merc1 OPTIONS (ADD on_list_change 'error');
ALTER FOREIGN TABLE merc_t OPTIONS (ADD on_list_change 'warn');
ALTER USER MAPPING FOR CURRENT_USER SERVER merc1 OPTIONS (ADD on_list_change 'warn');
\echo SQLSTATE :SQLSTATE

-- a non-superuser cannot turn TLS verification off or name a CA file
CREATE ROLE paged_fdw_regress_user;
GRANT USAGE ON FOREIGN DATA WRAPPER paged_fdw TO paged_fdw_regress_user;
SET ROLE paged_fdw_regress_user;
CREATE SERVER nosu1 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'https://h', ssl_verify 'false');
\echo SQLSTATE :SQLSTATE
CREATE SERVER nosu2 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'https://h', ca_file '/etc/passwd');
\echo SQLSTATE :SQLSTATE
CREATE SERVER nosu3 FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', url 'https://h', ssl_verify 'true');
DROP SERVER nosu3;
RESET ROLE;
REVOKE USAGE ON FOREIGN DATA WRAPPER paged_fdw FROM paged_fdw_regress_user;
DROP ROLE paged_fdw_regress_user;

DROP SERVER ok1 CASCADE;
DROP SERVER merc1 CASCADE;

-- ALTER SYSTEM for the library's setting: PostgreSQL 15 accepts it only in
-- a session where the library is loaded (a fresh session has not loaded
-- it), so the documented step is LOAD 'paged_fdw' first
\c
\set VERBOSITY default
\set SHOW_CONTEXT never
\set ON_ERROR_STOP 0
ALTER SYSTEM SET paged_fdw.allowed_hosts = '127.0.0.1';
\echo SQLSTATE :SQLSTATE
LOAD 'paged_fdw';
ALTER SYSTEM SET paged_fdw.allowed_hosts = '127.0.0.1, *.example.com:443';
SELECT name, setting FROM pg_file_settings WHERE name = 'paged_fdw.allowed_hosts';
-- the setting's own check applies
ALTER SYSTEM SET paged_fdw.allowed_hosts = 'bad host';
\echo SQLSTATE :SQLSTATE
SELECT name, setting FROM pg_file_settings WHERE name = 'paged_fdw.allowed_hosts';
ALTER SYSTEM RESET paged_fdw.allowed_hosts;
SELECT count(*) AS left_in_file FROM pg_file_settings WHERE name = 'paged_fdw.allowed_hosts';
-- ALTER DATABASE ... SET needs no LOAD (a placeholder is checked only for
-- privileges)
\c
\set ON_ERROR_STOP 0
SELECT current_database() AS db \gset
ALTER DATABASE :"db" SET paged_fdw.allowed_hosts = '127.0.0.1';
SELECT x AS setting FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase,
  unnest(s.setconfig) x
WHERE d.datname = current_database() AND s.setrole = 0 AND x LIKE 'paged_fdw%';
ALTER DATABASE :"db" RESET paged_fdw.allowed_hosts;
SELECT count(*) AS left_set FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
WHERE d.datname = current_database() AND s.setrole = 0
  AND array_to_string(setconfig, ',') LIKE '%paged_fdw%';
