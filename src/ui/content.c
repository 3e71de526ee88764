/* content.c — what the step, summary, glossary and help screens say, laid out
 * as docs (no curses here). The details view has its own file (details.c).
 *
 * Reads only the result model, the findings, the help catalog and the
 * equivalent commands. Every string that came from the network is already
 * sanitised in the model (names, finding params) or by the catalog formatter.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxd/commands.h"
#include "mxd/steps.h"
#include "mxd/strbuf.h"
#include "uipriv.h"

/* ---- findings ---- */

/* Indexes of the step's findings, worst first, in check order within a severity. */
static size_t step_findings(const mxd_findings *fs, const char *step, size_t *idx)
{
    size_t n = 0;
    for (size_t i = 0; i < fs->n; i++)
        if (strcmp(fs->v[i].step, step) == 0)
            idx[n++] = i;
    for (size_t i = 1; i < n; i++) { /* insertion sort: stable, and n is small */
        size_t k = idx[i], j = i;
        while (j > 0 && fs->v[idx[j - 1]].sev < fs->v[k].sev) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = k;
    }
    return n;
}

static void finding_panel(const mxd_ui *u, const mxd_finding *f, int width, ui_doc *d)
{
    char *title = ui_cat_fmt(u, f->id, "title", f->params, f->nparams);
    char *what = ui_cat_fmt(u, f->id, "what", f->params, f->nparams);
    char *why = ui_cat_fmt(u, f->id, "why", f->params, f->nparams);
    char *next = ui_cat_fmt(u, f->id, "next", f->params, f->nparams);
    const char *label = ui_sev_label(u, f->sev);
    int bw = width - 4;
    ui_doc body = { 0 };
    /* A title too long for the border goes into the panel, wrapped, instead of
     * being cut. */
    int room = width - 3 - mxd_text_width(label, strlen(label)) - 2 - 2;
    bool title_inside = title && mxd_text_width(title, strlen(title)) > room;
    if (title_inside)
        doc_wrap(&body, 0, bw, ST_BOLD, title);
    doc_wrap_lead(&body, 0, bw, ui_t(u, T_WHAT), ST_BOLD, what ? what : "", ST_NORMAL);
    doc_wrap_lead(&body, 0, bw, ui_t(u, T_WHY), ST_BOLD, why ? why : "", ST_NORMAL);
    doc_wrap_lead(&body, 0, bw, ui_t(u, T_NEXT), ST_BOLD, next ? next : "", ST_NORMAL);
    doc_panel(d, 0, width, label, ui_sev_style(f->sev), title_inside ? NULL : title, ST_BOLD,
              &body);
    doc_free(&body);
    free(title);
    free(what);
    free(why);
    free(next);
}

static void commands_panel(const mxd_ui *u, const char *step, int width, ui_doc *d)
{
    mxd_command *v = NULL;
    size_t n = u->have_input ? mxd_commands_for_step(step, &u->res, &v) : 0;
    int bw = width - 4;
    ui_doc body = { 0 };
    const char *last = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!last || strcmp(last, v[i].platform) != 0) {
            if (last)
                doc_line(&body);
            doc_wrap(&body, 0, bw, ST_BOLD, mxd_platform_label(v[i].platform));
            last = v[i].platform;
        }
        doc_wrap_hang(&body, 2, bw - 2, 2, NULL, ST_NORMAL, v[i].cmd, ST_CMD);
    }
    if (n == 0)
        doc_wrap(&body, 0, bw, ST_DIM, ui_t(u, T_NO_COMMANDS));
    doc_panel(d, 0, width, NULL, ST_NORMAL, ui_t(u, T_COMMANDS), ST_HEAD, &body);
    doc_free(&body);
    mxd_commands_free(v, n);
}

