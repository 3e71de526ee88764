/* conn.c — one client connection on the loop, TCP then optionally TLS (see conn.h).
 *
 * Owner callbacks come only from on_io and from timers. A failure found while
 * the owner is calling in (a connect refused at once, a watch that cannot be
 * registered) is reported from a zero-delay timer like every other failure, so
 * there is one path for all and no owner is ever re-entered.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "mxd/conn.h"
#include "mxd/strbuf.h"

typedef enum { C_CONNECTING, C_OPEN, C_HANDSHAKE, C_SECURE, C_FAILED, C_CLOSED } cstate;

struct mxd_conn {
    mxd_loop *loop;
    const mxd_conn_ops *ops;
    void *owner;
    int fd;
    cstate st;
    SSL *ssl;
    bool want_write;       /* the last SSL call waits until the socket is writable */
    bool write_waits_read; /* SSL_write waits for the peer's bytes (renegotiation) */
    mxd_sb outq;
    uint64_t deadline;     /* timer: the owner's deadline */
    uint64_t later;        /* timer: the failure report (C_FAILED) or `then` (C_CLOSED) */
    mxd_conn_err err;
    char text[256];
    void (*then)(void *);
    void *then_arg;
};

static void on_io(mxd_loop *loop, int fd, unsigned ev, void *arg);

static bool live(const mxd_conn *c) { return c->st != C_FAILED && c->st != C_CLOSED; }
static bool open_(const mxd_conn *c) { return c->st == C_OPEN || c->st == C_SECURE; }

static void stop_timer(mxd_conn *c, uint64_t *id)
{
    if (*id)
        mxd_loop_cancel(c->loop, *id);
    *id = 0;
}

static void drop_socket(mxd_conn *c)
{
    if (c->fd >= 0) {
        mxd_loop_unwatch(c->loop, c->fd);
        close(c->fd);
        c->fd = -1;
    }
}

static void on_later(mxd_loop *loop, void *arg)
{
    (void)loop;
    mxd_conn *c = arg;
    c->later = 0;
    if (c->st == C_CLOSED)
        c->then(c->then_arg);
    else
        c->ops->failed(c->owner, c->err, c->text);
}

/* Closes the socket at once; the SSL stays for SSL_get_verify_result. */
static void fail(mxd_conn *c, mxd_conn_err err, const char *text)
{
    if (!live(c))
        return;
    c->st = C_FAILED;
    c->err = err;
    snprintf(c->text, sizeof c->text, "%s", text);
    drop_socket(c);
    stop_timer(c, &c->deadline);
    c->later = mxd_loop_timer(c->loop, 0, on_later, c);
}

static mxd_conn_err of_errno(int e, mxd_conn_err other)
{
    return e == ECONNREFUSED               ? MXD_CONN_REFUSED
           : e == ETIMEDOUT                ? MXD_CONN_TIMEOUT
           : e == ECONNRESET || e == EPIPE ? MXD_CONN_RESET
                                           : other;
}

static void fail_errno(mxd_conn *c, int e, mxd_conn_err other)
{
    fail(c, of_errno(e, other), strerror(e));
}

/* What a failed SSL call means: e from SSL_get_error, sys the errno right after
 * it. why gets the detail: the errno text, OpenSSL's reason, or "" for a close. */
static mxd_conn_err ssl_failure(int e, int sys, char *why, size_t cap)
{
    mxd_conn_err err = MXD_CONN_TLS;
    unsigned long code = ERR_peek_error();
    why[0] = '\0';
    if (e == SSL_ERROR_SYSCALL && sys) {
        snprintf(why, cap, "%s", strerror(sys));
        err = of_errno(sys, MXD_CONN_IO);
    } else if (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL ||
               (e == SSL_ERROR_SSL && ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
        err = MXD_CONN_CLOSED; /* close_notify, or (OpenSSL 3) a TCP close without it */
    } else if (code) {
        ERR_error_string_n(code, why, cap);
    } else {
        snprintf(why, cap, "unknown reason");
    }
    ERR_clear_error();
    return err;
}

static void update_watch(mxd_conn *c)
{
    if (c->fd < 0)
        return;
    unsigned ev = MXD_EV_READ;
    if (c->st == C_CONNECTING)
        ev = MXD_EV_WRITE; /* connect() completes on writability */
    else if (c->want_write || (c->st != C_HANDSHAKE && c->outq.len && !c->write_waits_read))
        ev |= MXD_EV_WRITE;
    if (mxd_loop_watch(c->loop, c->fd, ev, on_io, c) < 0)
        fail(c, MXD_CONN_NOMEM, "out of memory");
}

static void check_connect(mxd_conn *c)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err == EINPROGRESS)
        return;
    if (err) {
        fail_errno(c, err, MXD_CONN_UNREACHABLE);
        return;
    }
    c->st = C_OPEN;
    if (c->ops->connected)
        c->ops->connected(c->owner);
}

