#!/usr/bin/env bash
# Runs every test of paged_fdw and ends with "N passed, N failed".
#   test/run_tests.sh            everything
# Installs missing Debian packages first (as root, or with sudo).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/install_deps.sh" || { echo "0 passed, 1 failed"; exit 1; }
. "$here/lib.sh"

# One run at a time per machine: "make install" writes the system's
# PostgreSQL directories and the mock listens on a fixed port.
exec 9>/tmp/paged_fdw_tests.lock
flock 9

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

trap stop_mock EXIT
export MOCK_PORT=${MOCK_PORT:-47719}
if ! start_mock --units 10000; then
	fail "start mock_api on port $MOCK_PORT"
	echo "$passed passed, $failed failed"
	exit 1
fi

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

# harness NAME COMMAND...: a harness that prints "ok   - ..." / "FAIL - ..."
# lines; each line counts, and a harness that fails without saying why
# counts as one failure.
harness() {
	local name=$1 log rc
	shift
	log=$(mktemp)
	"$@" >"$log" 2>&1
	rc=$?
	while read -r line; do
		case "$line" in
			"ok   - "*) pass "$name: ${line#ok   - }" ;;
			"FAIL - "*) fail "$name: ${line#FAIL - }" ;;
		esac
	done <"$log"
	if [ "$rc" != 0 ] && ! grep -q '^FAIL - ' "$log"; then
		tail -n 20 "$log"
		fail "$name (exit status $rc)"
	elif grep -q '^FAIL - ' "$log"; then
		tail -n 40 "$log"
	fi
	rm -f "$log"
}

# The benchmark at tiny sizes: it runs and prints every figure (no timing
# assertions; the extension is already installed and the lock held).
PAGED_FDW_LOCK_HELD=1 harness bench "$top/test/bench/run.sh" --quick

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
