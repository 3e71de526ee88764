/* spf.c — the SPF rules of the policy step (see spf.h, mxd_check_spf_data).
 *
 * Pure: reads only the walk's and check_host's outcomes. An SPF record speaks
 * about mail FROM the domain, so its faults do not stop mail TO the domain;
 * but they decide whether the domain's own mail (replies included) is filed as
 * spam or refused elsewhere, and what a receiver that checks SPF does with
 * forged mail. Severity follows what receivers do: a fault that makes every
 * evaluation a permerror is a failure (receivers may reject or treat the mail
 * as unauthenticated); a record that works but is fragile is a warning.
 */
#include <stdio.h>
#include <string.h>

#include "mxd/dnsclient.h"
#include "mxd/result.h"
#include "mxd/spf.h"
#include "mxd/strbuf.h"

#define STEP "policy"

static const mxd_spf_line *line(const mxd_spf_outcome *o, long i)
{
    return (i >= 0 && (size_t)i < o->nlines) ? &o->lines[i] : NULL;
}

static const char *s_or(const char *s, const char *dflt)
{
    return s && *s ? s : dflt;
}

/* The term at depth 0 under which line i sits (the top-level include that
 * leads to it), or line i itself when it is at depth 0. */
static const mxd_spf_line *top_term(const mxd_spf_outcome *o, long i)
{
    for (long k = i; k >= 0; k--) {
        const mxd_spf_line *l = &o->lines[k];
        if (l->kind == MXD_SPF_LINE_TERM && l->depth == 0)
            return l;
    }
    return line(o, i);
}

/* The TERM line that led to the RECORD line i (the include or redirect). */
static const mxd_spf_line *leading_term(const mxd_spf_outcome *o, long i)
{
    const mxd_spf_line *prev = line(o, i - 1);
    return prev && prev->kind == MXD_SPF_LINE_TERM ? prev : NULL;
}

/* True when a match at line i makes the domain's own evaluation pass: every
 * include on the way up has the "+" qualifier ("-include:x" with x's "+all"
 * fails everyone instead). Redirects pass their result through. */
static bool passes_up(const mxd_spf_outcome *o, size_t i)
{
    unsigned depth = o->lines[i].depth;
    for (size_t k = i; k-- > 0 && depth > 0;) {
        const mxd_spf_line *l = &o->lines[k];
        if (l->kind != MXD_SPF_LINE_TERM || l->depth != depth - 1)
            continue;
        if (l->mech == MXD_SPF_T_INCLUDE && l->qualifier != '+')
            return false;
        depth--;
    }
    return true;
}

static mxd_finding *add(mxd_findings *out, const char *id, mxd_severity sev, const char *subject,
                        const char *domain)
{
    mxd_finding *f = mxd_findings_add(out, STEP, id, sev, subject);
    if (f)
        mxd_finding_param(f, "domain", domain);
    return f;
}

static void record_findings(const mxd_spf_outcome *o, const char *domain, mxd_findings *out)
{
    for (size_t i = 0; i < o->nlines; i++) {
        const mxd_spf_line *l = &o->lines[i];
        if (l->kind != MXD_SPF_LINE_RECORD)
            continue;
        const mxd_spf_line *via = leading_term(o, (long)i);
        mxd_finding *f;
        switch (l->rstate) {
        case MXD_SPF_REC_MULTIPLE:
            f = add(out, "spf.multiple", MXD_SEV_FAIL, l->domain, domain);
            mxd_finding_param(f, "where", l->domain);
            mxd_finding_paramf(f, "count", "%u", l->nrecords);
            break;
        case MXD_SPF_REC_SYNTAX:
            f = add(out, "spf.syntax", MXD_SEV_FAIL, l->domain, domain);
            mxd_finding_param(f, "where", l->domain);
            mxd_finding_param(f, "term", s_or(l->err_term, "?"));
            mxd_finding_paramf(f, "column", "%zu", l->err_pos + 1);
            mxd_finding_param(f, "reason", s_or(l->err_what, "?"));
            break;
        case MXD_SPF_REC_NONE:
        case MXD_SPF_REC_BAD_NAME:
            if (i == 0 && !l->via_redirect)
                break; /* the domain's own: spf.missing, below */
            f = add(out, "spf.include_none", MXD_SEV_FAIL, l->domain, domain);
            mxd_finding_param(f, "target", l->domain);
            mxd_finding_param(f, "term", via ? via->text : "?");
            mxd_finding_param(f, "where", via ? via->domain : domain);
            break;
        case MXD_SPF_REC_DNS_ERROR:
            break; /* reported once from the outcome's problem */
        default:
            break;
        }
    }
}

static void term_findings(const mxd_spf_outcome *o, const char *domain, mxd_findings *out)
{
    bool ptr_seen = false;
    for (size_t i = 0; i < o->nlines; i++) {
        const mxd_spf_line *l = &o->lines[i];
        if (l->kind != MXD_SPF_LINE_TERM)
            continue;
        mxd_finding *f;
        if (l->mech == MXD_SPF_T_ALL && l->qualifier == '+' && passes_up(o, i)) {
            f = add(out, "spf.plus_all", MXD_SEV_FAIL, l->domain, domain);
            mxd_finding_param(f, "term", l->text);
            mxd_finding_param(f, "where", l->domain);
        }
        if (l->mech == MXD_SPF_T_PTR && !ptr_seen) {
            ptr_seen = true;
            f = add(out, "spf.ptr", MXD_SEV_WARN, l->domain, domain);
            mxd_finding_param(f, "term", l->text);
            mxd_finding_param(f, "where", l->domain);
        }
        if (l->loop) {
            f = add(out, "spf.loop", MXD_SEV_FAIL, l->domain, domain);
            mxd_finding_param(f, "term", l->text);
            mxd_finding_param(f, "where", l->domain);
        }
        if (l->mech == MXD_SPF_T_MX && l->mx_count > MXD_SPF_MAX_MX) {
            f = add(out, "spf.mx_limit", MXD_SEV_FAIL, l->domain, domain);
            mxd_finding_param(f, "term", l->text);
            mxd_finding_param(f, "where", l->domain);
            mxd_finding_paramf(f, "count", "%u", l->mx_count);
        }
        if ((l->mech == MXD_SPF_T_INCLUDE || l->mech == MXD_SPF_T_REDIRECT) && l->bad_target) {
            /* Its target, once expanded, cannot even be a domain name. */
            f = add(out, "spf.include_none", MXD_SEV_FAIL, l->domain, domain);
            mxd_finding_param(f, "target", l->text);
            mxd_finding_param(f, "term", l->text);
            mxd_finding_param(f, "where", l->domain);
        }
    }
}

