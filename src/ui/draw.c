/* draw.c — putting docs, boxes and text on the curses screen.
 *
 * Every frame is drawn whole onto stdscr and ncurses sends only the cells that
 * changed, so a resize, a language switch or a spinner tick is the same code
 * path. Labels carry their word ("FAIL") as well as a colour, and without
 * colour (NO_COLOR, a monochrome terminal) they fall back to reverse and bold,
 * so the meaning never rests on colour alone.
 */
#include <stdlib.h>
#include <string.h>
#include <unistr.h>
#include <uniwidth.h>
#include <wchar.h>

#include <curses.h>

#include "uipriv.h"

static attr_t style_attr[ST_COUNT];

enum { P_GREEN = 1, P_YELLOW, P_RED, P_CYAN, P_MAGENTA, P_BAR, P_BADGE_PASS, P_BADGE_WARN,
       P_BADGE_FAIL, P_BADGE_INFO, P_BADGE_ERROR, P_BADGE_SKIP, P_TAB_CUR, P_FRAME };

void draw_init_styles(mxd_ui *u)
{
    const char *nc = getenv("NO_COLOR");
    u->color = has_colors() && !(nc && *nc);
    for (int i = 0; i < ST_COUNT; i++)
        style_attr[i] = A_NORMAL;
    style_attr[ST_DIM] = A_DIM;
    style_attr[ST_BOLD] = A_BOLD;
    style_attr[ST_HEAD] = A_BOLD;
    style_attr[ST_BAR] = A_REVERSE;
    style_attr[ST_BAR_DIM] = A_REVERSE;
    style_attr[ST_TAB] = A_NORMAL;
    style_attr[ST_TAB_CUR] = A_REVERSE | A_BOLD;
    style_attr[ST_SEL] = A_REVERSE;
    style_attr[ST_KEY] = A_BOLD;
    style_attr[ST_CMD] = A_BOLD;
    style_attr[ST_ERRTEXT] = A_BOLD;
    style_attr[ST_OKTEXT] = A_BOLD;
    style_attr[ST_FIELD] = A_UNDERLINE;
    style_attr[ST_PASS] = A_BOLD;
    style_attr[ST_INFO] = A_BOLD;
    style_attr[ST_SKIP] = A_DIM;
    style_attr[ST_WARN] = A_REVERSE;
    style_attr[ST_FAIL] = A_REVERSE | A_BOLD;
    style_attr[ST_ERROR] = A_REVERSE | A_BOLD;
    if (!u->color)
        return;
    start_color();
    use_default_colors();
    init_pair(P_GREEN, COLOR_GREEN, -1);
    init_pair(P_YELLOW, COLOR_YELLOW, -1);
    init_pair(P_RED, COLOR_RED, -1);
    init_pair(P_CYAN, COLOR_CYAN, -1);
    init_pair(P_MAGENTA, COLOR_MAGENTA, -1);
    init_pair(P_BAR, COLOR_WHITE, COLOR_BLUE);
    init_pair(P_BADGE_PASS, COLOR_BLACK, COLOR_GREEN);
    init_pair(P_BADGE_WARN, COLOR_BLACK, COLOR_YELLOW);
    init_pair(P_BADGE_FAIL, COLOR_WHITE, COLOR_RED);
    init_pair(P_BADGE_INFO, COLOR_BLACK, COLOR_CYAN);
    init_pair(P_BADGE_ERROR, COLOR_WHITE, COLOR_MAGENTA);
    init_pair(P_BADGE_SKIP, COLOR_BLACK, COLOR_WHITE);
    init_pair(P_TAB_CUR, COLOR_BLACK, COLOR_CYAN);
    init_pair(P_FRAME, COLOR_BLUE, -1);
    style_attr[ST_BAR] = COLOR_PAIR(P_BAR);
    style_attr[ST_BAR_DIM] = COLOR_PAIR(P_BAR);
    style_attr[ST_TAB_CUR] = COLOR_PAIR(P_TAB_CUR) | A_BOLD;
    style_attr[ST_CMD] = COLOR_PAIR(P_CYAN);
    style_attr[ST_ERRTEXT] = COLOR_PAIR(P_RED) | A_BOLD;
    style_attr[ST_OKTEXT] = COLOR_PAIR(P_GREEN) | A_BOLD;
    style_attr[ST_PASS] = COLOR_PAIR(P_BADGE_PASS) | A_BOLD;
    style_attr[ST_INFO] = COLOR_PAIR(P_BADGE_INFO);
    style_attr[ST_SKIP] = COLOR_PAIR(P_BADGE_SKIP);
    style_attr[ST_WARN] = COLOR_PAIR(P_BADGE_WARN) | A_BOLD;
    style_attr[ST_FAIL] = COLOR_PAIR(P_BADGE_FAIL) | A_BOLD;
    style_attr[ST_ERROR] = COLOR_PAIR(P_BADGE_ERROR) | A_BOLD;
    style_attr[ST_FRAME] = COLOR_PAIR(P_FRAME);
}

