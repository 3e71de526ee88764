/* check_ui_screen.c — the wizard's layouts, headless: hand-built results and
 * findings, both languages, narrow and wide. White-box: it includes the UI's
 * private header to reach the doc builders that the screens draw. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/ui/uipriv.h"
#include "mxd/steps.h"

static const char cat_en[] =
    "[step.mx]\ntitle: MX records\nintro: An MX record tells senders where mail goes.\n"
    "[step.target]\ntitle: Mail server addresses\nintro: Each host needs an address.\n"
    "[step.smtp]\ntitle: Mail servers (SMTP)\nintro: Each server is asked for its greeting.\n"
    "[step.summary]\ntitle: Summary\nintro: The verdict first.\n"
    "[sev.pass]\nlabel: PASS\n[sev.info]\nlabel: INFO\n[sev.skip]\nlabel: SKIP\n"
    "[sev.warn]\nlabel: WARN\n[sev.fail]\nlabel: FAIL\n[sev.error]\nlabel: ERROR\n"
    "[verdict.fail]\ntitle: A problem stops mail\ntext: Mail does not arrive.\n"
    "[verdict.warn]\ntitle: Works, with warnings\ntext: Mail arrives, late.\n"
    "[verdict.pass]\ntitle: No problem found\ntext: All good.\n"
    "[verdict.error]\ntitle: Could not finish\ntext: Try again.\n"
    "[mx.found]\ntitle: {domain} has MX records\nwhat: The MX records of {domain} are {hosts}.\n"
    "why: Senders use them.\nnext: Nothing to fix. To check:\\n  nslookup -type=mx {domain}\n"
    "[smtp.refused]\ntitle: {host} refuses connections\nwhat: {host} ({addr}) refused port 25.\n"
    "why: Senders retry and then bounce.\nnext: Ask the mail provider to start the server.\n"
    "[smtp.no_starttls]\ntitle: {host} offers no encryption\nwhat: No STARTTLS on {host}.\n"
    "why: Mail travels in clear.\nnext: Enable STARTTLS.\n"
    "[target.cname]\ntitle: {host} is an alias\nwhat: {host} is a CNAME.\nwhy: Some senders refuse.\n"
    "next: Point the MX at the real name.\n"
    "[dns.error]\ntitle: DNS failed\nwhat: No answer.\nwhy: Unknown.\nnext: Retry.\n"
    "[glossary.mx]\nterm: MX record\ntext: The record that names a domain's mail servers.\n"
    "[glossary.ttl]\nterm: TTL\ntext: How long an answer may be cached.\n";

static const char cat_ja[] =
    "[step.mx]\ntitle: MXレコードの確認\nintro: MXレコードは、そのドメイン宛てのメールをどのサーバーが受け取るかを示す設定です。\n"
    "[step.target]\ntitle: メールサーバーのアドレス\nintro: 各ホストにはIPアドレスが必要です。\n"
    "[step.smtp]\ntitle: メールサーバー（SMTP）\nintro: 各サーバーのあいさつを確認します。\n"
    "[step.summary]\ntitle: まとめ\nintro: 判定を先に示します。\n"
    "[sev.pass]\nlabel: 正常\n[sev.info]\nlabel: 情報\n[sev.skip]\nlabel: 省略\n"
    "[sev.warn]\nlabel: 注意\n[sev.fail]\nlabel: 異常\n[sev.error]\nlabel: エラー\n"
    "[verdict.fail]\ntitle: メールが届かない問題があります\ntext: メールは届きません。\n"
    "[mx.found]\ntitle: {domain} にはMXレコードがあります\n"
    "what: {domain} のMXレコードは {hosts} です。優先度（数値が小さいほど優先）の順に、送信側のサーバーが接続を試みます。\n"
    "why: 送信側はこのレコードを見て配送先を決めます。\n"
    "next: 直すところはありません。確かめるには次を実行します。\\n  nslookup -type=mx {domain}\n"
    "[smtp.refused]\ntitle: {host} が接続を拒否しています\n"
    "what: {host}（{addr}）の25番ポートへの接続が拒否されました（「接続拒否」）。\n"
    "why: 送信側はしばらく再送し、その後エラーメール（バウンスメール）を返します。\n"
    "next: メールサービスの事業者に、サーバーが動いているか確認を依頼してください。\n"
    "[smtp.no_starttls]\ntitle: {host} は暗号化に対応していません\nwhat: STARTTLSがありません。\n"
    "why: メールが暗号化されずに届きます。\nnext: STARTTLSを有効にしてください。\n"
    "[target.cname]\ntitle: {host} は別名です\nwhat: CNAMEです。\nwhy: 拒否する送信側があります。\n"
    "next: 本来の名前を指定してください。\n"
    "[glossary.mx]\nterm: MXレコード\ntext: ドメインのメールサーバーを示すレコードです。\n";

static mxd_catalog *cats[MXD_LANG_COUNT];
static mxd_ui_config cfg;
static mxd_ui u;

static mxd_rr mx_rr(const char *name, uint16_t pref, const char *host)
{
    mxd_rr r;
    memset(&r, 0, sizeof r);
    mxd_rr_setf(&r.name, "%s", name);
    r.type = MXD_T_MX;
    r.rclass = 1;
    r.ttl = 300;
    r.u.mx.pref = pref;
    mxd_rr_setf(&r.u.mx.host, "%s", host);
    return r;
}

/* The help folder of the source tree: $MXDOCTOR_HELP, else "help" (make runs
 * the tests from the repository root). */
static const char *help_dir(void)
{
    const char *d = getenv("MXDOCTOR_HELP");
    return d && *d ? d : "help";
}

/* The wizard's real sentences (help/<lang>/ui.cat) and the bounce decoder's
 * texts (bounce.cat) after the fixture's own entries: the layouts are tested
 * with the texts users see. Caller frees. */
