/* scr_lab.c — the practice lab: the scenario menu, the question page, and
 * starting and stopping a scenario's servers.
 *
 * A scenario runs exactly like a real diagnosis: the lab's DNS and SMTP
 * servers start on the same loop, mxd_lab_apply() points a copy of the
 * options at them, and the engine runs on the scenario's domain. Leaving the
 * lab restores the options from the command line, so a real domain typed
 * afterwards is never sent to the lab's resolver.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "uipriv.h"

void ui_lab_load_list(mxd_ui *u)
{
    if (u->scns_loaded)
        return;
    u->scns_loaded = true;
    /* A teacher's file with a mistake must not just vanish from the menu. */
    if (!u->scns && u->helpdir)
        u->nscns = mxd_scenario_list_checked(u->helpdir, &u->scns, &u->scns_failed,
                                             &u->scns_err);
}

char *ui_lab_skipped_text(const mxd_ui *u)
{
    if (!u->scns_failed || u->scns_err.code == MXD_SCN_OK)
        return NULL;
    char *err = mxd_scn_error_format(&u->scns_err, ui_cat(u));
    char count[24];
    snprintf(count, sizeof count, "%zu", u->scns_failed);
    char *m = ui_tf(u, T_LAB_SKIPPED, "count", count, "error", err ? err : "", UI_END);
    free(err);
    return m;
}

void ui_lab_end(mxd_ui *u)
{
    if (!u->lab) {
        u->scn = NULL;
        return;
    }
    ui_stop_diagnosis(u); /* the engine talks to the lab's servers: stop it first */
    mxd_lab_stop(u->lab);
    u->lab = NULL;
    u->scn = NULL;
    u->opts = u->cfg->opts;
}

int ui_lab_begin(mxd_ui *u, const mxd_scenario *scn)
{
    ui_lab_end(u);
    ui_stop_diagnosis(u);
    u->lab_err[0] = '\0';
    char err[256] = "";
    mxd_lab *lab = mxd_lab_start(u->loop, scn, u->cfg->lab_latency_ms, err, sizeof err);
    if (!lab) {
        snprintf(u->lab_err, sizeof u->lab_err, "%s", err[0] ? err : "?");
        return -1;
    }
    u->lab = lab;
    u->scn = scn;
    u->opts = u->cfg->opts;
    mxd_lab_apply(lab, &u->opts);
    mxd_input in;
    if (mxd_input_normalize(scn->domain, &in) != MXD_IN_OK) {
        snprintf(u->lab_err, sizeof u->lab_err, "%.200s", scn->domain);
        ui_lab_end(u);
        return -1;
    }
    u->in = in;
    u->goal = GOAL_LAB;
    mxd_le_set(&u->field, scn->domain);
    ui_start_diagnosis(u);
    u->step = 0;
    ui_set_page(u, &ui_lab_intro_ops);
    return 0;
}

static const char *level_text(const mxd_ui *u, const char *level)
{
    if (strcmp(level, "beginner") == 0)
        return ui_t(u, T_LEVEL_BEGINNER);
    if (strcmp(level, "advanced") == 0)
        return ui_t(u, T_LEVEL_ADVANCED);
    return level;
}

static const char *scn_text(const mxd_ui *u, char *const *v)
{
    return v[u->lang] ? v[u->lang] : v[MXD_LANG_EN] ? v[MXD_LANG_EN] : "";
}

/* ---- the menu ---- */

