/* https.c — one HTTPS GET for a policy file, non-blocking (see https.h).
 *
 * connect → TLS handshake (verification on: a bad certificate ends the handshake,
 * and SSL_get_verify_result says why) → request → response head → body. Each
 * stage arms its own deadline; bytes trickling in do not extend it, so a server
 * that drips one byte a second cannot hold a fetch longer than one timeout per
 * stage. Completion is reported from a fresh loop turn, never from inside a call
 * the owner made, so owners need not guard against re-entrancy.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "mxd/conn.h"
#include "mxd/https.h"
#include "mxd/tls.h"
#include "mxd/sanitize.h"
#include "mxd/strbuf.h"

#ifndef MXD_VERSION
#define MXD_VERSION "dev"
#endif

enum { DEFAULT_MAX_BODY = 65536, READ_CHUNK = 16384, MAX_TRAILER = 8192 };

/* ================================================================ parser */

static bool is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static void copy_field(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

__attribute__((format(printf, 2, 3)))
static int head_bad(mxd_http_head *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->error, sizeof h->error, fmt, ap);
    va_end(ap);
    return -1;
}

/* One header line (without its line end). */
static int header_line(mxd_http_head *h, const char *s, size_t n)
{
    if (n && (s[0] == ' ' || s[0] == '\t'))
        return head_bad(h, "a header line is folded onto the next (obsolete form)");
    const char *colon = memchr(s, ':', n);
    if (!colon || colon == s)
        return head_bad(h, "a header line has no name and ':'");
    size_t nlen = (size_t)(colon - s);
    for (size_t i = 0; i < nlen; i++)
        if (!is_tchar(s[i]))
            return head_bad(h, "a header name contains a character that is not allowed");
    const char *v = colon + 1, *end = s + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t vlen = (size_t)(end - v);
#define IS(name) (nlen == sizeof name - 1 && strncasecmp(s, name, nlen) == 0)
    if (IS("Content-Length")) {
        uint64_t len = 0;
        if (vlen == 0 || vlen > 18)
            return head_bad(h, "Content-Length is not a number");
        for (size_t i = 0; i < vlen; i++) {
            if (v[i] < '0' || v[i] > '9')
                return head_bad(h, "Content-Length is not a number");
            len = len * 10 + (uint64_t)(v[i] - '0');
        }
        if (h->has_length && h->length != len)
            return head_bad(h, "two different Content-Length headers");
        h->has_length = true;
        h->length = len;
    } else if (IS("Transfer-Encoding")) {
        if (vlen == 7 && strncasecmp(v, "chunked", 7) == 0 && !h->chunked)
            h->chunked = true;
        else
            return head_bad(h, "unsupported Transfer-Encoding (only chunked is understood)");
    } else if (IS("Content-Encoding")) {
        if (!(vlen == 8 && strncasecmp(v, "identity", 8) == 0))
            return head_bad(h, "the body is compressed (Content-Encoding) although no "
                               "compression was asked for");
    } else if (IS("Content-Type")) {
        if (!h->content_type[0])
            copy_field(h->content_type, sizeof h->content_type, v, vlen);
    } else if (IS("Location")) {
        if (!h->location[0])
            copy_field(h->location, sizeof h->location, v, vlen);
    }
#undef IS
    return 0;
}

