#!/bin/bash
#
# smoke.sh - quick self-test of the mock API server
#
# Starts mock_api on a free port, sends requests of every kind with curl,
# prints one "ok"/"FAIL" line per check and exits non-zero on any failure.
# Needs curl, protoc (protobuf-compiler) and xmllint.
#
#	make mock && test/mock_api/smoke.sh [path/to/mock_api]
#
set -u

here=$(cd "$(dirname "$0")" && pwd)
mock=${1:-$here/mock_api}
proto_dir=$here/../../proto
tmp=$(mktemp -d)
pid=

cleanup()
{
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

"$mock" --port 0 --units 100 --fixture-dir "$tmp" >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 100); do
	grep -q '^port=' "$tmp/out" && break
	sleep 0.02
done
port=$(sed -n 's/^port=//p' "$tmp/out")
if [ -z "$port" ]; then
	echo "FAIL - mock_api did not start"
	cat "$tmp/err"
	exit 1
fi
base=http://127.0.0.1:$port

passed=0
failed=0

# check NAME EXPECTED ACTUAL
check()
{
	if [ "$2" = "$3" ]; then
		echo "ok   - $1"
		passed=$((passed + 1))
	else
		echo "FAIL - $1"
		echo "       expected: $2"
		echo "       actual:   $3"
		failed=$((failed + 1))
	fi
}

log() { curl -s "$base/_log"; }

# --- Diadoc -------------------------------------------------------------

proto() { protoc -I"$proto_dir" "$proto_dir/diadoc_docflow.proto" "$@"; }
token_auth="Authorization: DiadocAuth ddauth_api_client_id=test-client,ddauth_token=test-token"

# diadoc SCENARIO REQUEST-TEXT [BOX [AUTH-HEADER]]: prints the HTTP status,
# leaves the answer in $tmp/body
diadoc()
{
	printf '%s' "$2" | proto --encode=Diadoc.Api.Proto.Docflow.GetDocflowsByPacketIdRequest >"$tmp/req"
	curl -s -o "$tmp/body" -w '%{http_code}' -H "${4-$token_auth}" \
		--data-binary @"$tmp/req" "$base/diadoc/$1/GetDocflowsByPacketId?boxId=${3:-box-1}"
}

# "DOCS NEXT" of the answer in $tmp/body (NEXT as protoc prints it, or -)
page()
{
	proto --decode=Diadoc.Api.Proto.Docflow.GetDocflowsByPacketIdResponse <"$tmp/body" |
		awk '/^Documents/ { n++ } /^NextPageIndexKey/ { k = $2 } END { print n + 0, (k == "" ? "-" : k) }'
}

log >/dev/null
check "diadoc p250 page 1" "200 100" "$(diadoc ok 'PacketId: "p250" Count: 100') $(page | cut -d' ' -f1)"
check "diadoc document 0 fields" "yes" "$(proto --decode=Diadoc.Api.Proto.Docflow.GetDocflowsByPacketIdResponse <"$tmp/body" |
	grep -q 'EntityId: "ent-p250-0"' && echo yes)"
# DocumentWithDocflow 9 and 100, DocumentInfo 9 and 1000, Docflow 2 and 20
check "diadoc unknown fields present" "6" \
	"$(proto --decode=Diadoc.Api.Proto.Docflow.GetDocflowsByPacketIdResponse <"$tmp/body" |
	sed -n '1,/^}/p' | grep -cE '^ +(9|100|1000|20): |^ +2 \{')"
diadoc ok 'PacketId: "p250" Count: 100 AfterIndexKey: "\000\000\000\000\000\000\000d"' >/dev/null
check "diadoc p250 page 2" "100" "$(page | cut -d' ' -f1)"
check "diadoc p250 page 3" "200 50 -" \
	"$(diadoc ok 'PacketId: "p250" Count: 100 AfterIndexKey: "\000\000\000\000\000\000\000\310"') $(page)"
check "diadoc log of the three pages" \
"diadoc GetDocflowsByPacketId box=box-1 packet=p250 count=100 after=- status=200 docs=100 next=0000000000000064
diadoc GetDocflowsByPacketId box=box-1 packet=p250 count=100 after=0000000000000064 status=200 docs=100 next=00000000000000c8
diadoc GetDocflowsByPacketId box=box-1 packet=p250 count=100 after=00000000000000c8 status=200 docs=50 next=-" "$(log)"

