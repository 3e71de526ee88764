/* check_propagation_lab.c — the propagation probe against live lab DNS servers.
 *
 * Each test starts authoritative servers on 127.79.0.1-3 and a caching resolver
 * on 127.79.0.53 (labdns.h), all on one random port in 20000-60000 (another
 * when it is taken), then runs mxd_propagation_start() on the same loop until
 * done() is called, and asserts the result struct and the findings. The zone
 * "prop.test" names ns1/ns2 (127.79.0.1/.2) as its servers; 127.79.0.3, when
 * used, serves an older copy that only the resolver knows about — how a cache
 * that still holds yesterday's answer looks from outside.
 * Servers are ready when their start function returns; no sleeps anywhere.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "mxd/dnsclient.h"
#include "mxd/labdns.h"
#include "mxd/propagation.h"

#define AUTH1 "127.79.0.1"
#define AUTH2 "127.79.0.2"
#define AUTH3 "127.79.0.3"
#define RESOLVER "127.79.0.53"
#define DOMAIN "mail.prop.test"

/* ---- zone views ------------------------------------------------------------ */

typedef enum { V_NEW, V_OLD, V_OLD_SERIAL, V_NO_MX, V_NO_ADDR, V_BIG, V_COUNT } view_id;

static mxd_rr rrs[V_COUNT][96];
static mxd_scn_zone views[V_COUNT];

static mxd_rr rr(const char *name, uint16_t type, uint32_t ttl)
{
    mxd_rr r;
    memset(&r, 0, sizeof r);
    mxd_rr_setf(&r.name, "%s", name);
    r.type = type;
    r.rclass = 1;
    r.ttl = ttl;
    return r;
}

static mxd_rr mx(const char *name, uint16_t pref, const char *host, uint32_t ttl)
{
    mxd_rr r = rr(name, MXD_T_MX, ttl);
    r.u.mx.pref = pref;
    mxd_rr_setf(&r.u.mx.host, "%s", host);
    return r;
}

static mxd_rr a4(const char *name, const char *ip)
{
    mxd_rr r = rr(name, MXD_T_A, 3600);
    inet_pton(AF_INET, ip, r.u.a);
    return r;
}

static mxd_rr ns(const char *host)
{
    mxd_rr r = rr("prop.test", MXD_T_NS, 3600);
    mxd_rr_setf(&r.u.target, "%s", host);
    return r;
}

/* SOA TTL 3600, MINIMUM 300: negative answers are kept 300 s (RFC 2308 §5). */
static mxd_rr soa(uint32_t serial)
{
    mxd_rr r = rr("prop.test", MXD_T_SOA, 3600);
    mxd_rr_setf(&r.u.soa.mname, "ns1.prop.test");
    mxd_rr_setf(&r.u.soa.rname, "hostmaster.prop.test");
    r.u.soa.serial = serial;
    r.u.soa.refresh = 3600;
    r.u.soa.retry = 600;
    r.u.soa.expire = 86400;
    r.u.soa.minimum = 300;
    return r;
}

static void build_views(void)
{
    for (int v = 0; v < V_COUNT; v++) {
        size_t n = 0;
        mxd_rr *z = rrs[v];
        for (size_t i = 0; i < sizeof rrs[v] / sizeof rrs[v][0]; i++)
            mxd_rr_clear(&z[i]); /* the previous test's names */
        z[n++] = soa(v == V_NEW || v == V_NO_ADDR || v == V_BIG ? 2024060102u : 2024060101u);
        z[n++] = ns("ns1.prop.test");
        z[n++] = ns("ns2.prop.test");
        if (v == V_NO_ADDR)
            z[n++] = ns("ns3.prop.test"); /* named, but it has no address anywhere */
        z[n++] = a4("ns1.prop.test", AUTH1);
        z[n++] = a4("ns2.prop.test", AUTH2);
        z[n++] = a4(DOMAIN, "127.0.25.80"); /* the name exists even without MX */
        z[n++] = mx("prop.test", 10, "apex-mx.prop.test", 600);
        switch (v) {
        case V_NEW:
        case V_OLD_SERIAL:
        case V_NO_ADDR:
            z[n++] = mx(DOMAIN, 10, "mx-new.prop.test", 3600);
            break;
        case V_OLD:
            z[n++] = mx(DOMAIN, 10, "mx-old.prop.test", 3600);
            break;
        case V_NO_MX:
            break;
        case V_BIG:
            /* Too big for one 1232-byte UDP answer: the client must retry over TCP. */
            for (int i = 0; i < 60; i++) {
                char h[96];
                snprintf(h, sizeof h, "mail-exchanger-number-%02d.prop.test", i);
                z[n++] = mx(DOMAIN, (uint16_t)(i + 1), h, 3600);
            }
            break;
        }
        memset(&views[v], 0, sizeof views[v]);
        snprintf(views[v].origin, sizeof views[v].origin, "prop.test");
        views[v].rrs = z;
        views[v].nrrs = n;
    }
}

