/* mtasts.c — MTA-STS record and policy parsing, MX pattern matching (see mtasts.h).
 *
 * Pure functions over bytes. The grammar is RFC 8461's ABNF, followed closely
 * because the point of a diagnosis is to say what a strict sender will reject;
 * the one leniency is blank lines in a policy, which real parsers accept and
 * which change nothing. Error texts name the line and the field, because the
 * reader has to find the mistake in a file on a web server.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mxd/mtasts.h"
#include "mxd/sanitize.h"

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }
static bool is_wsp(char c) { return c == ' ' || c == '\t'; }

/* A short, printable quote of untrusted bytes for an error message. */
static void quote(const char *s, size_t n, char *out, size_t cap)
{
    char *c = mxd_sanitize(s, n, 0, cap > 8 ? cap - 1 : 8);
    snprintf(out, cap, "%s", c ? c : "");
    free(c);
}

/* ---------------------------------------------------------------- record */

bool mxd_mtasts_record_candidate(const char *txt, size_t len)
{
    static const char v[] = "v=STSv1";
    size_t n = sizeof v - 1;
    if (len < n || memcmp(txt, v, n) != 0)
        return false;
    return len == n || txt[n] == ';' || is_wsp(txt[n]);
}

/* sts-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".") */
static bool ext_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > 32 || !is_alnum(s[0]))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
            return false;
    return true;
}

static int record_parse(const char *txt, size_t len, mxd_mtasts_record *out, char *err,
                        size_t errlen)
{
    if (!mxd_mtasts_record_candidate(txt, len))
        return fail(err, errlen, "does not start with v=STSv1");
    size_t i = 7;
    bool have_id = false, bad_id = false;
    char q[64];
    for (;;) {
        while (i < len && is_wsp(txt[i]))
            i++;
        if (i == len)
            break;
        if (txt[i] != ';') {
            quote(txt + i, len - i > 20 ? 20 : len - i, q, sizeof q);
            return fail(err, errlen, "expected ';' between fields, found \"%s\"", q);
        }
        i++;
        while (i < len && is_wsp(txt[i]))
            i++;
        if (i == len)
            break; /* a trailing ';' is allowed */
        size_t name = i;
        while (i < len && txt[i] != '=' && txt[i] != ';' && !is_wsp(txt[i]))
            i++;
        size_t nlen = i - name;
        if (i == len || txt[i] != '=') {
            quote(txt + name, nlen, q, sizeof q);
            return fail(err, errlen, "field \"%s\" has no '='", q);
        }
        if (!ext_name_ok(txt + name, nlen)) {
            quote(txt + name, nlen, q, sizeof q);
            return fail(err, errlen, "\"%s\" is not a valid field name", q);
        }
        i++;
        size_t val = i;
        /* sts-ext-value = 1*(%x21-3A / %x3C / %x3E-7E): no blank, ';' or '=' */
        while (i < len && (unsigned char)txt[i] > 0x20 && (unsigned char)txt[i] < 0x7F &&
               txt[i] != ';' && txt[i] != '=')
            i++;
        size_t vlen = i - val;
        if (vlen == 0) {
            quote(txt + name, nlen, q, sizeof q);
            return fail(err, errlen, "field \"%s\" has an empty value", q);
        }
        if (i < len && !is_wsp(txt[i]) && txt[i] != ';') {
            quote(txt + name, nlen, q, sizeof q);
            return fail(err, errlen, "the value of \"%s\" contains a character that is not allowed",
                        q);
        }
        if (nlen == 2 && memcmp(txt + name, "id", 2) == 0 && !have_id) {
            have_id = true; /* a repeated field keeps its first value */
            bad_id = vlen > MXD_MTASTS_ID_MAX;
            for (size_t k = 0; k < vlen && !bad_id; k++)
                bad_id = !is_alnum(txt[val + k]);
            if (!bad_id) {
                memcpy(out->id, txt + val, vlen);
                out->id[vlen] = '\0';
            } else {
                quote(txt + val, vlen, q, sizeof q);
                return fail(err, errlen, "id \"%s\" is not 1 to 32 letters and digits", q);
            }
        }
    }
    if (!have_id)
        return fail(err, errlen, "no id= field (the policy's version identifier)");
    return 0;
}