# every API version by path: V3/V4/V5 answers decode with their own types
for v in V3 V4 V5; do
	printf '%s' 'PacketId: "p7" Count: 5' | proto --encode=Diadoc.Api.Proto.Docflow.GetDocflowsByPacketIdRequest >"$tmp/req"
	check "diadoc $v page" "200 5" "$(curl -s -o "$tmp/body" -w '%{http_code}' -H "$token_auth" \
		--data-binary @"$tmp/req" "$base/diadoc/ok/$v/GetDocflowsByPacketId?boxId=box-1") $(
		proto --decode=Diadoc.Api.Proto.Docflow.GetDocflowsByPacketIdResponse$v <"$tmp/body" | grep -c '^Documents')"
done
check "diadoc V5 participants by type" "yes" "$(proto --decode=Diadoc.Api.Proto.Docflow.GetDocflowsByPacketIdResponseV5 <"$tmp/body" |
	grep -q 'Type: Recipient' && echo yes)"
check "diadoc log names the versioned paths" "V3/GetDocflowsByPacketId V4/GetDocflowsByPacketId V5/GetDocflowsByPacketId" \
	"$(log | cut -d' ' -f2 | tr '\n' ' ' | sed 's/ $//')"

# the generated box's event feed (PROTOCOL.md, "Generated box")
evproto() { protoc -I"$proto_dir" "$proto_dir/diadoc_docflow_events.proto" "$@"; }
# events SCENARIO REQUEST-TEXT: HTTP status; the answer decoded in $tmp/events
events()
{
	printf '%s' "$2" | evproto --encode=Diadoc.Api.Proto.Docflow.GetDocflowEventsRequest >"$tmp/req"
	curl -s -o "$tmp/body" -w '%{http_code}' -H "$token_auth" \
		--data-binary @"$tmp/req" "$base/diadoc/$1/V5/GetDocflowEvents?boxId=box-1"
	evproto --decode=Diadoc.Api.Proto.Docflow.GetDocflowEventsResponseV5 <"$tmp/body" >"$tmp/events" 2>/dev/null
}
# "EVENTS FIRST-EVENT-ID" of $tmp/events
evpage() { awk '/^Events/ { n++ } /^  EventId/ && !f { f = $2 } END { print n + 0, (f == "" ? "-" : f) }' "$tmp/events"; }
from='Filter { FromTimestamp { Ticks: 638712864000000000 } }'
log >/dev/null
check "events box-60 page 1" "200 30 \"bevt-0\"" "$(events box-60 "$from Limit: 30") $(evpage)"
check "events box-60 page 3 is empty" "200 0 -" \
	"$(events box-60 "$from Limit: 30 AfterIndexKey: \"\\356\\000\\000\\000\\000\\000\\000\\000<\"") $(evpage)"
check "events descending" "200 3 \"bevt-99\"" \
	"$(events ok 'Filter { FromTimestamp { Ticks: 1 } SortDirection: Descending } Limit: 3') $(evpage)"
check "events documents with unknown fields" "200 3" \
	"$(events ok "$from Limit: 3 PopulateDocuments: true") $(grep -cE '^ +100: ' "$tmp/events")"
check "events filter Outbound box-cp-1" "200 6" \
	"$(events ok "$from Limit: 100 DocumentDirections: \"Outbound\" CounteragentBoxId: \"box-cp-1\"") $(evpage | cut -d' ' -f1)"
check "events without FromTimestamp -> 400" "400" "$(events ok 'Filter { } Limit: 3')"
check "events with a foreign key -> 400" "400" "$(events ok "$from AfterIndexKey: \"x\"")"
check "events log shows the TimeBasedFilter" \
	"from=638712864000000000 to=- sort=- after=- limit=30 populate=0 msgtypes=- directions=- types=- department=- counteragent=- status=200 events=30 total=60" \
	"$(log | head -n1 | cut -d' ' -f4-)"

