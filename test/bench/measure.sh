#!/usr/bin/env bash
# The measurements of test/bench/run.sh, inside its throwaway cluster
# (pg_virtualenv sets PGHOST etc.).  Reads BENCH_URL, BENCH_QUICK,
# BENCH_RUNS, BENCH_UNITS from the environment.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
baseline=$here/baseline
url=$BENCH_URL
runs=$BENCH_RUNS
quick=$BENCH_QUICK
psql=(psql -X -q -v ON_ERROR_STOP=1)

# sizes: the full run uses the issue's, --quick tiny ones
if [ "$quick" = 1 ]; then
	m_big=$BENCH_UNITS; m_small=2000; d_big=2000; lat_runs=1
else
	m_big=1000000; m_small=10000; d_big=100000; lat_runs=$(( runs < 3 ? runs : 3 ))
fi
[ "$BENCH_UNITS" -ge "$m_big" ] || { echo "FAIL - bench: mock has too few units"; exit 1; }
# Mercury record i was updated at 2024-01-01 00:00+03 + 10 i minutes
m_all="begin_date = '2000-01-01'"
m_10k="begin_date = '2000-01-01' AND end_date = timestamptz '2024-01-01 00:00+03' + interval '10 minutes' * $m_small"
d_pkt="packet_id = 'p$d_big'"
# "Real per-row work" for the prefetch figure: a digest of each row's
# jsonb document, repeated so it costs about as much CPU per page as the
# added latency (see BENCHMARKS.md)
work="sum(length(sha256(convert_to(repeat(document::text, 150), 'UTF8'))))"

median() { sort -g | awk '{v[NR] = $1} END {if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "nan"}'; }
# verdict VALUE OP TARGET: "met" or "MISSED"
verdict() { awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN {ok = (op == ">=") ? v >= t : v <= t; print ok ? "met" : "MISSED"}'; }
per_sec() { awk -v n="$1" -v ms="$2" 'BEGIN {if (ms > 0) printf "%.0f", n / (ms / 1000); else print "nan"}'; }

# time_ms RUNS SQL [BEFORE AFTER]: median of psql's \timing of SQL, run
# RUNS times in one session, each time between the untimed statements
# BEFORE and AFTER.  The first run also opens the HTTP connections and
# warms the caches, so one more run is made and the first one dropped.
time_ms() {
	local n=$1 sql=$2 before=${3:-} after=${4:-} i
	{
		for ((i = 0; i <= n; i++)); do
			[ -n "$before" ] && echo "$before;"
			echo '\timing on'
			echo "$sql;"
			echo '\timing off'
			[ -n "$after" ] && echo "$after;"
		done
	} | "${psql[@]}" -o /dev/null 2>&1 | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n +2 | median
}

# peak_rss_kb SQL: VmHWM of a fresh backend after running SQL once
peak_rss_kb() {
	"${psql[@]}" -At <<EOF | tail -n1
SELECT pg_backend_pid() AS bpid \gset
\o /dev/null
$1;
\o
\setenv BPID :bpid
\! awk '/^VmHWM:/ {print \$2}' /proc/\$BPID/status
EOF
}

# baseline_rps RUNS ARGS...: median rows/s of the C/libcurl baseline
baseline_rps() {
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do
		"$baseline" "$@" | sed -n 's/.*rows_per_sec=\([0-9]*\).*/\1/p'
	done | median
}

"${psql[@]}" -o /dev/null <<EOF || { echo "FAIL - bench: setup"; exit 1; }
CREATE EXTENSION paged_fdw;
CREATE FUNCTION mk_mercury(name text, url text, opts text) RETURNS void LANGUAGE plpgsql AS \$\$
BEGIN
  EXECUTE format('CREATE SERVER %I FOREIGN DATA WRAPPER paged_fdw OPTIONS (api %L, url %L %s)',
                 name, 'mercury', url, opts);
  EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER %I OPTIONS (user %L, password %L)',
                 name, 'test-user', 'test-password');
  EXECUTE format('CREATE FOREIGN TABLE %I (uuid uuid, guid uuid, active boolean, last boolean,
                  status text, create_date timestamptz, update_date timestamptz, previous uuid,
                  next uuid, name text, full_name text, common_unit_guid uuid, factor numeric,
                  begin_date timestamptz, end_date timestamptz)
                  SERVER %I OPTIONS (resource %L)', name, name, 'unit_changes');
