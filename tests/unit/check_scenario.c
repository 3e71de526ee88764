/* check_scenario.c — the scenario format: built-in files, errors with their lines,
 * field values, and write-then-read round trips. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mxd/scenario.h"
#include "mxd/steps.h"

static const char *help_dir(void)
{
    const char *h = getenv("MXDOCTOR_HELP");
    return h && *h ? h : "help";
}

/* A minimal valid header, so each malformed case differs in one place only. */
#define HDR "id: t\ndomain: t.lab.test\ntitle.en: T\ntitle.ja: テスト\n"

static int parse(const char *text, mxd_scenario *s, char *err, size_t errlen)
{
    return mxd_scenario_parse(text, strlen(text), "t.scn", s, err, errlen);
}

static const mxd_rr *find_rr(const mxd_scn_zone *z, const char *name, uint16_t type, size_t nth)
{
    for (size_t i = 0; i < z->nrrs; i++)
        if (z->rrs[i].type == type && strcmp(z->rrs[i].name, name) == 0 && nth-- == 0)
            return &z->rrs[i];
    return NULL;
}

/* ------------------------------------------------------------ built-in files */

/* tests/integration/t_scenarios.sh reads "expect:" with sed, one line, ids split
 * by spaces: built-in files keep that simple form (the parser allows more). */
static void assert_expect_on_one_line(const mxd_scenario *s)
{
    FILE *f = fopen(s->path, "r");
    ck_assert_ptr_nonnull(f);
    char line[4096];
    int found = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "expect:", 7) == 0) {
            found++;
            size_t k = 0;
            for (char *save = NULL, *t = strtok_r(line + 7, " \t\n", &save); t;
                 t = strtok_r(NULL, " \t\n", &save), k++) {
                ck_assert_msg(k < s->nexpect, "%s: expect line has extra ids", s->path);
                ck_assert_str_eq(t, s->expect[k]);
            }
            ck_assert_msg(k == s->nexpect, "%s: expect continues past its line", s->path);
        }
    fclose(f);
    ck_assert_msg(found == 1, "%s: %d expect lines", s->path, found);
}

START_TEST(test_builtin_all_parse)
{
    mxd_scenario *list;
    size_t nfailed = 99;
    char err[512];
    size_t n = mxd_scenario_list_checked(help_dir(), &list, &nfailed, err, sizeof err);
    ck_assert_msg(nfailed == 0, "a built-in scenario does not parse: %s", err);
    ck_assert_uint_ge(n, 17);
    for (size_t i = 0; i < n; i++) {
        const mxd_scenario *s = &list[i];
        for (int l = 0; l < MXD_LANG_COUNT; l++) {
            ck_assert_msg(s->title[l] && *s->title[l], "%s: title", s->path);
            ck_assert_msg(s->question[l] && *s->question[l], "%s: question", s->path);
            ck_assert_msg(s->hint[l] && *s->hint[l], "%s: hint", s->path);
            ck_assert_msg(s->answer[l] && *s->answer[l], "%s: answer", s->path);
        }
        ck_assert_msg(s->nexpect > 0, "%s: no expect", s->path);
        assert_expect_on_one_line(s);
        ck_assert_msg(strcmp(s->level, "beginner") == 0 || strcmp(s->level, "advanced") == 0,
                      "%s: level", s->path);
        ck_assert_msg(strlen(s->domain) > 9 &&
                          strcmp(s->domain + strlen(s->domain) - 9, ".lab.test") == 0,
                      "%s: domain %s is not under lab.test", s->path, s->domain);
        for (size_t k = 0; k < s->nsmtp; k++)
            ck_assert_msg(strncmp(s->smtp[k].addr, "127.0.53.", 9) == 0,
                          "%s: smtp %s outside 127.0.53.0/24", s->path, s->smtp[k].addr);
        /* The list is sorted by file name. */
        if (i > 0)
            ck_assert_str_lt(list[i - 1].path, s->path);
    }
    for (size_t i = 0; i < n; i++)
        mxd_scenario_free(&list[i]);
    free(list);
}
END_TEST