int mxd_mtasts_record_parse(const char *txt, size_t len, mxd_mtasts_record *out, char *err,
                            size_t errlen)
{
    mxd_mtasts_record r;
    memset(&r, 0, sizeof r);
    memset(out, 0, sizeof *out);
    if (record_parse(txt, len, &r, err, errlen) < 0)
        return -1; /* *out stays empty: no half-read id */
    *out = r;
    return 0;
}

/* ---------------------------------------------------------------- policy */

const char *mxd_mtasts_mode_name(mxd_mtasts_mode m)
{
    switch (m) {
    case MXD_MTASTS_MODE_NONE: return "none";
    case MXD_MTASTS_MODE_TESTING: return "testing";
    case MXD_MTASTS_MODE_ENFORCE: return "enforce";
    }
    return "?";
}

void mxd_mtasts_policy_free(mxd_mtasts_policy *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nmx; i++)
        free(p->mx[i]);
    free(p->mx);
    memset(p, 0, sizeof *p);
}

/* sts-policy-mx-value = ["*."] Domain, Domain as in RFC 5321 (letters, digits,
 * hyphens; no label starts or ends with a hyphen). Returns NULL or the reason. */
static const char *pattern_problem(const char *s, size_t n)
{
    if (n >= 2 && s[0] == '*' && s[1] == '.') {
        s += 2;
        n -= 2;
    }
    if (n == 0)
        return "it names no domain";
    if (n > 253)
        return "it is longer than 253 characters";
    if (s[n - 1] == '.')
        return "it ends with a dot (write the name without it)";
    size_t label = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (label == 0)
                return "it has an empty label (two dots in a row)";
            if (label > 63)
                return "a label is longer than 63 characters";
            if (s[i - 1] == '-' || s[i - label] == '-')
                return "a label starts or ends with a hyphen";
            label = 0;
            continue;
        }
        if (s[i] == '*')
            return "'*' is allowed only as the whole first label (*.example.com)";
        if (!is_alnum(s[i]) && s[i] != '-')
            return "it contains a character other than letters, digits, '-' and '.'";
        label++;
    }
    return NULL;
}

static int add_mx(mxd_mtasts_policy *p, const char *v, size_t n)
{
    char **nv = realloc(p->mx, (p->nmx + 1) * sizeof *nv);
    if (!nv)
        return -1;
    p->mx = nv;
    char *s = malloc(n + 1);
    if (!s)
        return -1;
    for (size_t i = 0; i < n; i++)
        s[i] = (v[i] >= 'A' && v[i] <= 'Z') ? (char)(v[i] - 'A' + 'a') : v[i];
    s[n] = '\0';
    p->mx[p->nmx++] = s;
    return 0;
}

enum { F_VERSION = 1, F_MODE = 2, F_MAX_AGE = 4 };

