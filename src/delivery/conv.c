/* conv.c — the SMTP conversation of the recipient check and the test message
 * (see delivery.h).
 *
 * The same care as the probe (src/smtp/probe.c): non-blocking on the shared
 * loop, every step bounded by its own timeout, replies parsed with the bounded
 * parser (smtpreply.h), everything from the server sanitised before it is
 * stored, and after the 220 to STARTTLS any byte already received is dropped
 * (CVE-2011-0411) and the capabilities are asked for again.
 * It goes further than the probe, to MAIL and RCPT, and for the test message
 * to DATA; a recipient check ends with RSET and QUIT and never sends DATA.
 * Nothing is pipelined: one command, one reply, so each reply is explained
 * against the command it answers.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "mxd/delivery.h"
#include "mxd/sanitize.h"
#include "mxd/smtpreply.h"
#include "mxd/strbuf.h"

#define TRANSCRIPT_MAX 16384

typedef enum {
    ST_CONNECT, ST_GREETING, ST_EHLO, ST_HELO, ST_STARTTLS, ST_TLS, ST_EHLO2, ST_MAIL, ST_RCPT,
    ST_DATA, ST_MESSAGE, ST_RSET, ST_QUIT
} cstate;

struct mxd_conv {
    mxd_loop *loop;
    SSL_CTX *ctx;
    SSL *ssl;
    int fd;
    cstate st;
    mxd_conv_kind kind;
    bool use_tls;
    bool decided;            /* the outcome is known; what follows is only politeness */
    bool eightbit_offered;
    bool finished;
    bool want_write;
    uint64_t timer, started;
    unsigned timeout_ms;
    char host[MXD_NAME_MAX];
    char ehlo[256];
    mxd_conv_result *out;
    mxd_sb in, outq, transcript;
    void (*done)(void *);
    void *arg;
};

const char *mxd_conv_outcome_name(mxd_conv_outcome o)
{
    static const char *const n[] = { "accepted", "rejected", "tempfail", "failed", "not_tried" };
    return (unsigned)o < sizeof n / sizeof n[0] ? n[o] : "?";
}

const char *mxd_conv_stage_name(mxd_conv_stage s)
{
    static const char *const n[] = { "connect", "greeting", "ehlo", "starttls", "tls", "mail",
                                     "rcpt",    "data",     "message", "rset", "quit" };
    return (unsigned)s < sizeof n / sizeof n[0] ? n[s] : "?";
}

void mxd_conv_result_free(mxd_conv_result *c)
{
    if (!c)
        return;
    free(c->transcript);
    memset(c, 0, sizeof *c);
}

static mxd_conv_stage stage_of(cstate s)
{
    switch (s) {
    case ST_CONNECT: return MXD_STAGE_CONNECT;
    case ST_GREETING: return MXD_STAGE_GREETING;
    case ST_EHLO:
    case ST_HELO:
    case ST_EHLO2: return MXD_STAGE_EHLO;
    case ST_STARTTLS: return MXD_STAGE_STARTTLS;
    case ST_TLS: return MXD_STAGE_TLS;
    case ST_MAIL: return MXD_STAGE_MAIL;
    case ST_RCPT: return MXD_STAGE_RCPT;
    case ST_DATA: return MXD_STAGE_DATA;
    case ST_MESSAGE: return MXD_STAGE_MESSAGE;
    case ST_RSET: return MXD_STAGE_RSET;
    case ST_QUIT: return MXD_STAGE_QUIT;
    }
    return MXD_STAGE_CONNECT;
}

/* ---- helpers ---------------------------------------------------------------- */

static void io_cb(mxd_loop *loop, int fd, unsigned ev, void *arg);
static void on_timeout(mxd_loop *loop, void *arg);
static void flush(mxd_conv *c);

static void note(mxd_conv *c, const char *who, const char *line, size_t len)
{
    if (c->transcript.len >= TRANSCRIPT_MAX)
        return;
    char *clean = mxd_sanitize(line, len, 0, 600);
    mxd_sb_puts(&c->transcript, who);
    mxd_sb_puts(&c->transcript, clean ? clean : "");
    mxd_sb_putc(&c->transcript, '\n');
    free(clean);
    if (c->transcript.len >= TRANSCRIPT_MAX)
        mxd_sb_puts(&c->transcript, "(transcript cut)\n");
}

