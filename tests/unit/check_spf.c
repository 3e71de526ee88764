/* check_spf.c — SPF: parser, macros, the record walk's counting, check_host(),
 * the checks and the tree/JSON output.
 *
 * Parser and macros are pure and tested on strings. Evaluations run against
 * the lab's authoritative DNS server on 127.0.72.x (random port) through an
 * mxd_dns client, driving the loop until the outcome arrives: no sleeps, no
 * other network. The openspf suite itself runs in check_spf_suite.c.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "mxd/dnsclient.h"
#include "mxd/json.h"
#include "mxd/labdns.h"
#include "mxd/result.h"
#include "mxd/spf.h"

/* ---- parser ---------------------------------------------------------------- */

static mxd_spf_record parse_ok(const char *text)
{
    mxd_spf_record r;
    mxd_spf_syntax err;
    int rc = mxd_spf_parse(text, strlen(text), &r, &err);
    ck_assert_msg(rc == 0, "\"%s\": %s at %zu", text, err.what, err.pos);
    return r;
}

START_TEST(test_parse_all_terms)
{
    /*          0         1         2         3         4         5         6
     *          0123456789012345678901234567890123456789012345678901234567890123 */
    const char *text = "v=spf1 +a -mx:mail.example.com/24//64 ~ptr ?include:_spf.example.net "
                       "ip4:192.0.2.0/24 ip6:2001:DB8::/32 exists:%{ir}.%{l1r+-}._spf.%{d} "
                       "a:%{d2}//48 redirect=_spf.example.com exp=explain._spf.%{d} "
                       "moo.cow-far_out=man:dog/cat all";
    mxd_spf_record r = parse_ok(text);
    ck_assert_uint_eq(r.nterms, 12);
    const mxd_spf_term *t = r.terms;
    ck_assert_int_eq(t[0].kind, MXD_SPF_T_A);
    ck_assert_int_eq(t[0].qualifier, '+');
    ck_assert(t[0].qualifier_given);
    ck_assert_ptr_null(t[0].spec);
    ck_assert_int_eq(t[0].cidr4, -1);
    ck_assert_uint_eq(t[0].pos, 7);
    ck_assert_uint_eq(t[0].len, 2);

    ck_assert_int_eq(t[1].kind, MXD_SPF_T_MX);
    ck_assert_int_eq(t[1].qualifier, '-');
    ck_assert_str_eq(t[1].spec, "mail.example.com");
    ck_assert_int_eq(t[1].cidr4, 24);
    ck_assert_int_eq(t[1].cidr6, 64);

    ck_assert_int_eq(t[2].kind, MXD_SPF_T_PTR);
    ck_assert_int_eq(t[2].qualifier, '~');
    ck_assert_int_eq(t[3].kind, MXD_SPF_T_INCLUDE);
    ck_assert_int_eq(t[3].qualifier, '?');
    ck_assert_str_eq(t[3].spec, "_spf.example.net");

    ck_assert_int_eq(t[4].kind, MXD_SPF_T_IP4);
    ck_assert_int_eq(t[4].qualifier, '+');
    ck_assert(!t[4].qualifier_given);
    ck_assert_int_eq(t[4].cidr4, 24);
    ck_assert_mem_eq(t[4].net, "\xC0\x00\x02\x00", 4);

    ck_assert_int_eq(t[5].kind, MXD_SPF_T_IP6);
    ck_assert_int_eq(t[5].cidr6, 32);
    ck_assert_mem_eq(t[5].net, "\x20\x01\x0d\xb8", 4);

    ck_assert_int_eq(t[6].kind, MXD_SPF_T_EXISTS);
    ck_assert_str_eq(t[6].spec, "%{ir}.%{l1r+-}._spf.%{d}");
    ck_assert_int_eq(t[7].kind, MXD_SPF_T_A);
    ck_assert_str_eq(t[7].spec, "%{d2}");
    ck_assert_int_eq(t[7].cidr4, -1);
    ck_assert_int_eq(t[7].cidr6, 48);

    ck_assert_int_eq(t[8].kind, MXD_SPF_T_REDIRECT);
    ck_assert_int_eq(r.redirect, 8);
    ck_assert_int_eq(t[9].kind, MXD_SPF_T_EXP);
    ck_assert_int_eq(r.exp, 9);
    ck_assert_str_eq(t[9].spec, "explain._spf.%{d}");
    ck_assert_int_eq(t[10].kind, MXD_SPF_T_UNKNOWN_MOD);
    ck_assert_str_eq(t[10].name, "moo.cow-far_out");
    ck_assert_str_eq(t[10].spec, "man:dog/cat");
    ck_assert_int_eq(t[11].kind, MXD_SPF_T_ALL);
    ck_assert_uint_eq(t[11].pos, strlen(text) - 3);
    mxd_spf_record_free(&r);

    /* Case does not matter; spaces may repeat and trail; "v=spf1" alone is fine. */
    r = parse_ok("V=SpF1  A:Example.COM   MX  -ALL  ");
    ck_assert_uint_eq(r.nterms, 3);
    ck_assert_int_eq(r.terms[2].kind, MXD_SPF_T_ALL);
    ck_assert_int_eq(r.terms[2].qualifier, '-');
    mxd_spf_record_free(&r);
    r = parse_ok("v=spf1");
    ck_assert_uint_eq(r.nterms, 0);
    ck_assert_int_eq(r.redirect, -1);
    mxd_spf_record_free(&r);

    /* Which terms cost a lookup (§4.6.4). */
    ck_assert(mxd_spf_term_counts(MXD_SPF_T_INCLUDE) && mxd_spf_term_counts(MXD_SPF_T_A) &&
              mxd_spf_term_counts(MXD_SPF_T_MX) && mxd_spf_term_counts(MXD_SPF_T_PTR) &&
              mxd_spf_term_counts(MXD_SPF_T_EXISTS) && mxd_spf_term_counts(MXD_SPF_T_REDIRECT));
    ck_assert(!mxd_spf_term_counts(MXD_SPF_T_ALL) && !mxd_spf_term_counts(MXD_SPF_T_IP4) &&
              !mxd_spf_term_counts(MXD_SPF_T_IP6) && !mxd_spf_term_counts(MXD_SPF_T_EXP) &&
              !mxd_spf_term_counts(MXD_SPF_T_UNKNOWN_MOD));
}
END_TEST

START_TEST(test_is_record)
{
    ck_assert(mxd_spf_is_record("v=spf1", 6));
    ck_assert(mxd_spf_is_record("v=spf1 -all", 11));
    ck_assert(mxd_spf_is_record("V=SPF1 -all", 11));
    ck_assert(!mxd_spf_is_record("v=spf10", 7));
    ck_assert(!mxd_spf_is_record("v=spf1mx", 8)); /* joined strings without a space */
    ck_assert(!mxd_spf_is_record("v=spf1\t-all", 11));
    ck_assert(!mxd_spf_is_record(" v=spf1", 7));
    ck_assert(!mxd_spf_is_record("v=spf", 5));
    ck_assert(!mxd_spf_is_record("spf2.0/pra -all", 15));
}
END_TEST