static char *with_ui_texts(const char *fixture, const char *lang)
{
    static const char *const files[] = { "ui.cat", "bounce.cat" };
    size_t fl = strlen(fixture), cap = fl + 65536, n = fl;
    char *b = malloc(cap + 1);
    ck_assert_ptr_nonnull(b);
    memcpy(b, fixture, fl);
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s/%s", help_dir(), lang, files[k]);
        FILE *f = fopen(path, "rb");
        ck_assert_msg(f != NULL, "cannot open %s", path);
        b[n++] = '\n';
        size_t r;
        while ((r = fread(b + n, 1, cap - n, f)) > 0) {
            n += r;
            if (n == cap) {
                cap *= 2;
                b = realloc(b, cap + 1);
                ck_assert_ptr_nonnull(b);
            }
        }
        fclose(f);
    }
    b[n] = '\0';
    return b;
}

static mxd_catalog *load_cat(const char *fixture, const char *lang)
{
    char err[256];
    char *text = with_ui_texts(fixture, lang);
    mxd_catalog *c = mxd_catalog_parse(text, strlen(text), lang, err, sizeof err);
    free(text);
    ck_assert_msg(c != NULL, "%s", err);
    return c;
}

static void setup(void)
{
    cats[MXD_LANG_EN] = load_cat(cat_en, "en");
    cats[MXD_LANG_JA] = load_cat(cat_ja, "ja");
    memset(&cfg, 0, sizeof cfg);
    cfg.cat[0] = cats[0];
    cfg.cat[1] = cats[1];
    memset(&u, 0, sizeof u);
    u.cfg = &cfg;
    u.have_input = true;
    snprintf(u.in.ascii, sizeof u.in.ascii, "example.jp");
    snprintf(u.in.unicode, sizeof u.in.unicode, "example.jp");

    mxd_result *r = &u.res;
    snprintf(r->domain, sizeof r->domain, "example.jp");
    snprintf(r->domain_ascii, sizeof r->domain_ascii, "example.jp");
    r->finished = true;
    r->mx.state = MXD_Q_OK;
    r->mx.type = MXD_T_MX;
    snprintf(r->mx.name, sizeof r->mx.name, "example.jp");
    snprintf(r->mx.server, sizeof r->mx.server, "127.0.0.1:5300");
    r->mx.msg = calloc(1, sizeof *r->mx.msg);
    r->mx.msg->nan = 3;
    r->mx.msg->an = calloc(3, sizeof(mxd_rr));
    r->mx.msg->an[0] = mx_rr("example.jp", 10, "mx1.example.jp");
    r->mx.msg->an[1] = mx_rr("example.jp", 20, "mx2.example.jp");
    /* a hostile TXT record in the additional data: must be shown escaped */
    mxd_rr *t = &r->mx.msg->an[2];
    mxd_rr_setf(&t->name, "example.jp");
    t->type = MXD_T_TXT;
    t->ttl = 60;
    t->data = (uint8_t *)strdup("v=spf1 \x1b]52;c;ZXZpbA==\x07 -all");
    t->data_len = strlen((char *)t->data);

    r->ntargets = 1;
    r->targets = calloc(1, sizeof *r->targets);
    mxd_target *tg = &r->targets[0];
    tg->pref = 10;
    snprintf(tg->host, sizeof tg->host, "mx1.example.jp");
    tg->duplicate_of = -1;
    tg->naddrs = 1;
    tg->addrs = calloc(1, sizeof *tg->addrs);
    tg->addrs[0].family = 2; /* AF_INET */
    snprintf(tg->addrs[0].text, sizeof tg->addrs[0].text, "192.0.2.25");
    tg->smtp = calloc(1, sizeof *tg->smtp);
    tg->smtp[0].state = MXD_SMTP_DONE;
    tg->smtp[0].end = MXD_SMTP_END_REFUSED;
    tg->smtp[0].transcript = strdup("C: (connect)\nS: connection refused\n");

    mxd_finding *f = mxd_findings_add(&u.fs, "mx", "mx.found", MXD_SEV_PASS, "");
    mxd_finding_param(f, "domain", "example.jp");
    mxd_finding_param(f, "hosts", "10 mx1.example.jp, 20 mx2.example.jp");
    f = mxd_findings_add(&u.fs, "smtp", "smtp.no_starttls", MXD_SEV_WARN, "mx2.example.jp");
    mxd_finding_param(f, "host", "mx2.example.jp");
    f = mxd_findings_add(&u.fs, "target", "target.cname", MXD_SEV_WARN, "mx2.example.jp");
    mxd_finding_param(f, "host", "mx2.example.jp");
    f->rank = 2;
    f = mxd_findings_add(&u.fs, "smtp", "smtp.refused", MXD_SEV_FAIL, "mx1.example.jp");
    mxd_finding_param(f, "host", "mx1.example.jp");
    mxd_finding_param(f, "addr", "192.0.2.25");
    f->rank = 1;
    f = mxd_findings_add(&u.fs, "mx", "dns.error", MXD_SEV_ERROR, "");
}

static void teardown(void)
{
    mxd_bounce_free(&u.bounce);
    mxd_result_free(&u.res);
    mxd_findings_free(&u.fs);
    mxd_catalog_free(cats[0]);
    mxd_catalog_free(cats[1]);
}

/* True when some line of d contains needle. */
static bool doc_has(const ui_doc *d, const char *needle, size_t *line)
{
    for (size_t i = 0; i < d->n; i++) {
        char *t = doc_line_text(d, i);
        bool hit = t && strstr(t, needle);
        free(t);
        if (hit) {
            if (line)
                *line = i;
            return true;
        }
    }
    return false;
}

static void assert_fits(const ui_doc *d, int width, const char *what)
{
    ck_assert_msg(!d->failed, "%s: allocation failed", what);
    for (size_t i = 0; i < d->n; i++)
        for (size_t j = 0; j < d->l[i].n; j++) {
            const ui_span *s = &d->l[i].v[j];
            ck_assert_msg(s->col >= 0 && s->col + s->width <= width,
                          "%s: line %zu span at %d+%d exceeds %d", what, i, s->col, s->width, width);
        }
}

