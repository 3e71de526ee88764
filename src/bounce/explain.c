/* explain.c — the `mxdoctor --explain` front end: read a pasted bounce, decode
 * it (bounce.c), print what each status means in the chosen language.
 *
 * Like the report writers, this file knows no protocol: it shows the decoded
 * statuses through the help catalog. Every string that reaches the output is
 * sanitised here again (the decoder's strings already are; sanitising is
 * idempotent), Markdown escapes remote text so it cannot become a link or
 * HTML, and JSON goes through json.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "mxd/bounce.h"
#include "mxd/commands.h"
#include "mxd/input.h"
#include "mxd/json.h"
#include "mxd/sanitize.h"
#include "mxd/textout.h"

#ifndef MXD_VERSION
#define MXD_VERSION "unknown"
#endif

/* ---- catalog access ----------------------------------------------------------- */

/* Strings handed out below live in a pool freed when the output is written. */
typedef struct ectx {
    mxd_sb *out;
    const mxd_bounce *b;
    const mxd_catalog *cat;
    mxd_strpool pool;
} ectx;

static const char *san(ectx *c, const char *s)
{
    return mxd_textout_san(&c->pool, s);
}

/* key/field from the catalog with params, sanitised, line breaks kept; the key
 * in brackets when there is no catalog or no such text. */
static const char *txtp(ectx *c, const char *key, const char *field, const mxd_param *ps, size_t np)
{
    return mxd_textout_catalog(&c->pool, c->cat, key, field, ps, np);
}

static const char *txt(ectx *c, const char *key)
{
    return txtp(c, key, "text", NULL, 0);
}

static const char *fmt(ectx *c, const char *f, ...) __attribute__((format(printf, 2, 3)));
static const char *fmt(ectx *c, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    const char *s = mxd_textout_vfmt(&c->pool, f, ap);
    va_end(ap);
    return s;
}

static const char *cat_word(const mxd_catalog *cat, const char *key, const char *fallback)
{
    const char *t = cat ? mxd_catalog_get(cat, key, "text") : NULL;
    return t ? t : fallback;
}

/* ---- what the three formats share ---------------------------------------------- */

static const char *mta_label(const mxd_catalog *cat, mxd_bounce_mta m)
{
    switch (m) {
    case MXD_MTA_POSTFIX: return "Postfix";
    case MXD_MTA_EXIM: return "Exim";
    case MXD_MTA_EXCHANGE: return "Microsoft Exchange / 365";
    case MXD_MTA_GMAIL: return "Gmail";
    case MXD_MTA_GENERIC:
    default: return cat_word(cat, "explain.mta_generic", "not recognised");
    }
}

void mxd_bounce_params(const mxd_bounce_status *s, const mxd_catalog *cat,
                       mxd_param out[MXD_BOUNCE_NPARAMS], char *buf, size_t buflen)
{
    const char *code = "", *enh = s->enhanced;
    if (buf && buflen >= 16) {
        /* buf holds the reply code, then the decoded enhanced code after it. */
        size_t half = buflen / 2;
        buf[0] = buf[half] = '\0';
        if (s->code > 0 && s->code < 1000)
            snprintf(buf, half, "%d", s->code);
        if (!*enh && s->subject >= 0 && s->detail >= 0 && s->subject < 1000 && s->detail < 1000 &&
            s->cls >= 2 && s->cls <= 5)
            snprintf(buf + half, buflen - half, "%d.%d.%d", s->cls, s->subject, s->detail);
        code = buf;
        if (!*enh)
            enh = buf + half;
    }
    out[0] = (mxd_param){ (char *)"code", (char *)code };
    out[1] = (mxd_param){ (char *)"enhanced", (char *)enh };
    out[2] = (mxd_param){ (char *)"recipient",
                          (char *)(s->recipient ? s->recipient
                                                : cat_word(cat, "explain.unknown_recipient",
                                                           "the recipient")) };
    out[3] = (mxd_param){ (char *)"server_text",
                          (char *)(s->server_text ? s->server_text
                                                  : cat_word(cat, "explain.no_text",
                                                             "(no server text)")) };
    out[4] = (mxd_param){ (char *)"mta", (char *)mta_label(cat, s->mta) };
}

char *mxd_bounce_command(const mxd_bounce *b, const mxd_bounce_status *s, const mxd_catalog *cat)
{
    if (!s->step || strcmp(s->step, "none") == 0)
        return NULL;
    const char *addr = s->about_sender ? b->sender : s->recipient;
    mxd_sb sb = MXD_SB_INIT;
    mxd_input in;
    if (addr && mxd_input_normalize(addr, &in) == MXD_IN_OK && in.kind == MXD_KIND_EMAIL &&
        mxd_command_name_safe(in.ascii)) {
        mxd_sb_printf(&sb, "mxdoctor --report %s", in.ascii);
    } else {
        const char *w = s->about_sender
                            ? cat_word(cat, "explain.sender_domain", "YOUR-DOMAIN")
                            : cat_word(cat, "explain.recipient_domain", "RECIPIENT-DOMAIN");
        mxd_sb_printf(&sb, "mxdoctor --report <%s>", w);
    }
    return mxd_sb_take(&sb);
}

