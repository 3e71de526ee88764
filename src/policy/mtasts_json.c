/* mtasts_json.c — the MTA-STS result as a JSON object (for the policy step's key
 * in the report). Every string in the result is already sanitised; the writer
 * escapes it again for JSON. */
#include "mxd/json.h"
#include "mxd/mtasts.h"

void mxd_mtasts_json(mxd_json *j, const mxd_mtasts_result *d)
{
    mxd_json_begin_object(j);
    mxd_json_kv_string(j, "state", mxd_mtasts_state_name(d->state));
    mxd_json_kv_string(j, "record_name", d->record_name);
    mxd_json_kv_string(j, "txt_state", mxd_qstate_name(d->txt.state));
    mxd_json_kv_uint(j, "records", d->nrecords);
    mxd_json_kv_opt_string(j, "record", d->record);
    mxd_json_kv_opt_string(j, "id", d->rec.id);
    mxd_json_kv_string(j, "policy_host", d->host);
    mxd_json_kv_string(j, "url", d->url);
    mxd_json_kv_opt_string(j, "address", d->addr.family ? d->addr.text : NULL);
    mxd_json_kv_opt_string(j, "skip_reason", d->skip_reason);
    if (d->fetch == MXD_MTASTS_FETCH_HTTPS) {
        const mxd_https_response *h = &d->http;
        mxd_json_key(j, "fetch");
        mxd_json_begin_object(j);
        mxd_json_kv_string(j, "end", mxd_https_end_name(h->end));
        mxd_json_kv_string(j, "stage", h->stage);
        if (h->status)
            mxd_json_kv_int(j, "status", h->status);
        else {
            mxd_json_key(j, "status");
            mxd_json_null(j);
        }
        mxd_json_kv_opt_string(j, "content_type", h->content_type);
        mxd_json_kv_opt_string(j, "location", h->location);
        mxd_json_kv_opt_string(j, "tls_version", h->tls_version);
        mxd_json_kv_opt_string(j, "error", h->error);
        mxd_json_kv_uint(j, "elapsed_ms", h->total_ms);
        mxd_json_end_object(j);
    }
    if (d->state == MXD_MTASTS_OK) {
        mxd_json_key(j, "policy");
        mxd_json_begin_object(j);
        mxd_json_kv_string(j, "mode", mxd_mtasts_mode_name(d->policy.mode));
        mxd_json_kv_uint(j, "max_age", d->policy.max_age);
        mxd_json_key(j, "mx");
        mxd_json_begin_array(j);
        for (size_t i = 0; i < d->policy.nmx; i++)
            mxd_json_string(j, d->policy.mx[i]);
        mxd_json_end_array(j);
        mxd_json_end_object(j);
    }
    mxd_json_kv_opt_string(j, "problem", d->problem);
    mxd_json_kv_uint(j, "elapsed_ms", d->elapsed_ms);
    mxd_json_end_object(j);
}
