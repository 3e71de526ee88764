/* Unit tests for the checks: hand-built results in, findings out. No network. */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "mxd/checks.h"

/* ---- builders ---- */

static void init(mxd_result *r, const char *domain)
{
    memset(r, 0, sizeof *r);
    snprintf(r->domain, sizeof r->domain, "%s", domain);
    snprintf(r->domain_ascii, sizeof r->domain_ascii, "%s", domain);
    r->opts.timeout_s = 5;
    r->opts.smtp_port = 25;
    r->mx.state = MXD_Q_OK;
    r->a.state = MXD_Q_NODATA;
    r->aaaa.state = MXD_Q_NODATA;
}

static mxd_target *add_target(mxd_result *r, unsigned pref, const char *host)
{
    r->targets = realloc(r->targets, (r->ntargets + 1) * sizeof *r->targets);
    mxd_target *t = &r->targets[r->ntargets++];
    memset(t, 0, sizeof *t);
    t->pref = (uint16_t)pref;
    snprintf(t->host, sizeof t->host, "%s", host);
    t->ttl = 3600;
    t->duplicate_of = -1;
    t->null_mx = strcmp(host, ".") == 0;
    t->a.state = MXD_Q_OK;
    t->aaaa.state = MXD_Q_NODATA;
    return t;
}

/* Adds an address with a finished SMTP conversation ending in `end`. */
static mxd_smtp *add_addr(mxd_target *t, const char *ip, mxd_smtp_end end, int greeting)
{
    t->addrs = realloc(t->addrs, (t->naddrs + 1) * sizeof *t->addrs);
    t->smtp = realloc(t->smtp, (t->naddrs + 1) * sizeof *t->smtp);
    mxd_addr *a = &t->addrs[t->naddrs];
    mxd_smtp *s = &t->smtp[t->naddrs];
    memset(a, 0, sizeof *a);
    memset(s, 0, sizeof *s);
    a->family = strchr(ip, ':') ? AF_INET6 : AF_INET;
    inet_pton(a->family, ip, a->bytes);
    snprintf(a->text, sizeof a->text, "%s", ip);
    s->state = MXD_SMTP_DONE;
    s->end = end;
    s->greeting_code = greeting;
    snprintf(s->greeting, sizeof s->greeting, "mx ESMTP");
    if (end == MXD_SMTP_END_OK && greeting == 220) {
        s->ehlo_code = 250;
        s->starttls_offered = true;
        s->tls_attempted = s->tls_ok = true;
        snprintf(s->tls_version, sizeof s->tls_version, "TLSv1.3");
        s->cert.present = s->cert.trusted = s->cert.name_matches = true;
    }
    t->naddrs++;
    return s;
}

static mxd_findings run(const mxd_result *r)
{
    mxd_findings fs = { 0 };
    mxd_check_all(r, &fs);
    return fs;
}

static int count(const mxd_findings *fs, const char *id)
{
    int n = 0;
    for (size_t i = 0; i < fs->n; i++)
        n += strcmp(fs->v[i].id, id) == 0;
    return n;
}

static mxd_severity sev_of(const mxd_findings *fs, const char *id)
{
    const mxd_finding *f = mxd_findings_find(fs, id, NULL);
    ck_assert_msg(f != NULL, "finding %s missing", id);
    return f->sev;
}

static void done(mxd_result *r, mxd_findings *fs)
{
    mxd_findings_free(fs);
    mxd_result_free(r);
}

/* A healthy two-MX domain, used as the base of many tests. */
static void healthy(mxd_result *r)
{
    init(r, "example.jp");
    add_addr(add_target(r, 10, "mx1.example.jp"), "192.0.2.10", MXD_SMTP_END_OK, 220);
    add_addr(add_target(r, 20, "mx2.example.jp"), "198.51.100.20", MXD_SMTP_END_OK, 220);
    r->opts.allow_private = true; /* documentation addresses count as reserved */
}

/* ---- step mx ---- */