START_TEST(test_step_docs_fit_every_width)
{
    static const int widths[] = { 58, 78, 118, 198 };
    for (int l = 0; l < MXD_LANG_COUNT; l++) {
        u.lang = (mxd_lang)l;
        for (size_t w = 0; w < sizeof widths / sizeof *widths; w++) {
            for (size_t st = 0; st < mxd_nsteps; st++) {
                ui_doc d = { 0 };
                build_step_doc(&u, st, widths[w], &d);
                char what[64];
                snprintf(what, sizeof what, "%s step %zu width %d", l ? "ja" : "en", st, widths[w]);
                assert_fits(&d, widths[w], what);
                doc_free(&d);
            }
            ui_doc d = { 0 };
            build_summary_doc(&u, widths[w], &d);
            assert_fits(&d, widths[w], "summary");
            doc_free(&d);
        }
    }
}
END_TEST

START_TEST(test_labels_are_words)
{
    u.lang = MXD_LANG_EN;
    ui_doc d = { 0 };
    build_step_doc(&u, 3, 78, &d); /* smtp */
    size_t fail_line, warn_line;
    ck_assert(doc_has(&d, " FAIL ", &fail_line));
    ck_assert(doc_has(&d, "mx1.example.jp refuses connections", NULL));
    ck_assert(doc_has(&d, " WARN ", &warn_line));
    ck_assert_uint_lt(fail_line, warn_line); /* worst first */
    doc_free(&d);
    u.lang = MXD_LANG_JA;
    memset(&d, 0, sizeof d);
    build_step_doc(&u, 3, 78, &d);
    ck_assert(doc_has(&d, " 異常 ", NULL));
    ck_assert(doc_has(&d, "状況：", NULL));
    ck_assert(doc_has(&d, "mx1.example.jp が接続を拒否しています", NULL));
    doc_free(&d);
}
END_TEST

START_TEST(test_commands_beside_when_wide)
{
    u.lang = MXD_LANG_EN;
    ui_doc d = { 0 };
    size_t title_line, cmd_line;
    build_step_doc(&u, 0, 198, &d);
    /* the worst finding (dns.error) opens the column; the commands box starts beside it */
    ck_assert(doc_has(&d, "DNS failed", &title_line));
    ck_assert(doc_has(&d, "Check it yourself", &cmd_line));
    ck_assert_uint_eq(title_line, cmd_line); /* side by side: same row */
    doc_free(&d);
    memset(&d, 0, sizeof d);
    build_step_doc(&u, 0, 78, &d);
    ck_assert(doc_has(&d, "has MX records", &title_line));
    ck_assert(doc_has(&d, "Check it yourself", &cmd_line));
    ck_assert_uint_gt(cmd_line, title_line + 3); /* below the finding panel */
    /* the equivalent command itself is there */
    ck_assert(doc_has(&d, "nslookup", NULL));
    doc_free(&d);
}
END_TEST

START_TEST(test_ranked_causes)
{
    size_t n;
    const mxd_finding **v = ui_ranked_causes(&u.fs, &n);
    ck_assert_uint_eq(n, 4); /* the PASS finding is no cause */
    ck_assert_str_eq(v[0]->id, "smtp.refused");     /* fail */
    ck_assert_str_eq(v[1]->id, "dns.error");        /* could not test */
    ck_assert_str_eq(v[2]->id, "target.cname");     /* warn, rank 2 */
    ck_assert_str_eq(v[3]->id, "smtp.no_starttls"); /* warn, unranked */
    free(v);
}
END_TEST

START_TEST(test_summary_reads_to_caller)
{
    u.lang = MXD_LANG_EN;
    ui_doc d = { 0 };
    build_summary_doc(&u, 78, &d);
    size_t a, b, c;
    ck_assert(doc_has(&d, "Read this to the caller", &a));
    ck_assert(doc_has(&d, "The most likely cause: mx1.example.jp refuses", &b));
    ck_assert(doc_has(&d, "What to do: Ask the mail provider", &c));
    ck_assert(a < b && b < c);
    ck_assert(doc_has(&d, "1.", NULL));
    doc_free(&d);
}
END_TEST

START_TEST(test_details_formats_records)
{
    u.lang = MXD_LANG_EN;
    ui_doc d = { 0 };
    build_details_doc(&u, 100, &d);
    ck_assert(doc_has(&d, "example.jp. 300 IN MX 10 mx1.example.jp.", NULL));
    ck_assert(doc_has(&d, "example.jp. 300 IN MX 20 mx2.example.jp.", NULL));
    ck_assert(doc_has(&d, "S: connection refused", NULL));
    ck_assert(doc_has(&d, "192.0.2.25:25", NULL));
    /* the escape sequence in the TXT record reaches the screen only as text */
    ck_assert(doc_has(&d, "\\x1B]52;c;ZXZpbA==", NULL));
    for (size_t i = 0; i < d.n; i++) {
        char *t = doc_line_text(&d, i);
        ck_assert_ptr_null(strchr(t, 0x1b));
        ck_assert_ptr_null(strchr(t, 0x07));
        free(t);
    }
    doc_free(&d);
}
END_TEST

START_TEST(test_glossary_names_the_other_language)
{
    u.lang = MXD_LANG_JA;
    ui_doc d = { 0 };
    build_glossary_doc(&u, 78, &d);
    ck_assert(doc_has(&d, "MXレコード (MX record)", NULL));
    doc_free(&d);
}
END_TEST

START_TEST(test_indented_lines_wrap_under_themselves)
{
    /* a command in a catalog "next" text, too long for the panel */
    ui_doc d = { 0 };
    doc_wrap_lead(&d, 0, 30, "Next:", ST_BOLD,
                  "To check:\n  Test-NetConnection mx1.example.jp -Port 25 (Windows PowerShell)",
                  ST_NORMAL);
    ck_assert_uint_ge(d.n, 3);
    char *l0 = doc_line_text(&d, 0), *l1 = doc_line_text(&d, 1), *l2 = doc_line_text(&d, 2);
    ck_assert_str_eq(l0, "Next: To check:");
    ck_assert_str_eq(l1, "  Test-NetConnection");     /* the paragraph keeps its indent */
    ck_assert(strncmp(l2, "    ", 4) == 0 && l2[4] != ' '); /* and wraps two further in */
    free(l0);
    free(l1);
    free(l2);
    assert_fits(&d, 30, "indented");
    doc_free(&d);
    /* a Japanese label ending in a full-width colon takes no extra space */
    doc_wrap_lead(&d, 0, 40, "対処：", ST_BOLD, "再送してください。", ST_NORMAL);
    l0 = doc_line_text(&d, 0);
    ck_assert_str_eq(l0, "対処：再送してください。");
    free(l0);
    doc_free(&d);
}
END_TEST

