/* check_labdns.c — the lab's DNS servers, spoken to over real sockets.
 *
 * Each test starts an authoritative server and a resolver on 127.77.0.x at a
 * random port in 20000-60000 (another one when it is taken), then asks them
 * questions from a plain non-blocking UDP or TCP socket registered on the same
 * loop, driving the loop until the answer arrives or a deadline passes.
 * No sleeps: waiting is always the loop's.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mxd/labdns.h"

#define AUTH1 "127.77.0.1"
#define AUTH2 "127.77.0.2"
#define AUTH3 "127.77.0.3"
#define RESOLVER "127.77.0.53"

/* ---- zones ------------------------------------------------------------- */

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

static mxd_rr mx(const char *name, uint16_t pref, const char *host)
{
    mxd_rr r = rr(name, MXD_T_MX, 300);
    r.u.mx.pref = pref;
    mxd_rr_setf(&r.u.mx.host, "%s", host);
    return r;
}

static mxd_rr a4(const char *name, uint8_t last)
{
    mxd_rr r = rr(name, MXD_T_A, 300);
    r.u.a[0] = 127; r.u.a[1] = 0; r.u.a[2] = 25; r.u.a[3] = last;
    return r;
}

static mxd_rr cname(const char *name, const char *target)
{
    mxd_rr r = rr(name, MXD_T_CNAME, 60);
    mxd_rr_setf(&r.u.target, "%s", target);
    return r;
}

static mxd_rr soa(const char *origin, uint32_t ttl, uint32_t minimum)
{
    mxd_rr r = rr(origin, MXD_T_SOA, ttl);
    mxd_rr_setf(&r.u.soa.mname, "ns1.%s", origin);
    mxd_rr_setf(&r.u.soa.rname, "hostmaster.%s", origin);
    r.u.soa.serial = 2024060101u;
    r.u.soa.refresh = 3600;
    r.u.soa.retry = 600;
    r.u.soa.expire = 86400;
    r.u.soa.minimum = minimum;
    return r;
}

#define BIGTXT_LEN 3000
static uint8_t bigtxt[BIGTXT_LEN];
static mxd_rr lab_rrs[64], other_rrs[8];
static mxd_scn_zone zones[2];

/* lab.test: SOA TTL 120 < MINIMUM 300, so its negative TTL is 120.
 * other.test: no SOA or NS (the server synthesises them: MINIMUM 300). */
static void build_zones(void)
{
    /* The previous test's names (static data like bigtxt is not theirs to free). */
    for (size_t i = 0; i < sizeof lab_rrs / sizeof lab_rrs[0]; i++) {
        lab_rrs[i].data = NULL;
        mxd_rr_clear(&lab_rrs[i]);
    }
    for (size_t i = 0; i < sizeof other_rrs / sizeof other_rrs[0]; i++)
        mxd_rr_clear(&other_rrs[i]);
    size_t n = 0;
    lab_rrs[n++] = soa("lab.test", 120, 300);
    lab_rrs[n++] = mx("lab.test", 10, "mx1.lab.test");
    lab_rrs[n++] = a4("mx1.lab.test", 1);
    lab_rrs[n++] = cname("www.lab.test", "mx1.lab.test");
    lab_rrs[n++] = cname("alias.lab.test", "target.other.test");
    lab_rrs[n++] = cname("out.lab.test", "mail.example.com");
    lab_rrs[n++] = cname("loop1.lab.test", "loop2.lab.test");
    lab_rrs[n++] = cname("loop2.lab.test", "loop1.lab.test");
    lab_rrs[n++] = a4("a.b.lab.test", 9); /* b.lab.test: an empty non-terminal */
    for (int i = 0; i < 30; i++) {
        char h[64];
        snprintf(h, sizeof h, "mx-%02d.big.lab.test", i);
        lab_rrs[n++] = mx("big.lab.test", (uint16_t)(10 * i), h);
    }
    for (size_t i = 0; i < sizeof bigtxt; i++)
        bigtxt[i] = (uint8_t)('a' + i % 26);
    lab_rrs[n] = rr("bigtxt.lab.test", MXD_T_TXT, 300);
    lab_rrs[n].data = bigtxt;
    lab_rrs[n++].data_len = sizeof bigtxt;
    memset(&zones[0], 0, sizeof zones[0]);
    snprintf(zones[0].origin, sizeof zones[0].origin, "lab.test");
    zones[0].rrs = lab_rrs;
    zones[0].nrrs = n;

    n = 0;
    other_rrs[n++] = a4("target.other.test", 2);
    memset(&zones[1], 0, sizeof zones[1]);
    snprintf(zones[1].origin, sizeof zones[1].origin, "other.test");
    zones[1].rrs = other_rrs;
    zones[1].nrrs = n;
}

/* ---- fixture ----------------------------------------------------------- */

typedef struct lab {
    mxd_loop *loop;
    uint16_t port;
    mxd_labdns_auth *auth[3];
    mxd_labdns_resolver *res;
} lab;

typedef struct lab_opts {
    mxd_auth_mode mode[3];     /* per auth server */
    int nauth;                 /* default 1 */
    unsigned auth_latency, res_latency;
    unsigned try_ms, deadline_ms;
    const char *lab_servers[3]; /* who the resolver asks for lab.test (default AUTH1) */
    bool split;                /* AUTH1 serves only lab.test, AUTH2 only other.test */
    const mxd_scn_zone *zones; /* instead of lab.test and other.test: these, on */
    size_t nzones;             /*  AUTH1 only, each known to the resolver there */
} lab_opts;

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
    for (int i = 0; i < 3; i++)
        mxd_labdns_auth_free(l->auth[i]);
    l->res = NULL;
    memset(l->auth, 0, sizeof l->auth);
}

static void lab_start(lab *l, const lab_opts *o)
{
    static const char *addrs[3] = { AUTH1, AUTH2, AUTH3 };
    build_zones();
    memset(l, 0, sizeof *l);
    l->loop = mxd_loop_new();
    ck_assert_ptr_nonnull(l->loop);
    int nauth = o->nauth ? o->nauth : 1;
    char err[256] = "";
    for (int attempt = 0; attempt < 20; attempt++) {
        l->port = random_port();
        if (l->port == 5353)
            continue;
        bool inuse = false;
        for (int i = 0; i < nauth && !inuse; i++) {
            mxd_labdns_auth_cfg c = { .addr = addrs[i], .port = l->port, .mode = o->mode[i],
                                      .zones = zones, .nzones = 2, .latency_ms = o->auth_latency };
            if (o->split) {
                c.zones = &zones[i == 1];
                c.nzones = 1;
            }
            if (o->zones) {
                c.zones = o->zones;
                c.nzones = o->nzones;
            }
            l->auth[i] = mxd_labdns_auth_start(l->loop, &c, err, sizeof err);
            if (!l->auth[i]) {
                ck_assert_msg(errno == EADDRINUSE, "auth start: %s", err);
                inuse = true;
            }
        }
        if (!inuse) {
            mxd_labdns_resolver_cfg rc = { .addr = RESOLVER, .port = l->port,
                                           .latency_ms = o->res_latency,
                                           .try_timeout_ms = o->try_ms, .deadline_ms = o->deadline_ms };
            l->res = mxd_labdns_resolver_start(l->loop, &rc, err, sizeof err);
            if (!l->res) {
                ck_assert_msg(errno == EADDRINUSE, "resolver start: %s", err);
                inuse = true;
            }
        }
        if (!inuse)
            break;
        lab_stop(l);
    }
    ck_assert_msg(l->res, "no free port found: %s", err);
    if (o->zones) {
        for (size_t i = 0; i < o->nzones; i++)
            ck_assert_int_eq(mxd_labdns_resolver_add_zone(l->res, o->zones[i].origin, AUTH1), 0);
        return;
    }
    for (int i = 0; i < 3 && o->lab_servers[i]; i++)
        ck_assert_int_eq(mxd_labdns_resolver_add_zone(l->res, "lab.test", o->lab_servers[i]), 0);
    if (!o->lab_servers[0])
        ck_assert_int_eq(mxd_labdns_resolver_add_zone(l->res, "lab.test", AUTH1), 0);
    ck_assert_int_eq(mxd_labdns_resolver_add_zone(l->res, "other.test", o->split ? AUTH2 : AUTH1), 0);
}

static void lab_free(lab *l)
{
    lab_stop(l);
    /* Every socket and timer of the servers is gone from the loop. */
    ck_assert_uint_eq(mxd_loop_pending(l->loop), 0);
    mxd_loop_free(l->loop);
}

/* ---- a plain DNS client on the loop ------------------------------------ */

typedef struct client {
    mxd_loop *loop;
    int fd;
    bool tcp;
    uint8_t out[4096];
    size_t outlen, sent, pause_at; /* TCP: stop after pause_at bytes for a while */
    uint8_t *in;
    size_t inlen;
    unsigned want, got;
    bool failed;
    uint64_t t_first; /* when the first answer was complete */
} client;

static void client_io(mxd_loop *l, int fd, unsigned ev, void *arg);

static void client_resume(mxd_loop *l, void *arg)
{
    client *c = arg;
    c->pause_at = 0;
    mxd_loop_watch(l, c->fd, MXD_EV_READ | MXD_EV_WRITE, client_io, c);
}

static unsigned frames_in(const client *c)
{
    unsigned n = 0;
    size_t off = 0;
    while (c->inlen - off >= 2) {
        size_t fl = (size_t)(c->in[off] << 8 | c->in[off + 1]);
        if (c->inlen - off < 2 + fl)
            break;
        off += 2 + fl;
        n++;
    }
    return n;
}

