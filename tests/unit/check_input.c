/* check_input.c — unit tests for the input normaliser (src/core/input.c).
 *
 * The table is what people really paste: e-mail addresses, URLs, mail-header
 * fragments, full-width text typed with a Japanese IME on, IDNs, and mistakes.
 * Every row states the expected status and, when OK, both forms of the domain.
 * Lengths at the limits and a 10 MB input are built in code below the table.
 */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "mxd/input.h"
#include "mxd/sanitize.h"

#define ANY_KIND (-1)

typedef struct {
    const char *in;
    mxd_input_status st;
    const char *ascii;   /* OK rows: expected out->ascii */
    const char *unicode; /* OK rows: expected out->unicode */
    const char *local;   /* OK rows: expected out->local_part (NULL: not checked) */
    int kind;            /* OK rows: expected kind, or ANY_KIND */
    const char *detail;  /* error rows: a substring the detail must contain (NULL: any) */
} row;

#define OK(in, a, u, local, kind) { in, MXD_IN_OK, a, u, local, kind, NULL }
#define BAD(in, st, detail) { in, st, NULL, NULL, NULL, ANY_KIND, detail }

static const row rows[] = {
    /* plain domains, case, white space, trailing dot */
    OK("example.com", "example.com", "example.com", "", MXD_KIND_DOMAIN),
    OK("EXAMPLE.COM", "example.com", "example.com", "", MXD_KIND_DOMAIN),
    OK("Example.Com.", "example.com", "example.com", "", MXD_KIND_DOMAIN),
    OK("  example.com  ", "example.com", "example.com", "", MXD_KIND_DOMAIN),
    OK("\texample.com\r\n", "example.com", "example.com", "", MXD_KIND_DOMAIN),
    /* U+3000 IDEOGRAPHIC SPACE on both sides */
    OK("\xE3\x80\x80" "example.com" "\xE3\x80\x80", "example.com", "example.com", "", MXD_KIND_DOMAIN),
    /* U+FEFF byte-order mark from a pasted file */
    OK("\xEF\xBB\xBF" "example.com", "example.com", "example.com", "", MXD_KIND_DOMAIN),
    OK("r3---sn-abc.googlevideo.com", "r3---sn-abc.googlevideo.com", "r3---sn-abc.googlevideo.com", "",
       MXD_KIND_DOMAIN),
    OK("example.com:25", "example.com", "example.com", "", MXD_KIND_DOMAIN),

    /* IDN and full-width */
    OK("例え.jp", "xn--r8jz45g.jp", "例え.jp", "", MXD_KIND_DOMAIN),
    OK("例え。jp", "xn--r8jz45g.jp", "例え.jp", "", MXD_KIND_DOMAIN),       /* U+3002 */
    OK("例え｡jp", "xn--r8jz45g.jp", "例え.jp", "", MXD_KIND_DOMAIN),        /* U+FF61 */
    OK("例え.ＪＰ", "xn--r8jz45g.jp", "例え.jp", "", MXD_KIND_DOMAIN),
    OK("ｅｘａｍｐｌｅ．ｃｏｍ", "example.com", "example.com", "", MXD_KIND_DOMAIN),
    OK("１２３.jp", "123.jp", "123.jp", "", MXD_KIND_DOMAIN),
    OK("Müller.de", "xn--mller-kva.de", "müller.de", "", MXD_KIND_DOMAIN),
    OK("ß.de", "xn--zca.de", "ß.de", "", MXD_KIND_DOMAIN), /* non-transitional: ß stays ß */
    OK("xn--r8jz45g.jp", "xn--r8jz45g.jp", "例え.jp", "", MXD_KIND_DOMAIN),
    OK("XN--R8JZ45G.JP", "xn--r8jz45g.jp", "例え.jp", "", MXD_KIND_DOMAIN),
    OK("xn--mgbh0fb.xn--kgbechtv", "xn--mgbh0fb.xn--kgbechtv", "مثال.إختبار", "", MXD_KIND_DOMAIN),
    /* right-to-left labels that satisfy the bidi rule */
    OK("مثال.إختبار", "xn--mgbh0fb.xn--kgbechtv", "مثال.إختبار", "", MXD_KIND_DOMAIN),
    OK("שלום.com", "xn--9dbne9b.com", "שלום.com", "", MXD_KIND_DOMAIN),
    /* mixed scripts: IDNA2008 itself does not forbid them (Cyrillic а in "pаypal") */
    OK("pаypal.com", "xn--pypal-4ve.com", "pаypal.com", "", MXD_KIND_DOMAIN),
    OK("例えabc.jp", "xn--abc-763b408n.jp", "例えabc.jp", "", MXD_KIND_DOMAIN),
    /* U+00AD SOFT HYPHEN is ignored by UTS #46 */
    OK("a\xC2\xAD" "b.com", "ab.com", "ab.com", "", MXD_KIND_DOMAIN),

    /* e-mail addresses and mail-header fragments */
    OK("user@例え.jp", "xn--r8jz45g.jp", "例え.jp", "user", MXD_KIND_EMAIL),
    OK("ＵＳＥＲ＠ＥＸＡＭＰＬＥ．ＪＰ", "example.jp", "example.jp", "USER", MXD_KIND_EMAIL),
    OK("<user@example.jp>", "example.jp", "example.jp", "user", MXD_KIND_EMAIL),
    OK("\"Name\" <user@example.jp>", "example.jp", "example.jp", "user", MXD_KIND_EMAIL),
    OK("\"山田 太郎\" <taro@例え.jp>", "xn--r8jz45g.jp", "例え.jp", "taro", MXD_KIND_EMAIL),
    OK("＜user＠example．jp＞", "example.jp", "example.jp", "user", MXD_KIND_EMAIL),
    OK("@example.jp", "example.jp", "example.jp", "", MXD_KIND_EMAIL),
    OK("user@ example.jp", "example.jp", "example.jp", "user", MXD_KIND_EMAIL),
    OK("user@EXAMPLE.jp.", "example.jp", "example.jp", "user", MXD_KIND_EMAIL),
    OK("\"a@b\"@example.jp", "example.jp", "example.jp", "\"a@b\"", MXD_KIND_EMAIL),

    /* URLs */
    OK("https://example.com/path", "example.com", "example.com", "", MXD_KIND_URL),
    OK("http://user:pw@mail.example.com:8080/x?y#z", "mail.example.com", "mail.example.com", "",
       MXD_KIND_URL),
    OK("HTTPS://EXAMPLE.COM", "example.com", "example.com", "", MXD_KIND_URL),
    OK("https://例え.jp/", "xn--r8jz45g.jp", "例え.jp", "", MXD_KIND_URL),
    OK("ｈｔｔｐｓ：／／ｅｘａｍｐｌｅ．ｃｏｍ／", "example.com", "example.com", "", MXD_KIND_URL),
    OK("//example.com/x", "example.com", "example.com", "", MXD_KIND_URL),
    OK("www.example.com/contact", "www.example.com", "www.example.com", "", MXD_KIND_URL),
    OK("<https://example.com/>", "example.com", "example.com", "", MXD_KIND_URL),
    OK("mailto:user@example.jp", "example.jp", "example.jp", "user", MXD_KIND_EMAIL),
    OK("MAILTO:user@example.jp?subject=hello", "example.jp", "example.jp", "user", MXD_KIND_EMAIL),

    /* nothing there */
    BAD("", MXD_IN_EMPTY, NULL),
    BAD("   ", MXD_IN_EMPTY, NULL),
    BAD("\t\r\n", MXD_IN_EMPTY, NULL),
    BAD("\xE3\x80\x80\xE3\x80\x80", MXD_IN_EMPTY, NULL), /* ideographic spaces only */

    /* empty labels */
    BAD("a..b.com", MXD_IN_EMPTY_LABEL, "a..b.com"),
    BAD(".a.b", MXD_IN_EMPTY_LABEL, ".a.b"),
    BAD("example.com..", MXD_IN_EMPTY_LABEL, "example.com.."),
    BAD(".", MXD_IN_EMPTY_LABEL, "."),
    BAD("user@.", MXD_IN_EMPTY_LABEL, "."),
    BAD("例え。。jp", MXD_IN_EMPTY_LABEL, "例え..jp"),
    BAD("\xC2\xAD.com", MXD_IN_EMPTY_LABEL, "<U+00AD>"), /* a label of ignored characters only */

    /* characters a host name cannot have */
    BAD("_dmarc.example.com", MXD_IN_BAD_CHAR, "_dmarc: U+005F \"_\""),
    BAD("a_b.example.com", MXD_IN_BAD_CHAR, "U+005F"),
    BAD("exa mple.com", MXD_IN_BAD_CHAR, "exa mple: U+0020"),
    BAD("exa\xE3\x80\x80mple.com", MXD_IN_BAD_CHAR, "U+0020"), /* U+3000 inside */
    BAD("a!b.com", MXD_IN_BAD_CHAR, "U+0021"),
    BAD("-abc.com", MXD_IN_BAD_CHAR, "-abc: U+002D"),
    BAD("abc-.com", MXD_IN_BAD_CHAR, "U+002D"),
    BAD("a@b@example.jp", MXD_IN_BAD_CHAR, "U+0040"),
    BAD("exa\x01mple.com", MXD_IN_BAD_CHAR, "U+0001"),
    BAD("exa\x7Fmple.com", MXD_IN_BAD_CHAR, "U+007F"),
    BAD("exa\nmple.com", MXD_IN_BAD_CHAR, "U+000A"),
    BAD("exa\x1B[2Jmple.com", MXD_IN_BAD_CHAR, "U+001B"),        /* clear screen */
    BAD("\x1B]0;pwned\x07" "example.com", MXD_IN_BAD_CHAR, NULL), /* title change */
    BAD("\xC2\x9B" "example.com", MXD_IN_BAD_CHAR, "U+009B"),      /* C1 CSI */
    BAD("evil\xE2\x80\xAE" "moc.com", MXD_IN_BAD_CHAR, "U+202E"),  /* RIGHT-TO-LEFT OVERRIDE */
    BAD("user\xE2\x81\xA6@example.jp", MXD_IN_BAD_CHAR, "U+2066"), /* LEFT-TO-RIGHT ISOLATE */
    BAD("a\xC2\xA0" "b.com", MXD_IN_BAD_CHAR, "U+00A0"),           /* NO-BREAK SPACE inside */
    BAD("\xC0\xAF" "example.com", MXD_IN_BAD_CHAR, "\\xC0"),       /* overlong '/' */
    BAD("example\xFF.com", MXD_IN_BAD_CHAR, "\\xFF"),
    BAD("😀.com", MXD_IN_BAD_CHAR, "U+1F600"),
    BAD("mail😀.example.com", MXD_IN_BAD_CHAR, "mail😀: U+1F600"),
    BAD("♥.com", MXD_IN_BAD_CHAR, "U+2665"),
    BAD("⑴.com", MXD_IN_BAD_CHAR, "U+2474"), /* UTS #46 maps it to "(1)" */
    BAD("ｅｘａ＿ｍｐｌｅ．ｃｏｍ", MXD_IN_BAD_CHAR, "U+005F"),

    /* addresses */
    BAD("192.0.2.1", MXD_IN_IP_ADDRESS, "192.0.2.1"),
    BAD("192.0.2.1.", MXD_IN_IP_ADDRESS, "192.0.2.1"),
    BAD("１９２．０．２．１", MXD_IN_IP_ADDRESS, "192.0.2.1"),
    BAD("127.1", MXD_IN_IP_ADDRESS, "127.1"),
    BAD("1.2.3.4.5", MXD_IN_IP_ADDRESS, NULL),
    /* U+00AD SOFT HYPHEN maps to nothing: "7.04" is numbers only (found by fuzz_input) */
    BAD("7\xC2\xAD.04", MXD_IN_IP_ADDRESS, NULL),
    BAD("[192.0.2.1]", MXD_IN_IP_ADDRESS, "[192.0.2.1]"),
    BAD("user@[192.0.2.1]", MXD_IN_IP_ADDRESS, "[192.0.2.1]"),
    BAD("user@[IPv6:2001:db8::1]", MXD_IN_IP_ADDRESS, "[IPv6:2001:db8::1]"),
    BAD("2001:db8::1", MXD_IN_IP_ADDRESS, "2001:db8::1"),
    BAD("fe80::1%eth0", MXD_IN_IP_ADDRESS, NULL),
    BAD("http://[2001:db8::1]:8080/", MXD_IN_IP_ADDRESS, "[2001:db8::1]"),
    BAD("http://192.0.2.1/index.html", MXD_IN_IP_ADDRESS, "192.0.2.1"),
    BAD("[example.com]", MXD_IN_BAD_CHAR, "U+005B"), /* brackets around a name */

    /* one label only */
    BAD("localhost", MXD_IN_SINGLE_LABEL, "localhost"),
    BAD("example", MXD_IN_SINGLE_LABEL, "example"),
    BAD("例え", MXD_IN_SINGLE_LABEL, "例え"),
    BAD("user@localhost", MXD_IN_SINGLE_LABEL, "localhost"),
    BAD("http://user:pw@host:8080/x?y#z", MXD_IN_SINGLE_LABEL, "host"),

    /* no domain at all */
    BAD("user@", MXD_IN_NO_DOMAIN, "user@"),
    BAD("@", MXD_IN_NO_DOMAIN, NULL),
    BAD("https:///path", MXD_IN_NO_DOMAIN, "https:///path"),
    BAD("https://", MXD_IN_NO_DOMAIN, NULL),
    BAD("http://user@/x", MXD_IN_NO_DOMAIN, NULL),
    BAD("mailto:", MXD_IN_NO_DOMAIN, NULL),
    BAD("<>", MXD_IN_NO_DOMAIN, NULL),

    /* refused by UTS #46 / IDNA2008, with libidn2's reason */
    BAD("xn--zz.com", MXD_IN_IDN_INVALID, "xn--zz: string contains invalid punycode data"),
    BAD("xn--a.com", MXD_IN_IDN_INVALID, "xn--a: "),
    /* A-labels whose Unicode side IDNA2008 refuses: U+2615 (a symbol) and an
     * upper-case U+00DC that UTS #46 would map, so it cannot round-trip. */
    BAD("xn--dmk.example", MXD_IN_IDN_INVALID, "xn--dmk: string contains a disallowed character"),
    BAD("xn--wca.example", MXD_IN_IDN_INVALID, "xn--wca: "),
    /* ... also when mapping (U+FEFF removed) is what leaves the A-label */
    BAD("xn--dm\xEF\xBB\xBFk.example", MXD_IN_IDN_INVALID, "disallowed character"),
    BAD("aمثال.com", MXD_IN_IDN_INVALID, "bi-directional"), /* LTR + RTL in one label */
    BAD("١٢٣.com", MXD_IN_IDN_INVALID, "bi-directional"),   /* Arabic-Indic digits first */
    BAD("a\xE2\x80\x8D" "b.com", MXD_IN_IDN_INVALID, "a<U+200D>b: "), /* ZWJ outside its context */
    BAD("\xCC\x81" "e.com", MXD_IN_IDN_INVALID, "combining"),          /* starts with U+0301 */
};

