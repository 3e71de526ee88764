/* check_https.c — the HTTPS GET client (policy fetches) and the lab's HTTPS server.
 *
 * The response parser is tested on byte arrays; the client against the lab's
 * HTTPS server on loopback, in the same process and loop, with certificates
 * from the lab CA. Every wait is "run the loop until the fetch reports, or
 * fail at a deadline"; the server is ready when mxd_labhttps_start returns.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "mxd/https.h"
#include "mxd/labcert.h"
#include "mxd/labhttps.h"
#include "mxd/loop.h"
#include "mxd/scenario_https.h"
#include "mxd/strbuf.h"

#define ADDR "127.0.78.1"
#define NAME "mta-sts.t.lab.test"
#define PATH "/.well-known/mta-sts.txt"
#define POLICY "version: STSv1\r\nmode: enforce\r\nmx: mx1.t.lab.test\r\nmax_age: 86400\r\n"
#define WAIT_MS 8000

/* ================================================================ parser */

static int head(const char *text, mxd_http_head *h, size_t *used)
{
    return mxd_http_parse_head(text, strlen(text), h, used);
}

START_TEST(test_head_good)
{
    mxd_http_head h;
    size_t used;
    /* HTTP/1.1 200 OK, three headers, CRLF; a body follows the empty line */
    const char *t = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
                    "Content-Length: 5\r\nX-Other:  v  \r\n\r\nhello";
    ck_assert_int_eq(head(t, &h, &used), 1);
    ck_assert_uint_eq(used, strlen(t) - 5);
    ck_assert_int_eq(h.major, 1);
    ck_assert_int_eq(h.minor, 1);
    ck_assert_int_eq(h.status, 200);
    ck_assert_str_eq(h.reason, "OK");
    ck_assert_str_eq(h.content_type, "text/plain; charset=utf-8");
    ck_assert(h.has_length);
    ck_assert_uint_eq(h.length, 5);
    ck_assert(!h.chunked);

    /* bare LF line ends, HTTP/1.0, no reason phrase, Location kept */
    t = "HTTP/1.0 301\nLocation: https://elsewhere.example/x\n\n";
    ck_assert_int_eq(head(t, &h, &used), 1);
    ck_assert_uint_eq(used, strlen(t));
    ck_assert_int_eq(h.status, 301);
    ck_assert_str_eq(h.reason, "");
    ck_assert_str_eq(h.location, "https://elsewhere.example/x");

    /* header names are case-insensitive; the same Content-Length twice is fine */
    t = "HTTP/1.1 200 OK\r\ncontent-length: 3\r\nCONTENT-LENGTH: 3\r\n"
        "transfer-encoding: Chunked\r\n\r\n";
    ck_assert_int_eq(head(t, &h, &used), 1);
    ck_assert(h.chunked);
}
END_TEST

START_TEST(test_head_incomplete)
{
    mxd_http_head h;
    size_t used = 99;
    ck_assert_int_eq(head("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n", &h, &used), 0);
    ck_assert_uint_eq(used, 0);
    ck_assert_int_eq(head("HTT", &h, &used), 0);
    ck_assert_int_eq(head("", &h, &used), 0);
    /* just before the final LF of the empty line */
    ck_assert_int_eq(head("HTTP/1.1 200 OK\r\n\r", &h, &used), 0);
}
END_TEST