# search and documents by id over the same box (PROTOCOL.md, "Search and documents by id")
sproto() { protoc -I"$proto_dir" "$proto_dir/diadoc_search.proto" "$@"; }
# search SCENARIO REQUEST-TEXT: HTTP status; the answer decoded in $tmp/found
search()
{
	printf '%s' "$2" | sproto --encode=Diadoc.Api.Proto.Docflow.SearchDocflowsRequest >"$tmp/req"
	curl -s -o "$tmp/body" -w '%{http_code}' -H "$token_auth" \
		--data-binary @"$tmp/req" "$base/diadoc/$1/V5/SearchDocflows?boxId=box-1"
	sproto --decode=Diadoc.Api.Proto.Docflow.SearchDocflowsResponseV5 <"$tmp/body" >"$tmp/found" 2>/dev/null
}
# getdocs SCENARIO "MSG ENT" ...: HTTP status; the answer decoded in $tmp/found
getdocs()
{
	local scen=$1 text='' m e
	shift
	for id in "$@"; do
		read -r m e <<<"$id"
		text="$text Requests { DocumentId { MessageId: \"$m\" EntityId: \"$e\" } }"
	done
	printf '%s' "$text" | sproto --encode=Diadoc.Api.Proto.Docflow.GetDocflowBatchRequest >"$tmp/req"
	curl -s -o "$tmp/body" -w '%{http_code}' -H "$token_auth" \
		--data-binary @"$tmp/req" "$base/diadoc/$scen/V5/GetDocflows?boxId=box-1"
	sproto --decode=Diadoc.Api.Proto.Docflow.GetDocflowBatchResponseV5 <"$tmp/body" >"$tmp/found" 2>/dev/null
}
# "DOCUMENTS MORE" of $tmp/found
found() { awk '/^Documents/ { n++ } /^HaveMoreDocuments/ { m = $2 } END { print n + 0, (m == "" ? "-" : m) }' "$tmp/found"; }
log >/dev/null
check "search B-1 first page" "200 3 true" "$(search ok 'QueryString: "B-1" Count: 3') $(found)"
check "search B-1 last page" "200 1 false" "$(search ok 'QueryString: "B-1" Count: 3 FirstIndex: 9') $(found)"
check "search deleted scope" "200 3 false" "$(search ok 'QueryString: "box-" Scope: SearchScopeDeleted') $(found)"
check "search box-25 sees fewer documents" "200 25 false" "$(search box-25 'QueryString: "box-"') $(found)"
check "search without QueryString -> 400" "400" "$(search ok 'Count: 3')"
check "search Count 101 -> 400" "400" "$(search ok 'QueryString: "x" Count: 101')"
check "search empty-pages: nothing, yet more" "200 0 true" "$(search empty-pages 'QueryString: "B-1"') $(found)"
check "search missing-required: no HaveMoreDocuments" "200 3 -" "$(search missing-required 'QueryString: "B-1" Count: 3') $(found)"
check "search extra-docs: Count + 1" "200 4 true" "$(search extra-docs 'QueryString: "B-1" Count: 3') $(found)"
search grow 'QueryString: "box-" Count: 5' >/dev/null
search grow 'QueryString: "box-" Count: 5 FirstIndex: 10' >/dev/null
check "search log: a total that grows" "total=10 total=30" \
	"$(log | grep -o 'total=[0-9]*' | tail -n2 | tr '\n' ' ' | sed 's/ $//')"
check "getdocs: known ids only, unknown fields" "200 2 1" \
	"$(getdocs ok 'bmsg-0 bent-1' 'bmsg-9 bent-19' 'x y') $(found | cut -d' ' -f1) $(grep -cE '^9[: ]' "$tmp/found")"
check "getdocs: none known -> 404" "404" "$(getdocs ok 'x y')"
check "getdocs extra-docs: one not asked for" "200 2" "$(getdocs extra-docs 'bmsg-0 bent-1') $(found | cut -d' ' -f1)"
check "getdocs log" "ids=1 first=x/y status=404" "$(log | tail -n2 | head -n1 | cut -d' ' -f4-)"

check "diadoc bad token -> 401" "401" \
	"$(diadoc ok 'PacketId: "p1"' box-1 'Authorization: DiadocAuth ddauth_api_client_id=test-client,ddauth_token=nope')"
check "diadoc other box -> 403" "403" "$(diadoc ok 'PacketId: "p1"' box-9)"
check "diadoc Count 0 -> 400" "400" "$(diadoc ok 'PacketId: "p1" Count: 0')"

