/* result.h — the result model: everything the probes found out, and nothing more.
 *
 * The engine fills it; checks read it (pure functions, no I/O); the wizard and the
 * report writers read it together with the findings. Strings that came from the
 * network are stored already sanitised unless the field says "raw" (TXT data is
 * kept raw because the policy parsers need the exact bytes).
 * Everything here is owned by the mxd_result and freed by mxd_result_free().
 */
#ifndef MXD_RESULT_H
#define MXD_RESULT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "mxd/dnswire.h"

typedef enum {
    MXD_Q_NOT_SENT = 0, /* the plan did not need it */
    MXD_Q_PENDING,
    MXD_Q_OK,           /* NOERROR with data */
    MXD_Q_NODATA,       /* NOERROR, no record of that type */
    MXD_Q_NXDOMAIN,
    MXD_Q_SERVFAIL,
    MXD_Q_REFUSED,
    MXD_Q_TIMEOUT,
    MXD_Q_ERROR,        /* anything else: FORMERR, bad reply, no servers */
} mxd_qstate;

const char *mxd_qstate_name(mxd_qstate s); /* "ok", "nxdomain", ... */

/* One DNS question and its outcome. */
typedef struct mxd_query {
    mxd_qstate state;
    char name[MXD_NAME_MAX];
    uint16_t type;
    uint32_t elapsed_ms;
    char server[64];     /* which server answered, when known ("127.0.0.1:5300") */
    mxd_dnsmsg *msg;     /* the parsed answer (owned), NULL unless an answer came */
} mxd_query;

typedef struct mxd_addr {
    int family;            /* AF_INET or AF_INET6 */
    uint8_t bytes[16];
    char text[48];
} mxd_addr;

typedef enum {
    MXD_SMTP_NOT_RUN = 0, /* --no-smtp, or not reached */
    MXD_SMTP_SKIPPED,     /* not probed on purpose (private address, outside the lab) */
    MXD_SMTP_RUNNING,
    MXD_SMTP_DONE,
} mxd_smtp_state;

/* Where an SMTP conversation ended. */
typedef enum {
    MXD_SMTP_END_OK = 0,        /* QUIT answered, or at least the last step worked */
    MXD_SMTP_END_REFUSED,       /* connect(): ECONNREFUSED */
    MXD_SMTP_END_UNREACHABLE,   /* connect(): ENETUNREACH / EHOSTUNREACH / other */
    MXD_SMTP_END_CONNECT_TIMEOUT,
    MXD_SMTP_END_GREETING_TIMEOUT, /* connected, no (complete) greeting in time */
    MXD_SMTP_END_REPLY_TIMEOUT, /* a later reply did not come in time */
    MXD_SMTP_END_CLOSED,        /* the server closed or reset the connection */
    MXD_SMTP_END_PROTOCOL,      /* garbage, over-long or endless reply */
    MXD_SMTP_END_GREETING_REJECT, /* 5xx greeting */
    MXD_SMTP_END_GREETING_TEMPFAIL, /* 4xx greeting */
    MXD_SMTP_END_TLS_FAILED,    /* handshake failed */
} mxd_smtp_end;

const char *mxd_smtp_end_name(mxd_smtp_end e);

typedef struct mxd_cert {
    bool present;
    bool trusted;          /* chains to the system store (or the lab's CA) */
    int verify_error;      /* OpenSSL X509_V_ERR_*, 0 when trusted */
    char verify_text[128];
    bool name_matches;     /* the MX host name is in the SAN/CN */
    bool expired, not_yet_valid;
    bool self_signed;
    char subject[256], issuer[256]; /* one-line, sanitised */
    char names[512];       /* DNS SANs joined by ", ", sanitised */
    time_t not_before, not_after;
} mxd_cert;

/* One certificate the server sent, kept for DANE (RFC 6698 §2.1.2): selector 0
 * matches the whole certificate, selector 1 its SubjectPublicKeyInfo, both in
 * DER. The digests (SHA-256, SHA-512) are made from these when a check needs
 * them (dane.h), so the probe stores each byte once. */
typedef struct mxd_cert_der {
    uint8_t *cert; size_t cert_len; /* DER of the certificate, owned */
    uint8_t *spki; size_t spki_len; /* DER of its SubjectPublicKeyInfo, owned */
    bool signed_by_next;            /* the next certificate in the chain issued and
                                       signed this one (false for the last) */
} mxd_cert_der;

/* At most this many certificates of a chain are kept: real chains have two to
 * four, and a hostile server must not make the result grow without bound. */
#define MXD_CHAIN_MAX 8

