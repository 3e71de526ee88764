/* catalog.c — the help catalog: parser, look-up, placeholders, locating help/ (see catalog.h).
 *
 * The catalog is small (a few hundred entries) but looked up for every line a
 * screen or report prints, so entries keep file order for listing and a sorted
 * index of pointers answers look-ups by binary search. The parser is strict on
 * purpose: these files are edited by hand (translators, teachers), and a typo
 * should fail with its file and line, not turn into a blank panel.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <idn2.h>

#include "mxd/catalog.h"
#include "mxd/sanitize.h"
#include "mxd/strbuf.h"
#include "mxd/utf8.h"

#define KEY_MAX 127
#define FIELD_MAX 31

typedef struct cat_field {
    char *name;  /* owned */
    char *text;  /* owned, escapes already decoded */
} cat_field;

typedef struct cat_entry {
    char *key;             /* owned */
    cat_field *fields;     /* owned array */
    size_t nfields;
    const char *file;      /* borrowed from mxd_catalog.files: where it was defined */
    int line;
} cat_entry;

struct mxd_catalog {
    cat_entry *v;          /* owned, file order */
    size_t n, cap;
    cat_entry **index;     /* sorted by key, rebuilt after each file */
    char **files;          /* owned copies of file names, for duplicate messages */
    size_t nfiles;
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static mxd_catalog *cat_new(void)
{
    return calloc(1, sizeof(mxd_catalog));
}

void mxd_catalog_free(mxd_catalog *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        for (size_t j = 0; j < c->v[i].nfields; j++) {
            free(c->v[i].fields[j].name);
            free(c->v[i].fields[j].text);
        }
        free(c->v[i].fields);
        free(c->v[i].key);
    }
    free(c->v);
    free(c->index);
    for (size_t i = 0; i < c->nfiles; i++)
        free(c->files[i]);
    free(c->files);
    free(c);
}

static int cmp_entry_ptr(const void *a, const void *b)
{
    const cat_entry *x = *(const cat_entry *const *)a, *y = *(const cat_entry *const *)b;
    return strcmp(x->key, y->key);
}

static int cmp_key_entry(const void *key, const void *e)
{
    return strcmp((const char *)key, (*(const cat_entry *const *)e)->key);
}

static int rebuild_index(mxd_catalog *c)
{
    cat_entry **idx = realloc(c->index, (c->n ? c->n : 1) * sizeof *idx);
    if (!idx)
        return -1;
    c->index = idx;
    for (size_t i = 0; i < c->n; i++)
        idx[i] = &c->v[i];
    qsort(idx, c->n, sizeof *idx, cmp_entry_ptr);
    return 0;
}

static const cat_entry *find_entry(const mxd_catalog *c, const char *key)
{
    if (!c || !key || c->n == 0 || !c->index)
        return NULL;
    cat_entry *const *hit = bsearch(key, c->index, c->n, sizeof *c->index, cmp_key_entry);
    return hit ? *hit : NULL;
}

/* ---- parsing ---------------------------------------------------------------- */

/* Checks one line (without its line ending). Returns NULL or a reason. */
static const char *check_line_bytes(const unsigned char *s, size_t n, size_t *col)
{
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t l = mxd_utf8_decode(s + i, n - i, &cp);
        *col = i + 1;
        if (l == 0)
            return "invalid UTF-8";
        if ((cp < 0x20 && cp != '\t') || cp == 0x7F)
            return cp == 0 ? "NUL byte" : "control character";
        /* C1 controls (U+0080..U+009F) are as dangerous on a terminal as C0. */
        if (cp >= 0x80 && cp <= 0x9F)
            return "control character";
        i += l;
    }
    return NULL;
}

static bool is_blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

static bool is_key_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
           ch == '-';
}

static bool is_field_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
}

/* "\n" → LF, "\\" → backslash; other backslashes stay (Windows paths, regexes). */
static char *decode_text(const char *s, size_t n)
{
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n && (s[i + 1] == 'n' || s[i + 1] == '\\')) {
            out[o++] = s[i + 1] == 'n' ? '\n' : '\\';
            i++;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}

