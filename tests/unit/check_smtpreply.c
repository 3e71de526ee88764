/* Unit tests for the SMTP reply parser: byte strings as a server sends them. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mxd/smtpreply.h"

static mxd_reply_status parse(const char *s, mxd_smtp_reply *r, size_t *used)
{
    return mxd_smtp_reply_parse(s, strlen(s), r, used);
}

START_TEST(single_line)
{
    mxd_smtp_reply r;
    size_t used;
    /* "220 mx.example.jp ESMTP\r\n" */
    ck_assert_int_eq(parse("220 mx.example.jp ESMTP\r\n", &r, &used), MXD_REPLY_OK);
    ck_assert_int_eq(r.code, 220);
    ck_assert_uint_eq(r.nlines, 1);
    ck_assert_str_eq(r.lines[0], "mx.example.jp ESMTP");
    ck_assert_uint_eq(used, 25);
    mxd_smtp_reply_free(&r);
}
END_TEST

START_TEST(multi_line_and_rest)
{
    mxd_smtp_reply r;
    size_t used;
    const char *s = "250-mx.example.jp\r\n250-PIPELINING\r\n250 STARTTLS\r\n221 bye\r\n";
    ck_assert_int_eq(parse(s, &r, &used), MXD_REPLY_OK);
    ck_assert_int_eq(r.code, 250);
    ck_assert_uint_eq(r.nlines, 3);
    ck_assert_str_eq(r.lines[1], "PIPELINING");
    ck_assert_str_eq(r.lines[2], "STARTTLS");
    ck_assert_str_eq(s + used, "221 bye\r\n");
    mxd_smtp_reply_free(&r);
}
END_TEST

START_TEST(bare_lf_and_code_only)
{
    mxd_smtp_reply r;
    size_t used;
    ck_assert_int_eq(parse("250\n", &r, &used), MXD_REPLY_OK);
    ck_assert_int_eq(r.code, 250);
    ck_assert_str_eq(r.lines[0], "");
    mxd_smtp_reply_free(&r);
}
END_TEST

START_TEST(need_more)
{
    mxd_smtp_reply r;
    size_t used;
    ck_assert_int_eq(parse("220 partial", &r, &used), MXD_REPLY_NEED_MORE);
    ck_assert_int_eq(parse("250-first\r\n250-second\r\n", &r, &used), MXD_REPLY_NEED_MORE);
    ck_assert_int_eq(parse("", &r, &used), MXD_REPLY_NEED_MORE);
}
END_TEST

START_TEST(bad_replies)
{
    mxd_smtp_reply r;
    size_t used;
    ck_assert_int_eq(parse("hello there\r\n", &r, &used), MXD_REPLY_BAD);
    ck_assert_int_eq(parse("2x0 x\r\n", &r, &used), MXD_REPLY_BAD);
    ck_assert_int_eq(parse("250-a\r\n251 b\r\n", &r, &used), MXD_REPLY_BAD);   /* mixed codes */
    ck_assert_int_eq(parse("250xfoo\r\n", &r, &used), MXD_REPLY_BAD);          /* bad separator */
    ck_assert_int_eq(parse("600 nope\r\n", &r, &used), MXD_REPLY_BAD);
    ck_assert_int_eq(parse("199 nope\r\n", &r, &used), MXD_REPLY_BAD);
}
END_TEST

START_TEST(bounds)
{
    mxd_smtp_reply r;
    size_t used;
    /* a 100 KB line with no end: refused once it passes the line bound */
    size_t n = 100 * 1024;
    char *big = malloc(n + 1);
    memcpy(big, "220 ", 4);
    memset(big + 4, 'A', n - 4);
    big[n] = '\0';
    ck_assert_int_eq(mxd_smtp_reply_parse(big, n, &r, &used), MXD_REPLY_TOO_LONG);
    free(big);
    /* an endless multi-line reply */
    char *many = malloc(300 * 8 + 1);
    many[0] = '\0';
    for (int i = 0; i < 300; i++)
        strcat(many, "250-xx\r\n");
    ck_assert_int_eq(parse(many, &r, &used), MXD_REPLY_TOO_LONG);
    free(many);
}
END_TEST

START_TEST(nul_and_escape_bytes_kept_raw)
{
    mxd_smtp_reply r;
    size_t used;
    const char s[] = "220 a\x1b[2Jb\r\n";
    ck_assert_int_eq(mxd_smtp_reply_parse(s, sizeof s - 1, &r, &used), MXD_REPLY_OK);
    ck_assert_str_eq(r.lines[0], "a\x1b[2Jb"); /* raw here; sanitised by the probe */
    mxd_smtp_reply_free(&r);
    /* "220 x<NUL>y\r\n": the NUL stays visible through the length */
    const char z[] = "220 x\0y\r\n";
    ck_assert_int_eq(mxd_smtp_reply_parse(z, sizeof z - 1, &r, &used), MXD_REPLY_OK);
    ck_assert_uint_eq(r.lens[0], 3);
    ck_assert_int_eq(memcmp(r.lines[0], "x\0y", 3), 0);
    mxd_smtp_reply_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("smtpreply");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, single_line);
    tcase_add_test(tc, multi_line_and_rest);
    tcase_add_test(tc, bare_lf_and_code_only);
    tcase_add_test(tc, need_more);
    tcase_add_test(tc, bad_replies);
    tcase_add_test(tc, bounds);
    tcase_add_test(tc, nul_and_escape_bytes_kept_raw);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
