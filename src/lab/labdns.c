/* labdns.c — the lab's authoritative servers and caching resolver (see labdns.h).
 *
 * Three layers, bottom up:
 *   srv      one listening address: a UDP socket, a TCP listener, its TCP
 *            clients (length-framed, non-blocking, bounded, idle-timed), and
 *            answers waiting out the latency setting. It hands each query to
 *            its owner and sends back whatever the owner answers, whenever
 *            that is (a TCP client that left meanwhile is simply skipped).
 *   auth     answers from zones, synchronously.
 *   resolver answers from its cache, or asks the zone's servers over UDP
 *            (TCP when the answer is truncated) and answers when they reply.
 * Everything runs on the caller's loop; nothing here blocks or sleeps.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mxd/labdns.h"
#include "mxd/lablisten.h"
#include "mxd/sanitize.h"

#define UDP_PLAIN 512        /* RFC 1035 limit without EDNS */
#define UDP_MAX 4096         /* the largest EDNS size we honour from a client */
#define OUR_EDNS 1232        /* what we advertise (DNS flag day 2020) */
#define MSG_MAX 65535
#define MAX_CONNS 64         /* TCP clients per server; more are closed at once */
#define TCP_IDLE_MS 10000    /* RFC 7766 §6.2.3: close idle connections */
#define TCP_OUT_MAX (256u * 1024u) /* a client that does not read loses its connection */
#define MAX_HOPS 8           /* CNAME links followed per answer */
#define MAX_PENDING 4096     /* resolver queries in flight (a batch of 64 diagnoses asks ~2000) */
#define CACHE_MAX 4096
#define CACHE_BUCKETS 4096   /* a power of two; one entry per chain when full */
#define TTL_CAP (7u * 86400u) /* a cache keeps nothing longer than a week */