/* ---- fixture ------------------------------------------------------------------ */

typedef struct server_spec {
    const char *addr;
    mxd_auth_mode mode;
    view_id view;
    bool resolver_asks; /* the resolver is told this server serves prop.test */
} server_spec;

typedef struct lab {
    mxd_loop *loop;
    uint16_t port;
    mxd_labdns_auth *auth[3];
    size_t nauth;
    mxd_labdns_resolver *res;
    unsigned base_pending; /* loop entries the servers themselves hold */
} lab;

static uint16_t random_port(void)
{
    uint32_t v = 0;
    if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
        v = (uint32_t)mxd_now_ms() * 2654435761u;
    return (uint16_t)(20000 + v % 40001);
}

static void lab_stop(lab *l)
{
    mxd_labdns_resolver_free(l->res);
    l->res = NULL;
    for (size_t i = 0; i < l->nauth; i++)
        mxd_labdns_auth_free(l->auth[i]);
    l->nauth = 0;
}

static void lab_start(lab *l, const server_spec *specs, size_t n)
{
    build_views();
    memset(l, 0, sizeof *l);
    l->loop = mxd_loop_new();
    ck_assert_ptr_nonnull(l->loop);
    char err[256] = "";
    for (int attempt = 0; attempt < 20 && !l->res; attempt++) {
        l->port = random_port();
        if (l->port == 5353)
            continue;
        bool inuse = false;
        for (size_t i = 0; i < n && !inuse; i++) {
            mxd_labdns_auth_cfg c = { .addr = specs[i].addr, .port = l->port,
                                      .mode = specs[i].mode, .zones = &views[specs[i].view],
                                      .nzones = 1 };
            l->auth[l->nauth] = mxd_labdns_auth_start(l->loop, &c, err, sizeof err);
            if (!l->auth[l->nauth]) {
                ck_assert_msg(errno == EADDRINUSE, "auth start: %s", err);
                inuse = true;
            } else {
                l->nauth++;
            }
        }
        if (!inuse) {
            mxd_labdns_resolver_cfg rc = { .addr = RESOLVER, .port = l->port };
            l->res = mxd_labdns_resolver_start(l->loop, &rc, err, sizeof err);
            ck_assert_msg(l->res || errno == EADDRINUSE, "resolver start: %s", err);
        }
        if (!l->res)
            lab_stop(l);
    }
    ck_assert_msg(l->res, "no free port found: %s", err);
    for (size_t i = 0; i < n; i++)
        if (specs[i].resolver_asks)
            ck_assert_int_eq(mxd_labdns_resolver_add_zone(l->res, "prop.test", specs[i].addr), 0);
    l->base_pending = mxd_loop_pending(l->loop);
}

static void lab_free(lab *l)
{
    lab_stop(l);
    ck_assert_uint_eq(mxd_loop_pending(l->loop), 0);
    mxd_loop_free(l->loop);
}

/* ---- running the probe ---------------------------------------------------------- */

typedef struct probe {
    mxd_propagation out;
    mxd_propagation_run *run;
    mxd_dns *lent;             /* the "engine's" recursive client, or NULL */
    unsigned ndone, nchanged;
    uint64_t ms;
    mxd_findings fs;
} probe;

static void on_changed(void *arg) { ((probe *)arg)->nchanged++; }
static void on_done(void *arg) { ((probe *)arg)->ndone++; }
static bool is_done(void *arg) { return ((probe *)arg)->ndone > 0; }

static char resolver_spec[64];
static char *resolver_list[1] = { resolver_spec };

