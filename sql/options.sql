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

-- a server without api or url
CREATE SERVER noapi FOREIGN DATA WRAPPER paged_fdw OPTIONS (url 'http://127.0.0.1:1/');
CREATE USER MAPPING FOR CURRENT_USER SERVER noapi;
CREATE FOREIGN TABLE noapi_t (packet_id text) SERVER noapi OPTIONS (resource 'docflows_by_packet');
SELECT * FROM noapi_t WHERE packet_id = 'x';
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
DROP SERVER noapi CASCADE;
