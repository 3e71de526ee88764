/* check_propagation.c — the propagation step's pure parts: RFC 1982 serial order,
 * MX sets read from raw answers (byte fixtures with their decoded form beside
 * them), set comparison, every finding with hand-built data, and the JSON.
 * No network (the probe against live lab servers is check_propagation_lab.c).
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "mxd/propagation.h"

/* ---- RFC 1982 -------------------------------------------------------------- */

START_TEST(test_serial_order)
{
    ck_assert_int_eq(mxd_serial_compare(7, 7), MXD_SERIAL_EQUAL);
    ck_assert_int_eq(mxd_serial_compare(1, 2), MXD_SERIAL_LESS);
    ck_assert_int_eq(mxd_serial_compare(2, 1), MXD_SERIAL_GREATER);
    /* Date-style serials, the usual case. */
    ck_assert_int_eq(mxd_serial_compare(2024060101u, 2024060102u), MXD_SERIAL_LESS);
    ck_assert_int_eq(mxd_serial_compare(2024060102u, 2024060101u), MXD_SERIAL_GREATER);
    /* Wrap-around: 4294967295 + 1 is 0, so the larger number is the older one. */
    ck_assert_int_eq(mxd_serial_compare(4294967295u, 0), MXD_SERIAL_LESS);
    ck_assert_int_eq(mxd_serial_compare(0, 4294967295u), MXD_SERIAL_GREATER);
    ck_assert_int_eq(mxd_serial_compare(4294967000u, 5), MXD_SERIAL_LESS);
    /* Just under half the circle ahead is still newer... */
    ck_assert_int_eq(mxd_serial_compare(0, 0x7FFFFFFFu), MXD_SERIAL_LESS);
    ck_assert_int_eq(mxd_serial_compare(0x7FFFFFFFu, 0), MXD_SERIAL_GREATER);
    /* ...just over half is behind... */
    ck_assert_int_eq(mxd_serial_compare(0, 0x80000001u), MXD_SERIAL_GREATER);
    ck_assert_int_eq(mxd_serial_compare(0x80000001u, 0), MXD_SERIAL_LESS);
    /* ...and exactly half is undefined (RFC 1982 §3.2), both ways. */
    ck_assert_int_eq(mxd_serial_compare(0, 0x80000000u), MXD_SERIAL_UNDEFINED);
    ck_assert_int_eq(mxd_serial_compare(0x80000000u, 0), MXD_SERIAL_UNDEFINED);
    ck_assert_int_eq(mxd_serial_compare(100, 100u + 0x80000000u), MXD_SERIAL_UNDEFINED);
}
END_TEST

/* ---- MX sets from raw answers ----------------------------------------------- */

/* example.jp. MX?  →  QR AA RD RA, NOERROR
 *   example.jp. 300 IN MX 20 MX2.example.jp.   (upper case on the wire)
 *   example.jp. 120 IN MX 10 mx1.example.jp.
 *   example.jp. 120 IN MX 10 mx1.example.jp.   (the same record twice)  */
static const uint8_t fx_mx[] = {
    0x12, 0x34, 0x85, 0x80, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00,
    7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 2, 'j', 'p', 0, 0x00, 0x0f, 0x00, 0x01,
    0xc0, 0x0c, 0x00, 0x0f, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x08,
    0x00, 0x14, 3, 'M', 'X', '2', 0xc0, 0x0c,
    0xc0, 0x0c, 0x00, 0x0f, 0x00, 0x01, 0x00, 0x00, 0x00, 0x78, 0x00, 0x08,
    0x00, 0x0a, 3, 'm', 'x', '1', 0xc0, 0x0c,
    0xc0, 0x0c, 0x00, 0x0f, 0x00, 0x01, 0x00, 0x00, 0x00, 0x78, 0x00, 0x08,
    0x00, 0x0a, 3, 'm', 'x', '1', 0xc0, 0x0c,
};

/* example.jp. MX?  →  QR RD RA, NOERROR, no answer (NODATA)
 *   authority: example.jp. 287 IN SOA ns1.example.jp. hostmaster.example.jp.
 *              2024060101 3600 600 86400 300  */
static const uint8_t fx_nodata[] = {
    0xab, 0xcd, 0x81, 0x80, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 2, 'j', 'p', 0, 0x00, 0x0f, 0x00, 0x01,
    0xc0, 0x0c, 0x00, 0x06, 0x00, 0x01, 0x00, 0x00, 0x01, 0x1f, 0x00, 0x27,
    3, 'n', 's', '1', 0xc0, 0x0c,
    10, 'h', 'o', 's', 't', 'm', 'a', 's', 't', 'e', 'r', 0xc0, 0x0c,
    0x78, 0xa4, 0xb4, 0xc5, /* 2024060101 */
    0x00, 0x00, 0x0e, 0x10, 0x00, 0x00, 0x02, 0x58, 0x00, 0x01, 0x51, 0x80,
    0x00, 0x00, 0x01, 0x2c,
};

