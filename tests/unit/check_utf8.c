/* check_utf8.c — unit tests for the shared strict UTF-8 decoder (src/core/utf8.c).
 *
 * The sanitiser, the JSON writer and the catalog parser all trust this one
 * function, so it is tested three ways: hand-picked byte arrays at every
 * boundary (each with its decoded meaning beside it), an exhaustive comparison
 * with libunistring's u8_mbtoucr() (an independent strict decoder) over every
 * 1-, 2- and 3-byte input and a large grid of 4-byte ones, and a round trip of
 * every Unicode scalar value, truncated at every length, placed at the very end
 * of a heap block so that AddressSanitizer or valgrind see any read past n.
 */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unistr.h>

#include "mxd/utf8.h"

typedef struct {
    const char *name;
    const char *in;
    size_t n;      /* bytes of in offered to the decoder */
    size_t want;   /* expected length; 0: invalid */
    uint32_t cp;   /* expected code point when want > 0 */
} utf8_case;

#define OK(name, lit, len, cp) { name, lit, sizeof(lit) - 1, len, cp }
#define BAD(name, lit) { name, lit, sizeof(lit) - 1, 0, 0 }

static const utf8_case cases[] = {
    /* valid: the first and last code point of each length, and their neighbours */
    { "NUL", "\x00", 1, 1, 0x0000 },
    OK("A", "A", 1, 0x41),
    OK("DEL", "\x7F", 1, 0x7F),
    OK("only the first of several", "AB", 1, 0x41),
    OK("U+0080, first 2-byte", "\xC2\x80", 2, 0x80),
    OK("U+07FF, last 2-byte", "\xDF\xBF", 2, 0x7FF),
    OK("U+0800, first 3-byte", "\xE0\xA0\x80", 3, 0x800),
    OK("U+30E1 katakana me", "\xE3\x83\xA1", 3, 0x30E1),
    OK("U+D7FF, below the surrogates", "\xED\x9F\xBF", 3, 0xD7FF),
    OK("U+E000, above the surrogates", "\xEE\x80\x80", 3, 0xE000),
    OK("U+202E, bidi override (valid; callers decide)", "\xE2\x80\xAE", 3, 0x202E),
    OK("U+FFFF, last 3-byte", "\xEF\xBF\xBF", 3, 0xFFFF),
    OK("U+10000, first 4-byte", "\xF0\x90\x80\x80", 4, 0x10000),
    OK("U+1F600 emoji", "\xF0\x9F\x98\x80", 4, 0x1F600),
    OK("U+10FFFF, last code point", "\xF4\x8F\xBF\xBF", 4, 0x10FFFF),

    /* invalid: stray continuation bytes and lead bytes that can never start text */
    BAD("lone continuation 80", "\x80"),
    BAD("lone continuation BF", "\xBF"),
    BAD("C0 80, overlong NUL", "\xC0\x80"),
    BAD("C1 BF, overlong DEL", "\xC1\xBF"),
    BAD("F5 lead, past U+10FFFF", "\xF5\x80\x80\x80"),
    BAD("F8, 5-byte form", "\xF8\x88\x80\x80\x80"),
    BAD("FE", "\xFE"),
    BAD("FF", "\xFF"),
    /* overlong 3- and 4-byte forms, such as '/' hidden as E0 80 AF */
    BAD("E0 80 AF, overlong '/'", "\xE0\x80\xAF"),
    BAD("E0 9F BF, overlong U+07FF", "\xE0\x9F\xBF"),
    BAD("F0 80 80 AF, overlong '/'", "\xF0\x80\x80\xAF"),
    BAD("F0 8F BF BF, overlong U+FFFF", "\xF0\x8F\xBF\xBF"),
    /* UTF-16 surrogates encoded as UTF-8 (CESU-8) */
    BAD("ED A0 80, U+D800", "\xED\xA0\x80"),
    BAD("ED BF BF, U+DFFF", "\xED\xBF\xBF"),
    BAD("surrogate pair for U+1F600", "\xED\xA0\xBD\xED\xB8\x80"),
    /* past the end of Unicode */
    BAD("F4 90 80 80, U+110000", "\xF4\x90\x80\x80"),
    BAD("F7 BF BF BF, U+1FFFFF", "\xF7\xBF\xBF\xBF"),
    /* a continuation byte missing or replaced */
    BAD("C3 then '(', not a continuation", "\xC3\x28"),
    BAD("E3 ( A1", "\xE3\x28\xA1"),
    BAD("E3 83 (", "\xE3\x83\x28"),
    BAD("F0 9F 98 (", "\xF0\x9F\x98\x28"),
    BAD("E3 83 then a new lead byte", "\xE3\x83\xE3\x83\xA1"),
    /* truncated: the bytes that would complete it are not offered */
    BAD("C3, 1 of 2", "\xC3"),
    BAD("E3 83, 2 of 3", "\xE3\x83"),
    BAD("F0 9F 98, 3 of 4", "\xF0\x9F\x98"),
    { "valid bytes beyond n do not count", "\xE3\x83\xA1", 2, 0, 0 },
    { "n == 0", "A", 0, 0, 0 },
};

