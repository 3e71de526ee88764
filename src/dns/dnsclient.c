/* dnsclient.c — c-ares on the mxdoctor event loop (see dnsclient.h).
 *
 * c-ares tells us which sockets to watch through ARES_OPT_SOCK_STATE_CB; we feed
 * readiness back with ares_process_fd() and keep one loop timer armed at
 * ares_timeout() so its retransmissions happen. ARES_FLAG_NOCHECKRESP makes
 * c-ares hand back SERVFAIL and REFUSED answers instead of hiding them behind a
 * retry: a diagnosis tool must report what the resolver actually said.
 */
#include <sys/select.h>
#include <sys/time.h>
#include <ares.h>

#include <arpa/inet.h>
#include <sys/random.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxd/dnsclient.h"

typedef struct query {
    mxd_dns *d;
    mxd_dns_cb cb;
    void *arg;
    const void *owner;
    uint16_t id;           /* the DNS id sent: random and unique among live queries */
    uint64_t started;
    uint64_t deadline_timer;
    bool finished;         /* the user's callback ran (deadline or answer) */
    struct query *next;    /* all live queries, so free() can release them */
    struct query **pprev;
} query;

struct mxd_dns {
    mxd_loop *loop;
    ares_channel ch; /* the legacy pointer typedef: it exists in 1.18 and 1.34 alike */
    unsigned timeout_ms;
    bool recurse;
    uint64_t timer;        /* c-ares housekeeping timer */
    unsigned pending;      /* queries whose user callback has not run */
    bool destroying;
    query *live;
};

static void arm_timer(mxd_dns *d);

static void on_timer(mxd_loop *loop, void *arg)
{
    (void)loop;
    mxd_dns *d = arg;
    d->timer = 0;
    ares_process_fd(d->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    arm_timer(d);
}

static void arm_timer(mxd_dns *d)
{
    if (d->destroying)
        return;
    if (d->timer)
        mxd_loop_cancel(d->loop, d->timer);
    d->timer = 0;
    struct timeval tv, *tvp = ares_timeout(d->ch, NULL, &tv);
    if (tvp) {
        uint64_t ms = (uint64_t)tvp->tv_sec * 1000u + (uint64_t)tvp->tv_usec / 1000u;
        d->timer = mxd_loop_timer(d->loop, ms ? ms : 1, on_timer, d);
    }
}

static void on_io(mxd_loop *loop, int fd, unsigned ev, void *arg)
{
    (void)loop;
    mxd_dns *d = arg;
    ares_socket_t r = (ev & (MXD_EV_READ | MXD_EV_ERROR)) ? fd : ARES_SOCKET_BAD;
    ares_socket_t w = (ev & MXD_EV_WRITE) ? fd : ARES_SOCKET_BAD;
    ares_process_fd(d->ch, r, w);
    arm_timer(d);
}

static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
    mxd_dns *d = data;
    if (!readable && !writable)
        mxd_loop_unwatch(d->loop, fd);
    else
        mxd_loop_watch(d->loop, fd, (readable ? MXD_EV_READ : 0u) | (writable ? MXD_EV_WRITE : 0u),
                       on_io, d);
}

static void unlink_query(query *q)
{
    *q->pprev = q->next;
    if (q->next)
        q->next->pprev = q->pprev;
}

static void finish(query *q, mxd_qstate st, mxd_dnsmsg *msg)
{
    mxd_dns *d = q->d;
    if (q->deadline_timer)
        mxd_loop_cancel(d->loop, q->deadline_timer);
    q->deadline_timer = 0;
    q->finished = true;
    d->pending--;
    q->cb(q->arg, st, msg, (uint32_t)(mxd_now_ms() - q->started));
}

static void on_deadline(mxd_loop *loop, void *arg)
{
    (void)loop;
    query *q = arg;
    q->deadline_timer = 0;
    /* c-ares still owns the query; its late callback only frees our record. */
    finish(q, MXD_Q_TIMEOUT, NULL);
}

static mxd_qstate classify(const mxd_dnsmsg *m)
{
    switch (m->rcode) {
    case MXD_RCODE_NOERROR:
        for (size_t i = 0; i < m->nan; i++)
            if (m->an[i].type == m->qtype || m->qtype == MXD_T_ANY)
                return MXD_Q_OK;
        return MXD_Q_NODATA;
    case MXD_RCODE_NXDOMAIN: return MXD_Q_NXDOMAIN;
    case MXD_RCODE_SERVFAIL: return MXD_Q_SERVFAIL;
    case MXD_RCODE_REFUSED: return MXD_Q_REFUSED;
    default: return MXD_Q_ERROR;
    }
}

