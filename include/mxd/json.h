/* json.h — a small streaming JSON writer for the report.
 *
 * The writer appends to an mxd_sb and keeps a nesting stack, so callers only say
 * "object", "key", "value", "end" and never place commas themselves. Its output
 * is valid JSON and valid UTF-8 for any input bytes: strings are escaped here
 * even though the report's strings are already sanitised, because a JSON
 * document that a ticket system or jq cannot parse is useless to the reader.
 *
 * Escaping: " and \ as usual; \n \r \t in their short forms; every other C0
 * control, DEL, C1 controls, bidirectional controls and U+2028/U+2029 as \uXXXX
 * (so the raw document is also safe to cat on a terminal); each byte of an
 * invalid UTF-8 sequence as the visible text \xNN (the sanitiser's convention).
 *
 * Misuse (a value where a key is due, end_object inside an array, nesting deeper
 * than MXD_JSON_MAX_DEPTH) marks the writer failed instead of writing bad JSON;
 * mxd_json_ok() reports it once at the end.
 */
#ifndef MXD_JSON_H
#define MXD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxd/strbuf.h"

#define MXD_JSON_MAX_DEPTH 32

typedef struct mxd_json {
    mxd_sb *out;                          /* borrowed */
    int indent;                           /* spaces per level; 0: compact, one line */
    int depth;
    bool in_object[MXD_JSON_MAX_DEPTH];   /* per level: object (true) or array */
    size_t count[MXD_JSON_MAX_DEPTH];     /* values written at this level */
    bool key_pending;                     /* a key was written, its value is due */
    bool done;                            /* the top-level value is complete */
    bool failed;
} mxd_json;

/* Starts a document on out (borrowed; must outlive the writer). */
void mxd_json_init(mxd_json *j, mxd_sb *out, int indent);

void mxd_json_begin_object(mxd_json *j);
void mxd_json_end_object(mxd_json *j);
void mxd_json_begin_array(mxd_json *j);
void mxd_json_end_array(mxd_json *j);

/* The next member's name (inside an object only). */
void mxd_json_key(mxd_json *j, const char *key);

/* Values. s NULL writes null. stringn takes len bytes, NUL bytes included. */
void mxd_json_string(mxd_json *j, const char *s);
void mxd_json_stringn(mxd_json *j, const char *s, size_t len);
void mxd_json_int(mxd_json *j, int64_t v);
void mxd_json_uint(mxd_json *j, uint64_t v);
void mxd_json_bool(mxd_json *j, bool v);
void mxd_json_null(mxd_json *j);

/* key + value shorthands for objects. */
void mxd_json_kv_string(mxd_json *j, const char *key, const char *s);
void mxd_json_kv_int(mxd_json *j, const char *key, int64_t v);
void mxd_json_kv_uint(mxd_json *j, const char *key, uint64_t v);
void mxd_json_kv_bool(mxd_json *j, const char *key, bool v);
/* s NULL or "" writes null: for optional text such as an error message. */
void mxd_json_kv_opt_string(mxd_json *j, const char *key, const char *s);

/* Appends the escaped form of len bytes (without quotes) to out. For tests and
 * for anyone embedding a JSON string by hand. */
void mxd_json_escape(mxd_sb *out, const char *s, size_t len);

/* True when the document is complete (every object and array closed), nothing
 * was misused and no allocation failed. */
bool mxd_json_ok(const mxd_json *j);

#endif