static mxd_options lab_options(const lab *l, int timeout_s)
{
    mxd_options o;
    memset(&o, 0, sizeof o);
    snprintf(resolver_spec, sizeof resolver_spec, "%s:%u", RESOLVER, (unsigned)l->port);
    o.resolvers = resolver_list;
    o.nresolvers = 1;
    o.dns_port = l->port;
    o.timeout_s = timeout_s;
    o.loopback_only = true;
    return o;
}

static bool settled(void *arg)
{
    const lab *l = arg;
    return mxd_loop_pending(l->loop) == l->base_pending;
}

/* Lets the servers notice closed TCP connections (each holds an fd and an
 * idle timer until it reads the end of the stream). */
static void settle(lab *l)
{
    mxd_loop_run_until(l->loop, settled, l, mxd_now_ms() + 2000);
}

/* A recursive client such as the engine lends the probe. */
static mxd_dns *lend_client(lab *l, const mxd_options *o)
{
    char err[160] = "";
    mxd_dns *d = mxd_dns_new(l->loop, resolver_spec, (unsigned)o->timeout_s * 1000u, true, err,
                             sizeof err);
    ck_assert_msg(d != NULL, "client: %s", err);
    return d;
}

/* Runs the probe to its end: with a lent recursive client (as in the engine)
 * or, lend false, with the one it opens itself. */
static void run_probe_at(lab *l, const mxd_options *o, const char *domain, probe *p,
                         const char *who, bool lend)
{
    memset(p, 0, sizeof *p);
    char err[160] = "";
    p->lent = lend ? lend_client(l, o) : NULL;
    uint64_t t0 = mxd_now_ms();
    p->run = mxd_propagation_start(l->loop, p->lent, o, domain, &p->out, on_changed, on_done, p,
                                   err, sizeof err);
    ck_assert_msg(p->run != NULL, "start: %s", err);
    ck_assert_uint_eq(p->ndone, 0); /* never from inside start */
    ck_assert(mxd_loop_run_until(l->loop, is_done, p, t0 + 10000));
    p->ms = mxd_now_ms() - t0;
    ck_assert_uint_eq(p->ndone, 1);
    ck_assert_uint_gt(p->nchanged, 0);
    ck_assert_int_eq(p->out.phase, MXD_PROP_DONE);
    /* The run freed itself and every channel it opened: once the lent client
     * is gone too, only the servers remain (when they have seen the probe's TCP
     * connections close). */
    mxd_dns_free(p->lent);
    p->lent = NULL;
    settle(l);
    ck_assert_uint_eq(mxd_loop_pending(l->loop), l->base_pending);
    mxd_check_propagation_data(&p->out, NULL, &p->fs);
    printf("%-26s %-24s %5llu ms:", who, domain, (unsigned long long)p->ms);
    for (size_t i = 0; i < p->fs.n; i++)
        printf(" %s", p->fs.v[i].id);
    printf("\n");
}

#define run_probe(l, o, d, p) run_probe_at(l, o, d, p, __func__, true)
#define run_probe_own(l, o, d, p) run_probe_at(l, o, d, p, __func__, false)

static void probe_free(probe *p)
{
    mxd_findings_free(&p->fs);
    mxd_propagation_result_free(&p->out);
}

static const char *ids(const probe *p)
{
    static char buf[512];
    buf[0] = '\0';
    for (size_t i = 0; i < p->fs.n; i++) {
        strcat(buf, i ? " " : "");
        strcat(buf, p->fs.v[i].id);
    }
    return buf;
}

static const char *answer_text(const mxd_mxanswer *a)
{
    static char buf[4096];
    mxd_sb sb = MXD_SB_INIT;
    mxd_mxanswer_format(a, &sb);
    snprintf(buf, sizeof buf, "%s", mxd_sb_str(&sb));
    mxd_sb_free(&sb);
    return buf;
}

static const mxd_prop_server *server_at(const probe *p, const char *addr)
{
    for (size_t i = 0; i < p->out.nservers; i++)
        if (strcmp(p->out.servers[i].addr.text, addr) == 0)
            return &p->out.servers[i];
    ck_abort_msg("no server %s", addr);
    return NULL;
}

/* ---- tests ------------------------------------------------------------------------ */

static const server_spec two_new[] = {
    { AUTH1, MXD_AUTH_NORMAL, V_NEW, true },
    { AUTH2, MXD_AUTH_NORMAL, V_NEW, true },
};

