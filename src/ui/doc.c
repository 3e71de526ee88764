/* doc.c — screen layouts as data: lines of styled spans (see uipriv.h).
 *
 * Screens lay their content out once per frame into a doc at the current
 * width, then draw.c shows the visible slice. Keeping curses out of this file
 * is what lets the layouts be tested without a terminal, and makes a resize
 * nothing more than laying out again.
 */
#include <stdlib.h>
#include <string.h>

#include "uipriv.h"

void doc_free(ui_doc *d)
{
    for (size_t i = 0; i < d->n; i++) {
        for (size_t j = 0; j < d->l[i].n; j++)
            free(d->l[i].v[j].text);
        free(d->l[i].v);
    }
    free(d->l);
    memset(d, 0, sizeof *d);
}

size_t doc_line(ui_doc *d)
{
    if (d->n == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 32;
        ui_line *nl = realloc(d->l, nc * sizeof *nl);
        if (!nl) {
            d->failed = true;
            return d->n ? d->n - 1 : 0; /* callers always get a valid index or none */
        }
        d->l = nl;
        d->cap = nc;
    }
    memset(&d->l[d->n], 0, sizeof d->l[d->n]);
    return d->n++;
}

static ui_span *add_span(ui_doc *d, size_t li)
{
    if (li >= d->n)
        return NULL;
    ui_line *l = &d->l[li];
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 4;
        ui_span *nv = realloc(l->v, nc * sizeof *nv);
        if (!nv) {
            d->failed = true;
            return NULL;
        }
        l->v = nv;
        l->cap = nc;
    }
    ui_span *s = &l->v[l->n++];
    memset(s, 0, sizeof *s);
    return s;
}

void doc_span(ui_doc *d, size_t li, int col, ui_style st, const char *text, size_t len)
{
    if (len == 0)
        return;
    char *t = malloc(len + 1);
    if (!t) {
        d->failed = true;
        return;
    }
    memcpy(t, text, len);
    t[len] = '\0';
    ui_span *s = add_span(d, li);
    if (!s) {
        free(t);
        return;
    }
    s->col = col;
    s->width = mxd_text_width(t, len);
    s->style = (unsigned char)st;
    s->kind = SP_TEXT;
    s->text = t;
}

void doc_rule(ui_doc *d, size_t li, int col, int n, ui_span_kind kind, ui_style st)
{
    if (n <= 0)
        return;
    ui_span *s = add_span(d, li);
    if (!s)
        return;
    s->col = col;
    s->width = kind == SP_HLINE ? n : 1;
    s->style = (unsigned char)st;
    s->kind = (unsigned char)kind;
}

/* One paragraph (no newline in text): the first line at full width with the
 * lead in front, the others indented by hang. */
static size_t wrap_para(ui_doc *d, int col, int width, int hang, const char *lead,
                        ui_style lead_st, const char *text, ui_style st)
{
    size_t ll = lead ? strlen(lead) : 0;
    /* The lead is wrapped together with the text so a short lead and the first
     * words share a line; its bytes keep their own style. */
    size_t tl = strlen(text);
    char *all = malloc(ll + 1 + tl + 1);
    if (!all) {
        d->failed = true;
        return 0;
    }
    size_t sep = 0;
    memcpy(all, lead ? lead : "", ll);
    if (ll && tl) {
        /* Japanese labels end in a full-width colon and need no space after it. */
        bool cjk_colon = ll >= 3 && strcmp(lead + ll - 3, "：") == 0;
        if (!cjk_colon)
            all[ll + sep++] = ' ';
    }
    memcpy(all + ll + sep, text, tl + 1);
    if (hang < 0)
        hang = 0;
    if (hang >= width)
        hang = 0;

    /* First line at full width, the rest at width - hang: wrap twice. */
    mxd_wline *v = NULL;
    size_t n = mxd_wrap(all, width, &v);
    size_t added = 0;
    if (n == 0) {
        doc_line(d);
        free(all);
        return 1;
    }
    size_t rest_off = n > 1 ? v[1].off : strlen(all);
    size_t first_end = v[0].off + v[0].len;
    free(v);
    /* line 1 */
    {
        size_t li = doc_line(d);
        size_t a = 0, b = first_end;
        int x = col;
        if (ll) {
            size_t le = ll < b ? ll : b;
            doc_span(d, li, x, lead_st, all, le);
            x += mxd_text_width(all, le);
            a = le;
        }
        if (b > a)
            doc_span(d, li, x, st, all + a, b - a);
        added++;
    }
    if (rest_off < strlen(all) && first_end < strlen(all)) {
        const char *rest = all + rest_off;
        n = mxd_wrap(rest, width - hang, &v);
        for (size_t i = 0; i < n; i++) {
            size_t li = doc_line(d);
            size_t a = (size_t)(rest - all) + v[i].off, b = a + v[i].len;
            int x = col + hang;
            if (a < ll) { /* a lead longer than one line */
                size_t le = ll < b ? ll : b;
                doc_span(d, li, x, lead_st, all + a, le - a);
                x += mxd_text_width(all + a, le - a);
                a = le;
            }
            if (b > a)
                doc_span(d, li, x, st, all + a, b - a);
            added++;
        }
        free(v);
    }
    free(all);
    return added;
}

