/* engine.c — the diagnosis plan (see engine.h).
 *
 * Dependencies, and therefore the critical path:
 *   MX, A, AAAA of the domain      (sent together at start)
 *     └─ A, AAAA of each MX host   (sent as soon as the MX answer arrives)
 *          └─ SMTP probe per address (started as soon as that address is known)
 *               └─ (all of them over) the delivery step: port 25 elsewhere,
 *                  the recipient check, the test message
 * Probes write into a private mxd_smtp and are copied into the result when they
 * end, so the result's arrays may grow while probes run.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/ssl.h>

#include "mxd/checks.h"
#include "mxd/delivery.h"
#include "mxd/dnsclient.h"
#include "mxd/engine.h"
#include "mxd/propagation.h"
#include "mxd/policy.h"
#include "mxd/smtpprobe.h"

typedef enum { Q_MX, Q_A, Q_AAAA, Q_TARGET_A, Q_TARGET_AAAA } qkind;

typedef struct qctx {
    mxd_engine *e;
    qkind kind;
    size_t ti;
    struct qctx *next;
} qctx;

typedef struct pref {
    mxd_engine *e;
    size_t ti, ai;
    mxd_smtp scratch;
    mxd_smtp_probe *probe;
    struct pref *next;
} pref;

/* SMTP conversations one diagnosis holds open at once. Real domains have a
 * handful of MX addresses and never wait; a domain with hundreds (or a hostile
 * answer) gets its probes in waves instead of hundreds of sockets and TLS
 * handshakes at the same moment, which keeps memory and file descriptors
 * bounded and does not look like a flood to the receiving side. */
enum { PROBES_AT_ONCE = 64 };

struct mxd_engine {
    mxd_loop *loop;
    mxd_options opts;
    mxd_dns *dns;
    SSL_CTX *tls;
    mxd_result *r;
    void (*on_change)(void *);
    void *arg;
    unsigned outstanding;
    bool domain_done[3]; /* MX, A, AAAA */
    bool done;
    uint64_t bound_timer;
    uint64_t bound_deadline;    /* monotonic ms at which bound_timer fires */
    qctx *queries;
    pref *probes;
    unsigned probes_running;    /* SMTP conversations open now, at most PROBES_AT_ONCE */
    struct { size_t ti, ai; } *waiting; /* probes queued behind them, oldest first */
    size_t nwaiting, waiting_head, capwaiting;
    mxd_propagation_run *prop;  /* step "propagation"; NULL once done */
    mxd_policy_run *policy;     /* NULL once done */
    bool policy_inputs_done;
    mxd_delivery_run *delivery; /* step "delivery"; NULL once done */
    bool delivery_smtp_done;
};

static void delivery_options(const mxd_options *o, mxd_delivery_options *d)
{
    memset(d, 0, sizeof *d);
    d->rcpt = o->rcpt;
    d->send_from = o->send_from;
    d->send_to = o->send_to;
    d->probe_host = o->probe_host;
    d->submission_ports[0] = o->submission_ports[0];
    d->submission_ports[1] = o->submission_ports[1];
}

uint64_t mxd_run_bound_ms(const mxd_options *o)
{
    /* Two DNS rounds, then at most seven SMTP steps of one timeout each, run in
     * parallel for every address; one second of slack for the loop itself. */
    uint64_t t = (uint64_t)(o->timeout_s > 0 ? o->timeout_s : 5) * 1000u;
    /* The delivery step starts when the SMTP probes are over and adds its own. */
    mxd_delivery_options d;
    delivery_options(o, &d);
    return 9 * t + 1000 + mxd_delivery_bound_ms(o, &d);
}

static void on_bound(mxd_loop *loop, void *arg);

/* A probe that waited for a slot gets the same time as one started at once. */
static void extend_bound(mxd_engine *e)
{
    uint64_t t = (uint64_t)e->opts.timeout_s * 1000u;
    uint64_t want = mxd_now_ms() + mxd_run_bound_ms(&e->opts) - 2 * t;
    if (!e->bound_timer || want <= e->bound_deadline)
        return;
    mxd_loop_cancel(e->loop, e->bound_timer);
    e->bound_deadline = want;
    e->bound_timer = mxd_loop_timer(e->loop, want - mxd_now_ms(), on_bound, e);
}

static void changed(mxd_engine *e)
{
    if (e->on_change)
        e->on_change(e->arg);
}

