/* scenario_error.c — scenario errors as data, and their rendering (scenario_error.h).
 *
 * The parser only records a code and values; the sentence is chosen here, at
 * the moment someone shows it, from the catalog of the reader's language. There
 * is no built-in English copy: two copies drift, and what a translator writes in
 * help/<lang>/scenario.cat must be what the teacher reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxd/sanitize.h"
#include "mxd/scenario_error.h"
#include "mxd/strbuf.h"

static const char *const err_keys[MXD_SCN_E_COUNT] = {
#define ERR_KEY(id, name, params) [MXD_SCN_E_##id] = "scn.err." name,
    MXD_SCN_ERRORS(ERR_KEY)
#undef ERR_KEY
};

static const char *const err_params[MXD_SCN_E_COUNT] = {
#define ERR_PARAMS(id, name, params) [MXD_SCN_E_##id] = params,
    MXD_SCN_ERRORS(ERR_PARAMS)
#undef ERR_PARAMS
};

static const char *const term_keys[MXD_SCN_T_COUNT] = {
#define TERM_KEY(id, name) [MXD_SCN_T_##id] = "scn." name,
    MXD_SCN_TERMS(TERM_KEY)
#undef TERM_KEY
};

const char *mxd_scn_error_key(mxd_scn_errcode code)
{
    return code > MXD_SCN_OK && code < MXD_SCN_E_COUNT ? err_keys[code] : "";
}

const char *mxd_scn_error_params(mxd_scn_errcode code)
{
    return code > MXD_SCN_OK && code < MXD_SCN_E_COUNT ? err_params[code] : "";
}

const char *mxd_scn_term_key(mxd_scn_term t)
{
    return (unsigned)t < MXD_SCN_T_COUNT ? term_keys[t] : "";
}

void mxd_scn_error_clear(mxd_scn_error *e)
{
    if (!e)
        return;
    e->code = MXD_SCN_OK;
    e->file[0] = '\0';
    e->line = 0;
    e->nparams = 0;
}

void mxd_scn_error_at(mxd_scn_error *e, const char *file, int line)
{
    if (!e)
        return;
    mxd_sanitize_into(e->file, sizeof e->file, file ? file : "");
    e->line = line;
}

int mxd_scn_error_setv(mxd_scn_error *e, mxd_scn_errcode code, va_list ap)
{
    if (!e)
        return -1;
    e->code = code;
    e->nparams = 0;
    /* Every value given is kept, also one too many (named "extra"), so a call
     * that does not match the table shows up in the tests instead of vanishing. */
    const char *names = mxd_scn_error_params(code);
    for (const char *v = va_arg(ap, const char *); v; v = va_arg(ap, const char *)) {
        if (e->nparams == MXD_SCN_ERR_MAX_PARAMS)
            continue;
        while (*names == ' ')
            names++;
        size_t n = strcspn(names, " ");
        if (n == 0)
            snprintf(e->params[e->nparams].key, sizeof e->params[0].key, "extra");
        else
            snprintf(e->params[e->nparams].key, sizeof e->params[0].key, "%.*s", (int)n, names);
        names += n;
        mxd_sanitize_into(e->params[e->nparams].value, sizeof e->params[0].value, v);
        e->nparams++;
    }
    return -1;
}

int mxd_scn_error_set(mxd_scn_error *e, mxd_scn_errcode code, ...)
{
    va_list ap;
    va_start(ap, code);
    mxd_scn_error_setv(e, code, ap);
    va_end(ap);
    return -1;
}

const char *mxd_scn_error_get(const mxd_scn_error *e, const char *key)
{
    for (size_t i = 0; e && i < e->nparams; i++)
        if (strcmp(e->params[i].key, key) == 0)
            return e->params[i].value;
    return NULL;
}

/* Parameters whose value is a word to look up, not text from the file. */
static bool is_term_param(const char *key)
{
    return strcmp(key, "what") == 0 || strcmp(key, "why") == 0 || strcmp(key, "form") == 0;
}

char *mxd_scn_error_format(const mxd_scn_error *e, const mxd_catalog *cat)
{
    mxd_sb sb = MXD_SB_INIT;
    if (!e || e->code == MXD_SCN_OK)
        return strdup("");
    if (e->file[0] && e->line > 0)
        mxd_sb_printf(&sb, "%s:%d: ", e->file, e->line);
    else if (e->file[0])
        mxd_sb_printf(&sb, "%s: ", e->file);
    const char *key = mxd_scn_error_key(e->code);
    if (cat && mxd_catalog_get(cat, key, "text")) {
        mxd_param ps[MXD_SCN_ERR_MAX_PARAMS];
        for (size_t i = 0; i < e->nparams; i++) {
            const char *v = e->params[i].value;
            const char *word = is_term_param(e->params[i].key) ? mxd_catalog_get(cat, v, "text")
                                                               : NULL;
            ps[i].key = (char *)e->params[i].key;
            ps[i].value = (char *)(word ? word : v);
        }
        char *text = mxd_catalog_format(cat, key, "text", ps, e->nparams);
        if (!text) {
            mxd_sb_free(&sb);
            return NULL;
        }
        mxd_sb_puts(&sb, text);
        free(text);
    } else {
        mxd_sb_puts(&sb, key[0] ? key : "scn.err.?");
        for (size_t i = 0; i < e->nparams; i++)
            mxd_sb_printf(&sb, " %s=%s", e->params[i].key, e->params[i].value);
    }
    if (!sb.buf)
        mxd_sb_puts(&sb, "");
    return mxd_sb_take(&sb);
}
