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
