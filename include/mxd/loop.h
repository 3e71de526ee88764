/* loop.h — the one event loop: poll() over file descriptors, plus timers.
 *
 * Every network client and server in mxdoctor (c-ares sockets, SMTP probes,
 * the practice lab's DNS and SMTP servers, the keyboard) registers here, so a
 * diagnosis never blocks and a dead server costs one timeout, not one per step.
 * Callbacks run on the loop's thread; none may block.
 */
#ifndef MXD_LOOP_H
#define MXD_LOOP_H

#include <stdbool.h>
#include <stdint.h>

typedef struct mxd_loop mxd_loop;

enum { MXD_EV_READ = 1u, MXD_EV_WRITE = 2u, MXD_EV_ERROR = 4u };

/* events: the MXD_EV_* bits that are ready (ERROR covers POLLERR/POLLHUP/POLLNVAL). */
typedef void (*mxd_io_cb)(mxd_loop *loop, int fd, unsigned events, void *arg);
typedef void (*mxd_timer_cb)(mxd_loop *loop, void *arg);

/* Returns a new loop owned by the caller (free with mxd_loop_free), or NULL. */
mxd_loop *mxd_loop_new(void);
/* Frees the loop; does not close any registered fd (their owners do). */
void mxd_loop_free(mxd_loop *loop);

/* Registers fd for the given events, or changes them when fd is known.
 * events == 0 keeps fd registered but idle. arg is borrowed. 0 ok, -1 ENOMEM. */
int mxd_loop_watch(mxd_loop *loop, int fd, unsigned events, mxd_io_cb cb, void *arg);
/* Forgets fd (safe to call from inside its own callback, and for unknown fds). */
void mxd_loop_unwatch(mxd_loop *loop, int fd);

/* One-shot timer after delay_ms; returns an id > 0 (0 on ENOMEM). arg is borrowed. */
uint64_t mxd_loop_timer(mxd_loop *loop, uint64_t delay_ms, mxd_timer_cb cb, void *arg);
/* Cancels a pending timer; unknown or already fired ids are ignored. */
void mxd_loop_cancel(mxd_loop *loop, uint64_t id);

/* Runs one iteration: waits at most max_wait_ms (-1: until something happens),
 * dispatches ready fds and due timers. Returns the number of callbacks run,
 * or -1 on a poll() error other than EINTR. */
int mxd_loop_run_once(mxd_loop *loop, int max_wait_ms);

/* Runs until done(arg) is true or deadline_ms (monotonic, 0 = none) passes.
 * Returns true when done() became true. */
bool mxd_loop_run_until(mxd_loop *loop, bool (*done)(void *arg), void *arg,
                        uint64_t deadline_ms);

/* Number of watched fds and pending timers (for tests and the quit prompt). */
unsigned mxd_loop_pending(const mxd_loop *loop);

/* Monotonic milliseconds. */
uint64_t mxd_now_ms(void);

#endif