/* Each bad record, the byte offset of the fault, and words the reason has. */
static const struct {
    const char *text;
    size_t pos;
    const char *words;
} bad_records[] = {
    { "v=spf1 ip4:1.2.3.4 -all moo", 24, "unknown mechanism \"moo\"" },
    { "v=spf1 -all.", 8, "unknown mechanism \"all.\"" },
    { "v=spf1 -all:foo", 11, "\"all\" takes nothing" },
    { "v=spf1 -all/8", 11, "\"all\" takes nothing" },
    { "v=spf1 a:foo-bar -all", 9, "top-level label" },
    { "v=spf1 a:111.222.33.44", 20, "last label" },
    { "v=spf1 a:museum.", 9, "top-level label" },
    { "v=spf1 a:example.-com", 17, "last label" },
    { "v=spf1 a:", 9, "empty domain after \"a:\"" },
    { "v=spf1 a/33", 9, "/33 is longer than 32" },
    { "v=spf1 a//129", 10, "/129 is longer than 128" },
    { "v=spf1 a/24/64", 12, "/64 is longer than 32" },
    { "v=spf1 ip4:1.2.3.4/032", 19, "leading zero" },
    { "v=spf1 ip4:1.2.3", 11, "IPv4 address" },
    { "v=spf1 ip4:1.2.3.4:8080", 11, "IPv4 address" },
    { "v=spf1 ip4:01.2.3.4", 11, "no leading zeros" },
    { "v=spf1 ip4:1.2.3.4//32", 18, "one prefix" },
    { "v=spf1 ip4", 10, "needs \":\"" },
    { "v=spf1 ip6::CAFE::BABE", 11, "IPv6 address" },
    { "v=spf1 ip6:::1/129", 15, "longer than 128" },
    { "v=spf1 ptr/0", 10, "no CIDR prefix" },
    { "v=spf1 include", 14, "needs \":\" and a domain" },
    { "v=spf1 include:ip5.example.com/24", 27, "last label" },
    { "v=spf1 exists:", 14, "empty domain" },
    { "v=spf1 redirect:t2.example.com", 7, "modifier" },
    { "v=spf1 redirect=a.example.com redirect=b.example.com", 30, "twice" },
    { "v=spf1 exp=a.example.com -all exp=b.example.com", 30, "twice" },
    { "v=spf1 exp= -all", 11, "empty domain after \"exp=\"" },
    { "v=spf1 redirect=-all", 16, "top-level label" },
    { "v=spf1 1up=foo", 7, "start with a letter" },
    { "v=spf1 =all", 7, "name before" },
    { "v=spf1 foo=%abc", 11, "must be followed by" },
    { "v=spf1 exists:%(ir).sbl.example.com", 14, "must be followed by" },
    { "v=spf1 exists:foo%.sbl.example.com", 17, "must be followed by" },
    { "v=spf1 a:%{a}.example.com", 11, "unknown macro letter" },
    { "v=spf1 -all exp=%{r}.example.com", 18, "only in explanation" },
    { "v=spf1 a:%{d0}.example.com", 12, "1 or more" },
    { "v=spf1 a:%{d.example.com", 13, "not closed" },
    { "v=spf1 a:ctrl.example.com\rptr -all", 25, "control character 0x0D" },
    { "v=spf1 ip4:192.0.2.5\n include:x.example.com", 20, "control character 0x0A" },
    { "v=spf1 a:\xEF\xBB\xBFgarbage.example.net -all", 9, "non-ASCII byte 0xEF" },
    { "v=spf1 +", 8, "expected a mechanism" },
    { "v=spf10 -all", 0, "starts with \"v=spf1\"" },
};

START_TEST(test_parse_errors)
{
    const char *text = bad_records[_i].text;
    size_t len = strlen(text);
    mxd_spf_record r;
    mxd_spf_syntax err;
    int rc = mxd_spf_parse(text, len, &r, &err);
    ck_assert_msg(rc == -1, "\"%s\" parsed", text);
    ck_assert_msg(err.pos == bad_records[_i].pos, "\"%s\": error at %zu, expected %zu (%s)", text,
                  err.pos, bad_records[_i].pos, err.what);
    ck_assert_msg(strstr(err.what, bad_records[_i].words), "\"%s\": reason \"%s\" lacks \"%s\"",
                  text, err.what, bad_records[_i].words);
    ck_assert_uint_le(err.term_pos, err.pos);
    ck_assert_uint_le(err.pos, err.term_pos + err.term_len);
    ck_assert_ptr_null(r.terms);
}
END_TEST

START_TEST(test_parse_edge_cases)
{
    /* Valid oddities from the RFC's grammar. */
    const char *good[] = {
        "v=spf1 a:foo:bar/baz.example.com",          /* ':' and '/' in a domain-spec */
        "v=spf1 a:foo.example.xn--zckzah -all",      /* hyphens in a top label */
        "v=spf1 a:macro%%percent%_%_space%-url-space.example.com -all",
        "v=spf1 a:mail.example...com -all",          /* empty labels are syntax-valid */
        "v=spf1 exists:%{l2r+-}.user.%{d2}",         /* several delimiters */
        "v=spf1 a:%{H} -all",                        /* ends in a macro */
        "v=spf1 a:example.com.",                     /* trailing dot */
        "v=spf1 default=pass",                       /* unknown modifier */
        "v=spf1 default=+",
        "v=spf1 foo=",                               /* empty unknown-modifier value */
        "v=spf1 ip4:0.0.0.0/0 ip6:::/0",
        "v=spf1 mx//0 a/0",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        mxd_spf_record r = parse_ok(good[i]);
        mxd_spf_record_free(&r);
    }
    mxd_spf_record r = parse_ok("v=spf1 a:foo:bar/baz.example.com/24");
    ck_assert_str_eq(r.terms[0].spec, "foo:bar/baz.example.com");
    ck_assert_int_eq(r.terms[0].cidr4, 24);
    mxd_spf_record_free(&r);

    /* A NUL byte inside the TXT data is a fault, not the end of the record. */
    static const char nul[] = "v=spf1 a:foo.example.com\0";
    mxd_spf_syntax err;
    ck_assert_int_eq(mxd_spf_parse(nul, sizeof nul - 1, &r, &err), -1);
    ck_assert_uint_eq(err.pos, 24);
    ck_assert(strstr(err.what, "control character 0x00"));

    /* Macro-strings on their own. */
    size_t pos = 0;
    const char *what = NULL;
    ck_assert(mxd_spf_macro_check("%{c} is not allowed", 19, MXD_SPF_MS_EXPLAIN, &pos, &what));
    ck_assert(!mxd_spf_macro_check("%{c}.example.com", 16, MXD_SPF_MS_DOMAIN, &pos, &what));
    ck_assert_uint_eq(pos, 2);
    ck_assert(!mxd_spf_macro_check("The %{x}-files.", 15, MXD_SPF_MS_EXPLAIN, &pos, &what));
    ck_assert_uint_eq(pos, 6);
    ck_assert(!mxd_spf_macro_check("bad \x01", 5, MXD_SPF_MS_EXPLAIN, &pos, &what));
    ck_assert_uint_eq(pos, 4);
    ck_assert(mxd_spf_macro_uses("connect from %{p}", 'p'));
    ck_assert(mxd_spf_macro_uses("%{P2}.x", 'p'));
    ck_assert(!mxd_spf_macro_uses("100%%{p} literal", 'p'));
    ck_assert(!mxd_spf_macro_uses("%{i}.x", 'p'));
}
END_TEST

/* ---- macros ------------------------------------------------------------------ */

/* RFC 7208 §7.4: sender strong-bad@email.example.com, client 192.0.2.3 or
 * 2001:db8::cb01, PTR name mx.example.org. */
