/* lab.c — starting a scenario's servers and pointing the engine at them (see lab.h).
 *
 * Addresses: the resolver listens on 127.53.53.53, default authoritative servers
 * on 127.53.0.N, SMTP servers where the scenario says (127.0.53.x). Ports: DNS on
 * a random unprivileged port P, SMTP on P+1, HTTPS on P+2, and the submission
 * port (where the delivery step looks when port 25 fails) on P+3; if anything is
 * taken, everything is torn down and another P is tried, so two labs (or a lab
 * and a test) never clash.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "mxd/certder.h"
#include "mxd/lab.h"
#include "mxd/labcert.h"
#include "mxd/labdns.h"
#include "mxd/labhttps.h"
#include "mxd/labsmtp.h"

#define LAB_RESOLVER_ADDR "127.53.53.53"
/* A second resolver, "another provider's": it knows the same servers but asks
 * them in the opposite order, so its cache can hold another answer than the
 * first one's. The propagation step compares the two (--compare-resolvers). */
#define LAB_RESOLVER2_ADDR "127.53.53.54"
#define PORT_TRIES 20

struct mxd_lab {
    mxd_loop *loop;
    const mxd_scenario *scn;
    mxd_labca *ca;
    mxd_labdns_auth **auth;
    size_t nauth;
    mxd_labdns_resolver *resolver;
    mxd_labdns_resolver *resolver2;
    char resolver2_addr[64];
    char *compare[1];
    mxd_labsmtp **smtp;
    size_t nsmtp;
    mxd_labhttps_set *https; /* the scenario's [https] servers, all on https_port */
    unsigned dns_port, smtp_port, https_port, submission_port;
    char resolver_addr[64];
    char *resolvers[1];
    /* Per [smtp] section: its certificate and key, and for "@other" records
     * one for the same name with another key; made once, kept across port
     * retries, since the zones publish their digests. */
    X509 **cert, **other;
    EVP_PKEY **key;
};

static void teardown(mxd_lab *lab)
{
    for (size_t i = 0; i < lab->nsmtp; i++)
        mxd_labsmtp_stop(lab->smtp[i]);
    for (size_t i = 0; i < lab->nauth; i++)
        mxd_labdns_auth_free(lab->auth[i]);
    mxd_labdns_resolver_free(lab->resolver);
    mxd_labdns_resolver_free(lab->resolver2);
    lab->resolver2 = NULL;
    mxd_labhttps_set_stop(lab->https);
    lab->https = NULL;
    lab->nsmtp = lab->nauth = 0;
    lab->resolver = NULL;
}

static const char *auth_addr(const mxd_scenario *s, size_t i, char *buf, size_t cap)
{
    if (s->nauth)
        return s->auth[i].addr;
    snprintf(buf, cap, "127.53.0.%zu", i + 1);
    return buf;
}

/* ---- name server glue (for the propagation step) ----
 * The propagation step asks a zone's NS hosts directly, as a resolver would,
 * so each NS host needs an address. Scenarios seldom write one (the parser adds
 * "NS ns1.<origin>" and nothing more), so for a zone whose NS hosts have no
 * address anywhere in the scenario the lab publishes its own servers, as a
 * registrar's glue would: ns1.<origin> ... nsN.<origin>, with the addresses of
 * the N lab servers serving that zone. A zone that gives its NS hosts addresses
 * is served as written (a teacher's lame or silent name server stays so). */

static const mxd_scn_zone *view_of(const mxd_scenario *s, size_t i, size_t *n)
{
    bool own = s->nauth && s->auth[i].nzones;
    *n = own ? s->auth[i].nzones : s->nzones;
    return own ? s->auth[i].zones : s->zones;
}

static bool has_address(const mxd_scenario *s, const char *host)
{
    size_t nviews = s->nauth ? s->nauth : 1;
    for (size_t v = 0; v <= nviews; v++) {
        size_t nz;
        const mxd_scn_zone *zs = v == nviews ? (nz = s->nzones, s->zones) : view_of(s, v, &nz);
        for (size_t z = 0; z < nz; z++)
            for (size_t k = 0; k < zs[z].nrrs; k++)
                if ((zs[z].rrs[k].type == MXD_T_A || zs[z].rrs[k].type == MXD_T_AAAA) &&
                    mxd_dns_name_eq(zs[z].rrs[k].name, host))
                    return true;
    }
    return false;
}

