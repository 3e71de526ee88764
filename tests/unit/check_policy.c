/* check_policy.c — step "policy": the parsers (tag lists, DMARC, DKIM keys,
 * organisational domain, reverse names), the checks on hand-built results, and
 * the run against the lab's own DNS servers on loopback.
 *
 * DKIM key sizes are tested with real RSA keys generated here with OpenSSL
 * (512, 1024, 2048 and 4096 bits) and a real Ed25519 key, published the way
 * DNS hosts publish them: base64 of the SubjectPublicKeyInfo, split by spaces.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "mxd/dnsclient.h"
#include "mxd/labdns.h"
#include "mxd/policy.h"

/* ---- helpers ---------------------------------------------------------------- */

static char *b64(const unsigned char *d, size_t n)
{
    char *o = malloc(4 * ((n + 2) / 3) + 1);
    ck_assert_ptr_nonnull(o);
    EVP_EncodeBlock((unsigned char *)o, d, (int)n);
    return o;
}

/* Base64 of a fresh key's public half: SubjectPublicKeyInfo, or (pkcs1) the
 * bare RSAPublicKey some old DNS tools published. Caller frees. */
static char *rsa_pub_b64(unsigned bits, bool pkcs1)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
    ck_assert_msg(k != NULL, "RSA %u keygen", bits);
    unsigned char *der = NULL;
    int n = pkcs1 ? i2d_PublicKey(k, &der) : i2d_PUBKEY(k, &der);
    ck_assert_int_gt(n, 0);
    char *s = b64(der, (size_t)n);
    OPENSSL_free(der);
    EVP_PKEY_free(k);
    return s;
}

/* "v=DKIM1; k=rsa; p=AAAA BBBB ..." with a space every 60 characters, as DNS
 * hosts split long keys. Caller frees. */
static char *key_record(const char *prefix, const char *b)
{
    size_t n = strlen(b), o = strlen(prefix);
    char *r = malloc(o + n + n / 60 + 2);
    ck_assert_ptr_nonnull(r);
    memcpy(r, prefix, o);
    for (size_t i = 0; i < n; i++) {
        if (i && i % 60 == 0)
            r[o++] = ' ';
        r[o++] = b[i];
    }
    r[o] = '\0';
    return r;
}

static bool dmarc(const char *txt, mxd_dmarc_rec *r) { return mxd_dmarc_parse(txt, strlen(txt), r); }
static bool dkim(const char *txt, mxd_dkim_key *k) { return mxd_dkim_parse(txt, strlen(txt), k); }

/* A lookup that ended in st with the given records (NULL-terminated). */
static void set_lookup(mxd_plookup *l, const char *name, uint16_t type, mxd_qstate st,
                       const char *const *recs)
{
    mxd_plookup_free(l);
    snprintf(l->name, sizeof l->name, "%s", name);
    l->type = type;
    l->state = st;
    size_t n = 0;
    while (recs && recs[n])
        n++;
    if (!n)
        return;
    l->rec = calloc(n, sizeof *l->rec);
    l->len = calloc(n, sizeof *l->len);
    for (size_t i = 0; i < n; i++) {
        l->rec[i] = strdup(recs[i]);
        l->len[i] = strlen(recs[i]);
    }
    l->nrec = n;
}

#define RECS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static int count(const mxd_findings *fs, const char *id)
{
    int n = 0;
    for (size_t i = 0; i < fs->n; i++)
        n += strcmp(fs->v[i].id, id) == 0;
    return n;
}

static const mxd_finding *get(const mxd_findings *fs, const char *id)
{
    const mxd_finding *f = mxd_findings_find(fs, id, NULL);
    ck_assert_msg(f != NULL, "no finding %s", id);
    ck_assert_str_eq(f->step, "policy");
    return f;
}

static const char *param(const mxd_finding *f, const char *key)
{
    const char *v = mxd_finding_get(f, key);
    ck_assert_msg(v != NULL, "%s has no param %s", f->id, key);
    return v;
}

static mxd_addr addr(const char *text)
{
    mxd_addr a;
    memset(&a, 0, sizeof a);
    a.family = strchr(text, ':') ? AF_INET6 : AF_INET;
    ck_assert_int_eq(inet_pton(a.family, text, a.bytes), 1);
    snprintf(a.text, sizeof a.text, "%s", text);
    return a;
}

/* ---- tag lists ------------------------------------------------------------------ */

START_TEST(test_taglist)
{
    const char *txt = "  v = DKIM1 ;;k=rsa;\tp=AB CD\r\n EF ; t=y:s;";
    const char *p = txt, *end = txt + strlen(txt);
    mxd_tag t;
    ck_assert_int_eq(mxd_taglist_next(&p, end, &t), 1);
    ck_assert(mxd_tag_is(&t, "v"));
    ck_assert_int_eq((int)t.value_len, 5);
    ck_assert(memcmp(t.value, "DKIM1", 5) == 0);
    ck_assert_int_eq(mxd_taglist_next(&p, end, &t), 1); /* ";;" skipped */
    ck_assert(mxd_tag_is(&t, "k"));
    ck_assert_int_eq(mxd_taglist_next(&p, end, &t), 1);
    ck_assert(mxd_tag_is(&t, "p"));
    /* Folding whitespace inside a value stays; around it, it goes. */
    ck_assert_int_eq((int)t.value_len, (int)strlen("AB CD\r\n EF"));
    ck_assert_int_eq(mxd_taglist_next(&p, end, &t), 1);
    ck_assert(mxd_tag_is(&t, "t"));
    ck_assert_int_eq(mxd_taglist_next(&p, end, &t), 0);
    ck_assert_int_eq(mxd_taglist_next(&p, end, &t), 0);
    ck_assert(!mxd_tag_is(&t, "tt"));

    /* An empty value is a value. */
    txt = "p=";
    p = txt;
    ck_assert_int_eq(mxd_taglist_next(&p, txt + 2, &t), 1);
    ck_assert_int_eq((int)t.value_len, 0);

    /* Not a tag list: no '=', a name starting with a digit, a control byte. */
    static const char *const bad[] = { "p reject", "1p=x", "=x", ("p=a\x01" "b"), "p=caf\xC3\xA9" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p = bad[i];
        ck_assert_msg(mxd_taglist_next(&p, bad[i] + strlen(bad[i]), &t) == -1, "case %zu", i);
        ck_assert_ptr_eq(p, bad[i]); /* points at the bad spec */
    }
    p = "p reject";
    mxd_taglist_next(&p, p + 8, &t);
    ck_assert_int_eq((int)t.name_len, 1); /* "p" is what looked like the name */
    ck_assert_int_eq((int)t.value_len, 8);
}
END_TEST

/* ---- DMARC ------------------------------------------------------------------------- */

START_TEST(test_dmarc_is_record)
{
    ck_assert(mxd_dmarc_is_record("v=DMARC1; p=none", 16));
    ck_assert(mxd_dmarc_is_record(" v = DMARC1;p=none", 18));
    ck_assert(mxd_dmarc_is_record("v=DMARC1", 8));
    ck_assert(mxd_dmarc_is_record("v=dmarc1; p=none", 16)); /* seen, then found invalid */
    ck_assert(!mxd_dmarc_is_record("v=spf1 -all", 11));
    ck_assert(!mxd_dmarc_is_record("p=reject; v=DMARC1", 18));
    ck_assert(!mxd_dmarc_is_record("v=DMARC", 7));
    ck_assert(!mxd_dmarc_is_record("", 0));
    ck_assert(!mxd_dmarc_is_record("google-site-verification=abc", 28));
}
END_TEST

START_TEST(test_dmarc_valid)
{
    mxd_dmarc_rec r;
    ck_assert(dmarc("v=DMARC1; p=reject; sp=quarantine; pct=30; adkim=s; aspf=r; "
                    "rua=mailto:dmarc@Example.JP,mailto:agg@reports.example.net!10m; "
                    "ruf=mailto:f@example.jp; fo=0:d:s; rf=afrf; ri=86400",
                    &r));
    ck_assert(r.valid);
    ck_assert_int_eq(r.p, MXD_DMARC_REJECT);
    ck_assert_int_eq(r.sp, MXD_DMARC_QUARANTINE);
    ck_assert_uint_eq(r.pct, 30);
    ck_assert_int_eq(r.adkim, 's');
    ck_assert_int_eq(r.aspf, 'r');
    ck_assert_uint_eq(r.nrua, 2);
    ck_assert_str_eq(r.rua[0].uri, "mailto:dmarc@Example.JP");
    ck_assert_str_eq(r.rua[0].domain, "example.jp");
    ck_assert_str_eq(r.rua[1].uri, "mailto:agg@reports.example.net"); /* "!10m" dropped */
    ck_assert_str_eq(r.rua[1].domain, "reports.example.net");
    ck_assert_uint_eq(r.nruf, 1);
    ck_assert_str_eq(r.unknown, "");

    /* Defaults, and the minimum record. */
    ck_assert(dmarc("v=DMARC1;p=none", &r));
    ck_assert_int_eq(r.p, MXD_DMARC_NONE);
    ck_assert_int_eq(r.sp, MXD_DMARC_UNSET);
    ck_assert_uint_eq(r.pct, 100);
    ck_assert_int_eq(r.adkim, 'r');
    ck_assert_uint_eq(r.nrua, 0);

    /* Whitespace anywhere the grammar allows it, a trailing ';', any case of values. */
    ck_assert(dmarc("  v = DMARC1 ;\tp = Quarantine ; pct = 0 ;  ", &r));
    ck_assert_int_eq(r.p, MXD_DMARC_QUARANTINE);
    ck_assert_uint_eq(r.pct, 0);

    /* Unknown tags are listed and ignored; DMARCbis tags are known. */
    ck_assert(dmarc("v=DMARC1; p=reject; foo=bar; x_y=1; np=reject; psd=n; t=y", &r));
    ck_assert_str_eq(r.unknown, "foo x_y");
    ck_assert_str_eq(mxd_dmarc_p_name(r.p), "reject");
    ck_assert_str_eq(mxd_dmarc_p_name(MXD_DMARC_UNSET), "");
}
END_TEST

