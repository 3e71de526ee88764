#!/bin/sh
# t_hostile.sh — hostile SMTP servers (issue 8): every hostile practice-lab
# scenario, run with --report in text, Markdown and JSON, in English and
# Japanese, with --timeout 2. Each run must
#   - exit with 0..3, within the run bound (9 * timeout + 1 s) and in < 50 MB RSS;
#   - print nothing hostile: no ESC, BEL, NUL, no C1 control (U+0080-U+009F as
#     UTF-8), no bidirectional override or isolate (U+202A-U+202E, U+2066-U+2069),
#     only valid UTF-8 (stdout and stderr alike);
#   - say what happened: the JSON has exactly the scenario's expected findings and
#     parses; text and Markdown show the catalog title of each expected finding,
#     and where the server sent something odd, its visible (escaped) form.
# The measured wall time and peak RSS of every run are printed.
. "$(dirname "$0")/lib.sh"
[ -d help/scenarios ] || skip "no help/scenarios"
command -v python3 >/dev/null 2>&1 || skip "python3 is needed to check the output"

TIMEOUT=2
BOUND_MS=$(( (9 * TIMEOUT + 1) * 1000 ))
RSS_LIMIT_KB=$(( 50 * 1024 ))
# AddressSanitizer's shadow memory says nothing about mxdoctor's own memory
# (make asan runs this test too): there the bound is 4x.
if grep -q __asan_init "$MXD_BIN" 2>/dev/null; then
  RSS_LIMIT_KB=$(( 200 * 1024 ))
  echo "note: sanitizer build: peak RSS bound raised to 200 MB"
fi
if [ -x /usr/bin/time ] && /usr/bin/time -f %M -o "$TMPD/t" true 2>/dev/null; then
  TIME=/usr/bin/time
else
  TIME=""
  echo "note: /usr/bin/time (GNU) not found: peak RSS is not measured or asserted"
fi

# scenario id | what shows what the server did, in the JSON | ... in text and
# Markdown (as mxdoctor prints it, escaped); "-" where the findings' titles are
# the whole story.
SCENARIOS='
hostile-split      | -                        | -
hostile-tarpit     | greeting_timeout         | greeting
hostile-longline   | reply too long           | reply too long
hostile-endless    | reply too long           | reply too long
hostile-bytes      | \xFF\xFE                 | \xFF\xFE
hostile-escapes    | \x1B]52;c;               | \x1B]52;c;
hostile-bidi       | <U+202E>                 | <U+202E>
hostile-reset      | Connection reset by peer | reply
hostile-noread     | reply_timeout            | reply
starttls-injection | -                        | -
tls-garbage        | wrong version number     | wrong version number
'

cat >"$TMPD/check.py" <<'PY'
# check.py OUT ERR FORMAT LANG EXPECT EVIDENCE JSONFILE HELPDIR
import json, re, sys, glob
out, err, fmt, lang, expect, evidence, jfile, helpdir = sys.argv[1:9]
expect = set(expect.split())
problems = []

BAD = [(b"\x1b", "ESC"), (b"\x07", "BEL"), (b"\x00", "NUL")]
BAD_RE = [(re.compile(rb"\xc2[\x80-\x9f]"), "a C1 control (U+0080-U+009F)"),
          (re.compile(rb"\xe2\x80[\xaa-\xae]"), "a bidi override/embedding (U+202A-U+202E)"),
          (re.compile(rb"\xe2\x81[\xa6-\xa9]"), "a bidi isolate (U+2066-U+2069)")]

def hostile_free(path, what):
    data = open(path, "rb").read()
    for b, name in BAD:
        if b in data:
            problems.append("%s contains %s at byte %d" % (what, name, data.index(b)))
    for r, name in BAD_RE:
        m = r.search(data)
        if m:
            problems.append("%s contains %s at byte %d" % (what, name, m.start()))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        problems.append("%s is not valid UTF-8: %s" % (what, e))
        return data.decode("utf-8", "replace")

text = hostile_free(out, "stdout")
hostile_free(err, "stderr")

def catalog_titles():
    titles = {}
    for f in sorted(glob.glob("%s/%s/*.cat" % (helpdir, lang))):
        key = None
        for line in open(f, encoding="utf-8"):
            line = line.rstrip("\n")
            m = re.match(r"^\[([a-z0-9_.]+)\]$", line)
            if m:
                key = m.group(1)
            elif key and line.startswith("title:"):
                titles[key] = line[len("title:"):].strip()
    return titles

def strings(v):
    if isinstance(v, str):
        yield v
    elif isinstance(v, dict):
        for x in v.values():
            yield from strings(x)
    elif isinstance(v, list):
        for x in v:
            yield from strings(x)

j = json.load(open(jfile, encoding="utf-8"))
findings = [f for s in j["steps"] for f in s["findings"]]
if fmt == "json":
    ids = {f["id"] for f in findings}
    if ids != expect:
        problems.append("findings %s, expected %s" % (sorted(ids), sorted(expect)))
    hay = ["\n".join(strings(j))]
