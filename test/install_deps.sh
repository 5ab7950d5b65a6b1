#!/usr/bin/env bash
# Installs the Debian 12 packages paged_fdw needs to build and test.
# Idempotent: does nothing when everything is already installed.
set -euo pipefail

pkgs=(build-essential pkg-config curl ca-certificates
	postgresql-15 postgresql-server-dev-15 postgresql-common
	libcurl4-openssl-dev libprotobuf-c-dev protobuf-c-compiler protobuf-compiler
	libxml2-dev libxml2-utils libmicrohttpd-dev openssl
	clang libclang-rt-14-dev
	dpkg-dev debhelper postgresql-server-dev-all)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	sudo=""
	[ "$(id -u)" = 0 ] || sudo="sudo"
	echo "installing: ${missing[*]}"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