#define NROWS ((int)(sizeof rows / sizeof rows[0]))

/* Every byte of s is printable UTF-8 as the sanitiser would leave it. */
static void assert_clean_detail(const mxd_input *o)
{
    const char *nul = memchr(o->detail, '\0', sizeof o->detail);
    ck_assert_ptr_nonnull(nul);
    size_t n = (size_t)(nul - o->detail);
    ck_assert_msg(mxd_is_clean(o->detail, n, 0), "detail not clean: %s", o->detail);
}

START_TEST(test_table)
{
    const row *r = &rows[_i];
    mxd_input o;
    mxd_input_status st = mxd_input_normalize(r->in, &o);
    ck_assert_msg(st == r->st, "row %d \"%s\": status %d (%s), want %d; detail \"%s\"", _i, r->in, st,
                  mxd_input_status_key(st) ? mxd_input_status_key(st) : "ok", r->st, o.detail);
    if (st == MXD_IN_OK) {
        ck_assert_str_eq(o.ascii, r->ascii);
        ck_assert_str_eq(o.unicode, r->unicode);
        if (r->local)
            ck_assert_str_eq(o.local_part, r->local);
        if (r->kind != ANY_KIND)
            ck_assert_int_eq(o.kind, r->kind);
    } else {
        assert_clean_detail(&o);
        if (st != MXD_IN_EMPTY)
            ck_assert_msg(o.detail[0] != '\0', "row %d: empty detail", _i);
        if (r->detail)
            ck_assert_msg(strstr(o.detail, r->detail) != NULL, "row %d \"%s\": detail \"%s\" lacks \"%s\"",
                          _i, r->in, o.detail, r->detail);
    }
}
END_TEST

