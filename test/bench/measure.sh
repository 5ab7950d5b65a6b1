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
	m_big=$BENCH_UNITS; m_small=2000; d_big=2000; lat_runs=1; e_pages=10
else
	m_big=1000000; m_small=10000; d_big=100000; lat_runs=$(( runs < 3 ? runs : 3 )); e_pages=100
fi
# want X: figure X was asked for (BENCH_FIGURES, comma-separated; empty: all)
want() { [ -z "${BENCH_FIGURES:-}" ] || [[ ",$BENCH_FIGURES," == *",$1,"* ]]; }
[ "$BENCH_UNITS" -ge "$m_big" ] || { echo "FAIL - bench: mock has too few units"; exit 1; }
# Mercury record i was updated at 2024-01-01 00:00+03 + 10 i minutes
m_all="begin_date = '2000-01-01'"
m_10k="begin_date = '2000-01-01' AND end_date = timestamptz '2024-01-01 00:00+03' + interval '10 minutes' * $m_small"
d_pkt="packet_id = 'p$d_big'"
# "Real per-row work" for the prefetch figure: a digest of each row's
# jsonb document, repeated so it costs about as much CPU per page as the
# added latency (see BENCHMARKS.md)
work="sum(length(sha256(convert_to(repeat(document::text, 150), 'UTF8'))))"
# cheap first statements of a session (see one_ms)
m_warm="SELECT count(*) FROM (SELECT 1 FROM mercury WHERE $m_all LIMIT 1) s"
m_warm_c1="SELECT count(*) FROM (SELECT 1 FROM mercury_lat_c1 WHERE $m_all LIMIT 1) s"
m_warm_c8="SELECT count(*) FROM (SELECT 1 FROM mercury_lat_c8 WHERE $m_all LIMIT 1) s"
d_warm="SELECT count(*) FROM (SELECT 1 FROM diadoc WHERE $d_pkt LIMIT 1) s"
d_warm_lat="SELECT count(*) FROM (SELECT 1 FROM diadoc_lat WHERE $d_pkt LIMIT 1) s"

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

# one_ms WARM SQL: psql's \timing of SQL in a fresh session, after the
# untimed statement WARM (loads the extension, opens a first connection)
one_ms() {
	printf '%s;\n\\timing on\n%s;\n' "$1" "$2" | "${psql[@]}" -o /dev/null 2>&1 |
		sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 1
}

# alternate RUNS CMD...: runs the shell commands in turn, RUNS rounds, so
# that a load change on this shared machine hits them all alike; prints the
# median of each command's output (one number per run), space-separated
alternate() {
	local n=$1 i k out
	shift
	out=$(mktemp -d)
	for ((i = 0; i < n; i++)); do
		k=0
		for cmd in "$@"; do
			eval "$cmd" >>"$out/$k"
			k=$((k + 1))
		done
	done
	k=0
	for cmd in "$@"; do
		printf '%s ' "$(median <"$out/$k")"
		k=$((k + 1))
	done
	rm -rf "$out"
	echo
}
base1() { "$baseline" "$@" | sed -n 's/.*rows_per_sec=\([0-9]*\).*/\1/p'; }

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
  EXECUTE format('CREATE SERVER %I FOREIGN DATA WRAPPER paged_fdw OPTIONS (api %L, api_version %L, url %L, box_id %L %s)',
                 name, 'diadoc', 'legacy', url, 'box-1', opts);
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
-- figure e: a table partitioned by box, one Diadoc server per partition
CREATE FUNCTION mk_boxes(name text, url text, opts text) RETURNS void LANGUAGE plpgsql AS \$\$
BEGIN
  EXECUTE format('CREATE TABLE %I (box_id text, packet_id text, entity_id text) PARTITION BY LIST (box_id)', name);
  FOR i IN 1..4 LOOP
    EXECUTE format('CREATE SERVER %I FOREIGN DATA WRAPPER paged_fdw OPTIONS (api %L, api_version %L, url %L, box_id %L %s)',
                   name || i, 'diadoc', 'legacy', url, 'box-' || i, opts);
    EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER %I OPTIONS (client_id %L, token %L)',
                   name || i, 'test-client', 'test-token');
    EXECUTE format('CREATE FOREIGN TABLE %I PARTITION OF %I FOR VALUES IN (%L) SERVER %I OPTIONS (resource %L)',
                   name || '_' || i, name, 'box-' || i, name || i, 'docflows_by_packet');
  END LOOP;