/* Common completion for both c-ares APIs: status plus the raw answer bytes. */
static void complete(query *q, int status, const unsigned char *abuf, size_t alen)
{
    if (q->d->destroying || q->finished) {
        unlink_query(q);
        free(q);
        return;
    }
    mxd_qstate st = MXD_Q_ERROR;
    mxd_dnsmsg *msg = NULL;
    if (status == ARES_SUCCESS && abuf) {
        msg = calloc(1, sizeof *msg);
        if (msg && mxd_dns_parse(abuf, alen, msg) == 0) {
            st = classify(msg);
        } else {
            free(msg);
            msg = NULL;
        }
    } else if (status == ARES_ETIMEOUT) {
        st = MXD_Q_TIMEOUT;
    } else if (status == ARES_ESERVFAIL) {
        st = MXD_Q_SERVFAIL;
    } else if (status == ARES_EREFUSED) {
        st = MXD_Q_REFUSED;
    } else if (status == ARES_ENOTFOUND) {
        st = MXD_Q_NXDOMAIN;
    } else if (status == ARES_ENODATA) {
        st = MXD_Q_NODATA;
    }
    unlink_query(q);
    finish(q, st, msg);
    free(q);
}

#if ARES_VERSION >= 0x011c00
/* c-ares 1.28+: ares_send() is deprecated; the record API carries the same
 * message, which we write back to wire form so one walker serves both. */
static void on_answer_rec(void *arg, ares_status_t status, size_t timeouts,
                          const ares_dns_record_t *rec)
{
    (void)timeouts;
    unsigned char *buf = NULL;
    size_t len = 0;
    if (status == ARES_SUCCESS && rec && ares_dns_write(rec, &buf, &len) != ARES_SUCCESS)
        status = ARES_EBADRESP;
    complete(arg, (int)status, buf, len);
    ares_free_string(buf);
}
#else
static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    (void)timeouts;
    complete(arg, status, abuf, alen > 0 ? (size_t)alen : 0);
}
#endif

int mxd_dns_query(mxd_dns *d, const char *name, uint16_t type, mxd_dns_cb cb, void *arg)
{
    return mxd_dns_query_owned(d, NULL, name, type, cb, arg);
}

void mxd_dns_forget(mxd_dns *d, const void *owner)
{
    for (query *q = d->live; q; q = q->next) {
        if (q->finished || q->owner != owner || !owner)
            continue;
        if (q->deadline_timer)
            mxd_loop_cancel(d->loop, q->deadline_timer);
        q->deadline_timer = 0;
        q->finished = true; /* c-ares's late callback only frees the record */
        d->pending--;
    }
}

/* A random id not used by any query c-ares may still hold: with 1.18 the id we
 * build is the id sent, and a guessable id makes spoofing an answer easy. */
static uint16_t fresh_id(const mxd_dns *d)
{
    for (;;) {
        uint16_t id;
        if (getrandom(&id, sizeof id, 0) != (ssize_t)sizeof id)
            id = (uint16_t)(mxd_now_ms() * 2654435761u >> 7);
        bool used = false;
        for (const query *q = d->live; q && !used; q = q->next)
            used = q->id == id;
        if (!used)
            return id;
    }
}

int mxd_dns_query_owned(mxd_dns *d, const void *owner, const char *name, uint16_t type,
                        mxd_dns_cb cb, void *arg)
{
    query *q = calloc(1, sizeof *q);
    if (!q)
        return -1;
    q->owner = owner;
    q->d = d;
    q->cb = cb;
    q->arg = arg;
    q->started = mxd_now_ms();
    q->next = d->live;
    if (d->live)
        d->live->pprev = &q->next;
    q->pprev = &d->live;
    d->live = q;
    d->pending++;

    uint8_t buf[512];
    q->id = fresh_id(d);
    int len = mxd_dns_build_query(buf, sizeof buf, q->id, name, type, d->recurse, true);
    /* Ask a validating resolver to say whether it validated the answer (the AD
     * bit, RFC 6840 §5.7): DANE's TLSA records mean something only then. */
    if (len > 3 && d->recurse)
        buf[3] |= (uint8_t)(MXD_F_AD & 0xFF);
    if (len < 0) {
        unlink_query(q);
        finish(q, MXD_Q_ERROR, NULL);
        free(q);
        return 0;
    }
    q->deadline_timer = mxd_loop_timer(d->loop, d->timeout_ms, on_deadline, q);
#if ARES_VERSION >= 0x011c00
    ares_dns_record_t *rec = NULL;
    if (ares_dns_parse(buf, (size_t)len, 0, &rec) != ARES_SUCCESS ||
        ares_send_dnsrec(d->ch, rec, on_answer_rec, q, NULL) != ARES_SUCCESS) {
        /* ares_send_dnsrec has already called back on failure, except for parse errors */
        if (!rec)
            complete(q, ARES_EBADQUERY, NULL, 0);
    }
    ares_dns_record_destroy(rec);
#else
    ares_send(d->ch, buf, len, on_answer, q);
#endif
    arm_timer(d);
    return 0;
}

