/* mime.c — the readable text of a pasted MIME message (see mime.h).
 *
 * The input is untrusted, of any size and often damaged (cut short, re-wrapped
 * by a mail client, pasted from the middle), so everything works on byte
 * ranges with explicit lengths, nothing is required to be well formed, and
 * every loop moves forward: a multipart's body is scanned once for its
 * delimiters, each part once for its headers and once to decode it, so an
 * entity at depth d costs O(d) passes over its bytes, and d is bounded.
 *
 * Line ends may be CRLF, LF or a lone CR (what a terminal paste gives), here as
 * in the decoder that reads the result.
 */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

#include "mxd/mime.h"

#define MAX_BOUNDARY 200     /* RFC 2046 allows 70; some software writes more */
#define MAX_HEADER 4096      /* bytes of a From or Subject value decoded */
#define MAX_WORD 512         /* bytes of one encoded-word's text */
#define MAX_WORD_RUNS 128    /* charset conversions in one header value */
#define MAX_ALTERNATIVES 16  /* parts of a multipart/alternative compared */

/* ---- bytes ------------------------------------------------------------------- */

static bool is_wsp(unsigned char c) { return c == ' ' || c == '\t'; }
static bool is_eol(unsigned char c) { return c == '\n' || c == '\r'; }
static unsigned char lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = lower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* s[0..n) starts with lit (lower case), ignoring case. */
static bool ci_starts(const char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    if (n < m)
        return false;
    for (size_t i = 0; i < m; i++)
        if (lower((unsigned char)s[i]) != (unsigned char)lit[i])
            return false;
    return true;
}

static bool ci_eq(const char *s, size_t n, const char *lit)
{
    return n == strlen(lit) && ci_starts(s, n, lit);
}

/* lit (lower case, short) occurs in s[0..n), ignoring case. */
static bool ci_has(const char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    for (size_t i = 0; i + m <= n; i++)
        if (ci_starts(s + i, n - i, lit))
            return true;
    return false;
}

/* The line that starts at s[i] (i < e): its content ends at *le, before the
 * line break; returns where the next line starts (e at the end). */
static size_t line_at(const char *s, size_t i, size_t e, size_t *le)
{
    size_t j = i;
    while (j < e && !is_eol((unsigned char)s[j]))
        j++;
    *le = j;
    if (j < e && s[j] == '\r' && j + 1 < e && s[j + 1] == '\n')
        return j + 2;
    return j < e ? j + 1 : e;
}

static bool blank_line(const char *s, size_t b, size_t le)
{
    while (b < le && is_wsp((unsigned char)s[b]))
        b++;
    return b == le;
}

/* A header field's first line: a name of printable ASCII without ':' (at most
 * 76 bytes), then ':'. Sets *colon. */
static bool field_line(const char *s, size_t b, size_t le, size_t *colon)
{
    size_t i = b;
    while (i < le && i - b < 77 && (unsigned char)s[i] > 32 && (unsigned char)s[i] < 127 && s[i] != ':')
        i++;
    if (i == b || i >= le || s[i] != ':')
        return false;
    *colon = i;
    return true;
}

/* ---- quoted-printable and base64 ------------------------------------------------- */

size_t mxd_qp_decode(const char *in, size_t n, char *out)
{
    size_t o = 0, i = 0;
    while (i < n) {
        size_t le, next = line_at(in, i, n, &le);
        bool has_break = next > le;
        size_t e = le;
        while (e > i && is_wsp((unsigned char)in[e - 1]))
            e--; /* white space a transport added at the end of a line */
        bool soft = e > i && in[e - 1] == '=';
        if (soft)
            e--;
        for (size_t k = i; k < e; k++) {
            int hi, lo;
            if (in[k] == '=' && k + 2 < e && (hi = hexval((unsigned char)in[k + 1])) >= 0 &&
                (lo = hexval((unsigned char)in[k + 2])) >= 0) {
                out[o++] = (char)(hi << 4 | lo);
                k += 2;
            } else {
                out[o++] = in[k];
            }
        }
        if (has_break && !soft)
            out[o++] = '\n';
        i = next;
    }
    return o;
}

static signed char b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return (signed char)(c - 'A');
    if (c >= 'a' && c <= 'z')
        return (signed char)(c - 'a' + 26);
    if (c >= '0' && c <= '9')
        return (signed char)(c - '0' + 52);
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

size_t mxd_base64_decode(const char *in, size_t n, unsigned char *out)
{
    size_t o = 0;
    uint32_t acc = 0;
    int k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '=')
            break;
        signed char v = b64val(c);
        if (v < 0)
            continue;
        acc = acc << 6 | (uint32_t)v;
        if (++k == 4) {
            out[o++] = (unsigned char)(acc >> 16);
            out[o++] = (unsigned char)(acc >> 8);
            out[o++] = (unsigned char)acc;
            acc = 0;
            k = 0;
        }
    }
    if (k == 2) {
        out[o++] = (unsigned char)(acc >> 4);
    } else if (k == 3) {
        out[o++] = (unsigned char)(acc >> 10);
        out[o++] = (unsigned char)(acc >> 2);
    }
    return o;
}

/* ---- charsets ------------------------------------------------------------------- */

#define CS_UTF8 ""  /* no conversion */
#define CS_JIS "J"  /* ISO-2022-JP: rewritten to EUC-JP first (below) */

/* MIME labels (lower case) and the glibc iconv name that reads them. Only
 * these reach iconv_open(): a label from a stranger is never passed on. */
