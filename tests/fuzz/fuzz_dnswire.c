/* fuzz_dnswire.c — the DNS message parser (the answer walker's input) on any
 * datagram, and the answer writer on what the parser returns.
 *
 * Properties from dnswire.h: a malformed message leaves *out empty; a parsed
 * one has at most as many records per section as its header says, names that
 * fit MXD_NAME_MAX and that the name functions accept, TXT data no longer than
 * the message. Each record, written back with mxd_dnsw_add() into a fresh
 * answer and parsed again, comes back with the same owner, type, class, TTL and
 * data: the lab's servers and the engine's walker speak the same language.
 * The walkers that read parsed answers run on it too: the propagation step's
 * MX set (a CNAME-chased, sorted set without duplicates, canonical host names)
 * and the policy step's lookups (one text per record of the asked type).
 */
#include "fuzz.h"

#include "mxd/dnswire.h"
#include "mxd/policy.h"
#include "mxd/propagation.h"
#include "mxd/strbuf.h"

static void check_name(const char *n)
{
    size_t l = strnlen(n, MXD_NAME_MAX);
    FUZZ_ASSERT(l > 0 && l < MXD_NAME_MAX);
    uint8_t wire[256];
    int wl = mxd_dns_name_to_wire(n, wire, sizeof wire);
    if (wl <= 0) {
        fprintf(stderr, "parsed name the codec refuses: \"%s\"\n", n);
        FUZZ_ASSERT(wl > 0);
    }
    char canon[MXD_NAME_MAX];
    FUZZ_ASSERT(mxd_dns_name_canon(n, canon, sizeof canon));
    FUZZ_ASSERT(mxd_dns_name_eq(n, canon));
    FUZZ_ASSERT(mxd_dns_name_under(n, n) && mxd_dns_name_under(n, "."));
}

/* written: b went through the writer, which writes class 0 as IN. */
static bool same_rr(const mxd_rr *a, const mxd_rr *b, bool written)
{
    uint16_t want_class = written && a->rclass == 0 ? 1 : a->rclass;
    if (!mxd_dns_name_eq(a->name, b->name) || strcmp(a->name, b->name) != 0 ||
        a->type != b->type || a->ttl != b->ttl || want_class != b->rclass)
        return false;
    switch (a->type) {
    case MXD_T_A: return memcmp(a->u.a, b->u.a, 4) == 0;
    case MXD_T_AAAA: return memcmp(a->u.aaaa, b->u.aaaa, 16) == 0;
    case MXD_T_MX: return a->u.mx.pref == b->u.mx.pref && strcmp(a->u.mx.host, b->u.mx.host) == 0;
    case MXD_T_NS: case MXD_T_CNAME: case MXD_T_PTR:
        return strcmp(a->u.target, b->u.target) == 0;
    case MXD_T_SOA:
        return strcmp(a->u.soa.mname, b->u.soa.mname) == 0 &&
               strcmp(a->u.soa.rname, b->u.soa.rname) == 0 && a->u.soa.serial == b->u.soa.serial &&
               a->u.soa.refresh == b->u.soa.refresh && a->u.soa.retry == b->u.soa.retry &&
               a->u.soa.expire == b->u.soa.expire && a->u.soa.minimum == b->u.soa.minimum;
    default:
        return a->data_len == b->data_len &&
               (a->data_len == 0 || memcmp(a->data, b->data, a->data_len) == 0);
    }
}

static void check_rr(const mxd_rr *rr, size_t msglen)
{
    check_name(rr->name);
    FUZZ_ASSERT(mxd_dns_type_name(rr->type) != NULL);
    switch (rr->type) {
    case MXD_T_MX: check_name(rr->u.mx.host); break;
    case MXD_T_NS: case MXD_T_CNAME: case MXD_T_PTR: check_name(rr->u.target); break;
    case MXD_T_SOA: check_name(rr->u.soa.mname); check_name(rr->u.soa.rname); break;
    case MXD_T_A: case MXD_T_AAAA: FUZZ_ASSERT(rr->data == NULL); break;
    default:
        FUZZ_ASSERT(rr->data != NULL && rr->data[rr->data_len] == 0);
        FUZZ_ASSERT(rr->data_len < msglen);
        break;
    }
    mxd_rr copy;
    FUZZ_ASSERT(mxd_rr_copy(&copy, rr) == 0);
    FUZZ_ASSERT(same_rr(rr, &copy, false));
    mxd_rr_clear(&copy);

    if (rr->type == MXD_T_OPT)
        return; /* written with the root as owner, by design */
    static uint8_t buf[65535];
    mxd_dnsw w;
    FUZZ_ASSERT(mxd_dnsw_begin(&w, buf, sizeof buf, 0x4242, MXD_F_AA, NULL, 0, 0) == 0);
    mxd_dnsw_section(&w, 1);
    int rc = mxd_dnsw_add(&w, rr);
    if (rc != 0) {
        if (w.truncated)
            return; /* a TXT re-split into 255-byte strings can be a little longer */
        fprintf(stderr, "writer refuses a parsed %s record owned by \"%s\"\n",
                mxd_dns_type_name(rr->type), rr->name);
        FUZZ_ASSERT(rc == 0);
    }
    size_t n = mxd_dnsw_end(&w);
    mxd_dnsmsg m;
    if (mxd_dns_parse(buf, n, &m) != 0) {
        fprintf(stderr, "written %s record does not parse\n", mxd_dns_type_name(rr->type));
        FUZZ_ASSERT(0);
    }
    FUZZ_ASSERT(m.id == 0x4242 && m.nan == 1 && m.nns == 0 && m.nar == 0);
    if (!same_rr(rr, &m.an[0], true)) {
        fprintf(stderr, "round trip changed a %s record: \"%s\" -> \"%s\"\n",
                mxd_dns_type_name(rr->type), rr->name, m.an[0].name);
        FUZZ_ASSERT(0);
    }
    mxd_dnsmsg_free(&m);
}