static int glue_add(mxd_scn_zone *z, uint16_t type, const char *owner, const char *data)
{
    mxd_rr *nv = realloc(z->rrs, (z->nrrs + 1) * sizeof *nv);
    if (!nv)
        return -1;
    z->rrs = nv;
    mxd_rr *r = &z->rrs[z->nrrs];
    memset(r, 0, sizeof *r);
    r->type = type;
    r->rclass = 1;
    r->ttl = 3600;
    if (mxd_rr_set(&r->name, owner) < 0 ||
        (type == MXD_T_NS ? mxd_rr_set(&r->u.target, data) < 0
                          : inet_pton(AF_INET, data, r->u.a) != 1)) {
        mxd_rr_clear(r);
        return -1;
    }
    z->nrrs++;
    return 0;
}

static void glued_free(mxd_scn_zone *zs, size_t n)
{
    for (size_t i = 0; zs && i < n; i++) {
        for (size_t k = 0; k < zs[i].nrrs; k++)
            mxd_rr_clear(&zs[i].rrs[k]);
        free(zs[i].rrs);
    }
    free(zs);
}

/* ---- TLSA records of the lab's own certificates ----
 * "@cert", "@other" and "@ca" in a scenario's TLSA records stand for data that
 * exists only once the lab has made its certificates: each [smtp] server's own
 * (servers with the same name and certificate kind share one, as a host's
 * certificate is on every one of its addresses), another one for the same
 * name with a new key, and the CA's. */

static int make_certs(mxd_lab *lab, char *err, size_t errlen)
{
    const mxd_scenario *s = lab->scn;
    for (size_t i = 0; i < s->nsmtp; i++) {
        const mxd_scn_smtp *c = &s->smtp[i];
        for (size_t j = 0; j < i && !lab->cert[i]; j++)
            if (strcmp(s->smtp[j].name, c->name) == 0 && s->smtp[j].cert == c->cert &&
                X509_up_ref(lab->cert[j]) == 1) {
                EVP_PKEY_up_ref(lab->key[j]);
                lab->cert[i] = lab->cert[j];
                lab->key[i] = lab->key[j];
            }
        if (!lab->cert[i] &&
            mxd_labca_issue(lab->ca, c->name, c->cert, &lab->cert[i], &lab->key[i], err, errlen) < 0)
            return -1;
    }
    return 0;
}

static X509 *tlsa_cert(mxd_lab *lab, const mxd_scn_tlsa *t)
{
    if (t->from == MXD_TLSA_FROM_CA)
        return mxd_labca_cert(lab->ca);
    const mxd_scenario *s = lab->scn;
    size_t i = 0;
    while (i < s->nsmtp && strcmp(s->smtp[i].name, t->host) != 0)
        i++;
    if (i == s->nsmtp) /* the parser makes sure this does not happen */
        return NULL;
    if (t->from == MXD_TLSA_FROM_CERT)
        return lab->cert[i];
    if (!lab->other[i]) {
        EVP_PKEY *k = NULL;
        char e[160];
        if (mxd_labca_issue(lab->ca, t->host, MXD_CERT_GOOD, &lab->other[i], &k, e, sizeof e) < 0)
            return NULL;
        EVP_PKEY_free(k);
    }
    return lab->other[i];
}

/* Fills the association data of dst's TLSA records that src lets the lab
 * fill (dst is a copy of src, record for record). Returns 0, or -1. */
static int fill_tlsa(mxd_lab *lab, const mxd_scn_zone *src, mxd_scn_zone *dst)
{
    for (size_t k = 0; k < src->ntlsa; k++) {
        mxd_rr *rr = &dst->rrs[src->tlsa[k].rr];
        X509 *x = tlsa_cert(lab, &src->tlsa[k]);
        mxd_cert_der der = { 0 };
        uint8_t md[MXD_TLSA_DIGEST_MAX];
        const uint8_t *data = NULL;
        long n = x && rr->data_len >= 3 && mxd_cert_der_set(&der, x)
                     ? mxd_cert_der_select(&der, rr->data[1], rr->data[2], md, &data) : -1;
        uint8_t *nd = n >= 0 ? malloc(3 + (size_t)n + 1) : NULL;
        if (nd) {
            memcpy(nd, rr->data, 3);
            memcpy(nd + 3, data, (size_t)n);
            nd[3 + n] = '\0';
            free(rr->data);
            rr->data = nd;
            rr->data_len = 3 + (size_t)n;
        }
        mxd_cert_der_clear(&der);
        if (!nd)
            return -1;
    }
    return 0;
}

