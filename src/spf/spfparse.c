/* spfparse.c — SPF record syntax (RFC 7208 §4.5, §4.6.1, §5, §6, §7.1); see spf.h.
 *
 * Pure functions over byte strings. The whole record is checked before any
 * evaluation (§4.6: a syntax error anywhere makes the record a permerror, even
 * after the term that would have matched), and every error says where it is
 * and what was expected, because the reader has to fix the record by hand.
 *
 * A few choices where the RFC's grammar meets practice (all of them what the
 * openspf test suite expects):
 *   - a name followed by "=" is a modifier only when the name starts with a
 *     letter; "redirect" and "exp" are never unknown modifiers, so a bad value
 *     for them is an error, not an ignored modifier;
 *   - dual CIDR lengths are taken from the end of an a/mx term ("//N", then
 *     "/N"), because a domain-spec may contain "/" but never ends in "/digits";
 *   - CIDR lengths and IPv4 numbers must not have leading zeros.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mxd/spf.h"

static bool is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static bool is_alnum(unsigned char c) { return is_alpha(c) || is_digit(c); }
static bool is_namech(unsigned char c) { return is_alnum(c) || c == '-' || c == '_' || c == '.'; }
static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }

bool mxd_spf_term_counts(mxd_spf_term_kind k)
{
    return k == MXD_SPF_T_INCLUDE || k == MXD_SPF_T_A || k == MXD_SPF_T_MX ||
           k == MXD_SPF_T_PTR || k == MXD_SPF_T_EXISTS || k == MXD_SPF_T_REDIRECT;
}

bool mxd_spf_is_record(const char *text, size_t len)
{
    return text && len >= 6 && strncasecmp(text, "v=spf1", 6) == 0 && (len == 6 || text[6] == ' ');
}

/* ---- macro-strings (§7.1) ----------------------------------------------- */

/* One macro-expand starting at s[i] == '%'. Returns its length, or 0 with the
 * fault's position and reason. */
static size_t macro_token(const char *s, size_t len, size_t i, mxd_spf_ms_kind kind,
                          size_t *errpos, const char **what)
{
    if (i + 1 >= len) {
        *errpos = i;
        *what = "a \"%\" at the end: write %% for a percent sign";
        return 0;
    }
    char c = s[i + 1];
    if (c == '%' || c == '_' || c == '-')
        return 2;
    if (c != '{') {
        *errpos = i;
        *what = "\"%\" must be followed by {, %, _ or - (write %% for a percent sign)";
        return 0;
    }
    size_t j = i + 2;
    char letter = j < len ? lower(s[j]) : '\0';
    if (!letter || !strchr("slodiphcrtv", letter)) {
        *errpos = j;
        *what = "unknown macro letter (known: s l o d i p h v, and c r t in explanations)";
        return 0;
    }
    if (kind == MXD_SPF_MS_DOMAIN && (letter == 'c' || letter == 'r' || letter == 't')) {
        *errpos = j;
        *what = "macro letters c, r and t are allowed only in explanation text";
        return 0;
    }
    j++;
    size_t d0 = j;
    unsigned long n = 0;
    while (j < len && is_digit((unsigned char)s[j])) {
        if (n < 100000)
            n = n * 10 + (unsigned long)(s[j] - '0');
        j++;
    }
    if (j > d0 && n == 0) {
        *errpos = d0;
        *what = "the number of parts a macro keeps must be 1 or more";
        return 0;
    }
    if (j < len && (s[j] == 'r' || s[j] == 'R'))
        j++;
    while (j < len && s[j] && strchr(".-+,/_=", s[j]))
        j++;
    if (j >= len || s[j] != '}') {
        *errpos = j < len ? j : len;
        *what = "macro not closed with \"}\" (inside: a letter, digits, r, delimiters . - + , / _ =)";
        return 0;
    }
    return j + 1 - i;
}

/* toplabel = ( *alphanum ALPHA *alphanum ) /
 *            ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) */
