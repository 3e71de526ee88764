/* propagation.c — the propagation step's probe (see propagation.h).
 *
 * Two chains run at once on the loop:
 *
 *   zone search  SOA? domain, then up one label at a time, until an answer owns
 *                the zone apex (or names it in the authority section)
 *     └─ NS? apex                 (through the engine's resolvers)
 *          └─ A?/AAAA? each NS host, unless the NS answer carried glue
 *               └─ SOA? apex and MX? domain to each address, recursion off
 *   resolvers    MX? domain to each recursive resolver, one channel each, so
 *                each one's own cached answer and remaining TTL are seen
 *
 * Every question has its own deadline (dnsclient), so the whole step costs the
 * zone chain's round trips plus at most one timeout. The wall clock is read
 * when an answer arrives, so the checks can say when a cached answer expires
 * without reading the clock themselves.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mxd/checks.h"
#include "mxd/dnsclient.h"
#include "mxd/propagation.h"

#define MAX_NS 16          /* a zone with more NS hosts is odd; the first 16 are enough */
#define MAX_SERVERS 32     /* addresses over all NS hosts */
#define MAX_RESOLVERS MXD_PROP_MAX_RESOLVERS
#define MAX_WALK 10        /* labels climbed looking for the zone apex */

typedef enum { J_ZONE, J_NS, J_ADDR_A, J_ADDR_AAAA, J_AUTH_SOA, J_AUTH_MX, J_RES_MX } jkind;

typedef struct job {
    mxd_propagation_run *run;
    jkind kind;
    size_t idx;            /* NS host (ADDR), server (AUTH) or resolver (RES) index */
    struct job *next, **pprev;
} job;

typedef struct nshost {
    char name[MXD_NAME_MAX];
    unsigned pending;      /* address lookups still out */
    unsigned naddrs;       /* servers added for it */
    char error[32];        /* the last lookup failure, for NO_ADDRESS */
} nshost;

struct mxd_propagation_run {
    mxd_loop *loop;
    mxd_propagation *out;
    void (*changed)(void *);
    void (*done)(void *);
    void *arg;
    unsigned timeout_ms;
    unsigned dns_port;
    bool loopback_only;
    uint64_t started;
    mxd_dns *walk;          /* recursive: the engine's resolvers (zone, NS, addresses) */
    bool own_walk;          /* walk was opened here (no client was lent) */
    mxd_dns **res_clients;  /* parallel to out->resolvers; NULL when skipped */
    mxd_dns **auth_clients; /* parallel to out->servers; NULL when not asked */
    size_t cap_servers;
    nshost ns[MAX_NS];
    size_t nns;
    char walk_name[MXD_NAME_MAX];
    int walk_steps;
    job *jobs;
    unsigned live;          /* questions out */
    uint64_t done_timer;
};

static void handle(mxd_propagation_run *run, jkind k, size_t idx, mxd_qstate st,
                   mxd_dnsmsg *msg, uint32_t elapsed_ms);

/* ---- bookkeeping ---- */

static void changed(mxd_propagation_run *run)
{
    if (run->changed)
        run->changed(run->arg);
}

static void free_msg(mxd_dnsmsg *m)
{
    if (m) {
        mxd_dnsmsg_free(m);
        free(m);
    }
}

/* Closes the channels this run opened; a lent one only forgets our questions. */
static void free_clients(mxd_propagation_run *run)
{
    if (run->own_walk)
        mxd_dns_free(run->walk);
    else if (run->walk)
        mxd_dns_forget(run->walk, run);
    run->walk = NULL;
    for (size_t i = 0; i < run->out->nresolvers; i++) {
        mxd_dns_free(run->res_clients[i]);
        run->res_clients[i] = NULL;
    }
    for (size_t i = 0; i < run->out->nservers; i++) {
        mxd_dns_free(run->auth_clients[i]);
        run->auth_clients[i] = NULL;
    }
}

static void run_free(mxd_propagation_run *run)
{
    while (run->jobs) {
        job *j = run->jobs;
        run->jobs = j->next;
        free(j);
    }
    free(run->res_clients);
    free(run->auth_clients);
    free(run);
}

