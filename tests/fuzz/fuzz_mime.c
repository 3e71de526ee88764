/* fuzz_mime.c — the MIME reader of the bounce decoder (src/bounce/mime.c) on
 * any paste, and each of its decoders on the same bytes.
 *
 * Input layout: one byte of options (the output bound, a charset from the
 * list below), then the text. Properties from mime.h: mxd_mime_decode()
 * returns 0 with no text, or 1 with a NUL-terminated text of at most max_out
 * bytes and only the documented flags, and it never takes text without a
 * Content-Type, Content-Transfer-Encoding or MIME-Version field for MIME;
 * quoted-printable never grows, base64 gives at most 3 bytes for 4; decoded
 * header values hold no line break or tab; a converted charset (other than
 * the UTF-8 and ASCII labels, which are passed on as they are) is valid UTF-8;
 * the HTML reader's text is at most about twice its input.
 */
#include "fuzz.h"

#include "mxd/bounce.h"
#include "mxd/mime.h"
#include "mxd/strbuf.h"

static const char *const charsets[] = {
    "ISO-2022-JP", "Shift_JIS", "EUC-JP", "iso-8859-1", "windows-1252", "cp932",
    "ISO-2022-JP-2", "GB2312", "big5", "euc-kr", "koi8-r", "utf-16", "UTF-16LE",
    "iso-8859-15", "windows-1251", "x-unknown", "UTF-8", NULL,
};

static bool ci_has(const char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    for (size_t i = 0; i + m <= n; i++) {
        size_t k = 0;
        while (k < m && (s[i + k] | 0x20) == lit[k])
            k++;
        if (k == m)
            return true;
    }
    return false;
}

static bool utf8_valid(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = fuzz_utf8((const uint8_t *)s + i, n - i, &cp);
        if (k == 0)
            return false;
        i += k;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = { data, size };
    uint8_t opt = fuzz_byte(&in);
    static const size_t bounds[4] = { MXD_BOUNCE_MAX_INPUT, 4096, 64, 1 };
    size_t max_out = bounds[opt & 3];
    const char *cs = charsets[(opt >> 2) % (sizeof charsets / sizeof charsets[0])];
    char *text = fuzz_dup(in.p, in.n);
    size_t n = in.n;

    /* The whole message. */
    mxd_mime_text mt;
    int rc = mxd_mime_decode(text, n, max_out, &mt);
    FUZZ_ASSERT(rc == 0 || rc == 1 || rc == -1);
    if (rc != 1) {
        FUZZ_ASSERT(mt.text == NULL && mt.len == 0);
    } else {
        FUZZ_ASSERT(mt.text != NULL && mt.len <= max_out && mt.text[mt.len] == '\0');
        FUZZ_ASSERT((mt.flags & ~(unsigned)(MXD_MIME_TRUNCATED | MXD_MIME_UNCLOSED | MXD_MIME_TOO_DEEP |
                                            MXD_MIME_TOO_MANY | MXD_MIME_ORIGINAL)) == 0);
        FUZZ_ASSERT(mt.parts <= MXD_MIME_MAX_PARTS);
        FUZZ_ASSERT(ci_has(text, n, "content-type") || ci_has(text, n, "content-transfer-encoding") ||
                    ci_has(text, n, "mime-version"));
    }
    mxd_mime_text_free(&mt);

    /* Each decoder on the same bytes. */
    char *qp = malloc(n + 1);
    FUZZ_ASSERT(qp != NULL);
    FUZZ_ASSERT(mxd_qp_decode(text, n, qp) <= n);
    free(qp);
    unsigned char *b64 = malloc(n / 4 * 3 + 3);
    FUZZ_ASSERT(b64 != NULL);
    FUZZ_ASSERT(mxd_base64_decode(text, n, b64) <= n / 4 * 3 + 3);
    free(b64);

    mxd_sb out = MXD_SB_INIT;
    mxd_mime_header_decode(text, n < 8192 ? n : 8192, &out);
    FUZZ_ASSERT(mxd_sb_ok(&out));
    for (size_t i = 0; i < out.len; i++)
        FUZZ_ASSERT(out.buf[i] != '\n' && out.buf[i] != '\r' && out.buf[i] != '\t');
    mxd_sb_free(&out);

    bool known = mxd_charset_to_utf8(cs, text, n, &out);
    FUZZ_ASSERT(mxd_sb_ok(&out));
    bool passed_on = !cs || strcmp(cs, "UTF-8") == 0 || !known ||
                     (strncmp(cs, "ISO-2022-JP", 11) == 0 && !memchr(text, 0x1B, n) && !memchr(text, 0x0E, n));
    if (!passed_on && !utf8_valid(mxd_sb_str(&out), out.len)) {
        fprintf(stderr, "%s gave invalid UTF-8\n", cs);
        FUZZ_ASSERT(!"converted text is UTF-8");
    }
    mxd_sb_free(&out);

    mxd_html_to_text(text, n, &out);
    FUZZ_ASSERT(mxd_sb_ok(&out));
    FUZZ_ASSERT(out.len <= 2 * n + 2);
    mxd_sb_free(&out);

    free(text);
    return 0;
}
