/* smtpprobe.h — one SMTP conversation with one address, never sending mail.
 *
 * connect → greeting → EHLO (HELO if refused) → STARTTLS → TLS handshake and
 * certificate checks → EHLO again → QUIT, all non-blocking on the shared loop.
 * Each step has its own --timeout, so a blackhole or a tarpit costs one timeout.
 * After the 220 to STARTTLS, bytes already received are counted and dropped
 * (CVE-2011-0411), and the capabilities learned before TLS are forgotten.
 */
#ifndef MXD_SMTPPROBE_H
#define MXD_SMTPPROBE_H

#include "mxd/loop.h"
#include "mxd/result.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct x509_st X509;
typedef struct mxd_smtp_probe mxd_smtp_probe;

/* A client TLS context trusting the system store plus extra_ca (may be NULL).
 * The caller owns a reference: SSL_CTX_free(). The process keeps one more so the
 * next call with the same extra_ca shares it (valgrind sees it as "still
 * reachable" at exit, by design). NULL on failure. */
SSL_CTX *mxd_tls_client_ctx(const X509 *extra_ca);

/* Starts a probe of addr:port for MX host (used for SNI and the name check).
 * ehlo_name NULL or "": greet with our own address literal, e.g. "[192.0.2.7]".
 * ctx and loop are borrowed and must outlive the probe; out is borrowed and is
 * filled as the conversation goes. done(arg) runs exactly once, from the loop,
 * after which the probe has freed itself. Returns the probe, or NULL (ENOMEM). */
mxd_smtp_probe *mxd_smtp_probe_start(mxd_loop *loop, SSL_CTX *ctx, const mxd_addr *addr,
                                     unsigned port, const char *host, const char *ehlo_name,
                                     unsigned timeout_ms, mxd_smtp *out,
                                     void (*done)(void *arg), void *arg);
/* Stops a running probe now and frees it; done() is not called. */
void mxd_smtp_probe_cancel(mxd_smtp_probe *p);

#endif
