/* uipriv.h — the wizard's insides, shared by the files in src/ui/ only.
 *
 * Three layers, each in its own files:
 *   - text.c: the wizard's own sentences, read from the help catalog only
 *     (entries "msg.ui.<name>", listed by MXD_UI_TEXTS in mxd/ui.h);
 *   - doc.c: a layout ("doc") of lines of styled spans, built without curses so
 *     the screens' layouts can be tested headless (content.c for the steps and
 *     the summary, details.c for the raw data); draw.c puts a doc on screen;
 *   - screens (scr_*.c): one table of operations each, after tig's view_ops —
 *     draw, key, done — whose key handler returns what should happen next
 *     (after htop's HandlerResult) instead of reading more keys itself.
 * ui.c owns the loop, the terminal, the screen stack and the diagnosis. The
 * two editors, the domain field (lineedit.c) and the bounce box (paste.c),
 * know no curses either.
 */
#ifndef MXD_UIPRIV_H
#define MXD_UIPRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include "mxd/bounce.h"
#include "mxd/catalog.h"
#include "mxd/checks.h"
#include "mxd/delivery.h"
#include "mxd/engine.h"
#include "mxd/finding.h"
#include "mxd/input.h"
#include "mxd/lab.h"
#include "mxd/loop.h"
#include "mxd/policy.h"
#include "mxd/propagation.h"
#include "mxd/report.h"
#include "mxd/result.h"
#include "mxd/scenario.h"
#include "mxd/ui.h"

#define UI_MIN_COLS 60
#define UI_MIN_ROWS 16
#define UI_SIDE_BY_SIDE_COLS 120 /* from here the commands box sits beside the findings */

/* ---- Texts (text.c) ---- */

typedef enum {
#define UI_TEXT_ENUM(id, name, params) T_##id,
    MXD_UI_TEXTS(UI_TEXT_ENUM)
#undef UI_TEXT_ENUM
    T_COUNT
} ui_text_id;

/* The end of ui_fmt()'s key/value list: a typed null pointer, because a bare
 * NULL may be an int in a variadic call. */
#define UI_END ((const char *)NULL)

/* The catalog's text for id (borrowed from cat), or, when cat is NULL or has
 * no such entry, the static marker "[msg.ui.<name>.text]". */
const char *ui_text(const mxd_catalog *cat, ui_text_id id);
/* The text with {placeholders} filled from the key/value list ended by UI_END
 * (values are sanitised; line breaks in them stay). Returns a new string the
 * caller frees, or NULL on ENOMEM. */
char *ui_fmt(const mxd_catalog *cat, ui_text_id id, ...);
/* The catalog key of a text ("msg.ui.tagline"), static. */
const char *ui_text_key(ui_text_id id);

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

/* ---- Paste box (paste.c) ---- */

/* The most the bounce box takes: a whole bounce with its quoted headers is a
 * few KB; what is cut off is said on screen. */
#define UI_PASTE_MAX (64u * 1024u)

typedef struct ui_paste {
    char *buf;       /* owned UTF-8 text, len bytes, NUL-terminated (NULL while empty) */
    size_t len, cap;
    size_t cur;      /* cursor: a byte offset on a character boundary */
    bool full;       /* text was dropped because the box was full (until cleared) */
    bool after_cr;   /* the last key was CR, so an LF right after it is the same line end */
} ui_paste;

typedef enum {
    PASTE_LEFT, PASTE_RIGHT, PASTE_HOME, PASTE_END, /* HOME/END: of the text line */
    PASTE_BACKSPACE, PASTE_DELETE, PASTE_CLEAR,
} ui_paste_action;

/* One row of the box: text [off, off+len), width columns; eol when the text
 * line ends there (otherwise the line goes on in the next row). */
typedef struct ui_prow {
    size_t off, len;
    int width;
    bool eol;
} ui_prow;

void paste_free(ui_paste *p);
/* One typed or pasted character at the cursor. CR, LF and CR LF are a line
 * break, TAB a space; other control characters are dropped. Returns true when
 * the text changed (false also when the box is full: p->full is then set). */