/* The wizard's sentences come from the catalog only: a missing one shows its
 * key, a present one is used as written, placeholders are filled and their
 * values sanitised. */
START_TEST(test_texts_from_catalog)
{
    ck_assert_str_eq(ui_text(NULL, T_TAGLINE), "[msg.ui.tagline.text]");
    ck_assert_str_eq(ui_text_key(T_STEP_COUNTER), "msg.ui.step_counter");
    char err[128];
    const char *o = "[msg.ui.tagline]\ntext: from the catalog\n"
                    "[msg.ui.export_fail]\ntext: {path}: {error} ({path}) {other}\n";
    mxd_catalog *c = mxd_catalog_parse(o, strlen(o), "o", err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert_str_eq(ui_text(c, T_TAGLINE), "from the catalog");
    ck_assert_str_eq(ui_text(c, T_Q_WHAT), "[msg.ui.q_what.text]");
    char *f = ui_fmt(c, T_EXPORT_FAIL, "path", "/tmp/r\x1b[2J.txt", "error", "line\nbreak", UI_END);
    ck_assert_str_eq(f, "/tmp/r\\x1B[2J.txt: line\nbreak (/tmp/r\\x1B[2J.txt) {other}");
    free(f);
    f = ui_fmt(c, T_WAITING, "n", "3", UI_END);
    ck_assert_str_eq(f, "[msg.ui.waiting.text]");
    free(f);
    mxd_catalog_free(c);

    /* the real catalog has every one of them, in both languages */
    for (int l = 0; l < MXD_LANG_COUNT; l++)
        for (int i = 0; i < T_COUNT; i++) {
            const char *t = ui_text(cats[l], (ui_text_id)i);
            ck_assert_msg(t[0] != '[' || strncmp(t, "[msg.ui.", 8) != 0, "%s: %s is missing",
                          l ? "ja" : "en", ui_text_key((ui_text_id)i));
        }
}
END_TEST

/* ---- the bounce paste box ---- */

START_TEST(test_paste_line_ends_and_controls)
{
    ui_paste p = { 0 };
    /* CR (Enter, or a terminal's paste), LF, and CR LF are one line end each;
     * TAB is a blank; ESC, BEL and C1 controls never get in */
    ck_assert(paste_insert_str(&p, "a\r\nb\rc\nd\te\x1b[31m\x07\xc2\x9b" "f"));
    ck_assert_str_eq(p.buf, "a\nb\nc\nd e[31mf");
    ck_assert_uint_eq(paste_nlines(&p), 4);
    ck_assert_uint_eq(p.cur, p.len);
    /* two Enters in a row are an empty line, not one line end */
    paste_do(&p, PASTE_CLEAR);
    ck_assert_uint_eq(p.len, 0);
    ck_assert_uint_eq(paste_nlines(&p), 0);
    paste_insert(&p, '\r');
    paste_insert(&p, '\r');
    paste_insert(&p, 'x');
    ck_assert_str_eq(p.buf, "\n\nx");
    ck_assert_uint_eq(paste_nlines(&p), 3);
    paste_free(&p);
}
END_TEST

START_TEST(test_paste_editing_by_character)
{
    ui_paste p = { 0 };
    paste_insert_str(&p, "550 例え\nline two");
    paste_do(&p, PASTE_HOME);                 /* start of "line two" */
    ck_assert_uint_eq(p.cur, strlen("550 例え\n"));
    paste_do(&p, PASTE_LEFT);                 /* onto the line end */
    ck_assert(paste_do(&p, PASTE_BACKSPACE)); /* え: three bytes, one character */
    ck_assert_str_eq(p.buf, "550 例\nline two");
    paste_do(&p, PASTE_BACKSPACE);
    ck_assert_str_eq(p.buf, "550 \nline two");
    paste_do(&p, PASTE_HOME);
    ck_assert_uint_eq(p.cur, 0);
    ck_assert(!paste_do(&p, PASTE_BACKSPACE)); /* nothing before the start */
    paste_do(&p, PASTE_DELETE);
    ck_assert_str_eq(p.buf, "50 \nline two");
    paste_do(&p, PASTE_END);
    ck_assert_uint_eq(p.cur, 3);
    paste_insert(&p, 0x4F8B); /* 例 typed in the middle */
    ck_assert_str_eq(p.buf, "50 例\nline two");
    ck_assert_uint_eq(p.cur, 6);
    paste_free(&p);
}
END_TEST

START_TEST(test_paste_box_is_bounded)
{
    ui_paste p = { 0 };
    char *chunk = malloc(UI_PASTE_MAX + 1);
    memset(chunk, 'a', UI_PASTE_MAX - 1);
    chunk[UI_PASTE_MAX - 1] = '\0';
    ck_assert(paste_insert_str(&p, chunk));
    ck_assert(!p.full);
    /* one byte left: a three-byte character does not fit and is not cut */
    ck_assert(!paste_insert(&p, 0x4F8B));
    ck_assert(p.full);
    ck_assert_uint_eq(p.len, UI_PASTE_MAX - 1);
    ck_assert(paste_insert(&p, 'z'));
    ck_assert_uint_eq(p.len, UI_PASTE_MAX);
    ck_assert(!paste_insert_str(&p, "more text that is dropped"));
    ck_assert_uint_eq(p.len, UI_PASTE_MAX);
    ck_assert_uint_eq(strlen(p.buf), UI_PASTE_MAX);
    /* emptying the box forgets that it overflowed */
    paste_do(&p, PASTE_CLEAR);
    ck_assert(!p.full);
    ck_assert(paste_insert(&p, 'a'));
    free(chunk);
    paste_free(&p);
}
END_TEST

static char *row_text(const ui_paste *p, const ui_prow *r)
{
    char *t = malloc(r->len + 1);
    memcpy(t, p->buf + r->off, r->len);
    t[r->len] = '\0';
    return t;
}

START_TEST(test_paste_layout_and_cursor)
{
    ui_paste p = { 0 };
    paste_insert_str(&p, "abcdef\n\n例例例");
    ui_prow *rows;
    size_t cr;
    int cc;
    size_t n = paste_layout(&p, 4, &rows, &cr, &cc);
    static const char *const want[] = { "abcd", "ef", "", "例例", "例" };
    ck_assert_uint_eq(n, 5);
    for (size_t i = 0; i < n; i++) {
        char *t = row_text(&p, &rows[i]);
        ck_assert_str_eq(t, want[i]);
        free(t);
        ck_assert_int_le(rows[i].width, 4);
    }
    ck_assert(!rows[0].eol && rows[1].eol && rows[2].eol && !rows[3].eol && rows[4].eol);
    ck_assert_uint_eq(cr, 4); /* at the end: after the last 例 */
    ck_assert_int_eq(cc, 2);
    free(rows);

    /* a cursor exactly at a cut belongs to the next row's start */
    p.cur = 4;
    paste_layout(&p, 4, &rows, &cr, &cc);
    ck_assert_uint_eq(cr, 1);
    ck_assert_int_eq(cc, 0);
    free(rows);
    /* up from there: the same column of the row above */
    p.cur = 5; /* "e|f" */
    ck_assert(paste_move_rows(&p, 4, -1));
    ck_assert_uint_eq(p.cur, 1);
    /* down into the wide characters: never inside one */
    p.cur = 3; /* "abc|d", column 3 */
    paste_move_rows(&p, 4, 3);
    paste_layout(&p, 4, &rows, &cr, &cc);
    ck_assert_uint_eq(cr, 3);
    ck_assert_int_eq(cc, 2); /* between 例 and 例: the cut is the next row's */
    free(rows);
    ck_assert(!paste_move_rows(&p, 4, 0));
    paste_free(&p);

    /* the empty box is one empty row with the cursor in it */
    memset(&p, 0, sizeof p);
    n = paste_layout(&p, 10, &rows, &cr, &cc);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(rows[0].len, 0);
    ck_assert_uint_eq(cr, 0);
    free(rows);
    ck_assert(!paste_move_rows(&p, 10, 1));
    ck_assert(!paste_do(&p, PASTE_BACKSPACE));
    ck_assert(!paste_do(&p, PASTE_END));
}
END_TEST

/* A Postfix bounce with an RFC 3464 part: two recipients, one a temporary
 * server problem at the recipient's domain, one the sender's DMARC. */
static const char dsn[] =
    "This is the mail system at host mail.sender.example.\n"
    "\n"
    "<hanako@example.org>: host mx.example.org[198.51.100.7] said: 451 4.4.1\n"
    "    Temporary failure, try again later (in reply to end of DATA command)\n"
    "\n"
    "Reporting-MTA: dns; mail.sender.example\n"
    "X-Postfix-Sender: rfc822; taro@sender.example\n"
    "\n"
    "Final-Recipient: rfc822; hanako@example.org\n"
    "Action: delayed\n"
    "Status: 4.4.1\n"
    "Diagnostic-Code: smtp; 451 4.4.1 Temporary failure, try again later\n"
    "\n"
    "Final-Recipient: rfc822; jiro@example.net\n"
    "Action: failed\n"
    "Status: 5.7.26\n"
    "Diagnostic-Code: smtp; 550 5.7.26 Unauthenticated email is not accepted\n"
    "    because the DMARC policy of the sender domain requires it.\n";

static void decode_into_ui(const char *text, size_t len)
{
    mxd_bounce_free(&u.bounce);
    ck_assert_int_eq(mxd_bounce_parse(text, len, &u.bounce), 0);
}

START_TEST(test_bounce_panels)
{
    decode_into_ui(dsn, strlen(dsn));
    ck_assert_uint_eq(u.bounce.n, 2);
    static const int widths[] = { 58, 78, 118, 198 };
    for (int l = 0; l < MXD_LANG_COUNT; l++) {
        u.lang = (mxd_lang)l;
        for (size_t w = 0; w < sizeof widths / sizeof *widths; w++) {
            ui_doc d = { 0 };
            build_bounce_doc(&u, widths[w], &d);
            char what[64];
            snprintf(what, sizeof what, "%s bounce width %d", l ? "ja" : "en", widths[w]);
            assert_fits(&d, widths[w], what);
            doc_free(&d);
        }
    }
    u.lang = MXD_LANG_EN;
    ui_doc d = { 0 };
    build_bounce_doc(&u, 118, &d);
    char *t1 = mxd_catalog_format(cats[0], "bounce.4.4.1", "title", NULL, 0);
    size_t warn_line, fail_line, l1, l2;
    ck_assert_msg(doc_has(&d, t1, &warn_line), "no title \"%s\"", t1);
    ck_assert(doc_has(&d, " WARN ", NULL));
    ck_assert(doc_has(&d, " FAIL ", &fail_line));
    ck_assert_uint_gt(fail_line, warn_line); /* in the order of the bounce */
    ck_assert(doc_has(&d, "Statuses found in the pasted text: 2", NULL));
    ck_assert(doc_has(&d, "Codes: 451 4.4.1  (bounce.4.4.1, Postfix)", NULL));
    ck_assert(doc_has(&d, "Recipient: hanako@example.org", NULL));
    ck_assert(doc_has(&d, "Server said: Temporary failure, try again later", NULL));
    /* the step that checks it, by the wizard's own title, and its key */
    ck_assert(doc_has(&d, "Checked by step: Mail servers (SMTP)", &l1));
    ck_assert(doc_has(&d, "Press 1 to diagnose example.org now.", &l2));
    ck_assert_uint_gt(l2, l1);
    ck_assert(doc_has(&d, "mxdoctor --report example.org", NULL));
    /* a sender-side cause is checked on the sender's own domain */
    ck_assert(doc_has(&d, "Press 2 to diagnose your own domain sender.example now.", NULL));
    ck_assert(doc_has(&d, "mxdoctor --report sender.example", NULL));
    free(t1);
    doc_free(&d);

    u.lang = MXD_LANG_JA;
    memset(&d, 0, sizeof d);
    build_bounce_doc(&u, 78, &d);
    char *t2 = mxd_catalog_format(cats[1], "bounce.5.7.26", "title", NULL, 0);
    ck_assert_msg(doc_has(&d, t2, NULL), "no title \"%s\"", t2);
    ck_assert(doc_has(&d, "宛先：jiro@example.net", NULL));
    ck_assert(doc_has(&d, "1 キーを押すと、example.org をすぐに診断します。", NULL));
    free(t2);
    doc_free(&d);
}
END_TEST

START_TEST(test_bounce_without_target_or_status)
{
    /* an unknown user: nothing to check in DNS, so no key to press */
    static const char line[] =
        "Jan 10 12:00:01 mail postfix/smtp[1234]: 4B3C2: to=<taro@example.jp>, "
        "relay=mx1.example.jp[192.0.2.1]:25, dsn=5.1.1, status=bounced (host "
        "mx1.example.jp[192.0.2.1] said: 550 5.1.1 <taro@example.jp>: Recipient "
        "address rejected: User unknown (in reply to RCPT TO command))";
    decode_into_ui(line, sizeof line - 1);
    ck_assert_uint_eq(u.bounce.n, 1);
    u.lang = MXD_LANG_EN;
    ui_doc d = { 0 };
    build_bounce_doc(&u, 78, &d);
    ck_assert(doc_has(&d, "Codes: 550 5.1.1  (bounce.5.1.1, Postfix)", NULL));
    ck_assert(!doc_has(&d, "Press 1", NULL));
    ck_assert(!doc_has(&d, "mxdoctor --report", NULL));
    ck_assert_int_eq(ui_bounce_jump(&u, 0), UI_NOP);      /* nothing to jump to */
    ck_assert_int_eq(ui_bounce_jump(&u, 1), UI_UNHANDLED); /* no such status */
    doc_free(&d);

    /* nothing recognised: the catalog says what to paste instead */
    decode_into_ui("hello, nothing here", 19);
    memset(&d, 0, sizeof d);
    build_bounce_doc(&u, 78, &d);
    char *none = mxd_catalog_format(cats[0], "explain.none_found", "text", NULL, 0);
    char first[40];
    snprintf(first, sizeof first, "%.30s", none);
    ck_assert_msg(doc_has(&d, first, NULL), "no \"%s\"", first);
    free(none);
    doc_free(&d);
}
END_TEST

START_TEST(test_bounce_server_text_sanitised)
{
    /* the server's words with a screen-clearing escape, a title-setting OSC
     * and a right-to-left override: shown as text, never as control bytes */
    static const char hostile[] =
        "<a@example.org>: host mx.example.org[198.51.100.7] said: 550 5.7.1 "
        "\x1b[2J\x1b]0;pwned\x07 blocked \xe2\x80\xae gpj.exe\r\n";
    decode_into_ui(hostile, sizeof hostile - 1);
    ck_assert_uint_ge(u.bounce.n, 1);
    for (int l = 0; l < MXD_LANG_COUNT; l++) {
        u.lang = (mxd_lang)l;
        ui_doc d = { 0 };
        build_bounce_doc(&u, 78, &d);
        ck_assert(doc_has(&d, "blocked", NULL));
        for (size_t i = 0; i < d.n; i++) {
            char *t = doc_line_text(&d, i);
            for (const char *c = t; *c; c++)
                ck_assert_msg((unsigned char)*c >= 0x20 && *c != 0x7f, "control byte in: %s", t);
            ck_assert_ptr_null(strstr(t, "\xe2\x80\xae"));
            free(t);
        }
        doc_free(&d);
    }
}
END_TEST

/* ---- details of the propagation and policy steps ---- */

static mxd_mxanswer one_mx(uint16_t pref, const char *host, uint32_t ttl)
{
    mxd_mxanswer a = { 0 };
    a.state = MXD_Q_OK;
    a.v = calloc(1, sizeof *a.v);
    a.v[0].pref = pref;
    snprintf(a.v[0].host, sizeof a.v[0].host, "%s", host);
    a.n = 1;
    a.ttl = ttl;
    a.ttl_known = true;
    return a;
}

static void lookup(mxd_plookup *l, uint16_t type, const char *name, const char *rec, size_t len)
{
    l->state = MXD_Q_OK;
    l->type = type;
    snprintf(l->name, sizeof l->name, "%s", name);
    l->rec = calloc(1, sizeof *l->rec);
    l->len = calloc(1, sizeof *l->len);
    l->rec[0] = malloc(len + 1);
    memcpy(l->rec[0], rec, len);
    l->rec[0][len] = '\0';
    l->len[0] = len;
    l->nrec = 1;
}

static bool doc_clean(const ui_doc *d)
{
    for (size_t i = 0; i < d->n; i++) {
        char *t = doc_line_text(d, i);
        for (const char *c = t; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f) {
                free(t);
                return false;
            }
        free(t);
    }
    return true;
}

START_TEST(test_details_propagation)
{
    char *tz = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
    setenv("TZ", "UTC", 1);
    tzset();
    mxd_propagation p = { 0 };
    p.phase = MXD_PROP_DONE;
    snprintf(p.domain, sizeof p.domain, "example.jp");
    snprintf(p.zone, sizeof p.zone, "example.jp");
    p.zone_state = MXD_ZONE_FOUND;
    p.nservers = 2;
    p.servers = calloc(2, sizeof *p.servers);
    mxd_prop_server *a = &p.servers[0], *b = &p.servers[1];
    snprintf(a->name, sizeof a->name, "ns1.example.jp");
    a->addr.family = 2;
    snprintf(a->addr.text, sizeof a->addr.text, "192.0.2.53");
    a->state = MXD_AUTHSRV_OK;
    a->aa = a->has_soa = true;
    a->serial = 2024010102;
    a->soa_ttl = 3600;
    a->soa_minimum = 300;
    a->mx = one_mx(10, "mx1.example.jp", 300);
    /* a lame server whose name carries an escape sequence */
    snprintf(b->name, sizeof b->name, "ns2.\x1b[2Jexample.jp");
    b->addr.family = 2;
    snprintf(b->addr.text, sizeof b->addr.text, "192.0.2.54");
    b->state = MXD_AUTHSRV_LAME;
    snprintf(b->reason, sizeof b->reason, "no_aa");
    b->has_soa = true;
    b->serial = 2024010101;
    b->mx = one_mx(10, "old-mx.example.jp", 300);
    p.nresolvers = 1;
    p.resolvers = calloc(1, sizeof *p.resolvers);
    mxd_prop_resolver *r = &p.resolvers[0];
    snprintf(r->server, sizeof r->server, "192.0.2.1:53");
    snprintf(r->label, sizeof r->label, "google");
    r->compare = true;
    r->mx = one_mx(10, "old-mx.example.jp", 1234);
    r->answered_at = 1700000000;
    r->expires_at = 1700000000 + 1234;

    u.lang = MXD_LANG_EN;
    ui_doc d = { 0 };
    build_prop_details(&u, &p, 98, &d);
    ck_assert(doc_has(&d, "Authoritative servers of example.jp", NULL));
    ck_assert(doc_has(&d, "ns1.example.jp  192.0.2.53  ok  aa  serial 2024010102  soa ttl 3600", NULL));
    ck_assert(doc_has(&d, "lame (no_aa)  no aa  serial 2024010101", NULL));
    ck_assert(doc_has(&d, "\\x1B[2J", NULL));
    ck_assert(doc_has(&d, "MX 10 mx1.example.jp  ttl 300", NULL));
    ck_assert(doc_has(&d, "192.0.2.1:53 (google)  --compare-resolvers", NULL));
    ck_assert(doc_has(&d, "MX 10 old-mx.example.jp  ttl 1234", NULL));
    ck_assert(doc_has(&d, "remaining TTL 1234 s, expires 2023-11-14 22:33:54", NULL));
    ck_assert(doc_clean(&d));
    assert_fits(&d, 98, "propagation details");
    doc_free(&d);
    u.lang = MXD_LANG_JA;
    memset(&d, 0, sizeof d);
    build_prop_details(&u, &p, 58, &d);
    ck_assert(doc_has(&d, "残りTTL 1234 秒", NULL));
    assert_fits(&d, 58, "propagation details ja");
    doc_free(&d);
    /* a step that did not run adds nothing */
    mxd_propagation none = { 0 };
    memset(&d, 0, sizeof d);
    build_prop_details(&u, &none, 58, &d);
    ck_assert_uint_eq(d.n, 0);
    mxd_propagation_result_free(&p);
    if (tz) {
        setenv("TZ", tz, 1);
        free(tz);
    } else {
        unsetenv("TZ");
    }
    tzset();
}
END_TEST

static void spf_line(mxd_spf_outcome *o, mxd_spf_line_kind k, unsigned depth, const char *domain,
                     const char *text, const char *target, bool counts, unsigned lookups)
{
    mxd_spf_line *l = &o->lines[o->nlines++];
    l->kind = k;
    l->depth = depth;
    l->domain = strdup(domain);
    l->text = text ? strdup(text) : NULL;
    l->target = target ? strdup(target) : NULL;
    l->counts = counts;
    l->lookups = lookups;
    l->qualifier = '+';
}

START_TEST(test_details_policy)
{
    mxd_policy_result p = { 0 };
    p.started = p.finished = true;
    snprintf(p.domain, sizeof p.domain, "example.jp");
    mxd_spf_outcome *o = &p.spf.walk;
    p.spf.walked = true;
    o->walk = true;
    o->result = MXD_SPF_NEUTRAL;
    o->lookups = 2;
    o->lines = calloc(8, sizeof *o->lines);
    spf_line(o, MXD_SPF_LINE_RECORD, 0, "example.jp",
             "v=spf1 include:_spf.example.net mx -all", NULL, false, 0);
    spf_line(o, MXD_SPF_LINE_TERM, 0, "example.jp", "include:_spf.example.net",
             "_spf.example.net", true, 1);
    spf_line(o, MXD_SPF_LINE_RECORD, 1, "_spf.example.net", "v=spf1 ip4:192.0.2.0/24 ~all", NULL,
             false, 0);
    spf_line(o, MXD_SPF_LINE_TERM, 1, "_spf.example.net", "ip4:192.0.2.0/24", NULL, false, 1);
    spf_line(o, MXD_SPF_LINE_TERM, 0, "example.jp", "mx", "example.jp", true, 2);
    o->lines[4].mech = MXD_SPF_T_MX;
    o->lines[4].mx_count = 2;
    lookup(&p.dmarc.at_domain, MXD_T_TXT, "_dmarc.example.jp",
           "v=DMARC1; p=reject; rua=mailto:d@example.jp", 43);
    p.dmarc.discovered = true;
    p.dmarc.nrecords = 1;
    snprintf(p.dmarc.record_name, sizeof p.dmarc.record_name, "_dmarc.example.jp");
    p.dmarc.rec.valid = true;
    p.dmarc.rec.p = MXD_DMARC_REJECT;
    p.dmarc.rec.pct = 100;
    /* a TXT record with an escape sequence and a NUL byte */
    lookup(&p.tlsrpt, MXD_T_TXT, "_smtp._tls.example.jp", "v=TLSRPTv1; rua=mailto:\x1b[2Jx\0y", 31);
    p.mtasts.state = MXD_MTASTS_OK;
    snprintf(p.mtasts.record, sizeof p.mtasts.record, "v=STSv1; id=20240101");
    p.mtasts.policy.mode = MXD_MTASTS_MODE_ENFORCE;
    p.mtasts.policy.max_age = 86400;
    p.mtasts.policy.mx = calloc(1, sizeof(char *));
    p.mtasts.policy.mx[0] = strdup("mx1.example.jp");
    p.mtasts.policy.nmx = 1;
    p.ndkim = 2;
    p.dkim = calloc(2, sizeof *p.dkim);
    snprintf(p.dkim[0].selector, sizeof p.dkim[0].selector, "google");
    p.dkim[0].q.state = MXD_Q_NXDOMAIN;
    p.dkim[0].q.type = MXD_T_TXT;
    snprintf(p.dkim[1].selector, sizeof p.dkim[1].selector, "s1");
    lookup(&p.dkim[1].q, MXD_T_TXT, "s1._domainkey.example.jp", "v=DKIM1; k=rsa; p=MIIB", 22);
    p.dkim[1].key.is_key = p.dkim[1].key.valid = true;
    snprintf(p.dkim[1].key.ktype, sizeof p.dkim[1].key.ktype, "rsa");
    p.dkim[1].key.bits = 2048;

    u.lang = MXD_LANG_EN;
    ui_doc d = { 0 };
    build_policy_details(&u, &p, 98, &d);
    size_t top, inc, sub;
    ck_assert(doc_has(&d, ";; walk: neutral  lookups 2/10  void lookups 0/2", NULL));
    ck_assert(doc_has(&d, "  example.jp  \"v=spf1 include:_spf.example.net mx -all\"", &top));
    ck_assert(doc_has(&d, "    include:_spf.example.net  [lookup 1]", &inc));
    /* the included record one level further in, right after its include */
    ck_assert(doc_has(&d, "    _spf.example.net  \"v=spf1 ip4:192.0.2.0/24 ~all\"", &sub));
    ck_assert(top < inc && inc < sub);
    ck_assert(doc_has(&d, "    mx  -> example.jp  [lookup 2]  2 MX", NULL));
    ck_assert(doc_has(&d, "\"v=DMARC1; p=reject; rua=mailto:d@example.jp\"", NULL));
    ck_assert(doc_has(&d, ";; applies: _dmarc.example.jp  p=reject pct=100", NULL));
    ck_assert(doc_has(&d, "\\x1B[2Jx\\x00y", NULL));
    ck_assert(doc_has(&d, ";; no key: google", NULL));
    ck_assert(doc_has(&d, ";; rsa 2048 bits", NULL));
    ck_assert(doc_has(&d, "mode: enforce  max_age: 86400  mx: mx1.example.jp", NULL));
    ck_assert(doc_clean(&d));
    assert_fits(&d, 98, "policy details");
    doc_free(&d);
    u.lang = MXD_LANG_JA;
    memset(&d, 0, sizeof d);
    build_policy_details(&u, &p, 58, &d);
    ck_assert(doc_has(&d, "受信側のポリシーレコード", NULL));
    assert_fits(&d, 58, "policy details ja");
    doc_free(&d);
    mxd_policy_result_free(&p);
}
END_TEST

/* ---- atomic export ---- */

static char tmpdir[256];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/mxd-uitest-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *b = calloc(1, 4096);
    size_t n = fread(b, 1, 4095, f);
    b[n] = '\0';
    fclose(f);
    return b;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

START_TEST(test_export_never_overwrites_unasked)
{
    make_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/report.txt", tmpdir);
    ck_assert_int_eq(ui_write_atomic(path, "first\n", 6, false), 0);
    char *b = slurp(path);
    ck_assert_str_eq(b, "first\n");
    free(b);
    /* a second save without permission is refused and changes nothing */
    ck_assert_int_eq(ui_write_atomic(path, "second\n", 7, false), EEXIST);
    b = slurp(path);
    ck_assert_str_eq(b, "first\n");
    free(b);
    /* with permission it replaces the file */
    ck_assert_int_eq(ui_write_atomic(path, "second\n", 7, true), 0);
    b = slurp(path);
    ck_assert_str_eq(b, "second\n");
    free(b);
    /* no temporary file is left behind */
    ck_assert_int_eq(count_entries(tmpdir), 1);
    /* a folder that does not exist is an error, not a crash */
    char bad[600];
    snprintf(bad, sizeof bad, "%s/missing/report.txt", tmpdir);
    ck_assert_int_eq(ui_write_atomic(bad, "x", 1, false), ENOENT);
    ck_assert_int_eq(ui_write_atomic(tmpdir, "x", 1, true), EISDIR);
    ck_assert_int_eq(count_entries(tmpdir), 1);
    unlink(path);
    rmdir(tmpdir);
}
END_TEST

START_TEST(test_expand_path)
{
    setenv("HOME", "/home/someone", 1);
    char *p = ui_expand_path("~/r.txt");
    ck_assert_str_eq(p, "/home/someone/r.txt");
    free(p);
    p = ui_expand_path("~other/r.txt");
    ck_assert_str_eq(p, "~other/r.txt");
    free(p);
}
END_TEST

static Suite *ui_suite(void)
{
    Suite *s = suite_create("ui_screen");
    TCase *tc = tcase_create("layout");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_step_docs_fit_every_width);
    tcase_add_test(tc, test_labels_are_words);
    tcase_add_test(tc, test_commands_beside_when_wide);
    tcase_add_test(tc, test_ranked_causes);
    tcase_add_test(tc, test_summary_reads_to_caller);
    tcase_add_test(tc, test_details_formats_records);
    tcase_add_test(tc, test_details_propagation);
    tcase_add_test(tc, test_details_policy);
    tcase_add_test(tc, test_glossary_names_the_other_language);
    tcase_add_test(tc, test_indented_lines_wrap_under_themselves);
    suite_add_tcase(s, tc);
    TCase *tp = tcase_create("bounce");
    tcase_add_checked_fixture(tp, setup, teardown);
    tcase_add_test(tp, test_paste_line_ends_and_controls);
    tcase_add_test(tp, test_paste_editing_by_character);
    tcase_add_test(tp, test_paste_box_is_bounded);
    tcase_add_test(tp, test_paste_layout_and_cursor);
    tcase_add_test(tp, test_bounce_panels);
    tcase_add_test(tp, test_bounce_without_target_or_status);
    tcase_add_test(tp, test_bounce_server_text_sanitised);
    suite_add_tcase(s, tp);
    TCase *tt = tcase_create("texts");
    tcase_add_checked_fixture(tt, setup, teardown);
    tcase_add_test(tt, test_texts_from_catalog);
    suite_add_tcase(s, tt);
    TCase *te = tcase_create("export");
    tcase_add_test(te, test_export_never_overwrites_unasked);
    tcase_add_test(te, test_expand_path);
    suite_add_tcase(s, te);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ui_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
