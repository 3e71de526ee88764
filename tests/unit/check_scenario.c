/* check_scenario.c — the scenario format: built-in files, errors with their lines
 * (as shown in English and Japanese through the real catalogs in help/), field
 * values, and write-then-read round trips. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mxd/sanitize.h"
#include "mxd/scenario.h"
#include "mxd/steps.h"
#include "mxd/strbuf.h"

#define E(code) MXD_SCN_E_##code

static const char *help_dir(void)
{
    const char *h = getenv("MXDOCTOR_HELP");
    return h && *h ? h : "help";
}

/* The real catalogs, loaded once for the whole suite (an unchecked fixture, so
 * forked tests share them). */
static mxd_catalog *cats[MXD_LANG_COUNT];

static void load_cats(void)
{
    for (int l = 0; l < MXD_LANG_COUNT; l++) {
        char why[512];
        cats[l] = mxd_catalog_load(help_dir(), (mxd_lang)l, why, sizeof why);
        ck_assert_msg(cats[l] != NULL, "%s", why);
    }
}

static void free_cats(void)
{
    for (int l = 0; l < MXD_LANG_COUNT; l++) {
        mxd_catalog_free(cats[l]);
        cats[l] = NULL;
    }
}

/* e in English, as a teacher reads it, into buf. */
static void english(const mxd_scn_error *e, char *buf, size_t len)
{
    char *t = mxd_scn_error_format(e, cats[MXD_LANG_EN]);
    snprintf(buf, len, "%s", t ? t : "(out of memory)");
    free(t);
}

/* A minimal valid header, so each malformed case differs in one place only. */
#define HDR "id: t\ndomain: t.lab.test\ntitle.en: T\ntitle.ja: テスト\n"

static int parse_e(const char *text, mxd_scenario *s, mxd_scn_error *e)
{
    return mxd_scenario_parse(text, strlen(text), "t.scn", s, e);
}

/* The parsers, with the error in English in err (for the tests' messages). */
static int parse_n(const char *text, size_t len, const char *name, mxd_scenario *s, char *err,
                   size_t errlen)
{
    mxd_scn_error e;
    int rc = mxd_scenario_parse(text, len, name, s, &e);
    english(&e, err, errlen);
    return rc;
}

static int parse(const char *text, mxd_scenario *s, char *err, size_t errlen)
{
    return parse_n(text, strlen(text), "t.scn", s, err, errlen);
}

static const mxd_rr *find_rr(const mxd_scn_zone *z, const char *name, uint16_t type, size_t nth)
{
    for (size_t i = 0; i < z->nrrs; i++)
        if (z->rrs[i].type == type && strcmp(z->rrs[i].name, name) == 0 && nth-- == 0)
            return &z->rrs[i];
    return NULL;
}

/* ------------------------------------------------------------ built-in files */

/* tests/integration/t_scenarios.sh reads "expect:" with sed, one line, ids split
 * by spaces: built-in files keep that simple form (the parser allows more). */
static void assert_expect_on_one_line(const mxd_scenario *s)
{
    FILE *f = fopen(s->path, "r");
    ck_assert_ptr_nonnull(f);
    char line[4096];
    int found = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "expect:", 7) == 0) {
            found++;
            size_t k = 0;
            for (char *save = NULL, *t = strtok_r(line + 7, " \t\n", &save); t;
                 t = strtok_r(NULL, " \t\n", &save), k++) {
                ck_assert_msg(k < s->nexpect, "%s: expect line has extra ids", s->path);
                ck_assert_str_eq(t, s->expect[k]);
            }
            ck_assert_msg(k == s->nexpect, "%s: expect continues past its line", s->path);
        }
    fclose(f);
    ck_assert_msg(found == 1, "%s: %d expect lines", s->path, found);
}

START_TEST(test_builtin_all_parse)
{
    mxd_scenario *list;
    size_t nfailed = 99;
    mxd_scn_error e;
    char err[1024];
    size_t n = mxd_scenario_list_checked(help_dir(), &list, &nfailed, &e);
    english(&e, err, sizeof err);
    ck_assert_msg(nfailed == 0, "a built-in scenario does not parse: %s", err);
    ck_assert_uint_ge(n, 17);
    for (size_t i = 0; i < n; i++) {
        const mxd_scenario *s = &list[i];
        for (int l = 0; l < MXD_LANG_COUNT; l++) {
            ck_assert_msg(s->title[l] && *s->title[l], "%s: title", s->path);
            ck_assert_msg(s->question[l] && *s->question[l], "%s: question", s->path);
            ck_assert_msg(s->hint[l] && *s->hint[l], "%s: hint", s->path);
            ck_assert_msg(s->answer[l] && *s->answer[l], "%s: answer", s->path);
        }
        ck_assert_msg(s->nexpect > 0, "%s: no expect", s->path);
        assert_expect_on_one_line(s);
        ck_assert_msg(strcmp(s->level, "beginner") == 0 || strcmp(s->level, "advanced") == 0,
                      "%s: level", s->path);
        ck_assert_msg(strlen(s->domain) > 9 &&
                          strcmp(s->domain + strlen(s->domain) - 9, ".lab.test") == 0,
                      "%s: domain %s is not under lab.test", s->path, s->domain);
        for (size_t k = 0; k < s->nsmtp; k++)
            ck_assert_msg(strncmp(s->smtp[k].addr, "127.0.53.", 9) == 0,
                          "%s: smtp %s outside 127.0.53.0/24", s->path, s->smtp[k].addr);
        /* The list is sorted by file name. */
        if (i > 0)
            ck_assert_str_lt(list[i - 1].path, s->path);
    }
    for (size_t i = 0; i < n; i++)
        mxd_scenario_free(&list[i]);
    free(list);
}
END_TEST

/* The scenarios the workshop brief asks for exist, with the lesson's key finding. */
START_TEST(test_builtin_cover_lessons)
{
    static const struct { const char *id, *finding; } want[] = {
        { "healthy", "smtp.ok" },
        { "implicit-mx", "mx.none_implicit" },
        { "no-mx-no-address", "mx.none_no_address" },
        { "nxdomain", "mx.nxdomain" },
        { "null-mx", "mx.null" },
        { "null-mx-mixed", "mx.null_mixed" },
        { "cname", "target.cname" },
        { "ip-literal", "target.ip_literal" },
        { "missing-dot", "target.no_address" },
        { "private-address", "target.private" },
        { "primary-down", "smtp.primary_down" },
        { "all-down", "smtp.all_down" },
        { "priority-inverted", "smtp.ok" },
        { "no-starttls", "smtp.no_starttls" },
        { "cert-expired", "smtp.cert_expired" },
        { "cert-wrong-name", "smtp.cert_name_mismatch" },
        { "cert-self-signed", "smtp.cert_untrusted" },
        { "greeting-554", "smtp.greeting_reject" },
        { "many-mx", "mx.found" },
        { "starttls-injection", "smtp.starttls_injection" },
        { "connection-closed", "smtp.closed" },
        { "not-smtp", "smtp.protocol_error" },
        { "tls-garbage", "smtp.tls_failed" },
        { "op25b", "smtp.port25_blocked_suspected" },
        { "mx-dns-down", "target.dns_error" },
        { "hostile-split", "smtp.ok" },
        { "hostile-tarpit", "smtp.timeout" },
        { "hostile-longline", "smtp.protocol_error" },
        { "hostile-endless", "smtp.protocol_error" },
        { "hostile-bytes", "smtp.ok" },
        { "hostile-escapes", "smtp.ok" },
        { "hostile-bidi", "smtp.ok" },
        { "hostile-reset", "smtp.closed" },
        { "hostile-noread", "smtp.timeout" },
        { "dane-ok", "dane.match" },
        { "dane-key-renewed", "dane.mismatch" },
        { "dane-unsigned", "dane.present" },
        { "dane-no-starttls", "dane.no_starttls" },
    };
    mxd_scenario *list;
    size_t n = mxd_scenario_list(help_dir(), &list);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const mxd_scenario *s = mxd_scenario_find(list, n, want[i].id);
        ck_assert_msg(s != NULL, "no scenario %s", want[i].id);
        bool found = false;
        for (size_t k = 0; k < s->nexpect; k++)
            found |= strcmp(s->expect[k], want[i].finding) == 0;
        ck_assert_msg(found, "%s does not expect %s", want[i].id, want[i].finding);
    }
    /* many-mx: thirty MX records, so the answer needs TCP. */
    const mxd_scenario *m = mxd_scenario_find(list, n, "many-mx");
    size_t nmx = 0;
    for (size_t z = 0; z < m->nzones; z++)
        for (size_t k = 0; k < m->zones[z].nrrs; k++)
            nmx += m->zones[z].rrs[k].type == MXD_T_MX;
    ck_assert_uint_eq(nmx, 30);
    for (size_t i = 0; i < n; i++)
        mxd_scenario_free(&list[i]);
    free(list);
}
END_TEST

/* Every finding id of the steps mx, target and smtp is shown by some built-in
 * scenario, except the one that cannot happen on loopback (help/scenarios/
 * README.md says why). (Other steps' ids, e.g. the bounce decoder's, are not
 * about a diagnosed domain.) */
START_TEST(test_builtin_cover_every_finding)
{
    mxd_scenario *list;
    size_t n = mxd_scenario_list(help_dir(), &list);
    for (size_t d = 0; d < mxd_nfinding_defs; d++) {
        const char *id = mxd_finding_defs[d].id, *step = mxd_finding_defs[d].step;
        if (strcmp(step, "mx") != 0 && strcmp(step, "target") != 0 && strcmp(step, "smtp") != 0)
            continue;
        bool found = false;
        for (size_t i = 0; i < n && !found; i++)
            for (size_t k = 0; k < list[i].nexpect && !found; k++)
                found = strcmp(list[i].expect[k], id) == 0;
        if (strcmp(id, "smtp.unreachable") == 0)
            ck_assert_msg(!found, "smtp.unreachable is shown now: update the README's table");
        else
            ck_assert_msg(found, "no built-in scenario shows %s", id);
    }
    for (size_t i = 0; i < n; i++)
        mxd_scenario_free(&list[i]);
    free(list);
}
END_TEST

/* ------------------------------------------------------------ malformed texts */

/* What an error must look like: its code and line, and a piece of its text as
 * the reader sees it in each language, rendered through the real catalogs.
 * The English pieces are the messages the format has always given. */
typedef struct want_err {
    mxd_scn_errcode code;
    int line;
    const char *en;
    const char *ja;
} want_err;

