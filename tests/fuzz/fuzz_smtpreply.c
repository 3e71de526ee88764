/* fuzz_smtpreply.c — the SMTP reply parser on whatever a server might send.
 *
 * The input is a byte stream from a server. The target consumes it reply by
 * reply, as the probe does, and checks what smtpreply.h promises: a code in
 * 200..599, at least one line, lengths that fit the bounds, consumption that
 * makes progress and never passes the end, and the same answer whether the
 * reply arrives whole or with more bytes behind it.
 */
#include "fuzz.h"

#include "mxd/smtpreply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = fuzz_dup(data, size);
    size_t pos = 0;
    for (int guard = 0; guard <= MXD_SMTP_MAX_REPLY; guard++) {
        mxd_smtp_reply r;
        memset(&r, 0, sizeof r);
        size_t used = 0;
        mxd_reply_status st = mxd_smtp_reply_parse(buf + pos, size - pos, &r, &used);
        if (st != MXD_REPLY_OK) {
            FUZZ_ASSERT(st == MXD_REPLY_NEED_MORE || st == MXD_REPLY_BAD ||
                        st == MXD_REPLY_TOO_LONG);
            /* NEED_MORE must mean "no complete line ends a reply yet": a bounded
             * server cannot keep us waiting past the bounds. */
            if (st == MXD_REPLY_NEED_MORE)
                FUZZ_ASSERT(size - pos <= MXD_SMTP_MAX_REPLY + MXD_SMTP_MAX_LINE + 1);
            break;
        }
        FUZZ_ASSERT(used > 0 && used <= size - pos && used <= MXD_SMTP_MAX_REPLY);
        FUZZ_ASSERT(r.code >= 200 && r.code <= 599);
        FUZZ_ASSERT(r.nlines >= 1 && r.nlines <= MXD_SMTP_MAX_LINES);
        FUZZ_ASSERT(buf[pos + used - 1] == '\n');
        size_t total = 0;
        for (size_t i = 0; i < r.nlines; i++) {
            FUZZ_ASSERT(r.lens[i] <= MXD_SMTP_MAX_LINE);
            FUZZ_ASSERT(r.lines[i][r.lens[i]] == '\0');
            FUZZ_ASSERT(memchr(r.lines[i], '\n', r.lens[i]) == NULL);
            total += r.lens[i];
        }
        FUZZ_ASSERT(total <= used);

        /* The reply alone, cut right after it, must parse the same. */
        mxd_smtp_reply r2;
        size_t used2 = 0;
        char *alone = fuzz_dup((const uint8_t *)buf + pos, used);
        FUZZ_ASSERT(mxd_smtp_reply_parse(alone, used, &r2, &used2) == MXD_REPLY_OK);
        FUZZ_ASSERT(used2 == used && r2.code == r.code && r2.nlines == r.nlines);
        for (size_t i = 0; i < r.nlines; i++)
            FUZZ_ASSERT(r2.lens[i] == r.lens[i] &&
                        memcmp(r2.lines[i], r.lines[i], r.lens[i]) == 0);
        /* One byte short, it is incomplete (never a different reply). */
        mxd_smtp_reply r3;
        size_t used3 = 0;
        mxd_reply_status st3 = mxd_smtp_reply_parse(alone, used - 1, &r3, &used3);
        FUZZ_ASSERT(st3 != MXD_REPLY_OK);
        free(alone);
        mxd_smtp_reply_free(&r2);
        mxd_smtp_reply_free(&r);
        pos += used;
    }
    free(buf);
    return 0;
}