/* The step's name: the wizard's own title when the catalog has one. */
static const char *step_title(ectx *c, const char *step)
{
    const char *key = fmt(c, "step.%s", step);
    if (c->cat && mxd_catalog_get(c->cat, key, "title"))
        return txtp(c, key, "title", NULL, 0);
    return txt(c, fmt(c, "explain.step.%s", step));
}

/* "550 5.1.1 (bounce.5.1.1, Postfix)" */
static const char *code_line(ectx *c, const mxd_bounce_status *s)
{
    mxd_sb sb = MXD_SB_INIT;
    if (s->code)
        mxd_sb_printf(&sb, "%d", s->code);
    if (s->enhanced[0])
        mxd_sb_printf(&sb, "%s%s", sb.len ? " " : "", s->enhanced);
    if (sb.len == 0)
        mxd_sb_puts(&sb, "-");
    mxd_sb_printf(&sb, " (%s, %s)", s->id, mta_label(c->cat, s->mta));
    if (s->inferred)
        mxd_sb_printf(&sb, " %s", txt(c, "explain.inferred"));
    char *raw = mxd_sb_take(&sb);
    const char *r = san(c, raw ? raw : "");
    free(raw);
    return r;
}

static const char *status_text(ectx *c, const mxd_bounce_status *s, const char *field)
{
    mxd_param ps[MXD_BOUNCE_NPARAMS];
    char buf[32];
    mxd_bounce_params(s, c->cat, ps, buf, sizeof buf);
    return txtp(c, s->id, field, ps, MXD_BOUNCE_NPARAMS);
}

static const char *sev_label(ectx *c, const mxd_bounce_status *s)
{
    return txtp(c, fmt(c, "sev.%s", mxd_severity_name(mxd_bounce_severity(s))), "label", NULL, 0);
}

/* ---- text ------------------------------------------------------------------------ */

enum { L_RCPT, L_CODE, L_SERVER, L_WHAT, L_WHY, L_NEXT, L_STEP, L_COUNT };

static void write_text(ectx *c, const char *name)
{
    mxd_sb *o = c->out;
    const mxd_bounce *b = c->b;
    const char *labels[L_COUNT] = {
        txt(c, "explain.recipient"), txt(c, "explain.code"),   txt(c, "explain.server_text"),
        txt(c, "report.what"),       txt(c, "report.why"),     txt(c, "report.next"),
        txt(c, "explain.step"),
    };
    size_t lw = 0;
    for (int i = 0; i < L_COUNT; i++)
        if (mxd_textout_width(labels[i]) + 1 > lw)
            lw = mxd_textout_width(labels[i]) + 1;
    const char *hin = txt(c, "explain.input"), *hfound = txt(c, "explain.found");
    size_t win = mxd_textout_width(hin), wfound = mxd_textout_width(hfound);
    size_t hw = win > wfound ? win : wfound;

    mxd_sb_printf(o, "mxdoctor %s — %s\n", MXD_VERSION, txt(c, "explain.title"));
    mxd_textout_pad(o, fmt(c, "%s:", hin), hw + 3);
    mxd_sb_printf(o, "%s\n", san(c, name));
    mxd_textout_pad(o, fmt(c, "%s:", hfound), hw + 3);
    mxd_sb_printf(o, "%zu\n", b->n);
    if (b->truncated)
        mxd_sb_printf(o, "%s\n", txt(c, "explain.truncated"));
    if (b->capped)
        mxd_sb_printf(o, "%s\n", txt(c, "explain.capped"));
    if (b->n == 0) {
        mxd_sb_putc(o, '\n');
        mxd_textout_indented(o, txt(c, "explain.none_found"), 0);
        mxd_sb_putc(o, '\n');
        return;
    }
    size_t ind = 4 + lw + 1;
    for (size_t i = 0; i < b->n; i++) {
        const mxd_bounce_status *s = &b->v[i];
        mxd_sb_printf(o, "\n[%s] %s\n", sev_label(c, s), status_text(c, s, "title"));
        const char *vals[L_COUNT] = {
            s->recipient ? san(c, s->recipient) : "-",
            code_line(c, s),
            s->server_text ? san(c, s->server_text) : "-",
            status_text(c, s, "what"),
            status_text(c, s, "why"),
            status_text(c, s, "next"),
            step_title(c, s->step),
        };
        for (int k = 0; k < L_COUNT; k++) {
            mxd_sb_puts(o, "    ");
            mxd_textout_pad(o, fmt(c, "%s:", labels[k]), lw + 1);
            mxd_textout_indented(o, vals[k], ind);
            mxd_sb_putc(o, '\n');
        }
        char *cmd = mxd_bounce_command(b, s, c->cat);
        if (cmd) {
            for (size_t k = 0; k < ind; k++)
                mxd_sb_putc(o, ' ');
            mxd_sb_printf(o, "%s\n", san(c, cmd));
            free(cmd);
        }
    }
}

