/* policy.h — step "policy": the receiving side's policy records.
 *
 * Mail can reach the right server and still end up refused or in the spam
 * folder. Receivers judge a domain by records it publishes besides MX: SPF
 * (which servers may send for it, RFC 7208), DMARC (what to do with mail that
 * fails SPF and DKIM, RFC 7489), DKIM keys (RFC 6376), reverse DNS of the mail
 * servers (PTR, forward-confirmed), and the transport policies MTA-STS
 * (RFC 8461), TLS-RPT (RFC 8460) and DANE (TLSA, RFC 7672). This step looks
 * them all up at once and explains what a receiver makes of them.
 *
 * Three parts, as every step:
 *   - pure parsers (DMARC records, DKIM key records, tag lists, the
 *     organisational domain, reverse names), unit-tested on strings;
 *   - the run: non-blocking lookups on the shared loop, filling
 *     mxd_policy_result; the engine feeds it the MX hosts and their addresses
 *     as it learns them;
 *   - the checks (src/checks/policy.c): pure functions from the result to
 *     findings with step id "policy".
 * SPF's record walk and MTA-STS's HTTPS fetch are their own modules; this run
 * starts them and keeps their results in mxd_policy_result.
 *
 * Text from DNS is stored raw (the parsers need the exact bytes) and is
 * sanitised where it leaves: mxd_finding_param() and the JSON writer.
 * Everything in mxd_policy_result is owned by it (mxd_policy_result_free).
 */
#ifndef MXD_POLICY_H
#define MXD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxd/dnswire.h"
#include "mxd/finding.h"
#include "mxd/json.h"
#include "mxd/loop.h"
#include "mxd/mtasts.h"
#include "mxd/result.h"
#include "mxd/spf.h"

/* ---- one lookup ------------------------------------------------------------ */

/* A question to the recursive resolver and the records of the asked type in
 * its answer (CNAME chains followed by the resolver count too). */
typedef struct mxd_plookup {
    mxd_qstate state;        /* NOT_SENT until asked */
    char name[MXD_NAME_MAX]; /* the name asked */
    uint16_t type;
    bool ad;                 /* the answer had the AD bit: the resolver validated it (DNSSEC) */
    /* The records, owned, each NUL-terminated (TXT and TLSA may hold NULs: use len):
     * TXT: the joined character-strings, raw; PTR: the target name; A/AAAA: the
     * address as text; TLSA: the raw RDATA. */
    char **rec;
    size_t *len;
    size_t nrec;
} mxd_plookup;

/* Fills l (state, records, ad) from an answer; msg may be NULL. l->name and
 * l->type must already be set; earlier records are freed. Returns 0, or -1 on
 * ENOMEM (state ERROR). */
int mxd_plookup_fill(mxd_plookup *l, mxd_qstate st, const mxd_dnsmsg *msg);
void mxd_plookup_free(mxd_plookup *l);
/* True when the lookup failed in a way that says nothing about the record
 * (SERVFAIL, REFUSED, timeout, error): NXDOMAIN and NODATA do say something. */
bool mxd_plookup_failed(const mxd_plookup *l);

/* ---- tag lists (DKIM, DMARC and TLS-RPT records; RFC 6376 §3.2) ------------- */

typedef struct mxd_tag {
    const char *name;  /* points into the record; not NUL-terminated */
    size_t name_len;
    const char *value; /* whitespace around it removed; may be empty */
    size_t value_len;
} mxd_tag;

/* Reads the next "name=value" from *p (up to end) and moves *p past it and its
 * ';'. Returns 1 with *t filled, 0 at the end of the list, -1 when the text is
 * not a tag list there (no '=', a bad tag name, a control character; *p then
 * points at the bad spot). Empty specs (";;") are skipped. */
int mxd_taglist_next(const char **p, const char *end, mxd_tag *t);
/* True when the tag's name is exactly name (tag names are case-sensitive). */
bool mxd_tag_is(const mxd_tag *t, const char *name);

/* ---- DMARC (RFC 7489) -------------------------------------------------------- */

