/* scenario_error.h — what is wrong in a practice-lab scenario file, in any language.
 *
 * The scenario parser (scenario.h) is a pure function over text: it knows no
 * catalog and no language. When a teacher's file has a mistake it fills an
 * mxd_scn_error: the file, the line, a code, and the values to show (the word
 * it did not understand, the list of words it would accept, a line number).
 * Whoever shows the error renders it with mxd_scn_error_format() through the
 * help catalog in the reader's language; the sentences live only in
 * help/<lang>/scenario.cat, as entries "scn.err.<name>" (field "text").
 *
 * A few values are words, not text from the file: parameters named "what",
 * "why" and "form" hold the key of a catalog entry ("scn.what.mx_host",
 * "scn.why.empty_label", "scn.form.mx"), which is shown in the reader's
 * language too. Their keys are listed in MXD_SCN_TERMS.
 */
#ifndef MXD_SCENARIO_ERROR_H
#define MXD_SCENARIO_ERROR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "mxd/catalog.h"

/* X(ID, "name", "params"): the catalog key is "scn.err.<name>"; params are the
 * {placeholders} it fills, space-separated, in the order the parser gives them.
 * Every translation shows every one of them (tests/unit/check_catalog.c). */
#define MXD_SCN_ERRORS(X) \
    /* the file as a whole */ \
    X(NOMEM, "nomem", "") \
    X(NOT_FOUND, "not_found", "") \
    X(NO_ACCESS, "no_access", "") \
    X(CANNOT_OPEN, "cannot_open", "reason") \
    X(IS_FOLDER, "is_folder", "") \
    X(READ_ERROR, "read_error", "") \
    X(TOO_LARGE, "too_large", "max") \
    X(DUPLICATE_ID, "duplicate_id", "value other") \
    X(CONTROL_CHAR, "control_char", "code") \
    X(BIDI_CHAR, "bidi_char", "code") \
    X(UTF8_BYTE, "utf8_byte", "byte") \
    X(UTF8_TRUNCATED, "utf8_truncated", "") \
    X(UTF8_SEQUENCE, "utf8_sequence", "") \
    /* the header */ \
    X(HEADER_SYNTAX, "header_syntax", "") \
    X(STRAY_INDENT, "stray_indent", "") \
    X(TEXT_NO_LANG, "text_no_lang", "key") \
    X(TEXT_BAD_LANG, "text_bad_lang", "key") \
    X(UNKNOWN_HEADER_KEY, "unknown_header_key", "key") \
    X(KEY_TWICE, "key_twice", "key") \
    X(ID_LENGTH, "id_length", "max") \
    X(ID_CHARS, "id_chars", "value") \
    X(UNKNOWN_LEVEL, "unknown_level", "value") \
    X(TEXT_TOO_LONG, "text_too_long", "max") \
    X(UNKNOWN_FINDING, "unknown_finding", "value") \
    X(FINDING_TWICE, "finding_twice", "value") \
    X(TOO_MANY_FINDINGS, "too_many_findings", "max") \
    X(MISSING_ID, "missing_id", "") \
    X(MISSING_DOMAIN, "missing_domain", "") \
    X(MISSING_TITLE, "missing_title", "lang") \
    X(DOMAIN_NOT_SERVED, "domain_not_served", "value") \
    /* names, wherever they are written */ \
    X(BAD_NAME, "bad_name", "what value why") \
    X(NAME_QUOTED, "name_quoted", "what value") \
    /* section headers */ \
    X(SECTION_NO_CLOSE, "section_no_close", "") \
    X(SECTION_TRAILING, "section_trailing", "") \
    X(SECTION_WORDS, "section_words", "") \
    X(TOO_MANY_SECTIONS, "too_many_sections", "max") \
    X(UNKNOWN_SECTION, "unknown_section", "value") \
    X(ZONE_FORM, "zone_form", "") \
    X(SERVER_FORM, "server_form", "section") \
    X(BAD_ADDR, "bad_addr", "value section") \
    X(ADDR_NOT_LOOPBACK, "addr_not_loopback", "value section") \
    X(DUPLICATE_ZONE, "duplicate_zone", "origin first_line") \
    X(DUPLICATE_SERVER, "duplicate_server", "section addr first_line") \
    X(ZONE_NO_AUTH, "zone_no_auth", "addr") \
    X(OPEN_PAREN_SECTION, "open_paren_section", "") \
    /* [auth], [smtp] and [https] keys */ \
    X(SERVER_SYNTAX, "server_syntax", "section addr") \
    X(UNKNOWN_SERVER_KEY, "unknown_server_key", "key section known") \
    X(UNKNOWN_VALUE, "unknown_value", "key value known") \
    X(BAD_DELAY, "bad_delay", "value") \
    X(BAD_USER, "bad_user", "value") \
    X(TOO_MANY_USERS, "too_many_users", "max") \
    X(NO_USERS, "no_users", "") \
    X(USERS_UNUSED, "users_unused", "addr") \
    X(SMTP_NO_NAME, "smtp_no_name", "addr") \
    /* zone records */ \
    X(BAD_TTL_DIRECTIVE, "bad_ttl_directive", "") \
    X(UNKNOWN_DIRECTIVE, "unknown_directive", "value") \
    X(HEADER_KEY_IN_ZONE, "header_key_in_zone", "value") \
    X(NO_OWNER_ABOVE, "no_owner_above", "") \
    X(OUTSIDE_ORIGIN, "outside_origin", "name origin") \
    X(BAD_TTL, "bad_ttl", "value") \
    X(BAD_CLASS, "bad_class", "value") \
    X(NO_TYPE, "no_type", "") \
    X(UNKNOWN_TYPE, "unknown_type", "value") \
    X(RECORD_NEEDS, "record_needs", "type form") \
    X(RECORD_TOO_MANY, "record_too_many", "type form") \
    X(BAD_IP, "bad_ip", "family value") \
    X(BAD_MX_PREF, "bad_mx_pref", "value") \
    X(TXT_NEEDS_STRING, "txt_needs_string", "") \
    X(SOA_NOT_ORIGIN, "soa_not_origin", "origin") \
    X(SECOND_SOA, "second_soa", "origin") \
    X(BAD_SOA_SERIAL, "bad_soa_serial", "value") \
    X(BAD_SOA_TIMER, "bad_soa_timer", "value") \
    X(RECORD_TWICE, "record_twice", "type name") \
    X(TOO_MANY_RECORDS, "too_many_records", "max") \
    X(TOO_MANY_FIELDS, "too_many_fields", "") \
    X(RECORD_TOO_LONG, "record_too_long", "max") \
    X(CLOSE_PAREN, "close_paren", "") \
    X(OPEN_PAREN_EOF, "open_paren_eof", "") \
    X(UNTERMINATED_QUOTE, "unterminated_quote", "") \
    X(QUOTE_BACKSLASH_END, "quote_backslash_end", "") \
    X(ESCAPE_DIGITS, "escape_digits", "") \
    X(ESCAPE_RANGE, "escape_range", "value") \
    X(QUOTED_TOO_LONG, "quoted_too_long", "max") \
    X(BAD_DNSSEC, "bad_dnssec", "value") \
    X(BAD_TLSA_NUMBER, "bad_tlsa_number", "value") \
    X(BAD_TLSA_DATA, "bad_tlsa_data", "value") \
    X(TLSA_REF_KIND, "tlsa_ref_kind", "value") \
    X(TLSA_REF_OWNER, "tlsa_ref_owner", "value name") \
    X(TLSA_NO_SERVER, "tlsa_no_server", "value host") \
    /* [https] sections (scenario_https.h) */ \
    X(HTTPS_INDENT, "https_indent", "") \
    X(HTTPS_LINE_TOO_LONG, "https_line_too_long", "max") \
    X(HTTPS_PATH_FIRST, "https_path_first", "key") \
    X(HTTPS_KEY_TWICE_PATH, "https_key_twice_path", "key path") \
    X(HTTPS_BAD_PATH, "https_bad_path", "value") \
    X(HTTPS_PATH_TWICE, "https_path_twice", "value") \
    X(HTTPS_BAD_STATUS, "https_bad_status", "value") \
    X(HTTPS_BAD_TYPE, "https_bad_type", "value") \
    X(HTTPS_BAD_LOCATION, "https_bad_location", "value") \
    X(HTTPS_BODY_TOO_LONG, "https_body_too_long", "max") \
    X(HTTPS_NO_NAME, "https_no_name", "addr")

