/* mtasts_run.c — the MTA-STS sub-run on the loop (see mtasts.h).
 *
 * TXT _mta-sts.DOMAIN → (one valid record) → A and AAAA of mta-sts.DOMAIN, asked
 * together → HTTPS GET of the policy from the first address this run may
 * connect to; a connection that cannot be set up moves on to the next address,
 * as a sender would, while an answer of any kind (a 404, a bad certificate)
 * is the server's word and ends the fetch. Then the policy is parsed.
 *
 * DNS questions go through the caller's resolver channel, or through a channel
 * of the run's own when the caller passes none. dnsclient cannot withdraw a
 * question, so each question's callback argument is a small record that
 * outlives a cancelled run: the callback sees the run gone and only frees it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#include "mxd/checks.h"
#include "mxd/mtasts.h"
#include "mxd/sanitize.h"

/* Two addresses at most: with two DNS rounds and four HTTPS stages, the whole
 * sub-run stays within 8 timeouts, inside the engine's run bound of 9. */
enum { MAX_ADDRS = 2 };
typedef enum { Q_TXT, Q_A, Q_AAAA, Q_COUNT } qkind;

typedef struct qrec {
    mxd_mtasts_run *run; /* NULL once the run was cancelled */
    qkind kind;
} qrec;

struct mxd_mtasts_run {
    mxd_loop *loop;
    mxd_dns *dns;
    bool own_dns;
    mxd_mtasts_result *out;
    unsigned timeout_ms, port;
    bool loopback_only, allow_private, allow_loopback;
    const void *extra_ca;
    SSL_CTX *ctx;
    mxd_https_get *get;
    qrec *q[Q_COUNT];          /* questions in flight */
    bool answered[Q_COUNT];
    mxd_addr addrs[MAX_ADDRS]; /* addresses this run may connect to, in order */
    size_t naddrs, next_addr;
    uint64_t started;
    uint64_t done_timer;
    bool fetch_started;
    bool finished;
    void (*changed)(void *);
    void (*done)(void *);
    void *arg;
};

static void changed(mxd_mtasts_run *r)
{
    if (r->changed)
        r->changed(r->arg);
}

static void set_problem(mxd_mtasts_result *o, const char *text)
{
    char *c = mxd_sanitize(text, strlen(text), 0, sizeof o->problem - 1);
    snprintf(o->problem, sizeof o->problem, "%s", c ? c : "");
    free(c);
}

static void release(mxd_mtasts_run *r)
{
    if (r->done_timer)
        mxd_loop_cancel(r->loop, r->done_timer);
    for (int k = 0; k < Q_COUNT; k++)
        if (r->q[k])
            r->q[k]->run = NULL; /* its callback frees it */
    if (r->own_dns)
        mxd_dns_free(r->dns); /* drops our questions without calling back: free their records */
    for (int k = 0; k < Q_COUNT && r->own_dns; k++)
        free(r->q[k]);
    if (r->ctx)
        SSL_CTX_free(r->ctx);
    free(r);
}

static void deliver(mxd_loop *loop, void *arg)
{
    (void)loop;
    mxd_mtasts_run *r = arg;
    r->done_timer = 0;
    void (*done)(void *) = r->done;
    void *darg = r->arg;
    release(r);
    done(darg);
}

/* Ends the run with out->state already set; done() follows from a fresh loop turn. */
static void finish(mxd_mtasts_run *r)
{
    if (r->finished)
        return;
    r->finished = true;
    r->out->elapsed_ms = (uint32_t)(mxd_now_ms() - r->started);
    changed(r);
    r->done_timer = mxd_loop_timer(r->loop, 0, deliver, r);
}

static void fail_state(mxd_mtasts_run *r, mxd_mtasts_state st, const char *problem)
{
    r->out->state = st;
    if (problem)
        set_problem(r->out, problem);
    finish(r);
}

/* ---------------------------------------------------------------- DNS */

static void on_dns(void *arg, mxd_qstate st, mxd_dnsmsg *msg, uint32_t elapsed_ms);

static mxd_query *query_of(mxd_mtasts_run *r, qkind k)
{
    return k == Q_TXT ? &r->out->txt : k == Q_A ? &r->out->a : &r->out->aaaa;
}