START_TEST(test_consistent)
{
    lab l;
    lab_start(&l, two_new, 2);
    mxd_options o = lab_options(&l, 2);
    probe p;
    run_probe(&l, &o, DOMAIN, &p);
    ck_assert_str_eq(p.out.zone, "prop.test");
    ck_assert_int_eq(p.out.zone_state, MXD_ZONE_FOUND);
    ck_assert_uint_eq(p.out.nservers, 2);
    for (size_t i = 0; i < 2; i++) {
        const mxd_prop_server *s = &p.out.servers[i];
        ck_assert_int_eq(s->state, MXD_AUTHSRV_OK);
        ck_assert(s->aa);
        ck_assert(s->has_soa);
        ck_assert_uint_eq(s->serial, 2024060102u);
        ck_assert_uint_eq(s->soa_minimum, 300);
        ck_assert_str_eq(answer_text(&s->mx), "10 mx-new.prop.test");
        ck_assert_uint_eq(s->mx.ttl, 3600);
        /* Asked without recursion, as dig +norecurse does. */
        ck_assert_ptr_nonnull(s->mx_q.msg);
        ck_assert(!(s->mx_q.msg->flags & MXD_F_RD));
    }
    /* ns2 is asked exactly twice (SOA, MX): one direct question each. */
    ck_assert_uint_eq(mxd_labdns_auth_queries(l.auth[1]), 2);
    ck_assert_str_eq(server_at(&p, AUTH1)->name, "ns1.prop.test");
    ck_assert_str_eq(server_at(&p, AUTH2)->name, "ns2.prop.test");
    ck_assert_uint_eq(p.out.nresolvers, 1);
    const mxd_prop_resolver *r = &p.out.resolvers[0];
    ck_assert_str_eq(r->server, resolver_spec);
    ck_assert(!r->compare);
    ck_assert_str_eq(answer_text(&r->mx), "10 mx-new.prop.test");
    ck_assert_uint_le(r->mx.ttl, 3600);
    ck_assert_uint_ge(r->mx.ttl, 3598);
    ck_assert(r->answered_at > 0);
    ck_assert_int_eq((int)(r->expires_at - r->answered_at), (int)r->mx.ttl);
    ck_assert_str_eq(ids(&p), "auth.consistent cache.ttl");
    probe_free(&p);

    /* The zone apex itself: its SOA is in the answer, not the authority section. */
    run_probe(&l, &o, "prop.test", &p);
    ck_assert_str_eq(p.out.zone, "prop.test");
    ck_assert_str_eq(answer_text(&p.out.servers[0].mx), "10 apex-mx.prop.test");
    ck_assert_str_eq(ids(&p), "auth.consistent cache.ttl");
    probe_free(&p);

    /* A name deeper down that does not exist: NXDOMAIN everywhere, consistently. */
    run_probe_own(&l, &o, "no.such.name.prop.test", &p);
    ck_assert_str_eq(p.out.zone, "prop.test");
    ck_assert_int_eq(p.out.servers[0].mx.state, MXD_Q_NXDOMAIN);
    ck_assert_str_eq(ids(&p), "auth.consistent");
    probe_free(&p);
    lab_free(&l);
}
END_TEST

START_TEST(test_mismatch)
{
    static const server_spec s[] = {
        { AUTH1, MXD_AUTH_NORMAL, V_NEW, true },
        { AUTH2, MXD_AUTH_NORMAL, V_OLD, true },
    };
    lab l;
    lab_start(&l, s, 2);
    mxd_options o = lab_options(&l, 2);
    probe p;
    run_probe(&l, &o, DOMAIN, &p);
    ck_assert_str_eq(answer_text(&server_at(&p, AUTH1)->mx), "10 mx-new.prop.test");
    ck_assert_str_eq(answer_text(&server_at(&p, AUTH2)->mx), "10 mx-old.prop.test");
    ck_assert_uint_eq(server_at(&p, AUTH2)->serial, 2024060101u);
    /* The MX sets differ, and so do the serials. */
    ck_assert_str_eq(ids(&p), "auth.mismatch auth.serial_mismatch");
    ck_assert_str_eq(mxd_finding_get(&p.fs.v[1], "newest"), "ns1.prop.test (127.79.0.1)");
    probe_free(&p);
    lab_free(&l);
}
END_TEST