static void client_io(mxd_loop *l, int fd, unsigned ev, void *arg)
{
    client *c = arg;
    if ((ev & MXD_EV_WRITE) && c->sent < c->outlen) {
        size_t lim = c->pause_at ? c->pause_at : c->outlen;
        ssize_t n = send(fd, c->out + c->sent, lim - c->sent, MSG_NOSIGNAL);
        if (n > 0)
            c->sent += (size_t)n;
        if (c->sent == lim && lim < c->outlen) {
            /* Half a frame is out: let the server see it alone first. */
            mxd_loop_watch(l, fd, MXD_EV_READ, client_io, c);
            mxd_loop_timer(l, 50, client_resume, c);
            return;
        }
        if (c->sent == c->outlen)
            mxd_loop_watch(l, fd, MXD_EV_READ, client_io, c);
    }
    if (!(ev & (MXD_EV_READ | MXD_EV_ERROR)))
        return;
    ssize_t n = recv(fd, c->in + c->inlen, 70000 - c->inlen, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINPROGRESS))
        return;
    if (n <= 0) {
        c->failed = true;
        mxd_loop_unwatch(l, fd);
        return;
    }
    if (!c->tcp) {
        c->inlen = (size_t)n;
        c->got = 1;
        c->t_first = mxd_now_ms();
        return;
    }
    c->inlen += (size_t)n;
    unsigned before = c->got;
    c->got = frames_in(c);
    if (!before && c->got)
        c->t_first = mxd_now_ms();
}

static bool client_done(void *arg)
{
    const client *c = arg;
    return c->failed || c->got >= c->want;
}

/* Sends payload (TCP: already framed) to addr and waits for want answers or
 * timeout_ms. Returns the number of answers; their bytes are in c->in. */
static unsigned exchange(lab *l, client *c, const char *addr, bool tcp, const uint8_t *payload,
                         size_t plen, size_t pause_at, unsigned want, uint64_t timeout_ms)
{
    memset(c, 0, sizeof *c);
    c->loop = l->loop;
    c->tcp = tcp;
    c->want = want;
    c->in = malloc(70000);
    ck_assert_ptr_nonnull(c->in);
    ck_assert_uint_le(plen, sizeof c->out);
    memcpy(c->out, payload, plen);
    c->outlen = plen;
    c->pause_at = pause_at;
    c->fd = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
    ck_assert_int_ge(c->fd, 0);
    ck_assert_int_eq(fcntl(c->fd, F_SETFL, O_NONBLOCK), 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(l->port) };
    inet_pton(AF_INET, addr, &sa.sin_addr);
    int rc = connect(c->fd, (struct sockaddr *)&sa, sizeof sa);
    ck_assert(rc == 0 || errno == EINPROGRESS);
    if (tcp) {
        mxd_loop_watch(l->loop, c->fd, MXD_EV_WRITE, client_io, c);
    } else {
        ck_assert_int_eq(send(c->fd, payload, plen, 0), (ssize_t)plen);
        mxd_loop_watch(l->loop, c->fd, MXD_EV_READ, client_io, c);
    }
    mxd_loop_run_until(l->loop, client_done, c, mxd_now_ms() + timeout_ms);
    mxd_loop_unwatch(l->loop, c->fd);
    close(c->fd);
    return c->got;
}

typedef struct ask_opts {
    bool tcp, rd, no_edns;
    bool ad, dnssec_ok;        /* the AD bit in the header; the DO bit in the OPT record */
    uint64_t timeout_ms;
} ask_opts;

/* One question, one answer. Returns 0 with *m filled (mxd_dnsmsg_free), or
 * -1 when no answer came before the timeout. *elapsed gets the wait. */
static int ask(lab *l, const char *addr, const char *name, uint16_t type, const ask_opts *o,
               mxd_dnsmsg *m, uint64_t *elapsed)
{
    uint8_t q[2 + 512];
    uint16_t id = (uint16_t)random_port();
    int n = mxd_dns_build_query(q + 2, 512, id, name, type, o->rd, !o->no_edns);
    ck_assert_int_gt(n, 0);
    if (o->ad)
        q[2 + 3] |= 0x20;
    if (o->dnssec_ok) { /* the OPT record ends the query: DO is its flags' top bit */
        ck_assert(!o->no_edns);
        q[2 + n - 4] |= 0x80;
    }
    q[0] = (uint8_t)(n >> 8);
    q[1] = (uint8_t)n;
    client c;
    uint64_t t0 = mxd_now_ms();
    unsigned got = o->tcp ? exchange(l, &c, addr, true, q, (size_t)n + 2, 0, 1, o->timeout_ms ? o->timeout_ms : 3000)
                          : exchange(l, &c, addr, false, q + 2, (size_t)n, 0, 1, o->timeout_ms ? o->timeout_ms : 3000);
    if (elapsed)
        *elapsed = (got ? c.t_first : mxd_now_ms()) - t0;
    if (!got) {
        free(c.in);
        return -1;
    }
    const uint8_t *msg = o->tcp ? c.in + 2 : c.in;
    size_t len = o->tcp ? (size_t)(c.in[0] << 8 | c.in[1]) : c.inlen;
    ck_assert_int_eq(mxd_dns_parse(msg, len, m), 0);
    ck_assert_uint_eq(m->id, id);
    ck_assert(m->flags & MXD_F_QR);
    ck_assert(mxd_dns_name_eq(m->qname, name));
    if (!o->tcp && o->no_edns)
        ck_assert_uint_le(len, 512);
    free(c.in);
    return 0;
}

static const ask_opts UDP = { 0 }, TCP = { .tcp = true }, UDP_NOEDNS = { .no_edns = true },
                      RECURSE = { .rd = true };

/* Runs the loop for ms (the servers keep working meanwhile). */
static bool never(void *arg) { (void)arg; return false; }
static void wait_ms(lab *l, uint64_t ms) { mxd_loop_run_until(l->loop, never, NULL, mxd_now_ms() + ms); }

/* ---- authoritative server ---------------------------------------------- */

START_TEST(test_auth_mx_aa)
{
    lab l;
    lab_opts o = { 0 };
    lab_start(&l, &o);
    mxd_dnsmsg m;
    ck_assert_int_eq(ask(&l, AUTH1, "Lab.Test", MXD_T_MX, &UDP, &m, NULL), 0);
    ck_assert_int_eq(m.rcode, MXD_RCODE_NOERROR);
    ck_assert(m.flags & MXD_F_AA);
    ck_assert(!(m.flags & MXD_F_RA));
    ck_assert(!(m.flags & MXD_F_TC));
    ck_assert_uint_eq(m.nan, 1);
    ck_assert_uint_eq(m.an[0].type, MXD_T_MX);
    ck_assert_uint_eq(m.an[0].ttl, 300);
    ck_assert_uint_eq(m.an[0].u.mx.pref, 10);
    ck_assert(mxd_dns_name_eq(m.an[0].u.mx.host, "mx1.lab.test"));
    /* glue for the target, and our OPT answering the client's */
    ck_assert_uint_eq(m.nar, 2);
    ck_assert_uint_eq(m.ar[0].type, MXD_T_A);
    ck_assert_mem_eq(m.ar[0].u.a, ((uint8_t[]){ 127, 0, 25, 1 }), 4);
    ck_assert_uint_eq(m.edns_udp_size, 1232);
    mxd_dnsmsg_free(&m);
    ck_assert_uint_eq(mxd_labdns_auth_queries(l.auth[0]), 1);
    lab_free(&l);
}
END_TEST

START_TEST(test_auth_nxdomain_soa)
{
    lab l;
    lab_opts o = { 0 };
    lab_start(&l, &o);
    mxd_dnsmsg m;
    ck_assert_int_eq(ask(&l, AUTH1, "nope.lab.test", MXD_T_MX, &UDP, &m, NULL), 0);
    ck_assert_int_eq(m.rcode, MXD_RCODE_NXDOMAIN);
    ck_assert(m.flags & MXD_F_AA);
    ck_assert_uint_eq(m.nan, 0);
    ck_assert_uint_eq(m.nns, 1);
    ck_assert_uint_eq(m.ns[0].type, MXD_T_SOA);
    ck_assert_str_eq(m.ns[0].name, "lab.test");
    ck_assert_uint_eq(m.ns[0].u.soa.serial, 2024060101u);
    ck_assert_uint_eq(m.ns[0].ttl, 120); /* min(SOA TTL 120, MINIMUM 300) */
    mxd_dnsmsg_free(&m);
    /* The synthesised SOA of other.test: MINIMUM 300, TTL 3600 -> 300. */
    ck_assert_int_eq(ask(&l, AUTH1, "nope.other.test", MXD_T_A, &UDP, &m, NULL), 0);
    ck_assert_int_eq(m.rcode, MXD_RCODE_NXDOMAIN);
    ck_assert_uint_eq(m.nns, 1);
    ck_assert_str_eq(m.ns[0].name, "other.test");
    ck_assert_str_eq(m.ns[0].u.soa.mname, "ns1.other.test");
    ck_assert_uint_eq(m.ns[0].u.soa.minimum, 300);
    ck_assert_uint_eq(m.ns[0].ttl, 300);
    mxd_dnsmsg_free(&m);
    lab_free(&l);
}
END_TEST

