/* check_spf_suite.c — the openspf RFC 7208 test suite, run against mxdoctor's
 * SPF evaluator over real DNS on loopback.
 *
 * The suite (../shared/conformance/spf/rfc7208-tests.yml, or $MXD_SPF_SUITE) is
 * read as it is shipped: a small YAML reader below handles exactly the subset
 * that file uses (documents separated by "---", block mappings and sequences,
 * "key: value" items inside sequences, plain scalars continued on indented
 * lines, '…' and "…" scalars with \xHH and \0 escapes, one-line [flow]
 * sequences, and |, |-, >, >- block scalars).
 *
 * Each test case is one Check iteration: its scenario's zonedata is served by
 * the lab's authoritative DNS server (src/lab/labdns.c) as one zone at the
 * root, and mxd_spf_eval_start() asks it through an mxd_dns client. Between the
 * two sits a small UDP relay, because the suite's TIMEOUT entries mean "this
 * question gets no answer at all" for one name and some types: the relay drops
 * those questions and passes everything else through untouched.
 *
 * The zonedata rules are those of the suite's own driver (pyspf testspf.py):
 *   - SPF entries are type-99 records; a name with no TXT entry at all also
 *     gets each SPF entry as a TXT record, after its other records;
 *     "TXT: NONE" means "no TXT record" (and so no copies);
 *   - TIMEOUT in a name's list: a question for a type with no record before
 *     the TIMEOUT times out; records after it are never seen.
 * A case passes when the result is one of the expected ones and, when the case
 * names an explanation, the explanation is that text ("DEFAULT": none from
 * exp=). Cases known to fail would be listed in known_failures[] with the
 * reason; the list is empty.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mxd/dnsclient.h"
#include "mxd/labdns.h"
#include "mxd/spf.h"

#define AUTH_ADDR "127.0.71.1"
#define RELAY_ADDR "127.0.71.2"
#define QUERY_TIMEOUT_MS 400 /* a TIMEOUT case costs this much, once or twice */

/* ======================================================================== */
/* A YAML reader for this one file's structure                              */

/* The reader runs before Check does (the cases must be known to register
 * them), so it reports a malformed file itself and exits. */
#define YFAIL(...) do { fprintf(stderr, "spf suite YAML: " __VA_ARGS__); fputc('\n', stderr); exit(2); } while (0)
#define YCHECK(c, ...) do { if (!(c)) YFAIL(__VA_ARGS__); } while (0)

typedef enum { Y_SCALAR, Y_SEQ, Y_MAP } ytype;

typedef struct ynode {
    ytype t;
    char *s;             /* scalar bytes (may hold NUL), NUL-terminated */
    size_t slen;
    struct ynode **v;    /* sequence items / mapping values */
    char **k;            /* mapping keys */
    size_t n;
} ynode;

typedef struct yparser {
    char **lines;
    size_t n, i;
    char err[256];
} yparser;

static void y_free(ynode *y)
{
    if (!y)
        return;
    for (size_t i = 0; i < y->n; i++) {
        y_free(y->v[i]);
        if (y->k)
            free(y->k[i]);
    }
    free(y->v);
    free(y->k);
    free(y->s);
    free(y);
}

static ynode *y_new(ytype t)
{
    ynode *y = calloc(1, sizeof *y);
    YCHECK(y, "out of memory");
    y->t = t;
    return y;
}

static ynode *y_scalar(const char *s, size_t n)
{
    ynode *y = y_new(Y_SCALAR);
    y->s = malloc(n + 1);
    YCHECK(y->s, "out of memory");
    memcpy(y->s, s, n);
    y->s[n] = '\0';
    y->slen = n;
    return y;
}

static void y_add(ynode *y, char *key, ynode *v)
{
    y->v = realloc(y->v, (y->n + 1) * sizeof *y->v);
    YCHECK(y->v, "out of memory");
    if (y->t == Y_MAP) {
        y->k = realloc(y->k, (y->n + 1) * sizeof *y->k);
        YCHECK(y->k, "out of memory");
        y->k[y->n] = key;
    }
    y->v[y->n++] = v;
}

static const ynode *y_get(const ynode *map, const char *key)
{
    if (!map || map->t != Y_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->k[i], key) == 0)
            return map->v[i];
    return NULL;
}

static const char *y_str(const ynode *map, const char *key)
{
    const ynode *v = y_get(map, key);
    return v && v->t == Y_SCALAR ? v->s : NULL;
}

static size_t indent_of(const char *l)
{
    size_t n = 0;
    while (l[n] == ' ')
        n++;
    return n;
}

static bool blank_or_comment(const char *l)
{
    l += indent_of(l);
    return *l == '\0' || *l == '#';
}

/* Skips blank and comment lines; true when a block can go on here (not at
 * the end, not at a document separator). */
static bool skip_blank(yparser *p)
{
    while (p->i < p->n && blank_or_comment(p->lines[p->i]))
        p->i++;
    return p->i < p->n && strcmp(p->lines[p->i], "---") != 0;
}

