/* input.c — what the user typed, turned into the domain to diagnose (see input.h).
 *
 * The work goes in stages, cheapest and most structural first, so that the reason
 * given is the one a person would recognise ("that is an IP address") rather than
 * whatever IDNA happens to trip over:
 *
 *   1. cap the length (4096 bytes) before touching the text, so a 10 MB paste costs
 *      nothing;
 *   2. check the UTF-8 and fold full-width ASCII (ｅｘａｍｐｌｅ．ｃｏｍ, ＠, ：, ／) and the
 *      ideographic space and full stops (　 。 ｡) to ASCII, because those are what
 *      break the e-mail/URL syntax when a Japanese IME is on;
 *   3. trim, refuse control and bidi-control characters anywhere, unwrap <...>;
 *   4. take the domain out of a URL, a mailto: link or an e-mail address;
 *   5. address literals and IP addresses, empty labels, ASCII characters that no
 *      host name has;
 *   6. each label: plain ASCII labels are only lower-cased; labels with other
 *      characters, and A-labels (xn--) typed directly, go through libidn2 (UTS #46,
 *      non-transitional, NFC) one at a time so the detail can name the label;
 *   7. lengths in ASCII form (63 per label, 253 per name), then "needs a dot".
 *
 * libidn2 2.3.3 is asked for UTS #46 mapping WITHOUT IDN2_USE_STD3_ASCII_RULES: in
 * that version the flag silently deletes the offending characters ("a_b.com" and
 * "exa mple.com" come back as "ab.com" and "example.com") instead of failing, which
 * would diagnose a different domain than the one typed. The host-name rules are
 * enforced here instead, before and after the conversion.
 */
#include <arpa/inet.h>
#include <idn2.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

#include "mxd/input.h"
#include "mxd/sanitize.h"

/* Longest input looked at. A domain is at most 253 octets; even written in
 * full-width characters with a URL around it, 4096 bytes is plenty. */
#define INPUT_MAX 4096
#define IDN_FLAGS (IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT)
#define LABEL_MAX 63
#define NAME_MAX_OCTETS 253
/* How much of a label or of the input a detail quotes. */
#define QUOTE_MAX 48

typedef struct {
    const char *p;
    size_t n;
} span;

/* ---- small helpers ------------------------------------------------------ */

static bool is_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static bool is_hex(unsigned char c) { return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }
static bool is_ldh(unsigned char c) { return is_alpha(c) || is_digit(c) || c == '-'; }
static char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c | 0x20) : c; }

static bool span_ieq_prefix(span s, const char *prefix)
{
    size_t n = strlen(prefix);
    if (s.n < n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (to_lower(s.p[i]) != prefix[i])
            return false;
    return true;
}

static const char *span_chr(span s, char c) { return s.n ? memchr(s.p, c, s.n) : NULL; }

static span span_from(const char *b, const char *e) { return (span){ b, (size_t)(e - b) }; }

/* Bytes of white space at p (n bytes left): ASCII space and controls that are
 * white space, NO-BREAK SPACE and the BOM, which ride along with pasted text.
 * (U+3000 has already become ' '.) 0 if none. */
static size_t space_len(const char *p, size_t n)
{
    unsigned char c = (unsigned char)p[0];
    if (c == ' ' || (c >= '\t' && c <= '\r'))
        return 1;
    if (n >= 2 && c == 0xC2 && (unsigned char)p[1] == 0xA0)
        return 2;
    if (n >= 3 && c == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF)
        return 3;
    return 0;
}

static span trim(span s)
{
    size_t k;
    while (s.n && (k = space_len(s.p, s.n)) > 0) {
        s.p += k;
        s.n -= k;
    }
    for (;;) {
        if (s.n >= 1 && space_len(s.p + s.n - 1, 1) == 1)
            s.n -= 1;
        else if (s.n >= 2 && space_len(s.p + s.n - 2, 2) == 2)
            s.n -= 2;
        else if (s.n >= 3 && space_len(s.p + s.n - 3, 3) == 3)
            s.n -= 3;
        else
            break;
    }
    return s;
}

/* Copies at most cap-1 bytes of s into dst, never cutting a UTF-8 sequence. */
static void copy_utf8(char *dst, size_t cap, span s)
{
    size_t n = s.n < cap ? s.n : cap - 1;
    if (n < s.n)
        while (n > 0 && ((unsigned char)s.p[n] & 0xC0) == 0x80)
            n--;
    memcpy(dst, s.p, n);
    dst[n] = '\0';
}

/* Characters a reader cannot see or that would disturb the display: shown only
 * as their code point. A superset of what the sanitiser escapes, because in a
 * domain an invisible character is the very thing the reader must find. */
static bool is_invisible(ucs4_t c)
{
    return c <= 0x20 || (c >= 0x7F && c <= 0xA0) || c == 0xAD || c == 0x061C ||
           (c >= 0x200B && c <= 0x200F) || (c >= 0x2028 && c <= 0x202E) ||
           (c >= 0x2060 && c <= 0x2069) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFB);
}

