#!/bin/sh
# start.sh WORKDIR — starts the real servers that tests/integration/t_realsw.sh
# diagnoses, all on loopback, all configured and kept under WORKDIR:
#
#   127.0.60.1   NSD  "ns1"  authoritative for realsw.test and its child zones
#   127.0.60.2   NSD  "ns2"  the same, except moved.realsw.test (an older copy)
#   127.0.60.53  Unbound     recursive resolver; stub zones point at ns1 and ns2
#   127.0.60.25  Postfix     mx1.realsw.test, STARTTLS with a certificate from a
#                            CA made here (WORKDIR/tls/ca.crt)
#   127.0.60.26  Postfix     mx2.realsw.test, no STARTTLS (same instance)
#
# The DNS servers share one free port, the SMTP listeners another (both picked
# here, above 1024). Each daemon runs in the foreground or writes a pid file;
# their pids are in WORKDIR/pids/*.pid for stop.sh, which the caller must run
# whatever happens (also when this script fails half-way).
#
# Readiness is polled (a DNS answer, an SMTP greeting), with a deadline.
# On success it writes WORKDIR/env (shell assignments: DNS_PORT, SMTP_PORT,
# RESOLVER, CA) and prints one line "ready dns_port=N smtp_port=N". Exit status:
# 0 ready, 77 a server program is missing, 1 anything else (the reason and the
# server's log on stderr).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 1 ] || { echo "usage: $0 WORKDIR" >&2; exit 1; }
WORK=$1
PF=$WORK/postfix
# die works inside the readiness checks too, whose output wait_until discards.
exec 3>&2
die() { echo "realsw: $*" >&3; exit 1; }

# Postfix's master must start as root (it binds, then drops to mail_owner).
[ "$(id -u)" = 0 ] || { echo "realsw: needs root (Postfix's master starts as root)" >&2; exit 77; }
PATH=$PATH:/usr/sbin:/sbin
for prog in nsd nsd-checkconf unbound unbound-checkconf postfix postconf openssl dig python3; do
  command -v "$prog" >/dev/null 2>&1 || { echo "realsw: $prog is not installed (tests/deps.sh installs it)" >&2; exit 77; }
done
id postfix >/dev/null 2>&1 && getent group postdrop >/dev/null 2>&1 ||
  { echo "realsw: the postfix user or the postdrop group is missing (the postfix package makes them)" >&2; exit 77; }

mkdir -p "$WORK/pids" "$WORK/tls" "$WORK/unbound" "$WORK/ns1" "$WORK/ns2" \
  "$PF/etc" "$PF/queue" "$PF/data" "$PF/mail" || exit 1
# Postfix daemons (user postfix) and local delivery (user nobody) need to reach
# their directories; mktemp -d made the top 0700.
chmod 755 "$WORK" "$PF" && chmod 1777 "$PF/mail" && chown postfix "$PF/data" ||
  die "cannot prepare $WORK"

# now_ms: milliseconds for deadlines (GNU date, as on Debian and Ubuntu).
now_ms() { date +%s%3N; }

# One port free for UDP and TCP on every given address, so that all of them can
# share it. Random in 20000..59999; never 5353.
free_port() {
  python3 - "$@" <<'PY'
import random, socket, sys
addrs = sys.argv[1:]
for _ in range(200):
    port = random.randint(20000, 59999)
    if port == 5353:
        continue
    socks = []
    try:
        for a in addrs:
            for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                s = socket.socket(socket.AF_INET, kind)
                socks.append(s)
                s.bind((a, port))
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(port)
    sys.exit(0)
sys.exit(1)
PY
}

DNS_PORT=$(free_port 127.0.60.1 127.0.60.2 127.0.60.53) || die "no free DNS port"
SMTP_PORT=$(free_port 127.0.60.25 127.0.60.26) || die "no free SMTP port"

render() { # render TEMPLATE OUT [NAME ADDR]
  sed -e "s|@WORK@|$WORK|g" -e "s|@PF@|$PF|g" -e "s|@DNS_PORT@|$DNS_PORT|g" \
      -e "s|@SMTP_PORT@|$SMTP_PORT|g" -e "s|@NAME@|${3:-}|g" -e "s|@ADDR@|${4:-}|g" \
      "$1" >"$2" || die "cannot write $2"
}

# ---- certificates: a CA for --ca-file, and mx1's certificate signed by it.
T=$WORK/tls
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$T/ca.key" -out "$T/ca.crt" -days 30 -subj "/O=mxdoctor realsw test/CN=realsw test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  >"$T/openssl.log" 2>&1 || die "openssl (CA): $(cat "$T/openssl.log")"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$T/mx1.key" -out "$T/mx1.csr" -subj "/CN=mx1.realsw.test" \
  >>"$T/openssl.log" 2>&1 || die "openssl (key): $(cat "$T/openssl.log")"
printf '%s\n' "subjectAltName=DNS:mx1.realsw.test" "basicConstraints=CA:FALSE" \
  "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >"$T/mx1.ext"
openssl x509 -req -in "$T/mx1.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial \
  -days 30 -extfile "$T/mx1.ext" -out "$T/mx1.crt" \
  >>"$T/openssl.log" 2>&1 || die "openssl (sign): $(cat "$T/openssl.log")"
chmod 600 "$T/mx1.key" "$T/ca.key"

