/* scenario.c — the practice-lab scenario format: parser, writer, folder listing.
 *
 * The format is written for teachers (help/scenarios/README.md): a header of
 * "key: value" lines, then [zone], [auth] and [smtp] sections. Zone sections take
 * the lines of an ordinary zone file, so a teacher can paste from one. Every
 * error names the file and line and says what is wrong, because the person
 * reading it edits text, not C. The parser records the error as data
 * (scenario_error.h); the sentence comes from the help catalog when it is
 * shown, in the teacher's language.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mxd/labdns.h"
#include "mxd/sanitize.h"
#include "mxd/scenario.h"
#include "mxd/scenario_https.h"
#include "mxd/steps.h"
#include "mxd/strbuf.h"

/* Bounds: a scenario is a classroom exercise, not a production zone. */
enum {
    MAX_RECORDS = 4096,     /* all zones together */
    MAX_SECTIONS = 256,
    MAX_EXPECT = 64,
    MAX_TEXT = 64 * 1024,   /* one title/question/hint/answer */
    MAX_TOKENS = 512,       /* one zone record (TXT may have many strings) */
    MAX_RECORD_BYTES = 64 * 1024,
    DEFAULT_TTL = 3600,
};

typedef enum { SEC_HEADER, SEC_ZONE, SEC_AUTH, SEC_SMTP, SEC_HTTPS } section;

typedef struct tok {
    char *s;       /* NUL-terminated, points into the record's scratch buffer */
    size_t len;
    bool quoted;
} tok;

typedef struct parser {
    const char *name;
    mxd_scn_error *err;     /* may be NULL */
    mxd_scenario *s;
    section sec;
    mxd_scn_zone *zone;     /* current [zone] (valid until the next section starts) */
    mxd_scn_auth *auth;     /* current [auth] */
    mxd_scn_smtp *smtp;     /* current [smtp] */
    mxd_scn_https *https;   /* current [https] */
    unsigned sec_keys;      /* keys already given in the current [auth]/[smtp] */
    size_t nsections, nrecords;
    uint32_t ttl;           /* $TTL of the current zone */
    bool dnssec_given;      /* the current zone has its "dnssec:" line */
    char owner[MXD_NAME_MAX];
    bool have_owner;
    /* header */
    char **cont;            /* the text field an indented line continues */
    bool cont_expect;       /* ... or the expect list */
    bool blank;             /* a blank line came since: the next piece starts a new line */
    int line_domain;
    unsigned seen;          /* header keys given (bit per key) */
    /* a zone record that spans lines inside ( ) */
    tok toks[MAX_TOKENS];
    size_t ntoks;
    char *scratch;          /* MAX_RECORD_BYTES */
    size_t scratch_len;
    int depth;
    int rec_line;
    bool rec_inherit;
} parser;

/* ---------------------------------------------------------------- errors */

/* Records what is wrong and where (scenario_error.h): the values follow code in
 * the order MXD_SCN_ERRORS names them, then a NULL. No sentence is written
 * here; whoever shows the error picks it in the reader's language. */
__attribute__((sentinel))
static int fail(parser *p, int line, mxd_scn_errcode code, ...)
{
    if (!p->err)
        return -1;
    mxd_scn_error_at(p->err, p->name, line);
    va_list ap;
    va_start(ap, code);
    mxd_scn_error_setv(p->err, code, ap);
    va_end(ap);
    return -1;
}

/* The place of an error the [https] section's parser described (it does not
 * know the file or the line). */
static int located(parser *p, int line)
{
    mxd_scn_error_at(p->err, p->name, line);
    return -1;
}

#define E(code) MXD_SCN_E_##code
#define TERM(t) mxd_scn_term_key(MXD_SCN_T_##t)

/* Numbers as error values; the buffer is a compound literal that lives until
 * the end of the enclosing block, i.e. past the fail() call it is written in. */
static const char *num_text(char *buf, size_t cap, int hex_digits, unsigned long long v)
{
    if (hex_digits)
        snprintf(buf, cap, "%0*llX", hex_digits, v);
    else
        snprintf(buf, cap, "%llu", v);
    return buf;
}
#define NUM(v) num_text((char[24]){ 0 }, 24, 0, (unsigned long long)(v))
#define HEX2(v) num_text((char[24]){ 0 }, 24, 2, (unsigned long long)(v))
#define HEX4(v) num_text((char[24]){ 0 }, 24, 4, (unsigned long long)(v))

/* ---------------------------------------------------------------- names */

static const char *const auth_names[] = { "normal", "silent", "lame", "servfail" };
static const char *const behaviour_names[] = {
    "ok", "refuse", "blackhole", "greet554", "greet421", "no-starttls", "tarpit", "inject",
    "close", "garbage", "tls-garbage", "filtered",
    "hostile-split", "hostile-longline", "hostile-endless", "hostile-bytes", "hostile-escapes",
    "hostile-bidi", "hostile-reset", "hostile-noread",
};
static const char *const cert_names[] = { "good", "wrong-name", "expired", "self-signed" };
static const char *const rcpt_names[] = { "accept", "reject-unknown", "greylist" };
static const char *const data_names[] = { "refuse", "accept" };
static const char *const submission_names[] = { "none", "ok", "filtered" };

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *mxd_auth_mode_name(mxd_auth_mode m)
{
    return (unsigned)m < NELEM(auth_names) ? auth_names[m] : "?";
}

const char *mxd_smtp_behaviour_name(mxd_smtp_behaviour b)
{
    return (unsigned)b < NELEM(behaviour_names) ? behaviour_names[b] : "?";
}

const char *mxd_cert_kind_name(mxd_cert_kind k)
{
    return (unsigned)k < NELEM(cert_names) ? cert_names[k] : "?";
}

const char *mxd_rcpt_mode_name(mxd_rcpt_mode m)
{
    return (unsigned)m < NELEM(rcpt_names) ? rcpt_names[m] : "?";
}

const char *mxd_data_mode_name(mxd_data_mode m)
{
    return (unsigned)m < NELEM(data_names) ? data_names[m] : "?";
}

const char *mxd_submission_mode_name(mxd_submission_mode m)
{
    return (unsigned)m < NELEM(submission_names) ? submission_names[m] : "?";
}

static int lookup(const char *const *names, size_t n, const char *v)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(names[i], v) == 0)
            return (int)i;
    return -1;
}