/* alias.example.jp. MX?  →  QR RD RA, NOERROR
 *   alias.example.jp. 60 IN CNAME example.jp.
 *   example.jp.      300 IN MX 10 mx.example.jp.  */
static const uint8_t fx_cname[] = {
    0x00, 0x01, 0x81, 0x80, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
    5, 'a', 'l', 'i', 'a', 's', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 2, 'j', 'p', 0,
    0x00, 0x0f, 0x00, 0x01,
    0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x02, 0xc0, 0x12,
    0xc0, 0x12, 0x00, 0x0f, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x07,
    0x00, 0x0a, 2, 'm', 'x', 0xc0, 0x12,
};

/* example.jp. MX?  →  QR AA, NXDOMAIN, no SOA at all */
static const uint8_t fx_nxdomain_bare[] = {
    0x00, 0x02, 0x84, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 2, 'j', 'p', 0, 0x00, 0x0f, 0x00, 0x01,
};

static void from_fixture(mxd_mxanswer *a, mxd_qstate st, const uint8_t *buf, size_t len)
{
    mxd_dnsmsg m;
    ck_assert_int_eq(mxd_dns_parse(buf, len, &m), 0);
    ck_assert_int_eq(mxd_mxanswer_from_msg(a, st, &m), 0);
    mxd_dnsmsg_free(&m);
}

static char *fmt(const mxd_mxanswer *a)
{
    static char buf[512];
    mxd_sb sb = MXD_SB_INIT;
    mxd_mxanswer_format(a, &sb);
    snprintf(buf, sizeof buf, "%s", mxd_sb_str(&sb));
    mxd_sb_free(&sb);
    return buf;
}

START_TEST(test_answer_from_wire)
{
    mxd_mxanswer a;
    from_fixture(&a, MXD_Q_OK, fx_mx, sizeof fx_mx);
    ck_assert_int_eq(a.state, MXD_Q_OK);
    ck_assert_uint_eq(a.n, 2); /* the duplicate is one record */
    ck_assert_str_eq(fmt(&a), "10 mx1.example.jp, 20 mx2.example.jp");
    ck_assert(a.ttl_known);
    ck_assert_uint_eq(a.ttl, 120); /* the lowest TTL: when the first record expires */
    mxd_mxanswer_free(&a);

    from_fixture(&a, MXD_Q_NODATA, fx_nodata, sizeof fx_nodata);
    ck_assert_int_eq(a.state, MXD_Q_NODATA);
    ck_assert_uint_eq(a.n, 0);
    ck_assert(a.ttl_known);
    ck_assert_uint_eq(a.ttl, 287); /* the authority SOA's TTL: the negative TTL left */
    ck_assert_str_eq(fmt(&a), "NODATA");
    mxd_mxanswer_free(&a);

    from_fixture(&a, MXD_Q_OK, fx_cname, sizeof fx_cname);
    ck_assert_str_eq(fmt(&a), "10 mx.example.jp");
    ck_assert_uint_eq(a.ttl, 300);
    mxd_mxanswer_free(&a);

    from_fixture(&a, MXD_Q_NXDOMAIN, fx_nxdomain_bare, sizeof fx_nxdomain_bare);
    ck_assert_str_eq(fmt(&a), "NXDOMAIN");
    ck_assert(!a.ttl_known);
    mxd_mxanswer_free(&a);

    /* No message at all: only the state. */
    ck_assert_int_eq(mxd_mxanswer_from_msg(&a, MXD_Q_TIMEOUT, NULL), 0);
    ck_assert_str_eq(fmt(&a), "timeout");
    ck_assert(!mxd_mxanswer_usable(&a));
    mxd_mxanswer_free(&a);
}
END_TEST

/* ---- builders ---------------------------------------------------------------- */

/* "10 mx1.example.jp, 20 b.example.jp" → an OK answer, in the order and case
 * given (the comparison must not care); "NODATA"/"NXDOMAIN" → negative;
 * "timeout" → failure. */
static void set_answer(mxd_mxanswer *a, const char *spec, uint32_t ttl)
{
    mxd_mxanswer_free(a);
    a->ttl = ttl;
    a->ttl_known = true;
    if (strcmp(spec, "NODATA") == 0) {
        a->state = MXD_Q_NODATA;
        return;
    }
    if (strcmp(spec, "NXDOMAIN") == 0) {
        a->state = MXD_Q_NXDOMAIN;
        return;
    }
    if (strcmp(spec, "timeout") == 0) {
        a->state = MXD_Q_TIMEOUT;
        a->ttl_known = false;
        return;
    }
    a->state = MXD_Q_OK;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        unsigned pref;
        char host[256];
        ck_assert_int_eq(sscanf(tok, " %u %255s", &pref, host), 2);
        a->v = realloc(a->v, (a->n + 1) * sizeof *a->v);
        a->v[a->n].pref = (uint16_t)pref;
        snprintf(a->v[a->n].host, sizeof a->v[a->n].host, "%s", host);
        a->n++;
    }
}

