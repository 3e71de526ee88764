/* result.c — freeing the result model, and names for its enums. */
#include <stdlib.h>
#include <string.h>

#include "mxd/certder.h"
#include "mxd/delivery.h"
#include "mxd/policy.h"
#include "mxd/propagation.h"
#include "mxd/result.h"

const char *mxd_qstate_name(mxd_qstate s)
{
    static const char *const n[] = { "not_sent", "pending", "ok", "nodata", "nxdomain",
                                     "servfail", "refused", "timeout", "error" };
    return (unsigned)s < sizeof n / sizeof n[0] ? n[s] : "?";
}

const char *mxd_smtp_end_name(mxd_smtp_end e)
{
    static const char *const n[] = { "ok", "refused", "unreachable", "connect_timeout",
                                     "greeting_timeout", "reply_timeout", "closed",
                                     "protocol", "greeting_reject", "greeting_tempfail",
                                     "tls_failed" };
    return (unsigned)e < sizeof n / sizeof n[0] ? n[e] : "?";
}

void mxd_query_reset(mxd_query *q)
{
    if (q->msg) {
        mxd_dnsmsg_free(q->msg);
        free(q->msg);
    }
    q->msg = NULL;
}

static void smtp_free(mxd_smtp *s)
{
    for (size_t i = 0; i < s->n_ext; i++)
        free(s->ext[i]);
    free(s->ext);
    free(s->transcript);
    for (size_t i = 0; i < s->nchain; i++)
        mxd_cert_der_clear(&s->chain[i]);
    free(s->chain);
}

void mxd_result_free(mxd_result *r)
{
    mxd_query_reset(&r->mx);
    mxd_query_reset(&r->a);
    mxd_query_reset(&r->aaaa);
    for (size_t i = 0; i < r->ntargets; i++) {
        mxd_target *t = &r->targets[i];
        mxd_query_reset(&t->a);
        mxd_query_reset(&t->aaaa);
        for (size_t j = 0; j < t->naddrs; j++)
            if (t->smtp)
                smtp_free(&t->smtp[j]);
        free(t->smtp);
        free(t->addrs);
    }
    free(r->targets);
    if (r->policy) {
        mxd_policy_result_free(r->policy);
        free(r->policy);
    }
    if (r->delivery) {
        mxd_delivery_result_free(r->delivery);
        free(r->delivery);
    }
    if (r->propagation) {
        mxd_propagation_result_free(r->propagation);
        free(r->propagation);
    }
    memset(r, 0, sizeof *r);
}