static void join_names(const char *const *names, size_t n, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && used < cap; i++) {
        int w = snprintf(out + used, cap - used, "%s%s", i ? ", " : "", names[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static const struct { const char *name; uint16_t type; } rr_types[] = {
    { "A", MXD_T_A }, { "AAAA", MXD_T_AAAA }, { "MX", MXD_T_MX }, { "NS", MXD_T_NS },
    { "CNAME", MXD_T_CNAME }, { "PTR", MXD_T_PTR }, { "TXT", MXD_T_TXT }, { "SOA", MXD_T_SOA },
    { "TLSA", MXD_T_TLSA },
};

/* TLSA data the lab fills in when it starts, by the word that names it. */
static const char *const tlsa_from_names[] = { "", "@cert", "@other", "@ca" };

static const char *type_name(uint16_t t)
{
    for (size_t i = 0; i < NELEM(rr_types); i++)
        if (rr_types[i].type == t)
            return rr_types[i].name;
    return "?";
}

/* ---------------------------------------------------------------- UTF-8 */

/* Checks the whole file before parsing, so no later step meets a broken
 * sequence, a NUL or a terminal control character. */
static int check_text(parser *p, const unsigned char *t, size_t len)
{
    int line = 1;
    for (size_t i = 0; i < len;) {
        unsigned c = t[i];
        if (c == '\n') {
            line++;
            i++;
            continue;
        }
        if (c < 0x80) {
            if (c == '\r' && (i + 1 == len || t[i + 1] == '\n')) {
                i++;
                continue;
            }
            if ((c < 0x20 && c != '\t') || c == 0x7f)
                return fail(p, line, E(CONTROL_CHAR), HEX4(c), NULL);
            i++;
            continue;
        }
        unsigned need, cp, min;
        if (c >= 0xc2 && c <= 0xdf) { need = 1; cp = c & 0x1f; min = 0x80; }
        else if (c >= 0xe0 && c <= 0xef) { need = 2; cp = c & 0x0f; min = 0x800; }
        else if (c >= 0xf0 && c <= 0xf4) { need = 3; cp = c & 0x07; min = 0x10000; }
        else
            return fail(p, line, E(UTF8_BYTE), HEX2(c), NULL);
        if (len - i <= need)
            return fail(p, line, E(UTF8_TRUNCATED), NULL);
        for (unsigned k = 1; k <= need; k++) {
            if ((t[i + k] & 0xc0) != 0x80)
                return fail(p, line, E(UTF8_BYTE), HEX2(c), NULL);
            cp = (cp << 6) | (t[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return fail(p, line, E(UTF8_SEQUENCE), NULL);
        if (cp <= 0x9f)
            return fail(p, line, E(CONTROL_CHAR), HEX4(cp), NULL);
        if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
            return fail(p, line, E(BIDI_CHAR), HEX4(cp), NULL);
        i += need + 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- small parsers */

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static char *trim(char *s)
{
    while (is_space(*s))
        s++;
    size_t n = strlen(s);
    while (n && is_space(s[n - 1]))
        s[--n] = '\0';
    return s;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    if (!*s)
        return false;
    unsigned long v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > max)
            return false;
    }
    *out = v;
    return true;
}

/* "3600", or with units like zone files accept: "1h30m", "2d", "1w". */
static bool parse_ttl(const char *s, uint32_t *out)
{
    unsigned long long total = 0, cur = 0;
    bool digits = false, units = false;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s >= '0' && *s <= '9') {
            cur = cur * 10 + (unsigned)(*s - '0');
            digits = true;
            if (cur > 0x7fffffffULL)
                return false;
            continue;
        }
        unsigned long long mul;
        switch (*s) {
        case 's': case 'S': mul = 1; break;
        case 'm': case 'M': mul = 60; break;
        case 'h': case 'H': mul = 3600; break;
        case 'd': case 'D': mul = 86400; break;
        case 'w': case 'W': mul = 604800; break;
        default: return false;
        }
        if (!digits)
            return false;
        total += cur * mul;
        cur = 0;
        digits = false;
        units = true;
        if (total > 0x7fffffffULL)
            return false;
    }
    if (digits)
        total += cur;
    else if (!units)
        return false;
    if (total > 0x7fffffffULL)   /* RFC 2181 §8 */
        return false;
    *out = (uint32_t)total;
    return true;
}

/* Checks a presentation name and writes it lower-case into out. Labels may hold
 * letters, digits, '-' and '_' (for _dmarc and friends). Returns NULL when fine,
 * else why not (a term key, for the "why" of MXD_SCN_E_BAD_NAME). */
static const char *check_name(const char *in, size_t len, char *out)
{
    if (len == 0)
        return TERM(WHY_EMPTY);
    if (len > 253)
        return TERM(WHY_TOO_LONG);
    size_t lab = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '.') {
            if (lab == 0)
                return TERM(WHY_DOUBLE_DOT);
            lab = 0;
        } else {
            if (c >= 0x80)
                return TERM(WHY_NOT_ASCII);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_'))
                return TERM(WHY_LABEL_CHARS);
            if (++lab > 63)
                return TERM(WHY_LABEL_TOO_LONG);
        }
        out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : (char)c;
    }
    if (lab == 0)
        return TERM(WHY_EMPTY_LABEL);
    out[len] = '\0';
    return NULL;
}

/* A name as written in a record: "@" is the origin, "." the root, a trailing dot
 * makes it absolute, anything else is relative to the origin. what is a term
 * key (MXD_SCN_T_WHAT_*) naming the field, for the error. */
static int make_name(parser *p, int line, const tok *t, const char *origin, const char *what,
                     char out[MXD_NAME_MAX])
{
    if (t->quoted)
        return fail(p, line, E(NAME_QUOTED), what, t->s, NULL);
    if (strcmp(t->s, "@") == 0) {
        snprintf(out, MXD_NAME_MAX, "%s", origin);
        return 0;
    }
    if (strcmp(t->s, ".") == 0) {
        strcpy(out, ".");
        return 0;
    }
    char full[600];
    size_t n = t->len;
    if (n >= 300) {
        char start[44]; /* enough of it to find it in the file */
        mxd_sanitize_into(start, sizeof start, t->s);
        return fail(p, line, E(BAD_NAME), what, start, TERM(WHY_TOO_LONG), NULL);
    }
    if (t->s[n - 1] == '.')
        memcpy(full, t->s, --n);
    else {
        int w = snprintf(full, sizeof full, "%s.%s", t->s, origin);
        n = (size_t)w;
    }
    full[n] = '\0';
    const char *why = check_name(full, n, out);
    if (why)
        return fail(p, line, E(BAD_NAME), what, t->s, why, NULL);
    return 0;
}

static bool name_under(const char *name, const char *origin)
{
    size_t n = strlen(name), o = strlen(origin);
    if (n == o)
        return strcmp(name, origin) == 0;
    return n > o && name[n - o - 1] == '.' && strcmp(name + n - o, origin) == 0;
}

/* Addresses of the lab's own servers: IPv4 inside 127.0.0.0/8, nothing else. */
static int parse_lab_addr(parser *p, int line, const char *s, char out[48], const char *sec)
{
    struct in_addr a;
    if (inet_pton(AF_INET, s, &a) != 1)
        return fail(p, line, E(BAD_ADDR), s, sec, NULL);
    if ((ntohl(a.s_addr) >> 24) != 127)
        return fail(p, line, E(ADDR_NOT_LOOPBACK), s, sec, NULL);
    snprintf(out, 48, "%s", s);
    return 0;
}

/* Header text: "\n" is a line break and "\\" a backslash; any other backslash stays. */
static void unescape_text(mxd_sb *sb, const char *s)
{
    for (; *s; s++) {
        if (s[0] == '\\' && s[1] == 'n') {
            mxd_sb_putc(sb, '\n');
            s++;
        } else if (s[0] == '\\' && s[1] == '\\') {
            mxd_sb_putc(sb, '\\');
            s++;
        } else
            mxd_sb_putc(sb, *s);
    }
}

/* ---------------------------------------------------------------- header */

enum { K_ID, K_LEVEL, K_DOMAIN, K_EXPECT, K_TEXT };
enum { JOIN_NONE, JOIN_FOLD, JOIN_NEWLINE };

static const char *const text_keys[] = { "title", "question", "hint", "answer" };

static char **text_slot(mxd_scenario *s, size_t field, mxd_lang lang)
{
    switch (field) {
    case 0: return &s->title[lang];
    case 1: return &s->question[lang];
    case 2: return &s->hint[lang];
    default: return &s->answer[lang];
    }
}

/* Joins a continuation piece: after a blank line it starts a new line; else a
 * space separates it from the text above, unless either side is Japanese (or
 * any non-ASCII) text, which is written without spaces between lines. */
static int append_text(parser *p, int line, char **slot, const char *value, int join)
{
    mxd_sb sb = MXD_SB_INIT;
    if (*slot && **slot) {
        mxd_sb_puts(&sb, *slot);
        unsigned char last = (unsigned char)(*slot)[strlen(*slot) - 1];
        if (join == JOIN_NEWLINE)
            mxd_sb_putc(&sb, '\n');
        else if (join == JOIN_FOLD && last < 0x80 && last != '\n' &&
                 (unsigned char)value[0] < 0x80)
            mxd_sb_putc(&sb, ' ');
    }
    unescape_text(&sb, value);
    if (!mxd_sb_ok(&sb)) {
        mxd_sb_free(&sb);
        return fail(p, line, E(NOMEM), NULL);
    }
    if (sb.len > MAX_TEXT) {
        mxd_sb_free(&sb);
        return fail(p, line, E(TEXT_TOO_LONG), NUM(MAX_TEXT), NULL);
    }
    free(*slot);
    *slot = mxd_sb_take(&sb);
    if (!*slot)
        *slot = strdup("");
    return *slot ? 0 : fail(p, line, E(NOMEM), NULL);
}

static int add_expect(parser *p, int line, char *list)
{
    for (char *save = NULL, *id = strtok_r(list, " \t,", &save); id;
         id = strtok_r(NULL, " \t,", &save)) {
        if (!mxd_finding_def_find(id))
            return fail(p, line, E(UNKNOWN_FINDING), id, NULL);
        for (size_t i = 0; i < p->s->nexpect; i++)
            if (strcmp(p->s->expect[i], id) == 0)
                return fail(p, line, E(FINDING_TWICE), id, NULL);
        if (p->s->nexpect >= MAX_EXPECT)
            return fail(p, line, E(TOO_MANY_FINDINGS), NUM(MAX_EXPECT), NULL);
        char **nv = realloc(p->s->expect, (p->s->nexpect + 1) * sizeof *nv);
        if (!nv)
            return fail(p, line, E(NOMEM), NULL);
        p->s->expect = nv;
        if (!(nv[p->s->nexpect] = strdup(id)))
            return fail(p, line, E(NOMEM), NULL);
        p->s->nexpect++;
    }
    return 0;
}

static int header_line(parser *p, int line, char *raw)
{
    mxd_scenario *s = p->s;
    if (is_space(raw[0])) {
        char *v = trim(raw);
        int join = p->blank ? JOIN_NEWLINE : JOIN_FOLD;
        p->blank = false;
        if (p->cont)
            return append_text(p, line, p->cont, v, join);
        if (p->cont_expect)
            return add_expect(p, line, v);
        return fail(p, line, E(STRAY_INDENT), NULL);
    }
    char *colon = strchr(raw, ':');
    if (!colon)
        return fail(p, line, E(HEADER_SYNTAX), NULL);
    *colon = '\0';
    char *key = trim(raw), *v = trim(colon + 1);
    p->cont = NULL;
    p->cont_expect = false;
    p->blank = false;

    int k = -1;
    size_t field = 0;
    mxd_lang lang = MXD_LANG_EN;
    if (strcmp(key, "id") == 0) k = K_ID;
    else if (strcmp(key, "level") == 0) k = K_LEVEL;
    else if (strcmp(key, "domain") == 0) k = K_DOMAIN;
    else if (strcmp(key, "expect") == 0) k = K_EXPECT;
    else {
        const char *dot = strchr(key, '.');
        size_t blen = dot ? (size_t)(dot - key) : strlen(key);
        for (size_t i = 0; i < NELEM(text_keys); i++)
            if (strlen(text_keys[i]) == blen && strncmp(key, text_keys[i], blen) == 0) {
                if (!dot)
                    return fail(p, line, E(TEXT_NO_LANG), key, NULL);
                if (strcmp(dot + 1, "en") == 0)
                    lang = MXD_LANG_EN;
                else if (strcmp(dot + 1, "ja") == 0)
                    lang = MXD_LANG_JA;
                else
                    return fail(p, line, E(TEXT_BAD_LANG), key, NULL);
                k = K_TEXT;
                field = i;
            }
    }
    if (k < 0)
        return fail(p, line, E(UNKNOWN_HEADER_KEY), key, NULL);

    unsigned bit = k == K_TEXT ? 1u << (4 + field * MXD_LANG_COUNT + (unsigned)lang) : 1u << k;
    if (k != K_EXPECT && (p->seen & bit))
        return fail(p, line, E(KEY_TWICE), key, NULL);
    p->seen |= bit;

    switch (k) {
    case K_ID: {
        size_t n = strlen(v);
        if (n == 0 || n >= sizeof s->id)
            return fail(p, line, E(ID_LENGTH), NUM(sizeof s->id - 1), NULL);
        for (const char *c = v; *c; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_'))
                return fail(p, line, E(ID_CHARS), v, NULL);
        memcpy(s->id, v, n + 1);
        return 0;
    }
    case K_LEVEL:
        if (strcmp(v, "beginner") != 0 && strcmp(v, "advanced") != 0)
            return fail(p, line, E(UNKNOWN_LEVEL), v, NULL);
        snprintf(s->level, sizeof s->level, "%s", v);
        return 0;
    case K_DOMAIN: {
        size_t n = strlen(v);
        if (n && v[n - 1] == '.')
            v[--n] = '\0';
        const char *why = n ? check_name(v, n, s->domain) : TERM(WHY_EMPTY);
        if (why)
            return fail(p, line, E(BAD_NAME), TERM(WHAT_DOMAIN), v, why, NULL);
        p->line_domain = line;
        return 0;
    }
    case K_EXPECT:
        p->cont_expect = true;
        return add_expect(p, line, v);
    default: {
        char **slot = text_slot(s, field, lang);
        p->cont = slot;
        return append_text(p, line, slot, v, JOIN_NONE);
    }
    }
}

/* ---------------------------------------------------------------- sections */

static int add_zone(parser *p, int line, mxd_scn_zone **arr, size_t *n, const char *origin)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*arr)[i].origin, origin) == 0)
            return fail(p, line, E(DUPLICATE_ZONE), origin, NUM((*arr)[i].line), NULL);
    mxd_scn_zone *nv = realloc(*arr, (*n + 1) * sizeof *nv);
    if (!nv)
        return fail(p, line, E(NOMEM), NULL);
    *arr = nv;
    p->zone = &nv[(*n)++];
    memset(p->zone, 0, sizeof *p->zone);
    snprintf(p->zone->origin, sizeof p->zone->origin, "%s", origin);
    p->zone->line = line;
    p->ttl = DEFAULT_TTL;
    p->have_owner = false;
    p->dnssec_given = false;
    return 0;
}

