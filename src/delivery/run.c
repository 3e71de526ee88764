/* run.c — the delivery step on the shared loop (see delivery.h).
 *
 * Dependencies, and therefore the critical path:
 *   at start: A and AAAA of --probe-host (its address is then known by the
 *             time it may be needed; a lookup that turns out unneeded costs
 *             one query)
 *   the engine's SMTP probes end (mxd_delivery_smtp_done)
 *     ├─ port 25 failed everywhere: the same addresses on the submission
 *     │  ports, and --probe-host on the SMTP port, connect only, all at once
 *     └─ --rcpt on the accepting hop, then --send-test on the same hop
 * The conversations wait for the SMTP probes because they need the working
 * MX; the test message waits for the recipient check so that a greylisting
 * server sees them in the order a person would expect.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#include "mxd/checks.h"
#include "mxd/delivery.h"
#include "mxd/smtpprobe.h"

#define MAX_ALT_ADDRS 8 /* MX addresses tried on the submission ports */
#define MAX_PROBE_ADDRS 4

void mxd_delivery_result_free(mxd_delivery_result *d)
{
    if (!d)
        return;
    free(d->net.alt);
    free(d->net.probe);
    mxd_conv_result_free(&d->rcpt);
    mxd_conv_result_free(&d->send);
    memset(d, 0, sizeof *d);
}

uint64_t mxd_delivery_bound_ms(const mxd_options *opts, const mxd_delivery_options *dopts)
{
    uint64_t t = (uint64_t)(opts->timeout_s > 0 ? opts->timeout_s : 5) * 1000u;
    uint64_t b = t; /* the connect-only probes run in parallel */
    if (dopts && dopts->probe_host && dopts->probe_host[0])
        b += t;
    /* A conversation is at most greeting, EHLO, STARTTLS, TLS, EHLO, MAIL, RCPT,
     * DATA, message, RSET, QUIT and the connection: twelve steps of one timeout. */
    if (dopts && dopts->rcpt && dopts->rcpt[0])
        b += 12 * t;
    if (dopts && dopts->send_from && dopts->send_to)
        b += 12 * t;
    return b;
}

/* ---- choosing the MX to talk to ------------------------------------------------- */

/* Where the recipient check and the test message go: the hop the path says
 * takes the message. Fills host, address and whether STARTTLS is worth trying
 * there (not when the probe's handshake failed: senders then deliver in plain
 * text, and so do we). Returns false with reason when there is none. */
static bool pick_mx(const mxd_result *r, char *host, size_t hcap, mxd_addr *addr, bool *tls,
                    const char **reason)
{
    if (r->opts.no_smtp) {
        *reason = "no_smtp";
        return false;
    }
    mxd_path p;
    if (mxd_delivery_path(r, &p) < 0) {
        *reason = "memory";
        return false;
    }
    bool ok = false;
    if (p.accepted >= 0) {
        const mxd_hop *h = &p.hops[p.accepted];
        const mxd_target *t = &r->targets[h->target];
        for (size_t j = 0; j < t->naddrs && !ok; j++)
            if (strcmp(t->addrs[j].text, h->address) == 0) {
                *addr = t->addrs[j];
                *tls = t->smtp[j].end != MXD_SMTP_END_TLS_FAILED;
                snprintf(host, hcap, "%s", h->host);
                ok = true;
            }
    }
    mxd_path_free(&p);
    if (!ok)
        *reason = "no_working_mx";
    return ok;
}

static void not_tried(mxd_conv_result *out, const char *reason)
{
    out->state = MXD_CONV_DONE;
    out->outcome = MXD_CONV_NOT_TRIED;
    snprintf(out->reason, sizeof out->reason, "%s", reason);
}

/* Checks an address against the diagnosed domain; copies the normalised form. */
static bool address_for(const char *in, const char *domain_ascii, char *out, size_t cap,
                        const char **reason)
{
    char dom[256];
    if (!mxd_delivery_address(in, out, cap, dom, sizeof dom)) {
        *reason = "address";
        return false;
    }
    if (domain_ascii && strcasecmp(dom, domain_ascii) != 0) {
        /* Only the recipient domain's own MX, never anyone else's: no relaying. */
        *reason = "other_domain";
        return false;
    }
    return true;
}