static void handshake(mxd_conn *c)
{
    ERR_clear_error();
    errno = 0; /* a stale errno must not explain an EOF */
    int rc = SSL_connect(c->ssl);
    int e = SSL_get_error(c->ssl, rc), sys = errno;
    c->want_write = e == SSL_ERROR_WANT_WRITE;
    if (rc == 1) {
        c->st = C_SECURE;
        if (c->ops->secured)
            c->ops->secured(c->owner);
    } else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
        char why[200], text[300];
        mxd_conn_err err = ssl_failure(e, sys, why, sizeof why);
        snprintf(text, sizeof text, "the server closed the connection during the TLS handshake%s%s",
                 why[0] ? ": " : "", why);
        fail(c, err, err == MXD_CONN_TLS ? why : text);
    }
}

static void flush(mxd_conn *c)
{
    while (c->outq.len) {
        size_t want = c->outq.len > INT_MAX ? INT_MAX : c->outq.len;
        ssize_t n;
        if (c->ssl) {
            ERR_clear_error();
            errno = 0;
            n = SSL_write(c->ssl, c->outq.buf, (int)want);
            int e = SSL_get_error(c->ssl, (int)n), sys = errno;
            char why[200];
            c->want_write |= n <= 0 && e == SSL_ERROR_WANT_WRITE;
            c->write_waits_read |= n <= 0 && e == SSL_ERROR_WANT_READ;
            if (n <= 0 && e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
                fail(c, ssl_failure(e, sys, why, sizeof why),
                     "the TLS connection broke while sending");
        } else {
            n = send(c->fd, c->outq.buf, want, MSG_NOSIGNAL);
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                fail_errno(c, errno, MXD_CONN_IO);
        }
        if (n <= 0)
            return;
        mxd_sb_consume(&c->outq, (size_t)n);
    }
    if (c->ops->sent)
        c->ops->sent(c->owner);
}

/* Reads until the socket (and OpenSSL's buffer) is empty, handing every piece
 * to the owner, or until the owner changes the state (STARTTLS, close). */
static void read_all(mxd_conn *c)
{
    char buf[16384];
    for (cstate st = c->st; c->st == st;) {
        ssize_t n;
        if (c->ssl) {
            ERR_clear_error();
            errno = 0;
            n = SSL_read(c->ssl, buf, sizeof buf);
            int e = SSL_get_error(c->ssl, (int)n), sys = errno;
            char why[200];
            c->want_write |= n <= 0 && e == SSL_ERROR_WANT_WRITE;
            if (n <= 0 && e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
                mxd_conn_err err = ssl_failure(e, sys, why, sizeof why);
                fail(c, err, err == MXD_CONN_CLOSED ? "the server closed the connection" : why);
            }
        } else {
            n = recv(c->fd, buf, sizeof buf, 0);
            if (n == 0)
                fail(c, MXD_CONN_CLOSED, "the server closed the connection");
            else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                fail_errno(c, errno, MXD_CONN_IO);
        }
        if (n <= 0)
            return;
        if (c->ops->data)
            c->ops->data(c->owner, buf, (size_t)n);
    }
}

static void on_io(mxd_loop *loop, int fd, unsigned ev, void *arg)
{
    (void)loop;
    (void)fd;
    (void)ev; /* every step is non-blocking and harmless when not ready */
    mxd_conn *c = arg;
    if (c->st == C_CONNECTING)
        check_connect(c);
    else if (c->st == C_HANDSHAKE)
        handshake(c);
    if (open_(c)) {
        c->want_write = c->write_waits_read = false;
        if (c->outq.len)
            flush(c);
        if (open_(c))
            read_all(c);
        /* what the owner queued while reading goes out now, not a turn later */
        if (open_(c) && c->outq.len && !c->want_write)
            flush(c);
    }
    update_watch(c);
}

static void on_deadline(mxd_loop *loop, void *arg)
{
    (void)loop;
    mxd_conn *c = arg;
    c->deadline = 0;
    c->ops->expired(c->owner);
}

mxd_conn *mxd_conn_open(mxd_loop *loop, const mxd_addr *addr, unsigned port, unsigned timeout_ms,
                        const mxd_conn_ops *ops, void *owner)
{
    mxd_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->loop = loop;
    c->ops = ops;
    c->owner = owner;
    c->st = C_CONNECTING;
    bool v6 = addr->family == AF_INET6;
    struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
    struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    memcpy(&s6.sin6_addr, addr->bytes, 16);
    memcpy(&s4.sin_addr, addr->bytes, 4);
    c->fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        fail_errno(c, errno, MXD_CONN_UNREACHABLE);
        return c;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, v6 ? (struct sockaddr *)&s6 : (struct sockaddr *)&s4,
                v6 ? sizeof s6 : sizeof s4) < 0 && errno != EINPROGRESS) {
        fail_errno(c, errno, MXD_CONN_UNREACHABLE);
        return c;
    }
    mxd_conn_deadline(c, timeout_ms);
    update_watch(c);
    return c;
}