static void seterr(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t n, const char *fmt, ...)
{
    if (!err || !n)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -1;
    return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

static uint16_t rand16(void)
{
    uint16_t v;
    if (getrandom(&v, sizeof v, GRND_NONBLOCK) == (ssize_t)sizeof v)
        return v;
    static uint32_t x = 2463534242u; /* no entropy yet: an id the test lab can live with */
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    return (uint16_t)x;
}

/* Only 127.0.0.0/8 and never port 5353 (mDNS) or a privileged port: the lab
 * must not be reachable from, or collide with, anything real. */
static int loopback_addr(const char *addr, uint16_t port, bool check_port,
                         struct sockaddr_in *sa, char *err, size_t errlen)
{
    if (!mxd_lablisten_addr(addr, port, sa)) {
        char *s = mxd_sanitize_str(addr);
        seterr(err, errlen, "lab DNS: '%s' is not a 127.x.y.z address; the lab uses loopback only",
               s ? s : "?");
        free(s);
        errno = EINVAL;
        return -1;
    }
    if (check_port && (port < 1024 || port == 5353)) {
        seterr(err, errlen, "lab DNS: port %u is not allowed (1024-65535, never 5353)", (unsigned)port);
        errno = EINVAL;
        return -1;
    }
    return 0;
}

/* ======================================================================== */
/* srv: one listening address                                                */

typedef struct srv srv;

/* Where an answer goes. TCP clients are named by id, not pointer: the
 * resolver answers later, and the connection may be gone by then. */
typedef struct client_ref {
    bool tcp;
    struct sockaddr_in peer; /* UDP */
    uint64_t conn_id;        /* TCP */
} client_ref;

typedef void (*query_fn)(srv *s, const client_ref *c, const uint8_t *q, size_t len);

typedef struct tconn {
    srv *s;
    int fd;
    uint64_t id;
    uint8_t *in;             /* 2 + MSG_MAX: one whole frame always fits */
    size_t inlen;
    uint8_t *out;
    size_t outlen, outcap;
    uint64_t idle_timer;
    bool busy, doomed;       /* closing waits until its own callback returns */
    struct tconn *next;
} tconn;

/* An answer waiting out the latency setting. Every answer of a server waits
 * the same time, so they leave in the order they came: one queue and one
 * loop timer for its head, instead of a timer each (thousands during a batch,
 * and the loop looks at every timer each time one fires). */
typedef struct delayed {
    client_ref c;
    uint8_t *msg;
    size_t len;
    uint64_t due;            /* mxd_now_ms() when it may go */
    struct delayed *next;
} delayed;

struct srv {
    mxd_loop *loop;
    int ufd, tfd;
    struct sockaddr_in addr;
    unsigned latency_ms;
    query_fn on_query;
    void *owner;
    tconn *conns;
    unsigned nconns;
    uint64_t next_conn;
    delayed *dhead, *dtail;  /* oldest first */
    uint64_t dtimer;         /* armed for dhead, or 0 */
    uint8_t *wbuf;           /* answers are built here (MSG_MAX) */
};

static void conn_close(tconn *c);

static void conn_idle(mxd_loop *l, void *arg)
{
    (void)l;
    tconn *c = arg;
    c->idle_timer = 0;
    conn_close(c);
}

static void conn_touch(tconn *c)
{
    if (c->idle_timer)
        mxd_loop_cancel(c->s->loop, c->idle_timer);
    c->idle_timer = mxd_loop_timer(c->s->loop, TCP_IDLE_MS, conn_idle, c);
}

static void conn_free(tconn *c)
{
    srv *s = c->s;
    for (tconn **pp = &s->conns; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    s->nconns--;
    if (c->idle_timer)
        mxd_loop_cancel(s->loop, c->idle_timer);
    mxd_loop_unwatch(s->loop, c->fd);
    close(c->fd);
    free(c->in);
    free(c->out);
    free(c);
}

static void conn_close(tconn *c)
{
    if (c->busy)
        c->doomed = true;
    else
        conn_free(c);
}

/* Writes what is pending, as far as the socket takes it. Returns -1 when the
 * connection was closed (or will be, once its callback returns): leave it be. */
static int conn_flush(tconn *c)
{
    while (c->outlen) {
        ssize_t n = send(c->fd, c->out, c->outlen, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            conn_close(c);
            return -1;
        }
        memmove(c->out, c->out + n, c->outlen - (size_t)n);
        c->outlen -= (size_t)n;
        conn_touch(c);
    }
    return 0;
}

static void on_conn(mxd_loop *l, int fd, unsigned ev, void *arg);

static void conn_want(tconn *c)
{
    mxd_loop_watch(c->s->loop, c->fd, MXD_EV_READ | (c->outlen ? MXD_EV_WRITE : 0), on_conn, c);
}

static void conn_send(srv *s, uint64_t id, const uint8_t *msg, size_t len)
{
    tconn *c = s->conns;
    while (c && c->id != id)
        c = c->next;
    if (!c || c->doomed)
        return; /* the client left before its answer was ready */
    if (c->outlen + 2 + len > TCP_OUT_MAX) {
        conn_close(c);
        return;
    }
    if (c->outcap < c->outlen + 2 + len) {
        size_t nc = c->outcap ? c->outcap : 1024;
        while (nc < c->outlen + 2 + len)
            nc *= 2;
        uint8_t *no = realloc(c->out, nc);
        if (!no) {
            conn_close(c);
            return;
        }
        c->out = no;
        c->outcap = nc;
    }
    c->out[c->outlen] = (uint8_t)(len >> 8);
    c->out[c->outlen + 1] = (uint8_t)len;
    memcpy(c->out + c->outlen + 2, msg, len);
    c->outlen += 2 + len;
    if (conn_flush(c) == 0)
        conn_want(c);
}

static void on_conn(mxd_loop *l, int fd, unsigned ev, void *arg)
{
    (void)l;
    tconn *c = arg;
    srv *s = c->s;
    if ((ev & MXD_EV_WRITE) && c->outlen) {
        if (conn_flush(c) < 0)
            return;
        conn_want(c);
    }
    if (!(ev & (MXD_EV_READ | MXD_EV_ERROR)))
        return;
    ssize_t n = recv(fd, c->in + c->inlen, 2 + MSG_MAX - c->inlen, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        conn_close(c);
        return;
    }
    c->inlen += (size_t)n;
    conn_touch(c);
    /* Several queries may arrive in one read (RFC 7766 pipelining), or one
     * query in many reads: take every whole frame, keep the rest. */
    c->busy = true;
    size_t off = 0;
    while (!c->doomed && c->inlen - off >= 2) {
        size_t flen = rd16(c->in + off);
        if (c->inlen - off < 2 + flen)
            break;
        client_ref ref = { .tcp = true, .conn_id = c->id };
        s->on_query(s, &ref, c->in + off + 2, flen);
        off += 2 + flen;
    }
    memmove(c->in, c->in + off, c->inlen - off);
    c->inlen -= off;
    c->busy = false;
    if (c->doomed)
        conn_free(c);
}

static void on_accept(mxd_loop *l, int fd, unsigned ev, void *arg)
{
    (void)ev;
    srv *s = arg;
    for (int i = 0; i < 16; i++) {
        int cfd = accept(fd, NULL, NULL);
        if (cfd < 0)
            return;
        tconn *c = NULL;
        if (s->nconns >= MAX_CONNS || set_nonblock(cfd) < 0 || !(c = calloc(1, sizeof *c)) ||
            !(c->in = malloc(2 + MSG_MAX))) {
            if (c)
                free(c);
            close(cfd);
            continue;
        }
        c->s = s;
        c->fd = cfd;
        c->id = ++s->next_conn;
        if (mxd_loop_watch(l, cfd, MXD_EV_READ, on_conn, c) < 0) {
            free(c->in);
            free(c);
            close(cfd);
            continue;
        }
        c->next = s->conns;
        s->conns = c;
        s->nconns++;
        conn_touch(c);
    }
}

static void on_udp(mxd_loop *l, int fd, unsigned ev, void *arg)
{
    (void)l;
    (void)ev;
    srv *s = arg;
    static uint8_t buf[MSG_MAX];
    /* A bounded batch, so one busy socket cannot starve the rest of the loop. */
    for (int i = 0; i < 64; i++) {
        struct sockaddr_in peer;
        socklen_t pl = sizeof peer;
        ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&peer, &pl);
        if (n < 0)
            return;
        if (pl != sizeof peer || peer.sin_family != AF_INET)
            continue;
        client_ref c = { .tcp = false, .peer = peer };
        s->on_query(s, &c, buf, (size_t)n);
    }
}

static void send_now(srv *s, const client_ref *c, const uint8_t *msg, size_t len)
{
    if (c->tcp)
        conn_send(s, c->conn_id, msg, len);
    else /* UDP is allowed to lose an answer; the client will ask again */
        (void)sendto(s->ufd, msg, len, 0, (const struct sockaddr *)&c->peer, sizeof c->peer);
}

static void delayed_pop(srv *s)
{
    delayed *d = s->dhead;
    s->dhead = d->next;
    if (!s->dhead)
        s->dtail = NULL;
    free(d->msg);
    free(d);
}

static void delayed_fire(mxd_loop *l, void *arg);

/* Arms the timer for the queue's head. Returns false on ENOMEM. */
static bool delayed_arm(srv *s)
{
    uint64_t now = mxd_now_ms(), due = s->dhead->due;
    s->dtimer = mxd_loop_timer(s->loop, due > now ? due - now : 0, delayed_fire, s);
    return s->dtimer != 0;
}

static void delayed_fire(mxd_loop *l, void *arg)
{
    (void)l;
    srv *s = arg;
    s->dtimer = 0;
    uint64_t now = mxd_now_ms();
    while (s->dhead && s->dhead->due <= now) {
        send_now(s, &s->dhead->c, s->dhead->msg, s->dhead->len);
        delayed_pop(s);
    }
    /* Without a timer nothing would send the rest: lose them, as UDP may. */
    if (s->dhead && !delayed_arm(s))
        while (s->dhead)
            delayed_pop(s);
}

/* Sends msg (copied) to c now, or after the latency setting. */
static void srv_reply(srv *s, const client_ref *c, const uint8_t *msg, size_t len)
{
    if (!s->latency_ms || !len) {
        if (len)
            send_now(s, c, msg, len);
        return;
    }
    delayed *d = calloc(1, sizeof *d);
    if (!d || !(d->msg = malloc(len))) {
        free(d);
        return;
    }
    memcpy(d->msg, msg, len);
    d->c = *c;
    d->len = len;
    d->due = mxd_now_ms() + s->latency_ms;
    if (s->dtail)
        s->dtail->next = d;
    else
        s->dhead = d;
    s->dtail = d;
    if (!s->dtimer && !delayed_arm(s)) /* the queue was empty: d is its head */
        delayed_pop(s);
}

static void srv_close(srv *s)
{
    if (s->dtimer)
        mxd_loop_cancel(s->loop, s->dtimer);
    s->dtimer = 0;
    while (s->dhead)
        delayed_pop(s);
    while (s->conns)
        conn_free(s->conns);
    if (s->ufd >= 0) {
        mxd_loop_unwatch(s->loop, s->ufd);
        close(s->ufd);
        s->ufd = -1;
    }
    if (s->tfd >= 0) {
        mxd_loop_unwatch(s->loop, s->tfd);
        close(s->tfd);
        s->tfd = -1;
    }
    free(s->wbuf);
    s->wbuf = NULL;
}

static int srv_open(srv *s, mxd_loop *loop, const char *addr, uint16_t port, unsigned latency_ms,
                    query_fn fn, void *owner, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->ufd = s->tfd = -1;
    s->loop = loop;
    s->latency_ms = latency_ms;
    s->on_query = fn;
    s->owner = owner;
    if (loopback_addr(addr, port, true, &s->addr, err, errlen) < 0)
        return -1;
    s->wbuf = malloc(MSG_MAX);
    if (!s->wbuf) {
        errno = ENOMEM;
        seterr(err, errlen, "lab DNS: out of memory");
        return -1;
    }
    /* SO_REUSEADDR on TCP only: it lets a restarted lab reuse a port still in
     * TIME_WAIT. On UDP, Linux would let a second socket share the port
     * silently, hiding the EADDRINUSE that tells the caller to pick another. */
    int one = 1;
    s->ufd = socket(AF_INET, SOCK_DGRAM, 0);
    s->tfd = socket(AF_INET, SOCK_STREAM, 0);
    const char *what = "socket";
    if (s->ufd < 0 || s->tfd < 0 || set_nonblock(s->ufd) < 0 || set_nonblock(s->tfd) < 0)
        goto fail;
    (void)setsockopt(s->tfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    /* Bursts (a 200-MX domain, a batch) arrive faster than one loop turn drains
     * them; the default buffer would drop queries and look like a broken server. */
    int rcvbuf = 4 << 20;
    (void)setsockopt(s->ufd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    what = "bind";
    if (bind(s->ufd, (struct sockaddr *)&s->addr, sizeof s->addr) < 0 ||
        bind(s->tfd, (struct sockaddr *)&s->addr, sizeof s->addr) < 0)
        goto fail;
    what = "listen";
    if (listen(s->tfd, 32) < 0)
        goto fail;
    what = "loop";
    if (mxd_loop_watch(loop, s->ufd, MXD_EV_READ, on_udp, s) < 0 ||
        mxd_loop_watch(loop, s->tfd, MXD_EV_READ, on_accept, s) < 0) {
        errno = ENOMEM;
        goto fail;
    }
    return 0;
fail:;
    int e = errno;
    seterr(err, errlen, "lab DNS: %s %s:%u: %s", what, addr, (unsigned)port, strerror(e));
    srv_close(s);
    errno = e;
    return -1;
}

/* A reply with no records: FORMERR, NOTIMP, REFUSED, SERVFAIL. q is the
 * parsed query, or NULL when it did not parse (then no question is echoed). */
static void reply_bare(srv *s, const client_ref *c, const uint8_t *raw, const mxd_dnsmsg *q,
                       uint16_t extra, int rcode)
{
    uint16_t flags = (uint16_t)((rd16(raw + 2) & (0x7800 | MXD_F_RD | MXD_F_CD)) | extra | rcode);
    mxd_dnsw w;
    bool question = q && q->qdcount == 1;
    if (mxd_dnsw_begin(&w, s->wbuf, UDP_PLAIN, rd16(raw), flags, question ? q->qname : NULL,
                       question ? q->qtype : 0, question ? q->qclass : 0) < 0 &&
        mxd_dnsw_begin(&w, s->wbuf, UDP_PLAIN, rd16(raw), flags, NULL, 0, 0) < 0)
        return;
    if (q && q->edns_udp_size)
        mxd_dnsw_edns(&w, OUR_EDNS);
    size_t n = mxd_dnsw_end(&w);
    srv_reply(s, c, s->wbuf, n);
}

/* Room for an answer: TCP takes anything; UDP 512 bytes, or what the
 * client's OPT record says it can receive. */
static size_t answer_cap(const client_ref *c, const mxd_dnsmsg *q)
{
    if (c->tcp)
        return MSG_MAX;
    if (!q->edns_udp_size)
        return UDP_PLAIN;
    return q->edns_udp_size > UDP_MAX ? UDP_MAX : q->edns_udp_size;
}

/* Screens a query common to both servers. Returns 1 when q holds a query to
 * answer, 0 when it was dealt with (dropped or refused). */
static int screen_query(srv *s, const client_ref *c, const uint8_t *raw, size_t len, mxd_dnsmsg *q)
{
    if (len < 12 || (raw[2] & 0x80))
        return 0; /* no header, or a response: answering responses makes loops */
    if (mxd_dns_parse(raw, len, q) < 0) {
        reply_bare(s, c, raw, NULL, 0, MXD_RCODE_FORMERR);
        return 0;
    }
    int rc = -1;
    if (((q->flags >> 11) & 0xF) != 0)
        rc = MXD_RCODE_NOTIMP;
    else if (q->qdcount != 1)
        rc = MXD_RCODE_FORMERR;
    if (rc >= 0) {
        reply_bare(s, c, raw, q, 0, rc);
        mxd_dnsmsg_free(q);
        return 0;
    }
    return 1;
}

/* ======================================================================== */
/* Name index                                                                */

/* A query must not cost a scan of the zone: the batch benchmark's zone holds
 * thousands of records and is asked thousands of times. Names are keyed by
 * their wire form, lower-cased, which is the comparison mxd_dns_name_eq makes
 * for valid names. A record whose owner is not a valid name (the scenario
 * parser admits none) is not indexed, so it never answers. A suffix of a
 * wire name is a pointer into it, so walking ancestors costs no conversion. */

#define NONE ((size_t)-1)
#define WIRE_MAX 256 /* 255 octets and room to spare */

/* Lower-cased wire form of name into w; its length, or -1 when not valid.
 * Length octets are at most 63, below 'A', so lowering every octet is safe. */
static int wire_key(const char *name, uint8_t w[WIRE_MAX])
{
    int n = mxd_dns_name_to_wire(name, w, WIRE_MAX);
    for (int i = 0; i < n; i++)
        if (w[i] >= 'A' && w[i] <= 'Z')
            w[i] = (uint8_t)(w[i] + 32);
    return n;
}

static uint32_t fnv1a(uint32_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 16777619u;
    }
    return h;
}

#define FNV_SEED 2166136261u

/* One key of an nmap and what was filed under it. */
typedef struct nent {
    size_t tag;
    size_t *v;               /* indices, in the order they were added */
    size_t n, cap;
    size_t next;             /* the bucket's chain; NONE ends it */
    uint32_t hash;
    uint16_t wlen;
    uint8_t wire[WIRE_MAX];
} nent;

/* A multimap from (tag, wire name) to indices. Built once and then only read
 * (the auth servers' zones), or grown a little (the resolver's zone list). */
typedef struct nmap {
    nent *e;
    size_t n, cap;
    size_t *bucket;
    size_t nbucket;          /* a power of two, or 0 while empty */
} nmap;

static uint32_t nmap_hash(size_t tag, const uint8_t *w, size_t wlen)
{
    return fnv1a(fnv1a(FNV_SEED, &tag, sizeof tag), w, wlen);
}

static const nent *nmap_get(const nmap *m, size_t tag, const uint8_t *w, size_t wlen)
{
    if (!m->nbucket)
        return NULL;
    uint32_t h = nmap_hash(tag, w, wlen);
    for (size_t i = m->bucket[h & (m->nbucket - 1)]; i != NONE; i = m->e[i].next) {
        const nent *e = &m->e[i];
        if (e->hash == h && e->tag == tag && e->wlen == wlen && memcmp(e->wire, w, wlen) == 0)
            return e;
    }
    return NULL;
}

static void nmap_rehash(nmap *m)
{
    for (size_t b = 0; b < m->nbucket; b++)
        m->bucket[b] = NONE;
    for (size_t i = 0; i < m->n; i++) {
        size_t b = m->e[i].hash & (m->nbucket - 1);
        m->e[i].next = m->bucket[b];
        m->bucket[b] = i;
    }
}

/* The entry for (tag, w), created empty when missing: its index, or NONE on
 * ENOMEM. *created says which. Entries move when the map grows: hold
 * indices, not pointers, across calls. */
static size_t nmap_put(nmap *m, size_t tag, const uint8_t *w, size_t wlen, bool *created)
{
    const nent *old = nmap_get(m, tag, w, wlen);
    *created = !old;
    if (old)
        return (size_t)(old - m->e);
    if (m->n == m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 16;
        nent *ne = realloc(m->e, nc * sizeof *ne);
        if (!ne)
            return NONE;
        m->e = ne;
        m->cap = nc;
    }
    if (m->n >= m->nbucket) { /* at most one entry per bucket on average */
        size_t nb = m->nbucket ? m->nbucket * 2 : 16;
        size_t *bk = realloc(m->bucket, nb * sizeof *bk);
        if (!bk)
            return NONE;
        m->bucket = bk;
        m->nbucket = nb;
        nmap_rehash(m);
    }
    nent *e = &m->e[m->n];
    memset(e, 0, offsetof(nent, wire));
    e->tag = tag;
    e->hash = nmap_hash(tag, w, wlen);
    e->wlen = (uint16_t)wlen;
    memcpy(e->wire, w, wlen);
    size_t b = e->hash & (m->nbucket - 1);
    e->next = m->bucket[b];
    m->bucket[b] = m->n;
    return m->n++;
}

static int nmap_add(nmap *m, size_t at, size_t idx)
{
    nent *e = &m->e[at];
    if (e->n == e->cap) {
        size_t nc = e->cap ? e->cap * 2 : 2;
        size_t *nv = realloc(e->v, nc * sizeof *nv);
        if (!nv)
            return -1;
        e->v = nv;
        e->cap = nc;
    }
    e->v[e->n++] = idx;
    return 0;
}

static void nmap_free(nmap *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->e[i].v);
    free(m->e);
    free(m->bucket);
    memset(m, 0, sizeof *m);
}

/* Files idx under origin (tag 0) in a map of zone cuts. Returns 0, or -1 on
 * ENOMEM; an origin that is not a valid name is left out, as no name is
 * under it. */
static int cuts_add(nmap *cuts, const char *origin, size_t idx)
{
    uint8_t w[WIRE_MAX];
    int l = wire_key(origin, w);
    bool created;
    if (l < 0)
        return 0;
    size_t at = nmap_put(cuts, 0, w, (size_t)l, &created);
    return at == NONE ? -1 : nmap_add(cuts, at, idx);
}

/* The first index filed under the longest origin containing name, or NONE:
 * the zone that speaks for name. Walks name's ancestors, longest first. */
static size_t cuts_find(const nmap *cuts, const char *name)
{
    uint8_t w[WIRE_MAX];
    int l = wire_key(name, w);
    if (l < 0)
        return NONE;
    for (const uint8_t *p = w;; p += *p + 1) {
        const nent *e = nmap_get(cuts, 0, p, (size_t)l - (size_t)(p - w));
        if (e && e->n)
            return e->v[0];
        if (!*p)
            return NONE;
    }
}

/* ======================================================================== */
/* Zones                                                                     */

static bool zone_has(const mxd_scn_zone *z, uint16_t type)
{
    for (size_t i = 0; i < z->nrrs; i++)
        if (z->rrs[i].type == type && mxd_dns_name_eq(z->rrs[i].name, z->origin))
            return true;
    return false;
}

/* "ns1." + origin, or origin itself when the prefix would not fit. */
static void prefixed(char *out, const char *prefix, const char *origin)
{
    char tmp[MXD_NAME_MAX];
    if (strcmp(origin, ".") == 0 || origin[0] == 0)
        snprintf(tmp, sizeof tmp, "%s", prefix);
    else
        snprintf(tmp, sizeof tmp, "%s.%s", prefix, origin);
    uint8_t w[256];
    if (mxd_dns_name_to_wire(tmp, w, sizeof w) < 0)
        snprintf(tmp, sizeof tmp, "%s", origin);
    memcpy(out, tmp, MXD_NAME_MAX);
}

int mxd_scn_zone_complete(mxd_scn_zone *z)
{
    bool soa = zone_has(z, MXD_T_SOA), ns = zone_has(z, MXD_T_NS);
    size_t add = (size_t)!soa + (size_t)!ns;
    if (!add)
        return 0;
    mxd_rr *nv = realloc(z->rrs, (z->nrrs + add) * sizeof *nv);
    if (!nv)
        return -1;
    z->rrs = nv;
    char host[MXD_NAME_MAX], mbox[MXD_NAME_MAX];
    prefixed(host, "ns1", z->origin);
    prefixed(mbox, "hostmaster", z->origin);
    if (!soa) {
        mxd_rr *r = &z->rrs[z->nrrs];
        memset(r, 0, sizeof *r);
        r->type = MXD_T_SOA;
        r->rclass = 1;
        r->ttl = 3600;
        r->u.soa.serial = 1;
        r->u.soa.refresh = 3600;
        r->u.soa.retry = 600;
        r->u.soa.expire = 86400;
        r->u.soa.minimum = 300;
        if (mxd_rr_set(&r->name, z->origin) < 0 || mxd_rr_set(&r->u.soa.mname, host) < 0 ||
            mxd_rr_set(&r->u.soa.rname, mbox) < 0) {
            mxd_rr_clear(r);
            return -1;
        }
        z->nrrs++;
    }
    if (!ns) {
        mxd_rr *r = &z->rrs[z->nrrs];
        memset(r, 0, sizeof *r);
        r->type = MXD_T_NS;
        r->rclass = 1;
        r->ttl = 3600;
        if (mxd_rr_set(&r->name, z->origin) < 0 || mxd_rr_set(&r->u.target, host) < 0) {
            mxd_rr_clear(r);
            return -1;
        }
        z->nrrs++;
    }
    return 0;
}

static void zones_free(mxd_scn_zone *zs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < zs[i].nrrs; k++)
            mxd_rr_clear(&zs[i].rrs[k]);
        free(zs[i].rrs);
    }
    free(zs);
}