/* Each broken record, the tag that must be named, and its value as shown. */
static const struct {
    const char *txt, *tag, *value;
} bad_dmarc[] = {
    { "v=DMARC1", "p", "" },                                  /* p missing */
    { "v=DMARC1; rua=mailto:a@example.jp", "p", "" },
    { "v=DMARC1; p=rejct", "p", "rejct" },                    /* typo */
    { "v=DMARC1; p=", "p", "" },
    { "v=DMARC1; p=reject; sp=all", "sp", "all" },
    { "v=DMARC1; p=reject; pct=101", "pct", "101" },          /* out of range */
    { "v=DMARC1; p=reject; pct=-1", "pct", "-1" },
    { "v=DMARC1; p=reject; pct=50%", "pct", "50%" },
    { "v=DMARC1; p=reject; pct=", "pct", "" },
    { "v=DMARC1; p=reject; adkim=strict", "adkim", "strict" },
    { "v=DMARC1; p=reject; rua=dmarc@example.jp", "rua", "dmarc@example.jp" }, /* no mailto: */
    { "v=DMARC1; p=reject; rua=mailto:example.jp", "rua", "mailto:example.jp" },
    { "v=DMARC1; p=reject; rua=mailto:a@b.jp!x", "rua", "mailto:a@b.jp!x" },
    { "v=DMARC1; p=reject; ri=1h", "ri", "1h" },
    { "v=DMARC1; p=reject; fo=2", "fo", "2" },
    { "v=DMARC1; p=reject; p=none", "p", "none" },           /* twice */
    { "v=DMARC1 p=reject", "v", "DMARC1 p=reject" },          /* ';' forgotten */
    { "v=dmarc1; p=reject", "v", "dmarc1" },                  /* case of the version */
    { "p=reject; v=DMARC1", "v", "p" },                       /* v not first */
    { "v=DMARC1; p reject", "p", "p reject" },               /* '=' forgotten */
};

START_TEST(test_dmarc_invalid)
{
    mxd_dmarc_rec r;
    ck_assert_msg(!dmarc(bad_dmarc[_i].txt, &r), "\"%s\" parsed", bad_dmarc[_i].txt);
    ck_assert(!r.valid);
    ck_assert_str_eq(r.bad_tag, bad_dmarc[_i].tag);
    ck_assert_str_eq(r.bad_value, bad_dmarc[_i].value);
}
END_TEST

