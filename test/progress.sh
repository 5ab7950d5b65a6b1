#!/usr/bin/env bash
# paged_fdw with shared_preload_libraries: paged_fdw_progress seen from a
# second session while slow scans run (it advances; the row goes on normal
# end, ERROR, cancel and terminate), wait events in pg_stat_activity,
# cluster-wide paged_fdw_stats, eviction of the oldest entry, and who sees
# which progress rows.
#
# Runs inside a throwaway cluster that preloads the library, with the
# extension installed and the mock API up (test/run_tests.sh does both):
#	MOCK_URL=http://127.0.0.1:PORT pg_virtualenv -t \
#		-o shared_preload_libraries=paged_fdw -o paged_fdw.stats_max_entries=10 \
#		test/progress.sh
# Prints one "ok - NAME" or "FAIL - NAME" line per check and "# ..." lines
# with what was seen.
set -u

: "${MOCK_URL:?MOCK_URL must be set}"
psql=(psql -X -q -At -v ON_ERROR_STOP=0)
tmp=$(mktemp -d)
bgpids=()
trap 'for p in "${bgpids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT

ok() { echo "ok - $1"; }
fail() { echo "FAIL - $1"; }
note() { echo "# $*"; }
check() { if [ "$2" = 0 ]; then ok "$1"; else fail "$1"; fi; }
q() { "${psql[@]}" -c "$1" 2>&1; }

[ "$(q "SHOW shared_preload_libraries")" = paged_fdw ]
check "the cluster preloads paged_fdw" $?

"${psql[@]}" >/dev/null <<EOF
CREATE EXTENSION IF NOT EXISTS paged_fdw;
CREATE FUNCTION pt(name text, api text, scenario text, opts text DEFAULT '')
RETURNS void LANGUAGE plpgsql AS \$\$
BEGIN
  EXECUTE format('CREATE SERVER %I FOREIGN DATA WRAPPER paged_fdw OPTIONS (api %L, url %L%s%s)',
                 name, api, '$MOCK_URL/' || api || '/' || scenario,
                 CASE WHEN api = 'diadoc' THEN ', box_id ''box-1'', api_version ''legacy''' ELSE '' END,
                 CASE WHEN opts <> '' THEN ', ' || opts ELSE '' END);
  IF api = 'diadoc' THEN
    EXECUTE format('CREATE USER MAPPING FOR PUBLIC SERVER %I OPTIONS (client_id %L, token %L)',
                   name, 'test-client', 'test-token');
    EXECUTE format('CREATE FOREIGN TABLE %I (packet_id text, entity_id text) SERVER %I
                    OPTIONS (resource %L, page_size %L)', name, name, 'docflows_by_packet', '10');
  ELSE
    EXECUTE format('CREATE USER MAPPING FOR PUBLIC SERVER %I OPTIONS (user %L, password %L)',
                   name, 'test-user', 'test-password');
    EXECUTE format('CREATE FOREIGN TABLE %I (uuid uuid, name text, begin_date timestamptz,
                    end_date timestamptz) SERVER %I OPTIONS (resource %L, page_size %L)',
                   name, name, 'unit_changes', '20');
  END IF;
END \$\$;
SELECT pt('d_slow', 'diadoc', 'slow-300');
SELECT pt('m_slow', 'mercury', 'slow-300', 'max_concurrency ''1''');
SELECT pt('d_hang', 'diadoc', 'hang');
SELECT pt('d_retry', 'diadoc', 'retry-429-1-progress');
CREATE ROLE regress_prog_a;
CREATE ROLE regress_prog_b;
CREATE ROLE regress_prog_reader IN ROLE pg_read_all_stats;
GRANT SELECT ON d_slow, d_hang TO regress_prog_a;
EOF

[ "$(q "SELECT count(*) FROM paged_fdw_progress")" = 0 ]
check "paged_fdw_progress is empty while nothing runs" $?

# start NAME SQL: runs SQL in a background session named NAME (then a
# 3 s pause in the same session, so that its backend outlives the scan);
# sets BG and PID once the backend is active.
start() {
	local name=$1 sql=$2
	"${psql[@]}" -v VERBOSITY=verbose >"$tmp/$name.out" 2>&1 <<EOF &
SET application_name = '$name';
$sql;
SELECT 'after';
SELECT pg_sleep(3);
EOF
	BG=$!
	bgpids+=("$BG")
	PID=""
	for _ in $(seq 100); do
		PID=$(q "SELECT pid FROM pg_stat_activity WHERE application_name = '$name' AND state = 'active' AND backend_type = 'client backend'")
		[ -n "$PID" ] && break
		sleep 0.05
	done
}
# progress COLS: this scan's row of paged_fdw_progress, or nothing
progress() { q "SELECT $1 FROM paged_fdw_progress WHERE pid = ${PID:-0}"; }
# gone_while_alive: the scan's row has gone and its backend still lives
gone_while_alive() {
	local n
	for _ in $(seq 40); do
		n=$(progress "count(*)")
		[ "$n" = 0 ] && break
		sleep 0.05
	done
	[ "$n" = 0 ] && [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE pid = $PID")" = 1 ]
}

