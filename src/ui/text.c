/* text.c — the wizard's own sentences (menus, prompts, key hints), both languages.
 *
 * Findings, steps, verdicts and the glossary come from the help catalog. The
 * chrome lives here so the wizard is whole even with a catalog that lacks it,
 * but the catalog wins: an entry "[msg.ui.<name>]" with a "text:" field replaces
 * the built-in sentence, so a translator can change any of them without a
 * rebuild. Key hints avoid arrow glyphs: they are "ambiguous width" characters
 * that many Japanese terminals draw two columns wide, which would shift the line.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "mxd/sanitize.h"
#include "mxd/strbuf.h"
#include "uipriv.h"

typedef struct ui_text_def {
    const char *en, *ja;
} ui_text_def;

static const char *const text_keys[T_COUNT] = {
#define UI_TEXT_KEY(id, key) [T_##id] = "msg.ui." key,
    UI_TEXTS(UI_TEXT_KEY)
#undef UI_TEXT_KEY
};

static const ui_text_def builtin[T_COUNT] = {
    [T_TAGLINE] = { "Find out why mail does not arrive",
                    "メールが届かない原因を調べます" },
    [T_Q_WHAT] = { "What is wrong?", "どのような問題がありますか？" },
    [T_CHOICE_INBOUND] = { "Mail to this domain does not arrive",
                           "このドメイン宛てのメールが届かない" },
    [T_CHOICE_OUTBOUND] = { "Mail from this domain is rejected or lands in spam",
                            "このドメインから送ったメールが拒否される・迷惑メールになる" },
    [T_CHOICE_BOUNCE] = { "I have a bounce message",
                          "エラーメール（バウンスメール）が返ってきた" },
    [T_CHOICE_ALL] = { "Check everything", "すべて確認する" },
    [T_CHOICE_LAB] = { "Practice lab (exercises that work offline)",
                       "練習ラボ（オフラインで使える演習）" },
    [T_NOT_YET_TAG] = { "(not available yet)", "（未対応）" },
    [T_NOT_YET_OUTBOUND] = { "Checks of the sending side (SPF, DKIM, DMARC, reverse DNS) are not available yet in "
        "this version. mxdoctor runs the checks it has instead: the domain's MX records, the "
        "addresses of its mail servers, and the SMTP servers themselves.",
        "送信側の確認（SPF・DKIM・DMARC・逆引き）は、このバージョンではまだ使えません。"
        "代わりに、今ある確認（MXレコード、メールサーバーのアドレス、SMTPサーバー）を行います。" },
    [T_NOT_YET_BOUNCE] = { "Reading bounce messages is not available yet in this version. Type the domain of the "
        "address that bounced (the part after @): mxdoctor checks its MX records and mail "
        "servers.",
        "エラーメール（バウンスメール）の読み取りは、このバージョンではまだ使えません。"
        "届かなかった宛先アドレスの @ より後ろ（ドメイン名）を入力してください。"
        "そのドメインのMXレコードとメールサーバーを確認します。" },
    [T_FIELD_LABEL] = { "Domain (an e-mail address or a URL works too):",
                        "ドメイン名（メールアドレスやURLのままでも構いません）：" },
    [T_FOOT_CHOICES] = { "Up/Down choose  Enter select  L language  ? help  q quit",
                         "上下キー:選択  Enter:決定  L:言語  ?:ヘルプ  q:終了" },
    [T_FOOT_FIELD] = { "Enter start  Tab choices  Up/Down history  F1 help  F2 language  F10 quit",
                       "Enter:開始  Tab:選択肢へ  上下キー:履歴  F1:ヘルプ  F2:言語  F10:終了" },
    [T_FOOT_STEP] = { "n next  p back  d details  g glossary  r re-run  ? help  q quit",
                      "n:次へ  p:戻る  d:詳細  g:用語集  r:再実行  ?:ヘルプ  q:終了" },
    [T_FOOT_SUMMARY] = { "e save report  p back  d details  g glossary  r re-run  ? help  q quit",
                         "e:保存  p:戻る  d:詳細  g:用語集  r:再実行  ?:ヘルプ  q:終了" },
    [T_FOOT_OVERLAY] = { "Up/Down/PgUp/PgDn scroll  Esc close  L language  q quit",
                         "上下キー・PgUp・PgDn:スクロール  Esc:閉じる  L:言語  q:終了" },
    [T_FOOT_LAB_MENU] = { "Up/Down choose  Enter start  Esc back  ? help  q quit",
                          "上下キー:選択  Enter:開始  Esc:戻る  ?:ヘルプ  q:終了" },
    [T_FOOT_LAB_INTRO] = { "Enter/n go to the steps  h hint  ? help  q quit",
                           "Enter・n:ステップへ  h:ヒント  ?:ヘルプ  q:終了" },
    [T_FOOT_PROMPT] = { "y yes  n no  Esc cancel",
                        "y:はい  n:いいえ  Esc:取り消し" },
    [T_LANG_SWITCH] = { "L: 日本語", "L: English" },
    [T_RUNNING] = { "checking: {n} open", "確認中：残り {n} 件" },
    [T_FINISHED] = { "done in {time}", "完了（{time}）" },
    [T_TIMED_OUT] = { "stopped after {time}", "{time}で打ち切り" },
    [T_WAITING] = { "Waiting for {n} answers...",
                    "{n} 件の応答を待っています..." },
    [T_WAITING_EARLIER] = { "Waiting for the answers of the earlier steps...",
                            "前のステップの応答を待っています..." },
    [T_NOTHING_YET] = { "Nothing to show yet.",
                        "まだ表示できる結果はありません。" },
    [T_NO_FINDINGS] = { "This step has nothing to report.",
                        "このステップで報告することはありません。" },
    [T_WHAT] = { "What:", "状況：" },
    [T_WHY] = { "Why it matters:", "影響：" },
    [T_NEXT] = { "Next:", "対処：" },
    [T_COMMANDS] = { "Check it yourself", "自分で確かめるには" },
    [T_NO_COMMANDS] = { "No command to show for this step yet.",
                        "このステップで示せるコマンドは、まだありません。" },
    [T_MORE_BELOW] = { "-- more below (Down, PgDn) --",
                       "-- 続きがあります（下キー・PgDn）--" },
    [T_SUMMARY_RUNNING] = { "Some checks are still running: this summary may still change.",
                            "まだ終わっていない確認があります。この結果は、この後変わることがあります。" },
    [T_CAUSES] = { "Likely causes, most likely first",
                   "考えられる原因（可能性の高い順）" },
    [T_NO_CAUSES] = { "No warning and no failure was found.",
                      "警告も異常も見つかりませんでした。" },
    [T_NEXT_ACTIONS] = { "What to do next", "次にすること" },
    [T_CALLER] = { "Read this to the caller", "電話口で伝える内容" },
    [T_CALLER_CAUSE] = { "The most likely cause: {title}.",
                         "最も可能性の高い原因は「{title}」です。" },
    [T_CALLER_NEXT] = { "What to do: {next}", "対処：{next}" },
    [T_EXPORT_HINT] = { "Press e to save this report to a file (text, Markdown or JSON).",
                        "e キーで、この報告書をファイルに保存できます（テキスト・Markdown・JSON）。" },
    [T_EXPORT_TITLE] = { "Save the report", "報告書を保存" },
    [T_EXPORT_FORMAT] = { "Format:", "形式：" },
    [T_EXPORT_FILE] = { "File name:", "ファイル名：" },
    [T_EXPORT_KEYS] = { "Enter save  Tab format  Esc cancel",
                        "Enter:保存  Tab:形式の切替  Esc:取り消し" },
    [T_EXPORT_EXISTS] = { "{path} already exists. Overwrite it? (y/n)",
                          "{path} はすでにあります。上書きしますか？ (y/n)" },
    [T_EXPORT_OK] = { "Saved the report to {path} ({bytes} bytes).",
                      "報告書を {path} に保存しました（{bytes} バイト）。" },
    [T_EXPORT_FAIL] = { "Could not save {path}: {error}",
                        "{path} に保存できませんでした：{error}" },
    [T_EXPORT_EMPTY] = { "Type a file name.",
                         "ファイル名を入力してください。" },
    [T_QUIT_RUNNING] = { "Checks are still running. Quit anyway? (y/n)",
                         "まだ確認中です。終了しますか？ (y/n)" },
    [T_TOO_SMALL] = { "This window is too small ({cols}x{rows}). Please make it at least "
                      "{min_cols}x{min_rows}. (q quits)",
                      "ウィンドウが小さすぎます（{cols}x{rows}）。{min_cols}x{min_rows} "
                      "以上に広げてください。（q で終了）" },
    [T_HELP_TITLE] = { "Keys", "キー操作" },
    [T_HELP_KEYS] = { "n, Right, Enter|next step\n"
        "p, Left, Backspace|previous step\n"
        "1 ... 9, s|go to a step by its number, s to the summary\n"
        "Up, Down, PgUp, PgDn, Space|scroll\n"
        "d|details: the DNS answers and SMTP conversations as they came\n"
        "g|glossary\n"
        "L, F2|switch the language (日本語 / English)\n"
        "r|run the checks again\n"
        "e|save the report to a file (on the summary)\n"
        "h|hint (practice lab)\n"
        "?, F1|this help\n"
        "Esc|close a window\n"
        "q, F10|quit\n"
        "|In the domain field: Left, Right, Home, End move the cursor; Up and Down bring "
        "back earlier entries; Ctrl-U clears the field; Tab goes back to the choices.",
        "n・右キー・Enter|次のステップへ\n"
        "p・左キー・Backspace|前のステップへ\n"
        "1～9・s|番号のステップへ移動（s はまとめ）\n"
        "上下キー・PgUp・PgDn・Space|スクロール\n"
        "d|詳細（DNSの応答とSMTPのやり取りを、そのまま表示）\n"
        "g|用語集\n"
        "L・F2|表示言語の切替（日本語 / English）\n"
        "r|もう一度確認する\n"
        "e|報告書をファイルに保存（まとめ画面）\n"
        "h|ヒント（練習ラボ）\n"
        "?・F1|このヘルプ\n"
        "Esc|ウィンドウを閉じる\n"
        "q・F10|終了\n"
        "|ドメイン名の入力欄では、左右キー・Home・End でカーソルを動かします。"
        "上下キーで前に入力した内容を呼び出し、Ctrl-U で入力欄を空にし、Tab で選択肢に戻ります。" },
    [T_GLOSSARY_TITLE] = { "Glossary", "用語集" },
    [T_GLOSSARY_EMPTY] = { "The glossary is empty: the help catalog has no glossary entries.",
                           "用語集の項目がありません（ヘルプカタログに用語の項目がありません）。" },
    [T_DETAILS_TITLE] = { "Details: DNS answers and SMTP conversations",
                          "詳細：DNSの応答とSMTPのやり取り" },
    [T_DETAILS_DNS] = { "DNS answers", "DNSの応答" },
    [T_DETAILS_SMTP] = { "SMTP conversations", "SMTPのやり取り" },
    [T_DETAILS_NONE] = { "No diagnosis has run yet.",
                         "まだ診断していません。" },
    [T_DETAILS_NO_SMTP] = { "No SMTP conversation (yet).",
                            "SMTPのやり取りは（まだ）ありません。" },
    [T_LAB_MENU_TITLE] = { "Practice lab: choose a scenario",
                           "練習ラボ：シナリオを選んでください" },
    [T_LAB_NONE] = { "No scenario was found in {dir}.",
                     "{dir} にシナリオが見つかりませんでした。" },
    [T_LAB_FAILED] = { "The lab could not start: {error}",
                       "練習ラボを開始できませんでした：{error}" },
    [T_LAB_QUESTION] = { "Question", "問題" },
    [T_LAB_HINT] = { "Hint", "ヒント" },
    [T_LAB_NO_HINT] = { "This scenario has no hint.",
                        "このシナリオにはヒントがありません。" },
    [T_LAB_ANSWER] = { "Answer", "解答" },
    [T_LAB_START] = { "The lab's servers are running on this computer and the checks have "
                      "started. Press Enter to go through the steps, h for a hint.",
                      "練習用のサーバーがこのコンピューター上で動き、確認が始まっています。"
                      "Enter でステップに進みます。h でヒントを表示します。" },
    [T_LEVEL_BEGINNER] = { "beginner", "初級" },
    [T_LEVEL_ADVANCED] = { "advanced", "上級" },
    [T_ENGINE_FAILED] = { "The checks could not start: {error}",
                          "確認を開始できませんでした：{error}" },
    [T_RERUN] = { "Running the checks again.", "もう一度確認しています。" },
    [T_NO_DIAGNOSIS] = { "Type a domain first.",
                         "先にドメイン名を入力してください。" },
    [T_STEP_COUNTER] = { "Step {i} of {n}", "ステップ {i}/{n}" },
};

const char *ui_text_key(ui_text_id id)
{
    return (unsigned)id < T_COUNT ? text_keys[id] : "";
}

const char *ui_text_builtin(ui_text_id id, mxd_lang lang)
{
    if ((unsigned)id >= T_COUNT)
        return "";
    return lang == MXD_LANG_JA ? builtin[id].ja : builtin[id].en;
}

const char *ui_text(const mxd_catalog *cat, mxd_lang lang, ui_text_id id)
{
    if ((unsigned)id >= T_COUNT)
        return "";
    const char *t = cat ? mxd_catalog_get(cat, text_keys[id], "text") : NULL;
    return t ? t : ui_text_builtin(id, lang);
}

/* Fills {name} from the key/value list; unknown names stay as written, like the
 * catalog does, so a missing value is visible rather than silently empty. */
