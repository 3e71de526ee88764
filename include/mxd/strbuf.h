/* strbuf.h — a growable byte string, always NUL-terminated.
 *
 * Used for reports, transcripts and wire buffers. On allocation failure the
 * buffer becomes "failed" (further appends are ignored) and mxd_sb_ok() is false,
 * so writers can append freely and check once at the end.
 */
#ifndef MXD_STRBUF_H
#define MXD_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct mxd_sb {
    char *buf;     /* owned; NULL until the first append */
    size_t len;
    size_t cap;
    bool failed;
} mxd_sb;

#define MXD_SB_INIT { NULL, 0, 0, false }

void mxd_sb_append(mxd_sb *sb, const void *data, size_t len);
void mxd_sb_puts(mxd_sb *sb, const char *s);
void mxd_sb_putc(mxd_sb *sb, char c);
void mxd_sb_printf(mxd_sb *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mxd_sb_vprintf(mxd_sb *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Drops the first n bytes (for consumed input). */
void mxd_sb_consume(mxd_sb *sb, size_t n);
void mxd_sb_clear(mxd_sb *sb);
bool mxd_sb_ok(const mxd_sb *sb);
/* Returns the contents ("" when empty); borrowed, valid until the next append. */
const char *mxd_sb_str(const mxd_sb *sb);
/* Hands the buffer to the caller (free() it); the strbuf is reset. NULL if failed. */
char *mxd_sb_take(mxd_sb *sb);
void mxd_sb_free(mxd_sb *sb);

#endif