static const struct bad {
    const char *text;
    want_err w;
} bad_cases[] = {
    { "id: t\nfoo: bar\n",
      { E(UNKNOWN_HEADER_KEY), 2, "unknown key 'foo'", "「foo」は知らないキーです" } },
    { "domain: t.lab.test\ntitle.en: T\ntitle.ja: T\n[zone lab.test]\n",
      { E(MISSING_ID), 1, "missing 'id:'", "「id:」がありません" } },
    { "id: t\ntitle.en: T\ntitle.ja: T\n[zone lab.test]\n",
      { E(MISSING_DOMAIN), 1, "missing 'domain:'", "「domain:」がありません" } },
    { "id: t\ndomain: t.lab.test\ntitle.en: T\n[zone lab.test]\n",
      { E(MISSING_TITLE), 1, "missing 'title.ja:'", "「title.ja:」がありません" } },
    { HDR "[zone lab.test]\nt.lab.test. abc IN MX 10 mx.lab.test.\n",
      { E(UNKNOWN_TYPE), 6, "unknown record type 'abc'", "「abc」というレコードの種類は使えません" } },
    { HDR "[zone lab.test]\nt.lab.test. 99x IN MX 10 mx.lab.test.\n",
      { E(BAD_TTL), 6, "bad TTL '99x'", "TTL（キャッシュの有効期間）「99x」が正しくありません" } },
    { HDR "[zone lab.test]\nt.lab.test. 3600 IN MX 10 mx.lab.test.\nt 60 IN WKS 1\n",
      { E(UNKNOWN_TYPE), 7, "unknown record type 'WKS'", "「WKS」というレコードの種類" } },
    { HDR "[zone lab.test]\nmx.lab.test. IN A 300.1.2.3\n",
      { E(BAD_IP), 6, "bad IPv4 address '300.1.2.3'", "IPv4 アドレス「300.1.2.3」が正しくありません" } },
    { HDR "[zone lab.test]\n\n@ IN MX 70000 mx.lab.test.\n",
      { E(BAD_MX_PREF), 7, "bad MX preference '70000'",
        "MXレコードの優先度「70000」が正しくありません。0～65535 の数値で書いてください（数値が小さいほど優先）" } },
    { HDR "[zone lab.test]\nmx.example.com. IN A 127.0.53.1\n",
      { E(OUTSIDE_ORIGIN), 6, "outside this zone's origin",
        "mx.example.com のレコードは、このゾーンの起点 lab.test の外にあります" } },
    { HDR "[zone lab.test]\n[smtp 127.0.53.1]\nname: a.lab.test\n[smtp 127.0.53.1]\n",
      { E(DUPLICATE_SERVER), 8, "duplicate section", "[smtp 127.0.53.1] は6行目ですでに始まっています" } },
    { HDR "[zone lab.test]\n[zone lab.test.]\n",
      { E(DUPLICATE_ZONE), 6, "duplicate section", "ゾーン lab.test の節は5行目ですでに始まっています" } },
    { HDR "[zone lab.test]\n[smtp 127.0.53.1]\nname: a.lab.test\nbehaviour: down\n",
      { E(UNKNOWN_VALUE), 8, "unknown behaviour 'down'",
        "behaviour に「down」は使えません（使える値：ok, refuse," } },
    { HDR "[zone lab.test]\n[smtp 10.0.0.1]\n",
      { E(ADDR_NOT_LOOPBACK), 6, "outside 127.0.0.0/8",
        "[smtp] のアドレス 10.0.0.1 は 127.0.0.0/8 の外にあります" } },
    { HDR "[zone lab.test]\n[auth 192.168.1.1]\n",
      { E(ADDR_NOT_LOOPBACK), 6, "outside 127.0.0.0/8", "[auth] のアドレス 192.168.1.1 は" } },
    { HDR "[zone lab.test]\nt IN TXT \"v=spf1 -all\n",
      { E(UNTERMINATED_QUOTE), 6, "unterminated quote", "引用符が閉じていません。\"…\" の閉じる \" は同じ行に" } },
    { HDR "title.ja: \xff\xfe\n",
      { E(UTF8_BYTE), 5, "invalid UTF-8 (byte 0xFF)", "UTF-8 として読めないバイト（0xFF）があります" } },
    { HDR "hint.en: bell\a\n",
      { E(CONTROL_CHAR), 5, "control character U+0007", "制御文字（U+0007）は使えません" } },
    { HDR "[zone lab.test]\n[smtp 127.0.53.1]\nname: a.lab.test\ncert: rotten\n",
      { E(UNKNOWN_VALUE), 8, "unknown cert 'rotten'", "cert に「rotten」は使えません" } },
    { HDR "[zone lab.test]\n[smtp 127.0.53.1]\nname: a.lab.test\ncolour: red\n",
      { E(UNKNOWN_SERVER_KEY), 8, "unknown key 'colour' in [smtp]",
        "「colour」は [smtp] で使えないキーです" } },
    { HDR "[zone lab.test]\n[auth 127.0.54.1]\nmode: sleepy\n",
      { E(UNKNOWN_VALUE), 7, "unknown mode 'sleepy' (use normal, silent, lame, servfail)",
        "mode に「sleepy」は使えません（使える値：normal, silent, lame, servfail）" } },
    { HDR "[zone lab.test]\n[smtp 127.0.53.1]\nname: a.lab.test\ndelay: soon\n",
      { E(BAD_DELAY), 8, "bad delay", "delay の値「soon」が正しくありません" } },
    { HDR "[zone lab.test]\n[smtp 127.0.53.9]\n",
      { E(SMTP_NO_NAME), 6, "has no 'name:'",
        "[smtp 127.0.53.9] に「name:」がなく、127.0.53.9 を指す Aレコードもありません" } },
    { HDR "[zone example.org]\n",
      { E(DOMAIN_NOT_SERVED), 2, "not inside any [zone]",
        "ドメイン t.lab.test がどの [zone] 節にも含まれていない" } },
    { HDR "expect: mx.found mx.fonud\n",
      { E(UNKNOWN_FINDING), 5, "unknown finding id 'mx.fonud'", "所見ID「mx.fonud」はありません" } },
    { HDR "expect: mx.found\n  mx.found\n",
      { E(FINDING_TWICE), 6, "listed twice", "所見ID「mx.found」が expect に2回書かれています" } },
    { HDR "[zone lab.test]\nt IN MX 10\n",
      { E(RECORD_NEEDS), 6, "MX record needs a preference and a host name",
        "MXレコードには優先度とホスト名（例：10 mx1.example.）が必要です" } },
    { HDR "[zone lab.test]\nt IN A 127.0.0.1 127.0.0.2\n",
      { E(RECORD_TOO_MANY), 6, "too many fields for A (it takes one IPv4 address)",
        "Aレコードの項目が多すぎます（書くのはIPv4 アドレス1つです）" } },
    { HDR "[zone lab.test]\nt IN MX 10 mx..lab.test.\n",
      { E(BAD_NAME), 6, "bad MX host 'mx..lab.test.': empty label",
        "MXレコードのホスト名「mx..lab.test.」が正しくありません。ドットが2つ続いているか" } },
    { HDR "[zone lab.test]\nt IN MX 10 mx\xc3\xa9.lab.test.\n",
      { E(BAD_NAME), 6, "xn--", "ASCII 以外の文字があります。日本語ドメイン名などは xn-- で始まる形" } },
    { HDR "[zone lab.test]\n@ IN SOA ns1 host ( 1 2 3\n 4 5\n",
      { E(OPEN_PAREN_EOF), 6, "'(' without ')'", "「(」を閉じる「)」がないまま、ファイルが終わっています" } },
    { HDR "[zone lab.test]\nwww CH A 127.0.0.1\n",
      { E(BAD_CLASS), 6, "class IN only", "クラス CH は使えません。ラボが扱うのは IN だけです" } },
    { HDR "[zone lab.test]\nt IN A 127.0.0.1\nt IN A 127.0.0.1\n",
      { E(RECORD_TWICE), 7, "written twice", "t.lab.test の同じAレコードが2回書かれています" } },
    /* DANE: simulated DNSSEC and TLSA records */
    { HDR "[zone lab.test]\ndnssec: maybe\n",
      { E(BAD_DNSSEC), 6, "bad dnssec value 'maybe'", "dnssec の値「maybe」が正しくありません" } },
    { HDR "[zone lab.test]\ndnssec: signed\nDNSSEC:unsigned\n",
      { E(KEY_TWICE), 7, "'dnssec' is given twice", "「dnssec」が2回書かれています" } },
    { HDR "[zone lab.test]\n_25._tcp.mx TLSA 3 1 300 00\n",
      { E(BAD_TLSA_NUMBER), 6, "bad TLSA field '300'", "TLSAレコードの項目「300」が正しくありません" } },
    { HDR "[zone lab.test]\n_25._tcp.mx TLSA 3 1 1 ab 0g\n",
      { E(BAD_TLSA_DATA), 6, "bad TLSA data '0g'", "TLSAレコードのデータ「0g」が正しくありません" } },
    { HDR "[zone lab.test]\n_25._tcp.mx TLSA 3 1 1 abc\n",
      { E(BAD_TLSA_DATA), 6, "bad TLSA data 'abc'", "16進数（偶数個の桁）" } },
    { HDR "[zone lab.test]\n_25._tcp.mx TLSA 3 1 1 @key\n",
      { E(BAD_TLSA_DATA), 6, "or @cert, @other or @ca", "TLSAレコードのデータ「@key」" } },
    { HDR "[zone lab.test]\n_25._tcp.mx TLSA 3 1 1\n",
      { E(RECORD_NEEDS), 6, "TLSA record needs usage, selector, matching type and data",
        "TLSAレコードにはusage、selector、matching type、データの4項目" } },
    { HDR "[zone lab.test]\n_25._tcp.mx TLSA 3 1 1 @cert 00\n",
      { E(RECORD_TOO_MANY), 6, "too many fields for TLSA", "TLSAレコードの項目が多すぎます" } },
    { HDR "[zone lab.test]\n_25._tcp.mx TLSA 3 2 1 @cert\n",
      { E(TLSA_REF_KIND), 6, "@cert can fill only selector 0 or 1",
        "@cert が使えるのは、selector が 0 か 1" } },
    { HDR "[zone lab.test]\nmx TLSA 3 1 1 @other\n",
      { E(TLSA_REF_OWNER), 6, "@other needs a record named _25._tcp. followed by the server's name, "
        "not mx.lab.test", "（mx.lab.test ではありません）" } },
    { HDR "[zone lab.test]\nt MX 10 mx\n_25._tcp.mx TLSA 3 1 1 @cert\n[smtp 127.0.53.1]\n"
          "name: mx2.lab.test\n",
      { E(TLSA_NO_SERVER), 7, "@cert refers to the mail server named mx.lab.test, but no [smtp]",
        "@cert は mx.lab.test という名前のメールサーバーを指していますが" } },
    { HDR "[zone lab.test]\n_25._tcp.mx TLSA 3 1 1 @cert\n_25._tcp.mx TLSA 3 1 1 @cert\n",
      { E(RECORD_TWICE), 7, "the same TLSA record for _25._tcp.mx.lab.test is written twice",
        "_25._tcp.mx.lab.test の同じTLSAレコードが2回書かれています" } },
    { HDR "[zone lab.test]\nsub IN SOA a b 1 2 3 4 5\n",
      { E(SOA_NOT_ORIGIN), 6, "belongs at the zone's origin", "SOAレコードはゾーンの起点 lab.test に書きます" } },
    { HDR "[bogus]\n",
      { E(UNKNOWN_SECTION), 5, "unknown section [bogus]", "[bogus] という節はありません" } },
    { HDR "[zone lab.test]\ntitle.en: late\n",
      { E(HEADER_KEY_IN_ZONE), 6, "looks like a header key", "「title.en:」はヘッダーのキーのようです" } },
    { HDR "level: expert\n",
      { E(UNKNOWN_LEVEL), 5, "unknown level 'expert'", "レベル「expert」は使えません" } },
    { "id: t\n  stray continuation\n",
      { E(STRAY_INDENT), 2, "indented line", "字下げされた行ですが" } },
    { HDR "id: again\n",
      { E(KEY_TWICE), 5, "'id' is given twice", "「id」が2回書かれています" } },
    { HDR "title: no language\n",
      { E(TEXT_NO_LANG), 5, "say which language", "「title.en」または「title.ja」と書きます" } },
    { HDR "[zone lab.test server 127.0.54.9]\n",
      { E(ZONE_NO_AUTH), 5, "no [auth 127.0.54.9] section", "[auth 127.0.54.9] 節がありません" } },
    { HDR "[zone lab.test]\n$ORIGIN foo.\n",
      { E(UNKNOWN_DIRECTIVE), 6, "unknown directive '$ORIGIN'", "「$ORIGIN」は使えない指示です" } },
    { HDR "[zone lab.test]\n  IN A 127.0.0.1\n",
      { E(NO_OWNER_ABOVE), 6, "no record above gives its owner", "所有者名を引き継ぐレコードが上にありません" } },
    { "\n\nid: t\ndomain: bad_domain!\n",
      { E(BAD_NAME), 4, "bad domain 'bad_domain!': only letters",
        "ドメイン名「bad_domain!」が正しくありません。ドットの間（ラベル）に使えるのは" } },
    /* the delivery step's settings */
    { HDR "[zone lab.test]\n[smtp 127.0.53.1]\nname: a.lab.test\nrcpt: picky\n",
      { E(UNKNOWN_VALUE), 8, "unknown rcpt 'picky' (use accept, reject-unknown, greylist)",
        "rcpt に「picky」は使えません（使える値：accept, reject-unknown, greylist）" } },
    { HDR "[zone lab.test]\n[smtp 127.0.53.1]\nname: a.lab.test\ndata: maybe\n",
      { E(UNKNOWN_VALUE), 8, "unknown data 'maybe'", "data に「maybe」は使えません" } },
    { HDR "[zone lab.test]\n[smtp 127.0.53.1]\nname: a.lab.test\nsubmission: open\n",
      { E(UNKNOWN_VALUE), 8, "unknown submission 'open'", "submission に「open」は使えません" } },
    { HDR "[zone lab.test]\n[smtp 127.0.53.1]\nname: a.lab.test\nrcpt: reject-unknown\n"
          "users: info <sales>\n",
      { E(BAD_USER), 9, "bad user '<sales>'", "ユーザー「<sales>」が正しくありません" } },
    { HDR "[zone lab.test]\n[smtp 127.0.53.1]\nname: a.lab.test\nusers: ,\n",
      { E(NO_USERS), 8, "lists no local part", "ユーザー（メールアドレスの@より前の部分）が1つも書かれていません" } },
    { HDR "[zone lab.test]\n[smtp 127.0.53.1]\nname: a.lab.test\nusers: info\n",
      { E(USERS_UNUSED), 6, "only matters with 'rcpt: reject-unknown'",
        "[smtp 127.0.53.1] に「users:」がありますが、これは「rcpt: reject-unknown」のときにだけ" } },
    { HDR "[zone lab.test]\n[smtp 127.0.53.1]\nname: a.lab.test\nrcpt: reject-unknown\n"
          "users: a b c d e f g h i j k l m n o p q\n",
      { E(TOO_MANY_USERS), 9, "too many users (at most 16)", "users に書けるのは16人までです" } },
    { HDR "[zone lab.test]\n[smtp 127.0.53.1]\nname: a.lab.test\nrcpt: greylist\nrcpt: accept\n",
      { E(KEY_TWICE), 9, "'rcpt' is given twice", "「rcpt」が2回書かれています" } },
    { HDR "question.en: text\n\xe2\x80\xae reversed\n",
      { E(BIDI_CHAR), 6, "bidirectional control character U+202E",
        "文字の表示方向を変える制御文字（U+202E）は使えません" } },
    { HDR "[zone lab.test]\n) \n",
      { E(CLOSE_PAREN), 6, "')' without '('", "「)」に対応する「(」がありません" } },
    { HDR "[zone lab.test]\nt 2147483648 IN A 127.0.0.1\n",
      { E(BAD_TTL), 6, "bad TTL '2147483648'", "「2147483648」が正しくありません" } },
    /* every other kind of mistake, once */
    { HDR "hint.en: cut \xe3\x81",
      { E(UTF8_TRUNCATED), 5, "invalid UTF-8 (truncated sequence)", "ファイルの最後で文字が途中で切れています" } },
    { HDR "hint.en: overlong \xe0\x80\x80 slash\n",
      { E(UTF8_SEQUENCE), 5, "invalid UTF-8 (bad sequence)", "UTF-8 として正しくない文字があります" } },
    { HDR "just some words\n",
      { E(HEADER_SYNTAX), 5, "expected 'key: value' (or a [section])",
        "「キー: 値」の形の行か、[節] の見出しの行" } },
    { HDR "title.fr: Titre\n",
      { E(TEXT_BAD_LANG), 5, "unknown language in 'title.fr'", "「title.fr」の言語が分かりません" } },
    { "id:\n",
      { E(ID_LENGTH), 1, "id must be 1 to 63 characters", "id は1～63文字で書いてください" } },
    { "id: Big\n",
      { E(ID_CHARS), 1, "id 'Big' may only use a-z", "id「Big」に使えるのは a-z、0-9、「-」、「_」だけです" } },
    { HDR "[zone lab.test]\n\"t\" IN A 127.0.0.1\n",
      { E(NAME_QUOTED), 6, "owner name 't' must not be in quotes", "所有者名「t」は引用符（\"）で囲まずに" } },
    { HDR "[zone lab.test]\nt IN CNAME \"x.lab.test.\"\n",
      { E(NAME_QUOTED), 6, "target 'x.lab.test.' must not be in quotes",
        "参照先のホスト名「x.lab.test.」は引用符" } },
    { HDR "[zone lab.test\n",
      { E(SECTION_NO_CLOSE), 5, "section header without ']'", "節の見出しに「]」がありません" } },
    { HDR "[zone lab.test] extra\n",
      { E(SECTION_TRAILING), 5, "unexpected text after ']'", "「]」の後ろに余分な文字があります" } },
    { HDR "[zone a b c d e f]\n",
      { E(SECTION_WORDS), 5, "too many words in the section header", "節の見出しの語が多すぎます" } },
    { HDR "[zone]\n",
      { E(ZONE_FORM), 5, "write [zone ORIGIN] or", "[zone 起点] または [zone 起点 server 127.x.y.z]" } },
    { HDR "[zone .]\n",
      { E(BAD_NAME), 5, "bad zone origin '.': the lab cannot serve the root zone",
        "ゾーンの起点「.」が正しくありません。ラボはルートゾーンを扱えません" } },
    { HDR "[smtp]\n",
      { E(SERVER_FORM), 5, "write [smtp 127.x.y.z]", "[smtp 127.x.y.z] の形で書いてください" } },
    { HDR "[zone lab.test]\n[smtp mail.example]\n",
      { E(BAD_ADDR), 6, "bad address 'mail.example' in [smtp]",
        "[smtp] のアドレス「mail.example」が正しくありません。127.0.53.1 のような IPv4 アドレス" } },
    { HDR "[zone lab.test]\n@ IN SOA a b ( 1\n[smtp 127.0.53.1]\n",
      { E(OPEN_PAREN_SECTION), 6, "'(' without ')' before the next section", "次の節が始まっています" } },
    { HDR "[zone lab.test]\n[auth 127.0.54.1]\nmode lame\n",
      { E(SERVER_SYNTAX), 7, "expected 'key: value' in [auth 127.0.54.1]",
        "[auth 127.0.54.1] の中には「キー: 値」の形の行を" } },
    { HDR "[zone lab.test]\n[auth 127.0.54.1]\nspeed: fast\n",
      { E(UNKNOWN_SERVER_KEY), 7, "unknown key 'speed' in [auth] (known: mode)",
        "「speed」は [auth] で使えないキーです（使えるキー：mode）" } },
    { HDR "[zone lab.test]\n[auth 127.0.54.1]\nmode: lame\nmode: silent\n",
      { E(KEY_TWICE), 8, "'mode' is given twice", "「mode」が2回書かれています" } },
    { HDR "[zone lab.test]\n[auth 127.0.54.1]\n[auth 127.0.54.1]\n",
      { E(DUPLICATE_SERVER), 7, "[auth 127.0.54.1] already started on line 6",
        "[auth 127.0.54.1] は6行目ですでに始まっています" } },
    { HDR "[zone lab.test]\n[smtp 127.0.53.1]\nname: a..lab.test\n",
      { E(BAD_NAME), 7, "bad server name 'a..lab.test'", "サーバー名「a..lab.test」が正しくありません" } },
    { HDR "[zone lab.test]\n[smtp 127.0.53.1]\nname:\n",
      { E(BAD_NAME), 7, "bad server name '': empty", "サーバー名「」が正しくありません。何も書かれていません" } },
    { HDR "[zone lab.test]\n$TTL soon\n",
      { E(BAD_TTL_DIRECTIVE), 6, "bad TTL in $TTL", "$TTL の値が正しくありません" } },
    { HDR "[zone lab.test]\nt 300 IN\n",
      { E(NO_TYPE), 6, "record without a type", "レコードの種類がありません" } },
    { HDR "[zone lab.test]\nt IN TXT\n",
      { E(TXT_NEEDS_STRING), 6, "TXT record needs at least one \"quoted string\"",
        "TXTレコードには、\"…\" で囲んだ文字列が1つ以上必要です" } },
    { HDR "[zone lab.test]\n@ SOA a b 1 2 3 4 5\n@ SOA a b 2 2 3 4 5\n",
      { E(SECOND_SOA), 7, "a second SOA record in zone lab.test",
        "ゾーン lab.test に2つ目のSOAレコードがあります" } },
    { HDR "[zone lab.test]\n@ SOA a b one 2 3 4 5\n",
      { E(BAD_SOA_SERIAL), 6, "bad SOA serial 'one'", "SOA のシリアル番号「one」が正しくありません" } },
    { HDR "[zone lab.test]\n@ SOA a b 1 2 3 4 never\n",
      { E(BAD_SOA_TIMER), 6, "bad SOA timer 'never'", "SOA の時間の値「never」が正しくありません" } },
    { HDR "[zone lab.test]\n@ SOA a b.. 1 2 3 4 5\n",
      { E(BAD_NAME), 6, "bad SOA rname 'b..'", "SOA の rname（管理者のメールアドレス）「b..」が正しくありません" } },
    { HDR "[zone lab.test]\nt TXT \"\\1x\"\n",
      { E(ESCAPE_DIGITS), 6, "bad escape in quotes: write \\DDD with three digits",
        "\\DDD のように数字3桁で書いてください" } },
    { HDR "[zone lab.test]\nt TXT \"\\300\"\n",
      { E(ESCAPE_RANGE), 6, "bad escape \\300: at most \\255",
        "エスケープ \\300 は使えません。数値は \\255 までです" } },
    { HDR "[zone lab.test]\nt TXT \"abc\\\n",
      { E(QUOTE_BACKSLASH_END), 6, "unterminated quote: the line ends after '\\'",
        "引用符が閉じていません。「\\」の後ろで行が終わっています" } },
    /* [https] sections */
    { HDR "[zone lab.test]\n[https 127.0.53.80]\n  mode: enforce\n",
      { E(HTTPS_INDENT), 7, "an indented line only continues a 'body:' text",
        "字下げした行は「body:」の続きにしか使えません" } },
    { HDR "[zone lab.test]\n[https 127.0.53.80]\nname: a.lab.test\nstatus: 200\n",
      { E(HTTPS_PATH_FIRST), 8, "write 'path: /...' before 'status:'",
        "「status:」より前に「path: /...」を書いてください" } },
    { HDR "[zone lab.test]\n[https 127.0.53.80]\npath: /a\nstatus: 200\nstatus: 404\n",
      { E(HTTPS_KEY_TWICE_PATH), 9, "'status' is given twice for /a", "/a の「status」が2回書かれています" } },
    { HDR "[zone lab.test]\n[https 127.0.53.80]\npath: x.txt\n",
      { E(HTTPS_BAD_PATH), 7, "bad path 'x.txt'", "パス「x.txt」が正しくありません" } },
    { HDR "[zone lab.test]\n[https 127.0.53.80]\npath: /a\npath: /a\n",
      { E(HTTPS_PATH_TWICE), 8, "path /a is given twice in this section",
        "この節にパス /a が2回書かれています" } },
    { HDR "[zone lab.test]\n[https 127.0.53.80]\npath: /a\nstatus: 99\n",
      { E(HTTPS_BAD_STATUS), 8, "bad status '99'", "status「99」が正しくありません" } },
    { HDR "[zone lab.test]\n[https 127.0.53.80]\npath: /a\ntype: plain\n",
      { E(HTTPS_BAD_TYPE), 8, "bad type 'plain'", "type「plain」が正しくありません" } },
    { HDR "[zone lab.test]\n[https 127.0.53.80]\npath: /a\nlocation: a b\n",
      { E(HTTPS_BAD_LOCATION), 8, "bad location 'a b'", "location「a b」が正しくありません" } },
    { HDR "[zone lab.test]\n[https 127.0.53.80]\npath: /a\n",
      { E(HTTPS_NO_NAME), 6, "[https 127.0.53.80] needs 'name:'",
        "[https 127.0.53.80] に「name:」が必要です" } },
    { HDR "[zone lab.test]\n[https 127.0.53.80]\nname: a.lab.test\n[https 127.0.53.80]\n",
      { E(DUPLICATE_SERVER), 8, "[https 127.0.53.80] already started on line 6",
        "[https 127.0.53.80] は6行目ですでに始まっています" } },
    { HDR "[zone lab.test]\n[https 127.0.53.80]\nname: a b\n",
      { E(BAD_NAME), 7, "bad name 'a b': use letters, digits",
        "ホスト名「a b」が正しくありません。英数字と「-」「.」だけを使ってください" } },
    { HDR "[zone lab.test]\n[https 127.0.53.80]\nname: a..b\n",
      { E(BAD_NAME), 7, "bad name 'a..b': empty label",
        "ホスト名「a..b」が正しくありません。ドットとドットの間（ラベル）が空です" } },
    { HDR "[zone lab.test]\n[https 127.0.53.80]\nname:\n",
      { E(BAD_NAME), 7, "bad name '': a host name such as mta-sts.example.lab.test",
        "mta-sts.example.lab.test のようなホスト名を書いてください" } },
    { HDR "[zone lab.test]\n[https 127.0.53.80]\ncolour: blue\n",
      { E(UNKNOWN_SERVER_KEY), 7, "unknown key 'colour' in [https] (known: name, cert,",
        "「colour」は [https] で使えないキーです" } },
    { HDR "[zone lab.test]\n[https 127.0.53.80]\ncert: fine\n",
      { E(UNKNOWN_VALUE), 7, "unknown cert 'fine' (use good, wrong-name, expired, self-signed)",
        "cert に「fine」は使えません（使える値：good, wrong-name, expired, self-signed）" } },
    { HDR "[zone lab.test]\n[https 127.0.53.80]\nbehaviour: slow\n",
      { E(UNKNOWN_VALUE), 7, "unknown behaviour 'slow' (use ok, blackhole, reset)",
        "behaviour に「slow」は使えません" } },
    { HDR "[zone lab.test]\n[https 127.0.53.80]\nname mta-sts.lab.test\n",
      { E(SERVER_SYNTAX), 7, "expected 'key: value' in [https 127.0.53.80]",
        "[https 127.0.53.80] の中には「キー: 値」の形の行を" } },
    { HDR "[zone lab.test]\n[https 127.0.53.80]\nname: a\nname: b\n",
      { E(KEY_TWICE), 8, "'name' is given twice", "「name」が2回書かれています" } },
};