static void menu_draw(mxd_ui *u, ui_screen *s)
{
    ui_lab_load_list(u);
    int width = COLS - 2, top = ui_body_top(u), rows = ui_body_rows(u);
    ui_doc d = { 0 };
    doc_wrap(&d, 0, width, ST_HEAD, ui_t(u, T_LAB_MENU_TITLE));
    doc_line(&d);
    /* first, so a teacher sees at once why their new file is not in the list */
    char *skipped = ui_lab_skipped_text(u);
    if (skipped) {
        doc_wrap(&d, 0, width, ST_ERRTEXT, skipped);
        doc_line(&d);
        free(skipped);
    }
    if (u->nscns == 0) {
        char *m = ui_tf(u, T_LAB_NONE, "dir",
                         u->helpdir ? u->helpdir : "help", UI_END);
        doc_wrap(&d, 0, width, ST_ERRTEXT, m ? m : "");
        free(m);
    }
    if (s->sel >= (int)u->nscns)
        s->sel = u->nscns ? (int)u->nscns - 1 : 0;
    size_t sel_first = 0, sel_last = 0;
    int idw = 0;
    for (size_t i = 0; i < u->nscns; i++) {
        int w = mxd_text_width(u->scns[i].id, strlen(u->scns[i].id));
        if (w > idw)
            idw = w;
    }
    if (idw > width / 3)
        idw = width / 3;
    for (size_t i = 0; i < u->nscns; i++) {
        const mxd_scenario *sc = &u->scns[i];
        bool sel = (int)i == s->sel;
        char text[768];
        snprintf(text, sizeof text, "%s  [%s]", scn_text(u, sc->title), level_text(u, sc->level));
        size_t first = d.n;
        doc_wrap(&d, idw + 4, width - idw - 4, sel ? ST_SEL : ST_NORMAL, text);
        if (d.n > first) {
            char lead[80];
            snprintf(lead, sizeof lead, "%s %s", sel ? ">" : " ", sc->id);
            doc_span(&d, first, 0, sel ? ST_BOLD : ST_DIM, lead, strlen(lead));
        }
        if (sel) {
            sel_first = first;
            sel_last = d.n ? d.n - 1 : 0;
        }
    }
    if (u->lab_err[0]) {
        doc_line(&d);
        char *m = ui_err_text(u, T_LAB_FAILED, u->lab_err);
        doc_wrap(&d, 0, width, ST_ERRTEXT, m ? m : u->lab_err);
        free(m);
    }
    /* keep the selection in view; a list longer than the screen gives up its
     * last row to say so */
    int vis = (int)d.n > rows ? rows - 1 : rows;
    if ((int)sel_first < s->scroll)
        s->scroll = (int)sel_first;
    if ((int)sel_last >= s->scroll + vis)
        s->scroll = (int)sel_last - vis + 1;
    if (u->lab_err[0] && (int)d.n > vis && s->scroll < (int)d.n - vis)
        s->scroll = (int)d.n - vis; /* the error must be seen */
    if (s->scroll < 0)
        s->scroll = 0;
    draw_doc(u, &d, s->scroll, top, 1, vis, width);
    if (s->scroll + vis < (int)d.n) {
        const char *m = ui_t(u, T_MORE_BELOW);
        int mw = mxd_text_width(m, strlen(m));
        draw_text(u, top + rows - 1, COLS - 2 - mw, m, mw, ST_DIM);
    }
    doc_free(&d);
    u->footer = ui_t(u, T_FOOT_LAB_MENU);
}

