/* bounce.h — decoding pasted bounces and mail-log lines (`mxdoctor --explain`).
 *
 * People paste what they have: one log line, a whole bounce message, an RFC 3464
 * delivery status notification, a Microsoft 365 non-delivery report, a Gmail
 * bounce, in English or Japanese. The decoder finds every status in it (a DSN
 * can list several recipients): the reply code (550), the enhanced status code
 * (RFC 3463: class.subject.detail, e.g. 5.1.1), the recipient when the text
 * names one, and the remote server's own words. Each status gets a finding id
 * whose catalog entry explains cause and next action, and the wizard step that
 * checks it.
 *
 * A paste that is, or holds, a MIME message (headers with Content-Type,
 * Content-Transfer-Encoding or MIME-Version, or a multipart body from its first
 * boundary on) is first turned into the text of its parts (mime.h):
 * quoted-printable and base64 undone, charsets such as ISO-2022-JP, Shift_JIS
 * and Windows-1252 converted to UTF-8, HTML reduced to its text, encoded-words
 * in From and Subject decoded, the delivery-status part put first and the
 * returned original left out. Everything below applies to that text as it
 * would to a paste. Text without a MIME message is read as it is.
 *
 * Ids (the registry in src/checks/steps.c lists them all under step "bounce"):
 *   - bounce.C.S.D when the catalog explains that exact code (bounce.5.1.1);
 *     otherwise bounce.C.S (the RFC 3463 subject, 0-7), otherwise bounce.C
 *     (2, 4 or 5). mxd_bounce_lookup() is that chain.
 *   - The id names the meaning. Where an MTA uses a code against the registry
 *     (Microsoft 365 sends 5.1.10 "RecipientNotFound", which RFC 7505 gives to
 *     null MX; "5.4.1 Recipient address rejected: Access denied" for an unknown
 *     recipient), or where the code is generic (X.0.0, X.S.0, X.7.1, a detail
 *     the catalog does not know) and the wording is unmistakable ("DMARC",
 *     "User unknown"), the wording decides; `enhanced` still holds what the
 *     server sent. Wording may only move a generic code within its subject,
 *     except when the code has no subject at all (X.0.x or a bare reply code).
 *   - Text without any code: wording such as "User unknown" or a Japanese
 *     equivalent gives the code's id with `inferred` set; the local errors of
 *     a sending MTA (Postfix "Connection timed out", "Host or domain name not
 *     found", Exim "retry timeout exceeded") give bounce.local.<what>.
 *
 * Where statuses come from, in this order:
 *   1. Postfix log lines ("to=<...>, ... dsn=5.1.1, status=bounced (...)"):
 *      each line is one status.
 *   2. RFC 3464 fields (Final-Recipient, Action, Status, Diagnostic-Code):
 *      when a Status field with a code is present, only the DSN part is read
 *      besides the log lines; the human-readable part says the same again.
 *   3. Otherwise the plain text: every reply code / enhanced code in a reply
 *      position, multi-line replies ("550-5.1.1 ...", also re-wrapped by
 *      Postfix) joined into one status, the recipient from the line that
 *      introduces it ("<a@example.jp>: host ... said:", Exim's address line,
 *      "RCPT TO:<...>", "Your message to ... couldn't be delivered").
 *   4. Only when none of the above found a code: wording alone (see above).
 * Reading stops where the returned original message begins (message/rfc822,
 * text/rfc822-headers, Exim's "This is a copy of the message", Exchange's
 * "Original message headers:"), so its Subject or body cannot pass for a reason.
 * Duplicates (the same code for the same recipient, said twice) are merged.
 *
 * Bounded: at most MXD_BOUNCE_MAX_INPUT bytes are looked at (the rest is
 * ignored and `truncated` set; so is a MIME paste's decoded text, which can be
 * longer than the paste), at most 20000 logical lines, each examined up
 * to MXD_BOUNCE_MAX_LINE bytes, and at most MXD_BOUNCE_MAX_STATUSES statuses
 * are kept, so a hostile or endless paste costs linear time and little memory.
 * Pure: no I/O. Every string in the result is sanitised (mxd_sanitize).
 */