START_TEST(healthy_domain_passes)
{
    mxd_result r;
    healthy(&r);
    mxd_findings fs = run(&r);
    ck_assert_int_eq(count(&fs, "mx.found"), 1);
    ck_assert_str_eq(mxd_finding_get(mxd_findings_find(&fs, "mx.found", NULL), "hosts"),
                     "10 mx1.example.jp, 20 mx2.example.jp");
    ck_assert_int_eq(count(&fs, "target.ok"), 2);
    ck_assert_int_eq(count(&fs, "smtp.ok"), 2);
    ck_assert_int_eq(count(&fs, "mx.single"), 0);
    ck_assert_int_eq(mxd_verdict_of(&fs), MXD_VERDICT_PASS);
    ck_assert_int_eq(mxd_verdict_exit(mxd_verdict_of(&fs)), 0);
    done(&r, &fs);
}
END_TEST

START_TEST(single_and_equal_preference)
{
    mxd_result r;
    init(&r, "one.jp");
    r.opts.allow_private = true;
    add_addr(add_target(&r, 10, "mx.one.jp"), "192.0.2.1", MXD_SMTP_END_OK, 220);
    mxd_findings fs = run(&r);
    ck_assert_int_eq(sev_of(&fs, "mx.single"), MXD_SEV_INFO);
    ck_assert_int_eq(count(&fs, "mx.equal_preference"), 0);
    done(&r, &fs);

    init(&r, "tie.jp");
    r.opts.allow_private = true;
    add_addr(add_target(&r, 10, "a.tie.jp"), "192.0.2.1", MXD_SMTP_END_OK, 220);
    add_addr(add_target(&r, 10, "b.tie.jp"), "192.0.2.2", MXD_SMTP_END_OK, 220);
    add_addr(add_target(&r, 20, "c.tie.jp"), "192.0.2.3", MXD_SMTP_END_OK, 220);
    fs = run(&r);
    ck_assert_int_eq(count(&fs, "mx.equal_preference"), 1);
    const mxd_finding *f = mxd_findings_find(&fs, "mx.equal_preference", NULL);
    ck_assert_str_eq(mxd_finding_get(f, "pref"), "10");
    ck_assert_str_eq(mxd_finding_get(f, "hosts"), "a.tie.jp, b.tie.jp");
    done(&r, &fs);
}
END_TEST

START_TEST(nxdomain_fails)
{
    mxd_result r;
    init(&r, "nosuch.jp");
    r.mx.state = r.a.state = r.aaaa.state = MXD_Q_NXDOMAIN;
    mxd_findings fs = run(&r);
    ck_assert_int_eq(sev_of(&fs, "mx.nxdomain"), MXD_SEV_FAIL);
    ck_assert_uint_eq(fs.n, 1);
    ck_assert_int_eq(mxd_verdict_exit(mxd_verdict_of(&fs)), 2);
    done(&r, &fs);
}
END_TEST

START_TEST(no_mx_implicit_and_no_address)
{
    mxd_result r;
    init(&r, "web.jp");
    r.mx.state = MXD_Q_NODATA;
    r.a.state = MXD_Q_OK;
    r.opts.allow_private = true;
    mxd_target *t = add_target(&r, 0, "web.jp");
    t->implicit = true;
    add_addr(t, "192.0.2.80", MXD_SMTP_END_OK, 220);
    mxd_findings fs = run(&r);
    ck_assert_int_eq(sev_of(&fs, "mx.none_implicit"), MXD_SEV_WARN);
    ck_assert_str_eq(mxd_finding_get(mxd_findings_find(&fs, "mx.none_implicit", NULL), "addresses"),
                     "192.0.2.80");
    ck_assert_int_eq(count(&fs, "target.ok"), 1); /* the domain itself is the target */
    ck_assert_int_eq(count(&fs, "smtp.ok"), 1);
    done(&r, &fs);

    init(&r, "empty.jp");
    r.mx.state = MXD_Q_NODATA;
    fs = run(&r);
    ck_assert_int_eq(sev_of(&fs, "mx.none_no_address"), MXD_SEV_FAIL);
    done(&r, &fs);
}
END_TEST

