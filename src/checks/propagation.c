/* propagation.c — the rules of step "propagation" (see propagation.h).
 *
 * The authoritative servers are the reference: what they publish now is what
 * every cache will hold once its copy expires. So:
 *   - servers that answered with authority are compared with each other (MX
 *     set, SOA serial); the others are reported one by one (lame, unreachable);
 *   - each resolver's answer is compared with the authoritative answer(s): one
 *     that matches none is an old copy (stale, or negative caching when it says
 *     "no MX" for records that now exist), shown with the moment it expires;
 *   - resolvers are compared with each other only where no authoritative answer
 *     explains them.
 * Severity follows what senders experience: servers that disagree on the MX
 * send part of the mail elsewhere (fail); a lame or silent server among working
 * ones costs time (warn), every server failing is a broken zone (fail) — unless
 * resolvers still get answers, when our own network may be blocking port 53
 * (warn); an old cached answer heals by itself when it expires (warn).
 *
 * Pure, with one allowance: expiry times are shown in local time, so the output
 * depends on TZ (localtime_r). The clock itself is never read: the probe stored
 * the absolute times when the answers arrived.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mxd/checks.h"
#include "mxd/propagation.h"
#include "mxd/strbuf.h"

#define STEP "propagation"

/* "1h 30m", "5m", "45s", "2d 3h": the largest unit, and the next one when it
 * is not zero (3601 s is "1h"; the seconds no longer matter). */