/* The number of names in a space-separated list. */
static size_t count_words(const char *list)
{
    size_t n = 0;
    for (const char *p = list; *p;) {
        while (*p == ' ')
            p++;
        size_t k = strcspn(p, " ");
        n += k > 0;
        p += k;
    }
    return n;
}

/* Checks an error against what is wanted, in both languages: the code, the
 * line, the parameters the catalog entry names, and the text as shown. */
static void assert_error(const mxd_scn_error *e, const char *file, const want_err *w, int n)
{
    ck_assert_msg(e->code == w->code, "case %d: wanted %s, got %s", n,
                  mxd_scn_error_key(w->code), mxd_scn_error_key(e->code));
    ck_assert_msg(e->line == w->line, "case %d: wanted line %d, got %d", n, w->line, e->line);
    ck_assert_str_eq(e->file, file);
    ck_assert_msg(e->nparams == count_words(mxd_scn_error_params(e->code)),
                  "case %d: %zu values for \"%s\"", n, e->nparams, mxd_scn_error_params(e->code));
    char prefix[1100];
    if (w->line > 0)
        snprintf(prefix, sizeof prefix, "%s:%d: ", file, w->line);
    else
        snprintf(prefix, sizeof prefix, "%s: ", file);
    for (int l = 0; l < MXD_LANG_COUNT; l++) {
        char *t = mxd_scn_error_format(e, cats[l]);
        const char *piece = l == MXD_LANG_EN ? w->en : w->ja;
        ck_assert_ptr_nonnull(t);
        ck_assert_msg(strncmp(t, prefix, strlen(prefix)) == 0, "case %d %s: \"%s\" should start "
                      "with \"%s\"", n, mxd_lang_code((mxd_lang)l), t, prefix);
        ck_assert_msg(strstr(t, piece) != NULL, "case %d %s: wanted \"%s\" in \"%s\"", n,
                      mxd_lang_code((mxd_lang)l), piece, t);
        /* every value is shown: text from the file as it is, words in the language */
        for (size_t i = 0; i < e->nparams; i++) {
            const char *v = e->params[i].value, *k = e->params[i].key;
            if (!strcmp(k, "what") || !strcmp(k, "why") || !strcmp(k, "form"))
                v = mxd_catalog_get(cats[l], v, "text");
            ck_assert_msg(v && strstr(t + strlen(prefix), v), "case %d %s: {%s} is not shown in "
                          "\"%s\"", n, mxd_lang_code((mxd_lang)l), k, t);
        }
        ck_assert_msg(strstr(t, "scn.") == NULL, "case %d %s: catalog entry missing: %s", n,
                      mxd_lang_code((mxd_lang)l), t);
        free(t);
    }
}

