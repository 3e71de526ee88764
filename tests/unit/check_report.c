/* check_report.c — the report writers (text, Markdown, JSON) and the JSON writer.
 *
 * Results are built by hand: a healthy domain with two MX hosts and SMTP
 * outcomes, a domain that does not exist, and a hostile one whose remote strings
 * carry ESC, C1 CSI, bidi overrides, invalid UTF-8, quotes, backslashes and
 * Markdown/HTML syntax. JSON output goes through a strict parser written here
 * (RFC 8259 grammar, strict UTF-8, no raw controls, no duplicate names) that also
 * builds a small tree for checking the contract's keys and types.
 *
 * The catalog is the real one: $MXDOCTOR_HELP, else help/ (make runs tests from
 * the repository root).
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxd/catalog.h"
#include "mxd/checks.h"
#include "mxd/finding.h"
#include "mxd/json.h"
#include "mxd/report.h"
#include "mxd/result.h"
#include "mxd/sanitize.h"
#include "mxd/steps.h"

/* ---- a strict JSON parser --------------------------------------------------- */

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jnode {
    jtype t;
    bool b;
    double num;
    char *s;            /* J_STR: decoded UTF-8 (may hold NUL; see slen) */
    size_t slen;
    struct jnode **kid; /* J_ARR, J_OBJ */
    char **key;         /* J_OBJ */
    size_t n;
} jnode;

typedef struct jparser {
    const unsigned char *p, *end;
    const char *err;
    int depth;
} jparser;

static void jfree(jnode *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++) {
        jfree(n->kid[i]);
        if (n->key)
            free(n->key[i]);
    }
    free(n->kid);
    free(n->key);
    free(n->s);
    free(n);
}

static void ws(jparser *jp)
{
    while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' || *jp->p == '\r'))
        jp->p++;
}