/* One "key: value" line (without its line end). */
static int policy_line(mxd_mtasts_policy *p, unsigned *seen, int lineno, const char *s, size_t n,
                       char *err, size_t errlen)
{
    char q[80];
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 && s[i] != '\t') {
            return fail(err, errlen, "line %d: contains a control character (%s)", lineno,
                        s[i] == '\r' ? "a carriage return not followed by a line feed"
                                     : "not allowed in a policy");
        } else if ((unsigned char)s[i] >= 0x7F) {
            if (lineno == 1 && i == 0 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
                return fail(err, errlen, "line 1: starts with a byte-order mark (save the file "
                                         "as plain ASCII or UTF-8 without BOM)");
            return fail(err, errlen, "line %d: contains a character outside ASCII", lineno);
        }
    const char *colon = memchr(s, ':', n);
    if (!colon) {
        quote(s, n > 40 ? 40 : n, q, sizeof q);
        return fail(err, errlen, "line %d: \"%s\" is not of the form key: value", lineno, q);
    }
    size_t klen = (size_t)(colon - s);
    if (!ext_name_ok(s, klen)) {
        quote(s, klen > 40 ? 40 : klen, q, sizeof q);
        return fail(err, errlen, "line %d: \"%s\" is not a valid key%s", lineno, q,
                    klen && is_wsp(s[klen - 1]) ? " (no blank is allowed before the ':')" : "");
    }
    const char *v = colon + 1, *end = s + n;
    while (v < end && is_wsp(*v))
        v++;
    while (end > v && is_wsp(end[-1]))
        end--;
    size_t vlen = (size_t)(end - v);
    char key[40];
    memcpy(key, s, klen);
    key[klen] = '\0';
    if (vlen == 0)
        return fail(err, errlen, "line %d: %s has no value", lineno, key);

    if (strcmp(key, "version") == 0) {
        if (*seen & F_VERSION)
            return 0; /* the first one counts (RFC 8461 §3.2) */
        *seen |= F_VERSION;
        if (vlen != 5 || memcmp(v, "STSv1", 5) != 0) {
            quote(v, vlen, q, sizeof q);
            return fail(err, errlen, "line %d: version is \"%s\", not STSv1", lineno, q);
        }
    } else if (strcmp(key, "mode") == 0) {
        if (*seen & F_MODE)
            return 0;
        *seen |= F_MODE;
        if (vlen == 7 && memcmp(v, "enforce", 7) == 0)
            p->mode = MXD_MTASTS_MODE_ENFORCE;
        else if (vlen == 7 && memcmp(v, "testing", 7) == 0)
            p->mode = MXD_MTASTS_MODE_TESTING;
        else if (vlen == 4 && memcmp(v, "none", 4) == 0)
            p->mode = MXD_MTASTS_MODE_NONE;
        else {
            quote(v, vlen, q, sizeof q);
            return fail(err, errlen, "line %d: mode is \"%s\", not enforce, testing or none "
                                     "(lower case)", lineno, q);
        }
    } else if (strcmp(key, "max_age") == 0) {
        if (*seen & F_MAX_AGE)
            return 0;
        *seen |= F_MAX_AGE;
        uint64_t age = 0;
        bool digits = vlen <= 10;
        for (size_t i = 0; i < vlen && digits; i++) {
            digits = is_digit(v[i]);
            age = age * 10 + (uint64_t)(v[i] - '0');
        }
        quote(v, vlen, q, sizeof q);
        if (!digits)
            return fail(err, errlen, "line %d: max_age \"%s\" is not a number of seconds",
                        lineno, q);
        if (age > MXD_MTASTS_MAX_AGE_MAX)
            return fail(err, errlen, "line %d: max_age %s is above the limit of %u seconds "
                                     "(one year)", lineno, q, MXD_MTASTS_MAX_AGE_MAX);
        p->max_age = (uint32_t)age;
    } else if (strcmp(key, "mx") == 0) {
        const char *why = pattern_problem(v, vlen);
        if (why) {
            quote(v, vlen, q, sizeof q);
            return fail(err, errlen, "line %d: mx \"%s\" is not a host name pattern: %s", lineno,
                        q, why);
        }
        if (add_mx(p, v, vlen) < 0)
            return fail(err, errlen, "out of memory");
    } else {
        /* An unknown key: ignored, so that future extensions do not break senders.
         * Its value must still be printable (sts-policy-ext-value). */
    }
    return 0;
}

