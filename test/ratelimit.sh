#!/usr/bin/env bash
# max_requests_per_second for the whole cluster.  A mock over 3,000 units
# stamps every request it receives; Mercury scans of 60 pages each (page
# size 50, max_concurrency 8) run in several backends at once against a
# server limited to RATE requests per second (default 40).  The rate the
# mock saw is (requests - 1) / (last - first arrival).
#  - With shared_preload_libraries = 'paged_fdw': 4 backends, 240 requests;
#    the overall rate must be within 5 % of RATE (the limit is shared).
#  - Without preloading: 2 backends, 120 requests; each backend has its own
#    schedule, so the overall rate must be above RATE + 5 % (about twice
#    RATE) and at most 2 x RATE + 5 %.
#  - Async Append, preloaded: 2 backends each run a UNION ALL of 4 Diadoc
#    packets of 10 pages on one server limited to RATE requests a second
#    (shared by both) and a packet of 60 pages (page_size 10) on a server
#    of its own whose every page takes 50 ms.  Both backends want the same
#    slots all the time; waiting for one must never block the executor:
#    no backend ever sleeps for the rate (paged_fdw says so at DEBUG1, and
#    the same query without Async Append does), and the other child's
#    requests keep going out (no gap of 0.5 s between two).  Both backends
#    get their rows, their rate-limited pages interleave, and the 80
#    rate-limited requests together keep RATE within 5 %.
# Prints "# ..." lines with the figures and "ok - ..."/"FAIL - ..." lines.
#
#   test/ratelimit.sh [RATE]
#
# Builds and installs under the test lock unless the caller holds it
# (test/run_tests.sh); its own mock on a free port; throwaway clusters
# (pg_virtualenv; PGPORT may be set).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
rate=${1:-40}

if [ "${RATE_INNER:-}" = async ]; then
	# inside a preloaded cluster: the Async Append case
	psql -X -q -v ON_ERROR_STOP=1 <<SQL >/dev/null || exit 1
CREATE EXTENSION paged_fdw;
CREATE SERVER r FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', api_version 'legacy', url '$RATE_URL/diadoc/ok', box_id 'box-1',
           max_requests_per_second '$rate');
CREATE SERVER o1 FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', api_version 'legacy', url '$RATE_URL/diadoc/latency-50', box_id 'box-2');
CREATE SERVER o2 FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', api_version 'legacy', url '$RATE_URL/diadoc/latency-51', box_id 'box-3');
CREATE USER MAPPING FOR CURRENT_USER SERVER r OPTIONS (client_id 'test-client', token 'test-token');
CREATE USER MAPPING FOR CURRENT_USER SERVER o1 OPTIONS (client_id 'test-client', token 'test-token');
CREATE USER MAPPING FOR CURRENT_USER SERVER o2 OPTIONS (client_id 'test-client', token 'test-token');
CREATE FOREIGN TABLE r_t (packet_id text, entity_id text)
  SERVER r OPTIONS (resource 'docflows_by_packet');
CREATE FOREIGN TABLE o1_t (packet_id text, entity_id text)
  SERVER o1 OPTIONS (resource 'docflows_by_packet', page_size '10');
CREATE FOREIGN TABLE o2_t (packet_id text, entity_id text)
  SERVER o2 OPTIONS (resource 'docflows_by_packet', page_size '10');
