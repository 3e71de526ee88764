/* dnswire.c — DNS message codec (see dnswire.h).
 *
 * The parser treats every byte as hostile: each read is checked against the
 * message length first, counts from the header are never trusted for
 * allocation (arrays grow as records actually parse), and names go through
 * ares_expand_name(), after our own walk of the same labels has checked the
 * 255-octet limit that c-ares 1.18 does not enforce.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/select.h>
#include <sys/time.h>
#include <ares.h>

#include "mxd/dnswire.h"

#define HDR_LEN 12
#define MAX_INDIRS 50 /* the same bound ares_expand_name() applies */
#define WIRE_NAME_MAX 255

static uint16_t rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static uint32_t rd32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static bool is_print(uint8_t c) { return c >= 0x20 && c <= 0x7E; }
static bool is_reserved(uint8_t c)
{
    return c == '"' || c == '.' || c == ';' || c == '\\' || c == '(' || c == ')' ||
           c == '@' || c == '$';
}

/* ------------------------------------------------------------------------ */
/* Reading names                                                             */

/* Walks the encoded name at off exactly as c-ares's name_length() does and
 * returns the length of c-ares's expansion, or -1 where c-ares would fail or
 * the name is over 255 octets (-2 when the message ends inside the name).
 * c-ares 1.18 turns a one-byte label holding 0x00 into a bare NUL in its
 * output; *nul_labels counts those labels, and knowing the expansion's length
 * lets the caller escape that NUL instead of losing the rest of the name. */
static long name_walk(const uint8_t *buf, size_t len, size_t off, unsigned *nul_labels)
{
    long n = 0;
    size_t oct = 1; /* the root label */
    int indir = 0;
    *nul_labels = 0;
    for (;;) {
        if (off >= len)
            return -2;
        uint8_t b = buf[off];
        if (b == 0)
            break;
        if ((b & 0xC0) == 0xC0) {
            if (off + 1 >= len)
                return -2;
            size_t to = (size_t)((b & 0x3F) << 8 | buf[off + 1]);
            if (to >= len || ++indir > MAX_INDIRS)
                return -1;
            off = to;
        } else if ((b & 0xC0) == 0) {
            if (off + b + 1 >= len)
                return -2;
            for (size_t i = 1; i <= b; i++) {
                uint8_t c = buf[off + i];
                if (b == 1 && c == 0)
                    n += 1, (*nul_labels)++;
                else if (!is_print(c))
                    n += 4;
                else if (is_reserved(c))
                    n += 2;
                else
                    n += 1;
            }
            n++;
            oct += (size_t)b + 1;
            if (oct > WIRE_NAME_MAX)
                return -1;
            off += (size_t)b + 1;
        } else {
            return -1; /* 01 and 10 label types are reserved (RFC 1035 4.1.4; 6891 dropped 01) */
        }
    }
    return n ? n - 1 : 0;
}

/* Reads the name at *off into out (MXD_NAME_MAX) and advances *off past its
 * encoding. Returns 0, -1 malformed, -2 the message ends inside the name. */
static int read_name(const uint8_t *buf, size_t len, size_t *off, char *out)
{
    unsigned nul_labels = 0;
    long plen = name_walk(buf, len, *off, &nul_labels);
    if (plen < 0)
        return (int)plen;
    char *s = NULL;
    long enclen = 0;
    if (ares_expand_name(buf + *off, buf, (int)len, &s, &enclen) != ARES_SUCCESS || !s)
        return -1;
    size_t sl = strlen(s), take = sl;
    if (sl < (size_t)plen) {
        /* c-ares 1.18 wrote a one-byte 0x00 label as a bare NUL (its buffer
         * is plen + 1 bytes then): take all of it, escaping the NUL. A short
         * string for any other reason is not something we understand. */
        if (!nul_labels) {
            ares_free_string(s);
            return -1;
        }
        take = (size_t)plen;
    }
    size_t o = 0;
    int rc = 0;
    for (size_t i = 0; i < take; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == 0) {
            if (o + 4 >= MXD_NAME_MAX) { rc = -1; break; }
            memcpy(out + o, "\\000", 4);
            o += 4;
        } else {
            if (o + 1 >= MXD_NAME_MAX) { rc = -1; break; }
            out[o++] = (char)c;
        }
    }
    ares_free_string(s);
    if (rc < 0 || enclen <= 0 || (size_t)enclen > len - *off)
        return -1;
    if (o == 0)
        out[o++] = '.';
    out[o] = '\0';
    *off += (size_t)enclen;
    return 0;
}