START_TEST(test_malformed)
{
    const struct bad *b = &bad_cases[_i];
    mxd_scenario s;
    mxd_scn_error e;
    memset(&s, 0x55, sizeof s); /* the parser must clear it on failure */
    memset(&e, 0x55, sizeof e);
    ck_assert_int_eq(parse_e(b->text, &s, &e), -1);
    assert_error(&e, "t.scn", &b->w, _i);
    ck_assert_ptr_null(s.zones);
    ck_assert_ptr_null(s.smtp);
    ck_assert_ptr_null(s.title[0]);
    mxd_scenario_free(&s); /* safe on an emptied scenario */
}
END_TEST

/* Mistakes that take a big file to make: each text is built when it is needed. */
static char *big_text(int k)
{
    mxd_sb sb = MXD_SB_INIT;
    switch (k) {
    case 0: /* one byte over the limit */
        for (size_t i = 0; i <= MXD_SCENARIO_MAX_BYTES; i++)
            mxd_sb_putc(&sb, '#');
        break;
    case 1: /* a hint longer than 64 KiB */
        mxd_sb_puts(&sb, HDR "hint.en: ");
        for (int i = 0; i <= 64 * 1024; i++)
            mxd_sb_putc(&sb, 'x');
        break;
    case 2: /* 65 finding ids */
        mxd_sb_puts(&sb, HDR "expect:");
        for (size_t i = 0; i < 65; i++)
            mxd_sb_printf(&sb, " %s", mxd_finding_defs[i].id);
        break;
    case 3: /* 257 sections */
        mxd_sb_puts(&sb, HDR);
        for (int i = 0; i < 257; i++)
            mxd_sb_printf(&sb, "[zone z%d.test]\n", i);
        break;
    case 4: /* 4097 records */
        mxd_sb_puts(&sb, HDR "[zone lab.test]\n");
        for (int i = 0; i < 4097; i++)
            mxd_sb_printf(&sb, "h%d A 127.0.0.1\n", i);
        break;
    case 5: /* 513 fields in one record */
        mxd_sb_puts(&sb, HDR "[zone lab.test]\nt TXT");
        for (int i = 0; i < 511; i++)
            mxd_sb_puts(&sb, " \"a\"");
        break;
    case 6: /* a record of more than 64 KiB */
        mxd_sb_puts(&sb, HDR "[zone lab.test]\nt TXT (\n");
        for (int i = 0; i < 70; i++) {
            mxd_sb_putc(&sb, '"');
            for (int j = 0; j < 1000; j++)
                mxd_sb_putc(&sb, 'q');
            mxd_sb_puts(&sb, "\"\n");
        }
        mxd_sb_puts(&sb, ")\n");
        break;
    case 7: /* a quoted string of more than 1024 bytes */
        mxd_sb_puts(&sb, HDR "[zone lab.test]\nt TXT \"");
        for (int j = 0; j < 1025; j++)
            mxd_sb_putc(&sb, 'q');
        mxd_sb_puts(&sb, "\"\n");
        break;
    case 8: /* an owner name of 300 characters */
        mxd_sb_puts(&sb, HDR "[zone lab.test]\n");
        for (int j = 0; j < 300; j++)
            mxd_sb_putc(&sb, 'n');
        mxd_sb_puts(&sb, " A 127.0.0.1\n");
        break;
    case 9: /* an [https] line of more than 1099 characters */
        mxd_sb_puts(&sb, HDR "[zone lab.test]\n[https 127.0.53.80]\nname: a.lab.test\n"
                         "path: /a\nlocation: ");
        for (int j = 0; j < 1100; j++)
            mxd_sb_putc(&sb, 'l');
        mxd_sb_putc(&sb, '\n');
        break;
    case 10: /* a body of more than 512 KiB */
        mxd_sb_puts(&sb, HDR "[zone lab.test]\n[https 127.0.53.80]\nname: a.lab.test\n"
                         "path: /a\nbody: start\n");
        for (int i = 0; i < 530; i++) {
            mxd_sb_puts(&sb, "  ");
            for (int j = 0; j < 1000; j++)
                mxd_sb_putc(&sb, 'b');
            mxd_sb_putc(&sb, '\n');
        }
        break;
    }
    return mxd_sb_take(&sb);
}

