/* bounce.c — decoding pasted bounces and mail-log lines (see bounce.h).
 *
 * The input is untrusted and of any size, so everything here works on byte
 * ranges with explicit lengths (a NUL byte is just a byte), every copy is
 * bounded, and the number of lines examined is capped: the cost is linear in
 * the (capped) input.
 *
 * The text is read as logical lines: a physical line plus the lines after it
 * that are indented deeper. That one rule unfolds RFC 3464 header fields,
 * Postfix's re-wrapped server replies ("said:\n    550-5.1.1 ...") and Exim's
 * per-address blocks, so the rest of the decoder sees one reply per line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxd/bounce.h"
#include "mxd/mime.h"
#include "mxd/sanitize.h"

/* Logical lines examined; a bounce is far shorter, a log paste of 1 MiB too. */
#define MAX_LINES 20000
#define ADDR_MAX 320

/* ---- the id table ----------------------------------------------------------- */

const mxd_bounce_def mxd_bounce_defs[] = {
    /* Classes (RFC 3463 §3.1). */
    { "bounce.2", "none", 2, false },
    { "bounce.4", "delivery", 4, false },
    { "bounce.5", "none", 5, false },
    /* Subjects 0-7 (RFC 3463 §3.2), temporary and permanent. */
    { "bounce.4.0", "delivery", 4, false },
    { "bounce.4.1", "none", 4, false },
    { "bounce.4.2", "none", 4, false },
    { "bounce.4.3", "smtp", 4, false },
    { "bounce.4.4", "smtp", 4, false },
    { "bounce.4.5", "smtp", 4, false },
    { "bounce.4.6", "none", 4, false },
    { "bounce.4.7", "delivery", 4, false },
    { "bounce.5.0", "none", 5, false },
    { "bounce.5.1", "none", 5, false },
    { "bounce.5.2", "none", 5, false },
    { "bounce.5.3", "smtp", 5, false },
    { "bounce.5.4", "mx", 5, false },
    { "bounce.5.5", "smtp", 5, false },
    { "bounce.5.6", "none", 5, false },
    { "bounce.5.7", "policy", 5, false },
    /* Details people meet (RFC 3463, the RFC 5248 registry, RFC 7372, RFC 7505). */
    { "bounce.4.1.8", "mx", 4, true },
    { "bounce.4.2.2", "none", 4, false },
    { "bounce.4.4.1", "smtp", 4, false },
    { "bounce.4.4.2", "smtp", 4, false },
    { "bounce.4.4.3", "mx", 4, false },
    { "bounce.4.4.7", "delivery", 4, false },
    { "bounce.4.7.0", "delivery", 4, false },
    { "bounce.4.7.1", "delivery", 4, false },
    { "bounce.4.7.25", "policy", 4, true },
    { "bounce.4.7.28", "policy", 4, true },
    { "bounce.5.1.1", "none", 5, false },
    { "bounce.5.1.2", "mx", 5, false },
    { "bounce.5.1.3", "none", 5, false },
    { "bounce.5.1.6", "none", 5, false },
    { "bounce.5.1.8", "mx", 5, true },
    { "bounce.5.1.10", "mx", 5, false },
    { "bounce.5.2.1", "none", 5, false },
    { "bounce.5.2.2", "none", 5, false },
    { "bounce.5.2.3", "none", 5, false },
    { "bounce.5.3.4", "none", 5, false },
    { "bounce.5.4.1", "mx", 5, false },
    { "bounce.5.4.4", "mx", 5, false },
    { "bounce.5.4.6", "mx", 5, false },
    { "bounce.5.4.7", "delivery", 5, false },
    { "bounce.5.5.1", "none", 5, false },
    { "bounce.5.7.0", "policy", 5, false },
    { "bounce.5.7.1", "policy", 5, false },
    { "bounce.5.7.8", "none", 5, false },
    { "bounce.5.7.23", "policy", 5, true },
    { "bounce.5.7.25", "policy", 5, true },
    { "bounce.5.7.26", "policy", 5, true },
    { "bounce.5.7.27", "mx", 5, true },
    /* A sending MTA's own errors, written without a code. */
    { "bounce.local.timeout", "smtp", 4, false },
    { "bounce.local.refused", "smtp", 4, false },
    { "bounce.local.no_route", "smtp", 4, false },
    { "bounce.local.lost_connection", "smtp", 4, false },
    { "bounce.local.tls", "smtp", 4, false },
    { "bounce.local.host_not_found", "mx", 5, false },
    { "bounce.local.dns_tempfail", "mx", 4, false },
    { "bounce.local.no_address", "target", 5, false },
    { "bounce.local.loop", "mx", 5, false },
    { "bounce.local.expired", "delivery", 5, false },
};
const size_t mxd_nbounce_defs = sizeof mxd_bounce_defs / sizeof mxd_bounce_defs[0];

const mxd_bounce_def *mxd_bounce_def_find(const char *id)
{
    for (size_t i = 0; id && i < mxd_nbounce_defs; i++)
        if (strcmp(mxd_bounce_defs[i].id, id) == 0)
            return &mxd_bounce_defs[i];
    return NULL;
}

const mxd_bounce_def *mxd_bounce_lookup(int cls, int subject, int detail)
{
    char key[64];
    const mxd_bounce_def *d;
    if (cls != 2 && cls != 4 && cls != 5)
        return NULL;
    if (subject >= 0 && subject <= 999 && detail >= 0 && detail <= 999) {
        snprintf(key, sizeof key, "bounce.%d.%d.%d", cls, subject, detail);
        if ((d = mxd_bounce_def_find(key)) != NULL)
            return d;
    }
    if (subject >= 0 && subject <= 7) {
        snprintf(key, sizeof key, "bounce.%d.%d", cls, subject);
        if ((d = mxd_bounce_def_find(key)) != NULL)
            return d;
    }
    snprintf(key, sizeof key, "bounce.%d", cls);
    return mxd_bounce_def_find(key);
}

/* 3: the exact code has an entry; 2: its subject; 1: only the class. */
static int specificity(int cls, int subject, int detail)
{
    const mxd_bounce_def *d = mxd_bounce_lookup(cls, subject, detail);
    if (!d)
        return 0;
    int dots = 0;
    for (const char *p = d->id; *p; p++)
        dots += *p == '.';
    return dots;
}

const char *mxd_bounce_mta_name(mxd_bounce_mta m)
{
    static const char *const n[] = { "generic", "postfix", "exim", "exchange", "gmail" };
    return (unsigned)m < sizeof n / sizeof n[0] ? n[m] : "generic";
}

const char *mxd_bounce_source_name(mxd_bounce_source s)
{
    static const char *const n[] = { "log", "dsn", "text", "wording" };
    return (unsigned)s < sizeof n / sizeof n[0] ? n[s] : "text";
}

mxd_severity mxd_bounce_severity(const mxd_bounce_status *s)
{
    if (s->cls == 5)
        return MXD_SEV_FAIL;
    if (s->cls == 4)
        return MXD_SEV_WARN;
    return MXD_SEV_INFO;
}

/* ---- wording ---------------------------------------------------------------- */

/* A phrase (lower case, or Japanese) and, optionally, a second one that must
 * occur too. Earlier entries win, so the specific come before the general. */
typedef struct phrase {
    const char *a, *b;
    signed char subject, detail;
    signed char cls; /* the class to assume when the text has no code at all */
} phrase;

