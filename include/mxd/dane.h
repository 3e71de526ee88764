/* dane.h — DANE for SMTP: do a mail server's certificates match its TLSA records?
 *
 * A domain whose DNS is signed (DNSSEC) can publish at _25._tcp.<MX host> which
 * certificate or key its mail server presents (TLSA records, RFC 6698). Senders
 * that enforce DANE (RFC 7672: Postfix with smtp_tls_security_level = dane,
 * Exim, Exchange Online) then hand mail to that host only over TLS with a
 * matching certificate. When nothing matches, typically after a certificate or
 * key was renewed and the records were not, they keep the mail queued and
 * finally bounce it, while every other sender delivers as usual: mail from
 * some senders never arrives.
 *
 * What counts (RFC 7672 §2.2, §3.1):
 *   - only records of a validated answer (the resolver's AD bit); others are
 *     ignored by senders, since anyone on the path could have forged them;
 *   - usage 3 (DANE-EE): the server's own certificate or key matches; names
 *     and dates are not checked (§3.1.1);
 *   - usage 2 (DANE-TA): a certificate in the chain the server sent matches,
 *     the server's certificate chains up to it, and names the MX host (§3.1.2);
 *   - usages 0 and 1 (PKIX-TA, PKIX-EE) are unusable for SMTP (§3.1.3), and so
 *     is any record with a selector other than 0 (certificate) or 1 (key), a
 *     matching type other than 0 (the DER itself), 1 (SHA-256) or 2 (SHA-512),
 *     or a digest of the wrong length (RFC 7671 §4).
 * The certificates come from the SMTP probe (mxd_cert_der in result.h).
 *
 * Pure functions: OpenSSL only computes digests here; nothing does I/O.
 */
#ifndef MXD_DANE_H
#define MXD_DANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxd/certder.h"
#include "mxd/finding.h"
#include "mxd/policy.h"
#include "mxd/result.h"

enum { MXD_DANE_TA = 2, MXD_DANE_EE = 3 }; /* usages; selectors and matching types: certder.h */

/* One TLSA record read from its RDATA: three octets, then the association data. */
typedef struct mxd_tlsa_rr {
    uint8_t usage, selector, mtype;
    const uint8_t *data; /* borrowed from the RDATA it was read from */
    size_t len;
} mxd_tlsa_rr;

/* Reads RDATA (len bytes, borrowed; out->data points into it). False when it is
 * shorter than 4 bytes (no association data at all). */
bool mxd_tlsa_parse(const char *rdata, size_t len, mxd_tlsa_rr *out);
/* True when a sender using DANE for SMTP can use the record (see above). */
bool mxd_tlsa_usable(const mxd_tlsa_rr *t);
/* True when the certificates s presented match t by t's usage (see above);
 * false for unusable records and when s has no certificate. */
bool mxd_dane_matches(const mxd_tlsa_rr *t, const mxd_smtp *s);
/* The association data that selector and mtype would give for s's own
 * certificate (the leaf), as lower-case hex into out: what the record
 * "3 <selector> <mtype> <hex>" must hold to match this server. False when s
 * has no certificate, selector or mtype is unknown, or out is too small. */
bool mxd_dane_leaf_hex(const mxd_smtp *s, int selector, int mtype, char *out, size_t cap);

/* The DANE findings (step "policy") for one MX host's TLSA answer t, which
 * holds at least one record, against the SMTP results of the same host's
 * addresses in r (r NULL: no SMTP data):
 *   dane.present   info  records not validated (senders ignore them), or no
 *                        address could be compared (--no-smtp, not reached)
 *   dane.unusable  warn  validated, but no record is usable for SMTP
 *   dane.match     pass  every compared address offered STARTTLS and matches
 *   dane.mismatch  fail  one per address whose certificate matches no record
 *   dane.no_starttls fail one per address without STARTTLS, or whose TLS failed
 * Nothing while the host's addresses are being looked up or a probe of it
 * still runs (the wizard checks again as results come in). */
void mxd_check_dane(const mxd_result *r, const mxd_tlsa *t, mxd_findings *out);

#endif