static const struct {
    const char *label, *iconv;
} charsets[] = {
    { "utf-8", CS_UTF8 }, { "utf8", CS_UTF8 }, { "us-ascii", CS_UTF8 }, { "ascii", CS_UTF8 },
    { "ansi_x3.4-1968", CS_UTF8 }, { "iso646-us", CS_UTF8 }, { "cp367", CS_UTF8 },
    { "iso-2022-jp", CS_JIS }, { "csiso2022jp", CS_JIS }, { "iso-2022-jp-2", CS_JIS },
    { "iso-2022-jp-3", CS_JIS },
    /* What is labelled Shift_JIS is Microsoft's CP932 in practice (NEC and IBM
     * extensions, ① and the like); CP932 reads plain Shift_JIS too. */
    { "shift_jis", "CP932" }, { "shift-jis", "CP932" }, { "sjis", "CP932" }, { "x-sjis", "CP932" },
    { "ms_kanji", "CP932" }, { "csshiftjis", "CP932" }, { "windows-31j", "CP932" },
    { "cp932", "CP932" }, { "x-ms-cp932", "CP932" },
    { "euc-jp", "EUC-JP-MS" }, { "x-euc-jp", "EUC-JP-MS" }, { "cseucpkdfmtjapanese", "EUC-JP-MS" },
    /* ISO-8859-1 as Windows-1252, as every mail reader does (WHATWG): the C1
     * range of a "Latin-1" message is curly quotes and dashes. */
    { "iso-8859-1", "WINDOWS-1252" }, { "iso_8859-1", "WINDOWS-1252" }, { "latin1", "WINDOWS-1252" },
    { "l1", "WINDOWS-1252" }, { "cp819", "WINDOWS-1252" }, { "windows-1252", "WINDOWS-1252" },
    { "cp1252", "WINDOWS-1252" }, { "x-cp1252", "WINDOWS-1252" },
    { "iso-8859-2", "ISO-8859-2" }, { "iso-8859-3", "ISO-8859-3" }, { "iso-8859-4", "ISO-8859-4" },
    { "iso-8859-5", "ISO-8859-5" }, { "iso-8859-6", "ISO-8859-6" }, { "iso-8859-7", "ISO-8859-7" },
    { "iso-8859-8", "ISO-8859-8" }, { "iso-8859-9", "ISO-8859-9" }, { "iso-8859-10", "ISO-8859-10" },
    { "iso-8859-13", "ISO-8859-13" }, { "iso-8859-14", "ISO-8859-14" },
    { "iso-8859-15", "ISO-8859-15" }, { "iso-8859-16", "ISO-8859-16" },
    { "windows-1250", "WINDOWS-1250" }, { "windows-1251", "WINDOWS-1251" },
    { "windows-1253", "WINDOWS-1253" }, { "windows-1254", "WINDOWS-1254" },
    { "windows-1255", "WINDOWS-1255" }, { "windows-1256", "WINDOWS-1256" },
    { "windows-1257", "WINDOWS-1257" }, { "windows-1258", "WINDOWS-1258" },
    { "koi8-r", "KOI8-R" }, { "koi8-u", "KOI8-U" },
    { "gb2312", "GB18030" }, { "gbk", "GB18030" }, { "gb18030", "GB18030" }, { "x-gbk", "GB18030" },
    { "big5", "BIG5-HKSCS" }, { "big5-hkscs", "BIG5-HKSCS" },
    { "euc-kr", "UHC" }, { "ks_c_5601-1987", "UHC" }, { "cp949", "UHC" },
    { "tis-620", "CP874" }, { "windows-874", "CP874" },
    { "utf-16", "UTF-16" }, { "utf-16le", "UTF-16LE" }, { "utf-16be", "UTF-16BE" },
};

/* The iconv name for a label (CS_UTF8 for none), or NULL when unknown. */
static const char *charset_name(const char *label)
{
    if (!label || !*label)
        return CS_UTF8;
    size_t n = strlen(label);
    for (size_t i = 0; i < sizeof charsets / sizeof charsets[0]; i++)
        if (ci_eq(label, n, charsets[i].label))
            return charsets[i].iconv;
    return NULL;
}

static void put_replacement(mxd_sb *out)
{
    mxd_sb_append(out, "\xEF\xBF\xBD", 3);
}

/* Converts with glibc's iconv; a byte the charset does not allow becomes
 * U+FFFD and reading goes on after it; a sequence cut at the end becomes one
 * U+FFFD. False when iconv cannot open the charset (nothing appended). */
static bool iconv_append(const char *name, const char *in, size_t n, mxd_sb *out)
{
    iconv_t cd = iconv_open("UTF-8", name);
    if (cd == (iconv_t)-1)
        return false;
    char buf[4096];
    char *ip = (char *)in; /* iconv's prototype; it does not write through it */
    size_t il = n;
    while (il > 0) {
        char *op = buf;
        size_t ol = sizeof buf;
        size_t r = iconv(cd, &ip, &il, &op, &ol);
        int err = errno;
        mxd_sb_append(out, buf, sizeof buf - ol);
        if (r != (size_t)-1 || err == E2BIG)
            continue;
        put_replacement(out);
        if (err != EILSEQ)
            break; /* EINVAL: the input ends inside a character */
        ip++;
        il--;
    }
    char *op = buf;
    size_t ol = sizeof buf;
    iconv(cd, NULL, NULL, &op, &ol);
    mxd_sb_append(out, buf, sizeof buf - ol);
    iconv_close(cd);
    return true;
}

/* ISO-2022-JP rewritten as EUC-JP, byte for byte: JIS X 0208 (ESC $ B, ESC $ @)
 * with bit 8 set, JIS X 0201 katakana (ESC ( I, SO/SI) after 0x8E, JIS X 0212
 * (ESC $ ( D) after 0x8F. glibc's ISO-2022-JP refuses the NEC row 13 (①, ㈱)
 * that Windows puts in "ISO-2022-JP" mail (CP50220); its EUC-JP-MS reads them.
 * What fits no set becomes 0xFF, which EUC-JP-MS refuses (U+FFFD). */
static void jis_to_euc(const unsigned char *in, size_t n, mxd_sb *out)
{
    enum { ASCII, KANJI, KANA, SUPP } m = ASCII, before_so = ASCII;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = in[i], e[3];
        size_t k = 0;
        if (c == 0x1B) {
            const unsigned char *p = in + i + 1;
            size_t r = n - i - 1;
            if (r >= 2 && p[0] == '(' && (p[1] == 'B' || p[1] == 'J' || p[1] == 'H')) {
                m = ASCII;
                i += 2;
            } else if (r >= 2 && p[0] == '(' && p[1] == 'I') {
                m = KANA;
                i += 2;
            } else if (r >= 2 && p[0] == '$' && (p[1] == '@' || p[1] == 'B')) {
                m = KANJI;
                i += 2;
            } else if (r >= 3 && p[0] == '$' && p[1] == '(' && (p[2] == '@' || p[2] == 'B')) {
                m = KANJI;
                i += 3;
            } else if (r >= 3 && p[0] == '$' && p[1] == '(' && p[2] == 'D') {
                m = SUPP;
                i += 3;
            } else if (r >= 2 && p[0] == '&' && p[1] == '@') {
                i += 2; /* JIS X 0208-1990's announcer; ESC $ B follows */
            } else {
                mxd_sb_putc(out, (char)c); /* unknown: left for the sanitiser to show */
            }
            continue;
        }
        if (c == 0x0E) {
            if (m != KANA)
                before_so = m;
            m = KANA;
            continue;
        }
        if (c == 0x0F) {
            if (m == KANA)
                m = before_so;
            continue;
        }
        if (c >= 0x80) {
            /* 8-bit katakana (old "8-bit JIS"); anything else does not belong. */
            if (c >= 0xA1 && c <= 0xDF) {
                e[k++] = 0x8E;
                e[k++] = c;
            } else {
                e[k++] = 0xFF;
            }
        } else if ((m == KANJI || m == SUPP) && c >= 0x21 && c <= 0x7E) {
            if (i + 1 < n && in[i + 1] >= 0x21 && in[i + 1] <= 0x7E) {
                if (m == SUPP)
                    e[k++] = 0x8F;
                e[k++] = c | 0x80;
                e[k++] = in[++i] | 0x80;
            } else {
                e[k++] = 0xFF; /* half a character */
            }
        } else if (m == KANA && c >= 0x21 && c <= 0x5F) {
            e[k++] = 0x8E;
            e[k++] = c | 0x80;
        } else {
            e[k++] = c; /* controls, line breaks, spaces: the same in every set */
        }
        mxd_sb_append(out, e, k);
    }
}