/* Strict UTF-8: no overlongs, no surrogates, nothing above U+10FFFF. */
static size_t utf8_len(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        len = 2; v = c & 0x1F; min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3; v = c & 0x0F; min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4; v = c & 0x07; min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

static bool valid_utf8(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t cp;
    for (size_t i = 0; i < n;) {
        size_t l = utf8_len(p + i, n - i, &cp);
        if (!l)
            return false;
        i += l;
    }
    return true;
}

static void put_utf8(char *buf, size_t *len, uint32_t cp)
{
    if (cp < 0x80) {
        buf[(*len)++] = (char)cp;
    } else if (cp < 0x800) {
        buf[(*len)++] = (char)(0xC0 | (cp >> 6));
        buf[(*len)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        buf[(*len)++] = (char)(0xE0 | (cp >> 12));
        buf[(*len)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        buf[(*len)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        buf[(*len)++] = (char)(0xF0 | (cp >> 18));
        buf[(*len)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        buf[(*len)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        buf[(*len)++] = (char)(0x80 | (cp & 0x3F));
    }
}

static bool hex4(jparser *jp, uint32_t *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        if (jp->p >= jp->end)
            return false;
        unsigned char c = *jp->p++;
        *v <<= 4;
        if (c >= '0' && c <= '9')
            *v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            *v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            *v |= (uint32_t)(c - 'A' + 10);
        else
            return false;
    }
    return true;
}

static char *jstring(jparser *jp, size_t *outlen)
{
    if (jp->p >= jp->end || *jp->p != '"') {
        jp->err = "string expected";
        return NULL;
    }
    jp->p++;
    char *buf = malloc((size_t)(jp->end - jp->p) + 1);
    size_t len = 0;
    while (jp->p < jp->end && *jp->p != '"') {
        unsigned char c = *jp->p;
        if (c < 0x20) {
            jp->err = "raw control character in string";
            free(buf);
            return NULL;
        }
        if (c == '\\') {
            jp->p++;
            if (jp->p >= jp->end)
                break;
            unsigned char e = *jp->p++;
            uint32_t cp;
            switch (e) {
            case '"': buf[len++] = '"'; break;
            case '\\': buf[len++] = '\\'; break;
            case '/': buf[len++] = '/'; break;
            case 'b': buf[len++] = '\b'; break;
            case 'f': buf[len++] = '\f'; break;
            case 'n': buf[len++] = '\n'; break;
            case 'r': buf[len++] = '\r'; break;
            case 't': buf[len++] = '\t'; break;
            case 'u':
                if (!hex4(jp, &cp)) {
                    jp->err = "bad \\u escape";
                    free(buf);
                    return NULL;
                }
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    uint32_t lo;
                    if (jp->end - jp->p < 6 || jp->p[0] != '\\' || jp->p[1] != 'u') {
                        jp->err = "lone high surrogate";
                        free(buf);
                        return NULL;
                    }
                    jp->p += 2;
                    if (!hex4(jp, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
                        jp->err = "bad low surrogate";
                        free(buf);
                        return NULL;
                    }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    jp->err = "lone low surrogate";
                    free(buf);
                    return NULL;
                }
                put_utf8(buf, &len, cp);
                break;
            default:
                jp->err = "unknown escape";
                free(buf);
                return NULL;
            }
            continue;
        }
        uint32_t cp;
        size_t l = utf8_len(jp->p, (size_t)(jp->end - jp->p), &cp);
        if (!l) {
            jp->err = "invalid UTF-8 in string";
            free(buf);
            return NULL;
        }
        memcpy(buf + len, jp->p, l);
        len += l;
        jp->p += l;
    }
    if (jp->p >= jp->end) {
        jp->err = "unterminated string";
        free(buf);
        return NULL;
    }
    jp->p++;
    buf[len] = '\0';
    *outlen = len;
    return buf;
}

static jnode *jvalue(jparser *jp);

static bool jadd(jnode *n, jnode *kid, char *key)
{
    n->kid = realloc(n->kid, (n->n + 1) * sizeof *n->kid);
    if (n->t == J_OBJ)
        n->key = realloc(n->key, (n->n + 1) * sizeof *n->key);
    n->kid[n->n] = kid;
    if (n->t == J_OBJ)
        n->key[n->n] = key;
    n->n++;
    return true;
}

static jnode *jcontainer(jparser *jp, bool obj)
{
    jnode *n = calloc(1, sizeof *n);
    n->t = obj ? J_OBJ : J_ARR;
    jp->p++;
    if (++jp->depth > 64) {
        jp->err = "too deep";
        return n;
    }
    ws(jp);
    if (jp->p < jp->end && *jp->p == (obj ? '}' : ']')) {
        jp->p++;
        jp->depth--;
        return n;
    }
    for (;;) {
        char *key = NULL;
        if (obj) {
            ws(jp);
            size_t kl;
            key = jstring(jp, &kl);
            if (!key)
                return n;
            for (size_t i = 0; i < n->n; i++)
                if (strcmp(n->key[i], key) == 0) {
                    jp->err = "duplicate name in object";
                    free(key);
                    return n;
                }
            ws(jp);
            if (jp->p >= jp->end || *jp->p != ':') {
                jp->err = "':' expected";
                free(key);
                return n;
            }
            jp->p++;
        }
        jnode *kid = jvalue(jp);
        jadd(n, kid, key);
        if (jp->err)
            return n;
        ws(jp);
        if (jp->p < jp->end && *jp->p == ',') {
            jp->p++;
            continue;
        }
        if (jp->p < jp->end && *jp->p == (obj ? '}' : ']')) {
            jp->p++;
            jp->depth--;
            return n;
        }
        jp->err = "',' or end expected";
        return n;
    }
}

static jnode *jnumber(jparser *jp)
{
    const unsigned char *s = jp->p;
    if (jp->p < jp->end && *jp->p == '-')
        jp->p++;
    if (jp->p < jp->end && *jp->p == '0') {
        jp->p++;
    } else if (jp->p < jp->end && *jp->p >= '1' && *jp->p <= '9') {
        while (jp->p < jp->end && *jp->p >= '0' && *jp->p <= '9')
            jp->p++;
    } else {
        jp->err = "bad number";
        return NULL;
    }
    if (jp->p < jp->end && *jp->p == '.') {
        jp->p++;
        if (jp->p >= jp->end || *jp->p < '0' || *jp->p > '9') {
            jp->err = "bad fraction";
            return NULL;
        }
        while (jp->p < jp->end && *jp->p >= '0' && *jp->p <= '9')
            jp->p++;
    }
    if (jp->p < jp->end && (*jp->p == 'e' || *jp->p == 'E')) {
        jp->p++;
        if (jp->p < jp->end && (*jp->p == '+' || *jp->p == '-'))
            jp->p++;
        if (jp->p >= jp->end || *jp->p < '0' || *jp->p > '9') {
            jp->err = "bad exponent";
            return NULL;
        }
        while (jp->p < jp->end && *jp->p >= '0' && *jp->p <= '9')
            jp->p++;
    }
    jnode *n = calloc(1, sizeof *n);
    n->t = J_NUM;
    char tmp[64];
    size_t l = (size_t)(jp->p - s) < sizeof tmp - 1 ? (size_t)(jp->p - s) : sizeof tmp - 1;
    memcpy(tmp, s, l);
    tmp[l] = '\0';
    n->num = strtod(tmp, NULL);
    return n;
}

static bool lit(jparser *jp, const char *w)
{
    size_t l = strlen(w);
    if ((size_t)(jp->end - jp->p) < l || memcmp(jp->p, w, l) != 0)
        return false;
    jp->p += l;
    return true;
}

static jnode *jvalue(jparser *jp)
{
    ws(jp);
    if (jp->p >= jp->end) {
        jp->err = "value expected";
        return NULL;
    }
    jnode *n;
    switch (*jp->p) {
    case '{': return jcontainer(jp, true);
    case '[': return jcontainer(jp, false);
    case '"':
        n = calloc(1, sizeof *n);
        n->t = J_STR;
        n->s = jstring(jp, &n->slen);
        return n;
    case 't':
    case 'f':
    case 'n':
        n = calloc(1, sizeof *n);
        if (lit(jp, "true")) {
            n->t = J_BOOL;
            n->b = true;
        } else if (lit(jp, "false")) {
            n->t = J_BOOL;
        } else if (lit(jp, "null")) {
            n->t = J_NULL;
        } else {
            jp->err = "bad literal";
        }
        return n;
    default:
        return jnumber(jp);
    }
}

/* Parses the whole document; NULL with *err set when it is not strict JSON. */
static jnode *jparse(const char *s, size_t len, const char **err)
{
    jparser jp = { (const unsigned char *)s, (const unsigned char *)s + len, NULL, 0 };
    jnode *n = jvalue(&jp);
    if (!jp.err) {
        ws(&jp);
        if (jp.p != jp.end)
            jp.err = "trailing bytes";
    }
    if (jp.err) {
        *err = jp.err;
        jfree(n);
        return NULL;
    }
    *err = NULL;
    return n;
}

static const jnode *jget(const jnode *o, const char *key)
{
    if (!o || o->t != J_OBJ)
        return NULL;
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->key[i], key) == 0)
            return o->kid[i];
    return NULL;
}

/* Asserts that o has key of type t and returns it. */
static const jnode *need(const jnode *o, const char *key, jtype t)
{
    const jnode *v = jget(o, key);
    ck_assert_msg(v != NULL, "JSON key '%s' missing", key);
    ck_assert_msg(v->t == t, "JSON key '%s' has type %d, want %d", key, (int)v->t, (int)t);
    return v;
}

static const jnode *need_str_or_null(const jnode *o, const char *key)
{
    const jnode *v = jget(o, key);
    ck_assert_msg(v != NULL, "JSON key '%s' missing", key);
    ck_assert_msg(v->t == J_STR || v->t == J_NULL, "JSON key '%s' not string/null", key);
    return v;
}

/* Every decoded string in the tree is free of controls, C1 and bidi controls. */
static void assert_strings_clean(const jnode *n)
{
    if (!n)
        return;
    if (n->t == J_STR) {
        ck_assert_msg(n->slen == strlen(n->s), "decoded string holds NUL");
        ck_assert_msg(mxd_is_clean(n->s, n->slen, 0), "decoded JSON string not clean: %s", n->s);
    }
    for (size_t i = 0; i < n->n; i++) {
        if (n->key)
            ck_assert_msg(mxd_is_clean(n->key[i], strlen(n->key[i]), 0), "key not clean");
        assert_strings_clean(n->kid[i]);
    }
}

/* ---- output checks common to all formats ------------------------------------ */

/* Valid UTF-8, and no C0 control except \n, no DEL, no C1, no bidi control. */
static void assert_terminal_safe(const char *s, size_t len, const char *what)
{
    ck_assert_msg(strlen(s) == len, "%s: NUL byte in output", what);
    ck_assert_msg(valid_utf8(s, len), "%s: invalid UTF-8", what);
    ck_assert_msg(mxd_is_clean(s, len, MXD_SAN_KEEP_NEWLINES), "%s: unsafe character", what);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        ck_assert_msg(c != 0x1B, "%s: ESC at byte %zu", what, i);
        ck_assert_msg(c >= 0x20 || c == '\n', "%s: control 0x%02X at byte %zu", what, c, i);
    }
}

/* ---- fixtures --------------------------------------------------------------- */

static mxd_catalog *cat_en, *cat_ja;

static const char *help_dir(void)
{
    const char *h = getenv("MXDOCTOR_HELP");
    return h && *h ? h : "help";
}

static void load_catalogs(void)
{
    char err[512];
    cat_en = mxd_catalog_load(help_dir(), MXD_LANG_EN, err, sizeof err);
    ck_assert_msg(cat_en != NULL, "en catalog: %s", err);
    cat_ja = mxd_catalog_load(help_dir(), MXD_LANG_JA, err, sizeof err);
    ck_assert_msg(cat_ja != NULL, "ja catalog: %s", err);
}

static void free_catalogs(void)
{
    mxd_catalog_free(cat_en);
    mxd_catalog_free(cat_ja);
    cat_en = cat_ja = NULL;
}

static void set_addr(mxd_addr *a, int family, const char *text)
{
    a->family = family;
    snprintf(a->text, sizeof a->text, "%s", text);
}

static mxd_target *add_target(mxd_result *r, uint16_t pref, const char *host, uint32_t ttl,
                              size_t naddrs)
{
    r->targets = realloc(r->targets, (r->ntargets + 1) * sizeof *r->targets);
    ck_assert_ptr_nonnull(r->targets);
    mxd_target *t = &r->targets[r->ntargets++];
    memset(t, 0, sizeof *t);
    t->pref = pref;
    snprintf(t->host, sizeof t->host, "%s", host);
    t->ttl = ttl;
    t->duplicate_of = -1;
    t->naddrs = naddrs;
    t->addrs = calloc(naddrs ? naddrs : 1, sizeof *t->addrs);
    t->smtp = calloc(naddrs ? naddrs : 1, sizeof *t->smtp);
    return t;
}

static void smtp_ok(mxd_smtp *s, const char *greeting)
{
    s->state = MXD_SMTP_DONE;
    s->end = MXD_SMTP_END_OK;
    s->connect_ms = 12;
    s->total_ms = 80;
    s->greeting_code = 220;
    snprintf(s->greeting, sizeof s->greeting, "%s", greeting);
    s->ehlo_code = 250;
    s->n_ext = 2;
    s->ext = calloc(2, sizeof *s->ext);
    s->ext[0] = strdup("PIPELINING");
    s->ext[1] = strdup("STARTTLS");
    s->starttls_offered = true;
    s->tls_attempted = true;
    s->tls_ok = true;
    strcpy(s->tls_version, "TLSv1.3");
    strcpy(s->tls_cipher, "TLS_AES_256_GCM_SHA384");
    s->cert.present = true;
    s->cert.trusted = true;
    s->cert.name_matches = true;
    strcpy(s->cert.subject, "CN=mx1.example.com");
    strcpy(s->cert.issuer, "CN=Example CA");
    strcpy(s->cert.names, "mx1.example.com");
    s->cert.not_before = 1704067200; /* 2024-01-01T00:00:00Z */
    s->cert.not_after = 1735689599;  /* 2024-12-31T23:59:59Z */
}

static char *resolvers_opt[] = { "127.0.0.1:5300" };

/* example.com: two MX hosts in sender order. The names are not in alphabetical
 * order so a writer that sorted them would be caught. */
static void healthy(mxd_result *r, mxd_findings *fs)
{
    memset(r, 0, sizeof *r);
    strcpy(r->input, "User@Example.com");
    strcpy(r->domain, "example.com");
    strcpy(r->domain_ascii, "example.com");
    r->started_at = 1714564800; /* 2024-05-01T12:00:00Z */
    r->elapsed_ms = 1234;
    r->finished = true;
    strcpy(r->resolvers[0], "127.0.0.1:5300");
    r->nresolvers = 1;
    r->opts.resolvers = resolvers_opt;
    r->opts.nresolvers = 1;
    r->opts.smtp_port = 25;
    r->mx.state = MXD_Q_OK;
    mxd_target *t = add_target(r, 10, "zz-mx1.example.com", 3600, 2);
    set_addr(&t->addrs[0], 2, "192.0.2.10");
    set_addr(&t->addrs[1], 10, "2001:db8::10");
    smtp_ok(&t->smtp[0], "zz-mx1.example.com ESMTP ready");
    t->smtp[1].state = MXD_SMTP_DONE;
    t->smtp[1].end = MXD_SMTP_END_REFUSED;
    strcpy(t->smtp[1].error, "Connection refused");
    t = add_target(r, 20, "aa-mx2.example.com", 3600, 1);
    set_addr(&t->addrs[0], 2, "192.0.2.20");
    smtp_ok(&t->smtp[0], "aa-mx2.example.com ESMTP");

    mxd_finding *f = mxd_findings_add(fs, "mx", "mx.found", MXD_SEV_PASS, "example.com");
    mxd_finding_param(f, "domain", "example.com");
    mxd_finding_param(f, "count", "2");
    mxd_finding_param(f, "hosts", "10 zz-mx1.example.com, 20 aa-mx2.example.com");
    f = mxd_findings_add(fs, "target", "target.ok", MXD_SEV_PASS, "zz-mx1.example.com");
    mxd_finding_param(f, "host", "zz-mx1.example.com");
    mxd_finding_param(f, "addresses", "192.0.2.10, 2001:db8::10");
    f = mxd_findings_add(fs, "smtp", "smtp.ok", MXD_SEV_PASS, "zz-mx1.example.com");
    mxd_finding_param(f, "host", "zz-mx1.example.com");
    mxd_finding_param(f, "address", "192.0.2.10");
    f = mxd_findings_add(fs, "smtp", "smtp.refused", MXD_SEV_WARN, "zz-mx1.example.com");
    mxd_finding_param(f, "host", "zz-mx1.example.com");
    mxd_finding_param(f, "address", "2001:db8::10");
    mxd_finding_param(f, "port", "25");
}

static void nxdomain(mxd_result *r, mxd_findings *fs)
{
    memset(r, 0, sizeof *r);
    strcpy(r->input, "nope.example");
    strcpy(r->domain, "nope.example");
    strcpy(r->domain_ascii, "nope.example");
    r->started_at = 1714564800;
    r->elapsed_ms = 40;
    r->finished = true;
    r->mx.state = MXD_Q_NXDOMAIN;
    r->a.state = MXD_Q_NXDOMAIN;
    r->aaaa.state = MXD_Q_NXDOMAIN;
    mxd_finding *f = mxd_findings_add(fs, "mx", "mx.nxdomain", MXD_SEV_FAIL, "nope.example");
    mxd_finding_param(f, "domain", "nope.example");
}

/* Remote strings as a hostile server would send them (raw, not sanitised: the
 * writers must not rely on the engine having done it). */
#define EVIL_GREETING "220 \x1b[2J\x1b]52;c;cHduZWQ=\x07 ok \xe2\x80\xae" "moc.live \"q\" \\ \xc2\x9b" "31m \xff\xfe"
#define EVIL_HOST "mx|<img src=x>[a](http://x)*_`.evil\x1b[31m"

static void hostile(mxd_result *r, mxd_findings *fs)
{
    memset(r, 0, sizeof *r);
    strcpy(r->input, "user@\xe4\xbe\x8b\xe3\x81\x88.jp"); /* user@例え.jp */
    strcpy(r->domain, "\xe4\xbe\x8b\xe3\x81\x88.jp");
    strcpy(r->domain_ascii, "xn--r8jz45g.jp");
    r->started_at = 1714564800;
    r->elapsed_ms = 5000;
    r->timed_out = true;
    strcpy(r->resolvers[0], "127.0.0.1:5300");
    r->nresolvers = 1;
    r->mx.state = MXD_Q_OK;
    strcpy(r->mx.server, "127.0.0.1:5300\x1b[0m");
    r->equal_pref_shuffled = true;
    mxd_target *t = add_target(r, 10, EVIL_HOST, 300, 1);
    set_addr(&t->addrs[0], 2, "127.0.0.2");
    strcpy(t->cname, "cname\x1b" "c.evil");
    smtp_ok(&t->smtp[0], EVIL_GREETING);
    free(t->smtp[0].ext[1]);
    t->smtp[0].ext[1] = strdup("X-\x1b]0;pwned\x07");
    strcpy(t->smtp[0].cert.subject, "CN=\xe2\x80\xae" "evil\x1b[5m");
    t->smtp[0].cert.trusted = false;
    t->smtp[0].cert.verify_error = 18;
    strcpy(t->smtp[0].cert.verify_text, "self-signed \x1b[1m");
    t->smtp[0].injected_bytes = 17;
    t = add_target(r, 10, "b.evil", 300, 1);
    set_addr(&t->addrs[0], 2, "127.0.0.3");
    t->smtp[0].state = MXD_SMTP_DONE;
    t->smtp[0].end = MXD_SMTP_END_CLOSED;
    strcpy(t->smtp[0].error, "reset\r\n\x1b[A");
    t = add_target(r, 0, "", 0, 0);
    t->implicit = true;
    snprintf(t->host, sizeof t->host, "%s", "xn--r8jz45g.jp");

    /* NUL and ESC reach a finding only through the sanitiser (params are
     * sanitised when added); a bidi override and quotes too. */
    static const char txt[] = "v=spf1 \x00\x1b]52;c;x\x07 include:\"evil\" \\ \xe2\x80\xae";
    char *clean = mxd_sanitize(txt, sizeof txt - 1, 0, 0);
    mxd_finding *f = mxd_findings_add(fs, "mx", "mx.equal_preference", MXD_SEV_INFO, "");
    mxd_finding_param(f, "pref", "10");
    mxd_finding_param(f, "hosts", EVIL_HOST ", b.evil");
    f = mxd_findings_add(fs, "smtp", "smtp.starttls_injection", MXD_SEV_FAIL, EVIL_HOST);
    mxd_finding_param(f, "host", EVIL_HOST);
    mxd_finding_param(f, "address", "127.0.0.2");
    mxd_finding_param(f, "bytes", "17");
    mxd_finding_param(f, "greeting", EVIL_GREETING);
    mxd_finding_param(f, "host", "again"); /* duplicate name: JSON must keep one */
    f = mxd_findings_add(fs, "smtp", "smtp.cert_untrusted", MXD_SEV_WARN, EVIL_HOST);
    mxd_finding_param(f, "host", EVIL_HOST);
    mxd_finding_param(f, "address", "127.0.0.2");
    mxd_finding_param(f, "error", "self-signed \x1b[1m");
    mxd_finding_param(f, "issuer", "CN=\xe2\x80\xae" "evil\x1b[5m");
    /* A step the table does not know (a newer check): still reported, last. */
    f = mxd_findings_add(fs, "later", "later.spf_text", MXD_SEV_INFO, "");
    mxd_finding_param(f, "record", clean);
    free(clean);
}

typedef void (*fixture_fn)(mxd_result *, mxd_findings *);
static const fixture_fn fixtures[] = { healthy, nxdomain, hostile };
static const char *const fixture_names[] = { "healthy", "nxdomain", "hostile" };
#define NFIX (sizeof fixtures / sizeof fixtures[0])

/* Writes one report; the caller frees the returned string. */
static char *render(mxd_format f, const mxd_result *r, const mxd_findings *fs,
                    const mxd_catalog *cat)
{
    mxd_sb sb = MXD_SB_INIT;
    mxd_report_write(&sb, f, r, fs, cat);
    ck_assert(mxd_sb_ok(&sb));
    char *s = mxd_sb_take(&sb);
    ck_assert_ptr_nonnull(s);
    return s;
}

static jnode *render_json(const mxd_result *r, const mxd_findings *fs)
{
    char *s = render(MXD_FMT_JSON, r, fs, NULL);
    const char *err;
    size_t len = strlen(s);
    assert_terminal_safe(s, len, "json");
    jnode *root = jparse(s, len, &err);
    if (!root)
        fprintf(stderr, "%s\n", s); /* the document, for the reader of the failure */
    ck_assert_msg(root != NULL, "JSON does not parse: %s", err);
    free(s);
    return root;
}

/* ---- JSON writer ------------------------------------------------------------ */

START_TEST(test_json_writer_compact)
{
    mxd_sb sb = MXD_SB_INIT;
    mxd_json j;
    mxd_json_init(&j, &sb, 0);
    mxd_json_begin_object(&j);
    mxd_json_key(&j, "a");
    mxd_json_begin_array(&j);
    mxd_json_int(&j, -1);
    mxd_json_uint(&j, 18446744073709551615u);
    mxd_json_bool(&j, true);
    mxd_json_null(&j);
    mxd_json_string(&j, NULL);
    mxd_json_begin_object(&j);
    mxd_json_end_object(&j);
    mxd_json_begin_array(&j);
    mxd_json_end_array(&j);
    mxd_json_end_array(&j);
    mxd_json_kv_opt_string(&j, "e", "");
    mxd_json_kv_string(&j, "s", "x");
    mxd_json_end_object(&j);
    ck_assert(mxd_json_ok(&j));
    ck_assert_str_eq(mxd_sb_str(&sb),
                     "{\"a\":[-1,18446744073709551615,true,null,null,{},[]],\"e\":null,\"s\":\"x\"}");
    mxd_sb_free(&sb);
}
END_TEST

START_TEST(test_json_writer_indent)
{
    mxd_sb sb = MXD_SB_INIT;
    mxd_json j;
    mxd_json_init(&j, &sb, 2);
    mxd_json_begin_object(&j);
    mxd_json_kv_int(&j, "n", 1);
    mxd_json_key(&j, "v");
    mxd_json_begin_array(&j);
    mxd_json_string(&j, "a");
    mxd_json_end_array(&j);
    mxd_json_end_object(&j);
    ck_assert(mxd_json_ok(&j));
    ck_assert_str_eq(mxd_sb_str(&sb), "{\n  \"n\": 1,\n  \"v\": [\n    \"a\"\n  ]\n}");
    mxd_sb_free(&sb);
}
END_TEST

START_TEST(test_json_escape)
{
    /* quote, backslash, newline, tab, ESC, NUL, DEL, C1 CSI (C2 9B), RLO
     * (E2 80 AE), LINE SEPARATOR (E2 80 A8), a stray byte FF, and 例 (kept). */
    static const char in[] = "\"\\\n\t\x1b\x00\x7f\xc2\x9b\xe2\x80\xae\xe2\x80\xa8\xff\xe4\xbe\x8b";
    mxd_sb sb = MXD_SB_INIT;
    mxd_json_escape(&sb, in, sizeof in - 1);
    ck_assert_str_eq(mxd_sb_str(&sb), "\\\"\\\\\\n\\t\\u001B\\u0000\\u007F\\u009B\\u202E\\u2028"
                                      "\\\\xFF\xe4\xbe\x8b");
    mxd_sb_free(&sb);
    /* Truncated sequences and surrogates encoded in UTF-8 are invalid too. */
    static const char bad[] = "\xe4\xbe" "a\xed\xa0\x80";
    mxd_json_escape(&sb, bad, sizeof bad - 1);
    ck_assert_str_eq(mxd_sb_str(&sb), "\\\\xE4\\\\xBEa\\\\xED\\\\xA0\\\\x80");
    mxd_sb_free(&sb);
}
END_TEST

START_TEST(test_json_escape_roundtrip)
{
    /* Every byte value through the writer and back through the strict parser. */
    char in[256];
    for (int i = 0; i < 256; i++)
        in[i] = (char)i;
    mxd_sb sb = MXD_SB_INIT;
    mxd_json j;
    mxd_json_init(&j, &sb, 0);
    mxd_json_stringn(&j, in, sizeof in);
    ck_assert(mxd_json_ok(&j));
    const char *err;
    jnode *n = jparse(sb.buf, sb.len, &err);
    ck_assert_msg(n != NULL, "%s", err ? err : "");
    ck_assert_int_eq(n->t, J_STR);
    /* ASCII comes back byte for byte, NUL included. */
    ck_assert(n->slen >= 128);
    ck_assert(memcmp(n->s, in, 128) == 0);
    jfree(n);
    mxd_sb_free(&sb);
}
END_TEST

START_TEST(test_json_writer_misuse)
{
    mxd_sb sb = MXD_SB_INIT;
    mxd_json j;

    mxd_json_init(&j, &sb, 0); /* a value in an object without its name */
    mxd_json_begin_object(&j);
    mxd_json_int(&j, 1);
    mxd_json_end_object(&j);
    ck_assert(!mxd_json_ok(&j));

    mxd_sb_clear(&sb);
    mxd_json_init(&j, &sb, 0); /* unclosed */
    mxd_json_begin_array(&j);
    ck_assert(!mxd_json_ok(&j));

    mxd_sb_clear(&sb);
    mxd_json_init(&j, &sb, 0); /* wrong closer */
    mxd_json_begin_array(&j);
    mxd_json_end_object(&j);
    ck_assert(!mxd_json_ok(&j));

    mxd_sb_clear(&sb);
    mxd_json_init(&j, &sb, 0); /* a name with no value */
    mxd_json_begin_object(&j);
    mxd_json_key(&j, "k");
    mxd_json_end_object(&j);
    ck_assert(!mxd_json_ok(&j));

    mxd_sb_clear(&sb);
    mxd_json_init(&j, &sb, 0); /* a name inside an array */
    mxd_json_begin_array(&j);
    mxd_json_key(&j, "k");
    ck_assert(!mxd_json_ok(&j));

    mxd_sb_clear(&sb);
    mxd_json_init(&j, &sb, 0); /* two top-level values */
    mxd_json_null(&j);
    mxd_json_null(&j);
    ck_assert(!mxd_json_ok(&j));

    mxd_sb_clear(&sb);
    mxd_json_init(&j, &sb, 0); /* nothing at all */
    ck_assert(!mxd_json_ok(&j));

    mxd_sb_clear(&sb);
    mxd_json_init(&j, &sb, 0); /* too deep */
    for (int i = 0; i <= MXD_JSON_MAX_DEPTH; i++)
        mxd_json_begin_array(&j);
    for (int i = 0; i <= MXD_JSON_MAX_DEPTH; i++)
        mxd_json_end_array(&j);
    ck_assert(!mxd_json_ok(&j));

    mxd_sb_clear(&sb);
    mxd_json_init(&j, &sb, 0); /* exactly at the limit is fine */
    for (int i = 0; i < MXD_JSON_MAX_DEPTH; i++)
        mxd_json_begin_array(&j);
    for (int i = 0; i < MXD_JSON_MAX_DEPTH; i++)
        mxd_json_end_array(&j);
    ck_assert(mxd_json_ok(&j));
    mxd_sb_free(&sb);
}
END_TEST

START_TEST(test_strict_parser_rejects)
{
    /* The validator itself must catch what it is there to catch. */
    static const char *const bad[] = {
        "{\"a\":1,}", "[1 2]", "{\"a\":1,\"a\":2}", "\"\x1b\"", "\"\xff\"", "01", "[1.]",
        "\"\\ud800\"", "\"\\x41\"", "{} {}", "nul", "\"abc",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *err;
        jnode *n = jparse(bad[i], strlen(bad[i]), &err);
        ck_assert_msg(n == NULL, "accepted: %s", bad[i]);
    }
    const char *err;
    static const char good[] = "{\"a\":[1,-2.5e3,true,null,\"\\ud83d\\ude00\"]}";
    jnode *n = jparse(good, strlen(good), &err);
    ck_assert_msg(n != NULL, "%s", err ? err : "");
    jfree(n);
}
END_TEST

/* ---- JSON report ------------------------------------------------------------ */

static void check_contract(const jnode *root, const mxd_result *r, const mxd_findings *fs)
{
    ck_assert_int_eq(root->t, J_OBJ);
    ck_assert_str_eq(need(root, "tool", J_STR)->s, "mxdoctor");
    ck_assert_str_eq(need(root, "version", J_STR)->s, MXD_VERSION);
    need(root, "input", J_STR);
    need(root, "domain", J_STR);
    need(root, "domain_ascii", J_STR);
    mxd_verdict v = mxd_verdict_of(fs);
    ck_assert_str_eq(need(root, "verdict", J_STR)->s, mxd_verdict_name(v));
    ck_assert_str_eq(need(root, "started_at", J_STR)->s, "2024-05-01T12:00:00Z");
    ck_assert(need(root, "elapsed_ms", J_NUM)->num == r->elapsed_ms);
    const jnode *res = need(root, "resolvers", J_ARR);
    ck_assert_uint_eq(res->n, r->nresolvers);
    for (size_t i = 0; i < res->n; i++)
        ck_assert_int_eq(res->kid[i]->t, J_STR);
    ck_assert(need(root, "exit_status", J_NUM)->num == mxd_verdict_exit(v));

    /* mx: one per target, in the result's (sender's) order */
    const jnode *mx = need(root, "mx", J_ARR);
    ck_assert_uint_eq(mx->n, r->ntargets);
    for (size_t i = 0; i < mx->n; i++) {
        const jnode *m = mx->kid[i];
        const mxd_target *t = &r->targets[i];
        ck_assert_int_eq(m->t, J_OBJ);
        ck_assert(need(m, "preference", J_NUM)->num == t->pref);
        need(m, "host", J_STR);
        ck_assert(need(m, "ttl", J_NUM)->num == t->ttl);
        ck_assert(need(m, "implicit", J_BOOL)->b == t->implicit);
        need_str_or_null(m, "cname");
        const jnode *addrs = need(m, "addresses", J_ARR);
        ck_assert_uint_eq(addrs->n, t->naddrs);
        const jnode *smtp = need(m, "smtp", J_ARR);
        ck_assert_uint_eq(smtp->n, t->naddrs);
        for (size_t k = 0; k < smtp->n; k++) {
            const jnode *s = smtp->kid[k];
            ck_assert_str_eq(addrs->kid[k]->s, t->addrs[k].text);
            ck_assert_str_eq(need(s, "address", J_STR)->s, t->addrs[k].text);
            need(s, "state", J_STR);
            need_str_or_null(s, "end");
            need(s, "connect_ms", J_NUM);
            ck_assert(need(s, "greeting_code", J_NUM)->num == t->smtp[k].greeting_code);
            need_str_or_null(s, "greeting");
            need(s, "ehlo_code", J_NUM);
            const jnode *ext = need(s, "extensions", J_ARR);
            ck_assert_uint_eq(ext->n, t->smtp[k].n_ext);
            ck_assert(need(s, "starttls", J_BOOL)->b == t->smtp[k].starttls_offered);
            const jnode *tls = jget(s, "tls");
            ck_assert_ptr_nonnull(tls);
            if (t->smtp[k].tls_attempted) {
                ck_assert_int_eq(tls->t, J_OBJ);
                need(tls, "ok", J_BOOL);
                need_str_or_null(tls, "version");
                need_str_or_null(tls, "cipher");
            } else {
                ck_assert_int_eq(tls->t, J_NULL);
            }
            const jnode *cert = jget(s, "certificate");
            ck_assert_ptr_nonnull(cert);
            if (t->smtp[k].cert.present) {
                ck_assert_int_eq(cert->t, J_OBJ);
                ck_assert(need(cert, "trusted", J_BOOL)->b == t->smtp[k].cert.trusted);
                need(cert, "name_matches", J_BOOL);
                need(cert, "expired", J_BOOL);
                need(cert, "subject", J_STR);
                need(cert, "issuer", J_STR);
                need(cert, "names", J_STR);
                ck_assert_str_eq(need(cert, "not_after", J_STR)->s, "2024-12-31T23:59:59Z");
            } else {
                ck_assert_int_eq(cert->t, J_NULL);
            }
            ck_assert(need(s, "injected_bytes", J_NUM)->num == t->smtp[k].injected_bytes);
            need_str_or_null(s, "error");
        }
    }

    /* steps: mxd_steps order first, each with its worst severity */
    const jnode *steps = need(root, "steps", J_ARR);
    ck_assert_uint_ge(steps->n, mxd_nsteps);
    size_t nfound = 0;
    for (size_t i = 0; i < steps->n; i++) {
        const jnode *st = steps->kid[i];
        const char *id = need(st, "id", J_STR)->s;
        if (i < mxd_nsteps)
            ck_assert_str_eq(id, mxd_steps[i].id);
        ck_assert_str_eq(need(st, "status", J_STR)->s,
                         mxd_severity_name(mxd_findings_worst(fs, id)));
        const jnode *fl = need(st, "findings", J_ARR);
        for (size_t k = 0; k < fl->n; k++) {
            const jnode *f = fl->kid[k];
            const mxd_finding *want = mxd_findings_find(fs, need(f, "id", J_STR)->s, NULL);
            ck_assert_ptr_nonnull(want);
            ck_assert_str_eq(want->step, id);
            ck_assert_str_eq(need(f, "severity", J_STR)->s, mxd_severity_name(want->sev));
            need(f, "subject", J_STR);
            const jnode *p = need(f, "params", J_OBJ);
            for (size_t q = 0; q < p->n; q++)
                ck_assert_int_eq(p->kid[q]->t, J_STR);
            nfound++;
        }
    }
    ck_assert_uint_eq(nfound, fs->n); /* every finding reported exactly once */
}

START_TEST(test_json_contract)
{
    for (size_t i = 0; i < NFIX; i++) {
        mxd_result r;
        mxd_findings fs = { 0 };
        fixtures[i](&r, &fs);
        jnode *root = render_json(&r, &fs);
        check_contract(root, &r, &fs);
        assert_strings_clean(root);
        jfree(root);
        mxd_findings_free(&fs);
        mxd_result_free(&r);
        (void)fixture_names;
    }
}
END_TEST

START_TEST(test_json_healthy_values)
{
    mxd_result r;
    mxd_findings fs = { 0 };
    healthy(&r, &fs);
    jnode *root = render_json(&r, &fs);
    ck_assert_str_eq(need(root, "input", J_STR)->s, "User@Example.com");
    ck_assert_str_eq(need(root, "domain", J_STR)->s, "example.com");
    ck_assert_str_eq(need(root, "verdict", J_STR)->s, "warn"); /* smtp.refused is a warning */
    ck_assert(need(root, "exit_status", J_NUM)->num == 1);
    ck_assert_str_eq(need(root, "resolvers", J_ARR)->kid[0]->s, "127.0.0.1:5300");
    const jnode *mx = need(root, "mx", J_ARR);
    ck_assert_str_eq(need(mx->kid[0], "host", J_STR)->s, "zz-mx1.example.com");
    ck_assert_str_eq(need(mx->kid[1], "host", J_STR)->s, "aa-mx2.example.com");
    ck_assert_int_eq(need(mx->kid[0], "cname", J_NULL)->t, J_NULL);
    const jnode *s0 = need(mx->kid[0], "smtp", J_ARR)->kid[0];
    const jnode *s1 = need(mx->kid[0], "smtp", J_ARR)->kid[1];
    ck_assert_str_eq(need(s0, "state", J_STR)->s, "done");
    ck_assert_str_eq(need(s0, "end", J_STR)->s, "ok");
    ck_assert_str_eq(need(s0, "greeting", J_STR)->s, "zz-mx1.example.com ESMTP ready");
    ck_assert_str_eq(need(need(s0, "tls", J_OBJ), "version", J_STR)->s, "TLSv1.3");
    ck_assert_str_eq(need(s0, "extensions", J_ARR)->kid[1]->s, "STARTTLS");
    ck_assert_str_eq(need(s1, "end", J_STR)->s, "refused");
    ck_assert_str_eq(need(s1, "error", J_STR)->s, "Connection refused");
    ck_assert_int_eq(need(s1, "certificate", J_NULL)->t, J_NULL);
    const jnode *steps = need(root, "steps", J_ARR);
    ck_assert_str_eq(need(steps->kid[3], "status", J_STR)->s, "warn");
    const jnode *f = need(steps->kid[3], "findings", J_ARR)->kid[1];
    ck_assert_str_eq(need(f, "id", J_STR)->s, "smtp.refused");
    ck_assert_str_eq(need(need(f, "params", J_OBJ), "address", J_STR)->s, "2001:db8::10");
    jfree(root);
    mxd_findings_free(&fs);
    mxd_result_free(&r);
}
END_TEST

START_TEST(test_json_nxdomain_values)
{
    mxd_result r;
    mxd_findings fs = { 0 };
    nxdomain(&r, &fs);
    jnode *root = render_json(&r, &fs);
    ck_assert_str_eq(need(root, "verdict", J_STR)->s, "fail");
    ck_assert(need(root, "exit_status", J_NUM)->num == 2);
    ck_assert_uint_eq(need(root, "mx", J_ARR)->n, 0);
    ck_assert_uint_eq(need(root, "resolvers", J_ARR)->n, 0);
    const jnode *steps = need(root, "steps", J_ARR);
    ck_assert_uint_eq(steps->n, mxd_nsteps);
    ck_assert_str_eq(need(steps->kid[0], "status", J_STR)->s, "fail");
    ck_assert_str_eq(need(need(steps->kid[0], "findings", J_ARR)->kid[0], "id", J_STR)->s,
                     "mx.nxdomain");
    ck_assert_str_eq(need(steps->kid[1], "status", J_STR)->s, "pass");
    jfree(root);
    mxd_findings_free(&fs);
    mxd_result_free(&r);
}
END_TEST

START_TEST(test_json_hostile_values)
{
    mxd_result r;
    mxd_findings fs = { 0 };
    hostile(&r, &fs);
    jnode *root = render_json(&r, &fs);
    ck_assert_str_eq(need(root, "domain", J_STR)->s, "\xe4\xbe\x8b\xe3\x81\x88.jp");
    ck_assert_str_eq(need(root, "domain_ascii", J_STR)->s, "xn--r8jz45g.jp");
    const jnode *m0 = need(root, "mx", J_ARR)->kid[0];
    /* what the server sent stays visible, defused */
    const char *host = need(m0, "host", J_STR)->s;
    ck_assert_ptr_nonnull(strstr(host, "\\x1B[31m"));
    ck_assert_ptr_nonnull(strstr(host, "<img src=x>"));
    const jnode *s0 = need(m0, "smtp", J_ARR)->kid[0];
    const char *g = need(s0, "greeting", J_STR)->s;
    ck_assert_ptr_nonnull(strstr(g, "\\x1B[2J"));
    ck_assert_ptr_nonnull(strstr(g, "<U+202E>"));
    ck_assert_ptr_nonnull(strstr(g, "<U+009B>"));
    ck_assert_ptr_nonnull(strstr(g, "\"q\" \\ "));
    ck_assert_ptr_nonnull(strstr(g, "\\xFF\\xFE"));
    ck_assert(need(s0, "injected_bytes", J_NUM)->num == 17);
    ck_assert_ptr_nonnull(strstr(need(m0, "cname", J_STR)->s, "\\x1B"));
    ck_assert_ptr_nonnull(strstr(need(need(s0, "certificate", J_OBJ), "subject", J_STR)->s,
                                 "<U+202E>"));
    const jnode *steps = need(root, "steps", J_ARR);
    ck_assert_uint_eq(steps->n, mxd_nsteps + 1);
    ck_assert_str_eq(need(steps->kid[mxd_nsteps], "id", J_STR)->s, "later");
    const jnode *pf = need(steps->kid[mxd_nsteps], "findings", J_ARR)->kid[0];
    const char *rec = need(need(pf, "params", J_OBJ), "record", J_STR)->s;
    ck_assert_ptr_nonnull(strstr(rec, "\\x00\\x1B]52"));
    ck_assert_ptr_nonnull(strstr(rec, "include:\"evil\""));
    /* the duplicate param name is written once, the first value */
    const jnode *inj = need(steps->kid[3], "findings", J_ARR)->kid[0];
    ck_assert_str_eq(need(inj, "id", J_STR)->s, "smtp.starttls_injection");
    ck_assert_ptr_nonnull(strstr(need(need(inj, "params", J_OBJ), "host", J_STR)->s, "mx|"));
    jfree(root);
    mxd_findings_free(&fs);
    mxd_result_free(&r);
}
END_TEST

/* ---- text and Markdown ------------------------------------------------------ */

static void assert_contains(const char *hay, const char *needle, const char *what)
{
    ck_assert_msg(strstr(hay, needle) != NULL, "%s: '%s' not found in:\n%s", what, needle, hay);
}

/* The catalog's text for key/field (with params), as the report prints it. */
static char *cat_text(const mxd_catalog *cat, const char *key, const char *field,
                      const mxd_param *p, size_t n)
{
    char *s = mxd_catalog_format(cat, key, field, p, n);
    ck_assert_ptr_nonnull(s);
    return s;
}

/* Text: every step title, the status labels, and each finding's title and parts
 * in the catalog's language appear, in the documented order. */
static void check_text_like(const char *out, mxd_format fmt, const mxd_catalog *cat,
                            const mxd_result *r, const mxd_findings *fs)
{
    const char *what = fmt == MXD_FMT_TEXT ? "text" : "markdown";
    assert_terminal_safe(out, strlen(out), what);
    const char *prev = out;
    for (size_t i = 0; i < mxd_nsteps; i++) {
        char key[64];
        snprintf(key, sizeof key, "step.%s", mxd_steps[i].id);
        ck_assert_msg(mxd_catalog_get(cat, key, "title"), "catalog lacks %s", key);
        char *t = cat_text(cat, key, "title", NULL, 0);
        const char *at = strstr(prev, t);
        ck_assert_msg(at != NULL, "%s: step title '%s' missing or out of order", what, t);
        prev = at;
        free(t);
    }
    char vkey[32];
    snprintf(vkey, sizeof vkey, "verdict.%s", mxd_verdict_name(mxd_verdict_of(fs)));
    char *vt = cat_text(cat, vkey, "title", NULL, 0);
    assert_contains(out, vt, what);
    free(vt);
    for (size_t i = 0; i < fs->n; i++) {
        const mxd_finding *f = &fs->v[i];
        if (!mxd_catalog_get(cat, f->id, "title"))
            continue; /* an id the catalog does not have yet shows as [id.title] */
        if (fmt == MXD_FMT_MARKDOWN && (strpbrk(f->subject, "|<>[]*_`\\") ||
                                        strstr(f->id, "injection") || strstr(f->id, "untrusted")))
            continue; /* escaped there; checked separately */
        char *t = cat_text(cat, f->id, "title", f->params, f->nparams);
        if (!strchr(t, '\n'))
            assert_contains(out, t, what);
        free(t);
    }
    char slabel[32];
    snprintf(slabel, sizeof slabel, "sev.%s", mxd_severity_name(mxd_findings_worst(fs, "mx")));
    char *sl = cat_text(cat, slabel, "label", NULL, 0);
    assert_contains(out, sl, what);
    free(sl);
    ck_assert_msg(mxd_catalog_get(cat, "report.mx_table", "text"), "catalog lacks report.mx_table");
    char *mt = cat_text(cat, "report.mx_table", "text", NULL, 0);
    assert_contains(out, mt, what);
    free(mt);
    (void)r;
}

START_TEST(test_text_markdown_both_languages)
{
    load_catalogs();
    const mxd_catalog *cats[2] = { cat_en, cat_ja };
    for (size_t i = 0; i < NFIX; i++) {
        mxd_result r;
        mxd_findings fs = { 0 };
        fixtures[i](&r, &fs);
        char *outs[2][2];
        for (int l = 0; l < 2; l++) {
            outs[l][0] = render(MXD_FMT_TEXT, &r, &fs, cats[l]);
            outs[l][1] = render(MXD_FMT_MARKDOWN, &r, &fs, cats[l]);
            check_text_like(outs[l][0], MXD_FMT_TEXT, cats[l], &r, &fs);
            check_text_like(outs[l][1], MXD_FMT_MARKDOWN, cats[l], &r, &fs);
        }
        /* The two languages are really different texts. */
        ck_assert_str_ne(outs[0][0], outs[1][0]);
        ck_assert_str_ne(outs[0][1], outs[1][1]);
        for (int l = 0; l < 2; l++) {
            free(outs[l][0]);
            free(outs[l][1]);
        }
        mxd_findings_free(&fs);
        mxd_result_free(&r);
    }
    free_catalogs();
}
END_TEST

START_TEST(test_text_healthy)
{
    load_catalogs();
    mxd_result r;
    mxd_findings fs = { 0 };
    healthy(&r, &fs);
    char *out = render(MXD_FMT_TEXT, &r, &fs, cat_en);
    assert_contains(out, "mxdoctor " MXD_VERSION, "text");
    assert_contains(out, "example.com (User@Example.com)", "text");
    assert_contains(out, "2024-05-01T12:00:00Z", "text");
    assert_contains(out, "1234 ms", "text");
    assert_contains(out, "127.0.0.1:5300", "text");
    /* MX table in sender order, one row per address */
    const char *m1 = strstr(out, "zz-mx1.example.com"), *m2 = strstr(out, "aa-mx2.example.com");
    ck_assert(m1 && m2 && m1 < m2);
    const char *a1 = strstr(out, "192.0.2.10"), *a2 = strstr(out, "2001:db8::10");
    ck_assert(a1 && a2 && a1 < a2 && a2 < m2);
    assert_contains(out, "220, EHLO 250, STARTTLS, TLSv1.3", "text");
    /* worst first inside a step: in the SMTP step the refused warning comes
     * before the pass although the checks emitted the pass first */
    char *warn = cat_text(cat_en, "sev.warn", "label", NULL, 0);
    char *pass = cat_text(cat_en, "sev.pass", "label", NULL, 0);
    char *smtp_step = cat_text(cat_en, "step.smtp", "title", NULL, 0);
    char wl[64], pl[64];
    snprintf(wl, sizeof wl, "\n  [%s] ", warn);
    snprintf(pl, sizeof pl, "\n  [%s] ", pass);
    const char *st = strstr(out, smtp_step);
    ck_assert_ptr_nonnull(st);
    const char *w = strstr(st, wl), *p = strstr(st, pl);
    ck_assert_ptr_nonnull(w);
    ck_assert_ptr_nonnull(p);
    ck_assert(w < p);
    free(warn);
    free(pass);
    free(smtp_step);
    /* each part of a finding, with its parameters filled in */
    const mxd_finding *ref = mxd_findings_find(&fs, "smtp.refused", NULL);
    for (int k = 0; k < 3; k++) {
        static const char *const fields[] = { "what", "why", "next" };
        char *t = cat_text(cat_en, "smtp.refused", fields[k], ref->params, ref->nparams);
        char *nl = strchr(t, '\n');
        if (nl)
            *nl = '\0'; /* later lines are indented */
        assert_contains(out, t, "text");
        free(t);
    }
    /* commands with the resolver the run used */
    assert_contains(out, "nslookup -port=5300 -type=mx example.com 127.0.0.1", "text");
    assert_contains(out, "dig @127.0.0.1 -p 5300 +noall +answer MX example.com", "text");
    assert_contains(out, "dig @127.0.0.1 -p 5300 +short A zz-mx1.example.com", "text");
    assert_contains(out, "openssl s_client -starttls smtp -connect aa-mx2.example.com:25 -crlf "
                         "-servername aa-mx2.example.com", "text");
    free(out);
    mxd_findings_free(&fs);
    mxd_result_free(&r);
    free_catalogs();
}
END_TEST

START_TEST(test_text_nxdomain)
{
    load_catalogs();
    mxd_result r;
    mxd_findings fs = { 0 };
    nxdomain(&r, &fs);
    for (int l = 0; l < 2; l++) {
        const mxd_catalog *cat = l ? cat_ja : cat_en;
        char *out = render(MXD_FMT_TEXT, &r, &fs, cat);
        assert_contains(out, "(nxdomain)", "text");
        char *nf = cat_text(cat, "report.no_findings", "text", NULL, 0);
        assert_contains(out, nf, "text"); /* target and smtp steps have none */
        free(nf);
        /* the domain equals what was typed: shown once, no "(…)" */
        ck_assert_ptr_null(strstr(out, "nope.example (nope.example)"));
        free(out);
    }
    mxd_findings_free(&fs);
    mxd_result_free(&r);
    free_catalogs();
}
END_TEST

START_TEST(test_text_hostile)
{
    load_catalogs();
    mxd_result r;
    mxd_findings fs = { 0 };
    hostile(&r, &fs);
    for (int l = 0; l < 2; l++) {
        const mxd_catalog *cat = l ? cat_ja : cat_en;
        char *out = render(MXD_FMT_TEXT, &r, &fs, cat);
        assert_terminal_safe(out, strlen(out), "text");
        assert_contains(out, "mx|<img src=x>[a](http://x)*_`.evil\\x1B[31m", "text");
        assert_contains(out, "xn--r8jz45g.jp", "text");
        char *on = cat_text(cat, "report.order_note", "text", NULL, 0);
        char *nl = strchr(on, '\n');
        if (nl)
            *nl = '\0';
        assert_contains(out, on, "text");
        free(on);
        char *in = cat_text(cat, "report.implicit_note", "text", NULL, 0);
        nl = strchr(in, '\n');
        if (nl)
            *nl = '\0';
        assert_contains(out, in, "text");
        free(in);
        /* the hostile host never reaches a command */
        ck_assert_ptr_null(strstr(out, "telnet mx|"));
        ck_assert_ptr_null(strstr(out, "nslookup mx|"));
        assert_contains(out, "telnet b.evil 25", "text");
        /* the extra step is printed after the table's steps */
        char *smtp_step = cat_text(cat, "step.smtp", "title", NULL, 0);
        char *pol_step = cat_text(cat, "step.later", "title", NULL, 0); /* "[step.later.title]" */
        const char *st = strstr(out, smtp_step), *pol = strstr(out, pol_step);
        ck_assert(st && pol && st < pol);
        free(smtp_step);
        free(pol_step);
        free(out);
    }
    mxd_findings_free(&fs);
    mxd_result_free(&r);
    free_catalogs();
}
END_TEST

/* Counts the unescaped '|' in one line. */
static int pipes(const char *line, size_t len)
{
    int n = 0;
    for (size_t i = 0; i < len; i++) {
        if (line[i] == '\\') {
            i++;
            continue;
        }
        if (line[i] == '|')
            n++;
    }
    return n;
}

/* True when needle occurs in s with its first character not backslash-escaped. */
static bool unescaped(const char *s, const char *needle)
{
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle)) {
        size_t bs = 0;
        for (const char *q = p; q > s && q[-1] == '\\'; q--)
            bs++;
        if (bs % 2 == 0)
            return true;
    }
    return false;
}

