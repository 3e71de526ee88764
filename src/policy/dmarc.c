/* dmarc.c — DMARC records (RFC 7489): recognising, parsing, policy discovery,
 * and the organisational domain (libpsl). Pure functions; no I/O.
 *
 * The parser is stricter than most receivers on purpose: a tag that a receiver
 * would silently ignore or fall back from (p=rejct) is exactly what a person
 * fixing the record needs to see. Unknown tags stay allowed (RFC 7489 §6.3),
 * so future tags (np, psd, t from DMARCbis) never make a good record "invalid".
 */
#include <libpsl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mxd/policy.h"

const char *mxd_dmarc_p_name(mxd_dmarc_p p)
{
    switch (p) {
    case MXD_DMARC_NONE: return "none";
    case MXD_DMARC_QUARANTINE: return "quarantine";
    case MXD_DMARC_REJECT: return "reject";
    case MXD_DMARC_UNSET: break;
    }
    return "";
}

static bool is_wsp(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool mxd_dmarc_is_record(const char *txt, size_t len)
{
    const char *p = txt, *end = txt + len;
    while (p < end && is_wsp(*p))
        p++;
    if (p == end || (*p != 'v' && *p != 'V'))
        return false;
    p++;
    while (p < end && is_wsp(*p))
        p++;
    if (p == end || *p != '=')
        return false;
    p++;
    while (p < end && is_wsp(*p))
        p++;
    /* "DMARC1" must match exactly for a receiver; a lower-case "dmarc1" is
     * still recognised here so that the person sees it reported as invalid,
     * not as a missing record. */
    return end - p >= 6 && strncasecmp(p, "DMARC1", 6) == 0;
}

static bool value_is(const mxd_tag *t, const char *s)
{
    size_t n = strlen(s);
    return t->value_len == n && strncasecmp(t->value, s, n) == 0;
}

static bool parse_policy(const mxd_tag *t, mxd_dmarc_p *out)
{
    if (value_is(t, "none"))
        *out = MXD_DMARC_NONE;
    else if (value_is(t, "quarantine"))
        *out = MXD_DMARC_QUARANTINE;
    else if (value_is(t, "reject"))
        *out = MXD_DMARC_REJECT;
    else
        return false;
    return true;
}

/* 1..digits decimal digits, value <= max. */
static bool parse_uint(const char *s, size_t n, size_t digits, unsigned long long max,
                       unsigned long long *out)
{
    if (n == 0 || n > digits)
        return false;
    unsigned long long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

static bool is_uri_scheme_char(char c, bool first)
{
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    return alpha || (!first && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
}

/* One DMARC URI (RFC 7489 §6.2): URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ]. */
static bool parse_uri(const char *s, size_t n, mxd_dmarc_uri *out)
{
    memset(out, 0, sizeof *out);
    const char *bang = memchr(s, '!', n);
    if (bang) {
        const char *d = bang + 1, *e = s + n;
        if (d < e && (e[-1] == 'k' || e[-1] == 'm' || e[-1] == 'g' || e[-1] == 't' ||
                      e[-1] == 'K' || e[-1] == 'M' || e[-1] == 'G' || e[-1] == 'T'))
            e--;
        if (d == e)
            return false;
        for (; d < e; d++)
            if (*d < '0' || *d > '9')
                return false;
        n = (size_t)(bang - s);
    }
    if (n == 0 || n >= sizeof out->uri)
        return false;
    size_t i = 0;
    while (i < n && is_uri_scheme_char(s[i], i == 0))
        i++;
    if (i == 0 || i >= n || s[i] != ':' || i + 1 == n)
        return false;
    for (size_t k = 0; k < n; k++)
        if ((unsigned char)s[k] <= 0x20 || (unsigned char)s[k] >= 0x7F)
            return false;
    memcpy(out->uri, s, n);
    out->uri[n] = '\0';
    if (i == 6 && strncasecmp(s, "mailto", 6) == 0) {
        const char *at = NULL;
        for (size_t k = i + 1; k < n; k++)
            if (s[k] == '@')
                at = s + k;
        if (!at)
            return false;
        const char *dom = at + 1, *end = s + n;
        const char *q = memchr(dom, '?', (size_t)(end - dom)); /* mailto:a@b?subject=x */
        if (q)
            end = q;
        size_t dl = (size_t)(end - dom);
        if (dl == 0 || dl >= sizeof out->domain)
            return false;
        for (size_t k = 0; k < dl; k++) {
            char c = dom[k];
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                  c == '_'))
                return false;
            out->domain[k] = c;
        }
        out->domain[dl] = '\0';
        if (out->domain[dl - 1] == '.')
            out->domain[dl - 1] = '\0';
    }
    return true;
}

static bool parse_uri_list(const mxd_tag *t, mxd_dmarc_uri *v, size_t *n)
{
    const char *p = t->value, *end = t->value + t->value_len;
    *n = 0;
    if (p == end)
        return false;
    while (p <= end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        const char *a = p, *b = stop;
        while (a < b && is_wsp(*a))
            a++;
        while (b > a && is_wsp(b[-1]))
            b--;
        mxd_dmarc_uri u;
        if (!parse_uri(a, (size_t)(b - a), &u))
            return false;
        if (*n < MXD_DMARC_MAX_URIS)
            v[(*n)++] = u;
        if (!comma)
            break;
        p = comma + 1;
    }
    return true;
}

/* Colon-separated tokens, each one of allowed's characters (fo) or, when
 * allowed is NULL, a keyword of letters and digits (rf). */
static bool parse_colon_list(const mxd_tag *t, const char *allowed)
{
    const char *p = t->value, *end = t->value + t->value_len;
    if (p == end)
        return false;
    for (;;) {
        while (p < end && is_wsp(*p))
            p++;
        const char *s = p;
        while (p < end && *p != ':' && !is_wsp(*p))
            p++;
        size_t n = (size_t)(p - s);
        if (n == 0)
            return false;
        if (allowed) {
            if (n != 1 || !strchr(allowed, s[0]))
                return false;
        } else {
            for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
                    return false;
            }
        }
        while (p < end && is_wsp(*p))
            p++;
        if (p == end)
            return true;
        if (*p != ':')
            return false;
        p++;
    }
}