bool mxd_charset_to_utf8(const char *charset, const void *in, size_t n, mxd_sb *out)
{
    const char *name = charset_name(charset);
    if (n == 0)
        return name != NULL;
    bool done = false;
    if (name && strcmp(name, CS_JIS) == 0) {
        /* Without a single escape it is ASCII, or (mislabelled) UTF-8 or 8-bit
         * bytes: taken as they are. */
        if (!memchr(in, 0x1B, n) && !memchr(in, 0x0E, n)) {
            mxd_sb_append(out, in, n);
            return true;
        }
        mxd_sb euc = MXD_SB_INIT;
        jis_to_euc(in, n, &euc);
        if (!mxd_sb_ok(&euc))
            out->failed = true;
        else
            done = iconv_append("EUC-JP-MS", euc.buf ? euc.buf : "", euc.len, out);
        mxd_sb_free(&euc);
    } else if (name && *name) {
        done = iconv_append(name, in, n, out); /* false: iconv lacks the module */
    } else if (name) {
        mxd_sb_append(out, in, n); /* UTF-8 or ASCII already */
        return true;
    }
    if (!done)
        mxd_sb_append(out, in, n);
    return done;
}

/* ---- RFC 2047 encoded-words ------------------------------------------------------- */

/* Appends converted text with line breaks and tabs as spaces, so that a word
 * cannot start a line of its own in what the decoder reads. */
static void put_flat(mxd_sb *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        mxd_sb_putc(out, c == '\r' || c == '\n' || c == '\t' ? ' ' : c);
    }
}

typedef struct wordrun {
    char charset[48];
    mxd_sb bytes;
    size_t runs;
} wordrun;

static void run_flush(wordrun *r, mxd_sb *out)
{
    if (r->bytes.len == 0 && r->charset[0] == '\0')
        return;
    mxd_sb conv = MXD_SB_INIT;
    mxd_charset_to_utf8(r->charset, r->bytes.buf ? r->bytes.buf : "", r->bytes.len, &conv);
    put_flat(out, conv.buf ? conv.buf : "", conv.len);
    if (!mxd_sb_ok(&conv) || !mxd_sb_ok(&r->bytes))
        out->failed = true;
    mxd_sb_free(&conv);
    mxd_sb_clear(&r->bytes);
    r->charset[0] = '\0';
    r->runs++;
}

/* An encoded-word at s[i] ("=?charset?B|Q?text?="): on success appends its
 * bytes to the run (flushing the run first when the charset changes) and
 * returns the index after it; else returns i. */
static size_t encoded_word(const char *s, size_t n, size_t i, wordrun *r, mxd_sb *out)
{
    if (i + 2 > n || s[i] != '=' || s[i + 1] != '?')
        return i;
    size_t cs = i + 2, j = cs;
    while (j < n && j - cs < 40 && s[j] != '?' && !is_wsp((unsigned char)s[j]) && !is_eol((unsigned char)s[j]))
        j++;
    if (j == cs || j + 3 > n || s[j] != '?' || s[j + 2] != '?')
        return i;
    char enc = (char)lower((unsigned char)s[j + 1]);
    if (enc != 'b' && enc != 'q')
        return i;
    size_t t = j + 3, k = t;
    /* The text holds no '?' and no white space (RFC 2047 §5): it ends at "?=". */
    while (k < n && k - t <= MAX_WORD && s[k] != '?' && !is_wsp((unsigned char)s[k]) &&
           !is_eol((unsigned char)s[k]))
        k++;
    if (k + 1 >= n || s[k] != '?' || s[k + 1] != '=')
        return i;
    char name[48];
    size_t nl = j - cs;
    memcpy(name, s + cs, nl);
    name[nl] = '\0';
    char *star = strchr(name, '*'); /* RFC 2231 language: "UTF-8*ja" */
    if (star)
        *star = '\0';
    if (r->runs >= MAX_WORD_RUNS)
        return i; /* enough conversions for one header: the rest stays as it is */
    if (strcmp(r->charset, name) != 0) {
        run_flush(r, out);
        snprintf(r->charset, sizeof r->charset, "%s", name);
    }
    if (enc == 'b') {
        unsigned char buf[MAX_WORD / 4 * 3 + 4];
        mxd_sb_append(&r->bytes, buf, mxd_base64_decode(s + t, k - t, buf));
    } else {
        for (size_t q = t; q < k; q++) {
            int hi, lo;
            if (s[q] == '_') {
                mxd_sb_putc(&r->bytes, ' ');
            } else if (s[q] == '=' && q + 2 < k && (hi = hexval((unsigned char)s[q + 1])) >= 0 &&
                       (lo = hexval((unsigned char)s[q + 2])) >= 0) {
                mxd_sb_putc(&r->bytes, (char)(hi << 4 | lo));
                q += 2;
            } else {
                mxd_sb_putc(&r->bytes, s[q]);
            }
        }
    }
    return k + 2;
}

void mxd_mime_header_decode(const char *in, size_t n, mxd_sb *out)
{
    wordrun r;
    memset(&r, 0, sizeof r);
    size_t i = 0, gap = 0; /* gap: where the text since the last word began */
    bool after_word = false;
    while (i < n) {
        size_t next = in[i] == '=' ? encoded_word(in, n, i, &r, out) : i;
        if (next > i) {
            /* Only white space between two words: it goes (RFC 2047 §6.2). */
            gap = i = next;
            after_word = true;
            continue;
        }
        unsigned char c = (unsigned char)in[i];
        if (after_word && (is_wsp(c) || is_eol(c))) {
            i++;
            continue;
        }
        if (after_word || r.bytes.len)
            run_flush(&r, out);
        if (after_word && gap < i) {
            /* The white space was not between two words after all. */
            for (size_t k = gap; k < i; k++)
                if (!is_eol((unsigned char)in[k]))
                    mxd_sb_putc(out, in[k] == '\t' ? ' ' : in[k]);
        }
        after_word = false;
        if (!is_eol(c)) /* unfolding: the break goes, the blank after it stays */
            mxd_sb_putc(out, c == '\t' ? ' ' : (char)c);
        gap = ++i;
    }
    run_flush(&r, out);
    mxd_sb_free(&r.bytes);
}