/* A copy of server i's zones with glue added and the lab's TLSA data filled
 * in (free with glued_free), or NULL. */
static mxd_scn_zone *glued_zones(mxd_lab *lab, size_t i, size_t *nout)
{
    const mxd_scenario *s = lab->scn;
    size_t n, nservers = s->nauth ? s->nauth : 1;
    const mxd_scn_zone *src = view_of(s, i, &n);
    mxd_scn_zone *zs = calloc(n ? n : 1, sizeof *zs);
    if (!zs)
        return NULL;
    for (size_t z = 0; z < n; z++) {
        mxd_scn_zone *d = &zs[z];
        memcpy(d->origin, src[z].origin, sizeof d->origin);
        d->line = src[z].line;
        for (size_t k = 0; k < src[z].nrrs; k++) {
            mxd_rr *nv = realloc(d->rrs, (d->nrrs + 1) * sizeof *nv);
            if (!nv || mxd_rr_copy(&nv[d->nrrs], &src[z].rrs[k]) < 0) {
                if (nv)
                    d->rrs = nv;
                glued_free(zs, n);
                return NULL;
            }
            d->rrs = nv;
            d->nrrs++;
        }
        if (fill_tlsa(lab, &src[z], d) < 0) {
            glued_free(zs, n);
            return NULL;
        }
        bool named = false;
        for (size_t k = 0; k < src[z].nrrs && !named; k++)
            named = src[z].rrs[k].type == MXD_T_NS && mxd_dns_name_eq(src[z].rrs[k].name, d->origin) &&
                    has_address(s, src[z].rrs[k].u.target);
        if (named)
            continue;
        size_t j = 0;
        for (size_t k = 0; k < nservers; k++) {
            size_t kn;
            const mxd_scn_zone *kz = view_of(s, k, &kn);
            bool serves = false;
            for (size_t m = 0; m < kn && !serves; m++)
                serves = mxd_dns_name_eq(kz[m].origin, d->origin);
            if (!serves)
                continue;
            char host[MXD_NAME_MAX], abuf[32];
            uint8_t wire[256];
            snprintf(host, sizeof host, "ns%zu.%s", ++j, d->origin);
            if (mxd_dns_name_to_wire(host, wire, sizeof wire) < 0)
                break;
            bool listed = false;
            for (size_t m = 0; m < d->nrrs && !listed; m++)
                listed = d->rrs[m].type == MXD_T_NS && mxd_dns_name_eq(d->rrs[m].name, d->origin) &&
                         mxd_dns_name_eq(d->rrs[m].u.target, host);
            if ((!listed && glue_add(d, MXD_T_NS, d->origin, host) < 0) ||
                glue_add(d, MXD_T_A, host, auth_addr(s, k, abuf, sizeof abuf)) < 0) {
                glued_free(zs, n);
                return NULL;
            }
        }
    }
    *nout = n;
    return zs;
}

/* Tries to bring every server up on dns_port/smtp_port. 0 ok; -1 with errno
 * EADDRINUSE (try other ports) or another error in err. */
