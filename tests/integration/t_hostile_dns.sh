#!/bin/sh
# t_hostile_dns.sh — hostile DNS answers (issue 8).
#
# tests/fixtures/hostiledns.c (built here with cc, not part of libmxd.a) plays
# the resolver that mxdoctor asks (--resolver) and, for the propagation step,
# the zones' authoritative server (--dns-port). Each case is a domain
# CASE.hostile.test that it answers in its own wrong way: TC on every UDP
# answer (TCP then fine, refused, closed, reset or stalled), 200 MX records, a
# 65000-byte TXT, MX targets with terminal escapes, NUL, C1 and a bidi override
# in their labels, a 20-CNAME chain and a CNAME loop, SERVFAIL, REFUSED, no
# answer at all, decoys from another address, with another id or for another
# question (each followed by the real answer), and an answer cut short.
#
# Every case runs with --report in JSON, text and Markdown, in English and
# Japanese, --no-smtp --timeout 2 (96 runs, one per CPU at a time, 2 to 6;
# 15-25 s). Each run must
#   - exit with the case's status (0..3) and the JSON's exit_status must say so;
#   - end within the run bound (9 * timeout + 1 s) and, as only DNS is asked,
#     within two DNS timeouts plus one second; peak RSS (/usr/bin/time -f %M,
#     else wait4) under 50 MB, except for a binary built with AddressSanitizer;
#   - print nothing hostile, on stdout or stderr: no C0 control but newline,
#     no DEL, no C1 control (U+0080-U+009F), no bidi override or isolate
#     (U+202A-U+202E, U+2066-U+2069); valid UTF-8; JSON that parses;
#   - say what happened: the case's finding ids (JSON), with the case's own
#     facts (parameters, MX list), the catalog titles of those findings (text
#     and Markdown), and the hostile names in their escaped form;
#   - never show a decoy (spoofed.attacker.test, tc-ignored.attacker.test,
#     127.0.66.99): only the real answer may be believed.
# The server's log must show that each misbehaviour really happened, and the
# query ids it received must not be sequential (an id an off-path attacker can
# guess makes the id check worthless).
# With tmux, the wizard is driven over the evil names and the 64 KB TXT: the
# pane shows them escaped and nothing hostile reaches the terminal.
# Wall time, peak RSS and output size of every run are printed.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 is needed to check the output"
command -v cc >/dev/null 2>&1 || skip "cc is needed to build the hostile DNS server"
pkg-config --exists libcares 2>/dev/null || skip "c-ares (pkg-config libcares) is needed for the fixture"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# a binary built outside the tree (BUILD=/tmp/...) finds the texts this way
: "${MXDOCTOR_HELP:=$ROOT/help}"
export MXDOCTOR_HELP
TIMEOUT=2
ADDR=127.0.66.1 SPOOF=127.0.66.2 NOTCP=127.0.66.3

# ---- the fixture, with the project's warnings ----
FEAT=$(pkg-config --cflags ncursesw 2>/dev/null) || FEAT="-D_DEFAULT_SOURCE -D_XOPEN_SOURCE=600"
# shellcheck disable=SC2046,SC2086
cc -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 -Wvla -O1 -g \
   $FEAT $(pkg-config --cflags libcares) -I"$ROOT/include" -o "$TMPD/hostiledns" \
   "$ROOT/tests/fixtures/hostiledns.c" "$ROOT/src/dns/dnswire.c" "$ROOT/src/core/loop.c" \
   $(pkg-config --libs libcares) >"$TMPD/cc.log" 2>&1 || fail "building the fixture: $(cat "$TMPD/cc.log")"

"$TMPD/hostiledns" "$ADDR" "$SPOOF" "$NOTCP" 180 >"$TMPD/h.out" 2>"$TMPD/h.log" &
LAB_PIDS="$LAB_PIDS $!"
i=0
while ! grep -q '^ready ' "$TMPD/h.out" 2>/dev/null; do
  kill -0 $! 2>/dev/null || fail "hostiledns died: $(cat "$TMPD/h.log")"
  i=$((i + 1)); [ $i -gt 250 ] && fail "hostiledns not ready after 5 s"
  sleep 0.02
done
PORT=$(sed -n 's/^ready port=\([0-9]*\).*/\1/p' "$TMPD/h.out")
echo "hostiledns on $ADDR:$PORT (spoofing from $SPOOF, UDP only on $NOTCP)"

