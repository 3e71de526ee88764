/* check_labsmtp.c — the lab's SMTP servers and certificates, over real loopback
 * sockets: a non-blocking test client runs on the same loop as the server, and
 * every wait is "run the loop until X happens, or fail at a deadline". */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "mxd/labcert.h"
#include "mxd/labsmtp.h"
#include "mxd/loop.h"
#include "mxd/strbuf.h"

#define ADDR "127.0.77.25"
#define NAME "mx.t.lab.test"
#define GREETING "220 " NAME " ESMTP mxdoctor practice lab\r\n"
#define WAIT_MS 5000

/* ------------------------------------------------------------ test client */

typedef struct client {
    mxd_loop *loop;
    int fd;
    bool connecting, connected, eof;
    int conn_err;
    int read_err;         /* errno of a failed read (ECONNRESET for a reset) */
    mxd_sb in;
    unsigned reads;       /* read calls that returned data */
    SSL_CTX *ctx;
    SSL *ssl;
    bool hs_done, hs_failed;
} client;

static void cl_io(mxd_loop *l, int fd, unsigned ev, void *arg);

static void cl_handshake(client *c)
{
    ERR_clear_error();
    int r = SSL_connect(c->ssl);
    if (r == 1) {
        c->hs_done = true;
        mxd_loop_watch(c->loop, c->fd, MXD_EV_READ, cl_io, c);
        return;
    }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ)
        mxd_loop_watch(c->loop, c->fd, MXD_EV_READ, cl_io, c);
    else if (e == SSL_ERROR_WANT_WRITE)
        mxd_loop_watch(c->loop, c->fd, MXD_EV_WRITE, cl_io, c);
    else {
        c->hs_failed = true;
        mxd_loop_unwatch(c->loop, c->fd);
    }
}

static void cl_io(mxd_loop *l, int fd, unsigned ev, void *arg)
{
    (void)ev;
    client *c = arg;
    if (c->connecting) {
        int e = 0;
        socklen_t len = sizeof e;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len);
        c->connecting = false;
        if (e) {
            c->conn_err = e;
            mxd_loop_unwatch(l, fd);
            return;
        }
        c->connected = true;
        mxd_loop_watch(l, fd, MXD_EV_READ, cl_io, c);
        return;
    }
    if (c->ssl && !c->hs_done) {
        cl_handshake(c);
        return;
    }
    char buf[4096];
    for (;;) {
        long n;
        if (c->ssl) {
            n = SSL_read(c->ssl, buf, sizeof buf);
            if (n <= 0) {
                int e = SSL_get_error(c->ssl, (int)n);
                if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                    return;
                n = 0;
            }
        } else {
            n = recv(fd, buf, sizeof buf, 0);
            if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
            if (n < 0)
                c->read_err = errno;
        }
        if (n <= 0) {
            c->eof = true;
            mxd_loop_unwatch(l, fd);
            return;
        }
        c->reads++;
        mxd_sb_append(&c->in, buf, (size_t)n);
    }
}

static void cl_connect(client *c, mxd_loop *loop, const char *addr, unsigned port)
{
    memset(c, 0, sizeof *c);
    c->loop = loop;
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    ck_assert_int_eq(inet_pton(AF_INET, addr, &sa.sin_addr), 1);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(c->fd, 0);
    ck_assert_int_eq(fcntl(c->fd, F_SETFL, O_NONBLOCK), 0);
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
        c->connected = true;
        mxd_loop_watch(loop, c->fd, MXD_EV_READ, cl_io, c);
    } else if (errno == EINPROGRESS) {
        c->connecting = true;
        mxd_loop_watch(loop, c->fd, MXD_EV_WRITE, cl_io, c);
    } else {
        c->conn_err = errno;
    }
}

static void cl_close(client *c)
{
    mxd_loop_unwatch(c->loop, c->fd);
    SSL_free(c->ssl);
    SSL_CTX_free(c->ctx);
    close(c->fd);
    mxd_sb_free(&c->in);
    c->ssl = NULL;
    c->ctx = NULL;
}

