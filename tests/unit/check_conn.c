/* check_conn.c — the client connection (conn.h) against servers started here.
 *
 * Each test runs a small non-blocking server on the same loop as the connection
 * under test, bound to 127.0.79.1 on a port the kernel picks: a server is ready
 * when listen() has returned, so nothing waits for it. Every wait is "run the
 * loop until the owner saw X, or fail at a deadline". The owner records every
 * callback and whether one ran while the test was inside an mxd_conn_* call,
 * which the module promises never happens.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "mxd/conn.h"
#include "mxd/labcert.h"
#include "mxd/lablisten.h"
#include "mxd/loop.h"
#include "mxd/strbuf.h"

#define ADDR "127.0.79.1"
#define NAME "conn.lab.test"
#define WAIT_MS 8000

static mxd_loop *loop;
static mxd_labca *ca;
static SSL_CTX *sctx, *cctx;

/* ================================================================ the owner */

typedef struct owner {
    mxd_conn *c;
    int connected, secured, sent, failed, expired, then;
    mxd_conn_err err;
    char text[300];
    mxd_sb data;
    uint64_t t_expired;
    bool in_api, reentered;
    /* what it does when told something */
    const char *send_on_connect;  /* bytes to queue once connected */
    bool tls_on_go;               /* "GO\r\n" arrived: switch to TLS */
    const char *tls_host;
    unsigned tls_flags;
    const char *send_on_secure;
} owner;

/* Marks a call into the module made by the test itself (not from a callback). */
#define API(o, call)                                                                                \
    do {                                                                                           \
        (o)->in_api = true;                                                                        \
        call;                                                                                      \
        (o)->in_api = false;                                                                       \
    } while (0)

static void seen(owner *o)
{
    if (o->in_api)
        o->reentered = true;
}

static void on_connected(void *arg)
{
    owner *o = arg;
    seen(o);
    o->connected++;
    if (o->send_on_connect)
        mxd_conn_send(o->c, o->send_on_connect, strlen(o->send_on_connect));
}

static void on_secured(void *arg)
{
    owner *o = arg;
    seen(o);
    o->secured++;
    if (o->send_on_secure)
        mxd_conn_send(o->c, o->send_on_secure, strlen(o->send_on_secure));
}

static void on_data(void *arg, const char *buf, size_t len)
{
    owner *o = arg;
    seen(o);
    mxd_sb_append(&o->data, buf, len);
    if (o->tls_on_go && !o->secured && strstr(mxd_sb_str(&o->data), "GO\r\n")) {
        ck_assert_int_eq(mxd_conn_start_tls(o->c, cctx, o->tls_host, o->tls_flags), 0);
        mxd_sb_clear(&o->data); /* what came with GO came before TLS */
    }
}

static void on_sent(void *arg)
{
    owner *o = arg;
    seen(o);
    o->sent++;
}

static void on_failed(void *arg, mxd_conn_err err, const char *text)
{
    owner *o = arg;
    seen(o);
    o->failed++;
    o->err = err;
    snprintf(o->text, sizeof o->text, "%s", text);
}

static void on_expired(void *arg)
{
    owner *o = arg;
    seen(o);
    o->expired++;
    o->t_expired = mxd_now_ms();
}

static const mxd_conn_ops ops = { on_connected, on_secured, on_data, on_sent, on_failed,
                                  on_expired };

static void on_then(void *arg)
{
    owner *o = arg;
    seen(o);
    o->then++;
}

static mxd_addr lab_addr(void)
{
    mxd_addr a;
    memset(&a, 0, sizeof a);
    a.family = AF_INET;
    inet_pton(AF_INET, ADDR, a.bytes);
    snprintf(a.text, sizeof a.text, "%s", ADDR);
    return a;
}

static void open_conn(owner *o, unsigned port, unsigned timeout_ms)
{
    mxd_addr a = lab_addr();
    API(o, o->c = mxd_conn_open(loop, &a, port, timeout_ms, &ops, o));
    ck_assert_ptr_nonnull(o->c);
    ck_assert(!o->reentered);
    ck_assert_int_eq(o->connected + o->failed + o->expired, 0);
}

static void done_with(owner *o)
{
    mxd_conn_free(o->c);
    mxd_sb_free(&o->data);
    ck_assert_msg(!o->reentered, "a callback ran inside an mxd_conn_* call");
}

