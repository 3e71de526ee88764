/* ui.c — the wizard's main loop: terminal, signals, keyboard, screen stack, diagnosis.
 *
 * Everything happens on the one event loop: the keyboard (fd 0, read with
 * nodelay get_wch until ERR), the signals (a self-pipe: SIGINT, SIGTERM, SIGHUP
 * and SIGWINCH), the engine's sockets and the spinner's timer. The frame is
 * drawn between loop iterations when something changed — the "before sleep"
 * point — so a key pressed while probes run is answered at the next frame.
 *
 * The terminal is restored on every way out: the normal path calls endwin();
 * exit() from anywhere runs the atexit hook; SIGINT/SIGTERM/SIGHUP arrive as
 * bytes on the pipe and take the normal path. Our handlers are installed
 * before newterm(), so ncurses does not install its own (it only catches
 * signals whose handler is still the default).
 */
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <curses.h>

#include "mxd/sanitize.h"
#include "mxd/steps.h"
#include "uipriv.h"

/* ---- terminal restoration ---- */

static volatile sig_atomic_t curses_on;
static int sig_pipe[2] = { -1, -1 };
static volatile sig_atomic_t sig_hits;

static void restore_terminal(void)
{
    if (curses_on) {
        curses_on = 0;
        endwin();
    }
}

static void on_signal(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    if (sig_pipe[1] >= 0) {
        ssize_t w = write(sig_pipe[1], &b, 1);
        (void)w;
    }
    /* A loop that no longer reads the pipe must not make the program unkillable:
     * the third interrupt falls back to the default action. */
    if (sig != SIGWINCH && ++sig_hits >= 3) {
        signal(sig, SIG_DFL);
        raise(sig);
    }
    errno = saved;
}

static const int caught[] = { SIGINT, SIGTERM, SIGHUP, SIGWINCH };
static struct sigaction saved_act[sizeof caught / sizeof caught[0]];

static int install_signals(void)
{
    if (pipe(sig_pipe) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        fcntl(sig_pipe[i], F_SETFL, fcntl(sig_pipe[i], F_GETFL) | O_NONBLOCK);
        fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC);
    }
    sig_hits = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (size_t i = 0; i < sizeof caught / sizeof caught[0]; i++)
        sigaction(caught[i], &sa, &saved_act[i]);
    return 0;
}

static void remove_signals(void)
{
    for (size_t i = 0; i < sizeof caught / sizeof caught[0]; i++)
        sigaction(caught[i], &saved_act[i], NULL);
    for (int i = 0; i < 2; i++)
        if (sig_pipe[i] >= 0) {
            close(sig_pipe[i]);
            sig_pipe[i] = -1;
        }
}

/* The wizard needs a UTF-8 LC_CTYPE for get_wch and wide output. With LANG
 * unset (cron, a bare ssh session, a container) try the UTF-8 locales that
 * most systems have. */
static void setup_locale(void)
{
    setlocale(LC_ALL, "");
    const char *cs = nl_langinfo(CODESET);
    if (cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0))
        return;
    static const char *const tries[] = { "C.UTF-8", "C.utf8", "en_US.UTF-8" };
    for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++)
        if (setlocale(LC_CTYPE, tries[i]))
            return;
}

/* ---- texts ---- */

const mxd_catalog *ui_cat(const mxd_ui *u)
{
    const mxd_catalog *c = u->cfg->cat[u->lang];
    return c ? c : u->cfg->cat[u->lang == MXD_LANG_JA ? MXD_LANG_EN : MXD_LANG_JA];
}

const char *ui_t(const mxd_ui *u, ui_text_id id)
{
    return ui_text(u->cfg->cat[u->lang], id);
}

char *ui_cat_fmt(const mxd_ui *u, const char *key, const char *field, const mxd_param *params,
                 size_t nparams)
{
    const mxd_catalog *c = u->cfg->cat[u->lang];
    if (!c || !mxd_catalog_get(c, key, field)) {
        const mxd_catalog *o = u->cfg->cat[u->lang == MXD_LANG_JA ? MXD_LANG_EN : MXD_LANG_JA];
        if (o && mxd_catalog_get(o, key, field))
            c = o;
    }
    if (c)
        return mxd_catalog_format(c, key, field, params, nparams);
    size_t n = strlen(key) + strlen(field) + 4;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "[%s.%s]", key, field);
    return s;
}

