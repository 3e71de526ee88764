/* ui.h — the interactive wizard (ncursesw), and the two text tools it is built on.
 *
 * The wizard walks the documented procedure (mxd_steps) one screen per step,
 * then a summary. It knows no protocol: it reads the result model, the findings,
 * the help catalog and the equivalent commands, and drives the engine and the
 * practice lab on the one event loop (keyboard, signals and timers included),
 * so a key press is answered while probes run.
 *
 * Besides the entry point this header declares the two pieces of the wizard that
 * carry the tricky Unicode rules and are tested without a terminal:
 *   - text wrapping by display width with Japanese line-breaking rules (wrap.c);
 *   - the wide-character line editor for the domain field (lineedit.c).
 */
#ifndef MXD_UI_H
#define MXD_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxd/catalog.h"
#include "mxd/result.h"

/* ---- The wizard's own sentences ----
 *
 * Every sentence of the wizard's chrome (choices, prompts, key hints, labels)
 * lives in the help catalog only, as entry "msg.ui.<name>", field "text", in
 * help/<lang>/ui.cat; the program holds no second copy. This one list names
 * them: the wizard builds its text ids from it and tests/unit/check_catalog.c
 * walks it, so a text the code uses cannot go missing from a language unseen.
 * X(ID, "name", "placeholders"): the placeholders are the {names} the wizard
 * fills, space-separated; a translation may use those and no others. A
 * missing entry shows as "[msg.ui.<name>.text]", like every other catalog text. */
