#!/usr/bin/env bash
# The slow fault tests: timeouts, trickling answers, Retry-After, query
# cancel / statement_timeout / pg_terminate_backend while a scan is blocked
# on the network, and 792 interrupted scans in one backend (some under an
# Async Append) checked for leaked file descriptors and memory.
#
# Runs inside a throwaway cluster with the extension installed and the mock
# API up (test/run_tests.sh does both):
#	MOCK_URL=http://127.0.0.1:PORT pg_virtualenv -t test/faults_slow.sh
# Prints one "ok - NAME" or "FAIL - NAME" line per check (run_tests.sh
# counts them) and "# ..." lines with what was measured.
set -u

: "${MOCK_URL:?MOCK_URL must be set}"
psql=(psql -X -q -At -v ON_ERROR_STOP=0)
tmp=$(mktemp -d)
bgpids=()
trap 'for p in "${bgpids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT

ok() { echo "ok - $1"; }
fail() { echo "FAIL - $1"; }
note() { echo "# $*"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# check NAME CONDITION-EXIT-STATUS
check() { if [ "$2" = 0 ]; then ok "$1"; else fail "$1"; fi; }

blackhole=$(curl -s "$MOCK_URL/_control/blackhole-port")
curl -s "$MOCK_URL/_control/reset" >/dev/null

# A server, mapping and table per scenario (name_SCENARIO), like
# sql/faults.sql: d_* are Diadoc, m_* Mercury.
"${psql[@]}" >/dev/null <<EOF
CREATE EXTENSION IF NOT EXISTS paged_fdw;
CREATE FUNCTION fault_table(api text, url text, name text, opts text DEFAULT '')
RETURNS void LANGUAGE plpgsql AS \$\$
BEGIN
  EXECUTE format('CREATE SERVER %I FOREIGN DATA WRAPPER paged_fdw OPTIONS (api %L, url %L%s%s)',
                 name, api, url, CASE WHEN api = 'diadoc' THEN ', box_id ''box-1'', api_version ''legacy''' ELSE '' END,
                 CASE WHEN opts <> '' THEN ', ' || opts ELSE '' END);
  IF api = 'diadoc' THEN
    EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER %I OPTIONS (client_id %L, token %L)',
                   name, 'test-client', 'test-token');
    EXECUTE format('CREATE FOREIGN TABLE %I (packet_id text, entity_id text) SERVER %I OPTIONS (resource %L)',
                   name, name, 'docflows_by_packet');
  ELSE
    EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER %I OPTIONS (user %L, password %L)',
                   name, 'test-user', 'test-password');
    EXECUTE format('CREATE FOREIGN TABLE %I (uuid uuid, name text, begin_date timestamptz, end_date timestamptz) SERVER %I OPTIONS (resource %L)',
                   name, name, 'unit_changes');
  END IF;