static void set_bad(mxd_dmarc_rec *out, const char *tag, size_t tag_len, const char *value,
                    size_t value_len)
{
    if (!out->valid)
        return; /* keep the first problem */
    out->valid = false;
    if (tag_len >= sizeof out->bad_tag)
        tag_len = sizeof out->bad_tag - 1;
    memcpy(out->bad_tag, tag, tag_len);
    out->bad_tag[tag_len] = '\0';
    if (value_len >= sizeof out->bad_value)
        value_len = sizeof out->bad_value - 1;
    memcpy(out->bad_value, value, value_len);
    out->bad_value[value_len] = '\0';
}

static void add_unknown(mxd_dmarc_rec *out, const mxd_tag *t)
{
    size_t have = strlen(out->unknown);
    if (have + t->name_len + 2 > sizeof out->unknown)
        return;
    if (have)
        out->unknown[have++] = ' ';
    memcpy(out->unknown + have, t->name, t->name_len);
    out->unknown[have + t->name_len] = '\0';
}

enum { T_V, T_P, T_SP, T_NP, T_PCT, T_ADKIM, T_ASPF, T_RUA, T_RUF, T_RI, T_FO, T_RF,
       T_PSD, T_T, T_COUNT };
static const char *const tag_names[T_COUNT] = { "v", "p", "sp", "np", "pct", "adkim", "aspf",
                                                "rua", "ruf", "ri", "fo", "rf", "psd", "t" };