/* ---- HTML ---------------------------------------------------------------------------- */

typedef struct html {
    mxd_sb *out;
    int nl;       /* line breaks at the end of out (0, 1, 2) */
    bool space;   /* a space is due before the next character */
    int pre;      /* inside <pre> */
} html;

static void h_break(html *h, int want)
{
    h->space = false;
    if (h->out->len == 0)
        return;
    while (h->nl < want) {
        mxd_sb_putc(h->out, '\n');
        h->nl++;
    }
}

static void h_char(html *h, const char *s, size_t n)
{
    if (h->space && h->nl == 0 && h->out->len > 0)
        mxd_sb_putc(h->out, ' ');
    h->space = false;
    mxd_sb_append(h->out, s, n);
    h->nl = 0;
}

static void h_text(html *h, unsigned char c)
{
    if (h->pre) {
        if (c == '\r')
            return;
        if (c == '\n') {
            mxd_sb_putc(h->out, '\n');
            h->nl = h->nl < 2 ? h->nl + 1 : 2;
            h->space = false;
            return;
        }
        char ch = (char)c;
        h_char(h, &ch, 1);
        return;
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
        h->space = true;
        return;
    }
    char ch = (char)c;
    h_char(h, &ch, 1);
}

static bool tag_in(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(name, list[i]) == 0)
            return true;
    return false;
}

/* Blocks that stand apart as paragraphs, and those that only start a line. */
static const char *const para_tags[] = { "p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
                                         "dl", "blockquote", "pre", "hr", "address", "fieldset",
                                         "figure", "section", "article", "header", "footer", "main",
                                         "nav", "aside", "form", "center" };
static const char *const line_tags[] = { "div", "tr", "li", "dt", "dd", "caption", "tbody", "thead",
                                         "tfoot", "option", "legend", "body", "html" };
static const char *const cell_tags[] = { "td", "th" };
static const char *const hidden_tags[] = { "script", "style", "title", "template", "xml" };

/* Entities worth knowing in a bounce; the rest stay as they are. */
static const struct {
    const char *name, *utf8;
} entities[] = {
    { "amp", "&" },       { "lt", "<" },         { "gt", ">" },         { "quot", "\"" },
    { "apos", "'" },      { "nbsp", " " },       { "ensp", " " },       { "emsp", " " },
    { "thinsp", " " },    { "shy", "" },         { "zwnj", "" },        { "zwj", "" },
    { "ndash", "\u2013" }, { "mdash", "\u2014" }, { "hellip", "\u2026" }, { "lsquo", "\u2018" },
    { "rsquo", "\u2019" }, { "ldquo", "\u201C" }, { "rdquo", "\u201D" }, { "laquo", "\u00AB" },
    { "raquo", "\u00BB" }, { "copy", "\u00A9" },  { "reg", "\u00AE" },   { "middot", "\u00B7" },
    { "bull", "\u2022" },  { "yen", "\u00A5" },
};

/* A character reference at s[i] ('&'): appends it and returns the index after
 * it, or returns i when it is none. */
static size_t h_entity(html *h, const char *s, size_t n, size_t i)
{
    size_t j = i + 1;
    if (j < n && s[j] == '#') {
        bool hex = j + 1 < n && (s[j + 1] == 'x' || s[j + 1] == 'X');
        size_t k = j + 1 + hex, d = k;
        uint32_t cp = 0;
        while (k < n && k - d < 8 && (hex ? hexval((unsigned char)s[k]) >= 0 : (s[k] >= '0' && s[k] <= '9'))) {
            cp = cp * (hex ? 16 : 10) + (uint32_t)(hex ? hexval((unsigned char)s[k]) : s[k] - '0');
            k++;
        }
        if (k == d)
            return i;
        if (k < n && s[k] == ';')
            k++;
        if (cp == 0xA0) {
            h->space = true; /* a no-break space is a space to the decoder's phrases */
            return k;
        }
        if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            cp = 0xFFFD;
        uint8_t u[4];
        int m = u8_uctomb(u, cp, 4);
        if (m > 0)
            h_char(h, (const char *)u, (size_t)m);
        return k;
    }
    size_t k = j;
    while (k < n && k - j < 10 && ((s[k] | 0x20) >= 'a' && (s[k] | 0x20) <= 'z'))
        k++;
    if (k == j || k >= n || s[k] != ';')
        return i;
    for (size_t e = 0; e < sizeof entities / sizeof entities[0]; e++) {
        if (strlen(entities[e].name) == k - j && memcmp(entities[e].name, s + j, k - j) == 0) {
            if (entities[e].utf8[0] == ' ')
                h->space = true;
            else if (entities[e].utf8[0])
                h_char(h, entities[e].utf8, strlen(entities[e].utf8));
            return k + 1;
        }
    }
    return i;
}

/* Where "</name" begins at or after i (case-insensitive), or n. */
static size_t find_close(const char *s, size_t n, size_t i, const char *name)
{
    size_t m = strlen(name);
    for (; i + 2 + m <= n; i++) {
        const char *p = memchr(s + i, '<', n - i);
        if (!p)
            return n;
        i = (size_t)(p - s);
        if (i + 2 + m <= n && s[i + 1] == '/' && ci_starts(s + i + 2, n - i - 2, name))
            return i;
    }
    return n;
}

/* The '>' that ends the tag starting at s[i] ('<'); a quote counts only after
 * '=' (an attribute value), so a stray quote cannot hide the rest of the page.
 * Returns n when the tag never ends. */
static size_t tag_end(const char *s, size_t n, size_t i)
{
    char quote = 0;
    for (size_t k = i + 1; k < n; k++) {
        char c = s[k];
        if (quote) {
            if (c == quote)
                quote = 0;
            continue;
        }
        if (c == '>')
            return k;
        if (c == '"' || c == '\'') {
            size_t b = k;
            while (b > i + 1 && is_wsp((unsigned char)s[b - 1]))
                b--;
            if (s[b - 1] == '=')
                quote = c;
        }
    }
    return n;
}