END \$\$;
SELECT fault_table('diadoc', '$MOCK_URL/diadoc/hang', 'd_hang_1s', 'request_timeout ''1'', max_retries ''0''');
SELECT fault_table('diadoc', '$MOCK_URL/diadoc/hang', 'd_hang_retried', 'request_timeout ''1'', max_retries ''2''');
SELECT fault_table('mercury', '$MOCK_URL/mercury/trickle', 'm_trickle_2s', 'request_timeout ''2'', max_retries ''0''');
SELECT fault_table('diadoc', 'http://127.0.0.1:$blackhole/diadoc', 'd_blackhole_1s', 'connect_timeout ''1'', max_retries ''0''');
SELECT fault_table('diadoc', 'http://127.0.0.1:$blackhole/diadoc', 'd_blackhole', '');
SELECT fault_table('mercury', '$MOCK_URL/mercury/retry-hang-1', 'm_retry_hang', 'request_timeout ''1''');
SELECT fault_table('diadoc', '$MOCK_URL/diadoc/slow-300', 'd_slow', 'request_timeout ''1''');
SELECT fault_table('diadoc', '$MOCK_URL/diadoc/ok', 'd_slow_cursor', 'request_timeout ''1''');
SELECT fault_table('mercury', '$MOCK_URL/mercury/retry-429-1', 'm_retry_after_1', '');
SELECT fault_table('diadoc', '$MOCK_URL/diadoc/retry-429date-1', 'd_retry_after_date', '');
SELECT fault_table('diadoc', '$MOCK_URL/diadoc/retry-429long-1', 'd_retry_after_cap', 'retry_max_time ''100''');
SELECT fault_table('diadoc', '$MOCK_URL/diadoc/retry-429long-1-sleep', 'd_retry_sleep', 'retry_max_time ''100''');
SELECT fault_table('diadoc', '$MOCK_URL/diadoc/retry-429long-1-asleep', 'd_retry_asleep', 'retry_max_time ''100''');
SELECT fault_table('diadoc', '$MOCK_URL/diadoc/hang', 'd_hang', '');
SELECT fault_table('mercury', '$MOCK_URL/mercury/hang', 'm_hang', '');
SELECT fault_table('diadoc', '$MOCK_URL/diadoc/garbage', 'd_garbage', '');
SELECT fault_table('mercury', '$MOCK_URL/mercury/garbage', 'm_garbage', '');
SELECT fault_table('diadoc', '$MOCK_URL/diadoc/ok', 'd_ok', '');
SELECT fault_table('mercury', '$MOCK_URL/mercury/ok', 'm_ok', 'page_size ''100''');
-- one request in 1000 s: a scan's second request waits for its slot
SELECT fault_table('diadoc', '$MOCK_URL/diadoc/ok', 'd_rate_slow', 'max_requests_per_second ''0.001''');
-- the same with login and password: the token request takes the first slot
CREATE SERVER d_login_rate FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', api_version 'legacy', url '$MOCK_URL/diadoc/ok', box_id 'box-1',
           max_requests_per_second '0.001');
CREATE USER MAPPING FOR CURRENT_USER SERVER d_login_rate
  OPTIONS (client_id 'test-client', login 'test-login', password 'test-password');
CREATE FOREIGN TABLE d_login_rate (packet_id text, entity_id text)
  SERVER d_login_rate OPTIONS (resource 'docflows_by_packet');
EOF

# run_query NAME SQL: runs SQL in a new session with verbose errors; sets
# ELAPSED (ms, the whole psql run) and OUT (stdout and stderr).
run_query() {
	local t0
	t0=$(now_ms)
	OUT=$("${psql[@]}" -v VERBOSITY=verbose -c "$2" 2>&1)
	ELAPSED=$(($(now_ms) - t0))
	note "$1: ${ELAPSED} ms: $(echo "$OUT" | grep -E 'ERROR|FATAL|^[0-9]' | head -n 1)"
}
# between LO HI: is ELAPSED within [LO, HI] ms?
between() { [ "$ELAPSED" -ge "$1" ] && [ "$ELAPSED" -le "$2" ]; }

# The Retry-After cap takes 30 s: start it now, collect it at the end.  The
# background job notes when its query ended: the checks in between may take
# longer than the query.
cap_t0=$(now_ms)
("${psql[@]}" -c "SELECT count(*) FROM d_retry_after_cap WHERE packet_id = 'p5'" >"$tmp/cap.out" 2>&1
 echo $? >"$tmp/cap.rc"
 now_ms >"$tmp/cap.end") &
cap_pid=$!
bgpids+=("$cap_pid")

#
# Timeouts
#
run_query "request_timeout 1 s, server never answers" \
	"SELECT count(*) FROM d_hang_1s WHERE packet_id = 'p5'"
echo "$OUT" | grep -q 'HV000: GetDocflowsByPacketId request failed: timed out' && between 900 2000
check "hang: ERROR HV000 within request_timeout (1 s)" $?

run_query "request_timeout 2 s, one byte a second" \
	"SELECT count(*) FROM m_trickle_2s WHERE begin_date = '2024-01-01' AND end_date = '2024-01-02'"