/* A short quotation of s for a detail (written into q): at most QUOTE_MAX bytes,
 * ending in "…" when cut. Beyond what the sanitiser escapes, characters nobody
 * can see (soft hyphen, zero-width joiner, NBSP, ...) are written as <U+XXXX>,
 * because in a domain they are exactly what the reader needs to find. */
static void quote(char q[QUOTE_MAX + 1], span s)
{
    static const char ellipsis[] = "\xE2\x80\xA6";
    size_t o = 0;
    for (size_t i = 0; i < s.n;) {
        char unit[16];
        size_t un;
        ucs4_t c;
        int k = u8_mbtoucr(&c, (const uint8_t *)s.p + i, s.n - i);
        if (k <= 0) {
            un = (size_t)snprintf(unit, sizeof unit, "\\x%02X", (unsigned char)s.p[i]);
            k = 1;
        } else if (c < 0x20 || c == 0x7F) {
            un = (size_t)snprintf(unit, sizeof unit, "\\x%02X", (unsigned)c);
        } else if (c != ' ' && is_invisible(c)) {
            un = (size_t)snprintf(unit, sizeof unit, "<U+%04X>", (unsigned)c);
        } else {
            memcpy(unit, s.p + i, (size_t)k);
            un = (size_t)k;
        }
        bool last = i + (size_t)k >= s.n;
        /* keep room for the ellipsis unless this unit ends the text */
        if (o + un + (last ? 0 : sizeof ellipsis - 1) > QUOTE_MAX) {
            memcpy(q + o, ellipsis, sizeof ellipsis - 1);
            o += sizeof ellipsis - 1;
            break;
        }
        memcpy(q + o, unit, un);
        o += un;
        i += (size_t)k;
    }
    q[o] = '\0';
}

static void set_detail(mxd_input *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Every detail passes through the sanitiser: it quotes what the user typed,
 * and that may be a pasted escape sequence. */
static void set_detail(mxd_input *out, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof tmp)
        n = (int)sizeof tmp - 1;
    char *t = mxd_sanitize(tmp, (size_t)n, 0, sizeof out->detail - 1);
    out->detail[0] = '\0';
    if (t) {
        copy_utf8(out->detail, sizeof out->detail, (span){ t, strlen(t) });
        free(t);
    }
}

static mxd_input_status fail_span(mxd_input *out, mxd_input_status st, span s)
{
    char q[QUOTE_MAX + 1];
    quote(q, s);
    set_detail(out, "%s", q);
    return st;
}

/* Characters refused anywhere in the input, even in the local part: they can
 * only have come from a bad paste and would corrupt any later display. */
