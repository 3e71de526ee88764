/* fuzz_catalog.c — the help catalog parser, and placeholder filling with
 * hostile parameter values.
 *
 * Input layout: one byte n (number of parameters, n % 8), then n pairs
 * "key\0value\0", then the catalog file's text. Catalog files are ours, but a
 * translator's typo must fail with its line, never crash; parameter values come
 * from the network (MX host names, server text), so that is where the promises
 * of catalog.h matter most:
 *   - every key and field name follows the documented grammar; texts are valid
 *     UTF-8 with no control character but TAB and the line breaks from "\n";
 *   - a filled-in text is as safe as its template: when the template holds no
 *     unsafe character, neither does the result (values are sanitised again);
 *   - on a command line (a line that starts with two spaces) a value can add no
 *     character outside letters, digits and ". - _ : [ ]": everything else in
 *     such a line was already in the template's line;
 *   - a missing entry gives "[key.field]".
 */
#include "fuzz.h"

#include "mxd/catalog.h"
#include "mxd/finding.h"

static bool name_char(char c, bool key)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           (key && (c == '.' || c == '-'));
}

static bool cmd_safe(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '-' || c == '_' || c == ':' || c == '[' || c == ']' || c == ' ';
}

/* Compares the lines of the filled text with the template's. Values are
 * sanitised without newlines, so line i of the output comes from line i of the
 * template. */
static void check_lines(const char *tmpl, const char *out)
{
    const char *t = tmpl, *o = out;
    for (;;) {
        const char *te = strchr(t, '\n'), *oe = strchr(o, '\n');
        FUZZ_ASSERT((te == NULL) == (oe == NULL));
        size_t tl = te ? (size_t)(te - t) : strlen(t), ol = oe ? (size_t)(oe - o) : strlen(o);
        bool tcmd = tl >= 2 && t[0] == ' ' && t[1] == ' ';
        /* Not asserted: a value at the start of a line (" {host}") that itself
         * starts with blanks makes the line look like a command without the
         * command-line filtering. No catalog line starts that way today; see
         * help/RELIABILITY.md. */
        if (tcmd)
            for (size_t i = 0; i < ol; i++)
                if (!cmd_safe(o[i]) && !memchr(t, o[i], tl)) {
                    fprintf(stderr, "command line got '%c': \"%.*s\"\n", o[i], (int)ol, o);
                    FUZZ_ASSERT(cmd_safe(o[i]) || memchr(t, o[i], tl));
                }
        if (!te)
            break;
        t = te + 1;
        o = oe + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = { data, size };
    size_t np = fuzz_byte(&in) % 8;
    mxd_param params[8];
    for (size_t i = 0; i < np; i++) {
        params[i].key = fuzz_take_until(&in, 0);
        params[i].value = fuzz_take_until(&in, 0);
    }
    char *text = fuzz_dup(in.p, in.n);
    char err[256];
    memset(err, 0x55, sizeof err);
    mxd_catalog *c = mxd_catalog_parse(text, in.n, "fuzz.cat", err, sizeof err);
    if (!c) {
        FUZZ_ASSERT(memchr(err, '\0', sizeof err) != NULL);
        FUZZ_ASSERT(strncmp(err, "fuzz.cat", 8) == 0);
    } else {
        size_t n = mxd_catalog_count(c);
        for (size_t i = 0; i < n; i++) {
            const char *key = mxd_catalog_key(c, i);
            size_t kl = strlen(key);
            FUZZ_ASSERT(kl >= 1 && kl <= 127);
            for (size_t k = 0; k < kl; k++)
                FUZZ_ASSERT(name_char(key[k], true));
            const char *fname;
            const char *ftext;
            size_t nf = 0;
            for (size_t j = 0; (ftext = mxd_catalog_field(c, i, j, &fname)) != NULL; j++) {
                nf++;
                size_t fl = strlen(fname);
                FUZZ_ASSERT(fl >= 1 && fl <= 31);
                for (size_t k = 0; k < fl; k++)
                    FUZZ_ASSERT(name_char(fname[k], false));
                FUZZ_ASSERT(ftext[0] != '\0');
                /* TAB is allowed in catalog text: check with it masked out. */
                char *masked = strdup(ftext);
                FUZZ_ASSERT(masked != NULL);
                for (char *m = masked; *m; m++)
                    if (*m == '\t')
                        *m = ' ';
                /* The parser refuses C0 (but TAB), DEL and C1; bidi marks are
                 * the translators' business, so only then is the text "safe". */
                const uint8_t *u = (const uint8_t *)ftext;
                size_t ul = strlen(ftext);
                for (size_t k = 0; k < ul;) {
                    uint32_t cp;
                    size_t l = fuzz_utf8(u + k, ul - k, &cp);
                    FUZZ_ASSERT(l > 0);
                    FUZZ_ASSERT(!(cp < 0x20 && cp != '\t' && cp != '\n') && cp != 0x7F &&
                                !(cp >= 0x80 && cp <= 0x9F));
                    k += l;
                }
                bool tmpl_safe = fuzz_str_safe(masked, true);
                FUZZ_ASSERT(mxd_catalog_get(c, key, fname) != NULL);

                char *out = mxd_catalog_format(c, key, fname, params, np);
                FUZZ_ASSERT(out != NULL);
                char *omasked = strdup(out);
                FUZZ_ASSERT(omasked != NULL);
                for (char *m = omasked; *m; m++)
                    if (*m == '\t')
                        *m = ' ';
                if (tmpl_safe)
                    FUZZ_ASSERT(fuzz_str_safe(omasked, true));
                check_lines(mxd_catalog_get(c, key, fname), out);
                free(omasked);
                free(out);
                free(masked);
            }
            FUZZ_ASSERT(nf > 0);
        }
        if (!mxd_catalog_get(c, "no.such.key", "title")) { /* the fuzzer finds this name too */
            char *miss = mxd_catalog_format(c, "no.such.key", "title", params, np);
            FUZZ_ASSERT(miss && strcmp(miss, "[no.such.key.title]") == 0);
            free(miss);
        }
        mxd_catalog_free(c);
    }
    for (size_t i = 0; i < np; i++) {
        free(params[i].key);
        free(params[i].value);
    }
    free(text);
    return 0;
}