static void check_done(mxd_engine *e)
{
    if (e->done || e->outstanding || e->prop || e->policy || e->delivery || !e->domain_done[0] ||
        !e->domain_done[1] || !e->domain_done[2])
        return;
    e->done = true;
    e->r->finished = true;
    e->r->elapsed_ms = (uint32_t)(mxd_now_ms() - e->r->started_ms);
    if (e->bound_timer)
        mxd_loop_cancel(e->loop, e->bound_timer);
    e->bound_timer = 0;
}

/* ---- SMTP ---- */

static void move_smtp(mxd_engine *e, pref *p)
{
    mxd_target *t = &e->r->targets[p->ti];
    t->smtp[p->ai] = p->scratch;
    memset(&p->scratch, 0, sizeof p->scratch);
}

static void unlink_probe(mxd_engine *e, pref *p)
{
    for (pref **pp = &e->probes; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            return;
        }
}

static void delivery_inputs(mxd_engine *e);
static void launch_probe(mxd_engine *e, size_t ti, size_t ai);

static void probe_done(void *arg)
{
    pref *p = arg;
    mxd_engine *e = p->e;
    move_smtp(e, p);
    unlink_probe(e, p);
    free(p);
    e->outstanding--;
    e->probes_running--;
    while (e->waiting_head < e->nwaiting && e->probes_running < PROBES_AT_ONCE) {
        size_t ti = e->waiting[e->waiting_head].ti, ai = e->waiting[e->waiting_head].ai;
        e->waiting_head++;
        e->outstanding--; /* counted again by launch_probe() */
        extend_bound(e);
        launch_probe(e, ti, ai);
    }
    delivery_inputs(e);
    check_done(e);
    changed(e);
}

static bool is_loopback(const mxd_addr *a) { return mxd_addr_is_loopback(a); }

/* Opens the SMTP conversation with address ai of target ti. */
static void launch_probe(mxd_engine *e, size_t ti, size_t ai)
{
    mxd_target *t = &e->r->targets[ti];
    mxd_smtp *s = &t->smtp[ai];
    const mxd_options *o = &e->opts;
    pref *p = calloc(1, sizeof *p);
    if (!p) {
        s->state = MXD_SMTP_NOT_RUN;
        return;
    }
    p->e = e;
    p->ti = ti;
    p->ai = ai;
    s->state = MXD_SMTP_RUNNING;
    p->next = e->probes;
    e->probes = p;
    e->outstanding++;
    e->probes_running++;
    p->probe = mxd_smtp_probe_start(e->loop, e->tls, &t->addrs[ai],
                                    o->smtp_port ? o->smtp_port : 25, t->host, o->ehlo_name,
                                    (unsigned)o->timeout_s * 1000u, &p->scratch, probe_done, p);
    if (!p->probe) {
        unlink_probe(e, p);
        free(p);
        e->outstanding--;
        e->probes_running--;
        s->state = MXD_SMTP_NOT_RUN;
    }
}

static void start_probe(mxd_engine *e, size_t ti, size_t ai)
{
    mxd_target *t = &e->r->targets[ti];
    mxd_smtp *s = &t->smtp[ai];
    const mxd_addr *a = &t->addrs[ai];
    const mxd_options *o = &e->opts;
    if (o->no_smtp) {
        s->state = MXD_SMTP_NOT_RUN;
        return;
    }
    if (o->loopback_only && !is_loopback(a)) {
        s->state = MXD_SMTP_SKIPPED;
        snprintf(s->error, sizeof s->error, "outside_lab");
        return;
    }
    if (mxd_addr_is_private(a) && !o->allow_private && !(o->allow_loopback && is_loopback(a))) {
        /* A sender on the internet could not reach it either; do not knock on
         * private networks from wherever this tool runs. */
        s->state = MXD_SMTP_SKIPPED;
        snprintf(s->error, sizeof s->error, "private");
        return;
    }
    if (e->probes_running < PROBES_AT_ONCE) {
        launch_probe(e, ti, ai);
        return;
    }
    /* Wait for a free slot: shown as running, since it is on its way. */
    if (e->nwaiting == e->capwaiting) {
        size_t nc = e->capwaiting ? e->capwaiting * 2 : 64;
        void *nv = realloc(e->waiting, nc * sizeof *e->waiting);
        if (!nv) {
            s->state = MXD_SMTP_NOT_RUN;
            return;
        }
        e->waiting = nv;
        e->capwaiting = nc;
    }
    e->waiting[e->nwaiting].ti = ti;
    e->waiting[e->nwaiting].ai = ai;
    e->nwaiting++;
    e->outstanding++;
    s->state = MXD_SMTP_RUNNING;
}

