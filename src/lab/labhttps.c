/* labhttps.c — the lab's HTTPS servers (see labhttps.h).
 *
 * One connection is a short state machine: TLS handshake, read until the empty
 * line that ends the request head, queue the whole answer, write it, close.
 * Connections are marked dead inside callbacks and freed by a zero-delay timer,
 * so no callback ever returns into freed memory.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "mxd/labcert.h"
#include "mxd/labhttps.h"
#include "mxd/lablisten.h"
#include "mxd/strbuf.h"

enum { DEFAULT_MAX_CLIENTS = 64, DEFAULT_IDLE_MS = 10000, READ_CHUNK = 4096 };

typedef enum { ST_HANDSHAKE, ST_REQUEST, ST_ANSWER, ST_BLACKHOLE } state_t;

typedef struct conn {
    mxd_labhttps *srv;
    struct conn *next;
    int fd;
    SSL *ssl;
    state_t state;
    bool dead;
    bool want_write;
    mxd_sb in, out;
    uint64_t idle_timer;
} conn;

struct mxd_labhttps {
    mxd_loop *loop;
    mxd_scn_https site;       /* deep copy: paths and bodies owned */
    unsigned port;
    int lfd;
    SSL_CTX *tls;
    mxd_labhttps_limits lim;
    conn *conns;
    unsigned active, sessions, requests;
    uint64_t reap_timer;
};

static void on_io(mxd_loop *loop, int fd, unsigned events, void *arg);

/* ---------------------------------------------------------------- closing */

static void reap(mxd_loop *loop, void *arg)
{
    (void)loop;
    mxd_labhttps *s = arg;
    s->reap_timer = 0;
    for (conn **pp = &s->conns; *pp;) {
        conn *c = *pp;
        if (!c->dead) {
            pp = &c->next;
            continue;
        }
        *pp = c->next;
        SSL_free(c->ssl);
        mxd_sb_free(&c->in);
        mxd_sb_free(&c->out);
        free(c);
    }
}

static void conn_close(conn *c, bool graceful)
{
    if (c->dead)
        return;
    mxd_labhttps *s = c->srv;
    c->dead = true;
    mxd_loop_unwatch(s->loop, c->fd);
    mxd_loop_cancel(s->loop, c->idle_timer);
    if (c->ssl && graceful)
        SSL_shutdown(c->ssl); /* one close_notify, no waiting for the peer's */
    ERR_clear_error();
    close(c->fd);
    c->fd = -1;
    s->active--;
    if (!s->reap_timer)
        s->reap_timer = mxd_loop_timer(s->loop, 0, reap, s);
}

static void on_idle(mxd_loop *loop, void *arg)
{
    (void)loop;
    conn *c = arg;
    c->idle_timer = 0;
    conn_close(c, false);
}

static void arm_idle(conn *c)
{
    mxd_loop_cancel(c->srv->loop, c->idle_timer);
    c->idle_timer = mxd_loop_timer(c->srv->loop, c->srv->lim.idle_ms, on_idle, c);
}

static void update_events(conn *c)
{
    if (c->dead)
        return;
    unsigned ev = MXD_EV_READ;
    if (c->want_write || c->out.len)
        ev = MXD_EV_WRITE;
    if (mxd_loop_watch(c->srv->loop, c->fd, ev, on_io, c) < 0)
        conn_close(c, false);
}

/* ---------------------------------------------------------------- answers */