/* read_name() into a fresh heap string (*out, owned by the caller). */
static int read_name_dup(const uint8_t *buf, size_t len, size_t *off, char **out)
{
    char nm[MXD_NAME_MAX];
    int rc = read_name(buf, len, off, nm);
    if (rc < 0)
        return rc;
    return mxd_rr_set(out, nm);
}

/* ------------------------------------------------------------------------ */
/* Parsing                                                                   */

typedef struct rrvec { mxd_rr *v; size_t n, cap; } rrvec;

static mxd_rr *rrvec_push(rrvec *a)
{
    if (a->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 4;
        mxd_rr *nv = realloc(a->v, nc * sizeof *nv);
        if (!nv)
            return NULL;
        a->v = nv;
        a->cap = nc;
    }
    mxd_rr *r = &a->v[a->n++];
    memset(r, 0, sizeof *r);
    return r;
}

static void rrvec_free(rrvec *a)
{
    for (size_t i = 0; i < a->n; i++)
        mxd_rr_clear(&a->v[i]);
    free(a->v);
    a->v = NULL;
    a->n = a->cap = 0;
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
    uint8_t *d = malloc(n + 1);
    if (!d)
        return NULL;
    if (n)
        memcpy(d, p, n);
    d[n] = 0;
    return d;
}

/* Decodes the RDATA at [off, end) into rr. Names may point anywhere earlier or
 * later in the message (compression), but must end exactly at end. */
static int parse_rdata(const uint8_t *buf, size_t len, size_t off, size_t end, mxd_rr *rr)
{
    size_t rdlen = end - off;
    switch (rr->type) {
    case MXD_T_A:
        if (rdlen != 4)
            return -1;
        memcpy(rr->u.a, buf + off, 4);
        return 0;
    case MXD_T_AAAA:
        if (rdlen != 16)
            return -1;
        memcpy(rr->u.aaaa, buf + off, 16);
        return 0;
    case MXD_T_MX:
        if (rdlen < 3)
            return -1;
        rr->u.mx.pref = rd16(buf + off);
        off += 2;
        if (read_name_dup(buf, len, &off, &rr->u.mx.host) < 0)
            return -1;
        return off == end ? 0 : -1;
    case MXD_T_NS:
    case MXD_T_CNAME:
    case MXD_T_PTR:
        if (read_name_dup(buf, len, &off, &rr->u.target) < 0)
            return -1;
        return off == end ? 0 : -1;
    case MXD_T_SOA:
        if (read_name_dup(buf, len, &off, &rr->u.soa.mname) < 0 || off > end ||
            read_name_dup(buf, len, &off, &rr->u.soa.rname) < 0 || off > end || end - off != 20)
            return -1;
        rr->u.soa.serial = rd32(buf + off);
        rr->u.soa.refresh = rd32(buf + off + 4);
        rr->u.soa.retry = rd32(buf + off + 8);
        rr->u.soa.expire = rd32(buf + off + 12);
        rr->u.soa.minimum = rd32(buf + off + 16);
        return 0;
    case MXD_T_TXT:
    case MXD_T_SPF: {
        /* The joined text is never longer than the RDATA it came from. */
        uint8_t *d = malloc(rdlen + 1);
        if (!d)
            return -1;
        size_t o = 0;
        unsigned k = 0;
        while (off < end) {
            size_t l = buf[off];
            if (l > end - off - 1) {
                free(d);
                return -1;
            }
            memcpy(d + o, buf + off + 1, l);
            o += l;
            off += l + 1;
            k++;
        }
        d[o] = 0;
        rr->data = d;
        rr->data_len = o;
        rr->txt_strings = k;
        return 0;
    }
    default:
        rr->data = dup_bytes(buf + off, rdlen);
        if (!rr->data)
            return -1;
        rr->data_len = rdlen;
        return 0;
    }
}

/* Parses one resource record at *off. Returns 0, -1 malformed, -2 when the
 * message simply ends before the record does (the TC leniency). */