/* An OK result fed back in comes out the same, in either of its forms. */
START_TEST(test_idempotent)
{
    const row *r = &rows[_i];
    if (r->st != MXD_IN_OK)
        return;
    mxd_input a, b, c;
    ck_assert_int_eq(mxd_input_normalize(r->in, &a), MXD_IN_OK);
    ck_assert_int_eq(mxd_input_normalize(a.ascii, &b), MXD_IN_OK);
    ck_assert_str_eq(b.ascii, a.ascii);
    ck_assert_str_eq(b.unicode, a.unicode);
    ck_assert_int_eq(mxd_input_normalize(a.unicode, &c), MXD_IN_OK);
    ck_assert_str_eq(c.ascii, a.ascii);
}
END_TEST

/* Same input, same bytes out: nothing depends on hidden state. */
START_TEST(test_deterministic)
{
    mxd_input a, b;
    mxd_input_status s1 = mxd_input_normalize(rows[_i].in, &a);
    mxd_input_status s2 = mxd_input_normalize(rows[_i].in, &b);
    ck_assert_int_eq(s1, s2);
    ck_assert(memcmp(&a, &b, sizeof a) == 0);
}
END_TEST

START_TEST(test_null)
{
    mxd_input o;
    ck_assert_int_eq(mxd_input_normalize(NULL, &o), MXD_IN_EMPTY);
}
END_TEST