/* ---- conversations on demand ------------------------------------------------------ */

struct mxd_delivery_conv {
    mxd_conv *conv;
    SSL_CTX *ctx;
    void (*done)(void *);
    void *arg;
};

/* The on-demand handle wraps a conversation and owns its TLS context. */
static void ondemand_done(void *arg)
{
    mxd_delivery_conv *o = arg;
    void (*done)(void *) = o->done;
    void *darg = o->arg;
    if (o->ctx)
        SSL_CTX_free(o->ctx);
    free(o);
    done(darg);
}

static mxd_delivery_conv *ondemand_start(mxd_loop *loop, const mxd_result *r, mxd_conv_kind kind,
                                const char *from, const char *to, mxd_conv_result *out,
                                void (*done)(void *), void *arg)
{
    char host[MXD_NAME_MAX], rcpt[MXD_ADDR_MAX], sender[MXD_ADDR_MAX] = "";
    const char *reason = NULL;
    mxd_addr a;
    bool tls = true;
    snprintf(out->rcpt, sizeof out->rcpt, "%s", to ? to : "");
    if (!address_for(to, r->domain_ascii, rcpt, sizeof rcpt, &reason) ||
        (kind == MXD_CONV_KIND_SEND && !address_for(from, NULL, sender, sizeof sender, &reason)) ||
        !pick_mx(r, host, sizeof host, &a, &tls, &reason)) {
        not_tried(out, reason);
        return NULL;
    }
    if (r->opts.loopback_only && !mxd_addr_is_loopback(&a)) {
        not_tried(out, "outside_lab");
        return NULL;
    }
    mxd_delivery_conv *o = calloc(1, sizeof *o);
    if (!o) {
        not_tried(out, "memory");
        return NULL;
    }
    o->done = done;
    o->arg = arg;
    o->ctx = mxd_tls_client_ctx(r->opts.extra_ca); /* NULL: the conversation goes without TLS */
    unsigned port = r->opts.smtp_port ? r->opts.smtp_port : 25;
    unsigned tmo = (unsigned)(r->opts.timeout_s > 0 ? r->opts.timeout_s : 5) * 1000u;
    o->conv = mxd_conv_start(loop, o->ctx, kind, &a, port, host, r->opts.ehlo_name, tls, sender,
                             rcpt, tmo, out, ondemand_done, o);
    if (!o->conv) {
        if (o->ctx)
            SSL_CTX_free(o->ctx);
        free(o);
        return NULL;
    }
    return o;
}

mxd_delivery_conv *mxd_delivery_rcpt_start(mxd_loop *loop, const mxd_result *r,
                                           const char *address, mxd_conv_result *out,
                                           void (*done)(void *), void *arg)
{
    return ondemand_start(loop, r, MXD_CONV_KIND_RCPT, NULL, address, out, done, arg);
}

mxd_delivery_conv *mxd_delivery_send_start(mxd_loop *loop, const mxd_result *r,
                                           const char *from, const char *to,
                                           mxd_conv_result *out, void (*done)(void *),
                                           void *arg)
{
    return ondemand_start(loop, r, MXD_CONV_KIND_SEND, from, to, out, done, arg);
}

void mxd_delivery_conv_cancel(mxd_delivery_conv *o)
{
    if (!o)
        return;
    mxd_conv_cancel(o->conv);
    if (o->ctx)
        SSL_CTX_free(o->ctx);
    free(o);
}

/* ---- the run -------------------------------------------------------------------- */

typedef struct probe_ref {
    mxd_delivery_run *run;
    mxd_netprobe *p;
    bool alt;      /* in out->net.alt, else out->net.probe */
    size_t i;
    struct probe_ref *next;
} probe_ref;