const char *ui_sev_label(const mxd_ui *u, mxd_severity s)
{
    static const char *const upper[] = { "PASS", "INFO", "SKIP", "WARN", "FAIL", "ERROR" };
    char key[32];
    snprintf(key, sizeof key, "sev.%s", mxd_severity_name(s));
    const mxd_catalog *c = u->cfg->cat[u->lang];
    const char *t = c ? mxd_catalog_get(c, key, "label") : NULL;
    if (t)
        return t;
    return (unsigned)s < sizeof upper / sizeof upper[0] ? upper[s] : "?";
}

void ui_field_error(mxd_ui *u, mxd_input_status st, const char *typed, const char *detail)
{
    free(u->field_typed);
    u->field_typed = NULL;
    u->field_st = st;
    u->field_detail[0] = '\0';
    if (st == MXD_IN_OK)
        return;
    u->field_typed = strdup(typed ? typed : "");
    snprintf(u->field_detail, sizeof u->field_detail, "%s", detail ? detail : "");
}

char *ui_field_error_text(const mxd_ui *u)
{
    if (u->field_st == MXD_IN_OK)
        return NULL;
    mxd_param p[2] = { { (char *)"input", u->field_typed ? u->field_typed : (char *)"" },
                       { (char *)"detail", (char *)u->field_detail } };
    return ui_cat_fmt(u, mxd_input_status_key(u->field_st), "text", p, 2);
}

char *ui_err_text(const mxd_ui *u, ui_text_id id, const char *raw)
{
    return ui_tf(u, id, "error", raw, UI_END);
}

void ui_set_status(mxd_ui *u, bool ok, char *msg_owned)
{
    free(u->status);
    u->status = msg_owned;
    u->status_ok = ok;
    u->dirty = true;
}

/* ---- the screen stack ---- */

ui_screen *ui_top(mxd_ui *u)
{
    return &u->stack[u->depth - 1];
}

static void screen_done(mxd_ui *u, ui_screen *s)
{
    if (s->ops && s->ops->done)
        s->ops->done(u, s);
    memset(s, 0, sizeof *s);
}

void ui_set_page(mxd_ui *u, const ui_screen_ops *ops)
{
    while (u->depth > 1)
        ui_pop(u);
    if (u->depth == 0)
        u->depth = 1;
    screen_done(u, &u->stack[0]);
    u->stack[0].ops = ops;
    u->dirty = true;
}

void ui_push(mxd_ui *u, const ui_screen_ops *ops, void *data)
{
    if (u->depth >= UI_STACK_MAX)
        ui_pop(u);
    ui_screen *s = &u->stack[u->depth++];
    memset(s, 0, sizeof *s);
    s->ops = ops;
    s->data = data;
    u->dirty = true;
}

void ui_pop(mxd_ui *u)
{
    if (u->depth <= 1)
        return;
    screen_done(u, &u->stack[u->depth - 1]);
    u->depth--;
    u->dirty = true;
}

/* Opens an overlay, or closes it when it is the one on top (the same key
 * toggles); another overlay on top is replaced rather than stacked. */
static ui_res toggle_overlay(mxd_ui *u, const ui_screen_ops *ops)
{
    if (ui_top(u)->ops == ops) {
        ui_pop(u);
        return UI_REDRAW;
    }
    while (u->depth > 1 && !ui_top(u)->ops->modal)
        ui_pop(u);
    ui_push(u, ops, NULL);
    return UI_REDRAW;
}

/* ---- the diagnosis ---- */

static void spin_tick(mxd_loop *loop, void *arg)
{
    mxd_ui *u = arg;
    u->spin_timer = 0;
    u->spin++;
    u->dirty = true;
    if (ui_running(u))
        u->spin_timer = mxd_loop_timer(loop, 120, spin_tick, u);
}

static void on_change(void *arg)
{
    mxd_ui *u = arg;
    mxd_findings_free(&u->fs);
    memset(&u->fs, 0, sizeof u->fs);
    mxd_check_all(&u->res, &u->fs);
    u->dirty = true;
}

bool ui_running(const mxd_ui *u)
{
    return u->eng && !mxd_engine_done(u->eng);
}

