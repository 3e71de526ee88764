#!/bin/sh
# t_wizard_speed.sh — how fast the wizard answers, measured on a pseudo-terminal:
# the time from exec to the first frame, and from a key press to the frame that
# shows its effect while the lab's probes are still running (every lab answer
# is delayed 3 s). Prints the figures; fails only when far off the goals
# (first frame 50 ms, a key at the next frame), so a slow CI machine or a
# sanitizer build does not make it flaky.
WIZ_LIB=1 . "$(dirname "$0")/t_wizard_harness.sh"
wiz_need_lab
command -v python3 >/dev/null 2>&1 || skip "python3 is needed for the pty harness"

python3 - "$MXD_BIN" <<'PY'
import fcntl, os, pty, select, statistics, struct, sys, termios, time

binp = sys.argv[1]

def spawn(args):
    t0 = time.monotonic()
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        env = dict(os.environ, TERM="xterm-256color")
        os.execve(binp, [binp] + args, env)
    return pid, fd, t0

def read_until(fd, needle, timeout=10.0):
    buf, end = b"", time.monotonic() + timeout
    while needle not in buf:
        left = end - time.monotonic()
        r, _, _ = select.select([fd], [], [], max(0.0, left))
        if not r:
            raise TimeoutError("timed out waiting for %r" % needle)
        buf += os.read(fd, 65536)  # OSError (EIO) once the program has gone
    return time.monotonic()

def finish(pid, fd):
    try:
        os.write(fd, b"q")
        read_until(fd, b"(y/n)", 2.0)  # still running: confirm
        os.write(fd, b"y")
    except (OSError, TimeoutError):
        pass
    os.waitpid(pid, 0)
    os.close(fd)

firsts = []
for _ in range(5):
    pid, fd, t0 = spawn(["--lang", "en", "--lab-latency", "3000", "--lab", "healthy"])
    firsts.append((read_until(fd, b"healthy domain") - t0) * 1000)
    finish(pid, fd)

pid, fd, t0 = spawn(["--lang", "en", "--lab-latency", "3000", "--lab", "healthy"])
read_until(fd, b"checking")
os.write(fd, b"\r")
read_until(fd, b"Waiting for")
keys = []
for i in range(20):
    want = b"\xe7\x94\xa8\xe8\xaa\x9e\xe9\x9b\x86" if i % 2 == 0 else b"glossary"  # 用語集 / glossary
    t = time.monotonic()
    os.write(fd, b"L")
    keys.append((read_until(fd, want) - t) * 1000)
# every lab answer takes 3 s: all presses above happened while probes ran
during = time.monotonic() - t0 < 3.0
finish(pid, fd)

print("first frame (ms): median %.1f, max %.1f, runs %s" %
      (statistics.median(firsts), max(firsts), ", ".join("%.1f" % x for x in firsts)))
print("key to frame while probes run (ms): median %.1f, max %.1f over %d presses" %
      (statistics.median(keys), max(keys), len(keys)))
if not during:
    sys.exit("the key presses were not measured while probes ran")
if statistics.median(firsts) > 250:
    sys.exit("the first frame is far too slow")
if statistics.median(keys) > 100:
    sys.exit("keys are answered far too slowly")
PY