static const char *intern_file(mxd_catalog *c, const char *name)
{
    char **nf = realloc(c->files, (c->nfiles + 1) * sizeof *nf);
    if (!nf)
        return NULL;
    c->files = nf;
    nf[c->nfiles] = strdup(name);
    if (!nf[c->nfiles])
        return NULL;
    return nf[c->nfiles++];
}

/* Adds an empty entry; returns it or NULL (ENOMEM). Invalidates entry pointers,
 * so the index is rebuilt once the file is done. */
static cat_entry *add_entry(mxd_catalog *c, const char *key, size_t keylen, const char *file,
                            int line)
{
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 64;
        cat_entry *nv = realloc(c->v, nc * sizeof *nv);
        if (!nv)
            return NULL;
        c->v = nv;
        c->cap = nc;
    }
    cat_entry *e = &c->v[c->n];
    memset(e, 0, sizeof *e);
    e->key = strndup(key, keylen);
    if (!e->key)
        return NULL;
    e->file = file;
    e->line = line;
    c->n++;
    return e;
}

/* An entry defined earlier in this same file is not in the index yet. */
static const cat_entry *find_dup(const mxd_catalog *c, size_t first_new, const char *key,
                                 size_t keylen)
{
    for (size_t i = first_new; i < c->n; i++)
        if (strlen(c->v[i].key) == keylen && memcmp(c->v[i].key, key, keylen) == 0)
            return &c->v[i];
    for (size_t i = 0; i < first_new; i++)
        if (strlen(c->v[i].key) == keylen && memcmp(c->v[i].key, key, keylen) == 0)
            return &c->v[i];
    return NULL;
}

/* Parses text into c (which may already hold other files' entries). On error
 * returns -1 with the message in err; c then holds partial data and is only
 * good for freeing. */