END \$\$;
CREATE FUNCTION mk_diadoc(name text, url text, opts text) RETURNS void LANGUAGE plpgsql AS \$\$
BEGIN
  EXECUTE format('CREATE SERVER %I FOREIGN DATA WRAPPER paged_fdw OPTIONS (api %L, url %L, box_id %L %s)',
                 name, 'diadoc', url, 'box-1', opts);
  EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER %I OPTIONS (client_id %L, token %L)',
                 name, 'test-client', 'test-token');
  EXECUTE format('CREATE FOREIGN TABLE %I (box_id text, packet_id text, index_key bytea,
                  message_id text, entity_id text, last_event_id text, last_event_at timestamptz,
                  document_type text, direction text, is_test boolean, custom_document_id text,
                  counteragent_box_id text, document_date date, document_number text,
                  version text, is_finished boolean, is_deleted boolean, department_id text,
                  sent_at timestamptz, delivered_at timestamptz, status text,
                  status_severity text, document jsonb)
                  SERVER %I OPTIONS (resource %L)', name, name, 'docflows_by_packet');
END \$\$;
SELECT mk_mercury('mercury', '$url/mercury/ok', '');
SELECT mk_mercury('mercury_lat_c1', '$url/mercury/latency-20', ', max_concurrency ''1''');
SELECT mk_mercury('mercury_lat_c8', '$url/mercury/latency-20', ', max_concurrency ''8''');
SELECT mk_diadoc('diadoc', '$url/diadoc/ok', '');
SELECT mk_diadoc('diadoc_lat', '$url/diadoc/latency-20', '');
SELECT mk_diadoc('diadoc_lat_noprefetch', '$url/diadoc/latency-20', ', prefetch ''false''');
EOF

figures=()
note() { figures+=("$1"); }

echo
echo "a. count(*) throughput, rows/s (median of $runs), FDW vs C/libcurl baseline (no PostgreSQL)"
ms=$(time_ms "$runs" "SELECT count(*) FROM mercury WHERE $m_all")
fdw=$(per_sec "$m_big" "$ms")
base=$(baseline_rps "$runs" mercury "$url/mercury/ok" --concurrency 4)
r=$(ratio "$fdw" "$base")
echo "   Mercury $m_big rows: FDW $fdw rows/s ($ms ms), baseline $base rows/s, ratio $r (target >= 0.7: $(verdict "$r" ">=" 0.7))"
note "a-mercury $fdw $base"
ms=$(time_ms "$runs" "SELECT count(*) FROM diadoc WHERE $d_pkt")
fdw=$(per_sec "$d_big" "$ms")
base=$(baseline_rps "$runs" diadoc "$url/diadoc/ok" "p$d_big")
r=$(ratio "$fdw" "$base")
echo "   Diadoc $d_big documents: FDW $fdw rows/s ($ms ms), baseline $base rows/s, ratio $r (target >= 0.7: $(verdict "$r" ">=" 0.7))"
note "a-diadoc $fdw $base"

echo
echo "b. 20 ms added per request (mock scenario latency-20), median of $lat_runs"
c1=$(time_ms "$lat_runs" "SELECT count(*) FROM mercury_lat_c1 WHERE $m_all")
c8=$(time_ms "$lat_runs" "SELECT count(*) FROM mercury_lat_c8 WHERE $m_all")
r=$(ratio "$c1" "$c8")
echo "   Mercury $m_big rows, count(*): max_concurrency 1 $c1 ms, 8 $c8 ms, speedup $r (target >= 6: $(verdict "$r" ">=" 6))"
note "b-mercury $c1 $c8"
nl=$(time_ms "$lat_runs" "SELECT count(*) FROM mercury WHERE $m_all")
echo "   (the same scan without added latency: $nl ms; at 8 the latency is hidden when these two are close)"
note "b-mercury-nolatency $nl"
np=$(time_ms "$lat_runs" "SELECT $work FROM diadoc_lat_noprefetch WHERE $d_pkt")
pf=$(time_ms "$lat_runs" "SELECT $work FROM diadoc_lat WHERE $d_pkt")
w0=$(time_ms "$lat_runs" "SELECT $work FROM diadoc WHERE $d_pkt")
r=$(ratio "$np" "$pf")
echo "   Diadoc $d_big documents with per-row work ($work):"
echo "     prefetch off $np ms, prefetch on $pf ms, speedup $r (target >= 1.5: $(verdict "$r" ">=" 1.5))"
echo "     (the work alone, no added latency: $w0 ms)"
note "b-diadoc $np $pf $w0"

