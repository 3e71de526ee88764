/* report.h — the non-interactive report: text, Markdown or JSON.
 *
 * Writers see only the result model, the findings and the help catalog: no
 * protocol code. Text and Markdown are in the chosen language; JSON follows the
 * design's contract (keys never renamed) and is always valid UTF-8 JSON because
 * every string passes through the sanitiser and the JSON escaper.
 */
#ifndef MXD_REPORT_H
#define MXD_REPORT_H

#include "mxd/catalog.h"
#include "mxd/checks.h"
#include "mxd/finding.h"
#include "mxd/result.h"
#include "mxd/strbuf.h"

typedef enum { MXD_FMT_TEXT = 0, MXD_FMT_JSON, MXD_FMT_MARKDOWN } mxd_format;

/* "text"/"json"/"markdown" (also "md") → format; false otherwise. */
bool mxd_format_parse(const char *s, mxd_format *out);

/* Appends the whole report to out. cat is the catalog of the report's language
 * (JSON ignores it). */
void mxd_report_write(mxd_sb *out, mxd_format fmt, const mxd_result *r,
                      const mxd_findings *fs, const mxd_catalog *cat);

#endif