int draw_attr(const mxd_ui *u, ui_style st)
{
    (void)u;
    return (unsigned)st < ST_COUNT ? (int)style_attr[st] : (int)A_NORMAL;
}

int draw_text(const mxd_ui *u, int y, int x, const char *s, int maxw, ui_style st)
{
    if (!s || y < 0 || y >= LINES || x < 0 || x >= COLS)
        return 0;
    if (x + maxw > COLS)
        maxw = COLS - x;
    /* The bottom-right cell would scroll the screen on some terminals. */
    if (y == LINES - 1 && x + maxw >= COLS)
        maxw = COLS - x - 1;
    if (maxw <= 0)
        return 0;
    wchar_t buf[128];
    int n = 0, used = 0;
    size_t len = strlen(s);
    const uint8_t *p = (const uint8_t *)s;
    attrset((attr_t)draw_attr(u, st));
    move(y, x);
    for (size_t i = 0; i < len;) {
        ucs4_t c;
        int l = u8_mbtouc(&c, p + i, len - i);
        i += (size_t)(l > 0 ? l : 1);
        int w = uc_width(c, "UTF-8");
        /* Layout counted with libunistring; ncurses places with wcwidth. Where
         * the two disagree the layout would shift, so draw a '?' instead. */
        if (w < 0 || wcwidth((wchar_t)c) != w) {
            c = '?';
            w = 1;
        }
        if (used + w > maxw)
            break;
        buf[n++] = (wchar_t)c;
        used += w;
        if (n == (int)(sizeof buf / sizeof buf[0]) - 1) {
            addnwstr(buf, n);
            n = 0;
        }
    }
    if (n)
        addnwstr(buf, n);
    attrset(A_NORMAL);
    return used;
}

int draw_lineedit(const mxd_ui *u, int y, int x, int w, const mxd_lineedit *le, ui_style fill,
                  ui_style text)
{
    draw_fill(u, y, x, w, fill);
    size_t first;
    int ccol;
    mxd_le_view(le, w, &first, &ccol);
    mxd_lineedit view = *le; /* the visible part, as UTF-8 */
    view.buf = le->buf ? le->buf + first : NULL;
    view.len = le->len - first;
    char *t = mxd_le_text(&view);
    if (t)
        draw_text(u, y, x, t, w, text);
    free(t);
    return ccol;
}

void draw_fill(const mxd_ui *u, int y, int x, int n, ui_style st)
{
    if (y < 0 || y >= LINES)
        return;
    if (x + n > COLS)
        n = COLS - x;
    if (y == LINES - 1 && x + n >= COLS)
        n = COLS - x - 1;
    if (n <= 0)
        return;
    attrset((attr_t)draw_attr(u, st));
    mvhline(y, x, ' ', n);
    attrset(A_NORMAL);
}

static void draw_rule(const mxd_ui *u, int y, int x, const ui_span *s, int maxx)
{
    int cx = x + s->col;
    if (cx < 0 || cx >= maxx || y < 0 || y >= LINES)
        return;
    attrset((attr_t)draw_attr(u, (ui_style)s->style));
    switch (s->kind) {
    case SP_HLINE: {
        int n = s->width;
        if (cx + n > maxx)
            n = maxx - cx;
        mvhline(y, cx, ACS_HLINE, n);
        break;
    }
    case SP_VLINE: mvaddch(y, cx, ACS_VLINE); break;
    case SP_UL: mvaddch(y, cx, ACS_ULCORNER); break;
    case SP_UR: mvaddch(y, cx, ACS_URCORNER); break;
    case SP_LL: mvaddch(y, cx, ACS_LLCORNER); break;
    case SP_LR: mvaddch(y, cx, ACS_LRCORNER); break;
    default: break;
    }
    attrset(A_NORMAL);
}