static bool check_tag(int k, const mxd_tag *t, mxd_dmarc_rec *out)
{
    unsigned long long v;
    mxd_dmarc_p np;
    switch (k) {
    case T_V: return t->value_len == 6 && memcmp(t->value, "DMARC1", 6) == 0;
    case T_P: return parse_policy(t, &out->p);
    case T_SP: return parse_policy(t, &out->sp);
    case T_NP: return parse_policy(t, &np);
    case T_PCT:
        if (!parse_uint(t->value, t->value_len, 3, 100, &v))
            return false;
        out->pct = (unsigned)v;
        return true;
    case T_ADKIM:
    case T_ASPF:
        if (!value_is(t, "r") && !value_is(t, "s"))
            return false;
        *(k == T_ADKIM ? &out->adkim : &out->aspf) = (char)(t->value[0] | 0x20);
        return true;
    case T_RUA: return parse_uri_list(t, out->rua, &out->nrua);
    case T_RUF: return parse_uri_list(t, out->ruf, &out->nruf);
    case T_RI: return parse_uint(t->value, t->value_len, 10, 4294967295ull, &v);
    case T_FO: return parse_colon_list(t, "01ds");
    case T_RF: return parse_colon_list(t, NULL);
    case T_PSD: return value_is(t, "y") || value_is(t, "n") || value_is(t, "u");
    case T_T: return value_is(t, "y") || value_is(t, "n");
    }
    return true;
}

bool mxd_dmarc_parse(const char *txt, size_t len, mxd_dmarc_rec *out)
{
    memset(out, 0, sizeof *out);
    out->valid = true;
    out->pct = 100;
    out->adkim = out->aspf = 'r';
    bool seen[T_COUNT] = { false };
    const char *p = txt, *end = txt + len;
    mxd_tag t;
    int rc;
    bool first = true;
    while ((rc = mxd_taglist_next(&p, end, &t)) == 1) {
        int k = -1;
        for (int i = 0; i < T_COUNT; i++)
            if (mxd_tag_is(&t, tag_names[i]))
                k = i;
        if (first && k != T_V) {
            /* v=DMARC1 must come first (RFC 7489 §6.3). */
            set_bad(out, "v", 1, t.name, t.name_len);
            return false;
        }
        first = false;
        if (k < 0) {
            add_unknown(out, &t);
            continue;
        }
        if (seen[k] || !check_tag(k, &t, out)) {
            set_bad(out, t.name, t.name_len, t.value, t.value_len);
            return false;
        }
        seen[k] = true;
    }
    if (rc < 0) {
        if (first)
            set_bad(out, "v", 1, t.value, t.value_len);
        else
            set_bad(out, t.name_len ? t.name : "?", t.name_len ? t.name_len : 1, t.value,
                    t.value_len);
        return false;
    }
    if (!seen[T_V]) {
        set_bad(out, "v", 1, "", 0);
        return false;
    }
    if (!seen[T_P]) {
        set_bad(out, "p", 1, "", 0);
        return false;
    }
    return true;
}

/* ---- organisational domain ---------------------------------------------------- */

static bool ends_with_label(const char *name, const char *label)
{
    size_t n = strlen(name), l = strlen(label);
    return n >= l && strcmp(name + n - l, label) == 0 && (n == l || name[n - l - 1] == '.');
}

bool mxd_org_domain(const char *domain, char *out, size_t cap)
{
    char lc[256];
    size_t n = strlen(domain);
    if (n && domain[n - 1] == '.')
        n--;
    if (!cap)
        return false;
    if (n >= sizeof lc || n >= cap) {
        snprintf(out, cap, "%s", domain);
        return false;
    }
    for (size_t i = 0; i < n; i++)
        lc[i] = (domain[i] >= 'A' && domain[i] <= 'Z') ? (char)(domain[i] - 'A' + 'a') : domain[i];
    lc[n] = '\0';
    memcpy(out, lc, n + 1);
    const char *r = NULL;
    const psl_ctx_t *psl = psl_builtin();
    if (ends_with_label(lc, "test") || !psl) {
        /* The lab's .test names (RFC 2606) have no public suffix entry: the
         * last two labels stand for the registered domain. Also the fallback
         * when libpsl was built without a list. */
        const char *dot = strrchr(lc, '.');
        if (!dot)
            return false;
        const char *p = dot;
        while (p > lc && p[-1] != '.')
            p--;
        r = p;
    } else {
        r = psl_registrable_domain(psl, lc);
    }
    if (!r)
        return false;
    memmove(out, r, strlen(r) + 1);
    return true;
}

