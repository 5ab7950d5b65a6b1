#!/usr/bin/env bash
# max_requests_per_second: a Mercury scan of 200 pages (page_size 50,
# 10,000 units) with max_concurrency 8 and max_requests_per_second RATE,
# against a mock that stamps every request it receives.  Prints the rate
# the mock saw, (requests - 1) / (last - first arrival), and its deviation
# from RATE; "ok" when within 5 %.
#
#   test/bench/rate.sh [RATE]        (default 20)
#
# Builds and installs under the test lock; the mock on a free port; a
# throwaway cluster (pg_virtualenv; PGPORT may be set).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
rate=${1:-20}

if [ "${BENCH_INNER:-}" = 1 ]; then
	psql -X -q -v ON_ERROR_STOP=1 <<SQL >/dev/null || exit 1
CREATE EXTENSION paged_fdw;
CREATE SERVER m FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'mercury', url '$RATE_URL/mercury/ok', max_concurrency '8',
           max_requests_per_second '$rate');
CREATE USER MAPPING FOR CURRENT_USER SERVER m OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE m_t (uuid uuid, update_date timestamptz)
  SERVER m OPTIONS (resource 'unit_changes', page_size '50');
SQL
	curl -s "$RATE_URL/_headers" >/dev/null
	psql -X -At -c "SELECT count(*) FROM m_t WHERE update_date >= '2023-12-31 21:00+00'" || exit 1
	curl -s "$RATE_URL/_headers" | awk -v want="$rate" '
		{ for (i = 1; i <= NF; i++) if ($i ~ /^t=/) { t = substr($i, 3) + 0; n++;
			if (n == 1 || t < first) first = t; if (t > last) last = t } }
		END {
			got = (n - 1) / (last - first); dev = 100 * (got - want) / want
			printf "requests=%d span=%.3f s rate=%.3f/s target=%s/s deviation=%+.2f%%\n",
				n, last - first, got, want, dev
			if (n == 200 && dev <= 5 && dev >= -5) print "ok - rate held within 5 %"
			else { print "FAIL - rate not held within 5 % (or not 200 requests)"; exit 1 }
		}'
	exit $?
fi

if take_test_lock; then
	build_and_install || { echo "FAIL - bench: build"; exit 1; }
fi
launch_mock rate_pid rate_port --port 0 --units 10000 --log-times 1 || exit 1
trap 'kill $rate_pid 2>/dev/null; wait 2>/dev/null' EXIT
echo "# request rate: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# command: test/bench/rate.sh $rate"
RATE_URL=http://127.0.0.1:$rate_port BENCH_INNER=1 pg_virtualenv -t "$here/rate.sh" "$rate"
