/* spfeval.c — check_host() and the record walk, asynchronous on the loop (see spf.h).
 *
 * RFC 7208 check_host() is recursive (include calls check_host again) and every
 * mechanism may wait for DNS. Here the recursion is an explicit stack of frames,
 * one per record being evaluated, and the evaluation is a state machine driven
 * by DNS callbacks: each step either decides something at once or sends the
 * questions it needs (several in parallel for the addresses of MX hosts and
 * PTR names) and returns; the last answer resumes it. Nothing blocks.
 *
 * A DNS callback may come after the evaluation is gone (cancelled, deadline),
 * and mxd_dns has no way to withdraw a question. So a callback's argument is
 * not a pointer but a key (evaluation serial, operation, slot) looked up in the
 * list of live evaluations: a late answer finds nothing and is dropped, and no
 * allocation is left behind when the DNS client is freed first.
 *
 * The walk is the same machine with no client address: no mechanism matches,
 * every include is followed, errors in included records are noted and the walk
 * goes on, so the tree shows everything a receiver could run into.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mxd/sanitize.h"
#include "mxd/dnsclient.h"
#include "mxd/result.h"
#include "mxd/spf.h"

#define MAXQ 12             /* questions in flight for one step: 10 names + room */
#define MAXFRAMES 24        /* check_host nests at most 11 deep (10 includes) */
#define WALK_MAX_LOOKUPS 40 /* the walk keeps counting past 10, up to here */
#define DEFAULT_DEADLINE_MS 20000u

enum op {
    OP_NONE = 0, OP_TXT, OP_ADDR, OP_MX, OP_MX_ADDR, OP_PTR, OP_PTR_ADDR,
    OP_EXISTS, OP_P, OP_P_ADDR, OP_EXP
};

typedef struct frame {
    char domain[MXD_SPF_DOMAIN_MAX]; /* <domain>, raw */
    char *raw;             /* the record's text, owned: term lines quote it */
    mxd_spf_record rec;
    bool have_rec;
    bool via_redirect;     /* this frame's record was reached by redirect= */
    bool saw_all;          /* walk: an "all" ends what receivers evaluate */
    size_t ti;             /* the term being evaluated (nterms: the redirect) */
    bool counted;          /* the term at ti has its line and its count */
    long term_line;
    long record_line;
    unsigned depth;
} frame;

typedef struct qslot {
    bool used, answered;
    mxd_qstate st;
    mxd_dnsmsg *msg;
    char name[MXD_NAME_MAX];
    uint16_t type;
} qslot;

typedef struct pathent {
    char domain[MXD_SPF_DOMAIN_MAX];
    int frame;
} pathent;

struct mxd_spf_eval {
    mxd_spf_eval *next_live;
    uintptr_t serial;
    mxd_loop *loop;
    mxd_dns *dns;
    bool walk;
    bool v6;
    uint8_t ip[16];
    mxd_spf_ipstr ipstr;
    char *s, *l, *o, *h;   /* sender, local-part, sender's domain, HELO: raw, owned */
    char receiver[256];
    char tstamp[24];
    char *p;               /* %{p} once computed, owned */
    frame frames[MAXFRAMES];
    int nframes;
    pathent path[MAXFRAMES * 2];
    int npath;
    unsigned lookups, voids;
    int op;
    unsigned opseq, outstanding;
    qslot slots[MAXQ];
    char target[MXD_NAME_MAX];   /* ptr: the target name (presentation) */
    bool exp_phase;        /* the result is fail: fetching the explanation */
    bool exp_fetched;
    char *exp_text;        /* the explanation's TXT text, raw, owned */
    mxd_spf_outcome out;
    size_t cap_lines;
    uint64_t deadline_timer, done_timer;
    bool finished, stepping, in_done;
    mxd_spf_done_cb done;
    void *arg;
};

/* ---- live evaluations and DNS keys -------------------------------------- */

static mxd_spf_eval *live;
static uintptr_t next_serial = 1;

#define KEY_SHIFT 16

static void *make_key(const mxd_spf_eval *e, unsigned slot)
{
    uintptr_t k = (e->serial << KEY_SHIFT) | ((uintptr_t)(e->opseq & 0xFFu) << 8) | slot;
    return (void *)k;
}

static mxd_spf_eval *find_live(uintptr_t serial)
{
    for (mxd_spf_eval *e = live; e; e = e->next_live)
        if (e->serial == serial)
            return e;
    return NULL;
}

static void unlink_live(mxd_spf_eval *e)
{
    for (mxd_spf_eval **pp = &live; *pp; pp = &(*pp)->next_live)
        if (*pp == e) {
            *pp = e->next_live;
            return;
        }
}

/* ---- small helpers -------------------------------------------------------- */

static char *dupstr(const char *s)
{
    return strdup(s ? s : "");
}

static char *san(const char *s, size_t n)
{
    return mxd_sanitize(s, n, 0, 0);
}

static bool addr_in(const uint8_t *a, const uint8_t *net, int bits)
{
    int full = bits / 8, rest = bits % 8;
    if (memcmp(a, net, (size_t)full) != 0)
        return false;
    if (!rest)
        return true;
    uint8_t mask = (uint8_t)(0xFF << (8 - rest));
    return (a[full] & mask) == (net[full] & mask);
}

static bool is_failure(mxd_qstate st)
{
    return st == MXD_Q_TIMEOUT || st == MXD_Q_SERVFAIL || st == MXD_Q_REFUSED || st == MXD_Q_ERROR;
}

static frame *top(mxd_spf_eval *e) { return &e->frames[e->nframes - 1]; }

static mxd_spf_line *line_at(mxd_spf_eval *e, long i)
{
    return (i >= 0 && (size_t)i < e->out.nlines) ? &e->out.lines[i] : NULL;
}

/* Appends a line; returns its index, or -1 on ENOMEM (the tree is then
 * incomplete but the evaluation goes on: its result matters more). */