START_TEST(test_serial_only)
{
    static const server_spec s[] = {
        { AUTH1, MXD_AUTH_NORMAL, V_NEW, true },
        { AUTH2, MXD_AUTH_NORMAL, V_OLD_SERIAL, true },
    };
    lab l;
    lab_start(&l, s, 2);
    mxd_options o = lab_options(&l, 2);
    probe p;
    run_probe(&l, &o, DOMAIN, &p);
    ck_assert_uint_eq(server_at(&p, AUTH1)->serial, 2024060102u);
    ck_assert_uint_eq(server_at(&p, AUTH2)->serial, 2024060101u);
    ck_assert_str_eq(ids(&p), "auth.serial_mismatch cache.ttl");
    ck_assert_str_eq(mxd_finding_get(&p.fs.v[0], "serial"), "2024060102");
    probe_free(&p);
    lab_free(&l);
}
END_TEST

START_TEST(test_silent)
{
    /* The resolver is not told about the silent one, so only the probe waits. */
    static const server_spec s[] = {
        { AUTH1, MXD_AUTH_NORMAL, V_NEW, true },
        { AUTH2, MXD_AUTH_SILENT, V_NEW, false },
    };
    lab l;
    lab_start(&l, s, 2);
    mxd_options o = lab_options(&l, 1);
    probe p;
    run_probe(&l, &o, DOMAIN, &p);
    const mxd_prop_server *silent = server_at(&p, AUTH2);
    ck_assert_int_eq(silent->state, MXD_AUTHSRV_TIMEOUT);
    ck_assert_str_eq(silent->reason, "timeout");
    ck_assert_int_eq(silent->mx_q.state, MXD_Q_TIMEOUT);
    ck_assert_int_eq(server_at(&p, AUTH1)->state, MXD_AUTHSRV_OK);
    ck_assert_str_eq(ids(&p), "auth.consistent auth.unreachable cache.ttl");
    ck_assert_int_eq(p.fs.v[1].sev, MXD_SEV_WARN);
    /* One timeout (1 s), not one per question. */
    ck_assert_uint_ge(p.ms, 1000);
    ck_assert_uint_lt(p.ms, 1900);
    probe_free(&p);
    lab_free(&l);
}
END_TEST

START_TEST(test_lame)
{
    static const server_spec s[] = {
        { AUTH1, MXD_AUTH_NORMAL, V_NEW, true },
        { AUTH2, MXD_AUTH_LAME, V_NEW, false },
    };
    lab l;
    lab_start(&l, s, 2);
    mxd_options o = lab_options(&l, 2);
    probe p;
    run_probe(&l, &o, DOMAIN, &p);
    const mxd_prop_server *lame = server_at(&p, AUTH2);
    ck_assert_int_eq(lame->state, MXD_AUTHSRV_LAME);
    ck_assert_str_eq(lame->reason, "REFUSED");
    ck_assert(!lame->aa);
    ck_assert_ptr_nonnull(lame->mx_q.msg);
    ck_assert(!(lame->mx_q.msg->flags & MXD_F_AA));
    ck_assert_str_eq(ids(&p), "auth.consistent auth.lame cache.ttl");
    probe_free(&p);
    lab_free(&l);
}
END_TEST

START_TEST(test_servfail)
{
    static const server_spec s[] = {
        { AUTH1, MXD_AUTH_NORMAL, V_NEW, true },
        { AUTH2, MXD_AUTH_SERVFAIL, V_NEW, false },
    };
    lab l;
    lab_start(&l, s, 2);
    mxd_options o = lab_options(&l, 2);
    probe p;
    run_probe(&l, &o, DOMAIN, &p);
    const mxd_prop_server *bad = server_at(&p, AUTH2);
    ck_assert_int_eq(bad->state, MXD_AUTHSRV_ERROR);
    ck_assert_str_eq(bad->reason, "SERVFAIL");
    ck_assert_str_eq(ids(&p), "auth.consistent auth.unreachable cache.ttl");
    ck_assert_str_eq(mxd_finding_get(&p.fs.v[1], "reason"), "SERVFAIL");
    probe_free(&p);
    lab_free(&l);
}
END_TEST