static void progress_line(const mxd_ui *u, const char *step, int width, ui_doc *d)
{
    bool blocked;
    unsigned n = ui_step_pending(u, step, &blocked);
    if (n == 0 && !blocked)
        return;
    static const char spin[] = "|/-\\";
    char lead[4] = { spin[u->spin % 4], 0 };
    char num[16];
    snprintf(num, sizeof num, "%u", n);
    char *m = n ? ui_tf(u, T_WAITING, "n", num, UI_END)
                : strdup(ui_t(u, T_WAITING_EARLIER));
    doc_wrap_lead(d, 0, width, lead, ST_BOLD, m ? m : "", ST_BOLD);
    free(m);
    doc_line(d);
}

static bool step_exists(const char *id)
{
    for (size_t i = 0; i < mxd_nsteps; i++)
        if (strcmp(mxd_steps[i].id, id) == 0)
            return true;
    return false;
}

/* Decided from the step table, so the note goes away by itself the day the
 * receiving-policy step ("policy") joins it. (The bounce choice has its own
 * screen, scr_bounce.c.) */
ui_text_id ui_goal_missing_note(ui_goal g)
{
    if (g == GOAL_OUTBOUND && !step_exists("policy"))
        return T_NOT_YET_OUTBOUND;
    return T_COUNT;
}

static void goal_note(const mxd_ui *u, int width, ui_doc *d)
{
    ui_text_id t = ui_goal_missing_note(u->goal);
    if (t == T_COUNT)
        return;
    ui_doc body = { 0 };
    doc_wrap(&body, 0, width - 4, ST_NORMAL, ui_t(u, t));
    doc_panel(d, 0, width, ui_sev_label(u, MXD_SEV_INFO), ST_INFO, ui_t(u, T_NOT_YET_TAG),
              ST_BOLD, &body);
    doc_free(&body);
}

/* "MX records  (Step 1 of 4)" / "MXレコードの確認（ステップ 1/4）" */
static void step_head(const mxd_ui *u, char *buf, size_t cap, const char *title,
                      const char *counter)
{
    if (u->lang == MXD_LANG_JA)
        snprintf(buf, cap, "%s（%s）", title, counter ? counter : "");
    else
        snprintf(buf, cap, "%s  (%s)", title, counter ? counter : "");
}

void build_step_doc(const mxd_ui *u, size_t step, int width, ui_doc *d)
{
    if (step >= mxd_nsteps)
        return;
    const char *id = mxd_steps[step].id;
    char key[64];
    snprintf(key, sizeof key, "step.%s", id);
    char *title = ui_cat_fmt(u, key, "title", NULL, 0);
    char *intro = ui_cat_fmt(u, key, "intro", NULL, 0);
    char i1[24], nn[24];
    snprintf(i1, sizeof i1, "%zu", step + 1);
    snprintf(nn, sizeof nn, "%zu", mxd_nsteps + 1);
    char *counter = ui_tf(u, T_STEP_COUNTER, "i", i1, "n", nn, UI_END);
    char head[512];
    step_head(u, head, sizeof head, title ? title : id, counter);
    doc_wrap(d, 0, width, ST_HEAD, head);
    doc_wrap(d, 0, width, ST_DIM, intro ? intro : "");
    doc_line(d);
    free(title);
    free(intro);
    free(counter);

    if (step == 0)
        goal_note(u, width, d);
    if (!u->have_input) {
        doc_wrap(d, 0, width, ST_BOLD, ui_t(u, T_NO_DIAGNOSIS));
        return;
    }
    progress_line(u, id, width, d);

    /* findings on the left, commands beside them when there is room */
    bool beside = width >= UI_SIDE_BY_SIDE_COLS - 2;
    int cmdw = beside ? width * 2 / 5 : width;
    if (cmdw > 72 && beside)
        cmdw = 72;
    int leftw = beside ? width - cmdw - 1 : width;
    ui_doc left = { 0 }, right = { 0 };
    size_t *idx = malloc((u->fs.n + 1) * sizeof *idx);
    size_t n = idx ? step_findings(&u->fs, id, idx) : 0;
    for (size_t i = 0; i < n; i++)
        finding_panel(u, &u->fs.v[idx[i]], leftw, &left);
    free(idx);
    bool blocked;
    if (n == 0)
        doc_wrap(&left, 0, leftw, ST_DIM,
                 ui_step_pending(u, id, &blocked) || blocked ? ui_t(u, T_NOTHING_YET)
                                                              : ui_t(u, T_NO_FINDINGS));
    if (beside) {
        commands_panel(u, id, cmdw, &right);
        doc_beside(d, &left, &right, leftw + 1);
    } else {
        doc_append(d, &left, 0);
        commands_panel(u, id, width, d);
    }
    doc_free(&left);
    doc_free(&right);
}

