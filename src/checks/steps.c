/* steps.c — the step table and the registry of finding ids. */
#include <string.h>

#include "mxd/steps.h"

const mxd_step mxd_steps[] = {
    { "mx" },
    { "target" },
    { "smtp" },
};
const size_t mxd_nsteps = sizeof mxd_steps / sizeof mxd_steps[0];

const mxd_finding_def mxd_finding_defs[] = {
    { "mx.found", "mx" },
    { "mx.single", "mx" },
    { "mx.equal_preference", "mx" },
    { "mx.nxdomain", "mx" },
    { "mx.none_implicit", "mx" },
    { "mx.none_no_address", "mx" },
    { "mx.null", "mx" },
    { "mx.null_mixed", "mx" },
    { "dns.error", "mx" },
    { "target.ok", "target" },
    { "target.cname", "target" },
    { "target.ip_literal", "target" },
    { "target.no_address", "target" },
    { "target.private", "target" },
    { "target.duplicate", "target" },
    { "target.dns_error", "target" },
    { "smtp.ok", "smtp" },
    { "smtp.refused", "smtp" },
    { "smtp.timeout", "smtp" },
    { "smtp.unreachable", "smtp" },
    { "smtp.closed", "smtp" },
    { "smtp.protocol_error", "smtp" },
    { "smtp.greeting_reject", "smtp" },
    { "smtp.greeting_tempfail", "smtp" },
    { "smtp.no_starttls", "smtp" },
    { "smtp.tls_failed", "smtp" },
    { "smtp.cert_untrusted", "smtp" },
    { "smtp.cert_name_mismatch", "smtp" },
    { "smtp.cert_expired", "smtp" },
    { "smtp.starttls_injection", "smtp" },
    { "smtp.primary_down", "smtp" },
    { "smtp.all_down", "smtp" },
    { "smtp.port25_blocked_suspected", "smtp" },
    { "smtp.skipped", "smtp" },
};
const size_t mxd_nfinding_defs = sizeof mxd_finding_defs / sizeof mxd_finding_defs[0];

const mxd_finding_def *mxd_finding_def_find(const char *id)
{
    for (size_t i = 0; i < mxd_nfinding_defs; i++)
        if (strcmp(mxd_finding_defs[i].id, id) == 0)
            return &mxd_finding_defs[i];
    return NULL;
}
