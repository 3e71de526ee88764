/* https.h — one HTTPS GET on the shared loop, for policy files (MTA-STS).
 *
 * A deliberately small client: one request to one address, HTTP/1.1 with
 * "Connection: close", TLS through OpenSSL with SNI, full certificate
 * verification (the system store plus the lab's CA) and the host name checked
 * by SSL_set1_host. It never follows a redirect: RFC 8461 forbids it for MTA-STS,
 * so a 3xx is reported as what it is. It accepts only 200 with Content-Type
 * text/plain, and a body of at most max_body bytes. Each stage (connect, TLS,
 * request, response head, body) has its own deadline, so a silent or dripping
 * server costs a bounded time.
 *
 * The response parser is exposed as pure functions over bytes for the tests.
 * The process must ignore SIGPIPE (main() does); sends use MSG_NOSIGNAL anyway.
 */
#ifndef MXD_HTTPS_H
#define MXD_HTTPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxd/loop.h"
#include "mxd/result.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct x509_st X509;

#define MXD_HTTP_MAX_HEAD 16384 /* status line and headers together */

/* How a fetch ended. */
typedef enum {
    MXD_HTTPS_OK = 0,         /* 200, text/plain, whole body read */
    MXD_HTTPS_CONNECT_FAILED, /* refused, unreachable, or no socket */
    MXD_HTTPS_TIMEOUT,        /* a stage did not finish in time (stage says which) */
    MXD_HTTPS_TLS_FAILED,     /* handshake failed, not because of the certificate */
    MXD_HTTPS_CERT_INVALID,   /* certificate verification failed (cert_error says why) */
    MXD_HTTPS_CLOSED,         /* closed or reset before a complete response */
    MXD_HTTPS_PROTOCOL,       /* not a well-formed HTTP/1.x response */
    MXD_HTTPS_REDIRECT,       /* 3xx: not followed (location says where to) */
    MXD_HTTPS_STATUS,         /* any other status than 200 */
    MXD_HTTPS_CONTENT_TYPE,   /* 200, but not text/plain */
    MXD_HTTPS_TOO_LARGE,      /* the body is longer than allowed */
    MXD_HTTPS_CANCELLED,      /* stopped by the caller */
} mxd_https_end;

const char *mxd_https_end_name(mxd_https_end e); /* "ok", "timeout", ... (static) */

/* What came back. Text fields are sanitised. */
typedef struct mxd_https_response {
    mxd_https_end end;
    char stage[12];           /* where it ended: connect, tls, request, response, body, done */
    char error[200];          /* what went wrong, in English ("" when OK) */
    int status;               /* HTTP status, 0 when none came */
    char reason[64];          /* its reason phrase */
    char content_type[128];
    char location[512];       /* Location header of a redirect */
    long cert_error;          /* X509_V_ERR_* for CERT_INVALID, else 0 */
    char tls_version[16];
    char *body;               /* OK only: the raw body, NUL-terminated (may hold NULs:
                                 use body_len); owned, free with mxd_https_response_free */
    size_t body_len;
    uint32_t connect_ms, total_ms;
} mxd_https_response;

/* Frees the body and zeroes r. */
void mxd_https_response_free(mxd_https_response *r);

/* A client context that verifies fully: system store plus extra_ca (may be NULL),
 * TLS 1.2 or newer. Owned by the caller (SSL_CTX_free); NULL on failure. */
SSL_CTX *mxd_https_client_ctx(const X509 *extra_ca);

typedef struct mxd_https_get mxd_https_get;

/* Starts GET https://host[:port]path from addr:port.
 *   ctx, loop  borrowed; must outlive the fetch.
 *   host       the name for SNI, the certificate check and the Host header (copied).
 *   path       begins with '/' (copied).
 *   timeout_ms per stage. max_body 0: 65536.
 *   out        borrowed, zeroed by the caller; filled when the fetch ends.
 *   done       runs exactly once, from the loop (never inside this call); the
 *              fetch has freed itself by then.
 * Returns the fetch, or NULL (ENOMEM, or a bad host/path: out->error says). */
mxd_https_get *mxd_https_get_start(mxd_loop *loop, SSL_CTX *ctx, const mxd_addr *addr,
                                   unsigned port, const char *host, const char *path,
                                   unsigned timeout_ms, size_t max_body,
                                   mxd_https_response *out, void (*done)(void *arg), void *arg);
/* Stops a running fetch now and frees it; out->end becomes CANCELLED unless it
 * had ended already; done() is not called. */
void mxd_https_get_cancel(mxd_https_get *g);

/* ---- the response parser (pure) ---- */

typedef struct mxd_http_head {
    int major, minor;         /* 1.0 or 1.1 */
    int status;
    char reason[64];          /* raw (sanitise before showing) */
    char content_type[128];   /* raw; "" when absent */
    char location[512];       /* raw; "" when absent */
    bool chunked;             /* Transfer-Encoding: chunked */
    bool has_length;
    uint64_t length;          /* Content-Length */
    char error[128];          /* why the head is bad */
} mxd_http_head;

/* Looks for a complete head (status line, headers, empty line; lines end in
 * CRLF or LF) at the start of buf. Returns 1 with *head_len set to its size,
 * 0 when more bytes are needed, -1 when it is malformed or longer than
 * MXD_HTTP_MAX_HEAD (out->error says why). */
int mxd_http_parse_head(const char *buf, size_t len, mxd_http_head *out, size_t *head_len);

/* True when the media type of a Content-Type value is text/plain (parameters
 * such as charset are allowed; case does not matter). */
bool mxd_http_is_text_plain(const char *content_type);

/* A body decoder: by Content-Length, chunked, or up to the close. */
typedef struct mxd_http_body {
    int mode;                 /* private: length, chunked or close */
    int cstate;               /* private: chunked decoder state */
    uint64_t left;            /* bytes left in the body or the current chunk */
    char line[40];            /* private: chunk-size line being read */
    size_t line_len;
    size_t max;
    char *data;               /* owned; the decoded body, NUL-terminated */
    size_t len, cap;
    char error[96];
} mxd_http_body;

enum { MXD_HTTP_MORE = 0, MXD_HTTP_DONE = 1, MXD_HTTP_BAD = -1, MXD_HTTP_TOO_LARGE = -2 };

/* Starts decoding the body that head announces, keeping at most max bytes.
 * Returns MXD_HTTP_TOO_LARGE at once when Content-Length is over max. */
int mxd_http_body_init(mxd_http_body *b, const mxd_http_head *head, size_t max);
/* Feeds len bytes; returns MORE, DONE (bytes after the end are ignored), BAD or
 * TOO_LARGE. */
int mxd_http_body_feed(mxd_http_body *b, const char *data, size_t len);
/* The connection closed: DONE for a close-delimited body, BAD (truncated) for
 * the others. */
int mxd_http_body_eof(mxd_http_body *b);
/* Hands the decoded body to the caller (free()), NUL-terminated; *len its size. */
char *mxd_http_body_take(mxd_http_body *b, size_t *len);
void mxd_http_body_free(mxd_http_body *b);

#endif