static long add_line(mxd_spf_eval *e, mxd_spf_line_kind kind, const frame *f)
{
    if (e->out.nlines == e->cap_lines) {
        size_t nc = e->cap_lines ? e->cap_lines * 2 : 16;
        mxd_spf_line *nl = realloc(e->out.lines, nc * sizeof *nl);
        if (!nl)
            return -1;
        e->out.lines = nl;
        e->cap_lines = nc;
    }
    mxd_spf_line *l = &e->out.lines[e->out.nlines];
    memset(l, 0, sizeof *l);
    l->kind = kind;
    l->depth = f->depth;
    l->domain = san(f->domain, strlen(f->domain));
    l->voids = e->voids;
    return (long)e->out.nlines++;
}

static long add_term_line(mxd_spf_eval *e, frame *f, const mxd_spf_term *t)
{
    long i = add_line(e, MXD_SPF_LINE_TERM, f);
    mxd_spf_line *l = line_at(e, i);
    if (l) {
        l->text = san(f->raw + t->pos, t->len);
        l->mech = t->kind;
        l->qualifier = t->kind < MXD_SPF_T_REDIRECT ? t->qualifier : 0;
    }
    return i;
}

/* ---- finishing -------------------------------------------------------------- */

static void on_done_timer(mxd_loop *loop, void *arg);
static void eval_free(mxd_spf_eval *e);

static void note_problem(mxd_spf_eval *e, mxd_spf_problem p, long line)
{
    if (e->out.problem == MXD_SPF_P_NONE) {
        e->out.problem = p;
        e->out.problem_line = line;
    }
}

static void note_dns(mxd_spf_eval *e, const qslot *q, long line)
{
    if (e->out.problem != MXD_SPF_P_NONE)
        return;
    note_problem(e, MXD_SPF_P_DNS, line);
    free(e->out.dns_name);
    e->out.dns_name = san(q->name, strlen(q->name));
    e->out.dns_type = q->type;
    e->out.dns_state = q->st;
}

static void finish(mxd_spf_eval *e, mxd_spf_res res)
{
    if (e->finished)
        return;
    e->finished = true;
    e->out.result = res;
    e->out.lookups = e->lookups;
    e->out.voids = e->voids;
    if (e->deadline_timer)
        mxd_loop_cancel(e->loop, e->deadline_timer);
    e->deadline_timer = 0;
    /* done() always runs from the loop, never inside start() or a caller's call. */
    e->done_timer = mxd_loop_timer(e->loop, 0, on_done_timer, e);
}

static mxd_spf_res walk_result(const mxd_spf_eval *e)
{
    switch (e->out.problem) {
    case MXD_SPF_P_NONE: return MXD_SPF_NEUTRAL;
    case MXD_SPF_P_BAD_DOMAIN:
    case MXD_SPF_P_NO_RECORD: return MXD_SPF_NONE;
    case MXD_SPF_P_DNS:
    case MXD_SPF_P_DEADLINE: return MXD_SPF_TEMPERROR;
    default: return MXD_SPF_PERMERROR;
    }
}

/* The evaluation's result is known (check mode), or the walk is over. */
static void final(mxd_spf_eval *e, mxd_spf_res res)
{
    if (e->walk) {
        finish(e, walk_result(e));
        return;
    }
    frame *f = top(e);
    if (res == MXD_SPF_FAIL && f->have_rec && f->rec.exp >= 0) {
        e->exp_phase = true; /* step() fetches the explanation, then finishes */
        return;
    }
    finish(e, res);
}

/* ---- DNS ------------------------------------------------------------------ */

static void drive(mxd_spf_eval *e);

static void on_dns(void *arg, mxd_qstate st, mxd_dnsmsg *msg, uint32_t elapsed_ms)
{
    (void)elapsed_ms;
    uintptr_t k = (uintptr_t)arg;
    mxd_spf_eval *e = find_live(k >> KEY_SHIFT);
    unsigned seq = (unsigned)((k >> 8) & 0xFFu), slot = (unsigned)(k & 0xFFu);
    if (!e || e->finished || (e->opseq & 0xFFu) != seq || slot >= MAXQ ||
        !e->slots[slot].used || e->slots[slot].answered) {
        if (msg) {
            mxd_dnsmsg_free(msg);
            free(msg);
        }
        return;
    }
    qslot *q = &e->slots[slot];
    q->answered = true;
    q->st = st;
    q->msg = msg;
    if (--e->outstanding == 0)
        drive(e);
}

static void clear_slots(mxd_spf_eval *e)
{
    for (int i = 0; i < MAXQ; i++) {
        if (e->slots[i].msg) {
            mxd_dnsmsg_free(e->slots[i].msg);
            free(e->slots[i].msg);
        }
        memset(&e->slots[i], 0, sizeof e->slots[i]);
    }
}

static void begin_op(mxd_spf_eval *e, int op)
{
    clear_slots(e);
    e->op = op;
    e->opseq++;
    e->outstanding = 0;
}

/* Asks one question into slot. The answer may arrive before this returns. */
static void ask(mxd_spf_eval *e, unsigned slot, const char *name, uint16_t type)
{
    qslot *q = &e->slots[slot];
    q->used = true;
    snprintf(q->name, sizeof q->name, "%s", name);
    q->type = type;
    e->outstanding++;
    if (mxd_dns_query(e->dns, name, type, on_dns, make_key(e, slot)) < 0 && !q->answered) {
        q->answered = true;
        q->st = MXD_Q_ERROR;
        e->outstanding--;
    }
}

static uint16_t addr_type(const mxd_spf_eval *e)
{
    return e->v6 ? MXD_T_AAAA : MXD_T_A;
}

static void reverse_name(const mxd_spf_eval *e, char *out, size_t cap)
{
    const uint8_t *a = e->ip;
    if (!e->v6) {
        snprintf(out, cap, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1], a[0]);
        return;
    }
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 15; i >= 0 && o + 4 < cap; i--) {
        out[o++] = hex[a[i] & 15];
        out[o++] = '.';
        out[o++] = hex[a[i] >> 4];
        out[o++] = '.';
    }
    snprintf(out + o, cap - o, "ip6.arpa");
}

/* True when the answer in q holds an address record equal to the client's, or
 * (bits >= 0) inside the client's network of that length. */