int mxd_http_parse_head(const char *buf, size_t len, mxd_http_head *out, size_t *head_len)
{
    memset(out, 0, sizeof *out);
    *head_len = 0;
    /* Say "not HTTP" at once instead of waiting for 16 KB from something else. */
    static const char proto[] = "HTTP/";
    size_t pn = len < 5 ? len : 5;
    if (strncmp(buf, proto, pn) != 0 || memchr(buf, '\0', pn))
        return head_bad(out, "the answer is not HTTP (it does not start with HTTP/)");
    size_t end = 0, limit = len < MXD_HTTP_MAX_HEAD ? len : MXD_HTTP_MAX_HEAD;
    for (size_t i = 0; i < limit && !end; i++) {
        if (buf[i] != '\n')
            continue;
        if (i + 1 < limit && buf[i + 1] == '\n')
            end = i + 2;
        else if (i + 2 < limit && buf[i + 1] == '\r' && buf[i + 2] == '\n')
            end = i + 3;
    }
    if (!end) {
        if (len >= MXD_HTTP_MAX_HEAD)
            return head_bad(out, "the response headers are longer than %d bytes",
                            MXD_HTTP_MAX_HEAD);
        return 0;
    }
    for (size_t i = 0; i < end; i++) {
        unsigned char c = (unsigned char)buf[i];
        if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7F)
            return head_bad(out, "the response headers contain a control character");
    }
    bool first = true;
    for (size_t i = 0; i < end;) {
        const char *nl = memchr(buf + i, '\n', end - i);
        size_t n = (size_t)(nl - (buf + i));
        const char *s = buf + i;
        if (n && s[n - 1] == '\r')
            n--;
        i += (size_t)(nl - (buf + i)) + 1;
        if (first) {
            first = false;
            /* HTTP/1.1 200 OK */
            if (n < 12 || s[5] < '0' || s[5] > '9' || s[6] != '.' || s[7] < '0' || s[7] > '9' ||
                s[8] != ' ' || s[9] < '1' || s[9] > '9' || s[10] < '0' || s[10] > '9' ||
                s[11] < '0' || s[11] > '9' || (n > 12 && s[12] != ' '))
                return head_bad(out, "the status line is malformed");
            out->major = s[5] - '0';
            out->minor = s[7] - '0';
            if (out->major != 1)
                return head_bad(out, "HTTP version %d.%d is not HTTP/1.x", out->major,
                                out->minor);
            out->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
            if (n > 13)
                copy_field(out->reason, sizeof out->reason, s + 13, n - 13);
            continue;
        }
        if (n == 0)
            break; /* the empty line that ends the head */
        if (header_line(out, s, n) < 0)
            return -1;
    }
    *head_len = end;
    return 1;
}

bool mxd_http_is_text_plain(const char *ct)
{
    if (!ct)
        return false;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    if (strncasecmp(ct, "text/plain", 10) != 0)
        return false;
    const char *r = ct + 10;
    while (*r == ' ' || *r == '\t')
        r++;
    return *r == '\0' || *r == ';';
}

/* ---- body ---- */

enum { B_LENGTH = 1, B_CHUNKED, B_CLOSE };
enum { C_SIZE = 0, C_EXT, C_DATA, C_DATA_CR, C_DATA_LF, C_TRAILER, C_DONE };

__attribute__((format(printf, 3, 4)))
static int body_err(mxd_http_body *b, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->error, sizeof b->error, fmt, ap);
    va_end(ap);
    return rc;
}

static int body_append(mxd_http_body *b, const char *data, size_t n)
{
    if (b->len + n > b->max)
        return body_err(b, MXD_HTTP_TOO_LARGE, "the body is longer than %zu bytes", b->max);
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 4096;
        while (nc < b->len + n + 1)
            nc *= 2;
        char *nd = realloc(b->data, nc);
        if (!nd)
            return body_err(b, MXD_HTTP_BAD, "out of memory");
        b->data = nd;
        b->cap = nc;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return MXD_HTTP_MORE;
}

int mxd_http_body_init(mxd_http_body *b, const mxd_http_head *head, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max;
    if (head->chunked) {
        b->mode = B_CHUNKED;
        b->cstate = C_SIZE;
    } else if (head->has_length) {
        b->mode = B_LENGTH;
        b->left = head->length;
        if (head->length > max)
            return body_err(b, MXD_HTTP_TOO_LARGE, "the body is %llu bytes, more than %zu",
                            (unsigned long long)head->length, max);
    } else {
        b->mode = B_CLOSE;
    }
    /* An empty body is still a body: make data "" rather than NULL. */
    int rc = body_append(b, "", 0);
    if (rc != MXD_HTTP_MORE)
        return rc;
    if (b->mode == B_LENGTH && b->left == 0)
        return MXD_HTTP_DONE;
    return MXD_HTTP_MORE;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The chunk-size line is complete (without extensions and line end). */
static int chunk_size(mxd_http_body *b)
{
    size_t n = b->line_len;
    while (n && (b->line[n - 1] == ' ' || b->line[n - 1] == '\t' || b->line[n - 1] == '\r'))
        n--;
    if (n == 0)
        return body_err(b, MXD_HTTP_BAD, "a chunk size is missing");
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        int h = hexval(b->line[i]);
        if (h < 0 || i >= 15)
            return body_err(b, MXD_HTTP_BAD, "a chunk size is not a hexadecimal number");
        v = v * 16 + (uint64_t)h;
    }
    b->line_len = 0;
    if (v > b->max - b->len)
        return body_err(b, MXD_HTTP_TOO_LARGE, "the body is longer than %zu bytes", b->max);
    b->left = v;
    b->cstate = v ? C_DATA : C_TRAILER;
    return MXD_HTTP_MORE;
}