void mxd_html_to_text(const char *s, size_t n, mxd_sb *out)
{
    html h = { out, 2, false, 0 };
    size_t start = out->len;
    if (out->len > 0) /* appending: how many line breaks out already ends with */
        h.nl = out->buf[out->len - 1] != '\n' ? 0 : out->len > 1 && out->buf[out->len - 2] == '\n' ? 2 : 1;
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c == '&') {
            size_t k = h_entity(&h, s, n, i);
            if (k > i) {
                i = k;
                continue;
            }
        }
        if (c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] == 0xA0 && !h.pre) {
            h.space = true; /* U+00A0 as UTF-8 */
            i += 2;
            continue;
        }
        if (c != '<' || i + 1 >= n) {
            h_text(&h, c);
            i++;
            continue;
        }
        if (n - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
            size_t k = i + 4;
            while (k + 3 <= n && memcmp(s + k, "-->", 3) != 0) {
                const char *p = memchr(s + k + 1, '-', n - k - 1);
                k = p ? (size_t)(p - s) : n;
            }
            i = k + 3 <= n ? k + 3 : n;
            continue;
        }
        bool closing = s[i + 1] == '/';
        size_t b = i + 1 + closing;
        bool letter = b < n && ((s[b] | 0x20) >= 'a' && (s[b] | 0x20) <= 'z');
        if (!letter && s[i + 1] != '!' && s[i + 1] != '?') {
            h_text(&h, c); /* "a < b": not a tag */
            i++;
            continue;
        }
        char name[16];
        size_t nn = 0;
        while (b < n && nn < sizeof name - 1 &&
               (((s[b] | 0x20) >= 'a' && (s[b] | 0x20) <= 'z') || (s[b] >= '0' && s[b] <= '9')))
            name[nn++] = (char)lower((unsigned char)s[b++]);
        name[nn] = '\0';
        size_t e = tag_end(s, n, i);
        i = e < n ? e + 1 : n;
        if (!letter)
            continue; /* <!DOCTYPE>, <?xml?> */
        if (!closing && tag_in(name, hidden_tags, sizeof hidden_tags / sizeof hidden_tags[0])) {
            size_t k = find_close(s, n, i, name);
            i = k < n ? tag_end(s, n, k) + 1 : n;
            if (i > n)
                i = n;
            continue;
        }
        if (strcmp(name, "br") == 0) {
            h.space = false;
            if (h.out->len > 0 && h.nl < 2) {
                mxd_sb_putc(out, '\n');
                h.nl++;
            }
        } else if (tag_in(name, para_tags, sizeof para_tags / sizeof para_tags[0])) {
            h_break(&h, 2);
            if (strcmp(name, "pre") == 0)
                h.pre = closing ? 0 : 1;
        } else if (tag_in(name, line_tags, sizeof line_tags / sizeof line_tags[0])) {
            h_break(&h, 1);
        } else if (tag_in(name, cell_tags, sizeof cell_tags / sizeof cell_tags[0])) {
            h.space = true;
        }
    }
    if (h.out->len > start && h.nl == 0)
        mxd_sb_putc(out, '\n');
    if (h.nl == 2 && out->len >= start + 2 && mxd_sb_ok(out))
        out->buf[--out->len] = '\0'; /* one line break ends the text, not a paragraph's two */
}

/* ---- entities (the MIME kind) -------------------------------------------------------- */

enum { CTE_IDENTITY, CTE_QP, CTE_BASE64 };

typedef struct entity {
    char type[64];       /* "text/plain", lower case; "" without Content-Type */
    char charset[48];
    char boundary[MAX_BOUNDARY + 1];
    size_t blen;         /* 0: no usable boundary */
    int cte;
    bool mime;           /* Content-Type, Content-Transfer-Encoding or MIME-Version */
    size_t from_b, from_e, subj_b, subj_e; /* folded values; b == e when absent */
    size_t body;         /* where the body starts */
} entity;

/* Copies a Content-Type parameter value (a token or a quoted string) from
 * s[*i..e) into dst (cut at cap - 1); advances *i past it. */
static size_t param_value(const char *s, size_t *i, size_t e, char *dst, size_t cap)
{
    size_t k = *i, m = 0;
    if (k < e && s[k] == '"') {
        for (k++; k < e && s[k] != '"'; k++) {
            if (s[k] == '\\' && k + 1 < e)
                k++;
            if (is_eol((unsigned char)s[k]))
                continue; /* a folded quoted string */
            if (m < cap - 1)
                dst[m++] = s[k];
        }
        if (k < e)
            k++;
    } else {
        for (; k < e && s[k] != ';' && !is_wsp((unsigned char)s[k]) && !is_eol((unsigned char)s[k]); k++)
            if (m < cap - 1)
                dst[m++] = s[k];
    }
    dst[m] = '\0';
    *i = k;
    return m;
}

static bool param_sep(char c)
{
    return is_wsp((unsigned char)c) || is_eol((unsigned char)c);
}

static void parse_ctype(const char *s, size_t b, size_t e, entity *h)
{
    size_t i = b, m = 0;
    while (i < e && param_sep(s[i]))
        i++;
    while (i < e && s[i] != ';' && !param_sep(s[i]) && s[i] != '(') {
        if (m < sizeof h->type - 1)
            h->type[m++] = (char)lower((unsigned char)s[i]);
        i++;
    }
    h->type[m] = '\0';
    while (i < e) {
        if (s[i] != ';') {
            i++;
            continue;
        }
        i++;
        while (i < e && param_sep(s[i]))
            i++;
        size_t nb = i;
        while (i < e && s[i] != '=' && s[i] != ';' && !param_sep(s[i]))
            i++;
        size_t nlen = i - nb;
        while (i < e && param_sep(s[i]))
            i++;
        if (i >= e || s[i] != '=')
            continue;
        i++;
        while (i < e && param_sep(s[i]))
            i++;
        if (ci_eq(s + nb, nlen, "charset")) {
            param_value(s, &i, e, h->charset, sizeof h->charset);
        } else if (ci_eq(s + nb, nlen, "boundary")) {
            char tmp[MAX_BOUNDARY + 2];
            size_t bl = param_value(s, &i, e, tmp, sizeof tmp);
            if (bl > 0 && bl <= MAX_BOUNDARY) {
                memcpy(h->boundary, tmp, bl + 1);
                h->blen = bl;
            }
        } else {
            char skip[2];
            param_value(s, &i, e, skip, sizeof skip);
        }
    }
}

/* Reads the header block at s[b..e). A block ends at a blank line (the body
 * follows it) or at the first line that is no header field (the body starts
 * there: a pasted part may have lost its blank line). */
