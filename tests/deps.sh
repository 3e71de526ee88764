#!/bin/sh
# Installs the Debian/Ubuntu packages that `make`, `make run` and `make check` need.
# As root it runs apt-get; otherwise sudo; when neither works it prints the exact
# command and stops, so nothing half-installs silently.
#
# unbound, nsd and postfix are the real servers of tests/integration/t_realsw.sh.
# The tests run their own instances on loopback with their own configs; the
# packages must not leave system-wide daemons behind (an Unbound on 127.0.0.1:53,
# a Postfix on port 25), and nothing here touches /etc/resolv.conf.
set -u

PKGS="build-essential pkg-config clang libclang-rt-dev libncurses-dev libc-ares-dev libidn2-dev
libssl-dev libpsl-dev libunistring-dev check libsubunit-dev tmux valgrind openssl locales
python3 bind9-dnsutils unbound nsd postfix"
# Packages that ship a system service which must stay off.
SERVICES="unbound nsd postfix"

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
# Postfix asks what kind of mail system this is; "No configuration" writes no
# main.cf and so starts nothing.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections

# invoke-rc.d asks policy-rc.d whether a package may start its service; 101 means
# "no". Only a policy we put there ourselves is removed afterwards.
POLICY=/usr/sbin/policy-rc.d
ours_policy=""
restore_policy() { if [ -n "$ours_policy" ]; then $SUDO rm -f "$POLICY"; fi; ours_policy=""; }
trap restore_policy EXIT
trap 'restore_policy; exit 1' INT TERM
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\n# mxdoctor tests/deps.sh: no service starts while packages install\nexit 101\n' |
    $SUDO tee "$POLICY" >/dev/null && $SUDO chmod 755 "$POLICY" && ours_policy=1
fi

$SUDO apt-get update -qq >/dev/null || { echo "mxdoctor: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=300 $missing >/dev/null || {
  echo "mxdoctor: apt-get install failed. Please run:" >&2
  echo "  sudo apt-get install -y$missing" >&2
  exit 1
}

# On a machine booted with systemd the packages enabled their units for the next
# boot (and a unit may have been started despite the policy): stop and disable the
# ones this run installed, so no system Unbound takes 127.0.0.1:53 and no system
# Postfix takes port 25. Services that were installed before are left alone.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  for s in $SERVICES; do
    case " $missing " in *" $s "*) ;; *) continue ;; esac
    for u in "$s.service" "$s-resolvconf.service"; do
      $SUDO systemctl disable --now "$u" >/dev/null 2>&1 || true
    done
  done
fi
exit 0