static const phrase status_phrases[] = {
    /* The sender's domain (checked before the recipient wordings they contain). */
    { "sender address rejected", "does not accept mail", 7, 27, 5 },
    { "sender address rejected", "nullmx", 7, 27, 5 },
    { "sender address has null mx", NULL, 7, 27, 5 },
    { "sender address rejected", "not found", 1, 8, 5 },
    { "sender domain", "not found", 1, 8, 5 },
    { "sender domain", "does not exist", 1, 8, 5 },
    { "sender domain must exist", NULL, 1, 8, 5 },
    { "domain of sender address", NULL, 1, 8, 5 },
    /* Null MX on the recipient's side (RFC 7505, RFC 7504 wording). */
    { "null mx", NULL, 1, 10, 5 },
    { "nullmx", NULL, 1, 10, 5 },
    { "does not accept mail", NULL, 1, 10, 5 },
    /* Sender authentication (RFC 7372): DMARC before SPF, which its texts name. */
    { "dmarc", NULL, 7, 26, 5 },
    { "multiple authentication checks", NULL, 7, 26, 5 },
    { "unauthenticated", NULL, 7, 26, 5 },
    { "authenticate with either spf or dkim", NULL, 7, 26, 5 },
    { "spf", NULL, 7, 23, 5 },
    { "sender policy framework", NULL, 7, 23, 5 },
    { "reverse dns", NULL, 7, 25, 5 },
    { "reverse hostname", NULL, 7, 25, 5 },
    { "reverse lookup", NULL, 7, 25, 5 },
    { "cannot find your hostname", NULL, 7, 25, 5 },
    { "ptr record", NULL, 7, 25, 5 },
    { "rdns", NULL, 7, 25, 5 },
    { "逆引き", NULL, 7, 25, 5 },
    { "authentication credentials invalid", NULL, 7, 8, 5 },
    { "username and password not accepted", NULL, 7, 8, 5 },
    { "authentication failed", NULL, 7, 8, 5 },
    { "authentication unsuccessful", NULL, 7, 8, 5 },
    { "incorrect authentication data", NULL, 7, 8, 5 },
    /* Slow down: volume, greylisting, rate limits. */
    { "unusual rate", NULL, 7, 28, 4 },
    { "mail flood", NULL, 7, 28, 4 },
    { "greylist", NULL, 7, 1, 4 },
    { "graylist", NULL, 7, 1, 4 },
    { "grey-list", NULL, 7, 1, 4 },
    { "gray-list", NULL, 7, 1, 4 },
    { "rate limit", NULL, 7, 0, 4 },
    { "ratelimit", NULL, 7, 0, 4 },
    { "rate-limit", NULL, 7, 0, 4 },
    { "too many connections", NULL, 7, 0, 4 },
    { "too many concurrent", NULL, 7, 0, 4 },
    { "too many messages", NULL, 7, 0, 4 },
    { "throttl", NULL, 7, 0, 4 },
    /* Relaying. */
    { "relay access denied", NULL, 7, 1, 5 },
    { "relaying denied", NULL, 7, 1, 5 },
    { "relay not permitted", NULL, 7, 1, 5 },
    { "relaying not permitted", NULL, 7, 1, 5 },
    { "relay not allowed", NULL, 7, 1, 5 },
    { "relaying not allowed", NULL, 7, 1, 5 },
    { "unable to relay", NULL, 7, 1, 5 },
    { "not permitted to relay", NULL, 7, 1, 5 },
    { "relay denied", NULL, 7, 1, 5 },
    { "we do not relay", NULL, 7, 1, 5 },
    /* Routing loops and expiry. */
    { "loops back to myself", NULL, 4, 6, 5 },
    { "mail loop", NULL, 4, 6, 5 },
    { "routing loop", NULL, 4, 6, 5 },
    { "forwarding loop", NULL, 4, 6, 5 },
    { "too many hops", NULL, 4, 6, 5 },
    { "hop count exceeded", NULL, 4, 6, 5 },
    { "loop detected", NULL, 4, 6, 5 },
    { "message expired", NULL, 4, 7, 5 },
    { "delivery time expired", NULL, 4, 7, 5 },
    { "retry timeout exceeded", NULL, 4, 7, 5 },
    { "could not be delivered within", NULL, 4, 7, 5 },
    /* Size. */
    { "message length exceeds", NULL, 2, 3, 5 },
    { "message size exceeds", NULL, 3, 4, 5 },
    { "message too big", NULL, 3, 4, 5 },
    { "message too large", NULL, 3, 4, 5 },
    { "message is too large", NULL, 3, 4, 5 },
    { "message is too big", NULL, 3, 4, 5 },
    { "message file too big", NULL, 3, 4, 5 },
    { "exceeds size limit", NULL, 3, 4, 5 },
    { "size limit", NULL, 3, 4, 5 },
    { "maximum message size", NULL, 3, 4, 5 },
    { "maximum allowed size", NULL, 3, 4, 5 },
    { "サイズが大き", NULL, 3, 4, 5 },
    { "サイズの上限", NULL, 3, 4, 5 },
    { "サイズ制限", NULL, 3, 4, 5 },
    { "サイズを超え", NULL, 3, 4, 5 },
    /* The mailbox. */
    { "mailbox full", NULL, 2, 2, 5 },
    { "mailbox is full", NULL, 2, 2, 5 },
    { "quota", NULL, 2, 2, 5 },
    { "mailbox has exceeded", NULL, 2, 2, 5 },
    { "exceeded storage", NULL, 2, 2, 5 },
    { "out of storage", NULL, 2, 2, 5 },
    { "容量", NULL, 2, 2, 5 },
    { "いっぱい", NULL, 2, 2, 5 },
    { "満杯", NULL, 2, 2, 5 },
    { "mailbox disabled", NULL, 2, 1, 5 },
    { "mailbox is disabled", NULL, 2, 1, 5 },
    { "account disabled", NULL, 2, 1, 5 },
    { "account is disabled", NULL, 2, 1, 5 },
    { "account has been disabled", NULL, 2, 1, 5 },
    { "mailbox inactive", NULL, 2, 1, 5 },
    { "mailbox is inactive", NULL, 2, 1, 5 },
    { "account is inactive", NULL, 2, 1, 5 },
    { "inactive account", NULL, 2, 1, 5 },
    { "inactive user", NULL, 2, 1, 5 },
    { "account has been suspended", NULL, 2, 1, 5 },
    { "account is suspended", NULL, 2, 1, 5 },
    /* The recipient's domain, before the "does not exist" of unknown users. */
    { "domain not found", NULL, 1, 2, 5 },
    { "domain does not exist", NULL, 1, 2, 5 },
    { "domain doesn't exist", NULL, 1, 2, 5 },
    { "no such domain", NULL, 1, 2, 5 },
    { "nonexistentdomain", NULL, 1, 2, 5 },
    { "nonexistent domain", NULL, 1, 2, 5 },
    { "non-existent domain", NULL, 1, 2, 5 },
    { "unrouteable address", NULL, 1, 2, 5 },
    /* Unknown recipients. */
    { "user unknown", NULL, 1, 1, 5 },
    { "unknown user", NULL, 1, 1, 5 },
    { "no such user", NULL, 1, 1, 5 },
    { "user not found", NULL, 1, 1, 5 },
    { "recipient not found", NULL, 1, 1, 5 },
    { "recipientnotfound", NULL, 1, 1, 5 },
    { "unknown recipient", NULL, 1, 1, 5 },
    { "recipient unknown", NULL, 1, 1, 5 },
    { "invalid recipient", NULL, 1, 1, 5 },
    { "no such recipient", NULL, 1, 1, 5 },
    { "no such mailbox", NULL, 1, 1, 5 },
    { "mailbox not found", NULL, 1, 1, 5 },
    { "no mailbox here", NULL, 1, 1, 5 },
    { "address couldn't be found", NULL, 1, 1, 5 },
    { "address could not be found", NULL, 1, 1, 5 },
    { "address not found", NULL, 1, 1, 5 },
    { "does not exist", NULL, 1, 1, 5 },
    { "doesn't exist", NULL, 1, 1, 5 },
    { "not a valid recipient", NULL, 1, 1, 5 },
    { "invalid mailbox", NULL, 1, 1, 5 },
    { "unknown or illegal alias", NULL, 1, 1, 5 },
    { "存在しません", NULL, 1, 1, 5 },
    { "存在しない", NULL, 1, 1, 5 },
    { "見つかりません", NULL, 1, 1, 5 },
    { "宛先不明", NULL, 1, 1, 5 },
    { "アドレス不明", NULL, 1, 1, 5 },
    { "ユーザー不明", NULL, 1, 1, 5 },
    { "ユーザ不明", NULL, 1, 1, 5 },
    { "bad address syntax", NULL, 1, 3, 5 },
    { "address syntax", NULL, 1, 3, 5 },
    { "malformed address", NULL, 1, 3, 5 },
    { "invalid address format", NULL, 1, 3, 5 },
    { "mailbox has moved", NULL, 1, 6, 5 },
    { "user has moved", NULL, 1, 6, 5 },
    /* Spam filters, blocklists, reputation: the broadest, last. */
    { "blocked using", NULL, 7, 1, 5 },
    { "blocklist", NULL, 7, 1, 5 },
    { "blacklist", NULL, 7, 1, 5 },
    { "block list", NULL, 7, 1, 5 },
    { "black list", NULL, 7, 1, 5 },
    { "dnsbl", NULL, 7, 1, 5 },
    { "spamhaus", NULL, 7, 1, 5 },
    { "spamcop", NULL, 7, 1, 5 },
    { "barracuda", NULL, 7, 1, 5 },
    { "listed at", NULL, 7, 1, 5 },
    { "listed on", NULL, 7, 1, 5 },
    { "listed in", NULL, 7, 1, 5 },
    { "banned sending ip", NULL, 7, 1, 5 },
    { "not accepted from this ip", NULL, 7, 1, 5 },
    { "reputation", NULL, 7, 1, 5 },
    { "unsolicited", NULL, 7, 1, 5 },
    { "spam", NULL, 7, 1, 5 },
    { "迷惑メール", NULL, 7, 1, 5 },
    { "受信拒否", NULL, 7, 1, 5 },
    { "policy reasons", NULL, 7, 1, 5 },
    { "rejected by policy", NULL, 7, 1, 5 },
    { "blocked", NULL, 7, 1, 5 },
};

