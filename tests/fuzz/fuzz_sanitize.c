/* fuzz_sanitize.c — the sanitiser every piece of remote text passes through.
 *
 * Input layout: one byte of options (keep newlines; an output cap from a small
 * table), then the bytes. Properties from sanitize.h, checked with a UTF-8
 * decoder of this file's own (fuzz.h), not the one under test:
 *   - the output is valid UTF-8 with no C0 control (but '\n' when asked), no
 *     DEL, no C1, no bidirectional control, and no invisible character that
 *     sanitize.c promises to show as <U+XXXX>;
 *   - it never exceeds the cap, and ends in "…" when something was cut and
 *     the cap leaves room for it;
 *   - text that is already clean comes back unchanged (mxd_is_clean agrees),
 *     and sanitising the output again changes nothing (uncapped).
 */
#include "fuzz.h"

#include "mxd/sanitize.h"

static bool invisible(uint32_t cp)
{
    return cp == 0x00AD || (cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || cp == 0x2028 ||
           cp == 0x2029 || cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFB) ||
           (cp >= 0xE0000 && cp <= 0xE007F);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = { data, size };
    uint8_t opt = fuzz_byte(&in);
    unsigned flags = (opt & 1) ? MXD_SAN_KEEP_NEWLINES : 0;
    static const size_t caps[8] = { 0, 1, 2, 3, 4, 7, 16, 100 };
    size_t cap = caps[(opt >> 1) & 7];
    char *bytes = fuzz_dup(in.p, in.n);

    char *out = mxd_sanitize(bytes, in.n, flags, cap);
    FUZZ_ASSERT(out != NULL);
    size_t ol = strlen(out);
    FUZZ_ASSERT(fuzz_text_safe(out, ol, flags != 0));
    for (size_t i = 0; i < ol;) {
        uint32_t cp;
        size_t l = fuzz_utf8((const uint8_t *)out + i, ol - i, &cp);
        FUZZ_ASSERT(l > 0 && !invisible(cp) && cp != '\t');
        i += l;
    }
    if (cap)
        FUZZ_ASSERT(ol <= cap);

    char *full = mxd_sanitize(bytes, in.n, flags, 0);
    FUZZ_ASSERT(full != NULL);
    size_t fl = strlen(full);
    if (cap) {
        if (fl <= cap) {
            FUZZ_ASSERT(strcmp(out, full) == 0); /* nothing to cut */
        } else {
            /* Cut: a prefix of the whole result, then the ellipsis if it fits. */
            static const char ell[] = "\xE2\x80\xA6";
            bool has_ell = ol >= 3 && memcmp(out + ol - 3, ell, 3) == 0;
            size_t keep = has_ell ? ol - 3 : ol;
            FUZZ_ASSERT(memcmp(out, full, keep) == 0);
            if (cap >= 3)
                FUZZ_ASSERT(has_ell);
        }
    }
    bool clean = mxd_is_clean(bytes, in.n, flags);
    FUZZ_ASSERT(clean == (fl == in.n && memcmp(full, bytes, in.n) == 0));
    if (clean)
        FUZZ_ASSERT(fuzz_text_safe(bytes, in.n, flags != 0));
    char *again = mxd_sanitize(full, fl, flags, 0);
    FUZZ_ASSERT(again != NULL && strcmp(again, full) == 0);
    FUZZ_ASSERT(mxd_is_clean(full, fl, flags));

    free(again);
    free(full);
    free(out);
    free(bytes);
    return 0;
}