static bool answer_has(const mxd_spf_eval *e, const qslot *q, int bits)
{
    if (q->st != MXD_Q_OK || !q->msg)
        return false;
    for (size_t i = 0; i < q->msg->nan; i++) {
        const mxd_rr *rr = &q->msg->an[i];
        if (!e->v6 && rr->type == MXD_T_A && addr_in(e->ip, rr->u.a, bits < 0 ? 32 : bits))
            return true;
        if (e->v6 && rr->type == MXD_T_AAAA && addr_in(e->ip, rr->u.aaaa, bits < 0 ? 128 : bits))
            return true;
    }
    return false;
}

/* ---- macros ----------------------------------------------------------------- */

static void env_for(const mxd_spf_eval *e, const frame *f, mxd_spf_macro_env *env)
{
    memset(env, 0, sizeof *env);
    env->s = e->s;
    env->l = e->l;
    env->o = e->o;
    env->d = f->domain;
    env->i = e->ipstr.i;
    env->p = e->p;
    env->v = e->ipstr.v;
    env->h = e->h;
    env->c = e->ipstr.c;
    env->r = e->receiver;
    env->t = e->tstamp;
}

static void start_p(mxd_spf_eval *e)
{
    char rev[MXD_NAME_MAX];
    reverse_name(e, rev, sizeof rev);
    begin_op(e, OP_P);
    ask(e, 0, rev, MXD_T_PTR);
}

/* Expands a domain-spec into a raw name and its presentation form. Returns 1
 * when done (ok tells whether the name can be queried), 0 when it waits for
 * %{p} (a lookup was started). */
static int expand_target(mxd_spf_eval *e, const frame *f, const char *spec, char *raw, char *pres,
                         bool *ok)
{
    if (!spec) {
        *ok = mxd_spf_target_name(f->domain, raw, pres);
        return 1;
    }
    mxd_spf_macro_env env;
    env_for(e, f, &env);
    char *x = NULL;
    int rc = mxd_spf_expand(spec, strlen(spec), MXD_SPF_MS_DOMAIN, &env, &x);
    if (rc == 1) {
        start_p(e);
        return 0;
    }
    *ok = rc == 0 && mxd_spf_target_name(x, raw, pres);
    free(x);
    return 1;
}

/* Walk: does this target depend on the sender or the client? */
static bool sender_dependent(const char *spec)
{
    static const char letters[] = "slipvh";
    for (const char *c = letters; *c; c++)
        if (mxd_spf_macro_uses(spec, *c))
            return true;
    return false;
}

/* ---- counting --------------------------------------------------------------- */

/* Counts one DNS-querying term (§4.6.4). Returns false when the evaluation is
 * over (check_host: permerror past 10; walk: too much to keep walking). */
static bool count_lookup(mxd_spf_eval *e, long li)
{
    e->lookups++;
    mxd_spf_line *l = line_at(e, li);
    if (l) {
        l->counts = true;
        l->lookups = e->lookups;
    }
    if (e->lookups > MXD_SPF_MAX_LOOKUPS && e->out.over_line < 0) {
        e->out.over_line = li;
        if (l)
            l->over_limit = true;
        note_problem(e, MXD_SPF_P_TOO_MANY_LOOKUPS, li);
        if (!e->walk) {
            final(e, MXD_SPF_PERMERROR);
            return false;
        }
    }
    if (e->walk && e->lookups >= WALK_MAX_LOOKUPS) {
        final(e, MXD_SPF_PERMERROR);
        return false;
    }
    return true;
}

static bool count_void(mxd_spf_eval *e, long li)
{
    e->voids++;
    mxd_spf_line *l = line_at(e, li);
    if (l) {
        l->is_void = true;
        l->voids = e->voids;
    }
    if (e->voids > MXD_SPF_MAX_VOID && e->out.void_over_line < 0) {
        e->out.void_over_line = li;
        if (l)
            l->void_over = true;
        note_problem(e, MXD_SPF_P_VOID_LOOKUPS, li);
        if (!e->walk) {
            final(e, MXD_SPF_PERMERROR);
            return false;
        }
    }
    return true;
}

/* ---- frames ----------------------------------------------------------------- */

static void next_term(frame *f)
{
    f->ti++;
    f->counted = false;
    f->term_line = -1;
}

/* A record (new, or the target of redirect=) starts from its first term. */
static void first_term(frame *f)
{
    f->ti = 0;
    f->counted = false;
    f->term_line = -1;
}

static mxd_spf_res qualifier_result(char q)
{
    switch (q) {
    case '-': return MXD_SPF_FAIL;
    case '~': return MXD_SPF_SOFTFAIL;
    case '?': return MXD_SPF_NEUTRAL;
    default: return MXD_SPF_PASS;
    }
}

static void frame_result(mxd_spf_eval *e, mxd_spf_res res);

static void match(mxd_spf_eval *e, frame *f, long li)
{
    mxd_spf_line *l = line_at(e, li);
    if (l)
        l->matched = true;
    if (e->out.matched_line < 0)
        e->out.matched_line = li; /* the innermost mechanism that matched */
    frame_result(e, qualifier_result(f->rec.terms[f->ti].qualifier));
}

/* The current record's evaluation ended with res (§4.7, §5.2). */
static void frame_result(mxd_spf_eval *e, mxd_spf_res res)
{
    frame *f = top(e);
    if (e->nframes == 1) {
        if (res == MXD_SPF_NONE && f->via_redirect) {
            note_problem(e, MXD_SPF_P_INCLUDE_NONE, f->record_line);
            res = MXD_SPF_PERMERROR; /* §6.1: a redirect to no record */
        }
        final(e, res);
        return;
    }
    long rec_line = f->record_line;
    mxd_spf_record_free(&f->rec);
    free(f->raw);
    f->raw = NULL;
    e->nframes--;
    while (e->npath > 0 && e->path[e->npath - 1].frame >= e->nframes)
        e->npath--;
    frame *parent = top(e);
    if (e->walk) {
        next_term(parent);
        return;
    }
    switch (res) {
    case MXD_SPF_PASS:
        match(e, parent, parent->term_line);
        return;
    case MXD_SPF_FAIL:
    case MXD_SPF_SOFTFAIL:
    case MXD_SPF_NEUTRAL:
        /* Not a match: whatever matched inside the include decided nothing. */
        for (size_t k = (size_t)(rec_line + 1); k < e->out.nlines; k++)
            e->out.lines[k].matched = false;
        if (e->out.matched_line > rec_line)
            e->out.matched_line = -1;
        next_term(parent);
        return;
    case MXD_SPF_TEMPERROR:
        final(e, MXD_SPF_TEMPERROR);
        return;
    case MXD_SPF_NONE:
        note_problem(e, MXD_SPF_P_INCLUDE_NONE, rec_line);
        final(e, MXD_SPF_PERMERROR);
        return;
    default:
        final(e, MXD_SPF_PERMERROR);
        return;
    }
}

