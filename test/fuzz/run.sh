#!/usr/bin/env bash
# Builds the libFuzzer targets fuzz_diadoc, fuzz_events (GetDocflowEvents),
# fuzz_search (SearchDocflows, GetDocflows), fuzz_mercury and fuzz_oidc
# (the OpenID Connect token answer) and the unit
# checks with AddressSanitizer and UndefinedBehaviorSanitizer, seeds the
# targets with real answers of the mock API and the fixtures, and runs each
# for SECONDS (default 60).  Prints "ok - ..." / "FAIL - ..." lines.
#
#   test/fuzz/run.sh [SECONDS]
#
# Everything goes to test/fuzz/build/ (not committed).  The corpora grow in
# build/corpus-*/ from run to run; a crash is saved as build/crash-*.
# To replay one:  test/fuzz/build/fuzz_mercury test/fuzz/build/crash-mercury-...
# Nothing here installs anything or needs a database.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
secs=${1:-60}
build=$here/build
mkdir -p "$build"

ok() { echo "ok - $1"; }
bad() { echo "FAIL - $1"; }

# ---- build ---------------------------------------------------------------
CC=${FUZZ_CC:-clang}
pginc=$(pg_config --includedir-server)
pglib=$(pg_config --pkglibdir)
san="-fsanitize=address,undefined -fno-sanitize-recover=all"
# (pg_config.h was made for gcc: clang ignores its gnu_printf attributes)
cflags="-g -O1 -fno-omit-frame-pointer -Wall -Wno-unused-command-line-argument -Wno-ignored-attributes
	-D_GNU_SOURCE -I$pginc -I$top/src -I$top/proto -I$here $(pkg-config --cflags libxml-2.0)"
libs="$pglib/libpgcommon.a $pglib/libpgport.a -lprotobuf-c $(pkg-config --libs libxml-2.0) -lcurl -lm"

log=$build/build.log
: >"$log"
if ! make -s -C "$top" proto/diadoc.pb-c.c proto/diadoc_participant_type.pb-c.c \
	proto/diadoc_documents.pb-c.c proto/diadoc_events.pb-c.c proto/diadoc_docflow.pb-c.c \
	proto/diadoc_time_filter.pb-c.c proto/diadoc_docflow_events.pb-c.c \
	proto/diadoc_search.pb-c.c test/mock_api/mock_api >>"$log" 2>&1; then
	cat "$log"
	bad "fuzz: build the generated protobuf code and the mock"
	exit 1
fi
compile() {	# compile OUT.o SRC [extra flags]
	local out=$1 src=$2
	shift 2
	# shellcheck disable=SC2086
	$CC $cflags $san "$@" -c -o "$build/$out" "$src" >>"$log" 2>&1
}
built=true
for src in src/diadoc.c src/diadoc_docs.c src/diadoc_events.c src/mercury.c src/vetis_ops.c src/xmlscan.c src/http.c \
	src/oidc_answer.c proto/diadoc.pb-c.c proto/diadoc_participant_type.pb-c.c \
	proto/diadoc_documents.pb-c.c proto/diadoc_events.pb-c.c proto/diadoc_docflow.pb-c.c \
	proto/diadoc_time_filter.pb-c.c proto/diadoc_docflow_events.pb-c.c \
	src/diadoc_search.c proto/diadoc_search.pb-c.c; do
	# MERCURY_CROSSCHECK: libxml2 rereads what the fast scanner accepted
	compile "$(basename "$src" .c).o" "$top/$src" -fsanitize=fuzzer-no-link -DMERCURY_CROSSCHECK || built=false
done
for src in pg_shim fuzz_page fuzz_diadoc fuzz_events fuzz_mercury fuzz_oidc fuzz_search; do
	compile "$src.o" "$here/$src.c" -fsanitize=fuzzer-no-link || built=false