static int section_line(parser *p, int line, char *raw)
{
    char *close = strchr(raw, ']');
    if (!close)
        return fail(p, line, E(SECTION_NO_CLOSE), NULL);
    char *rest = trim(close + 1);
    if (*rest && *rest != '#' && *rest != ';')
        return fail(p, line, E(SECTION_TRAILING), NULL);
    *close = '\0';
    char *words[6];
    size_t nw = 0;
    for (char *save = NULL, *w = strtok_r(raw + 1, " \t", &save); w;
         w = strtok_r(NULL, " \t", &save)) {
        if (nw == NELEM(words))
            return fail(p, line, E(SECTION_WORDS), NULL);
        words[nw++] = w;
    }
    if (++p->nsections > MAX_SECTIONS)
        return fail(p, line, E(TOO_MANY_SECTIONS), NUM(MAX_SECTIONS), NULL);
    p->cont = NULL;
    p->cont_expect = false;
    p->zone = NULL;
    p->auth = NULL;
    p->smtp = NULL;
    p->https = NULL;
    p->sec_keys = 0;
    mxd_scenario *s = p->s;

    if (nw >= 1 && strcmp(words[0], "zone") == 0) {
        if (nw != 2 && !(nw == 4 && strcmp(words[2], "server") == 0))
            return fail(p, line, E(ZONE_FORM), NULL);
        char origin[MXD_NAME_MAX];
        size_t n = strlen(words[1]);
        if (n > 1 && words[1][n - 1] == '.')
            words[1][--n] = '\0';
        const char *why = strcmp(words[1], ".") == 0 ? TERM(WHY_ROOT_ZONE)
                                                     : check_name(words[1], n, origin);
        if (why)
            return fail(p, line, E(BAD_NAME), TERM(WHAT_ZONE_ORIGIN), words[1], why, NULL);
        p->sec = SEC_ZONE;
        if (nw == 2)
            return add_zone(p, line, &s->zones, &s->nzones, origin);
        char addr[48];
        if (parse_lab_addr(p, line, words[3], addr, "zone") < 0)
            return -1;
        for (size_t i = 0; i < s->nauth; i++)
            if (strcmp(s->auth[i].addr, addr) == 0)
                return add_zone(p, line, &s->auth[i].zones, &s->auth[i].nzones, origin);
        return fail(p, line, E(ZONE_NO_AUTH), addr, NULL);
    }
    if (nw == 2 && strcmp(words[0], "auth") == 0) {
        char addr[48];
        if (parse_lab_addr(p, line, words[1], addr, "auth") < 0)
            return -1;
        for (size_t i = 0; i < s->nauth; i++)
            if (strcmp(s->auth[i].addr, addr) == 0)
                return fail(p, line, E(DUPLICATE_SERVER), "auth", addr, NUM(s->auth[i].line),
                            NULL);
        mxd_scn_auth *nv = realloc(s->auth, (s->nauth + 1) * sizeof *nv);
        if (!nv)
            return fail(p, line, E(NOMEM), NULL);
        s->auth = nv;
        p->auth = &nv[s->nauth++];
        memset(p->auth, 0, sizeof *p->auth);
        memcpy(p->auth->addr, addr, sizeof addr);
        p->auth->mode = MXD_AUTH_NORMAL;
        p->auth->line = line;
        p->sec = SEC_AUTH;
        return 0;
    }
    if (nw == 2 && strcmp(words[0], "smtp") == 0) {
        char addr[48];
        if (parse_lab_addr(p, line, words[1], addr, "smtp") < 0)
            return -1;
        for (size_t i = 0; i < s->nsmtp; i++)
            if (strcmp(s->smtp[i].addr, addr) == 0)
                return fail(p, line, E(DUPLICATE_SERVER), "smtp", addr, NUM(s->smtp[i].line),
                            NULL);
        mxd_scn_smtp *nv = realloc(s->smtp, (s->nsmtp + 1) * sizeof *nv);
        if (!nv)
            return fail(p, line, E(NOMEM), NULL);
        s->smtp = nv;
        p->smtp = &nv[s->nsmtp++];
        memset(p->smtp, 0, sizeof *p->smtp);
        memcpy(p->smtp->addr, addr, sizeof addr);
        p->smtp->line = line;
        p->sec = SEC_SMTP;
        return 0;
    }
    if (nw == 2 && strcmp(words[0], "https") == 0) {
        char addr[48];
        if (parse_lab_addr(p, line, words[1], addr, "https") < 0)
            return -1;
        p->https = mxd_scn_https_section(&s->https, &s->nhttps, addr, line, p->err);
        if (!p->https)
            return located(p, line);
        p->sec = SEC_HTTPS;
        return 0;
    }
    if (nw >= 1 && (strcmp(words[0], "auth") == 0 || strcmp(words[0], "smtp") == 0 ||
                    strcmp(words[0], "https") == 0))
        return fail(p, line, E(SERVER_FORM), words[0], NULL);
    return fail(p, line, E(UNKNOWN_SECTION), nw ? words[0] : "", NULL);
}