static bool is_forbidden_anywhere(ucs4_t c)
{
    return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x061C || c == 0x200E || c == 0x200F ||
           (c >= 0x2028 && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

/* BAD_CHAR with detail `label: U+XXXX "c"` (the glyph only when visible). */
static mxd_input_status bad_char(mxd_input *out, span where, ucs4_t c)
{
    char q[QUOTE_MAX + 1];
    quote(q, where);
    if (is_invisible(c)) {
        set_detail(out, "%s: U+%04X", q, (unsigned)c);
    } else {
        uint8_t g[8];
        int k = u8_uctomb(g, c, 6);
        if (k < 0)
            k = 0;
        g[k] = '\0';
        set_detail(out, "%s: U+%04X \"%s\"", q, (unsigned)c, (const char *)g);
    }
    return MXD_IN_BAD_CHAR;
}

/* ---- stage 2: UTF-8 check and full-width folding ------------------------- */

/* Writes s folded into dst (at least n+1 bytes; folding only shrinks). */
static mxd_input_status fold(const char *s, size_t n, char *dst, size_t *dn, mxd_input *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        ucs4_t c;
        int k = u8_mbtoucr(&c, (const uint8_t *)s + i, n - i);
        if (k <= 0) {
            char q[QUOTE_MAX + 1];
            quote(q, (span){ s + i, 1 });
            set_detail(out, "%s", q); /* the sanitiser shows it as \xNN */
            return MXD_IN_BAD_CHAR;
        }
        if (c >= 0xFF01 && c <= 0xFF5E) /* FULLWIDTH ! .. ~ are ASCII 0x21..0x7E */
            dst[o++] = (char)(c - 0xFEE0);
        else if (c == 0x3000) /* IDEOGRAPHIC SPACE */
            dst[o++] = ' ';
        else if (c == 0x3002 || c == 0xFF61) /* IDEOGRAPHIC / HALFWIDTH IDEOGRAPHIC FULL STOP */
            dst[o++] = '.';
        else {
            memcpy(dst + o, s + i, (size_t)k);
            o += (size_t)k;
        }
        i += (size_t)k;
    }
    dst[o] = '\0';
    *dn = o;
    return MXD_IN_OK;
}

static mxd_input_status check_forbidden(span s, mxd_input *out)
{
    for (size_t i = 0; i < s.n;) {
        ucs4_t c;
        int k = u8_mbtoucr(&c, (const uint8_t *)s.p + i, s.n - i);
        if (k <= 0) /* cannot happen after fold(); stay safe anyway */
            return fail_span(out, MXD_IN_BAD_CHAR, (span){ s.p + i, 1 });
        if (is_forbidden_anywhere(c))
            return bad_char(out, s, c);
        i += (size_t)k;
    }
    return MXD_IN_OK;
}

/* ---- stage 4: structure -------------------------------------------------- */

/* A URL scheme ("https:") at the start: returns its length (without ':'), or 0. */
static size_t scheme_len(span s)
{
    if (!s.n || !is_alpha((unsigned char)s.p[0]))
        return 0;
    for (size_t i = 1; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c == ':')
            return i;
        if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.')
            return 0;
    }
    return 0;
}

/* "host:25" -> "host" when exactly one ':' is followed by digits only. */
static span strip_port(span s)
{
    const char *colon = NULL;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] == ':') {
            if (colon)
                return s; /* two colons: IPv6, not a port */
            colon = s.p + i;
        }
    }
    if (!colon || colon + 1 == s.p + s.n)
        return s;
    for (const char *q = colon + 1; q < s.p + s.n; q++)
        if (!is_digit((unsigned char)*q))
            return s;
    return span_from(s.p, colon);
}

/* Splits an addr-spec at its '@'. A quoted local part ("a@b"@example.jp) may
 * contain '@'; otherwise the FIRST '@' counts, so "a@b@c" is refused for its
 * second '@' instead of silently diagnosing c. */
static const char *find_at(span s)
{
    size_t i = 0;
    if (s.n && s.p[0] == '"') {
        for (i = 1; i < s.n && s.p[i] != '"'; i++)
            if (s.p[i] == '\\')
                i++;
        if (i < s.n)
            i++;
    }
    if (i >= s.n)
        return NULL;
    return memchr(s.p + i, '@', s.n - i);
}

/* ---- stages 5-7: the domain itself --------------------------------------- */

/* True for [192.0.2.1], [IPv6:2001:db8::1] and plain IPv6 text. */
static bool parses_as_ip(span s)
{
    char buf[64];
    unsigned char addr[16];
    if (s.n >= sizeof buf)
        return false;
    memcpy(buf, s.p, s.n);
    buf[s.n] = '\0';
    char *pct = strchr(buf, '%'); /* fe80::1%eth0 */
    if (pct)
        *pct = '\0';
    return inet_pton(AF_INET, buf, addr) == 1 || inet_pton(AF_INET6, buf, addr) == 1;
}

/* 192.0.2.1, but also what C libraries' inet_aton() takes for an address
 * (127.1, 0x7f.0.0.1), and any other name made of numbers only: no top-level
 * domain is all-numeric (RFC 3696 section 2), so "1.2.3.4.5" is a mistyped
 * address, not a domain. */