done
compile unit_mercury.o "$here/unit_mercury.c" -DMERCURY_CROSSCHECK || built=false
compile xmlscan_unit.o "$top/src/xmlscan.c" || built=false
compile pg_shim_unit.o "$here/pg_shim.c" || built=false
compile http_unit.o "$top/src/http.c" || built=false
compile vetis_ops_unit.o "$top/src/vetis_ops.c" || built=false
if $built; then
	pb="$build/diadoc.pb-c.o $build/diadoc_participant_type.pb-c.o $build/diadoc_documents.pb-c.o
		$build/diadoc_events.pb-c.o $build/diadoc_docflow.pb-c.o
		$build/diadoc_time_filter.pb-c.o $build/diadoc_docflow_events.pb-c.o
		$build/diadoc_search.pb-c.o"
	common="$build/pg_shim.o $build/fuzz_page.o $build/http.o $pb"
	# shellcheck disable=SC2086
	$CC $san -fsanitize=fuzzer -o "$build/fuzz_diadoc" "$build/fuzz_diadoc.o" \
		"$build/diadoc.o" "$build/diadoc_docs.o" $common $libs >>"$log" 2>&1 || built=false
	# shellcheck disable=SC2086
	$CC $san -fsanitize=fuzzer -o "$build/fuzz_events" "$build/fuzz_events.o" \
		"$build/diadoc.o" "$build/diadoc_docs.o" "$build/diadoc_events.o" $common $libs >>"$log" 2>&1 || built=false
	# shellcheck disable=SC2086
	$CC $san -fsanitize=fuzzer -o "$build/fuzz_search" "$build/fuzz_search.o" \
		"$build/diadoc_search.o" "$build/diadoc.o" "$build/diadoc_docs.o" $common $libs >>"$log" 2>&1 || built=false
	# shellcheck disable=SC2086
	$CC $san -fsanitize=fuzzer -o "$build/fuzz_mercury" "$build/fuzz_mercury.o" \
		"$build/mercury.o" "$build/vetis_ops.o" "$build/xmlscan.o" $common $libs >>"$log" 2>&1 || built=false
	# shellcheck disable=SC2086
	$CC $san -fsanitize=fuzzer -o "$build/fuzz_oidc" "$build/fuzz_oidc.o" \
		"$build/oidc_answer.o" "$build/pg_shim.o" $libs >>"$log" 2>&1 || built=false
	# shellcheck disable=SC2086
	$CC $san -o "$build/unit_mercury" "$build/unit_mercury.o" "$build/pg_shim_unit.o" \
		"$build/http_unit.o" "$build/xmlscan_unit.o" "$build/vetis_ops_unit.o" $libs >>"$log" 2>&1 || built=false
fi
if ! $built; then
	cat "$log"
	bad "fuzz: build the targets with ASan and UBSan"
	exit 1
fi
if grep -q 'warning' "$log"; then
	grep 'warning' "$log"
	bad "fuzz: build the targets without compiler warnings"
else
	ok "fuzz: build the targets with ASan and UBSan, no warnings"
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# ---- unit checks ----------------------------------------------------------
if "$build/unit_mercury" >"$build/unit.log" 2>&1; then
	grep -E '^(ok|FAIL) - ' "$build/unit.log"
else
	grep -E '^(ok|FAIL) - ' "$build/unit.log"
	grep -qE '^FAIL - ' "$build/unit.log" || { tail -n 30 "$build/unit.log"; bad "unit_mercury exited abnormally"; }
fi

# ---- seeds: answers of the mock, the fixtures -----------------------------
# Each seed is one flags byte (0: HTTP 200, UTF8; see fuzz_page.h) and a body.
seeds_d=$build/seeds-diadoc
seeds_m=$build/seeds-mercury
seeds_e=$build/seeds-events
rm -rf "$seeds_d" "$seeds_m" "$seeds_e"
mkdir -p "$seeds_d" "$seeds_m" "$seeds_e" "$build/corpus-diadoc" "$build/corpus-mercury" \
	"$build/corpus-events"
seed() {	# seed DIR NAME FLAGS FILE
	{ printf "\\x$3"; cat "$4"; } >"$1/$2"
}
mockout=$(mktemp)
"$top/test/mock_api/mock_api" --port 0 --units 40 >"$mockout" 2>&1 &
mockpid=$!
for _ in $(seq 1 100); do grep -q '^port=' "$mockout" && break; sleep 0.05; done
port=$(sed -n 's/^port=//p' "$mockout")
rm -f "$mockout"
if [ -z "$port" ]; then
	kill "$mockpid" 2>/dev/null
	bad "fuzz: start the mock for seeds"
	exit 1