START_TEST(test_org_domain)
{
    static const struct { const char *in, *out; bool ok; } cases[] = {
        { "example.com", "example.com", true },
        { "mail.example.com", "example.com", true },
        { "a.b.example.co.uk", "example.co.uk", true },
        { "shop.example.co.jp", "example.co.jp", true },
        { "Mail.Example.JP.", "example.jp", true },       /* case and trailing dot */
        { "www.city.kawasaki.jp", "city.kawasaki.jp", true }, /* a PSL wildcard exception */
        { "xn--r8jz45g.jp", "xn--r8jz45g.jp", true },
        { "shop.pol.lab.test", "lab.test", true },         /* the lab: last two labels */
        { "lab.test", "lab.test", true },
        { "com", "com", false },                           /* a public suffix itself */
        { "co.uk", "co.uk", false },
        { "test", "test", false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[256];
        bool ok = mxd_org_domain(cases[i].in, out, sizeof out);
        ck_assert_msg(ok == cases[i].ok, "%s: %d", cases[i].in, ok);
        ck_assert_msg(strcmp(out, cases[i].out) == 0, "%s -> %s, want %s", cases[i].in, out,
                      cases[i].out);
    }
}
END_TEST

static void dmarc_setup(mxd_dmarc_result *d, const char *domain)
{
    memset(d, 0, sizeof *d);
    snprintf(d->domain, sizeof d->domain, "%s", domain);
    mxd_org_domain(domain, d->org_domain, sizeof d->org_domain);
    snprintf(d->at_domain.name, sizeof d->at_domain.name, "_dmarc.%s", domain);
    d->at_domain.type = MXD_T_TXT;
}

static void dmarc_free(mxd_dmarc_result *d)
{
    mxd_plookup_free(&d->at_domain);
    mxd_plookup_free(&d->at_org);
    for (size_t i = 0; i < d->nauth; i++)
        mxd_plookup_free(&d->auth[i].q);
}

START_TEST(test_dmarc_discover)
{
    mxd_dmarc_result d;
    /* At the domain itself; other TXT records there are not DMARC records. */
    dmarc_setup(&d, "example.jp");
    set_lookup(&d.at_domain, "_dmarc.example.jp", MXD_T_TXT, MXD_Q_OK,
               RECS("hello", "v=DMARC1; p=reject; rua=mailto:a@example.jp,"
                             "mailto:b@dmarc.vendor.example.com,mailto:c@x.dmarc.vendor.example.com"));
    mxd_dmarc_discover(&d);
    ck_assert(d.discovered && !d.lookup_failed);
    ck_assert_uint_eq(d.nrecords, 1);
    ck_assert_str_eq(d.policy_domain, "example.jp");
    ck_assert_str_eq(d.record_name, "_dmarc.example.jp");
    ck_assert(d.rec.valid);
    /* Only the other organisation needs to consent, once per domain. */
    ck_assert_uint_eq(d.nauth, 2);
    ck_assert_str_eq(d.auth[0].domain, "dmarc.vendor.example.com");
    ck_assert_str_eq(d.auth[0].q.name, "example.jp._report._dmarc.dmarc.vendor.example.com");
    ck_assert_str_eq(d.auth[1].domain, "x.dmarc.vendor.example.com");
    ck_assert_int_eq(d.auth[0].q.state, MXD_Q_NOT_SENT);
    /* A second call changes nothing. */
    mxd_dmarc_discover(&d);
    ck_assert_uint_eq(d.nauth, 2);
    dmarc_free(&d);

    /* None at the subdomain: the organisational domain's record applies. */
    dmarc_setup(&d, "shop.example.co.jp");
    ck_assert_str_eq(d.org_domain, "example.co.jp");
    set_lookup(&d.at_domain, "_dmarc.shop.example.co.jp", MXD_T_TXT, MXD_Q_NXDOMAIN, NULL);
    set_lookup(&d.at_org, "_dmarc.example.co.jp", MXD_T_TXT, MXD_Q_PENDING, NULL);
    mxd_dmarc_discover(&d);
    ck_assert(!d.discovered); /* waits for the second answer */
    set_lookup(&d.at_org, "_dmarc.example.co.jp", MXD_T_TXT, MXD_Q_OK,
               RECS("v=DMARC1; p=quarantine; sp=none"));
    mxd_dmarc_discover(&d);
    ck_assert(d.discovered);
    ck_assert_str_eq(d.policy_domain, "example.co.jp");
    ck_assert_str_eq(d.record_name, "_dmarc.example.co.jp");
    ck_assert_int_eq(d.rec.sp, MXD_DMARC_NONE);
    dmarc_free(&d);

    /* A record at the domain wins even when the organisational one exists. */
    dmarc_setup(&d, "shop.example.co.jp");
    set_lookup(&d.at_domain, "_dmarc.shop.example.co.jp", MXD_T_TXT, MXD_Q_OK,
               RECS("v=DMARC1; p=none"));
    set_lookup(&d.at_org, "_dmarc.example.co.jp", MXD_T_TXT, MXD_Q_OK, RECS("v=DMARC1; p=reject"));
    mxd_dmarc_discover(&d);
    ck_assert_str_eq(d.policy_domain, "shop.example.co.jp");
    ck_assert_int_eq(d.rec.p, MXD_DMARC_NONE);
    dmarc_free(&d);

    /* Two records at the domain: no fallback, nothing applies (RFC 7489 §6.6.3). */
    dmarc_setup(&d, "shop.example.co.jp");
    set_lookup(&d.at_domain, "_dmarc.shop.example.co.jp", MXD_T_TXT, MXD_Q_OK,
               RECS("v=DMARC1; p=none", "v=DMARC1; p=reject"));
    set_lookup(&d.at_org, "_dmarc.example.co.jp", MXD_T_TXT, MXD_Q_OK, RECS("v=DMARC1; p=reject"));
    mxd_dmarc_discover(&d);
    ck_assert_uint_eq(d.nrecords, 2);
    ck_assert_str_eq(d.record_name, "_dmarc.shop.example.co.jp");
    ck_assert_ptr_null(d.text);
    dmarc_free(&d);

    /* Failed lookups decide nothing. */
    dmarc_setup(&d, "example.jp");
    set_lookup(&d.at_domain, "_dmarc.example.jp", MXD_T_TXT, MXD_Q_SERVFAIL, NULL);
    mxd_dmarc_discover(&d);
    ck_assert(d.lookup_failed);
    dmarc_free(&d);
    dmarc_setup(&d, "a.example.jp");
    set_lookup(&d.at_domain, "_dmarc.a.example.jp", MXD_T_TXT, MXD_Q_NODATA, NULL);
    set_lookup(&d.at_org, "_dmarc.example.jp", MXD_T_TXT, MXD_Q_TIMEOUT, NULL);
    mxd_dmarc_discover(&d);
    ck_assert(d.lookup_failed);
    ck_assert_str_eq(d.record_name, "_dmarc.example.jp");
    dmarc_free(&d);

    /* Nothing anywhere. */
    dmarc_setup(&d, "example.jp");
    set_lookup(&d.at_domain, "_dmarc.example.jp", MXD_T_TXT, MXD_Q_NXDOMAIN, NULL);
    mxd_dmarc_discover(&d);
    ck_assert(d.discovered && !d.lookup_failed);
    ck_assert_uint_eq(d.nrecords, 0);
    ck_assert_str_eq(d.policy_domain, "");
    dmarc_free(&d);
}
END_TEST

/* ---- DKIM --------------------------------------------------------------------------- */

START_TEST(test_dkim_rsa_sizes)
{
    static const unsigned sizes[] = { 512, 1024, 2048, 4096 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *k = rsa_pub_b64(sizes[i], false);
        char *rec = key_record("v=DKIM1; k=rsa; h=sha256; p=", k);
        mxd_dkim_key key;
        ck_assert_msg(dkim(rec, &key), "%u bits: %s", sizes[i], key.error);
        ck_assert(key.is_key && key.valid && !key.revoked);
        ck_assert_str_eq(key.ktype, "rsa");
        ck_assert_uint_eq(key.bits, sizes[i]);
        free(rec);
        /* Without v= and k= (both optional), and with a trailing ';'. */
        rec = key_record("p=", k);
        size_t n = strlen(rec);
        rec = realloc(rec, n + 2);
        memcpy(rec + n, ";", 2);
        ck_assert(dkim(rec, &key));
        ck_assert_uint_eq(key.bits, sizes[i]);
        free(rec);
        free(k);
    }
    /* A bare PKCS#1 RSAPublicKey is read too. */
    char *k = rsa_pub_b64(1024, true);
    char *rec = key_record("v=DKIM1; p=", k);
    mxd_dkim_key key;
    ck_assert(dkim(rec, &key));
    ck_assert_uint_eq(key.bits, 1024);
    free(rec);
    free(k);
}
END_TEST

START_TEST(test_dkim_ed25519)
{
    EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    ck_assert_ptr_nonnull(pk);
    unsigned char raw[32];
    size_t n = sizeof raw;
    ck_assert_int_eq(EVP_PKEY_get_raw_public_key(pk, raw, &n), 1);
    ck_assert_uint_eq(n, 32);
    EVP_PKEY_free(pk);
    char *k = b64(raw, n);
    char *rec = key_record("v=DKIM1; k=ed25519; p=", k);
    mxd_dkim_key key;
    ck_assert_msg(dkim(rec, &key), "%s", key.error);
    ck_assert_str_eq(key.ktype, "ed25519");
    ck_assert_uint_eq(key.bits, 256);
    free(rec);
    /* 31 bytes are not an Ed25519 key. */
    char *short_k = b64(raw, 31);
    rec = key_record("v=DKIM1; k=ed25519; p=", short_k);
    ck_assert(!dkim(rec, &key));
    ck_assert(key.is_key);
    ck_assert_str_eq(key.error, "key");
    free(rec);
    free(short_k);
    /* An Ed25519 key read as RSA (k= forgotten) is not an RSA key. */
    rec = key_record("v=DKIM1; p=", k);
    ck_assert(!dkim(rec, &key));
    ck_assert_str_eq(key.error, "key");
    free(rec);
    free(k);
}
END_TEST

START_TEST(test_dkim_records)
{
    mxd_dkim_key k;
    /* Revoked: an empty p= (RFC 6376 §3.6.1). */
    ck_assert(!dkim("v=DKIM1; k=rsa; p=", &k));
    ck_assert(k.is_key && k.revoked && !k.valid);
    ck_assert(!dkim("p= ; t=y", &k));
    ck_assert(k.revoked && k.testing);
    /* Not a key record at all: a wildcard SPF answering at the selector's name. */
    ck_assert(!dkim("v=spf1 include:_spf.example.net -all", &k));
    ck_assert(!k.is_key);
    ck_assert(!dkim("some verification token", &k));
    ck_assert(!k.is_key);
    /* A key record with problems. */
    ck_assert(!dkim("v=DKIM1; p=****", &k));
    ck_assert(k.is_key);
    ck_assert_str_eq(k.error, "base64");
    ck_assert(!dkim("v=DKIM1; p=AAAA=AAA", &k)); /* data after the padding */
    ck_assert_str_eq(k.error, "base64");
    ck_assert(!dkim("v=DKIM1; p=QUJD", &k)); /* valid base64 of "ABC": not a key */
    ck_assert_str_eq(k.error, "key");
    ck_assert(!dkim("v=DKIM1; k=dsa; p=QUJD", &k));
    ck_assert_str_eq(k.error, "key_type");
    ck_assert(!dkim("k=rsa; v=DKIM1; p=QUJD", &k)); /* v= not first */
    ck_assert_str_eq(k.error, "version");
    ck_assert(!dkim("v=DKIM2; p=QUJD", &k));
    ck_assert_str_eq(k.error, "version");
    ck_assert(!dkim("v=DKIM1; p=QUJD; p=QUJD", &k));
    ck_assert_str_eq(k.error, "duplicate");
    ck_assert(!dkim("v=DKIM1; k=rsa", &k)); /* says it is a key, has none */
    ck_assert(k.is_key);
    ck_assert_str_eq(k.error, "syntax");
    ck_assert(!dkim("v=DKIM1; k rsa; p=QUJD", &k));
    ck_assert_str_eq(k.error, "syntax");
    /* t=y marks a key in testing; "t=s" alone does not. */
    char *kb = rsa_pub_b64(1024, false);
    char *rec = key_record("v=DKIM1; t=s:y; p=", kb);
    ck_assert(dkim(rec, &k));
    ck_assert(k.testing);
    free(rec);
    rec = key_record("v=DKIM1; t=s; p=", kb);
    ck_assert(dkim(rec, &k));
    ck_assert(!k.testing);
    free(rec);
    free(kb);
}
END_TEST

START_TEST(test_dkim_selector_valid)
{
    ck_assert(mxd_dkim_selector_valid("selector1"));
    ck_assert(mxd_dkim_selector_valid("s1024.2024-01"));
    ck_assert(mxd_dkim_selector_valid("k_1"));
    ck_assert(!mxd_dkim_selector_valid(""));
    ck_assert(!mxd_dkim_selector_valid("a..b"));
    ck_assert(!mxd_dkim_selector_valid(".a"));
    ck_assert(!mxd_dkim_selector_valid("a."));
    ck_assert(!mxd_dkim_selector_valid("a b"));
    ck_assert(!mxd_dkim_selector_valid("a;rm"));
    char long_label[70];
    memset(long_label, 'a', 64);
    long_label[64] = '\0';
    ck_assert(!mxd_dkim_selector_valid(long_label));
    size_t n = 0;
    while (mxd_dkim_default_selectors[n])
        ck_assert(mxd_dkim_selector_valid(mxd_dkim_default_selectors[n++]));
    ck_assert_uint_eq(n, 9);
}
END_TEST

/* ---- reverse DNS, lookups, TLSA --------------------------------------------------------- */

START_TEST(test_reverse_and_confirm)
{
    char name[128];
    mxd_addr a4 = addr("192.0.2.25");
    ck_assert(mxd_reverse_name(&a4, name, sizeof name));
    ck_assert_str_eq(name, "25.2.0.192.in-addr.arpa");
    mxd_addr a6 = addr("2001:db8::567:89ab");
    ck_assert(mxd_reverse_name(&a6, name, sizeof name));
    ck_assert_str_eq(name, "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
    ck_assert(!mxd_reverse_name(&a6, name, 40));

    /* Forward-confirmed: the PTR name's own addresses include the address. */
    mxd_plookup fwd = { 0 };
    set_lookup(&fwd, "mx1.example.jp", MXD_T_A, MXD_Q_OK, RECS("192.0.2.24", "192.0.2.25"));
    ck_assert(mxd_ptr_confirms(&a4, &fwd));
    set_lookup(&fwd, "mx1.example.jp", MXD_T_A, MXD_Q_OK, RECS("192.0.2.26"));
    ck_assert(!mxd_ptr_confirms(&a4, &fwd));
    set_lookup(&fwd, "mx1.example.jp", MXD_T_A, MXD_Q_NXDOMAIN, NULL);
    ck_assert(!mxd_ptr_confirms(&a4, &fwd));
    /* IPv6 compares bytes, not spelling. */
    set_lookup(&fwd, "mx1.example.jp", MXD_T_AAAA, MXD_Q_OK, RECS("2001:DB8:0:0:0:0:567:89AB"));
    ck_assert(mxd_ptr_confirms(&a6, &fwd));
    ck_assert(!mxd_ptr_confirms(&a4, &fwd));
    mxd_plookup_free(&fwd);
}
END_TEST

START_TEST(test_plookup_fill)
{
    mxd_rr rrs[3];
    memset(rrs, 0, sizeof rrs);
    mxd_rr_setf(&rrs[0].name, "s1._domainkey.example.jp");
    rrs[0].type = MXD_T_CNAME;
    mxd_rr_setf(&rrs[0].u.target, "s1.keys.example.net");
    mxd_rr_setf(&rrs[1].name, "s1.keys.example.net");
    rrs[1].type = MXD_T_TXT;
    static uint8_t txt[] = "v=DKIM1; p=\0x"; /* a NUL inside: kept, length says so */
    rrs[1].data = txt;
    rrs[1].data_len = sizeof txt - 1;
    mxd_rr_setf(&rrs[2].name, "x");
    rrs[2].type = MXD_T_A;
    rrs[2].u.a[0] = 192; rrs[2].u.a[1] = 0; rrs[2].u.a[2] = 2; rrs[2].u.a[3] = 1;
    mxd_dnsmsg m;
    memset(&m, 0, sizeof m);
    m.an = rrs;
    m.nan = 3;
    m.flags = MXD_F_QR | MXD_F_RA | MXD_F_AD;

    mxd_plookup l = { 0 };
    l.type = MXD_T_TXT;
    ck_assert_int_eq(mxd_plookup_fill(&l, MXD_Q_OK, &m), 0);
    ck_assert_int_eq(l.state, MXD_Q_OK);
    ck_assert(l.ad);
    ck_assert_uint_eq(l.nrec, 1); /* the CNAME is followed, not kept */
    ck_assert_uint_eq(l.len[0], sizeof txt - 1);
    ck_assert(memcmp(l.rec[0], txt, sizeof txt - 1) == 0);

    l.type = MXD_T_A;
    m.flags = MXD_F_QR;
    ck_assert_int_eq(mxd_plookup_fill(&l, MXD_Q_OK, &m), 0);
    ck_assert(!l.ad);
    ck_assert_uint_eq(l.nrec, 1);
    ck_assert_str_eq(l.rec[0], "192.0.2.1");

    /* Only a CNAME of the asked type's owner: no data of that type. */
    l.type = MXD_T_PTR;
    ck_assert_int_eq(mxd_plookup_fill(&l, MXD_Q_OK, &m), 0);
    ck_assert_int_eq(l.state, MXD_Q_NODATA);
    ck_assert_uint_eq(l.nrec, 0);

    ck_assert_int_eq(mxd_plookup_fill(&l, MXD_Q_TIMEOUT, NULL), 0);
    ck_assert(mxd_plookup_failed(&l));
    l.state = MXD_Q_NXDOMAIN;
    ck_assert(!mxd_plookup_failed(&l));
    mxd_plookup_free(&l);
    rrs[1].data = NULL; /* static */
    for (int i = 0; i < 3; i++)
        mxd_rr_clear(&rrs[i]);
}
END_TEST

START_TEST(test_tlsa_format)
{
    char out[64];
    static const char rd[] = "\x03\x01\x01\x0a\x1b\x2c\x3d\x4e\x5f\x60\x71\x82\x93";
    mxd_tlsa_format(rd, sizeof rd - 1, out, sizeof out);
    ck_assert_str_eq(out, "3 1 1 0a1b2c3d4e5f6071…");
    mxd_tlsa_format(rd, 5, out, sizeof out);
    ck_assert_str_eq(out, "3 1 1 0a1b");
    mxd_tlsa_format(rd, 3, out, sizeof out);
    ck_assert_str_eq(out, "?");
}
END_TEST

/* ---- checks on hand-built results ------------------------------------------------------------ */

#define DOMAIN "example.jp"

static void base(mxd_policy_result *d)
{
    memset(d, 0, sizeof *d);
    d->started = true;
    snprintf(d->domain, sizeof d->domain, DOMAIN);
    dmarc_setup(&d->dmarc, DOMAIN);
    set_lookup(&d->dmarc.at_domain, "_dmarc." DOMAIN, MXD_T_TXT, MXD_Q_OK,
               RECS("v=DMARC1; p=reject"));
    mxd_dmarc_discover(&d->dmarc);
    set_lookup(&d->tlsrpt, "_smtp._tls." DOMAIN, MXD_T_TXT, MXD_Q_OK,
               RECS("v=TLSRPTv1; rua=mailto:tls@example.jp"));
}

static void redo_dmarc(mxd_policy_result *d, mxd_qstate st, const char *const *recs)
{
    mxd_dmarc_result *m = &d->dmarc;
    for (size_t i = 0; i < m->nauth; i++)
        mxd_plookup_free(&m->auth[i].q);
    mxd_plookup at = m->at_domain, org = m->at_org;
    memset(m, 0, sizeof *m);
    m->at_domain = at;
    m->at_org = org;
    dmarc_setup(m, DOMAIN);
    m->at_domain = at;
    m->at_org = org;
    set_lookup(&m->at_domain, "_dmarc." DOMAIN, MXD_T_TXT, st, recs);
    mxd_dmarc_discover(m);
}

static mxd_findings check(const mxd_policy_result *d)
{
    mxd_findings fs = { 0 };
    mxd_check_policy_data(d, DOMAIN, &fs);
    return fs;
}

START_TEST(test_check_dmarc)
{
    mxd_policy_result d;
    base(&d);
    mxd_findings fs = check(&d);
    const mxd_finding *f = get(&fs, "dmarc.ok");
    ck_assert_int_eq(f->sev, MXD_SEV_PASS);
    ck_assert_str_eq(param(f, "policy"), "reject");
    ck_assert_str_eq(param(f, "pct"), "100");
    ck_assert_str_eq(param(f, "subdomain_policy"), "reject");
    ck_assert_str_eq(param(f, "name"), "_dmarc.example.jp");
    ck_assert_str_eq(param(f, "record"), "v=DMARC1; p=reject");
    mxd_findings_free(&fs);

    redo_dmarc(&d, MXD_Q_OK, RECS("v=DMARC1; p=quarantine; sp=none; pct=25"));
    fs = check(&d);
    f = get(&fs, "dmarc.ok");
    ck_assert_str_eq(param(f, "policy"), "quarantine");
    ck_assert_str_eq(param(f, "pct"), "25");
    ck_assert_str_eq(param(f, "subdomain_policy"), "none");
    ck_assert_int_eq(count(&fs, "dmarc.policy_none"), 0);
    mxd_findings_free(&fs);

    redo_dmarc(&d, MXD_Q_OK, RECS("v=DMARC1; p=none; rua=mailto:d@example.jp"));
    fs = check(&d);
    f = get(&fs, "dmarc.policy_none");
    ck_assert_int_eq(f->sev, MXD_SEV_INFO);
    ck_assert_int_eq(count(&fs, "dmarc.ok"), 0);
    mxd_findings_free(&fs);

    redo_dmarc(&d, MXD_Q_NXDOMAIN, NULL);
    fs = check(&d);
    f = get(&fs, "dmarc.missing");
    ck_assert_int_eq(f->sev, MXD_SEV_WARN);
    ck_assert_str_eq(param(f, "names"), "_dmarc.example.jp");
    ck_assert_int_eq(count(&fs, "policy.dns_error"), 0);
    mxd_findings_free(&fs);

    redo_dmarc(&d, MXD_Q_OK, RECS("v=DMARC1; p=rejct"));
    fs = check(&d);
    f = get(&fs, "dmarc.invalid");
    ck_assert_int_eq(f->sev, MXD_SEV_FAIL);
    ck_assert_str_eq(param(f, "tag"), "p");
    ck_assert_str_eq(param(f, "value"), "rejct");
    ck_assert_str_eq(param(f, "record"), "v=DMARC1; p=rejct");
    mxd_findings_free(&fs);

    redo_dmarc(&d, MXD_Q_OK, RECS("v=DMARC1; p=reject", "v=DMARC1; p=none"));
    fs = check(&d);
    f = get(&fs, "dmarc.multiple");
    ck_assert_int_eq(f->sev, MXD_SEV_FAIL);
    ck_assert_str_eq(param(f, "count"), "2");
    ck_assert_str_eq(param(f, "records"), "v=DMARC1; p=reject | v=DMARC1; p=none");
    ck_assert_int_eq(count(&fs, "dmarc.ok"), 0);
    mxd_findings_free(&fs);

    /* Hostile text in a record is sanitised on the way out. */
    redo_dmarc(&d, MXD_Q_OK, RECS("v=DMARC1; p=\x1b[2Jx"));
    fs = check(&d);
    f = get(&fs, "dmarc.invalid");
    ck_assert_ptr_null(strchr(param(f, "record"), 0x1b));
    ck_assert_ptr_null(strchr(param(f, "value"), 0x1b));
    mxd_findings_free(&fs);

    /* A failed lookup is not "missing". */
    redo_dmarc(&d, MXD_Q_SERVFAIL, NULL);
    fs = check(&d);
    ck_assert_int_eq(count(&fs, "dmarc.missing"), 0);
    f = get(&fs, "policy.dns_error");
    ck_assert_int_eq(f->sev, MXD_SEV_SKIP);
    ck_assert_str_eq(param(f, "names"), "_dmarc.example.jp");
    ck_assert_str_eq(param(f, "error"), "servfail");
    mxd_findings_free(&fs);

    /* Still waiting: nothing yet. */
    redo_dmarc(&d, MXD_Q_PENDING, NULL);
    fs = check(&d);
    ck_assert_int_eq(count(&fs, "dmarc.missing") + count(&fs, "dmarc.ok"), 0);
    mxd_findings_free(&fs);
    mxd_policy_result_free(&d);
}
END_TEST

START_TEST(test_check_dmarc_inherited_and_rua)
{
    mxd_policy_result d;
    base(&d);
    /* A subdomain under an organisational record: sp= is what applies. */
    snprintf(d.domain, sizeof d.domain, "shop.example.jp");
    mxd_plookup_free(&d.dmarc.at_domain);
    memset(&d.dmarc, 0, sizeof d.dmarc);
    dmarc_setup(&d.dmarc, "shop.example.jp");
    set_lookup(&d.dmarc.at_domain, "_dmarc.shop.example.jp", MXD_T_TXT, MXD_Q_NXDOMAIN, NULL);
    set_lookup(&d.dmarc.at_org, "_dmarc.example.jp", MXD_T_TXT, MXD_Q_OK,
               RECS("v=DMARC1; p=reject; sp=none; rua=mailto:r@dmarc.example.net,mailto:x@example.jp"));
    mxd_dmarc_discover(&d.dmarc);
    ck_assert_uint_eq(d.dmarc.nauth, 1);
    mxd_findings fs = { 0 };
    mxd_check_policy_data(&d, "shop.example.jp", &fs);
    const mxd_finding *f = get(&fs, "dmarc.policy_none"); /* sp=none applies to shop. */
    ck_assert_str_eq(param(f, "name"), "_dmarc.example.jp");
    ck_assert_int_eq(count(&fs, "dmarc.rua_unauthorized"), 0); /* not asked yet */
    mxd_findings_free(&fs);

    /* The report domain did not consent. */
    set_lookup(&d.dmarc.auth[0].q, "example.jp._report._dmarc.dmarc.example.net", MXD_T_TXT,
               MXD_Q_NXDOMAIN, NULL);
    mxd_check_policy_data(&d, "shop.example.jp", &fs);
    f = get(&fs, "dmarc.rua_unauthorized");
    ck_assert_int_eq(f->sev, MXD_SEV_WARN);
    ck_assert_str_eq(param(f, "uri"), "mailto:r@dmarc.example.net");
    ck_assert_str_eq(param(f, "rua_domain"), "dmarc.example.net");
    ck_assert_str_eq(param(f, "name"), "example.jp._report._dmarc.dmarc.example.net");
    ck_assert_str_eq(param(f, "domain"), "example.jp");
    mxd_findings_free(&fs);

    /* It did. */
    set_lookup(&d.dmarc.auth[0].q, "example.jp._report._dmarc.dmarc.example.net", MXD_T_TXT,
               MXD_Q_OK, RECS("v=DMARC1"));
    mxd_check_policy_data(&d, "shop.example.jp", &fs);
    ck_assert_int_eq(count(&fs, "dmarc.rua_unauthorized"), 0);
    mxd_findings_free(&fs);

    /* The organisational record with p=quarantine and no sp=: p applies. */
    set_lookup(&d.dmarc.at_org, "_dmarc.example.jp", MXD_T_TXT, MXD_Q_OK,
               RECS("v=DMARC1; p=quarantine"));
    d.dmarc.discovered = false;
    d.dmarc.nauth = 0;
    mxd_plookup_free(&d.dmarc.auth[0].q);
    mxd_dmarc_discover(&d.dmarc);
    mxd_check_policy_data(&d, "shop.example.jp", &fs);
    f = get(&fs, "dmarc.ok");
    ck_assert_str_eq(param(f, "policy"), "quarantine");
    ck_assert_str_eq(param(f, "subdomain_policy"), "quarantine");
    mxd_findings_free(&fs);
    mxd_policy_result_free(&d);
}
END_TEST

static mxd_dkim_selector *add_sel(mxd_policy_result *d, const char *sel, bool user,
                                  mxd_qstate st, const char *txt)
{
    d->dkim = realloc(d->dkim, (d->ndkim + 1) * sizeof *d->dkim);
    mxd_dkim_selector *s = &d->dkim[d->ndkim++];
    memset(s, 0, sizeof *s);
    snprintf(s->selector, sizeof s->selector, "%s", sel);
    s->user = user;
    char name[300];
    snprintf(name, sizeof name, "%s._domainkey." DOMAIN, sel);
    set_lookup(&s->q, name, MXD_T_TXT, st, txt ? RECS(txt) : NULL);
    if (txt) {
        mxd_dkim_parse(txt, strlen(txt), &s->key);
        s->nkeys = s->key.is_key;
    }
    return s;
}

START_TEST(test_check_dkim)
{
    char *k2048 = rsa_pub_b64(2048, false), *k1024 = rsa_pub_b64(1024, false),
         *k512 = rsa_pub_b64(512, false);
    char *r2048 = key_record("v=DKIM1; p=", k2048), *r1024 = key_record("v=DKIM1; p=", k1024),
         *r512 = key_record("v=DKIM1; p=", k512);
    mxd_policy_result d;
    base(&d);
    add_sel(&d, "default", false, MXD_Q_NXDOMAIN, NULL);
    add_sel(&d, "google", false, MXD_Q_OK, r2048);
    add_sel(&d, "k1", false, MXD_Q_OK, r1024);
    add_sel(&d, "s1", false, MXD_Q_OK, r512);
    add_sel(&d, "s2", false, MXD_Q_OK, "v=DKIM1; p=");
    add_sel(&d, "mail", false, MXD_Q_OK, "v=DKIM1; p=QUJD");
    add_sel(&d, "dkim", false, MXD_Q_OK, "v=spf1 -all"); /* wildcard TXT: no key */
    mxd_findings fs = check(&d);
    const mxd_finding *f = mxd_findings_find(&fs, "dkim.found",
                                             "google._domainkey.example.jp");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->sev, MXD_SEV_PASS);
    ck_assert_str_eq(param(f, "selector"), "google");
    ck_assert_str_eq(param(f, "bits"), "2048");
    ck_assert_str_eq(param(f, "key_type"), "rsa");
    f = mxd_findings_find(&fs, "dkim.weak_key", "k1._domainkey.example.jp");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->sev, MXD_SEV_WARN);
    ck_assert_str_eq(param(f, "bits"), "1024");
    f = mxd_findings_find(&fs, "dkim.weak_key", "s1._domainkey.example.jp");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->sev, MXD_SEV_FAIL);
    ck_assert_str_eq(param(f, "bits"), "512");
    f = get(&fs, "dkim.revoked");
    ck_assert_int_eq(f->sev, MXD_SEV_INFO);
    ck_assert_str_eq(param(f, "selector"), "s2");
    f = get(&fs, "dkim.invalid");
    ck_assert_int_eq(f->sev, MXD_SEV_WARN);
    ck_assert_str_eq(param(f, "error"), "key");
    ck_assert_int_eq(count(&fs, "dkim.found"), 1);
    ck_assert_int_eq(count(&fs, "dkim.not_found"), 0);
    mxd_findings_free(&fs);
    mxd_policy_result_free(&d);

    /* Nothing at the common selectors: say so, gently. */
    base(&d);
    add_sel(&d, "default", false, MXD_Q_NXDOMAIN, NULL);
    add_sel(&d, "selector1", false, MXD_Q_NODATA, NULL);
    add_sel(&d, "dkim", false, MXD_Q_OK, "v=spf1 -all");
    fs = check(&d);
    f = get(&fs, "dkim.not_found");
    ck_assert_int_eq(f->sev, MXD_SEV_INFO);
    ck_assert_str_eq(param(f, "selectors"), "default, selector1, dkim");
    mxd_findings_free(&fs);
    mxd_policy_result_free(&d);

    /* A selector the user named is missing: that is worth a warning, even when
     * another selector has a key. */
    base(&d);
    add_sel(&d, "mysel", true, MXD_Q_NXDOMAIN, NULL);
    add_sel(&d, "google", false, MXD_Q_OK, r2048);
    fs = check(&d);
    f = get(&fs, "dkim.not_found");
    ck_assert_int_eq(f->sev, MXD_SEV_WARN);
    ck_assert_str_eq(param(f, "selectors"), "mysel");
    ck_assert_int_eq(count(&fs, "dkim.found"), 1);
    mxd_findings_free(&fs);
    mxd_policy_result_free(&d);

    /* Still waiting for one selector: no "not found" yet; a failed one is a DNS error. */
    base(&d);
    add_sel(&d, "default", false, MXD_Q_NXDOMAIN, NULL);
    add_sel(&d, "k1", false, MXD_Q_PENDING, NULL);
    add_sel(&d, "s1", false, MXD_Q_TIMEOUT, NULL);
    fs = check(&d);
    ck_assert_int_eq(count(&fs, "dkim.not_found"), 0);
    f = get(&fs, "policy.dns_error");
    ck_assert_str_eq(param(f, "names"), "s1._domainkey.example.jp");
    mxd_findings_free(&fs);
    mxd_policy_result_free(&d);
    free(k2048); free(k1024); free(k512);
    free(r2048); free(r1024); free(r512);
}
END_TEST

