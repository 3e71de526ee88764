/* lineedit.c — a one-line editor over code points (see ui.h).
 *
 * The text is kept as UTF-32 so that every edit moves by whole characters: an
 * IME delivers 例 as three bytes, and a byte-wise Backspace would leave two
 * bytes of garbage behind. Display columns are computed only when drawing.
 */
#include <stdlib.h>
#include <string.h>
#include <unistr.h>
#include <uniwidth.h>

#include "mxd/ui.h"

static int cp_width(uint32_t c)
{
    int w = uc_width(c, "UTF-8");
    return w < 0 ? 1 : w;
}

void mxd_le_init(mxd_lineedit *le, size_t max)
{
    memset(le, 0, sizeof *le);
    le->max = max ? max : 1024;
}

void mxd_le_free(mxd_lineedit *le)
{
    free(le->buf);
    for (size_t i = 0; i < le->nhist; i++)
        free(le->hist[i]);
    free(le->hist);
    free(le->draft);
    memset(le, 0, sizeof *le);
}

static bool reserve(mxd_lineedit *le, size_t need)
{
    if (need <= le->cap)
        return true;
    size_t nc = le->cap ? le->cap : 32;
    while (nc < need)
        nc *= 2;
    uint32_t *nb = realloc(le->buf, nc * sizeof *nb);
    if (!nb)
        return false;
    le->buf = nb;
    le->cap = nc;
    return true;
}

static bool is_control(uint32_t c)
{
    return c < 0x20 || (c >= 0x7F && c < 0xA0) || c == 0x2028 || c == 0x2029 ||
           (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) ||
           (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF;
}

bool mxd_le_insert(mxd_lineedit *le, uint32_t c)
{
    if (is_control(c) || le->len >= le->max || !reserve(le, le->len + 1))
        return false;
    memmove(le->buf + le->cur + 1, le->buf + le->cur, (le->len - le->cur) * sizeof *le->buf);
    le->buf[le->cur++] = c;
    le->len++;
    return true;
}

bool mxd_le_insert_str(mxd_lineedit *le, const char *utf8)
{
    const uint8_t *s = (const uint8_t *)utf8;
    size_t n = strlen(utf8);
    bool changed = false;
    for (size_t i = 0; i < n;) {
        ucs4_t c;
        int l = u8_mbtouc(&c, s + i, n - i);
        if (mxd_le_insert(le, c))
            changed = true;
        i += (size_t)(l > 0 ? l : 1);
    }
    return changed;
}

int mxd_le_set(mxd_lineedit *le, const char *utf8)
{
    le->len = le->cur = 0;
    mxd_le_insert_str(le, utf8 ? utf8 : "");
    return 0;
}

char *mxd_le_text(const mxd_lineedit *le)
{
    char *out = malloc(le->len * 4 + 1), *p = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < le->len; i++) {
        int l = u8_uctomb((uint8_t *)p, le->buf[i], 4);
        if (l > 0)
            p += l;
    }
    *p = '\0';
    return out;
}

/* Ctrl-W stops at the characters that separate parts of what people paste:
 * "user@例え.jp" loses "jp", then ".", then "例え" … one word at a time. */
static bool word_sep(uint32_t c)
{
    return c == ' ' || c == '.' || c == '@' || c == '/' || c == ':' || c == 0x3000 ||
           c == 0xFF0E || c == 0x3002 || c == 0xFF20;
}

/* Leaves history browsing: whatever is in the field now is the draft. */
static void stop_browsing(mxd_lineedit *le)
{
    le->hpos = le->nhist;
    free(le->draft);
    le->draft = NULL;
}

static bool history_move(mxd_lineedit *le, int dir)
{
    if (le->nhist == 0)
        return false;
    if (dir < 0) {
        if (le->hpos == 0)
            return false;
        if (le->hpos == le->nhist) {
            free(le->draft);
            le->draft = mxd_le_text(le);
            if (!le->draft)
                return false;
        }
        le->hpos--;
        mxd_le_set(le, le->hist[le->hpos]);
        return true;
    }
    if (le->hpos >= le->nhist)
        return false;
    le->hpos++;
    if (le->hpos == le->nhist) {
        mxd_le_set(le, le->draft ? le->draft : "");
        free(le->draft);
        le->draft = NULL;
    } else {
        mxd_le_set(le, le->hist[le->hpos]);
    }
    return true;
}