static mxd_propagation *new_data(void)
{
    mxd_propagation *d = calloc(1, sizeof *d);
    ck_assert_ptr_nonnull(d);
    d->phase = MXD_PROP_DONE;
    snprintf(d->domain, sizeof d->domain, "example.jp");
    snprintf(d->zone, sizeof d->zone, "example.jp");
    d->zone_state = MXD_ZONE_FOUND;
    return d;
}

static void free_data(mxd_propagation *d)
{
    mxd_propagation_result_free(d);
    free(d);
}

static mxd_prop_server *add_server(mxd_propagation *d, const char *name, const char *ip,
                                   mxd_authsrv_state st, const char *mx, uint32_t serial)
{
    d->servers = realloc(d->servers, (d->nservers + 1) * sizeof *d->servers);
    mxd_prop_server *s = &d->servers[d->nservers++];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    if (ip) {
        s->addr.family = strchr(ip, ':') ? AF_INET6 : AF_INET;
        inet_pton(s->addr.family, ip, s->addr.bytes);
        snprintf(s->addr.text, sizeof s->addr.text, "%s", ip);
    }
    s->state = st;
    if (st == MXD_AUTHSRV_OK) {
        s->aa = true;
        s->has_soa = true;
        s->serial = serial;
        s->soa_ttl = 3600;
        s->soa_minimum = 300;
        set_answer(&s->mx, mx, 3600);
    } else {
        snprintf(s->reason, sizeof s->reason, "%s", mx);
        s->mx.state = MXD_Q_TIMEOUT;
    }
    return s;
}

static mxd_prop_resolver *add_resolver(mxd_propagation *d, const char *server, const char *mx,
                                       uint32_t ttl, time_t at)
{
    d->resolvers = realloc(d->resolvers, (d->nresolvers + 1) * sizeof *d->resolvers);
    mxd_prop_resolver *r = &d->resolvers[d->nresolvers++];
    memset(r, 0, sizeof *r);
    snprintf(r->server, sizeof r->server, "%s", server);
    set_answer(&r->mx, mx, ttl);
    if (mxd_mxanswer_usable(&r->mx)) {
        r->answered_at = at;
        r->expires_at = at + (time_t)ttl;
    }
    return r;
}

/* 2026-11-27 10:00:00 UTC */
#define T0 ((time_t)1795773600)

static mxd_findings run(const mxd_propagation *d)
{
    mxd_findings fs = { NULL, 0, 0 };
    mxd_check_propagation_data(d, "example.jp", &fs);
    for (size_t i = 0; i < fs.n; i++)
        ck_assert_str_eq(fs.v[i].step, "propagation");
    return fs;
}

/* The ids found, in order, space-separated. */
static const char *ids(const mxd_findings *fs)
{
    static char buf[1024];
    buf[0] = '\0';
    for (size_t i = 0; i < fs->n; i++) {
        strcat(buf, i ? " " : "");
        strcat(buf, fs->v[i].id);
    }
    return buf;
}

static const mxd_finding *get(const mxd_findings *fs, const char *id, size_t nth)
{
    for (size_t i = 0; i < fs->n; i++)
        if (strcmp(fs->v[i].id, id) == 0 && nth-- == 0)
            return &fs->v[i];
    ck_abort_msg("no %s among: %s", id, ids(fs));
    return NULL;
}

static void param_is(const mxd_finding *f, const char *key, const char *want)
{
    const char *got = mxd_finding_get(f, key);
    ck_assert_msg(got != NULL, "%s has no param %s", f->id, key);
    ck_assert_str_eq(got, want);
}

static void setup_tz(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
}

/* ---- set comparison ------------------------------------------------------------ */