/* ---- policy discovery (RFC 7489 §6.6.3) ---------------------------------------- */

static size_t count_records(const mxd_plookup *l, size_t *first)
{
    size_t n = 0;
    if (l->state != MXD_Q_OK)
        return 0;
    for (size_t i = 0; i < l->nrec; i++)
        if (mxd_dmarc_is_record(l->rec[i], l->len[i])) {
            if (!n)
                *first = i;
            n++;
        }
    return n;
}

static void use(mxd_dmarc_result *d, const mxd_plookup *l, const char *policy_domain)
{
    size_t first = 0;
    d->nrecords = count_records(l, &first);
    snprintf(d->record_name, sizeof d->record_name, "%s", l->name);
    if (!d->nrecords)
        return;
    snprintf(d->policy_domain, sizeof d->policy_domain, "%s", policy_domain);
    if (d->nrecords != 1)
        return;
    d->text = l->rec[first];
    d->text_len = l->len[first];
    if (!mxd_dmarc_parse(d->text, d->text_len, &d->rec))
        return;
    /* Reports sent outside the policy domain's organisation need that
     * domain's consent, or receivers drop the address (RFC 7489 §7.1). */
    char org[256], rorg[256];
    mxd_org_domain(d->policy_domain, org, sizeof org);
    for (size_t i = 0; i < d->rec.nrua; i++) {
        const mxd_dmarc_uri *u = &d->rec.rua[i];
        if (!u->domain[0])
            continue;
        mxd_org_domain(u->domain, rorg, sizeof rorg);
        if (strcmp(org, rorg) == 0)
            continue;
        bool dup = false;
        for (size_t k = 0; k < d->nauth; k++)
            dup = dup || strcmp(d->auth[k].domain, u->domain) == 0;
        if (dup || d->nauth >= MXD_DMARC_MAX_URIS)
            continue;
        mxd_dmarc_auth *a = &d->auth[d->nauth++];
        memset(a, 0, sizeof *a);
        snprintf(a->uri, sizeof a->uri, "%s", u->uri);
        snprintf(a->domain, sizeof a->domain, "%s", u->domain);
        snprintf(a->q.name, sizeof a->q.name, "%s._report._dmarc.%s", d->policy_domain, u->domain);
        a->q.type = MXD_T_TXT;
    }
}

void mxd_dmarc_discover(mxd_dmarc_result *d)
{
    if (d->discovered || d->at_domain.state == MXD_Q_PENDING ||
        d->at_org.state == MXD_Q_PENDING || d->at_domain.state == MXD_Q_NOT_SENT)
        return;
    d->discovered = true;
    size_t first;
    if (mxd_plookup_failed(&d->at_domain)) {
        d->lookup_failed = true;
        snprintf(d->record_name, sizeof d->record_name, "%s", d->at_domain.name);
        return;
    }
    if (count_records(&d->at_domain, &first)) {
        use(d, &d->at_domain, d->domain);
        return;
    }
    if (d->at_org.state == MXD_Q_NOT_SENT) {
        snprintf(d->record_name, sizeof d->record_name, "%s", d->at_domain.name);
        return;
    }
    if (mxd_plookup_failed(&d->at_org)) {
        d->lookup_failed = true;
        snprintf(d->record_name, sizeof d->record_name, "%s", d->at_org.name);
        return;
    }
    use(d, &d->at_org, d->org_domain);
}
