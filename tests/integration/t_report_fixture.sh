#!/bin/sh
# The real binary against lab servers started separately (--lab-serve), driven
# only by the public options --resolver, --smtp-port and --allow-private: the
# JSON contract of the design, sender order, exit status, and all three formats
# in both languages.
. "$(dirname "$0")/lib.sh"
start_lab healthy
report_json "$LAB_DOMAIN"
[ "$RC" = 0 ] || fail "healthy: exit $RC: $(cat "$TMPD/report.err")"
json_eval 'all(k in j for k in ["tool","version","domain","domain_ascii","verdict","started_at","elapsed_ms","resolvers","mx","steps"])'
json_eval 'j["tool"] == "mxdoctor" and j["verdict"] == "pass" and j["domain_ascii"] == "healthy.lab.test"'
json_eval '[m["preference"] for m in j["mx"]] == sorted(m["preference"] for m in j["mx"]) and len(j["mx"]) == 2'
json_eval 'all(m["smtp"][0]["greeting_code"] == 220 and m["smtp"][0]["tls"]["ok"] for m in j["mx"])'
json_eval 'all(m["smtp"][0]["certificate"]["trusted"] is True for m in j["mx"])'
json_eval '[s["id"] for s in j["steps"]] == ["mx","target","propagation","smtp","policy","delivery"]'
json_eval 'all(set(f) >= {"id","severity","subject","params"} for s in j["steps"] for f in s["findings"])'
json_eval 'j["resolvers"] == ["'"$LAB_RESOLVER"'"] and isinstance(j["elapsed_ms"], int)'
json_eval '__import__("re").match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", j["started_at"])'
# Without --ca-file the lab CA is not trusted: a warning, not a crash.
"$MXD_BIN" --report --format json --resolver "$LAB_RESOLVER" --smtp-port "$LAB_SMTP_PORT" \
  --allow-private --loopback-only --timeout 2 "$LAB_DOMAIN" >"$TMPD/report.json"
[ $? = 1 ] || fail "untrusted lab CA should be a warning (exit 1)"
json_eval '"smtp.cert_untrusted" in ids and j["verdict"] == "warn"'

# The same run as text and Markdown, English and Japanese.
for lang in en ja; do
  for fmt in text markdown; do
    "$MXD_BIN" --report --format $fmt --lang $lang --resolver "$LAB_RESOLVER" \
      --smtp-port "$LAB_SMTP_PORT" --allow-private --loopback-only --timeout 2 \
      --ca-file "$LAB_CA" "$LAB_DOMAIN" \
      >"$TMPD/r.$lang.$fmt" 2>&1 || [ $? -le 2 ] || fail "$fmt/$lang exit"
    grep -q "mx1.healthy.lab.test" "$TMPD/r.$lang.$fmt" || fail "$fmt/$lang: no MX host"
    if LC_ALL=C grep -q "$(printf '\033')" "$TMPD/r.$lang.$fmt"; then fail "$fmt/$lang: ESC in output"; fi
  done
done
grep -q "MX" "$TMPD/r.ja.text" && grep -q "優先度" "$TMPD/r.ja.text" || fail "ja text is not Japanese"
grep -q "^#" "$TMPD/r.en.markdown" || fail "markdown has no heading"
grep -q "^|" "$TMPD/r.en.markdown" || fail "markdown has no table"

# Primary down, backup working: verdict warn, exit 1, the backup named.
start_lab primary-down
report_json "$LAB_DOMAIN"
[ "$RC" = 1 ] || fail "primary-down: exit $RC"
json_eval '"smtp.primary_down" in ids and "smtp.refused" in ids and j["verdict"] == "warn"'
exit 0