void ui_stop_diagnosis(mxd_ui *u)
{
    ui_rcpt_cancel(u); /* it writes into res, freed below */
    if (u->eng) {
        mxd_engine_free(u->eng);
        u->eng = NULL;
    }
    if (u->spin_timer) {
        mxd_loop_cancel(u->loop, u->spin_timer);
        u->spin_timer = 0;
    }
    mxd_findings_free(&u->fs);
    memset(&u->fs, 0, sizeof u->fs);
    mxd_result_free(&u->res);
    u->have_input = false;
    u->dirty = true;
}

int ui_start_diagnosis(mxd_ui *u)
{
    mxd_input in = u->in; /* ui_stop_diagnosis() does not touch it, but be explicit */
    ui_stop_diagnosis(u);
    u->in = in;
    u->engine_err[0] = '\0';
    char err[200] = "";
    u->eng = mxd_engine_new(u->loop, &u->opts, err, sizeof err);
    if (!u->eng) {
        snprintf(u->engine_err, sizeof u->engine_err, "%s", err[0] ? err : "?");
        return -1;
    }
    u->have_input = true;
    if (mxd_engine_start(u->eng, &u->in, &u->res, on_change, u) != 0)
        snprintf(u->engine_err, sizeof u->engine_err, "%s", u->in.ascii);
    on_change(u);
    if (ui_running(u))
        u->spin_timer = mxd_loop_timer(u->loop, 120, spin_tick, u);
    return 0;
}

static unsigned pending(const mxd_query *q)
{
    return q->state == MXD_Q_PENDING;
}

static unsigned plookup_pending(const mxd_plookup *l)
{
    return l->state == MXD_Q_PENDING;
}

/* The policy step starts once the domain's MX answer is in; until then it
 * waits on the earlier steps. */
static unsigned policy_pending(const mxd_policy_result *p, bool *blocked)
{
    if (!p || !p->started) {
        *blocked = true;
        return 0;
    }
    if (p->finished)
        return 0;
    unsigned n = plookup_pending(&p->dmarc.at_domain) + plookup_pending(&p->dmarc.at_org) +
                 plookup_pending(&p->tlsrpt) + !p->spf.walked +
                 (p->mtasts.state == MXD_MTASTS_RUNNING);
    for (size_t i = 0; i < p->dmarc.nauth; i++)
        n += plookup_pending(&p->dmarc.auth[i].q);
    for (size_t i = 0; i < p->ndkim; i++)
        n += plookup_pending(&p->dkim[i].q);
    for (size_t i = 0; i < p->ntlsa; i++)
        n += plookup_pending(&p->tlsa[i].q);
    for (size_t i = 0; i < p->nptr; i++) {
        n += plookup_pending(&p->ptr[i].q);
        for (size_t k = 0; k < MXD_PTR_MAX_NAMES; k++)
            n += plookup_pending(&p->ptr[i].fwd[k]);
    }
    return n ? n : 1; /* not finished: something is still out */
}

unsigned ui_step_pending(const mxd_ui *u, const char *step, bool *blocked)
{
    const mxd_result *r = &u->res;
    *blocked = false;
    if (!u->have_input || !u->eng || mxd_engine_done(u->eng))
        return 0;
    unsigned mx = pending(&r->mx) + pending(&r->a) + pending(&r->aaaa);
    if (strcmp(step, "mx") == 0)
        return mx;
    unsigned tg = 0, smtp = 0;
    for (size_t i = 0; i < r->ntargets; i++) {
        const mxd_target *t = &r->targets[i];
        tg += pending(&t->a) + pending(&t->aaaa);
        for (size_t j = 0; j < t->naddrs; j++)
            if (t->smtp && t->smtp[j].state == MXD_SMTP_RUNNING)
                smtp++;
    }
    if (strcmp(step, "target") == 0) {
        /* until the MX answer is in, the targets are not known */
        *blocked = pending(&r->mx) != 0;
        return tg;
    }
    if (strcmp(step, "smtp") == 0) {
        *blocked = mx + tg > 0 && smtp == 0;
        return smtp;
    }
    if (strcmp(step, "policy") == 0)
        return policy_pending(r->policy, blocked);
    /* A step this file does not know in detail (added to mxd_steps later):
     * while anything runs, say how much is still out. */
    return mxd_engine_inflight(u->eng);
}

/* ---- quitting ---- */

ui_res ui_request_quit(mxd_ui *u)
{
    if (ui_running(u)) {
        if (ui_top(u)->ops != &ui_quit_ops)
            ui_push(u, &ui_quit_ops, NULL);
        return UI_REDRAW;
    }
    return UI_QUIT;
}