typedef enum {
    MXD_DMARC_UNSET = 0,  /* sp absent: subdomains follow p */
    MXD_DMARC_NONE,
    MXD_DMARC_QUARANTINE,
    MXD_DMARC_REJECT,
} mxd_dmarc_p;

const char *mxd_dmarc_p_name(mxd_dmarc_p p); /* "none", "quarantine", "reject", "" (static) */

#define MXD_DMARC_MAX_URIS 8

typedef struct mxd_dmarc_uri {
    char uri[256];     /* as written, the "!size" limit removed */
    char domain[256];  /* mailto: the domain after '@', lower case; "" for other schemes */
} mxd_dmarc_uri;

typedef struct mxd_dmarc_rec {
    bool valid;
    char bad_tag[16];     /* !valid: the first tag that is wrong ("v", "p", "pct", ...) */
    char bad_value[128];  /* !valid: its value as written ("" when missing), raw */
    mxd_dmarc_p p, sp;
    unsigned pct;         /* 0..100; 100 when absent */
    char adkim, aspf;     /* 'r' (default) or 's' */
    mxd_dmarc_uri rua[MXD_DMARC_MAX_URIS]; size_t nrua;
    mxd_dmarc_uri ruf[MXD_DMARC_MAX_URIS]; size_t nruf;
    char unknown[128];    /* names of tags this parser does not know, space-separated;
                             receivers ignore them (RFC 7489 §6.3) */
} mxd_dmarc_rec;

/* True when the TXT text is meant as a DMARC record: it starts with the tag
 * v=DMARC1 (RFC 7489 §6.6.3: other TXT records at _dmarc are discarded). */
bool mxd_dmarc_is_record(const char *txt, size_t len);
/* Parses one DMARC record. Fills *out and returns out->valid. A record that
 * lacks a valid p=, or has any known tag with a value outside its syntax, or a
 * tag twice, is invalid; unknown tags are listed, not errors. */
bool mxd_dmarc_parse(const char *txt, size_t len, mxd_dmarc_rec *out);

/* The organisational domain of domain (RFC 7489 §3.2): the registrable domain
 * by the public suffix list (libpsl's built-in list), "example.co.jp" for
 * "mail.example.co.jp". Names under .test (the lab) use their last two labels.
 * Writes a lower-case name into out; false when domain is itself a public
 * suffix or too long (out then holds domain, lower-cased). */
bool mxd_org_domain(const char *domain, char *out, size_t cap);

/* One external report destination and its authorisation record (RFC 7489 §7.1). */
typedef struct mxd_dmarc_auth {
    char uri[256];          /* the rua URI */
    char domain[256];       /* its domain */
    mxd_plookup q;          /* TXT <policy domain>._report._dmarc.<domain> */
} mxd_dmarc_auth;

typedef struct mxd_dmarc_result {
    char domain[256];        /* the domain diagnosed (ASCII) */
    char org_domain[256];    /* its organisational domain */
    mxd_plookup at_domain;   /* TXT _dmarc.<domain> */
    mxd_plookup at_org;      /* TXT _dmarc.<org domain>; NOT_SENT when the same name */
    /* Set by mxd_dmarc_discover() once both lookups ended: */
    bool discovered;
    bool lookup_failed;      /* a lookup that decides failed: nothing can be said */
    char policy_domain[256]; /* whose record applies; "" when none was found */
    char record_name[MXD_NAME_MAX]; /* "_dmarc.<policy domain>", or the last name asked */
    size_t nrecords;         /* v=DMARC1 records at record_name (2+: all are ignored) */
    const char *text;        /* the record when nrecords == 1: borrowed from at_domain/at_org */
    size_t text_len;
    mxd_dmarc_rec rec;       /* parsed, when nrecords == 1 */
    mxd_dmarc_auth auth[MXD_DMARC_MAX_URIS]; size_t nauth; /* external rua domains */
} mxd_dmarc_result;

/* RFC 7489 §6.6.3 on d's two lookups: the record at the domain if there is
 * any v=DMARC1 record there, else the one at the organisational domain. Fills
 * the derived fields, including the list of external rua domains in auth[]
 * (their lookups still NOT_SENT). Pure; call again after lookups change. */
void mxd_dmarc_discover(mxd_dmarc_result *d);

