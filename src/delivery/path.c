/* path.c — the sender's path through a domain's mail servers (see delivery.h).
 *
 * RFC 5321 §5.1: a sender sorts the MX hosts by preference (lowest first),
 * shuffles hosts of equal preference, and tries every address of each host
 * until one takes the message. A connection that fails, a greeting of 4xx or
 * 5xx (Postfix's smtp_skip_5xx_greeting, on by default), or a session that
 * breaks off all make it move on to the next address. When none takes the
 * message it stays queued and is retried for days, then bounced.
 * Pure: reads only the mxd_result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "mxd/delivery.h"
#include "mxd/strbuf.h"

const char *mxd_hop_state_name(mxd_hop_state s)
{
    static const char *const n[] = { "testing",      "accepts",      "refused",      "timeout",
                                     "unreachable",  "no_greeting",  "greeting_4xx", "greeting_5xx",
                                     "broken",       "no_address",   "skipped" };
    return (unsigned)s < sizeof n / sizeof n[0] ? n[s] : "?";
}

const char *mxd_path_end_name(mxd_path_end e)
{
    static const char *const n[] = { "pending",  "none",    "primary", "backup",
                                     "all_fail", "null_mx", "untested" };
    return (unsigned)e < sizeof n / sizeof n[0] ? n[e] : "?";
}

static bool q_failed(mxd_qstate s)
{
    return s == MXD_Q_SERVFAIL || s == MXD_Q_REFUSED || s == MXD_Q_TIMEOUT || s == MXD_Q_ERROR;
}

/* An IPv6 address this machine cannot route to says nothing about the server. */
static bool no_local_route(const mxd_addr *a, const mxd_smtp *s)
{
    return a->family == AF_INET6 && s->state == MXD_SMTP_DONE && s->end == MXD_SMTP_END_UNREACHABLE;
}

static mxd_hop_state hop_state(const mxd_addr *a, const mxd_smtp *s)
{
    switch (s->state) {
    case MXD_SMTP_NOT_RUN:
    case MXD_SMTP_SKIPPED: return MXD_HOP_SKIPPED;
    case MXD_SMTP_RUNNING: return MXD_HOP_PENDING;
    case MXD_SMTP_DONE: break;
    }
    if (no_local_route(a, s))
        return MXD_HOP_SKIPPED;
    switch (s->end) {
    case MXD_SMTP_END_REFUSED: return MXD_HOP_REFUSED;
    case MXD_SMTP_END_UNREACHABLE: return MXD_HOP_UNREACHABLE;
    case MXD_SMTP_END_CONNECT_TIMEOUT: return MXD_HOP_TIMEOUT;
    case MXD_SMTP_END_GREETING_TIMEOUT: return MXD_HOP_NO_GREETING;
    case MXD_SMTP_END_GREETING_REJECT: return MXD_HOP_GREETING_5XX;
    case MXD_SMTP_END_GREETING_TEMPFAIL: return MXD_HOP_GREETING_4XX;
    case MXD_SMTP_END_OK:
    case MXD_SMTP_END_TLS_FAILED:
        /* A failed handshake still leaves plain delivery, which senders fall back to
         * (the same rule as the smtp step's). */
        return s->greeting_code / 100 == 2 ? MXD_HOP_ACCEPTS : MXD_HOP_BROKEN;
    case MXD_SMTP_END_REPLY_TIMEOUT:
    case MXD_SMTP_END_CLOSED:
    case MXD_SMTP_END_PROTOCOL: return MXD_HOP_BROKEN;
    }
    return MXD_HOP_BROKEN;
}

static bool push(mxd_path *p, size_t *cap, const mxd_hop *h)
{
    if (p->nhops == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        mxd_hop *nv = realloc(p->hops, nc * sizeof *nv);
        if (!nv)
            return false;
        p->hops = nv;
        *cap = nc;
    }
    p->hops[p->nhops++] = *h;
    return true;
}

/* The hops of one host: every address, IPv6 first, or one NO_ADDRESS/PENDING hop. */
static bool host_hops(const mxd_result *r, size_t ti, bool tied, mxd_path *p, size_t *cap)
{
    const mxd_target *t = &r->targets[ti];
    mxd_hop h;
    memset(&h, 0, sizeof h);
    h.target = ti;
    h.pref = t->pref;
    h.tied = tied;
    snprintf(h.host, sizeof h.host, "%s", t->host);
    if (t->naddrs == 0) {
        bool pending = t->a.state == MXD_Q_PENDING || t->aaaa.state == MXD_Q_PENDING;
        h.state = pending ? MXD_HOP_PENDING : MXD_HOP_NO_ADDRESS;
        /* With one family failing and the other answering empty, a sender cannot
         * tell either: it retries later rather than giving up on the host. */
        h.dns_error = q_failed(t->a.state) || q_failed(t->aaaa.state);
        return push(p, cap, &h);
    }
    static const int order[2] = { AF_INET6, AF_INET };
    for (int k = 0; k < 2; k++)
        for (size_t j = 0; j < t->naddrs; j++) {
            const mxd_addr *a = &t->addrs[j];
            if (a->family != order[k])
                continue;
            const mxd_smtp *s = &t->smtp[j];
            snprintf(h.address, sizeof h.address, "%s", a->text);
            h.family = a->family;
            h.state = hop_state(a, s);
            h.code = s->state == MXD_SMTP_DONE ? s->greeting_code : 0;
            h.tls = s->tls_ok;
            if (!push(p, cap, &h))
                return false;
        }
    return true;
}