static bool too_small(void)
{
    return COLS < UI_MIN_COLS || LINES < UI_MIN_ROWS;
}

/* ---- keys ---- */

static ui_res toggle_lang(mxd_ui *u)
{
    u->lang = u->lang == MXD_LANG_JA ? MXD_LANG_EN : MXD_LANG_JA;
    return UI_REDRAW;
}

static ui_res global_key(mxd_ui *u, bool is_key, wint_t ch)
{
    if (is_key) {
        switch (ch) {
        case KEY_F(1): return toggle_overlay(u, &ui_help_ops);
        case KEY_F(2): return toggle_lang(u);
        case KEY_F(10): return ui_request_quit(u); /* q is text in a field */
        default: return UI_NOP;
        }
    }
    switch (ch) {
    case 'L': return toggle_lang(u);
    case '?': return toggle_overlay(u, &ui_help_ops);
    case 'g': return toggle_overlay(u, &ui_glossary_ops);
    case 'd': return toggle_overlay(u, &ui_details_ops);
    case 'h':
        if (u->scn)
            return toggle_overlay(u, &ui_hint_ops);
        return UI_NOP;
    case 'r':
        if (u->have_input || u->eng) {
            ui_start_diagnosis(u);
            ui_set_status(u, true, strdup(ui_t(u, T_RERUN)));
        } else {
            ui_set_status(u, false, strdup(ui_t(u, T_NO_DIAGNOSIS)));
        }
        return UI_REDRAW;
    case 'q': return ui_request_quit(u);
    case 27: /* Esc */
        if (u->depth > 1) {
            ui_pop(u);
            return UI_REDRAW;
        }
        return UI_NOP;
    case 12: /* Ctrl-L: repaint from scratch */
        clearok(curscr, TRUE);
        return UI_REDRAW;
    default: return UI_NOP;
    }
}

static void handle_resize(mxd_ui *u)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0 &&
        (ws.ws_row != LINES || ws.ws_col != COLS))
        resizeterm(ws.ws_row, ws.ws_col);
    u->dirty = true;
}

static void on_key(mxd_ui *u, bool is_key, wint_t ch)
{
    if (is_key && ch == KEY_RESIZE) {
        u->dirty = true;
        return;
    }
    /* a message stays until the next key */
    if (u->status) {
        free(u->status);
        u->status = NULL;
        u->dirty = true;
    }
    ui_screen *top = ui_top(u);
    ui_res r;
    if (too_small()) {
        /* Nothing is visible but the message: only quitting and the language. */
        if (!is_key && (ch == 'q' || ch == 'Q'))
            r = UI_QUIT;
        else
            r = global_key(u, is_key, ch) & UI_REDRAW;
    } else {
        r = top->ops->key(u, top, is_key, ch);
        if ((r & UI_UNHANDLED) && !top->ops->modal)
            r = global_key(u, is_key, ch);
    }
    if (r & UI_REDRAW)
        u->dirty = true;
    if (r & UI_QUIT)
        u->quit = true;
}

static unsigned idle_wakeups;

static void read_keys(mxd_ui *u)
{
    wint_t ch;
    int rc;
    while (!u->quit && (rc = get_wch(&ch)) != ERR) {
        idle_wakeups = 0;
        on_key(u, rc == KEY_CODE_YES, ch);
    }
}

static void on_stdin(mxd_loop *loop, int fd, unsigned events, void *arg)
{
    (void)loop;
    (void)fd;
    mxd_ui *u = arg;
    read_keys(u);
    /* A terminal that hung up stays "readable" forever with nothing to read. */
    if ((events & MXD_EV_ERROR) || ++idle_wakeups > 1000) {
        u->quit = true;
        if (!u->exit_status)
            u->exit_status = 129;
    }
}

static void on_signal_pipe(mxd_loop *loop, int fd, unsigned events, void *arg)
{
    (void)loop;
    (void)events;
    mxd_ui *u = arg;
    unsigned char b[32];
    ssize_t n;
    while ((n = read(fd, b, sizeof b)) > 0)
        for (ssize_t i = 0; i < n; i++) {
            if (b[i] == SIGWINCH) {
                handle_resize(u);
            } else {
                u->quit = true;
                u->exit_status = 128 + b[i];
            }
        }
}

/* ---- the frame ---- */