static const struct {
    const char *text;
    const char *word; /* a word the reason must contain */
} bad_heads[] = {
    { "SSH-2.0-OpenSSH_9.2\r\n", "not HTTP" },
    { "220 mx.example ESMTP\r\n\r\n", "not HTTP" },
    { "HTTP/2.0 200 OK\r\n\r\n", "not HTTP/1" },
    { "HTTP/1.1 20 OK\r\n\r\n", "status line" },
    { "HTTP/1.1 200OK\r\n\r\n", "status line" },
    { "HTTP/1.1 099 Low\r\n\r\n", "status line" },
    { "HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded\r\n\r\n", "folded" },
    { "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "':'" },
    { "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", "name" },
    { "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", "two different" },
    { "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "not a number" },
    { "HTTP/1.1 200 OK\r\nContent-Length: 12345678901234567890\r\n\r\n", "not a number" },
    { "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "Transfer-Encoding" },
    { "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n", "compressed" },
    { "HTTP/1.1 200 OK\r\nX: a\x1b[2Jb\r\n\r\n", "control" },
};

START_TEST(test_head_bad)
{
    mxd_http_head h;
    size_t used;
    ck_assert_int_eq(head(bad_heads[_i].text, &h, &used), -1);
    ck_assert_msg(strstr(h.error, bad_heads[_i].word), "case %d: '%s' lacks '%s'", _i, h.error,
                  bad_heads[_i].word);
}
END_TEST

START_TEST(test_head_too_long)
{
    size_t n = MXD_HTTP_MAX_HEAD + 10;
    char *t = malloc(n + 1);
    memcpy(t, "HTTP/1.1 200 OK\r\nX: ", 20);
    memset(t + 20, 'a', n - 20);
    t[n] = '\0';
    mxd_http_head h;
    size_t used;
    ck_assert_int_eq(mxd_http_parse_head(t, n, &h, &used), -1);
    ck_assert_ptr_nonnull(strstr(h.error, "longer than"));
    /* just under the limit it still waits for more */
    ck_assert_int_eq(mxd_http_parse_head(t, MXD_HTTP_MAX_HEAD - 1, &h, &used), 0);
    free(t);
}
END_TEST

START_TEST(test_text_plain)
{
    ck_assert(mxd_http_is_text_plain("text/plain"));
    ck_assert(mxd_http_is_text_plain("Text/Plain"));
    ck_assert(mxd_http_is_text_plain("text/plain; charset=utf-8"));
    ck_assert(mxd_http_is_text_plain("  text/plain ;charset=us-ascii"));
    ck_assert(!mxd_http_is_text_plain("text/plainx"));
    ck_assert(!mxd_http_is_text_plain("text/html"));
    ck_assert(!mxd_http_is_text_plain("application/octet-stream"));
    ck_assert(!mxd_http_is_text_plain(""));
    ck_assert(!mxd_http_is_text_plain(NULL));
}
END_TEST

static mxd_http_head head_len(uint64_t n)
{
    mxd_http_head h;
    memset(&h, 0, sizeof h);
    h.status = 200;
    h.has_length = true;
    h.length = n;
    return h;
}

START_TEST(test_body_length)
{
    mxd_http_body b;
    mxd_http_head h = head_len(11);
    ck_assert_int_eq(mxd_http_body_init(&b, &h, 100), MXD_HTTP_MORE);
    ck_assert_int_eq(mxd_http_body_feed(&b, "hello", 5), MXD_HTTP_MORE);
    /* bytes after the announced length are ignored */
    ck_assert_int_eq(mxd_http_body_feed(&b, " worldEXTRA", 11), MXD_HTTP_DONE);
    size_t len;
    char *d = mxd_http_body_take(&b, &len);
    ck_assert_uint_eq(len, 11);
    ck_assert_str_eq(d, "hello world");
    free(d);
    mxd_http_body_free(&b);

    /* an empty body is complete at once, and is "" */
    h = head_len(0);
    ck_assert_int_eq(mxd_http_body_init(&b, &h, 100), MXD_HTTP_DONE);
    d = mxd_http_body_take(&b, &len);
    ck_assert_ptr_nonnull(d);
    ck_assert_uint_eq(len, 0);
    free(d);

    /* over the cap: refused before a byte is read; at the cap: fine */
    h = head_len(101);
    ck_assert_int_eq(mxd_http_body_init(&b, &h, 100), MXD_HTTP_TOO_LARGE);
    mxd_http_body_free(&b);
    h = head_len(100);
    ck_assert_int_eq(mxd_http_body_init(&b, &h, 100), MXD_HTTP_MORE);
    mxd_http_body_free(&b);

    /* the connection closing early is a truncation */
    h = head_len(10);
    mxd_http_body_init(&b, &h, 100);
    mxd_http_body_feed(&b, "abc", 3);
    ck_assert_int_eq(mxd_http_body_eof(&b), MXD_HTTP_BAD);
    ck_assert_ptr_nonnull(strstr(b.error, "closed"));
    mxd_http_body_free(&b);
}
END_TEST

START_TEST(test_body_close_delimited)
{
    mxd_http_head h;
    memset(&h, 0, sizeof h);
    mxd_http_body b;
    ck_assert_int_eq(mxd_http_body_init(&b, &h, 8), MXD_HTTP_MORE);
    ck_assert_int_eq(mxd_http_body_feed(&b, "12345", 5), MXD_HTTP_MORE);
    ck_assert_int_eq(mxd_http_body_eof(&b), MXD_HTTP_DONE);
    ck_assert_str_eq(b.data, "12345");
    ck_assert_int_eq(mxd_http_body_feed(&b, "6789", 4), MXD_HTTP_TOO_LARGE);
    mxd_http_body_free(&b);
}
END_TEST

/* 5 "hello", 6 " world" with an extension, then the last chunk and a trailer */
static const char chunked[] = "5\r\nhello\r\n6;name=\"v\"\r\n world\r\n0\r\nX-T: 1\r\n\r\n";

START_TEST(test_body_chunked)
{
    mxd_http_head h;
    memset(&h, 0, sizeof h);
    h.chunked = true;
    mxd_http_body b;
    ck_assert_int_eq(mxd_http_body_init(&b, &h, 100), MXD_HTTP_MORE);
    ck_assert_int_eq(mxd_http_body_feed(&b, chunked, sizeof chunked - 1), MXD_HTTP_DONE);
    ck_assert_uint_eq(b.len, 11);
    ck_assert_str_eq(b.data, "hello world");
    mxd_http_body_free(&b);

    /* the same, one byte at a time: only the very last byte completes it */
    mxd_http_body_init(&b, &h, 100);
    for (size_t i = 0; i + 1 < sizeof chunked - 1; i++)
        ck_assert_int_eq(mxd_http_body_feed(&b, chunked + i, 1), MXD_HTTP_MORE);
    ck_assert_int_eq(mxd_http_body_feed(&b, chunked + sizeof chunked - 2, 1), MXD_HTTP_DONE);
    ck_assert_str_eq(b.data, "hello world");
    mxd_http_body_free(&b);

    /* LF-only line ends and upper-case hex */
    mxd_http_body_init(&b, &h, 100);
    ck_assert_int_eq(mxd_http_body_feed(&b, "A\nabcdefghij\n0\n\n", 17), MXD_HTTP_DONE);
    ck_assert_str_eq(b.data, "abcdefghij");
    mxd_http_body_free(&b);

    /* an unfinished chunked body is truncated at EOF */
    mxd_http_body_init(&b, &h, 100);
    mxd_http_body_feed(&b, "5\r\nhel", 6);
    ck_assert_int_eq(mxd_http_body_eof(&b), MXD_HTTP_BAD);
    mxd_http_body_free(&b);
}
END_TEST

static const struct {
    const char *text;
    int rc;
} bad_chunks[] = {
    { "zz\r\n", MXD_HTTP_BAD },                   /* not hex */
    { "\r\n", MXD_HTTP_BAD },                     /* no size */
    { "3\r\nabcd\r\n", MXD_HTTP_BAD },            /* chunk longer than its size */
    { "1234567890abcdef\r\n", MXD_HTTP_BAD },     /* 16 hex digits: too long */
    { "65\r\n", MXD_HTTP_TOO_LARGE },             /* 101 bytes > cap 100 */
    { "40\r\n", MXD_HTTP_MORE },                  /* 64: fine so far */
};

START_TEST(test_body_chunked_bad)
{
    mxd_http_head h;
    memset(&h, 0, sizeof h);
    h.chunked = true;
    mxd_http_body b;
    mxd_http_body_init(&b, &h, 100);
    const char *t = bad_chunks[_i].text;
    ck_assert_int_eq(mxd_http_body_feed(&b, t, strlen(t)), bad_chunks[_i].rc);
    mxd_http_body_free(&b);
}
END_TEST

START_TEST(test_body_chunked_cap_total)
{
    /* two chunks of 60 each: the second one crosses the cap of 100 */
    mxd_http_head h;
    memset(&h, 0, sizeof h);
    h.chunked = true;
    mxd_http_body b;
    mxd_http_body_init(&b, &h, 100);
    char sixty[61];
    memset(sixty, 'x', 60);
    sixty[60] = '\0';
    ck_assert_int_eq(mxd_http_body_feed(&b, "3c\r\n", 4), MXD_HTTP_MORE);
    ck_assert_int_eq(mxd_http_body_feed(&b, sixty, 60), MXD_HTTP_MORE);
    ck_assert_int_eq(mxd_http_body_feed(&b, "\r\n3c\r\n", 6), MXD_HTTP_TOO_LARGE);
    mxd_http_body_free(&b);
}
END_TEST

/* ================================================================ client + lab server */

static mxd_loop *loop;
static mxd_labca *ca;
static SSL_CTX *cctx;
static char err[256];

static void setup(void)
{
    signal(SIGPIPE, SIG_IGN);
    loop = mxd_loop_new();
    ck_assert_ptr_nonnull(loop);
    ca = mxd_labca_new(err, sizeof err);
    ck_assert_msg(ca != NULL, "%s", err);
    cctx = mxd_https_client_ctx(mxd_labca_cert(ca));
    ck_assert_ptr_nonnull(cctx);
}

static void teardown(void)
{
    SSL_CTX_free(cctx);
    mxd_labca_free(ca);
    ck_assert_uint_eq(mxd_loop_pending(loop), 0); /* nothing left watching or ticking */
    mxd_loop_free(loop);
}

typedef struct pathspec {
    const char *path;
    int status;
    const char *type;
    const char *location;
    const char *body;
    size_t body_len; /* 0: strlen(body) */
} pathspec;

static mxd_labhttps *serve(mxd_https_behaviour b, mxd_cert_kind kind, const pathspec *ps,
                           size_t n, const mxd_labhttps_limits *lim)
{
    mxd_scn_https site;
    memset(&site, 0, sizeof site);
    snprintf(site.addr, sizeof site.addr, "%s", ADDR);
    snprintf(site.name, sizeof site.name, "%s", NAME);
    site.behaviour = b;
    site.cert = kind;
    mxd_scn_https_path paths[8];
    memset(paths, 0, sizeof paths);
    for (size_t i = 0; i < n; i++) {
        snprintf(paths[i].path, sizeof paths[i].path, "%s", ps[i].path);
        paths[i].status = ps[i].status;
        snprintf(paths[i].content_type, sizeof paths[i].content_type, "%s", ps[i].type);
        snprintf(paths[i].location, sizeof paths[i].location, "%s",
                 ps[i].location ? ps[i].location : "");
        paths[i].body = (char *)ps[i].body;
        paths[i].body_len = ps[i].body_len ? ps[i].body_len : strlen(ps[i].body);
    }
    site.paths = paths;
    site.npaths = n;
    SSL_CTX *sctx = NULL;
    if (b == MXD_HTTPSB_OK) {
        sctx = mxd_labca_server_ctx(ca, NAME, kind, err, sizeof err);
        ck_assert_msg(sctx != NULL, "%s", err);
    }
    mxd_labhttps *s = mxd_labhttps_start(loop, &site, 0, sctx, lim, err, sizeof err);
    SSL_CTX_free(sctx);
    ck_assert_msg(s != NULL, "%s", err);
    ck_assert_uint_gt(mxd_labhttps_port(s), 1024);
    return s;
}

static mxd_labhttps *serve_policy(mxd_cert_kind kind)
{
    pathspec p = { PATH, 200, "text/plain", NULL, POLICY, 0 };
    return serve(MXD_HTTPSB_OK, kind, &p, 1, NULL);
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

static bool fetched;
static void on_done(void *arg) { *(bool *)arg = true; }
static bool is_fetched(void *arg) { (void)arg; return fetched; }

/* Fetches https://host:port/path from ADDR; returns how long it took. */
static uint64_t fetch(unsigned port, const char *host, const char *path, unsigned timeout_ms,
                      mxd_https_response *r)
{
    memset(r, 0, sizeof *r);
    fetched = false;
    mxd_addr a = lab_addr();
    uint64_t t0 = mxd_now_ms();
    mxd_https_get *g = mxd_https_get_start(loop, cctx, &a, port, host, path, timeout_ms, 0, r,
                                           on_done, &fetched);
    ck_assert_ptr_nonnull(g);
    ck_assert_msg(!fetched, "done() must not run inside the start call");
    ck_assert(mxd_loop_run_until(loop, is_fetched, NULL, mxd_now_ms() + WAIT_MS));
    return mxd_now_ms() - t0;
}

START_TEST(test_fetch_good)
{
    mxd_labhttps *s = serve_policy(MXD_CERT_GOOD);
    mxd_https_response r;
    fetch(mxd_labhttps_port(s), NAME, PATH, 3000, &r);
    ck_assert_msg(r.end == MXD_HTTPS_OK, "%s: %s", mxd_https_end_name(r.end), r.error);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.content_type, "text/plain");
    ck_assert_uint_eq(r.body_len, strlen(POLICY));
    ck_assert_str_eq(r.body, POLICY);
    ck_assert_str_eq(r.stage, "done");
    ck_assert_str_eq(r.error, "");
    ck_assert_int_eq(r.cert_error, 0);
    ck_assert_msg(strncmp(r.tls_version, "TLSv1.", 6) == 0, "%s", r.tls_version);
    ck_assert_uint_eq(mxd_labhttps_requests(s), 1);
    mxd_https_response_free(&r);
    ck_assert_ptr_null(r.body);
    mxd_labhttps_stop(s);
}
END_TEST

static const struct {
    mxd_cert_kind kind;
    long verify;
} bad_certs[] = {
    { MXD_CERT_WRONG_NAME, X509_V_ERR_HOSTNAME_MISMATCH },
    { MXD_CERT_EXPIRED, X509_V_ERR_CERT_HAS_EXPIRED },
    { MXD_CERT_SELF_SIGNED, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT },
};

START_TEST(test_fetch_bad_cert)
{
    mxd_labhttps *s = serve_policy(bad_certs[_i].kind);
    mxd_https_response r;
    fetch(mxd_labhttps_port(s), NAME, PATH, 3000, &r);
    ck_assert_msg(r.end == MXD_HTTPS_CERT_INVALID, "%s: %s", mxd_https_end_name(r.end), r.error);
    ck_assert_int_eq(r.cert_error, bad_certs[_i].verify);
    ck_assert_str_eq(r.stage, "tls");
    ck_assert_ptr_nonnull(strstr(r.error, "certificate"));
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_null(r.body);
    ck_assert_uint_eq(mxd_labhttps_requests(s), 0); /* no request went out */
    mxd_https_response_free(&r);
    mxd_labhttps_stop(s);
}
END_TEST

START_TEST(test_fetch_name_checked)
{
    /* a good certificate for NAME, asked for under another name */
    mxd_labhttps *s = serve_policy(MXD_CERT_GOOD);
    mxd_https_response r;
    fetch(mxd_labhttps_port(s), "mta-sts.other.lab.test", PATH, 3000, &r);
    ck_assert_int_eq(r.end, MXD_HTTPS_CERT_INVALID);
    ck_assert_int_eq(r.cert_error, X509_V_ERR_HOSTNAME_MISMATCH);
    mxd_https_response_free(&r);
    mxd_labhttps_stop(s);
}
END_TEST

START_TEST(test_fetch_not_found)
{
    mxd_labhttps *s = serve_policy(MXD_CERT_GOOD);
    mxd_https_response r;
    fetch(mxd_labhttps_port(s), NAME, "/.well-known/other.txt", 3000, &r);
    ck_assert_int_eq(r.end, MXD_HTTPS_STATUS);
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(r.reason, "Not Found");
    ck_assert_ptr_nonnull(strstr(r.error, "404"));
    ck_assert_ptr_null(r.body);
    mxd_https_response_free(&r);
    mxd_labhttps_stop(s);
}
END_TEST

START_TEST(test_fetch_redirect_not_followed)
{
    /* The redirect points at a path on the same server that would answer 200:
     * following it would make a second request. */
    pathspec ps[] = {
        { PATH, 301, "text/html", "https://" NAME "/moved.txt", "<a>moved</a>", 0 },
        { "/moved.txt", 200, "text/plain", NULL, POLICY, 0 },
    };
    mxd_labhttps *s = serve(MXD_HTTPSB_OK, MXD_CERT_GOOD, ps, 2, NULL);
    mxd_https_response r;
    fetch(mxd_labhttps_port(s), NAME, PATH, 3000, &r);
    ck_assert_int_eq(r.end, MXD_HTTPS_REDIRECT);
    ck_assert_int_eq(r.status, 301);
    ck_assert_str_eq(r.location, "https://" NAME "/moved.txt");
    ck_assert_ptr_nonnull(strstr(r.error, "redirect"));
    ck_assert_ptr_nonnull(strstr(r.error, "/moved.txt"));
    ck_assert_ptr_null(r.body);
    ck_assert_uint_eq(mxd_labhttps_requests(s), 1);
    mxd_https_response_free(&r);
    mxd_labhttps_stop(s);
}
END_TEST

START_TEST(test_fetch_wrong_type)
{
    pathspec p = { PATH, 200, "text/html; charset=utf-8", NULL, "<html>" POLICY "</html>", 0 };
    mxd_labhttps *s = serve(MXD_HTTPSB_OK, MXD_CERT_GOOD, &p, 1, NULL);
    mxd_https_response r;
    fetch(mxd_labhttps_port(s), NAME, PATH, 3000, &r);
    ck_assert_int_eq(r.end, MXD_HTTPS_CONTENT_TYPE);
    ck_assert_str_eq(r.content_type, "text/html; charset=utf-8");
    ck_assert_ptr_nonnull(strstr(r.error, "text/html"));
    ck_assert_ptr_null(r.body);
    mxd_https_response_free(&r);

    /* no Content-Type at all */
    mxd_labhttps_stop(s);
    pathspec q = { PATH, 200, "", NULL, POLICY, 0 };
    s = serve(MXD_HTTPSB_OK, MXD_CERT_GOOD, &q, 1, NULL);
    fetch(mxd_labhttps_port(s), NAME, PATH, 3000, &r);
    ck_assert_int_eq(r.end, MXD_HTTPS_CONTENT_TYPE);
    ck_assert_ptr_nonnull(strstr(r.error, "no Content-Type"));
    mxd_https_response_free(&r);
    mxd_labhttps_stop(s);
}
END_TEST

START_TEST(test_fetch_size_cap)
{
    size_t big = 65536 + 1;
    char *body = malloc(big);
    memset(body, 'a', big);
    pathspec ps[] = {
        { PATH, 200, "text/plain", NULL, body, big },
        { "/exact.txt", 200, "text/plain", NULL, body, 65536 },
    };
    mxd_labhttps *s = serve(MXD_HTTPSB_OK, MXD_CERT_GOOD, ps, 2, NULL);
    mxd_https_response r;
    fetch(mxd_labhttps_port(s), NAME, PATH, 3000, &r);
    ck_assert_int_eq(r.end, MXD_HTTPS_TOO_LARGE);
    ck_assert_ptr_null(r.body);
    ck_assert_ptr_nonnull(strstr(r.error, "65536"));
    mxd_https_response_free(&r);
    /* exactly 64 KB is allowed */
    fetch(mxd_labhttps_port(s), NAME, "/exact.txt", 3000, &r);
    ck_assert_msg(r.end == MXD_HTTPS_OK, "%s", r.error);
    ck_assert_uint_eq(r.body_len, 65536);
    mxd_https_response_free(&r);
    mxd_labhttps_stop(s);
    free(body);
}
END_TEST

START_TEST(test_fetch_silent_server_bounded)
{
    /* accepts, never says a word: the TLS stage times out after one timeout */
    mxd_labhttps *s = serve(MXD_HTTPSB_BLACKHOLE, MXD_CERT_GOOD, NULL, 0, NULL);
    mxd_https_response r;
    uint64_t took = fetch(mxd_labhttps_port(s), NAME, PATH, 300, &r);
    ck_assert_int_eq(r.end, MXD_HTTPS_TIMEOUT);
    ck_assert_str_eq(r.stage, "tls");
    ck_assert_ptr_nonnull(strstr(r.error, "300 ms"));
    ck_assert_uint_ge(took, 290);
    ck_assert_uint_lt(took, 1500);
    ck_assert_uint_eq(mxd_labhttps_sessions(s), 1);
    mxd_https_response_free(&r);
    mxd_labhttps_stop(s);
}
END_TEST

START_TEST(test_fetch_reset)
{
    mxd_labhttps *s = serve(MXD_HTTPSB_RESET, MXD_CERT_GOOD, NULL, 0, NULL);
    mxd_https_response r;
    uint64_t took = fetch(mxd_labhttps_port(s), NAME, PATH, 3000, &r);
    ck_assert_msg(r.end == MXD_HTTPS_CLOSED, "%s: %s", mxd_https_end_name(r.end), r.error);
    /* the reset may come before or after the client saw the connection set up */
    ck_assert_msg(strcmp(r.stage, "tls") == 0 || strcmp(r.stage, "connect") == 0, "%s", r.stage);
    ck_assert_ptr_nonnull(strstr(r.error, "reset"));
    ck_assert_uint_lt(took, 2000); /* a reset is an answer: no waiting for the timeout */
    ck_assert_uint_eq(mxd_labhttps_sessions(s), 1);
    mxd_https_response_free(&r);
    mxd_labhttps_stop(s);
}
END_TEST

START_TEST(test_fetch_refused)
{
    /* find a free port, then let nobody listen on it */
    mxd_labhttps *s = serve_policy(MXD_CERT_GOOD);
    unsigned port = mxd_labhttps_port(s);
    mxd_labhttps_stop(s);
    mxd_https_response r;
    fetch(port, NAME, PATH, 3000, &r);
    ck_assert_int_eq(r.end, MXD_HTTPS_CONNECT_FAILED);
    ck_assert_str_eq(r.stage, "connect");
    ck_assert_ptr_nonnull(strstr(r.error, "refused"));
    mxd_https_response_free(&r);
}
END_TEST

START_TEST(test_fetch_cancel)
{
    mxd_labhttps *s = serve(MXD_HTTPSB_BLACKHOLE, MXD_CERT_GOOD, NULL, 0, NULL);
    mxd_https_response r;
    memset(&r, 0, sizeof r);
    bool called = false;
    mxd_addr a = lab_addr();
    mxd_https_get *g = mxd_https_get_start(loop, cctx, &a, mxd_labhttps_port(s), NAME, PATH,
                                           5000, 0, &r, on_done, &called);
    ck_assert_ptr_nonnull(g);
    for (int i = 0; i < 5; i++)
        mxd_loop_run_once(loop, 20);
    mxd_https_get_cancel(g);
    ck_assert_int_eq(r.end, MXD_HTTPS_CANCELLED);
    for (int i = 0; i < 5; i++)
        mxd_loop_run_once(loop, 10);
    ck_assert(!called);
    mxd_labhttps_stop(s);
}
END_TEST

START_TEST(test_fetch_bad_arguments)
{
    mxd_https_response r;
    memset(&r, 0, sizeof r);
    mxd_addr a = lab_addr();
    bool called = false;
    /* a host name with a line break would inject a header */
    ck_assert_ptr_null(mxd_https_get_start(loop, cctx, &a, 8443, "a.test\r\nX: y", PATH, 100, 0,
                                           &r, on_done, &called));
    ck_assert_ptr_null(mxd_https_get_start(loop, cctx, &a, 8443, NAME, "no-slash", 100, 0, &r,
                                           on_done, &called));
    ck_assert_ptr_null(mxd_https_get_start(loop, cctx, &a, 8443, NAME, "/a b", 100, 0, &r,
                                           on_done, &called));
    ck_assert_ptr_null(mxd_https_get_start(loop, cctx, &a, 0, NAME, PATH, 100, 0, &r, on_done,
                                           &called));
    ck_assert(!called);
    ck_assert_str_ne(r.error, "");
}
END_TEST

/* ---- the lab server on its own: a raw TLS client speaks to it ---- */

/* Sends req over TLS and collects the whole answer (the server closes after it),
 * running the loop between non-blocking steps so the server can progress. */
static void raw_exchange(unsigned port, const char *host_sni, const char *req, char *out,
                         size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    inet_pton(AF_INET, ADDR, &sa.sin_addr);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
    SSL *ssl = SSL_new(cctx);
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, host_sni);
    SSL_set_connect_state(ssl);
    uint64_t end = mxd_now_ms() + WAIT_MS;
    while (SSL_connect(ssl) != 1 && mxd_now_ms() < end)
        mxd_loop_run_once(loop, 5);
    ck_assert(SSL_is_init_finished(ssl));
    ck_assert_int_eq(SSL_write(ssl, req, (int)strlen(req)), (int)strlen(req));
    size_t len = 0;
    bool eof = false;
    while (!eof && mxd_now_ms() < end) {
        int n = SSL_read(ssl, out + len, (int)(cap - 1 - len));
        if (n > 0) {
            len += (size_t)n;
            continue;
        }
        int e = SSL_get_error(ssl, n);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            mxd_loop_run_once(loop, 5);
        else
            eof = true;
    }
    out[len] = '\0';
    ck_assert_msg(eof, "the server did not close after answering");
    SSL_free(ssl);
    close(fd);
}

START_TEST(test_lab_server_requests)
{
    pathspec p = { PATH, 200, "text/plain", NULL, POLICY, 0 };
    mxd_labhttps *s = serve(MXD_HTTPSB_OK, MXD_CERT_GOOD, &p, 1, NULL);
    unsigned port = mxd_labhttps_port(s);
    char out[4096];

    /* GET with the port in Host and a query string: the file */
    raw_exchange(port, NAME, "GET " PATH "?x=1 HTTP/1.1\r\nHost: MTA-STS.t.lab.test:8443\r\n\r\n",
                 out, sizeof out);
    ck_assert_msg(strncmp(out, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "\r\nContent-Type: text/plain\r\n"));
    ck_assert_ptr_nonnull(strstr(out, "\r\nConnection: close\r\n"));
    ck_assert_ptr_nonnull(strstr(out, "\r\n\r\n" POLICY));

    /* HEAD: the head with the body's length, and no body */
    raw_exchange(port, NAME, "HEAD " PATH " HTTP/1.1\r\nHost: " NAME "\r\n\r\n", out, sizeof out);
    char cl[64];
    snprintf(cl, sizeof cl, "\r\nContent-Length: %zu\r\n", strlen(POLICY));
    ck_assert_ptr_nonnull(strstr(out, cl));
    ck_assert_str_eq(strstr(out, "\r\n\r\n"), "\r\n\r\n");

    /* another host name: 421; another method: 405; no Host: 400; garbage: 400 */
    raw_exchange(port, NAME, "GET " PATH " HTTP/1.1\r\nHost: www.t.lab.test\r\n\r\n", out,
                 sizeof out);
    ck_assert_msg(strncmp(out, "HTTP/1.1 421 ", 13) == 0, "%s", out);
    raw_exchange(port, NAME, "POST " PATH " HTTP/1.1\r\nHost: " NAME "\r\n\r\n", out, sizeof out);
    ck_assert_msg(strncmp(out, "HTTP/1.1 405 ", 13) == 0, "%s", out);
    raw_exchange(port, NAME, "GET " PATH " HTTP/1.1\r\n\r\n", out, sizeof out);
    ck_assert_msg(strncmp(out, "HTTP/1.1 400 ", 13) == 0, "%s", out);
    raw_exchange(port, NAME, "hello there\r\n\r\n", out, sizeof out);
    ck_assert_msg(strncmp(out, "HTTP/1.1 400 ", 13) == 0, "%s", out);
    ck_assert_uint_eq(mxd_labhttps_requests(s), 6);
    mxd_labhttps_stop(s);
}
END_TEST

START_TEST(test_lab_server_oversized_request)
{
    mxd_labhttps *s = serve_policy(MXD_CERT_GOOD);
    size_t n = MXD_LABHTTPS_MAX_REQUEST + 100;
    char *req = malloc(n + 1);
    memcpy(req, "GET / HTTP/1.1\r\nX: ", 19);
    memset(req + 19, 'a', n - 19);
    req[n] = '\0';
    char out[4096];
    raw_exchange(mxd_labhttps_port(s), NAME, req, out, sizeof out);
    ck_assert_msg(strncmp(out, "HTTP/1.1 431 ", 13) == 0, "%s", out);
    free(req);
    mxd_labhttps_stop(s);
}
END_TEST

START_TEST(test_lab_server_idle_bounded)
{
    /* a client that connects and says nothing is dropped after idle_ms */
    mxd_labhttps_limits lim = { .idle_ms = 200 };
    mxd_labhttps *s = serve(MXD_HTTPSB_BLACKHOLE, MXD_CERT_GOOD, NULL, 0, &lim);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_port = htons((uint16_t)mxd_labhttps_port(s)) };
    inet_pton(AF_INET, ADDR, &sa.sin_addr);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    uint64_t end = mxd_now_ms() + WAIT_MS;
    while (mxd_labhttps_sessions(s) == 0 && mxd_now_ms() < end)
        mxd_loop_run_once(loop, 10);
    ck_assert_uint_eq(mxd_labhttps_active(s), 1);
    uint64_t t0 = mxd_now_ms();
    while (mxd_labhttps_active(s) && mxd_now_ms() < end)
        mxd_loop_run_once(loop, 20);
    ck_assert_uint_eq(mxd_labhttps_active(s), 0);
    ck_assert_uint_lt(mxd_now_ms() - t0, 1500);
    close(fd);
    mxd_labhttps_stop(s);
}
END_TEST

START_TEST(test_lab_server_only_loopback)
{
    mxd_scn_https site;
    memset(&site, 0, sizeof site);
    snprintf(site.addr, sizeof site.addr, "192.0.2.1");
    snprintf(site.name, sizeof site.name, "%s", NAME);
    site.behaviour = MXD_HTTPSB_BLACKHOLE;
    ck_assert_ptr_null(mxd_labhttps_start(loop, &site, 0, NULL, NULL, err, sizeof err));
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "loopback"));
    /* a serving site needs a certificate */
    snprintf(site.addr, sizeof site.addr, "%s", ADDR);
    site.behaviour = MXD_HTTPSB_OK;
    ck_assert_ptr_null(mxd_labhttps_start(loop, &site, 0, NULL, NULL, err, sizeof err));
}
END_TEST

