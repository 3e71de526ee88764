/* lablisten.h — the listening side shared by the lab's servers.
 *
 * The lab's servers must only ever be reachable from this machine: a workshop
 * laptop on a conference network must not offer a broken mail server to the
 * room. So the rule "IPv4 loopback (127.0.0.0/8) only" lives here once (the DNS,
 * SMTP and HTTPS servers all use it), with the socket set-up the lab's TCP
 * servers (SMTP, HTTPS) share: a listener that never blocks the shared event
 * loop, and accepted connections that are non-blocking too. Each server keeps
 * its own error messages and its own policy for a full house.
 */
#ifndef MXD_LABLISTEN_H
#define MXD_LABLISTEN_H

#include <stdbool.h>

#include <netinet/in.h>

/* True when addr is an IPv4 address in 127.0.0.0/8 and port is at most 65535
 * (0: any free port); then *sa (owned by the caller) holds addr:port. addr is
 * borrowed and may be NULL (false). */
bool mxd_lablisten_addr(const char *addr, unsigned port, struct sockaddr_in *sa);

/* Opens a TCP socket listening on *sa (borrowed; see mxd_lablisten_addr) with
 * the given backlog: non-blocking, close-on-exec, SO_REUSEADDR (a restarted lab
 * may reuse a port still in TIME_WAIT). Stores the port it listens on in
 * *bound_port (the kernel's choice when sa's port is 0). Returns the socket
 * (the caller closes it), or -1 with errno (EADDRINUSE: the port was taken, so
 * the caller can try another). */
int mxd_lablisten_open(const struct sockaddr_in *sa, int backlog, unsigned *bound_port);

/* Accepts the next waiting connection on the listening socket lfd and makes it
 * non-blocking, close-on-exec and TCP_NODELAY (lab answers are small and must
 * leave at once). A connection that cannot be set up that way is closed and
 * skipped. Returns the connection (the caller closes it), or -1 when none is
 * waiting (EAGAIN) or accept() failed (e.g. out of descriptors): either way
 * the caller tries again on the next wake-up. */
int mxd_lablisten_accept(int lfd);

#endif
