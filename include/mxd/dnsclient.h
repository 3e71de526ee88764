/* dnsclient.h — DNS queries through c-ares, on the shared event loop.
 *
 * A thin layer over one c-ares channel: queries are built and answers walked with
 * our own codec (dnswire.h), so every section, flag and TTL is visible, and the
 * same code works on c-ares 1.18 (ares_send) and 1.28+ (ares_send_dnsrec).
 * Each query has its own deadline: whatever c-ares's retry schedule, the callback
 * runs exactly once, at most timeout_ms after the query was sent.
 */
#ifndef MXD_DNSCLIENT_H
#define MXD_DNSCLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "mxd/dnswire.h"
#include "mxd/loop.h"
#include "mxd/result.h"

typedef struct mxd_dns mxd_dns;

/* msg: the parsed answer, ownership passes to the callee (mxd_dnsmsg_free + free),
 * NULL when no answer came. st: the outcome (OK/NODATA/NXDOMAIN/... or TIMEOUT). */
typedef void (*mxd_dns_cb)(void *arg, mxd_qstate st, mxd_dnsmsg *msg, uint32_t elapsed_ms);

/* servers: "ADDR[:PORT],..." (IPv6 as [ADDR]:PORT), or NULL for the system's
 * resolvers. recurse: set RD (false for questions to authoritative servers).
 * Returns an owned client (mxd_dns_free) or NULL with err. */
mxd_dns *mxd_dns_new(mxd_loop *loop, const char *servers, unsigned timeout_ms,
                     bool recurse, char *err, size_t errlen);
/* Sends one question; cb runs exactly once (possibly before this returns, with
 * ERROR, when the name is invalid). arg is borrowed. Returns 0 or -1 (ENOMEM). */
int mxd_dns_query(mxd_dns *d, const char *name, uint16_t type, mxd_dns_cb cb, void *arg);
/* The same, tagged with owner (borrowed, never dereferenced), so a module that
 * shares the engine's client can stop listening with mxd_dns_forget(). */
int mxd_dns_query_owned(mxd_dns *d, const void *owner, const char *name, uint16_t type,
                        mxd_dns_cb cb, void *arg);
/* Drops every unfinished query of owner: their callbacks will never run (the
 * answers, when they come, are discarded). For cancelling a sub-run that shares
 * this client. */
void mxd_dns_forget(mxd_dns *d, const void *owner);
unsigned mxd_dns_pending(const mxd_dns *d);
/* Destroys the channel; callbacks of unfinished queries are not called. */
void mxd_dns_free(mxd_dns *d);

/* Checks and normalises one "--resolver" value into c-ares's CSV form
 * ("192.0.2.1:5300", "[2001:db8::1]:53"). Returns false when it is not an IP
 * address with an optional port 1..65535. */
bool mxd_dns_server_normalize(const char *in, char *out, size_t cap);

/* The system's resolvers as listed in /etc/resolv.conf (for the report), up to
 * max entries of 64 bytes; returns the count. */
unsigned mxd_dns_system_servers(char (*out)[64], unsigned max);

#endif