static int feed_chunked(mxd_http_body *b, const char *d, size_t n)
{
    size_t i = 0;
    while (i < n) {
        char c = d[i];
        switch (b->cstate) {
        case C_SIZE:
        case C_EXT:
            i++;
            if (c == '\n') {
                int rc = chunk_size(b);
                if (rc != MXD_HTTP_MORE)
                    return rc;
            } else if (b->cstate == C_EXT || c == ';') {
                b->cstate = C_EXT; /* chunk extensions carry nothing we need */
                if (++b->left > 1024)
                    return body_err(b, MXD_HTTP_BAD, "a chunk extension is too long");
            } else if (b->line_len + 1 >= sizeof b->line) {
                return body_err(b, MXD_HTTP_BAD, "a chunk size line is too long");
            } else {
                b->line[b->line_len++] = c;
            }
            if (b->cstate == C_EXT && c == '\n')
                b->cstate = C_SIZE;
            break;
        case C_DATA: {
            size_t take = n - i < b->left ? n - i : (size_t)b->left;
            int rc = body_append(b, d + i, take);
            if (rc != MXD_HTTP_MORE)
                return rc;
            i += take;
            b->left -= take;
            if (b->left == 0)
                b->cstate = C_DATA_CR;
            break;
        }
        case C_DATA_CR:
            i++;
            if (c == '\r')
                b->cstate = C_DATA_LF;
            else if (c == '\n')
                b->cstate = C_SIZE;
            else
                return body_err(b, MXD_HTTP_BAD, "a chunk is longer than its size says");
            break;
        case C_DATA_LF:
            i++;
            if (c != '\n')
                return body_err(b, MXD_HTTP_BAD, "a chunk is longer than its size says");
            b->cstate = C_SIZE;
            break;
        case C_TRAILER:
            /* Trailer lines end at an empty line; line_len counts the current one. */
            i++;
            if (c == '\n') {
                if (b->line_len == 0) {
                    b->cstate = C_DONE;
                    return MXD_HTTP_DONE;
                }
                b->line_len = 0;
            } else if (c != '\r') {
                b->line_len = 1;
                if (++b->left > MAX_TRAILER)
                    return body_err(b, MXD_HTTP_BAD, "the chunked trailer is too long");
            }
            break;
        default:
            return MXD_HTTP_DONE;
        }
    }
    return MXD_HTTP_MORE;
}

int mxd_http_body_feed(mxd_http_body *b, const char *data, size_t len)
{
    switch (b->mode) {
    case B_LENGTH: {
        if (b->left == 0)
            return MXD_HTTP_DONE;
        size_t take = len < b->left ? len : (size_t)b->left;
        int rc = body_append(b, data, take);
        if (rc != MXD_HTTP_MORE)
            return rc;
        b->left -= take;
        return b->left == 0 ? MXD_HTTP_DONE : MXD_HTTP_MORE;
    }
    case B_CHUNKED:
        if (b->cstate == C_DONE)
            return MXD_HTTP_DONE;
        return feed_chunked(b, data, len);
    case B_CLOSE:
        return body_append(b, data, len);
    default:
        return body_err(b, MXD_HTTP_BAD, "no body decoder");
    }
}

int mxd_http_body_eof(mxd_http_body *b)
{
    if (b->mode == B_CLOSE || (b->mode == B_LENGTH && b->left == 0) ||
        (b->mode == B_CHUNKED && b->cstate == C_DONE))
        return MXD_HTTP_DONE;
    return body_err(b, MXD_HTTP_BAD, "the connection closed before the whole body arrived");
}

char *mxd_http_body_take(mxd_http_body *b, size_t *len)
{
    char *d = b->data;
    *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}

