/* catalog.h — the help catalog: every sentence mxdoctor shows, in Japanese and English.
 *
 * Files under help/<lang>/ (*.cat) hold entries:
 *
 *     # comment
 *     [smtp.refused]
 *     title: {host} refuses connections
 *     what: ...
 *     why: ...
 *     next: ...
 *
 * A key in brackets starts an entry; "field: text" lines follow (one line each;
 * "\n" in the text is a line break). Finding entries have title/what/why/next;
 * other namespaces: "msg.*" and "report.*" (text:), "step.*" (title:, intro:),
 * "glossary.*" (term:, text:), "sev.*" (label:), "verdict.*" (title:, text:).
 * {name} is replaced by a parameter.
 *
 * The format, exactly (the parser enforces it so a typo fails loudly, with its line):
 *   - UTF-8 only; an invalid sequence, a NUL or a control character other than
 *     TAB is an error. A UTF-8 byte-order mark at the start is skipped. Lines end
 *     in LF or CRLF.
 *   - Blank lines and lines whose first non-blank character is '#' are ignored.
 *   - "[key]": key is 1..127 characters of a-z 0-9 . _ - (lower case). A key may
 *     appear only once per language, across all of that language's files.
 *   - "field: text": field is 1..31 characters of a-z 0-9 _ ; blanks around the
 *     ':' and at the end of the line are trimmed. The text must not be empty. A
 *     field may appear once per entry. Field names the program does not know are
 *     kept (room for future use) and simply never asked for.
 *   - In the text, "\n" becomes a line break and "\\" a backslash; any other
 *     backslash stays as written (commands such as C:\> need no escaping).
 *   - A field line before the first [key], a line that is neither, and an entry
 *     with no field are errors.
 * Every error is reported as "file:LINE: reason" (file as given by the caller).
 *
 * Placeholders: "{name}" where name is a-z 0-9 _ . A placeholder without a
 * matching parameter is left as written, so a missing value shows up as
 * "{host}" instead of silently vanishing.
 *
 * The catalog is located (first match; a folder counts when it has en/ inside):
 * $MXDOCTOR_HELP, "help" next to the executable (/proc/self/exe), "../help"
 * relative to the executable's folder (the source tree), then MXD_DATADIR "/help"
 * (set by the Makefile).
 */
#ifndef MXD_CATALOG_H
#define MXD_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

#include "mxd/finding.h"

typedef enum { MXD_LANG_EN = 0, MXD_LANG_JA = 1, MXD_LANG_COUNT } mxd_lang;

typedef struct mxd_catalog mxd_catalog;

/* Loads every *.cat file in helpdir/<lang>/ (helpdir is the help folder itself,
 * as returned by mxd_help_dir()), in strcmp order of file name, into one catalog.
 * Returns a catalog owned by the caller (mxd_catalog_free), or NULL with a
 * message in err ("file:LINE: reason", or "folder: reason" when the folder cannot
 * be read or holds no .cat file). */
mxd_catalog *mxd_catalog_load(const char *helpdir, mxd_lang lang, char *err, size_t errlen);
/* Parses one file's text (for tests and fuzzing); same error contract. name is
 * used in messages. */
mxd_catalog *mxd_catalog_parse(const char *text, size_t len, const char *name,
                               char *err, size_t errlen);
void mxd_catalog_free(mxd_catalog *c);

/* The raw text of key/field, borrowed from the catalog, or NULL. */
const char *mxd_catalog_get(const mxd_catalog *c, const char *key, const char *field);
/* Number of entries, and the i-th key (borrowed), for listing and tests. Entries
 * keep file order. Out of range: NULL. */
size_t mxd_catalog_count(const mxd_catalog *c);
const char *mxd_catalog_key(const mxd_catalog *c, size_t i);
/* The j-th field of the i-th entry: returns its text and sets *name to the field
 * name (both borrowed), or NULL when out of range. For tests that look at every
 * field, known or not. */
const char *mxd_catalog_field(const mxd_catalog *c, size_t i, size_t j, const char **name);

/* In a text line that starts with two spaces (a command to copy), a value with
 * anything but letters, digits and ". - _ : [ ]" becomes UNSAFE-NAME, so a
 * hostile host name can never turn a pasted command into another command. */
/* key/field with {placeholders} filled from params (values are sanitised again).
 * Unknown placeholders stay as written. Missing entry: "[key.field]".
 * Returns a newly allocated string (caller frees), or NULL on ENOMEM. */
char *mxd_catalog_format(const mxd_catalog *c, const char *key, const char *field,
                         const mxd_param *params, size_t nparams);

/* Finds the help folder as described above; returns a static buffer or NULL. */
const char *mxd_help_dir(void);

/* Language from LC_ALL, LC_MESSAGES, LANG (ja* → Japanese), else English. */
mxd_lang mxd_lang_from_env(void);
/* "ja"/"en" → lang; returns false for anything else. */
bool mxd_lang_parse(const char *s, mxd_lang *out);
const char *mxd_lang_code(mxd_lang l);

#endif
