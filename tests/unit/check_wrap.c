/* check_wrap.c — wrapping by display width with Japanese line-breaking rules. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

#include "mxd/ui.h"

/* Characters no wrapped line may start with (a sample of the kinsoku set). */
static const char *const forbidden_start[] = {
    "。", "、", "）", "」", "』", "】", "ー", "っ", "ッ", "ゃ", "ょ", "ぁ", "・", "？", "！", "：", "，", "．",
};
static const char *const forbidden_end[] = { "（", "「", "『", "【" };

static const char *const texts[] = {
    "MXレコードは、このドメイン宛てのメールをどのサーバーが受け取るかを示す設定です。"
    "優先度（数値が小さいほど優先）の順に、送信側のサーバーが接続を試みます。",
    "メールサーバー「mail.example.co.jp」が応答しません（タイムアウト）。ちょっと待ってから、"
    "もう一度「r」キーで確認してください。",
    "The MX record tells senders which server accepts mail for example.com; the lowest "
    "preference number is tried first.",
    "nslookup -type=mx example.jp を実行して、MXレコードが正しく登録されているか確認します。",
    "送信側はエラーメール（バウンスメール）を返します。ISPの25番ポートブロック（OP25B）も疑ってください。",
    "https://very-long-host-name-for-testing.mail.example-hosting-provider.co.jp/path/to/page?x=1",
    "ｅｘａｍｐｌｅ．ｃｏｍ、ユーザー＠例え．ｊｐ。キャッシュ（TTL）の期限切れを待ちます……",
};

static char *line_str(const char *text, const mxd_wline *l)
{
    char *s = malloc(l->len + 1);
    ck_assert_ptr_nonnull(s);
    memcpy(s, text + l->off, l->len);
    s[l->len] = '\0';
    return s;
}