/* Runs from the loop, never from inside a c-ares callback: freeing a channel
 * from its own callback would pull the channel out from under c-ares. */
static void on_finish(mxd_loop *loop, void *arg)
{
    (void)loop;
    mxd_propagation_run *run = arg;
    run->done_timer = 0;
    if (run->live)
        return; /* a question answered at once while others were being sent */
    free_clients(run);
    run->out->phase = MXD_PROP_DONE;
    run->out->elapsed_ms = (uint32_t)(mxd_now_ms() - run->started);
    void (*done)(void *) = run->done;
    void *darg = run->arg;
    run_free(run);
    if (done)
        done(darg);
}

static void maybe_finish(mxd_propagation_run *run)
{
    if (run->live == 0 && !run->done_timer)
        run->done_timer = mxd_loop_timer(run->loop, 0, on_finish, run);
}

static void on_answer(void *arg, mxd_qstate st, mxd_dnsmsg *msg, uint32_t elapsed_ms)
{
    job *j = arg;
    mxd_propagation_run *run = j->run;
    jkind k = j->kind;
    size_t idx = j->idx;
    *j->pprev = j->next;
    if (j->next)
        j->next->pprev = j->pprev;
    free(j);
    handle(run, k, idx, st, msg, elapsed_ms);
    run->live--;
    maybe_finish(run);
    changed(run);
}

/* Sends one question on d; a question that cannot even be sent is handled as
 * an ERROR answer at once. */
static void ask(mxd_propagation_run *run, mxd_dns *d, jkind k, size_t idx, const char *name,
               uint16_t type)
{
    job *j = d ? calloc(1, sizeof *j) : NULL;
    if (!j) {
        handle(run, k, idx, MXD_Q_ERROR, NULL, 0);
        return;
    }
    j->run = run;
    j->kind = k;
    j->idx = idx;
    j->next = run->jobs;
    if (j->next)
        j->next->pprev = &j->next;
    j->pprev = &run->jobs;
    run->jobs = j;
    run->live++;
    if (mxd_dns_query_owned(d, run, name, type, on_answer, j) < 0) {
        *j->pprev = j->next;
        if (j->next)
            j->next->pprev = j->pprev;
        free(j);
        run->live--;
        handle(run, k, idx, MXD_Q_ERROR, NULL, 0);
    }
}

/* Copies src into dst (cap bytes), cutting it short when it does not fit. */
static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void set_query(mxd_query *q, const char *name, uint16_t type, const char *server)
{
    copy_str(q->name, sizeof q->name, name);
    q->type = type;
    q->state = MXD_Q_PENDING;
    copy_str(q->server, sizeof q->server, server);
}

static void store_answer(mxd_query *q, mxd_qstate st, mxd_dnsmsg *msg, uint32_t elapsed_ms)
{
    mxd_query_reset(q);
    q->state = st;
    q->msg = msg;
    q->elapsed_ms = elapsed_ms;
}

/* ---- addresses ---- */

static bool host_part_loopback(const char *server)
{
    return strncmp(server, "127.", 4) == 0;
}

/* "192.0.2.1:53" / "[2001:db8::1]:53" */
static void server_text(const mxd_addr *a, unsigned port, char *out, size_t cap)
{
    if (a->family == AF_INET6)
        snprintf(out, cap, "[%s]:%u", a->text, port);
    else
        snprintf(out, cap, "%s:%u", a->text, port);
}

/* A UDP connect() sends nothing but fails at once when this machine has no
 * route to the address (typically IPv6 on an IPv4-only network): such a
 * server is skipped rather than reported as not answering. */
static bool have_route(const mxd_addr *a, unsigned port)
{
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    if (a->family == AF_INET) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        memcpy(&s4->sin_addr, a->bytes, 4);
        len = sizeof *s4;
    } else {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        memcpy(&s6->sin6_addr, a->bytes, 16);
        len = sizeof *s6;
    }
    int fd = socket(a->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    int rc = connect(fd, (struct sockaddr *)&ss, len);
    close(fd);
    return rc == 0;
}

