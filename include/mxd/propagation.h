/* propagation.h — step "propagation": who still gives the old answer, and until when.
 *
 * After an MX change nothing "spreads": every recursive resolver that asked
 * before the change keeps its copy until the TTL runs out (「浸透」 is caches
 * expiring). This step shows both sides of that:
 *   - the zone's authoritative servers, each asked directly (recursion off) for
 *     the zone's SOA and the domain's MX: do they agree, which serial is newer
 *     (RFC 1982), does each one answer, and with authority (the AA bit)?
 *   - each recursive resolver (the engine's own list, or the system's, plus
 *     --compare-resolvers): which MX set it hands out right now and for how many
 *     more seconds (the remaining TTL), so an old answer comes with the moment
 *     it expires.
 *
 * Three parts, as every step: the probe (non-blocking, on the shared loop),
 * the result data below (filled by the probe, read by the pure checks in
 * src/checks/propagation.c) and the JSON writer.
 *
 * Names stored here come from dnswire.c in presentation form, lower-cased,
 * without the trailing dot; dnswire escapes every byte outside printable ASCII,
 * so they are already safe to show (no further sanitising needed).
 * Everything is owned by the mxd_propagation and freed by
 * mxd_propagation_result_free().
 */
#ifndef MXD_PROPAGATION_H
#define MXD_PROPAGATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mxd/dnswire.h"
#include "mxd/finding.h"
#include "mxd/json.h"
#include "mxd/loop.h"
#include "mxd/result.h"
#include "mxd/strbuf.h"

/* ---- result data ---------------------------------------------------------- */

typedef struct mxd_mxrec {
    uint16_t pref;
    char host[MXD_NAME_MAX]; /* canonical: lower case, no trailing dot; "." for a null MX */
} mxd_mxrec;

/* One server's answer to "MX domain?", reduced to what can be compared. */
typedef struct mxd_mxanswer {
    mxd_qstate state;   /* OK (v holds the set), NODATA or NXDOMAIN (no MX), or a failure */
    mxd_mxrec *v;       /* owned; sorted by preference, then host; no duplicates */
    size_t n;
    uint32_t ttl;       /* OK: the lowest TTL of the set. NODATA/NXDOMAIN: the TTL
                           of the SOA in the authority section, which is how long
                           the negative answer may be kept (RFC 2308 §5) */
    bool ttl_known;     /* false for a negative answer that carried no SOA */
} mxd_mxanswer;

typedef enum {
    MXD_AUTHSRV_PENDING = 0,
    MXD_AUTHSRV_OK,         /* answered SOA and MX with the AA bit */
    MXD_AUTHSRV_LAME,       /* answered without authority: no AA, or REFUSED/NOTIMP */
    MXD_AUTHSRV_TIMEOUT,    /* no answer in time (also: cancelled before one came) */
    MXD_AUTHSRV_ERROR,      /* SERVFAIL, a malformed reply, a local error */
    MXD_AUTHSRV_NO_ADDRESS, /* the NS host name has no A or AAAA record */
    MXD_AUTHSRV_SKIPPED,    /* not asked: outside 127/8 in the lab, or no route from here */
} mxd_authsrv_state;

const char *mxd_authsrv_state_name(mxd_authsrv_state s); /* "ok", "lame", ... (static) */

/* One authoritative server address (an NS host with two addresses is two servers). */
typedef struct mxd_prop_server {
    char name[MXD_NAME_MAX];  /* the NS host */
    mxd_addr addr;            /* family 0 when state is NO_ADDRESS */
    mxd_authsrv_state state;
    char reason[32];          /* why not OK: "timeout", "SERVFAIL", "REFUSED", "no_aa",
                                 "outside_lab", "no_route", "nxdomain"...; "" when OK */
    bool aa;                  /* every answer it gave had the AA bit */
    bool has_soa;             /* the SOA answer held the zone's SOA */
    uint32_t serial, soa_ttl, soa_minimum;
    mxd_mxanswer mx;
    mxd_query soa_q, mx_q;    /* the raw questions and answers (msg owned) */
} mxd_prop_server;

