#!/usr/bin/env bash
# PostgreSQL's CPU per row of figure f's query (count(m) over 1,000,000
# Mercury units, every column read), serial and parallel, for one or more
# builds in the same cluster, runs alternating.
#
#   test/bench/rowcpu.sh [--runs N] [TREE ...]
#
# TREE defaults to this checkout; give two (e.g. a clone at an older commit
# and this one) to compare them.  Each tree's paged_fdw.so is built in the
# tree; before every run the installed library is replaced by that tree's,
# and every run is a new session, so it loads the one just copied.
#
# Wall time on this shared machine moves by a third between minutes; the
# CPU time moves less.  The backend's and its parallel workers' CPU time is
# read from the postmaster's reaped-children times (/proc/PID/stat cutime +
# cstime) around each session, so it counts the leader and every worker.
# The mock (uncompressed, as figure f's second variant) runs on a free port.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

if [ "${1:-}" = "--inner" ]; then
	shift
	psql=(psql -X -q -v ON_ERROR_STOP=1)
	lib=$(pg_config --pkglibdir)/paged_fdw.so
	"${psql[@]}" -o /dev/null <<SQL || exit 1
CREATE EXTENSION paged_fdw;
CREATE SERVER m FOREIGN DATA WRAPPER paged_fdw OPTIONS (api 'mercury', url '$ROWCPU_URL/mercury/ok');
CREATE USER MAPPING FOR CURRENT_USER SERVER m OPTIONS (user 'test-user', password 'test-password');
CREATE FOREIGN TABLE mu (uuid uuid, guid uuid, active boolean, last boolean,
	status text, create_date timestamptz, update_date timestamptz, previous uuid,
	next uuid, name text, full_name text, common_unit_guid uuid, factor numeric,
	begin_date timestamptz, end_date timestamptz)
	SERVER m OPTIONS (resource 'unit_changes', rows_estimate '1000000');
SQL
	warm="SELECT count(*) FROM (SELECT 1 FROM mu WHERE begin_date = '2000-01-01' LIMIT 1) s"
	q="SELECT count(m) FROM mu m WHERE begin_date = '2000-01-01'"
	pm=$(head -n 1 "$("${psql[@]}" -Atc 'SHOW data_directory')/postmaster.pid")
	hz=$(getconf CLK_TCK)
	children() { awk '{print $16 + $17}' "/proc/$pm/stat"; }
	out=$(mktemp)
	for ((i = 0; i < ROWCPU_RUNS; i++)); do
		for ((t = 0; t < ROWCPU_NTREES; t++)); do
			cp "$ROWCPU_BUILD/paged_fdw.$t.so" "$lib" || exit 1
			for w in 0 2; do
				c0=$(children)
				t0=$(date +%s%N)
				printf "SET max_parallel_workers_per_gather = %s; %s;\nSELECT count(m) = 1000000 FROM mu m WHERE begin_date = '2000-01-01';\n" \
					"$w" "$warm" | "${psql[@]}" -At >"$out.r" || exit 1
				t1=$(date +%s%N)
				grep -qx t "$out.r" || { echo "FAIL - rowcpu: wrong count"; exit 1; }
				# the session's backend is reaped shortly after psql ends
				for _ in $(seq 1 50); do
					sleep 0.05
					c1=$(children)
					[ "$c1" != "$c0" ] && break
				done
				sleep 0.1
				c1=$(children)
				echo "$t $w $(((t1 - t0) / 1000000)) $(((c1 - c0) * 1000 / hz))" >>"$out"
			done
		done
	done
	echo "median of $ROWCPU_RUNS: wall ms, PostgreSQL CPU ms (leader + workers), CPU us per row"
	for ((t = 0; t < ROWCPU_NTREES; t++)); do
		for w in 0 2; do
			wall=$(awk -v t=$t -v w=$w '$1 == t && $2 == w {print $3}' "$out" | sort -n |
				awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
			cpu=$(awk -v t=$t -v w=$w '$1 == t && $2 == w {print $4}' "$out" | sort -n |
				awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
			printf '  %-40s %-8s wall %5s ms  cpu %5s ms  %s us/row\n' \
				"$(sed -n "$((t + 1))p" "$ROWCPU_BUILD/trees")" \
				"$([ $w = 0 ] && echo serial || echo parallel)" "$wall" "$cpu" \
				"$(awk -v c="$cpu" 'BEGIN {printf "%.2f", c / 1000}')"
		done
	done
	rm -f "$out" "$out.r"
	exit 0
fi

runs=5
while [ $# -gt 0 ]; do
	case "$1" in
		--runs) runs=$2; shift 2 ;;
		-*) echo "usage: $0 [--runs N] [TREE ...]" >&2; exit 2 ;;
		*) break ;;
	esac
done
trees=("$@")
[ ${#trees[@]} -gt 0 ] || trees=("$top")
build=$here/build
mkdir -p "$build"
: >"$build/trees"
for i in "${!trees[@]}"; do
	t=$(cd "${trees[$i]}" && pwd) || exit 1
	make -s -C "$t" paged_fdw.so >/dev/null || { echo "FAIL - rowcpu: build $t"; exit 1; }
	cp "$t/paged_fdw.so" "$build/paged_fdw.$i.so"
	echo "$t ($(git -C "$t" rev-parse --short HEAD 2>/dev/null)$(git -C "$t" diff --quiet HEAD 2>/dev/null || echo '+'))" >>"$build/trees"
done

. "$top/test/lib.sh"
take_test_lock
build_and_install || { echo "FAIL - rowcpu: build and install"; exit 1; }
tmp=$(mktemp -d)
"$top/test/mock_api/mock_api" --port 0 --units 1000000 --no-compress 1 9>&- >"$tmp/mock.out" 2>&1 &
mock=$!
trap 'kill $mock 2>/dev/null; rm -rf "$tmp"; cp "$top/paged_fdw.so" "$(pg_config --pkglibdir)/paged_fdw.so" 2>/dev/null' EXIT
for _ in $(seq 1 100); do grep -q '^port=' "$tmp/mock.out" && break; sleep 0.05; done
port=$(sed -n 's/^port=//p' "$tmp/mock.out")
[ -n "$port" ] || { echo "FAIL - rowcpu: mock did not start"; exit 1; }
echo "# rowcpu, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
ROWCPU_URL=http://127.0.0.1:$port ROWCPU_RUNS=$runs ROWCPU_NTREES=${#trees[@]} ROWCPU_BUILD=$build \
	pg_virtualenv -t "$here/rowcpu.sh" --inner 2>&1 | grep -v '^Creating new\|^Dropping cluster'