START_TEST(test_set_comparison)
{
    mxd_mxanswer a = { 0 }, b = { 0 };
    set_answer(&a, "10 mx1.example.jp, 20 mx2.example.jp", 300);
    set_answer(&b, "10 MX1.Example.JP., 20 mx2.example.jp", 60);
    ck_assert(mxd_mxanswer_same(&a, &b)); /* case and trailing dot do not matter; TTL neither */
    set_answer(&b, "10 mx1.example.jp, 30 mx2.example.jp", 300);
    ck_assert(!mxd_mxanswer_same(&a, &b)); /* a preference change is a change */
    set_answer(&b, "10 mx1.example.jp", 300);
    ck_assert(!mxd_mxanswer_same(&a, &b)); /* a record less */
    set_answer(&b, "10 mx1.example.jp, 20 mx3.example.jp", 300);
    ck_assert(!mxd_mxanswer_same(&a, &b)); /* a host changed */
    set_answer(&a, "NODATA", 300);
    set_answer(&b, "NXDOMAIN", 300);
    ck_assert(mxd_mxanswer_same(&a, &b)); /* both: no MX */
    set_answer(&b, "10 mx1.example.jp", 300);
    ck_assert(!mxd_mxanswer_same(&a, &b));
    set_answer(&b, "timeout", 0);
    ck_assert(!mxd_mxanswer_same(&a, &b)); /* a failure says nothing */
    ck_assert(!mxd_mxanswer_same(&b, &b));
    mxd_mxanswer_free(&a);
    mxd_mxanswer_free(&b);

    /* Order on the wire does not matter once read. */
    from_fixture(&a, MXD_Q_OK, fx_mx, sizeof fx_mx);
    set_answer(&b, "20 mx2.example.jp, 10 mx1.example.jp", 300);
    mxd_mxanswer c;
    mxd_dnsmsg m;
    ck_assert_int_eq(mxd_dns_parse(fx_mx, sizeof fx_mx, &m), 0);
    ck_assert_int_eq(mxd_mxanswer_from_msg(&c, MXD_Q_OK, &m), 0);
    mxd_dnsmsg_free(&m);
    ck_assert(mxd_mxanswer_same(&a, &c));
    mxd_mxanswer_free(&a);
    mxd_mxanswer_free(&b);
    mxd_mxanswer_free(&c);
}
END_TEST

/* ---- findings ---------------------------------------------------------------- */

START_TEST(test_consistent)
{
    mxd_propagation *d = new_data();
    add_server(d, "ns1.example.jp", "192.0.2.1", MXD_AUTHSRV_OK, "10 mx1.example.jp, 20 mx2.example.jp", 5);
    add_server(d, "ns2.example.jp", "2001:db8::2", MXD_AUTHSRV_OK, "20 mx2.example.jp, 10 MX1.example.jp", 5);
    add_resolver(d, "127.0.0.53:53", "10 mx1.example.jp, 20 mx2.example.jp", 1800, T0);
    mxd_findings fs = run(d);
    ck_assert_str_eq(ids(&fs), "auth.consistent cache.ttl");
    const mxd_finding *f = get(&fs, "auth.consistent", 0);
    ck_assert_int_eq(f->sev, MXD_SEV_PASS);
    param_is(f, "domain", "example.jp");
    param_is(f, "zone", "example.jp");
    param_is(f, "count", "2");
    param_is(f, "serial", "5");
    param_is(f, "hosts", "10 mx1.example.jp, 20 mx2.example.jp");
    f = get(&fs, "cache.ttl", 0);
    ck_assert_int_eq(f->sev, MXD_SEV_INFO);
    param_is(f, "ttl", "3600");
    param_is(f, "duration", "1h");
    mxd_findings_free(&fs);
    free_data(d);
}
END_TEST

START_TEST(test_consistent_no_mx)
{
    /* Every server says the domain does not exist: they agree; no TTL to explain. */
    mxd_propagation *d = new_data();
    add_server(d, "ns1.example.jp", "192.0.2.1", MXD_AUTHSRV_OK, "NXDOMAIN", 5);
    add_resolver(d, "127.0.0.53:53", "NXDOMAIN", 300, T0);
    mxd_findings fs = run(d);
    ck_assert_str_eq(ids(&fs), "auth.consistent");
    param_is(get(&fs, "auth.consistent", 0), "hosts", "NXDOMAIN");
    mxd_findings_free(&fs);
    free_data(d);
}
END_TEST

START_TEST(test_mismatch)
{
    mxd_propagation *d = new_data();
    add_server(d, "ns1.example.jp", "192.0.2.1", MXD_AUTHSRV_OK, "10 mx.new.example.jp", 7);
    add_server(d, "ns2.example.jp", "192.0.2.2", MXD_AUTHSRV_OK, "10 mx.old.example.jp", 7);
    add_server(d, "ns3.example.jp", "192.0.2.3", MXD_AUTHSRV_OK, "10 mx.new.example.jp", 7);
    /* A resolver holding either set is explained by the servers: no cache finding. */
    add_resolver(d, "127.0.0.53:53", "10 mx.old.example.jp", 600, T0);
    mxd_findings fs = run(d);
    ck_assert_str_eq(ids(&fs), "auth.mismatch");
    const mxd_finding *f = get(&fs, "auth.mismatch", 0);
    ck_assert_int_eq(f->sev, MXD_SEV_FAIL);
    param_is(f, "count", "2");
    param_is(f, "sets", "ns1.example.jp (192.0.2.1), ns3.example.jp (192.0.2.3): 10 mx.new.example.jp; "
                        "ns2.example.jp (192.0.2.2): 10 mx.old.example.jp");
    mxd_findings_free(&fs);
    free_data(d);
}
END_TEST

