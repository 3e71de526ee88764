/* smtpclient.h — what the SMTP probe and the delivery conversation share.
 *
 * Both talk SMTP over an mxd_conn (conn.h) and keep a transcript for the
 * details view: "C: " what we sent, "S: " each line of a reply, "!: " what
 * happened (connected, TLS established, no reply in time). Each keeps its own
 * states and decisions; these are the bookkeeping pieces that must be the same
 * in both: the transcript is sanitised as it is written and stops growing at
 * 16 KB (a hostile server cannot fill memory through it), replies are taken off
 * the input with the bounded parser (smtpreply.h), and both greet alike when
 * no EHLO name was given.
 */
#ifndef MXD_SMTPCLIENT_H
#define MXD_SMTPCLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "mxd/conn.h"
#include "mxd/smtpreply.h"
#include "mxd/strbuf.h"

/* Appends who, the line (len bytes, sanitised, at most 600 bytes of it) and a
 * line end to transcript t. All three are borrowed. */
void mxd_smtp_note(mxd_sb *t, const char *who, const char *line, size_t len);

/* Takes the next complete reply off the front of in (received bytes) and notes
 * its lines in t. Returns as mxd_smtp_reply_parse: on MXD_REPLY_OK *out is the
 * caller's (mxd_smtp_reply_free) and its bytes are gone from in; on an error
 * the first 200 bytes of in are noted as they came. When the reply is a 220 to
 * STARTTLS (starttls true), bytes already behind it were sent before TLS and
 * would be read as if they came after (CVE-2011-0411): they are dropped, noted,
 * and counted into *injected (may be NULL). in, t and injected are borrowed. */
mxd_reply_status mxd_smtp_take_reply(mxd_sb *in, mxd_sb *t, bool starttls, mxd_smtp_reply *out,
                                     size_t *injected);

/* When name (cap bytes, the caller's) is "", writes our own address literal on
 * c into it, e.g. "[192.0.2.7]" or "[IPv6:2001:db8::7]" (RFC 5321 §4.1.3):
 * always syntactically valid, unlike a guessed host name. */
void mxd_smtp_default_ehlo(const mxd_conn *c, char *name, size_t cap);

#endif