START_TEST(null_mx)
{
    mxd_result r;
    init(&r, "nomail.jp");
    add_target(&r, 0, ".");
    mxd_findings fs = run(&r);
    ck_assert_int_eq(sev_of(&fs, "mx.null"), MXD_SEV_FAIL);
    ck_assert_int_eq(count(&fs, "mx.found"), 0);
    done(&r, &fs);

    init(&r, "mixed.jp");
    r.opts.allow_private = true;
    add_target(&r, 0, ".");
    add_addr(add_target(&r, 10, "mx.mixed.jp"), "192.0.2.1", MXD_SMTP_END_OK, 220);
    fs = run(&r);
    ck_assert_int_eq(sev_of(&fs, "mx.null_mixed"), MXD_SEV_FAIL);
    ck_assert_int_eq(count(&fs, "mx.null"), 0);
    done(&r, &fs);
}
END_TEST

START_TEST(dns_errors_are_not_the_domains_fault)
{
    static const mxd_qstate bad[] = { MXD_Q_SERVFAIL, MXD_Q_REFUSED, MXD_Q_TIMEOUT, MXD_Q_ERROR };
    static const char *const names[] = { "servfail", "refused", "timeout", "error" };
    for (int i = 0; i < 4; i++) {
        mxd_result r;
        init(&r, "example.jp");
        r.mx.state = bad[i];
        snprintf(r.mx.name, sizeof r.mx.name, "example.jp");
        mxd_findings fs = run(&r);
        ck_assert_int_eq(sev_of(&fs, "dns.error"), MXD_SEV_ERROR);
        ck_assert_str_eq(mxd_finding_get(mxd_findings_find(&fs, "dns.error", NULL), "error"), names[i]);
        ck_assert_int_eq(mxd_verdict_exit(mxd_verdict_of(&fs)), 3);
        ck_assert_int_eq(count(&fs, "mx.nxdomain") + count(&fs, "mx.none_no_address"), 0);
        done(&r, &fs);
    }
}
END_TEST

START_TEST(pending_results_say_nothing_yet)
{
    mxd_result r;
    init(&r, "slow.jp");
    r.mx.state = MXD_Q_PENDING;
    mxd_findings fs = run(&r);
    ck_assert_uint_eq(fs.n, 0);
    done(&r, &fs);
}
END_TEST

/* ---- step target ---- */

START_TEST(target_problems)
{
    mxd_result r;
    init(&r, "t.jp");
    mxd_target *t = add_target(&r, 10, "alias.t.jp");
    snprintf(t->cname, sizeof t->cname, "real.t.jp");
    add_addr(t, "8.8.8.8", MXD_SMTP_END_OK, 220); /* data only: unit tests never connect */
    add_target(&r, 20, "192.0.2.9")->ip_literal = true;
    t = add_target(&r, 30, "gone.t.jp");
    t->a.state = MXD_Q_NXDOMAIN;
    t->aaaa.state = MXD_Q_NXDOMAIN;
    t = add_target(&r, 40, "lan.t.jp");
    add_addr(t, "192.168.1.25", MXD_SMTP_END_OK, 220)->state = MXD_SMTP_SKIPPED;
    snprintf(t->smtp[0].error, sizeof t->smtp[0].error, "private");
    t = add_target(&r, 50, "broken.t.jp");
    t->a.state = MXD_Q_SERVFAIL;
    t->aaaa.state = MXD_Q_SERVFAIL;
    t = add_target(&r, 60, "alias.t.jp");
    t->duplicate_of = 0;
    mxd_findings fs = run(&r);
    ck_assert_int_eq(sev_of(&fs, "target.cname"), MXD_SEV_WARN);
    ck_assert_str_eq(mxd_finding_get(mxd_findings_find(&fs, "target.cname", NULL), "cname"), "real.t.jp");
    ck_assert_int_eq(sev_of(&fs, "target.ip_literal"), MXD_SEV_FAIL);
    ck_assert_int_eq(sev_of(&fs, "target.no_address"), MXD_SEV_FAIL);
    ck_assert_str_eq(mxd_finding_get(mxd_findings_find(&fs, "target.no_address", NULL), "reason"), "nxdomain");
    ck_assert_int_eq(sev_of(&fs, "target.private"), MXD_SEV_FAIL);
    ck_assert_str_eq(mxd_finding_get(mxd_findings_find(&fs, "target.private", NULL), "address"), "192.168.1.25");
    ck_assert_int_eq(sev_of(&fs, "target.dns_error"), MXD_SEV_ERROR);
    ck_assert_int_eq(count(&fs, "target.duplicate"), 1);
    ck_assert_str_eq(mxd_finding_get(mxd_findings_find(&fs, "target.duplicate", NULL), "prefs"), "10, 60");
    ck_assert_int_eq(sev_of(&fs, "smtp.skipped"), MXD_SEV_SKIP);
    /* the alias with a public address is otherwise fine */
    ck_assert_ptr_nonnull(mxd_findings_find(&fs, "target.ok", "alias.t.jp"));
    done(&r, &fs);
}
END_TEST