START_TEST(test_serial_mismatch)
{
    /* Same MX, but the second server missed an update; its serial wrapped. */
    mxd_propagation *d = new_data();
    add_server(d, "ns1.example.jp", "192.0.2.1", MXD_AUTHSRV_OK, "10 mx.example.jp", 4294967295u);
    add_server(d, "ns2.example.jp", "192.0.2.2", MXD_AUTHSRV_OK, "10 mx.example.jp", 3);
    mxd_findings fs = run(d);
    ck_assert_str_eq(ids(&fs), "auth.serial_mismatch cache.ttl");
    const mxd_finding *f = get(&fs, "auth.serial_mismatch", 0);
    ck_assert_int_eq(f->sev, MXD_SEV_WARN);
    ck_assert_str_eq(f->subject, "example.jp");
    param_is(f, "newest", "ns2.example.jp (192.0.2.2)"); /* 3 comes after 4294967295 */
    param_is(f, "serial", "3");
    param_is(f, "serials", "ns1.example.jp (192.0.2.1) 4294967295, ns2.example.jp (192.0.2.2) 3");
    mxd_findings_free(&fs);
    free_data(d);

    /* Exactly half the circle apart: nobody can say which is newer. */
    d = new_data();
    add_server(d, "ns1.example.jp", "192.0.2.1", MXD_AUTHSRV_OK, "10 mx.example.jp", 0);
    add_server(d, "ns2.example.jp", "192.0.2.2", MXD_AUTHSRV_OK, "10 mx.example.jp", 0x80000000u);
    fs = run(d);
    param_is(get(&fs, "auth.serial_mismatch", 0), "newest", "-");
    mxd_findings_free(&fs);
    free_data(d);
}
END_TEST

START_TEST(test_unreachable_and_lame)
{
    mxd_propagation *d = new_data();
    add_server(d, "ns1.example.jp", "192.0.2.1", MXD_AUTHSRV_OK, "10 mx.example.jp", 9);
    add_server(d, "ns2.example.jp", "192.0.2.2", MXD_AUTHSRV_TIMEOUT, "timeout", 0);
    add_server(d, "ns3.example.jp", "192.0.2.3", MXD_AUTHSRV_LAME, "REFUSED", 0);
    add_server(d, "ns4.example.jp", NULL, MXD_AUTHSRV_NO_ADDRESS, "nxdomain", 0);
    add_server(d, "ns5.example.jp", "2001:db8::5", MXD_AUTHSRV_SKIPPED, "no_route", 0);
    mxd_findings fs = run(d);
    ck_assert_str_eq(ids(&fs), "auth.consistent auth.unreachable auth.lame auth.unreachable cache.ttl");
    const mxd_finding *f = get(&fs, "auth.unreachable", 0);
    ck_assert_int_eq(f->sev, MXD_SEV_WARN); /* ns1 still answers */
    ck_assert_str_eq(f->subject, "ns2.example.jp");
    param_is(f, "server", "ns2.example.jp");
    param_is(f, "address", "192.0.2.2");
    param_is(f, "zone", "example.jp");
    param_is(f, "reason", "timeout");
    f = get(&fs, "auth.lame", 0);
    ck_assert_int_eq(f->sev, MXD_SEV_WARN);
    param_is(f, "server", "ns3.example.jp");
    param_is(f, "reason", "REFUSED");
    f = get(&fs, "auth.unreachable", 1);
    param_is(f, "address", "-");
    param_is(f, "reason", "nxdomain");
    param_is(get(&fs, "auth.consistent", 0), "count", "1");
    mxd_findings_free(&fs);
    free_data(d);

    /* Nobody answers with authority: the zone is broken (fail), nothing agrees. */
    d = new_data();
    add_server(d, "ns1.example.jp", "192.0.2.1", MXD_AUTHSRV_LAME, "no_aa", 0);
    add_server(d, "ns2.example.jp", "192.0.2.2", MXD_AUTHSRV_ERROR, "SERVFAIL", 0);
    fs = run(d);
    ck_assert_str_eq(ids(&fs), "auth.lame auth.unreachable");
    ck_assert_int_eq(get(&fs, "auth.lame", 0)->sev, MXD_SEV_FAIL);
    ck_assert_int_eq(get(&fs, "auth.unreachable", 0)->sev, MXD_SEV_FAIL);
    param_is(get(&fs, "auth.unreachable", 0), "reason", "SERVFAIL");
    mxd_findings_free(&fs);
    /* A resolver still answers: the silent server may be our network's doing,
     * but a lame answer did arrive, so it stays a failure. */
    add_resolver(d, "127.0.0.53:53", "10 mx.example.jp", 300, T0);
    fs = run(d);
    ck_assert_int_eq(get(&fs, "auth.lame", 0)->sev, MXD_SEV_FAIL);
    ck_assert_int_eq(get(&fs, "auth.unreachable", 0)->sev, MXD_SEV_WARN);
    mxd_findings_free(&fs);
    free_data(d);
}
END_TEST

