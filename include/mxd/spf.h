/* spf.h — SPF (RFC 7208): record parser, macro expansion, check_host() on the
 * event loop, and the "record walk" of the policy step.
 *
 * SPF answers one question for a receiving server: "may this client address
 * send mail whose envelope sender is in this domain?". The domain publishes the
 * answer as one TXT record starting with "v=spf1". A diagnosis needs two views:
 *
 * - check_host() (RFC 7208 §4-§6) for a real client address and sender:
 *   "would mail from this server pass?" — the verdict a receiver computes;
 * - the record walk, without an address: fetch the domain's record, follow every
 *   include and redirect, count the DNS-querying terms (limit 10) and the void
 *   lookups (limit 2) as every receiver does, and keep the whole walk as a tree
 *   whose lines carry the running count, so a reader sees which include takes
 *   the record over the limit.
 *
 * Layers, bottom up, each usable on its own:
 *   parser   (spfparse.c)  pure: text -> terms, precise syntax errors;
 *   macros   (spfmacro.c)  pure: macro-string expansion (§7);
 *   evaluator(spfeval.c)   asynchronous over mxd_dns (dnsclient.h), on the loop;
 *   outcome  (spftree.c)   the result and its tree: copy, free, text, JSON;
 *   step     (spfstep.c)   the policy step's run: walk + optional check_host.
 * The checks that turn a result into findings are in src/checks/spf.c.
 *
 * Strings in this interface: "raw" ones are bytes as published (the parser
 * needs them exact); everything in mxd_spf_outcome and mxd_spf_line that is
 * meant for display is sanitised (sanitize.h) when stored.
 */
#ifndef MXD_SPF_H
#define MXD_SPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mxd/dnswire.h"
#include "mxd/finding.h"
#include "mxd/json.h"
#include "mxd/loop.h"
#include "mxd/strbuf.h"

/* This header does not include result.h or dnsclient.h, so that result.h can
 * include it to embed mxd_spf_result in mxd_result without an include cycle.
 * The DNS client and the options are named by their struct tags; DNS outcomes
 * are kept as int holding an mxd_qstate value (result.h). */
typedef struct mxd_dns mxd_dns;
struct mxd_options;

/* RFC 7208 §4.6.4: DNS-querying terms per evaluation, and void lookups. */
#define MXD_SPF_MAX_LOOKUPS 10
#define MXD_SPF_MAX_VOID 2
/* §4.6.4: at most 10 MX records per "mx", 10 PTR names per "ptr" / %{p}. */
#define MXD_SPF_MAX_MX 10
#define MXD_SPF_MAX_PTR 10
/* A domain name as SPF handles it: at most 253 characters (§7.3 truncation). */
#define MXD_SPF_DOMAIN_MAX 254

/* ======================================================================== */
/* Results                                                                   */

/* The seven results of check_host() (RFC 7208 §2.6). */
typedef enum {
    MXD_SPF_NONE = 0,
    MXD_SPF_NEUTRAL,
    MXD_SPF_PASS,
    MXD_SPF_FAIL,
    MXD_SPF_SOFTFAIL,
    MXD_SPF_TEMPERROR,
    MXD_SPF_PERMERROR,
} mxd_spf_res;

/* "none", "neutral", "pass", "fail", "softfail", "temperror", "permerror" (static). */
const char *mxd_spf_res_name(mxd_spf_res r);

/* ======================================================================== */
/* Parser (pure)                                                             */

typedef enum {
    MXD_SPF_T_ALL = 0,
    MXD_SPF_T_INCLUDE,
    MXD_SPF_T_A,
    MXD_SPF_T_MX,
    MXD_SPF_T_PTR,
    MXD_SPF_T_IP4,
    MXD_SPF_T_IP6,
    MXD_SPF_T_EXISTS,
    MXD_SPF_T_REDIRECT,    /* modifiers from here on */
    MXD_SPF_T_EXP,
    MXD_SPF_T_UNKNOWN_MOD, /* name=value, ignored by evaluation (§6) */
} mxd_spf_term_kind;

/* "all", "include", ..., "redirect", "exp", "modifier" (static). */
const char *mxd_spf_term_kind_name(mxd_spf_term_kind k);
/* True for the terms that cost one of the 10 lookups (§4.6.4): include, a, mx,
 * ptr, exists and redirect. */
bool mxd_spf_term_counts(mxd_spf_term_kind k);