static void ask(mxd_mtasts_run *r, qkind k, const char *name, uint16_t type)
{
    mxd_query *q = query_of(r, k);
    snprintf(q->name, sizeof q->name, "%s", name);
    q->type = type;
    q->state = MXD_Q_PENDING;
    qrec *rec = calloc(1, sizeof *rec);
    if (!rec) {
        q->state = MXD_Q_ERROR;
        r->answered[k] = true;
        return;
    }
    rec->run = r;
    rec->kind = k;
    r->q[k] = rec;
    if (mxd_dns_query(r->dns, name, type, on_dns, rec) < 0) {
        r->q[k] = NULL;
        free(rec);
        q->state = MXD_Q_ERROR;
        r->answered[k] = true;
    }
}

static void start_fetch(mxd_mtasts_run *r);

static void txt_answered(mxd_mtasts_run *r)
{
    mxd_mtasts_result *o = r->out;
    const mxd_query *q = &o->txt;
    if (q->state == MXD_Q_NXDOMAIN || q->state == MXD_Q_NODATA) {
        fail_state(r, MXD_MTASTS_NO_RECORD, NULL);
        return;
    }
    if (q->state != MXD_Q_OK || !q->msg) {
        char buf[400];
        snprintf(buf, sizeof buf, "the question for TXT %s ended with %s", o->record_name,
                 mxd_qstate_name(q->state));
        fail_state(r, MXD_MTASTS_DNS_ERROR, buf);
        return;
    }
    const mxd_rr *first = NULL;
    for (size_t i = 0; i < q->msg->nan; i++) {
        const mxd_rr *rr = &q->msg->an[i];
        if (rr->type != MXD_T_TXT || !rr->data)
            continue;
        if (!mxd_mtasts_record_candidate((const char *)rr->data, rr->data_len))
            continue; /* other TXT records at _mta-sts are not ours to judge */
        if (!first)
            first = rr;
        o->nrecords++;
    }
    if (!first) {
        fail_state(r, MXD_MTASTS_NO_RECORD, NULL);
        return;
    }
    char *text = mxd_sanitize(first->data, first->data_len, 0, sizeof o->record - 1);
    snprintf(o->record, sizeof o->record, "%s", text ? text : "");
    free(text);
    if (o->nrecords > 1) {
        char buf[160];
        snprintf(buf, sizeof buf, "%u TXT records start with v=STSv1; there must be exactly one",
                 o->nrecords);
        fail_state(r, MXD_MTASTS_RECORD_INVALID, buf);
        return;
    }
    char why[200];
    if (mxd_mtasts_record_parse((const char *)first->data, first->data_len, &o->rec, why,
                                sizeof why) < 0) {
        fail_state(r, MXD_MTASTS_RECORD_INVALID, why);
        return;
    }
    changed(r);
    ask(r, Q_A, o->host, MXD_T_A);
    ask(r, Q_AAAA, o->host, MXD_T_AAAA);
    if (r->answered[Q_A] && r->answered[Q_AAAA])
        start_fetch(r);
}

static bool may_connect(const mxd_mtasts_run *r, const mxd_addr *a, const char **why)
{
    bool lo4 = a->family == AF_INET && a->bytes[0] == 127;
    if (r->loopback_only && !lo4) {
        *why = "outside_lab";
        return false;
    }
    if (mxd_addr_is_private(a) && !r->allow_private &&
        !(r->allow_loopback && mxd_addr_is_loopback(a))) {
        *why = "private";
        return false;
    }
    return true;
}

static void collect(mxd_mtasts_run *r, const mxd_dnsmsg *m, uint16_t type, mxd_addr *first,
                    const char **first_why)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nan; i++) {
        const mxd_rr *rr = &m->an[i];
        if (rr->type != type)
            continue;
        mxd_addr a;
        memset(&a, 0, sizeof a);
        a.family = type == MXD_T_A ? AF_INET : AF_INET6;
        memcpy(a.bytes, type == MXD_T_A ? rr->u.a : rr->u.aaaa, type == MXD_T_A ? 4 : 16);
        inet_ntop(a.family, a.bytes, a.text, sizeof a.text);
        const char *why = NULL;
        if (!may_connect(r, &a, &why)) {
            if (!first->family) {
                *first = a;
                *first_why = why;
            }
            continue;
        }
        bool seen = false;
        for (size_t k = 0; k < r->naddrs && !seen; k++)
            seen = memcmp(&r->addrs[k], &a, sizeof a) == 0;
        if (!seen && r->naddrs < MAX_ADDRS)
            r->addrs[r->naddrs++] = a;
    }
}