START_TEST(test_lab_set)
{
    /* two sites on one port, each with its own certificate */
    mxd_scn_https sites[2];
    memset(sites, 0, sizeof sites);
    snprintf(sites[0].addr, sizeof sites[0].addr, "%s", ADDR);
    snprintf(sites[0].name, sizeof sites[0].name, "%s", NAME);
    snprintf(sites[1].addr, sizeof sites[1].addr, "127.0.78.2");
    snprintf(sites[1].name, sizeof sites[1].name, "mta-sts.u.lab.test");
    sites[1].cert = MXD_CERT_EXPIRED;
    mxd_labhttps_set *set = NULL;
    unsigned port = 0;
    for (int t = 0; t < 20 && !set; t++) {
        port = 20000 + (unsigned)((mxd_now_ms() * 7919u + (uint64_t)t * 104729u) % 40000u);
        set = mxd_labhttps_set_start(loop, ca, sites, 2, port, err, sizeof err);
        ck_assert_msg(set || errno == EADDRINUSE, "%s", err);
    }
    ck_assert_ptr_nonnull(set);
    mxd_https_response r;
    fetch(port, NAME, PATH, 3000, &r);
    ck_assert_int_eq(r.end, MXD_HTTPS_STATUS); /* reached, good certificate, no such file */
    ck_assert_int_eq(r.status, 404);
    mxd_https_response_free(&r);
    mxd_labhttps_set_stop(set);
    /* an empty set is fine */
    set = mxd_labhttps_set_start(loop, ca, NULL, 0, port, err, sizeof err);
    ck_assert_ptr_nonnull(set);
    mxd_labhttps_set_stop(set);
}
END_TEST