cat >"$TMPD/run.py" <<'PY'
# run.py BIN ADDR NOTCP PORT TIMEOUT TMPD HELPDIR LOG
import json, os, re, subprocess, sys, time, glob
BIN, ADDR, NOTCP, PORT, TIMEOUT, TMPD, HELP, LOG = sys.argv[1:9]
TIMEOUT = int(TIMEOUT)
RUN_BOUND_MS = (9 * TIMEOUT + 1) * 1000     # mxd_run_bound_ms()
DNS_BOUND_MS = (2 * TIMEOUT + 1) * 1000     # DNS only: two chained timeouts at most
RSS_LIMIT_KB = 50 * 1024
DECOYS = ["spoofed.attacker.test", "tc-ignored.attacker.test", "127.0.66.99"]

def fparams(j, fid):
    return [f["params"] for s in j["steps"] for f in s["findings"] if f["id"] == fid]

def mx_hosts(j):
    return [m["host"] for m in j["mx"]]

def one_mx(case):
    host = "mx1.%s.hostile.test" % case
    return lambda j: [(m["host"], m["addresses"]) for m in j["mx"]] == [(host, ["127.0.66.25"])]

# Where TCP fails after TC, or the answer cannot be parsed, c-ares 1.18 ends
# the query at once (state "error"); a c-ares that drops what it cannot use
# and waits ends it at the deadline ("timeout"). Either way: dns.error, bounded.
def dns_error(*errors):
    return lambda j: [p["error"] for p in fparams(j, "dns.error")] and \
        all(p["error"] in errors and p["type"] == "MX" for p in fparams(j, "dns.error"))

EVIL = [r"mx\027]52\;c\;eA==\007", r"mx\027[2J\027[H", r"\226\128\174lapyap",
        r"mx\194\155\1551m\000nul", r"mx\027]0\;owned\007\008\127"]
EVIL = [e + ".evil.hostile.test" for e in EVIL]

# case: (resolver, exit statuses, ids that must be there, ids that must not,
#        a test of the JSON, strings the text and Markdown must show,
#        a regexp the server's log must match)
CASES = {
 "tc":       (ADDR, {1}, ["mx.found", "target.ok"], ["dns.error"], one_mx("tc"),
              ["mx1.tc.hostile.test"], r"tcp \S+ id=\d+ MX tc\.hostile\.test: answered"),
 "notcp":    (NOTCP, {3}, ["dns.error"], ["mx.found"], dns_error("error", "timeout"),
              [], r"udp \S+ id=\d+ MX notcp\.hostile\.test: TC"),
 "tc-close": (ADDR, {3}, ["dns.error"], ["mx.found"], dns_error("error", "timeout"),
              [], r"tcp \S+ id=\d+ MX tc-close\.hostile\.test: closed"),
 "tc-reset": (ADDR, {3}, ["dns.error"], ["mx.found"], dns_error("error", "timeout"),
              [], r"tcp \S+ id=\d+ MX tc-reset\.hostile\.test: reset"),
 "tc-stall": (ADDR, {3}, ["dns.error"], ["mx.found"], dns_error("timeout"),
              [], r"tcp \S+ id=\d+ MX tc-stall\.hostile\.test: 65535 bytes announced"),
 "mx200":    (ADDR, {1}, ["mx.found", "target.ok"], ["target.dns_error", "dns.error"],
              lambda j: len(j["mx"]) == 200 and
                  [m["preference"] for m in j["mx"]] == list(range(1, 201)) and
                  all(m["addresses"] == ["127.0.67.%d" % m["preference"]] for m in j["mx"]) and
                  fparams(j, "mx.found")[0]["count"] == "200" and
                  len(fparams(j, "target.ok")) == 200,
              ["mx200.mx200.hostile.test"],
              r"tcp \S+ id=\d+ MX mx200\.hostile\.test: answered"),
 "txt64k":   (ADDR, {2}, ["spf.syntax", "mx.found"], ["spf.ok"],
              lambda j: fparams(j, "spf.syntax")[0]["term"] == r"\x1B]52;c;eA==\x07",
              [r"\x1B]52;c;eA==\x07"], r"tcp \S+ id=\d+ TXT txt64k\.hostile\.test: answered"),
 "evil":     (ADDR, {2}, ["mx.found", "target.ok", "spf.syntax"], ["target.dns_error"],
              lambda j: mx_hosts(j) == EVIL and len(fparams(j, "target.ok")) == 5 and
                  all(len(m["addresses"]) == 1 for m in j["mx"]),
              EVIL + [r"\x1B[2J\x1B]0;pwned\x07"], r"udp \S+ id=\d+ A mx\\027\]52"),
 "cname":    (ADDR, {2}, ["target.cname", "target.no_address", "target.ok"], ["target.dns_error"],
              lambda j: fparams(j, "target.cname")[0] ==
                  {"host": "chain.cname.hostile.test", "cname": "c01.cname.hostile.test"} and
                  [m["addresses"] for m in j["mx"]] == [["127.0.66.26"], []] and
                  fparams(j, "target.no_address")[0]["host"] == "loop.cname.hostile.test",
              ["c01.cname.hostile.test", "loop.cname.hostile.test"],
              r"udp \S+ id=\d+ A loop\.cname\.hostile\.test: answered"),
 "servfail": (ADDR, {3}, ["dns.error"], ["mx.found"], dns_error("servfail"),
              [], r"udp \S+ id=\d+ MX servfail\.hostile\.test: SERVFAIL"),
 "refused":  (ADDR, {3}, ["dns.error"], ["mx.found"], dns_error("refused"),
              [], r"udp \S+ id=\d+ MX refused\.hostile\.test: REFUSED"),
 "silent":   (ADDR, {3}, ["dns.error"], ["mx.found"], dns_error("timeout"),
              [], r"udp \S+ id=\d+ MX silent\.hostile\.test: not answered"),
 "wrongsrc": (ADDR, {1}, ["mx.found", "target.ok"], ["dns.error"], one_mx("wrongsrc"),
              ["mx1.wrongsrc.hostile.test"], r"MX wrongsrc\.hostile\.test: decoy from the spoof"),
 "wrongid":  (ADDR, {1}, ["mx.found", "target.ok"], ["dns.error"], one_mx("wrongid"),
              ["mx1.wrongid.hostile.test"], r"MX wrongid\.hostile\.test: decoy with another id"),
 "wrongq":   (ADDR, {1}, ["mx.found", "target.ok"], ["dns.error"], one_mx("wrongq"),
              ["mx1.wrongq.hostile.test"], r"MX wrongq\.hostile\.test: decoy for another question"),
 "garbled":  (ADDR, {3}, ["dns.error"], ["mx.found"], dns_error("error", "timeout"),
              [], r"udp \S+ id=\d+ MX garbled\.hostile\.test: garbled"),
}

