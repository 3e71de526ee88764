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

/* How an authoritative server behaves. */
typedef enum {
    MXD_AUTH_NORMAL = 0,
    MXD_AUTH_SILENT,   /* never answers (timeouts) */
    MXD_AUTH_LAME,     /* answers without the AA bit / REFUSED: not authoritative */
    MXD_AUTH_SERVFAIL, /* answers SERVFAIL to everything */
} mxd_auth_mode;

typedef struct mxd_scn_zone {
    char origin[MXD_NAME_MAX];  /* "lab.test" */
    mxd_rr *rrs; size_t nrrs;   /* owned; SOA and NS synthesised when absent */
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
} mxd_smtp_behaviour;

typedef enum {
    MXD_CERT_GOOD = 0,   /* signed by the lab CA, for the server's name */
    MXD_CERT_WRONG_NAME, /* signed by the lab CA, for another name */
    MXD_CERT_EXPIRED,    /* signed by the lab CA, expired */
    MXD_CERT_SELF_SIGNED,
} mxd_cert_kind;

typedef struct mxd_scn_smtp {
    char addr[48];           /* 127.x.y.z */
    char name[MXD_NAME_MAX]; /* host name it believes it is (greeting, certificate) */
    mxd_smtp_behaviour behaviour;
    mxd_cert_kind cert;
    unsigned delay_ms;       /* extra delay before every reply (tarpit speed etc.) */
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
    char path[512];
} mxd_scenario;

/* Parses a scenario file's text. Returns 0, or -1 with "name:LINE: what is wrong"
 * in err (in the catalog language when cat is given, else English). */
int mxd_scenario_parse(const char *text, size_t len, const char *name,
                       mxd_scenario *out, char *err, size_t errlen);
int mxd_scenario_load(const char *path, mxd_scenario *out, char *err, size_t errlen);
void mxd_scenario_free(mxd_scenario *s);

/* Lists help/scenarios/*.scn, sorted by file name. Returns the number loaded;
 * *out is an owned array (free each with mxd_scenario_free, then free()). */
size_t mxd_scenario_list(const char *helpdir, mxd_scenario **out);

#endif