static int bring_up(mxd_lab *lab, unsigned latency, char *err, size_t errlen)
{
    const mxd_scenario *s = lab->scn;
    size_t nauth = s->nauth ? s->nauth : 1;
    char abuf[32];
    for (size_t i = 0; i < nauth; i++) {
        size_t nglued = 0;
        mxd_scn_zone *glued = glued_zones(lab, i, &nglued);
        if (!glued) {
            snprintf(err, errlen, "out of memory");
            errno = ENOMEM;
            return -1;
        }
        mxd_labdns_auth_cfg cfg = {
            .addr = auth_addr(s, i, abuf, sizeof abuf),
            .port = (uint16_t)lab->dns_port,
            .mode = s->nauth ? s->auth[i].mode : MXD_AUTH_NORMAL,
            .zones = glued, /* copied by the server */
            .nzones = nglued,
            .latency_ms = latency,
        };
        mxd_labdns_auth *a = mxd_labdns_auth_start(lab->loop, &cfg, err, errlen);
        glued_free(glued, nglued);
        if (!a)
            return -1;
        lab->auth[lab->nauth++] = a;
    }
    mxd_labdns_resolver_cfg rc = {
        .addr = LAB_RESOLVER_ADDR, .port = (uint16_t)lab->dns_port, .latency_ms = latency,
    };
    lab->resolver = mxd_labdns_resolver_start(lab->loop, &rc, err, errlen);
    if (!lab->resolver)
        return -1;
    rc.addr = LAB_RESOLVER2_ADDR;
    lab->resolver2 = mxd_labdns_resolver_start(lab->loop, &rc, err, errlen);
    if (!lab->resolver2)
        return -1;
    for (size_t n = 0; n < 2 * nauth; n++) {
        /* resolver: servers in file order; resolver2: the other way round */
        size_t i = n < nauth ? n : 2 * nauth - 1 - n;
        mxd_labdns_resolver *r = n < nauth ? lab->resolver : lab->resolver2;
        const char *addr = auth_addr(s, i, abuf, sizeof abuf);
        const mxd_scn_zone *zs = s->nauth && s->auth[i].nzones ? s->auth[i].zones : s->zones;
        size_t nz = s->nauth && s->auth[i].nzones ? s->auth[i].nzones : s->nzones;
        for (size_t z = 0; z < nz; z++)
            if (mxd_labdns_resolver_add_zone(r, zs[z].origin, addr) < 0 ||
                mxd_labdns_resolver_set_dnssec(r, zs[z].origin, zs[z].dnssec) < 0) {
                snprintf(err, errlen, "zone %s: cannot be served", zs[z].origin);
                errno = EINVAL;
                return -1;
            }
    }
    for (size_t i = 0; i < s->nsmtp; i++) {
        const mxd_scn_smtp *c = &s->smtp[i];
        SSL_CTX *ctx = NULL;
        if (c->behaviour != MXD_SMTPB_REFUSE && c->behaviour != MXD_SMTPB_NO_STARTTLS) {
            ctx = mxd_labca_server_ctx_for(lab->ca, lab->cert[i], lab->key[i], err, errlen);
            if (!ctx) {
                errno = EINVAL;
                return -1;
            }
        }
        mxd_labsmtp *srv = mxd_labsmtp_start(lab->loop, c, lab->smtp_port, ctx, latency, NULL,
                                             err, errlen);
        int e = errno;
        SSL_CTX_free(ctx); /* the server holds its own reference */
        if (!srv) {
            errno = e;
            return -1;
        }
        lab->smtp[lab->nsmtp++] = srv;
    }
    /* [smtp] sections with "submission:": the same address on the submission port. */
    for (size_t i = 0; i < s->nsmtp; i++) {
        const mxd_scn_smtp *c = &s->smtp[i];
        if (c->submission == MXD_SUBMISSION_NONE)
            continue;
        mxd_scn_smtp sub = *c;
        sub.behaviour = c->submission == MXD_SUBMISSION_FILTERED ? MXD_SMTPB_FILTERED : MXD_SMTPB_OK;
        sub.rcpt = MXD_RCPT_ACCEPT;
        sub.data = MXD_DATA_REFUSE;
        mxd_labsmtp *srv = mxd_labsmtp_start(lab->loop, &sub, lab->submission_port, NULL, latency,
                                             NULL, err, errlen);
        if (!srv)
            return -1; /* errno stays EADDRINUSE when the port is taken */
        lab->smtp[lab->nsmtp++] = srv;
    }
    if (s->nhttps) { /* errno stays EADDRINUSE when the port is taken */
        lab->https = mxd_labhttps_set_start(lab->loop, lab->ca, s->https, s->nhttps,
                                            lab->https_port, err, errlen);
        if (!lab->https)
            return -1;
    }
    return 0;
}