static int parse_into(mxd_catalog *c, const char *text, size_t len, const char *name,
                      char *err, size_t errlen)
{
    const char *file = intern_file(c, name ? name : "(catalog)");
    if (!file) {
        seterr(err, errlen, "%s: out of memory", name ? name : "(catalog)");
        return -1;
    }
    size_t first_new = c->n;
    bool in_entry = false;
    int lineno = 0;
    size_t pos = 0;

    /* A byte-order mark is what some Windows editors put first; harmless. */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;

    while (pos < len) {
        lineno++;
        const char *ls = text + pos;
        const char *nl = memchr(ls, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - ls) : len - pos;
        pos += ll + (nl ? 1 : 0);
        if (ll > 0 && ls[ll - 1] == '\r')
            ll--;

        size_t col = 0;
        const char *bad = check_line_bytes((const unsigned char *)ls, ll, &col);
        if (bad) {
            seterr(err, errlen, "%s:%d: %s at column %zu", file, lineno, bad, col);
            return -1;
        }

        while (ll > 0 && is_blank(ls[ll - 1]))
            ll--;
        size_t i = 0;
        while (i < ll && is_blank(ls[i]))
            i++;
        if (i == ll || ls[i] == '#')
            continue;

        if (ls[i] == '[') {
            if (ls[ll - 1] != ']') {
                seterr(err, errlen, "%s:%d: entry key must end with ']'", file, lineno);
                return -1;
            }
            if (in_entry && c->v[c->n - 1].nfields == 0) {
                const cat_entry *p = &c->v[c->n - 1];
                seterr(err, errlen, "%s:%d: entry [%s] has no field", file, p->line, p->key);
                return -1;
            }
            const char *k = ls + i + 1;
            size_t kl = ll - i - 2;
            if (kl == 0 || kl > KEY_MAX) {
                seterr(err, errlen, "%s:%d: entry key must be 1 to %d characters", file,
                       lineno, KEY_MAX);
                return -1;
            }
            for (size_t j = 0; j < kl; j++) {
                if (!is_key_char(k[j])) {
                    seterr(err, errlen,
                           "%s:%d: entry key may only hold a-z 0-9 . _ - (lower case)", file,
                           lineno);
                    return -1;
                }
            }
            const cat_entry *dup = find_dup(c, first_new, k, kl);
            if (dup) {
                seterr(err, errlen, "%s:%d: duplicate entry [%s] (first defined at %s:%d)",
                       file, lineno, dup->key, dup->file, dup->line);
                return -1;
            }
            if (!add_entry(c, k, kl, file, lineno)) {
                seterr(err, errlen, "%s:%d: out of memory", file, lineno);
                return -1;
            }
            in_entry = true;
            continue;
        }

        const char *colon = memchr(ls + i, ':', ll - i);
        if (!colon) {
            seterr(err, errlen, "%s:%d: expected \"[key]\" or \"field: text\" (no ':')", file,
                   lineno);
            return -1;
        }
        size_t fe = (size_t)(colon - ls);
        size_t fl = fe;
        while (fl > i && is_blank(ls[fl - 1]))
            fl--;
        if (fl == i || fl - i > FIELD_MAX) {
            seterr(err, errlen, "%s:%d: field name must be 1 to %d characters", file, lineno,
                   FIELD_MAX);
            return -1;
        }
        for (size_t j = i; j < fl; j++) {
            if (!is_field_char(ls[j])) {
                seterr(err, errlen, "%s:%d: field name may only hold a-z 0-9 _", file, lineno);
                return -1;
            }
        }
        if (!in_entry) {
            seterr(err, errlen, "%s:%d: field outside an entry (add a \"[key]\" line first)",
                   file, lineno);
            return -1;
        }
        size_t ts = fe + 1;
        while (ts < ll && is_blank(ls[ts]))
            ts++;
        if (ts == ll) {
            seterr(err, errlen, "%s:%d: field '%.*s' has no text", file, lineno, (int)(fl - i),
                   ls + i);
            return -1;
        }

        cat_entry *e = &c->v[c->n - 1];
        for (size_t j = 0; j < e->nfields; j++) {
            if (strlen(e->fields[j].name) == fl - i &&
                memcmp(e->fields[j].name, ls + i, fl - i) == 0) {
                seterr(err, errlen, "%s:%d: field '%s' given twice in [%s]", file, lineno,
                       e->fields[j].name, e->key);
                return -1;
            }
        }
        cat_field *nf = realloc(e->fields, (e->nfields + 1) * sizeof *nf);
        if (!nf) {
            seterr(err, errlen, "%s:%d: out of memory", file, lineno);
            return -1;
        }
        e->fields = nf;
        nf[e->nfields].name = strndup(ls + i, fl - i);
        nf[e->nfields].text = decode_text(ls + ts, ll - ts);
        e->nfields++;
        if (!nf[e->nfields - 1].name || !nf[e->nfields - 1].text) {
            seterr(err, errlen, "%s:%d: out of memory", file, lineno);
            return -1;
        }
    }
    if (in_entry && c->v[c->n - 1].nfields == 0) {
        const cat_entry *p = &c->v[c->n - 1];
        seterr(err, errlen, "%s:%d: entry [%s] has no field", file, p->line, p->key);
        return -1;
    }
    if (rebuild_index(c) < 0) {
        seterr(err, errlen, "%s: out of memory", file);
        return -1;
    }
    return 0;
}

mxd_catalog *mxd_catalog_parse(const char *text, size_t len, const char *name, char *err,
                               size_t errlen)
{
    mxd_catalog *c = cat_new();
    if (!c) {
        seterr(err, errlen, "%s: out of memory", name ? name : "(catalog)");
        return NULL;
    }
    if (parse_into(c, text ? text : "", text ? len : 0, name, err, errlen) < 0) {
        mxd_catalog_free(c);
        return NULL;
    }
    return c;
}