START_TEST(test_markdown_hostile)
{
    load_catalogs();
    mxd_result r;
    mxd_findings fs = { 0 };
    hostile(&r, &fs);
    char *out = render(MXD_FMT_MARKDOWN, &r, &fs, cat_en);
    assert_terminal_safe(out, strlen(out), "markdown");
    /* remote syntax is escaped: no tag, no link, no extra table cell */
    ck_assert(!unescaped(out, "<img"));
    ck_assert(!unescaped(out, "[a]"));
    ck_assert(!unescaped(out, "](http"));
    assert_contains(out, "mx\\|\\<img src=x\\>\\[a\\](http://x)\\*\\_\\`.evil\\\\x1B\\[31m",
                    "markdown");
    /* every table line has exactly six unescaped pipes (five cells) */
    size_t rows = 0;
    for (const char *p = out; *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len && p[0] == '|') {
            ck_assert_int_eq(pipes(p, len), 6);
            rows++;
        }
        p += len + (e ? 1 : 0);
    }
    ck_assert_uint_eq(rows, 2 + 3); /* header, rule, three targets with <=1 address */
    /* headings for the report, the MX set and every step */
    ck_assert(strncmp(out, "# mxdoctor: ", 12) == 0);
    assert_contains(out, "\n## ", "markdown");
    assert_contains(out, "\n### ", "markdown");
    /* commands as code spans */
    assert_contains(out, "`telnet b.evil 25`", "markdown");
    ck_assert_ptr_null(strstr(out, "`telnet mx"));
    free(out);
    mxd_findings_free(&fs);
    mxd_result_free(&r);
    free_catalogs();
}
END_TEST