/* Adds an address to a target (once) and starts its probe. */
static void add_address(mxd_engine *e, size_t ti, int family, const uint8_t *bytes)
{
    mxd_target *t = &e->r->targets[ti];
    size_t len = family == AF_INET ? 4 : 16;
    for (size_t i = 0; i < t->naddrs; i++)
        if (t->addrs[i].family == family && memcmp(t->addrs[i].bytes, bytes, len) == 0)
            return;
    mxd_addr *na = realloc(t->addrs, (t->naddrs + 1) * sizeof *na);
    if (!na)
        return;
    t->addrs = na;
    mxd_smtp *ns = realloc(t->smtp, (t->naddrs + 1) * sizeof *ns);
    if (!ns)
        return;
    t->smtp = ns;
    mxd_addr *a = &t->addrs[t->naddrs];
    memset(a, 0, sizeof *a);
    memset(&t->smtp[t->naddrs], 0, sizeof t->smtp[0]);
    a->family = family;
    memcpy(a->bytes, bytes, len);
    inet_ntop(family, bytes, a->text, sizeof a->text);
    t->naddrs++;
    if (e->policy)
        mxd_policy_add_address(e->policy, t->host, a);
    start_probe(e, ti, t->naddrs - 1);
}

/* ---- DNS ---- */

static void send_query(mxd_engine *e, qkind kind, size_t ti, mxd_query *q, const char *name,
                       uint16_t type);

static bool parse_ip_literal(const char *host, int *family, uint8_t *bytes)
{
    char buf[MXD_NAME_MAX];
    size_t n = strlen(host);
    if (n >= sizeof buf)
        return false;
    if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
        memcpy(buf, host + 1, n - 2);
        buf[n - 2] = '\0';
    } else {
        memcpy(buf, host, n + 1);
    }
    if (inet_pton(AF_INET, buf, bytes) == 1) {
        *family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, buf, bytes) == 1) {
        *family = AF_INET6;
        return true;
    }
    return false;
}

static int cmp_target(const void *a, const void *b)
{
    const mxd_target *x = a, *y = b;
    if (x->pref != y->pref)
        return x->pref < y->pref ? -1 : 1;
    return strcasecmp(x->host, y->host);
}

static void strip_dot(char *s)
{
    size_t n = strlen(s);
    if (n > 1 && s[n - 1] == '.')
        s[n - 1] = '\0';
}

static void build_targets(mxd_engine *e)
{
    mxd_result *r = e->r;
    const mxd_dnsmsg *m = r->mx.msg;
    size_t n = 0;
    for (size_t i = 0; i < m->nan; i++)
        n += m->an[i].type == MXD_T_MX;
    if (!n)
        return;
    r->targets = calloc(n, sizeof *r->targets);
    if (!r->targets)
        return;
    for (size_t i = 0; i < m->nan; i++) {
        if (m->an[i].type != MXD_T_MX)
            continue;
        mxd_target *t = &r->targets[r->ntargets++];
        t->pref = m->an[i].u.mx.pref;
        snprintf(t->host, sizeof t->host, "%s", m->an[i].u.mx.host);
        strip_dot(t->host);
        t->ttl = m->an[i].ttl;
        t->duplicate_of = -1;
        t->null_mx = t->host[0] == '\0' || strcmp(t->host, ".") == 0;
    }
    qsort(r->targets, r->ntargets, sizeof *r->targets, cmp_target);
    for (size_t i = 0; i < r->ntargets; i++) {
        if (i > 0 && r->targets[i].pref == r->targets[i - 1].pref)
            r->equal_pref_shuffled = true;
        for (size_t j = 0; j < i; j++)
            if (!r->targets[i].null_mx && strcasecmp(r->targets[i].host, r->targets[j].host) == 0 &&
                r->targets[j].duplicate_of < 0) {
                r->targets[i].duplicate_of = (int)j;
                break;
            }
    }
    /* Look up every distinct host; an IP written as a host name is not looked up
     * (see target.ip_literal) and a null MX has nothing to look up. */
    for (size_t i = 0; i < r->ntargets; i++) {
        mxd_target *t = &r->targets[i];
        int fam;
        uint8_t b[16];
        if (t->null_mx || t->duplicate_of >= 0)
            continue;
        if (parse_ip_literal(t->host, &fam, b)) {
            t->ip_literal = true;
            continue;
        }
        if (e->policy)
            mxd_policy_add_mx(e->policy, t->host);
        send_query(e, Q_TARGET_A, i, &t->a, t->host, MXD_T_A);
        send_query(e, Q_TARGET_AAAA, i, &t->aaaa, t->host, MXD_T_AAAA);
    }
}

