/* scr_overlay.c — windows over the page: help, glossary, details, hint, quit prompt.
 *
 * The scrolling ones share one draw shape (a box over the body, the doc
 * inside) and one key handler; their own keys toggle them shut, Esc closes any
 * of them, and every other wizard key (L, q, …) still works underneath.
 */
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "uipriv.h"

typedef void (*builder)(const mxd_ui *u, int width, ui_doc *d);

static void draw_overlay(mxd_ui *u, ui_screen *s, ui_text_id title, builder b)
{
    int y = 1, x = 0, h = LINES - 2, w = COLS; /* covers the page, keeps the bars */
    ui_doc d = { 0 };
    b(u, w - 4, &d);
    draw_scroll_box(u, s, ui_t(u, title), &d, y, x, h, w);
    doc_free(&d);
    u->footer = ui_t(u, T_FOOT_OVERLAY);
}

static ui_res overlay_key(mxd_ui *u, ui_screen *s, bool is_key, wint_t ch)
{
    (void)u;
    if (!is_key && (ch == '\r' || ch == '\n')) {
        ui_pop(u);
        return UI_REDRAW;
    }
    return ui_scroll_key(s, is_key, ch);
}

static void help_draw(mxd_ui *u, ui_screen *s)
{
    draw_overlay(u, s, T_HELP_TITLE, build_help_doc);
}

static void glossary_draw(mxd_ui *u, ui_screen *s)
{
    draw_overlay(u, s, T_GLOSSARY_TITLE, build_glossary_doc);
}

static void details_draw(mxd_ui *u, ui_screen *s)
{
    draw_overlay(u, s, T_DETAILS_TITLE, build_details_doc);
}

static void build_hint(const mxd_ui *u, int width, ui_doc *d)
{
    const char *q = u->scn ? u->scn->question[u->lang] : NULL;
    const char *h = u->scn ? u->scn->hint[u->lang] : NULL;
    if (!h && u->scn)
        h = u->scn->hint[MXD_LANG_EN];
    if (q) {
        doc_wrap(d, 0, width, ST_HEAD, ui_t(u, T_LAB_QUESTION));
        doc_wrap(d, 2, width - 2, ST_NORMAL, q);
        doc_line(d);
    }
    doc_wrap(d, 0, width, ST_HEAD, ui_t(u, T_LAB_HINT));
    doc_wrap(d, 2, width - 2, ST_NORMAL, h && *h ? h : ui_t(u, T_LAB_NO_HINT));
}

static void hint_draw(mxd_ui *u, ui_screen *s)
{
    draw_overlay(u, s, T_LAB_HINT, build_hint);
}

const ui_screen_ops ui_help_ops = { "help", false, help_draw, overlay_key, NULL };
const ui_screen_ops ui_glossary_ops = { "glossary", false, glossary_draw, overlay_key, NULL };
const ui_screen_ops ui_details_ops = { "details", false, details_draw, overlay_key, NULL };
const ui_screen_ops ui_hint_ops = { "hint", false, hint_draw, overlay_key, NULL };

/* ---- "checks are still running, quit?" ---- */

static void quit_draw(mxd_ui *u, ui_screen *s)
{
    (void)s;
    int w = COLS - 8 < 64 ? COLS - 8 : 64;
    ui_doc d = { 0 };
    doc_wrap(&d, 0, w - 4, ST_BOLD, ui_t(u, T_QUIT_RUNNING));
    int h = (int)d.n + 2;
    int y = (LINES - h) / 2, x = (COLS - w) / 2;
    draw_box(u, y, x, h, w, NULL, ST_NORMAL);
    draw_doc(u, &d, 0, y + 1, x + 2, h - 2, w - 4);
    doc_free(&d);
    u->footer = ui_t(u, T_FOOT_PROMPT);
}

static ui_res quit_key(mxd_ui *u, ui_screen *s, bool is_key, wint_t ch)
{
    (void)s;
    if (is_key)
        return UI_NOP;
    switch (ch) {
    case 'y':
    case 'Y':
        return UI_QUIT;
    case 'n':
    case 'N':
    case 27:
        ui_pop(u);
        return UI_REDRAW;
    default:
        return UI_NOP;
    }
}

const ui_screen_ops ui_quit_ops = { "quit", true, quit_draw, quit_key, NULL };