typedef struct mxd_spf_term {
    mxd_spf_term_kind kind;
    char qualifier;        /* mechanisms: '+', '-', '~' or '?' ('+' when omitted) */
    bool qualifier_given;  /* the record spelled the qualifier out */
    size_t pos, len;       /* the term's place in the record text (0-based bytes) */
    char *spec;            /* owned, NUL-terminated: the domain-spec (mechanisms,
                              redirect, exp) or the value (unknown modifier), raw;
                              NULL when the term has none */
    char *name;            /* owned: an unknown modifier's name; NULL otherwise */
    int cidr4, cidr6;      /* prefix lengths; -1 when not given */
    uint8_t net[16];       /* ip4 (first 4 bytes) and ip6: the network address */
} mxd_spf_term;

typedef struct mxd_spf_record {
    mxd_spf_term *terms;   /* owned, in record order */
    size_t nterms;
    int redirect, exp;     /* index of the modifier in terms, or -1 */
} mxd_spf_record;

/* Where and why a record does not parse. */
typedef struct mxd_spf_syntax {
    size_t pos;            /* 0-based byte offset of the fault in the record */
    size_t term_pos, term_len; /* the term containing it (the whole record for
                                  a bad version) */
    char what[128];        /* English, e.g. "CIDR prefix /33 is longer than 32" */
} mxd_spf_syntax;

/* True when text (len bytes, NULs allowed) is an SPF record: it starts with
 * "v=spf1" (any case) followed by a space or the end (§4.5). */
bool mxd_spf_is_record(const char *text, size_t len);

/* Parses a whole record (version included) of len bytes. Every term is checked
 * before evaluation, so a fault anywhere makes the record invalid (§4.6).
 * Returns 0 and fills *out (free with mxd_spf_record_free), or -1 with *err
 * filled and *out empty (also -1 on ENOMEM, with what "out of memory"). */
int mxd_spf_parse(const char *text, size_t len, mxd_spf_record *out, mxd_spf_syntax *err);
void mxd_spf_record_free(mxd_spf_record *r);

/* Kinds of macro-string (§7.1): a domain-spec may not use c, r or t and must
 * end in a top-level label or a macro; explanation text (the TXT record named
 * by exp=) allows every letter and spaces; an unknown modifier's value is a
 * plain macro-string. */
typedef enum {
    MXD_SPF_MS_DOMAIN = 0,
    MXD_SPF_MS_EXPLAIN,
    MXD_SPF_MS_VALUE,
} mxd_spf_ms_kind;

/* Validates a macro-string of len bytes. Returns true, or false with *errpos
 * (offset in s) and *what (static English text) set. Either pointer may be NULL. */
bool mxd_spf_macro_check(const char *s, size_t len, mxd_spf_ms_kind kind,
                         size_t *errpos, const char **what);
/* True when the macro-string uses the letter (lower case, e.g. 'p'). */
bool mxd_spf_macro_uses(const char *s, char letter);

/* ======================================================================== */
/* Macro expansion (pure)                                                    */

/* The values macros expand to (§7.3). All borrowed; NULL means "" except p,
 * where NULL means "not known yet" (expansion asks for it, see below). */
typedef struct mxd_spf_macro_env {
    const char *s;         /* <sender> */
    const char *l;         /* local-part of <sender> */
    const char *o;         /* domain of <sender> */
    const char *d;         /* <domain> being checked */
    const char *i;         /* <ip>: dotted quad, or 32 dot-separated nibbles */
    const char *p;         /* validated domain name of <ip>, or "unknown" */
    const char *v;         /* "in-addr" or "ip6" */
    const char *h;         /* HELO/EHLO domain */
    const char *c;         /* <ip> in readable form (explanations only) */
    const char *r;         /* the checking host's name (explanations only) */
    const char *t;         /* current time, seconds since the epoch (explanations only) */
} mxd_spf_macro_env;

/* The strings of env->i, env->c and env->v for an address (16 bytes; v6 false:
 * the IPv4 address in the first 4). The IPv6 nibbles are upper-case hex, as the
 * openspf test suite expects in explanation text (DNS ignores the case). */
typedef struct mxd_spf_ipstr {
    char i[72], c[48], v[8];
} mxd_spf_ipstr;
void mxd_spf_ipstr_fill(mxd_spf_ipstr *out, const uint8_t ip[16], bool v6);

/* Expands the macro-string s (len bytes) of the given kind. Returns 0 with
 * *out newly allocated (caller frees); 1 when s uses %{p} and env->p is NULL
 * (compute it and call again); -1 on a syntax error or ENOMEM. A domain-spec's
 * result is returned as expanded: trimming and truncation for a DNS query are
 * mxd_spf_target_name()'s job. */
