/* fuzz_dkim.c — the DKIM key record parser (RFC 6376 §3.6.1) on any TXT text,
 * through its base64 decoder and OpenSSL's key readers.
 *
 * Properties from policy.h: valid implies a key record, not revoked, no error
 * and a known size (RSA: bits from the key; ed25519: 256); revoked implies an
 * empty p=; an unusable key record always says why in error, one of the
 * documented words; ktype is NUL-terminated. The first line is also tried as
 * a selector name.
 */
#include "fuzz.h"

#include <strings.h>

#include "mxd/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *txt = fuzz_dup(data, size);
    mxd_dkim_key k;
    bool valid = mxd_dkim_parse(txt, size, &k);
    FUZZ_ASSERT(valid == k.valid);
    FUZZ_ASSERT(memchr(k.ktype, '\0', sizeof k.ktype) != NULL);
    FUZZ_ASSERT(memchr(k.error, '\0', sizeof k.error) != NULL);
    if (valid) {
        FUZZ_ASSERT(k.is_key && !k.revoked && k.error[0] == '\0');
        if (strcasecmp(k.ktype, "ed25519") == 0)
            FUZZ_ASSERT(k.bits == 256);
        else
            FUZZ_ASSERT(strcasecmp(k.ktype, "rsa") == 0 && k.bits > 0);
    } else if (k.is_key && !k.revoked) {
        static const char *const words[] = { "version", "syntax", "base64", "key",
                                             "key_type", "duplicate" };
        bool known = false;
        for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
            known = known || strcmp(k.error, words[i]) == 0;
        FUZZ_ASSERT(known);
    }
    if (!k.is_key)
        FUZZ_ASSERT(!valid && !k.revoked);

    fuzz_in in = { data, size };
    char *sel = fuzz_take_until(&in, '\n');
    if (mxd_dkim_selector_valid(sel)) {
        size_t n = strlen(sel);
        FUZZ_ASSERT(n >= 1 && n <= 200 && sel[0] != '.' && sel[n - 1] != '.');
        FUZZ_ASSERT(strstr(sel, "..") == NULL);
    }
    free(sel);
    free(txt);
    return 0;
}
