#!/bin/bash
#
# bench_mock.sh - the mock's own speed serving 1,000,000 Mercury units
#
# Fetches every page (1000 units each, 4 in flight, no parsing) with
# test/bench/baseline --fetch-only from two mock binaries (e.g. this tree's
# and one built from another commit) and prints the median seconds of N runs
# per binary and path: the legacy path /mercury/ok and the service path
# /mercury/ok/DictionaryService.  Runs on free ports, outside the test lock.
#
#	make -s mock bench && test/mock_api/bench_mock.sh OTHER_MOCK [RUNS]
#
set -u
here=$(cd "$(dirname "$0")" && pwd)
baseline=$here/../bench/baseline
ours=$here/mock_api
other=${1:?usage: bench_mock.sh OTHER_MOCK [RUNS]}
runs=${2:-7}
tmp=$(mktemp -d)
# start() runs in a command substitution (a subshell): pids go to files
trap 'kill $(cat "$tmp"/*.pid 2>/dev/null) 2>/dev/null; rm -rf "$tmp"' EXIT

start()
{
	"$1" --port 0 --units 1000000 --no-compress 1 >"$tmp/$2" 2>/dev/null &
	echo $! >"$tmp/$2.pid"
	for _ in $(seq 200); do
		grep -q '^port=' "$tmp/$2" 2>/dev/null && break
		sleep 0.05
	done
	sed -n 's/^port=//p' "$tmp/$2"
}

port_other=$(start "$other" other)
port_ours=$(start "$ours" ours)
for run in $(seq "$runs"); do
	for which in "other $port_other /mercury/ok" "ours $port_ours /mercury/ok" \
		"ours $port_ours /mercury/ok/DictionaryService"; do
		set -- $which
		s=$("$baseline" mercury "http://127.0.0.1:$2$3" --page-size 1000 --concurrency 4 --fetch-only |
			sed -n 's/.*seconds=\([0-9.]*\).*/\1/p')
		echo "$1 $3 $s" >>"$tmp/times"
	done
done
echo "mock path median_seconds runs (1,000,000 units, fetch only)"
for key in "other /mercury/ok" "ours /mercury/ok" "ours /mercury/ok/DictionaryService"; do
	grep "^$key " "$tmp/times" | awk '{print $3}' | sort -n |
		awk -v k="$key" '{v[NR] = $1} END {print k, v[int((NR + 1) / 2)], NR}'
done
