/* tls.h — the trust store every TLS client of mxdoctor uses.
 *
 * Loading the system CA bundle file parses every certificate in it (tens of ms
 * and over a megabyte per context). The hashed certificate folder gives the same
 * trust and OpenSSL reads only the certificates a chain needs, so it is used
 * when present; the bundle is the fallback (and wins when SSL_CERT_FILE is set).
 */
#ifndef MXD_TLS_H
#define MXD_TLS_H

typedef struct ssl_ctx_st SSL_CTX;
typedef struct x509_st X509;

/* Makes ctx trust the system store plus extra_ca (borrowed; may be NULL).
 * Returns 0, or -1 when no system store could be found (extra_ca still added). */
int mxd_tls_load_trust(SSL_CTX *ctx, const X509 *extra_ca);

#endif