int mxd_mtasts_policy_parse(const char *text, size_t len, mxd_mtasts_policy *out, char *err,
                            size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (err && errlen)
        err[0] = '\0';
    if (len > MXD_MTASTS_POLICY_MAX)
        return fail(err, errlen, "longer than %u bytes", MXD_MTASTS_POLICY_MAX);
    unsigned seen = 0;
    int lineno = 0;
    size_t i = 0, content = 0;
    while (i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t n = end - i;
        if (n && text[i + n - 1] == '\r' && nl)
            n--;
        lineno++;
        if (memchr(text + i, '\0', n)) {
            mxd_mtasts_policy_free(out);
            return fail(err, errlen, "line %d: contains a NUL byte", lineno);
        }
        bool blank = true;
        for (size_t k = 0; k < n && blank; k++)
            blank = is_wsp(text[i + k]);
        if (!blank) {
            content++;
            if (policy_line(out, &seen, lineno, text + i, n, err, errlen) < 0) {
                mxd_mtasts_policy_free(out);
                return -1;
            }
        }
        i = nl ? end + 1 : len;
    }
    const char *missing = !content              ? "the policy is empty"
                          : !(seen & F_VERSION) ? "no version: line (version: STSv1)"
                          : !(seen & F_MODE)    ? "no mode: line (enforce, testing or none)"
                          : !(seen & F_MAX_AGE) ? "no max_age: line (seconds to cache the policy)"
                          : (!out->nmx && out->mode != MXD_MTASTS_MODE_NONE)
                              ? "no mx: line (every MX host must be listed)"
                              : NULL;
    if (missing) {
        mxd_mtasts_policy_free(out);
        return fail(err, errlen, "%s", missing);
    }
    return 0;
}

/* ---------------------------------------------------------------- matching */

/* Compares n bytes of a and b without regard to ASCII case. */
static bool same_ci(const char *a, const char *b, size_t n)
{
    return strncasecmp(a, b, n) == 0;
}

bool mxd_mtasts_pattern_match(const char *pattern, const char *host)
{
    if (!pattern || !host)
        return false;
    size_t hn = strlen(host), pn = strlen(pattern);
    if (hn && host[hn - 1] == '.')
        hn--;
    if (pn && pattern[pn - 1] == '.')
        pn--;
    if (hn == 0 || pn == 0)
        return false;
    if (pn >= 2 && pattern[0] == '*' && pattern[1] == '.') {
        /* The wildcard stands for exactly one whole label: cut the host's first
         * label and compare the rest with the pattern after "*.". */
        const char *dot = memchr(host, '.', hn);
        if (!dot || dot == host)
            return false;
        size_t rest = hn - (size_t)(dot + 1 - host);
        return rest == pn - 2 && same_ci(dot + 1, pattern + 2, rest);
    }
    return hn == pn && same_ci(host, pattern, hn);
}

bool mxd_mtasts_mx_covered(const mxd_mtasts_policy *p, const char *mx_host)
{
    if (!p)
        return false;
    for (size_t i = 0; i < p->nmx; i++)
        if (mxd_mtasts_pattern_match(p->mx[i], mx_host))
            return true;
    return false;
}

void mxd_mtasts_patterns_join(const mxd_mtasts_policy *p, char *out, size_t cap)
{
    if (!cap)
        return;
    out[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; p && i < p->nmx; i++) {
        int n = snprintf(out + used, cap - used, "%s%s", i ? ", " : "", p->mx[i]);
        if (n < 0 || (size_t)n >= cap - used)
            break;
        used += (size_t)n;
    }
}

/* ---------------------------------------------------------------- result */

const char *mxd_mtasts_state_name(mxd_mtasts_state s)
{
    static const char *const n[] = { "not_run", "running", "no_record", "dns_error",
                                     "record_invalid", "skipped", "fetch_failed",
                                     "policy_invalid", "ok" };
    return (unsigned)s < sizeof n / sizeof n[0] ? n[s] : "?";
}

void mxd_mtasts_result_free(mxd_mtasts_result *r)
{
    if (!r)
        return;
    mxd_query_reset(&r->txt);
    mxd_query_reset(&r->a);
    mxd_query_reset(&r->aaaa);
    mxd_https_response_free(&r->http);
    mxd_mtasts_policy_free(&r->policy);
    memset(r, 0, sizeof *r);
}
