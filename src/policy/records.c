/* records.c — the policy step's small pure helpers (see policy.h): one lookup's
 * records, tag lists, reverse names, forward confirmation, TLSA display. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "mxd/policy.h"

/* ---- one lookup ------------------------------------------------------------- */

static void plookup_clear_records(mxd_plookup *l)
{
    for (size_t i = 0; i < l->nrec; i++)
        free(l->rec[i]);
    free(l->rec);
    free(l->len);
    l->rec = NULL;
    l->len = NULL;
    l->nrec = 0;
}

void mxd_plookup_free(mxd_plookup *l)
{
    if (!l)
        return;
    plookup_clear_records(l);
    l->state = MXD_Q_NOT_SENT;
    l->ad = false;
}

bool mxd_plookup_failed(const mxd_plookup *l)
{
    return l->state == MXD_Q_SERVFAIL || l->state == MXD_Q_REFUSED ||
           l->state == MXD_Q_TIMEOUT || l->state == MXD_Q_ERROR;
}

/* The record's data as text (A/AAAA/PTR) or bytes (TXT, TLSA, others). */
static char *rr_text(const mxd_rr *rr, size_t *len)
{
    char buf[INET6_ADDRSTRLEN];
    const char *src = NULL;
    size_t n = 0;
    switch (rr->type) {
    case MXD_T_A:
        src = inet_ntop(AF_INET, rr->u.a, buf, sizeof buf);
        break;
    case MXD_T_AAAA:
        src = inet_ntop(AF_INET6, rr->u.aaaa, buf, sizeof buf);
        break;
    case MXD_T_PTR:
    case MXD_T_CNAME:
    case MXD_T_NS:
        src = rr->u.target;
        break;
    default:
        src = rr->data ? (const char *)rr->data : "";
        n = rr->data ? rr->data_len : 0;
        break;
    }
    if (!src)
        return NULL;
    if (rr->type == MXD_T_A || rr->type == MXD_T_AAAA || rr->type == MXD_T_PTR ||
        rr->type == MXD_T_CNAME || rr->type == MXD_T_NS)
        n = strlen(src);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    memcpy(out, src, n);
    out[n] = '\0';
    *len = n;
    return out;
}

int mxd_plookup_fill(mxd_plookup *l, mxd_qstate st, const mxd_dnsmsg *msg)
{
    plookup_clear_records(l);
    l->state = st;
    l->ad = msg && (msg->flags & MXD_F_AD);
    if (st != MXD_Q_OK || !msg)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < msg->nan; i++)
        n += msg->an[i].type == l->type;
    if (n == 0) {
        /* Only a CNAME (or other types) came back: nothing of the asked type. */
        l->state = MXD_Q_NODATA;
        return 0;
    }
    l->rec = calloc(n, sizeof *l->rec);
    l->len = calloc(n, sizeof *l->len);
    if (!l->rec || !l->len) {
        plookup_clear_records(l);
        l->state = MXD_Q_ERROR;
        return -1;
    }
    for (size_t i = 0; i < msg->nan; i++) {
        if (msg->an[i].type != l->type)
            continue;
        char *t = rr_text(&msg->an[i], &l->len[l->nrec]);
        if (!t) {
            plookup_clear_records(l);
            l->state = MXD_Q_ERROR;
            return -1;
        }
        l->rec[l->nrec++] = t;
    }
    return 0;
}

/* ---- tag lists ------------------------------------------------------------------ */

static bool is_wsp(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_name_char(char c) { return is_alpha(c) || (c >= '0' && c <= '9') || c == '_'; }

int mxd_taglist_next(const char **pp, const char *end, mxd_tag *t)
{
    const char *p = *pp;
    for (;;) {
        while (p < end && is_wsp(*p))
            p++;
        if (p == end) {
            *pp = p;
            return 0;
        }
        if (*p != ';')
            break;
        p++; /* an empty spec between two separators */
    }
    const char *spec = p;
    const char *semi = memchr(p, ';', (size_t)(end - p));
    const char *stop = semi ? semi : end;
    const char *name = p;
    while (p < stop && is_name_char(*p))
        p++;
    size_t name_len = (size_t)(p - name);
    const char *v, *ve;
    if (!name_len || !is_alpha(name[0]))
        goto bad;
    while (p < stop && is_wsp(*p))
        p++;
    if (p == stop || *p != '=')
        goto bad;
    p++;
    while (p < stop && is_wsp(*p))
        p++;
    v = p;
    ve = stop;
    while (ve > v && is_wsp(ve[-1]))
        ve--;
    /* VALCHAR is %x21-3A / %x3C-7E, with whitespace between runs of them. */
    for (const char *q = v; q < ve; q++)
        if (!is_wsp(*q) && !(*q >= 0x21 && *q <= 0x7E))
            goto bad;
    t->name = name;
    t->name_len = name_len;
    t->value = v;
    t->value_len = (size_t)(ve - v);
    *pp = semi ? semi + 1 : end;
    return 1;
bad:
    /* Enough for a message: what looks like the name, and the whole spec. */
    ve = stop;
    while (ve > spec && is_wsp(ve[-1]))
        ve--;
    t->name = name;
    t->name_len = name_len;
    t->value = spec;
    t->value_len = (size_t)(ve - spec);
    *pp = spec;
    return -1;
}

bool mxd_tag_is(const mxd_tag *t, const char *name)
{
    size_t n = strlen(name);
    return t->name_len == n && memcmp(t->name, name, n) == 0;
}

/* ---- reverse DNS ------------------------------------------------------------------ */

bool mxd_reverse_name(const mxd_addr *a, char *out, size_t cap)
{
    int n;
    if (a->family == AF_INET) {
        n = snprintf(out, cap, "%u.%u.%u.%u.in-addr.arpa", a->bytes[3], a->bytes[2],
                     a->bytes[1], a->bytes[0]);
        return n > 0 && (size_t)n < cap;
    }
    if (a->family != AF_INET6 || cap < 64 + sizeof "ip6.arpa")
        return false;
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 15; i >= 0; i--) {
        out[o++] = hex[a->bytes[i] & 0xF];
        out[o++] = '.';
        out[o++] = hex[a->bytes[i] >> 4];
        out[o++] = '.';
    }
    memcpy(out + o, "ip6.arpa", sizeof "ip6.arpa");
    return true;
}

bool mxd_ptr_confirms(const mxd_addr *a, const mxd_plookup *fwd)
{
    size_t len = a->family == AF_INET ? 4 : a->family == AF_INET6 ? 16 : 0;
    if (!len || fwd->state != MXD_Q_OK)
        return false;
    for (size_t i = 0; i < fwd->nrec; i++) {
        uint8_t b[16];
        if (inet_pton(a->family, fwd->rec[i], b) == 1 && memcmp(b, a->bytes, len) == 0)
            return true;
    }
    return false;
}

/* ---- DANE ------------------------------------------------------------------------- */

void mxd_tlsa_format(const char *rdata, size_t len, char *out, size_t cap)
{
    const uint8_t *d = (const uint8_t *)rdata;
    if (!cap)
        return;
    if (len < 4) {
        snprintf(out, cap, "?");
        return;
    }
    int n = snprintf(out, cap, "%u %u %u ", d[0], d[1], d[2]);
    size_t o = n > 0 ? (size_t)n : 0;
    for (size_t i = 3; i < len && i < 3 + 8 && o + 3 < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%02x", d[i]);
    if (len > 3 + 8 && o + sizeof "…" <= cap)
        memcpy(out + o, "…", sizeof "…");
}
