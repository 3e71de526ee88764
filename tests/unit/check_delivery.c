/* check_delivery.c — step "delivery": the sender's path and the checks on
 * hand-built results (every finding id), addresses and the test message, and
 * the SMTP conversations, connect-only probes and the run against the lab's
 * SMTP servers on loopback (a non-blocking client on the same loop; every wait
 * is "run the loop until it is done, or fail at a deadline"). */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "mxd/checks.h"
#include "mxd/delivery.h"
#include "mxd/labcert.h"
#include "mxd/labsmtp.h"
#include "mxd/smtpprobe.h"

#define WAIT_MS 8000

/* ---- hand-built results ------------------------------------------------------ */

static void init_result(mxd_result *r, const char *domain)
{
    memset(r, 0, sizeof *r);
    snprintf(r->domain, sizeof r->domain, "%s", domain);
    snprintf(r->domain_ascii, sizeof r->domain_ascii, "%s", domain);
    r->mx.state = MXD_Q_OK;
    r->opts.timeout_s = 2;
    r->opts.smtp_port = 25;
}

static mxd_target *add_target(mxd_result *r, uint16_t pref, const char *host)
{
    mxd_target *nv = realloc(r->targets, (r->ntargets + 1) * sizeof *nv);
    ck_assert_ptr_nonnull(nv);
    r->targets = nv;
    mxd_target *t = &r->targets[r->ntargets++];
    memset(t, 0, sizeof *t);
    t->pref = pref;
    snprintf(t->host, sizeof t->host, "%s", host);
    t->duplicate_of = -1;
    t->null_mx = strcmp(host, ".") == 0;
    t->a.state = t->aaaa.state = MXD_Q_OK;
    return t;
}

/* An address of t probed with the given outcome (greeting 220 for "ok" ends). */
static mxd_smtp *add_addr(mxd_target *t, const char *ip, mxd_smtp_state st, mxd_smtp_end end)
{
    mxd_addr *na = realloc(t->addrs, (t->naddrs + 1) * sizeof *na);
    ck_assert_ptr_nonnull(na);
    t->addrs = na;
    mxd_smtp *ns = realloc(t->smtp, (t->naddrs + 1) * sizeof *ns);
    ck_assert_ptr_nonnull(ns);
    t->smtp = ns;
    mxd_addr *a = &t->addrs[t->naddrs];
    mxd_smtp *s = &t->smtp[t->naddrs];
    memset(a, 0, sizeof *a);
    memset(s, 0, sizeof *s);
    a->family = strchr(ip, ':') ? AF_INET6 : AF_INET;
    ck_assert_int_eq(inet_pton(a->family, ip, a->bytes), 1);
    snprintf(a->text, sizeof a->text, "%s", ip);
    s->state = st;
    s->end = end;
    if (st == MXD_SMTP_DONE && (end == MXD_SMTP_END_OK || end == MXD_SMTP_END_TLS_FAILED)) {
        s->greeting_code = 220;
        s->ehlo_code = 250;
        s->tls_ok = end == MXD_SMTP_END_OK;
    }
    if (end == MXD_SMTP_END_GREETING_REJECT)
        s->greeting_code = 554;
    if (end == MXD_SMTP_END_GREETING_TEMPFAIL)
        s->greeting_code = 421;
    t->naddrs++;
    return s;
}

static mxd_smtp *ok(mxd_target *t, const char *ip)
{
    return add_addr(t, ip, MXD_SMTP_DONE, MXD_SMTP_END_OK);
}

static mxd_smtp *end_with(mxd_target *t, const char *ip, mxd_smtp_end e)
{
    return add_addr(t, ip, MXD_SMTP_DONE, e);
}

static const mxd_finding *only(const mxd_findings *fs, const char *prefix)
{
    const mxd_finding *hit = NULL;
    size_t n = strlen(prefix);
    for (size_t i = 0; i < fs->n; i++)
        if (strncmp(fs->v[i].id, prefix, n) == 0) {
            ck_assert_msg(hit == NULL, "two findings starting with %s: %s and %s", prefix,
                          hit ? hit->id : "", fs->v[i].id);
            hit = &fs->v[i];
        }
    return hit;
}

static void expect_param(const mxd_finding *f, const char *key, const char *value)
{
    ck_assert_ptr_nonnull(f);
    const char *v = mxd_finding_get(f, key);
    ck_assert_msg(v != NULL, "%s has no {%s}", f->id, key);
    ck_assert_msg(strcmp(v, value) == 0, "%s {%s} = \"%s\", expected \"%s\"", f->id, key, v, value);
}

/* Runs the checks and returns the one path finding (NULL when none). */
static const mxd_finding *path_finding(const mxd_result *r, const mxd_delivery_result *d,
                                       mxd_findings *fs)
{
    mxd_check_delivery(r, d, fs);
    for (size_t i = 0; i < fs->n; i++)
        ck_assert_str_eq(fs->v[i].step, "delivery");
    return only(fs, "delivery.");
}

/* ---- the path ------------------------------------------------------------------ */

START_TEST(test_path_primary)
{
    mxd_result r;
    init_result(&r, "example.jp");
    ok(add_target(&r, 10, "mx1.example.jp"), "192.0.2.10");
    ok(add_target(&r, 20, "mx2.example.jp"), "192.0.2.20");
    mxd_path p;
    ck_assert_int_eq(mxd_delivery_path(&r, &p), 0);
    ck_assert_int_eq(p.end, MXD_PATH_PRIMARY);
    ck_assert_int_eq(p.accepted, 0);
    ck_assert_uint_eq(p.nhops, 2);
    ck_assert(!p.hops[0].tied);
    char *text = mxd_path_text(&p, "\n");
    ck_assert_str_eq(text, "1. 10 mx1.example.jp 192.0.2.10: accepts (220, TLS)\n"
                           "2. 20 mx2.example.jp 192.0.2.20: accepts (220, TLS)");
    free(text);
    mxd_path_free(&p);

    mxd_findings fs = { 0 };
    const mxd_finding *f = path_finding(&r, NULL, &fs);
    ck_assert_str_eq(f->id, "delivery.path");
    ck_assert_int_eq(f->sev, MXD_SEV_PASS);
    expect_param(f, "host", "mx1.example.jp");
    expect_param(f, "address", "192.0.2.10");
    expect_param(f, "conclusion", "primary");
    expect_param(f, "path", "1. 10 mx1.example.jp 192.0.2.10: accepts (220, TLS); "
                            "2. 20 mx2.example.jp 192.0.2.20: accepts (220, TLS)");
    /* port 25 connected: this network is fine */
    const mxd_finding *n = only(&fs, "network.");
    ck_assert_str_eq(n->id, "network.ok");
    ck_assert_int_eq(n->sev, MXD_SEV_PASS);
    expect_param(n, "host", "mx1.example.jp");
    expect_param(n, "port", "25");
    mxd_findings_free(&fs);
    mxd_result_free(&r);
}
END_TEST

START_TEST(test_path_backup)
{
    mxd_result r;
    init_result(&r, "backup.example");
    end_with(add_target(&r, 10, "mx1.backup.example"), "192.0.2.10", MXD_SMTP_END_REFUSED);
    ok(add_target(&r, 20, "mx2.backup.example"), "192.0.2.20");
    mxd_findings fs = { 0 };
    const mxd_finding *f = path_finding(&r, NULL, &fs);
    ck_assert_str_eq(f->id, "delivery.path_backup");
    ck_assert_int_eq(f->sev, MXD_SEV_WARN);
    ck_assert_str_eq(f->subject, "mx2.backup.example");
    expect_param(f, "primary", "mx1.backup.example");
    expect_param(f, "host", "mx2.backup.example");
    expect_param(f, "conclusion", "backup");
    expect_param(f, "path", "1. 10 mx1.backup.example 192.0.2.10: refused; "
                            "2. 20 mx2.backup.example 192.0.2.20: accepts (220, TLS)");
    mxd_findings_free(&fs);
    mxd_result_free(&r);
}
END_TEST