static bool toplabel_ok(const char *s, size_t n)
{
    if (n == 0 || !is_alnum((unsigned char)s[0]) || !is_alnum((unsigned char)s[n - 1]))
        return false;
    bool alpha = false, hyphen = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '-')
            hyphen = true;
        else if (is_alpha(c))
            alpha = true;
        else if (!is_digit(c))
            return false;
    }
    return alpha || hyphen;
}

bool mxd_spf_macro_check(const char *s, size_t len, mxd_spf_ms_kind kind,
                         size_t *errpos, const char **what)
{
    size_t ep = 0;
    const char *w = NULL;
    size_t lit_start = 0; /* s[lit_start..len) holds no macro */
    bool ends_in_macro = false;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            size_t n = macro_token(s, len, i, kind, &ep, &w);
            if (!n)
                goto bad;
            i += n;
            lit_start = i;
            ends_in_macro = true;
            continue;
        }
        if (c == ' ' && kind == MXD_SPF_MS_EXPLAIN) {
            i++;
            ends_in_macro = false;
            continue;
        }
        if (c < 0x21 || c > 0x7E) {
            ep = i;
            w = c >= 0x80 ? "non-ASCII byte (SPF records are plain ASCII)"
                : c == ' ' ? "space inside a term"
                : "control character (terms are separated by single spaces)";
            goto bad;
        }
        ends_in_macro = false;
        i++;
    }
    if (kind != MXD_SPF_MS_DOMAIN || ends_in_macro)
        return true;
    /* domain-end = ( "." toplabel [ "." ] ) / macro-expand */
    if (len == 0) {
        ep = 0;
        w = "empty domain";
        goto bad;
    }
    {
        size_t n = len;
        if (n > lit_start && s[n - 1] == '.')
            n--;
        size_t dot = n;
        while (dot > lit_start && s[dot - 1] != '.')
            dot--;
        if (dot == lit_start) {
            ep = lit_start;
            w = "the domain must end in a top-level label such as \".com\", or in a macro";
            goto bad;
        }
        if (!toplabel_ok(s + dot, n - dot)) {
            ep = dot;
            w = "the last label must be a top-level name: letters, digits and inner hyphens, not only digits";
            goto bad;
        }
    }
    return true;
bad:
    if (errpos)
        *errpos = ep;
    if (what)
        *what = w;
    return false;
}

bool mxd_spf_macro_uses(const char *s, char letter)
{
    if (!s)
        return false;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] != '%' || !s[i + 1])
            continue;
        if (s[i + 1] == '{' && s[i + 2] && lower(s[i + 2]) == letter)
            return true;
        i++; /* skip the escaped character ("%%{p}" is literal text) */
    }
    return false;
}

/* ---- terms ---------------------------------------------------------------- */

typedef struct pctx {
    const char *text;
    mxd_spf_syntax *err;
    size_t tpos, tlen;   /* the term being parsed */
} pctx;

static int fail(pctx *p, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(pctx *p, size_t pos, const char *fmt, ...)
{
    p->err->pos = pos;
    p->err->term_pos = p->tpos;
    p->err->term_len = p->tlen;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err->what, sizeof p->err->what, fmt, ap);
    va_end(ap);
    return -1;
}

/* A CIDR length: "0" or no leading zero, at most max. */
static int cidr(pctx *p, size_t pos, const char *d, size_t n, int max)
{
    if (n == 0)
        return fail(p, pos, "a CIDR prefix needs a number after \"/\"");
    if (n > 1 && d[0] == '0')
        return fail(p, pos, "CIDR prefix \"/%.*s\" must not have a leading zero", (int)(n > 8 ? 8 : n), d);
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit((unsigned char)d[i]))
            return fail(p, pos + i, "a CIDR prefix is a number");
        if (v <= 1000)
            v = v * 10 + (d[i] - '0');
    }
    if (v > max)
        return fail(p, pos, "CIDR prefix /%.*s is longer than %d", (int)(n > 8 ? 8 : n), d, max);
    return (int)v;
}

