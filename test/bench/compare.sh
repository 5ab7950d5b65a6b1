#!/usr/bin/env bash
# Figures a and b of test/bench/run.sh for two builds in one run: this tree
# ("new") and an older commit ("old", default main).  Each timed query runs
# in a fresh session, and the two builds alternate run by run, so that a
# load change on this shared machine hits both alike.
#
#   test/bench/compare.sh [--quick] [--runs N] [OLD_REV]
#
# The old commit is built in a temporary git worktree and installed next to
# this tree's library as $libdir/paged_fdw_old.so (removed at the end); its
# wrapper lives in a database of its own, so no backend loads both.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

if [ "${1:-}" = "--inner" ]; then
	shift
	psql_db() { psql -X -q -v ON_ERROR_STOP=1 -d "$1" "${@:2}"; }
	median() { sort -g | awk '{v[NR] = $1} END {if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
	ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.3f", a / b; else print "nan"}'; }
	# one_ms DB WARM SQL: \timing of SQL in a fresh session, after WARM
	one_ms() {
		printf '%s;\n\\timing on\n%s;\n' "$2" "$3" | psql_db "$1" -o /dev/null 2>&1 |
			sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 1
	}
	url=$BENCH_URL
	runs=$BENCH_RUNS
	if [ "$BENCH_QUICK" = 1 ]; then
		d_big=2000; lat_runs=1
	else
		d_big=100000; lat_runs=$(( runs < 3 ? runs : 3 ))
	fi
	m_all="begin_date = '2000-01-01'"
	d_pkt="packet_id = 'p$d_big'"
	work="sum(length(sha256(convert_to(repeat(document::text, 150), 'UTF8'))))"
	m_warm="SELECT count(*) FROM (SELECT 1 FROM mercury WHERE $m_all LIMIT 1) s"
	m_warm_c8="SELECT count(*) FROM (SELECT 1 FROM mercury_lat_c8 WHERE $m_all LIMIT 1) s"
	d_warm="SELECT count(*) FROM (SELECT 1 FROM diadoc WHERE $d_pkt LIMIT 1) s"
	d_warm_lat="SELECT count(*) FROM (SELECT 1 FROM diadoc_lat WHERE $d_pkt LIMIT 1) s"

	createdb new && createdb old || exit 1
	psql_db new -c "CREATE EXTENSION paged_fdw" || exit 1
	psql_db old <<'EOF' || exit 1
CREATE FUNCTION paged_fdw_handler() RETURNS fdw_handler
  AS '$libdir/paged_fdw_old', 'paged_fdw_handler' LANGUAGE C STRICT;
CREATE FUNCTION paged_fdw_validator(text[], oid) RETURNS void
  AS '$libdir/paged_fdw_old', 'paged_fdw_validator' LANGUAGE C STRICT;
CREATE FOREIGN DATA WRAPPER paged_fdw HANDLER paged_fdw_handler VALIDATOR paged_fdw_validator;
EOF
	for db in new old; do
		psql_db "$db" -o /dev/null <<EOF || exit 1
CREATE FUNCTION mk(name text, api text, url text, opts text) RETURNS void LANGUAGE plpgsql AS \$\$
BEGIN
  IF api = 'diadoc' THEN
    -- The request of run.sh's figures (api_version 'legacy'), in both builds:
    -- without the option a build sends V5; one older than the option
    -- rejects it and sends the legacy request anyway.
    BEGIN
      EXECUTE format('CREATE SERVER %I FOREIGN DATA WRAPPER paged_fdw OPTIONS (api %L, api_version %L, url %L %s)',
                     name, api, 'legacy', url, opts);
    EXCEPTION WHEN fdw_invalid_option_name THEN
      EXECUTE format('CREATE SERVER %I FOREIGN DATA WRAPPER paged_fdw OPTIONS (api %L, url %L %s)',
                     name, api, url, opts);
    END;
  ELSE
    EXECUTE format('CREATE SERVER %I FOREIGN DATA WRAPPER paged_fdw OPTIONS (api %L, url %L %s)',
                   name, api, url, opts);
  END IF;
  IF api = 'mercury' THEN
    EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER %I OPTIONS (user %L, password %L)',
                   name, 'test-user', 'test-password');
    EXECUTE format('CREATE FOREIGN TABLE %I (name text, begin_date timestamptz)
                    SERVER %I OPTIONS (resource %L)', name, name, 'unit_changes');
  ELSE
    EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER %I OPTIONS (client_id %L, token %L)',
                   name, 'test-client', 'test-token');
    EXECUTE format('CREATE FOREIGN TABLE %I (packet_id text, entity_id text, document jsonb)
                    SERVER %I OPTIONS (resource %L)', name, name, 'docflows_by_packet');
  END IF;
END \$\$;
SELECT mk('mercury', 'mercury', '$url/mercury/ok', '');
SELECT mk('mercury_lat_c8', 'mercury', '$url/mercury/latency-20', ', max_concurrency ''8''');
SELECT mk('diadoc', 'diadoc', '$url/diadoc/ok', ', box_id ''box-1''');
SELECT mk('diadoc_lat', 'diadoc', '$url/diadoc/latency-20', ', box_id ''box-1''');
EOF
		echo "# $db: Diadoc servers with $(psql_db "$db" -At -c "SELECT coalesce(string_agg(DISTINCT o, ', '), 'no api_version (a build before the option)') FROM pg_foreign_server, unnest(srvoptions) o WHERE o LIKE 'api_version=%'")"
	done

	# fig N NAME WARM SQL: N rounds of (new, old), medians and old/new
	fig() {
		local n=$1 name=$2 warm=$3 sql=$4 i tn to
		local fn fo
		fn=$(mktemp); fo=$(mktemp)
		for ((i = 0; i < n; i++)); do
			one_ms new "$warm" "$sql" >>"$fn"
			one_ms old "$warm" "$sql" >>"$fo"
		done
		tn=$(median <"$fn"); to=$(median <"$fo")
		echo "   $name: new $tn ms [$(sort -g "$fn" | tr '\n' ' ')], old $to ms [$(sort -g "$fo" | tr '\n' ' ')], new/old $(ratio "$tn" "$to")"
		rm -f "$fn" "$fo"
	}
	echo "a. count(*), no added latency (median of $runs, new and old alternate)"
	fig "$runs" "Mercury $BENCH_UNITS rows" "$m_warm" "SELECT count(*) FROM mercury WHERE $m_all"
	fig "$runs" "Diadoc $d_big documents" "$d_warm" "SELECT count(*) FROM diadoc WHERE $d_pkt"
	echo "b. 20 ms added per request (median of $lat_runs)"
	fig "$lat_runs" "Mercury $BENCH_UNITS rows, max_concurrency 8" "$m_warm_c8" "SELECT count(*) FROM mercury_lat_c8 WHERE $m_all"
	fig "$lat_runs" "Diadoc $d_big documents, prefetch on, per-row work" "$d_warm_lat" "SELECT $work FROM diadoc_lat WHERE $d_pkt"
	exit 0
fi

quick=0
runs=5
old_rev=main
while [ $# -gt 0 ]; do
	case "$1" in
		--quick) quick=1; runs=1 ;;
		--runs) runs=$2; shift ;;
		-*) echo "usage: $0 [--quick] [--runs N] [OLD_REV]" >&2; exit 2 ;;
		*) old_rev=$1 ;;
	esac
	shift
