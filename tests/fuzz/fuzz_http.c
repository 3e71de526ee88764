/* fuzz_http.c — the HTTP/1.x response parser of the MTA-STS fetch: the head
 * (status line and headers) and the body decoders (Content-Length, chunked,
 * up to the close), on whatever a policy host sends.
 *
 * Input layout: one byte of options (the body limit and the size of the pieces
 * the body arrives in), then the response. Properties from https.h: a complete
 * head is at most MXD_HTTP_MAX_HEAD bytes, HTTP/1.x, with a three-digit status
 * and NUL-terminated fields; the decoded body never exceeds its limit; and the
 * decoder gives the same result and the same bytes whatever the pieces are
 * (all at once, or a few bytes at a time as a slow server sends them).
 */
#include "fuzz.h"

#include "mxd/https.h"

typedef struct decoded {
    int rc;
    char *data;
    size_t len;
} decoded;

static decoded decode(const mxd_http_head *h, size_t max, const char *body, size_t n,
                      size_t piece)
{
    decoded d = { 0, NULL, 0 };
    mxd_http_body b;
    int rc = mxd_http_body_init(&b, h, max);
    size_t i = 0;
    while (rc == MXD_HTTP_MORE && i < n) {
        size_t k = n - i < piece ? n - i : piece;
        rc = mxd_http_body_feed(&b, body + i, k);
        i += k;
    }
    if (rc == MXD_HTTP_MORE)
        rc = mxd_http_body_eof(&b);
    FUZZ_ASSERT(rc == MXD_HTTP_DONE || rc == MXD_HTTP_BAD || rc == MXD_HTTP_TOO_LARGE);
    FUZZ_ASSERT(memchr(b.error, '\0', sizeof b.error) != NULL);
    if (rc != MXD_HTTP_DONE)
        FUZZ_ASSERT(b.error[0] != '\0');
    d.rc = rc;
    if (rc == MXD_HTTP_DONE) {
        d.data = mxd_http_body_take(&b, &d.len);
        FUZZ_ASSERT(d.data != NULL && d.len <= max && d.data[d.len] == '\0');
        FUZZ_ASSERT(d.len <= n);
    }
    mxd_http_body_free(&b);
    return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = { data, size };
    uint8_t opt = fuzz_byte(&in);
    static const size_t maxes[4] = { 65536, 16, 1, 0 };
    size_t max = maxes[opt & 3];
    size_t piece = 1 + (opt >> 2);
    char *buf = fuzz_dup(in.p, in.n);
    size_t len = in.n;

    mxd_http_head h;
    size_t head_len = 12345;
    int rc = mxd_http_parse_head(buf, len, &h, &head_len);
    FUZZ_ASSERT(rc == 1 || rc == 0 || rc == -1);
    FUZZ_ASSERT(memchr(h.error, '\0', sizeof h.error) != NULL);
    if (rc != 1) {
        FUZZ_ASSERT(head_len == 0);
        if (rc == -1)
            FUZZ_ASSERT(h.error[0] != '\0');
        else
            FUZZ_ASSERT(len < MXD_HTTP_MAX_HEAD);
        free(buf);
        return 0;
    }
    FUZZ_ASSERT(head_len > 0 && head_len <= len && head_len <= MXD_HTTP_MAX_HEAD);
    FUZZ_ASSERT(buf[head_len - 1] == '\n');
    FUZZ_ASSERT(h.major == 1 && h.minor >= 0 && h.minor <= 9);
    FUZZ_ASSERT(h.status >= 100 && h.status <= 999);
    FUZZ_ASSERT(memchr(h.reason, '\0', sizeof h.reason) != NULL);
    FUZZ_ASSERT(memchr(h.content_type, '\0', sizeof h.content_type) != NULL);
    FUZZ_ASSERT(memchr(h.location, '\0', sizeof h.location) != NULL);
    (void)mxd_http_is_text_plain(h.content_type);
    /* The head alone, without what follows it, is the same head. */
    mxd_http_head h2;
    size_t hl2 = 0;
    FUZZ_ASSERT(mxd_http_parse_head(buf, head_len, &h2, &hl2) == 1 && hl2 == head_len);
    FUZZ_ASSERT(h2.status == h.status && h2.chunked == h.chunked &&
                h2.has_length == h.has_length && h2.length == h.length);

    const char *body = buf + head_len;
    size_t n = len - head_len;
    decoded whole = decode(&h, max, body, n, n ? n : 1);
    decoded parts = decode(&h, max, body, n, piece);
    decoded bytes = decode(&h, max, body, n, 1);
    if (whole.rc != parts.rc || whole.rc != bytes.rc) {
        fprintf(stderr, "decoder depends on the pieces: whole %d, pieces of %zu: %d, bytes %d\n",
                whole.rc, piece, parts.rc, bytes.rc);
        FUZZ_ASSERT(whole.rc == parts.rc && whole.rc == bytes.rc);
    }
    if (whole.rc == MXD_HTTP_DONE) {
        FUZZ_ASSERT(whole.len == parts.len && whole.len == bytes.len);
        FUZZ_ASSERT(memcmp(whole.data, parts.data, whole.len) == 0);
        FUZZ_ASSERT(memcmp(whole.data, bytes.data, whole.len) == 0);
        if (h.has_length && !h.chunked)
            FUZZ_ASSERT(whole.len == h.length);
    }
    free(whole.data);
    free(parts.data);
    free(bytes.data);
    free(buf);
    return 0;
}
