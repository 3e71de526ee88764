/* fuzz_spf.c — the SPF record parser (RFC 7208 §4.5-§6) on any TXT text.
 *
 * Properties from spf.h: a record that parses starts with "v=spf1"; each term's
 * place lies inside the text, in order, and its text starts with what the kind
 * says; redirect/exp indices point at those modifiers; CIDR lengths are in
 * range; every mechanism's domain-spec passes the macro check the parser itself
 * exports. A record that does not parse says where, inside the text. Each
 * domain-spec is then expanded (spfmacro.c), as the evaluator would.
 */
#include "fuzz.h"

#include <strings.h>

#include "mxd/dnswire.h"
#include "mxd/spf.h"

static void expand_term(const mxd_spf_term *t)
{
    static const mxd_spf_macro_env env = {
        .s = "strong-bad@email.example.com", .l = "strong-bad", .o = "email.example.com",
        .d = "email.example.com", .i = "192.0.2.3", .p = "mx.example.org", .v = "in-addr",
        .h = "mx.example.org", .c = "192.0.2.3", .r = "receiver.example.net", .t = "1700000000",
    };
    mxd_spf_ms_kind kind = t->kind == MXD_SPF_T_UNKNOWN_MOD ? MXD_SPF_MS_VALUE : MXD_SPF_MS_DOMAIN;
    char *out = NULL;
    int rc = mxd_spf_expand(t->spec, strlen(t->spec), kind, &env, &out);
    /* The parser accepted the spec, so only the size bound may refuse it. */
    FUZZ_ASSERT(rc == 0 || rc == -1);
    if (rc != 0) {
        FUZZ_ASSERT(out == NULL);
        return;
    }
    FUZZ_ASSERT(out != NULL);
    if (kind == MXD_SPF_MS_DOMAIN) {
        char raw[MXD_SPF_DOMAIN_MAX], pres[MXD_NAME_MAX];
        if (mxd_spf_target_name(out, raw, pres)) {
            uint8_t wire[256];
            FUZZ_ASSERT(strlen(raw) <= 253);
            /* What the evaluator would ask must be a name the DNS codec takes. */
            FUZZ_ASSERT(mxd_dns_name_to_wire(pres, wire, sizeof wire) > 0);
        }
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_dup(data, size);
    mxd_spf_record r;
    mxd_spf_syntax err;
    memset(&err, 0, sizeof err);
    bool is_rec = mxd_spf_is_record(text, size);
    int rc = mxd_spf_parse(text, size, &r, &err);
    if (rc != 0) {
        FUZZ_ASSERT(rc == -1);
        FUZZ_ASSERT(r.terms == NULL && r.nterms == 0);
        FUZZ_ASSERT(err.pos <= size);
        FUZZ_ASSERT(err.term_pos <= size && err.term_len <= size - err.term_pos);
        FUZZ_ASSERT(memchr(err.what, '\0', sizeof err.what) != NULL && err.what[0] != '\0');
        free(text);
        return 0;
    }
    FUZZ_ASSERT(is_rec);
    size_t prev_end = 6;
    for (size_t i = 0; i < r.nterms; i++) {
        const mxd_spf_term *t = &r.terms[i];
        FUZZ_ASSERT(t->pos >= prev_end && t->len > 0 && t->len <= size - t->pos);
        prev_end = t->pos + t->len;
        FUZZ_ASSERT(text[t->pos - 1] == ' ');
        FUZZ_ASSERT(t->cidr4 >= -1 && t->cidr4 <= 32);
        FUZZ_ASSERT(t->cidr6 >= -1 && t->cidr6 <= 128);
        bool mech = t->kind < MXD_SPF_T_REDIRECT;
        if (mech)
            FUZZ_ASSERT(strchr("+-~?", t->qualifier) != NULL && t->qualifier != '\0');
        const char *kn = mxd_spf_term_kind_name(t->kind);
        FUZZ_ASSERT(kn != NULL);
        /* The term's text names its kind (after the qualifier). */
        const char *tt = text + t->pos + (t->qualifier_given ? 1 : 0);
        size_t tl = t->len - (t->qualifier_given ? 1 : 0);
        if (t->kind != MXD_SPF_T_UNKNOWN_MOD) {
            size_t kl = strlen(kn);
            FUZZ_ASSERT(tl >= kl && strncasecmp(tt, kn, kl) == 0);
        } else {
            FUZZ_ASSERT(t->name != NULL && t->spec != NULL);
            FUZZ_ASSERT(strlen(t->name) < tl && strncasecmp(tt, t->name, strlen(t->name)) == 0);
        }
        if (t->spec) {
            mxd_spf_ms_kind k = t->kind == MXD_SPF_T_UNKNOWN_MOD ? MXD_SPF_MS_VALUE
                                : t->kind == MXD_SPF_T_EXP       ? MXD_SPF_MS_DOMAIN
                                                                 : MXD_SPF_MS_DOMAIN;
            FUZZ_ASSERT(mxd_spf_macro_check(t->spec, strlen(t->spec), k, NULL, NULL));
            expand_term(t);
        } else {
            FUZZ_ASSERT(t->kind == MXD_SPF_T_ALL || t->kind == MXD_SPF_T_A ||
                        t->kind == MXD_SPF_T_MX || t->kind == MXD_SPF_T_PTR ||
                        t->kind == MXD_SPF_T_IP4 || t->kind == MXD_SPF_T_IP6);
        }
        if (t->kind == MXD_SPF_T_INCLUDE || t->kind == MXD_SPF_T_EXISTS ||
            t->kind == MXD_SPF_T_REDIRECT || t->kind == MXD_SPF_T_EXP)
            FUZZ_ASSERT(t->spec != NULL);
    }
    FUZZ_ASSERT(r.redirect == -1 ||
                ((size_t)r.redirect < r.nterms && r.terms[r.redirect].kind == MXD_SPF_T_REDIRECT));
    FUZZ_ASSERT(r.exp == -1 || ((size_t)r.exp < r.nterms && r.terms[r.exp].kind == MXD_SPF_T_EXP));
    mxd_spf_record_free(&r);
    free(text);
    return 0;
}
