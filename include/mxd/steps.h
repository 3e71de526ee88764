/* steps.h — the documented troubleshooting procedure, in order.
 *
 * One table names the steps the wizard walks and the reports print. A step
 * whose checks do not exist yet is not listed (no empty promises).
 */
#ifndef MXD_STEPS_H
#define MXD_STEPS_H

#include <stddef.h>

typedef struct mxd_step {
    const char *id;        /* "mx": findings carry it; catalog key "step.<id>" */
} mxd_step;

extern const mxd_step mxd_steps[];
extern const size_t mxd_nsteps;

/* Every finding id the checks can emit, with the step it belongs to (for tests
 * that the catalog explains each one, and for scenario validation). */
typedef struct mxd_finding_def {
    const char *id;
    const char *step;
} mxd_finding_def;

extern const mxd_finding_def mxd_finding_defs[];
extern const size_t mxd_nfinding_defs;

const mxd_finding_def *mxd_finding_def_find(const char *id);

#endif
