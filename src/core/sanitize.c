/* sanitize.c — untrusted bytes to safe, visible UTF-8 (see sanitize.h).
 *
 * Decodes UTF-8 strictly with mxd_utf8_decode() (no overlongs, no surrogates,
 * nothing above U+10FFFF); each byte of an invalid sequence becomes \xNN.
 * Controls become \xNN (C0, DEL) or <U+0085> (C1); bidi controls become
 * <U+202E> and friends, because a right-to-left override can make
 * "evil.example" read as something else.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxd/sanitize.h"
#include "mxd/strbuf.h"
#include "mxd/utf8.h"

static bool is_bidi_control(uint32_t cp)
{
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
           cp == 0x200E || cp == 0x200F || cp == 0x061C;
}

/* Other invisible or layout-breaking code points worth making visible. */
static bool is_invisible(uint32_t cp)
{
    return cp == 0x00AD || (cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || cp == 0x2028 ||
           cp == 0x2029 || cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFB) ||
           (cp >= 0xE0000 && cp <= 0xE007F); /* tag characters */
}

/* Appends the safe form of one unit; returns bytes consumed from s. */
static size_t sanitize_one(mxd_sb *out, const uint8_t *s, size_t n, unsigned flags)
{
    uint32_t cp;
    size_t len = mxd_utf8_decode(s, n, &cp);
    char esc[16];
    if (len == 0) {
        snprintf(esc, sizeof esc, "\\x%02X", s[0]);
        mxd_sb_puts(out, esc);
        return 1;
    }
    if (cp == '\n' && (flags & MXD_SAN_KEEP_NEWLINES)) {
        mxd_sb_putc(out, '\n');
    } else if (cp == '\t') {
        mxd_sb_putc(out, ' ');
    } else if (cp < 0x20 || cp == 0x7F) {
        snprintf(esc, sizeof esc, "\\x%02X", (unsigned)cp);
        mxd_sb_puts(out, esc);
    } else if ((cp >= 0x80 && cp <= 0x9F) || is_bidi_control(cp) || is_invisible(cp)) {
        snprintf(esc, sizeof esc, "<U+%04X>", (unsigned)cp);
        mxd_sb_puts(out, esc);
    } else {
        mxd_sb_append(out, s, len);
    }
    return len;
}

char *mxd_sanitize(const void *bytes, size_t len, unsigned flags, size_t max_out)
{
    static const char ellipsis[] = "\xE2\x80\xA6";
    const uint8_t *s = bytes;
    mxd_sb out = MXD_SB_INIT;
    /* Where each output unit (a character or a whole escape) starts, so a cut
     * never leaves half of "\x1B" or "<U+202E>" behind. Only kept when capping. */
    size_t *starts = NULL, nstarts = 0, capstarts = 0;
    size_t i = 0;
    bool cut = false;
    while (i < len) {
        size_t before = out.len;
        i += sanitize_one(&out, s + i, len - i, flags);
        if (!max_out)
            continue;
        if (out.len > max_out) {
            out.len = before;
            cut = true;
            break;
        }
        if (nstarts == capstarts) {
            size_t nc = capstarts ? capstarts * 2 : 64;
            size_t *ns = realloc(starts, nc * sizeof *ns);
            if (!ns) {
                free(starts);
                mxd_sb_free(&out);
                return NULL;
            }
            starts = ns;
            capstarts = nc;
        }
        starts[nstarts++] = before;
    }
    if (cut) {
        while (nstarts > 0 && out.len + sizeof ellipsis - 1 > max_out)
            out.len = starts[--nstarts];
        if (out.buf)
            out.buf[out.len] = '\0';
        if (out.len + sizeof ellipsis - 1 <= max_out)
            mxd_sb_puts(&out, ellipsis);
    }
    free(starts);
    return mxd_sb_take(&out);
}

char *mxd_sanitize_str(const char *s)
{
    return s ? mxd_sanitize(s, strlen(s), 0, 0) : calloc(1, 1);
}

void mxd_sanitize_into_n(char *dst, size_t cap, const void *src, size_t len)
{
    char *c = mxd_sanitize(src, len, 0, cap - 1);
    snprintf(dst, cap, "%s", c ? c : "");
    free(c);
}

void mxd_sanitize_into(char *dst, size_t cap, const char *src)
{
    mxd_sanitize_into_n(dst, cap, src ? src : "", src ? strlen(src) : 0);
}

bool mxd_is_clean(const void *s, size_t len, unsigned flags)
{
    char *t = mxd_sanitize(s, len, flags, 0);
    bool same = t && strlen(t) == len && memcmp(t, s, len) == 0;
    free(t);
    return same;
}