static int server_key_line(parser *p, int line, char *raw)
{
    char *colon = strchr(raw, ':');
    if (!colon)
        return fail(p, line, E(SERVER_SYNTAX), p->sec == SEC_AUTH ? "auth" : "smtp",
                    p->sec == SEC_AUTH ? p->auth->addr : p->smtp->addr, NULL);
    *colon = '\0';
    char *key = trim(raw), *v = trim(colon + 1);
    char known[512];
    if (p->sec == SEC_AUTH) {
        if (strcmp(key, "mode") != 0)
            return fail(p, line, E(UNKNOWN_SERVER_KEY), key, "auth", "mode", NULL);
        if (p->sec_keys & 1u)
            return fail(p, line, E(KEY_TWICE), "mode", NULL);
        p->sec_keys |= 1u;
        int m = lookup(auth_names, NELEM(auth_names), v);
        if (m < 0) {
            join_names(auth_names, NELEM(auth_names), known, sizeof known);
            return fail(p, line, E(UNKNOWN_VALUE), "mode", v, known, NULL);
        }
        p->auth->mode = (mxd_auth_mode)m;
        return 0;
    }
    static const char *const keys[] = { "name", "behaviour", "cert", "delay",
                                        "rcpt", "users", "data", "submission" };
    int k = lookup(keys, NELEM(keys), key);
    if (k < 0 && strcasecmp(key, "behavior") == 0)
        k = 1;
    if (k < 0)
        return fail(p, line, E(UNKNOWN_SERVER_KEY), key, "smtp",
                    "name, behaviour, cert, delay, rcpt, users, data, submission", NULL);
    if (p->sec_keys & (1u << k))
        return fail(p, line, E(KEY_TWICE), keys[k], NULL);
    p->sec_keys |= 1u << k;
    mxd_scn_smtp *m = p->smtp;
    switch (k) {
    case 0: {
        size_t n = strlen(v);
        if (n && v[n - 1] == '.')
            v[--n] = '\0';
        const char *why = n ? check_name(v, n, m->name) : TERM(WHY_EMPTY);
        if (why)
            return fail(p, line, E(BAD_NAME), TERM(WHAT_SERVER_NAME), v, why, NULL);
        return 0;
    }
    case 1: {
        int b = lookup(behaviour_names, NELEM(behaviour_names), v);
        if (b < 0) {
            join_names(behaviour_names, NELEM(behaviour_names), known, sizeof known);
            return fail(p, line, E(UNKNOWN_VALUE), "behaviour", v, known, NULL);
        }
        m->behaviour = (mxd_smtp_behaviour)b;
        return 0;
    }
    case 2: {
        int c = lookup(cert_names, NELEM(cert_names), v);
        if (c < 0) {
            join_names(cert_names, NELEM(cert_names), known, sizeof known);
            return fail(p, line, E(UNKNOWN_VALUE), "cert", v, known, NULL);
        }
        m->cert = (mxd_cert_kind)c;
        return 0;
    }
    case 3: {
        unsigned long ms;
        size_t n = strlen(v);
        if (n > 2 && strcmp(v + n - 2, "ms") == 0)
            v[n - 2] = '\0';
        if (!parse_uint(trim(v), 600000, &ms))
            return fail(p, line, E(BAD_DELAY), v, NULL);
        m->delay_ms = (unsigned)ms;
        return 0;
    }
    case 4:
    case 6:
    case 7: {
        const char *const *names = k == 4 ? rcpt_names : k == 6 ? data_names : submission_names;
        size_t nn = k == 4 ? NELEM(rcpt_names) : k == 6 ? NELEM(data_names) : NELEM(submission_names);
        int x = lookup(names, nn, v);
        if (x < 0) {
            join_names(names, nn, known, sizeof known);
            return fail(p, line, E(UNKNOWN_VALUE), keys[k], v, known, NULL);
        }
        if (k == 4)
            m->rcpt = (mxd_rcpt_mode)x;
        else if (k == 6)
            m->data = (mxd_data_mode)x;
        else
            m->submission = (mxd_submission_mode)x;
        return 0;
    }
    default: {
        /* users: local parts that exist, separated by spaces or commas. */
        for (char *w = strtok(v, " ,\t"); w; w = strtok(NULL, " ,\t")) {
            size_t n = strlen(w);
            bool ok = n > 0 && n <= 64;
            for (size_t i = 0; ok && i < n; i++)
                ok = isalnum((unsigned char)w[i]) || strchr("!#$%&'*+-/=?^_`{|}~.", w[i]);
            if (!ok)
                return fail(p, line, E(BAD_USER), w, NULL);
            if (m->nusers == MXD_SCN_MAX_USERS)
                return fail(p, line, E(TOO_MANY_USERS), NUM(MXD_SCN_MAX_USERS), NULL);
            snprintf(m->users[m->nusers++], sizeof m->users[0], "%s", w);
        }
        if (!m->nusers)
            return fail(p, line, E(NO_USERS), NULL);
        return 0;
    }
    }
}

/* ---------------------------------------------------------------- zone records */

static bool rr_same(const mxd_rr *a, const mxd_rr *b)
{
    if (a->type != b->type || strcmp(a->name, b->name) != 0)
        return false;
    switch (a->type) {
    case MXD_T_A: return memcmp(a->u.a, b->u.a, 4) == 0;
    case MXD_T_AAAA: return memcmp(a->u.aaaa, b->u.aaaa, 16) == 0;
    case MXD_T_MX: return a->u.mx.pref == b->u.mx.pref && strcmp(a->u.mx.host, b->u.mx.host) == 0;
    case MXD_T_NS: case MXD_T_CNAME: case MXD_T_PTR: return strcmp(a->u.target, b->u.target) == 0;
    case MXD_T_TXT:
    case MXD_T_TLSA:
        return a->data_len == b->data_len && memcmp(a->data, b->data, a->data_len) == 0;
    default: return true; /* SOA: one per zone */
    }
}

static int need(parser *p, int line, size_t have, size_t want, const char *type, const char *form)
{
    if (have < want)
        return fail(p, line, E(RECORD_NEEDS), type, form, NULL);
    if (have > want)
        return fail(p, line, E(RECORD_TOO_MANY), type, form, NULL);
    return 0;
}

