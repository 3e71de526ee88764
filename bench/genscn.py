#!/usr/bin/env python3
"""genscn.py — practice-lab scenarios the benchmark needs and the built-ins lack.

    genscn.py batch N      N domains d0001.bench.test ... with two MX each,
                           spread over four healthy lab SMTP servers
    genscn.py many N       one domain (wide.bench.test) with N MX records, each
                           its own host and its own SMTP server (N <= 250)
    genscn.py blackhole N  one domain (void.bench.test) whose N MX servers all
                           accept the connection and never say anything

The scenario goes to stdout (format: help/scenarios/README.md); load it with
`mxdoctor --lab-serve FILE.scn`. With `batch`, the domain list goes to the
file named by --list (one per line).
"""
import sys


def header(sid, domain, title):
    return (f"id: {sid}\nlevel: advanced\ndomain: {domain}\n"
            f"title.en: {title}\ntitle.ja: ベンチマーク用 {title}\n\n")


def smtp(addr, name, behaviour="ok"):
    return f"[smtp {addr}]\nname: {name}\nbehaviour: {behaviour}\ncert: good\n\n"


def batch(n):
    out = [header("bench-batch", "d0001.bench.test", f"{n} domains for the batch benchmark")]
    out.append("[zone bench.test]\n")
    for k in range(1, 5):
        out.append(f"mx{k}.bench.test. 3600 IN A 127.0.55.{k}\n")
    for i in range(1, n + 1):
        a = (i - 1) % 4 + 1
        b = i % 4 + 1
        out.append(f"d{i:04d}.bench.test. 3600 IN MX 10 mx{a}.bench.test.\n")
        out.append(f"d{i:04d}.bench.test. 3600 IN MX 20 mx{b}.bench.test.\n")
    out.append("\n")
    for k in range(1, 5):
        out.append(smtp(f"127.0.55.{k}", f"mx{k}.bench.test"))
    return "".join(out)


def many(n):
    if not 1 <= n <= 250:
        raise SystemExit("genscn: many: 1..250 MX (one [smtp] section each)")
    out = [header("bench-many", "wide.bench.test", f"{n} MX records")]
    out.append("[zone bench.test]\n")
    for i in range(1, n + 1):
        out.append(f"wide.bench.test. 3600 IN MX {i * 10} mx{i:03d}.wide.bench.test.\n")
    for i in range(1, n + 1):
        out.append(f"mx{i:03d}.wide.bench.test. 3600 IN A 127.0.56.{i}\n")
    out.append("\n")
    for i in range(1, n + 1):
        out.append(smtp(f"127.0.56.{i}", f"mx{i:03d}.wide.bench.test"))
    return "".join(out)


def blackhole(n):
    out = [header("bench-blackhole", "void.bench.test", f"{n} silent mail servers")]
    out.append("[zone bench.test]\n")
    for i in range(1, n + 1):
        out.append(f"void.bench.test. 3600 IN MX {i * 10} mx{i}.void.bench.test.\n")
    for i in range(1, n + 1):
        out.append(f"mx{i}.void.bench.test. 3600 IN A 127.0.57.{i}\n")
    out.append("\n")
    for i in range(1, n + 1):
        out.append(smtp(f"127.0.57.{i}", f"mx{i}.void.bench.test", "blackhole"))
    return "".join(out)


def main(argv):
    if len(argv) < 3:
        raise SystemExit(__doc__)
    kind, n = argv[1], int(argv[2])
    if kind == "batch":
        sys.stdout.write(batch(n))
        if len(argv) >= 5 and argv[3] == "--list":
            with open(argv[4], "w") as f:
                for i in range(1, n + 1):
                    f.write(f"d{i:04d}.bench.test\n")
    elif kind == "many":
        sys.stdout.write(many(n))
    elif kind == "blackhole":
        sys.stdout.write(blackhole(n))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