static char *repeat(const char *unit, size_t times, const char *tail)
{
    size_t un = strlen(unit), tn = strlen(tail);
    char *s = malloc(un * times + tn + 1);
    ck_assert_ptr_nonnull(s);
    for (size_t i = 0; i < times; i++)
        memcpy(s + i * un, unit, un);
    memcpy(s + un * times, tail, tn + 1);
    return s;
}

START_TEST(test_label_length)
{
    mxd_input o;
    char *s = repeat("a", 63, ".com");
    ck_assert_int_eq(mxd_input_normalize(s, &o), MXD_IN_OK);
    ck_assert_uint_eq(strlen(o.ascii), 67);
    free(s);

    s = repeat("a", 64, ".com");
    ck_assert_int_eq(mxd_input_normalize(s, &o), MXD_IN_LABEL_TOO_LONG);
    ck_assert_msg(strstr(o.detail, "(64)") != NULL, "detail: %s", o.detail);
    assert_clean_detail(&o);
    free(s);

    /* The limit is on the ASCII form: 63 full-width letters are 189 bytes typed. */
    s = repeat("ａ", 63, ".com");
    ck_assert_int_eq(mxd_input_normalize(s, &o), MXD_IN_OK);
    free(s);
    s = repeat("ａ", 64, ".com");
    ck_assert_int_eq(mxd_input_normalize(s, &o), MXD_IN_LABEL_TOO_LONG);
    free(s);

    /* 56 CJK characters from plane 2 still fit in a 63-octet A-label; 57 do not. */
    s = repeat("\xF0\xA0\x80\x80", 56, ".jp");
    ck_assert_int_eq(mxd_input_normalize(s, &o), MXD_IN_OK);
    ck_assert_uint_eq(strlen(o.ascii), 63 + 3);
    free(s);
    s = repeat("\xF0\xA0\x80\x80", 57, ".jp");
    ck_assert_int_eq(mxd_input_normalize(s, &o), MXD_IN_LABEL_TOO_LONG);
    assert_clean_detail(&o);
    free(s);

    s = repeat("ü", 60, ".de");
    ck_assert_int_eq(mxd_input_normalize(s, &o), MXD_IN_LABEL_TOO_LONG);
    free(s);

    /* Over 255 characters in one label: libidn2 calls that a too-long domain. */
    s = repeat("例", 1300, ".jp");
    ck_assert_int_eq(mxd_input_normalize(s, &o), MXD_IN_LABEL_TOO_LONG);
    assert_clean_detail(&o);
    free(s);
}
END_TEST

