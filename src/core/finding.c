/* finding.c — finding lists (see finding.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxd/finding.h"
#include "mxd/sanitize.h"

static const char *const sev_names[] = { "pass", "info", "skip", "warn", "fail", "error" };

const char *mxd_severity_name(mxd_severity s)
{
    return (unsigned)s < sizeof sev_names / sizeof sev_names[0] ? sev_names[s] : "?";
}

mxd_finding *mxd_findings_add(mxd_findings *fs, const char *step, const char *id,
                              mxd_severity sev, const char *subject)
{
    if (fs->n == fs->cap) {
        size_t nc = fs->cap ? fs->cap * 2 : 16;
        mxd_finding *nv = realloc(fs->v, nc * sizeof *nv);
        if (!nv)
            return NULL;
        fs->v = nv;
        fs->cap = nc;
    }
    mxd_finding *f = &fs->v[fs->n];
    memset(f, 0, sizeof *f);
    f->id = strdup(id);
    f->step = strdup(step);
    f->subject = mxd_sanitize_str(subject ? subject : "");
    f->sev = sev;
    if (!f->id || !f->step || !f->subject) {
        free(f->id);
        free(f->step);
        free(f->subject);
        return NULL;
    }
    fs->n++;
    return f;
}

int mxd_finding_param(mxd_finding *f, const char *key, const char *value)
{
    if (!f)
        return -1;
    mxd_param *np = realloc(f->params, (f->nparams + 1) * sizeof *np);
    if (!np)
        return -1;
    f->params = np;
    char *k = strdup(key), *v = mxd_sanitize_str(value);
    if (!k || !v) {
        free(k);
        free(v);
        return -1;
    }
    f->params[f->nparams].key = k;
    f->params[f->nparams].value = v;
    f->nparams++;
    return 0;
}

int mxd_finding_paramf(mxd_finding *f, const char *key, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return mxd_finding_param(f, key, buf);
}

const char *mxd_finding_get(const mxd_finding *f, const char *key)
{
    for (size_t i = 0; i < f->nparams; i++)
        if (strcmp(f->params[i].key, key) == 0)
            return f->params[i].value;
    return NULL;
}

mxd_severity mxd_findings_worst(const mxd_findings *fs, const char *step)
{
    mxd_severity w = MXD_SEV_PASS;
    for (size_t i = 0; i < fs->n; i++)
        if ((!step || strcmp(fs->v[i].step, step) == 0) && fs->v[i].sev > w)
            w = fs->v[i].sev;
    return w;
}

const mxd_finding *mxd_findings_find(const mxd_findings *fs, const char *id, const char *subject)
{
    for (size_t i = 0; i < fs->n; i++)
        if (strcmp(fs->v[i].id, id) == 0 && (!subject || strcmp(fs->v[i].subject, subject) == 0))
            return &fs->v[i];
    return NULL;
}

void mxd_findings_free(mxd_findings *fs)
{
    for (size_t i = 0; i < fs->n; i++) {
        mxd_finding *f = &fs->v[i];
        for (size_t j = 0; j < f->nparams; j++) {
            free(f->params[j].key);
            free(f->params[j].value);
        }
        free(f->params);
        free(f->id);
        free(f->step);
        free(f->subject);
    }
    free(fs->v);
    fs->v = NULL;
    fs->n = fs->cap = 0;
}
