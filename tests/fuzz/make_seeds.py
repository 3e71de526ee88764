#!/usr/bin/env python3
"""make_seeds.py — (re)writes the seed corpora in tests/fuzz/corpus/<target>/.

Seeds are small, real inputs: the strings and byte arrays of the unit tests'
fixtures (pulled out of tests/unit/*.c by a C string-literal reader), the help
catalog files, the lab scenarios, real DKIM keys made with openssl, and DNS
messages written by the project's own encoder (build-fuzz/gen_dns_seeds, built
by tests/fuzz/fuzz.mk). Run from the repository root:

    make -f tests/fuzz/fuzz.mk build-fuzz/gen_dns_seeds && python3 tests/fuzz/make_seeds.py

It only adds files (named by their content's hash, as libFuzzer names them):
inputs found by fuzzing that were merged into a corpus stay.
"""
import glob
import hashlib
import os
import re
import subprocess
import sys

ROOT = os.getcwd()
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")


def c_literals(path):
    """Every group of adjacent C string literals in a file, decoded to bytes."""
    src = open(path, encoding="utf-8").read()
    # Drop comments so quotes inside them do not count.
    src = re.sub(r"/\*.*?\*/", " ", src, flags=re.S)
    src = re.sub(r"//[^\n]*", " ", src)
    out, i, n = [], 0, len(src)
    cur = None
    while i < n:
        c = src[i]
        if c == "'":  # a character constant: skip it whole
            j = i + 1
            while j < n and src[j] != "'":
                j += 2 if src[j] == "\\" else 1
            i = j + 1
            continue
        if c == '"':
            j, buf = i + 1, bytearray()
            while j < n and src[j] != '"':
                ch = src[j]
                if ch == "\\":
                    e = src[j + 1]
                    j += 2
                    if e in "01234567":
                        k = j - 1
                        while k < n and k < j + 2 and src[k] in "01234567":
                            k += 1
                        buf.append(int(src[j - 1:k], 8) & 0xFF)
                        j = k
                    elif e == "x":
                        k = j
                        while k < n and src[k] in "0123456789abcdefABCDEF":
                            k += 1
                        buf.append(int(src[j:k], 16) & 0xFF)
                        j = k
                    else:
                        buf += {"n": b"\n", "r": b"\r", "t": b"\t", "0": b"\0", "\\": b"\\",
                                '"': b'"', "'": b"'", "a": b"\a", "b": b"\b", "f": b"\f",
                                "v": b"\v", "e": b"\x1b", "?": b"?"}.get(e, e.encode())
                else:
                    buf += ch.encode("utf-8")
                    j += 1
            if cur is None:
                cur = bytearray()
            cur += buf
            i = j + 1
            continue
        if c == "\\" and src[i + 1:i + 2] == "\n":  # a macro's continued line
            i += 2
            continue
        if not c.isspace() and cur is not None:
            out.append(bytes(cur))
            cur = None
        i += 1
    if cur is not None:
        out.append(bytes(cur))
    return out


def byte_arrays(path):
    """The bodies of `static const uint8_t name[] = { 0x.., ... };` fixtures."""
    src = open(path, encoding="utf-8").read()
    src = re.sub(r"/\*.*?\*/", " ", src, flags=re.S)
    for m in re.finditer(r"uint8_t\s+\w+\[\]\s*=\s*\{([^}]*)\}", src):
        vals = [v.strip() for v in m.group(1).split(",") if v.strip()]
        try:
            yield bytes(int(v, 0) & 0xFF for v in vals)
        except ValueError:
            continue


def put(target, data, limit=200):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if len(os.listdir(d)) >= limit:
        return
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def unit(name):
    return os.path.join(ROOT, "tests", "unit", name)


