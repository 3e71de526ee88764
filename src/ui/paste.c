/* paste.c — the multi-line text box of the bounce screen, without curses.
 *
 * A paste reaches a terminal program as keystrokes: every character of a
 * 20 KB bounce arrives through get_wch(), line ends as CR (the Enter key, and
 * what tmux or a terminal sends for LF when pasting) or LF. So the box is an
 * editor fed one character at a time that must stay linear: inserting at the
 * end is amortised O(1), and the layout (wrapped rows) is computed only when
 * drawing. The text is kept as UTF-8 because that is what the decoder reads.
 *
 * Rows are cut by display width, never inside a character, without looking
 * for word breaks: a bounce is mostly long host names, codes and addresses,
 * and a row that ends exactly where the text does keeps the cursor's place.
 */
#include <stdlib.h>
#include <string.h>

#include "uipriv.h"

void paste_free(ui_paste *p)
{
    free(p->buf);
    memset(p, 0, sizeof *p);
}

static size_t utf8_encode(uint32_t c, char out[4])
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xC0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xE0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (c >> 18));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

static bool insert_bytes(ui_paste *p, const char *b, size_t n)
{
    if (p->len + n > UI_PASTE_MAX) {
        p->full = true;
        return false;
    }
    if (p->len + n + 1 > p->cap) {
        size_t nc = p->cap ? p->cap : 1024;
        while (nc < p->len + n + 1)
            nc *= 2;
        if (nc > UI_PASTE_MAX + 1)
            nc = UI_PASTE_MAX + 1;
        char *nb = realloc(p->buf, nc);
        if (!nb)
            return false;
        p->buf = nb;
        p->cap = nc;
    }
    memmove(p->buf + p->cur + n, p->buf + p->cur, p->len - p->cur);
    memcpy(p->buf + p->cur, b, n);
    p->len += n;
    p->cur += n;
    p->buf[p->len] = '\0';
    return true;
}

bool paste_insert(ui_paste *p, uint32_t c)
{
    bool after_cr = p->after_cr;
    p->after_cr = false;
    if (c == '\r') {
        p->after_cr = true;
        return insert_bytes(p, "\n", 1);
    }
    if (c == '\n')
        return after_cr ? false : insert_bytes(p, "\n", 1); /* CR LF is one line end */
    if (c == '\t')
        c = ' '; /* folded header lines start with one; the decoder reads any blank */
    /* other C0 and C1 controls, DEL, surrogates and non-characters past Unicode
     * are not text: an escape sequence pasted from a log must not get in. */
    if (c < 0x20 || (c >= 0x7F && c < 0xA0) || (c >= 0xD800 && c < 0xE000) || c > 0x10FFFF)
        return false;
    char b[4];
    return insert_bytes(p, b, utf8_encode(c, b));
}