struct mxd_delivery_run {
    mxd_loop *loop;
    mxd_dns *dns;
    bool own_dns;
    mxd_options opts;             /* copied; its pointers are not used after start */
    const void *extra_ca;
    char ehlo[256];
    bool has_ehlo;
    char domain[256];
    char rcpt[MXD_ADDR_MAX];      /* --rcpt as given, "" */
    char send_from[MXD_ADDR_MAX], send_to[MXD_ADDR_MAX];
    bool want_send;
    unsigned sub_ports[2];
    unsigned nsub_ports;
    mxd_delivery_result *out;
    void (*changed)(void *);
    void (*done)(void *);
    void *arg;
    SSL_CTX *tls;
    bool smtp_done;
    bool probe_wanted;            /* the network probes need the probe host */
    unsigned lookups;             /* probe host A/AAAA outstanding */
    probe_ref *probes;
    mxd_conv *conv;               /* the conversation running now, or NULL */
    bool send_next;               /* start the test message after the recipient check */
    /* the MX chosen for the conversations */
    bool have_mx;
    char mx_host[MXD_NAME_MAX];
    mxd_addr mx_addr;
    bool mx_tls;
    const char *mx_reason;
    uint64_t done_timer;
};

static void changed(mxd_delivery_run *run)
{
    if (run->changed)
        run->changed(run->arg);
}

static void free_run(mxd_delivery_run *run)
{
    if (run->tls)
        SSL_CTX_free(run->tls);
    if (run->own_dns)
        mxd_dns_free(run->dns);
    free(run);
}

static void fire_done(mxd_loop *loop, void *arg)
{
    (void)loop;
    mxd_delivery_run *run = arg;
    void (*done)(void *) = run->done;
    void *darg = run->arg;
    run->done_timer = 0;
    run->out->finished = true;
    free_run(run);
    done(darg);
}

static void net_finished(mxd_delivery_run *run)
{
    if (!run->probes && !run->lookups)
        run->out->net.finished = true;
}

/* done() only ever comes from a loop timer, never from inside an API call. */
static void maybe_done(mxd_delivery_run *run)
{
    if (!run->smtp_done || run->probes || run->lookups || run->conv || run->send_next ||
        run->done_timer)
        return;
    run->done_timer = mxd_loop_timer(run->loop, 0, fire_done, run);
}

/* ---- connect-only probes ---- */

static void probe_done(void *arg)
{
    probe_ref *ref = arg;
    mxd_delivery_run *run = ref->run;
    for (probe_ref **pp = &run->probes; *pp; pp = &(*pp)->next)
        if (*pp == ref) {
            *pp = ref->next;
            break;
        }
    free(ref);
    net_finished(run);
    changed(run);
    maybe_done(run);
}

static void start_netprobe(mxd_delivery_run *run, bool alt, size_t i)
{
    mxd_network_result *n = &run->out->net;
    mxd_nconn *c = alt ? &n->alt[i] : &n->probe[i];
    if (run->opts.loopback_only && !mxd_addr_is_loopback(&c->addr)) {
        c->state = MXD_NC_SKIPPED;
        return;
    }
    probe_ref *ref = calloc(1, sizeof *ref);
    if (!ref)
        return;
    ref->run = run;
    ref->alt = alt;
    ref->i = i;
    ref->next = run->probes;
    run->probes = ref;
    ref->p = mxd_netprobe_start(run->loop, c, (unsigned)run->opts.timeout_s * 1000u, probe_done,
                                ref);
    if (!ref->p) {
        run->probes = ref->next;
        free(ref);
    }
}

static void start_probe_host(mxd_delivery_run *run)
{
    for (size_t i = 0; i < run->out->net.nprobe; i++)
        if (run->out->net.probe[i].state == MXD_NC_NOT_RUN)
            start_netprobe(run, false, i);
}

static bool add_probe_addr(mxd_delivery_run *run, int family, const uint8_t *bytes)
{
    mxd_network_result *n = &run->out->net;
    size_t len = family == AF_INET ? 4 : 16;
    /* The array never moves (a probe may already hold an earlier entry): it
     * is made once, full size, when the probe host is given. */
    if (!n->probe || n->nprobe >= MAX_PROBE_ADDRS)
        return false;
    for (size_t i = 0; i < n->nprobe; i++)
        if (n->probe[i].addr.family == family && memcmp(n->probe[i].addr.bytes, bytes, len) == 0)
            return false;
    mxd_nconn *c = &n->probe[n->nprobe++];
    memset(c, 0, sizeof *c);
    snprintf(c->host, sizeof c->host, "%s", n->probe_host);
    c->addr.family = family;
    memcpy(c->addr.bytes, bytes, len);
    inet_ntop(family, bytes, c->addr.text, sizeof c->addr.text);
    c->port = run->opts.smtp_port ? run->opts.smtp_port : 25;
    return true;
}