static void walk_answers(const mxd_dnsmsg *m)
{
    mxd_mxanswer a;
    FUZZ_ASSERT(mxd_mxanswer_from_msg(&a, MXD_Q_OK, m) == 0);
    FUZZ_ASSERT(a.state == MXD_Q_OK || a.state == MXD_Q_NODATA);
    FUZZ_ASSERT(a.n <= m->nan && (a.state == MXD_Q_OK) == (a.n > 0));
    for (size_t i = 0; i < a.n; i++) {
        const char *h = a.v[i].host;
        size_t hl = strnlen(h, sizeof a.v[i].host);
        FUZZ_ASSERT(hl > 0 && hl < sizeof a.v[i].host);
        /* canonical: what mxd_dns_name_canon() makes of it is itself ("mx\." is a
         * label ending in an escaped dot, not a trailing dot) */
        char c2[MXD_NAME_MAX];
        FUZZ_ASSERT(mxd_dns_name_canon(h, c2, sizeof c2) && strcmp(c2, h) == 0);
        if (i > 0) { /* sorted by preference, then host; a set */
            const mxd_mxrec *p = &a.v[i - 1], *q = &a.v[i];
            FUZZ_ASSERT(p->pref < q->pref || (p->pref == q->pref && strcmp(p->host, q->host) < 0));
        }
    }
    FUZZ_ASSERT(mxd_mxanswer_same(&a, &a) == (a.state == MXD_Q_OK || a.state == MXD_Q_NODATA));
    mxd_sb sb = MXD_SB_INIT;
    mxd_mxanswer_format(&a, &sb);
    FUZZ_ASSERT(mxd_sb_ok(&sb));
    mxd_sb_free(&sb);
    mxd_mxanswer_free(&a);

    static const uint16_t types[] = { MXD_T_TXT, MXD_T_PTR, MXD_T_A, MXD_T_AAAA, MXD_T_TLSA };
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        mxd_plookup l;
        memset(&l, 0, sizeof l);
        l.type = types[t];
        snprintf(l.name, sizeof l.name, "%s", m->qname);
        FUZZ_ASSERT(mxd_plookup_fill(&l, MXD_Q_OK, m) == 0);
        FUZZ_ASSERT(l.nrec <= m->nan);
        FUZZ_ASSERT(l.state == (l.nrec ? MXD_Q_OK : MXD_Q_NODATA));
        for (size_t i = 0; i < l.nrec; i++) {
            FUZZ_ASSERT(l.rec[i] != NULL && l.rec[i][l.len[i]] == '\0');
            if (types[t] == MXD_T_TLSA) {
                char out[64];
                memset(out, 0x55, sizeof out);
                mxd_tlsa_format(l.rec[i], l.len[i], out, sizeof out);
                FUZZ_ASSERT(memchr(out, '\0', sizeof out) != NULL);
            }
        }
        mxd_plookup_free(&l);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = (uint8_t *)fuzz_dup(data, size);
    mxd_dnsmsg m;
    memset(&m, 0x55, sizeof m);
    int rc = mxd_dns_parse(buf, size, &m);
    if (rc != 0) {
        FUZZ_ASSERT(rc == -1);
        FUZZ_ASSERT(m.an == NULL && m.ns == NULL && m.ar == NULL && m.nan == 0 && m.nns == 0 &&
                    m.nar == 0);
        free(buf);
        return 0;
    }
    FUZZ_ASSERT(size >= 12);
    unsigned cnt[3] = { (unsigned)(buf[6] << 8 | buf[7]), (unsigned)(buf[8] << 8 | buf[9]),
                        (unsigned)(buf[10] << 8 | buf[11]) };
    FUZZ_ASSERT(m.nan <= cnt[0] && m.nns <= cnt[1] && m.nar <= cnt[2]);
    if (!(m.flags & MXD_F_TC))
        FUZZ_ASSERT(m.nan == cnt[0] && m.nns == cnt[1] && m.nar == cnt[2]);
    FUZZ_ASSERT(m.rcode >= 0 && m.rcode <= 4095 && mxd_dns_rcode_name(m.rcode) != NULL);
    FUZZ_ASSERT(m.edns_udp_size == 0 || m.edns_udp_size >= 512);
    if (m.qdcount)
        check_name(m.qname);
    for (size_t i = 0; i < m.nan; i++)
        check_rr(&m.an[i], size);
    for (size_t i = 0; i < m.nns; i++)
        check_rr(&m.ns[i], size);
    for (size_t i = 0; i < m.nar; i++)
        check_rr(&m.ar[i], size);
    walk_answers(&m);
    mxd_dnsmsg_free(&m);
    FUZZ_ASSERT(m.an == NULL && m.nan == 0);
    free(buf);
    return 0;
}
