/* check_dnswire.c — the DNS codec on real and hostile byte arrays.
 *
 * Each fixture is a message as it travels on the wire, with its decoded form
 * beside it (the way lldpd's tests/check_lldp.c keeps its frames). The hostile
 * ones (loops, wild pointers, short packets) must come back as -1 without
 * reading past the end: run this under ASan/valgrind to see that it does not.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxd/dnswire.h"

/* ---- fixtures ---------------------------------------------------------- */

static const uint8_t fx_mx[] = {
    0x12, 0x34, 0x85, 0x80, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01,
    0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d,
    0x00, 0x00, 0x0f, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x0f, 0x00, 0x01, 0x00,
    0x00, 0x0e, 0x10, 0x00, 0x09, 0x00, 0x0a, 0x04, 0x6d, 0x61, 0x69, 0x6c,
    0xc0, 0x0c, 0xc0, 0x0c, 0x00, 0x0f, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10,
    0x00, 0x0a, 0x00, 0x14, 0x05, 0x6d, 0x61, 0x69, 0x6c, 0x32, 0xc0, 0x0c,
    0xc0, 0x2b, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x04,
    0xc0, 0x00, 0x02, 0x01,
};
/* 88 bytes. id 0x1234, flags 0x8580 (QR AA RD RA, NOERROR), qd 1 an 2 ns 0 ar 1
 *  @12 question  example.com. MX IN
 *  @29 answer    [ptr @12] 3600 IN MX 10 mail.[ptr @12]    -> mail.example.com
 *  @50 answer    [ptr @12] 3600 IN MX 20 mail2.[ptr @12]   -> mail2.example.com
 *  @72 additional [ptr @43 = "mail" label of the first MX] 300 IN A 192.0.2.1
 *                the pointer targets a name inside another record's RDATA */

static const uint8_t fx_nxdomain[] = {
    0xbe, 0xef, 0x85, 0x83, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x04, 0x6e, 0x6f, 0x70, 0x65, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c,
    0x65, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x11,
    0x00, 0x06, 0x00, 0x01, 0x00, 0x00, 0x03, 0x84, 0x00, 0x27, 0x03, 0x6e,
    0x73, 0x31, 0xc0, 0x11, 0x0a, 0x68, 0x6f, 0x73, 0x74, 0x6d, 0x61, 0x73,
    0x74, 0x65, 0x72, 0xc0, 0x11, 0x78, 0xa3, 0xf1, 0x75, 0x00, 0x00, 0x1c,
    0x20, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x12, 0x75, 0x00, 0x00, 0x00, 0x01,
    0x2c,
};
/* 85 bytes. id 0xbeef, flags 0x8583 (QR AA RD RA, NXDOMAIN), qd 1 an 0 ns 1 ar 0
 *  @12 question  nope.example.com. A IN
 *  @34 authority [ptr @17 = example.com] 900 IN SOA ns1.[ptr @17]
 *                hostmaster.[ptr @17] 2024010101 7200 3600 1209600 300 */

static const uint8_t fx_cname[] = {
    0x01, 0x01, 0x81, 0x80, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00,
    0x03, 0x77, 0x77, 0x77, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
    0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00,
    0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x11, 0x03, 0x77, 0x65,
    0x62, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x6e, 0x65,
    0x74, 0x00, 0xc0, 0x2d, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c,
    0x00, 0x12, 0x04, 0x65, 0x64, 0x67, 0x65, 0x03, 0x63, 0x64, 0x6e, 0x07,
    0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x00, 0xc0, 0x4a, 0x00, 0x01,
    0x00, 0x01, 0x00, 0x00, 0x00, 0x14, 0x00, 0x04, 0xc0, 0x00, 0x02, 0x50,
};
/* 108 bytes. id 0x0101, flags 0x8180 (QR RD RA), qd 1 an 3
 *  @12 question  www.example.com. A IN
 *  @33 answer    [ptr @12] 60 IN CNAME web.example.net.         (rdata @45)
 *  @62 answer    [ptr @45] 60 IN CNAME edge.cdn.example.         (rdata @74)
 *  @92 answer    [ptr @74] 20 IN A 192.0.2.80 */

static const uint8_t fx_txt[] = {
    0x77, 0x77, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d,
    0x00, 0x00, 0x10, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x10, 0x00, 0x01, 0x00,
    0x00, 0x01, 0x2c, 0x00, 0x26, 0x20, 0x76, 0x3d, 0x73, 0x70, 0x66, 0x31,
    0x20, 0x69, 0x6e, 0x63, 0x6c, 0x75, 0x64, 0x65, 0x3a, 0x5f, 0x73, 0x70,
    0x66, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6e, 0x65,
    0x74, 0x20, 0x04, 0x7e, 0x61, 0x6c, 0x6c,
};
/* 79 bytes. id 0x7777, flags 0x8180, qd 1 an 1
 *  @12 question  example.com. TXT IN
 *  @29 answer    [ptr @12] 300 IN TXT rdlength 38:
 *                "v=spf1 include:_spf.example.net " (32) "~all" (4)
 *                -> joined: "v=spf1 include:_spf.example.net ~all" */

static const uint8_t fx_ctl[] = {
    0x00, 0x02, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x06, 0x61, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0x05, 0x65, 0x2e, 0x76, 0x69,
    0x6c, 0x00, 0x00, 0x0c, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x0c, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x3c, 0x00, 0x06, 0x01, 0x00, 0x02, 0x6f, 0x6b, 0x00,
};
/* 48 bytes. id 2, qd 1 an 1: names made to fool a terminal
 *  @12 question  "a" ESC "[31m" . "e.vil" .  PTR IN   (a dot inside a label)
 *      -> presentation a\027[31m.e\.vil
 *  @30 answer    [ptr @12] 60 IN PTR <label of one 0x00 byte>.ok.
 *      -> \000.ok (c-ares 1.18 would give a bare NUL and lose ".ok") */

/* ---- helpers ----------------------------------------------------------- */

static void parse_ok(const uint8_t *b, size_t n, mxd_dnsmsg *m)
{
    ck_assert_int_eq(mxd_dns_parse(b, n, m), 0);
}

static uint8_t *dup_fx(const uint8_t *b, size_t n)
{
    uint8_t *d = malloc(n);
    ck_assert_ptr_nonnull(d);
    memcpy(d, b, n);
    return d;
}