printf 'Login: "test-login" Password: "test-password"' |
	proto --encode=Diadoc.Api.Proto.LoginPassword >"$tmp/login"
token=$(curl -s -H 'Authorization: DiadocAuth ddauth_api_client_id=test-client' \
	--data-binary @"$tmp/login" "$base/diadoc/ok/V3/Authenticate?type=password")
check "diadoc Authenticate issues a token" "issued-1" "$token"
issued_auth="Authorization: DiadocAuth ddauth_api_client_id=test-client,ddauth_token=$token"
check "diadoc issued token accepted" "200" "$(diadoc ok 'PacketId: "p1"' box-2 "$issued_auth")"
curl -s "$base/_control/expire-tokens" >/dev/null
check "diadoc expired token -> 401" "401" "$(diadoc ok 'PacketId: "p1"' box-2 "$issued_auth")"

diadoc empty-pages 'PacketId: "p30" Count: 10' >/dev/null
diadoc empty-pages 'PacketId: "p30" Count: 10 AfterIndexKey: "\000\000\000\000\000\000\000\n"' >/dev/null
check "diadoc empty-pages: empty page with a key" '0 "\000\000\000\000\000\000\000\n\356"' "$(page)"

diadoc loop 'PacketId: "p30" Count: 10 AfterIndexKey: "\000\000\000\000\000\000\000\n"' >/dev/null
check "diadoc loop: key repeats" '10 "\000\000\000\000\000\000\000\n"' "$(page)"

diadoc short-pages 'PacketId: "p30" Count: 10' >/dev/null
check "diadoc short-pages" '5 "\000\000\000\000\000\000\000\005"' "$(page)"

diadoc garbage 'PacketId: "p30"' >/dev/null
check "diadoc garbage does not decode" "failed" "$(proto --decode_raw <"$tmp/body" >/dev/null 2>&1 || echo failed)"

check "diadoc status-503" "503 mock status 503" "$(diadoc status-503 'PacketId: "p1"' box-1 'X-None: 1') $(cat "$tmp/body")"

printf 'NextPageIndexKey: "k"' | proto --encode=Diadoc.Api.Proto.Docflow.GetDocflowsByPacketIdResponse >"$tmp/pfix.bin"
check "diadoc fixture served as is" "200 same" \
	"$(diadoc fixture 'PacketId: "pfix"') $(cmp -s "$tmp/body" "$tmp/pfix.bin" && echo same)"
check "diadoc fixture missing -> 404" "404" "$(diadoc fixture 'PacketId: "nothing"')"

# --- Mercury ------------------------------------------------------------

# mercury SCENARIO COUNT OFFSET BEGIN [END] [CURL-AUTH]: prints the status,
# leaves the answer in $tmp/body
mercury()
{
	cat >"$tmp/req" <<EOF
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:ws="http://api.vetrf.ru/schema/cdm/registry/ws-definitions/v2"
    xmlns:bs="http://api.vetrf.ru/schema/cdm/base">
  <soapenv:Header/>
  <soapenv:Body>
    <ws:getUnitChangesListRequest>
      <bs:listOptions><bs:count>$2</bs:count><bs:offset>$3</bs:offset></bs:listOptions>
      <bs:updateDateInterval>
        <bs:beginDate>$4</bs:beginDate>${5:+<bs:endDate>$5</bs:endDate>}
      </bs:updateDateInterval>
    </ws:getUnitChangesListRequest>
  </soapenv:Body>
</soapenv:Envelope>
EOF
	curl -s -o "$tmp/body" -w '%{http_code}' ${6--u test-user:test-password} \
		-H 'Content-Type: text/xml; charset=utf-8' -H 'SOAPAction: "GetUnitChangesList"' \
		--data-binary @"$tmp/req" "$base/mercury/$1"
}
unit_list() { grep -o '<[a-z]*:unitList [^>]*>' "$tmp/body"; }
well_formed() { xmllint --noout "$tmp/body" 2>/dev/null && echo well-formed; }

log >/dev/null
check "mercury ok" "200 well-formed" "$(mercury ok 10 0 2024-01-01T00:00:00+03:00) $(well_formed)"
check "mercury ok unitList" '<dt:unitList count="10" total="100" offset="0" hasMore="true">' "$(unit_list)"
check "mercury ok last unit" "<bs:uuid>00000000-0000-4000-8000-000000000009</bs:uuid>" \
	"$(grep -o '<bs:uuid>[^<]*</bs:uuid>' "$tmp/body" | tail -1)"
