/* uipriv.h — the wizard's insides, shared by the files in src/ui/ only.
 *
 * Three layers, each in its own files:
 *   - text.c: every sentence of the wizard's own chrome, in both languages, with
 *     the help catalog allowed to override each one (key "msg.ui.<name>");
 *   - doc.c: a layout ("doc") of lines of styled spans, built without curses so
 *     the screens' layouts can be tested headless; draw.c puts a doc on screen;
 *   - screens (scr_*.c): one table of operations each, after tig's view_ops —
 *     draw, key, done — whose key handler returns what should happen next
 *     (after htop's HandlerResult) instead of reading more keys itself.
 * ui.c owns the loop, the terminal, the screen stack and the diagnosis.
 */
#ifndef MXD_UIPRIV_H
#define MXD_UIPRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include "mxd/catalog.h"
#include "mxd/checks.h"
#include "mxd/engine.h"
#include "mxd/finding.h"
#include "mxd/input.h"
#include "mxd/lab.h"
#include "mxd/loop.h"
#include "mxd/report.h"
#include "mxd/result.h"
#include "mxd/scenario.h"
#include "mxd/ui.h"

#define UI_MIN_COLS 60
#define UI_MIN_ROWS 16
#define UI_SIDE_BY_SIDE_COLS 120 /* from here the commands box sits beside the findings */

/* ---- Texts (text.c) ---- */

#define UI_TEXTS(X) \
    X(TAGLINE, "tagline") \
    X(Q_WHAT, "q_what") \
    X(CHOICE_INBOUND, "choice_inbound") \
    X(CHOICE_OUTBOUND, "choice_outbound") \
    X(CHOICE_BOUNCE, "choice_bounce") \
    X(CHOICE_ALL, "choice_all") \
    X(CHOICE_LAB, "choice_lab") \
    X(NOT_YET_TAG, "not_yet_tag") \
    X(NOT_YET_OUTBOUND, "not_yet_outbound") \
    X(NOT_YET_BOUNCE, "not_yet_bounce") \
    X(FIELD_LABEL, "field_label") \
    X(FOOT_CHOICES, "foot_choices") \
    X(FOOT_FIELD, "foot_field") \
    X(FOOT_STEP, "foot_step") \
    X(FOOT_SUMMARY, "foot_summary") \
    X(FOOT_OVERLAY, "foot_overlay") \
    X(FOOT_LAB_MENU, "foot_lab_menu") \
    X(FOOT_LAB_INTRO, "foot_lab_intro") \
    X(FOOT_PROMPT, "foot_prompt") \
    X(LANG_SWITCH, "lang_switch") \
    X(RUNNING, "running") \
    X(FINISHED, "finished") \
    X(TIMED_OUT, "timed_out") \
    X(WAITING, "waiting") \
    X(WAITING_EARLIER, "waiting_earlier") \
    X(NOTHING_YET, "nothing_yet") \
    X(NO_FINDINGS, "no_findings") \
    X(WHAT, "what") \
    X(WHY, "why") \
    X(NEXT, "next") \
    X(COMMANDS, "commands") \
    X(NO_COMMANDS, "no_commands") \
    X(MORE_BELOW, "more_below") \
    X(SUMMARY_RUNNING, "summary_running") \
    X(CAUSES, "causes") \
    X(NO_CAUSES, "no_causes") \
    X(NEXT_ACTIONS, "next_actions") \
    X(CALLER, "caller") \
    X(CALLER_CAUSE, "caller_cause") \
    X(CALLER_NEXT, "caller_next") \
    X(EXPORT_HINT, "export_hint") \
    X(EXPORT_TITLE, "export_title") \
    X(EXPORT_FORMAT, "export_format") \
    X(EXPORT_FILE, "export_file") \
    X(EXPORT_KEYS, "export_keys") \
    X(EXPORT_EXISTS, "export_exists") \
    X(EXPORT_OK, "export_ok") \
    X(EXPORT_FAIL, "export_fail") \
    X(EXPORT_EMPTY, "export_empty") \
    X(QUIT_RUNNING, "quit_running") \
    X(TOO_SMALL, "too_small") \
    X(HELP_TITLE, "help_title") \
    X(HELP_KEYS, "help_keys") \
    X(GLOSSARY_TITLE, "glossary_title") \
    X(GLOSSARY_EMPTY, "glossary_empty") \
    X(DETAILS_TITLE, "details_title") \
    X(DETAILS_DNS, "details_dns") \
    X(DETAILS_SMTP, "details_smtp") \
    X(DETAILS_NONE, "details_none") \
    X(DETAILS_NO_SMTP, "details_no_smtp") \
    X(LAB_MENU_TITLE, "lab_menu_title") \
    X(LAB_NONE, "lab_none") \
    X(LAB_FAILED, "lab_failed") \
    X(LAB_QUESTION, "lab_question") \
    X(LAB_HINT, "lab_hint") \
    X(LAB_NO_HINT, "lab_no_hint") \
    X(LAB_ANSWER, "lab_answer") \
    X(LAB_START, "lab_start") \
    X(LEVEL_BEGINNER, "level_beginner") \
    X(LEVEL_ADVANCED, "level_advanced") \
    X(ENGINE_FAILED, "engine_failed") \
    X(RERUN, "rerun") \
    X(NO_DIAGNOSIS, "no_diagnosis") \
    X(STEP_COUNTER, "step_counter")

