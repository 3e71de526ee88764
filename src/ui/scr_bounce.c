/* scr_bounce.c — "I have a bounce message": a paste box, then what each status means.
 *
 * One page with two views. The box takes every printable key as text (a
 * bounce is full of letters the wizard would otherwise read as commands), so
 * the box is left with Esc, decoded with Ctrl-D or F5, and the language and
 * help are on F2 and F1, as in the domain field. The decoded view is an
 * ordinary scrolling page: each status is a panel in the words of the help
 * catalog (bounce.*), with the codes, the server's own words and the wizard
 * step that checks the cause; its number key starts a diagnosis of the domain
 * it names.
 *
 * The text and the decode live in mxd_ui, not in the screen, so switching the
 * language, resizing, opening help or going back and forth keeps them. The
 * decoder (mxd_bounce_parse) hands back sanitised strings; they are sanitised
 * again here before display, as everything remote is.
 */
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "mxd/commands.h"
#include "mxd/input.h"
#include "mxd/sanitize.h"
#include "mxd/steps.h"
#include "mxd/strbuf.h"
#include "uipriv.h"

/* ---- the decoded view, as a doc ---- */

/* The domain a status's check should run on (the recipient's, or the sender's
 * for sender-side causes), when the text names it; false for causes no DNS or
 * server check can find ("none"). */
static bool status_target(const mxd_bounce *b, const mxd_bounce_status *s, mxd_input *in)
{
    if (!s->step || strcmp(s->step, "none") == 0)
        return false;
    const char *addr = s->about_sender ? b->sender : s->recipient;
    return addr && mxd_input_normalize(addr, in) == MXD_IN_OK && in->kind == MXD_KIND_EMAIL;
}

/* The step's name: the wizard's own step title when there is one, else the
 * decoder's description of the check ("explain.step.<id>"). Caller frees. */
static char *step_title(const mxd_ui *u, const char *step)
{
    char key[80];
    snprintf(key, sizeof key, "step.%s", step);
    const mxd_catalog *c = ui_cat(u);
    if (c && mxd_catalog_get(c, key, "title"))
        return ui_cat_fmt(u, key, "title", NULL, 0);
    snprintf(key, sizeof key, "explain.step.%s", step);
    return ui_cat_fmt(u, key, "text", NULL, 0);
}

static char *again(const char *s)
{
    return mxd_sanitize_str(s ? s : "");
}

/* "550 5.1.1  (bounce.5.1.1, Postfix)" and the note when no code was given. */
static char *code_line(const mxd_ui *u, const mxd_bounce_status *s, const char *mta)
{
    mxd_sb sb = MXD_SB_INIT;
    if (s->code > 0)
        mxd_sb_printf(&sb, "%d", s->code);
    if (s->enhanced[0])
        mxd_sb_printf(&sb, "%s%s", sb.len ? " " : "", s->enhanced);
    if (sb.len == 0)
        mxd_sb_puts(&sb, "-");
    mxd_sb_printf(&sb, "  (%s, %s)", s->id ? s->id : "?", mta);
    if (s->inferred) {
        char *n = ui_cat_fmt(u, "explain.inferred", "text", NULL, 0);
        mxd_sb_printf(&sb, " %s", n ? n : "");
        free(n);
    }
    char *raw = mxd_sb_take(&sb);
    char *clean = again(raw);
    free(raw);
    return clean;
}