/* Appends a server entry; returns its index or (size_t)-1 (full, ENOMEM). */
static size_t new_server(mxd_propagation_run *run, const char *host)
{
    mxd_propagation *o = run->out;
    if (o->nservers >= MAX_SERVERS)
        return (size_t)-1;
    if (o->nservers == run->cap_servers) {
        size_t nc = run->cap_servers ? run->cap_servers * 2 : 4;
        mxd_prop_server *ns = realloc(o->servers, nc * sizeof *ns);
        if (!ns)
            return (size_t)-1;
        o->servers = ns;
        mxd_dns **nc2 = realloc(run->auth_clients, nc * sizeof *nc2);
        if (!nc2)
            return (size_t)-1;
        run->auth_clients = nc2;
        run->cap_servers = nc;
    }
    size_t i = o->nservers++;
    mxd_prop_server *s = &o->servers[i];
    memset(s, 0, sizeof *s);
    run->auth_clients[i] = NULL;
    snprintf(s->name, sizeof s->name, "%s", host);
    return i;
}

/* Asks one authoritative address directly for the zone's SOA and the domain's MX. */
static void add_server(mxd_propagation_run *run, size_t nsi, int family, const uint8_t *bytes)
{
    mxd_propagation *o = run->out;
    size_t blen = family == AF_INET ? 4 : 16;
    for (size_t i = 0; i < o->nservers; i++)
        if (o->servers[i].addr.family == family && memcmp(o->servers[i].addr.bytes, bytes, blen) == 0)
            return; /* two NS names, one machine: ask it once */
    size_t i = new_server(run, run->ns[nsi].name);
    if (i == (size_t)-1)
        return;
    run->ns[nsi].naddrs++;
    mxd_prop_server *s = &o->servers[i];
    s->addr.family = family;
    memcpy(s->addr.bytes, bytes, blen);
    inet_ntop(family, bytes, s->addr.text, sizeof s->addr.text);
    char srv[80];
    server_text(&s->addr, run->dns_port, srv, sizeof srv);
    set_query(&s->soa_q, o->zone, MXD_T_SOA, srv);
    set_query(&s->mx_q, o->domain, MXD_T_MX, srv);
    if (run->loopback_only && !mxd_addr_is_loopback(&s->addr)) {
        s->state = MXD_AUTHSRV_SKIPPED;
        snprintf(s->reason, sizeof s->reason, "outside_lab");
    } else if (!have_route(&s->addr, run->dns_port)) {
        s->state = MXD_AUTHSRV_SKIPPED;
        snprintf(s->reason, sizeof s->reason, "no_route");
    } else {
        char err[160];
        run->auth_clients[i] = mxd_dns_new(run->loop, srv, run->timeout_ms, false, err, sizeof err);
        if (!run->auth_clients[i]) {
            s->state = MXD_AUTHSRV_ERROR;
            snprintf(s->reason, sizeof s->reason, "client");
        }
    }
    if (s->state != MXD_AUTHSRV_PENDING) {
        s->soa_q.state = s->mx_q.state = MXD_Q_NOT_SENT;
        return;
    }
    ask(run, run->auth_clients[i], J_AUTH_SOA, i, o->zone, MXD_T_SOA);
    ask(run, run->auth_clients[i], J_AUTH_MX, i, o->domain, MXD_T_MX);
}

static void no_address(mxd_propagation_run *run, size_t nsi)
{
    nshost *h = &run->ns[nsi];
    size_t i = new_server(run, h->name);
    if (i == (size_t)-1)
        return;
    mxd_prop_server *s = &run->out->servers[i];
    s->state = MXD_AUTHSRV_NO_ADDRESS;
    snprintf(s->reason, sizeof s->reason, "%s", h->error[0] ? h->error : "nodata");
}

/* ---- classification of one authoritative server ---- */

