/* json.c — streaming JSON writer (see json.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mxd/json.h"
#include "mxd/utf8.h"

void mxd_json_init(mxd_json *j, mxd_sb *out, int indent)
{
    memset(j, 0, sizeof *j);
    j->out = out;
    j->indent = indent > 0 ? indent : 0;
}

static void newline(mxd_json *j, int level)
{
    if (j->indent == 0)
        return;
    mxd_sb_putc(j->out, '\n');
    for (int i = 0; i < level * j->indent; i++)
        mxd_sb_putc(j->out, ' ');
}

/* Writes what must come before a value at the current position (comma, line
 * break); false when a value is not allowed here. */
static bool value_prefix(mxd_json *j)
{
    if (j->failed)
        return false;
    if (j->depth == 0) {
        if (j->done)
            j->failed = true; /* a second top-level value */
        return !j->failed;
    }
    int l = j->depth - 1;
    if (j->in_object[l]) {
        if (!j->key_pending) {
            j->failed = true; /* a member needs its name first */
            return false;
        }
        j->key_pending = false;
        return true;
    }
    if (j->count[l]++)
        mxd_sb_putc(j->out, ',');
    newline(j, j->depth);
    return true;
}

static void value_done(mxd_json *j)
{
    if (j->depth == 0)
        j->done = true;
}

static void begin(mxd_json *j, bool object)
{
    if (!value_prefix(j))
        return;
    if (j->depth >= MXD_JSON_MAX_DEPTH) {
        j->failed = true;
        return;
    }
    mxd_sb_putc(j->out, object ? '{' : '[');
    j->in_object[j->depth] = object;
    j->count[j->depth] = 0;
    j->depth++;
}

static void end(mxd_json *j, bool object)
{
    if (j->failed)
        return;
    if (j->depth == 0 || j->in_object[j->depth - 1] != object || j->key_pending) {
        j->failed = true;
        return;
    }
    j->depth--;
    if (j->count[j->depth])
        newline(j, j->depth);
    mxd_sb_putc(j->out, object ? '}' : ']');
    value_done(j);
}

void mxd_json_begin_object(mxd_json *j) { begin(j, true); }
void mxd_json_end_object(mxd_json *j) { end(j, true); }
void mxd_json_begin_array(mxd_json *j) { begin(j, false); }
void mxd_json_end_array(mxd_json *j) { end(j, false); }

/* Code points that are valid in a JSON string but do harm when the raw document
 * is shown: controls move the cursor or start escape sequences, bidi controls
 * reorder what is read, U+2028/2029 break JavaScript consumers. */
static bool needs_u_escape(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
           cp == 0x200E || cp == 0x200F || cp == 0x061C || cp == 0x2028 || cp == 0x2029 ||
           cp == 0xFEFF;
}

void mxd_json_escape(mxd_sb *out, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    char esc[16];
    while (i < len) {
        uint32_t cp;
        size_t n = mxd_utf8_decode(p + i, len - i, &cp);
        if (n == 0) {
            /* Visible text "\xNN": the JSON for a backslash is "\\". */
            snprintf(esc, sizeof esc, "\\\\x%02X", p[i]);
            mxd_sb_puts(out, esc);
            i++;
            continue;
        }
        switch (cp) {
        case '"': mxd_sb_puts(out, "\\\""); break;
        case '\\': mxd_sb_puts(out, "\\\\"); break;
        case '\n': mxd_sb_puts(out, "\\n"); break;
        case '\r': mxd_sb_puts(out, "\\r"); break;
        case '\t': mxd_sb_puts(out, "\\t"); break;
        default:
            if (needs_u_escape(cp)) {
                snprintf(esc, sizeof esc, "\\u%04X", (unsigned)cp);
                mxd_sb_puts(out, esc);
            } else {
                mxd_sb_append(out, p + i, n);
            }
        }
        i += n;
    }
}

static void quoted(mxd_sb *out, const char *s, size_t len)
{
    mxd_sb_putc(out, '"');
    mxd_json_escape(out, s, len);
    mxd_sb_putc(out, '"');
}

void mxd_json_key(mxd_json *j, const char *key)
{
    if (j->failed)
        return;
    if (j->depth == 0 || !j->in_object[j->depth - 1] || j->key_pending || !key) {
        j->failed = true;
        return;
    }
    int l = j->depth - 1;
    if (j->count[l]++)
        mxd_sb_putc(j->out, ',');
    newline(j, j->depth);
    quoted(j->out, key, strlen(key));
    mxd_sb_puts(j->out, j->indent ? ": " : ":");
    j->key_pending = true;
}

void mxd_json_stringn(mxd_json *j, const char *s, size_t len)
{
    if (!value_prefix(j))
        return;
    if (s)
        quoted(j->out, s, len);
    else
        mxd_sb_puts(j->out, "null");
    value_done(j);
}

void mxd_json_string(mxd_json *j, const char *s)
{
    mxd_json_stringn(j, s, s ? strlen(s) : 0);
}

void mxd_json_int(mxd_json *j, int64_t v)
{
    if (!value_prefix(j))
        return;
    mxd_sb_printf(j->out, "%" PRId64, v);
    value_done(j);
}

void mxd_json_uint(mxd_json *j, uint64_t v)
{
    if (!value_prefix(j))
        return;
    mxd_sb_printf(j->out, "%" PRIu64, v);
    value_done(j);
}

void mxd_json_bool(mxd_json *j, bool v)
{
    if (!value_prefix(j))
        return;
    mxd_sb_puts(j->out, v ? "true" : "false");
    value_done(j);
}

void mxd_json_null(mxd_json *j)
{
    if (!value_prefix(j))
        return;
    mxd_sb_puts(j->out, "null");
    value_done(j);
}

void mxd_json_kv_string(mxd_json *j, const char *key, const char *s)
{
    mxd_json_key(j, key);
    mxd_json_string(j, s);
}

void mxd_json_kv_int(mxd_json *j, const char *key, int64_t v)
{
    mxd_json_key(j, key);
    mxd_json_int(j, v);
}

void mxd_json_kv_uint(mxd_json *j, const char *key, uint64_t v)
{
    mxd_json_key(j, key);
    mxd_json_uint(j, v);
}

void mxd_json_kv_bool(mxd_json *j, const char *key, bool v)
{
    mxd_json_key(j, key);
    mxd_json_bool(j, v);
}

void mxd_json_kv_opt_string(mxd_json *j, const char *key, const char *s)
{
    mxd_json_key(j, key);
    mxd_json_string(j, s && *s ? s : NULL);
}

bool mxd_json_ok(const mxd_json *j)
{
    return !j->failed && j->done && j->depth == 0 && mxd_sb_ok(j->out);
}
