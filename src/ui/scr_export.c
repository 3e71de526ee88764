/* scr_export.c — the "save the report" prompt on the summary page.
 *
 * A modal window: the file name field takes every printable key, Tab picks the
 * format, Enter saves. An existing file is never replaced without a "y" to
 * the question that names it; the write itself is atomic (export.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "uipriv.h"

typedef struct export_state {
    mxd_lineedit name;
    mxd_format fmt;
    bool edited;   /* the user typed in the name: Tab no longer changes it */
    bool confirm;  /* asking whether to overwrite */
    char *msg;     /* owned: the last error */
} export_state;

static const mxd_format formats[] = { MXD_FMT_TEXT, MXD_FMT_MARKDOWN, MXD_FMT_JSON };
static const char *const fmt_names[] = { "text", "Markdown", "JSON" };
static const char *const fmt_ext[] = { "txt", "md", "json" };

static int fmt_index(mxd_format f)
{
    for (int i = 0; i < 3; i++)
        if (formats[i] == f)
            return i;
    return 0;
}

static void default_name(const mxd_ui *u, export_state *e)
{
    char buf[320];
    snprintf(buf, sizeof buf, "mxdoctor-%s.%s", u->in.ascii[0] ? u->in.ascii : "report",
             fmt_ext[fmt_index(e->fmt)]);
    mxd_le_set(&e->name, buf);
}

static export_state *state(mxd_ui *u, ui_screen *s)
{
    if (!s->data) {
        export_state *e = calloc(1, sizeof *e);
        if (!e)
            return NULL;
        mxd_le_init(&e->name, 4096);
        e->fmt = MXD_FMT_TEXT;
        default_name(u, e);
        s->data = e;
    }
    return s->data;
}

static void export_done(mxd_ui *u, ui_screen *s)
{
    (void)u;
    export_state *e = s->data;
    if (!e)
        return;
    mxd_le_free(&e->name);
    free(e->msg);
    free(e);
    s->data = NULL;
}

static void set_msg(export_state *e, char *m)
{
    free(e->msg);
    e->msg = m;
}

static void export_draw(mxd_ui *u, ui_screen *s)
{
    export_state *e = state(u, s);
    if (!e)
        return;
    int w = COLS - 4 < 76 ? COLS - 4 : 76;
    int iw = w - 4;
    ui_doc msg = { 0 };
    char *path = NULL;
    if (e->confirm) {
        char *t = mxd_le_text(&e->name);
        path = t ? ui_expand_path(t) : NULL;
        free(t);
        char *q = ui_tf(u, T_EXPORT_EXISTS, "path", path, UI_END);
        doc_wrap(&msg, 0, iw, ST_BOLD, q ? q : "");
        free(q);
    } else if (e->msg) {
        doc_wrap(&msg, 0, iw, ST_ERRTEXT, e->msg);
    }
    free(path);
    int h = 7 + (int)msg.n;
    if (h > LINES - 2)
        h = LINES - 2;
    int y = (LINES - h) / 2, x = (COLS - w) / 2;
    draw_box(u, y, x, h, w, ui_t(u, T_EXPORT_TITLE), ST_HEAD);
    int cx = x + 2, cy = y + 1;
    int fx = cx + draw_text(u, cy, cx, ui_t(u, T_EXPORT_FORMAT), iw, ST_BOLD) + 1;
    for (int i = 0; i < 3; i++) {
        char b[32];
        bool cur = i == fmt_index(e->fmt);
        /* brackets as well as reverse video: readable without colour */
        snprintf(b, sizeof b, "%s%s%s", cur ? "[" : " ", fmt_names[i], cur ? "]" : " ");
        fx += draw_text(u, cy, fx, b, x + w - 2 - fx, cur ? ST_SEL : ST_NORMAL);
        fx += 1;
    }
    draw_text(u, cy + 1, cx, ui_t(u, T_EXPORT_FILE), iw, ST_BOLD);
    /* the file name field */
    int fy = cy + 2;
    int ccol = draw_lineedit(u, fy, cx, iw, &e->name, ST_FIELD, ST_FIELD);
    draw_doc(u, &msg, 0, fy + 1, cx, h - 5, iw);
    doc_free(&msg);
    draw_text(u, y + h - 2, cx, ui_t(u, T_EXPORT_KEYS), iw, ST_DIM);
    if (!e->confirm) {
        u->cur_y = fy;
        u->cur_x = cx + ccol;
    }
    u->footer = ui_t(u, e->confirm ? T_FOOT_PROMPT : T_EXPORT_KEYS);
}