static void add_addresses_from(mxd_engine *e, size_t ti, const mxd_dnsmsg *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nan; i++) {
        if (m->an[i].type == MXD_T_A)
            add_address(e, ti, AF_INET, m->an[i].u.a);
        else if (m->an[i].type == MXD_T_AAAA)
            add_address(e, ti, AF_INET6, m->an[i].u.aaaa);
    }
}

/* RFC 5321 §5.1: no MX records → the domain itself is the mail exchanger. */
static void maybe_implicit(mxd_engine *e)
{
    mxd_result *r = e->r;
    if (!e->domain_done[0] || !e->domain_done[1] || !e->domain_done[2] || r->ntargets)
        return;
    if (r->mx.state != MXD_Q_NODATA || (r->a.state != MXD_Q_OK && r->aaaa.state != MXD_Q_OK))
        return;
    r->targets = calloc(1, sizeof *r->targets);
    if (!r->targets)
        return;
    r->ntargets = 1;
    mxd_target *t = &r->targets[0];
    t->implicit = true;
    t->duplicate_of = -1;
    snprintf(t->host, sizeof t->host, "%s", r->domain_ascii);
    if (e->policy)
        mxd_policy_add_mx(e->policy, t->host);
    add_addresses_from(e, 0, r->a.msg);
    add_addresses_from(e, 0, r->aaaa.msg);
}

static void first_cname(const mxd_dnsmsg *m, const char *owner, char *out, size_t cap)
{
    if (!m || out[0])
        return;
    for (size_t i = 0; i < m->nan; i++)
        if (m->an[i].type == MXD_T_CNAME && mxd_dns_name_eq(m->an[i].name, owner)) {
            snprintf(out, cap, "%s", m->an[i].u.target);
            strip_dot(out);
            return;
        }
}

/* Every MX host and address is known once the domain's three questions and all
 * target lookups have been answered: only then may the policy step finish. */
static void policy_inputs(mxd_engine *e)
{
    if (!e->policy || e->policy_inputs_done || e->queries || !e->domain_done[0] ||
        !e->domain_done[1] || !e->domain_done[2])
        return;
    e->policy_inputs_done = true;
    mxd_policy_inputs_done(e->policy);
}

/* The delivery step starts from the SMTP results: once every address is known
 * (all lookups answered) and every probe has ended. */
static void delivery_inputs(mxd_engine *e)
{
    if (!e->delivery || e->delivery_smtp_done || e->queries || e->probes || !e->domain_done[0] ||
        !e->domain_done[1] || !e->domain_done[2])
        return;
    e->delivery_smtp_done = true;
    mxd_delivery_smtp_done(e->delivery, e->r);
}

static void unlink_query(mxd_engine *e, qctx *c)
{
    for (qctx **pp = &e->queries; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            return;
        }
}

static mxd_query *query_of(mxd_engine *e, const qctx *c)
{
    switch (c->kind) {
    case Q_MX: return &e->r->mx;
    case Q_A: return &e->r->a;
    case Q_AAAA: return &e->r->aaaa;
    case Q_TARGET_A: return &e->r->targets[c->ti].a;
    case Q_TARGET_AAAA: return &e->r->targets[c->ti].aaaa;
    }
    return NULL;
}

static void on_dns(void *arg, mxd_qstate st, mxd_dnsmsg *msg, uint32_t elapsed_ms)
{
    qctx *c = arg;
    mxd_engine *e = c->e;
    mxd_query *q = query_of(e, c);
    q->state = st;
    q->elapsed_ms = elapsed_ms;
    q->msg = msg;
    switch (c->kind) {
    case Q_MX:
        e->domain_done[0] = true;
        if (st == MXD_Q_OK && msg)
            build_targets(e);
        maybe_implicit(e);
        break;
    case Q_A:
    case Q_AAAA:
        e->domain_done[c->kind == Q_A ? 1 : 2] = true;
        maybe_implicit(e);
        break;
    case Q_TARGET_A:
    case Q_TARGET_AAAA: {
        mxd_target *t = &e->r->targets[c->ti];
        first_cname(msg, t->host, t->cname, sizeof t->cname);
        if (st == MXD_Q_OK)
            add_addresses_from(e, c->ti, msg);
        break;
    }
    }
    unlink_query(e, c);
    free(c);
    e->outstanding--;
    policy_inputs(e);
    delivery_inputs(e);
    check_done(e);
    changed(e);
}

