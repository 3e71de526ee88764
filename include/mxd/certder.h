/* certder.h — a certificate as DANE matching needs it (RFC 6698 §2.1).
 *
 * A TLSA record selects either the whole certificate (selector 0) or its
 * SubjectPublicKeyInfo (selector 1), both in DER, and holds them as they are
 * (matching type 0) or as a SHA-256 (1) or SHA-512 (2) digest. The SMTP probe
 * keeps the DER of every certificate a server sent (mxd_cert_der, result.h);
 * the DANE check (dane.h) and the practice lab, which fills in the TLSA
 * records of its own certificates, compute the association data from it here.
 */
#ifndef MXD_CERTDER_H
#define MXD_CERTDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxd/result.h"

typedef struct x509_st X509;

enum { MXD_TLSA_SEL_CERT = 0, MXD_TLSA_SEL_SPKI = 1 };               /* selectors */
enum { MXD_TLSA_FULL = 0, MXD_TLSA_SHA256 = 1, MXD_TLSA_SHA512 = 2 }; /* matching types */
#define MXD_TLSA_DIGEST_MAX 64 /* bytes of the longest digest (SHA-512) */

/* Fills d with the DER of x and of its key (owned by d; x is borrowed).
 * Returns false on ENOMEM or an unencodable certificate (d left empty). */
bool mxd_cert_der_set(mxd_cert_der *d, const X509 *x);
/* Frees what d owns and empties it. */
void mxd_cert_der_clear(mxd_cert_der *d);

/* The association data of c for selector and mtype: *out points at c's own DER
 * (mtype 0) or at md, which receives the digest. Returns its length, or -1 for
 * an unknown selector or matching type, or when c lacks that DER. */
long mxd_cert_der_select(const mxd_cert_der *c, int selector, int mtype,
                         uint8_t md[MXD_TLSA_DIGEST_MAX], const uint8_t **out);

#endif
