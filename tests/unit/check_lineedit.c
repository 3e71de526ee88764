/* check_lineedit.c — the domain field: wide characters, cursor columns, history. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mxd/ui.h"

static void assert_text(const mxd_lineedit *le, const char *want)
{
    char *t = mxd_le_text(le);
    ck_assert_ptr_nonnull(t);
    ck_assert_str_eq(t, want);
    free(t);
}

START_TEST(test_insert_utf8_as_characters)
{
    mxd_lineedit le;
    mxd_le_init(&le, 0);
    /* An IME commits 例え as two 3-byte characters. */
    ck_assert(mxd_le_insert_str(&le, "例え.jp"));
    ck_assert_uint_eq(le.len, 5);
    ck_assert_uint_eq(le.cur, 5);
    ck_assert_int_eq(mxd_le_width(&le), 7);
    ck_assert_int_eq(mxd_le_cursor_col(&le), 7);
    assert_text(&le, "例え.jp");
    mxd_le_free(&le);
}
END_TEST

START_TEST(test_backspace_over_wide)
{
    mxd_lineedit le;
    mxd_le_init(&le, 0);
    mxd_le_set(&le, "user@例え.jp");
    ck_assert(mxd_le_do(&le, MXD_LE_HOME));
    ck_assert_int_eq(mxd_le_cursor_col(&le), 0);
    for (int i = 0; i < 7; i++) /* past "user@例え" */
        ck_assert(mxd_le_do(&le, MXD_LE_RIGHT));
    ck_assert_int_eq(mxd_le_cursor_col(&le), 9); /* 5 narrow + 2 wide */
    ck_assert(mxd_le_do(&le, MXD_LE_BACKSPACE));   /* removes え, all three bytes */
    assert_text(&le, "user@例.jp");
    ck_assert_int_eq(mxd_le_cursor_col(&le), 7);
    ck_assert(mxd_le_do(&le, MXD_LE_BACKSPACE));
    assert_text(&le, "user@.jp");
    ck_assert_int_eq(mxd_le_cursor_col(&le), 5);
    ck_assert(mxd_le_insert(&le, 0x4F8B)); /* 例 typed back in place */
    assert_text(&le, "user@例.jp");
    ck_assert(mxd_le_do(&le, MXD_LE_DELETE)); /* Delete takes the '.' after the cursor */
    assert_text(&le, "user@例jp");
    ck_assert(mxd_le_do(&le, MXD_LE_END));
    ck_assert_int_eq(mxd_le_cursor_col(&le), mxd_le_width(&le));
    ck_assert(!mxd_le_do(&le, MXD_LE_RIGHT)); /* already at the end */
    ck_assert(!mxd_le_do(&le, MXD_LE_DELETE));
    ck_assert(mxd_le_do(&le, MXD_LE_HOME));
    ck_assert(!mxd_le_do(&le, MXD_LE_LEFT));
    ck_assert(!mxd_le_do(&le, MXD_LE_BACKSPACE));
    assert_text(&le, "user@例jp");
    mxd_le_free(&le);
}
END_TEST

START_TEST(test_controls_dropped_from_paste)
{
    mxd_lineedit le;
    mxd_le_init(&le, 0);
    /* A pasted line may carry a newline, a tab or an escape sequence. */
    ck_assert(mxd_le_insert_str(&le, "https://example.com/\x1b[31m\r\n\t"));
    assert_text(&le, "https://example.com/[31m");
    ck_assert(!mxd_le_insert(&le, 0x202E)); /* a bidi override never enters the field */
    /* an invalid byte becomes U+FFFD rather than vanishing */
    mxd_le_set(&le, "a\xff");
    assert_text(&le, "a\xef\xbf\xbd");
    mxd_le_free(&le);
}
END_TEST

START_TEST(test_max_length)
{
    mxd_lineedit le;
    mxd_le_init(&le, 4);
    mxd_le_insert_str(&le, "例え.jp");
    assert_text(&le, "例え.j");
    ck_assert(!mxd_le_insert(&le, 'p'));
    mxd_le_free(&le);
}
END_TEST