static int parse_rr(const uint8_t *buf, size_t len, size_t *off, mxd_rr *rr)
{
    size_t o = *off;
    int rc = read_name_dup(buf, len, &o, &rr->name);
    if (rc < 0)
        return rc;
    if (len - o < 10)
        return -2;
    rr->type = rd16(buf + o);
    rr->rclass = rd16(buf + o + 2);
    rr->ttl = rd32(buf + o + 4);
    size_t rdlen = rd16(buf + o + 8);
    o += 10;
    if (rdlen > len - o)
        return -2;
    if (parse_rdata(buf, len, o, o + rdlen, rr) < 0)
        return -1;
    *off = o + rdlen;
    return 0;
}

int mxd_dns_parse(const uint8_t *buf, size_t len, mxd_dnsmsg *out)
{
    memset(out, 0, sizeof *out);
    if (!buf || len < HDR_LEN || len > 65535)
        return -1;
    uint16_t id = rd16(buf), flags = rd16(buf + 2);
    unsigned qd = rd16(buf + 4), cnt[3] = { rd16(buf + 6), rd16(buf + 8), rd16(buf + 10) };
    bool tc = (flags & MXD_F_TC) != 0;
    size_t off = HDR_LEN;
    char qname[MXD_NAME_MAX] = "";
    uint16_t qtype = 0, qclass = 0;

    for (unsigned i = 0; i < qd; i++) {
        char nm[MXD_NAME_MAX];
        if (read_name(buf, len, &off, nm) < 0 || len - off < 4)
            return -1;
        if (i == 0) {
            memcpy(qname, nm, sizeof qname);
            qtype = rd16(buf + off);
            qclass = rd16(buf + off + 2);
        }
        off += 4;
    }

    rrvec sec[3] = { { 0 } };
    bool cut = false;
    for (int s = 0; s < 3 && !cut; s++) {
        for (unsigned i = 0; i < cnt[s]; i++) {
            mxd_rr tmp;
            memset(&tmp, 0, sizeof tmp);
            int rc = parse_rr(buf, len, &off, &tmp);
            if (rc == -2 && tc) {
                mxd_rr_clear(&tmp);
                cut = true;
                break;
            }
            mxd_rr *slot = rc == 0 ? rrvec_push(&sec[s]) : NULL;
            if (!slot) {
                mxd_rr_clear(&tmp);
                for (int k = 0; k < 3; k++)
                    rrvec_free(&sec[k]);
                return -1;
            }
            *slot = tmp;
        }
    }

    out->id = id;
    out->flags = flags;
    out->rcode = flags & 0xF;
    memcpy(out->qname, qname, sizeof out->qname);
    out->qtype = qtype;
    out->qclass = qclass;
    out->qdcount = qd;
    out->an = sec[0].v; out->nan = sec[0].n;
    out->ns = sec[1].v; out->nns = sec[1].n;
    out->ar = sec[2].v; out->nar = sec[2].n;
    for (size_t i = 0; i < out->nar; i++)
        if (out->ar[i].type == MXD_T_OPT) {
            /* RFC 6891 §6.1.3: the TTL carries the rcode's upper 8 bits. A size
             * below 512 is to be read as 512 (§6.2.3). */
            out->edns_udp_size = out->ar[i].rclass < 512 ? 512 : out->ar[i].rclass;
            out->rcode |= (int)((out->ar[i].ttl >> 24) & 0xFF) << 4;
            break;
        }
    return 0;
}

void mxd_rr_clear(mxd_rr *rr)
{
    if (!rr)
        return;
    char **names[] = { &rr->name, &rr->u.mx.host, &rr->u.target, &rr->u.soa.mname,
                       &rr->u.soa.rname };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        free(*names[i]);
        *names[i] = NULL;
    }
    free(rr->data);
    rr->data = NULL;
    rr->data_len = 0;
}

int mxd_rr_set(char **field, const char *value)
{
    char *copy = NULL;
    if (value && !(copy = strdup(value)))
        return -1;
    free(*field);
    *field = copy;
    return 0;
}

int mxd_rr_setf(char **field, const char *fmt, ...)
{
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *copy = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (copy)
        vsnprintf(copy, (size_t)n + 1, fmt, again);
    va_end(again);
    if (!copy)
        return -1;
    free(*field);
    *field = copy;
    return 0;
}

