/* scenario_https.h — the [https ADDRESS] section of a practice-lab scenario.
 *
 * A scenario can run web servers on loopback that serve files such as an
 * MTA-STS policy (https://mta-sts.DOMAIN/.well-known/mta-sts.txt), good or
 * broken, so a class sees every way a policy fetch fails. Written as a separate
 * piece that the scenario parser (scenario.c) calls for the lines of such a
 * section, so the format's owner only adds the hooks:
 *
 *     [https 127.0.53.80]
 *     name: mta-sts.secure.lab.test
 *     cert: good
 *     path: /.well-known/mta-sts.txt
 *     status: 200
 *     type: text/plain
 *     body: version: STSv1
 *       mode: enforce
 *       mx: mx1.secure.lab.test
 *       max_age: 86400
 *
 * Keys: name (required: the host name in the certificate and the expected Host
 * header), cert (good | wrong-name | expired | self-signed), behaviour (ok |
 * blackhole | reset), and per file: path (starts a file), status (100-599,
 * default 200), type (default text/plain; "none" sends no Content-Type),
 * location (a Location header, for redirects), body (the first line; each
 * following indented line is one more line; lines end in CRLF when served).
 */
#ifndef MXD_SCENARIO_HTTPS_H
#define MXD_SCENARIO_HTTPS_H

#include <stdbool.h>
#include <stddef.h>

#include "mxd/scenario.h"
#include "mxd/strbuf.h"

typedef enum {
    MXD_HTTPSB_OK = 0,    /* TLS, then answers each request from its files */
    MXD_HTTPSB_BLACKHOLE, /* accepts the connection, never says anything */
    MXD_HTTPSB_RESET,     /* accepts and resets the connection at once */
} mxd_https_behaviour;

const char *mxd_https_behaviour_name(mxd_https_behaviour b); /* "ok", ... (static) */

typedef struct mxd_scn_https_path {
    char path[256];           /* "/.well-known/mta-sts.txt" */
    int status;               /* 100..599 */
    char content_type[128];   /* "" sends no Content-Type header */
    char location[512];       /* "" sends no Location header */
    char *body;               /* owned, NUL-terminated; "" when none */
    size_t body_len;
} mxd_scn_https_path;

typedef struct mxd_scn_https {
    char addr[48];            /* 127.x.y.z */
    char name[MXD_NAME_MAX];  /* host name: certificate, SNI and Host header */
    mxd_https_behaviour behaviour;
    mxd_cert_kind cert;
    mxd_scn_https_path *paths; size_t npaths; /* owned */
    int line;                 /* the [https] line */
    /* parser state */
    unsigned keys;            /* server keys already given */
    unsigned path_keys;       /* keys already given for the current path */
    bool in_body;             /* an indented line continues the current body */
} mxd_scn_https;

/* Errors: the functions below set the code and values of *err (which may be
 * NULL) and leave its file and line to the caller (scenario_error.h). */

/* Starts a section for addr (already checked by the caller to be 127.x.y.z) at
 * line: appends to *arr (realloc'd; the array is owned by the caller, free with
 * mxd_scn_https_free). Returns the new section (borrowed from *arr, valid until
 * the next call), or NULL with the reason in *err (duplicate address, ENOMEM). */
mxd_scn_https *mxd_scn_https_section(mxd_scn_https **arr, size_t *n, const char *addr,
                                     int line, mxd_scn_error *err);

/* One line of the section, as in the file (indentation kept, line end and
 * trailing blanks removed; blank and comment lines are not passed). Returns 0,
 * or -1 with the reason in *err (the caller adds the file and line). */
int mxd_scn_https_line(mxd_scn_https *h, const char *raw, mxd_scn_error *err);

/* Checks what only the end can tell (every section has a name). Returns 0, or -1
 * with the reason in *err and *line set to the section's line. */
int mxd_scn_https_finish(const mxd_scn_https *arr, size_t n, int *line, mxd_scn_error *err);

/* Frees the sections and the array. */
void mxd_scn_https_free(mxd_scn_https *arr, size_t n);

/* Appends the sections in file form (parsing it gives them back). */
void mxd_scn_https_format(mxd_sb *sb, const mxd_scn_https *arr, size_t n);

#endif
