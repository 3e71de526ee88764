/* batch.c — many diagnoses at once on one loop (see batch.h).
 *
 * Every line read becomes an entry of one queue kept in input order. An entry
 * is QUEUED (a domain not started yet), RUNNING (its engine is on the loop) or
 * DONE (its JSON line is ready). Entries leave the queue only from its head and
 * only when DONE, which is how out-of-order completions come out in order.
 * The queue is bounded (a window of lines read ahead), so a slow head line
 * holds back memory, not correctness; input is read only while the window has
 * room, and only when the loop says the descriptor is readable.
 *
 * Engines are freed after the loop iteration in which they finished, never
 * from inside their own on_change callback (that runs inside c-ares or probe
 * callbacks, whose owners are still on the stack).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mxd/batch.h"
#include "mxd/checks.h"
#include "mxd/engine.h"
#include "mxd/input.h"
#include "mxd/json.h"
#include "mxd/report.h"
#include "mxd/sanitize.h"
#include "mxd/strbuf.h"

#define READ_CHUNK 65536
#define PROGRESS_EVERY_MS 100
#define SHOWN_INPUT_MAX 200 /* bytes of a bad line echoed back */

typedef enum { E_QUEUED, E_RUNNING, E_DONE } estate;

typedef struct batch batch;

typedef struct entry {
    batch *b;
    unsigned long line;
    estate st;
    char *input;        /* the line as typed, trimmed (owned) */
    mxd_input in;       /* normalised, for QUEUED entries */
    mxd_engine *e;      /* RUNNING only */
    mxd_result *r;      /* RUNNING only (owned) */
    char *json;         /* DONE: one line with its '\n' (owned) */
    int exit_status;
    bool poked;         /* the engine reported a change since the last reap */
} entry;

struct batch {
    mxd_loop *loop;
    const mxd_options *base;
    const mxd_catalog *cat;
    FILE *out, *progress;
    int in_fd;
    unsigned jobs;
    size_t window;

    entry **q;           /* input order; q[head..n) are live */
    size_t head, n, cap;
    size_t next_start;   /* first index that may still be QUEUED */
    unsigned running, queued;
    bool poked;

    mxd_sb inbuf;
    bool eof, skipping_long, watching_in;
    unsigned in_events;
    unsigned long lineno;
    unsigned long long_line;  /* line number of the over-long line being skipped */
    char long_head[SHOWN_INPUT_MAX + 1];

    unsigned long total, written, ndomains, nbad;
    int worst;
    bool write_failed, oom;
    uint64_t last_progress;
    bool progress_shown;
};

/* ---- signals: a self-pipe so that poll() wakes up at once ---- */

static int sig_pipe[2] = { -1, -1 };
static volatile sig_atomic_t stop_sig;

static void on_signal(int sig)
{
    int saved = errno;
    if (!stop_sig)
        stop_sig = sig;
    if (sig_pipe[1] >= 0) {
        char c = (char)sig;
        ssize_t w = write(sig_pipe[1], &c, 1);
        (void)w;
    }
    errno = saved;
}

static void on_sig_pipe(mxd_loop *loop, int fd, unsigned ev, void *arg)
{
    (void)loop;
    (void)ev;
    (void)arg;
    char buf[16];
    while (read(fd, buf, sizeof buf) > 0) {
    }
}

/* ---- JSON ---- */

size_t mxd_batch_compact_json(char *s)
{
    size_t w = 0;
    bool in_str = false, esc = false;
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        if (in_str) {
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
            continue;
        }
        s[w++] = c;
    }
    s[w] = '\0';
    return w;
}

/* An error line: {"line":N,"input":...,"error":key,"detail":...,"message":...,
 * "exit_status":N}. detail and message may be NULL. */
