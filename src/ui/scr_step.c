/* scr_step.c — the step pages and the summary page, with the row of step tabs.
 *
 * Both pages lay their doc out again on every frame (cheap: a few hundred
 * lines), so results that arrive, a language switch and a resize all show up
 * the same way. Their scroll position is the only state they keep.
 */
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "mxd/steps.h"
#include "uipriv.h"

/* Lays out (and with draw, draws) the tab row; returns its width. */
static int tabs(mxd_ui *u, size_t cur, bool titles, bool labels, bool draw)
{
    int y = 1, x = 1;
    for (size_t i = 0; i <= mxd_nsteps; i++) {
        bool is_sum = i == mxd_nsteps;
        char key[64], text[256];
        snprintf(key, sizeof key, "step.%s", is_sum ? "summary" : mxd_steps[i].id);
        char *title = titles ? ui_cat_fmt(u, key, "title", NULL, 0) : NULL;
        snprintf(text, sizeof text, " %zu%s%s ", i + 1, title ? " " : "", title ? title : "");
        free(title);
        if (draw)
            draw_text(u, y, x, text, COLS - 1 - x, i == cur ? ST_TAB_CUR : ST_TAB);
        x += mxd_text_width(text, strlen(text));
        if (labels && !is_sum && u->have_input) {
            bool blocked;
            const char *lab = "...";
            ui_style ls = ST_DIM;
            bool any = false;
            for (size_t k = 0; k < u->fs.n && !any; k++)
                any = strcmp(u->fs.v[k].step, mxd_steps[i].id) == 0;
            bool busy = ui_step_pending(u, mxd_steps[i].id, &blocked) > 0 || blocked;
            if (!busy && !any) {
                lab = "-"; /* nothing was checked in this step */
            } else if (!busy) {
                mxd_severity s = mxd_findings_worst(&u->fs, mxd_steps[i].id);
                lab = ui_sev_label(u, s);
                ls = ui_sev_style(s);
            }
            if (draw)
                draw_text(u, y, x, lab, COLS - 1 - x, ls);
            x += mxd_text_width(lab, strlen(lab));
        }
        x += 1;
    }
    return x;
}

/* The tab row: "1 MX records PASS  2 ...". When that is too wide the titles
 * go, and then the labels. */
static void draw_tabs(mxd_ui *u, size_t cur)
{
    if (tabs(u, cur, true, true, false) <= COLS - 1)
        tabs(u, cur, true, true, true);
    else if (tabs(u, cur, false, true, false) <= COLS - 1)
        tabs(u, cur, false, true, true);
    else
        tabs(u, cur, false, false, true);
}

static void page_body(mxd_ui *u, ui_screen *s, ui_doc *d)
{
    int top = ui_body_top(u), rows = ui_body_rows(u);
    int n = (int)d->n;
    s->page_rows = rows;
    s->max_scroll = n > rows ? n - rows + 1 : 0; /* +1: the "more" line */
    if (s->scroll > s->max_scroll)
        s->scroll = s->max_scroll;
    if (s->scroll < 0)
        s->scroll = 0;
    bool more = s->scroll < s->max_scroll;
    draw_doc(u, d, s->scroll, top, 1, more ? rows - 1 : rows, COLS - 2);
    if (more) {
        const char *m = ui_t(u, T_MORE_BELOW);
        int mw = mxd_text_width(m, strlen(m));
        draw_text(u, top + rows - 1, COLS - 2 - mw, m, mw, ST_DIM);
    }
}

static void step_draw(mxd_ui *u, ui_screen *s)
{
    if (u->step >= mxd_nsteps)
        u->step = 0;
    draw_tabs(u, u->step);
    ui_doc d = { 0 };
    build_step_doc(u, u->step, COLS - 2, &d);
    page_body(u, s, &d);
    doc_free(&d);
    if (strcmp(mxd_steps[u->step].id, "delivery") == 0)
        u->footer = ui_t(u, u->rcpt_conv ? T_RCPT_RUNNING : T_FOOT_DELIVERY);
    else
        u->footer = ui_t(u, T_FOOT_STEP);
}

static void summary_draw(mxd_ui *u, ui_screen *s)
{
    draw_tabs(u, mxd_nsteps);
    ui_doc d = { 0 };
    build_summary_doc(u, COLS - 2, &d);
    page_body(u, s, &d);
    doc_free(&d);
    u->footer = ui_t(u, T_FOOT_SUMMARY);
}

ui_res ui_goto(mxd_ui *u, long i)
{
    if (i < 0 && !u->scn && u->goal == GOAL_BOUNCE && u->bounce_view) {
        /* came from a decoded bounce: back to it, the next status may be the one */
        ui_set_page(u, &ui_bounce_ops);
        return UI_REDRAW;
    }
    if (i < 0) {
        /* back on the first page, the field has the keys: ready for another domain */
        if (!u->scn)
            u->focus_field = 1;
        ui_set_page(u, u->scn ? &ui_lab_intro_ops : &ui_input_ops);
        return UI_REDRAW;
    }
    if ((size_t)i >= mxd_nsteps) {
        ui_set_page(u, &ui_summary_ops);
        return UI_REDRAW;
    }
    u->step = (size_t)i;
    ui_set_page(u, &ui_step_ops);
    return UI_REDRAW;
}

static bool is_next(bool is_key, wint_t ch)
{
    return is_key ? (ch == KEY_RIGHT || ch == KEY_ENTER) : (ch == 'n' || ch == '\r' || ch == '\n');
}

static bool is_back(bool is_key, wint_t ch)
{
    return is_key ? (ch == KEY_LEFT || ch == KEY_BACKSPACE) : (ch == 'p' || ch == 127 || ch == 8);
}

ui_res ui_jump_key(mxd_ui *u, bool is_key, wint_t ch)
{
    if (!is_key && ch >= '1' && ch <= '9' && (size_t)(ch - '1') <= mxd_nsteps)
        return ui_goto(u, (long)(ch - '1'));
    if (!is_key && ch == 's')
        return ui_goto(u, (long)mxd_nsteps);
    return UI_UNHANDLED;
}

static ui_res step_key(mxd_ui *u, ui_screen *s, bool is_key, wint_t ch)
{
    if (is_next(is_key, ch))
        return ui_goto(u, (long)u->step + 1);
    if (is_back(is_key, ch))
        return ui_goto(u, (long)u->step - 1);
    if (!is_key && ch == 'c' && strcmp(mxd_steps[u->step].id, "delivery") == 0)
        return ui_rcpt_ask(u);
    ui_res r = ui_scroll_key(s, is_key, ch);
    return r != UI_UNHANDLED ? r : ui_jump_key(u, is_key, ch);
}

static ui_res summary_key(mxd_ui *u, ui_screen *s, bool is_key, wint_t ch)
{
    if (is_back(is_key, ch))
        return ui_goto(u, (long)mxd_nsteps - 1);
    if (!is_key && ch == 'e') {
        if (!u->have_input)
            return UI_NOP;
        ui_push(u, &ui_export_ops, NULL);
        return UI_REDRAW;
    }
    if (is_next(is_key, ch))
        return UI_NOP; /* the last page */
    ui_res r = ui_scroll_key(s, is_key, ch);
    return r != UI_UNHANDLED ? r : ui_jump_key(u, is_key, ch);
}

const ui_screen_ops ui_step_ops = { "step", false, step_draw, step_key, NULL };
const ui_screen_ops ui_summary_ops = { "summary", false, summary_draw, summary_key, NULL };