/* The scenarios the workshop brief asks for exist, with the lesson's key finding. */
START_TEST(test_builtin_cover_lessons)
{
    static const struct { const char *id, *finding; } want[] = {
        { "healthy", "smtp.ok" },
        { "implicit-mx", "mx.none_implicit" },
        { "no-mx-no-address", "mx.none_no_address" },
        { "nxdomain", "mx.nxdomain" },
        { "null-mx", "mx.null" },
        { "null-mx-mixed", "mx.null_mixed" },
        { "cname", "target.cname" },
        { "ip-literal", "target.ip_literal" },
        { "missing-dot", "target.no_address" },
        { "private-address", "target.private" },
        { "primary-down", "smtp.primary_down" },
        { "all-down", "smtp.all_down" },
        { "priority-inverted", "smtp.ok" },
        { "no-starttls", "smtp.no_starttls" },
        { "cert-expired", "smtp.cert_expired" },
        { "cert-wrong-name", "smtp.cert_name_mismatch" },
        { "cert-self-signed", "smtp.cert_untrusted" },
        { "greeting-554", "smtp.greeting_reject" },
        { "many-mx", "mx.found" },
        { "starttls-injection", "smtp.starttls_injection" },
        { "connection-closed", "smtp.closed" },
        { "not-smtp", "smtp.protocol_error" },
        { "tls-garbage", "smtp.tls_failed" },
        { "op25b", "smtp.port25_blocked_suspected" },
        { "mx-dns-down", "target.dns_error" },
        { "hostile-split", "smtp.ok" },
        { "hostile-tarpit", "smtp.timeout" },
        { "hostile-longline", "smtp.protocol_error" },
        { "hostile-endless", "smtp.protocol_error" },
        { "hostile-bytes", "smtp.ok" },
        { "hostile-escapes", "smtp.ok" },
        { "hostile-bidi", "smtp.ok" },
        { "hostile-reset", "smtp.closed" },
        { "hostile-noread", "smtp.timeout" },
    };
    mxd_scenario *list;
    size_t n = mxd_scenario_list(help_dir(), &list);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const mxd_scenario *s = mxd_scenario_find(list, n, want[i].id);
        ck_assert_msg(s != NULL, "no scenario %s", want[i].id);
        bool found = false;
        for (size_t k = 0; k < s->nexpect; k++)
            found |= strcmp(s->expect[k], want[i].finding) == 0;
        ck_assert_msg(found, "%s does not expect %s", want[i].id, want[i].finding);
    }
    /* many-mx: thirty MX records, so the answer needs TCP. */
    const mxd_scenario *m = mxd_scenario_find(list, n, "many-mx");
    size_t nmx = 0;
    for (size_t z = 0; z < m->nzones; z++)
        for (size_t k = 0; k < m->zones[z].nrrs; k++)
            nmx += m->zones[z].rrs[k].type == MXD_T_MX;
    ck_assert_uint_eq(nmx, 30);
    for (size_t i = 0; i < n; i++)
        mxd_scenario_free(&list[i]);
    free(list);
}
END_TEST

/* Every finding id of the steps mx, target and smtp is shown by some built-in
 * scenario, except the one that cannot happen on loopback (help/scenarios/
 * README.md says why). (Other steps' ids, e.g. the bounce decoder's, are not
 * about a diagnosed domain.) */
START_TEST(test_builtin_cover_every_finding)
{
    mxd_scenario *list;
    size_t n = mxd_scenario_list(help_dir(), &list);
    for (size_t d = 0; d < mxd_nfinding_defs; d++) {
        const char *id = mxd_finding_defs[d].id, *step = mxd_finding_defs[d].step;
        if (strcmp(step, "mx") != 0 && strcmp(step, "target") != 0 && strcmp(step, "smtp") != 0)
            continue;
        bool found = false;
        for (size_t i = 0; i < n && !found; i++)
            for (size_t k = 0; k < list[i].nexpect && !found; k++)
                found = strcmp(list[i].expect[k], id) == 0;
        if (strcmp(id, "smtp.unreachable") == 0)
            ck_assert_msg(!found, "smtp.unreachable is shown now: update the README's table");
        else
            ck_assert_msg(found, "no built-in scenario shows %s", id);
    }
    for (size_t i = 0; i < n; i++)
        mxd_scenario_free(&list[i]);
    free(list);
}
END_TEST

/* ------------------------------------------------------------ malformed texts */