static void status_panel(const mxd_ui *u, const mxd_bounce *b, size_t i, int width, ui_doc *d)
{
    const mxd_bounce_status *s = &b->v[i];
    const mxd_catalog *cat = ui_cat(u);
    mxd_param ps[MXD_BOUNCE_NPARAMS];
    char pbuf[32];
    mxd_bounce_params(s, cat, ps, pbuf, sizeof pbuf);
    const char *id = s->id ? s->id : "bounce.5";
    char *title = ui_cat_fmt(u, id, "title", ps, MXD_BOUNCE_NPARAMS);
    char *what = ui_cat_fmt(u, id, "what", ps, MXD_BOUNCE_NPARAMS);
    char *why = ui_cat_fmt(u, id, "why", ps, MXD_BOUNCE_NPARAMS);
    char *next = ui_cat_fmt(u, id, "next", ps, MXD_BOUNCE_NPARAMS);
    char *rcpt = s->recipient ? again(s->recipient) : NULL;
    char *server = s->server_text ? again(s->server_text)
                                  : ui_cat_fmt(u, "explain.no_text", "text", NULL, 0);
    char *codes = code_line(u, s, ps[4].value);
    char *step = step_title(u, s->step ? s->step : "none");
    mxd_severity sev = mxd_bounce_severity(s);
    const char *label = ui_sev_label(u, sev);

    int bw = width - 4;
    ui_doc body = { 0 };
    /* as with findings: a title too long for the border goes inside, wrapped */
    int room = width - 3 - mxd_text_width(label, strlen(label)) - 2 - 2;
    bool title_inside = title && mxd_text_width(title, strlen(title)) > room;
    if (title_inside)
        doc_wrap(&body, 0, bw, ST_BOLD, title);
    doc_wrap_lead(&body, 0, bw, ui_t(u, T_WHAT), ST_BOLD, what ? what : "", ST_NORMAL);
    doc_wrap_lead(&body, 0, bw, ui_t(u, T_WHY), ST_BOLD, why ? why : "", ST_NORMAL);
    doc_wrap_lead(&body, 0, bw, ui_t(u, T_NEXT), ST_BOLD, next ? next : "", ST_NORMAL);
    doc_line(&body);
    doc_wrap_lead(&body, 0, bw, ui_t(u, T_BOUNCE_RECIPIENT), ST_BOLD, rcpt ? rcpt : "-", ST_NORMAL);
    doc_wrap_lead(&body, 0, bw, ui_t(u, T_BOUNCE_CODE), ST_BOLD, codes ? codes : "", ST_NORMAL);
    doc_wrap_lead(&body, 0, bw, ui_t(u, T_BOUNCE_SERVER), ST_BOLD, server ? server : "", ST_CMD);
    doc_wrap_lead(&body, 0, bw, ui_t(u, T_BOUNCE_STEP), ST_BOLD, step ? step : "", ST_NORMAL);

    mxd_input in;
    if (i < 9 && status_target(b, s, &in)) {
        char key[4] = { (char)('1' + i), 0 };
        char *j = ui_tf(u, s->about_sender ? T_BOUNCE_JUMP_SENDER : T_BOUNCE_JUMP, "key", key,
                        "domain", in.unicode, UI_END);
        doc_wrap(&body, 0, bw, ST_KEY, j ? j : "");
        free(j);
    }
    char *cmd = mxd_bounce_command(b, s, cat);
    if (cmd) {
        char *c = again(cmd);
        doc_wrap(&body, 0, bw, ST_DIM, ui_t(u, T_BOUNCE_RUN));
        doc_wrap_hang(&body, 2, bw - 2, 2, NULL, ST_NORMAL, c ? c : "", ST_CMD);
        free(c);
        free(cmd);
    }
    doc_panel(d, 0, width, label, ui_sev_style(sev), title_inside ? NULL : title, ST_BOLD, &body);
    doc_free(&body);
    free(title);
    free(what);
    free(why);
    free(next);
    free(rcpt);
    free(server);
    free(codes);
    free(step);
}

void build_bounce_doc(const mxd_ui *u, int width, ui_doc *d)
{
    const mxd_bounce *b = &u->bounce;
    doc_wrap(d, 0, width, ST_HEAD, ui_t(u, T_BOUNCE_TITLE));
    char num[24];
    snprintf(num, sizeof num, "%zu", b->n);
    char *found = ui_tf(u, T_BOUNCE_FOUND, "n", num, UI_END);
    doc_wrap(d, 0, width, ST_DIM, found ? found : "");
    free(found);
    if (u->paste.full) {
        snprintf(num, sizeof num, "%u", UI_PASTE_MAX / 1024u);
        char *m = ui_tf(u, T_PASTE_FULL, "max", num, UI_END);
        doc_wrap(d, 0, width, ST_ERRTEXT, m ? m : "");
        free(m);
    }
    if (b->truncated || b->capped) {
        char *m = ui_cat_fmt(u, b->truncated ? "explain.truncated" : "explain.capped", "text",
                             NULL, 0);
        doc_wrap(d, 0, width, ST_ERRTEXT, m ? m : "");
        free(m);
    }
    doc_line(d);
    if (b->n == 0) {
        char *m = ui_cat_fmt(u, "explain.none_found", "text", NULL, 0);
        doc_wrap(d, 0, width, ST_BOLD, m ? m : "");
        free(m);
        return;
    }
    for (size_t i = 0; i < b->n; i++)
        status_panel(u, b, i, width, d);
}

