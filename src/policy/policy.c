/* policy.c — the policy step's lookups on the shared loop (see policy.h).
 *
 * Dependencies, and therefore the critical path:
 *   at start: TXT _dmarc.<domain> and _dmarc.<org domain> together (asking the
 *             organisational domain before knowing whether it is needed costs
 *             one query and saves a round trip), TXT at each DKIM selector,
 *             TXT _smtp._tls.<domain>
 *     └─ both DMARC answers → TXT <domain>._report._dmarc.<rua domain> per
 *        external report address
 *   per MX host (from the engine): TLSA _25._tcp.<host>
 *   per MX address (from the engine): PTR
 *     └─ A or AAAA of each PTR name (forward confirmation)
 *   sub-runs, also at start: the SPF record walk (its own chain of includes)
 *   and MTA-STS (TXT, then the policy host's address, then HTTPS)
 * Results are addressed by index, never by pointer: the arrays grow as the
 * engine reports hosts and addresses.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "mxd/checks.h"
#include "mxd/dnsclient.h"
#include "mxd/policy.h"

/* ---- freeing the result ----------------------------------------------------- */

void mxd_policy_result_free(mxd_policy_result *d)
{
    if (!d)
        return;
    mxd_plookup_free(&d->dmarc.at_domain);
    mxd_plookup_free(&d->dmarc.at_org);
    for (size_t i = 0; i < d->dmarc.nauth; i++)
        mxd_plookup_free(&d->dmarc.auth[i].q);
    for (size_t i = 0; i < d->ndkim; i++)
        mxd_plookup_free(&d->dkim[i].q);
    free(d->dkim);
    for (size_t i = 0; i < d->nptr; i++) {
        mxd_plookup_free(&d->ptr[i].q);
        for (size_t j = 0; j < MXD_PTR_MAX_NAMES; j++)
            mxd_plookup_free(&d->ptr[i].fwd[j]);
    }
    free(d->ptr);
    for (size_t i = 0; i < d->ntlsa; i++)
        mxd_plookup_free(&d->tlsa[i].q);
    free(d->tlsa);
    mxd_plookup_free(&d->tlsrpt);
    mxd_spf_result_free(&d->spf);
    mxd_mtasts_result_free(&d->mtasts);
    memset(d, 0, sizeof *d);
}

/* ---- the run ----------------------------------------------------------------- */

typedef enum { K_DMARC_DOMAIN, K_DMARC_ORG, K_DMARC_AUTH, K_DKIM, K_TLSRPT, K_TLSA, K_PTR,
               K_FWD } qkind;

typedef struct pq {
    mxd_policy_run *run;
    qkind kind;
    size_t i, j;
    struct pq *next;
} pq;

struct mxd_policy_run {
    mxd_loop *loop;
    mxd_dns *dns;
    bool own_dns;           /* opened here (no client was given): freed here */
    mxd_policy_result *out;
    void (*changed)(void *);
    void (*done)(void *);
    void *arg;
    bool allow_private, allow_loopback;
    bool inputs_done;
    unsigned outstanding;
    pq *queries;
    mxd_spf_run *spf;       /* NULL once done (or when it could not start) */
    mxd_mtasts_run *mtasts; /* same */
    uint64_t done_timer;
};

static mxd_plookup *lookup_of(mxd_policy_run *run, const pq *c)
{
    mxd_policy_result *d = run->out;
    switch (c->kind) {
    case K_DMARC_DOMAIN: return &d->dmarc.at_domain;
    case K_DMARC_ORG: return &d->dmarc.at_org;
    case K_DMARC_AUTH: return &d->dmarc.auth[c->i].q;
    case K_DKIM: return &d->dkim[c->i].q;
    case K_TLSRPT: return &d->tlsrpt;
    case K_TLSA: return &d->tlsa[c->i].q;
    case K_PTR: return &d->ptr[c->i].q;
    case K_FWD: return &d->ptr[c->i].fwd[c->j];
    }
    return NULL;
}

static void fire_done(mxd_loop *loop, void *arg)
{
    (void)loop;
    mxd_policy_run *run = arg;
    void (*done)(void *) = run->done;
    void *darg = run->arg;
    run->done_timer = 0;
    run->out->finished = true;
    if (run->own_dns)
        mxd_dns_free(run->dns);
    free(run);
    done(darg);
}

/* done() always comes from a loop timer, never from inside an API call: a
 * query can fail synchronously inside mxd_dns_query(). */
static void maybe_done(mxd_policy_run *run)
{
    if (!run->inputs_done || run->outstanding || run->spf || run->mtasts || run->done_timer)
        return;
    run->done_timer = mxd_loop_timer(run->loop, 0, fire_done, run);
}

