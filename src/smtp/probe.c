/* probe.c — the SMTP probe state machine (see smtpprobe.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "mxd/sanitize.h"
#include "mxd/smtpprobe.h"
#include "mxd/smtpreply.h"
#include "mxd/tls.h"
#include "mxd/strbuf.h"

#define TRANSCRIPT_MAX 16384

typedef enum {
    ST_CONNECT, ST_GREETING, ST_EHLO, ST_HELO, ST_STARTTLS, ST_TLS, ST_EHLO2, ST_QUIT
} pstate;

struct mxd_smtp_probe {
    mxd_loop *loop;
    SSL_CTX *ctx;
    SSL *ssl;
    int fd;
    pstate st;
    uint64_t timer;
    uint64_t started;
    unsigned timeout_ms;
    char host[MXD_NAME_MAX];
    char ehlo[256];
    mxd_smtp *out;
    mxd_smtp_end end_after_quit; /* what the conversation concluded before QUIT */
    mxd_sb in, outq, transcript;
    bool want_write;             /* TLS asked to wait for writability */
    bool finished;
    /* certificate verification, collected by the callback */
    int chain_error;
    void (*done)(void *);
    void *arg;
};

static int ex_index = -1;

/* ---- TLS context ---- */

static int verify_cb(int ok, X509_STORE_CTX *x)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
    mxd_smtp_probe *p = ssl ? SSL_get_ex_data(ssl, ex_index) : NULL;
    if (!ok && p) {
        int err = X509_STORE_CTX_get_error(x);
        /* Time problems are reported on their own; they do not make a chain untrusted. */
        if (err != X509_V_ERR_CERT_HAS_EXPIRED && err != X509_V_ERR_CERT_NOT_YET_VALID &&
            p->chain_error == 0)
            p->chain_error = err;
    }
    return 1; /* finish the handshake anyway: we inspect, we do not send mail */
}

SSL_CTX *mxd_tls_client_ctx(const X509 *extra_ca)
{
    /* One context per process and trust anchor: a batch of a thousand domains
     * should not build a thousand trust stores. Callers own a reference. */
    static SSL_CTX *shared;
    static const X509 *shared_ca;
    if (shared && shared_ca == extra_ca && SSL_CTX_up_ref(shared) == 1)
        return shared;
    if (ex_index < 0)
        ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx)
        return NULL;
    mxd_tls_load_trust(ctx, extra_ca);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_cb);
    /* Idle connections give their record buffers back, and what we send
     * (SMTP commands, one HTTP request) never needs 16 KiB records: a
     * diagnosis of many MX hosts holds many handshakes at once. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_max_send_fragment(ctx, 1024);
    SSL_CTX_free(shared); /* the cache's own reference to an older one */
    shared = ctx;
    shared_ca = extra_ca;
    SSL_CTX_up_ref(ctx);
    return ctx;
}

/* ---- helpers ---- */

static void io_cb(mxd_loop *loop, int fd, unsigned ev, void *arg);
static void on_timeout(mxd_loop *loop, void *arg);

static void note(mxd_smtp_probe *p, const char *who, const char *line, size_t len)
{
    if (p->transcript.len >= TRANSCRIPT_MAX)
        return;
    char *clean = mxd_sanitize(line, len, 0, 600);
    mxd_sb_puts(&p->transcript, who);
    mxd_sb_puts(&p->transcript, clean ? clean : "");
    mxd_sb_putc(&p->transcript, '\n');
    free(clean);
    if (p->transcript.len >= TRANSCRIPT_MAX)
        mxd_sb_puts(&p->transcript, "(transcript cut)\n");
}

static void rearm(mxd_smtp_probe *p)
{
    if (p->timer)
        mxd_loop_cancel(p->loop, p->timer);
    p->timer = mxd_loop_timer(p->loop, p->timeout_ms, on_timeout, p);
}

static void update_watch(mxd_smtp_probe *p)
{
    unsigned ev = MXD_EV_READ;
    if (p->st == ST_CONNECT || p->outq.len || p->want_write)
        ev |= MXD_EV_WRITE;
    mxd_loop_watch(p->loop, p->fd, ev, io_cb, p);
}

static void release(mxd_smtp_probe *p)
{
    if (p->timer)
        mxd_loop_cancel(p->loop, p->timer);
    if (p->fd >= 0) {
        mxd_loop_unwatch(p->loop, p->fd);
        close(p->fd);
    }
    if (p->ssl)
        SSL_free(p->ssl);
    mxd_sb_free(&p->in);
    mxd_sb_free(&p->outq);
    mxd_sb_free(&p->transcript);
    free(p);
}