END \$\$;
SELECT mk_boxes('boxes_async', '$url/diadoc/latency-20', '');
SELECT mk_boxes('boxes_sync', '$url/diadoc/latency-20', ', async_capable ''false''');
-- figure f: the same Mercury list; no rows_estimate: the planner learns
-- the list's size from the total the untimed first statement was told
SELECT mk_mercury('mercury_par', '$url/mercury/ok', '');
EOF
# ... and on the mock that compresses nothing (figure f)
if [ -n "${BENCH_URL_RAW:-}" ]; then
	"${psql[@]}" -o /dev/null <<EOF || { echo "FAIL - bench: setup"; exit 1; }
SELECT mk_mercury('mercury_par_raw', '$BENCH_URL_RAW/mercury/ok', '');
EOF
fi

figures=()
note() { figures+=("$1"); }

if want a; then
echo
echo "a. count(*) throughput, rows/s (median of $runs), FDW vs C/libcurl baseline (no PostgreSQL)"
echo "   (FDW and baseline runs alternate)"
read -r ms base < <(alternate "$runs" \
	'one_ms "$m_warm" "SELECT count(*) FROM mercury WHERE $m_all"' \
	'base1 mercury "$url/mercury/ok" --concurrency 4')
fdw=$(per_sec "$m_big" "$ms")
r=$(ratio "$fdw" "$base")
echo "   Mercury $m_big rows: FDW $fdw rows/s ($ms ms), baseline $base rows/s, ratio $r (target >= 0.7: $(verdict "$r" ">=" 0.7))"
note "a-mercury $fdw $base"
# the cost of statistics and progress (counted per page and per scan)
read -r on off < <(alternate "$runs" \
	'one_ms "$m_warm" "SELECT count(*) FROM mercury WHERE $m_all"' \
	'one_ms "SET paged_fdw.track_stats = off; $m_warm" "SELECT count(*) FROM mercury WHERE $m_all"')
echo "   the same with paged_fdw.track_stats on $on ms, off $off ms, ratio $(ratio "$on" "$off") (target: equal within noise; runs alternate)"
note "a-stats $on $off"
read -r ms base < <(alternate "$runs" \
	'one_ms "$d_warm" "SELECT count(*) FROM diadoc WHERE $d_pkt"' \
	'base1 diadoc "$url/diadoc/ok" "p$d_big"')
fdw=$(per_sec "$d_big" "$ms")
r=$(ratio "$fdw" "$base")
echo "   Diadoc $d_big documents: FDW $fdw rows/s ($ms ms), baseline $base rows/s, ratio $r (target >= 0.7: $(verdict "$r" ">=" 0.7))"
note "a-diadoc $fdw $base"
fi

if want b; then
echo
echo "b. 20 ms added per request (mock scenario latency-20), median of $lat_runs, runs alternate"
read -r c1 c8 nl < <(alternate "$lat_runs" \
	'one_ms "$m_warm_c1" "SELECT count(*) FROM mercury_lat_c1 WHERE $m_all"' \
	'one_ms "$m_warm_c8" "SELECT count(*) FROM mercury_lat_c8 WHERE $m_all"' \
	'one_ms "$m_warm" "SELECT count(*) FROM mercury WHERE $m_all"')
r=$(ratio "$c1" "$c8")
echo "   Mercury $m_big rows, count(*): max_concurrency 1 $c1 ms, 8 $c8 ms, speedup $r (target >= 6: $(verdict "$r" ">=" 6))"
note "b-mercury $c1 $c8"
echo "   (the same scan without added latency: $nl ms; at 8 the latency is hidden when these two are close)"
note "b-mercury-nolatency $nl"
read -r np pf w0 < <(alternate "$lat_runs" \
	'one_ms "$d_warm_lat" "SELECT $work FROM diadoc_lat_noprefetch WHERE $d_pkt"' \
	'one_ms "$d_warm_lat" "SELECT $work FROM diadoc_lat WHERE $d_pkt"' \
	'one_ms "$d_warm" "SELECT $work FROM diadoc WHERE $d_pkt"')
r=$(ratio "$np" "$pf")
echo "   Diadoc $d_big documents with per-row work ($work):"
echo "     prefetch off $np ms, prefetch on $pf ms, speedup $r (target >= 1.5: $(verdict "$r" ">=" 1.5))"
echo "     (the work alone, no added latency: $w0 ms)"
note "b-diadoc $np $pf $w0"
fi

if want c; then
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
fi

if want d; then
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
fi