START_TEST(test_auth_nodata)
{
    lab l;
    lab_opts o = { 0 };
    lab_start(&l, &o);
    mxd_dnsmsg m;
    ck_assert_int_eq(ask(&l, AUTH1, "mx1.lab.test", MXD_T_AAAA, &UDP, &m, NULL), 0);
    ck_assert_int_eq(m.rcode, MXD_RCODE_NOERROR);
    ck_assert(m.flags & MXD_F_AA);
    ck_assert_uint_eq(m.nan, 0);
    ck_assert_uint_eq(m.nns, 1);
    ck_assert_uint_eq(m.ns[0].type, MXD_T_SOA);
    mxd_dnsmsg_free(&m);
    /* b.lab.test holds nothing but has a.b.lab.test below it: NODATA, not NXDOMAIN */
    ck_assert_int_eq(ask(&l, AUTH1, "b.lab.test", MXD_T_A, &UDP, &m, NULL), 0);
    ck_assert_int_eq(m.rcode, MXD_RCODE_NOERROR);
    ck_assert_uint_eq(m.nan, 0);
    ck_assert_uint_eq(m.nns, 1);
    mxd_dnsmsg_free(&m);
    /* the synthesised NS at the apex */
    ck_assert_int_eq(ask(&l, AUTH1, "other.test", MXD_T_NS, &UDP, &m, NULL), 0);
    ck_assert_uint_eq(m.nan, 1);
    ck_assert_str_eq(m.an[0].u.target, "ns1.other.test");
    mxd_dnsmsg_free(&m);
    lab_free(&l);
}
END_TEST

START_TEST(test_auth_refused_outside)
{
    lab l;
    lab_opts o = { 0 };
    lab_start(&l, &o);
    mxd_dnsmsg m;
    ck_assert_int_eq(ask(&l, AUTH1, "example.com", MXD_T_MX, &UDP, &m, NULL), 0);
    ck_assert_int_eq(m.rcode, MXD_RCODE_REFUSED);
    ck_assert(!(m.flags & MXD_F_AA));
    ck_assert_uint_eq(m.nan, 0);
    mxd_dnsmsg_free(&m);
    /* "xlab.test" is not inside "lab.test" */
    ck_assert_int_eq(ask(&l, AUTH1, "xlab.test", MXD_T_A, &UDP, &m, NULL), 0);
    ck_assert_int_eq(m.rcode, MXD_RCODE_REFUSED);
    mxd_dnsmsg_free(&m);
    lab_free(&l);
}
END_TEST

START_TEST(test_auth_cname)
{
    lab l;
    lab_opts o = { 0 };
    lab_start(&l, &o);
    mxd_dnsmsg m;
    /* followed inside the zone */
    ck_assert_int_eq(ask(&l, AUTH1, "www.lab.test", MXD_T_A, &UDP, &m, NULL), 0);
    ck_assert(m.flags & MXD_F_AA);
    ck_assert_uint_eq(m.nan, 2);
    ck_assert_uint_eq(m.an[0].type, MXD_T_CNAME);
    ck_assert_str_eq(m.an[0].u.target, "mx1.lab.test");
    ck_assert_uint_eq(m.an[1].type, MXD_T_A);
    mxd_dnsmsg_free(&m);
    /* followed into the server's other zone */
    ck_assert_int_eq(ask(&l, AUTH1, "alias.lab.test", MXD_T_A, &UDP, &m, NULL), 0);
    ck_assert_uint_eq(m.nan, 2);
    ck_assert_str_eq(m.an[1].name, "target.other.test");
    mxd_dnsmsg_free(&m);
    /* out of its zones: the CNAME alone */
    ck_assert_int_eq(ask(&l, AUTH1, "out.lab.test", MXD_T_MX, &UDP, &m, NULL), 0);
    ck_assert_int_eq(m.rcode, MXD_RCODE_NOERROR);
    ck_assert_uint_eq(m.nan, 1);
    ck_assert_str_eq(m.an[0].u.target, "mail.example.com");
    mxd_dnsmsg_free(&m);
    /* asked for the CNAME itself */
    ck_assert_int_eq(ask(&l, AUTH1, "www.lab.test", MXD_T_CNAME, &UDP, &m, NULL), 0);
    ck_assert_uint_eq(m.nan, 1);
    mxd_dnsmsg_free(&m);
    /* a CNAME loop ends after a bounded number of links */
    ck_assert_int_eq(ask(&l, AUTH1, "loop1.lab.test", MXD_T_A, &UDP, &m, NULL), 0);
    ck_assert_uint_ge(m.nan, 2);
    ck_assert_uint_le(m.nan, 8);
    mxd_dnsmsg_free(&m);
    lab_free(&l);
}
END_TEST

START_TEST(test_auth_big_answer_udp_tcp)
{
    lab l;
    lab_opts o = { 0 };
    lab_start(&l, &o);
    mxd_dnsmsg m;
    /* No EDNS: 512 bytes, TC set, what fits is intact. */
    ck_assert_int_eq(ask(&l, AUTH1, "big.lab.test", MXD_T_MX, &UDP_NOEDNS, &m, NULL), 0);
    ck_assert(m.flags & MXD_F_TC);
    ck_assert(m.flags & MXD_F_AA);
    ck_assert_uint_gt(m.nan, 0);
    ck_assert_uint_lt(m.nan, 30);
    for (size_t i = 0; i < m.nan; i++)
        ck_assert_uint_eq(m.an[i].u.mx.pref, 10 * i);
    mxd_dnsmsg_free(&m);
    /* TCP: all 30. */
    ck_assert_int_eq(ask(&l, AUTH1, "big.lab.test", MXD_T_MX, &TCP, &m, NULL), 0);
    ck_assert(!(m.flags & MXD_F_TC));
    ck_assert_uint_eq(m.nan, 30);
    ck_assert_str_eq(m.an[29].u.mx.host, "mx-29.big.lab.test");
    mxd_dnsmsg_free(&m);
    /* EDNS 1232 is room enough for the MXs but not for a 3000-byte TXT. */
    ck_assert_int_eq(ask(&l, AUTH1, "big.lab.test", MXD_T_MX, &UDP, &m, NULL), 0);
    ck_assert(!(m.flags & MXD_F_TC));
    ck_assert_uint_eq(m.nan, 30);
    mxd_dnsmsg_free(&m);
    ck_assert_int_eq(ask(&l, AUTH1, "bigtxt.lab.test", MXD_T_TXT, &UDP, &m, NULL), 0);
    ck_assert(m.flags & MXD_F_TC);
    ck_assert_uint_eq(m.nan, 0);
    mxd_dnsmsg_free(&m);
    ck_assert_int_eq(ask(&l, AUTH1, "bigtxt.lab.test", MXD_T_TXT, &TCP, &m, NULL), 0);
    ck_assert_uint_eq(m.nan, 1);
    ck_assert_uint_eq(m.an[0].data_len, BIGTXT_LEN);
    ck_assert_mem_eq(m.an[0].data, bigtxt, BIGTXT_LEN);
    mxd_dnsmsg_free(&m);
    lab_free(&l);
}
END_TEST

/* Two queries in one write, and a frame split across two writes 50 ms apart,
 * from two connections open at once. */
