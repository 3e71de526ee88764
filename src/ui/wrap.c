/* wrap.c — wrapping UTF-8 text by display width, with Japanese line-breaking rules.
 *
 * libunistring gives the UAX #14 break opportunities; UAX #14 alone allows a
 * break between any two ideographs, including before 。 or a small っ, which
 * Japanese typesetting (JIS X 4051 kinsoku) forbids, so the opportunities are
 * narrowed here. The filling itself is greedy: the wizard redraws on every
 * resize, and greedy lines are what a reader expects in a terminal.
 */
#include <stdlib.h>
#include <string.h>
#include <unilbrk.h>
#include <unistr.h>
#include <uniwidth.h>

#include "mxd/ui.h"

/* Characters a line may not start with (行頭禁則): closing brackets and quotes,
 * Japanese and full-width punctuation, small kana, iteration marks, the
 * prolonged sound mark and wave dashes. ASCII is left to UAX #14. */
static bool no_line_start(uint32_t c)
{
    static const uint32_t set[] = {
        0x3001, 0x3002, 0xFF0C, 0xFF0E, 0xFF09, 0xFF3D, 0xFF5D, 0x300D, 0x300F, 0x3011,
        0x3015, 0x3009, 0x300B, 0x3019, 0x3017, 0x301F, 0x2019, 0x201D, 0xFF60, 0x00BB,
        0x309D, 0x309E, 0x30FC, 0x30FD, 0x30FE, 0x3005, 0x303B, 0x2010, 0x30A0, 0x2013,
        0x301C, 0xFF5E, 0xFF1F, 0xFF01, 0x203C, 0x2047, 0x2048, 0x2049, 0x30FB, 0xFF1A,
        0xFF1B, 0xFF65, 0xFF61, 0xFF64, 0xFF63, 0xFF70,
    };
    /* small hiragana ぁぃぅぇぉっゃゅょゎゕゖ and katakana ァィゥェォッャュョヮヵヶ */
    switch (c) {
    case 0x3041: case 0x3043: case 0x3045: case 0x3047: case 0x3049: case 0x3063:
    case 0x3083: case 0x3085: case 0x3087: case 0x308E: case 0x3095: case 0x3096:
    case 0x30A1: case 0x30A3: case 0x30A5: case 0x30A7: case 0x30A9: case 0x30C3:
    case 0x30E3: case 0x30E5: case 0x30E7: case 0x30EE: case 0x30F5: case 0x30F6:
        return true;
    default:
        break;
    }
    if (c >= 0x31F0 && c <= 0x31FF) /* katakana phonetic extensions (small ㇰ…) */
        return true;
    for (size_t i = 0; i < sizeof set / sizeof set[0]; i++)
        if (set[i] == c)
            return true;
    return false;
}

/* Characters a line may not end with (行末禁則): opening brackets and quotes. */
static bool no_line_end(uint32_t c)
{
    static const uint32_t set[] = {
        0xFF08, 0xFF3B, 0xFF5B, 0x300C, 0x300E, 0x3010, 0x3014, 0x3008, 0x300A, 0x3018,
        0x3016, 0x301D, 0x2018, 0x201C, 0xFF5F, 0x00AB, 0xFF62,
    };
    for (size_t i = 0; i < sizeof set / sizeof set[0]; i++)
        if (set[i] == c)
            return true;
    return false;
}

/* Where a word too long for any line is best cut: after one of these. */
static bool soft_cut_after(uint32_t c)
{
    return c == '.' || c == '/' || c == '-' || c == '@' || c == '_' || c == ':' || c == '?' ||
           c == '&' || c == '=' || c == ',';
}

