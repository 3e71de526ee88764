/* scr_rcpt.c — the recipient check asked for on the delivery page.
 *
 * Whether an address exists is only known by asking the receiving server, and
 * asking leaves a trace in its logs, so the wizard never does it on its own:
 * the user presses c, sees the question with the address (postmaster@domain
 * prefilled, editable with e) and answers y or n. The conversation then runs
 * on the wizard's loop; the footer says so until it ends, and the findings are
 * checked again so its rcpt.* panel appears on the page.
 */
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "uipriv.h"

typedef struct rcpt_state {
    mxd_lineedit addr;
    bool editing;  /* the address field has the keys */
} rcpt_state;

static void rcpt_done_cb(void *arg)
{
    mxd_ui *u = arg;
    u->rcpt_conv = NULL; /* the handle has freed itself */
    mxd_findings_free(&u->fs);
    memset(&u->fs, 0, sizeof u->fs);
    mxd_check_all(&u->res, &u->fs);
    ui_set_status(u, true, strdup(ui_t(u, T_RCPT_DONE)));
    u->dirty = true;
}

void ui_rcpt_cancel(mxd_ui *u)
{
    if (u->rcpt_conv) {
        mxd_delivery_conv_cancel(u->rcpt_conv);
        u->rcpt_conv = NULL;
    }
}

ui_res ui_rcpt_ask(mxd_ui *u)
{
    /* the check needs the finished diagnosis (the working MX) and the
     * delivery step's result to write into */
    if (!u->have_input || ui_running(u) || !u->res.delivery) {
        ui_set_status(u, false, strdup(ui_t(u, T_RCPT_WAIT)));
        return UI_REDRAW;
    }
    rcpt_state *st = calloc(1, sizeof *st);
    if (!st)
        return UI_NOP;
    mxd_le_init(&st->addr, MXD_ADDR_MAX - 1);
    char buf[MXD_ADDR_MAX];
    mxd_delivery_suggested_rcpt(u->res.domain_ascii, buf, sizeof buf);
    mxd_le_set(&st->addr, buf);
    ui_push(u, &ui_rcpt_ops, st);
    return UI_REDRAW;
}

static void rcpt_screen_done(mxd_ui *u, ui_screen *s)
{
    (void)u;
    rcpt_state *st = s->data;
    if (!st)
        return;
    mxd_le_free(&st->addr);
    free(st);
    s->data = NULL;
}

static void rcpt_draw(mxd_ui *u, ui_screen *s)
{
    rcpt_state *st = s->data;
    if (!st)
        return;
    int w = COLS - 4 < 76 ? COLS - 4 : 76;
    int iw = w - 4;
    ui_doc q = { 0 };
    doc_wrap(&q, 0, iw, ST_BOLD, ui_t(u, T_RCPT_QUESTION));
    int h = 6 + (int)q.n;
    if (h > LINES - 2)
        h = LINES - 2;
    int y = (LINES - h) / 2, x = (COLS - w) / 2;
    draw_box(u, y, x, h, w, ui_t(u, T_RCPT_TITLE), ST_HEAD);
    int cx = x + 2, cy = y + 1;
    draw_doc(u, &q, 0, cy, cx, h - 5, iw);
    int fy = cy + (int)q.n + 1;
    doc_free(&q);
    int ccol = draw_lineedit(u, fy, cx, iw, &st->addr, ST_FIELD, ST_FIELD);
    const char *keys = ui_t(u, st->editing ? T_RCPT_EDIT_KEYS : T_RCPT_KEYS);
    draw_text(u, y + h - 2, cx, keys, iw, ST_DIM);
    if (st->editing) {
        u->cur_y = fy;
        u->cur_x = cx + ccol;
    }
    u->footer = keys;
}

static ui_res ask(mxd_ui *u, rcpt_state *st)
{
    char *a = mxd_le_text(&st->addr);
    if (!a)
        return UI_NOP;
    ui_rcpt_cancel(u);
    mxd_delivery_result *d = u->res.delivery;
    mxd_conv_result_free(&d->rcpt);
    memset(&d->rcpt, 0, sizeof d->rcpt);
    /* NULL: nothing to talk to; d->rcpt is then complete (NOT_TRIED) and done
     * is not called, so the findings are checked here */
    u->rcpt_conv = mxd_delivery_rcpt_start(u->loop, &u->res, a, &d->rcpt, rcpt_done_cb, u);
    free(a);
    ui_pop(u);
    if (!u->rcpt_conv)
        rcpt_done_cb(u);
    return UI_REDRAW;
}

static ui_res rcpt_key(mxd_ui *u, ui_screen *s, bool is_key, wint_t ch)
{
    rcpt_state *st = s->data;
    if (!st) {
        ui_pop(u);
        return UI_REDRAW;
    }
    if (!st->editing) {
        if (is_key)
            return UI_NOP;
        switch (ch) {
        case 'y': case 'Y': return ask(u, st);
        case 'n': case 'N': case 27: case 'q': ui_pop(u); return UI_REDRAW;
        case 'e': case 'E': st->editing = true; mxd_le_do(&st->addr, MXD_LE_END); return UI_REDRAW;
        default: return UI_NOP;
        }
    }
    mxd_lineedit *le = &st->addr;
    if (is_key) {
        switch (ch) {
        case KEY_LEFT: mxd_le_do(le, MXD_LE_LEFT); break;
        case KEY_RIGHT: mxd_le_do(le, MXD_LE_RIGHT); break;
        case KEY_HOME: mxd_le_do(le, MXD_LE_HOME); break;
        case KEY_END: mxd_le_do(le, MXD_LE_END); break;
        case KEY_BACKSPACE: mxd_le_do(le, MXD_LE_BACKSPACE); break;
        case KEY_DC: mxd_le_do(le, MXD_LE_DELETE); break;
        case KEY_ENTER: st->editing = false; break;
        default: return UI_NOP;
        }
        return UI_REDRAW;
    }
    switch (ch) {
    case 27:
    case '\r':
    case '\n': st->editing = false; break; /* back to the question */
    case 127:
    case 8: mxd_le_do(le, MXD_LE_BACKSPACE); break;
    case 1: mxd_le_do(le, MXD_LE_HOME); break;
    case 5: mxd_le_do(le, MXD_LE_END); break;
    case 21: mxd_le_do(le, MXD_LE_KILL_LINE); break;
    case 11: mxd_le_do(le, MXD_LE_KILL_END); break;
    case 23: mxd_le_do(le, MXD_LE_KILL_WORD); break;
    default:
        if (ch >= 0x20)
            mxd_le_insert(le, (uint32_t)ch);
        break;
    }
    return UI_REDRAW;
}

const ui_screen_ops ui_rcpt_ops = { "rcpt", true, rcpt_draw, rcpt_key, rcpt_screen_done };