static void on_probe_dns(void *arg, mxd_qstate st, mxd_dnsmsg *msg, uint32_t elapsed_ms)
{
    (void)elapsed_ms;
    mxd_delivery_run *run = arg;
    mxd_network_result *n = &run->out->net;
    /* Two questions, one state: an answer beats no answer, a failure beats "none". */
    if (st == MXD_Q_OK || n->probe_lookup == MXD_Q_PENDING ||
        (n->probe_lookup != MXD_Q_OK && st != MXD_Q_NODATA && st != MXD_Q_NXDOMAIN))
        n->probe_lookup = st;
    for (size_t i = 0; msg && i < msg->nan; i++) {
        if (msg->an[i].type == MXD_T_A)
            add_probe_addr(run, AF_INET, msg->an[i].u.a);
        else if (msg->an[i].type == MXD_T_AAAA)
            add_probe_addr(run, AF_INET6, msg->an[i].u.aaaa);
    }
    if (msg) {
        mxd_dnsmsg_free(msg);
        free(msg);
    }
    run->lookups--;
    if (run->probe_wanted)
        start_probe_host(run);
    net_finished(run);
    changed(run);
    maybe_done(run);
}

static void lookup_probe_host(mxd_delivery_run *run, const char *host)
{
    mxd_network_result *n = &run->out->net;
    snprintf(n->probe_host, sizeof n->probe_host, "%s", host);
    n->probe = calloc(MAX_PROBE_ADDRS, sizeof *n->probe);
    if (!n->probe) {
        n->probe_lookup = MXD_Q_ERROR;
        return;
    }
    size_t hl = strlen(n->probe_host);
    if (hl > 1 && n->probe_host[hl - 1] == '.')
        n->probe_host[hl - 1] = '\0';
    uint8_t b[16];
    char lit[MXD_NAME_MAX];
    snprintf(lit, sizeof lit, "%s", n->probe_host);
    size_t ll = strlen(lit);
    if (ll > 2 && lit[0] == '[' && lit[ll - 1] == ']') {
        memmove(lit, lit + 1, ll - 2);
        lit[ll - 2] = '\0';
    }
    if (inet_pton(AF_INET, lit, b) == 1 || inet_pton(AF_INET6, lit, b) == 1) {
        n->probe_lookup = MXD_Q_OK;
        add_probe_addr(run, strchr(lit, ':') ? AF_INET6 : AF_INET, b);
        return;
    }
    if (!run->dns) {
        char csv[1024] = "", err[200];
        for (size_t i = 0; i < run->opts.nresolvers; i++) {
            char one[80];
            if (!mxd_dns_server_normalize(run->opts.resolvers[i], one, sizeof one))
                continue;
            if (strlen(csv) + strlen(one) + 2 < sizeof csv) {
                if (csv[0])
                    strcat(csv, ",");
                strcat(csv, one);
            }
        }
        run->dns = mxd_dns_new(run->loop, csv[0] ? csv : NULL,
                               (unsigned)run->opts.timeout_s * 1000u, true, err, sizeof err);
        run->own_dns = run->dns != NULL;
        if (!run->dns) {
            n->probe_lookup = MXD_Q_ERROR;
            return;
        }
    }
    n->probe_lookup = MXD_Q_PENDING;
    static const uint16_t types[2] = { MXD_T_A, MXD_T_AAAA };
    for (int k = 0; k < 2; k++) {
        run->lookups++;
        if (mxd_dns_query_owned(run->dns, run, n->probe_host, types[k], on_probe_dns, run) < 0) {
            run->lookups--;
            n->probe_lookup = MXD_Q_ERROR;
        }
    }
}

/* ---- conversations ---- */

static void conv_done(void *arg);

