#!/usr/bin/env bash
# What compression saves: one Mercury page (1000 units) and one Diadoc page
# (100 documents), each fetched RUNS times through paged_fdw from a mock that
# compresses (gzip, as asked by the FDW's Accept-Encoding) and from one that
# does not.  Prints, per page, the bytes on the wire and decoded (EXPLAIN
# ANALYZE: "Remote Bytes on Wire", "Remote Bytes") and the median time of
# the scan, both over loopback (where compression cannot save transfer time,
# only cost CPU).
#
#   test/bench/compression.sh [RUNS]      (default 15)
#
# Builds and installs under the test lock; mocks on free ports; a throwaway
# cluster (pg_virtualenv; PGPORT may be set to keep clear of others).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
runs=${1:-15}

if [ "${BENCH_INNER:-}" = 1 ]; then
	psql -X -q -v ON_ERROR_STOP=1 <<SQL >/dev/null || exit 1
CREATE EXTENSION paged_fdw;
CREATE SERVER m_gz FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url '$GZ_URL/mercury/ok');
CREATE SERVER m_id FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url '$ID_URL/mercury/ok');
CREATE SERVER d_gz FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url '$GZ_URL/diadoc/ok', box_id 'box-1');
CREATE SERVER d_id FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'diadoc', api_version 'legacy', url '$ID_URL/diadoc/ok', box_id 'box-1');
CREATE USER MAPPING FOR CURRENT_USER SERVER m_gz OPTIONS (user 'test-user', password 'test-password');
CREATE USER MAPPING FOR CURRENT_USER SERVER m_id OPTIONS (user 'test-user', password 'test-password');
CREATE USER MAPPING FOR CURRENT_USER SERVER d_gz OPTIONS (access_token 'test-access-token');
CREATE USER MAPPING FOR CURRENT_USER SERVER d_id OPTIONS (access_token 'test-access-token');
CREATE FOREIGN TABLE m_gz_t (uuid uuid, name text, full_name text, update_date timestamptz)
  SERVER m_gz OPTIONS (resource 'unit_changes', page_size '1000');
CREATE FOREIGN TABLE m_id_t (uuid uuid, name text, full_name text, update_date timestamptz)
  SERVER m_id OPTIONS (resource 'unit_changes', page_size '1000');
CREATE FOREIGN TABLE d_gz_t (packet_id text, entity_id text, document jsonb)
  SERVER d_gz OPTIONS (resource 'docflows_by_packet');
CREATE FOREIGN TABLE d_id_t (packet_id text, entity_id text, document jsonb)
  SERVER d_id OPTIONS (resource 'docflows_by_packet');
SQL
	# one page: 1000 units of the first week; 100 documents of packet p100
	mq="SELECT * FROM %s WHERE update_date >= '2023-12-31 21:00+00' AND update_date < '2024-01-07 19:40+00'"
	dq="SELECT * FROM %s WHERE packet_id = 'p100'"
	measure() {	# measure LABEL TABLE QUERY-FORMAT
		local label=$1 table=$2 q
		# shellcheck disable=SC2059
		q=$(printf "$3" "$table")
		psql -X -At -c "EXPLAIN (ANALYZE, FORMAT JSON) $q" >/tmp/bench_comp_$$.json || return 1
		local wire dec pages
		wire=$(grep -o '"Remote Bytes on Wire": [0-9]*' /tmp/bench_comp_$$.json | grep -o '[0-9]*$')
		dec=$(grep -o '"Remote Bytes": [0-9]*' /tmp/bench_comp_$$.json | grep -o '[0-9]*$')
		pages=$(grep -o '"Remote Pages": [0-9]*' /tmp/bench_comp_$$.json | grep -o '[0-9]*$')
		rm -f /tmp/bench_comp_$$.json
		# median wall time of the scan (psql \timing, ms)
		local ms
		ms=$( { for _ in $(seq 1 "$runs"); do
				printf '\\timing on\n%s;\n' "SELECT count(*) FROM ($q) s"
			done | psql -X -q -At 2>&1 | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'; } |
			sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
		printf '%-28s pages=%s wire=%s decoded=%s (%.1f%% of decoded) median=%s ms\n' \
			"$label" "$pages" "$wire" "$dec" "$(echo "100 * $wire / $dec" | bc -l)" "$ms"
	}
	measure "Mercury page, gzip" m_gz_t "$mq"
	measure "Mercury page, uncompressed" m_id_t "$mq"
	measure "Diadoc page, gzip" d_gz_t "$dq"
	measure "Diadoc page, uncompressed" d_id_t "$dq"
	exit 0
fi

if take_test_lock; then
	build_and_install || { echo "FAIL - bench: build"; exit 1; }
fi
launch_mock gz_pid gz_port --port 0 --units 10000 || exit 1
launch_mock id_pid id_port --port 0 --units 10000 --no-compress 1 || { kill "$gz_pid"; exit 1; }
trap 'kill $gz_pid $id_pid 2>/dev/null; wait 2>/dev/null' EXIT
echo "# compression: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), runs per figure: $runs"
echo "# command: test/bench/compression.sh $runs"
GZ_URL=http://127.0.0.1:$gz_port ID_URL=http://127.0.0.1:$id_port BENCH_INNER=1 \
	pg_virtualenv -t "$here/compression.sh" "$runs"
