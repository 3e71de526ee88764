#!/bin/sh
# Installs the Debian/Ubuntu packages that `make`, `make run` and `make check` need.
# As root it runs apt-get; otherwise sudo; when neither works it prints the exact
# command and stops, so nothing half-installs silently.
set -u

PKGS="build-essential pkg-config clang libncurses-dev libc-ares-dev libidn2-dev
libssl-dev libpsl-dev libunistring-dev check libsubunit-dev tmux valgrind openssl locales
python3"

missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "mxdoctor: these packages are missing:$missing" >&2
  echo "mxdoctor: this system has no apt-get; install their equivalents by hand." >&2
  exit 1
fi

if [ "$(id -u)" = 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo"
else
  echo "mxdoctor: missing packages. Please run:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y$missing" >&2
  exit 1
fi

echo "mxdoctor: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null || { echo "mxdoctor: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq $missing >/dev/null || {
  echo "mxdoctor: apt-get install failed. Please run:" >&2
  echo "  sudo apt-get install -y$missing" >&2
  exit 1
}