static bool wait_for(int *counter)
{
    uint64_t end = mxd_now_ms() + WAIT_MS;
    while (*counter == 0 && mxd_now_ms() < end)
        mxd_loop_run_once(loop, 50);
    return *counter != 0;
}

static bool wait_data(owner *o, size_t len)
{
    uint64_t end = mxd_now_ms() + WAIT_MS;
    while (o->data.len < len && !o->failed && mxd_now_ms() < end)
        mxd_loop_run_once(loop, 50);
    return o->data.len >= len;
}

/* ================================================================ the server */

typedef enum {
    SV_SAY,      /* sends `say` on accept, then reads and drops */
    SV_SAY_CLOSE, /* sends `say`, then closes */
    SV_RESET,    /* resets the connection at once */
    SV_TRICKLE,  /* one byte every 40 ms, forever */
    SV_SINK,     /* reads (when `reading`) and checks the byte pattern */
    SV_STARTTLS, /* waits for "STARTTLS\r\n", answers "GO\r\n", then TLS and echo */
} sv_mode;

typedef struct server {
    int lfd, fd;
    unsigned port;
    sv_mode mode;
    const char *say;      /* SV_SAY*: sent on accept; SV_STARTTLS: the answer to the
                             ClientHello instead of TLS (NULL: real TLS) */
    bool said;            /* SV_STARTTLS: "GO" went out */
    bool close_after_go;  /* SV_STARTTLS: close instead of TLS */
    size_t junk;          /* SV_STARTTLS: plain-text bytes sent with "GO" (an injection) */
    bool reading;
    size_t got;
    bool pattern_ok;
    uint64_t timer;
    mxd_sb in;
    SSL *ssl;
    bool tls_up;
} server;

static int listen_on(int backlog, int rcvbuf, unsigned *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (rcvbuf) /* before listen(): the window is fixed at the handshake */
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in sa = { .sin_family = AF_INET };
    inet_pton(AF_INET, ADDR, &sa.sin_addr);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(fd, backlog), 0);
    socklen_t sl = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    *port = ntohs(sa.sin_port);
    ck_assert_uint_gt(*port, 1024);
    return fd;
}

static void sv_io(mxd_loop *l, int fd, unsigned ev, void *arg);

static void sv_trickle(mxd_loop *l, void *arg)
{
    server *s = arg;
    s->timer = send(s->fd, "x", 1, MSG_NOSIGNAL) == 1 ? mxd_loop_timer(l, 40, sv_trickle, s) : 0;
}

static void sv_send(server *s, const char *text)
{
    size_t n = strlen(text);
    ck_assert_int_eq(send(s->fd, text, n, MSG_NOSIGNAL), (ssize_t)n);
}

static void sv_drop(server *s)
{
    mxd_loop_unwatch(loop, s->fd);
    close(s->fd);
    s->fd = -1;
}

static void sv_tls(server *s)
{
    char buf[4096];
    ERR_clear_error();
    if (!s->tls_up) {
        int r = SSL_accept(s->ssl);
        if (r != 1) {
            int e = SSL_get_error(s->ssl, r);
            mxd_loop_watch(loop, s->fd, e == SSL_ERROR_WANT_WRITE ? MXD_EV_WRITE : MXD_EV_READ,
                           sv_io, s);
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
                sv_drop(s);
            return;
        }
        s->tls_up = true;
        mxd_loop_watch(loop, s->fd, MXD_EV_READ, sv_io, s);
    }
    int n;
    while ((n = SSL_read(s->ssl, buf, sizeof buf)) > 0) /* echo */
        ck_assert_int_eq(SSL_write(s->ssl, buf, n), n);
    if (SSL_get_error(s->ssl, n) != SSL_ERROR_WANT_READ)
        sv_drop(s);
}