static void draw_too_small(mxd_ui *u)
{
    char cols[16], rows[16], mc[16], mr[16];
    snprintf(cols, sizeof cols, "%d", COLS);
    snprintf(rows, sizeof rows, "%d", LINES);
    snprintf(mc, sizeof mc, "%d", UI_MIN_COLS);
    snprintf(mr, sizeof mr, "%d", UI_MIN_ROWS);
    char *m = ui_tf(u, T_TOO_SMALL, "cols", cols, "rows", rows,
                     "min_cols", mc, "min_rows", mr, UI_END);
    ui_doc d = { 0 };
    int w = COLS - 2 > 1 ? COLS - 2 : 1;
    doc_wrap(&d, 0, w, ST_BOLD, m ? m : "");
    int y = (LINES - (int)d.n) / 2;
    draw_doc(u, &d, 0, y > 0 ? y : 0, 1, LINES, w);
    doc_free(&d);
    free(m);
}

static void draw_header(mxd_ui *u)
{
    draw_fill(u, 0, 0, COLS, ST_BAR);
    int x = 1;
    x += draw_text(u, 0, x, "mxdoctor", COLS - x, ST_BAR);
    if (u->have_input) {
        x += draw_text(u, 0, x, "  ", COLS - x, ST_BAR);
        x += draw_text(u, 0, x, u->in.unicode, COLS / 2 - x, ST_BAR);
        if (strcmp(u->in.unicode, u->in.ascii) != 0 && x + 4 < COLS / 2) {
            char buf[300];
            snprintf(buf, sizeof buf, " (%s)", u->in.ascii);
            x += draw_text(u, 0, x, buf, COLS / 2 - x, ST_BAR);
        }
        x += draw_text(u, 0, x, "  ", COLS - x, ST_BAR);
        char *st = NULL;
        char num[32];
        if (ui_running(u)) {
            static const char spin[] = "|/-\\";
            snprintf(num, sizeof num, "%u", mxd_engine_inflight(u->eng));
            char *r = ui_tf(u, T_RUNNING, "n", num, UI_END);
            size_t n = r ? strlen(r) + 4 : 0;
            st = r ? malloc(n) : NULL;
            if (st)
                snprintf(st, n, "%c %s", spin[u->spin % 4], r);
            free(r);
        } else if (u->eng) {
            if (u->res.elapsed_ms < 10000)
                snprintf(num, sizeof num, "%u ms", (unsigned)u->res.elapsed_ms);
            else
                snprintf(num, sizeof num, "%.1f s", u->res.elapsed_ms / 1000.0);
            st = ui_tf(u, u->res.timed_out ? T_TIMED_OUT : T_FINISHED,
                        "time", num, UI_END);
        }
        if (st) {
            const char *ls = ui_t(u, T_LANG_SWITCH);
            int room = COLS - x - mxd_text_width(ls, strlen(ls)) - 3;
            x += draw_text(u, 0, x, st, room, ST_BAR);
            free(st);
        }
    }
    const char *ls = ui_t(u, T_LANG_SWITCH);
    int lw = mxd_text_width(ls, strlen(ls));
    if (COLS - lw - 2 > x)
        draw_text(u, 0, COLS - lw - 1, ls, lw, ST_BAR);
}

/* The key hints, items separated by two spaces. A narrow window gets them
 * separated by one space, then loses items from the middle: the first ones
 * (where to go) and the last one (how to quit) always stay. */
static void draw_footer(mxd_ui *u)
{
    draw_fill(u, LINES - 1, 0, COLS, ST_BAR);
    if (!u->footer)
        return;
    int avail = COLS - 2;
    const char *f = u->footer;
    if (mxd_text_width(f, strlen(f)) <= avail) {
        draw_text(u, LINES - 1, 1, f, avail, ST_BAR);
        return;
    }
    const char *item[16];
    size_t len[16], n = 0;
    for (const char *p = f; *p && n < 16;) {
        const char *e = strstr(p, "  ");
        size_t l = e ? (size_t)(e - p) : strlen(p);
        item[n] = p;
        len[n++] = l;
        p += l;
        while (*p == ' ')
            p++;
    }
    bool keep[16];
    for (size_t i = 0; i < n; i++)
        keep[i] = true;
    for (size_t drop = n >= 2 ? n - 2 : 0;; drop--) {
        int w = -1;
        for (size_t i = 0; i < n; i++)
            if (keep[i])
                w += 1 + mxd_text_width(item[i], len[i]);
        if (w <= avail || drop == 0)
            break;
        keep[drop] = false;
    }
    int x = 1;
    for (size_t i = 0; i < n; i++) {
        if (!keep[i])
            continue;
        char buf[256];
        snprintf(buf, sizeof buf, "%.*s", (int)(len[i] < 255 ? len[i] : 255), item[i]);
        x += draw_text(u, LINES - 1, x, buf, COLS - 1 - x, ST_BAR) + 1;
    }
}