static const char *reason_of(int status)
{
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 410: return "Gone";
    case 421: return "Misdirected Request";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

static void answer(conn *c, int status, const char *type, const char *location, const char *body,
                   size_t body_len, bool head_only)
{
    mxd_sb *o = &c->out;
    mxd_sb_printf(o, "HTTP/1.1 %d %s\r\nServer: mxdoctor-lab\r\n", status, reason_of(status));
    if (type && *type)
        mxd_sb_printf(o, "Content-Type: %s\r\n", type);
    if (location && *location)
        mxd_sb_printf(o, "Location: %s\r\n", location);
    mxd_sb_printf(o, "Content-Length: %zu\r\nConnection: close\r\n\r\n", body_len);
    if (!head_only)
        mxd_sb_append(o, body, body_len);
    c->state = ST_ANSWER;
    c->srv->requests++;
    if (!mxd_sb_ok(o))
        conn_close(c, false);
}

static void answer_text(conn *c, int status, const char *text)
{
    answer(c, status, "text/plain; charset=utf-8", NULL, text, strlen(text), false);
}

/* Compares the Host header (value, n bytes) with name, ignoring case and a port. */
static bool host_matches(const char *v, size_t n, const char *name)
{
    const char *colon = memchr(v, ':', n);
    if (colon)
        n = (size_t)(colon - v);
    if (n && v[n - 1] == '.')
        n--;
    return n == strlen(name) && strncasecmp(v, name, n) == 0;
}

/* The request head is complete in c->in (len bytes up to and with the empty line). */
static void handle_request(conn *c, size_t len)
{
    mxd_labhttps *s = c->srv;
    char *req = c->in.buf;
    req[len - 1] = '\0';
    char *line_end = strpbrk(req, "\r\n");
    if (!line_end) {
        answer_text(c, 400, "bad request\n");
        return;
    }
    *line_end = '\0';
    char method[16], target[1024], version[16];
    char extra;
    if (sscanf(req, "%15s %1023s %15s %c", method, target, version, &extra) != 3 ||
        strncmp(version, "HTTP/1.", 7) != 0) {
        answer_text(c, 400, "bad request\n");
        return;
    }
    const char *host = NULL;
    size_t host_len = 0;
    for (char *l = line_end + 1; l < req + len - 1;) {
        while (*l == '\r' || *l == '\n')
            l++;
        char *e = strpbrk(l, "\r\n");
        size_t n = e ? (size_t)(e - l) : strlen(l);
        if (n > 5 && strncasecmp(l, "host:", 5) == 0) {
            const char *v = l + 5;
            while (*v == ' ' || *v == '\t')
                v++;
            size_t vn = n - (size_t)(v - l);
            while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
                vn--;
            if (host) {
                answer_text(c, 400, "two Host headers\n");
                return;
            }
            host = v;
            host_len = vn;
        }
        if (!e)
            break;
        l = e;
    }
    bool head = strcmp(method, "HEAD") == 0;
    if (!head && strcmp(method, "GET") != 0) {
        answer_text(c, 405, "only GET and HEAD are served here\n");
        return;
    }
    if (!host) {
        answer_text(c, 400, "no Host header\n");
        return;
    }
    if (!host_matches(host, host_len, s->site.name)) {
        answer_text(c, 421, "this server does not serve that host name\n");
        return;
    }
    char *q = strchr(target, '?');
    if (q)
        *q = '\0';
    for (size_t i = 0; i < s->site.npaths; i++) {
        const mxd_scn_https_path *p = &s->site.paths[i];
        if (strcmp(p->path, target) == 0) {
            answer(c, p->status, p->content_type, p->location, p->body, p->body_len, head);
            return;
        }
    }
    answer(c, 404, "text/plain; charset=utf-8", NULL, "not found\n", 10, head);
}

/* ---------------------------------------------------------------- I/O */

/* Writes what is queued; when all of it is out, the exchange is over. */
static void flush(conn *c)
{
    while (!c->dead && c->out.len) {
        ERR_clear_error();
        c->want_write = false;
        int r = SSL_write(c->ssl, c->out.buf, (int)(c->out.len > 65536 ? 65536 : c->out.len));
        if (r > 0) {
            mxd_sb_consume(&c->out, (size_t)r);
            arm_idle(c);
            continue;
        }
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_WRITE) {
            c->want_write = true;
            return;
        }
        if (e == SSL_ERROR_WANT_READ)
            return;
        conn_close(c, false);
        return;
    }
    if (!c->dead && c->state == ST_ANSWER && c->out.len == 0)
        conn_close(c, true);
}

static void read_request(conn *c)
{
    char buf[READ_CHUNK];
    while (!c->dead && c->state == ST_REQUEST) {
        ERR_clear_error();
        int r = SSL_read(c->ssl, buf, sizeof buf);
        if (r <= 0) {
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ)
                return;
            if (e == SSL_ERROR_WANT_WRITE) {
                c->want_write = true;
                return;
            }
            conn_close(c, false); /* the client went away before asking */
            return;
        }
        arm_idle(c);
        size_t old = c->in.len;
        mxd_sb_append(&c->in, buf, (size_t)r);
        if (!mxd_sb_ok(&c->in)) {
            conn_close(c, false);
            return;
        }
        /* Look for the end of the head from just before the new bytes. */
        size_t from = old > 3 ? old - 3 : 0;
        for (size_t i = from; i < c->in.len; i++) {
            if (c->in.buf[i] != '\n')
                continue;
            size_t end = 0;
            if (i + 1 < c->in.len && c->in.buf[i + 1] == '\n')
                end = i + 2;
            else if (i + 2 < c->in.len && c->in.buf[i + 1] == '\r' && c->in.buf[i + 2] == '\n')
                end = i + 3;
            if (end && end <= MXD_LABHTTPS_MAX_REQUEST) {
                handle_request(c, end);
                flush(c);
                return;
            }
        }
        if (c->in.len > MXD_LABHTTPS_MAX_REQUEST) {
            answer_text(c, 431, "request too large\n");
            flush(c);
            return;
        }
    }
}

