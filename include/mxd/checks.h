/* checks.h — pure rules from the result model to findings.
 *
 * No check does I/O or reads the clock: given the same mxd_result they emit the
 * same findings, so every rule is unit-tested with hand-built results. Each step
 * has its own function; mxd_check_all() runs them in the documented order.
 */
#ifndef MXD_CHECKS_H
#define MXD_CHECKS_H

#include "mxd/finding.h"
#include "mxd/result.h"

void mxd_check_mx(const mxd_result *r, mxd_findings *out);
void mxd_check_targets(const mxd_result *r, mxd_findings *out);
void mxd_check_propagation(const mxd_result *r, mxd_findings *out);
void mxd_check_smtp(const mxd_result *r, mxd_findings *out);
void mxd_check_all(const mxd_result *r, mxd_findings *out);

typedef enum {
    MXD_VERDICT_PASS = 0, MXD_VERDICT_WARN, MXD_VERDICT_FAIL, MXD_VERDICT_ERROR
} mxd_verdict;

mxd_verdict mxd_verdict_of(const mxd_findings *fs);
const char *mxd_verdict_name(mxd_verdict v); /* "pass", "warn", "fail", "error" */
/* Exit status for a verdict: 0 pass, 1 warn, 2 fail, 3 could not diagnose. */
int mxd_verdict_exit(mxd_verdict v);

/* True for addresses a sender on the internet cannot reach (RFC 1918, loopback,
 * link-local, CGNAT, documentation, reserved; their IPv6 equivalents). */
bool mxd_addr_is_private(const mxd_addr *a);
bool mxd_addr_is_loopback(const mxd_addr *a);

#endif
