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
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/ssl.h>

#include "mxd/delivery.h"
#include "mxd/sanitize.h"
#include "mxd/smtpclient.h"
#include "mxd/strbuf.h"

typedef enum {
    ST_CONNECT, ST_GREETING, ST_EHLO, ST_HELO, ST_STARTTLS, ST_TLS, ST_EHLO2, ST_MAIL, ST_RCPT,
    ST_DATA, ST_MESSAGE, ST_RSET, ST_QUIT
} cstate;

struct mxd_conv {
    mxd_conn *conn;
    SSL_CTX *ctx;
    cstate st;
    mxd_conv_kind kind;
    bool use_tls;
    bool decided;            /* the outcome is known; what follows is only politeness */
    bool eightbit_offered;
    bool finished;
    uint64_t started;
    unsigned timeout_ms;
    char host[MXD_NAME_MAX];
    char ehlo[256];
    mxd_conv_result *out;
    mxd_sb in, transcript;
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

static void note(mxd_conv *c, const char *who, const char *line, size_t len)
{
    mxd_smtp_note(&c->transcript, who, line, len);
}

static void release(mxd_conv *c)
{
    mxd_conn_free(c->conn);
    mxd_sb_free(&c->in);
    mxd_sb_free(&c->transcript);
    free(c);
}

static void deliver(void *arg)
{
    mxd_conv *c = arg;
    void (*done)(void *) = c->done;
    void *darg = c->arg;
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
    mxd_conn_close(c->conn, deliver, c);
}

static void send_raw(mxd_conv *c, cstate next, const char *data, size_t len)
{
    mxd_conn_send(c->conn, data, len);
    c->st = next;
    mxd_conn_deadline(c->conn, c->timeout_ms);
}

static void send_cmd(mxd_conv *c, cstate next, const char *cmd)
{
    note(c, "C: ", cmd, strlen(cmd));
    mxd_conn_send(c->conn, cmd, strlen(cmd));
    send_raw(c, next, "\r\n", 2);
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
        mxd_reply_status s = mxd_smtp_take_reply(&c->in, &c->transcript, c->st == ST_STARTTLS,
                                                 &r, NULL);
        if (s == MXD_REPLY_NEED_MORE)
            return;
        if (s != MXD_REPLY_OK) {
            finish(c, "protocol", s == MXD_REPLY_TOO_LONG ? "reply too long" : "not an SMTP reply");
            return;
        }
        on_reply(c, &r);
        mxd_smtp_reply_free(&r);
    }
}

static void start_tls(mxd_conv *c)
{
    c->st = ST_TLS;
    mxd_conn_deadline(c->conn, c->timeout_ms);
    if (mxd_conn_start_tls(c->conn, c->ctx, c->host, 0) < 0)
        finish(c, "tls", "could not start TLS");
}

/* ---- what the connection reports ---- */

static void on_connected(void *arg)
{
    mxd_conv *c = arg;
    note(c, "!: ", "connected", 9);
    mxd_smtp_default_ehlo(c->conn, c->ehlo, sizeof c->ehlo);
    c->st = ST_GREETING;
    mxd_conn_deadline(c->conn, c->timeout_ms);
}

static void on_secured(void *arg)
{
    mxd_conv *c = arg;
    c->out->tls = true;
    snprintf(c->out->tls_version, sizeof c->out->tls_version, "%s",
             SSL_get_version(mxd_conn_ssl(c->conn)));
    note(c, "!: ", "TLS established", 15);
    c->eightbit_offered = false; /* capabilities from before TLS no longer count */
    char cmd[300];
    snprintf(cmd, sizeof cmd, "EHLO %s", c->ehlo);
    send_cmd(c, ST_EHLO2, cmd);
}

static void on_data(void *arg, const char *buf, size_t n)
{
    mxd_conv *c = arg;
    if (c->in.len + n > MXD_SMTP_MAX_REPLY + MXD_SMTP_MAX_LINE) {
        finish(c, "protocol", "reply too long");
        return;
    }
    mxd_sb_append(&c->in, buf, n);
    parse_input(c);
}

static void on_failed(void *arg, mxd_conn_err err, const char *text)
{
    mxd_conv *c = arg;
    if (c->st == ST_CONNECT) {
        finish(c, err == MXD_CONN_REFUSED ? "refused" : err == MXD_CONN_TIMEOUT ? "timeout"
                                                                              : "unreachable",
               text);
    } else if (c->st == ST_TLS) {
        const char *why = "the TLS handshake failed";
        note(c, "!: ", why, strlen(why));
        finish(c, "tls", why);
    } else {
        finish(c, "closed", text);
    }
}

static void on_expired(void *arg)
{
    mxd_conv *c = arg;
    note(c, "!: ", "no reply in time", 16);
    finish(c, "timeout", c->st == ST_CONNECT ? "no answer to the connection" : "no reply in time");
}

static const mxd_conn_ops conv_ops = {
    .connected = on_connected,
    .secured = on_secured,
    .data = on_data,
    .failed = on_failed,
    .expired = on_expired,
};

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
    /* The connection reports nothing before the loop runs: c is filled in after. */
    if (!c || !(c->conn = mxd_conn_open(loop, addr, port, timeout_ms, &conv_ops, c))) {
        free(c);
        out->state = MXD_CONV_DONE;
        out->outcome = MXD_CONV_NOT_TRIED;
        snprintf(out->reason, sizeof out->reason, "memory");
        return NULL;
    }
    c->ctx = ctx;
    c->kind = kind;
    c->use_tls = tls;
    c->timeout_ms = timeout_ms;
    c->out = out;
    c->done = done;
    c->arg = arg;
    c->started = mxd_now_ms();
    snprintf(c->host, sizeof c->host, "%s", host ? host : "");
    snprintf(c->ehlo, sizeof c->ehlo, "%s", ehlo_name ? ehlo_name : "");
    c->st = ST_CONNECT;
    note(c, "!: ", "connecting", 10);
    out->state = MXD_CONV_RUNNING;
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
