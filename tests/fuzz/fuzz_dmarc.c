/* fuzz_dmarc.c — the tag-list reader and the DMARC record parser (RFC 7489),
 * plus the organisational-domain lookup, on whatever a _dmarc TXT holds.
 *
 * Properties: mxd_taglist_next() always moves forward inside the text and its
 * names and values lie inside it; a valid record starts with v=DMARC1 (so
 * mxd_dmarc_is_record agrees), has a policy, pct <= 100, alignment r or s, at
 * most MXD_DMARC_MAX_URIS URIs, each NUL-terminated with a lower-case domain;
 * an invalid one names a tag. The input's first line is also tried as a domain
 * for mxd_org_domain(), whose answer must be that name or a suffix of it.
 */
#include "fuzz.h"

#include "mxd/policy.h"

static void check_uris(const mxd_dmarc_uri *v, size_t n)
{
    FUZZ_ASSERT(n <= MXD_DMARC_MAX_URIS);
    for (size_t i = 0; i < n; i++) {
        FUZZ_ASSERT(memchr(v[i].uri, '\0', sizeof v[i].uri) != NULL && v[i].uri[0]);
        FUZZ_ASSERT(memchr(v[i].domain, '\0', sizeof v[i].domain) != NULL);
        for (const char *c = v[i].domain; *c; c++)
            FUZZ_ASSERT(!(*c >= 'A' && *c <= 'Z'));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *txt = fuzz_dup(data, size);
    const char *end = txt + size;

    /* The tag list on its own. */
    const char *p = txt;
    mxd_tag t;
    int rc;
    size_t guard = 0;
    while ((rc = mxd_taglist_next(&p, end, &t)) == 1) {
        FUZZ_ASSERT(p > txt && p <= end);
        FUZZ_ASSERT(t.name >= txt && t.name_len > 0 && t.name + t.name_len <= end);
        FUZZ_ASSERT(t.value >= txt && t.value + t.value_len <= end);
        FUZZ_ASSERT(t.value >= t.name + t.name_len && t.value + t.value_len <= p);
        FUZZ_ASSERT(++guard <= size);
    }
    FUZZ_ASSERT(rc == 0 || rc == -1);
    FUZZ_ASSERT(p >= txt && p <= end);
    if (rc == 0)
        FUZZ_ASSERT(p == end);
    else
        FUZZ_ASSERT(t.value >= txt && t.value + t.value_len <= end);

    mxd_dmarc_rec r;
    bool valid = mxd_dmarc_parse(txt, size, &r);
    FUZZ_ASSERT(valid == r.valid);
    FUZZ_ASSERT(memchr(r.unknown, '\0', sizeof r.unknown) != NULL);
    if (valid) {
        /* The tag-list reader skips empty specs, so " ; v=DMARC1; p=none" parses;
         * mxd_dmarc_is_record() (what discovery counts) rightly says such a
         * text does not start with v=DMARC1. Otherwise the two agree. */
        const char *q = txt;
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n'))
            q++;
        if (q < end && *q != ';')
            FUZZ_ASSERT(mxd_dmarc_is_record(txt, size));
        FUZZ_ASSERT(r.p >= MXD_DMARC_NONE && r.p <= MXD_DMARC_REJECT);
        FUZZ_ASSERT(r.sp >= MXD_DMARC_UNSET && r.sp <= MXD_DMARC_REJECT);
        FUZZ_ASSERT(r.pct <= 100);
        FUZZ_ASSERT((r.adkim == 'r' || r.adkim == 's') && (r.aspf == 'r' || r.aspf == 's'));
        check_uris(r.rua, r.nrua);
        check_uris(r.ruf, r.nruf);
        FUZZ_ASSERT(mxd_dmarc_p_name(r.p)[0] != '\0');
    } else {
        FUZZ_ASSERT(memchr(r.bad_tag, '\0', sizeof r.bad_tag) != NULL && r.bad_tag[0]);
        FUZZ_ASSERT(memchr(r.bad_value, '\0', sizeof r.bad_value) != NULL);
    }

    /* The organisational domain of the first line, as typed. */
    fuzz_in in = { data, size };
    char *dom = fuzz_take_until(&in, '\n');
    char org[256];
    bool ok = mxd_org_domain(dom, org, sizeof org);
    FUZZ_ASSERT(memchr(org, '\0', sizeof org) != NULL);
    if (ok) {
        size_t dl = strlen(dom), ol = strlen(org);
        if (dl && dom[dl - 1] == '.')
            dl--;
        FUZZ_ASSERT(ol > 0 && ol <= dl);
        /* a suffix of the (lower-cased) name, on a label boundary */
        for (size_t i = 0; i < ol; i++) {
            char c = dom[dl - ol + i];
            if (c >= 'A' && c <= 'Z')
                c = (char)(c + 32);
            FUZZ_ASSERT(org[i] == c);
        }
        FUZZ_ASSERT(ol == dl || dom[dl - ol - 1] == '.');
    }
    free(dom);
    free(txt);
    return 0;
}