static mxd_ptr *add_ptr(mxd_policy_result *d, const char *host, const char *ip, mxd_qstate st,
                        const char *const *names)
{
    d->ptr = realloc(d->ptr, (d->nptr + 1) * sizeof *d->ptr);
    mxd_ptr *p = &d->ptr[d->nptr++];
    memset(p, 0, sizeof *p);
    snprintf(p->host, sizeof p->host, "%s", host);
    p->addr = addr(ip);
    char rev[128];
    mxd_reverse_name(&p->addr, rev, sizeof rev);
    set_lookup(&p->q, rev, MXD_T_PTR, st, names);
    return p;
}

START_TEST(test_check_ptr)
{
    mxd_policy_result d;
    base(&d);
    mxd_ptr *p = add_ptr(&d, "mx1.example.jp", "192.0.2.1", MXD_Q_OK, RECS("mx1.example.jp"));
    set_lookup(&p->fwd[0], "mx1.example.jp", MXD_T_A, MXD_Q_OK, RECS("192.0.2.1"));
    /* Two PTR names; the second one confirms. */
    p = add_ptr(&d, "mx2.example.jp", "192.0.2.2", MXD_Q_OK, RECS("old.example.jp", "mx2.example.jp"));
    set_lookup(&p->fwd[0], "old.example.jp", MXD_T_A, MXD_Q_NXDOMAIN, NULL);
    set_lookup(&p->fwd[1], "mx2.example.jp", MXD_T_A, MXD_Q_OK, RECS("192.0.2.2"));
    p = add_ptr(&d, "mx3.example.jp", "192.0.2.3", MXD_Q_NXDOMAIN, NULL);
    p = add_ptr(&d, "mx4.example.jp", "192.0.2.4", MXD_Q_OK, RECS("host-4.isp.example"));
    set_lookup(&p->fwd[0], "host-4.isp.example", MXD_T_A, MXD_Q_OK, RECS("198.51.100.7"));
    p = add_ptr(&d, "mx5.example.jp", "2001:db8::5", MXD_Q_OK, RECS("mx5.example.jp"));
    set_lookup(&p->fwd[0], "mx5.example.jp", MXD_T_AAAA, MXD_Q_NXDOMAIN, NULL);
    p = add_ptr(&d, "mx6.example.jp", "192.0.2.6", MXD_Q_OK, RECS("mx6.example.jp"));
    set_lookup(&p->fwd[0], "mx6.example.jp", MXD_T_A, MXD_Q_PENDING, NULL); /* wait */
    p = add_ptr(&d, "mx7.example.jp", "10.0.0.7", MXD_Q_NOT_SENT, NULL);
    p->skipped = true;
    p = add_ptr(&d, "mx8.example.jp", "192.0.2.8", MXD_Q_OK, RECS("mx8.example.jp"));
    set_lookup(&p->fwd[0], "mx8.example.jp", MXD_T_A, MXD_Q_SERVFAIL, NULL);
    p = add_ptr(&d, "mx9.example.jp", "192.0.2.9", MXD_Q_REFUSED, NULL);

    mxd_findings fs = check(&d);
    ck_assert_int_eq(count(&fs, "ptr.ok"), 2);
    const mxd_finding *f = mxd_findings_find(&fs, "ptr.ok", "192.0.2.2");
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(param(f, "ptr"), "old.example.jp | mx2.example.jp");
    ck_assert_str_eq(param(f, "host"), "mx2.example.jp");
    f = get(&fs, "ptr.missing");
    ck_assert_int_eq(f->sev, MXD_SEV_WARN);
    ck_assert_str_eq(param(f, "address"), "192.0.2.3");
    ck_assert_str_eq(param(f, "name"), "3.2.0.192.in-addr.arpa");
    ck_assert_int_eq(count(&fs, "ptr.missing"), 1);
    f = mxd_findings_find(&fs, "ptr.mismatch", "192.0.2.4");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->sev, MXD_SEV_WARN);
    ck_assert_str_eq(param(f, "ptr"), "host-4.isp.example");
    ck_assert_str_eq(param(f, "forward"), "198.51.100.7");
    f = mxd_findings_find(&fs, "ptr.mismatch", "2001:db8::5");
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(param(f, "forward"), "-");
    ck_assert_int_eq(count(&fs, "ptr.mismatch"), 2); /* not mx6 (waiting), mx7, mx8, mx9 */
    f = get(&fs, "policy.dns_error");
    ck_assert_str_eq(param(f, "count"), "2");
    ck_assert_str_eq(param(f, "names"), "mx8.example.jp, 9.2.0.192.in-addr.arpa");
    ck_assert_str_eq(param(f, "error"), "servfail");
    mxd_findings_free(&fs);
    mxd_policy_result_free(&d);
}
END_TEST

