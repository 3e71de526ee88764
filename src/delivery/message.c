/* message.c — addresses and the test message (see delivery.h). Pure, except
 * mxd_delivery_new_id() which reads the kernel's random numbers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <openssl/evp.h>

#include "mxd/delivery.h"
#include "mxd/input.h"
#include "mxd/strbuf.h"

/* Characters of an unquoted local part we accept: RFC 5322 atext and '.', which
 * covers every address people type; anything that could end the SMTP path or
 * the command (space, '<', '>', CR, LF) is out. */
static bool local_char(unsigned char c)
{
    if (c >= 'a' && c <= 'z')
        return true;
    if (c >= 'A' && c <= 'Z')
        return true;
    if (c >= '0' && c <= '9')
        return true;
    return strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL && c != '\0';
}

bool mxd_delivery_address(const char *in, char *out, size_t cap, char *domain, size_t dcap)
{
    if (!in)
        return false;
    const char *at = strrchr(in, '@');
    if (!at || at == in || !at[1])
        return false;
    size_t llen = (size_t)(at - in);
    if (llen > 64 || in[0] == '.' || in[llen - 1] == '.')
        return false;
    for (size_t i = 0; i < llen; i++) {
        if (!local_char((unsigned char)in[i]))
            return false;
        if (in[i] == '.' && in[i + 1] == '.')
            return false;
    }
    /* The domain may be typed in Unicode or full width; only the local part must
     * be ASCII (without SMTPUTF8, which this tool does not use). */
    if (strlen(at + 1) > 1024)
        return false;
    mxd_input norm;
    if (mxd_input_normalize(at + 1, &norm) != MXD_IN_OK || norm.kind != MXD_KIND_DOMAIN)
        return false;
    if (llen + 1 + strlen(norm.ascii) > MXD_ADDR_MAX - 3) /* room for "<" ">" in the path */
        return false;
    if (out) {
        int n = snprintf(out, cap, "%.*s@%s", (int)llen, in, norm.ascii);
        if (n < 0 || (size_t)n >= cap)
            return false;
    }
    if (domain)
        snprintf(domain, dcap, "%s", norm.ascii);
    return true;
}

void mxd_delivery_suggested_rcpt(const char *domain_ascii, char *out, size_t cap)
{
    snprintf(out, cap, "postmaster@%s", domain_ascii ? domain_ascii : "");
}

void mxd_delivery_new_id(char out[17])
{
    unsigned char b[8];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t n = getrandom(b + got, sizeof b - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got < sizeof b) {
        /* No entropy source: the id only has to be unlikely to repeat. */
        uint64_t t = (uint64_t)time(NULL) ^ ((uint64_t)clock() << 20);
        for (size_t i = got; i < sizeof b; i++, t >>= 8)
            b[i] = (unsigned char)t;
    }
    for (size_t i = 0; i < sizeof b; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* RFC 5322 date in English whatever LC_TIME says ("Thu, 27 Nov 2026 19:27:54 +0000"). */
static void rfc5322_date(int64_t when, char *out, size_t cap)
{
    static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    time_t t = (time_t)when;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(out, cap, "Thu, 01 Jan 1970 00:00:00 +0000");
        return;
    }
    snprintf(out, cap, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7], tm.tm_mday,
             months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Appends text with CRLF line ends and dot-stuffing (RFC 5321 §4.5.2). */
static void put_lines(mxd_sb *out, const char *text)
{
    bool bol = true;
    for (const char *p = text; *p; p++) {
        if (bol && *p == '.')
            mxd_sb_putc(out, '.');
        if (*p == '\n') {
            mxd_sb_puts(out, "\r\n");
            bol = true;
            continue;
        }
        mxd_sb_putc(out, *p);
        bol = false;
    }
}

int mxd_delivery_message(mxd_sb *out, const char *from, const char *to, const char *id,
                         int64_t date, bool eightbit)
{
    char when[64];
    rfc5322_date(date, when, sizeof when);
    char body[768];
    snprintf(body, sizeof body,
             "This is a test message from mxdoctor (id %s). No reply is needed.\n"
             "これは mxdoctor のテストメッセージです（ID %s）。返信は不要です。\n",
             id, id);
    mxd_sb h = MXD_SB_INIT;
    mxd_sb_printf(&h,
                  "From: <%s>\n"
                  "To: <%s>\n"
                  "Subject: mxdoctor test %s\n"
                  "Date: %s\n"
                  "Message-ID: <%s@mxdoctor.invalid>\n"
                  "MIME-Version: 1.0\n"
                  "Content-Type: text/plain; charset=UTF-8\n"
                  "Content-Transfer-Encoding: %s\n"
                  "\n",
                  from, to, id, when, id, eightbit ? "8bit" : "base64");
    put_lines(out, mxd_sb_str(&h));
    mxd_sb_free(&h);
    if (eightbit) {
        put_lines(out, body);
    } else {
        /* A server without 8BITMIME gets 7-bit lines: base64, 76 characters a line. */
        size_t n = strlen(body);
        char *b64 = malloc(4 * ((n + 2) / 3) + 1);
        if (!b64)
            return -1;
        int len = EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)body, (int)n);
        for (int i = 0; i < len; i += 76) {
            mxd_sb_append(out, b64 + i, (size_t)(len - i < 76 ? len - i : 76));
            mxd_sb_puts(out, "\r\n");
        }
        free(b64);
    }
    return mxd_sb_ok(out) ? 0 : -1;
}
