/* probe.c — the SMTP probe state machine (see smtpprobe.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "mxd/certder.h"
#include "mxd/sanitize.h"
#include "mxd/smtpprobe.h"
#include "mxd/smtpclient.h"
#include "mxd/tls.h"
#include "mxd/strbuf.h"

typedef enum {
    ST_CONNECT, ST_GREETING, ST_EHLO, ST_HELO, ST_STARTTLS, ST_TLS, ST_EHLO2, ST_QUIT
} pstate;

struct mxd_smtp_probe {
    mxd_conn *conn;
    SSL_CTX *ctx;
    pstate st;
    uint64_t started;
    unsigned timeout_ms;
    char host[MXD_NAME_MAX];
    char ehlo[256];
    mxd_smtp *out;
    mxd_smtp_end end_after_quit; /* what the conversation concluded before QUIT */
    mxd_sb in, transcript;
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

static void note(mxd_smtp_probe *p, const char *who, const char *line, size_t len)
{
    mxd_smtp_note(&p->transcript, who, line, len);
}

static void release(mxd_smtp_probe *p)
{
    mxd_conn_free(p->conn);
    mxd_sb_free(&p->in);
    mxd_sb_free(&p->transcript);
    free(p);
}

static void deliver(void *arg)
{
    mxd_smtp_probe *p = arg;
    void (*done)(void *) = p->done;
    void *darg = p->arg;
    release(p);
    done(darg);
}

/* Ends the conversation: records the outcome, hands the transcript over, and
 * reports completion from a fresh loop turn so callers never see re-entrancy. */
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
    mxd_conn_close(p->conn, deliver, p);
}

static void send_cmd(mxd_smtp_probe *p, pstate next, const char *cmd)
{
    note(p, "C: ", cmd, strlen(cmd));
    mxd_conn_send(p->conn, cmd, strlen(cmd));
    mxd_conn_send(p->conn, "\r\n", 2);
    p->st = next;
    mxd_conn_deadline(p->conn, p->timeout_ms);
}

static void quit(mxd_smtp_probe *p, mxd_smtp_end end_after)
{
    p->end_after_quit = end_after;
    send_cmd(p, ST_QUIT, "QUIT");
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

/* Keeps what DANE matching needs (RFC 7672): every certificate the server sent,
 * leaf first, and whether each one was signed by the next, since a DANE-TA
 * record vouches for the leaf only through such a chain. No trust store is
 * involved: DANE replaces it. */
static void keep_chain(mxd_smtp_probe *p, X509 *leaf)
{
    mxd_smtp *o = p->out;
    /* On the client side the list holds the server's own certificate first. */
    STACK_OF(X509) *sk = SSL_get_peer_cert_chain(mxd_conn_ssl(p->conn));
    int n = sk ? sk_X509_num(sk) : 0;
    if (n <= 0 || sk_X509_value(sk, 0) == NULL || X509_cmp(sk_X509_value(sk, 0), leaf) != 0) {
        sk = NULL;
        n = 1;
    }
    if (n > MXD_CHAIN_MAX)
        n = MXD_CHAIN_MAX;
    o->chain = calloc((size_t)n, sizeof *o->chain);
    if (!o->chain)
        return;
    for (int i = 0; i < n; i++) {
        X509 *x = sk ? sk_X509_value(sk, i) : leaf;
        if (!mxd_cert_der_set(&o->chain[o->nchain], x))
            break;
        o->nchain++;
        if (i > 0) {
            X509 *below = sk_X509_value(sk, i - 1);
            EVP_PKEY *k = X509_get0_pubkey(x);
            o->chain[i - 1].signed_by_next = k && X509_check_issued(x, below) == X509_V_OK &&
                                             X509_verify(below, k) == 1;
        }
    }
    ERR_clear_error(); /* a failed X509_verify leaves its reason behind */
}

static void inspect_cert(mxd_smtp_probe *p)
{
    mxd_cert *c = &p->out->cert;
    X509 *cert = SSL_get1_peer_certificate(mxd_conn_ssl(p->conn));
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
    keep_chain(p, cert);
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
        mxd_reply_status s = mxd_smtp_take_reply(&p->in, &p->transcript, p->st == ST_STARTTLS,
                                                 &r, &p->out->injected_bytes);
        if (s == MXD_REPLY_NEED_MORE)
            return;
        if (s != MXD_REPLY_OK) {
            finish(p, MXD_SMTP_END_PROTOCOL,
                   s == MXD_REPLY_TOO_LONG ? "reply too long" : "not an SMTP reply");
            return;
        }
        on_reply(p, &r);
        mxd_smtp_reply_free(&r);
    }
}

