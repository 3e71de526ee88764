/* mtasts.c — the MTA-STS rules (pure; see mxd_check_mtasts_data in mtasts.h).
 *
 * What matters to a reader is what senders will do: a missing policy changes
 * nothing (MTA-STS is optional); a broken record or an unreachable policy makes
 * senders carry on as if there were none, which is a silent loss of protection,
 * so a warning; a valid policy in enforce mode that leaves out an MX host makes
 * every sender that honours MTA-STS refuse that host, which is lost mail, so a
 * failure.
 */
#include <stdio.h>
#include <string.h>

#include "mxd/mtasts.h"

#define STEP "policy"

static mxd_finding *add(mxd_findings *out, const char *id, mxd_severity sev, const char *subject,
                        const mxd_mtasts_result *d)
{
    mxd_finding *f = mxd_findings_add(out, STEP, id, sev, subject);
    mxd_finding_param(f, "domain", d->domain);
    return f;
}

/* max_age as days for people: "7", "0.5", "365.3". */
static void days_of(uint32_t secs, char *out, size_t cap)
{
    if (secs % 86400u == 0)
        snprintf(out, cap, "%u", secs / 86400u);
    else
        snprintf(out, cap, "%.1f", secs / 86400.0);
}

void mxd_check_mtasts_data(const mxd_mtasts_result *d, const char *const *mx_hosts, size_t n,
                           mxd_findings *out)
{
    if (!d)
        return;
    mxd_finding *f;
    char patterns[600], days[32];
    switch (d->state) {
    case MXD_MTASTS_NOT_RUN:
    case MXD_MTASTS_RUNNING:
        return;
    case MXD_MTASTS_NO_RECORD:
        f = add(out, "mta_sts.missing", MXD_SEV_INFO, d->record_name, d);
        mxd_finding_param(f, "record", d->record_name);
        return;
    case MXD_MTASTS_DNS_ERROR:
        f = add(out, "mta_sts.dns_error", MXD_SEV_SKIP, d->record_name, d);
        mxd_finding_param(f, "record", d->record_name);
        mxd_finding_param(f, "error", mxd_qstate_name(d->txt.state));
        return;
    case MXD_MTASTS_RECORD_INVALID:
        f = add(out, "mta_sts.record_invalid", MXD_SEV_WARN, d->record_name, d);
        mxd_finding_param(f, "record", d->record_name);
        mxd_finding_param(f, "text", d->record);
        mxd_finding_param(f, "problem", d->problem);
        return;
    case MXD_MTASTS_SKIPPED:
        f = add(out, "mta_sts.skipped", MXD_SEV_SKIP, d->host, d);
        mxd_finding_param(f, "host", d->host);
        mxd_finding_param(f, "address", d->addr.text);
        mxd_finding_param(f, "reason", d->skip_reason);
        return;
    case MXD_MTASTS_FETCH_FAILED:
        f = add(out, "mta_sts.fetch_failed", MXD_SEV_WARN, d->host, d);
        mxd_finding_param(f, "host", d->host);
        mxd_finding_param(f, "url", d->url);
        mxd_finding_param(f, "problem", d->problem);
        return;
    case MXD_MTASTS_POLICY_INVALID:
        f = add(out, "mta_sts.invalid", MXD_SEV_WARN, d->host, d);
        mxd_finding_param(f, "url", d->url);
        mxd_finding_param(f, "problem", d->problem);
        return;
    case MXD_MTASTS_OK:
        break;
    }

    const mxd_mtasts_policy *p = &d->policy;
    mxd_mtasts_patterns_join(p, patterns, sizeof patterns);
    days_of(p->max_age, days, sizeof days);
    if (p->mode == MXD_MTASTS_MODE_NONE) {
        f = add(out, "mta_sts.mode_none", MXD_SEV_INFO, d->domain, d);
        mxd_finding_param(f, "url", d->url);
        return;
    }
    bool enforce = p->mode == MXD_MTASTS_MODE_ENFORCE;
    size_t uncovered = 0;
    for (size_t i = 0; i < n; i++) {
        if (!mx_hosts[i] || mxd_mtasts_mx_covered(p, mx_hosts[i]))
            continue;
        uncovered++;
        f = add(out, "mta_sts.mx_not_covered", enforce ? MXD_SEV_FAIL : MXD_SEV_WARN,
                mx_hosts[i], d);
        mxd_finding_param(f, "host", mx_hosts[i]);
        mxd_finding_param(f, "mode", mxd_mtasts_mode_name(p->mode));
        mxd_finding_param(f, "patterns", patterns);
        mxd_finding_param(f, "url", d->url);
    }
    if (!enforce) {
        f = add(out, "mta_sts.testing", MXD_SEV_INFO, d->domain, d);
        mxd_finding_paramf(f, "max_age", "%u", p->max_age);
        mxd_finding_param(f, "days", days);
        mxd_finding_param(f, "patterns", patterns);
        return;
    }
    if (uncovered == 0) {
        f = add(out, "mta_sts.ok", MXD_SEV_PASS, d->domain, d);
        mxd_finding_paramf(f, "max_age", "%u", p->max_age);
        mxd_finding_param(f, "days", days);
        mxd_finding_param(f, "patterns", patterns);
        mxd_finding_paramf(f, "count", "%zu", n);
    }
}

void mxd_check_mtasts(const mxd_result *r, const mxd_mtasts_result *d, mxd_findings *out)
{
    const char *hosts[64];
    size_t n = 0;
    for (size_t i = 0; r && i < r->ntargets && n < sizeof hosts / sizeof hosts[0]; i++) {
        const mxd_target *t = &r->targets[i];
        if (t->null_mx || t->duplicate_of >= 0 || !t->host[0])
            continue;
        hosts[n++] = t->host;
    }
    mxd_check_mtasts_data(d, hosts, n, out);
}
