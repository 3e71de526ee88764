/* checks.c — the rules of steps mx, target and smtp (see checks.h).
 *
 * Pure: reads only the mxd_result. Severity follows what a sending server would
 * do: a broken backup while another MX works delays nothing (warn); the same
 * failure on every MX means mail cannot be delivered (fail); a lookup that
 * failed says nothing about the domain (error: could not diagnose).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "mxd/checks.h"
#include "mxd/delivery.h"
#include "mxd/policy.h"
#include "mxd/strbuf.h"

static bool q_failed(mxd_qstate s)
{
    return s == MXD_Q_SERVFAIL || s == MXD_Q_REFUSED || s == MXD_Q_TIMEOUT || s == MXD_Q_ERROR;
}

static const char *first_resolver(const mxd_result *r)
{
    return r->nresolvers ? r->resolvers[0] : "system";
}

static void dns_error(const mxd_result *r, mxd_findings *out, const mxd_query *q, const char *type)
{
    mxd_finding *f = mxd_findings_add(out, "mx", "dns.error", MXD_SEV_ERROR, r->domain_ascii);
    mxd_finding_param(f, "domain", r->domain);
    mxd_finding_param(f, "name", q->name);
    mxd_finding_param(f, "type", type);
    mxd_finding_param(f, "error", mxd_qstate_name(q->state));
    mxd_finding_param(f, "resolver", first_resolver(r));
}

/* "10 mx1.example.jp, 20 mx2.example.jp" over real (non-null, first-listed) targets. */
static void host_list(const mxd_result *r, mxd_sb *sb, int only_pref)
{
    for (size_t i = 0; i < r->ntargets; i++) {
        const mxd_target *t = &r->targets[i];
        if (t->implicit || (only_pref >= 0 && t->pref != only_pref))
            continue;
        if (sb->len)
            mxd_sb_puts(sb, ", ");
        if (only_pref < 0)
            mxd_sb_printf(sb, "%u ", t->pref);
        mxd_sb_puts(sb, t->null_mx ? "." : t->host);
    }
}

static void addr_list(const mxd_target *t, mxd_sb *sb)
{
    for (size_t i = 0; i < t->naddrs; i++) {
        if (i)
            mxd_sb_puts(sb, ", ");
        mxd_sb_puts(sb, t->addrs[i].text);
    }
}