void mxd_http_body_free(mxd_http_body *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ================================================================ client */

const char *mxd_https_end_name(mxd_https_end e)
{
    static const char *const n[] = { "ok", "connect_failed", "timeout", "tls_failed",
                                     "cert_invalid", "closed", "protocol", "redirect",
                                     "status", "content_type", "too_large", "cancelled" };
    return (unsigned)e < sizeof n / sizeof n[0] ? n[e] : "?";
}

void mxd_https_response_free(mxd_https_response *r)
{
    if (!r)
        return;
    free(r->body);
    memset(r, 0, sizeof *r);
}

SSL_CTX *mxd_https_client_ctx(const X509 *extra_ca)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx)
        return NULL;
    mxd_tls_load_trust(ctx, extra_ca); /* no system store: the extra CA may still do */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    return ctx;
}

typedef enum { S_CONNECT, S_TLS, S_REQUEST, S_HEAD, S_BODY } gstate;

static const char *const stage_names[] = { "connect", "tls", "request", "response", "body" };

struct mxd_https_get {
    mxd_conn *conn;
    SSL_CTX *ctx;
    gstate st;
    unsigned timeout_ms;
    size_t max_body;
    uint64_t started;
    char host[256];
    mxd_sb req;
    mxd_sb in;           /* response bytes until the head is complete */
    mxd_http_head head;
    mxd_http_body body;
    bool finished;
    mxd_https_response *out;
    void (*done)(void *);
    void *arg;
};

/* Enters a stage with a deadline of its own: bytes trickling in do not move it. */
static void stage(mxd_https_get *g, gstate st)
{
    g->st = st;
    mxd_conn_deadline(g->conn, g->timeout_ms);
}

static void release(mxd_https_get *g)
{
    mxd_conn_free(g->conn);
    mxd_sb_free(&g->req);
    mxd_sb_free(&g->in);
    mxd_http_body_free(&g->body);
    free(g);
}

static void deliver(void *arg)
{
    mxd_https_get *g = arg;
    void (*done)(void *) = g->done;
    void *darg = g->arg;
    release(g);
    done(darg);
}

static void finish(mxd_https_get *g, mxd_https_end end, const char *error)
{
    if (g->finished)
        return;
    g->finished = true;
    mxd_https_response *o = g->out;
    o->end = end;
    snprintf(o->stage, sizeof o->stage, "%s", end == MXD_HTTPS_OK ? "done" : stage_names[g->st]);
    if (error)
        mxd_sanitize_into(o->error, sizeof o->error, error);
    o->total_ms = (uint32_t)(mxd_now_ms() - g->started);
    if (end == MXD_HTTPS_OK)
        o->body = mxd_http_body_take(&g->body, &o->body_len);
    mxd_conn_close(g->conn, deliver, g);
}

/* What the body decoder said: done, more to come, or why it stopped. */
static void body_step(mxd_https_get *g, int rc)
{
    if (rc == MXD_HTTP_DONE)
        finish(g, MXD_HTTPS_OK, NULL);
    else if (rc == MXD_HTTP_TOO_LARGE)
        finish(g, MXD_HTTPS_TOO_LARGE, g->body.error);
    else if (rc == MXD_HTTP_BAD)
        finish(g, MXD_HTTPS_PROTOCOL, g->body.error);
}

/* The head is complete: decide whether a body is wanted at all. */
static void on_head(mxd_https_get *g, size_t head_len)
{
    mxd_https_response *o = g->out;
    mxd_http_head *h = &g->head;
    o->status = h->status;
    mxd_sanitize_into(o->reason, sizeof o->reason, h->reason);
    mxd_sanitize_into(o->content_type, sizeof o->content_type, h->content_type);
    mxd_sanitize_into(o->location, sizeof o->location, h->location);
    char buf[700];
    if (h->status >= 300 && h->status < 400) {
        snprintf(buf, sizeof buf, "redirect (HTTP %d %s) to %s: policy fetches must not follow "
                                  "redirects", h->status, o->reason,
                 o->location[0] ? o->location : "(no Location)");
        finish(g, MXD_HTTPS_REDIRECT, buf);
        return;
    }
    if (h->status != 200) {
        snprintf(buf, sizeof buf, "HTTP status %d %s", h->status, o->reason);
        finish(g, MXD_HTTPS_STATUS, buf);
        return;
    }
    if (!mxd_http_is_text_plain(h->content_type)) {
        if (o->content_type[0])
            snprintf(buf, sizeof buf, "Content-Type is \"%s\", not text/plain", o->content_type);
        else
            snprintf(buf, sizeof buf, "no Content-Type header (text/plain is required)");
        finish(g, MXD_HTTPS_CONTENT_TYPE, buf);
        return;
    }
    stage(g, S_BODY);
    int rc = mxd_http_body_init(&g->body, h, g->max_body);
    if (rc == MXD_HTTP_MORE && g->in.len > head_len)
        rc = mxd_http_body_feed(&g->body, g->in.buf + head_len, g->in.len - head_len);
    mxd_sb_clear(&g->in);
    body_step(g, rc);
}

