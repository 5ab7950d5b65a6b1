# Shared by test/run_tests.sh and test/demo.sh: build, install, start the mock.
# shellcheck shell=bash

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"

build_and_install() {
	(cd "$top" && make -s all mock >/dev/null && $sudo make -s install >/dev/null)
}

# Fixtures encoded by protoc, an encoder that is not ours.
encode_fixtures() {
	mkdir -p "$top/test/fixtures/build"
	for f in "$top"/test/fixtures/diadoc_*.txt; do
		[ -e "$f" ] || continue
		name=$(basename "$f" .txt)
		name=fixture-${name#diadoc_}
		protoc --encode=Diadoc.Api.Proto.GetDocflowsByPacketIdResponse \
			-I "$top/proto" "$top/proto/diadoc.proto" <"$f" >"$top/test/fixtures/build/$name.bin"
	done
}

# start_mock [extra args]: sets MOCK_PID and MOCK_URL.  The port is
# $MOCK_PORT (0: any free port); the tests use a fixed one because the URL
# appears in expected error messages.
start_mock() {
	local out
	out=$(mktemp)
	"$top/test/mock_api/mock_api" --port "${MOCK_PORT:-0}" --fixture-dir "$top/test/fixtures/build" "$@" >"$out" 2>&1 &
	MOCK_PID=$!
	for _ in $(seq 1 100); do
		grep -q '^port=' "$out" && break
		sleep 0.05
	done
	if ! grep -q '^port=' "$out"; then
		cat "$out" >&2
		echo "mock_api did not start" >&2
		return 1
	fi
	MOCK_URL="http://127.0.0.1:$(sed -n 's/^port=//p' "$out" | head -n1)"
	export MOCK_URL
	rm -f "$out"
}

stop_mock() {
	[ -n "${MOCK_PID:-}" ] && kill "$MOCK_PID" 2>/dev/null && wait "$MOCK_PID" 2>/dev/null
	MOCK_PID=""
}