echo "$OUT" | grep -q 'HV000: GetUnitChangesList request failed: timed out' && between 1900 3000
check "trickle: ERROR HV000 within request_timeout (2 s)" $?

run_query "connect_timeout 1 s, connect never completes" \
	"SELECT count(*) FROM d_blackhole_1s WHERE packet_id = 'p5'"
echo "$OUT" | grep -q 'HV00N: GetDocflowsByPacketId request failed: could not connect' && between 900 2000
check "blackhole: ERROR HV00N within connect_timeout (1 s)" $?

curl -s "$MOCK_URL/_log" >/dev/null
run_query "request_timeout 1 s, max_retries 2" \
	"SELECT count(*) FROM d_hang_retried WHERE packet_id = 'p5'"
n=$(curl -s "$MOCK_URL/_log" | grep -c 'status=hang')
note "requests sent: $n"
echo "$OUT" | grep -q 'HV000' && [ "$n" = 3 ] && between 3000 5000
check "hang: timed-out request retried twice, then ERROR" $?

# (one page of 144 units; its first answer hangs for request_timeout)
run_query "first answer hangs, the retry answers" \
	"SELECT count(*), count(DISTINCT uuid) FROM m_retry_hang WHERE begin_date = '2024-01-01' AND end_date = '2024-01-02'"
[ "$(echo "$OUT" | tail -n 1)" = "144|144" ] && between 1000 3000
check "timed-out page asked again: 144 rows, none twice" $?

run_query "slow answer (300 ms) within request_timeout" \
	"SELECT count(*) FROM d_slow WHERE packet_id = 'p5'"
[ "$OUT" = 5 ]
check "slow answer within request_timeout is not an error" $?

# A cursor read slowly: the prefetched page waits unread for longer than
# request_timeout.  It may count as timed out then; it is asked for again.
curl -s "$MOCK_URL/_log" >/dev/null
run_query "cursor paused 1.5 s with a page prefetched, request_timeout 1 s" \
	"BEGIN; DECLARE c CURSOR FOR SELECT entity_id FROM d_slow_cursor WHERE packet_id = 'p250';
	 FETCH 1 FROM c; SELECT pg_sleep(1.5); MOVE ALL FROM c; CLOSE c; COMMIT;
	 SELECT 'rows', count(*), count(DISTINCT entity_id) FROM d_slow_cursor WHERE packet_id = 'p250'"
note "requests sent: $(curl -s "$MOCK_URL/_log" | wc -l) (6 without a retry)"
echo "$OUT" | grep -q '^rows|250|250$' && ! echo "$OUT" | grep -q ERROR
check "a cursor paused beyond request_timeout reads on without an ERROR" $?

#
# Retry-After
#
run_query "Retry-After: 1" \
	"SELECT count(*) FROM m_retry_after_1 WHERE begin_date = '2024-01-01' AND end_date = '2024-01-01 06:00'"
[ "$OUT" = 36 ] && between 1000 3000
check "Retry-After in seconds honoured" $?

run_query "Retry-After: HTTP date 2 s ahead" \
	"SELECT count(*) FROM d_retry_after_date WHERE packet_id = 'p5'"
[ "$OUT" = 5 ] && between 1000 3500
check "Retry-After as an HTTP date honoured" $?

#
# Cancel, statement_timeout, terminate while blocked on the network
#
# start_blocked NAME SQL: runs SQL then a normal query in a background
# session named NAME; returns once its backend is waiting.
start_blocked() {
	local name=$1 sql=$2
	"${psql[@]}" -v VERBOSITY=verbose >"$tmp/$name.out" 2>&1 <<EOF &
SET application_name = '$name';
$sql;
SELECT 'after', count(*) FROM d_ok WHERE packet_id = 'p5';
EOF
	BG=$!
	bgpids+=("$BG")
	for _ in $(seq 100); do
		PID=$("${psql[@]}" -c "SELECT pid FROM pg_stat_activity WHERE application_name = '$name' AND state = 'active'")
		[ -n "$PID" ] && break
		sleep 0.05
	done
	sleep 0.5			# well inside the network wait
}
# stop_blocked HOW: HOW(pid) from another session, then time until the
# blocked session has finished
stop_blocked() {
	local t0
	t0=$(now_ms)
	"${psql[@]}" -c "SELECT $1($PID)" >/dev/null
	wait "$BG"
	ELAPSED=$(($(now_ms) - t0))
}