typedef enum {
    MXD_SCN_OK = 0,
#define MXD_SCN_ERR_ENUM_(id, name, params) MXD_SCN_E_##id,
    MXD_SCN_ERRORS(MXD_SCN_ERR_ENUM_)
#undef MXD_SCN_ERR_ENUM_
    MXD_SCN_E_COUNT
} mxd_scn_errcode;

/* The words the "what", "why" and "form" parameters name. X(ID, "name"): the
 * catalog key is "scn.<name>", field "text". */
#define MXD_SCN_TERMS(X) \
    X(WHAT_OWNER, "what.owner") \
    X(WHAT_MX_HOST, "what.mx_host") \
    X(WHAT_TARGET, "what.target") \
    X(WHAT_SOA_MNAME, "what.soa_mname") \
    X(WHAT_SOA_RNAME, "what.soa_rname") \
    X(WHAT_DOMAIN, "what.domain") \
    X(WHAT_ZONE_ORIGIN, "what.zone_origin") \
    X(WHAT_SERVER_NAME, "what.server_name") \
    X(WHAT_HTTPS_NAME, "what.https_name") \
    X(WHY_EMPTY, "why.empty") \
    X(WHY_TOO_LONG, "why.too_long") \
    X(WHY_EMPTY_LABEL, "why.empty_label") \
    X(WHY_DOUBLE_DOT, "why.double_dot") \
    X(WHY_NOT_ASCII, "why.not_ascii") \
    X(WHY_LABEL_CHARS, "why.label_chars") \
    X(WHY_LABEL_TOO_LONG, "why.label_too_long") \
    X(WHY_ROOT_ZONE, "why.root_zone") \
    X(WHY_HOST_EXAMPLE, "why.host_example") \
    X(WHY_HOST_CHARS, "why.host_chars") \
    X(FORM_IPV4, "form.ipv4") \
    X(FORM_IPV6, "form.ipv6") \
    X(FORM_MX, "form.mx") \
    X(FORM_HOST, "form.host") \
    X(FORM_SOA, "form.soa") \
    X(FORM_TLSA, "form.tlsa")