START_TEST(test_kill)
{
    mxd_lineedit le;
    mxd_le_init(&le, 0);
    mxd_le_set(&le, "user@例え.jp");
    ck_assert(mxd_le_do(&le, MXD_LE_KILL_WORD));
    assert_text(&le, "user@例え.");
    ck_assert(mxd_le_do(&le, MXD_LE_KILL_WORD));
    assert_text(&le, "user@例え");
    ck_assert(mxd_le_do(&le, MXD_LE_KILL_WORD));
    assert_text(&le, "user@");
    ck_assert(mxd_le_do(&le, MXD_LE_HOME));
    ck_assert(mxd_le_do(&le, MXD_LE_RIGHT));
    ck_assert(mxd_le_do(&le, MXD_LE_KILL_END));
    assert_text(&le, "u");
    ck_assert(mxd_le_do(&le, MXD_LE_KILL_LINE));
    assert_text(&le, "");
    ck_assert_uint_eq(le.cur, 0);
    ck_assert(!mxd_le_do(&le, MXD_LE_KILL_LINE));
    mxd_le_free(&le);
}
END_TEST

START_TEST(test_view_scrolls_by_whole_characters)
{
    mxd_lineedit le;
    mxd_le_init(&le, 0);
    /* 10 wide characters = 20 columns, in a field of 9 columns */
    mxd_le_set(&le, "一二三四五六七八九十");
    size_t first;
    int col;
    mxd_le_view(&le, 9, &first, &col);
    /* the cursor cell at the end plus as many whole characters as fit */
    ck_assert_int_le(col, 8);
    ck_assert_int_eq(col, 8);
    ck_assert_uint_eq(first, 6); /* 七八九十 = 8 columns, then the cursor */
    mxd_le_do(&le, MXD_LE_HOME);
    mxd_le_view(&le, 9, &first, &col);
    ck_assert_uint_eq(first, 0);
    ck_assert_int_eq(col, 0);
    /* odd field width: a wide character is never half shown at the left edge */
    mxd_le_do(&le, MXD_LE_END);
    mxd_le_view(&le, 8, &first, &col);
    ck_assert_int_le(col, 7);
    ck_assert_int_eq(col % 2, 0);
    mxd_le_free(&le);
}
END_TEST

START_TEST(test_history)
{
    mxd_lineedit le;
    mxd_le_init(&le, 0);
    /* a field never typed in: every operation is safe on it */
    assert_text(&le, "");
    ck_assert_int_eq(mxd_le_cursor_col(&le), 0);
    size_t first;
    int col;
    mxd_le_view(&le, 10, &first, &col);
    ck_assert_uint_eq(first, 0);
    ck_assert_int_eq(col, 0);
    ck_assert(!mxd_le_do(&le, MXD_LE_BACKSPACE));
    ck_assert(!mxd_le_do(&le, MXD_LE_KILL_WORD));
    ck_assert(!mxd_le_do(&le, MXD_LE_HIST_PREV)); /* empty history */
    ck_assert_int_eq(mxd_le_history_add(&le, "example.com"), 0);
    ck_assert_int_eq(mxd_le_history_add(&le, "例え.jp"), 0);
    ck_assert_int_eq(mxd_le_history_add(&le, "例え.jp"), 0); /* same as newest: kept once */
    ck_assert_int_eq(mxd_le_history_add(&le, ""), 0);
    ck_assert_uint_eq(le.nhist, 2);

    mxd_le_set(&le, "half-typ");            /* a draft survives browsing */
    ck_assert(mxd_le_do(&le, MXD_LE_HIST_PREV));
    assert_text(&le, "例え.jp");
    ck_assert_int_eq(mxd_le_cursor_col(&le), 7);
    ck_assert(mxd_le_do(&le, MXD_LE_HIST_PREV));
    assert_text(&le, "example.com");
    ck_assert(!mxd_le_do(&le, MXD_LE_HIST_PREV)); /* oldest reached */
    assert_text(&le, "example.com");
    ck_assert(mxd_le_do(&le, MXD_LE_HIST_NEXT));
    assert_text(&le, "例え.jp");
    ck_assert(mxd_le_do(&le, MXD_LE_HIST_NEXT));
    assert_text(&le, "half-typ");
    ck_assert(!mxd_le_do(&le, MXD_LE_HIST_NEXT));
    mxd_le_free(&le);
}
END_TEST

static Suite *lineedit_suite(void)
{
    Suite *s = suite_create("lineedit");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_insert_utf8_as_characters);
    tcase_add_test(tc, test_backspace_over_wide);
    tcase_add_test(tc, test_controls_dropped_from_paste);
    tcase_add_test(tc, test_max_length);
    tcase_add_test(tc, test_kill);
    tcase_add_test(tc, test_view_scrolls_by_whole_characters);
    tcase_add_test(tc, test_history);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(lineedit_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