mercury ok 1000 0 2023-12-31T21:05:00.5Z 2024-01-01T01:00:00+03:00 >/dev/null
check "mercury date range" '<dt:unitList count="5" total="5" offset="0" hasMore="false">' "$(unit_list)"
check "mercury v1" "200 well-formed 3" \
	"$(mercury v1 3 0 2024-01-01T00:00:00Z) $(well_formed) $(grep -c '^<argc:unit><argc:uuid>' "$tmp/body")"
mercury short-pages 10 0 2024-01-01T00:00:00+03:00 >/dev/null
check "mercury short-pages" '<dt:unitList count="5" total="100" offset="0" hasMore="true">' "$(unit_list)"
check "mercury shrink page 1" "200" "$(mercury shrink 10 0 2024-01-01T00:00:00+03:00)"
check "mercury shrink page 2" "500 well-formed 1" \
	"$(mercury shrink 10 10 2024-01-01T00:00:00+03:00) $(well_formed) $(grep -c 'offsetOutOfRangeFault' "$tmp/body")"
check "mercury fault-internal" "500 <faultstring>mock fault: internal 1" \
	"$(mercury fault-internal 10 0 2024-01-01T00:00:00Z) $(grep -o '<faultstring>[^<]*' "$tmp/body") $(grep -c '<ws:internalServiceFault ' "$tmp/body")"
check "mercury count 1001 -> incorrectRequestFault" "500 1" \
	"$(mercury ok 1001 0 2024-01-01T00:00:00Z) $(grep -c 'incorrectRequestFault' "$tmp/body")"
check "mercury no auth -> 401" "401" "$(mercury ok 10 0 2024-01-01T00:00:00Z '' -s)"
check "mercury garbage is not XML" "200 " "$(mercury garbage 10 0 2024-01-01T00:00:00Z) $(well_formed)"
check "mercury log" \
"mercury GetUnitChangesList count=10 offset=0 begin=2024-01-01T00:00:00+03:00 end=- status=200 units=10 total=100
mercury GetUnitChangesList count=1000 offset=0 begin=2023-12-31T21:05:00.5Z end=2024-01-01T01:00:00+03:00 status=200 units=5 total=5
mercury GetUnitChangesList count=3 offset=0 begin=2024-01-01T00:00:00Z end=- status=200 units=3 total=82" \
	"$(log | head -3)"

# --- misbehaviour (see also test/faults_slow.sh) ---------------------------

curl -s "$base/_control/reset" >/dev/null
log >/dev/null
check "retry-503-1: the first request of each page fails" "503 200 503" \
	"$(mercury retry-503-1 10 0 2024-01-01T00:00:00Z) $(mercury retry-503-1 10 0 2024-01-01T00:00:00Z) $(mercury retry-503-1 10 10 2024-01-01T00:00:00Z)"
check "retry-503-1 in the log" "status=503 status=200 status=503" \
	"$(log | grep -o 'status=[0-9a-z]*' | tr '\n' ' ' | sed 's/ $//')"
curl -s "$base/_control/reset" >/dev/null
check "/_control/reset: the page fails again" "503" "$(mercury retry-503-1 10 0 2024-01-01T00:00:00Z)"
post() { curl -s -u test-user:test-password --data-binary @"$tmp/req" "$@"; }
check "retry-429date-1: Retry-After is an HTTP date" "yes" \
	"$(post -D - -o /dev/null "$base/mercury/retry-429date-1" |
	grep -qE '^Retry-After: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT' && echo yes)"
check "hang: no answer" "000 28" "$(post -m 1 -o /dev/null -w '%{http_code}' "$base/mercury/hang") $?"
check "cut: the body is shorter than its Content-Length" "200 18" \
	"$(post -o /dev/null -w '%{http_code}' "$base/mercury/cut") $?"
check "redirect: 302 and Location" "302 $base/mercury/ok" \
	"$(post -o /dev/null -w '%{http_code} %{redirect_url}' "$base/mercury/redirect")"