static void on_data(void *arg, const char *data, size_t n)
{
    mxd_https_get *g = arg;
    if (g->st == S_BODY) {
        body_step(g, mxd_http_body_feed(&g->body, data, n));
        return;
    }
    mxd_sb_append(&g->in, data, n);
    if (!mxd_sb_ok(&g->in)) {
        finish(g, MXD_HTTPS_PROTOCOL, "out of memory");
        return;
    }
    for (;;) {
        size_t used;
        int rc = mxd_http_parse_head(g->in.buf, g->in.len, &g->head, &used);
        if (rc == 0)
            return;
        if (rc < 0) {
            finish(g, MXD_HTTPS_PROTOCOL, g->head.error);
            return;
        }
        if (g->head.status >= 100 && g->head.status < 200) {
            mxd_sb_consume(&g->in, used); /* an interim answer (103 Early Hints): wait on */
            if (!g->in.len)
                return;
            continue;
        }
        on_head(g, used);
        return;
    }
}

static void on_eof(mxd_https_get *g, mxd_conn_err err, const char *text)
{
    char buf[300];
    if (g->st == S_BODY) {
        if (mxd_http_body_eof(&g->body) == MXD_HTTP_DONE)
            finish(g, MXD_HTTPS_OK, NULL);
        else
            finish(g, MXD_HTTPS_CLOSED, err == MXD_CONN_CLOSED ? g->body.error : text);
        return;
    }
    if (err == MXD_CONN_RESET)
        snprintf(buf, sizeof buf, "the server reset the connection before answering");
    else if (err != MXD_CONN_CLOSED)
        snprintf(buf, sizeof buf, "the connection broke before an answer came: %s", text);
    else if (g->in.len)
        snprintf(buf, sizeof buf, "the server closed the connection in the middle of its answer");
    else
        snprintf(buf, sizeof buf, "the server closed the connection without answering");
    finish(g, MXD_HTTPS_CLOSED, buf);
}

/* ---- what the connection reports ---- */

static void on_connected(void *arg)
{
    mxd_https_get *g = arg;
    g->out->connect_ms = (uint32_t)(mxd_now_ms() - g->started);
    stage(g, S_TLS);
    if (mxd_conn_start_tls(g->conn, g->ctx, g->host, MXD_CONN_CHECK_HOST) < 0)
        finish(g, MXD_HTTPS_TLS_FAILED, "could not set up TLS");
}

static void on_secured(void *arg)
{
    mxd_https_get *g = arg;
    snprintf(g->out->tls_version, sizeof g->out->tls_version, "%s",
             SSL_get_version(mxd_conn_ssl(g->conn)));
    stage(g, S_REQUEST);
    mxd_conn_send(g->conn, g->req.buf, g->req.len);
}

static void on_sent(void *arg)
{
    mxd_https_get *g = arg;
    if (g->st == S_REQUEST)
        stage(g, S_HEAD);
}