static void unlink_query(mxd_policy_run *run, pq *c)
{
    for (pq **pp = &run->queries; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            return;
        }
}

static void send_query(mxd_policy_run *run, qkind kind, size_t i, size_t j, const char *name,
                       uint16_t type);

static void dmarc_answered(mxd_policy_run *run)
{
    mxd_dmarc_result *m = &run->out->dmarc;
    if (m->discovered)
        return;
    mxd_dmarc_discover(m);
    if (!m->discovered)
        return;
    for (size_t i = 0; i < m->nauth; i++)
        send_query(run, K_DMARC_AUTH, i, 0, m->auth[i].q.name, MXD_T_TXT);
}

static void dkim_answered(mxd_dkim_selector *s)
{
    s->nkeys = 0;
    for (size_t i = 0; i < s->q.nrec; i++) {
        mxd_dkim_key k;
        mxd_dkim_parse(s->q.rec[i], s->q.len[i], &k);
        if (!k.is_key)
            continue;
        if (!s->nkeys)
            s->key = k;
        s->nkeys++;
    }
}

static void ptr_answered(mxd_policy_run *run, size_t i)
{
    mxd_ptr *p = &run->out->ptr[i];
    if (p->q.state != MXD_Q_OK)
        return;
    uint16_t type = p->addr.family == AF_INET ? MXD_T_A : MXD_T_AAAA;
    for (size_t j = 0; j < p->q.nrec && j < MXD_PTR_MAX_NAMES; j++)
        send_query(run, K_FWD, i, j, run->out->ptr[i].q.rec[j], type);
}

static void on_answer(void *arg, mxd_qstate st, mxd_dnsmsg *msg, uint32_t elapsed_ms)
{
    (void)elapsed_ms;
    pq *c = arg;
    mxd_policy_run *run = c->run;
    mxd_plookup *l = lookup_of(run, c);
    mxd_plookup_fill(l, st, msg);
    if (msg) {
        mxd_dnsmsg_free(msg);
        free(msg);
    }
    unlink_query(run, c);
    run->outstanding--;
    switch (c->kind) {
    case K_DMARC_DOMAIN:
    case K_DMARC_ORG: dmarc_answered(run); break;
    case K_DKIM: dkim_answered(&run->out->dkim[c->i]); break;
    case K_PTR: ptr_answered(run, c->i); break;
    default: break;
    }
    free(c);
    if (run->changed)
        run->changed(run->arg);
    maybe_done(run);
}

static void send_query(mxd_policy_run *run, qkind kind, size_t i, size_t j, const char *name,
                       uint16_t type)
{
    pq *c = calloc(1, sizeof *c);
    pq tmp = { run, kind, i, j, NULL };
    mxd_plookup *l = lookup_of(run, &tmp);
    if (l->name != name)
        snprintf(l->name, sizeof l->name, "%s", name);
    l->type = type;
    if (!c) {
        l->state = MXD_Q_ERROR;
        return;
    }
    *c = tmp;
    l->state = MXD_Q_PENDING;
    c->next = run->queries;
    run->queries = c;
    run->outstanding++;
    /* The callback may run before this returns (an invalid name): it then
     * frees c itself. */
    if (mxd_dns_query_owned(run->dns, run, l->name, type, on_answer, c) < 0) {
        unlink_query(run, c);
        free(c);
        run->outstanding--;
        l->state = MXD_Q_ERROR;
    }
}

/* ---- sub-runs ---- */

static void sub_changed(void *arg)
{
    mxd_policy_run *run = arg;
    if (run->changed)
        run->changed(run->arg);
}

static void spf_done(void *arg)
{
    mxd_policy_run *run = arg;
    run->spf = NULL; /* it has freed itself */
    maybe_done(run);
}

static void mtasts_done(void *arg)
{
    mxd_policy_run *run = arg;
    run->mtasts = NULL;
    maybe_done(run);
}

static int add_selector(mxd_policy_result *d, const char *sel, bool user)
{
    for (size_t i = 0; i < d->ndkim; i++)
        if (strcasecmp(d->dkim[i].selector, sel) == 0)
            return 0;
    mxd_dkim_selector *v = realloc(d->dkim, (d->ndkim + 1) * sizeof *v);
    if (!v)
        return -1;
    d->dkim = v;
    mxd_dkim_selector *s = &v[d->ndkim++];
    memset(s, 0, sizeof *s);
    snprintf(s->selector, sizeof s->selector, "%s", sel);
    s->user = user;
    snprintf(s->q.name, sizeof s->q.name, "%s._domainkey.%s", sel, d->domain);
    s->q.type = MXD_T_TXT;
    return 0;
}

