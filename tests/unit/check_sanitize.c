/* check_sanitize.c — unit tests for the sanitiser (src/core/sanitize.c).
 *
 * What a hostile DNS or SMTP server could send: escape sequences that clear the
 * screen, write the clipboard (OSC 52) or retitle the window, C1 controls, NUL
 * bytes, every kind of malformed UTF-8, and bidi controls that reorder what the
 * reader sees. Each case is a byte array with its decoded meaning beside it.
 * A property test then feeds thousands of pseudo-random byte strings (fixed
 * seed) and checks the output contract on each.
 *
 * Two defects found while writing these tests (a cap below 3 bytes, and a cut
 * through an escape) are regression tests below.
 */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mxd/sanitize.h"

#define ELLIPSIS "\xE2\x80\xA6" /* U+2026 … */

typedef struct {
    const char *name;
    const char *in;
    size_t len; /* bytes of in (may hold NULs) */
    unsigned flags;
    const char *want;
} san_case;

#define CASE(name, lit, flags, want) { name, lit, sizeof(lit) - 1, flags, want }

static const san_case cases[] = {
    /* plain text passes unchanged */
    CASE("ascii", "mx1.example.com", 0, "mx1.example.com"),
    CASE("japanese", "メールサーバー", 0, "メールサーバー"),
    CASE("arabic letters", "مثال", 0, "مثال"),
    CASE("emoji", "ok \xF0\x9F\x98\x80", 0, "ok \xF0\x9F\x98\x80"), /* U+1F600, 4 bytes */
    CASE("backslash kept", "a\\x1Bb", 0, "a\\x1Bb"),
    CASE("empty", "", 0, ""),

    /* terminal escape sequences lose their ESC and BEL */
    CASE("clear screen", "\x1B[2J", 0, "\\x1B[2J"),
    CASE("OSC 52 clipboard", "\x1B]52;c;cm0gLXJmIH4=\x07", 0, "\\x1B]52;c;cm0gLXJmIH4=\\x07"),
    CASE("OSC 0 title", "\x1B]0;x\x07", 0, "\\x1B]0;x\\x07"),
    CASE("OSC with ST", "\x1B]0;x\x1B\\", 0, "\\x1B]0;x\\x1B\\"),
    CASE("SGR colour", "250 \x1B[31mOK\x1B[0m", 0, "250 \\x1B[31mOK\\x1B[0m"),
    CASE("backspace overwrite", "good\x08\x08\x08\x08" "evil", 0, "good\\x08\\x08\\x08\\x08evil"),
    CASE("DEL", "a\x7F" "b", 0, "a\\x7Fb"),

    /* C1 controls: as UTF-8 they are code points U+0080..U+009F */
    CASE("C1 CSI U+009B", "\xC2\x9B" "2J", 0, "<U+009B>2J"),
    CASE("C1 NEL U+0085", "a\xC2\x85" "b", 0, "a<U+0085>b"),
    CASE("C1 OSC U+009D", "\xC2\x9D" "0;x", 0, "<U+009D>0;x"),
    CASE("raw byte 0x9B", "\x9B" "2J", 0, "\\x9B2J"), /* not UTF-8 at all */

    /* NUL bytes inside */
    CASE("NUL inside", "a\0b", 0, "a\\x00b"),
    CASE("NULs only", "\0\0", 0, "\\x00\\x00"),
    CASE("NUL then ESC", "250\0\x1B[2J", 0, "250\\x00\\x1B[2J"),

    /* invalid UTF-8: each offending byte becomes \xNN */
    CASE("lone continuation", "a\x80" "b", 0, "a\\x80b"),
    CASE("overlong slash C0 AF", "\xC0\xAF", 0, "\\xC0\\xAF"),
    CASE("overlong NUL C0 80", "\xC0\x80", 0, "\\xC0\\x80"),
    CASE("overlong 3-byte E0 80 AF", "\xE0\x80\xAF", 0, "\\xE0\\x80\\xAF"),
    CASE("overlong 4-byte F0 80 80 AF", "\xF0\x80\x80\xAF", 0, "\\xF0\\x80\\x80\\xAF"),
    CASE("surrogate U+D800", "\xED\xA0\x80", 0, "\\xED\\xA0\\x80"),
    CASE("surrogate U+DFFF", "\xED\xBF\xBF", 0, "\\xED\\xBF\\xBF"),
    CASE("above U+10FFFF (F4 90)", "\xF4\x90\x80\x80", 0, "\\xF4\\x90\\x80\\x80"),
    CASE("F5 lead byte", "\xF5\x80\x80\x80", 0, "\\xF5\\x80\\x80\\x80"),
    CASE("FE FF", "\xFE\xFF", 0, "\\xFE\\xFF"),
    CASE("truncated at end", "ok\xE3\x81", 0, "ok\\xE3\\x81"),
    CASE("truncated then ASCII", "\xE3\x81" "a", 0, "\\xE3\\x81a"),
    CASE("U+10FFFF is valid", "\xF4\x8F\xBF\xBF", 0, "\xF4\x8F\xBF\xBF"),

    /* bidi controls, invisible separators */
    CASE("RLO U+202E", "evil\xE2\x80\xAE" "moc.com", 0, "evil<U+202E>moc.com"),
    CASE("LRE..RLO U+202A-202E", "\xE2\x80\xAA\xE2\x80\xAB\xE2\x80\xAC\xE2\x80\xAD", 0,
         "<U+202A><U+202B><U+202C><U+202D>"),
    CASE("LRI U+2066", "a\xE2\x81\xA6" "b", 0, "a<U+2066>b"),
    CASE("RLI FSI PDI U+2067-2069", "\xE2\x81\xA7\xE2\x81\xA8\xE2\x81\xA9", 0, "<U+2067><U+2068><U+2069>"),
    CASE("LRM RLM ALM", "\xE2\x80\x8E\xE2\x80\x8F\xD8\x9C", 0, "<U+200E><U+200F><U+061C>"),
    CASE("LINE SEPARATOR U+2028", "a\xE2\x80\xA8" "b", 0, "a<U+2028>b"),
    CASE("BOM U+FEFF", "\xEF\xBB\xBF" "220", 0, "<U+FEFF>220"),

    /* newlines and other white space */
    CASE("LF escaped by default", "a\nb", 0, "a\\x0Ab"),
    CASE("LF kept", "a\nb", MXD_SAN_KEEP_NEWLINES, "a\nb"),
    CASE("CR always escaped", "250 OK\r\n", MXD_SAN_KEEP_NEWLINES, "250 OK\\x0D\n"),
    CASE("CRLF default", "250 OK\r\n", 0, "250 OK\\x0D\\x0A"),
    CASE("tab becomes space", "a\tb", 0, "a b"),
    CASE("VT FF escaped", "\x0B\x0C", MXD_SAN_KEEP_NEWLINES, "\\x0B\\x0C"),
};

