#!/usr/bin/env bash
# Runs every test of paged_fdw and ends with "N passed, N failed".
#   test/run_tests.sh            everything
# Installs missing Debian packages first (as root, or with sudo).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/install_deps.sh" || { echo "0 passed, 1 failed"; exit 1; }
. "$here/lib.sh"

take_test_lock

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; }
build_log=$(mktemp)
if ! (cd "$top" && make clean >/dev/null && make all mock >"$build_log" 2>&1 && $sudo make -s install >/dev/null); then
	cat "$build_log"
	fail "build"
	echo "$passed passed, $failed failed"
	exit 1
fi
if grep -qi 'warning' "$build_log"; then
	grep -i 'warning' "$build_log"
	fail "build without compiler warnings"
else
	pass "build without compiler warnings"
fi
encode_fixtures

trap 'stop_mock; stop_tls_mock' EXIT
start_test_mocks || {
	fail "start mock_api on ports $MOCK_PORT and $MOCK_TLS_PORT"
	echo "$passed passed, $failed failed"
	exit 1
}

# The mock's own checks.
if "$top/test/mock_api/smoke.sh" >/tmp/paged_fdw_smoke.log 2>&1; then
	pass "mock_api smoke"
else
	cat /tmp/paged_fdw_smoke.log
	fail "mock_api smoke"
fi

# pg_regress in a throwaway cluster: one result per .sql file.
cd "$top"
rm -rf results regression.diffs regression.out
pg_virtualenv -t make installcheck >/tmp/paged_fdw_regress.log 2>&1
cat /tmp/paged_fdw_regress.log | grep -E '^(ok|not ok|test | +[a-z_]+ +\.\.\.)' || true
while read -r line; do
	name=$(echo "$line" | sed -E 's/^(test|    ) *([a-z0-9_]+) +\.\.\. +(ok|FAILED|failed).*/\2/')
	if echo "$line" | grep -q '\.\.\. ok'; then pass "regress/$name"; else fail "regress/$name"; fi
done < <(grep -E '^(test +)?[a-z0-9_]+ +\.\.\. +(ok|FAILED|failed)' /tmp/paged_fdw_regress.log)
if [ -f regression.diffs ]; then
	echo "---- regression.diffs ----"
	head -n 300 regression.diffs
fi
if ! grep -qE '\.\.\. +(ok|FAILED|failed)' /tmp/paged_fdw_regress.log; then
	cat /tmp/paged_fdw_regress.log
	fail "pg_regress did not run"
fi

# Harness scripts print "ok - NAME" / "FAIL - NAME" lines (counted here)
# and "# ..." lines with what they measured; a harness that exits non-zero
# or reports nothing counts as one more failure.
run_harness() {
	local name=$1 log rc n=0 line
	shift
	log=$(mktemp)
	"$@" >"$log" 2>&1
	rc=$?
	while IFS= read -r line; do
		case $line in
			"ok - "*) pass "$name/${line#ok - }"; n=$((n + 1)) ;;
			"ok   - "*) pass "$name/${line#ok   - }"; n=$((n + 1)) ;;
			"FAIL - "*) fail "$name/${line#FAIL - }"; n=$((n + 1)) ;;
			*) echo "       $line" ;;
		esac
	done <"$log"
	[ "$rc" = 0 ] && [ "$n" -gt 0 ] || fail "$name ran to the end (exit $rc)"
	rm -f "$log"
}

# Timeouts, cancel and the leak run: slow, so not in pg_regress.
run_harness faults_slow pg_virtualenv -t "$top/test/faults_slow.sh"

# Progress, wait events and cluster-wide statistics: a cluster that
# preloads the library (10 stats entries, to see eviction).
run_harness progress pg_virtualenv -t -o shared_preload_libraries=paged_fdw \
	-o paged_fdw.stats_max_entries=10 "$top/test/progress.sh"

# max_requests_per_second shared by the cluster when preloaded, per backend
# otherwise (its own mock and clusters).
run_harness ratelimit "$top/test/ratelimit.sh"

# Planner estimates shared by the sessions of a preloaded cluster (its own
# mock and cluster).
run_harness estimates "$top/test/estimates.sh"

# Secrets in messages and logs (its own cluster and mocks; the install
# above is this tree's, and we hold the lock).
run_harness secrets "$top/test/secrets.sh"

# The scale-out recipe: two worker clusters under a postgres_fdw coordinator.
run_harness scaleout "$top/test/scaleout.sh"

# The page parsers under libFuzzer with ASan and UBSan, 60 s each.
run_harness fuzz "$top/test/fuzz/run.sh" "${FUZZ_SECONDS:-60}"

# The benchmark at tiny sizes: it runs and prints every figure (no timing
# assertions; the extension is already installed and the lock held).
run_harness bench "$top/test/bench/run.sh" --quick

# The Debian package, last: installing it replaces this tree's install
# (package.sh puts it back afterwards).  Builds from a copy of the tree and
# runs pg_regress against the installed package with the mocks above.
# It starts fresh mocks of its own on the same ports.
stop_mock
stop_tls_mock
run_harness package "$top/test/package.sh"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