START_TEST(private_rules)
{
    mxd_result r;
    init(&r, "lab.test");
    add_addr(add_target(&r, 10, "mx.lab.test"), "127.0.53.1", MXD_SMTP_END_OK, 220);
    mxd_findings fs = run(&r);
    ck_assert_int_eq(count(&fs, "target.private"), 1); /* loopback is private by default */
    done(&r, &fs);
    init(&r, "lab.test");
    r.opts.allow_loopback = true;
    add_addr(add_target(&r, 10, "mx.lab.test"), "127.0.53.1", MXD_SMTP_END_OK, 220);
    add_addr(add_target(&r, 20, "lan.lab.test"), "10.1.2.3", MXD_SMTP_END_OK, 220);
    fs = run(&r);
    ck_assert_int_eq(count(&fs, "target.private"), 1); /* the lab allows loopback only */
    ck_assert_ptr_nonnull(mxd_findings_find(&fs, "target.private", "lan.lab.test"));
    done(&r, &fs);
}
END_TEST

START_TEST(address_classes)
{
    static const struct { const char *ip; bool priv, loop; } cases[] = {
        { "8.8.8.8", false, false }, { "10.0.0.1", true, false }, { "172.16.0.1", true, false },
        { "172.32.0.1", false, false }, { "192.168.0.1", true, false }, { "127.0.0.1", true, true },
        { "100.64.0.1", true, false }, { "169.254.1.1", true, false }, { "192.0.2.1", true, false },
        { "224.0.0.1", true, false }, { "0.1.2.3", true, false }, { "2001:4860::8888", false, false },
        { "::1", true, true }, { "fd00::1", true, false }, { "fe80::1", true, false },
        { "2001:db8::1", true, false }, { "::ffff:10.0.0.1", true, false },
        { "::ffff:127.0.0.1", true, true }, { "::ffff:8.8.8.8", false, false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mxd_addr a;
        memset(&a, 0, sizeof a);
        a.family = strchr(cases[i].ip, ':') ? AF_INET6 : AF_INET;
        ck_assert_int_eq(inet_pton(a.family, cases[i].ip, a.bytes), 1);
        ck_assert_msg(mxd_addr_is_private(&a) == cases[i].priv, "%s private", cases[i].ip);
        ck_assert_msg(mxd_addr_is_loopback(&a) == cases[i].loop, "%s loopback", cases[i].ip);
    }
}
END_TEST

/* ---- step smtp ---- */

START_TEST(primary_down_backup_works_is_warn)
{
    mxd_result r;
    init(&r, "b.jp");
    r.opts.allow_private = true;
    add_addr(add_target(&r, 10, "mx1.b.jp"), "192.0.2.1", MXD_SMTP_END_REFUSED, 0);
    add_addr(add_target(&r, 20, "mx2.b.jp"), "192.0.2.2", MXD_SMTP_END_OK, 220);
    mxd_findings fs = run(&r);
    ck_assert_int_eq(sev_of(&fs, "smtp.refused"), MXD_SEV_WARN);
    ck_assert_int_eq(sev_of(&fs, "smtp.primary_down"), MXD_SEV_WARN);
    const mxd_finding *f = mxd_findings_find(&fs, "smtp.primary_down", NULL);
    ck_assert_str_eq(mxd_finding_get(f, "primary"), "mx1.b.jp");
    ck_assert_str_eq(mxd_finding_get(f, "backup"), "mx2.b.jp");
    ck_assert_int_eq(count(&fs, "smtp.all_down"), 0);
    ck_assert_int_eq(mxd_verdict_of(&fs), MXD_VERDICT_WARN);
    done(&r, &fs);
}
END_TEST

START_TEST(everything_down_is_fail)
{
    mxd_result r;
    init(&r, "d.jp");
    r.opts.allow_private = true;
    add_addr(add_target(&r, 10, "mx1.d.jp"), "192.0.2.1", MXD_SMTP_END_REFUSED, 0);
    add_addr(add_target(&r, 20, "mx2.d.jp"), "192.0.2.2", MXD_SMTP_END_GREETING_TIMEOUT, 0);
    add_addr(add_target(&r, 30, "mx3.d.jp"), "192.0.2.3", MXD_SMTP_END_GREETING_TEMPFAIL, 421);
    add_addr(add_target(&r, 40, "mx4.d.jp"), "192.0.2.4", MXD_SMTP_END_GREETING_REJECT, 554);
    mxd_findings fs = run(&r);
    ck_assert_int_eq(sev_of(&fs, "smtp.refused"), MXD_SEV_FAIL);
    ck_assert_int_eq(sev_of(&fs, "smtp.timeout"), MXD_SEV_FAIL);
    ck_assert_str_eq(mxd_finding_get(mxd_findings_find(&fs, "smtp.timeout", NULL), "stage"), "greeting");
    ck_assert_int_eq(sev_of(&fs, "smtp.greeting_tempfail"), MXD_SEV_FAIL);
    ck_assert_str_eq(mxd_finding_get(mxd_findings_find(&fs, "smtp.greeting_reject", NULL), "code"), "554");
    ck_assert_int_eq(sev_of(&fs, "smtp.all_down"), MXD_SEV_FAIL);
    ck_assert_int_eq(count(&fs, "smtp.port25_blocked_suspected"), 0);
    ck_assert_int_eq(count(&fs, "smtp.primary_down"), 0);
    done(&r, &fs);
}
END_TEST

START_TEST(all_connect_timeouts_suspect_port25)
{
    mxd_result r;
    init(&r, "p.jp");
    r.opts.allow_private = true;
    add_addr(add_target(&r, 10, "mx1.p.jp"), "192.0.2.1", MXD_SMTP_END_CONNECT_TIMEOUT, 0);
    add_addr(add_target(&r, 20, "mx2.p.jp"), "192.0.2.2", MXD_SMTP_END_CONNECT_TIMEOUT, 0);
    mxd_findings fs = run(&r);
    ck_assert_int_eq(sev_of(&fs, "smtp.port25_blocked_suspected"), MXD_SEV_WARN);
    ck_assert_int_eq(count(&fs, "smtp.all_down"), 0);
    ck_assert_int_eq(sev_of(&fs, "smtp.timeout"), MXD_SEV_WARN);
    done(&r, &fs);
}
END_TEST

START_TEST(tls_and_certificate_findings)
{
    mxd_result r;
    init(&r, "c.jp");
    r.opts.allow_private = true;
    mxd_smtp *s = add_addr(add_target(&r, 10, "mx1.c.jp"), "192.0.2.1", MXD_SMTP_END_OK, 220);
    s->starttls_offered = false;
    s->tls_ok = s->tls_attempted = false;
    s->cert.present = false;
    s = add_addr(add_target(&r, 20, "mx2.c.jp"), "192.0.2.2", MXD_SMTP_END_OK, 220);
    s->cert.trusted = false;
    snprintf(s->cert.verify_text, sizeof s->cert.verify_text, "self-signed certificate");
    s->cert.name_matches = false;
    snprintf(s->cert.names, sizeof s->cert.names, "wrong.c.jp");
    s->cert.expired = true;
    s->injected_bytes = 14;
    s = add_addr(add_target(&r, 30, "mx3.c.jp"), "192.0.2.3", MXD_SMTP_END_TLS_FAILED, 220);
    s->tls_ok = false;
    snprintf(s->error, sizeof s->error, "handshake failure");
    mxd_findings fs = run(&r);
    ck_assert_int_eq(sev_of(&fs, "smtp.no_starttls"), MXD_SEV_WARN);
    ck_assert_int_eq(sev_of(&fs, "smtp.cert_untrusted"), MXD_SEV_WARN);
    ck_assert_int_eq(sev_of(&fs, "smtp.cert_name_mismatch"), MXD_SEV_WARN);
    ck_assert_str_eq(mxd_finding_get(mxd_findings_find(&fs, "smtp.cert_name_mismatch", NULL), "names"),
                     "wrong.c.jp");
    ck_assert_int_eq(sev_of(&fs, "smtp.cert_expired"), MXD_SEV_WARN);
    ck_assert_str_eq(mxd_finding_get(mxd_findings_find(&fs, "smtp.starttls_injection", NULL), "bytes"), "14");
    ck_assert_int_eq(sev_of(&fs, "smtp.tls_failed"), MXD_SEV_WARN);
    ck_assert_int_eq(count(&fs, "smtp.ok"), 0);
    ck_assert_int_eq(count(&fs, "smtp.all_down"), 0);
    ck_assert_int_eq(mxd_verdict_of(&fs), MXD_VERDICT_WARN);
    done(&r, &fs);
}
END_TEST

START_TEST(no_smtp_and_no_ipv6_route)
{
    mxd_result r;
    healthy(&r);
    r.opts.no_smtp = true;
    mxd_findings fs = run(&r);
    ck_assert_int_eq(sev_of(&fs, "smtp.skipped"), MXD_SEV_SKIP);
    ck_assert_str_eq(mxd_finding_get(mxd_findings_find(&fs, "smtp.skipped", NULL), "reason"), "no_smtp");
    ck_assert_int_eq(count(&fs, "smtp.ok"), 0);
    done(&r, &fs);

    healthy(&r);
    mxd_smtp *s = add_addr(&r.targets[0], "2001:4860::1", MXD_SMTP_END_UNREACHABLE, 0);
    snprintf(s->error, sizeof s->error, "Network is unreachable");
    fs = run(&r);
    ck_assert_int_eq(sev_of(&fs, "smtp.unreachable"), MXD_SEV_INFO);
    ck_assert_int_eq(mxd_verdict_of(&fs), MXD_VERDICT_PASS);
    done(&r, &fs);
}
END_TEST

START_TEST(hostile_text_is_sanitised_in_params)
{
    mxd_result r;
    init(&r, "h.jp");
    r.opts.allow_private = true;
    mxd_smtp *s = add_addr(add_target(&r, 10, "mx.h.jp"), "192.0.2.1",
                           MXD_SMTP_END_GREETING_REJECT, 554);
    snprintf(s->greeting, sizeof s->greeting, "go away \x1b]52;c;cm0gLXJmIC8=\x07 \xe2\x80\xae");
    mxd_findings fs = run(&r);
    const char *text = mxd_finding_get(mxd_findings_find(&fs, "smtp.greeting_reject", NULL), "text");
    ck_assert_ptr_null(strchr(text, '\x1b'));
    ck_assert_ptr_null(strchr(text, '\x07'));
    ck_assert_ptr_null(strstr(text, "\xe2\x80\xae"));
    ck_assert_ptr_nonnull(strstr(text, "<U+202E>"));
    done(&r, &fs);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("checks");
    TCase *tc = tcase_create("rules");
    tcase_add_test(tc, healthy_domain_passes);
    tcase_add_test(tc, single_and_equal_preference);
    tcase_add_test(tc, nxdomain_fails);
    tcase_add_test(tc, no_mx_implicit_and_no_address);
    tcase_add_test(tc, null_mx);
    tcase_add_test(tc, dns_errors_are_not_the_domains_fault);
    tcase_add_test(tc, pending_results_say_nothing_yet);
    tcase_add_test(tc, target_problems);
    tcase_add_test(tc, private_rules);
    tcase_add_test(tc, address_classes);
    tcase_add_test(tc, primary_down_backup_works_is_warn);
    tcase_add_test(tc, everything_down_is_fail);
    tcase_add_test(tc, all_connect_timeouts_suspect_port25);
    tcase_add_test(tc, tls_and_certificate_findings);
    tcase_add_test(tc, no_smtp_and_no_ipv6_route);
    tcase_add_test(tc, hostile_text_is_sanitised_in_params);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