#
# A slow key-paged scan: 100 documents, 10 pages of 10, each after 300 ms
#
start slow "SELECT count(*) FROM d_slow WHERE packet_id = 'p100'"
pages=()
states=""
waits=""
info=""
for _ in $(seq 12); do
	sleep 0.2
	[ -n "$info" ] || info=$(progress "server || '|' || resource || '|' || stream || '|' || usename || '|' || datname || '|' || (total_rows IS NULL) || '|' || (scan_started <= state_since) || '|' || (state_since <= now())")
	row=$(progress "pages || ' ' || rows || ' ' || requests || ' ' || replace(state, ' ', '_')")
	[ -n "$row" ] || continue
	read -r pg _ _ st <<<"$row"
	pages+=("$pg")
	states="$states $st"
	waits="$waits $(q "SELECT coalesce(wait_event_type, '-') FROM pg_stat_activity WHERE pid = $PID")"
done
note "pages seen: ${pages[*]}"
note "states seen:$states"
note "wait_event_type seen:$waits"
n=${#pages[@]}
[ "$n" -ge 3 ] && [ "${pages[$((n - 1))]}" -gt "${pages[0]}" ]
check "progress of a running scan is visible from another session and advances" $?
note "row: $info"
[ "$info" = "d_slow|docflows_by_packet|packet p100|$(q "SELECT current_user")|$(q "SELECT current_database()")|true|true|true" ]
check "progress row names server, resource, stream, user and database; no total for Diadoc" $?
echo "$states" | grep -q requesting
check "state 'requesting' while the backend waits for a page" $?
echo "$waits" | grep -q Extension
check "pg_stat_activity shows wait_event_type Extension while the scan waits on the network" $?
for _ in $(seq 60); do
	grep -q '^after' "$tmp/slow.out" && break
	sleep 0.1
done
grep -q '^100$' "$tmp/slow.out" && gone_while_alive
check "normal end: the scan returned 100 rows and its progress row is gone" $?
wait "$BG"

#
# Offset paging shows the total the API announced
#
start mslow "SELECT count(*) FROM m_slow WHERE begin_date = '2024-01-01' AND end_date = '2024-01-02'"
total=""
for _ in $(seq 20); do
	sleep 0.2
	total=$(progress "total_rows")
	[ -n "$total" ] && break
done
note "Mercury total_rows: $total"
[ "$total" = 144 ]
check "total_rows shows the total VetIS announced (144)" $?
wait "$BG"

#
# ERROR in the middle of a scan (raised by the query, not the FDW)
#
start error "SELECT count(CASE WHEN entity_id = 'ent-p100-55' THEN 1 / (length(entity_id) - length(entity_id)) END) FROM d_slow WHERE packet_id = 'p100'"
seen=0
for _ in $(seq 30); do
	sleep 0.1
	pg=$(progress "pages")
	[ -n "$pg" ] && [ "$pg" -ge 2 ] && { seen=1; break; }
done
for _ in $(seq 60); do
	grep -q 'ERROR' "$tmp/error.out" && break
	sleep 0.1
done
grep -q '22012' "$tmp/error.out" && [ "$seen" = 1 ] && gone_while_alive
check "ERROR mid-scan (after 2+ pages): the progress row is gone, the backend lives" $?
wait "$BG"

#
# Cancel while blocked on the network
#
start cancel "SELECT count(*) FROM d_hang WHERE packet_id = 'p5'"
sleep 0.5
st=$(progress "state")
wt=$(q "SELECT wait_event_type FROM pg_stat_activity WHERE pid = $PID")
note "blocked scan: state '$st', wait_event_type '$wt'"
[ "$st" = requesting ] && [ "$wt" = Extension ]
check "a scan blocked on the network: state requesting, wait_event_type Extension" $?
q "SELECT pg_cancel_backend($PID)" >/dev/null
for _ in $(seq 40); do
	grep -q '57014' "$tmp/cancel.out" && break
	sleep 0.05
done
grep -q '57014' "$tmp/cancel.out" && gone_while_alive
check "cancel: the progress row is gone, the backend lives" $?
wait "$BG"

#
# Retry sleep: a 429 with Retry-After: 1
#
start retry "SELECT count(*) FROM d_retry WHERE packet_id = 'p5'"
st=""
wt=""
for _ in $(seq 20); do
	sleep 0.05
	st=$(progress "state")
	[ "$st" = "waiting for retry" ] && { wt=$(q "SELECT wait_event_type FROM pg_stat_activity WHERE pid = $PID"); break; }
done
note "retrying scan: state '$st', wait_event_type '$wt'"
[ "$st" = "waiting for retry" ] && [ "$wt" = Extension ]
check "a retry sleep: state 'waiting for retry', wait_event_type Extension" $?
wait "$BG"
grep -q '^5$' "$tmp/retry.out"
check "the retried scan returned its 5 rows" $?

#
# Terminate: the backend goes, and its row with it
#
start terminate "SELECT count(*) FROM d_hang WHERE packet_id = 'p5'"
sleep 0.3
[ "$(progress "count(*)")" = 1 ]
seen=$?
q "SELECT pg_terminate_backend($PID)" >/dev/null
wait "$BG"
[ "$seen" = 0 ] && [ "$(progress "count(*)")" = 0 ]
check "pg_terminate_backend: the progress row is gone with the backend" $?

#
# Who sees which progress rows
#
start othersee "SET ROLE regress_prog_a; SELECT count(*) FROM d_hang WHERE packet_id = 'p5'"
sleep 0.3
a=$(q "SET ROLE regress_prog_a; SELECT count(*) FROM paged_fdw_progress WHERE pid = $PID")
b=$(q "SET ROLE regress_prog_b; SELECT count(*) FROM paged_fdw_progress")
r=$(q "SET ROLE regress_prog_reader; SELECT usename FROM paged_fdw_progress WHERE pid = $PID")
s=$(q "SELECT count(*) FROM paged_fdw_progress WHERE pid = $PID")
note "rows seen: owner $a, other user $b, pg_read_all_stats member '$r', superuser $s"
[ "$a" = 1 ] && [ "$b" = 0 ] && [ "$r" = regress_prog_a ] && [ "$s" = 1 ]
check "progress rows: the owner, superusers and pg_read_all_stats see them, another user does not" $?
q "SELECT pg_cancel_backend($PID)" >/dev/null
wait "$BG"

#
# Cluster-wide statistics: scans of the other backends
#
row=$(q "SELECT scans || ' ' || pages || ' ' || rows FROM paged_fdw_stats WHERE server = 'd_slow' AND usename = current_user")
note "d_slow statistics (scans pages rows) seen from a new backend: $row"
# the normal scan (10 pages, 100 rows) and the one ended by 1/0
read -r sc pg rw <<<"$row"
[ "${sc:-0}" = 2 ] && [ "${pg:-0}" -ge 12 ] && [ "${rw:-0}" -ge 156 ]
check "paged_fdw_stats covers the scans of other backends" $?
row=$(q "SELECT errors || ' ' || errors_by_class::text FROM paged_fdw_stats WHERE server = 'd_hang' AND usename = current_user")
note "d_hang statistics (errors by class): $row"
[ "$row" = '2 {"57": 2}' ]
check "cancels and terminations are counted as errors of class 57" $?
row=$(q "SELECT retries || ' ' || throttled FROM paged_fdw_stats WHERE server = 'd_retry'")
[ "$row" = "1 1" ]
check "the 429 and its retry are counted" $?

# paged_fdw.stats_max_entries = 10 here: 12 servers, the oldest go
"${psql[@]}" >/dev/null <<EOF
SELECT paged_fdw_stats_reset();
SELECT pt('e_' || i, 'diadoc', 'ok') FROM generate_series(1, 12) i;
EOF
for i in $(seq 12); do q "SELECT count(*) FROM e_$i WHERE packet_id = 'p1'" >/dev/null; done
row=$(q "SELECT count(*) || ' ' || string_agg(server, ',' ORDER BY server) FROM paged_fdw_stats")
note "entries after 12 servers: $row"
[ "$row" = "10 e_10,e_11,e_12,e_3,e_4,e_5,e_6,e_7,e_8,e_9" ]
check "stats_max_entries 10: the least recently updated entries are evicted" $?

q "DROP OWNED BY regress_prog_a; DROP ROLE regress_prog_a, regress_prog_b, regress_prog_reader" >/dev/null