START_TEST(test_stale)
{
    setup_tz();
    mxd_propagation *d = new_data();
    add_server(d, "ns1.example.jp", "192.0.2.1", MXD_AUTHSRV_OK, "10 mx.new.example.jp", 9);
    add_server(d, "ns2.example.jp", "192.0.2.2", MXD_AUTHSRV_OK, "10 mx.new.example.jp", 9);
    add_resolver(d, "127.0.0.53:53", "10 mx.new.example.jp", 3600, T0);
    mxd_prop_resolver *r = add_resolver(d, "8.8.8.8:53", "10 mx.old.example.jp", 1234, T0);
    snprintf(r->label, sizeof r->label, "google");
    r->compare = true;
    mxd_findings fs = run(d);
    ck_assert_str_eq(ids(&fs), "auth.consistent cache.ttl cache.stale");
    const mxd_finding *f = get(&fs, "cache.stale", 0);
    ck_assert_int_eq(f->sev, MXD_SEV_WARN);
    ck_assert_str_eq(f->subject, "8.8.8.8:53 (google)");
    param_is(f, "resolver", "8.8.8.8:53 (google)");
    param_is(f, "hosts", "10 mx.old.example.jp");
    param_is(f, "auth_hosts", "10 mx.new.example.jp");
    param_is(f, "ttl", "1234");
    param_is(f, "duration", "20m 34s");
    param_is(f, "expires", "2026-11-27 10:20:34 UTC"); /* T0 + 1234 s, local time = UTC here */
    mxd_findings_free(&fs);

    /* The MX was removed, a resolver still hands out the old one: also stale. */
    set_answer(&d->servers[0].mx, "NODATA", 300);
    set_answer(&d->servers[1].mx, "NODATA", 300);
    fs = run(d);
    ck_assert_str_eq(ids(&fs), "auth.consistent cache.stale cache.stale resolver.disagree");
    param_is(get(&fs, "cache.stale", 0), "auth_hosts", "NODATA");
    mxd_findings_free(&fs);
    free_data(d);
}
END_TEST

START_TEST(test_negative)
{
    setup_tz();
    mxd_propagation *d = new_data();
    add_server(d, "ns1.example.jp", "192.0.2.1", MXD_AUTHSRV_OK, "10 mx.example.jp", 9);
    d->servers[0].soa_minimum = 900;
    d->servers[0].soa_ttl = 600; /* min(900, 600): negative answers live 600 s */
    add_resolver(d, "127.0.0.53:53", "NODATA", 421, T0);
    mxd_findings fs = run(d);
    ck_assert_str_eq(ids(&fs), "auth.consistent cache.ttl cache.negative");
    const mxd_finding *f = get(&fs, "cache.negative", 0);
    ck_assert_int_eq(f->sev, MXD_SEV_WARN);
    param_is(f, "resolver", "127.0.0.53:53");
    param_is(f, "hosts", "10 mx.example.jp");
    param_is(f, "neg_ttl", "600");
    param_is(f, "soa_minimum", "900");
    param_is(f, "soa_ttl", "600");
    param_is(f, "ttl", "421");
    param_is(f, "duration", "7m 1s");
    param_is(f, "expires", "2026-11-27 10:07:01 UTC");
    mxd_findings_free(&fs);

    /* The resolver's NXDOMAIN carried no SOA: it may keep it as long as the zone's
     * negative TTL, counted from when it answered. */
    set_answer(&d->resolvers[0].mx, "NXDOMAIN", 0);
    d->resolvers[0].mx.ttl_known = false;
    d->resolvers[0].expires_at = 0;
    fs = run(d);
    f = get(&fs, "cache.negative", 0);
    param_is(f, "ttl", "600");
    param_is(f, "expires", "2026-11-27 10:10:00 UTC");
    mxd_findings_free(&fs);
    free_data(d);
}
END_TEST