/* "dnssec: signed" (or "dnssec:signed") in a [zone] section. */
static int zone_dnssec(parser *p, int line, const tok *t, size_t nt)
{
    const char *v = t[0].len > 7 ? t[0].s + 7 : nt > 1 ? t[1].s : "";
    if (nt > (t[0].len > 7 ? 1u : 2u))
        return fail(p, line, E(BAD_DNSSEC), t[nt - 1].s, NULL);
    if (p->dnssec_given)
        return fail(p, line, E(KEY_TWICE), "dnssec", NULL);
    if (strcasecmp(v, "signed") != 0 && strcasecmp(v, "unsigned") != 0)
        return fail(p, line, E(BAD_DNSSEC), v, NULL);
    p->dnssec_given = true;
    p->zone->dnssec = strcasecmp(v, "signed") == 0;
    return 0;
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                        : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* TLSA: "usage selector mtype" and the data, as hex (may be split by blanks,
 * as zone files allow) or one of the words the lab fills in. Writes the
 * RDATA into rr and what fills it into *from and host. */
static int tlsa_rdata(parser *p, int line, const tok *r, size_t nr, const char *owner,
                      mxd_rr *rr, mxd_tlsa_from *from, char host[MXD_NAME_MAX])
{
    if (nr < 4)
        return fail(p, line, E(RECORD_NEEDS), "TLSA", TERM(FORM_TLSA), NULL);
    uint8_t head[3];
    for (size_t k = 0; k < 3; k++) {
        unsigned long v;
        if (r[k].quoted || !parse_uint(r[k].s, 255, &v))
            return fail(p, line, E(BAD_TLSA_NUMBER), r[k].s, NULL);
        head[k] = (uint8_t)v;
    }
    *from = MXD_TLSA_FROM_LITERAL;
    host[0] = '\0';
    if (!r[3].quoted && r[3].s[0] == '@') {
        int f = lookup(tlsa_from_names, NELEM(tlsa_from_names), r[3].s);
        if (f <= 0)
            return fail(p, line, E(BAD_TLSA_DATA), r[3].s, NULL);
        if (nr > 4)
            return fail(p, line, E(RECORD_TOO_MANY), "TLSA", TERM(FORM_TLSA), NULL);
        if (head[1] > 1 || head[2] > 2)
            return fail(p, line, E(TLSA_REF_KIND), tlsa_from_names[f], NULL);
        *from = (mxd_tlsa_from)f;
        if (*from != MXD_TLSA_FROM_CA) {
            /* "_25._tcp.mx1.lab.test": the port label, "_tcp", then the server. */
            const char *q = owner;
            bool ok = *q++ == '_' && *q >= '0' && *q <= '9';
            while (ok && *q >= '0' && *q <= '9')
                q++;
            ok = ok && strncmp(q, "._tcp.", 6) == 0 && q[6];
            if (!ok)
                return fail(p, line, E(TLSA_REF_OWNER), tlsa_from_names[f], owner, NULL);
            snprintf(host, MXD_NAME_MAX, "%s", q + 6);
        }
        nr = 3; /* no data until the lab fills it in */
    }
    mxd_sb sb = MXD_SB_INIT;
    mxd_sb_append(&sb, head, 3);
    for (size_t k = 3; k < nr; k++) {
        bool ok = !r[k].quoted && r[k].len % 2 == 0;
        for (size_t i = 0; ok && i < r[k].len; i += 2) {
            int hi = hex_digit(r[k].s[i]), lo = hex_digit(r[k].s[i + 1]);
            ok = hi >= 0 && lo >= 0;
            mxd_sb_putc(&sb, (char)(hi << 4 | lo));
        }
        if (!ok) {
            mxd_sb_free(&sb);
            return fail(p, line, E(BAD_TLSA_DATA), r[k].s, NULL);
        }
    }
    mxd_sb_putc(&sb, '\0'); /* the terminator dnswire.h promises for raw RDATA */
    if (!mxd_sb_ok(&sb)) {
        mxd_sb_free(&sb);
        return fail(p, line, E(NOMEM), NULL);
    }
    rr->data_len = sb.len - 1;
    rr->data = (uint8_t *)mxd_sb_take(&sb);
    return 0;
}

static int finish_record(parser *p)
{
    int line = p->rec_line;
    tok *t = p->toks;
    size_t nt = p->ntoks, i = 0;
    mxd_scn_zone *z = p->zone;
    p->ntoks = 0;
    p->scratch_len = 0;
    if (nt == 0)
        return 0;

    if (!p->rec_inherit && !t[0].quoted && t[0].s[0] == '$') {
        if (strcasecmp(t[0].s, "$TTL") == 0) {
            if (nt != 2 || !parse_ttl(t[1].s, &p->ttl))
                return fail(p, line, E(BAD_TTL_DIRECTIVE), NULL);
            return 0;
        }
        return fail(p, line, E(UNKNOWN_DIRECTIVE), t[0].s, NULL);
    }
    if (!p->rec_inherit && !t[0].quoted && strncasecmp(t[0].s, "dnssec:", 7) == 0)
        return zone_dnssec(p, line, t, nt);
    if (!p->rec_inherit && !t[0].quoted && t[0].len > 1 && t[0].s[t[0].len - 1] == ':')
        return fail(p, line, E(HEADER_KEY_IN_ZONE), t[0].s, NULL);

    /* Names are read into these first and given to the record once it is
     * valid, so the many early returns below have nothing to free. */
    char owner[MXD_NAME_MAX], n1[MXD_NAME_MAX] = "", n2[MXD_NAME_MAX] = "";
    mxd_tlsa_from from = MXD_TLSA_FROM_LITERAL;
    mxd_rr rr;
    memset(&rr, 0, sizeof rr);
    if (p->rec_inherit) {
        if (!p->have_owner)
            return fail(p, line, E(NO_OWNER_ABOVE), NULL);
        memcpy(owner, p->owner, sizeof owner);
    } else {
        if (make_name(p, line, &t[i], z->origin, TERM(WHAT_OWNER), owner) < 0)
            return -1;
        i++;
        if (!name_under(owner, z->origin))
            return fail(p, line, E(OUTSIDE_ORIGIN), owner, z->origin, NULL);
        memcpy(p->owner, owner, sizeof p->owner);
        p->have_owner = true;
    }
    rr.ttl = p->ttl;
    rr.rclass = 1;
    bool have_ttl = false, have_class = false;
    for (; i < nt && !t[i].quoted; i++) {
        if (t[i].s[0] >= '0' && t[i].s[0] <= '9') {
            if (have_ttl || !parse_ttl(t[i].s, &rr.ttl))
                return fail(p, line, E(BAD_TTL), t[i].s, NULL);
            have_ttl = true;
        } else if (strcasecmp(t[i].s, "IN") == 0 && !have_class) {
            have_class = true;
        } else if (strcasecmp(t[i].s, "CH") == 0 || strcasecmp(t[i].s, "HS") == 0 ||
                   strcasecmp(t[i].s, "CS") == 0) {
            return fail(p, line, E(BAD_CLASS), t[i].s, NULL);
        } else
            break;
    }
    if (i >= nt)
        return fail(p, line, E(NO_TYPE), NULL);
    const char *tname = t[i].s;
    for (size_t k = 0; k < NELEM(rr_types); k++)
        if (strcasecmp(rr_types[k].name, tname) == 0)
            rr.type = rr_types[k].type;
    if (!rr.type || t[i].quoted)
        return fail(p, line, E(UNKNOWN_TYPE), tname, NULL);
    tname = type_name(rr.type);
    i++;
    tok *r = &t[i];
    size_t nr = nt - i;

    switch (rr.type) {
    case MXD_T_A:
    case MXD_T_AAAA: {
        bool v4 = rr.type == MXD_T_A;
        if (need(p, line, nr, 1, tname, v4 ? TERM(FORM_IPV4) : TERM(FORM_IPV6)) < 0)
            return -1;
        if (inet_pton(v4 ? AF_INET : AF_INET6, r[0].s, v4 ? (void *)rr.u.a : (void *)rr.u.aaaa) != 1)
            return fail(p, line, E(BAD_IP), v4 ? "IPv4" : "IPv6", r[0].s, NULL);
        size_t n = v4 ? 4 : 16;
        if (!(rr.data = malloc(n)))
            return fail(p, line, E(NOMEM), NULL);
        memcpy(rr.data, v4 ? (void *)rr.u.a : (void *)rr.u.aaaa, n);
        rr.data_len = n;
        break;
    }
    case MXD_T_MX: {
        if (need(p, line, nr, 2, tname, TERM(FORM_MX)) < 0)
            return -1;
        unsigned long pref;
        if (!parse_uint(r[0].s, 65535, &pref))
            return fail(p, line, E(BAD_MX_PREF), r[0].s, NULL);
        rr.u.mx.pref = (uint16_t)pref;
        if (make_name(p, line, &r[1], z->origin, TERM(WHAT_MX_HOST), n1) < 0)
            return -1;
        break;
    }
    case MXD_T_NS:
    case MXD_T_CNAME:
    case MXD_T_PTR:
        if (need(p, line, nr, 1, tname, TERM(FORM_HOST)) < 0 ||
            make_name(p, line, &r[0], z->origin, TERM(WHAT_TARGET), n1) < 0)
            return -1;
        break;
    case MXD_T_TXT: {
        if (nr == 0)
            return fail(p, line, E(TXT_NEEDS_STRING), NULL);
        mxd_sb sb = MXD_SB_INIT;
        for (size_t k = 0; k < nr; k++)
            mxd_sb_append(&sb, r[k].s, r[k].len);
        mxd_sb_putc(&sb, '\0'); /* the terminator the header promises, also when empty */
        if (!mxd_sb_ok(&sb)) {
            mxd_sb_free(&sb);
            return fail(p, line, E(NOMEM), NULL);
        }
        rr.data_len = sb.len - 1;
        rr.data = (uint8_t *)mxd_sb_take(&sb);
        rr.txt_strings = (unsigned)nr;
        break;
    }
    case MXD_T_TLSA:
        if (tlsa_rdata(p, line, r, nr, owner, &rr, &from, n1) < 0)
            return -1;
        break;
    case MXD_T_SOA: {
        if (need(p, line, nr, 7, tname, TERM(FORM_SOA)) < 0)
            return -1;
        if (strcmp(owner, z->origin) != 0)
            return fail(p, line, E(SOA_NOT_ORIGIN), z->origin, NULL);
        for (size_t k = 0; k < z->nrrs; k++)
            if (z->rrs[k].type == MXD_T_SOA)
                return fail(p, line, E(SECOND_SOA), z->origin, NULL);
        if (make_name(p, line, &r[0], z->origin, TERM(WHAT_SOA_MNAME), n1) < 0 ||
            make_name(p, line, &r[1], z->origin, TERM(WHAT_SOA_RNAME), n2) < 0)
            return -1;
        unsigned long serial;
        if (!parse_uint(r[2].s, 4294967295UL, &serial))
            return fail(p, line, E(BAD_SOA_SERIAL), r[2].s, NULL);
        rr.u.soa.serial = (uint32_t)serial;
        uint32_t *vals[4] = { &rr.u.soa.refresh, &rr.u.soa.retry, &rr.u.soa.expire,
                              &rr.u.soa.minimum };
        for (size_t k = 0; k < 4; k++)
            if (!parse_ttl(r[3 + k].s, vals[k]))
                return fail(p, line, E(BAD_SOA_TIMER), r[3 + k].s, NULL);
        break;
    }
    }
    char **second = rr.type == MXD_T_MX ? &rr.u.mx.host :
                    rr.type == MXD_T_SOA ? &rr.u.soa.mname :
                    rr.type == MXD_T_NS || rr.type == MXD_T_CNAME || rr.type == MXD_T_PTR ?
                    &rr.u.target : NULL;
    if (mxd_rr_set(&rr.name, owner) < 0 || (second && mxd_rr_set(second, n1) < 0) ||
        (rr.type == MXD_T_SOA && mxd_rr_set(&rr.u.soa.rname, n2) < 0)) {
        mxd_rr_clear(&rr);
        return fail(p, line, E(NOMEM), NULL);
    }
    /* A record the lab fills in holds only its first three octets so far:
     * it repeats another one only when the same words fill it. */
    for (size_t k = 0; k < z->nrrs; k++) {
        const mxd_scn_tlsa *ref = NULL;
        for (size_t j = 0; j < z->ntlsa && !ref; j++)
            ref = z->tlsa[j].rr == k ? &z->tlsa[j] : NULL;
        if (rr_same(&z->rrs[k], &rr) && (ref ? ref->from : MXD_TLSA_FROM_LITERAL) == from) {
            mxd_rr_clear(&rr);
            return fail(p, line, E(RECORD_TWICE), tname, owner, NULL);
        }
    }
    if (++p->nrecords > MAX_RECORDS) {
        mxd_rr_clear(&rr);
        return fail(p, line, E(TOO_MANY_RECORDS), NUM(MAX_RECORDS), NULL);
    }
    mxd_rr *nv = realloc(z->rrs, (z->nrrs + 1) * sizeof *nv);
    if (!nv) {
        mxd_rr_clear(&rr);
        return fail(p, line, E(NOMEM), NULL);
    }
    z->rrs = nv;
    z->rrs[z->nrrs++] = rr;
    if (from != MXD_TLSA_FROM_LITERAL) {
        mxd_scn_tlsa *refs = realloc(z->tlsa, (z->ntlsa + 1) * sizeof *refs);
        if (!refs)
            return fail(p, line, E(NOMEM), NULL);
        z->tlsa = refs;
        refs[z->ntlsa] = (mxd_scn_tlsa){ .rr = z->nrrs - 1, .from = from, .line = line };
        snprintf(refs[z->ntlsa].host, sizeof refs[z->ntlsa].host, "%s", n1);
        z->ntlsa++;
    }
    return 0;
}

static int push_tok(parser *p, int line, const char *s, size_t n, bool quoted)
{
    if (p->ntoks == MAX_TOKENS)
        return fail(p, line, E(TOO_MANY_FIELDS), NULL);
    if (p->scratch_len + n + 1 > MAX_RECORD_BYTES)
        return fail(p, line, E(RECORD_TOO_LONG), NUM(MAX_RECORD_BYTES), NULL);
    char *d = p->scratch + p->scratch_len;
    memcpy(d, s, n);
    d[n] = '\0';
    p->toks[p->ntoks++] = (tok){ d, n, quoted };
    p->scratch_len += n + 1;
    return 0;
}

/* Splits one physical line into tokens: whitespace separates, ';' starts a
 * comment, "..." quotes (with \" \\ and \DDD), ( ) let a record span lines. */
static int zone_line(parser *p, int line, const char *raw)
{
    if (p->depth == 0) {
        p->rec_line = line;
        p->rec_inherit = is_space(raw[0]);
    }
    const char *c = raw;
    char q[1024];
    for (;;) {
        while (is_space(*c))
            c++;
        if (!*c || *c == ';')
            break;
        if (*c == '(') {
            p->depth++;
            c++;
            continue;
        }
        if (*c == ')') {
            if (p->depth == 0)
                return fail(p, line, E(CLOSE_PAREN), NULL);
            p->depth--;
            c++;
            continue;
        }
        if (*c == '"') {
            size_t n = 0;
            c++;
            for (;;) {
                if (!*c)
                    return fail(p, line, E(UNTERMINATED_QUOTE), NULL);
                if (*c == '"') {
                    c++;
                    break;
                }
                unsigned char b = (unsigned char)*c++;
                if (b == '\\') {
                    if (c[0] >= '0' && c[0] <= '9') {
                        if (!(c[1] >= '0' && c[1] <= '9' && c[2] >= '0' && c[2] <= '9'))
                            return fail(p, line, E(ESCAPE_DIGITS), NULL);
                        unsigned v = (unsigned)(c[0] - '0') * 100 + (unsigned)(c[1] - '0') * 10 +
                                     (unsigned)(c[2] - '0');
                        if (v > 255)
                            return fail(p, line, E(ESCAPE_RANGE), (char[4]){ c[0], c[1], c[2], 0 },
                                        NULL);
                        b = (unsigned char)v;
                        c += 3;
                    } else if (*c) {
                        b = (unsigned char)*c++;
                    } else
                        return fail(p, line, E(QUOTE_BACKSLASH_END), NULL);
                }
                if (n == sizeof q)
                    return fail(p, line, E(QUOTED_TOO_LONG), NUM(sizeof q), NULL);
                q[n++] = (char)b;
            }
            if (push_tok(p, line, q, n, true) < 0)
                return -1;
            continue;
        }
        const char *start = c;
        while (*c && !is_space(*c) && *c != ';' && *c != '(' && *c != ')' && *c != '"')
            c++;
        if (push_tok(p, line, start, (size_t)(c - start), false) < 0)
            return -1;
    }
    return p->depth ? 0 : finish_record(p);
}

/* ---------------------------------------------------------------- after the last line */

static int synthesise(parser *p, mxd_scn_zone *z)
{
    return mxd_scn_zone_complete(z) < 0 ? fail(p, z->line, E(NOMEM), NULL) : 0;
}

static bool domain_served(const mxd_scn_zone *z, size_t n, const char *domain)
{
    for (size_t i = 0; i < n; i++)
        if (name_under(domain, z[i].origin))
            return true;
    return false;
}

static const char *a_owner(const mxd_scn_zone *z, size_t n, const char *addr)
{
    struct in_addr a;
    if (inet_pton(AF_INET, addr, &a) != 1)
        return NULL;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < z[i].nrrs; k++)
            if (z[i].rrs[k].type == MXD_T_A && memcmp(z[i].rrs[k].u.a, &a, 4) == 0)
                return z[i].rrs[k].name;
    return NULL;
}