static void send_query(mxd_engine *e, qkind kind, size_t ti, mxd_query *q, const char *name,
                       uint16_t type)
{
    qctx *c = calloc(1, sizeof *c);
    snprintf(q->name, sizeof q->name, "%s", name);
    q->type = type;
    if (!c) {
        q->state = MXD_Q_ERROR;
        return;
    }
    q->state = MXD_Q_PENDING;
    c->e = e;
    c->kind = kind;
    c->ti = ti;
    c->next = e->queries;
    e->queries = c;
    e->outstanding++;
    if (mxd_dns_query(e->dns, name, type, on_dns, c) < 0) {
        unlink_query(e, c);
        free(c);
        e->outstanding--;
        q->state = MXD_Q_ERROR;
    }
}

/* ---- policy step ---- */

static void policy_changed(void *arg) { changed(arg); }

static void policy_done(void *arg)
{
    mxd_engine *e = arg;
    e->policy = NULL; /* it has freed itself */
    check_done(e);
    changed(e);
}

/* ---- delivery step ---- */

static void delivery_changed(void *arg) { changed(arg); }

static void delivery_done(void *arg)
{
    mxd_engine *e = arg;
    e->delivery = NULL; /* it has freed itself */
    check_done(e);
    changed(e);
}

/* ---- propagation step ---- */

static void prop_changed(void *arg) { changed(arg); }

static void prop_done(void *arg)
{
    mxd_engine *e = arg;
    e->prop = NULL; /* it has freed itself */
    check_done(e);
    changed(e);
}

/* ---- lifecycle ---- */

static void on_bound(mxd_loop *loop, void *arg)
{
    (void)loop;
    mxd_engine *e = arg;
    e->bound_timer = 0;
    e->r->timed_out = true;
    mxd_engine_cancel(e);
    changed(e);
}

mxd_engine *mxd_engine_new(mxd_loop *loop, const mxd_options *opts, char *err, size_t errlen)
{
    mxd_engine *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    e->loop = loop;
    e->opts = *opts;
    if (e->opts.timeout_s <= 0)
        e->opts.timeout_s = 5;
    char csv[1024] = "";
    for (size_t i = 0; i < opts->nresolvers; i++) {
        char one[80];
        if (!mxd_dns_server_normalize(opts->resolvers[i], one, sizeof one)) {
            snprintf(err, errlen, "%s", opts->resolvers[i]);
            free(e);
            return NULL;
        }
        if (strlen(csv) + strlen(one) + 2 < sizeof csv) {
            if (csv[0])
                strcat(csv, ",");
            strcat(csv, one);
        }
    }
    e->dns = mxd_dns_new(loop, csv[0] ? csv : NULL, (unsigned)e->opts.timeout_s * 1000u, true,
                         err, errlen);
    if (!e->dns) {
        free(e);
        return NULL;
    }
    if (!e->opts.no_smtp) {
        e->tls = mxd_tls_client_ctx(e->opts.extra_ca);
        if (!e->tls) {
            snprintf(err, errlen, "OpenSSL could not create a TLS context");
            mxd_dns_free(e->dns);
            free(e);
            return NULL;
        }
    }
    return e;
}