check "blackhole port: connect times out" "28" \
	"$(curl -s --connect-timeout 0.5 -o /dev/null "http://127.0.0.1:$(curl -s "$base/_control/blackhole-port")/"; echo $?)"

# latency-N: each request waits N ms in its own thread, so two concurrent
# requests overlap (max_inflight 2) and take ~N ms together, not 2N.
curl -s "$base/_control/reset-max-inflight" >/dev/null
mkdir -p "$tmp/a" "$tmp/b"
start=$(date +%s%N)
tmp=$tmp/a mercury latency-300 10 0 2024-01-01T00:00:00Z >"$tmp/lat1" &
tmp=$tmp/b mercury latency-300 10 0 2024-01-01T00:00:00Z >"$tmp/lat2"
wait $!
ms=$((($(date +%s%N) - start) / 1000000))
check "mercury latency-300: 200, overlapped" "200 200 yes" \
	"$(cat "$tmp/lat1") $(cat "$tmp/lat2") $([ "$ms" -ge 300 ] && [ "$ms" -lt 550 ] && echo yes || echo "no ($ms ms)")"
check "max_inflight of two overlapping requests" "max_inflight=2" \
	"$(curl -s "$base/_stats" | grep -o 'max_inflight=[0-9]*')"
check "unknown latency scenario" "404" "$(mercury latency-0 10 0 2024-01-01T00:00:00Z)"
log >/dev/null

check "stats format" "yes" "$(curl -s "$base/_stats" | grep -qE '^connections=[0-9]+ requests=[0-9]+ inflight=[0-9]+ max_inflight=[0-9]+$' && echo yes)"

# --- OpenID Connect, Bearer, compression ---------------------------------
form='grant_type=refresh_token&client_id=test-client&client_secret=test-secret&refresh_token=test-refresh'
tok=$(curl -s -d "$form" "$base/oidc/short-1/connect/token" | sed -n 's/.*"access_token":"\(oidc-[0-9]*\)".*/\1/p')
check "oidc: a token for the refresh token" "yes" "$([ -n "$tok" ] && echo yes)"
check "oidc: Bearer with the issued token" "200" "$(diadoc ok 'PacketId: "p1"' box-1 "Authorization: Bearer $tok")"
check "oidc: Bearer with something after the token" "401" "$(diadoc ok 'PacketId: "p1"' box-1 "Authorization: Bearer $tok x")"
check "oidc: Bearer with the static access token" "200" "$(diadoc ok 'PacketId: "p1"' box-1 "Authorization: Bearer test-access-token")"
sleep 1.1
check "oidc: the issued token expires" "401" "$(diadoc ok 'PacketId: "p1"' box-1 "Authorization: Bearer $tok")"
check "oidc: invalid_grant" '400 {"error":"invalid_grant","error_description":"refresh token x+y is invalid or expired"}' \
	"$(curl -s -w '%{http_code} ' -o "$tmp/tok" -d 'grant_type=refresh_token&client_id=test-client&client_secret=test-secret&refresh_token=x%2By' "$base/oidc/ok/connect/token"; cat "$tmp/tok")"
check "oidc: invalid_client" "400 invalid_client" \
	"$(curl -s -w '%{http_code} ' -o "$tmp/tok" -d 'grant_type=refresh_token&client_id=test-client&client_secret=no&refresh_token=test-refresh' "$base/oidc/ok/connect/token"; sed -n 's/.*"error":"\([a-z_]*\)".*/\1/p' "$tmp/tok")"
check "oidc: a JSON body is no form" "400" \
	"$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d '{}' "$base/oidc/ok/connect/token")"
# --- VetIS list operations (mock_vetis.c) -------------------------------