static mxd_spf_ipstr ip4s, ip6s;
static mxd_spf_macro_env rfc_env(bool v6)
{
    uint8_t a4[16] = { 192, 0, 2, 3 }, a6[16];
    inet_pton(AF_INET6, "2001:db8::cb01", a6);
    mxd_spf_ipstr_fill(&ip4s, a4, false);
    mxd_spf_ipstr_fill(&ip6s, a6, true);
    mxd_spf_macro_env e = {
        .s = "strong-bad@email.example.com", .l = "strong-bad", .o = "email.example.com",
        .d = "email.example.com", .p = "mx.example.org", .h = "mx.example.org",
        .r = "receiver.example.net", .t = "1700000000",
    };
    const mxd_spf_ipstr *ip = v6 ? &ip6s : &ip4s;
    e.i = ip->i;
    e.c = ip->c;
    e.v = ip->v;
    return e;
}

static void expect_expand(const char *in, mxd_spf_ms_kind kind, bool v6, const char *want)
{
    mxd_spf_macro_env env = rfc_env(v6);
    char *out = NULL;
    int rc = mxd_spf_expand(in, strlen(in), kind, &env, &out);
    ck_assert_msg(rc == 0, "%s: rc %d", in, rc);
    /* The IPv6 nibbles are upper case (the openspf suite's choice); the RFC's
     * table shows them in lower case. Names compare without case in DNS. */
    ck_assert_msg(strcasecmp(out, want) == 0, "%s -> \"%s\", expected \"%s\"", in, out, want);
    free(out);
}