ui_res ui_bounce_jump(mxd_ui *u, size_t i)
{
    if (i >= u->bounce.n || i >= 9)
        return UI_UNHANDLED;
    const mxd_bounce_status *s = &u->bounce.v[i];
    mxd_input in;
    if (!status_target(&u->bounce, s, &in))
        return UI_NOP;
    /* the first page's field shows the domain, as if it had been typed */
    mxd_le_set(&u->field, in.unicode);
    mxd_le_history_add(&u->field, in.unicode);
    ui_field_error(u, MXD_IN_OK, NULL, NULL);
    bool same = u->have_input && u->eng && !u->scn && strcmp(in.ascii, u->in.ascii) == 0;
    if (!same) {
        if (u->lab)
            ui_lab_end(u);
        u->in = in;
        if (ui_start_diagnosis(u) != 0) {
            u->focus_field = 1; /* the reason shows under the field */
            ui_set_page(u, &ui_input_ops);
            return UI_REDRAW;
        }
    }
    u->step = 0;
    for (size_t k = 0; k < mxd_nsteps; k++)
        if (s->step && strcmp(mxd_steps[k].id, s->step) == 0)
            u->step = k;
    ui_set_page(u, &ui_step_ops);
    return UI_REDRAW;
}

/* ---- the box ---- */

static void draw_box_text(mxd_ui *u, int y, int x, int h, int w)
{
    ui_prow *rows = NULL;
    size_t cr = 0;
    int cc = 0;
    size_t n = paste_layout(&u->paste, w - 1, &rows, &cr, &cc); /* a column for the cursor */
    if (!rows || n == 0) {
        free(rows);
        return;
    }
    /* keep the cursor's row in view, and the box full when it can be */
    if ((long)cr < (long)u->paste_top)
        u->paste_top = (int)cr;
    if ((long)cr >= (long)u->paste_top + h)
        u->paste_top = (int)cr - h + 1;
    if (u->paste_top > (int)n - h)
        u->paste_top = (int)n - h;
    if (u->paste_top < 0)
        u->paste_top = 0;
    char *line = malloc((size_t)w * 4 + 8);
    for (int r = 0; line && r < h && (size_t)(u->paste_top + r) < n; r++) {
        const ui_prow *row = &rows[u->paste_top + r];
        if (row->len)
            memcpy(line, u->paste.buf + row->off, row->len);
        line[row->len] = '\0';
        draw_text(u, y + r, x, line, w, ST_NORMAL);
    }
    free(line);
    u->cur_y = y + (int)cr - u->paste_top;
    u->cur_x = x + cc;
    free(rows);
}

static void draw_edit(mxd_ui *u)
{
    int width = COLS - 2;
    draw_text(u, 1, 1, ui_t(u, T_PASTE_TITLE), width, ST_HEAD);
    ui_doc intro = { 0 };
    doc_wrap(&intro, 0, width, ST_DIM, ui_t(u, T_PASTE_INTRO));
    int ni = (int)intro.n < 4 ? (int)intro.n : 4; /* Japanese needs four at 80 columns */
    draw_doc(u, &intro, 0, 2, 1, ni, width);
    doc_free(&intro);

    /* a message (the box is full, or empty on decode) gets a line of its own
     * above the size line, taken from the box */
    char *msg = NULL;
    char a[24], b[24];
    if (u->paste.full) {
        snprintf(a, sizeof a, "%u", UI_PASTE_MAX / 1024u);
        msg = ui_tf(u, T_PASTE_FULL, "max", a, UI_END);
    } else if (u->paste_empty_msg && u->paste.len == 0) {
        msg = strdup(ui_t(u, T_PASTE_EMPTY));
    }
    int by = 2 + ni, bh = LINES - 2 - by - (msg ? 1 : 0);
    draw_box(u, by, 0, bh, COLS, NULL, ST_NORMAL);
    draw_box_text(u, by + 1, 2, bh - 2, COLS - 4);
    if (msg)
        draw_text(u, LINES - 3, 1, msg, COLS - 2, ST_ERRTEXT);
    free(msg);

    /* under the box: how much is in it, and the key to decode */
    const char *btn = ui_t(u, T_PASTE_DECODE);
    int bw = mxd_text_width(btn, strlen(btn));
    snprintf(a, sizeof a, "%zu", u->paste.len);
    snprintf(b, sizeof b, "%zu", paste_nlines(&u->paste));
    char *m = ui_tf(u, T_PASTE_SIZE, "bytes", a, "lines", b, UI_END);
    draw_text(u, LINES - 2, 1, m ? m : "", COLS - bw - 4, ST_DIM);
    free(m);
    draw_text(u, LINES - 2, COLS - 1 - bw, btn, bw, ST_SEL);
    u->footer = ui_t(u, T_FOOT_PASTE);
}

static ui_res decode(mxd_ui *u, ui_screen *s)
{
    if (u->paste.len == 0) {
        u->paste_empty_msg = true;
        return UI_REDRAW;
    }
    mxd_bounce_free(&u->bounce);
    memset(&u->bounce, 0, sizeof u->bounce);
    /* out of memory leaves what was decoded so far: shown as it is */
    mxd_bounce_parse(u->paste.buf, u->paste.len, &u->bounce);
    u->bounce_view = true;
    s->scroll = 0;
    return UI_REDRAW;
}

