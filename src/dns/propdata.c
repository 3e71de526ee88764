/* propdata.c — the propagation step's data: MX sets, serial order, freeing
 * (see propagation.h). Pure functions: no I/O, no clock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mxd/dnsclient.h"
#include "mxd/propagation.h"
#include "mxd/strbuf.h"

const char *mxd_authsrv_state_name(mxd_authsrv_state s)
{
    static const char *const n[] = { "pending", "ok", "lame", "timeout", "error",
                                     "no_address", "skipped" };
    return (unsigned)s < sizeof n / sizeof n[0] ? n[s] : "?";
}

mxd_serial_order mxd_serial_compare(uint32_t a, uint32_t b)
{
    if (a == b)
        return MXD_SERIAL_EQUAL;
    /* RFC 1982 §3.2: a < b when b is ahead of a by less than half the circle.
     * Unsigned subtraction wraps, which is exactly the circle. */
    uint32_t ahead = b - a;
    if (ahead == 0x80000000u)
        return MXD_SERIAL_UNDEFINED;
    return ahead < 0x80000000u ? MXD_SERIAL_LESS : MXD_SERIAL_GREATER;
}

bool mxd_mxanswer_usable(const mxd_mxanswer *a)
{
    return a->state == MXD_Q_OK || a->state == MXD_Q_NODATA || a->state == MXD_Q_NXDOMAIN;
}

bool mxd_mxanswer_same(const mxd_mxanswer *a, const mxd_mxanswer *b)
{
    if (!mxd_mxanswer_usable(a) || !mxd_mxanswer_usable(b))
        return false;
    bool a_none = a->state != MXD_Q_OK || a->n == 0, b_none = b->state != MXD_Q_OK || b->n == 0;
    if (a_none || b_none)
        return a_none && b_none;
    if (a->n != b->n)
        return false;
    /* Sets without duplicates (mxd_mxanswer_from_msg removes them): equal
     * sizes and every pair of a found in b. Order does not matter. */
    for (size_t i = 0; i < a->n; i++) {
        bool found = false;
        for (size_t k = 0; k < b->n && !found; k++)
            found = a->v[i].pref == b->v[k].pref && mxd_dns_name_eq(a->v[i].host, b->v[k].host);
        if (!found)
            return false;
    }
    return true;
}

void mxd_mxanswer_free(mxd_mxanswer *a)
{
    free(a->v);
    memset(a, 0, sizeof *a);
}

static int cmp_rec(const void *x, const void *y)
{
    const mxd_mxrec *a = x, *b = y;
    if (a->pref != b->pref)
        return a->pref < b->pref ? -1 : 1;
    return strcmp(a->host, b->host);
}