static void rearm(mxd_conv *c)
{
    if (c->timer)
        mxd_loop_cancel(c->loop, c->timer);
    c->timer = mxd_loop_timer(c->loop, c->timeout_ms, on_timeout, c);
}

static void update_watch(mxd_conv *c)
{
    unsigned ev = MXD_EV_READ;
    if (c->st == ST_CONNECT || c->outq.len || c->want_write)
        ev |= MXD_EV_WRITE;
    mxd_loop_watch(c->loop, c->fd, ev, io_cb, c);
}

static void release(mxd_conv *c)
{
    if (c->timer)
        mxd_loop_cancel(c->loop, c->timer);
    if (c->fd >= 0) {
        mxd_loop_unwatch(c->loop, c->fd);
        close(c->fd);
    }
    if (c->ssl)
        SSL_free(c->ssl);
    mxd_sb_free(&c->in);
    mxd_sb_free(&c->outq);
    mxd_sb_free(&c->transcript);
    free(c);
}

static void deliver(mxd_loop *loop, void *arg)
{
    (void)loop;
    mxd_conv *c = arg;
    void (*done)(void *) = c->done;
    void *darg = c->arg;
    c->timer = 0;
    release(c);
    done(darg);
}

/* Ends the conversation. Without a decision, it failed at the current stage for
 * `reason`. done() follows from a fresh loop turn, so callers never re-enter. */
static void finish(mxd_conv *c, const char *reason, const char *error)
{
    if (c->finished)
        return;
    c->finished = true;
    mxd_conv_result *o = c->out;
    if (!c->decided) {
        o->outcome = MXD_CONV_FAILED;
        o->stage = stage_of(c->st);
        snprintf(o->reason, sizeof o->reason, "%s", reason ? reason : "closed");
        if (error && !o->error[0])
            mxd_sanitize_into(o->error, sizeof o->error, error);
    }
    o->state = MXD_CONV_DONE;
    o->total_ms = (uint32_t)(mxd_now_ms() - c->started);
    o->transcript = mxd_sb_take(&c->transcript);
    if (c->fd >= 0) {
        mxd_loop_unwatch(c->loop, c->fd);
        close(c->fd);
        c->fd = -1;
    }
    if (c->timer)
        mxd_loop_cancel(c->loop, c->timer);
    c->timer = mxd_loop_timer(c->loop, 0, deliver, c);
}

static void send_raw(mxd_conv *c, cstate next, const char *data, size_t len)
{
    mxd_sb_append(&c->outq, data, len);
    c->st = next;
    rearm(c);
    flush(c);
}

static void send_cmd(mxd_conv *c, cstate next, const char *cmd)
{
    note(c, "C: ", cmd, strlen(cmd));
    mxd_sb_puts(&c->outq, cmd);
    mxd_sb_puts(&c->outq, "\r\n");
    c->st = next;
    rearm(c);
    flush(c);
}

/* "5.1.1" at the start of text, when its class matches the reply code's. */
static void enhanced_of(const char *text, size_t len, int code, char *out, size_t cap)
{
    out[0] = '\0';
    size_t i = 0, parts = 0, digits = 0;
    if (len < 5 || text[0] - '0' != code / 100)
        return;
    for (; i < len && i < 15; i++) {
        char ch = text[i];
        if (isdigit((unsigned char)ch)) {
            if (++digits > 3)
                return;
        } else if (ch == '.' && digits && parts < 2) {
            parts++;
            digits = 0;
        } else {
            break;
        }
    }
    if (parts != 2 || !digits || (i < len && text[i] != ' '))
        return;
    snprintf(out, cap, "%.*s", (int)i, text);
}