/* Walk: is domain already on the path being walked? */
static bool on_path(const mxd_spf_eval *e, const char *domain)
{
    for (int i = 0; i < e->npath; i++)
        if (mxd_dns_name_eq(e->path[i].domain, domain))
            return true;
    return false;
}

static void path_push(mxd_spf_eval *e, const char *domain)
{
    if (e->npath < (int)(sizeof e->path / sizeof e->path[0])) {
        snprintf(e->path[e->npath].domain, sizeof e->path[e->npath].domain, "%s", domain);
        e->path[e->npath].frame = e->nframes - 1;
        e->npath++;
    }
}

static void push_frame(mxd_spf_eval *e, const char *domain)
{
    frame *parent = top(e);
    if (e->nframes == MAXFRAMES) {
        /* Deeper than any evaluation within the limits can go. */
        note_problem(e, MXD_SPF_P_TOO_MANY_LOOKUPS, parent->term_line);
        final(e, MXD_SPF_PERMERROR);
        return;
    }
    frame *f = &e->frames[e->nframes++];
    memset(f, 0, sizeof *f);
    snprintf(f->domain, sizeof f->domain, "%s", domain);
    f->depth = parent->depth + 1;
    f->term_line = f->record_line = -1;
    path_push(e, domain);
}


/* ---- record lookup (§4.4, §4.5) ---------------------------------------------- */

static void fetch(mxd_spf_eval *e, frame *f)
{
    char raw[MXD_SPF_DOMAIN_MAX], pres[MXD_NAME_MAX];
    if (!mxd_spf_domain_ok(f->domain) || !mxd_spf_target_name(f->domain, raw, pres)) {
        /* §4.3: a name no sender can use, or one no query can carry. */
        long li = add_line(e, MXD_SPF_LINE_RECORD, f);
        mxd_spf_line *l = line_at(e, li);
        if (l) {
            l->rstate = MXD_SPF_REC_BAD_NAME;
            l->via_redirect = f->via_redirect;
        }
        f->record_line = li;
        bool top_domain = e->nframes == 1 && !f->via_redirect;
        note_problem(e, top_domain ? MXD_SPF_P_BAD_DOMAIN : MXD_SPF_P_INCLUDE_NONE, li);
        frame_result(e, MXD_SPF_NONE);
        return;
    }
    begin_op(e, OP_TXT);
    ask(e, 0, pres, MXD_T_TXT);
}

static void dns_fail(mxd_spf_eval *e, frame *f, const qslot *q, long li)
{
    note_dns(e, q, li);
    if (e->walk)
        next_term(f);
    else
        final(e, MXD_SPF_TEMPERROR);
}

static void got_txt(mxd_spf_eval *e)
{
    frame *f = top(e);
    qslot *q = &e->slots[0];
    long li = add_line(e, MXD_SPF_LINE_RECORD, f);
    f->record_line = li;
    mxd_spf_line *l = line_at(e, li);
    if (l)
        l->via_redirect = f->via_redirect;
    bool top_domain = e->nframes == 1 && !f->via_redirect;
    if (is_failure(q->st)) {
        if (l) {
            l->rstate = MXD_SPF_REC_DNS_ERROR;
            l->qstate = q->st;
        }
        note_dns(e, q, li);
        if (e->walk)
            frame_result(e, MXD_SPF_TEMPERROR);
        else
            final(e, MXD_SPF_TEMPERROR); /* §4.4, at any depth */
        return;
    }
    /* §4.5: only records starting "v=spf1"; other TXT records are none of ours. */
    const mxd_rr *rec = NULL;
    unsigned n = 0;
    mxd_sb all = MXD_SB_INIT;
    if (q->st == MXD_Q_OK && q->msg)
        for (size_t i = 0; i < q->msg->nan; i++) {
            const mxd_rr *rr = &q->msg->an[i];
            if (rr->type != MXD_T_TXT || !mxd_spf_is_record((const char *)rr->data, rr->data_len))
                continue;
            if (n++)
                mxd_sb_puts(&all, " | ");
            mxd_sb_append(&all, rr->data, rr->data_len);
            rec = rr;
        }
    if (l) {
        l->nrecords = n;
        l->text = n ? san(mxd_sb_str(&all), all.len) : NULL;
    }
    mxd_sb_free(&all);
    if (n == 0) {
        if (l)
            l->rstate = MXD_SPF_REC_NONE;
        note_problem(e, top_domain ? MXD_SPF_P_NO_RECORD : MXD_SPF_P_INCLUDE_NONE, li);
        frame_result(e, MXD_SPF_NONE);
        return;
    }
    if (n > 1) {
        if (l)
            l->rstate = MXD_SPF_REC_MULTIPLE;
        note_problem(e, MXD_SPF_P_MULTIPLE, li);
        frame_result(e, MXD_SPF_PERMERROR);
        return;
    }
    mxd_spf_syntax err;
    if (mxd_spf_parse((const char *)rec->data, rec->data_len, &f->rec, &err) < 0) {
        if (l) {
            l->rstate = MXD_SPF_REC_SYNTAX;
            l->err_pos = err.pos;
            l->err_what = dupstr(err.what);
            l->err_term = san((const char *)rec->data + err.term_pos, err.term_len);
        }
        note_problem(e, MXD_SPF_P_SYNTAX, li);
        frame_result(e, MXD_SPF_PERMERROR);
        return;
    }
    if (l)
        l->rstate = MXD_SPF_REC_OK;
    free(f->raw);
    f->raw = malloc(rec->data_len + 1);
    if (f->raw) {
        memcpy(f->raw, rec->data, rec->data_len);
        f->raw[rec->data_len] = '\0';
    }
    f->have_rec = true;
    first_term(f);
}

