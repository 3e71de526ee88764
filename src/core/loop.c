/* loop.c — poll() event loop with one-shot timers (see loop.h). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mxd/loop.h"

typedef struct watch {
    int fd;
    unsigned events;
    mxd_io_cb cb;
    void *arg;
    bool dead; /* unwatched during dispatch; compacted afterwards */
} watch;

typedef struct timer {
    uint64_t id, due;
    mxd_timer_cb cb;
    void *arg;
} timer;

struct mxd_loop {
    watch *w; size_t nw, capw;
    timer *t; size_t nt, capt; /* unsorted: a diagnosis has tens of timers, not thousands */
    uint64_t next_id;
    struct pollfd *pfd; size_t cappfd;
    int dispatching;
};

uint64_t mxd_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

mxd_loop *mxd_loop_new(void)
{
    mxd_loop *l = calloc(1, sizeof *l);
    if (l)
        l->next_id = 1;
    return l;
}

void mxd_loop_free(mxd_loop *l)
{
    if (!l)
        return;
    free(l->w);
    free(l->t);
    free(l->pfd);
    free(l);
}

static watch *find_watch(mxd_loop *l, int fd)
{
    for (size_t i = 0; i < l->nw; i++)
        if (l->w[i].fd == fd && !l->w[i].dead)
            return &l->w[i];
    return NULL;
}

int mxd_loop_watch(mxd_loop *l, int fd, unsigned events, mxd_io_cb cb, void *arg)
{
    watch *w = find_watch(l, fd);
    if (!w) {
        if (l->nw == l->capw) {
            size_t nc = l->capw ? l->capw * 2 : 16;
            watch *nw = realloc(l->w, nc * sizeof *nw);
            if (!nw)
                return -1;
            l->w = nw;
            l->capw = nc;
        }
        w = &l->w[l->nw++];
    }
    w->fd = fd;
    w->events = events;
    w->cb = cb;
    w->arg = arg;
    w->dead = false;
    return 0;
}

static void compact(mxd_loop *l)
{
    size_t j = 0;
    for (size_t i = 0; i < l->nw; i++)
        if (!l->w[i].dead)
            l->w[j++] = l->w[i];
    l->nw = j;
}

void mxd_loop_unwatch(mxd_loop *l, int fd)
{
    watch *w = find_watch(l, fd);
    if (!w)
        return;
    w->dead = true;
    if (!l->dispatching)
        compact(l);
}

uint64_t mxd_loop_timer(mxd_loop *l, uint64_t delay_ms, mxd_timer_cb cb, void *arg)
{
    if (l->nt == l->capt) {
        size_t nc = l->capt ? l->capt * 2 : 16;
        timer *nt = realloc(l->t, nc * sizeof *nt);
        if (!nt)
            return 0;
        l->t = nt;
        l->capt = nc;
    }
    timer *t = &l->t[l->nt++];
    t->id = l->next_id++;
    t->due = mxd_now_ms() + delay_ms;
    t->cb = cb;
    t->arg = arg;
    return t->id;
}

void mxd_loop_cancel(mxd_loop *l, uint64_t id)
{
    for (size_t i = 0; i < l->nt; i++)
        if (l->t[i].id == id) {
            l->t[i] = l->t[--l->nt];
            return;
        }
}

unsigned mxd_loop_pending(const mxd_loop *l)
{
    unsigned n = (unsigned)l->nt;
    for (size_t i = 0; i < l->nw; i++)
        if (!l->w[i].dead)
            n++;
    return n;
}

/* Fires every due timer; timers added by callbacks wait for the next round so a
 * zero-delay timer that re-arms itself cannot starve I/O. */
static int run_timers(mxd_loop *l)
{
    uint64_t now = mxd_now_ms(), limit = l->next_id;
    int ran = 0;
    for (;;) {
        size_t best = l->nt;
        for (size_t i = 0; i < l->nt; i++)
            if (l->t[i].due <= now && l->t[i].id < limit &&
                (best == l->nt || l->t[i].due < l->t[best].due))
                best = i;
        if (best == l->nt)
            return ran;
        timer t = l->t[best];
        l->t[best] = l->t[--l->nt];
        t.cb(l, t.arg);
        ran++;
    }
}

int mxd_loop_run_once(mxd_loop *l, int max_wait_ms)
{
    int ran = run_timers(l);
    int wait = max_wait_ms;
    if (ran > 0)
        wait = 0;
    uint64_t now = mxd_now_ms();
    for (size_t i = 0; i < l->nt; i++) {
        int d = l->t[i].due <= now ? 0 : (int)(l->t[i].due - now > 86400000u ? 86400000u : l->t[i].due - now);
        if (wait < 0 || d < wait)
            wait = d;
    }
    if (l->cappfd < l->nw) {
        struct pollfd *np = realloc(l->pfd, l->nw * sizeof *np);
        if (!np)
            return -1;
        l->pfd = np;
        l->cappfd = l->nw;
    }
    size_t n = l->nw;
    for (size_t i = 0; i < n; i++) {
        l->pfd[i].fd = l->w[i].events ? l->w[i].fd : -1;
        l->pfd[i].events = (short)(((l->w[i].events & MXD_EV_READ) ? POLLIN : 0) |
                                   ((l->w[i].events & MXD_EV_WRITE) ? POLLOUT : 0));
        l->pfd[i].revents = 0;
    }
    int rc = poll(l->pfd, (nfds_t)n, wait);
    if (rc < 0)
        return errno == EINTR ? ran : -1;
    l->dispatching++;
    for (size_t i = 0; i < n && rc > 0; i++) {
        short re = l->pfd[i].revents;
        if (!re)
            continue;
        rc--;
        /* A callback may have unwatched or replaced this fd; look it up afresh. */
        watch *w = find_watch(l, l->pfd[i].fd);
        if (!w)
            continue;
        unsigned ev = ((re & POLLIN) ? MXD_EV_READ : 0) | ((re & POLLOUT) ? MXD_EV_WRITE : 0) |
                      ((re & (POLLERR | POLLHUP | POLLNVAL)) ? MXD_EV_ERROR : 0);
        mxd_io_cb cb = w->cb;
        void *arg = w->arg;
        cb(l, l->pfd[i].fd, ev, arg);
        ran++;
    }
    l->dispatching--;
    if (!l->dispatching)
        compact(l);
    return ran + run_timers(l);
}

bool mxd_loop_run_until(mxd_loop *l, bool (*done)(void *), void *arg, uint64_t deadline_ms)
{
    while (!done(arg)) {
        int wait = -1;
        if (deadline_ms) {
            uint64_t now = mxd_now_ms();
            if (now >= deadline_ms)
                return false;
            wait = (int)(deadline_ms - now);
        }
        if (mxd_loop_run_once(l, wait) < 0)
            return false;
    }
    return true;
}