static bool looks_like_ipv4(span s)
{
    size_t labels = 1;
    size_t i = 0;
    while (i < s.n) {
        size_t b = i;
        if (i + 1 < s.n && s.p[i] == '0' && (s.p[i + 1] | 0x20) == 'x') {
            i += 2;
            while (i < s.n && is_hex((unsigned char)s.p[i]))
                i++;
        } else {
            while (i < s.n && is_digit((unsigned char)s.p[i]))
                i++;
        }
        if (i == b)
            return false;
        if (i < s.n) {
            if (s.p[i] != '.')
                return false;
            i++;
            labels++;
        }
    }
    return labels >= 2;
}

/* Finds the character of label that libidn2 refuses or maps to something that
 * is not a letter, digit or hyphen (⑴ -> "(1)"), by converting each code point
 * alone. Returns 0 if no single character is to blame. */
static ucs4_t culprit(span label)
{
    for (size_t i = 0; i < label.n;) {
        ucs4_t c;
        int k = u8_mbtoucr(&c, (const uint8_t *)label.p + i, label.n - i);
        if (k <= 0)
            return 0;
        if (c < 0x80) {
            if (!is_ldh((unsigned char)c))
                return c;
        } else {
            char one[8];
            char *o = NULL;
            memcpy(one, label.p + i, (size_t)k);
            one[k] = '\0';
            int rc = idn2_to_ascii_8z(one, &o, IDN_FLAGS);
            bool bad = rc == IDN2_DISALLOWED || rc == IDN2_UNASSIGNED;
            if (rc == IDN2_OK)
                for (const char *q = o; *q && !bad; q++)
                    bad = !is_ldh((unsigned char)*q);
            idn2_free(o);
            if (bad)
                return c;
        }
        i += (size_t)k;
    }
    return 0;
}

static mxd_input_status too_long_label(mxd_input *out, span label, const char *len)
{
    char q[QUOTE_MAX + 1];
    quote(q, label);
    set_detail(out, "%s (%s)", q, len);
    return MXD_IN_LABEL_TOO_LONG;
}

/* One label in both forms. A 63-octet A-label decodes to at most 59 code
 * points, so 4 * 59 bytes of UTF-8 always fit. */
typedef struct {
    char ascii[LABEL_MAX + 1];
    char unicode[256];
} label_forms;