/* ip4-network: four numbers 0..255 without leading zeros. */
static bool ip4_ok(const char *s, size_t n, uint8_t out[4])
{
    size_t i = 0;
    for (int k = 0; k < 4; k++) {
        if (k) {
            if (i >= n || s[i] != '.')
                return false;
            i++;
        }
        size_t d0 = i;
        unsigned v = 0;
        while (i < n && is_digit((unsigned char)s[i]) && i - d0 < 4)
            v = v * 10 + (unsigned)(s[i++] - '0');
        size_t nd = i - d0;
        if (nd == 0 || nd > 3 || (nd > 1 && s[d0] == '0') || v > 255)
            return false;
        out[k] = (uint8_t)v;
    }
    return i == n;
}

static bool ip6_ok(const char *s, size_t n, uint8_t out[16])
{
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(is_digit(c) || (lower((char)c) >= 'a' && lower((char)c) <= 'f') || c == ':' || c == '.'))
            return false;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    return inet_pton(AF_INET6, buf, out) == 1;
}

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* Checks a domain-spec at record offset pos and stores a copy in t->spec. */
static int domain_spec(pctx *p, mxd_spf_term *t, size_t pos, const char *s, size_t n,
                       const char *after)
{
    if (n == 0)
        return fail(p, pos, "empty domain after \"%s\"", after);
    size_t ep = 0;
    const char *what = NULL;
    if (!mxd_spf_macro_check(s, n, MXD_SPF_MS_DOMAIN, &ep, &what))
        return fail(p, pos + ep, "%s", what);
    if (!(t->spec = dupn(s, n)))
        return fail(p, pos, "out of memory");
    return 0;
}

static const struct {
    const char *name;
    mxd_spf_term_kind kind;
} mechs[] = {
    { "all", MXD_SPF_T_ALL }, { "include", MXD_SPF_T_INCLUDE }, { "a", MXD_SPF_T_A },
    { "mx", MXD_SPF_T_MX }, { "ptr", MXD_SPF_T_PTR }, { "ip4", MXD_SPF_T_IP4 },
    { "ip6", MXD_SPF_T_IP6 }, { "exists", MXD_SPF_T_EXISTS },
};

static int parse_modifier(pctx *p, mxd_spf_record *r, mxd_spf_term *t, size_t namelen)
{
    const char *s = p->text + p->tpos;
    const char *val = s + namelen + 1;
    size_t vlen = p->tlen - namelen - 1, vpos = p->tpos + namelen + 1;
    if (namelen == 8 && strncasecmp(s, "redirect", 8) == 0) {
        if (r->redirect >= 0)
            return fail(p, p->tpos, "\"redirect\" appears twice (it may appear once)");
        t->kind = MXD_SPF_T_REDIRECT;
        r->redirect = (int)r->nterms;
        return domain_spec(p, t, vpos, val, vlen, "redirect=");
    }
    if (namelen == 3 && strncasecmp(s, "exp", 3) == 0) {
        if (r->exp >= 0)
            return fail(p, p->tpos, "\"exp\" appears twice (it may appear once)");
        t->kind = MXD_SPF_T_EXP;
        r->exp = (int)r->nterms;
        return domain_spec(p, t, vpos, val, vlen, "exp=");
    }
    t->kind = MXD_SPF_T_UNKNOWN_MOD;
    size_t ep = 0;
    const char *what = NULL;
    if (!mxd_spf_macro_check(val, vlen, MXD_SPF_MS_VALUE, &ep, &what))
        return fail(p, vpos + ep, "%s", what);
    if (!(t->name = dupn(s, namelen)) || !(t->spec = dupn(val, vlen)))
        return fail(p, p->tpos, "out of memory");
    return 0;
}