/* One recursive resolver and what it hands out for the domain's MX right now. */
typedef struct mxd_prop_resolver {
    char server[64];     /* "192.0.2.53:53", or "system" when c-ares picked from resolv.conf */
    char label[32];      /* "google", ... when named that way in --compare-resolvers; else "" */
    bool compare;        /* from --compare-resolvers (not one the engine uses) */
    bool skipped;        /* not asked (outside 127/8 in the lab) */
    mxd_mxanswer mx;
    mxd_query q;         /* the raw question and answer (msg owned) */
    time_t answered_at;  /* wall clock when the answer arrived; 0: none */
    time_t expires_at;   /* answered_at + mx.ttl when the TTL is known; else 0 */
} mxd_prop_resolver;

typedef enum {
    MXD_PROP_NOT_RUN = 0, /* the step was not started: checks say nothing */
    MXD_PROP_RUNNING,
    MXD_PROP_DONE,
    MXD_PROP_CANCELLED,   /* stopped early (run bound): unanswered questions count as timeouts */
} mxd_prop_phase;

typedef enum {
    MXD_ZONE_PENDING = 0,
    MXD_ZONE_FOUND,
    MXD_ZONE_FAILED,      /* the resolver could not say which zone holds the domain */
    MXD_ZONE_NO_NS,       /* the zone is known but its NS records could not be read */
} mxd_zone_state;

#define MXD_PROP_MAX_RESOLVERS 16 /* resolvers compared, at most */

typedef struct mxd_propagation {
    mxd_prop_phase phase;
    char domain[256];              /* ASCII form, as asked */
    char zone[MXD_NAME_MAX];       /* the zone apex holding domain ("" until found) */
    mxd_zone_state zone_state;
    char zone_error[32];           /* FAILED / NO_NS: what the last lookup returned */
    /* Both arrays grow while the probe runs: do not keep pointers into them
     * across loop iterations. */
    mxd_prop_server *servers; size_t nservers;       /* owned */
    mxd_prop_resolver *resolvers; size_t nresolvers; /* owned */
    uint32_t elapsed_ms;
} mxd_propagation;

/* Frees what d owns and zeroes it (d itself is the caller's). */
void mxd_propagation_result_free(mxd_propagation *d);

/* ---- pure helpers (unit-tested) ------------------------------------------- */

typedef enum {
    MXD_SERIAL_EQUAL = 0,
    MXD_SERIAL_LESS,      /* a is older than b */
    MXD_SERIAL_GREATER,   /* a is newer than b */
    MXD_SERIAL_UNDEFINED, /* exactly 2^31 apart: RFC 1982 leaves the order undefined */
} mxd_serial_order;

/* RFC 1982 serial number arithmetic with SERIAL_BITS 32: 4294967295 < 0 < 5,
 * because a zone's serial may wrap around. */
mxd_serial_order mxd_serial_compare(uint32_t a, uint32_t b);

/* True when both answers say the same thing: the same (preference, host) pairs
 * (hosts compared case-insensitively, trailing dot ignored), or both say "no
 * MX" (NODATA and NXDOMAIN alike). Failed answers equal nothing. */
bool mxd_mxanswer_same(const mxd_mxanswer *a, const mxd_mxanswer *b);
/* True for OK, NODATA and NXDOMAIN: an answer that says something about the MX set. */
bool mxd_mxanswer_usable(const mxd_mxanswer *a);
/* Fills *out from a parsed answer (MX records owned by qname, or CNAME-chained
 * from it; negative TTL from the authority SOA). out is overwritten: free it
 * with mxd_mxanswer_free first when reusing. m may be NULL (st says why).
 * Returns 0, or -1 on ENOMEM (out->state then MXD_Q_ERROR). */