void mxd_check_mx(const mxd_result *r, mxd_findings *out)
{
    const char *d = r->domain_ascii;
    mxd_finding *f;
    mxd_sb sb = MXD_SB_INIT;
    switch (r->mx.state) {
    case MXD_Q_NOT_SENT:
    case MXD_Q_PENDING:
        return;
    case MXD_Q_NXDOMAIN:
        f = mxd_findings_add(out, "mx", "mx.nxdomain", MXD_SEV_FAIL, d);
        mxd_finding_param(f, "domain", r->domain);
        return;
    case MXD_Q_NODATA:
        if (r->ntargets && r->targets[0].implicit) {
            f = mxd_findings_add(out, "mx", "mx.none_implicit", MXD_SEV_WARN, d);
            mxd_finding_param(f, "domain", r->domain);
            addr_list(&r->targets[0], &sb);
            mxd_finding_param(f, "addresses", mxd_sb_str(&sb));
        } else if (q_failed(r->a.state) || q_failed(r->aaaa.state)) {
            dns_error(r, out, q_failed(r->a.state) ? &r->a : &r->aaaa,
                      q_failed(r->a.state) ? "A" : "AAAA");
        } else if (r->a.state != MXD_Q_PENDING && r->aaaa.state != MXD_Q_PENDING) {
            f = mxd_findings_add(out, "mx", "mx.none_no_address", MXD_SEV_FAIL, d);
            mxd_finding_param(f, "domain", r->domain);
        }
        break;
    case MXD_Q_OK: {
        size_t nulls = 0, real = 0;
        uint32_t ttl = UINT32_MAX;
        for (size_t i = 0; i < r->ntargets; i++) {
            nulls += r->targets[i].null_mx;
            real += !r->targets[i].null_mx && r->targets[i].duplicate_of < 0;
            if (r->targets[i].ttl < ttl)
                ttl = r->targets[i].ttl;
        }
        host_list(r, &sb, -1);
        if (nulls) {
            f = mxd_findings_add(out, "mx", nulls == r->ntargets ? "mx.null" : "mx.null_mixed",
                                 MXD_SEV_FAIL, d);
            mxd_finding_param(f, "domain", r->domain);
            if (nulls != r->ntargets)
                mxd_finding_param(f, "hosts", mxd_sb_str(&sb));
            break;
        }
        f = mxd_findings_add(out, "mx", "mx.found", MXD_SEV_PASS, d);
        mxd_finding_param(f, "domain", r->domain);
        mxd_finding_paramf(f, "count", "%zu", r->ntargets);
        mxd_finding_param(f, "hosts", mxd_sb_str(&sb));
        mxd_finding_paramf(f, "ttl", "%u", ttl == UINT32_MAX ? 0u : ttl);
        if (real == 1) {
            f = mxd_findings_add(out, "mx", "mx.single", MXD_SEV_INFO, r->targets[0].host);
            mxd_finding_param(f, "domain", r->domain);
            mxd_finding_param(f, "host", r->targets[0].host);
        }
        for (size_t i = 0; i < r->ntargets; i++) {
            const mxd_target *t = &r->targets[i];
            bool first_of_pref = i == 0 || r->targets[i - 1].pref != t->pref;
            bool tied = i + 1 < r->ntargets && r->targets[i + 1].pref == t->pref;
            if (!first_of_pref || !tied)
                continue;
            mxd_sb hs = MXD_SB_INIT;
            host_list(r, &hs, t->pref);
            f = mxd_findings_add(out, "mx", "mx.equal_preference", MXD_SEV_INFO, d);
            mxd_finding_paramf(f, "pref", "%u", t->pref);
            mxd_finding_param(f, "hosts", mxd_sb_str(&hs));
            mxd_sb_free(&hs);
        }
        break;
    }
    default:
        dns_error(r, out, &r->mx, "MX");
        break;
    }
    mxd_sb_free(&sb);
}

static bool addr_allowed(const mxd_result *r, const mxd_addr *a)
{
    if (!mxd_addr_is_private(a) || r->opts.allow_private)
        return true;
    return r->opts.allow_loopback && mxd_addr_is_loopback(a);
}

void mxd_check_targets(const mxd_result *r, mxd_findings *out)
{
    for (size_t i = 0; i < r->ntargets; i++) {
        const mxd_target *t = &r->targets[i];
        mxd_finding *f;
        if (t->null_mx)
            continue;
        if (t->duplicate_of >= 0) {
            mxd_sb prefs = MXD_SB_INIT;
            for (size_t j = 0; j < r->ntargets; j++)
                if (strcasecmp(r->targets[j].host, t->host) == 0)
                    mxd_sb_printf(&prefs, "%s%u", prefs.len ? ", " : "", r->targets[j].pref);
            if (!mxd_findings_find(out, "target.duplicate", t->host)) {
                f = mxd_findings_add(out, "target", "target.duplicate", MXD_SEV_INFO, t->host);
                mxd_finding_param(f, "host", t->host);
                mxd_finding_param(f, "prefs", mxd_sb_str(&prefs));
            }
            mxd_sb_free(&prefs);
            continue;
        }
        if (t->ip_literal) {
            f = mxd_findings_add(out, "target", "target.ip_literal", MXD_SEV_FAIL, t->host);
            mxd_finding_param(f, "host", t->host);
            continue;
        }
        if (!t->implicit) {
            if (t->a.state == MXD_Q_PENDING || t->aaaa.state == MXD_Q_PENDING) {
                if (!t->naddrs)
                    continue; /* still waiting; addresses that arrived are judged below */
            } else if (t->a.state != MXD_Q_OK && t->aaaa.state != MXD_Q_OK) {
                if (q_failed(t->a.state) || q_failed(t->aaaa.state)) {
                    f = mxd_findings_add(out, "target", "target.dns_error", MXD_SEV_ERROR, t->host);
                    mxd_finding_param(f, "host", t->host);
                    mxd_finding_param(f, "error", mxd_qstate_name(q_failed(t->a.state)
                                                                      ? t->a.state : t->aaaa.state));
                } else {
                    f = mxd_findings_add(out, "target", "target.no_address", MXD_SEV_FAIL, t->host);
                    mxd_finding_param(f, "host", t->host);
                    mxd_finding_param(f, "reason", t->a.state == MXD_Q_NXDOMAIN ? "nxdomain"
                                                                                 : "nodata");
                }
                continue;
            }
            if (t->cname[0]) {
                f = mxd_findings_add(out, "target", "target.cname", MXD_SEV_WARN, t->host);
                mxd_finding_param(f, "host", t->host);
                mxd_finding_param(f, "cname", t->cname);
            }
        }
        bool all_ok = t->naddrs > 0;
        for (size_t j = 0; j < t->naddrs; j++) {
            if (addr_allowed(r, &t->addrs[j]))
                continue;
            all_ok = false;
            f = mxd_findings_add(out, "target", "target.private", MXD_SEV_FAIL, t->host);
            mxd_finding_param(f, "host", t->host);
            mxd_finding_param(f, "address", t->addrs[j].text);
        }
        if (all_ok) {
            mxd_sb sb = MXD_SB_INIT;
            addr_list(t, &sb);
            f = mxd_findings_add(out, "target", "target.ok", MXD_SEV_PASS, t->host);
            mxd_finding_param(f, "host", t->host);
            mxd_finding_param(f, "addresses", mxd_sb_str(&sb));
            mxd_sb_free(&sb);
        }
    }
}

