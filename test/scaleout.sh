#!/usr/bin/env bash
# The scale-out recipe of README.md ("More than one machine"), tested on
# one machine: two worker clusters run paged_fdw, each for its own box with
# its own user mapping; a coordinator cluster has a table partitioned by
# box whose partitions are postgres_fdw foreign tables on the workers, and
# reads them with postgres_fdw's Async Append.  A sync through the
# coordinator must bring every row, and both workers must have been at
# work at the same time (the mock saw two requests at once while each
# worker asks for one page at a time).
#
#   test/scaleout.sh     (run_tests.sh runs it, with the extension installed
#                         and the test lock held)
# Prints "ok - ..." / "FAIL - ..." lines and "# ..." notes.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

bindir=${SCALEOUT_BINDIR:-$(pg_config --bindir)}
work=$(mktemp -d /tmp/paged_fdw_scaleout.XXXXXX)
chmod 755 "$work"
as_pg=()
if [ "$(id -u)" = 0 ]; then
	chown postgres "$work"
	as_pg=(runuser -u postgres --)
fi
clusters=()
cleanup() {
	for c in "${clusters[@]}"; do
		"${as_pg[@]}" "$bindir/pg_ctl" -D "$work/$c" -m immediate stop >/dev/null 2>&1
	done
	stop_mock
	rm -rf "$work"
}
trap cleanup EXIT

ok() { echo "ok - scaleout: $1"; }
bad() { echo "FAIL - scaleout: $1"; }
check() { if [ "$2" = 0 ]; then ok "$1"; else bad "$1"; fi; }

if ! MOCK_PORT=0 start_mock --units 1000; then
	bad "start the mock"
	exit 1
fi