static void sv_io(mxd_loop *l, int fd, unsigned ev, void *arg)
{
    (void)l;
    (void)ev;
    server *s = arg;
    char buf[65536];
    if (fd == s->lfd) {
        s->fd = mxd_lablisten_accept(s->lfd);
        if (s->fd < 0)
            return;
        mxd_loop_unwatch(loop, s->lfd);
        if (s->mode == SV_RESET) {
            struct linger lg = { 1, 0 };
            setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
            close(s->fd);
            s->fd = -1;
            return;
        }
        if (s->mode == SV_SAY || s->mode == SV_SAY_CLOSE)
            sv_send(s, s->say);
        if (s->mode == SV_SAY_CLOSE) {
            close(s->fd);
            s->fd = -1;
            return;
        }
        if (s->mode == SV_TRICKLE)
            sv_trickle(loop, s);
        mxd_loop_watch(loop, s->fd, s->mode == SV_SINK ? 0 : MXD_EV_READ, sv_io, s);
        return;
    }
    if (s->ssl) {
        sv_tls(s);
        return;
    }
    if (s->mode == SV_SINK && !s->reading)
        return;
    ssize_t n;
    while ((n = recv(s->fd, buf, sizeof buf, 0)) > 0) {
        if (s->mode == SV_SINK)
            for (ssize_t i = 0; i < n; i++, s->got++)
                s->pattern_ok &= (unsigned char)buf[i] == (unsigned char)(s->got % 251);
        if (s->mode != SV_STARTTLS)
            continue;
        if (s->said) { /* the ClientHello, when TLS is not to work */
            if (s->say)
                sv_send(s, s->say);
            s->say = NULL;
            continue;
        }
        mxd_sb_append(&s->in, buf, (size_t)n);
        if (!strstr(mxd_sb_str(&s->in), "STARTTLS\r\n"))
            continue;
        s->said = true;
        char *go = calloc(1, 5 + s->junk);
        memcpy(go, "GO\r\n", 4);
        memset(go + 4, 'J', s->junk);
        sv_send(s, go);
        free(go);
        if (s->close_after_go) {
            sv_drop(s);
            return;
        }
        if (!s->say) {
            s->ssl = SSL_new(sctx);
            SSL_set_fd(s->ssl, s->fd);
            sv_tls(s);
            return;
        }
    }
    if (n == 0)
        sv_drop(s);
}

static void sv_start(server *s, sv_mode mode, const char *say, int rcvbuf)
{
    memset(s, 0, sizeof *s);
    s->mode = mode;
    s->say = say;
    s->fd = -1;
    s->pattern_ok = true;
    s->lfd = listen_on(16, rcvbuf, &s->port);
    mxd_loop_watch(loop, s->lfd, MXD_EV_READ, sv_io, s);
}

static void sv_stop(server *s)
{
    if (s->timer)
        mxd_loop_cancel(loop, s->timer);
    if (s->fd >= 0)
        sv_drop(s);
    mxd_loop_unwatch(loop, s->lfd);
    close(s->lfd);
    SSL_free(s->ssl);
    mxd_sb_free(&s->in);
}

/* ================================================================ fixture */

static void setup(void)
{
    char err[256];
    loop = mxd_loop_new();
    ca = mxd_labca_new(err, sizeof err);
    ck_assert_msg(ca != NULL, "%s", err);
    sctx = mxd_labca_server_ctx(ca, NAME, MXD_CERT_GOOD, err, sizeof err);
    ck_assert_msg(sctx != NULL, "%s", err);
    /* trusts the lab CA only; checks the chain; the name when the test asks */
    cctx = SSL_CTX_new(TLS_client_method());
    X509_STORE_add_cert(SSL_CTX_get_cert_store(cctx), mxd_labca_cert(ca));
    SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, NULL);
}

static void teardown(void)
{
    ck_assert_uint_eq(mxd_loop_pending(loop), 0); /* nothing left behind on the loop */
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    mxd_labca_free(ca);
    mxd_loop_free(loop);
}

/* ================================================================ connect */

START_TEST(test_refused)
{
    unsigned port;
    close(listen_on(1, 0, &port)); /* a port nobody listens on now */
    owner o = { 0 };
    open_conn(&o, port, 3000);
    ck_assert(wait_for(&o.failed));
    ck_assert_int_eq(o.err, MXD_CONN_REFUSED);
    ck_assert_str_eq(o.text, strerror(ECONNREFUSED));
    ck_assert_int_eq(o.connected, 0);
    /* the failure is reported once, and nothing else follows */
    for (int i = 0; i < 5; i++)
        mxd_loop_run_once(loop, 10);
    ck_assert_int_eq(o.failed, 1);
    ck_assert_int_eq(o.expired, 0);
    done_with(&o);
}
END_TEST

