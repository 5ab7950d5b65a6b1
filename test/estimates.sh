#!/usr/bin/env bash
# The planner's row estimates shared by the backends of a cluster that
# preloads paged_fdw (shared_preload_libraries): a total one session's scan
# was told is what the next session's first plan uses; another user's
# plans do not see it; use_remote_estimate's answer is shared the same
# way; the store is bounded (a key is replaced once many newer ones came).
# Every psql call below is a new session (a new backend).
# Prints "# ..." lines with what was seen and "ok - ..."/"FAIL - ..." lines.
#
#   test/estimates.sh
#
# Builds and installs under the test lock unless the caller holds it
# (test/run_tests.sh); its own mock on a free port; a throwaway cluster
# (pg_virtualenv; PGPORT may be set).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

if [ "${EST_URL:-}" != "" ]; then
	ok() { echo "ok - $1"; }
	fail() { echo "FAIL - $1"; }
	check() { if [ "$2" = 0 ]; then ok "$1"; else fail "$1"; fi; }
	q() { psql -X -At -v ON_ERROR_STOP=1 -c "$1" 2>&1; }
	qas() { psql -X -At -v ON_ERROR_STOP=1 -c "SET ROLE $1" -c "$2" 2>&1; }
	# the scan's "Rows Estimate" line of EXPLAIN VERBOSE, "Gather: " first
	# when the plan is parallel
	plan() {
		local out
		out=$("$@")
		printf '%s%s\n' "$(grep -q 'Gather' <<<"$out" && echo 'Gather: ')" \
			"$(sed -n 's/^ *Rows Estimate: //p' <<<"$out")"
	}
	requests() { curl -s "$EST_URL/_log" | grep -c GetUnitChangesList; }
	sel="SELECT count(*) FROM units WHERE begin_date = '2000-01-01'"

	[ "$(q "SHOW shared_preload_libraries")" = paged_fdw ]
	check "the cluster preloads paged_fdw" $?
	q "CREATE EXTENSION paged_fdw;
CREATE SERVER m FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'mercury', url '$EST_URL/mercury/ok', page_size '100');
CREATE USER MAPPING FOR CURRENT_USER SERVER m OPTIONS (user 'test-user', password 'test-password');
CREATE ROLE regress_est_other;
CREATE USER MAPPING FOR regress_est_other SERVER m OPTIONS (user 'test-user', password 'test-password');
GRANT USAGE ON FOREIGN SERVER m TO regress_est_other;
CREATE FOREIGN TABLE units (uuid uuid, begin_date timestamptz)
  SERVER m OPTIONS (resource 'unit_changes');
CREATE FOREIGN TABLE units_remote (uuid uuid, begin_date timestamptz)
  SERVER m OPTIONS (resource 'unit_changes', use_remote_estimate 'true');
GRANT SELECT ON units, units_remote TO regress_est_other;" >/dev/null
	check "setup" $?

	# learned by one session, used by the next session's first plan
	got=$(plan q "EXPLAIN (VERBOSE, COSTS OFF) $sel")
	echo "# session 1, before any scan: $got"
	[ "$got" = "1000 (default)" ]
	check "a fresh cluster plans with the defaults" $?
	n=$(q "SELECT count(*) FROM units WHERE begin_date = '2000-01-01'")
	requests >/dev/null
	got=$(plan q "EXPLAIN (VERBOSE, COSTS OFF) $sel")
	echo "# session 3, after session 2 read $n rows: $got"
	[ "$got" = "Gather: $n (total told to an earlier scan in the cluster)" ]
	check "a new session's first plan uses the total another session was told (a parallel plan by cost)" $?
	[ "$(requests)" = 0 ]
	check "... without a request" $?
	got=$(plan qas regress_est_other "EXPLAIN (VERBOSE, COSTS OFF) $sel")
	echo "# another user's session: $got"
	[ "$got" = "1000 (default)" ]
	check "another user's plan does not use this user's total" $?

	# use_remote_estimate: one session asks, the next ones know
	got=$(plan q "EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM units_remote WHERE begin_date = '2000-01-01'")
	r1=$(requests)
	echo "# use_remote_estimate, session 1: $got, $r1 request(s)"
	[ "$got" = "Gather: $n (total told to use_remote_estimate's request)" ] && [ "$r1" = 1 ]
	check "use_remote_estimate: one request while planning, its total the estimate" $?
	got=$(plan q "EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM units_remote WHERE begin_date = '2000-01-01'")
	r2=$(requests)
	echo "# use_remote_estimate, session 2: $got, $r2 request(s)"
	[ "$got" = "Gather: $n (total told to an earlier scan in the cluster)" ] && [ "$r2" = 0 ]
	check "use_remote_estimate: the next session plans with that total, no request" $?
	got=$(plan qas regress_est_other "EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM units_remote WHERE begin_date = '2000-01-01'")
	r3=$(requests)
	echo "# use_remote_estimate, another user: $got, $r3 request(s)"
	[ "$got" = "Gather: $n (total told to use_remote_estimate's request)" ] && [ "$r3" = 1 ]
	check "use_remote_estimate: another user asks for itself" $?

	# bounded: 4000 newer keys (one session) replace the first one; the
	# latest is kept (a later session sees it)
	q "DO \$\$
BEGIN
  FOR i IN 1..4000 LOOP
    EXECUTE format('EXPLAIN SELECT count(*) FROM units_remote WHERE begin_date = %L',
                   timestamptz '2030-01-01' + i * interval '1 second');
  END LOOP;
END \$\$" >/dev/null
	check "4000 other estimates learned" $?
	r4=$(requests)
	first=$(plan q "EXPLAIN (VERBOSE, COSTS OFF) $sel")
	last=$(plan q "EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM units_remote WHERE begin_date = '2030-01-01 01:06:40+00'")
	r5=$(requests)
	echo "# after 4000 other keys ($r4 requests): the first key: $first; the latest: $last ($r5 request(s))"
	[ "$r4" = 4000 ] && [ "$first" = "1000 (default)" ]
	check "the shared store is bounded: the first key was replaced" $?
	[ "$last" = "0 (total told to an earlier scan in the cluster)" ] && [ "$r5" = 0 ]
	check "the most recently learned key is kept" $?
	exit 0
fi

if take_test_lock; then
	build_and_install || { echo "FAIL - estimates: build"; exit 1; }
fi
launch_mock est_pid est_port --port 0 --units 10000 || exit 1
trap 'kill $est_pid 2>/dev/null; wait 2>/dev/null' EXIT
export EST_URL=http://127.0.0.1:$est_port
pg_virtualenv -t -o shared_preload_libraries=paged_fdw "$here/estimates.sh" ||
	echo "FAIL - preloaded cluster ran"