if want e; then
echo
e_rows=$((4 * e_pages * 100))
e_pkt="packet_id = 'p$((e_pages * 100))'"
echo "e. Async Append: count(*) over a table partitioned by box, 4 Diadoc partitions on 4 servers,"
echo "   20 ms per request (latency-20), $e_pages pages each, $e_rows rows; median of $lat_runs, runs alternate"
# (the untimed first statement opens a connection to each server)
e_warm_a="SELECT count(*) FROM boxes_async WHERE packet_id = 'p1'"
e_warm_s="SELECT count(*) FROM boxes_sync WHERE packet_id = 'p1'"
read -r e_async e_sync < <(alternate "$lat_runs" \
	'one_ms "$e_warm_a" "SELECT count(*) FROM boxes_async WHERE $e_pkt"' \
	'one_ms "$e_warm_s" "SELECT count(*) FROM boxes_sync WHERE $e_pkt"')
r=$(ratio "$e_sync" "$e_async")
echo "   Async Foreign Scans $e_async ms, async_capable 'false' $e_sync ms, speedup $r (target >= 3: $(verdict "$r" ">=" 3))"
note "e-async $e_async $e_sync"
fi

if want f; then
echo
echo "f. Parallel Foreign Scan: count of $m_big Mercury rows with every column read (count(m) of the whole row),"
echo "   2 workers + leader vs serial vs a transfer-only client (baseline --fetch-only: the same pages, nothing parsed),"
echo "   median of $runs, runs alternate; each against the usual mock (gzip level 6 per answer, as asked)"
echo "   and against a second mock started with --no-compress 1 (the same pages, uncompressed);"
echo "   mock CPU: the mock's utime+stime during the run, in ms (from /proc)"
# The untimed first statement (LIMIT 1: one request for one row) is told
# the list's total, which the planner then uses for the timed query (see
# README "Parallel Foreign Scan").  --quick's 20,000 rows are too few for a
# parallel plan by cost: there starting workers is made free.
f_sql="SELECT count(m) FROM mercury_par m WHERE $m_all"
f_set=""
[ "$quick" = 1 ] && f_set="SET parallel_setup_cost = 0; "
f_warm_p="${f_set}SET max_parallel_workers_per_gather = 2; SELECT count(*) FROM (SELECT 1 FROM mercury_par WHERE $m_all LIMIT 1) s"
f_warm_s="SET max_parallel_workers_per_gather = 0; SELECT count(*) FROM (SELECT 1 FROM mercury_par WHERE $m_all LIMIT 1) s"
explain=$(printf '%s;\nEXPLAIN (COSTS OFF, VERBOSE) %s;\n' "$f_warm_p" "$f_sql" | "${psql[@]}" -At 2>&1)
echo "$explain" | grep -q 'Parallel Foreign Scan' || echo "FAIL - figure f: the plan has no Parallel Foreign Scan"
echo "   plan: $(echo "$explain" | grep -o 'Parallel Foreign Scan\|Rows Estimate: .*' | paste -sd ';' | sed 's/;/; /g')"
hz=$(getconf CLK_TCK)
# cpu_ms PID CMD...: "OUTPUT MOCK_CPU_MS" of one run of CMD (one number)
cpu_ms() {
	local pid=$1 t0 t1 out
	shift
	t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	out=$("$@")
	t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	echo "$out $(awk -v t=$((t1 - t0)) -v hz="$hz" 'BEGIN {printf "%.0f", t * 1000 / hz}')"
}
# f_variant LABEL TABLE URL MOCK_PID
f_variant() {
	local label=$1 table=$2 murl=$3 mpid=$4 i tmpd sql warm_p warm_s
	local f_par f_ser f_base c_par c_ser c_base par ser
	sql=${f_sql//mercury_par/$table}
	warm_p=${f_warm_p//mercury_par/$table}
	warm_s=${f_warm_s//mercury_par/$table}
	tmpd=$(mktemp -d)
	for ((i = 0; i < runs; i++)); do
		cpu_ms "$mpid" one_ms "$warm_p" "$sql" >>"$tmpd/p"
		cpu_ms "$mpid" one_ms "$warm_s" "$sql" >>"$tmpd/s"
		cpu_ms "$mpid" base1 mercury "$murl/mercury/ok" --concurrency 4 --fetch-only >>"$tmpd/b"
	done
	f_par=$(awk '{print $1}' "$tmpd/p" | median); c_par=$(awk '{print $2}' "$tmpd/p" | median)
	f_ser=$(awk '{print $1}' "$tmpd/s" | median); c_ser=$(awk '{print $2}' "$tmpd/s" | median)
	f_base=$(awk '{print $1}' "$tmpd/b" | median); c_base=$(awk '{print $2}' "$tmpd/b" | median)
	rm -rf "$tmpd"
	par=$(per_sec "$m_big" "$f_par")
	ser=$(per_sec "$m_big" "$f_ser")
	r=$(ratio "$par" "$f_base")
	echo "   $label:"
	echo "     parallel $par rows/s ($f_par ms, mock CPU $c_par ms), serial $ser rows/s ($f_ser ms, mock CPU $c_ser ms): $(ratio "$par" "$ser")x"
	echo "     transfer-only $f_base rows/s ($(awk -v n="$m_big" -v r="$f_base" 'BEGIN {if (r > 0) printf "%.0f", n * 1000 / r; else print "nan"}') ms, mock CPU $c_base ms)"
	echo "     parallel / transfer-only $r (target >= 0.5: $(verdict "$r" ">=" 0.5))"
	note "f-$label $par $ser $f_base $c_par $c_base"
}
f_variant gzip mercury_par "$url" "$BENCH_MOCK_PID"
if [ -n "${BENCH_URL_RAW:-}" ]; then
	f_variant uncompressed mercury_par_raw "$BENCH_URL_RAW" "$BENCH_MOCK_RAW_PID"
fi
fi

if want 6; then
echo
echo "6. the mock alone: a C/libcurl client fetching the same pages without parsing them (median of $runs),"
echo "   and the rows the mock serves per second of its own CPU time (utime+stime from /proc)"
hz=$(getconf CLK_TCK)
mock_ticks() { awk '{print $14 + $15}' "/proc/$BENCH_MOCK_PID/stat"; }
# served ROWS ARGS...: "client_rows_per_sec rows_per_mock_cpu_second" of one
# baseline run (less than one clock tick counts as one: a lower bound)
served() {
	local rows=$1 t0 t1 rps
	shift
	t0=$(mock_ticks)
	rps=$(base1 "$@")
	t1=$(mock_ticks)
	echo "$rps $(awk -v n="$rows" -v t=$((t1 - t0)) -v hz="$hz" 'BEGIN {if (t < 1) t = 1; printf "%.0f", n / (t / hz)}')"
}
# parallel K ROWS ARGS...: rows/s the mock serves to K baseline clients
# at once, each fetching ROWS (wall clock from the first start to the last end)
parallel() {
	local k=$1 rows=$2 t0 t1 j pids=()
	shift 2
	t0=$(date +%s.%N)
	for ((j = 0; j < k; j++)); do
		"$baseline" "$@" >/dev/null &
		pids+=($!)
	done
	wait "${pids[@]}"
	t1=$(date +%s.%N)
	awk -v n=$((k * rows)) -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", n / (b - a)}'
	echo
}
tmpd=$(mktemp -d)
for ((i = 0; i < runs; i++)); do served "$m_big" mercury "$url/mercury/ok" --concurrency 4 --fetch-only; done >"$tmpd/m"
# (a bigger packet at --quick sizes: the CPU clock ticks at 1/CLK_TCK s)
d_cap=$(( d_big < 20000 ? 20000 : d_big ))
for ((i = 0; i < runs; i++)); do served "$d_cap" diadoc "$url/diadoc/ok" "p$d_cap" --fetch-only; done >"$tmpd/d"
# key paging is one round trip at a time: the mock's capacity shows with
# several packets read at once, as several scans (or an IN list) would
for ((i = 0; i < runs; i++)); do parallel 4 "$d_cap" diadoc "$url/diadoc/ok" "p$d_cap" --fetch-only; done >"$tmpd/d4"
m=$(awk '{print $1}' "$tmpd/m" | median)
mcap=$(awk '{print $2}' "$tmpd/m" | median)
d=$(awk '{print $1}' "$tmpd/d" | median)
dcap=$(awk '{print $2}' "$tmpd/d" | median)
d4=$(median <"$tmpd/d4")
rm -rf "$tmpd"
echo "   Mercury: $m rows/s to one client (4 connections); $mcap rows per mock CPU-second"
echo "   Diadoc: $d documents/s to one client (one packet of $d_cap, one request at a time); $d4 documents/s to 4 such clients at once; $dcap documents per mock CPU-second"
note "6-mock $m $mcap $d $d4 $dcap"
fi

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