/* ---- Markdown --------------------------------------------------------------------- */

static void write_markdown(ectx *c, const char *name)
{
    mxd_sb *o = c->out;
    const mxd_bounce *b = c->b;
    mxd_sb_puts(o, "# mxdoctor: ");
    mxd_textout_md(o, txt(c, "explain.title"), NULL);
    mxd_sb_puts(o, "\n\n");
    mxd_textout_md_item(o, txt(c, "explain.input"), san(c, name));
    mxd_textout_md_item(o, txt(c, "explain.found"), fmt(c, "%zu", b->n));
    mxd_textout_md_item(o, "mxdoctor", MXD_VERSION);
    if (b->truncated) {
        mxd_sb_putc(o, '\n');
        mxd_textout_md(o, txt(c, "explain.truncated"), "");
        mxd_sb_putc(o, '\n');
    }
    if (b->capped) {
        mxd_sb_putc(o, '\n');
        mxd_textout_md(o, txt(c, "explain.capped"), "");
        mxd_sb_putc(o, '\n');
    }
    if (b->n == 0) {
        mxd_sb_putc(o, '\n');
        mxd_textout_md(o, txt(c, "explain.none_found"), "");
        mxd_sb_putc(o, '\n');
        return;
    }
    for (size_t i = 0; i < b->n; i++) {
        const mxd_bounce_status *s = &b->v[i];
        mxd_sb_puts(o, "\n## ");
        mxd_textout_md(o, fmt(c, "[%s] %s", sev_label(c, s), status_text(c, s, "title")), NULL);
        mxd_sb_puts(o, "\n\n");
        if (s->recipient)
            mxd_textout_md_item(o, txt(c, "explain.recipient"), san(c, s->recipient));
        mxd_textout_md_item(o, txt(c, "explain.code"), code_line(c, s));
        if (s->server_text)
            mxd_textout_md_item(o, txt(c, "explain.server_text"), san(c, s->server_text));
        mxd_textout_md_item(o, txt(c, "report.what"), status_text(c, s, "what"));
        mxd_textout_md_item(o, txt(c, "report.why"), status_text(c, s, "why"));
        mxd_textout_md_item(o, txt(c, "report.next"), status_text(c, s, "next"));
        mxd_sb_puts(o, "- **");
        mxd_textout_md(o, txt(c, "explain.step"), "");
        mxd_sb_puts(o, ":** ");
        mxd_textout_md(o, step_title(c, s->step), "  ");
        char *cmd = mxd_bounce_command(c->b, s, c->cat);
        if (cmd) {
            /* A code span needs no escaping; the command holds only a checked
             * ASCII name or the catalog's placeholder word. Backticks cannot
             * occur: sanitise and drop them anyway. */
            const char *sc = san(c, cmd);
            mxd_sb_puts(o, ": `");
            for (const char *p = sc; *p; p++)
                if (*p != '`')
                    mxd_sb_putc(o, *p);
            mxd_sb_putc(o, '`');
            free(cmd);
        }
        mxd_sb_putc(o, '\n');
    }
}

/* ---- JSON ----------------------------------------------------------------------- */