START_TEST(test_no_address)
{
    static const server_spec s[] = {
        { AUTH1, MXD_AUTH_NORMAL, V_NO_ADDR, true },
        { AUTH2, MXD_AUTH_NORMAL, V_NO_ADDR, true },
    };
    lab l;
    lab_start(&l, s, 2);
    mxd_options o = lab_options(&l, 2);
    probe p;
    run_probe(&l, &o, DOMAIN, &p);
    ck_assert_uint_eq(p.out.nservers, 3);
    const mxd_prop_server *ns3 = NULL;
    for (size_t i = 0; i < p.out.nservers; i++)
        if (strcmp(p.out.servers[i].name, "ns3.prop.test") == 0)
            ns3 = &p.out.servers[i];
    ck_assert_ptr_nonnull(ns3);
    ck_assert_int_eq(ns3->state, MXD_AUTHSRV_NO_ADDRESS);
    ck_assert_str_eq(ns3->reason, "nxdomain");
    ck_assert_int_eq(ns3->addr.family, 0);
    ck_assert_str_eq(ids(&p), "auth.consistent auth.unreachable cache.ttl");
    probe_free(&p);
    lab_free(&l);
}
END_TEST

START_TEST(test_stale)
{
    lab l;
    lab_start(&l, two_new, 2);
    /* The resolver fetched the MX before the change and keeps it 1234 s more. */
    mxd_rr old = mx(DOMAIN, 10, "mx-old.prop.test", 86400);
    ck_assert_int_eq(mxd_labdns_resolver_preload(l.res, DOMAIN, MXD_T_MX, &old, 1, 1234), 0);
    mxd_rr_clear(&old);
    mxd_options o = lab_options(&l, 2);
    probe p;
    run_probe(&l, &o, DOMAIN, &p);
    const mxd_prop_resolver *r = &p.out.resolvers[0];
    ck_assert_str_eq(answer_text(&r->mx), "10 mx-old.prop.test");
    ck_assert_uint_le(r->mx.ttl, 1234);
    ck_assert_uint_ge(r->mx.ttl, 1232);
    ck_assert_int_eq((int)(r->expires_at - r->answered_at), (int)r->mx.ttl);
    ck_assert_str_eq(ids(&p), "auth.consistent cache.ttl cache.stale");
    const mxd_finding *f = &p.fs.v[2];
    ck_assert_str_eq(mxd_finding_get(f, "hosts"), "10 mx-old.prop.test");
    ck_assert_str_eq(mxd_finding_get(f, "auth_hosts"), "10 mx-new.prop.test");
    probe_free(&p);
    lab_free(&l);
}
END_TEST

START_TEST(test_negative)
{
    /* The resolver still asks the copy from before the MX was added. */
    static const server_spec s[] = {
        { AUTH1, MXD_AUTH_NORMAL, V_NEW, false },
        { AUTH2, MXD_AUTH_NORMAL, V_NEW, false },
        { AUTH3, MXD_AUTH_NORMAL, V_NO_MX, true },
    };
    lab l;
    lab_start(&l, s, 3);
    mxd_options o = lab_options(&l, 2);
    probe p;
    run_probe(&l, &o, DOMAIN, &p);
    ck_assert_uint_eq(p.out.nservers, 2); /* the NS records name ns1 and ns2 only */
    const mxd_prop_resolver *r = &p.out.resolvers[0];
    ck_assert_int_eq(r->mx.state, MXD_Q_NODATA);
    ck_assert(r->mx.ttl_known);
    ck_assert_uint_le(r->mx.ttl, 300); /* min(SOA TTL 3600, MINIMUM 300) */
    ck_assert_uint_ge(r->mx.ttl, 298);
    ck_assert_str_eq(ids(&p), "auth.consistent cache.ttl cache.negative");
    const mxd_finding *f = &p.fs.v[2];
    ck_assert_str_eq(mxd_finding_get(f, "neg_ttl"), "300");
    ck_assert_str_eq(mxd_finding_get(f, "soa_minimum"), "300");
    ck_assert_str_eq(mxd_finding_get(f, "soa_ttl"), "3600");
    ck_assert_str_eq(mxd_finding_get(f, "hosts"), "10 mx-new.prop.test");
    probe_free(&p);
    lab_free(&l);
}
END_TEST