SQL
	q() {
		echo "SELECT entity_id FROM r_t WHERE packet_id IN ('p1000-$1a', 'p1000-$1b', 'p1000-$1c', 'p1000-$1d')" \
			"UNION ALL SELECT entity_id FROM o$1_t WHERE packet_id = 'p600-$1'"
	}
	nasync=$(psql -X -At -c "EXPLAIN (COSTS OFF) $(q 1)" | grep -c 'Async Foreign Scan')
	tmp=$(mktemp -d)
	curl -s "$RATE_URL/_headers" >/dev/null
	curl -s "$RATE_URL/_log" >/dev/null
	PGOPTIONS="-c client_min_messages=debug1" psql -X -At -c "$(q 1)" >"$tmp/1.out" 2>"$tmp/1.err" &
	p1=$!
	PGOPTIONS="-c client_min_messages=debug1" psql -X -At -c "$(q 2)" >"$tmp/2.out" 2>"$tmp/2.err" &
	p2=$!
	wait "$p1" "$p2"
	rows="$(wc -l <"$tmp/1.out")/$(sort -u "$tmp/1.out" | wc -l) $(wc -l <"$tmp/2.out")/$(sort -u "$tmp/2.out" | wc -l)"
	waits=$(cat "$tmp/1.err" "$tmp/2.err" | grep -c 'for max_requests_per_second')
	grep -v 'DEBUG' "$tmp/1.err" "$tmp/2.err" | sed 's/^/# stderr: /'
	log=$(curl -s "$RATE_URL/_log")
	headers=$(curl -s "$RATE_URL/_headers")
	# the same without Async Append: this check sees a blocking wait
	PGOPTIONS="-c client_min_messages=debug1 -c enable_async_append=off" psql -X -At -c "$(q 1)" \
		>/dev/null 2>"$tmp/sync.err"
	sync_waits=$(grep -c 'for max_requests_per_second' "$tmp/sync.err")
	rm -rf "$tmp"
	echo "# async: $nasync Async Foreign Scans in the plan; rows/distinct of each backend: $rows"
	echo "# async: waits for the rate that blocked: $waits with Async Append, $sync_waits in the same query without"
	if [ "$waits" = 0 ] && [ "$sync_waits" -gt 0 ]; then
		echo "ok - async, preloaded: no backend ever blocks for the rate under Async Append"
	else
		echo "FAIL - async, preloaded: no backend ever blocks for the rate under Async Append"
	fi
	echo "$log" | awk '
		/packet=p1000-1[a-d] / { n1++; if (!f1) f1 = NR; l1 = NR }
		/packet=p1000-2[a-d] / { n2++; if (!f2) f2 = NR; l2 = NR }
		END {
			printf "# async: rate-limited requests of backend 1 at log lines %d..%d (%d), of backend 2 at %d..%d (%d)\n", f1, l1, n1, f2, l2, n2
			good = (n1 == 40 && n2 == 40 && f1 < l2 && f2 < l1)
			print (good ? "ok - " : "FAIL - ") "async, preloaded: both backends send their rate-limited pages, interleaved"
		}'
	echo "$headers" | awk -v nasync="$nasync" -v rows="$rows" -v want="$rate" '
		{ t = -1; for (i = 1; i <= NF; i++) if ($i ~ /^t=/) t = substr($i, 3) + 0
		  if (t < 0) next
		  if ($1 ~ "^/diadoc/ok/") { n++; if (n == 1 || t < first) first = t; if (t > last) last = t }
		  else if ($1 ~ "^/diadoc/latency-5[01]/") {
			k = $1; c[k]++
			if (c[k] > 1 && t - prev[k] > gap[k]) gap[k] = t - prev[k]
			prev[k] = t } }
		END {
			got = (n > 1 && last > first) ? (n - 1) / (last - first) : 0
			printf "# async: %d rate-limited requests, span=%.3f s, rate=%.3f/s, limit %s/s (%+.2f%%)\n", n, last - first, got, want, 100 * (got - want) / want
			maxgap = 0; nother = 0
			for (k in c) { nother += c[k]; if (gap[k] > maxgap) maxgap = gap[k]
				printf "# async: %s: %d requests, longest gap %.3f s\n", k, c[k], gap[k] }
			print ((nasync == 2 && rows == "4600/4600 4600/4600") ? "ok - " : "FAIL - ") "async, preloaded: two Async Appends, 4600 distinct rows each"
			print ((n == 80 && got <= want * 1.05 && got >= want * 0.95) ? "ok - " : "FAIL - ") "async, preloaded: the 80 rate-limited requests of both backends keep " want " RPS within 5 %"
			print ((nother == 120 && maxgap < 0.5) ? "ok - " : "FAIL - ") "async, preloaded: the other children keep sending (no gap of 0.5 s)"
		}'
	exit 0