START_TEST(test_auth_tcp_framing)
{
    lab l;
    lab_opts o = { 0 };
    lab_start(&l, &o);
    uint8_t two[1024];
    size_t off = 0;
    const char *names[2] = { "lab.test", "mx1.lab.test" };
    const uint16_t types[2] = { MXD_T_MX, MXD_T_A };
    for (int i = 0; i < 2; i++) {
        int n = mxd_dns_build_query(two + off + 2, 512, (uint16_t)(100 + i), names[i], types[i], false, false);
        two[off] = (uint8_t)(n >> 8);
        two[off + 1] = (uint8_t)n;
        off += 2 + (size_t)n;
    }
    client c;
    ck_assert_uint_eq(exchange(&l, &c, AUTH1, true, two, off, 0, 2, 3000), 2);
    mxd_dnsmsg m;
    size_t f2 = 2 + (size_t)(c.in[0] << 8 | c.in[1]);
    ck_assert_int_eq(mxd_dns_parse(c.in + 2, f2 - 2, &m), 0);
    ck_assert_uint_eq(m.id, 100);
    ck_assert_uint_eq(m.an[0].type, MXD_T_MX);
    mxd_dnsmsg_free(&m);
    ck_assert_int_eq(mxd_dns_parse(c.in + f2 + 2, (size_t)(c.in[f2] << 8 | c.in[f2 + 1]), &m), 0);
    ck_assert_uint_eq(m.id, 101);
    ck_assert_uint_eq(m.an[0].type, MXD_T_A);
    mxd_dnsmsg_free(&m);
    free(c.in);

    /* Split: the length and 5 bytes, then the rest. */
    ck_assert_uint_eq(exchange(&l, &c, AUTH1, true, two, off, 7, 2, 3000), 2);
    free(c.in);

    /* A connection that stays open and silent does not stop a second one. */
    int idle = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(l.port) };
    inet_pton(AF_INET, AUTH1, &sa.sin_addr);
    ck_assert_int_eq(connect(idle, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(ask(&l, AUTH1, "lab.test", MXD_T_MX, &TCP, &m, NULL), 0);
    mxd_dnsmsg_free(&m);
    close(idle);
    lab_free(&l);
}
END_TEST

START_TEST(test_auth_formerr_and_responses)
{
    lab l;
    lab_opts o = { 0 };
    lab_start(&l, &o);
    /* a header that promises a question and has none */
    static const uint8_t bad[] = { 0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0 };
    client c;
    ck_assert_uint_eq(exchange(&l, &c, AUTH1, false, bad, sizeof bad, 0, 1, 2000), 1);
    mxd_dnsmsg m;
    ck_assert_int_eq(mxd_dns_parse(c.in, c.inlen, &m), 0);
    ck_assert_uint_eq(m.id, 0x1234);
    ck_assert_int_eq(m.rcode, MXD_RCODE_FORMERR);
    mxd_dnsmsg_free(&m);
    free(c.in);
    /* a response (QR set) is never answered: no reflection loops */
    uint8_t resp[512];
    int n = mxd_dns_build_query(resp, sizeof resp, 7, "lab.test", MXD_T_MX, false, false);
    resp[2] |= 0x80;
    ck_assert_uint_eq(exchange(&l, &c, AUTH1, false, resp, (size_t)n, 0, 1, 300), 0);
    free(c.in);
    /* an opcode other than QUERY: NOTIMP */
    n = mxd_dns_build_query(resp, sizeof resp, 8, "lab.test", MXD_T_MX, false, false);
    resp[2] = (uint8_t)(resp[2] | (2 << 3)); /* STATUS */
    ck_assert_uint_eq(exchange(&l, &c, AUTH1, false, resp, (size_t)n, 0, 1, 2000), 1);
    ck_assert_int_eq(mxd_dns_parse(c.in, c.inlen, &m), 0);
    ck_assert_int_eq(m.rcode, MXD_RCODE_NOTIMP);
    mxd_dnsmsg_free(&m);
    free(c.in);
    lab_free(&l);
}
END_TEST

START_TEST(test_auth_modes)
{
    lab l;
    lab_opts o = { .nauth = 3, .mode = { MXD_AUTH_LAME, MXD_AUTH_SERVFAIL, MXD_AUTH_SILENT } };
    lab_start(&l, &o);
    mxd_dnsmsg m;
    /* LAME: REFUSED, and never AA */
    ck_assert_int_eq(ask(&l, AUTH1, "lab.test", MXD_T_MX, &UDP, &m, NULL), 0);
    ck_assert_int_eq(m.rcode, MXD_RCODE_REFUSED);
    ck_assert(!(m.flags & MXD_F_AA));
    ck_assert_uint_eq(m.nan, 0);
    mxd_dnsmsg_free(&m);
    ck_assert_int_eq(ask(&l, AUTH2, "lab.test", MXD_T_MX, &UDP, &m, NULL), 0);
    ck_assert_int_eq(m.rcode, MXD_RCODE_SERVFAIL);
    ck_assert(!(m.flags & MXD_F_AA));
    mxd_dnsmsg_free(&m);
    /* SILENT: nothing, though the query did arrive */
    ask_opts quick = { .timeout_ms = 300 };
    ck_assert_int_eq(ask(&l, AUTH3, "lab.test", MXD_T_MX, &quick, &m, NULL), -1);
    ck_assert_uint_eq(mxd_labdns_auth_queries(l.auth[2]), 1);
    lab_free(&l);
}
END_TEST

START_TEST(test_auth_latency)
{
    lab l;
    lab_opts o = { .auth_latency = 300 };
    lab_start(&l, &o);
    mxd_dnsmsg m;
    uint64_t el = 0;
    ck_assert_int_eq(ask(&l, AUTH1, "lab.test", MXD_T_MX, &UDP, &m, &el), 0);
    ck_assert_uint_ge(el, 300);
    ck_assert_uint_lt(el, 2000);
    ck_assert_uint_eq(m.nan, 1);
    mxd_dnsmsg_free(&m);
    ck_assert_int_eq(ask(&l, AUTH1, "lab.test", MXD_T_MX, &TCP, &m, &el), 0);
    ck_assert_uint_ge(el, 300);
    mxd_dnsmsg_free(&m);
    lab_free(&l);
}
END_TEST

START_TEST(test_bind_rules)
{
    mxd_loop *loop = mxd_loop_new();
    char err[256];
    build_zones();
    const char *bad_addrs[] = { "10.1.2.3", "0.0.0.0", "192.168.1.1", "::1", "localhost", "" };
    for (size_t i = 0; i < sizeof bad_addrs / sizeof bad_addrs[0]; i++) {
        mxd_labdns_auth_cfg c = { .addr = bad_addrs[i], .port = 40000, .zones = zones, .nzones = 2 };
        errno = 0;
        ck_assert_ptr_null(mxd_labdns_auth_start(loop, &c, err, sizeof err));
        ck_assert_int_eq(errno, EINVAL);
        mxd_labdns_resolver_cfg r = { .addr = bad_addrs[i], .port = 40000 };
        ck_assert_ptr_null(mxd_labdns_resolver_start(loop, &r, err, sizeof err));
    }
    const uint16_t bad_ports[] = { 5353, 53, 0, 1023 };
    for (size_t i = 0; i < sizeof bad_ports / sizeof bad_ports[0]; i++) {
        mxd_labdns_auth_cfg c = { .addr = AUTH1, .port = bad_ports[i], .zones = zones, .nzones = 2 };
        errno = 0;
        ck_assert_ptr_null(mxd_labdns_auth_start(loop, &c, err, sizeof err));
        ck_assert_int_eq(errno, EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "port"));
    }
    ck_assert_uint_eq(mxd_loop_pending(loop), 0);
    mxd_loop_free(loop);

    /* The same address and port twice: EADDRINUSE. After free: free again. */
    lab l;
    lab_opts o = { 0 };
    lab_start(&l, &o);
    mxd_labdns_auth_cfg c = { .addr = AUTH1, .port = l.port, .zones = zones, .nzones = 2 };
    errno = 0;
    ck_assert_ptr_null(mxd_labdns_auth_start(l.loop, &c, err, sizeof err));
    ck_assert_int_eq(errno, EADDRINUSE);
    mxd_labdns_auth_free(l.auth[0]);
    l.auth[0] = mxd_labdns_auth_start(l.loop, &c, err, sizeof err);
    ck_assert_msg(l.auth[0] != NULL, "%s", err);
    /* the resolver only ever asks loopback servers */
    ck_assert_int_eq(mxd_labdns_resolver_add_zone(l.res, "x.test", "192.0.2.1"), -1);
    ck_assert_int_eq(mxd_labdns_resolver_add_zone(l.res, "a..b", AUTH1), -1);
    lab_free(&l);
}
END_TEST

START_TEST(test_zone_complete)
{
    mxd_scn_zone z;
    memset(&z, 0, sizeof z);
    snprintf(z.origin, sizeof z.origin, "new.test");
    z.rrs = calloc(1, sizeof *z.rrs);
    z.rrs[0] = mx("new.test", 10, "mx.new.test");
    z.nrrs = 1;
    ck_assert_int_eq(mxd_scn_zone_complete(&z), 0);
    ck_assert_uint_eq(z.nrrs, 3);
    int soas = 0, nss = 0;
    for (size_t i = 0; i < z.nrrs; i++) {
        if (z.rrs[i].type == MXD_T_SOA) {
            soas++;
            ck_assert_str_eq(z.rrs[i].name, "new.test");
            ck_assert_str_eq(z.rrs[i].u.soa.mname, "ns1.new.test");
            ck_assert_str_eq(z.rrs[i].u.soa.rname, "hostmaster.new.test");
            ck_assert_uint_eq(z.rrs[i].u.soa.minimum, 300);
            ck_assert_uint_gt(z.rrs[i].u.soa.serial, 0);
        }
        if (z.rrs[i].type == MXD_T_NS) {
            nss++;
            ck_assert_str_eq(z.rrs[i].u.target, "ns1.new.test");
        }
    }
    ck_assert_int_eq(soas, 1);
    ck_assert_int_eq(nss, 1);
    /* complete already: nothing added */
    ck_assert_int_eq(mxd_scn_zone_complete(&z), 0);
    ck_assert_uint_eq(z.nrrs, 3);
    for (size_t i = 0; i < z.nrrs; i++)
        mxd_rr_clear(&z.rrs[i]);
    free(z.rrs);
}
END_TEST

/* ---- resolver ---------------------------------------------------------- */

START_TEST(test_resolver_ra_ttl_counts_down)
{
    lab l;
    lab_opts o = { 0 };
    lab_start(&l, &o);
    mxd_dnsmsg m;
    ck_assert_int_eq(ask(&l, RESOLVER, "lab.test", MXD_T_MX, &RECURSE, &m, NULL), 0);
    ck_assert_int_eq(m.rcode, MXD_RCODE_NOERROR);
    ck_assert(m.flags & MXD_F_RA);
    ck_assert(m.flags & MXD_F_RD);
    ck_assert(!(m.flags & MXD_F_AA));
    ck_assert_uint_eq(m.nan, 1);
    ck_assert(mxd_dns_name_eq(m.an[0].u.mx.host, "mx1.lab.test"));
    uint32_t ttl1 = m.an[0].ttl;
    ck_assert_uint_le(ttl1, 300);
    ck_assert_uint_ge(ttl1, 299);
    mxd_dnsmsg_free(&m);
    unsigned long up = mxd_labdns_resolver_upstream_queries(l.res);
    unsigned long seen = mxd_labdns_auth_queries(l.auth[0]);
    ck_assert_uint_eq(up, 1);
    ck_assert_uint_eq(seen, 1);

    wait_ms(&l, 1100);
    ck_assert_int_eq(ask(&l, RESOLVER, "lab.test", MXD_T_MX, &RECURSE, &m, NULL), 0);
    ck_assert_uint_eq(m.nan, 1);
    ck_assert_uint_lt(m.an[0].ttl, ttl1);
    ck_assert_uint_ge(m.an[0].ttl, 297);
    mxd_dnsmsg_free(&m);
    /* from the cache: the authoritative server was not asked again */
    ck_assert_uint_eq(mxd_labdns_auth_queries(l.auth[0]), seen);
    ck_assert_uint_eq(mxd_labdns_resolver_upstream_queries(l.res), up);
    /* over TCP too */
    ck_assert_int_eq(ask(&l, RESOLVER, "lab.test", MXD_T_MX, &TCP, &m, NULL), 0);
    ck_assert(m.flags & MXD_F_RA);
    ck_assert_uint_eq(m.nan, 1);
    mxd_dnsmsg_free(&m);
    lab_free(&l);
}
END_TEST