static mxd_scn_zone *zones_copy(const mxd_scn_zone *src, size_t n)
{
    mxd_scn_zone *zs = calloc(n ? n : 1, sizeof *zs);
    if (!zs)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        memcpy(zs[i].origin, src[i].origin, sizeof zs[i].origin);
        zs[i].line = src[i].line;
        zs[i].rrs = calloc(src[i].nrrs ? src[i].nrrs : 1, sizeof *zs[i].rrs);
        if (!zs[i].rrs)
            goto fail;
        for (size_t k = 0; k < src[i].nrrs; k++) {
            if (mxd_rr_copy(&zs[i].rrs[k], &src[i].rrs[k]) < 0)
                goto fail;
            zs[i].nrrs++;
        }
        if (mxd_scn_zone_complete(&zs[i]) < 0)
            goto fail;
    }
    return zs;
fail:
    zones_free(zs, n);
    return NULL;
}

/* RFC 2308 §3: a negative answer carries the SOA with TTL min(TTL, MINIMUM). */
static uint32_t neg_ttl(const mxd_rr *soa)
{
    return soa->ttl < soa->u.soa.minimum ? soa->ttl : soa->u.soa.minimum;
}

/* ======================================================================== */
/* Authoritative server                                                      */

struct mxd_labdns_auth {
    srv s;
    mxd_auth_mode mode;
    mxd_scn_zone *zones;
    size_t nzones;
    nmap cuts;               /* origin -> zone index */
    nmap names;              /* (zone index, name) -> its records, for every name that
                                exists in the zone, empty non-terminals included */
    size_t *soa;             /* per zone: its first SOA record, or NONE */
    unsigned long queries;
};