static void put_utf8(char *out, size_t *o, unsigned cp)
{
    if (cp < 0x80) {
        out[(*o)++] = (char)cp;
    } else {
        out[(*o)++] = (char)(0xC0 | (cp >> 6));
        out[(*o)++] = (char)(0x80 | (cp & 0x3F));
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A quoted scalar at *s (on one line). Advances *s past the closing quote. */
static ynode *y_quoted(const char **s)
{
    const char *p = *s;
    char q = *p++;
    size_t cap = strlen(p) * 2 + 1, o = 0;
    char *out = malloc(cap);
    YCHECK(out, "out of memory");
    while (*p) {
        if (*p == q) {
            if (q == '\'' && p[1] == '\'') { /* '' is a quote inside '…' */
                out[o++] = '\'';
                p += 2;
                continue;
            }
            break;
        }
        if (q == '"' && *p == '\\') {
            p++;
            switch (*p) {
            case '0': out[o++] = '\0'; p++; break;
            case 'n': out[o++] = '\n'; p++; break;
            case 't': out[o++] = '\t'; p++; break;
            case 'r': out[o++] = '\r'; p++; break;
            case '\\': out[o++] = '\\'; p++; break;
            case '"': out[o++] = '"'; p++; break;
            case '/': out[o++] = '/'; p++; break;
            case 'x': {
                int h = hexval(p[1]), l = hexval(p[2]);
                YCHECK(h >= 0 && l >= 0, "bad \\x escape in YAML");
                /* YAML: \xHH is the character U+00HH, written as UTF-8. */
                put_utf8(out, &o, (unsigned)(h * 16 + l));
                p += 3;
                break;
            }
            default:
                YFAIL("YAML escape \\%c is not supported", *p);
            }
            continue;
        }
        out[o++] = *p++;
    }
    YCHECK(*p == q, "unterminated quoted scalar");
    *s = p + 1;
    ynode *y = y_scalar(out, o);
    free(out);
    return y;
}

static char *trim_dup(const char *s, size_t n)
{
    while (n && s[0] == ' ') {
        s++;
        n--;
    }
    while (n && s[n - 1] == ' ')
        n--;
    char *d = malloc(n + 1);
    YCHECK(d, "out of memory");
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* [a, "b", 'c'] on one line. */
static ynode *y_flow(const char *s)
{
    ynode *seq = y_new(Y_SEQ);
    const char *p = s + 1;
    for (;;) {
        while (*p == ' ')
            p++;
        if (*p == ']')
            break;
        YCHECK(*p, "unterminated flow sequence: %s", s);
        if (*p == '"' || *p == '\'') {
            y_add(seq, NULL, y_quoted(&p));
        } else {
            size_t n = strcspn(p, ",]");
            char *t = trim_dup(p, n);
            y_add(seq, NULL, y_scalar(t, strlen(t)));
            free(t);
            p += n;
        }
        while (*p == ' ')
            p++;
        if (*p == ',')
            p++;
    }
    return seq;
}

/* |, |-, >, >- : the lines indented deeper than parent. */
static ynode *y_block_scalar(yparser *p, const char *hdr, size_t parent)
{
    bool folded = hdr[0] == '>', strip = hdr[1] == '-';
    mxd_sb sb = MXD_SB_INIT;
    size_t content = 0;
    size_t pending_newlines = 0;
    while (p->i < p->n) {
        const char *l = p->lines[p->i];
        size_t ind = indent_of(l);
        if (l[ind] == '\0') { /* blank line inside the scalar */
            pending_newlines++;
            p->i++;
            continue;
        }
        if (ind <= parent || (content && ind < content))
            break;
        if (!content)
            content = ind;
        if (sb.len)
            mxd_sb_puts(&sb, pending_newlines ? "\n" : folded ? " " : "\n");
        for (size_t k = 1; k < pending_newlines; k++)
            mxd_sb_putc(&sb, '\n');
        pending_newlines = 0;
        mxd_sb_puts(&sb, l + content);
        p->i++;
    }
    if (!strip && sb.len)
        mxd_sb_putc(&sb, '\n');
    ynode *y = y_scalar(mxd_sb_str(&sb), sb.len);
    mxd_sb_free(&sb);
    return y;
}

static ynode *y_block(yparser *p, size_t min_indent);

/* The value after "key:" (rest), for a key at column keycol. */
static ynode *y_value(yparser *p, const char *rest, size_t keycol)
{
    while (*rest == ' ')
        rest++;
    if (*rest == '\0' || *rest == '#') {
        ynode *child = y_block(p, keycol + 1);
        return child ? child : y_scalar("", 0);
    }
    if (*rest == '|' || *rest == '>')
        return y_block_scalar(p, rest, keycol);
    if (*rest == '[')
        return y_flow(rest);
    if (*rest == '"' || *rest == '\'') {
        const char *q = rest;
        ynode *y = y_quoted(&q);
        while (*q == ' ')
            q++;
        YCHECK(*q == '\0' || *q == '#', "text after a quoted scalar: %s", rest);
        return y;
    }
    /* Plain scalar, possibly continued on deeper-indented lines. */
    mxd_sb sb = MXD_SB_INIT;
    const char *hash = strstr(rest, " #");
    char *first = trim_dup(rest, hash ? (size_t)(hash - rest) : strlen(rest));
    mxd_sb_puts(&sb, first);
    free(first);
    while (p->i < p->n && !blank_or_comment(p->lines[p->i]) && indent_of(p->lines[p->i]) > keycol) {
        const char *l = p->lines[p->i++];
        char *t = trim_dup(l, strlen(l));
        mxd_sb_putc(&sb, ' ');
        mxd_sb_puts(&sb, t);
        free(t);
    }
    ynode *y = y_scalar(mxd_sb_str(&sb), sb.len);
    mxd_sb_free(&sb);
    return y;
}

/* "key: rest" at s: returns the key (owned) and sets *rest, or NULL when s is
 * not a mapping entry. */
static char *y_key(const char *s, const char **rest)
{
    if (*s == '"' || *s == '\'') {
        const char *q = s;
        ynode *k = y_quoted(&q);
        if (*q != ':') {
            y_free(k);
            return NULL;
        }
        char *key = strdup(k->s);
        y_free(k);
        *rest = q + 1;
        return key;
    }
    for (const char *c = s; *c; c++)
        if (*c == ':' && (c[1] == ' ' || c[1] == '\0')) {
            *rest = c + 1;
            return trim_dup(s, (size_t)(c - s));
        }
    return NULL;
}

static void y_map_entries(yparser *p, ynode *map, size_t ind)
{
    for (;;) {
        if (!skip_blank(p))
            return;
        const char *l = p->lines[p->i];
        size_t li = indent_of(l);
        if (li < ind || (l[li] == '-' && (l[li + 1] == ' ' || l[li + 1] == '\0')))
            return;
        YCHECK(li == ind, "line %zu: unexpected indentation", p->i + 1);
        const char *rest = NULL;
        char *key = y_key(l + li, &rest);
        YCHECK(key, "line %zu: expected \"key:\"", p->i + 1);
        p->i++;
        y_add(map, key, y_value(p, rest, li));
    }
}

static ynode *y_block(yparser *p, size_t min_indent)
{
    if (!skip_blank(p))
        return NULL;
    const char *l = p->lines[p->i];
    size_t ind = indent_of(l);
    if (ind < min_indent)
        return NULL;
    if (!(l[ind] == '-' && (l[ind + 1] == ' ' || l[ind + 1] == '\0'))) {
        ynode *map = y_new(Y_MAP);
        y_map_entries(p, map, ind);
        return map;
    }
    ynode *seq = y_new(Y_SEQ);
    for (;;) {
        if (!skip_blank(p))
            break;
        l = p->lines[p->i];
        size_t li = indent_of(l);
        if (li != ind || l[li] != '-')
            break;
        p->i++;
        const char *rest = l + li + 1;
        while (*rest == ' ')
            rest++;
        const char *vrest = NULL;
        char *key = (*rest == '[' || *rest == '"' || *rest == '\'') ? NULL : y_key(rest, &vrest);
        if (key) { /* "- key: value": a mapping whose entries sit at this column */
            size_t col = (size_t)(rest - l);
            ynode *map = y_new(Y_MAP);
            y_add(map, key, y_value(p, vrest, col));
            y_map_entries(p, map, col);
            y_add(seq, NULL, map);
        } else if (*rest == '\0') {
            ynode *child = y_block(p, ind + 1);
            y_add(seq, NULL, child ? child : y_scalar("", 0));
        } else {
            y_add(seq, NULL, y_value(p, rest, ind));
        }
    }
    return seq;
}

/* Splits text into documents; returns how many (each a mapping). */
static size_t y_load(char *text, ynode ***docs)
{
    yparser p = { 0 };
    size_t cap = 0;
    for (char *s = text; *s;) {
        char *e = strchr(s, '\n');
        if (e)
            *e = '\0';
        size_t n = strlen(s);
        if (n && s[n - 1] == '\r')
            s[n - 1] = '\0';
        if (p.n == cap) {
            cap = cap ? cap * 2 : 1024;
            p.lines = realloc(p.lines, cap * sizeof *p.lines);
            YCHECK(p.lines, "out of memory");
        }
        p.lines[p.n++] = s;
        if (!e)
            break;
        s = e + 1;
    }
    size_t nd = 0;
    *docs = NULL;
    while (p.i < p.n) {
        if (strcmp(p.lines[p.i], "---") == 0) {
            p.i++;
            continue;
        }
        if (!skip_blank(&p)) {
            if (p.i >= p.n)
                break;
            continue;
        }
        ynode *doc = y_block(&p, 0);
        YCHECK(doc && doc->t == Y_MAP, "document %zu is not a mapping", nd + 1);
        *docs = realloc(*docs, (nd + 1) * sizeof **docs);
        YCHECK(*docs, "out of memory");
        (*docs)[nd++] = doc;
        YCHECK(p.i >= p.n || strcmp(p.lines[p.i], "---") == 0,
                      "line %zu: unexpected content", p.i + 1);
    }
    free(p.lines);
    return nd;
}

/* ======================================================================== */
/* The suite in memory                                                       */

typedef struct scase {
    const char *name;
    const ynode *t;        /* the case's mapping */
    const ynode *scenario; /* its document */
} scase;

static ynode **docs;
static size_t ndocs;
static scase *cases;
static size_t ncases;
static char suite_path[PATH_MAX];
static char *suite_text;

/* Cases expected to fail, with the reason. A listed case that passes fails
 * the suite, so the list cannot go stale. */
static const struct {
    const char *name;
    const char *reason;
} known_failures[] = {
    { NULL, NULL },
};

static const char *known_failure(const char *name)
{
    for (size_t i = 0; known_failures[i].name; i++)
        if (strcmp(known_failures[i].name, name) == 0)
            return known_failures[i].reason;
    return NULL;
}

static bool find_suite(void)
{
    const char *env = getenv("MXD_SPF_SUITE");
    if (env && *env) {
        snprintf(suite_path, sizeof suite_path, "%s", env);
        return access(suite_path, R_OK) == 0;
    }
    /* make runs tests from the repository root; ../shared sits beside it. */
    snprintf(suite_path, sizeof suite_path, "../shared/conformance/spf/rfc7208-tests.yml");
    if (access(suite_path, R_OK) == 0)
        return true;
    /* Run by hand from elsewhere: the binary is <root>/build/tests/ (or build-asan). */
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        for (int up = 0; up < 3; up++) {
            char *slash = strrchr(exe, '/');
            if (slash)
                *slash = '\0';
        }
        int w = snprintf(suite_path, sizeof suite_path, "%.3000s/../shared/conformance/spf/rfc7208-tests.yml", exe);
        if (w > 0 && access(suite_path, R_OK) == 0)
            return true;
    }
    return false;
}

static void load_suite(void)
{
    if (!find_suite())
        return;
    FILE *f = fopen(suite_path, "rb");
    if (!f)
        return;
    mxd_sb sb = MXD_SB_INIT;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        mxd_sb_append(&sb, buf, n);
    fclose(f);
    suite_text = mxd_sb_take(&sb);
    if (!suite_text)
        return;
    ndocs = y_load(suite_text, &docs);
    for (size_t d = 0; d < ndocs; d++) {
        const ynode *tests = y_get(docs[d], "tests");
        for (size_t i = 0; tests && tests->t == Y_MAP && i < tests->n; i++) {
            cases = realloc(cases, (ncases + 1) * sizeof *cases);
            YCHECK(cases, "out of memory");
            cases[ncases].name = tests->k[i];
            cases[ncases].t = tests->v[i];
            cases[ncases].scenario = docs[d];
            ncases++;
        }
    }
}

/* ======================================================================== */
/* Zones from zonedata                                                       */

typedef struct ent {
    bool timeout;          /* the TIMEOUT marker */
    mxd_rr rr;
} ent;

typedef struct zname {
    char name[MXD_NAME_MAX];  /* presentation form, escaped */
    ent *e;
    size_t n;
} zname;

typedef struct zone {
    zname *names;
    size_t n;
} zone;

/* A name as the suite writes it, in presentation form for the lab server. */
static void pres_name(const char *in, char *out)
{
    size_t n = strlen(in), o = 0;
    if (n && in[n - 1] == '.')
        n--;
    if (n == 0) {
        snprintf(out, MXD_NAME_MAX, ".");
        return;
    }
    for (size_t i = 0; i < n && o + 5 < MXD_NAME_MAX; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c < 0x21 || c > 0x7E || c == '\\')
            o += (size_t)snprintf(out + o, MXD_NAME_MAX - o, "\\%03u", c);
        else
            out[o++] = (char)c;
    }
    out[o] = '\0';
}

/* pres_name() into one of a record's name fields. */
static void pres_field(const char *in, char **field)
{
    char buf[MXD_NAME_MAX];
    pres_name(in, buf);
    ck_assert_int_eq(mxd_rr_set(field, buf), 0);
}

static uint16_t type_code(const char *t)
{
    static const struct { const char *name; uint16_t code; } types[] = {
        { "A", MXD_T_A }, { "AAAA", MXD_T_AAAA }, { "MX", MXD_T_MX }, { "PTR", MXD_T_PTR },
        { "CNAME", MXD_T_CNAME }, { "TXT", MXD_T_TXT }, { "SPF", MXD_T_SPF },
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(types[i].name, t) == 0)
            return types[i].code;
    ck_abort_msg("zonedata type %s is not supported", t);
    return 0;
}

static void set_text(mxd_rr *rr, const ynode *v)
{
    mxd_sb sb = MXD_SB_INIT;
    if (v->t == Y_SCALAR) {
        mxd_sb_append(&sb, v->s, v->slen);
    } else { /* several character-strings: joined without separator (§3.3) */
        for (size_t i = 0; i < v->n; i++)
            mxd_sb_append(&sb, v->v[i]->s, v->v[i]->slen);
    }
    rr->data_len = sb.len;
    rr->data = malloc(sb.len + 1);
    ck_assert_ptr_nonnull(rr->data);
    memcpy(rr->data, sb.buf ? sb.buf : "", sb.len);
    rr->data[sb.len] = '\0';
    mxd_sb_free(&sb);
}

static ent make_ent(const char *owner, const char *type, const ynode *v)
{
    ent x;
    memset(&x, 0, sizeof x);
    mxd_rr *rr = &x.rr;
    pres_field(owner, &rr->name);
    rr->type = type_code(type);
    rr->rclass = 1;
    rr->ttl = 300;
    switch (rr->type) {
    case MXD_T_A:
        ck_assert_int_eq(inet_pton(AF_INET, v->s, rr->u.a), 1);
        break;
    case MXD_T_AAAA:
        ck_assert_int_eq(inet_pton(AF_INET6, v->s, rr->u.aaaa), 1);
        break;
    case MXD_T_MX:
        ck_assert(v->t == Y_SEQ && v->n == 2);
        rr->u.mx.pref = (uint16_t)atoi(v->v[0]->s);
        pres_field(v->v[1]->s, &rr->u.mx.host);
        break;
    case MXD_T_PTR:
    case MXD_T_CNAME:
        pres_field(v->s, &rr->u.target);
        break;
    default:
        set_text(rr, v);
        break;
    }
    return x;
}

static void zname_add(zname *z, ent x)
{
    z->e = realloc(z->e, (z->n + 1) * sizeof *z->e);
    ck_assert_ptr_nonnull(z->e);
    z->e[z->n++] = x;
}

static void build_zone(const ynode *scenario, zone *z)
{
    memset(z, 0, sizeof *z);
    const ynode *zd = y_get(scenario, "zonedata");
    ck_assert_msg(zd && zd->t == Y_MAP, "scenario without zonedata");
    z->names = calloc(zd->n ? zd->n : 1, sizeof *z->names);
    ck_assert_ptr_nonnull(z->names);
    for (size_t i = 0; i < zd->n; i++) {
        zname *zn = &z->names[z->n++];
        pres_name(zd->k[i], zn->name);
        const ynode *items = zd->v[i];
        ck_assert_msg(items->t == Y_SEQ, "zonedata %s is not a list", zd->k[i]);
        bool gen = true; /* copies of SPF records as TXT, unless a TXT entry exists */
        for (size_t k = 0; k < items->n; k++)
            if (items->v[k]->t == Y_MAP && strcmp(items->v[k]->k[0], "TXT") == 0)
                gen = false;
        for (size_t k = 0; k < items->n; k++) {
            const ynode *it = items->v[k];
            if (it->t == Y_SCALAR) {
                ck_assert_str_eq(it->s, "TIMEOUT");
                ent x;
                memset(&x, 0, sizeof x);
                x.timeout = true;
                zname_add(zn, x);
                continue;
            }
            const char *type = it->k[0];
            const ynode *v = it->v[0];
            if (v->t == Y_SCALAR && strcmp(v->s, "NONE") == 0)
                continue;
            zname_add(zn, make_ent(zd->k[i], type, v));
        }
        if (gen)
            for (size_t k = 0; k < items->n; k++) {
                const ynode *it = items->v[k];
                if (it->t == Y_MAP && strcmp(it->k[0], "SPF") == 0 &&
                    !(it->v[0]->t == Y_SCALAR && strcmp(it->v[0]->s, "NONE") == 0))
                    zname_add(zn, make_ent(zd->k[i], "TXT", it->v[0]));
            }
    }
}

static void free_zone(zone *z)
{
    for (size_t i = 0; i < z->n; i++) {
        for (size_t k = 0; k < z->names[i].n; k++)
            mxd_rr_clear(&z->names[i].e[k].rr);
        free(z->names[i].e);
    }
    free(z->names);
    memset(z, 0, sizeof *z);
}

/* True when a question for (qname, qtype) must get no answer. */
static bool times_out(const zone *z, const char *qname, uint16_t qtype)
{
    for (size_t i = 0; i < z->n; i++) {
        const zname *zn = &z->names[i];
        if (!mxd_dns_name_eq(zn->name, qname))
            continue;
        for (size_t k = 0; k < zn->n; k++) {
            if (zn->e[k].timeout)
                return true;
            if (zn->e[k].rr.type == qtype)
                return false;
        }
    }
    return false;
}

/* The records the server publishes: everything before a name's TIMEOUT. */
static mxd_scn_zone zone_for_server(const zone *z, mxd_rr **store)
{
    size_t total = 0;
    for (size_t i = 0; i < z->n; i++)
        total += z->names[i].n;
    mxd_rr *rrs = calloc(total ? total : 1, sizeof *rrs);
    ck_assert_ptr_nonnull(rrs);
    size_t n = 0;
    for (size_t i = 0; i < z->n; i++)
        for (size_t k = 0; k < z->names[i].n && !z->names[i].e[k].timeout; k++)
            rrs[n++] = z->names[i].e[k].rr; /* shallow: the server copies */
    mxd_scn_zone sz;
    memset(&sz, 0, sizeof sz);
    snprintf(sz.origin, sizeof sz.origin, ".");
    sz.rrs = rrs;
    sz.nrrs = n;
    *store = rrs;
    return sz;
}

/* ======================================================================== */
/* The relay: drops TIMEOUT questions, passes the rest                       */

typedef struct relay {
    mxd_loop *loop;
    const zone *z;
    int front, back;
    struct {
        bool used;
        uint16_t id;
        struct sockaddr_in peer;
    } pend[64];
    unsigned next, dropped, forwarded, truncated;
} relay;

static void on_back(mxd_loop *loop, int fd, unsigned ev, void *arg)
{
    (void)loop;
    (void)ev;
    relay *r = arg;
    uint8_t buf[65536];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, 0)) >= 12) {
        uint16_t id = (uint16_t)(buf[0] << 8 | buf[1]);
        if (buf[2] & 0x02)
            r->truncated++; /* TC: the client would retry over TCP, which we lack */
        for (size_t i = 0; i < sizeof r->pend / sizeof r->pend[0]; i++)
            if (r->pend[i].used && r->pend[i].id == id) {
                r->pend[i].used = false;
                (void)sendto(r->front, buf, (size_t)n, 0, (struct sockaddr *)&r->pend[i].peer,
                             sizeof r->pend[i].peer);
                break;
            }
    }
}