int mxd_rr_copy(mxd_rr *dst, const mxd_rr *src)
{
    if (dst == src)
        return 0;
    memcpy(dst, src, sizeof *dst);
    dst->name = dst->u.mx.host = dst->u.target = dst->u.soa.mname = dst->u.soa.rname = NULL;
    dst->data = NULL;
    if (mxd_rr_set(&dst->name, src->name) < 0 || mxd_rr_set(&dst->u.mx.host, src->u.mx.host) < 0 ||
        mxd_rr_set(&dst->u.target, src->u.target) < 0 ||
        mxd_rr_set(&dst->u.soa.mname, src->u.soa.mname) < 0 ||
        mxd_rr_set(&dst->u.soa.rname, src->u.soa.rname) < 0)
        goto fail;
    if (src->data && !(dst->data = dup_bytes(src->data, src->data_len)))
        goto fail;
    return 0;
fail:
    mxd_rr_clear(dst);
    return -1;
}

void mxd_dnsmsg_free(mxd_dnsmsg *m)
{
    if (!m)
        return;
    rrvec a = { m->an, m->nan, m->nan }, n = { m->ns, m->nns, m->nns }, r = { m->ar, m->nar, m->nar };
    rrvec_free(&a);
    rrvec_free(&n);
    rrvec_free(&r);
    memset(m, 0, sizeof *m);
}

/* ------------------------------------------------------------------------ */
/* Names: presentation -> wire, canonical form                               */