/* A server a sender could hand mail to: it greeted with 2xx and kept talking
 * (a failed TLS handshake still leaves plain delivery, which senders fall back to). */
static bool smtp_works(const mxd_smtp *s)
{
    return s->state == MXD_SMTP_DONE && s->greeting_code / 100 == 2 &&
           (s->end == MXD_SMTP_END_OK || s->end == MXD_SMTP_END_TLS_FAILED);
}

/* An IPv6 address this machine has no route to says nothing about the server. */
static bool no_local_route(const mxd_addr *a, const mxd_smtp *s)
{
    return a->family == AF_INET6 && s->state == MXD_SMTP_DONE && s->end == MXD_SMTP_END_UNREACHABLE;
}

static void smtp_base(mxd_finding *f, const mxd_target *t, const mxd_addr *a)
{
    mxd_finding_param(f, "host", t->host);
    mxd_finding_param(f, "address", a->text);
}

static void smtp_failure(const mxd_result *r, mxd_findings *out, const mxd_target *t,
                         const mxd_addr *a, const mxd_smtp *s, mxd_severity sev)
{
    const char *id = NULL, *stage = NULL;
    switch (s->end) {
    case MXD_SMTP_END_REFUSED: id = "smtp.refused"; break;
    case MXD_SMTP_END_UNREACHABLE: id = "smtp.unreachable"; break;
    case MXD_SMTP_END_CONNECT_TIMEOUT: id = "smtp.timeout"; stage = "connect"; break;
    case MXD_SMTP_END_GREETING_TIMEOUT: id = "smtp.timeout"; stage = "greeting"; break;
    case MXD_SMTP_END_REPLY_TIMEOUT: id = "smtp.timeout"; stage = "reply"; break;
    case MXD_SMTP_END_CLOSED: id = "smtp.closed"; break;
    case MXD_SMTP_END_PROTOCOL: id = "smtp.protocol_error"; break;
    case MXD_SMTP_END_GREETING_REJECT: id = "smtp.greeting_reject"; break;
    case MXD_SMTP_END_GREETING_TEMPFAIL: id = "smtp.greeting_tempfail"; break;
    case MXD_SMTP_END_TLS_FAILED: id = "smtp.tls_failed"; break;
    case MXD_SMTP_END_OK: id = "smtp.closed"; stage = "ehlo"; break;
    }
    if (no_local_route(a, s))
        sev = MXD_SEV_INFO;
    mxd_finding *f = mxd_findings_add(out, "smtp", id, sev, t->host);
    smtp_base(f, t, a);
    if (s->end == MXD_SMTP_END_REFUSED || stage)
        mxd_finding_paramf(f, "port", "%u", r->opts.smtp_port ? r->opts.smtp_port : 25);
    if (s->end == MXD_SMTP_END_CONNECT_TIMEOUT || s->end == MXD_SMTP_END_GREETING_TIMEOUT ||
        s->end == MXD_SMTP_END_REPLY_TIMEOUT)
        mxd_finding_paramf(f, "seconds", "%d", r->opts.timeout_s);
    if (stage)
        mxd_finding_param(f, "stage", stage);
    if (s->end == MXD_SMTP_END_GREETING_REJECT || s->end == MXD_SMTP_END_GREETING_TEMPFAIL) {
        mxd_finding_paramf(f, "code", "%d", s->greeting_code);
        mxd_finding_param(f, "text", s->greeting);
    }
    if (s->end == MXD_SMTP_END_CLOSED && !stage)
        mxd_finding_param(f, "stage", s->greeting_code ? "reply" : "greeting");
    if (s->error[0])
        mxd_finding_param(f, "error", s->error);
}