START_TEST(test_macro_rfc_examples)
{
    static const struct { const char *in, *out; } t[] = {
        { "%{s}", "strong-bad@email.example.com" },
        { "%{o}", "email.example.com" },
        { "%{d}", "email.example.com" },
        { "%{d4}", "email.example.com" },
        { "%{d3}", "email.example.com" },
        { "%{d2}", "example.com" },
        { "%{d1}", "com" },
        { "%{dr}", "com.example.email" },
        { "%{d2r}", "example.email" },
        { "%{l}", "strong-bad" },
        { "%{l-}", "strong.bad" },
        { "%{lr}", "strong-bad" },
        { "%{lr-}", "bad.strong" },
        { "%{l1r-}", "strong" },
        { "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com" },
        { "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com" },
        { "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com" },
        { "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com" },
        { "%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net" },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        expect_expand(t[i].in, MXD_SPF_MS_DOMAIN, false, t[i].out);
    expect_expand("%{ir}.%{v}._spf.%{d2}", MXD_SPF_MS_DOMAIN, true,
                  "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
}
END_TEST

START_TEST(test_macro_details)
{
    mxd_spf_macro_env env = rfc_env(false);
    char *out = NULL;
    /* Escapes, URL-encoding of upper-case letters, explanation-only letters. */
    ck_assert_int_eq(mxd_spf_expand("a%%b%_c%-d", 10, MXD_SPF_MS_VALUE, &env, &out), 0);
    ck_assert_str_eq(out, "a%b c%20d");
    free(out);
    env.l = "~jack&jill=up-a_b3.c";
    const char *u = "http://example.com/why.html?l=%{L}";
    ck_assert_int_eq(mxd_spf_expand(u, strlen(u), MXD_SPF_MS_EXPLAIN, &env, &out), 0);
    ck_assert_str_eq(out, "http://example.com/why.html?l=~jack%26jill%3Dup-a_b3.c");
    free(out);
    const char *x = "%{c} at %{t} via %{r}: %{i} %{v}";
    ck_assert_int_eq(mxd_spf_expand(x, strlen(x), MXD_SPF_MS_EXPLAIN, &env, &out), 0);
    ck_assert_str_eq(out, "192.0.2.3 at 1700000000 via receiver.example.net: 192.0.2.3 in-addr");
    free(out);
    ck_assert_int_eq(mxd_spf_expand("%{c}.x.com", 10, MXD_SPF_MS_DOMAIN, &env, &out), -1);
    ck_assert_ptr_null(out);
    /* IPv6: c is the short form, i the upper-case nibbles. */
    env = rfc_env(true);
    ck_assert_int_eq(mxd_spf_expand("%{c} %{i}", 9, MXD_SPF_MS_EXPLAIN, &env, &out), 0);
    ck_assert_str_eq(out, "2001:db8::cb01 2.0.0.1.0.D.B.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.C.B.0.1");
    free(out);
    /* %{p} unknown yet: the caller must compute it first. */
    env.p = NULL;
    ck_assert_int_eq(mxd_spf_expand("%{p}.x.com", 10, MXD_SPF_MS_DOMAIN, &env, &out), 1);
    ck_assert_ptr_null(out);
    /* Several delimiters; more parts asked than there are. */
    env = rfc_env(false);
    env.l = "foo-bar+zip+quux";
    ck_assert_int_eq(mxd_spf_expand("%{l2r+-}.user", 13, MXD_SPF_MS_DOMAIN, &env, &out), 0);
    ck_assert_str_eq(out, "bar.foo.user");
    free(out);
    ck_assert_int_eq(mxd_spf_expand("%{d9}", 5, MXD_SPF_MS_DOMAIN, &env, &out), 0);
    ck_assert_str_eq(out, "email.example.com");
    free(out);
}
END_TEST

START_TEST(test_target_names)
{
    char raw[MXD_SPF_DOMAIN_MAX], pres[MXD_NAME_MAX];
    ck_assert(mxd_spf_target_name("mail.example.com.", raw, pres));
    ck_assert_str_eq(raw, "mail.example.com");
    ck_assert(mxd_spf_target_name("macro%percent  space%20url.example.com", raw, pres));
    ck_assert_str_eq(pres, "macro%percent\\032\\032space%20url.example.com");
    ck_assert(mxd_spf_target_name("back\\slash.example.com", raw, pres));
    ck_assert_str_eq(pres, "back\\092slash.example.com");
    ck_assert(!mxd_spf_target_name("mail.example...com", raw, pres));
    ck_assert(!mxd_spf_target_name("a123456789012345678901234567890123456789012345678901234567890123.example.com",
                                   raw, pres));
    ck_assert(!mxd_spf_target_name("", raw, pres));
    /* §7.3: longer than 253: labels go from the left until it fits. */
    char longname[400] = "foobar";
    for (int i = 0; i < 8; i++)
        strcat(longname, ".somewhat.long.exp.example.com");
    strcat(longname, ".example.com");
    ck_assert_uint_gt(strlen(longname), 253);
    ck_assert(mxd_spf_target_name(longname, raw, NULL));
    ck_assert_uint_le(strlen(raw), 253);
    ck_assert(strncmp(raw, "somewhat.long.exp.example.com.", 30) == 0);
    ck_assert_str_eq(raw, longname + 7);

    ck_assert(mxd_spf_domain_ok("example.com"));
    ck_assert(mxd_spf_domain_ok("example.com."));
    ck_assert(mxd_spf_domain_ok("mail.xn--zckzah"));
    ck_assert(!mxd_spf_domain_ok("A2345678"));
    ck_assert(!mxd_spf_domain_ok("[1.2.3.5]"));
    ck_assert(!mxd_spf_domain_ok("A...example.com"));
    ck_assert(!mxd_spf_domain_ok("1.2.3.4"));
    ck_assert(!mxd_spf_domain_ok("example.-com"));
    ck_assert(!mxd_spf_domain_ok(""));
    ck_assert(mxd_spf_ip_ok("192.0.2.1") && mxd_spf_ip_ok("2001:db8::1") && mxd_spf_ip_ok("::ffff:1.2.3.4"));
    ck_assert(!mxd_spf_ip_ok("192.0.2") && !mxd_spf_ip_ok("mail.example.com") && !mxd_spf_ip_ok(NULL));
}
END_TEST

/* ---- a lab DNS server ---------------------------------------------------------- */

#define AUTH "127.0.72.1"

static mxd_rr rrs[128];
static size_t nrrs;

static void rr_txt(const char *name, const char *text)
{
    mxd_rr *r = &rrs[nrrs++];
    memset(r, 0, sizeof *r);
    mxd_rr_setf(&r->name, "%s", name);
    r->type = MXD_T_TXT;
    r->rclass = 1;
    r->ttl = 300;
    r->data = (uint8_t *)text; /* borrowed: the server copies its zones */
    r->data_len = strlen(text);
}

static void rr_a(const char *name, const char *addr)
{
    mxd_rr *r = &rrs[nrrs++];
    memset(r, 0, sizeof *r);
    mxd_rr_setf(&r->name, "%s", name);
    r->rclass = 1;
    r->ttl = 300;
    if (strchr(addr, ':')) {
        r->type = MXD_T_AAAA;
        inet_pton(AF_INET6, addr, r->u.aaaa);
    } else {
        r->type = MXD_T_A;
        inet_pton(AF_INET, addr, r->u.a);
    }
}

static void rr_mx(const char *name, uint16_t pref, const char *host)
{
    mxd_rr *r = &rrs[nrrs++];
    memset(r, 0, sizeof *r);
    mxd_rr_setf(&r->name, "%s", name);
    r->type = MXD_T_MX;
    r->rclass = 1;
    r->ttl = 300;
    r->u.mx.pref = pref;
    mxd_rr_setf(&r->u.mx.host, "%s", host);
}

/* The zone every evaluation test uses (one zone, origin "test"). */
static void build_zone(void)
{
    for (size_t i = 0; i < nrrs; i++) {
        rrs[i].data = NULL; /* borrowed text */
        mxd_rr_clear(&rrs[i]); /* the previous test's names */
    }
    nrrs = 0;
    /* Counting: 11 lookups; include:three.test takes it past 10. */
    rr_txt("many.test", "v=spf1 include:one.test include:three.test ip4:192.0.2.1 -all");
    rr_txt("one.test", "v=spf1 a mx include:two.test ~all");
    rr_a("one.test", "192.0.2.11");
    rr_mx("one.test", 10, "mx.one.test");
    rr_a("mx.one.test", "192.0.2.112");
    rr_txt("two.test", "v=spf1 a a a ~all");
    rr_a("two.test", "192.0.2.20");
    rr_txt("three.test", "v=spf1 a a a ~all");
    rr_a("three.test", "192.0.2.30");
    /* Void lookups: three names that do not exist. */
    rr_txt("voids.test", "v=spf1 a:gone1.test a:gone2.test a:gone3.test -all");
    rr_txt("twovoids.test", "v=spf1 a:gone1.test mx:gone2.test -all");
    /* Everyone may send. */
    rr_txt("plusall.test", "v=spf1 mx +all");
    rr_txt("incplus.test", "v=spf1 include:plusall.test -all");
    rr_txt("incminus.test", "v=spf1 -include:plusall.test ~all");
    rr_txt("nested.test", "v=spf1 include:incminus.test ip4:198.51.100.0/24 -all");
    /* Broken includes. */
    rr_txt("badinc.test", "v=spf1 include:multi.test include:syntax.test include:nospf.test "
                          "include:loop1.test -all");
    rr_txt("multi.test", "v=spf1 -all");
    rr_txt("multi.test", "v=spf1 ~all");
    rr_txt("syntax.test", "v=spf1 ip4:192.0.2.300 -all");
    rr_txt("nospf.test", "google-site-verification=abc");
    rr_txt("loop1.test", "v=spf1 include:loop2.test -all");
    rr_txt("loop2.test", "v=spf1 redirect=loop1.test");
    /* Healthy, with a sender-dependent term, a ptr and an exp=. */
    rr_txt("good.test", "v=spf1 ip4:192.0.2.0/28 include:one.test exists:%{i}._spf.good.test "
                        "ptr:good.test -all exp=why.good.test");
    rr_txt("why.good.test", "%{i} may not send as %{s}; see https://good.test/spf");
    rr_a("192.0.2.33._spf.good.test", "127.0.0.2");
    /* Redirect to the healthy one. */
    rr_txt("redir.test", "v=spf1 redirect=good.test");
    /* No SPF at all. */
    rr_txt("nothing.test", "some other text");
}

typedef struct fixture {
    mxd_loop *loop;
    mxd_labdns_auth *auth;
    mxd_dns *dns;
    uint16_t port;
} fixture;

static uint16_t random_port(void)
{
    uint32_t v = 0;
    if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
        v = (uint32_t)mxd_now_ms() * 2654435761u;
    return (uint16_t)(20000 + v % 40001);
}

static void fx_start(fixture *fx, mxd_auth_mode mode)
{
    build_zone();
    mxd_scn_zone z;
    memset(&z, 0, sizeof z);
    snprintf(z.origin, sizeof z.origin, "test");
    z.rrs = rrs;
    z.nrrs = nrrs;
    memset(fx, 0, sizeof *fx);
    fx->loop = mxd_loop_new();
    ck_assert_ptr_nonnull(fx->loop);
    char err[256] = "";
    for (int i = 0; i < 30 && !fx->auth; i++) {
        fx->port = random_port();
        if (fx->port == 5353)
            continue;
        mxd_labdns_auth_cfg cfg = { .addr = AUTH, .port = fx->port, .mode = mode, .zones = &z,
                                    .nzones = 1 };
        fx->auth = mxd_labdns_auth_start(fx->loop, &cfg, err, sizeof err);
        if (!fx->auth)
            ck_assert_msg(errno == EADDRINUSE, "%s", err);
    }
    ck_assert_msg(fx->auth, "%s", err);
    char servers[64];
    snprintf(servers, sizeof servers, AUTH ":%u", (unsigned)fx->port);
    fx->dns = mxd_dns_new(fx->loop, servers, 1500, false, err, sizeof err);
    ck_assert_msg(fx->dns, "%s", err);
}

static void fx_stop(fixture *fx)
{
    mxd_dns_free(fx->dns);
    mxd_labdns_auth_free(fx->auth);
    ck_assert_uint_eq(mxd_loop_pending(fx->loop), 0);
    mxd_loop_free(fx->loop);
}

typedef struct got {
    int calls;
    mxd_spf_outcome o;
} got;

static void on_outcome(void *arg, const mxd_spf_outcome *o)
{
    got *g = arg;
    if (g->calls++ == 0)
        ck_assert_int_eq(mxd_spf_outcome_copy(&g->o, o), 0);
}

static bool got_it(void *arg)
{
    return ((got *)arg)->calls > 0;
}

static void wait_for(fixture *fx, got *g)
{
    ck_assert(mxd_loop_run_until(fx->loop, got_it, g, mxd_now_ms() + 10000));
    /* The outcome is delivered once; nothing else is left running. */
    mxd_loop_run_once(fx->loop, 0);
    ck_assert_int_eq(g->calls, 1);
}

static void walk(fixture *fx, const char *domain, got *g)
{
    memset(g, 0, sizeof *g);
    mxd_spf_eval *e = mxd_spf_walk_start(fx->loop, fx->dns, domain, on_outcome, g);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(g->calls, 0); /* never before start() returns */
    wait_for(fx, g);
}

static void check_host(fixture *fx, const char *ip, const char *sender, got *g)
{
    memset(g, 0, sizeof *g);
    mxd_spf_eval_opts o = { .now = 1700000000 };
    mxd_spf_eval *e = mxd_spf_eval_start_ex(fx->loop, fx->dns, ip, sender, "mail.example.jp",
                                            NULL, &o, on_outcome, g);
    ck_assert_ptr_nonnull(e);
    wait_for(fx, g);
}

/* The TERM line with this text under this domain, or NULL. */
static const mxd_spf_line *find_term(const mxd_spf_outcome *o, const char *domain, const char *text,
                                     int nth)
{
    for (size_t i = 0; i < o->nlines; i++) {
        const mxd_spf_line *l = &o->lines[i];
        if (l->kind == MXD_SPF_LINE_TERM && strcmp(l->domain, domain) == 0 &&
            strcmp(l->text, text) == 0 && nth-- == 0)
            return l;
    }
    return NULL;
}

static const mxd_finding *find(const mxd_findings *fs, const char *id)
{
    return mxd_findings_find(fs, id, NULL);
}

static size_t count_id(const mxd_findings *fs, const char *id)
{
    size_t n = 0;
    for (size_t i = 0; i < fs->n; i++)
        n += strcmp(fs->v[i].id, id) == 0;
    return n;
}

static void walk_findings(const mxd_spf_outcome *o, mxd_findings *fs)
{
    mxd_spf_result d;
    memset(&d, 0, sizeof d);
    d.walked = true;
    d.walk = *o; /* borrowed for the check: not freed through d */
    memset(fs, 0, sizeof *fs);
    mxd_check_spf_data(&d, o->domain, fs);
}

/* ---- the walk ------------------------------------------------------------------- */

START_TEST(test_walk_counts_and_names_the_include)
{
    fixture fx;
    fx_start(&fx, MXD_AUTH_NORMAL);
    got g;
    walk(&fx, "many.test", &g);
    const mxd_spf_outcome *o = &g.o;
    ck_assert(o->walk);
    ck_assert_int_eq(o->result, MXD_SPF_PERMERROR);
    ck_assert_int_eq(o->problem, MXD_SPF_P_TOO_MANY_LOOKUPS);
    ck_assert_uint_eq(o->lookups, 11);
    ck_assert_uint_eq(o->voids, 0);
    /* The running count, term by term, in pre-order. */
    struct { const char *domain, *text; int nth; unsigned count; } want[] = {
        { "many.test", "include:one.test", 0, 1 }, { "one.test", "a", 0, 2 },
        { "one.test", "mx", 0, 3 }, { "one.test", "include:two.test", 0, 4 },
        { "two.test", "a", 0, 5 }, { "two.test", "a", 1, 6 }, { "two.test", "a", 2, 7 },
        { "many.test", "include:three.test", 0, 8 }, { "three.test", "a", 0, 9 },
        { "three.test", "a", 1, 10 }, { "three.test", "a", 2, 11 },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const mxd_spf_line *l = find_term(o, want[i].domain, want[i].text, want[i].nth);
        ck_assert_msg(l, "no line %s in %s", want[i].text, want[i].domain);
        ck_assert(l->counts);
        ck_assert_uint_eq(l->lookups, want[i].count);
        ck_assert(l->over_limit == (want[i].count == 11));
    }
    /* Depths: the domain's record and its terms at 0, each include one deeper. */
    ck_assert_int_eq(o->lines[0].kind, MXD_SPF_LINE_RECORD);
    ck_assert_str_eq(o->lines[0].domain, "many.test");
    ck_assert_uint_eq(o->lines[0].depth, 0);
    ck_assert_uint_eq(find_term(o, "two.test", "a", 0)->depth, 2);
    ck_assert_str_eq(find_term(o, "many.test", "include:one.test", 0)->target, "one.test");
    const mxd_spf_line *over = &o->lines[o->over_line];
    ck_assert_str_eq(over->domain, "three.test");
    /* Terms after "all" are never reached and not shown; ip4 is shown, uncounted. */
    const mxd_spf_line *ip4 = find_term(o, "many.test", "ip4:192.0.2.1", 0);
    ck_assert_ptr_nonnull(ip4);
    ck_assert(!ip4->counts);
    ck_assert_ptr_nonnull(find_term(o, "many.test", "-all", 0));

    mxd_findings fs;
    walk_findings(o, &fs);
    const mxd_finding *f = find(&fs, "spf.too_many_lookups");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->sev, MXD_SEV_FAIL);
    ck_assert_str_eq(f->step, "policy");
    ck_assert_str_eq(mxd_finding_get(f, "count"), "11");
    ck_assert_str_eq(mxd_finding_get(f, "via"), "include:three.test");
    ck_assert_str_eq(mxd_finding_get(f, "term"), "a");
    ck_assert_str_eq(mxd_finding_get(f, "where"), "three.test");
    ck_assert_ptr_null(find(&fs, "spf.ok"));
    mxd_findings_free(&fs);

    /* The tree as text shows the running counts and marks the crossing. */
    mxd_sb sb = MXD_SB_INIT;
    mxd_spf_tree_text(o, &sb);
    const char *t = mxd_sb_str(&sb);
    ck_assert_msg(strstr(t, "many.test  v=spf1 include:one.test include:three.test"), "%s", t);
    ck_assert_msg(strstr(t, "\n  include:three.test"), "%s", t);
    ck_assert_msg(strstr(t, "[8]\n"), "%s", t);
    ck_assert_msg(strstr(t, "[11]!\n"), "%s", t);
    ck_assert_msg(strstr(t, "\n    three.test  v=spf1 a a a ~all\n"), "%s", t);
    mxd_sb_free(&sb);
    mxd_spf_outcome_free(&g.o);
    fx_stop(&fx);
}
END_TEST

START_TEST(test_walk_void_lookups)
{
    fixture fx;
    fx_start(&fx, MXD_AUTH_NORMAL);
    got g;
    walk(&fx, "voids.test", &g);
    ck_assert_int_eq(g.o.result, MXD_SPF_PERMERROR);
    ck_assert_int_eq(g.o.problem, MXD_SPF_P_VOID_LOOKUPS);
    ck_assert_uint_eq(g.o.voids, 3);
    const mxd_spf_line *l3 = find_term(&g.o, "voids.test", "a:gone3.test", 0);
    ck_assert(l3->is_void && l3->void_over);
    ck_assert_uint_eq(l3->voids, 3);
    ck_assert_int_eq(l3->qstate, MXD_Q_NXDOMAIN);
    mxd_findings fs;
    walk_findings(&g.o, &fs);
    const mxd_finding *f = find(&fs, "spf.void_lookups");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->sev, MXD_SEV_FAIL);
    ck_assert_str_eq(mxd_finding_get(f, "count"), "3");
    ck_assert_str_eq(mxd_finding_get(f, "terms"),
                     "a:gone1.test (voids.test), a:gone2.test (voids.test), a:gone3.test (voids.test)");
    mxd_findings_free(&fs);
    mxd_spf_outcome_free(&g.o);

    /* Two voids: at the limit, still evaluated, a warning. */
    walk(&fx, "twovoids.test", &g);
    ck_assert_int_eq(g.o.result, MXD_SPF_NEUTRAL);
    ck_assert_uint_eq(g.o.voids, 2);
    walk_findings(&g.o, &fs);
    ck_assert_int_eq(find(&fs, "spf.void_lookups")->sev, MXD_SEV_WARN);
    ck_assert_ptr_nonnull(find(&fs, "spf.ok"));
    mxd_findings_free(&fs);
    mxd_spf_outcome_free(&g.o);
    fx_stop(&fx);
}
END_TEST

