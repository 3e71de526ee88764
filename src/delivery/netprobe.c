/* netprobe.c — connect-only probes (see delivery.h).
 *
 * Whether a port accepts a TCP connection is all the network part needs to
 * know: the socket is closed as soon as the handshake completes, before the
 * server says anything, so a submission server is not bothered further.
 */
#include <stdlib.h>

#include "mxd/conn.h"
#include "mxd/delivery.h"

struct mxd_netprobe {
    mxd_conn *conn;
    uint64_t started;
    mxd_nconn *out;
    bool finished;
    void (*done)(void *);
    void *arg;
};

const char *mxd_nc_state_name(mxd_nc_state s)
{
    static const char *const n[] = { "not_run", "running",     "connected", "refused",
                                     "timeout", "unreachable", "skipped" };
    return (unsigned)s < sizeof n / sizeof n[0] ? n[s] : "?";
}

static void deliver(void *arg)
{
    mxd_netprobe *p = arg;
    void (*done)(void *) = p->done;
    void *darg = p->arg;
    mxd_conn_free(p->conn);
    free(p);
    done(darg);
}

/* Records the outcome; done() follows from a fresh loop turn. */
static void finish(mxd_netprobe *p, mxd_nc_state st)
{
    if (p->finished)
        return;
    p->finished = true;
    p->out->state = st;
    p->out->ms = (uint32_t)(mxd_now_ms() - p->started);
    mxd_conn_close(p->conn, deliver, p);
}

static void on_connected(void *arg) { finish(arg, MXD_NC_CONNECTED); }

static void on_failed(void *arg, mxd_conn_err err, const char *text)
{
    (void)text;
    finish(arg, err == MXD_CONN_REFUSED ? MXD_NC_REFUSED
                : err == MXD_CONN_TIMEOUT ? MXD_NC_TIMEOUT
                                          : MXD_NC_UNREACHABLE);
}

static void on_expired(void *arg) { finish(arg, MXD_NC_TIMEOUT); }

static const mxd_conn_ops netprobe_ops = {
    .connected = on_connected,
    .failed = on_failed,
    .expired = on_expired,
};

mxd_netprobe *mxd_netprobe_start(mxd_loop *loop, mxd_nconn *out, unsigned timeout_ms,
                                 void (*done)(void *), void *arg)
{
    mxd_netprobe *p = calloc(1, sizeof *p);
    /* The connection reports nothing before the loop runs: p is filled in after. */
    if (!p || !(p->conn = mxd_conn_open(loop, &out->addr, out->port, timeout_ms, &netprobe_ops, p))) {
        free(p);
        out->state = MXD_NC_NOT_RUN;
        return NULL;
    }
    p->out = out;
    p->done = done;
    p->arg = arg;
    p->started = mxd_now_ms();
    out->state = MXD_NC_RUNNING;
    return p;
}

void mxd_netprobe_cancel(mxd_netprobe *p)
{
    if (!p)
        return;
    if (!p->finished) {
        p->out->state = MXD_NC_TIMEOUT;
        p->out->ms = (uint32_t)(mxd_now_ms() - p->started);
    }
    mxd_conn_free(p->conn);
    free(p);
}