typedef enum {
#define UI_TEXT_ENUM(id, key) T_##id,
    UI_TEXTS(UI_TEXT_ENUM)
#undef UI_TEXT_ENUM
    T_COUNT
} ui_text_id;

/* The end of ui_fmt()'s key/value list: a typed null pointer, because a bare
 * NULL may be an int in a variadic call. */
#define UI_END ((const char *)NULL)

/* Returns the text (borrowed: the catalog's or the built-in one). */
const char *ui_text(const mxd_catalog *cat, mxd_lang lang, ui_text_id id);
/* The text with {placeholders} filled from the key/value list ended by UI_END.
 * Returns a new string the caller frees, or NULL on ENOMEM. */
char *ui_fmt(const mxd_catalog *cat, mxd_lang lang, ui_text_id id, ...);
/* The catalog key a text can be overridden with ("msg.ui.tagline"). */
const char *ui_text_key(ui_text_id id);
/* The built-in text (for tests and for writing a catalog file). */
const char *ui_text_builtin(ui_text_id id, mxd_lang lang);

/* ---- Layout (doc.c) ---- */

typedef enum {
    ST_NORMAL = 0, ST_DIM, ST_BOLD, ST_HEAD, ST_BAR, ST_BAR_DIM, ST_TAB, ST_TAB_CUR,
    ST_SEL, ST_KEY, ST_CMD, ST_ERRTEXT, ST_OKTEXT, ST_FRAME, ST_FIELD,
    ST_PASS, ST_INFO, ST_SKIP, ST_WARN, ST_FAIL, ST_ERROR, /* in mxd_severity order */
    ST_COUNT
} ui_style;

static inline ui_style ui_sev_style(mxd_severity s)
{
    return (ui_style)(ST_PASS + (int)s);
}

typedef enum { SP_TEXT = 0, SP_HLINE, SP_VLINE, SP_UL, SP_UR, SP_LL, SP_LR } ui_span_kind;

typedef struct ui_span {
    int col, width;        /* width: display columns (HLINE: its length) */
    unsigned char style, kind;
    char *text;            /* owned, SP_TEXT only */
} ui_span;

typedef struct ui_line {
    ui_span *v;
    size_t n, cap;
} ui_line;

typedef struct ui_doc {
    ui_line *l;
    size_t n, cap;
    bool failed;           /* an allocation failed: the doc is incomplete */
} ui_doc;

void doc_free(ui_doc *d);
/* Appends an empty line and returns its index. */
size_t doc_line(ui_doc *d);
/* Adds a text span (len bytes, copied) on line li at col. */
void doc_span(ui_doc *d, size_t li, int col, ui_style st, const char *text, size_t len);
void doc_rule(ui_doc *d, size_t li, int col, int n, ui_span_kind kind, ui_style st);
/* Appends text wrapped to width columns at col; lead (may be NULL) is put in
 * front, in its own style, and wraps with the text. Returns the lines added. */
size_t doc_wrap(ui_doc *d, int col, int width, ui_style st, const char *text);
size_t doc_wrap_lead(ui_doc *d, int col, int width, const char *lead, ui_style lead_st,
                     const char *text, ui_style st);
/* Like doc_wrap, with every line after the first indented by hang columns. */
size_t doc_wrap_hang(ui_doc *d, int col, int width, int hang, const char *lead,
                     ui_style lead_st, const char *text, ui_style st);
/* Appends src's lines shifted right by dx. */
void doc_append(ui_doc *d, const ui_doc *src, int dx);
/* Frames body (its columns start at 0) as a panel: top border carrying
 * label (in label_st) and title, body shifted by col+2, bottom border. */
void doc_panel(ui_doc *d, int col, int width, const char *label, ui_style label_st,
               const char *title, ui_style title_st, const ui_doc *body);
