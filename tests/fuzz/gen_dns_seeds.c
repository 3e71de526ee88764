/* gen_dns_seeds.c — writes DNS messages for the dnswire fuzzer's seed corpus.
 *
 * Queries from mxd_dns_build_query() and answers from the lab's writer
 * (mxd_dnsw_*): every record type the walker reads (MX, A, AAAA, CNAME, NS,
 * PTR, SOA, TXT, TLSA), compression against the question, EDNS, NXDOMAIN with
 * SOA, an extended rcode and a truncated answer. Usage: gen_dns_seeds DIR
 * (called by tests/fuzz/make_seeds.py).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxd/dnswire.h"

static const char *dir;
static int count;

static void save(const uint8_t *b, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/dns-%02d.bin", dir, count++);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b, 1, n, f) != n) {
        perror(path);
        exit(1);
    }
    fclose(f);
}

static mxd_rr rr(const char *name, uint16_t type, uint32_t ttl)
{
    mxd_rr r;
    memset(&r, 0, sizeof r);
    mxd_rr_setf(&r.name, "%s", name);
    r.type = type;
    r.rclass = 1;
    r.ttl = ttl;
    return r;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_dns_seeds DIR\n");
        return 64;
    }
    dir = argv[1];
    static uint8_t b[65535];
    int n;

    /* Queries. */
    n = mxd_dns_build_query(b, sizeof b, 0x1234, "example.jp", MXD_T_MX, true, true);
    save(b, (size_t)n);
    n = mxd_dns_build_query(b, sizeof b, 7, "_dmarc.example.jp", MXD_T_TXT, true, false);
    save(b, (size_t)n);
    n = mxd_dns_build_query(b, sizeof b, 9, "25.2.0.192.in-addr.arpa", MXD_T_PTR, false, true);
    save(b, (size_t)n);

    mxd_dnsw w;
    mxd_rr r;

    /* MX answer with glue: names compressed against the question. */
    mxd_dnsw_begin(&w, b, sizeof b, 0x4242, MXD_F_AA | MXD_F_RD, "lab.test", MXD_T_MX, 1);
    mxd_dnsw_edns(&w, 1232);
    r = rr("lab.test", MXD_T_MX, 3600); r.u.mx.pref = 10;
    mxd_rr_setf(&r.u.mx.host, "mx1.lab.test");
    mxd_dnsw_add(&w, &r);
    r.u.mx.pref = 20;
    mxd_rr_setf(&r.u.mx.host, "mx2.backup.example");
    mxd_dnsw_add(&w, &r);
    mxd_dnsw_section(&w, 3);
    r = rr("mx1.lab.test", MXD_T_A, 300);
    memcpy(r.u.a, "\x7f\x00\x35\x19", 4);
    mxd_dnsw_add(&w, &r);
    r = rr("mx1.lab.test", MXD_T_AAAA, 300);
    memcpy(r.u.aaaa, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x19", 16);
    mxd_dnsw_add(&w, &r);
    save(b, mxd_dnsw_end(&w));

    /* Null MX. */
    mxd_dnsw_begin(&w, b, sizeof b, 1, MXD_F_AA, "null.lab.test", MXD_T_MX, 1);
    r = rr("null.lab.test", MXD_T_MX, 60); r.u.mx.pref = 0;
    mxd_rr_setf(&r.u.mx.host, ".");
    mxd_dnsw_add(&w, &r);
    save(b, mxd_dnsw_end(&w));

    /* CNAME chain ending in an A record. */
    mxd_dnsw_begin(&w, b, sizeof b, 2, MXD_F_RD | MXD_F_RA, "mail.lab.test", MXD_T_A, 1);
    r = rr("mail.lab.test", MXD_T_CNAME, 60);
    mxd_rr_setf(&r.u.target, "edge.cdn.example");
    mxd_dnsw_add(&w, &r);
    r = rr("edge.cdn.example", MXD_T_A, 20);
    memcpy(r.u.a, "\xc0\x00\x02\x50", 4);
    mxd_dnsw_add(&w, &r);
    save(b, mxd_dnsw_end(&w));

    /* NXDOMAIN with the zone's SOA in the authority section. */
    mxd_dnsw_begin(&w, b, sizeof b, 3, MXD_F_AA | MXD_RCODE_NXDOMAIN, "nope.lab.test", MXD_T_MX, 1);
    mxd_dnsw_section(&w, 2);
    r = rr("lab.test", MXD_T_SOA, 900);
    mxd_rr_setf(&r.u.soa.mname, "ns1.lab.test");
    mxd_rr_setf(&r.u.soa.rname, "hostmaster.lab.test");
    r.u.soa.serial = 2024010101; r.u.soa.refresh = 7200; r.u.soa.retry = 3600;
    r.u.soa.expire = 1209600; r.u.soa.minimum = 300;
    mxd_dnsw_add(&w, &r);
    r = rr("lab.test", MXD_T_NS, 900);
    mxd_rr_setf(&r.u.target, "ns1.lab.test");
    mxd_dnsw_add(&w, &r);
    save(b, mxd_dnsw_end(&w));

    /* TXT: SPF, DMARC, a long record split into 255-byte strings, hostile bytes. */
    static const char *const txts[] = {
        "v=spf1 ip4:192.0.2.0/24 include:_spf.example.net ~all",
        "v=DMARC1; p=reject; rua=mailto:dmarc@lab.test",
        "v=STSv1; id=20240101T000000",
        "\x1b]0;owned\x07 \xe2\x80\xae evil \x00 nul",
    };
    for (size_t i = 0; i < sizeof txts / sizeof txts[0]; i++) {
        mxd_dnsw_begin(&w, b, sizeof b, (uint16_t)(10 + i), MXD_F_RD | MXD_F_RA, "lab.test", MXD_T_TXT, 1);
        r = rr("lab.test", MXD_T_TXT, 300);
        r.data = (uint8_t *)txts[i];
        r.data_len = strlen(txts[i]) + (i == 3 ? 5 : 0);
        mxd_dnsw_add(&w, &r);
        save(b, mxd_dnsw_end(&w));
    }
    char longtxt[700];
    memset(longtxt, 'a', sizeof longtxt);
    memcpy(longtxt, "v=spf1 ", 7);
    mxd_dnsw_begin(&w, b, sizeof b, 20, 0, "long.lab.test", MXD_T_TXT, 1);
    r = rr("long.lab.test", MXD_T_TXT, 300);
    r.data = (uint8_t *)longtxt;
    r.data_len = sizeof longtxt;
    mxd_dnsw_add(&w, &r);
    save(b, mxd_dnsw_end(&w));

    /* PTR, TLSA (raw RDATA), an extended rcode through EDNS. */
    mxd_dnsw_begin(&w, b, sizeof b, 30, MXD_F_RD | MXD_F_RA, "25.53.0.127.in-addr.arpa", MXD_T_PTR, 1);
    r = rr("25.53.0.127.in-addr.arpa", MXD_T_PTR, 3600);
    mxd_rr_setf(&r.u.target, "mx1.lab.test");
    mxd_dnsw_add(&w, &r);
    save(b, mxd_dnsw_end(&w));
    static const uint8_t tlsa[] = { 3, 1, 1, 0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f, 0x60, 0x71, 0x82 };
    mxd_dnsw_begin(&w, b, sizeof b, 31, MXD_F_RD | MXD_F_RA | MXD_F_AD, "_25._tcp.mx1.lab.test",
                   MXD_T_TLSA, 1);
    r = rr("_25._tcp.mx1.lab.test", MXD_T_TLSA, 3600);
    r.data = (uint8_t *)tlsa;
    r.data_len = sizeof tlsa;
    mxd_dnsw_add(&w, &r);
    save(b, mxd_dnsw_end(&w));
    mxd_dnsw_begin(&w, b, sizeof b, 32, 0, "badvers.lab.test", MXD_T_A, 1);
    mxd_dnsw_edns(&w, 1232);
    mxd_dnsw_set_rcode(&w, 16);
    save(b, mxd_dnsw_end(&w));

    /* Truncated: many MX records into a 512-byte buffer (TC set). */
    static uint8_t small[512];
    mxd_dnsw_begin(&w, small, sizeof small, 40, MXD_F_AA, "many.lab.test", MXD_T_MX, 1);
    for (int i = 0; i < 40; i++) {
        r = rr("many.lab.test", MXD_T_MX, 60);
        r.u.mx.pref = (uint16_t)i;
        mxd_rr_setf(&r.u.mx.host, "mx%02d.somewhat-long-provider-name.example", i);
        if (mxd_dnsw_add(&w, &r) < 0)
            break;
    }
    save(small, mxd_dnsw_end(&w));

    /* A FORMERR without a question. */
    mxd_dnsw_begin(&w, b, sizeof b, 50, MXD_RCODE_FORMERR, NULL, 0, 0);
    save(b, mxd_dnsw_end(&w));
    return 0;
}