echo
echo "c. time to first row (median of $runs)"
big=$(time_ms "$runs" "SELECT * FROM mercury WHERE $m_all LIMIT 10")
small=$(time_ms "$runs" "SELECT * FROM mercury WHERE $m_10k LIMIT 10")
r=$(ratio "$big" "$small")
echo "   LIMIT 10 over $m_big rows $big ms, over $m_small rows $small ms, ratio $r (target: equal within noise)"
note "c-limit $big $small"
big=$(time_ms "$runs" "FETCH 1 FROM c" "BEGIN; DECLARE c CURSOR FOR SELECT * FROM mercury WHERE $m_all" "COMMIT")
small=$(time_ms "$runs" "FETCH 1 FROM c" "BEGIN; DECLARE c CURSOR FOR SELECT * FROM mercury WHERE $m_10k" "COMMIT")
echo "   cursor FETCH 1 (no LIMIT, first page of 1000 rows): over $m_big rows $big ms, over $m_small rows $small ms"
note "c-cursor $big $small"

echo
echo "d. peak backend memory (VmHWM of a fresh backend after the query, median of $runs)"
rss_small=$(for ((i = 0; i < runs; i++)); do peak_rss_kb "SELECT count(*) FROM mercury WHERE $m_10k"; done | median)
rss_big=$(for ((i = 0; i < runs; i++)); do peak_rss_kb "SELECT count(*) FROM mercury WHERE $m_all"; done | median)
r=$(ratio "$rss_big" "$rss_small")
echo "   Mercury count(*): $m_small rows $rss_small kB, $m_big rows $rss_big kB, ratio $r (target <= 1.5: $(verdict "$r" "<=" 1.5))"
note "d-mercury $rss_small $rss_big"
rss_big=$(for ((i = 0; i < runs; i++)); do peak_rss_kb "SELECT * FROM mercury WHERE $m_all ORDER BY 1 LIMIT 1"; done | median)
echo "   every column of $m_big rows through a top-1 sort: $rss_big kB"
note "d-mercury-allcols $rss_big"

echo
echo "6. the mock alone: C/libcurl client fetching the same pages without parsing them (median of $runs)"
m=$(baseline_rps "$runs" mercury "$url/mercury/ok" --concurrency 4 --fetch-only)
d=$(baseline_rps "$runs" diadoc "$url/diadoc/ok" "p$d_big" --fetch-only)
# two packets at once: what the mock serves when it is not waiting for
# one client's next request
d2=$(for ((i = 0; i < runs; i++)); do
	{ "$baseline" diadoc "$url/diadoc/ok" "p$d_big" --fetch-only &
	  "$baseline" diadoc "$url/diadoc/ok" "p$d_big-b" --fetch-only; wait; } |
		sed -n 's/.*rows_per_sec=\([0-9]*\).*/\1/p' | awk '{s += $1} END {print s}'
done | median)
echo "   Mercury: $m rows/s served (4 connections)"
echo "   Diadoc: $d documents/s served to one client (one packet, one request at a time), $d2 to two clients at once"
note "6-mock $m $d $d2"

echo
# every figure must have produced numbers
for f in "${figures[@]}"; do
	name=${f%% *}
	if ! echo "${f#* }" | grep -qE '^[0-9.]+( [0-9.]+)*$'; then
		echo "FAIL - figure $name: no value ($f)"
	else
		echo "ok   - figure $name: ${f#* }"
	fi
done
