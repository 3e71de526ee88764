/* addr.c — which addresses a sender on the internet can reach. */
#include <string.h>
#include <sys/socket.h>

#include "mxd/checks.h"

static bool v4_private(const uint8_t *b)
{
    return b[0] == 0 || b[0] == 10 || b[0] == 127 || (b[0] == 100 && (b[1] & 0xC0) == 64) ||
           (b[0] == 169 && b[1] == 254) || (b[0] == 172 && (b[1] & 0xF0) == 16) ||
           (b[0] == 192 && b[1] == 0 && (b[2] == 0 || b[2] == 2)) ||
           (b[0] == 192 && b[1] == 168) || (b[0] == 198 && (b[1] & 0xFE) == 18) ||
           (b[0] == 198 && b[1] == 51 && b[2] == 100) || (b[0] == 203 && b[1] == 0 && b[2] == 113) ||
           b[0] >= 224; /* multicast, reserved, broadcast */
}

static bool v4_mapped(const uint8_t *b)
{
    static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF };
    return memcmp(b, pfx, 12) == 0;
}

bool mxd_addr_is_loopback(const mxd_addr *a)
{
    static const uint8_t one[16] = { [15] = 1 };
    if (a->family == AF_INET)
        return a->bytes[0] == 127;
    return memcmp(a->bytes, one, 16) == 0 || (v4_mapped(a->bytes) && a->bytes[12] == 127);
}

bool mxd_addr_is_private(const mxd_addr *a)
{
    const uint8_t *b = a->bytes;
    if (a->family == AF_INET)
        return v4_private(b);
    static const uint8_t zero[16];
    if (memcmp(b, zero, 15) == 0) /* :: and ::1 */
        return true;
    if (v4_mapped(b))
        return v4_private(b + 12);
    return (b[0] & 0xFE) == 0xFC ||                          /* fc00::/7 unique local */
           (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) ||        /* fe80::/10 link-local */
           b[0] == 0xFF ||                                   /* multicast */
           (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8) || /* 2001:db8::/32 */
           (b[0] == 0x01 && b[1] == 0 && memcmp(b + 2, zero, 6) == 0);     /* 100::/64 discard */
}
