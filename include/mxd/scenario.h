/* scenario.h — a practice-lab scenario: records, server behaviours, and the lesson.
 *
 * Scenarios are plain UTF-8 files under help/scenarios/ that a teacher can copy
 * and edit (format: help/scenarios/README.md). This is their parsed form: pure
 * data, no sockets. The lab (lab.h) starts servers from it.
 */
#ifndef MXD_SCENARIO_H
#define MXD_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxd/catalog.h"
#include "mxd/dnswire.h"
#include "mxd/scenario_error.h"

/* How an authoritative server behaves. */
typedef enum {
    MXD_AUTH_NORMAL = 0,
    MXD_AUTH_SILENT,   /* never answers (timeouts) */
    MXD_AUTH_LAME,     /* answers without the AA bit / REFUSED: not authoritative */
    MXD_AUTH_SERVFAIL, /* answers SERVFAIL to everything */
} mxd_auth_mode;

/* Where the association data of a TLSA record comes from. The lab's
 * certificates are made when it starts, so a scenario names them instead of
 * giving their digests; the lab fills the data in (lab.c). */
typedef enum {
    MXD_TLSA_FROM_LITERAL = 0, /* hex in the file; the record's RDATA is complete */
    MXD_TLSA_FROM_CERT,        /* "@cert": the certificate (or key) of the [smtp] server
                                  whose name is the owner without "_25._tcp." */
    MXD_TLSA_FROM_OTHER,       /* "@other": a certificate for that name with another key,
                                  as before a renewal (for a mismatch lesson) */
    MXD_TLSA_FROM_CA,          /* "@ca": the lab CA's certificate (DANE-TA, usage 2) */
} mxd_tlsa_from;

/* A TLSA record whose data the lab fills in. Its RDATA in the zone holds only
 * usage, selector and matching type (3 bytes) until then. */
typedef struct mxd_scn_tlsa {
    size_t rr;                  /* index of the record in the zone's rrs */
    mxd_tlsa_from from;         /* never MXD_TLSA_FROM_LITERAL */
    char host[MXD_NAME_MAX];    /* CERT, OTHER: the server's name; "" for CA */
    int line;
} mxd_scn_tlsa;

/* Names in records are stored lower-case, absolute, without the trailing dot
 * ("mx1.lab.test"); the root (a null MX's target) is ".". */
typedef struct mxd_scn_zone {
    char origin[MXD_NAME_MAX];  /* "lab.test" */
    mxd_rr *rrs; size_t nrrs;   /* owned, in file order; the parser appends an SOA and
                                   an NS ("ns1.<origin>") when the file has none */
    int line;                   /* the [zone] line */
    /* "dnssec: signed": the lab's resolvers treat answers from this zone as
     * DNSSEC-validated (the AD bit). A simulation: nothing is signed. */
    bool dnssec;
    mxd_scn_tlsa *tlsa; size_t ntlsa; /* owned: TLSA records the lab fills in */
} mxd_scn_zone;

typedef struct mxd_scn_auth {
    char addr[48];              /* 127.x.y.z */
    mxd_auth_mode mode;
    /* Optional private view: when nzones > 0 this server serves these zones
     * instead of the scenario's (two servers that disagree). */
    mxd_scn_zone *zones; size_t nzones;
    int line;
} mxd_scn_auth;

typedef enum {
    MXD_SMTPB_OK = 0,       /* greets 220, EHLO, STARTTLS, QUIT */
    MXD_SMTPB_REFUSE,       /* nothing listens: connection refused */
    MXD_SMTPB_BLACKHOLE,    /* accepts, never says anything */
    MXD_SMTPB_GREET_554,    /* "554 no service" and close */
    MXD_SMTPB_GREET_421,    /* "421 try later" and close */
    MXD_SMTPB_NO_STARTTLS,  /* does not offer STARTTLS */
    MXD_SMTPB_TARPIT,       /* greets one byte at a time, slowly */
    MXD_SMTPB_INJECT,       /* sends a command right after the 220 to STARTTLS */
    MXD_SMTPB_CLOSE,        /* greets 220, hangs up as soon as EHLO/HELO arrives */
    MXD_SMTPB_GARBAGE,      /* another service on port 25: an SSH banner, not SMTP */
    MXD_SMTPB_TLS_GARBAGE,  /* 220 to STARTTLS, then answers the TLS hello in plain text */
    MXD_SMTPB_FILTERED,     /* a firewall that drops SYNs: connections time out */
    /* Hostile servers, for "never trust what a server says" (issue 8). */
    MXD_SMTPB_HOSTILE_SPLIT,    /* everything it says, one byte per packet */
    MXD_SMTPB_HOSTILE_LONGLINE, /* a 100 KB greeting line */
    MXD_SMTPB_HOSTILE_ENDLESS,  /* a multi-line greeting that never ends */
    MXD_SMTPB_HOSTILE_BYTES,    /* NUL bytes and invalid UTF-8 in its text */
    MXD_SMTPB_HOSTILE_ESCAPES,  /* terminal escapes: clear screen, OSC 52, window title */
    MXD_SMTPB_HOSTILE_BIDI,     /* bidirectional overrides (U+202E) in its text */
    MXD_SMTPB_HOSTILE_RESET,    /* a TCP reset in the middle of the EHLO reply */
    MXD_SMTPB_HOSTILE_NOREAD,   /* greets, then never reads another byte */
} mxd_smtp_behaviour;

typedef enum {
    MXD_CERT_GOOD = 0,   /* signed by the lab CA, for the server's name */
    MXD_CERT_WRONG_NAME, /* signed by the lab CA, for another name */
    MXD_CERT_EXPIRED,    /* signed by the lab CA, expired */
    MXD_CERT_SELF_SIGNED,
} mxd_cert_kind;

