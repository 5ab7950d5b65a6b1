#!/usr/bin/env bash
# The Debian package: builds postgresql-15-paged-fdw with
# "dpkg-buildpackage -us -uc -b" from a copy of the tree, installs it,
# checks that the installed files are the package's (dpkg --verify) and
# runs the pg_regress suite against them; then removes the package and
# puts this tree's own "make install" back, so whatever runs next sees the
# same files as before.
#
#	test/package.sh        (as root or with sudo; takes the test lock unless
#	                        run_tests.sh holds it; starts its own mocks)
# Prints "ok - NAME" / "FAIL - NAME" lines and "# ..." notes.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

ok() { echo "ok - $1"; }
fail() { echo "FAIL - $1"; }
note() { echo "# $*"; }
check() { if [ "$2" = 0 ]; then ok "$1"; else fail "$1"; fi; }

# (run_tests.sh holds the lock already and has stopped its own mocks)
take_test_lock || true
# Fresh mocks on the fixed ports, as the suite expects them: some tests
# count what the mock saw since it started.
(cd "$top" && make -s all mock >/dev/null) || { fail "build mock"; exit 1; }
encode_fixtures
start_test_mocks || { fail "start the mocks (ports 47719, 47720 free?)"; exit 1; }

work=$(mktemp -d /tmp/paged_fdw_pkg.XXXXXX)
chmod 755 "$work"
cleanup() {
	stop_mock
	stop_tls_mock
	rm -rf "$work"
}
trap cleanup EXIT

# the tree as committed plus new files, without build products
src="$work/paged-fdw-1.1"
mkdir -p "$src"
(cd "$top" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) | tar -C "$src" -xf -
# the fixtures are built by encode_fixtures, not part of the tree
mkdir -p "$src/test/fixtures/build"
cp -a "$top/test/fixtures/build/." "$src/test/fixtures/build/"

if (cd "$src" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b builds"
else
	tail -n 40 "$work/build.log" | sed 's/^/# /'
	fail "dpkg-buildpackage -us -uc -b builds"
	exit 1
fi
grep -i 'warning:' "$work/build.log" | grep -v 'dpkg-' | sed 's/^/# /'
! grep -i 'warning:' "$work/build.log" | grep -qv 'dpkg-'
check "package build without compiler warnings" $?

deb=$(ls "$work"/postgresql-15-paged-fdw_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ]
check "postgresql-15-paged-fdw .deb produced" $?
[ -n "$deb" ] || exit 1
note "$(basename "$deb"): $(dpkg-deb -f "$deb" Depends)"
contents=$(dpkg-deb -c "$deb" | awk '{print $NF}')
for f in ./usr/lib/postgresql/15/lib/paged_fdw.so \
	./usr/share/postgresql/15/extension/paged_fdw.control \
	./usr/share/postgresql/15/extension/paged_fdw--1.0.sql \
	./usr/share/postgresql/15/extension/paged_fdw--1.0--1.1.sql \
	./usr/share/postgresql/15/extension/paged_fdw--1.1.sql; do
	echo "$contents" | grep -qx "$f" || { note "missing: $f"; missing=1; }
done
[ -z "${missing:-}" ]
check "the package holds the library, control file and the 1.0, 1.0--1.1 and 1.1 scripts" $?

restore() {
	$sudo dpkg -r postgresql-15-paged-fdw >/dev/null 2>&1
	(cd "$top" && $sudo make -s install >/dev/null)
}
if $sudo dpkg -i "$deb" >"$work/install.log" 2>&1; then
	ok "dpkg -i installs the package"
else
	sed 's/^/# /' "$work/install.log"
	fail "dpkg -i installs the package"
	restore
	exit 1
fi
# every file of the package is on disk as the package has it
v=$(dpkg --verify postgresql-15-paged-fdw 2>&1)
[ -z "$v" ]
check "dpkg --verify: the installed files are the package's" $?
[ -n "$v" ] && note "$v"

# the regression suite against the installed package (not rebuilt: make
# installcheck only runs pg_regress)
(cd "$src" && pg_virtualenv -t make installcheck) >"$work/regress.log" 2>&1
while read -r line; do
	name=$(echo "$line" | sed -E 's/^(test|    ) *([a-z0-9_]+) +\.\.\. +(ok|FAILED|failed).*/\2/')
	if echo "$line" | grep -q '\.\.\. ok'; then ok "installed package: regress/$name"; else fail "installed package: regress/$name"; fi
done < <(grep -E '^(test +)?[a-z0-9_]+ +\.\.\. +(ok|FAILED|failed)' "$work/regress.log")
grep -qE '\.\.\. +(ok|FAILED|failed)' "$work/regress.log"
check "installed package: pg_regress ran" $?
[ -f "$src/regression.diffs" ] && head -n 100 "$src/regression.diffs" | sed 's/^/# /'

restore
! dpkg -s postgresql-15-paged-fdw >/dev/null 2>&1 &&
	cmp -s "$top/paged_fdw.so" "$(pg_config --pkglibdir)/paged_fdw.so"
check "package removed, this tree's install put back" $?