START_TEST(test_resolver_negative_cache)
{
    lab l;
    lab_opts o = { 0 };
    lab_start(&l, &o);
    mxd_dnsmsg m;
    ck_assert_int_eq(ask(&l, RESOLVER, "nope.lab.test", MXD_T_MX, &RECURSE, &m, NULL), 0);
    ck_assert_int_eq(m.rcode, MXD_RCODE_NXDOMAIN);
    ck_assert(m.flags & MXD_F_RA);
    ck_assert_uint_eq(m.nns, 1);
    ck_assert_uint_eq(m.ns[0].type, MXD_T_SOA);
    ck_assert_uint_eq(m.ns[0].ttl, 120);
    mxd_dnsmsg_free(&m);
    unsigned long seen = mxd_labdns_auth_queries(l.auth[0]);
    /* NXDOMAIN covers every type at that name */
    ck_assert_int_eq(ask(&l, RESOLVER, "nope.lab.test", MXD_T_A, &RECURSE, &m, NULL), 0);
    ck_assert_int_eq(m.rcode, MXD_RCODE_NXDOMAIN);
    ck_assert_uint_eq(m.nns, 1);
    ck_assert_uint_le(m.ns[0].ttl, 120);
    mxd_dnsmsg_free(&m);
    ck_assert_uint_eq(mxd_labdns_auth_queries(l.auth[0]), seen);

    /* NODATA is cached per (name, type) */
    ck_assert_int_eq(ask(&l, RESOLVER, "mx1.lab.test", MXD_T_AAAA, &RECURSE, &m, NULL), 0);
    ck_assert_int_eq(m.rcode, MXD_RCODE_NOERROR);
    ck_assert_uint_eq(m.nan, 0);
    ck_assert_uint_eq(m.nns, 1);
    mxd_dnsmsg_free(&m);
    seen = mxd_labdns_auth_queries(l.auth[0]);
    wait_ms(&l, 1100);
    ck_assert_int_eq(ask(&l, RESOLVER, "mx1.lab.test", MXD_T_AAAA, &RECURSE, &m, NULL), 0);
    ck_assert_int_eq(m.rcode, MXD_RCODE_NOERROR);
    ck_assert_uint_eq(m.nns, 1);
    ck_assert_uint_lt(m.ns[0].ttl, 120); /* counting down */
    mxd_dnsmsg_free(&m);
    ck_assert_uint_eq(mxd_labdns_auth_queries(l.auth[0]), seen);
    /* ...but the A record at the same name is not negative */
    ck_assert_int_eq(ask(&l, RESOLVER, "mx1.lab.test", MXD_T_A, &RECURSE, &m, NULL), 0);
    ck_assert_uint_eq(m.nan, 1);
    mxd_dnsmsg_free(&m);
    ck_assert_uint_eq(mxd_labdns_auth_queries(l.auth[0]), seen + 1);

    /* A cached "no CNAME here" is not a CNAME to follow for other types. */
    ck_assert_int_eq(ask(&l, RESOLVER, "lab.test", MXD_T_CNAME, &RECURSE, &m, NULL), 0);
    ck_assert_uint_eq(m.nan, 0);
    mxd_dnsmsg_free(&m);
    ck_assert_int_eq(ask(&l, RESOLVER, "lab.test", MXD_T_MX, &RECURSE, &m, NULL), 0);
    ck_assert_uint_eq(m.nan, 1);
    ck_assert_uint_eq(m.an[0].type, MXD_T_MX);
    ck_assert_str_eq(m.an[0].u.mx.host, "mx1.lab.test");
    mxd_dnsmsg_free(&m);

    /* a flushed cache asks again */
    seen = mxd_labdns_auth_queries(l.auth[0]);
    mxd_labdns_resolver_flush(l.res);
    ck_assert_int_eq(ask(&l, RESOLVER, "nope.lab.test", MXD_T_MX, &RECURSE, &m, NULL), 0);
    ck_assert_int_eq(m.rcode, MXD_RCODE_NXDOMAIN);
    mxd_dnsmsg_free(&m);
    ck_assert_uint_eq(mxd_labdns_auth_queries(l.auth[0]), seen + 1);
    lab_free(&l);
}
END_TEST

START_TEST(test_resolver_refused_outside)
{
    lab l;
    lab_opts o = { 0 };
    lab_start(&l, &o);
    mxd_dnsmsg m;
    ck_assert_int_eq(ask(&l, RESOLVER, "example.com", MXD_T_MX, &RECURSE, &m, NULL), 0);
    ck_assert_int_eq(m.rcode, MXD_RCODE_REFUSED);
    ck_assert(m.flags & MXD_F_RA);
    mxd_dnsmsg_free(&m);
    ck_assert_uint_eq(mxd_labdns_resolver_upstream_queries(l.res), 0);
    /* a CNAME that leads out of the lab cannot be resolved: SERVFAIL, chain kept */
    ck_assert_int_eq(ask(&l, RESOLVER, "out.lab.test", MXD_T_MX, &RECURSE, &m, NULL), 0);
    ck_assert_int_eq(m.rcode, MXD_RCODE_SERVFAIL);
    ck_assert_uint_eq(m.nan, 1);
    ck_assert_uint_eq(m.an[0].type, MXD_T_CNAME);
    mxd_dnsmsg_free(&m);
    lab_free(&l);
}
END_TEST

START_TEST(test_resolver_cname_across_zones)
{
    /* other.test lives only on AUTH2, lab.test only on AUTH1: the resolver
     * must take the CNAME from one and the A from the other. */
    lab l;
    lab_opts o = { .nauth = 2, .split = true };
    lab_start(&l, &o);
    mxd_dnsmsg m;
    /* AUTH1 alone gives just the CNAME: the target is not its zone. */
    ck_assert_int_eq(ask(&l, AUTH1, "alias.lab.test", MXD_T_A, &UDP, &m, NULL), 0);
    ck_assert_uint_eq(m.nan, 1);
    mxd_dnsmsg_free(&m);
    ck_assert_int_eq(ask(&l, RESOLVER, "alias.lab.test", MXD_T_A, &RECURSE, &m, NULL), 0);
    ck_assert_int_eq(m.rcode, MXD_RCODE_NOERROR);
    ck_assert_uint_eq(m.nan, 2);
    ck_assert_uint_eq(m.an[0].type, MXD_T_CNAME);
    ck_assert_uint_eq(m.an[1].type, MXD_T_A);
    ck_assert_mem_eq(m.an[1].u.a, ((uint8_t[]){ 127, 0, 25, 2 }), 4);
    mxd_dnsmsg_free(&m);
    /* one query to each server */
    ck_assert_uint_eq(mxd_labdns_resolver_upstream_queries(l.res), 2);
    ck_assert_uint_eq(mxd_labdns_auth_queries(l.auth[1]), 1);
    /* Again: the CNAME and the target's A both come from the cache. */
    unsigned long up = mxd_labdns_resolver_upstream_queries(l.res);
    ck_assert_int_eq(ask(&l, RESOLVER, "alias.lab.test", MXD_T_A, &RECURSE, &m, NULL), 0);
    ck_assert_uint_eq(m.nan, 2);
    mxd_dnsmsg_free(&m);
    ck_assert_uint_eq(mxd_labdns_resolver_upstream_queries(l.res), up);
    /* A CNAME loop: bounded, and an answer comes. */
    ck_assert_int_eq(ask(&l, RESOLVER, "loop1.lab.test", MXD_T_A, &RECURSE, &m, NULL), 0);
    ck_assert_int_eq(m.rcode, MXD_RCODE_SERVFAIL);
    mxd_dnsmsg_free(&m);
    lab_free(&l);
}
END_TEST

/* Simulated DNSSEC: AD on answers from zones marked signed, for clients that
 * ask about DNSSEC (AD or DO, RFC 6840 §5.7), never for other zones. */
