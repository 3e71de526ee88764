/* scr_input.c — the first page: what is wrong, and which domain.
 *
 * Two places take keys here: the list of choices and the domain field. While
 * the field has them, every printable key is text (a URL may hold '?', a name
 * may hold 'q'), so the wizard's letter keys only work on the list and the
 * field offers F1 (help), F2 (language) and F10 (quit) instead; Tab and Esc
 * move between the two.
 */
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "uipriv.h"

static const ui_text_id choice_text[GOAL_COUNT] = {
    [GOAL_INBOUND] = T_CHOICE_INBOUND, [GOAL_OUTBOUND] = T_CHOICE_OUTBOUND,
    [GOAL_BOUNCE] = T_CHOICE_BOUNCE,   [GOAL_ALL] = T_CHOICE_ALL,
    [GOAL_LAB] = T_CHOICE_LAB,
};

/* The choices whose own steps do not exist yet say so (no empty promises). */
static ui_text_id not_yet_note(ui_goal g)
{
    return ui_goal_missing_note(g);
}

/* Lays the page out; *field_line gets the doc line the field is drawn on. */
static void build(const mxd_ui *u, int width, ui_doc *d, size_t *field_line)
{
    doc_wrap(d, 0, width, ST_HEAD, ui_t(u, T_Q_WHAT));
    for (int g = 0; g < GOAL_COUNT; g++) {
        bool sel = (int)u->goal == g;
        ui_style st = sel ? (u->focus_field ? ST_BOLD : ST_SEL) : ST_NORMAL;
        char lead[8];
        snprintf(lead, sizeof lead, "%s %d ", sel ? ">" : " ", g + 1);
        const char *text = ui_t(u, choice_text[g]);
        char buf[512];
        if (not_yet_note((ui_goal)g) != T_COUNT) {
            const char *tag = ui_t(u, T_NOT_YET_TAG);
            /* "（未対応）" carries its own spacing; "(not available yet)" needs one */
            snprintf(buf, sizeof buf, "%s%s%s", text, (unsigned char)tag[0] >= 0x80 ? "" : " ", tag);
        }
        else
            snprintf(buf, sizeof buf, "%s", text);
        doc_wrap_hang(d, 1, width - 1, 4, lead, sel ? ST_BOLD : ST_DIM, buf, st);
    }
    doc_line(d);
    ui_text_id note = not_yet_note(u->goal);
    if (note != T_COUNT) {
        doc_wrap(d, 2, width - 2, ST_BOLD, ui_t(u, note));
        doc_line(d);
    }
    doc_wrap(d, 0, width, ST_HEAD, ui_t(u, T_FIELD_LABEL));
    *field_line = doc_line(d);
    char *fe = ui_field_error_text(u);
    if (fe)
        doc_wrap(d, 2, width - 2, ST_ERRTEXT, fe);
    free(fe);
    if (u->engine_err[0]) {
        char *m = ui_err_text(u, T_ENGINE_FAILED, u->engine_err);
        doc_wrap(d, 2, width - 2, ST_ERRTEXT, m ? m : u->engine_err);
        free(m);
    }
}

static void draw_field(mxd_ui *u, int y, int x, int w)
{
    int ccol = draw_lineedit(u, y, x, w, &u->field, u->focus_field ? ST_FIELD : ST_NORMAL,
                             u->focus_field ? ST_FIELD : ST_BOLD);
    if (!u->focus_field) {
        draw_text(u, y, x - 1, "[", 1, ST_DIM);
        draw_text(u, y, x + w, "]", 1, ST_DIM);
    }
    if (u->focus_field) {
        u->cur_y = y;
        u->cur_x = x + ccol;
    }
}

static void input_draw(mxd_ui *u, ui_screen *s)
{
    draw_text(u, 1, 1, ui_t(u, T_TAGLINE), COLS - 2, ST_DIM);
    int width = COLS - 2;
    ui_doc d = { 0 };
    size_t fl = 0;
    build(u, width, &d, &fl);
    int top = ui_body_top(u) + 1, rows = ui_body_rows(u) - 1;
    /* keep the field (and its message) in view on short screens */
    int need = (int)fl + 3;
    s->scroll = need > rows ? need - rows : 0;
    if (s->scroll > (int)fl)
        s->scroll = (int)fl;
    draw_doc(u, &d, s->scroll, top, 1, rows, width);
    int fy = top + (int)fl - s->scroll;
    int fw = width - 4 < 72 ? width - 4 : 72;
    if (fy >= top && fy < top + rows)
        draw_field(u, fy, 3, fw);
    doc_free(&d);
    u->footer = ui_t(u, u->focus_field ? T_FOOT_FIELD : T_FOOT_CHOICES);
}

/* Enter in the field: normalise, then start (or keep) the diagnosis. */
static ui_res submit(mxd_ui *u)
{
    char *typed = mxd_le_text(&u->field);
    if (!typed)
        return UI_NOP;
    mxd_input in;
    mxd_input_status st = mxd_input_normalize(typed, &in);
    if (st != MXD_IN_OK) {
        /* what was typed stays in the field, to be corrected */
        ui_field_error(u, st, typed, in.detail);
        free(typed);
        return UI_REDRAW;
    }
    ui_field_error(u, MXD_IN_OK, NULL, NULL);
    mxd_le_history_add(&u->field, typed);
    free(typed);
    bool same = u->have_input && u->eng && !u->scn && strcmp(in.ascii, u->in.ascii) == 0;
    if (!same) {
        if (u->lab)
            ui_lab_end(u);
        u->in = in;
        if (ui_start_diagnosis(u) != 0)
            return UI_REDRAW; /* the message shows under the field */
    }
    u->step = 0;
    ui_set_page(u, &ui_step_ops);
    return UI_REDRAW;
}

