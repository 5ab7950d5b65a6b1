/* paged_fdw--1.1.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION paged_fdw" to load this file. \quit

CREATE FUNCTION paged_fdw_handler()
RETURNS fdw_handler
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FUNCTION paged_fdw_validator(text[], oid)
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FOREIGN DATA WRAPPER paged_fdw
  HANDLER paged_fdw_handler
  VALIDATOR paged_fdw_validator;

-- The wrapper calls these itself; nobody needs to call them from SQL.
REVOKE ALL ON FUNCTION paged_fdw_handler() FROM PUBLIC;
REVOKE ALL ON FUNCTION paged_fdw_validator(text[], oid) FROM PUBLIC;

-- Nothing is granted to PUBLIC: USAGE on the wrapper lets a role create
-- servers that make this database host send requests anywhere it can reach.
-- See README.md, "Who should get USAGE".

-- Cumulative statistics per (database, server, user, resource): of this
-- backend, or of the whole cluster with shared_preload_libraries.
CREATE FUNCTION paged_fdw_stats(
    OUT datid oid,
    OUT datname name,
    OUT serverid oid,
    OUT server text,
    OUT userid oid,
    OUT usename name,
    OUT resource text,
    OUT scans bigint,
    OUT requests bigint,
    OUT pages bigint,
    OUT rows bigint,
    OUT bytes_wire bigint,
    OUT bytes_decoded bigint,
    OUT retries bigint,
    OUT throttled bigint,
    OUT errors bigint,
    OUT errors_by_class jsonb,
    OUT wait_time double precision,
    OUT last_error_at timestamptz,
    OUT last_error text,
    OUT last_scan_at timestamptz,
    OUT stats_reset timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

CREATE VIEW paged_fdw_stats AS SELECT * FROM paged_fdw_stats();

CREATE FUNCTION paged_fdw_stats_reset()
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- Running scans of every backend (needs shared_preload_libraries).
CREATE FUNCTION paged_fdw_progress(
    OUT pid integer,
    OUT datid oid,
    OUT datname name,
    OUT serverid oid,
    OUT server text,
    OUT userid oid,
    OUT usename name,
    OUT resource text,
    OUT stream text,
    OUT state text,
    OUT state_since timestamptz,
    OUT scan_started timestamptz,
    OUT pages bigint,
    OUT rows bigint,
    OUT total_rows bigint,
    OUT bytes_wire bigint,
    OUT bytes_decoded bigint,
    OUT requests bigint,
    OUT retries bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

CREATE VIEW paged_fdw_progress AS SELECT * FROM paged_fdw_progress();

-- Like pg_stat_activity: everybody may look; the functions show rows of
-- other users only to superusers and members of pg_read_all_stats (or of
-- the role in question).  Resetting is like pg_stat_reset(): only for
-- superusers and roles they grant EXECUTE to.
GRANT SELECT ON paged_fdw_stats TO PUBLIC;
GRANT SELECT ON paged_fdw_progress TO PUBLIC;
REVOKE ALL ON FUNCTION paged_fdw_stats_reset() FROM PUBLIC;