/* a and mx: [ ":" domain-spec ] [ ip4-cidr-length ] [ "/" ip6-cidr-length ] */
static int parse_dual(pctx *p, mxd_spf_term *t, const char *name, size_t apos, const char *arg,
                      size_t alen)
{
    size_t end = alen, k = alen;
    while (k > 0 && is_digit((unsigned char)arg[k - 1]))
        k--;
    if (k < end && k >= 2 && arg[k - 1] == '/' && arg[k - 2] == '/') {
        if ((t->cidr6 = cidr(p, apos + k, arg + k, end - k, 128)) < 0)
            return -1;
        end = k - 2;
        k = end;
        while (k > 0 && is_digit((unsigned char)arg[k - 1]))
            k--;
    }
    if (k < end && k >= 1 && arg[k - 1] == '/') {
        if ((t->cidr4 = cidr(p, apos + k, arg + k, end - k, 32)) < 0)
            return -1;
        end = k - 1;
    }
    if (end == 0)
        return 0;
    if (arg[0] != ':') {
        if (arg[0] == '/')
            return fail(p, apos, "a CIDR prefix is \"/\" and a number (\"//\" and a number for IPv6)");
        return fail(p, apos, "expected \":\" and a domain, or a CIDR prefix, after \"%s\"", name);
    }
    char after[16];
    snprintf(after, sizeof after, "%s:", name);
    return domain_spec(p, t, apos + 1, arg + 1, end - 1, after);
}

static int parse_ip(pctx *p, mxd_spf_term *t, bool v6, size_t apos, const char *arg, size_t alen)
{
    const char *name = v6 ? "ip6" : "ip4";
    if (alen == 0 || arg[0] != ':')
        return fail(p, apos, "\"%s\" needs \":\" and an %s address", name, v6 ? "IPv6" : "IPv4");
    const char *net = arg + 1;
    size_t nlen = alen - 1;
    const char *slash = memchr(net, '/', nlen);
    size_t alen2 = slash ? (size_t)(slash - net) : nlen;
    if (v6 ? !ip6_ok(net, alen2, t->net) : !ip4_ok(net, alen2, t->net))
        return fail(p, apos + 1, v6 ? "not a valid IPv6 address"
                                    : "not a valid IPv4 address (four numbers 0-255, no leading zeros)");
    if (!slash)
        return 0;
    size_t cpos = apos + 1 + alen2 + 1;
    const char *c = slash + 1;
    size_t clen = nlen - alen2 - 1;
    if (clen && c[0] == '/')
        return fail(p, cpos - 1, "\"%s\" takes one prefix length (\"/N\"); \"//\" is for a and mx", name);
    int v = cidr(p, cpos, c, clen, v6 ? 128 : 32);
    if (v < 0)
        return -1;
    if (v6)
        t->cidr6 = v;
    else
        t->cidr4 = v;
    return 0;
}