static void classify_server(mxd_prop_server *s)
{
    const mxd_query *qs[2] = { &s->soa_q, &s->mx_q };
    if (qs[0]->state == MXD_Q_PENDING || qs[1]->state == MXD_Q_PENDING)
        return;
    bool aa = true, lame = false, servfail = false, timeout = false, error = false;
    char why[32] = "";
    for (int i = 0; i < 2; i++) {
        const mxd_dnsmsg *m = qs[i]->msg;
        if (!m) {
            aa = false;
            if (qs[i]->state == MXD_Q_TIMEOUT)
                timeout = true;
            else
                error = true;
            continue;
        }
        aa = aa && (m->flags & MXD_F_AA);
        if (m->rcode == MXD_RCODE_REFUSED || m->rcode == MXD_RCODE_NOTIMP) {
            /* BIND and NSD answer REFUSED for a zone they do not serve. */
            lame = true;
            snprintf(why, sizeof why, "%s", mxd_dns_rcode_name(m->rcode));
        } else if (m->rcode == MXD_RCODE_SERVFAIL) {
            servfail = true;
        } else if (m->rcode != MXD_RCODE_NOERROR && m->rcode != MXD_RCODE_NXDOMAIN) {
            error = true;
        } else if (!(m->flags & MXD_F_AA)) {
            /* An answer, but from a cache or a referral: not the zone's own data. */
            lame = true;
            if (!why[0])
                snprintf(why, sizeof why, "no_aa");
        }
    }
    s->aa = aa;
    if (lame) {
        s->state = MXD_AUTHSRV_LAME;
        snprintf(s->reason, sizeof s->reason, "%s", why);
    } else if (servfail) {
        s->state = MXD_AUTHSRV_ERROR;
        snprintf(s->reason, sizeof s->reason, "SERVFAIL");
    } else if (timeout) {
        s->state = MXD_AUTHSRV_TIMEOUT;
        snprintf(s->reason, sizeof s->reason, "timeout");
    } else if (error) {
        s->state = MXD_AUTHSRV_ERROR;
        /* Name the first failure: an odd rcode (FORMERR...) or a local error. */
        const mxd_query *bad = qs[0];
        if (qs[0]->msg ? qs[0]->msg->rcode == MXD_RCODE_NOERROR ||
                             qs[0]->msg->rcode == MXD_RCODE_NXDOMAIN
                       : qs[0]->state == MXD_Q_TIMEOUT)
            bad = qs[1];
        snprintf(s->reason, sizeof s->reason, "%s",
                 bad->msg ? mxd_dns_rcode_name(bad->msg->rcode) : mxd_qstate_name(bad->state));
    } else {
        s->state = MXD_AUTHSRV_OK;
        s->reason[0] = '\0';
    }
}

/* ---- handlers ---- */

static bool strip_label(char *name)
{
    char *dot = strchr(name, '.');
    while (dot && dot > name && dot[-1] == '\\') /* an escaped dot is part of the label */
        dot = strchr(dot + 1, '.');
    if (!dot || !dot[1])
        return false;
    memmove(name, dot + 1, strlen(dot + 1) + 1);
    return true;
}

static void zone_found(mxd_propagation_run *run, const char *apex)
{
    mxd_propagation *o = run->out;
    if (!mxd_dns_name_canon(apex, o->zone, sizeof o->zone))
        snprintf(o->zone, sizeof o->zone, "%s", apex);
    ask(run, run->walk, J_NS, 0, o->zone, MXD_T_NS);
}

static void on_zone(mxd_propagation_run *run, mxd_qstate st, const mxd_dnsmsg *m)
{
    mxd_propagation *o = run->out;
    if (m) {
        for (size_t i = 0; i < m->nan; i++)
            if (m->an[i].type == MXD_T_SOA && mxd_dns_name_eq(m->an[i].name, run->walk_name)) {
                zone_found(run, run->walk_name);
                return;
            }
        /* A negative answer names its zone in the authority section (RFC 2308 §3). */
        for (size_t i = 0; i < m->nns; i++)
            if (m->ns[i].type == MXD_T_SOA && mxd_dns_name_under(o->domain, m->ns[i].name) &&
                mxd_dns_name_under(run->walk_name, m->ns[i].name)) {
                zone_found(run, m->ns[i].name);
                return;
            }
    }
    /* No SOA said where the zone starts: the apex is further up. A failure
     * stops the search: the parent's servers are not the domain's. */
    if ((st == MXD_Q_NODATA || st == MXD_Q_NXDOMAIN || st == MXD_Q_OK) &&
        ++run->walk_steps < MAX_WALK && strip_label(run->walk_name)) {
        ask(run, run->walk, J_ZONE, 0, run->walk_name, MXD_T_SOA);
        return;
    }
    o->zone_state = MXD_ZONE_FAILED;
    snprintf(o->zone_error, sizeof o->zone_error, "%s",
             st == MXD_Q_OK || st == MXD_Q_NODATA || st == MXD_Q_NXDOMAIN ? "no_soa"
                                                                          : mxd_qstate_name(st));
}