/* Ends the conversation: records the outcome, hands the transcript over, and
 * reports completion from a fresh loop turn so callers never see re-entrancy. */
static void deliver(mxd_loop *loop, void *arg)
{
    (void)loop;
    mxd_smtp_probe *p = arg;
    void (*done)(void *) = p->done;
    void *darg = p->arg;
    p->timer = 0;
    release(p);
    done(darg);
}

static void finish(mxd_smtp_probe *p, mxd_smtp_end end, const char *error)
{
    if (p->finished)
        return;
    p->finished = true;
    mxd_smtp *o = p->out;
    o->end = end;
    if (error && !o->error[0])
        mxd_sanitize_into(o->error, sizeof o->error, error);
    o->total_ms = (uint32_t)(mxd_now_ms() - p->started);
    o->state = MXD_SMTP_DONE;
    o->transcript = mxd_sb_take(&p->transcript);
    if (p->fd >= 0) {
        mxd_loop_unwatch(p->loop, p->fd);
        close(p->fd);
        p->fd = -1;
    }
    if (p->timer)
        mxd_loop_cancel(p->loop, p->timer);
    p->timer = mxd_loop_timer(p->loop, 0, deliver, p);
}

static void flush(mxd_smtp_probe *p);

static void send_cmd(mxd_smtp_probe *p, pstate next, const char *cmd)
{
    note(p, "C: ", cmd, strlen(cmd));
    mxd_sb_puts(&p->outq, cmd);
    mxd_sb_puts(&p->outq, "\r\n");
    p->st = next;
    rearm(p);
    flush(p);
}

static void quit(mxd_smtp_probe *p, mxd_smtp_end end_after)
{
    p->end_after_quit = end_after;
    send_cmd(p, ST_QUIT, "QUIT");
}

static const char *ssl_error_text(char *buf, size_t cap)
{
    unsigned long e = ERR_get_error();
    if (!e)
        return "the TLS connection failed";
    ERR_error_string_n(e, buf, cap);
    ERR_clear_error();
    return buf;
}

/* ---- certificate inspection ---- */

static time_t asn1_to_time(const ASN1_TIME *t)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return timegm(&tm);
}

static void inspect_cert(mxd_smtp_probe *p)
{
    mxd_cert *c = &p->out->cert;
    X509 *cert = SSL_get1_peer_certificate(p->ssl);
    if (!cert)
        return;
    c->present = true;
    c->verify_error = p->chain_error;
    c->trusted = p->chain_error == 0;
    if (p->chain_error)
        mxd_sanitize_into(c->verify_text, sizeof c->verify_text,
                   X509_verify_cert_error_string(p->chain_error));
    c->name_matches = X509_check_host(cert, p->host, 0, 0, NULL) == 1;
    c->expired = X509_cmp_current_time(X509_get0_notAfter(cert)) < 0;
    c->not_yet_valid = X509_cmp_current_time(X509_get0_notBefore(cert)) > 0;
    c->self_signed = X509_check_issued(cert, cert) == X509_V_OK;
    c->not_before = asn1_to_time(X509_get0_notBefore(cert));
    c->not_after = asn1_to_time(X509_get0_notAfter(cert));
    char buf[512];
    X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
    mxd_sanitize_into(c->subject, sizeof c->subject, buf);
    X509_NAME_oneline(X509_get_issuer_name(cert), buf, sizeof buf);
    mxd_sanitize_into(c->issuer, sizeof c->issuer, buf);
    GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    mxd_sb names = MXD_SB_INIT;
    for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans) && names.len < 400; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
        if (g->type != GEN_DNS)
            continue;
        const unsigned char *d = ASN1_STRING_get0_data(g->d.dNSName);
        int dl = ASN1_STRING_length(g->d.dNSName);
        if (names.len)
            mxd_sb_puts(&names, ", ");
        mxd_sb_append(&names, d, (size_t)(dl > 0 ? dl : 0));
    }
    GENERAL_NAMES_free(sans);
    char *clean = mxd_sanitize(mxd_sb_str(&names), names.len, 0, sizeof c->names - 1);
    snprintf(c->names, sizeof c->names, "%s", clean ? clean : "");
    free(clean);
    mxd_sb_free(&names);
    X509_free(cert);
}

/* ---- the conversation ---- */

static void free_ext(mxd_smtp *o)
{
    for (size_t i = 0; i < o->n_ext; i++)
        free(o->ext[i]);
    free(o->ext);
    o->ext = NULL;
    o->n_ext = 0;
}