/* Puts right beside left (right's columns shifted by dx), line by line. */
void doc_beside(ui_doc *d, const ui_doc *left, const ui_doc *right, int dx);
/* Width of the widest line (for tests). */
int doc_width(const ui_doc *d);
/* The text of line li with spans at their columns and frames as ASCII
 * ("+-|"), for tests and debugging. Caller frees. */
char *doc_line_text(const ui_doc *d, size_t li);

/* ---- Export (export.c) ---- */

/* Writes len bytes to path so that a reader sees either the old file or the
 * whole new one: a temporary file in the same folder, fsync, then rename (or,
 * without overwrite, link, which refuses an existing name atomically).
 * Returns 0 or an errno value (EEXIST when path exists and !overwrite). */
int ui_write_atomic(const char *path, const void *data, size_t len, bool overwrite);
/* "~/x" → "$HOME/x"; other paths are copied. Caller frees. */
char *ui_expand_path(const char *path);

/* ---- The wizard ---- */

typedef enum { UI_NOP = 0, UI_REDRAW = 1, UI_QUIT = 2, UI_UNHANDLED = 4 } ui_res;

typedef struct mxd_ui mxd_ui;
typedef struct ui_screen ui_screen;

typedef struct ui_screen_ops {
    const char *name;
    bool modal;   /* takes every key (prompts); global keys do not apply */
    void (*draw)(mxd_ui *u, ui_screen *s);
    /* is_key: ch is a KEY_* code; else ch is a character. */
    ui_res (*key)(mxd_ui *u, ui_screen *s, bool is_key, wint_t ch);
    void (*done)(mxd_ui *u, ui_screen *s); /* may be NULL */
} ui_screen_ops;

struct ui_screen {
    const ui_screen_ops *ops;
    int scroll;        /* first doc line shown */
    int sel;           /* selected item, for screens with a list */
    int max_scroll;    /* set by draw, for the key handler */
    int page_rows;     /* set by draw */
    void *data;        /* owned by the screen; freed by its done() */
};

typedef enum {
    GOAL_INBOUND = 0, GOAL_OUTBOUND, GOAL_BOUNCE, GOAL_ALL, GOAL_LAB, GOAL_COUNT
} ui_goal;

#define UI_STACK_MAX 8

struct mxd_ui {
    const mxd_ui_config *cfg;
    mxd_lang lang;
    mxd_loop *loop;
    const char *helpdir;

    /* the diagnosis */
    mxd_engine *eng;
    mxd_options opts;          /* what the engine runs with (the lab's, in the lab) */
    mxd_input in;
    bool have_input;           /* a diagnosis was started for in */
    mxd_result res;
    mxd_findings fs;
    ui_goal goal;
    char engine_err[256];      /* why the engine did not start (raw; formatted when drawn) */
    uint64_t spin_timer;
    unsigned spin;

    /* the practice lab */
    mxd_scenario *scns; size_t nscns;
    bool scns_loaded;          /* the list was read (it may be empty) */
    mxd_scenario own_scn;      /* a scenario loaded from a file path */
    bool own_scn_loaded;
    const mxd_scenario *scn;   /* the running scenario, or NULL */
    mxd_lab *lab;
    char lab_err[256];         /* why the lab did not start (raw; formatted when drawn) */

    /* the screen */
    ui_screen stack[UI_STACK_MAX];
    int depth;
    size_t step;               /* the step page shows mxd_steps[step] */
    mxd_lineedit field;        /* the domain field (its history lasts the session) */
    int focus_field;           /* input page: 1 when the field has the keys */
    mxd_input_status field_st; /* the input error under the field; MXD_IN_OK: none */
    char *field_typed;         /* owned: what was typed when it was refused */
    char field_detail[160];
    char *status;              /* owned: a one-line message (export result) */
    bool status_ok;
    const char *footer;        /* set by the top screen's draw */
    int cur_y, cur_x;          /* where the cursor goes; -1: hidden */
    bool dirty;
    bool quit;
    int exit_status;
    bool color;
    int rows, cols;
};

/* Current language's catalog (may be NULL) and text helpers. */
const mxd_catalog *ui_cat(const mxd_ui *u);
const char *ui_t(const mxd_ui *u, ui_text_id id);
/* Catalog entry key/field in the current language, filled from params. Falls
 * back to the other language and then to "[key.field]". Caller frees. */
char *ui_cat_fmt(const mxd_ui *u, const char *key, const char *field,
                 const mxd_param *params, size_t nparams);
