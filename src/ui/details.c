/* details.c — the details view: the raw data behind the findings.
 *
 * DNS answers in zone-file form, SMTP conversations line by line, and for the
 * propagation and policy steps what each server said: the authoritative
 * servers' answers (with the AA bit and the SOA serial), each resolver's MX set
 * with its remaining TTL and the moment it expires, the SPF record and its
 * include tree with the running count of DNS lookups, and the DMARC, DKIM,
 * MTA-STS, TLS-RPT, PTR and TLSA records as they came.
 *
 * Everything that came from the network is sanitised here on its way to the
 * screen, even where the model says it already is: this is the last place
 * before the terminal, and sanitising twice costs nothing. Protocol words
 * ("aa", "serial", record types) are shown as dig shows them, untranslated;
 * the headings come from the catalog.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mxd/policy.h"
#include "mxd/propagation.h"
#include "mxd/sanitize.h"
#include "mxd/strbuf.h"
#include "uipriv.h"

static void put_name(mxd_sb *sb, const char *name)
{
    char *s = mxd_sanitize_str(name);
    if (!s)
        return;
    mxd_sb_puts(sb, *s ? s : ".");
    if (*s && s[strlen(s) - 1] != '.')
        mxd_sb_putc(sb, '.');
    free(s);
}

/* One record in zone-file presentation. */
static void format_rr(mxd_sb *sb, const mxd_rr *rr)
{
    put_name(sb, rr->name);
    mxd_sb_printf(sb, " %u IN %s ", (unsigned)rr->ttl, mxd_dns_type_name(rr->type));
    char buf[64];
    switch (rr->type) {
    case MXD_T_A:
        inet_ntop(AF_INET, rr->u.a, buf, sizeof buf);
        mxd_sb_puts(sb, buf);
        break;
    case MXD_T_AAAA:
        inet_ntop(AF_INET6, rr->u.aaaa, buf, sizeof buf);
        mxd_sb_puts(sb, buf);
        break;
    case MXD_T_MX:
        mxd_sb_printf(sb, "%u ", (unsigned)rr->u.mx.pref);
        put_name(sb, rr->u.mx.host);
        break;
    case MXD_T_NS:
    case MXD_T_CNAME:
    case MXD_T_PTR:
        put_name(sb, rr->u.target);
        break;
    case MXD_T_SOA:
        put_name(sb, rr->u.soa.mname);
        mxd_sb_putc(sb, ' ');
        put_name(sb, rr->u.soa.rname);
        mxd_sb_printf(sb, " %u %u %u %u %u", (unsigned)rr->u.soa.serial,
                      (unsigned)rr->u.soa.refresh, (unsigned)rr->u.soa.retry,
                      (unsigned)rr->u.soa.expire, (unsigned)rr->u.soa.minimum);
        break;
    case MXD_T_TXT:
    case MXD_T_SPF: {
        char *t = mxd_sanitize(rr->data, rr->data_len, 0, 1024);
        mxd_sb_printf(sb, "\"%s\"", t ? t : "");
        free(t);
        break;
    }
    default:
        /* RFC 3597 generic form, first 64 bytes */
        mxd_sb_printf(sb, "\\# %zu ", rr->data_len);
        for (size_t i = 0; i < rr->data_len && i < 64; i++)
            mxd_sb_printf(sb, "%02x", rr->data[i]);
        if (rr->data_len > 64)
            mxd_sb_puts(sb, "...");
        break;
    }
}

