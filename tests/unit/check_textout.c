/* check_textout.c — unit tests for the writers' shared text pieces (src/report/textout.c).
 *
 * The report and --explain both rely on these for safety (sanitising, Markdown
 * escaping) and for alignment with Japanese labels, so each is tested on the
 * input that would break it: escape sequences, Markdown that would become a
 * link or a heading, double-width characters, and line breaks inside a value.
 */
#include <check.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "mxd/textout.h"

START_TEST(test_pool)
{
    mxd_strpool p = MXD_STRPOOL_INIT;
    ck_assert_str_eq(mxd_strpool_keep(&p, NULL), "");
    ck_assert_uint_eq(p.n, 0);
    /* more strings than the first allocation holds: the pool grows */
    for (int i = 0; i < 200; i++) {
        char *s = strdup("x");
        ck_assert_ptr_eq(mxd_strpool_keep(&p, s), s);
    }
    ck_assert_uint_eq(p.n, 200);
    mxd_strpool_free(&p);
    ck_assert_ptr_null(p.v);
    ck_assert_uint_eq(p.n, 0);
    mxd_strpool_free(&p); /* freeing an empty pool again is harmless */
}
END_TEST

START_TEST(test_san_and_fmt)
{
    mxd_strpool p = MXD_STRPOOL_INIT;
    /* ESC [ 2 J (clear screen) and a right-to-left override stay visible but inert */
    ck_assert_str_eq(mxd_textout_san(&p, "a\x1b[2Jb\xE2\x80\xAE" "c"), "a\\x1B[2Jb<U+202E>c");
    ck_assert_str_eq(mxd_textout_san(&p, "line\nbreak"), "line\\x0Abreak");
    ck_assert_str_eq(mxd_textout_san(&p, NULL), "");
    mxd_strpool_free(&p);
}
END_TEST

/* The variadic wrapper both writers put in front of mxd_textout_vfmt. */
static const char *fmt(mxd_strpool *p, const char *f, ...) __attribute__((format(printf, 2, 3)));
static const char *fmt(mxd_strpool *p, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    const char *s = mxd_textout_vfmt(p, f, ap);
    va_end(ap);
    return s;
}

START_TEST(test_vfmt)
{
    mxd_strpool p = MXD_STRPOOL_INIT;
    ck_assert_str_eq(fmt(&p, "%s %zu: %d ms", "step", (size_t)3, 42), "step 3: 42 ms");
    ck_assert_uint_eq(p.n, 1);
    mxd_strpool_free(&p);
}
END_TEST

START_TEST(test_catalog_without_catalog)
{
    /* no catalog: the key shows, so a missing text is found, not a blank */
    mxd_strpool p = MXD_STRPOOL_INIT;
    ck_assert_str_eq(mxd_textout_catalog(&p, NULL, "report.what", "text", NULL, 0),
                     "[report.what.text]");
    /* the key itself is sanitised too */
    ck_assert_str_eq(mxd_textout_catalog(&p, NULL, "a\x1b" "b", "title", NULL, 0),
                     "[a\\x1Bb.title]");
    mxd_strpool_free(&p);
}
END_TEST

START_TEST(test_width_and_pad)
{
    ck_assert_uint_eq(mxd_textout_width(""), 0);
    ck_assert_uint_eq(mxd_textout_width("What"), 4);
    ck_assert_uint_eq(mxd_textout_width("原因"), 4);      /* two wide characters */
    ck_assert_uint_eq(mxd_textout_width("ｱｲ"), 2);        /* half-width katakana: narrow */
    mxd_sb sb = MXD_SB_INIT;
    mxd_textout_pad(&sb, "原因:", 8);
    mxd_sb_putc(&sb, '|');
    ck_assert_str_eq(mxd_sb_str(&sb), "原因:   |"); /* 5 columns + 3 spaces */
    mxd_sb_clear(&sb);
    mxd_textout_pad(&sb, "longer than w", 4); /* never cut */
    ck_assert_str_eq(mxd_sb_str(&sb), "longer than w");
    mxd_sb_free(&sb);
}
END_TEST

START_TEST(test_indented)
{
    mxd_sb sb = MXD_SB_INIT;
    mxd_textout_indented(&sb, "one\ntwo\nthree\n", 3);
    /* a trailing line break gets no indent after it */
    ck_assert_str_eq(mxd_sb_str(&sb), "one\n   two\n   three\n");
    mxd_sb_free(&sb);
}
END_TEST

START_TEST(test_md)
{
    mxd_sb sb = MXD_SB_INIT;
    /* a link, an image, HTML, emphasis, a table cell, code, an entity */
    mxd_textout_md(&sb, "[x](http://e.test) ![i](j) <b>*_`|~#&\\", NULL);
    ck_assert_str_eq(mxd_sb_str(&sb),
                     "\\[x\\](http://e.test) !\\[i\\](j) \\<b\\>\\*\\_\\`\\|\\~\\#\\&\\\\");
    mxd_sb_clear(&sb);
    /* cont NULL: one line (headings, cells) */
    mxd_textout_md(&sb, "a\nb", NULL);
    ck_assert_str_eq(mxd_sb_str(&sb), "a b");
    mxd_sb_clear(&sb);
    /* with cont: hard breaks; a line that would open a block is escaped */
    mxd_textout_md(&sb, "a\n# h\n- l\nz\n", "  ");
    ck_assert_str_eq(mxd_sb_str(&sb), "a\\\n  \\\\# h\\\n  \\- l\\\n  z");
    mxd_sb_free(&sb);
}
END_TEST

START_TEST(test_md_item)
{
    mxd_sb sb = MXD_SB_INIT;
    mxd_textout_md_item(&sb, "What", "first\nsecond *line*");
    ck_assert_str_eq(mxd_sb_str(&sb), "- **What:** first\\\n  second \\*line\\*\n");
    mxd_sb_free(&sb);
}
END_TEST

static Suite *textout_suite(void)
{
    Suite *s = suite_create("textout");
    TCase *tc = tcase_create("textout");
    tcase_add_test(tc, test_pool);
    tcase_add_test(tc, test_san_and_fmt);
    tcase_add_test(tc, test_vfmt);
    tcase_add_test(tc, test_catalog_without_catalog);
    tcase_add_test(tc, test_width_and_pad);
    tcase_add_test(tc, test_indented);
    tcase_add_test(tc, test_md);
    tcase_add_test(tc, test_md_item);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(textout_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