static void fetch_next(mxd_mtasts_run *r);

/* Both address questions have ended. IPv4 first: that is what more networks
 * reach, and a sender tries the others only when it fails. */
static void start_fetch(mxd_mtasts_run *r)
{
    mxd_mtasts_result *o = r->out;
    if (r->fetch_started || r->finished)
        return;
    r->fetch_started = true;
    mxd_addr refused;
    memset(&refused, 0, sizeof refused);
    const char *why = NULL;
    collect(r, o->a.msg, MXD_T_A, &refused, &why);
    collect(r, o->aaaa.msg, MXD_T_AAAA, &refused, &why);
    if (!r->naddrs && refused.family) {
        o->addr = refused;
        snprintf(o->skip_reason, sizeof o->skip_reason, "%s", why);
        fail_state(r, MXD_MTASTS_SKIPPED, NULL);
        return;
    }
    if (!r->naddrs) {
        char buf[400];
        snprintf(buf, sizeof buf, "%s has no address (A: %s, AAAA: %s)", o->host,
                 mxd_qstate_name(o->a.state), mxd_qstate_name(o->aaaa.state));
        o->fetch = MXD_MTASTS_FETCH_NO_ADDRESS;
        fail_state(r, MXD_MTASTS_FETCH_FAILED, buf);
        return;
    }
    r->ctx = mxd_https_client_ctx(r->extra_ca);
    if (!r->ctx) {
        fail_state(r, MXD_MTASTS_FETCH_FAILED, "OpenSSL could not make a TLS context");
        return;
    }
    o->fetch = MXD_MTASTS_FETCH_HTTPS;
    fetch_next(r);
}

static void on_dns(void *arg, mxd_qstate st, mxd_dnsmsg *msg, uint32_t elapsed_ms)
{
    qrec *rec = arg;
    mxd_mtasts_run *r = rec ? rec->run : NULL;
    if (!r) {
        if (msg) {
            mxd_dnsmsg_free(msg);
            free(msg);
        }
        free(rec);
        return;
    }
    qkind k = rec->kind;
    r->q[k] = NULL;
    free(rec);
    r->answered[k] = true;
    mxd_query *q = query_of(r, k);
    mxd_query_reset(q);
    q->state = st;
    q->msg = msg;
    q->elapsed_ms = elapsed_ms;
    if (k == Q_TXT) {
        txt_answered(r);
        return;
    }
    changed(r);
    if (r->answered[Q_A] && r->answered[Q_AAAA] && !r->finished)
        start_fetch(r);
}

/* ---------------------------------------------------------------- HTTPS */

static void on_fetched(void *arg)
{
    mxd_mtasts_run *r = arg;
    mxd_mtasts_result *o = r->out;
    r->get = NULL;
    mxd_https_response *h = &o->http;
    bool no_connection = h->end == MXD_HTTPS_CONNECT_FAILED ||
                         (h->end == MXD_HTTPS_TIMEOUT && strcmp(h->stage, "connect") == 0);
    if (no_connection && r->next_addr < r->naddrs) {
        changed(r);
        fetch_next(r); /* as a sender would: the next address */
        return;
    }
    if (h->end != MXD_HTTPS_OK) {
        fail_state(r, MXD_MTASTS_FETCH_FAILED, h->error[0] ? h->error : mxd_https_end_name(h->end));
        return;
    }
    char why[256];
    if (mxd_mtasts_policy_parse(h->body, h->body_len, &o->policy, why, sizeof why) < 0) {
        fail_state(r, MXD_MTASTS_POLICY_INVALID, why);
        return;
    }
    o->state = MXD_MTASTS_OK;
    finish(r);
}

