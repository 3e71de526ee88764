/* fuzz_bounce.c — the bounce and mail-log decoder (`mxdoctor --explain`) on any
 * paste, then its three writers in both languages.
 *
 * Properties from bounce.h: at most MXD_BOUNCE_MAX_STATUSES statuses, each with
 * a class of 2, 4 or 5, a reply code of 0 or 200..599, a registered id, and
 * only sanitised strings; truncated when the paste is over the input bound,
 * or (a MIME paste only) when its decoded text is. The text and Markdown writers produce safe text (line breaks aside)
 * and the JSON writer one valid JSON value; the suggested command for a
 * status is safe to paste.
 */
#include "fuzz.h"

#include "mxd/bounce.h"
#include "mxd/catalog.h"
#include "mxd/strbuf.h"

static mxd_catalog *cats[MXD_LANG_COUNT];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dir = mxd_help_dir();
    for (int l = 0; l < MXD_LANG_COUNT; l++) {
        char err[256];
        cats[l] = dir ? mxd_catalog_load(dir, (mxd_lang)l, err, sizeof err) : NULL;
        if (!cats[l])
            fprintf(stderr, "fuzz_bounce: no catalog (%s): writers run with keys only\n",
                    dir ? err : "help/ not found");
    }
    return 0;
}

static bool cmd_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr(" .-_:[]<>", c) != NULL || (unsigned char)c >= 0x80;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_dup(data, size);
    mxd_bounce b;
    memset(&b, 0, sizeof b);
    int rc = mxd_bounce_parse(text, size, &b);
    FUZZ_ASSERT(rc == 0);
    FUZZ_ASSERT(b.n <= MXD_BOUNCE_MAX_STATUSES);
    /* Over the bound is always truncated; under it, only a MIME text that
     * grew past the bound when decoded (mime.h) is. */
    FUZZ_ASSERT(size <= MXD_BOUNCE_MAX_INPUT || b.truncated);
    FUZZ_ASSERT(!b.truncated || size > MXD_BOUNCE_MAX_INPUT || b.mime);
    FUZZ_ASSERT(fuzz_str_safe(b.sender, false));
    for (size_t i = 0; i < b.n; i++) {
        const mxd_bounce_status *s = &b.v[i];
        FUZZ_ASSERT(s->cls == 2 || s->cls == 4 || s->cls == 5);
        FUZZ_ASSERT(s->code == 0 || (s->code >= 200 && s->code <= 599));
        FUZZ_ASSERT(memchr(s->enhanced, '\0', sizeof s->enhanced) != NULL);
        FUZZ_ASSERT(s->id != NULL && mxd_bounce_def_find(s->id) != NULL);
        FUZZ_ASSERT(s->step != NULL && strcmp(s->step, mxd_bounce_def_find(s->id)->step) == 0);
        FUZZ_ASSERT(s->permanent == (s->cls == 5));
        FUZZ_ASSERT(fuzz_str_safe(s->recipient, false));
        FUZZ_ASSERT(fuzz_str_safe(s->server_text, false));
        if (s->server_text)
            FUZZ_ASSERT(strlen(s->server_text) <= MXD_BOUNCE_MAX_TEXT + 16);
        (void)mxd_bounce_severity(s);
        for (int l = 0; l < MXD_LANG_COUNT; l++) {
            if (l != (int)(i % MXD_LANG_COUNT))
                continue; /* one language per status is enough */
            char *cmd = mxd_bounce_command(&b, s, cats[l]);
            if (strcmp(s->step, "none") == 0) {
                FUZZ_ASSERT(cmd == NULL);
                continue;
            }
            FUZZ_ASSERT(cmd != NULL);
            for (const char *c = cmd; *c; c++)
                if (!cmd_char_ok(*c)) {
                    fprintf(stderr, "unsafe command: %s\n", cmd);
                    FUZZ_ASSERT(cmd_char_ok(*c));
                }
            free(cmd);
        }
    }
    /* One writer per input (they cost more than the decoder): which one
     * follows from the input's last byte, so each keeps its own. */
    static const struct { int lang; mxd_format fmt; } writers[] = {
        { MXD_LANG_EN, MXD_FMT_TEXT }, { MXD_LANG_JA, MXD_FMT_TEXT },
        { MXD_LANG_EN, MXD_FMT_MARKDOWN }, { MXD_LANG_JA, MXD_FMT_MARKDOWN },
        { MXD_LANG_EN, MXD_FMT_JSON },
    };
    size_t wi = size ? data[size - 1] % (sizeof writers / sizeof writers[0]) : 0;
    mxd_sb out = MXD_SB_INIT;
    mxd_bounce_write(&out, writers[wi].fmt, &b, cats[writers[wi].lang], "fuzz");
    FUZZ_ASSERT(mxd_sb_ok(&out));
    if (writers[wi].fmt == MXD_FMT_JSON) {
        if (!fuzz_json_valid(mxd_sb_str(&out), out.len)) {
            fprintf(stderr, "invalid JSON:\n%s\n", mxd_sb_str(&out));
            FUZZ_ASSERT(!"bounce JSON is valid");
        }
    } else {
        /* TAB may come from the catalog's own text. */
        for (size_t k = 0; k < out.len; k++)
            if (out.buf[k] == '\t')
                out.buf[k] = ' ';
        FUZZ_ASSERT(fuzz_text_safe(mxd_sb_str(&out), out.len, true));
    }
    mxd_sb_free(&out);
    mxd_bounce_free(&b);
    free(text);
    return 0;
}