size_t doc_wrap_hang(ui_doc *d, int col, int width, int hang, const char *lead,
                     ui_style lead_st, const char *text, ui_style st)
{
    if (!text)
        text = "";
    size_t added = 0;
    bool first = true;
    for (const char *p = text;;) {
        size_t n = strcspn(p, "\n");
        char *para = malloc(n + 1);
        if (!para) {
            d->failed = true;
            return added;
        }
        memcpy(para, p, n);
        para[n] = '\0';
        /* An indented line (a command in the catalog's "next") wraps under
         * itself, two columns further in, so it still reads as one command. */
        int indent = (int)strspn(para, " ");
        int h = first ? hang : 0;
        if (indent > 0 && indent + 2 < width / 2)
            h = indent + 2;
        added += wrap_para(d, col, width, h, first ? lead : NULL, lead_st, para, st);
        free(para);
        first = false;
        p += n;
        if (*p != '\n')
            break;
        p++;
    }
    return added;
}

size_t doc_wrap_lead(ui_doc *d, int col, int width, const char *lead, ui_style lead_st,
                     const char *text, ui_style st)
{
    return doc_wrap_hang(d, col, width, 0, lead, lead_st, text, st);
}

size_t doc_wrap(ui_doc *d, int col, int width, ui_style st, const char *text)
{
    return doc_wrap_hang(d, col, width, 0, NULL, ST_NORMAL, text, st);
}

static void copy_line(ui_doc *d, size_t li, const ui_line *src, int dx)
{
    for (size_t j = 0; j < src->n; j++) {
        const ui_span *s = &src->v[j];
        if (s->kind == SP_TEXT)
            doc_span(d, li, s->col + dx, (ui_style)s->style, s->text, strlen(s->text));
        else
            doc_rule(d, li, s->col + dx, s->width, (ui_span_kind)s->kind, (ui_style)s->style);
    }
}

void doc_append(ui_doc *d, const ui_doc *src, int dx)
{
    for (size_t i = 0; i < src->n; i++)
        copy_line(d, doc_line(d), &src->l[i], dx);
}