/* ---- parsing real messages --------------------------------------------- */

START_TEST(test_mx_compressed)
{
    mxd_dnsmsg m;
    parse_ok(fx_mx, sizeof fx_mx, &m);
    ck_assert_uint_eq(m.id, 0x1234);
    ck_assert(m.flags & MXD_F_AA);
    ck_assert(m.flags & MXD_F_QR);
    ck_assert_int_eq(m.rcode, MXD_RCODE_NOERROR);
    ck_assert_str_eq(m.qname, "example.com");
    ck_assert_uint_eq(m.qtype, MXD_T_MX);
    ck_assert_uint_eq(m.qclass, 1);
    ck_assert_uint_eq(m.nan, 2);
    ck_assert_uint_eq(m.nns, 0);
    ck_assert_uint_eq(m.nar, 1);
    ck_assert_str_eq(m.an[0].name, "example.com");
    ck_assert_uint_eq(m.an[0].type, MXD_T_MX);
    ck_assert_uint_eq(m.an[0].ttl, 3600);
    ck_assert_uint_eq(m.an[0].u.mx.pref, 10);
    ck_assert_str_eq(m.an[0].u.mx.host, "mail.example.com");
    ck_assert_ptr_null(m.an[0].data);
    ck_assert_uint_eq(m.an[1].u.mx.pref, 20);
    ck_assert_str_eq(m.an[1].u.mx.host, "mail2.example.com");
    ck_assert_str_eq(m.ar[0].name, "mail.example.com");
    ck_assert_uint_eq(m.ar[0].type, MXD_T_A);
    ck_assert_uint_eq(m.ar[0].ttl, 300);
    ck_assert_mem_eq(m.ar[0].u.a, ((uint8_t[]){ 192, 0, 2, 1 }), 4);
    ck_assert_uint_eq(m.edns_udp_size, 0);
    mxd_dnsmsg_free(&m);
    ck_assert_ptr_null(m.an);
    ck_assert_uint_eq(m.nan, 0);
}
END_TEST

START_TEST(test_nxdomain_soa)
{
    mxd_dnsmsg m;
    parse_ok(fx_nxdomain, sizeof fx_nxdomain, &m);
    ck_assert_int_eq(m.rcode, MXD_RCODE_NXDOMAIN);
    ck_assert_str_eq(mxd_dns_rcode_name(m.rcode), "NXDOMAIN");
    ck_assert_str_eq(m.qname, "nope.example.com");
    ck_assert_uint_eq(m.nan, 0);
    ck_assert_uint_eq(m.nns, 1);
    const mxd_rr *s = &m.ns[0];
    ck_assert_str_eq(s->name, "example.com");
    ck_assert_uint_eq(s->type, MXD_T_SOA);
    ck_assert_uint_eq(s->ttl, 900);
    ck_assert_str_eq(s->u.soa.mname, "ns1.example.com");
    ck_assert_str_eq(s->u.soa.rname, "hostmaster.example.com");
    ck_assert_uint_eq(s->u.soa.serial, 2024010101u);
    ck_assert_uint_eq(s->u.soa.refresh, 7200);
    ck_assert_uint_eq(s->u.soa.retry, 3600);
    ck_assert_uint_eq(s->u.soa.expire, 1209600);
    ck_assert_uint_eq(s->u.soa.minimum, 300);
    mxd_dnsmsg_free(&m);
}
END_TEST

START_TEST(test_cname_chain)
{
    mxd_dnsmsg m;
    parse_ok(fx_cname, sizeof fx_cname, &m);
    ck_assert_uint_eq(m.nan, 3);
    /* Walk the chain from the question name, as a resolver's client would. */
    const char *cur = m.qname;
    int hops = 0;
    for (size_t i = 0; i < m.nan; i++)
        if (mxd_dns_name_eq(m.an[i].name, cur) && m.an[i].type == MXD_T_CNAME) {
            cur = m.an[i].u.target;
            hops++;
        }
    ck_assert_int_eq(hops, 2);
    ck_assert_str_eq(cur, "edge.cdn.example");
    ck_assert_str_eq(m.an[1].name, "web.example.net");
    ck_assert_str_eq(m.an[2].name, "edge.cdn.example");
    ck_assert_uint_eq(m.an[2].type, MXD_T_A);
    ck_assert_uint_eq(m.an[2].ttl, 20);
    ck_assert_mem_eq(m.an[2].u.a, ((uint8_t[]){ 192, 0, 2, 80 }), 4);
    mxd_dnsmsg_free(&m);
}
END_TEST

START_TEST(test_txt_split)
{
    mxd_dnsmsg m;
    parse_ok(fx_txt, sizeof fx_txt, &m);
    ck_assert_uint_eq(m.nan, 1);
    ck_assert_uint_eq(m.an[0].type, MXD_T_TXT);
    ck_assert_uint_eq(m.an[0].txt_strings, 2);
    ck_assert_uint_eq(m.an[0].data_len, 36);
    ck_assert_str_eq((const char *)m.an[0].data, "v=spf1 include:_spf.example.net ~all");
    mxd_dnsmsg_free(&m);
}
END_TEST

START_TEST(test_control_bytes_escaped)
{
    mxd_dnsmsg m;
    parse_ok(fx_ctl, sizeof fx_ctl, &m);
    ck_assert_str_eq(m.qname, "a\\027[31m.e\\.vil");
    ck_assert_str_eq(m.an[0].name, "a\\027[31m.e\\.vil");
    ck_assert_str_eq(m.an[0].u.target, "\\000.ok");
    ck_assert_ptr_null(strchr(m.qname, 0x1b));
    mxd_dnsmsg_free(&m);
}
END_TEST

/* ---- hostile and broken input ------------------------------------------ */