# (async: an Async Append of two scans, both waiting)
async_hang="SELECT count(x) FROM (SELECT entity_id AS x FROM d_hang WHERE packet_id = 'p5'
	UNION ALL SELECT name FROM m_hang WHERE begin_date = '2024-01-01') u"
[ "$("${psql[@]}" -c "EXPLAIN $async_hang" | grep -c 'Async Foreign Scan')" = 2 ]
check "a UNION ALL of two foreign tables is an Async Append" $?
# (async_retry: one child in a retry's backoff, which an Async Append waits
# out on the connection's descriptor, the other child done)
async_retry="SELECT count(x) FROM (SELECT entity_id AS x FROM d_retry_asleep WHERE packet_id = 'p5'
	UNION ALL SELECT entity_id FROM d_ok WHERE packet_id = 'p5') u"
# (async_rate: one child waiting for its max_requests_per_second slot, which
# an Async Append waits for on the connection's descriptor, the other child
# done; async_login_rate: the same after the token request took a slot)
async_rate="SELECT count(x) FROM (SELECT entity_id AS x FROM d_rate_slow WHERE packet_id = 'p250'
	UNION ALL SELECT entity_id FROM d_ok WHERE packet_id = 'p5') u"
async_login_rate="SELECT count(x) FROM (SELECT entity_id AS x FROM d_login_rate WHERE packet_id = 'p5'
	UNION ALL SELECT entity_id FROM d_ok WHERE packet_id = 'p5') u"
n=0
for q in "$async_rate" "$async_login_rate"; do
	n=$((n + $("${psql[@]}" -c "EXPLAIN $q" | grep -c 'Async Foreign Scan')))
done
[ "$n" = 4 ]
check "the rate waits' UNION ALLs are Async Appends" $?
for target in d_hang m_hang d_blackhole d_retry_sleep d_rate_slow async async_retry async_rate async_login_rate; do
	case $target in
		d_hang | d_blackhole | d_retry_sleep) q="SELECT count(*) FROM $target WHERE packet_id = 'p5'" ;;
		d_rate_slow) q="SELECT count(*) FROM $target WHERE packet_id = 'p250'" ;;
		m_hang) q="SELECT count(*) FROM $target WHERE begin_date = '2024-01-01'" ;;
		async) q=$async_hang ;;
		async_retry) q=$async_retry ;;
		async_rate) q=$async_rate ;;
		async_login_rate) q=$async_login_rate ;;
	esac
	start_blocked "cancel_$target" "$q"
	stop_blocked pg_cancel_backend
	note "pg_cancel_backend on $target: ${ELAPSED} ms"
	grep -q '57014: canceling statement due to user request' "$tmp/cancel_$target.out" &&
		grep -q '^after|5$' "$tmp/cancel_$target.out" && between 0 1000
	check "pg_cancel_backend stops a scan blocked on $target within 1 s (57014), the session goes on" $?
done

t0=$(now_ms)
OUT=$("${psql[@]}" -v VERBOSITY=verbose 2>&1 <<EOF
SET statement_timeout = '500ms';
SELECT count(*) FROM d_hang WHERE packet_id = 'p5';
RESET statement_timeout;
SELECT 'after', count(*) FROM d_ok WHERE packet_id = 'p5';
EOF
)
ELAPSED=$(($(now_ms) - t0))
note "statement_timeout 500 ms on d_hang: session took ${ELAPSED} ms"
echo "$OUT" | grep -q '57014: canceling statement due to statement timeout' &&
	echo "$OUT" | grep -q '^after|5$' && between 500 1500