fi
base=http://127.0.0.1:$port
tmp=$(mktemp -d)
n=0
# flags byte per API version (fuzz_diadoc.c: variant bits 1-3 at bits 5-7)
declare -A vflags=([legacy]=20 [V2]=40 [V3]=60 [V4]=80 [V5]=00)
for scen in ok short-pages empty-pages garbage status-500 status-401 echo-auth bad-date bad-utf8; do
	for pk in p0 p1 p3 p14 p250; do
		for after in "" '\000\000\000\000\000\000\000\001'; do
			if [ -n "$after" ]; then
				text="PacketId: \"$pk\" Count: 5 AfterIndexKey: \"$after\""
			else
				text="PacketId: \"$pk\" Count: 5"
			fi
			echo "$text" | protoc --encode=Diadoc.Api.Proto.Docflow.GetDocflowsByPacketIdRequest \
				-I "$top/proto" "$top/proto/diadoc_docflow.proto" >"$tmp/req" 2>/dev/null || continue
			for v in legacy V2 V3 V4 V5; do
				path=GetDocflowsByPacketId
				[ "$v" = legacy ] || path=$v/$path
				curl -s -o "$tmp/body" -X POST --data-binary @"$tmp/req" \
					-H 'Authorization: DiadocAuth ddauth_api_client_id=test-client,ddauth_token=test-token' \
					"$base/diadoc/$scen/$path?boxId=box-1" || continue
				n=$((n + 1))
				seed "$seeds_d" "mock-$n" "${vflags[$v]}" "$tmp/body"
			done
		done
	done
done
for f in "$top"/test/fixtures/build/*.bin; do
	case $(basename "$f") in
		fixture-v3.bin) fl=60 ;;
		fixture-v4.bin) fl=80 ;;
		fixture-v5*.bin) fl=00 ;;
		*) fl=20 ;;
	esac
	[ -e "$f" ] && seed "$seeds_d" "fixture-$(basename "$f")" "$fl" "$f"
done
soap() {	# soap BEGIN END COUNT OFFSET
	cat <<EOF
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ws="http://api.vetrf.ru/schema/cdm/registry/ws-definitions/v2" xmlns:bs="http://api.vetrf.ru/schema/cdm/base">
<soapenv:Body><ws:getUnitChangesListRequest><bs:listOptions><bs:count>$3</bs:count><bs:offset>$4</bs:offset></bs:listOptions>
<bs:updateDateInterval><bs:beginDate>$1</bs:beginDate><bs:endDate>$2</bs:endDate></bs:updateDateInterval>
</ws:getUnitChangesListRequest></soapenv:Body></soapenv:Envelope>
EOF
}
for scen in ok v1 short-pages shrink fault-incorrect fault-internal fault-access fault-notfound \
	fault-offset garbage status-500 echo-auth xxe xxe-param laughs; do
	for range in "2024-01-01T00:00:00+03:00 2024-01-01T02:00:00+03:00 5 0" \
		"2024-01-01T00:00:00Z 2024-01-01T04:10:00Z 30 5"; do
		# shellcheck disable=SC2086
		soap $range >"$tmp/req"
		curl -s -o "$tmp/body" -u test-user:test-password -H 'Content-Type: text/xml' \
			--data-binary @"$tmp/req" "$base/mercury/$scen" || continue
		n=$((n + 1))
		seed "$seeds_m" "mock-$n" 00 "$tmp/body"
		seed "$seeds_m" "mock-$n-500" 05 "$tmp/body"
	done
done
# found by fuzz_mercury: a 403 whose body holds the password's escaped form
# as its own text, quoted as such (pg_shim took that for a leak)
echo b8I1Li4uVVpaLVBBU1NXU0VLUklUXHg1Q0ZVWlotUEFTU1dPUkRFBW0wLi4uVTFOWFQxSkWc |
	base64 -d >"$seeds_m/regress-403-escaped-secret"
# the other VetIS operations of fuzz_mercury.c (flags: variant k << 1, so k << 5)
vreq() {	# vreq REQUEST INNER
	printf '%s' '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ws="http://api.vetrf.ru/schema/cdm/registry/ws-definitions/v2" xmlns:bs="http://api.vetrf.ru/schema/cdm/base" xmlns:dt="http://api.vetrf.ru/schema/cdm/dictionary/v2">'
	printf '<soapenv:Body><ws:%s><bs:listOptions><bs:count>5</bs:count><bs:offset>0</bs:offset></bs:listOptions>%s</ws:%s></soapenv:Body></soapenv:Envelope>' "$1" "$2" "$1"
}
since='<bs:updateDateInterval><bs:beginDate>2023-01-01T00:00:00Z</bs:beginDate></bs:updateDateInterval>'
country=$(curl -s "$base/_vetis/region" | sed -n 's/.*"key": "\([0-9a-f-]*\)".*/\1/p' | head -n 1)
entity=$(curl -s "$base/_vetis/location" | sed -n 's/.*"key": "\([0-9a-f-]*\)".*/\1/p' | head -n 1)
for spec in "20 EnterpriseService getBusinessEntityChangesListRequest $since" \
	"40 ProductService getProductItemChangesListRequest $since" \
	"60 EnterpriseService getRussianEnterpriseChangesListRequest $since" \
	"80 IkarService getAllCountryListRequest" \
	"a0 IkarService getRegionListByCountryRequest <dt:countryGuid>$country</dt:countryGuid>" \
	"c0 EnterpriseService getActivityLocationListRequest <dt:businessEntity><bs:guid>$entity</bs:guid></dt:businessEntity>" \
	"e0 IkarService getStreetChangesListRequest $since"; do
	read -r flags service request inner <<<"$spec"
	for scen in ok v1 hasmore; do
		vreq "$request" "${inner:-}" >"$tmp/req"
		curl -s -o "$tmp/body" -u test-user:test-password -H 'Content-Type: text/xml' \
			--data-binary @"$tmp/req" "$base/mercury/$scen/$service" || continue
		n=$((n + 1))
		seed "$seeds_m" "vetis-$n" "$flags" "$tmp/body"
	done