START_TEST(test_resolver_dnssec_simulated)
{
    lab l;
    lab_opts o = { 0 };
    lab_start(&l, &o);
    ck_assert_int_eq(mxd_labdns_resolver_set_dnssec(l.res, "lab.test", true), 0);
    ck_assert_int_eq(mxd_labdns_resolver_set_dnssec(l.res, "other.test", false), 0);
    ck_assert_int_eq(mxd_labdns_resolver_set_dnssec(l.res, "bad..name", true), -1);
    static const ask_opts AD = { .rd = true, .ad = true }, DO = { .rd = true, .dnssec_ok = true };
    static const struct {
        const char *name;
        uint16_t type;
        const ask_opts *o;
        int rcode;
        bool ad;
    } cases[] = {
        { "mx1.lab.test", MXD_T_A, &RECURSE, MXD_RCODE_NOERROR, false }, /* not asked */
        { "mx1.lab.test", MXD_T_A, &AD, MXD_RCODE_NOERROR, true },      /* from the cache */
        { "lab.test", MXD_T_MX, &DO, MXD_RCODE_NOERROR, true },
        { "nope.lab.test", MXD_T_A, &AD, MXD_RCODE_NXDOMAIN, true },    /* signed denial */
        { "mx1.lab.test", MXD_T_TXT, &AD, MXD_RCODE_NOERROR, true },    /* NODATA */
        { "target.other.test", MXD_T_A, &AD, MXD_RCODE_NOERROR, false }, /* unsigned zone */
        { "alias.lab.test", MXD_T_A, &AD, MXD_RCODE_NOERROR, false },  /* CNAME into it */
        { "example.com", MXD_T_A, &AD, MXD_RCODE_REFUSED, false },
        { "out.lab.test", MXD_T_A, &AD, MXD_RCODE_SERVFAIL, false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mxd_dnsmsg m;
        ck_assert_int_eq(ask(&l, RESOLVER, cases[i].name, cases[i].type, cases[i].o, &m, NULL), 0);
        ck_assert_msg(m.rcode == cases[i].rcode, "case %zu: rcode %d", i, m.rcode);
        ck_assert_msg(((m.flags & MXD_F_AD) != 0) == cases[i].ad, "case %zu: AD %s", i,
                      (m.flags & MXD_F_AD) ? "set" : "clear");
        mxd_dnsmsg_free(&m);
    }
    /* A zone served in two versions counts as signed when either is; the
     * longest origin decides, so an unsigned child zone stays unsigned. */
    ck_assert_int_eq(mxd_labdns_resolver_set_dnssec(l.res, "other.test", true), 0);
    ck_assert_int_eq(mxd_labdns_resolver_set_dnssec(l.res, "b.lab.test.", false), 0);
    mxd_dnsmsg m;
    ck_assert_int_eq(ask(&l, RESOLVER, "alias.lab.test", MXD_T_A, &AD, &m, NULL), 0);
    ck_assert(m.flags & MXD_F_AD);
    mxd_dnsmsg_free(&m);
    ck_assert_int_eq(ask(&l, RESOLVER, "a.b.lab.test", MXD_T_A, &AD, &m, NULL), 0);
    ck_assert_int_eq(m.rcode, MXD_RCODE_NOERROR);
    ck_assert(!(m.flags & MXD_F_AD));
    mxd_dnsmsg_free(&m);
    lab_free(&l);
}
END_TEST

START_TEST(test_resolver_tcp_fallback)
{
    lab l;
    lab_opts o = { 0 };
    lab_start(&l, &o);
    mxd_dnsmsg m;
    /* 3000 bytes: the authoritative UDP answer is truncated, so the resolver
     * asks again over TCP; its own answer to us over TCP is whole. */
    ck_assert_int_eq(ask(&l, RESOLVER, "bigtxt.lab.test", MXD_T_TXT, &TCP, &m, NULL), 0);
    ck_assert_int_eq(m.rcode, MXD_RCODE_NOERROR);
    ck_assert_uint_eq(m.nan, 1);
    ck_assert_uint_eq(m.an[0].data_len, BIGTXT_LEN);
    ck_assert_mem_eq(m.an[0].data, bigtxt, BIGTXT_LEN);
    mxd_dnsmsg_free(&m);
    ck_assert_uint_eq(mxd_labdns_resolver_upstream_queries(l.res), 2); /* UDP, then TCP */
    /* over UDP to us, it is truncated in turn */
    ck_assert_int_eq(ask(&l, RESOLVER, "bigtxt.lab.test", MXD_T_TXT, &UDP, &m, NULL), 0);
    ck_assert(m.flags & MXD_F_TC);
    mxd_dnsmsg_free(&m);
    lab_free(&l);
}
END_TEST

START_TEST(test_resolver_silent_servfail)
{
    lab l;
    lab_opts o = { .mode = { MXD_AUTH_SILENT }, .try_ms = 250, .deadline_ms = 800 };
    lab_start(&l, &o);
    mxd_dnsmsg m;
    uint64_t el = 0;
    ck_assert_int_eq(ask(&l, RESOLVER, "lab.test", MXD_T_MX, &RECURSE, &m, &el), 0);
    ck_assert_int_eq(m.rcode, MXD_RCODE_SERVFAIL);
    ck_assert(m.flags & MXD_F_RA);
    mxd_dnsmsg_free(&m);
    ck_assert_uint_ge(el, 800);
    ck_assert_uint_lt(el, 2500);
    /* one try per 250 ms: three or four before the deadline */
    ck_assert_uint_ge(mxd_labdns_auth_queries(l.auth[0]), 3);
    ck_assert_uint_le(mxd_labdns_auth_queries(l.auth[0]), 4);
    lab_free(&l);
}
END_TEST

START_TEST(test_resolver_lame)
{
    /* AUTH1 lame, AUTH2 normal: the resolver moves on and answers. */
    lab l;
    lab_opts o = { .nauth = 2, .mode = { MXD_AUTH_LAME, MXD_AUTH_NORMAL },
                   .lab_servers = { AUTH1, AUTH2 }, .try_ms = 2000, .deadline_ms = 3000 };
    lab_start(&l, &o);
    mxd_dnsmsg m;
    uint64_t el = 0;
    ck_assert_int_eq(ask(&l, RESOLVER, "lab.test", MXD_T_MX, &RECURSE, &m, &el), 0);
    ck_assert_int_eq(m.rcode, MXD_RCODE_NOERROR);
    ck_assert_uint_eq(m.nan, 1);
    mxd_dnsmsg_free(&m);
    ck_assert_uint_lt(el, 1000); /* no timeout was waited out */
    ck_assert_uint_eq(mxd_labdns_auth_queries(l.auth[0]), 1);
    ck_assert_uint_eq(mxd_labdns_auth_queries(l.auth[1]), 1);
    lab_free(&l);

    /* Only lame servers: SERVFAIL at once, not at the deadline. */
    lab_opts o2 = { .mode = { MXD_AUTH_LAME }, .try_ms = 2000, .deadline_ms = 3000 };
    lab_start(&l, &o2);
    ck_assert_int_eq(ask(&l, RESOLVER, "lab.test", MXD_T_MX, &RECURSE, &m, &el), 0);
    ck_assert_int_eq(m.rcode, MXD_RCODE_SERVFAIL);
    mxd_dnsmsg_free(&m);
    ck_assert_uint_lt(el, 1000);
    ck_assert_uint_eq(mxd_labdns_auth_queries(l.auth[0]), 2);
    lab_free(&l);
}
END_TEST

START_TEST(test_resolver_latency)
{
    lab l;
    lab_opts o = { .auth_latency = 200, .res_latency = 200 };
    lab_start(&l, &o);
    mxd_dnsmsg m;
    uint64_t el = 0;
    /* a cache miss pays both: the resolver's own delay and the server's */
    ck_assert_int_eq(ask(&l, RESOLVER, "lab.test", MXD_T_MX, &RECURSE, &m, &el), 0);
    ck_assert_uint_eq(m.nan, 1);
    mxd_dnsmsg_free(&m);
    ck_assert_uint_ge(el, 400);
    /* a cache hit only the resolver's */
    ck_assert_int_eq(ask(&l, RESOLVER, "lab.test", MXD_T_MX, &RECURSE, &m, &el), 0);
    mxd_dnsmsg_free(&m);
    ck_assert_uint_ge(el, 200);
    ck_assert_uint_lt(el, 400);
    lab_free(&l);
}
END_TEST

START_TEST(test_resolver_preload_stale)
{
    lab l;
    lab_opts o = { 0 };
    lab_start(&l, &o);
    /* The zone says mx1.lab.test; this resolver still holds the old MX. */
    mxd_rr old = mx("lab.test", 10, "old-mx.lab.test");
    old.ttl = 86400; /* ignored: the remaining TTL is what counts */
    ck_assert_int_eq(mxd_labdns_resolver_preload(l.res, "lab.test", MXD_T_MX, &old, 1, 50), 0);
    mxd_dnsmsg m;
    ck_assert_int_eq(ask(&l, RESOLVER, "lab.test", MXD_T_MX, &RECURSE, &m, NULL), 0);
    ck_assert_uint_eq(m.nan, 1);
    ck_assert_str_eq(m.an[0].u.mx.host, "old-mx.lab.test");
    ck_assert_uint_le(m.an[0].ttl, 50);
    ck_assert_uint_ge(m.an[0].ttl, 49);
    mxd_dnsmsg_free(&m);
    ck_assert_uint_eq(mxd_labdns_auth_queries(l.auth[0]), 0);
    /* The authoritative server meanwhile tells the truth. */
    ck_assert_int_eq(ask(&l, AUTH1, "lab.test", MXD_T_MX, &UDP, &m, NULL), 0);
    ck_assert_str_eq(m.an[0].u.mx.host, "mx1.lab.test");
    mxd_dnsmsg_free(&m);
    /* A one-second entry expires, and then the resolver asks. */
    ck_assert_int_eq(mxd_labdns_resolver_preload(l.res, "lab.test", MXD_T_MX, &old, 1, 1), 0);
    wait_ms(&l, 1050);
    ck_assert_int_eq(ask(&l, RESOLVER, "lab.test", MXD_T_MX, &RECURSE, &m, NULL), 0);
    ck_assert_str_eq(m.an[0].u.mx.host, "mx1.lab.test");
    mxd_dnsmsg_free(&m);
    ck_assert_int_eq(mxd_labdns_resolver_preload(l.res, "lab.test", MXD_T_MX, &old, 0, 50), -1);
    mxd_rr_clear(&old);
    lab_free(&l);
}
END_TEST

/* Hundreds of corrupted queries over UDP and a garbage TCP stream: the
 * servers shrug them off (FORMERR or silence) and still answer properly. */
START_TEST(test_servers_survive_garbage)
{
    lab l;
    lab_opts o = { .try_ms = 100, .deadline_ms = 300 };
    lab_start(&l, &o);
    uint8_t good[512], b[512];
    int n = mxd_dns_build_query(good, sizeof good, 1, "www.lab.test", MXD_T_A, true, true);
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    ck_assert_int_ge(u, 0);
    ck_assert_int_eq(fcntl(u, F_SETFL, O_NONBLOCK), 0);
    struct sockaddr_in to[2] = { { .sin_family = AF_INET, .sin_port = htons(l.port) },
                                 { .sin_family = AF_INET, .sin_port = htons(l.port) } };
    inet_pton(AF_INET, AUTH1, &to[0].sin_addr);
    inet_pton(AF_INET, RESOLVER, &to[1].sin_addr);
    uint32_t x = 0x12345678u;
    for (int i = 0; i < 600; i++) {
        memcpy(b, good, (size_t)n);
        for (int k = 0; k < 1 + i % 4; k++) {
            x ^= x << 13; x ^= x >> 17; x ^= x << 5;
            b[x % (uint32_t)n] = (uint8_t)(x >> 8);
        }
        b[2] &= 0x7f; /* keep them queries, so they get past the first check */
        size_t len = (i % 5 == 0) ? (x >> 20) % ((uint32_t)n + 1) : (size_t)n;
        (void)sendto(u, b, len, 0, (struct sockaddr *)&to[i % 2], sizeof to[0]);
        if (i % 50 == 0)
            wait_ms(&l, 5); /* let the servers drain their sockets */
    }
    wait_ms(&l, 400); /* the resolver's upstream queries finish or time out */
    close(u);
    /* A TCP stream of garbage, with a length prefix that lies. */
    uint8_t junk[300];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 37 + 11);
    junk[0] = 0x00; junk[1] = 0x20;
    client c;
    exchange(&l, &c, AUTH1, true, junk, sizeof junk, 0, 5, 300);
    free(c.in);
    mxd_dnsmsg m;
    ck_assert_int_eq(ask(&l, AUTH1, "lab.test", MXD_T_MX, &UDP, &m, NULL), 0);
    ck_assert_uint_eq(m.nan, 1);
    mxd_dnsmsg_free(&m);
    ck_assert_int_eq(ask(&l, RESOLVER, "lab.test", MXD_T_MX, &RECURSE, &m, NULL), 0);
    ck_assert_uint_eq(m.nan, 1);
    mxd_dnsmsg_free(&m);
    ck_assert_uint_gt(mxd_labdns_auth_queries(l.auth[0]), 200);
    lab_free(&l);
}
END_TEST