BAD = [(re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]"), "a C0 control or DEL"),
       (re.compile(rb"\xc2[\x80-\x9f]"), "a C1 control (U+0080-U+009F)"),
       (re.compile(rb"\xe2\x80[\xaa-\xae]"), "a bidi override/embedding (U+202A-U+202E)"),
       (re.compile(rb"\xe2\x81[\xa6-\xa9]"), "a bidi isolate (U+2066-U+2069)")]

BAD_DECODED = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

def hostile_free(path, what, problems):
    data = open(path, "rb").read()
    for r, name in BAD:
        m = r.search(data)
        if m:
            problems.append("%s contains %s at byte %d: %r" %
                            (what, name, m.start(), data[max(0, m.start() - 30):m.start() + 10]))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        problems.append("%s is not valid UTF-8: %s" % (what, e))
        return data.decode("utf-8", "replace")

TITLES = {}
def titles(lang):
    if lang not in TITLES:
        t, key = {}, None
        for f in sorted(glob.glob("%s/%s/*.cat" % (HELP, lang))):
            for line in open(f, encoding="utf-8"):
                line = line.rstrip("\n")
                m = re.match(r"^\[([a-z0-9_.]+)\]$", line)
                if m:
                    key = m.group(1)
                elif key and line.startswith("title:"):
                    t[key] = line[len("title:"):].strip()
        TITLES[lang] = t
    return TITLES[lang]

def strings(v):
    if isinstance(v, str):
        yield v
    elif isinstance(v, dict):
        for x in v.values():
            yield from strings(x)
    elif isinstance(v, list):
        for x in v:
            yield from strings(x)