static void on_failed(void *arg, mxd_conn_err err, const char *text)
{
    mxd_https_get *g = arg;
    char buf[300];
    switch (g->st) {
    case S_CONNECT:
        if (err == MXD_CONN_RESET) {
            /* Set up, then reset at once: the server's answer, not a missing route. */
            finish(g, MXD_HTTPS_CLOSED, "the server reset the connection as soon as it was set up");
            return;
        }
        snprintf(buf, sizeof buf, "cannot connect: %s", text);
        finish(g, err == MXD_CONN_TIMEOUT ? MXD_HTTPS_TIMEOUT : MXD_HTTPS_CONNECT_FAILED, buf);
        return;
    case S_TLS: {
        /* A refused certificate ends the handshake with an alert; say why. */
        long v = SSL_get_verify_result(mxd_conn_ssl(g->conn));
        if (v != X509_V_OK) {
            g->out->cert_error = v;
            snprintf(buf, sizeof buf, "certificate not accepted: %s",
                     X509_verify_cert_error_string(v));
            finish(g, MXD_HTTPS_CERT_INVALID, buf);
        } else if (err == MXD_CONN_TLS || err == MXD_CONN_NOMEM) {
            snprintf(buf, sizeof buf, "TLS handshake failed: %s", text);
            finish(g, MXD_HTTPS_TLS_FAILED, buf);
        } else {
            finish(g, MXD_HTTPS_CLOSED, text);
        }
        return;
    }
    case S_REQUEST:
        finish(g, MXD_HTTPS_CLOSED, "the connection broke while sending the request");
        return;
    case S_HEAD:
    case S_BODY: on_eof(g, err, text); return;
    }
}

static void on_expired(void *arg)
{
    mxd_https_get *g = arg;
    char buf[160];
    static const char *const what[] = { "the connection was not set up",
                                        "the TLS handshake did not finish",
                                        "the request could not be sent",
                                        "no answer came", "the body did not arrive" };
    snprintf(buf, sizeof buf, "%s within %u ms", what[g->st], g->timeout_ms);
    finish(g, MXD_HTTPS_TIMEOUT, buf);
}

static const mxd_conn_ops get_ops = {
    .connected = on_connected,
    .secured = on_secured,
    .data = on_data,
    .sent = on_sent,
    .failed = on_failed,
    .expired = on_expired,
};

/* Host names for SNI and the Host header: letters, digits, '-', '.', '_' only,
 * so nothing in them can break the request line. */
static bool host_ok(const char *h)
{
    size_t n = strlen(h);
    if (n == 0 || n > 253)
        return false;
    for (const char *c = h; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '-' || *c == '.' || *c == '_'))
            return false;
    return true;
}

static bool path_ok(const char *p)
{
    if (p[0] != '/' || strlen(p) > 1024)
        return false;
    for (const char *c = p; *c; c++)
        if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7F)
            return false;
    return true;
}

mxd_https_get *mxd_https_get_start(mxd_loop *loop, SSL_CTX *ctx, const mxd_addr *addr,
                                   unsigned port, const char *host, const char *path,
                                   unsigned timeout_ms, size_t max_body,
                                   mxd_https_response *out, void (*done)(void *), void *arg)
{
    if (!host_ok(host) || !path_ok(path) || port == 0 || port > 65535) {
        snprintf(out->error, sizeof out->error, "bad host name, path or port");
        out->end = MXD_HTTPS_CONNECT_FAILED;
        return NULL;
    }
    mxd_https_get *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->ctx = ctx;
    g->timeout_ms = timeout_ms ? timeout_ms : 5000;
    g->max_body = max_body ? max_body : DEFAULT_MAX_BODY;
    g->out = out;
    g->done = done;
    g->arg = arg;
    g->started = mxd_now_ms();
    g->st = S_CONNECT;
    snprintf(g->host, sizeof g->host, "%s", host);
    /* The port goes into Host only when it is not the default (RFC 9110 §7.2). */
    char hostport[300];
    snprintf(hostport, sizeof hostport, port == 443 ? "%s" : "%s:%u", host, port);
    mxd_sb_printf(&g->req,
                  "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: mxdoctor/%s\r\n"
                  "Accept: text/plain\r\nConnection: close\r\n\r\n",
                  path, hostport, MXD_VERSION);
    if (!mxd_sb_ok(&g->req) ||
        !(g->conn = mxd_conn_open(loop, addr, port, g->timeout_ms, &get_ops, g))) {
        release(g);
        return NULL;
    }
    return g;
}

void mxd_https_get_cancel(mxd_https_get *g)
{
    if (!g)
        return;
    if (!g->finished) {
        mxd_https_response *o = g->out;
        o->end = MXD_HTTPS_CANCELLED;
        snprintf(o->stage, sizeof o->stage, "%s", stage_names[g->st]);
        snprintf(o->error, sizeof o->error, "stopped before the fetch finished");
        o->total_ms = (uint32_t)(mxd_now_ms() - g->started);
    }
    release(g);
}