typedef enum {
#define MXD_SCN_TERM_ENUM_(id, name) MXD_SCN_T_##id,
    MXD_SCN_TERMS(MXD_SCN_TERM_ENUM_)
#undef MXD_SCN_TERM_ENUM_
    MXD_SCN_T_COUNT
} mxd_scn_term;

enum {
    MXD_SCN_ERR_MAX_PARAMS = 4,
    MXD_SCN_ERR_VALUE_MAX = 384, /* bytes per value, NUL included; longer ones end in "…" */
};

typedef struct mxd_scn_error {
    mxd_scn_errcode code;   /* MXD_SCN_OK: no error */
    char file[1024];        /* the name the caller gave (a path, "t.scn"), sanitised */
    int line;               /* 1-based; 0 when the error is about the file as a whole */
    size_t nparams;
    struct {
        char key[24];       /* "value", "max", ... (see MXD_SCN_ERRORS) */
        char value[MXD_SCN_ERR_VALUE_MAX]; /* sanitised: safe for a terminal as it is */
    } params[MXD_SCN_ERR_MAX_PARAMS];
} mxd_scn_error;

/* "scn.err.<name>" for code, static; "" for MXD_SCN_OK or out of range. */
const char *mxd_scn_error_key(mxd_scn_errcode code);
/* The parameter names of code, space-separated (static). */
const char *mxd_scn_error_params(mxd_scn_errcode code);
/* "scn.<name>" for a term, static; "" when out of range. */
const char *mxd_scn_term_key(mxd_scn_term t);

/* Empties *e (no error; file "", line 0). */
void mxd_scn_error_clear(mxd_scn_error *e);
/* Sets the code and the parameters of *e, keeping its file and line: the
 * values (const char *, NUL-terminated, borrowed) follow code in the order
 * mxd_scn_error_params(code) names them, and a NULL ends the list. Each value is
 * copied sanitised, cut at MXD_SCN_ERR_VALUE_MAX. Does nothing when e is NULL.
 * Returns -1, so a parser can "return mxd_scn_error_set(...)". */
int mxd_scn_error_set(mxd_scn_error *e, mxd_scn_errcode code, ...)
    __attribute__((sentinel));
int mxd_scn_error_setv(mxd_scn_error *e, mxd_scn_errcode code, va_list ap);
/* Sets the file (copied, sanitised; NULL: "") and line of *e. */
void mxd_scn_error_at(mxd_scn_error *e, const char *file, int line);
/* The value of parameter key, borrowed from e, or NULL. */
const char *mxd_scn_error_get(const mxd_scn_error *e, const char *key);

/* The error as the reader sees it: "FILE:LINE: text" ("FILE: text" when line is
 * 0), the text being the catalog's "scn.err.<name>" entry with its placeholders
 * filled (and the what/why/form words taken from the same catalog). Without a
 * catalog, or when it lacks the entry, the text is the key and the values
 * ("scn.err.bad_ttl value=99x"), so nothing is lost. Returns a newly allocated
 * string (caller frees), or NULL on ENOMEM; "" for MXD_SCN_OK. */
char *mxd_scn_error_format(const mxd_scn_error *e, const mxd_catalog *cat);

#endif