/* ---- DKIM (RFC 6376, RFC 8301, RFC 8463) ------------------------------------- */

typedef struct mxd_dkim_key {
    bool is_key;        /* the TXT is a DKIM key record (a tag list with p=) */
    bool valid;         /* usable: the key decoded */
    bool revoked;       /* p= is empty: the key was withdrawn */
    bool testing;       /* t=y */
    char ktype[16];     /* k=: "rsa" (default), "ed25519", or as written */
    unsigned bits;      /* RSA modulus size; 256 for ed25519; 0 when unknown */
    char error[32];     /* !valid && !revoked: "version", "syntax", "base64",
                           "key", "key_type", "duplicate" */
} mxd_dkim_key;

/* Parses a DKIM key record (RFC 6376 §3.6.1). The key size comes from the
 * base64 p= through OpenSSL: a SubjectPublicKeyInfo (what everyone publishes)
 * or a bare PKCS#1 RSAPublicKey; for k=ed25519 the 32 raw key bytes.
 * Fills *out; returns out->valid. */
bool mxd_dkim_parse(const char *txt, size_t len, mxd_dkim_key *out);

/* Selectors tried when none are named (the common ones of big providers and
 * mail software); NULL-terminated, static. */
extern const char *const mxd_dkim_default_selectors[];
/* True when s can be a selector: dot-separated labels of letters, digits,
 * '-' and '_', 1..63 bytes each, at most 200 bytes in all. */
bool mxd_dkim_selector_valid(const char *s);

typedef struct mxd_dkim_selector {
    char selector[208];
    bool user;           /* named with --dkim-selector */
    mxd_plookup q;       /* TXT <selector>._domainkey.<domain> */
    mxd_dkim_key key;    /* the first key record of the answer (key.is_key false: none) */
    size_t nkeys;        /* key records in the answer */
} mxd_dkim_selector;

/* ---- reverse DNS ------------------------------------------------------------- */

#define MXD_PTR_MAX_NAMES 4 /* PTR names forward-checked per address */

typedef struct mxd_ptr {
    char host[MXD_NAME_MAX];   /* the MX host that has this address (the first one) */
    mxd_addr addr;
    bool skipped;              /* not looked up: a private address senders cannot reach */
    mxd_plookup q;             /* PTR <reverse name>; rec[] are the names */
    mxd_plookup fwd[MXD_PTR_MAX_NAMES]; /* A or AAAA of q.rec[i] */
} mxd_ptr;

/* "25.2.0.192.in-addr.arpa" / nibble form under ip6.arpa. False when it does not fit. */
bool mxd_reverse_name(const mxd_addr *a, char *out, size_t cap);
/* True when one of fwd's addresses is a (forward-confirmed reverse DNS). */
bool mxd_ptr_confirms(const mxd_addr *a, const mxd_plookup *fwd);

/* ---- DANE -------------------------------------------------------------------- */

typedef struct mxd_tlsa {
    char host[MXD_NAME_MAX]; /* the MX host */
    mxd_plookup q;           /* TLSA _25._tcp.<host> */
} mxd_tlsa;

/* "3 1 1 0a1b2c…" for one TLSA RDATA (association data cut after 8 bytes);
 * "?" for RDATA shorter than 4 bytes. Writes into out. */
void mxd_tlsa_format(const char *rdata, size_t len, char *out, size_t cap);

/* ---- the step's result -------------------------------------------------------- */

typedef struct mxd_policy_result {
    bool started, finished;
    char domain[256];                      /* ASCII */
    mxd_dmarc_result dmarc;
    mxd_dkim_selector *dkim; size_t ndkim;  /* owned; user selectors first */
    mxd_ptr *ptr; size_t nptr;              /* owned; one per distinct MX address */
    mxd_tlsa *tlsa; size_t ntlsa;           /* owned; one per distinct MX host */
    mxd_plookup tlsrpt;                     /* TXT _smtp._tls.<domain> */
    mxd_spf_result spf;                     /* the SPF record walk (spf.h) */
    mxd_mtasts_result mtasts;               /* the MTA-STS record and policy (mtasts.h) */
} mxd_policy_result;

