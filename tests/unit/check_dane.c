/* check_dane.c — DANE for SMTP (dane.h): reading and judging TLSA records,
 * matching them against certificate chains, and the dane.* findings.
 *
 * The certificates are real ones, made by the practice lab's CA in memory
 * (labcert.h); the expected digests come from the published SHA-2 test vectors
 * (FIPS 180-2, message "abc") or from OpenSSL's command-line equivalent, so a
 * matching bug cannot hide behind the same code computing both sides.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "mxd/checks.h"
#include "mxd/dane.h"
#include "mxd/labcert.h"
#include "mxd/policy.h"

static char err[256];

/* ---- builders ------------------------------------------------------------------ */

/* RDATA "usage selector mtype data" (caller frees); *len gets its length. */
static char *rdata(int usage, int sel, int mtype, const uint8_t *data, size_t n, size_t *len)
{
    char *r = malloc(3 + n + 1);
    r[0] = (char)usage;
    r[1] = (char)sel;
    r[2] = (char)mtype;
    if (n)
        memcpy(r + 3, data, n);
    r[3 + n] = '\0';
    *len = 3 + n;
    return r;
}

static void der_of(X509 *x, mxd_cert_der *d)
{
    ck_assert(mxd_cert_der_set(d, x));
}

/* s presents certs[0..n-1] (leaf first); linked: each was signed by the next. */
static void present_chain(mxd_smtp *s, X509 *const *certs, size_t n, bool linked)
{
    s->chain = calloc(n, sizeof *s->chain);
    s->nchain = n;
    for (size_t i = 0; i < n; i++) {
        der_of(certs[i], &s->chain[i]);
        s->chain[i].signed_by_next = linked && i + 1 < n;
    }
}

static void clear_chain(mxd_smtp *s)
{
    for (size_t i = 0; i < s->nchain; i++)
        mxd_cert_der_clear(&s->chain[i]);
    free(s->chain);
    s->chain = NULL;
    s->nchain = 0;
}

static void digest(const uint8_t *in, size_t n, int mtype, uint8_t *out, size_t *outlen)
{
    unsigned int l = 0;
    EVP_Digest(in, n, out, &l, mtype == 1 ? EVP_sha256() : EVP_sha512(), NULL);
    *outlen = l;
}

/* A record of usage/selector/mtype that matches cert c. */
static char *record_for(int usage, int sel, int mtype, const mxd_cert_der *c, size_t *len)
{
    const uint8_t *src = sel ? c->spki : c->cert;
    size_t n = sel ? c->spki_len : c->cert_len;
    uint8_t md[64];
    if (mtype == 0)
        return rdata(usage, sel, mtype, src, n, len);
    size_t ml;
    digest(src, n, mtype, md, &ml);
    return rdata(usage, sel, mtype, md, ml, len);
}

static bool matches(const char *rd, size_t len, const mxd_smtp *s)
{
    mxd_tlsa_rr t;
    ck_assert(mxd_tlsa_parse(rd, len, &t));
    return mxd_dane_matches(&t, s);
}

/* The lab CA, a server certificate for mx1.example.jp, and a second one for
 * the same name with another key (the certificate before a renewal). */
static mxd_labca *ca;
static X509 *leaf, *old_leaf, *other_name;

static void certs_setup(void)
{
    EVP_PKEY *k;
    ca = mxd_labca_new(err, sizeof err);
    ck_assert_msg(ca != NULL, "%s", err);
    ck_assert_int_eq(mxd_labca_issue(ca, "mx1.example.jp", MXD_CERT_GOOD, &leaf, &k, err,
                                     sizeof err), 0);
    EVP_PKEY_free(k);
    ck_assert_int_eq(mxd_labca_issue(ca, "mx1.example.jp", MXD_CERT_GOOD, &old_leaf, &k, err,
                                     sizeof err), 0);
    EVP_PKEY_free(k);
    ck_assert_int_eq(mxd_labca_issue(ca, "mx9.example.jp", MXD_CERT_GOOD, &other_name, &k, err,
                                     sizeof err), 0);
    EVP_PKEY_free(k);
}

static void certs_teardown(void)
{
    X509_free(leaf);
    X509_free(old_leaf);
    X509_free(other_name);
    mxd_labca_free(ca);
}

