/* reply.c — SMTP reply parser (see smtpreply.h). */
#include <stdlib.h>
#include <string.h>

#include "mxd/smtpreply.h"

static int code_of(const char *p, size_t n)
{
    if (n < 3 || p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9')
        return -1;
    return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

void mxd_smtp_reply_free(mxd_smtp_reply *r)
{
    for (size_t i = 0; i < r->nlines; i++)
        free(r->lines[i]);
    free(r->lines);
    free(r->lens);
    r->lines = NULL;
    r->lens = NULL;
    r->nlines = 0;
}

mxd_reply_status mxd_smtp_reply_parse(const char *buf, size_t len, mxd_smtp_reply *out,
                                      size_t *used)
{
    size_t pos = 0, nlines = 0;
    int code = -1;
    /* First pass: find where the reply ends without allocating. */
    for (;;) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t linelen = nl ? (size_t)(nl - (buf + pos)) : len - pos;
        if (!nl) {
            if (linelen > MXD_SMTP_MAX_LINE || pos + linelen > MXD_SMTP_MAX_REPLY)
                return MXD_REPLY_TOO_LONG;
            return MXD_REPLY_NEED_MORE;
        }
        if (linelen > MXD_SMTP_MAX_LINE)
            return MXD_REPLY_TOO_LONG;
        const char *line = buf + pos;
        size_t l = linelen;
        if (l && line[l - 1] == '\r')
            l--;
        int c = code_of(line, l);
        if (c < 0 || (l > 3 && line[3] != ' ' && line[3] != '-'))
            return MXD_REPLY_BAD;
        if (code >= 0 && c != code)
            return MXD_REPLY_BAD;
        code = c;
        nlines++;
        pos += linelen + 1;
        if (nlines > MXD_SMTP_MAX_LINES || pos > MXD_SMTP_MAX_REPLY)
            return MXD_REPLY_TOO_LONG;
        if (l == 3 || line[3] == ' ')
            break;
    }
    /* Second pass: copy the lines out. */
    out->code = code;
    out->nlines = 0;
    out->lines = calloc(nlines, sizeof *out->lines);
    out->lens = calloc(nlines, sizeof *out->lens);
    if (!out->lines || !out->lens) {
        mxd_smtp_reply_free(out);
        return MXD_REPLY_TOO_LONG;
    }
    size_t p = 0;
    for (size_t i = 0; i < nlines; i++) {
        const char *nl = memchr(buf + p, '\n', len - p);
        size_t l = (size_t)(nl - (buf + p));
        size_t tl = l && buf[p + l - 1] == '\r' ? l - 1 : l;
        size_t start = tl > 4 ? 4 : tl;
        char *s = malloc(tl - start + 1);
        if (!s) {
            mxd_smtp_reply_free(out);
            return MXD_REPLY_TOO_LONG;
        }
        memcpy(s, buf + p + start, tl - start);
        s[tl - start] = '\0';
        out->lens[out->nlines] = tl - start;
        out->lines[out->nlines++] = s;
        p += l + 1;
    }
    *used = pos;
    return MXD_REPLY_OK;
}