int draw_doc(const mxd_ui *u, const ui_doc *d, int from, int y, int x, int rows, int width)
{
    int drawn = 0;
    int maxx = x + width;
    if (maxx > COLS)
        maxx = COLS;
    for (int r = 0; r < rows; r++) {
        size_t li = (size_t)(from + r);
        if (from + r < 0 || li >= d->n)
            break;
        const ui_line *l = &d->l[li];
        for (size_t j = 0; j < l->n; j++) {
            const ui_span *s = &l->v[j];
            if (s->kind == SP_TEXT) {
                int cx = x + s->col;
                if (cx < maxx)
                    draw_text(u, y + r, cx, s->text, maxx - cx, (ui_style)s->style);
            } else {
                draw_rule(u, y + r, x, s, maxx);
            }
        }
        drawn++;
    }
    return drawn;
}

void draw_box(const mxd_ui *u, int y, int x, int h, int w, const char *title, ui_style title_st)
{
    if (h < 2 || w < 4)
        return;
    for (int r = 0; r < h; r++)
        draw_fill(u, y + r, x, w, ST_NORMAL);
    attrset((attr_t)draw_attr(u, ST_FRAME));
    mvaddch(y, x, ACS_ULCORNER);
    mvhline(y, x + 1, ACS_HLINE, w - 2);
    mvaddch(y, x + w - 1, ACS_URCORNER);
    mvvline(y + 1, x, ACS_VLINE, h - 2);
    mvvline(y + 1, x + w - 1, ACS_VLINE, h - 2);
    mvaddch(y + h - 1, x, ACS_LLCORNER);
    mvhline(y + h - 1, x + 1, ACS_HLINE, w - 2);
    mvaddch(y + h - 1, x + w - 1, ACS_LRCORNER);
    attrset(A_NORMAL);
    if (title && *title) {
        draw_text(u, y, x + 2, " ", 1, title_st);
        int tw = draw_text(u, y, x + 3, title, w - 6, title_st);
        draw_text(u, y, x + 3 + tw, " ", 1, title_st);
    }
}

int ui_body_top(const mxd_ui *u)
{
    (void)u;
    return 2;
}

int ui_body_rows(const mxd_ui *u)
{
    (void)u;
    return LINES - 3;
}

void draw_scroll_box(mxd_ui *u, ui_screen *s, const char *title, const ui_doc *d, int y, int x,
                     int h, int w)
{
    draw_box(u, y, x, h, w, title, ST_HEAD);
    int rows = h - 2;
    int n = (int)d->n;
    s->page_rows = rows > 1 ? rows : 1;
    s->max_scroll = n > rows ? n - rows : 0;
    if (s->scroll > s->max_scroll)
        s->scroll = s->max_scroll;
    if (s->scroll < 0)
        s->scroll = 0;
    draw_doc(u, d, s->scroll, y + 1, x + 2, rows, w - 4);
    if (s->scroll < s->max_scroll) {
        const char *more = ui_t(u, T_MORE_BELOW);
        int mw = mxd_text_width(more, strlen(more));
        draw_text(u, y + h - 1, x + w - 2 - mw - 1, more, mw, ST_DIM);
    }
}

ui_res ui_scroll_key(ui_screen *s, bool is_key, wint_t ch)
{
    int old = s->scroll;
    int page = s->page_rows > 2 ? s->page_rows - 1 : 1;
    if (is_key) {
        switch (ch) {
        case KEY_UP: s->scroll--; break;
        case KEY_DOWN: s->scroll++; break;
        case KEY_PPAGE: s->scroll -= page; break;
        case KEY_NPAGE: s->scroll += page; break;
        case KEY_HOME: s->scroll = 0; break;
        case KEY_END: s->scroll = s->page_rows > 0 ? s->max_scroll : 1 << 20; break;
        default: return UI_UNHANDLED;
        }
    } else {
        switch (ch) {
        case 'k': s->scroll--; break;
        case 'j': s->scroll++; break;
        case ' ': s->scroll += page; break;
        case 'b': s->scroll -= page; break;
        default: return UI_UNHANDLED;
        }
    }
    /* Before the screen's first draw its length is unknown (keys that arrive
     * together with the one that opened it): the draw clamps instead. */
    if (s->page_rows > 0 && s->scroll > s->max_scroll)
        s->scroll = s->max_scroll;
    if (s->scroll < 0)
        s->scroll = 0;
    return s->scroll != old ? UI_REDRAW : UI_NOP;
}
