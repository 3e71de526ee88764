/* smtpreply.h — parsing SMTP replies (RFC 5321 §4.2) from untrusted bytes.
 *
 * Pure and bounded: a reply is at most MXD_SMTP_MAX_LINES lines of at most
 * MXD_SMTP_MAX_LINE bytes and MXD_SMTP_MAX_REPLY bytes in all, so a hostile
 * server (a 100 KB line, an endless "250-" reply) is a protocol error quickly,
 * not an ever-growing buffer. Bare LF line ends are accepted, as real MTAs do.
 */
#ifndef MXD_SMTPREPLY_H
#define MXD_SMTPREPLY_H

#include <stddef.h>

#define MXD_SMTP_MAX_LINE 4096
#define MXD_SMTP_MAX_LINES 200
#define MXD_SMTP_MAX_REPLY 65536

typedef struct mxd_smtp_reply {
    int code;            /* 200..599 */
    size_t nlines;
    char **lines;        /* the text after "NNN-"/"NNN ", raw bytes without CRLF, NUL-
                            terminated for convenience but may hold NULs: see lens; owned */
    size_t *lens;        /* byte length of each line; owned */
} mxd_smtp_reply;

typedef enum {
    MXD_REPLY_NEED_MORE = 0, /* no complete reply yet; keep the bytes */
    MXD_REPLY_OK = 1,        /* *out filled, *used bytes consumed */
    MXD_REPLY_BAD = -1,      /* not an SMTP reply (no code, mixed codes) */
    MXD_REPLY_TOO_LONG = -2, /* a line, the line count or the size passed a bound */
} mxd_reply_status;

/* Looks for one complete reply at the start of buf. On MXD_REPLY_OK, *out is owned
 * by the caller (mxd_smtp_reply_free). */
mxd_reply_status mxd_smtp_reply_parse(const char *buf, size_t len, mxd_smtp_reply *out,
                                      size_t *used);
void mxd_smtp_reply_free(mxd_smtp_reply *r);

#endif