START_TEST(test_connect_deadline)
{
    /* A listener whose accept queue is full drops further SYNs: a connect to it
     * stays pending, as to a filtered address. Fill it with connections nobody
     * accepts until one no longer completes. */
    unsigned port;
    int lfd = listen_on(0, 0, &port);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    inet_pton(AF_INET, ADDR, &sa.sin_addr);
    int fill[16], nfill = 0;
    bool full = false;
    while (!full && nfill < 16) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        fill[nfill++] = fd;
        connect(fd, (struct sockaddr *)&sa, sizeof sa);
        struct pollfd p = { .fd = fd, .events = POLLOUT };
        full = poll(&p, 1, 300) == 0;
    }
    ck_assert_msg(full, "the accept queue never filled");
    owner o = { 0 };
    uint64_t t0 = mxd_now_ms();
    open_conn(&o, port, 300);
    ck_assert(wait_for(&o.expired));
    uint64_t took = o.t_expired - t0;
    ck_assert_uint_ge(took, 290);
    ck_assert_uint_lt(took, 1500);
    ck_assert_int_eq(o.connected + o.failed, 0);
    /* the owner decides: it closes, and hears `then` from a later turn */
    API(&o, mxd_conn_close(o.c, on_then, &o));
    ck_assert_int_eq(o.then, 0);
    ck_assert(wait_for(&o.then));
    ck_assert_int_eq(o.expired, 1);
    done_with(&o);
    for (int i = 0; i < nfill; i++)
        close(fill[i]);
    close(lfd);
}
END_TEST

START_TEST(test_greeting_and_local_address)
{
    server s;
    sv_start(&s, SV_SAY, "hello there\r\n", 0);
    owner o = { 0 };
    open_conn(&o, s.port, 3000);
    ck_assert(wait_data(&o, 13));
    ck_assert_int_eq(o.connected, 1);
    ck_assert_str_eq(mxd_sb_str(&o.data), "hello there\r\n");
    /* our end, as the server sees its peer */
    struct sockaddr_in peer;
    socklen_t pl = sizeof peer;
    ck_assert_int_eq(getpeername(s.fd, (struct sockaddr *)&peer, &pl), 0);
    char seen_by_server[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &peer.sin_addr, seen_by_server, sizeof seen_by_server);
    mxd_addr me;
    ck_assert_int_eq(mxd_conn_local(o.c, &me), 0);
    ck_assert_int_eq(me.family, AF_INET);
    ck_assert_str_eq(me.text, seen_by_server);
    ck_assert_mem_eq(me.bytes, &peer.sin_addr, 4);
    ck_assert_ptr_null(mxd_conn_ssl(o.c));
    /* a send is written from the loop, and `sent` follows from there */
    char got[16];
    API(&o, mxd_conn_send(o.c, "QUIT\r\n", 6));
    ck_assert_int_eq(recv(s.fd, got, sizeof got, MSG_PEEK | MSG_DONTWAIT), -1);
    ck_assert(wait_for(&o.sent));
    ck_assert_int_eq(recv(s.fd, got, sizeof got, MSG_PEEK | MSG_DONTWAIT), 6);
    ck_assert_mem_eq(got, "QUIT\r\n", 6);
    API(&o, mxd_conn_close(o.c, NULL, NULL));
    ck_assert_int_eq(mxd_conn_local(o.c, &me), -1);
    done_with(&o);
    sv_stop(&s);
}
END_TEST

START_TEST(test_trickle_does_not_extend_deadline)
{
    server s;
    sv_start(&s, SV_TRICKLE, NULL, 0);
    owner o = { 0 };
    uint64_t t0 = mxd_now_ms();
    open_conn(&o, s.port, 400);
    ck_assert(wait_for(&o.expired));
    uint64_t took = o.t_expired - t0;
    ck_assert_uint_ge(took, 390);
    ck_assert_uint_lt(took, 1500);
    ck_assert_uint_ge(o.data.len, 3); /* bytes kept coming, the deadline stayed */
    ck_assert_int_eq(o.failed, 0);
    /* a new deadline replaces the old one */
    uint64_t t1 = mxd_now_ms();
    API(&o, mxd_conn_deadline(o.c, 100));
    API(&o, mxd_conn_deadline(o.c, 300));
    while (o.expired < 2 && mxd_now_ms() < t1 + WAIT_MS)
        mxd_loop_run_once(loop, 20);
    ck_assert_int_eq(o.expired, 2);
    ck_assert_uint_ge(o.t_expired - t1, 290);
    API(&o, mxd_conn_close(o.c, NULL, NULL));
    done_with(&o);
    sv_stop(&s);
}
END_TEST