/* ================================================================ [https] section */

/* Feeds lines as scenario.c would (indentation kept, blank lines left out). */
static int feed(mxd_scn_https *h, const char *const *lines, mxd_scn_error *serr)
{
    for (size_t i = 0; lines[i]; i++)
        if (mxd_scn_https_line(h, lines[i], serr) < 0)
            return (int)i;
    return -1;
}

START_TEST(test_scn_https_parse)
{
    mxd_scn_https *arr = NULL;
    size_t n = 0;
    mxd_scn_error serr;
    mxd_scn_error_clear(&serr);
    mxd_scn_https *h = mxd_scn_https_section(&arr, &n, "127.0.53.80", 40, &serr);
    ck_assert_ptr_nonnull(h);
    static const char *const lines[] = {
        "name: MTA-STS.Secure.lab.test.",
        "cert: expired",
        "behavior: ok",                    /* the American spelling is accepted */
        "path: /.well-known/mta-sts.txt",
        "body: version: STSv1",
        "  mode: enforce",
        "\tmx: *.secure.lab.test",
        "  max_age: 604800",
        "path: /old",
        "status: 301",
        "type: none",
        "location: https://mta-sts.secure.lab.test/.well-known/mta-sts.txt",
        NULL,
    };
    ck_assert_int_eq(feed(h, lines, &serr), -1);
    ck_assert_str_eq(h->name, "mta-sts.secure.lab.test"); /* lower case, no final dot */
    ck_assert_int_eq(h->cert, MXD_CERT_EXPIRED);
    ck_assert_int_eq(h->behaviour, MXD_HTTPSB_OK);
    ck_assert_uint_eq(h->npaths, 2);
    ck_assert_str_eq(h->paths[0].path, "/.well-known/mta-sts.txt");
    ck_assert_int_eq(h->paths[0].status, 200);
    ck_assert_str_eq(h->paths[0].content_type, "text/plain");
    ck_assert_str_eq(h->paths[0].body, "version: STSv1\r\nmode: enforce\r\n"
                                       "mx: *.secure.lab.test\r\nmax_age: 604800\r\n");
    ck_assert_uint_eq(h->paths[0].body_len, strlen(h->paths[0].body));
    ck_assert_int_eq(h->paths[1].status, 301);
    ck_assert_str_eq(h->paths[1].content_type, "");
    ck_assert_str_eq(h->paths[1].body, "");
    int line = 0;
    ck_assert_int_eq(mxd_scn_https_finish(arr, n, &line, &serr), 0);
    ck_assert_int_eq(serr.code, MXD_SCN_OK);

    /* written back, the section reads the same */
    mxd_sb sb = MXD_SB_INIT;
    mxd_scn_https_format(&sb, arr, n);
    ck_assert_str_eq(mxd_sb_str(&sb),
                     "\n[https 127.0.53.80]\nname: mta-sts.secure.lab.test\ncert: expired\n"
                     "behaviour: ok\npath: /.well-known/mta-sts.txt\nstatus: 200\n"
                     "type: text/plain\nbody: version: STSv1\n  mode: enforce\n"
                     "  mx: *.secure.lab.test\n  max_age: 604800\npath: /old\nstatus: 301\n"
                     "type: none\nlocation: https://mta-sts.secure.lab.test/.well-known/"
                     "mta-sts.txt\n");
    mxd_sb_free(&sb);

    /* a second section at the same address is refused */
    ck_assert_ptr_null(mxd_scn_https_section(&arr, &n, "127.0.53.80", 60, &serr));
    ck_assert_int_eq(serr.code, MXD_SCN_E_DUPLICATE_SERVER);
    ck_assert_str_eq(mxd_scn_error_get(&serr, "first_line"), "40");
    ck_assert_str_eq(mxd_scn_error_get(&serr, "addr"), "127.0.53.80");
    h = mxd_scn_https_section(&arr, &n, "127.0.53.81", 61, &serr);
    ck_assert_ptr_nonnull(h);
    ck_assert_uint_eq(n, 2);
    /* ... and every section needs a name */
    ck_assert_int_eq(mxd_scn_https_finish(arr, n, &line, &serr), -1);
    ck_assert_int_eq(line, 61);
    ck_assert_int_eq(serr.code, MXD_SCN_E_HTTPS_NO_NAME);
    ck_assert_str_eq(mxd_scn_error_get(&serr, "addr"), "127.0.53.81");
    mxd_scn_https_free(arr, n);
}
END_TEST

