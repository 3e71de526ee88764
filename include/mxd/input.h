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

/* Normalises typed (NUL-terminated UTF-8, any length) into *out.
 * On error, out->detail says what was wrong; the rest of *out is unspecified. */
mxd_input_status mxd_input_normalize(const char *typed, mxd_input *out);

/* The help-catalog key of the message for a status ("input.empty", ...). */
const char *mxd_input_status_key(mxd_input_status st);

#endif