START_TEST(test_path_tied_and_families)
{
    /* Equal preferences are one group: a working peer is still "primary".
     * Within a host IPv6 comes first, whatever order the answers came in. */
    mxd_result r;
    init_result(&r, "tie.example");
    mxd_target *a = add_target(&r, 10, "a.tie.example");
    end_with(a, "192.0.2.1", MXD_SMTP_END_CONNECT_TIMEOUT);
    end_with(a, "2001:db8::1", MXD_SMTP_END_REFUSED);
    ok(add_target(&r, 10, "b.tie.example"), "192.0.2.2");
    add_addr(add_target(&r, 30, "c.tie.example"), "192.0.2.3", MXD_SMTP_DONE,
             MXD_SMTP_END_TLS_FAILED);
    mxd_path p;
    ck_assert_int_eq(mxd_delivery_path(&r, &p), 0);
    ck_assert_int_eq(p.end, MXD_PATH_PRIMARY);
    ck_assert_uint_eq(p.nhops, 4);
    ck_assert_str_eq(p.hops[0].address, "2001:db8::1");
    ck_assert_str_eq(p.hops[1].address, "192.0.2.1");
    ck_assert(p.hops[0].tied && p.hops[2].tied && !p.hops[3].tied);
    ck_assert_int_eq(p.accepted, 2);
    ck_assert_int_eq(p.hops[3].state, MXD_HOP_ACCEPTS); /* plain text after a failed handshake */
    char *text = mxd_path_text(&p, "\n");
    ck_assert_str_eq(text, "1. 10* a.tie.example 2001:db8::1: refused\n"
                           "2. 10* a.tie.example 192.0.2.1: timeout\n"
                           "3. 10* b.tie.example 192.0.2.2: accepts (220, TLS)\n"
                           "4. 30 c.tie.example 192.0.2.3: accepts (220)");
    free(text);
    mxd_path_free(&p);
    mxd_result_free(&r);
}
END_TEST

START_TEST(test_path_all_fail_and_servers_down)
{
    mxd_result r;
    init_result(&r, "down.example");
    end_with(add_target(&r, 10, "mx1.down.example"), "192.0.2.10", MXD_SMTP_END_REFUSED);
    end_with(add_target(&r, 20, "mx2.down.example"), "192.0.2.20",
             MXD_SMTP_END_GREETING_TEMPFAIL);
    mxd_findings fs = { 0 };
    const mxd_finding *f = path_finding(&r, NULL, &fs);
    ck_assert_str_eq(f->id, "delivery.path_fails");
    ck_assert_int_eq(f->sev, MXD_SEV_FAIL);
    expect_param(f, "count", "2");
    expect_param(f, "conclusion", "all_fail");
    expect_param(f, "path", "1. 10 mx1.down.example 192.0.2.10: refused; "
                            "2. 20 mx2.down.example 192.0.2.20: greeting_4xx (421)");
    /* mx2 connected: the network reaches port 25 */
    ck_assert_str_eq(only(&fs, "network.")->id, "network.ok");
    expect_param(only(&fs, "network."), "host", "mx2.down.example");
    mxd_findings_free(&fs);
    mxd_result_free(&r);
}
END_TEST

START_TEST(test_path_timeouts_untested)
{
    /* Connect timeouts everywhere and nothing else known: the path was never
     * walked from here, so it says nothing about the servers. */
    mxd_result r;
    init_result(&r, "far.example");
    end_with(add_target(&r, 10, "mx1.far.example"), "192.0.2.10", MXD_SMTP_END_CONNECT_TIMEOUT);
    end_with(add_target(&r, 20, "mx2.far.example"), "192.0.2.20", MXD_SMTP_END_CONNECT_TIMEOUT);
    mxd_findings fs = { 0 };
    const mxd_finding *f = path_finding(&r, NULL, &fs);
    ck_assert_str_eq(f->id, "delivery.path_untested");
    ck_assert_int_eq(f->sev, MXD_SEV_INFO);
    expect_param(f, "reason", "port25");
    expect_param(f, "conclusion", "untested");
    ck_assert_ptr_null(only(&fs, "network.")); /* no delivery data: no verdict */
    mxd_findings_free(&fs);
    mxd_result_free(&r);
}
END_TEST

START_TEST(test_path_null_and_untested)
{
    mxd_result r;
    init_result(&r, "null.example");
    add_target(&r, 0, ".");
    mxd_findings fs = { 0 };
    const mxd_finding *f = path_finding(&r, NULL, &fs);
    ck_assert_str_eq(f->id, "delivery.path_null");
    ck_assert_int_eq(f->sev, MXD_SEV_INFO);
    expect_param(f, "domain", "null.example");
    expect_param(f, "conclusion", "null_mx");
    ck_assert_ptr_null(mxd_finding_get(f, "path"));
    mxd_findings_free(&fs);
    mxd_result_free(&r);

    /* --no-smtp: the order only */
    init_result(&r, "nosmtp.example");
    r.opts.no_smtp = true;
    add_addr(add_target(&r, 10, "mx.nosmtp.example"), "192.0.2.1", MXD_SMTP_NOT_RUN,
             MXD_SMTP_END_OK);
    memset(&fs, 0, sizeof fs);
    f = path_finding(&r, NULL, &fs);
    ck_assert_str_eq(f->id, "delivery.path_untested");
    expect_param(f, "reason", "no_smtp");
    expect_param(f, "path", "1. 10 mx.nosmtp.example 192.0.2.1: skipped");
    ck_assert_ptr_null(only(&fs, "network."));
    mxd_findings_free(&fs);
    mxd_result_free(&r);

    /* Private addresses skipped, and an IPv6 address with no route from here */
    init_result(&r, "private.example");
    mxd_target *t = add_target(&r, 10, "mx.private.example");
    add_addr(t, "10.0.0.25", MXD_SMTP_SKIPPED, MXD_SMTP_END_OK);
    end_with(t, "2001:db8::25", MXD_SMTP_END_UNREACHABLE);
    memset(&fs, 0, sizeof fs);
    f = path_finding(&r, NULL, &fs);
    ck_assert_str_eq(f->id, "delivery.path_untested");
    expect_param(f, "reason", "skipped");
    ck_assert_ptr_null(only(&fs, "network."));
    mxd_findings_free(&fs);
    mxd_result_free(&r);
}
END_TEST

START_TEST(test_path_special_targets)
{
    /* A repeated host is tried once; a null MX beside real ones is skipped; a
     * host without an address is a hop that fails. */
    mxd_result r;
    init_result(&r, "mixed.example");
    mxd_target *t = add_target(&r, 0, ".");
    (void)t;
    mxd_target *gone = add_target(&r, 5, "gone.mixed.example");
    gone->a.state = MXD_Q_NXDOMAIN;
    gone->aaaa.state = MXD_Q_NXDOMAIN;
    mxd_target *flaky = add_target(&r, 6, "flaky.mixed.example");
    flaky->a.state = MXD_Q_SERVFAIL;
    flaky->aaaa.state = MXD_Q_NODATA;
    ok(add_target(&r, 10, "mx.mixed.example"), "192.0.2.1");
    add_target(&r, 20, "mx.mixed.example")->duplicate_of = 3;
    mxd_path p;
    ck_assert_int_eq(mxd_delivery_path(&r, &p), 0);
    ck_assert_uint_eq(p.nhops, 3);
    ck_assert_int_eq(p.hops[0].state, MXD_HOP_NO_ADDRESS);
    ck_assert(!p.hops[0].dns_error);
    ck_assert(p.hops[1].dns_error);
    ck_assert_int_eq(p.end, MXD_PATH_BACKUP);
    char *text = mxd_path_text(&p, "\n");
    ck_assert_str_eq(text, "1. 5 gone.mixed.example: no_address\n"
                           "2. 6 flaky.mixed.example: dns_error\n"
                           "3. 10 mx.mixed.example 192.0.2.1: accepts (220, TLS)");
    free(text);
    mxd_path_free(&p);
    mxd_result_free(&r);

    /* Only hosts without addresses: nothing can take the message. */
    init_result(&r, "noaddr.example");
    gone = add_target(&r, 10, "gone.noaddr.example");
    gone->a.state = gone->aaaa.state = MXD_Q_NXDOMAIN;
    mxd_findings fs = { 0 };
    const mxd_finding *f = path_finding(&r, NULL, &fs);
    ck_assert_str_eq(f->id, "delivery.path_fails");
    mxd_findings_free(&fs);
    mxd_result_free(&r);
}
END_TEST

