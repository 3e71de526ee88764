/* labcert.c — the lab CA and its server certificates, in memory (see labcert.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "mxd/labcert.h"

struct mxd_labca {
    EVP_PKEY *key;
    X509 *cert;
};

enum { HOUR = 3600, DAY = 86400 };

/* Puts "what: <first OpenSSL reason>" into err and clears OpenSSL's error queue,
 * so a later, unrelated failure does not report this one. */
static void ossl_err(char *err, size_t errlen, const char *what)
{
    unsigned long e = ERR_get_error();
    char reason[200] = "unknown error";
    if (e)
        ERR_error_string_n(e, reason, sizeof reason);
    ERR_clear_error();
    if (err && errlen)
        snprintf(err, errlen, "lab certificates: %s: %s", what, reason);
}

static EVP_PKEY *new_key(void)
{
    return EVP_EC_gen("P-256");
}

/* Random positive 127-bit serial: browsers and OpenSSL dislike repeated serials
 * from one issuer, and a fresh CA per lab run makes collisions harmless anyway. */
static int set_serial(X509 *x)
{
    BIGNUM *bn = BN_new();
    int ok = bn && BN_rand(bn, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) &&
             BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok ? 0 : -1;
}

static int set_name(X509_NAME *n, const char *cn, const char *org)
{
    /* A CN holds at most 64 characters (RFC 5280 ub-common-name); the SAN carries
     * the name anyway, which is what verification looks at. */
    if (!X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)org, -1, -1, 0))
        return -1;
    if (strlen(cn) <= 64 &&
        !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0))
        return -1;
    return 0;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ex)
        return -1;
    int ok = X509_add_ext(cert, ex, -1);
    X509_EXTENSION_free(ex);
    return ok ? 0 : -1;
}

/* The SAN is built as a structure, not through the config-string parser, so no
 * character in a name can be read as syntax. */
static int add_san(X509 *cert, const char *dns)
{
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    GENERAL_NAME *gen = GENERAL_NAME_new();
    ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
    int ok = gens && gen && ia5 && ASN1_STRING_set(ia5, dns, -1);
    if (ok) {
        GENERAL_NAME_set0_value(gen, GEN_DNS, ia5);
        ia5 = NULL;
        ok = sk_GENERAL_NAME_push(gens, gen) > 0;
        if (ok)
            gen = NULL;
    }
    if (ok)
        ok = X509_add1_ext_i2d(cert, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) == 1;
    ASN1_IA5STRING_free(ia5);
    GENERAL_NAME_free(gen);
    GENERAL_NAMES_free(gens);
    return ok ? 0 : -1;
}

static bool valid_dns_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 253)
        return false;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '-' || *c == '.' || *c == '_'))
            return false;
    return true;
}

mxd_labca *mxd_labca_new(char *err, size_t errlen)
{
    mxd_labca *ca = calloc(1, sizeof *ca);
    if (!ca) {
        snprintf(err, errlen, "lab certificates: out of memory");
        return NULL;
    }
    ca->key = new_key();
    ca->cert = X509_new();
    X509 *x = ca->cert;
    if (!ca->key || !x || !X509_set_version(x, 2) || set_serial(x) < 0 ||
        !X509_gmtime_adj(X509_getm_notBefore(x), -DAY) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), 365L * DAY) ||
        set_name(X509_get_subject_name(x), "mxdoctor practice lab CA", "mxdoctor practice lab") < 0 ||
        !X509_set_issuer_name(x, X509_get_subject_name(x)) || !X509_set_pubkey(x, ca->key) ||
        add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE") < 0 ||
        add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") < 0 ||
        add_ext(x, x, NID_subject_key_identifier, "hash") < 0 ||
        X509_sign(x, ca->key, EVP_sha256()) <= 0) {
        ossl_err(err, errlen, "cannot make the lab CA");
        mxd_labca_free(ca);
        return NULL;
    }
    return ca;
}

void mxd_labca_free(mxd_labca *ca)
{
    if (!ca)
        return;
    X509_free(ca->cert);
    EVP_PKEY_free(ca->key);
    free(ca);
}

X509 *mxd_labca_cert(const mxd_labca *ca)
{
    return ca->cert;
}