check "statement_timeout stops a scan blocked on the network within 1 s (57014), the session goes on" $?

# the same for a wait for the request rate in an Async Append
t0=$(now_ms)
OUT=$("${psql[@]}" -v VERBOSITY=verbose 2>&1 <<EOF
SET statement_timeout = '500ms';
$async_rate;
RESET statement_timeout;
SELECT 'after', count(*) FROM d_ok WHERE packet_id = 'p5';
EOF
)
ELAPSED=$(($(now_ms) - t0))
note "statement_timeout 500 ms on an Async Append waiting for the rate: session took ${ELAPSED} ms"
echo "$OUT" | grep -q '57014: canceling statement due to statement timeout' &&
	echo "$OUT" | grep -q '^after|5$' && between 500 1500
check "statement_timeout stops an Async Append waiting for the request rate within 1 s (57014), the session goes on" $?

start_blocked terminate_d_hang "SELECT count(*) FROM d_hang WHERE packet_id = 'p5'"
stop_blocked pg_terminate_backend
note "pg_terminate_backend on d_hang: ${ELAPSED} ms"
grep -q '57P01: terminating connection due to administrator command' "$tmp/terminate_d_hang.out" && between 0 1000
check "pg_terminate_backend ends a backend blocked on the network within 1 s (57P01)" $?
[ "$("${psql[@]}" -c "SELECT count(*) FROM d_ok WHERE packet_id = 'p5'")" = 5 ]
check "the next session works after pg_terminate_backend" $?

#
# A hostile Diadoc page that decodes to ~30 times its size (issue 16): one
# document with 30 million empty ForwardDocumentEvents, a 60 MB body under
# the default max_response_size.  Peak backend memory (VmHWM) stays within
# the decode bound, and a statement_timeout stops a decode that a superuser
# allowed to go on.
#
"${psql[@]}" -c "SELECT fault_table('diadoc', '$MOCK_URL/diadoc/amplify-30000', 'd_amplify', 'request_timeout ''60''')" >/dev/null
hwm_sql="SELECT 'HWM', (regexp_match(pg_read_file('/proc/self/status'), 'VmHWM:\\s+(\\d+)'))[1];"
t0=$(now_ms)
OUT=$("${psql[@]}" -v VERBOSITY=verbose 2>&1 <<EOF
$hwm_sql
SELECT count(*) FROM d_amplify WHERE packet_id = 'p1';
$hwm_sql
SELECT 'after', count(*) FROM d_ok WHERE packet_id = 'p5';
EOF
)
ELAPSED=$(($(now_ms) - t0))
hwm0=$(echo "$OUT" | grep '^HWM|' | head -n 1 | cut -d'|' -f2)
hwm1=$(echo "$OUT" | grep '^HWM|' | tail -n 1 | cut -d'|' -f2)
note "amplified page, default paged_fdw.max_decoded_size (256 MB): ${ELAPSED} ms, backend VmHWM $hwm0 -> $hwm1 kB: $(echo "$OUT" | grep ERROR | head -n 1)"
# the 60 MB body, the 256 MB bound and the backend's own: well under 450 MB
echo "$OUT" | grep -q 'HV000: GetDocflowsByPacketId response is too large to decode' &&
	echo "$OUT" | grep -q '^after|5$' && [ -n "$hwm1" ] && [ "$hwm1" -le 460800 ]
check "an amplified Diadoc page is refused at the decode bound (HV000), backend peak memory ${hwm1:-?} kB <= 450 MB" $?