# ---- NSD x2
Z=$HERE/zones
for n in 1 2; do
  d=$WORK/ns$n
  render "$HERE/nsd.conf.in" "$d/nsd.conf" "ns$n" "127.0.60.$n"
  for z in realsw.test dangling.realsw.test nullmx.realsw.test 60.0.127.in-addr.arpa; do
    cp "$Z/$z.zone" "$d/$z.zone" || die "zone $z"
  done
  cp "$Z/moved.realsw.test.ns$n.zone" "$d/moved.realsw.test.zone" || die "zone moved"
  nsd-checkconf "$d/nsd.conf" >"$d/checkconf.log" 2>&1 || die "nsd-checkconf ns$n: $(cat "$d/checkconf.log")"
  # -d: stay in the foreground, so $! is NSD's own pid.
  nsd -d -c "$d/nsd.conf" >"$d/stdout.log" 2>&1 &
  echo $! >"$WORK/pids/nsd-ns$n.pid"
done

# ---- Unbound (started after NSD answers, so it never caches a failure)
render "$HERE/unbound.conf.in" "$WORK/unbound/unbound.conf"
cp "$HERE/root.hints" "$WORK/unbound/root.hints" || die "root hints"
unbound-checkconf "$WORK/unbound/unbound.conf" >"$WORK/unbound/checkconf.log" 2>&1 ||
  die "unbound-checkconf: $(cat "$WORK/unbound/checkconf.log")"

# ---- Postfix (a separate instance: postfix -c)
for f in main.cf master.cf; do render "$HERE/postfix/$f.in" "$PF/etc/$f"; done
render "$HERE/postfix/transport.in" "$PF/etc/transport"
render "$HERE/postfix/aliases.in" "$PF/etc/aliases"
# "postfix start" runs "postfix check" first; without a terminal Postfix writes
# its complaints only to maillog_file.
postfix -c "$PF/etc" start >"$PF/start.log" 2>&1 || die "postfix start: $(cat "$PF/start.log"; cat "$PF/maillog" 2>/dev/null)"
# postfix start returns once master runs (master -w); master keeps its pid
# (space-padded) under the queue directory.
tr -d ' ' <"$PF/queue/pid/master.pid" >"$WORK/pids/postfix-master.pid" 2>/dev/null ||
  die "Postfix master wrote no pid file: $(cat "$PF/start.log" "$PF/maillog" 2>/dev/null)"

# ---- readiness, with one deadline for everything
deadline=$(( $(now_ms) + 20000 ))
wait_until() { # wait_until WHAT LOG COMMAND...: polls COMMAND until it succeeds
  what=$1; log=$2; shift 2
  while ! "$@" >/dev/null 2>&1; do
    [ "$(now_ms)" -lt "$deadline" ] || die "$what not ready after 20 s: $(tail -n 20 "$log" 2>/dev/null)"
    sleep 0.05
  done
}
alive() { kill -0 "$(cat "$1")" 2>/dev/null; }
dns_ok() { # dns_ok SERVER NAME TYPE FLAGS-WANTED [+norec]
  out=$(dig @"$1" -p "$DNS_PORT" +time=1 +tries=1 ${5:-} "$3" "$2" 2>/dev/null) || return 1
  printf '%s' "$out" | grep -q 'status: NOERROR' && printf '%s' "$out" | grep -q "flags: $4"
}
ns_ready() { alive "$WORK/pids/nsd-ns$1.pid" || die "NSD ns$1 exited: $(cat "$WORK/ns$1/stdout.log" "$WORK/ns$1/nsd.log" 2>/dev/null)"
             dns_ok "127.0.60.$1" realsw.test SOA "qr aa" +norec; }
wait_until "NSD ns1" "$WORK/ns1/nsd.log" ns_ready 1
wait_until "NSD ns2" "$WORK/ns2/nsd.log" ns_ready 2

(cd "$WORK/unbound" && exec unbound -d -c "$WORK/unbound/unbound.conf") >"$WORK/unbound/stdout.log" 2>&1 &
echo $! >"$WORK/pids/unbound.pid"
ub_ready() { alive "$WORK/pids/unbound.pid" || die "Unbound exited: $(cat "$WORK/unbound/stdout.log" "$WORK/unbound/unbound.log" 2>/dev/null)"
             dns_ok 127.0.60.53 realsw.test SOA "qr rd ra"; }
wait_until "Unbound" "$WORK/unbound/unbound.log" ub_ready

smtp_ready() { # a 220 greeting from ADDR
  alive "$WORK/pids/postfix-master.pid" || die "Postfix master exited: $(tail -n 20 "$PF/maillog" 2>/dev/null)"
  python3 - "$1" "$SMTP_PORT" <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1)
f = s.makefile("rb")
line = f.readline()
s.sendall(b"QUIT\r\n")
f.readline()
s.close()
sys.exit(0 if line.startswith(b"220 ") else 1)
PY
}
wait_until "Postfix on 127.0.60.25" "$PF/maillog" smtp_ready 127.0.60.25
wait_until "Postfix on 127.0.60.26" "$PF/maillog" smtp_ready 127.0.60.26

cat >"$WORK/env" <<EOF
DNS_PORT=$DNS_PORT
SMTP_PORT=$SMTP_PORT
RESOLVER=127.0.60.53:$DNS_PORT
CA=$T/ca.crt
POSTFIX_CONFIG=$PF/etc
EOF
echo "ready dns_port=$DNS_PORT smtp_port=$SMTP_PORT"
