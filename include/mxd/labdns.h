/* labdns.h — the practice lab's DNS servers: authoritative and caching recursive.
 *
 * Real DNS over real UDP and TCP sockets on loopback, running as callbacks on
 * mxdoctor's own event loop (loop.h), so the diagnosis engine, dig and
 * nslookup all see ordinary DNS servers — with the faults a scenario asks for.
 *
 * - An authoritative server answers from its zones (scenario.h) with AA set:
 *   data, CNAME (followed inside its own zones), NODATA and NXDOMAIN with the
 *   zone's SOA in the authority section (RFC 2308, so caches can keep the
 *   negative answer), REFUSED for names outside its zones. UDP answers are cut
 *   at 512 bytes, or the query's EDNS size, with TC set; TCP carries them whole.
 * - A recursive resolver answers clients with RA set by asking the lab's
 *   authoritative servers, and caches what it learns with TTLs that count down
 *   in real time. It knows only the zones it is told about: the lab never
 *   reaches the internet, and any other name is REFUSED.
 *
 * Both bind only to 127.0.0.0/8, never port 5353, and refuse anything else.
 * Neither blocks: every wait is a loop timer, including the latency setting.
 */
#ifndef MXD_LABDNS_H
#define MXD_LABDNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxd/dnswire.h"
#include "mxd/loop.h"
#include "mxd/scenario.h"

/* Adds what every zone needs when the zone has none: an SOA at the origin
 * (mname ns1.<origin>, rname hostmaster.<origin>, serial 1, refresh 3600,
 * retry 600, expire 86400, MINIMUM 300, TTL 3600 — so a negative answer is
 * cached for 300 s) and an NS at the origin (ns1.<origin>). Records already
 * there are left alone. Returns 0, or -1 on ENOMEM (z unchanged). */
int mxd_scn_zone_complete(mxd_scn_zone *z);

/* ---- authoritative server ---- */

typedef struct mxd_labdns_auth mxd_labdns_auth;

typedef struct mxd_labdns_auth_cfg {
    const char *addr;             /* "127.x.y.z" */
    uint16_t port;                /* 1024..65535, not 5353; UDP and TCP */
    mxd_auth_mode mode;           /* see below */
    const mxd_scn_zone *zones;    /* copied at start (and completed with */
    size_t nzones;                /*  mxd_scn_zone_complete) */
    unsigned latency_ms;          /* every answer waits this long */
} mxd_labdns_auth_cfg;

/* Modes:
 *   NORMAL   answers as described above.
 *   SILENT   reads every query and never answers (clients time out).
 *   LAME     answers REFUSED without AA to every query, as BIND or NSD do for
 *            a zone they are not configured for: the delegation points at a
 *            server that does not serve the zone.
 *   SERVFAIL answers SERVFAIL (no AA) to every query.
 * Malformed queries get FORMERR (or nothing when not even the header is
 * there), other opcodes NOTIMP, in every mode but SILENT. */

/* Binds UDP and TCP on addr:port and starts serving on loop (borrowed; must
 * outlive the server). Returns an owned server (mxd_labdns_auth_free), or NULL
 * with a message in err and errno set: EINVAL for an address outside
 * 127.0.0.0/8 or a refused port, EADDRINUSE when the port is taken (pick
 * another and try again), ENOMEM. */
mxd_labdns_auth *mxd_labdns_auth_start(mxd_loop *loop, const mxd_labdns_auth_cfg *cfg,
                                       char *err, size_t errlen);
/* Queries received so far, answered or not (tests use it to prove caching). */
unsigned long mxd_labdns_auth_queries(const mxd_labdns_auth *a);
/* Stops: closes its sockets and client connections, drops delayed answers. */
void mxd_labdns_auth_free(mxd_labdns_auth *a);

/* ---- recursive resolver ---- */

typedef struct mxd_labdns_resolver mxd_labdns_resolver;

typedef struct mxd_labdns_resolver_cfg {
    const char *addr;             /* "127.x.y.z": listens here, and queries from here */
    uint16_t port;                /* 1024..65535, not 5353; UDP and TCP */
    uint16_t upstream_port;       /* where the authoritative servers listen; 0: port */
    unsigned latency_ms;          /* every answer to a client waits this long */
    unsigned try_timeout_ms;      /* one server's chance; 0: 600 + latency_ms, since
                                     the lab's authoritative servers are slowed too */
    unsigned deadline_ms;         /* per client query, then SERVFAIL;
                                     0: 2 * try_timeout_ms + 200 */
} mxd_labdns_resolver_cfg;

/* Binds and starts serving, like mxd_labdns_auth_start (same errors). */
mxd_labdns_resolver *mxd_labdns_resolver_start(mxd_loop *loop, const mxd_labdns_resolver_cfg *cfg,
                                               char *err, size_t errlen);
/* Teaches the resolver that server_addr ("127.x.y.z", at upstream_port) is
 * authoritative for origin; call once per (zone, server) pair, in the order
 * servers should be tried. A query goes to the zone with the longest origin
 * that contains the name. Returns 0, or -1 (bad address or name, ENOMEM). */
int mxd_labdns_resolver_add_zone(mxd_labdns_resolver *r, const char *origin,
                                 const char *server_addr);
/* Puts an answer in the cache as if it had been fetched earlier: (name, type)
 * answers with copies of rrs (borrowed; their owner names and data are used,
 * their TTLs are not) for ttl more seconds, counting down. Replaces what was
 * cached for (name, type). This is how a scenario shows a resolver still
 * holding an old MX after the zone changed. Returns 0, or -1 (nrrs 0, bad
 * name, ENOMEM). */
int mxd_labdns_resolver_preload(mxd_labdns_resolver *r, const char *name, uint16_t type,
                                const mxd_rr *rrs, size_t nrrs, uint32_t ttl);
/* Simulated DNSSEC: whether the zone at origin is signed ("dnssec: signed" in
 * a scenario). Nothing is signed for real; the resolver sets the AD bit on an
 * answer whose records (and negative answer's SOA) all come from signed zones
 * (the longest origin given here that contains a name decides), only for a
 * client that asked with the AD bit or EDNS's DO bit (RFC 6840 §5.7), and only
 * for NOERROR and NXDOMAIN. Given twice for one origin, signed wins (a zone
 * served in several versions). Returns 0, or -1 (bad name, ENOMEM). */
int mxd_labdns_resolver_set_dnssec(mxd_labdns_resolver *r, const char *origin, bool is_signed);
/* Forgets everything cached (a "flush the cache" lesson). */
void mxd_labdns_resolver_flush(mxd_labdns_resolver *r);
/* Queries sent to authoritative servers so far (every try counts). */
unsigned long mxd_labdns_resolver_upstream_queries(const mxd_labdns_resolver *r);
/* Stops: closes every socket, answers nobody still waiting, frees the cache. */
void mxd_labdns_resolver_free(mxd_labdns_resolver *r);

#endif