int mxd_spf_expand(const char *s, size_t len, mxd_spf_ms_kind kind,
                   const mxd_spf_macro_env *env, char **out);

/* Turns an expanded domain-spec into the name to query (§7.3, §4.3): drops one
 * trailing dot, removes labels from the left until it is at most 253
 * characters, and checks every label is 1..63 characters. Writes the raw name
 * into raw (MXD_SPF_DOMAIN_MAX) and, when pres is not NULL, the presentation
 * form for mxd_dns_query (bytes outside '!'..'~' and the backslash escaped as
 * \DDD) into pres (MXD_NAME_MAX). Returns false when no query can be made. */
bool mxd_spf_target_name(const char *expanded, char *raw, char *pres);

/* True when a <domain> can be checked at all (§4.3): a valid, multi-label name
 * whose last label is a top-level label (letters, digits, inner hyphens, not
 * all digits). "[192.0.2.1]" or a single label are not. */
bool mxd_spf_domain_ok(const char *domain);

/* ======================================================================== */
/* Outcome of an evaluation or a walk: the result and the tree               */

typedef enum {
    MXD_SPF_LINE_RECORD = 0, /* a domain's record was looked up */
    MXD_SPF_LINE_TERM,       /* a term of the record above it was evaluated */
} mxd_spf_line_kind;

/* What the lookup of a domain's record found. */
typedef enum {
    MXD_SPF_REC_OK = 0,      /* one record, parsed */
    MXD_SPF_REC_NONE,        /* no SPF record (or no such domain) */
    MXD_SPF_REC_MULTIPLE,    /* more than one "v=spf1" record: permerror */
    MXD_SPF_REC_SYNTAX,      /* the record does not parse: permerror */
    MXD_SPF_REC_DNS_ERROR,   /* the TXT lookup failed: temperror */
    MXD_SPF_REC_BAD_NAME,    /* the name cannot be checked (§4.3): none */
} mxd_spf_rec_state;

const char *mxd_spf_rec_state_name(mxd_spf_rec_state s); /* "ok", "none", ... */

/* One line of the tree, in pre-order: a RECORD line, then its TERM lines, each
 * include's or redirect's RECORD line (depth + 1) right after its TERM line. */
typedef struct mxd_spf_line {
    mxd_spf_line_kind kind;
    unsigned depth;          /* 0: the domain asked about; +1 per include/redirect */
    char *domain;            /* owned, sanitised: RECORD: whose record; TERM: the
                                domain whose record holds the term */
    char *text;              /* owned, sanitised: RECORD: the record (NULL when
                                there is none); TERM: the term as written */
    char *target;            /* owned, sanitised: TERM: the name it looked up after
                                macro expansion; NULL when it looks nothing up */
    /* RECORD lines */
    mxd_spf_rec_state rstate;
    unsigned nrecords;       /* "v=spf1" records found there */
    bool via_redirect;       /* reached through redirect= (else include or top) */
    size_t err_pos;          /* SYNTAX: 0-based offset in text */
    char *err_what;          /* owned, SYNTAX: English reason (else NULL) */
    char *err_term;          /* owned, sanitised, SYNTAX: the term at fault */
    /* TERM lines */
    mxd_spf_term_kind mech;
    char qualifier;          /* mechanisms: + - ~ ? */
    int qstate;              /* mxd_qstate: how the term's main query ended
                                (MXD_Q_NOT_SENT: it made none) */
    bool counts;             /* costs one of the 10 lookups */
    unsigned lookups;        /* running count of lookups once this term is counted */
    bool is_void;            /* its lookup found nothing (NXDOMAIN or no data) */
    unsigned voids;          /* running void count after this term */
    bool over_limit;         /* the term that took lookups past 10 */
    bool void_over;          /* the term that took void lookups past 2 */
    unsigned mx_count;       /* mx: MX records found */
    bool matched;            /* check_host: the mechanism that decided the result */
    bool sender_dependent;   /* walk: the target depends on the sender or the
                                client address, so it was counted, not looked up */
    bool loop;               /* walk: leads back to a record already being walked */
    bool bad_target;         /* its target, once expanded, is no usable domain name */
} mxd_spf_line;