/* ---- the name index: answers from zones of any size ------------------ */

/* A zone on the heap that grows as records come (free with zone_done). */
static void zone_init(mxd_scn_zone *z, const char *origin)
{
    memset(z, 0, sizeof *z);
    snprintf(z->origin, sizeof z->origin, "%s", origin);
}

static void zone_put(mxd_scn_zone *z, mxd_rr r)
{
    mxd_rr *nv = realloc(z->rrs, (z->nrrs + 1) * sizeof *nv);
    ck_assert_ptr_nonnull(nv);
    z->rrs = nv;
    z->rrs[z->nrrs++] = r;
}

static void zone_done(mxd_scn_zone *zs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < zs[i].nrrs; k++)
            mxd_rr_clear(&zs[i].rrs[k]);
        free(zs[i].rrs);
    }
}

/* Asks AUTH1 and checks the rcode, the answer count and, for a negative
 * answer, the SOA's owner. */
static void expect(lab *l, const char *name, uint16_t type, int rcode, size_t nan,
                   const char *soa_owner)
{
    mxd_dnsmsg m;
    ck_assert_int_eq(ask(l, AUTH1, name, type, &UDP, &m, NULL), 0);
    ck_assert_msg(m.rcode == rcode, "%s: rcode %d, want %d", name, m.rcode, rcode);
    ck_assert_msg(m.nan == nan, "%s: %zu answers, want %zu", name, m.nan, nan);
    ck_assert(m.flags & MXD_F_AA);
    if (soa_owner) {
        ck_assert_uint_eq(m.nns, 1);
        ck_assert_uint_eq(m.ns[0].type, MXD_T_SOA);
        /* the writer compresses names: the question's spelling may show */
        ck_assert_msg(mxd_dns_name_eq(m.ns[0].name, soa_owner), "%s: SOA of %s", name, m.ns[0].name);
    }
    mxd_dnsmsg_free(&m);
}

START_TEST(test_index_case_insensitive)
{
    mxd_scn_zone z;
    zone_init(&z, "Mixed.Test");
    zone_put(&z, a4("WWW.Mixed.TEST", 7));
    zone_put(&z, mx("mixed.test", 10, "MX.MIXED.TEST"));
    zone_put(&z, a4("mx.mixed.test", 8));
    lab l;
    lab_opts o = { .zones = &z, .nzones = 1 };
    lab_start(&l, &o);
    mxd_dnsmsg m;
    ck_assert_int_eq(ask(&l, AUTH1, "www.MIXED.test", MXD_T_A, &UDP, &m, NULL), 0);
    ck_assert_int_eq(m.rcode, MXD_RCODE_NOERROR);
    ck_assert_uint_eq(m.nan, 1);
    ck_assert_mem_eq(m.an[0].u.a, ((uint8_t[]){ 127, 0, 25, 7 }), 4);
    mxd_dnsmsg_free(&m);
    /* the glue is found whatever case the MX target is written in */
    ck_assert_int_eq(ask(&l, AUTH1, "MIXED.TEST", MXD_T_MX, &UDP, &m, NULL), 0);
    ck_assert_uint_eq(m.nan, 1);
    ck_assert_uint_eq(m.nar, 2); /* the A of mx.mixed.test, and OPT */
    ck_assert_uint_eq(m.ar[0].type, MXD_T_A);
    ck_assert_mem_eq(m.ar[0].u.a, ((uint8_t[]){ 127, 0, 25, 8 }), 4);
    mxd_dnsmsg_free(&m);
    /* \087 is 'W': the same name written another way */
    expect(&l, "\\087ww.mixed.test", MXD_T_A, MXD_RCODE_NOERROR, 1, NULL);
    expect(&l, "Www.Mixed.Test", MXD_T_AAAA, MXD_RCODE_NOERROR, 0, "Mixed.Test");
    expect(&l, "nope.mixed.TEST", MXD_T_A, MXD_RCODE_NXDOMAIN, 0, "Mixed.Test");
    lab_free(&l);
    zone_done(&z, 1);
}
END_TEST

START_TEST(test_index_empty_nonterminals)
{
    mxd_scn_zone z;
    zone_init(&z, "ent.test");
    zone_put(&z, a4("x.y.z.ent.test", 1));
    zone_put(&z, a4("a.m.e.ent.test", 2));
    zone_put(&z, a4("b.n.e.ent.test", 3)); /* shares e.ent.test with the one above */
    zone_put(&z, a4("c.d.ent.test", 4));
    zone_put(&z, mx("d.ent.test", 10, "c.d.ent.test")); /* d: an ancestor first, then data */
    lab l;
    lab_opts o = { .zones = &z, .nzones = 1 };
    lab_start(&l, &o);
    static const char *const ents[] = { "y.z.ent.test", "z.ent.test", "m.e.ent.test",
                                        "n.e.ent.test", "e.ent.test" };
    for (size_t i = 0; i < sizeof ents / sizeof *ents; i++)
        expect(&l, ents[i], MXD_T_A, MXD_RCODE_NOERROR, 0, "ent.test");
    static const char *const none[] = { "w.z.ent.test", "q.x.y.z.ent.test", "y.ent.test",
                                        "n.ent.test", "m.n.e.ent.test" };
    for (size_t i = 0; i < sizeof none / sizeof *none; i++)
        expect(&l, none[i], MXD_T_A, MXD_RCODE_NXDOMAIN, 0, "ent.test");
    expect(&l, "x.y.z.ent.test", MXD_T_A, MXD_RCODE_NOERROR, 1, NULL);
    expect(&l, "b.n.e.ent.test", MXD_T_A, MXD_RCODE_NOERROR, 1, NULL);
    expect(&l, "d.ent.test", MXD_T_MX, MXD_RCODE_NOERROR, 1, NULL);
    expect(&l, "d.ent.test", MXD_T_A, MXD_RCODE_NOERROR, 0, "ent.test");
    /* the apex: the synthesised SOA and NS */
    expect(&l, "ENT.test", MXD_T_ANY, MXD_RCODE_NOERROR, 2, NULL);
    lab_free(&l);
    zone_done(&z, 1);
}
END_TEST

START_TEST(test_index_longest_zone)
{
    mxd_scn_zone z[5];
    zone_init(&z[0], ".");
    zone_put(&z[0], a4("foo.example", 1));
    zone_init(&z[1], "lab2.test");
    zone_put(&z[1], a4("www.lab2.test", 2));
    zone_put(&z[1], a4("x.sub.lab2.test", 3)); /* hidden by the zone below */
    zone_init(&z[2], "sub.lab2.test");
    zone_put(&z[2], a4("y.sub.lab2.test", 4));
    zone_init(&z[3], "dup.test");
    zone_put(&z[3], a4("a.dup.test", 5));
    zone_init(&z[4], "DUP.test."); /* the same origin again: the first one speaks */
    zone_put(&z[4], a4("a.dup.test", 6));
    zone_put(&z[4], a4("b.dup.test", 7));
    lab l;
    lab_opts o = { .zones = z, .nzones = 5 };
    lab_start(&l, &o);
    expect(&l, "x.sub.lab2.test", MXD_T_A, MXD_RCODE_NXDOMAIN, 0, "sub.lab2.test");
    expect(&l, "y.sub.lab2.test", MXD_T_A, MXD_RCODE_NOERROR, 1, NULL);
    expect(&l, "www.lab2.test", MXD_T_A, MXD_RCODE_NOERROR, 1, NULL);
    expect(&l, "foo.example", MXD_T_A, MXD_RCODE_NOERROR, 1, NULL);
    expect(&l, "bar.example", MXD_T_A, MXD_RCODE_NXDOMAIN, 0, ".");
    expect(&l, "b.dup.test", MXD_T_A, MXD_RCODE_NXDOMAIN, 0, "dup.test");
    mxd_dnsmsg m;
    ck_assert_int_eq(ask(&l, AUTH1, "a.dup.test", MXD_T_A, &UDP, &m, NULL), 0);
    ck_assert_uint_eq(m.nan, 1);
    ck_assert_mem_eq(m.an[0].u.a, ((uint8_t[]){ 127, 0, 25, 5 }), 4);
    mxd_dnsmsg_free(&m);
    lab_free(&l);
    zone_done(z, 5);
}
END_TEST

/* d0001..d2000.bench.test, each with two MX over four hosts, as the batch
 * benchmark's scenario has them; and one name whose three MX lie at the
 * start, the middle and the end of the zone. */