/* The one-line message (a saved report, a re-run) just above the footer. */
static void draw_status(mxd_ui *u)
{
    if (!u->status)
        return;
    ui_doc d = { 0 };
    doc_wrap(&d, 0, COLS - 2, u->status_ok ? ST_OKTEXT : ST_ERRTEXT, u->status);
    int n = (int)d.n < 3 ? (int)d.n : 3;
    for (int i = 0; i < n; i++)
        draw_fill(u, LINES - 1 - n + i, 0, COLS, ST_NORMAL);
    draw_doc(u, &d, 0, LINES - 1 - n, 1, n, COLS - 2);
    doc_free(&d);
}

static void draw_frame(mxd_ui *u)
{
    u->rows = LINES;
    u->cols = COLS;
    erase();
    u->footer = NULL;
    u->cur_y = u->cur_x = -1;
    if (too_small()) {
        draw_too_small(u);
    } else {
        draw_header(u);
        for (int i = 0; i < u->depth; i++)
            u->stack[i].ops->draw(u, &u->stack[i]);
        draw_footer(u);
        draw_status(u);
    }
    if (u->cur_y >= 0 && u->cur_x >= 0) {
        curs_set(1);
        move(u->cur_y, u->cur_x);
    } else {
        curs_set(0);
        move(LINES - 1, 0);
    }
    refresh();
    u->dirty = false;
}

/* ---- lab scenario from the command line ---- */

static bool looks_like_path(const char *s)
{
    size_t n = strlen(s);
    return strchr(s, '/') || (n > 4 && strcmp(s + n - 4, ".scn") == 0);
}

/* Before the screen starts, so errors go to stderr, in the chosen language. */
static int resolve_scenario(mxd_ui *u, const mxd_scenario **out)
{
    const char *want = u->cfg->lab_scenario;
    if (looks_like_path(want) && access(want, R_OK) == 0) {
        mxd_scn_error err;
        if (mxd_scenario_load(want, &u->own_scn, &err) != 0) {
            char *m = mxd_scn_error_format(&err, ui_cat(u));
            fprintf(stderr, "mxdoctor: %s\n", m ? m : "?");
            free(m);
            return -1;
        }
        u->own_scn_loaded = true;
        *out = &u->own_scn;
        return 0;
    }
    ui_lab_load_list(u);
    const mxd_scenario *s = mxd_scenario_find(u->scns, u->nscns, want);
    if (!s) {
        mxd_param p = { "value", (char *)want }; /* the catalog sanitises it */
        char *m = ui_cat_fmt(u, "msg.lab_unknown", "text", &p, 1);
        fprintf(stderr, "mxdoctor: %s\n", m ? m : "?");
        free(m);
        /* perhaps it is the teacher's file that did not parse */
        if ((m = ui_lab_skipped_text(u)))
            fprintf(stderr, "mxdoctor: %s\n", m);
        free(m);
        return -1;
    }
    *out = s;
    return 0;
}

/* ---- entry point ---- */

/* Starting a lab means generating its certificates: tens of milliseconds.
 * The question page is drawn first and the lab starts right after, from the
 * loop, so the first frame never waits for OpenSSL. */
static void start_lab_later(mxd_loop *loop, void *arg)
{
    (void)loop;
    mxd_ui *u = arg;
    const mxd_scenario *scn = u->scn;
    const ui_screen_ops *was = u->stack[0].ops;
    size_t step = u->step;
    u->scn = NULL;
    if (!scn)
        return;
    if (ui_lab_begin(u, scn) != 0) {
        ui_set_page(u, &ui_lab_menu_ops);
        return;
    }
    if (was == &ui_step_ops || was == &ui_summary_ops) { /* the reader was quick */
        u->step = step;
        ui_set_page(u, was);
    }
}