typedef struct mxd_smtp {
    mxd_smtp_state state;
    mxd_smtp_end end;
    char error[160];        /* errno text or OpenSSL reason, sanitised */
    uint32_t connect_ms, total_ms;
    int greeting_code;      /* 0 when none */
    char greeting[512];     /* first line of the greeting text, sanitised */
    int ehlo_code;
    char **ext; size_t n_ext; /* EHLO keywords+params (sanitised), owned */
    bool starttls_offered;
    bool tls_attempted, tls_ok;
    int starttls_code;
    size_t injected_bytes;  /* bytes that arrived with/after the 220 to STARTTLS */
    char tls_version[16], tls_cipher[64];
    mxd_cert cert;
    mxd_cert_der *chain;    /* the certificates the server sent, leaf first, at most
                               MXD_CHAIN_MAX; owned (freed with the result); NULL
                               and 0 when no TLS session was set up */
    size_t nchain;
    int ehlo2_code;         /* EHLO after TLS */
    int quit_code;
    char *transcript;       /* "C: EHLO ...\nS: 250-...\n" sanitised, owned */
} mxd_smtp;

/* One mail exchanger as a sender sees it: an MX record (or the implicit MX). */
typedef struct mxd_target {
    uint16_t pref;
    char host[MXD_NAME_MAX];   /* as in the MX record, no trailing dot */
    uint32_t ttl;
    bool implicit;             /* no MX: the domain's own address (RFC 5321 §5.1) */
    bool ip_literal;           /* "192.0.2.1" written as a host name */
    bool null_mx;              /* "0 ." (RFC 7505) */
    int duplicate_of;          /* index of an earlier target with the same host, or -1 */
    mxd_query a, aaaa;
    char cname[MXD_NAME_MAX];  /* the canonical name when the host is a CNAME, else "" */
    mxd_addr *addrs; size_t naddrs;  /* owned */
    mxd_smtp *smtp;                  /* owned, one per address */
} mxd_target;

typedef struct mxd_options {
    int timeout_s;          /* per network operation */
    unsigned smtp_port;
    unsigned dns_port;
    unsigned https_port;    /* MTA-STS policy fetches; 0: 443 (the lab sets its own) */
    bool allow_private;     /* private and loopback addresses are not errors */
    bool allow_loopback;    /* the lab: 127/8 is fine, other private ranges are not */
    bool loopback_only;     /* never connect outside 127.0.0.0/8 (the lab, tests) */
    bool no_smtp;
    char **resolvers; size_t nresolvers; /* "ADDR[:PORT]", borrowed */
    char **compare_resolvers; size_t ncompare_resolvers; /* --compare-resolvers: names or
                                         "ADDR[:PORT]", borrowed (propagation step) */
    const char *spf_ip;     /* --spf-ip: evaluate check_host() for this client, or NULL */
    const char *spf_sender; /* --spf-sender: MAIL FROM for it (default postmaster@DOMAIN) */
    char **dkim_selectors; size_t ndkim_selectors; /* --dkim-selector values, borrowed;
                                         tried before the common ones (policy step) */
    const void *extra_ca;   /* X509 * to trust besides the system store (the lab's CA) */
    const char *ehlo_name;  /* name to greet with; NULL: our address literal, "[192.0.2.7]" */
    /* Step "delivery" (delivery.h); strings borrowed: */
    const char *rcpt;       /* --rcpt: the recipient check's address, or NULL */
    const char *send_from, *send_to; /* --send-test FROM TO, or NULL */
    const char *probe_host; /* --probe-host: a host known to accept port 25, or NULL */
    unsigned submission_ports[2]; /* where to look when port 25 fails everywhere;
                                     0, 0: 587 and 465 (the lab sets its own) */
} mxd_options;

struct mxd_policy_result; /* policy.h */

struct mxd_propagation; /* propagation.h */
struct mxd_delivery_result; /* delivery.h */

typedef struct mxd_result {
    char input[1024];            /* as typed, sanitised */
    char domain[1024];           /* Unicode form */
    char domain_ascii[256];
    time_t started_at;
    uint64_t started_ms;
    uint32_t elapsed_ms;
    bool finished;
    bool timed_out;              /* the whole-run bound was reached */
    char resolvers[8][64]; unsigned nresolvers;
    mxd_query mx, a, aaaa;       /* the domain's own records */
    mxd_target *targets; size_t ntargets; /* owned; in the order a sender tries them */
    bool equal_pref_shuffled;    /* some preferences tie: order among them is random */
    mxd_options opts;            /* copy of the options the run used */
    struct mxd_policy_result *policy; /* owned: step "policy" (policy.h); NULL until it starts */
    struct mxd_propagation *propagation; /* owned: step "propagation" (propagation.h); NULL until it starts */
    struct mxd_delivery_result *delivery; /* owned: step "delivery" (delivery.h); NULL until it starts */
} mxd_result;

void mxd_result_free(mxd_result *r);
/* Frees one query's answer and resets it. */
void mxd_query_reset(mxd_query *q);

#endif