static void start_conv(mxd_delivery_run *run, mxd_conv_kind kind)
{
    mxd_conv_result *out = kind == MXD_CONV_KIND_RCPT ? &run->out->rcpt : &run->out->send;
    const char *to = kind == MXD_CONV_KIND_RCPT ? run->rcpt : run->send_to;
    char rcpt[MXD_ADDR_MAX], sender[MXD_ADDR_MAX] = "";
    const char *reason = NULL;
    snprintf(out->rcpt, sizeof out->rcpt, "%s", to);
    if (kind == MXD_CONV_KIND_SEND)
        snprintf(out->mail_from, sizeof out->mail_from, "%s", run->send_from);
    if (!address_for(to, run->domain, rcpt, sizeof rcpt, &reason) ||
        (kind == MXD_CONV_KIND_SEND &&
         !address_for(run->send_from, NULL, sender, sizeof sender, &reason))) {
        not_tried(out, reason);
        return;
    }
    if (!run->have_mx) {
        not_tried(out, run->mx_reason ? run->mx_reason : "no_working_mx");
        return;
    }
    if (run->opts.loopback_only && !mxd_addr_is_loopback(&run->mx_addr)) {
        not_tried(out, "outside_lab");
        return;
    }
    unsigned port = run->opts.smtp_port ? run->opts.smtp_port : 25;
    run->conv = mxd_conv_start(run->loop, run->tls, kind, &run->mx_addr, port, run->mx_host,
                               run->has_ehlo ? run->ehlo : NULL, run->mx_tls, sender, rcpt,
                               (unsigned)run->opts.timeout_s * 1000u, out, conv_done, run);
}

static void next_conv(mxd_delivery_run *run)
{
    if (run->send_next) {
        run->send_next = false;
        start_conv(run, MXD_CONV_KIND_SEND);
    }
}

static void conv_done(void *arg)
{
    mxd_delivery_run *run = arg;
    run->conv = NULL;
    next_conv(run);
    changed(run);
    maybe_done(run);
}

/* ---- lifecycle ---- */

mxd_delivery_run *mxd_delivery_start(mxd_loop *loop, mxd_dns *recursive,
                                     const mxd_options *opts, const mxd_delivery_options *dopts,
                                     const char *domain_ascii, mxd_delivery_result *out,
                                     void (*changed_cb)(void *), void (*done)(void *), void *arg,
                                     char *err, size_t errlen)
{
    mxd_delivery_run *run = calloc(1, sizeof *run);
    if (!run) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    run->loop = loop;
    run->dns = recursive;
    run->opts = *opts;
    if (run->opts.timeout_s <= 0)
        run->opts.timeout_s = 5;
    if (opts->ehlo_name) {
        snprintf(run->ehlo, sizeof run->ehlo, "%s", opts->ehlo_name);
        run->has_ehlo = true;
    }
    run->opts.ehlo_name = NULL;
    snprintf(run->domain, sizeof run->domain, "%s", domain_ascii ? domain_ascii : "");
    run->out = out;
    run->changed = changed_cb;
    run->done = done;
    run->arg = arg;
    out->started = true;
    out->net.finished = true;
    out->net.probe_lookup = MXD_Q_NOT_SENT;
    if (dopts) {
        if (dopts->rcpt && dopts->rcpt[0]) {
            snprintf(run->rcpt, sizeof run->rcpt, "%s", dopts->rcpt);
            out->rcpt.state = MXD_CONV_RUNNING; /* asked for: the report waits for it */
            snprintf(out->rcpt.rcpt, sizeof out->rcpt.rcpt, "%s", dopts->rcpt);
        }
        if (dopts->send_from && dopts->send_to) {
            snprintf(run->send_from, sizeof run->send_from, "%s", dopts->send_from);
            snprintf(run->send_to, sizeof run->send_to, "%s", dopts->send_to);
            run->want_send = true;
            out->send.state = MXD_CONV_RUNNING;
            snprintf(out->send.mail_from, sizeof out->send.mail_from, "%s", dopts->send_from);
            snprintf(out->send.rcpt, sizeof out->send.rcpt, "%s", dopts->send_to);
        }
        for (int i = 0; i < 2; i++)
            if (dopts->submission_ports[i])
                run->sub_ports[run->nsub_ports++] = dopts->submission_ports[i];
    }
    if (!run->nsub_ports) {
        run->sub_ports[0] = 587; /* submission (RFC 6409) */
        run->sub_ports[1] = 465; /* submission over implicit TLS (RFC 8314) */
        run->nsub_ports = 2;
    }
    if ((run->rcpt[0] || run->want_send) && !opts->no_smtp) {
        run->tls = mxd_tls_client_ctx(opts->extra_ca);
        if (!run->tls) {
            snprintf(err, errlen, "OpenSSL could not create a TLS context");
            free(run);
            return NULL;
        }
    }
    /* opts' pointers are only read during this call (resolvers by the lookup). */
    if (dopts && dopts->probe_host && dopts->probe_host[0] && !opts->no_smtp) {
        lookup_probe_host(run, dopts->probe_host);
        out->net.finished = false;
        net_finished(run);
    }
    run->opts.resolvers = NULL;
    run->opts.nresolvers = 0;
    run->opts.extra_ca = NULL;
    return run;
}