START_TEST(test_truncated_packet)
{
    mxd_dnsmsg m;
    /* Every proper prefix of a message without TC is malformed. */
    for (size_t n = 0; n < sizeof fx_mx; n++)
        ck_assert_msg(mxd_dns_parse(fx_mx, n, &m) == -1, "prefix %zu parsed", n);
    ck_assert_ptr_null(m.an);
    /* The same cut with TC set keeps the records that arrived whole: the
     * first MX ends at byte 50, the second is cut at 55. */
    uint8_t *b = dup_fx(fx_mx, sizeof fx_mx);
    b[2] |= 0x02;
    parse_ok(b, 55, &m);
    ck_assert(m.flags & MXD_F_TC);
    ck_assert_uint_eq(m.nan, 1);
    ck_assert_str_eq(m.an[0].u.mx.host, "mail.example.com");
    ck_assert_uint_eq(m.nar, 0);
    mxd_dnsmsg_free(&m);
    /* A header alone with TC (what many servers send) parses. */
    parse_ok(b, 29, &m);
    ck_assert_uint_eq(m.nan, 0);
    ck_assert_str_eq(m.qname, "example.com");
    mxd_dnsmsg_free(&m);
    /* A cut question is malformed even with TC. */
    ck_assert_int_eq(mxd_dns_parse(b, 20, &m), -1);
    free(b);
}
END_TEST

START_TEST(test_counts_larger_than_data)
{
    static const uint8_t b[] = {
        0x00, 0x09, 0x81, 0x80, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0x01, 0x61, 0x00, 0x00, 0x01, 0x00, 0x01,
        0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x04,
        0x7f, 0x00, 0x00, 0x01,
    };
    /* id 9, qd 1 but an/ns/ar 65535 each; only one A record follows:
     *  @12 a. A IN   @19 [ptr @12] 5 IN A 127.0.0.1 */
    mxd_dnsmsg m;
    ck_assert_int_eq(mxd_dns_parse(b, sizeof b, &m), -1);
    /* qdcount of 65535 with one question: malformed too. */
    uint8_t *c = dup_fx(b, sizeof b);
    c[4] = 0xff; c[5] = 0xff; c[6] = 0; c[7] = 1; c[8] = c[9] = c[10] = c[11] = 0;
    ck_assert_int_eq(mxd_dns_parse(c, sizeof b, &m), -1);
    c[4] = 0; c[5] = 1;
    parse_ok(c, sizeof b, &m);
    ck_assert_uint_eq(m.nan, 1);
    ck_assert_mem_eq(m.an[0].u.a, ((uint8_t[]){ 127, 0, 0, 1 }), 4);
    mxd_dnsmsg_free(&m);
    free(c);
}
END_TEST

START_TEST(test_compression_loop)
{
    static const uint8_t self[] = {
        0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01,
    };
    /* question name @12 is a pointer to @12 itself */
    static const uint8_t pair[] = {
        0x00, 0x01, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x61, 0x00, 0x00, 0x01, 0x00, 0x01,
        0xc0, 0x1e, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x02,
        0xc0, 0x13,
    };
    /* question a. A; answer owner @19 -> @30, which is the CNAME rdata
     * [ptr @19] -> back to @19: a two-pointer loop */
    static const uint8_t label_loop[] = {
        0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x61, 0x01, 0x62, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01,
    };
    /* a.b.[ptr @12] -> a.b.a.b.a.b... grows until the 255-octet or
     * indirection bound stops it */
    mxd_dnsmsg m;
    ck_assert_int_eq(mxd_dns_parse(self, sizeof self, &m), -1);
    ck_assert_int_eq(mxd_dns_parse(pair, sizeof pair, &m), -1);
    ck_assert_int_eq(mxd_dns_parse(label_loop, sizeof label_loop, &m), -1);
}
END_TEST

START_TEST(test_pointer_out_of_bounds)
{
    static const uint8_t b[] = {
        0x00, 0x01, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x61, 0x00, 0x00, 0x0f, 0x00, 0x01,
        0xc0, 0x0c, 0x00, 0x0f, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x04,
        0x00, 0x0a, 0xc0, 0xff,
    };
    /* a. MX; answer: [ptr @12] 5 IN MX 10 [ptr @255] — past the 35-byte end */
    mxd_dnsmsg m;
    ck_assert_int_eq(mxd_dns_parse(b, sizeof b, &m), -1);
    /* A reserved label type (0x40) is rejected as well. */
    uint8_t *c = dup_fx(b, sizeof b);
    c[33] = 0x40;
    ck_assert_int_eq(mxd_dns_parse(c, sizeof b, &m), -1);
    /* With the pointer fixed (to @12) the same bytes parse. */
    c[33] = 0xc0; c[34] = 0x0c;
    parse_ok(c, sizeof b, &m);
    ck_assert_str_eq(m.an[0].u.mx.host, "a");
    mxd_dnsmsg_free(&m);
    free(c);
}
END_TEST

START_TEST(test_rdlength_overflow)
{
    static const uint8_t b[] = {
        0x00, 0x01, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x61, 0x00, 0x00, 0x10, 0x00, 0x01,
        0xc0, 0x0c, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x01, 0x00,
        0x03, 0x61, 0x62, 0x63,
    };
    /* a. TXT; answer: rdlength 256 but only 4 bytes follow */
    mxd_dnsmsg m;
    ck_assert_int_eq(mxd_dns_parse(b, sizeof b, &m), -1);
    uint8_t *c = dup_fx(b, sizeof b);
    /* a character-string longer than its RDATA: rdlength 4, string says 9 */
    c[29] = 0; c[30] = 4; c[31] = 9;
    ck_assert_int_eq(mxd_dns_parse(c, sizeof b, &m), -1);
    /* an A record with 5 bytes of RDATA */
    static const uint8_t a5[] = {
        0x00, 0x01, 0x81, 0x80, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x05,
        0x01, 0x02, 0x03, 0x04, 0x05,
    };
    ck_assert_int_eq(mxd_dns_parse(a5, sizeof a5, &m), -1);
    /* an MX whose name runs past its rdlength into the next bytes */
    static const uint8_t mxlong[] = {
        0x00, 0x01, 0x81, 0x80, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x0f, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x03,
        0x00, 0x0a, 0x01, 0x62, 0x00,
    };
    ck_assert_int_eq(mxd_dns_parse(mxlong, sizeof mxlong, &m), -1);
    free(c);
}
END_TEST

START_TEST(test_name_length_limit)
{
    /* 4 labels of 63 bytes: 4*64 + 1 = 257 octets, one too many. */
    uint8_t b[12 + 300] = { 0, 1, 0, 0, 0, 1 };
    size_t o = 12;
    for (int l = 0; l < 4; l++) {
        b[o++] = 63;
        memset(b + o, 'x', 63);
        o += 63;
    }
    b[o++] = 0;
    b[o++] = 0; b[o++] = 1; b[o++] = 0; b[o++] = 1;
    mxd_dnsmsg m;
    ck_assert_int_eq(mxd_dns_parse(b, o, &m), -1);
    /* 3*64 + 62 + 1 = 255 octets: the longest legal name. */
    b[12 + 3 * 64] = 61;
    memmove(b + 12 + 3 * 64 + 62, b + 12 + 3 * 64 + 64, 6);
    parse_ok(b, o - 2, &m);
    ck_assert_uint_eq(strlen(m.qname), 63 * 3 + 61 + 3);
    mxd_dnsmsg_free(&m);
}
END_TEST