/* Codes some MTAs use against the registry, recognised by their wording. */
static const struct {
    signed char subject, detail;
    const char *phrase;
    signed char to_subject, to_detail;
} reuse[] = {
    /* Microsoft 365: 5.1.10 RESOLVER.ADR.RecipientNotFound is an unknown user,
     * not RFC 7505's null MX. */
    { 1, 10, "recipientnotfound", 1, 1 },
    { 1, 10, "recipient not found", 1, 1 },
    /* Microsoft 365 directory-based edge blocking: 5.4.1 for an unknown user. */
    { 4, 1, "recipient address rejected: access denied", 1, 1 },
};

/* What a sending MTA writes about its own failures, without a code. */
static const struct {
    const char *a, *b;
    const char *id;
} local_phrases[] = {
    { "host not found, try again", NULL, "bounce.local.dns_tempfail" },
    { "host lookup did not complete", NULL, "bounce.local.dns_tempfail" },
    { "temporary failure in name resolution", NULL, "bounce.local.dns_tempfail" },
    { "name service error", "try again", "bounce.local.dns_tempfail" },
    { "servfail", NULL, "bounce.local.dns_tempfail" },
    { "host found but no data record", NULL, "bounce.local.no_address" },
    { "point to non-existent hosts", NULL, "bounce.local.no_address" },
    { "host or domain name not found", NULL, "bounce.local.host_not_found" },
    { "host not found", NULL, "bounce.local.host_not_found" },
    { "unrouteable address", NULL, "bounce.local.host_not_found" },
    { "name or service not known", NULL, "bounce.local.host_not_found" },
    { "nxdomain", NULL, "bounce.local.host_not_found" },
    { "loops back to myself", NULL, "bounce.local.loop" },
    { "mail forwarding loop", NULL, "bounce.local.loop" },
    { "too many hops", NULL, "bounce.local.loop" },
    { "hop count exceeded", NULL, "bounce.local.loop" },
    { "routing loop", NULL, "bounce.local.loop" },
    { "tls is required", NULL, "bounce.local.tls" },
    { "cannot start tls", NULL, "bounce.local.tls" },
    { "tls handshake", NULL, "bounce.local.tls" },
    { "certificate verification failed", NULL, "bounce.local.tls" },
    { "retry timeout exceeded", NULL, "bounce.local.expired" },
    { "message expired", NULL, "bounce.local.expired" },
    { "delivery time expired", NULL, "bounce.local.expired" },
    { "status=expired", NULL, "bounce.local.expired" },
    { "expired, returned to sender", NULL, "bounce.local.expired" },
    { "timed out", NULL, "bounce.local.timeout" },
    { "smtp timeout", NULL, "bounce.local.timeout" },
    { "connection refused", NULL, "bounce.local.refused" },
    { "no route to host", NULL, "bounce.local.no_route" },
    { "network is unreachable", NULL, "bounce.local.no_route" },
    { "lost connection", NULL, "bounce.local.lost_connection" },
    { "connection reset", NULL, "bounce.local.lost_connection" },
};

/* Wording that tells whose text it is. `reply` markers are looked for in a
 * status's own server text, `frame` markers in the whole bounce (first line
 * that has one wins: that is who wrote the bounce). */
typedef struct marker {
    const char *s;
    mxd_bounce_mta mta;
} marker;

static const marker reply_markers[] = {
    { "gsmtp", MXD_MTA_GMAIL },
    { "support.google.com", MXD_MTA_GMAIL },
    { "the email account that you tried to reach", MXD_MTA_GMAIL },
    { "resolver.adr.", MXD_MTA_EXCHANGE },
    { "resolver.rst.", MXD_MTA_EXCHANGE },
    { "smtpsend.", MXD_MTA_EXCHANGE },
    { "protection.outlook.com", MXD_MTA_EXCHANGE },
    { "prod.outlook.com", MXD_MTA_EXCHANGE },
    { "access denied. as(", MXD_MTA_EXCHANGE },
    { "recipient address rejected", MXD_MTA_POSTFIX },
    { "sender address rejected", MXD_MTA_POSTFIX },
    { "client host rejected", MXD_MTA_POSTFIX },
    { "helo command rejected", MXD_MTA_POSTFIX },
    { "relay access denied", MXD_MTA_POSTFIX },
    { "(in reply to ", MXD_MTA_POSTFIX },
    { "loops back to myself", MXD_MTA_POSTFIX },
    { "host or domain name not found", MXD_MTA_POSTFIX },
    { "lost connection with", MXD_MTA_POSTFIX },
    { "conversation with", MXD_MTA_POSTFIX },
    { "smtp error from remote mail server", MXD_MTA_EXIM },
    { "retry timeout exceeded", MXD_MTA_EXIM },
    { "all relevant mx records point", MXD_MTA_EXIM },
};

static const marker frame_markers[] = {
    { "this message was created automatically by mail delivery software", MXD_MTA_EXIM },
    { "smtp error from remote mail server", MXD_MTA_EXIM },
    { "smtp error from remote server", MXD_MTA_EXIM },
    { "mail delivery failed: returning message", MXD_MTA_EXIM },
    { "retry timeout exceeded", MXD_MTA_EXIM },
    { "unrouteable address", MXD_MTA_EXIM },
    { "exim", MXD_MTA_EXIM },
    { " t=remote_smtp", MXD_MTA_EXIM },
    { "this is the mail system at host", MXD_MTA_POSTFIX },
    { "x-postfix", MXD_MTA_POSTFIX },
    { "postfix", MXD_MTA_POSTFIX },
    { "(in reply to ", MXD_MTA_POSTFIX },
    { "status=bounced", MXD_MTA_POSTFIX },
    { "status=deferred", MXD_MTA_POSTFIX },
    { "diagnostic information for administrators", MXD_MTA_EXCHANGE },
    { "delivery has failed to these recipients", MXD_MTA_EXCHANGE },
    { "remote server returned", MXD_MTA_EXCHANGE },
    { "generating server:", MXD_MTA_EXCHANGE },
    { "dsn generated by", MXD_MTA_EXCHANGE },
    { "couldn't be delivered", MXD_MTA_EXCHANGE },
    { "outlook.com", MXD_MTA_EXCHANGE },
    { "microsoft", MXD_MTA_EXCHANGE },
    { "your message wasn't delivered", MXD_MTA_GMAIL },
    { "the response from the remote server was", MXD_MTA_GMAIL },
    { "google.com", MXD_MTA_GMAIL },
    { "gmail", MXD_MTA_GMAIL },
};

/* Where the returned original message starts: nothing after it is read. */
static const char *const stop_markers[] = {
    "content-type: message/rfc822",
    "content-type: text/rfc822-headers",
    "------ this is a copy of the message",
    "----- original message -----",
    "-----original message-----",
    "original message headers:",
    "元のメッセージ",
};

/* ---- small byte helpers ------------------------------------------------------ */

static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
static bool is_space(unsigned char c) { return c == ' ' || c == '\t'; }
static unsigned char lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* Finds needle (NUL-terminated) in hay[0..n); returns its offset or -1. */
static long find(const char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    if (m == 0 || m > n)
        return m == 0 ? 0 : -1;
    const char *end = hay + n - m + 1;
    for (const char *p = hay; p < end;) {
        const char *q = memchr(p, needle[0], (size_t)(end - p));
        if (!q)
            return -1;
        if (memcmp(q, needle, m) == 0)
            return q - hay;
        p = q + 1;
    }
    return -1;
}

static bool has(const char *hay, size_t n, const char *needle)
{
    return find(hay, n, needle) >= 0;
}