done
# the echo scenarios quote the credentials they are sent: send the fuzz
# targets' own (fuzz_mercury.c, fuzz_diadoc.c), so the seeds hold them
for scen in echo-html echo-fault-0 echo-fault-190 echo-attr-30 echo-value-50 echo-xmlerr-40; do
	soap 2024-01-01T00:00:00Z 2024-01-01T01:00:00Z 5 0 >"$tmp/req"
	curl -s -o "$tmp/body" -u 'fuzz-user:SEKRIT\FUZZ-PASSWORD' -H 'Content-Type: text/xml' \
		--data-binary @"$tmp/req" "$base/mercury/$scen" || continue
	n=$((n + 1))
	seed "$seeds_m" "echo-$n" 00 "$tmp/body"
done
for scen in echo-html echo-utf8-0 echo-utf8-12; do
	echo 'PacketId: "p1" Count: 5' | protoc --encode=Diadoc.Api.Proto.GetDocflowsByPacketIdRequest \
		-I "$top/proto" "$top/proto/diadoc.proto" >"$tmp/req" 2>/dev/null || continue
	curl -s -o "$tmp/body" -X POST --data-binary @"$tmp/req" \
		-H 'Authorization: DiadocAuth ddauth_api_client_id=SEKRIT-FUZZ-CLIENT,ddauth_token=SEKRIT-FUZZ-TOKEN' \
		"$base/diadoc/$scen/GetDocflowsByPacketId?boxId=box-1" || continue
	n=$((n + 1))
	seed "$seeds_d" "echo-$n" 00 "$tmp/body"