START_TEST(test_over_64k_and_null)
{
    mxd_dnsmsg m;
    uint8_t *big = calloc(1, 70000);
    ck_assert_int_eq(mxd_dns_parse(big, 70000, &m), -1);
    ck_assert_int_eq(mxd_dns_parse(NULL, 12, &m), -1);
    ck_assert_int_eq(mxd_dns_parse(big, 11, &m), -1);
    /* 12 zero bytes: an empty message is well-formed */
    parse_ok(big, 12, &m);
    ck_assert_uint_eq(m.qdcount, 0);
    ck_assert_str_eq(m.qname, "");
    mxd_dnsmsg_free(&m);
    free(big);
}
END_TEST

/* Every prefix and thousands of random corruptions of each fixture: the parser
 * must say yes or no, never crash, and never claim more than the header said. */
START_TEST(test_mutations)
{
    const struct { const uint8_t *b; size_t n; } fx[] = {
        { fx_mx, sizeof fx_mx }, { fx_nxdomain, sizeof fx_nxdomain },
        { fx_cname, sizeof fx_cname }, { fx_txt, sizeof fx_txt }, { fx_ctl, sizeof fx_ctl },
    };
    uint32_t x = 0x9e3779b9u;
    unsigned ok = 0, bad = 0;
    for (size_t f = 0; f < sizeof fx / sizeof fx[0]; f++) {
        uint8_t *b = dup_fx(fx[f].b, fx[f].n);
        for (int round = 0; round < 3000; round++) {
            memcpy(b, fx[f].b, fx[f].n);
            int flips = 1 + round % 3;
            for (int k = 0; k < flips; k++) {
                x ^= x << 13; x ^= x >> 17; x ^= x << 5;
                b[x % fx[f].n] = (uint8_t)(x >> 8);
            }
            size_t n = (round % 7 == 0) ? (x >> 16) % (fx[f].n + 1) : fx[f].n;
            mxd_dnsmsg m;
            int rc = mxd_dns_parse(b, n, &m);
            ck_assert(rc == 0 || rc == -1);
            if (rc == 0) {
                ck_assert_uint_le(m.nan, (size_t)(b[6] << 8 | b[7]));
                ck_assert_uint_le(m.nns, (size_t)(b[8] << 8 | b[9]));
                ck_assert_uint_le(m.nar, (size_t)(b[10] << 8 | b[11]));
                for (size_t i = 0; i < m.nan; i++)
                    ck_assert_uint_lt(strlen(m.an[i].name), MXD_NAME_MAX);
                ok++;
            } else {
                bad++;
            }
            mxd_dnsmsg_free(&m);
        }
        free(b);
    }
    /* Both outcomes happen, so the loop really exercised the parser. */
    ck_assert_uint_gt(ok, 100);
    ck_assert_uint_gt(bad, 100);
}
END_TEST

/* ---- building ---------------------------------------------------------- */

START_TEST(test_build_query_bytes)
{
    uint8_t b[512];
    int n = mxd_dns_build_query(b, sizeof b, 0xabcd, "Example.COM.", MXD_T_MX, true, true);
    static const uint8_t want[] = {
        0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
        0x07, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 0x03, 'C', 'O', 'M', 0x00,
        0x00, 0x0f, 0x00, 0x01,
        0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    };
    /* id 0xabcd, RD, qd 1 ar 1; Example.COM MX IN; OPT udp 1232, ttl 0, rdlen 0 */
    ck_assert_int_eq(n, (int)sizeof want);
    ck_assert_mem_eq(b, want, sizeof want);

    n = mxd_dns_build_query(b, sizeof b, 7, "lab.test", MXD_T_A, false, false);
    ck_assert_int_eq(n, 12 + 10 + 4);
    mxd_dnsmsg m;
    parse_ok(b, (size_t)n, &m);
    ck_assert_uint_eq(m.flags, 0);
    ck_assert_uint_eq(m.nar, 0);
    ck_assert_uint_eq(m.edns_udp_size, 0);
    mxd_dnsmsg_free(&m);

    ck_assert_int_eq(mxd_dns_build_query(b, sizeof b, 1, "a..b", MXD_T_A, true, false), -1);
    ck_assert_int_eq(mxd_dns_build_query(b, sizeof b, 1, ".a", MXD_T_A, true, false), -1);
    char l64[80];
    memset(l64, 'x', 64);
    strcpy(l64 + 64, ".test");
    ck_assert_int_eq(mxd_dns_build_query(b, sizeof b, 1, l64, MXD_T_A, true, false), -1);
    ck_assert_int_eq(mxd_dns_build_query(b, sizeof b, 1, l64 + 1, MXD_T_A, true, false), 12 + 63 + 7 + 4);
    ck_assert_int_eq(mxd_dns_build_query(b, 20, 1, "example.com", MXD_T_A, true, false), -1);
    ck_assert_int_eq(mxd_dns_build_query(b, 29, 1, "example.com", MXD_T_A, true, true), -1);
    ck_assert_int_eq(mxd_dns_build_query(b, 29, 1, "example.com", MXD_T_A, true, false), 29);
    ck_assert_int_eq(mxd_dns_build_query(b, sizeof b, 1, "bad\\", MXD_T_A, true, false), -1);
    ck_assert_int_eq(mxd_dns_build_query(b, sizeof b, 1, "bad\\25", MXD_T_A, true, false), -1);
    ck_assert_int_eq(mxd_dns_build_query(b, sizeof b, 1, "bad\\256", MXD_T_A, true, false), -1);
    /* The root is a valid question (". NS"). */
    ck_assert_int_eq(mxd_dns_build_query(b, sizeof b, 1, ".", MXD_T_NS, true, false), 17);
    parse_ok(b, 17, &m);
    ck_assert_str_eq(m.qname, ".");
    mxd_dnsmsg_free(&m);
}
END_TEST

