/* labcert.h — the practice lab's certificates, made in memory when the lab starts.
 *
 * One lab certificate authority (self-signed, CA:TRUE) signs a leaf certificate
 * per SMTP server, good or deliberately broken (scenario.h: mxd_cert_kind), so a
 * workshop can show every certificate failure without files, internet or a real
 * CA. The engine trusts the lab CA (mxd_options.extra_ca) besides the system store,
 * so "good" verifies and each broken kind fails for exactly its own reason.
 * Keys are EC P-256: generating thirty of them takes milliseconds.
 * Nothing is written to disk.
 */
#ifndef MXD_LABCERT_H
#define MXD_LABCERT_H

#include <stddef.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "mxd/scenario.h"

/* The name a "wrong-name" certificate is issued for. */
#define MXD_LABCERT_WRONG_NAME "wrong-name.lab.test"

typedef struct mxd_labca mxd_labca;

/* Makes a new CA (key and certificate, valid from a day ago for a year).
 * Returns an owned CA (mxd_labca_free), or NULL with err. */
mxd_labca *mxd_labca_new(char *err, size_t errlen);
void mxd_labca_free(mxd_labca *ca);

/* The CA certificate, borrowed from ca (valid until mxd_labca_free); X509_up_ref
 * it to keep it longer. This is what the engine adds to its X509_STORE. */
X509 *mxd_labca_cert(const mxd_labca *ca);

/* Issues a certificate of the given kind for host name `name` (a DNS name of at
 * most 253 characters):
 *   GOOD         SAN dNSName=name, signed by the CA, valid now-1h .. now+30d
 *   WRONG_NAME   SAN dNSName=MXD_LABCERT_WRONG_NAME, otherwise like GOOD
 *   EXPIRED      for name, signed by the CA, valid now-31d .. now-1d
 *   SELF_SIGNED  for name, issuer = subject, signed by its own key
 * On success *cert and *key are new references owned by the caller (X509_free,
 * EVP_PKEY_free). Returns 0, or -1 with err. */
int mxd_labca_issue(mxd_labca *ca, const char *name, mxd_cert_kind kind, X509 **cert,
                    EVP_PKEY **key, char *err, size_t errlen);

/* A TLS server context (TLS 1.2 and up) that presents such a certificate. The
 * context is owned by the caller (SSL_CTX_free). NULL with err on failure. */
SSL_CTX *mxd_labca_server_ctx(mxd_labca *ca, const char *name, mxd_cert_kind kind, char *err,
                              size_t errlen);

/* The same for a certificate issued earlier (cert and key borrowed; the
 * context takes its own references), so the lab can publish TLSA records for
 * the very certificate a server presents. A certificate the CA issued is sent
 * followed by the CA's own certificate, as servers send intermediates. */
SSL_CTX *mxd_labca_server_ctx_for(const mxd_labca *ca, X509 *cert, EVP_PKEY *key, char *err,
                                  size_t errlen);

/* Writes the CA certificate as PEM into buf (for `openssl s_client -CAfile` in a
 * workshop). Returns the length, or -1 when cap is too small. */
int mxd_labca_pem(const mxd_labca *ca, char *buf, size_t cap);

#endif