/* Keeps the reply that decided: code, enhanced code, lines joined by " / ". */
static void keep_reply(mxd_conv *c, const mxd_smtp_reply *r)
{
    mxd_conv_result *o = c->out;
    o->code = r->code;
    enhanced_of(r->nlines ? r->lines[0] : "", r->nlines ? r->lens[0] : 0, r->code, o->enhanced,
                sizeof o->enhanced);
    mxd_sb sb = MXD_SB_INIT;
    for (size_t i = 0; i < r->nlines; i++) {
        if (i)
            mxd_sb_puts(&sb, " / ");
        mxd_sb_append(&sb, r->lines[i], r->lens[i]);
    }
    char *clean = mxd_sanitize(mxd_sb_str(&sb), sb.len, 0, sizeof o->text - 1);
    snprintf(o->text, sizeof o->text, "%s", clean ? clean : "");
    free(clean);
    mxd_sb_free(&sb);
}

static void decide(mxd_conv *c, mxd_conv_outcome outcome, const mxd_smtp_reply *r,
                   const char *reason)
{
    mxd_conv_result *o = c->out;
    c->decided = true;
    o->outcome = outcome;
    o->stage = stage_of(c->st);
    if (reason)
        snprintf(o->reason, sizeof o->reason, "%s", reason);
    if (r)
        keep_reply(c, r);
}

static mxd_conv_outcome by_class(int code)
{
    return code / 100 == 2 ? MXD_CONV_ACCEPTED : code / 100 == 4 ? MXD_CONV_TEMPFAIL
                                                                 : MXD_CONV_REJECTED;
}

static void quit(mxd_conv *c) { send_cmd(c, ST_QUIT, "QUIT"); }

static bool offers(const mxd_smtp_reply *r, const char *kw)
{
    size_t n = strlen(kw);
    for (size_t i = 1; i < r->nlines; i++)
        if (r->lens[i] >= n && strncasecmp(r->lines[i], kw, n) == 0 &&
            (r->lens[i] == n || r->lines[i][n] == ' '))
            return true;
    return false;
}

static void send_mail(mxd_conv *c)
{
    char cmd[MXD_ADDR_MAX + 40];
    snprintf(cmd, sizeof cmd, "MAIL FROM:<%s>%s", c->out->mail_from,
             c->kind == MXD_CONV_KIND_SEND && c->eightbit_offered ? " BODY=8BITMIME" : "");
    c->out->eightbit = c->kind == MXD_CONV_KIND_SEND && c->eightbit_offered;
    send_cmd(c, ST_MAIL, cmd);
}

static void send_message(mxd_conv *c)
{
    mxd_conv_result *o = c->out;
    mxd_sb msg = MXD_SB_INIT;
    if (mxd_delivery_message(&msg, o->mail_from, o->rcpt, o->id, (int64_t)time(NULL),
                             o->eightbit) < 0) {
        mxd_sb_free(&msg);
        finish(c, "memory", "out of memory");
        return;
    }
    char line[96];
    int n = snprintf(line, sizeof line, "(message: %zu bytes, Subject: mxdoctor test %s)", msg.len,
                     o->id);
    note(c, "C: ", line, (size_t)(n > 0 ? n : 0));
    note(c, "C: ", ".", 1);
    mxd_sb_puts(&msg, ".\r\n");
    send_raw(c, ST_MESSAGE, msg.buf, msg.len);
    mxd_sb_free(&msg);
}

static void start_tls(mxd_conv *c);