static ui_res back_to_choices(mxd_ui *u)
{
    u->focus_field = 0;
    u->goal = GOAL_BOUNCE;
    ui_set_page(u, &ui_input_ops);
    return UI_REDRAW;
}

static ui_res edit_key(mxd_ui *u, ui_screen *s, bool is_key, wint_t ch)
{
    ui_paste *p = &u->paste;
    int w = COLS - 5; /* the box's text width, as drawn */
    int page = LINES - 10 > 1 ? LINES - 10 : 1;
    u->paste_empty_msg = false;
    if (is_key) {
        switch (ch) {
        case KEY_F(5): return decode(u, s);
        case KEY_LEFT: paste_do(p, PASTE_LEFT); return UI_REDRAW;
        case KEY_RIGHT: paste_do(p, PASTE_RIGHT); return UI_REDRAW;
        case KEY_HOME: paste_do(p, PASTE_HOME); return UI_REDRAW;
        case KEY_END: paste_do(p, PASTE_END); return UI_REDRAW;
        case KEY_UP: paste_move_rows(p, w, -1); return UI_REDRAW;
        case KEY_DOWN: paste_move_rows(p, w, 1); return UI_REDRAW;
        case KEY_PPAGE: paste_move_rows(p, w, -page); return UI_REDRAW;
        case KEY_NPAGE: paste_move_rows(p, w, page); return UI_REDRAW;
        case KEY_BACKSPACE: paste_do(p, PASTE_BACKSPACE); return UI_REDRAW;
        case KEY_DC: paste_do(p, PASTE_DELETE); return UI_REDRAW;
        case KEY_ENTER: paste_insert(p, '\r'); return UI_REDRAW;
        default: return UI_UNHANDLED; /* F1, F2, F10 */
        }
    }
    switch (ch) {
    case 4: return decode(u, s);            /* Ctrl-D */
    case 27: return back_to_choices(u);     /* Esc */
    case 21: paste_do(p, PASTE_CLEAR); u->paste_top = 0; return UI_REDRAW; /* Ctrl-U */
    case 1: paste_do(p, PASTE_HOME); return UI_REDRAW;      /* Ctrl-A */
    case 5: paste_do(p, PASTE_END); return UI_REDRAW;       /* Ctrl-E */
    case 127:
    case 8: paste_do(p, PASTE_BACKSPACE); return UI_REDRAW;
    case 12: return UI_UNHANDLED;                           /* Ctrl-L: repaint */
    default:
        /* a full box still redraws: the note that says so must appear */
        return paste_insert(p, (uint32_t)ch) || p->full ? UI_REDRAW : UI_NOP;
    }
}

/* ---- the decoded view ---- */

static void draw_result(mxd_ui *u, ui_screen *s)
{
    ui_doc d = { 0 };
    build_bounce_doc(u, COLS - 2, &d);
    int top = 1, rows = LINES - 2;
    int n = (int)d.n;
    s->page_rows = rows;
    s->max_scroll = n > rows ? n - rows + 1 : 0; /* +1: the "more" line */
    if (s->scroll > s->max_scroll)
        s->scroll = s->max_scroll;
    if (s->scroll < 0)
        s->scroll = 0;
    bool more = s->scroll < s->max_scroll;
    draw_doc(u, &d, s->scroll, top, 1, more ? rows - 1 : rows, COLS - 2);
    if (more) {
        const char *m = ui_t(u, T_MORE_BELOW);
        int mw = mxd_text_width(m, strlen(m));
        draw_text(u, top + rows - 1, COLS - 2 - mw, m, mw, ST_DIM);
    }
    doc_free(&d);
    u->footer = ui_t(u, T_FOOT_BOUNCE);
}

static ui_res result_key(mxd_ui *u, ui_screen *s, bool is_key, wint_t ch)
{
    if (!is_key) {
        if (ch >= '1' && ch <= '9')
            return ui_bounce_jump(u, (size_t)(ch - '1'));
        if (ch == 'e' || ch == 27) {
            u->bounce_view = false;
            return UI_REDRAW;
        }
    }
    return ui_scroll_key(s, is_key, ch);
}

static void bounce_draw(mxd_ui *u, ui_screen *s)
{
    if (u->bounce_view)
        draw_result(u, s);
    else
        draw_edit(u);
}

static ui_res bounce_key(mxd_ui *u, ui_screen *s, bool is_key, wint_t ch)
{
    return u->bounce_view ? result_key(u, s, is_key, ch) : edit_key(u, s, is_key, ch);
}

const ui_screen_ops ui_bounce_ops = { "bounce", false, bounce_draw, bounce_key, NULL };