START_TEST(test_resolvers_disagree)
{
    /* No authoritative answer to compare with: two resolvers that differ. */
    mxd_propagation *d = new_data();
    add_server(d, "ns1.example.jp", "192.0.2.1", MXD_AUTHSRV_TIMEOUT, "timeout", 0);
    add_resolver(d, "127.0.0.53:53", "10 a.example.jp", 300, T0);
    add_resolver(d, "192.0.2.53:53", "10 a.example.jp", 200, T0); /* agrees with the first */
    add_resolver(d, "1.1.1.1:53", "10 b.example.jp", 300, T0);
    add_resolver(d, "9.9.9.9:53", "timeout", 0, T0);               /* says nothing */
    mxd_prop_resolver *r = add_resolver(d, "8.8.8.8:53", "10 c.example.jp", 300, T0);
    r->skipped = true;                                             /* not asked */
    mxd_findings fs = run(d);
    ck_assert_str_eq(ids(&fs), "auth.unreachable resolver.disagree");
    /* Resolvers get answers, so the servers do answer someone: maybe not us
     * (a network that blocks port 53). A warning, not a verdict on the zone. */
    ck_assert_int_eq(get(&fs, "auth.unreachable", 0)->sev, MXD_SEV_WARN);
    const mxd_finding *f = get(&fs, "resolver.disagree", 0);
    ck_assert_int_eq(f->sev, MXD_SEV_WARN);
    param_is(f, "count", "2");
    param_is(f, "answers", "127.0.0.53:53: 10 a.example.jp; 192.0.2.53:53: 10 a.example.jp; "
                           "1.1.1.1:53: 10 b.example.jp");
    mxd_findings_free(&fs);
    free_data(d);

    /* Resolvers that agree with each other, with no authority: nothing to say. */
    d = new_data();
    add_resolver(d, "127.0.0.53:53", "10 a.example.jp", 300, T0);
    add_resolver(d, "1.1.1.1:53", "10 A.example.jp", 30, T0);
    fs = run(d);
    ck_assert_str_eq(ids(&fs), "");
    mxd_findings_free(&fs);
    free_data(d);

    /* One resolver up to date, one old: the old one is stale, nobody "disagrees". */
    d = new_data();
    add_server(d, "ns1.example.jp", "192.0.2.1", MXD_AUTHSRV_OK, "10 a.example.jp", 1);
    add_resolver(d, "127.0.0.53:53", "10 a.example.jp", 300, T0);
    add_resolver(d, "1.1.1.1:53", "10 b.example.jp", 300, T0);
    fs = run(d);
    ck_assert_str_eq(ids(&fs), "auth.consistent cache.ttl cache.stale");
    mxd_findings_free(&fs);
    free_data(d);
}
END_TEST

START_TEST(test_phases)
{
    mxd_propagation *d = new_data();
    add_server(d, "ns1.example.jp", "192.0.2.1", MXD_AUTHSRV_TIMEOUT, "timeout", 0);
    d->phase = MXD_PROP_RUNNING; /* not over yet: no verdict */
    mxd_findings fs = run(d);
    ck_assert_uint_eq(fs.n, 0);
    d->phase = MXD_PROP_NOT_RUN;
    fs = run(d);
    ck_assert_uint_eq(fs.n, 0);
    d->phase = MXD_PROP_CANCELLED; /* the run bound: what is known counts */
    fs = run(d);
    ck_assert_str_eq(ids(&fs), "auth.unreachable");
    mxd_findings_free(&fs);
    /* The zone could not be found: the step says it could not look, and nothing
     * about servers it never asked. */
    free_data(d);
    d = new_data();
    d->zone_state = MXD_ZONE_FAILED;
    d->zone[0] = '\0';
    fs = run(d);
    ck_assert_str_eq(ids(&fs), "auth.zone_unknown");
    ck_assert_int_eq(fs.v[0].sev, MXD_SEV_SKIP);
    mxd_findings_free(&fs);
    mxd_check_propagation_data(NULL, "x", &fs);
    ck_assert_uint_eq(fs.n, 0);
    free_data(d);
}
END_TEST