# vetis PATH REQUEST-ELEMENT INNER-XML: prints the status, leaves the answer in $tmp/body
vetis()
{
	cat >"$tmp/req" <<EOF
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:ws="http://api.vetrf.ru/schema/cdm/registry/ws-definitions/v2"
    xmlns:bs="http://api.vetrf.ru/schema/cdm/base"
    xmlns:dt="http://api.vetrf.ru/schema/cdm/dictionary/v2">
  <soapenv:Body><ws:$2>$3</ws:$2></soapenv:Body>
</soapenv:Envelope>
EOF
	curl -s -o "$tmp/body" -w '%{http_code}' -u test-user:test-password \
		-H 'Content-Type: text/xml; charset=utf-8' --data-binary @"$tmp/req" "$base$1"
}
lo() { echo "<bs:listOptions><bs:count>$1</bs:count><bs:offset>$2</bs:offset></bs:listOptions>"; }
since() { echo "<bs:updateDateInterval><bs:beginDate>$1</bs:beginDate>${2:+<bs:endDate>$2</bs:endDate>}</bs:updateDateInterval>"; }
list_attrs() { grep -o '<[a-z]*:[a-zA-Z]*List [^>]*>' "$tmp/body"; }
fault() { grep -o '<ws:[a-zA-Z]*Fault ' "$tmp/body" | sed 's/<ws://; s/ $//'; }
# xcount XPATH: evaluates an XPath number over the answer (namespaces by URI)
xcount() { xmllint --xpath "$1" "$tmp/body" 2>/dev/null; }
BS=http://api.vetrf.ru/schema/cdm/base
DT=http://api.vetrf.ru/schema/cdm/dictionary/v2
truth() { curl -s "$base/_vetis/$1"; }
svc=/platform/services/2.1