static void on_reply(mxd_conv *c, const mxd_smtp_reply *r)
{
    char cmd[MXD_ADDR_MAX + 40];
    int cls = r->code / 100;
    switch (c->st) {
    case ST_GREETING:
        if (cls == 2) {
            snprintf(cmd, sizeof cmd, "EHLO %s", c->ehlo);
            send_cmd(c, ST_EHLO, cmd);
        } else {
            decide(c, MXD_CONV_FAILED, r, "reply");
            quit(c);
        }
        break;
    case ST_EHLO:
    case ST_EHLO2:
        if (r->code != 250) {
            if (c->st == ST_EHLO) {
                snprintf(cmd, sizeof cmd, "HELO %s", c->ehlo);
                send_cmd(c, ST_HELO, cmd);
            } else {
                decide(c, MXD_CONV_FAILED, r, "reply");
                quit(c);
            }
            break;
        }
        c->eightbit_offered = offers(r, "8BITMIME");
        if (c->st == ST_EHLO && c->use_tls && c->ctx && offers(r, "STARTTLS"))
            send_cmd(c, ST_STARTTLS, "STARTTLS");
        else
            send_mail(c);
        break;
    case ST_HELO:
        if (cls == 2) {
            send_mail(c);
        } else {
            decide(c, MXD_CONV_FAILED, r, "reply");
            quit(c);
        }
        break;
    case ST_STARTTLS:
        if (r->code == 220)
            start_tls(c);
        else
            send_mail(c); /* as a sender does: deliver without encryption */
        break;
    case ST_MAIL:
        if (cls == 2) {
            snprintf(cmd, sizeof cmd, "RCPT TO:<%s>", c->out->rcpt);
            send_cmd(c, ST_RCPT, cmd);
        } else if (c->kind == MXD_CONV_KIND_SEND && (cls == 4 || cls == 5)) {
            decide(c, by_class(r->code), r, NULL);
            quit(c);
        } else {
            decide(c, MXD_CONV_FAILED, r, "reply");
            quit(c);
        }
        break;
    case ST_RCPT:
        if (cls != 2 && cls != 4 && cls != 5) {
            decide(c, MXD_CONV_FAILED, r, "protocol");
            quit(c);
        } else if (c->kind == MXD_CONV_KIND_RCPT) {
            decide(c, by_class(r->code), r, NULL);
            send_cmd(c, ST_RSET, "RSET"); /* leave the server as we found it */
        } else if (cls == 2) {
            send_cmd(c, ST_DATA, "DATA");
        } else {
            decide(c, by_class(r->code), r, NULL);
            quit(c);
        }
        break;
    case ST_DATA:
        if (r->code == 354) {
            send_message(c);
        } else {
            decide(c, cls == 4 || cls == 5 ? by_class(r->code) : MXD_CONV_FAILED, r,
                   cls == 4 || cls == 5 ? NULL : "protocol");
            quit(c);
        }
        break;
    case ST_MESSAGE:
        decide(c, cls == 2 || cls == 4 || cls == 5 ? by_class(r->code) : MXD_CONV_FAILED, r,
               cls == 2 || cls == 4 || cls == 5 ? NULL : "protocol");
        quit(c);
        break;
    case ST_RSET:
        quit(c);
        break;
    case ST_QUIT:
        finish(c, NULL, NULL);
        break;
    case ST_CONNECT:
    case ST_TLS:
        break;
    }
}

static void parse_input(mxd_conv *c)
{
    while (!c->finished && c->st != ST_TLS && c->in.len) {
        mxd_smtp_reply r;
        size_t used = 0;
        mxd_reply_status s = mxd_smtp_reply_parse(c->in.buf, c->in.len, &r, &used);
        if (s == MXD_REPLY_NEED_MORE)
            return;
        if (s != MXD_REPLY_OK) {
            note(c, "S: ", c->in.buf, c->in.len > 200 ? 200 : c->in.len);
            finish(c, "protocol", s == MXD_REPLY_TOO_LONG ? "reply too long" : "not an SMTP reply");
            return;
        }
        for (size_t i = 0; i < r.nlines; i++) {
            char line[MXD_SMTP_MAX_LINE + 8];
            snprintf(line, sizeof line, "%d%c", r.code, i + 1 < r.nlines ? '-' : ' ');
            memcpy(line + 4, r.lines[i], r.lens[i]); /* lens[i] <= MXD_SMTP_MAX_LINE */
            note(c, "S: ", line, 4 + r.lens[i]);
        }
        mxd_sb_consume(&c->in, used);
        if (c->st == ST_STARTTLS && r.code == 220 && c->in.len) {
            /* Sent before TLS, to be read as if it came after: an injection. */
            note(c, "!: ", "bytes after 220 to STARTTLS discarded", 38);
            mxd_sb_clear(&c->in);
        }
        on_reply(c, &r);
        mxd_smtp_reply_free(&r);
    }
}