/* Indexes a->zones once, so that a query costs the records at its name and
 * not the whole zone. Returns 0, or -1 on ENOMEM. */
static int auth_index(mxd_labdns_auth *a)
{
    a->soa = malloc((a->nzones ? a->nzones : 1) * sizeof *a->soa);
    if (!a->soa)
        return -1;
    for (size_t z = 0; z < a->nzones; z++) {
        const mxd_scn_zone *zn = &a->zones[z];
        a->soa[z] = NONE;
        if (cuts_add(&a->cuts, zn->origin, z) < 0)
            return -1;
        for (size_t k = 0; k < zn->nrrs; k++) {
            if (zn->rrs[k].type == MXD_T_SOA && a->soa[z] == NONE)
                a->soa[z] = k;
            uint8_t w[WIRE_MAX];
            int l = wire_key(zn->rrs[k].name, w);
            if (l < 0)
                continue;
            bool created;
            size_t at = nmap_put(&a->names, z, w, (size_t)l, &created);
            if (at == NONE || nmap_add(&a->names, at, k) < 0)
                return -1;
            /* Its ancestors exist too: a name with names below it is an
             * empty non-terminal, NODATA and not NXDOMAIN (RFC 8020). Every
             * entry comes with its ancestors, so the walk stops at the first
             * one already there. */
            for (const uint8_t *p = w; created && *p;) {
                p += *p + 1;
                if (nmap_put(&a->names, z, p, (size_t)l - (size_t)(p - w), &created) == NONE)
                    return -1;
            }
        }
    }
    return 0;
}

/* Name's entry in zone z (its records, in zone order), or NULL when the zone
 * has no such name. */
static const nent *auth_name(const mxd_labdns_auth *a, size_t z, const char *name)
{
    uint8_t w[WIRE_MAX];
    int l = wire_key(name, w);
    return l < 0 ? NULL : nmap_get(&a->names, z, w, (size_t)l);
}

/* Glue for MX and NS targets the server happens to know: saves the client a
 * round trip, as real servers do. Whatever does not fit is left out. */
static void add_glue(const mxd_labdns_auth *a, mxd_dnsw *w, const mxd_rr *rr)
{
    const char *target = rr->type == MXD_T_MX ? rr->u.mx.host :
                         rr->type == MXD_T_NS ? rr->u.target : NULL;
    size_t z = target ? cuts_find(&a->cuts, target) : NONE;
    if (z == NONE)
        return;
    mxd_dnsw_section(w, 3);
    const nent *e = auth_name(a, z, target);
    for (size_t i = 0; e && i < e->n; i++) {
        const mxd_rr *g = &a->zones[z].rrs[e->v[i]];
        if (g->type == MXD_T_A || g->type == MXD_T_AAAA)
            mxd_dnsw_add(w, g);
    }
}

/* Answers q from zone z (an index in a->zones). */
static void auth_answer(const mxd_labdns_auth *a, size_t z, const mxd_dnsmsg *q, mxd_dnsw *w)
{
    const char *cur = q->qname;
    for (int hops = 0;; hops++) {
        const mxd_rr *rrs = a->zones[z].rrs;
        const nent *e = auth_name(a, z, cur);
        bool any = false;
        const mxd_rr *cname = NULL;
        mxd_dnsw_section(w, 1);
        for (size_t i = 0; e && i < e->n; i++) {
            const mxd_rr *rr = &rrs[e->v[i]];
            if (rr->type == q->qtype || q->qtype == MXD_T_ANY) {
                mxd_dnsw_add(w, rr);
                any = true;
            } else if (rr->type == MXD_T_CNAME) {
                cname = rr;
            }
        }
        if (any) {
            for (size_t i = 0; i < e->n; i++)
                if (rrs[e->v[i]].type == q->qtype)
                    add_glue(a, w, &rrs[e->v[i]]);
            return;
        }
        if (cname) {
            /* RFC 1034 §4.3.2: return the CNAME and restart at its target,
             * as far as this server's own zones go. */
            mxd_dnsw_add(w, cname);
            size_t tz = cuts_find(&a->cuts, cname->u.target);
            if (tz == NONE || hops + 1 >= MAX_HOPS)
                return;
            cur = cname->u.target;
            z = tz;
            continue;
        }
        if (!e) /* no such name, not even as an empty non-terminal */
            mxd_dnsw_set_rcode(w, MXD_RCODE_NXDOMAIN);
        if (a->soa[z] != NONE) {
            const mxd_rr *soa = &rrs[a->soa[z]];
            mxd_rr neg = *soa;
            neg.data = NULL;
            neg.ttl = neg_ttl(soa);
            mxd_dnsw_section(w, 2);
            mxd_dnsw_add(w, &neg);
        }
        return;
    }
}

static void auth_on_query(srv *s, const client_ref *c, const uint8_t *raw, size_t len)
{
    mxd_labdns_auth *a = s->owner;
    a->queries++;
    if (a->mode == MXD_AUTH_SILENT)
        return;
    mxd_dnsmsg q;
    if (!screen_query(s, c, raw, len, &q))
        return;
    size_t z = NONE;
    int rcode = MXD_RCODE_NOERROR;
    if (a->mode == MXD_AUTH_SERVFAIL)
        rcode = MXD_RCODE_SERVFAIL;
    else if (a->mode == MXD_AUTH_LAME)
        rcode = MXD_RCODE_REFUSED;
    else if (q.qclass != 1 && q.qclass != MXD_T_ANY)
        rcode = MXD_RCODE_REFUSED;
    else if (q.qtype == 251 || q.qtype == 252) /* IXFR, AXFR: no zone transfers here */
        rcode = MXD_RCODE_REFUSED;
    else if ((z = cuts_find(&a->cuts, q.qname)) == NONE)
        rcode = MXD_RCODE_REFUSED; /* not our zone: no referrals, no recursion */
    if (rcode != MXD_RCODE_NOERROR) {
        reply_bare(s, c, raw, &q, 0, rcode);
        mxd_dnsmsg_free(&q);
        return;
    }
    uint16_t flags = (uint16_t)((q.flags & (MXD_F_RD | MXD_F_CD)) | MXD_F_AA);
    mxd_dnsw w;
    if (mxd_dnsw_begin(&w, s->wbuf, answer_cap(c, &q), q.id, flags, q.qname, q.qtype, q.qclass) == 0) {
        if (q.edns_udp_size)
            mxd_dnsw_edns(&w, OUR_EDNS);
        auth_answer(a, z, &q, &w);
        size_t n = mxd_dnsw_end(&w);
        srv_reply(s, c, s->wbuf, n);
    }
    mxd_dnsmsg_free(&q);
}