static void first_page(mxd_ui *u, const mxd_scenario *scn)
{
    u->depth = 1;
    if (scn) {
        u->scn = scn; /* shown by the question page until the lab is up */
        ui_set_page(u, &ui_lab_intro_ops);
        mxd_loop_timer(u->loop, 0, start_lab_later, u);
        return;
    }
    if (u->cfg->lab) {
        ui_set_page(u, &ui_lab_menu_ops);
        return;
    }
    ui_set_page(u, &ui_input_ops);
    u->focus_field = 1;
    if (u->cfg->initial_input && *u->cfg->initial_input) {
        mxd_le_set(&u->field, u->cfg->initial_input);
        /* The domain is known: start probing while the reader picks a choice. */
        mxd_input in;
        mxd_input_status st = mxd_input_normalize(u->cfg->initial_input, &in);
        if (st == MXD_IN_OK) {
            u->in = in;
            mxd_le_history_add(&u->field, u->cfg->initial_input);
            ui_start_diagnosis(u);
            u->focus_field = 0;
        } else {
            ui_field_error(u, st, u->cfg->initial_input, in.detail);
        }
    } else {
        u->focus_field = 0;
    }
}

static int exit_status(const mxd_ui *u)
{
    if (u->exit_status)
        return u->exit_status;
    if (!u->eng)
        return 0;
    if (!mxd_engine_done(u->eng))
        return 3;
    return mxd_verdict_exit(mxd_verdict_of(&u->fs));
}

int mxd_ui_run(const mxd_ui_config *cfg)
{
    static bool atexit_done;
    mxd_ui *u = calloc(1, sizeof *u);
    if (!u)
        return 3;
    u->cfg = cfg;
    u->lang = cfg->lang < MXD_LANG_COUNT ? cfg->lang : MXD_LANG_EN;
    u->opts = cfg->opts;
    u->helpdir = cfg->helpdir ? cfg->helpdir : mxd_help_dir();
    mxd_le_init(&u->field, 1024);
    int status = 0;

    const mxd_scenario *scn = NULL;
    if (cfg->lab_scenario && resolve_scenario(u, &scn) != 0) {
        status = 64;
        goto out_free;
    }

    setup_locale();
    if (!(u->loop = mxd_loop_new()) || install_signals() != 0) {
        fprintf(stderr, "mxdoctor: out of memory\n");
        status = 3;
        goto out_free;
    }
    if (!atexit_done) {
        atexit(restore_terminal);
        atexit_done = true;
    }
    SCREEN *scr = newterm(NULL, stdout, stdin);
    if (!scr) {
        const char *t = getenv("TERM");
        fprintf(stderr, "mxdoctor: cannot use this terminal (TERM=%s)\n", t ? t : "");
        remove_signals();
        status = 3;
        goto out_free;
    }
    set_term(scr);
    curses_on = 1;
    cbreak();
    noecho();
    nonl();
    intrflush(stdscr, FALSE);
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    draw_init_styles(u);

    mxd_loop_watch(u->loop, STDIN_FILENO, MXD_EV_READ, on_stdin, u);
    mxd_loop_watch(u->loop, sig_pipe[0], MXD_EV_READ, on_signal_pipe, u);

    first_page(u, scn);
    draw_frame(u);
    while (!u->quit) {
        read_keys(u);
        if (u->quit)
            break;
        if (u->dirty)
            draw_frame(u);
        if (mxd_loop_run_once(u->loop, -1) < 0 && errno != EINTR)
            break;
    }
    status = exit_status(u);

    while (u->depth > 0) {
        screen_done(u, &u->stack[u->depth - 1]);
        u->depth--;
    }
    ui_lab_end(u);
    ui_stop_diagnosis(u);
    mxd_loop_unwatch(u->loop, STDIN_FILENO);
    mxd_loop_unwatch(u->loop, sig_pipe[0]);
    restore_terminal();
    delscreen(scr);
    remove_signals();

out_free:
    ui_stop_diagnosis(u);
    if (u->own_scn_loaded)
        mxd_scenario_free(&u->own_scn);
    for (size_t i = 0; i < u->nscns; i++)
        mxd_scenario_free(&u->scns[i]);
    free(u->scns);
    mxd_le_free(&u->field);
    paste_free(&u->paste);
    mxd_bounce_free(&u->bounce);
    free(u->field_typed);
    free(u->status);
    if (u->loop)
        mxd_loop_free(u->loop);
    free(u);
    return status;
}
