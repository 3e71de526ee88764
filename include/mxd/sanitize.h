/* sanitize.h — make untrusted remote text safe to show.
 *
 * TXT records, SMTP replies, PTR names and certificate fields come from servers
 * we do not control. Before any of it reaches a terminal, a report or the help
 * catalog's placeholders, it passes through mxd_sanitize(): the result is valid
 * UTF-8 with no C0/C1 control characters (no ESC, so no escape sequences, OSC 52
 * clipboard writes or title changes), no DEL, and no bidirectional overrides or
 * isolates. What was removed stays visible as an escape such as \x1B or <U+202E>,
 * so a helpdesk reader can still see that the server sent something odd.
 */
#ifndef MXD_SANITIZE_H
#define MXD_SANITIZE_H

#include <stdbool.h>
#include <stddef.h>

enum {
    MXD_SAN_KEEP_NEWLINES = 1u, /* keep \n (multi-line transcripts); \r is always escaped */
};

/* Returns a newly allocated, NUL-terminated, sanitised copy of len bytes
 * (caller frees). max_out > 0 caps the output in bytes, never cutting a UTF-8
 * sequence, and ends it with "…" when something was cut. Returns NULL only on
 * allocation failure. */
char *mxd_sanitize(const void *bytes, size_t len, unsigned flags, size_t max_out);

/* Convenience for NUL-terminated input; NULL in gives "" out. Caller frees. */
char *mxd_sanitize_str(const char *s);

/* Sanitises into a fixed buffer dst (cap > 0 bytes, always NUL-terminated),
 * for result fields that are char arrays. src is NUL-terminated, or len bytes
 * for the _n form (may hold NULs). "" on allocation failure. */
void mxd_sanitize_into(char *dst, size_t cap, const char *src);
void mxd_sanitize_into_n(char *dst, size_t cap, const void *src, size_t len);

/* True when s (len bytes) would come back from mxd_sanitize() unchanged. */
bool mxd_is_clean(const void *s, size_t len, unsigned flags);

#endif