static void auth_free_zones(mxd_labdns_auth *a)
{
    zones_free(a->zones, a->nzones);
    nmap_free(&a->cuts);
    nmap_free(&a->names);
    free(a->soa);
}

mxd_labdns_auth *mxd_labdns_auth_start(mxd_loop *loop, const mxd_labdns_auth_cfg *cfg,
                                       char *err, size_t errlen)
{
    mxd_labdns_auth *a = calloc(1, sizeof *a);
    if (a && (a->zones = zones_copy(cfg->zones, cfg->nzones)))
        a->nzones = cfg->nzones;
    if (!a || !a->zones || auth_index(a) < 0) {
        if (a)
            auth_free_zones(a);
        free(a);
        seterr(err, errlen, "lab DNS: out of memory");
        errno = ENOMEM;
        return NULL;
    }
    a->mode = cfg->mode;
    if (srv_open(&a->s, loop, cfg->addr, cfg->port, cfg->latency_ms, auth_on_query, a, err, errlen) < 0) {
        int e = errno;
        auth_free_zones(a);
        free(a);
        errno = e;
        return NULL;
    }
    return a;
}

unsigned long mxd_labdns_auth_queries(const mxd_labdns_auth *a)
{
    return a ? a->queries : 0;
}

void mxd_labdns_auth_free(mxd_labdns_auth *a)
{
    if (!a)
        return;
    srv_close(&a->s);
    auth_free_zones(a);
    free(a);
}

/* ======================================================================== */
/* Resolver: cache                                                           */

#define TYPE_NXDOMAIN 0 /* cache key type for "this name does not exist" */

typedef struct centry {
    char name[MXD_NAME_MAX]; /* canonical */
    uint16_t type;
    bool negative;           /* rrs holds the SOA to show (or nothing) */
    int rcode;
    mxd_rr *rrs;
    size_t n;
    uint64_t expires;        /* monotonic ms */
    uint32_t hash;           /* of (name, type) */
    size_t hnext;            /* the bucket's chain; NONE ends it */
} centry;

typedef struct rrlist {
    mxd_rr *v;
    size_t n, cap;
} rrlist;

static int rrlist_add(rrlist *l, const mxd_rr *rr, uint32_t ttl)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 8;
        mxd_rr *nv = realloc(l->v, nc * sizeof *nv);
        if (!nv)
            return -1;
        l->v = nv;
        l->cap = nc;
    }
    if (mxd_rr_copy(&l->v[l->n], rr) < 0)
        return -1;
    l->v[l->n].ttl = ttl;
    l->n++;
    return 0;
}