/* The severity's label word ("FAIL", or the catalog's translation). Borrowed. */
const char *ui_sev_label(const mxd_ui *u, mxd_severity s);

/* The input error to show under the field (MXD_IN_OK clears it); kept as
 * status and text so it is worded again in the current language. */
void ui_field_error(mxd_ui *u, mxd_input_status st, const char *typed, const char *detail);
/* The message under the field, or NULL when none. Caller frees. */
char *ui_field_error_text(const mxd_ui *u);
/* An error text in the current language: id's sentence with {error} = raw. Caller frees. */
char *ui_err_text(const mxd_ui *u, ui_text_id id, const char *raw);

/* The screen stack. */
void ui_set_page(mxd_ui *u, const ui_screen_ops *ops);
void ui_push(mxd_ui *u, const ui_screen_ops *ops, void *data);
void ui_pop(mxd_ui *u);
ui_screen *ui_top(mxd_ui *u);

/* The diagnosis: start (or restart) on u->in; stop. */
int ui_start_diagnosis(mxd_ui *u);
void ui_stop_diagnosis(mxd_ui *u);
bool ui_running(const mxd_ui *u);
/* Pending answers of one step ("mx", "target", "smtp"), from the result model. */
unsigned ui_step_pending(const mxd_ui *u, const char *step, bool *blocked);
/* Moves to page i: 0..nsteps-1 are the steps, nsteps the summary, -1 the
 * first page; and the keys that jump there ('1' = first step, 's' summary). */
ui_res ui_goto(mxd_ui *u, long i);
ui_res ui_jump_key(mxd_ui *u, bool is_key, wint_t ch);
/* Asks before quitting while probes run; returns what the caller returns. */
ui_res ui_request_quit(mxd_ui *u);
void ui_set_status(mxd_ui *u, bool ok, char *msg_owned);

/* Drawing (draw.c). */
void draw_init_styles(mxd_ui *u);
int draw_attr(const mxd_ui *u, ui_style st);
/* Draws rows [from, from+rows) of doc at screen row y, column x, clipped to
 * width columns. Returns the number of lines drawn. */
int draw_doc(const mxd_ui *u, const ui_doc *d, int from, int y, int x, int rows, int width);
/* UTF-8 text at y,x clipped to maxw columns; returns columns used. */
int draw_text(const mxd_ui *u, int y, int x, const char *s, int maxw, ui_style st);
void draw_fill(const mxd_ui *u, int y, int x, int n, ui_style st);
/* A framed box over the page; returns the inner area. */
void draw_box(const mxd_ui *u, int y, int x, int h, int w, const char *title, ui_style title_st);
/* A scrollable document in a box covering the body: clamps s->scroll, shows a
 * "more below" mark. */
void draw_scroll_box(mxd_ui *u, ui_screen *s, const char *title, const ui_doc *d,
                     int y, int x, int h, int w);
/* Common scrolling keys for a screen showing a doc; UI_UNHANDLED otherwise. */
ui_res ui_scroll_key(ui_screen *s, bool is_key, wint_t ch);
/* Body area of a page: between the header and the footer. */
int ui_body_top(const mxd_ui *u);
int ui_body_rows(const mxd_ui *u);

/* For a goal whose own step is not in mxd_steps yet: the note that says so
 * (T_NOT_YET_*); T_COUNT when the goal's checks exist. */
ui_text_id ui_goal_missing_note(ui_goal g);

/* Content builders (no curses; used by the screens and by tests). */
void build_step_doc(const mxd_ui *u, size_t step, int width, ui_doc *d);
void build_summary_doc(const mxd_ui *u, int width, ui_doc *d);
void build_details_doc(const mxd_ui *u, int width, ui_doc *d);
void build_glossary_doc(const mxd_ui *u, int width, ui_doc *d);
void build_help_doc(const mxd_ui *u, int width, ui_doc *d);
/* Findings of the summary, most likely cause first: an array of borrowed
 * pointers the caller frees; *n gets the count. */
const mxd_finding **ui_ranked_causes(const mxd_findings *fs, size_t *n);
/* Which screen ops the pages and overlays use. */
extern const ui_screen_ops ui_input_ops, ui_step_ops, ui_summary_ops, ui_lab_menu_ops,
    ui_lab_intro_ops, ui_help_ops, ui_glossary_ops, ui_details_ops, ui_quit_ops,
    ui_export_ops, ui_hint_ops;

/* Lab (scr_lab.c). */
int ui_lab_begin(mxd_ui *u, const mxd_scenario *scn);
void ui_lab_end(mxd_ui *u);

#endif
