/* policy.c — the rules of step "policy" (see policy.h, checks.h).
 *
 * Pure: reads only the mxd_policy_result. Severities follow what a receiving
 * server does with the domain's mail, not what is merely tidy:
 *   - a record that receivers ignore (two DMARC records, a broken tag, a DKIM
 *     key under 1024 bits) fails: the protection it promises does not exist;
 *   - a missing DMARC or PTR record warns: mail still flows, but more of it
 *     lands in spam, and big mailbox providers ask for both;
 *   - optional extras (TLS-RPT, DKIM selectors we cannot guess) inform;
 *   - DANE (src/checks/dane.c) fails when validated TLSA records and the mail
 *     server's certificate disagree: senders that enforce DANE stop delivering.
 * A lookup that failed says nothing about the record: all of them are gathered
 * in one policy.dns_error (severity skip), so a flaky resolver cannot make a
 * domain look misconfigured, nor bury the real findings under repeats.
 * Lookups still pending produce nothing yet (the wizard calls this repeatedly).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mxd/checks.h"
#include "mxd/dane.h"
#include "mxd/policy.h"
#include "mxd/sanitize.h"
#include "mxd/strbuf.h"

#define STEP "policy"

typedef struct errs {
    mxd_sb names;
    size_t n;
    const char *first;
} errs;

static void note_failure(errs *e, const mxd_plookup *l)
{
    if (!mxd_plookup_failed(l))
        return;
    if (!e->first)
        e->first = mxd_qstate_name(l->state);
    /* Enough to go on for a helpdesk ticket; the JSON has every lookup. */
    if (e->n < 5)
        mxd_sb_printf(&e->names, "%s%s", e->n ? ", " : "", l->name);
    else if (e->n == 5)
        mxd_sb_puts(&e->names, ", …");
    e->n++;
}

static bool pending(const mxd_plookup *l) { return l->state == MXD_Q_PENDING; }

static void join_records(const mxd_plookup *l, bool (*keep)(const char *, size_t), mxd_sb *sb)
{
    size_t k = 0;
    for (size_t i = 0; i < l->nrec; i++) {
        if (keep && !keep(l->rec[i], l->len[i]))
            continue;
        if (k++)
            mxd_sb_puts(sb, " | ");
        mxd_sb_append(sb, l->rec[i], l->len[i]);
    }
}

/* ---- DMARC ----------------------------------------------------------------- */