static const char *const lang_codes[MXD_LANG_COUNT] = { "en", "ja" };

/* "@cert" and "@other" name an [smtp] server by its name: it must exist. */
static int tlsa_servers_known(parser *p, const mxd_scn_zone *z)
{
    for (size_t i = 0; i < z->ntlsa; i++) {
        const mxd_scn_tlsa *t = &z->tlsa[i];
        bool found = t->from == MXD_TLSA_FROM_CA;
        for (size_t k = 0; k < p->s->nsmtp && !found; k++)
            found = strcmp(p->s->smtp[k].name, t->host) == 0;
        if (!found)
            return fail(p, t->line, E(TLSA_NO_SERVER), tlsa_from_names[t->from], t->host, NULL);
    }
    return 0;
}

static int finish(parser *p)
{
    mxd_scenario *s = p->s;
    if (p->depth)
        return fail(p, p->rec_line, E(OPEN_PAREN_EOF), NULL);
    if (!s->id[0])
        return fail(p, 1, E(MISSING_ID), NULL);
    if (!s->domain[0])
        return fail(p, 1, E(MISSING_DOMAIN), NULL);
    for (int l = 0; l < MXD_LANG_COUNT; l++)
        if (!s->title[l] || !s->title[l][0])
            return fail(p, 1, E(MISSING_TITLE), lang_codes[l], NULL);
    if (!s->level[0])
        strcpy(s->level, "beginner");
    bool served = domain_served(s->zones, s->nzones, s->domain);
    for (size_t i = 0; i < s->nauth && !served; i++)
        served = domain_served(s->auth[i].zones, s->auth[i].nzones, s->domain);
    if (!served)
        return fail(p, p->line_domain, E(DOMAIN_NOT_SERVED), s->domain, NULL);
    for (size_t i = 0; i < s->nsmtp; i++) {
        mxd_scn_smtp *m = &s->smtp[i];
        if (m->nusers && m->rcpt != MXD_RCPT_REJECT_UNKNOWN)
            return fail(p, m->line, E(USERS_UNUSED), m->addr, NULL);
        if (m->name[0])
            continue;
        const char *owner = a_owner(s->zones, s->nzones, m->addr);
        for (size_t k = 0; k < s->nauth && !owner; k++)
            owner = a_owner(s->auth[k].zones, s->auth[k].nzones, m->addr);
        if (!owner)
            return fail(p, m->line, E(SMTP_NO_NAME), m->addr, NULL);
        snprintf(m->name, sizeof m->name, "%s", owner);
    }
    for (size_t v = 0; v <= s->nauth; v++) {
        const mxd_scn_zone *zs = v == s->nauth ? s->zones : s->auth[v].zones;
        size_t nz = v == s->nauth ? s->nzones : s->auth[v].nzones;
        for (size_t i = 0; i < nz; i++)
            if (tlsa_servers_known(p, &zs[i]) < 0)
                return -1;
    }
    int https_line;
    if (mxd_scn_https_finish(s->https, s->nhttps, &https_line, p->err) < 0)
        return located(p, https_line);
    for (size_t i = 0; i < s->nzones; i++)
        if (synthesise(p, &s->zones[i]) < 0)
            return -1;
    for (size_t i = 0; i < s->nauth; i++)
        for (size_t k = 0; k < s->auth[i].nzones; k++)
            if (synthesise(p, &s->auth[i].zones[k]) < 0)
                return -1;
    return 0;
}

