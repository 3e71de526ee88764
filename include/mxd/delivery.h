/* delivery.h — step "delivery": where a message would go, and what happens there.
 *
 * The earlier steps test each server on its own. This step puts the results
 * together the way a sending server uses them (RFC 5321 §5.1), and answers the
 * questions people actually ask:
 *   - the sender's path: which server a sender tries first, second, ...; what
 *     happens at each hop; where the message ends up ("mx1 refuses; delivered
 *     to backup mx2"). A pure function of the result (mxd_delivery_path).
 *   - this network: when port 25 fails to every MX, is it the servers or the
 *     network this tool runs on (outbound port 25 blocking, OP25B)? Decided by
 *     connecting to the same addresses on the submission ports (587, 465) and
 *     to port 25 of a host the user trusts (--probe-host).
 *   - the recipient check (opt-in, --rcpt): MAIL FROM:<> and RCPT TO on the
 *     most-preferred working MX, then RSET and QUIT; never DATA.
 *   - the test message (opt-in, --send-test FROM TO): a short message with a
 *     unique id, straight to the recipient domain's own MX, never a relay.
 *
 * Parts, as every step:
 *   - pure: the path builder, address checks, the test message's text
 *     (src/delivery/path.c, message.c);
 *   - I/O on the shared loop: connect-only probes (netprobe.c), the SMTP
 *     conversation for RCPT and the test message (conv.c), and the run that
 *     starts them once the SMTP probes are over (run.c);
 *   - the checks (src/checks/delivery.c): findings with step id "delivery".
 * Everything from the network is sanitised before it is stored here.
 */
#ifndef MXD_DELIVERY_H
#define MXD_DELIVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxd/dnsclient.h"
#include "mxd/finding.h"
#include "mxd/json.h"
#include "mxd/loop.h"
#include "mxd/result.h"
#include "mxd/strbuf.h"

/* ---- the sender's path (pure; src/delivery/path.c) ------------------------------ */

/* What a sender meets at one address of one MX host, from the SMTP probe. */
typedef enum {
    MXD_HOP_PENDING = 0,   /* still being looked up or tested */
    MXD_HOP_ACCEPTS,       /* greeted 2xx and answered EHLO/HELO: the message is handed over here */
    MXD_HOP_REFUSED,       /* connection refused */
    MXD_HOP_TIMEOUT,       /* no answer to the connection */
    MXD_HOP_UNREACHABLE,   /* no route to the address */
    MXD_HOP_NO_GREETING,   /* connected, no greeting in time */
    MXD_HOP_GREETING_4XX,  /* "try again later" greeting */
    MXD_HOP_GREETING_5XX,  /* "no service here" greeting */
    MXD_HOP_BROKEN,        /* connected, then closed, stalled or spoke no SMTP */
    MXD_HOP_NO_ADDRESS,    /* the host has no address (or its lookup failed: dns_error) */
    MXD_HOP_SKIPPED,       /* not tested: --no-smtp, a private address, outside the lab, or an
                              IPv6 address this machine has no route to */
} mxd_hop_state;

/* "accepts", "refused", "timeout", ... (static): the tokens used in the path text. */
const char *mxd_hop_state_name(mxd_hop_state s);

typedef struct mxd_hop {
    size_t target;           /* index into r->targets */
    uint16_t pref;
    bool tied;               /* another host has the same preference: senders shuffle them */
    char host[MXD_NAME_MAX];
    char address[48];        /* "" for MXD_HOP_NO_ADDRESS */
    int family;              /* AF_INET / AF_INET6, 0 without an address */
    mxd_hop_state state;
    int code;                /* greeting code when one came, else 0 */
    bool tls;                /* STARTTLS worked at this address */
    bool dns_error;          /* NO_ADDRESS because the lookup failed (senders retry later) */
} mxd_hop;

/* Where the message ends up. */
typedef enum {
    MXD_PATH_PENDING = 0, /* an earlier hop is still being tested: not decided yet */
    MXD_PATH_NONE,        /* nothing to build a path from (no MX answer, NXDOMAIN, DNS error) */
    MXD_PATH_PRIMARY,     /* a host of the most-preferred group accepts */
    MXD_PATH_BACKUP,      /* every host of the first group fails; a later one accepts */
    MXD_PATH_ALL_FAIL,    /* no hop accepts: senders queue, retry, then bounce */
    MXD_PATH_NULL_MX,     /* "0 ." only (RFC 7505): senders bounce at once */
    MXD_PATH_UNTESTED,    /* hosts known, but no hop could be tested from here */
} mxd_path_end;