#define MXD_UI_TEXTS(X) \
    X(TAGLINE, "tagline", "") \
    X(Q_WHAT, "q_what", "") \
    X(CHOICE_INBOUND, "choice_inbound", "") \
    X(CHOICE_OUTBOUND, "choice_outbound", "") \
    X(CHOICE_BOUNCE, "choice_bounce", "") \
    X(CHOICE_ALL, "choice_all", "") \
    X(CHOICE_LAB, "choice_lab", "") \
    X(NOT_YET_TAG, "not_yet_tag", "") \
    X(NOT_YET_OUTBOUND, "not_yet_outbound", "") \
    X(FIELD_LABEL, "field_label", "") \
    X(FOOT_CHOICES, "foot_choices", "") \
    X(FOOT_FIELD, "foot_field", "") \
    X(FOOT_STEP, "foot_step", "") \
    X(FOOT_SUMMARY, "foot_summary", "") \
    X(FOOT_OVERLAY, "foot_overlay", "") \
    X(FOOT_LAB_MENU, "foot_lab_menu", "") \
    X(FOOT_LAB_INTRO, "foot_lab_intro", "") \
    X(FOOT_PROMPT, "foot_prompt", "") \
    X(LANG_SWITCH, "lang_switch", "") \
    X(RUNNING, "running", "n") \
    X(FINISHED, "finished", "time") \
    X(TIMED_OUT, "timed_out", "time") \
    X(WAITING, "waiting", "n") \
    X(WAITING_EARLIER, "waiting_earlier", "") \
    X(NOTHING_YET, "nothing_yet", "") \
    X(NO_FINDINGS, "no_findings", "") \
    X(WHAT, "what", "") \
    X(WHY, "why", "") \
    X(NEXT, "next", "") \
    X(COMMANDS, "commands", "") \
    X(NO_COMMANDS, "no_commands", "") \
    X(MORE_BELOW, "more_below", "") \
    X(SUMMARY_RUNNING, "summary_running", "") \
    X(CAUSES, "causes", "") \
    X(NO_CAUSES, "no_causes", "") \
    X(NEXT_ACTIONS, "next_actions", "") \
    X(CALLER, "caller", "") \
    X(CALLER_CAUSE, "caller_cause", "title") \
    X(CALLER_NEXT, "caller_next", "next") \
    X(EXPORT_HINT, "export_hint", "") \
    X(EXPORT_TITLE, "export_title", "") \
    X(EXPORT_FORMAT, "export_format", "") \
    X(EXPORT_FILE, "export_file", "") \
    X(EXPORT_KEYS, "export_keys", "") \
    X(EXPORT_EXISTS, "export_exists", "path") \
    X(EXPORT_OK, "export_ok", "path bytes") \
    X(EXPORT_FAIL, "export_fail", "path error") \
    X(EXPORT_EMPTY, "export_empty", "") \
    X(QUIT_RUNNING, "quit_running", "") \
    X(TOO_SMALL, "too_small", "cols rows min_cols min_rows") \
    X(HELP_TITLE, "help_title", "") \
    X(HELP_KEYS, "help_keys", "") \
    X(GLOSSARY_TITLE, "glossary_title", "") \
    X(GLOSSARY_EMPTY, "glossary_empty", "") \
    X(DETAILS_TITLE, "details_title", "") \
    X(DETAILS_DNS, "details_dns", "") \
    X(DETAILS_SMTP, "details_smtp", "") \
    X(DETAILS_NONE, "details_none", "") \
    X(DETAILS_NO_SMTP, "details_no_smtp", "") \
    X(DETAILS_PROP, "details_prop", "") \
    X(DETAILS_AUTH, "details_auth", "zone") \
    X(DETAILS_RESOLVERS, "details_resolvers", "") \
    X(DETAILS_EXPIRES, "details_expires", "ttl time") \
    X(DETAILS_POLICY, "details_policy", "") \
    X(DETAILS_SPF, "details_spf", "") \
    X(FOOT_DELIVERY, "foot_delivery", "") \
    X(RCPT_TITLE, "rcpt_title", "") \
    X(RCPT_QUESTION, "rcpt_question", "") \
    X(RCPT_KEYS, "rcpt_keys", "") \
    X(RCPT_EDIT_KEYS, "rcpt_edit_keys", "") \
    X(RCPT_WAIT, "rcpt_wait", "") \
    X(RCPT_RUNNING, "rcpt_running", "") \
    X(RCPT_DONE, "rcpt_done", "") \
    X(LAB_MENU_TITLE, "lab_menu_title", "") \
    X(LAB_NONE, "lab_none", "dir") \
    X(LAB_FAILED, "lab_failed", "error") \
    X(LAB_SKIPPED, "lab_skipped", "count error") \
    X(LAB_QUESTION, "lab_question", "") \
    X(LAB_HINT, "lab_hint", "") \
    X(LAB_NO_HINT, "lab_no_hint", "") \
    X(LAB_ANSWER, "lab_answer", "") \
    X(LAB_START, "lab_start", "") \
    X(LEVEL_BEGINNER, "level_beginner", "") \
    X(LEVEL_ADVANCED, "level_advanced", "") \
    X(ENGINE_FAILED, "engine_failed", "error") \
    X(RERUN, "rerun", "") \
    X(NO_DIAGNOSIS, "no_diagnosis", "") \
    X(STEP_COUNTER, "step_counter", "i n") \
    X(PASTE_TITLE, "paste_title", "") \
    X(PASTE_INTRO, "paste_intro", "") \
    X(PASTE_SIZE, "paste_size", "lines bytes") \
    X(PASTE_FULL, "paste_full", "max") \
    X(PASTE_EMPTY, "paste_empty", "") \
    X(PASTE_DECODE, "paste_decode", "") \
    X(FOOT_PASTE, "foot_paste", "") \
    X(FOOT_BOUNCE, "foot_bounce", "") \
    X(BOUNCE_TITLE, "bounce_title", "") \
    X(BOUNCE_FOUND, "bounce_found", "n") \
    X(BOUNCE_RECIPIENT, "bounce_recipient", "") \
    X(BOUNCE_CODE, "bounce_code", "") \
    X(BOUNCE_SERVER, "bounce_server", "") \
    X(BOUNCE_STEP, "bounce_step", "") \
    X(BOUNCE_JUMP, "bounce_jump", "key domain") \
    X(BOUNCE_JUMP_SENDER, "bounce_jump_sender", "key domain") \
    X(BOUNCE_RUN, "bounce_run", "")

/* ---- Entry point ---- */

typedef struct mxd_ui_config {
    const char *initial_input;            /* domain as typed on the command line, or NULL */
    mxd_lang lang;                        /* starting language */
    mxd_catalog *cat[MXD_LANG_COUNT];     /* both catalogs, borrowed (an entry may be NULL) */
    mxd_options opts;                     /* engine options (resolvers etc.) */
    bool lab;                             /* --lab given */
    const char *lab_scenario;             /* id or file path; NULL with lab=true: scenario menu */
    unsigned lab_latency_ms;
    const char *helpdir;                  /* NULL: mxd_help_dir() */
} mxd_ui_config;

/* Runs the wizard on the controlling terminal (stdin/stdout) until the user
 * quits. cfg and everything it points to are borrowed for the duration.
 * Returns the process exit status: the verdict's status (0 pass, 1 warn, 2 fail,
 * 3 could not diagnose) when a diagnosis finished, 3 when the user left a
 * diagnosis unfinished, 0 when none was started, 64 for a lab scenario that does
 * not load, 129 after SIGHUP (or a terminal that went away), 130 after SIGINT and
 * 143 after SIGTERM. The terminal is restored on every one of these paths. */
int mxd_ui_run(const mxd_ui_config *cfg);