#ifndef MXD_BOUNCE_H
#define MXD_BOUNCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "mxd/catalog.h"
#include "mxd/finding.h"
#include "mxd/report.h"
#include "mxd/strbuf.h"

#define MXD_BOUNCE_MAX_INPUT (1024u * 1024u) /* 1 MiB */
#define MXD_BOUNCE_MAX_LINE 8192             /* bytes of one (unfolded) line */
#define MXD_BOUNCE_MAX_STATUSES 64
#define MXD_BOUNCE_MAX_TEXT 600              /* bytes of server text kept */

/* Whose wording was recognised: the remote server's reply first (gmail and
 * exchange are mostly recognised there), else the bounce's own frame (postfix,
 * exim). */
typedef enum {
    MXD_MTA_GENERIC = 0,
    MXD_MTA_POSTFIX,
    MXD_MTA_EXIM,
    MXD_MTA_EXCHANGE, /* Microsoft Exchange and Microsoft 365 */
    MXD_MTA_GMAIL,
} mxd_bounce_mta;

typedef enum {
    MXD_BOUNCE_SRC_LOG = 0, /* a Postfix log line */
    MXD_BOUNCE_SRC_DSN,     /* RFC 3464 fields */
    MXD_BOUNCE_SRC_TEXT,    /* a reply code in the text */
    MXD_BOUNCE_SRC_WORDING, /* no code: recognised wording only */
} mxd_bounce_source;

/* One entry of the id table: static data. */
typedef struct mxd_bounce_def {
    const char *id;    /* "bounce.5.1.1", "bounce.4.7", "bounce.local.timeout" */
    const char *step;  /* wizard step that checks it: "mx", "target", "smtp",
                          "policy", "delivery", or "none" (nothing to check in DNS
                          or on servers: the address, mailbox or message is wrong) */
    int cls;           /* 2, 4 or 5; for bounce.local.* the usual class (the log
                          line's status=bounced/deferred overrides it) */
    bool about_sender; /* the step must be run on the sender's domain (SPF,
                          DMARC, the sender's own MX), not the recipient's */
} mxd_bounce_def;

extern const mxd_bounce_def mxd_bounce_defs[];
extern const size_t mxd_nbounce_defs;

/* The entry for an id, or NULL. */
const mxd_bounce_def *mxd_bounce_def_find(const char *id);
/* The chain bounce.C.S.D → bounce.C.S → bounce.C. subject or detail < 0 means
 * unknown (skips that level). Returns NULL only for a class other than 2, 4, 5. */
const mxd_bounce_def *mxd_bounce_lookup(int cls, int subject, int detail);

typedef struct mxd_bounce_status {
    char *recipient;      /* owned, sanitised; NULL when the text names none */
    int code;             /* reply code (550), 0 when none */
    char enhanced[16];    /* enhanced code as sent ("5.1.10"); "" when none */
    int cls;              /* decoded class 2/4/5 (for local ids: the def's or the log's) */
    int subject, detail;  /* decoded meaning; -1 when unknown or local */
    const char *id;       /* static, from mxd_bounce_defs */
    const char *step;     /* static, from mxd_bounce_defs */
    bool permanent;       /* cls == 5: the sender has given up */
    bool inferred;        /* the meaning came from wording, not from a code */
    bool about_sender;    /* see mxd_bounce_def */
    mxd_bounce_mta mta;
    mxd_bounce_source source;
    char *server_text;    /* owned, sanitised, one line, at most about
                             MXD_BOUNCE_MAX_TEXT bytes; NULL when none */
} mxd_bounce_status;

