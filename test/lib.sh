# Shared by test/run_tests.sh and test/demo.sh: build, install, start the mock.
# shellcheck shell=bash

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"

# take_test_lock: one test, demo or benchmark run at a time per machine
# ("make install" writes the shared PostgreSQL directories and the mock's
# port is fixed).  Fails, doing nothing, when the caller already holds it:
# harnesses run by test/run_tests.sh inherit PAGED_FDW_LOCK_HELD.
take_test_lock() {
	[ -z "${PAGED_FDW_LOCK_HELD:-}" ] || return 1
	exec 9>/tmp/paged_fdw_tests.lock
	flock 9
	export PAGED_FDW_LOCK_HELD=1
}

build_and_install() {
	(cd "$top" && make -s all mock >/dev/null && $sudo make -s install >/dev/null)
}

# Fixtures encoded by protoc, an encoder that is not ours.  A fixture's
# header may name the message ("# message: TYPE", default the legacy
# GetDocflowsByPacketIdResponse) and the .proto that declares it ("# proto:
# FILE" relative to the top, default proto/diadoc_docflow.proto; fixtures
# that carry fields our subset lacks use a .proto of their own under
# test/fixtures/).  diadoc_NAME.txt becomes build/fixture-NAME.bin.
encode_fixtures() {
	local f name msg pfile
	mkdir -p "$top/test/fixtures/build"
	for f in "$top"/test/fixtures/diadoc_*.txt; do
		[ -e "$f" ] || continue
		name=$(basename "$f" .txt)
		name=fixture-${name#diadoc_}
		msg=$(sed -n 's/^# message: *//p' "$f" | head -n1)
		pfile=$(sed -n 's/^# proto: *//p' "$f" | head -n1)
		protoc --encode="${msg:-Diadoc.Api.Proto.Docflow.GetDocflowsByPacketIdResponse}" \
			-I "$top/proto" -I "$top/test/fixtures" \
			"$top/${pfile:-proto/diadoc_docflow.proto}" <"$f" >"$top/test/fixtures/build/$name.bin" || return 1
	done
}

# start_mock [extra args]: sets MOCK_PID and MOCK_URL.  The port is
# $MOCK_PORT (0: any free port); the tests use a fixed one because the URL
# appears in expected error messages.
start_mock() {
	local port
	launch_mock MOCK_PID port --port "${MOCK_PORT:-0}" \
		--fixture-dir "$top/test/fixtures/build" "$@" || return 1
	MOCK_URL="http://127.0.0.1:$port"
	export MOCK_URL
}

# launch_mock PIDVAR PORTVAR ARGS...: start mock_api in the background and
# wait for the "port=" line it prints once it listens.
launch_mock() {
	local _pidvar=$1 _portvar=$2 _out _port
	shift 2
	_out=$(mktemp)
	# 9>&-: the mock must not inherit (and outlive us holding) the test lock
	"$top/test/mock_api/mock_api" "$@" 9>&- >"$_out" 2>&1 &
	printf -v "$_pidvar" '%s' $!
	for _ in $(seq 1 100); do
		grep -q '^port=' "$_out" && break
		sleep 0.05
	done
	_port=$(sed -n 's/^port=//p' "$_out" | head -n1)
	if [ -z "$_port" ]; then
		cat "$_out" >&2
		echo "mock_api did not start: $*" >&2
		rm -f "$_out"
		return 1
	fi
	printf -v "$_portvar" '%s' "$_port"
	rm -f "$_out"
}

stop_mock() {
	[ -n "${MOCK_PID:-}" ] && kill "$MOCK_PID" 2>/dev/null && wait "$MOCK_PID" 2>/dev/null
	MOCK_PID=""
}

# make_test_cert DIR: a throw-away self-signed certificate for 127.0.0.1
# (DIR/cert.pem, DIR/key.pem); the certificate is its own CA.  The
# certificate is readable by everybody (the database server reads it as
# ca_file), the key only by us (the mock reads it).
make_test_cert() {
	local dir=$1
	rm -rf "$dir"
	mkdir -p "$dir"
	chmod 755 "$dir"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$dir/key.pem" -out "$dir/cert.pem" -days 2 \
		-subj "/CN=paged_fdw test certificate" \
		-addext "subjectAltName=IP:127.0.0.1" >/dev/null 2>&1 || return 1
	chmod 600 "$dir/key.pem"
	chmod 644 "$dir/cert.pem"
}

# start_tls_mock CERTDIR [extra args]: the mock over HTTPS on
# $MOCK_TLS_PORT; sets MOCK_TLS_PID, MOCK_TLS_URL and MOCK_TLS_CA.
start_tls_mock() {
	local dir=$1 port
	shift
	launch_mock MOCK_TLS_PID port --port "${MOCK_TLS_PORT:-0}" \
		--tls-cert "$dir/cert.pem" --tls-key "$dir/key.pem" "$@" || return 1
	MOCK_TLS_URL="https://127.0.0.1:$port"
	MOCK_TLS_CA="$dir/cert.pem"
	export MOCK_TLS_URL MOCK_TLS_CA
}

stop_tls_mock() {
	[ -n "${MOCK_TLS_PID:-}" ] && kill "$MOCK_TLS_PID" 2>/dev/null && wait "$MOCK_TLS_PID" 2>/dev/null
	MOCK_TLS_PID=""
}

# start_test_mocks: the two mocks pg_regress expects, on the fixed ports
# that appear in expected output (plain HTTP and HTTPS with a throw-away
# certificate, both over 10,000 units).
start_test_mocks() {
	export MOCK_PORT=${MOCK_PORT:-47719}
	export MOCK_TLS_PORT=${MOCK_TLS_PORT:-47720}
	start_mock --units 10000 || return 1
	make_test_cert /tmp/paged_fdw_tls && start_tls_mock /tmp/paged_fdw_tls --units 10000
}
