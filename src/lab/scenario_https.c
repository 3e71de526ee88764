/* scenario_https.c — parsing and writing the [https ADDRESS] section (see scenario_https.h).
 *
 * Kept apart from scenario.c so that the section can grow without touching the
 * rest of the format: scenario.c hands over each line of the section and adds
 * the file and line to the errors recorded here (scenario_error.h). Their
 * sentences, in help/<lang>/scenario.cat, are written for a teacher who edits
 * text: they say what is wrong and what would be right.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mxd/scenario_https.h"

static const char *const behaviour_names[] = { "ok", "blackhole", "reset" };
static const char *const cert_names[] = { "good", "wrong-name", "expired", "self-signed" };

enum { K_NAME, K_CERT, K_BEHAVIOUR, K_PATH, K_STATUS, K_TYPE, K_LOCATION, K_BODY, K_COUNT };
static const char *const keys[K_COUNT] = { "name", "cert", "behaviour", "path",
                                           "status", "type", "location", "body" };

enum { MAX_BODY = 512 * 1024 };

const char *mxd_https_behaviour_name(mxd_https_behaviour b)
{
    return (unsigned)b < sizeof behaviour_names / sizeof behaviour_names[0] ? behaviour_names[b]
                                                                             : "?";
}

static int lookup(const char *const *names, size_t n, const char *v)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], v) == 0)
            return (int)i;
    return -1;
}

#define E(code) MXD_SCN_E_##code
#define TERM(t) mxd_scn_term_key(MXD_SCN_T_##t)

/* A number as an error value (the buffer lives to the end of the caller's block). */
static const char *num(char *buf, size_t cap, long v)
{
    snprintf(buf, cap, "%ld", v);
    return buf;
}
#define NUM(v) num((char[24]){ 0 }, 24, (long)(v))

static const char *const server_keys = "name, cert, behaviour, path, status, type, location, body";

mxd_scn_https *mxd_scn_https_section(mxd_scn_https **arr, size_t *n, const char *addr,
                                     int line, mxd_scn_error *err)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*arr)[i].addr, addr) == 0) {
            mxd_scn_error_set(err, E(DUPLICATE_SERVER), "https", addr, NUM((*arr)[i].line),
                              NULL);
            return NULL;
        }
    mxd_scn_https *nv = realloc(*arr, (*n + 1) * sizeof *nv);
    if (!nv) {
        mxd_scn_error_set(err, E(NOMEM), NULL);
        return NULL;
    }
    *arr = nv;
    mxd_scn_https *h = &nv[(*n)++];
    memset(h, 0, sizeof *h);
    snprintf(h->addr, sizeof h->addr, "%s", addr);
    h->line = line;
    h->behaviour = MXD_HTTPSB_OK;
    h->cert = MXD_CERT_GOOD;
    return h;
}

static bool printable(const char *s, bool spaces)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7F || (!spaces && *s == ' '))
            return false;
    return true;
}

static int body_add(mxd_scn_https_path *p, const char *text, mxd_scn_error *err)
{
    size_t n = strlen(text);
    if (p->body_len + n + 2 > MAX_BODY)
        return mxd_scn_error_set(err, E(HTTPS_BODY_TOO_LONG), NUM(MAX_BODY), NULL);
    char *nb = realloc(p->body, p->body_len + n + 3);
    if (!nb)
        return mxd_scn_error_set(err, E(NOMEM), NULL);
    p->body = nb;
    memcpy(p->body + p->body_len, text, n);
    memcpy(p->body + p->body_len + n, "\r\n", 3);
    p->body_len += n + 2;
    return 0;
}