/* "pending", "none", "primary", "backup", "all_fail", "null_mx", "untested" (static). */
const char *mxd_path_end_name(mxd_path_end e);

typedef struct mxd_path {
    mxd_hop *hops; size_t nhops; /* owned; in the order a sender tries them */
    mxd_path_end end;
    int accepted;                /* index of the hop that takes the message, or -1 */
    size_t tested;               /* hops with an outcome (not pending, skipped or no address) */
    bool all_connect_timeout;    /* every tested hop timed out at connect */
} mxd_path;

/* Builds the path from r's targets and their SMTP results, in sender order:
 * preference order (the engine sorts equal preferences by name so the report
 * is stable; the hops are marked `tied`, since senders shuffle them); for each
 * host every address, IPv6 before IPv4 (RFC 6724's default, which most
 * dual-stack senders follow; some pick at random); repeated hosts once; a null
 * MX beside other records skipped. *out is the caller's (mxd_path_free).
 * Pure. Returns 0, or -1 on ENOMEM (*out then empty with end NONE). */
int mxd_delivery_path(const mxd_result *r, mxd_path *out);
void mxd_path_free(mxd_path *p);

/* The path as text, hops joined by sep: "1. 10 mx1.example.jp 192.0.2.10: refused";
 * a '*' after the preference marks a tie. Language-neutral tokens (the help
 * texts explain them). Finding parameters cannot hold line breaks (they are
 * sanitised), so the checks join with "; ". Returns a newly allocated string
 * (caller frees) or NULL. */
char *mxd_path_text(const mxd_path *p, const char *sep);

/* Port 25 of the MX addresses, as seen from this network (for the network part). */
typedef struct mxd_port25 {
    size_t tested;      /* addresses probed (no-route IPv6 and skipped ones left out) */
    size_t connected;   /* of which a TCP connection was established */
    size_t refused, timed_out, unreachable; /* the others, by how they failed */
} mxd_port25;

/* Counts r's SMTP probes. Pure. */
void mxd_delivery_port25(const mxd_result *r, mxd_port25 *out);

/* ---- addresses and the test message (pure; src/delivery/message.c) ----------------- */

#define MXD_ADDR_MAX 256 /* RFC 5321 §4.5.3.1.3: a path is at most 256 octets */

/* Checks an e-mail address for use in MAIL FROM / RCPT TO and normalises it:
 * an unquoted ASCII local part (RFC 5322 atext and single dots: no spaces,
 * quotes, brackets, '<' '>' ',' ';' ':' '\'); the domain through mxd_input_normalize
 * (UTS #46: IDN and full-width forms become ASCII). Writes "local@ascii-domain"
 * into out and the domain into domain (both may be NULL). False when unusable. */
bool mxd_delivery_address(const char *in, char *out, size_t cap, char *domain, size_t dcap);

/* "postmaster@<domain_ascii>" (RFC 5321 §4.5.1: every mail domain must accept
 * it), the address the recipient check suggests. */
void mxd_delivery_suggested_rcpt(const char *domain_ascii, char *out, size_t cap);

/* 16 lower-case hex digits from getrandom(): the test message's unique id. */
void mxd_delivery_new_id(char out[17]);

/* The test message (headers and body, CRLF line ends, dot-stuffed, without the
 * final ".") into out: From, To, Subject "mxdoctor test <id>", Date (now, RFC
 * 5322, English names whatever the locale), Message-ID <id@mxdoctor.invalid>,
 * MIME headers, and a two-line body in English and Japanese: UTF-8 as 8bit
 * when eightbit (the server offered 8BITMIME), else base64. date: seconds since
 * the epoch. Returns 0, or -1 on ENOMEM. */
int mxd_delivery_message(mxd_sb *out, const char *from, const char *to, const char *id,
                         int64_t date, bool eightbit);

/* ---- the results --------------------------------------------------------------------- */