static bool write_json(ectx *c, const char *name, int exit_status)
{
    const mxd_bounce *b = c->b;
    mxd_json j;
    mxd_json_init(&j, c->out, 2);
    mxd_json_begin_object(&j);
    mxd_json_kv_string(&j, "tool", "mxdoctor");
    mxd_json_kv_string(&j, "version", MXD_VERSION);
    mxd_json_kv_string(&j, "input", san(c, name));
    mxd_json_kv_bool(&j, "truncated", b->truncated);
    mxd_json_kv_opt_string(&j, "sender", b->sender ? san(c, b->sender) : NULL);
    mxd_json_key(&j, "statuses");
    mxd_json_begin_array(&j);
    for (size_t i = 0; i < b->n; i++) {
        const mxd_bounce_status *s = &b->v[i];
        mxd_json_begin_object(&j);
        mxd_json_kv_opt_string(&j, "recipient", s->recipient ? san(c, s->recipient) : NULL);
        mxd_json_key(&j, "code");
        if (s->code)
            mxd_json_int(&j, s->code);
        else
            mxd_json_null(&j);
        mxd_json_kv_opt_string(&j, "enhanced", s->enhanced);
        mxd_json_kv_string(&j, "id", s->id);
        mxd_json_kv_string(&j, "severity", mxd_severity_name(mxd_bounce_severity(s)));
        mxd_json_kv_bool(&j, "permanent", s->permanent);
        mxd_json_kv_bool(&j, "inferred", s->inferred);
        mxd_json_kv_string(&j, "mta", mxd_bounce_mta_name(s->mta));
        mxd_json_kv_string(&j, "source", mxd_bounce_source_name(s->source));
        mxd_json_kv_opt_string(&j, "server_text", s->server_text ? san(c, s->server_text) : NULL);
        mxd_json_kv_string(&j, "step", s->step);
        char *cmd = mxd_bounce_command(b, s, NULL);
        mxd_json_kv_opt_string(&j, "command", cmd ? san(c, cmd) : NULL);
        free(cmd);
        mxd_json_end_object(&j);
    }
    mxd_json_end_array(&j);
    mxd_json_kv_int(&j, "exit_status", exit_status);
    mxd_json_end_object(&j);
    mxd_sb_putc(c->out, '\n');
    return mxd_json_ok(&j);
}

/* ---- entry points ------------------------------------------------------------------ */

void mxd_bounce_write(mxd_sb *out, mxd_format f, const mxd_bounce *b, const mxd_catalog *cat,
                      const char *name)
{
    ectx c = { out, b, cat, MXD_STRPOOL_INIT };
    const char *label = name && *name ? name : "-";
    switch (f) {
    case MXD_FMT_JSON:
        if (!write_json(&c, label, b->n ? MXD_EXPLAIN_FOUND : MXD_EXPLAIN_NOTHING))
            out->failed = true; /* half a JSON document is worse than none */
        break;
    case MXD_FMT_MARKDOWN:
        write_markdown(&c, label);
        break;
    case MXD_FMT_TEXT:
    default:
        write_text(&c, label);
        break;
    }
    mxd_strpool_free(&c.pool);
}

static void complain(const mxd_catalog *cat, const char *name, const char *why)
{
    char *n = mxd_sanitize_str(name);
    char *w = mxd_sanitize_str(why);
    char *t = mxd_sanitize_str(cat_word(cat, "explain.unreadable", "cannot read the input"));
    fprintf(stderr, "mxdoctor: %s: %s: %s\n", t ? t : "", n ? n : "", w ? w : "");
    free(n);
    free(w);
    free(t);
}

int mxd_explain_main(FILE *in, const char *name, mxd_format fmt_, const mxd_catalog *cat, FILE *out)
{
    const char *label = name && *name ? name : "-";
    FILE *f = in;
    bool opened = false;
    if (!f) {
        if (strcmp(label, "-") == 0) {
            f = stdin;
        } else {
            f = fopen(label, "rb");
            if (!f) {
                complain(cat, label, strerror(errno));
                return MXD_EXPLAIN_UNREADABLE;
            }
            opened = true;
        }
    }
    /* One byte past the cap tells a long input from one of exactly 1 MiB; the
     * rest of a longer input is never read. */
    size_t cap = MXD_BOUNCE_MAX_INPUT + 1, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        if (opened)
            fclose(f);
        complain(cat, label, strerror(ENOMEM));
        return MXD_EXPLAIN_UNREADABLE;
    }
    while (n < cap) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int err = ferror(f) ? (errno ? errno : EIO) : 0;
    if (opened)
        fclose(f);
    if (err) {
        complain(cat, label, strerror(err));
        free(buf);
        return MXD_EXPLAIN_UNREADABLE;
    }
    mxd_bounce b;
    int rc = mxd_bounce_parse(buf, n, &b);
    free(buf);
    if (rc != 0) {
        mxd_bounce_free(&b);
        complain(cat, label, strerror(ENOMEM));
        return MXD_EXPLAIN_UNREADABLE;
    }
    mxd_sb sb = MXD_SB_INIT;
    mxd_bounce_write(&sb, fmt_, &b, cat, label);
    int status = b.n ? MXD_EXPLAIN_FOUND : MXD_EXPLAIN_NOTHING;
    mxd_bounce_free(&b);
    if (!mxd_sb_ok(&sb)) {
        mxd_sb_free(&sb);
        complain(cat, label, strerror(ENOMEM));
        return MXD_EXPLAIN_UNREADABLE;
    }
    fwrite(sb.buf ? sb.buf : "", 1, sb.len, out);
    fflush(out);
    mxd_sb_free(&sb);
    return status;
}
