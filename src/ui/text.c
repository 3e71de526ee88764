/* text.c — the wizard's own sentences (menus, prompts, key hints), from the catalog.
 *
 * Findings, steps, verdicts, the glossary and the chrome all come from the help
 * catalog; this file only maps the wizard's text ids (MXD_UI_TEXTS in
 * mxd/ui.h) to catalog keys and fills placeholders. There is deliberately no
 * built-in copy: two copies drift, and a translator's change to help/ja/ui.cat
 * must be what the screen shows. A missing entry shows its key in brackets, as
 * every other catalog text does, so the gap is visible rather than silent.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "mxd/sanitize.h"
#include "mxd/strbuf.h"
#include "uipriv.h"

static const char *const text_keys[T_COUNT] = {
#define UI_TEXT_KEY(id, name, params) [T_##id] = "msg.ui." name,
    MXD_UI_TEXTS(UI_TEXT_KEY)
#undef UI_TEXT_KEY
};

/* Static, so ui_text() can hand out a borrowed pointer in every case. */
static const char *const missing[T_COUNT] = {
#define UI_TEXT_MISSING(id, name, params) [T_##id] = "[msg.ui." name ".text]",
    MXD_UI_TEXTS(UI_TEXT_MISSING)
#undef UI_TEXT_MISSING
};

const char *ui_text_key(ui_text_id id)
{
    return (unsigned)id < T_COUNT ? text_keys[id] : "";
}

const char *ui_text(const mxd_catalog *cat, ui_text_id id)
{
    if ((unsigned)id >= T_COUNT)
        return "";
    const char *t = cat ? mxd_catalog_get(cat, text_keys[id], "text") : NULL;
    return t ? t : missing[id];
}

/* Fills {name} from the key/value list; unknown names stay as written, like the
 * catalog does, so a missing value is visible rather than silently empty. */
static char *fill(const char *tmpl, va_list ap)
{
    const char *keys[8], *vals[8];
    size_t n = 0;
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k)
            break;
        const char *v = va_arg(ap, const char *);
        if (n < 8) {
            keys[n] = k;
            vals[n] = v ? v : "";
            n++;
        }
    }
    mxd_sb sb = MXD_SB_INIT;
    for (const char *p = tmpl; *p;) {
        if (*p == '{') {
            const char *e = strchr(p, '}');
            if (e) {
                size_t kl = (size_t)(e - p - 1);
                size_t i;
                for (i = 0; i < n; i++)
                    if (strlen(keys[i]) == kl && strncmp(keys[i], p + 1, kl) == 0)
                        break;
                if (i < n) {
                    /* values may be catalog text with line breaks: keep those */
                    char *clean = mxd_sanitize(vals[i], strlen(vals[i]), MXD_SAN_KEEP_NEWLINES, 0);
                    mxd_sb_puts(&sb, clean ? clean : "");
                    free(clean);
                    p = e + 1;
                    continue;
                }
            }
        }
        mxd_sb_putc(&sb, *p++);
    }
    if (!sb.buf)
        mxd_sb_puts(&sb, "");
    return mxd_sb_take(&sb);
}

char *ui_fmt(const mxd_catalog *cat, ui_text_id id, ...)
{
    va_list ap;
    va_start(ap, id);
    char *s = fill(ui_text(cat, id), ap);
    va_end(ap);
    return s;
}

char *ui_tf(const mxd_ui *u, ui_text_id id, ...)
{
    va_list ap;
    va_start(ap, id);
    char *s = fill(ui_text(u->cfg->cat[u->lang], id), ap);
    va_end(ap);
    return s;
}