static void handshake(conn *c)
{
    ERR_clear_error();
    c->want_write = false;
    int r = SSL_accept(c->ssl);
    if (r == 1) {
        c->state = ST_REQUEST;
        arm_idle(c);
        read_request(c);
        return;
    }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ)
        return;
    if (e == SSL_ERROR_WANT_WRITE) {
        c->want_write = true;
        return;
    }
    conn_close(c, false); /* the client refused our certificate, or spoke no TLS */
}

static void on_io(mxd_loop *loop, int fd, unsigned events, void *arg)
{
    (void)loop;
    (void)fd;
    (void)events; /* every step is non-blocking and harmless when not ready */
    conn *c = arg;
    if (c->dead)
        return;
    switch (c->state) {
    case ST_HANDSHAKE:
        handshake(c);
        break;
    case ST_REQUEST:
        read_request(c);
        break;
    case ST_ANSWER:
        flush(c);
        break;
    case ST_BLACKHOLE: {
        char buf[READ_CHUNK];
        ssize_t n;
        while ((n = recv(c->fd, buf, sizeof buf, 0)) > 0)
            ; /* heard and forgotten */
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            conn_close(c, false);
        break;
    }
    }
    update_events(c);
}

/* ---------------------------------------------------------------- accepting */

static void start_conn(mxd_labhttps *s, int fd)
{
    if (s->site.behaviour == MXD_HTTPSB_RESET) {
        /* Linger 0: close() sends a reset instead of an orderly FIN. */
        struct linger lg = { 1, 0 };
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        close(fd);
        s->sessions++;
        return;
    }
    conn *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return;
    }
    c->srv = s;
    c->fd = fd;
    c->next = s->conns;
    s->conns = c;
    s->active++;
    s->sessions++;
    arm_idle(c);
    if (s->site.behaviour == MXD_HTTPSB_BLACKHOLE) {
        c->state = ST_BLACKHOLE;
        update_events(c);
        return;
    }
    c->ssl = SSL_new(s->tls);
    if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
        ERR_clear_error();
        conn_close(c, false);
        return;
    }
    SSL_set_accept_state(c->ssl);
    c->state = ST_HANDSHAKE;
    handshake(c);
    update_events(c);
}

static void on_accept(mxd_loop *loop, int lfd, unsigned events, void *arg)
{
    (void)loop;
    (void)events;
    mxd_labhttps *s = arg;
    for (;;) {
        int fd = mxd_lablisten_accept(lfd);
        if (fd < 0)
            return; /* EAGAIN, or out of descriptors: try again on the next wake-up */
        if (s->active >= s->lim.max_clients) {
            close(fd);
            continue;
        }
        start_conn(s, fd);
    }
}

/* ---------------------------------------------------------------- public */

static void free_site(mxd_scn_https *site)
{
    for (size_t i = 0; i < site->npaths; i++)
        free(site->paths[i].body);
    free(site->paths);
    site->paths = NULL;
    site->npaths = 0;
}

static int copy_site(mxd_scn_https *dst, const mxd_scn_https *src)
{
    *dst = *src;
    dst->paths = NULL;
    dst->npaths = 0;
    if (!src->npaths)
        return 0;
    dst->paths = calloc(src->npaths, sizeof *dst->paths);
    if (!dst->paths)
        return -1;
    for (size_t i = 0; i < src->npaths; i++) {
        const mxd_scn_https_path *p = &src->paths[i];
        mxd_scn_https_path *q = &dst->paths[dst->npaths++];
        *q = *p;
        q->body = malloc(p->body_len + 1);
        if (!q->body) {
            q->body_len = 0;
            free_site(dst);
            return -1;
        }
        if (p->body_len)
            memcpy(q->body, p->body, p->body_len);
        q->body[p->body_len] = '\0';
    }
    return 0;
}

