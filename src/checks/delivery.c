/* delivery.c — the rules of step "delivery" (see delivery.h, checks.h).
 *
 * Pure: reads only the mxd_result and its delivery data.
 *
 * The sender's path (mxd_delivery_path) gives one finding:
 *   primary   delivery.path          pass  the most-preferred host takes it
 *   backup    delivery.path_backup   warn  a later host takes it (often only to queue)
 *   all_fail  delivery.path_fails    fail  nothing takes it: retries, then a bounce
 *   null_mx   delivery.path_null     info  "0 .": refused at once, on purpose
 *   untested  delivery.path_untested info  nothing could be tested from here
 * "all_fail" turns into "untested" (reason port25) when the failures are more
 * likely this network's than the servers' (see the table below): a path that
 * was never walked proves nothing about the servers.
 *
 * This network (only when the SMTP step probed something). Inputs: port 25 of
 * the MX addresses (connected somewhere / failed at connect everywhere), and
 * when it failed everywhere the extra probes: the same addresses on the
 * submission ports 587 and 465 (SUB), and port 25 of --probe-host (PH), a host
 * the user knows accepts connections on port 25.
 *
 *   port 25 to MX        PH          SUB         finding
 *   connected somewhere  -           -           network.ok
 *   failed everywhere    connects    any         network.servers_down (basis probe_host):
 *                                                this network passes port 25
 *   failed everywhere    fails       any         network.port25_blocked (evidence
 *                                                probe_host, or both with SUB)
 *   failed everywhere    not given*  connects    network.port25_blocked (evidence
 *                                                submission): the hosts are up, only
 *                                                port 25 cannot be reached from here
 *   failed everywhere    not given*  fails       every failure a refusal (RST): the
 *                                                hosts answer, nothing listens:
 *                                                network.servers_down (basis refused);
 *                                                otherwise network.undetermined
 *   (* or its lookup failed, or it was outside the lab)
 * A refusal on port 25 and a connection on 587 can also mean a server that only
 * does submission; every MX at once doing that is much less likely than an ISP
 * blocking port 25 (OP25B), hence "likely" in the texts.
 *
 * The recipient check and the test message each give one finding once they end:
 * accepted (pass), rejected (fail: 5xx), tempfail (warn: 4xx, e.g. greylisting),
 * failed (warn: the conversation broke off before the answer that matters) or
 * skipped (skip: never started, e.g. no working MX).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxd/bounce.h"
#include "mxd/checks.h"
#include "mxd/delivery.h"

#define STEP "delivery"

typedef enum { NET_NONE, NET_PENDING, NET_OK, NET_SERVERS_DOWN, NET_BLOCKED, NET_UNDETERMINED }
    net_verdict;

typedef struct net_view {
    net_verdict v;
    mxd_port25 p25;
    const char *ok_host, *ok_address; /* NET_OK: the first MX address that connected */
    const mxd_nconn *sub;             /* the first submission port that connected */
    bool probe_connected, probe_failed;
} net_view;

static bool failed_state(mxd_nc_state s)
{
    return s == MXD_NC_REFUSED || s == MXD_NC_TIMEOUT || s == MXD_NC_UNREACHABLE;
}