/* Each mistake, the error it gives (scenario_error.h) and a value it names;
 * the sentences are checked in both languages by check_scenario. */
static const struct {
    const char *lines[4];
    mxd_scn_errcode code;
    const char *key, *value;
} bad_scn[] = {
    { { "colour: blue" }, MXD_SCN_E_UNKNOWN_SERVER_KEY, "key", "colour" },
    { { "name mta-sts.x.lab.test" }, MXD_SCN_E_SERVER_SYNTAX, "addr", "127.0.53.80" },
    { { "name: a b" }, MXD_SCN_E_BAD_NAME, "why", "scn.why.host_chars" },
    { { "name: a..b" }, MXD_SCN_E_BAD_NAME, "why", "scn.why.empty_label" },
    { { "name: a", "name: b" }, MXD_SCN_E_KEY_TWICE, "key", "name" },
    { { "cert: fine" }, MXD_SCN_E_UNKNOWN_VALUE, "value", "fine" },
    { { "behaviour: slow" }, MXD_SCN_E_UNKNOWN_VALUE, "key", "behaviour" },
    { { "status: 200" }, MXD_SCN_E_HTTPS_PATH_FIRST, "key", "status" },
    { { "path: x.txt" }, MXD_SCN_E_HTTPS_BAD_PATH, "value", "x.txt" },
    { { "path: /a b" }, MXD_SCN_E_HTTPS_BAD_PATH, "value", "/a b" },
    { { "path: /a", "path: /a" }, MXD_SCN_E_HTTPS_PATH_TWICE, "value", "/a" },
    { { "path: /a", "status: 99" }, MXD_SCN_E_HTTPS_BAD_STATUS, "value", "99" },
    { { "path: /a", "status: 2OO" }, MXD_SCN_E_HTTPS_BAD_STATUS, "value", "2OO" },
    { { "path: /a", "status: 200", "status: 404" }, MXD_SCN_E_HTTPS_KEY_TWICE_PATH, "path", "/a" },
    { { "path: /a", "type: plain" }, MXD_SCN_E_HTTPS_BAD_TYPE, "value", "plain" },
    { { "path: /a", "location: a b" }, MXD_SCN_E_HTTPS_BAD_LOCATION, "value", "a b" },
    { { "  mode: enforce" }, MXD_SCN_E_HTTPS_INDENT, NULL, NULL },
    { { "path: /a", "status: 200", "  more" }, MXD_SCN_E_HTTPS_INDENT, NULL, NULL },
};