START_TEST(test_check_tlsrpt_dane)
{
    mxd_policy_result d;
    base(&d);
    mxd_findings fs = check(&d);
    const mxd_finding *f = get(&fs, "tlsrpt.ok");
    ck_assert_int_eq(f->sev, MXD_SEV_PASS);
    ck_assert_str_eq(param(f, "rua"), "mailto:tls@example.jp");
    ck_assert_int_eq(count(&fs, "dane.present"), 0);
    mxd_findings_free(&fs);

    static const char *const missing[][3] = {
        { "v=TLSRPTv1; rua=mailto:a@x.jp", "v=TLSRPTv1; rua=mailto:b@x.jp", NULL }, /* two */
        { "v=TLSRPTv1;", NULL, NULL },                                          /* no rua */
        { "v=spf1 -all", NULL, NULL },
        { "rua=mailto:a@x.jp; v=TLSRPTv1", NULL, NULL },
    };
    const char *counts[] = { "2", "1", "0", "0" };
    for (size_t i = 0; i < 4; i++) {
        set_lookup(&d.tlsrpt, "_smtp._tls." DOMAIN, MXD_T_TXT, MXD_Q_OK, missing[i]);
        fs = check(&d);
        f = get(&fs, "tlsrpt.missing");
        ck_assert_int_eq(f->sev, MXD_SEV_INFO);
        ck_assert_str_eq(param(f, "records"), counts[i]);
        ck_assert_str_eq(param(f, "name"), "_smtp._tls.example.jp");
        mxd_findings_free(&fs);
    }
    set_lookup(&d.tlsrpt, "_smtp._tls." DOMAIN, MXD_T_TXT, MXD_Q_NXDOMAIN, NULL);
    fs = check(&d);
    ck_assert_str_eq(param(get(&fs, "tlsrpt.missing"), "records"), "0");
    mxd_findings_free(&fs);

    /* DANE: TLSA at one MX; validated there, not at the other. Without SMTP
     * results nothing is compared, validated or not (src/checks/dane.c and
     * check_dane.c have the comparisons). */
    d.tlsa = calloc(3, sizeof *d.tlsa);
    d.ntlsa = 3;
    static const char rd[] = "\x03\x01\x01\xaa\xbb" "012345678901234567890123456789";
    const char *hosts[] = { "mx1.example.jp", "mx2.example.jp", "mx3.example.jp" };
    for (size_t i = 0; i < 3; i++) {
        snprintf(d.tlsa[i].host, sizeof d.tlsa[i].host, "%s", hosts[i]);
        char name[64];
        snprintf(name, sizeof name, "_25._tcp.%s", hosts[i]);
        set_lookup(&d.tlsa[i].q, name, MXD_T_TLSA, i == 2 ? MXD_Q_NXDOMAIN : MXD_Q_OK,
                   i == 2 ? NULL : RECS(rd));
        if (i < 2)
            d.tlsa[i].q.len[0] = sizeof rd - 1;
    }
    d.tlsa[0].q.ad = true;
    fs = check(&d);
    ck_assert_int_eq(count(&fs, "dane.present"), 2);
    f = mxd_findings_find(&fs, "dane.present", "mx1.example.jp");
    ck_assert_int_eq(f->sev, MXD_SEV_INFO);
    ck_assert_str_eq(param(f, "dnssec"), "validated");
    ck_assert_str_eq(param(f, "reason"), "no_smtp");
    ck_assert_str_eq(param(f, "records"), "3 1 1 aabb303132333435…");
    ck_assert_str_eq(param(f, "name"), "_25._tcp.mx1.example.jp");
    ck_assert_str_eq(param(f, "count"), "1");
    f = mxd_findings_find(&fs, "dane.present", "mx2.example.jp");
    ck_assert_int_eq(f->sev, MXD_SEV_INFO);
    ck_assert_str_eq(param(f, "dnssec"), "not_validated");
    ck_assert_str_eq(param(f, "reason"), "not_validated");
    mxd_findings_free(&fs);
    mxd_policy_result_free(&d);
}
END_TEST