/* ---- summary ---- */

static int cause_group(mxd_severity s)
{
    return s == MXD_SEV_FAIL ? 0 : s == MXD_SEV_ERROR ? 1 : 2;
}

const mxd_finding **ui_ranked_causes(const mxd_findings *fs, size_t *n)
{
    const mxd_finding **v = malloc((fs->n + 1) * sizeof *v);
    *n = 0;
    if (!v)
        return NULL;
    for (size_t i = 0; i < fs->n; i++)
        if (fs->v[i].sev == MXD_SEV_FAIL || fs->v[i].sev == MXD_SEV_ERROR ||
            fs->v[i].sev == MXD_SEV_WARN)
            v[(*n)++] = &fs->v[i];
    /* Failures first, then what could not be tested, then warnings; inside a
     * group the checks' rank (lower = more likely; 0 = unranked, last), then
     * severity, then check order (stable insertion sort). */
    for (size_t i = 1; i < *n; i++) {
        const mxd_finding *k = v[i];
        size_t j = i;
        while (j > 0) {
            const mxd_finding *p = v[j - 1];
            int gp = cause_group(p->sev), gk = cause_group(k->sev);
            unsigned rp = p->rank > 0 ? (unsigned)p->rank : ~0u;
            unsigned rk = k->rank > 0 ? (unsigned)k->rank : ~0u;
            bool after = gp > gk || (gp == gk && (rp > rk || (rp == rk && p->sev < k->sev)));
            if (!after)
                break;
            v[j] = v[j - 1];
            j--;
        }
        v[j] = k;
    }
    return v;
}

static ui_style verdict_style(mxd_verdict v)
{
    switch (v) {
    case MXD_VERDICT_PASS: return ST_PASS;
    case MXD_VERDICT_WARN: return ST_WARN;
    case MXD_VERDICT_FAIL: return ST_FAIL;
    default: return ST_ERROR;
    }
}

static mxd_severity verdict_sev(mxd_verdict v)
{
    switch (v) {
    case MXD_VERDICT_PASS: return MXD_SEV_PASS;
    case MXD_VERDICT_WARN: return MXD_SEV_WARN;
    case MXD_VERDICT_FAIL: return MXD_SEV_FAIL;
    default: return MXD_SEV_ERROR;
    }
}