/* ---- %{p} (§7.3) -------------------------------------------------------------- */

/* Presentation name (c-ares escapes) back to raw bytes; false for names SPF
 * cannot express (an escaped dot or NUL inside a label). */
static bool pres_to_raw(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *p = in; *p; p++) {
        unsigned c = (unsigned char)*p;
        if (c == '\\') {
            if (p[1] >= '0' && p[1] <= '9' && p[2] && p[3]) {
                c = (unsigned)(p[1] - '0') * 100 + (unsigned)(p[2] - '0') * 10 + (unsigned)(p[3] - '0');
                p += 3;
            } else if (p[1]) {
                c = (unsigned char)*++p;
            }
            if (c == '.' || c == 0 || c > 255)
                return false;
        }
        if (o + 1 >= cap)
            return false;
        out[o++] = (char)c;
    }
    if (o && out[o - 1] == '.')
        o--;
    out[o] = '\0';
    return o > 0;
}

static void set_p(mxd_spf_eval *e, const char *pres)
{
    char raw[MXD_SPF_DOMAIN_MAX];
    if (!pres || !pres_to_raw(pres, raw, sizeof raw))
        snprintf(raw, sizeof raw, "unknown");
    free(e->p);
    e->p = strdup(raw);
    if (!e->p)
        e->p = strdup("unknown");
    if (!e->p) /* no memory even for that: give up rather than loop */
        finish(e, MXD_SPF_TEMPERROR);
}

static void got_p(mxd_spf_eval *e)
{
    qslot *q = &e->slots[0];
    char names[MXD_SPF_MAX_PTR][MXD_NAME_MAX];
    size_t n = 0;
    if (q->st == MXD_Q_OK && q->msg)
        for (size_t i = 0; i < q->msg->nan && n < MXD_SPF_MAX_PTR; i++)
            if (q->msg->an[i].type == MXD_T_PTR)
                snprintf(names[n++], MXD_NAME_MAX, "%s", q->msg->an[i].u.target);
    if (!n) {
        set_p(e, NULL);
        return;
    }
    begin_op(e, OP_P_ADDR);
    for (size_t k = 0; k < n; k++)
        ask(e, (unsigned)k, names[k], addr_type(e));
}

/* p: the validated name equal to <domain>, else one below it, else any (§7.3). */
static void got_p_addr(mxd_spf_eval *e)
{
    frame *f = top(e);
    char draw[MXD_SPF_DOMAIN_MAX], dpres[MXD_NAME_MAX];
    bool have_d = mxd_spf_target_name(f->domain, draw, dpres);
    const char *pick = NULL;
    for (int pass = 0; pass < 3 && !pick; pass++)
        for (int k = 0; k < MAXQ && !pick; k++) {
            const qslot *s = &e->slots[k];
            if (!s->used || !answer_has(e, s, -1))
                continue;
            if (pass == 2 || (have_d && (pass == 0 ? mxd_dns_name_eq(s->name, dpres)
                                                   : mxd_dns_name_under(s->name, dpres))))
                pick = s->name;
        }
    set_p(e, pick);
}

/* ---- terms (§5) ---------------------------------------------------------------- */

typedef enum {
    TARGET_OK,   /* raw and pres hold the target; its line names it */
    TARGET_STOP, /* the evaluation ended, or waits for %{p} and comes back here */
    TARGET_SKIP, /* walk: the target depends on the sender, it cannot be followed */
    TARGET_BAD,  /* no query can be made for the target */
} target_step;

/* What a mechanism that queries DNS (include, a, mx, ptr, exists) and redirect=
 * do first: count the term once as a lookup (§4.6.4; it is entered again after
 * a %{p} lookup), leave a walk when the target depends on the sender, and
 * expand the domain-spec into raw and pres. *li is the term's line. What each
 * outcome means for the record is the caller's. */
static target_step term_target(mxd_spf_eval *e, frame *f, const mxd_spf_term *t, char *raw,
                               char *pres, long *li)
{
    if (!f->counted) {
        f->term_line = add_term_line(e, f, t);
        f->counted = true;
        if (!count_lookup(e, f->term_line))
            return TARGET_STOP;
    }
    *li = f->term_line;
    mxd_spf_line *l = line_at(e, *li);
    if (e->walk && (t->kind == MXD_SPF_T_PTR || (t->spec && sender_dependent(t->spec)))) {
        if (l)
            l->sender_dependent = true;
        return TARGET_SKIP;
    }
    bool ok = false;
    if (!expand_target(e, f, t->spec, raw, pres, &ok))
        return TARGET_STOP;
    l = line_at(e, *li);
    if (!ok) {
        if (l)
            l->bad_target = true;
        return TARGET_BAD;
    }
    if (l)
        l->target = san(raw, strlen(raw));
    return TARGET_OK;
}

/* Walk: true (and noted) when following raw would go round in a circle. */
static bool walk_loops(mxd_spf_eval *e, long li, const char *raw)
{
    if (!e->walk || !on_path(e, raw))
        return false;
    mxd_spf_line *l = line_at(e, li);
    if (l)
        l->loop = true;
    note_problem(e, MXD_SPF_P_LOOP, li);
    return true;
}

