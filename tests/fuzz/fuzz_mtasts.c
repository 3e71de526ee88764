/* fuzz_mtasts.c — MTA-STS (RFC 8461): the _mta-sts TXT record, the policy file
 * fetched over HTTPS, and the MX patterns, all from servers we do not control.
 *
 * The whole input is tried as a record and as a policy; its first two lines
 * also as a pattern and a host name.
 * Properties: a record parses only when it is a candidate, and its id is 1..32
 * letters and digits; a policy that parses has a known mode, max_age within a
 * year, at least one mx unless the mode is none, each pattern lower case and
 * matching a host it describes; every error message is NUL-terminated and
 * safe to show (mtasts.c quotes the bytes through mxd_sanitize); the joined
 * pattern list respects its buffer.
 */
#include "fuzz.h"

#include "mxd/mtasts.h"

static void check_pattern(const mxd_mtasts_policy *p, const char *pat)
{
    size_t n = strlen(pat);
    FUZZ_ASSERT(n > 0);
    for (size_t i = 0; i < n; i++)
        FUZZ_ASSERT(!(pat[i] >= 'A' && pat[i] <= 'Z'));
    char host[300];
    if (n >= 2 && pat[0] == '*' && pat[1] == '.') {
        snprintf(host, sizeof host, "mx%s", pat + 1);
        FUZZ_ASSERT(mxd_mtasts_pattern_match(pat, host));
        FUZZ_ASSERT(!mxd_mtasts_pattern_match(pat, pat + 2)); /* not the parent itself */
        snprintf(host, sizeof host, "a.b%s", pat + 1);
        FUZZ_ASSERT(!mxd_mtasts_pattern_match(pat, host));   /* not two labels deeper */
    } else {
        FUZZ_ASSERT(mxd_mtasts_pattern_match(pat, pat));
        snprintf(host, sizeof host, "%s.", pat);
        FUZZ_ASSERT(mxd_mtasts_pattern_match(pat, host));    /* trailing dot ignored */
    }
    if (pat[0] != '*')
        FUZZ_ASSERT(mxd_mtasts_mx_covered(p, pat));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *txt = fuzz_dup(data, size);
    char err[256];

    mxd_mtasts_record rec;
    memset(err, 0x55, sizeof err);
    int rc = mxd_mtasts_record_parse(txt, size, &rec, err, sizeof err);
    if (rc == 0) {
        FUZZ_ASSERT(mxd_mtasts_record_candidate(txt, size));
        size_t n = strlen(rec.id);
        FUZZ_ASSERT(n >= 1 && n <= MXD_MTASTS_ID_MAX);
        for (size_t i = 0; i < n; i++)
            FUZZ_ASSERT((rec.id[i] >= '0' && rec.id[i] <= '9') ||
                        (rec.id[i] >= 'a' && rec.id[i] <= 'z') ||
                        (rec.id[i] >= 'A' && rec.id[i] <= 'Z'));
    } else {
        FUZZ_ASSERT(rc == -1 && rec.id[0] == '\0');
        FUZZ_ASSERT(memchr(err, '\0', sizeof err) != NULL && err[0] != '\0');
        FUZZ_ASSERT(fuzz_str_safe(err, false));
    }

    mxd_mtasts_policy pol;
    memset(err, 0x55, sizeof err);
    rc = mxd_mtasts_policy_parse(txt, size, &pol, err, sizeof err);
    if (rc == 0) {
        FUZZ_ASSERT(pol.mode == MXD_MTASTS_MODE_NONE || pol.mode == MXD_MTASTS_MODE_TESTING ||
                    pol.mode == MXD_MTASTS_MODE_ENFORCE);
        FUZZ_ASSERT(pol.max_age <= MXD_MTASTS_MAX_AGE_MAX);
        FUZZ_ASSERT(pol.nmx > 0 || pol.mode == MXD_MTASTS_MODE_NONE);
        for (size_t i = 0; i < pol.nmx; i++)
            check_pattern(&pol, pol.mx[i]);
        char joined[64];
        memset(joined, 0x55, sizeof joined);
        mxd_mtasts_patterns_join(&pol, joined, sizeof joined);
        FUZZ_ASSERT(memchr(joined, '\0', sizeof joined) != NULL);
    } else {
        FUZZ_ASSERT(rc == -1 && pol.mx == NULL && pol.nmx == 0);
        FUZZ_ASSERT(memchr(err, '\0', sizeof err) != NULL && err[0] != '\0');
        FUZZ_ASSERT(fuzz_str_safe(err, false));
    }

    /* First line a pattern, second a host, as the checks compare them. */
    fuzz_in in = { data, size };
    char *pat = fuzz_take_until(&in, '\n');
    char *host = fuzz_take_until(&in, '\n');
    bool m = mxd_mtasts_pattern_match(pat, host);
    if (m && !(pat[0] == '*' && pat[1] == '.')) {
        size_t a = strlen(pat), b = strlen(host);
        a -= a && pat[a - 1] == '.';
        b -= b && host[b - 1] == '.';
        FUZZ_ASSERT(a == b);
    }
    if (rc == 0)
        (void)mxd_mtasts_mx_covered(&pol, host);
    mxd_mtasts_policy_free(&pol);
    free(host);
    free(pat);
    free(txt);
    return 0;
}