/* ---------------------------------------------------------------- entry points */

static void free_zones(mxd_scn_zone *z, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < z[i].nrrs; k++)
            mxd_rr_clear(&z[i].rrs[k]);
        free(z[i].rrs);
        free(z[i].tlsa);
    }
    free(z);
}

void mxd_scenario_free(mxd_scenario *s)
{
    if (!s)
        return;
    for (int l = 0; l < MXD_LANG_COUNT; l++) {
        free(s->title[l]);
        free(s->question[l]);
        free(s->hint[l]);
        free(s->answer[l]);
    }
    free_zones(s->zones, s->nzones);
    for (size_t i = 0; i < s->nauth; i++)
        free_zones(s->auth[i].zones, s->auth[i].nzones);
    free(s->auth);
    free(s->smtp);
    mxd_scn_https_free(s->https, s->nhttps);
    for (size_t i = 0; i < s->nexpect; i++)
        free(s->expect[i]);
    free(s->expect);
    memset(s, 0, sizeof *s);
}

int mxd_scenario_parse(const char *text, size_t len, const char *name, mxd_scenario *out,
                       mxd_scn_error *err)
{
    parser p;
    memset(&p, 0, sizeof p);
    p.name = name ? name : "scenario";
    p.err = err;
    p.s = out;
    memset(out, 0, sizeof *out);
    mxd_scn_error_clear(err);

    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) { /* a BOM from Windows editors */
        text += 3;
        len -= 3;
    }
    if (len > MXD_SCENARIO_MAX_BYTES)
        return fail(&p, 1, E(TOO_LARGE), NUM(MXD_SCENARIO_MAX_BYTES), NULL);
    if (check_text(&p, (const unsigned char *)text, len) < 0)
        return -1;
    char *buf = malloc(len + 1);
    p.scratch = malloc(MAX_RECORD_BYTES);
    if (!buf || !p.scratch) {
        free(buf);
        free(p.scratch);
        return fail(&p, 1, E(NOMEM), NULL);
    }
    memcpy(buf, text, len);
    buf[len] = '\0';

    int rc = 0, line = 0;
    for (char *cur = buf; cur && rc == 0;) {
        char *nl = strchr(cur, '\n');
        if (nl)
            *nl = '\0';
        line++;
        size_t n = strlen(cur);
        if (n && cur[n - 1] == '\r')
            cur[--n] = '\0';
        while (n && is_space(cur[n - 1]))
            cur[--n] = '\0';
        const char *first = cur;
        while (is_space(*first))
            first++;
        if (!*first) {
            p.blank = true;
        } else if (*first == '#' || (*first == ';' && p.sec == SEC_ZONE)) {
            /* comment */
        } else if (*first == '[' && first == cur) {
            if (p.depth)
                rc = fail(&p, p.rec_line, E(OPEN_PAREN_SECTION), NULL);
            else
                rc = section_line(&p, line, cur);
        } else if (p.sec == SEC_HEADER) {
            rc = header_line(&p, line, cur);
        } else if (p.sec == SEC_ZONE) {
            rc = zone_line(&p, line, cur);
        } else if (p.sec == SEC_HTTPS) {
            if (mxd_scn_https_line(p.https, cur, p.err) < 0)
                rc = located(&p, line);
        } else {
            rc = server_key_line(&p, line, cur);
        }
        cur = nl ? nl + 1 : NULL;
    }
    if (rc == 0)
        rc = finish(&p);
    free(buf);
    free(p.scratch);
    if (rc < 0)
        mxd_scenario_free(out);
    return rc;
}

/* An error about a file or folder as a whole (no line): where, and what. */
__attribute__((sentinel))
static int file_fail(mxd_scn_error *err, const char *path, mxd_scn_errcode code, ...)
{
    if (!err)
        return -1;
    mxd_scn_error_at(err, path, 0);
    va_list ap;
    va_start(ap, code);
    mxd_scn_error_setv(err, code, ap);
    va_end(ap);
    return -1;
}

/* Why path could not be opened, worded for the two reasons a teacher meets. */
static int open_fail(mxd_scn_error *err, const char *path, int e)
{
    if (e == ENOENT || e == ENOTDIR)
        return file_fail(err, path, E(NOT_FOUND), NULL);
    if (e == EACCES || e == EPERM)
        return file_fail(err, path, E(NO_ACCESS), NULL);
    return file_fail(err, path, E(CANNOT_OPEN), strerror(e), NULL);
}