static void on_ns(mxd_propagation_run *run, mxd_qstate st, const mxd_dnsmsg *m)
{
    mxd_propagation *o = run->out;
    for (size_t i = 0; m && i < m->nan && run->nns < MAX_NS; i++) {
        const mxd_rr *rr = &m->an[i];
        if (rr->type != MXD_T_NS || !mxd_dns_name_eq(rr->name, o->zone))
            continue;
        char host[MXD_NAME_MAX];
        if (!mxd_dns_name_canon(rr->u.target, host, sizeof host))
            continue;
        bool seen = false;
        for (size_t k = 0; k < run->nns && !seen; k++)
            seen = strcmp(run->ns[k].name, host) == 0;
        if (!seen)
            memcpy(run->ns[run->nns++].name, host, sizeof host);
    }
    if (run->nns == 0) {
        o->zone_state = MXD_ZONE_NO_NS;
        snprintf(o->zone_error, sizeof o->zone_error, "%s", mxd_qstate_name(st));
        return;
    }
    o->zone_state = MXD_ZONE_FOUND;
    for (size_t k = 0; k < run->nns; k++) {
        /* Glue in the additional section saves a round trip. */
        for (size_t i = 0; m && i < m->nar; i++) {
            const mxd_rr *rr = &m->ar[i];
            if (!mxd_dns_name_eq(rr->name, run->ns[k].name))
                continue;
            if (rr->type == MXD_T_A)
                add_server(run, k, AF_INET, rr->u.a);
            else if (rr->type == MXD_T_AAAA)
                add_server(run, k, AF_INET6, rr->u.aaaa);
        }
        if (run->ns[k].naddrs)
            continue;
        run->ns[k].pending = 2;
        ask(run, run->walk, J_ADDR_A, k, run->ns[k].name, MXD_T_A);
        ask(run, run->walk, J_ADDR_AAAA, k, run->ns[k].name, MXD_T_AAAA);
    }
}

static void on_addr(mxd_propagation_run *run, size_t k, uint16_t type, mxd_qstate st,
                    const mxd_dnsmsg *m)
{
    nshost *h = &run->ns[k];
    if (st == MXD_Q_OK && m) {
        for (size_t i = 0; i < m->nan; i++) {
            if (m->an[i].type != type)
                continue;
            if (type == MXD_T_A)
                add_server(run, k, AF_INET, m->an[i].u.a);
            else
                add_server(run, k, AF_INET6, m->an[i].u.aaaa);
        }
    } else if (st != MXD_Q_NODATA && (type == MXD_T_A || !h->error[0])) {
        /* The A lookup's failure explains more than the AAAA one's. */
        snprintf(h->error, sizeof h->error, "%s", mxd_qstate_name(st));
    }
    if (h->pending)
        h->pending--;
    if (h->pending == 0 && h->naddrs == 0)
        no_address(run, k);
}

static void on_auth(mxd_propagation_run *run, size_t i, bool soa, mxd_qstate st,
                    mxd_dnsmsg *msg, uint32_t elapsed_ms)
{
    mxd_prop_server *s = &run->out->servers[i];
    if (soa) {
        store_answer(&s->soa_q, st, msg, elapsed_ms);
        for (size_t k = 0; msg && k < msg->nan; k++) {
            const mxd_rr *rr = &msg->an[k];
            if (rr->type == MXD_T_SOA && mxd_dns_name_eq(rr->name, run->out->zone)) {
                s->has_soa = true;
                s->serial = rr->u.soa.serial;
                s->soa_ttl = rr->ttl;
                s->soa_minimum = rr->u.soa.minimum;
                break;
            }
        }
    } else {
        store_answer(&s->mx_q, st, msg, elapsed_ms);
        mxd_mxanswer_free(&s->mx);
        mxd_mxanswer_from_msg(&s->mx, st, msg);
    }
    classify_server(s);
}