fi

if [ "${RATE_INNER:-}" != "" ]; then
	# inside a cluster: RATE_INNER = number of backends
	n=$RATE_INNER
	psql -X -q -v ON_ERROR_STOP=1 <<SQL >/dev/null || exit 1
CREATE EXTENSION paged_fdw;
CREATE SERVER m FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'mercury', url '$RATE_URL/mercury/ok', max_concurrency '8',
           max_requests_per_second '$rate');
CREATE USER MAPPING FOR CURRENT_USER SERVER m OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE m_t (uuid uuid, update_date timestamptz)
  SERVER m OPTIONS (resource 'unit_changes', page_size '50');
SQL
	tmp=$(mktemp -d)
	curl -s "$RATE_URL/_headers" >/dev/null
	pids=()
	for i in $(seq "$n"); do
		psql -X -At -c "SELECT count(*) FROM m_t WHERE update_date >= '2023-12-31 21:00+00'" \
			>"$tmp/$i.out" 2>&1 &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	rows=$(cat "$tmp"/*.out | tr '\n' ' ')
	echo "# preload '$(psql -X -At -c 'SHOW shared_preload_libraries')', $n backends, rows each: $rows"
	bad=$(grep -vc '^3000$' "$tmp"/*.out | awk -F: '{ s += $2 } END { print s + 0 }')
	rm -rf "$tmp"
	curl -s "$RATE_URL/_headers" | awk -v want="$rate" -v nb="$n" -v bad="$bad" '
		{ for (i = 1; i <= NF; i++) if ($i ~ /^t=/) { t = substr($i, 3) + 0; n++;
			if (n == 1 || t < first) first = t; if (t > last) last = t } }
		END {
			got = (n > 1 && last > first) ? (n - 1) / (last - first) : 0
			printf "# %d backends: requests=%d span=%.3f s rate=%.3f/s limit=%s/s (%+.2f%%)\n",
				nb, n, last - first, got, want, 100 * (got - want) / want
			if (nb == 4) {
				name = "preloaded: 4 backends together keep 40 RPS within 5 % (240 requests, 3000 rows each)"
				good = (n == 240 && bad == 0 && got <= want * 1.05 && got >= want * 0.95)
			} else {
				name = "not preloaded: 2 backends each keep their own 40 RPS (rate above 42, at most 84)"
				good = (n == 120 && bad == 0 && got > want * 1.05 && got <= 2 * want * 1.05)
			}
			sub(/40 RPS/, want " RPS", name)
			print (good ? "ok - " : "FAIL - ") name
		}'
	exit 0
fi

if take_test_lock; then
	build_and_install || { echo "FAIL - ratelimit: build"; exit 1; }
fi
launch_mock rate_pid rate_port --port 0 --units 3000 --log-times 1 || exit 1
trap 'kill $rate_pid 2>/dev/null; wait 2>/dev/null' EXIT
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
export RATE_URL=http://127.0.0.1:$rate_port
RATE_INNER=4 pg_virtualenv -t -o shared_preload_libraries=paged_fdw "$here/ratelimit.sh" "$rate" || echo "FAIL - preloaded cluster ran"
RATE_INNER=2 pg_virtualenv -t "$here/ratelimit.sh" "$rate" || echo "FAIL - cluster without preloading ran"
RATE_INNER=async pg_virtualenv -t -o shared_preload_libraries=paged_fdw "$here/ratelimit.sh" "$rate" || echo "FAIL - preloaded cluster (async) ran"