void build_summary_doc(const mxd_ui *u, int width, ui_doc *d)
{
    char *title = ui_cat_fmt(u, "step.summary", "title", NULL, 0);
    char *intro = ui_cat_fmt(u, "step.summary", "intro", NULL, 0);
    char i1[24];
    snprintf(i1, sizeof i1, "%zu", mxd_nsteps + 1);
    char *counter = ui_tf(u, T_STEP_COUNTER, "i", i1, "n", i1, UI_END);
    char head[512];
    step_head(u, head, sizeof head, title ? title : "", counter);
    doc_wrap(d, 0, width, ST_HEAD, head);
    doc_wrap(d, 0, width, ST_DIM, intro ? intro : "");
    doc_line(d);
    free(title);
    free(intro);
    free(counter);
    if (!u->have_input) {
        doc_wrap(d, 0, width, ST_BOLD, ui_t(u, T_NO_DIAGNOSIS));
        return;
    }
    if (ui_running(u)) {
        doc_wrap(d, 0, width, ST_BOLD, ui_t(u, T_SUMMARY_RUNNING));
        doc_line(d);
    }
    int bw = width - 4;
    mxd_verdict v = mxd_verdict_of(&u->fs);
    char vkey[32];
    snprintf(vkey, sizeof vkey, "verdict.%s", mxd_verdict_name(v));
    char *vtitle = ui_cat_fmt(u, vkey, "title", NULL, 0);
    char *vtext = ui_cat_fmt(u, vkey, "text", NULL, 0);
    size_t nc = 0;
    const mxd_finding **causes = ui_ranked_causes(&u->fs, &nc);

    ui_doc body = { 0 };
    doc_wrap(&body, 0, bw, ST_NORMAL, vtext ? vtext : "");
    doc_panel(d, 0, width, ui_sev_label(u, verdict_sev(v)), verdict_style(v), vtitle, ST_BOLD,
              &body);
    doc_free(&body);

    /* What a helpdesk agent reads out: the verdict, the top cause, its action. */
    memset(&body, 0, sizeof body);
    doc_wrap(&body, 0, bw, ST_NORMAL, vtext ? vtext : "");
    if (nc > 0) {
        const mxd_finding *f = causes[0];
        char *ct = ui_cat_fmt(u, f->id, "title", f->params, f->nparams);
        char *cn = ui_cat_fmt(u, f->id, "next", f->params, f->nparams);
        char *l1 = ui_tf(u, T_CALLER_CAUSE, "title", ct, UI_END);
        char *l2 = ui_tf(u, T_CALLER_NEXT, "next", cn, UI_END);
        doc_wrap(&body, 0, bw, ST_NORMAL, l1 ? l1 : "");
        doc_wrap(&body, 0, bw, ST_NORMAL, l2 ? l2 : "");
        free(ct);
        free(cn);
        free(l1);
        free(l2);
    }
    doc_panel(d, 0, width, NULL, ST_NORMAL, ui_t(u, T_CALLER), ST_HEAD, &body);
    doc_free(&body);
    doc_line(d);

    doc_wrap(d, 0, width, ST_HEAD, ui_t(u, T_CAUSES));
    if (nc == 0)
        doc_wrap(d, 2, width - 2, ST_NORMAL, ui_t(u, T_NO_CAUSES));
    for (size_t i = 0; i < nc; i++) {
        const mxd_finding *f = causes[i];
        char *ct = ui_cat_fmt(u, f->id, "title", f->params, f->nparams);
        char *cw = ui_cat_fmt(u, f->id, "what", f->params, f->nparams);
        char num[24];
        snprintf(num, sizeof num, "%zu.", i + 1);
        size_t li = doc_line(d);
        doc_span(d, li, 0, ST_BOLD, num, strlen(num));
        const char *label = ui_sev_label(u, f->sev);
        char lb[64];
        snprintf(lb, sizeof lb, " %s ", label);
        doc_span(d, li, 4, ui_sev_style(f->sev), lb, strlen(lb));
        int lw = mxd_text_width(lb, strlen(lb));
        /* the title may need more than the rest of the line */
        ui_doc t = { 0 };
        doc_wrap(&t, 0, width - 5 - lw, ST_BOLD, ct ? ct : "");
        if (t.n > 0) {
            for (size_t k = 0; k < t.l[0].n; k++)
                doc_span(d, li, 5 + lw, ST_BOLD, t.l[0].v[k].text, strlen(t.l[0].v[k].text));
            for (size_t k = 1; k < t.n; k++) {
                size_t lk = doc_line(d);
                for (size_t m = 0; m < t.l[k].n; m++)
                    doc_span(d, lk, 5 + lw, ST_BOLD, t.l[k].v[m].text, strlen(t.l[k].v[m].text));
            }
        }
        doc_free(&t);
        doc_wrap(d, 4, width - 4, ST_NORMAL, cw ? cw : "");
        free(ct);
        free(cw);
    }
    doc_line(d);

    if (nc > 0) {
        doc_wrap(d, 0, width, ST_HEAD, ui_t(u, T_NEXT_ACTIONS));
        for (size_t i = 0; i < nc; i++) {
            const mxd_finding *f = causes[i];
            char *ct = ui_cat_fmt(u, f->id, "title", f->params, f->nparams);
            char *cn = ui_cat_fmt(u, f->id, "next", f->params, f->nparams);
            char lead[24];
            snprintf(lead, sizeof lead, "%zu.", i + 1);
            doc_wrap_hang(d, 0, width, 4, lead, ST_BOLD, ct ? ct : "", ST_BOLD);
            doc_wrap(d, 4, width - 4, ST_NORMAL, cn ? cn : "");
            free(ct);
            free(cn);
        }
        doc_line(d);
    }
    free(causes);
    free(vtitle);
    free(vtext);

    if (u->scn) {
        const char *ans = u->scn->answer[u->lang] ? u->scn->answer[u->lang]
                                                  : u->scn->answer[MXD_LANG_EN];
        memset(&body, 0, sizeof body);
        doc_wrap(&body, 0, bw, ST_NORMAL, ans ? ans : "");
        doc_panel(d, 0, width, NULL, ST_NORMAL, ui_t(u, T_LAB_ANSWER), ST_HEAD, &body);
        doc_free(&body);
        doc_line(d);
    }
    doc_wrap(d, 0, width, ST_DIM, ui_t(u, T_EXPORT_HINT));
}

