/* lab.h — the practice lab: a scenario's DNS and SMTP servers, live on loopback.
 *
 * Started inside the same process and event loop as the engine: authoritative
 * DNS servers, a caching recursive resolver and SMTP servers, each bound to its
 * own 127.x.y.z address (never another address, never port 5353), on ports
 * chosen so nothing else on the machine collides. mxd_lab_apply() points the
 * engine at them. Everything stops with mxd_lab_stop().
 */
#ifndef MXD_LAB_H
#define MXD_LAB_H

#include "mxd/loop.h"
#include "mxd/result.h"
#include "mxd/scenario.h"

typedef struct mxd_lab mxd_lab;

/* Starts the scenario's servers on loop (borrowed). scn is borrowed and must
 * outlive the lab. latency_ms delays every DNS answer and SMTP reply.
 * Returns an owned lab (mxd_lab_stop), or NULL with err. */
mxd_lab *mxd_lab_start(mxd_loop *loop, const mxd_scenario *scn, unsigned latency_ms,
                       char *err, size_t errlen);
/* Sets resolver, ports, loopback rules and the lab CA in opts. The strings it
 * points opts at are owned by the lab. */
void mxd_lab_apply(mxd_lab *lab, mxd_options *opts);
/* "127.0.53.53:40123": the lab resolver (borrowed). */
const char *mxd_lab_resolver(const mxd_lab *lab);
unsigned mxd_lab_smtp_port(const mxd_lab *lab);
unsigned mxd_lab_dns_port(const mxd_lab *lab);
unsigned mxd_lab_https_port(const mxd_lab *lab);
/* The lab CA certificate as PEM into buf; returns the length or -1. */
int mxd_lab_ca_pem(const mxd_lab *lab, char *buf, size_t cap);
void mxd_lab_stop(mxd_lab *lab);

#endif