START_TEST(test_edns_and_extended_rcode)
{
    uint8_t b[512];
    int n = mxd_dns_build_query(b, sizeof b, 1, "x.test", MXD_T_TXT, true, true);
    mxd_dnsmsg m;
    parse_ok(b, (size_t)n, &m);
    ck_assert(m.flags & MXD_F_RD);
    ck_assert_uint_eq(m.edns_udp_size, 1232);
    ck_assert_uint_eq(m.nar, 1);
    ck_assert_uint_eq(m.ar[0].type, MXD_T_OPT);
    ck_assert_str_eq(m.ar[0].name, ".");
    mxd_dnsmsg_free(&m);

    /* A BADVERS answer: rcode 16 = OPT extended bits 1, header rcode 0. */
    mxd_dnsw w;
    ck_assert_int_eq(mxd_dnsw_begin(&w, b, sizeof b, 1, 0, "x.test", MXD_T_TXT, 1), 0);
    mxd_dnsw_edns(&w, 1232);
    mxd_dnsw_set_rcode(&w, 16);
    n = (int)mxd_dnsw_end(&w);
    parse_ok(b, (size_t)n, &m);
    ck_assert_int_eq(m.rcode, 16);
    ck_assert_str_eq(mxd_dns_rcode_name(m.rcode), "BADVERS");
    ck_assert_uint_eq(m.flags & 0xF, 0);
    mxd_dnsmsg_free(&m);

    /* set_rcode keeps the other flag bits */
    ck_assert_int_eq(mxd_dnsw_begin(&w, b, sizeof b, 1, MXD_F_AA | MXD_F_RD | MXD_F_RA, "x.test",
                                    MXD_T_A, 1), 0);
    mxd_dnsw_set_rcode(&w, MXD_RCODE_NXDOMAIN);
    n = (int)mxd_dnsw_end(&w);
    parse_ok(b, (size_t)n, &m);
    ck_assert_int_eq(m.rcode, MXD_RCODE_NXDOMAIN);
    ck_assert_uint_eq(m.flags, MXD_F_QR | MXD_F_AA | MXD_F_RD | MXD_F_RA | MXD_RCODE_NXDOMAIN);
    mxd_dnsmsg_free(&m);

    /* A tiny advertised size reads as 512 (RFC 6891 6.2.3). */
    n = mxd_dns_build_query(b, sizeof b, 1, "x.test", MXD_T_TXT, true, true);
    b[n - 8] = 0; b[n - 7] = 100;
    parse_ok(b, (size_t)n, &m);
    ck_assert_uint_eq(m.edns_udp_size, 512);
    mxd_dnsmsg_free(&m);
}
END_TEST

static void round_trip(const mxd_rr *in, mxd_rr *out, mxd_dnsmsg *m, uint8_t *buf, size_t cap)
{
    mxd_dnsw w;
    ck_assert_int_eq(mxd_dnsw_begin(&w, buf, cap, 0x4242, MXD_F_AA, "lab.test", in->type, 1), 0);
    ck_assert_int_eq(mxd_dnsw_add(&w, in), 0);
    size_t n = mxd_dnsw_end(&w);
    ck_assert_int_eq(mxd_dns_parse(buf, n, m), 0);
    ck_assert_uint_eq(m->id, 0x4242);
    ck_assert(m->flags & MXD_F_QR);
    ck_assert(m->flags & MXD_F_AA);
    ck_assert(!(m->flags & MXD_F_TC));
    ck_assert_uint_eq(m->nan, 1);
    *out = m->an[0];
    ck_assert_str_eq(out->name, in->name);
    ck_assert_uint_eq(out->type, in->type);
    ck_assert_uint_eq(out->rclass, 1);
    ck_assert_uint_eq(out->ttl, in->ttl);
}

/* Frees the names a test record owns; its data, if any, is the test's own. */
static void rr_reset(mxd_rr *r)
{
    r->data = NULL;
    mxd_rr_clear(r);
    memset(r, 0, sizeof *r);
}