def run_all(cases, jobs):
    """Every run of every case, jobs at a time; returns {case: [runs]}."""
    todo = [(c, lang, fmt) for c in cases for lang in ("en", "ja")
            for fmt in ("json", "text", "markdown")]
    live, done = {}, {c: [] for c in cases}
    while todo or live:
        while todo and len(live) < jobs:
            case, lang, fmt = todo.pop(0)
            base = "%s/%s.%s.%s" % (TMPD, case, lang, fmt)
            out, err = open(base, "wb"), open(base + ".err", "wb")
            t0 = time.monotonic()
            cmd = [BIN, "--report", "--format", fmt, "--lang", lang,
                                  "--resolver", "%s:%s" % (CASES[case][0], PORT),
                                  "--dns-port", PORT, "--allow-private", "--loopback-only",
                                  "--no-smtp", "--timeout", str(TIMEOUT), "%s.hostile.test" % case]
            if GNU_TIME:
                cmd = [GNU_TIME, "-f", "%M", "-o", base + ".rss"] + cmd
            p = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
            out.close(); err.close()
            live[p.pid] = dict(p=p, case=case, lang=lang, fmt=fmt, base=base, t0=t0)
        pid, status, ru = os.wait4(-1, 0)
        r = live.pop(pid, None)
        if r is None:
            continue
        r["ms"] = int((time.monotonic() - r["t0"]) * 1000)
        r["rc"] = os.waitstatus_to_exitcode(status)
        r["p"].returncode = r["rc"]
        # wait4's figure starts from this Python process (a child's peak RSS
        # keeps the size it had when forked): an upper bound. GNU time forks
        # from a small process, so its %M is mxdoctor's own.
        r["kb"] = ru.ru_maxrss
        if GNU_TIME:
            try:
                r["kb"] = int(open(r["base"] + ".rss").read().split()[-1])
            except (OSError, ValueError, IndexError):
                r["kb"] = -1
        done[r["case"]].append(r)
    for c in done:
        done[c].sort(key=lambda r: (r["lang"], r["fmt"]))
    return done

def check_case(case, runs, log):
    _, exits, want, unwanted, jtest, shown, logre = CASES[case]
    problems = []
    if not re.search(logre, log):
        problems.append("the server's log never shows the behaviour (%s)" % logre)
    js = {}
    for r in runs:
        if r["fmt"] == "json":
            try:
                js[r["lang"]] = json.load(open(r["base"], encoding="utf-8"))
            except Exception as e:
                problems.append("%s json: does not parse: %s" % (r["lang"], e))
    for r in runs:
        what = "%s %s" % (r["lang"], r["fmt"])
        p = []
        if r["rc"] not in exits:
            p.append("exit status %d, expected %s" % (r["rc"], sorted(exits)))
        if r["ms"] >= RUN_BOUND_MS:
            p.append("took %d ms (run bound %d ms)" % (r["ms"], RUN_BOUND_MS))
        elif r["ms"] >= DNS_BOUND_MS:
            p.append("took %d ms (two DNS timeouts and a second: %d ms)" % (r["ms"], DNS_BOUND_MS))
        if r["kb"] < 0:
            p.append("no peak RSS figure from %s" % GNU_TIME)
        elif r["kb"] >= RSS_LIMIT_KB and not SANITIZED:
            p.append("peak RSS %d kB (limit %d kB)" % (r["kb"], RSS_LIMIT_KB))
        text = hostile_free(r["base"], "stdout", p)
        err = hostile_free(r["base"] + ".err", "stderr", p)
        if err.strip():
            p.append("stderr is not empty: %r" % err[:200])
        r["bytes"] = len(text.encode())
        j = js.get(r["lang"])
        hay = []
        if j is not None and r["fmt"] == "json":
            ids = {f["id"] for s in j["steps"] for f in s["findings"]}
            missing = [i for i in want if i not in ids]
            extra = [i for i in unwanted if i in ids]
            if missing:
                p.append("findings %s are missing (got %s)" % (missing, sorted(ids)))
            if extra:
                p.append("findings %s should not be there" % extra)
            if j.get("exit_status") != r["rc"]:
                p.append("exit_status %r in the JSON, %d from the process" % (j.get("exit_status"), r["rc"]))
            try:
                ok = jtest(j)
            except Exception as e:
                ok = False
                p.append("the JSON test raised %r" % e)
            if not ok:
                p.append("the JSON does not hold the case's facts: mx=%r dns.error=%r" %
                         ([(m["host"], m["addresses"]) for m in j["mx"]][:6], fparams(j, "dns.error")))
            # "\u001b" is valid JSON, and jq -r would print a real ESC
            for v in strings(j):
                m = BAD_DECODED.search(v)
                if m:
                    p.append("a JSON string holds %r once decoded: %r" % (m.group(0), v[:80]))
                    break
            hay = ["\n".join(strings(j))]
        elif j is not None:
            t = text
            if r["fmt"] == "markdown":
                t = re.sub(r"\\([\\`*_{}\[\]()#+\-.!<>|])", r"\1", t)
            # lines may be wrapped anywhere: joined with spaces, and without (Japanese)
            hay = [t, re.sub(r"\s*\n\s*", " ", t), re.sub(r"\s*\n\s*", "", t)]
            tt = titles(r["lang"])
            for f in [f for s in j["steps"] for f in s["findings"] if f["id"] in want]:
                title = tt.get(f["id"])
                if not title:
                    p.append("no catalog title for %s" % f["id"])
                    continue
                for k, v in f["params"].items():
                    title = title.replace("{%s}" % k, v)
                if not any(title in h for h in hay):
                    p.append("the title of %s is not shown: %r" % (f["id"], title))
                    break
            for s in shown:
                if not any(s in h for h in hay):
                    p.append("%r is not shown" % s)
        for d in DECOYS:
            if d in text:
                p.append("a decoy got through: %r" % d)
        problems += ["%s: %s" % (what, x) for x in p]
    return problems