START_TEST(test_open_fails_at_once)
{
    /* no descriptor left: socket() fails inside mxd_conn_open, and still the
     * owner hears of it from the loop, not from inside the call */
    int fds[65536], n = 0;
    while (n < 65536 && (fds[n] = dup(0)) >= 0)
        n++;
    ck_assert_int_eq(errno, EMFILE);
    owner o = { 0 }, o2 = { 0 };
    open_conn(&o, 25, 3000);
    open_conn(&o2, 25, 3000);
    /* o2 is closed before its failure is reported: it hears `then` only */
    API(&o2, mxd_conn_close(o2.c, on_then, &o2));
    while (n > 0)
        close(fds[--n]);
    ck_assert(wait_for(&o.failed));
    ck_assert_int_eq(o.err, MXD_CONN_UNREACHABLE);
    ck_assert_str_eq(o.text, strerror(EMFILE));
    done_with(&o);
    ck_assert(wait_for(&o2.then));
    for (int i = 0; i < 5; i++)
        mxd_loop_run_once(loop, 10);
    ck_assert_int_eq(o2.then, 1);
    ck_assert_int_eq(o2.failed, 0);
    done_with(&o2);
}
END_TEST

/* ================================================================ sending */

START_TEST(test_partial_writes)
{
    /* 8 MB against a receiver that does not read (and a small receive window):
     * far more than the socket buffers hold, so writes stop half-way and must
     * resume, in order, when the receiver reads again. */
    enum { BIG = 8 << 20 };
    server s;
    sv_start(&s, SV_SINK, NULL, 4096);
    char *big = malloc(BIG);
    for (size_t i = 0; i < BIG; i++)
        big[i] = (char)(i % 251);
    owner o = { 0 };
    open_conn(&o, s.port, 5000);
    ck_assert(wait_for(&o.connected));
    API(&o, mxd_conn_send(o.c, big, BIG / 2));
    API(&o, mxd_conn_send(o.c, big + BIG / 2, BIG - BIG / 2));
    free(big); /* queued: the caller's copy is not needed */
    ck_assert_int_eq(o.sent, 0); /* nothing is written inside mxd_conn_send */
    for (int i = 0; i < 20; i++)
        mxd_loop_run_once(loop, 10);
    ck_assert_int_eq(o.sent, 0);
    ck_assert_uint_eq(s.got, 0);
    ck_assert_int_ge(s.fd, 0);
    s.reading = true;
    mxd_loop_watch(loop, s.fd, MXD_EV_READ, sv_io, &s);
    uint64_t end = mxd_now_ms() + WAIT_MS;
    while ((o.sent == 0 || s.got < BIG) && mxd_now_ms() < end)
        mxd_loop_run_once(loop, 50);
    ck_assert_int_eq(o.sent, 1);
    ck_assert_uint_eq(s.got, BIG);
    ck_assert(s.pattern_ok);
    ck_assert_int_eq(o.failed, 0);
    API(&o, mxd_conn_close(o.c, NULL, NULL));
    done_with(&o);
    sv_stop(&s);
}
END_TEST

/* ================================================================ the peer ends it */

START_TEST(test_peer_closes_mid_stream)
{
    server s;
    sv_start(&s, SV_SAY_CLOSE, "250-half a rep", 0);
    owner o = { 0 };
    open_conn(&o, s.port, 3000);
    ck_assert(wait_for(&o.failed));
    ck_assert_str_eq(mxd_sb_str(&o.data), "250-half a rep"); /* the bytes came first */
    ck_assert_int_eq(o.err, MXD_CONN_CLOSED);
    ck_assert_str_eq(o.text, "the server closed the connection");
    /* after a failure: sends and deadlines are ignored, close still reports */
    API(&o, mxd_conn_send(o.c, "x", 1));
    API(&o, mxd_conn_deadline(o.c, 1));
    API(&o, mxd_conn_close(o.c, on_then, &o));
    API(&o, mxd_conn_close(o.c, on_then, &o)); /* a second close is ignored */
    ck_assert(wait_for(&o.then));
    for (int i = 0; i < 5; i++)
        mxd_loop_run_once(loop, 10);
    ck_assert_int_eq(o.then, 1);
    ck_assert_int_eq(o.expired + o.sent, 0);
    done_with(&o);
    sv_stop(&s);
}
END_TEST

