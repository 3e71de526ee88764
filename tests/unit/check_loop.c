/* Unit tests for the event loop: timers, fd readiness, changes from inside callbacks. */
#include <check.h>
#include <unistd.h>

#include "mxd/loop.h"

static int order[8], norder;
static void rec(mxd_loop *l, void *arg) { (void)l; order[norder++] = (int)(intptr_t)arg; }

START_TEST(timers_fire_in_due_order_and_cancel)
{
    mxd_loop *l = mxd_loop_new();
    norder = 0;
    /* Before the timers are set: a timer is due 30 ms after it was set, which
     * a clock read after setting it could see as 29. */
    uint64_t t0 = mxd_now_ms();
    mxd_loop_timer(l, 30, rec, (void *)3);
    mxd_loop_timer(l, 10, rec, (void *)1);
    uint64_t id = mxd_loop_timer(l, 20, rec, (void *)2);
    mxd_loop_cancel(l, id);
    while (norder < 2 && mxd_now_ms() - t0 < 2000)
        mxd_loop_run_once(l, 100);
    ck_assert_int_eq(norder, 2);
    ck_assert_int_eq(order[0], 1);
    ck_assert_int_eq(order[1], 3);
    ck_assert_uint_ge(mxd_now_ms() - t0, 30);
    ck_assert_uint_eq(mxd_loop_pending(l), 0);
    mxd_loop_free(l);
}
END_TEST

static int reads;
static void on_read(mxd_loop *l, int fd, unsigned ev, void *arg)
{
    (void)arg;
    char c;
    ck_assert(ev & MXD_EV_READ);
    ck_assert_int_eq(read(fd, &c, 1), 1);
    reads++;
    mxd_loop_unwatch(l, fd); /* from inside its own callback */
}

static bool got_read(void *arg) { (void)arg; return reads > 0; }

START_TEST(fd_readiness_and_unwatch_in_callback)
{
    mxd_loop *l = mxd_loop_new();
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    reads = 0;
    ck_assert_int_eq(mxd_loop_watch(l, p[0], MXD_EV_READ, on_read, NULL), 0);
    ck_assert_int_eq(write(p[1], "xy", 2), 2);
    ck_assert(mxd_loop_run_until(l, got_read, NULL, mxd_now_ms() + 2000));
    mxd_loop_run_once(l, 10); /* the second byte must not be delivered: fd was unwatched */
    ck_assert_int_eq(reads, 1);
    ck_assert_uint_eq(mxd_loop_pending(l), 0);
    close(p[0]);
    close(p[1]);
    mxd_loop_free(l);
}
END_TEST

static bool never(void *arg) { (void)arg; return false; }

START_TEST(run_until_respects_deadline)
{
    mxd_loop *l = mxd_loop_new();
    uint64_t t0 = mxd_now_ms();
    ck_assert(!mxd_loop_run_until(l, never, NULL, t0 + 50));
    uint64_t took = mxd_now_ms() - t0;
    ck_assert_uint_ge(took, 50);
    ck_assert_uint_lt(took, 1000);
    mxd_loop_free(l);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("loop");
    TCase *tc = tcase_create("loop");
    tcase_add_test(tc, timers_fire_in_due_order_and_cancel);
    tcase_add_test(tc, fd_readiness_and_unwatch_in_callback);
    tcase_add_test(tc, run_until_respects_deadline);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