static const struct bad {
    const char *text;
    int line;
    const char *what;
} bad_cases[] = {
    { "id: t\nfoo: bar\n", 2, "unknown key 'foo'" },
    { "domain: t.lab.test\ntitle.en: T\ntitle.ja: T\n[zone lab.test]\n", 1, "missing 'id:'" },
    { "id: t\ntitle.en: T\ntitle.ja: T\n[zone lab.test]\n", 1, "missing 'domain:'" },
    { "id: t\ndomain: t.lab.test\ntitle.en: T\n[zone lab.test]\n", 1, "missing 'title.ja:'" },
    { HDR "[zone lab.test]\nt.lab.test. abc IN MX 10 mx.lab.test.\n", 6, "unknown record type 'abc'" },
    { HDR "[zone lab.test]\nt.lab.test. 99x IN MX 10 mx.lab.test.\n", 6, "bad TTL '99x'" },
    { HDR "[zone lab.test]\nt.lab.test. 3600 IN MX 10 mx.lab.test.\nt 60 IN WKS 1\n", 7,
      "unknown record type 'WKS'" },
    { HDR "[zone lab.test]\nmx.lab.test. IN A 300.1.2.3\n", 6, "bad IPv4 address '300.1.2.3'" },
    { HDR "[zone lab.test]\n\n@ IN MX 70000 mx.lab.test.\n", 7, "bad MX preference '70000'" },
    { HDR "[zone lab.test]\nmx.example.com. IN A 127.0.53.1\n", 6, "outside this zone's origin" },
    { HDR "[zone lab.test]\n[smtp 127.0.53.1]\nname: a.lab.test\n[smtp 127.0.53.1]\n", 8,
      "duplicate section" },
    { HDR "[zone lab.test]\n[zone lab.test.]\n", 6, "duplicate section" },
    { HDR "[zone lab.test]\n[smtp 127.0.53.1]\nname: a.lab.test\nbehaviour: down\n", 8,
      "unknown behaviour 'down'" },
    { HDR "[zone lab.test]\n[smtp 10.0.0.1]\n", 6, "outside 127.0.0.0/8" },
    { HDR "[zone lab.test]\n[auth 192.168.1.1]\n", 6, "outside 127.0.0.0/8" },
    { HDR "[zone lab.test]\nt IN TXT \"v=spf1 -all\n", 6, "unterminated quote" },
    { HDR "title.ja: \xff\xfe\n", 5, "invalid UTF-8" },
    { HDR "hint.en: bell\a\n", 5, "control character U+0007" },
    { HDR "[zone lab.test]\n[smtp 127.0.53.1]\nname: a.lab.test\ncert: rotten\n", 8,
      "unknown cert 'rotten'" },
    { HDR "[zone lab.test]\n[smtp 127.0.53.1]\nname: a.lab.test\ncolour: red\n", 8,
      "unknown key 'colour' in [smtp]" },
    { HDR "[zone lab.test]\n[auth 127.0.54.1]\nmode: sleepy\n", 7, "unknown mode 'sleepy'" },
    { HDR "[zone lab.test]\n[smtp 127.0.53.1]\nname: a.lab.test\ndelay: soon\n", 8, "bad delay" },
    { HDR "[zone lab.test]\n[smtp 127.0.53.9]\n", 6, "has no 'name:'" },
    { HDR "[zone example.org]\n", 2, "not inside any [zone]" },
    { HDR "expect: mx.found mx.fonud\n", 5, "unknown finding id 'mx.fonud'" },
    { HDR "expect: mx.found\n  mx.found\n", 6, "listed twice" },
    { HDR "[zone lab.test]\nt IN MX 10\n", 6, "MX record needs" },
    { HDR "[zone lab.test]\nt IN A 127.0.0.1 127.0.0.2\n", 6, "too many fields for A" },
    { HDR "[zone lab.test]\nt IN MX 10 mx..lab.test.\n", 6, "empty label" },
    { HDR "[zone lab.test]\nt IN MX 10 mx\xc3\xa9.lab.test.\n", 6, "xn--" },
    { HDR "[zone lab.test]\n@ IN SOA ns1 host ( 1 2 3\n 4 5\n", 6, "'(' without ')'" },
    { HDR "[zone lab.test]\nwww CH A 127.0.0.1\n", 6, "class IN only" },
    { HDR "[zone lab.test]\nt IN A 127.0.0.1\nt IN A 127.0.0.1\n", 7, "written twice" },
    { HDR "[zone lab.test]\nsub IN SOA a b 1 2 3 4 5\n", 6, "belongs at the zone's origin" },
    { HDR "[bogus]\n", 5, "unknown section [bogus]" },
    { HDR "[zone lab.test]\ntitle.en: late\n", 6, "looks like a header key" },
    { HDR "level: expert\n", 5, "unknown level 'expert'" },
    { "id: t\n  stray continuation\n", 2, "indented line" },
    { HDR "id: again\n", 5, "'id' is given twice" },
    { HDR "title: no language\n", 5, "say which language" },
    { HDR "[zone lab.test server 127.0.54.9]\n", 5, "no [auth 127.0.54.9] section" },
    { HDR "[zone lab.test]\n$ORIGIN foo.\n", 6, "unknown directive '$ORIGIN'" },
    { HDR "[zone lab.test]\n  IN A 127.0.0.1\n", 6, "no record above gives its owner" },
    { "\n\nid: t\ndomain: bad_domain!\n", 4, "bad domain" },
    /* the delivery step's settings */
    { HDR "[zone lab.test]\n[smtp 127.0.53.1]\nname: a.lab.test\nrcpt: picky\n", 8,
      "unknown rcpt 'picky' (use accept, reject-unknown, greylist)" },
    { HDR "[zone lab.test]\n[smtp 127.0.53.1]\nname: a.lab.test\ndata: maybe\n", 8,
      "unknown data 'maybe'" },
    { HDR "[zone lab.test]\n[smtp 127.0.53.1]\nname: a.lab.test\nsubmission: open\n", 8,
      "unknown submission 'open'" },
    { HDR "[zone lab.test]\n[smtp 127.0.53.1]\nname: a.lab.test\nrcpt: reject-unknown\n"
          "users: info <sales>\n", 9, "bad user '<sales>'" },
    { HDR "[zone lab.test]\n[smtp 127.0.53.1]\nname: a.lab.test\nusers: ,\n", 8,
      "lists no local part" },
    { HDR "[zone lab.test]\n[smtp 127.0.53.1]\nname: a.lab.test\nusers: info\n", 6,
      "only matters with 'rcpt: reject-unknown'" },
    { HDR "[zone lab.test]\n[smtp 127.0.53.1]\nname: a.lab.test\nrcpt: reject-unknown\n"
          "users: a b c d e f g h i j k l m n o p q\n", 9, "too many users" },
    { HDR "[zone lab.test]\n[smtp 127.0.53.1]\nname: a.lab.test\nrcpt: greylist\nrcpt: accept\n",
      9, "'rcpt' is given twice" },
    { HDR "question.en: text\n\xe2\x80\xae reversed\n", 6, "bidirectional control" },
    { HDR "[zone lab.test]\n) \n", 6, "')' without '('" },
    { HDR "[zone lab.test]\nt 2147483648 IN A 127.0.0.1\n", 6, "bad TTL '2147483648'" },
};