/* Converts one non-empty label (no dots) into *lf (caller-owned). */
static mxd_input_status convert_label(span label, label_forms *lf, mxd_input *out)
{
    char q[QUOTE_MAX + 1];
    bool ascii_only = true;
    for (size_t i = 0; i < label.n; i++)
        if ((unsigned char)label.p[i] >= 0x80)
            ascii_only = false;

    if (ascii_only && !span_ieq_prefix(label, "xn--")) {
        /* A host name label: nothing for IDNA to do but lower-case it. Labels
         * like "r3---sn-abc" (hyphens in positions 3-4) are real host names, so
         * IDNA2008's reservation of that pattern for U-labels is not applied. */
        if (label.p[0] == '-' || label.p[label.n - 1] == '-')
            return bad_char(out, label, '-');
        if (label.n > LABEL_MAX) {
            char len[24];
            snprintf(len, sizeof len, "%zu", label.n);
            return too_long_label(out, label, len);
        }
        for (size_t i = 0; i < label.n; i++)
            lf->ascii[i] = lf->unicode[i] = to_lower(label.p[i]);
        lf->ascii[label.n] = lf->unicode[label.n] = '\0';
        return MXD_IN_OK;
    }

    char buf[INPUT_MAX + 1];
    memcpy(buf, label.p, label.n);
    buf[label.n] = '\0';
    char *a = NULL;
    int rc = idn2_to_ascii_8z(buf, &a, IDN_FLAGS);
    if (rc != IDN2_OK) {
        ucs4_t c;
        switch (rc) {
        case IDN2_TOO_BIG_LABEL:
        case IDN2_PUNYCODE_BIG_OUTPUT:
        case IDN2_TOO_BIG_DOMAIN: /* this label alone is over 255 characters */
            return too_long_label(out, label, ">63");
        case IDN2_HYPHEN_STARTEND:
            return bad_char(out, label, '-');
        case IDN2_DISALLOWED:
        case IDN2_UNASSIGNED:
            if ((c = culprit(label)) != 0)
                return bad_char(out, label, c);
            break;
        default:
            break;
        }
        /* Bidi rule, CONTEXTJ/O, bad punycode, leading combining mark, ...:
         * libidn2's own words are the most precise reason there is. */
        quote(q, label);
        set_detail(out, "%s: %s", q, idn2_strerror(rc));
        return MXD_IN_IDN_INVALID;
    }

    size_t an = strlen(a);
    for (size_t i = 0; i < an; i++) {
        if (!is_ldh((unsigned char)a[i])) {
            /* UTS #46 without STD3 rules maps e.g. ⑴ to "(1)" and NBSP to " ". */
            ucs4_t c = culprit(label);
            idn2_free(a);
            return bad_char(out, label, c ? c : (unsigned char)a[i]);
        }
    }
    if (an == 0) { /* only characters UTS #46 ignores (soft hyphen, ZWSP) */
        idn2_free(a);
        return fail_span(out, MXD_IN_EMPTY_LABEL, label);
    }
    if (an > LABEL_MAX) {
        char len[24];
        snprintf(len, sizeof len, "%zu", an);
        idn2_free(a);
        return too_long_label(out, label, len);
    }

    char *u = NULL;
    rc = idn2_to_unicode_8z8z(a, &u, 0);
    if (rc != IDN2_OK) {
        idn2_free(a);
        quote(q, label);
        set_detail(out, "%s: %s", q, idn2_strerror(rc));
        return MXD_IN_IDN_INVALID;
    }
    {
        /* An A-label (typed as it is, or left when mapping removed the only
         * non-ASCII characters, e.g. U+FEFF): libidn2 checks only its ASCII
         * side, so the Unicode it stands for must pass the same rules a typed
         * U-label does (IDNA2008 §5.4), or "xn--dmk" would name a disallowed
         * character. For a U-label this is the same conversion again. */
        char *again = NULL;
        rc = idn2_to_ascii_8z(u, &again, IDN_FLAGS);
        bool same = rc == IDN2_OK && strcmp(again, a) == 0;
        idn2_free(again);
        if (!same) {
            idn2_free(a);
            idn2_free(u);
            quote(q, label);
            set_detail(out, "%s: %s", q,
                       idn2_strerror(rc != IDN2_OK ? rc : IDN2_ALABEL_ROUNDTRIP_FAILED));
            return MXD_IN_IDN_INVALID;
        }
    }
    size_t un = strlen(u);
    if (un >= sizeof lf->unicode) { /* cannot happen (see label_forms); never truncate */
        idn2_free(a);
        idn2_free(u);
        return too_long_label(out, label, ">63");
    }
    memcpy(lf->ascii, a, an + 1);
    memcpy(lf->unicode, u, un + 1);
    idn2_free(a);
    idn2_free(u);
    return MXD_IN_OK;
}

/* Appends src to dst (cap bytes) at *len; *len counts even what did not fit. */
static void append(char *dst, size_t cap, size_t *len, const char *src, size_t n)
{
    if (*len + n < cap)
        memcpy(dst + *len, src, n);
    *len += n;
    if (*len < cap)
        dst[*len] = '\0';
}

