/* batch.h — many diagnoses at once in one process: `--batch FILE --jobs N`.
 *
 * A helpdesk with a list of customer domains should not wait for them one by
 * one. The batch reads one domain per line, keeps up to `jobs` engines running
 * at once on the caller's single event loop (each engine with its own c-ares
 * channel and TLS context, exactly as a single --report run), and writes JSON
 * Lines: one object per input line that holds a domain or a mistake, in input
 * order, as soon as everything before it is written.
 *
 * Each report line is the object that `--report --format json` prints, on one
 * line, with a "line" key (the 1-based input line number) first:
 *   {"line":3,"tool":"mxdoctor",...,"exit_status":0}
 * A line that is not a domain is reported and skipped:
 *   {"line":4,"input":"exa mple","error":"msg.input.bad_char",
 *    "detail":"exa mple: U+0020","message":"...","exit_status":64}
 * Blank lines and lines whose first non-blank character is '#' are skipped
 * silently (they still count for line numbers). A line longer than
 * MXD_BATCH_LINE_MAX bytes is a mistake (msg.input.too_long), not a crash.
 *
 * SIGINT and SIGTERM: no new diagnosis starts, the running ones are cancelled,
 * every finished report is still written in order, and each line already read
 * but not finished (cancelled, or not started yet) gets
 * {"line":N,"input":"...","error":"msg.batch.interrupted","exit_status":130}
 * (143 for SIGTERM); the run returns 130 or 143. Nothing finished is lost, and
 * a rerun can take exactly the lines marked interrupted plus those never read.
 */
#ifndef MXD_BATCH_H
#define MXD_BATCH_H

#include <stdio.h>

#include "mxd/catalog.h"
#include "mxd/loop.h"
#include "mxd/result.h"

#define MXD_BATCH_DEFAULT_JOBS 16u
#define MXD_BATCH_MAX_JOBS 1024u
#define MXD_BATCH_LINE_MAX 4096u /* longer lines are reported as too long */

/* Runs the batch to its end (or to SIGINT/SIGTERM) and returns the exit status:
 * the worst verdict exit over all diagnosed lines (0 pass, 1 warn, 2 fail,
 * 3 could not diagnose); 64 only when there were lines and every one was bad;
 * 0 for input with no domain at all; 130/143 after SIGINT/SIGTERM; 141 when out
 * cannot be written any more (a closed pipe: `| head`).
 *
 * loop   borrowed; every engine runs on it. Nothing else should be running on
 *        it, since the batch returns only when its own work is done.
 * base   borrowed; copied into each engine (its strings must outlive the call).
 * in_fd  read with read() only when the loop says it is readable, so a slow
 *        producer on a pipe never stalls running diagnoses. Not closed. Do not
 *        hand it over with bytes already buffered in a FILE (stdin after fgets).
 * jobs   diagnoses at once, 1..MXD_BATCH_MAX_JOBS (0 means the default).
 * cat    borrowed, may be NULL: the language of the error lines' "message".
 * out    borrowed: JSON Lines, flushed after every group of lines written.
 * progress borrowed, may be NULL: "\r37/1000 done, 4 running" updates; pass
 *        stderr only when it is a terminal. The line is cleared at the end.
 * While it runs it installs its own SIGINT and SIGTERM handlers and restores
 * the previous ones before returning. */
int mxd_batch_run(mxd_loop *loop, const mxd_options *base, int in_fd, unsigned jobs,
                  const mxd_catalog *cat, FILE *out, FILE *progress);

/* Rewrites a JSON document (as mxd_report_write makes it) in place as one line:
 * drops the whitespace outside strings. Strings are untouched, and a raw line
 * break can only be whitespace because the writer escapes it inside strings.
 * Returns the new length. s is borrowed and NUL-terminated; exposed for tests. */
size_t mxd_batch_compact_json(char *s);

#endif