static char *fill(const char *tmpl, va_list ap)
{
    const char *keys[8], *vals[8];
    size_t n = 0;
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k)
            break;
        const char *v = va_arg(ap, const char *);
        if (n < 8) {
            keys[n] = k;
            vals[n] = v ? v : "";
            n++;
        }
    }
    mxd_sb sb = MXD_SB_INIT;
    for (const char *p = tmpl; *p;) {
        if (*p == '{') {
            const char *e = strchr(p, '}');
            if (e) {
                size_t kl = (size_t)(e - p - 1);
                size_t i;
                for (i = 0; i < n; i++)
                    if (strlen(keys[i]) == kl && strncmp(keys[i], p + 1, kl) == 0)
                        break;
                if (i < n) {
                    /* values may be catalog text with line breaks: keep those */
                    char *clean = mxd_sanitize(vals[i], strlen(vals[i]), MXD_SAN_KEEP_NEWLINES, 0);
                    mxd_sb_puts(&sb, clean ? clean : "");
                    free(clean);
                    p = e + 1;
                    continue;
                }
            }
        }
        mxd_sb_putc(&sb, *p++);
    }
    if (!sb.buf)
        mxd_sb_puts(&sb, "");
    return mxd_sb_take(&sb);
}

char *ui_fmt(const mxd_catalog *cat, mxd_lang lang, ui_text_id id, ...)
{
    va_list ap;
    va_start(ap, id);
    char *s = fill(ui_text(cat, lang, id), ap);
    va_end(ap);
    return s;
}
