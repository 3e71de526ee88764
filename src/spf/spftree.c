/* spftree.c — SPF outcomes and their tree: names, copy, free, text, JSON (see spf.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxd/dnsclient.h"
#include "mxd/result.h"
#include "mxd/spf.h"

const char *mxd_spf_res_name(mxd_spf_res r)
{
    static const char *const names[] = { "none", "neutral", "pass", "fail",
                                         "softfail", "temperror", "permerror" };
    return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "?";
}

const char *mxd_spf_term_kind_name(mxd_spf_term_kind k)
{
    static const char *const names[] = { "all", "include", "a", "mx", "ptr", "ip4",
                                         "ip6", "exists", "redirect", "exp", "modifier" };
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

const char *mxd_spf_rec_state_name(mxd_spf_rec_state s)
{
    static const char *const names[] = { "ok", "none", "multiple", "syntax", "dns_error", "bad_name" };
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

const char *mxd_spf_problem_name(mxd_spf_problem p)
{
    static const char *const names[] = {
        "none", "bad_domain", "no_record", "multiple", "syntax", "too_many_lookups",
        "void_lookups", "mx_limit", "include_none", "loop", "dns", "deadline",
    };
    return (unsigned)p < sizeof names / sizeof names[0] ? names[p] : "?";
}

static void line_free(mxd_spf_line *l)
{
    free(l->domain);
    free(l->text);
    free(l->target);
    free(l->err_what);
    free(l->err_term);
}

void mxd_spf_outcome_free(mxd_spf_outcome *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->nlines; i++)
        line_free(&o->lines[i]);
    free(o->lines);
    free(o->explanation);
    free(o->dns_name);
    memset(o, 0, sizeof *o);
    o->problem_line = o->over_line = o->void_over_line = o->matched_line = -1;
}

static bool dup_opt(char **dst, const char *src)
{
    *dst = NULL;
    if (!src)
        return true;
    return (*dst = strdup(src)) != NULL;
}

int mxd_spf_outcome_copy(mxd_spf_outcome *dst, const mxd_spf_outcome *src)
{
    *dst = *src;
    dst->lines = NULL;
    dst->nlines = 0;
    dst->explanation = dst->dns_name = NULL;
    bool ok = dup_opt(&dst->explanation, src->explanation) && dup_opt(&dst->dns_name, src->dns_name);
    if (ok && src->nlines) {
        dst->lines = calloc(src->nlines, sizeof *dst->lines);
        ok = dst->lines != NULL;
        for (size_t i = 0; ok && i < src->nlines; i++) {
            mxd_spf_line *d = &dst->lines[i];
            const mxd_spf_line *s = &src->lines[i];
            *d = *s;
            d->domain = d->text = d->target = d->err_what = d->err_term = NULL;
            dst->nlines = i + 1; /* from here on, free() releases what was copied */
            ok = dup_opt(&d->domain, s->domain) && dup_opt(&d->text, s->text) &&
                 dup_opt(&d->target, s->target) && dup_opt(&d->err_what, s->err_what) &&
                 dup_opt(&d->err_term, s->err_term);
        }
    }
    if (!ok) {
        mxd_spf_outcome_free(dst);
        return -1;
    }
    return 0;
}

void mxd_spf_result_free(mxd_spf_result *r)
{
    if (!r)
        return;
    mxd_spf_outcome_free(&r->walk);
    mxd_spf_outcome_free(&r->check);
    memset(r, 0, sizeof *r);
}

/* ---- text ----------------------------------------------------------------- */

void mxd_spf_tree_text(const mxd_spf_outcome *o, mxd_sb *out)
{
    for (size_t i = 0; i < o->nlines; i++) {
        const mxd_spf_line *l = &o->lines[i];
        size_t start = out->len;
        for (unsigned d = 0; d < l->depth; d++)
            mxd_sb_puts(out, "    ");
        if (l->kind == MXD_SPF_LINE_RECORD) {
            mxd_sb_printf(out, "%s  ", l->domain ? l->domain : "");
            if (l->rstate == MXD_SPF_REC_OK || l->rstate == MXD_SPF_REC_SYNTAX)
                mxd_sb_puts(out, l->text ? l->text : "");
            else
                mxd_sb_printf(out, "(%s)", mxd_spf_rec_state_name(l->rstate));
            if (l->rstate == MXD_SPF_REC_SYNTAX)
                mxd_sb_printf(out, "  (syntax, column %zu)", l->err_pos + 1);
            mxd_sb_putc(out, '\n');
            continue;
        }
        mxd_sb_printf(out, "  %s", l->text ? l->text : "");
        if (l->counts || l->is_void || l->matched || l->loop) {
            size_t w = out->len - start;
            for (; w < 56; w++)
                mxd_sb_putc(out, ' ');
            mxd_sb_putc(out, ' ');
            if (l->counts)
                mxd_sb_printf(out, "[%u]%s", l->lookups, l->over_limit ? "!" : "");
            if (l->is_void)
                mxd_sb_printf(out, " void %u%s", l->voids, l->void_over ? "!" : "");
            if (l->loop)
                mxd_sb_puts(out, " loop");
            if (l->matched)
                mxd_sb_puts(out, " <=");
        }
        mxd_sb_putc(out, '\n');
    }
}