static void network_view(const mxd_result *r, const mxd_delivery_result *d, net_view *nv)
{
    memset(nv, 0, sizeof *nv);
    nv->v = NET_NONE;
    if (r->opts.no_smtp)
        return;
    for (size_t i = 0; i < r->ntargets; i++)
        for (size_t j = 0; j < r->targets[i].naddrs; j++)
            if (r->targets[i].smtp && r->targets[i].smtp[j].state == MXD_SMTP_RUNNING) {
                nv->v = NET_PENDING;
                return;
            }
    mxd_delivery_port25(r, &nv->p25);
    if (!nv->p25.tested)
        return;
    if (nv->p25.connected) {
        nv->v = NET_OK;
        for (size_t i = 0; i < r->ntargets && !nv->ok_host; i++) {
            const mxd_target *t = &r->targets[i];
            for (size_t j = 0; j < t->naddrs && !nv->ok_host; j++) {
                const mxd_smtp *s = &t->smtp[j];
                if (s->state == MXD_SMTP_DONE && s->end != MXD_SMTP_END_REFUSED &&
                    s->end != MXD_SMTP_END_CONNECT_TIMEOUT && s->end != MXD_SMTP_END_UNREACHABLE) {
                    nv->ok_host = t->host;
                    nv->ok_address = t->addrs[j].text;
                }
            }
        }
        return;
    }
    if (!d)
        return;
    const mxd_network_result *n = &d->net;
    if (!n->needed) {
        /* Not started yet, or never: the run ended (the time bound) before the
         * SMTP probes did. */
        nv->v = d->finished ? NET_NONE : NET_PENDING;
        return;
    }
    if (!n->finished) {
        nv->v = NET_PENDING;
        return;
    }
    size_t probe_done = 0, probe_bad = 0;
    for (size_t i = 0; i < n->nprobe; i++) {
        if (n->probe[i].state == MXD_NC_CONNECTED)
            nv->probe_connected = true;
        if (failed_state(n->probe[i].state))
            probe_bad++;
        if (n->probe[i].state != MXD_NC_SKIPPED && n->probe[i].state != MXD_NC_NOT_RUN)
            probe_done++;
    }
    nv->probe_failed = !nv->probe_connected && probe_done && probe_bad == probe_done;
    for (size_t i = 0; i < n->nalt && !nv->sub; i++)
        if (n->alt[i].state == MXD_NC_CONNECTED)
            nv->sub = &n->alt[i];
    if (nv->probe_connected)
        nv->v = NET_SERVERS_DOWN;
    else if (nv->probe_failed || nv->sub)
        nv->v = NET_BLOCKED;
    else if (nv->p25.refused == nv->p25.tested)
        nv->v = NET_SERVERS_DOWN;
    else
        nv->v = NET_UNDETERMINED;
}

static unsigned smtp_port(const mxd_result *r) { return r->opts.smtp_port ? r->opts.smtp_port : 25; }

static void check_network(const mxd_result *r, const mxd_delivery_result *d, const net_view *nv,
                          mxd_findings *out)
{
    mxd_finding *f;
    const char *dom = r->domain_ascii;
    switch (nv->v) {
    case NET_NONE:
    case NET_PENDING:
        return;
    case NET_OK:
        f = mxd_findings_add(out, STEP, "network.ok", MXD_SEV_PASS, nv->ok_host);
        mxd_finding_param(f, "host", nv->ok_host);
        mxd_finding_param(f, "address", nv->ok_address);
        mxd_finding_paramf(f, "port", "%u", smtp_port(r));
        return;
    case NET_SERVERS_DOWN:
        f = mxd_findings_add(out, STEP, "network.servers_down", MXD_SEV_INFO, dom);
        mxd_finding_param(f, "domain", dom);
        mxd_finding_paramf(f, "port", "%u", smtp_port(r));
        mxd_finding_paramf(f, "count", "%zu", nv->p25.tested);
        mxd_finding_param(f, "basis", nv->probe_connected ? "probe_host" : "refused");
        mxd_finding_param(f, "probe", nv->probe_connected ? d->net.probe_host : "-");
        return;
    case NET_BLOCKED: {
        f = mxd_findings_add(out, STEP, "network.port25_blocked", MXD_SEV_WARN, dom);
        mxd_finding_param(f, "domain", dom);
        mxd_finding_paramf(f, "port", "%u", smtp_port(r));
        mxd_finding_paramf(f, "count", "%zu", nv->p25.tested);
        mxd_finding_param(f, "evidence", nv->probe_failed && nv->sub ? "both"
                                         : nv->probe_failed           ? "probe_host"
                                                                      : "submission");
        if (nv->sub)
            mxd_finding_paramf(f, "submission", "%s %s:%u", nv->sub->host, nv->sub->addr.text,
                               nv->sub->port);
        else
            mxd_finding_param(f, "submission", "-");
        mxd_finding_param(f, "probe", nv->probe_failed ? d->net.probe_host : "-");
        return;
    }
    case NET_UNDETERMINED: {
        char ports[32] = "";
        size_t used = 0;
        for (size_t i = 0; i < d->net.nalt; i++) {
            char one[8];
            snprintf(one, sizeof one, "%u", d->net.alt[i].port);
            if (strstr(ports, one))
                continue;
            int n = snprintf(ports + used, sizeof ports - used, "%s%s", used ? ", " : "", one);
            if (n < 0 || (size_t)n >= sizeof ports - used)
                break;
            used += (size_t)n;
        }
        f = mxd_findings_add(out, STEP, "network.undetermined", MXD_SEV_INFO, dom);
        mxd_finding_param(f, "domain", dom);
        mxd_finding_paramf(f, "port", "%u", smtp_port(r));
        mxd_finding_paramf(f, "count", "%zu", nv->p25.tested);
        mxd_finding_param(f, "ports", used ? ports : "-");
        return;
    }
    }
}

