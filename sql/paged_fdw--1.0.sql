/* paged_fdw--1.0.sql */

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