START_TEST(test_markdown_healthy)
{
    load_catalogs();
    mxd_result r;
    mxd_findings fs = { 0 };
    healthy(&r, &fs);
    char *out = render(MXD_FMT_MARKDOWN, &r, &fs, cat_ja);
    assert_contains(out, "|---:|---|---:|---|---|", "markdown");
    assert_contains(out, "| 10 | zz-mx1.example.com | 3600 | 192.0.2.10 |", "markdown");
    assert_contains(out, "|  |  |  | 2001:db8::10 |", "markdown");
    assert_contains(out, "| 20 | aa-mx2.example.com | 3600 | 192.0.2.20 |", "markdown");
    assert_contains(out, "`dig @127.0.0.1 -p 5300 +noall +answer MX example.com`", "markdown");
    char *step = cat_text(cat_ja, "step.smtp", "title", NULL, 0);
    assert_contains(out, step, "markdown");
    free(step);
    free(out);
    mxd_findings_free(&fs);
    mxd_result_free(&r);
    free_catalogs();
}
END_TEST

START_TEST(test_no_catalog_and_no_findings)
{
    /* Without a catalog (JSON callers pass NULL) text still comes out, with the
     * missing keys visible; with no findings every step is "pass". */
    mxd_result r;
    mxd_findings fs = { 0 };
    healthy(&r, &fs);
    char *out = render(MXD_FMT_TEXT, &r, NULL, NULL);
    assert_terminal_safe(out, strlen(out), "text");
    assert_contains(out, "[step.mx.title]", "text");
    assert_contains(out, "[report.no_findings.text]", "text");
    free(out);
    out = render(MXD_FMT_JSON, &r, NULL, NULL);
    const char *err;
    jnode *root = jparse(out, strlen(out), &err);
    ck_assert_msg(root != NULL, "%s", err ? err : "");
    ck_assert_str_eq(need(root, "verdict", J_STR)->s, "pass");
    ck_assert_str_eq(need(need(root, "steps", J_ARR)->kid[0], "status", J_STR)->s, "pass");
    jfree(root);
    free(out);
    mxd_findings_free(&fs);
    mxd_result_free(&r);
}
END_TEST