static int parse_term(pctx *p, mxd_spf_record *r, mxd_spf_term *t)
{
    const char *s = p->text + p->tpos;
    size_t n = p->tlen;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80)
            return fail(p, p->tpos + i, "non-ASCII byte 0x%02X (SPF records are plain ASCII)", c);
        if (c < 0x21 || c == 0x7F)
            return fail(p, p->tpos + i,
                        "control character 0x%02X inside a term (terms are separated by spaces)", c);
    }
    /* Modifier: name "=" ... where name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ) */
    size_t nl = 0;
    while (nl < n && is_namech((unsigned char)s[nl]))
        nl++;
    if (nl < n && s[nl] == '=') {
        if (nl == 0)
            return fail(p, p->tpos, "a modifier needs a name before \"=\"");
        if (!is_alpha((unsigned char)s[0]))
            return fail(p, p->tpos, "a modifier name must start with a letter");
        return parse_modifier(p, r, t, nl);
    }
    size_t i = 0;
    if (strchr("+-~?", s[0])) {
        t->qualifier = s[0];
        t->qualifier_given = true;
        i = 1;
    }
    size_t m0 = i;
    while (i < n && is_namech((unsigned char)s[i]))
        i++;
    if (i == m0)
        return fail(p, p->tpos + m0, "expected a mechanism (all, include, a, mx, ptr, ip4, ip6, exists)");
    bool known = false;
    for (size_t k = 0; k < sizeof mechs / sizeof mechs[0]; k++)
        if (strlen(mechs[k].name) == i - m0 && strncasecmp(s + m0, mechs[k].name, i - m0) == 0) {
            t->kind = mechs[k].kind;
            known = true;
        }
    if (!known) {
        if (i - m0 == 8 && strncasecmp(s + m0, "redirect", 8) == 0)
            return fail(p, p->tpos + m0, "\"redirect\" is a modifier: write redirect=domain");
        if (i - m0 == 3 && strncasecmp(s + m0, "exp", 3) == 0)
            return fail(p, p->tpos + m0, "\"exp\" is a modifier: write exp=domain");
        return fail(p, p->tpos + m0, "unknown mechanism \"%.*s\"",
                    (int)(i - m0 > 40 ? 40 : i - m0), s + m0);
    }
    const char *name = mechs[0].name;
    for (size_t k = 0; k < sizeof mechs / sizeof mechs[0]; k++)
        if (mechs[k].kind == t->kind)
            name = mechs[k].name;
    const char *arg = s + i;
    size_t alen = n - i, apos = p->tpos + i;
    switch (t->kind) {
    case MXD_SPF_T_ALL:
        if (alen)
            return fail(p, apos, "\"all\" takes nothing after it");
        return 0;
    case MXD_SPF_T_INCLUDE:
    case MXD_SPF_T_EXISTS:
        if (alen == 0)
            return fail(p, apos, "\"%s\" needs \":\" and a domain", name);
        if (arg[0] != ':')
            return fail(p, apos, "\"%s\" takes \":\" and a domain%s", name,
                        arg[0] == '/' ? ", no CIDR prefix" : "");
        return domain_spec(p, t, apos + 1, arg + 1, alen - 1, t->kind == MXD_SPF_T_INCLUDE ? "include:" : "exists:");
    case MXD_SPF_T_PTR:
        if (alen == 0)
            return 0;
        if (arg[0] != ':')
            return fail(p, apos, "\"ptr\" takes an optional \":\" and a domain%s",
                        arg[0] == '/' ? ", no CIDR prefix" : "");
        return domain_spec(p, t, apos + 1, arg + 1, alen - 1, "ptr:");
    case MXD_SPF_T_A:
    case MXD_SPF_T_MX:
        return parse_dual(p, t, name, apos, arg, alen);
    case MXD_SPF_T_IP4:
    case MXD_SPF_T_IP6:
        return parse_ip(p, t, t->kind == MXD_SPF_T_IP6, apos, arg, alen);
    default:
        return fail(p, apos, "internal: unexpected term");
    }
}

void mxd_spf_record_free(mxd_spf_record *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nterms; i++) {
        free(r->terms[i].spec);
        free(r->terms[i].name);
    }
    free(r->terms);
    memset(r, 0, sizeof *r);
    r->redirect = r->exp = -1;
}

int mxd_spf_parse(const char *text, size_t len, mxd_spf_record *out, mxd_spf_syntax *err)
{
    mxd_spf_syntax dummy;
    if (!err)
        err = &dummy;
    memset(err, 0, sizeof *err);
    memset(out, 0, sizeof *out);
    out->redirect = out->exp = -1;
    pctx p = { .text = text, .err = err, .tpos = 0, .tlen = len };
    if (!mxd_spf_is_record(text, len)) {
        fail(&p, 0, "an SPF record starts with \"v=spf1\" followed by a space");
        return -1;
    }
    size_t cap = 0;
    for (size_t i = 6; i < len;) {
        if (text[i] == ' ') {
            i++;
            continue;
        }
        size_t start = i;
        while (i < len && text[i] != ' ')
            i++;
        if (out->nterms == cap) {
            size_t nc = cap ? cap * 2 : 8;
            mxd_spf_term *nt = realloc(out->terms, nc * sizeof *nt);
            if (!nt) {
                fail(&p, start, "out of memory");
                mxd_spf_record_free(out);
                return -1;
            }
            out->terms = nt;
            cap = nc;
        }
        mxd_spf_term *t = &out->terms[out->nterms];
        memset(t, 0, sizeof *t);
        t->qualifier = '+';
        t->cidr4 = t->cidr6 = -1;
        t->pos = start;
        t->len = i - start;
        p.tpos = start;
        p.tlen = i - start;
        int rc = parse_term(&p, out, t);
        out->nterms++; /* counted even on failure, so free() releases its strings */
        if (rc < 0) {
            mxd_spf_record_free(out);
            return -1;
        }
    }
    return 0;
}