int mxd_scenario_load(const char *path, mxd_scenario *out, mxd_scn_error *err)
{
    memset(out, 0, sizeof *out);
    mxd_scn_error_clear(err);
    FILE *f = fopen(path, "rb");
    if (!f)
        return open_fail(err, path, errno);
    size_t cap = MXD_SCENARIO_MAX_BYTES + 4; /* room for a BOM, and one byte to see "too big" */
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return file_fail(err, path, E(NOMEM), NULL);
    }
    errno = 0;
    size_t n = fread(buf, 1, cap, f);
    bool bad = ferror(f);
    int read_errno = errno;
    fclose(f);
    if (bad) {
        free(buf);
        return file_fail(err, path, read_errno == EISDIR ? E(IS_FOLDER) : E(READ_ERROR), NULL);
    }
    size_t limit = MXD_SCENARIO_MAX_BYTES + (n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0);
    if (n > limit) {
        free(buf);
        return file_fail(err, path, E(TOO_LARGE), NUM(MXD_SCENARIO_MAX_BYTES), NULL);
    }
    int rc = mxd_scenario_parse(buf, n, path, out, err);
    free(buf);
    if (rc == 0)
        snprintf(out->path, sizeof out->path, "%s", path);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t mxd_scenario_list_checked(const char *helpdir, mxd_scenario **out, size_t *nfailed,
                                 mxd_scn_error *err)
{
    *out = NULL;
    if (nfailed)
        *nfailed = 0;
    mxd_scn_error_clear(err);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/scenarios", helpdir);
    DIR *d = opendir(dir);
    if (!d) {
        open_fail(err, dir, errno);
        return 0;
    }
    char **names = NULL;
    size_t nn = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.' || l < 5 || strcmp(e->d_name + l - 4, ".scn") != 0)
            continue;
        char **nv = realloc(names, (nn + 1) * sizeof *nv);
        if (!nv)
            break;
        names = nv;
        if (!(names[nn] = strdup(e->d_name)))
            break;
        nn++;
    }
    closedir(d);
    if (nn)
        qsort(names, nn, sizeof *names, cmp_str);

    mxd_scenario *list = nn ? calloc(nn, sizeof *list) : NULL;
    size_t n = 0, bad = 0;
    for (size_t i = 0; i < nn && list; i++) {
        char path[4096 + 256];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        /* Only the first failure is kept: the one a teacher fixes next. */
        mxd_scn_error *first = bad == 0 ? err : NULL;
        int rc = mxd_scenario_load(path, &list[n], first);
        if (rc == 0) {
            const mxd_scenario *dup = mxd_scenario_find(list, n, list[n].id);
            if (dup) {
                rc = file_fail(first, path, E(DUPLICATE_ID), list[n].id, dup->path, NULL);
                mxd_scenario_free(&list[n]);
            }
        }
        if (rc == 0) {
            n++;
            continue;
        }
        bad++;
    }
    for (size_t i = 0; i < nn; i++)
        free(names[i]);
    free(names);
    if (nfailed)
        *nfailed = bad;
    if (n == 0) {
        free(list);
        return 0;
    }
    *out = list;
    return n;
}

size_t mxd_scenario_list(const char *helpdir, mxd_scenario **out)
{
    return mxd_scenario_list_checked(helpdir, out, NULL, NULL);
}

const mxd_scenario *mxd_scenario_find(const mxd_scenario *list, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].id, id) == 0)
            return &list[i];
    return NULL;
}

/* ---------------------------------------------------------------- writer */

static void put_text(mxd_sb *sb, const char *key, const char *v)
{
    if (!v)
        return;
    mxd_sb_printf(sb, "%s: ", key);
    for (; *v; v++) {
        if (*v == '\n')
            mxd_sb_puts(sb, "\\n");
        else if (*v == '\\')
            mxd_sb_puts(sb, "\\\\");
        else
            mxd_sb_putc(sb, *v);
    }
    mxd_sb_putc(sb, '\n');
}

static void put_name(mxd_sb *sb, const char *n)
{
    mxd_sb_puts(sb, n);
    if (strcmp(n, ".") != 0)
        mxd_sb_putc(sb, '.');
}

static void put_zone(mxd_sb *sb, const mxd_scn_zone *z, const char *server)
{
    mxd_sb_printf(sb, "\n[zone %s%s%s]\n", z->origin, server ? " server " : "", server ? server : "");
    if (z->dnssec)
        mxd_sb_puts(sb, "dnssec: signed\n");
    for (size_t i = 0; i < z->nrrs; i++) {
        const mxd_rr *r = &z->rrs[i];
        put_name(sb, r->name);
        mxd_sb_printf(sb, " %u IN %s ", (unsigned)r->ttl, type_name(r->type));
        char a[64];
        switch (r->type) {
        case MXD_T_A:
            inet_ntop(AF_INET, r->u.a, a, sizeof a);
            mxd_sb_puts(sb, a);
            break;
        case MXD_T_AAAA:
            inet_ntop(AF_INET6, r->u.aaaa, a, sizeof a);
            mxd_sb_puts(sb, a);
            break;
        case MXD_T_MX:
            mxd_sb_printf(sb, "%u ", (unsigned)r->u.mx.pref);
            put_name(sb, r->u.mx.host);
            break;
        case MXD_T_NS:
        case MXD_T_CNAME:
        case MXD_T_PTR:
            put_name(sb, r->u.target);
            break;
        case MXD_T_TXT:
            for (size_t k = 0; k == 0 || k < r->data_len; k += 255) {
                size_t end = r->data_len - k > 255 ? k + 255 : r->data_len;
                mxd_sb_puts(sb, k ? " \"" : "\"");
                for (size_t j = k; j < end; j++) {
                    unsigned char c = r->data[j];
                    if (c == '"' || c == '\\')
                        mxd_sb_printf(sb, "\\%c", c);
                    else if (c < 0x20 || c == 0x7f || c >= 0x80)
                        mxd_sb_printf(sb, "\\%03u", c);
                    else
                        mxd_sb_putc(sb, (char)c);
                }
                mxd_sb_putc(sb, '"');
            }
            break;
        case MXD_T_TLSA: {
            const mxd_scn_tlsa *ref = NULL;
            for (size_t k = 0; k < z->ntlsa && !ref; k++)
                ref = z->tlsa[k].rr == i ? &z->tlsa[k] : NULL;
            for (size_t k = 0; k < r->data_len; k++)
                mxd_sb_printf(sb, k < 3 ? "%u " : "%02x", r->data[k]);
            if (ref)
                mxd_sb_puts(sb, tlsa_from_names[ref->from]);
            break;
        }
        case MXD_T_SOA:
            put_name(sb, r->u.soa.mname);
            mxd_sb_putc(sb, ' ');
            put_name(sb, r->u.soa.rname);
            mxd_sb_printf(sb, " %u %u %u %u %u", (unsigned)r->u.soa.serial,
                          (unsigned)r->u.soa.refresh, (unsigned)r->u.soa.retry,
                          (unsigned)r->u.soa.expire, (unsigned)r->u.soa.minimum);
            break;
        }
        mxd_sb_putc(sb, '\n');
    }
}

char *mxd_scenario_format(const mxd_scenario *s)
{
    mxd_sb sb = MXD_SB_INIT;
    mxd_sb_printf(&sb, "id: %s\nlevel: %s\ndomain: %s\n", s->id, s->level, s->domain);
    for (size_t f = 0; f < NELEM(text_keys); f++)
        for (int l = 0; l < MXD_LANG_COUNT; l++) {
            char key[32];
            snprintf(key, sizeof key, "%s.%s", text_keys[f], lang_codes[l]);
            put_text(&sb, key, *text_slot((mxd_scenario *)s, f, (mxd_lang)l));
        }
    if (s->nexpect) {
        mxd_sb_puts(&sb, "expect:");
        for (size_t i = 0; i < s->nexpect; i++)
            mxd_sb_printf(&sb, " %s", s->expect[i]);
        mxd_sb_putc(&sb, '\n');
    }
    for (size_t i = 0; i < s->nzones; i++)
        put_zone(&sb, &s->zones[i], NULL);
    for (size_t i = 0; i < s->nauth; i++) {
        mxd_sb_printf(&sb, "\n[auth %s]\nmode: %s\n", s->auth[i].addr,
                      mxd_auth_mode_name(s->auth[i].mode));
        for (size_t k = 0; k < s->auth[i].nzones; k++)
            put_zone(&sb, &s->auth[i].zones[k], s->auth[i].addr);
    }
    for (size_t i = 0; i < s->nsmtp; i++) {
        const mxd_scn_smtp *m = &s->smtp[i];
        mxd_sb_printf(&sb, "\n[smtp %s]\nname: %s\nbehaviour: %s\ncert: %s\ndelay: %u\n", m->addr,
                      m->name, mxd_smtp_behaviour_name(m->behaviour), mxd_cert_kind_name(m->cert),
                      m->delay_ms);
        /* The delivery step's settings only when set, so older files read the same. */
        if (m->rcpt != MXD_RCPT_ACCEPT)
            mxd_sb_printf(&sb, "rcpt: %s\n", mxd_rcpt_mode_name(m->rcpt));
        for (size_t k = 0; k < m->nusers; k++)
            mxd_sb_printf(&sb, "%s%s%s", k ? " " : "users: ", m->users[k],
                          k + 1 == m->nusers ? "\n" : "");
        if (m->data != MXD_DATA_REFUSE)
            mxd_sb_printf(&sb, "data: %s\n", mxd_data_mode_name(m->data));
        if (m->submission != MXD_SUBMISSION_NONE)
            mxd_sb_printf(&sb, "submission: %s\n", mxd_submission_mode_name(m->submission));
    }
    mxd_scn_https_format(&sb, s->https, s->nhttps);
    return mxd_sb_take(&sb);
}