static const want_err big_cases[] = {
    { E(TOO_LARGE), 1, "larger than 1048576 bytes", "1048576バイトを超えています" },
    { E(TEXT_TOO_LONG), 5, "text longer than 65536 bytes", "文章が長すぎます（65536バイトまで）" },
    { E(TOO_MANY_FINDINGS), 5, "more than 64 finding ids", "expect に書ける所見IDは64個までです" },
    { E(TOO_MANY_SECTIONS), 261, "more than 256 sections", "節は256個までです" },
    { E(TOO_MANY_RECORDS), 4102, "more than 4096 records", "レコードは全部で4096個までです" },
    { E(TOO_MANY_FIELDS), 6, "too many fields in one record", "1つのレコードの項目が多すぎます" },
    { E(RECORD_TOO_LONG), 72, "record longer than 65536 bytes", "レコードが長すぎます（65536バイトまで）" },
    { E(QUOTED_TOO_LONG), 6, "quoted string longer than 1024 bytes",
      "引用符で囲んだ文字列が長すぎます（1024バイトまで）" },
    { E(BAD_NAME), 6, "': longer than 253 characters", "」が正しくありません。253文字を超えています" },
    { E(HTTPS_LINE_TOO_LONG), 9, "line too long (more than 1099 characters)", "行が長すぎます（1099文字まで）" },
    { E(HTTPS_BODY_TOO_LONG), 533, "body longer than 524288 bytes", "body が長すぎます（524288バイトまで）" },
};

START_TEST(test_malformed_big)
{
    char *text = big_text(_i);
    ck_assert_ptr_nonnull(text);
    mxd_scenario s;
    mxd_scn_error e;
    ck_assert_int_eq(parse_e(text, &s, &e), -1);
    assert_error(&e, "t.scn", &big_cases[_i], _i);
    if (_i == 8) /* the 300-character name is shown cut short */
        ck_assert_str_eq(mxd_scn_error_get(&e, "value"),
                         "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn…");
    free(text);
}
END_TEST

/* ------------------------------------------------------------ field values */

static const char rich[] =
    "\xEF\xBB\xBF# a BOM, CRLF line ends and every kind of record\r\n"
    "id: rich-1\r\n"
    "level: advanced\r\n"
    "domain: Rich.Lab.Test.\r\n"
    "title.en: Rich\r\n"
    "title.ja: 豊富\r\n"
    "question.en: first line\r\n"
    "  continues here\r\n"
    "\r\n"
    "  new paragraph\\nand a break \\\\ backslash C:\\dir\r\n"
    "question.ja: 一行目\r\n"
    "  続き\r\n"
    "hint.en:\r\n"
    "  starts on the next line\r\n"
    "expect: mx.found, target.ok\r\n"
    "  smtp.ok\r\n"
    "\r\n"
    "[zone lab.test]\r\n"
    "$TTL 1h\r\n"
    "rich            IN MX 10 mx1.rich     ; relative names\r\n"
    "                   MX 0 .\r\n"
    "mx1.rich        A 127.0.53.10\r\n"
    "mx1.rich 2d IN  AAAA 2001:db8::25\r\n"
    "@               NS ns1\r\n"
    "alias.rich      CNAME mx1.rich.lab.test.\r\n"
    "rich IN 1w30s   TXT \"v=spf1 \" \"-all\" \"q\\\"\\\\\\065\"\r\n"
    "10.53.0.127.in-addr.arpa.lab.test. PTR mx1.rich\r\n"
    "@ SOA ns1 hostmaster (\r\n"
    "      2024010101 ; serial\r\n"
    "      3600 600 1w 300 )\r\n"
    "\r\n"
    "[auth 127.0.54.1]\r\n"
    "mode: lame\r\n"
    "\r\n"
    "[zone lab.test server 127.0.54.1]\r\n"
    "rich MX 20 old.rich\r\n"
    "\r\n"
    "[smtp 127.0.53.10]\r\n"
    "behavior: TARPIT\r\n"
    "cert: expired\r\n"
    "delay: 250ms\r\n";

START_TEST(test_fields)
{
    mxd_scenario s;
    char err[512];
    ck_assert_msg(parse_n(rich, sizeof rich - 1, "rich.scn", &s, err, sizeof err) == 0,
                  "%s", err);
    ck_assert_str_eq(s.id, "rich-1");
    ck_assert_str_eq(s.level, "advanced");
    ck_assert_str_eq(s.domain, "rich.lab.test");
    ck_assert_str_eq(s.title[MXD_LANG_JA], "豊富");
    ck_assert_str_eq(s.question[MXD_LANG_EN],
                     "first line continues here\nnew paragraph\nand a break \\ backslash C:\\dir");
    ck_assert_str_eq(s.question[MXD_LANG_JA], "一行目続き");
    ck_assert_str_eq(s.hint[MXD_LANG_EN], "starts on the next line");
    ck_assert_ptr_null(s.answer[MXD_LANG_EN]);
    ck_assert_uint_eq(s.nexpect, 3);
    ck_assert_str_eq(s.expect[0], "mx.found");
    ck_assert_str_eq(s.expect[2], "smtp.ok");

    ck_assert_uint_eq(s.nzones, 1);
    const mxd_scn_zone *z = &s.zones[0];
    ck_assert_str_eq(z->origin, "lab.test");
    ck_assert_int_eq(z->line, 18);
    const mxd_rr *r = find_rr(z, "rich.lab.test", MXD_T_MX, 0);
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(r->u.mx.pref, 10);
    ck_assert_str_eq(r->u.mx.host, "mx1.rich.lab.test");
    ck_assert_uint_eq(r->ttl, 3600);
    r = find_rr(z, "rich.lab.test", MXD_T_MX, 1); /* indented: same owner */
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(r->u.mx.pref, 0);
    ck_assert_str_eq(r->u.mx.host, ".");
    r = find_rr(z, "mx1.rich.lab.test", MXD_T_A, 0);
    ck_assert_ptr_nonnull(r);
    ck_assert_mem_eq(r->u.a, "\x7f\x00\x35\x0a", 4);
    ck_assert_uint_eq(r->data_len, 4);
    r = find_rr(z, "mx1.rich.lab.test", MXD_T_AAAA, 0);
    ck_assert_uint_eq(r->ttl, 2 * 86400);
    ck_assert_uint_eq(r->u.aaaa[0], 0x20);
    ck_assert_uint_eq(r->u.aaaa[15], 0x25);
    r = find_rr(z, "lab.test", MXD_T_NS, 0);
    ck_assert_str_eq(r->u.target, "ns1.lab.test");
    ck_assert_ptr_null(find_rr(z, "lab.test", MXD_T_NS, 1)); /* not synthesised again */
    r = find_rr(z, "alias.rich.lab.test", MXD_T_CNAME, 0);
    ck_assert_str_eq(r->u.target, "mx1.rich.lab.test");
    r = find_rr(z, "rich.lab.test", MXD_T_TXT, 0);
    ck_assert_uint_eq(r->ttl, 604830);
    ck_assert_uint_eq(r->data_len, 15);
    ck_assert_mem_eq(r->data, "v=spf1 -allq\"\\A", 16); /* includes the terminating NUL */
    ck_assert_uint_eq(r->txt_strings, 3);
    r = find_rr(z, "10.53.0.127.in-addr.arpa.lab.test", MXD_T_PTR, 0);
    ck_assert_str_eq(r->u.target, "mx1.rich.lab.test");
    r = find_rr(z, "lab.test", MXD_T_SOA, 0);
    ck_assert_str_eq(r->u.soa.mname, "ns1.lab.test");
    ck_assert_str_eq(r->u.soa.rname, "hostmaster.lab.test");
    ck_assert_uint_eq(r->u.soa.serial, 2024010101u);
    ck_assert_uint_eq(r->u.soa.expire, 604800);
    ck_assert_uint_eq(r->u.soa.minimum, 300);
    ck_assert_uint_eq(z->nrrs, 9);

    ck_assert_uint_eq(s.nauth, 1);
    ck_assert_str_eq(s.auth[0].addr, "127.0.54.1");
    ck_assert_int_eq(s.auth[0].mode, MXD_AUTH_LAME);
    ck_assert_int_eq(s.auth[0].line, 32);
    ck_assert_uint_eq(s.auth[0].nzones, 1);
    r = find_rr(&s.auth[0].zones[0], "rich.lab.test", MXD_T_MX, 0);
    ck_assert_str_eq(r->u.mx.host, "old.rich.lab.test");
    /* the private view got its own SOA and NS */
    ck_assert_ptr_nonnull(find_rr(&s.auth[0].zones[0], "lab.test", MXD_T_SOA, 0));
    ck_assert_ptr_nonnull(find_rr(&s.auth[0].zones[0], "lab.test", MXD_T_NS, 0));

    ck_assert_uint_eq(s.nsmtp, 1);
    ck_assert_str_eq(s.smtp[0].addr, "127.0.53.10");
    ck_assert_str_eq(s.smtp[0].name, "mx1.rich.lab.test"); /* from the A record */
    ck_assert_int_eq(s.smtp[0].behaviour, MXD_SMTPB_TARPIT);
    ck_assert_int_eq(s.smtp[0].cert, MXD_CERT_EXPIRED);
    ck_assert_uint_eq(s.smtp[0].delay_ms, 250);
    ck_assert_int_eq(s.smtp[0].line, 38);
    mxd_scenario_free(&s);
}
END_TEST