static void eval_term(mxd_spf_eval *e, frame *f)
{
    const mxd_spf_term *t = &f->rec.terms[f->ti];
    switch (t->kind) {
    case MXD_SPF_T_REDIRECT:
    case MXD_SPF_T_EXP:
    case MXD_SPF_T_UNKNOWN_MOD:
        next_term(f); /* redirect comes after every mechanism (§6.1) */
        return;
    case MXD_SPF_T_ALL: {
        long li = add_term_line(e, f, t);
        if (e->walk)
            f->saw_all = true; /* nothing after "all" is ever evaluated */
        else
            match(e, f, li);
        return;
    }
    case MXD_SPF_T_IP4:
    case MXD_SPF_T_IP6: {
        long li = add_term_line(e, f, t);
        bool v6 = t->kind == MXD_SPF_T_IP6;
        int bits = v6 ? (t->cidr6 < 0 ? 128 : t->cidr6) : (t->cidr4 < 0 ? 32 : t->cidr4);
        /* §5: an IPv4-mapped client is IPv4, so it never matches ip6. */
        if (!e->walk && v6 == e->v6 && addr_in(e->ip, t->net, bits))
            match(e, f, li);
        else
            next_term(f);
        return;
    }
    default:
        break;
    }
    char raw[MXD_SPF_DOMAIN_MAX], pres[MXD_NAME_MAX];
    long li = -1;
    switch (term_target(e, f, t, raw, pres, &li)) {
    case TARGET_STOP:
        return;
    case TARGET_SKIP:
        next_term(f);
        return;
    case TARGET_BAD:
        /* A name that cannot exist matches nothing; an include of it finds
         * no record (permerror). */
        if (t->kind == MXD_SPF_T_INCLUDE) {
            note_problem(e, MXD_SPF_P_INCLUDE_NONE, li);
            if (e->walk)
                next_term(f);
            else
                final(e, MXD_SPF_PERMERROR);
            return;
        }
        next_term(f);
        return;
    case TARGET_OK:
        break;
    }
    switch (t->kind) {
    case MXD_SPF_T_INCLUDE:
        if (walk_loops(e, li, raw)) {
            next_term(f);
            return;
        }
        push_frame(e, raw);
        return;
    case MXD_SPF_T_A:
        begin_op(e, OP_ADDR);
        ask(e, 0, pres, addr_type(e));
        return;
    case MXD_SPF_T_MX:
        begin_op(e, OP_MX);
        ask(e, 0, pres, MXD_T_MX);
        return;
    case MXD_SPF_T_PTR: {
        char rev[MXD_NAME_MAX];
        snprintf(e->target, sizeof e->target, "%s", pres);
        reverse_name(e, rev, sizeof rev);
        begin_op(e, OP_PTR);
        ask(e, 0, rev, MXD_T_PTR);
        return;
    }
    case MXD_SPF_T_EXISTS:
        begin_op(e, OP_EXISTS);
        ask(e, 0, pres, MXD_T_A); /* §5.7: A even for an IPv6 client */
        return;
    default:
        next_term(f);
        return;
    }
}

/* No mechanism matched: redirect= if there is one (§6.1), else neutral (§4.7). */
static void end_of_record(mxd_spf_eval *e, frame *f)
{
    if (f->rec.redirect < 0 || f->saw_all) {
        frame_result(e, MXD_SPF_NEUTRAL);
        return;
    }
    const mxd_spf_term *t = &f->rec.terms[f->rec.redirect];
    char raw[MXD_SPF_DOMAIN_MAX], pres[MXD_NAME_MAX];
    long li = -1;
    switch (term_target(e, f, t, raw, pres, &li)) {
    case TARGET_STOP:
        return;
    case TARGET_SKIP:
        frame_result(e, MXD_SPF_NEUTRAL);
        return;
    case TARGET_BAD:
        note_problem(e, MXD_SPF_P_INCLUDE_NONE, li);
        if (e->walk)
            frame_result(e, MXD_SPF_NEUTRAL);
        else
            final(e, MXD_SPF_PERMERROR);
        return;
    case TARGET_OK:
        break;
    }
    if (walk_loops(e, li, raw)) {
        frame_result(e, MXD_SPF_NEUTRAL);
        return;
    }
    /* The target's record replaces this one, <domain> and exp= included. */
    mxd_spf_record_free(&f->rec);
    free(f->raw);
    f->raw = NULL;
    snprintf(f->domain, sizeof f->domain, "%s", raw);
    f->have_rec = false;
    f->via_redirect = true;
    f->saw_all = false;
    first_term(f);
    f->depth++;
    path_push(e, raw);
}

static bool has_type(const qslot *q, uint16_t type)
{
    if (q->st != MXD_Q_OK || !q->msg)
        return false;
    for (size_t i = 0; i < q->msg->nan; i++)
        if (q->msg->an[i].type == type)
            return true;
    return false;
}

/* The main query of a term ended. False when that alone decides what comes
 * next: the lookup failed (temperror, or on with the walk), or it found nothing
 * (a void lookup, §4.6.4, and on to the next term). */
static bool answered(mxd_spf_eval *e, frame *f, const qslot *q, long li)
{
    if (is_failure(q->st)) {
        dns_fail(e, f, q, li);
        return false;
    }
    if (q->st != MXD_Q_OK) {
        if (count_void(e, li))
            next_term(f);
        return false;
    }
    return true;
}