void mxd_conn_deadline(mxd_conn *c, unsigned timeout_ms)
{
    if (!live(c))
        return;
    stop_timer(c, &c->deadline);
    c->deadline = mxd_loop_timer(c->loop, timeout_ms, on_deadline, c);
}

void mxd_conn_send(mxd_conn *c, const void *data, size_t len)
{
    if (!live(c))
        return;
    mxd_sb_append(&c->outq, data, len);
    if (!mxd_sb_ok(&c->outq))
        fail(c, MXD_CONN_NOMEM, "out of memory");
    update_watch(c);
}

int mxd_conn_start_tls(mxd_conn *c, SSL_CTX *ctx, const char *host, unsigned flags)
{
    if (c->st != C_OPEN)
        return -1;
    bool named = host && host[0], check = flags & MXD_CONN_CHECK_HOST;
    ERR_clear_error();
    c->ssl = SSL_new(ctx);
    /* SNI is a courtesy unless the name is checked: a name OpenSSL will not send
     * (over 255 bytes) must not stop an SMTP inspection. */
    if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1 ||
        (named && SSL_set_tlsext_host_name(c->ssl, host) != 1 && check) ||
        (check && (!named || SSL_set1_host(c->ssl, host) != 1))) {
        SSL_free(c->ssl);
        c->ssl = NULL;
        ERR_clear_error();
        return -1;
    }
    ERR_clear_error();
    SSL_set_mode(c->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_set_connect_state(c->ssl);
    c->st = C_HANDSHAKE;
    c->want_write = true; /* the first step (ClientHello) runs from the loop */
    update_watch(c);
    return 0;
}

SSL *mxd_conn_ssl(const mxd_conn *c) { return c->ssl; }

int mxd_conn_local(const mxd_conn *c, mxd_addr *out)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (!open_(c) && c->st != C_HANDSHAKE)
        return -1;
    if (getsockname(c->fd, (struct sockaddr *)&ss, &sl) < 0 ||
        (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
        return -1;
    memset(out, 0, sizeof *out);
    out->family = ss.ss_family;
    if (out->family == AF_INET6)
        memcpy(out->bytes, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
    else
        memcpy(out->bytes, &((struct sockaddr_in *)&ss)->sin_addr, 4);
    inet_ntop(out->family, out->bytes, out->text, sizeof out->text);
    return 0;
}

void mxd_conn_close(mxd_conn *c, void (*then)(void *arg), void *arg)
{
    if (c->st == C_CLOSED)
        return;
    c->st = C_CLOSED;
    stop_timer(c, &c->deadline);
    stop_timer(c, &c->later);
    drop_socket(c);
    c->then = then;
    c->then_arg = arg;
    if (then)
        c->later = mxd_loop_timer(c->loop, 0, on_later, c);
}

void mxd_conn_free(mxd_conn *c)
{
    if (!c)
        return;
    stop_timer(c, &c->deadline);
    stop_timer(c, &c->later);
    drop_socket(c);
    SSL_free(c->ssl);
    ERR_clear_error();
    mxd_sb_free(&c->outq);
    free(c);
}