static void take_ext(mxd_smtp *o, const mxd_smtp_reply *r)
{
    free_ext(o);
    if (r->nlines < 2)
        return;
    o->ext = calloc(r->nlines - 1, sizeof *o->ext);
    if (!o->ext)
        return;
    for (size_t i = 1; i < r->nlines; i++) {
        char *e = mxd_sanitize(r->lines[i], r->lens[i], 0, 200);
        if (e)
            o->ext[o->n_ext++] = e;
    }
}

static bool has_ext(const mxd_smtp *o, const char *kw)
{
    size_t n = strlen(kw);
    for (size_t i = 0; i < o->n_ext; i++)
        if (strncasecmp(o->ext[i], kw, n) == 0 && (o->ext[i][n] == '\0' || o->ext[i][n] == ' '))
            return true;
    return false;
}

static void start_tls(mxd_smtp_probe *p);

static void on_reply(mxd_smtp_probe *p, const mxd_smtp_reply *r)
{
    mxd_smtp *o = p->out;
    char cmd[300];
    switch (p->st) {
    case ST_GREETING:
        o->greeting_code = r->code;
        mxd_sanitize_into_n(o->greeting, sizeof o->greeting, r->nlines ? r->lines[0] : "",
                     r->nlines ? r->lens[0] : 0);
        if (r->code / 100 == 2) {
            snprintf(cmd, sizeof cmd, "EHLO %s", p->ehlo);
            send_cmd(p, ST_EHLO, cmd);
        } else if (r->code / 100 == 4) {
            quit(p, MXD_SMTP_END_GREETING_TEMPFAIL);
        } else if (r->code / 100 == 5) {
            quit(p, MXD_SMTP_END_GREETING_REJECT);
        } else {
            finish(p, MXD_SMTP_END_PROTOCOL, "unexpected greeting code");
        }
        break;
    case ST_EHLO:
        o->ehlo_code = r->code;
        if (r->code == 250) {
            take_ext(o, r);
            o->starttls_offered = has_ext(o, "STARTTLS");
            if (o->starttls_offered && p->ctx)
                send_cmd(p, ST_STARTTLS, "STARTTLS");
            else
                quit(p, MXD_SMTP_END_OK);
        } else {
            snprintf(cmd, sizeof cmd, "HELO %s", p->ehlo);
            send_cmd(p, ST_HELO, cmd);
        }
        break;
    case ST_HELO:
        quit(p, MXD_SMTP_END_OK);
        break;
    case ST_STARTTLS:
        o->starttls_code = r->code;
        if (r->code == 220) {
            o->tls_attempted = true;
            start_tls(p);
        } else {
            quit(p, MXD_SMTP_END_OK);
        }
        break;
    case ST_EHLO2:
        o->ehlo2_code = r->code;
        if (r->code == 250)
            take_ext(o, r);
        quit(p, MXD_SMTP_END_OK);
        break;
    case ST_QUIT:
        o->quit_code = r->code;
        finish(p, p->end_after_quit, NULL);
        break;
    case ST_CONNECT:
    case ST_TLS:
        break;
    }
}

static void parse_input(mxd_smtp_probe *p)
{
    while (!p->finished && p->st != ST_TLS && p->in.len) {
        mxd_smtp_reply r;
        size_t used = 0;
        mxd_reply_status s = mxd_smtp_reply_parse(p->in.buf, p->in.len, &r, &used);
        if (s == MXD_REPLY_NEED_MORE)
            return;
        if (s != MXD_REPLY_OK) {
            note(p, "S: ", p->in.buf, p->in.len > 200 ? 200 : p->in.len);
            finish(p, MXD_SMTP_END_PROTOCOL,
                   s == MXD_REPLY_TOO_LONG ? "reply too long" : "not an SMTP reply");
            return;
        }
        for (size_t i = 0; i < r.nlines; i++) {
            char line[MXD_SMTP_MAX_LINE + 8];
            snprintf(line, sizeof line, "%d%c", r.code, i + 1 < r.nlines ? '-' : ' ');
            memcpy(line + 4, r.lines[i], r.lens[i]); /* lens[i] <= MXD_SMTP_MAX_LINE */
            note(p, "S: ", line, 4 + r.lens[i]);
        }
        mxd_sb_consume(&p->in, used);
        if (p->st == ST_STARTTLS && r.code == 220 && p->in.len) {
            /* Anything after the 220 was sent before TLS: a plaintext injection. */
            p->out->injected_bytes = p->in.len;
            note(p, "!: ", "bytes after 220 to STARTTLS discarded", 38);
            mxd_sb_clear(&p->in);
        }
        on_reply(p, &r);
        mxd_smtp_reply_free(&r);
    }
}