START_TEST(test_path_pending_and_none)
{
    mxd_result r;
    init_result(&r, "slow.example");
    r.mx.state = MXD_Q_PENDING;
    mxd_path p;
    ck_assert_int_eq(mxd_delivery_path(&r, &p), 0);
    ck_assert_int_eq(p.end, MXD_PATH_PENDING);
    mxd_path_free(&p);

    /* mx1 still running: nothing is decided, nothing is said */
    r.mx.state = MXD_Q_OK;
    add_addr(add_target(&r, 10, "mx1.slow.example"), "192.0.2.1", MXD_SMTP_RUNNING,
             MXD_SMTP_END_OK);
    ok(add_target(&r, 20, "mx2.slow.example"), "192.0.2.2");
    mxd_findings fs = { 0 };
    ck_assert_ptr_null(path_finding(&r, NULL, &fs));
    ck_assert_ptr_null(only(&fs, "network."));
    mxd_findings_free(&fs);
    /* ... but once mx1 accepts, a later host still running changes nothing */
    r.targets[0].smtp[0].state = MXD_SMTP_DONE;
    r.targets[0].smtp[0].greeting_code = 220;
    r.targets[1].smtp[0].state = MXD_SMTP_RUNNING;
    ck_assert_int_eq(mxd_delivery_path(&r, &p), 0);
    ck_assert_int_eq(p.end, MXD_PATH_PRIMARY);
    mxd_path_free(&p);
    mxd_result_free(&r);

    /* NXDOMAIN, a failed MX lookup, NODATA without an address: no path */
    static const mxd_qstate none[] = { MXD_Q_NXDOMAIN, MXD_Q_SERVFAIL, MXD_Q_NODATA };
    for (size_t i = 0; i < 3; i++) {
        init_result(&r, "nothing.example");
        r.mx.state = none[i];
        r.a.state = r.aaaa.state = MXD_Q_NODATA;
        memset(&fs, 0, sizeof fs);
        ck_assert_ptr_null(path_finding(&r, NULL, &fs));
        ck_assert_uint_eq(fs.n, 0);
        mxd_findings_free(&fs);
        mxd_result_free(&r);
    }
}
END_TEST

/* ---- the network verdicts ----------------------------------------------------------- */

/* Two MX addresses that failed at connect (refused or timed out as given). */
static void blocked_result(mxd_result *r, mxd_smtp_end e1, mxd_smtp_end e2)
{
    init_result(r, "far.example");
    end_with(add_target(r, 10, "mx1.far.example"), "192.0.2.10", e1);
    end_with(add_target(r, 20, "mx2.far.example"), "192.0.2.20", e2);
}

static mxd_nconn *add_conn(mxd_nconn **v, size_t *n, const char *host, const char *ip,
                           unsigned port, mxd_nc_state st)
{
    mxd_nconn *nv = realloc(*v, (*n + 1) * sizeof *nv);
    ck_assert_ptr_nonnull(nv);
    *v = nv;
    mxd_nconn *c = &nv[(*n)++];
    memset(c, 0, sizeof *c);
    snprintf(c->host, sizeof c->host, "%s", host);
    c->addr.family = AF_INET;
    inet_pton(AF_INET, ip, c->addr.bytes);
    snprintf(c->addr.text, sizeof c->addr.text, "%s", ip);
    c->port = port;
    c->state = st;
    return c;
}

typedef struct net_case {
    const char *name;
    mxd_smtp_end e1, e2;
    mxd_nc_state sub587;   /* NOT_RUN: no submission probe at all */
    const char *probe;     /* NULL: no --probe-host */
    mxd_nc_state probe_st;
    const char *want;      /* network finding id */
    const char *key, *value; /* one of its params */
    const char *path_id;
} net_case;

static const net_case net_cases[] = {
    { "probe host connects: the servers are down", MXD_SMTP_END_CONNECT_TIMEOUT,
      MXD_SMTP_END_CONNECT_TIMEOUT, MXD_NC_TIMEOUT, "relay.test", MXD_NC_CONNECTED,
      "network.servers_down", "basis", "probe_host", "delivery.path_fails" },
    { "probe host fails too: blocked", MXD_SMTP_END_CONNECT_TIMEOUT, MXD_SMTP_END_CONNECT_TIMEOUT,
      MXD_NC_TIMEOUT, "relay.test", MXD_NC_TIMEOUT, "network.port25_blocked", "evidence",
      "probe_host", "delivery.path_untested" },
    { "submission connects and probe host fails: both", MXD_SMTP_END_CONNECT_TIMEOUT,
      MXD_SMTP_END_REFUSED, MXD_NC_CONNECTED, "relay.test", MXD_NC_REFUSED,
      "network.port25_blocked", "evidence", "both", "delivery.path_untested" },
    { "submission connects: blocked", MXD_SMTP_END_CONNECT_TIMEOUT, MXD_SMTP_END_CONNECT_TIMEOUT,
      MXD_NC_CONNECTED, NULL, MXD_NC_NOT_RUN, "network.port25_blocked", "submission",
      "mx1.far.example 192.0.2.10:587", "delivery.path_untested" },
    { "refused everywhere, nothing else: servers down", MXD_SMTP_END_REFUSED, MXD_SMTP_END_REFUSED,
      MXD_NC_REFUSED, NULL, MXD_NC_NOT_RUN, "network.servers_down", "basis", "refused",
      "delivery.path_fails" },
    { "timeouts, nothing answers: undetermined", MXD_SMTP_END_CONNECT_TIMEOUT,
      MXD_SMTP_END_REFUSED, MXD_NC_TIMEOUT, NULL, MXD_NC_NOT_RUN, "network.undetermined", "ports",
      "587, 465", "delivery.path_untested" },
    { "probe host outside the lab counts as not given", MXD_SMTP_END_CONNECT_TIMEOUT,
      MXD_SMTP_END_CONNECT_TIMEOUT, MXD_NC_TIMEOUT, "relay.test", MXD_NC_SKIPPED,
      "network.undetermined", "count", "2", "delivery.path_untested" },
};

START_TEST(test_network_table)
{
    const net_case *c = &net_cases[_i];
    mxd_result r;
    blocked_result(&r, c->e1, c->e2);
    mxd_delivery_result d;
    memset(&d, 0, sizeof d);
    d.started = true;
    d.net.needed = true;
    d.net.finished = true;
    if (c->sub587 != MXD_NC_NOT_RUN)
        for (size_t i = 0; i < 2; i++) {
            const char *ip = i ? "192.0.2.20" : "192.0.2.10";
            const char *host = i ? "mx2.far.example" : "mx1.far.example";
            add_conn(&d.net.alt, &d.net.nalt, host, ip, 587, i ? MXD_NC_TIMEOUT : c->sub587);
            add_conn(&d.net.alt, &d.net.nalt, host, ip, 465, MXD_NC_TIMEOUT);
        }
    if (c->probe) {
        snprintf(d.net.probe_host, sizeof d.net.probe_host, "%s", c->probe);
        d.net.probe_lookup = MXD_Q_OK;
        add_conn(&d.net.probe, &d.net.nprobe, c->probe, "198.51.100.25", 25, c->probe_st);
    }
    mxd_findings fs = { 0 };
    const mxd_finding *p = path_finding(&r, &d, &fs);
    const mxd_finding *f = only(&fs, "network.");
    ck_assert_msg(f != NULL, "%s: no network finding", c->name);
    ck_assert_msg(strcmp(f->id, c->want) == 0, "%s: got %s", c->name, f->id);
    expect_param(f, c->key, c->value);
    expect_param(f, "port", "25");
    ck_assert_int_eq(f->sev, strcmp(c->want, "network.port25_blocked") == 0 ? MXD_SEV_WARN
                                                                            : MXD_SEV_INFO);
    if (strcmp(c->want, "network.servers_down") == 0)
        expect_param(f, "probe", strcmp(c->value, "probe_host") == 0 ? "relay.test" : "-");
    ck_assert_msg(p && strcmp(p->id, c->path_id) == 0, "%s: path %s", c->name, p ? p->id : "none");
    if (strcmp(c->path_id, "delivery.path_untested") == 0)
        expect_param(p, "reason", "port25");

    /* While the probes still run (or have not begun), neither the network nor the
     * path is judged. */
    mxd_findings_free(&fs);
    d.net.finished = false;
    memset(&fs, 0, sizeof fs);
    ck_assert_ptr_null(path_finding(&r, &d, &fs));
    ck_assert_ptr_null(only(&fs, "network."));
    mxd_findings_free(&fs);
    d.net.needed = false;
    d.net.finished = true;
    memset(&fs, 0, sizeof fs);
    ck_assert_ptr_null(path_finding(&r, &d, &fs));
    mxd_findings_free(&fs);
    /* A run that ended (the time bound) before the probes: the path as without data */
    d.finished = true;
    memset(&fs, 0, sizeof fs);
    p = path_finding(&r, &d, &fs);
    ck_assert_ptr_null(only(&fs, "network."));
    ck_assert_str_eq(p->id, c->e1 == MXD_SMTP_END_REFUSED && c->e2 == MXD_SMTP_END_REFUSED
                                ? "delivery.path_fails"
                            : c->e1 == MXD_SMTP_END_CONNECT_TIMEOUT &&
                                      c->e2 == MXD_SMTP_END_CONNECT_TIMEOUT
                                ? "delivery.path_untested"
                                : "delivery.path_fails");
    mxd_findings_free(&fs);
    /* A run that never started says nothing either way */
    d.started = false;
    memset(&fs, 0, sizeof fs);
    mxd_check_delivery(&r, &d, &fs);
    ck_assert_ptr_null(only(&fs, "network."));
    mxd_findings_free(&fs);
    mxd_delivery_result_free(&d);
    mxd_result_free(&r);
}
END_TEST

