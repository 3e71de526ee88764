#!/bin/sh
# stop.sh WORKDIR — stops what start.sh WORKDIR started, by pid only, and makes
# sure nothing of it is left running. Safe to run more than once, and after a
# start.sh that failed half-way.
#
# Postfix is asked first (postfix -c DIR stop), then every pid in WORKDIR/pids
# gets SIGTERM, and SIGKILL if it is still there after 5 s. Last, any process
# still tied to WORKDIR (its command line, working directory or MAIL_CONFIG
# names it — Postfix's children, NSD's helpers) is listed as "leftover PID CMD"
# on stdout and killed by pid. Exit status: 0 when nothing was left over, 1
# when something had to be killed that way.
set -u
[ $# -eq 1 ] || { echo "usage: $0 WORKDIR" >&2; exit 1; }
WORK=$1
PATH=$PATH:/usr/sbin:/sbin
[ -d "$WORK" ] || exit 0

# gone PID: true once PID has exited (or was never there).
gone() { ! kill -0 "$1" 2>/dev/null; }
# wait_gone PID...: up to 5 s for all of them, polling.
wait_gone() {
  i=0
  while [ $i -lt 100 ]; do
    left=""
    for p in "$@"; do gone "$p" || left="$left $p"; done
    [ -z "$left" ] && return 0
    sleep 0.05; i=$((i + 1))
  done
  return 1
}

if [ -f "$WORK/postfix/etc/main.cf" ] && [ -f "$WORK/pids/postfix-master.pid" ] &&
   ! gone "$(cat "$WORK/pids/postfix-master.pid")"; then
  postfix -c "$WORK/postfix/etc" stop >/dev/null 2>&1
fi

pids=""
for f in "$WORK"/pids/*.pid; do
  [ -f "$f" ] || continue
  p=$(tr -dc '0-9' <"$f")
  [ -n "$p" ] && pids="$pids $p"
done
for p in $pids; do gone "$p" || kill "$p" 2>/dev/null; done
if [ -n "$pids" ] && ! wait_gone $pids; then
  for p in $pids; do gone "$p" || kill -9 "$p" 2>/dev/null; done
  wait_gone $pids
fi

# Whatever still refers to WORKDIR was started by start.sh (the directory is
# this run's own mktemp -d), so it can be ended by pid without harming anyone.
tied() {
  python3 - "$WORK" "$$" <<'PY'
import os, sys
work, me = sys.argv[1], sys.argv[2]
mine = {str(os.getpid()), str(os.getppid()), me}
def read(pid, name):
    try:
        with open(f"/proc/{pid}/{name}", "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""
for pid in filter(str.isdigit, os.listdir("/proc")):
    if pid in mine:
        continue
    cmd = read(pid, "cmdline").replace("\0", " ")
    if "stop.sh" in cmd:  # this script's own subshells name WORKDIR too
        continue
    try:
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        cwd = ""
    env = read(pid, "environ").split("\0")
    if (work in cmd or cwd == work or cwd.startswith(work + "/")
            or f"MAIL_CONFIG={work}/postfix/etc" in env):
        print(pid)
PY
}
leftover=$(tied)
# Children of a daemon that has just been told to stop may need a moment.
i=0
while [ -n "$leftover" ] && [ $i -lt 60 ]; do
  sleep 0.05; i=$((i + 1)); leftover=$(tied)
done
[ -z "$leftover" ] && exit 0
for p in $leftover; do
  echo "leftover $p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
  kill -9 "$p" 2>/dev/null
done
exit 1
