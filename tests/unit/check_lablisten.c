/* check_lablisten.c — unit tests for the lab's shared listener (src/lab/lablisten.c).
 *
 * The loopback-only rule is the lab's promise that a workshop never exposes a
 * broken server to the network, so it is tested on the edges of 127.0.0.0/8 and
 * on text that only looks like an address. The socket helpers are tested on
 * real loopback sockets: the port the kernel picks, a port already taken, and
 * that listener and accepted connection never block and do not leak into
 * child processes.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mxd/lablisten.h"

#define ADDR "127.0.91.7"

START_TEST(test_addr_loopback_only)
{
    struct sockaddr_in sa;
    static const char *const good[] = { "127.0.0.1", "127.0.0.0", "127.255.255.255", ADDR };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        ck_assert_msg(mxd_lablisten_addr(good[i], 2525, &sa), "%s refused", good[i]);
        char back[INET_ADDRSTRLEN];
        ck_assert_ptr_nonnull(inet_ntop(AF_INET, &sa.sin_addr, back, sizeof back));
        ck_assert_str_eq(back, good[i]);
        ck_assert_int_eq(sa.sin_family, AF_INET);
        ck_assert_uint_eq(ntohs(sa.sin_port), 2525);
    }
    static const char *const bad[] = {
        "126.255.255.255", "128.0.0.1", "10.1.2.3", "0.0.0.0", "192.0.2.1",
        "::1",             /* IPv6 loopback: the lab is IPv4 only */
        "127.1",           /* inet_aton would take this shorthand; inet_pton does not */
        "127.0.0.1 ", " 127.0.0.1", "127.0.0.1.", "localhost", "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!mxd_lablisten_addr(bad[i], 2525, &sa), "'%s' accepted", bad[i]);
    ck_assert(!mxd_lablisten_addr(NULL, 2525, &sa));
    /* port 0 means "any free port"; past 65535 there is none */
    ck_assert(mxd_lablisten_addr(ADDR, 0, &sa));
    ck_assert(mxd_lablisten_addr(ADDR, 65535, &sa));
    ck_assert(!mxd_lablisten_addr(ADDR, 65536, &sa));
    ck_assert(!mxd_lablisten_addr(ADDR, 65536 + 25, &sa)); /* not taken modulo 2^16 */
}
END_TEST

static void assert_nonblock_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);
    ck_assert_int_ge(fl, 0);
    ck_assert_int_ge(fdfl, 0);
    ck_assert_msg(fl & O_NONBLOCK, "fd %d blocks", fd);
    ck_assert_msg(fdfl & FD_CLOEXEC, "fd %d is inherited by children", fd);
}

START_TEST(test_open_and_accept)
{
    struct sockaddr_in sa;
    ck_assert(mxd_lablisten_addr(ADDR, 0, &sa));
    unsigned port = 0;
    int lfd = mxd_lablisten_open(&sa, 8, &port);
    ck_assert_msg(lfd >= 0, "open: %s", strerror(errno));
    ck_assert_uint_gt(port, 0);
    assert_nonblock_cloexec(lfd);

    /* nothing waits yet: -1 at once, not a hang */
    ck_assert_int_eq(mxd_lablisten_accept(lfd), -1);
    ck_assert(errno == EAGAIN || errno == EWOULDBLOCK);

    /* the same address and port again: EADDRINUSE, and *bound_port untouched */
    struct sockaddr_in taken;
    ck_assert(mxd_lablisten_addr(ADDR, port, &taken));
    unsigned other = 4242;
    errno = 0;
    ck_assert_int_eq(mxd_lablisten_open(&taken, 8, &other), -1);
    ck_assert_int_eq(errno, EADDRINUSE);
    ck_assert_uint_eq(other, 4242);

    /* a client connects; the listener reports it readable, then accept hands
     * over a connection that is non-blocking, close-on-exec and TCP_NODELAY */
    int cfd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(cfd, 0);
    ck_assert_int_eq(connect(cfd, (struct sockaddr *)&taken, sizeof taken), 0);
    struct pollfd p = { lfd, POLLIN, 0 };
    ck_assert_int_eq(poll(&p, 1, 5000), 1);
    int afd = mxd_lablisten_accept(lfd);
    ck_assert_int_ge(afd, 0);
    assert_nonblock_cloexec(afd);
    int nodelay = 0;
    socklen_t len = sizeof nodelay;
    ck_assert_int_eq(getsockopt(afd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len), 0);
    ck_assert_int_ne(nodelay, 0);
    /* it really is the client's connection */
    ck_assert_int_eq(write(cfd, "x", 1), 1);
    p = (struct pollfd){ afd, POLLIN, 0 };
    ck_assert_int_eq(poll(&p, 1, 5000), 1);
    char b = 0;
    ck_assert_int_eq(read(afd, &b, 1), 1);
    ck_assert_int_eq(b, 'x');
    /* and only one was waiting */
    ck_assert_int_eq(mxd_lablisten_accept(lfd), -1);

    close(afd);
    close(cfd);
    close(lfd);
}
END_TEST

static Suite *lablisten_suite(void)
{
    Suite *s = suite_create("lablisten");
    TCase *tc = tcase_create("lablisten");
    tcase_add_test(tc, test_addr_loopback_only);
    tcase_add_test(tc, test_open_and_accept);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(lablisten_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