/* ---- recipient check and test message findings ---------------------------------------- */

static void conv_done_with(mxd_conv_result *c, mxd_conv_outcome o, mxd_conv_stage st, int code,
                           const char *enh, const char *text)
{
    c->state = MXD_CONV_DONE;
    c->outcome = o;
    c->stage = st;
    c->code = code;
    snprintf(c->enhanced, sizeof c->enhanced, "%s", enh);
    snprintf(c->text, sizeof c->text, "%s", text);
    snprintf(c->host, sizeof c->host, "mx1.example.jp");
    snprintf(c->address, sizeof c->address, "192.0.2.10");
}

START_TEST(test_rcpt_findings)
{
    mxd_result r;
    init_result(&r, "example.jp");
    ok(add_target(&r, 10, "mx1.example.jp"), "192.0.2.10");
    static const struct {
        mxd_conv_outcome o;
        mxd_conv_stage st;
        int code;
        const char *enh, *text, *id;
        mxd_severity sev;
    } cases[] = {
        { MXD_CONV_ACCEPTED, MXD_STAGE_RCPT, 250, "2.1.5", "2.1.5 Ok", "rcpt.accepted", MXD_SEV_PASS },
        { MXD_CONV_REJECTED, MXD_STAGE_RCPT, 550, "5.1.1",
          "5.1.1 <nobody@example.jp>: Recipient address rejected: User unknown in local "
          "recipient table", "rcpt.rejected", MXD_SEV_FAIL },
        { MXD_CONV_TEMPFAIL, MXD_STAGE_RCPT, 450, "4.7.1",
          "4.7.1 <info@example.jp>: Recipient address rejected: Greylisted", "rcpt.tempfail",
          MXD_SEV_WARN },
        { MXD_CONV_FAILED, MXD_STAGE_MAIL, 550, "5.7.1", "5.7.1 null sender refused", "rcpt.failed",
          MXD_SEV_WARN },
        { MXD_CONV_NOT_TRIED, MXD_STAGE_CONNECT, 0, "", "", "rcpt.skipped", MXD_SEV_SKIP },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mxd_delivery_result d;
        memset(&d, 0, sizeof d);
        d.started = d.net.finished = true;
        conv_done_with(&d.rcpt, cases[i].o, cases[i].st, cases[i].code, cases[i].enh,
                       cases[i].text);
        snprintf(d.rcpt.rcpt, sizeof d.rcpt.rcpt, "nobody@example.jp");
        snprintf(d.rcpt.reason, sizeof d.rcpt.reason,
                 cases[i].o == MXD_CONV_FAILED ? "reply" : "no_working_mx");
        mxd_findings fs = { 0 };
        mxd_check_delivery(&r, &d, &fs);
        const mxd_finding *f = only(&fs, "rcpt.");
        ck_assert_msg(f && strcmp(f->id, cases[i].id) == 0, "case %zu: %s", i, f ? f->id : "none");
        ck_assert_int_eq(f->sev, cases[i].sev);
        ck_assert_str_eq(f->subject, "nobody@example.jp");
        expect_param(f, "rcpt", "nobody@example.jp");
        ck_assert_ptr_null(only(&fs, "send."));
        switch (cases[i].o) {
        case MXD_CONV_ACCEPTED:
            expect_param(f, "code", "250");
            expect_param(f, "host", "mx1.example.jp");
            break;
        case MXD_CONV_REJECTED:
            expect_param(f, "enhanced", "5.1.1");
            expect_param(f, "stage", "rcpt");
            expect_param(f, "bounce", "bounce.5.1.1");
            break;
        case MXD_CONV_TEMPFAIL:
            expect_param(f, "code", "450");
            ck_assert_str_ne(mxd_finding_get(f, "bounce"), "-");
            break;
        case MXD_CONV_FAILED:
            expect_param(f, "stage", "mail");
            expect_param(f, "reason", "reply");
            expect_param(f, "detail", "550 5.7.1 null sender refused");
            break;
        case MXD_CONV_NOT_TRIED:
            expect_param(f, "reason", "no_working_mx");
            break;
        }
        mxd_findings_free(&fs);
        mxd_delivery_result_free(&d);
    }
    /* Running: nothing yet */
    mxd_delivery_result d;
    memset(&d, 0, sizeof d);
    d.started = true;
    d.rcpt.state = MXD_CONV_RUNNING;
    mxd_findings fs = { 0 };
    mxd_check_delivery(&r, &d, &fs);
    ck_assert_ptr_null(only(&fs, "rcpt."));
    mxd_findings_free(&fs);
    mxd_result_free(&r);
}
END_TEST