static void read_headers(const char *s, size_t b, size_t e, entity *h)
{
    memset(h, 0, sizeof *h);
    enum { F_NONE, F_CTYPE, F_CTE, F_FROM, F_SUBJ, F_OTHER } cur = F_NONE;
    size_t vb[F_OTHER + 1] = { 0 }, ve[F_OTHER + 1] = { 0 };
    size_t i = b;
    while (i < e) {
        size_t le, next = line_at(s, i, e, &le);
        if (blank_line(s, i, le)) {
            i = next;
            break;
        }
        size_t colon;
        if (is_wsp((unsigned char)s[i]) && cur != F_NONE) {
            ve[cur] = le; /* a folded line */
            i = next;
            continue;
        }
        if (!field_line(s, i, le, &colon))
            break;
        const char *nm = s + i;
        size_t nl = colon - i;
        if (ci_eq(nm, nl, "content-type"))
            cur = F_CTYPE;
        else if (ci_eq(nm, nl, "content-transfer-encoding"))
            cur = F_CTE;
        else if (ci_eq(nm, nl, "from"))
            cur = F_FROM;
        else if (ci_eq(nm, nl, "subject"))
            cur = F_SUBJ;
        else
            cur = F_OTHER;
        if (cur != F_OTHER && vb[cur] != ve[cur]) {
            cur = F_OTHER; /* the first of a repeated field counts */
        } else {
            vb[cur] = colon + 1;
            ve[cur] = le;
        }
        if (cur == F_CTYPE || cur == F_CTE || ci_eq(nm, nl, "mime-version"))
            h->mime = true;
        i = next;
    }
    h->body = i;
    if (vb[F_CTYPE] != ve[F_CTYPE])
        parse_ctype(s, vb[F_CTYPE], ve[F_CTYPE], h);
    if (vb[F_CTE] != ve[F_CTE]) {
        size_t k = vb[F_CTE];
        while (k < ve[F_CTE] && param_sep(s[k]))
            k++;
        if (ci_starts(s + k, ve[F_CTE] - k, "quoted-printable"))
            h->cte = CTE_QP;
        else if (ci_starts(s + k, ve[F_CTE] - k, "base64"))
            h->cte = CTE_BASE64;
    }
    h->from_b = vb[F_FROM];
    h->from_e = ve[F_FROM];
    h->subj_b = vb[F_SUBJ];
    h->subj_e = ve[F_SUBJ];
}

static bool type_is(const entity *h, const char *t)
{
    return strcmp(h->type, t) == 0;
}

/* A delimiter line of boundary bd: "--" bd, then "--" for the last one, then
 * white space only. Sets *close. */
static bool delimiter(const char *s, size_t b, size_t le, const char *bd, size_t bl, bool *close)
{
    if (le - b < bl + 2 || s[b] != '-' || s[b + 1] != '-' || memcmp(s + b + 2, bd, bl) != 0)
        return false;
    size_t k = b + 2 + bl;
    *close = le - k >= 2 && s[k] == '-' && s[k + 1] == '-';
    if (*close)
        k += 2;
    return blank_line(s, k, le);
}

/* ---- the walk ------------------------------------------------------------------------ */

typedef struct walker {
    mxd_sb head, dsn, text; /* what mime.h lists as 2, 3 and 4 */
    size_t used, max_out;   /* bytes given out so far (the prefix included) */
    unsigned flags;
    size_t parts;
    bool stop;              /* the original message began, or the output is full */
    bool seen_dsn;
    bool oom;
} walker;

static void put(walker *w, mxd_sb *dst, const char *p, size_t n)
{
    if (w->stop)
        return;
    size_t room = w->max_out - w->used;
    if (n > room) {
        n = room;
        w->flags |= MXD_MIME_TRUNCATED;
        w->stop = true;
    }
    mxd_sb_append(dst, p, n);
    w->used += n;
    if (!mxd_sb_ok(dst))
        w->oom = w->stop = true;
}

/* A blank line before what comes next in dst, so that the decoder reads the
 * next part as a new paragraph. */
static void part_break(walker *w, mxd_sb *dst)
{
    if (dst->len == 0)
        return;
    if (dst->buf[dst->len - 1] != '\n')
        put(w, dst, "\n", 1);
    if (dst->len < 2 || dst->buf[dst->len - 2] != '\n')
        put(w, dst, "\n", 1);
}

static void emit_header(walker *w, mxd_sb *dst, const char *label, const char *s, size_t b, size_t e)
{
    if (b == e)
        return;
    if (e - b > MAX_HEADER)
        e = b + MAX_HEADER;
    while (b < e && param_sep(s[b]))
        b++;
    mxd_sb v = MXD_SB_INIT;
    mxd_mime_header_decode(s + b, e - b, &v);
    if (!mxd_sb_ok(&v))
        w->oom = true;
    put(w, dst, label, strlen(label));
    put(w, dst, v.buf ? v.buf : "", v.len);
    put(w, dst, "\n", 1);
    mxd_sb_free(&v);
}

/* Undoes a part's transfer encoding: returns the decoded bytes in *own (the
 * caller frees) or the input itself (*own NULL); *n their count. */
static const char *transfer_decode(walker *w, const entity *h, const char *s, size_t b, size_t e,
                                   char **own, size_t *n)
{
    *own = NULL;
    *n = e - b;
    if (h->cte == CTE_IDENTITY || e == b)
        return s + b;
    char *d = malloc(h->cte == CTE_QP ? e - b + 1 : (e - b) / 4 * 3 + 4);
    if (!d) {
        w->oom = w->stop = true;
        *n = 0;
        return "";
    }
    *n = h->cte == CTE_QP ? mxd_qp_decode(s + b, e - b, d)
                          : mxd_base64_decode(s + b, e - b, (unsigned char *)d);
    *own = d;
    return d;
}

/* A leaf part: transfer encoding, charset, HTML, then into dst. */
static void leaf(walker *w, mxd_sb *dst, const char *s, size_t b, size_t e, const entity *h, bool is_html)
{
    char *own;
    size_t n;
    const char *body = transfer_decode(w, h, s, b, e, &own, &n);
    mxd_sb conv = MXD_SB_INIT, txt = MXD_SB_INIT;
    const char *u = body;
    size_t un = n;
    const char *name = charset_name(h->charset);
    if (!name || *name) {
        mxd_charset_to_utf8(h->charset, body, n, &conv);
        u = conv.buf ? conv.buf : "";
        un = conv.len;
    }
    if (is_html) {
        mxd_html_to_text(u, un, &txt);
        u = txt.buf ? txt.buf : "";
        un = txt.len;
    }
    if (!mxd_sb_ok(&conv) || !mxd_sb_ok(&txt))
        w->oom = w->stop = true;
    part_break(w, dst);
    put(w, dst, u, un);
    mxd_sb_free(&conv);
    mxd_sb_free(&txt);
    free(own);
}

static void walk(walker *w, const char *s, size_t b, size_t e, int depth, const char *parent, mxd_sb *hdr);

/* Whether an encapsulated message was written by a mail system (a bounce that
 * someone forwarded), not by a person (the returned original). */
