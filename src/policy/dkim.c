/* dkim.c — DKIM key records (RFC 6376 §3.6.1): tags, the public key and its
 * size. Pure functions; no I/O.
 *
 * The size decides trust: receivers ignore signatures made with RSA keys under
 * 1024 bits, and 2048 is what signers should use (RFC 8301 §3.2). OpenSSL reads
 * the key, so a record whose base64 is fine but whose key is garbage is caught
 * too. Ed25519 keys (RFC 8463) are 32 raw bytes, not a DER structure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "mxd/policy.h"

const char *const mxd_dkim_default_selectors[] = {
    "default", "selector1", "selector2", "google", "k1", "mail", "dkim", "s1", "s2", NULL,
};

bool mxd_dkim_selector_valid(const char *s)
{
    size_t n = strlen(s), label = 0;
    if (n == 0 || n > 200)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (label == 0)
                return false;
            label = 0;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
        if (++label > 63)
            return false;
    }
    return label > 0;
}

static bool is_wsp(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* Strict base64 (whitespace allowed anywhere, RFC 6376 §3.6.1 "FWS"). Returns
 * the decoded bytes (caller frees) or NULL; *n their count. */
static unsigned char *base64_decode(const char *s, size_t len, size_t *n)
{
    char *clean = malloc(len + 1);
    if (!clean)
        return NULL;
    size_t m = 0, pad = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (is_wsp(c))
            continue;
        bool b64 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   c == '+' || c == '/';
        if (c == '=')
            pad++;
        else if (!b64 || pad) { /* nothing may follow the padding */
            free(clean);
            return NULL;
        }
        clean[m++] = c;
    }
    if (m == 0 || m % 4 || pad > 2) {
        free(clean);
        return NULL;
    }
    unsigned char *out = malloc(m / 4 * 3 + 1);
    if (!out) {
        free(clean);
        return NULL;
    }
    int got = EVP_DecodeBlock(out, (const unsigned char *)clean, (int)m);
    free(clean);
    if (got < 0 || (size_t)got < pad) {
        free(out);
        return NULL;
    }
    *n = (size_t)got - pad; /* EVP_DecodeBlock counts the padding as zero bytes */
    return out;
}

/* RSA key bits from DER: SubjectPublicKeyInfo, else a bare RSAPublicKey. 0: not RSA. */
static unsigned rsa_bits(const unsigned char *der, size_t n)
{
    const unsigned char *p = der;
    EVP_PKEY *k = d2i_PUBKEY(NULL, &p, (long)n);
    if (!k) {
        p = der;
        k = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)n);
    }
    if (!k)
        return 0;
    int bits = EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA ? EVP_PKEY_get_bits(k) : 0;
    EVP_PKEY_free(k);
    return bits > 0 ? (unsigned)bits : 0;
}

static bool ed25519_ok(const unsigned char *raw, size_t n)
{
    if (n != 32)
        return false;
    EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, n);
    if (!k)
        return false;
    EVP_PKEY_free(k);
    return true;
}

static void set_error(mxd_dkim_key *out, const char *e)
{
    if (!out->error[0])
        snprintf(out->error, sizeof out->error, "%s", e);
}

enum { K_V, K_H, K_K, K_N, K_P, K_S, K_T, K_COUNT };
static const char *const key_tags[K_COUNT] = { "v", "h", "k", "n", "p", "s", "t" };

bool mxd_dkim_parse(const char *txt, size_t len, mxd_dkim_key *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->ktype, sizeof out->ktype, "rsa");
    const char *p = txt, *end = txt + len;
    mxd_tag t, tp = { NULL, 0, NULL, 0 };
    bool seen[K_COUNT] = { false }, first = true, version_ok = false;
    int rc;
    while ((rc = mxd_taglist_next(&p, end, &t)) == 1) {
        int k = -1;
        for (int i = 0; i < K_COUNT; i++)
            if (mxd_tag_is(&t, key_tags[i]))
                k = i;
        if (k == K_V) {
            /* v= is optional, but when present it comes first and says DKIM1. */
            if (!first || t.value_len != 5 || memcmp(t.value, "DKIM1", 5) != 0)
                set_error(out, "version");
            else
                version_ok = true;
        }
        first = false;
        if (k < 0)
            continue; /* unknown tags are ignored (RFC 6376 §3.2) */
        if (seen[k])
            set_error(out, "duplicate");
        seen[k] = true;
        if (k == K_P)
            tp = t;
        else if (k == K_K) {
            size_t n = t.value_len < sizeof out->ktype - 1 ? t.value_len : sizeof out->ktype - 1;
            memcpy(out->ktype, t.value, n);
            out->ktype[n] = '\0';
        } else if (k == K_T) {
            for (size_t i = 0; i < t.value_len; i++)
                if ((t.value[i] == 'y' || t.value[i] == 'Y') &&
                    (i == 0 || t.value[i - 1] == ':' || is_wsp(t.value[i - 1])) &&
                    (i + 1 == t.value_len || t.value[i + 1] == ':' || is_wsp(t.value[i + 1])))
                    out->testing = true;
        }
    }
    if (rc < 0)
        set_error(out, "syntax");
    /* A TXT record with p= (or one that says v=DKIM1) is meant as a key; any
     * other TXT at the selector's name (a wildcard SPF, say) is not a key. */
    out->is_key = seen[K_P] || version_ok;
    if (!out->is_key)
        return false;
    if (!seen[K_P]) {
        set_error(out, "syntax");
        return false;
    }
    if (tp.value_len == 0) {
        out->revoked = true;
        return false;
    }
    if (out->error[0])
        return false;
    size_t n = 0;
    unsigned char *der = base64_decode(tp.value, tp.value_len, &n);
    if (!der) {
        set_error(out, "base64");
        return false;
    }
    if (strcasecmp(out->ktype, "rsa") == 0) {
        out->bits = rsa_bits(der, n);
        if (!out->bits)
            set_error(out, "key");
    } else if (strcasecmp(out->ktype, "ed25519") == 0) {
        if (ed25519_ok(der, n))
            out->bits = 256;
        else
            set_error(out, "key");
    } else {
        set_error(out, "key_type");
    }
    free(der);
    out->valid = !out->error[0];
    return out->valid;
}