/* A client of the run's own, asking the resolvers the engine would ask. */
static mxd_dns *own_client(mxd_loop *loop, const mxd_options *opts, char *err, size_t errlen)
{
    char csv[1024] = "";
    for (size_t i = 0; i < opts->nresolvers; i++) {
        char one[80];
        if (!mxd_dns_server_normalize(opts->resolvers[i], one, sizeof one)) {
            snprintf(err, errlen, "%s", opts->resolvers[i]);
            return NULL;
        }
        if (strlen(csv) + strlen(one) + 2 < sizeof csv) {
            if (csv[0])
                strcat(csv, ",");
            strcat(csv, one);
        }
    }
    unsigned timeout_ms = (unsigned)(opts->timeout_s > 0 ? opts->timeout_s : 5) * 1000u;
    return mxd_dns_new(loop, csv[0] ? csv : NULL, timeout_ms, true, err, errlen);
}

mxd_policy_run *mxd_policy_start(mxd_loop *loop, mxd_dns *recursive, const mxd_options *opts,
                                 const char *domain_ascii, mxd_policy_result *out,
                                 void (*changed)(void *arg), void (*done)(void *arg), void *arg,
                                 char *err, size_t errlen)
{
    if (strlen(domain_ascii) >= sizeof out->domain) {
        snprintf(err, errlen, "domain name too long");
        return NULL;
    }
    mxd_policy_run *run = calloc(1, sizeof *run);
    if (!run) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    run->dns = recursive;
    if (!run->dns) {
        run->dns = own_client(loop, opts, err, errlen);
        run->own_dns = true;
        if (!run->dns) {
            free(run);
            return NULL;
        }
    }
    run->loop = loop;
    run->out = out;
    run->changed = changed;
    run->done = done;
    run->arg = arg;
    run->allow_private = opts->allow_private;
    run->allow_loopback = opts->allow_loopback;

    mxd_policy_result *d = out;
    d->started = true;
    snprintf(d->domain, sizeof d->domain, "%s", domain_ascii);
    size_t dl = strlen(d->domain);
    if (dl > 1 && d->domain[dl - 1] == '.')
        d->domain[dl - 1] = '\0';

    /* DKIM selectors: the ones the user named first, then the common ones. */
    bool oom = false;
    for (size_t i = 0; i < opts->ndkim_selectors; i++)
        if (mxd_dkim_selector_valid(opts->dkim_selectors[i]))
            oom = oom || add_selector(d, opts->dkim_selectors[i], true) < 0;
    for (size_t i = 0; mxd_dkim_default_selectors[i]; i++)
        oom = oom || add_selector(d, mxd_dkim_default_selectors[i], false) < 0;
    if (oom) {
        if (run->own_dns)
            mxd_dns_free(run->dns);
        free(run);
        mxd_policy_result_free(d);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }

    mxd_dmarc_result *m = &d->dmarc;
    snprintf(m->domain, sizeof m->domain, "%s", d->domain);
    mxd_org_domain(d->domain, m->org_domain, sizeof m->org_domain);
    snprintf(m->at_domain.name, sizeof m->at_domain.name, "_dmarc.%s", d->domain);
    m->at_domain.type = MXD_T_TXT;
    if (strcmp(m->org_domain, d->domain) != 0) {
        snprintf(m->at_org.name, sizeof m->at_org.name, "_dmarc.%s", m->org_domain);
        m->at_org.type = MXD_T_TXT;
        m->at_org.state = MXD_Q_PENDING; /* so that discovery waits for both */
    }
    snprintf(d->tlsrpt.name, sizeof d->tlsrpt.name, "_smtp._tls.%s", d->domain);

    /* The SPF walk keys its questions by serial number, so it can share the
     * client: a late answer to a cancelled walk is dropped. MTA-STS keeps a
     * record per question that only its callback frees, so it gets a channel
     * of its own (NULL), which its cancel frees.
     * A sub-run that cannot start (ENOMEM) leaves its part empty: its checks
     * then say nothing rather than something wrong. --spf-ip/--spf-sender are
     * not options yet: the walk alone runs. */
    run->spf = mxd_spf_start(loop, run->dns, opts, d->domain, opts->spf_ip, opts->spf_sender, &d->spf, sub_changed,
                             spf_done, run);
    run->mtasts = mxd_mtasts_start(loop, NULL, opts, d->domain, &d->mtasts, sub_changed,
                                   mtasts_done, run);

    send_query(run, K_DMARC_DOMAIN, 0, 0, m->at_domain.name, MXD_T_TXT);
    if (m->at_org.name[0])
        send_query(run, K_DMARC_ORG, 0, 0, m->at_org.name, MXD_T_TXT);
    for (size_t i = 0; i < d->ndkim; i++)
        send_query(run, K_DKIM, i, 0, d->dkim[i].q.name, MXD_T_TXT);
    send_query(run, K_TLSRPT, 0, 0, d->tlsrpt.name, MXD_T_TXT);
    return run;
}

