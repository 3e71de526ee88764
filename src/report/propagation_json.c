/* propagation_json.c — the propagation step's data as a JSON value (see propagation.h).
 *
 * Times are RFC 3339 in UTC: a ticket system or jq compares them without
 * knowing where the report was made (the texts show local time instead).
 */
#include <stdio.h>
#include <time.h>

#include "mxd/propagation.h"

static void rfc3339(mxd_json *j, const char *key, time_t t)
{
    char buf[32];
    struct tm tm;
    mxd_json_key(j, key);
    if (t == 0 || !gmtime_r(&t, &tm) || strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        mxd_json_null(j);
    else
        mxd_json_string(j, buf);
}

static const char *phase_name(mxd_prop_phase p)
{
    static const char *const n[] = { "not_run", "running", "done", "cancelled" };
    return (unsigned)p < 4 ? n[p] : "?";
}

static const char *zone_state_name(mxd_zone_state z)
{
    static const char *const n[] = { "pending", "found", "failed", "no_ns" };
    return (unsigned)z < 4 ? n[z] : "?";
}

/* "mx": [...] for an answer that has a set, null for "no MX" or a failure,
 * with "mx_state" saying which. */
static void answer(mxd_json *j, const mxd_mxanswer *a)
{
    mxd_json_kv_string(j, "mx_state", mxd_qstate_name(a->state));
    mxd_json_key(j, "mx");
    if (a->state != MXD_Q_OK) {
        mxd_json_null(j);
    } else {
        mxd_json_begin_array(j);
        for (size_t i = 0; i < a->n; i++) {
            mxd_json_begin_object(j);
            mxd_json_kv_uint(j, "preference", a->v[i].pref);
            mxd_json_kv_string(j, "host", a->v[i].host);
            mxd_json_end_object(j);
        }
        mxd_json_end_array(j);
    }
    mxd_json_key(j, "ttl");
    if (a->ttl_known)
        mxd_json_uint(j, a->ttl);
    else
        mxd_json_null(j);
}

void mxd_propagation_json(mxd_json *j, const mxd_propagation *d)
{
    mxd_json_begin_object(j);
    mxd_json_kv_string(j, "status", phase_name(d->phase));
    mxd_json_kv_opt_string(j, "zone", d->zone);
    mxd_json_kv_string(j, "zone_state", zone_state_name(d->zone_state));
    mxd_json_kv_opt_string(j, "zone_error", d->zone_error);
    mxd_json_kv_uint(j, "elapsed_ms", d->elapsed_ms);

    mxd_json_key(j, "servers");
    mxd_json_begin_array(j);
    for (size_t i = 0; i < d->nservers; i++) {
        const mxd_prop_server *s = &d->servers[i];
        mxd_json_begin_object(j);
        mxd_json_kv_string(j, "name", s->name);
        mxd_json_kv_opt_string(j, "address", s->addr.family ? s->addr.text : NULL);
        mxd_json_kv_string(j, "state", mxd_authsrv_state_name(s->state));
        mxd_json_kv_opt_string(j, "reason", s->reason);
        mxd_json_kv_bool(j, "aa", s->aa);
        mxd_json_key(j, "serial");
        if (s->has_soa)
            mxd_json_uint(j, s->serial);
        else
            mxd_json_null(j);
        answer(j, &s->mx);
        mxd_json_kv_uint(j, "elapsed_ms", s->mx_q.elapsed_ms);
        mxd_json_end_object(j);
    }
    mxd_json_end_array(j);

    mxd_json_key(j, "resolvers");
    mxd_json_begin_array(j);
    for (size_t i = 0; i < d->nresolvers; i++) {
        const mxd_prop_resolver *r = &d->resolvers[i];
        mxd_json_begin_object(j);
        mxd_json_kv_string(j, "server", r->server);
        mxd_json_kv_opt_string(j, "label", r->label);
        mxd_json_kv_bool(j, "compare", r->compare);
        mxd_json_kv_bool(j, "skipped", r->skipped);
        answer(j, &r->mx);
        rfc3339(j, "answered_at", r->answered_at);
        rfc3339(j, "expires_at", r->expires_at);
        mxd_json_end_object(j);
    }
    mxd_json_end_array(j);
    mxd_json_end_object(j);
}