else:
    if fmt == "markdown":
        text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!<>|])", r"\1", text)
    # a wrapped line may have been cut anywhere: look in the text as printed,
    # with line breaks as spaces, and with line breaks removed (Japanese)
    hay = [text, re.sub(r"\s*\n\s*", " ", text), re.sub(r"\s*\n\s*", "", text)]
    titles = catalog_titles()
    for f in findings:
        if f["id"] not in expect:
            continue
        t = titles.get(f["id"])
        if not t:
            problems.append("no catalog title for %s in %s" % (f["id"], lang))
            continue
        for k, v in f["params"].items():
            t = t.replace("{%s}" % k, v)
        if not any(t in h for h in hay):
            problems.append("the title of %s is not shown: %r" % (f["id"], t))
if evidence != "-" and not any(evidence in h for h in hay):
    problems.append("what the server did is not shown: %r" % evidence)
for p in problems:
    print("  " + p)
sys.exit(1 if problems else 0)
PY


: >"$TMPD/failed"
: >"$TMPD/figures"
trim() { printf '%s' "$1" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//'; }
printf '%-20s %-4s %-9s %4s %8s %9s\n' scenario lang format exit wall_ms peak_kB
echo "$SCENARIOS" | while IFS='|' read -r id ev_json ev_text; do
  id=$(trim "$id"); ev_json=$(trim "$ev_json"); ev_text=$(trim "$ev_text")
  [ -n "$id" ] || continue
  file=$(grep -l -x "id: $id" help/scenarios/*.scn | head -n 1)
  [ -n "$file" ] || { echo "FAIL: no scenario $id"; echo x >>"$TMPD/failed"; continue; }
  expect=$(sed -n 's/^expect:[[:space:]]*//p' "$file" | head -n 1)
  for lang in en ja; do
    for fmt in json text markdown; do
      evidence=$ev_text
      [ $fmt = json ] && evidence=$ev_json
      o="$TMPD/$id.$lang.$fmt"
      t0=$(date +%s%N)
      if [ -n "$TIME" ]; then
        $TIME -f %M -o "$o.rss" "$MXD_BIN" --lab "$id" --report --format "$fmt" --lang "$lang" \
          --timeout "$TIMEOUT" >"$o" 2>"$o.err"
      else
        "$MXD_BIN" --lab "$id" --report --format "$fmt" --lang "$lang" \
          --timeout "$TIMEOUT" >"$o" 2>"$o.err"
      fi
      rc=$?
      t1=$(date +%s%N)
      ms=$(( (t1 - t0) / 1000000 ))
      kb=-
      [ -n "$TIME" ] && kb=$(tail -n 1 "$o.rss")
      printf '%-20s %-4s %-9s %4s %8s %9s\n' "$id" "$lang" "$fmt" "$rc" "$ms" "$kb"
      fails=""
      case $rc in 0|1|2|3) ;; *) fails="$fails exit status $rc;" ;; esac
      [ "$ms" -lt "$BOUND_MS" ] || fails="$fails took $ms ms (bound $BOUND_MS ms);"
      if [ -n "$TIME" ]; then
        case $kb in ''|*[!0-9]*) fails="$fails no RSS figure ($(cat "$o.rss"));" ;;
          *) [ "$kb" -lt "$RSS_LIMIT_KB" ] || fails="$fails peak RSS $kb kB (limit $RSS_LIMIT_KB kB);" ;;
        esac
      fi
      if ! python3 "$TMPD/check.py" "$o" "$o.err" "$fmt" "$lang" "$expect" "$evidence" \
          "$TMPD/$id.$lang.json" help >"$o.check" 2>&1; then
        fails="$fails output:"
      fi
      if [ -n "$fails" ]; then
        echo "FAIL: $id $lang $fmt:$fails"
        cat "$o.check"
        head -c 300 "$o.err"
        # one line per failure, repeated at the end where a runner's tail shows it
        printf 'FAIL: %s %s %s:%s %s\n' "$id" "$lang" "$fmt" "$fails" \
          "$(head -c 200 "$o.check" | tr '\n' ' ')" >>"$TMPD/failed"
      fi
      echo "$ms $kb" >>"$TMPD/figures"
    done
  done
done
n=$(wc -l <"$TMPD/figures" 2>/dev/null || echo 0)
bad=$(wc -l <"$TMPD/failed" 2>/dev/null || echo 0)
max_ms=$(sort -n "$TMPD/figures" | tail -n 1 | cut -d' ' -f1)
max_kb=$(cut -d' ' -f2 "$TMPD/figures" | sort -n | tail -n 1)
echo "$n runs, $bad failed; slowest ${max_ms} ms (bound $BOUND_MS ms), largest ${max_kb} kB peak RSS"
[ "$bad" -eq 0 ] || cat "$TMPD/failed"
[ "$n" -ge 66 ] || fail "only $n runs"
[ "$bad" -eq 0 ]