static bool starts(const char *s, size_t n, const char *prefix)
{
    size_t m = strlen(prefix);
    return n >= m && memcmp(s, prefix, m) == 0;
}

/* ---- addresses --------------------------------------------------------------- */

/* The local part: ASCII only (internationalised local parts are rare, and
 * allowing UTF-8 here would swallow the Japanese text in front of an address). */
static bool local_char(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || (c && c < 0x80 && strchr("!#$%&'*+/=?^_`{|}~.-", c));
}

static bool domain_char(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || c >= 0x80 || c == '.' || c == '-';
}

/* Full-width forms (U+FF00-FF5F) and CJK punctuation (U+3000-303F) end a
 * domain: "hanako@example.jp）は" or "…@example.jp、". */
static bool cjk_punct(const char *s, size_t n, size_t i)
{
    if (i + 1 >= n)
        return false;
    unsigned char a = (unsigned char)s[i], b = (unsigned char)s[i + 1];
    return (a == 0xE3 && b == 0x80) || (a == 0xEF && (b == 0xBC || b == 0xBD));
}

/* The first plausible address in s[0..n): local@domain with a dot in the
 * domain. Sets *at and *len; false when there is none. Each '@' looks at most
 * 64 bytes left and 255 right, so a line of '@' costs linear time. */
static bool find_addr(const char *s, size_t n, size_t *at, size_t *len)
{
    for (size_t k = 0; k < n; k++) {
        const char *p = memchr(s + k, '@', n - k);
        if (!p)
            return false;
        k = (size_t)(p - s);
        size_t l = k, r = k + 1;
        while (l > 0 && k - l < 64 && local_char((unsigned char)s[l - 1]))
            l--;
        while (l < k && (s[l] == '.' || s[l] == '\'' || s[l] == '`'))
            l++;
        while (r < n && r - k < 255 && domain_char((unsigned char)s[r]) && !cjk_punct(s, n, r))
            r++;
        /* An ASCII last label ends where other text begins: "example.jpのメール". */
        const char *last = NULL;
        for (size_t i = k + 1; i < r; i++)
            if (s[i] == '.')
                last = s + i;
        if (last && last + 1 < s + r && (unsigned char)last[1] < 0x80)
            for (const char *q = last + 1; q < s + r; q++)
                if ((unsigned char)*q >= 0x80) {
                    r = (size_t)(q - s);
                    break;
                }
        while (r > k + 1 && (s[r - 1] == '.' || s[r - 1] == '-'))
            r--;
        if (l == k || r == k + 1)
            continue;
        const char *dot = memchr(p + 1, '.', r - k - 1);
        if (!dot || dot == p + 1)
            continue;
        *at = l;
        *len = r - l;
        return true;
    }
    return false;
}

/* Copies the first address in s[0..n) into out (NUL-terminated). */
static bool take_addr(const char *s, size_t n, char *out, size_t outlen)
{
    size_t at, len;
    if (!find_addr(s, n, &at, &len) || len >= outlen)
        return false;
    memcpy(out, s + at, len);
    out[len] = '\0';
    return true;
}

/* ---- codes ------------------------------------------------------------------- */

typedef struct codehit {
    size_t start, end; /* the span of the code(s) in the line */
    int code;          /* reply code, 0 when none */
    char sep;          /* '-' (more lines follow) or ' ' after the reply code */
    bool has_enh;
    int ecls, esubj, edet;
    char enh[16];
} codehit;

/* Bytes that make a digit part of a longer token (a version, an address). */
static bool tok_char(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || c == '.' || c == '_' || c == '/' || c == '+' || c == '-';
}

/* An enhanced code at s[i]: class 2/4/5, subject and detail 1-3 digits. */
static bool parse_enh(const char *s, size_t n, size_t i, codehit *h, size_t *end)
{
    if (i + 5 > n || (s[i] != '2' && s[i] != '4' && s[i] != '5') || s[i + 1] != '.')
        return false;
    size_t j = i + 2;
    int subj = 0, det = 0, k = 0;
    for (; j < n && is_digit((unsigned char)s[j]) && k < 4; j++, k++)
        subj = subj * 10 + (s[j] - '0');
    if (k == 0 || k > 3 || j >= n || s[j] != '.')
        return false;
    j++;
    for (k = 0; j < n && is_digit((unsigned char)s[j]) && k < 4; j++, k++)
        det = det * 10 + (s[j] - '0');
    if (k == 0 || k > 3)
        return false;
    /* "5.1.1.2" is an address, "4.94.2a" a version: not a code. */
    if (j < n && (is_alpha((unsigned char)s[j]) || is_digit((unsigned char)s[j]) || s[j] == '_'))
        return false;
    if (j + 1 < n && s[j] == '.' && is_digit((unsigned char)s[j + 1]))
        return false;
    h->has_enh = true;
    h->ecls = s[i] - '0';
    h->esubj = subj;
    h->edet = det;
    /* As sent: at most 1+1+3+1+3 = 9 bytes. */
    memcpy(h->enh, s + i, j - i);
    h->enh[j - i] = '\0';
    *end = j;
    return true;
}

/* True when a bare reply code at s[i] stands where a reply is quoted: at the
 * start of the line, after ':' ';' a quote or '(', or after "said",
 * "returned", "error", "reply", "response". */
static bool reply_position(const char *s, size_t i)
{
    size_t j = i;
    while (j > 0 && is_space((unsigned char)s[j - 1]))
        j--;
    if (j == 0)
        return true;
    unsigned char c = (unsigned char)s[j - 1];
    if (c == ':' || c == ';' || c == '\'' || c == '"' || c == '(' || c == '[')
        return true;
    /* full-width colon U+FF1A and 「 U+300C */
    if (j >= 3 && ((memcmp(s + j - 3, "\xEF\xBC\x9A", 3) == 0) ||
                   memcmp(s + j - 3, "\xE3\x80\x8C", 3) == 0))
        return true;
    static const char *const words[] = { "said", "returned", "error", "reply", "response" };
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
        size_t m = strlen(words[w]);
        if (j >= m) {
            size_t k = 0;
            while (k < m && lower((unsigned char)s[j - m + k]) == (unsigned char)words[w][k])
                k++;
            if (k == m && (j == m || !is_alpha((unsigned char)s[j - m - 1])))
                return true;
        }
    }
    return false;
}

/* The next reply code and/or enhanced code in s[from..n). */
static bool find_code(const char *s, size_t n, size_t from, codehit *h)
{
    for (size_t i = from; i + 3 <= n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c != '2' && c != '4' && c != '5')
            continue;
        if (i > 0 && tok_char((unsigned char)s[i - 1]))
            continue;
        memset(h, 0, sizeof *h);
        h->start = i;
        size_t end;
        /* A reply code: 2xx/4xx/5xx with a second digit 0-5. */
        if (is_digit((unsigned char)s[i + 1]) && s[i + 1] <= '5' && is_digit((unsigned char)s[i + 2]) &&
            (i + 3 == n || !(is_alpha((unsigned char)s[i + 3]) || is_digit((unsigned char)s[i + 3]) ||
                             s[i + 3] == '.' || s[i + 3] == '_'))) {
            int code = (s[i] - '0') * 100 + (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
            char sep = i + 3 < n && (s[i + 3] == '-' || s[i + 3] == ' ') ? s[i + 3] : ' ';
            if (i + 4 < n && (s[i + 3] == ' ' || s[i + 3] == '-') && parse_enh(s, n, i + 4, h, &end)) {
                h->code = code;
                h->sep = sep;
                h->end = end;
                return true;
            }
            memset(h, 0, sizeof *h);
            h->start = i;
            bool text_follows = i + 3 == n || s[i + 3] == '\t' ||
                                ((s[i + 3] == ' ' || s[i + 3] == '-') &&
                                 !(i + 4 < n && is_digit((unsigned char)s[i + 4])));
            if (text_follows && reply_position(s, i)) {
                h->code = code;
                h->sep = sep;
                h->end = i + 3;
                return true;
            }
        }
        /* An enhanced code on its own ("Status: 5.1.1", qmail's "#5.1.1",
         * "dsn=5.1.1"): only the registry's subjects, so versions do not count. */
        if (parse_enh(s, n, i, h, &end) && h->esubj <= 7) {
            h->end = end;
            return true;
        }
    }
    return false;
}

/* ---- the decoder's state ----------------------------------------------------- */