static bool ascii_alnum(uint32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool joins_next(uint32_t c)
{
    return c == '.' || c == '@' || c == ':' || c == '_';
}

static int char_width(uint32_t c)
{
    int w = uc_width(c, "UTF-8");
    return w < 0 ? 1 : w;
}

typedef struct wchar_info {
    size_t off;
    uint32_t cp;
    unsigned char len;
    unsigned char width;
    bool brk; /* a line may start at this character */
} wchar_info;

int mxd_text_width(const char *s, size_t len)
{
    const uint8_t *p = (const uint8_t *)s;
    int w = 0;
    size_t i = 0;
    while (i < len) {
        ucs4_t c;
        int l = u8_mbtouc(&c, p + i, len - i);
        w += char_width(c);
        i += (size_t)(l > 0 ? l : 1);
    }
    return w;
}

size_t mxd_text_fit(const char *s, size_t len, int cols, int *width)
{
    const uint8_t *p = (const uint8_t *)s;
    int w = 0;
    size_t i = 0;
    while (i < len) {
        ucs4_t c;
        int l = u8_mbtouc(&c, p + i, len - i);
        int cw = char_width(c);
        if (w + cw > cols)
            break;
        w += cw;
        i += (size_t)(l > 0 ? l : 1);
    }
    if (width)
        *width = w;
    return i;
}

/* Spaces that may hang past the edge and are dropped at a break. The
 * ideographic space is not one: in Japanese it is a visible indent. */
static bool is_space(uint32_t c)
{
    return c == ' ' || c == '\t';
}

/* Appends line [a, b) of ch[] (trailing spaces dropped). */
static bool emit(mxd_wline **v, size_t *n, size_t *cap, const wchar_info *ch, size_t a,
                 size_t b, size_t text_end)
{
    while (b > a && is_space(ch[b - 1].cp))
        b--;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        mxd_wline *nv = realloc(*v, nc * sizeof *nv);
        if (!nv)
            return false;
        *v = nv;
        *cap = nc;
    }
    int w = 0;
    for (size_t k = a; k < b; k++)
        w += ch[k].width;
    size_t off = a < b ? ch[a].off : (a < text_end ? ch[a].off : text_end);
    size_t end = b > a ? ch[b - 1].off + ch[b - 1].len : off;
    (*v)[*n] = (mxd_wline){ off, end - off, w };
    (*n)++;
    return true;
}

size_t mxd_wrap(const char *text, int cols, mxd_wline **out)
{
    *out = NULL;
    if (!text || !*text)
        return 0;
    if (cols < 1)
        cols = 1;
    size_t n = strlen(text);
    const uint8_t *s = (const uint8_t *)text;
    char *p = malloc(n);
    wchar_info *ch = malloc(n * sizeof *ch);
    if (!p || !ch) {
        free(p);
        free(ch);
        return 0;
    }
    u8_possible_linebreaks(s, n, "UTF-8", p);

    size_t nc = 0;
    for (size_t i = 0; i < n;) {
        ucs4_t c;
        int l = u8_mbtouc(&c, s + i, n - i);
        if (l < 1)
            l = 1;
        bool brk = p[i] == UC_BREAK_POSSIBLE || p[i] == UC_BREAK_HYPHENATION;
        if (no_line_start(c) || (nc > 0 && no_line_end(ch[nc - 1].cp)))
            brk = false;
        /* libunistring allows a break after '.' before a letter; names such
         * as example.com, user@example.jp and 127.0.0.1:25 stay whole while
         * they fit (UAX #14 LB29 in spirit). */
        if (nc > 0 && joins_next(ch[nc - 1].cp) && ascii_alnum(c))
            brk = false;
        ch[nc++] = (wchar_info){ i, c, (unsigned char)l, (unsigned char)char_width(c), brk };
        i += (size_t)l;
    }
    free(p);

    mxd_wline *v = NULL;
    size_t nl = 0, cap = 0;
    size_t ks = 0;          /* first character of the current line */
    bool continuation = false;
    while (ks < nc) {
        if (continuation)   /* a soft break never leaves spaces at a line's start */
            while (ks < nc && is_space(ch[ks].cp))
                ks++;
        if (ks >= nc)
            break;
        int w = 0;
        size_t best = 0;   /* 0: no break opportunity on this line yet */
        size_t k = ks, end = nc;
        bool newline = false;
        for (; k < nc; k++) {
            if (ch[k].cp == '\n') {
                end = k;
                newline = true;
                break;
            }
            if (k > ks && ch[k].brk)
                best = k;
            if (is_space(ch[k].cp)) {
                w += ch[k].width;  /* may hang past the edge: trimmed by emit() */
                continue;
            }
            if (w + ch[k].width > cols) {
                if (best > ks) {
                    end = best;
                } else {
                    /* Nothing to break at: cut by width, preferring just after a
                     * '.', '/', '-' … when that keeps the line at least half full. */
                    end = k;
                    int acc = 0;
                    size_t pref = 0;
                    for (size_t j = ks; j + 1 < k; j++) {
                        acc += ch[j].width;
                        if (soft_cut_after(ch[j].cp) && acc * 2 >= cols)
                            pref = j + 1;
                    }
                    if (pref > ks)
                        end = pref;
                    while (end > ks + 1 && no_line_start(ch[end].cp))
                        end--;
                    if (end == ks)
                        end = ks + 1; /* one character wider than the line */
                }
                break;
            }
            w += ch[k].width;
        }
        if (!emit(&v, &nl, &cap, ch, ks, end, n)) {
            free(v);
            free(ch);
            return 0;
        }
        if (newline) {
            ks = end + 1;
            continuation = false;
        } else {
            ks = end;
            continuation = true;
        }
    }
    free(ch);
    *out = v;
    return nl;
}