def sequential_ids(log):
    """Pairs of consecutive questions from one client socket whose ids differ by 1."""
    last, seq, pairs = {}, 0, 0
    for m in re.finditer(r"^udp (\S+) id=(\d+) ", log, re.M):
        src, qid = m.group(1), int(m.group(2))
        if src in last:
            pairs += 1
            seq += (qid - last[src]) % 65536 == 1
        last[src] = qid
    return seq, pairs

def gnu_time():
    t = "/usr/bin/time"
    if os.path.exists(t) and subprocess.call([t, "-f", "%M", "-o", os.devnull, "true"],
                                             stdout=subprocess.DEVNULL,
                                             stderr=subprocess.DEVNULL) == 0:
        return t
    print("note: no GNU time: peak RSS is wait4's, which counts the Python parent too")
    return None

GNU_TIME = gnu_time()
# AddressSanitizer's shadow memory and quarantine (make asan) say nothing
# about mxdoctor's own memory: the figures are printed, the limit not applied.
SANITIZED = b"__asan_init" in open(BIN, "rb").read()
if SANITIZED:
    print("note: %s is built with AddressSanitizer: peak RSS is not held to %d kB" % (BIN, RSS_LIMIT_KB))
# Six at once overflowed the UDP receive queue of an ASan-built mxdoctor on
# two CPUs (mx200: 800 questions at once); one run per CPU did not.
JOBS = min(6, max(2, os.cpu_count() or 2))
failed = 0
t_all = time.monotonic()
ALL = run_all(list(CASES), JOBS)
print("%d runs, %d at a time, in %.1f s" % (sum(len(v) for v in ALL.values()), JOBS,
                                            time.monotonic() - t_all))
print("%-9s %-4s %-8s %4s %8s %8s %8s" % ("case", "lang", "format", "exit", "wall_ms", "peak_kB", "bytes"))
for case in CASES:
    runs = ALL[case]
    problems = check_case(case, runs, open(LOG, encoding="utf-8", errors="replace").read())
    for r in runs:
        print("%-9s %-4s %-8s %4d %8d %8d %8d" %
              (case, r["lang"], r["fmt"], r["rc"], r["ms"], r["kb"], r.get("bytes", -1)))
    try:
        j = json.load(open("%s/%s.en.json" % (TMPD, case), encoding="utf-8"))
        ids = sorted({f["id"] for s in j["steps"] for f in s["findings"]} &
                     set(CASES[case][2] + ["dns.error"]))
        errs = ",".join(p["error"] for p in fparams(j, "dns.error"))
        print("  -> %s%s" % (" ".join(ids), " (error: %s)" % errs if errs else ""))
    except Exception:
        pass
    if problems:
        failed += 1
        print("FAIL: %s" % case)
        for p in problems:
            print("    " + p)
seq, pairs = sequential_ids(open(LOG, encoding="utf-8", errors="replace").read())
print("query ids: %d of %d consecutive questions on one socket had the next id" % (seq, pairs))
if pairs >= 20 and seq * 2 > pairs:
    failed += 1
    print("FAIL: mxdoctor's DNS query ids are sequential: after seeing (or guessing) one,")
    print("    an off-path attacker knows the next, and the id check (case wrongid) no")
    print("    longer protects the answers; ids must be random (src/dns/dnsclient.c)")
sys.exit(1 if failed else 0)
PY

t0=$(date +%s)
python3 "$TMPD/run.py" "$MXD_BIN" "$ADDR" "$NOTCP" "$PORT" "$TIMEOUT" "$TMPD" "$ROOT/help" \
  "$TMPD/h.log"
rc=$?
echo "report runs: $(( $(date +%s) - t0 )) s"