static void details_query(const mxd_query *q, int width, ui_doc *d)
{
    if (q->state == MXD_Q_NOT_SENT)
        return;
    mxd_sb sb = MXD_SB_INIT;
    mxd_sb_printf(&sb, ";; %s ", mxd_dns_type_name(q->type));
    put_name(&sb, q->name);
    mxd_sb_printf(&sb, "  %s", mxd_qstate_name(q->state));
    if (q->state != MXD_Q_PENDING)
        mxd_sb_printf(&sb, "  %u ms", (unsigned)q->elapsed_ms);
    if (q->server[0]) {
        char *s = mxd_sanitize_str(q->server);
        mxd_sb_printf(&sb, "  @%s", s ? s : "");
        free(s);
    }
    if (q->msg)
        mxd_sb_printf(&sb, "  rcode=%s%s", mxd_dns_rcode_name(q->msg->rcode),
                      (q->msg->flags & MXD_F_AA) ? " aa" : "");
    doc_wrap_hang(d, 0, width, 3, NULL, ST_NORMAL, mxd_sb_str(&sb), ST_BOLD);
    if (q->msg) {
        const mxd_rr *sec[3] = { q->msg->an, q->msg->ns, q->msg->ar };
        size_t cnt[3] = { q->msg->nan, q->msg->nns, q->msg->nar };
        static const char *const names[3] = { "answer", "authority", "additional" };
        for (int s = 0; s < 3; s++) {
            size_t shown = 0;
            for (size_t i = 0; i < cnt[s]; i++)
                shown += sec[s][i].type != MXD_T_OPT;
            if (shown == 0)
                continue;
            if (s > 0) {
                char h[32];
                snprintf(h, sizeof h, ";  %s:", names[s]);
                doc_wrap(d, 0, width, ST_DIM, h);
            }
            for (size_t i = 0; i < cnt[s]; i++) {
                if (sec[s][i].type == MXD_T_OPT)
                    continue;
                mxd_sb_clear(&sb);
                format_rr(&sb, &sec[s][i]);
                doc_wrap_hang(d, 2, width - 2, 4, NULL, ST_NORMAL, mxd_sb_str(&sb), ST_CMD);
            }
        }
    }
    mxd_sb_free(&sb);
}

static void details_smtp(const mxd_ui *u, const mxd_target *t, size_t j, int width, ui_doc *d)
{
    const mxd_smtp *s = &t->smtp[j];
    const mxd_addr *a = &t->addrs[j];
    mxd_sb sb = MXD_SB_INIT;
    char *host = mxd_sanitize_str(t->host);
    unsigned port = u->res.opts.smtp_port ? u->res.opts.smtp_port : 25;
    mxd_sb_printf(&sb, "== %s  %s%s%s:%u", host ? host : "", a->family == AF_INET6 ? "[" : "",
                  a->text, a->family == AF_INET6 ? "]" : "", port);
    free(host);
    switch (s->state) {
    case MXD_SMTP_NOT_RUN: mxd_sb_puts(&sb, "  (not run)"); break;
    case MXD_SMTP_SKIPPED: mxd_sb_puts(&sb, "  (skipped)"); break;
    case MXD_SMTP_RUNNING: mxd_sb_puts(&sb, "  (running)"); break;
    case MXD_SMTP_DONE:
        mxd_sb_printf(&sb, "  end=%s  connect %u ms, total %u ms", mxd_smtp_end_name(s->end),
                      (unsigned)s->connect_ms, (unsigned)s->total_ms);
        break;
    }
    if (s->error[0])
        mxd_sb_printf(&sb, "  (%s)", s->error);
    doc_wrap_hang(d, 0, width, 3, NULL, ST_NORMAL, mxd_sb_str(&sb), ST_BOLD);
    if (s->tls_ok) {
        mxd_sb_clear(&sb);
        mxd_sb_printf(&sb, "TLS %s %s", s->tls_version, s->tls_cipher);
        doc_wrap_hang(d, 2, width - 2, 2, NULL, ST_NORMAL, mxd_sb_str(&sb), ST_DIM);
    }
    if (s->cert.present) {
        mxd_sb_clear(&sb);
        mxd_sb_printf(&sb, "cert subject: %s; issuer: %s; names: %s; %s%s%s%s", s->cert.subject,
                      s->cert.issuer, s->cert.names,
                      s->cert.trusted ? "trusted" : "not trusted",
                      s->cert.verify_text[0] ? " (" : "", s->cert.verify_text,
                      s->cert.verify_text[0] ? ")" : "");
        doc_wrap_hang(d, 2, width - 2, 2, NULL, ST_NORMAL, mxd_sb_str(&sb), ST_DIM);
    }
    mxd_sb_free(&sb);
    if (s->transcript && *s->transcript) {
        /* each transcript line on its own, long lines wrapped under themselves */
        const char *p = s->transcript;
        while (*p) {
            size_t n = strcspn(p, "\n");
            char *line = malloc(n + 1);
            if (!line)
                break;
            memcpy(line, p, n);
            line[n] = '\0';
            doc_wrap_hang(d, 2, width - 2, 3, NULL, ST_NORMAL, line,
                          line[0] == 'C' ? ST_NORMAL : ST_CMD);
            free(line);
            p += n;
            if (*p == '\n')
                p++;
        }
    }
}

