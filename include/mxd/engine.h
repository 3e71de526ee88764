/* engine.h — the diagnosis plan: start every probe that can start, fill the result.
 *
 * The engine owns the c-ares channel and the SMTP probes for one diagnosis. As soon
 * as a domain is given, the MX, A and AAAA queries go out together; each MX answer
 * starts its targets' address queries; each address starts its SMTP probe (at
 * most 64 conversations at a time; more addresses wait for a free slot, and the
 * run's time bound moves on for them). The whole run therefore costs about the
 * longest chain of round trips, not their sum.
 * It never blocks: everything runs on the caller's loop, and on_change is called
 * after every piece of the result changes (the wizard redraws there).
 */
#ifndef MXD_ENGINE_H
#define MXD_ENGINE_H

#include <stdbool.h>

#include "mxd/input.h"
#include "mxd/loop.h"
#include "mxd/result.h"

typedef struct mxd_engine mxd_engine;

/* Creates an engine on loop (borrowed; must outlive the engine). opts is copied
 * (its resolver strings are borrowed and must outlive the engine). Returns NULL
 * with a message in err (e.g. a resolver address that does not parse). */
mxd_engine *mxd_engine_new(mxd_loop *loop, const mxd_options *opts, char *err, size_t errlen);

/* Starts diagnosing in into *out (borrowed; the engine writes into it until done
 * or cancelled; *out must be zeroed or freshly freed). on_change may be NULL.
 * Returns 0, or -1 when nothing could be started. */
int mxd_engine_start(mxd_engine *e, const mxd_input *in, mxd_result *out,
                     void (*on_change)(void *arg), void *arg);

/* True when every probe has finished (or the run bound was reached). */
bool mxd_engine_done(const mxd_engine *e);
/* Outstanding DNS queries and SMTP probes (for progress displays). */
unsigned mxd_engine_inflight(const mxd_engine *e);
/* Stops every probe now; unfinished parts stay PENDING/RUNNING in the result. */
void mxd_engine_cancel(mxd_engine *e);
void mxd_engine_free(mxd_engine *e);

/* Convenience for --report: runs a whole diagnosis on loop and returns when it is
 * done or the run bound passes. Returns 0, or -1 with err filled. */
int mxd_diagnose(mxd_loop *loop, const mxd_options *opts, const mxd_input *in,
                 mxd_result *out, char *err, size_t errlen);

/* The whole-run bound for given options, in milliseconds. */
uint64_t mxd_run_bound_ms(const mxd_options *opts);

#endif