/* ---- the path ---------------------------------------------------------------- */

static void check_path(const mxd_result *r, const net_view *nv, mxd_findings *out)
{
    mxd_path p;
    if (mxd_delivery_path(r, &p) < 0)
        return;
    const char *dom = r->domain_ascii;
    mxd_path_end end = p.end;
    const char *reason = NULL;
    if (end == MXD_PATH_ALL_FAIL && p.tested) {
        if (nv->v == NET_PENDING) {
            mxd_path_free(&p);
            return; /* the network probes decide what these failures mean */
        }
        if (nv->v == NET_BLOCKED || nv->v == NET_UNDETERMINED ||
            (nv->v == NET_NONE && p.all_connect_timeout)) {
            end = MXD_PATH_UNTESTED;
            reason = "port25";
        }
    } else if (end == MXD_PATH_UNTESTED) {
        reason = r->opts.no_smtp ? "no_smtp" : "skipped";
    }
    char *text = mxd_path_text(&p, "; ");
    mxd_finding *f = NULL;
    switch (end) {
    case MXD_PATH_PENDING:
    case MXD_PATH_NONE: break;
    case MXD_PATH_PRIMARY:
    case MXD_PATH_BACKUP: {
        const mxd_hop *h = &p.hops[p.accepted];
        bool primary = end == MXD_PATH_PRIMARY;
        f = mxd_findings_add(out, STEP, primary ? "delivery.path" : "delivery.path_backup",
                             primary ? MXD_SEV_PASS : MXD_SEV_WARN, h->host);
        mxd_finding_param(f, "domain", dom);
        if (!primary)
            mxd_finding_param(f, "primary", p.hops[0].host);
        mxd_finding_param(f, "host", h->host);
        mxd_finding_param(f, "address", h->address);
        break;
    }
    case MXD_PATH_ALL_FAIL:
        f = mxd_findings_add(out, STEP, "delivery.path_fails", MXD_SEV_FAIL, dom);
        mxd_finding_param(f, "domain", dom);
        mxd_finding_paramf(f, "count", "%zu", p.nhops);
        break;
    case MXD_PATH_NULL_MX:
        f = mxd_findings_add(out, STEP, "delivery.path_null", MXD_SEV_INFO, dom);
        mxd_finding_param(f, "domain", dom);
        break;
    case MXD_PATH_UNTESTED:
        f = mxd_findings_add(out, STEP, "delivery.path_untested", MXD_SEV_INFO, dom);
        mxd_finding_param(f, "domain", dom);
        mxd_finding_param(f, "reason", reason ? reason : "skipped");
        break;
    }
    if (f) {
        if (end != MXD_PATH_NULL_MX)
            mxd_finding_param(f, "path", text ? text : "");
        mxd_finding_param(f, "conclusion", mxd_path_end_name(end));
    }
    free(text);
    mxd_path_free(&p);
}