int mxd_labca_issue(mxd_labca *ca, const char *name, mxd_cert_kind kind, X509 **cert,
                    EVP_PKEY **key, char *err, size_t errlen)
{
    *cert = NULL;
    *key = NULL;
    if (!name || !valid_dns_name(name)) {
        snprintf(err, errlen, "lab certificates: '%.60s' is not a host name", name ? name : "");
        return -1;
    }
    const char *dns = kind == MXD_CERT_WRONG_NAME ? MXD_LABCERT_WRONG_NAME : name;
    long from = -HOUR, to = 30L * DAY;
    if (kind == MXD_CERT_EXPIRED) {
        from = -31L * DAY;
        to = -DAY;
    }
    bool self = kind == MXD_CERT_SELF_SIGNED;
    EVP_PKEY *k = new_key();
    X509 *x = X509_new();
    X509 *issuer = self ? x : ca->cert;
    EVP_PKEY *signer = self ? k : ca->key;
    bool ok = k && x && X509_set_version(x, 2) && set_serial(x) == 0 &&
              X509_gmtime_adj(X509_getm_notBefore(x), from) &&
              X509_gmtime_adj(X509_getm_notAfter(x), to) &&
              set_name(X509_get_subject_name(x), dns, "mxdoctor practice lab") == 0 &&
              X509_set_issuer_name(x, X509_get_subject_name(issuer)) && X509_set_pubkey(x, k) &&
              add_san(x, dns) == 0;
    /* Self-signed leaves look like the ones `openssl req -x509` makes for a quick
     * test: no CA flag to chain through, so verification reports exactly
     * "self-signed certificate" (depth 0). */
    if (ok)
        ok = add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE") == 0 &&
             add_ext(x, issuer, NID_subject_key_identifier, "hash") == 0 &&
             (self || (add_ext(x, issuer, NID_authority_key_identifier, "keyid:always") == 0 &&
                       add_ext(x, issuer, NID_key_usage, "critical,digitalSignature") == 0)) &&
             add_ext(x, issuer, NID_ext_key_usage, "serverAuth") == 0 &&
             X509_sign(x, signer, EVP_sha256()) > 0;
    if (!ok) {
        ossl_err(err, errlen, "cannot issue a server certificate");
        X509_free(x);
        EVP_PKEY_free(k);
        return -1;
    }
    *cert = x;
    *key = k;
    return 0;
}

SSL_CTX *mxd_labca_server_ctx_for(const mxd_labca *ca, X509 *cert, EVP_PKEY *key, char *err,
                                  size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    bool ok = ctx && SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) &&
              SSL_CTX_use_certificate(ctx, cert) == 1 && SSL_CTX_use_PrivateKey(ctx, key) == 1 &&
              SSL_CTX_check_private_key(ctx) == 1;
    /* The CA goes out after the server's certificate, as an intermediate
     * would: a DANE-TA record can match only a certificate the server sends
     * (RFC 7671 §5.2.2). Clients that trust the lab CA see the same chain. */
    if (ok && X509_check_issued(ca->cert, cert) == X509_V_OK)
        ok = SSL_CTX_add1_chain_cert(ctx, ca->cert) == 1;
    if (!ok) {
        ossl_err(err, errlen, "cannot make a TLS server context");
        SSL_CTX_free(ctx);
        return NULL;
    }
    /* The server writes from a growable buffer that may move between retries. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(ctx, 0); /* one-shot probes never resume */
    return ctx;
}

SSL_CTX *mxd_labca_server_ctx(mxd_labca *ca, const char *name, mxd_cert_kind kind, char *err,
                              size_t errlen)
{
    X509 *cert;
    EVP_PKEY *key;
    if (mxd_labca_issue(ca, name, kind, &cert, &key, err, errlen) < 0)
        return NULL;
    SSL_CTX *ctx = mxd_labca_server_ctx_for(ca, cert, key, err, errlen);
    X509_free(cert); /* the context holds its own references now */
    EVP_PKEY_free(key);
    return ctx;
}

int mxd_labca_pem(const mxd_labca *ca, char *buf, size_t cap)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (!b || !PEM_write_bio_X509(b, ca->cert)) {
        BIO_free(b);
        return -1;
    }
    char *data;
    long n = BIO_get_mem_data(b, &data);
    int rc = -1;
    if (n >= 0 && (size_t)n < cap) {
        memcpy(buf, data, (size_t)n);
        buf[n] = '\0';
        rc = (int)n;
    }
    BIO_free(b);
    return rc;
}