/* ---- JSON ----------------------------------------------------------------- */

static void json_line(mxd_json *j, const mxd_spf_line *l)
{
    mxd_json_begin_object(j);
    mxd_json_kv_string(j, "kind", l->kind == MXD_SPF_LINE_RECORD ? "record" : "term");
    mxd_json_kv_uint(j, "depth", l->depth);
    mxd_json_kv_string(j, "domain", l->domain);
    if (l->kind == MXD_SPF_LINE_RECORD) {
        mxd_json_kv_string(j, "state", mxd_spf_rec_state_name(l->rstate));
        mxd_json_kv_opt_string(j, "record", l->text);
        mxd_json_kv_uint(j, "records", l->nrecords);
        mxd_json_kv_bool(j, "via_redirect", l->via_redirect);
        if (l->rstate == MXD_SPF_REC_SYNTAX) {
            mxd_json_kv_uint(j, "error_column", l->err_pos + 1);
            mxd_json_kv_opt_string(j, "error", l->err_what);
            mxd_json_kv_opt_string(j, "error_term", l->err_term);
        }
    } else {
        mxd_json_kv_string(j, "term", l->text);
        mxd_json_kv_string(j, "mechanism", mxd_spf_term_kind_name(l->mech));
        mxd_json_kv_opt_string(j, "target", l->target);
        mxd_json_kv_bool(j, "counts", l->counts);
        if (l->counts)
            mxd_json_kv_uint(j, "lookups", l->lookups);
        mxd_json_kv_bool(j, "void", l->is_void);
        mxd_json_kv_uint(j, "void_lookups", l->voids);
        if (l->qstate != MXD_Q_NOT_SENT)
            mxd_json_kv_string(j, "dns", mxd_qstate_name(l->qstate));
        if (l->over_limit)
            mxd_json_kv_bool(j, "over_limit", true);
        if (l->void_over)
            mxd_json_kv_bool(j, "void_over_limit", true);
        if (l->mech == MXD_SPF_T_MX)
            mxd_json_kv_uint(j, "mx_records", l->mx_count);
        if (l->matched)
            mxd_json_kv_bool(j, "matched", true);
        if (l->sender_dependent)
            mxd_json_kv_bool(j, "sender_dependent", true);
        if (l->loop)
            mxd_json_kv_bool(j, "loop", true);
        if (l->bad_target)
            mxd_json_kv_bool(j, "bad_target", true);
    }
    mxd_json_end_object(j);
}

static void json_outcome(mxd_json *j, const mxd_spf_outcome *o)
{
    mxd_json_kv_string(j, "result", mxd_spf_res_name(o->result));
    mxd_json_kv_string(j, "problem", mxd_spf_problem_name(o->problem));
    mxd_json_kv_uint(j, "lookups", o->lookups);
    mxd_json_kv_uint(j, "void_lookups", o->voids);
    if (o->problem == MXD_SPF_P_DNS && o->dns_name) {
        mxd_json_kv_string(j, "dns_name", o->dns_name);
        mxd_json_kv_string(j, "dns_type", mxd_dns_type_name(o->dns_type));
        mxd_json_kv_string(j, "dns_error", mxd_qstate_name(o->dns_state));
    }
    mxd_json_key(j, "tree");
    mxd_json_begin_array(j);
    for (size_t i = 0; i < o->nlines; i++)
        json_line(j, &o->lines[i]);
    mxd_json_end_array(j);
}

void mxd_spf_json(mxd_json *j, const mxd_spf_result *d)
{
    mxd_json_begin_object(j);
    if (d->walked) {
        const mxd_spf_outcome *w = &d->walk;
        mxd_json_kv_string(j, "domain", w->domain);
        const mxd_spf_line *top = w->nlines ? &w->lines[0] : NULL;
        mxd_json_kv_opt_string(j, "record", top && top->rstate != MXD_SPF_REC_NONE ? top->text : NULL);
        mxd_json_kv_uint(j, "records", top ? top->nrecords : 0);
        json_outcome(j, w);
    }
    if (d->check_requested) {
        mxd_json_key(j, "check");
        mxd_json_begin_object(j);
        mxd_json_kv_string(j, "ip", d->ip);
        mxd_json_kv_string(j, "sender", d->sender);
        if (d->checked) {
            const mxd_spf_outcome *c = &d->check;
            mxd_json_kv_string(j, "domain", c->domain);
            mxd_json_kv_opt_string(j, "explanation", c->explanation);
            const mxd_spf_line *m = c->matched_line >= 0 ? &c->lines[c->matched_line] : NULL;
            mxd_json_kv_opt_string(j, "matched", m ? m->text : NULL);
            mxd_json_kv_opt_string(j, "matched_in", m ? m->domain : NULL);
            json_outcome(j, c);
        }
        mxd_json_end_object(j);
    }
    mxd_json_end_object(j);
}