static bool tested(mxd_hop_state s)
{
    return s != MXD_HOP_PENDING && s != MXD_HOP_SKIPPED && s != MXD_HOP_NO_ADDRESS;
}

int mxd_delivery_path(const mxd_result *r, mxd_path *out)
{
    memset(out, 0, sizeof *out);
    out->accepted = -1;
    out->end = MXD_PATH_NONE;
    if (r->mx.state == MXD_Q_PENDING || r->mx.state == MXD_Q_NOT_SENT) {
        out->end = r->mx.state == MXD_Q_PENDING ? MXD_PATH_PENDING : MXD_PATH_NONE;
        return 0;
    }
    if (r->ntargets == 0) {
        /* NODATA may still turn into an implicit MX once A/AAAA are in. */
        bool waiting = r->mx.state == MXD_Q_NODATA &&
                       (r->a.state == MXD_Q_PENDING || r->aaaa.state == MXD_Q_PENDING);
        out->end = waiting ? MXD_PATH_PENDING : MXD_PATH_NONE;
        return 0;
    }
    size_t real = 0;
    for (size_t i = 0; i < r->ntargets; i++)
        real += !r->targets[i].null_mx;
    if (real == 0) {
        out->end = MXD_PATH_NULL_MX;
        return 0;
    }
    size_t cap = 0;
    for (size_t i = 0; i < r->ntargets; i++) {
        const mxd_target *t = &r->targets[i];
        if (t->null_mx || t->duplicate_of >= 0)
            continue;
        bool tied = false;
        for (size_t k = 0; k < r->ntargets && !tied; k++)
            tied = k != i && !r->targets[k].null_mx && r->targets[k].duplicate_of < 0 &&
                   r->targets[k].pref == t->pref;
        if (!host_hops(r, i, tied, out, &cap)) {
            mxd_path_free(out);
            return -1;
        }
    }
    /* The first hop that accepts decides, once every hop before it has an outcome. */
    bool pending_before = false, all_timeout = true;
    for (size_t i = 0; i < out->nhops; i++) {
        const mxd_hop *h = &out->hops[i];
        if (tested(h->state)) {
            out->tested++;
            all_timeout = all_timeout && h->state == MXD_HOP_TIMEOUT;
        }
        if (h->state == MXD_HOP_PENDING)
            pending_before = true;
        if (h->state == MXD_HOP_ACCEPTS && out->accepted < 0 && !pending_before)
            out->accepted = (int)i;
    }
    out->all_connect_timeout = out->tested > 0 && all_timeout;
    if (out->accepted >= 0)
        out->end = out->hops[out->accepted].pref == out->hops[0].pref ? MXD_PATH_PRIMARY
                                                                       : MXD_PATH_BACKUP;
    else if (pending_before)
        out->end = MXD_PATH_PENDING;
    else if (out->tested == 0) {
        /* Hosts without any address fail for every sender; otherwise nothing was
         * tried from here and nothing can be said. */
        bool all_no_address = true;
        for (size_t i = 0; i < out->nhops; i++)
            all_no_address = all_no_address && out->hops[i].state == MXD_HOP_NO_ADDRESS;
        out->end = all_no_address ? MXD_PATH_ALL_FAIL : MXD_PATH_UNTESTED;
    } else {
        out->end = MXD_PATH_ALL_FAIL;
    }
    return 0;
}

void mxd_path_free(mxd_path *p)
{
    if (!p)
        return;
    free(p->hops);
    memset(p, 0, sizeof *p);
    p->accepted = -1;
}

char *mxd_path_text(const mxd_path *p, const char *sep)
{
    mxd_sb sb = MXD_SB_INIT;
    for (size_t i = 0; i < p->nhops; i++) {
        const mxd_hop *h = &p->hops[i];
        if (i)
            mxd_sb_puts(&sb, sep);
        mxd_sb_printf(&sb, "%zu. %u%s %s", i + 1, h->pref, h->tied ? "*" : "", h->host);
        if (h->address[0])
            mxd_sb_printf(&sb, " %s", h->address);
        mxd_sb_printf(&sb, ": %s", h->state == MXD_HOP_NO_ADDRESS && h->dns_error
                                       ? "dns_error"
                                       : mxd_hop_state_name(h->state));
        if (h->code && (h->state == MXD_HOP_ACCEPTS || h->state == MXD_HOP_GREETING_4XX ||
                        h->state == MXD_HOP_GREETING_5XX))
            mxd_sb_printf(&sb, " (%d%s)", h->code, h->tls ? ", TLS" : "");
    }
    return mxd_sb_take(&sb);
}

void mxd_delivery_port25(const mxd_result *r, mxd_port25 *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < r->ntargets; i++) {
        const mxd_target *t = &r->targets[i];
        for (size_t j = 0; j < t->naddrs && t->smtp; j++) {
            const mxd_smtp *s = &t->smtp[j];
            if (s->state != MXD_SMTP_DONE || no_local_route(&t->addrs[j], s))
                continue;
            out->tested++;
            switch (s->end) {
            case MXD_SMTP_END_REFUSED: out->refused++; break;
            case MXD_SMTP_END_CONNECT_TIMEOUT: out->timed_out++; break;
            case MXD_SMTP_END_UNREACHABLE: out->unreachable++; break;
            default: out->connected++; break;
            }
        }
    }
}
