/* mtasts.h — MTA-STS (RFC 8461): the _mta-sts record, the policy, and its MX patterns.
 *
 * A domain that publishes MTA-STS asks sending servers to deliver only over TLS
 * with a valid certificate, and only to MX hosts that its policy lists. A policy
 * that forgets an MX host (a new provider, a backup server) makes every sender
 * that honours it refuse to deliver there: a non-delivery that the MX records
 * alone never show. That is why the policy step looks at it.
 *
 * Two halves:
 *  - pure parsers over bytes (the TXT record, the policy file, the MX patterns),
 *    used by the sub-run and by the tests;
 *  - a sub-run on the shared loop: TXT "_mta-sts.DOMAIN", then the address of
 *    "mta-sts.DOMAIN", then an HTTPS GET of /.well-known/mta-sts.txt (https.h),
 *    filling mxd_mtasts_result for the policy step (checks: mxd_check_mtasts_data).
 */
#ifndef MXD_MTASTS_H
#define MXD_MTASTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxd/dnsclient.h"
#include "mxd/finding.h"
#include "mxd/https.h"
#include "mxd/json.h"
#include "mxd/loop.h"
#include "mxd/result.h"

#define MXD_MTASTS_MAX_AGE_MAX 31557600u    /* one year of 365.25 days (RFC 8461 §3.2) */
#define MXD_MTASTS_POLICY_MAX (64u * 1024u) /* longest policy fetched */
#define MXD_MTASTS_PATH "/.well-known/mta-sts.txt"
#define MXD_MTASTS_ID_MAX 32

/* ---- the TXT record (RFC 8461 §3.1): "v=STSv1; id=20240101T000000;" ---- */

typedef struct mxd_mtasts_record {
    char id[MXD_MTASTS_ID_MAX + 1]; /* 1..32 letters and digits */
} mxd_mtasts_record;

/* True when a TXT text (len bytes) is meant as an MTA-STS record: it starts with
 * "v=STSv1" followed by ';', a blank or the end. Senders ignore every other TXT
 * record at _mta-sts, so those do not count as records at all. */
bool mxd_mtasts_record_candidate(const char *txt, size_t len);

/* Parses one record. Returns 0 and fills *out, or -1 with the reason in err
 * (English, for the finding's {problem}: "no id= field"). Unknown fields are
 * ignored and a repeated field keeps its first value, as the RFC says. */
int mxd_mtasts_record_parse(const char *txt, size_t len, mxd_mtasts_record *out, char *err,
                            size_t errlen);

/* ---- the policy file (RFC 8461 §3.2) ---- */

typedef enum {
    MXD_MTASTS_MODE_NONE = 0, /* "none": senders forget the policy */
    MXD_MTASTS_MODE_TESTING,  /* "testing": report problems, deliver anyway */
    MXD_MTASTS_MODE_ENFORCE,  /* "enforce": refuse MX hosts that do not match or lack valid TLS */
} mxd_mtasts_mode;

const char *mxd_mtasts_mode_name(mxd_mtasts_mode m); /* "none", "testing", "enforce" (static) */

typedef struct mxd_mtasts_policy {
    mxd_mtasts_mode mode;
    uint32_t max_age;       /* seconds, 0..MXD_MTASTS_MAX_AGE_MAX */
    char **mx; size_t nmx;  /* patterns ("mx1.example.com", "*.example.net"), lower case,
                               in file order; owned (mxd_mtasts_policy_free) */
} mxd_mtasts_policy;

/* Parses a policy body of len bytes (lines end in LF or CRLF; need not be
 * NUL-terminated). Required: version STSv1, mode, max_age, and at least one mx
 * unless the mode is none. Unknown keys are ignored; a repeated key other than
 * mx keeps its first value. Blank lines are tolerated. Returns 0 and fills *out
 * (free with mxd_mtasts_policy_free), or -1 with "line N: reason" or "reason"
 * in err (English) and *out empty. */
int mxd_mtasts_policy_parse(const char *text, size_t len, mxd_mtasts_policy *out, char *err,
                            size_t errlen);
/* Frees what p owns and zeroes it (p itself is the caller's). */
void mxd_mtasts_policy_free(mxd_mtasts_policy *p);

/* RFC 8461 §4.1: case-insensitive equality, or "*.rest" matching exactly one
 * more label in front of rest ("*.example.com" matches "mx.example.com", not
 * "example.com" and not "a.b.example.com"). A trailing dot on host is ignored. */
bool mxd_mtasts_pattern_match(const char *pattern, const char *host);
/* True when some mx pattern of p matches mx_host. */
bool mxd_mtasts_mx_covered(const mxd_mtasts_policy *p, const char *mx_host);
/* The patterns joined by ", " into out (cut at cap; "" when none). */
void mxd_mtasts_patterns_join(const mxd_mtasts_policy *p, char *out, size_t cap);

/* ---- the sub-run's result ---- */

typedef enum {
    MXD_MTASTS_NOT_RUN = 0,
    MXD_MTASTS_RUNNING,
    MXD_MTASTS_NO_RECORD,      /* no TXT record at _mta-sts starts with v=STSv1 */
    MXD_MTASTS_DNS_ERROR,      /* the TXT question got no usable answer (SERVFAIL, timeout) */
    MXD_MTASTS_RECORD_INVALID, /* more than one record, or one that does not parse */
    MXD_MTASTS_SKIPPED,        /* the policy host is somewhere this run may not connect to */
    MXD_MTASTS_FETCH_FAILED,   /* record fine, policy not fetched (see fetch, problem) */
    MXD_MTASTS_POLICY_INVALID, /* fetched, but the policy does not parse (see problem) */
    MXD_MTASTS_OK,             /* record and policy valid: see policy */
} mxd_mtasts_state;