static mxd_input_status normalize_domain(span d, span typed, mxd_input *out)
{
    d = trim(d);
    if (d.n == 0)
        return fail_span(out, MXD_IN_NO_DOMAIN, typed);

    /* Address literals as in RFC 5321: [192.0.2.1], [IPv6:2001:db8::1]. */
    if (d.p[0] == '[') {
        const char *close = span_chr(d, ']');
        if (close) {
            span inner = span_from(d.p + 1, close);
            if (span_ieq_prefix(inner, "ipv6:")) {
                inner.p += 5;
                inner.n -= 5;
            }
            if (parses_as_ip(inner))
                return fail_span(out, MXD_IN_IP_ADDRESS, span_from(d.p, close + 1));
        }
        return bad_char(out, d, '[');
    }

    d = strip_port(d);
    if (parses_as_ip(d))
        return fail_span(out, MXD_IN_IP_ADDRESS, d);

    span whole = d;
    if (d.n && d.p[d.n - 1] == '.') /* the root: "example.com." is fine */
        d.n--;
    bool empty_label = d.n == 0 || d.p[0] == '.' || d.p[d.n - 1] == '.';
    for (size_t i = 1; i < d.n && !empty_label; i++)
        empty_label = d.p[i] == '.' && d.p[i - 1] == '.';
    if (empty_label)
        return fail_span(out, MXD_IN_EMPTY_LABEL, whole);

    if (looks_like_ipv4(d))
        return fail_span(out, MXD_IN_IP_ADDRESS, d);

    /* ASCII characters no host name has. '_' is refused too, even as a label's
     * first character where DNS has it (_dmarc, _mta-sts): mail is delivered to
     * host names (RFC 5321 Domain: letters, digits, hyphens), and diagnosing
     * "_dmarc.example.com" as a mail domain would diagnose nothing useful. */
    const char *lb = d.p;
    for (size_t i = 0; i < d.n; i++) {
        unsigned char c = (unsigned char)d.p[i];
        if (c == '.') {
            lb = d.p + i + 1;
            continue;
        }
        if (c < 0x80 && !is_ldh(c)) {
            const char *le = memchr(lb, '.', (size_t)(d.p + d.n - lb));
            return bad_char(out, span_from(lb, le ? le : d.p + d.n), c);
        }
    }

    char ascii[sizeof out->ascii];
    char uni[sizeof out->unicode];
    size_t an = 0, un = 0, labels = 0;
    ascii[0] = uni[0] = '\0';
    span first = { d.p, 0 };
    for (const char *p = d.p, *end = d.p + d.n; p < end;) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        span label = span_from(p, dot ? dot : end);
        label_forms lf;
        mxd_input_status st = convert_label(label, &lf, out);
        if (st != MXD_IN_OK)
            return st;
        if (labels++) {
            append(ascii, sizeof ascii, &an, ".", 1);
            append(uni, sizeof uni, &un, ".", 1);
        } else {
            first = label;
        }
        append(ascii, sizeof ascii, &an, lf.ascii, strlen(lf.ascii));
        append(uni, sizeof uni, &un, lf.unicode, strlen(lf.unicode));
        p = dot ? dot + 1 : end;
    }

    if (an > NAME_MAX_OCTETS) {
        set_detail(out, "%zu", an);
        return MXD_IN_TOO_LONG;
    }
    if (un >= sizeof uni) { /* cannot happen within 253 octets; never truncate */
        set_detail(out, "%zu", an);
        return MXD_IN_TOO_LONG;
    }
    if (labels < 2)
        return fail_span(out, MXD_IN_SINGLE_LABEL, first);
    /* UTS #46 maps some characters to nothing ("7<U+00AD>.04" becomes "7.04"):
     * the result can be all numbers although the typed text was not. */
    if (looks_like_ipv4((span){ ascii, an }))
        return fail_span(out, MXD_IN_IP_ADDRESS, d);

    memcpy(out->ascii, ascii, an + 1);
    memcpy(out->unicode, uni, un + 1);
    return MXD_IN_OK;
}

static mxd_input_status normalize_email(span a, span typed, mxd_input *out)
{
    const char *at = find_at(a);
    out->kind = MXD_KIND_EMAIL;
    if (!at)
        return fail_span(out, MXD_IN_NO_DOMAIN, typed);
    /* Kept for display and for the delivery test; longer than 255 bytes is
     * already over RFC 5321's 64, so it is cut (at a character boundary). */
    copy_utf8(out->local_part, sizeof out->local_part, trim(span_from(a.p, at)));
    return normalize_domain(span_from(at + 1, a.p + a.n), typed, out);
}

/* The authority of a hierarchical URL ("//user:pw@host:8080/path"): the host. */
static mxd_input_status normalize_url(span rest, span typed, mxd_input *out)
{
    out->kind = MXD_KIND_URL;
    const char *e = rest.p;
    while (e < rest.p + rest.n && *e != '/' && *e != '?' && *e != '#')
        e++;
    span auth = span_from(rest.p, e);
    const char *at = NULL; /* userinfo ends at the LAST '@' of the authority */
    for (size_t i = 0; i < auth.n; i++)
        if (auth.p[i] == '@')
            at = auth.p + i;
    span host = at ? span_from(at + 1, auth.p + auth.n) : auth;
    if (host.n && host.p[0] != '[') {
        const char *colon = span_chr(host, ':');
        if (colon) {
            span port = span_from(colon + 1, host.p + host.n);
            bool digits = true;
            for (size_t i = 0; i < port.n; i++)
                digits = digits && is_digit((unsigned char)port.p[i]);
            if (digits) /* "host:" with an empty port is allowed by RFC 3986 */
                host = span_from(host.p, colon);
        }
    }
    if (trim(host).n == 0)
        return fail_span(out, MXD_IN_NO_DOMAIN, typed);
    return normalize_domain(host, typed, out);
}