void doc_panel(ui_doc *d, int col, int width, const char *label, ui_style label_st,
               const char *title, ui_style title_st, const ui_doc *body)
{
    if (width < 6)
        width = 6;
    /* top: ┌ LABEL title ───┐ ; the title is cut to fit, never wrapped */
    size_t li = doc_line(d);
    doc_rule(d, li, col, 1, SP_UL, ST_FRAME);
    int x = col + 1;
    int room = width - 3; /* corners and one rule cell at least */
    if (label && *label) {
        char buf[64];
        size_t n = strlen(label);
        if (n > sizeof buf - 3)
            n = sizeof buf - 3;
        buf[0] = ' ';
        memcpy(buf + 1, label, n);
        buf[n + 1] = ' ';
        buf[n + 2] = '\0';
        int w;
        size_t fit = mxd_text_fit(buf, n + 2, room, &w);
        doc_span(d, li, x, label_st, buf, fit);
        x += w;
        room -= w;
    }
    if (title && *title && room > 2) {
        int w;
        /* a title is one line: stop at a newline */
        size_t tl = strcspn(title, "\n");
        size_t fit = mxd_text_fit(title, tl, room - 2, &w);
        doc_span(d, li, x + 1, title_st, title, fit);
        x += w + 2;
    }
    doc_rule(d, li, x, col + width - 1 - x, SP_HLINE, ST_FRAME);
    doc_rule(d, li, col + width - 1, 1, SP_UR, ST_FRAME);
    for (size_t i = 0; body && i < body->n; i++) {
        li = doc_line(d);
        doc_rule(d, li, col, 1, SP_VLINE, ST_FRAME);
        copy_line(d, li, &body->l[i], col + 2);
        doc_rule(d, li, col + width - 1, 1, SP_VLINE, ST_FRAME);
    }
    li = doc_line(d);
    doc_rule(d, li, col, 1, SP_LL, ST_FRAME);
    doc_rule(d, li, col + 1, width - 2, SP_HLINE, ST_FRAME);
    doc_rule(d, li, col + width - 1, 1, SP_LR, ST_FRAME);
}

void doc_beside(ui_doc *d, const ui_doc *left, const ui_doc *right, int dx)
{
    size_t n = left->n > right->n ? left->n : right->n;
    for (size_t i = 0; i < n; i++) {
        size_t li = doc_line(d);
        if (i < left->n)
            copy_line(d, li, &left->l[i], 0);
        if (i < right->n)
            copy_line(d, li, &right->l[i], dx);
    }
}

int doc_width(const ui_doc *d)
{
    int w = 0;
    for (size_t i = 0; i < d->n; i++)
        for (size_t j = 0; j < d->l[i].n; j++) {
            int e = d->l[i].v[j].col + d->l[i].v[j].width;
            if (e > w)
                w = e;
        }
    return w;
}

char *doc_line_text(const ui_doc *d, size_t li)
{
    if (li >= d->n)
        return NULL;
    const ui_line *l = &d->l[li];
    /* Cells: one slot per column, a wide character in its first slot and an
     * empty string in its second. */
    int w = 0;
    for (size_t j = 0; j < l->n; j++)
        if (l->v[j].col + l->v[j].width > w)
            w = l->v[j].col + l->v[j].width;
    char **cell = calloc((size_t)w + 1, sizeof *cell);
    char *bytes = calloc((size_t)w + 1, 8);
    if (!cell || !bytes) {
        free(cell);
        free(bytes);
        return NULL;
    }
    for (int c = 0; c < w; c++) {
        cell[c] = bytes + (size_t)c * 8;
        strcpy(cell[c], " ");
    }
    for (size_t j = 0; j < l->n; j++) {
        const ui_span *s = &l->v[j];
        if (s->kind != SP_TEXT) {
            const char *ch = s->kind == SP_HLINE ? "-" : s->kind == SP_VLINE ? "|" : "+";
            for (int c = 0; c < s->width && s->col + c < w; c++)
                if (s->col + c >= 0)
                    strcpy(cell[s->col + c], ch);
            continue;
        }
        int c = s->col;
        const char *p = s->text;
        while (*p && c < w) {
            size_t cl = 1;
            while ((p[cl] & 0xC0) == 0x80)
                cl++;
            int cw = mxd_text_width(p, cl);
            if (c >= 0 && cl < 8) {
                memcpy(cell[c], p, cl);
                cell[c][cl] = '\0';
                for (int k = 1; k < cw && c + k < w; k++)
                    cell[c + k][0] = '\0';
            }
            c += cw;
            p += cl;
        }
    }
    size_t total = 1;
    for (int c = 0; c < w; c++)
        total += strlen(cell[c]);
    char *out = malloc(total);
    if (out) {
        out[0] = '\0';
        for (int c = 0; c < w; c++)
            strcat(out, cell[c]);
        /* trailing blanks carry no meaning in a test's expectation */
        size_t n = strlen(out);
        while (n && out[n - 1] == ' ')
            out[--n] = '\0';
    }
    free(cell);
    free(bytes);
    return out;
}
