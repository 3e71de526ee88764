/* policy_json.c — the policy step's data for the JSON report ("policy" key).
 *
 * Machines reading a report want the records themselves, not only the
 * verdicts: which selector had which key size, what each PTR said. Every string
 * that came from DNS is sanitised here (TXT text, names), capped in length.
 */
#include <stdlib.h>
#include <string.h>

#include "mxd/policy.h"
#include "mxd/sanitize.h"

static void kv_raw(mxd_json *j, const char *key, const char *s, size_t len)
{
    char *t = mxd_sanitize(s, len, 0, 1024);
    mxd_json_kv_string(j, key, t ? t : "");
    free(t);
}

static void str_raw(mxd_json *j, const char *s, size_t len)
{
    char *t = mxd_sanitize(s, len, 0, 1024);
    mxd_json_string(j, t ? t : "");
    free(t);
}

static void kv_name(mxd_json *j, const char *key, const char *s)
{
    kv_raw(j, key, s, strlen(s));
}

/* {name, state, ad, records[]} of one lookup; TLSA records as "u s m hex…". */
static void lookup(mxd_json *j, const char *key, const mxd_plookup *l)
{
    if (key)
        mxd_json_key(j, key);
    mxd_json_begin_object(j);
    kv_name(j, "name", l->name);
    mxd_json_kv_string(j, "state", mxd_qstate_name(l->state));
    mxd_json_kv_bool(j, "ad", l->ad);
    mxd_json_key(j, "records");
    mxd_json_begin_array(j);
    for (size_t i = 0; i < l->nrec; i++) {
        if (l->type == MXD_T_TLSA) {
            char one[64];
            mxd_tlsa_format(l->rec[i], l->len[i], one, sizeof one);
            mxd_json_string(j, one);
        } else {
            str_raw(j, l->rec[i], l->len[i]);
        }
    }
    mxd_json_end_array(j);
    mxd_json_end_object(j);
}

static void dmarc(mxd_json *j, const mxd_dmarc_result *m)
{
    mxd_json_key(j, "dmarc");
    mxd_json_begin_object(j);
    kv_name(j, "org_domain", m->org_domain);
    lookup(j, "at_domain", &m->at_domain);
    if (m->at_org.state != MXD_Q_NOT_SENT)
        lookup(j, "at_org_domain", &m->at_org);
    kv_name(j, "record_name", m->record_name);
    mxd_json_kv_opt_string(j, "policy_domain", m->policy_domain);
    mxd_json_kv_uint(j, "records", m->nrecords);
    if (m->nrecords == 1 && m->text) {
        const mxd_dmarc_rec *r = &m->rec;
        kv_raw(j, "record", m->text, m->text_len);
        mxd_json_kv_bool(j, "valid", r->valid);
        if (r->valid) {
            mxd_json_kv_string(j, "p", mxd_dmarc_p_name(r->p));
            mxd_json_kv_opt_string(j, "sp", mxd_dmarc_p_name(r->sp));
            mxd_json_kv_uint(j, "pct", r->pct);
            mxd_json_key(j, "rua");
            mxd_json_begin_array(j);
            for (size_t i = 0; i < r->nrua; i++)
                str_raw(j, r->rua[i].uri, strlen(r->rua[i].uri));
            mxd_json_end_array(j);
        } else {
            kv_name(j, "bad_tag", r->bad_tag);
            kv_name(j, "bad_value", r->bad_value);
        }
    }
    mxd_json_key(j, "rua_authorization");
    mxd_json_begin_array(j);
    for (size_t i = 0; i < m->nauth; i++)
        lookup(j, NULL, &m->auth[i].q);
    mxd_json_end_array(j);
    mxd_json_end_object(j);
}

