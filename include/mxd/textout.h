/* textout.h — pieces shared by the writers of human-readable output: the
 * report (report.c) and the bounce explainer (explain.c).
 *
 * Both put catalog text and remote text side by side, as aligned terminal text
 * or as Markdown, and both promise that nothing unsafe reaches the output: every
 * string is sanitised on the way out (again; sanitising is idempotent) and
 * Markdown escapes whatever would turn remote text into a link, HTML or a table
 * cell. Writing that once keeps the two outputs equally safe and aligned.
 *
 * A writer makes many short-lived strings (a label, a number, a sanitised copy)
 * that it only needs until the output is complete. Rather than free each one, it
 * hands them to an mxd_strpool and frees the pool once at the end.
 *
 * Pointers passed in are borrowed for the call; every string returned is owned
 * by the pool it came from and lives until mxd_strpool_free().
 */
#ifndef MXD_TEXTOUT_H
#define MXD_TEXTOUT_H

#include <stdarg.h>
#include <stddef.h>

#include "mxd/catalog.h"
#include "mxd/finding.h"
#include "mxd/strbuf.h"

typedef struct mxd_strpool {
    char **v; /* owned, each string owned */
    size_t n, cap;
} mxd_strpool;

#define MXD_STRPOOL_INIT { NULL, 0, 0 }

/* Takes ownership of s and keeps it until mxd_strpool_free(); returns s, or ""
 * when s is NULL or the pool cannot grow (s is then freed): an allocation
 * failure shows as an empty string, and the output buffer's own failure flag
 * still tells the caller. */
const char *mxd_strpool_keep(mxd_strpool *p, char *s);

/* Frees every string kept and the pool's array; p is empty again after. */
void mxd_strpool_free(mxd_strpool *p);

/* A sanitised one-line copy of s (NULL reads as ""), owned by p. */
const char *mxd_textout_san(mxd_strpool *p, const char *s);

/* vprintf into a new string owned by p. */
const char *mxd_textout_vfmt(mxd_strpool *p, const char *f, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* The catalog's key/field with params filled in, sanitised but keeping the
 * catalog's line breaks; "[key.field]" when cat is NULL, so a missing catalog
 * shows which text was wanted. cat, key, field and params are borrowed; the
 * result is owned by p. */
const char *mxd_textout_catalog(mxd_strpool *p, const mxd_catalog *cat, const char *key,
                             const char *field, const mxd_param *params, size_t nparams);

/* Columns UTF-8 text s takes on a terminal (East Asian wide characters count
 * two), so Japanese labels line up with English ones. */
size_t mxd_textout_width(const char *s);

/* Appends s, then spaces up to w columns. */
void mxd_textout_pad(mxd_sb *out, const char *s, size_t w);

/* Appends s; every line after the first starts with indent spaces, so catalog
 * text of several lines stays under its label. */
void mxd_textout_indented(mxd_sb *out, const char *s, size_t indent);

/* Appends s with Markdown's active characters escaped, so remote text cannot
 * become a link, an image, HTML, emphasis or a table cell. A line break becomes
 * a hard break followed by cont (the indentation of the surrounding block, e.g.
 * a list item's), or a space when cont is NULL (headings, table cells). */
void mxd_textout_md(mxd_sb *out, const char *s, const char *cont);

/* One Markdown list item "- **label:** value" and its line end, both escaped;
 * the value's later lines stay inside the item (indented two spaces). */
void mxd_textout_md_item(mxd_sb *out, const char *label, const char *value);

#endif