#define NCASES (sizeof cases / sizeof cases[0])

START_TEST(test_cases)
{
    const utf8_case *c = &cases[_i];
    const uint32_t untouched = 0xDEADBEEF;
    uint32_t cp = untouched;
    size_t got = mxd_utf8_decode((const uint8_t *)c->in, c->n, &cp);
    ck_assert_msg(got == c->want, "%s: length %zu, want %zu", c->name, got, c->want);
    if (c->want)
        ck_assert_msg(cp == c->cp, "%s: U+%04X, want U+%04X", c->name, (unsigned)cp, (unsigned)c->cp);
    else
        ck_assert_msg(cp == untouched, "%s: *cp changed on failure", c->name);
}
END_TEST

/* Our answer must equal libunistring's: its length when it decodes, 0 when it
 * reports invalid (-1) or incomplete (-2). Millions of inputs are compared, so a
 * mismatch aborts with ck_abort_msg(): Check's ck_assert marks a point per call,
 * which would cost a write per input. */
static void agree(const uint8_t *s, size_t n)
{
    uint32_t cp = 0;
    ucs4_t want_cp = 0;
    int want = u8_mbtoucr(&want_cp, s, n);
    size_t got = mxd_utf8_decode(s, n, &cp);
    bool same = want > 0 ? got == (size_t)want && cp == want_cp : got == 0;
    if (!same)
        ck_abort_msg("%02X %02X %02X %02X (n=%zu): got %zu U+%04X, want %d U+%04X", s[0],
                     n > 1 ? s[1] : 0, n > 2 ? s[2] : 0, n > 3 ? s[3] : 0, n, got, (unsigned)cp,
                     want, (unsigned)want_cp);
}

START_TEST(test_oracle_short)
{
    uint8_t s[3];
    for (unsigned a = 0; a < 256; a++) {
        s[0] = (uint8_t)a;
        agree(s, 1);
        for (unsigned b = 0; b < 256; b++) {
            s[1] = (uint8_t)b;
            agree(s, 2);
            if (a < 0xE0 || a > 0xEF)
                continue; /* 3-byte leads only; F0..FF have a test of their own */
            for (unsigned c = 0; c < 256; c++) {
                s[2] = (uint8_t)c;
                agree(s, 3);
            }
        }
    }
}
END_TEST

START_TEST(test_oracle_four)
{
    /* every second byte; for the last two, the values at each boundary */
    static const uint8_t edge[] = { 0x00, 0x3F, 0x7F, 0x80, 0x8F, 0x90,
                                    0x9F, 0xA0, 0xBF, 0xC0, 0xF4, 0xFF };
    uint8_t s[4];
    for (unsigned a = 0xF0; a < 256; a++)
        for (unsigned b = 0; b < 256; b++)
            for (size_t c = 0; c < sizeof edge; c++)
                for (size_t d = 0; d < sizeof edge; d++) {
                    s[0] = (uint8_t)a;
                    s[1] = (uint8_t)b;
                    s[2] = edge[c];
                    s[3] = edge[d];
                    agree(s, 4);
                }
}
END_TEST

START_TEST(test_round_trip)
{
    /* A heap block of exactly 4 bytes: a sequence of k bytes is written at its
     * end, so reading s[k] would be a heap overflow the sanitizers report. */
    uint8_t *block = malloc(4);
    ck_assert_ptr_nonnull(block);
    for (uint32_t u = 0; u <= 0x10FFFF; u++) {
        if (u >= 0xD800 && u <= 0xDFFF)
            continue;
        uint8_t enc[4];
        int len = u8_uctomb(enc, u, sizeof enc);
        size_t want = u < 0x80 ? 1 : u < 0x800 ? 2 : u < 0x10000 ? 3 : 4;
        if (len < 0 || (size_t)len != want)
            ck_abort_msg("U+%04X: u8_uctomb gave %d bytes, want %zu", (unsigned)u, len, want);
        for (size_t k = 1; k <= want; k++) {
            uint8_t *s = block + 4 - k;
            memcpy(s, enc, k);
            uint32_t cp = 0xDEADBEEF;
            size_t got = mxd_utf8_decode(s, k, &cp);
            bool ok = k == want ? got == want && cp == u : got == 0 && cp == 0xDEADBEEF;
            if (!ok)
                ck_abort_msg("U+%04X offered as %zu of its %zu bytes: got %zu U+%04X",
                             (unsigned)u, k, want, got, (unsigned)cp);
        }
    }
    free(block);
}
END_TEST

static Suite *utf8_suite(void)
{
    Suite *s = suite_create("utf8");
    TCase *tc = tcase_create("cases");
    tcase_add_loop_test(tc, test_cases, 0, NCASES);
    suite_add_tcase(s, tc);

    TCase *ex = tcase_create("exhaustive");
    tcase_add_test(ex, test_oracle_short);
    tcase_add_test(ex, test_oracle_four);
    tcase_add_test(ex, test_round_trip);
    tcase_set_timeout(ex, 120); /* seconds under valgrind; well under one natively */
    suite_add_tcase(s, ex);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(utf8_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
