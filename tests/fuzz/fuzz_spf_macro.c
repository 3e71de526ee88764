/* fuzz_spf_macro.c — SPF macro expansion (RFC 7208 §7) with hostile values.
 *
 * Both the macro-string (from a published record) and the values it expands
 * (the sender's local part, a PTR name, the HELO name: all chosen by whoever
 * connects) are untrusted. Input layout: one byte of options (macro kind, IPv4
 * or IPv6 client, whether %{p} is known), then NUL-separated fields: the
 * macro-string, then s, l, o, d, h, p, r.
 * Properties: expansion fails exactly when the macro check fails (or the size
 * bound is hit), 1 only when %{p} is used and unknown, and a target name made
 * from a domain expansion fits the DNS codec.
 */
#include "fuzz.h"

#include "mxd/dnswire.h"
#include "mxd/spf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = { data, size };
    uint8_t opt = fuzz_byte(&in);
    mxd_spf_ms_kind kind = (mxd_spf_ms_kind)(opt % 3);
    bool v6 = (opt & 4) != 0, p_known = (opt & 8) == 0;

    /* The macro-string: up to the first NUL, in a buffer of exactly its size. */
    const uint8_t *ms_end = in.n ? memchr(in.p, 0, in.n) : NULL;
    size_t ms_len = ms_end ? (size_t)(ms_end - in.p) : in.n;
    char *ms = fuzz_dup(in.p, ms_len);
    in.p += ms_len;
    in.n -= ms_len;
    if (in.n) {
        in.p++;
        in.n--;
    }
    char *f[7];
    for (int i = 0; i < 7; i++)
        f[i] = fuzz_take_until(&in, 0);

    uint8_t ip[16] = { 192, 0, 2, 3 };
    if (v6) {
        static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                        0, 0, 0, 0, 0, 0, 0xcb, 0x01 };
        memcpy(ip, a6, 16);
    }
    mxd_spf_ipstr ips;
    mxd_spf_ipstr_fill(&ips, ip, v6);
    mxd_spf_macro_env env = {
        .s = f[0], .l = f[1], .o = f[2], .d = f[3], .h = f[4], .p = p_known ? f[5] : NULL,
        .r = f[6], .i = ips.i, .c = ips.c, .v = ips.v, .t = "1700000000",
    };

    size_t errpos = 0;
    const char *what = NULL;
    bool ok = mxd_spf_macro_check(ms, ms_len, kind, &errpos, &what);
    if (!ok)
        FUZZ_ASSERT(errpos <= ms_len && what != NULL);
    char *out = NULL;
    int rc = mxd_spf_expand(ms, ms_len, kind, &env, &out);
    FUZZ_ASSERT(rc == 0 || rc == 1 || rc == -1);
    if (!ok)
        FUZZ_ASSERT(rc == -1);
    if (rc == 1) {
        char *ms0 = fuzz_cstr((const uint8_t *)ms, ms_len); /* macro_uses takes a C string */
        FUZZ_ASSERT(!p_known && mxd_spf_macro_uses(ms0, 'p'));
        free(ms0);
    }
    if (rc != 0) {
        FUZZ_ASSERT(out == NULL);
    } else {
        FUZZ_ASSERT(out != NULL);
        char raw[MXD_SPF_DOMAIN_MAX], pres[MXD_NAME_MAX];
        if (mxd_spf_target_name(out, raw, pres)) {
            uint8_t wire[256];
            FUZZ_ASSERT(strlen(raw) <= 253);
            FUZZ_ASSERT(mxd_dns_name_to_wire(pres, wire, sizeof wire) > 0);
        }
        free(out);
    }
    /* The checker's view of a domain, on the values themselves. */
    for (int i = 0; i < 7; i++)
        if (mxd_spf_domain_ok(f[i]))
            FUZZ_ASSERT(strlen(f[i]) <= 254);
    for (int i = 0; i < 7; i++)
        free(f[i]);
    free(ms);
    return 0;
}
