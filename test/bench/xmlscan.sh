#!/usr/bin/env bash
# The XML scanner's CPU cost per Mercury unit, without PostgreSQL: builds
# test/bench/xmlscan_bench, saves one page of the mock API (1000 units,
# uncompressed) and scans it LOOPS times per repeat (xmlscan_bench.c), with
# start/text/end callbacks, then with the leaf callback too, then with it as
# leaf_named in a copy of the leaf run with the callbacks compiled in (as
# src/mercury.c scans): all three lines must show the same event hash.
#
#   test/bench/xmlscan.sh [LOOPS [REPEATS]]
#
# Starts its own mock on a free port; needs no lock.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
make -s -C "$top" mock test/bench/xmlscan_bench >/dev/null
tmp=$(mktemp -d)
"$top/test/mock_api/mock_api" --port 0 --units 1000000 --no-compress 1 >"$tmp/mock.out" 2>&1 &
mock=$!
trap 'kill $mock 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 1 100); do grep -q '^port=' "$tmp/mock.out" && break; sleep 0.05; done
port=$(sed -n 's/^port=//p' "$tmp/mock.out")
cat >"$tmp/req.xml" <<XML
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ws="http://api.vetrf.ru/schema/cdm/registry/ws-definitions/v2" xmlns:bs="http://api.vetrf.ru/schema/cdm/base"><soapenv:Body><ws:getUnitChangesListRequest><bs:listOptions><bs:count>1000</bs:count><bs:offset>5000</bs:offset></bs:listOptions><bs:updateDateInterval><bs:beginDate>2000-01-01T00:00:00+00:00</bs:beginDate></bs:updateDateInterval></ws:getUnitChangesListRequest></soapenv:Body></soapenv:Envelope>
XML
curl -sf -o "$tmp/page.xml" -u test-user:test-password -H 'Content-Type: text/xml' \
	--data-binary @"$tmp/req.xml" "http://127.0.0.1:$port/mercury/ok"
three=$("$here/xmlscan_bench" "$tmp/page.xml" -n "${1:-100}" -r "${2:-9}")
leaf=$("$here/xmlscan_bench" "$tmp/page.xml" -n "${1:-100}" -r "${2:-9}" -l)
own=$("$here/xmlscan_bench" "$tmp/page.xml" -n "${1:-100}" -r "${2:-9}" -s)
echo "$three"
echo "$leaf"
echo "$own"
if [ "${three##*hash=}" != "${leaf##*hash=}" ]; then
	echo "FAIL - xmlscan.sh: the leaf callback gives other events than start/text/end"
	exit 1
fi
if [ "${three##*hash=}" != "${own##*hash=}" ]; then
	echo "FAIL - xmlscan.sh: the copy of the leaf run gives other events than start/text/end"
	exit 1
fi