void mxd_delivery_smtp_done(mxd_delivery_run *run, const mxd_result *r)
{
    if (run->smtp_done)
        return;
    run->smtp_done = true;
    mxd_network_result *n = &run->out->net;
    mxd_port25 p25;
    mxd_delivery_port25(r, &p25);
    if (p25.tested && !p25.connected) {
        /* Port 25 failed at every address: ask the same hosts on the submission
         * ports, and the probe host on port 25 (see src/checks/delivery.c). */
        n->needed = true;
        n->finished = false;
        for (size_t i = 0; i < r->ntargets; i++) {
            const mxd_target *t = &r->targets[i];
            for (size_t j = 0; j < t->naddrs && t->smtp; j++) {
                const mxd_smtp *s = &t->smtp[j];
                if (s->state != MXD_SMTP_DONE || n->nalt / run->nsub_ports >= MAX_ALT_ADDRS ||
                    (t->addrs[j].family == AF_INET6 && s->end == MXD_SMTP_END_UNREACHABLE))
                    continue;
                mxd_nconn *nv = realloc(n->alt, (n->nalt + run->nsub_ports) * sizeof *nv);
                if (!nv)
                    break;
                n->alt = nv;
                for (unsigned k = 0; k < run->nsub_ports; k++) {
                    mxd_nconn *c = &n->alt[n->nalt++];
                    memset(c, 0, sizeof *c);
                    snprintf(c->host, sizeof c->host, "%s", t->host);
                    c->addr = t->addrs[j];
                    c->port = run->sub_ports[k];
                }
            }
        }
        for (size_t i = 0; i < n->nalt; i++)
            start_netprobe(run, true, i);
        run->probe_wanted = true;
        start_probe_host(run);
    }
    net_finished(run);
    if (run->rcpt[0] || run->want_send) {
        const char *reason = NULL;
        run->have_mx = pick_mx(r, run->mx_host, sizeof run->mx_host, &run->mx_addr, &run->mx_tls,
                               &reason);
        run->mx_reason = reason;
        run->send_next = run->want_send;
        if (run->rcpt[0])
            start_conv(run, MXD_CONV_KIND_RCPT);
        if (!run->conv)
            next_conv(run);
    }
    changed(run);
    maybe_done(run);
}

void mxd_delivery_cancel(mxd_delivery_run *run)
{
    if (!run)
        return;
    if (run->done_timer)
        mxd_loop_cancel(run->loop, run->done_timer);
    while (run->probes) {
        probe_ref *ref = run->probes;
        run->probes = ref->next;
        mxd_netprobe_cancel(ref->p);
        free(ref);
    }
    if (run->dns && run->lookups) {
        mxd_dns_forget(run->dns, run);
        if (run->out->net.probe_lookup == MXD_Q_PENDING)
            run->out->net.probe_lookup = MXD_Q_TIMEOUT;
    }
    run->lookups = 0;
    if (run->conv)
        mxd_conv_cancel(run->conv);
    run->conv = NULL;
    /* What was asked for and never began: the time bound came first. */
    mxd_conv_result *cs[2] = { &run->out->rcpt, &run->out->send };
    for (int i = 0; i < 2; i++)
        if (cs[i]->state == MXD_CONV_RUNNING) {
            cs[i]->state = MXD_CONV_DONE;
            cs[i]->outcome = MXD_CONV_FAILED;
            cs[i]->stage = MXD_STAGE_CONNECT;
            snprintf(cs[i]->reason, sizeof cs[i]->reason, "timeout");
        }
    run->out->net.finished = true;
    run->out->finished = true;
    free_run(run);
}