done
# events: answers encoded by protoc from text (the fixture and variants of
# it: no IndexKey on the last event, an empty page, a page of one event
# without its document), then the mock's generated box in its scenarios
evproto=$top/proto/diadoc_docflow_events.proto
evmsg=Diadoc.Api.Proto.Docflow.GetDocflowEventsResponseV5
evtext=$(grep -v '^#' "$top/test/fixtures/diadoc_events.txt")
k=0
for variant in full nokey empty nodoc; do
	case $variant in
		full) text=$evtext ;;
		nokey) text=$(printf '%s\n' "$evtext" | sed 's/IndexKey: "\\001\\002\\005"//') ;;
		empty) text='TotalCount: 7 TotalCountType: Equal' ;;
		nodoc) text='Events { EventId: "e" Timestamp { Ticks: 1 } DocumentId { MessageId: "m" EntityId: "n" } IndexKey: "k" }' ;;
	esac
	printf '%s\n' "$text" | protoc --encode=$evmsg -I "$top/proto" "$evproto" >"$tmp/body" || continue
	for fl in 00 10 20 30 08 02; do
		k=$((k + 1))
		seed "$seeds_e" "protoc-$variant-$k" "$fl" "$tmp/body"
	done
done
for scen in ok box-7 missing-required no-document unsorted status-403 garbage; do
	for text in 'Filter { FromTimestamp { Ticks: 638712864000000000 } } Limit: 5 PopulateDocuments: true' \
		'Filter { FromTimestamp { Ticks: 638713200000000000 } SortDirection: Descending } Limit: 3 PopulateDocuments: true DocumentDirections: "Inbound"'; do
		echo "$text" | protoc --encode=Diadoc.Api.Proto.Docflow.GetDocflowEventsRequest \
			-I "$top/proto" "$evproto" >"$tmp/req" 2>/dev/null || continue
		curl -s -o "$tmp/body" -X POST --data-binary @"$tmp/req" \
			-H 'Authorization: DiadocAuth ddauth_api_client_id=test-client,ddauth_token=test-token' \
			"$base/diadoc/$scen/V5/GetDocflowEvents?boxId=box-1" || continue
		k=$((k + 1))
		seed "$seeds_e" "mock-$k" 00 "$tmp/body"
	done
done
# SearchDocflows and GetDocflows: the mock's answers to requests protoc
# encodes, and answers protoc encodes itself (flags: fuzz_search.c variants)
seeds_s=$build/seeds-search
rm -rf "$seeds_s"
mkdir -p "$seeds_s" "$build/corpus-search"
sproto=(-I "$top/proto" "$top/proto/diadoc_search.proto")
for scen in ok box-40 empty-pages grow missing-required extra-docs garbage status-500; do
	for text in 'QueryString: "B-1" Count: 5' 'QueryString: "B-1" Count: 5 FirstIndex: 5' \
		'QueryString: "box-" Count: 100 Scope: SearchScopeIncoming' 'QueryString: "B-9" Scope: SearchScopeDeleted'; do
		echo "$text" | protoc --encode=Diadoc.Api.Proto.Docflow.SearchDocflowsRequest "${sproto[@]}" \
			>"$tmp/req" 2>/dev/null || continue
		curl -s -o "$tmp/body" -X POST --data-binary @"$tmp/req" \
			-H 'Authorization: DiadocAuth ddauth_api_client_id=test-client,ddauth_token=test-token' \
			"$base/diadoc/$scen/V5/SearchDocflows?boxId=box-1" || continue
		n=$((n + 1))
		seed "$seeds_s" "mock-$n" 00 "$tmp/body"
		seed "$seeds_s" "mock-$n-scope" 20 "$tmp/body"
	done
	for ids in 'bmsg-0 bent-0,bmsg-0 bent-1,bmsg-4 bent-9' 'bmsg-1 bent-3,bmsg-2 bent-5,bmsg-99 bent-99'; do
		text=$(echo "$ids" | tr ',' '\n' | while read -r m e; do
			printf 'Requests { DocumentId { MessageId: "%s" EntityId: "%s" } } ' "$m" "$e"; done)
		echo "$text" | protoc --encode=Diadoc.Api.Proto.Docflow.GetDocflowBatchRequest "${sproto[@]}" \
			>"$tmp/req" 2>/dev/null || continue
		curl -s -o "$tmp/body" -X POST --data-binary @"$tmp/req" \
			-H 'Authorization: DiadocAuth ddauth_api_client_id=test-client,ddauth_token=test-token' \
			"$base/diadoc/$scen/V5/GetDocflows?boxId=box-1" || continue
		n=$((n + 1))
		seed "$seeds_s" "mock-$n" 10 "$tmp/body"
	done