START_TEST(test_malformed)
{
    const struct bad *b = &bad_cases[_i];
    mxd_scenario s;
    char err[512], want[64];
    memset(&s, 0x55, sizeof s); /* the parser must clear it on failure */
    ck_assert_int_eq(parse(b->text, &s, err, sizeof err), -1);
    snprintf(want, sizeof want, "t.scn:%d: ", b->line);
    ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "case %d: wanted line %d, got \"%s\"",
                  _i, b->line, err);
    ck_assert_msg(strstr(err, b->what) != NULL, "case %d: wanted \"%s\" in \"%s\"", _i, b->what,
                  err);
    ck_assert_ptr_null(s.zones);
    ck_assert_ptr_null(s.smtp);
    ck_assert_ptr_null(s.title[0]);
    mxd_scenario_free(&s); /* safe on an emptied scenario */
}
END_TEST

/* ------------------------------------------------------------ field values */

static const char rich[] =
    "\xEF\xBB\xBF# a BOM, CRLF line ends and every kind of record\r\n"
    "id: rich-1\r\n"
    "level: advanced\r\n"
    "domain: Rich.Lab.Test.\r\n"
    "title.en: Rich\r\n"
    "title.ja: 豊富\r\n"
    "question.en: first line\r\n"
    "  continues here\r\n"
    "\r\n"
    "  new paragraph\\nand a break \\\\ backslash C:\\dir\r\n"
    "question.ja: 一行目\r\n"
    "  続き\r\n"
    "hint.en:\r\n"
    "  starts on the next line\r\n"
    "expect: mx.found, target.ok\r\n"
    "  smtp.ok\r\n"
    "\r\n"
    "[zone lab.test]\r\n"
    "$TTL 1h\r\n"
    "rich            IN MX 10 mx1.rich     ; relative names\r\n"
    "                   MX 0 .\r\n"
    "mx1.rich        A 127.0.53.10\r\n"
    "mx1.rich 2d IN  AAAA 2001:db8::25\r\n"
    "@               NS ns1\r\n"
    "alias.rich      CNAME mx1.rich.lab.test.\r\n"
    "rich IN 1w30s   TXT \"v=spf1 \" \"-all\" \"q\\\"\\\\\\065\"\r\n"
    "10.53.0.127.in-addr.arpa.lab.test. PTR mx1.rich\r\n"
    "@ SOA ns1 hostmaster (\r\n"
    "      2024010101 ; serial\r\n"
    "      3600 600 1w 300 )\r\n"
    "\r\n"
    "[auth 127.0.54.1]\r\n"
    "mode: lame\r\n"
    "\r\n"
    "[zone lab.test server 127.0.54.1]\r\n"
    "rich MX 20 old.rich\r\n"
    "\r\n"
    "[smtp 127.0.53.10]\r\n"
    "behavior: TARPIT\r\n"
    "cert: expired\r\n"
    "delay: 250ms\r\n";