int mxd_dns_name_to_wire(const char *name, uint8_t *out, size_t cap)
{
    if (!name)
        return -1;
    size_t o = 0;
    const char *p = name;
    if (p[0] == '.' && p[1] == '\0')
        p++;
    while (*p) {
        uint8_t label[63];
        size_t l = 0;
        while (*p && *p != '.') {
            unsigned c = (unsigned char)*p++;
            if (c == '\\') {
                if (p[0] >= '0' && p[0] <= '9') {
                    if (!(p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9'))
                        return -1;
                    c = (unsigned)(p[0] - '0') * 100 + (unsigned)(p[1] - '0') * 10 + (unsigned)(p[2] - '0');
                    if (c > 255)
                        return -1;
                    p += 3;
                } else if (*p) {
                    c = (unsigned char)*p++;
                } else {
                    return -1;
                }
            }
            if (l == sizeof label)
                return -1;
            label[l++] = (uint8_t)c;
        }
        if (l == 0)
            return -1; /* "a..b" or a leading dot */
        if (o + 1 + l + 1 > WIRE_NAME_MAX || o + 1 + l >= cap)
            return -1;
        out[o++] = (uint8_t)l;
        memcpy(out + o, label, l);
        o += l;
        if (*p == '.')
            p++; /* a trailing dot simply ends the loop */
    }
    if (o + 1 > cap)
        return -1;
    out[o++] = 0;
    return (int)o;
}

/* Presentation of a wire name (uncompressed, valid), lower-cased, escaped like
 * the parser's output. */
static bool wire_to_canon(const uint8_t *w, char *out, size_t cap)
{
    size_t o = 0;
    if (w[0] == 0) {
        if (cap < 2)
            return false;
        out[0] = '.';
        out[1] = 0;
        return true;
    }
    while (*w) {
        size_t l = *w++;
        for (size_t i = 0; i < l; i++) {
            uint8_t c = w[i];
            if (c >= 'A' && c <= 'Z')
                c = (uint8_t)(c + 32);
            char tmp[5];
            size_t n;
            if (!is_print(c)) {
                snprintf(tmp, sizeof tmp, "\\%03u", c);
                n = 4;
            } else if (is_reserved(c)) {
                tmp[0] = '\\'; tmp[1] = (char)c; n = 2;
            } else {
                tmp[0] = (char)c; n = 1;
            }
            if (o + n >= cap)
                return false;
            memcpy(out + o, tmp, n);
            o += n;
        }
        w += l;
        if (*w) {
            if (o + 1 >= cap)
                return false;
            out[o++] = '.';
        }
    }
    out[o] = 0;
    return true;
}

bool mxd_dns_name_canon(const char *in, char *out, size_t cap)
{
    uint8_t w[WIRE_NAME_MAX + 1];
    if (!in || !out || mxd_dns_name_to_wire(in, w, sizeof w) < 0)
        return false;
    return wire_to_canon(w, out, cap);
}

static uint8_t lc(uint8_t c) { return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c; }

/* Case-insensitive comparison of two uncompressed wire names. */
static bool wire_eq(const uint8_t *a, const uint8_t *b)
{
    for (;;) {
        if (*a != *b)
            return false;
        size_t l = *a;
        if (l == 0)
            return true;
        for (size_t i = 1; i <= l; i++)
            if (lc(a[i]) != lc(b[i]))
                return false;
        a += l + 1;
        b += l + 1;
    }
}

static size_t wire_labels(const uint8_t *w)
{
    size_t n = 0;
    while (*w) {
        n++;
        w += *w + 1;
    }
    return n;
}

bool mxd_dns_name_eq(const char *a, const char *b)
{
    uint8_t wa[WIRE_NAME_MAX + 1], wb[WIRE_NAME_MAX + 1];
    if (!a || !b)
        return false;
    if (mxd_dns_name_to_wire(a, wa, sizeof wa) < 0 || mxd_dns_name_to_wire(b, wb, sizeof wb) < 0) {
        /* Not valid names: still compare them as text, trailing dot ignored. */
        size_t la = strlen(a), lb = strlen(b);
        if (la && a[la - 1] == '.') la--;
        if (lb && b[lb - 1] == '.') lb--;
        if (la != lb)
            return false;
        for (size_t i = 0; i < la; i++)
            if (lc((uint8_t)a[i]) != lc((uint8_t)b[i]))
                return false;
        return true;
    }
    return wire_eq(wa, wb);
}

bool mxd_dns_name_under(const char *name, const char *zone)
{
    uint8_t wn[WIRE_NAME_MAX + 1], wz[WIRE_NAME_MAX + 1];
    if (!name || !zone || mxd_dns_name_to_wire(name, wn, sizeof wn) < 0 ||
        mxd_dns_name_to_wire(zone, wz, sizeof wz) < 0)
        return false;
    size_t ln = wire_labels(wn), lz = wire_labels(wz);
    if (ln < lz)
        return false;
    const uint8_t *p = wn;
    for (size_t i = 0; i < ln - lz; i++)
        p += *p + 1;
    return wire_eq(p, wz);
}

/* ------------------------------------------------------------------------ */
/* Building                                                                  */

int mxd_dns_build_query(uint8_t *buf, size_t cap, uint16_t id, const char *name,
                        uint16_t qtype, bool rd, bool edns)
{
    if (!buf || cap < HDR_LEN)
        return -1;
    int nl = mxd_dns_name_to_wire(name, buf + HDR_LEN, cap - HDR_LEN);
    if (nl < 0)
        return -1;
    size_t o = HDR_LEN + (size_t)nl;
    size_t need = 4 + (edns ? 11 : 0);
    if (cap - o < need)
        return -1;
    memset(buf, 0, HDR_LEN);
    wr16(buf, id);
    wr16(buf + 2, rd ? MXD_F_RD : 0);
    wr16(buf + 4, 1);
    wr16(buf + 10, edns ? 1 : 0);
    wr16(buf + o, qtype);
    wr16(buf + o + 2, 1); /* IN */
    o += 4;
    if (edns) {
        /* root owner, type OPT, class = our UDP size, TTL 0 (rcode 0, version 0, no DO) */
        buf[o] = 0;
        wr16(buf + o + 1, MXD_T_OPT);
        wr16(buf + o + 3, 1232);
        wr32(buf + o + 5, 0);
        wr16(buf + o + 9, 0);
        o += 11;
    }
    return (int)o;
}

/* Room the writer may use for records: the OPT's 11 bytes stay free. */
static size_t room(const mxd_dnsw *w)
{
    size_t lim = w->cap - (w->edns_size ? 11 : 0);
    return lim > w->len ? lim - w->len : 0;
}

int mxd_dnsw_begin(mxd_dnsw *w, uint8_t *buf, size_t cap, uint16_t id,
                   uint16_t flags, const char *qname, uint16_t qtype, uint16_t qclass)
{
    memset(w, 0, sizeof *w);
    w->buf = buf;
    w->cap = cap > 65535 ? 65535 : cap;
    w->section = 1;
    if (!buf || w->cap < HDR_LEN)
        return -1;
    memset(buf, 0, HDR_LEN);
    wr16(buf, id);
    wr16(buf + 2, (uint16_t)(flags | MXD_F_QR));
    w->len = HDR_LEN;
    if (qname) {
        int nl = mxd_dns_name_to_wire(qname, buf + HDR_LEN, w->cap - HDR_LEN);
        if (nl < 0 || w->cap - HDR_LEN - (size_t)nl < 4)
            return -1;
        w->len += (size_t)nl;
        wr16(buf + w->len, qtype);
        wr16(buf + w->len + 2, qclass);
        w->len += 4;
        w->counts[0] = 1;
    }
    return 0;
}

void mxd_dnsw_section(mxd_dnsw *w, int section)
{
    if (section >= 1 && section <= 3)
        w->section = section;
}

void mxd_dnsw_edns(mxd_dnsw *w, uint16_t udp_size)
{
    w->edns_size = udp_size ? udp_size : 512;
}

void mxd_dnsw_set_rcode(mxd_dnsw *w, int rcode)
{
    if (!w->buf || w->len < HDR_LEN || rcode < 0 || rcode > 0xFFF)
        return;
    w->buf[3] = (uint8_t)((w->buf[3] & 0xF0) | (rcode & 0xF));
    w->ext_rcode = (uint8_t)(rcode >> 4);
}

/* Writes the wire name wn at out (room bytes free), replacing its longest suffix
 * that equals a suffix of the question name with a pointer. Returns the bytes
 * written, or 0 when it does not fit. */
static size_t put_name(const mxd_dnsw *w, const uint8_t *wn, uint8_t *out, size_t avail)
{
    const uint8_t *q = w->counts[0] ? w->buf + HDR_LEN : NULL;
    size_t o = 0;
    const uint8_t *p = wn;
    while (*p) {
        if (q) {
            for (const uint8_t *s = q; *s; s += *s + 1)
                if (wire_eq(p, s)) {
                    size_t at = (size_t)(s - w->buf);
                    if (o + 2 > avail)
                        return 0;
                    wr16(out + o, (uint16_t)(0xC000 | at));
                    return o + 2;
                }
        }
        size_t l = *p + 1u;
        if (o + l > avail)
            return 0;
        memcpy(out + o, p, l);
        o += l;
        p += l;
    }
    if (o + 1 > avail)
        return 0;
    out[o++] = 0;
    return o;
}

/* Marks the writer as full; only a lost answer or authority record means the
 * client is missing part of what it asked for (TC). */
static int full(mxd_dnsw *w)
{
    w->truncated = true;
    if (w->section != 3)
        wr16(w->buf + 2, (uint16_t)(rd16(w->buf + 2) | MXD_F_TC));
    return -1;
}

int mxd_dnsw_add(mxd_dnsw *w, const mxd_rr *rr)
{
    if (w->truncated)
        return -1;
    uint8_t owner[WIRE_NAME_MAX + 1];
    if (rr->type == MXD_T_OPT)
        owner[0] = 0;
    else if (mxd_dns_name_to_wire(rr->name, owner, sizeof owner) < 0)
        return -1;

    /* Names inside the RDATA, encoded up front so a bad one fails cleanly. */
    uint8_t n1[WIRE_NAME_MAX + 1], n2[WIRE_NAME_MAX + 1];
    switch (rr->type) {
    case MXD_T_MX:
        if (mxd_dns_name_to_wire(rr->u.mx.host, n1, sizeof n1) < 0)
            return -1;
        break;
    case MXD_T_NS: case MXD_T_CNAME: case MXD_T_PTR:
        if (mxd_dns_name_to_wire(rr->u.target, n1, sizeof n1) < 0)
            return -1;
        break;
    case MXD_T_SOA:
        if (mxd_dns_name_to_wire(rr->u.soa.mname, n1, sizeof n1) < 0 ||
            mxd_dns_name_to_wire(rr->u.soa.rname, n2, sizeof n2) < 0)
            return -1;
        break;
    case MXD_T_A: case MXD_T_AAAA: case MXD_T_TXT: case MXD_T_SPF:
        break;
    default:
        if (rr->data_len && !rr->data)
            return -1;
        if (rr->data_len > 65535)
            return -1;
        break;
    }
    if ((rr->type == MXD_T_TXT || rr->type == MXD_T_SPF) &&
        ((rr->data_len && !rr->data) || rr->data_len + (rr->data_len + 254) / 255 > 65535))
        return -1;

    size_t avail = room(w);
    uint8_t *out = w->buf + w->len;
    size_t o = put_name(w, owner, out, avail);
    if (!o || avail - o < 10)
        return full(w);
    wr16(out + o, rr->type);
    wr16(out + o + 2, rr->rclass ? rr->rclass : 1);
    wr32(out + o + 4, rr->ttl);
    size_t rdlen_at = o + 8;
    o += 10;
    size_t rd0 = o, n;

    switch (rr->type) {
    case MXD_T_A:
        if (avail - o < 4) return full(w);
        memcpy(out + o, rr->u.a, 4);
        o += 4;
        break;
    case MXD_T_AAAA:
        if (avail - o < 16) return full(w);
        memcpy(out + o, rr->u.aaaa, 16);
        o += 16;
        break;
    case MXD_T_MX:
        if (avail - o < 2) return full(w);
        wr16(out + o, rr->u.mx.pref);
        o += 2;
        if (!(n = put_name(w, n1, out + o, avail - o))) return full(w);
        o += n;
        break;
    case MXD_T_NS: case MXD_T_CNAME: case MXD_T_PTR:
        if (!(n = put_name(w, n1, out + o, avail - o))) return full(w);
        o += n;
        break;
    case MXD_T_SOA:
        if (!(n = put_name(w, n1, out + o, avail - o))) return full(w);
        o += n;
        if (!(n = put_name(w, n2, out + o, avail - o))) return full(w);
        o += n;
        if (avail - o < 20) return full(w);
        wr32(out + o, rr->u.soa.serial);
        wr32(out + o + 4, rr->u.soa.refresh);
        wr32(out + o + 8, rr->u.soa.retry);
        wr32(out + o + 12, rr->u.soa.expire);
        wr32(out + o + 16, rr->u.soa.minimum);
        o += 20;
        break;
    case MXD_T_TXT: case MXD_T_SPF: {
        size_t left = rr->data_len, at = 0;
        do {
            size_t l = left > 255 ? 255 : left;
            if (avail - o < l + 1) return full(w);
            out[o++] = (uint8_t)l;
            if (l)
                memcpy(out + o, rr->data + at, l);
            o += l;
            at += l;
            left -= l;
        } while (left);
        break;
    }
    default:
        if (avail - o < rr->data_len) return full(w);
        if (rr->data_len)
            memcpy(out + o, rr->data, rr->data_len);
        o += rr->data_len;
        break;
    }
    wr16(out + rdlen_at, (uint16_t)(o - rd0));
    w->len += o;
    w->counts[w->section]++;
    return 0;
}

size_t mxd_dnsw_end(mxd_dnsw *w)
{
    if (!w->buf || w->len < HDR_LEN)
        return 0;
    if (w->edns_size && w->cap - w->len >= 11) {
        uint8_t *o = w->buf + w->len;
        o[0] = 0;
        wr16(o + 1, MXD_T_OPT);
        wr16(o + 3, w->edns_size);
        wr32(o + 5, (uint32_t)w->ext_rcode << 24);
        wr16(o + 9, 0);
        w->len += 11;
        w->counts[3]++;
        w->edns_size = 0; /* a second end() must not add another */
    }
    for (int i = 0; i < 4; i++)
        wr16(w->buf + 4 + 2 * i, w->counts[i]);
    return w->len;
}

/* ------------------------------------------------------------------------ */
/* Names of things                                                           */

const char *mxd_dns_type_name(uint16_t type)
{
    switch (type) {
    case MXD_T_A: return "A";
    case MXD_T_NS: return "NS";
    case MXD_T_CNAME: return "CNAME";
    case MXD_T_SOA: return "SOA";
    case MXD_T_PTR: return "PTR";
    case 13: return "HINFO";
    case MXD_T_MX: return "MX";
    case MXD_T_TXT: return "TXT";
    case MXD_T_AAAA: return "AAAA";
    case 33: return "SRV";
    case 35: return "NAPTR";
    case MXD_T_OPT: return "OPT";
    case 43: return "DS";
    case 46: return "RRSIG";
    case 47: return "NSEC";
    case 48: return "DNSKEY";
    case 50: return "NSEC3";
    case MXD_T_TLSA: return "TLSA";
    case MXD_T_SPF: return "SPF";
    case MXD_T_ANY: return "ANY";
    case 257: return "CAA";
    default: {
        static _Thread_local char b[16];
        snprintf(b, sizeof b, "TYPE%u", (unsigned)type);
        return b;
    }
    }
}

const char *mxd_dns_rcode_name(int rcode)
{
    static const char *const names[] = {
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
        "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE",
    };
    if (rcode >= 0 && (size_t)rcode < sizeof names / sizeof names[0])
        return names[rcode];
    if (rcode == 16)
        return "BADVERS";
    static _Thread_local char b[24];
    snprintf(b, sizeof b, "RCODE%d", rcode);
    return b;
}