START_TEST(test_peer_resets)
{
    server s;
    sv_start(&s, SV_RESET, NULL, 0);
    owner o = { 0 };
    o.send_on_connect = "EHLO x\r\n";
    open_conn(&o, s.port, 3000);
    ck_assert(wait_for(&o.failed));
    /* set up, then reset: whether the reset comes at the connect, at the send or
     * at the read is the kernel's business; it is a reset each time */
    ck_assert_msg(o.err == MXD_CONN_RESET, "%d %s", o.err, o.text);
    done_with(&o);
    sv_stop(&s);
}
END_TEST

START_TEST(test_free_cancels_pending_reports)
{
    server s;
    sv_start(&s, SV_SAY_CLOSE, "bye", 0);
    owner o = { 0 };
    open_conn(&o, s.port, 3000);
    ck_assert(wait_data(&o, 3));
    /* close with a `then`, and free before it runs: it never runs */
    API(&o, mxd_conn_close(o.c, on_then, &o));
    API(&o, mxd_conn_free(o.c));
    o.c = NULL;
    for (int i = 0; i < 5; i++)
        mxd_loop_run_once(loop, 10);
    ck_assert_int_eq(o.then, 0);
    done_with(&o);
    sv_stop(&s);
}
END_TEST

/* ================================================================ TLS */

static void starttls(owner *o, server *s, const char *instead, const char *host, unsigned flags)
{
    sv_start(s, SV_STARTTLS, instead, 0);
    o->send_on_connect = "STARTTLS\r\n";
    o->tls_on_go = true;
    o->tls_host = host;
    o->tls_flags = flags;
    open_conn(o, s->port, 3000);
}

START_TEST(test_tls_echo)
{
    server s;
    owner o = { 0 };
    o.send_on_secure = "ping over TLS\r\n";
    starttls(&o, &s, NULL, NAME, MXD_CONN_CHECK_HOST);
    ck_assert(wait_for(&o.secured));
    SSL *ssl = mxd_conn_ssl(o.c);
    ck_assert_ptr_nonnull(ssl);
    ck_assert_int_eq(SSL_get_verify_result(ssl), X509_V_OK);
    ck_assert_msg(strncmp(SSL_get_version(ssl), "TLSv1.", 6) == 0, "%s", SSL_get_version(ssl));
    ck_assert(wait_data(&o, 15));
    ck_assert_str_eq(mxd_sb_str(&o.data), "ping over TLS\r\n");
    /* a second switch is refused: the connection is TLS already */
    ck_assert_int_eq(mxd_conn_start_tls(o.c, cctx, NAME, 0), -1);
    API(&o, mxd_conn_close(o.c, NULL, NULL));
    done_with(&o);
    sv_stop(&s);
}
END_TEST

START_TEST(test_tls_wrong_name)
{
    server s;
    owner o = { 0 };
    starttls(&o, &s, NULL, "other.lab.test", MXD_CONN_CHECK_HOST);
    ck_assert(wait_for(&o.failed));
    ck_assert_int_eq(o.secured, 0);
    ck_assert_int_eq(o.err, MXD_CONN_TLS);
    ck_assert_msg(strstr(o.text, "certificate verify failed"), "%s", o.text);
    /* the SSL outlives the failure, so the owner can say why */
    ck_assert_int_eq(SSL_get_verify_result(mxd_conn_ssl(o.c)), X509_V_ERR_HOSTNAME_MISMATCH);
    done_with(&o);
    sv_stop(&s);
}
END_TEST