START_TEST(test_durations)
{
    static const struct { uint32_t s; const char *want; } cases[] = {
        { 0, "0s" }, { 59, "59s" }, { 60, "1m" }, { 90, "1m 30s" }, { 3600, "1h" },
        { 3601, "1h" }, { 3660, "1h 1m" }, { 86400, "1d" }, { 93600, "1d 2h" },
        { 604800, "7d" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mxd_propagation *d = new_data();
        add_server(d, "ns1.example.jp", "192.0.2.1", MXD_AUTHSRV_OK, "10 mx.example.jp", 1);
        d->servers[0].mx.ttl = cases[i].s;
        mxd_findings fs = run(d);
        param_is(get(&fs, "cache.ttl", 0), "duration", cases[i].want);
        mxd_findings_free(&fs);
        free_data(d);
    }
}
END_TEST

/* ---- resolvers named on the command line -------------------------------------- */

START_TEST(test_resolver_parse)
{
    char addr[80], label[32];
    ck_assert(mxd_propagation_resolver_parse("Google", addr, sizeof addr, label, sizeof label));
    ck_assert_str_eq(addr, "8.8.8.8:53");
    ck_assert_str_eq(label, "google");
    ck_assert(mxd_propagation_resolver_parse("cloudflare", addr, sizeof addr, label, sizeof label));
    ck_assert_str_eq(addr, "1.1.1.1:53");
    ck_assert(mxd_propagation_resolver_parse("quad9", addr, sizeof addr, label, sizeof label));
    ck_assert_str_eq(addr, "9.9.9.9:53");
    ck_assert(mxd_propagation_resolver_parse("192.0.2.1:5300", addr, sizeof addr, label, sizeof label));
    ck_assert_str_eq(addr, "192.0.2.1:5300");
    ck_assert_str_eq(label, "");
    ck_assert(mxd_propagation_resolver_parse("2001:db8::1", addr, sizeof addr, label, sizeof label));
    ck_assert_str_eq(addr, "[2001:db8::1]:53");
    ck_assert(!mxd_propagation_resolver_parse("dns.google", addr, sizeof addr, label, sizeof label));
    ck_assert(!mxd_propagation_resolver_parse("", addr, sizeof addr, label, sizeof label));
    ck_assert(!mxd_propagation_resolver_parse("1.2.3.4:0", addr, sizeof addr, label, sizeof label));
    ck_assert(!mxd_propagation_resolver_parse("1.2.3.4;rm", addr, sizeof addr, label, sizeof label));
}
END_TEST

/* ---- JSON ------------------------------------------------------------------------ */

START_TEST(test_json)
{
    mxd_propagation *d = new_data();
    d->elapsed_ms = 42;
    add_server(d, "ns1.example.jp", "192.0.2.1", MXD_AUTHSRV_OK, "10 mx.example.jp", 2024060101u);
    add_server(d, "ns2.example.jp", "192.0.2.2", MXD_AUTHSRV_LAME, "REFUSED", 0);
    mxd_prop_resolver *r = add_resolver(d, "8.8.8.8:53", "10 old.example.jp", 1234, T0);
    snprintf(r->label, sizeof r->label, "google");
    r->compare = true;
    add_resolver(d, "1.1.1.1:53", "NODATA", 0, 0)->mx.ttl_known = false;
    mxd_sb sb = MXD_SB_INIT;
    mxd_json j;
    mxd_json_init(&j, &sb, 0);
    mxd_propagation_json(&j, d);
    ck_assert(mxd_json_ok(&j));
    ck_assert_str_eq(mxd_sb_str(&sb),
        "{\"status\":\"done\",\"zone\":\"example.jp\",\"zone_state\":\"found\",\"zone_error\":null,"
        "\"elapsed_ms\":42,\"servers\":["
        "{\"name\":\"ns1.example.jp\",\"address\":\"192.0.2.1\",\"state\":\"ok\",\"reason\":null,"
        "\"aa\":true,\"serial\":2024060101,\"mx_state\":\"ok\",\"mx\":[{\"preference\":10,"
        "\"host\":\"mx.example.jp\"}],\"ttl\":3600,\"elapsed_ms\":0},"
        "{\"name\":\"ns2.example.jp\",\"address\":\"192.0.2.2\",\"state\":\"lame\",\"reason\":"
        "\"REFUSED\",\"aa\":false,\"serial\":null,\"mx_state\":\"timeout\",\"mx\":null,\"ttl\":null,"
        "\"elapsed_ms\":0}],"
        "\"resolvers\":["
        "{\"server\":\"8.8.8.8:53\",\"label\":\"google\",\"compare\":true,\"skipped\":false,"
        "\"mx_state\":\"ok\",\"mx\":[{\"preference\":10,\"host\":\"old.example.jp\"}],\"ttl\":1234,"
        "\"answered_at\":\"2026-11-27T10:00:00Z\",\"expires_at\":\"2026-11-27T10:20:34Z\"},"
        "{\"server\":\"1.1.1.1:53\",\"label\":null,\"compare\":false,\"skipped\":false,"
        "\"mx_state\":\"nodata\",\"mx\":null,\"ttl\":null,\"answered_at\":null,\"expires_at\":null}]}");
    mxd_sb_free(&sb);
    free_data(d);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("propagation");
    TCase *tc = tcase_create("pure");
    tcase_add_test(tc, test_serial_order);
    tcase_add_test(tc, test_answer_from_wire);
    tcase_add_test(tc, test_set_comparison);
    tcase_add_test(tc, test_resolver_parse);
    suite_add_tcase(s, tc);
    tc = tcase_create("findings");
    tcase_add_test(tc, test_consistent);
    tcase_add_test(tc, test_consistent_no_mx);
    tcase_add_test(tc, test_mismatch);
    tcase_add_test(tc, test_serial_mismatch);
    tcase_add_test(tc, test_unreachable_and_lame);
    tcase_add_test(tc, test_stale);
    tcase_add_test(tc, test_negative);
    tcase_add_test(tc, test_resolvers_disagree);
    tcase_add_test(tc, test_phases);
    tcase_add_test(tc, test_durations);
    suite_add_tcase(s, tc);
    tc = tcase_create("json");
    tcase_add_test(tc, test_json);
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