t0=$(now_ms)
OUT=$("${psql[@]}" -v VERBOSITY=verbose 2>&1 <<EOF
$hwm_sql
SET paged_fdw.max_decoded_size = '4GB';
SET statement_timeout = '1s';
SELECT count(*) FROM d_amplify WHERE packet_id = 'p1';
RESET statement_timeout;
$hwm_sql
SELECT 'after', count(*) FROM d_ok WHERE packet_id = 'p5';
EOF
)
ELAPSED=$(($(now_ms) - t0))
hwm0=$(echo "$OUT" | grep '^HWM|' | head -n 1 | cut -d'|' -f2)
hwm1=$(echo "$OUT" | grep '^HWM|' | tail -n 1 | cut -d'|' -f2)
note "amplified page, max_decoded_size 4GB, statement_timeout 1 s: session took ${ELAPSED} ms, backend VmHWM $hwm0 -> $hwm1 kB: $(echo "$OUT" | grep ERROR | head -n 1)"
echo "$OUT" | grep -q '57014: canceling statement due to statement timeout' &&
	echo "$OUT" | grep -q '^after|5$' && between 1000 2000
check "statement_timeout 1 s stops decoding an amplified Diadoc page within 2 s (57014), the session goes on" $?

# (that only a superuser may raise the bound is in sql/security.sql)

#
# 792 interrupted scans in one backend: file descriptors and memory flat
#
rounds=60
warmup=12
# measure N: the numbers on stdout, what the descriptors are in fds.N
measure() {
	echo "\\o
SELECT 'MEASURE', (SELECT count(*) FROM pg_ls_dir('/proc/self/fd')),
       (regexp_match(pg_read_file('/proc/self/status'), 'VmRSS:\\s+(\\d+)'))[1],
       (SELECT sum(total_bytes) FROM pg_backend_memory_contexts);
SELECT pg_backend_pid() AS leak_pid \\gset
\\setenv LEAK_PID :leak_pid
\\! ls -l /proc/\$LEAK_PID/fd 2>/dev/null | awk 'NR > 1 { print \$NF }' | sed 's/[0-9][0-9]*/N/g' | sort | uniq -c >$tmp/fds.$1
\\o /dev/null"
}
# The Async Appends of a round: top-level UNION ALLs (under an aggregate
# PostgreSQL 15 puts each branch under a Subquery Scan, which is not async).
async_error="SELECT entity_id FROM d_garbage WHERE packet_id = 'p5'
	UNION ALL SELECT name FROM m_ok WHERE begin_date = '2024-01-01'"
async_timeout="SELECT entity_id FROM d_hang WHERE packet_id = 'p5'
	UNION ALL SELECT entity_id FROM d_ok WHERE packet_id = 'p450'"
async_limit="(SELECT entity_id FROM d_ok WHERE packet_id = 'p450' AND entity_id LIKE '%7'
	UNION ALL SELECT name FROM m_ok WHERE begin_date = '2024-01-01' AND name LIKE '%7') LIMIT 3"
n_async=0
for q in "$async_error" "$async_timeout" "$async_limit"; do
	n=$("${psql[@]}" -c "EXPLAIN (COSTS OFF) $q" | grep -c 'Async Foreign Scan')
	n_async=$((n_async + n))