START_TEST(test_tls_name_not_checked)
{
    /* without MXD_CONN_CHECK_HOST the name is only sent (SNI): an inspection
     * completes and looks at the certificate itself */
    server s;
    owner o = { 0 };
    starttls(&o, &s, NULL, "other.lab.test", 0);
    ck_assert(wait_for(&o.secured));
    ck_assert_int_eq(SSL_get_verify_result(mxd_conn_ssl(o.c)), X509_V_OK);
    API(&o, mxd_conn_close(o.c, NULL, NULL));
    done_with(&o);
    sv_stop(&s);
}
END_TEST

START_TEST(test_tls_peer_closes_in_handshake)
{
    server s;
    owner o = { 0 };
    starttls(&o, &s, NULL, NAME, 0);
    s.close_after_go = true;
    ck_assert(wait_for(&o.failed));
    ck_assert_int_eq(o.secured, 0);
    ck_assert_msg(o.err == MXD_CONN_CLOSED || o.err == MXD_CONN_RESET, "%d", o.err);
    ck_assert_msg(strncmp(o.text, "the server closed the connection during the TLS handshake",
                          57) == 0, "%s", o.text);
    done_with(&o);
    sv_stop(&s);
}
END_TEST

START_TEST(test_tls_garbage)
{
    server s;
    owner o = { 0 };
    starttls(&o, &s, "HTTP/1.1 400 Bad Request\r\n\r\n", NAME, 0);
    ck_assert(wait_for(&o.failed));
    ck_assert_int_eq(o.secured, 0);
    ck_assert_int_eq(o.err, MXD_CONN_TLS);
    ck_assert_msg(strstr(o.text, "SSL routines"), "%s", o.text); /* OpenSSL's reason */
    done_with(&o);
    sv_stop(&s);
}
END_TEST

START_TEST(test_tls_injection_not_read_as_plain_text)
{
    /* 20 KB of plain text right behind "GO": more than one read takes. Once the
     * owner switched to TLS in the middle of the first read, the rest belongs to
     * the handshake (which fails on it), never to the owner as plain text. */
    server s;
    owner o = { 0 };
    starttls(&o, &s, NULL, NAME, 0);
    s.junk = 20000;
    ck_assert(wait_for(&o.failed));
    ck_assert_int_eq(o.secured, 0);
    ck_assert_uint_eq(o.data.len, 0);
    ck_assert_int_eq(o.err, MXD_CONN_TLS);
    done_with(&o);
    sv_stop(&s);
}
END_TEST

START_TEST(test_tls_setup_refused)
{
    server s;
    sv_start(&s, SV_SAY, "hi\r\n", 0);
    owner o = { 0 };
    open_conn(&o, s.port, 3000);
    /* not connected yet: no TLS */
    ck_assert_int_eq(mxd_conn_start_tls(o.c, cctx, NAME, 0), -1);
    ck_assert(wait_for(&o.connected));
    /* a name to check, but no name */
    ck_assert_int_eq(mxd_conn_start_tls(o.c, cctx, "", MXD_CONN_CHECK_HOST), -1);
    ck_assert_ptr_null(mxd_conn_ssl(o.c));
    ck_assert(wait_data(&o, 4)); /* the connection goes on as it was */
    API(&o, mxd_conn_close(o.c, NULL, NULL));
    done_with(&o);
    sv_stop(&s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("conn");
    TCase *tc = tcase_create("conn");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_refused);
    tcase_add_test(tc, test_connect_deadline);
    tcase_add_test(tc, test_open_fails_at_once);
    tcase_add_test(tc, test_greeting_and_local_address);
    tcase_add_test(tc, test_trickle_does_not_extend_deadline);
    tcase_add_test(tc, test_partial_writes);
    tcase_add_test(tc, test_peer_closes_mid_stream);
    tcase_add_test(tc, test_peer_resets);
    tcase_add_test(tc, test_free_cancels_pending_reports);
    tcase_add_test(tc, test_tls_echo);
    tcase_add_test(tc, test_tls_wrong_name);
    tcase_add_test(tc, test_tls_name_not_checked);
    tcase_add_test(tc, test_tls_peer_closes_in_handshake);
    tcase_add_test(tc, test_tls_garbage);
    tcase_add_test(tc, test_tls_injection_not_read_as_plain_text);
    tcase_add_test(tc, test_tls_setup_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* as main() does: OpenSSL writes with write() */
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