static void smtp_quality(const mxd_result *r, mxd_findings *out, const mxd_target *t,
                         const mxd_addr *a, const mxd_smtp *s)
{
    (void)r;
    mxd_finding *f;
    size_t before = out->n;
    if (s->end == MXD_SMTP_END_TLS_FAILED) {
        f = mxd_findings_add(out, "smtp", "smtp.tls_failed", MXD_SEV_WARN, t->host);
        smtp_base(f, t, a);
        mxd_finding_param(f, "error", s->error);
    } else if (!s->starttls_offered) {
        f = mxd_findings_add(out, "smtp", "smtp.no_starttls", MXD_SEV_WARN, t->host);
        smtp_base(f, t, a);
    }
    if (s->injected_bytes) {
        f = mxd_findings_add(out, "smtp", "smtp.starttls_injection", MXD_SEV_WARN, t->host);
        smtp_base(f, t, a);
        mxd_finding_paramf(f, "bytes", "%zu", s->injected_bytes);
    }
    if (s->tls_ok && s->cert.present) {
        if (!s->cert.trusted) {
            f = mxd_findings_add(out, "smtp", "smtp.cert_untrusted", MXD_SEV_WARN, t->host);
            smtp_base(f, t, a);
            mxd_finding_param(f, "error", s->cert.verify_text);
            mxd_finding_param(f, "issuer", s->cert.issuer);
        }
        if (!s->cert.name_matches) {
            f = mxd_findings_add(out, "smtp", "smtp.cert_name_mismatch", MXD_SEV_WARN, t->host);
            smtp_base(f, t, a);
            mxd_finding_param(f, "names", s->cert.names);
        }
        if (s->cert.expired) {
            char when[32] = "";
            struct tm tm;
            if (gmtime_r(&s->cert.not_after, &tm))
                strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
            f = mxd_findings_add(out, "smtp", "smtp.cert_expired", MXD_SEV_WARN, t->host);
            smtp_base(f, t, a);
            mxd_finding_param(f, "not_after", when);
        }
    }
    if (out->n == before) {
        f = mxd_findings_add(out, "smtp", "smtp.ok", MXD_SEV_PASS, t->host);
        smtp_base(f, t, a);
        mxd_finding_paramf(f, "greeting", "%d %s", s->greeting_code, s->greeting);
        mxd_finding_param(f, "tls_version", s->tls_ok ? s->tls_version : "-");
    }
}