static char *error_line(unsigned long line, const char *input, const char *key,
                        const char *detail, const char *message, int status)
{
    mxd_sb sb = MXD_SB_INIT;
    mxd_json j;
    mxd_json_init(&j, &sb, 0);
    char *shown = mxd_sanitize(input ? input : "", strlen(input ? input : ""), 0,
                               SHOWN_INPUT_MAX);
    mxd_json_begin_object(&j);
    mxd_json_kv_uint(&j, "line", line);
    mxd_json_kv_string(&j, "input", shown ? shown : "");
    mxd_json_kv_string(&j, "error", key);
    if (detail)
        mxd_json_kv_string(&j, "detail", detail);
    if (message)
        mxd_json_kv_string(&j, "message", message);
    mxd_json_kv_int(&j, "exit_status", status);
    mxd_json_end_object(&j);
    free(shown);
    if (!mxd_json_ok(&j)) {
        mxd_sb_free(&sb);
        return NULL;
    }
    mxd_sb_putc(&sb, '\n');
    return mxd_sb_take(&sb);
}

/* A fallback that cannot fail to be valid JSON, for when memory runs out. */
static char *oom_line(unsigned long line)
{
    char buf[128];
    snprintf(buf, sizeof buf, "{\"line\":%lu,\"error\":\"out_of_memory\",\"exit_status\":3}\n",
             line);
    return strdup(buf);
}

/* ---- the queue ---- */

static entry *push(batch *b, unsigned long line, const char *text, size_t len)
{
    if (b->head && b->head == b->n) {
        b->head = b->n = 0;
        b->next_start = 0;
    }
    if (b->n == b->cap) {
        if (b->head > 0) {
            memmove(b->q, b->q + b->head, (b->n - b->head) * sizeof *b->q);
            b->n -= b->head;
            b->next_start -= b->head; /* next_start >= head always holds */
            b->head = 0;
        }
        if (b->n == b->cap) {
            size_t nc = b->cap ? b->cap * 2 : 64;
            entry **nq = realloc(b->q, nc * sizeof *nq);
            if (!nq)
                return NULL;
            b->q = nq;
            b->cap = nc;
        }
    }
    entry *en = calloc(1, sizeof *en);
    if (!en)
        return NULL;
    en->input = malloc(len + 1);
    if (!en->input) {
        free(en);
        return NULL;
    }
    memcpy(en->input, text, len);
    en->input[len] = '\0';
    en->b = b;
    en->line = line;
    b->q[b->n++] = en;
    b->total++;
    return en;
}

static void entry_free(entry *en)
{
    if (!en)
        return;
    if (en->e)
        mxd_engine_free(en->e);
    if (en->r) {
        mxd_result_free(en->r);
        free(en->r);
    }
    free(en->input);
    free(en->json);
    free(en);
}

static void mark_bad(batch *b, entry *en, mxd_input_status st, const char *detail)
{
    const char *key = mxd_input_status_key(st);
    char *msg = NULL;
    if (b->cat) {
        char *shown = mxd_sanitize(en->input, strlen(en->input), 0, 80);
        mxd_param ps[2] = { { "input", shown ? shown : "" }, { "detail", (char *)detail } };
        if (mxd_catalog_get(b->cat, key, "text"))
            msg = mxd_catalog_format(b->cat, key, "text", ps, 2);
        free(shown);
    }
    en->json = error_line(en->line, en->input, key, detail, msg, 64);
    free(msg);
    if (!en->json)
        en->json = oom_line(en->line);
    en->exit_status = 64;
    en->st = E_DONE;
    b->nbad++;
}