START_TEST(test_scn_https_bad)
{
    mxd_scn_https *arr = NULL;
    size_t n = 0;
    mxd_scn_error serr;
    mxd_scn_error_clear(&serr);
    mxd_scn_https *h = mxd_scn_https_section(&arr, &n, "127.0.53.80", 1, &serr);
    const char *const *lines = bad_scn[_i].lines;
    size_t nl = 0;
    while (nl < 4 && lines[nl])
        nl++;
    for (size_t i = 0; i + 1 < nl; i++)
        ck_assert_msg(mxd_scn_https_line(h, lines[i], &serr) == 0, "case %d: %s", _i,
                      mxd_scn_error_key(serr.code));
    ck_assert_int_eq(mxd_scn_https_line(h, lines[nl - 1], &serr), -1);
    ck_assert_msg(serr.code == bad_scn[_i].code, "case %d: %s", _i, mxd_scn_error_key(serr.code));
    if (bad_scn[_i].key)
        ck_assert_str_eq(mxd_scn_error_get(&serr, bad_scn[_i].key), bad_scn[_i].value);
    mxd_scn_https_free(arr, n);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("https");
    TCase *tc = tcase_create("parser");
    tcase_add_test(tc, test_head_good);
    tcase_add_test(tc, test_head_incomplete);
    tcase_add_loop_test(tc, test_head_bad, 0, (int)(sizeof bad_heads / sizeof bad_heads[0]));
    tcase_add_test(tc, test_head_too_long);
    tcase_add_test(tc, test_text_plain);
    tcase_add_test(tc, test_body_length);
    tcase_add_test(tc, test_body_close_delimited);
    tcase_add_test(tc, test_body_chunked);
    tcase_add_loop_test(tc, test_body_chunked_bad, 0,
                        (int)(sizeof bad_chunks / sizeof bad_chunks[0]));
    tcase_add_test(tc, test_body_chunked_cap_total);
    tcase_add_test(tc, test_scn_https_parse);
    tcase_add_loop_test(tc, test_scn_https_bad, 0, (int)(sizeof bad_scn / sizeof bad_scn[0]));
    suite_add_tcase(s, tc);

    tc = tcase_create("fetch");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_fetch_good);
    tcase_add_loop_test(tc, test_fetch_bad_cert, 0, (int)(sizeof bad_certs / sizeof bad_certs[0]));
    tcase_add_test(tc, test_fetch_name_checked);
    tcase_add_test(tc, test_fetch_not_found);
    tcase_add_test(tc, test_fetch_redirect_not_followed);
    tcase_add_test(tc, test_fetch_wrong_type);
    tcase_add_test(tc, test_fetch_size_cap);
    tcase_add_test(tc, test_fetch_silent_server_bounded);
    tcase_add_test(tc, test_fetch_reset);
    tcase_add_test(tc, test_fetch_refused);
    tcase_add_test(tc, test_fetch_cancel);
    tcase_add_test(tc, test_fetch_bad_arguments);
    tcase_add_test(tc, test_lab_server_requests);
    tcase_add_test(tc, test_lab_server_oversized_request);
    tcase_add_test(tc, test_lab_server_idle_bounded);
    tcase_add_test(tc, test_lab_server_only_loopback);
    tcase_add_test(tc, test_lab_set);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