void mxd_check_smtp(const mxd_result *r, mxd_findings *out)
{
    mxd_finding *f;
    if (r->opts.no_smtp) {
        if (r->ntargets) {
            f = mxd_findings_add(out, "smtp", "smtp.skipped", MXD_SEV_SKIP, r->domain_ascii);
            mxd_finding_param(f, "host", r->domain_ascii);
            mxd_finding_param(f, "address", "-");
            mxd_finding_param(f, "reason", "no_smtp");
        }
        return;
    }
    bool any_ok = false, any_done = false, all_connect_timeout = true, running = false;
    const mxd_target *first_working = NULL, *primary = NULL;
    for (size_t i = 0; i < r->ntargets; i++) {
        const mxd_target *t = &r->targets[i];
        for (size_t j = 0; j < t->naddrs; j++) {
            const mxd_smtp *s = &t->smtp[j];
            if (s->state == MXD_SMTP_RUNNING)
                running = true;
            if (s->state != MXD_SMTP_DONE || no_local_route(&t->addrs[j], s))
                continue;
            if (!primary)
                primary = t;
            any_done = true;
            if (s->end != MXD_SMTP_END_CONNECT_TIMEOUT)
                all_connect_timeout = false;
            if (smtp_works(s)) {
                any_ok = true;
                if (!first_working)
                    first_working = t;
            }
        }
    }
    /* A failed server is a warning while another MX takes the mail, a failure when none does;
     * connect timeouts everywhere more likely mean this network blocks port 25. */
    mxd_severity down_sev = any_ok ? MXD_SEV_WARN
                            : (any_done && all_connect_timeout) ? MXD_SEV_WARN : MXD_SEV_FAIL;
    for (size_t i = 0; i < r->ntargets; i++) {
        const mxd_target *t = &r->targets[i];
        for (size_t j = 0; j < t->naddrs; j++) {
            const mxd_smtp *s = &t->smtp[j];
            const mxd_addr *a = &t->addrs[j];
            if (s->state == MXD_SMTP_SKIPPED) {
                f = mxd_findings_add(out, "smtp", "smtp.skipped", MXD_SEV_SKIP, t->host);
                smtp_base(f, t, a);
                mxd_finding_param(f, "reason", s->error);
            } else if (s->state == MXD_SMTP_DONE) {
                if (smtp_works(s))
                    smtp_quality(r, out, t, a, s);
                else
                    smtp_failure(r, out, t, a, s, down_sev);
            }
        }
    }
    if (running || !any_done)
        return;
    if (any_ok && primary && primary != first_working && first_working->pref != primary->pref) {
        f = mxd_findings_add(out, "smtp", "smtp.primary_down", MXD_SEV_WARN, primary->host);
        mxd_finding_param(f, "primary", primary->host);
        mxd_finding_param(f, "backup", first_working->host);
    } else if (!any_ok) {
        size_t n = 0;
        for (size_t i = 0; i < r->ntargets; i++)
            n += r->targets[i].naddrs;
        f = mxd_findings_add(out, "smtp", all_connect_timeout ? "smtp.port25_blocked_suspected"
                                                              : "smtp.all_down",
                             all_connect_timeout ? MXD_SEV_WARN : MXD_SEV_FAIL, r->domain_ascii);
        mxd_finding_param(f, "domain", r->domain);
        mxd_finding_paramf(f, "count", "%zu", n);
        if (all_connect_timeout)
            mxd_finding_paramf(f, "port", "%u", r->opts.smtp_port ? r->opts.smtp_port : 25);
    }
}

void mxd_check_all(const mxd_result *r, mxd_findings *out)
{
    mxd_check_mx(r, out);
    mxd_check_targets(r, out);
    mxd_check_propagation(r, out);
    mxd_check_smtp(r, out);
    mxd_check_policy(r, r->policy, out);
    mxd_check_delivery(r, r->delivery, out);
}

mxd_verdict mxd_verdict_of(const mxd_findings *fs)
{
    switch (mxd_findings_worst(fs, NULL)) {
    case MXD_SEV_ERROR: return MXD_VERDICT_ERROR;
    case MXD_SEV_FAIL: return MXD_VERDICT_FAIL;
    case MXD_SEV_WARN: return MXD_VERDICT_WARN;
    default: return MXD_VERDICT_PASS;
    }
}

const char *mxd_verdict_name(mxd_verdict v)
{
    static const char *const n[] = { "pass", "warn", "fail", "error" };
    return (unsigned)v < 4 ? n[v] : "?";
}

int mxd_verdict_exit(mxd_verdict v)
{
    return v == MXD_VERDICT_PASS ? 0 : v == MXD_VERDICT_WARN ? 1 : v == MXD_VERDICT_FAIL ? 2 : 3;
}