/* "aaa…(63).aaa…(63).aaa…(63)." followed by a last label of last_len b's. */
static char *long_name(size_t last_len, const char *tail)
{
    char *s = malloc(64 * 3 + last_len + strlen(tail) + 1);
    ck_assert_ptr_nonnull(s);
    size_t o = 0;
    for (int l = 0; l < 3; l++) {
        memset(s + o, 'a', 63);
        o += 63;
        s[o++] = '.';
    }
    memset(s + o, 'b', last_len);
    o += last_len;
    strcpy(s + o, tail);
    return s;
}

START_TEST(test_name_length)
{
    mxd_input o;
    char *s = long_name(61, ""); /* 3*64 + 61 = 253 octets */
    ck_assert_uint_eq(strlen(s), 253);
    ck_assert_int_eq(mxd_input_normalize(s, &o), MXD_IN_OK);
    ck_assert_str_eq(o.ascii, s);
    free(s);

    s = long_name(61, "."); /* the trailing dot does not count */
    ck_assert_int_eq(mxd_input_normalize(s, &o), MXD_IN_OK);
    ck_assert_uint_eq(strlen(o.ascii), 253);
    free(s);

    s = long_name(62, ""); /* 254 octets */
    ck_assert_int_eq(mxd_input_normalize(s, &o), MXD_IN_TOO_LONG);
    ck_assert_str_eq(o.detail, "254");
    free(s);

    /* Many short IDN labels: 420 bytes typed, and the ASCII form is what counts. */
    s = repeat("例え.", 60, "jp");
    ck_assert_int_eq(mxd_input_normalize(s, &o), MXD_IN_TOO_LONG);
    ck_assert_str_eq(o.detail, "722"); /* 60 * strlen("xn--r8jz45g.") + strlen("jp") */
    free(s);
}
END_TEST

