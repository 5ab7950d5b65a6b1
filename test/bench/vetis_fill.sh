#!/usr/bin/env bash
# Microbenchmark of the VetIS per-row work (test/bench/vetis_fill.c): one
# 1000-unit page of the mock (uncompressed, as figure f's second mock
# sends it) parsed and converted PASSES times per run; ROUNDS runs per tree,
# the trees alternating; prints each run and the median per tree.
#
#   test/bench/vetis_fill.sh [--passes N] [--rounds N] [TREE ...]
#
# TREE defaults to this checkout; give two (e.g. a clone of main and this
# one) to compare them in the same session.  No PostgreSQL, no install,
# the mock on a free port: it takes no lock.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
passes=200
rounds=5
while [ $# -gt 0 ]; do
	case "$1" in
		--passes) passes=$2; shift 2 ;;
		--rounds) rounds=$2; shift 2 ;;
		*) break ;;
	esac
done
trees=("$@")
[ ${#trees[@]} -gt 0 ] || trees=("$top")
build=$here/build
mkdir -p "$build"

pginc=$(pg_config --includedir-server)
pglib=$(pg_config --pkglibdir)
make -s -C "$top" test/mock_api/mock_api >/dev/null || { echo "FAIL - vetis_fill: build the mock"; exit 1; }
for i in "${!trees[@]}"; do
	t=$(cd "${trees[$i]}" && pwd)
	# each tree with its own harness and shim, which follow its mercury.c
	# shellcheck disable=SC2046
	if ! gcc -O2 -D_GNU_SOURCE -Wall -Wno-ignored-attributes -I"$pginc" -I"$t/src" -I"$t/test/fuzz" \
		$(pkg-config --cflags libxml-2.0) -o "$build/vetis_fill.$i" "$t/test/bench/vetis_fill.c" \
		"$t/test/fuzz/pg_shim.c" "$t/src/xmlscan.c" "$t/src/vetis_ops.c" "$t/src/http.c" \
		"$pglib/libpgcommon.a" "$pglib/libpgport.a" $(pkg-config --libs libxml-2.0) -lcurl -lm; then
		echo "FAIL - vetis_fill: build against $t"
		exit 1
	fi
done

out=$(mktemp)
"$top/test/mock_api/mock_api" --port 0 --units 2000 --no-compress 1 >"$out" 2>&1 &
mockpid=$!
for _ in $(seq 1 100); do grep -q '^port=' "$out" && break; sleep 0.05; done
port=$(sed -n 's/^port=//p' "$out")
rm -f "$out"
curl -s -u test-user:test-password -H 'Content-Type: text/xml' \
	-H 'SOAPAction: "GetUnitChangesList"' -o "$build/page.xml" \
	--data-binary '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ws="http://api.vetrf.ru/schema/cdm/registry/ws-definitions/v2" xmlns:bs="http://api.vetrf.ru/schema/cdm/base"><soapenv:Body><ws:getUnitChangesListRequest><bs:listOptions><bs:count>1000</bs:count><bs:offset>0</bs:offset></bs:listOptions><bs:updateDateInterval><bs:beginDate>2000-01-01T00:00:00Z</bs:beginDate></bs:updateDateInterval></ws:getUnitChangesListRequest></soapenv:Body></soapenv:Envelope>' \
	"http://127.0.0.1:$port/mercury/ok"
kill "$mockpid" 2>/dev/null
wait "$mockpid" 2>/dev/null

results=$(mktemp)
for r in $(seq 1 "$rounds"); do
	for i in "${!trees[@]}"; do
		line=$("$build/vetis_fill.$i" "$build/page.xml" "$passes") || { echo "FAIL - vetis_fill: run"; exit 1; }
		echo "tree $i round $r: $line"
		echo "$i $line" >>"$results"
	done
done
for i in "${!trees[@]}"; do
	# fields: tree parse N ns/unit, fill N ns/unit ...
	parse=$(awk -v t="$i" '$1 == t { print $3 }' "$results" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	fill=$(awk -v t="$i" '$1 == t { print $6 }' "$results" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	echo "tree $i (${trees[$i]}): median of $rounds: parse $parse ns/unit, fill $fill ns/unit"
done
rm -f "$results"