void build_details_doc(const mxd_ui *u, int width, ui_doc *d)
{
    if (!u->have_input) {
        doc_wrap(d, 0, width, ST_NORMAL, ui_t(u, T_DETAILS_NONE));
        return;
    }
    const mxd_result *r = &u->res;
    doc_wrap(d, 0, width, ST_HEAD, ui_t(u, T_DETAILS_DNS));
    if (r->nresolvers) {
        mxd_sb sb = MXD_SB_INIT;
        mxd_sb_puts(&sb, ";; resolvers:");
        for (unsigned i = 0; i < r->nresolvers && i < 8; i++)
            mxd_sb_printf(&sb, " %s", r->resolvers[i]);
        char *s = mxd_sanitize_str(mxd_sb_str(&sb));
        doc_wrap(d, 0, width, ST_DIM, s ? s : "");
        free(s);
        mxd_sb_free(&sb);
    }
    details_query(&r->mx, width, d);
    details_query(&r->a, width, d);
    details_query(&r->aaaa, width, d);
    for (size_t i = 0; i < r->ntargets; i++) {
        details_query(&r->targets[i].a, width, d);
        details_query(&r->targets[i].aaaa, width, d);
    }
    doc_line(d);
    doc_wrap(d, 0, width, ST_HEAD, ui_t(u, T_DETAILS_SMTP));
    bool any = false;
    for (size_t i = 0; i < r->ntargets; i++) {
        const mxd_target *t = &r->targets[i];
        for (size_t j = 0; t->smtp && j < t->naddrs; j++) {
            details_smtp(u, t, j, width, d);
            any = true;
        }
    }
    if (!any)
        doc_wrap(d, 0, width, ST_DIM, ui_t(u, T_DETAILS_NO_SMTP));
    if (r->propagation && r->propagation->phase != MXD_PROP_NOT_RUN) {
        doc_line(d);
        build_prop_details(u, r->propagation, width, d);
    }
    if (r->policy && r->policy->started) {
        doc_line(d);
        build_policy_details(u, r->policy, width, d);
    }
}


/* ---- propagation and policy ---- */

/* One line of raw data: sanitised, long lines wrapped under themselves. */
static void raw_line(ui_doc *d, int col, int width, ui_style st, const char *raw)
{
    char *s = mxd_sanitize_str(raw ? raw : "");
    if (width - col < 8)
        col = width > 8 ? width - 8 : 0;
    doc_wrap_hang(d, col, width - col, 3, NULL, ST_NORMAL, s ? s : "", st);
    free(s);
}

static void sb_clean(mxd_sb *sb, const char *s)
{
    char *c = mxd_sanitize_str(s ? s : "");
    mxd_sb_puts(sb, c ? c : "");
    free(c);
}

static void subhead(ui_doc *d, int width, const char *text)
{
    doc_wrap(d, 0, width, ST_BOLD, text);
}

