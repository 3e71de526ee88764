/* spfmacro.c — SPF macro expansion (RFC 7208 §7) and target names; see spf.h.
 *
 * Pure. The evaluator computes %{p} (it needs DNS) only when a string uses it:
 * mxd_spf_expand() says so by returning 1, and is called again once p is known.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxd/spf.h"

#define EXPAND_MAX 65536 /* a record is at most a few KB; anything bigger is an attack */

static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }
static bool is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

void mxd_spf_ipstr_fill(mxd_spf_ipstr *out, const uint8_t ip[16], bool v6)
{
    static const char hex[] = "0123456789ABCDEF";
    memset(out, 0, sizeof *out);
    if (!v6) {
        snprintf(out->i, sizeof out->i, "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
        memcpy(out->c, out->i, sizeof out->c);
        snprintf(out->v, sizeof out->v, "in-addr");
        return;
    }
    size_t o = 0;
    for (int k = 0; k < 16; k++) {
        out->i[o++] = hex[ip[k] >> 4];
        out->i[o++] = '.';
        out->i[o++] = hex[ip[k] & 15];
        out->i[o++] = k == 15 ? '\0' : '.';
    }
    if (!inet_ntop(AF_INET6, ip, out->c, sizeof out->c))
        out->c[0] = '\0';
    snprintf(out->v, sizeof out->v, "ip6");
}

static const char *letter_value(const mxd_spf_macro_env *env, char letter)
{
    const char *v = NULL;
    switch (letter) {
    case 's': v = env->s; break;
    case 'l': v = env->l; break;
    case 'o': v = env->o; break;
    case 'd': v = env->d; break;
    case 'i': v = env->i; break;
    case 'p': v = env->p; break;
    case 'v': v = env->v; break;
    case 'h': v = env->h; break;
    case 'c': v = env->c; break;
    case 'r': v = env->r; break;
    case 't': v = env->t; break;
    default: break;
    }
    return v ? v : "";
}

/* Splits value on any of delims (default "."), optionally reverses, keeps the
 * rightmost keep parts (0: all), joins with "." (§7.3). */
static void transform(mxd_sb *out, const char *value, const char *delims, bool reverse,
                      unsigned long keep, bool escape)
{
    enum { MAXPARTS = 256 };
    const char *part[MAXPARTS];
    size_t plen[MAXPARTS];
    size_t n = 0;
    const char *p = value;
    for (;;) {
        size_t l = strcspn(p, delims);
        if (n < MAXPARTS) {
            part[n] = p;
            plen[n] = l;
            n++;
        } else { /* absurdly many parts: glue the rest onto the last one */
            plen[n - 1] = (size_t)(p + l - part[n - 1]);
        }
        if (!p[l])
            break;
        p += l + 1;
    }
    if (reverse)
        for (size_t a = 0, b = n - 1; a < b; a++, b--) {
            const char *tp = part[a];
            part[a] = part[b];
            part[b] = tp;
            size_t tl = plen[a];
            plen[a] = plen[b];
            plen[b] = tl;
        }
    size_t first = (keep && keep < n) ? n - keep : 0;
    for (size_t k = first; k < n; k++) {
        if (k > first)
            mxd_sb_putc(out, '.');
        if (!escape) {
            mxd_sb_append(out, part[k], plen[k]);
            continue;
        }
        /* Upper-case macro letter: URL-escape all but the unreserved characters. */
        for (size_t j = 0; j < plen[k]; j++) {
            unsigned char c = (unsigned char)part[k][j];
            if (is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~')
                mxd_sb_putc(out, (char)c);
            else
                mxd_sb_printf(out, "%%%02X", c);
        }
    }
}

int mxd_spf_expand(const char *s, size_t len, mxd_spf_ms_kind kind,
                   const mxd_spf_macro_env *env, char **out)
{
    *out = NULL;
    if (!mxd_spf_macro_check(s, len, kind, NULL, NULL))
        return -1;
    mxd_sb sb = MXD_SB_INIT;
    for (size_t i = 0; i < len;) {
        if (s[i] != '%') {
            mxd_sb_putc(&sb, s[i++]);
            continue;
        }
        char c = s[i + 1]; /* macro_check guarantees a complete token */
        if (c == '%' || c == '_' || c == '-') {
            mxd_sb_puts(&sb, c == '%' ? "%" : c == '_' ? " " : "%20");
            i += 2;
            continue;
        }
        size_t j = i + 2;
        char letter = s[j];
        bool escape = letter >= 'A' && letter <= 'Z';
        letter = lower(letter);
        if (letter == 'p' && !env->p) {
            mxd_sb_free(&sb);
            return 1;
        }
        j++;
        unsigned long keep = 0;
        while (is_digit((unsigned char)s[j])) {
            if (keep < 100000)
                keep = keep * 10 + (unsigned long)(s[j] - '0');
            j++;
        }
        bool reverse = false;
        if (s[j] == 'r' || s[j] == 'R') {
            reverse = true;
            j++;
        }
        char delims[16];
        size_t nd = 0;
        while (s[j] != '}') {
            if (nd < sizeof delims - 1 && !memchr(delims, s[j], nd))
                delims[nd++] = s[j];
            j++;
        }
        if (nd == 0)
            delims[nd++] = '.';
        delims[nd] = '\0';
        transform(&sb, letter_value(env, letter), delims, reverse, keep, escape);
        i = j + 1;
        if (sb.len > EXPAND_MAX) {
            mxd_sb_free(&sb);
            return -1;
        }
    }
    if (!mxd_sb_ok(&sb)) {
        mxd_sb_free(&sb);
        return -1;
    }
    char *r = sb.buf ? mxd_sb_take(&sb) : strdup("");
    if (!r)
        return -1;
    *out = r;
    return 0;
}

static bool labels_ok(const char *p, size_t n)
{
    size_t lab = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '.') {
            if (lab == 0)
                return false;
            lab = 0;
        } else if (++lab > 63) {
            return false;
        }
    }
    return lab > 0;
}