/* ---- conversations --------------------------------------------------------------- */

/* The bounce decoder's id for a reply ("bounce.5.1.1"), for the reader who
 * wants the long explanation (mxdoctor --explain); "" when it knows none. */
static void bounce_id(const mxd_conv_result *c, char *out, size_t cap)
{
    out[0] = '\0';
    char line[700];
    int n = snprintf(line, sizeof line, "%d %s", c->code, c->text);
    if (n <= 0)
        return;
    mxd_bounce b;
    memset(&b, 0, sizeof b);
    if (mxd_bounce_parse(line, strlen(line), &b) == 0 && b.n && b.v[0].id)
        snprintf(out, cap, "%s", b.v[0].id);
    mxd_bounce_free(&b);
}

static void reply_params(mxd_finding *f, const mxd_conv_result *c)
{
    mxd_finding_param(f, "host", c->host);
    mxd_finding_param(f, "address", c->address);
    mxd_finding_paramf(f, "code", "%d", c->code);
    mxd_finding_param(f, "enhanced", c->enhanced[0] ? c->enhanced : "-");
    mxd_finding_param(f, "text", c->text);
}

static void conv_finding(const mxd_conv_result *c, bool send, mxd_findings *out)
{
    if (c->state != MXD_CONV_DONE)
        return;
    static const char *const rcpt_ids[] = { "rcpt.accepted", "rcpt.rejected", "rcpt.tempfail",
                                            "rcpt.failed", "rcpt.skipped" };
    static const char *const send_ids[] = { "send.accepted", "send.rejected", "send.tempfail",
                                            "send.failed", "send.skipped" };
    static const mxd_severity sev[] = { MXD_SEV_PASS, MXD_SEV_FAIL, MXD_SEV_WARN, MXD_SEV_WARN,
                                        MXD_SEV_SKIP };
    unsigned o = (unsigned)c->outcome;
    if (o > MXD_CONV_NOT_TRIED)
        return;
    mxd_finding *f = mxd_findings_add(out, STEP, send ? send_ids[o] : rcpt_ids[o], sev[o], c->rcpt);
    if (send) {
        mxd_finding_param(f, "from", c->mail_from);
        mxd_finding_param(f, "to", c->rcpt);
        mxd_finding_param(f, "id", c->id[0] ? c->id : "-");
    } else {
        mxd_finding_param(f, "rcpt", c->rcpt);
    }
    char bid[48];
    switch (c->outcome) {
    case MXD_CONV_ACCEPTED:
        reply_params(f, c);
        break;
    case MXD_CONV_REJECTED:
    case MXD_CONV_TEMPFAIL:
        reply_params(f, c);
        mxd_finding_param(f, "stage", mxd_conv_stage_name(c->stage));
        bounce_id(c, bid, sizeof bid);
        mxd_finding_param(f, "bounce", bid[0] ? bid : "-");
        break;
    case MXD_CONV_FAILED:
        mxd_finding_param(f, "host", c->host);
        mxd_finding_param(f, "address", c->address);
        mxd_finding_param(f, "stage", mxd_conv_stage_name(c->stage));
        mxd_finding_param(f, "reason", c->reason);
        /* A refusal before the step that matters: show it; else what broke. */
        if (c->code)
            mxd_finding_paramf(f, "detail", "%d %s", c->code, c->text);
        else
            mxd_finding_param(f, "detail", c->error[0] ? c->error : "-");
        break;
    case MXD_CONV_NOT_TRIED:
        mxd_finding_param(f, "reason", c->reason);
        break;
    }
}

void mxd_check_delivery(const mxd_result *r, const mxd_delivery_result *d, mxd_findings *out)
{
    if (d && !d->started)
        d = NULL; /* the run could not start: only the path can be said */
    net_view nv;
    network_view(r, d, &nv);
    check_path(r, &nv, out);
    check_network(r, d, &nv, out);
    if (d) {
        conv_finding(&d->rcpt, false, out);
        conv_finding(&d->send, true, out);
    }
}