def main():
    # SMTP replies: every literal that starts like a reply, and streams of them.
    for lit in c_literals(unit("check_smtpreply.c")) + c_literals(unit("check_labsmtp.c")):
        if re.match(rb"^[2-5]\d\d[-\s]", lit):
            put("smtpreply", lit)
    for s in [b"220 mx.example.jp ESMTP Postfix\r\n",
              b"250-mx.example.jp\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n"
              b"250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
              b"220 2.0.0 Ready to start TLS\r\n",
              b"554 5.7.1 <unknown[192.0.2.1]>: Client host rejected: Access denied\r\n",
              b"421-4.7.0 Try again later\r\n421 4.7.0 closing connection\r\n",
              b"220 a\x1b]52;c;ZWNobyBoaQ==\x07b\r\n250 ok\r\n",
              b"220 \xe2\x80\xaeevil.example\r\n", b"220 x\x00y\xff\xfe\r\n",
              b"220-first\n220-second\n220 third\n250 next\r\n", b"250\r\n"]:
        put("smtpreply", s)

    # DNS: the codec tests' wire fixtures and answers written by our own encoder.
    for arr in byte_arrays(unit("check_dnswire.c")):
        if len(arr) >= 12:
            put("dnswire", arr)
    gen = os.path.join(ROOT, "build-fuzz", "gen_dns_seeds")
    if os.path.exists(gen):
        out = os.path.join(ROOT, "build-fuzz", "dns-seeds")
        os.makedirs(out, exist_ok=True)
        subprocess.run([gen, out], check=True)
        for f in sorted(glob.glob(os.path.join(out, "*"))):
            put("dnswire", open(f, "rb").read())
    else:
        print("make_seeds: build-fuzz/gen_dns_seeds missing; DNS answers skipped", file=sys.stderr)

    # SPF records (the unit tests and the openspf suite's records), macro strings.
    spf_lits = c_literals(unit("check_spf.c")) + c_literals(unit("check_spf_suite.c"))
    for lit in spf_lits:
        if lit[:6].lower() == b"v=spf1":
            put("spf", lit, limit=300)
    env = b"\0".join([b"strong-bad@email.example.com", b"strong-bad", b"email.example.com",
                      b"email.example.com", b"mx.example.org", b"mx.example.org",
                      b"receiver.example.net"])
    for lit in spf_lits:
        if b"%" in lit and b"\0" not in lit and len(lit) < 300:
            for opt in (0, 1, 2, 4, 8):
                put("spf_macro", bytes([opt]) + lit + b"\0" + env, limit=120)

    # DMARC and DKIM: the policy tests' records, real keys from openssl.
    for lit in c_literals(unit("check_policy.c")):
        if re.match(rb"^\s*v\s*=\s*DMARC1", lit, re.I) or lit.startswith(b";v=DMARC1"):
            put("dmarc", lit)
        if b"p=" in lit and (b"DKIM1" in lit or b"k=" in lit or lit.startswith(b"p=")):
            put("dkim", lit)
    for s in [b"v=DMARC1; p=reject; rua=mailto:dmarc@example.jp!10m,mailto:x@rua.example.net; "
              b"ruf=mailto:f@example.jp; fo=0:1:d:s; rf=afrf; ri=86400; pct=50; adkim=s; aspf=r",
              b"example.co.jp\nv=DMARC1; p=none", b"mail.example.lab.test\nv=DMARC1;p=quarantine"]:
        put("dmarc", s)
    for kind, args in [("rsa1024", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"]),
                       ("rsa2048", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]),
                       ("ed25519", ["genpkey", "-algorithm", "ED25519"])]:
        try:
            key = subprocess.run(["openssl"] + args, check=True, capture_output=True).stdout
            pub = subprocess.run(["openssl", "pkey", "-pubout", "-outform", "DER"], input=key,
                                 check=True, capture_output=True).stdout
        except (OSError, subprocess.CalledProcessError):
            continue
        import base64
        if kind == "ed25519":
            raw = pub[-32:]
            put("dkim", b"v=DKIM1; k=ed25519; p=" + base64.b64encode(raw))
        else:
            b = base64.b64encode(pub)
            split = b" ".join(b[i:i + 60] for i in range(0, len(b), 60))
            put("dkim", b"v=DKIM1; k=rsa; h=sha256; t=y:s; p=" + split)
            put("dkim", b"v=DKIM1; p=" + b)
            pk1 = subprocess.run(["openssl", "rsa", "-pubin", "-inform", "DER", "-RSAPublicKey_out",
                                  "-outform", "DER"], input=pub, capture_output=True).stdout
            if pk1:
                put("dkim", b"k=rsa; p=" + base64.b64encode(pk1))
    put("dkim", b"v=DKIM1; p=")
    put("dkim", b"selector1\nv=DKIM1; k=rsa; p=MIGf")

    # MTA-STS: records and policies from the tests and the lab scenarios' [https] bodies.
    for lit in c_literals(unit("check_mtasts.c")):
        if lit.startswith(b"v=STS") or b"version:" in lit or b"mode:" in lit:
            put("mtasts", lit)
    for scn in sorted(glob.glob(os.path.join(ROOT, "help", "scenarios", "*.scn"))):
        lines = open(scn, "rb").read().split(b"\n")
        body, inb = [], False
        for ln in lines:
            if ln.startswith(b"body:"):
                inb, body = True, [ln[5:].strip()]
            elif inb and ln[:1] in (b" ", b"\t") and ln.strip():
                body.append(ln.strip())
            elif inb:
                put("mtasts", b"\r\n".join(body) + b"\r\n")
                inb = False
    put("mtasts", b"*.example.com\nmx1.example.com\nversion: STSv1\nmode: enforce\nmx: *.example.com\nmax_age: 86400\n")

    # Scenarios: the lab's own files.
    for scn in sorted(glob.glob(os.path.join(ROOT, "help", "scenarios", "*.scn"))):
        put("scenario", open(scn, "rb").read())

    # Catalog: the help files, behind a parameter block (see fuzz_catalog.c).
    params = b"\x04host\0mx1.example.jp\0domain\0\xe4\xbe\x8b\xe3\x81\x88.jp\0" \
             b"ip\x00192.0.2.1\0text\0a\x1b[2J; rm -rf /\0"
    for cat in sorted(glob.glob(os.path.join(ROOT, "help", "*", "*.cat"))):
        put("catalog", params + open(cat, "rb").read())
    put("catalog", b"\x01host\0$(reboot)\0[smtp.x]\ntitle: {host}\nnext: Run:\\n  nslookup -type=mx {host}\\n {host}\n")

    # Input: every literal of the normaliser's tests.
    for lit in c_literals(unit("check_input.c")):
        if 0 < len(lit) < 600:
            put("input", lit, limit=200)

    # Bounces: the decoder's table (whole messages and log lines).
    for lit in c_literals(unit("check_bounce.c")):
        if len(lit) > 40 and (b"\n" in lit or b"status=" in lit or re.search(rb"[245]\d\d", lit)):
            put("bounce", lit, limit=300)

    # MIME: the reader's messages (as bounces too) and its decoders' byte
    # strings, behind an options byte (see fuzz_mime.c).
    # Whole messages first, so that the limit never leaves them out.
    for lit in sorted(c_literals(unit("check_mime.c")), key=len, reverse=True):
        if len(lit) > 200 and re.search(rb"(?i)content-type|content-transfer-encoding", lit):
            put("bounce", lit, limit=300)
        for opt in ((0, 1, 2, 4 * 1 + 3, 4 * 3) if len(lit) > 200 else (0,)):
            put("mime", bytes([opt]) + lit, limit=400)

    # HTTP: responses from the fetch tests, behind an options byte.
    for lit in c_literals(unit("check_https.c")):
        if lit.startswith(b"HTTP/") or re.match(rb"^[0-9a-fA-F]+\r\n", lit):
            for opt in (0, 1, 4 * 3):
                put("http", bytes([opt]) + lit)
    put("http", b"\x00HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"1a\r\nversion: STSv1\r\nmode: test\r\n0\r\n\r\n")
    put("http", b"\x09HTTP/1.0 200 OK\nContent-Type: text/plain; charset=utf-8\nContent-Length: 5\n\nhello")
    put("http", b"\x00HTTP/1.1 301 Moved\r\nLocation: https://evil.example/\r\n\r\n")

    # Sanitiser: remote text as it comes, behind an options byte.
    for lit in c_literals(unit("check_sanitize.c")):
        for opt in (0, 1, 6, 13):
            put("sanitize", bytes([opt]) + lit, limit=120)


if __name__ == "__main__":
    main()