bool mxd_spf_target_name(const char *expanded, char *raw, char *pres)
{
    if (!expanded)
        return false;
    const char *p = expanded;
    size_t n = strlen(p);
    if (n && p[n - 1] == '.')
        n--;
    /* §7.3: over 253 characters, drop labels from the left until it fits. */
    while (n > 253) {
        const char *dot = memchr(p, '.', n);
        if (!dot)
            return false;
        n -= (size_t)(dot + 1 - p);
        p = dot + 1;
    }
    if (!labels_ok(p, n) || memchr(p, '\0', n))
        return false;
    memcpy(raw, p, n);
    raw[n] = '\0';
    if (pres) {
        size_t o = 0;
        for (size_t i = 0; i < n && o + 5 < MXD_NAME_MAX; i++) {
            unsigned char c = (unsigned char)p[i];
            if (c < 0x21 || c > 0x7E || c == '\\')
                o += (size_t)snprintf(pres + o, MXD_NAME_MAX - o, "\\%03u", c);
            else
                pres[o++] = (char)c;
        }
        pres[o] = '\0';
    }
    return true;
}

bool mxd_spf_domain_ok(const char *domain)
{
    if (!domain)
        return false;
    size_t n = strlen(domain);
    if (n && domain[n - 1] == '.')
        n--;
    if (n == 0 || n > 253 || !labels_ok(domain, n))
        return false;
    const char *last = NULL;
    for (size_t i = 0; i < n; i++)
        if (domain[i] == '.')
            last = domain + i + 1;
    if (!last)
        return false; /* a single label is not a domain a sender can use */
    size_t tl = (size_t)(domain + n - last);
    /* toplabel: letters, digits, inner hyphens; not only digits */
    if (!tl || last[0] == '-' || last[tl - 1] == '-')
        return false;
    bool alpha = false, hyphen = false;
    for (size_t i = 0; i < tl; i++) {
        unsigned char c = (unsigned char)last[i];
        if (c == '-')
            hyphen = true;
        else if (is_alpha(c))
            alpha = true;
        else if (!is_digit(c))
            return false;
    }
    return alpha || hyphen;
}
