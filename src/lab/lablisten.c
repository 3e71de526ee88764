/* lablisten.c — loopback-only listeners for the lab's TCP servers (see lablisten.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mxd/lablisten.h"

bool mxd_lablisten_addr(const char *addr, unsigned port, struct sockaddr_in *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    return addr && port <= 65535 && inet_pton(AF_INET, addr, &sa->sin_addr) == 1 &&
           (ntohl(sa->sin_addr.s_addr) >> 24) == 127;
}

int mxd_lablisten_open(const struct sockaddr_in *sa, int backlog, unsigned *bound_port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (const struct sockaddr *)sa, sizeof *sa) < 0 || listen(fd, backlog) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    struct sockaddr_in got;
    socklen_t gl = sizeof got;
    *bound_port = getsockname(fd, (struct sockaddr *)&got, &gl) == 0 ? ntohs(got.sin_port)
                                                                     : ntohs(sa->sin_port);
    return fd;
}

int mxd_lablisten_accept(int lfd)
{
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            return -1;
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
            fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        return fd;
    }
}