static ui_res choose(mxd_ui *u)
{
    if (u->goal == GOAL_LAB) {
        ui_set_page(u, &ui_lab_menu_ops);
        return UI_REDRAW;
    }
    if (u->goal == GOAL_BOUNCE) {
        u->bounce_view = false; /* the box, with whatever was pasted before */
        ui_set_page(u, &ui_bounce_ops);
        return UI_REDRAW;
    }
    /* A domain is already there (typed before, or given on the command line):
     * go on with it; otherwise the field takes the keys. */
    if (u->field.len > 0) {
        ui_res r = submit(u);
        if (u->field_st != MXD_IN_OK || u->engine_err[0])
            u->focus_field = 1;
        return r;
    }
    u->focus_field = 1;
    return UI_REDRAW;
}

static ui_res field_key(mxd_ui *u, bool is_key, wint_t ch)
{
    mxd_lineedit *le = &u->field;
    if (is_key) {
        switch (ch) {
        case KEY_LEFT: mxd_le_do(le, MXD_LE_LEFT); return UI_REDRAW;
        case KEY_RIGHT: mxd_le_do(le, MXD_LE_RIGHT); return UI_REDRAW;
        case KEY_HOME: mxd_le_do(le, MXD_LE_HOME); return UI_REDRAW;
        case KEY_END: mxd_le_do(le, MXD_LE_END); return UI_REDRAW;
        case KEY_BACKSPACE: mxd_le_do(le, MXD_LE_BACKSPACE); return UI_REDRAW;
        case KEY_DC: mxd_le_do(le, MXD_LE_DELETE); return UI_REDRAW;
        case KEY_UP: mxd_le_do(le, MXD_LE_HIST_PREV); return UI_REDRAW;
        case KEY_DOWN: mxd_le_do(le, MXD_LE_HIST_NEXT); return UI_REDRAW;
        case KEY_ENTER: return submit(u);
        case KEY_BTAB: u->focus_field = 0; return UI_REDRAW;
        default: return UI_UNHANDLED;
        }
    }
    switch (ch) {
    case '\r':
    case '\n': return submit(u);
    case '\t':
    case 27: u->focus_field = 0; return UI_REDRAW;
    case 127:
    case 8: mxd_le_do(le, MXD_LE_BACKSPACE); return UI_REDRAW;
    case 1: mxd_le_do(le, MXD_LE_HOME); return UI_REDRAW;      /* Ctrl-A */
    case 5: mxd_le_do(le, MXD_LE_END); return UI_REDRAW;       /* Ctrl-E */
    case 2: mxd_le_do(le, MXD_LE_LEFT); return UI_REDRAW;      /* Ctrl-B */
    case 6: mxd_le_do(le, MXD_LE_RIGHT); return UI_REDRAW;     /* Ctrl-F */
    case 4: mxd_le_do(le, MXD_LE_DELETE); return UI_REDRAW;    /* Ctrl-D */
    case 21: mxd_le_do(le, MXD_LE_KILL_LINE); return UI_REDRAW; /* Ctrl-U */
    case 11: mxd_le_do(le, MXD_LE_KILL_END); return UI_REDRAW; /* Ctrl-K */
    case 23: mxd_le_do(le, MXD_LE_KILL_WORD); return UI_REDRAW; /* Ctrl-W */
    case 12: return UI_UNHANDLED;                               /* Ctrl-L: repaint */
    default:
        if (ch >= 0x20 && mxd_le_insert(le, (uint32_t)ch))
            return UI_REDRAW;
        return UI_NOP; /* other control keys are not text and not commands here */
    }
}

static ui_res choices_key(mxd_ui *u, bool is_key, wint_t ch)
{
    int g = (int)u->goal;
    if (is_key) {
        switch (ch) {
        case KEY_UP: g = g > 0 ? g - 1 : GOAL_COUNT - 1; break;
        case KEY_DOWN: g = (g + 1) % GOAL_COUNT; break;
        case KEY_RIGHT:
        case KEY_ENTER: return choose(u);
        default: return UI_UNHANDLED;
        }
        u->goal = (ui_goal)g;
        return UI_REDRAW;
    }
    switch (ch) {
    case 'k': g = g > 0 ? g - 1 : GOAL_COUNT - 1; break;
    case 'j': g = (g + 1) % GOAL_COUNT; break;
    case '\r':
    case '\n': return choose(u);
    case '\t':
        if (u->goal == GOAL_LAB || u->goal == GOAL_BOUNCE)
            return choose(u);
        u->focus_field = 1; /* only moves: Enter is what starts */
        return UI_REDRAW;
    default:
        if (ch >= '1' && ch < '1' + GOAL_COUNT) {
            u->goal = (ui_goal)(ch - '1');
            return choose(u);
        }
        return UI_UNHANDLED;
    }
    u->goal = (ui_goal)g;
    return UI_REDRAW;
}

static ui_res input_key(mxd_ui *u, ui_screen *s, bool is_key, wint_t ch)
{
    (void)s;
    return u->focus_field ? field_key(u, is_key, ch) : choices_key(u, is_key, ch);
}

const ui_screen_ops ui_input_ops = { "input", false, input_draw, input_key, NULL };
