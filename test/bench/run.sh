#!/usr/bin/env bash
# paged_fdw benchmark: prints figures a-f and 6 of BENCHMARKS.md, each the
# median of N runs, next to its target.
#
#   test/bench/run.sh [--quick] [--runs N] [--figures a,b,c,d,e,f,6]
#
# Builds and installs the extension (under the test runner's lock), starts
# the mock API on a free port with 1,000,000 Mercury units, and measures in
# a throwaway cluster (pg_virtualenv -t), using psql's \timing, the
# backend's VmHWM from /proc and the C/libcurl baseline (test/bench/baseline,
# no PostgreSQL).  --quick uses tiny sizes and one run: it only checks that
# every figure is produced (no timing assertions) and prints one
# "ok   - ..." / "FAIL - ..." line per figure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

if [ "${1:-}" = "--inner" ]; then
	shift
	exec "$here/measure.sh" "$@"
fi

quick=0
runs=5
while [ $# -gt 0 ]; do
	case "$1" in
		--quick) quick=1; runs=1 ;;
		--runs) runs=$2; shift ;;
		--figures) export BENCH_FIGURES=$2; shift ;;
		*) echo "usage: $0 [--quick] [--runs N] [--figures a,b,...]" >&2; exit 2 ;;
	esac
	shift
done

. "$top/test/lib.sh"
if take_test_lock; then
	build_and_install || { echo "FAIL - bench: build"; exit 1; }
fi
(cd "$top" && make -s bench >/dev/null) || { echo "FAIL - bench: build baseline"; exit 1; }

if [ "$quick" = 1 ]; then
	units=20000
else
	units=1000000
fi
# start_mock VAR PIDVAR ARGS...: a mock on a free port; its URL in VAR
mock_outs=()
mock_pids=()
trap 'kill "${mock_pids[@]}" 2>/dev/null; wait "${mock_pids[@]}" 2>/dev/null; rm -f "${mock_outs[@]}"' EXIT
start_mock() {
	local var=$1 pidvar=$2 out port
	shift 2
	out=$(mktemp)
	mock_outs+=("$out")
	"$top/test/mock_api/mock_api" --port 0 --units "$units" "$@" 9>&- >"$out" 2>&1 &
	mock_pids+=($!)
	printf -v "$pidvar" '%s' $!
	for _ in $(seq 1 100); do
		grep -q '^port=' "$out" && break
		sleep 0.05
	done
	port=$(sed -n 's/^port=//p' "$out")
	[ -n "$port" ] || { cat "$out"; echo "FAIL - bench: mock did not start"; exit 1; }
	printf -v "$var" '%s' "http://127.0.0.1:$port"
}
start_mock url bench_mock
# figure f also against a mock that compresses nothing (see BENCHMARKS.md)
url_raw=
bench_mock_raw=
if [ -z "${BENCH_FIGURES:-}" ] || [[ ",$BENCH_FIGURES," == *",f,"* ]]; then
	start_mock url_raw bench_mock_raw --no-compress 1
fi

export BENCH_URL=$url BENCH_QUICK=$quick BENCH_RUNS=$runs
export BENCH_UNITS=$units BENCH_MOCK_PID=$bench_mock
export BENCH_URL_RAW=$url_raw BENCH_MOCK_RAW_PID=$bench_mock_raw
echo "# paged_fdw benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "# machine: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n1), $(free -g | awk '/^Mem:/ {print $2}') GiB RAM, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# PostgreSQL $(pg_config --version | sed 's/^PostgreSQL //'), $(curl --version | head -n1 | cut -d' ' -f1-2), runs per figure: $runs (median)"
pg_virtualenv -t "$here/run.sh" --inner
