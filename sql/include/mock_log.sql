-- Shared by the regression tests: mock_requests() returns the requests the
-- mock API received since the previous call (see test/mock_api/PROTOCOL.md).
\getenv mock MOCK_URL
\set logcmd 'curl -s ' :mock '/_log'
CREATE TEMP TABLE mock_log_buf (line text);
CREATE OR REPLACE FUNCTION mock_requests() RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE mock_log_buf;
  EXECUTE format('COPY mock_log_buf FROM PROGRAM %L', current_setting('paged.logcmd'));
  RETURN QUERY SELECT line FROM mock_log_buf;
END $$;
SELECT set_config('paged.logcmd', :'logcmd', false) IS NOT NULL AS ok;
SELECT count(*) >= 0 AS cleared FROM mock_requests();
