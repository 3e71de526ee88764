/* fuzz_input.c — the input normaliser (what a person types or pastes as the
 * domain: e-mail addresses, URLs, full-width text, IDN) on any bytes.
 *
 * Properties from input.h: on success, ascii is a lower-case host name of
 * letters, digits, hyphens and dots, at most 253 octets, with at least two
 * labels of 1..63 octets and no trailing dot; unicode is safe to show; and
 * normalising the result again gives the same name, from the ASCII form and
 * from the Unicode form (A-labels typed as such included: their U-labels are
 * checked too). On failure, detail is sanitised, under 160 bytes, and the
 * status has a catalog key.
 */
#include "fuzz.h"

#include "mxd/input.h"

static void check_host(const char *a)
{
    size_t n = strlen(a), label = 0, labels = 0;
    FUZZ_ASSERT(n >= 3 && n <= 253 && a[n - 1] != '.' && a[0] != '.');
    for (size_t i = 0; i <= n; i++) {
        if (i == n || a[i] == '.') {
            FUZZ_ASSERT(label >= 1 && label <= 63);
            labels++;
            label = 0;
            continue;
        }
        char c = a[i];
        FUZZ_ASSERT((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
        label++;
    }
    FUZZ_ASSERT(labels >= 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *typed = fuzz_cstr(data, size);
    mxd_input out;
    memset(&out, 0x55, sizeof out);
    mxd_input_status st = mxd_input_normalize(typed, &out);
    FUZZ_ASSERT(st >= MXD_IN_OK && st < MXD_IN_COUNT);
    if (st == MXD_IN_OK) {
        FUZZ_ASSERT(mxd_input_status_key(st) == NULL);
        FUZZ_ASSERT(memchr(out.ascii, '\0', sizeof out.ascii) != NULL);
        FUZZ_ASSERT(memchr(out.unicode, '\0', sizeof out.unicode) != NULL);
        FUZZ_ASSERT(memchr(out.local_part, '\0', sizeof out.local_part) != NULL);
        FUZZ_ASSERT(out.kind == MXD_KIND_DOMAIN || out.kind == MXD_KIND_EMAIL ||
                    out.kind == MXD_KIND_URL);
        check_host(out.ascii);
        FUZZ_ASSERT(fuzz_str_safe(out.unicode, false));

        mxd_input again;
        mxd_input_status st2 = mxd_input_normalize(out.ascii, &again);
        if (st2 != MXD_IN_OK || strcmp(again.ascii, out.ascii) != 0) {
            fprintf(stderr, "\"%s\" -> \"%s\" -> %d \"%s\" (%s)\n", typed, out.ascii, st2,
                    st2 == MXD_IN_OK ? again.ascii : "", st2 == MXD_IN_OK ? "" : again.detail);
            FUZZ_ASSERT(st2 == MXD_IN_OK && strcmp(again.ascii, out.ascii) == 0);
        }
        FUZZ_ASSERT(strcmp(again.unicode, out.unicode) == 0);
        /* From the Unicode form. */
        st2 = mxd_input_normalize(out.unicode, &again);
        if (st2 != MXD_IN_OK || strcmp(again.ascii, out.ascii) != 0) {
            fprintf(stderr, "\"%s\" -> unicode \"%s\" -> %d \"%s\" (%s)\n", typed, out.unicode,
                    st2, st2 == MXD_IN_OK ? again.ascii : "", st2 == MXD_IN_OK ? "" : again.detail);
            FUZZ_ASSERT(st2 == MXD_IN_OK && strcmp(again.ascii, out.ascii) == 0);
        }
    } else {
        const char *key = mxd_input_status_key(st);
        FUZZ_ASSERT(key != NULL && strncmp(key, "msg.input.", 10) == 0);
        size_t dl = strnlen(out.detail, sizeof out.detail);
        FUZZ_ASSERT(dl < sizeof out.detail);
        FUZZ_ASSERT(fuzz_text_safe(out.detail, dl, false));
        if (st == MXD_IN_EMPTY)
            FUZZ_ASSERT(dl == 0);
    }
    free(typed);
    return 0;
}