START_TEST(test_defaults_and_synthesis)
{
    mxd_scenario s;
    char err[512];
    ck_assert_msg(parse(HDR "[zone t.lab.test]\n@ MX 10 mx\nmx A 127.0.53.1\n"
                            "[smtp 127.0.53.1]\n", &s, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(s.level, "beginner");
    ck_assert_uint_eq(s.nauth, 0);
    const mxd_scn_zone *z = &s.zones[0];
    ck_assert_uint_eq(z->nrrs, 4);
    const mxd_rr *soa = find_rr(z, "t.lab.test", MXD_T_SOA, 0);
    ck_assert_ptr_nonnull(soa);
    ck_assert_str_eq(soa->u.soa.mname, "ns1.t.lab.test");
    ck_assert_uint_eq(soa->u.soa.serial, 1);
    ck_assert_str_eq(find_rr(z, "t.lab.test", MXD_T_NS, 0)->u.target, "ns1.t.lab.test");
    ck_assert_int_eq(s.smtp[0].behaviour, MXD_SMTPB_OK);
    ck_assert_int_eq(s.smtp[0].cert, MXD_CERT_GOOD);
    ck_assert_str_eq(s.smtp[0].name, "mx.t.lab.test");
    mxd_scenario_free(&s);
}
END_TEST

static void round_trip(const mxd_scenario *s);

/* TLSA records: literal hex (split as zone files allow), the words the lab
 * fills in, and the simulated DNSSEC of a zone. */
START_TEST(test_tlsa_and_dnssec)
{
    mxd_scenario s;
    char err[512];
    ck_assert_msg(parse(HDR "[zone lab.test]\ndnssec: signed\nt MX 10 mx\nmx A 127.0.53.1\n"
                            "_25._tcp.mx 300 IN TLSA 3 1 1 @cert\n"
                            "_25._tcp.mx TLSA 3 0 2 @other\n"
                            "_25._tcp.mx TLSA 3 1 1 @other\n"
                            "_25._tcp.mx TLSA 2 1 1 @CA\n"
                            "_25._tcp.mx TLSA 1 1 0 ( DEADbeef\n  0102 )\n"
                            "[zone 53.0.127.in-addr.arpa]\ndnssec:unsigned\n1 PTR mx.lab.test.\n"
                            "[smtp 127.0.53.1]\n",
                        &s, err, sizeof err) == 0, "%s", err);
    const mxd_scn_zone *z = &s.zones[0];
    ck_assert(z->dnssec);
    ck_assert(!s.zones[1].dnssec);
    ck_assert_uint_eq(z->ntlsa, 4);
    static const struct { mxd_tlsa_from from; const char *host; uint8_t head[3]; } want[] = {
        { MXD_TLSA_FROM_CERT, "mx.lab.test", { 3, 1, 1 } },
        { MXD_TLSA_FROM_OTHER, "mx.lab.test", { 3, 0, 2 } },
        { MXD_TLSA_FROM_OTHER, "mx.lab.test", { 3, 1, 1 } },
        { MXD_TLSA_FROM_CA, "", { 2, 1, 1 } },
    };
    for (size_t i = 0; i < 4; i++) {
        const mxd_scn_tlsa *t = &z->tlsa[i];
        const mxd_rr *r = &z->rrs[t->rr];
        ck_assert_uint_eq(r->type, MXD_T_TLSA);
        ck_assert_str_eq(r->name, "_25._tcp.mx.lab.test");
        ck_assert_int_eq(t->from, want[i].from);
        ck_assert_str_eq(t->host, want[i].host);
        ck_assert_int_eq(t->line, 9 + (int)i);
        ck_assert_uint_eq(r->data_len, 3); /* filled in by the lab */
        ck_assert_mem_eq(r->data, want[i].head, 3);
    }
    ck_assert_uint_eq(z->rrs[z->tlsa[0].rr].ttl, 300);
    const mxd_rr *lit = find_rr(z, "_25._tcp.mx.lab.test", MXD_T_TLSA, 4);
    ck_assert_uint_eq(lit->data_len, 9);
    ck_assert_mem_eq(lit->data, "\x01\x01\x00\xde\xad\xbe\xef\x01\x02", 9);
    char *text = mxd_scenario_format(&s);
    ck_assert_ptr_nonnull(strstr(text, "[zone lab.test]\ndnssec: signed\n"));
    ck_assert_ptr_nonnull(strstr(text, " IN TLSA 3 0 2 @other\n"));
    ck_assert_ptr_nonnull(strstr(text, " IN TLSA 1 1 0 deadbeef0102\n"));
    free(text);
    round_trip(&s);
    mxd_scenario_free(&s);
}
END_TEST

/* The delivery step's server settings: recipient checks, DATA, submission. */
START_TEST(test_delivery_settings)
{
    mxd_scenario s;
    char err[512];
    ck_assert_msg(parse(HDR "[zone t.lab.test]\n@ MX 10 mx\nmx A 127.0.53.1\nmx2 A 127.0.53.2\n"
                            "[smtp 127.0.53.1]\nrcpt: Reject-Unknown\nusers: info, sales first.last\n"
                            "data: accept\nsubmission: ok\n"
                            "[smtp 127.0.53.2]\nrcpt: greylist\nsubmission: filtered\n",
                        &s, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(s.smtp[0].rcpt, MXD_RCPT_REJECT_UNKNOWN);
    ck_assert_uint_eq(s.smtp[0].nusers, 3);
    ck_assert_str_eq(s.smtp[0].users[0], "info");
    ck_assert_str_eq(s.smtp[0].users[2], "first.last");
    ck_assert_int_eq(s.smtp[0].data, MXD_DATA_ACCEPT);
    ck_assert_int_eq(s.smtp[0].submission, MXD_SUBMISSION_OK);
    ck_assert_int_eq(s.smtp[1].rcpt, MXD_RCPT_GREYLIST);
    ck_assert_int_eq(s.smtp[1].data, MXD_DATA_REFUSE);
    ck_assert_int_eq(s.smtp[1].submission, MXD_SUBMISSION_FILTERED);
    ck_assert_str_eq(mxd_rcpt_mode_name(MXD_RCPT_REJECT_UNKNOWN), "reject-unknown");
    ck_assert_str_eq(mxd_data_mode_name(MXD_DATA_ACCEPT), "accept");
    ck_assert_str_eq(mxd_submission_mode_name(MXD_SUBMISSION_NONE), "none");
    char *text = mxd_scenario_format(&s);
    ck_assert_ptr_nonnull(strstr(text, "rcpt: reject-unknown\nusers: info sales first.last\n"
                                       "data: accept\nsubmission: ok\n"));
    free(text);
    round_trip(&s);
    mxd_scenario_free(&s);
    /* Defaults: every recipient accepted, DATA refused, no submission port */
    ck_assert(parse(HDR "[zone t.lab.test]\nmx A 127.0.53.1\n[smtp 127.0.53.1]\n", &s, err,
                    sizeof err) == 0);
    ck_assert_int_eq(s.smtp[0].rcpt, MXD_RCPT_ACCEPT);
    ck_assert_int_eq(s.smtp[0].data, MXD_DATA_REFUSE);
    ck_assert_int_eq(s.smtp[0].submission, MXD_SUBMISSION_NONE);
    text = mxd_scenario_format(&s);
    ck_assert_ptr_null(strstr(text, "rcpt:")); /* older files keep reading the same */
    free(text);
    mxd_scenario_free(&s);
}
END_TEST

/* ------------------------------------------------------------ round trips */

static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static void assert_same_zone(const mxd_scn_zone *a, const mxd_scn_zone *b)
{
    ck_assert_str_eq(a->origin, b->origin);
    ck_assert_uint_eq(a->nrrs, b->nrrs);
    ck_assert_int_eq(a->dnssec, b->dnssec);
    ck_assert_uint_eq(a->ntlsa, b->ntlsa);
    for (size_t i = 0; i < a->ntlsa; i++) {
        ck_assert_uint_eq(a->tlsa[i].rr, b->tlsa[i].rr);
        ck_assert_int_eq(a->tlsa[i].from, b->tlsa[i].from);
        ck_assert_str_eq(a->tlsa[i].host, b->tlsa[i].host);
    }
    for (size_t i = 0; i < a->nrrs; i++) {
        const mxd_rr *x = &a->rrs[i], *y = &b->rrs[i];
        ck_assert_str_eq(x->name, y->name);
        ck_assert_uint_eq(x->type, y->type);
        ck_assert_uint_eq(x->rclass, y->rclass);
        ck_assert_uint_eq(x->ttl, y->ttl);
        ck_assert_uint_eq(x->data_len, y->data_len);
        if (x->data_len)
            ck_assert_mem_eq(x->data, y->data, x->data_len);
        ck_assert_msg(memcmp(x->u.a, y->u.a, 4) == 0 && memcmp(x->u.aaaa, y->u.aaaa, 16) == 0 &&
                      x->u.mx.pref == y->u.mx.pref && same_str(x->u.mx.host, y->u.mx.host) &&
                      same_str(x->u.target, y->u.target) &&
                      same_str(x->u.soa.mname, y->u.soa.mname) &&
                      same_str(x->u.soa.rname, y->u.soa.rname) &&
                      x->u.soa.serial == y->u.soa.serial && x->u.soa.refresh == y->u.soa.refresh &&
                      x->u.soa.retry == y->u.soa.retry && x->u.soa.expire == y->u.soa.expire &&
                      x->u.soa.minimum == y->u.soa.minimum,
                      "record %zu of %s differs", i, a->origin);
    }
}

static void assert_same(const mxd_scenario *a, const mxd_scenario *b)
{
    ck_assert_str_eq(a->id, b->id);
    ck_assert_str_eq(a->level, b->level);
    ck_assert_str_eq(a->domain, b->domain);
    for (int l = 0; l < MXD_LANG_COUNT; l++) {
        char *const *fa[] = { a->title, a->question, a->hint, a->answer };
        char *const *fb[] = { b->title, b->question, b->hint, b->answer };
        for (int f = 0; f < 4; f++) {
            if (!fa[f][l])
                ck_assert_ptr_null(fb[f][l]);
            else
                ck_assert_str_eq(fa[f][l], fb[f][l]);
        }
    }
    ck_assert_uint_eq(a->nexpect, b->nexpect);
    for (size_t i = 0; i < a->nexpect; i++)
        ck_assert_str_eq(a->expect[i], b->expect[i]);
    ck_assert_uint_eq(a->nzones, b->nzones);
    for (size_t i = 0; i < a->nzones; i++)
        assert_same_zone(&a->zones[i], &b->zones[i]);
    ck_assert_uint_eq(a->nauth, b->nauth);
    for (size_t i = 0; i < a->nauth; i++) {
        ck_assert_str_eq(a->auth[i].addr, b->auth[i].addr);
        ck_assert_int_eq(a->auth[i].mode, b->auth[i].mode);
        ck_assert_uint_eq(a->auth[i].nzones, b->auth[i].nzones);
        for (size_t k = 0; k < a->auth[i].nzones; k++)
            assert_same_zone(&a->auth[i].zones[k], &b->auth[i].zones[k]);
    }
    ck_assert_uint_eq(a->nsmtp, b->nsmtp);
    for (size_t i = 0; i < a->nsmtp; i++) {
        ck_assert_str_eq(a->smtp[i].addr, b->smtp[i].addr);
        ck_assert_str_eq(a->smtp[i].name, b->smtp[i].name);
        ck_assert_int_eq(a->smtp[i].behaviour, b->smtp[i].behaviour);
        ck_assert_int_eq(a->smtp[i].cert, b->smtp[i].cert);
        ck_assert_uint_eq(a->smtp[i].delay_ms, b->smtp[i].delay_ms);
        ck_assert_int_eq(a->smtp[i].rcpt, b->smtp[i].rcpt);
        ck_assert_uint_eq(a->smtp[i].nusers, b->smtp[i].nusers);
        for (size_t k = 0; k < a->smtp[i].nusers; k++)
            ck_assert_str_eq(a->smtp[i].users[k], b->smtp[i].users[k]);
        ck_assert_int_eq(a->smtp[i].data, b->smtp[i].data);
        ck_assert_int_eq(a->smtp[i].submission, b->smtp[i].submission);
    }
}

static void round_trip(const mxd_scenario *s)
{
    char *text = mxd_scenario_format(s);
    ck_assert_ptr_nonnull(text);
    mxd_scenario again;
    char err[512];
    ck_assert_msg(parse(text, &again, err, sizeof err) == 0, "%s\n--- written:\n%s", err, text);
    assert_same(s, &again);
    /* and writing it again gives the same text */
    char *text2 = mxd_scenario_format(&again);
    ck_assert_str_eq(text, text2);
    free(text);
    free(text2);
    mxd_scenario_free(&again);
}

START_TEST(test_round_trip_builtin)
{
    mxd_scenario *list;
    size_t n = mxd_scenario_list(help_dir(), &list);
    ck_assert_uint_ge(n, 17);
    for (size_t i = 0; i < n; i++) {
        round_trip(&list[i]);
        mxd_scenario_free(&list[i]);
    }
    free(list);
}
END_TEST

START_TEST(test_round_trip_rich)
{
    mxd_scenario s;
    char err[512];
    ck_assert_msg(parse_n(rich, sizeof rich - 1, "rich.scn", &s, err, sizeof err) == 0,
                  "%s", err);
    round_trip(&s);
    mxd_scenario_free(&s);

    /* TXT bytes that need escapes, and one longer than a character-string. */
    char text[2048];
    char big[400];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    snprintf(text, sizeof text, HDR "[zone lab.test]\nt TXT \"\\000\\255\\009tab\" \"%s\"\n", big);
    ck_assert_msg(parse(text, &s, err, sizeof err) == 0, "%s", err);
    const mxd_rr *r = find_rr(&s.zones[0], "t.lab.test", MXD_T_TXT, 0);
    ck_assert_uint_eq(r->data_len, 6 + sizeof big - 1);
    ck_assert_mem_eq(r->data, "\0\xff\ttab", 6);
    round_trip(&s);
    mxd_scenario_free(&s);
}
END_TEST

/* ------------------------------------------------------------ files and folders */

static char tmpdir[256];

static void write_file(const char *name, const char *text, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, len, f), len);
    fclose(f);
}

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/mxd-scn-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    char sub[300];
    snprintf(sub, sizeof sub, "%s/scenarios", tmpdir);
    ck_assert_int_eq(mkdir(sub, 0700), 0);
}

static void rm_tmpdir(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

static void load_err(const char *path, mxd_scn_error *e)
{
    mxd_scenario s;
    memset(&s, 0x55, sizeof s);
    ck_assert_int_eq(mxd_scenario_load(path, &s, e), -1);
    ck_assert_ptr_null(s.zones);
}

START_TEST(test_load_limits)
{
    make_tmpdir();
    mxd_scenario s;
    mxd_scn_error e;
    char err[1024], path[512];
    /* one byte over the cap: refused before parsing */
    size_t big = MXD_SCENARIO_MAX_BYTES + 1;
    char *text = malloc(big);
    memset(text, '#', big);
    write_file("big.scn", text, big);
    free(text);
    snprintf(path, sizeof path, "%s/big.scn", tmpdir);
    load_err(path, &e);
    assert_error(&e, path, &(want_err){ E(TOO_LARGE), 0,
                 "larger than 1048576 bytes; a scenario file should be small",
                 "1048576バイトを超えています" }, 0);
    /* missing file */
    snprintf(path, sizeof path, "%s/none.scn", tmpdir);
    load_err(path, &e);
    assert_error(&e, path, &(want_err){ E(NOT_FOUND), 0, "No such file",
                 "ファイルが見つかりません。ファイル名とフォルダーを確認してください" }, 1);
    /* a folder */
    load_err(tmpdir, &e);
    assert_error(&e, tmpdir, &(want_err){ E(IS_FOLDER), 0, "this is a folder, not a file",
                 "これはファイルではなくフォルダーです" }, 2);
    /* a link to itself: any other reason is given as the system words it */
    snprintf(path, sizeof path, "%s/loop.scn", tmpdir);
    ck_assert_int_eq(symlink("loop.scn", path), 0);
    load_err(path, &e);
    char *reason = mxd_sanitize_str(strerror(ELOOP));
    char want_ja[256];
    snprintf(want_ja, sizeof want_ja, "ファイルを開けません（%s）", reason);
    assert_error(&e, path, &(want_err){ E(CANNOT_OPEN), 0, reason, want_ja }, 3);
    free(reason);
    /* a file we may not read (root may read anything: then the error by hand) */
    write_file("secret.scn", "id: x\n", 6);
    snprintf(path, sizeof path, "%s/secret.scn", tmpdir);
    ck_assert_int_eq(chmod(path, 0), 0);
    if (geteuid() != 0)
        load_err(path, &e);
    else
        mxd_scn_error_at(&e, path, 0), mxd_scn_error_set(&e, E(NO_ACCESS), NULL);
    assert_error(&e, path, &(want_err){ E(NO_ACCESS), 0, "Permission denied",
                 "このファイルを読む権限がありません" }, 4);
    /* a good file keeps its path, and clears the error */
    static const char good[] = HDR "[zone lab.test]\n";
    write_file("good.scn", good, sizeof good - 1);
    snprintf(path, sizeof path, "%s/good.scn", tmpdir);
    ck_assert_int_eq(mxd_scenario_load(path, &s, &e), 0);
    ck_assert_int_eq(e.code, MXD_SCN_OK);
    ck_assert_str_eq(s.path, path);
    mxd_scenario_free(&s);
    english(&e, err, sizeof err);
    ck_assert_str_eq(err, "");
    rm_tmpdir();
}
END_TEST

START_TEST(test_list_skips_bad_and_duplicates)
{
    make_tmpdir();
    static const char a[] = "id: a\ndomain: a.lab.test\ntitle.en: A\ntitle.ja: A\n[zone lab.test]\n";
    static const char b[] = "id: b\ndomain: b.lab.test\ntitle.en: B\ntitle.ja: B\n[zone lab.test]\n";
    static const char broken[] = "id: c\nwhat: is this\n";
    write_file("scenarios/20-b.scn", b, sizeof b - 1);
    write_file("scenarios/10-a.scn", a, sizeof a - 1);
    write_file("scenarios/15-broken.scn", broken, sizeof broken - 1);
    write_file("scenarios/30-a-again.scn", a, sizeof a - 1);
    write_file("scenarios/notes.txt", "x", 1);
    mxd_scenario *list;
    size_t nfailed;
    mxd_scn_error e;
    char path[512];
    size_t n = mxd_scenario_list_checked(tmpdir, &list, &nfailed, &e);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(nfailed, 2);
    ck_assert_str_eq(list[0].id, "a");
    ck_assert_str_eq(list[1].id, "b");
    /* the first one left out is the one reported */
    snprintf(path, sizeof path, "%s/scenarios/15-broken.scn", tmpdir);
    assert_error(&e, path, &(want_err){ E(UNKNOWN_HEADER_KEY), 2, "unknown key 'what'",
                 "「what」は知らないキーです" }, 0);
    ck_assert_ptr_null(mxd_scenario_find(list, n, "c"));
    ck_assert_ptr_eq(mxd_scenario_find(list, n, "b"), &list[1]);
    for (size_t i = 0; i < n; i++)
        mxd_scenario_free(&list[i]);
    free(list);
    /* a second file with the same id */
    snprintf(path, sizeof path, "%s/scenarios/15-broken.scn", tmpdir);
    ck_assert_int_eq(unlink(path), 0);
    n = mxd_scenario_list_checked(tmpdir, &list, &nfailed, &e);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(nfailed, 1);
    snprintf(path, sizeof path, "%s/scenarios/30-a-again.scn", tmpdir);
    char first[512], want_en[600], want_ja[600];
    snprintf(first, sizeof first, "%s/scenarios/10-a.scn", tmpdir);
    snprintf(want_en, sizeof want_en, "id 'a' is already used by %s", first);
    snprintf(want_ja, sizeof want_ja, "id「a」は %s ですでに使われています", first);
    assert_error(&e, path, &(want_err){ E(DUPLICATE_ID), 0, want_en, want_ja }, 1);
    for (size_t i = 0; i < n; i++)
        mxd_scenario_free(&list[i]);
    free(list);
    /* no folder at all: nothing left out, but the error says why */
    ck_assert_uint_eq(mxd_scenario_list("/nonexistent-mxd", &list), 0);
    ck_assert_ptr_null(list);
    ck_assert_uint_eq(mxd_scenario_list_checked("/nonexistent-mxd", &list, &nfailed, &e), 0);
    ck_assert_uint_eq(nfailed, 0);
    assert_error(&e, "/nonexistent-mxd/scenarios", &(want_err){ E(NOT_FOUND), 0,
                 "No such file", "ファイルが見つかりません" }, 2);
    rm_tmpdir();
}
END_TEST

/* Errors no test input can cause (the machine runs out of memory, the disk
 * fails), shown from hand-made values. */
static const want_err hand_cases[] = {
    { E(NOMEM), 3, "out of memory", "メモリーが足りません" },
    { E(READ_ERROR), 0, "read error", "ファイルを最後まで読み込めませんでした" },
};

START_TEST(test_error_by_hand)
{
    mxd_scn_error e;
    mxd_scn_error_clear(&e);
    mxd_scn_error_at(&e, "t.scn", hand_cases[_i].line);
    ck_assert_int_eq(mxd_scn_error_set(&e, hand_cases[_i].code, NULL), -1);
    assert_error(&e, "t.scn", &hand_cases[_i], _i);
}
END_TEST

/* Every kind of error is asserted above in both languages: as a file, a built
 * text, a folder listing or by hand. */
START_TEST(test_every_error_tested)
{
    static const mxd_scn_errcode by_file[] = {
        E(TOO_LARGE), E(NOT_FOUND), E(IS_FOLDER), E(CANNOT_OPEN), E(NO_ACCESS), E(DUPLICATE_ID),
    };
    for (int c = 1; c < MXD_SCN_E_COUNT; c++) {
        bool found = false;
        for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0] && !found; i++)
            found = (int)bad_cases[i].w.code == c;
        for (size_t i = 0; i < sizeof big_cases / sizeof big_cases[0] && !found; i++)
            found = (int)big_cases[i].code == c;
        for (size_t i = 0; i < sizeof by_file / sizeof by_file[0] && !found; i++)
            found = (int)by_file[i] == c;
        for (size_t i = 0; i < sizeof hand_cases / sizeof hand_cases[0] && !found; i++)
            found = (int)hand_cases[i].code == c;
        ck_assert_msg(found, "no test shows %s", mxd_scn_error_key((mxd_scn_errcode)c));
    }
}
END_TEST