/* How a server answers RCPT TO (the delivery step's recipient check). */
typedef enum {
    MXD_RCPT_ACCEPT = 0,      /* every recipient: 250 */
    MXD_RCPT_REJECT_UNKNOWN,  /* local parts not in users[] (and not postmaster): 550 5.1.1 */
    MXD_RCPT_GREYLIST,        /* the first try of each sender/recipient pair: 450 4.7.1 */
} mxd_rcpt_mode;

/* What it does with DATA. */
typedef enum {
    MXD_DATA_REFUSE = 0,      /* 554 at DATA: the lab accepts no messages */
    MXD_DATA_ACCEPT,          /* 354, reads the message, "250 2.0.0 queued as <id>"; stores nothing */
} mxd_data_mode;

/* Whether the same address listens on the lab's submission port (where the
 * delivery step looks when port 25 fails everywhere). */
typedef enum {
    MXD_SUBMISSION_NONE = 0,  /* nothing listens: refused */
    MXD_SUBMISSION_OK,        /* a server like "ok" */
    MXD_SUBMISSION_FILTERED,  /* dropped like "filtered" */
} mxd_submission_mode;

#define MXD_SCN_MAX_USERS 16

typedef struct mxd_scn_smtp {
    char addr[48];           /* 127.x.y.z */
    char name[MXD_NAME_MAX]; /* host name it believes it is (greeting, certificate) */
    mxd_smtp_behaviour behaviour;
    mxd_cert_kind cert;
    unsigned delay_ms;       /* extra delay before every reply; for tarpit, the pause
                                between greeting bytes instead (0: 1000 ms); for
                                hostile-split, between any two bytes (0: 1 ms) */
    mxd_rcpt_mode rcpt;
    char users[MXD_SCN_MAX_USERS][65]; /* reject-unknown: the local parts that exist */
    size_t nusers;
    mxd_data_mode data;
    mxd_submission_mode submission;
    int line;
} mxd_scn_smtp;

typedef struct mxd_scenario {
    char id[64];
    char level[16];                      /* "beginner" | "advanced" */
    char domain[MXD_NAME_MAX];           /* what the diagnosis is run on */
    char *title[MXD_LANG_COUNT];         /* owned UTF-8 */
    char *question[MXD_LANG_COUNT];
    char *hint[MXD_LANG_COUNT];
    char *answer[MXD_LANG_COUNT];
    mxd_scn_zone *zones; size_t nzones;  /* the published data */
    mxd_scn_auth *auth; size_t nauth;    /* default: one normal server */
    mxd_scn_smtp *smtp; size_t nsmtp;
    char **expect; size_t nexpect;       /* finding ids the run must produce, exactly */
    struct mxd_scn_https *https; size_t nhttps; /* [https] sections (scenario_https.h), owned */
    char path[512];
} mxd_scenario;

#define MXD_SCENARIO_MAX_BYTES (1024u * 1024u) /* larger files are refused */

/* Parses a scenario file's text (len bytes, need not be NUL-terminated). Returns 0
 * and fills *out (free with mxd_scenario_free), or -1 with *out left empty and
 * what is wrong in *err (may be NULL): file name, line and message id, shown to
 * the reader with mxd_scn_error_format() (scenario_error.h). name is borrowed,
 * only for the error. */
int mxd_scenario_parse(const char *text, size_t len, const char *name,
                       mxd_scenario *out, mxd_scn_error *err);
/* Reads and parses a file (at most MXD_SCENARIO_MAX_BYTES); path is copied into
 * out->path. A file that cannot be read gives an error with line 0. */
int mxd_scenario_load(const char *path, mxd_scenario *out, mxd_scn_error *err);
/* Frees what *s owns and zeroes it (s itself is the caller's). */
void mxd_scenario_free(mxd_scenario *s);

/* Lists the files in help/scenarios/ whose names end in .scn, sorted by file name. Returns the number loaded;
 * *out is an owned array (free each with mxd_scenario_free, then free()), NULL
 * when none. Files that do not parse, and later files repeating an id, are left out. */
size_t mxd_scenario_list(const char *helpdir, mxd_scenario **out);
/* The same, and says what was left out: *nfailed (may be NULL) counts the files
 * skipped, *err (may be NULL) gets the first one's error (MXD_SCN_OK when none;
 * also set when the folder cannot be read, with nfailed 0). */
size_t mxd_scenario_list_checked(const char *helpdir, mxd_scenario **out,
                                 size_t *nfailed, mxd_scn_error *err);
/* The scenario with this id among n, or NULL (borrowed from list). */
const mxd_scenario *mxd_scenario_find(const mxd_scenario *list, size_t n, const char *id);

/* Writes s back in the file format (a teacher's starting point for a new
 * scenario; parsing the output gives s again). Returns a newly allocated
 * string (caller frees), or NULL on ENOMEM. */
char *mxd_scenario_format(const mxd_scenario *s);

const char *mxd_auth_mode_name(mxd_auth_mode m);           /* "normal", ... (static) */
const char *mxd_smtp_behaviour_name(mxd_smtp_behaviour b); /* "ok", "refuse", ... */
const char *mxd_cert_kind_name(mxd_cert_kind k);           /* "good", "wrong-name", ... */
const char *mxd_rcpt_mode_name(mxd_rcpt_mode m);           /* "accept", "reject-unknown", "greylist" */
const char *mxd_data_mode_name(mxd_data_mode m);           /* "refuse", "accept" */
const char *mxd_submission_mode_name(mxd_submission_mode m); /* "none", "ok", "filtered" */

#endif