int mxd_mxanswer_from_msg(mxd_mxanswer *out, mxd_qstate st, const mxd_dnsmsg *m);
void mxd_mxanswer_free(mxd_mxanswer *a);
/* "10 mx1.example.jp, 20 mx2.example.jp"; "NODATA" / "NXDOMAIN" for no MX;
 * the state name ("timeout") for a failure. Appends to sb. */
void mxd_mxanswer_format(const mxd_mxanswer *a, mxd_sb *sb);

/* Public resolvers that --compare-resolvers accepts by name (documented in
 * --help and the man page). Static table, ended by { NULL, NULL }. */
typedef struct mxd_public_resolver {
    const char *name;    /* "google" */
    const char *address; /* "8.8.8.8:53" */
} mxd_public_resolver;
extern const mxd_public_resolver mxd_public_resolvers[];

/* One --compare-resolvers item: a name from the table above (any case) or
 * "ADDR[:PORT]". Writes c-ares's form ("8.8.8.8:53") into addr and the name
 * ("google", or "" for an address) into label. False when it is neither. */
bool mxd_propagation_resolver_parse(const char *item, char *addr, size_t addrcap,
                                    char *label, size_t labelcap);

/* ---- probe ---------------------------------------------------------------- */

struct mxd_dns; /* dnsclient.h */

typedef struct mxd_propagation_run mxd_propagation_run;

/* Starts the step for domain_ascii on loop (borrowed; must outlive the run).
 * recursive: a client to lend for the zone search (borrowed; must outlive the
 * run; questions tagged with mxd_dns_query_owned, forgotten on cancel), or NULL:
 * the run opens its own from opts' resolvers. The engine should pass NULL:
 * measured with c-ares 1.18, a shared channel changes the engine's own retries
 * (a resolver port that refuses then costs the engine's MX query 2/3 of the
 * timeout instead of failing at once).
 * opts is read during this call only (its resolver strings are copied):
 * resolvers / nresolvers (the engine's; empty: the system's), compare_resolvers,
 * dns_port (direct queries; 0: 53), timeout_s (every wait), loopback_only.
 * out must be zeroed (or freshly freed); the probe writes into it until done or
 * cancel. changed(arg) runs after each piece arrives and may be NULL; done(arg)
 * runs exactly once, from the loop (never inside this call), after the run has
 * freed itself. arg is borrowed.
 * Each recursive resolver compared and each authoritative address gets a
 * channel of its own (one server per channel: c-ares would otherwise fail over
 * to another server and hide which one said what).
 * Returns the run, or NULL with err (ENOMEM, a c-ares failure). */
mxd_propagation_run *mxd_propagation_start(mxd_loop *loop, struct mxd_dns *recursive,
                                           const mxd_options *opts,
                                           const char *domain_ascii, mxd_propagation *out,
                                           void (*changed)(void *arg), void (*done)(void *arg),
                                           void *arg, char *err, size_t errlen);
/* Stops now and frees the run; done() is not called. Questions still open are
 * recorded as timeouts and out->phase becomes MXD_PROP_CANCELLED.
 * Only valid before done() has run (the run frees itself then). */
void mxd_propagation_cancel(mxd_propagation_run *run);

/* ---- checks --------------------------------------------------------------- */

/* The step's findings (step id "propagation") from d alone: auth.consistent,
 * auth.mismatch, auth.serial_mismatch, auth.unreachable, auth.lame, cache.ttl,
 * cache.stale, cache.negative, resolver.disagree. domain: the Unicode form for
 * the texts (NULL: d->domain). Nothing while the probe is still running.
 * Pure, except that expiry times are written in local time (TZ). */
void mxd_check_propagation_data(const mxd_propagation *d, const char *domain, mxd_findings *out);

/* ---- JSON ----------------------------------------------------------------- */

/* Writes d as one JSON object value (the caller writes the key "propagation"
 * first): zone, per-server answers (name, address, state, aa, serial, mx, ttl)
 * and per-resolver answers (server, mx, ttl, expires_at in RFC 3339, UTC). */
void mxd_propagation_json(mxd_json *j, const mxd_propagation *d);

#endif
