/* client.c — transcript and reply taking for the SMTP clients (see smtpclient.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "mxd/sanitize.h"
#include "mxd/smtpclient.h"

#define TRANSCRIPT_MAX 16384

void mxd_smtp_note(mxd_sb *t, const char *who, const char *line, size_t len)
{
    if (t->len >= TRANSCRIPT_MAX)
        return;
    char *clean = mxd_sanitize(line, len, 0, 600);
    mxd_sb_puts(t, who);
    mxd_sb_puts(t, clean ? clean : "");
    mxd_sb_putc(t, '\n');
    free(clean);
    if (t->len >= TRANSCRIPT_MAX)
        mxd_sb_puts(t, "(transcript cut)\n");
}

mxd_reply_status mxd_smtp_take_reply(mxd_sb *in, mxd_sb *t, bool starttls, mxd_smtp_reply *out,
                                     size_t *injected)
{
    size_t used = 0;
    mxd_reply_status s = mxd_smtp_reply_parse(in->buf, in->len, out, &used);
    if (s == MXD_REPLY_NEED_MORE)
        return s;
    if (s != MXD_REPLY_OK) {
        mxd_smtp_note(t, "S: ", in->buf, in->len > 200 ? 200 : in->len);
        return s;
    }
    for (size_t i = 0; i < out->nlines; i++) {
        char line[MXD_SMTP_MAX_LINE + 8];
        snprintf(line, sizeof line, "%d%c", out->code, i + 1 < out->nlines ? '-' : ' ');
        memcpy(line + 4, out->lines[i], out->lens[i]); /* lens[i] <= MXD_SMTP_MAX_LINE */
        mxd_smtp_note(t, "S: ", line, 4 + out->lens[i]);
    }
    mxd_sb_consume(in, used);
    if (starttls && out->code == 220 && in->len) {
        if (injected)
            *injected = in->len;
        mxd_smtp_note(t, "!: ", "bytes after 220 to STARTTLS discarded", 38);
        mxd_sb_clear(in);
    }
    return s;
}

void mxd_smtp_default_ehlo(const mxd_conn *c, char *name, size_t cap)
{
    if (name[0])
        return;
    mxd_addr me = { .family = AF_INET, .text = "127.0.0.1" };
    mxd_conn_local(c, &me);
    snprintf(name, cap, me.family == AF_INET6 ? "[IPv6:%s]" : "[%s]", me.text);
}