# a free loopback port for each cluster
free_port() {
	local p
	for p in $(seq "$1" $(($1 + 200))); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# start_cluster NAME PORT
start_cluster() {
	"${as_pg[@]}" "$bindir/initdb" -D "$work/$1" -A trust -U postgres >/dev/null 2>&1 || return 1
	cat >>"$work/$1/postgresql.conf" <<EOF
port = $2
listen_addresses = '127.0.0.1'
unix_socket_directories = '$work'
shared_buffers = 16MB
max_connections = 20
EOF
	clusters+=("$1")
	if ! "${as_pg[@]}" "$bindir/pg_ctl" -D "$work/$1" -l "$work/$1.log" -w start >/dev/null; then
		# say why (the work directory is removed on exit)
		sed 's/^/# '"$1"': /' "$work/$1.log" | tail -n 20 >&2
		return 1
	fi
}

# start_on_free_port NAME FROM: NAME on the first free port from FROM,
# sets $port; tries three ports (another process may take a free port
# between the check and the server's bind)
start_on_free_port() {
	local from=$2 try
	for try in 1 2 3; do
		port=$(free_port "$from") || return 1
		"${as_pg[@]}" "$bindir/pg_ctl" -D "$work/$1" -m immediate stop >/dev/null 2>&1
		rm -rf "${work:?}/$1"
		start_cluster "$1" "$port" && return 0
		from=$((port + 1))
	done
	return 1
}
q() {	# q PORT SQL...: psql on the cluster at PORT
	local port=$1
	shift
	psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres "$@"
}

p1="" p2="" pc=""
start_on_free_port worker1 55400 && p1=$port &&
	start_on_free_port worker2 $((p1 + 1)) && p2=$port &&
	start_on_free_port coordinator $((p2 + 1)) && pc=$port
rc=$?
check "three clusters on loopback ports (${p1:-?}, ${p2:-?}, ${pc:-?})" $rc
[ "$rc" = 0 ] || exit 1

# Each worker: paged_fdw for its own box, its own credentials (user
# mapping) and request budget (one page at a time here).  The mock answers
# every request after 50 ms.
for w in 1 2; do
	port=$([ $w = 1 ] && echo "$p1" || echo "$p2")
	q "$port" <<EOF
CREATE EXTENSION paged_fdw;
CREATE SERVER diadoc FOREIGN DATA WRAPPER paged_fdw
  OPTIONS (api 'diadoc', api_version 'legacy', url '$MOCK_URL/diadoc/latency-50', box_id 'box-$w',
           prefetch 'false', max_concurrency '1');
CREATE USER MAPPING FOR postgres SERVER diadoc
  OPTIONS (client_id 'test-client', token 'test-token');
CREATE FOREIGN TABLE docs (box_id text, packet_id text, entity_id text, document_type text)
  SERVER diadoc OPTIONS (resource 'docflows_by_packet');
EOF
	check "worker $w: paged_fdw set up for box-$w" $?
done

# The coordinator: a table partitioned by box, one postgres_fdw partition
# per worker.
q "$pc" <<EOF
CREATE EXTENSION postgres_fdw;
CREATE SERVER worker1 FOREIGN DATA WRAPPER postgres_fdw
  OPTIONS (host '127.0.0.1', port '$p1', dbname 'postgres', async_capable 'true');
CREATE SERVER worker2 FOREIGN DATA WRAPPER postgres_fdw
  OPTIONS (host '127.0.0.1', port '$p2', dbname 'postgres', async_capable 'true');
CREATE USER MAPPING FOR postgres SERVER worker1 OPTIONS (user 'postgres');
CREATE USER MAPPING FOR postgres SERVER worker2 OPTIONS (user 'postgres');
CREATE TABLE docs (box_id text, packet_id text, entity_id text, document_type text)
  PARTITION BY LIST (box_id);
CREATE FOREIGN TABLE docs_box1 PARTITION OF docs FOR VALUES IN ('box-1')
  SERVER worker1 OPTIONS (table_name 'docs');
CREATE FOREIGN TABLE docs_box2 PARTITION OF docs FOR VALUES IN ('box-2')
  SERVER worker2 OPTIONS (table_name 'docs');
CREATE TABLE docs_copy (box_id text, packet_id text, entity_id text, document_type text);
EOF
check "coordinator: postgres_fdw partitions on both workers" $?

plan=$(q "$pc" -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM docs WHERE packet_id = 'p500'")
echo "$plan" | sed 's/^/#   /'
[ "$(echo "$plan" | grep -c 'Async Foreign Scan')" = 2 ] &&
	[ "$(echo "$plan" | grep -c "WHERE ((packet_id = 'p500'))")" = 2 ]
check "the coordinator's plan: an Async Foreign Scan per worker, packet_id sent on" $?

# The sync: 500 documents of packet p500 from each box (5 pages each,
# 50 ms a page), through the coordinator.
curl -s "$MOCK_URL/_control/reset-max-inflight" >/dev/null
curl -s "$MOCK_URL/_log" >/dev/null
q "$pc" -c "INSERT INTO docs_copy SELECT * FROM docs WHERE packet_id = 'p500'"
check "sync through the coordinator ran" $?
rows=$(q "$pc" -c "SELECT box_id || ':' || count(*) || ':' || count(DISTINCT entity_id) FROM docs_copy GROUP BY box_id ORDER BY box_id" | tr '\n' ' ')
note_rows="$rows"
echo "# rows per box (box:rows:distinct): $note_rows"
[ "$rows" = "box-1:500:500 box-2:500:500 " ]
check "every row of both boxes arrived once" $?
log=$(curl -s "$MOCK_URL/_log")
max=$(curl -s "$MOCK_URL/_stats" | sed -n 's/.*max_inflight=\([0-9]*\).*/\1/p')
echo "# requests: box-1 $(echo "$log" | grep -c 'box=box-1'), box-2 $(echo "$log" | grep -c 'box=box-2'); most at once at the mock: $max"
[ "$(echo "$log" | grep -c 'box=box-1 .*status=200')" = 5 ] &&
	[ "$(echo "$log" | grep -c 'box=box-2 .*status=200')" = 5 ]
check "each worker read its own box: 5 pages each" $?
# each worker has one request in flight at most, so two at once means
# both workers were at work at the same time
[ "${max:-0}" -ge 2 ]
check "both workers worked at the same time (max in flight at the mock: ${max:-?})" $?