/* One connect-only probe (network part). */
typedef enum {
    MXD_NC_NOT_RUN = 0,
    MXD_NC_RUNNING,
    MXD_NC_CONNECTED,
    MXD_NC_REFUSED,
    MXD_NC_TIMEOUT,
    MXD_NC_UNREACHABLE,
    MXD_NC_SKIPPED,   /* outside 127.0.0.0/8 with loopback_only */
} mxd_nc_state;

const char *mxd_nc_state_name(mxd_nc_state s); /* "connected", "refused", ... (static) */

typedef struct mxd_nconn {
    char host[MXD_NAME_MAX];
    mxd_addr addr;
    unsigned port;
    mxd_nc_state state;
    uint32_t ms;             /* how long it took */
} mxd_nconn;

typedef struct mxd_network_result {
    bool needed;             /* port 25 failed to every MX: the probes below ran */
    bool finished;           /* every probe below has ended (or was never needed) */
    mxd_nconn *alt; size_t nalt;      /* owned: MX addresses on the submission ports */
    char probe_host[MXD_NAME_MAX];    /* --probe-host as given, "" when none */
    mxd_qstate probe_lookup;          /* its A/AAAA lookup (OK when it was an address) */
    mxd_nconn *probe; size_t nprobe;  /* owned: its addresses on the SMTP port */
} mxd_network_result;

typedef enum {
    MXD_CONV_NOT_RUN = 0, /* not asked for */
    MXD_CONV_RUNNING,
    MXD_CONV_DONE,
} mxd_conv_state;

/* What the conversation concluded. */
typedef enum {
    MXD_CONV_ACCEPTED = 0, /* RCPT got 2xx (recipient check); the message got 250 (test) */
    MXD_CONV_REJECTED,     /* a 5xx reply decided */
    MXD_CONV_TEMPFAIL,     /* a 4xx reply decided */
    MXD_CONV_FAILED,       /* no decision: connection, timeout, protocol, TLS, or a
                              refusal before the step that matters (reason, stage) */
    MXD_CONV_NOT_TRIED,    /* never connected: reason says why */
} mxd_conv_outcome;

const char *mxd_conv_outcome_name(mxd_conv_outcome o); /* "accepted", ... (static) */

typedef enum {
    MXD_STAGE_CONNECT = 0, MXD_STAGE_GREETING, MXD_STAGE_EHLO, MXD_STAGE_STARTTLS,
    MXD_STAGE_TLS, MXD_STAGE_MAIL, MXD_STAGE_RCPT, MXD_STAGE_DATA, MXD_STAGE_MESSAGE,
    MXD_STAGE_RSET, MXD_STAGE_QUIT,
} mxd_conv_stage;

const char *mxd_conv_stage_name(mxd_conv_stage s); /* "connect", "rcpt", ... (static) */

typedef struct mxd_conv_result {
    mxd_conv_state state;
    mxd_conv_outcome outcome;
    mxd_conv_stage stage;      /* the step that decided, or where it stopped */
    char reason[32];           /* FAILED: "refused", "timeout", "unreachable", "closed",
                                  "protocol", "tls", "reply" (a refusal before the step
                                  that matters); NOT_TRIED: "no_working_mx", "address",
                                  "other_domain", "outside_lab", "no_smtp", "memory" */
    char host[MXD_NAME_MAX];   /* the MX host and address talked to */
    char address[48];
    unsigned port;
    char mail_from[MXD_ADDR_MAX]; /* "" for the null sender <> */
    char rcpt[MXD_ADDR_MAX];
    int code;                  /* the deciding reply's code, 0 when none */
    char enhanced[16];         /* its enhanced status code ("5.1.1"), "" when none */
    char text[512];            /* its text, sanitised; lines joined with " / " */
    char error[160];           /* FAILED: errno text or what went wrong, sanitised */
    bool tls;                  /* the conversation ran under STARTTLS */
    char tls_version[16];
    bool eightbit;             /* test message: sent as 8BITMIME */
    char id[17];               /* test message: its unique id */
    uint32_t total_ms;
    char *transcript;          /* "C: MAIL FROM:<>\nS: 250 ...\n", sanitised, owned */
} mxd_conv_result;