static void dkim(mxd_json *j, const mxd_policy_result *d)
{
    mxd_json_key(j, "dkim");
    mxd_json_begin_array(j);
    for (size_t i = 0; i < d->ndkim; i++) {
        const mxd_dkim_selector *s = &d->dkim[i];
        mxd_json_begin_object(j);
        kv_name(j, "selector", s->selector);
        mxd_json_kv_bool(j, "named", s->user);
        kv_name(j, "name", s->q.name);
        mxd_json_kv_string(j, "state", mxd_qstate_name(s->q.state));
        mxd_json_kv_uint(j, "keys", s->nkeys);
        if (s->nkeys) {
            kv_name(j, "key_type", s->key.ktype);
            mxd_json_kv_uint(j, "bits", s->key.bits);
            mxd_json_kv_bool(j, "valid", s->key.valid);
            mxd_json_kv_bool(j, "revoked", s->key.revoked);
            mxd_json_kv_bool(j, "testing", s->key.testing);
            mxd_json_kv_opt_string(j, "error", s->key.error);
        }
        mxd_json_end_object(j);
    }
    mxd_json_end_array(j);
}

static void ptr(mxd_json *j, const mxd_policy_result *d)
{
    mxd_json_key(j, "ptr");
    mxd_json_begin_array(j);
    for (size_t i = 0; i < d->nptr; i++) {
        const mxd_ptr *p = &d->ptr[i];
        mxd_json_begin_object(j);
        kv_name(j, "host", p->host);
        mxd_json_kv_string(j, "address", p->addr.text);
        mxd_json_kv_bool(j, "skipped", p->skipped);
        lookup(j, "lookup", &p->q);
        bool confirmed = false;
        mxd_json_key(j, "forward");
        mxd_json_begin_array(j);
        for (size_t k = 0; k < p->q.nrec && k < MXD_PTR_MAX_NAMES; k++) {
            confirmed = confirmed || mxd_ptr_confirms(&p->addr, &p->fwd[k]);
            lookup(j, NULL, &p->fwd[k]);
        }
        mxd_json_end_array(j);
        mxd_json_kv_bool(j, "forward_confirmed", confirmed);
        mxd_json_end_object(j);
    }
    mxd_json_end_array(j);
}

static void dane(mxd_json *j, const mxd_policy_result *d)
{
    mxd_json_key(j, "tlsa");
    mxd_json_begin_array(j);
    for (size_t i = 0; i < d->ntlsa; i++) {
        mxd_json_begin_object(j);
        kv_name(j, "host", d->tlsa[i].host);
        lookup(j, "lookup", &d->tlsa[i].q);
        mxd_json_end_object(j);
    }
    mxd_json_end_array(j);
}

/* The MTA-STS part (mtasts.h has no writer of its own). Its texts are
 * already sanitised where they are stored, except the patterns, which the
 * parser limits to host-name characters. */
static void mtasts(mxd_json *j, const mxd_mtasts_result *m)
{
    mxd_json_key(j, "mta_sts");
    mxd_json_begin_object(j);
    mxd_json_kv_string(j, "state", mxd_mtasts_state_name(m->state));
    kv_name(j, "record_name", m->record_name);
    mxd_json_kv_uint(j, "records", m->nrecords);
    mxd_json_kv_opt_string(j, "record", m->record);
    mxd_json_kv_opt_string(j, "url", m->url);
    if (m->state == MXD_MTASTS_OK) {
        mxd_json_kv_string(j, "mode", mxd_mtasts_mode_name(m->policy.mode));
        mxd_json_kv_uint(j, "max_age", m->policy.max_age);
        mxd_json_key(j, "mx");
        mxd_json_begin_array(j);
        for (size_t i = 0; i < m->policy.nmx; i++)
            str_raw(j, m->policy.mx[i], strlen(m->policy.mx[i]));
        mxd_json_end_array(j);
    }
    mxd_json_kv_opt_string(j, "problem", m->problem);
    mxd_json_end_object(j);
}

void mxd_policy_json(mxd_json *j, const mxd_policy_result *d)
{
    mxd_json_begin_object(j);
    mxd_json_kv_bool(j, "finished", d->finished);
    if (d->started) {
        mxd_json_key(j, "spf");
        mxd_spf_json(j, &d->spf);
        dmarc(j, &d->dmarc);
        dkim(j, d);
        ptr(j, d);
        mtasts(j, &d->mtasts);
        lookup(j, "tlsrpt", &d->tlsrpt);
        dane(j, d);
    }
    mxd_json_end_object(j);
}