static ui_res menu_key(mxd_ui *u, ui_screen *s, bool is_key, wint_t ch)
{
    int n = (int)u->nscns;
    if (is_key) {
        switch (ch) {
        case KEY_UP: if (s->sel > 0) s->sel--; return UI_REDRAW;
        case KEY_DOWN: if (s->sel + 1 < n) s->sel++; return UI_REDRAW;
        case KEY_PPAGE: s->sel = s->sel > 10 ? s->sel - 10 : 0; return UI_REDRAW;
        case KEY_NPAGE: s->sel = s->sel + 10 < n ? s->sel + 10 : (n ? n - 1 : 0); return UI_REDRAW;
        case KEY_HOME: s->sel = 0; return UI_REDRAW;
        case KEY_END: s->sel = n ? n - 1 : 0; return UI_REDRAW;
        case KEY_ENTER:
        case KEY_RIGHT: goto start;
        case KEY_LEFT:
        case KEY_BACKSPACE: goto back;
        default: return UI_UNHANDLED;
        }
    }
    switch (ch) {
    case 'k': if (s->sel > 0) s->sel--; return UI_REDRAW;
    case 'j': if (s->sel + 1 < n) s->sel++; return UI_REDRAW;
    case '\r':
    case '\n':
    case 'n': goto start;
    case 27:
    case 'p':
    case 127:
    case 8: goto back;
    default: return UI_UNHANDLED;
    }
start:
    if (s->sel < n) {
        u->lab_err[0] = '\0';
        ui_lab_begin(u, &u->scns[s->sel]); /* on failure the menu shows why */
    }
    return UI_REDRAW;
back:
    u->lab_err[0] = '\0';
    u->goal = GOAL_LAB;
    u->focus_field = 0;
    ui_set_page(u, &ui_input_ops);
    return UI_REDRAW;
}

/* ---- the question page ---- */

static void intro_draw(mxd_ui *u, ui_screen *s)
{
    int width = COLS - 2;
    ui_doc d = { 0 };
    const mxd_scenario *sc = u->scn;
    if (sc) {
        char head[768];
        snprintf(head, sizeof head, "%s  [%s]", scn_text(u, sc->title), level_text(u, sc->level));
        doc_wrap(&d, 0, width, ST_HEAD, head);
        doc_line(&d);
        ui_doc body = { 0 };
        doc_wrap(&body, 0, width - 4, ST_NORMAL, scn_text(u, sc->question));
        doc_panel(&d, 0, width, NULL, ST_NORMAL, ui_t(u, T_LAB_QUESTION), ST_HEAD, &body);
        doc_free(&body);
        doc_line(&d);
        doc_wrap(&d, 0, width, ST_DIM, ui_t(u, T_LAB_START));
    }
    if (u->engine_err[0]) {
        char *m = ui_err_text(u, T_ENGINE_FAILED, u->engine_err);
        doc_wrap(&d, 0, width, ST_ERRTEXT, m ? m : u->engine_err);
        free(m);
    }
    int rows = ui_body_rows(u);
    s->page_rows = rows;
    s->max_scroll = (int)d.n > rows ? (int)d.n - rows : 0;
    if (s->scroll > s->max_scroll)
        s->scroll = s->max_scroll;
    draw_doc(u, &d, s->scroll, ui_body_top(u), 1, rows, width);
    doc_free(&d);
    u->footer = ui_t(u, T_FOOT_LAB_INTRO);
}

static ui_res intro_key(mxd_ui *u, ui_screen *s, bool is_key, wint_t ch)
{
    if ((is_key && (ch == KEY_RIGHT || ch == KEY_ENTER)) ||
        (!is_key && (ch == 'n' || ch == '\r' || ch == '\n'))) {
        u->step = 0;
        ui_set_page(u, &ui_step_ops);
        return UI_REDRAW;
    }
    if ((is_key && (ch == KEY_LEFT || ch == KEY_BACKSPACE)) ||
        (!is_key && (ch == 'p' || ch == 127 || ch == 8))) {
        ui_lab_load_list(u);
        ui_set_page(u, &ui_lab_menu_ops);
        /* the menu opens on the scenario being played */
        for (size_t i = 0; i < u->nscns; i++)
            if (u->scn == &u->scns[i])
                u->stack[0].sel = (int)i;
        return UI_REDRAW;
    }
    ui_res r = ui_scroll_key(s, is_key, ch);
    return r != UI_UNHANDLED ? r : ui_jump_key(u, is_key, ch);
}

const ui_screen_ops ui_lab_menu_ops = { "lab-menu", false, menu_draw, menu_key, NULL };
const ui_screen_ops ui_lab_intro_ops = { "lab-intro", false, intro_draw, intro_key, NULL };