START_TEST(test_walk_broken_includes)
{
    fixture fx;
    fx_start(&fx, MXD_AUTH_NORMAL);
    got g;
    walk(&fx, "badinc.test", &g);
    const mxd_spf_outcome *o = &g.o;
    ck_assert_int_eq(o->result, MXD_SPF_PERMERROR);
    ck_assert_int_eq(o->problem, MXD_SPF_P_MULTIPLE); /* the first one a receiver meets */
    mxd_findings fs;
    walk_findings(o, &fs);
    const mxd_finding *f = find(&fs, "spf.multiple");
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(mxd_finding_get(f, "where"), "multi.test");
    ck_assert_str_eq(mxd_finding_get(f, "count"), "2");
    f = find(&fs, "spf.syntax");
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(mxd_finding_get(f, "where"), "syntax.test");
    ck_assert_str_eq(mxd_finding_get(f, "term"), "ip4:192.0.2.300");
    ck_assert_str_eq(mxd_finding_get(f, "column"), "12");
    ck_assert(strstr(mxd_finding_get(f, "reason"), "IPv4"));
    f = find(&fs, "spf.include_none");
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(mxd_finding_get(f, "target"), "nospf.test");
    ck_assert_str_eq(mxd_finding_get(f, "term"), "include:nospf.test");
    ck_assert_str_eq(mxd_finding_get(f, "where"), "badinc.test");
    f = find(&fs, "spf.loop");
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(mxd_finding_get(f, "term"), "redirect=loop1.test");
    ck_assert_str_eq(mxd_finding_get(f, "where"), "loop2.test");
    ck_assert_ptr_null(find(&fs, "spf.ok"));
    mxd_findings_free(&fs);
    mxd_spf_outcome_free(&g.o);
    fx_stop(&fx);
}
END_TEST

