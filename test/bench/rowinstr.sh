#!/usr/bin/env bash
# Instructions per row of figure f's query (count(m) over Mercury units,
# every column read, serial) in PostgreSQL's backend, for one or more
# builds, counted by callgrind: unlike CPU time they do not move with the
# load of this shared machine, so small changes of the per-row path show.
#
#   test/bench/rowinstr.sh [--units N] [--rounds N] [TREE ...]
#
# TREE defaults to this checkout; give two or more (e.g. a clone at an
# older commit and this one) to compare them; the runs alternate.  Each
# tree's paged_fdw.so is built in the tree and loaded from a copy by its
# absolute path (the wrapper's functions are created by hand, without the
# extension), in a single-user backend on a cluster of its own: nothing is
# installed, no fixed port is used, so it takes no lock.  The mock
# (uncompressed) runs on a free port.  Prints per run and per tree (median)
# the backend's instructions per row (everything the process ran, set-up
# included, divided by the rows), vetis_fill_row's (inclusive) and
# paged_iterate's own.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
units=50000
rounds=3
while [ $# -gt 0 ]; do
	case "$1" in
		--units) units=$2; shift 2 ;;
		--rounds) rounds=$2; shift 2 ;;
		-*) echo "usage: $0 [--units N] [--rounds N] [TREE ...]" >&2; exit 2 ;;
		*) break ;;
	esac
done
trees=("$@")
[ ${#trees[@]} -gt 0 ] || trees=("$top")
command -v valgrind >/dev/null || { echo "FAIL - rowinstr: valgrind is not installed"; exit 1; }

bin=$(pg_config --bindir)
tmp=$(mktemp -d /tmp/rowinstr.XXXXXX)
chmod 755 "$tmp"
mock=
cleanup() {
	[ -n "$mock" ] && kill "$mock" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
# the cluster belongs to postgres when run as root (initdb refuses root)
as_owner() {
	if [ "$(id -u)" = 0 ]; then
		su postgres -c "$1"
	else
		bash -c "$1"
	fi
}
[ "$(id -u)" = 0 ] && chown postgres "$tmp"

for i in "${!trees[@]}"; do
	t=$(cd "${trees[$i]}" && pwd) || exit 1
	make -s -C "$t" paged_fdw.so >/dev/null || { echo "FAIL - rowinstr: build $t"; exit 1; }
	mkdir -p "$tmp/so$i"
	cp "$t/paged_fdw.so" "$tmp/so$i/paged_fdw.so"
	chmod -R a+rX "$tmp/so$i"
	echo "tree $i: $t ($(git -C "$t" rev-parse --short HEAD 2>/dev/null)$(git -C "$t" diff --quiet HEAD 2>/dev/null || echo '+'))"
done
make -s -C "$top" test/mock_api/mock_api >/dev/null || { echo "FAIL - rowinstr: build the mock"; exit 1; }

"$top/test/mock_api/mock_api" --port 0 --units "$units" --no-compress 1 >"$tmp/mock.out" 2>&1 &
mock=$!
for _ in $(seq 1 100); do grep -q '^port=' "$tmp/mock.out" && break; sleep 0.05; done
port=$(sed -n 's/^port=//p' "$tmp/mock.out")
[ -n "$port" ] || { echo "FAIL - rowinstr: mock did not start"; exit 1; }

as_owner "$bin/initdb -D $tmp/data -E UTF8 --no-locale -A trust >$tmp/initdb.log 2>&1" ||
	{ cat "$tmp/initdb.log"; echo "FAIL - rowinstr: initdb"; exit 1; }
cat >"$tmp/setup.sql" <<SQL
CREATE FUNCTION paged_fdw_handler() RETURNS fdw_handler AS '$tmp/so0/paged_fdw.so' LANGUAGE C STRICT;
CREATE FUNCTION paged_fdw_validator(text[], oid) RETURNS void AS '$tmp/so0/paged_fdw.so' LANGUAGE C STRICT;
CREATE FOREIGN DATA WRAPPER paged_fdw HANDLER paged_fdw_handler VALIDATOR paged_fdw_validator;
CREATE SERVER m FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url 'http://127.0.0.1:$port/mercury/ok');
CREATE USER MAPPING FOR CURRENT_USER SERVER m OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE mu (uuid uuid, guid uuid, active boolean, last boolean, status text, create_date timestamptz, update_date timestamptz, previous uuid, next uuid, name text, full_name text, common_unit_guid uuid, factor numeric, begin_date timestamptz, end_date timestamptz) SERVER m OPTIONS (resource 'unit_changes', rows_estimate '$units');
SQL
chmod a+r "$tmp/setup.sql"
as_owner "$bin/postgres --single -D $tmp/data postgres <$tmp/setup.sql >$tmp/setup.log 2>&1"
grep -q ERROR "$tmp/setup.log" && { cat "$tmp/setup.log"; echo "FAIL - rowinstr: set-up"; exit 1; }

# what callgrind_annotate counts for a function: inclusive or its own (run
# away from the sources: in the tree it splits a function's count in two)
cg_count() {	# cg_count FILE inclusive|self FUNCTION
	local opt=--inclusive=no
	[ "$2" = inclusive ] && opt=--inclusive=yes
	(cd "$tmp" && callgrind_annotate $opt "$1" 2>/dev/null) |
		awk -v f=":$3 [" 'index($0, f) > 0 { gsub(",", "", $1); print $1; exit }'
}
results=$tmp/results
for r in $(seq 1 "$rounds"); do
	for i in "${!trees[@]}"; do
		cat >"$tmp/q.sql" <<SQL
CREATE OR REPLACE FUNCTION paged_fdw_handler() RETURNS fdw_handler AS '$tmp/so$i/paged_fdw.so' LANGUAGE C STRICT;
CREATE OR REPLACE FUNCTION paged_fdw_validator(text[], oid) RETURNS void AS '$tmp/so$i/paged_fdw.so' LANGUAGE C STRICT;
SET max_parallel_workers_per_gather = 0;
SELECT count(m) FROM mu m WHERE begin_date = '2000-01-01';
SQL
		chmod a+r "$tmp/q.sql"
		rm -f "$tmp/cg.out"
		as_owner "valgrind --tool=callgrind --callgrind-out-file=$tmp/cg.out $bin/postgres --single -D $tmp/data postgres <$tmp/q.sql >$tmp/run.log 2>&1"
		grep -q "count = \"$units\"" "$tmp/run.log" || { cat "$tmp/run.log"; echo "FAIL - rowinstr: wrong count"; exit 1; }
		total=$(cd "$tmp" && callgrind_annotate "$tmp/cg.out" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
		fill=$(cg_count "$tmp/cg.out" inclusive vetis_fill_row)
		iter=$(cg_count "$tmp/cg.out" self paged_iterate)
		line="$((total / units)) $((${fill:-0} / units)) $((${iter:-0} / units))"
		echo "tree $i round $r: instructions per row: backend ${line%% *}, vetis_fill_row $(echo "$line" | cut -d' ' -f2), paged_iterate (own) ${line##* }"
		echo "$i $line" >>"$results"
	done
done
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
for i in "${!trees[@]}"; do
	echo "tree $i: median of $rounds: backend $(awk -v t="$i" '$1 == t { print $2 }' "$results" | median)," \
		"vetis_fill_row $(awk -v t="$i" '$1 == t { print $3 }' "$results" | median)," \
		"paged_iterate (own) $(awk -v t="$i" '$1 == t { print $4 }' "$results" | median) instructions per row"
done