START_TEST(test_input_cap)
{
    mxd_input o;
    /* 4096 bytes in all is still looked at... */
    char *s = repeat(" ", 4096 - 11, "example.com");
    ck_assert_uint_eq(strlen(s), 4096);
    ck_assert_int_eq(mxd_input_normalize(s, &o), MXD_IN_OK);
    ck_assert_str_eq(o.ascii, "example.com");
    free(s);
    /* ...4097 is not. */
    s = repeat(" ", 4096 - 10, "example.com");
    ck_assert_int_eq(mxd_input_normalize(s, &o), MXD_IN_TOO_LONG);
    ck_assert_str_eq(o.detail, "4096+");
    free(s);
}
END_TEST

START_TEST(test_ten_megabytes)
{
    size_t n = 10u * 1024 * 1024;
    char *s = malloc(n + 1);
    ck_assert_ptr_nonnull(s);
    for (size_t i = 0; i < n; i++)
        s[i] = (i % 64 == 63) ? '.' : (char)('a' + i % 26);
    s[n] = '\0';
    mxd_input o;
    clock_t t0 = clock();
    for (int k = 0; k < 100; k++)
        ck_assert_int_eq(mxd_input_normalize(s, &o), MXD_IN_TOO_LONG);
    /* 100 rejections of 10 MB: the cap means none of them reads the whole string.
     * (A single strlen() pass per call would already be ~1 GB of reading.) */
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    ck_assert_msg(secs < 0.5, "100 calls took %.3f s", secs);
    assert_clean_detail(&o);
    free(s);
}
END_TEST

/* No terminating NUL within reach: 8 KiB of 'a' followed by an unreadable page.
 * The normaliser must stop after 4097 bytes and never touch the guard page. */