START_TEST(test_round_trip_every_type)
{
    uint8_t buf[70000];
    mxd_dnsmsg m;
    mxd_rr in = { 0 }, out;

    mxd_rr_set(&in.name, "lab.test"); in.type = MXD_T_MX; in.ttl = 3600;
    in.u.mx.pref = 10; mxd_rr_set(&in.u.mx.host, "mx1.lab.test");
    round_trip(&in, &out, &m, buf, sizeof buf);
    ck_assert_uint_eq(out.u.mx.pref, 10);
    ck_assert_str_eq(out.u.mx.host, "mx1.lab.test");
    mxd_dnsmsg_free(&m);

    /* null MX (RFC 7505): preference 0, target the root */
    in.u.mx.pref = 0; mxd_rr_set(&in.u.mx.host, ".");
    round_trip(&in, &out, &m, buf, sizeof buf);
    ck_assert_str_eq(out.u.mx.host, ".");
    mxd_dnsmsg_free(&m);

    const uint16_t name_types[] = { MXD_T_NS, MXD_T_CNAME, MXD_T_PTR };
    for (size_t i = 0; i < 3; i++) {
        rr_reset(&in);
        mxd_rr_set(&in.name, "www.lab.test"); in.type = name_types[i]; in.ttl = 60;
        mxd_rr_set(&in.u.target, "Other.Example.NET");
        round_trip(&in, &out, &m, buf, sizeof buf);
        ck_assert_str_eq(out.u.target, "Other.Example.NET");
        mxd_dnsmsg_free(&m);
    }

    rr_reset(&in);
    mxd_rr_set(&in.name, "mx1.lab.test"); in.type = MXD_T_A; in.ttl = 1;
    memcpy(in.u.a, ((uint8_t[]){ 127, 0, 53, 25 }), 4);
    round_trip(&in, &out, &m, buf, sizeof buf);
    ck_assert_mem_eq(out.u.a, in.u.a, 4);
    mxd_dnsmsg_free(&m);

    rr_reset(&in);
    mxd_rr_set(&in.name, "mx1.lab.test"); in.type = MXD_T_AAAA; in.ttl = 0xffffffffu;
    for (int i = 0; i < 16; i++)
        in.u.aaaa[i] = (uint8_t)(0x20 + i);
    round_trip(&in, &out, &m, buf, sizeof buf);
    ck_assert_mem_eq(out.u.aaaa, in.u.aaaa, 16);
    mxd_dnsmsg_free(&m);

    rr_reset(&in);
    mxd_rr_set(&in.name, "lab.test"); in.type = MXD_T_SOA; in.ttl = 3600;
    mxd_rr_set(&in.u.soa.mname, "ns1.lab.test"); mxd_rr_set(&in.u.soa.rname, "hostmaster.lab.test");
    in.u.soa.serial = 2024060101u; in.u.soa.refresh = 1; in.u.soa.retry = 2;
    in.u.soa.expire = 3; in.u.soa.minimum = 300;
    round_trip(&in, &out, &m, buf, sizeof buf);
    ck_assert_str_eq(out.u.soa.mname, "ns1.lab.test");
    ck_assert_str_eq(out.u.soa.rname, "hostmaster.lab.test");
    ck_assert_uint_eq(out.u.soa.serial, 2024060101u);
    ck_assert_uint_eq(out.u.soa.refresh, 1);
    ck_assert_uint_eq(out.u.soa.retry, 2);
    ck_assert_uint_eq(out.u.soa.expire, 3);
    ck_assert_uint_eq(out.u.soa.minimum, 300);
    mxd_dnsmsg_free(&m);

    /* TXT and SPF: 600 bytes with a NUL inside -> three strings (255+255+90) */
    uint8_t text[600];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (uint8_t)('a' + i % 26);
    text[300] = 0;
    const uint16_t txt_types[] = { MXD_T_TXT, MXD_T_SPF };
    for (size_t i = 0; i < 2; i++) {
        rr_reset(&in);
        mxd_rr_set(&in.name, "lab.test"); in.type = txt_types[i]; in.ttl = 5;
        in.data = text; in.data_len = sizeof text;
        round_trip(&in, &out, &m, buf, sizeof buf);
        ck_assert_uint_eq(out.data_len, sizeof text);
        ck_assert_uint_eq(out.txt_strings, 3);
        ck_assert_mem_eq(out.data, text, sizeof text);
        ck_assert_uint_eq(out.data[sizeof text], 0);
        mxd_dnsmsg_free(&m);
    }
    /* an empty TXT is one empty string */
    in.type = MXD_T_TXT; in.data = NULL; in.data_len = 0;
    round_trip(&in, &out, &m, buf, sizeof buf);
    ck_assert_uint_eq(out.data_len, 0);
    ck_assert_uint_eq(out.txt_strings, 1);
    mxd_dnsmsg_free(&m);

    /* TLSA and an unknown type: raw RDATA both ways */
    const uint16_t raw_types[] = { MXD_T_TLSA, 65280 };
    uint8_t raw[] = { 3, 1, 1, 0xde, 0xad, 0xbe, 0xef };
    for (size_t i = 0; i < 2; i++) {
        rr_reset(&in);
        mxd_rr_set(&in.name, "_25._tcp.mx1.lab.test"); in.type = raw_types[i]; in.ttl = 9;
        in.data = raw; in.data_len = sizeof raw;
        round_trip(&in, &out, &m, buf, sizeof buf);
        ck_assert_uint_eq(out.data_len, sizeof raw);
        ck_assert_mem_eq(out.data, raw, sizeof raw);
        mxd_dnsmsg_free(&m);
    }
    rr_reset(&in);
    ck_assert_str_eq(mxd_dns_type_name(65280), "TYPE65280");
}
END_TEST

START_TEST(test_rr_copy)
{
    mxd_rr a, b;
    memset(&a, 0, sizeof a);
    mxd_rr_set(&a.name, "lab.test");
    a.type = MXD_T_TXT;
    a.data = (uint8_t *)strdup("v=spf1 -all");
    a.data_len = 11;
    ck_assert_int_eq(mxd_rr_copy(&b, &a), 0);
    ck_assert_ptr_ne(b.data, a.data);
    ck_assert_str_eq((char *)b.data, "v=spf1 -all");
    mxd_rr_clear(&a);
    ck_assert_ptr_null(a.data);
    ck_assert_str_eq((char *)b.data, "v=spf1 -all");
    mxd_rr_clear(&b);
}
END_TEST

START_TEST(test_200_mx)
{
    static uint8_t buf[65535];
    mxd_dnsw w;
    ck_assert_int_eq(mxd_dnsw_begin(&w, buf, sizeof buf, 1, MXD_F_AA, "many.test", MXD_T_MX, 1), 0);
    for (int i = 0; i < 200; i++) {
        mxd_rr r;
        memset(&r, 0, sizeof r);
        mxd_rr_set(&r.name, "many.test");
        r.type = MXD_T_MX;
        r.ttl = 300;
        r.u.mx.pref = (uint16_t)i;
        mxd_rr_setf(&r.u.mx.host, "mx%d.many.test", i);
        ck_assert_int_eq(mxd_dnsw_add(&w, &r), 0);
        rr_reset(&r);
    }
    size_t n = mxd_dnsw_end(&w);
    mxd_dnsmsg m;
    parse_ok(buf, n, &m);
    ck_assert_uint_eq(m.nan, 200);
    ck_assert_uint_eq(m.an[199].u.mx.pref, 199);
    ck_assert_str_eq(m.an[199].u.mx.host, "mx199.many.test");
    mxd_dnsmsg_free(&m);
}
END_TEST

START_TEST(test_64k_txt)
{
    /* The biggest TXT that fits a TCP message: 64000 bytes in 251 strings. */
    static uint8_t buf[65535];
    uint8_t *text = malloc(64000);
    for (size_t i = 0; i < 64000; i++)
        text[i] = (uint8_t)(i * 7);
    mxd_rr r;
    memset(&r, 0, sizeof r);
    mxd_rr_set(&r.name, "big.test");
    r.type = MXD_T_TXT;
    r.data = text;
    r.data_len = 64000;
    mxd_dnsw w;
    ck_assert_int_eq(mxd_dnsw_begin(&w, buf, sizeof buf, 1, 0, "big.test", MXD_T_TXT, 1), 0);
    ck_assert_int_eq(mxd_dnsw_add(&w, &r), 0);
    size_t n = mxd_dnsw_end(&w);
    ck_assert_uint_gt(n, 64000);
    mxd_dnsmsg m;
    parse_ok(buf, n, &m);
    ck_assert_uint_eq(m.an[0].data_len, 64000);
    ck_assert_uint_eq(m.an[0].txt_strings, 251);
    ck_assert_mem_eq(m.an[0].data, text, 64000);
    mxd_dnsmsg_free(&m);
    /* 66000 bytes cannot be one record: refused cleanly, writer not truncated */
    uint8_t *more = calloc(1, 66000);
    r.data = more;
    r.data_len = 66000;
    ck_assert_int_eq(mxd_dnsw_begin(&w, buf, sizeof buf, 1, 0, "big.test", MXD_T_TXT, 1), 0);
    ck_assert_int_eq(mxd_dnsw_add(&w, &r), -1);
    ck_assert(!w.truncated);
    rr_reset(&r);
    free(more);
    free(text);
}
END_TEST