static void tls_step(mxd_conv *c)
{
    ERR_clear_error();
    int rc = SSL_connect(c->ssl);
    if (rc == 1) {
        c->want_write = false;
        c->out->tls = true;
        snprintf(c->out->tls_version, sizeof c->out->tls_version, "%s", SSL_get_version(c->ssl));
        note(c, "!: ", "TLS established", 15);
        c->eightbit_offered = false; /* capabilities from before TLS no longer count */
        char cmd[300];
        snprintf(cmd, sizeof cmd, "EHLO %s", c->ehlo);
        send_cmd(c, ST_EHLO2, cmd);
        return;
    }
    int e = SSL_get_error(c->ssl, rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        c->want_write = e == SSL_ERROR_WANT_WRITE;
        update_watch(c);
        return;
    }
    const char *why = "the TLS handshake failed";
    note(c, "!: ", why, strlen(why));
    finish(c, "tls", why);
}

static void start_tls(mxd_conv *c)
{
    c->st = ST_TLS;
    rearm(c);
    c->ssl = SSL_new(c->ctx);
    if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1) {
        finish(c, "tls", "could not start TLS");
        return;
    }
    if (c->host[0])
        SSL_set_tlsext_host_name(c->ssl, c->host);
    tls_step(c);
}

static void flush(mxd_conv *c)
{
    while (!c->finished && c->outq.len) {
        ssize_t n;
        if (c->ssl) {
            ERR_clear_error();
            int rc = SSL_write(c->ssl, c->outq.buf, (int)c->outq.len);
            if (rc <= 0) {
                int e = SSL_get_error(c->ssl, rc);
                if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
                    break;
                finish(c, "closed", "the TLS connection broke while sending");
                return;
            }
            n = rc;
        } else {
            n = send(c->fd, c->outq.buf, c->outq.len, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                    break;
                finish(c, "closed", strerror(errno));
                return;
            }
        }
        mxd_sb_consume(&c->outq, (size_t)n);
    }
    if (!c->finished)
        update_watch(c);
}

static void read_input(mxd_conv *c)
{
    char buf[4096];
    for (;;) {
        ssize_t n;
        if (c->ssl) {
            ERR_clear_error();
            int rc = SSL_read(c->ssl, buf, sizeof buf);
            if (rc <= 0) {
                int e = SSL_get_error(c->ssl, rc);
                if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                    return;
                n = e == SSL_ERROR_ZERO_RETURN ? 0 : -1;
                if (n < 0)
                    errno = ECONNRESET;
            } else {
                n = rc;
            }
        } else {
            n = recv(c->fd, buf, sizeof buf, 0);
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
                return;
        }
        if (n <= 0) {
            int e = errno;
            parse_input(c); /* a reply may be complete just before the close */
            if (!c->finished)
                finish(c, "closed", n == 0 ? "the server closed the connection" : strerror(e));
            return;
        }
        if (c->in.len + (size_t)n > MXD_SMTP_MAX_REPLY + MXD_SMTP_MAX_LINE) {
            finish(c, "protocol", "reply too long");
            return;
        }
        mxd_sb_append(&c->in, buf, (size_t)n);
        parse_input(c);
        if (c->finished || c->st == ST_TLS)
            return;
    }
}

static void on_connected(mxd_conv *c)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err) {
        finish(c, err == ECONNREFUSED ? "refused" : err == ETIMEDOUT ? "timeout" : "unreachable",
               strerror(err));
        return;
    }
    note(c, "!: ", "connected", 9);
    if (!c->ehlo[0]) {
        /* Our own address literal (RFC 5321 §4.1.3), as the probe greets. */
        struct sockaddr_storage me = { .ss_family = AF_INET };
        socklen_t ml = sizeof me;
        char a[INET6_ADDRSTRLEN] = "127.0.0.1";
        if (getsockname(c->fd, (struct sockaddr *)&me, &ml) == 0) {
            if (me.ss_family == AF_INET6)
                inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&me)->sin6_addr, a, sizeof a);
            else
                inet_ntop(AF_INET, &((struct sockaddr_in *)&me)->sin_addr, a, sizeof a);
        }
        snprintf(c->ehlo, sizeof c->ehlo, me.ss_family == AF_INET6 ? "[IPv6:%s]" : "[%s]", a);
    }
    c->st = ST_GREETING;
    rearm(c);
    update_watch(c);
}