START_TEST(test_reads_at_most_cap)
{
    long pg = sysconf(_SC_PAGESIZE);
    ck_assert_int_gt(pg, 0);
    size_t page = (size_t)pg, body = ((8192 + page - 1) / page) * page;
    char *m = mmap(NULL, body + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert(m != MAP_FAILED);
    ck_assert_int_eq(mprotect(m + body, page, PROT_NONE), 0);
    memset(m, 'a', body);
    mxd_input o;
    ck_assert_int_eq(mxd_input_normalize(m, &o), MXD_IN_TOO_LONG);
    /* Exactly 4097 bytes before the guard page, with no NUL: still refused, no fault. */
    ck_assert_int_eq(mxd_input_normalize(m + body - 4097, &o), MXD_IN_TOO_LONG);
    munmap(m, body + page);
}
END_TEST

START_TEST(test_status_keys)
{
    static const char *const want[MXD_IN_COUNT] = {
        NULL,
        "msg.input.empty",
        "msg.input.too_long",
        "msg.input.label_too_long",
        "msg.input.empty_label",
        "msg.input.bad_char",
        "msg.input.ip_address",
        "msg.input.single_label",
        "msg.input.no_domain",
        "msg.input.idn_invalid",
    };
    ck_assert_ptr_null(mxd_input_status_key(MXD_IN_OK));
    for (int st = 1; st < MXD_IN_COUNT; st++) {
        ck_assert_ptr_nonnull(mxd_input_status_key((mxd_input_status)st));
        ck_assert_str_eq(mxd_input_status_key((mxd_input_status)st), want[st]);
    }
    ck_assert_ptr_null(mxd_input_status_key(MXD_IN_COUNT));
    ck_assert_ptr_null(mxd_input_status_key((mxd_input_status)-1));
}
END_TEST

/* The table covers every status at least once. */
START_TEST(test_table_covers_statuses)
{
    bool seen[MXD_IN_COUNT] = { false };
    for (int i = 0; i < NROWS; i++)
        seen[rows[i].st] = true;
    seen[MXD_IN_TOO_LONG] = true; /* built in code: test_name_length, test_input_cap */
    seen[MXD_IN_LABEL_TOO_LONG] = true;
    for (int st = 0; st < MXD_IN_COUNT; st++)
        ck_assert_msg(seen[st], "no row for status %d", st);
    ck_assert_int_ge(NROWS, 45);
}
END_TEST

/* ---- pseudo-random inputs ------------------------------------------------ */

static uint32_t rng_state;
static uint32_t rng(void)
{
    /* xorshift32: fixed seed, same sequence on every machine */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void assert_valid_ok(const mxd_input *o, const char *in)
{
    size_t n = strlen(o->ascii);
    ck_assert_msg(n >= 3 && n <= 253, "\"%s\" -> \"%s\"", in, o->ascii);
    size_t label = 0, labels = 1;
    for (size_t i = 0; i < n; i++) {
        char c = o->ascii[i];
        if (c == '.') {
            ck_assert_msg(label >= 1 && o->ascii[i - 1] != '-', "\"%s\"", o->ascii);
            label = 0;
            labels++;
            continue;
        }
        ck_assert_msg((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-', "\"%s\" -> \"%s\"", in,
                      o->ascii);
        ck_assert_msg(label > 0 || c != '-', "\"%s\"", o->ascii);
        label++;
        ck_assert_msg(label <= 63, "\"%s\"", o->ascii);
    }
    ck_assert_msg(label >= 1 && o->ascii[n - 1] != '-', "\"%s\"", o->ascii);
    ck_assert_uint_ge(labels, 2);
    ck_assert(mxd_is_clean(o->unicode, strlen(o->unicode), 0));
}

/* Appends a random piece from set (n entries) to buf if it fits. */
static void put(char *buf, size_t cap, size_t *len, const char *const *set, size_t n)
{
    const char *p = set[rng() % n];
    size_t pn = strlen(p);
    if (*len + pn < cap) {
        memcpy(buf + *len, p, pn);
        *len += pn;
        buf[*len] = '\0';
    }
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

START_TEST(test_random_inputs)
{
    /* Anything at all, including broken UTF-8 and controls. */
    static const char *const junk[] = {
        "a", "b", "z", "0", "9", "-", ".", "..", "@", ":", "/", "//", "[", "]", "<", ">", "\"", " ", "_",
        "%", "?", "#", "xn--", "XN--", "com", "jp", "example", "http://", "mailto:", "例", "え", "ü", "ß",
        "ａ", "．", "。", "＠", "\xE3\x80\x80", "😀", "\xCC\x81", "\xE2\x80\x8D", "\xE2\x80\xAE", "م", "ש",
        "١", "\x1B", "\x01", "\x7F", "\xC2\x9B", "\xC2\xAD", "\xC2\xA0", "\xFF", "\xC0\xAF", "\xED\xA0\x80",
        "\xF4\x90\x80\x80", "\xE3\x81", "192.0.2.1", "::1",
    };
    /* What labels are made of, so that a good share of inputs succeed. */
    static const char *const letters[] = {
        "a", "q", "Z", "7", "-", "mail", "EXAMPLE", "例", "え", "ü", "ß", "ａ", "Ｑ", "１", "ж", "λ", "한",
        "xn--r8jz45g", "xn--zz", "\xC2\xAD",
    };
    static const char *const dots[] = { ".", ".", ".", "．", "。", "｡" };
    static const char *const before[] = { "", "", "", "user@", "＠", "https://", "mailto:x@", "<a@", " ",
                                          "\xE3\x80\x80" };
    static const char *const after[] = { "", "", "", ".", "/path", ":25", ">", " ", "\r\n" };
    char buf[512];
    int ok = 0, refused = 0;
    rng_state = 0x6d786421u;
    for (int iter = 0; iter < 6000; iter++) {
        size_t len = 0;
        buf[0] = '\0';
        if (iter % 2) {
            for (size_t k = 0, count = 1 + rng() % 24; k < count; k++)
                put(buf, sizeof buf, &len, junk, NELEM(junk));
        } else {
            put(buf, sizeof buf, &len, before, NELEM(before));
            for (size_t l = 0, labels = 1 + rng() % 4; l < labels; l++) {
                if (l)
                    put(buf, sizeof buf, &len, dots, NELEM(dots));
                for (size_t k = 0, count = 1 + rng() % 6; k < count; k++) {
                    if (rng() % 16)
                        put(buf, sizeof buf, &len, letters, NELEM(letters));
                    else
                        put(buf, sizeof buf, &len, junk, NELEM(junk));
                }
            }
            put(buf, sizeof buf, &len, after, NELEM(after));
        }
        mxd_input o;
        mxd_input_status st = mxd_input_normalize(buf, &o);
        ck_assert_int_ge(st, MXD_IN_OK);
        ck_assert_int_lt(st, MXD_IN_COUNT);
        if (st == MXD_IN_OK) {
            ok++;
            assert_valid_ok(&o, buf);
        } else {
            refused++;
            ck_assert_ptr_nonnull(mxd_input_status_key(st));
            assert_clean_detail(&o);
        }
    }
    /* Both paths must be exercised, or the checks above are idle. */
    ck_assert_int_gt(ok, 500);
    ck_assert_int_gt(refused, 500);
}
END_TEST

static Suite *input_suite(void)
{
    Suite *s = suite_create("input");
    TCase *tc = tcase_create("table");
    tcase_add_loop_test(tc, test_table, 0, NROWS);
    tcase_add_loop_test(tc, test_idempotent, 0, NROWS);
    tcase_add_loop_test(tc, test_deterministic, 0, NROWS);
    tcase_add_test(tc, test_table_covers_statuses);
    tcase_add_test(tc, test_null);
    tcase_add_test(tc, test_status_keys);
    suite_add_tcase(s, tc);

    TCase *lim = tcase_create("limits");
    tcase_add_test(lim, test_label_length);
    tcase_add_test(lim, test_name_length);
    tcase_add_test(lim, test_input_cap);
    tcase_add_test(lim, test_ten_megabytes);
    tcase_add_test(lim, test_reads_at_most_cap);
    tcase_set_timeout(lim, 30); /* valgrind */
    suite_add_tcase(s, lim);

    TCase *fz = tcase_create("random");
    tcase_add_test(fz, test_random_inputs);
    tcase_set_timeout(fz, 120);
    suite_add_tcase(s, fz);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(input_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
