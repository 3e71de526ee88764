/* check_mtasts.c — MTA-STS: record and policy parsers, MX patterns, the checks,
 * and the sub-run end to end against the lab's DNS and HTTPS servers on loopback.
 *
 * Parsers are fed byte strings (decoded meaning beside each one); the checks get
 * hand-built results; the sub-run talks to a lab authoritative server (which
 * also answers questions with RD set) and lab HTTPS servers in the same loop.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "mxd/checks.h"
#include "mxd/dnsclient.h"
#include "mxd/json.h"
#include "mxd/labcert.h"
#include "mxd/labdns.h"
#include "mxd/labhttps.h"
#include "mxd/mtasts.h"
#include "mxd/scenario.h"
#include "mxd/strbuf.h"

static char err[512];

/* ================================================================ record */

START_TEST(test_record_candidate)
{
    static const struct { const char *t; bool yes; } c[] = {
        { "v=STSv1; id=1", true },
        { "v=STSv1;id=1", true },
        { "v=STSv1", true },          /* meant as one, though invalid (no id) */
        { "v=STSv1 ; id=1", true },
        { "v=STSv10; id=1", false },  /* another version */
        { "V=STSv1; id=1", false },   /* the tag is case-sensitive */
        { " v=STSv1; id=1", false },
        { "v=spf1 -all", false },
        { "", false },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
        ck_assert_msg(mxd_mtasts_record_candidate(c[i].t, strlen(c[i].t)) == c[i].yes, "%s",
                      c[i].t);
}
END_TEST

static int rec(const char *t, mxd_mtasts_record *r)
{
    err[0] = '\0';
    return mxd_mtasts_record_parse(t, strlen(t), r, err, sizeof err);
}

START_TEST(test_record_good)
{
    mxd_mtasts_record r;
    ck_assert_int_eq(rec("v=STSv1; id=20160831085700Z;", &r), 0);
    ck_assert_str_eq(r.id, "20160831085700Z");
    ck_assert_int_eq(rec("v=STSv1;id=abc", &r), 0);
    ck_assert_str_eq(r.id, "abc");
    ck_assert_int_eq(rec("v=STSv1 ;\tid=abc ; ", &r), 0); /* blanks around ';', trailing ';' */
    ck_assert_str_eq(r.id, "abc");
    /* a repeated field keeps its first value; unknown fields are ignored */
    ck_assert_int_eq(rec("v=STSv1; id=first; id=second; ext.name-1=v!al", &r), 0);
    ck_assert_str_eq(r.id, "first");
    /* 32 characters is the longest id */
    ck_assert_int_eq(rec("v=STSv1; id=0123456789abcdef0123456789ABCDEF", &r), 0);
    ck_assert_uint_eq(strlen(r.id), 32);
}
END_TEST

static const struct {
    const char *t;
    const char *word;
} bad_records[] = {
    { "v=STSv1", "no id" },
    { "v=STSv1;", "no id" },
    { "v=STSv1; x=1", "no id" },
    { "v=STSv1; id=", "empty value" },
    { "v=STSv1; id=abc-def", "letters and digits" },
    { "v=STSv1; id=0123456789abcdef0123456789ABCDEFG", "1 to 32" },
    { "v=STSv1 id=1", "expected ';'" },
    { "v=STSv1; id=1 x=2", "expected ';'" },
    { "v=STSv1; id", "no '='" },
    { "v=STSv1; bad name=1", "no '='" },
    { "v=STSv1; _x=1; id=1", "not a valid field name" },
    { "v=STSv1; id=1=2", "not allowed" },
    { "v=STSv2; id=1", "v=STSv1" },
};

START_TEST(test_record_bad)
{
    mxd_mtasts_record r;
    ck_assert_int_eq(rec(bad_records[_i].t, &r), -1);
    ck_assert_msg(strstr(err, bad_records[_i].word), "'%s': '%s' lacks '%s'", bad_records[_i].t,
                  err, bad_records[_i].word);
    ck_assert_str_eq(r.id, "");
}
END_TEST

/* ================================================================ policy */

static int pol(const char *t, mxd_mtasts_policy *p)
{
    err[0] = '\0';
    return mxd_mtasts_policy_parse(t, strlen(t), p, err, sizeof err);
}

START_TEST(test_policy_good_crlf_and_lf)
{
    static const char crlf[] = "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\n"
                               "mx: *.Example.NET\r\nmax_age: 604800\r\n";
    static const char lf[] = "version: STSv1\nmode: enforce\nmx: mx1.example.com\n"
                             "mx: *.Example.NET\nmax_age: 604800"; /* no final line end */
    const char *texts[] = { crlf, lf };
    for (int i = 0; i < 2; i++) {
        mxd_mtasts_policy p;
        ck_assert_msg(pol(texts[i], &p) == 0, "%s", err);
        ck_assert_int_eq(p.mode, MXD_MTASTS_MODE_ENFORCE);
        ck_assert_uint_eq(p.max_age, 604800);
        ck_assert_uint_eq(p.nmx, 2);
        ck_assert_str_eq(p.mx[0], "mx1.example.com");
        ck_assert_str_eq(p.mx[1], "*.example.net"); /* stored lower-case */
        char joined[100];
        mxd_mtasts_patterns_join(&p, joined, sizeof joined);
        ck_assert_str_eq(joined, "mx1.example.com, *.example.net");
        mxd_mtasts_policy_free(&p);
        ck_assert_ptr_null(p.mx);
    }
}
END_TEST

START_TEST(test_policy_tolerated)
{
    mxd_mtasts_policy p;
    /* blank lines, blanks after the colon and at the end, unknown keys, any order */
    ck_assert_msg(pol("\r\nmax_age:86400  \r\nfoo: bar baz\r\n\r\nmx:\tmx.example.com\r\n"
                      "x_y.z-1: anything: here\r\nmode:   testing\r\nversion: STSv1\r\n\r\n",
                      &p) == 0, "%s", err);
    ck_assert_int_eq(p.mode, MXD_MTASTS_MODE_TESTING);
    ck_assert_uint_eq(p.max_age, 86400);
    ck_assert_uint_eq(p.nmx, 1);
    mxd_mtasts_policy_free(&p);

    /* a repeated key other than mx keeps its first value; mx lines add up */
    ck_assert_msg(pol("version: STSv1\nmode: enforce\nmode: testing\nmax_age: 1\nmax_age: 2\n"
                      "mx: a.example\nmx: b.example\n", &p) == 0, "%s", err);
    ck_assert_int_eq(p.mode, MXD_MTASTS_MODE_ENFORCE);
    ck_assert_uint_eq(p.max_age, 1);
    ck_assert_uint_eq(p.nmx, 2);
    mxd_mtasts_policy_free(&p);

    /* mode none needs no mx */
    ck_assert_msg(pol("version: STSv1\nmode: none\nmax_age: 0\n", &p) == 0, "%s", err);
    ck_assert_int_eq(p.mode, MXD_MTASTS_MODE_NONE);
    ck_assert_uint_eq(p.nmx, 0);
    mxd_mtasts_policy_free(&p);
}
END_TEST

START_TEST(test_policy_max_age_bounds)
{
    mxd_mtasts_policy p;
    char t[200];
    static const struct { const char *v; bool ok; } c[] = {
        { "0", true }, { "31557600", true }, { "31557601", false }, { "4294967296", false },
        { "12345678901", false }, { "-1", false }, { "12a", false }, { "1.5", false },
        { "+5", false },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        snprintf(t, sizeof t, "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: %s\n",
                 c[i].v);
        int rc = pol(t, &p);
        ck_assert_msg((rc == 0) == c[i].ok, "max_age %s: %s", c[i].v, err);
        if (!c[i].ok)
            ck_assert_msg(strstr(err, "line 4: max_age"), "%s", err);
        mxd_mtasts_policy_free(&p);
    }
    ck_assert_int_eq(pol("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557600\n", &p), 0);
    ck_assert_uint_eq(p.max_age, 31557600u);
    mxd_mtasts_policy_free(&p);
}
END_TEST

static const struct {
    const char *t;
    const char *word;
} bad_policies[] = {
    { "", "empty" },
    { "\n\n", "empty" },
    { "mode: enforce\nmx: a.example\nmax_age: 1\n", "no version" },
    { "version: STSv1\nmx: a.example\nmax_age: 1\n", "no mode" },
    { "version: STSv1\nmode: enforce\nmx: a.example\n", "no max_age" },
    { "version: STSv1\nmode: enforce\nmax_age: 1\n", "no mx" },
    { "version: STSv1\nmode: testing\nmax_age: 1\n", "no mx" },
    { "version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n", "line 1: version" },
    { "version: stsv1\nmode: enforce\nmx: a.example\nmax_age: 1\n", "not STSv1" },
    { "version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 1\n", "line 2: mode" },
    { "version: STSv1\nmode: enforcing\nmx: a.example\nmax_age: 1\n", "not enforce, testing" },
    { "version: STSv1\nmode : enforce\nmx: a.example\nmax_age: 1\n", "before the ':'" },
    { "version: STSv1\nmode enforce\nmx: a.example\nmax_age: 1\n", "key: value" },
    { "version: STSv1\nmode:\nmx: a.example\nmax_age: 1\n", "no value" },
    { "version: STSv1\nmode: enforce\nmx: mx.example.com.\nmax_age: 1\n", "dot" },
    { "version: STSv1\nmode: enforce\nmx: *.\nmax_age: 1\n", "names no domain" },
    { "version: STSv1\nmode: enforce\nmx: *\nmax_age: 1\n", "'*'" },
    { "version: STSv1\nmode: enforce\nmx: mx*.example.com\nmax_age: 1\n", "'*'" },
    { "version: STSv1\nmode: enforce\nmx: *.*.example.com\nmax_age: 1\n", "'*'" },
    { "version: STSv1\nmode: enforce\nmx: a..example\nmax_age: 1\n", "empty label" },
    { "version: STSv1\nmode: enforce\nmx: -a.example\nmax_age: 1\n", "hyphen" },
    { "version: STSv1\nmode: enforce\nmx: a_b.example\nmax_age: 1\n", "character" },
    { "version: STSv1\nmode: enforce\nmx: a.example b.example\nmax_age: 1\n", "character" },
    { "\xEF\xBB\xBFversion: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\n", "byte-order" },
    { "version: STSv1\nmode: enforce\x1b[31m\nmx: a.example\nmax_age: 1\n", "control" },
    { "version: STSv1\rmode: enforce\nmx: a.example\nmax_age: 1\n", "carriage return" },
    { "version: STSv1\nmode: enforce\nmx: m\xC3\xBC.example\nmax_age: 1\n", "outside ASCII" },
};

START_TEST(test_policy_bad)
{
    mxd_mtasts_policy p;
    ck_assert_int_eq(pol(bad_policies[_i].t, &p), -1);
    ck_assert_msg(strstr(err, bad_policies[_i].word), "case %d: '%s' lacks '%s'", _i, err,
                  bad_policies[_i].word);
    ck_assert_ptr_null(p.mx); /* nothing left to free after a failure */
    ck_assert_uint_eq(p.nmx, 0);
}
END_TEST

START_TEST(test_policy_nul_and_size)
{
    mxd_mtasts_policy p;
    static const char nul[] = "version: STSv1\nmode: en\0force\nmx: a.example\nmax_age: 1\n";
    ck_assert_int_eq(mxd_mtasts_policy_parse(nul, sizeof nul - 1, &p, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "line 2: contains a NUL"));

    size_t n = MXD_MTASTS_POLICY_MAX + 1;
    char *big = malloc(n);
    memset(big, '\n', n);
    ck_assert_int_eq(mxd_mtasts_policy_parse(big, n, &p, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "longer than 65536"));
    free(big);
}
END_TEST

/* ================================================================ matching */

START_TEST(test_pattern_match)
{
    static const struct { const char *pat, *host; bool yes; } c[] = {
        { "mx1.example.com", "mx1.example.com", true },
        { "mx1.example.com", "MX1.Example.Com", true },   /* case does not matter */
        { "mx1.example.com", "mx1.example.com.", true },  /* nor a final dot */
        { "mx1.example.com", "mx2.example.com", false },
        { "mx1.example.com", "a.mx1.example.com", false },
        { "mx1.example.com", "example.com", false },
        { "*.example.com", "mx.example.com", true },
        { "*.example.com", "MX.EXAMPLE.COM.", true },
        { "*.example.com", "example.com", false },        /* the wildcard is one whole label */
        { "*.example.com", "a.b.example.com", false },    /* ... exactly one */
        { "*.example.com", "xexample.com", false },
        { "*.example.com", ".example.com", false },
        { "*.example.com", "mx.example.com.evil.test", false },
        { "*.example.com", "mx.example.org", false },
        { "mx.example.com", "*.example.com", false },
        { "", "mx.example.com", false },
        { "mx.example.com", "", false },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
        ck_assert_msg(mxd_mtasts_pattern_match(c[i].pat, c[i].host) == c[i].yes, "%s ~ %s",
                      c[i].pat, c[i].host);
    ck_assert(!mxd_mtasts_pattern_match(NULL, "a"));
}
END_TEST

START_TEST(test_mx_covered)
{
    mxd_mtasts_policy p;
    ck_assert_int_eq(pol("version: STSv1\nmode: enforce\nmx: mail.example.com\n"
                         "mx: *.backup.example.net\nmax_age: 86400\n", &p), 0);
    ck_assert(mxd_mtasts_mx_covered(&p, "mail.example.com"));
    ck_assert(mxd_mtasts_mx_covered(&p, "mx2.backup.example.net"));
    ck_assert(!mxd_mtasts_mx_covered(&p, "backup.example.net"));
    ck_assert(!mxd_mtasts_mx_covered(&p, "mx.example.com"));
    ck_assert(!mxd_mtasts_mx_covered(NULL, "mail.example.com"));
    mxd_mtasts_policy_free(&p);
}
END_TEST

/* ================================================================ checks */

static mxd_mtasts_result base(mxd_mtasts_state st)
{
    mxd_mtasts_result d;
    memset(&d, 0, sizeof d);
    d.state = st;
    snprintf(d.domain, sizeof d.domain, "example.com");
    snprintf(d.record_name, sizeof d.record_name, "_mta-sts.example.com");
    snprintf(d.host, sizeof d.host, "mta-sts.example.com");
    snprintf(d.url, sizeof d.url, "https://mta-sts.example.com/.well-known/mta-sts.txt");
    return d;
}

static mxd_mtasts_result with_policy(const char *text)
{
    mxd_mtasts_result d = base(MXD_MTASTS_OK);
    ck_assert_msg(mxd_mtasts_policy_parse(text, strlen(text), &d.policy, err, sizeof err) == 0,
                  "%s", err);
    return d;
}

static const char *const two_mx[] = { "mx1.example.com", "mx2.backup.example.net" };

/* The findings as "id/sev/subject" joined by spaces, for compact assertions. */
static const char *summary(const mxd_findings *fs)
{
    static char buf[1024];
    buf[0] = '\0';
    for (size_t i = 0; i < fs->n; i++) {
        const mxd_finding *f = &fs->v[i];
        ck_assert_str_eq(f->step, "policy");
        size_t l = strlen(buf);
        snprintf(buf + l, sizeof buf - l, "%s%s/%s/%s", i ? " " : "", f->id,
                 mxd_severity_name(f->sev), f->subject);
    }
    return buf;
}

/* Every parameter a finding carries, as "key key ..." in order. */
static const char *keys_of(const mxd_finding *f)
{
    static char buf[256];
    buf[0] = '\0';
    for (size_t i = 0; i < f->nparams; i++) {
        size_t l = strlen(buf);
        snprintf(buf + l, sizeof buf - l, "%s%s", i ? " " : "", f->params[i].key);
    }
    return buf;
}

START_TEST(test_check_states)
{
    mxd_findings fs = { 0 };
    mxd_mtasts_result d = base(MXD_MTASTS_NOT_RUN);
    mxd_check_mtasts_data(&d, two_mx, 2, &fs);
    d.state = MXD_MTASTS_RUNNING;
    mxd_check_mtasts_data(&d, two_mx, 2, &fs);
    mxd_check_mtasts_data(NULL, two_mx, 2, &fs);
    ck_assert_uint_eq(fs.n, 0);

    d.state = MXD_MTASTS_NO_RECORD;
    mxd_check_mtasts_data(&d, two_mx, 2, &fs);
    ck_assert_str_eq(summary(&fs), "mta_sts.missing/info/_mta-sts.example.com");
    ck_assert_str_eq(keys_of(&fs.v[0]), "domain record");
    ck_assert_str_eq(mxd_finding_get(&fs.v[0], "record"), "_mta-sts.example.com");
    mxd_findings_free(&fs);

    d.state = MXD_MTASTS_DNS_ERROR;
    d.txt.state = MXD_Q_SERVFAIL;
    mxd_check_mtasts_data(&d, two_mx, 2, &fs);
    ck_assert_str_eq(summary(&fs), "mta_sts.dns_error/skip/_mta-sts.example.com");
    ck_assert_str_eq(keys_of(&fs.v[0]), "domain record error");
    ck_assert_str_eq(mxd_finding_get(&fs.v[0], "error"), "servfail");
    mxd_findings_free(&fs);

    d.state = MXD_MTASTS_RECORD_INVALID;
    snprintf(d.record, sizeof d.record, "v=STSv1; id=a-b");
    snprintf(d.problem, sizeof d.problem, "id \"a-b\" is not 1 to 32 letters and digits");
    mxd_check_mtasts_data(&d, two_mx, 2, &fs);
    ck_assert_str_eq(summary(&fs), "mta_sts.record_invalid/warn/_mta-sts.example.com");
    ck_assert_str_eq(keys_of(&fs.v[0]), "domain record text problem");
    ck_assert_str_eq(mxd_finding_get(&fs.v[0], "text"), "v=STSv1; id=a-b");
    mxd_findings_free(&fs);

    d.state = MXD_MTASTS_SKIPPED;
    d.addr.family = AF_INET;
    snprintf(d.addr.text, sizeof d.addr.text, "192.0.2.8");
    snprintf(d.skip_reason, sizeof d.skip_reason, "outside_lab");
    mxd_check_mtasts_data(&d, two_mx, 2, &fs);
    ck_assert_str_eq(summary(&fs), "mta_sts.skipped/skip/mta-sts.example.com");
    ck_assert_str_eq(keys_of(&fs.v[0]), "domain host address reason");
    ck_assert_str_eq(mxd_finding_get(&fs.v[0], "address"), "192.0.2.8");
    mxd_findings_free(&fs);

    d.state = MXD_MTASTS_FETCH_FAILED;
    snprintf(d.problem, sizeof d.problem, "HTTP status 404 Not Found");
    mxd_check_mtasts_data(&d, two_mx, 2, &fs);
    ck_assert_str_eq(summary(&fs), "mta_sts.fetch_failed/warn/mta-sts.example.com");
    ck_assert_str_eq(keys_of(&fs.v[0]), "domain host url problem");
    ck_assert_str_eq(mxd_finding_get(&fs.v[0], "problem"), "HTTP status 404 Not Found");
    mxd_findings_free(&fs);

    d.state = MXD_MTASTS_POLICY_INVALID;
    snprintf(d.problem, sizeof d.problem, "line 2: mode is \"on\"");
    mxd_check_mtasts_data(&d, two_mx, 2, &fs);
    ck_assert_str_eq(summary(&fs), "mta_sts.invalid/warn/mta-sts.example.com");
    ck_assert_str_eq(keys_of(&fs.v[0]), "domain url problem");
    mxd_findings_free(&fs);
}
END_TEST

START_TEST(test_check_remote_text_sanitised)
{
    mxd_findings fs = { 0 };
    mxd_mtasts_result d = base(MXD_MTASTS_RECORD_INVALID);
    snprintf(d.record, sizeof d.record, "v=STSv1; id=\x1b]0;pwned\x07");
    snprintf(d.problem, sizeof d.problem, "bad");
    mxd_check_mtasts_data(&d, two_mx, 2, &fs);
    const char *t = mxd_finding_get(&fs.v[0], "text");
    ck_assert_ptr_null(strchr(t, 0x1b));
    ck_assert_ptr_null(strchr(t, 0x07));
    mxd_findings_free(&fs);
}
END_TEST

START_TEST(test_check_enforce_all_covered)
{
    mxd_findings fs = { 0 };
    mxd_mtasts_result d = with_policy("version: STSv1\nmode: enforce\nmx: mx1.example.com\n"
                                      "mx: *.backup.example.net\nmax_age: 604800\n");
    mxd_check_mtasts_data(&d, two_mx, 2, &fs);
    ck_assert_str_eq(summary(&fs), "mta_sts.ok/pass/example.com");
    ck_assert_str_eq(keys_of(&fs.v[0]), "domain max_age days patterns count");
    ck_assert_str_eq(mxd_finding_get(&fs.v[0], "max_age"), "604800");
    ck_assert_str_eq(mxd_finding_get(&fs.v[0], "days"), "7");
    ck_assert_str_eq(mxd_finding_get(&fs.v[0], "patterns"), "mx1.example.com, *.backup.example.net");
    ck_assert_str_eq(mxd_finding_get(&fs.v[0], "count"), "2");
    mxd_findings_free(&fs);
    mxd_mtasts_result_free(&d);
}
END_TEST

START_TEST(test_check_enforce_not_covered)
{
    mxd_findings fs = { 0 };
    mxd_mtasts_result d = with_policy("version: STSv1\nmode: enforce\nmx: mx1.example.com\n"
                                      "max_age: 43200\n");
    const char *hosts[] = { "mx1.example.com", "mx2.backup.example.net", "backup.example.net" };
    mxd_check_mtasts_data(&d, hosts, 3, &fs);
    ck_assert_str_eq(summary(&fs), "mta_sts.mx_not_covered/fail/mx2.backup.example.net "
                                   "mta_sts.mx_not_covered/fail/backup.example.net");
    ck_assert_str_eq(keys_of(&fs.v[0]), "domain host mode patterns url");
    ck_assert_str_eq(mxd_finding_get(&fs.v[0], "mode"), "enforce");
    ck_assert_str_eq(mxd_finding_get(&fs.v[0], "patterns"), "mx1.example.com");
    ck_assert_int_eq(mxd_verdict_of(&fs), MXD_VERDICT_FAIL);
    mxd_findings_free(&fs);
    mxd_mtasts_result_free(&d);
}
END_TEST

START_TEST(test_check_testing)
{
    mxd_findings fs = { 0 };
    mxd_mtasts_result d = with_policy("version: STSv1\nmode: testing\nmx: mx1.example.com\n"
                                      "max_age: 43200\n");
    mxd_check_mtasts_data(&d, two_mx, 2, &fs);
    /* the uncovered host is only a warning: testing mode delivers anyway */
    ck_assert_str_eq(summary(&fs), "mta_sts.mx_not_covered/warn/mx2.backup.example.net "
                                   "mta_sts.testing/info/example.com");
    ck_assert_str_eq(mxd_finding_get(&fs.v[0], "mode"), "testing");
    ck_assert_str_eq(keys_of(&fs.v[1]), "domain max_age days patterns");
    ck_assert_str_eq(mxd_finding_get(&fs.v[1], "days"), "0.5");
    mxd_findings_free(&fs);

    /* all covered: just the note */
    mxd_check_mtasts_data(&d, two_mx, 1, &fs);
    ck_assert_str_eq(summary(&fs), "mta_sts.testing/info/example.com");
    mxd_findings_free(&fs);
    mxd_mtasts_result_free(&d);
}
END_TEST

START_TEST(test_check_mode_none)
{
    mxd_findings fs = { 0 };
    mxd_mtasts_result d = with_policy("version: STSv1\nmode: none\nmax_age: 86400\n");
    mxd_check_mtasts_data(&d, two_mx, 2, &fs);
    ck_assert_str_eq(summary(&fs), "mta_sts.mode_none/info/example.com");
    ck_assert_str_eq(keys_of(&fs.v[0]), "domain url");
    mxd_findings_free(&fs);
    mxd_mtasts_result_free(&d);
}
END_TEST

START_TEST(test_check_from_result_targets)
{
    /* MX hosts come from the result: null MX and duplicates are left out */
    mxd_result r;
    memset(&r, 0, sizeof r);
    mxd_target t[4];
    memset(t, 0, sizeof t);
    snprintf(t[0].host, sizeof t[0].host, "mx1.example.com");
    t[0].duplicate_of = -1;
    snprintf(t[1].host, sizeof t[1].host, "mx1.example.com");
    t[1].duplicate_of = 0;
    snprintf(t[2].host, sizeof t[2].host, ".");
    t[2].null_mx = true;
    t[2].duplicate_of = -1;
    snprintf(t[3].host, sizeof t[3].host, "other.example.org");
    t[3].duplicate_of = -1;
    r.targets = t;
    r.ntargets = 4;
    mxd_mtasts_result d = with_policy("version: STSv1\nmode: enforce\nmx: mx1.example.com\n"
                                      "max_age: 86400\n");
    mxd_findings fs = { 0 };
    mxd_check_mtasts(&r, &d, &fs);
    ck_assert_str_eq(summary(&fs), "mta_sts.mx_not_covered/fail/other.example.org");
    mxd_findings_free(&fs);
    r.ntargets = 3;
    mxd_check_mtasts(&r, &d, &fs);
    ck_assert_str_eq(summary(&fs), "mta_sts.ok/pass/example.com");
    ck_assert_str_eq(mxd_finding_get(&fs.v[0], "count"), "1");
    mxd_findings_free(&fs);
    mxd_mtasts_result_free(&d);
}
END_TEST


START_TEST(test_json)
{
    mxd_mtasts_result d = with_policy("version: STSv1\nmode: enforce\nmx: mx1.example.com\n"
                                      "mx: *.example.net\nmax_age: 86400\n");
    d.fetch = MXD_MTASTS_FETCH_HTTPS;
    d.http.status = 200;
    snprintf(d.http.stage, sizeof d.http.stage, "done");
    snprintf(d.record, sizeof d.record, "v=STSv1; id=\"quoted\"");
    mxd_sb sb = MXD_SB_INIT;
    mxd_json j;
    mxd_json_init(&j, &sb, 0);
    mxd_mtasts_json(&j, &d);
    ck_assert(mxd_json_ok(&j));
    const char *t = mxd_sb_str(&sb);
    ck_assert_ptr_nonnull(strstr(t, "\"state\":\"ok\""));
    ck_assert_ptr_nonnull(strstr(t, "\"record\":\"v=STSv1; id=\\\"quoted\\\"\""));
    ck_assert_ptr_nonnull(strstr(t, "\"status\":200"));
    ck_assert_ptr_nonnull(strstr(t, "\"policy\":{\"mode\":\"enforce\",\"max_age\":86400,"
                                    "\"mx\":[\"mx1.example.com\",\"*.example.net\"]}"));
    ck_assert_ptr_nonnull(strstr(t, "\"problem\":null"));
    mxd_sb_free(&sb);
    mxd_mtasts_result_free(&d);

    /* a result without a fetch or policy has neither key */
    d = base(MXD_MTASTS_NO_RECORD);
    mxd_json_init(&j, &sb, 0);
    mxd_mtasts_json(&j, &d);
    ck_assert(mxd_json_ok(&j));
    ck_assert_ptr_null(strstr(mxd_sb_str(&sb), "\"fetch\""));
    ck_assert_ptr_null(strstr(mxd_sb_str(&sb), "\"policy\""));
    mxd_sb_free(&sb);
}
END_TEST

/* ================================================================ the sub-run */

#define DNS_ADDR "127.0.79.53"
#define WAIT_MS 10000

static const char zone_text[] =
    "id: t\ndomain: good.lab.test\ntitle.en: t\ntitle.ja: t\n"
    "[zone lab.test]\n"
    "_mta-sts.good     TXT \"v=STSv1; id=20240101\"\n"
    "_mta-sts.good     TXT \"some other text\"\n"
    "mta-sts.good      A   127.0.79.11\n"
    "_mta-sts.other    TXT \"hello\"\n"
    "_mta-sts.two      TXT \"v=STSv1; id=1\"\n"
    "_mta-sts.two      TXT \"v=STSv1; id=2\"\n"
    "_mta-sts.badrec   TXT \"v=STSv1; x=1\"\n"
    "_mta-sts.noaddr   TXT \"v=STSv1; id=1\"\n"
    "_mta-sts.alias    CNAME _mta-sts.good.lab.test.\n"
    "_mta-sts.outside  TXT \"v=STSv1; id=1\"\n"
    "mta-sts.outside   A   192.0.2.80\n"
    "_mta-sts.e404     TXT \"v=STSv1; id=1\"\n"
    "mta-sts.e404      A   127.0.79.12\n"
    "_mta-sts.badpol   TXT \"v=STSv1; id=1\"\n"
    "mta-sts.badpol    A   127.0.79.13\n"
    "_mta-sts.multi    TXT \"v=STSv1; id=1\"\n"
    "mta-sts.multi     A   127.0.79.20\n"   /* nobody listens: refused */
    "mta-sts.multi     A   127.0.79.14\n"
    "_mta-sts.slow     TXT \"v=STSv1; id=1\"\n"
    "mta-sts.slow      A   127.0.79.15\n";

static mxd_loop *loop;
static mxd_labca *ca;
static mxd_scenario scn;
static mxd_labdns_auth *auth;
static mxd_labhttps_set *https;
static mxd_dns *dns;
static unsigned dns_port, https_port;
static char dns_server[64];

static const char good_policy[] = "version: STSv1\r\nmode: enforce\r\nmx: *.good.lab.test\r\n"
                                  "max_age: 604800\r\n";

static void site(mxd_scn_https *s, const char *addr, const char *name, mxd_https_behaviour b,
                 const char *body)
{
    memset(s, 0, sizeof *s);
    snprintf(s->addr, sizeof s->addr, "%s", addr);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->behaviour = b;
    if (!body)
        return;
    s->paths = calloc(1, sizeof *s->paths);
    s->npaths = 1;
    snprintf(s->paths[0].path, sizeof s->paths[0].path, "%s", MXD_MTASTS_PATH);
    s->paths[0].status = 200;
    snprintf(s->paths[0].content_type, sizeof s->paths[0].content_type, "text/plain");
    s->paths[0].body = strdup(body);
    s->paths[0].body_len = strlen(body);
}

static void setup(void)
{
    signal(SIGPIPE, SIG_IGN);
    loop = mxd_loop_new();
    ca = mxd_labca_new(err, sizeof err);
    ck_assert_msg(ca != NULL, "%s", err);
    mxd_scn_error serr;
    ck_assert_msg(mxd_scenario_parse(zone_text, sizeof zone_text - 1, "t.scn", &scn, &serr) == 0,
                  "%s", mxd_scn_error_key(serr.code));
    mxd_scn_https *sites = calloc(5, sizeof *sites);
    site(&sites[0], "127.0.79.11", "mta-sts.good.lab.test", MXD_HTTPSB_OK, good_policy);
    site(&sites[1], "127.0.79.12", "mta-sts.e404.lab.test", MXD_HTTPSB_OK, NULL);
    site(&sites[2], "127.0.79.13", "mta-sts.badpol.lab.test", MXD_HTTPSB_OK,
         "version: STSv1\r\nmode: enforcing\r\nmx: *.lab.test\r\nmax_age: 1\r\n");
    site(&sites[3], "127.0.79.14", "mta-sts.multi.lab.test", MXD_HTTPSB_OK,
         "version: STSv1\r\nmode: testing\r\nmx: mx.multi.lab.test\r\nmax_age: 86400\r\n");
    site(&sites[4], "127.0.79.15", "mta-sts.slow.lab.test", MXD_HTTPSB_BLACKHOLE, NULL);
    for (int t = 0; t < 20 && !https; t++) {
        uint32_t v = 0;
        if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
            v = (uint32_t)mxd_now_ms() * 2654435761u;
        dns_port = 20000 + v % 40000;
        if (dns_port == 5353 || dns_port + 1 == 5353)
            continue;
        https_port = dns_port + 1;
        mxd_labdns_auth_cfg c = { .addr = DNS_ADDR, .port = (uint16_t)dns_port,
                                  .zones = scn.zones, .nzones = scn.nzones };
        auth = mxd_labdns_auth_start(loop, &c, err, sizeof err);
        if (!auth) {
            ck_assert_msg(errno == EADDRINUSE, "%s", err);
            continue;
        }
        https = mxd_labhttps_set_start(loop, ca, sites, 5, https_port, err, sizeof err);
        if (!https) {
            ck_assert_msg(errno == EADDRINUSE, "%s", err);
            mxd_labdns_auth_free(auth);
            auth = NULL;
        }
    }
    mxd_scn_https_free(sites, 5);
    ck_assert_msg(https != NULL, "no free ports: %s", err);
    snprintf(dns_server, sizeof dns_server, "%s:%u", DNS_ADDR, dns_port);
    dns = mxd_dns_new(loop, dns_server, 2000, true, err, sizeof err);
    ck_assert_msg(dns != NULL, "%s", err);
}

static void teardown(void)
{
    mxd_dns_free(dns);
    mxd_labhttps_set_stop(https);
    mxd_labdns_auth_free(auth);
    https = NULL;
    auth = NULL;
    mxd_scenario_free(&scn);
    mxd_labca_free(ca);
    ck_assert_uint_eq(mxd_loop_pending(loop), 0);
    mxd_loop_free(loop);
}

static mxd_options lab_opts(int timeout_s)
{
    mxd_options o;
    memset(&o, 0, sizeof o);
    o.timeout_s = timeout_s;
    o.https_port = https_port;
    o.loopback_only = true;
    o.allow_loopback = true;
    o.extra_ca = mxd_labca_cert(ca);
    return o;
}

typedef struct runstate {
    bool done;
    unsigned changes;
} runstate;

static void rs_changed(void *arg) { ((runstate *)arg)->changes++; }
static void rs_done(void *arg) { ((runstate *)arg)->done = true; }
static bool rs_is_done(void *arg) { return ((runstate *)arg)->done; }

static uint64_t run(const char *domain, int timeout_s, mxd_dns *channel, mxd_mtasts_result *out)
{
    memset(out, 0, sizeof *out);
    mxd_options o = lab_opts(timeout_s);
    char *res[1] = { dns_server };
    o.resolvers = res;
    o.nresolvers = 1;
    runstate rs = { 0 };
    uint64_t t0 = mxd_now_ms();
    mxd_mtasts_run *r = mxd_mtasts_start(loop, channel, &o, domain, out, rs_changed, rs_done, &rs);
    ck_assert_ptr_nonnull(r);
    ck_assert_msg(!rs.done, "done() must not run inside the start call");
    ck_assert(mxd_loop_run_until(loop, rs_is_done, &rs, mxd_now_ms() + WAIT_MS));
    ck_assert_uint_gt(rs.changes, 0);
    return mxd_now_ms() - t0;
}

START_TEST(test_run_good)
{
    mxd_mtasts_result d;
    run("good.lab.test", 2, dns, &d);
    ck_assert_msg(d.state == MXD_MTASTS_OK, "%s: %s", mxd_mtasts_state_name(d.state), d.problem);
    ck_assert_str_eq(d.record_name, "_mta-sts.good.lab.test");
    ck_assert_str_eq(d.host, "mta-sts.good.lab.test");
    char url[200];
    snprintf(url, sizeof url, "https://mta-sts.good.lab.test:%u/.well-known/mta-sts.txt",
             https_port);
    ck_assert_str_eq(d.url, url);
    ck_assert_uint_eq(d.nrecords, 1); /* the other TXT there does not count */
    ck_assert_str_eq(d.record, "v=STSv1; id=20240101");
    ck_assert_str_eq(d.rec.id, "20240101");
    ck_assert_str_eq(d.addr.text, "127.0.79.11");
    ck_assert_int_eq(d.http.end, MXD_HTTPS_OK);
    ck_assert_int_eq(d.policy.mode, MXD_MTASTS_MODE_ENFORCE);
    ck_assert_uint_eq(d.policy.max_age, 604800);

    mxd_findings fs = { 0 };
    const char *hosts[] = { "mx1.good.lab.test", "mx2.good.lab.test" };
    mxd_check_mtasts_data(&d, hosts, 2, &fs);
    ck_assert_str_eq(summary(&fs), "mta_sts.ok/pass/good.lab.test");
    mxd_findings_free(&fs);
    const char *wrong[] = { "mx1.good.lab.test", "mail.elsewhere.test" };
    mxd_check_mtasts_data(&d, wrong, 2, &fs);
    ck_assert_str_eq(summary(&fs), "mta_sts.mx_not_covered/fail/mail.elsewhere.test");
    mxd_findings_free(&fs);
    mxd_mtasts_result_free(&d);
}
END_TEST

static const struct {
    const char *domain;
    mxd_mtasts_state state;
    const char *problem; /* a word the problem must contain ("" when none) */
} outcomes[] = {
    { "none.lab.test", MXD_MTASTS_NO_RECORD, "" },        /* NXDOMAIN at _mta-sts */
    { "other.lab.test", MXD_MTASTS_NO_RECORD, "" },       /* a TXT that is not STS */
    { "two.lab.test", MXD_MTASTS_RECORD_INVALID, "exactly one" },
    { "badrec.lab.test", MXD_MTASTS_RECORD_INVALID, "no id" },
    { "noaddr.lab.test", MXD_MTASTS_FETCH_FAILED, "has no address" },
    { "alias.lab.test", MXD_MTASTS_FETCH_FAILED, "has no address" }, /* record via CNAME */
    { "outside.lab.test", MXD_MTASTS_SKIPPED, "" },
    { "e404.lab.test", MXD_MTASTS_FETCH_FAILED, "404" },
    { "badpol.lab.test", MXD_MTASTS_POLICY_INVALID, "line 2: mode" },
    { "outside.example", MXD_MTASTS_DNS_ERROR, "refused" }, /* the server is not for it */
};

START_TEST(test_run_outcomes)
{
    mxd_mtasts_result d;
    run(outcomes[_i].domain, 2, dns, &d);
    ck_assert_msg(d.state == outcomes[_i].state, "%s: %s (%s)", outcomes[_i].domain,
                  mxd_mtasts_state_name(d.state), d.problem);
    ck_assert_msg(strstr(d.problem, outcomes[_i].problem), "%s: '%s' lacks '%s'",
                  outcomes[_i].domain, d.problem, outcomes[_i].problem);
    if (d.state == MXD_MTASTS_SKIPPED) {
        ck_assert_str_eq(d.skip_reason, "outside_lab");
        ck_assert_str_eq(d.addr.text, "192.0.2.80");
        ck_assert_int_eq(d.http.end, MXD_HTTPS_OK); /* untouched: no fetch was tried */
        ck_assert_str_eq(d.http.stage, "");
    }
    if (strcmp(outcomes[_i].domain, "alias.lab.test") == 0)
        ck_assert_str_eq(d.rec.id, "20240101");
    mxd_findings fs = { 0 };
    const char *hosts[] = { "mx.lab.test" };
    mxd_check_mtasts_data(&d, hosts, 1, &fs);
    ck_assert_uint_eq(fs.n, 1);
    mxd_findings_free(&fs);
    mxd_mtasts_result_free(&d);
}
END_TEST

START_TEST(test_run_next_address)
{
    /* the first address refuses; the second serves a testing policy */
    mxd_mtasts_result d;
    run("multi.lab.test", 2, dns, &d);
    ck_assert_msg(d.state == MXD_MTASTS_OK, "%s: %s", mxd_mtasts_state_name(d.state), d.problem);
    ck_assert_str_eq(d.addr.text, "127.0.79.14");
    ck_assert_int_eq(d.policy.mode, MXD_MTASTS_MODE_TESTING);
    mxd_mtasts_result_free(&d);
}
END_TEST

START_TEST(test_run_silent_server_bounded)
{
    mxd_mtasts_result d;
    uint64_t took = run("slow.lab.test", 1, dns, &d);
    ck_assert_int_eq(d.state, MXD_MTASTS_FETCH_FAILED);
    ck_assert_int_eq(d.http.end, MXD_HTTPS_TIMEOUT);
    ck_assert_str_eq(d.http.stage, "tls");
    ck_assert_uint_ge(took, 990);
    ck_assert_uint_lt(took, 3000);
    mxd_mtasts_result_free(&d);
}
END_TEST

START_TEST(test_run_own_channel)
{
    /* no channel given: the run makes its own from opts->resolvers */
    mxd_mtasts_result d;
    run("good.lab.test", 2, NULL, &d);
    ck_assert_msg(d.state == MXD_MTASTS_OK, "%s: %s", mxd_mtasts_state_name(d.state), d.problem);
    mxd_mtasts_result_free(&d);
}
END_TEST

static bool never(void *arg) { (void)arg; return false; }

START_TEST(test_run_cancel)
{
    mxd_options o = lab_opts(1);
    char *res[1] = { dns_server };
    o.resolvers = res;
    o.nresolvers = 1;
    runstate rs = { 0 };
    mxd_mtasts_result d;

    /* during the fetch (the silent server): the fetch is cancelled too */
    memset(&d, 0, sizeof d);
    mxd_mtasts_run *r = mxd_mtasts_start(loop, dns, &o, "slow.lab.test", &d, NULL, rs_done, &rs);
    uint64_t end = mxd_now_ms() + WAIT_MS;
    while (d.http.stage[0] == '\0' && d.addr.family == 0 && mxd_now_ms() < end)
        mxd_loop_run_once(loop, 10);
    ck_assert_int_eq(d.addr.family, AF_INET);
    mxd_mtasts_cancel(r);
    ck_assert_int_eq(d.state, MXD_MTASTS_FETCH_FAILED);
    ck_assert_int_eq(d.http.end, MXD_HTTPS_CANCELLED);
    ck_assert_ptr_nonnull(strstr(d.problem, "stopped"));
    mxd_loop_run_until(loop, never, NULL, mxd_now_ms() + 100);
    ck_assert(!rs.done);
    mxd_mtasts_result_free(&d);

    /* with the TXT question in flight, on the shared channel: its late answer
     * finds the run gone and only frees its record (ASan/valgrind check that) */
    memset(&d, 0, sizeof d);
    r = mxd_mtasts_start(loop, dns, &o, "good.lab.test", &d, NULL, rs_done, &rs);
    ck_assert_int_eq(d.txt.state, MXD_Q_PENDING);
    mxd_mtasts_cancel(r);
    ck_assert_int_eq(d.txt.state, MXD_Q_TIMEOUT);
    ck_assert_int_eq(d.state, MXD_MTASTS_DNS_ERROR);
    end = mxd_now_ms() + WAIT_MS;
    while (mxd_dns_pending(dns) && mxd_now_ms() < end)
        mxd_loop_run_once(loop, 10);
    ck_assert_uint_eq(mxd_dns_pending(dns), 0);
    ck_assert(!rs.done);
    mxd_mtasts_result_free(&d);

    /* on a channel of its own: freed at once, nothing left behind */
    memset(&d, 0, sizeof d);
    r = mxd_mtasts_start(loop, NULL, &o, "good.lab.test", &d, NULL, rs_done, &rs);
    mxd_mtasts_cancel(r);
    mxd_loop_run_until(loop, never, NULL, mxd_now_ms() + 50);
    ck_assert(!rs.done);
    mxd_mtasts_result_free(&d);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("mtasts");
    TCase *tc = tcase_create("parsers");
    tcase_add_test(tc, test_record_candidate);
    tcase_add_test(tc, test_record_good);
    tcase_add_loop_test(tc, test_record_bad, 0, (int)(sizeof bad_records / sizeof bad_records[0]));
    tcase_add_test(tc, test_policy_good_crlf_and_lf);
    tcase_add_test(tc, test_policy_tolerated);
    tcase_add_test(tc, test_policy_max_age_bounds);
    tcase_add_loop_test(tc, test_policy_bad, 0,
                        (int)(sizeof bad_policies / sizeof bad_policies[0]));
    tcase_add_test(tc, test_policy_nul_and_size);
    tcase_add_test(tc, test_pattern_match);
    tcase_add_test(tc, test_mx_covered);
    suite_add_tcase(s, tc);

    tc = tcase_create("checks");
    tcase_add_test(tc, test_check_states);
    tcase_add_test(tc, test_check_remote_text_sanitised);
    tcase_add_test(tc, test_check_enforce_all_covered);
    tcase_add_test(tc, test_check_enforce_not_covered);
    tcase_add_test(tc, test_check_testing);
    tcase_add_test(tc, test_check_mode_none);
    tcase_add_test(tc, test_check_from_result_targets);
    tcase_add_test(tc, test_json);
    suite_add_tcase(s, tc);

    tc = tcase_create("run");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_run_good);
    tcase_add_loop_test(tc, test_run_outcomes, 0, (int)(sizeof outcomes / sizeof outcomes[0]));
    tcase_add_test(tc, test_run_next_address);
    tcase_add_test(tc, test_run_silent_server_bounded);
    tcase_add_test(tc, test_run_own_channel);
    tcase_add_test(tc, test_run_cancel);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