static void on_resolver(mxd_propagation_run *run, size_t i, mxd_qstate st, mxd_dnsmsg *msg,
                        uint32_t elapsed_ms)
{
    mxd_prop_resolver *r = &run->out->resolvers[i];
    store_answer(&r->q, st, msg, elapsed_ms);
    mxd_mxanswer_free(&r->mx);
    mxd_mxanswer_from_msg(&r->mx, st, msg);
    if (msg) {
        r->answered_at = time(NULL);
        r->expires_at = r->mx.ttl_known ? r->answered_at + (time_t)r->mx.ttl : 0;
    }
}

static void handle(mxd_propagation_run *run, jkind k, size_t idx, mxd_qstate st,
                   mxd_dnsmsg *msg, uint32_t elapsed_ms)
{
    switch (k) {
    case J_ZONE:
        on_zone(run, st, msg);
        break;
    case J_NS:
        on_ns(run, st, msg);
        break;
    case J_ADDR_A:
    case J_ADDR_AAAA:
        on_addr(run, idx, k == J_ADDR_A ? MXD_T_A : MXD_T_AAAA, st, msg);
        break;
    case J_AUTH_SOA:
    case J_AUTH_MX:
        on_auth(run, idx, k == J_AUTH_SOA, st, msg, elapsed_ms);
        return; /* the message now belongs to the result */
    case J_RES_MX:
        on_resolver(run, idx, st, msg, elapsed_ms);
        return;
    }
    free_msg(msg);
}

/* ---- start / cancel ---- */

static bool add_resolver(mxd_propagation_run *run, const char *server, const char *label,
                         bool compare)
{
    mxd_propagation *o = run->out;
    for (size_t i = 0; i < o->nresolvers; i++)
        if (strcmp(o->resolvers[i].server, server) == 0)
            return true; /* named twice: ask once */
    if (o->nresolvers >= MAX_RESOLVERS)
        return true;
    mxd_prop_resolver *r = &o->resolvers[o->nresolvers++];
    memset(r, 0, sizeof *r);
    copy_str(r->server, sizeof r->server, server);
    copy_str(r->label, sizeof r->label, label);
    r->compare = compare;
    return true;
}

static void start_resolvers(mxd_propagation_run *run)
{
    mxd_propagation *o = run->out;
    for (size_t i = 0; i < o->nresolvers; i++) {
        mxd_prop_resolver *r = &o->resolvers[i];
        bool system = strcmp(r->server, "system") == 0;
        set_query(&r->q, o->domain, MXD_T_MX, r->server);
        if (run->loopback_only && !system && !host_part_loopback(r->server)) {
            r->skipped = true;
            r->q.state = r->mx.state = MXD_Q_NOT_SENT;
            continue;
        }
        char err[160];
        run->res_clients[i] = mxd_dns_new(run->loop, system ? NULL : r->server, run->timeout_ms,
                                          true, err, sizeof err);
        ask(run, run->res_clients[i], J_RES_MX, i, o->domain, MXD_T_MX);
    }
}