static void start_tls(mxd_smtp_probe *p)
{
    p->st = ST_TLS;
    mxd_conn_deadline(p->conn, p->timeout_ms);
    if (mxd_conn_start_tls(p->conn, p->ctx, p->host, 0) < 0) {
        finish(p, MXD_SMTP_END_TLS_FAILED, "could not start TLS");
        return;
    }
    SSL_set_ex_data(mxd_conn_ssl(p->conn), ex_index, p); /* for verify_cb */
}

/* ---- what the connection reports ---- */

static void on_connected(void *arg)
{
    mxd_smtp_probe *p = arg;
    p->out->connect_ms = (uint32_t)(mxd_now_ms() - p->started);
    note(p, "!: ", "connected", 9);
    mxd_smtp_default_ehlo(p->conn, p->ehlo, sizeof p->ehlo);
    p->st = ST_GREETING;
    mxd_conn_deadline(p->conn, p->timeout_ms);
}

static void on_secured(void *arg)
{
    mxd_smtp_probe *p = arg;
    mxd_smtp *o = p->out;
    SSL *ssl = mxd_conn_ssl(p->conn);
    o->tls_ok = true;
    snprintf(o->tls_version, sizeof o->tls_version, "%s", SSL_get_version(ssl));
    snprintf(o->tls_cipher, sizeof o->tls_cipher, "%s", SSL_get_cipher_name(ssl));
    inspect_cert(p);
    note(p, "!: ", "TLS established", 15);
    free_ext(o); /* capabilities from before TLS no longer count */
    char cmd[300];
    snprintf(cmd, sizeof cmd, "EHLO %s", p->ehlo);
    send_cmd(p, ST_EHLO2, cmd);
}

static void on_data(void *arg, const char *buf, size_t n)
{
    mxd_smtp_probe *p = arg;
    if (p->in.len + n > MXD_SMTP_MAX_REPLY + MXD_SMTP_MAX_LINE) {
        finish(p, MXD_SMTP_END_PROTOCOL, "reply too long");
        return;
    }
    mxd_sb_append(&p->in, buf, n);
    parse_input(p);
}

static void on_failed(void *arg, mxd_conn_err err, const char *text)
{
    mxd_smtp_probe *p = arg;
    switch (p->st) {
    case ST_CONNECT:
        finish(p, err == MXD_CONN_REFUSED  ? MXD_SMTP_END_REFUSED
                  : err == MXD_CONN_TIMEOUT ? MXD_SMTP_END_CONNECT_TIMEOUT
                                            : MXD_SMTP_END_UNREACHABLE, text);
        break;
    case ST_TLS:
        note(p, "!: ", text, strlen(text));
        finish(p, MXD_SMTP_END_TLS_FAILED, text);
        break;
    case ST_QUIT: finish(p, p->end_after_quit, NULL); break;
    default: finish(p, MXD_SMTP_END_CLOSED, text); break;
    }
}

static void on_expired(void *arg)
{
    mxd_smtp_probe *p = arg;
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

static const mxd_conn_ops probe_ops = {
    .connected = on_connected,
    .secured = on_secured,
    .data = on_data,
    .failed = on_failed,
    .expired = on_expired,
};

mxd_smtp_probe *mxd_smtp_probe_start(mxd_loop *loop, SSL_CTX *ctx, const mxd_addr *addr,
                                     unsigned port, const char *host, const char *ehlo_name,
                                     unsigned timeout_ms, mxd_smtp *out,
                                     void (*done)(void *), void *arg)
{
    mxd_smtp_probe *p = calloc(1, sizeof *p);
    /* The connection reports nothing before the loop runs: p is filled in after. */
    if (!p || !(p->conn = mxd_conn_open(loop, addr, port, timeout_ms, &probe_ops, p))) {
        free(p);
        return NULL;
    }
    p->ctx = ctx;
    p->timeout_ms = timeout_ms;
    p->out = out;
    p->done = done;
    p->arg = arg;
    p->started = mxd_now_ms();
    snprintf(p->host, sizeof p->host, "%s", host);
    snprintf(p->ehlo, sizeof p->ehlo, "%s", ehlo_name ? ehlo_name : "");
    p->st = ST_CONNECT;
    note(p, "!: ", "connecting", 10);
    out->state = MXD_SMTP_RUNNING;
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