static void check_dmarc(const mxd_policy_result *d, const char *domain, mxd_findings *out,
                        errs *e)
{
    const mxd_dmarc_result *m = &d->dmarc;
    mxd_finding *f;
    if (pending(&m->at_domain) || pending(&m->at_org) || !m->discovered)
        return;
    if (m->lookup_failed) {
        note_failure(e, mxd_plookup_failed(&m->at_domain) ? &m->at_domain : &m->at_org);
        return;
    }
    if (m->nrecords == 0) {
        mxd_sb names = MXD_SB_INIT;
        mxd_sb_puts(&names, m->at_domain.name);
        if (m->at_org.state != MXD_Q_NOT_SENT)
            mxd_sb_printf(&names, ", %s", m->at_org.name);
        f = mxd_findings_add(out, STEP, "dmarc.missing", MXD_SEV_WARN, domain);
        mxd_finding_param(f, "domain", domain);
        mxd_finding_param(f, "names", mxd_sb_str(&names));
        mxd_sb_free(&names);
        return;
    }
    const mxd_plookup *src = strcmp(m->record_name, m->at_domain.name) == 0 ? &m->at_domain
                                                                             : &m->at_org;
    if (m->nrecords > 1) {
        mxd_sb recs = MXD_SB_INIT;
        join_records(src, mxd_dmarc_is_record, &recs);
        f = mxd_findings_add(out, STEP, "dmarc.multiple", MXD_SEV_FAIL, m->record_name);
        mxd_finding_param(f, "domain", domain);
        mxd_finding_param(f, "name", m->record_name);
        mxd_finding_paramf(f, "count", "%zu", m->nrecords);
        mxd_finding_param(f, "records", mxd_sb_str(&recs));
        mxd_sb_free(&recs);
        return;
    }
    char *text = mxd_sanitize(m->text, m->text_len, 0, 400);
    const mxd_dmarc_rec *r = &m->rec;
    if (!r->valid) {
        f = mxd_findings_add(out, STEP, "dmarc.invalid", MXD_SEV_FAIL, m->record_name);
        mxd_finding_param(f, "domain", domain);
        mxd_finding_param(f, "name", m->record_name);
        mxd_finding_param(f, "record", text ? text : "");
        mxd_finding_param(f, "tag", r->bad_tag);
        mxd_finding_param(f, "value", r->bad_value);
        free(text);
        return;
    }
    /* The policy that applies to this very domain: sp= when the record was
     * found at the organisational domain and this is a subdomain of it. */
    bool inherited = strcmp(m->policy_domain, domain) != 0;
    mxd_dmarc_p applies = inherited && r->sp != MXD_DMARC_UNSET ? r->sp : r->p;
    if (applies == MXD_DMARC_NONE) {
        f = mxd_findings_add(out, STEP, "dmarc.policy_none", MXD_SEV_INFO, m->record_name);
        mxd_finding_param(f, "domain", domain);
        mxd_finding_param(f, "name", m->record_name);
        mxd_finding_param(f, "record", text ? text : "");
    } else {
        f = mxd_findings_add(out, STEP, "dmarc.ok", MXD_SEV_PASS, m->record_name);
        mxd_finding_param(f, "domain", domain);
        mxd_finding_param(f, "name", m->record_name);
        mxd_finding_param(f, "record", text ? text : "");
        mxd_finding_param(f, "policy", mxd_dmarc_p_name(applies));
        mxd_finding_paramf(f, "pct", "%u", r->pct);
        mxd_finding_param(f, "subdomain_policy",
                          mxd_dmarc_p_name(r->sp != MXD_DMARC_UNSET ? r->sp : r->p));
    }
    free(text);
    for (size_t i = 0; i < m->nauth; i++) {
        const mxd_dmarc_auth *a = &m->auth[i];
        if (a->q.state == MXD_Q_NOT_SENT || pending(&a->q))
            continue;
        if (mxd_plookup_failed(&a->q)) {
            note_failure(e, &a->q);
            continue;
        }
        bool authorised = false;
        for (size_t k = 0; a->q.state == MXD_Q_OK && k < a->q.nrec; k++)
            authorised = authorised || mxd_dmarc_is_record(a->q.rec[k], a->q.len[k]);
        if (authorised)
            continue;
        f = mxd_findings_add(out, STEP, "dmarc.rua_unauthorized", MXD_SEV_WARN, a->domain);
        mxd_finding_param(f, "domain", m->policy_domain);
        mxd_finding_param(f, "uri", a->uri);
        mxd_finding_param(f, "rua_domain", a->domain);
        mxd_finding_param(f, "name", a->q.name);
    }
}

/* ---- DKIM ------------------------------------------------------------------- */

static void check_dkim(const mxd_policy_result *d, const char *domain, mxd_findings *out,
                       errs *e)
{
    mxd_finding *f;
    bool any_pending = false, any_key = false;
    mxd_sb tried = MXD_SB_INIT, missing_user = MXD_SB_INIT;
    for (size_t i = 0; i < d->ndkim; i++) {
        const mxd_dkim_selector *s = &d->dkim[i];
        if (pending(&s->q) || s->q.state == MXD_Q_NOT_SENT) {
            any_pending = any_pending || pending(&s->q);
            continue;
        }
        if (mxd_plookup_failed(&s->q)) {
            note_failure(e, &s->q);
            continue;
        }
        mxd_sb_printf(&tried, "%s%s", tried.len ? ", " : "", s->selector);
        if (!s->nkeys) {
            if (s->user)
                mxd_sb_printf(&missing_user, "%s%s", missing_user.len ? ", " : "", s->selector);
            continue;
        }
        any_key = true;
        const mxd_dkim_key *k = &s->key;
        if (k->revoked) {
            f = mxd_findings_add(out, STEP, "dkim.revoked", MXD_SEV_INFO, s->q.name);
            mxd_finding_param(f, "selector", s->selector);
            mxd_finding_param(f, "name", s->q.name);
        } else if (!k->valid) {
            f = mxd_findings_add(out, STEP, "dkim.invalid", MXD_SEV_WARN, s->q.name);
            mxd_finding_param(f, "selector", s->selector);
            mxd_finding_param(f, "name", s->q.name);
            mxd_finding_param(f, "error", k->error);
            mxd_finding_param(f, "key_type", k->ktype);
        } else if (strcasecmp(k->ktype, "rsa") == 0 && k->bits < 2048) {
            /* RFC 8301 §3.2: verifiers must not trust keys under 1024 bits;
             * signers should use at least 2048. */
            f = mxd_findings_add(out, STEP, "dkim.weak_key",
                                 k->bits < 1024 ? MXD_SEV_FAIL : MXD_SEV_WARN, s->q.name);
            mxd_finding_param(f, "selector", s->selector);
            mxd_finding_param(f, "name", s->q.name);
            mxd_finding_paramf(f, "bits", "%u", k->bits);
        } else {
            f = mxd_findings_add(out, STEP, "dkim.found", MXD_SEV_PASS, s->q.name);
            mxd_finding_param(f, "selector", s->selector);
            mxd_finding_param(f, "name", s->q.name);
            mxd_finding_param(f, "key_type", k->ktype);
            mxd_finding_paramf(f, "bits", "%u", k->bits);
        }
    }
    if (!any_pending) {
        /* Selectors cannot be listed through DNS: "not found" only means none
         * of the names tried, unless the user named the selector. */
        if (!any_key && tried.len) {
            f = mxd_findings_add(out, STEP, "dkim.not_found",
                                 missing_user.len ? MXD_SEV_WARN : MXD_SEV_INFO, domain);
            mxd_finding_param(f, "domain", domain);
            mxd_finding_param(f, "selectors", mxd_sb_str(&tried));
        } else if (any_key && missing_user.len) {
            f = mxd_findings_add(out, STEP, "dkim.not_found", MXD_SEV_WARN, domain);
            mxd_finding_param(f, "domain", domain);
            mxd_finding_param(f, "selectors", mxd_sb_str(&missing_user));
        }
    }
    mxd_sb_free(&tried);
    mxd_sb_free(&missing_user);
}