mxd_propagation_run *mxd_propagation_start(mxd_loop *loop, mxd_dns *recursive,
                                           const mxd_options *opts,
                                           const char *domain_ascii, mxd_propagation *out,
                                           void (*on_changed)(void *arg), void (*done)(void *arg),
                                           void *arg, char *err, size_t errlen)
{
    mxd_propagation_run *run = calloc(1, sizeof *run);
    mxd_prop_resolver *rv = calloc(MAX_RESOLVERS, sizeof *rv);
    mxd_dns **rc = calloc(MAX_RESOLVERS, sizeof *rc);
    if (!run || !rv || !rc) {
        free(run);
        free(rv);
        free(rc);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    run->loop = loop;
    run->out = out;
    run->changed = on_changed;
    run->done = done;
    run->arg = arg;
    run->timeout_ms = (unsigned)(opts->timeout_s > 0 ? opts->timeout_s : 5) * 1000u;
    run->dns_port = opts->dns_port ? opts->dns_port : 53;
    run->loopback_only = opts->loopback_only;
    run->started = mxd_now_ms();
    run->res_clients = rc;
    out->resolvers = rv;
    out->phase = MXD_PROP_RUNNING;
    snprintf(out->domain, sizeof out->domain, "%s", domain_ascii);

    /* The engine's resolvers (or the system's), then the ones to compare. */
    char csv[1024] = "";
    if (opts->nresolvers) {
        for (size_t i = 0; i < opts->nresolvers; i++) {
            char one[80];
            if (!mxd_dns_server_normalize(opts->resolvers[i], one, sizeof one))
                continue;
            add_resolver(run, one, "", false);
            if (strlen(csv) + strlen(one) + 2 < sizeof csv) {
                if (csv[0])
                    strcat(csv, ",");
                strcat(csv, one);
            }
        }
    } else {
        char sys[8][64];
        unsigned n = mxd_dns_system_servers(sys, 8);
        size_t before = out->nresolvers;
        for (unsigned i = 0; i < n; i++) {
            char one[80];
            if (mxd_dns_server_normalize(sys[i], one, sizeof one))
                add_resolver(run, one, "", false);
        }
        if (out->nresolvers == before)
            add_resolver(run, "system", "", false);
    }
    for (size_t i = 0; i < opts->ncompare_resolvers; i++) {
        char one[80], label[32];
        if (mxd_propagation_resolver_parse(opts->compare_resolvers[i], one, sizeof one, label,
                                           sizeof label))
            add_resolver(run, one, label, true);
    }

    run->walk = recursive;
    if (!run->walk) {
        run->walk = mxd_dns_new(loop, csv[0] ? csv : NULL, run->timeout_ms, true, err, errlen);
        run->own_walk = true;
    }
    if (!run->walk) {
        mxd_propagation_result_free(out);
        run_free(run);
        return NULL;
    }
    start_resolvers(run);
    snprintf(run->walk_name, sizeof run->walk_name, "%s", domain_ascii);
    ask(run, run->walk, J_ZONE, 0, run->walk_name, MXD_T_SOA);
    maybe_finish(run);
    return run;
}

void mxd_propagation_cancel(mxd_propagation_run *run)
{
    if (!run)
        return;
    if (run->done_timer)
        mxd_loop_cancel(run->loop, run->done_timer);
    /* Destroying the channels drops their questions without calling back. */
    free_clients(run);
    mxd_propagation *o = run->out;
    for (job *j = run->jobs; j; j = j->next) {
        switch (j->kind) {
        case J_ZONE:
        case J_NS:
            o->zone_state = j->kind == J_ZONE ? MXD_ZONE_FAILED : MXD_ZONE_NO_NS;
            snprintf(o->zone_error, sizeof o->zone_error, "timeout");
            break;
        case J_ADDR_A:
        case J_ADDR_AAAA:
            break; /* the servers already found stand; the rest are unknown */
        case J_AUTH_SOA:
        case J_AUTH_MX: {
            mxd_prop_server *s = &o->servers[j->idx];
            mxd_query *q = j->kind == J_AUTH_SOA ? &s->soa_q : &s->mx_q;
            q->state = MXD_Q_TIMEOUT;
            if (j->kind == J_AUTH_MX)
                s->mx.state = MXD_Q_TIMEOUT;
            classify_server(s);
            break;
        }
        case J_RES_MX:
            o->resolvers[j->idx].q.state = MXD_Q_TIMEOUT;
            o->resolvers[j->idx].mx.state = MXD_Q_TIMEOUT;
            break;
        }
    }
    o->phase = MXD_PROP_CANCELLED;
    o->elapsed_ms = (uint32_t)(mxd_now_ms() - run->started);
    run_free(run);
}