typedef struct builder {
    bool active;
    codehit h;      /* the first code; h.sep is updated by continuation lines */
    char text[MXD_BOUNCE_MAX_TEXT + 1];
    size_t tlen;
    char pre[MXD_BOUNCE_MAX_TEXT + 1]; /* the words before the first code */
    size_t plen;
    char rcpt[ADDR_MAX];
} builder;

typedef struct dsn_group {
    char final_rcpt[ADDR_MAX], orig_rcpt[ADDR_MAX];
    char status[32];
    char action[32];
    char diag[MXD_BOUNCE_MAX_LINE + 1];
    size_t diag_n;
    bool has_final, has_orig, has_status, has_diag;
} dsn_group;

typedef struct dec {
    const char *p; /* input, capped */
    size_t len;
    /* logical-line iterator */
    size_t pos;
    bool have_pending;
    size_t pend_b, pend_e;
    int pend_indent;
    bool pend_blank;
    bool stopped;
    size_t lines;
    char line[MXD_BOUNCE_MAX_LINE + 1], lc[MXD_BOUNCE_MAX_LINE + 1];
    size_t n;
    size_t first_n; /* bytes of the first physical line in d->line */
    bool blank_before;
    /* what the first pass learnt */
    bool dsn;
    mxd_bounce_mta frame;
    /* text mode */
    char ctx[ADDR_MAX];
    builder b;
    dsn_group g;
    mxd_bounce *out;
    bool oom;
} dec;

/* ---- logical lines ------------------------------------------------------------ */

/* The next physical line: content after quote marks ("> ") and indentation.
 * Returns false at the end of the input. */
static bool phys(dec *d, size_t *b, size_t *e, int *indent, bool *blank)
{
    if (d->pos >= d->len)
        return false;
    size_t i = d->pos, j = i;
    while (j < d->len && d->p[j] != '\n' && d->p[j] != '\r')
        j++;
    d->pos = j;
    if (d->pos < d->len) {
        if (d->p[d->pos] == '\r' && d->pos + 1 < d->len && d->p[d->pos + 1] == '\n')
            d->pos += 2;
        else
            d->pos++;
    }
    /* Quote marks of a forwarded bounce: "> " or ">>". */
    while (i < j && d->p[i] == '>') {
        i++;
        if (i < j && d->p[i] == ' ')
            i++;
    }
    int ind = 0;
    while (i < j && is_space((unsigned char)d->p[i])) {
        i++;
        ind++;
    }
    while (j > i && (is_space((unsigned char)d->p[j - 1])))
        j--;
    *b = i;
    *e = j;
    *indent = ind;
    *blank = i == j;
    return true;
}

static bool is_stop(const dec *d, size_t b, size_t e)
{
    char head[64];
    size_t n = e - b < sizeof head ? e - b : sizeof head;
    for (size_t i = 0; i < n; i++)
        head[i] = (char)lower((unsigned char)d->p[b + i]);
    for (size_t i = 0; i < sizeof stop_markers / sizeof stop_markers[0]; i++)
        if (starts(head, n, stop_markers[i]))
            return true;
    return false;
}

static void line_append(dec *d, size_t b, size_t e)
{
    if (d->n > 0 && d->n < MXD_BOUNCE_MAX_LINE)
        d->line[d->n++] = ' ';
    size_t room = MXD_BOUNCE_MAX_LINE - d->n, m = e - b < room ? e - b : room;
    memcpy(d->line + d->n, d->p + b, m);
    d->n += m;
}

static void iter_reset(dec *d)
{
    d->pos = 0;
    d->have_pending = false;
    d->stopped = false;
    d->lines = 0;
}

/* The next logical line into d->line / d->lc (d->n bytes); false at the end,
 * at the returned original message, or after MAX_LINES lines. */
static bool next_line(dec *d)
{
    size_t b, e;
    int indent;
    bool blank;
    d->blank_before = false;
    if (d->stopped || d->lines >= MAX_LINES)
        return false;
    for (;;) {
        if (d->have_pending) {
            b = d->pend_b;
            e = d->pend_e;
            indent = d->pend_indent;
            blank = false;
            d->have_pending = false;
            if (d->pend_blank)
                d->blank_before = true;
        } else if (!phys(d, &b, &e, &indent, &blank)) {
            return false;
        }
        if (blank) {
            d->blank_before = true;
            continue;
        }
        if (is_stop(d, b, e)) {
            d->stopped = true;
            return false;
        }
        break;
    }
    d->n = 0;
    line_append(d, b, e);
    d->first_n = d->n;
    int first_indent = indent;
    for (;;) {
        size_t b2, e2;
        int ind2;
        bool blank2;
        if (!phys(d, &b2, &e2, &ind2, &blank2))
            break;
        if (blank2) {
            /* Remember the blank line for the next logical line. */
            d->pend_blank = true;
            d->have_pending = false;
            /* Find the next non-blank line to keep as pending. */
            size_t b3, e3;
            int ind3;
            bool blank3;
            while (phys(d, &b3, &e3, &ind3, &blank3)) {
                if (!blank3) {
                    d->have_pending = true;
                    d->pend_b = b3;
                    d->pend_e = e3;
                    d->pend_indent = ind3;
                    break;
                }
            }
            break;
        }
        if (ind2 > first_indent && !is_stop(d, b2, e2)) {
            line_append(d, b2, e2);
            continue;
        }
        d->have_pending = true;
        d->pend_b = b2;
        d->pend_e = e2;
        d->pend_indent = ind2;
        d->pend_blank = false;
        break;
    }
    for (size_t i = 0; i < d->n; i++)
        d->lc[i] = (char)lower((unsigned char)d->line[i]);
    d->line[d->n] = d->lc[d->n] = '\0';
    d->lines++;
    return true;
}

/* ---- meaning ------------------------------------------------------------------ */

static bool phrase_in(const char *lc, size_t n, const char *a, const char *b)
{
    return has(lc, n, a) && (!b || has(lc, n, b));
}

static mxd_bounce_mta reply_mta(const char *lc, size_t n)
{
    for (size_t i = 0; i < sizeof reply_markers / sizeof reply_markers[0]; i++)
        if (has(lc, n, reply_markers[i].s))
            return reply_markers[i].mta;
    return MXD_MTA_GENERIC;
}

static mxd_bounce_mta frame_mta(const char *lc, size_t n)
{
    for (size_t i = 0; i < sizeof frame_markers / sizeof frame_markers[0]; i++)
        if (has(lc, n, frame_markers[i].s))
            return frame_markers[i].mta;
    return MXD_MTA_GENERIC;
}

typedef struct meaning {
    const mxd_bounce_def *def;
    int cls, subject, detail;
    bool inferred;
} meaning;

/* Decides the meaning of one status from its codes and its (lower-case) text.
 * force_cls (0 when unknown) is the class a log line's status= word implies. */
static bool decide(int code, const codehit *enh, const char *lc, size_t n, int force_cls, meaning *m)
{
    int cls = 0, s = -1, dt = -1;
    memset(m, 0, sizeof *m);
    if (enh && enh->has_enh) {
        cls = enh->ecls;
        s = enh->esubj;
        dt = enh->edet;
    } else if (code) {
        cls = code / 100;
        /* Reply codes with one meaning (RFC 7504 for 521/556; RFC 4954 for 535). */
        switch (code) {
        case 556: s = 1; dt = 10; break;
        case 521: s = 3; dt = 2; break;
        case 535: s = 7; dt = 8; break;
        case 530: s = 7; dt = 0; break;
        default: break;
        }
    }
    if (cls == 0) {
        /* No code at all: a sending MTA's own error, or known wording. */
        for (size_t i = 0; i < sizeof local_phrases / sizeof local_phrases[0]; i++) {
            if (phrase_in(lc, n, local_phrases[i].a, local_phrases[i].b)) {
                m->def = mxd_bounce_def_find(local_phrases[i].id);
                m->cls = force_cls ? force_cls : m->def->cls;
                m->subject = m->detail = -1;
                m->inferred = true;
                return true;
            }
        }
        for (size_t i = 0; i < sizeof status_phrases / sizeof status_phrases[0]; i++) {
            const phrase *ph = &status_phrases[i];
            if (phrase_in(lc, n, ph->a, ph->b)) {
                m->cls = force_cls ? force_cls : ph->cls;
                m->subject = ph->subject;
                m->detail = ph->detail;
                m->def = mxd_bounce_lookup(m->cls, m->subject, m->detail);
                m->inferred = true;
                return m->def != NULL;
            }
        }
        if (!force_cls)
            return false;
        m->cls = force_cls;
        m->subject = m->detail = -1;
        m->def = mxd_bounce_lookup(force_cls, -1, -1);
        m->inferred = true;
        return m->def != NULL;
    }
    if (cls != 2) {
        bool done = false;
        for (size_t i = 0; i < sizeof reuse / sizeof reuse[0] && !done; i++) {
            if (s == reuse[i].subject && dt == reuse[i].detail && has(lc, n, reuse[i].phrase)) {
                s = reuse[i].to_subject;
                dt = reuse[i].to_detail;
                done = true;
            }
        }
        /* Generic codes take the meaning of unmistakable wording, but only if
         * that says more than the code did. */
        int level = specificity(cls, s, dt);
        bool generic = s < 1 || dt == 0 || level < 3 || (s == 7 && dt == 1);
        for (size_t i = 0; i < sizeof status_phrases / sizeof status_phrases[0] && !done && generic;
             i++) {
            const phrase *ph = &status_phrases[i];
            if (s >= 1 && ph->subject != s)
                continue;
            if (!phrase_in(lc, n, ph->a, ph->b))
                continue;
            int nl = specificity(cls, ph->subject, ph->detail);
            if (nl > level || (nl == 3 && level == 3)) {
                s = ph->subject;
                dt = ph->detail;
            }
            done = true;
        }
    }
    m->cls = cls;
    m->subject = s;
    m->detail = dt;
    m->def = mxd_bounce_lookup(cls, s, dt);
    return m->def != NULL;
}