done
[ "$n_async" = 6 ]
check "the leak run's Append plans are async (Async Foreign Scans: $n_async of 6)" $?
# one round: a scan ended by an ERROR, one by statement_timeout while
# blocked on the network, one by a LIMIT with a page still in flight; then
# the same as Async Appends of two scans each (an ERROR in one child while
# the other has pages in flight, statement_timeout, LIMIT over the Append)
round="SELECT count(*) FROM d_garbage WHERE packet_id = 'p5';
SELECT count(*) FROM m_garbage WHERE begin_date = '2024-01-01';
SET statement_timeout = '100ms';
SELECT count(*) FROM d_hang WHERE packet_id = 'p5';
RESET statement_timeout;
SELECT entity_id FROM d_ok WHERE packet_id = 'p450' AND entity_id LIKE '%7' LIMIT 3;
SELECT name FROM m_ok WHERE begin_date = '2024-01-01' AND name LIKE '%7' LIMIT 3;
$async_error;
SET statement_timeout = '100ms';
$async_timeout;
RESET statement_timeout;
$async_limit;"
# every round: 11 scans, 5 ERRORs of which 2 statement timeouts
# How many connections stay idle in curl's cache depends on how the last
# scan of a server ended (a prefetched page may or may not have completed
# before the LIMIT stopped the scan).  Before measuring, changing the
# servers of those scans makes the next scan drop their cached connections
# (http.c rebuilds a connection whose server changed), and one complete
# one-page scan of each leaves exactly one idle connection.  Leaked sockets
# are not in curl's cache and would still be counted.
settle="ALTER SERVER d_ok OPTIONS (SET url '$MOCK_URL/diadoc/ok');
ALTER SERVER m_ok OPTIONS (SET url '$MOCK_URL/mercury/ok');
SELECT count(*) FROM d_ok WHERE packet_id = 'p5';
SELECT count(*) FROM m_ok WHERE begin_date = '2024-01-01' AND end_date = '2024-01-01 06:00';"
{
	echo "\\o /dev/null"
	for _ in $(seq $warmup); do echo "$round"; done
	echo "$settle"
	measure before
	for _ in $(seq $rounds); do echo "$round"; done
	echo "$settle"
	measure after
} >"$tmp/leak.sql"
t0=$(now_ms)
"${psql[@]}" -f "$tmp/leak.sql" >"$tmp/leak.out" 2>"$tmp/leak.err"
ELAPSED=$(($(now_ms) - t0))
errors=$(grep -c 'ERROR' "$tmp/leak.err")
timeouts=$(grep -c 'canceling statement due to statement timeout' "$tmp/leak.err")
note "leak run: $(((warmup + rounds) * 11)) scans (of them $((rounds * 11)) measured: ERROR, statement_timeout, LIMIT, each also under Async Append) in ${ELAPSED} ms; $errors ERRORs, $timeouts statement timeouts"
read -r _ fd0 rss0 ctx0 < <(grep '^MEASURE' "$tmp/leak.out" | head -n 1 | tr '|' ' ')
read -r _ fd1 rss1 ctx1 < <(grep '^MEASURE' "$tmp/leak.out" | tail -n 1 | tr '|' ' ')
note "before: $fd0 fds, VmRSS $rss0 kB, memory contexts $ctx0 bytes"
note "after:  $fd1 fds, VmRSS $rss1 kB, memory contexts $ctx1 bytes"
[ "$errors" = $(((warmup + rounds) * 5)) ] && [ "$timeouts" = $(((warmup + rounds) * 2)) ]
check "leak run: every scan ended as intended" $?
[ -n "$fd0" ] && [ "$fd1" -le "$fd0" ]
check "leak run: open file descriptors do not grow ($fd0 -> $fd1)" $?
note "descriptors after: $(awk '{ printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1 }' "$tmp/fds.after")"
if [ "$fd0" != "$fd1" ]; then
	note "descriptors before and after (count, target):"
	diff "$tmp/fds.before" "$tmp/fds.after" | sed 's/^/#   /'
fi
# tolerances: 1 MB of RSS (allocator noise), 64 kB of memory contexts
[ -n "$rss0" ] && [ $((rss1 - rss0)) -le 1024 ]
check "leak run: VmRSS grows by at most 1024 kB ($rss0 -> $rss1 kB)" $?
[ -n "$ctx0" ] && [ $((ctx1 - ctx0)) -le 65536 ]
check "leak run: memory context total grows by at most 64 kB ($ctx0 -> $ctx1 bytes)" $?

#
# The Retry-After cap
#
wait "$cap_pid"
ELAPSED=$(($(cat "$tmp/cap.end" 2>/dev/null || now_ms) - cap_t0))
note "Retry-After: 3600 capped: answered after ${ELAPSED} ms: $(cat "$tmp/cap.out")"
[ "$(cat "$tmp/cap.out")" = 5 ] && between 29500 40000
check "Retry-After beyond the cap waits 30 s, then the retry succeeds" $?