static bool starts_with(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

static bool ends_with(const char *s, const char *p)
{
    size_t a = strlen(s), b = strlen(p);
    return a >= b && strcmp(s + a - b, p) == 0;
}

/* Removes ASCII spaces so a wrapped text can be compared with its source. */
static char *squeeze(const char *s)
{
    char *o = malloc(strlen(s) + 1), *p = o;
    ck_assert_ptr_nonnull(o);
    for (; *s; s++)
        if (*s != ' ')
            *p++ = *s;
    *p = '\0';
    return o;
}

/* Every invariant at once, for one text at one width. */
static void check_invariants(const char *text, int cols)
{
    mxd_wline *v;
    size_t n = mxd_wrap(text, cols, &v);
    ck_assert_uint_gt(n, 0);
    size_t total = strlen(text);
    char *joined = calloc(1, total + 1);
    ck_assert_ptr_nonnull(joined);
    for (size_t i = 0; i < n; i++) {
        char *s = line_str(text, &v[i]);
        /* never half a character: each line is valid UTF-8 on its own */
        ck_assert_msg(u8_check((const uint8_t *)s, strlen(s)) == NULL,
                      "cols %d line %zu is cut inside a character: %s", cols, i, s);
        ck_assert_int_eq(v[i].width, mxd_text_width(s, strlen(s)));
        /* within the budget (a lone double-width character at cols 1 is the one exception) */
        if (cols >= 2)
            ck_assert_msg(v[i].width <= cols, "cols %d line %zu is %d wide: %s", cols, i,
                          v[i].width, s);
        /* Below the widest unbreakable cluster ("（TTL）" is 7 columns) the width
         * budget wins over kinsoku; the wizard never lays text out that narrow. */
        if (i > 0 && cols >= 8)
            for (size_t k = 0; k < sizeof forbidden_start / sizeof *forbidden_start; k++)
                ck_assert_msg(!starts_with(s, forbidden_start[k]),
                              "cols %d line %zu starts with %s: %s", cols, i, forbidden_start[k], s);
        if (i + 1 < n && cols >= 8)
            for (size_t k = 0; k < sizeof forbidden_end / sizeof *forbidden_end; k++)
                ck_assert_msg(!ends_with(s, forbidden_end[k]),
                              "cols %d line %zu ends with %s: %s", cols, i, forbidden_end[k], s);
        strcat(joined, s);
        free(s);
    }
    /* nothing lost or duplicated apart from the spaces at the breaks */
    char *a = squeeze(text), *b = squeeze(joined);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    free(joined);
    free(v);
}

START_TEST(test_invariants_all_widths)
{
    for (size_t t = 0; t < sizeof texts / sizeof *texts; t++)
        for (int cols = 1; cols <= 90; cols++)
            check_invariants(texts[t], cols);
}
END_TEST

START_TEST(test_width)
{
    ck_assert_int_eq(mxd_text_width("example.com", 11), 11);
    ck_assert_int_eq(mxd_text_width("例え.jp", strlen("例え.jp")), 7);
    ck_assert_int_eq(mxd_text_width("ｅｘ", strlen("ｅｘ")), 4);
    /* an invalid byte is drawn as one replacement cell */
    ck_assert_int_eq(mxd_text_width("a\xffz", 3), 3);
    int w = -1;
    /* 3 columns hold 例 (2) but not 例え (4): the cut falls between characters */
    ck_assert_uint_eq(mxd_text_fit("例え.jp", strlen("例え.jp"), 3, &w), 3);
    ck_assert_int_eq(w, 2);
    ck_assert_uint_eq(mxd_text_fit("例え.jp", strlen("例え.jp"), 1, &w), 0);
    ck_assert_int_eq(w, 0);
    ck_assert_uint_eq(mxd_text_fit("例え.jp", strlen("例え.jp"), 99, &w), strlen("例え.jp"));
    ck_assert_int_eq(w, 7);
}
END_TEST

/* Wraps and returns line i as a string (caller frees), asserting the line count. */
static char *wrapped_line(const char *text, int cols, size_t expect_n, size_t i)
{
    mxd_wline *v;
    size_t n = mxd_wrap(text, cols, &v);
    ck_assert_uint_eq(n, expect_n);
    char *s = line_str(text, &v[i]);
    free(v);
    return s;
}

START_TEST(test_kinsoku_pushes_word_down)
{
    /* あいうえお is exactly 10 columns; 。 may not start the next line, so お goes with it. */
    char *l0 = wrapped_line("あいうえお。", 10, 2, 0);
    char *l1 = wrapped_line("あいうえお。", 10, 2, 1);
    ck_assert_str_eq(l0, "あいうえ");
    ck_assert_str_eq(l1, "お。");
    free(l0);
    free(l1);
    /* small kana stays with the kana before it */
    l0 = wrapped_line("あいうえちょっと", 10, 2, 0);
    l1 = wrapped_line("あいうえちょっと", 10, 2, 1);
    ck_assert_str_eq(l0, "あいうえ");
    ck_assert_str_eq(l1, "ちょっと");
    free(l0);
    free(l1);
    /* an opening bracket does not end a line */
    l0 = wrapped_line("あいうえ「お」", 10, 2, 0);
    ck_assert_str_eq(l0, "あいうえ");
    free(l0);
    /* a closing bracket right at the edge pulls its word along */
    l0 = wrapped_line("（優先度）は小さい", 8, 3, 0);
    ck_assert_str_eq(l0, "（優先");
    free(l0);
}
END_TEST

START_TEST(test_ascii_words_kept)
{
    const char *t = "the quick brown fox jumps";
    mxd_wline *v;
    size_t n = mxd_wrap(t, 10, &v);
    ck_assert_uint_eq(n, 3);
    char *s0 = line_str(t, &v[0]), *s1 = line_str(t, &v[1]), *s2 = line_str(t, &v[2]);
    ck_assert_str_eq(s0, "the quick");  /* trailing space dropped */
    ck_assert_str_eq(s1, "brown fox");
    ck_assert_str_eq(s2, "jumps");
    ck_assert_int_eq(v[0].width, 9);
    free(s0);
    free(s1);
    free(s2);
    free(v);
}
END_TEST

START_TEST(test_mixed_ascii_japanese)
{
    /* The command must stay whole when it fits on a line. */
    const char *t = "確認するには nslookup -type=mx example.jp を実行します。";
    mxd_wline *v;
    size_t n = mxd_wrap(t, 24, &v);
    ck_assert_uint_ge(n, 2);
    bool whole = false;
    for (size_t i = 0; i < n; i++) {
        char *s = line_str(t, &v[i]);
        ck_assert_int_le(v[i].width, 24);
        if (strstr(s, "nslookup") || strstr(s, "example.jp"))
            ck_assert_msg(!ends_with(s, "nsl") && !starts_with(s, "ookup"), "%s", s);
        if (strstr(s, "example.jp"))
            whole = true;
        free(s);
    }
    ck_assert(whole);
    free(v);
}
END_TEST

START_TEST(test_host_name_kept_whole_when_it_fits)
{
    /* "example." would fit on the first line; the name moves down whole */
    const char *t = "aaa bbb ccc example.com.";
    mxd_wline *v;
    size_t n = mxd_wrap(t, 20, &v);
    ck_assert_uint_eq(n, 2);
    char *s1 = line_str(t, &v[1]);
    ck_assert_str_eq(s1, "example.com.");
    free(s1);
    free(v);
    t = "resolver 127.0.0.1:5399 said";
    n = mxd_wrap(t, 18, &v);
    ck_assert_uint_eq(n, 3);
    s1 = line_str(t, &v[1]);
    ck_assert_str_eq(s1, "127.0.0.1:5399");
    free(s1);
    free(v);
}
END_TEST

START_TEST(test_long_host_broken_by_width)
{
    const char *host = "mx01.a-very-long-subdomain-label.mail-hosting-provider.example.co.jp";
    mxd_wline *v;
    size_t n = mxd_wrap(host, 20, &v);
    ck_assert_uint_ge(n, 4);
    for (size_t i = 0; i < n; i++) {
        char *s = line_str(host, &v[i]);
        ck_assert_int_le(v[i].width, 20);
        /* every break but the last falls right after a '.' or a '-', and only
         * where the line stays at least half full */
        if (i + 1 < n) {
            ck_assert_msg(ends_with(s, ".") || ends_with(s, "-"), "line %zu: %s", i, s);
            ck_assert_int_ge(v[i].width, 10);
        }
        free(s);
    }
    free(v);
    /* a name without any separator is cut exactly at the width */
    const char *flat = "abcdefghijklmnopqrstuvwxyz";
    n = mxd_wrap(flat, 10, &v);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(v[0].width, 10);
    ck_assert_int_eq(v[1].width, 10);
    ck_assert_int_eq(v[2].width, 6);
    free(v);
}
END_TEST

START_TEST(test_wide_char_wider_than_line)
{
    /* One column cannot hold 例: each character gets a line of its own, no loop. */
    mxd_wline *v;
    size_t n = mxd_wrap("例え", 1, &v);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(v[0].width, 2);
    ck_assert_uint_eq(v[0].len, 3);
    free(v);
}
END_TEST

START_TEST(test_newlines)
{
    const char *t = "一行目\n\n  indented third";
    mxd_wline *v;
    size_t n = mxd_wrap(t, 40, &v);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(v[1].len, 0);
    char *s = line_str(t, &v[2]);
    ck_assert_str_eq(s, "  indented third"); /* indentation after a newline is kept */
    free(s);
    free(v);
    ck_assert_uint_eq(mxd_wrap("", 10, &v), 0);
    ck_assert_ptr_null(v);
}
END_TEST

static Suite *wrap_suite(void)
{
    Suite *s = suite_create("wrap");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_width);
    tcase_add_test(tc, test_invariants_all_widths);
    tcase_add_test(tc, test_kinsoku_pushes_word_down);
    tcase_add_test(tc, test_ascii_words_kept);
    tcase_add_test(tc, test_mixed_ascii_japanese);
    tcase_add_test(tc, test_host_name_kept_whole_when_it_fits);
    tcase_add_test(tc, test_long_host_broken_by_width);
    tcase_add_test(tc, test_wide_char_wider_than_line);
    tcase_add_test(tc, test_newlines);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(wrap_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