START_TEST(test_fields)
{
    mxd_scenario s;
    char err[512];
    ck_assert_msg(mxd_scenario_parse(rich, sizeof rich - 1, "rich.scn", &s, err, sizeof err) == 0,
                  "%s", err);
    ck_assert_str_eq(s.id, "rich-1");
    ck_assert_str_eq(s.level, "advanced");
    ck_assert_str_eq(s.domain, "rich.lab.test");
    ck_assert_str_eq(s.title[MXD_LANG_JA], "豊富");
    ck_assert_str_eq(s.question[MXD_LANG_EN],
                     "first line continues here\nnew paragraph\nand a break \\ backslash C:\\dir");
    ck_assert_str_eq(s.question[MXD_LANG_JA], "一行目続き");
    ck_assert_str_eq(s.hint[MXD_LANG_EN], "starts on the next line");
    ck_assert_ptr_null(s.answer[MXD_LANG_EN]);
    ck_assert_uint_eq(s.nexpect, 3);
    ck_assert_str_eq(s.expect[0], "mx.found");
    ck_assert_str_eq(s.expect[2], "smtp.ok");

    ck_assert_uint_eq(s.nzones, 1);
    const mxd_scn_zone *z = &s.zones[0];
    ck_assert_str_eq(z->origin, "lab.test");
    ck_assert_int_eq(z->line, 18);
    const mxd_rr *r = find_rr(z, "rich.lab.test", MXD_T_MX, 0);
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(r->u.mx.pref, 10);
    ck_assert_str_eq(r->u.mx.host, "mx1.rich.lab.test");
    ck_assert_uint_eq(r->ttl, 3600);
    r = find_rr(z, "rich.lab.test", MXD_T_MX, 1); /* indented: same owner */
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(r->u.mx.pref, 0);
    ck_assert_str_eq(r->u.mx.host, ".");
    r = find_rr(z, "mx1.rich.lab.test", MXD_T_A, 0);
    ck_assert_ptr_nonnull(r);
    ck_assert_mem_eq(r->u.a, "\x7f\x00\x35\x0a", 4);
    ck_assert_uint_eq(r->data_len, 4);
    r = find_rr(z, "mx1.rich.lab.test", MXD_T_AAAA, 0);
    ck_assert_uint_eq(r->ttl, 2 * 86400);
    ck_assert_uint_eq(r->u.aaaa[0], 0x20);
    ck_assert_uint_eq(r->u.aaaa[15], 0x25);
    r = find_rr(z, "lab.test", MXD_T_NS, 0);
    ck_assert_str_eq(r->u.target, "ns1.lab.test");
    ck_assert_ptr_null(find_rr(z, "lab.test", MXD_T_NS, 1)); /* not synthesised again */
    r = find_rr(z, "alias.rich.lab.test", MXD_T_CNAME, 0);
    ck_assert_str_eq(r->u.target, "mx1.rich.lab.test");
    r = find_rr(z, "rich.lab.test", MXD_T_TXT, 0);
    ck_assert_uint_eq(r->ttl, 604830);
    ck_assert_uint_eq(r->data_len, 15);
    ck_assert_mem_eq(r->data, "v=spf1 -allq\"\\A", 16); /* includes the terminating NUL */
    ck_assert_uint_eq(r->txt_strings, 3);
    r = find_rr(z, "10.53.0.127.in-addr.arpa.lab.test", MXD_T_PTR, 0);
    ck_assert_str_eq(r->u.target, "mx1.rich.lab.test");
    r = find_rr(z, "lab.test", MXD_T_SOA, 0);
    ck_assert_str_eq(r->u.soa.mname, "ns1.lab.test");
    ck_assert_str_eq(r->u.soa.rname, "hostmaster.lab.test");
    ck_assert_uint_eq(r->u.soa.serial, 2024010101u);
    ck_assert_uint_eq(r->u.soa.expire, 604800);
    ck_assert_uint_eq(r->u.soa.minimum, 300);
    ck_assert_uint_eq(z->nrrs, 9);

    ck_assert_uint_eq(s.nauth, 1);
    ck_assert_str_eq(s.auth[0].addr, "127.0.54.1");
    ck_assert_int_eq(s.auth[0].mode, MXD_AUTH_LAME);
    ck_assert_int_eq(s.auth[0].line, 32);
    ck_assert_uint_eq(s.auth[0].nzones, 1);
    r = find_rr(&s.auth[0].zones[0], "rich.lab.test", MXD_T_MX, 0);
    ck_assert_str_eq(r->u.mx.host, "old.rich.lab.test");
    /* the private view got its own SOA and NS */
    ck_assert_ptr_nonnull(find_rr(&s.auth[0].zones[0], "lab.test", MXD_T_SOA, 0));
    ck_assert_ptr_nonnull(find_rr(&s.auth[0].zones[0], "lab.test", MXD_T_NS, 0));

    ck_assert_uint_eq(s.nsmtp, 1);
    ck_assert_str_eq(s.smtp[0].addr, "127.0.53.10");
    ck_assert_str_eq(s.smtp[0].name, "mx1.rich.lab.test"); /* from the A record */
    ck_assert_int_eq(s.smtp[0].behaviour, MXD_SMTPB_TARPIT);
    ck_assert_int_eq(s.smtp[0].cert, MXD_CERT_EXPIRED);
    ck_assert_uint_eq(s.smtp[0].delay_ms, 250);
    ck_assert_int_eq(s.smtp[0].line, 38);
    mxd_scenario_free(&s);
}
END_TEST