static ui_res save(mxd_ui *u, export_state *e, bool overwrite)
{
    char *typed = mxd_le_text(&e->name);
    if (!typed || !*typed) {
        free(typed);
        set_msg(e, strdup(ui_t(u, T_EXPORT_EMPTY)));
        return UI_REDRAW;
    }
    char *path = ui_expand_path(typed);
    free(typed);
    if (!path)
        return UI_NOP;
    mxd_sb sb = MXD_SB_INIT;
    mxd_report_write(&sb, e->fmt, &u->res, &u->fs, ui_cat(u));
    int rc = mxd_sb_ok(&sb) ? ui_write_atomic(path, mxd_sb_str(&sb), sb.len, overwrite) : ENOMEM;
    size_t bytes = sb.len;
    mxd_sb_free(&sb);
    if (rc == EEXIST && !overwrite) {
        e->confirm = true;
        free(path);
        return UI_REDRAW;
    }
    e->confirm = false;
    if (rc != 0) {
        set_msg(e, ui_tf(u, T_EXPORT_FAIL, "path", path, "error",
                          strerror(rc), UI_END));
        free(path);
        return UI_REDRAW;
    }
    char nb[32];
    snprintf(nb, sizeof nb, "%zu", bytes);
    ui_set_status(u, true, ui_tf(u, T_EXPORT_OK, "path", path,
                                  "bytes", nb, UI_END));
    free(path);
    ui_pop(u);
    return UI_REDRAW;
}

static ui_res export_key(mxd_ui *u, ui_screen *s, bool is_key, wint_t ch)
{
    export_state *e = state(u, s);
    if (!e) {
        ui_pop(u);
        return UI_REDRAW;
    }
    if (e->confirm) {
        if (!is_key && (ch == 'y' || ch == 'Y'))
            return save(u, e, true);
        if (!is_key && (ch == 'n' || ch == 'N' || ch == 27)) {
            e->confirm = false;
            return UI_REDRAW;
        }
        return UI_NOP;
    }
    mxd_lineedit *le = &e->name;
    bool edit = false;
    if (is_key) {
        switch (ch) {
        case KEY_LEFT: mxd_le_do(le, MXD_LE_LEFT); return UI_REDRAW;
        case KEY_RIGHT: mxd_le_do(le, MXD_LE_RIGHT); return UI_REDRAW;
        case KEY_HOME: mxd_le_do(le, MXD_LE_HOME); return UI_REDRAW;
        case KEY_END: mxd_le_do(le, MXD_LE_END); return UI_REDRAW;
        case KEY_BACKSPACE: edit = mxd_le_do(le, MXD_LE_BACKSPACE); break;
        case KEY_DC: edit = mxd_le_do(le, MXD_LE_DELETE); break;
        case KEY_ENTER: return save(u, e, false);
        case KEY_BTAB:
            e->fmt = formats[(fmt_index(e->fmt) + 2) % 3];
            if (!e->edited)
                default_name(u, e);
            return UI_REDRAW;
        default: return UI_NOP;
        }
    } else {
        switch (ch) {
        case 27: ui_pop(u); return UI_REDRAW;
        case '\r':
        case '\n': return save(u, e, false);
        case '\t':
            e->fmt = formats[(fmt_index(e->fmt) + 1) % 3];
            if (!e->edited)
                default_name(u, e);
            return UI_REDRAW;
        case 127:
        case 8: edit = mxd_le_do(le, MXD_LE_BACKSPACE); break;
        case 1: mxd_le_do(le, MXD_LE_HOME); return UI_REDRAW;
        case 5: mxd_le_do(le, MXD_LE_END); return UI_REDRAW;
        case 21: edit = mxd_le_do(le, MXD_LE_KILL_LINE); break;
        case 11: edit = mxd_le_do(le, MXD_LE_KILL_END); break;
        case 23: edit = mxd_le_do(le, MXD_LE_KILL_WORD); break;
        default:
            if (ch >= 0x20)
                edit = mxd_le_insert(le, (uint32_t)ch);
            break;
        }
    }
    if (edit) {
        e->edited = true;
        set_msg(e, NULL);
    }
    return UI_REDRAW;
}

const ui_screen_ops ui_export_ops = { "export", true, export_draw, export_key, export_done };