static void complete_term(mxd_spf_eval *e, int op)
{
    frame *f = top(e);
    const mxd_spf_term *t = &f->rec.terms[f->ti];
    qslot *q0 = &e->slots[0];
    long li = f->term_line;
    mxd_spf_line *l = line_at(e, li);
    if (l && (op == OP_ADDR || op == OP_EXISTS || op == OP_MX || op == OP_PTR))
        l->qstate = q0->st;
    switch (op) {
    case OP_ADDR:
    case OP_EXISTS: {
        if (!answered(e, f, q0, li))
            return;
        bool hit = op == OP_EXISTS ? has_type(q0, MXD_T_A)
                                   : answer_has(e, q0, e->v6 ? t->cidr6 : t->cidr4);
        if (!e->walk && hit)
            match(e, f, li);
        else
            next_term(f);
        return;
    }
    case OP_MX: {
        if (!answered(e, f, q0, li))
            return;
        char hosts[MXD_SPF_MAX_MX][MXD_NAME_MAX];
        size_t n = 0, nh = 0;
        for (size_t i = 0; q0->msg && i < q0->msg->nan; i++) {
            const mxd_rr *rr = &q0->msg->an[i];
            if (rr->type != MXD_T_MX)
                continue;
            /* A null MX ("." — RFC 7505) names no host to look up. */
            if (n < MXD_SPF_MAX_MX && strcmp(rr->u.mx.host, ".") != 0 && rr->u.mx.host[0])
                snprintf(hosts[nh++], MXD_NAME_MAX, "%s", rr->u.mx.host);
            n++;
        }
        if (l)
            l->mx_count = (unsigned)n;
        if (n > MXD_SPF_MAX_MX) { /* §4.6.4: permerror */
            note_problem(e, MXD_SPF_P_MX_LIMIT, li);
            if (e->walk)
                next_term(f);
            else
                final(e, MXD_SPF_PERMERROR);
            return;
        }
        if (e->walk || nh == 0) {
            next_term(f);
            return;
        }
        begin_op(e, OP_MX_ADDR);
        for (size_t k = 0; k < nh; k++)
            ask(e, (unsigned)k, hosts[k], addr_type(e));
        return;
    }
    case OP_MX_ADDR: {
        const qslot *failed = NULL;
        for (int k = 0; k < MAXQ; k++) {
            const qslot *s = &e->slots[k];
            if (!s->used)
                continue;
            if (answer_has(e, s, e->v6 ? t->cidr6 : t->cidr4)) {
                match(e, f, li);
                return;
            }
            if (!failed && is_failure(s->st))
                failed = s;
        }
        if (failed)
            dns_fail(e, f, failed, li);
        else
            next_term(f);
        return;
    }
    case OP_PTR: {
        /* §5.5: a failed PTR lookup is no match; at most 10 names are used. */
        char names[MXD_SPF_MAX_PTR][MXD_NAME_MAX];
        size_t seen = 0, n = 0;
        for (size_t i = 0; q0->st == MXD_Q_OK && q0->msg && i < q0->msg->nan; i++) {
            const mxd_rr *rr = &q0->msg->an[i];
            if (rr->type != MXD_T_PTR || seen++ >= MXD_SPF_MAX_PTR)
                continue;
            if (mxd_dns_name_under(rr->u.target, e->target))
                snprintf(names[n++], MXD_NAME_MAX, "%s", rr->u.target);
        }
        if (!n) {
            next_term(f);
            return;
        }
        begin_op(e, OP_PTR_ADDR);
        for (size_t k = 0; k < n; k++)
            ask(e, (unsigned)k, names[k], addr_type(e));
        return;
    }
    case OP_PTR_ADDR:
        /* A name validates when its addresses include the client's; lookup
         * errors just skip that name (§5.5). */
        for (int k = 0; k < MAXQ; k++)
            if (e->slots[k].used && answer_has(e, &e->slots[k], -1)) {
                match(e, f, li);
                return;
            }
        next_term(f);
        return;
    default:
        next_term(f);
        return;
    }
}

/* ---- explanation (§6.2) ---------------------------------------------------------- */

/* Fetches the TXT record named by exp=, then expands it (after computing %{p}
 * when the text uses it). Exactly one TXT record with valid explanation text
 * gives an explanation; anything else gives none, and no error (§6.2). */
static void exp_step(mxd_spf_eval *e)
{
    frame *f = top(e);
    mxd_spf_macro_env env;
    env_for(e, f, &env);
    if (!e->exp_fetched) {
        char raw[MXD_SPF_DOMAIN_MAX], pres[MXD_NAME_MAX];
        bool ok = false;
        if (!expand_target(e, f, f->rec.terms[f->rec.exp].spec, raw, pres, &ok))
            return; /* waits for %{p} */
        if (!ok) {
            finish(e, MXD_SPF_FAIL);
            return;
        }
        e->exp_fetched = true;
        begin_op(e, OP_EXP);
        ask(e, 0, pres, MXD_T_TXT);
        return;
    }
    char *x = NULL;
    int rc = e->exp_text ? mxd_spf_expand(e->exp_text, strlen(e->exp_text), MXD_SPF_MS_EXPLAIN, &env, &x) : -1;
    if (rc == 1) {
        start_p(e);
        return;
    }
    if (rc == 0) {
        free(e->out.explanation);
        e->out.explanation = san(x, strlen(x));
    }
    free(x);
    finish(e, MXD_SPF_FAIL);
}

static void got_exp(mxd_spf_eval *e)
{
    const qslot *q = &e->slots[0];
    const mxd_rr *txt = NULL;
    unsigned n = 0;
    for (size_t i = 0; q->st == MXD_Q_OK && q->msg && i < q->msg->nan; i++)
        if (q->msg->an[i].type == MXD_T_TXT) {
            n++;
            txt = &q->msg->an[i];
        }
    if (n == 1 && txt->data && !memchr(txt->data, '\0', txt->data_len)) {
        e->exp_text = malloc(txt->data_len + 1);
        if (e->exp_text) {
            memcpy(e->exp_text, txt->data, txt->data_len);
            e->exp_text[txt->data_len] = '\0';
        }
    }
    /* step() comes back to exp_step(), which expands it or finishes. */
}

/* ---- the machine --------------------------------------------------------------- */

static void complete(mxd_spf_eval *e, int op)
{
    switch (op) {
    case OP_TXT: got_txt(e); return;
    case OP_EXP: got_exp(e); return;
    case OP_P: got_p(e); return;
    case OP_P_ADDR: got_p_addr(e); return;
    default: complete_term(e, op); return;
    }
}

/* One move: handle the answers that came, or take the next decision. Each
 * call finishes, sends questions, or advances the evaluation. */
static void step(mxd_spf_eval *e)
{
    if (e->op != OP_NONE) {
        int op = e->op;
        e->op = OP_NONE;
        complete(e, op);
        return;
    }
    if (e->exp_phase) {
        exp_step(e);
        return;
    }
    frame *f = top(e);
    if (!f->have_rec)
        fetch(e, f);
    else if (f->ti < f->rec.nterms && !f->saw_all)
        eval_term(e, f);
    else
        end_of_record(e, f);
}

/* Runs the machine until it waits for DNS or is finished. Answers that come
 * back inside mxd_dns_query() land here too and are taken by the outer loop. */
static void drive(mxd_spf_eval *e)
{
    if (e->stepping)
        return;
    e->stepping = true;
    while (!e->finished && e->outstanding == 0)
        step(e);
    e->stepping = false;
}

