/* report.c — the non-interactive report in text, Markdown or JSON (see report.h).
 *
 * All three formats walk the same things in the same order: the header, the MX
 * set in the order a sender tries it, then every step of mxd_steps (plus any step
 * a finding names that the table does not, so nothing a check said is lost).
 *
 * Safety: every string that reaches the output is sanitised here again, even the
 * ones the result model already holds sanitised and the catalog's own text;
 * sanitising is idempotent, and a report pasted into a ticket or printed on a
 * terminal must never carry an escape sequence or a bidi override. Markdown also
 * escapes the characters that would turn remote text into links, HTML or table
 * cells; JSON escapes through json.c.
 *
 * Finding texts get two parameters besides the finding's own when it lacks them:
 * {domain} (the Unicode form) and {subject}, so catalog writers can always use
 * them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mxd/commands.h"
#include "mxd/dane.h"
#include "mxd/json.h"
#include "mxd/propagation.h"
#include "mxd/report.h"
#include "mxd/sanitize.h"
#include "mxd/delivery.h"
#include "mxd/policy.h"
#include "mxd/steps.h"
#include "mxd/textout.h"

#ifndef MXD_VERSION
#define MXD_VERSION "unknown"
#endif

bool mxd_format_parse(const char *s, mxd_format *out)
{
    if (!s)
        return false;
    if (strcmp(s, "text") == 0)
        *out = MXD_FMT_TEXT;
    else if (strcmp(s, "json") == 0)
        *out = MXD_FMT_JSON;
    else if (strcmp(s, "markdown") == 0 || strcmp(s, "md") == 0)
        *out = MXD_FMT_MARKDOWN;
    else
        return false;
    return true;
}

/* ---- shared state --------------------------------------------------------- */

typedef struct rctx {
    mxd_sb *out;
    const mxd_result *r;
    const mxd_findings *fs;
    const mxd_catalog *cat;
    mxd_strpool pool; /* strings handed out by the helpers below, freed at the end */
} rctx;

/* Takes ownership of s until the report is written (see mxd_strpool_keep). */
static const char *keep(rctx *c, char *s)
{
    return mxd_strpool_keep(&c->pool, s);
}

/* Sanitised copy of remote (or any) text, one line. */
static const char *san(rctx *c, const char *s)
{
    return mxd_textout_san(&c->pool, s);
}

/* Catalog text with params, sanitised but keeping the catalog's line breaks. */
static const char *txtp(rctx *c, const char *key, const char *field, const mxd_param *params,
                        size_t nparams)
{
    return mxd_textout_catalog(&c->pool, c->cat, key, field, params, nparams);
}

static const char *txt(rctx *c, const char *key, const char *field)
{
    return txtp(c, key, field, NULL, 0);
}

/* Text for an optional key: the catalog's when it has one, else fallback. */
static const char *opt(rctx *c, const char *key, const char *fallback)
{
    if (c->cat && mxd_catalog_get(c->cat, key, "text"))
        return txt(c, key, "text");
    return fallback;
}

static const char *fmt(rctx *c, const char *f, ...) __attribute__((format(printf, 2, 3)));
static const char *fmt(rctx *c, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    const char *s = mxd_textout_vfmt(&c->pool, f, ap);
    va_end(ap);
    return s;
}