unsigned mxd_dns_pending(const mxd_dns *d) { return d->pending; }

mxd_dns *mxd_dns_new(mxd_loop *loop, const char *servers, unsigned timeout_ms,
                     bool recurse, char *err, size_t errlen)
{
    static bool lib_ready;
    if (!lib_ready) {
        if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
            snprintf(err, errlen, "c-ares could not be initialised");
            return NULL;
        }
        lib_ready = true;
    }
    mxd_dns *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->loop = loop;
    d->timeout_ms = timeout_ms ? timeout_ms : 5000;
    d->recurse = recurse;

    struct ares_options o;
    memset(&o, 0, sizeof o);
    o.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_EDNS | ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
    o.ednspsz = 1232;
    /* Three tries inside our own deadline, so one lost UDP packet is not a verdict. */
    o.timeout = (int)(d->timeout_ms / 3 ? d->timeout_ms / 3 : 1);
    o.tries = 3;
    o.sock_state_cb = sock_state;
    o.sock_state_cb_data = d;
    /* A 200-MX domain asks ~800 questions at once; the default buffer drops answers. */
    o.socket_receive_buffer_size = 1 << 20;
    int mask = ARES_OPT_FLAGS | ARES_OPT_EDNSPSZ | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
               ARES_OPT_SOCK_STATE_CB | ARES_OPT_SOCK_RCVBUF;
    int rc = ares_init_options(&d->ch, &o, mask);
    if (rc != ARES_SUCCESS) {
        snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
        free(d);
        return NULL;
    }
    if (servers && *servers) {
        rc = ares_set_servers_ports_csv(d->ch, servers);
        if (rc != ARES_SUCCESS) {
            snprintf(err, errlen, "resolver list \"%s\": %s", servers, ares_strerror(rc));
            ares_destroy(d->ch);
            free(d);
            return NULL;
        }
    }
    return d;
}

void mxd_dns_free(mxd_dns *d)
{
    if (!d)
        return;
    d->destroying = true;
    if (d->timer)
        mxd_loop_cancel(d->loop, d->timer);
    for (query *q = d->live; q; q = q->next)
        if (q->deadline_timer)
            mxd_loop_cancel(d->loop, q->deadline_timer);
    ares_destroy(d->ch); /* calls back every live query with ARES_EDESTRUCTION: they free themselves */
    while (d->live) {    /* defensive: anything c-ares did not call back */
        query *q = d->live;
        unlink_query(q);
        free(q);
    }
    free(d);
}

bool mxd_dns_server_normalize(const char *in, char *out, size_t cap)
{
    char host[64];
    const char *port = NULL;
    unsigned char tmp[16];
    size_t n = strlen(in);
    if (n == 0 || n >= sizeof host + 8)
        return false;
    if (in[0] == '[') {
        const char *end = strchr(in, ']');
        if (!end || (size_t)(end - in - 1) >= sizeof host)
            return false;
        memcpy(host, in + 1, (size_t)(end - in - 1));
        host[end - in - 1] = '\0';
        if (end[1] == ':')
            port = end + 2;
        else if (end[1] != '\0')
            return false;
        if (inet_pton(AF_INET6, host, tmp) != 1)
            return false;
    } else {
        const char *colon = strchr(in, ':');
        if (colon && strchr(colon + 1, ':')) { /* bare IPv6, no port */
            if (n >= sizeof host || inet_pton(AF_INET6, in, tmp) != 1)
                return false;
            snprintf(out, cap, "[%s]:53", in);
            return true;
        }
        size_t hl = colon ? (size_t)(colon - in) : n;
        if (hl >= sizeof host)
            return false;
        memcpy(host, in, hl);
        host[hl] = '\0';
        if (colon)
            port = colon + 1;
        if (inet_pton(AF_INET, host, tmp) != 1)
            return false;
    }
    unsigned long p = 53;
    if (port) {
        char *end;
        if (!*port || *port == '-' || *port == '+')
            return false;
        p = strtoul(port, &end, 10);
        if (*end || p == 0 || p > 65535)
            return false;
    }
    int w = strchr(host, ':') ? snprintf(out, cap, "[%s]:%lu", host, p)
                              : snprintf(out, cap, "%s:%lu", host, p);
    return w > 0 && (size_t)w < cap;
}

unsigned mxd_dns_system_servers(char (*out)[64], unsigned max)
{
    FILE *f = fopen("/etc/resolv.conf", "r");
    unsigned n = 0;
    char line[256];
    if (!f)
        return 0;
    while (n < max && fgets(line, sizeof line, f)) {
        char addr[64];
        if (sscanf(line, " nameserver %63s", addr) == 1)
            snprintf(out[n++], 64, "%s", addr);
    }
    fclose(f);
    return n;
}