static void on_deadline(mxd_loop *loop, void *arg)
{
    (void)loop;
    mxd_spf_eval *e = arg;
    e->deadline_timer = 0;
    if (e->finished)
        return;
    note_problem(e, MXD_SPF_P_DEADLINE, -1);
    finish(e, e->walk ? walk_result(e) : MXD_SPF_TEMPERROR);
}

static void eval_free(mxd_spf_eval *e)
{
    unlink_live(e);
    if (e->deadline_timer)
        mxd_loop_cancel(e->loop, e->deadline_timer);
    if (e->done_timer)
        mxd_loop_cancel(e->loop, e->done_timer);
    for (int i = 0; i < e->nframes; i++) {
        mxd_spf_record_free(&e->frames[i].rec);
        free(e->frames[i].raw);
    }
    clear_slots(e);
    mxd_spf_outcome_free(&e->out);
    free(e->s);
    free(e->l);
    free(e->o);
    free(e->h);
    free(e->p);
    free(e->exp_text);
    free(e);
}

static void on_done_timer(mxd_loop *loop, void *arg)
{
    (void)loop;
    mxd_spf_eval *e = arg;
    e->done_timer = 0;
    e->in_done = true;
    if (e->done)
        e->done(e->arg, &e->out);
    eval_free(e);
}

/* An IPv4 or IPv6 address; an IPv4-mapped IPv6 address is IPv4 (§5). */
static bool parse_ip(const char *s, uint8_t ip[16], bool *v6)
{
    memset(ip, 0, 16);
    if (!s)
        return false;
    if (inet_pton(AF_INET, s, ip) == 1) {
        *v6 = false;
        return true;
    }
    if (inet_pton(AF_INET6, s, ip) != 1)
        return false;
    static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF };
    if (memcmp(ip, mapped, 12) == 0) {
        memmove(ip, ip + 12, 4);
        memset(ip + 4, 0, 12);
        *v6 = false;
    } else {
        *v6 = true;
    }
    return true;
}

bool mxd_spf_ip_ok(const char *s)
{
    uint8_t ip[16];
    bool v6;
    return parse_ip(s, ip, &v6);
}

/* <sender>, its local-part and domain (§4.3: no local-part means "postmaster"). */
static bool set_identity(mxd_spf_eval *e, const char *sender, const char *helo, const char *domain)
{
    const char *id = sender && *sender ? sender : NULL;
    char buf[1024];
    if (!id) {
        /* The HELO identity (§2.3): postmaster@helo. The walk is about mail
         * from the domain itself. */
        snprintf(buf, sizeof buf, "postmaster@%s", helo && *helo ? helo : domain ? domain : "");
        id = buf;
    }
    const char *at = strrchr(id, '@');
    if (at) {
        e->o = strdup(at + 1);
        e->l = at == id ? strdup("postmaster") : strndup(id, (size_t)(at - id));
    } else {
        e->o = strdup(id);
        e->l = strdup("postmaster");
    }
    if (!e->o || !e->l)
        return false;
    size_t n = strlen(e->l) + strlen(e->o) + 2;
    e->s = malloc(n);
    if (!e->s)
        return false;
    snprintf(e->s, n, "%s@%s", e->l, e->o);
    e->h = strdup(helo ? helo : "");
    return e->h != NULL;
}

mxd_spf_eval *mxd_spf_eval_start_ex(mxd_loop *loop, mxd_dns *dns, const char *ip,
                                    const char *sender, const char *helo, const char *domain,
                                    const mxd_spf_eval_opts *opts,
                                    mxd_spf_done_cb done, void *arg)
{
    mxd_spf_eval *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->loop = loop;
    e->dns = dns;
    e->done = done;
    e->arg = arg;
    e->walk = opts && opts->walk;
    e->out.walk = e->walk;
    e->out.problem_line = e->out.over_line = e->out.void_over_line = e->out.matched_line = -1;
    if ((!e->walk && !parse_ip(ip, e->ip, &e->v6)) || (e->walk && !domain) ||
        !set_identity(e, e->walk ? NULL : sender, e->walk ? domain : helo, domain)) {
        free(e->s);
        free(e->l);
        free(e->o);
        free(e->h);
        free(e);
        return NULL;
    }
    mxd_spf_ipstr_fill(&e->ipstr, e->ip, e->v6);
    snprintf(e->receiver, sizeof e->receiver, "%s", opts && opts->receiver ? opts->receiver : "unknown");
    snprintf(e->tstamp, sizeof e->tstamp, "%lld",
             (long long)(opts && opts->now ? opts->now : time(NULL)));
    const char *d = domain ? domain : e->o;
    char *sd = mxd_sanitize(d, strlen(d), 0, sizeof e->out.domain - 1);
    snprintf(e->out.domain, sizeof e->out.domain, "%s", sd ? sd : "");
    free(sd);
    frame *f = &e->frames[0];
    e->nframes = 1;
    if (strlen(d) < sizeof f->domain) /* longer: left empty, which §4.3 rejects */
        snprintf(f->domain, sizeof f->domain, "%s", d);
    f->term_line = f->record_line = -1;
    path_push(e, f->domain);
    e->serial = next_serial++;
    e->next_live = live;
    live = e;
    unsigned ms = opts && opts->deadline_ms ? opts->deadline_ms : DEFAULT_DEADLINE_MS;
    e->deadline_timer = mxd_loop_timer(loop, ms, on_deadline, e);
    drive(e);
    return e;
}

mxd_spf_eval *mxd_spf_eval_start(mxd_loop *loop, mxd_dns *dns, const char *ip,
                                 const char *sender, const char *helo, const char *domain,
                                 mxd_spf_done_cb done, void *arg)
{
    return mxd_spf_eval_start_ex(loop, dns, ip, sender, helo, domain, NULL, done, arg);
}

mxd_spf_eval *mxd_spf_walk_start(mxd_loop *loop, mxd_dns *dns, const char *domain,
                                 mxd_spf_done_cb done, void *arg)
{
    mxd_spf_eval_opts o = { .walk = true };
    return mxd_spf_eval_start_ex(loop, dns, NULL, NULL, NULL, domain, &o, done, arg);
}

void mxd_spf_eval_cancel(mxd_spf_eval *e)
{
    if (!e || e->in_done)
        return;
    eval_free(e);
}