/* Canonical host: lower case, no trailing dot, "." for the root (a null MX). */
static void canon_host(const char *in, char *out, size_t cap)
{
    if (!mxd_dns_name_canon(in, out, cap)) {
        size_t n = strlen(in);
        if (n >= cap)
            n = cap - 1;
        memcpy(out, in, n);
        out[n] = '\0';
        for (char *p = out; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
    }
}

int mxd_mxanswer_from_msg(mxd_mxanswer *out, mxd_qstate st, const mxd_dnsmsg *m)
{
    memset(out, 0, sizeof *out);
    out->state = st;
    if (!m)
        return 0;
    if (st == MXD_Q_OK) {
        /* The MX records of the name asked, or of the end of its CNAME chain:
         * follow the chain through the answer section (bounded by its size). */
        char owner[MXD_NAME_MAX];
        memcpy(owner, m->qname, sizeof owner);
        for (size_t hop = 0; hop < m->nan; hop++) {
            const mxd_rr *cn = NULL;
            for (size_t i = 0; i < m->nan && !cn; i++)
                if (m->an[i].type == MXD_T_CNAME && mxd_dns_name_eq(m->an[i].name, owner))
                    cn = &m->an[i];
            if (!cn)
                break;
            snprintf(owner, sizeof owner, "%s", cn->u.target);
        }
        size_t n = 0;
        for (size_t i = 0; i < m->nan; i++)
            n += m->an[i].type == MXD_T_MX && mxd_dns_name_eq(m->an[i].name, owner);
        if (n == 0) {
            out->state = MXD_Q_NODATA;
        } else {
            out->v = calloc(n, sizeof *out->v);
            if (!out->v) {
                out->state = MXD_Q_ERROR;
                return -1;
            }
            uint32_t ttl = UINT32_MAX;
            for (size_t i = 0; i < m->nan; i++) {
                const mxd_rr *rr = &m->an[i];
                if (rr->type != MXD_T_MX || !mxd_dns_name_eq(rr->name, owner))
                    continue;
                mxd_mxrec *r = &out->v[out->n++];
                r->pref = rr->u.mx.pref;
                canon_host(rr->u.mx.host, r->host, sizeof r->host);
                if (rr->ttl < ttl)
                    ttl = rr->ttl;
            }
            qsort(out->v, out->n, sizeof *out->v, cmp_rec);
            size_t w = 0; /* a set: the same pair twice is one record */
            for (size_t i = 0; i < out->n; i++)
                if (w == 0 || cmp_rec(&out->v[w - 1], &out->v[i]) != 0)
                    out->v[w++] = out->v[i];
            out->n = w;
            out->ttl = ttl;
            out->ttl_known = true;
            return 0;
        }
    }
    if (out->state == MXD_Q_NODATA || out->state == MXD_Q_NXDOMAIN) {
        /* RFC 2308 §5: a negative answer lives as long as the SOA's TTL in the
         * authority section (the server already applied min(TTL, MINIMUM);
         * a resolver counts it down). */
        for (size_t i = 0; i < m->nns; i++)
            if (m->ns[i].type == MXD_T_SOA) {
                out->ttl = m->ns[i].ttl;
                out->ttl_known = true;
                break;
            }
    }
    return 0;
}

void mxd_mxanswer_format(const mxd_mxanswer *a, mxd_sb *sb)
{
    switch (a->state) {
    case MXD_Q_OK:
        for (size_t i = 0; i < a->n; i++)
            mxd_sb_printf(sb, "%s%u %s", i ? ", " : "", a->v[i].pref, a->v[i].host);
        break;
    case MXD_Q_NODATA: mxd_sb_puts(sb, "NODATA"); break;
    case MXD_Q_NXDOMAIN: mxd_sb_puts(sb, "NXDOMAIN"); break;
    default: mxd_sb_puts(sb, mxd_qstate_name(a->state)); break;
    }
}

void mxd_propagation_result_free(mxd_propagation *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->nservers; i++) {
        mxd_mxanswer_free(&d->servers[i].mx);
        mxd_query_reset(&d->servers[i].soa_q);
        mxd_query_reset(&d->servers[i].mx_q);
    }
    free(d->servers);
    for (size_t i = 0; i < d->nresolvers; i++) {
        mxd_mxanswer_free(&d->resolvers[i].mx);
        mxd_query_reset(&d->resolvers[i].q);
    }
    free(d->resolvers);
    memset(d, 0, sizeof *d);
}

/* Operators' own documentation gives these addresses: developers.google.com/speed/public-dns,
 * developers.cloudflare.com/1.1.1.1, quad9.net, opendns.com. */
const mxd_public_resolver mxd_public_resolvers[] = {
    { "google", "8.8.8.8:53" },
    { "cloudflare", "1.1.1.1:53" },
    { "quad9", "9.9.9.9:53" },
    { "opendns", "208.67.222.222:53" },
    { NULL, NULL },
};

bool mxd_propagation_resolver_parse(const char *item, char *addr, size_t addrcap,
                                    char *label, size_t labelcap)
{
    if (!item || !*item)
        return false;
    for (const mxd_public_resolver *p = mxd_public_resolvers; p->name; p++)
        if (strcasecmp(item, p->name) == 0) {
            size_t a = strlen(p->address), l = strlen(p->name);
            if (a >= addrcap || l >= labelcap)
                return false;
            memcpy(addr, p->address, a + 1);
            memcpy(label, p->name, l + 1);
            return true;
        }
    if (!mxd_dns_server_normalize(item, addr, addrcap))
        return false;
    if (labelcap)
        label[0] = '\0';
    return true;
}