static bool from_mail_system(const char *s, const entity *h)
{
    if (strcmp(h->type, "multipart/report") == 0)
        return true;
    static const char *const senders[] = { "mailer-daemon", "postmaster", "microsoftexchange",
                                           "mail delivery" };
    size_t n = h->from_e - h->from_b < MAX_HEADER ? h->from_e - h->from_b : MAX_HEADER;
    for (size_t i = 0; i < sizeof senders / sizeof senders[0]; i++)
        if (ci_has(s + h->from_b, n, senders[i]))
            return true;
    return false;
}

static void walk_message(walker *w, const char *s, size_t b, size_t e, const entity *h, int depth,
                         const char *parent)
{
    char *own;
    size_t n;
    const char *m = transfer_decode(w, h, s, b, e, &own, &n); /* against the rules, but seen */
    bool original = (parent && strcmp(parent, "report") == 0) || w->seen_dsn;
    if (!original) {
        entity inner;
        read_headers(m, 0, n, &inner);
        original = !from_mail_system(m, &inner);
    }
    if (original) {
        w->flags |= MXD_MIME_ORIGINAL;
        w->stop = true;
    } else {
        part_break(w, &w->text);
        walk(w, m, 0, n, depth + 1, NULL, &w->text);
    }
    free(own);
}

/* How well a part of a multipart/alternative serves: plain text is what the
 * decoder reads best; HTML only when nothing else is there. */
static int alt_rank(const entity *h)
{
    if (h->type[0] == '\0' || type_is(h, "text/plain"))
        return 3;
    if (strncmp(h->type, "multipart/", 10) == 0)
        return 2;
    if (type_is(h, "text/html"))
        return 1;
    return 0;
}

/* The parts of one multipart: walked as they come, or, for an alternative,
 * kept to choose one at the end. */
typedef struct parts {
    walker *w;
    const char *s;
    int depth;
    const char *sub;
    bool alt;
    size_t b[MAX_ALTERNATIVES], e[MAX_ALTERNATIVES], n;
} parts;

static void part(parts *p, size_t b, size_t e)
{
    if (!p->alt) {
        walk(p->w, p->s, b, e, p->depth + 1, p->sub, NULL);
    } else if (p->n < MAX_ALTERNATIVES) {
        p->b[p->n] = b;
        p->e[p->n++] = e;
    }
}

static void walk_multipart(walker *w, const char *s, size_t b, size_t e, const entity *h, int depth,
                           const char *sub)
{
    parts p = { w, s, depth, sub, strcmp(sub, "alternative") == 0, { 0 }, { 0 }, 0 };
    size_t start = SIZE_MAX; /* where the current part began */
    bool closed = false;
    for (size_t i = b; i < e && !w->stop;) {
        size_t le, next = line_at(s, i, e, &le);
        bool close;
        if (!delimiter(s, i, le, h->boundary, h->blen, &close)) {
            i = next;
            continue;
        }
        if (start != SIZE_MAX) {
            /* The line break before a delimiter belongs to it (RFC 2046 §5.1.1). */
            size_t pe = i;
            if (pe > start && s[pe - 1] == '\n')
                pe--;
            if (pe > start && s[pe - 1] == '\r')
                pe--;
            part(&p, start, pe);
        }
        if (close) {
            closed = true;
            break;
        }
        start = next;
        i = next;
    }
    if (!closed && !w->stop) {
        if (start == SIZE_MAX) {
            /* No delimiter at all (a wrong boundary, or cut before the first
             * part): the body as text, which is what reading raw text gave. */
            entity plain;
            memset(&plain, 0, sizeof plain);
            leaf(w, &w->text, s, b, e, &plain, false);
            return;
        }
        w->flags |= MXD_MIME_UNCLOSED;
        part(&p, start, e);
    }
    if (p.alt && p.n > 0) {
        size_t best = 0;
        int rank = -1;
        for (size_t k = 0; k < p.n; k++) {
            entity ph;
            read_headers(s, p.b[k], p.e[k], &ph);
            int r = alt_rank(&ph);
            if (r > rank) {
                rank = r;
                best = k;
            }
        }
        walk(w, s, p.b[best], p.e[best], depth + 1, sub, NULL);
    }
}

/* One entity at s[b..e): its headers (From and Subject into hdr when it is a
 * message, not a body part), then its body by type. parent is the enclosing
 * multipart's subtype ("report", "mixed", ...), or NULL. */
static void walk(walker *w, const char *s, size_t b, size_t e, int depth, const char *parent, mxd_sb *hdr)
{
    if (w->stop)
        return;
    if (depth > MXD_MIME_MAX_DEPTH) {
        w->flags |= MXD_MIME_TOO_DEEP;
        return;
    }
    if (w->parts >= MXD_MIME_MAX_PARTS) {
        w->flags |= MXD_MIME_TOO_MANY;
        return;
    }
    w->parts++;
    entity h;
    read_headers(s, b, e, &h);
    if (hdr) {
        emit_header(w, hdr, "From: ", s, h.from_b, h.from_e);
        emit_header(w, hdr, "Subject: ", s, h.subj_b, h.subj_e);
    }
    if (h.type[0] == '\0')
        snprintf(h.type, sizeof h.type, "%s",
                 parent && strcmp(parent, "digest") == 0 ? "message/rfc822" : "text/plain");
    if (strncmp(h.type, "multipart/", 10) == 0) {
        if (h.blen == 0) {
            entity plain;
            memset(&plain, 0, sizeof plain);
            leaf(w, &w->text, s, h.body, e, &plain, false);
        } else {
            walk_multipart(w, s, h.body, e, &h, depth, h.type + 10);
        }
    } else if (type_is(&h, "message/rfc822") || type_is(&h, "message/global")) {
        walk_message(w, s, h.body, e, &h, depth, parent);
    } else if (type_is(&h, "text/rfc822-headers") || type_is(&h, "message/global-headers")) {
        w->flags |= MXD_MIME_ORIGINAL;
        w->stop = true;
    } else if (type_is(&h, "message/delivery-status") ||
               type_is(&h, "message/global-delivery-status")) {
        leaf(w, &w->dsn, s, h.body, e, &h, false);
        w->seen_dsn = true;
    } else if (type_is(&h, "text/plain")) {
        leaf(w, &w->text, s, h.body, e, &h, false);
    } else if (type_is(&h, "text/html")) {
        leaf(w, &w->text, s, h.body, e, &h, true);
    }
}

/* ---- finding the message --------------------------------------------------------------- */

/* The header block at s[i..n) holds a MIME field (any of them, or only
 * Content-Type / Content-Transfer-Encoding when strict). Sets *end to the line
 * that ended the block. */