/* Takes one complete line (without its line break). */
static void take_line(batch *b, const char *s, size_t len)
{
    unsigned long line = ++b->lineno;
    while (len && (s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    if (len == 0 || *s == '#')
        return;
    entry *en = push(b, line, s, len);
    if (!en) {
        b->oom = true; /* nothing sensible left to do */
        return;
    }
    /* A NUL byte inside the line would hide the rest of it from the normaliser. */
    if (memchr(s, '\0', len)) {
        mark_bad(b, en, MXD_IN_BAD_CHAR, "U+0000");
        return;
    }
    mxd_input_status st = mxd_input_normalize(en->input, &en->in);
    if (st != MXD_IN_OK) {
        mark_bad(b, en, st, en->in.detail);
        return;
    }
    en->st = E_QUEUED;
    b->queued++;
}

static void take_long_line(batch *b)
{
    entry *en = push(b, b->long_line, b->long_head, strlen(b->long_head));
    if (en)
        mark_bad(b, en, MXD_IN_TOO_LONG, "4096+");
    else
        b->oom = true;
}

/* Splits what is buffered into lines; keeps an unfinished last line. */
static void split_lines(batch *b, bool at_eof)
{
    const char *buf = b->inbuf.buf;
    size_t len = b->inbuf.len, pos = 0;
    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len;
        if (b->skipping_long) {
            if (!nl) {
                pos = len;
                break;
            }
            b->skipping_long = false;
            take_long_line(b);
            pos = end + 1;
            continue;
        }
        if (!nl && !at_eof) {
            if (len - pos > MXD_BATCH_LINE_MAX) {
                /* Keep a sanitisable head for the report, drop the rest. */
                b->long_line = ++b->lineno;
                size_t keep = len - pos < SHOWN_INPUT_MAX ? len - pos : SHOWN_INPUT_MAX;
                memcpy(b->long_head, buf + pos, keep);
                b->long_head[keep] = '\0';
                b->skipping_long = true;
                pos = len;
            }
            break;
        }
        if (end - pos > MXD_BATCH_LINE_MAX) {
            b->long_line = ++b->lineno;
            size_t keep = SHOWN_INPUT_MAX;
            memcpy(b->long_head, buf + pos, keep);
            b->long_head[keep] = '\0';
            take_long_line(b);
        } else {
            take_line(b, buf + pos, end - pos);
        }
        pos = nl ? end + 1 : len;
    }
    if (at_eof && b->skipping_long) {
        b->skipping_long = false;
        take_long_line(b);
    }
    mxd_sb_consume(&b->inbuf, pos);
}

static void on_input(mxd_loop *loop, int fd, unsigned ev, void *arg)
{
    (void)loop;
    (void)ev;
    batch *b = arg;
    char buf[READ_CHUNK];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        if (n < 0)
            fprintf(stderr, "mxdoctor: reading the batch input: %s\n", strerror(errno));
        b->eof = true;
        split_lines(b, true);
        return;
    }
    mxd_sb_append(&b->inbuf, buf, (size_t)n);
    /* A regular file read to its end needs no further read() to say so, and
     * the progress line can then show the total at once. */
    struct stat sb;
    off_t pos = lseek(fd, 0, SEEK_CUR);
    if (pos >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && pos >= sb.st_size)
        b->eof = true;
    split_lines(b, b->eof);
}

/* ---- running ---- */

static void on_engine_change(void *arg)
{
    entry *en = arg;
    en->poked = true;
    en->b->poked = true;
}

static void start(batch *b, entry *en)
{
    char err[256] = "";
    b->queued--;
    b->ndomains++;
    en->r = calloc(1, sizeof *en->r);
    en->e = en->r ? mxd_engine_new(b->loop, b->base, err, sizeof err) : NULL;
    if (!en->e || mxd_engine_start(en->e, &en->in, en->r, on_engine_change, en) < 0) {
        if (!err[0])
            snprintf(err, sizeof err, "%s", en->r ? "the diagnosis could not start" : "out of memory");
        mxd_engine_free(en->e);
        en->e = NULL;
        if (en->r) {
            mxd_result_free(en->r);
            free(en->r);
            en->r = NULL;
        }
        en->json = error_line(en->line, en->input, "msg.batch.engine", NULL, err, 3);
        if (!en->json)
            en->json = oom_line(en->line);
        en->exit_status = 3;
        if (b->worst < 3)
            b->worst = 3;
        en->st = E_DONE;
        return;
    }
    en->st = E_RUNNING;
    b->running++;
}

static void start_more(batch *b)
{
    while (b->running < b->jobs && b->queued > 0 && b->next_start < b->n) {
        entry *en = b->q[b->next_start++];
        if (en->st == E_QUEUED)
            start(b, en);
    }
}