START_TEST(test_walk_good_record)
{
    fixture fx;
    fx_start(&fx, MXD_AUTH_NORMAL);
    got g;
    walk(&fx, "good.test", &g);
    const mxd_spf_outcome *o = &g.o;
    ck_assert_int_eq(o->result, MXD_SPF_NEUTRAL);
    ck_assert_int_eq(o->problem, MXD_SPF_P_NONE);
    /* include:one.test (1) + a, mx, include:two.test (4) + a a a (7)
     * + exists (8, depends on the client: not looked up) + ptr (9). */
    ck_assert_uint_eq(o->lookups, 9);
    const mxd_spf_line *ex = find_term(o, "good.test", "exists:%{i}._spf.good.test", 0);
    ck_assert(ex->sender_dependent && ex->counts);
    ck_assert_int_eq(ex->qstate, MXD_Q_NOT_SENT);
    ck_assert_ptr_null(ex->target);
    mxd_findings fs;
    walk_findings(o, &fs);
    const mxd_finding *f = find(&fs, "spf.ok");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->sev, MXD_SEV_PASS);
    ck_assert_str_eq(mxd_finding_get(f, "lookups"), "9");
    ck_assert_str_eq(mxd_finding_get(f, "voids"), "0");
    ck_assert(strncmp(mxd_finding_get(f, "record"), "v=spf1 ip4:192.0.2.0/28", 23) == 0);
    ck_assert_int_eq(find(&fs, "spf.ptr")->sev, MXD_SEV_WARN);
    ck_assert_uint_eq(count_id(&fs, "spf.ptr"), 1);
    ck_assert_ptr_null(find(&fs, "spf.too_many_lookups"));
    ck_assert_ptr_null(find(&fs, "spf.void_lookups"));
    mxd_findings_free(&fs);

    /* JSON: the record, counts and the tree. */
    mxd_sb sb = MXD_SB_INIT;
    mxd_json j;
    mxd_json_init(&j, &sb, 0);
    mxd_spf_result d;
    memset(&d, 0, sizeof d);
    d.walked = true;
    d.walk = *o;
    mxd_spf_json(&j, &d);
    ck_assert(mxd_json_ok(&j));
    const char *js = mxd_sb_str(&sb);
    ck_assert_msg(strstr(js, "\"domain\":\"good.test\""), "%s", js);
    ck_assert_msg(strstr(js, "\"lookups\":9"), "%s", js);
    ck_assert_msg(strstr(js, "\"result\":\"neutral\""), "%s", js);
    ck_assert_msg(strstr(js, "\"term\":\"exists:%{i}._spf.good.test\""), "%s", js);
    ck_assert_msg(strstr(js, "\"sender_dependent\":true"), "%s", js);
    ck_assert_msg(!strstr(js, "\"check\""), "%s", js);
    mxd_sb_free(&sb);
    mxd_spf_outcome_free(&g.o);

    /* A redirect is counted and followed; its record hangs one level deeper. */
    walk(&fx, "redir.test", &g);
    ck_assert_int_eq(g.o.result, MXD_SPF_NEUTRAL);
    ck_assert_uint_eq(g.o.lookups, 10);
    const mxd_spf_line *r = find_term(&g.o, "redir.test", "redirect=good.test", 0);
    ck_assert(r && r->counts && r->lookups == 1);
    ck_assert(g.o.lines[2].kind == MXD_SPF_LINE_RECORD && g.o.lines[2].via_redirect &&
              g.o.lines[2].depth == 1);
    mxd_spf_outcome_free(&g.o);

    /* +all: anyone may send. */
    walk(&fx, "plusall.test", &g);
    walk_findings(&g.o, &fs);
    f = find(&fs, "spf.plus_all");
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(mxd_finding_get(f, "term"), "+all");
    ck_assert_str_eq(mxd_finding_get(f, "where"), "plusall.test");
    mxd_findings_free(&fs);
    mxd_spf_outcome_free(&g.o);
    /* Through a "+" include, +all lets anyone pass; through "-include" it
     * fails everyone instead, which is not the same mistake. */
    walk(&fx, "incplus.test", &g);
    walk_findings(&g.o, &fs);
    f = find(&fs, "spf.plus_all");
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(mxd_finding_get(f, "where"), "plusall.test");
    ck_assert_str_eq(mxd_finding_get(f, "domain"), "incplus.test");
    mxd_findings_free(&fs);
    mxd_spf_outcome_free(&g.o);
    walk(&fx, "incminus.test", &g);
    walk_findings(&g.o, &fs);
    ck_assert_ptr_null(find(&fs, "spf.plus_all"));
    ck_assert_ptr_nonnull(find(&fs, "spf.ok"));
    mxd_findings_free(&fs);
    mxd_spf_outcome_free(&g.o);
    fx_stop(&fx);
}
END_TEST