/* ---- statuses ------------------------------------------------------------------ */

/* Cleans a server text in place: drops Postfix's "(in reply to ... command)",
 * surrounding quotes and colons, and folds runs of white space. */
static size_t clean_text(char *t, size_t n)
{
    for (;;) {
        char lc[MXD_BOUNCE_MAX_TEXT + 1];
        size_t m = n < MXD_BOUNCE_MAX_TEXT ? n : MXD_BOUNCE_MAX_TEXT;
        for (size_t i = 0; i < m; i++)
            lc[i] = (char)lower((unsigned char)t[i]);
        long at = find(lc, m, "(in reply to ");
        if (at < 0)
            break;
        const char *close = memchr(t + at, ')', n - (size_t)at);
        size_t to = close ? (size_t)(close - t) + 1 : n;
        memmove(t + at, t + to, n - to);
        n -= to - (size_t)at;
    }
    size_t w = 0;
    bool sp = true; /* drops leading spaces too */
    for (size_t r = 0; r < n; r++) {
        unsigned char c = (unsigned char)t[r];
        if (is_space(c) || c == '\n' || c == '\r') {
            if (!sp)
                t[w++] = ' ';
            sp = true;
            continue;
        }
        t[w++] = (char)c;
        sp = false;
    }
    n = w;
    size_t b = 0;
    while (b < n && (t[b] == ':' || t[b] == ' ' || t[b] == '-'))
        b++;
    while (n > b && t[n - 1] == ' ')
        n--;
    /* A quote left over from "returned '550 ...'" is unbalanced: drop it. */
    for (int q = 0; q < 2; q++) {
        char qc = q ? '"' : '\'';
        size_t count = 0;
        for (size_t i = b; i < n; i++)
            count += t[i] == qc;
        if (count % 2 == 1 && n > b && t[n - 1] == qc)
            n--;
        else if (count % 2 == 1 && n > b && t[b] == qc)
            b++;
    }
    memmove(t, t + b, n - b);
    return n - b;
}

static char *sanitize_opt(const char *s, size_t n, size_t max_out)
{
    if (!s || n == 0)
        return NULL;
    return mxd_sanitize(s, n, 0, max_out);
}

static void status_free(mxd_bounce_status *s)
{
    free(s->recipient);
    free(s->server_text);
}

/* Adds a status, or merges it into an equal one said earlier. Takes ownership
 * of st's strings. */
static void add_status(dec *d, mxd_bounce_status *st)
{
    mxd_bounce *b = d->out;
    for (size_t i = 0; i < b->n; i++) {
        mxd_bounce_status *e = &b->v[i];
        if (e->id != st->id || e->code != st->code || strcmp(e->enhanced, st->enhanced) != 0 ||
            e->cls != st->cls)
            continue;
        if (e->recipient && st->recipient && strcmp(e->recipient, st->recipient) != 0)
            continue;
        if (!e->recipient) {
            e->recipient = st->recipient;
            st->recipient = NULL;
        }
        if (!e->server_text) {
            e->server_text = st->server_text;
            st->server_text = NULL;
        }
        status_free(st);
        return;
    }
    if (b->n >= MXD_BOUNCE_MAX_STATUSES) {
        b->capped = true;
        status_free(st);
        return;
    }
    if (b->n % 8 == 0) {
        mxd_bounce_status *nv = realloc(b->v, (b->n + 8) * sizeof *nv);
        if (!nv) {
            d->oom = true;
            status_free(st);
            return;
        }
        b->v = nv;
    }
    b->v[b->n++] = *st;
}

/* Builds one status. text (n bytes, raw) is the server's words, rcpt the
 * recipient (may be NULL); ctx_lc/ctx_n is extra lower-case text for the
 * meaning (the whole line or diagnostic) besides the server words. */
static void emit(dec *d, mxd_bounce_source src, int code, const codehit *enh, const char *rcpt,
                 char *text, size_t n, const char *ctx_lc, size_t ctx_n, int force_cls,
                 mxd_bounce_mta fallback_mta)
{
    n = clean_text(text, n);
    char lc[MXD_BOUNCE_MAX_LINE + 1];
    size_t ln = 0;
    for (size_t i = 0; i < n && ln < MXD_BOUNCE_MAX_LINE; i++)
        lc[ln++] = (char)lower((unsigned char)text[i]);
    if (ctx_lc && ln < MXD_BOUNCE_MAX_LINE) {
        lc[ln++] = ' ';
        size_t m = ctx_n < MXD_BOUNCE_MAX_LINE - ln ? ctx_n : MXD_BOUNCE_MAX_LINE - ln;
        memcpy(lc + ln, ctx_lc, m);
        ln += m;
    }
    lc[ln] = '\0';

    meaning m;
    if (!decide(code, enh, lc, ln, force_cls, &m))
        return;
    mxd_bounce_status st;
    memset(&st, 0, sizeof st);
    st.code = code;
    if (enh && enh->has_enh)
        snprintf(st.enhanced, sizeof st.enhanced, "%s", enh->enh);
    st.cls = m.cls;
    st.subject = m.subject;
    st.detail = m.detail;
    st.id = m.def->id;
    st.step = m.def->step;
    st.about_sender = m.def->about_sender;
    st.permanent = m.cls == 5;
    st.inferred = m.inferred;
    st.source = src;
    /* The server's own words name the MTA best; then the line around them. */
    st.mta = reply_mta(lc, n);
    if (st.mta == MXD_MTA_GENERIC)
        st.mta = reply_mta(lc, ln);
    if (st.mta == MXD_MTA_GENERIC)
        st.mta = fallback_mta;

    char addr[ADDR_MAX];
    bool sender_text = has(lc, n, "sender address rejected") || has(lc, n, "mail from");
    if (rcpt && *rcpt)
        st.recipient = mxd_sanitize(rcpt, strlen(rcpt), 0, ADDR_MAX);
    else if (!sender_text && take_addr(text, n, addr, sizeof addr))
        st.recipient = mxd_sanitize(addr, strlen(addr), 0, ADDR_MAX);
    st.server_text = sanitize_opt(text, n, MXD_BOUNCE_MAX_TEXT);
    if ((rcpt && *rcpt && !st.recipient) || (n && !st.server_text)) {
        d->oom = true;
        status_free(&st);
        return;
    }
    add_status(d, &st);
}

/* ---- context: who the next status is about ------------------------------------ */

