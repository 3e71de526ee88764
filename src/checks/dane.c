/* dane.c — DANE for SMTP: TLSA records against the certificates (see dane.h).
 *
 * Pure: reads the policy step's TLSA answer and the SMTP step's results. The
 * severities follow what a sender that enforces DANE does:
 *   - a validated, usable record that no certificate matches, or a server
 *     that does not do TLS at all, makes such senders hold the mail and
 *     finally bounce it: fail, and among the likely causes in the summary;
 *   - validated records of which none is usable make those senders fall back
 *     to unauthenticated TLS (RFC 7672 §2.2): mail flows, the protection the
 *     domain meant to have does not: warn;
 *   - records that are not validated are ignored by every sender: info.
 * When the certificates could not be seen (--no-smtp, port 25 blocked, the
 * server down) nothing is guessed: dane.present says the comparison was not
 * possible, and the smtp.* findings say why.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mxd/dane.h"
#include "mxd/strbuf.h"

#define STEP "policy"

bool mxd_tlsa_parse(const char *rdata, size_t len, mxd_tlsa_rr *out)
{
    if (!rdata || len < 4)
        return false;
    const uint8_t *d = (const uint8_t *)rdata;
    out->usage = d[0];
    out->selector = d[1];
    out->mtype = d[2];
    out->data = d + 3;
    out->len = len - 3;
    return true;
}

/* Digest size for a matching type; 0 for the full DER, -1 when unknown. */
static int digest_len(int mtype)
{
    return mtype == MXD_TLSA_FULL ? 0 : mtype == MXD_TLSA_SHA256 ? 32
                                      : mtype == MXD_TLSA_SHA512 ? 64 : -1;
}

bool mxd_tlsa_usable(const mxd_tlsa_rr *t)
{
    if (t->usage != MXD_DANE_TA && t->usage != MXD_DANE_EE)
        return false;
    if (t->selector != MXD_TLSA_SEL_CERT && t->selector != MXD_TLSA_SEL_SPKI)
        return false;
    int dl = digest_len(t->mtype);
    return dl < 0 ? false : dl == 0 ? t->len > 0 : t->len == (size_t)dl;
}

static bool match_one(const mxd_tlsa_rr *t, const mxd_cert_der *c)
{
    uint8_t md[MXD_TLSA_DIGEST_MAX];
    const uint8_t *got;
    long n = mxd_cert_der_select(c, t->selector, t->mtype, md, &got);
    return n >= 0 && (size_t)n == t->len && memcmp(got, t->data, t->len) == 0;
}

bool mxd_dane_matches(const mxd_tlsa_rr *t, const mxd_smtp *s)
{
    if (!mxd_tlsa_usable(t) || !s->nchain)
        return false;
    if (t->usage == MXD_DANE_EE)
        return match_one(t, &s->chain[0]);
    /* DANE-TA: a trust anchor vouches only for certificates issued under it,
     * and only for the name it is published for. */
    if (!s->cert.name_matches)
        return false;
    for (size_t i = 0; i < s->nchain; i++) {
        if (match_one(t, &s->chain[i]))
            return true;
        if (!s->chain[i].signed_by_next)
            break;
    }
    return false;
}