static int set_name(mxd_scn_https *h, char *v, mxd_scn_error *err)
{
    size_t n = strlen(v);
    if (n && v[n - 1] == '.')
        v[--n] = '\0';
    if (n == 0 || n > 253)
        return mxd_scn_error_set(err, E(BAD_NAME), TERM(WHAT_HTTPS_NAME), v,
                                 TERM(WHY_HOST_EXAMPLE), NULL);
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_'))
            return mxd_scn_error_set(err, E(BAD_NAME), TERM(WHAT_HTTPS_NAME), v,
                                     TERM(WHY_HOST_CHARS), NULL);
        if (c == '.' && (i == 0 || v[i - 1] == '.'))
            return mxd_scn_error_set(err, E(BAD_NAME), TERM(WHAT_HTTPS_NAME), v,
                                     TERM(WHY_EMPTY_LABEL), NULL);
        h->name[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    h->name[n] = '\0';
    return 0;
}

int mxd_scn_https_line(mxd_scn_https *h, const char *raw, mxd_scn_error *err)
{
    mxd_scn_https_path *cur = h->npaths ? &h->paths[h->npaths - 1] : NULL;
    if (raw[0] == ' ' || raw[0] == '\t') {
        if (!h->in_body || !cur)
            return mxd_scn_error_set(err, E(HTTPS_INDENT), NULL);
        while (*raw == ' ' || *raw == '\t')
            raw++;
        return body_add(cur, raw, err);
    }
    h->in_body = false;
    char line[1100];
    if (strlen(raw) >= sizeof line)
        return mxd_scn_error_set(err, E(HTTPS_LINE_TOO_LONG), NUM(sizeof line - 1), NULL);
    snprintf(line, sizeof line, "%s", raw);
    char *colon = strchr(line, ':');
    if (!colon)
        return mxd_scn_error_set(err, E(SERVER_SYNTAX), "https", h->addr, NULL);
    *colon = '\0';
    char *key = line, *v = colon + 1;
    size_t kn = strlen(key);
    while (kn && (key[kn - 1] == ' ' || key[kn - 1] == '\t'))
        key[--kn] = '\0';
    while (*v == ' ' || *v == '\t')
        v++;
    int k = lookup(keys, K_COUNT, key);
    if (k < 0 && strcasecmp(key, "behavior") == 0)
        k = K_BEHAVIOUR;
    if (k < 0)
        return mxd_scn_error_set(err, E(UNKNOWN_SERVER_KEY), key, "https", server_keys, NULL);
    if (k < K_PATH) {
        if (h->keys & (1u << k))
            return mxd_scn_error_set(err, E(KEY_TWICE), keys[k], NULL);
        h->keys |= 1u << k;
    } else if (k > K_PATH) {
        if (!cur)
            return mxd_scn_error_set(err, E(HTTPS_PATH_FIRST), keys[k], NULL);
        if (h->path_keys & (1u << k))
            return mxd_scn_error_set(err, E(HTTPS_KEY_TWICE_PATH), keys[k], cur->path, NULL);
        h->path_keys |= 1u << k;
    }
    int idx;
    switch (k) {
    case K_NAME:
        return set_name(h, v, err);
    case K_CERT:
        idx = lookup(cert_names, sizeof cert_names / sizeof cert_names[0], v);
        if (idx < 0)
            return mxd_scn_error_set(err, E(UNKNOWN_VALUE), "cert", v,
                                     "good, wrong-name, expired, self-signed", NULL);
        h->cert = (mxd_cert_kind)idx;
        return 0;
    case K_BEHAVIOUR:
        idx = lookup(behaviour_names, sizeof behaviour_names / sizeof behaviour_names[0], v);
        if (idx < 0)
            return mxd_scn_error_set(err, E(UNKNOWN_VALUE), "behaviour", v,
                                     "ok, blackhole, reset", NULL);
        h->behaviour = (mxd_https_behaviour)idx;
        return 0;
    case K_PATH: {
        if (v[0] != '/' || !printable(v, false) || strlen(v) >= sizeof cur->path)
            return mxd_scn_error_set(err, E(HTTPS_BAD_PATH), v, NULL);
        for (size_t i = 0; i < h->npaths; i++)
            if (strcmp(h->paths[i].path, v) == 0)
                return mxd_scn_error_set(err, E(HTTPS_PATH_TWICE), v, NULL);
        mxd_scn_https_path *np = realloc(h->paths, (h->npaths + 1) * sizeof *np);
        if (!np)
            return mxd_scn_error_set(err, E(NOMEM), NULL);
        h->paths = np;
        cur = &np[h->npaths];
        memset(cur, 0, sizeof *cur);
        cur->body = calloc(1, 1);
        if (!cur->body)
            return mxd_scn_error_set(err, E(NOMEM), NULL);
        h->npaths++;
        snprintf(cur->path, sizeof cur->path, "%s", v);
        cur->status = 200;
        snprintf(cur->content_type, sizeof cur->content_type, "text/plain");
        h->path_keys = 0;
        return 0;
    }
    case K_STATUS: {
        char *end;
        long st = strtol(v, &end, 10);
        if (!*v || *end || st < 100 || st > 599)
            return mxd_scn_error_set(err, E(HTTPS_BAD_STATUS), v, NULL);
        cur->status = (int)st;
        return 0;
    }
    case K_TYPE:
        if (strcmp(v, "none") == 0) {
            cur->content_type[0] = '\0';
            return 0;
        }
        if (!*v || !printable(v, true) || strlen(v) >= sizeof cur->content_type ||
            !strchr(v, '/'))
            return mxd_scn_error_set(err, E(HTTPS_BAD_TYPE), v, NULL);
        snprintf(cur->content_type, sizeof cur->content_type, "%s", v);
        return 0;
    case K_LOCATION:
        if (!*v || !printable(v, false) || strlen(v) >= sizeof cur->location)
            return mxd_scn_error_set(err, E(HTTPS_BAD_LOCATION), v, NULL);
        snprintf(cur->location, sizeof cur->location, "%s", v);
        return 0;
    case K_BODY:
        h->in_body = true;
        return *v ? body_add(cur, v, err) : 0;
    }
    return 0;
}

int mxd_scn_https_finish(const mxd_scn_https *arr, size_t n, int *line, mxd_scn_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (!arr[i].name[0]) {
            *line = arr[i].line;
            return mxd_scn_error_set(err, E(HTTPS_NO_NAME), arr[i].addr, NULL);
        }
    return 0;
}

void mxd_scn_https_free(mxd_scn_https *arr, size_t n)
{
    for (size_t i = 0; arr && i < n; i++) {
        for (size_t k = 0; k < arr[i].npaths; k++)
            free(arr[i].paths[k].body);
        free(arr[i].paths);
    }
    free(arr);
}

void mxd_scn_https_format(mxd_sb *sb, const mxd_scn_https *arr, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const mxd_scn_https *h = &arr[i];
        mxd_sb_printf(sb, "\n[https %s]\nname: %s\ncert: %s\nbehaviour: %s\n", h->addr, h->name,
                      cert_names[h->cert], mxd_https_behaviour_name(h->behaviour));
        for (size_t k = 0; k < h->npaths; k++) {
            const mxd_scn_https_path *p = &h->paths[k];
            mxd_sb_printf(sb, "path: %s\nstatus: %d\ntype: %s\n", p->path, p->status,
                          p->content_type[0] ? p->content_type : "none");
            if (p->location[0])
                mxd_sb_printf(sb, "location: %s\n", p->location);
            bool first = true;
            for (size_t at = 0; at < p->body_len;) {
                const char *nl = memchr(p->body + at, '\n', p->body_len - at);
                size_t end = nl ? (size_t)(nl - p->body) : p->body_len;
                size_t len = end - at;
                if (len && p->body[at + len - 1] == '\r')
                    len--;
                if (len) {
                    mxd_sb_puts(sb, first ? "body: " : "  ");
                    mxd_sb_append(sb, p->body + at, len);
                    mxd_sb_putc(sb, '\n');
                    first = false;
                }
                at = end + 1;
            }
        }
    }
}