mxd_lab *mxd_lab_start(mxd_loop *loop, const mxd_scenario *scn, unsigned latency_ms,
                       char *err, size_t errlen)
{
    mxd_lab *lab = calloc(1, sizeof *lab);
    if (!lab) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    lab->loop = loop;
    lab->scn = scn;
    lab->auth = calloc(scn->nauth ? scn->nauth : 1, sizeof *lab->auth);
    lab->smtp = calloc(scn->nsmtp ? 2 * scn->nsmtp : 1, sizeof *lab->smtp); /* + submission */
    size_t nc = scn->nsmtp ? scn->nsmtp : 1;
    lab->cert = calloc(nc, sizeof *lab->cert);
    lab->other = calloc(nc, sizeof *lab->other);
    lab->key = calloc(nc, sizeof *lab->key);
    if (errlen)
        err[0] = '\0';
    lab->ca = mxd_labca_new(err, errlen);
    if (!lab->auth || !lab->smtp || !lab->cert || !lab->other || !lab->key || !lab->ca ||
        make_certs(lab, err, errlen) < 0) {
        if (errlen && !err[0])
            snprintf(err, errlen, "out of memory");
        mxd_lab_stop(lab);
        return NULL;
    }
    unsigned seed = (unsigned)time(NULL) ^ ((unsigned)getpid() << 8) ^ (unsigned)mxd_now_ms();
    for (int t = 0; t < PORT_TRIES; t++) {
        seed = seed * 1103515245u + 12345u;
        lab->dns_port = 20000 + (seed >> 8) % 40000;
        lab->smtp_port = lab->dns_port + 1;
        lab->https_port = lab->dns_port + 2;
        lab->submission_port = lab->dns_port + 3;
        if (bring_up(lab, latency_ms, err, errlen) == 0) {
            snprintf(lab->resolver_addr, sizeof lab->resolver_addr, "%s:%u", LAB_RESOLVER_ADDR,
                     lab->dns_port);
            lab->resolvers[0] = lab->resolver_addr;
            snprintf(lab->resolver2_addr, sizeof lab->resolver2_addr, "%s:%u", LAB_RESOLVER2_ADDR,
                     lab->dns_port);
            lab->compare[0] = lab->resolver2_addr;
            return lab;
        }
        int e = errno;
        teardown(lab);
        if (e != EADDRINUSE)
            break;
    }
    mxd_lab_stop(lab);
    return NULL;
}

void mxd_lab_apply(mxd_lab *lab, mxd_options *o)
{
    o->resolvers = lab->resolvers;
    o->nresolvers = 1;
    if (!o->ncompare_resolvers) { /* the lab's second resolver, unless the user named others */
        o->compare_resolvers = lab->compare;
        o->ncompare_resolvers = 1;
    }
    o->dns_port = lab->dns_port;
    o->smtp_port = lab->smtp_port;
    o->https_port = lab->https_port;
    o->submission_ports[0] = lab->submission_port;
    o->submission_ports[1] = 0;
    o->allow_loopback = true;
    o->loopback_only = true;
    o->extra_ca = mxd_labca_cert(lab->ca);
}

const char *mxd_lab_resolver(const mxd_lab *lab) { return lab->resolver_addr; }
unsigned mxd_lab_smtp_port(const mxd_lab *lab) { return lab->smtp_port; }
unsigned mxd_lab_dns_port(const mxd_lab *lab) { return lab->dns_port; }
unsigned mxd_lab_https_port(const mxd_lab *lab) { return lab->https_port; }
int mxd_lab_ca_pem(const mxd_lab *lab, char *buf, size_t cap) { return mxd_labca_pem(lab->ca, buf, cap); }

void mxd_lab_stop(mxd_lab *lab)
{
    if (!lab)
        return;
    teardown(lab);
    for (size_t i = 0; lab->cert && lab->other && lab->key && i < lab->scn->nsmtp; i++) {
        X509_free(lab->cert[i]);
        X509_free(lab->other[i]);
        EVP_PKEY_free(lab->key[i]);
    }
    free(lab->cert);
    free(lab->other);
    free(lab->key);
    mxd_labca_free(lab->ca);
    free(lab->auth);
    free(lab->smtp);
    free(lab);
}