START_TEST(test_check_not_started)
{
    mxd_policy_result d;
    memset(&d, 0, sizeof d);
    mxd_findings fs = check(&d);
    ck_assert_uint_eq(fs.n, 0);
    mxd_check_policy_data(NULL, DOMAIN, &fs);
    ck_assert_uint_eq(fs.n, 0);
}
END_TEST

START_TEST(test_check_policy_gate)
{
    /* Only a domain whose MX question was answered (records or none) is judged. */
    mxd_policy_result d;
    base(&d);
    mxd_result r;
    memset(&r, 0, sizeof r);
    snprintf(r.domain_ascii, sizeof r.domain_ascii, DOMAIN);
    static const struct { mxd_qstate st; bool judged; } cases[] = {
        { MXD_Q_OK, true }, { MXD_Q_NODATA, true }, { MXD_Q_NXDOMAIN, false },
        { MXD_Q_SERVFAIL, false }, { MXD_Q_TIMEOUT, false }, { MXD_Q_PENDING, false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        r.mx.state = cases[i].st;
        mxd_findings fs = { 0 };
        mxd_check_policy(&r, &d, &fs);
        ck_assert_msg((fs.n > 0) == cases[i].judged, "mx %s: %zu findings",
                      mxd_qstate_name(cases[i].st), fs.n);
        if (cases[i].judged)
            ck_assert_str_eq(param(get(&fs, "dmarc.ok"), "domain"), DOMAIN);
        mxd_findings_free(&fs);
    }
    mxd_findings fs = { 0 };
    r.mx.state = MXD_Q_OK;
    mxd_check_policy(&r, NULL, &fs);
    ck_assert_uint_eq(fs.n, 0);
    mxd_policy_result_free(&d);
}
END_TEST

START_TEST(test_dns_error_aggregated)
{
    mxd_policy_result d;
    base(&d);
    redo_dmarc(&d, MXD_Q_TIMEOUT, NULL);
    set_lookup(&d.tlsrpt, "_smtp._tls." DOMAIN, MXD_T_TXT, MXD_Q_TIMEOUT, NULL);
    for (int i = 0; i < 9; i++)
        add_sel(&d, mxd_dkim_default_selectors[i], false, MXD_Q_TIMEOUT, NULL);
    mxd_findings fs = check(&d);
    /* One finding for eleven failed lookups, naming the first few. */
    ck_assert_uint_eq(fs.n, 1);
    const mxd_finding *f = get(&fs, "policy.dns_error");
    ck_assert_str_eq(param(f, "count"), "11");
    ck_assert_str_eq(param(f, "error"), "timeout");
    ck_assert_str_eq(param(f, "names"),
                     "_dmarc.example.jp, default._domainkey.example.jp, "
                     "selector1._domainkey.example.jp, selector2._domainkey.example.jp, "
                     "google._domainkey.example.jp, …");
    mxd_findings_free(&fs);
    mxd_policy_result_free(&d);
}
END_TEST

/* ---- the run, against the lab's DNS servers ---------------------------------------------------- */

#define AUTH "127.77.1.1"
#define RESOLVER "127.77.1.53"

static mxd_rr zrr(const char *name, uint16_t type)
{
    mxd_rr r;
    memset(&r, 0, sizeof r);
    mxd_rr_setf(&r.name, "%s", name);
    r.type = type;
    r.rclass = 1;
    r.ttl = 300;
    return r;
}

static mxd_rr ztxt(const char *name, const char *text)
{
    mxd_rr r = zrr(name, MXD_T_TXT);
    r.data = (uint8_t *)(uintptr_t)text;
    r.data_len = strlen(text);
    return r;
}

static mxd_rr zname(const char *name, uint16_t type, const char *target)
{
    mxd_rr r = zrr(name, type);
    mxd_rr_setf(&r.u.target, "%s", target);
    return r;
}

static mxd_rr za(const char *name, uint8_t last)
{
    mxd_rr r = zrr(name, MXD_T_A);
    r.u.a[0] = 127; r.u.a[1] = 0; r.u.a[2] = 25; r.u.a[3] = last;
    return r;
}

typedef struct lab {
    mxd_loop *loop;
    uint16_t port;
    mxd_labdns_auth *auth;
    mxd_labdns_resolver *res;
    mxd_rr pol[32], other[8], rev[8];
    mxd_scn_zone zones[3];
    char *k2048, *k1024;
    char *r2048, *r1024;
    char resolver[64];
    unsigned done_calls, changed_calls;
} lab;

static uint16_t random_port(void)
{
    uint32_t v = 0;
    if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
        v = (uint32_t)mxd_now_ms() * 2654435761u;
    return (uint16_t)(20000 + v % 40001);
}

static const uint8_t tlsa_rdata[35] = { 3, 1, 1, 0xde, 0xad, 0xbe, 0xef };

static void lab_zones(lab *l)
{
    size_t n = 0;
    l->k2048 = rsa_pub_b64(2048, false);
    l->k1024 = rsa_pub_b64(1024, false);
    l->r2048 = key_record("v=DKIM1; k=rsa; p=", l->k2048);
    l->r1024 = key_record("v=DKIM1; p=", l->k1024);
    /* The organisational domain's DMARC covers shop.pol.test, reports go to
     * another organisation that did not consent. */
    l->pol[n++] = ztxt("_dmarc.pol.test", "v=DMARC1; p=reject; sp=quarantine; "
                                          "rua=mailto:agg@reports.other.test,mailto:me@pol.test");
    l->pol[n++] = ztxt("_dmarc.pol.test", "not a dmarc record");
    l->pol[n++] = zname("selector1._domainkey.shop.pol.test", MXD_T_CNAME, "sel1.keys.other.test");
    l->pol[n++] = ztxt("google._domainkey.shop.pol.test", l->r1024);
    l->pol[n++] = ztxt("s1._domainkey.shop.pol.test", "v=DKIM1; p=");
    l->pol[n++] = ztxt("_smtp._tls.shop.pol.test", "v=TLSRPTv1; rua=mailto:tls@pol.test");
    l->pol[n] = zrr("_25._tcp.mx1.shop.pol.test", MXD_T_TLSA);
    l->pol[n].data = (uint8_t *)(uintptr_t)tlsa_rdata;
    l->pol[n++].data_len = sizeof tlsa_rdata;
    l->pol[n] = zrr("shop.pol.test", MXD_T_MX);
    l->pol[n].u.mx.pref = 10;
    mxd_rr_set(&l->pol[n++].u.mx.host, "mx1.shop.pol.test");
    l->pol[n++] = ztxt("shop.pol.test", "v=spf1 mx -all");
    l->pol[n++] = za("mx1.shop.pol.test", 1);
    l->pol[n++] = za("mx2.shop.pol.test", 2);
    l->pol[n++] = za("wrong.pol.test", 99);
    memset(&l->zones[0], 0, sizeof l->zones[0]);
    snprintf(l->zones[0].origin, sizeof l->zones[0].origin, "pol.test");
    l->zones[0].rrs = l->pol;
    l->zones[0].nrrs = n;

    n = 0;
    l->other[n++] = ztxt("sel1.keys.other.test", l->r2048);
    memset(&l->zones[1], 0, sizeof l->zones[1]);
    snprintf(l->zones[1].origin, sizeof l->zones[1].origin, "other.test");
    l->zones[1].rrs = l->other;
    l->zones[1].nrrs = n;

    n = 0;
    l->rev[n++] = zname("1.25.0.127.in-addr.arpa", MXD_T_PTR, "mx1.shop.pol.test");
    l->rev[n++] = zname("2.25.0.127.in-addr.arpa", MXD_T_PTR, "wrong.pol.test");
    memset(&l->zones[2], 0, sizeof l->zones[2]);
    snprintf(l->zones[2].origin, sizeof l->zones[2].origin, "25.0.127.in-addr.arpa");
    l->zones[2].rrs = l->rev;
    l->zones[2].nrrs = n;
}

static void lab_start(lab *l)
{
    memset(l, 0, sizeof *l);
    lab_zones(l);
    l->loop = mxd_loop_new();
    ck_assert_ptr_nonnull(l->loop);
    char err[256] = "";
    for (int attempt = 0; attempt < 20 && !l->res; attempt++) {
        l->port = random_port();
        if (l->port == 5353)
            continue;
        mxd_labdns_auth_cfg c = { .addr = AUTH, .port = l->port, .zones = l->zones, .nzones = 3 };
        l->auth = mxd_labdns_auth_start(l->loop, &c, err, sizeof err);
        if (!l->auth) {
            ck_assert_msg(errno == EADDRINUSE, "auth: %s", err);
            continue;
        }
        mxd_labdns_resolver_cfg rc = { .addr = RESOLVER, .port = l->port };
        l->res = mxd_labdns_resolver_start(l->loop, &rc, err, sizeof err);
        if (!l->res) {
            ck_assert_msg(errno == EADDRINUSE, "resolver: %s", err);
            mxd_labdns_auth_free(l->auth);
            l->auth = NULL;
        }
    }
    ck_assert_msg(l->res != NULL, "no free port: %s", err);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(mxd_labdns_resolver_add_zone(l->res, l->zones[i].origin, AUTH), 0);
    snprintf(l->resolver, sizeof l->resolver, "%s:%u", RESOLVER, l->port);
}

static void lab_free(lab *l)
{
    mxd_labdns_resolver_free(l->res);
    mxd_labdns_auth_free(l->auth);
    /* Nothing of the run is left on the loop: no socket, no timer. */
    ck_assert_uint_eq(mxd_loop_pending(l->loop), 0);
    mxd_loop_free(l->loop);
    mxd_rr *sets[] = { l->pol, l->other, l->rev };
    size_t sizes[] = { sizeof l->pol / sizeof l->pol[0], sizeof l->other / sizeof l->other[0],
                       sizeof l->rev / sizeof l->rev[0] };
    for (size_t k = 0; k < 3; k++)
        for (size_t i = 0; i < sizes[k]; i++) {
            sets[k][i].data = NULL; /* borrowed text */
            mxd_rr_clear(&sets[k][i]);
        }
    free(l->k2048); free(l->k1024); free(l->r2048); free(l->r1024);
}

static void on_changed(void *arg) { ((lab *)arg)->changed_calls++; }
static void on_done(void *arg) { ((lab *)arg)->done_calls++; }
static bool is_done(void *arg) { return ((lab *)arg)->done_calls > 0; }

START_TEST(test_run_lab)
{
    lab l;
    lab_start(&l);
    char *resolvers[] = { l.resolver };
    char *sels[] = { "mysel", "bad selector", "google" };
    mxd_options o = { .timeout_s = 2, .allow_loopback = true, .resolvers = resolvers,
                      .nresolvers = 1, .dkim_selectors = sels, .ndkim_selectors = 3 };
    mxd_policy_result d;
    memset(&d, 0, sizeof d);
    char err[256] = "";
    /* Shared with the "engine": a client of our own, as the engine passes its. */
    mxd_dns *dns = mxd_dns_new(l.loop, l.resolver, 2000, true, err, sizeof err);
    ck_assert_msg(dns != NULL, "%s", err);
    mxd_policy_run *run = mxd_policy_start(l.loop, dns, &o, "shop.pol.test", &d, on_changed,
                                           on_done, &l, err, sizeof err);
    ck_assert_msg(run != NULL, "%s", err);
    ck_assert(d.started && !d.finished);
    /* Selectors: the user's valid ones first, then the nine common ones (google once). */
    ck_assert_uint_eq(d.ndkim, 10);
    ck_assert_str_eq(d.dkim[0].selector, "mysel");
    ck_assert(d.dkim[0].user && d.dkim[1].user && !d.dkim[2].user);
    ck_assert_str_eq(d.dkim[1].selector, "google");
    ck_assert_str_eq(d.dmarc.org_domain, "pol.test");

    mxd_addr a1 = addr("127.0.25.1"), a2 = addr("127.0.25.2"), a3 = addr("127.0.25.3"),
             priv = addr("10.0.0.1");
    ck_assert_int_eq(mxd_policy_add_mx(run, "mx1.shop.pol.test"), 0);
    ck_assert_int_eq(mxd_policy_add_mx(run, "MX1.shop.pol.test."), 0); /* the same host */
    ck_assert_int_eq(mxd_policy_add_mx(run, "mx2.shop.pol.test"), 0);
    ck_assert_int_eq(mxd_policy_add_mx(run, "."), 0);                  /* null MX */
    ck_assert_int_eq(mxd_policy_add_mx(run, "192.0.2.1"), 0);          /* IP literal */
    ck_assert_uint_eq(d.ntlsa, 2);
    ck_assert_int_eq(mxd_policy_add_address(run, "mx1.shop.pol.test", &a1), 0);
    ck_assert_int_eq(mxd_policy_add_address(run, "mx2.shop.pol.test", &a2), 0);
    ck_assert_int_eq(mxd_policy_add_address(run, "mx2.shop.pol.test", &a2), 0); /* again */
    ck_assert_int_eq(mxd_policy_add_address(run, "mx3.shop.pol.test", &a3), 0);
    ck_assert_int_eq(mxd_policy_add_address(run, "mx4.shop.pol.test", &priv), 0);
    ck_assert_uint_eq(d.nptr, 4);
    ck_assert(d.ptr[3].skipped);

    /* Without inputs_done(), the run never ends, however long it waits. */
    ck_assert(!mxd_loop_run_until(l.loop, is_done, &l, mxd_now_ms() + 1500));
    ck_assert_uint_eq(l.done_calls, 0);
    mxd_policy_inputs_done(run);
    ck_assert_uint_eq(l.done_calls, 0); /* never from inside a call */
    ck_assert(mxd_loop_run_until(l.loop, is_done, &l, mxd_now_ms() + 10000));
    ck_assert_uint_eq(l.done_calls, 1);
    ck_assert(d.finished);
    ck_assert_uint_gt(l.changed_calls, 10);

    /* What was looked up. */
    ck_assert_str_eq(d.dmarc.policy_domain, "pol.test");
    ck_assert_uint_eq(d.dmarc.nauth, 1);
    ck_assert_int_eq(d.dmarc.auth[0].q.state, MXD_Q_NXDOMAIN);
    ck_assert_uint_eq(d.dkim[2].nkeys, 0);
    ck_assert_str_eq(d.dkim[3].selector, "selector1");
    ck_assert_uint_eq(d.dkim[3].key.bits, 2048); /* through the CNAME */
    ck_assert_int_eq(d.tlsa[0].q.state, MXD_Q_OK);
    ck_assert(!d.tlsa[0].q.ad); /* the lab resolver does not validate */
    ck_assert_int_eq(d.tlsa[1].q.state, MXD_Q_NXDOMAIN);
    ck_assert_int_eq(d.ptr[0].fwd[0].state, MXD_Q_OK);

    mxd_findings fs = { 0 };
    mxd_check_policy_data(&d, "shop.pol.test", &fs);
    const mxd_finding *f = get(&fs, "dmarc.ok");
    ck_assert_str_eq(param(f, "policy"), "quarantine"); /* sp= of pol.test */
    f = get(&fs, "dmarc.rua_unauthorized");
    ck_assert_str_eq(param(f, "name"), "pol.test._report._dmarc.reports.other.test");
    f = get(&fs, "dkim.found");
    ck_assert_str_eq(param(f, "selector"), "selector1");
    f = get(&fs, "dkim.weak_key");
    ck_assert_str_eq(param(f, "selector"), "google");
    ck_assert_int_eq(f->sev, MXD_SEV_WARN);
    get(&fs, "dkim.revoked");
    f = get(&fs, "dkim.not_found");
    ck_assert_str_eq(param(f, "selectors"), "mysel");
    ck_assert_ptr_nonnull(mxd_findings_find(&fs, "ptr.ok", "127.0.25.1"));
    f = get(&fs, "ptr.mismatch");
    ck_assert_str_eq(param(f, "ptr"), "wrong.pol.test");
    ck_assert_str_eq(param(f, "forward"), "127.0.25.99");
    f = get(&fs, "ptr.missing");
    ck_assert_str_eq(param(f, "address"), "127.0.25.3");
    get(&fs, "tlsrpt.ok");
    f = get(&fs, "dane.present");
    ck_assert_str_eq(f->subject, "mx1.shop.pol.test");
    ck_assert_int_eq(f->sev, MXD_SEV_INFO);
    ck_assert_int_eq(count(&fs, "policy.dns_error"), 0);
    ck_assert_int_eq(count(&fs, "dane.present"), 1);
    /* The sub-runs ran and their checks were called. */
    ck_assert(d.spf.walked);
    get(&fs, "spf.ok");
    ck_assert_int_eq(d.mtasts.state, MXD_MTASTS_NO_RECORD);
    get(&fs, "mta_sts.missing");

    /* The JSON is complete and parses as one object. */
    mxd_sb sb = MXD_SB_INIT;
    mxd_json j;
    mxd_json_init(&j, &sb, 0);
    mxd_policy_json(&j, &d);
    ck_assert(mxd_json_ok(&j));
    ck_assert_ptr_nonnull(strstr(mxd_sb_str(&sb), "\"policy_domain\":\"pol.test\""));
    ck_assert_ptr_nonnull(strstr(mxd_sb_str(&sb), "\"3 1 1 deadbeef"));
    ck_assert_ptr_nonnull(strstr(mxd_sb_str(&sb), "\"mta_sts\":{\"state\":\"no_record\""));
    ck_assert_ptr_nonnull(strstr(mxd_sb_str(&sb), "\"spf\":{"));
    mxd_sb_free(&sb);

    mxd_findings_free(&fs);
    mxd_policy_result_free(&d);
    ck_assert_uint_eq(mxd_dns_pending(dns), 0);
    mxd_dns_free(dns);
    lab_free(&l);
}
END_TEST

START_TEST(test_run_cancel)
{
    lab l;
    lab_start(&l);
    char *resolvers[] = { l.resolver };
    mxd_options o = { .timeout_s = 2, .allow_loopback = true, .resolvers = resolvers,
                      .nresolvers = 1 };
    mxd_policy_result d;
    memset(&d, 0, sizeof d);
    char err[256] = "";
    /* _i == 0: the run shares a client that lives on (its questions are
     * forgotten); _i == 1: the run has a client of its own (freed). */
    mxd_dns *dns = NULL;
    if (_i == 0) {
        dns = mxd_dns_new(l.loop, l.resolver, 2000, true, err, sizeof err);
        ck_assert_msg(dns != NULL, "%s", err);
    }
    mxd_policy_run *run = mxd_policy_start(l.loop, dns, &o, "shop.pol.test", &d, on_changed,
                                           on_done, &l, err, sizeof err);
    ck_assert_msg(run != NULL, "%s", err);
    mxd_addr a1 = addr("127.0.25.1");
    mxd_policy_add_address(run, "mx1.shop.pol.test", &a1);
    mxd_policy_inputs_done(run);
    mxd_policy_cancel(run);
    /* Everything that was in flight is a timeout; nothing calls back. */
    ck_assert_int_eq(d.dmarc.at_domain.state, MXD_Q_TIMEOUT);
    ck_assert_int_eq(d.ptr[0].q.state, MXD_Q_TIMEOUT);
    ck_assert(!d.finished);
    /* Answers that still come (the lab answers at once) reach nobody: the
     * SPF walk drops its late ones by key, ours were forgotten. */
    mxd_loop_run_until(l.loop, is_done, &l, mxd_now_ms() + 500);
    ck_assert_uint_eq(l.done_calls, 0);
    ck_assert_uint_eq(l.changed_calls, 0);
    if (dns)
        ck_assert_uint_eq(mxd_dns_pending(dns), 0);
    mxd_dns_free(dns);
    mxd_findings fs = { 0 };
    mxd_check_policy_data(&d, "shop.pol.test", &fs);
    ck_assert_int_eq(count(&fs, "policy.dns_error"), 1);
    mxd_findings_free(&fs);
    mxd_policy_result_free(&d);
    lab_free(&l);
}
END_TEST

START_TEST(test_run_dead_resolver)
{
    /* A resolver that never answers: every lookup times out once, in parallel. */
    mxd_loop *loop = mxd_loop_new();
    char *resolvers[] = { "127.77.1.9:9" };
    mxd_options o = { .timeout_s = 1, .resolvers = resolvers, .nresolvers = 1 };
    mxd_policy_result d;
    memset(&d, 0, sizeof d);
    lab l;
    memset(&l, 0, sizeof l);
    char err[256] = "";
    mxd_policy_run *run = mxd_policy_start(loop, NULL, &o, "example.jp", &d, NULL, on_done, &l,
                                           err, sizeof err);
    ck_assert_msg(run != NULL, "%s", err);
    mxd_policy_inputs_done(run);
    uint64_t t0 = mxd_now_ms();
    ck_assert(mxd_loop_run_until(loop, is_done, &l, t0 + 8000));
    ck_assert_uint_lt(mxd_now_ms() - t0, 4000);
    ck_assert(mxd_plookup_failed(&d.dmarc.at_domain));
    mxd_findings fs = { 0 };
    mxd_check_policy_data(&d, "example.jp", &fs);
    /* Nothing is claimed missing; this step's own lookups share one finding
     * (SPF and MTA-STS report their failed lookups their own way). */
    for (size_t i = 0; i < fs.n; i++)
        ck_assert_msg(strncmp(fs.v[i].id, "spf.", 4) == 0 || strncmp(fs.v[i].id, "mta_sts.", 8) == 0 ||
                          strcmp(fs.v[i].id, "policy.dns_error") == 0,
                      "unexpected %s", fs.v[i].id);
    ck_assert_int_eq(count(&fs, "policy.dns_error"), 1);
    ck_assert_int_eq(count(&fs, "mta_sts.missing") + count(&fs, "spf.missing"), 0);
    ck_assert_str_eq(param(get(&fs, "policy.dns_error"), "count"), "11");
    ck_assert(d.spf.walked);
    mxd_findings_free(&fs);
    mxd_policy_result_free(&d);
    ck_assert_uint_eq(mxd_loop_pending(loop), 0);
    mxd_loop_free(loop);

    /* A resolver address that does not parse is refused at start. */
    loop = mxd_loop_new();
    char *bad[] = { "not-an-address" };
    o.resolvers = bad;
    ck_assert_ptr_null(mxd_policy_start(loop, NULL, &o, "example.jp", &d, NULL, on_done, &l, err,
                                        sizeof err));
    ck_assert_str_eq(err, "not-an-address");
    ck_assert(!d.started);
    mxd_loop_free(loop);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("policy");
    TCase *tc = tcase_create("parsers");
    tcase_set_timeout(tc, 120); /* 4096-bit keys under valgrind */
    tcase_add_test(tc, test_taglist);
    tcase_add_test(tc, test_dmarc_is_record);
    tcase_add_test(tc, test_dmarc_valid);
    tcase_add_loop_test(tc, test_dmarc_invalid, 0, (int)(sizeof bad_dmarc / sizeof bad_dmarc[0]));
    tcase_add_test(tc, test_org_domain);
    tcase_add_test(tc, test_dmarc_discover);
    tcase_add_test(tc, test_dkim_rsa_sizes);
    tcase_add_test(tc, test_dkim_ed25519);
    tcase_add_test(tc, test_dkim_records);
    tcase_add_test(tc, test_dkim_selector_valid);
    tcase_add_test(tc, test_reverse_and_confirm);
    tcase_add_test(tc, test_plookup_fill);
    tcase_add_test(tc, test_tlsa_format);
    suite_add_tcase(s, tc);

    tc = tcase_create("checks");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_check_dmarc);
    tcase_add_test(tc, test_check_dmarc_inherited_and_rua);
    tcase_add_test(tc, test_check_dkim);
    tcase_add_test(tc, test_check_ptr);
    tcase_add_test(tc, test_check_tlsrpt_dane);
    tcase_add_test(tc, test_check_not_started);
    tcase_add_test(tc, test_check_policy_gate);
    tcase_add_test(tc, test_dns_error_aggregated);
    suite_add_tcase(s, tc);

    tc = tcase_create("run");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_run_lab);
    tcase_add_loop_test(tc, test_run_cancel, 0, 2);
    tcase_add_test(tc, test_run_dead_resolver);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