START_TEST(test_format_parse)
{
    mxd_format f = MXD_FMT_TEXT;
    ck_assert(mxd_format_parse("json", &f) && f == MXD_FMT_JSON);
    ck_assert(mxd_format_parse("markdown", &f) && f == MXD_FMT_MARKDOWN);
    ck_assert(mxd_format_parse("md", &f) && f == MXD_FMT_MARKDOWN);
    ck_assert(mxd_format_parse("text", &f) && f == MXD_FMT_TEXT);
    ck_assert(!mxd_format_parse("JSON", &f));
    ck_assert(!mxd_format_parse("", &f));
    ck_assert(!mxd_format_parse(NULL, &f));
}
END_TEST

static Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *tj = tcase_create("json");
    tcase_add_test(tj, test_json_writer_compact);
    tcase_add_test(tj, test_json_writer_indent);
    tcase_add_test(tj, test_json_escape);
    tcase_add_test(tj, test_json_escape_roundtrip);
    tcase_add_test(tj, test_json_writer_misuse);
    tcase_add_test(tj, test_strict_parser_rejects);
    tcase_add_test(tj, test_json_contract);
    tcase_add_test(tj, test_json_healthy_values);
    tcase_add_test(tj, test_json_nxdomain_values);
    tcase_add_test(tj, test_json_hostile_values);
    suite_add_tcase(s, tj);
    TCase *tt = tcase_create("text");
    tcase_add_test(tt, test_text_markdown_both_languages);
    tcase_add_test(tt, test_text_healthy);
    tcase_add_test(tt, test_text_nxdomain);
    tcase_add_test(tt, test_text_hostile);
    tcase_add_test(tt, test_markdown_hostile);
    tcase_add_test(tt, test_markdown_healthy);
    tcase_add_test(tt, test_no_catalog_and_no_findings);
    tcase_add_test(tt, test_format_parse);
    suite_add_tcase(s, tt);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(report_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