/* The engine is done: the report becomes a JSON line and the engine and the
 * result are freed at once (a thousand results need not stay in memory). */
static void finish(batch *b, entry *en)
{
    mxd_engine_free(en->e);
    en->e = NULL;
    b->running--;
    mxd_result *r = en->r;
    snprintf(r->input, sizeof r->input, "%s", en->input);
    mxd_findings fs = { 0 };
    mxd_check_all(r, &fs);
    mxd_sb sb = MXD_SB_INIT;
    mxd_sb_printf(&sb, "{\"line\":%lu,", en->line);
    size_t prefix = sb.len;
    mxd_report_write(&sb, MXD_FMT_JSON, r, &fs, b->cat);
    en->exit_status = mxd_verdict_exit(mxd_verdict_of(&fs));
    mxd_findings_free(&fs);
    mxd_result_free(r);
    free(r);
    en->r = NULL;
    char *s = mxd_sb_ok(&sb) ? mxd_sb_take(&sb) : NULL;
    mxd_sb_free(&sb);
    /* The report starts with '{': drop it so the "line" key leads the object. */
    if (s && s[prefix] == '{') {
        memmove(s + prefix, s + prefix + 1, strlen(s + prefix + 1) + 1);
        size_t n = mxd_batch_compact_json(s);
        char *t = realloc(s, n + 2);
        if (t) {
            s = t;
            s[n] = '\n';
            s[n + 1] = '\0';
        } else {
            free(s);
            s = NULL;
        }
    } else {
        free(s);
        s = NULL;
    }
    en->json = s ? s : oom_line(en->line);
    if (!s)
        en->exit_status = 3;
    if (en->exit_status > b->worst)
        b->worst = en->exit_status;
    en->st = E_DONE;
}

static void reap(batch *b)
{
    if (!b->poked)
        return;
    b->poked = false;
    for (size_t i = b->head; i < b->n; i++) {
        entry *en = b->q[i];
        if (en->st == E_RUNNING && en->poked) {
            en->poked = false;
            if (mxd_engine_done(en->e))
                finish(b, en);
        }
    }
}

/* Every line read is accounted for: running ones are cancelled and, like the
 * ones read but not started yet, marked interrupted; finished ones stay. */
static void interrupt(batch *b, int sig)
{
    int status = 128 + sig;
    for (size_t i = b->head; i < b->n; i++) {
        entry *en = b->q[i];
        if (en->st == E_DONE)
            continue;
        if (en->st == E_RUNNING) {
            mxd_engine_cancel(en->e);
            mxd_engine_free(en->e);
            en->e = NULL;
            mxd_result_free(en->r);
            free(en->r);
            en->r = NULL;
            b->running--;
        } else {
            b->queued--;
        }
        en->json = error_line(en->line, en->input, "msg.batch.interrupted", NULL, NULL, status);
        if (!en->json)
            en->json = oom_line(en->line);
        en->st = E_DONE;
    }
}

/* ---- output ---- */

static void clear_progress(batch *b)
{
    if (b->progress && b->progress_shown) {
        fputs("\r\033[K", b->progress);
        fflush(b->progress);
        b->progress_shown = false;
    }
}

static void show_progress(batch *b, bool force)
{
    if (!b->progress)
        return;
    uint64_t now = mxd_now_ms();
    if (!force && now - b->last_progress < PROGRESS_EVERY_MS)
        return;
    b->last_progress = now;
    if (b->eof && !b->skipping_long)
        fprintf(b->progress, "\r%lu/%lu done, %u running\033[K", b->written, b->total, b->running);
    else
        fprintf(b->progress, "\r%lu done, %u running\033[K", b->written, b->running);
    fflush(b->progress);
    b->progress_shown = true;
}

static void flush_done(batch *b)
{
    bool any = false;
    while (b->head < b->n && b->q[b->head]->st == E_DONE && !b->write_failed) {
        entry *en = b->q[b->head];
        if (!any)
            clear_progress(b);
        any = true;
        size_t len = strlen(en->json);
        if (fwrite(en->json, 1, len, b->out) != len)
            b->write_failed = true;
        b->written++;
        entry_free(en);
        b->q[b->head++] = NULL;
        if (b->next_start < b->head)
            b->next_start = b->head;
    }
    if (any && fflush(b->out) != 0)
        b->write_failed = true;
}