static void limit_findings(const mxd_spf_outcome *o, const char *domain, mxd_findings *out)
{
    mxd_finding *f;
    const mxd_spf_line *over = line(o, o->over_line);
    if (o->lookups > MXD_SPF_MAX_LOOKUPS && over) {
        const mxd_spf_line *via = top_term(o, o->over_line);
        f = add(out, "spf.too_many_lookups", MXD_SEV_FAIL, domain, domain);
        mxd_finding_paramf(f, "count", "%u", o->lookups);
        mxd_finding_param(f, "term", over->text);
        mxd_finding_param(f, "where", over->domain);
        mxd_finding_param(f, "via", via ? via->text : over->text);
    }
    if (o->voids > 0) {
        mxd_sb sb = MXD_SB_INIT;
        for (size_t i = 0; i < o->nlines; i++) {
            const mxd_spf_line *l = &o->lines[i];
            if (l->kind != MXD_SPF_LINE_TERM || !l->is_void)
                continue;
            if (sb.len)
                mxd_sb_puts(&sb, ", ");
            mxd_sb_printf(&sb, "%s (%s)", l->text ? l->text : "", l->domain ? l->domain : "");
        }
        f = add(out, "spf.void_lookups", o->voids > MXD_SPF_MAX_VOID ? MXD_SEV_FAIL : MXD_SEV_WARN,
                domain, domain);
        mxd_finding_paramf(f, "count", "%u", o->voids);
        mxd_finding_param(f, "terms", mxd_sb_str(&sb));
        mxd_sb_free(&sb);
    }
}

static void walk_findings(const mxd_spf_outcome *o, const char *domain, mxd_findings *out)
{
    const mxd_spf_line *top = o->nlines ? &o->lines[0] : NULL;
    mxd_finding *f;
    if (o->problem == MXD_SPF_P_NO_RECORD || o->problem == MXD_SPF_P_BAD_DOMAIN) {
        add(out, "spf.missing", MXD_SEV_WARN, domain, domain);
        return;
    }
    if (o->problem == MXD_SPF_P_DNS || o->problem == MXD_SPF_P_DEADLINE) {
        f = add(out, "spf.dns_error", MXD_SEV_ERROR, domain, domain);
        mxd_finding_param(f, "name", s_or(o->dns_name, domain));
        mxd_finding_param(f, "type", o->problem == MXD_SPF_P_DNS ? mxd_dns_type_name(o->dns_type) : "TXT");
        mxd_finding_param(f, "error", o->problem == MXD_SPF_P_DNS ? mxd_qstate_name(o->dns_state)
                                                                   : "timeout");
        if (!top || top->rstate != MXD_SPF_REC_OK)
            return; /* nothing else can be said about a record we could not read */
    }
    record_findings(o, domain, out);
    term_findings(o, domain, out);
    limit_findings(o, domain, out);
    if (o->result == MXD_SPF_NEUTRAL && top && top->rstate == MXD_SPF_REC_OK) {
        f = add(out, "spf.ok", MXD_SEV_PASS, domain, domain);
        mxd_finding_param(f, "record", top->text);
        mxd_finding_paramf(f, "lookups", "%u", o->lookups);
        mxd_finding_paramf(f, "voids", "%u", o->voids);
    }
}

static mxd_severity result_severity(mxd_spf_res r)
{
    switch (r) {
    case MXD_SPF_PASS: return MXD_SEV_PASS;
    case MXD_SPF_FAIL:
    case MXD_SPF_PERMERROR: return MXD_SEV_FAIL;
    case MXD_SPF_TEMPERROR: return MXD_SEV_ERROR;
    default: return MXD_SEV_WARN; /* none, neutral, softfail: not authorised, not refused */
    }
}

static void check_findings(const mxd_spf_result *d, mxd_findings *out)
{
    const mxd_spf_outcome *c = &d->check;
    mxd_finding *f = mxd_findings_add(out, STEP, "spf.result", result_severity(c->result), d->ip);
    if (!f)
        return;
    const mxd_spf_line *m = line(c, c->matched_line);
    mxd_finding_param(f, "ip", d->ip);
    mxd_finding_param(f, "sender", d->sender);
    mxd_finding_param(f, "domain", c->domain);
    mxd_finding_param(f, "result", mxd_spf_res_name(c->result));
    mxd_finding_param(f, "mechanism", m && m->text ? m->text : "-");
    mxd_finding_param(f, "where", m && m->domain ? m->domain : c->domain);
    if (c->explanation)
        mxd_finding_param(f, "explanation", c->explanation);
}

void mxd_check_spf_data(const mxd_spf_result *d, const char *domain, mxd_findings *out)
{
    if (!d)
        return;
    if (d->walked)
        walk_findings(&d->walk, domain, out);
    if (d->check_requested && d->checked)
        check_findings(d, out);
}