/* ---- glossary and help ---- */

void build_glossary_doc(const mxd_ui *u, int width, ui_doc *d)
{
    const mxd_catalog *c = ui_cat(u);
    const mxd_catalog *other = u->cfg->cat[u->lang == MXD_LANG_JA ? MXD_LANG_EN : MXD_LANG_JA];
    size_t shown = 0;
    for (size_t i = 0; c && i < mxd_catalog_count(c); i++) {
        const char *key = mxd_catalog_key(c, i);
        if (!key || strncmp(key, "glossary.", 9) != 0)
            continue;
        const char *term = mxd_catalog_get(c, key, "term");
        const char *text = mxd_catalog_get(c, key, "text");
        const char *oterm = other && other != c ? mxd_catalog_get(other, key, "term") : NULL;
        char head[512];
        /* the other language's term, unless this one already contains it ("TTL（…）") */
        if (oterm && (!term || !strstr(term, oterm)))
            snprintf(head, sizeof head, "%s (%s)", term ? term : key + 9, oterm);
        else
            snprintf(head, sizeof head, "%s", term ? term : key + 9);
        if (shown++)
            doc_line(d);
        doc_wrap(d, 0, width, ST_HEAD, head);
        doc_wrap(d, 2, width - 2, ST_NORMAL, text ? text : "");
    }
    if (!shown)
        doc_wrap(d, 0, width, ST_DIM, ui_t(u, T_GLOSSARY_EMPTY));
}

void build_help_doc(const mxd_ui *u, int width, ui_doc *d)
{
    const char *keys = ui_t(u, T_HELP_KEYS);
    /* "keys|description" lines; the key column is as wide as its widest entry
     * (up to a third of the width) */
    int kw = 0;
    for (const char *p = keys; *p;) {
        size_t n = strcspn(p, "\n"), bar = strcspn(p, "|");
        if (bar < n) {
            int w = mxd_text_width(p, bar);
            if (w > kw)
                kw = w;
        }
        p += n;
        if (*p)
            p++;
    }
    if (kw > width / 3)
        kw = width / 3;
    for (const char *p = keys; *p;) {
        size_t n = strcspn(p, "\n"), bar = strcspn(p, "|");
        char *line = malloc(n + 1);
        if (!line)
            break;
        memcpy(line, p, n);
        line[n] = '\0';
        if (bar < n) {
            line[bar] = '\0';
            const char *k = line, *desc = line + bar + 1;
            if (!*k) {
                doc_line(d);
                doc_wrap(d, 0, width, ST_NORMAL, desc);
            } else if (mxd_text_width(k, strlen(k)) > kw) {
                doc_wrap(d, 0, width, ST_KEY, k);
                doc_wrap(d, kw + 2, width - kw - 2, ST_NORMAL, desc);
            } else {
                size_t first = d->n;
                doc_wrap(d, kw + 2, width - kw - 2, ST_NORMAL, desc);
                if (d->n > first)
                    doc_span(d, first, 0, ST_KEY, k, strlen(k));
            }
        } else {
            doc_wrap(d, 0, width, ST_NORMAL, line);
        }
        free(line);
        p += n;
        if (*p)
            p++;
    }
}