static void update_input_watch(batch *b)
{
    size_t live = b->n - b->head;
    unsigned want = (!b->eof && b->queued < b->jobs && live < b->window) ? MXD_EV_READ : 0;
    if (!b->watching_in || want != b->in_events) {
        mxd_loop_watch(b->loop, b->in_fd, want, on_input, b);
        b->watching_in = true;
        b->in_events = want;
    }
}

/* Enough descriptors for every engine's sockets; a soft limit of 1024 is
 * common and a few hundred jobs with several MX each would run out. */
static void raise_fd_limit(unsigned jobs)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    rlim_t want = (rlim_t)jobs * 16u + 64u;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int mxd_batch_run(mxd_loop *loop, const mxd_options *base, int in_fd, unsigned jobs,
                  const mxd_catalog *cat, FILE *out, FILE *progress)
{
    batch b;
    memset(&b, 0, sizeof b);
    b.loop = loop;
    b.base = base;
    b.cat = cat;
    b.out = out;
    b.progress = progress;
    b.in_fd = in_fd;
    b.jobs = jobs == 0 ? MXD_BATCH_DEFAULT_JOBS : jobs > MXD_BATCH_MAX_JOBS ? MXD_BATCH_MAX_JOBS : jobs;
    /* Lines read ahead: enough to keep every job busy behind a slow head line,
     * few enough that finished reports waiting for it stay small. */
    b.window = (size_t)b.jobs * 8u + 64u;
    raise_fd_limit(b.jobs);

    stop_sig = 0;
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    bool have_pipe = pipe(sig_pipe) == 0;
    if (have_pipe) {
        for (int i = 0; i < 2; i++) {
            fcntl(sig_pipe[i], F_SETFL, fcntl(sig_pipe[i], F_GETFL) | O_NONBLOCK);
            fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC);
        }
        mxd_loop_watch(loop, sig_pipe[0], MXD_EV_READ, on_sig_pipe, NULL);
    } else {
        sig_pipe[0] = sig_pipe[1] = -1;
    }
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    for (;;) {
        if (stop_sig || b.write_failed || b.oom)
            break;
        start_more(&b);
        flush_done(&b); /* bad lines and engines that could not start */
        if (b.eof && b.head == b.n && !b.skipping_long)
            break;
        update_input_watch(&b);
        /* Without a self-pipe a signal must not wait for a long timer. */
        int wait = b.progress ? PROGRESS_EVERY_MS : have_pipe ? -1 : 200;
        if (mxd_loop_run_once(loop, wait) < 0) {
            fprintf(stderr, "mxdoctor: poll: %s\n", strerror(errno));
            stop_sig = SIGTERM;
            break;
        }
        reap(&b);
        flush_done(&b);
        show_progress(&b, false);
    }
    if (b.watching_in)
        mxd_loop_unwatch(loop, in_fd);

    int sig = stop_sig;
    if (sig && !b.write_failed) {
        interrupt(&b, sig);
        flush_done(&b);
    }
    if (!sig && !b.write_failed)
        show_progress(&b, true);
    clear_progress(&b);

    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (have_pipe) {
        mxd_loop_unwatch(loop, sig_pipe[0]);
        close(sig_pipe[0]);
        close(sig_pipe[1]);
        sig_pipe[0] = sig_pipe[1] = -1;
    }
    for (size_t i = b.head; i < b.n; i++)
        entry_free(b.q[i]);
    free(b.q);
    mxd_sb_free(&b.inbuf);

    if (b.write_failed)
        return 141;
    if (b.oom) {
        fprintf(stderr, "mxdoctor: out of memory\n");
        return 3;
    }
    if (sig)
        return 128 + sig;
    if (b.ndomains == 0 && b.nbad > 0)
        return 64;
    return b.worst;
}
