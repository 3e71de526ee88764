/* fuzz.h — what every libFuzzer target here shares.
 *
 * A target is one file, tests/fuzz/fuzz_<parser>.c, with LLVMFuzzerTestOneInput().
 * Besides ASan and UBSan, each target states the properties its parser promises
 * in its header (bounds, "sanitised", round trips) and aborts with FUZZ_ASSERT
 * when one is broken, so a wrong answer is a crash libFuzzer keeps, not a silent
 * pass. Kept header-only and static so each target stays one translation unit.
 */
#ifndef MXD_FUZZ_H
#define MXD_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* abort() rather than assert(): NDEBUG must never switch the properties off. */
#define FUZZ_ASSERT(cond)                                                          \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "%s:%d: property broken: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                               \
        }                                                                          \
    } while (0)

/* A NUL-terminated copy of the input, for parsers that take C strings; the
 * copy is exactly size + 1 bytes, so ASan sees any read past the end. Caller
 * frees. Embedded NULs stay (the C-string parser just sees a shorter text). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* A heap copy of exactly size bytes (no terminator), so a parser that reads
 * one byte too far trips ASan instead of finding a convenient NUL. */
static inline char *fuzz_dup(const uint8_t *data, size_t size)
{
    char *s = malloc(size ? size : 1);
    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);
    return s;
}

/* Strict UTF-8 (no overlongs, surrogates or values above U+10FFFF), decoded
 * independently of src/core/sanitize.c so the two can disagree. Returns the
 * sequence length at s and the code point, or 0 when invalid. */
static inline size_t fuzz_utf8(const uint8_t *s, size_t n, uint32_t *cp)
{
    uint8_t c = s[0];
    size_t len;
    uint32_t v;
    if (c < 0x80) { *cp = c; return 1; }
    if ((c & 0xE0) == 0xC0) { len = 2; v = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; v = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; v = c & 0x07; }
    else return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3Fu);
    }
    static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
    if (v < min[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

/* The promise of sanitize.h, checked on its own terms: valid UTF-8; no C0
 * control except '\n' when newlines are allowed (TAB counts: it is turned into
 * a space); no DEL, no C1; no bidirectional controls. */
static inline bool fuzz_text_safe(const char *s, size_t n, bool newlines_ok)
{
    const uint8_t *u = (const uint8_t *)s;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t l = fuzz_utf8(u + i, n - i, &cp);
        bool bad = l == 0 || (cp < 0x20 && !(cp == '\n' && newlines_ok)) || cp == 0x7F ||
                   (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
                   (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F ||
                   cp == 0x061C;
        if (bad)
            return false;
        i += l;
    }
    return true;
}

/* The same for a NUL-terminated string (NULL counts as safe: "absent"). */
static inline bool fuzz_str_safe(const char *s, bool newlines_ok)
{
    return !s || fuzz_text_safe(s, strlen(s), newlines_ok);
}

/* Takes n bytes off the front of the input (for options and splits). */
typedef struct fuzz_in {
    const uint8_t *p;
    size_t n;
} fuzz_in;

static inline uint8_t fuzz_byte(fuzz_in *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

/* Splits off the part before the first byte equal to sep (the separator is
 * dropped); the whole rest when there is none. Returns a NUL-terminated copy
 * (caller frees). */
static inline char *fuzz_take_until(fuzz_in *in, uint8_t sep)
{
    const uint8_t *e = in->n ? memchr(in->p, sep, in->n) : NULL;
    size_t k = e ? (size_t)(e - in->p) : in->n;
    char *s = fuzz_cstr(in->p, k);
    in->p += k;
    in->n -= k;
    if (e) {
        in->p++;
        in->n--;
    }
    return s;
}

/* ---- a strict JSON checker (RFC 8259), for the writers' "always valid JSON" ---- */

typedef struct fuzz_json {
    const char *p, *end;
    int depth;
} fuzz_json;

static inline void fuzz_json_ws(fuzz_json *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static inline bool fuzz_json_lit(fuzz_json *j, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
        return false;
    j->p += n;
    return true;
}

static inline bool fuzz_json_string(fuzz_json *j)
{
    if (j->p >= j->end || *j->p != '"')
        return false;
    j->p++;
    while (j->p < j->end) {
        uint8_t c = (uint8_t)*j->p;
        if (c == '"') {
            j->p++;
            return true;
        }
        if (c < 0x20)
            return false;
        if (c == '\\') {
            j->p++;
            if (j->p >= j->end)
                return false;
            char e = *j->p++;
            if (e == 'u') {
                for (int k = 0; k < 4; k++, j->p++)
                    if (j->p >= j->end || !((*j->p >= '0' && *j->p <= '9') ||
                                            (*j->p >= 'a' && *j->p <= 'f') ||
                                            (*j->p >= 'A' && *j->p <= 'F')))
                        return false;
            } else if (!strchr("\"\\/bfnrt", e) || e == '\0') {
                return false;
            }
            continue;
        }
        uint32_t cp;
        size_t l = fuzz_utf8((const uint8_t *)j->p, (size_t)(j->end - j->p), &cp);
        if (!l)
            return false;
        j->p += l;
    }
    return false;
}

static inline bool fuzz_json_number(fuzz_json *j)
{
    const char *s = j->p;
    if (j->p < j->end && *j->p == '-')
        j->p++;
    if (j->p >= j->end || *j->p < '0' || *j->p > '9')
        return false;
    if (*j->p == '0')
        j->p++;
    else
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (j->p >= j->end || *j->p < '0' || *j->p > '9')
            return false;
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
            j->p++;
        if (j->p >= j->end || *j->p < '0' || *j->p > '9')
            return false;
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
    }
    return j->p > s;
}

static inline bool fuzz_json_value(fuzz_json *j)
{
    fuzz_json_ws(j);
    if (j->p >= j->end || ++j->depth > 64)
        return false;
    bool ok;
    char c = *j->p;
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        j->p++;
        fuzz_json_ws(j);
        if (j->p < j->end && *j->p == close) {
            j->p++;
            ok = true;
        } else {
            for (;;) {
                if (c == '{') {
                    fuzz_json_ws(j);
                    if (!fuzz_json_string(j))
                        return false;
                    fuzz_json_ws(j);
                    if (j->p >= j->end || *j->p++ != ':')
                        return false;
                }
                if (!fuzz_json_value(j))
                    return false;
                fuzz_json_ws(j);
                if (j->p >= j->end)
                    return false;
                if (*j->p == ',') {
                    j->p++;
                    continue;
                }
                if (*j->p++ != close)
                    return false;
                break;
            }
            ok = true;
        }
    } else if (c == '"') {
        ok = fuzz_json_string(j);
    } else if (c == 't') {
        ok = fuzz_json_lit(j, "true");
    } else if (c == 'f') {
        ok = fuzz_json_lit(j, "false");
    } else if (c == 'n') {
        ok = fuzz_json_lit(j, "null");
    } else {
        ok = fuzz_json_number(j);
    }
    j->depth--;
    return ok;
}

/* True when s (n bytes) is exactly one JSON value, with blanks around it. */
static inline bool fuzz_json_valid(const char *s, size_t n)
{
    fuzz_json j = { s, s + n, 0 };
    if (!fuzz_json_value(&j))
        return false;
    fuzz_json_ws(&j);
    return j.p == j.end;
}

#endif