/* ---- Wrapping by display width (wrap.c) ----
 *
 * Widths come from libunistring (uc_width, "UTF-8": East Asian wide characters
 * count 2, ambiguous ones 1, as the terminal and ncursesw draw them). Breaks are
 * the UAX #14 opportunities from u8_possible_linebreaks(), narrowed by Japanese
 * kinsoku rules: no line starts with closing punctuation, small kana or the
 * prolonged sound mark (。、）」ーっ …) and none ends with an opening bracket.
 * A word wider than the line (a long host name, a URL) is cut by width, after a
 * '.', '/', '-' or '@' when one is near, and never inside a character. */

typedef struct mxd_wline {
    size_t off, len; /* the line is text[off, off+len): trailing spaces not included */
    int width;       /* its display width, <= cols unless one character is wider */
} mxd_wline;

/* Display width of len bytes of UTF-8 (invalid bytes and control characters
 * count 1, as they are drawn as a replacement). */
int mxd_text_width(const char *s, size_t len);

/* Wraps the NUL-terminated UTF-8 text into lines of at most cols columns
 * (cols < 1 is taken as 1); "\n" ends a line. Returns the number of lines and
 * sets *out to a new array the caller frees (NULL and 0 for "" or on ENOMEM). */
size_t mxd_wrap(const char *text, int cols, mxd_wline **out);

/* The longest prefix of s (len bytes) that fits in cols columns, ending on a
 * character boundary; its width goes to *width when width is not NULL. */
size_t mxd_text_fit(const char *s, size_t len, int cols, int *width);

/* ---- Line editor (lineedit.c) ----
 *
 * The domain field: code points, not bytes, so Backspace removes one whole
 * character (a double-width 例 included) and the cursor column is the display
 * width of the text before it. Pasted text (e-mail addresses, URLs, IME output)
 * arrives as characters and is inserted as typed; control characters are
 * dropped. History holds earlier entries of this session. */

typedef enum {
    MXD_LE_LEFT, MXD_LE_RIGHT, MXD_LE_HOME, MXD_LE_END,
    MXD_LE_BACKSPACE, MXD_LE_DELETE,
    MXD_LE_KILL_LINE,   /* Ctrl-U: clear the field */
    MXD_LE_KILL_END,    /* Ctrl-K: delete to the end */
    MXD_LE_KILL_WORD,   /* Ctrl-W: delete the word before the cursor */
    MXD_LE_HIST_PREV, MXD_LE_HIST_NEXT,
} mxd_le_action;

typedef struct mxd_lineedit {
    uint32_t *buf;       /* owned, len code points (not terminated) */
    size_t len, cap;
    size_t cur;          /* cursor, 0..len, in code points */
    size_t max;          /* longest text accepted, in code points */
    char **hist;         /* owned copies, oldest first */
    size_t nhist;
    size_t hpos;         /* nhist while editing a new line */
    char *draft;         /* owned: the unfinished line saved while browsing history */
} mxd_lineedit;

/* max 0 means 1024 code points. */
void mxd_le_init(mxd_lineedit *le, size_t max);
void mxd_le_free(mxd_lineedit *le);
/* Replaces the text (UTF-8; invalid bytes become U+FFFD) and puts the cursor at
 * the end. Returns 0, or -1 on ENOMEM. */
int mxd_le_set(mxd_lineedit *le, const char *utf8);
/* Inserts one character at the cursor; control characters are ignored.
 * Returns true when the text changed. */
bool mxd_le_insert(mxd_lineedit *le, uint32_t c);
/* Inserts UTF-8 text (a paste) character by character; returns true when the
 * text changed. */
bool mxd_le_insert_str(mxd_lineedit *le, const char *utf8);
/* Applies an editing action; returns true when the text or cursor changed. */
bool mxd_le_do(mxd_lineedit *le, mxd_le_action a);
/* The text as a new UTF-8 string the caller frees (NULL on ENOMEM). */
char *mxd_le_text(const mxd_lineedit *le);
/* Display width of the text before the cursor. */
int mxd_le_cursor_col(const mxd_lineedit *le);
/* Display width of the whole text. */
int mxd_le_width(const mxd_lineedit *le);
/* For a field cols wide: the first code point to show so that the cursor is
 * visible (a wide character is never split at either edge), and the cursor's
 * column inside the field. */
void mxd_le_view(const mxd_lineedit *le, int cols, size_t *first, int *cursor_col);
/* Adds utf8 to the history (not when empty or equal to the newest entry) and
 * resets browsing. Returns 0, or -1 on ENOMEM. */
int mxd_le_history_add(mxd_lineedit *le, const char *utf8);

#endif
