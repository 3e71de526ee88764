/* labhttps.h — the practice lab's HTTPS server: a few fixed files on a loopback address.
 *
 * Serves what an [https] section of a scenario describes (scenario_https.h): one
 * host name with a lab certificate (good or deliberately broken, labcert.h), and
 * a list of paths with their status, content type and body — enough to show an
 * MTA-STS policy that works, one that is missing (404), one behind a redirect,
 * one with the wrong content type, and servers that never answer or reset.
 * Runs on the shared event loop and never blocks: accept, TLS handshake, read
 * one request (at most MXD_LABHTTPS_MAX_REQUEST bytes), answer, close. A client
 * that stays silent is dropped after idle_ms.
 *
 * The process must ignore SIGPIPE (main() does; the tests do too).
 */
#ifndef MXD_LABHTTPS_H
#define MXD_LABHTTPS_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "mxd/loop.h"
#include "mxd/scenario_https.h"

typedef struct mxd_labhttps mxd_labhttps;

enum { MXD_LABHTTPS_MAX_REQUEST = 8192 }; /* request line and headers together */

typedef struct mxd_labhttps_limits {
    unsigned max_clients; /* 64: more connections at once are closed at once */
    unsigned idle_ms;     /* 10000: a connection without progress for this long is closed;
                             a blackhole keeps its connections this long */
} mxd_labhttps_limits;

/* Starts the server that site describes on site->addr (must be IPv4 in
 * 127.0.0.0/8) and port (0: any free port; see mxd_labhttps_port).
 *   site    copied deeply (paths and bodies).
 *   tls     the certificate to present (mxd_labca_server_ctx for site->name and
 *           site->cert); the server takes its own reference. Required unless
 *           the behaviour is blackhole or reset.
 *   limits  may be NULL.
 * Requests: GET or HEAD of a configured path, with a Host header naming
 * site->name (a port after it is ignored), gets that path's answer; an unknown
 * path 404, another Host 421, another method 405, a malformed request 400.
 * Every answer has Content-Length and "Connection: close".
 * Returns an owned server (mxd_labhttps_stop), or NULL with err; errno is
 * EADDRINUSE when the port was taken, so the caller can try another. The
 * socket listens before this returns: the server is ready at once. */
mxd_labhttps *mxd_labhttps_start(mxd_loop *loop, const mxd_scn_https *site, unsigned port,
                                 SSL_CTX *tls, const mxd_labhttps_limits *limits, char *err,
                                 size_t errlen);

/* Closes the listening socket and every connection, cancels its timers, frees s. */
void mxd_labhttps_stop(mxd_labhttps *s);

unsigned mxd_labhttps_port(const mxd_labhttps *s);
/* Connections accepted, requests answered, and connections open now. */
unsigned mxd_labhttps_sessions(const mxd_labhttps *s);
unsigned mxd_labhttps_requests(const mxd_labhttps *s);
unsigned mxd_labhttps_active(const mxd_labhttps *s);

/* ---- the lab's HTTPS servers together (for lab.c) ---- */

typedef struct mxd_labhttps_set mxd_labhttps_set;
typedef struct mxd_labca mxd_labca;

/* Starts one server per section, all on the same port (the lab's HTTPS port),
 * each with a certificate from ca. n may be 0 (an empty set). Returns an owned
 * set (mxd_labhttps_set_stop), or NULL with err and errno (EADDRINUSE: try
 * another port). */
mxd_labhttps_set *mxd_labhttps_set_start(mxd_loop *loop, mxd_labca *ca, const mxd_scn_https *sites,
                                         size_t n, unsigned port, char *err, size_t errlen);
void mxd_labhttps_set_stop(mxd_labhttps_set *set);

#endif