mxd_labhttps *mxd_labhttps_start(mxd_loop *loop, const mxd_scn_https *site, unsigned port,
                                 SSL_CTX *tls, const mxd_labhttps_limits *limits, char *err,
                                 size_t errlen)
{
    struct sockaddr_in sa;
    if (!mxd_lablisten_addr(site->addr, port, &sa)) {
        snprintf(err, errlen, "lab HTTPS: %s:%u is not a loopback address and port (127.x.y.z)",
                 site->addr, port);
        errno = EINVAL;
        return NULL;
    }
    if (!tls && site->behaviour == MXD_HTTPSB_OK) {
        snprintf(err, errlen, "lab HTTPS: %s needs a certificate", site->addr);
        errno = EINVAL;
        return NULL;
    }
    mxd_labhttps *s = calloc(1, sizeof *s);
    if (!s || copy_site(&s->site, site) < 0) {
        free(s);
        snprintf(err, errlen, "lab HTTPS: out of memory");
        errno = ENOMEM;
        return NULL;
    }
    s->loop = loop;
    s->port = port;
    s->lfd = -1;
    if (limits)
        s->lim = *limits;
    if (!s->lim.max_clients)
        s->lim.max_clients = DEFAULT_MAX_CLIENTS;
    if (!s->lim.idle_ms)
        s->lim.idle_ms = DEFAULT_IDLE_MS;
    if (tls && SSL_CTX_up_ref(tls))
        s->tls = tls;

    int fd = mxd_lablisten_open(&sa, 64, &s->port), e = 0;
    if (fd < 0) {
        e = errno;
    } else {
        s->lfd = fd;
        if (mxd_loop_watch(loop, fd, MXD_EV_READ, on_accept, s) == 0)
            return s;
        e = ENOMEM;
    }
    snprintf(err, errlen, "lab HTTPS: cannot listen on %s:%u: %s", site->addr, port, strerror(e));
    if (fd >= 0)
        close(fd);
    SSL_CTX_free(s->tls);
    free_site(&s->site);
    free(s);
    errno = e;
    return NULL;
}

void mxd_labhttps_stop(mxd_labhttps *s)
{
    if (!s)
        return;
    if (s->lfd >= 0) {
        mxd_loop_unwatch(s->loop, s->lfd);
        close(s->lfd);
    }
    for (conn *c = s->conns; c; c = c->next)
        conn_close(c, false);
    mxd_loop_cancel(s->loop, s->reap_timer);
    reap(s->loop, s);
    SSL_CTX_free(s->tls);
    free_site(&s->site);
    free(s);
}

unsigned mxd_labhttps_port(const mxd_labhttps *s) { return s->port; }
unsigned mxd_labhttps_sessions(const mxd_labhttps *s) { return s->sessions; }
unsigned mxd_labhttps_requests(const mxd_labhttps *s) { return s->requests; }
unsigned mxd_labhttps_active(const mxd_labhttps *s) { return s->active; }

/* ---------------------------------------------------------------- the set */

struct mxd_labhttps_set {
    mxd_labhttps **v;
    size_t n;
};

void mxd_labhttps_set_stop(mxd_labhttps_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++)
        mxd_labhttps_stop(set->v[i]);
    free(set->v);
    free(set);
}

mxd_labhttps_set *mxd_labhttps_set_start(mxd_loop *loop, mxd_labca *ca, const mxd_scn_https *sites,
                                         size_t n, unsigned port, char *err, size_t errlen)
{
    mxd_labhttps_set *set = calloc(1, sizeof *set);
    if (!set || (n && !(set->v = calloc(n, sizeof *set->v)))) {
        free(set);
        snprintf(err, errlen, "lab HTTPS: out of memory");
        errno = ENOMEM;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        SSL_CTX *ctx = NULL;
        if (sites[i].behaviour == MXD_HTTPSB_OK) {
            ctx = mxd_labca_server_ctx(ca, sites[i].name, sites[i].cert, err, errlen);
            if (!ctx) {
                mxd_labhttps_set_stop(set);
                errno = EINVAL;
                return NULL;
            }
        }
        mxd_labhttps *srv = mxd_labhttps_start(loop, &sites[i], port, ctx, NULL, err, errlen);
        int e = errno;
        SSL_CTX_free(ctx); /* the server holds its own reference */
        if (!srv) {
            mxd_labhttps_set_stop(set);
            errno = e;
            return NULL;
        }
        set->v[set->n++] = srv;
    }
    return set;
}