typedef struct mxd_delivery_result {
    bool started, finished;
    mxd_network_result net;
    mxd_conv_result rcpt;      /* the recipient check */
    mxd_conv_result send;      /* the test message */
} mxd_delivery_result;

/* Frees what d owns and zeroes it (d itself is the caller's). */
void mxd_delivery_result_free(mxd_delivery_result *d);
void mxd_conv_result_free(mxd_conv_result *c);

/* ---- the run (src/delivery/run.c) ------------------------------------------------------ */

/* What this step was asked to do besides the path (the engine fills it from the
 * command line). Strings are borrowed for the mxd_delivery_start() call only. */
typedef struct mxd_delivery_options {
    const char *rcpt;              /* --rcpt ADDRESS, or NULL */
    const char *send_from, *send_to; /* --send-test FROM TO, or NULL */
    const char *probe_host;        /* --probe-host HOST (name or address), or NULL */
    unsigned submission_ports[2];  /* connect-only probes when port 25 fails everywhere;
                                      both 0: 587 and 465; one 0: only the other (the lab
                                      gives its own submission port) */
} mxd_delivery_options;

typedef struct mxd_delivery_run mxd_delivery_run;

/* The time this step may add after the SMTP probes end, in milliseconds: one
 * timeout for the connect-only probes (plus one for the probe host's lookup),
 * twelve for each conversation asked for. The engine adds it to its run bound. */
uint64_t mxd_delivery_bound_ms(const mxd_options *opts, const mxd_delivery_options *dopts);

/* Starts the step. It looks up --probe-host at once (so its address is known
 * when needed) and otherwise waits for mxd_delivery_smtp_done().
 * loop is borrowed and must outlive the run. recursive: the engine's recursive
 * client (borrowed; cancel the run before freeing it; questions are tagged with
 * the run, mxd_dns_query_owned); NULL: the run opens its own from
 * opts->resolvers when it needs one. opts is copied (timeout_s, smtp_port,
 * loopback_only, extra_ca, ehlo_name, resolvers are used); dopts' strings are
 * copied. domain_ascii: the diagnosed domain (--rcpt and --send-test TO must be
 * addresses in it). out must be zeroed; the run writes into it until done or
 * cancel. changed(arg) after each piece of news (may be NULL); done(arg)
 * exactly once, from the loop, after mxd_delivery_smtp_done() and after every
 * probe and conversation has ended.
 * Returns the run (it frees itself after done(), or in mxd_delivery_cancel),
 * or NULL with err (ENOMEM, or an OpenSSL context that could not be made). */
mxd_delivery_run *mxd_delivery_start(mxd_loop *loop, mxd_dns *recursive,
                                     const mxd_options *opts, const mxd_delivery_options *dopts,
                                     const char *domain_ascii, mxd_delivery_result *out,
                                     void (*changed)(void *arg), void (*done)(void *arg),
                                     void *arg, char *err, size_t errlen);

/* Every SMTP probe of r has ended (and every MX address is known). Decides
 * from r alone and copies what it needs (r is only read during the call):
 *   - port 25 connected somewhere, or nothing was probed: no network probes;
 *     otherwise the same addresses on the submission ports and --probe-host on
 *     the SMTP port, connect only;
 *   - --rcpt, then --send-test, on the most-preferred MX that accepts (the
 *     path's accepted hop), one after the other (a greylisting server sees the
 *     recipient check first). Called once; later calls are ignored. */
void mxd_delivery_smtp_done(mxd_delivery_run *run, const mxd_result *r);

/* Stops now and frees the run; done() is not called. Probes and conversations
 * still open are recorded as timeouts. Only valid before done() has run. */
void mxd_delivery_cancel(mxd_delivery_run *run);

/* ---- conversations on demand (the wizard, after a yes/no question) ---------------------- */

typedef struct mxd_delivery_conv mxd_delivery_conv;

/* Starts the recipient check for address (copied) on the most-preferred
 * working MX of r (a finished diagnosis; read during this call only), with
 * r->opts (timeout, port, loopback rules, CA, EHLO name). out is borrowed and
 * is filled as the conversation goes; it must be zeroed (or freed). When there
 * is nothing to talk to (no working MX, a bad address, an address outside
 * r->domain_ascii) out is completed at once (NOT_TRIED) and NULL is returned:
 * done() is then not called. Otherwise done(arg) runs exactly once, from the
 * loop, after which the handle has freed itself. */