#define NCASES ((int)(sizeof cases / sizeof cases[0]))

START_TEST(test_cases)
{
    const san_case *c = &cases[_i];
    char *out = mxd_sanitize(c->in, c->len, c->flags, 0);
    ck_assert_ptr_nonnull(out);
    ck_assert_msg(strcmp(out, c->want) == 0, "%s: got \"%s\", want \"%s\"", c->name, out, c->want);
    /* mxd_is_clean agrees with what sanitising does */
    bool unchanged = strlen(c->want) == c->len && memcmp(c->want, c->in, c->len) == 0;
    ck_assert_msg(mxd_is_clean(c->in, c->len, c->flags) == unchanged, "%s: mxd_is_clean", c->name);
    /* sanitised text is clean, and sanitising it again changes nothing */
    ck_assert(mxd_is_clean(out, strlen(out), c->flags));
    free(out);
}
END_TEST

START_TEST(test_null_and_str)
{
    char *s = mxd_sanitize_str(NULL);
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(s, "");
    free(s);
    s = mxd_sanitize_str("220 mx\x1B[2J");
    ck_assert_str_eq(s, "220 mx\\x1B[2J");
    free(s);
    s = mxd_sanitize(NULL, 0, 0, 0);
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(s, "");
    free(s);
}
END_TEST

START_TEST(test_is_clean)
{
    ck_assert(mxd_is_clean("example.com", 11, 0));
    ck_assert(mxd_is_clean("例え.jp", strlen("例え.jp"), 0));
    ck_assert(mxd_is_clean("", 0, 0));
    ck_assert(!mxd_is_clean("a\nb", 3, 0));
    ck_assert(mxd_is_clean("a\nb", 3, MXD_SAN_KEEP_NEWLINES));
    ck_assert(!mxd_is_clean("a\r\nb", 4, MXD_SAN_KEEP_NEWLINES));
    ck_assert(!mxd_is_clean("a\tb", 3, 0));
    ck_assert(!mxd_is_clean("a\0b", 3, 0)); /* the NUL is within len */
    ck_assert(mxd_is_clean("a\0b", 1, 0));  /* ...or not */
    ck_assert(!mxd_is_clean("\x1B[2J", 4, 0));
    ck_assert(!mxd_is_clean("\xC2\x9B", 2, 0));
    ck_assert(!mxd_is_clean("\xE2\x80\xAE", 3, 0));
    ck_assert(!mxd_is_clean("\xC0\xAF", 2, 0));
    ck_assert(!mxd_is_clean("\xE3\x81", 2, 0)); /* cut sequence */
}
END_TEST

/* ---- max_out ---------------------------------------------------------- */

