/* spfstep.c — the SPF part of the policy step: the record walk of the domain,
 * and check_host() for --spf-ip at the same time (see spf.h).
 *
 * Both evaluations run at once on the engine's loop; each one's outcome is
 * copied into the step's result as soon as it arrives, so the wizard can show
 * the walk while a slow check_host is still waiting for DNS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxd/sanitize.h"
#include "mxd/dnsclient.h"
#include "mxd/result.h"
#include "mxd/spf.h"

struct mxd_spf_run {
    mxd_loop *loop;
    mxd_spf_result *out;
    mxd_spf_eval *walk, *check;
    void (*changed)(void *arg);
    void (*done)(void *arg);
    void *arg;
};

static void maybe_done(mxd_spf_run *r)
{
    if (r->walk || r->check)
        return;
    void (*done)(void *) = r->done;
    void *arg = r->arg;
    free(r);
    if (done)
        done(arg);
}

static void on_walk(void *arg, const mxd_spf_outcome *o)
{
    mxd_spf_run *r = arg;
    r->walk = NULL;
    mxd_spf_outcome_free(&r->out->walk);
    if (mxd_spf_outcome_copy(&r->out->walk, o) == 0)
        r->out->walked = true;
    if (r->changed)
        r->changed(r->arg);
    maybe_done(r);
}

static void on_check(void *arg, const mxd_spf_outcome *o)
{
    mxd_spf_run *r = arg;
    r->check = NULL;
    mxd_spf_outcome_free(&r->out->check);
    if (mxd_spf_outcome_copy(&r->out->check, o) == 0)
        r->out->checked = true;
    if (r->changed)
        r->changed(r->arg);
    maybe_done(r);
}

mxd_spf_run *mxd_spf_start(mxd_loop *loop, mxd_dns *recursive, const struct mxd_options *opts,
                           const char *domain_ascii, const char *spf_ip,
                           const char *spf_sender, mxd_spf_result *out,
                           void (*changed)(void *arg), void (*done)(void *arg), void *arg)
{
    if (!domain_ascii || (spf_ip && !mxd_spf_ip_ok(spf_ip)))
        return NULL;
    mxd_spf_run *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->loop = loop;
    r->out = out;
    r->changed = changed;
    r->done = done;
    r->arg = arg;
    unsigned secs = opts && opts->timeout_s > 0 ? 4u * (unsigned)opts->timeout_s : 0;
    mxd_spf_eval_opts eo = { .deadline_ms = (secs > 20 ? secs : 20) * 1000u };

    char sender[320];
    if (spf_ip) {
        if (spf_sender && *spf_sender)
            snprintf(sender, sizeof sender, "%s", spf_sender);
        else
            snprintf(sender, sizeof sender, "postmaster@%s", domain_ascii);
        const char *at = strrchr(sender, '@');
        const char *helo = at ? at + 1 : sender;
        r->check = mxd_spf_eval_start_ex(loop, recursive, spf_ip, sender, helo, NULL, &eo,
                                         on_check, r);
        if (!r->check) {
            free(r);
            return NULL;
        }
    }
    eo.walk = true;
    r->walk = mxd_spf_eval_start_ex(loop, recursive, NULL, NULL, NULL, domain_ascii, &eo,
                                    on_walk, r);
    if (!r->walk) {
        mxd_spf_eval_cancel(r->check);
        free(r);
        return NULL;
    }
    if (spf_ip) {
        out->check_requested = true;
        mxd_sanitize_into(out->ip, sizeof out->ip, spf_ip);
        mxd_sanitize_into(out->sender, sizeof out->sender, sender);
    }
    return r;
}

void mxd_spf_cancel(mxd_spf_run *run)
{
    if (!run)
        return;
    mxd_spf_eval_cancel(run->walk);
    mxd_spf_eval_cancel(run->check);
    free(run);
}