bool paste_insert(ui_paste *p, uint32_t c);
/* paste_insert() for each character of a UTF-8 string (tests). */
bool paste_insert_str(ui_paste *p, const char *utf8);
bool paste_do(ui_paste *p, ui_paste_action a);
/* Number of text lines (0 for an empty box; a final line break opens none). */
size_t paste_nlines(const ui_paste *p);
/* Cuts the text into rows of at most cols columns (a character wider than
 * that gets a row of its own). Sets *rows to a new array the caller frees and
 * returns its length (at least 1, 0 on ENOMEM); *cur_row and *cur_col get the
 * cursor's row and column (either may be NULL). */
size_t paste_layout(const ui_paste *p, int cols, ui_prow **rows, size_t *cur_row, int *cur_col);
/* Moves the cursor delta rows (of a cols-wide layout) up or down, keeping its
 * column where the row allows. Returns true when it moved. */
bool paste_move_rows(ui_paste *p, int cols, int delta);

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
    size_t scns_failed;        /* files in the folder that did not parse */
    mxd_scn_error scns_err;    /* the first of them (worded when drawn) */
    mxd_scenario own_scn;      /* a scenario loaded from a file path */
    bool own_scn_loaded;
    const mxd_scenario *scn;   /* the running scenario, or NULL */
    mxd_lab *lab;
    char lab_err[256];         /* why the lab did not start (raw; formatted when drawn) */

    /* the bounce screen (scr_bounce.c): kept for the session, so leaving the
     * page, switching the language or resizing loses nothing */
    ui_paste paste;
    int paste_top;             /* first row of the box shown */
    bool paste_empty_msg;      /* decode was asked for with an empty box */
    mxd_bounce bounce;         /* the last decode */
    bool bounce_view;          /* the page shows the decode, not the box */

    /* the recipient check asked for on the delivery page (scr_rcpt.c): it
     * writes into res.delivery->rcpt, so it is cancelled before res is freed */
    mxd_delivery_conv *rcpt_conv;

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
/* ui_fmt() in the current language. Caller frees. */
char *ui_tf(const mxd_ui *u, ui_text_id id, ...);
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

/* Reads the scenario folder once (scr_lab.c): u->scns, and what was left out. */
void ui_lab_load_list(mxd_ui *u);
/* "N scenario files were left out; the first: FILE:LINE: ..." in the current
 * language, or NULL when none was. Caller frees. */
char *ui_lab_skipped_text(const mxd_ui *u);

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
/* A one-line edit field w columns wide at y,x: filled with `fill`, the part of
 * le that fits around its cursor drawn in `text`. Returns the cursor's column
 * within the field (le is borrowed). */
int draw_lineedit(const mxd_ui *u, int y, int x, int w, const mxd_lineedit *le, ui_style fill,
                  ui_style text);
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
/* The details of the propagation and policy steps (details.c); nothing for a
 * step that did not run. */
void build_prop_details(const mxd_ui *u, const mxd_propagation *p, int width, ui_doc *d);
void build_policy_details(const mxd_ui *u, const mxd_policy_result *p, int width, ui_doc *d);
void build_glossary_doc(const mxd_ui *u, int width, ui_doc *d);
void build_help_doc(const mxd_ui *u, int width, ui_doc *d);
/* Findings of the summary, most likely cause first: an array of borrowed
 * pointers the caller frees; *n gets the count. */
const mxd_finding **ui_ranked_causes(const mxd_findings *fs, size_t *n);
/* Which screen ops the pages and overlays use. */
extern const ui_screen_ops ui_input_ops, ui_step_ops, ui_summary_ops, ui_lab_menu_ops,
    ui_lab_intro_ops, ui_help_ops, ui_glossary_ops, ui_details_ops, ui_quit_ops,
    ui_export_ops, ui_hint_ops, ui_bounce_ops, ui_rcpt_ops;

/* The bounce screen (scr_bounce.c): the decoded statuses as panels. A status
 * whose domain is known gets a key (1..9, by position) that starts a diagnosis
 * of that domain; ui_bounce_jump() does it and returns UI_UNHANDLED when key i
 * has no target. */
void build_bounce_doc(const mxd_ui *u, int width, ui_doc *d);
ui_res ui_bounce_jump(mxd_ui *u, size_t i);

/* The recipient check (scr_rcpt.c): the question with the address (pushes
 * ui_rcpt_ops), and stopping a check still running (before res is freed). */
ui_res ui_rcpt_ask(mxd_ui *u);
void ui_rcpt_cancel(mxd_ui *u);

/* Lab (scr_lab.c). */
int ui_lab_begin(mxd_ui *u, const mxd_scenario *scn);
void ui_lab_end(mxd_ui *u);

#endif
