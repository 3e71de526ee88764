/* labsmtp.h — the practice lab's SMTP server: one scripted behaviour per address.
 *
 * Each server plays one mxd_smtp_behaviour from a scenario (a healthy server, one
 * that refuses, one that never speaks, one that greets 554, a STARTTLS injector...)
 * on a loopback address, on the shared event loop, without ever blocking: the
 * engine's probes and the lab's servers run in the same process and thread.
 * Delays are timers, never sleeps. TLS is real (OpenSSL), with the certificates
 * from labcert.h. By default it accepts no messages (DATA is refused); a scenario
 * can make it reject unknown recipients, greylist, or take a message and drop it
 * ("250 queued"), for the delivery step's recipient check and test message.
 *
 * The process must ignore SIGPIPE (a client that hangs up during a TLS write
 * would otherwise end it); main() does.
 */
#ifndef MXD_LABSMTP_H
#define MXD_LABSMTP_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "mxd/loop.h"
#include "mxd/scenario.h"

typedef struct mxd_labsmtp mxd_labsmtp;

/* Bounds; a zero field takes the default shown. */
typedef struct mxd_labsmtp_limits {
    unsigned max_clients;  /* 64: more connections at once get "421" and are closed */
    unsigned idle_ms;      /* 120000: a silent client gets "421" and is closed */
    unsigned blackhole_ms; /* 600000: how long a blackhole keeps a connection open */
} mxd_labsmtp_limits;

enum { MXD_LABSMTP_MAX_LINE = 4096 }; /* longest command line accepted, CRLF included */

/* Starts the server that cfg describes on cfg->addr (must be IPv4 in 127.0.0.0/8)
 * and port (0: any free port; see mxd_labsmtp_port).
 *   cfg     copied; cfg->name is used in the greeting.
 *   tls     the certificate to present after STARTTLS (labcert.h), or NULL for a
 *           server that cannot do TLS; the server takes its own reference.
 *   latency_ms  extra delay before every reply (the lab's --lab-latency), added
 *           to cfg->delay_ms. For the tarpit, cfg->delay_ms is instead the pause
 *           between greeting bytes (0: 1000 ms); for hostile-split, the pause
 *           between any two bytes it sends (0: 1 ms).
 *   limits  may be NULL.
 * A MXD_SMTPB_REFUSE server opens no socket at all, so connections are refused.
 * A MXD_SMTPB_FILTERED server listens with a one-place accept queue, fills it
 * with connections of its own and never accepts, so Linux drops every further
 * SYN and a client's connect() times out; this start waits (on loopback, a
 * moment) for the queue to fill and fails with ENOTSUP when the kernel does not
 * report it full. Hostile servers (MXD_SMTPB_HOSTILE_*) bound what they hold:
 * the endless greeting stops at 8 MiB, a never-reading connection is let go
 * once the client hangs up (or after limits->blackhole_ms).
 * Returns an owned server (mxd_labsmtp_stop), or NULL with err; when the port was
 * taken, errno is EADDRINUSE so the caller can try another. loop is borrowed and
 * must outlive the server. The socket listens before this returns: the server
 * is ready at once. */
mxd_labsmtp *mxd_labsmtp_start(mxd_loop *loop, const mxd_scn_smtp *cfg, unsigned port,
                               SSL_CTX *tls, unsigned latency_ms,
                               const mxd_labsmtp_limits *limits, char *err, size_t errlen);

/* Closes the listening socket and every connection, cancels its timers, frees s. */
void mxd_labsmtp_stop(mxd_labsmtp *s);

unsigned mxd_labsmtp_port(const mxd_labsmtp *s);
/* Connections accepted since start, and open now (for tests and the lab's status). */
unsigned mxd_labsmtp_sessions(const mxd_labsmtp *s);
unsigned mxd_labsmtp_active(const mxd_labsmtp *s);

#endif