mxd_delivery_conv *mxd_delivery_rcpt_start(mxd_loop *loop, const mxd_result *r,
                                           const char *address, mxd_conv_result *out,
                                           void (*done)(void *arg), void *arg);
/* The same for the test message from `from` to `to` (to must be in r's domain). */
mxd_delivery_conv *mxd_delivery_send_start(mxd_loop *loop, const mxd_result *r,
                                           const char *from, const char *to,
                                           mxd_conv_result *out, void (*done)(void *arg),
                                           void *arg);
/* Stops it now (recorded as a timeout at its stage) and frees it; done() is
 * not called. NULL is ignored. */
void mxd_delivery_conv_cancel(mxd_delivery_conv *c);

/* ---- the conversation itself (src/delivery/conv.c) -------------------------------------- */

typedef enum { MXD_CONV_KIND_RCPT, MXD_CONV_KIND_SEND } mxd_conv_kind;

typedef struct ssl_ctx_st SSL_CTX;
typedef struct mxd_conv mxd_conv;

/* One SMTP conversation with addr:port (host for SNI): greeting, EHLO (HELO
 * when refused), STARTTLS when offered and tls is true (after the 220, bytes
 * already received are dropped and EHLO is sent again), MAIL FROM, RCPT TO,
 * then for RCPT: RSET and QUIT, never DATA; for SEND: DATA, the message
 * (mxd_delivery_message, with a new id), QUIT. Every step is bounded by
 * timeout_ms. from "" is the null sender. ctx (may be NULL: no TLS) and loop
 * are borrowed and must outlive the conversation; strings are copied; out is
 * borrowed and filled as it goes. ehlo_name NULL or "": our address literal.
 * done(arg) runs exactly once, from the loop; the handle then frees itself.
 * Returns NULL on ENOMEM (out then says NOT_TRIED, "memory"). */
mxd_conv *mxd_conv_start(mxd_loop *loop, SSL_CTX *ctx, mxd_conv_kind kind,
                         const mxd_addr *addr, unsigned port, const char *host,
                         const char *ehlo_name, bool tls, const char *from, const char *to,
                         unsigned timeout_ms, mxd_conv_result *out,
                         void (*done)(void *arg), void *arg);
/* Stops a conversation now (recorded as a timeout at its stage, unless it was
 * already decided) and frees it; done() is not called. */
void mxd_conv_cancel(mxd_conv *c);

/* ---- connect-only probes (src/delivery/netprobe.c) --------------------------------------- */

typedef struct mxd_netprobe mxd_netprobe;

/* Connects to out->addr:out->port and closes at once: out->state becomes
 * CONNECTED, REFUSED, TIMEOUT (after timeout_ms) or UNREACHABLE. out is
 * borrowed. done(arg) runs exactly once, from the loop; the probe then frees
 * itself. NULL on ENOMEM (out->state NOT_RUN). */
mxd_netprobe *mxd_netprobe_start(mxd_loop *loop, mxd_nconn *out, unsigned timeout_ms,
                                 void (*done)(void *arg), void *arg);
/* Stops now (out->state TIMEOUT) and frees it; done() is not called. */
void mxd_netprobe_cancel(mxd_netprobe *p);

/* ---- checks and JSON (src/checks/delivery.c, src/delivery/json.c) ------------------------ */

/* The step's findings (step id "delivery"): the path (delivery.path,
 * delivery.path_backup, delivery.path_fails, delivery.path_null,
 * delivery.path_untested), the network (network.ok, network.port25_blocked,
 * network.servers_down, network.undetermined), the recipient check (rcpt.*)
 * and the test message (send.*). r: the diagnosis; d: its delivery data (NULL:
 * only the path). Nothing while the parts they depend on are still running. */
void mxd_check_delivery(const mxd_result *r, const mxd_delivery_result *d, mxd_findings *out);

/* Writes the step's data as one JSON object value (the report's "delivery"
 * key): "path" (from r; omitted when r is NULL), "network", "rcpt", "send". */
void mxd_delivery_json(mxd_json *j, const mxd_result *r, const mxd_delivery_result *d);

#endif