static void fetch_next(mxd_mtasts_run *r)
{
    mxd_mtasts_result *o = r->out;
    mxd_https_response_free(&o->http);
    o->addr = r->addrs[r->next_addr++];
    changed(r);
    r->get = mxd_https_get_start(r->loop, r->ctx, &o->addr, r->port, o->host, MXD_MTASTS_PATH,
                                 r->timeout_ms, MXD_MTASTS_POLICY_MAX, &o->http, on_fetched, r);
    if (!r->get)
        fail_state(r, MXD_MTASTS_FETCH_FAILED,
                   o->http.error[0] ? o->http.error : "out of memory");
}

/* ---------------------------------------------------------------- public */

static mxd_dns *own_channel(mxd_loop *loop, const mxd_options *opts, unsigned timeout_ms)
{
    char csv[1024] = "";
    for (size_t i = 0; i < opts->nresolvers; i++) {
        char one[80];
        if (!mxd_dns_server_normalize(opts->resolvers[i], one, sizeof one))
            return NULL;
        if (strlen(csv) + strlen(one) + 2 < sizeof csv) {
            if (csv[0])
                strcat(csv, ",");
            strcat(csv, one);
        }
    }
    char err[200];
    return mxd_dns_new(loop, csv[0] ? csv : NULL, timeout_ms, true, err, sizeof err);
}

mxd_mtasts_run *mxd_mtasts_start(mxd_loop *loop, mxd_dns *recursive, const mxd_options *opts,
                                 const char *domain_ascii, mxd_mtasts_result *out,
                                 void (*changed_cb)(void *), void (*done)(void *), void *arg)
{
    mxd_mtasts_run *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->loop = loop;
    r->out = out;
    r->timeout_ms = (unsigned)(opts->timeout_s > 0 ? opts->timeout_s : 5) * 1000u;
    r->port = opts->https_port ? opts->https_port : 443;
    r->loopback_only = opts->loopback_only;
    r->allow_private = opts->allow_private;
    r->allow_loopback = opts->allow_loopback;
    r->extra_ca = opts->extra_ca;
    r->changed = changed_cb;
    r->done = done;
    r->arg = arg;
    r->started = mxd_now_ms();
    r->dns = recursive;
    if (!r->dns) {
        r->dns = own_channel(loop, opts, r->timeout_ms);
        r->own_dns = true;
        if (!r->dns) {
            free(r);
            return NULL;
        }
    }

    snprintf(out->domain, sizeof out->domain, "%s", domain_ascii);
    size_t dl = strlen(out->domain);
    if (dl > 1 && out->domain[dl - 1] == '.')
        out->domain[dl - 1] = '\0';
    snprintf(out->record_name, sizeof out->record_name, "_mta-sts.%s", out->domain);
    snprintf(out->host, sizeof out->host, "mta-sts.%s", out->domain);
    snprintf(out->url, sizeof out->url, "https://%s%s", out->host, MXD_MTASTS_PATH);
    if (r->port != 443)
        snprintf(out->url, sizeof out->url, "https://%s:%u%s", out->host, r->port,
                 MXD_MTASTS_PATH);
    out->state = MXD_MTASTS_RUNNING;
    ask(r, Q_TXT, out->record_name, MXD_T_TXT);
    /* Not sent at all (no memory): no callback will come to end the run. */
    if (r->answered[Q_TXT] && !r->finished)
        fail_state(r, MXD_MTASTS_DNS_ERROR, "the TXT question could not be sent");
    return r;
}

void mxd_mtasts_cancel(mxd_mtasts_run *r)
{
    if (!r)
        return;
    mxd_mtasts_result *o = r->out;
    if (r->get) {
        mxd_https_get_cancel(r->get);
        r->get = NULL;
    }
    for (int k = 0; k < Q_COUNT; k++) {
        mxd_query *q = query_of(r, (qkind)k);
        if (q->state == MXD_Q_PENDING)
            q->state = MXD_Q_TIMEOUT;
    }
    if (!r->finished) {
        o->elapsed_ms = (uint32_t)(mxd_now_ms() - r->started);
        if (o->state == MXD_MTASTS_RUNNING) {
            bool record_known = o->txt.state == MXD_Q_OK && o->rec.id[0];
            o->state = record_known ? MXD_MTASTS_FETCH_FAILED : MXD_MTASTS_DNS_ERROR;
            set_problem(o, "stopped: the run's time bound was reached");
        }
    }
    release(r);
}