/* ---- records ----------------------------------------------------------------- */

START_TEST(test_parse_and_usable)
{
    static const uint8_t d64[64] = { 1 };
    static const struct {
        int usage, sel, mtype;
        size_t n;
        bool usable;
    } cases[] = {
        { 3, 1, 1, 32, true },  { 3, 0, 1, 32, true },  { 3, 1, 2, 64, true },
        { 3, 0, 0, 7, true },   { 2, 1, 1, 32, true },  { 2, 0, 2, 64, true },
        { 2, 1, 0, 1, true },
        { 0, 1, 1, 32, false }, /* PKIX-TA: unusable for SMTP (RFC 7672 §3.1.3) */
        { 1, 1, 1, 32, false }, /* PKIX-EE: the same */
        { 4, 1, 1, 32, false }, { 255, 1, 1, 32, false },
        { 3, 2, 1, 32, false }, /* unknown selector */
        { 3, 1, 3, 32, false }, /* unknown matching type */
        { 3, 1, 1, 31, false }, /* a SHA-256 digest one byte short */
        { 3, 1, 1, 64, false }, /* SHA-512 length under SHA-256 */
        { 3, 1, 2, 32, false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        char *r = rdata(cases[i].usage, cases[i].sel, cases[i].mtype, d64, cases[i].n, &len);
        mxd_tlsa_rr t;
        ck_assert(mxd_tlsa_parse(r, len, &t));
        ck_assert_uint_eq(t.usage, (unsigned)cases[i].usage);
        ck_assert_uint_eq(t.selector, (unsigned)cases[i].sel);
        ck_assert_uint_eq(t.mtype, (unsigned)cases[i].mtype);
        ck_assert_uint_eq(t.len, cases[i].n);
        ck_assert_msg(mxd_tlsa_usable(&t) == cases[i].usable, "case %zu", i);
        free(r);
    }
    mxd_tlsa_rr t;
    ck_assert(!mxd_tlsa_parse("\x03\x01\x01", 3, &t)); /* no association data */
    ck_assert(!mxd_tlsa_parse(NULL, 0, &t));
}
END_TEST

/* The digests against the FIPS 180-2 vectors for "abc". */
START_TEST(test_leaf_hex_vectors)
{
    mxd_smtp s;
    memset(&s, 0, sizeof s);
    char out[200];
    ck_assert(!mxd_dane_leaf_hex(&s, 1, 1, out, sizeof out)); /* no certificate */
    mxd_cert_der c = { (uint8_t *)"\x30\x03xyz", 5, (uint8_t *)"abc", 3, false };
    s.chain = &c;
    s.nchain = 1;
    ck_assert(mxd_dane_leaf_hex(&s, 1, 1, out, sizeof out));
    ck_assert_str_eq(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ck_assert(mxd_dane_leaf_hex(&s, 1, 2, out, sizeof out));
    ck_assert_str_eq(out, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                          "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
    ck_assert(mxd_dane_leaf_hex(&s, 1, 0, out, sizeof out));
    ck_assert_str_eq(out, "616263");
    ck_assert(mxd_dane_leaf_hex(&s, 0, 0, out, sizeof out));
    ck_assert_str_eq(out, "300378797a");
    ck_assert(!mxd_dane_leaf_hex(&s, 2, 1, out, sizeof out)); /* unknown selector */
    ck_assert(!mxd_dane_leaf_hex(&s, 1, 3, out, sizeof out)); /* unknown matching type */
    ck_assert(!mxd_dane_leaf_hex(&s, 1, 1, out, 64));         /* no room for the NUL */
}
END_TEST

/* ---- matching ------------------------------------------------------------------ */

START_TEST(test_match_ee_every_selector_and_type)
{
    mxd_smtp s, other;
    memset(&s, 0, sizeof s);
    memset(&other, 0, sizeof other);
    X509 *chain[2] = { leaf, mxd_labca_cert(ca) };
    present_chain(&s, chain, 2, true);
    present_chain(&other, (X509 *[]){ old_leaf, mxd_labca_cert(ca) }, 2, true);
    for (int sel = 0; sel <= 1; sel++)
        for (int mt = 0; mt <= 2; mt++) {
            size_t len;
            char *r = record_for(3, sel, mt, &s.chain[0], &len);
            ck_assert_msg(matches(r, len, &s), "3 %d %d should match its own leaf", sel, mt);
            ck_assert_msg(!matches(r, len, &other), "3 %d %d matched another key", sel, mt);
            /* Names and dates do not matter for DANE-EE (RFC 7672 §3.1.1). */
            s.cert.name_matches = false;
            s.cert.expired = true;
            ck_assert(matches(r, len, &s));
            s.cert.name_matches = true;
            s.cert.expired = false;
            /* One byte changed, and it is no longer the same key. */
            r[len - 1] ^= 1;
            ck_assert(!matches(r, len, &s));
            free(r);
            /* DANE-EE is about the server's own certificate, not its issuer's. */
            r = record_for(3, sel, mt, &s.chain[1], &len);
            ck_assert(!matches(r, len, &s));
            free(r);
        }
    clear_chain(&s);
    clear_chain(&other);
}
END_TEST

START_TEST(test_match_ta)
{
    mxd_smtp s;
    memset(&s, 0, sizeof s);
    s.cert.name_matches = true;
    present_chain(&s, (X509 *[]){ leaf, mxd_labca_cert(ca) }, 2, true);
    for (int sel = 0; sel <= 1; sel++)
        for (int mt = 0; mt <= 2; mt++) {
            size_t len;
            char *r = record_for(2, sel, mt, &s.chain[1], &len);
            ck_assert_msg(matches(r, len, &s), "2 %d %d should match the CA", sel, mt);
            /* The trust anchor vouches only for the name it was published for. */
            s.cert.name_matches = false;
            ck_assert(!matches(r, len, &s));
            s.cert.name_matches = true;
            /* ... and only for certificates it signed. */
            s.chain[0].signed_by_next = false;
            ck_assert(!matches(r, len, &s));
            s.chain[0].signed_by_next = true;
            free(r);
        }
    /* A DANE-TA record may name the server's own certificate as the anchor. */
    size_t len;
    char *r = record_for(2, 1, 1, &s.chain[0], &len);
    ck_assert(matches(r, len, &s));
    free(r);
    /* The same digests under usages 0 and 1 are unusable for SMTP. */
    for (int usage = 0; usage <= 1; usage++) {
        r = record_for(usage, 1, 1, &s.chain[1 - usage], &len); /* PKIX-TA: the CA */
        ck_assert(!matches(r, len, &s));
        free(r);
    }
    /* A CA certificate the server did not send cannot be matched. */
    clear_chain(&s);
    present_chain(&s, (X509 *[]){ leaf }, 1, true);
    mxd_smtp with_ca;
    memset(&with_ca, 0, sizeof with_ca);
    present_chain(&with_ca, (X509 *[]){ leaf, mxd_labca_cert(ca) }, 2, true);
    r = record_for(2, 1, 1, &with_ca.chain[1], &len);
    ck_assert(!matches(r, len, &s));
    free(r);
    clear_chain(&s);
    clear_chain(&with_ca);
    /* No certificate at all: nothing matches. */
    r = record_for(3, 1, 1, &(mxd_cert_der){ (uint8_t *)"x", 1, (uint8_t *)"y", 1, false }, &len);
    ck_assert(!matches(r, len, &s));
    free(r);
}
END_TEST

/* The SPKI digest the check reports is the one `openssl x509 -pubkey | openssl
 * pkey -pubin -outform der | sha256sum` gives: the DER of the key's SPKI. */
START_TEST(test_leaf_hex_is_spki_digest)
{
    mxd_smtp s;
    memset(&s, 0, sizeof s);
    present_chain(&s, (X509 *[]){ leaf }, 1, false);
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(X509_get0_pubkey(leaf), &der);
    ck_assert_int_gt(n, 0);
    uint8_t md[32];
    size_t ml;
    digest(der, (size_t)n, 1, md, &ml);
    OPENSSL_free(der);
    char want[65], got[65];
    for (size_t i = 0; i < 32; i++)
        snprintf(want + 2 * i, 3, "%02x", md[i]);
    ck_assert(mxd_dane_leaf_hex(&s, 1, 1, got, sizeof got));
    ck_assert_str_eq(got, want);
    clear_chain(&s);
}
END_TEST

/* ---- the findings --------------------------------------------------------------- */

typedef struct fixture {
    mxd_result r;
    mxd_tlsa t;
} fixture;

static mxd_smtp *add_addr(mxd_target *tg, const char *ip, X509 *cert)
{
    tg->addrs = realloc(tg->addrs, (tg->naddrs + 1) * sizeof *tg->addrs);
    tg->smtp = realloc(tg->smtp, (tg->naddrs + 1) * sizeof *tg->smtp);
    mxd_addr *a = &tg->addrs[tg->naddrs];
    mxd_smtp *s = &tg->smtp[tg->naddrs++];
    memset(a, 0, sizeof *a);
    memset(s, 0, sizeof *s);
    a->family = strchr(ip, ':') ? AF_INET6 : AF_INET;
    inet_pton(a->family, ip, a->bytes);
    snprintf(a->text, sizeof a->text, "%s", ip);
    s->state = MXD_SMTP_DONE;
    s->end = MXD_SMTP_END_OK;
    s->greeting_code = 220;
    s->ehlo_code = 250;
    s->starttls_offered = true;
    if (cert) {
        s->tls_attempted = s->tls_ok = true;
        s->cert.present = s->cert.name_matches = true;
        snprintf(s->cert.names, sizeof s->cert.names, "mx1.example.jp");
        present_chain(s, (X509 *[]){ cert, mxd_labca_cert(ca) }, 2, true);
    }
    return s;
}

/* mx1.example.jp with the given records at _25._tcp.mx1.example.jp. */
static void fixture_init(fixture *fx, bool ad, char **recs, size_t *lens, size_t n)
{
    memset(fx, 0, sizeof *fx);
    mxd_result *r = &fx->r;
    snprintf(r->domain_ascii, sizeof r->domain_ascii, "example.jp");
    r->mx.state = MXD_Q_OK;
    r->targets = calloc(1, sizeof *r->targets);
    r->ntargets = 1;
    mxd_target *tg = &r->targets[0];
    tg->pref = 10;
    tg->duplicate_of = -1;
    snprintf(tg->host, sizeof tg->host, "mx1.example.jp");
    snprintf(fx->t.host, sizeof fx->t.host, "mx1.example.jp");
    snprintf(fx->t.q.name, sizeof fx->t.q.name, "_25._tcp.mx1.example.jp");
    fx->t.q.type = MXD_T_TLSA;
    fx->t.q.state = n ? MXD_Q_OK : MXD_Q_NODATA;
    fx->t.q.ad = ad;
    fx->t.q.rec = recs;
    fx->t.q.len = lens;
    fx->t.q.nrec = n;
}

static void fixture_free(fixture *fx)
{
    mxd_plookup_free(&fx->t.q);
    mxd_result_free(&fx->r);
}

/* mx1.example.jp with one record of usage/selector/mtype that matches cert. */
static void fixture_one(fixture *fx, bool ad, int usage, int sel, int mt, X509 *cert)
{
    mxd_cert_der d;
    der_of(cert, &d);
    char **recs = calloc(1, sizeof *recs);
    size_t *lens = calloc(1, sizeof *lens);
    recs[0] = record_for(usage, sel, mt, &d, &lens[0]);
    mxd_cert_der_clear(&d);
    fixture_init(fx, ad, recs, lens, 1);
}

/* Asserts that fs holds exactly one finding, id, of severity sev (-1: any). */
static void only(const mxd_findings *fs, const char *id, int sev)
{
    ck_assert_uint_eq(fs->n, 1);
    ck_assert_str_eq(fs->v[0].id, id);
    if (sev >= 0)
        ck_assert_int_eq(fs->v[0].sev, sev);
}

static mxd_findings judge(const fixture *fx, bool with_smtp)
{
    mxd_findings fs = { 0 };
    mxd_check_dane(with_smtp ? &fx->r : NULL, &fx->t, &fs);
    return fs;
}

static const char *param(const mxd_finding *f, const char *k)
{
    const char *v = mxd_finding_get(f, k);
    ck_assert_msg(v != NULL, "%s has no %s", f->id, k);
    return v;
}

START_TEST(test_check_match_two_addresses)
{
    fixture fx;
    fixture_one(&fx, true, 3, 1, 1, leaf);
    add_addr(&fx.r.targets[0], "192.0.2.25", leaf);
    add_addr(&fx.r.targets[0], "2001:db8::25", leaf);
    mxd_findings fs = judge(&fx, true);
    only(&fs, "dane.match", MXD_SEV_PASS);
    ck_assert_str_eq(fs.v[0].subject, "mx1.example.jp");
    ck_assert_str_eq(param(&fs.v[0], "addresses"), "192.0.2.25, 2001:db8::25");
    ck_assert_str_eq(param(&fs.v[0], "name"), "_25._tcp.mx1.example.jp");
    ck_assert(strncmp(param(&fs.v[0], "records"), "3 1 1 ", 6) == 0);
    mxd_findings_free(&fs);

    /* While a probe of the host runs, or its addresses are still being looked
     * up, nothing is said yet. */
    fx.r.targets[0].smtp[1].state = MXD_SMTP_RUNNING;
    fs = judge(&fx, true);
    ck_assert_uint_eq(fs.n, 0);
    fx.r.targets[0].smtp[1].state = MXD_SMTP_DONE;
    fx.r.targets[0].aaaa.state = MXD_Q_PENDING;
    fs = judge(&fx, true);
    ck_assert_uint_eq(fs.n, 0);
    fx.r.targets[0].aaaa.state = MXD_Q_OK;
    /* An address this machine could not reach is left out of the comparison. */
    fx.r.targets[0].smtp[1].state = MXD_SMTP_DONE;
    fx.r.targets[0].smtp[1].end = MXD_SMTP_END_UNREACHABLE;
    fs = judge(&fx, true);
    ck_assert_uint_eq(fs.n, 1);
    ck_assert_str_eq(param(&fs.v[0], "addresses"), "192.0.2.25");
    mxd_findings_free(&fs);
    fixture_free(&fx);
}
END_TEST

START_TEST(test_check_one_address_mismatch)
{
    fixture fx;
    fixture_one(&fx, true, 3, 1, 1, leaf);
    add_addr(&fx.r.targets[0], "192.0.2.25", leaf);
    mxd_smtp *renewed = add_addr(&fx.r.targets[0], "192.0.2.26", old_leaf);
    mxd_findings fs = judge(&fx, true);
    ck_assert_uint_eq(fs.n, 1); /* the mismatch, and no dane.match for the host */
    const mxd_finding *f = &fs.v[0];
    ck_assert_str_eq(f->id, "dane.mismatch");
    ck_assert_int_eq(f->sev, MXD_SEV_FAIL);
    ck_assert_str_eq(param(f, "host"), "mx1.example.jp");
    ck_assert_str_eq(param(f, "address"), "192.0.2.26");
    ck_assert_str_eq(param(f, "names"), "mx1.example.jp");
    /* The record that would match the key this address presents. */
    char hex[65], want[80];
    ck_assert(mxd_dane_leaf_hex(renewed, 1, 1, hex, sizeof hex));
    snprintf(want, sizeof want, "3 1 1 %s", hex);
    ck_assert_str_eq(param(f, "publish"), want);
    /* A failure that ends up in the verdict. */
    ck_assert_int_eq(mxd_verdict_of(&fs), MXD_VERDICT_FAIL);
    mxd_findings_free(&fs);
    fixture_free(&fx);
}
END_TEST

START_TEST(test_check_any_usable_record_matches)
{
    /* An unusable record beside a usable one that matches: a match. One that
     * matches only through an unusable record: a mismatch. */
    fixture fx;
    mxd_cert_der d;
    der_of(leaf, &d);
    char **recs = calloc(2, sizeof *recs);
    size_t *lens = calloc(2, sizeof *lens);
    recs[0] = record_for(1, 1, 1, &d, &lens[0]);    /* PKIX-EE of the very key */
    recs[1] = record_for(3, 0, 2, &d, &lens[1]);    /* DANE-EE, whole cert, SHA-512 */
    fixture_init(&fx, true, recs, lens, 2);
    add_addr(&fx.r.targets[0], "192.0.2.25", leaf);
    mxd_findings fs = judge(&fx, true);
    only(&fs, "dane.match", -1);
    ck_assert(strncmp(param(&fs.v[0], "records"), "3 0 2 ", 6) == 0); /* the usable one */
    mxd_findings_free(&fs);
    fx.t.q.nrec = 1; /* hide the usable record: only PKIX-EE is left */
    fs = judge(&fx, true);
    only(&fs, "dane.unusable", MXD_SEV_WARN);
    ck_assert_str_eq(param(&fs.v[0], "count"), "1");
    mxd_findings_free(&fs);
    fx.t.q.nrec = 2;
    mxd_cert_der_clear(&d);
    fixture_free(&fx);
}
END_TEST

START_TEST(test_check_no_starttls)
{
    fixture fx;
    fixture_one(&fx, true, 3, 1, 1, leaf);
    mxd_smtp *plain = add_addr(&fx.r.targets[0], "192.0.2.25", NULL);
    plain->starttls_offered = false;
    mxd_smtp *broken = add_addr(&fx.r.targets[0], "192.0.2.26", NULL);
    broken->tls_attempted = true;
    broken->end = MXD_SMTP_END_TLS_FAILED;
    mxd_findings fs = judge(&fx, true);
    ck_assert_uint_eq(fs.n, 2);
    ck_assert_str_eq(fs.v[0].id, "dane.no_starttls");
    ck_assert_int_eq(fs.v[0].sev, MXD_SEV_FAIL);
    ck_assert_str_eq(param(&fs.v[0], "address"), "192.0.2.25");
    ck_assert_str_eq(param(&fs.v[0], "reason"), "no_starttls");
    ck_assert_str_eq(fs.v[1].id, "dane.no_starttls");
    ck_assert_str_eq(param(&fs.v[1], "address"), "192.0.2.26");
    ck_assert_str_eq(param(&fs.v[1], "reason"), "tls_failed");
    mxd_findings_free(&fs);
    fixture_free(&fx);
}
END_TEST

START_TEST(test_check_not_compared)
{
    fixture fx;
    fixture_one(&fx, true, 3, 1, 1, leaf);
    mxd_smtp *s = add_addr(&fx.r.targets[0], "192.0.2.25", old_leaf);
    static const struct {
        bool with_smtp, no_smtp;
        mxd_smtp_state state;
        mxd_smtp_end end;
        const char *reason;
    } cases[] = {
        { false, false, MXD_SMTP_DONE, MXD_SMTP_END_OK, "no_smtp" },        /* no SMTP data */
        { true, true, MXD_SMTP_NOT_RUN, MXD_SMTP_END_OK, "no_smtp" },       /* --no-smtp */
        { true, false, MXD_SMTP_NOT_RUN, MXD_SMTP_END_OK, "no_smtp" },
        { true, false, MXD_SMTP_SKIPPED, MXD_SMTP_END_OK, "no_smtp" },
        { true, false, MXD_SMTP_DONE, MXD_SMTP_END_CONNECT_TIMEOUT, "not_reached" }, /* OP25B */
        { true, false, MXD_SMTP_DONE, MXD_SMTP_END_REFUSED, "not_reached" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fx.r.opts.no_smtp = cases[i].no_smtp;
        s->state = cases[i].state;
        s->end = cases[i].end;
        mxd_findings fs = judge(&fx, cases[i].with_smtp);
        ck_assert_msg(fs.n == 1, "case %zu: %zu findings", i, fs.n);
        ck_assert_str_eq(fs.v[0].id, "dane.present");
        ck_assert_int_eq(fs.v[0].sev, MXD_SEV_INFO);
        ck_assert_str_eq(param(&fs.v[0], "dnssec"), "validated");
        ck_assert_str_eq(param(&fs.v[0], "reason"), cases[i].reason);
        ck_assert_str_eq(param(&fs.v[0], "count"), "1");
        mxd_findings_free(&fs);
    }
    fixture_free(&fx);
}
END_TEST

START_TEST(test_check_not_validated)
{
    /* Records without the AD bit are ignored by senders: whatever the
     * certificate, only dane.present. */
    fixture fx;
    fixture_one(&fx, false, 3, 1, 1, leaf);
    add_addr(&fx.r.targets[0], "192.0.2.25", old_leaf);
    mxd_findings fs = judge(&fx, true);
    only(&fs, "dane.present", MXD_SEV_INFO);
    ck_assert_str_eq(param(&fs.v[0], "dnssec"), "not_validated");
    ck_assert_str_eq(param(&fs.v[0], "reason"), "not_validated");
    mxd_findings_free(&fs);
    /* No records: DANE is optional, nothing to say. */
    fx.t.q.state = MXD_Q_NODATA;
    fs = judge(&fx, true);
    ck_assert_uint_eq(fs.n, 0);
    fixture_free(&fx);
}
END_TEST

START_TEST(test_check_ta_wrong_name)
{
    /* A DANE-TA record for the CA, and a certificate the CA issued for another
     * name: any host with a certificate from that CA could pose as this one. */
    fixture fx;
    fixture_one(&fx, true, 2, 1, 1, mxd_labca_cert(ca));
    add_addr(&fx.r.targets[0], "192.0.2.25", leaf);
    mxd_smtp *s = add_addr(&fx.r.targets[0], "192.0.2.26", other_name);
    s->cert.name_matches = false;
    snprintf(s->cert.names, sizeof s->cert.names, "mx9.example.jp");
    mxd_findings fs = judge(&fx, true);
    only(&fs, "dane.mismatch", -1);
    ck_assert_str_eq(param(&fs.v[0], "address"), "192.0.2.26");
    ck_assert_str_eq(param(&fs.v[0], "names"), "mx9.example.jp");
    mxd_findings_free(&fs);
    fixture_free(&fx);
}
END_TEST

/* Through the policy step: the TLSA answer in the policy data, the SMTP results
 * in the diagnosis; the same data without the diagnosis compares nothing. */
START_TEST(test_policy_step_uses_smtp)
{
    fixture fx;
    fixture_one(&fx, true, 3, 1, 1, leaf);
    add_addr(&fx.r.targets[0], "192.0.2.25", old_leaf);
    mxd_policy_result d;
    memset(&d, 0, sizeof d);
    d.started = d.finished = true;
    d.tlsa = &fx.t;
    d.ntlsa = 1;
    mxd_findings fs = { 0 };
    mxd_check_policy(&fx.r, &d, &fs);
    ck_assert_ptr_nonnull(mxd_findings_find(&fs, "dane.mismatch", "mx1.example.jp"));
    ck_assert_ptr_null(mxd_findings_find(&fs, "dane.present", NULL));
    mxd_findings_free(&fs);
    mxd_check_policy_data(&d, "example.jp", &fs);
    ck_assert_ptr_null(mxd_findings_find(&fs, "dane.mismatch", NULL));
    const mxd_finding *f = mxd_findings_find(&fs, "dane.present", "mx1.example.jp");
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(param(f, "reason"), "no_smtp");
    mxd_findings_free(&fs);
    fixture_free(&fx);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("dane");
    TCase *tc = tcase_create("records");
    tcase_add_test(tc, test_parse_and_usable);
    tcase_add_test(tc, test_leaf_hex_vectors);
    suite_add_tcase(s, tc);
    tc = tcase_create("matching");
    tcase_add_checked_fixture(tc, certs_setup, certs_teardown);
    tcase_add_test(tc, test_match_ee_every_selector_and_type);
    tcase_add_test(tc, test_match_ta);
    tcase_add_test(tc, test_leaf_hex_is_spki_digest);
    suite_add_tcase(s, tc);
    tc = tcase_create("findings");
    tcase_add_checked_fixture(tc, certs_setup, certs_teardown);
    tcase_add_test(tc, test_check_match_two_addresses);
    tcase_add_test(tc, test_check_one_address_mismatch);
    tcase_add_test(tc, test_check_any_usable_record_matches);
    tcase_add_test(tc, test_check_no_starttls);
    tcase_add_test(tc, test_check_not_compared);
    tcase_add_test(tc, test_check_not_validated);
    tcase_add_test(tc, test_check_ta_wrong_name);
    tcase_add_test(tc, test_policy_step_uses_smtp);
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