static void cl_send(client *c, const char *text)
{
    size_t n = strlen(text);
    if (c->ssl)
        ck_assert_int_eq(SSL_write(c->ssl, text, (int)n), (int)n);
    else
        ck_assert_int_eq(send(c->fd, text, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Trusts only the lab CA; verifies the host name; lets the handshake finish
 * whatever the verdict, so the test can read X509 verify results. */
static void cl_start_tls(client *c, X509 *ca, const char *host)
{
    c->ctx = SSL_CTX_new(TLS_client_method());
    ck_assert_ptr_nonnull(c->ctx);
    ck_assert_int_eq(X509_STORE_add_cert(SSL_CTX_get_cert_store(c->ctx), ca), 1);
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
    c->ssl = SSL_new(c->ctx);
    ck_assert_int_eq(SSL_set_fd(c->ssl, c->fd), 1);
    ck_assert_int_eq(SSL_set_tlsext_host_name(c->ssl, host), 1);
    ck_assert_int_eq(SSL_set1_host(c->ssl, host), 1);
    SSL_set_connect_state(c->ssl);
    cl_handshake(c);
}

/* ------------------------------------------------------------ waiting */

typedef struct wait_for {
    client *c;
    const char *text;
    mxd_labsmtp *srv;
} wait_for;

static bool w_connect_done(void *arg)
{
    client *c = ((wait_for *)arg)->c;
    return c->connected || c->conn_err;
}

static bool w_text(void *arg)
{
    wait_for *w = arg;
    return w->c->in.len && strstr(mxd_sb_str(&w->c->in), w->text) != NULL;
}

static bool w_eof(void *arg)
{
    return ((wait_for *)arg)->c->eof;
}

static bool w_handshake(void *arg)
{
    client *c = ((wait_for *)arg)->c;
    return c->hs_done || c->hs_failed;
}

static bool w_idle_server(void *arg)
{
    return mxd_labsmtp_active(((wait_for *)arg)->srv) == 0;
}

static void wait_until(mxd_loop *loop, bool (*done)(void *), wait_for *w, const char *what)
{
    ck_assert_msg(mxd_loop_run_until(loop, done, w, mxd_now_ms() + WAIT_MS),
                  "timed out waiting for %s; received so far: \"%s\"", what,
                  w->c ? mxd_sb_str(&w->c->in) : "");
}

static void expect_text(mxd_loop *loop, client *c, const char *text)
{
    wait_for w = { c, text, NULL };
    wait_until(loop, w_text, &w, text);
}

/* ------------------------------------------------------------ fixtures */

static mxd_scn_smtp make_cfg(mxd_smtp_behaviour b, mxd_cert_kind cert, unsigned delay)
{
    mxd_scn_smtp cfg;
    memset(&cfg, 0, sizeof cfg);
    strcpy(cfg.addr, ADDR);
    strcpy(cfg.name, NAME);
    cfg.behaviour = b;
    cfg.cert = cert;
    cfg.delay_ms = delay;
    return cfg;
}

static unsigned next_port(void)
{
    return 20000u + (unsigned)(random() % 40001);
}

/* Starts on a random port in 20000-60000, trying another when one is taken. */
static mxd_labsmtp *start_on_random_port(mxd_loop *loop, const mxd_scn_smtp *cfg, SSL_CTX *tls,
                                         unsigned latency, const mxd_labsmtp_limits *lim)
{
    char err[256];
    for (int i = 0; i < 50; i++) {
        mxd_labsmtp *s = mxd_labsmtp_start(loop, cfg, next_port(), tls, latency, lim, err,
                                           sizeof err);
        if (s)
            return s;
        ck_assert_msg(errno == EADDRINUSE, "%s", err);
    }
    ck_abort_msg("no free port after 50 tries");
    return NULL;
}

static mxd_loop *loop;
static mxd_labca *ca;

static void setup(void)
{
    signal(SIGPIPE, SIG_IGN);
    srandom((unsigned)time(NULL) ^ (unsigned)getpid());
    loop = mxd_loop_new();
    char err[256];
    ca = mxd_labca_new(err, sizeof err);
    ck_assert_msg(ca != NULL, "%s", err);
}

static void teardown(void)
{
    mxd_labca_free(ca);
    mxd_loop_free(loop);
}

static SSL_CTX *server_ctx(mxd_cert_kind kind)
{
    char err[256];
    SSL_CTX *ctx = mxd_labca_server_ctx(ca, NAME, kind, err, sizeof err);
    ck_assert_msg(ctx != NULL, "%s", err);
    return ctx;
}

/* Connects and waits for the full first line. */
static void connect_and_greet(client *c, mxd_labsmtp *s, const char *greeting)
{
    cl_connect(c, loop, ADDR, mxd_labsmtp_port(s));
    wait_for w = { c, NULL, NULL };
    wait_until(loop, w_connect_done, &w, "connect");
    ck_assert_int_eq(c->conn_err, 0);
    expect_text(loop, c, "\r\n");
    ck_assert_str_eq(mxd_sb_str(&c->in), greeting);
    mxd_sb_clear(&c->in);
}

static void finish(client *c, mxd_labsmtp *s)
{
    cl_close(c);
    wait_for w = { NULL, NULL, s };
    ck_assert(mxd_loop_run_until(loop, w_idle_server, &w, mxd_now_ms() + WAIT_MS));
    mxd_labsmtp_stop(s);
    /* the reaper ran or was cancelled: nothing of the server is left on the loop */
    mxd_loop_run_once(loop, 0);
    ck_assert_uint_eq(mxd_loop_pending(loop), 0);
}

/* ------------------------------------------------------------ tests */

START_TEST(test_ok_dialogue)
{
    SSL_CTX *tls = server_ctx(MXD_CERT_GOOD);
    mxd_scn_smtp cfg = make_cfg(MXD_SMTPB_OK, MXD_CERT_GOOD, 0);
    mxd_labsmtp *s = start_on_random_port(loop, &cfg, tls, 0, NULL);
    SSL_CTX_free(tls); /* the server keeps its own reference */
    client c;
    connect_and_greet(&c, s, GREETING);

    cl_send(&c, "MAIL FROM:<a@b.test>\r\n");
    expect_text(loop, &c, "\r\n");
    ck_assert_str_eq(mxd_sb_str(&c.in), "503 5.5.1 send EHLO or HELO first\r\n");
    mxd_sb_clear(&c.in);

    cl_send(&c, "EHLO client.test\r\n");
    expect_text(loop, &c, "250 SMTPUTF8\r\n");
    ck_assert_str_eq(mxd_sb_str(&c.in), "250-" NAME " at your service\r\n"
                                        "250-PIPELINING\r\n"
                                        "250-SIZE 10485760\r\n"
                                        "250-8BITMIME\r\n"
                                        "250-STARTTLS\r\n"
                                        "250 SMTPUTF8\r\n");
    mxd_sb_clear(&c.in);

    /* Pipelined: the replies come back in order, one per command. */
    cl_send(&c, "MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\nBOGUS\r\nRSET\r\n"
                "DATA\r\nNOOP\r\n");
    static const char want[] = "250 2.1.0 sender ok\r\n"
                               "250 2.1.5 recipient ok\r\n"
                               "554 5.7.0 the practice lab does not accept messages\r\n"
                               "500 5.5.2 command not recognized\r\n"
                               "250 2.0.0 ok\r\n"
                               "503 5.5.1 send RCPT first\r\n"
                               "250 2.0.0 ok\r\n";
    expect_text(loop, &c, "503 5.5.1 send RCPT first\r\n250 2.0.0 ok\r\n");
    ck_assert_str_eq(mxd_sb_str(&c.in), want);
    mxd_sb_clear(&c.in);

    cl_send(&c, "QUIT\r\n");
    wait_for we = { &c, NULL, NULL };
    wait_until(loop, w_eof, &we, "close after QUIT");
    ck_assert_str_eq(mxd_sb_str(&c.in), "221 2.0.0 " NAME " closing connection\r\n");
    ck_assert_uint_eq(mxd_labsmtp_sessions(s), 1);
    finish(&c, s);
}
END_TEST

/* EHLO, STARTTLS, handshake verified against the lab CA, EHLO again over TLS. */
START_TEST(test_starttls_good)
{
    SSL_CTX *tls = server_ctx(MXD_CERT_GOOD);
    mxd_scn_smtp cfg = make_cfg(MXD_SMTPB_OK, MXD_CERT_GOOD, 0);
    mxd_labsmtp *s = start_on_random_port(loop, &cfg, tls, 0, NULL);
    SSL_CTX_free(tls);
    client c;
    connect_and_greet(&c, s, GREETING);
    cl_send(&c, "EHLO client.test\r\n");
    expect_text(loop, &c, "250 SMTPUTF8\r\n");
    ck_assert_ptr_nonnull(strstr(mxd_sb_str(&c.in), "250-STARTTLS\r\n"));
    mxd_sb_clear(&c.in);
    cl_send(&c, "STARTTLS\r\n");
    expect_text(loop, &c, "\r\n");
    ck_assert_str_eq(mxd_sb_str(&c.in), "220 2.0.0 Ready to start TLS\r\n");
    mxd_sb_clear(&c.in);

    cl_start_tls(&c, mxd_labca_cert(ca), NAME);
    wait_for w = { &c, NULL, NULL };
    wait_until(loop, w_handshake, &w, "TLS handshake");
    ck_assert(c.hs_done);
    ck_assert_int_eq(SSL_get_verify_result(c.ssl), X509_V_OK);
    X509 *peer = SSL_get1_peer_certificate(c.ssl);
    ck_assert_ptr_nonnull(peer);
    ck_assert_int_eq(X509_check_host(peer, NAME, 0, 0, NULL), 1);
    X509_free(peer);

    cl_send(&c, "EHLO client.test\r\n");
    expect_text(loop, &c, "250 SMTPUTF8\r\n");
    ck_assert_ptr_null(strstr(mxd_sb_str(&c.in), "STARTTLS"));
    ck_assert_ptr_nonnull(strstr(mxd_sb_str(&c.in), "250-PIPELINING\r\n"));
    mxd_sb_clear(&c.in);
    cl_send(&c, "STARTTLS\r\nQUIT\r\n");
    wait_for we = { &c, NULL, NULL };
    wait_until(loop, w_eof, &we, "close after QUIT");
    ck_assert_str_eq(mxd_sb_str(&c.in), "503 5.5.1 TLS is already active\r\n"
                                        "221 2.0.0 " NAME " closing connection\r\n");
    finish(&c, s);
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

/* The handshake itself works; verification fails for exactly the planted reason. */
START_TEST(test_bad_certs)
{
    SSL_CTX *tls = server_ctx(bad_certs[_i].kind);
    mxd_scn_smtp cfg = make_cfg(MXD_SMTPB_OK, bad_certs[_i].kind, 0);
    mxd_labsmtp *s = start_on_random_port(loop, &cfg, tls, 0, NULL);
    SSL_CTX_free(tls);
    client c;
    connect_and_greet(&c, s, GREETING);
    cl_send(&c, "EHLO client.test\r\nSTARTTLS\r\n");
    expect_text(loop, &c, "220 2.0.0 Ready to start TLS\r\n");
    cl_start_tls(&c, mxd_labca_cert(ca), NAME);
    wait_for w = { &c, NULL, NULL };
    wait_until(loop, w_handshake, &w, "TLS handshake");
    ck_assert(c.hs_done);
    ck_assert_int_eq(SSL_get_verify_result(c.ssl), bad_certs[_i].verify);
    finish(&c, s);
}
END_TEST

/* The certificates themselves, checked with a plain X509_STORE as the engine will. */
START_TEST(test_cert_contents)
{
    static const struct { mxd_cert_kind kind; int verify; const char *host_ok; } t[] = {
        { MXD_CERT_GOOD, X509_V_OK, NAME },
        { MXD_CERT_WRONG_NAME, X509_V_OK, MXD_LABCERT_WRONG_NAME },
        { MXD_CERT_EXPIRED, X509_V_ERR_CERT_HAS_EXPIRED, NAME },
        { MXD_CERT_SELF_SIGNED, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, NAME },
    };
    X509 *cacert = mxd_labca_cert(ca);
    ck_assert_int_eq(X509_check_ca(cacert), 1);
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        X509 *x;
        EVP_PKEY *k;
        char err[256];
        ck_assert_int_eq(mxd_labca_issue(ca, NAME, t[i].kind, &x, &k, err, sizeof err), 0);
        ck_assert_int_eq(X509_check_host(x, t[i].host_ok, 0, 0, NULL), 1);
        ck_assert_int_eq(X509_check_host(x, t[i].kind == MXD_CERT_WRONG_NAME ? NAME : "other.lab.test",
                                         0, 0, NULL), 0);
        ck_assert_int_eq(X509_check_private_key(x, k), 1);
        ck_assert_int_eq(X509_check_ca(x), 0);
        X509_STORE *st = X509_STORE_new();
        X509_STORE_add_cert(st, cacert);
        X509_STORE_CTX *ctx = X509_STORE_CTX_new();
        X509_STORE_CTX_init(ctx, st, x, NULL);
        int ok = X509_verify_cert(ctx);
        ck_assert_msg(X509_STORE_CTX_get_error(ctx) == t[i].verify, "kind %zu: %s", i,
                      X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
        ck_assert_int_eq(ok == 1, t[i].verify == X509_V_OK);
        X509_STORE_CTX_free(ctx);
        X509_STORE_free(st);
        X509_free(x);
        EVP_PKEY_free(k);
    }
    /* names that are not host names are refused */
    X509 *x;
    EVP_PKEY *k;
    char err[256];
    ck_assert_int_eq(mxd_labca_issue(ca, "a,b=c", MXD_CERT_GOOD, &x, &k, err, sizeof err), -1);
    ck_assert_ptr_null(x);
    char pem[4096];
    ck_assert_int_gt(mxd_labca_pem(ca, pem, sizeof pem), 0);
    ck_assert_ptr_nonnull(strstr(pem, "-----BEGIN CERTIFICATE-----"));
}
END_TEST

START_TEST(test_refuse)
{
    mxd_scn_smtp cfg = make_cfg(MXD_SMTPB_REFUSE, MXD_CERT_GOOD, 0);
    char err[256];
    unsigned port = next_port();
    mxd_labsmtp *s = mxd_labsmtp_start(loop, &cfg, port, NULL, 0, NULL, err, sizeof err);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(mxd_labsmtp_port(s), port);
    client c;
    cl_connect(&c, loop, ADDR, port);
    wait_for w = { &c, NULL, NULL };
    wait_until(loop, w_connect_done, &w, "connect");
    ck_assert_int_eq(c.conn_err, ECONNREFUSED);
    ck_assert_uint_eq(mxd_labsmtp_sessions(s), 0);
    cl_close(&c);
    mxd_labsmtp_stop(s);
}
END_TEST

START_TEST(test_greet_and_close)
{
    static const struct { mxd_smtp_behaviour b; const char *text; } t[] = {
        { MXD_SMTPB_GREET_554, "554 5.3.2 " NAME " no SMTP service here\r\n" },
        { MXD_SMTPB_GREET_421, "421 4.3.2 " NAME " service not available, try again later\r\n" },
    };
    mxd_scn_smtp cfg = make_cfg(t[_i].b, MXD_CERT_GOOD, 0);
    mxd_labsmtp *s = start_on_random_port(loop, &cfg, NULL, 0, NULL);
    client c;
    cl_connect(&c, loop, ADDR, mxd_labsmtp_port(s));
    wait_for w = { &c, NULL, NULL };
    wait_until(loop, w_eof, &w, "greeting and close");
    ck_assert_int_eq(c.conn_err, 0);
    ck_assert_str_eq(mxd_sb_str(&c.in), t[_i].text);
    finish(&c, s);
}
END_TEST

START_TEST(test_blackhole)
{
    mxd_scn_smtp cfg = make_cfg(MXD_SMTPB_BLACKHOLE, MXD_CERT_GOOD, 0);
    mxd_labsmtp *s = start_on_random_port(loop, &cfg, NULL, 0, NULL);
    client c;
    cl_connect(&c, loop, ADDR, mxd_labsmtp_port(s));
    wait_for w = { &c, NULL, NULL };
    wait_until(loop, w_connect_done, &w, "connect");
    ck_assert_int_eq(c.conn_err, 0);
    cl_send(&c, "EHLO client.test\r\n");
    /* Nothing may arrive and the connection stays open: run the loop for a while. */
    uint64_t until = mxd_now_ms() + 300;
    ck_assert(!mxd_loop_run_until(loop, w_eof, &w, until));
    ck_assert_uint_eq(c.in.len, 0);
    ck_assert(!c.eof);
    ck_assert_uint_eq(mxd_labsmtp_active(s), 1);
    finish(&c, s); /* the server notices our close */
}
END_TEST

START_TEST(test_blackhole_bounded)
{
    mxd_scn_smtp cfg = make_cfg(MXD_SMTPB_BLACKHOLE, MXD_CERT_GOOD, 0);
    mxd_labsmtp_limits lim = { 0, 0, 150 };
    mxd_labsmtp *s = start_on_random_port(loop, &cfg, NULL, 0, &lim);
    client c;
    cl_connect(&c, loop, ADDR, mxd_labsmtp_port(s));
    wait_for w = { &c, NULL, NULL };
    uint64_t t0 = mxd_now_ms();
    wait_until(loop, w_eof, &w, "blackhole gives up");
    ck_assert_uint_ge(mxd_now_ms() - t0, 140);
    ck_assert_uint_eq(c.in.len, 0);
    finish(&c, s);
}
END_TEST

/* CVE-2011-0411 test server: "250 injected" arrives in the same read as the 220. */
START_TEST(test_inject)
{
    SSL_CTX *tls = server_ctx(MXD_CERT_GOOD);
    mxd_scn_smtp cfg = make_cfg(MXD_SMTPB_INJECT, MXD_CERT_GOOD, 0);
    mxd_labsmtp *s = start_on_random_port(loop, &cfg, tls, 0, NULL);
    SSL_CTX_free(tls);
    client c;
    connect_and_greet(&c, s, GREETING);
    cl_send(&c, "EHLO client.test\r\n");
    expect_text(loop, &c, "250 SMTPUTF8\r\n");
    mxd_sb_clear(&c.in);
    unsigned reads = c.reads;
    cl_send(&c, "STARTTLS\r\n");
    expect_text(loop, &c, "250 injected\r\n");
    ck_assert_str_eq(mxd_sb_str(&c.in), "220 2.0.0 Ready to start TLS\r\n250 injected\r\n");
    ck_assert_uint_eq(c.reads, reads + 1);
    /* A careful client drops those bytes; the handshake then works. */
    cl_start_tls(&c, mxd_labca_cert(ca), NAME);
    wait_for w = { &c, NULL, NULL };
    wait_until(loop, w_handshake, &w, "TLS handshake");
    ck_assert(c.hs_done);
    ck_assert_int_eq(SSL_get_verify_result(c.ssl), X509_V_OK);
    finish(&c, s);
}
END_TEST

START_TEST(test_no_starttls)
{
    SSL_CTX *tls = server_ctx(MXD_CERT_GOOD);
    mxd_scn_smtp cfg = make_cfg(MXD_SMTPB_NO_STARTTLS, MXD_CERT_GOOD, 0);
    mxd_labsmtp *s = start_on_random_port(loop, &cfg, tls, 0, NULL);
    SSL_CTX_free(tls);
    client c;
    connect_and_greet(&c, s, GREETING);
    cl_send(&c, "EHLO client.test\r\n");
    expect_text(loop, &c, "250 SMTPUTF8\r\n");
    ck_assert_ptr_null(strstr(mxd_sb_str(&c.in), "STARTTLS"));
    mxd_sb_clear(&c.in);
    cl_send(&c, "STARTTLS\r\n");
    expect_text(loop, &c, "\r\n");
    ck_assert_str_eq(mxd_sb_str(&c.in), "502 5.5.1 STARTTLS is not available here\r\n");
    finish(&c, s);
}
END_TEST

/* Without a TLS context even an "ok" server cannot offer STARTTLS. */
START_TEST(test_ok_without_tls)
{
    mxd_scn_smtp cfg = make_cfg(MXD_SMTPB_OK, MXD_CERT_GOOD, 0);
    mxd_labsmtp *s = start_on_random_port(loop, &cfg, NULL, 0, NULL);
    client c;
    connect_and_greet(&c, s, GREETING);
    cl_send(&c, "HELO client.test\r\nEHLO client.test\r\n");
    expect_text(loop, &c, "250 SMTPUTF8\r\n");
    ck_assert_ptr_nonnull(strstr(mxd_sb_str(&c.in), "250 " NAME "\r\n"));
    ck_assert_ptr_null(strstr(mxd_sb_str(&c.in), "STARTTLS"));
    finish(&c, s);
}
END_TEST

START_TEST(test_tarpit)
{
    mxd_scn_smtp cfg = make_cfg(MXD_SMTPB_TARPIT, MXD_CERT_GOOD, 10);
    mxd_labsmtp *s = start_on_random_port(loop, &cfg, NULL, 0, NULL);
    client c;
    uint64_t t0 = mxd_now_ms();
    cl_connect(&c, loop, ADDR, mxd_labsmtp_port(s));
    expect_text(loop, &c, "\r\n");
    uint64_t took = mxd_now_ms() - t0;
    ck_assert_str_eq(mxd_sb_str(&c.in), GREETING);
    size_t n = strlen(GREETING);
    ck_assert_msg(took >= (n - 1) * 10 - 20, "greeting took only %llu ms",
                  (unsigned long long)took);
    ck_assert_msg(c.reads >= n / 2, "greeting came in %u reads", c.reads);
    /* after the greeting it behaves like "ok", without the per-byte pause */
    mxd_sb_clear(&c.in);
    cl_send(&c, "NOOP\r\n");
    expect_text(loop, &c, "250 2.0.0 ok\r\n");
    finish(&c, s);
}
END_TEST

/* delay (per server) and latency (whole lab) add up before every reply. */
START_TEST(test_delay_and_latency)
{
    mxd_scn_smtp cfg = make_cfg(MXD_SMTPB_OK, MXD_CERT_GOOD, 80);
    mxd_labsmtp *s = start_on_random_port(loop, &cfg, NULL, 40, NULL);
    client c;
    uint64_t t0 = mxd_now_ms();
    connect_and_greet(&c, s, GREETING);
    ck_assert_uint_ge(mxd_now_ms() - t0, 120);
    t0 = mxd_now_ms();
    cl_send(&c, "NOOP\r\nNOOP\r\n");
    expect_text(loop, &c, "250 2.0.0 ok\r\n250 2.0.0 ok\r\n");
    ck_assert_uint_ge(mxd_now_ms() - t0, 120);
    finish(&c, s);
}
END_TEST

START_TEST(test_limits)
{
    mxd_scn_smtp cfg = make_cfg(MXD_SMTPB_OK, MXD_CERT_GOOD, 0);
    mxd_labsmtp_limits lim = { 1, 200, 0 };
    mxd_labsmtp *s = start_on_random_port(loop, &cfg, NULL, 0, &lim);
    client a, b;
    uint64_t t0 = mxd_now_ms();
    connect_and_greet(&a, s, GREETING);
    /* a second client while the first is open: told to come back later */
    cl_connect(&b, loop, ADDR, mxd_labsmtp_port(s));
    wait_for wb = { &b, NULL, NULL };
    wait_until(loop, w_eof, &wb, "second client closed");
    ck_assert_str_eq(mxd_sb_str(&b.in), "421 4.3.2 too many connections, try again later\r\n");
    cl_close(&b);
    /* the first one says nothing and is dropped after the idle time */
    wait_for wa = { &a, NULL, NULL };
    wait_until(loop, w_eof, &wa, "idle timeout");
    ck_assert_uint_ge(mxd_now_ms() - t0, 190);
    ck_assert_str_eq(mxd_sb_str(&a.in), "421 4.4.2 " NAME " idle for too long, closing\r\n");
    ck_assert_uint_eq(mxd_labsmtp_sessions(s), 1);
    finish(&a, s);
}
END_TEST

START_TEST(test_long_line)
{
    mxd_scn_smtp cfg = make_cfg(MXD_SMTPB_OK, MXD_CERT_GOOD, 0);
    mxd_labsmtp *s = start_on_random_port(loop, &cfg, NULL, 0, NULL);
    client c;
    connect_and_greet(&c, s, GREETING);
    char *big = malloc(5001);
    memset(big, 'A', 5000);
    big[5000] = '\0';
    cl_send(&c, big);
    free(big);
    wait_for w = { &c, NULL, NULL };
    wait_until(loop, w_eof, &w, "close after an endless line");
    ck_assert_str_eq(mxd_sb_str(&c.in), "500 5.5.2 line too long (more than 4096 bytes)\r\n");
    finish(&c, s);
}
END_TEST

START_TEST(test_too_many_errors)
{
    mxd_scn_smtp cfg = make_cfg(MXD_SMTPB_OK, MXD_CERT_GOOD, 0);
    mxd_labsmtp *s = start_on_random_port(loop, &cfg, NULL, 0, NULL);
    client c;
    connect_and_greet(&c, s, GREETING);
    for (int i = 0; i < 25; i++)
        cl_send(&c, "XYZZY\r\n");
    wait_for w = { &c, NULL, NULL };
    wait_until(loop, w_eof, &w, "close after errors");
    ck_assert_ptr_nonnull(strstr(mxd_sb_str(&c.in), "421 4.7.0 " NAME " too many errors"));
    finish(&c, s);
}
END_TEST

START_TEST(test_only_loopback)
{
    char err[256];
    mxd_scn_smtp cfg = make_cfg(MXD_SMTPB_OK, MXD_CERT_GOOD, 0);
    static const char *const bad[] = { "10.1.2.3", "0.0.0.0", "::1", "localhost", "" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        strcpy(cfg.addr, bad[i]);
        errno = 0;
        ck_assert_ptr_null(mxd_labsmtp_start(loop, &cfg, 25025, NULL, 0, NULL, err, sizeof err));
        ck_assert_int_eq(errno, EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "not a loopback address"));
    }
    ck_assert_uint_eq(mxd_loop_pending(loop), 0);
}
END_TEST

START_TEST(test_port_in_use)
{
    char err[256];
    mxd_scn_smtp cfg = make_cfg(MXD_SMTPB_OK, MXD_CERT_GOOD, 0);
    mxd_labsmtp *a = start_on_random_port(loop, &cfg, NULL, 0, NULL);
    errno = 0;
    mxd_labsmtp *b = mxd_labsmtp_start(loop, &cfg, mxd_labsmtp_port(a), NULL, 0, NULL, err,
                                       sizeof err);
    ck_assert_ptr_null(b);
    ck_assert_int_eq(errno, EADDRINUSE);
    /* the same port on another loopback address is fine: that is how the lab runs */
    strcpy(cfg.addr, "127.0.77.26");
    b = mxd_labsmtp_start(loop, &cfg, mxd_labsmtp_port(a), NULL, 0, NULL, err, sizeof err);
    ck_assert_msg(b != NULL, "%s", err);
    mxd_labsmtp_stop(b);
    mxd_labsmtp_stop(a);
}
END_TEST

/* Stopping a server with clients connected closes them and leaves nothing behind. */
START_TEST(test_stop_with_clients)
{
    SSL_CTX *tls = server_ctx(MXD_CERT_GOOD);
    mxd_scn_smtp cfg = make_cfg(MXD_SMTPB_OK, MXD_CERT_GOOD, 500);
    mxd_labsmtp *s = start_on_random_port(loop, &cfg, tls, 0, NULL);
    SSL_CTX_free(tls);
    client a, b;
    cl_connect(&a, loop, ADDR, mxd_labsmtp_port(s));
    cl_connect(&b, loop, ADDR, mxd_labsmtp_port(s));
    for (int i = 0; i < 20 && mxd_labsmtp_active(s) < 2; i++)
        mxd_loop_run_once(loop, 50);
    ck_assert_uint_eq(mxd_labsmtp_active(s), 2); /* greetings still delayed */
    mxd_labsmtp_stop(s);
    wait_for wa = { &a, NULL, NULL };
    wait_until(loop, w_eof, &wa, "client a sees the close");
    ck_assert_uint_eq(a.in.len, 0);
    cl_close(&a);
    cl_close(&b);
    ck_assert_uint_eq(mxd_loop_pending(loop), 0);
}
END_TEST

/* ------------------------------------------------------------ broken and hostile servers */

START_TEST(test_close_after_ehlo)
{
    mxd_scn_smtp cfg = make_cfg(MXD_SMTPB_CLOSE, MXD_CERT_GOOD, 0);
    mxd_labsmtp *s = start_on_random_port(loop, &cfg, NULL, 0, NULL);
    client c;
    connect_and_greet(&c, s, GREETING);
    cl_send(&c, "NOOP\r\n"); /* anything else is answered as usual */
    expect_text(loop, &c, "250 2.0.0 ok\r\n");
    mxd_sb_clear(&c.in);
    cl_send(&c, "EHLO client.test\r\n");
    wait_for w = { &c, NULL, NULL };
    wait_until(loop, w_eof, &w, "close after EHLO");
    ck_assert_uint_eq(c.in.len, 0); /* not a single byte of reply */
    ck_assert_int_eq(c.read_err, 0); /* a clean close (FIN), not a reset */
    finish(&c, s);
}
END_TEST

START_TEST(test_garbage)
{
    mxd_scn_smtp cfg = make_cfg(MXD_SMTPB_GARBAGE, MXD_CERT_GOOD, 0);
    mxd_labsmtp *s = start_on_random_port(loop, &cfg, NULL, 0, NULL);
    client c;
    connect_and_greet(&c, s, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n");
    cl_send(&c, "EHLO client.test\r\n");
    wait_for w = { &c, NULL, NULL };
    wait_until(loop, w_eof, &w, "close after a line");
    ck_assert_str_eq(mxd_sb_str(&c.in), "Invalid SSH identification string.\r\n");
    finish(&c, s);
}
END_TEST

/* The bytes after "220 Ready" are answered with a plain-text SMTP error, never
 * before the client has sent its hello (else they would look like an injection). */
START_TEST(test_tls_garbage_raw)
{
    SSL_CTX *tls = server_ctx(MXD_CERT_GOOD);
    mxd_scn_smtp cfg = make_cfg(MXD_SMTPB_TLS_GARBAGE, MXD_CERT_GOOD, 0);
    mxd_labsmtp *s = start_on_random_port(loop, &cfg, tls, 0, NULL);
    SSL_CTX_free(tls);
    client c;
    connect_and_greet(&c, s, GREETING);
    cl_send(&c, "EHLO client.test\r\n");
    expect_text(loop, &c, "250 SMTPUTF8\r\n");
    ck_assert_ptr_nonnull(strstr(mxd_sb_str(&c.in), "250-STARTTLS\r\n"));
    mxd_sb_clear(&c.in);
    cl_send(&c, "STARTTLS\r\n");
    expect_text(loop, &c, "\r\n");
    ck_assert_str_eq(mxd_sb_str(&c.in), "220 2.0.0 Ready to start TLS\r\n");
    mxd_sb_clear(&c.in);
    /* nothing more until the client speaks */
    wait_for w = { &c, NULL, NULL };
    ck_assert(!mxd_loop_run_until(loop, w_eof, &w, mxd_now_ms() + 200));
    ck_assert_uint_eq(c.in.len, 0);
    cl_send(&c, "\x16\x03\x01\x00\x05hello");
    expect_text(loop, &c, "\r\n");
    ck_assert_str_eq(mxd_sb_str(&c.in), "500 5.5.2 command not recognized\r\n");
    finish(&c, s); /* it keeps listening, so it notices the client leave */
}
END_TEST

START_TEST(test_tls_garbage_handshake_fails)
{
    SSL_CTX *tls = server_ctx(MXD_CERT_GOOD);
    mxd_scn_smtp cfg = make_cfg(MXD_SMTPB_TLS_GARBAGE, MXD_CERT_GOOD, 0);
    mxd_labsmtp *s = start_on_random_port(loop, &cfg, tls, 0, NULL);
    SSL_CTX_free(tls);
    client c;
    connect_and_greet(&c, s, GREETING);
    cl_send(&c, "EHLO client.test\r\nSTARTTLS\r\n");
    expect_text(loop, &c, "220 2.0.0 Ready to start TLS\r\n");
    cl_start_tls(&c, mxd_labca_cert(ca), NAME);
    wait_for w = { &c, NULL, NULL };
    wait_until(loop, w_handshake, &w, "TLS handshake");
    ck_assert(c.hs_failed);
    ck_assert(!c.hs_done);
    finish(&c, s);
}
END_TEST

/* A filtered server: the SYN gets no answer at all (not a refusal), for as long
 * as we care to wait; stopping it frees the port (then: refused). */
START_TEST(test_filtered)
{
    mxd_scn_smtp cfg = make_cfg(MXD_SMTPB_FILTERED, MXD_CERT_GOOD, 0);
    mxd_labsmtp *s = start_on_random_port(loop, &cfg, NULL, 0, NULL);
    unsigned port = mxd_labsmtp_port(s);
    client a, b;
    cl_connect(&a, loop, ADDR, port);
    cl_connect(&b, loop, ADDR, port);
    wait_for w = { &a, NULL, NULL };
    /* past the first SYN retransmission (1 s) */
    ck_assert(!mxd_loop_run_until(loop, w_connect_done, &w, mxd_now_ms() + 1300));
    ck_assert(a.connecting && !a.connected && a.conn_err == 0);
    ck_assert(b.connecting && !b.connected && b.conn_err == 0);
    ck_assert_uint_eq(mxd_labsmtp_sessions(s), 0);
    cl_close(&a);
    cl_close(&b);
    mxd_labsmtp_stop(s);
    ck_assert_uint_eq(mxd_loop_pending(loop), 0);
    client c;
    cl_connect(&c, loop, ADDR, port);
    wait_for wc = { &c, NULL, NULL };
    wait_until(loop, w_connect_done, &wc, "connect after stop");
    ck_assert_int_eq(c.conn_err, ECONNREFUSED);
    cl_close(&c);
}
END_TEST

START_TEST(test_hostile_split)
{
    SSL_CTX *tls = server_ctx(MXD_CERT_GOOD);
    mxd_scn_smtp cfg = make_cfg(MXD_SMTPB_HOSTILE_SPLIT, MXD_CERT_GOOD, 2);
    mxd_labsmtp *s = start_on_random_port(loop, &cfg, tls, 0, NULL);
    SSL_CTX_free(tls);
    client c;
    cl_connect(&c, loop, ADDR, mxd_labsmtp_port(s));
    expect_text(loop, &c, "\r\n");
    ck_assert_str_eq(mxd_sb_str(&c.in), GREETING);
    size_t n = strlen(GREETING);
    ck_assert_msg(c.reads >= n / 2, "greeting came in %u reads", c.reads);
    mxd_sb_clear(&c.in);
    unsigned reads = c.reads;
    cl_send(&c, "EHLO client.test\r\n");
    expect_text(loop, &c, "250 SMTPUTF8\r\n");
    ck_assert_str_eq(mxd_sb_str(&c.in), "250-" NAME " at your service\r\n"
                                        "250-PIPELINING\r\n"
                                        "250-SIZE 10485760\r\n"
                                        "250-8BITMIME\r\n"
                                        "250-STARTTLS\r\n"
                                        "250 SMTPUTF8\r\n");
    ck_assert_uint_ge(c.reads - reads, c.in.len / 2);
    mxd_sb_clear(&c.in);
    /* TLS still works (the records are cut small too) */
    cl_send(&c, "STARTTLS\r\n");
    expect_text(loop, &c, "220 2.0.0 Ready to start TLS\r\n");
    cl_start_tls(&c, mxd_labca_cert(ca), NAME);
    wait_for w = { &c, NULL, NULL };
    wait_until(loop, w_handshake, &w, "TLS handshake");
    ck_assert(c.hs_done);
    cl_send(&c, "NOOP\r\n");
    expect_text(loop, &c, "250 2.0.0 ok\r\n");
    finish(&c, s);
}
END_TEST

/* memmem() without _GNU_SOURCE */
static const void *find_bytes(const void *hay, size_t hlen, const void *needle, size_t nlen)
{
    for (size_t i = 0; hay && nlen <= hlen && i + nlen <= hlen; i++)
        if (memcmp((const char *)hay + i, needle, nlen) == 0)
            return (const char *)hay + i;
    return NULL;
}

static bool w_bytes(void *arg)
{
    wait_for *w = arg;
    return w->c->eof || w->c->in.len >= (size_t)(uintptr_t)w->text;
}

START_TEST(test_hostile_longline)
{
    mxd_scn_smtp cfg = make_cfg(MXD_SMTPB_HOSTILE_LONGLINE, MXD_CERT_GOOD, 0);
    mxd_labsmtp *s = start_on_random_port(loop, &cfg, NULL, 0, NULL);
    client c;
    cl_connect(&c, loop, ADDR, mxd_labsmtp_port(s));
    size_t want = strlen("220 " NAME " ESMTP ") + 100 * 1024 + 2;
    wait_for w = { &c, (const char *)(uintptr_t)want, NULL };
    wait_until(loop, w_bytes, &w, "a 100 KB greeting");
    ck_assert_uint_eq(c.in.len, want);
    ck_assert(memcmp(c.in.buf, "220 " NAME " ESMTP abcdefghij", 29 + strlen(NAME) - 15) == 0);
    ck_assert(memchr(c.in.buf, '\n', c.in.len) == c.in.buf + c.in.len - 1);
    finish(&c, s);
}
END_TEST

/* The endless greeting: megabytes of "220-" lines and never a "220 " line; the
 * server notices when the client gives up. */
START_TEST(test_hostile_endless)
{
    mxd_scn_smtp cfg = make_cfg(MXD_SMTPB_HOSTILE_ENDLESS, MXD_CERT_GOOD, 0);
    mxd_labsmtp *s = start_on_random_port(loop, &cfg, NULL, 0, NULL);
    client c;
    cl_connect(&c, loop, ADDR, mxd_labsmtp_port(s));
    wait_for w = { &c, (const char *)(uintptr_t)(1u << 20), NULL };
    wait_until(loop, w_bytes, &w, "1 MB of greeting");
    ck_assert(!c.eof);
    size_t lines = 0;
    for (const char *p = c.in.buf, *end = c.in.buf + c.in.len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            break; /* the last line may be incomplete */
        ck_assert_msg(strncmp(p, "220-", 4) == 0, "line %zu: %.40s", lines, p);
        lines++;
        p = nl + 1;
    }
    ck_assert_uint_gt(lines, 10000);
    finish(&c, s);
}
END_TEST

START_TEST(test_hostile_text)
{
    static const struct {
        mxd_smtp_behaviour b;
        const char *greeting_has; size_t glen;
        const char *ehlo_has; size_t elen;
    } t[] = {
#define B(s) s, sizeof s - 1
        { MXD_SMTPB_HOSTILE_BYTES, B("\xff\xfe invalid UTF-8 \xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80"
                                     " then a NUL \0 and text after the NUL\r\n"),
          B("250-X-BYTES \xff\xfe\xc0\xaf before a NUL \0 after it\r\n") },
        { MXD_SMTPB_HOSTILE_ESCAPES, B("\x1b[2J\x1b[H\x1b]0;pwned\x07\x1b]52;c;"),
          B("250-X-CLIPBOARD \x1b]52;c;") },
        { MXD_SMTPB_HOSTILE_BIDI, B(" ESMTP \xe2\x80\xae" "ydaer si revres siht\xe2\x80\xac"),
          B("250-X-BIDI \xe2\x80\xae") },
#undef B
    };
    SSL_CTX *tls = server_ctx(MXD_CERT_GOOD);
    mxd_scn_smtp cfg = make_cfg(t[_i].b, MXD_CERT_GOOD, 0);
    mxd_labsmtp *s = start_on_random_port(loop, &cfg, tls, 0, NULL);
    SSL_CTX_free(tls);
    client c;
    cl_connect(&c, loop, ADDR, mxd_labsmtp_port(s));
    wait_for w = { &c, (const char *)(uintptr_t)1, NULL };
    for (int i = 0; i < 100 && !find_bytes(c.in.buf, c.in.len, "\r\n", 2); i++)
        wait_until(loop, w_bytes, &w, "greeting"); /* no strstr: the text has a NUL */
    ck_assert(memcmp(c.in.buf, "220 " NAME, 4 + strlen(NAME)) == 0);
    ck_assert_ptr_nonnull(find_bytes(c.in.buf, c.in.len, t[_i].greeting_has, t[_i].glen));
    mxd_sb_clear(&c.in);
    cl_send(&c, "EHLO client.test\r\n");
    for (int i = 0; i < 100 && !find_bytes(c.in.buf, c.in.len, "250 SMTPUTF8\r\n", 14); i++)
        wait_until(loop, w_bytes, &w, "EHLO reply");
    ck_assert_ptr_nonnull(find_bytes(c.in.buf, c.in.len, "250 SMTPUTF8\r\n", 14));
    ck_assert_ptr_nonnull(find_bytes(c.in.buf, c.in.len, t[_i].ehlo_has, t[_i].elen));
    ck_assert_ptr_nonnull(find_bytes(c.in.buf, c.in.len, "250-STARTTLS\r\n", 14));
    finish(&c, s);
}
END_TEST

START_TEST(test_hostile_reset)
{
    mxd_scn_smtp cfg = make_cfg(MXD_SMTPB_HOSTILE_RESET, MXD_CERT_GOOD, 0);
    mxd_labsmtp *s = start_on_random_port(loop, &cfg, NULL, 0, NULL);
    client c;
    connect_and_greet(&c, s, GREETING);
    cl_send(&c, "EHLO client.test\r\n");
    wait_for w = { &c, NULL, NULL };
    wait_until(loop, w_eof, &w, "the reset");
    ck_assert_int_eq(c.read_err, ECONNRESET);
    /* what did arrive is half a reply: no final "250 " line */
    ck_assert_ptr_null(strstr(mxd_sb_str(&c.in), "\r\n250 "));
    finish(&c, s);
}
END_TEST

/* It greets and never reads. A client that sent a command and leaves is let go
 * of (the server looks for the hang-up, it cannot read it). */
START_TEST(test_hostile_noread)
{
    mxd_scn_smtp cfg = make_cfg(MXD_SMTPB_HOSTILE_NOREAD, MXD_CERT_GOOD, 0);
    mxd_labsmtp *s = start_on_random_port(loop, &cfg, NULL, 0, NULL);
    client c;
    connect_and_greet(&c, s, GREETING);
    cl_send(&c, "EHLO client.test\r\n");
    wait_for w = { &c, NULL, NULL };
    ck_assert(!mxd_loop_run_until(loop, w_eof, &w, mxd_now_ms() + 300));
    ck_assert_uint_eq(c.in.len, 0); /* no reply ever */
    ck_assert_uint_eq(mxd_labsmtp_active(s), 1);
    uint64_t t0 = mxd_now_ms();
    finish(&c, s); /* waits (WAIT_MS at most) until the server has let go */
    ck_assert_uint_lt(mxd_now_ms() - t0, 2000);
}
END_TEST

/* The client's writes fill the buffers and then would block (EAGAIN): the
 * server reads nothing at all. A client that closes normally now cannot even
 * get its FIN through the full window, so only a reset (or the server's own
 * life time) ends it; with a reset, the server lets go at once. */
START_TEST(test_hostile_noread_flood)
{
    mxd_scn_smtp cfg = make_cfg(MXD_SMTPB_HOSTILE_NOREAD, MXD_CERT_GOOD, 0);
    mxd_labsmtp *s = start_on_random_port(loop, &cfg, NULL, 0, NULL);
    client c;
    connect_and_greet(&c, s, GREETING);
    static char chunk[65536];
    memset(chunk, 'x', sizeof chunk);
    size_t sent = 0;
    bool full = false;
    for (int i = 0; i < 1000 && !full; i++) {
        ssize_t n = send(c.fd, chunk, sizeof chunk, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0) {
            sent += (size_t)n;
            continue;
        }
        ck_assert_msg(errno == EAGAIN || errno == EWOULDBLOCK, "%s", strerror(errno));
        mxd_loop_run_once(loop, 20); /* the server gets its turns and still reads nothing */
        n = send(c.fd, chunk, sizeof chunk, MSG_NOSIGNAL | MSG_DONTWAIT);
        full = n < 0;
        if (n > 0)
            sent += (size_t)n;
    }
    ck_assert_msg(full, "sent %zu bytes and the buffers never filled", sent);
    ck_assert_uint_eq(c.in.len, 0);
    ck_assert_uint_eq(mxd_labsmtp_active(s), 1);
    struct linger lg = { 1, 0 };
    ck_assert_int_eq(setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    uint64_t t0 = mxd_now_ms();
    finish(&c, s);
    ck_assert_uint_lt(mxd_now_ms() - t0, 2000);
}
END_TEST

static Suite *labsmtp_suite(void)
{
    Suite *s = suite_create("labsmtp");
    TCase *tc = tcase_create("servers");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_ok_dialogue);
    tcase_add_test(tc, test_starttls_good);
    tcase_add_loop_test(tc, test_bad_certs, 0, (int)(sizeof bad_certs / sizeof bad_certs[0]));
    tcase_add_test(tc, test_cert_contents);
    tcase_add_test(tc, test_refuse);
    tcase_add_loop_test(tc, test_greet_and_close, 0, 2);
    tcase_add_test(tc, test_blackhole);
    tcase_add_test(tc, test_blackhole_bounded);
    tcase_add_test(tc, test_inject);
    tcase_add_test(tc, test_no_starttls);
    tcase_add_test(tc, test_ok_without_tls);
    tcase_add_test(tc, test_tarpit);
    tcase_add_test(tc, test_delay_and_latency);
    tcase_add_test(tc, test_limits);
    tcase_add_test(tc, test_long_line);
    tcase_add_test(tc, test_too_many_errors);
    tcase_add_test(tc, test_only_loopback);
    tcase_add_test(tc, test_port_in_use);
    tcase_add_test(tc, test_stop_with_clients);
    tcase_add_test(tc, test_close_after_ehlo);
    tcase_add_test(tc, test_garbage);
    tcase_add_test(tc, test_tls_garbage_raw);
    tcase_add_test(tc, test_tls_garbage_handshake_fails);
    tcase_add_test(tc, test_filtered);
    tcase_add_test(tc, test_hostile_split);
    tcase_add_test(tc, test_hostile_longline);
    tcase_add_test(tc, test_hostile_endless);
    tcase_add_loop_test(tc, test_hostile_text, 0, 3);
    tcase_add_test(tc, test_hostile_reset);
    tcase_add_test(tc, test_hostile_noread);
    tcase_add_test(tc, test_hostile_noread_flood);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(labsmtp_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