/* The file name and the values reach a terminal: whatever they hold, what is
 * shown is clean UTF-8 without control characters. */
START_TEST(test_error_is_sanitised)
{
    mxd_scenario s;
    mxd_scn_error e;
    const char *evil = "evil\x1b]0;pwned\x07\xe2\x80\xae.scn";
    static const char text[] = HDR "[zone lab.test]\nt 99x A 127.0.0.1\n";
    ck_assert_int_eq(mxd_scenario_parse(text, sizeof text - 1, evil, &s, &e), -1);
    for (int l = 0; l < MXD_LANG_COUNT; l++) {
        char *t = mxd_scn_error_format(&e, cats[l]);
        ck_assert_msg(mxd_is_clean(t, strlen(t), 0), "%s", t);
        ck_assert_ptr_nonnull(strstr(t, "evil\\x1B]0;pwned\\x07<U+202E>.scn:6: "));
        free(t);
    }
    /* a long value is cut on a character boundary */
    mxd_sb sb = MXD_SB_INIT;
    mxd_sb_puts(&sb, HDR);
    for (int i = 0; i < 400; i++)
        mxd_sb_puts(&sb, "鍵");
    mxd_sb_puts(&sb, ": x\n");
    ck_assert_int_eq(parse_e(mxd_sb_str(&sb), &s, &e), -1);
    mxd_sb_free(&sb);
    ck_assert_int_eq(e.code, E(UNKNOWN_HEADER_KEY));
    const char *v = mxd_scn_error_get(&e, "key");
    ck_assert_uint_lt(strlen(v), MXD_SCN_ERR_VALUE_MAX);
    ck_assert_msg(mxd_is_clean(v, strlen(v), 0), "%s", v);
    ck_assert_str_eq(v + strlen(v) - 3, "…");
}
END_TEST

