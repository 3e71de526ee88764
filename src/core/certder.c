/* certder.c — DER of a certificate and TLSA association data (see certder.h). */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "mxd/certder.h"

bool mxd_cert_der_set(mxd_cert_der *d, const X509 *x)
{
    memset(d, 0, sizeof *d);
    X509_PUBKEY *pk = X509_get_X509_PUBKEY(x);
    int cl = i2d_X509(x, NULL), kl = pk ? i2d_X509_PUBKEY(pk, NULL) : -1;
    if (cl <= 0 || kl <= 0)
        return false;
    d->cert = malloc((size_t)cl);
    d->spki = malloc((size_t)kl);
    unsigned char *cp = d->cert, *kp = d->spki;
    if (!d->cert || !d->spki || i2d_X509(x, &cp) != cl || i2d_X509_PUBKEY(pk, &kp) != kl) {
        mxd_cert_der_clear(d);
        return false;
    }
    d->cert_len = (size_t)cl;
    d->spki_len = (size_t)kl;
    return true;
}

void mxd_cert_der_clear(mxd_cert_der *d)
{
    free(d->cert);
    free(d->spki);
    memset(d, 0, sizeof *d);
}

long mxd_cert_der_select(const mxd_cert_der *c, int selector, int mtype,
                         uint8_t md[MXD_TLSA_DIGEST_MAX], const uint8_t **out)
{
    const uint8_t *src = selector == MXD_TLSA_SEL_CERT ? c->cert
                         : selector == MXD_TLSA_SEL_SPKI ? c->spki : NULL;
    size_t n = selector == MXD_TLSA_SEL_CERT ? c->cert_len : c->spki_len;
    if (!src || !n)
        return -1;
    if (mtype == MXD_TLSA_FULL) {
        *out = src;
        return (long)n;
    }
    const EVP_MD *alg = mtype == MXD_TLSA_SHA256 ? EVP_sha256()
                        : mtype == MXD_TLSA_SHA512 ? EVP_sha512() : NULL;
    unsigned int dl = 0;
    if (!alg || EVP_Digest(src, n, md, &dl, alg, NULL) != 1)
        return -1;
    *out = md;
    return (long)dl;
}