START_TEST(test_send_findings)
{
    mxd_result r;
    init_result(&r, "example.jp");
    ok(add_target(&r, 10, "mx1.example.jp"), "192.0.2.10");
    static const struct {
        mxd_conv_outcome o;
        mxd_conv_stage st;
        int code;
        const char *id, *stage;
    } cases[] = {
        { MXD_CONV_ACCEPTED, MXD_STAGE_MESSAGE, 250, "send.accepted", NULL },
        { MXD_CONV_REJECTED, MXD_STAGE_DATA, 554, "send.rejected", "data" },
        { MXD_CONV_TEMPFAIL, MXD_STAGE_MAIL, 451, "send.tempfail", "mail" },
        { MXD_CONV_FAILED, MXD_STAGE_MESSAGE, 0, "send.failed", "message" },
        { MXD_CONV_NOT_TRIED, MXD_STAGE_CONNECT, 0, "send.skipped", NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mxd_delivery_result d;
        memset(&d, 0, sizeof d);
        d.started = true;
        conv_done_with(&d.send, cases[i].o, cases[i].st, cases[i].code, "", "reply text");
        snprintf(d.send.mail_from, sizeof d.send.mail_from, "me@sender.example");
        snprintf(d.send.rcpt, sizeof d.send.rcpt, "info@example.jp");
        snprintf(d.send.id, sizeof d.send.id, "0123456789abcdef");
        snprintf(d.send.reason, sizeof d.send.reason, "timeout");
        snprintf(d.send.error, sizeof d.send.error, "no reply in time");
        mxd_findings fs = { 0 };
        mxd_check_delivery(&r, &d, &fs);
        const mxd_finding *f = only(&fs, "send.");
        ck_assert_msg(f && strcmp(f->id, cases[i].id) == 0, "case %zu: %s", i, f ? f->id : "none");
        expect_param(f, "from", "me@sender.example");
        expect_param(f, "to", "info@example.jp");
        expect_param(f, "id", "0123456789abcdef");
        if (cases[i].stage)
            expect_param(f, "stage", cases[i].stage);
        if (cases[i].o == MXD_CONV_FAILED)
            expect_param(f, "detail", "no reply in time");
        if (cases[i].o == MXD_CONV_NOT_TRIED)
            expect_param(f, "reason", "timeout");
        ck_assert_ptr_null(only(&fs, "rcpt."));
        mxd_findings_free(&fs);
        mxd_delivery_result_free(&d);
    }
    mxd_result_free(&r);
}
END_TEST

/* ---- addresses and the message ------------------------------------------------------------ */

START_TEST(test_addresses)
{
    char out[MXD_ADDR_MAX], dom[256];
    ck_assert(mxd_delivery_address("Info@Example.JP", out, sizeof out, dom, sizeof dom));
    ck_assert_str_eq(out, "Info@example.jp"); /* the local part is the server's business */
    ck_assert_str_eq(dom, "example.jp");
    ck_assert(mxd_delivery_address("first.last+tag@例え.jp", out, sizeof out, dom, sizeof dom));
    ck_assert_str_eq(dom, "xn--r8jz45g.jp");
    /* full-width domain */
    ck_assert(mxd_delivery_address("postmaster@ｅｘａｍｐｌｅ．ｊｐ", out, sizeof out, NULL, 0));
    ck_assert_str_eq(out, "postmaster@example.jp");
    static const char *const bad[] = {
        "", "nobody", "@example.jp", "user@", ".user@example.jp", "user.@example.jp",
        "us..er@example.jp", "us er@example.jp", "user>@example.jp", "<user>@example.jp",
        "user@example.jp>", "user\r\nRCPT TO:<x>@example.jp", "user@exa mple.jp",
        "ユーザー@example.jp", "user@192.0.2.1", "user@[192.0.2.1]", "a\"b@example.jp",
        "user@example", /* a single label */
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.jp", /* 65 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!mxd_delivery_address(bad[i], out, sizeof out, NULL, 0), "accepted: %s",
                      bad[i]);
    ck_assert(!mxd_delivery_address(NULL, out, sizeof out, NULL, 0));
    mxd_delivery_suggested_rcpt("example.jp", out, sizeof out);
    ck_assert_str_eq(out, "postmaster@example.jp");

    char a[17], b[17];
    mxd_delivery_new_id(a);
    mxd_delivery_new_id(b);
    ck_assert_uint_eq(strlen(a), 16);
    ck_assert_uint_eq(strspn(a, "0123456789abcdef"), 16);
    ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(test_message)
{
    /* 2026-11-27 19:27:54 UTC, a Friday */
    const int64_t when = 1795807674;
    mxd_sb m = MXD_SB_INIT;
    ck_assert_int_eq(mxd_delivery_message(&m, "me@a.example", "you@b.example", "00112233aabbccdd",
                                          when, true), 0);
    const char *s = mxd_sb_str(&m);
    ck_assert_ptr_nonnull(strstr(s, "From: <me@a.example>\r\n"));
    ck_assert_ptr_nonnull(strstr(s, "To: <you@b.example>\r\n"));
    ck_assert_ptr_nonnull(strstr(s, "Subject: mxdoctor test 00112233aabbccdd\r\n"));
    ck_assert_ptr_nonnull(strstr(s, "Date: Fri, 27 Nov 2026 19:27:54 +0000\r\n"));
    ck_assert_ptr_nonnull(strstr(s, "Message-ID: <00112233aabbccdd@mxdoctor.invalid>\r\n"));
    ck_assert_ptr_nonnull(strstr(s, "Content-Transfer-Encoding: 8bit\r\n\r\n"));
    ck_assert_ptr_nonnull(strstr(s, "テストメッセージ"));
    for (size_t i = 0; i < m.len; i++) /* CRLF only, never a bare LF or CR */
        if (s[i] == '\n')
            ck_assert_int_eq(s[i - 1], '\r');
        else if (s[i] == '\r')
            ck_assert_int_eq(s[i + 1], '\n');
    ck_assert_int_eq(s[m.len - 1], '\n');
    mxd_sb_free(&m);

    /* Without 8BITMIME: every byte 7-bit, the body base64 that decodes to both lines */
    ck_assert_int_eq(mxd_delivery_message(&m, "me@a.example", "you@b.example", "00112233aabbccdd",
                                          when, false), 0);
    s = mxd_sb_str(&m);
    for (size_t i = 0; i < m.len; i++)
        ck_assert_uint_lt((unsigned char)s[i], 0x80);
    const char *body = strstr(s, "\r\n\r\n");
    ck_assert_ptr_nonnull(body);
    body += 4;
    char joined[1024] = "";
    for (const char *p = body; *p; p++)
        if (*p != '\r' && *p != '\n')
            strncat(joined, p, 1);
    unsigned char dec[1024];
    int n = EVP_DecodeBlock(dec, (const unsigned char *)joined, (int)strlen(joined));
    ck_assert_int_gt(n, 0);
    dec[n] = '\0';
    ck_assert_ptr_nonnull(strstr((char *)dec, "This is a test message from mxdoctor (id 00112233aabbccdd)"));
    ck_assert_ptr_nonnull(strstr((char *)dec, "これは mxdoctor のテストメッセージです"));
    mxd_sb_free(&m);
}
END_TEST

/* ---- against the lab's SMTP servers --------------------------------------------------------- */

#define LAB_ADDR "127.0.78.25"
#define LAB_ADDR2 "127.0.78.26"   /* nothing listens here on the lab port */
#define LAB_NAME "mx.t.lab.test"

static mxd_loop *loop;
static mxd_labca *ca;
static SSL_CTX *client_ctx;

static void setup(void)
{
    char err[256];
    loop = mxd_loop_new();
    ck_assert_ptr_nonnull(loop);
    ca = mxd_labca_new(err, sizeof err);
    ck_assert_msg(ca != NULL, "%s", err);
    client_ctx = mxd_tls_client_ctx(mxd_labca_cert(ca));
    ck_assert_ptr_nonnull(client_ctx);
}

static void teardown(void)
{
    SSL_CTX_free(client_ctx);
    mxd_labca_free(ca);
    ck_assert_uint_eq(mxd_loop_pending(loop), 0); /* nothing left behind */
    mxd_loop_free(loop);
}

static mxd_scn_smtp lab_cfg(const char *addr, mxd_smtp_behaviour b)
{
    mxd_scn_smtp cfg;
    memset(&cfg, 0, sizeof cfg);
    snprintf(cfg.addr, sizeof cfg.addr, "%s", addr);
    snprintf(cfg.name, sizeof cfg.name, "%s", LAB_NAME);
    cfg.behaviour = b;
    return cfg;
}

static mxd_labsmtp *lab_start(const mxd_scn_smtp *cfg, unsigned port)
{
    char err[256];
    SSL_CTX *tls = NULL;
    if (cfg->behaviour != MXD_SMTPB_NO_STARTTLS) {
        tls = mxd_labca_server_ctx(ca, cfg->name, MXD_CERT_GOOD, err, sizeof err);
        ck_assert_msg(tls != NULL, "%s", err);
    }
    for (int i = 0; i < 50; i++) {
        unsigned p = port ? port : 20000u + (unsigned)(random() % 40001);
        mxd_labsmtp *s = mxd_labsmtp_start(loop, cfg, p, tls, 0, NULL, err, sizeof err);
        if (s) {
            SSL_CTX_free(tls);
            return s;
        }
        ck_assert_msg(errno == EADDRINUSE && !port, "%s", err);
    }
    ck_abort_msg("no free port");
    return NULL;
}

static void addr_of(const char *ip, mxd_addr *a)
{
    memset(a, 0, sizeof a[0]);
    a->family = AF_INET;
    ck_assert_int_eq(inet_pton(AF_INET, ip, a->bytes), 1);
    snprintf(a->text, sizeof a->text, "%s", ip);
}

static bool flag_set(void *arg) { return *(bool *)arg; }
static void set_flag(void *arg) { *(bool *)arg = true; }

/* One conversation to ip:port, run to its end. */
static void converse(const char *ip, unsigned port, mxd_conv_kind kind, const char *from,
                     const char *to, unsigned timeout_ms, mxd_conv_result *out)
{
    mxd_addr a;
    addr_of(ip, &a);
    memset(out, 0, sizeof *out);
    bool done = false;
    uint64_t t0 = mxd_now_ms();
    mxd_conv *c = mxd_conv_start(loop, client_ctx, kind, &a, port, LAB_NAME, "client.test", true,
                                 from, to, timeout_ms, out, set_flag, &done);
    ck_assert_ptr_nonnull(c);
    ck_assert_msg(mxd_loop_run_until(loop, flag_set, &done, mxd_now_ms() + WAIT_MS),
                  "conversation did not end");
    ck_assert_int_eq(out->state, MXD_CONV_DONE);
    ck_assert_ptr_nonnull(out->transcript);
    /* bounded: a dead server costs about one timeout, never the whole wait */
    ck_assert_uint_le(mxd_now_ms() - t0, 3u * timeout_ms + 1000u);
}

/* Lets the server notice the client's hang-up, so it stops cleanly. */
static bool server_idle(void *arg) { return mxd_labsmtp_active(arg) == 0; }
static void lab_stop(mxd_labsmtp *s)
{
    mxd_loop_run_until(loop, server_idle, s, mxd_now_ms() + WAIT_MS);
    mxd_labsmtp_stop(s);
}

START_TEST(test_conv_rcpt_accept)
{
    mxd_scn_smtp cfg = lab_cfg(LAB_ADDR, MXD_SMTPB_OK);
    mxd_labsmtp *s = lab_start(&cfg, 0);
    mxd_conv_result out;
    converse(LAB_ADDR, mxd_labsmtp_port(s), MXD_CONV_KIND_RCPT, "", "anyone@t.lab.test", 2000, &out);
    ck_assert_int_eq(out.outcome, MXD_CONV_ACCEPTED);
    ck_assert_int_eq(out.stage, MXD_STAGE_RCPT);
    ck_assert_int_eq(out.code, 250);
    ck_assert_str_eq(out.enhanced, "2.1.5");
    ck_assert(out.tls);
    ck_assert_str_eq(out.host, LAB_NAME);
    ck_assert_str_eq(out.address, LAB_ADDR);
    /* the null sender, RSET and QUIT, and never DATA */
    ck_assert_ptr_nonnull(strstr(out.transcript, "C: MAIL FROM:<>\n"));
    ck_assert_ptr_nonnull(strstr(out.transcript, "C: RCPT TO:<anyone@t.lab.test>\n"));
    ck_assert_ptr_nonnull(strstr(out.transcript, "C: RSET\n"));
    ck_assert_ptr_nonnull(strstr(out.transcript, "C: QUIT\nS: 221"));
    ck_assert_ptr_null(strstr(out.transcript, "DATA"));
    ck_assert_ptr_nonnull(strstr(out.transcript, "C: STARTTLS\n"));
    mxd_conv_result_free(&out);
    lab_stop(s);
}
END_TEST

START_TEST(test_conv_rcpt_reject_unknown)
{
    mxd_scn_smtp cfg = lab_cfg(LAB_ADDR, MXD_SMTPB_OK);
    cfg.rcpt = MXD_RCPT_REJECT_UNKNOWN;
    strcpy(cfg.users[0], "info");
    cfg.nusers = 1;
    mxd_labsmtp *s = lab_start(&cfg, 0);
    unsigned port = mxd_labsmtp_port(s);
    mxd_conv_result out;
    converse(LAB_ADDR, port, MXD_CONV_KIND_RCPT, "", "nobody@t.lab.test", 2000, &out);
    ck_assert_int_eq(out.outcome, MXD_CONV_REJECTED);
    ck_assert_int_eq(out.stage, MXD_STAGE_RCPT);
    ck_assert_int_eq(out.code, 550);
    ck_assert_str_eq(out.enhanced, "5.1.1");
    ck_assert_ptr_nonnull(strstr(out.text, "User unknown"));
    ck_assert_ptr_nonnull(strstr(out.transcript, "C: RSET\n"));
    mxd_conv_result_free(&out);
    /* known users and postmaster (RFC 5321 §4.5.1) pass, in any case */
    static const char *const known[] = { "INFO@t.lab.test", "postmaster@t.lab.test" };
    for (size_t i = 0; i < 2; i++) {
        converse(LAB_ADDR, port, MXD_CONV_KIND_RCPT, "", known[i], 2000, &out);
        ck_assert_msg(out.outcome == MXD_CONV_ACCEPTED, "%s: %d %s", known[i], out.code, out.text);
        mxd_conv_result_free(&out);
    }
    lab_stop(s);
}
END_TEST

START_TEST(test_conv_greylist)
{
    mxd_scn_smtp cfg = lab_cfg(LAB_ADDR, MXD_SMTPB_OK);
    cfg.rcpt = MXD_RCPT_GREYLIST;
    mxd_labsmtp *s = lab_start(&cfg, 0);
    unsigned port = mxd_labsmtp_port(s);
    mxd_conv_result out;
    converse(LAB_ADDR, port, MXD_CONV_KIND_RCPT, "", "info@t.lab.test", 2000, &out);
    ck_assert_int_eq(out.outcome, MXD_CONV_TEMPFAIL);
    ck_assert_int_eq(out.code, 450);
    ck_assert_str_eq(out.enhanced, "4.7.1");
    mxd_conv_result_free(&out);
    /* the retry of the same pair passes; another pair is greylisted again */
    converse(LAB_ADDR, port, MXD_CONV_KIND_RCPT, "", "info@t.lab.test", 2000, &out);
    ck_assert_int_eq(out.outcome, MXD_CONV_ACCEPTED);
    mxd_conv_result_free(&out);
    converse(LAB_ADDR, port, MXD_CONV_KIND_RCPT, "", "sales@t.lab.test", 2000, &out);
    ck_assert_int_eq(out.outcome, MXD_CONV_TEMPFAIL);
    mxd_conv_result_free(&out);
    lab_stop(s);
}
END_TEST

START_TEST(test_conv_send)
{
    mxd_scn_smtp cfg = lab_cfg(LAB_ADDR, MXD_SMTPB_OK);
    cfg.data = MXD_DATA_ACCEPT;
    mxd_labsmtp *s = lab_start(&cfg, 0);
    mxd_conv_result out;
    converse(LAB_ADDR, mxd_labsmtp_port(s), MXD_CONV_KIND_SEND, "me@sender.test",
             "info@t.lab.test", 2000, &out);
    ck_assert_msg(out.outcome == MXD_CONV_ACCEPTED, "%d %s\n%s", out.code, out.text, out.transcript);
    ck_assert_int_eq(out.stage, MXD_STAGE_MESSAGE);
    ck_assert_int_eq(out.code, 250);
    ck_assert_ptr_nonnull(strstr(out.text, "queued as LAB"));
    ck_assert(out.eightbit); /* the lab offers 8BITMIME after TLS */
    ck_assert_uint_eq(strlen(out.id), 16);
    ck_assert_ptr_nonnull(strstr(out.transcript, "C: MAIL FROM:<me@sender.test> BODY=8BITMIME\n"));
    ck_assert_ptr_nonnull(strstr(out.transcript, "C: DATA\nS: 354"));
    ck_assert_ptr_nonnull(strstr(out.transcript, out.id));
    ck_assert_ptr_nonnull(strstr(out.transcript, "C: QUIT\n"));
    mxd_conv_result_free(&out);
    lab_stop(s);

    /* The default lab server refuses DATA: rejected at "data" */
    cfg.data = MXD_DATA_REFUSE;
    s = lab_start(&cfg, 0);
    converse(LAB_ADDR, mxd_labsmtp_port(s), MXD_CONV_KIND_SEND, "me@sender.test",
             "info@t.lab.test", 2000, &out);
    ck_assert_int_eq(out.outcome, MXD_CONV_REJECTED);
    ck_assert_int_eq(out.stage, MXD_STAGE_DATA);
    ck_assert_int_eq(out.code, 554);
    mxd_conv_result_free(&out);
    lab_stop(s);

    /* No STARTTLS: plain text, and no 8BITMIME means no BODY= either way */
    cfg = lab_cfg(LAB_ADDR, MXD_SMTPB_NO_STARTTLS);
    cfg.data = MXD_DATA_ACCEPT;
    s = lab_start(&cfg, 0);
    converse(LAB_ADDR, mxd_labsmtp_port(s), MXD_CONV_KIND_SEND, "me@sender.test",
             "info@t.lab.test", 2000, &out);
    ck_assert_int_eq(out.outcome, MXD_CONV_ACCEPTED);
    ck_assert(!out.tls);
    mxd_conv_result_free(&out);
    lab_stop(s);
}
END_TEST

START_TEST(test_conv_failures_bounded)
{
    mxd_conv_result out;
    /* nothing listens: refused at connect */
    mxd_scn_smtp cfg = lab_cfg(LAB_ADDR, MXD_SMTPB_OK);
    mxd_labsmtp *s = lab_start(&cfg, 0);
    unsigned port = mxd_labsmtp_port(s);
    converse(LAB_ADDR2, port, MXD_CONV_KIND_RCPT, "", "a@t.lab.test", 500, &out);
    ck_assert_int_eq(out.outcome, MXD_CONV_FAILED);
    ck_assert_int_eq(out.stage, MXD_STAGE_CONNECT);
    ck_assert_str_eq(out.reason, "refused");
    mxd_conv_result_free(&out);
    lab_stop(s);

    /* a blackhole: one timeout at the greeting */
    cfg = lab_cfg(LAB_ADDR, MXD_SMTPB_BLACKHOLE);
    s = lab_start(&cfg, 0);
    converse(LAB_ADDR, mxd_labsmtp_port(s), MXD_CONV_KIND_RCPT, "", "a@t.lab.test", 300, &out);
    ck_assert_int_eq(out.outcome, MXD_CONV_FAILED);
    ck_assert_int_eq(out.stage, MXD_STAGE_GREETING);
    ck_assert_str_eq(out.reason, "timeout");
    mxd_conv_result_free(&out);
    mxd_labsmtp_stop(s);

    /* a server that stops reading after its greeting: one timeout at EHLO */
    cfg = lab_cfg(LAB_ADDR, MXD_SMTPB_HOSTILE_NOREAD);
    s = lab_start(&cfg, 0);
    converse(LAB_ADDR, mxd_labsmtp_port(s), MXD_CONV_KIND_SEND, "me@sender.test", "a@t.lab.test",
             300, &out);
    ck_assert_int_eq(out.outcome, MXD_CONV_FAILED);
    ck_assert_int_eq(out.stage, MXD_STAGE_EHLO);
    ck_assert_str_eq(out.reason, "timeout");
    mxd_conv_result_free(&out);
    lab_stop(s);

    /* a 554 greeting: the check could not be made, and the reply says why */
    cfg = lab_cfg(LAB_ADDR, MXD_SMTPB_GREET_554);
    s = lab_start(&cfg, 0);
    converse(LAB_ADDR, mxd_labsmtp_port(s), MXD_CONV_KIND_RCPT, "", "a@t.lab.test", 2000, &out);
    ck_assert_int_eq(out.outcome, MXD_CONV_FAILED);
    ck_assert_int_eq(out.stage, MXD_STAGE_GREETING);
    ck_assert_str_eq(out.reason, "reply");
    ck_assert_int_eq(out.code, 554);
    mxd_conv_result_free(&out);
    lab_stop(s);

    /* a STARTTLS injector: the injected reply is dropped, the check goes on */
    cfg = lab_cfg(LAB_ADDR, MXD_SMTPB_INJECT);
    s = lab_start(&cfg, 0);
    converse(LAB_ADDR, mxd_labsmtp_port(s), MXD_CONV_KIND_RCPT, "", "a@t.lab.test", 2000, &out);
    ck_assert_int_eq(out.outcome, MXD_CONV_ACCEPTED);
    ck_assert(out.tls);
    ck_assert_ptr_nonnull(strstr(out.transcript, "discarded"));
    mxd_conv_result_free(&out);
    lab_stop(s);

    /* hostile bytes in the replies never reach the result unsanitised */
    cfg = lab_cfg(LAB_ADDR, MXD_SMTPB_HOSTILE_ESCAPES);
    s = lab_start(&cfg, 0);
    converse(LAB_ADDR, mxd_labsmtp_port(s), MXD_CONV_KIND_RCPT, "", "a@t.lab.test", 2000, &out);
    ck_assert_ptr_null(strchr(out.transcript, '\x1b'));
    ck_assert_ptr_null(strchr(out.text, '\x1b'));
    mxd_conv_result_free(&out);
    lab_stop(s);
}
END_TEST

/* ---- the run ------------------------------------------------------------------------------ */

typedef struct run_ctx {
    bool done;
    unsigned changes;
} run_ctx;

static void run_changed(void *arg) { ((run_ctx *)arg)->changes++; }
static void run_done(void *arg) { ((run_ctx *)arg)->done = true; }
static bool run_is_done(void *arg) { return ((run_ctx *)arg)->done; }

START_TEST(test_run_rcpt_then_send)
{
    mxd_scn_smtp cfg = lab_cfg(LAB_ADDR, MXD_SMTPB_OK);
    cfg.rcpt = MXD_RCPT_REJECT_UNKNOWN;
    strcpy(cfg.users[0], "info");
    cfg.nusers = 1;
    cfg.data = MXD_DATA_ACCEPT;
    mxd_labsmtp *s = lab_start(&cfg, 0);
    mxd_result r;
    init_result(&r, "t.lab.test");
    r.opts.smtp_port = mxd_labsmtp_port(s);
    r.opts.extra_ca = mxd_labca_cert(ca);
    r.opts.loopback_only = true;
    /* mx0 is down, so the conversations must go to the backup that accepts */
    end_with(add_target(&r, 5, "mx0.t.lab.test"), LAB_ADDR2, MXD_SMTP_END_REFUSED);
    ok(add_target(&r, 10, LAB_NAME), LAB_ADDR);

    mxd_delivery_options dopts;
    memset(&dopts, 0, sizeof dopts);
    dopts.rcpt = "nobody@t.lab.test";
    dopts.send_from = "me@sender.test";
    dopts.send_to = "info@t.lab.test";
    mxd_delivery_result d;
    memset(&d, 0, sizeof d);
    run_ctx rc = { 0 };
    char err[200];
    mxd_delivery_run *run = mxd_delivery_start(loop, NULL, &r.opts, &dopts, "t.lab.test", &d,
                                               run_changed, run_done, &rc, err, sizeof err);
    ck_assert_msg(run != NULL, "%s", err);
    ck_assert_int_eq(d.rcpt.state, MXD_CONV_RUNNING); /* asked for: pending until done */
    mxd_delivery_smtp_done(run, &r);
    ck_assert(!rc.done); /* never from inside the call */
    ck_assert(mxd_loop_run_until(loop, run_is_done, &rc, mxd_now_ms() + WAIT_MS));
    ck_assert(d.finished && d.net.finished && !d.net.needed);
    ck_assert_int_eq(d.rcpt.outcome, MXD_CONV_REJECTED);
    ck_assert_str_eq(d.rcpt.address, LAB_ADDR);
    ck_assert_int_eq(d.send.outcome, MXD_CONV_ACCEPTED);
    ck_assert_uint_gt(rc.changes, 0);

    mxd_findings fs = { 0 };
    r.targets[1].smtp[0].greeting_code = 220;
    mxd_check_delivery(&r, &d, &fs);
    ck_assert_str_eq(only(&fs, "rcpt.")->id, "rcpt.rejected");
    ck_assert_str_eq(only(&fs, "send.")->id, "send.accepted");
    ck_assert_str_eq(only(&fs, "delivery.")->id, "delivery.path_backup");
    mxd_findings_free(&fs);

    /* The JSON carries the path and both conversations */
    mxd_sb sb = MXD_SB_INIT;
    mxd_json j;
    mxd_json_init(&j, &sb, 0);
    mxd_delivery_json(&j, &r, &d);
    ck_assert(mxd_json_ok(&j));
    const char *js = mxd_sb_str(&sb);
    ck_assert_ptr_nonnull(strstr(js, "\"conclusion\":\"backup\""));
    ck_assert_ptr_nonnull(strstr(js, "\"outcome\":\"rejected\""));
    ck_assert_ptr_nonnull(strstr(js, "\"enhanced\":\"5.1.1\""));
    mxd_sb_free(&sb);

    mxd_delivery_result_free(&d);
    mxd_result_free(&r);
    lab_stop(s);
}
END_TEST

START_TEST(test_run_rcpt_other_domain_and_no_mx)
{
    mxd_result r;
    init_result(&r, "t.lab.test");
    r.opts.loopback_only = true;
    end_with(add_target(&r, 10, LAB_NAME), LAB_ADDR2, MXD_SMTP_END_REFUSED);
    mxd_delivery_options dopts;
    memset(&dopts, 0, sizeof dopts);
    dopts.rcpt = "someone@elsewhere.test"; /* never a relay: only the domain's own MX */
    dopts.send_from = "me@sender.test";
    dopts.send_to = "postmaster@t.lab.test"; /* right domain, but no working MX */
    mxd_delivery_result d;
    memset(&d, 0, sizeof d);
    run_ctx rc = { 0 };
    char err[200];
    dopts.submission_ports[0] = 1; /* a port nothing listens on: refused at once */
    mxd_delivery_run *run = mxd_delivery_start(loop, NULL, &r.opts, &dopts, "t.lab.test", &d,
                                               NULL, run_done, &rc, err, sizeof err);
    ck_assert_ptr_nonnull(run);
    mxd_delivery_smtp_done(run, &r);
    mxd_delivery_smtp_done(run, &r); /* a second call is ignored */
    ck_assert(mxd_loop_run_until(loop, run_is_done, &rc, mxd_now_ms() + WAIT_MS));
    ck_assert_int_eq(d.rcpt.outcome, MXD_CONV_NOT_TRIED);
    ck_assert_str_eq(d.rcpt.reason, "other_domain");
    ck_assert_int_eq(d.send.outcome, MXD_CONV_NOT_TRIED);
    ck_assert_str_eq(d.send.reason, "no_working_mx");
    /* port 25 refused everywhere: the same address was tried on the submission port */
    ck_assert(d.net.needed && d.net.finished);
    ck_assert_uint_eq(d.net.nalt, 1);
    ck_assert_uint_eq(d.net.alt[0].port, 1);
    ck_assert_int_eq(d.net.alt[0].state, MXD_NC_REFUSED);
    mxd_findings fs = { 0 };
    mxd_check_delivery(&r, &d, &fs);
    ck_assert_str_eq(only(&fs, "rcpt.")->id, "rcpt.skipped");
    ck_assert_str_eq(only(&fs, "send.")->id, "send.skipped");
    ck_assert_str_eq(only(&fs, "network.")->id, "network.servers_down");
    mxd_findings_free(&fs);
    mxd_delivery_result_free(&d);
    mxd_result_free(&r);
}
END_TEST

START_TEST(test_run_network_probes)
{
    /* The "MX" refuses on the lab port, but listens on a submission port; the
     * probe host answers on the lab port. */
    mxd_scn_smtp cfg = lab_cfg(LAB_ADDR, MXD_SMTPB_OK);
    mxd_labsmtp *probe_srv = lab_start(&cfg, 0);
    unsigned port = mxd_labsmtp_port(probe_srv);
    mxd_scn_smtp cfg2 = lab_cfg(LAB_ADDR2, MXD_SMTPB_OK);
    mxd_labsmtp *sub_srv = lab_start(&cfg2, 0);

    for (int variant = 0; variant < 2; variant++) {
        mxd_result r;
        init_result(&r, "t.lab.test");
        r.opts.smtp_port = port;
        r.opts.loopback_only = true;
        mxd_target *t = add_target(&r, 10, "mx.t.lab.test");
        end_with(t, LAB_ADDR2, MXD_SMTP_END_CONNECT_TIMEOUT);
        end_with(t, "192.0.2.1", MXD_SMTP_END_CONNECT_TIMEOUT); /* outside the lab: skipped */
        mxd_delivery_options dopts;
        memset(&dopts, 0, sizeof dopts);
        dopts.submission_ports[1] = mxd_labsmtp_port(sub_srv);
        /* variant 0: the probe host answers: servers down; 1: it does not: blocked */
        dopts.probe_host = variant == 0 ? "[" LAB_ADDR "]" : "127.0.78.27";
        mxd_delivery_result d;
        memset(&d, 0, sizeof d);
        run_ctx rc = { 0 };
        char err[200];
        mxd_delivery_run *run = mxd_delivery_start(loop, NULL, &r.opts, &dopts, "t.lab.test", &d,
                                                   NULL, run_done, &rc, err, sizeof err);
        ck_assert_ptr_nonnull(run);
        ck_assert_int_eq(d.net.probe_lookup, MXD_Q_OK); /* an address: no lookup */
        mxd_delivery_smtp_done(run, &r);
        ck_assert(mxd_loop_run_until(loop, run_is_done, &rc, mxd_now_ms() + WAIT_MS));
        ck_assert_uint_eq(d.net.nalt, 2);
        ck_assert_int_eq(d.net.alt[0].state, MXD_NC_CONNECTED);
        ck_assert_int_eq(d.net.alt[1].state, MXD_NC_SKIPPED);
        ck_assert_uint_eq(d.net.nprobe, 1);
        ck_assert_int_eq(d.net.probe[0].state, variant == 0 ? MXD_NC_CONNECTED : MXD_NC_REFUSED);
        mxd_findings fs = { 0 };
        mxd_check_delivery(&r, &d, &fs);
        const mxd_finding *f = only(&fs, "network.");
        if (variant == 0) {
            ck_assert_str_eq(f->id, "network.servers_down");
            expect_param(f, "probe", "[" LAB_ADDR "]");
        } else {
            ck_assert_str_eq(f->id, "network.port25_blocked");
            expect_param(f, "evidence", "both");
        }
        mxd_findings_free(&fs);
        mxd_delivery_result_free(&d);
        mxd_result_free(&r);
    }
    lab_stop(probe_srv);
    lab_stop(sub_srv);
}
END_TEST

START_TEST(test_run_cancel)
{
    /* A blackhole and a long timeout: cancelling stops at once and records it. */
    mxd_scn_smtp cfg = lab_cfg(LAB_ADDR, MXD_SMTPB_BLACKHOLE);
    mxd_labsmtp *s = lab_start(&cfg, 0);
    mxd_result r;
    init_result(&r, "t.lab.test");
    r.opts.smtp_port = mxd_labsmtp_port(s);
    r.opts.timeout_s = 30;
    ok(add_target(&r, 10, LAB_NAME), LAB_ADDR);
    mxd_delivery_options dopts;
    memset(&dopts, 0, sizeof dopts);
    dopts.rcpt = "postmaster@t.lab.test";
    dopts.send_from = "me@sender.test";
    dopts.send_to = "info@t.lab.test";
    ck_assert_uint_eq(mxd_delivery_bound_ms(&r.opts, &dopts), 30000u * 25);
    mxd_delivery_result d;
    memset(&d, 0, sizeof d);
    run_ctx rc = { 0 };
    char err[200];
    mxd_delivery_run *run = mxd_delivery_start(loop, NULL, &r.opts, &dopts, "t.lab.test", &d,
                                               NULL, run_done, &rc, err, sizeof err);
    ck_assert_ptr_nonnull(run);
    mxd_delivery_smtp_done(run, &r);
    for (int i = 0; i < 20; i++)
        mxd_loop_run_once(loop, 10);
    ck_assert_int_eq(d.rcpt.state, MXD_CONV_RUNNING);
    mxd_delivery_cancel(run);
    ck_assert(!rc.done);
    ck_assert_int_eq(d.rcpt.state, MXD_CONV_DONE);
    ck_assert_int_eq(d.rcpt.outcome, MXD_CONV_FAILED);
    ck_assert_str_eq(d.rcpt.reason, "timeout");
    ck_assert_int_eq(d.send.state, MXD_CONV_DONE); /* never began */
    ck_assert_int_eq(d.send.outcome, MXD_CONV_FAILED);
    mxd_delivery_result_free(&d);
    mxd_result_free(&r);
    mxd_labsmtp_stop(s);
}
END_TEST

START_TEST(test_ondemand)
{
    /* The wizard's way: after a yes, on a finished diagnosis. */
    mxd_scn_smtp cfg = lab_cfg(LAB_ADDR, MXD_SMTPB_OK);
    cfg.rcpt = MXD_RCPT_GREYLIST;
    mxd_labsmtp *s = lab_start(&cfg, 0);
    mxd_result r;
    init_result(&r, "t.lab.test");
    r.opts.smtp_port = mxd_labsmtp_port(s);
    r.opts.extra_ca = mxd_labca_cert(ca);
    ok(add_target(&r, 10, LAB_NAME), LAB_ADDR);
    mxd_conv_result out;
    memset(&out, 0, sizeof out);
    bool done = false;
    mxd_delivery_conv *c = mxd_delivery_rcpt_start(loop, &r, "info@t.lab.test", &out, set_flag,
                                                   &done);
    ck_assert_ptr_nonnull(c);
    ck_assert(mxd_loop_run_until(loop, flag_set, &done, mxd_now_ms() + WAIT_MS));
    ck_assert_int_eq(out.outcome, MXD_CONV_TEMPFAIL);
    ck_assert(out.tls);
    mxd_conv_result_free(&out);

    /* cancelled half-way: no callback, the result says so */
    done = false;
    c = mxd_delivery_send_start(loop, &r, "me@sender.test", "info@t.lab.test", &out, set_flag,
                                &done);
    ck_assert_ptr_nonnull(c);
    mxd_loop_run_once(loop, 50);
    mxd_delivery_conv_cancel(c);
    ck_assert(!done);
    ck_assert_int_eq(out.state, MXD_CONV_DONE);
    mxd_conv_result_free(&out);

    /* nothing to talk to: completed at once, no handle */
    ck_assert_ptr_null(mxd_delivery_rcpt_start(loop, &r, "info@elsewhere.test", &out, set_flag,
                                               &done));
    ck_assert_int_eq(out.outcome, MXD_CONV_NOT_TRIED);
    ck_assert_str_eq(out.reason, "other_domain");
    mxd_conv_result_free(&out);
    r.targets[0].smtp[0].end = MXD_SMTP_END_REFUSED;
    ck_assert_ptr_null(mxd_delivery_rcpt_start(loop, &r, "info@t.lab.test", &out, set_flag, &done));
    ck_assert_str_eq(out.reason, "no_working_mx");
    mxd_conv_result_free(&out);
    mxd_result_free(&r);
    lab_stop(s);
}
END_TEST

static Suite *delivery_suite(void)
{
    Suite *s = suite_create("delivery");
    TCase *tc = tcase_create("path");
    tcase_add_test(tc, test_path_primary);
    tcase_add_test(tc, test_path_backup);
    tcase_add_test(tc, test_path_tied_and_families);
    tcase_add_test(tc, test_path_all_fail_and_servers_down);
    tcase_add_test(tc, test_path_timeouts_untested);
    tcase_add_test(tc, test_path_null_and_untested);
    tcase_add_test(tc, test_path_special_targets);
    tcase_add_test(tc, test_path_pending_and_none);
    suite_add_tcase(s, tc);

    tc = tcase_create("checks");
    tcase_add_loop_test(tc, test_network_table, 0, sizeof net_cases / sizeof net_cases[0]);
    tcase_add_test(tc, test_rcpt_findings);
    tcase_add_test(tc, test_send_findings);
    tcase_add_test(tc, test_addresses);
    tcase_add_test(tc, test_message);
    suite_add_tcase(s, tc);

    tc = tcase_create("lab");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_conv_rcpt_accept);
    tcase_add_test(tc, test_conv_rcpt_reject_unknown);
    tcase_add_test(tc, test_conv_greylist);
    tcase_add_test(tc, test_conv_send);
    tcase_add_test(tc, test_conv_failures_bounded);
    tcase_add_test(tc, test_run_rcpt_then_send);
    tcase_add_test(tc, test_run_rcpt_other_domain_and_no_mx);
    tcase_add_test(tc, test_run_network_probes);
    tcase_add_test(tc, test_run_cancel);
    tcase_add_test(tc, test_ondemand);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    srandom((unsigned)mxd_now_ms());
    SRunner *sr = srunner_create(delivery_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