START_TEST(test_truncated_over_tcp)
{
    static const server_spec s[] = {
        { AUTH1, MXD_AUTH_NORMAL, V_BIG, true },
        { AUTH2, MXD_AUTH_NORMAL, V_BIG, true },
    };
    lab l;
    lab_start(&l, s, 2);
    mxd_options o = lab_options(&l, 2);
    probe p;
    run_probe(&l, &o, DOMAIN, &p);
    for (size_t i = 0; i < p.out.nservers; i++) {
        const mxd_prop_server *srv = &p.out.servers[i];
        ck_assert_int_eq(srv->state, MXD_AUTHSRV_OK);
        ck_assert_uint_eq(srv->mx.n, 60);
        /* The whole answer, so it came over TCP after a truncated UDP one. */
        ck_assert(!(srv->mx_q.msg->flags & MXD_F_TC));
        ck_assert_uint_eq(srv->mx_q.msg->nan, 60);
    }
    ck_assert_uint_eq(p.out.resolvers[0].mx.n, 60);
    /* ns2 (which the resolver never asks) saw SOA, MX over UDP, MX again over TCP. */
    ck_assert_uint_eq(mxd_labdns_auth_queries(l.auth[1]), 3);
    ck_assert_str_eq(ids(&p), "auth.consistent cache.ttl");
    probe_free(&p);
    lab_free(&l);
}
END_TEST

START_TEST(test_zone_not_found)
{
    lab l;
    lab_start(&l, two_new, 2);
    mxd_options o = lab_options(&l, 2);
    probe p;
    /* The lab resolver refuses names outside its zones: no zone, nobody asked. */
    run_probe_own(&l, &o, "mail.example.invalid", &p);
    ck_assert_int_eq(p.out.zone_state, MXD_ZONE_FAILED);
    ck_assert_str_eq(p.out.zone_error, "refused");
    ck_assert_uint_eq(p.out.nservers, 0);
    ck_assert_int_eq(p.out.resolvers[0].mx.state, MXD_Q_REFUSED);
    ck_assert_str_eq(ids(&p), "auth.zone_unknown"); /* it says it could not look */
    probe_free(&p);
    lab_free(&l);
}
END_TEST

START_TEST(test_compare_resolvers)
{
    lab l;
    lab_start(&l, two_new, 2);
    mxd_options o = lab_options(&l, 2);
    /* A second lab resolver address would need another server; ask the same
     * one under another spelling (deduplicated) and a public one (outside the
     * lab: recorded, never asked). */
    char same[64];
    snprintf(same, sizeof same, "%s", resolver_spec);
    char *cmp[] = { "Google", same, "not-a-resolver" };
    o.compare_resolvers = cmp;
    o.ncompare_resolvers = 3;
    probe p;
    run_probe(&l, &o, DOMAIN, &p);
    ck_assert_uint_eq(p.out.nresolvers, 2);
    ck_assert_str_eq(p.out.resolvers[1].server, "8.8.8.8:53");
    ck_assert_str_eq(p.out.resolvers[1].label, "google");
    ck_assert(p.out.resolvers[1].compare);
    ck_assert(p.out.resolvers[1].skipped);
    ck_assert_int_eq(p.out.resolvers[1].q.state, MXD_Q_NOT_SENT);
    ck_assert_str_eq(ids(&p), "auth.consistent cache.ttl");
    probe_free(&p);
    lab_free(&l);
}
END_TEST