done

. "$top/test/lib.sh"
take_test_lock
build_and_install || { echo "FAIL - compare: build"; exit 1; }
old_tree=$(mktemp -d)
libdir=$(pg_config --pkglibdir)
git -C "$top" worktree add -q --detach "$old_tree" "$old_rev" || exit 1
cleanup() {
	[ -n "${bench_mock:-}" ] && kill "$bench_mock" 2>/dev/null && wait "$bench_mock" 2>/dev/null
	$sudo rm -f "$libdir/paged_fdw_old.so"
	git -C "$top" worktree remove --force "$old_tree"
}
trap cleanup EXIT
(cd "$old_tree" && make -s all >/dev/null) || { echo "FAIL - compare: build $old_rev"; exit 1; }
$sudo install -m 755 "$old_tree/paged_fdw.so" "$libdir/paged_fdw_old.so" || exit 1

units=1000000
[ "$quick" = 1 ] && units=20000
launch_mock bench_mock port --port 0 --units "$units" || exit 1
export BENCH_URL="http://127.0.0.1:$port" BENCH_QUICK=$quick BENCH_RUNS=$runs BENCH_UNITS=$units
echo "# paged_fdw: new = $(git -C "$top" rev-parse --short HEAD)$(git -C "$top" diff --quiet HEAD || echo '+changes'), old = $old_rev ($(git -C "$top" rev-parse --short "$old_rev")), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "# machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); runs per figure: $runs (median)"
pg_virtualenv -t "$here/compare.sh" --inner