# ---- the wizard, where tmux is there ----
if ! command -v tmux >/dev/null 2>&1; then
  echo "note: tmux not found: the wizard part is not run"
  [ $rc -eq 0 ] || exit 1
  exit 0
fi
WIZ_LIB=1 . "$ROOT/tests/integration/t_wizard_harness.sh"
trap 'wiz_cleanup; cleanup' EXIT

cat >"$WIZ_TMP/raw.py" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read()
problems = []
if not data:
    problems.append("nothing recorded")
try:
    data.decode("utf-8")
except UnicodeDecodeError as e:
    problems.append("not valid UTF-8: %s" % e)
for pat, name in [(rb"\x1b\]", "an OSC sequence (title, clipboard, ...)"),
                  (rb"\x1b[P_^X]", "a DCS/APC/PM/SOS string"), (rb"\x1bc", "a terminal reset"),
                  (rb"\x07", "a BEL"), (rb"\x00", "a NUL"),
                  (rb"\xc2[\x80-\x9f]", "a C1 control"),
                  (rb"\xe2\x80[\xaa-\xae]", "a bidi override"), (rb"\xe2\x81[\xa6-\xa9]", "a bidi isolate")]:
    m = re.search(pat, data)
    if m:
        problems.append("%s at byte %d: %r" % (name, m.start(), data[max(0, m.start() - 20):m.start() + 20]))
# what curses writes: CSI sequences, charset selection, keypad mode, RI
for m in re.finditer(rb"\x1b(\[[0-9;?>=!]*[ -/]*[@-~]|[()][0-9A-Za-z]|[=>M78])?", data):
    if not m.group(1):
        problems.append("unexpected escape %r" % data[m.start():m.start() + 8])
        break
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PY

# wiz_case DOMAIN LANG STEP-KEY TEXT-ON-STEP TEXT-IN-DETAILS
wiz_case() {
  dom=$1 lang=$2 key=$3 step_text=$4 detail_text=$5
  raw="$WIZ_TMP/raw.$dom.$lang"
  : >"$raw"
  t_start=$(date +%s)
  wiz_start 100 30 --lang "$lang" --resolver "$ADDR:$PORT" --dns-port "$PORT" --allow-private \
    --loopback-only --no-smtp --timeout "$TIMEOUT" "$dom"
  wiz_tmux set -g set-clipboard on
  wiz_tmux pipe-pane -o -t w "cat >>'$raw'"
  title0=$(wiz_tmux display -p -t w '#{pane_title}')
  wiz_keys Enter
  wiz_wait "$(wiz_cat "$lang" step.mx title)"
  wiz_keys "$key"
  wiz_wait "$step_text"
  wiz_keys d
  wiz_wait ";; resolvers: $ADDR:$PORT"
  # page down until the text shows; a page that no longer moves is the end
  until wiz_has "$detail_text"; do
    before=$(wiz_cap)
    wiz_keys NPage
    end=$(($(date +%s) + 2))
    while [ "$(wiz_cap)" = "$before" ]; do
      [ "$(date +%s)" -lt "$end" ] || fail "wizard $dom: the details view never shows: $detail_text"
      sleep 0.05
    done
  done
  title1=$(wiz_tmux display -p -t w '#{pane_title}')
  buffers=$(wiz_tmux list-buffers 2>/dev/null)
  wiz_keys Escape
  wiz_keys q
  st=$(wiz_exit_status)
  wiz_tmux pipe-pane -t w
  case $st in 0|1|2|3) ;; *) fail "wizard $dom: exit status $st" ;; esac
  [ "$title0" = "$title1" ] || fail "wizard $dom: the pane title changed: '$title0' -> '$title1'"
  [ -z "$buffers" ] || fail "wizard $dom: a paste buffer appeared (OSC 52 got through): $buffers"
  python3 "$WIZ_TMP/raw.py" "$raw" || fail "wizard $dom: hostile bytes reached the terminal"
  echo "wizard $dom ($lang): ok, exit $st, $(( $(date +%s) - t_start )) s, $(wc -c <"$raw") bytes to the terminal"
  wiz_tmux kill-session -t w 2>/dev/null
}

wiz_case evil.hostile.test en 2 'mx\027]52\;c\;eA==\007.evil.hostile.test' \
  'MX 30 \226\128\174lapyap.evil.hostile.test.'
wiz_case txt64k.hostile.test ja 5 '\x1B]52;c;eA==\x07' '\x1B]52;c;eA==\x07'
[ $rc -eq 0 ]