/* Why an evaluation ended in permerror, temperror or none. */
typedef enum {
    MXD_SPF_P_NONE = 0,        /* no problem */
    MXD_SPF_P_BAD_DOMAIN,      /* the domain cannot be checked (none) */
    MXD_SPF_P_NO_RECORD,       /* the domain publishes no SPF record (none) */
    MXD_SPF_P_MULTIPLE,        /* several v=spf1 records */
    MXD_SPF_P_SYNTAX,          /* a record does not parse */
    MXD_SPF_P_TOO_MANY_LOOKUPS,/* more than 10 DNS-querying terms */
    MXD_SPF_P_VOID_LOOKUPS,    /* more than 2 lookups that found nothing */
    MXD_SPF_P_MX_LIMIT,        /* an "mx" found more than 10 MX records */
    MXD_SPF_P_INCLUDE_NONE,    /* include/redirect target has no SPF record */
    MXD_SPF_P_LOOP,            /* walk: include/redirect loop */
    MXD_SPF_P_DNS,             /* a lookup failed (temperror) */
    MXD_SPF_P_DEADLINE,        /* the whole evaluation took too long (temperror) */
} mxd_spf_problem;

const char *mxd_spf_problem_name(mxd_spf_problem p); /* "too_many_lookups", ... */

typedef struct mxd_spf_outcome {
    mxd_spf_res result;      /* check_host: the verdict. Walk: NONE (no record),
                                PERMERROR or TEMPERROR (every receiver gets it),
                                or NEUTRAL (the record can be evaluated) */
    bool walk;               /* produced by a walk, not by check_host */
    char domain[MXD_SPF_DOMAIN_MAX]; /* the domain checked, sanitised */
    mxd_spf_problem problem; /* the first problem a receiver runs into */
    long problem_line;       /* its line in lines[] (RECORD or TERM), -1 if none */
    unsigned lookups, voids; /* totals counted (walk: over the whole tree) */
    long over_line;          /* TERM line that took lookups past 10, or -1 */
    long void_over_line;     /* TERM line that took voids past 2, or -1 */
    long matched_line;       /* check_host: the deciding mechanism, or -1 */
    char *explanation;       /* owned, sanitised: fail with exp=: the domain's
                                explanation; NULL otherwise */
    char *dns_name;          /* owned, sanitised: P_DNS: the name that failed */
    uint16_t dns_type;       /* P_DNS: its type */
    int dns_state;           /* mxd_qstate, P_DNS: how it failed */
    mxd_spf_line *lines;     /* owned, the tree in pre-order */
    size_t nlines;
} mxd_spf_outcome;

/* Frees what o owns and zeroes it. */
void mxd_spf_outcome_free(mxd_spf_outcome *o);
/* Deep copy into dst (dst's old contents are not freed). 0, or -1 on ENOMEM
 * (dst left empty). */
int mxd_spf_outcome_copy(mxd_spf_outcome *dst, const mxd_spf_outcome *src);

/* The tree as indented text, one line per entry, appended to out. A record
 * line is its domain and record; its terms follow, two spaces deeper; an
 * include's record sits one level (four spaces) deeper than its parent's:
 *     example.jp  v=spf1 include:_spf.example.net mx -all
 *       include:_spf.example.net                             [1]
 *         _spf.example.net  v=spf1 a:gone.example.net ~all
 *           a:gone.example.net                               [2] void 1
 *           ~all
 *       mx                                                   [3]
 *       -all
 * "[n]" is the running lookup count ("!" after it: this term went past the
 * limit), "void n" the running void count ("!": past 2), "loop" a walk that
 * leads back, "<=" the mechanism that decided check_host's result. Records
 * that could not be used show their state in parentheses, e.g. "(none)". */
void mxd_spf_tree_text(const mxd_spf_outcome *o, mxd_sb *out);

/* ======================================================================== */
/* Evaluator (asynchronous, on the loop)                                     */

typedef struct mxd_spf_eval mxd_spf_eval;

typedef void (*mxd_spf_done_cb)(void *arg, const mxd_spf_outcome *o);

typedef struct mxd_spf_eval_opts {
    bool walk;               /* record walk instead of check_host (ip ignored) */
    unsigned deadline_ms;    /* whole evaluation; 0: 20000 (§4.6.4 says at least 20 s) */
    const char *receiver;    /* %{r}; NULL: "unknown" */
    time_t now;              /* %{t}; 0: time(NULL) */
} mxd_spf_eval_opts;

