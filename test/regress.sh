#!/usr/bin/env bash
# Quick pg_regress run of some (default: all) of the .sql tests while
# developing: builds, installs, starts the mocks and runs pg_regress in a
# throwaway cluster, under the same machine-wide lock as test/run_tests.sh.
#   test/regress.sh                 every pg_regress test
#   test/regress.sh diadoc options  only these
# The full suite (harnesses, fuzzing, bench) is test/run_tests.sh.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/install_deps.sh" || exit 1
. "$here/lib.sh"
take_test_lock
cd "$top"
if ! make -s all mock >/tmp/paged_fdw_regress_build.log 2>&1 || ! $sudo make -s install >/dev/null; then
	cat /tmp/paged_fdw_regress_build.log
	exit 1
fi
encode_fixtures
trap 'stop_mock; stop_tls_mock' EXIT
start_test_mocks || exit 1
rm -rf results regression.diffs regression.out
args=()
[ $# -gt 0 ] && args=("REGRESS=$*")
pg_virtualenv -t make installcheck "${args[@]}"
rc=$?
[ -f regression.diffs ] && head -n 200 regression.diffs
exit $rc