const char *mxd_mtasts_state_name(mxd_mtasts_state s); /* "no_record", ... (static) */

/* Why a fetch failed, before or during HTTPS. */
typedef enum {
    MXD_MTASTS_FETCH_NONE = 0,
    MXD_MTASTS_FETCH_NO_ADDRESS, /* mta-sts.DOMAIN has no A/AAAA (problem says NXDOMAIN, ...) */
    MXD_MTASTS_FETCH_HTTPS,      /* see http.end */
} mxd_mtasts_fetch;

typedef struct mxd_mtasts_result {
    mxd_mtasts_state state;
    char domain[256];            /* as asked (ASCII) */
    char record_name[300];       /* "_mta-sts.DOMAIN" */
    char host[300];              /* "mta-sts.DOMAIN" */
    char url[400];               /* "https://mta-sts.DOMAIN/.well-known/mta-sts.txt" */
    mxd_query txt;               /* the TXT question; txt.msg owned */
    unsigned nrecords;           /* TXT records that are meant as MTA-STS records */
    char record[512];            /* the (first) such record's text, sanitised */
    mxd_mtasts_record rec;       /* valid from RECORD_INVALID's successors on */
    mxd_query a, aaaa;           /* the policy host's addresses; msgs owned */
    mxd_addr addr;               /* the address fetched from (or skipped); family 0: none */
    char skip_reason[16];        /* SKIPPED: "outside_lab" or "private" */
    mxd_mtasts_fetch fetch;
    mxd_https_response http;     /* the fetch; http.body owned */
    mxd_mtasts_policy policy;    /* OK: the parsed policy (owned) */
    char problem[256];           /* RECORD_INVALID / FETCH_FAILED / POLICY_INVALID / DNS_ERROR:
                                    what is wrong, English, sanitised */
    uint32_t elapsed_ms;
} mxd_mtasts_result;

/* Frees what r owns and zeroes it (r itself is the caller's). */
void mxd_mtasts_result_free(mxd_mtasts_result *r);

/* ---- the sub-run ---- */

typedef struct mxd_mtasts_run mxd_mtasts_run;

/* Starts finding the domain's MTA-STS policy on loop.
 *   recursive  the engine's recursive resolver (borrowed; must outlive the run,
 *              or the run must be cancelled before it is freed).
 *   opts       borrowed for the call only: timeout_s, https_port (0: 443),
 *              loopback_only, allow_private/allow_loopback and extra_ca are copied.
 *   out        borrowed, zeroed by the caller; written as the run goes.
 *   changed    may be NULL; called after each part of out changes.
 *   done       called exactly once, from the loop (never from inside this call),
 *              after which the run has freed itself: do not cancel it then.
 * Every wait is bounded: each DNS question by the resolver's deadline, each
 * HTTPS stage (connect, TLS, request, response, body) by opts->timeout_s; a
 * connection that cannot be set up moves on to the next address (two at most).
 * The whole sub-run ends within 8 x timeout_s (the engine's bound is 9).
 * Returns the run, or NULL (ENOMEM; done will not be called, out->state is
 * NOT_RUN). */
mxd_mtasts_run *mxd_mtasts_start(mxd_loop *loop, mxd_dns *recursive, const mxd_options *opts,
                                 const char *domain_ascii, mxd_mtasts_result *out,
                                 void (*changed)(void *arg), void (*done)(void *arg), void *arg);

/* Stops now and frees the run; done() is not called. What is unfinished in out
 * stays as far as it got (a pending question is marked TIMEOUT, a running
 * fetch ends as MXD_HTTPS_CANCELLED). mxd_dns has no way to withdraw one
 * question, so a question still in flight keeps a 32-byte record that its
 * callback frees when the answer or the deadline comes; if the resolver is
 * freed first, that callback never runs and the record is lost. */
void mxd_mtasts_cancel(mxd_mtasts_run *run);

/* ---- checks (pure) ---- */

/* Findings (step "policy") for one result and the MX hosts a sender would try
 * (n names, borrowed; null MX and duplicates left out by the caller):
 *   mta_sts.missing        info  no record: MTA-STS is optional
 *   mta_sts.dns_error      skip  the record question got no answer
 *   mta_sts.record_invalid warn  record(s) present but unusable
 *   mta_sts.skipped        skip  policy host outside what this run may reach
 *   mta_sts.fetch_failed   warn  record present, policy not fetched
 *   mta_sts.invalid        warn  policy fetched but not valid
 *   mta_sts.mode_none      info  the policy switches MTA-STS off
 *   mta_sts.testing        info  testing mode: reports only
 *   mta_sts.mx_not_covered fail (enforce) / warn (testing), one per MX host
 *   mta_sts.ok             pass  enforce, and every MX host is covered */
void mxd_check_mtasts_data(const mxd_mtasts_result *d, const char *const *mx_hosts, size_t n,
                           mxd_findings *out);
/* The same, with the MX hosts taken from r's targets (null MX, duplicates and
 * unfinished targets left out; the implicit MX counts). */
void mxd_check_mtasts(const mxd_result *r, const mxd_mtasts_result *d, mxd_findings *out);

/* ---- JSON ---- */

/* Writes d as one JSON object value: state, record, policy host and URL, the
 * fetch (end, stage, status, content type, error), the policy (mode, max_age,
 * mx) when valid, problem. For the policy step's part of the report. */
void mxd_mtasts_json(mxd_json *j, const mxd_mtasts_result *d);

#endif