typedef struct mxd_bounce {
    mxd_bounce_status *v; /* owned array of n */
    size_t n;
    char *sender;         /* owned, sanitised envelope sender when the input names
                             it (X-Postfix-Sender, from=<...>, MAIL FROM:<...>); NULL */
    bool truncated;       /* the input was longer than MXD_BOUNCE_MAX_INPUT, or its
                             decoded MIME text was (then cut there) */
    bool mime;            /* the input held a MIME message, read as its parts' text */
    bool capped;          /* more than MXD_BOUNCE_MAX_STATUSES statuses: rest dropped */
} mxd_bounce;

/* Decodes len bytes of untrusted text (borrowed, not kept; need not be
 * NUL-terminated; any bytes) into *out, which the caller owns and frees with
 * mxd_bounce_free() whatever the result. Returns 0, or -1 when memory ran out
 * (*out then holds what was decoded so far). Finding nothing is not an error:
 * out->n == 0. */
int mxd_bounce_parse(const void *text, size_t len, mxd_bounce *out);
void mxd_bounce_free(mxd_bounce *b);

/* "postfix", "exim", "exchange", "gmail", "generic" (static). */
const char *mxd_bounce_mta_name(mxd_bounce_mta m);
/* "log", "dsn", "text", "wording" (static). */
const char *mxd_bounce_source_name(mxd_bounce_source s);
/* FAIL for class 5, WARN for class 4, INFO for class 2 (delivered). */
mxd_severity mxd_bounce_severity(const mxd_bounce_status *s);

/* ---- presentation (src/bounce/explain.c) --------------------------------- */

/* The catalog parameters of a status, for mxd_catalog_format():
 *   {code}        the reply code, or "" when none
 *   {enhanced}    the enhanced code as sent; when none, the decoded one
 *                 ("5.1.1") if known; else ""
 *   {recipient}   the recipient, or the catalog's word for "the recipient"
 *   {server_text} the server's words, or the catalog's "no text" note
 *   {mta}         "Postfix", "Exim", "Microsoft Exchange / 365", "Gmail", or
 *                 the catalog's word for "not recognised"
 * Values point into s, the catalog or static storage, or into buf (the
 * caller's, at least 16 bytes): they live as long as those do. */
#define MXD_BOUNCE_NPARAMS 5
void mxd_bounce_params(const mxd_bounce_status *s, const mxd_catalog *cat,
                       mxd_param out[MXD_BOUNCE_NPARAMS], char *buf, size_t buflen);

/* The command that runs the step checking s: "mxdoctor --report example.jp",
 * with the recipient's domain (the sender's for about_sender), in ASCII form;
 * when that domain is unknown or not a safe name, the catalog's placeholder
 * word in angle brackets. NULL for step "none". Newly allocated (caller frees). */
char *mxd_bounce_command(const mxd_bounce *b, const mxd_bounce_status *s, const mxd_catalog *cat);

/* Appends the decoded bounce as text, Markdown or JSON in the catalog's
 * language (JSON ignores the catalog). name labels the input ("-" for stdin;
 * borrowed). */
void mxd_bounce_write(mxd_sb *out, mxd_format fmt, const mxd_bounce *b, const mxd_catalog *cat,
                      const char *name);

/* Exit statuses of mxd_explain_main(). */
#define MXD_EXPLAIN_FOUND 0
#define MXD_EXPLAIN_NOTHING 3
#define MXD_EXPLAIN_UNREADABLE 64

/* The `--explain` front end. Reads at most MXD_BOUNCE_MAX_INPUT bytes from in
 * (borrowed; not closed), or, when in is NULL, opens the file name ("-" or NULL:
 * stdin). Decodes, writes the result to out (borrowed) in fmt, messages to
 * stderr. cat is the catalog of the chosen language (may be NULL: keys are shown
 * instead of texts). Returns MXD_EXPLAIN_FOUND when at least one status was
 * decoded, MXD_EXPLAIN_NOTHING when nothing was recognised, and
 * MXD_EXPLAIN_UNREADABLE when the input cannot be opened or read. */
int mxd_explain_main(FILE *in, const char *name, mxd_format fmt, const mxd_catalog *cat,
                     FILE *out);

#endif