/* The recipient a line introduces, if any (see bounce.h). */
static bool context_recipient(const dec *d, char *out, size_t outlen)
{
    const char *s = d->line, *lc = d->lc;
    size_t n = d->n, at, len;
    long k;
    /* Postfix: "<a@example.jp>: host ..." or "<a@x> (expanded from <b@y>): ..." */
    if (n > 0 && s[0] == '<') {
        const char *close = memchr(s, '>', n);
        if (close && find_addr(s + 1, (size_t)(close - s - 1), &at, &len) && at == 0 &&
            len == (size_t)(close - s - 1)) {
            size_t after = (size_t)(close - s) + 1;
            if (after == n || s[after] == ':' || starts(lc + after, n - after, " (expanded from"))
                return take_addr(s + 1, len, out, outlen);
        }
    }
    /* Exim and Exchange: the address alone on its (first physical) line. */
    size_t fn = d->first_n;
    if (find_addr(s, fn, &at, &len)) {
        size_t i = 0;
        while (i < at && (s[i] == '<' || is_space((unsigned char)s[i])))
            i++;
        size_t j = at + len;
        while (j < fn && (s[j] == '>' || s[j] == ':' || is_space((unsigned char)s[j])))
            j++;
        if (i == at && j == fn)
            return take_addr(s + at, len, out, outlen);
    }
    /* Exim log: "** a@x ..." (failed), "== a@x ..." (deferred). */
    if (starts(s, n, "** ") || starts(s, n, "== "))
        return take_addr(s + 3, n - 3, out, outlen);
    static const char *const leads[] = { "rcpt to:", "to=<", "final-recipient:", "delivered to ",
                                         "message to ", "deliver to ", "delivery to ",
                                         "recipient:", "recipient address:" };
    for (size_t i = 0; i < sizeof leads / sizeof leads[0]; i++)
        if ((k = find(lc, n, leads[i])) >= 0 &&
            take_addr(s + k + strlen(leads[i]), n - (size_t)k - strlen(leads[i]), out, outlen))
            return true;
    /* Japanese: 宛先 (recipient), 配信 (delivery), 届 (arrive). */
    if ((has(s, n, "宛先") || has(s, n, "配信") || has(s, n, "届")) && take_addr(s, n, out, outlen))
        return true;
    return false;
}

/* ---- pass 1: what kind of text this is ------------------------------------------- */

static bool dsn_status_line(const dec *d)
{
    if (!starts(d->lc, d->n, "status:"))
        return false;
    size_t i = 7;
    while (i < d->n && is_space((unsigned char)d->lc[i]))
        i++;
    codehit h;
    size_t end;
    return parse_enh(d->line, d->n, i, &h, &end);
}

static void first_pass(dec *d)
{
    bool framed = false;
    iter_reset(d);
    while (next_line(d)) {
        if (dsn_status_line(d))
            d->dsn = true;
        if (!framed) {
            mxd_bounce_mta f = frame_mta(d->lc, d->n);
            if (f != MXD_MTA_GENERIC) {
                d->frame = f;
                framed = true;
            }
        }
        if (!d->out->sender) {
            static const char *const leads[] = { "x-postfix-sender:", "from=<", "mail from:<",
                                                 "mail from: <" };
            char addr[ADDR_MAX];
            for (size_t i = 0; i < sizeof leads / sizeof leads[0]; i++) {
                long k = find(d->lc, d->n, leads[i]);
                if (k < 0)
                    continue;
                /* Inside the brackets only: "MAIL FROM:<>" names no sender. */
                const char *v = d->line + k + strlen(leads[i]);
                size_t vn = d->n - (size_t)k - strlen(leads[i]);
                const char *close = memchr(v, '>', vn);
                if (close)
                    vn = (size_t)(close - v);
                if (take_addr(v, vn, addr, sizeof addr)) {
                    d->out->sender = mxd_sanitize(addr, strlen(addr), 0, ADDR_MAX);
                    if (!d->out->sender)
                        d->oom = true;
                    break;
                }
            }
        }
    }
}

/* ---- Postfix log lines ------------------------------------------------------------ */

static bool log_line(dec *d)
{
    long st = find(d->lc, d->n, "status=");
    long to = find(d->lc, d->n, "to=<");
    if (st < 0 || to < 0)
        return false;
    const char *s = d->line, *lc = d->lc;
    size_t n = d->n;
    char rcpt[ADDR_MAX] = "";
    take_addr(s + to + 4, n - (size_t)to - 4, rcpt, sizeof rcpt);
    int force = 0;
    const char *w = lc + st + 7;
    size_t wn = n - (size_t)st - 7;
    if (starts(w, wn, "bounced") || starts(w, wn, "expired") || starts(w, wn, "undeliverable"))
        force = 5;
    else if (starts(w, wn, "deferred"))
        force = 4;
    else if (starts(w, wn, "sent") || starts(w, wn, "deliverable"))
        force = 2;
    /* The reason: from the '(' after status=word to the last ')' (or the end);
     * without one, the words after status=. */
    char text[MXD_BOUNCE_MAX_TEXT + 1];
    const char *open = memchr(s + st, '(', n - (size_t)st);
    const char *tb = open ? open + 1 : s + st + 7, *te = s + n;
    if (open) {
        const char *close = te;
        while (close > tb && close[-1] != ')')
            close--;
        if (close > tb)
            te = close - 1;
    }
    size_t tn = (size_t)(te - tb) < MXD_BOUNCE_MAX_TEXT ? (size_t)(te - tb) : MXD_BOUNCE_MAX_TEXT;
    memcpy(text, tb, tn);
    /* The enhanced code from dsn=, the reply code from the reason. */
    codehit enh, h;
    memset(&enh, 0, sizeof enh);
    long k = find(lc, n, "dsn=");
    size_t end;
    if (k >= 0)
        parse_enh(s, n, (size_t)k + 4, &enh, &end);
    int code = 0;
    size_t from = 0;
    if (tn && find_code(text, tn, 0, &h)) {
        code = h.code;
        if (!enh.has_enh && h.has_enh)
            enh = h;
        from = h.end;
    }
    /* Keep what the remote server said, after "said:" and its code. */
    char reason[MXD_BOUNCE_MAX_TEXT + 1];
    size_t rn = tn - from;
    memcpy(reason, text + from, rn);
    emit(d, MXD_BOUNCE_SRC_LOG, code, &enh, rcpt, code ? reason : text, code ? rn : tn, NULL, 0,
         force, MXD_MTA_POSTFIX);
    return true;
}

/* ---- RFC 3464 ----------------------------------------------------------------------- */

/* Strips an RFC 3464 type ("rfc822;", "smtp;", "X-Postfix;") from a value. */
static const char *skip_type(const char *v, size_t *n)
{
    const char *semi = memchr(v, ';', *n < 32 ? *n : 32);
    if (semi) {
        bool word = true;
        for (const char *p = v; p < semi; p++)
            word = word && (is_alpha((unsigned char)*p) || is_digit((unsigned char)*p) ||
                            *p == '-' || *p == '_');
        if (word) {
            *n -= (size_t)(semi + 1 - v);
            v = semi + 1;
        }
    }
    while (*n > 0 && is_space((unsigned char)*v)) {
        v++;
        (*n)--;
    }
    return v;
}

static void copy_val(char *dst, size_t dstlen, const char *v, size_t n)
{
    v = skip_type(v, &n);
    size_t m = n < dstlen - 1 ? n : dstlen - 1;
    memcpy(dst, v, m);
    dst[m] = '\0';
}

static void dsn_flush(dec *d)
{
    dsn_group *g = &d->g;
    if (g->has_status || g->has_diag) {
        codehit st, h, enh;
        memset(&st, 0, sizeof st);
        memset(&enh, 0, sizeof enh);
        size_t end;
        if (g->has_status)
            parse_enh(g->status, strlen(g->status), 0, &st, &end);
        /* The diagnostic: its code, then the words after it, with the codes
         * of a multi-line reply left out. */
        size_t dn = g->diag_n;
        const char *dv = skip_type(g->diag, &dn);
        char text[MXD_BOUNCE_MAX_TEXT + 1];
        size_t tn = 0;
        int code = 0;
        size_t pos = 0;
        bool first = true;
        while (pos < dn && find_code(dv, dn, pos, &h)) {
            if (first) {
                /* Words before the first code are the MTA's, not the server's. */
                code = h.code;
                if (h.has_enh)
                    enh = h;
                first = false;
            } else {
                bool same = (code && h.code == code) ||
                            (!code && !h.code && h.has_enh && enh.has_enh && strcmp(h.enh, enh.enh) == 0);
                if (!same)
                    break;
                size_t m = h.start - pos;
                if (tn + m > MXD_BOUNCE_MAX_TEXT)
                    m = MXD_BOUNCE_MAX_TEXT - tn;
                memcpy(text + tn, dv + pos, m);
                tn += m;
            }
            pos = h.end;
        }
        size_t rest = dn - pos;
        if (tn + rest > MXD_BOUNCE_MAX_TEXT)
            rest = MXD_BOUNCE_MAX_TEXT - tn;
        memcpy(text + tn, dv + pos, rest);
        tn += rest;
        /* Status is the authority, unless it says only X.0.0 and the server
         * said more in the same class. */
        const codehit *use = &enh;
        if (st.has_enh && !(st.esubj == 0 && st.edet == 0 && enh.has_enh && enh.ecls == st.ecls))
            use = &st;
        int force = 0;
        if (!use->has_enh && !code) {
            if (starts(g->action, strlen(g->action), "failed"))
                force = 5;
            else if (starts(g->action, strlen(g->action), "delayed"))
                force = 4;
        }
        char dlc[MXD_BOUNCE_MAX_LINE + 1];
        for (size_t i = 0; i < dn; i++)
            dlc[i] = (char)lower((unsigned char)dv[i]);
        const char *rcpt = g->has_final ? g->final_rcpt : g->has_orig ? g->orig_rcpt : NULL;
        emit(d, MXD_BOUNCE_SRC_DSN, code, use, rcpt, text, tn, dlc, dn, force, d->frame);
    }
    memset(g, 0, sizeof *g);
}

