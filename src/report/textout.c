/* textout.c — safe, aligned text for the report and the explainer (see textout.h). */
#include <stdlib.h>
#include <string.h>
#include <uniwidth.h>

#include "mxd/sanitize.h"
#include "mxd/textout.h"

const char *mxd_strpool_keep(mxd_strpool *p, char *s)
{
    if (!s)
        return "";
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 64;
        char **nv = realloc(p->v, nc * sizeof *nv);
        if (!nv) {
            free(s);
            return "";
        }
        p->v = nv;
        p->cap = nc;
    }
    p->v[p->n++] = s;
    return s;
}

void mxd_strpool_free(mxd_strpool *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i]);
    free(p->v);
    *p = (mxd_strpool)MXD_STRPOOL_INIT;
}

const char *mxd_textout_san(mxd_strpool *p, const char *s)
{
    return mxd_strpool_keep(p, mxd_sanitize_str(s ? s : ""));
}

const char *mxd_textout_vfmt(mxd_strpool *p, const char *f, va_list ap)
{
    mxd_sb sb = MXD_SB_INIT;
    mxd_sb_vprintf(&sb, f, ap);
    return mxd_strpool_keep(p, mxd_sb_take(&sb));
}

const char *mxd_textout_catalog(mxd_strpool *p, const mxd_catalog *cat, const char *key,
                             const char *field, const mxd_param *params, size_t nparams)
{
    char *raw;
    if (cat) {
        raw = mxd_catalog_format(cat, key, field, params, nparams);
    } else {
        mxd_sb sb = MXD_SB_INIT;
        mxd_sb_printf(&sb, "[%s.%s]", key, field);
        raw = mxd_sb_take(&sb);
    }
    if (!raw)
        return "";
    char *s = mxd_sanitize(raw, strlen(raw), MXD_SAN_KEEP_NEWLINES, 0);
    free(raw);
    return mxd_strpool_keep(p, s);
}

size_t mxd_textout_width(const char *s)
{
    int w = u8_strwidth((const uint8_t *)s, "UTF-8");
    return w > 0 ? (size_t)w : 0;
}

void mxd_textout_pad(mxd_sb *out, const char *s, size_t w)
{
    mxd_sb_puts(out, s);
    for (size_t n = mxd_textout_width(s); n < w; n++)
        mxd_sb_putc(out, ' ');
}

void mxd_textout_indented(mxd_sb *out, const char *s, size_t indent)
{
    for (; *s; s++) {
        mxd_sb_putc(out, *s);
        if (*s == '\n' && s[1])
            for (size_t i = 0; i < indent; i++)
                mxd_sb_putc(out, ' ');
    }
}

void mxd_textout_md(mxd_sb *out, const char *s, const char *cont)
{
    for (; *s; s++) {
        char ch = *s;
        if (ch == '\n') {
            if (!cont) {
                mxd_sb_putc(out, ' ');
            } else if (s[1]) {
                mxd_sb_puts(out, "\\\n");
                mxd_sb_puts(out, cont);
                /* a line that starts with these would open a new block */
                if (s[1] == '#' || s[1] == '-' || s[1] == '+' || s[1] == '=')
                    mxd_sb_putc(out, '\\');
            }
            continue;
        }
        if (strchr("\\`*_[]<>|~#&", ch))
            mxd_sb_putc(out, '\\');
        mxd_sb_putc(out, ch);
    }
}

void mxd_textout_md_item(mxd_sb *out, const char *label, const char *value)
{
    mxd_sb_puts(out, "- **");
    mxd_textout_md(out, label, "");
    mxd_sb_puts(out, ":** ");
    mxd_textout_md(out, value, "  ");
    mxd_sb_putc(out, '\n');
}