/* Reads a whole file into a malloc'd buffer (caller frees). */
static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        seterr(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    mxd_sb sb = MXD_SB_INIT;
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        mxd_sb_append(&sb, buf, n);
    bool rerr = ferror(f);
    fclose(f);
    if (rerr || !mxd_sb_ok(&sb)) {
        seterr(err, errlen, "%s: %s", path, rerr ? "read error" : "out of memory");
        mxd_sb_free(&sb);
        return NULL;
    }
    *len = sb.len;
    char *out = mxd_sb_take(&sb); /* "" for an empty file */
    if (!out)
        seterr(err, errlen, "%s: out of memory", path);
    return out;
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with_cat(const char *s)
{
    size_t n = strlen(s);
    return n > 4 && strcmp(s + n - 4, ".cat") == 0;
}

mxd_catalog *mxd_catalog_load(const char *helpdir, mxd_lang lang, char *err, size_t errlen)
{
    char dir[4096];
    if (!helpdir) {
        seterr(err, errlen, "no help folder");
        return NULL;
    }
    if ((size_t)snprintf(dir, sizeof dir, "%s/%s", helpdir, mxd_lang_code(lang)) >= sizeof dir) {
        seterr(err, errlen, "%s: path too long", helpdir);
        return NULL;
    }
    DIR *d = opendir(dir);
    if (!d) {
        seterr(err, errlen, "%s: %s", dir, strerror(errno));
        return NULL;
    }
    char **names = NULL;
    size_t nnames = 0;
    bool oom = false;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        /* Editors leave hidden swap and backup files; never load those. */
        if (de->d_name[0] == '.' || !ends_with_cat(de->d_name))
            continue;
        char **nn = realloc(names, (nnames + 1) * sizeof *nn);
        if (!nn || !(nn[nnames] = strdup(de->d_name))) {
            if (nn)
                names = nn;
            oom = true;
            break;
        }
        names = nn;
        nnames++;
    }
    closedir(d);

    mxd_catalog *c = NULL;
    if (oom) {
        seterr(err, errlen, "%s: out of memory", dir);
        goto out;
    }
    if (nnames == 0) {
        seterr(err, errlen, "%s: no .cat file", dir);
        goto out;
    }
    /* strcmp, not the locale's collation: the same order on every machine. */
    qsort(names, nnames, sizeof *names, cmp_str_ptr);
    c = cat_new();
    if (!c) {
        seterr(err, errlen, "%s: out of memory", dir);
        goto out;
    }
    for (size_t i = 0; i < nnames; i++) {
        char path[4096 + 256];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        size_t len = 0;
        char *text = read_file(path, &len, err, errlen);
        int rc = text ? parse_into(c, text, len, path, err, errlen) : -1;
        free(text);
        if (rc < 0) {
            mxd_catalog_free(c);
            c = NULL;
            goto out;
        }
    }
out:
    for (size_t i = 0; i < nnames; i++)
        free(names[i]);
    free(names);
    return c;
}

/* ---- look-up ---------------------------------------------------------------- */

const char *mxd_catalog_get(const mxd_catalog *c, const char *key, const char *field)
{
    const cat_entry *e = find_entry(c, key);
    if (!e || !field)
        return NULL;
    for (size_t j = 0; j < e->nfields; j++)
        if (strcmp(e->fields[j].name, field) == 0)
            return e->fields[j].text;
    return NULL;
}

size_t mxd_catalog_count(const mxd_catalog *c)
{
    return c ? c->n : 0;
}

const char *mxd_catalog_key(const mxd_catalog *c, size_t i)
{
    return c && i < c->n ? c->v[i].key : NULL;
}

const char *mxd_catalog_field(const mxd_catalog *c, size_t i, size_t j, const char **name)
{
    if (!c || i >= c->n || j >= c->v[i].nfields)
        return NULL;
    if (name)
        *name = c->v[i].fields[j].name;
    return c->v[i].fields[j].text;
}

/* A line that starts with two spaces is a command for the reader to copy. A value
 * from the network (an MX host is whatever its domain's owner wrote) may hold
 * ";", "|" or "$(...)": in a command line only plain name characters pass. */
static bool on_command_line(const char *text, const char *at)
{
    const char *start = at;
    while (start > text && start[-1] != '\n')
        start--;
    return start[0] == ' ' && start[1] == ' ';
}

static bool shell_safe(const char *v)
{
    if (!*v || *v == '-')
        return false;
    for (; *v; v++)
        if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') || (*v >= '0' && *v <= '9') ||
              *v == '.' || *v == '-' || *v == '_' || *v == ':' || *v == '[' || *v == ']'))
            return false;
    return true;
}