bool paste_insert_str(ui_paste *p, const char *utf8)
{
    bool changed = false;
    const unsigned char *s = (const unsigned char *)utf8;
    while (*s) {
        uint32_t c;
        int n;
        if (*s < 0x80) {
            c = *s;
            n = 1;
        } else if ((*s & 0xE0) == 0xC0 && (s[1] & 0xC0) == 0x80) {
            c = ((uint32_t)(*s & 0x1F) << 6) | (s[1] & 0x3F);
            n = 2;
        } else if ((*s & 0xF0) == 0xE0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
            c = ((uint32_t)(*s & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
            n = 3;
        } else if ((*s & 0xF8) == 0xF0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 &&
                   (s[3] & 0xC0) == 0x80) {
            c = ((uint32_t)(*s & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
                ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
            n = 4;
        } else {
            c = 0xFFFD;
            n = 1;
        }
        changed |= paste_insert(p, c);
        s += n;
    }
    return changed;
}

static size_t prev_char(const ui_paste *p, size_t i)
{
    if (i == 0)
        return 0;
    i--;
    while (i > 0 && ((unsigned char)p->buf[i] & 0xC0) == 0x80)
        i--;
    return i;
}

static size_t next_char(const ui_paste *p, size_t i)
{
    if (i >= p->len)
        return p->len;
    i++;
    while (i < p->len && ((unsigned char)p->buf[i] & 0xC0) == 0x80)
        i++;
    return i;
}

bool paste_do(ui_paste *p, ui_paste_action a)
{
    size_t old = p->cur, oldlen = p->len;
    p->after_cr = false;
    switch (a) {
    case PASTE_LEFT: p->cur = prev_char(p, p->cur); break;
    case PASTE_RIGHT: p->cur = next_char(p, p->cur); break;
    case PASTE_HOME:
        while (p->cur > 0 && p->buf[p->cur - 1] != '\n')
            p->cur--;
        break;
    case PASTE_END:
        while (p->cur < p->len && p->buf[p->cur] != '\n')
            p->cur++;
        break;
    case PASTE_BACKSPACE:
    case PASTE_DELETE: {
        size_t from = a == PASTE_BACKSPACE ? prev_char(p, p->cur) : p->cur;
        size_t to = a == PASTE_BACKSPACE ? p->cur : next_char(p, p->cur);
        if (from == to)
            return false;
        memmove(p->buf + from, p->buf + to, p->len - to);
        p->len -= to - from;
        p->buf[p->len] = '\0';
        p->cur = from;
        break;
    }
    case PASTE_CLEAR:
        p->len = p->cur = 0;
        if (p->buf)
            p->buf[0] = '\0';
        p->full = false;
        return oldlen > 0 || old > 0;
    }
    return p->cur != old || p->len != oldlen;
}

size_t paste_nlines(const ui_paste *p)
{
    if (p->len == 0)
        return 0;
    size_t n = 1;
    for (size_t i = 0; i < p->len; i++)
        n += p->buf[i] == '\n' && i + 1 < p->len;
    return n;
}

size_t paste_layout(const ui_paste *p, int cols, ui_prow **out, size_t *cur_row, int *cur_col)
{
    if (cols < 2)
        cols = 2;
    size_t n = 0, cap = 64;
    ui_prow *v = malloc(cap * sizeof *v);
    *out = NULL;
    if (cur_row)
        *cur_row = 0;
    if (cur_col)
        *cur_col = 0;
    if (!v)
        return 0;
    const char *s = p->buf ? p->buf : "";
    size_t i = 0;
    for (;;) {
        size_t e = i;
        while (e < p->len && s[e] != '\n')
            e++;
        size_t at = i;
        do {
            int w = 0;
            size_t take = mxd_text_fit(s + at, e - at, cols, &w);
            if (take == 0 && at < e) { /* one character wider than the row */
                take = next_char(p, at) - at;
                w = mxd_text_width(s + at, take);
            }
            if (n == cap) {
                ui_prow *nv = realloc(v, 2 * cap * sizeof *v);
                if (!nv) {
                    *out = v;
                    return n;
                }
                v = nv;
                cap *= 2;
            }
            v[n] = (ui_prow){ at, take, w, at + take == e };
            /* the cursor belongs to this row, or to the start of the next one
             * when it sits where a cut (not a line end) is */
            if (p->cur >= at && (p->cur < at + take || (p->cur == at + take && at + take == e))) {
                if (cur_row)
                    *cur_row = n;
                if (cur_col)
                    *cur_col = mxd_text_width(s + at, p->cur - at);
            }
            n++;
            at += take;
        } while (at < e);
        if (e >= p->len)
            break;
        i = e + 1;
    }
    *out = v;
    return n;
}

bool paste_move_rows(ui_paste *p, int cols, int delta)
{
    ui_prow *rows;
    size_t r;
    int col;
    size_t n = paste_layout(p, cols, &rows, &r, &col);
    if (!rows || n == 0 || !p->buf) {
        free(rows);
        return false;
    }
    long t = (long)r + delta;
    if (t < 0)
        t = 0;
    if (t >= (long)n)
        t = (long)n - 1;
    const ui_prow *row = &rows[t];
    size_t old = p->cur;
    p->cur = row->off + mxd_text_fit(p->buf + row->off, row->len, col, NULL);
    /* on a row that is cut (not a line end), its last position is the next
     * row's first: stay on this one */
    if (p->cur == row->off + row->len && !row->eol && p->cur > row->off)
        p->cur = prev_char(p, p->cur);
    p->after_cr = false;
    free(rows);
    return p->cur != old;
}