static bool mime_block(const char *s, size_t i, size_t n, bool strict, size_t *end)
{
    bool mime = false, in_field = false;
    while (i < n) {
        size_t le, next = line_at(s, i, n, &le), colon;
        if (blank_line(s, i, le))
            break;
        if (is_wsp((unsigned char)s[i]) && in_field) {
            i = next;
            continue;
        }
        if (!field_line(s, i, le, &colon))
            break;
        in_field = true;
        size_t nl = colon - i;
        if (ci_eq(s + i, nl, "content-type") || ci_eq(s + i, nl, "content-transfer-encoding") ||
            (!strict && ci_eq(s + i, nl, "mime-version")))
            mime = true;
        i = next;
    }
    *end = i;
    return mime;
}

/* Where the message starts, or SIZE_MAX. *bd and *bl are set to the boundary when
 * the text starts with a delimiter line instead of headers (a body pasted
 * without the message's headers). */
static size_t find_start(const char *s, size_t n, const char **bd, size_t *bl)
{
    bool block_start = true;
    *bd = NULL;
    *bl = 0;
    for (size_t i = 0; i < n;) {
        size_t le, next = line_at(s, i, n, &le), colon, end;
        if (blank_line(s, i, le) || (i == 0 && ci_starts(s, le, "from "))) {
            /* (an mbox file's "From sender date" line before the headers) */
            block_start = true;
            i = next;
            continue;
        }
        if (block_start && field_line(s, i, le, &colon)) {
            if (mime_block(s, i, n, false, &end))
                return i;
            block_start = false;
            i = end > i ? end : next;
            continue;
        }
        /* "--boundary": a token of at most MAX_BOUNDARY bytes without white
         * space (which no mail software puts in one, and which keeps out
         * Exim's "------ This is a copy of the message" and signatures),
         * followed by a part's headers. */
        size_t te = le;
        while (te > i && is_wsp((unsigned char)s[te - 1]))
            te--;
        size_t k = i + 2;
        while (k < te && !is_wsp((unsigned char)s[k]))
            k++;
        size_t le2;
        if (te - i >= 3 && te - i - 2 <= MAX_BOUNDARY && s[i] == '-' && s[i + 1] == '-' && k == te &&
            next < n && (line_at(s, next, n, &le2), field_line(s, next, le2, &colon)) &&
            mime_block(s, next, n, true, &end)) {
            size_t tl = te - i - 2;
            if (tl > 2 && s[te - 1] == '-' && s[te - 2] == '-')
                tl -= 2; /* a closing delimiter pasted first: unusual, still the boundary */
            *bd = s + i + 2;
            *bl = tl;
            return i;
        }
        block_start = false;
        i = next;
    }
    return SIZE_MAX;
}

/* Nothing but white space, and perhaps an mbox "From " line, before s[start]. */
static bool empty_prefix(const char *s, size_t start)
{
    size_t i = 0;
    if (ci_starts(s, start, "from ")) {
        size_t le;
        i = line_at(s, 0, start, &le);
    }
    for (; i < start; i++)
        if (!is_wsp((unsigned char)s[i]) && !is_eol((unsigned char)s[i]))
            return false;
    return true;
}

/* Appends n bytes of p to out with a blank line before them, within max_out. */
static void join(mxd_sb *out, const char *p, size_t n, size_t max_out, unsigned *flags)
{
    if (n == 0)
        return;
    if (out->len > 0 && out->buf[out->len - 1] != '\n' && out->buf[out->len - 1] != '\r')
        mxd_sb_putc(out, '\n');
    if (out->len > 0)
        mxd_sb_putc(out, '\n');
    size_t room = out->len < max_out ? max_out - out->len : 0;
    if (n > room) {
        n = room;
        *flags |= MXD_MIME_TRUNCATED;
    }
    mxd_sb_append(out, p, n);
}

int mxd_mime_decode(const void *in, size_t len, size_t max_out, mxd_mime_text *out)
{
    memset(out, 0, sizeof *out);
    const char *s = in ? in : "";
    size_t n = in ? len : 0;
    const char *bd;
    size_t bl;
    size_t start = find_start(s, n, &bd, &bl);
    if (start == SIZE_MAX || max_out == 0)
        return 0;
    if (!bd && !empty_prefix(s, start)) {
        /* After other text, a message that no mail system sent is most likely
         * the returned original, shown inline below a bounce that was pasted
         * as text: decoding it would only give its words to the decoder. */
        entity top;
        read_headers(s, start, n, &top);
        if (!from_mail_system(s, &top))
            return 0;
    }

    walker w;
    memset(&w, 0, sizeof w);
    w.max_out = max_out;
    /* Room for the prefix and the blank lines join() puts between pieces. */
    w.used = start + 6 < max_out ? start + 6 : max_out;
    if (bd) {
        entity top;
        memset(&top, 0, sizeof top);
        memcpy(top.boundary, bd, bl);
        top.blen = bl;
        w.parts = 1;
        walk_multipart(&w, s, start, n, &top, 1, "mixed");
    } else {
        walk(&w, s, start, n, 0, NULL, &w.head);
    }

    if (!w.oom && w.head.len == 0 && w.dsn.len == 0 && w.text.len == 0) {
        /* Nothing readable (only the returned original, an empty message):
         * the text as it is says the same, and the decoder knows where to stop. */
        mxd_sb_free(&w.head);
        mxd_sb_free(&w.dsn);
        mxd_sb_free(&w.text);
        return 0;
    }
    mxd_sb all = MXD_SB_INIT;
    unsigned flags = w.flags;
    join(&all, s, start, max_out, &flags);
    join(&all, w.head.buf, w.head.len, max_out, &flags);
    join(&all, w.dsn.buf, w.dsn.len, max_out, &flags);
    join(&all, w.text.buf, w.text.len, max_out, &flags);
    mxd_sb_free(&w.head);
    mxd_sb_free(&w.dsn);
    mxd_sb_free(&w.text);
    if (w.oom || !mxd_sb_ok(&all)) {
        mxd_sb_free(&all);
        return -1;
    }
    if (all.len > max_out) {
        all.len = max_out; /* the blank lines between pieces, at the very end */
        all.buf[all.len] = '\0';
        flags |= MXD_MIME_TRUNCATED;
    }
    out->len = all.len;
    out->text = mxd_sb_take(&all);
    if (!out->text) {
        out->text = calloc(1, 1);
        if (!out->text)
            return -1;
    }
    out->flags = flags;
    out->parts = w.parts;
    return 1;
}

void mxd_mime_text_free(mxd_mime_text *t)
{
    if (!t)
        return;
    free(t->text);
    memset(t, 0, sizeof *t);
}