/* Without a catalog (or without the entry) the error still says everything:
 * its key and its values. */
START_TEST(test_error_without_catalog)
{
    mxd_scenario s;
    mxd_scn_error e;
    ck_assert_int_eq(parse_e(HDR "[zone lab.test]\nt IN MX 10 mx..lab.test.\n", &s, &e), -1);
    char *t = mxd_scn_error_format(&e, NULL);
    ck_assert_str_eq(t, "t.scn:6: scn.err.bad_name what=scn.what.mx_host value=mx..lab.test. "
                        "why=scn.why.double_dot");
    free(t);
    char why[256];
    mxd_catalog *other = mxd_catalog_parse("[scn.err.other]\ntext: x\n", 23, "o.cat", why,
                                           sizeof why);
    ck_assert_ptr_nonnull(other);
    ck_assert_int_eq(parse_e(HDR "[zone lab.test]\nt 99x A 127.0.0.1\n", &s, &e), -1);
    t = mxd_scn_error_format(&e, other);
    ck_assert_str_eq(t, "t.scn:6: scn.err.bad_ttl value=99x");
    free(t);
    mxd_catalog_free(other);
    /* no error: nothing to show */
    mxd_scn_error_clear(&e);
    t = mxd_scn_error_format(&e, cats[MXD_LANG_EN]);
    ck_assert_str_eq(t, "");
    free(t);
    /* a NULL error goes nowhere, and a value too many is kept (so a wrong call shows) */
    ck_assert_int_eq(mxd_scn_error_set(NULL, E(BAD_TTL), "1", NULL), -1);
    mxd_scn_error_set(&e, E(BAD_TTL), "1", "2", NULL);
    ck_assert_uint_eq(e.nparams, 2);
    ck_assert_str_eq(mxd_scn_error_get(&e, "extra"), "2");
}
END_TEST

START_TEST(test_names)
{
    ck_assert_str_eq(mxd_smtp_behaviour_name(MXD_SMTPB_NO_STARTTLS), "no-starttls");
    ck_assert_str_eq(mxd_smtp_behaviour_name(MXD_SMTPB_GREET_554), "greet554");
    ck_assert_str_eq(mxd_cert_kind_name(MXD_CERT_SELF_SIGNED), "self-signed");
    ck_assert_str_eq(mxd_auth_mode_name(MXD_AUTH_SERVFAIL), "servfail");
    ck_assert_str_eq(mxd_smtp_behaviour_name(MXD_SMTPB_TLS_GARBAGE), "tls-garbage");
    ck_assert_str_eq(mxd_smtp_behaviour_name(MXD_SMTPB_HOSTILE_NOREAD), "hostile-noread");
    /* every behaviour's name parses back to it */
    for (int b = 0; strcmp(mxd_smtp_behaviour_name((mxd_smtp_behaviour)b), "?") != 0; b++) {
        char text[512], err[512];
        snprintf(text, sizeof text, HDR "[zone lab.test]\n[smtp 127.0.53.1]\nname: a.lab.test\n"
                                        "behaviour: %s\n", mxd_smtp_behaviour_name((mxd_smtp_behaviour)b));
        mxd_scenario sc;
        ck_assert_msg(parse(text, &sc, err, sizeof err) == 0, "%s", err);
        ck_assert_int_eq(sc.smtp[0].behaviour, b);
        mxd_scenario_free(&sc);
        ck_assert_int_lt(b, 100);
    }
}
END_TEST

static Suite *scenario_suite(void)
{
    Suite *s = suite_create("scenario");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_unchecked_fixture(tc, load_cats, free_cats);
    tcase_add_test(tc, test_builtin_all_parse);
    tcase_add_test(tc, test_builtin_cover_lessons);
    tcase_add_test(tc, test_builtin_cover_every_finding);
    tcase_add_loop_test(tc, test_malformed, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
    tcase_add_loop_test(tc, test_malformed_big, 0, (int)(sizeof big_cases / sizeof big_cases[0]));
    tcase_add_loop_test(tc, test_error_by_hand, 0,
                        (int)(sizeof hand_cases / sizeof hand_cases[0]));
    tcase_add_test(tc, test_every_error_tested);
    tcase_add_test(tc, test_error_is_sanitised);
    tcase_add_test(tc, test_error_without_catalog);
    tcase_add_test(tc, test_fields);
    tcase_add_test(tc, test_defaults_and_synthesis);
    tcase_add_test(tc, test_delivery_settings);
    tcase_add_test(tc, test_tlsa_and_dnssec);
    tcase_add_test(tc, test_round_trip_builtin);
    tcase_add_test(tc, test_round_trip_rich);
    tcase_add_test(tc, test_load_limits);
    tcase_add_test(tc, test_list_skips_bad_and_duplicates);
    tcase_add_test(tc, test_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(scenario_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
