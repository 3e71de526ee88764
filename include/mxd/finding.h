/* finding.h — what a check concludes: {id, severity, subject, params}.
 *
 * Findings are the only thing the presentation layer reads besides the result
 * model. The id ("mx.null", "smtp.timeout") is stable and names the help-catalog
 * entry that explains it; params fill the catalog's {placeholders}. Every param
 * value is sanitised when it is added, so remote text can never reach a screen
 * unsanitised through a finding.
 */
#ifndef MXD_FINDING_H
#define MXD_FINDING_H

#include <stddef.h>

/* Ordered by how bad it is; PASS < INFO < SKIP < WARN < FAIL < ERROR for "worst". */
typedef enum {
    MXD_SEV_PASS = 0,
    MXD_SEV_INFO,
    MXD_SEV_SKIP,
    MXD_SEV_WARN,
    MXD_SEV_FAIL,
    MXD_SEV_ERROR, /* the tool could not test it (DNS error, no resolver answered) */
} mxd_severity;

const char *mxd_severity_name(mxd_severity s); /* "pass", "info", ... (static) */

typedef struct mxd_param {
    char *key;   /* owned */
    char *value; /* owned, sanitised */
} mxd_param;

typedef struct mxd_finding {
    char *id;      /* owned, e.g. "smtp.refused" */
    char *step;    /* owned: "mx", "target", "smtp", ... */
    mxd_severity sev;
    char *subject; /* owned, sanitised: the host or record it is about ("" for the domain) */
    mxd_param *params;
    size_t nparams;
    int rank;      /* for the summary: lower is a more likely cause (0 = unranked) */
} mxd_finding;

typedef struct mxd_findings {
    mxd_finding *v;
    size_t n, cap;
} mxd_findings;

/* Appends a finding and returns it (borrowed; valid until the next add), or NULL
 * on ENOMEM. subject may be NULL. */
mxd_finding *mxd_findings_add(mxd_findings *fs, const char *step, const char *id,
                              mxd_severity sev, const char *subject);
/* Adds a parameter; the value is sanitised. Returns 0 or -1 (ENOMEM). */
int mxd_finding_param(mxd_finding *f, const char *key, const char *value);
int mxd_finding_paramf(mxd_finding *f, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Borrowed value, or NULL. */
const char *mxd_finding_get(const mxd_finding *f, const char *key);

/* Worst severity among the findings of one step (PASS when none). step NULL: all. */
mxd_severity mxd_findings_worst(const mxd_findings *fs, const char *step);
/* True when a finding with this id exists (subject NULL: any subject). */
const mxd_finding *mxd_findings_find(const mxd_findings *fs, const char *id, const char *subject);
void mxd_findings_free(mxd_findings *fs);

#endif