static void io_cb(mxd_loop *loop, int fd, unsigned ev, void *arg)
{
    (void)loop;
    (void)fd;
    mxd_conv *c = arg;
    if (c->finished)
        return;
    if (c->st == ST_CONNECT) {
        on_connected(c);
        return;
    }
    if (c->st == ST_TLS) {
        tls_step(c);
        return;
    }
    if ((ev & MXD_EV_WRITE) && c->outq.len)
        flush(c);
    if (!c->finished && (ev & (MXD_EV_READ | MXD_EV_ERROR)))
        read_input(c);
}

static void on_timeout(mxd_loop *loop, void *arg)
{
    (void)loop;
    mxd_conv *c = arg;
    c->timer = 0;
    note(c, "!: ", "no reply in time", 16);
    finish(c, "timeout", c->st == ST_CONNECT ? "no answer to the connection" : "no reply in time");
}

mxd_conv *mxd_conv_start(mxd_loop *loop, SSL_CTX *ctx, mxd_conv_kind kind, const mxd_addr *addr,
                         unsigned port, const char *host, const char *ehlo_name, bool tls,
                         const char *from, const char *to, unsigned timeout_ms,
                         mxd_conv_result *out, void (*done)(void *), void *arg)
{
    snprintf(out->host, sizeof out->host, "%s", host ? host : "");
    snprintf(out->address, sizeof out->address, "%s", addr->text);
    snprintf(out->mail_from, sizeof out->mail_from, "%s", from ? from : "");
    snprintf(out->rcpt, sizeof out->rcpt, "%s", to ? to : "");
    out->port = port;
    if (kind == MXD_CONV_KIND_SEND && !out->id[0])
        mxd_delivery_new_id(out->id);
    mxd_conv *c = calloc(1, sizeof *c);
    if (!c) {
        out->state = MXD_CONV_DONE;
        out->outcome = MXD_CONV_NOT_TRIED;
        snprintf(out->reason, sizeof out->reason, "memory");
        return NULL;
    }
    c->loop = loop;
    c->ctx = ctx;
    c->kind = kind;
    c->use_tls = tls;
    c->fd = -1;
    c->timeout_ms = timeout_ms;
    c->out = out;
    c->done = done;
    c->arg = arg;
    c->started = mxd_now_ms();
    snprintf(c->host, sizeof c->host, "%s", host ? host : "");
    snprintf(c->ehlo, sizeof c->ehlo, "%s", ehlo_name ? ehlo_name : "");
    out->state = MXD_CONV_RUNNING;
    c->st = ST_CONNECT;

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
    c->fd = socket(addr->family == AF_INET6 ? AF_INET6 : AF_INET,
                   SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        finish(c, "unreachable", strerror(errno));
        return c;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    note(c, "!: ", "connecting", 10);
    if (connect(c->fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
        int e = errno;
        finish(c, e == ECONNREFUSED ? "refused" : "unreachable", strerror(e));
        return c;
    }
    rearm(c);
    update_watch(c);
    return c;
}

void mxd_conv_cancel(mxd_conv *c)
{
    if (!c)
        return;
    if (!c->finished) {
        mxd_conv_result *o = c->out;
        if (!c->decided) {
            o->outcome = MXD_CONV_FAILED;
            o->stage = stage_of(c->st);
            snprintf(o->reason, sizeof o->reason, "timeout");
            snprintf(o->error, sizeof o->error, "stopped: the run's time bound was reached");
        }
        o->state = MXD_CONV_DONE;
        o->total_ms = (uint32_t)(mxd_now_ms() - c->started);
        o->transcript = mxd_sb_take(&c->transcript);
    }
    release(c);
}