bool mxd_le_do(mxd_lineedit *le, mxd_le_action a)
{
    switch (a) {
    case MXD_LE_LEFT:
        if (le->cur == 0)
            return false;
        le->cur--;
        return true;
    case MXD_LE_RIGHT:
        if (le->cur >= le->len)
            return false;
        le->cur++;
        return true;
    case MXD_LE_HOME:
        if (le->cur == 0)
            return false;
        le->cur = 0;
        return true;
    case MXD_LE_END:
        if (le->cur == le->len)
            return false;
        le->cur = le->len;
        return true;
    case MXD_LE_BACKSPACE:
        if (le->cur == 0)
            return false;
        memmove(le->buf + le->cur - 1, le->buf + le->cur, (le->len - le->cur) * sizeof *le->buf);
        le->cur--;
        le->len--;
        return true;
    case MXD_LE_DELETE:
        if (le->cur >= le->len)
            return false;
        memmove(le->buf + le->cur, le->buf + le->cur + 1,
                (le->len - le->cur - 1) * sizeof *le->buf);
        le->len--;
        return true;
    case MXD_LE_KILL_LINE:
        if (le->len == 0)
            return false;
        le->len = le->cur = 0;
        return true;
    case MXD_LE_KILL_END:
        if (le->cur == le->len)
            return false;
        le->len = le->cur;
        return true;
    case MXD_LE_KILL_WORD: {
        if (le->cur == 0)
            return false;
        size_t k = le->cur;
        while (k > 0 && le->buf[k - 1] == ' ')
            k--;
        if (k > 0 && word_sep(le->buf[k - 1]))
            k--;                       /* a lone separator goes by itself */
        else
            while (k > 0 && !word_sep(le->buf[k - 1]))
                k--;
        memmove(le->buf + k, le->buf + le->cur, (le->len - le->cur) * sizeof *le->buf);
        le->len -= le->cur - k;
        le->cur = k;
        return true;
    }
    case MXD_LE_HIST_PREV:
        return history_move(le, -1);
    case MXD_LE_HIST_NEXT:
        return history_move(le, +1);
    }
    return false;
}

int mxd_le_cursor_col(const mxd_lineedit *le)
{
    int w = 0;
    for (size_t i = 0; i < le->cur; i++)
        w += cp_width(le->buf[i]);
    return w;
}

int mxd_le_width(const mxd_lineedit *le)
{
    int w = 0;
    for (size_t i = 0; i < le->len; i++)
        w += cp_width(le->buf[i]);
    return w;
}

void mxd_le_view(const mxd_lineedit *le, int cols, size_t *first, int *cursor_col)
{
    if (cols < 2)
        cols = 2;
    /* The cursor needs one cell of its own at the end of the text. */
    int before = mxd_le_cursor_col(le);
    size_t f = 0;
    int skipped = 0;
    while (before - skipped > cols - 1 && f < le->cur) {
        skipped += cp_width(le->buf[f]);
        f++;
    }
    *first = f;
    *cursor_col = before - skipped;
}

int mxd_le_history_add(mxd_lineedit *le, const char *utf8)
{
    if (!utf8 || !*utf8)
        return 0;
    if (le->nhist > 0 && strcmp(le->hist[le->nhist - 1], utf8) == 0) {
        stop_browsing(le);
        return 0;
    }
    char **nh = realloc(le->hist, (le->nhist + 1) * sizeof *nh);
    if (!nh)
        return -1;
    le->hist = nh;
    if (!(nh[le->nhist] = strdup(utf8)))
        return -1;
    le->nhist++;
    stop_browsing(le);
    return 0;
}