/* check_host(ip, domain, sender) with HELO name helo (RFC 7208 §4). ip: the
 * client address as text (IPv4, IPv6, IPv4-mapped IPv6 counts as IPv4).
 * sender: the MAIL FROM address ("" or NULL: the HELO identity,
 * postmaster@helo). domain: NULL for the sender's domain (§4.1). Every DNS
 * question goes through mxd_dns_query on dns (borrowed, must outlive the
 * evaluation); the evaluation continues in its callbacks. done runs exactly
 * once, from the loop, never before this returns; o is borrowed for the call
 * (copy it with mxd_spf_outcome_copy to keep it). The handle is freed by the
 * evaluator right after done returns. Returns NULL on ENOMEM or a bad ip. */
mxd_spf_eval *mxd_spf_eval_start(mxd_loop *loop, mxd_dns *dns, const char *ip,
                                 const char *sender, const char *helo, const char *domain,
                                 mxd_spf_done_cb done, void *arg);
/* The same with options (opts may be NULL). In walk mode ip, sender and helo
 * may be NULL and domain is required. */
mxd_spf_eval *mxd_spf_eval_start_ex(mxd_loop *loop, mxd_dns *dns, const char *ip,
                                    const char *sender, const char *helo, const char *domain,
                                    const mxd_spf_eval_opts *opts,
                                    mxd_spf_done_cb done, void *arg);
/* The record walk of the policy step: fetch domain's SPF, follow every include
 * and redirect (terms after "all" are never reached and not walked), count as
 * receivers do, and build the tree. Terms whose target depends on the sender
 * or client address are counted but not looked up; "a" and "mx" look up IPv4
 * addresses, as for an IPv4 client. Same contract as mxd_spf_eval_start. */
mxd_spf_eval *mxd_spf_walk_start(mxd_loop *loop, mxd_dns *dns, const char *domain,
                                 mxd_spf_done_cb done, void *arg);
/* Stops now; done is not called. Queries in flight are left to finish and
 * their answers dropped. NULL is ignored; do not call from done. */
void mxd_spf_eval_cancel(mxd_spf_eval *e);

/* ======================================================================== */
/* The policy step's SPF part                                                */

/* What the policy step found about SPF. Embedded in mxd_result by the engine. */
typedef struct mxd_spf_result {
    bool walked;             /* the walk finished: walk is valid */
    mxd_spf_outcome walk;    /* the record walk of the domain */
    bool check_requested;    /* --spf-ip was given */
    bool checked;            /* check_host finished: check is valid */
    char ip[64];             /* sanitised copies of what was asked */
    char sender[320];
    mxd_spf_outcome check;   /* check_host(ip, sender's domain, sender) */
} mxd_spf_result;

/* Frees what r owns and zeroes it (r itself is the caller's). */
void mxd_spf_result_free(mxd_spf_result *r);

typedef struct mxd_spf_run mxd_spf_run;

/* Starts the SPF part of the policy step on loop with the engine's recursive
 * resolver client (borrowed; must outlive the run): the walk of domain_ascii,
 * and, when spf_ip is not NULL, check_host(spf_ip, ..., spf_sender) at the same
 * time (spf_sender NULL: postmaster@domain_ascii; the HELO name used for %{h}
 * is the sender's domain). Fills *out (borrowed; zero it first) as results
 * arrive, calling changed(arg) after each; done(arg) exactly once from the
 * loop when both are in. Each evaluation is bounded by
 * max(20, 4 * opts->timeout_s) seconds. Returns NULL on ENOMEM or when spf_ip
 * is not an IP address (nothing started, out untouched). */
mxd_spf_run *mxd_spf_start(mxd_loop *loop, mxd_dns *recursive, const struct mxd_options *opts,
                           const char *domain_ascii, const char *spf_ip,
                           const char *spf_sender, mxd_spf_result *out,
                           void (*changed)(void *arg), void (*done)(void *arg), void *arg);
/* Stops now; done() not called; what is in *out stays valid. */
void mxd_spf_cancel(mxd_spf_run *run);

/* True when s is an IPv4 or IPv6 address that --spf-ip accepts. */
bool mxd_spf_ip_ok(const char *s);

/* ======================================================================== */
/* Checks and report                                                         */

/* Findings of step "policy" from the SPF part (pure; src/checks/spf.c).
 * domain: the diagnosed domain (ASCII), for params. */
void mxd_check_spf_data(const mxd_spf_result *d, const char *domain, mxd_findings *out);

/* Writes the SPF part as one JSON object value (the caller writes the key,
 * e.g. "spf"): the walk's record, counts, problem and tree; the check's
 * address, sender, result and explanation when requested. */
void mxd_spf_json(mxd_json *j, const mxd_spf_result *d);

#endif