static void tls_step(mxd_smtp_probe *p)
{
    ERR_clear_error();
    int rc = SSL_connect(p->ssl);
    if (rc == 1) {
        mxd_smtp *o = p->out;
        o->tls_ok = true;
        p->want_write = false;
        snprintf(o->tls_version, sizeof o->tls_version, "%s", SSL_get_version(p->ssl));
        snprintf(o->tls_cipher, sizeof o->tls_cipher, "%s", SSL_get_cipher_name(p->ssl));
        inspect_cert(p);
        note(p, "!: ", "TLS established", 15);
        free_ext(o); /* capabilities from before TLS no longer count */
        char cmd[300];
        snprintf(cmd, sizeof cmd, "EHLO %s", p->ehlo);
        send_cmd(p, ST_EHLO2, cmd);
        return;
    }
    int e = SSL_get_error(p->ssl, rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        p->want_write = e == SSL_ERROR_WANT_WRITE;
        update_watch(p);
        return;
    }
    char buf[256];
    const char *why = e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN
                          ? "the server closed the connection during the TLS handshake"
                          : ssl_error_text(buf, sizeof buf);
    note(p, "!: ", why, strlen(why));
    finish(p, MXD_SMTP_END_TLS_FAILED, why);
}

static void start_tls(mxd_smtp_probe *p)
{
    p->st = ST_TLS;
    rearm(p);
    p->ssl = SSL_new(p->ctx);
    if (!p->ssl || SSL_set_fd(p->ssl, p->fd) != 1) {
        finish(p, MXD_SMTP_END_TLS_FAILED, "could not start TLS");
        return;
    }
    SSL_set_ex_data(p->ssl, ex_index, p);
    if (p->host[0])
        SSL_set_tlsext_host_name(p->ssl, p->host);
    tls_step(p);
}

static void flush(mxd_smtp_probe *p)
{
    while (!p->finished && p->outq.len) {
        ssize_t n;
        if (p->ssl) {
            ERR_clear_error();
            int rc = SSL_write(p->ssl, p->outq.buf, (int)p->outq.len);
            if (rc <= 0) {
                int e = SSL_get_error(p->ssl, rc);
                if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
                    break;
                finish(p, MXD_SMTP_END_CLOSED, "the TLS connection broke while sending");
                return;
            }
            n = rc;
        } else {
            n = send(p->fd, p->outq.buf, p->outq.len, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                    break;
                finish(p, MXD_SMTP_END_CLOSED, strerror(errno));
                return;
            }
        }
        mxd_sb_consume(&p->outq, (size_t)n);
    }
    if (!p->finished)
        update_watch(p);
}

static void read_input(mxd_smtp_probe *p)
{
    char buf[4096];
    for (;;) {
        ssize_t n;
        if (p->ssl) {
            ERR_clear_error();
            int rc = SSL_read(p->ssl, buf, sizeof buf);
            if (rc <= 0) {
                int e = SSL_get_error(p->ssl, rc);
                if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                    break;
                n = e == SSL_ERROR_ZERO_RETURN ? 0 : -1;
                if (n < 0)
                    errno = ECONNRESET;
            } else {
                n = rc;
            }
        } else {
            n = recv(p->fd, buf, sizeof buf, 0);
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
                break;
        }
        if (n <= 0) {
            if (p->st == ST_QUIT) {
                finish(p, p->end_after_quit, NULL);
            } else {
                parse_input(p); /* a reply may be complete just before the close */
                finish(p, MXD_SMTP_END_CLOSED,
                       n == 0 ? "the server closed the connection" : strerror(errno));
            }
            return;
        }
        if (p->in.len + (size_t)n > MXD_SMTP_MAX_REPLY + MXD_SMTP_MAX_LINE) {
            finish(p, MXD_SMTP_END_PROTOCOL, "reply too long");
            return;
        }
        mxd_sb_append(&p->in, buf, (size_t)n);
        parse_input(p);
        if (p->finished || p->st == ST_TLS)
            return;
    }
    if (p->st == ST_TLS)
        return;
}