START_TEST(test_walk_missing_and_dns_error)
{
    fixture fx;
    fx_start(&fx, MXD_AUTH_NORMAL);
    got g;
    mxd_findings fs;
    const char *names[] = { "nothing.test", "nxdomain.test" };
    for (int i = 0; i < 2; i++) {
        walk(&fx, names[i], &g);
        ck_assert_int_eq(g.o.result, MXD_SPF_NONE);
        ck_assert_int_eq(g.o.problem, MXD_SPF_P_NO_RECORD);
        ck_assert_int_eq(g.o.lines[0].rstate, MXD_SPF_REC_NONE);
        walk_findings(&g.o, &fs);
        ck_assert_uint_eq(fs.n, 1);
        ck_assert_str_eq(fs.v[0].id, "spf.missing");
        ck_assert_int_eq(fs.v[0].sev, MXD_SEV_WARN);
        ck_assert_str_eq(mxd_finding_get(&fs.v[0], "domain"), names[i]);
        mxd_findings_free(&fs);
        mxd_spf_outcome_free(&g.o);
    }
    fx_stop(&fx);

    fx_start(&fx, MXD_AUTH_SERVFAIL);
    walk(&fx, "good.test", &g);
    ck_assert_int_eq(g.o.result, MXD_SPF_TEMPERROR);
    ck_assert_int_eq(g.o.problem, MXD_SPF_P_DNS);
    ck_assert_int_eq(g.o.dns_state, MXD_Q_SERVFAIL);
    walk_findings(&g.o, &fs);
    ck_assert_uint_eq(fs.n, 1);
    ck_assert_str_eq(fs.v[0].id, "spf.dns_error");
    ck_assert_int_eq(fs.v[0].sev, MXD_SEV_ERROR);
    ck_assert_str_eq(mxd_finding_get(&fs.v[0], "name"), "good.test");
    ck_assert_str_eq(mxd_finding_get(&fs.v[0], "type"), "TXT");
    ck_assert_str_eq(mxd_finding_get(&fs.v[0], "error"), "servfail");
    mxd_findings_free(&fs);
    mxd_spf_outcome_free(&g.o);
    fx_stop(&fx);
}
END_TEST

/* ---- check_host ------------------------------------------------------------------ */

START_TEST(test_check_host)
{
    fixture fx;
    fx_start(&fx, MXD_AUTH_NORMAL);
    got g;
    /* ip4 in the record itself. */
    check_host(&fx, "192.0.2.5", "alice@good.test", &g);
    ck_assert_int_eq(g.o.result, MXD_SPF_PASS);
    ck_assert(!g.o.walk);
    ck_assert_str_eq(g.o.lines[g.o.matched_line].text, "ip4:192.0.2.0/28");
    ck_assert_uint_eq(g.o.lookups, 0);
    mxd_spf_outcome_free(&g.o);
    /* The MX host of an included domain; IPv4-mapped IPv6 counts as IPv4. */
    check_host(&fx, "::ffff:192.0.2.112", "alice@good.test", &g);
    ck_assert_int_eq(g.o.result, MXD_SPF_PASS);
    const mxd_spf_line *m = &g.o.lines[g.o.matched_line];
    ck_assert_str_eq(m->text, "mx");
    ck_assert_str_eq(m->domain, "one.test");
    ck_assert(find_term(&g.o, "good.test", "include:one.test", 0)->matched);
    mxd_spf_outcome_free(&g.o);
    /* exists with %{i}, after the include did not match (its ~all is not a match). */
    check_host(&fx, "192.0.2.33", "alice@good.test", &g);
    ck_assert_int_eq(g.o.result, MXD_SPF_PASS);
    ck_assert_str_eq(g.o.lines[g.o.matched_line].text, "exists:%{i}._spf.good.test");
    ck_assert_str_eq(g.o.lines[g.o.matched_line].target, "192.0.2.33._spf.good.test");
    ck_assert(!find_term(&g.o, "one.test", "~all", 0)->matched);
    mxd_spf_outcome_free(&g.o);
    /* Nothing matches: -all, with the explanation from exp=. */
    check_host(&fx, "198.51.100.7", "alice@good.test", &g);
    ck_assert_int_eq(g.o.result, MXD_SPF_FAIL);
    ck_assert_str_eq(g.o.lines[g.o.matched_line].text, "-all");
    ck_assert_str_eq(g.o.explanation,
                     "198.51.100.7 may not send as alice@good.test; see https://good.test/spf");
    mxd_spf_result d;
    memset(&d, 0, sizeof d);
    d.check_requested = d.checked = true;
    snprintf(d.ip, sizeof d.ip, "198.51.100.7");
    snprintf(d.sender, sizeof d.sender, "alice@good.test");
    d.check = g.o;
    mxd_findings fs = { 0 };
    mxd_check_spf_data(&d, "good.test", &fs);
    ck_assert_uint_eq(fs.n, 1);
    ck_assert_str_eq(fs.v[0].id, "spf.result");
    ck_assert_int_eq(fs.v[0].sev, MXD_SEV_FAIL);
    ck_assert_str_eq(fs.v[0].subject, "198.51.100.7");
    ck_assert_str_eq(mxd_finding_get(&fs.v[0], "result"), "fail");
    ck_assert_str_eq(mxd_finding_get(&fs.v[0], "mechanism"), "-all");
    ck_assert_str_eq(mxd_finding_get(&fs.v[0], "where"), "good.test");
    ck_assert_str_eq(mxd_finding_get(&fs.v[0], "sender"), "alice@good.test");
    ck_assert_ptr_nonnull(mxd_finding_get(&fs.v[0], "explanation"));
    mxd_findings_free(&fs);
    mxd_spf_outcome_free(&g.o);
    /* Too many lookups is a permerror for check_host too, at the 11th. */
    check_host(&fx, "198.51.100.7", "bob@many.test", &g);
    ck_assert_int_eq(g.o.result, MXD_SPF_PERMERROR);
    ck_assert_uint_eq(g.o.lookups, 11);
    ck_assert_str_eq(g.o.lines[g.o.over_line].domain, "three.test");
    mxd_spf_outcome_free(&g.o);
    /* No SPF record: none; the HELO identity when there is no sender. */
    check_host(&fx, "192.0.2.5", "carol@nothing.test", &g);
    ck_assert_int_eq(g.o.result, MXD_SPF_NONE);
    mxd_spf_outcome_free(&g.o);
    memset(&g, 0, sizeof g);
    mxd_spf_eval *e = mxd_spf_eval_start(fx.loop, fx.dns, "192.0.2.5", "", "good.test", NULL,
                                         on_outcome, &g);
    ck_assert_ptr_nonnull(e);
    wait_for(&fx, &g);
    ck_assert_int_eq(g.o.result, MXD_SPF_PASS);
    ck_assert_str_eq(g.o.domain, "good.test");
    mxd_spf_outcome_free(&g.o);
    /* An include that fails (its inner "-include" matched) is no match: the
     * marks inside it go, and the ip4 after it decides. */
    check_host(&fx, "198.51.100.9", "dave@nested.test", &g);
    ck_assert_int_eq(g.o.result, MXD_SPF_PASS);
    ck_assert_str_eq(g.o.lines[g.o.matched_line].text, "ip4:198.51.100.0/24");
    for (size_t i = 0; i < g.o.nlines; i++)
        ck_assert(g.o.lines[i].matched == ((long)i == g.o.matched_line));
    ck_assert_ptr_nonnull(find_term(&g.o, "plusall.test", "+all", 0));
    mxd_spf_outcome_free(&g.o);
    /* Bad addresses are refused at once. */
    ck_assert_ptr_null(mxd_spf_eval_start(fx.loop, fx.dns, "192.0.2", "a@good.test", "x", NULL,
                                          on_outcome, &g));
    fx_stop(&fx);
}
END_TEST

