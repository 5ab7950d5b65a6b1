#!/usr/bin/env bash
# The main job on the bundled mock API: installs missing Debian packages,
# builds and installs paged_fdw, starts the mock, creates a throwaway
# PostgreSQL cluster and runs the example queries of test/demo.sql in it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/install_deps.sh"
. "$here/lib.sh"
take_test_lock

build_and_install
encode_fixtures
trap stop_mock EXIT
start_mock --units 10000
echo "mock API listening at $MOCK_URL"
pg_virtualenv -t psql -X -v ON_ERROR_STOP=1 -f "$here/demo.sql"