done
echo 'Documents { DocumentId { MessageId: "bmsg-0" EntityId: "bent-1" } LastEvent { EventId: "e" Timestamp { Ticks: 638712864000000000 } } DocumentInfo { DocumentDirection: Inbound Metadata { Key: "DocumentNumber" Value: "B-1" } } } HaveMoreDocuments: true' |
	protoc --encode=Diadoc.Api.Proto.Docflow.SearchDocflowsResponseV5 "${sproto[@]}" >"$tmp/body" &&
	seed "$seeds_s" protoc-search 00 "$tmp/body"
echo 'Documents { DocumentId { MessageId: "bmsg-2" EntityId: "bent-4" } Docflow { DocflowStatus { PrimaryStatus { StatusText: "ok" } } } }' |
	protoc --encode=Diadoc.Api.Proto.Docflow.GetDocflowBatchResponseV5 "${sproto[@]}" >"$tmp/body" &&
	seed "$seeds_s" protoc-documents 10 "$tmp/body"
for f in "$top"/test/fixtures/mercury_*.xml; do
	[ -e "$f" ] && seed "$seeds_m" "fixture-$(basename "$f")" 00 "$f"
done
kill "$mockpid" 2>/dev/null
wait "$mockpid" 2>/dev/null
rm -rf "$tmp"
# token answers: what the mock's token endpoint says in each scenario
seeds_o=$build/seeds-oidc
rm -rf "$seeds_o"
mkdir -p "$seeds_o" "$build/corpus-oidc"
# (the mock is gone by now: restart it for these few)
mockout=$(mktemp)
"$top/test/mock_api/mock_api" --port 0 >"$mockout" 2>&1 &
mockpid=$!
for _ in $(seq 1 100); do grep -q '^port=' "$mockout" && break; sleep 0.05; done
port=$(sed -n 's/^port=//p' "$mockout")
rm -f "$mockout"
k=0
for scen in ok short-5 rotate no-access-token not-json array huge-expires negative-expires \
	string-expires mac dup bad-token; do
	for rt in test-refresh wrong; do
		k=$((k + 1))
		curl -s -o "$seeds_o/mock-$k" \
			-d "grant_type=refresh_token&client_id=test-client&client_secret=test-secret&refresh_token=$rt" \
			"http://127.0.0.1:$port/oidc/$scen/connect/token" || true
	done
done
kill "$mockpid" 2>/dev/null
wait "$mockpid" 2>/dev/null
nd=$(find "$seeds_d" -type f | wc -l)
nm=$(find "$seeds_m" -type f | wc -l)
ne=$(find "$seeds_e" -type f | wc -l)
ns=$(find "$seeds_s" -type f | wc -l)
if [ "$nd" -lt 10 ] || [ "$nm" -lt 10 ] || [ "$ne" -lt 20 ] || [ "$ns" -lt 10 ]; then
	bad "fuzz: seeds from the mock ($nd Diadoc, $nm Mercury, $ne events, $ns search)"
	exit 1
fi

# ---- fuzz -----------------------------------------------------------------
fuzz() {	# fuzz NAME
	local name=$1 out=$build/fuzz-$1.log dict=()
	[ -f "$here/$name.dict" ] && dict=(-dict="$here/$name.dict")
	"$build/fuzz_$name" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -print_final_stats=1 "${dict[@]}" \
		-artifact_prefix="$build/crash-$name-" \
		"$build/corpus-$name" "$build/seeds-$name" >"$out" 2>&1
	local rc=$? runs cov
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -n1)
	cov=$(grep -oE 'cov: [0-9]+' "$out" | tail -n1)
	if [ $rc = 0 ]; then
		ok "fuzz_$name for $secs s: ${runs:-?} inputs, ${cov:-cov: ?}, no crash, leak or sanitizer report"
	else
		grep -E 'ERROR|SUMMARY|pg_shim|fuzz:|Test unit written|runtime error' "$out" | head -n 20
		bad "fuzz_$name found a problem (log: $out)"
	fi
}
fuzz diadoc
fuzz events
fuzz search
fuzz mercury
fuzz oidc