/* Commands want the ASCII form of a name: 例え.jp becomes xn--r8jz45g.jp; anything
 * that still is not a plain name becomes UNSAFE-NAME. */
static void put_command_value(mxd_sb *sb, const char *v)
{
    char *ascii = NULL;
    if (idn2_to_ascii_8z(v, &ascii, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT) == IDN2_OK &&
        shell_safe(ascii))
        mxd_sb_puts(sb, ascii);
    else
        mxd_sb_puts(sb, "UNSAFE-NAME");
    idn2_free(ascii);
}

char *mxd_catalog_format(const mxd_catalog *c, const char *key, const char *field,
                         const mxd_param *params, size_t nparams)
{
    mxd_sb sb = MXD_SB_INIT;
    const char *t = mxd_catalog_get(c, key, field);
    if (!t) {
        mxd_sb_printf(&sb, "[%s.%s]", key ? key : "", field ? field : "");
        return mxd_sb_take(&sb);
    }
    for (const char *p = t; *p;) {
        if (*p == '{') {
            size_t n = 1;
            while (is_field_char(p[n]))
                n++;
            if (n > 1 && p[n] == '}') {
                const mxd_param *hit = NULL;
                for (size_t i = 0; i < nparams && !hit; i++)
                    if (params[i].key && strlen(params[i].key) == n - 1 &&
                        memcmp(params[i].key, p + 1, n - 1) == 0)
                        hit = &params[i];
                if (hit) {
                    /* Values are sanitised when added to a finding; callers may
                     * build params by hand, so do it again rather than trust. */
                    char *v = mxd_sanitize_str(hit->value);
                    if (!v) {
                        mxd_sb_free(&sb);
                        return NULL;
                    }
                    if (on_command_line(t, p) && !shell_safe(v))
                        put_command_value(&sb, v);
                    else
                        mxd_sb_puts(&sb, v);
                    free(v);
                    p += n + 1;
                    continue;
                }
            }
        }
        const char *q = strchr(p + 1, '{');
        size_t run = q ? (size_t)(q - p) : strlen(p);
        mxd_sb_append(&sb, p, run);
        p += run;
    }
    return mxd_sb_take(&sb);
}

/* ---- environment ------------------------------------------------------------ */

static bool has_en(const char *dir)
{
    char p[4096 + 8];
    struct stat st;
    if (!dir || !*dir)
        return false;
    if ((size_t)snprintf(p, sizeof p, "%s/en", dir) >= sizeof p)
        return false;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

#ifndef MXD_DATADIR
#define MXD_DATADIR "/usr/local/share/mxdoctor"
#endif

const char *mxd_help_dir(void)
{
    static char found[4096];
    const char *env = getenv("MXDOCTOR_HELP");
    if (env && has_en(env) && strlen(env) < sizeof found) {
        memcpy(found, env, strlen(env) + 1);
        return found;
    }

    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            /* Installed side by side, then the source tree (binary in the repo
             * root finds help/; a test binary in build/tests/ does not). */
            const char *rel[] = { "help", "../help" };
            for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
                if ((size_t)snprintf(found, sizeof found, "%s/%s", exe, rel[i]) < sizeof found &&
                    has_en(found))
                    return found;
            }
        }
    }

    if (has_en(MXD_DATADIR "/help")) {
        snprintf(found, sizeof found, "%s", MXD_DATADIR "/help");
        return found;
    }
    return NULL;
}

mxd_lang mxd_lang_from_env(void)
{
    const char *vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return strncmp(v, "ja", 2) == 0 ? MXD_LANG_JA : MXD_LANG_EN;
    }
    return MXD_LANG_EN;
}

bool mxd_lang_parse(const char *s, mxd_lang *out)
{
    if (!s)
        return false;
    if (strcmp(s, "en") == 0) {
        if (out)
            *out = MXD_LANG_EN;
        return true;
    }
    if (strcmp(s, "ja") == 0) {
        if (out)
            *out = MXD_LANG_JA;
        return true;
    }
    return false;
}

const char *mxd_lang_code(mxd_lang l)
{
    return l == MXD_LANG_JA ? "ja" : "en";
}