log >/dev/null
check "vetis purpose changes" "200 well-formed" "$(vetis $svc/DictionaryService getPurposeChangesListRequest "$(lo 5 0)$(since 2023-01-01T00:00:00+03:00)") $(well_formed)"
check "vetis purpose list attributes" "<dt:purposeList count=\"5\" total=\"$(truth purpose | wc -l)\" offset=\"0\" hasMore=\"true\">" "$(list_attrs)"
check "vetis versioning in bs, own fields in dt" "5 5 5" \
	"$(xcount "count(//*[local-name()='purpose' and namespace-uri()='$DT'])") $(xcount "count(//*[local-name()='purpose']/*[local-name()='updateDate' and namespace-uri()='$BS'])") $(xcount "count(//*[local-name()='purpose']/*[local-name()='name' and namespace-uri()='$DT'])")"
check "vetis first item = first truth line" "$(truth purpose | head -1 | sed 's/.*"uuid": "\([^"]*\)".*/\1/')" \
	"$(xmllint --xpath "string(//*[local-name()='purpose'][1]/*[local-name()='uuid'])" "$tmp/body")"
all=0
for off in 0 1000 2000; do
	vetis /mercury/ok/IkarService getStreetChangesListRequest "$(lo 1000 $off)$(since 2000-01-01T00:00:00Z)" >/dev/null
	n=$(xcount "count(//*[local-name()='street'])")
	all=$((all + n))
	[ "$n" -lt 1000 ] && break
done
check "vetis street changes: all pages = the truth" "$(truth street | wc -l)" "$all"
check "vetis offset past the end" "500 offsetOutOfRangeFault" \
	"$(vetis $svc/IkarService getStreetChangesListRequest "$(lo 10 $all)$(since 2000-01-01T00:00:00Z)") $(fault)"
d=$(truth region | sed -n '5s/.*"updateDate": "\([^"]*\)".*/\1/p')
check "vetis endDate is exclusive" '<dt:regionList count="0" total="0" offset="0" hasMore="false">' \
	"$(vetis $svc/IkarService getRegionChangesListRequest "$(since "$d" "$d")" >/dev/null; list_attrs)"
check "vetis beginDate is inclusive" "$(truth region | grep -c "\"updateDate\": \"$d\"")" \
	"$(vetis $svc/IkarService getRegionChangesListRequest "$(since "$d" "${d%%T*}T23:59:59.999+03:00")" >/dev/null; xcount "count(//*[local-name()='region'][*[local-name()='updateDate']='$d'])")"
ru=$(truth country | grep '"name": "Россия"' | head -1 | sed 's/.*"guid": "\([^"]*\)".*/\1/')
check "vetis regions of Россия" "$(truth region | grep '"current": true' | grep -c "\"key\": \"$ru\"")" \
	"$(vetis $svc/IkarService getRegionListByCountryRequest "$(lo 1000 0)<dt:countryGuid>$ru</dt:countryGuid>" >/dev/null; xcount "count(//*[local-name()='region'][*[local-name()='countryGuid']='$ru'])")"
check "vetis regions: unknown country -> entityNotFoundFault" "500 entityNotFoundFault" \
	"$(vetis $svc/IkarService getRegionListByCountryRequest "<dt:countryGuid>00000000-0000-4000-8000-000000000000</dt:countryGuid>") $(fault)"
check "vetis regions: no key -> incorrectRequestFault" "500 incorrectRequestFault" \
	"$(vetis $svc/IkarService getRegionListByCountryRequest "$(lo 10 0)") $(fault)"
check "vetis sub-products: unknown product -> empty list" '200 <dt:subProductList count="0" total="0" offset="0" hasMore="false">' \
	"$(vetis $svc/ProductService getSubProductByProductListRequest "<dt:productGuid>00000000-0000-4000-8000-000000000000</dt:productGuid>") $(list_attrs)"
be=$(truth location | head -1 | sed 's/.*"key": "\([^"]*\)".*/\1/')
check "vetis activity locations of a business entity" '200 <dt:activityLocationList count="100" total="250" offset="0" hasMore="true">' \
	"$(vetis $svc/EnterpriseService getActivityLocationListRequest "<dt:businessEntity><bs:guid>$be</bs:guid></dt:businessEntity>") $(list_attrs)"
check "vetis hasmore: no total" '<dt:diseaseList count="2" offset="0" hasMore="true">' \
	"$(vetis /mercury/hasmore$svc/DictionaryService getDiseaseListRequest "$(lo 2 0)" >/dev/null; list_attrs)"
check "vetis hasmore: units too" '<dt:unitList count="2" offset="98" hasMore="false">' \
	"$(vetis /mercury/hasmore/DictionaryService getUnitChangesListRequest "$(lo 2 98)$(since 2000-01-01T00:00:00Z)" >/dev/null; unit_list)"
check "vetis no-totals" '<dt:countryList count="3" offset="0">' \
	"$(vetis /mercury/no-totals/IkarService getAllCountryListRequest "$(lo 3 0)" >/dev/null; list_attrs)"
check "vetis v1: one namespace" "200 well-formed 0 1" \
	"$(vetis /mercury/v1/ProductService getProductChangesListRequest "$(lo 1 0)$(since 2000-01-01T00:00:00Z)") $(well_formed) $(grep -c 'xmlns:dt=' "$tmp/body") $(grep -c '<argc:product><argc:uuid>' "$tmp/body")"
check "vetis wrong service" "500 incorrectRequestFault" \
	"$(vetis $svc/DictionaryService getAllCountryListRequest "") $(fault)"
check "vetis unit list: current units" '<dt:unitList count="34" total="34" offset="0" hasMore="false">' \
	"$(vetis /mercury/ok getUnitListRequest "$(lo 100 0)" >/dev/null; unit_list)"
check "vetis log" \
"mercury GetDiseaseList service=DictionaryService count=2 offset=0 begin=- end=- key=- status=200 items=2 total=$(truth disease | grep -c '"current": true')
mercury GetUnitChangesList count=2 offset=98 begin=2000-01-01T00:00:00Z end=- status=200 units=2 total=100" \
	"$(log | grep -e GetDiseaseList -e GetUnitChangesList)"
check "vetis truth of an unknown set -> 404" "404" "$(curl -s -o /dev/null -w '%{http_code}' "$base/_vetis/nothing")"

log >/dev/null
curl -s "$base/_headers" >/dev/null
check "gzip when asked, decoded by curl" "soap:Envelope" "$(curl -s --compressed -u test-user:test-password -H 'Content-Type: text/xml' --data-binary @/dev/null "$base/mercury/ok" | grep -o 'soap:Envelope' | head -n1)"
check "headers log: path, auth, encoding" "/mercury/ok auth=Basic encoding=gzip" "$(curl -s "$base/_headers" | awk '{print $1, $2, $4}')"
check "gzip-bomb: small on the wire" "yes" "$(n=$(curl -s -o /dev/null -w '%{size_download}' "$base/mercury/gzip-bomb"); [ "$n" -lt 200000 ] && echo yes)"
check "gzip-bomb: also under a service path" "200 gzip" \
	"$(curl -s -o /dev/null -D "$tmp/hdr" -w '%{http_code} ' "$base/mercury/gzip-bomb/DictionaryService"; sed -n 's/^Content-Encoding: *\([a-z]*\).*/\1/ip' "$tmp/hdr")"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