static int step_changed, step_done;
static void on_step_changed(void *arg) { (void)arg; step_changed++; }
static void on_step_done(void *arg) { (void)arg; step_done++; }
static bool step_finished(void *arg) { (void)arg; return step_done > 0; }

static void drain(fixture *fx)
{
    uint64_t until = mxd_now_ms() + 2000;
    while (mxd_now_ms() < until && mxd_dns_pending(fx->dns))
        mxd_loop_run_once(fx->loop, 50);
    ck_assert_uint_eq(mxd_dns_pending(fx->dns), 0);
}

START_TEST(test_cancel_and_step_run)
{
    fixture fx;
    fx_start(&fx, MXD_AUTH_NORMAL);
    /* Cancelled while its questions are in flight: no callback, and the late
     * answers find nothing to write to. */
    got g = { 0 };
    mxd_spf_eval *e = mxd_spf_walk_start(fx.loop, fx.dns, "many.test", on_outcome, &g);
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_gt(mxd_dns_pending(fx.dns), 0);
    mxd_spf_eval_cancel(e);
    drain(&fx);
    ck_assert_int_eq(g.calls, 0);

    /* The step: walk and check_host together; done once; the result filled. */
    mxd_spf_result res;
    memset(&res, 0, sizeof res);
    mxd_options opts;
    memset(&opts, 0, sizeof opts);
    opts.timeout_s = 2;
    step_changed = step_done = 0;
    mxd_spf_run *run = mxd_spf_start(fx.loop, fx.dns, &opts, "good.test", "192.0.2.112", NULL, &res,
                                     on_step_changed, on_step_done, NULL);
    ck_assert_ptr_nonnull(run);
    ck_assert_int_eq(step_done, 0);
    ck_assert(mxd_loop_run_until(fx.loop, step_finished, NULL, mxd_now_ms() + 10000));
    mxd_loop_run_once(fx.loop, 0);
    ck_assert_int_eq(step_done, 1);
    ck_assert_int_eq(step_changed, 2);
    ck_assert(res.walked && res.check_requested && res.checked);
    ck_assert_str_eq(res.ip, "192.0.2.112");
    ck_assert_str_eq(res.sender, "postmaster@good.test");
    ck_assert_int_eq(res.walk.result, MXD_SPF_NEUTRAL);
    ck_assert_int_eq(res.check.result, MXD_SPF_PASS);
    mxd_findings fs = { 0 };
    mxd_check_spf_data(&res, "good.test", &fs);
    ck_assert_ptr_nonnull(find(&fs, "spf.ok"));
    const mxd_finding *f = find(&fs, "spf.result");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->sev, MXD_SEV_PASS);
    ck_assert_str_eq(mxd_finding_get(f, "mechanism"), "mx");
    ck_assert_str_eq(mxd_finding_get(f, "where"), "one.test");
    ck_assert_str_eq(mxd_finding_get(f, "domain"), "good.test");
    mxd_findings_free(&fs);
    mxd_sb sb = MXD_SB_INIT;
    mxd_json j;
    mxd_json_init(&j, &sb, 2);
    mxd_spf_json(&j, &res);
    ck_assert(mxd_json_ok(&j));
    ck_assert_msg(strstr(mxd_sb_str(&sb), "\"matched\": \"mx\""), "%s", mxd_sb_str(&sb));
    ck_assert_msg(strstr(mxd_sb_str(&sb), "\"matched_in\": \"one.test\""), "%s", mxd_sb_str(&sb));
    mxd_sb_free(&sb);
    mxd_spf_result_free(&res);
    ck_assert(!res.walked && !res.walk.lines);

    /* Cancelled: done() never runs, what was filled stays valid. */
    step_done = 0;
    run = mxd_spf_start(fx.loop, fx.dns, &opts, "good.test", "192.0.2.12", "x@good.test", &res,
                        on_step_changed, on_step_done, NULL);
    ck_assert_ptr_nonnull(run);
    mxd_spf_cancel(run);
    drain(&fx);
    ck_assert_int_eq(step_done, 0);
    ck_assert_str_eq(res.sender, "x@good.test");
    mxd_spf_result_free(&res);
    ck_assert_ptr_null(mxd_spf_start(fx.loop, fx.dns, &opts, "good.test", "not-an-ip", NULL, &res,
                                     on_step_changed, on_step_done, NULL));
    fx_stop(&fx);
}
END_TEST

/* Hand-built outcomes: the severity of each check_host result. */
START_TEST(test_result_severities)
{
    static const struct { mxd_spf_res r; mxd_severity sev; } t[] = {
        { MXD_SPF_PASS, MXD_SEV_PASS }, { MXD_SPF_FAIL, MXD_SEV_FAIL },
        { MXD_SPF_PERMERROR, MXD_SEV_FAIL }, { MXD_SPF_TEMPERROR, MXD_SEV_ERROR },
        { MXD_SPF_SOFTFAIL, MXD_SEV_WARN }, { MXD_SPF_NEUTRAL, MXD_SEV_WARN },
        { MXD_SPF_NONE, MXD_SEV_WARN },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        mxd_spf_result d;
        memset(&d, 0, sizeof d);
        d.check_requested = true;
        d.checked = true;
        d.check.result = t[i].r;
        d.check.matched_line = -1;
        snprintf(d.check.domain, sizeof d.check.domain, "example.jp");
        snprintf(d.ip, sizeof d.ip, "192.0.2.1");
        snprintf(d.sender, sizeof d.sender, "a@example.jp");
        mxd_findings fs = { 0 };
        mxd_check_spf_data(&d, "example.jp", &fs);
        ck_assert_uint_eq(fs.n, 1);
        ck_assert_int_eq(fs.v[0].sev, t[i].sev);
        ck_assert_str_eq(mxd_finding_get(&fs.v[0], "result"), mxd_spf_res_name(t[i].r));
        ck_assert_str_eq(mxd_finding_get(&fs.v[0], "mechanism"), "-");
        ck_assert_ptr_null(mxd_finding_get(&fs.v[0], "explanation"));
        mxd_findings_free(&fs);
    }
    /* Not finished yet: nothing to say. */
    mxd_spf_result d;
    memset(&d, 0, sizeof d);
    d.check_requested = true;
    mxd_findings fs = { 0 };
    mxd_check_spf_data(&d, "example.jp", &fs);
    ck_assert_uint_eq(fs.n, 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("spf");
    TCase *tc = tcase_create("parser");
    tcase_add_test(tc, test_parse_all_terms);
    tcase_add_test(tc, test_is_record);
    tcase_add_loop_test(tc, test_parse_errors, 0, (int)(sizeof bad_records / sizeof bad_records[0]));
    tcase_add_test(tc, test_parse_edge_cases);
    suite_add_tcase(s, tc);
    tc = tcase_create("macros");
    tcase_add_test(tc, test_macro_rfc_examples);
    tcase_add_test(tc, test_macro_details);
    tcase_add_test(tc, test_target_names);
    suite_add_tcase(s, tc);
    tc = tcase_create("evaluation");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_walk_counts_and_names_the_include);
    tcase_add_test(tc, test_walk_void_lookups);
    tcase_add_test(tc, test_walk_broken_includes);
    tcase_add_test(tc, test_walk_good_record);
    tcase_add_test(tc, test_walk_missing_and_dns_error);
    tcase_add_test(tc, test_check_host);
    tcase_add_test(tc, test_cancel_and_step_run);
    suite_add_tcase(s, tc);
    tc = tcase_create("checks");
    tcase_add_test(tc, test_result_severities);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