static mxd_rr mx_rr(const char *owner, int i)
{
    mxd_rr r;
    memset(&r, 0, sizeof r);
    mxd_rr_set(&r.name, owner);
    r.type = MXD_T_MX;
    r.ttl = 300;
    r.u.mx.pref = (uint16_t)(10 * i);
    mxd_rr_setf(&r.u.mx.host, "mx-%02d.big.lab.test", i);
    return r;
}

START_TEST(test_writer_truncates_30_mx)
{
    uint8_t buf[512];
    mxd_dnsw w;
    ck_assert_int_eq(mxd_dnsw_begin(&w, buf, sizeof buf, 0x5151, MXD_F_AA | MXD_F_RD,
                                    "big.lab.test", MXD_T_MX, 1), 0);
    int added = 0, failed = 0;
    for (int i = 0; i < 30; i++) {
        mxd_rr r = mx_rr("big.lab.test", i);
        int rc = mxd_dnsw_add(&w, &r);
        rr_reset(&r);
        if (rc == 0) {
            ck_assert_int_eq(failed, 0); /* once full, it stays full */
            added++;
        } else {
            failed++;
        }
    }
    size_t n = mxd_dnsw_end(&w);
    ck_assert(w.truncated);
    ck_assert_uint_le(n, 512);
    ck_assert_int_gt(added, 10);
    ck_assert_int_lt(added, 30);
    mxd_dnsmsg m;
    parse_ok(buf, n, &m); /* a valid message, counts matching its contents */
    ck_assert(m.flags & MXD_F_TC);
    ck_assert(m.flags & MXD_F_AA);
    ck_assert(m.flags & MXD_F_RD);
    ck_assert_uint_eq(m.id, 0x5151);
    ck_assert_uint_eq(m.nan, (size_t)added);
    for (int i = 0; i < added; i++) {
        ck_assert_uint_eq(m.an[i].u.mx.pref, 10 * i);
        ck_assert_str_eq(m.an[i].name, "big.lab.test");
    }
    char want[64];
    snprintf(want, sizeof want, "mx-%02d.big.lab.test", added - 1);
    ck_assert_str_eq(m.an[added - 1].u.mx.host, want);
    mxd_dnsmsg_free(&m);

    /* The same answer with EDNS at 512: the OPT still makes it in. */
    ck_assert_int_eq(mxd_dnsw_begin(&w, buf, sizeof buf, 1, MXD_F_AA, "big.lab.test", MXD_T_MX, 1), 0);
    mxd_dnsw_edns(&w, 1232);
    for (int i = 0; i < 30; i++) {
        mxd_rr r = mx_rr("big.lab.test", i);
        mxd_dnsw_add(&w, &r);
        rr_reset(&r);
    }
    n = mxd_dnsw_end(&w);
    ck_assert_uint_le(n, 512);
    parse_ok(buf, n, &m);
    ck_assert(m.flags & MXD_F_TC);
    ck_assert_uint_eq(m.nar, 1);
    ck_assert_uint_eq(m.edns_udp_size, 1232);
    /* 11 bytes fewer for records: at most as many as without EDNS */
    ck_assert_uint_le(m.nan, (size_t)added);
    ck_assert_uint_gt(m.nan, 10);
    ck_assert_uint_eq(m.an[m.nan - 1].u.mx.pref, 10 * (m.nan - 1));
    mxd_dnsmsg_free(&m);
}
END_TEST

START_TEST(test_writer_additional_overflow_no_tc)
{
    uint8_t buf[200];
    mxd_dnsw w;
    ck_assert_int_eq(mxd_dnsw_begin(&w, buf, sizeof buf, 1, MXD_F_AA, "big.lab.test", MXD_T_MX, 1), 0);
    mxd_rr r = mx_rr("big.lab.test", 1);
    ck_assert_int_eq(mxd_dnsw_add(&w, &r), 0);
    mxd_dnsw_section(&w, 3);
    int rc = 0;
    for (int i = 0; i < 20 && rc == 0; i++) {
        mxd_rr a;
        memset(&a, 0, sizeof a);
        mxd_rr_setf(&a.name, "host%d.somewhere.example", i);
        a.type = MXD_T_A;
        rc = mxd_dnsw_add(&w, &a);
        rr_reset(&a);
    }
    rr_reset(&r);
    ck_assert_int_eq(rc, -1);
    ck_assert(w.truncated);
    size_t n = mxd_dnsw_end(&w);
    mxd_dnsmsg m;
    parse_ok(buf, n, &m);
    ck_assert(!(m.flags & MXD_F_TC)); /* the answer is complete */
    ck_assert_uint_eq(m.nan, 1);
    ck_assert_uint_gt(m.nar, 0);
    mxd_dnsmsg_free(&m);
}
END_TEST