mxd_input_status mxd_input_normalize(const char *typed, mxd_input *out)
{
    memset(out, 0, sizeof *out);
    out->kind = MXD_KIND_DOMAIN;
    if (!typed)
        return MXD_IN_EMPTY;

    size_t n = 0; /* strlen() of 10 MB would already be work we refuse to do */
    while (n <= INPUT_MAX && typed[n])
        n++;
    if (n > INPUT_MAX) {
        set_detail(out, "%d+", INPUT_MAX);
        return MXD_IN_TOO_LONG;
    }

    char work[INPUT_MAX + 1];
    size_t wn = 0;
    mxd_input_status st = fold(typed, n, work, &wn, out);
    if (st != MXD_IN_OK)
        return st;

    span s = trim((span){ work, wn });
    if (s.n == 0)
        return MXD_IN_EMPTY;
    if ((st = check_forbidden(s, out)) != MXD_IN_OK)
        return st;
    span typed_s = s; /* what NO_DOMAIN quotes */

    /* Pasted from a mail header: "Name" <user@example.jp>. */
    const char *lt = NULL;
    for (size_t i = 0; i < s.n; i++)
        if (s.p[i] == '<')
            lt = s.p + i;
    if (lt) {
        span after = span_from(lt + 1, s.p + s.n);
        const char *gt = span_chr(after, '>');
        s = trim(gt ? span_from(after.p, gt) : after);
        if (s.n == 0)
            return fail_span(out, MXD_IN_NO_DOMAIN, typed_s);
    }

    size_t sl = scheme_len(s);
    if (sl) {
        span scheme = { s.p, sl };
        span rest = span_from(s.p + sl + 1, s.p + s.n);
        if (sl == 6 && span_ieq_prefix(scheme, "mailto")) {
            /* mailto:user@example.jp?subject=... (RFC 6068) */
            const char *e = rest.p;
            while (e < rest.p + rest.n && *e != '?' && *e != '#')
                e++;
            return normalize_email(span_from(rest.p, e), typed_s, out);
        }
        if (rest.n >= 2 && rest.p[0] == '/' && rest.p[1] == '/')
            return normalize_url(span_from(rest.p + 2, rest.p + rest.n), typed_s, out);
        /* Otherwise "example.com:25" and the like: not a URL. */
    } else if (s.n >= 2 && s.p[0] == '/' && s.p[1] == '/') {
        return normalize_url(span_from(s.p + 2, s.p + s.n), typed_s, out);
    }

    if (span_chr(s, '@'))
        return normalize_email(s, typed_s, out);

    /* "www.example.com/contact": a URL without its scheme. */
    const char *slash = span_chr(s, '/');
    if (slash) {
        out->kind = MXD_KIND_URL;
        s = span_from(s.p, slash);
    }
    return normalize_domain(s, typed_s, out);
}

const char *mxd_input_status_key(mxd_input_status st)
{
    /* Indexed by status; the help catalog holds a text for each key. */
    static const char *const keys[MXD_IN_COUNT] = {
        [MXD_IN_OK] = NULL,
        [MXD_IN_EMPTY] = "msg.input.empty",
        [MXD_IN_TOO_LONG] = "msg.input.too_long",
        [MXD_IN_LABEL_TOO_LONG] = "msg.input.label_too_long",
        [MXD_IN_EMPTY_LABEL] = "msg.input.empty_label",
        [MXD_IN_BAD_CHAR] = "msg.input.bad_char",
        [MXD_IN_IP_ADDRESS] = "msg.input.ip_address",
        [MXD_IN_SINGLE_LABEL] = "msg.input.single_label",
        [MXD_IN_NO_DOMAIN] = "msg.input.no_domain",
        [MXD_IN_IDN_INVALID] = "msg.input.idn_invalid",
    };
    if ((unsigned)st >= MXD_IN_COUNT)
        return NULL;
    return keys[st];
}