static const char jp[] = "日本語のテキストです"; /* ten characters of three bytes each */

START_TEST(test_cap_japanese)
{
    char *s = mxd_sanitize(jp, strlen(jp), 0, 10);
    ck_assert_str_eq(s, "日本" ELLIPSIS); /* 6 + 3 bytes: a third character would not fit */
    free(s);
    s = mxd_sanitize(jp, strlen(jp), 0, 12);
    ck_assert_str_eq(s, "日本語" ELLIPSIS);
    free(s);
    s = mxd_sanitize(jp, strlen(jp), 0, strlen(jp)); /* fits exactly: nothing cut */
    ck_assert_str_eq(s, jp);
    free(s);
    s = mxd_sanitize(jp, strlen(jp), 0, strlen(jp) - 1); /* 29: 27 + 3 would not fit */
    ck_assert_str_eq(s, "日本語のテキスト" ELLIPSIS);
    free(s);
    s = mxd_sanitize(jp, strlen(jp), 0, 3);
    ck_assert_str_eq(s, ELLIPSIS);
    free(s);
    s = mxd_sanitize(jp, strlen(jp), 0, 0); /* 0: no cap */
    ck_assert_str_eq(s, jp);
    free(s);
}
END_TEST

/* Strict UTF-8 check written independently of sanitize.c (Unicode Table 3-7). */
static bool valid_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t k;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            k = 1;
        } else if (c == 0xE0) {
            k = 2;
            lo = 0xA0;
        } else if (c == 0xED) {
            k = 2;
            hi = 0x9F;
        } else if (c >= 0xE1 && c <= 0xEF) {
            k = 2;
        } else if (c == 0xF0) {
            k = 3;
            lo = 0x90;
        } else if (c >= 0xF1 && c <= 0xF3) {
            k = 3;
        } else if (c == 0xF4) {
            k = 3;
            hi = 0x8F;
        } else {
            return false;
        }
        if (i + k >= n) /* the k continuation bytes are not all there */
            return false;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t j = 2; j <= k; j++)
            if (s[i + j] < 0x80 || s[i + j] > 0xBF)
                return false;
        i += k + 1;
    }
    return true;
}

/* No control characters and no bidi controls may survive. */
static void assert_safe(const char *out, unsigned flags, const char *ctx)
{
    const unsigned char *u = (const unsigned char *)out;
    size_t n = strlen(out);
    ck_assert_msg(valid_utf8(u, n), "%s: invalid UTF-8 out", ctx);
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(u[i] >= 0x20 || (u[i] == '\n' && (flags & MXD_SAN_KEEP_NEWLINES)),
                      "%s: byte 0x%02X at %zu", ctx, u[i], i);
        ck_assert_msg(u[i] != 0x7F, "%s: DEL at %zu", ctx, i);
        /* C1 as UTF-8: C2 80..C2 9F */
        ck_assert_msg(!(u[i] == 0xC2 && i + 1 < n && u[i + 1] >= 0x80 && u[i + 1] <= 0x9F), "%s: C1 at %zu",
                      ctx, i);
        /* U+202A..U+202E (E2 80 AA..AE), U+2066..U+2069 (E2 81 A6..A9) */
        if (u[i] == 0xE2 && i + 2 < n) {
            ck_assert_msg(!(u[i + 1] == 0x80 && u[i + 2] >= 0xAA && u[i + 2] <= 0xAE), "%s: bidi at %zu", ctx, i);
            ck_assert_msg(!(u[i + 1] == 0x81 && u[i + 2] >= 0xA6 && u[i + 2] <= 0xA9), "%s: bidi at %zu", ctx, i);
        }
    }
}

/* For every cap from 3 up: within the cap, whole characters, "…" when cut, and
 * what is kept is a prefix of the uncut output. */
START_TEST(test_cap_property)
{
    static const char *const inputs[] = {
        "日本語のテキストです",
        "mx1.example.com は応答しません",
        "\x1B[2J\x1B]52;c;AAAA\x07",
        "\xF0\x9F\x98\x80\xF0\x9F\x98\x81\xF0\x9F\x98\x82 emoji",
        "a\xE2\x80\xAE" "bc\xC0\xAF" "d",
    };
    for (size_t k = 0; k < sizeof inputs / sizeof inputs[0]; k++) {
        const char *in = inputs[k];
        char *full = mxd_sanitize(in, strlen(in), 0, 0);
        size_t fn = strlen(full);
        for (size_t cap = 3; cap <= fn + 2; cap++) {
            char *s = mxd_sanitize(in, strlen(in), 0, cap);
            size_t n = strlen(s);
            ck_assert_msg(n <= cap, "input %zu cap %zu: %zu bytes", k, cap, n);
            assert_safe(s, 0, "cap");
            if (fn <= cap) {
                ck_assert_str_eq(s, full);
            } else {
                ck_assert_msg(n >= 3 && strcmp(s + n - 3, ELLIPSIS) == 0, "input %zu cap %zu: \"%s\"", k, cap, s);
                ck_assert_msg(memcmp(s, full, n - 3) == 0, "input %zu cap %zu: not a prefix", k, cap);
                /* no more dropped than needed: at most one unit (the longest, "<U+202E>",
                 * is 8 bytes) beyond the room for the ellipsis */
                ck_assert_msg(n + 8 > cap, "input %zu cap %zu: cut too much (\"%s\")", k, cap, s);
            }
            free(s);
        }
        free(full);
    }
}
END_TEST

