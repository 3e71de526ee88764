/* conn.h — one client connection on the shared loop: TCP, then optionally TLS.
 *
 * The SMTP probe, the delivery conversation and the HTTPS fetch all need the
 * same socket work: a non-blocking connect with a deadline, an output queue
 * written as the socket allows, every byte read handed to the owner, a switch
 * to TLS on the same socket (STARTTLS, or at once for HTTPS) with OpenSSL's
 * WANT_READ/WANT_WRITE handled in one place, and a close whose completion
 * reaches the owner from a fresh loop turn. The owner keeps the protocol: what
 * to send, what the bytes mean, which stage a deadline belongs to.
 *
 * Callbacks (mxd_conn_ops) run only from the loop, never inside an mxd_conn_*
 * call the owner made, so an owner never sees itself re-entered. The owner may
 * call any mxd_conn_* function from a callback except mxd_conn_free, which is
 * for the `then` callback of mxd_conn_close or for code outside the callbacks.
 * Writes also wait for the loop: mxd_conn_send only queues.
 *
 * The deadline is one timer that the owner sets per stage; nothing the peer
 * does moves it, so a peer that trickles bytes cannot hold the owner longer.
 * When it passes, the owner hears `expired` and decides what that means.
 *
 * The process must ignore SIGPIPE (main() does): OpenSSL writes with write(),
 * which cannot ask for MSG_NOSIGNAL as the plain-text sends do.
 */
#ifndef MXD_CONN_H
#define MXD_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxd/loop.h"
#include "mxd/result.h"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;
typedef struct mxd_conn mxd_conn;

/* How a connection failed. */
typedef enum {
    MXD_CONN_OK = 0,      /* no failure (never passed to `failed`) */
    MXD_CONN_REFUSED,     /* connect: the peer refused (RST to the SYN) */
    MXD_CONN_UNREACHABLE, /* connect: no socket, no route, any other connect error */
    MXD_CONN_TIMEOUT,     /* the network gave up (ETIMEDOUT); our own deadline is `expired` */
    MXD_CONN_RESET,       /* the peer reset the connection (ECONNRESET, EPIPE) */
    MXD_CONN_CLOSED,      /* the peer closed the stream (FIN, close_notify, or EOF under TLS) */
    MXD_CONN_IO,          /* another socket error while sending or receiving */
    MXD_CONN_TLS,         /* TLS failed: the handshake, or a bad record afterwards */
    MXD_CONN_NOMEM,       /* out of memory */
} mxd_conn_err;

/* What the owner hears. `owner` is the pointer given to mxd_conn_open. Any
 * member except `failed` and `expired` may be NULL. */
typedef struct mxd_conn_ops {
    /* The TCP connection is up. */
    void (*connected)(void *owner);
    /* The TLS handshake finished; mxd_conn_ssl() shows the session and the peer's
     * certificate. Bytes queued before it now go out encrypted. */
    void (*secured)(void *owner);
    /* Bytes arrived: plain text, or decrypted under TLS. buf is borrowed for the
     * call. After the owner calls mxd_conn_start_tls or mxd_conn_close here, no
     * further byte is read for it in this turn: bytes the owner still holds from
     * before that call were sent in plain text (see CVE-2011-0411) and are its to
     * drop. */
    void (*data)(void *owner, const char *buf, size_t len);
    /* The output queue has been written out (never inside mxd_conn_send). */
    void (*sent)(void *owner);
    /* The connection failed: its socket is closed, nothing more is read or sent.
     * text says how, in English (borrowed for the call; from strerror or OpenSSL,
     * never bytes of the peer's). A peer that closes is "the server closed the
     * connection" ("... during the TLS handshake[: <errno text>]" in the
     * handshake); MXD_CONN_TLS gives OpenSSL's reason, "unknown reason" when it
     * has none. */
    void (*failed)(void *owner, mxd_conn_err err, const char *text);
    /* The deadline set by mxd_conn_open or mxd_conn_deadline passed. The
     * connection is left as it is: the owner closes it or sets a new deadline. */
    void (*expired)(void *owner);
} mxd_conn_ops;

/* Starts a non-blocking connect to addr:port (addr borrowed for the call) with a
 * deadline timeout_ms from now. loop, ops and owner are borrowed and must
 * outlive the connection. A failure to connect, even at once, is reported
 * through ops->failed from the loop. Returns a connection owned by the caller
 * (mxd_conn_free), or NULL when out of memory. */
mxd_conn *mxd_conn_open(mxd_loop *loop, const mxd_addr *addr, unsigned port, unsigned timeout_ms,
                        const mxd_conn_ops *ops, void *owner);

/* Replaces the deadline: ops->expired runs timeout_ms from now unless this is
 * called again first. Ignored once the connection failed or was closed. */
void mxd_conn_deadline(mxd_conn *c, unsigned timeout_ms);

/* Queues len bytes (copied) to send; they are written from the loop as the
 * socket allows, in order, partial writes resumed. */
void mxd_conn_send(mxd_conn *c, const void *data, size_t len);

enum { MXD_CONN_CHECK_HOST = 1u }; /* mxd_conn_start_tls: verify the name too */

/* Switches the connected socket to TLS as a client. ctx is borrowed (the SSL
 * takes its own reference). host (copied; NULL or "": none) is sent as SNI and,
 * with MXD_CONN_CHECK_HOST, required in the certificate (SSL_set1_host). The
 * handshake runs from the loop and ends in ops->secured or ops->failed; the SSL
 * exists as soon as this returns, so the owner may attach ex_data for its
 * verify callback first. Returns 0, or -1 when TLS could not be set up (nothing
 * is reported then; the connection is unchanged and the owner decides). */
int mxd_conn_start_tls(mxd_conn *c, SSL_CTX *ctx, const char *host, unsigned flags);

/* The TLS session, NULL before mxd_conn_start_tls. Borrowed: valid until
 * mxd_conn_free, also after a failure (SSL_get_verify_result says why a
 * handshake was refused). */
SSL *mxd_conn_ssl(const mxd_conn *c);

/* Our end of the connection (copied into *out, owned by the caller). Returns 0,
 * or -1 (out untouched) before the connection is up or after it ended. */
int mxd_conn_local(const mxd_conn *c, mxd_addr *out);

/* Closes the socket now, without a TLS close_notify (nothing more is owed to a
 * peer we are done with); no callback of ops runs after this. then(arg) (may be
 * NULL; arg borrowed) runs from a fresh loop turn, where the owner typically
 * frees the connection and itself and reports to its own caller. A second call
 * is ignored. */
void mxd_conn_close(mxd_conn *c, void (*then)(void *arg), void *arg);

/* Frees the connection and closes its socket if still open; a pending `then` or
 * callback does not run. NULL is ignored. */
void mxd_conn_free(mxd_conn *c);

#endif