/* ---- reverse DNS ---------------------------------------------------------------- */

static void check_ptr(const mxd_policy_result *d, mxd_findings *out, errs *e)
{
    mxd_finding *f;
    for (size_t i = 0; i < d->nptr; i++) {
        const mxd_ptr *p = &d->ptr[i];
        if (p->skipped || pending(&p->q) || p->q.state == MXD_Q_NOT_SENT)
            continue;
        if (mxd_plookup_failed(&p->q)) {
            note_failure(e, &p->q);
            continue;
        }
        if (p->q.state != MXD_Q_OK) {
            f = mxd_findings_add(out, STEP, "ptr.missing", MXD_SEV_WARN, p->addr.text);
            mxd_finding_param(f, "host", p->host);
            mxd_finding_param(f, "address", p->addr.text);
            mxd_finding_param(f, "name", p->q.name);
            continue;
        }
        mxd_sb names = MXD_SB_INIT, fwd = MXD_SB_INIT;
        join_records(&p->q, NULL, &names);
        bool confirmed = false, waiting = false, failed = false;
        size_t nfwd = p->q.nrec < MXD_PTR_MAX_NAMES ? p->q.nrec : MXD_PTR_MAX_NAMES;
        for (size_t j = 0; j < nfwd; j++) {
            const mxd_plookup *l = &p->fwd[j];
            confirmed = confirmed || mxd_ptr_confirms(&p->addr, l);
            waiting = waiting || pending(l) || l->state == MXD_Q_NOT_SENT;
            failed = failed || mxd_plookup_failed(l);
            for (size_t k = 0; l->state == MXD_Q_OK && k < l->nrec; k++)
                mxd_sb_printf(&fwd, "%s%s", fwd.len ? ", " : "", l->rec[k]);
        }
        if (confirmed) {
            f = mxd_findings_add(out, STEP, "ptr.ok", MXD_SEV_PASS, p->addr.text);
            mxd_finding_param(f, "host", p->host);
            mxd_finding_param(f, "address", p->addr.text);
            mxd_finding_param(f, "ptr", mxd_sb_str(&names));
        } else if (failed && !waiting) {
            for (size_t j = 0; j < nfwd; j++)
                note_failure(e, &p->fwd[j]);
        } else if (!waiting) {
            f = mxd_findings_add(out, STEP, "ptr.mismatch", MXD_SEV_WARN, p->addr.text);
            mxd_finding_param(f, "host", p->host);
            mxd_finding_param(f, "address", p->addr.text);
            mxd_finding_param(f, "ptr", mxd_sb_str(&names));
            mxd_finding_param(f, "forward", fwd.len ? mxd_sb_str(&fwd) : "-");
        }
        mxd_sb_free(&names);
        mxd_sb_free(&fwd);
    }
}

/* ---- TLS-RPT, DANE ------------------------------------------------------------------ */

/* v=TLSRPTv1 first, then rua= (RFC 8460 §3). Returns the rua value through *rua. */
static bool tlsrpt_record(const char *txt, size_t len, const char **rua, size_t *rua_len)
{
    const char *p = txt, *end = txt + len;
    mxd_tag t;
    if (mxd_taglist_next(&p, end, &t) != 1 || !mxd_tag_is(&t, "v") || t.value_len != 8 ||
        memcmp(t.value, "TLSRPTv1", 8) != 0)
        return false;
    *rua = NULL;
    *rua_len = 0;
    while (mxd_taglist_next(&p, end, &t) == 1)
        if (mxd_tag_is(&t, "rua")) {
            *rua = t.value;
            *rua_len = t.value_len;
        }
    return true;
}