START_TEST(test_cancel)
{
    static const server_spec s[] = {
        { AUTH1, MXD_AUTH_SILENT, V_NEW, false },
        { AUTH2, MXD_AUTH_SILENT, V_NEW, false },
        { AUTH3, MXD_AUTH_NORMAL, V_NEW, true },
    };
    lab l;
    lab_start(&l, s, 3);
    mxd_options o = lab_options(&l, 5);
    probe p;
    memset(&p, 0, sizeof p);
    char err[160];
    p.run = mxd_propagation_start(l.loop, NULL, &o, DOMAIN, &p.out, on_changed, on_done, &p, err,
                                  sizeof err);
    ck_assert_ptr_nonnull(p.run);
    /* Run until both silent servers are being asked, then stop. */
    uint64_t end = mxd_now_ms() + 3000;
    while (p.out.nservers < 2 && mxd_now_ms() < end)
        mxd_loop_run_once(l.loop, 50);
    ck_assert_uint_eq(p.out.nservers, 2);
    mxd_propagation_cancel(p.run);
    ck_assert_int_eq(p.out.phase, MXD_PROP_CANCELLED);
    ck_assert_uint_eq(p.ndone, 0);
    for (size_t i = 0; i < 2; i++)
        ck_assert_int_eq(p.out.servers[i].state, MXD_AUTHSRV_TIMEOUT);
    settle(&l);
    ck_assert_uint_eq(mxd_loop_pending(l.loop), l.base_pending);
    /* Nothing calls back later. */
    mxd_loop_run_once(l.loop, 100);
    ck_assert_uint_eq(p.ndone, 0);
    mxd_check_propagation_data(&p.out, NULL, &p.fs);
    ck_assert_str_eq(ids(&p), "auth.unreachable auth.unreachable");
    probe_free(&p);
    lab_free(&l);
}
END_TEST

/* Cancelled while its first question is out on the engine's client: the
 * answer still arrives, and must reach nobody (the run is gone). */
typedef struct other_q {
    bool done;
    mxd_qstate st;
} other_q;

static void on_other(void *arg, mxd_qstate st, mxd_dnsmsg *msg, uint32_t ms)
{
    (void)ms;
    other_q *o = arg;
    o->done = true;
    o->st = st;
    if (msg) {
        mxd_dnsmsg_free(msg);
        free(msg);
    }
}

static bool other_done(void *arg) { return ((other_q *)arg)->done; }

START_TEST(test_cancel_lent)
{
    other_q other = { false, MXD_Q_PENDING };
    lab l;
    lab_start(&l, two_new, 2);
    mxd_options o = lab_options(&l, 2);
    probe p;
    memset(&p, 0, sizeof p);
    p.lent = lend_client(&l, &o);
    char err[160];
    p.run = mxd_propagation_start(l.loop, p.lent, &o, DOMAIN, &p.out, on_changed, on_done, &p,
                                  err, sizeof err);
    ck_assert_ptr_nonnull(p.run);
    ck_assert_uint_eq(mxd_dns_pending(p.lent), 1); /* SOA? mail.prop.test */
    mxd_propagation_cancel(p.run);
    ck_assert_uint_eq(mxd_dns_pending(p.lent), 0);
    ck_assert_int_eq(p.out.phase, MXD_PROP_CANCELLED);
    ck_assert_int_eq(p.out.zone_state, MXD_ZONE_FAILED);
    ck_assert_str_eq(p.out.zone_error, "timeout");
    /* The resolver answers the forgotten question meanwhile. */
    unsigned long before = mxd_labdns_resolver_upstream_queries(l.res);
    uint64_t end = mxd_now_ms() + 300;
    while (mxd_now_ms() < end)
        mxd_loop_run_once(l.loop, 20);
    ck_assert_uint_gt(mxd_labdns_resolver_upstream_queries(l.res), before);
    ck_assert_uint_eq(p.ndone, 0);
    /* The engine's client still works for its other users. */
    ck_assert_int_eq(mxd_dns_query(p.lent, DOMAIN, MXD_T_MX, on_other, &other), 0);
    ck_assert(mxd_loop_run_until(l.loop, other_done, &other, mxd_now_ms() + 3000));
    ck_assert_int_eq(other.st, MXD_Q_OK);
    mxd_dns_free(p.lent);
    settle(&l);
    ck_assert_uint_eq(mxd_loop_pending(l.loop), l.base_pending);
    probe_free(&p);
    lab_free(&l);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("propagation_lab");
    TCase *tc = tcase_create("probe");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_consistent);
    tcase_add_test(tc, test_mismatch);
    tcase_add_test(tc, test_serial_only);
    tcase_add_test(tc, test_silent);
    tcase_add_test(tc, test_lame);
    tcase_add_test(tc, test_servfail);
    tcase_add_test(tc, test_no_address);
    tcase_add_test(tc, test_stale);
    tcase_add_test(tc, test_negative);
    tcase_add_test(tc, test_truncated_over_tcp);
    tcase_add_test(tc, test_zone_not_found);
    tcase_add_test(tc, test_compare_resolvers);
    tcase_add_test(tc, test_cancel);
    tcase_add_test(tc, test_cancel_lent);
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