static const char *rfc3339(rctx *c, time_t t)
{
    struct tm tm;
    char buf[32];
    if (t == 0 || !gmtime_r(&t, &tm) || strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return NULL;
    return keep(c, strdup(buf));
}

/* ---- what the three formats share ----------------------------------------- */

/* The step ids to report, in order: the table's, then any other step a finding
 * names (first appearance), so a newer check is never silently dropped. */
static size_t step_ids(const mxd_findings *fs, const char ***out)
{
    size_t cap = mxd_nsteps + (fs ? fs->n : 0), n = 0;
    const char **v = malloc((cap ? cap : 1) * sizeof *v);
    if (!v) {
        *out = NULL;
        return 0;
    }
    for (size_t i = 0; i < mxd_nsteps; i++)
        v[n++] = mxd_steps[i].id;
    for (size_t i = 0; fs && i < fs->n; i++) {
        bool seen = false;
        for (size_t k = 0; k < n && !seen; k++)
            seen = strcmp(v[k], fs->v[i].step) == 0;
        if (!seen)
            v[n++] = fs->v[i].step;
    }
    *out = v;
    return n;
}

/* The findings of one step, worst first; equal severities keep the checks'
 * order (which follows the sender's order of hosts). Caller frees the array. */
static size_t step_findings(const mxd_findings *fs, const char *step, const mxd_finding ***out)
{
    size_t n = 0;
    *out = NULL;
    if (!fs || fs->n == 0)
        return 0;
    const mxd_finding **v = malloc(fs->n * sizeof *v);
    if (!v)
        return 0;
    for (size_t i = 0; i < fs->n; i++) {
        if (strcmp(fs->v[i].step, step) != 0)
            continue;
        size_t k = n++;
        while (k > 0 && v[k - 1]->sev < fs->v[i].sev) {
            v[k] = v[k - 1];
            k--;
        }
        v[k] = &fs->v[i];
    }
    *out = v;
    return n;
}

/* A finding's text field, with {domain} and {subject} available. */
static const char *finding_text(rctx *c, const mxd_finding *f, const char *field)
{
    mxd_param extra[2];
    size_t nextra = 0;
    if (!mxd_finding_get(f, "domain"))
        extra[nextra++] = (mxd_param){ (char *)"domain", (char *)c->r->domain };
    if (!mxd_finding_get(f, "subject"))
        extra[nextra++] = (mxd_param){ (char *)"subject", f->subject };
    if (nextra == 0)
        return txtp(c, f->id, field, f->params, f->nparams);
    mxd_param *all = malloc((f->nparams + nextra) * sizeof *all);
    if (!all)
        return txtp(c, f->id, field, f->params, f->nparams);
    if (f->nparams)
        memcpy(all, f->params, f->nparams * sizeof *all);
    memcpy(all + f->nparams, extra, nextra * sizeof *all);
    const char *s = txtp(c, f->id, field, all, f->nparams + nextra);
    free(all);
    return s;
}

/* The title, with the subject added when the title does not name it already
 * (two findings about two hosts must not read the same). */
static const char *finding_title(rctx *c, const mxd_finding *f)
{
    const char *t = finding_text(c, f, "title");
    if (f->subject && *f->subject && !strstr(t, f->subject))
        return fmt(c, "%s (%s)", t, san(c, f->subject));
    return t;
}

static const char *host_of(rctx *c, const mxd_target *t)
{
    if (t->null_mx && !*t->host)
        return ".";
    return san(c, t->host);
}

/* One short, mostly language-neutral outcome for an SMTP probe: protocol codes
 * and names a helpdesk can read in either language; the findings below the
 * table explain them. The catalog may translate each word (report.* keys). */
static const char *smtp_outcome(rctx *c, const mxd_smtp *s)
{
    if (!s || s->state == MXD_SMTP_NOT_RUN)
        return opt(c, "report.smtp_not_run", "not tested");
    if (s->state == MXD_SMTP_SKIPPED)
        return opt(c, "report.smtp_skipped", "skipped");
    if (s->state == MXD_SMTP_RUNNING)
        return opt(c, "report.smtp_running", "unfinished");
    mxd_sb sb = MXD_SB_INIT;
    if (s->end != MXD_SMTP_END_OK) {
        const char *name = mxd_smtp_end_name(s->end);
        mxd_sb_puts(&sb, opt(c, fmt(c, "report.end_%s", name), name));
        if (s->greeting_code)
            mxd_sb_printf(&sb, " (%d)", s->greeting_code);
        return keep(c, mxd_sb_take(&sb));
    }
    mxd_sb_printf(&sb, "%d", s->greeting_code);
    if (s->ehlo_code)
        mxd_sb_printf(&sb, ", EHLO %d", s->ehlo_code);
    if (s->starttls_offered)
        mxd_sb_puts(&sb, ", STARTTLS");
    else
        mxd_sb_printf(&sb, ", %s", opt(c, "report.no_starttls", "no STARTTLS"));
    if (s->tls_ok && s->tls_version[0])
        mxd_sb_printf(&sb, ", %s", san(c, s->tls_version));
    if (s->cert.present) {
        bool good = true;
        if (!s->cert.trusted) {
            mxd_sb_printf(&sb, ", %s", opt(c, "report.cert_untrusted", "certificate untrusted"));
            good = false;
        }
        if (!s->cert.name_matches) {
            mxd_sb_printf(&sb, ", %s",
                          opt(c, "report.cert_name_mismatch", "certificate name mismatch"));
            good = false;
        }
        if (s->cert.expired) {
            mxd_sb_printf(&sb, ", %s", opt(c, "report.cert_expired", "certificate expired"));
            good = false;
        }
        if (good)
            mxd_sb_printf(&sb, ", %s", opt(c, "report.cert_ok", "certificate OK"));
    }
    if (s->injected_bytes)
        mxd_sb_printf(&sb, ", %s", opt(c, "report.injection", "STARTTLS injection"));
    return keep(c, mxd_sb_take(&sb));
}

static const char *resolvers_joined(rctx *c)
{
    const mxd_result *r = c->r;
    mxd_sb sb = MXD_SB_INIT;
    unsigned n = r->nresolvers < 8 ? r->nresolvers : 8;
    for (unsigned i = 0; i < n; i++)
        mxd_sb_printf(&sb, "%s%s", i ? ", " : "", san(c, r->resolvers[i]));
    if (n == 0)
        for (size_t i = 0; r->opts.resolvers && i < r->opts.nresolvers; i++)
            mxd_sb_printf(&sb, "%s%s", i ? ", " : "", san(c, r->opts.resolvers[i]));
    if (sb.len == 0)
        mxd_sb_puts(&sb, "-");
    return keep(c, mxd_sb_take(&sb));
}

/* "example.com" or "例え.jp (user@例え.jp)" when what was typed differs. */
static const char *domain_line(rctx *c)
{
    const char *d = san(c, c->r->domain[0] ? c->r->domain : c->r->domain_ascii);
    if (c->r->input[0] && strcmp(c->r->input, c->r->domain) != 0)
        return fmt(c, "%s (%s)", d, san(c, c->r->input));
    return d;
}

static bool show_ascii(const mxd_result *r)
{
    return r->domain_ascii[0] && strcmp(r->domain_ascii, r->domain) != 0;
}

typedef struct header {
    const char *label, *value;
} header;

/* The header lines shared by text and Markdown. Returns how many were set. */
static size_t header_lines(rctx *c, header *h, mxd_verdict v)
{
    size_t n = 0;
    const mxd_result *r = c->r;
    h[n++] = (header){ txt(c, "report.domain", "text"), domain_line(c) };
    if (show_ascii(r))
        h[n++] = (header){ txt(c, "report.domain_ascii", "text"), san(c, r->domain_ascii) };
    const char *vname = mxd_verdict_name(v);
    h[n++] = (header){ txt(c, "report.verdict", "text"),
                       fmt(c, "[%s] %s", txt(c, fmt(c, "sev.%s", vname), "label"),
                           txt(c, fmt(c, "verdict.%s", vname), "title")) };
    const char *started = rfc3339(c, r->started_at);
    h[n++] = (header){ txt(c, "report.started", "text"), started ? started : "-" };
    h[n++] = (header){ txt(c, "report.elapsed", "text"), fmt(c, "%u ms", (unsigned)r->elapsed_ms) };
    h[n++] = (header){ txt(c, "report.resolvers", "text"), resolvers_joined(c) };
    return n;
}

/* One row of the MX table: one per address (pref/host/TTL only on the first). */
typedef struct mxrow {
    const char *pref, *host, *ttl, *addr, *smtp;
} mxrow;

static size_t mx_rows(rctx *c, mxrow **out, bool *any_implicit)
{
    const mxd_result *r = c->r;
    size_t cap = 0, n = 0;
    *any_implicit = false;
    for (size_t i = 0; i < r->ntargets; i++)
        cap += r->targets[i].naddrs ? r->targets[i].naddrs : 1;
    mxrow *v = malloc((cap ? cap : 1) * sizeof *v);
    *out = v;
    if (!v)
        return 0;
    for (size_t i = 0; i < r->ntargets; i++) {
        const mxd_target *t = &r->targets[i];
        const char *host = host_of(c, t);
        if (t->implicit) {
            host = fmt(c, "%s *", host);
            *any_implicit = true;
        }
        mxrow first = { fmt(c, "%u", t->pref), host, fmt(c, "%u", (unsigned)t->ttl), "-", "-" };
        if (t->naddrs == 0) {
            v[n++] = first;
            continue;
        }
        for (size_t k = 0; k < t->naddrs; k++) {
            mxrow row = k == 0 ? first : (mxrow){ "", "", "", "", "" };
            row.addr = san(c, t->addrs[k].text);
            row.smtp = smtp_outcome(c, t->smtp ? &t->smtp[k] : NULL);
            v[n++] = row;
        }
    }
    return n;
}

/* ---- text ----------------------------------------------------------------- */

static void text_mx(rctx *c)
{
    mxd_sb *o = c->out;
    const mxd_result *r = c->r;
    mxd_sb_printf(o, "\n%s\n", txt(c, "report.mx_table", "text"));
    mxrow *rows;
    bool implicit;
    size_t n = mx_rows(c, &rows, &implicit);
    if (n == 0) {
        mxd_sb_printf(o, "  - (%s)\n", mxd_qstate_name(r->mx.state));
        free(rows);
        return;
    }
    mxrow head = { txt(c, "report.preference", "text"), txt(c, "report.host", "text"),
                   txt(c, "report.ttl", "text"), txt(c, "report.addresses", "text"),
                   txt(c, "report.smtp", "text") };
    size_t w[4] = { mxd_textout_width(head.pref), mxd_textout_width(head.host),
                    mxd_textout_width(head.ttl), mxd_textout_width(head.addr) };
    for (size_t i = 0; i < n; i++) {
        const char *cells[4] = { rows[i].pref, rows[i].host, rows[i].ttl, rows[i].addr };
        for (int k = 0; k < 4; k++)
            if (mxd_textout_width(cells[k]) > w[k])
                w[k] = mxd_textout_width(cells[k]);
    }
    for (size_t i = 0; i <= n; i++) {
        const mxrow *row = i == 0 ? &head : &rows[i - 1];
        mxd_sb_puts(o, "  ");
        mxd_textout_pad(o, row->pref, w[0] + 2);
        mxd_textout_pad(o, row->host, w[1] + 2);
        mxd_textout_pad(o, row->ttl, w[2] + 2);
        mxd_textout_pad(o, row->addr, w[3] + 2);
        mxd_sb_printf(o, "%s\n", row->smtp);
    }
    free(rows);
    if (implicit) {
        mxd_sb_puts(o, "  * ");
        mxd_textout_indented(o, txt(c, "report.implicit_note", "text"), 4);
        mxd_sb_putc(o, '\n');
    }
    if (r->equal_pref_shuffled) {
        mxd_sb_puts(o, "  ");
        mxd_textout_indented(o, txt(c, "report.order_note", "text"), 2);
        mxd_sb_putc(o, '\n');
    }
}

static void text_commands(rctx *c, const char *step)
{
    mxd_command *cmds;
    size_t n = mxd_commands_for_step(step, c->r, &cmds);
    if (n == 0)
        return;
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        if (mxd_textout_width(mxd_platform_label(cmds[i].platform)) > w)
            w = mxd_textout_width(mxd_platform_label(cmds[i].platform));
    mxd_sb_printf(c->out, "  %s:\n", txt(c, "report.commands", "text"));
    for (size_t i = 0; i < n; i++) {
        mxd_sb_puts(c->out, "    ");
        mxd_textout_pad(c->out, mxd_platform_label(cmds[i].platform), w + 2);
        mxd_sb_printf(c->out, "%s\n", san(c, cmds[i].cmd));
    }
    mxd_commands_free(cmds, n);
}

static void text_step(rctx *c, size_t index, const char *step)
{
    mxd_sb *o = c->out;
    const char *status = mxd_severity_name(mxd_findings_worst(c->fs, step));
    mxd_sb_printf(o, "\n%s %zu: %s  [%s]\n", txt(c, "report.step", "text"), index + 1,
                  txt(c, fmt(c, "step.%s", step), "title"),
                  txt(c, fmt(c, "sev.%s", status), "label"));
    const mxd_finding **v;
    size_t n = step_findings(c->fs, step, &v);
    if (n == 0)
        mxd_sb_printf(o, "  %s\n", txt(c, "report.no_findings", "text"));
    const char *lw = txt(c, "report.what", "text"), *ly = txt(c, "report.why", "text"),
               *ln = txt(c, "report.next", "text");
    size_t lwidth = mxd_textout_width(lw);
    if (mxd_textout_width(ly) > lwidth)
        lwidth = mxd_textout_width(ly);
    if (mxd_textout_width(ln) > lwidth)
        lwidth = mxd_textout_width(ln);
    for (size_t i = 0; i < n; i++) {
        const mxd_finding *f = v[i];
        mxd_sb_printf(o, "  [%s] %s\n", txt(c, fmt(c, "sev.%s", mxd_severity_name(f->sev)), "label"),
                      finding_title(c, f));
        const char *labels[3] = { lw, ly, ln }, *fields[3] = { "what", "why", "next" };
        for (int k = 0; k < 3; k++) {
            mxd_sb_puts(o, "      ");
            mxd_textout_pad(o, fmt(c, "%s:", labels[k]), lwidth + 2);
            mxd_textout_indented(o, finding_text(c, f, fields[k]), 6 + lwidth + 2);
            mxd_sb_putc(o, '\n');
        }
    }
    free(v);
    text_commands(c, step);
}

static void write_text(rctx *c, mxd_verdict v)
{
    mxd_sb *o = c->out;
    header h[8];
    size_t nh = header_lines(c, h, v);
    size_t w = 0;
    for (size_t i = 0; i < nh; i++)
        if (mxd_textout_width(h[i].label) + 1 > w)
            w = mxd_textout_width(h[i].label) + 1;
    mxd_sb_printf(o, "mxdoctor %s\n", MXD_VERSION);
    for (size_t i = 0; i < nh; i++) {
        mxd_textout_pad(o, fmt(c, "%s:", h[i].label), w + 2);
        mxd_sb_printf(o, "%s\n", h[i].value);
    }
    text_mx(c);
    const char **ids;
    size_t n = step_ids(c->fs, &ids);
    for (size_t i = 0; i < n; i++)
        text_step(c, i, ids[i]);
    free(ids);
}

/* ---- Markdown ------------------------------------------------------------- */

static void md_mx(rctx *c)
{
    mxd_sb *o = c->out;
    mxd_sb_puts(o, "\n## ");
    mxd_textout_md(o, txt(c, "report.mx_table", "text"), "");
    mxd_sb_puts(o, "\n\n");
    mxrow *rows;
    bool implicit;
    size_t n = mx_rows(c, &rows, &implicit);
    if (n == 0) {
        mxd_sb_printf(o, "- (%s)\n", mxd_qstate_name(c->r->mx.state));
        free(rows);
        return;
    }
    mxrow head = { txt(c, "report.preference", "text"), txt(c, "report.host", "text"),
                   txt(c, "report.ttl", "text"), txt(c, "report.addresses", "text"),
                   txt(c, "report.smtp", "text") };
    for (size_t i = 0; i <= n; i++) {
        const mxrow *row = i == 0 ? &head : &rows[i - 1];
        const char *cells[5] = { row->pref, row->host, row->ttl, row->addr, row->smtp };
        mxd_sb_putc(o, '|');
        for (int k = 0; k < 5; k++) {
            mxd_sb_putc(o, ' ');
            mxd_textout_md(o, cells[k], NULL);
            mxd_sb_puts(o, " |");
        }
        mxd_sb_putc(o, '\n');
        if (i == 0)
            mxd_sb_puts(o, "|---:|---|---:|---|---|\n");
    }
    free(rows);
    if (implicit) {
        mxd_sb_puts(o, "\n\\* ");
        mxd_textout_md(o, txt(c, "report.implicit_note", "text"), "");
        mxd_sb_putc(o, '\n');
    }
    if (c->r->equal_pref_shuffled) {
        mxd_sb_puts(o, "\n> ");
        mxd_textout_md(o, txt(c, "report.order_note", "text"), "> ");
        mxd_sb_putc(o, '\n');
    }
}

static void md_commands(rctx *c, const char *step)
{
    mxd_command *cmds;
    size_t n = mxd_commands_for_step(step, c->r, &cmds);
    if (n == 0)
        return;
    mxd_sb_puts(c->out, "\n**");
    mxd_textout_md(c->out, txt(c, "report.commands", "text"), "");
    mxd_sb_puts(c->out, "**\n\n");
    for (size_t i = 0; i < n; i++) {
        /* Commands hold only [A-Za-z0-9 ._:@=/-] (commands.c checks every name),
         * so a code span needs no escaping; sanitise anyway. */
        mxd_sb_printf(c->out, "- %s: `%s`\n", mxd_platform_label(cmds[i].platform),
                      san(c, cmds[i].cmd));
    }
    mxd_commands_free(cmds, n);
}

static void md_step(rctx *c, size_t index, const char *step)
{
    mxd_sb *o = c->out;
    const char *status = mxd_severity_name(mxd_findings_worst(c->fs, step));
    mxd_sb_puts(o, "\n## ");
    mxd_textout_md(o,
                   fmt(c, "%s %zu: %s (%s)", txt(c, "report.step", "text"), index + 1,
                       txt(c, fmt(c, "step.%s", step), "title"),
                       txt(c, fmt(c, "sev.%s", status), "label")),
                   NULL);
    mxd_sb_putc(o, '\n');
    const mxd_finding **v;
    size_t n = step_findings(c->fs, step, &v);
    if (n == 0) {
        mxd_sb_putc(o, '\n');
        mxd_textout_md(o, txt(c, "report.no_findings", "text"), "");
        mxd_sb_putc(o, '\n');
    }
    for (size_t i = 0; i < n; i++) {
        const mxd_finding *f = v[i];
        mxd_sb_puts(o, "\n### ");
        mxd_textout_md(o,
                       fmt(c, "[%s] %s",
                           txt(c, fmt(c, "sev.%s", mxd_severity_name(f->sev)), "label"),
                           finding_title(c, f)),
                       NULL);
        mxd_sb_puts(o, "\n\n");
        const char *labels[3] = { "report.what", "report.why", "report.next" };
        const char *fields[3] = { "what", "why", "next" };
        for (int k = 0; k < 3; k++)
            mxd_textout_md_item(o, txt(c, labels[k], "text"), finding_text(c, f, fields[k]));
    }
    free(v);
    md_commands(c, step);
}

static void write_markdown(rctx *c, mxd_verdict v)
{
    mxd_sb *o = c->out;
    mxd_sb_puts(o, "# mxdoctor: ");
    mxd_textout_md(o, san(c, c->r->domain[0] ? c->r->domain : c->r->domain_ascii), NULL);
    mxd_sb_puts(o, "\n\n");
    header h[8];
    size_t nh = header_lines(c, h, v);
    for (size_t i = 0; i < nh; i++) {
        mxd_sb_puts(o, "- **");
        mxd_textout_md(o, h[i].label, NULL);
        mxd_sb_puts(o, ":** ");
        mxd_textout_md(o, h[i].value, NULL);
        mxd_sb_putc(o, '\n');
    }
    mxd_sb_printf(o, "- **mxdoctor:** %s\n", MXD_VERSION);
    md_mx(c);
    const char **ids;
    size_t n = step_ids(c->fs, &ids);
    for (size_t i = 0; i < n; i++)
        md_step(c, i, ids[i]);
    free(ids);
}

/* ---- JSON ----------------------------------------------------------------- */

static const char *smtp_state_name(mxd_smtp_state s)
{
    static const char *const n[] = { "not_run", "skipped", "running", "done" };
    return (unsigned)s < sizeof n / sizeof n[0] ? n[s] : "?";
}

static void json_smtp(rctx *c, mxd_json *j, const mxd_addr *a, const mxd_smtp *s)
{
    mxd_json_begin_object(j);
    mxd_json_kv_string(j, "address", san(c, a->text));
    mxd_json_kv_string(j, "state", smtp_state_name(s->state));
    mxd_json_kv_string(j, "end", s->state == MXD_SMTP_DONE ? mxd_smtp_end_name(s->end) : NULL);
    mxd_json_kv_uint(j, "connect_ms", s->connect_ms);
    mxd_json_kv_uint(j, "total_ms", s->total_ms);
    mxd_json_kv_int(j, "greeting_code", s->greeting_code);
    mxd_json_kv_opt_string(j, "greeting", san(c, s->greeting));
    mxd_json_kv_int(j, "ehlo_code", s->ehlo_code);
    mxd_json_key(j, "extensions");
    mxd_json_begin_array(j);
    for (size_t i = 0; s->ext && i < s->n_ext; i++)
        mxd_json_string(j, san(c, s->ext[i]));
    mxd_json_end_array(j);
    mxd_json_kv_bool(j, "starttls", s->starttls_offered);
    mxd_json_key(j, "tls");
    if (s->tls_attempted) {
        mxd_json_begin_object(j);
        mxd_json_kv_bool(j, "ok", s->tls_ok);
        mxd_json_kv_opt_string(j, "version", san(c, s->tls_version));
        mxd_json_kv_opt_string(j, "cipher", san(c, s->tls_cipher));
        mxd_json_end_object(j);
    } else {
        mxd_json_null(j);
    }
    mxd_json_key(j, "certificate");
    if (s->cert.present) {
        const mxd_cert *ct = &s->cert;
        mxd_json_begin_object(j);
        mxd_json_kv_bool(j, "trusted", ct->trusted);
        mxd_json_kv_opt_string(j, "verify_error", ct->verify_error ? san(c, ct->verify_text) : NULL);
        mxd_json_kv_bool(j, "name_matches", ct->name_matches);
        mxd_json_kv_bool(j, "expired", ct->expired);
        mxd_json_kv_bool(j, "not_yet_valid", ct->not_yet_valid);
        mxd_json_kv_bool(j, "self_signed", ct->self_signed);
        mxd_json_kv_string(j, "subject", san(c, ct->subject));
        mxd_json_kv_string(j, "issuer", san(c, ct->issuer));
        mxd_json_kv_string(j, "names", san(c, ct->names));
        mxd_json_kv_string(j, "not_before", rfc3339(c, ct->not_before));
        mxd_json_kv_string(j, "not_after", rfc3339(c, ct->not_after));
        /* What a DANE record "3 1 1" for this server holds (dane.h). */
        char spki[2 * 32 + 1];
        mxd_json_kv_opt_string(j, "spki_sha256", mxd_dane_leaf_hex(s, MXD_TLSA_SEL_SPKI,
                                                                   MXD_TLSA_SHA256, spki,
                                                                   sizeof spki) ? spki : NULL);
        mxd_json_kv_uint(j, "chain_length", s->nchain);
        mxd_json_end_object(j);
    } else {
        mxd_json_null(j);
    }
    mxd_json_kv_uint(j, "injected_bytes", s->injected_bytes);
    mxd_json_kv_opt_string(j, "error", san(c, s->error));
    mxd_json_end_object(j);
}

static void json_target(rctx *c, mxd_json *j, const mxd_target *t)
{
    mxd_json_begin_object(j);
    mxd_json_kv_uint(j, "preference", t->pref);
    mxd_json_kv_string(j, "host", host_of(c, t));
    mxd_json_key(j, "addresses");
    mxd_json_begin_array(j);
    for (size_t i = 0; t->addrs && i < t->naddrs; i++)
        mxd_json_string(j, san(c, t->addrs[i].text));
    mxd_json_end_array(j);
    mxd_json_kv_uint(j, "ttl", t->ttl);
    mxd_json_kv_bool(j, "implicit", t->implicit);
    mxd_json_kv_bool(j, "null_mx", t->null_mx);
    mxd_json_kv_bool(j, "ip_literal", t->ip_literal);
    mxd_json_kv_opt_string(j, "cname", san(c, t->cname));
    mxd_json_key(j, "smtp");
    mxd_json_begin_array(j);
    for (size_t i = 0; t->smtp && t->addrs && i < t->naddrs; i++)
        json_smtp(c, j, &t->addrs[i], &t->smtp[i]);
    mxd_json_end_array(j);
    mxd_json_end_object(j);
}

static void json_finding(rctx *c, mxd_json *j, const mxd_finding *f)
{
    mxd_json_begin_object(j);
    mxd_json_kv_string(j, "id", san(c, f->id));
    mxd_json_kv_string(j, "severity", mxd_severity_name(f->sev));
    mxd_json_kv_string(j, "subject", san(c, f->subject));
    mxd_json_key(j, "params");
    mxd_json_begin_object(j);
    for (size_t i = 0; i < f->nparams; i++) {
        bool dup = false; /* a JSON object must not repeat a name */
        for (size_t k = 0; k < i && !dup; k++)
            dup = strcmp(f->params[k].key, f->params[i].key) == 0;
        if (!dup)
            mxd_json_kv_string(j, san(c, f->params[i].key), san(c, f->params[i].value));
    }
    mxd_json_end_object(j);
    mxd_json_end_object(j);
}

static bool write_json(rctx *c, mxd_verdict v)
{
    const mxd_result *r = c->r;
    mxd_json j;
    mxd_json_init(&j, c->out, 2);
    mxd_json_begin_object(&j);
    mxd_json_kv_string(&j, "tool", "mxdoctor");
    mxd_json_kv_string(&j, "version", MXD_VERSION);
    mxd_json_kv_string(&j, "input", san(c, r->input));
    mxd_json_kv_string(&j, "domain", san(c, r->domain));
    mxd_json_kv_string(&j, "domain_ascii", san(c, r->domain_ascii));
    mxd_json_kv_string(&j, "verdict", mxd_verdict_name(v));
    mxd_json_kv_string(&j, "started_at", rfc3339(c, r->started_at));
    mxd_json_kv_uint(&j, "elapsed_ms", r->elapsed_ms);
    mxd_json_kv_bool(&j, "timed_out", r->timed_out);
    mxd_json_key(&j, "resolvers");
    mxd_json_begin_array(&j);
    unsigned nres = r->nresolvers < 8 ? r->nresolvers : 8;
    for (unsigned i = 0; i < nres; i++)
        mxd_json_string(&j, san(c, r->resolvers[i]));
    for (size_t i = 0; nres == 0 && r->opts.resolvers && i < r->opts.nresolvers; i++)
        mxd_json_string(&j, san(c, r->opts.resolvers[i]));
    mxd_json_end_array(&j);
    mxd_json_key(&j, "mx_lookup");
    mxd_json_begin_object(&j);
    mxd_json_kv_string(&j, "state", mxd_qstate_name(r->mx.state));
    mxd_json_kv_opt_string(&j, "server", san(c, r->mx.server));
    mxd_json_kv_uint(&j, "elapsed_ms", r->mx.elapsed_ms);
    mxd_json_end_object(&j);
    mxd_json_kv_bool(&j, "equal_preference_shuffled", r->equal_pref_shuffled);
    if (r->propagation) {
        mxd_json_key(&j, "propagation");
        mxd_propagation_json(&j, r->propagation);
    }
    mxd_json_key(&j, "mx");
    mxd_json_begin_array(&j);
    for (size_t i = 0; r->targets && i < r->ntargets; i++)
        json_target(c, &j, &r->targets[i]);
    mxd_json_end_array(&j);
    if (r->policy) {
        mxd_json_key(&j, "policy");
        mxd_policy_json(&j, r->policy);
    }
    if (r->delivery) {
        mxd_json_key(&j, "delivery");
        mxd_delivery_json(&j, r, r->delivery);
    }
    mxd_json_key(&j, "steps");
    mxd_json_begin_array(&j);
    const char **ids;
    size_t n = step_ids(c->fs, &ids);
    for (size_t i = 0; i < n; i++) {
        mxd_json_begin_object(&j);
        mxd_json_kv_string(&j, "id", san(c, ids[i]));
        mxd_json_kv_string(&j, "status", mxd_severity_name(mxd_findings_worst(c->fs, ids[i])));
        mxd_json_key(&j, "findings");
        mxd_json_begin_array(&j);
        /* Check order, not worst first: machines sort for themselves. */
        for (size_t k = 0; c->fs && k < c->fs->n; k++)
            if (strcmp(c->fs->v[k].step, ids[i]) == 0)
                json_finding(c, &j, &c->fs->v[k]);
        mxd_json_end_array(&j);
        mxd_json_end_object(&j);
    }
    free(ids);
    mxd_json_end_array(&j);
    mxd_json_kv_int(&j, "exit_status", mxd_verdict_exit(v));
    mxd_json_end_object(&j);
    mxd_sb_putc(c->out, '\n');
    return mxd_json_ok(&j);
}

/* ---- entry point ---------------------------------------------------------- */

void mxd_report_write(mxd_sb *out, mxd_format f, const mxd_result *r, const mxd_findings *fs,
                      const mxd_catalog *cat)
{
    static const mxd_findings none = { NULL, 0, 0 };
    rctx c = { out, r, fs ? fs : &none, cat, MXD_STRPOOL_INIT };
    mxd_verdict v = mxd_verdict_of(c.fs);
    switch (f) {
    case MXD_FMT_JSON:
        if (!write_json(&c, v))
            out->failed = true; /* half a JSON document is worse than none */
        break;
    case MXD_FMT_MARKDOWN:
        write_markdown(&c, v);
        break;
    case MXD_FMT_TEXT:
    default:
        write_text(&c, v);
        break;
    }
    mxd_strpool_free(&c.pool);
}