START_TEST(test_defaults_and_synthesis)
{
    mxd_scenario s;
    char err[512];
    ck_assert_msg(parse(HDR "[zone t.lab.test]\n@ MX 10 mx\nmx A 127.0.53.1\n"
                            "[smtp 127.0.53.1]\n", &s, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(s.level, "beginner");
    ck_assert_uint_eq(s.nauth, 0);
    const mxd_scn_zone *z = &s.zones[0];
    ck_assert_uint_eq(z->nrrs, 4);
    const mxd_rr *soa = find_rr(z, "t.lab.test", MXD_T_SOA, 0);
    ck_assert_ptr_nonnull(soa);
    ck_assert_str_eq(soa->u.soa.mname, "ns1.t.lab.test");
    ck_assert_uint_eq(soa->u.soa.serial, 1);
    ck_assert_str_eq(find_rr(z, "t.lab.test", MXD_T_NS, 0)->u.target, "ns1.t.lab.test");
    ck_assert_int_eq(s.smtp[0].behaviour, MXD_SMTPB_OK);
    ck_assert_int_eq(s.smtp[0].cert, MXD_CERT_GOOD);
    ck_assert_str_eq(s.smtp[0].name, "mx.t.lab.test");
    mxd_scenario_free(&s);
}
END_TEST

static void round_trip(const mxd_scenario *s);

/* The delivery step's server settings: recipient checks, DATA, submission. */
START_TEST(test_delivery_settings)
{
    mxd_scenario s;
    char err[512];
    ck_assert_msg(parse(HDR "[zone t.lab.test]\n@ MX 10 mx\nmx A 127.0.53.1\nmx2 A 127.0.53.2\n"
                            "[smtp 127.0.53.1]\nrcpt: Reject-Unknown\nusers: info, sales first.last\n"
                            "data: accept\nsubmission: ok\n"
                            "[smtp 127.0.53.2]\nrcpt: greylist\nsubmission: filtered\n",
                        &s, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(s.smtp[0].rcpt, MXD_RCPT_REJECT_UNKNOWN);
    ck_assert_uint_eq(s.smtp[0].nusers, 3);
    ck_assert_str_eq(s.smtp[0].users[0], "info");
    ck_assert_str_eq(s.smtp[0].users[2], "first.last");
    ck_assert_int_eq(s.smtp[0].data, MXD_DATA_ACCEPT);
    ck_assert_int_eq(s.smtp[0].submission, MXD_SUBMISSION_OK);
    ck_assert_int_eq(s.smtp[1].rcpt, MXD_RCPT_GREYLIST);
    ck_assert_int_eq(s.smtp[1].data, MXD_DATA_REFUSE);
    ck_assert_int_eq(s.smtp[1].submission, MXD_SUBMISSION_FILTERED);
    ck_assert_str_eq(mxd_rcpt_mode_name(MXD_RCPT_REJECT_UNKNOWN), "reject-unknown");
    ck_assert_str_eq(mxd_data_mode_name(MXD_DATA_ACCEPT), "accept");
    ck_assert_str_eq(mxd_submission_mode_name(MXD_SUBMISSION_NONE), "none");
    char *text = mxd_scenario_format(&s);
    ck_assert_ptr_nonnull(strstr(text, "rcpt: reject-unknown\nusers: info sales first.last\n"
                                       "data: accept\nsubmission: ok\n"));
    free(text);
    round_trip(&s);
    mxd_scenario_free(&s);
    /* Defaults: every recipient accepted, DATA refused, no submission port */
    ck_assert(parse(HDR "[zone t.lab.test]\nmx A 127.0.53.1\n[smtp 127.0.53.1]\n", &s, err,
                    sizeof err) == 0);
    ck_assert_int_eq(s.smtp[0].rcpt, MXD_RCPT_ACCEPT);
    ck_assert_int_eq(s.smtp[0].data, MXD_DATA_REFUSE);
    ck_assert_int_eq(s.smtp[0].submission, MXD_SUBMISSION_NONE);
    text = mxd_scenario_format(&s);
    ck_assert_ptr_null(strstr(text, "rcpt:")); /* older files keep reading the same */
    free(text);
    mxd_scenario_free(&s);
}
END_TEST

/* ------------------------------------------------------------ round trips */

static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static void assert_same_zone(const mxd_scn_zone *a, const mxd_scn_zone *b)
{
    ck_assert_str_eq(a->origin, b->origin);
    ck_assert_uint_eq(a->nrrs, b->nrrs);
    for (size_t i = 0; i < a->nrrs; i++) {
        const mxd_rr *x = &a->rrs[i], *y = &b->rrs[i];
        ck_assert_str_eq(x->name, y->name);
        ck_assert_uint_eq(x->type, y->type);
        ck_assert_uint_eq(x->rclass, y->rclass);
        ck_assert_uint_eq(x->ttl, y->ttl);
        ck_assert_uint_eq(x->data_len, y->data_len);
        if (x->data_len)
            ck_assert_mem_eq(x->data, y->data, x->data_len);
        ck_assert_msg(memcmp(x->u.a, y->u.a, 4) == 0 && memcmp(x->u.aaaa, y->u.aaaa, 16) == 0 &&
                      x->u.mx.pref == y->u.mx.pref && same_str(x->u.mx.host, y->u.mx.host) &&
                      same_str(x->u.target, y->u.target) &&
                      same_str(x->u.soa.mname, y->u.soa.mname) &&
                      same_str(x->u.soa.rname, y->u.soa.rname) &&
                      x->u.soa.serial == y->u.soa.serial && x->u.soa.refresh == y->u.soa.refresh &&
                      x->u.soa.retry == y->u.soa.retry && x->u.soa.expire == y->u.soa.expire &&
                      x->u.soa.minimum == y->u.soa.minimum,
                      "record %zu of %s differs", i, a->origin);
    }
}

static void assert_same(const mxd_scenario *a, const mxd_scenario *b)
{
    ck_assert_str_eq(a->id, b->id);
    ck_assert_str_eq(a->level, b->level);
    ck_assert_str_eq(a->domain, b->domain);
    for (int l = 0; l < MXD_LANG_COUNT; l++) {
        char *const *fa[] = { a->title, a->question, a->hint, a->answer };
        char *const *fb[] = { b->title, b->question, b->hint, b->answer };
        for (int f = 0; f < 4; f++) {
            if (!fa[f][l])
                ck_assert_ptr_null(fb[f][l]);
            else
                ck_assert_str_eq(fa[f][l], fb[f][l]);
        }
    }
    ck_assert_uint_eq(a->nexpect, b->nexpect);
    for (size_t i = 0; i < a->nexpect; i++)
        ck_assert_str_eq(a->expect[i], b->expect[i]);
    ck_assert_uint_eq(a->nzones, b->nzones);
    for (size_t i = 0; i < a->nzones; i++)
        assert_same_zone(&a->zones[i], &b->zones[i]);
    ck_assert_uint_eq(a->nauth, b->nauth);
    for (size_t i = 0; i < a->nauth; i++) {
        ck_assert_str_eq(a->auth[i].addr, b->auth[i].addr);
        ck_assert_int_eq(a->auth[i].mode, b->auth[i].mode);
        ck_assert_uint_eq(a->auth[i].nzones, b->auth[i].nzones);
        for (size_t k = 0; k < a->auth[i].nzones; k++)
            assert_same_zone(&a->auth[i].zones[k], &b->auth[i].zones[k]);
    }
    ck_assert_uint_eq(a->nsmtp, b->nsmtp);
    for (size_t i = 0; i < a->nsmtp; i++) {
        ck_assert_str_eq(a->smtp[i].addr, b->smtp[i].addr);
        ck_assert_str_eq(a->smtp[i].name, b->smtp[i].name);
        ck_assert_int_eq(a->smtp[i].behaviour, b->smtp[i].behaviour);
        ck_assert_int_eq(a->smtp[i].cert, b->smtp[i].cert);
        ck_assert_uint_eq(a->smtp[i].delay_ms, b->smtp[i].delay_ms);
        ck_assert_int_eq(a->smtp[i].rcpt, b->smtp[i].rcpt);
        ck_assert_uint_eq(a->smtp[i].nusers, b->smtp[i].nusers);
        for (size_t k = 0; k < a->smtp[i].nusers; k++)
            ck_assert_str_eq(a->smtp[i].users[k], b->smtp[i].users[k]);
        ck_assert_int_eq(a->smtp[i].data, b->smtp[i].data);
        ck_assert_int_eq(a->smtp[i].submission, b->smtp[i].submission);
    }
}

static void round_trip(const mxd_scenario *s)
{
    char *text = mxd_scenario_format(s);
    ck_assert_ptr_nonnull(text);
    mxd_scenario again;
    char err[512];
    ck_assert_msg(parse(text, &again, err, sizeof err) == 0, "%s\n--- written:\n%s", err, text);
    assert_same(s, &again);
    /* and writing it again gives the same text */
    char *text2 = mxd_scenario_format(&again);
    ck_assert_str_eq(text, text2);
    free(text);
    free(text2);
    mxd_scenario_free(&again);
}

START_TEST(test_round_trip_builtin)
{
    mxd_scenario *list;
    size_t n = mxd_scenario_list(help_dir(), &list);
    ck_assert_uint_ge(n, 17);
    for (size_t i = 0; i < n; i++) {
        round_trip(&list[i]);
        mxd_scenario_free(&list[i]);
    }
    free(list);
}
END_TEST

START_TEST(test_round_trip_rich)
{
    mxd_scenario s;
    char err[512];
    ck_assert_msg(mxd_scenario_parse(rich, sizeof rich - 1, "rich.scn", &s, err, sizeof err) == 0,
                  "%s", err);
    round_trip(&s);
    mxd_scenario_free(&s);

    /* TXT bytes that need escapes, and one longer than a character-string. */
    char text[2048];
    char big[400];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    snprintf(text, sizeof text, HDR "[zone lab.test]\nt TXT \"\\000\\255\\009tab\" \"%s\"\n", big);
    ck_assert_msg(parse(text, &s, err, sizeof err) == 0, "%s", err);
    const mxd_rr *r = find_rr(&s.zones[0], "t.lab.test", MXD_T_TXT, 0);
    ck_assert_uint_eq(r->data_len, 6 + sizeof big - 1);
    ck_assert_mem_eq(r->data, "\0\xff\ttab", 6);
    round_trip(&s);
    mxd_scenario_free(&s);
}
END_TEST

/* ------------------------------------------------------------ files and folders */

static char tmpdir[256];

static void write_file(const char *name, const char *text, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, len, f), len);
    fclose(f);
}

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/mxd-scn-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    char sub[300];
    snprintf(sub, sizeof sub, "%s/scenarios", tmpdir);
    ck_assert_int_eq(mkdir(sub, 0700), 0);
}

static void rm_tmpdir(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_load_limits)
{
    make_tmpdir();
    mxd_scenario s;
    char err[512], path[512];
    /* one byte over the cap: refused before parsing */
    size_t big = MXD_SCENARIO_MAX_BYTES + 1;
    char *text = malloc(big);
    memset(text, '#', big);
    write_file("big.scn", text, big);
    free(text);
    snprintf(path, sizeof path, "%s/big.scn", tmpdir);
    ck_assert_int_eq(mxd_scenario_load(path, &s, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "larger than"));
    /* missing file */
    snprintf(path, sizeof path, "%s/none.scn", tmpdir);
    ck_assert_int_eq(mxd_scenario_load(path, &s, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "No such file"));
    /* a good file keeps its path */
    static const char good[] = HDR "[zone lab.test]\n";
    write_file("good.scn", good, sizeof good - 1);
    snprintf(path, sizeof path, "%s/good.scn", tmpdir);
    ck_assert_msg(mxd_scenario_load(path, &s, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(s.path, path);
    mxd_scenario_free(&s);
    rm_tmpdir();
}
END_TEST

START_TEST(test_list_skips_bad_and_duplicates)
{
    make_tmpdir();
    static const char a[] = "id: a\ndomain: a.lab.test\ntitle.en: A\ntitle.ja: A\n[zone lab.test]\n";
    static const char b[] = "id: b\ndomain: b.lab.test\ntitle.en: B\ntitle.ja: B\n[zone lab.test]\n";
    static const char broken[] = "id: c\nwhat: is this\n";
    write_file("scenarios/20-b.scn", b, sizeof b - 1);
    write_file("scenarios/10-a.scn", a, sizeof a - 1);
    write_file("scenarios/15-broken.scn", broken, sizeof broken - 1);
    write_file("scenarios/30-a-again.scn", a, sizeof a - 1);
    write_file("scenarios/notes.txt", "x", 1);
    mxd_scenario *list;
    size_t nfailed;
    char err[512];
    size_t n = mxd_scenario_list_checked(tmpdir, &list, &nfailed, err, sizeof err);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(nfailed, 2);
    ck_assert_str_eq(list[0].id, "a");
    ck_assert_str_eq(list[1].id, "b");
    ck_assert_msg(strstr(err, "15-broken.scn:2: unknown key 'what'") != NULL, "%s", err);
    ck_assert_ptr_null(mxd_scenario_find(list, n, "c"));
    ck_assert_ptr_eq(mxd_scenario_find(list, n, "b"), &list[1]);
    for (size_t i = 0; i < n; i++)
        mxd_scenario_free(&list[i]);
    free(list);
    /* no folder at all */
    ck_assert_uint_eq(mxd_scenario_list("/nonexistent-mxd", &list), 0);
    ck_assert_ptr_null(list);
    rm_tmpdir();
}
END_TEST

START_TEST(test_names)
{
    ck_assert_str_eq(mxd_smtp_behaviour_name(MXD_SMTPB_NO_STARTTLS), "no-starttls");
    ck_assert_str_eq(mxd_smtp_behaviour_name(MXD_SMTPB_GREET_554), "greet554");
    ck_assert_str_eq(mxd_cert_kind_name(MXD_CERT_SELF_SIGNED), "self-signed");
    ck_assert_str_eq(mxd_auth_mode_name(MXD_AUTH_SERVFAIL), "servfail");
    ck_assert_str_eq(mxd_smtp_behaviour_name(MXD_SMTPB_TLS_GARBAGE), "tls-garbage");
    ck_assert_str_eq(mxd_smtp_behaviour_name(MXD_SMTPB_HOSTILE_NOREAD), "hostile-noread");
    /* every behaviour's name parses back to it */
    for (int b = 0; strcmp(mxd_smtp_behaviour_name((mxd_smtp_behaviour)b), "?") != 0; b++) {
        char text[512], err[512];
        snprintf(text, sizeof text, HDR "[zone lab.test]\n[smtp 127.0.53.1]\nname: a.lab.test\n"
                                        "behaviour: %s\n", mxd_smtp_behaviour_name((mxd_smtp_behaviour)b));
        mxd_scenario sc;
        ck_assert_msg(parse(text, &sc, err, sizeof err) == 0, "%s", err);
        ck_assert_int_eq(sc.smtp[0].behaviour, b);
        mxd_scenario_free(&sc);
        ck_assert_int_lt(b, 100);
    }
}
END_TEST

static Suite *scenario_suite(void)
{
    Suite *s = suite_create("scenario");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_builtin_all_parse);
    tcase_add_test(tc, test_builtin_cover_lessons);
    tcase_add_test(tc, test_builtin_cover_every_finding);
    tcase_add_loop_test(tc, test_malformed, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
    tcase_add_test(tc, test_fields);
    tcase_add_test(tc, test_defaults_and_synthesis);
    tcase_add_test(tc, test_delivery_settings);
    tcase_add_test(tc, test_round_trip_builtin);
    tcase_add_test(tc, test_round_trip_rich);
    tcase_add_test(tc, test_load_limits);
    tcase_add_test(tc, test_list_skips_bad_and_duplicates);
    tcase_add_test(tc, test_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(scenario_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
