#!/usr/bin/env python3
"""bench.py — the measurements behind `make bench` (method: help/BENCHMARKS.md).

Run by bench/run.sh, which installs dig and swaks, builds mxdoctor and picks the
batch command. Everything talks to practice labs on loopback that this script
starts with `mxdoctor --lab-serve` and stops again; nothing leaves 127.0.0.0/8.

Environment (all optional):
  MXD_BIN        the mxdoctor binary (./mxdoctor)
  MXD_BATCH_CMD  the command that takes --batch (MXD_BIN)
  BENCH_REPS     repetitions per timing, median reported (5; the manual
                 routine at most 3)
  BENCH_SEQ      how many of the 1,000 sequential single runs to do (1000);
                 fewer gives a sample, labelled as such in the results
  BENCH_JOBS     --jobs for the batch run (64)
  BENCH_ONLY     parts to run, comma-separated: latency,memory,batch (all)
  BENCH_JSON     where the raw results go (build/bench/results.json)
  BENCH_DOC      the document whose results section is rewritten
                 (help/BENCHMARKS.md); "-" writes nothing
"""
import datetime
import json
import os
import platform
import pty
import re
import select
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MXD = os.environ.get("MXD_BIN", os.path.join(ROOT, "mxdoctor"))
BATCH = os.environ.get("MXD_BATCH_CMD", MXD)
REPS = int(os.environ.get("BENCH_REPS", "5"))
MANUAL_REPS = min(REPS, 3)  # the manual routine takes seconds per run
SEQ_N = int(os.environ.get("BENCH_SEQ", "1000"))
JOBS = int(os.environ.get("BENCH_JOBS", "64"))
ONLY = set(os.environ.get("BENCH_ONLY", "latency,memory,batch").split(","))
DOC = os.environ.get("BENCH_DOC", os.path.join(ROOT, "help", "BENCHMARKS.md"))
LATENCIES = (0, 20, 50)
TIMEOUT_S = 2          # --timeout for mxdoctor and the per-command timeout of the manual routine
BATCH_TIMEOUT_S = 5    # the default --timeout, for the batch and the sequential runs
BATCH_N = 1000
LAB_AUTH_DEFAULT = "127.53.0.1"  # src/lab/lab.c: the one authoritative server without [auth]
TMP = tempfile.mkdtemp(prefix="mxd-bench.")
RESULTS = {}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def sh(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


# ---- the lab ------------------------------------------------------------------

class Lab:
    """`mxdoctor --lab-serve SCENARIO --lab-latency L`, until stop()."""

    def __init__(self, scenario, latency):
        self.p = subprocess.Popen([MXD, "--lab-serve", scenario, "--lab-latency", str(latency)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        line = ""
        while time.monotonic() < deadline:
            r, _, _ = select.select([self.p.stdout], [], [], 0.5)
            if r:
                line = self.p.stdout.readline()
                break
            if self.p.poll() is not None:
                break
        if not line.startswith("ready "):
            self.stop()
            raise SystemExit(f"bench: lab {scenario} did not start: {line!r} {self.p.stderr.read()!r}")
        kv = dict(f.split("=", 1) for f in line.split()[1:])
        self.domain = kv["domain"]
        self.resolver = kv["resolver"]
        self.raddr, self.rport = self.resolver.rsplit(":", 1)
        self.dns_port = kv["dns_port"]
        self.smtp_port = kv["smtp_port"]
        self.ca = kv["ca"]
        self.latency = latency

    def args(self, timeout=TIMEOUT_S):
        return ["--resolver", self.resolver, "--smtp-port", self.smtp_port,
                "--dns-port", self.dns_port, "--allow-private", "--loopback-only",
                "--ca-file", self.ca, "--timeout", str(timeout)]

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


def scenario_path(sid):
    """A built-in id to its file (to read its shape), or a path as it is."""
    if sid.endswith(".scn"):
        return sid
    d = os.path.join(ROOT, "help", "scenarios")
    for f in sorted(os.listdir(d)):
        if f.endswith(".scn"):
            with open(os.path.join(d, f), encoding="utf-8") as fh:
                if re.search(rf"^id:\s*{re.escape(sid)}\s*$", fh.read(), re.M):
                    return os.path.join(d, f)
    raise SystemExit(f"bench: no scenario {sid}")


def smtp_behaviours(path):
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    return re.findall(r"^behaviou?r:\s*(\S+)", text, re.M) or ["ok"]


def mx_truncated(lab, domain):
    """Asks the lab resolver the MX question as the engine does (EDNS, 1232
    bytes) and says whether the answer comes back truncated (TC)."""
    qname = b"".join(bytes([len(p)]) + p.encode() for p in domain.split(".")) + b"\0"
    q = struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 1) + qname + struct.pack(">HH", 15, 1)
    q += b"\0" + struct.pack(">HHIH", 41, 1232, 0, 0)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    try:
        s.sendto(q, (lab.raddr, int(lab.rport)))
        data, _ = s.recvfrom(65535)
    finally:
        s.close()
    return bool(struct.unpack(">H", data[2:4])[0] & 0x0200)


def lower_bound_ms(latency, behaviours, truncated):
    """The longest chain of dependent round trips in the engine's plan
    (src/engine/engine.c), with the lab's latency L per DNS answer and per SMTP
    reply. Every answer of a cold lab resolver costs 2L (it asks the
    authoritative server, which waits L, then answers, waiting L); a truncated
    UDP answer is asked again over TCP on both legs: 4L. The chain:
        MX (2L or 4L) -> target A/AAAA (2L) -> SMTP per address
    and per SMTP server: ok = greeting, EHLO, STARTTLS, EHLO, QUIT = 5L (the
    TLS handshake and connect are loopback round trips the lab does not delay);
    blackhole = the greeting never comes: one --timeout. The longest MX wins."""
    L = latency
    dns = (4 if truncated else 2) * L + 2 * L
    per = {"ok": 5 * L, "no-starttls": 3 * L, "blackhole": TIMEOUT_S * 1000, "refuse": 0,
           "greet554": L, "greet421": L, "inject": 5 * L}
    return dns + max(per.get(b, 5 * L) for b in behaviours)


# ---- mxdoctor --report --------------------------------------------------------

def run_report(lab, domain, fmt="json"):
    t0 = time.perf_counter()
    p = sh([MXD, "--report", "--format", fmt, domain] + lab.args())
    wall = (time.perf_counter() - t0) * 1000
    j = json.loads(p.stdout) if fmt == "json" else None
    return wall, j, p.returncode


# ---- the manual routine -------------------------------------------------------

def dig(server, port, *args):
    p = sh(["dig", f"@{server}", "-p", str(port), "+time=%d" % TIMEOUT_S, "+tries=1"] + list(args))
    return p.stdout


def manual_routine(lab, domain, mx_hosts_hint=None):
    """What a careful helpdesk person types, one command after the other.
    Returns (total ms, ms spent on the checks mxdoctor also does, commands)."""
    R, P = lab.raddr, lab.rport
    phases = {"mx": 0.0, "targets": 0.0, "ns_soa": 0.0, "txt": 0.0, "smtp": 0.0}
    ncmd = 0

    def timed(phase, fn, *a):
        nonlocal ncmd
        t0 = time.perf_counter()
        r = fn(*a)
        phases[phase] += (time.perf_counter() - t0) * 1000
        ncmd += 1
        return r

    out = timed("mx", dig, R, P, "+short", "MX", domain)
    mx = sorted((int(l.split()[0]), l.split()[1].rstrip(".")) for l in out.splitlines() if l.strip())
    addrs = []
    for _, host in mx:
        a = timed("targets", dig, R, P, "+short", "A", host)
        timed("targets", dig, R, P, "+short", "AAAA", host)
        addrs += [(host, x) for x in a.split() if re.match(r"^\d+\.\d+\.\d+\.\d+$", x)]
    out = timed("ns_soa", dig, R, P, "+noall", "+answer", "+authority", "NS", domain)
    ns = [l.split()[4].rstrip(".") for l in out.splitlines() if "\tNS\t" in l or " NS " in l]
    if not ns:  # the domain is not a zone apex: ask its zone (the SOA owner)
        soa = [l.split()[0].rstrip(".") for l in out.splitlines() if "SOA" in l]
        if soa:
            out = timed("ns_soa", dig, R, P, "+short", "NS", soa[0])
            ns = [l.rstrip(".") for l in out.split()]
    auth = []
    for n in ns:
        a = timed("ns_soa", dig, R, P, "+short", "A", n).split()
        auth += [x for x in a if re.match(r"^\d+\.\d+\.\d+\.\d+$", x)]
    if not auth:  # lab name servers have no address records; the lab's own is known
        auth = [LAB_AUTH_DEFAULT]
    for a in auth:
        timed("ns_soa", dig, a, lab.dns_port, "+norec", "+noall", "+answer", "+authority", "SOA", domain)
        timed("ns_soa", dig, a, lab.dns_port, "+norec", "+short", "MX", domain)
    timed("txt", dig, R, P, "+short", "TXT", domain)
    timed("txt", dig, R, P, "+short", "TXT", "_dmarc." + domain)
    for host, a in addrs:
        if shutil.which("swaks"):
            timed("smtp", sh, ["swaks", "--server", a, "--port", lab.smtp_port, "--tls",
                               "--quit-after", "HELO", "--to", "postmaster@" + domain,
                               "--ehlo", "helpdesk.invalid", "--timeout", str(TIMEOUT_S)])
        else:
            timed("smtp", sh, ["timeout", str(TIMEOUT_S), "openssl", "s_client", "-starttls",
                               "smtp", "-connect", f"{a}:{lab.smtp_port}", "-servername", host],
                  stdin=subprocess.DEVNULL)
    total = sum(phases.values())
    same = phases["mx"] + phases["targets"] + phases["smtp"]
    return total, same, ncmd


# ---- pieces -------------------------------------------------------------------

def median(xs):
    return statistics.median(xs) if xs else float("nan")


def peak_rss_kb(cmd, env=None):
    p = sh(["/usr/bin/time", "-f", "%M %e"] + cmd, env=env)
    last = p.stderr.strip().splitlines()[-1].split()
    return int(last[0]), float(last[1]), p


def first_byte_report(lab, domain):
    """Time from spawn to the first byte of a text report on a pipe."""
    t0 = time.perf_counter()
    p = subprocess.Popen([MXD, "--report", domain] + lab.args(), stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    os.read(p.stdout.fileno(), 1)
    first = (time.perf_counter() - t0) * 1000
    p.stdout.read()
    p.wait()
    return first, (time.perf_counter() - t0) * 1000


def first_frame(lab, domain):
    """Spawns the wizard on a pseudo-terminal (80x24, TERM=xterm-256color) and
    returns ms to its first output byte and to the first screen that shows the
    domain (the first drawn frame)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.environ["LANG"] = "C.UTF-8"
        try:
            os.execv(MXD, [MXD, domain] + lab.args())
        finally:
            os._exit(127)
    import fcntl
    import termios
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    t0 = time.perf_counter()
    first = frame = None
    buf = b""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and frame is None:
        r, _, _ = select.select([fd], [], [], 0.2)
        if not r:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        now = (time.perf_counter() - t0) * 1000
        if first is None:
            first = now
        buf += chunk
        if domain.encode() in buf:
            frame = now
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    os.close(fd)
    return first, frame


# ---- the benchmark --------------------------------------------------------------

def bench_latency_matrix():
    bh = os.path.join(TMP, "blackhole.scn")
    with open(bh, "w") as f:
        f.write(sh([sys.executable, os.path.join(ROOT, "bench", "genscn.py"), "blackhole", "3"]).stdout)
    cases = [("healthy", "healthy"), ("many-mx", "many-mx"), ("all-blackhole", bh)]
    rows = []
    for L in LATENCIES:
        for name, scn in cases:
            beh = smtp_behaviours(scenario_path(scn))
            walls, elapsed, manual, manual_same = [], [], [], []
            trunc = False
            ncmd = 0
            for _ in range(REPS):
                lab = Lab(scn, L)
                try:
                    w, j, _ = run_report(lab, lab.domain)
                    walls.append(w)
                    elapsed.append(j["elapsed_ms"])
                    trunc = mx_truncated(lab, lab.domain)
                finally:
                    lab.stop()
            for _ in range(MANUAL_REPS):
                lab = Lab(scn, L)  # a cold cache for the person too
                try:
                    t, same, ncmd = manual_routine(lab, lab.domain)
                    manual.append(t)
                    manual_same.append(same)
                finally:
                    lab.stop()
            bound = lower_bound_ms(L, beh, trunc)
            row = {"latency_ms": L, "case": name, "wall_ms": median(walls),
                   "diagnosis_ms": median(elapsed), "bound_ms": bound, "truncated_mx": trunc,
                   "manual_ms": median(manual), "manual_same_checks_ms": median(manual_same),
                   "manual_commands": ncmd, "walls": walls, "manuals": manual}
            row["ratio_bound"] = row["wall_ms"] / bound if bound else None
            row["ratio_bound_diag"] = row["diagnosis_ms"] / bound if bound else None
            row["speedup"] = row["manual_ms"] / row["wall_ms"]
            row["speedup_same"] = row["manual_same_checks_ms"] / row["wall_ms"]
            rows.append(row)
            log(f"  L={L:>2} {name:<14} wall {row['wall_ms']:.0f} ms (diagnosis {row['diagnosis_ms']:.0f}),"
                f" bound {bound} ms, manual {row['manual_ms']:.0f} ms ({ncmd} commands)")
    RESULTS["latency"] = rows


def bench_memory_and_first():
    many = os.path.join(TMP, "many200.scn")
    with open(many, "w") as f:
        f.write(sh([sys.executable, os.path.join(ROOT, "bench", "genscn.py"), "many", "200"]).stdout)
    out = {}
    cases = [("healthy", "healthy", {}), ("200-MX", many, {})]
    if os.path.exists(SYSTEM_BUNDLE):
        cases.append(("healthy, SSL_CERT_FILE", "healthy", {"SSL_CERT_FILE": SYSTEM_BUNDLE}))
    for name, scn, extra in cases:
        lab = Lab(scn, 0)
        try:
            rss, secs = [], []
            for _ in range(REPS):
                kb, s, p = peak_rss_kb([MXD, "--report", "--format", "json", lab.domain] + lab.args(),
                                       env=dict(os.environ, **extra))
                rss.append(kb)
                secs.append(s)
            out[name] = {"rss_kb": max(rss), "wall_s": median(secs),
                         "verdict": json.loads(p.stdout)["verdict"]}
        finally:
            lab.stop()
        log(f"  peak RSS {name}: {out[name]['rss_kb']} KB")
    RESULTS["rss"] = out
    first = {}
    for L in (0, 50):
        fb, ff = [], []
        for _ in range(REPS):
            for out, fn in ((fb, first_byte_report), (ff, first_frame)):
                lab = Lab("healthy", L)  # a cold cache each time, as in the table above
                try:
                    out.append(fn(lab, lab.domain))
                finally:
                    lab.stop()
        first[L] = {"report_first_byte_ms": median([a for a, _ in fb]),
                    "report_total_ms": median([b for _, b in fb]),
                    "wizard_first_byte_ms": median([a for a, _ in ff if a is not None]),
                    "wizard_first_frame_ms": median([b for _, b in ff if b is not None])}
        log(f"  first byte/frame L={L}: {first[L]}")
    RESULTS["first"] = first


def bench_batch():
    scn = os.path.join(TMP, "batch.scn")
    lst = os.path.join(TMP, "domains.txt")
    with open(scn, "w") as f:
        f.write(sh([sys.executable, os.path.join(ROOT, "bench", "genscn.py"), "batch", str(BATCH_N),
                    "--list", lst]).stdout)
    res = {"n": BATCH_N, "jobs": JOBS, "latency_ms": 50}
    lab = Lab(scn, 50)
    try:
        outp = os.path.join(TMP, "batch.jsonl")
        t0 = time.perf_counter()
        with open(lst) as fin, open(outp, "w") as fout:
            p = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", BATCH, "--batch", "-", "--jobs",
                                str(JOBS)] + lab.args(BATCH_TIMEOUT_S), stdin=fin, stdout=fout,
                               stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - t0
        kb, user, system = p.stderr.strip().splitlines()[-1].split()
        lines = [json.loads(l) for l in open(outp)]
        verdicts = {}
        for o in lines:
            verdicts[o.get("verdict", o.get("error"))] = verdicts.get(o.get("verdict", o.get("error")), 0) + 1
        in_order = [o["line"] for o in lines] == list(range(1, BATCH_N + 1))
        res.update({"wall_s": wall, "per_s": BATCH_N / wall, "rss_kb": int(kb), "cpu_s": float(user) + float(system),
                    "exit": p.returncode, "verdicts": verdicts, "in_order": in_order,
                    "p50_diag_ms": median([o.get("elapsed_ms", 0) for o in lines])})
    finally:
        lab.stop()
    log(f"  batch: {res['per_s']:.1f} domains/s ({res['wall_s']:.1f} s), {res['verdicts']}")
    if SEQ_N <= 0:
        res.update({"seq_n": 0})
        RESULTS["batch"] = res
        return
    lab = Lab(scn, 50)
    try:
        doms = [l.strip() for l in open(lst)][:SEQ_N]
        t0 = time.perf_counter()
        bad = 0
        for i, d in enumerate(doms):
            p = sh([MXD, "--report", "--format", "json", d] + lab.args(BATCH_TIMEOUT_S))
            bad += p.returncode != 0
            if (i + 1) % 100 == 0:
                log(f"    sequential {i + 1}/{len(doms)}")
        seq = time.perf_counter() - t0
        res.update({"seq_n": len(doms), "seq_wall_s": seq, "seq_per_s": len(doms) / seq,
                    "seq_nonzero": bad})
    finally:
        lab.stop()
    log(f"  sequential: {res['seq_per_s']:.1f} domains/s ({res['seq_wall_s']:.1f} s for {res['seq_n']})")
    RESULTS["batch"] = res


# ---- the document ---------------------------------------------------------------

def machine():
    cpu = "?"
    try:
        for l in open("/proc/cpuinfo"):
            if l.startswith("model name"):
                cpu = l.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for l in open("/proc/meminfo"):
            if l.startswith("MemTotal"):
                mem = f"{int(l.split()[1]) // 1024} MiB"
    except OSError:
        pass
    deb = open("/etc/debian_version").read().strip() if os.path.exists("/etc/debian_version") else "?"
    ossl = sh(["openssl", "version"]).stdout.strip()
    cares = sh(["pkg-config", "--modversion", "libcares"]).stdout.strip()
    commit = sh(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]).stdout.strip() or "?"
    dirty = sh(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"]).stdout.strip()
    return {"cpu": cpu, "cpus": os.cpu_count(), "load": "%.1f %.1f %.1f" % os.getloadavg(), "memory": mem, "kernel": platform.release(),
            "debian": deb, "openssl": ossl, "c-ares": cares,
            "commit": commit + (" (with uncommitted changes)" if dirty else ""),
            "batch_command": os.path.relpath(BATCH, ROOT) if os.path.isabs(BATCH) else BATCH,
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def fmt_ratio(x):
    return "—" if x is None else f"{x:.2f}×"


def render():
    m = RESULTS["machine"]
    o = []
    o.append(f"Measured {m['date']} on {m['cpu']} ({m['cpus']} CPUs, {m['memory']}), Linux {m['kernel']}, "
             f"Debian {m['debian']}, {m['openssl']}, c-ares {m['c-ares']}; mxdoctor at commit {m['commit']}; "
             f"batch command `{m['batch_command']}`; medians of {REPS} runs of mxdoctor and "
             f"{MANUAL_REPS} of the manual routine. Load average when the bench started: {m['load']}, "
             f"at its end: {RESULTS.get('load_end', '?')} (other work on the machine makes the figures noisier).\n")
    o.append("Reproduce with `make bench` (the same as `sh bench/run.sh`).\n")
    if "latency" in RESULTS:
        render_latency(o)
    if "rss" in RESULTS:
        render_memory(o)
    if "batch" in RESULTS:
        render_batch(o)
    return "\n".join(o)


def render_latency(o):
    o.append("### Wall time of `--report` against the critical-path lower bound, and the manual routine\n")
    o.append("| latency | domain | mxdoctor wall | of which diagnosis | lower bound | wall ÷ bound | diagnosis ÷ bound "
             "| manual routine (commands) | faster by | manual, same checks only | faster by |")
    o.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in RESULTS["latency"]:
        o.append(f"| {r['latency_ms']} ms | {r['case']}{' (TC→TCP)' if r['truncated_mx'] else ''} "
                 f"| {r['wall_ms']:.0f} ms | {r['diagnosis_ms']:.0f} ms | {r['bound_ms']} ms "
                 f"| {fmt_ratio(r['ratio_bound'])} | {fmt_ratio(r['ratio_bound_diag'])} "
                 f"| {r['manual_ms']:.0f} ms ({r['manual_commands']}) | {r['speedup']:.1f}× "
                 f"| {r['manual_same_checks_ms']:.0f} ms | {r['speedup_same']:.1f}× |")
    o.append("")


def render_memory(o):
    rs = RESULTS["rss"]
    o.append("### Memory and first output\n")
    o.append("| measurement | value |")
    o.append("|---|---|")
    def size(kb):
        return f"{kb / 1024:.1f} MiB = {kb * 1024 / 1e6:.1f} MB"
    o.append(f"| peak RSS, `--report` healthy domain | {size(rs['healthy']['rss_kb'])} |")
    o.append(f"| peak RSS, `--report` 200-MX domain ({rs['200-MX']['verdict']}) | {size(rs['200-MX']['rss_kb'])} "
             f"(wall {rs['200-MX']['wall_s']:.2f} s at 0 ms) |")
    if "healthy, SSL_CERT_FILE" in rs:
        o.append(f"| peak RSS, healthy, with `SSL_CERT_FILE={SYSTEM_BUNDLE}` (the whole bundle parsed at start) "
                 f"| {size(rs['healthy, SSL_CERT_FILE']['rss_kb'])} (wall {rs['healthy, SSL_CERT_FILE']['wall_s']:.2f} s) |")
    for L, f in sorted(RESULTS["first"].items()):
        o.append(f"| first byte of the text report, healthy, {L} ms | {f['report_first_byte_ms']:.0f} ms "
                 f"(whole report {f['report_total_ms']:.0f} ms) |")
        o.append(f"| first frame of the wizard, healthy, {L} ms | {f['wizard_first_frame_ms']:.0f} ms "
                 f"(first byte {f['wizard_first_byte_ms']:.0f} ms) |")
    o.append("")


def render_batch(o):
    b = RESULTS["batch"]
    o.append("### Batch\n")
    o.append("| measurement | value |")
    o.append("|---|---|")
    o.append(f"| `--batch` {b['n']} lab domains, `--jobs {b['jobs']}`, 50 ms, `--timeout {BATCH_TIMEOUT_S}` | {b['wall_s']:.1f} s = "
             f"**{b['per_s']:.1f} domains/s**; CPU {b['cpu_s']:.1f} s; peak RSS {b['rss_kb'] / 1024:.1f} MiB |")
    o.append(f"| its output | {sum(b['verdicts'].values())} lines, in input order: {b['in_order']}, "
             f"verdicts {b['verdicts']}, exit {b['exit']}; median diagnosis {b['p50_diag_ms']:.0f} ms |")
    if b["seq_n"]:
        sample = "" if b["seq_n"] == b["n"] else f" (a sample of {b['seq_n']}; BENCH_SEQ)"
        o.append(f"| sequential single `--report` runs{sample}, same lab and options | "
                 f"{b['seq_wall_s']:.1f} s = {b['seq_per_s']:.2f} domains/s |")
        o.append(f"| batch ÷ sequential | {b['per_s'] / b['seq_per_s']:.1f}× |")
    o.append("")


def write_doc(text):
    if DOC == "-" or not os.path.exists(DOC):
        return
    with open(DOC, encoding="utf-8") as f:
        doc = f.read()
    a, z = "<!-- bench:begin -->", "<!-- bench:end -->"
    if a not in doc or z not in doc:
        log(f"bench: {DOC} has no {a} … {z} section; results not written there")
        return
    head, rest = doc.split(a, 1)
    _, tail = rest.split(z, 1)
    with open(DOC, "w", encoding="utf-8") as f:
        f.write(head + a + "\n" + text + "\n" + z + tail)


# Debian's default trust set-up: OpenSSL looks issuers up in the hashed
# directory when it needs them. With SSL_CERT_FILE set (some shells and
# containers do) it parses the whole bundle at start instead; the memory part
# measures that case separately.
CERT_FILE_ENV = os.environ.pop("SSL_CERT_FILE", None)
os.environ.pop("SSL_CERT_DIR", None)
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def main():
    RESULTS["machine"] = machine()
    RESULTS["ssl_cert_file_in_env"] = CERT_FILE_ENV
    if "latency" in ONLY:
        log("bench: latency matrix")
        bench_latency_matrix()
    if "memory" in ONLY:
        log("bench: memory, first byte, first frame")
        bench_memory_and_first()
    if "batch" in ONLY:
        log("bench: batch")
        bench_batch()
    RESULTS["load_end"] = "%.1f %.1f %.1f" % os.getloadavg()
    text = render()
    os.makedirs(os.path.join(ROOT, "build", "bench"), exist_ok=True)
    with open(os.environ.get("BENCH_JSON", os.path.join(ROOT, "build", "bench", "results.json")), "w") as f:
        json.dump(RESULTS, f, indent=1, default=str)
    write_doc(text)
    print(text)
    shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