static void rrlist_free(rrlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        mxd_rr_clear(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

typedef struct rzone {
    char origin[MXD_NAME_MAX];
    struct sockaddr_in *srv;
    size_t nsrv;
} rzone;

typedef struct rq rq;

struct mxd_labdns_resolver {
    srv s;
    uint16_t upstream_port;
    unsigned try_ms, deadline_ms;
    rzone *zones;
    size_t nzones;
    nmap cuts;               /* origin -> index in zones */
    /* The cache: an array with two indexes over it, so that neither a
     * lookup nor an eviction scans it. A hash of (name, type) finds an
     * entry; a heap ordered by (expires, array index) names the entry to
     * evict from a full cache: the one closest to expiry, the lowest index
     * among equals, as a scan of the array would find. */
    centry *cache;
    size_t ncache, capcache;
    size_t *cbucket;         /* CACHE_BUCKETS chains of cache indices */
    size_t *heap;            /* every cache index, heap-ordered */
    size_t *hpos;            /* hpos[i]: where cache index i sits in heap */
    rq *pending;
    unsigned npending;
    unsigned long upstream;
    struct dnssec_zone *dnssec; /* mxd_labdns_resolver_set_dnssec() */
    size_t ndnssec;
};

static void centry_free(centry *e)
{
    for (size_t i = 0; i < e->n; i++)
        mxd_rr_clear(&e->rrs[i]);
    free(e->rrs);
    e->rrs = NULL;
    e->n = 0;
}

static uint32_t cache_hash(const char *canon, uint16_t type)
{
    return fnv1a(fnv1a(FNV_SEED, &type, sizeof type), canon, strlen(canon));
}

/* The link that holds cache index i: a bucket, or the entry before it. */
static size_t *cache_link(mxd_labdns_resolver *r, size_t i)
{
    size_t *pp = &r->cbucket[r->cache[i].hash & (CACHE_BUCKETS - 1)];
    while (*pp != i)
        pp = &r->cache[*pp].hnext;
    return pp;
}

static bool heap_less(const mxd_labdns_resolver *r, size_t a, size_t b)
{
    uint64_t ea = r->cache[a].expires, eb = r->cache[b].expires;
    return ea < eb || (ea == eb && a < b);
}

static void heap_set(mxd_labdns_resolver *r, size_t pos, size_t i)
{
    r->heap[pos] = i;
    r->hpos[i] = pos;
}

/* Puts the entry at heap position pos where its key says, up or down; the
 * heap holds r->ncache entries. */
static void heap_fix(mxd_labdns_resolver *r, size_t pos)
{
    size_t i = r->heap[pos];
    while (pos > 0 && heap_less(r, i, r->heap[(pos - 1) / 2])) {
        heap_set(r, pos, r->heap[(pos - 1) / 2]);
        pos = (pos - 1) / 2;
    }
    for (;;) {
        size_t c = 2 * pos + 1;
        if (c >= r->ncache)
            break;
        if (c + 1 < r->ncache && heap_less(r, r->heap[c + 1], r->heap[c]))
            c++;
        if (!heap_less(r, r->heap[c], i))
            break;
        heap_set(r, pos, r->heap[c]);
        pos = c;
    }
    heap_set(r, pos, i);
}

/* Frees entry i and moves the last entry into its place. */
static void cache_drop(mxd_labdns_resolver *r, size_t i)
{
    *cache_link(r, i) = r->cache[i].hnext;
    centry_free(&r->cache[i]);
    size_t last = --r->ncache, p = r->hpos[i];
    if (p != last) { /* the heap's last entry takes i's place there */
        heap_set(r, p, r->heap[last]);
        heap_fix(r, p);
    }
    if (i != last) {
        *cache_link(r, last) = i;
        r->cache[i] = r->cache[last];
        size_t q = r->hpos[last];
        heap_set(r, q, i);
        heap_fix(r, q); /* same expiry, a lower index: it can only rise */
    }
}

/* The index of (canon, type), expired or not, or NONE. */
static size_t cache_lookup(const mxd_labdns_resolver *r, const char *canon, uint16_t type)
{
    if (!r->cbucket)
        return NONE;
    uint32_t h = cache_hash(canon, type);
    for (size_t i = r->cbucket[h & (CACHE_BUCKETS - 1)]; i != NONE; i = r->cache[i].hnext) {
        const centry *e = &r->cache[i];
        if (e->hash == h && e->type == type && strcmp(e->name, canon) == 0)
            return i;
    }
    return NONE;
}

/* Seconds left, rounded up: an entry stored with TTL 300 answers 300 at first
 * and 299 a second later, as a real resolver does. */
static uint32_t remaining(const centry *e, uint64_t now)
{
    return (uint32_t)((e->expires - now + 999) / 1000);
}

static centry *cache_find(mxd_labdns_resolver *r, const char *canon, uint16_t type)
{
    size_t i = cache_lookup(r, canon, type);
    if (i == NONE)
        return NULL;
    if (r->cache[i].expires <= mxd_now_ms()) {
        cache_drop(r, i);
        return NULL;
    }
    return &r->cache[i];
}

/* Stores (name, type); rrs are copied. ttl in seconds. */
static void cache_put(mxd_labdns_resolver *r, const char *name, uint16_t type, bool negative,
                      int rcode, const mxd_rr *rrs, size_t n, uint32_t ttl)
{
    char canon[MXD_NAME_MAX];
    if (!mxd_dns_name_canon(name, canon, sizeof canon) || ttl == 0)
        return;
    if (ttl > TTL_CAP)
        ttl = TTL_CAP;
    uint64_t now = mxd_now_ms();
    if (!r->cbucket) {
        r->cbucket = malloc(CACHE_BUCKETS * sizeof *r->cbucket);
        if (!r->cbucket)
            return;
        for (size_t b = 0; b < CACHE_BUCKETS; b++)
            r->cbucket[b] = NONE;
    }
    size_t old = cache_lookup(r, canon, type);
    if (old != NONE)
        cache_drop(r, old);
    if (r->ncache >= CACHE_MAX) {
        if (r->cache[r->heap[0]].expires <= now) /* some have expired: they go */
            for (size_t i = r->ncache; i-- > 0;)
                if (r->cache[i].expires <= now)
                    cache_drop(r, i);
        if (r->ncache >= CACHE_MAX) /* still full: the entry closest to expiry goes */
            cache_drop(r, r->heap[0]);
    }
    if (r->ncache == r->capcache) {
        size_t nc = r->capcache ? r->capcache * 2 : 64;
        centry *nv = realloc(r->cache, nc * sizeof *nv);
        if (!nv)
            return;
        r->cache = nv;
        size_t *nh = realloc(r->heap, nc * sizeof *nh);
        if (!nh)
            return;
        r->heap = nh;
        size_t *np = realloc(r->hpos, nc * sizeof *np);
        if (!np)
            return;
        r->hpos = np;
        r->capcache = nc;
    }
    centry e;
    memset(&e, 0, sizeof e);
    memcpy(e.name, canon, sizeof e.name);
    e.type = type;
    e.negative = negative;
    e.rcode = rcode;
    e.expires = now + (uint64_t)ttl * 1000u;
    e.hash = cache_hash(canon, type);
    if (n) {
        e.rrs = calloc(n, sizeof *e.rrs);
        if (!e.rrs)
            return;
        for (size_t i = 0; i < n; i++) {
            if (mxd_rr_copy(&e.rrs[i], &rrs[i]) < 0) {
                centry_free(&e);
                return;
            }
            e.n++;
        }
    }
    size_t *head = &r->cbucket[e.hash & (CACHE_BUCKETS - 1)];
    e.hnext = *head;
    *head = r->ncache;
    r->cache[r->ncache] = e;
    heap_set(r, r->ncache, r->ncache);
    r->ncache++;
    heap_fix(r, r->ncache - 1);
}

int mxd_labdns_resolver_preload(mxd_labdns_resolver *r, const char *name, uint16_t type,
                                const mxd_rr *rrs, size_t nrrs, uint32_t ttl)
{
    char canon[MXD_NAME_MAX];
    if (!r || !nrrs || !rrs || ttl == 0 || !mxd_dns_name_canon(name, canon, sizeof canon))
        return -1;
    cache_put(r, canon, type, false, MXD_RCODE_NOERROR, rrs, nrrs, ttl);
    return cache_find(r, canon, type) ? 0 : -1;
}

void mxd_labdns_resolver_flush(mxd_labdns_resolver *r)
{
    if (!r)
        return;
    while (r->ncache)
        cache_drop(r, r->ncache - 1);
}

/* ======================================================================== */
/* Resolver: queries                                                         */

struct rq {
    mxd_labdns_resolver *r;
    client_ref client;
    uint16_t id;
    uint16_t qflags;         /* the client's RD and CD bits, and AD when it asked
                                for DNSSEC (AD or DO, RFC 6840 §5.7) */
    uint16_t client_edns;    /* 0: the client sent no OPT */
    size_t cap;
    char qname[MXD_NAME_MAX];
    uint16_t qtype, qclass;
    char cur[MXD_NAME_MAX];  /* where the CNAME chain has got to */
    int hops;
    rrlist ans;              /* the chain so far, then the data */
    mxd_rr soa;              /* negative answers: the authority SOA */
    bool has_soa;
    size_t zone;             /* index in r->zones */
    size_t srv_idx;
    unsigned bad;            /* servers that answered uselessly for this name */
    uint64_t deadline_timer, try_timer;
    int ufd, tfd;
    uint16_t up_id;
    uint8_t qbuf[2 + 512];   /* the upstream query, with TCP's length prefix */
    size_t qlen, tsent;
    uint8_t *tin;            /* TCP answer: 2 + MSG_MAX */
    size_t tinlen;
    rq *next, **pprev;
};

static void rq_step(rq *q);
static void rq_next(rq *q);
static void rq_finish(rq *q, int rcode);
static void rq_fail_fast(rq *q);

static void rq_close_upstream(rq *q)
{
    mxd_loop *l = q->r->s.loop;
    if (q->try_timer) {
        mxd_loop_cancel(l, q->try_timer);
        q->try_timer = 0;
    }
    if (q->ufd >= 0) {
        mxd_loop_unwatch(l, q->ufd);
        close(q->ufd);
        q->ufd = -1;
    }
    if (q->tfd >= 0) {
        mxd_loop_unwatch(l, q->tfd);
        close(q->tfd);
        q->tfd = -1;
    }
    free(q->tin);
    q->tin = NULL;
    q->tinlen = 0;
}

static void rq_free(rq *q)
{
    rq_close_upstream(q);
    if (q->deadline_timer)
        mxd_loop_cancel(q->r->s.loop, q->deadline_timer);
    *q->pprev = q->next;
    if (q->next)
        q->next->pprev = q->pprev;
    q->r->npending--;
    rrlist_free(&q->ans);
    mxd_rr_clear(&q->soa);
    free(q);
}

static bool answer_signed(const rq *q, int rcode);

/* Answers the client and frees q. */
static void rq_finish(rq *q, int rcode)
{
    mxd_labdns_resolver *r = q->r;
    uint16_t flags = (uint16_t)((q->qflags & ~MXD_F_AD) | MXD_F_RA | (rcode & 0xF));
    if ((q->qflags & MXD_F_AD) && answer_signed(q, rcode))
        flags |= MXD_F_AD;
    mxd_dnsw w;
    if (mxd_dnsw_begin(&w, r->s.wbuf, q->cap, q->id, flags, q->qname, q->qtype, q->qclass) == 0) {
        if (q->client_edns)
            mxd_dnsw_edns(&w, OUR_EDNS);
        for (size_t i = 0; i < q->ans.n; i++)
            mxd_dnsw_add(&w, &q->ans.v[i]);
        if (q->has_soa) {
            mxd_dnsw_section(&w, 2);
            mxd_dnsw_add(&w, &q->soa);
        }
        size_t n = mxd_dnsw_end(&w);
        srv_reply(&r->s, &q->client, r->s.wbuf, n);
    }
    rq_free(q);
}

static void rq_set_soa(rq *q, const mxd_rr *soa, uint32_t ttl)
{
    mxd_rr_clear(&q->soa);
    if (mxd_rr_copy(&q->soa, soa) == 0) {
        q->soa.ttl = ttl;
        q->has_soa = true;
    }
}

static void on_deadline(mxd_loop *l, void *arg)
{
    (void)l;
    rq *q = arg;
    q->deadline_timer = 0;
    rq_finish(q, MXD_RCODE_SERVFAIL);
}

static void on_try_timeout(mxd_loop *l, void *arg)
{
    (void)l;
    rq *q = arg;
    q->try_timer = 0;
    rq_next(q);
}

/* Takes what the authoritative answer m says about q->cur. */
static void rq_handle(rq *q, const mxd_dnsmsg *m)
{
    mxd_labdns_resolver *r = q->r;
    int rc = m->rcode;
    if (!(m->flags & MXD_F_AA) || (rc != MXD_RCODE_NOERROR && rc != MXD_RCODE_NXDOMAIN)) {
        rq_fail_fast(q); /* lame, SERVFAIL, REFUSED: this server cannot help */
        return;
    }
    rq_close_upstream(q);
    char name[MXD_NAME_MAX];
    memcpy(name, q->cur, sizeof name);
    for (;;) {
        size_t first = q->ans.n;
        uint32_t minttl = UINT32_MAX;
        for (size_t i = 0; i < m->nan; i++) {
            const mxd_rr *rr = &m->an[i];
            if ((rr->type == q->qtype || (q->qtype == MXD_T_ANY && rr->type != MXD_T_OPT)) &&
                mxd_dns_name_eq(rr->name, name)) {
                rrlist_add(&q->ans, rr, rr->ttl);
                if (rr->ttl < minttl)
                    minttl = rr->ttl;
            }
        }
        if (q->ans.n > first) {
            cache_put(r, name, q->qtype, false, MXD_RCODE_NOERROR, q->ans.v + first,
                      q->ans.n - first, minttl);
            rq_finish(q, MXD_RCODE_NOERROR);
            return;
        }
        const mxd_rr *cn = NULL;
        for (size_t i = 0; i < m->nan && !cn; i++)
            if (m->an[i].type == MXD_T_CNAME && mxd_dns_name_eq(m->an[i].name, name))
                cn = &m->an[i];
        if (!cn)
            break;
        rrlist_add(&q->ans, cn, cn->ttl);
        cache_put(r, name, MXD_T_CNAME, false, MXD_RCODE_NOERROR, cn, 1, cn->ttl);
        snprintf(name, sizeof name, "%s", cn->u.target);
        if (++q->hops > MAX_HOPS) {
            rq_finish(q, MXD_RCODE_SERVFAIL);
            return;
        }
    }
    /* No data for name. With an SOA of a zone holding name, the server spoke
     * for it: a negative answer, cached for min(SOA TTL, MINIMUM) (RFC 2308 §5). */
    const mxd_rr *soa = NULL;
    for (size_t i = 0; i < m->nns && !soa; i++)
        if (m->ns[i].type == MXD_T_SOA)
            soa = &m->ns[i];
    if (soa && mxd_dns_name_under(name, soa->name)) {
        uint32_t ttl = neg_ttl(soa);
        if (rc == MXD_RCODE_NXDOMAIN)
            cache_put(r, name, TYPE_NXDOMAIN, true, rc, soa, 1, ttl);
        else
            cache_put(r, name, q->qtype, true, rc, soa, 1, ttl);
        rq_set_soa(q, soa, ttl);
        rq_finish(q, rc);
        return;
    }
    if (rc == MXD_RCODE_NOERROR && !mxd_dns_name_eq(name, q->cur)) {
        /* The chain left that server's zones: ask whoever serves the target. */
        memcpy(q->cur, name, sizeof q->cur);
        rq_step(q);
        return;
    }
    /* A negative answer without an SOA cannot be cached (RFC 2308 §5). */
    rq_finish(q, rc);
}

static bool answer_matches(const rq *q, const mxd_dnsmsg *m)
{
    return m->id == q->up_id && (m->flags & MXD_F_QR) && m->qdcount == 1 &&
           m->qtype == q->qtype && mxd_dns_name_eq(m->qname, q->cur);
}

static void on_up_tcp(mxd_loop *l, int fd, unsigned ev, void *arg)
{
    rq *q = arg;
    size_t flen = q->qlen + 2;
    if (q->tsent < flen) {
        if (!(ev & (MXD_EV_WRITE | MXD_EV_ERROR)))
            return;
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
            rq_fail_fast(q);
            return;
        }
        ssize_t n = send(fd, q->qbuf + q->tsent, flen - q->tsent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                rq_fail_fast(q);
            return;
        }
        q->tsent += (size_t)n;
        if (q->tsent == flen)
            mxd_loop_watch(l, fd, MXD_EV_READ, on_up_tcp, q);
        return;
    }
    ssize_t n = recv(fd, q->tin + q->tinlen, 2 + MSG_MAX - q->tinlen, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        rq_fail_fast(q);
        return;
    }
    q->tinlen += (size_t)n;
    if (q->tinlen < 2 || q->tinlen < 2 + (size_t)rd16(q->tin))
        return;
    mxd_dnsmsg m;
    if (mxd_dns_parse(q->tin + 2, rd16(q->tin), &m) < 0) {
        rq_fail_fast(q);
        return;
    }
    if (!answer_matches(q, &m)) {
        mxd_dnsmsg_free(&m);
        rq_fail_fast(q);
        return;
    }
    rq_handle(q, &m);
    mxd_dnsmsg_free(&m);
}

static const struct sockaddr_in *rq_server(const rq *q)
{
    const rzone *z = &q->r->zones[q->zone];
    return &z->srv[q->srv_idx % z->nsrv];
}

/* Bound to the resolver's own address, so the servers see who asks. */
static int upstream_socket(const rq *q, int type)
{
    int fd = socket(AF_INET, type, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in src = q->r->s.addr;
    src.sin_port = 0;
    if (set_nonblock(fd) < 0 || bind(fd, (struct sockaddr *)&src, sizeof src) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The UDP answer was truncated: the same server again, over TCP. */
static void rq_tcp(rq *q)
{
    mxd_labdns_resolver *r = q->r;
    rq_close_upstream(q);
    q->tin = malloc(2 + MSG_MAX);
    q->tfd = q->tin ? upstream_socket(q, SOCK_STREAM) : -1;
    if (q->tfd < 0) {
        rq_fail_fast(q);
        return;
    }
    const struct sockaddr_in *to = rq_server(q);
    if (connect(q->tfd, (const struct sockaddr *)to, sizeof *to) < 0 && errno != EINPROGRESS) {
        rq_fail_fast(q);
        return;
    }
    q->tsent = 0;
    q->tinlen = 0;
    r->upstream++;
    mxd_loop_watch(r->s.loop, q->tfd, MXD_EV_WRITE, on_up_tcp, q);
    q->try_timer = mxd_loop_timer(r->s.loop, r->try_ms, on_try_timeout, q);
}

static void on_up_udp(mxd_loop *l, int fd, unsigned ev, void *arg)
{
    (void)l;
    (void)ev;
    rq *q = arg;
    static uint8_t buf[MSG_MAX];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return;
        rq_fail_fast(q); /* ECONNREFUSED: nothing listens there */
        return;
    }
    mxd_dnsmsg m;
    /* Garbage or a stray answer is ignored, not trusted: keep waiting for
     * the real one until the try times out. */
    if (mxd_dns_parse(buf, (size_t)n, &m) < 0)
        return;
    if (!answer_matches(q, &m)) {
        mxd_dnsmsg_free(&m);
        return;
    }
    if (m.flags & MXD_F_TC) {
        mxd_dnsmsg_free(&m);
        rq_tcp(q);
        return;
    }
    rq_handle(q, &m);
    mxd_dnsmsg_free(&m);
}

/* Asks the current server about q->cur over UDP. */
static void rq_send(rq *q)
{
    mxd_labdns_resolver *r = q->r;
    rq_close_upstream(q);
    q->up_id = rand16();
    int n = mxd_dns_build_query(q->qbuf + 2, sizeof q->qbuf - 2, q->up_id, q->cur, q->qtype,
                                false, true);
    if (n < 0) {
        rq_finish(q, MXD_RCODE_SERVFAIL);
        return;
    }
    q->qlen = (size_t)n;
    q->qbuf[0] = (uint8_t)(n >> 8);
    q->qbuf[1] = (uint8_t)n;
    q->ufd = upstream_socket(q, SOCK_DGRAM);
    if (q->ufd < 0) {
        rq_finish(q, MXD_RCODE_SERVFAIL);
        return;
    }
    const struct sockaddr_in *to = rq_server(q);
    /* connect(): only that server's answers reach this socket, and a closed
     * port shows up as ECONNREFUSED instead of a timeout. */
    if (connect(q->ufd, (const struct sockaddr *)to, sizeof *to) == 0)
        (void)send(q->ufd, q->qbuf + 2, q->qlen, 0);
    r->upstream++;
    mxd_loop_watch(r->s.loop, q->ufd, MXD_EV_READ, on_up_udp, q);
    q->try_timer = mxd_loop_timer(r->s.loop, r->try_ms, on_try_timeout, q);
}

/* This server timed out: the next one (round robin) until the deadline says
 * enough. */
static void rq_next(rq *q)
{
    q->srv_idx++;
    rq_send(q);
}

/* This server said something useless, or refused the connection: the next
 * one, but once every server has failed twice, SERVFAIL at once — a fault
 * that answers instantly would otherwise be asked again and again until the
 * deadline. */
static void rq_fail_fast(rq *q)
{
    const rzone *z = &q->r->zones[q->zone];
    if (++q->bad >= 2 * z->nsrv) {
        rq_finish(q, MXD_RCODE_SERVFAIL);
        return;
    }
    rq_next(q);
}

/* Answers from the cache as far as it goes, else asks the zone's servers. */
static void rq_step(rq *q)
{
    mxd_labdns_resolver *r = q->r;
    uint64_t now = mxd_now_ms();
    for (;;) {
        if (q->hops > MAX_HOPS) {
            rq_finish(q, MXD_RCODE_SERVFAIL);
            return;
        }
        char canon[MXD_NAME_MAX];
        if (!mxd_dns_name_canon(q->cur, canon, sizeof canon)) {
            rq_finish(q, MXD_RCODE_SERVFAIL);
            return;
        }
        centry *e = cache_find(r, canon, q->qtype);
        if (!e)
            e = cache_find(r, canon, TYPE_NXDOMAIN);
        if (e) {
            uint32_t left = remaining(e, now);
            if (e->negative) {
                if (e->n)
                    rq_set_soa(q, &e->rrs[0], left);
            } else {
                for (size_t i = 0; i < e->n; i++)
                    rrlist_add(&q->ans, &e->rrs[i], left);
            }
            rq_finish(q, e->rcode);
            return;
        }
        if (q->qtype == MXD_T_CNAME || !(e = cache_find(r, canon, MXD_T_CNAME)) || e->negative || !e->n)
            break;
        rrlist_add(&q->ans, &e->rrs[0], remaining(e, now));
        snprintf(q->cur, sizeof q->cur, "%s", e->rrs[0].u.target);
        q->hops++;
    }
    size_t z = cuts_find(&r->cuts, q->cur);
    if (z == NONE || !r->zones[z].nsrv) {
        /* Outside the lab's zones. A real resolver would ask the internet;
         * the lab never does. A CNAME that leads out is a failure to
         * resolve, not a refusal of the question. */
        int rc = q->ans.n ? MXD_RCODE_SERVFAIL : MXD_RCODE_REFUSED;
        /* Reverse names for the lab's own loopback addresses: real resolvers
         * serve these locally and answer NXDOMAIN (RFC 6303), so a scenario
         * without a reverse zone shows "no PTR", not a broken resolver. */
        if (!q->ans.n && (mxd_dns_name_under(q->cur, "in-addr.arpa") ||
                          mxd_dns_name_under(q->cur, "ip6.arpa")))
            rc = MXD_RCODE_NXDOMAIN;
        rq_finish(q, rc);
        return;
    }
    q->zone = z;
    q->srv_idx = 0;
    q->bad = 0;
    rq_send(q);
}

/* ---- simulated DNSSEC ----
 * The lab signs nothing. A zone marked "dnssec: signed" stands for a signed
 * zone that a validating resolver could check: the resolver sets AD on an
 * answer whose every record (and the SOA of a negative answer) comes from such
 * zones, when the client asked about DNSSEC (RFC 6840 §5.7). */

struct dnssec_zone {
    char origin[MXD_NAME_MAX]; /* canonical */
    bool is_signed;
};

/* The AD bit of the query, or the DO bit of its OPT record. */
static bool asks_dnssec(const mxd_dnsmsg *m)
{
    if (m->flags & MXD_F_AD)
        return true;
    for (size_t i = 0; i < m->nar; i++)
        if (m->ar[i].type == MXD_T_OPT)
            return (m->ar[i].ttl & 0x8000u) != 0;
    return false;
}

/* Whether the zone that holds name is signed: the longest origin given
 * to mxd_labdns_resolver_set_dnssec() that contains it decides. */
static bool name_signed(const mxd_labdns_resolver *r, const char *name)
{
    const struct dnssec_zone *best = NULL;
    for (size_t i = 0; i < r->ndnssec; i++)
        if (mxd_dns_name_under(name, r->dnssec[i].origin) &&
            (!best || strlen(r->dnssec[i].origin) > strlen(best->origin)))
            best = &r->dnssec[i];
    return best && best->is_signed;
}

static bool answer_signed(const rq *q, int rcode)
{
    if ((rcode != MXD_RCODE_NOERROR && rcode != MXD_RCODE_NXDOMAIN) || (!q->ans.n && !q->has_soa))
        return false;
    for (size_t i = 0; i < q->ans.n; i++)
        if (!name_signed(q->r, q->ans.v[i].name))
            return false;
    return !q->has_soa || name_signed(q->r, q->soa.name);
}

int mxd_labdns_resolver_set_dnssec(mxd_labdns_resolver *r, const char *origin, bool is_signed)
{
    char canon[MXD_NAME_MAX];
    if (!r || !origin || !mxd_dns_name_canon(origin, canon, sizeof canon))
        return -1;
    for (size_t i = 0; i < r->ndnssec; i++)
        if (strcmp(r->dnssec[i].origin, canon) == 0) {
            r->dnssec[i].is_signed = r->dnssec[i].is_signed || is_signed;
            return 0;
        }
    struct dnssec_zone *nv = realloc(r->dnssec, (r->ndnssec + 1) * sizeof *nv);
    if (!nv)
        return -1;
    r->dnssec = nv;
    memcpy(nv[r->ndnssec].origin, canon, sizeof canon);
    nv[r->ndnssec++].is_signed = is_signed;
    return 0;
}

static void resolver_on_query(srv *s, const client_ref *c, const uint8_t *raw, size_t len)
{
    mxd_labdns_resolver *r = s->owner;
    mxd_dnsmsg m;
    if (!screen_query(s, c, raw, len, &m))
        return;
    int rcode = -1;
    if (m.qclass != 1)
        rcode = MXD_RCODE_REFUSED;
    else if (m.qtype == 251 || m.qtype == 252 || m.qtype == MXD_T_OPT)
        rcode = MXD_RCODE_NOTIMP;
    else if (r->npending >= MAX_PENDING)
        rcode = MXD_RCODE_SERVFAIL;
    rq *q = rcode < 0 ? calloc(1, sizeof *q) : NULL;
    if (!q) {
        reply_bare(s, c, raw, &m, MXD_F_RA, rcode < 0 ? MXD_RCODE_SERVFAIL : rcode);
        mxd_dnsmsg_free(&m);
        return;
    }
    q->r = r;
    q->client = *c;
    q->id = m.id;
    q->qflags = (uint16_t)((m.flags & (MXD_F_RD | MXD_F_CD)) | (asks_dnssec(&m) ? MXD_F_AD : 0));
    q->client_edns = m.edns_udp_size;
    q->cap = answer_cap(c, &m);
    memcpy(q->qname, m.qname, sizeof q->qname);
    memcpy(q->cur, m.qname, sizeof q->cur);
    q->qtype = m.qtype;
    q->qclass = m.qclass;
    q->ufd = q->tfd = -1;
    mxd_dnsmsg_free(&m);
    q->next = r->pending;
    if (q->next)
        q->next->pprev = &q->next;
    q->pprev = &r->pending;
    r->pending = q;
    r->npending++;
    q->deadline_timer = mxd_loop_timer(s->loop, r->deadline_ms, on_deadline, q);
    rq_step(q);
}

mxd_labdns_resolver *mxd_labdns_resolver_start(mxd_loop *loop, const mxd_labdns_resolver_cfg *cfg,
                                               char *err, size_t errlen)
{
    mxd_labdns_resolver *r = calloc(1, sizeof *r);
    if (!r) {
        seterr(err, errlen, "lab DNS: out of memory");
        errno = ENOMEM;
        return NULL;
    }
    r->upstream_port = cfg->upstream_port ? cfg->upstream_port : cfg->port;
    r->try_ms = cfg->try_timeout_ms ? cfg->try_timeout_ms : 600 + cfg->latency_ms;
    r->deadline_ms = cfg->deadline_ms ? cfg->deadline_ms : 2 * r->try_ms + 200;
    if (srv_open(&r->s, loop, cfg->addr, cfg->port, cfg->latency_ms, resolver_on_query, r,
                 err, errlen) < 0) {
        int e = errno;
        free(r);
        errno = e;
        return NULL;
    }
    return r;
}

int mxd_labdns_resolver_add_zone(mxd_labdns_resolver *r, const char *origin, const char *server_addr)
{
    char canon[MXD_NAME_MAX];
    struct sockaddr_in sa;
    if (!r || !origin || !mxd_dns_name_canon(origin, canon, sizeof canon) ||
        loopback_addr(server_addr, r->upstream_port, false, &sa, NULL, 0) < 0)
        return -1;
    rzone *z = NULL;
    for (size_t i = 0; i < r->nzones; i++)
        if (strcmp(r->zones[i].origin, canon) == 0)
            z = &r->zones[i];
    if (!z) {
        rzone *nv = realloc(r->zones, (r->nzones + 1) * sizeof *nv);
        if (!nv)
            return -1;
        r->zones = nv;
        if (cuts_add(&r->cuts, canon, r->nzones) < 0)
            return -1;
        z = &r->zones[r->nzones++];
        memset(z, 0, sizeof *z);
        memcpy(z->origin, canon, sizeof z->origin);
    }
    struct sockaddr_in *ns = realloc(z->srv, (z->nsrv + 1) * sizeof *ns);
    if (!ns)
        return -1;
    z->srv = ns;
    z->srv[z->nsrv++] = sa;
    return 0;
}

unsigned long mxd_labdns_resolver_upstream_queries(const mxd_labdns_resolver *r)
{
    return r ? r->upstream : 0;
}

void mxd_labdns_resolver_free(mxd_labdns_resolver *r)
{
    if (!r)
        return;
    while (r->pending)
        rq_free(r->pending);
    srv_close(&r->s);
    mxd_labdns_resolver_flush(r);
    free(r->cache);
    free(r->heap);
    free(r->hpos);
    free(r->cbucket);
    nmap_free(&r->cuts);
    for (size_t i = 0; i < r->nzones; i++)
        free(r->zones[i].srv);
    free(r->zones);
    free(r->dnssec);
    free(r);
}
