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
 * other namespaces: "msg.*" (text:), "step.*" (title:, intro:), "glossary.*"
 * (term:, text:), "sev.*" (label:). {name} is replaced by a parameter.
 *
 * The catalog is located (first match): $MXDOCTOR_HELP, a help/ folder next to
 * the executable or its parent (the source tree), then MXD_DATADIR/help.
 */
#ifndef MXD_CATALOG_H
#define MXD_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

#include "mxd/finding.h"

typedef enum { MXD_LANG_EN = 0, MXD_LANG_JA = 1, MXD_LANG_COUNT } mxd_lang;

typedef struct mxd_catalog mxd_catalog;

/* Loads every help/<lang>/*.cat file under helpdir. Returns a catalog owned by the
 * caller (mxd_catalog_free), or NULL with a message in err (file:line: reason). */
mxd_catalog *mxd_catalog_load(const char *helpdir, mxd_lang lang, char *err, size_t errlen);
/* Parses one file's text (for tests and fuzzing); same error contract. name is
 * used in messages. */
mxd_catalog *mxd_catalog_parse(const char *text, size_t len, const char *name,
                               char *err, size_t errlen);
void mxd_catalog_free(mxd_catalog *c);

/* The raw text of key/field, borrowed from the catalog, or NULL. */
const char *mxd_catalog_get(const mxd_catalog *c, const char *key, const char *field);
/* Number of entries, and the i-th key (borrowed), for listing and tests. */
size_t mxd_catalog_count(const mxd_catalog *c);
const char *mxd_catalog_key(const mxd_catalog *c, size_t i);

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
