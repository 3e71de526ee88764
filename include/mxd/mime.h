/* mime.h — the readable text of a pasted MIME message, for the bounce decoder.
 *
 * Bounces travel as MIME: a multipart/report whose human-readable part is
 * often quoted-printable (Exchange, Microsoft 365) or base64 (Japanese ISPs, in
 * ISO-2022-JP or Shift_JIS), whose HTML alternative hides the words in tags and
 * entities, and whose message/delivery-status part holds the RFC 3464 fields.
 * Read as raw text, a code cut by a soft line break ("5.1.=\n1") or hidden in
 * base64 is lost. This module turns such a paste into plain UTF-8 text that the
 * bounce decoder (bounce.h) reads with its ordinary rules:
 *
 *   1. text before the message, as it was (a note, a log line);
 *   2. the message's From and Subject, RFC 2047 encoded-words decoded;
 *   3. every message/delivery-status part (first, so that a human-readable
 *      part ending in the returned message's headers cannot hide it);
 *   4. the human-readable parts in order: text/plain as it is, text/html with
 *      its tags and entities undone; of a multipart/alternative only one
 *      (plain text before HTML); a forwarded bounce (message/rfc822 whose own
 *      headers say a mail system sent it) is walked like the outer message,
 *      with its From and Subject.
 * The returned original message (message/rfc822 or text/rfc822-headers in a
 * multipart/report, or after a delivery-status part, or one no mail system
 * sent) ends the walk, as it ends the decoder's reading of raw text: its
 * Subject and body cannot pass for a reason. Parts are separated by a blank
 * line. Attachments of other types are skipped.
 *
 * Each part is undone in order: the transfer encoding (quoted-printable,
 * base64; 7bit, 8bit, binary and unknown ones as they are), then the charset to
 * UTF-8 (UTF-8 and US-ASCII as they are; ISO-2022-JP with the Windows
 * extensions people actually send, Shift_JIS/CP932, EUC-JP, ISO-8859-1 read as
 * Windows-1252, and a fixed list of others through glibc's iconv; an unknown
 * charset leaves the bytes as they are). Bytes that are not valid in their
 * charset become U+FFFD. Decoding is lenient throughout: a paste is often cut
 * short, re-wrapped or damaged, and what can be read is worth more than a
 * refusal. Nothing here makes text safe to show: the decoder sanitises what it
 * keeps (mxd_sanitize), and this output must be treated like any paste.
 *
 * Bounded: the output is at most max_out bytes (cut there, flagged); parts
 * nested deeper than MXD_MIME_MAX_DEPTH and those after the first
 * MXD_MIME_MAX_PARTS are skipped; each byte is looked at a small constant number
 * of times per nesting level, so the cost is linear in the input. Pure: no I/O
 * and no global state (iconv descriptors are opened and closed per part).
 */
#ifndef MXD_MIME_H
#define MXD_MIME_H

#include <stdbool.h>
#include <stddef.h>

#include "mxd/strbuf.h"

#define MXD_MIME_MAX_DEPTH 12   /* entities inside entities (multipart, message/rfc822) */
#define MXD_MIME_MAX_PARTS 1000 /* entities in one message */

/* What mxd_mime_decode() met on the way (out->flags). */
enum {
    MXD_MIME_TRUNCATED = 1u, /* the text reached max_out and was cut */
    MXD_MIME_UNCLOSED = 2u,  /* a multipart's closing boundary never came (a cut paste) */
    MXD_MIME_TOO_DEEP = 4u,  /* entities below MXD_MIME_MAX_DEPTH were skipped */
    MXD_MIME_TOO_MANY = 8u,  /* entities after MXD_MIME_MAX_PARTS were skipped */
    MXD_MIME_ORIGINAL = 16u, /* the walk stopped at the returned original message */
};

typedef struct mxd_mime_text {
    char *text;     /* owned, NUL-terminated UTF-8 (unless the input held bytes no
                       charset explains); NULL when the input holds no MIME message */
    size_t len;     /* bytes in text, at most max_out */
    unsigned flags; /* MXD_MIME_* */
    size_t parts;   /* entities read, the message itself included */
} mxd_mime_text;

/* Looks for a MIME message in len bytes of untrusted text (borrowed, not kept;
 * need not be NUL-terminated; any bytes): a header block with Content-Type,
 * Content-Transfer-Encoding or MIME-Version at the start of the text or after a
 * blank line, or a multipart delimiter line ("--boundary", no white space in
 * it) followed by a part's headers (a paste of a message's body only). After
 * other text, a header block counts only when a mail system wrote the message
 * (From mailer-daemon, postmaster, MicrosoftExchange..., or a multipart/report):
 * below a bounce pasted as text, another message is its returned original.
 * Returns 1 and fills *out with the text described above (the caller frees it
 * with mxd_mime_text_free()); 0 when there is no such message or it gives no
 * text at all (*out is then empty: read the input as it is); -1 when memory
 * ran out (*out empty). max_out > 0. */
int mxd_mime_decode(const void *in, size_t len, size_t max_out, mxd_mime_text *out);
void mxd_mime_text_free(mxd_mime_text *t);

/* ---- the building blocks, each a pure function ------------------------------- */

/* Quoted-printable (RFC 2045 §6.7): "=XX" (either case) becomes its byte, "="
 * at a line's end (white space may follow) joins the lines, white space at
 * the end of a line is dropped, and an "=" that starts no valid escape is kept
 * as it is. Line ends come out as "\n". Writes into out (the caller's, at least
 * n bytes; may not overlap in); returns the bytes written (at most n). */
size_t mxd_qp_decode(const char *in, size_t n, char *out);

/* Base64 (RFC 2045 §6.8), leniently: every byte outside the alphabet (line
 * breaks, spaces, junk) is skipped, the first "=" ends the data, and a last
 * group of 2 or 3 characters still gives its 1 or 2 bytes. Writes into out (the
 * caller's, at least n / 4 * 3 + 3 bytes); returns the bytes written. */
size_t mxd_base64_decode(const char *in, size_t n, unsigned char *out);

/* Appends n bytes of in (borrowed) in the named charset (a MIME charset label,
 * any case, NUL-terminated, borrowed; NULL or "" means US-ASCII) to out as
 * UTF-8. Returns false when the label is not one this module converts, or
 * iconv lacks its module: the bytes were then appended as they are.
 * Allocation failure is left in out (mxd_sb_ok). */
bool mxd_charset_to_utf8(const char *charset, const void *in, size_t n, mxd_sb *out);

/* Appends a header field's value (n bytes of in, borrowed, folded or not) to
 * out with its RFC 2047 encoded-words ("=?UTF-8?B?...?=", "=?ISO-2022-JP?Q?...?=")
 * decoded to UTF-8, adjacent words of one charset joined before conversion
 * (a character may be cut between them). White space between adjacent
 * encoded-words is dropped and a malformed word is kept as it is. The value
 * comes out on one line: folding line breaks are dropped, tabs become spaces,
 * and so do line breaks and tabs inside a decoded word. */
void mxd_mime_header_decode(const char *in, size_t n, mxd_sb *out);

/* Appends the text of n bytes of HTML (in, borrowed) to out: tags removed
 * (script, style, head and title with their content, comments too), block
 * elements and <br> as line breaks, <p> and its kin as blank lines, white space
 * folded outside <pre>, character references (&lt; &amp; &nbsp; &#39; &#x2014;
 * and a few more names) decoded; an unknown reference is kept as it is. */
void mxd_html_to_text(const char *in, size_t n, mxd_sb *out);

#endif