static void on_connected(mxd_smtp_probe *p)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err) {
        mxd_smtp_end end = err == ECONNREFUSED ? MXD_SMTP_END_REFUSED
                           : err == ETIMEDOUT  ? MXD_SMTP_END_CONNECT_TIMEOUT
                                               : MXD_SMTP_END_UNREACHABLE;
        finish(p, end, strerror(err));
        return;
    }
    p->out->connect_ms = (uint32_t)(mxd_now_ms() - p->started);
    note(p, "!: ", "connected", 9);
    if (!p->ehlo[0]) {
        /* No name given: greet with our own address literal (RFC 5321 §4.1.3),
         * which is always syntactically valid, unlike a guessed host name. */
        struct sockaddr_storage me = { .ss_family = AF_INET };
        socklen_t ml = sizeof me;
        char a[INET6_ADDRSTRLEN] = "127.0.0.1";
        if (getsockname(p->fd, (struct sockaddr *)&me, &ml) == 0) {
            if (me.ss_family == AF_INET6)
                inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&me)->sin6_addr, a, sizeof a);
            else
                inet_ntop(AF_INET, &((struct sockaddr_in *)&me)->sin_addr, a, sizeof a);
        }
        snprintf(p->ehlo, sizeof p->ehlo, me.ss_family == AF_INET6 ? "[IPv6:%s]" : "[%s]", a);
    }
    p->st = ST_GREETING;
    rearm(p);
    update_watch(p);
}

static void io_cb(mxd_loop *loop, int fd, unsigned ev, void *arg)
{
    (void)loop;
    (void)fd;
    mxd_smtp_probe *p = arg;
    if (p->finished)
        return;
    if (p->st == ST_CONNECT) {
        on_connected(p);
        return;
    }
    if (p->st == ST_TLS) {
        tls_step(p);
        return;
    }
    if ((ev & MXD_EV_WRITE) && p->outq.len)
        flush(p);
    if (!p->finished && (ev & (MXD_EV_READ | MXD_EV_ERROR)))
        read_input(p);
}

static void on_timeout(mxd_loop *loop, void *arg)
{
    (void)loop;
    mxd_smtp_probe *p = arg;
    p->timer = 0;
    switch (p->st) {
    case ST_CONNECT: finish(p, MXD_SMTP_END_CONNECT_TIMEOUT, "no answer to the connection"); break;
    case ST_GREETING:
        note(p, "!: ", "no greeting", 11);
        finish(p, MXD_SMTP_END_GREETING_TIMEOUT, "no greeting in time");
        break;
    case ST_QUIT: finish(p, p->end_after_quit, NULL); break;
    case ST_TLS: finish(p, MXD_SMTP_END_TLS_FAILED, "the TLS handshake timed out"); break;
    default:
        note(p, "!: ", "no reply in time", 16);
        finish(p, MXD_SMTP_END_REPLY_TIMEOUT, "no reply in time");
        break;
    }
}

mxd_smtp_probe *mxd_smtp_probe_start(mxd_loop *loop, SSL_CTX *ctx, const mxd_addr *addr,
                                     unsigned port, const char *host, const char *ehlo_name,
                                     unsigned timeout_ms, mxd_smtp *out,
                                     void (*done)(void *), void *arg)
{
    mxd_smtp_probe *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->loop = loop;
    p->ctx = ctx;
    p->fd = -1;
    p->timeout_ms = timeout_ms;
    p->out = out;
    p->done = done;
    p->arg = arg;
    p->started = mxd_now_ms();
    snprintf(p->host, sizeof p->host, "%s", host);
    snprintf(p->ehlo, sizeof p->ehlo, "%s", ehlo_name ? ehlo_name : "");
    out->state = MXD_SMTP_RUNNING;
    p->st = ST_CONNECT;

    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof ss);
    if (addr->family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        memcpy(&s6->sin6_addr, addr->bytes, 16);
        sl = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        memcpy(&s4->sin_addr, addr->bytes, 4);
        sl = sizeof *s4;
    }
    p->fd = socket(addr->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p->fd < 0) {
        finish(p, MXD_SMTP_END_UNREACHABLE, strerror(errno));
        return p;
    }
    int one = 1;
    setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    note(p, "!: ", "connecting", 10);
    if (connect(p->fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
        int e = errno;
        finish(p, e == ECONNREFUSED ? MXD_SMTP_END_REFUSED : MXD_SMTP_END_UNREACHABLE,
               strerror(e));
        return p;
    }
    rearm(p);
    update_watch(p);
    return p;
}

void mxd_smtp_probe_cancel(mxd_smtp_probe *p)
{
    if (!p)
        return;
    if (!p->finished) {
        p->out->state = MXD_SMTP_DONE;
        p->out->end = p->st == ST_CONNECT ? MXD_SMTP_END_CONNECT_TIMEOUT
                      : p->st == ST_GREETING ? MXD_SMTP_END_GREETING_TIMEOUT
                                              : MXD_SMTP_END_REPLY_TIMEOUT;
        snprintf(p->out->error, sizeof p->out->error, "stopped: the run's time bound was reached");
        p->out->total_ms = (uint32_t)(mxd_now_ms() - p->started);
        p->out->transcript = mxd_sb_take(&p->transcript);
    }
    release(p);
}
