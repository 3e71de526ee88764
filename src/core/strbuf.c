/* strbuf.c — growable byte string (see strbuf.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxd/strbuf.h"

static bool grow(mxd_sb *sb, size_t more)
{
    if (sb->failed)
        return false;
    if (more > (size_t)-1 / 2 - sb->len) {
        sb->failed = true;
        return false;
    }
    size_t need = sb->len + more + 1;
    if (need <= sb->cap)
        return true;
    size_t nc = sb->cap ? sb->cap : 64;
    while (nc < need)
        nc *= 2;
    char *nb = realloc(sb->buf, nc);
    if (!nb) {
        sb->failed = true;
        return false;
    }
    sb->buf = nb;
    sb->cap = nc;
    return true;
}

void mxd_sb_append(mxd_sb *sb, const void *data, size_t len)
{
    if (!grow(sb, len))
        return;
    if (len)
        memcpy(sb->buf + sb->len, data, len);
    sb->len += len;
    sb->buf[sb->len] = '\0';
}

void mxd_sb_puts(mxd_sb *sb, const char *s) { mxd_sb_append(sb, s, strlen(s)); }
void mxd_sb_putc(mxd_sb *sb, char c) { mxd_sb_append(sb, &c, 1); }

void mxd_sb_vprintf(mxd_sb *sb, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || !grow(sb, (size_t)n))
        return;
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
}

void mxd_sb_printf(mxd_sb *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mxd_sb_vprintf(sb, fmt, ap);
    va_end(ap);
}

void mxd_sb_consume(mxd_sb *sb, size_t n)
{
    if (n >= sb->len) {
        sb->len = 0;
    } else {
        memmove(sb->buf, sb->buf + n, sb->len - n);
        sb->len -= n;
    }
    if (sb->buf)
        sb->buf[sb->len] = '\0';
}

void mxd_sb_clear(mxd_sb *sb) { mxd_sb_consume(sb, sb->len); }
bool mxd_sb_ok(const mxd_sb *sb) { return !sb->failed; }
const char *mxd_sb_str(const mxd_sb *sb) { return sb->buf ? sb->buf : ""; }

char *mxd_sb_take(mxd_sb *sb)
{
    char *b = NULL;
    if (!sb->failed)
        b = sb->buf ? sb->buf : calloc(1, 1);
    else
        free(sb->buf);
    sb->buf = NULL;
    sb->len = sb->cap = 0;
    sb->failed = false;
    return b;
}

void mxd_sb_free(mxd_sb *sb)
{
    free(sb->buf);
    sb->buf = NULL;
    sb->len = sb->cap = 0;
    sb->failed = false;
}