/* "2024-05-01 12:34:56" in local time; the reader compares it with a clock. */
static void local_time(time_t t, char *out, size_t cap)
{
    struct tm tm;
    if (!localtime_r(&t, &tm) || strftime(out, cap, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        snprintf(out, cap, "%lld", (long long)t);
}

static void mx_set_line(const mxd_mxanswer *a, int col, int width, ui_doc *d)
{
    mxd_sb sb = MXD_SB_INIT;
    mxd_sb_puts(&sb, "MX ");
    mxd_mxanswer_format(a, &sb);
    if (a->ttl_known)
        mxd_sb_printf(&sb, "  ttl %u", (unsigned)a->ttl);
    raw_line(d, col, width, ST_CMD, mxd_sb_str(&sb));
    mxd_sb_free(&sb);
}

void build_prop_details(const mxd_ui *u, const mxd_propagation *p, int width, ui_doc *d)
{
    if (!p || p->phase == MXD_PROP_NOT_RUN)
        return;
    mxd_sb sb = MXD_SB_INIT;
    doc_wrap(d, 0, width, ST_HEAD, ui_t(u, T_DETAILS_PROP));
    char *zone = mxd_sanitize_str(p->zone[0] ? p->zone : p->domain);
    char *h = ui_tf(u, T_DETAILS_AUTH, "zone", zone ? zone : "", UI_END);
    subhead(d, width, h ? h : "");
    free(h);
    free(zone);
    if (p->zone_state == MXD_ZONE_FAILED || p->zone_state == MXD_ZONE_NO_NS) {
        mxd_sb_printf(&sb, ";; %s: %s", p->zone_state == MXD_ZONE_FAILED ? "zone" : "NS",
                      p->zone_error[0] ? p->zone_error : "?");
        raw_line(d, 2, width, ST_ERRTEXT, mxd_sb_str(&sb));
    }
    for (size_t i = 0; i < p->nservers; i++) {
        const mxd_prop_server *s = &p->servers[i];
        mxd_sb_clear(&sb);
        sb_clean(&sb, s->name);
        if (s->addr.family)
            mxd_sb_printf(&sb, "  %s", s->addr.text);
        mxd_sb_printf(&sb, "  %s", mxd_authsrv_state_name(s->state));
        if (s->reason[0])
            mxd_sb_printf(&sb, " (%s)", s->reason);
        if (s->state != MXD_AUTHSRV_PENDING && s->state != MXD_AUTHSRV_NO_ADDRESS &&
            s->state != MXD_AUTHSRV_SKIPPED) {
            mxd_sb_puts(&sb, s->aa ? "  aa" : "  no aa");
            if (s->has_soa)
                mxd_sb_printf(&sb, "  serial %u  soa ttl %u  minimum %u", (unsigned)s->serial,
                              (unsigned)s->soa_ttl, (unsigned)s->soa_minimum);
            else
                mxd_sb_puts(&sb, "  no SOA");
        }
        raw_line(d, 2, width, s->state == MXD_AUTHSRV_OK ? ST_BOLD : ST_ERRTEXT, mxd_sb_str(&sb));
        if (s->mx.state != MXD_Q_NOT_SENT && s->mx.state != MXD_Q_PENDING)
            mx_set_line(&s->mx, 4, width, d);
    }
    if (p->nresolvers) {
        doc_line(d);
        subhead(d, width, ui_t(u, T_DETAILS_RESOLVERS));
    }
    for (size_t i = 0; i < p->nresolvers; i++) {
        const mxd_prop_resolver *r = &p->resolvers[i];
        mxd_sb_clear(&sb);
        sb_clean(&sb, r->server);
        if (r->label[0]) {
            mxd_sb_puts(&sb, " (");
            sb_clean(&sb, r->label);
            mxd_sb_putc(&sb, ')');
        }
        if (r->compare)
            mxd_sb_puts(&sb, "  --compare-resolvers");
        if (r->skipped)
            mxd_sb_puts(&sb, "  skipped");
        raw_line(d, 2, width, ST_BOLD, mxd_sb_str(&sb));
        if (r->skipped || r->mx.state == MXD_Q_NOT_SENT)
            continue;
        if (r->mx.state == MXD_Q_PENDING) {
            raw_line(d, 4, width, ST_DIM, "...");
            continue;
        }
        mx_set_line(&r->mx, 4, width, d);
        if (r->expires_at && r->mx.ttl_known) {
            char num[16], when[40];
            snprintf(num, sizeof num, "%u", (unsigned)r->mx.ttl);
            local_time(r->expires_at, when, sizeof when);
            char *e = ui_tf(u, T_DETAILS_EXPIRES, "ttl", num, "time", when, UI_END);
            doc_wrap(d, 4, width - 4, ST_NORMAL, e ? e : "");
            free(e);
        }
    }
    mxd_sb_free(&sb);
}

/* ";; TXT _dmarc.example.jp  ok  ad" and each record of the answer. */
static void plookup_lines(const mxd_plookup *l, int width, ui_doc *d)
{
    if (l->state == MXD_Q_NOT_SENT)
        return;
    mxd_sb sb = MXD_SB_INIT;
    mxd_sb_printf(&sb, ";; %s ", mxd_dns_type_name(l->type));
    sb_clean(&sb, l->name);
    mxd_sb_printf(&sb, "  %s%s", mxd_qstate_name(l->state), l->ad ? "  ad" : "");
    raw_line(d, 2, width, ST_DIM, mxd_sb_str(&sb));
    for (size_t i = 0; i < l->nrec; i++) {
        mxd_sb_clear(&sb);
        size_t len = l->len ? l->len[i] : strlen(l->rec[i]);
        if (l->type == MXD_T_TLSA) {
            char t[128];
            mxd_tlsa_format(l->rec[i], len, t, sizeof t);
            mxd_sb_puts(&sb, t);
        } else {
            /* TXT may hold any bytes, NULs and escapes included */
            char *t = mxd_sanitize(l->rec[i], len, 0, 2048);
            mxd_sb_printf(&sb, l->type == MXD_T_TXT ? "\"%s\"" : "%s", t ? t : "");
            free(t);
        }
        raw_line(d, 4, width, ST_CMD, mxd_sb_str(&sb));
    }
    mxd_sb_free(&sb);
}

static void spf_outcome(const mxd_spf_outcome *o, int width, ui_doc *d)
{
    mxd_sb sb = MXD_SB_INIT;
    mxd_sb_printf(&sb, ";; %s: %s  lookups %u/10  void lookups %u/2",
                  o->walk ? "walk" : "check_host", mxd_spf_res_name(o->result), o->lookups, o->voids);
    if (o->problem != MXD_SPF_P_NONE)
        mxd_sb_printf(&sb, "  problem %s", mxd_spf_problem_name(o->problem));
    raw_line(d, 2, width, o->problem != MXD_SPF_P_NONE ? ST_ERRTEXT : ST_DIM, mxd_sb_str(&sb));
    for (size_t i = 0; i < o->nlines; i++) {
        const mxd_spf_line *l = &o->lines[i];
        int col = 2 + 2 * (int)(l->depth < 8 ? l->depth : 8);
        ui_style st = ST_NORMAL;
        mxd_sb_clear(&sb);
        if (l->kind == MXD_SPF_LINE_RECORD) {
            sb_clean(&sb, l->domain);
            if (l->via_redirect)
                mxd_sb_puts(&sb, " (redirect)");
            if (l->text) {
                mxd_sb_puts(&sb, "  \"");
                sb_clean(&sb, l->text);
                mxd_sb_putc(&sb, '"');
            }
            if (l->rstate != MXD_SPF_REC_OK) {
                mxd_sb_printf(&sb, "  [%s", mxd_spf_rec_state_name(l->rstate));
                if (l->rstate == MXD_SPF_REC_MULTIPLE)
                    mxd_sb_printf(&sb, ": %u", l->nrecords);
                if (l->err_what) {
                    mxd_sb_puts(&sb, ": ");
                    sb_clean(&sb, l->err_what);
                    if (l->err_term) {
                        mxd_sb_puts(&sb, " at ");
                        sb_clean(&sb, l->err_term);
                    }
                }
                mxd_sb_putc(&sb, ']');
                st = ST_ERRTEXT;
            }
            raw_line(d, col, width, st == ST_NORMAL ? ST_BOLD : st, mxd_sb_str(&sb));
            continue;
        }
        sb_clean(&sb, l->text);
        if (l->target && (!l->text || !strstr(l->text, l->target))) {
            mxd_sb_puts(&sb, "  -> ");
            sb_clean(&sb, l->target);
        }
        if (l->counts)
            mxd_sb_printf(&sb, "  [lookup %u]", l->lookups);
        if (l->qstate != MXD_Q_NOT_SENT && l->qstate != MXD_Q_OK)
            mxd_sb_printf(&sb, "  %s", mxd_qstate_name((mxd_qstate)l->qstate));
        if (l->is_void)
            mxd_sb_printf(&sb, "  void %u", l->voids);
        if (l->mech == MXD_SPF_T_MX && l->mx_count)
            mxd_sb_printf(&sb, "  %u MX", l->mx_count);
        if (l->sender_dependent)
            mxd_sb_puts(&sb, "  (depends on the sender)");
        if (l->loop)
            mxd_sb_puts(&sb, "  LOOP");
        if (l->bad_target)
            mxd_sb_puts(&sb, "  BAD NAME");
        if (l->over_limit)
            mxd_sb_puts(&sb, "  OVER 10 LOOKUPS");
        if (l->void_over)
            mxd_sb_puts(&sb, "  OVER 2 VOID LOOKUPS");
        if (l->matched)
            mxd_sb_puts(&sb, "  <= matched");
        if (l->over_limit || l->void_over || l->loop || l->bad_target)
            st = ST_ERRTEXT;
        raw_line(d, col + 2, width, st, mxd_sb_str(&sb));
    }
    if (o->explanation) {
        mxd_sb_clear(&sb);
        mxd_sb_puts(&sb, "exp: ");
        sb_clean(&sb, o->explanation);
        raw_line(d, 2, width, ST_NORMAL, mxd_sb_str(&sb));
    }
    mxd_sb_free(&sb);
}

void build_policy_details(const mxd_ui *u, const mxd_policy_result *p, int width, ui_doc *d)
{
    if (!p || !p->started)
        return;
    mxd_sb sb = MXD_SB_INIT;
    doc_wrap(d, 0, width, ST_HEAD, ui_t(u, T_DETAILS_POLICY));

    subhead(d, width, ui_t(u, T_DETAILS_SPF));
    if (p->spf.walked)
        spf_outcome(&p->spf.walk, width, d);
    else
        doc_wrap(d, 2, width - 2, ST_DIM, ui_t(u, T_NOTHING_YET));
    if (p->spf.checked) {
        mxd_sb_puts(&sb, ";; check_host ");
        sb_clean(&sb, p->spf.ip);
        mxd_sb_putc(&sb, ' ');
        sb_clean(&sb, p->spf.sender);
        raw_line(d, 0, width, ST_BOLD, mxd_sb_str(&sb));
        spf_outcome(&p->spf.check, width, d);
    }

    doc_line(d);
    subhead(d, width, "DMARC");
    const mxd_dmarc_result *dm = &p->dmarc;
    plookup_lines(&dm->at_domain, width, d);
    plookup_lines(&dm->at_org, width, d);
    if (dm->discovered && dm->nrecords == 1 && dm->rec.valid) {
        mxd_sb_clear(&sb);
        mxd_sb_puts(&sb, ";; applies: ");
        sb_clean(&sb, dm->record_name);
        mxd_sb_printf(&sb, "  p=%s", mxd_dmarc_p_name(dm->rec.p));
        if (dm->rec.sp != MXD_DMARC_UNSET)
            mxd_sb_printf(&sb, " sp=%s", mxd_dmarc_p_name(dm->rec.sp));
        mxd_sb_printf(&sb, " pct=%u adkim=%c aspf=%c", dm->rec.pct, dm->rec.adkim ? dm->rec.adkim : 'r',
                      dm->rec.aspf ? dm->rec.aspf : 'r');
        raw_line(d, 2, width, ST_BOLD, mxd_sb_str(&sb));
    }
    for (size_t i = 0; i < dm->nauth; i++)
        plookup_lines(&dm->auth[i].q, width, d);

    doc_line(d);
    subhead(d, width, "DKIM");
    mxd_sb_clear(&sb);
    size_t tried_empty = 0;
    for (size_t i = 0; i < p->ndkim; i++) {
        const mxd_dkim_selector *s = &p->dkim[i];
        if (s->q.nrec == 0 && !s->user && !mxd_plookup_failed(&s->q)) {
            /* the common selectors that are not there: one line for all */
            mxd_sb_puts(&sb, tried_empty++ ? ", " : ";; no key: ");
            sb_clean(&sb, s->selector);
            continue;
        }
        plookup_lines(&s->q, width, d);
        if (s->key.is_key) {
            char k[128];
            snprintf(k, sizeof k, ";; %s %u bits%s%s%s%s", s->key.ktype[0] ? s->key.ktype : "rsa",
                     s->key.bits, s->key.revoked ? "  revoked" : "", s->key.testing ? "  t=y" : "",
                     s->key.error[0] ? "  error " : "", s->key.error);
            raw_line(d, 4, width, s->key.valid ? ST_DIM : ST_ERRTEXT, k);
        }
    }
    if (tried_empty)
        raw_line(d, 2, width, ST_DIM, mxd_sb_str(&sb));

    doc_line(d);
    const mxd_mtasts_result *m = &p->mtasts;
    mxd_sb_clear(&sb);
    mxd_sb_printf(&sb, "MTA-STS  %s", mxd_mtasts_state_name(m->state));
    subhead(d, width, mxd_sb_str(&sb));
    details_query(&m->txt, width, d);
    if (m->record[0]) {
        mxd_sb_clear(&sb);
        mxd_sb_puts(&sb, "\"");
        sb_clean(&sb, m->record);
        mxd_sb_puts(&sb, "\"");
        raw_line(d, 2, width, ST_CMD, mxd_sb_str(&sb));
    }
    if (m->http.status || m->http.error[0] || m->skip_reason[0]) {
        mxd_sb_clear(&sb);
        mxd_sb_puts(&sb, ";; GET ");
        sb_clean(&sb, m->url);
        if (m->addr.family)
            mxd_sb_printf(&sb, "  @%s", m->addr.text);
        if (m->skip_reason[0])
            mxd_sb_printf(&sb, "  skipped (%s)", m->skip_reason);
        if (m->http.status) {
            mxd_sb_printf(&sb, "  HTTP %d ", m->http.status);
            sb_clean(&sb, m->http.reason);
        }
        if (m->http.error[0]) {
            mxd_sb_printf(&sb, "  %s: ", m->http.stage);
            sb_clean(&sb, m->http.error);
        }
        raw_line(d, 2, width, ST_DIM, mxd_sb_str(&sb));
    }
    if (m->state == MXD_MTASTS_OK) {
        mxd_sb_clear(&sb);
        mxd_sb_printf(&sb, "mode: %s  max_age: %u", mxd_mtasts_mode_name(m->policy.mode),
                      (unsigned)m->policy.max_age);
        for (size_t i = 0; i < m->policy.nmx; i++) {
            mxd_sb_puts(&sb, "  mx: ");
            sb_clean(&sb, m->policy.mx[i]);
        }
        raw_line(d, 2, width, ST_CMD, mxd_sb_str(&sb));
    }
    if (m->problem[0])
        raw_line(d, 2, width, ST_ERRTEXT, m->problem);

    doc_line(d);
    subhead(d, width, "TLS-RPT");
    plookup_lines(&p->tlsrpt, width, d);

    if (p->nptr) {
        doc_line(d);
        subhead(d, width, "PTR");
    }
    for (size_t i = 0; i < p->nptr; i++) {
        const mxd_ptr *r = &p->ptr[i];
        mxd_sb_clear(&sb);
        mxd_sb_printf(&sb, "%s (", r->addr.text);
        sb_clean(&sb, r->host);
        mxd_sb_printf(&sb, ")%s", r->skipped ? "  skipped" : "");
        if (!r->skipped && r->q.nrec) {
            bool fcrdns = false;
            for (size_t k = 0; k < MXD_PTR_MAX_NAMES && k < r->q.nrec; k++)
                fcrdns = fcrdns || mxd_ptr_confirms(&r->addr, &r->fwd[k]);
            mxd_sb_puts(&sb, fcrdns ? "  forward-confirmed" : "  not forward-confirmed");
        }
        raw_line(d, 2, width, ST_BOLD, mxd_sb_str(&sb));
        plookup_lines(&r->q, width, d);
        for (size_t k = 0; k < MXD_PTR_MAX_NAMES && k < r->q.nrec; k++)
            plookup_lines(&r->fwd[k], width, d);
    }

    if (p->ntlsa) {
        doc_line(d);
        subhead(d, width, "DANE (TLSA)");
    }
    for (size_t i = 0; i < p->ntlsa; i++)
        plookup_lines(&p->tlsa[i].q, width, d);
    mxd_sb_free(&sb);
}
