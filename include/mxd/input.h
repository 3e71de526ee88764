/* input.h — turn what the user typed into the domain to diagnose.
 *
 * People paste e-mail addresses (user@例え.jp), URLs (https://example.com/path),
 * full-width text (ｅｘａｍｐｌｅ．ｃｏｍ, ＠), Unicode (IDN) and trailing dots.
 * All of them become one lower-case ASCII domain (UTS #46 via libidn2) plus its
 * Unicode form, or a precise reason why not. Pure: no I/O, no DNS.
 */
#ifndef MXD_INPUT_H
#define MXD_INPUT_H

#include <stddef.h>

typedef enum {
    MXD_IN_OK = 0,
    MXD_IN_EMPTY,          /* nothing but spaces */
    MXD_IN_TOO_LONG,       /* the name is over 253 octets in ASCII form */
    MXD_IN_LABEL_TOO_LONG, /* a label is over 63 octets */
    MXD_IN_EMPTY_LABEL,    /* ".." or a leading dot */
    MXD_IN_BAD_CHAR,       /* a character not allowed in a host name */
    MXD_IN_IP_ADDRESS,     /* an IPv4/IPv6 address or [address-literal] */
    MXD_IN_SINGLE_LABEL,   /* "example" with no dot */
    MXD_IN_NO_DOMAIN,      /* "user@" or a URL with no host */
    MXD_IN_IDN_INVALID,    /* UTS #46 / IDNA2008 refused it (detail says why) */
    MXD_IN_COUNT
} mxd_input_status;

typedef enum { MXD_KIND_DOMAIN, MXD_KIND_EMAIL, MXD_KIND_URL } mxd_input_kind;

typedef struct mxd_input {
    char ascii[256];    /* "xn--r8jz45g.jp": lower case, no trailing dot */
    char unicode[1024]; /* "例え.jp" (same as ascii when not an IDN) */
    char local_part[256]; /* "user" when an e-mail address was given, else "" */
    mxd_input_kind kind;
    char detail[160];   /* for errors: the offending label or character, sanitised */
} mxd_input;

/* What out->detail holds for each status (language-neutral, so that both the
 * Japanese and the English message can show it as {detail}; always sanitised,
 * at most 159 bytes, labels quoted to about 48 bytes and cut with "…"):
 *   EMPTY           ""
 *   TOO_LONG        the name's length in ASCII octets ("254"), or "4096+" when
 *                   the input was over 4096 bytes and was not looked at
 *   LABEL_TOO_LONG  the label and its ASCII length: "aaaa…a (64)", or "(>63)"
 *   EMPTY_LABEL     the name as typed: "a..b"
 *   BAD_CHAR        label and code point: `_dmarc: U+005F "_"`, `exa mple: U+0020`
 *                   (glyph only when visible); invalid UTF-8 as `\xC0`
 *   IP_ADDRESS      the address as typed: "192.0.2.1", "[IPv6:2001:db8::1]"
 *   SINGLE_LABEL    the label: "localhost"
 *   NO_DOMAIN       the input as typed: "user@"
 *   IDN_INVALID     label and libidn2's reason (English, from idn2_strerror):
 *                   "xn--zz: string contains invalid punycode data"
 * out->ascii, out->unicode, out->local_part and out->kind are set on MXD_IN_OK;
 * local_part has full-width ASCII folded ("ＵＳＥＲ＠…" gives "USER") and is cut
 * at a character boundary if over 255 bytes. */

/* Normalises typed (NUL-terminated UTF-8, any length; borrowed, not kept) into
 * *out (caller-owned). Only the first 4097 bytes are ever read. On error,
 * out->detail says what was wrong; the rest of *out is unspecified. NULL typed
 * gives MXD_IN_EMPTY. Pure: no I/O, no DNS, no state; safe from any thread. */
mxd_input_status mxd_input_normalize(const char *typed, mxd_input *out);

/* The help-catalog key of the message for a status ("msg.input.empty", ...):
 * a static string, or NULL for MXD_IN_OK and values out of range. */
const char *mxd_input_status_key(mxd_input_status st);

#endif