#define BIG_N 2000

static void big_zone(mxd_scn_zone *z)
{
    zone_init(z, "bench.test");
    zone_put(z, mx("spread.bench.test", 30, "mx1.bench.test"));
    for (int k = 1; k <= 4; k++) {
        char h[64];
        snprintf(h, sizeof h, "mx%d.bench.test", k);
        zone_put(z, a4(h, (uint8_t)k));
    }
    for (int i = 1; i <= BIG_N; i++) {
        char d[64], h1[64], h2[64];
        snprintf(d, sizeof d, "d%04d.bench.test", i);
        snprintf(h1, sizeof h1, "mx%d.bench.test", (i - 1) % 4 + 1);
        snprintf(h2, sizeof h2, "mx%d.bench.test", i % 4 + 1);
        zone_put(z, mx(d, 10, h1));
        zone_put(z, mx(d, 20, h2));
        if (i == BIG_N / 2)
            zone_put(z, mx("spread.bench.test", 10, "mx2.bench.test"));
    }
    zone_put(z, mx("spread.bench.test", 20, "mx3.bench.test"));
}

/* Two MX in zone order, each with its glue when an authoritative server
 * answered (the resolver passes on the answer section only). */
static void check_big_mx(const mxd_dnsmsg *m, int i, bool glue)
{
    ck_assert_int_eq(m->rcode, MXD_RCODE_NOERROR);
    ck_assert_uint_eq(m->nan, 2);
    uint8_t h[2] = { (uint8_t)((i - 1) % 4 + 1), (uint8_t)(i % 4 + 1) };
    for (int k = 0; k < 2; k++) {
        char want[64];
        snprintf(want, sizeof want, "mx%u.bench.test", h[k]);
        ck_assert_uint_eq(m->an[k].u.mx.pref, 10 + 10 * k);
        ck_assert(mxd_dns_name_eq(m->an[k].u.mx.host, want));
    }
    if (!glue)
        return;
    ck_assert_uint_ge(m->nar, 2);
    for (int k = 0; k < 2; k++) {
        ck_assert_uint_eq(m->ar[k].type, MXD_T_A);
        ck_assert_uint_eq(m->ar[k].u.a[3], h[k]);
    }
}

START_TEST(test_index_large_zone)
{
    mxd_scn_zone z;
    big_zone(&z);
    lab l;
    lab_opts o = { .zones = &z, .nzones = 1 };
    lab_start(&l, &o);
    static const int sample[] = { 1, 2, 3, 4, 777, 1000, 1001, 1999, 2000 };
    mxd_dnsmsg m;
    for (size_t s = 0; s < sizeof sample / sizeof *sample; s++) {
        char d[64];
        snprintf(d, sizeof d, s % 2 ? "D%04d.BENCH.TEST" : "d%04d.bench.test", sample[s]);
        ck_assert_int_eq(ask(&l, AUTH1, d, MXD_T_MX, s % 3 ? &UDP : &TCP, &m, NULL), 0);
        check_big_mx(&m, sample[s], true);
        mxd_dnsmsg_free(&m);
    }
    expect(&l, "d2001.bench.test", MXD_T_MX, MXD_RCODE_NXDOMAIN, 0, "bench.test");
    expect(&l, "d0001.bench.test", MXD_T_TXT, MXD_RCODE_NOERROR, 0, "bench.test");
    ck_assert_int_eq(ask(&l, AUTH1, "spread.bench.test", MXD_T_MX, &UDP, &m, NULL), 0);
    ck_assert_uint_eq(m.nan, 3);
    ck_assert_uint_eq(m.an[0].u.mx.pref, 30);
    ck_assert_uint_eq(m.an[1].u.mx.pref, 10);
    ck_assert_uint_eq(m.an[2].u.mx.pref, 20);
    mxd_dnsmsg_free(&m);

    /* Through the resolver: one upstream query per name, then the cache,
     * whatever the case of the question. */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 10; i <= BIG_N; i += 10) {
            char d[64];
            snprintf(d, sizeof d, pass ? "D%04d.Bench.Test" : "d%04d.bench.test", i);
            ck_assert_int_eq(ask(&l, RESOLVER, d, MXD_T_MX, &RECURSE, &m, NULL), 0);
            check_big_mx(&m, i, false);
            mxd_dnsmsg_free(&m);
        }
        ck_assert_uint_eq(mxd_labdns_resolver_upstream_queries(l.res), BIG_N / 10);
    }
    lab_free(&l);
    zone_done(&z, 1);
}
END_TEST

/* Puts an MX for name (to held.lab.test) in the resolver's cache. */
static void hold(lab *l, const char *name, uint32_t ttl)
{
    mxd_rr r = mx(name, 10, "held.lab.test");
    ck_assert_int_eq(mxd_labdns_resolver_preload(l->res, name, MXD_T_MX, &r, 1, ttl), 0);
    mxd_rr_clear(&r); /* the resolver keeps its own copy */
}

/* A full cache (4096 entries) makes room by dropping the entry closest to
 * expiry. */
START_TEST(test_resolver_cache_evicts_soonest)
{
    lab l;
    lab_opts o = { 0 };
    lab_start(&l, &o);
    hold(&l, "soon.lab.test", 100);
    hold(&l, "later.lab.test", 200);
    for (int i = 1; i <= 4094; i++) {
        char d[64];
        snprintf(d, sizeof d, "p%04d.lab.test", i);
        hold(&l, d, 600);
    }
    mxd_dnsmsg m;
    ck_assert_int_eq(ask(&l, RESOLVER, "soon.lab.test", MXD_T_MX, &RECURSE, &m, NULL), 0);
    ck_assert_uint_eq(m.nan, 1);
    mxd_dnsmsg_free(&m);
    ck_assert_uint_eq(mxd_labdns_resolver_upstream_queries(l.res), 0);
    /* one more: soon.lab.test goes */
    hold(&l, "extra.lab.test", 600);
    ck_assert_int_eq(ask(&l, RESOLVER, "p0001.lab.test", MXD_T_MX, &RECURSE, &m, NULL), 0);
    ck_assert_uint_eq(m.nan, 1);
    mxd_dnsmsg_free(&m);
    ck_assert_uint_eq(mxd_labdns_resolver_upstream_queries(l.res), 0);
    ck_assert_int_eq(ask(&l, RESOLVER, "soon.lab.test", MXD_T_MX, &RECURSE, &m, NULL), 0);
    ck_assert_int_eq(m.rcode, MXD_RCODE_NXDOMAIN); /* asked the zone, which has no such name */
    mxd_dnsmsg_free(&m);
    ck_assert_uint_eq(mxd_labdns_resolver_upstream_queries(l.res), 1);
    /* caching that NXDOMAIN (120 s) pushed out later.lab.test (200 s), not a 600 s one */
    ck_assert_int_eq(ask(&l, RESOLVER, "later.lab.test", MXD_T_MX, &RECURSE, &m, NULL), 0);
    ck_assert_int_eq(m.rcode, MXD_RCODE_NXDOMAIN);
    mxd_dnsmsg_free(&m);
    ck_assert_uint_eq(mxd_labdns_resolver_upstream_queries(l.res), 2);
    ck_assert_int_eq(ask(&l, RESOLVER, "p4094.lab.test", MXD_T_MX, &RECURSE, &m, NULL), 0);
    ck_assert_uint_eq(m.nan, 1);
    ck_assert_str_eq(m.an[0].u.mx.host, "held.lab.test");
    mxd_dnsmsg_free(&m);
    ck_assert_uint_eq(mxd_labdns_resolver_upstream_queries(l.res), 2);
    lab_free(&l);
}
END_TEST

static Suite *labdns_suite(void)
{
    Suite *s = suite_create("labdns");
    TCase *a = tcase_create("auth");
    tcase_add_test(a, test_auth_mx_aa);
    tcase_add_test(a, test_auth_nxdomain_soa);
    tcase_add_test(a, test_auth_nodata);
    tcase_add_test(a, test_auth_refused_outside);
    tcase_add_test(a, test_auth_cname);
    tcase_add_test(a, test_auth_big_answer_udp_tcp);
    tcase_add_test(a, test_auth_tcp_framing);
    tcase_add_test(a, test_auth_formerr_and_responses);
    tcase_add_test(a, test_auth_modes);
    tcase_add_test(a, test_auth_latency);
    tcase_add_test(a, test_bind_rules);
    tcase_add_test(a, test_zone_complete);
    tcase_add_test(a, test_servers_survive_garbage);
    tcase_set_timeout(a, 20);
    suite_add_tcase(s, a);
    TCase *r = tcase_create("resolver");
    tcase_add_test(r, test_resolver_ra_ttl_counts_down);
    tcase_add_test(r, test_resolver_negative_cache);
    tcase_add_test(r, test_resolver_refused_outside);
    tcase_add_test(r, test_resolver_cname_across_zones);
    tcase_add_test(r, test_resolver_tcp_fallback);
    tcase_add_test(r, test_resolver_dnssec_simulated);
    tcase_add_test(r, test_resolver_silent_servfail);
    tcase_add_test(r, test_resolver_lame);
    tcase_add_test(r, test_resolver_latency);
    tcase_add_test(r, test_resolver_preload_stale);
    tcase_set_timeout(r, 20);
    suite_add_tcase(s, r);
    TCase *x = tcase_create("index");
    tcase_add_test(x, test_index_case_insensitive);
    tcase_add_test(x, test_index_empty_nonterminals);
    tcase_add_test(x, test_index_longest_zone);
    tcase_add_test(x, test_index_large_zone);
    tcase_add_test(x, test_resolver_cache_evicts_soonest);
    tcase_set_timeout(x, 60);
    suite_add_tcase(s, x);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(labdns_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