static void on_front(mxd_loop *loop, int fd, unsigned ev, void *arg)
{
    (void)loop;
    (void)ev;
    relay *r = arg;
    uint8_t buf[65536];
    for (;;) {
        struct sockaddr_in peer;
        socklen_t pl = sizeof peer;
        ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&peer, &pl);
        if (n < 0)
            return;
        mxd_dnsmsg m;
        if (mxd_dns_parse(buf, (size_t)n, &m) < 0)
            continue;
        bool drop = m.qdcount == 1 && times_out(r->z, m.qname, m.qtype);
        uint16_t id = m.id;
        mxd_dnsmsg_free(&m);
        if (drop) {
            r->dropped++;
            continue;
        }
        size_t slot = r->next++ % (sizeof r->pend / sizeof r->pend[0]);
        r->pend[slot].used = true;
        r->pend[slot].id = id;
        r->pend[slot].peer = peer;
        r->forwarded++;
        (void)send(r->back, buf, (size_t)n, 0);
    }
}

static int udp_socket(const char *addr, uint16_t port, bool bind_it)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
    ck_assert_int_eq(inet_pton(AF_INET, addr, &sa.sin_addr), 1);
    int rc = bind_it ? bind(fd, (struct sockaddr *)&sa, sizeof sa)
                     : connect(fd, (struct sockaddr *)&sa, sizeof sa);
    if (rc < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static void relay_close(relay *r)
{
    if (r->front >= 0) {
        mxd_loop_unwatch(r->loop, r->front);
        close(r->front);
    }
    if (r->back >= 0) {
        mxd_loop_unwatch(r->loop, r->back);
        close(r->back);
    }
    r->front = r->back = -1;
}

/* ======================================================================== */
/* One case                                                                  */

typedef struct run {
    bool done;
    mxd_spf_outcome o;
} run;

static void on_outcome(void *arg, const mxd_spf_outcome *o)
{
    run *r = arg;
    ck_assert_int_eq(mxd_spf_outcome_copy(&r->o, o), 0);
    r->done = true;
}

static bool run_done(void *arg)
{
    return ((run *)arg)->done;
}

static uint16_t random_port(void)
{
    uint32_t v = 0;
    if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
        v = (uint32_t)mxd_now_ms() * 2654435761u;
    return (uint16_t)(20000 + v % 40001);
}

/* Evaluates case c; fills *o. Returns how many answers the relay saw truncated. */
static unsigned evaluate(const scase *c, mxd_spf_outcome *o, unsigned *dropped)
{
    zone z;
    build_zone(c->scenario, &z);
    mxd_rr *store = NULL;
    mxd_scn_zone sz = zone_for_server(&z, &store);
    mxd_loop *loop = mxd_loop_new();
    ck_assert_ptr_nonnull(loop);
    mxd_labdns_auth *auth = NULL;
    relay r = { .loop = loop, .z = &z, .front = -1, .back = -1 };
    uint16_t port = 0;
    char err[256] = "";
    for (int attempt = 0; attempt < 30 && !auth; attempt++) {
        port = random_port();
        if (port == 5353)
            continue;
        mxd_labdns_auth_cfg cfg = { .addr = AUTH_ADDR, .port = port, .mode = MXD_AUTH_NORMAL,
                                    .zones = &sz, .nzones = 1 };
        auth = mxd_labdns_auth_start(loop, &cfg, err, sizeof err);
        if (!auth) {
            ck_assert_msg(errno == EADDRINUSE, "auth start: %s", err);
            continue;
        }
        r.front = udp_socket(RELAY_ADDR, port, true);
        if (r.front < 0) {
            ck_assert_msg(errno == EADDRINUSE, "relay bind: %s", strerror(errno));
            mxd_labdns_auth_free(auth);
            auth = NULL;
        }
    }
    ck_assert_msg(auth, "no free port: %s", err);
    free(store);
    r.back = udp_socket(AUTH_ADDR, port, false);
    ck_assert_int_ge(r.back, 0);
    ck_assert_int_eq(mxd_loop_watch(loop, r.front, MXD_EV_READ, on_front, &r), 0);
    ck_assert_int_eq(mxd_loop_watch(loop, r.back, MXD_EV_READ, on_back, &r), 0);

    char servers[64];
    snprintf(servers, sizeof servers, "%s:%u", RELAY_ADDR, (unsigned)port);
    mxd_dns *dns = mxd_dns_new(loop, servers, QUERY_TIMEOUT_MS, false, err, sizeof err);
    ck_assert_msg(dns, "dns: %s", err);

    const char *host = y_str(c->t, "host"), *helo = y_str(c->t, "helo");
    const char *mailfrom = y_str(c->t, "mailfrom");
    ck_assert_msg(host && helo && mailfrom, "%s: host, helo or mailfrom missing", c->name);
    run rr = { 0 };
    mxd_spf_eval_opts opts = { .deadline_ms = 20000, .now = 1700000000 };
    mxd_spf_eval *e = mxd_spf_eval_start_ex(loop, dns, host, mailfrom, helo, NULL, &opts,
                                            on_outcome, &rr);
    ck_assert_msg(e, "%s: evaluation did not start", c->name);
    ck_assert_msg(mxd_loop_run_until(loop, run_done, &rr, mxd_now_ms() + 25000),
                  "%s: no outcome", c->name);
    *o = rr.o;
    *dropped = r.dropped;
    unsigned truncated = r.truncated;
    mxd_dns_free(dns);
    relay_close(&r);
    mxd_labdns_auth_free(auth);
    ck_assert_uint_eq(mxd_loop_pending(loop), 0);
    mxd_loop_free(loop);
    free_zone(&z);
    return truncated;
}

/* Whether outcome o meets case c; why not in why. */
static bool meets(const scase *c, const mxd_spf_outcome *o, char *why, size_t cap)
{
    const ynode *res = y_get(c->t, "result");
    ck_assert_ptr_nonnull(res);
    const char *got = mxd_spf_res_name(o->result);
    bool ok = false;
    mxd_sb want = MXD_SB_INIT;
    if (res->t == Y_SCALAR) {
        ok = strcmp(res->s, got) == 0;
        mxd_sb_puts(&want, res->s);
    } else {
        for (size_t i = 0; i < res->n; i++) {
            ok = ok || strcmp(res->v[i]->s, got) == 0;
            mxd_sb_printf(&want, "%s%s", i ? "|" : "", res->v[i]->s);
        }
    }
    if (!ok) {
        snprintf(why, cap, "result %s, expected %s (problem %s)", got, mxd_sb_str(&want),
                 mxd_spf_problem_name(o->problem));
        mxd_sb_free(&want);
        return false;
    }
    mxd_sb_free(&want);
    const char *exp = y_str(c->t, "explanation");
    if (exp) {
        bool dflt = strcmp(exp, "DEFAULT") == 0;
        if (dflt ? o->explanation != NULL : (!o->explanation || strcmp(o->explanation, exp) != 0)) {
            snprintf(why, cap, "explanation \"%s\", expected \"%s\"",
                     o->explanation ? o->explanation : "(none: DEFAULT)", exp);
            return false;
        }
    }
    return true;
}

START_TEST(test_case)
{
    ck_assert_int_lt(_i, (int)ncases);
    const scase *c = &cases[_i];
    mxd_spf_outcome o;
    unsigned dropped = 0;
    unsigned truncated = evaluate(c, &o, &dropped);
    char why[512] = "";
    bool ok = meets(c, &o, why, sizeof why);
    if (getenv("MXD_SPF_SUITE_VERBOSE"))
        fprintf(stderr, "%-36s %-5s %-9s lookups %2u void %u problem %s%s%s\n", c->name,
                ok ? "ok" : "FAIL", mxd_spf_res_name(o.result), o.lookups, o.voids,
                mxd_spf_problem_name(o.problem), o.explanation ? " exp: " : "",
                o.explanation ? o.explanation : "");
    if (!ok && getenv("MXD_SPF_SUITE_TREE")) {
        mxd_sb sb = MXD_SB_INIT;
        mxd_spf_tree_text(&o, &sb);
        fprintf(stderr, "%s:\n%s", c->name, mxd_sb_str(&sb));
        mxd_sb_free(&sb);
    }
    mxd_spf_outcome_free(&o);
    ck_assert_msg(truncated == 0, "%s: %u answers were truncated (the relay has no TCP)",
                  c->name, truncated);
    const char *known = known_failure(c->name);
    if (known) {
        ck_assert_msg(!ok, "%s passes now: remove it from known_failures[]", c->name);
        fprintf(stderr, "known failure %s: %s (%s)\n", c->name, why, known);
        return;
    }
    ck_assert_msg(ok, "%s (spec %s): %s", c->name, y_str(c->t, "spec") ? y_str(c->t, "spec") : "?",
                  why);
}
END_TEST

/* The file as the runner reads it: every case complete, zonedata typed. */
START_TEST(test_suite_read)
{
    ck_assert_msg(suite_text, "SPF test suite not found: set MXD_SPF_SUITE, or put ../shared "
                              "beside the repository (tried %s)", suite_path);
    ck_assert_uint_eq(ndocs, 16);
    ck_assert_uint_eq(ncases, 203); /* the README says 205; the 2014.04 file holds 203 */
    for (size_t i = 0; i < ncases; i++) {
        ck_assert_msg(y_str(cases[i].t, "host") && y_str(cases[i].t, "helo") &&
                      y_str(cases[i].t, "mailfrom") && y_get(cases[i].t, "result"),
                      "case %s is incomplete", cases[i].name);
        for (size_t j = 0; j < i; j++)
            ck_assert_msg(strcmp(cases[i].name, cases[j].name) != 0, "duplicate case %s",
                          cases[i].name);
    }
    /* Spot checks of the trickier YAML: joined strings, escapes, block text. */
    zone z;
    build_zone(docs[0], &z);
    bool null_text = false, ctrl = false;
    for (size_t i = 0; i < z.n; i++)
        for (size_t k = 0; k < z.names[i].n; k++) {
            const mxd_rr *rr = &z.names[i].e[k].rr;
            if (rr->type == MXD_T_TXT && strcmp(z.names[i].name, "null.example.com") == 0 &&
                rr->data_len && strcmp((char *)rr->data, "v=spf1 ip4:192.0.2.5 -all") == 0)
                null_text = true;
            if (rr->type == MXD_T_TXT && strcmp(z.names[i].name, "ctrl.example.com") == 0 &&
                memchr(rr->data, '\r', rr->data_len))
                ctrl = true;
        }
    ck_assert(null_text);
    ck_assert(ctrl);
    ck_assert(times_out(&z, "example.com", MXD_T_TXT));
    ck_assert(!times_out(&z, "example.net", MXD_T_TXT));
    free_zone(&z);
    /* "Record lookup": spftimeout answers TXT but not SPF; TXT: NONE stops copies. */
    build_zone(docs[1], &z);
    ck_assert(!times_out(&z, "spftimeout.example.net", MXD_T_TXT));
    ck_assert(times_out(&z, "spftimeout.example.net", MXD_T_SPF));
    ck_assert(times_out(&z, "txttimeout.example.net", MXD_T_TXT));
    free_zone(&z);
    const ynode *nul = NULL;
    for (size_t i = 0; i < ncases; i++)
        if (strcmp(cases[i].name, "a-null") == 0)
            nul = y_get(cases[i].scenario, "zonedata");
    ck_assert_ptr_nonnull(nul);
    const ynode *e3 = y_get(nul, "e3.example.com");
    ck_assert_ptr_nonnull(e3);
    ck_assert_uint_eq(e3->v[0]->v[0]->slen, strlen("v=spf1 a:foo.example.com") + 1);
    const ynode *ip6 = NULL;
    for (size_t i = 0; i < ncases; i++)
        if (strcmp(cases[i].name, "ip6-bad1") == 0)
            ip6 = cases[i].t;
    ck_assert_str_eq(y_str(ip6, "description"), "");
    ck_assert_str_eq(y_str(ip6, "spec"), "5.6/2");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("spf_suite");
    TCase *tc = tcase_create("read");
    tcase_add_test(tc, test_suite_read);
    suite_add_tcase(s, tc);
    tc = tcase_create("rfc7208");
    tcase_set_timeout(tc, 60);
    if (ncases)
        tcase_add_loop_test(tc, test_case, 0, (int)ncases);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    load_suite();
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    for (size_t i = 0; i < ndocs; i++)
        y_free(docs[i]);
    free(docs);
    free(cases);
    free(suite_text);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