static void check_tlsrpt(const mxd_policy_result *d, const char *domain, mxd_findings *out,
                         errs *e)
{
    const mxd_plookup *l = &d->tlsrpt;
    if (pending(l) || l->state == MXD_Q_NOT_SENT)
        return;
    if (mxd_plookup_failed(l)) {
        note_failure(e, l);
        return;
    }
    size_t n = 0;
    const char *rua = NULL;
    size_t rua_len = 0;
    for (size_t i = 0; l->state == MXD_Q_OK && i < l->nrec; i++) {
        const char *r;
        size_t rl;
        if (tlsrpt_record(l->rec[i], l->len[i], &r, &rl)) {
            n++;
            rua = r;
            rua_len = rl;
        }
    }
    mxd_finding *f;
    /* Two records, or one without an address, are as good as none (RFC 8460 §3). */
    if (n == 1 && rua && rua_len) {
        char *s = mxd_sanitize(rua, rua_len, 0, 300);
        f = mxd_findings_add(out, STEP, "tlsrpt.ok", MXD_SEV_PASS, l->name);
        mxd_finding_param(f, "domain", domain);
        mxd_finding_param(f, "name", l->name);
        mxd_finding_param(f, "rua", s ? s : "");
        free(s);
    } else {
        f = mxd_findings_add(out, STEP, "tlsrpt.missing", MXD_SEV_INFO, l->name);
        mxd_finding_param(f, "domain", domain);
        mxd_finding_param(f, "name", l->name);
        mxd_finding_paramf(f, "records", "%zu", n);
    }
}

/* DANE per MX host (src/checks/dane.c); r gives the SMTP results to compare
 * the certificates with (NULL: none). */
static void check_dane(const mxd_policy_result *d, const mxd_result *r, mxd_findings *out,
                       errs *e)
{
    for (size_t i = 0; i < d->ntlsa; i++) {
        const mxd_tlsa *t = &d->tlsa[i];
        if (pending(&t->q) || t->q.state == MXD_Q_NOT_SENT)
            continue;
        if (mxd_plookup_failed(&t->q)) {
            note_failure(e, &t->q);
            continue;
        }
        mxd_check_dane(r, t, out); /* no TLSA (DANE is optional): nothing to say */
    }
}

/* MTA-STS against the MX hosts the engine reported (null MX, IP literals and
 * duplicates were left out when they were added). */
static void check_mtasts(const mxd_policy_result *d, mxd_findings *out)
{
    if (d->mtasts.state == MXD_MTASTS_NOT_RUN || d->mtasts.state == MXD_MTASTS_RUNNING)
        return;
    const char **hosts = d->ntlsa ? malloc(d->ntlsa * sizeof *hosts) : NULL;
    size_t n = 0;
    for (size_t i = 0; hosts && i < d->ntlsa; i++)
        hosts[n++] = d->tlsa[i].host;
    mxd_check_mtasts_data(&d->mtasts, hosts, n, out);
    free(hosts);
}

/* ---- the step ------------------------------------------------------------------------ */

static void check_step(const mxd_policy_result *d, const char *domain_ascii, const mxd_result *r,
                       mxd_findings *out)
{
    if (!d || !d->started)
        return;
    const char *domain = domain_ascii && *domain_ascii ? domain_ascii : d->domain;
    errs e = { MXD_SB_INIT, 0, NULL };
    mxd_check_spf_data(&d->spf, domain, out);
    check_dmarc(d, domain, out, &e);
    check_dkim(d, domain, out, &e);
    check_ptr(d, out, &e);
    check_mtasts(d, out);
    check_tlsrpt(d, domain, out, &e);
    check_dane(d, r, out, &e);
    if (e.n) {
        mxd_finding *f = mxd_findings_add(out, STEP, "policy.dns_error", MXD_SEV_SKIP, domain);
        mxd_finding_param(f, "domain", domain);
        mxd_finding_param(f, "names", mxd_sb_str(&e.names));
        mxd_finding_param(f, "error", e.first);
        mxd_finding_paramf(f, "count", "%zu", e.n);
    }
    mxd_sb_free(&e.names);
}

void mxd_check_policy_data(const mxd_policy_result *d, const char *domain_ascii,
                           mxd_findings *out)
{
    check_step(d, domain_ascii, NULL, out);
}

void mxd_check_policy(const mxd_result *r, const mxd_policy_result *d, mxd_findings *out)
{
    if (!d || (r->mx.state != MXD_Q_OK && r->mx.state != MXD_Q_NODATA))
        return;
    check_step(d, r->domain_ascii, r, out);
}