static void dsn_line(dec *d)
{
    dsn_group *g = &d->g;
    if (d->blank_before && (g->has_status || g->has_diag || g->has_final))
        dsn_flush(d);
    const char *colon = memchr(d->line, ':', d->n < 40 ? d->n : 40);
    if (!colon)
        return;
    size_t fn = (size_t)(colon - d->line);
    const char *v = colon + 1;
    size_t vn = d->n - fn - 1;
    while (vn > 0 && is_space((unsigned char)*v)) {
        v++;
        vn--;
    }
    const char *f = d->lc;
    if (fn == 15 && starts(f, fn, "final-recipient")) {
        if (g->has_final)
            dsn_flush(d);
        copy_val(g->final_rcpt, sizeof g->final_rcpt, v, vn);
        g->has_final = true;
    } else if (fn == 18 && starts(f, fn, "original-recipient")) {
        if (g->has_final || g->has_orig)
            dsn_flush(d);
        copy_val(g->orig_rcpt, sizeof g->orig_rcpt, v, vn);
        g->has_orig = true;
    } else if (fn == 6 && starts(f, fn, "status")) {
        if (g->has_status)
            dsn_flush(d);
        copy_val(g->status, sizeof g->status, v, vn);
        g->has_status = true;
    } else if (fn == 6 && starts(f, fn, "action")) {
        copy_val(g->action, sizeof g->action, v, vn);
        for (char *p = g->action; *p; p++)
            *p = (char)lower((unsigned char)*p);
    } else if (fn == 15 && starts(f, fn, "diagnostic-code")) {
        size_t m = vn < MXD_BOUNCE_MAX_LINE ? vn : MXD_BOUNCE_MAX_LINE;
        memcpy(g->diag, v, m);
        g->diag[m] = '\0';
        g->diag_n = m;
        g->has_diag = true;
    }
}

/* ---- plain text ---------------------------------------------------------------------- */

static void text_append(builder *b, const char *s, size_t n)
{
    if (n == 0)
        return;
    if (b->tlen > 0 && b->tlen < MXD_BOUNCE_MAX_TEXT)
        b->text[b->tlen++] = ' ';
    size_t room = MXD_BOUNCE_MAX_TEXT - b->tlen, m = n < room ? n : room;
    memcpy(b->text + b->tlen, s, m);
    b->tlen += m;
}

static void text_finish(dec *d)
{
    builder *b = &d->b;
    if (!b->active)
        return;
    b->active = false;
    /* qmail and others put the code last: "No mailbox here by that name.
     * (#5.1.1)". With nothing but punctuation after it, the words before it
     * are the server's. */
    size_t letters = 0;
    for (size_t i = 0; i < b->tlen; i++)
        letters += is_alpha((unsigned char)b->text[i]) || (unsigned char)b->text[i] >= 0x80;
    if (letters == 0 && b->plen > 0) {
        while (b->plen > 0 && (b->pre[b->plen - 1] == '(' || b->pre[b->plen - 1] == '#' ||
                               is_space((unsigned char)b->pre[b->plen - 1])))
            b->plen--;
        memcpy(b->text, b->pre, b->plen);
        b->tlen = b->plen;
    }
    emit(d, MXD_BOUNCE_SRC_TEXT, b->h.code, &b->h, b->rcpt, b->text, b->tlen, NULL, 0, 0, d->frame);
}

static void text_line(dec *d)
{
    builder *b = &d->b;
    char addr[ADDR_MAX];
    if (d->blank_before)
        text_finish(d);
    if (context_recipient(d, addr, sizeof addr)) {
        text_finish(d);
        snprintf(d->ctx, sizeof d->ctx, "%s", addr);
    }
    size_t pos = 0;
    bool any = false;
    codehit h;
    while (pos < d->n && find_code(d->line, d->n, pos, &h)) {
        any = true;
        /* "550-5.1.1 ... 550 5.1.1 ...": the same reply goes on. */
        if (b->active && b->h.sep == '-' && h.code == b->h.code &&
            (!h.has_enh || !b->h.has_enh || strcmp(h.enh, b->h.enh) == 0)) {
            text_append(b, d->line + pos, h.start - pos);
            b->h.sep = h.sep;
        } else if (b->active && !h.code && h.has_enh && b->h.has_enh &&
                   strcmp(h.enh, b->h.enh) == 0) {
            /* The reply names its own code again ("... go to 5.7.8 https://"). */
            text_append(b, d->line + pos, h.start - pos);
        } else {
            text_finish(d);
            memset(b, 0, sizeof *b);
            b->active = true;
            b->h = h;
            snprintf(b->rcpt, sizeof b->rcpt, "%s", d->ctx);
            if (!h.code) {
                b->plen = h.start - pos < MXD_BOUNCE_MAX_TEXT ? h.start - pos : MXD_BOUNCE_MAX_TEXT;
                memcpy(b->pre, d->line + pos, b->plen);
            }
        }
        pos = h.end;
    }
    if (any)
        text_append(b, d->line + pos, d->n - pos);
    else
        text_finish(d);
}

/* ---- wording only ---------------------------------------------------------------------- */

static void wording_pass(dec *d)
{
    char addr[ADDR_MAX];
    d->ctx[0] = '\0';
    iter_reset(d);
    while (next_line(d)) {
        if (context_recipient(d, addr, sizeof addr))
            snprintf(d->ctx, sizeof d->ctx, "%s", addr);
        char text[MXD_BOUNCE_MAX_TEXT + 1];
        size_t tn = d->n < MXD_BOUNCE_MAX_TEXT ? d->n : MXD_BOUNCE_MAX_TEXT;
        memcpy(text, d->line, tn);
        emit(d, MXD_BOUNCE_SRC_WORDING, 0, NULL, d->ctx, text, tn, d->lc, d->n, 0, d->frame);
    }
}

/* ---- entry points ------------------------------------------------------------------------ */

int mxd_bounce_parse(const void *text, size_t len, mxd_bounce *out)
{
    memset(out, 0, sizeof *out);
    dec *d = calloc(1, sizeof *d);
    if (!d)
        return -1;
    d->out = out;
    d->p = text ? text : "";
    d->len = text ? len : 0;
    if (d->len > MXD_BOUNCE_MAX_INPUT) {
        d->len = MXD_BOUNCE_MAX_INPUT;
        out->truncated = true;
    }
    /* A MIME message is read as the text of its parts (mime.h); anything else
     * as it is. */
    mxd_mime_text mt;
    int m = mxd_mime_decode(d->p, d->len, MXD_BOUNCE_MAX_INPUT, &mt);
    if (m < 0)
        d->oom = true;
    if (m > 0) {
        d->p = mt.text;
        d->len = mt.len;
        out->mime = true;
        if (mt.flags & MXD_MIME_TRUNCATED)
            out->truncated = true;
    }
    first_pass(d);
    iter_reset(d);
    while (next_line(d)) {
        if (log_line(d)) {
            text_finish(d);
            continue;
        }
        if (d->dsn)
            dsn_line(d);
        else
            text_line(d);
    }
    if (d->dsn)
        dsn_flush(d);
    else
        text_finish(d);
    if (out->n == 0)
        wording_pass(d);
    int rc = d->oom ? -1 : 0;
    free(d);
    mxd_mime_text_free(&mt);
    return rc;
}

void mxd_bounce_free(mxd_bounce *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++)
        status_free(&b->v[i]);
    free(b->v);
    free(b->sender);
    memset(b, 0, sizeof *b);
}