int mxd_engine_start(mxd_engine *e, const mxd_input *in, mxd_result *out,
                     void (*on_change)(void *), void *arg)
{
    e->r = out;
    e->on_change = on_change;
    e->arg = arg;
    snprintf(out->domain, sizeof out->domain, "%s", in->unicode);
    snprintf(out->domain_ascii, sizeof out->domain_ascii, "%s", in->ascii);
    out->started_at = time(NULL);
    out->started_ms = mxd_now_ms();
    out->opts = e->opts;
    if (e->opts.nresolvers) {
        for (size_t i = 0; i < e->opts.nresolvers && out->nresolvers < 8; i++)
            snprintf(out->resolvers[out->nresolvers++], 64, "%s", e->opts.resolvers[i]);
    } else {
        out->nresolvers = mxd_dns_system_servers(out->resolvers, 8);
    }
    e->bound_deadline = mxd_now_ms() + mxd_run_bound_ms(&e->opts);
    e->bound_timer = mxd_loop_timer(e->loop, mxd_run_bound_ms(&e->opts), on_bound, e);
    out->policy = calloc(1, sizeof *out->policy);
    if (out->policy) {
        char perr[200];
        /* Without it the step just has no findings; the diagnosis goes on. */
        e->policy = mxd_policy_start(e->loop, e->dns, &e->opts, in->ascii, out->policy,
                                     policy_changed, policy_done, e, perr, sizeof perr);
    }
    out->delivery = calloc(1, sizeof *out->delivery);
    if (out->delivery) {
        char derr[200];
        mxd_delivery_options d;
        delivery_options(&e->opts, &d);
        /* Without it the step just has no findings; the diagnosis goes on. */
        e->delivery = mxd_delivery_start(e->loop, e->dns, &e->opts, &d, in->ascii, out->delivery,
                                         delivery_changed, delivery_done, e, derr, sizeof derr);
    }
    send_query(e, Q_MX, 0, &out->mx, in->ascii, MXD_T_MX);
    send_query(e, Q_A, 0, &out->a, in->ascii, MXD_T_A);
    send_query(e, Q_AAAA, 0, &out->aaaa, in->ascii, MXD_T_AAAA);
    out->propagation = calloc(1, sizeof *out->propagation);
    if (out->propagation) {
        char perr[160];
        /* NULL: the step opens its own channels; sharing e->dns changes how
         * c-ares retries the engine's own queries (see propagation.h). Without
         * it the step has no findings; the diagnosis goes on. */
        e->prop = mxd_propagation_start(e->loop, NULL, &e->opts, in->ascii, out->propagation,
                                        prop_changed, prop_done, e, perr, sizeof perr);
    }
    changed(e);
    return 0;
}

bool mxd_engine_done(const mxd_engine *e) { return e->done; }
unsigned mxd_engine_inflight(const mxd_engine *e) { return e->outstanding; }

void mxd_engine_cancel(mxd_engine *e)
{
    if (e->done)
        return;
    if (e->prop) {
        mxd_propagation_cancel(e->prop);
        e->prop = NULL;
    }
    if (e->policy) {
        mxd_policy_cancel(e->policy);
        e->policy = NULL;
    }
    if (e->delivery) {
        mxd_delivery_cancel(e->delivery);
        e->delivery = NULL;
    }
    while (e->probes) {
        pref *p = e->probes;
        e->probes = p->next;
        mxd_smtp_probe_cancel(p->probe);
        move_smtp(e, p);
        free(p);
    }
    e->probes_running = 0;
    for (; e->waiting_head < e->nwaiting; e->waiting_head++)
        e->r->targets[e->waiting[e->waiting_head].ti].smtp[e->waiting[e->waiting_head].ai].state =
            MXD_SMTP_NOT_RUN; /* never reached: the run ended first */
    for (qctx *c = e->queries; c; c = c->next) {
        mxd_query *q = query_of(e, c);
        if (q->state == MXD_Q_PENDING)
            q->state = MXD_Q_TIMEOUT;
    }
    /* Freeing the channel drops the queries without calling us back. */
    mxd_dns_free(e->dns);
    e->dns = NULL;
    while (e->queries) {
        qctx *c = e->queries;
        e->queries = c->next;
        free(c);
    }
    e->outstanding = 0;
    e->domain_done[0] = e->domain_done[1] = e->domain_done[2] = true;
    check_done(e);
}

void mxd_engine_free(mxd_engine *e)
{
    if (!e)
        return;
    if (e->r)
        mxd_engine_cancel(e);
    if (e->bound_timer)
        mxd_loop_cancel(e->loop, e->bound_timer);
    mxd_dns_free(e->dns);
    if (e->tls)
        SSL_CTX_free(e->tls);
    free(e->waiting);
    free(e);
}

static bool engine_is_done(void *arg) { return ((mxd_engine *)arg)->done; }

int mxd_diagnose(mxd_loop *loop, const mxd_options *opts, const mxd_input *in,
                 mxd_result *out, char *err, size_t errlen)
{
    mxd_engine *e = mxd_engine_new(loop, opts, err, errlen);
    if (!e)
        return -1;
    mxd_engine_start(e, in, out, NULL, NULL);
    /* The engine's own bound timer ends the run; the deadline here is a backstop
     * (the bound moves later when probes wait for a slot). */
    uint64_t until;
    do
        until = e->bound_deadline + 2000;
    while (!mxd_loop_run_until(loop, engine_is_done, e, until) && e->bound_deadline + 2000 > until);
    mxd_engine_free(e);
    return 0;
}
