/* netprobe.c — connect-only probes (see delivery.h).
 *
 * Whether a port accepts a TCP connection is all the network part needs to
 * know: the socket is closed as soon as the handshake completes, before the
 * server says anything, so a submission server is not bothered further.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mxd/delivery.h"

struct mxd_netprobe {
    mxd_loop *loop;
    int fd;
    uint64_t timer;
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

static void release(mxd_netprobe *p)
{
    if (p->timer)
        mxd_loop_cancel(p->loop, p->timer);
    if (p->fd >= 0) {
        mxd_loop_unwatch(p->loop, p->fd);
        close(p->fd);
    }
    free(p);
}

static void deliver(mxd_loop *loop, void *arg)
{
    (void)loop;
    mxd_netprobe *p = arg;
    void (*done)(void *) = p->done;
    void *darg = p->arg;
    p->timer = 0;
    release(p);
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
    if (p->fd >= 0) {
        mxd_loop_unwatch(p->loop, p->fd);
        close(p->fd);
        p->fd = -1;
    }
    if (p->timer)
        mxd_loop_cancel(p->loop, p->timer);
    p->timer = mxd_loop_timer(p->loop, 0, deliver, p);
}

static mxd_nc_state from_errno(int e)
{
    return e == ECONNREFUSED ? MXD_NC_REFUSED : e == ETIMEDOUT ? MXD_NC_TIMEOUT : MXD_NC_UNREACHABLE;
}

static void on_io(mxd_loop *loop, int fd, unsigned ev, void *arg)
{
    (void)loop;
    (void)ev;
    mxd_netprobe *p = arg;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    finish(p, err ? from_errno(err) : MXD_NC_CONNECTED);
}

static void on_timeout(mxd_loop *loop, void *arg)
{
    (void)loop;
    mxd_netprobe *p = arg;
    p->timer = 0;
    finish(p, MXD_NC_TIMEOUT);
}

mxd_netprobe *mxd_netprobe_start(mxd_loop *loop, mxd_nconn *out, unsigned timeout_ms,
                                 void (*done)(void *), void *arg)
{
    mxd_netprobe *p = calloc(1, sizeof *p);
    if (!p) {
        out->state = MXD_NC_NOT_RUN;
        return NULL;
    }
    p->loop = loop;
    p->fd = -1;
    p->out = out;
    p->done = done;
    p->arg = arg;
    p->started = mxd_now_ms();
    out->state = MXD_NC_RUNNING;
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof ss);
    if (out->addr.family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)out->port);
        memcpy(&s6->sin6_addr, out->addr.bytes, 16);
        sl = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)out->port);
        memcpy(&s4->sin_addr, out->addr.bytes, 4);
        sl = sizeof *s4;
    }
    p->fd = socket(out->addr.family == AF_INET6 ? AF_INET6 : AF_INET,
                   SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p->fd < 0) {
        finish(p, MXD_NC_UNREACHABLE);
        return p;
    }
    if (connect(p->fd, (struct sockaddr *)&ss, sl) == 0) {
        finish(p, MXD_NC_CONNECTED);
        return p;
    }
    if (errno != EINPROGRESS) {
        finish(p, from_errno(errno));
        return p;
    }
    p->timer = mxd_loop_timer(loop, timeout_ms, on_timeout, p);
    if (mxd_loop_watch(loop, p->fd, MXD_EV_WRITE, on_io, p) < 0)
        finish(p, MXD_NC_UNREACHABLE);
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
    release(p);
}