static void duration(uint32_t s, char *out, size_t cap)
{
    static const struct { uint32_t secs; char unit; } u[] = {
        { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' },
    };
    size_t i = 0;
    while (i < 3 && s / u[i].secs == 0)
        i++;
    uint32_t big = s / u[i].secs, rest = i < 3 ? (s % u[i].secs) / u[i + 1].secs : 0;
    if (rest)
        snprintf(out, cap, "%u%c %u%c", (unsigned)big, u[i].unit, (unsigned)rest, u[i + 1].unit);
    else
        snprintf(out, cap, "%u%c", (unsigned)big, u[i].unit);
}

/* Local time of t, e.g. "2026-11-27 19:30:05 JST"; "-" when unknown. */
static void local_time(time_t t, char *out, size_t cap)
{
    struct tm tm;
    if (t == 0 || !localtime_r(&t, &tm) || strftime(out, cap, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
        snprintf(out, cap, "-");
}

static void server_label(const mxd_prop_server *s, mxd_sb *sb)
{
    if (s->addr.family)
        mxd_sb_printf(sb, "%s (%s)", s->name, s->addr.text);
    else
        mxd_sb_puts(sb, s->name);
}

static void resolver_label(const mxd_prop_resolver *r, mxd_sb *sb)
{
    if (r->label[0])
        mxd_sb_printf(sb, "%s (%s)", r->server, r->label);
    else
        mxd_sb_puts(sb, r->server);
}

static void answer_param(mxd_finding *f, const char *key, const mxd_mxanswer *a)
{
    mxd_sb sb = MXD_SB_INIT;
    mxd_mxanswer_format(a, &sb);
    mxd_finding_param(f, key, mxd_sb_str(&sb));
    mxd_sb_free(&sb);
}

/* The servers that answered with authority, grouped by the answer they gave. */
typedef struct groups {
    size_t first[64]; /* index of the first server giving each distinct answer */
    size_t n;
    size_t nok;       /* servers that answered with authority */
} groups;

static void group_servers(const mxd_propagation *d, groups *g)
{
    memset(g, 0, sizeof *g);
    for (size_t i = 0; i < d->nservers; i++) {
        const mxd_prop_server *s = &d->servers[i];
        if (s->state != MXD_AUTHSRV_OK || !mxd_mxanswer_usable(&s->mx))
            continue;
        g->nok++;
        bool known = false;
        for (size_t k = 0; k < g->n && !known; k++)
            known = mxd_mxanswer_same(&d->servers[g->first[k]].mx, &s->mx);
        if (!known && g->n < sizeof g->first / sizeof g->first[0])
            g->first[g->n++] = i;
    }
}

static bool matches_auth(const mxd_propagation *d, const groups *g, const mxd_mxanswer *a)
{
    for (size_t k = 0; k < g->n; k++)
        if (mxd_mxanswer_same(&d->servers[g->first[k]].mx, a))
            return true;
    return false;
}

static void check_auth(const mxd_propagation *d, const char *domain, const groups *g,
                       mxd_findings *out)
{
    mxd_finding *f;
    bool resolved = false; /* some resolver answered for the domain */
    for (size_t i = 0; i < d->nresolvers; i++)
        resolved = resolved || (!d->resolvers[i].skipped && mxd_mxanswer_usable(&d->resolvers[i].mx));
    bool serials_differ = false;
    const mxd_prop_server *first_soa = NULL;
    for (size_t i = 0; i < d->nservers; i++) {
        const mxd_prop_server *s = &d->servers[i];
        if (s->state != MXD_AUTHSRV_OK || !s->has_soa)
            continue;
        if (!first_soa)
            first_soa = s;
        else if (s->serial != first_soa->serial)
            serials_differ = true;
    }

    if (g->n > 1) {
        mxd_sb sets = MXD_SB_INIT;
        for (size_t k = 0; k < g->n; k++) {
            const mxd_mxanswer *a = &d->servers[g->first[k]].mx;
            bool first = true;
            if (k)
                mxd_sb_puts(&sets, "; ");
            for (size_t i = 0; i < d->nservers; i++) {
                const mxd_prop_server *s = &d->servers[i];
                if (s->state != MXD_AUTHSRV_OK || !mxd_mxanswer_same(&s->mx, a))
                    continue;
                if (!first)
                    mxd_sb_puts(&sets, ", ");
                server_label(s, &sets);
                first = false;
            }
            mxd_sb_puts(&sets, ": ");
            mxd_mxanswer_format(a, &sets);
        }
        f = mxd_findings_add(out, STEP, "auth.mismatch", MXD_SEV_FAIL, d->domain);
        mxd_finding_param(f, "domain", domain);
        mxd_finding_param(f, "zone", d->zone);
        mxd_finding_paramf(f, "count", "%zu", g->n);
        mxd_finding_param(f, "sets", mxd_sb_str(&sets));
        mxd_sb_free(&sets);
    }

    if (serials_differ) {
        /* The newest serial is the one no other serial is greater than (RFC 1982);
         * with serials exactly 2^31 apart there may be none. */
        const mxd_prop_server *newest = NULL;
        mxd_sb list = MXD_SB_INIT;
        for (size_t i = 0; i < d->nservers; i++) {
            const mxd_prop_server *s = &d->servers[i];
            if (s->state != MXD_AUTHSRV_OK || !s->has_soa)
                continue;
            if (list.len)
                mxd_sb_puts(&list, ", ");
            server_label(s, &list);
            mxd_sb_printf(&list, " %u", s->serial);
            bool top = true;
            for (size_t k = 0; k < d->nservers && top; k++) {
                const mxd_prop_server *o = &d->servers[k];
                if (o->state == MXD_AUTHSRV_OK && o->has_soa &&
                    mxd_serial_compare(s->serial, o->serial) != MXD_SERIAL_EQUAL &&
                    mxd_serial_compare(s->serial, o->serial) != MXD_SERIAL_GREATER)
                    top = false;
            }
            if (top && !newest)
                newest = s;
        }
        f = mxd_findings_add(out, STEP, "auth.serial_mismatch", MXD_SEV_WARN, d->zone);
        mxd_finding_param(f, "zone", d->zone);
        mxd_finding_param(f, "serials", mxd_sb_str(&list));
        mxd_sb_clear(&list);
        if (newest) {
            server_label(newest, &list);
            mxd_finding_param(f, "newest", mxd_sb_str(&list));
            mxd_finding_paramf(f, "serial", "%u", newest->serial);
        } else {
            mxd_finding_param(f, "newest", "-");
            mxd_finding_param(f, "serial", "-");
        }
        mxd_sb_free(&list);
    }

    if (g->n == 1 && !serials_differ) {
        const mxd_mxanswer *a = &d->servers[g->first[0]].mx;
        f = mxd_findings_add(out, STEP, "auth.consistent", MXD_SEV_PASS, d->domain);
        mxd_finding_param(f, "domain", domain);
        mxd_finding_param(f, "zone", d->zone);
        mxd_finding_paramf(f, "count", "%zu", g->nok);
        answer_param(f, "hosts", a);
        if (first_soa)
            mxd_finding_paramf(f, "serial", "%u", first_soa->serial);
        else
            mxd_finding_param(f, "serial", "-");
    }

    for (size_t i = 0; i < d->nservers; i++) {
        const mxd_prop_server *s = &d->servers[i];
        const char *id = s->state == MXD_AUTHSRV_LAME ? "auth.lame"
                         : s->state == MXD_AUTHSRV_TIMEOUT || s->state == MXD_AUTHSRV_ERROR ||
                                   s->state == MXD_AUTHSRV_NO_ADDRESS
                             ? "auth.unreachable"
                             : NULL;
        if (!id)
            continue;
        /* While another server answers, resolvers move on to it after a delay.
         * When none answers us but a resolver still gets answers, our own
         * network may be what blocks direct DNS queries (port 53): not a verdict
         * on the domain. A lame answer did arrive, so it is no network problem. */
        bool lame = s->state == MXD_AUTHSRV_LAME;
        mxd_severity sev = g->nok || (!lame && resolved) ? MXD_SEV_WARN : MXD_SEV_FAIL;
        f = mxd_findings_add(out, STEP, id, sev, s->name);
        mxd_finding_param(f, "server", s->name);
        mxd_finding_param(f, "address", s->addr.family ? s->addr.text : "-");
        mxd_finding_param(f, "zone", d->zone);
        mxd_finding_param(f, "reason", s->reason[0] ? s->reason : "-");
    }

    if (g->n == 1 && d->servers[g->first[0]].mx.state == MXD_Q_OK) {
        const mxd_mxanswer *a = &d->servers[g->first[0]].mx;
        char dur[32];
        duration(a->ttl, dur, sizeof dur);
        f = mxd_findings_add(out, STEP, "cache.ttl", MXD_SEV_INFO, d->domain);
        mxd_finding_param(f, "domain", domain);
        mxd_finding_paramf(f, "ttl", "%u", a->ttl);
        mxd_finding_param(f, "duration", dur);
    }
}

/* RFC 2308 §5: a negative answer is cached for min(SOA MINIMUM, the SOA's TTL). */
static const mxd_prop_server *soa_source(const mxd_propagation *d)
{
    for (size_t i = 0; i < d->nservers; i++)
        if (d->servers[i].state == MXD_AUTHSRV_OK && d->servers[i].has_soa)
            return &d->servers[i];
    return NULL;
}

static const mxd_mxanswer *positive_auth(const mxd_propagation *d, const groups *g)
{
    for (size_t k = 0; k < g->n; k++)
        if (d->servers[g->first[k]].mx.state == MXD_Q_OK)
            return &d->servers[g->first[k]].mx;
    return NULL;
}

static void check_resolvers(const mxd_propagation *d, const char *domain, const groups *g,
                            mxd_findings *out)
{
    const mxd_mxanswer *now = positive_auth(d, g);
    for (size_t i = 0; g->nok && i < d->nresolvers; i++) {
        const mxd_prop_resolver *r = &d->resolvers[i];
        if (r->skipped || !mxd_mxanswer_usable(&r->mx) || matches_auth(d, g, &r->mx))
            continue;
        mxd_sb name = MXD_SB_INIT;
        resolver_label(r, &name);
        char when[64], dur[32];
        mxd_finding *f;
        if (r->mx.state != MXD_Q_OK && now) {
            const mxd_prop_server *soa = soa_source(d);
            uint32_t neg = 0;
            f = mxd_findings_add(out, STEP, "cache.negative", MXD_SEV_WARN, mxd_sb_str(&name));
            mxd_finding_param(f, "resolver", mxd_sb_str(&name));
            mxd_finding_param(f, "domain", domain);
            answer_param(f, "hosts", now);
            if (soa) {
                neg = soa->soa_minimum < soa->soa_ttl ? soa->soa_minimum : soa->soa_ttl;
                mxd_finding_paramf(f, "neg_ttl", "%u", neg);
                mxd_finding_paramf(f, "soa_minimum", "%u", soa->soa_minimum);
                mxd_finding_paramf(f, "soa_ttl", "%u", soa->soa_ttl);
            } else {
                mxd_finding_param(f, "neg_ttl", "-");
                mxd_finding_param(f, "soa_minimum", "-");
                mxd_finding_param(f, "soa_ttl", "-");
            }
            /* Without an SOA in its answer the resolver did not say how long it
             * keeps it: the zone's negative TTL is the longest it may. */
            uint32_t left = r->mx.ttl_known ? r->mx.ttl : neg;
            time_t end = r->expires_at ? r->expires_at
                         : r->answered_at && soa ? r->answered_at + (time_t)neg : 0;
            duration(left, dur, sizeof dur);
            local_time(end, when, sizeof when);
            mxd_finding_paramf(f, "ttl", "%u", left);
            mxd_finding_param(f, "duration", dur);
            mxd_finding_param(f, "expires", when);
        } else {
            f = mxd_findings_add(out, STEP, "cache.stale", MXD_SEV_WARN, mxd_sb_str(&name));
            mxd_finding_param(f, "resolver", mxd_sb_str(&name));
            mxd_finding_param(f, "domain", domain);
            answer_param(f, "hosts", &r->mx);
            if (g->n == 1)
                answer_param(f, "auth_hosts", &d->servers[g->first[0]].mx);
            else
                mxd_finding_param(f, "auth_hosts", "-");
            duration(r->mx.ttl, dur, sizeof dur);
            local_time(r->expires_at, when, sizeof when);
            mxd_finding_paramf(f, "ttl", "%u", r->mx.ttl);
            mxd_finding_param(f, "duration", dur);
            mxd_finding_param(f, "expires", when);
        }
        mxd_sb_free(&name);
    }

    /* Resolvers that disagree among themselves, where no authoritative answer
     * explains either side (none came, or both differ from it). */
    size_t distinct[MXD_PROP_MAX_RESOLVERS];
    size_t nd = 0;
    for (size_t i = 0; i < d->nresolvers; i++) {
        const mxd_prop_resolver *r = &d->resolvers[i];
        if (r->skipped || !mxd_mxanswer_usable(&r->mx) || matches_auth(d, g, &r->mx))
            continue;
        bool known = false;
        for (size_t k = 0; k < nd && !known; k++)
            known = mxd_mxanswer_same(&d->resolvers[distinct[k]].mx, &r->mx);
        if (!known && nd < MXD_PROP_MAX_RESOLVERS)
            distinct[nd++] = i;
    }
    if (nd < 2)
        return;
    mxd_sb list = MXD_SB_INIT;
    for (size_t i = 0; i < d->nresolvers; i++) {
        const mxd_prop_resolver *r = &d->resolvers[i];
        if (r->skipped || !mxd_mxanswer_usable(&r->mx) || matches_auth(d, g, &r->mx))
            continue;
        if (list.len)
            mxd_sb_puts(&list, "; ");
        resolver_label(r, &list);
        mxd_sb_puts(&list, ": ");
        mxd_mxanswer_format(&r->mx, &list);
    }
    mxd_finding *f = mxd_findings_add(out, STEP, "resolver.disagree", MXD_SEV_WARN, d->domain);
    mxd_finding_param(f, "domain", domain);
    mxd_finding_paramf(f, "count", "%zu", nd);
    mxd_finding_param(f, "answers", mxd_sb_str(&list));
    mxd_sb_free(&list);
}

void mxd_check_propagation_data(const mxd_propagation *d, const char *domain, mxd_findings *out)
{
    if (!d || (d->phase != MXD_PROP_DONE && d->phase != MXD_PROP_CANCELLED))
        return;
    if (!domain || !*domain)
        domain = d->domain;
    if ((d->zone_state == MXD_ZONE_FAILED || d->zone_state == MXD_ZONE_NO_NS) && !d->nservers) {
        /* Say that the step could not look, rather than show an empty PASS. */
        mxd_finding *f = mxd_findings_add(out, "propagation", "auth.zone_unknown", MXD_SEV_SKIP,
                                          domain);
        mxd_finding_param(f, "domain", domain);
        mxd_finding_param(f, "error", d->zone_error[0] ? d->zone_error : "-");
    }
    groups g;
    group_servers(d, &g);
    check_auth(d, domain, &g, out);
    check_resolvers(d, domain, &g, out);
}

void mxd_check_propagation(const mxd_result *r, mxd_findings *out)
{
    mxd_check_propagation_data(r->propagation, r->domain, out);
}