bool mxd_dane_leaf_hex(const mxd_smtp *s, int selector, int mtype, char *out, size_t cap)
{
    uint8_t md[MXD_TLSA_DIGEST_MAX];
    const uint8_t *got;
    long n = s->nchain ? mxd_cert_der_select(&s->chain[0], selector, mtype, md, &got) : -1;
    if (n < 0 || (size_t)n * 2 + 1 > cap)
        return false;
    for (long i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", got[i]);
    out[2 * n] = '\0';
    return true;
}

/* ---- the check ---------------------------------------------------------------- */

/* "3 1 1 0a1b…, 2 0 1 …" over the records, or only the usable ones. */
static void record_list(const mxd_plookup *q, bool usable_only, mxd_sb *sb)
{
    for (size_t k = 0; k < q->nrec; k++) {
        mxd_tlsa_rr t;
        if (usable_only && !(mxd_tlsa_parse(q->rec[k], q->len[k], &t) && mxd_tlsa_usable(&t)))
            continue;
        char one[64];
        mxd_tlsa_format(q->rec[k], q->len[k], one, sizeof one);
        mxd_sb_printf(sb, "%s%s", sb->len ? ", " : "", one);
    }
}

static mxd_finding *add(mxd_findings *out, const char *id, mxd_severity sev, const mxd_tlsa *t,
                        const char *records)
{
    mxd_finding *f = mxd_findings_add(out, STEP, id, sev, t->host);
    mxd_finding_param(f, "host", t->host);
    mxd_finding_param(f, "name", t->q.name);
    mxd_finding_param(f, "records", records);
    return f;
}

/* Records seen, but nothing about the certificates can be said. */
static void present(mxd_findings *out, const mxd_tlsa *t, const char *reason)
{
    mxd_sb recs = MXD_SB_INIT;
    record_list(&t->q, false, &recs);
    mxd_finding *f = add(out, "dane.present", MXD_SEV_INFO, t, mxd_sb_str(&recs));
    mxd_finding_paramf(f, "count", "%zu", t->q.nrec);
    mxd_finding_param(f, "dnssec", t->q.ad ? "validated" : "not_validated");
    mxd_finding_param(f, "reason", reason);
    mxd_sb_free(&recs);
}

/* A server a sender could talk to at all; the rest is the smtp.* findings' story. */
static bool reached(const mxd_smtp *s)
{
    return s->state == MXD_SMTP_DONE && s->greeting_code / 100 == 2 &&
           (s->end == MXD_SMTP_END_OK || s->end == MXD_SMTP_END_TLS_FAILED);
}

static const mxd_target *target_of(const mxd_result *r, const char *host)
{
    for (size_t i = 0; r && i < r->ntargets; i++) {
        const mxd_target *tg = &r->targets[i];
        if (!tg->null_mx && tg->duplicate_of < 0 && strcasecmp(tg->host, host) == 0)
            return tg;
    }
    return NULL;
}

static bool matches_any(const mxd_plookup *q, const mxd_smtp *s)
{
    for (size_t k = 0; k < q->nrec; k++) {
        mxd_tlsa_rr t;
        if (mxd_tlsa_parse(q->rec[k], q->len[k], &t) && mxd_dane_matches(&t, s))
            return true;
    }
    return false;
}

void mxd_check_dane(const mxd_result *r, const mxd_tlsa *t, mxd_findings *out)
{
    if (t->q.state != MXD_Q_OK || !t->q.nrec)
        return;
    if (!t->q.ad) {
        present(out, t, "not_validated");
        return;
    }
    mxd_sb usable = MXD_SB_INIT;
    record_list(&t->q, true, &usable);
    if (!usable.len) {
        mxd_sb all = MXD_SB_INIT;
        record_list(&t->q, false, &all);
        mxd_finding *f = add(out, "dane.unusable", MXD_SEV_WARN, t, mxd_sb_str(&all));
        mxd_finding_paramf(f, "count", "%zu", t->q.nrec);
        mxd_sb_free(&all);
        mxd_sb_free(&usable);
        return;
    }
    const mxd_target *tg = r && !r->opts.no_smtp ? target_of(r, t->host) : NULL;
    if (tg && (tg->a.state == MXD_Q_PENDING || tg->aaaa.state == MXD_Q_PENDING)) {
        mxd_sb_free(&usable);
        return; /* the host's addresses, and so its probes, are still to come */
    }
    bool probed = false;
    for (size_t j = 0; tg && j < tg->naddrs; j++) {
        if (tg->smtp[j].state == MXD_SMTP_RUNNING) {
            mxd_sb_free(&usable);
            return; /* judged once every address of the host has been seen */
        }
        probed = probed || tg->smtp[j].state == MXD_SMTP_DONE;
    }
    size_t compared = 0, bad = 0;
    mxd_sb good = MXD_SB_INIT;
    for (size_t j = 0; tg && j < tg->naddrs; j++) {
        const mxd_smtp *s = &tg->smtp[j];
        const char *addr = tg->addrs[j].text;
        if (!reached(s))
            continue;
        compared++;
        mxd_finding *f;
        if (!s->tls_ok || !s->nchain) {
            bad++;
            f = add(out, "dane.no_starttls", MXD_SEV_FAIL, t, mxd_sb_str(&usable));
            mxd_finding_param(f, "address", addr);
            mxd_finding_param(f, "reason", s->starttls_offered ? "tls_failed" : "no_starttls");
            continue;
        }
        if (matches_any(&t->q, s)) {
            mxd_sb_printf(&good, "%s%s", good.len ? ", " : "", addr);
            continue;
        }
        bad++;
        /* What the server's key actually hashes to: the record to publish
         * (DANE-EE, key, SHA-256 — the form RFC 7671 §5.1 recommends). */
        char hex[2 * 32 + 1];
        f = add(out, "dane.mismatch", MXD_SEV_FAIL, t, mxd_sb_str(&usable));
        mxd_finding_param(f, "address", addr);
        if (mxd_dane_leaf_hex(s, MXD_TLSA_SEL_SPKI, MXD_TLSA_SHA256, hex, sizeof hex))
            mxd_finding_paramf(f, "publish", "3 1 1 %s", hex);
        else
            mxd_finding_param(f, "publish", "-");
        mxd_finding_param(f, "names", s->cert.names[0] ? s->cert.names : "-");
    }
    if (!compared)
        present(out, t, probed ? "not_reached" : "no_smtp");
    else if (!bad) {
        mxd_finding *f = add(out, "dane.match", MXD_SEV_PASS, t, mxd_sb_str(&usable));
        mxd_finding_param(f, "addresses", mxd_sb_str(&good));
    }
    mxd_sb_free(&good);
    mxd_sb_free(&usable);
}