START_TEST(test_writer_compresses_to_question)
{
    uint8_t buf[512];
    mxd_dnsw w;
    ck_assert_int_eq(mxd_dnsw_begin(&w, buf, sizeof buf, 1, 0, "Lab.Test", MXD_T_MX, 1), 0);
    size_t before = w.len;
    mxd_rr r;
    memset(&r, 0, sizeof r);
    mxd_rr_set(&r.name, "lab.test");
    r.type = MXD_T_MX;
    r.u.mx.pref = 5;
    mxd_rr_set(&r.u.mx.host, "mx.lab.test");
    ck_assert_int_eq(mxd_dnsw_add(&w, &r), 0);
    /* owner: pointer (2) + fixed (10) + pref (2) + "mx" label (3) + pointer (2) */
    ck_assert_uint_eq(w.len - before, 19);
    ck_assert_uint_eq(buf[before], 0xc0);
    ck_assert_uint_eq(buf[before + 1], 12);
    /* A name that is not a suffix of the question is written in full. */
    before = w.len;
    mxd_rr_set(&r.u.mx.host, "mx.other.example");
    ck_assert_int_eq(mxd_dnsw_add(&w, &r), 0);
    ck_assert_uint_eq(w.len - before, 2 + 10 + 2 + 18);
    size_t n = mxd_dnsw_end(&w);
    mxd_dnsmsg m;
    parse_ok(buf, n, &m);
    ck_assert_str_eq(m.an[0].name, "Lab.Test"); /* the question's spelling */
    ck_assert_str_eq(m.an[0].u.mx.host, "mx.Lab.Test");
    ck_assert_str_eq(m.an[1].u.mx.host, "mx.other.example");
    mxd_dnsmsg_free(&m);

    /* A bad name is refused without spoiling the writer. */
    mxd_rr_set(&r.u.mx.host, "a..b");
    ck_assert_int_eq(mxd_dnsw_begin(&w, buf, sizeof buf, 1, 0, NULL, 0, 0), 0);
    ck_assert_int_eq(mxd_dnsw_add(&w, &r), -1);
    ck_assert(!w.truncated);
    mxd_rr_set(&r.u.mx.host, "ok.test");
    ck_assert_int_eq(mxd_dnsw_add(&w, &r), 0);
    n = mxd_dnsw_end(&w);
    parse_ok(buf, n, &m);
    ck_assert_uint_eq(m.qdcount, 0);
    ck_assert_uint_eq(m.nan, 1);
    mxd_dnsmsg_free(&m);
    rr_reset(&r);
    ck_assert_int_eq(mxd_dnsw_begin(&w, buf, 20, 1, 0, "example.com", MXD_T_A, 1), -1);
}
END_TEST

/* ---- names ------------------------------------------------------------- */

START_TEST(test_names)
{
    char out[MXD_NAME_MAX];
    ck_assert(mxd_dns_name_canon("Mail.Example.COM.", out, sizeof out));
    ck_assert_str_eq(out, "mail.example.com");
    ck_assert(mxd_dns_name_canon("\\065b\\.c.test", out, sizeof out));
    ck_assert_str_eq(out, "ab\\.c.test");
    ck_assert(mxd_dns_name_canon("a\\027b.test", out, sizeof out));
    ck_assert_str_eq(out, "a\\027b.test");
    ck_assert(mxd_dns_name_canon(".", out, sizeof out));
    ck_assert_str_eq(out, ".");
    ck_assert(mxd_dns_name_canon("", out, sizeof out));
    ck_assert_str_eq(out, ".");
    ck_assert(!mxd_dns_name_canon("a..b", out, sizeof out));
    ck_assert(!mxd_dns_name_canon("example.com", out, 5));

    ck_assert(mxd_dns_name_eq("Example.COM.", "example.com"));
    ck_assert(mxd_dns_name_eq("\\065.test", "a.test"));
    ck_assert(mxd_dns_name_eq(".", ""));
    ck_assert(!mxd_dns_name_eq("example.com", "example.co"));
    ck_assert(!mxd_dns_name_eq("a.example.com", "example.com"));

    ck_assert(mxd_dns_name_under("mx1.Lab.Test", "lab.test"));
    ck_assert(mxd_dns_name_under("lab.test.", "lab.test"));
    ck_assert(mxd_dns_name_under("anything.at.all", "."));
    ck_assert(!mxd_dns_name_under("xlab.test", "lab.test"));
    ck_assert(!mxd_dns_name_under("test", "lab.test"));

    uint8_t w[300];
    ck_assert_int_eq(mxd_dns_name_to_wire("a.b", w, sizeof w), 5);
    ck_assert_mem_eq(w, "\x01" "a" "\x01" "b" "\x00", 5);
    ck_assert_int_eq(mxd_dns_name_to_wire("a.b", w, 4), -1);

    ck_assert_str_eq(mxd_dns_type_name(MXD_T_MX), "MX");
    ck_assert_str_eq(mxd_dns_type_name(MXD_T_AAAA), "AAAA");
    ck_assert_str_eq(mxd_dns_type_name(MXD_T_TXT), "TXT");
    ck_assert_str_eq(mxd_dns_type_name(1234), "TYPE1234");
    ck_assert_str_eq(mxd_dns_rcode_name(MXD_RCODE_REFUSED), "REFUSED");
    ck_assert_str_eq(mxd_dns_rcode_name(MXD_RCODE_SERVFAIL), "SERVFAIL");
    ck_assert_str_eq(mxd_dns_rcode_name(23), "RCODE23");
}
END_TEST

static Suite *dnswire_suite(void)
{
    Suite *s = suite_create("dnswire");
    TCase *p = tcase_create("parse");
    tcase_add_test(p, test_mx_compressed);
    tcase_add_test(p, test_nxdomain_soa);
    tcase_add_test(p, test_cname_chain);
    tcase_add_test(p, test_txt_split);
    tcase_add_test(p, test_control_bytes_escaped);
    suite_add_tcase(s, p);
    TCase *h = tcase_create("hostile");
    tcase_add_test(h, test_truncated_packet);
    tcase_add_test(h, test_counts_larger_than_data);
    tcase_add_test(h, test_compression_loop);
    tcase_add_test(h, test_pointer_out_of_bounds);
    tcase_add_test(h, test_rdlength_overflow);
    tcase_add_test(h, test_name_length_limit);
    tcase_add_test(h, test_over_64k_and_null);
    tcase_add_test(h, test_mutations);
    tcase_set_timeout(h, 30);
    suite_add_tcase(s, h);
    TCase *b = tcase_create("build");
    tcase_add_test(b, test_build_query_bytes);
    tcase_add_test(b, test_edns_and_extended_rcode);
    tcase_add_test(b, test_round_trip_every_type);
    tcase_add_test(b, test_rr_copy);
    tcase_add_test(b, test_200_mx);
    tcase_add_test(b, test_64k_txt);
    tcase_add_test(b, test_writer_truncates_30_mx);
    tcase_add_test(b, test_writer_additional_overflow_no_tc);
    tcase_add_test(b, test_writer_compresses_to_question);
    suite_add_tcase(s, b);
    TCase *n = tcase_create("names");
    tcase_add_test(n, test_names);
    suite_add_tcase(s, n);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(dnswire_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