/* ---- pseudo-random bytes ------------------------------------------------ */

static uint32_t rng_state;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

START_TEST(test_random_bytes)
{
    /* Fragments that random bytes rarely produce on their own. */
    static const char *const frag[] = {
        "\x1B[", "\x1B]52;c;", "\x07", "\xC2\x9B", "\xC2\x85", "\xE2\x80\xAE", "\xE2\x81\xA6", "\xED\xA0\x80",
        "\xF4\x90\x80\x80", "\xC0\xAF", "日本", "\xF0\x9F\x98\x80", "\n", "\r", "\t", "\\x",
    };
    unsigned char buf[96];
    rng_state = 0x5a17u;
    for (int iter = 0; iter < 4000; iter++) {
        size_t n = rng() % sizeof buf;
        for (size_t i = 0; i < n;) {
            if (rng() % 4 == 0) {
                const char *f = frag[rng() % (sizeof frag / sizeof frag[0])];
                size_t fl = strlen(f);
                if (i + fl > n)
                    fl = n - i;
                memcpy(buf + i, f, fl);
                i += fl;
            } else {
                buf[i++] = (unsigned char)rng();
            }
        }
        unsigned flags = (iter & 1) ? MXD_SAN_KEEP_NEWLINES : 0;
        size_t cap = (iter % 3 == 0) ? 3 + rng() % 60 : 0;
        char *out = mxd_sanitize(buf, n, flags, cap);
        ck_assert_ptr_nonnull(out);
        assert_safe(out, flags, "random");
        if (cap)
            ck_assert_uint_le(strlen(out), cap);
        else
            /* sanitising is idempotent, so the output is clean */
            ck_assert(mxd_is_clean(out, strlen(out), flags));
        free(out);
    }
}
END_TEST

/* Bug 1: max_out of 1 or 2 returns "…" (3 bytes), over the cap that sanitize.h
 * promises ("max_out > 0 caps the output in bytes"). */
START_TEST(test_bug_tiny_cap)
{
    for (size_t cap = 1; cap <= 2; cap++) {
        char *s = mxd_sanitize("abcdef", 6, 0, cap);
        ck_assert_msg(strlen(s) <= cap, "cap %zu gave \"%s\" (%zu bytes)", cap, s, strlen(s));
        free(s);
    }
}
END_TEST

/* Bug 2: when making room for "…", the cut walks back byte by byte into an
 * escape that was already written, leaving half of it: three ESC bytes with
 * max_out 6 give "\x1…", and "ab<U+202E>c" with max_out 10 gives "ab<U+20…",
 * so the reader no longer sees which byte or code point the server sent. The
 * drop should be whole units (the escape or the character), not bytes. */
START_TEST(test_bug_half_escape)
{
    char *s = mxd_sanitize("\x1B\x1B\x1B", 3, 0, 6);
    ck_assert_str_eq(s, ELLIPSIS); /* "\x1B" + "…" is 7 bytes: only "…" fits */
    free(s);
    s = mxd_sanitize("ab\xE2\x80\xAE" "c", 6, 0, 10);
    ck_assert_str_eq(s, "ab" ELLIPSIS);
    free(s);
}
END_TEST

static Suite *sanitize_suite(void)
{
    Suite *s = suite_create("sanitize");
    TCase *tc = tcase_create("cases");
    tcase_add_loop_test(tc, test_cases, 0, NCASES);
    tcase_add_test(tc, test_null_and_str);
    tcase_add_test(tc, test_is_clean);
    suite_add_tcase(s, tc);

    TCase *cap = tcase_create("max_out");
    tcase_add_test(cap, test_cap_japanese);
    tcase_add_test(cap, test_cap_property);
    suite_add_tcase(s, cap);

    TCase *rnd = tcase_create("random");
    tcase_add_test(rnd, test_random_bytes);
    tcase_set_timeout(rnd, 120);
    suite_add_tcase(s, rnd);

    TCase *bugs = tcase_create("regressions");
    tcase_add_test(bugs, test_bug_tiny_cap);
    tcase_add_test(bugs, test_bug_half_escape);
    suite_add_tcase(s, bugs);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sanitize_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