/* Frees what d owns and zeroes it (d itself is the caller's). */
void mxd_policy_result_free(mxd_policy_result *d);

/* ---- the run ------------------------------------------------------------------ */

typedef struct mxd_policy_run mxd_policy_run;

/* Starts every lookup that needs only the domain (DMARC at the domain and its
 * organisational domain, the DKIM selectors, TLS-RPT) and the two sub-runs:
 * the SPF record walk (spf.h, on the same client) and MTA-STS (mtasts.h,
 * which opens its own channel: it keeps a record per question that only the
 * question's callback frees).
 * loop is borrowed and must outlive the run. recursive: the engine's recursive
 * client (borrowed; must outlive the run — cancel the run before freeing it);
 * every question is tagged with the run (mxd_dns_query_owned), so cancelling
 * forgets exactly this run's questions. recursive NULL: the run opens its own
 * client from opts->resolvers. opts is read during this call
 * only: resolvers (empty: the system's), timeout_s (every query's deadline),
 * allow_private / allow_loopback (which addresses get a PTR lookup),
 * dkim_selectors; and for MTA-STS https_port, loopback_only, extra_ca.
 * out must be zeroed (or freshly freed); the run writes into it
 * until done or cancel. changed(arg) runs after each answer (may be NULL);
 * done(arg) runs exactly once, from the loop (never inside a call of this API),
 * after mxd_policy_inputs_done() and after every lookup has ended.
 *
 * Returns the run (it frees itself after done(), or in mxd_policy_cancel), or
 * NULL with err (ENOMEM; without recursive also a bad resolver address or a
 * c-ares failure). */
mxd_policy_run *mxd_policy_start(mxd_loop *loop, mxd_dns *recursive, const mxd_options *opts,
                                 const char *domain_ascii, mxd_policy_result *out,
                                 void (*changed)(void *arg), void (*done)(void *arg), void *arg,
                                 char *err, size_t errlen);
/* An MX host (no trailing dot): asks for TLSA at _25._tcp.<host>. Null MX
 * ("" or "."), IP literals and hosts already given are ignored. Ignored after
 * mxd_policy_inputs_done(). host is copied. Returns 0, or -1 on ENOMEM. */
int mxd_policy_add_mx(mxd_policy_run *run, const char *host);
/* An address of MX host: asks for its PTR, then A/AAAA of each PTR name.
 * Private addresses that the options do not allow are recorded as skipped.
 * An address already given is ignored. Both are copied. 0, or -1 on ENOMEM. */
int mxd_policy_add_address(mxd_policy_run *run, const char *host, const mxd_addr *a);
/* No more MX hosts or addresses will come: done() may fire once every lookup
 * has ended. */
void mxd_policy_inputs_done(mxd_policy_run *run);
/* Stops now and frees the run; done() is not called. Lookups still open are
 * recorded as timeouts. Only valid before done() has run. */
void mxd_policy_cancel(mxd_policy_run *run);

/* ---- checks and JSON ------------------------------------------------------------ */

/* The step's findings from d alone (step id "policy"), for the domain
 * domain_ascii: spf.* (src/checks/spf.c), dmarc.*, dkim.*, ptr.*, mta_sts.*
 * (src/checks/mtasts.c, against the MX hosts in d->tlsa), tlsrpt.*, dane.*
 * (src/checks/dane.c; without SMTP results no certificate is compared) and
 * policy.dns_error. d->started false: nothing. */
void mxd_check_policy_data(const mxd_policy_result *d, const char *domain_ascii,
                           mxd_findings *out);

/* The step's findings for a diagnosis: nothing while r's MX answer is
 * missing, NXDOMAIN or failed (the domain does not exist or its DNS is down:
 * every policy lookup would only repeat that), else those of
 * mxd_check_policy_data(d, r->domain_ascii), with the DANE records compared
 * against the certificates in r's SMTP results (dane.h). d is the result's
 * policy data (NULL: nothing). */
void mxd_check_policy(const mxd_result *r, const mxd_policy_result *d, mxd_findings *out);

/* Writes d as one JSON object value (the report's "policy" key). */
void mxd_policy_json(mxd_json *j, const mxd_policy_result *d);

#endif
