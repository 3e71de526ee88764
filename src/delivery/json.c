/* json.c — the delivery step's data for the JSON report (see delivery.h).
 * Every string here was sanitised when it was stored, or is our own. */
#include <stdio.h>

#include "mxd/delivery.h"

static void path_json(mxd_json *j, const mxd_result *r)
{
    mxd_path p;
    if (mxd_delivery_path(r, &p) < 0) {
        mxd_json_null(j);
        return;
    }
    mxd_json_begin_object(j);
    mxd_json_kv_string(j, "conclusion", mxd_path_end_name(p.end));
    mxd_json_key(j, "accepted");
    if (p.accepted >= 0)
        mxd_json_int(j, p.accepted);
    else
        mxd_json_null(j);
    mxd_json_key(j, "hops");
    mxd_json_begin_array(j);
    for (size_t i = 0; i < p.nhops; i++) {
        const mxd_hop *h = &p.hops[i];
        mxd_json_begin_object(j);
        mxd_json_kv_uint(j, "preference", h->pref);
        mxd_json_kv_bool(j, "tied", h->tied);
        mxd_json_kv_string(j, "host", h->host);
        mxd_json_kv_opt_string(j, "address", h->address);
        mxd_json_kv_string(j, "state", h->state == MXD_HOP_NO_ADDRESS && h->dns_error
                                           ? "dns_error"
                                           : mxd_hop_state_name(h->state));
        mxd_json_key(j, "greeting_code");
        if (h->code)
            mxd_json_int(j, h->code);
        else
            mxd_json_null(j);
        mxd_json_kv_bool(j, "tls", h->tls);
        mxd_json_end_object(j);
    }
    mxd_json_end_array(j);
    mxd_json_end_object(j);
    mxd_path_free(&p);
}

static void conns_json(mxd_json *j, const char *key, const mxd_nconn *v, size_t n)
{
    mxd_json_key(j, key);
    mxd_json_begin_array(j);
    for (size_t i = 0; i < n; i++) {
        mxd_json_begin_object(j);
        mxd_json_kv_string(j, "host", v[i].host);
        mxd_json_kv_string(j, "address", v[i].addr.text);
        mxd_json_kv_uint(j, "port", v[i].port);
        mxd_json_kv_string(j, "state", mxd_nc_state_name(v[i].state));
        mxd_json_kv_uint(j, "elapsed_ms", v[i].ms);
        mxd_json_end_object(j);
    }
    mxd_json_end_array(j);
}

static void conv_json(mxd_json *j, const char *key, const mxd_conv_result *c)
{
    mxd_json_key(j, key);
    if (c->state == MXD_CONV_NOT_RUN) {
        mxd_json_null(j);
        return;
    }
    mxd_json_begin_object(j);
    mxd_json_kv_string(j, "state", c->state == MXD_CONV_RUNNING ? "running" : "done");
    if (c->state == MXD_CONV_DONE) {
        mxd_json_kv_string(j, "outcome", mxd_conv_outcome_name(c->outcome));
        mxd_json_kv_string(j, "stage", mxd_conv_stage_name(c->stage));
        mxd_json_kv_opt_string(j, "reason", c->reason);
    }
    mxd_json_kv_opt_string(j, "host", c->host);
    mxd_json_kv_opt_string(j, "address", c->address);
    if (c->port)
        mxd_json_kv_uint(j, "port", c->port);
    mxd_json_kv_string(j, "mail_from", c->mail_from);
    mxd_json_kv_string(j, "rcpt", c->rcpt);
    mxd_json_key(j, "code");
    if (c->code)
        mxd_json_int(j, c->code);
    else
        mxd_json_null(j);
    mxd_json_kv_opt_string(j, "enhanced", c->enhanced);
    mxd_json_kv_opt_string(j, "text", c->text);
    mxd_json_kv_opt_string(j, "error", c->error);
    mxd_json_kv_bool(j, "tls", c->tls);
    mxd_json_kv_opt_string(j, "tls_version", c->tls_version);
    if (c->id[0]) {
        mxd_json_kv_string(j, "id", c->id);
        mxd_json_kv_bool(j, "eightbit", c->eightbit);
    }
    mxd_json_kv_uint(j, "elapsed_ms", c->total_ms);
    mxd_json_kv_opt_string(j, "transcript", c->transcript);
    mxd_json_end_object(j);
}

void mxd_delivery_json(mxd_json *j, const mxd_result *r, const mxd_delivery_result *d)
{
    mxd_json_begin_object(j);
    if (r) {
        mxd_json_key(j, "path");
        path_json(j, r);
    }
    if (d) {
        const mxd_network_result *n = &d->net;
        mxd_json_key(j, "network");
        mxd_json_begin_object(j);
        mxd_json_kv_bool(j, "needed", n->needed);
        mxd_json_kv_bool(j, "finished", n->finished);
        conns_json(j, "submission", n->alt, n->nalt);
        mxd_json_kv_opt_string(j, "probe_host", n->probe_host);
        if (n->probe_host[0]) {
            mxd_json_kv_string(j, "probe_lookup", mxd_qstate_name(n->probe_lookup));
            conns_json(j, "probe", n->probe, n->nprobe);
        }
        mxd_json_end_object(j);
        conv_json(j, "rcpt", &d->rcpt);
        conv_json(j, "send", &d->send);
    }
    mxd_json_end_object(j);
}