static bool is_ip_literal(const char *host)
{
    uint8_t b[16];
    char buf[64];
    size_t n = strlen(host);
    if (n >= sizeof buf)
        return false;
    if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
        memcpy(buf, host + 1, n - 2);
        buf[n - 2] = '\0';
    } else {
        memcpy(buf, host, n + 1);
    }
    return inet_pton(AF_INET, buf, b) == 1 || inet_pton(AF_INET6, buf, b) == 1;
}

int mxd_policy_add_mx(mxd_policy_run *run, const char *host)
{
    mxd_policy_result *d = run->out;
    if (run->inputs_done || !host[0] || strcmp(host, ".") == 0 || is_ip_literal(host))
        return 0;
    for (size_t i = 0; i < d->ntlsa; i++)
        if (mxd_dns_name_eq(d->tlsa[i].host, host))
            return 0;
    char name[MXD_NAME_MAX];
    if ((size_t)snprintf(name, sizeof name, "_25._tcp.%s", host) >= sizeof name)
        return 0;
    mxd_tlsa *v = realloc(d->tlsa, (d->ntlsa + 1) * sizeof *v);
    if (!v)
        return -1;
    d->tlsa = v;
    mxd_tlsa *t = &v[d->ntlsa++];
    memset(t, 0, sizeof *t);
    snprintf(t->host, sizeof t->host, "%s", host);
    size_t hl = strlen(t->host);
    if (hl > 1 && t->host[hl - 1] == '.')
        t->host[hl - 1] = '\0';
    send_query(run, K_TLSA, d->ntlsa - 1, 0, name, MXD_T_TLSA);
    return 0;
}

int mxd_policy_add_address(mxd_policy_run *run, const char *host, const mxd_addr *a)
{
    mxd_policy_result *d = run->out;
    size_t blen = a->family == AF_INET ? 4 : a->family == AF_INET6 ? 16 : 0;
    if (run->inputs_done || !blen)
        return 0;
    for (size_t i = 0; i < d->nptr; i++)
        if (d->ptr[i].addr.family == a->family && memcmp(d->ptr[i].addr.bytes, a->bytes, blen) == 0)
            return 0;
    mxd_ptr *v = realloc(d->ptr, (d->nptr + 1) * sizeof *v);
    if (!v)
        return -1;
    d->ptr = v;
    size_t i = d->nptr++;
    mxd_ptr *p = &v[i];
    memset(p, 0, sizeof *p);
    snprintf(p->host, sizeof p->host, "%s", host);
    p->addr = *a;
    if (!p->addr.text[0])
        inet_ntop(a->family, a->bytes, p->addr.text, sizeof p->addr.text);
    p->q.type = MXD_T_PTR;
    mxd_reverse_name(a, p->q.name, sizeof p->q.name);
    /* A sender on the internet cannot reach a private address, so nobody asks
     * for its PTR either (target.private already says what is wrong). */
    if (mxd_addr_is_private(a) && !run->allow_private &&
        !(run->allow_loopback && mxd_addr_is_loopback(a))) {
        p->skipped = true;
        return 0;
    }
    send_query(run, K_PTR, i, 0, p->q.name, MXD_T_PTR);
    return 0;
}

void mxd_policy_inputs_done(mxd_policy_run *run)
{
    run->inputs_done = true;
    maybe_done(run);
}

void mxd_policy_cancel(mxd_policy_run *run)
{
    if (!run)
        return;
    for (pq *c = run->queries; c; c = c->next) {
        mxd_plookup *l = lookup_of(run, c);
        if (l->state == MXD_Q_PENDING)
            l->state = MXD_Q_TIMEOUT;
    }
    /* DMARC's organisational lookup is marked PENDING before it is sent. */
    if (run->out->dmarc.at_org.state == MXD_Q_PENDING)
        run->out->dmarc.at_org.state = MXD_Q_TIMEOUT;
    mxd_dmarc_discover(&run->out->dmarc);
    mxd_spf_cancel(run->spf);
    mxd_mtasts_cancel(run->mtasts);
    /* This run's questions will never call back: their contexts can go. */
    if (run->own_dns)
        mxd_dns_free(run->dns);
    else
        mxd_dns_forget(run->dns, run);
    while (run->queries) {
        pq *c = run->queries;
        run->queries = c->next;
        free(c);
    }
    if (run->done_timer)
        mxd_loop_cancel(run->loop, run->done_timer);
    free(run);
}
