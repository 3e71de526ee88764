/* main.c — the command line: options, input, and which front end runs.
 *
 * The wizard runs when stdout is a terminal and --report is not given; otherwise
 * the report. Usage errors print a message in the user's language and exit 64.
 */
#include <fcntl.h>
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "mxd/batch.h"
#include "mxd/bounce.h"
#include "mxd/catalog.h"
#include "mxd/checks.h"
#include "mxd/delivery.h"
#include "mxd/dnsclient.h"
#include "mxd/engine.h"
#include "mxd/input.h"
#include "mxd/lab.h"
#include "mxd/loop.h"
#include "mxd/report.h"
#include "mxd/policy.h"
#include "mxd/propagation.h"
#include "mxd/sanitize.h"
#include "mxd/scenario.h"
#include "mxd/spf.h"
#include "mxd/ui.h"

#define EXIT_USAGE 64
#define MAX_RESOLVERS 8
#define MAX_DKIM_SELECTORS 16

typedef struct cli {
    bool report, lab, lab_list, allow_private, no_smtp, loopback_only, explain;
    const char *lab_serve;
    X509 *ca;                /* --ca-file, owned */
    const char *spf_ip, *spf_sender;
    const char *rcpt, *send_from, *send_to, *probe_host; /* step "delivery" */
    const char *batch;       /* --batch FILE or - */
    unsigned jobs;
    mxd_format format;
    mxd_lang lang;
    int timeout_s;
    unsigned smtp_port, dns_port, lab_latency;
    char *resolvers[MAX_RESOLVERS];
    size_t nresolvers;
    char *compare[MXD_PROP_MAX_RESOLVERS]; /* --compare-resolvers, split (owned) */
    size_t ncompare;
    char *dkim_selectors[MAX_DKIM_SELECTORS];
    size_t ndkim_selectors;
    const char *positional;
    mxd_catalog *cat[MXD_LANG_COUNT];
    const char *helpdir;
} cli;

/* Prints a catalog message (or its English fallback when the catalog is
 * missing) to stderr, with one optional {name}=value parameter. */
static void say(const cli *c, const char *key, const char *fallback, const char *pname,
                const char *pvalue)
{
    mxd_param p = { (char *)pname, (char *)pvalue };
    const mxd_catalog *cat = c->cat[c->lang];
    char *text = NULL;
    if (cat && mxd_catalog_get(cat, key, "text"))
        text = mxd_catalog_format(cat, key, "text", &p, pname ? 1 : 0);
    if (text) {
        fprintf(stderr, "mxdoctor: %s\n", text);
        free(text);
    } else {
        fprintf(stderr, "mxdoctor: %s%s%s\n", fallback, pvalue ? ": " : "", pvalue ? pvalue : "");
    }
}

static void usage_line(const cli *c)
{
    say(c, "msg.usage", "usage: mxdoctor [--report] [options] DOMAIN   (mxdoctor --help)", NULL, NULL);
}

static void print_help(const cli *c)
{
    if (c->lang == MXD_LANG_JA && c->cat[MXD_LANG_JA]) {
        const char *intro = mxd_catalog_get(c->cat[MXD_LANG_JA], "msg.help_intro", "text");
        if (intro)
            printf("%s\n\n", intro);
    }
    printf("mxdoctor %s — why does mail to this domain not arrive?\n\n"
           "usage: mxdoctor [options] [DOMAIN]\n"
           "       mxdoctor --report [--format text|json|markdown] DOMAIN\n"
           "       mxdoctor --explain [FILE]   (a pasted bounce or log line)\n"
           "       mxdoctor --lab [SCENARIO] | --lab-list\n\n"
           "DOMAIN may be a domain, an e-mail address or a URL, in Unicode or full width.\n\n"
           "  --report               run every step, print the report, exit\n"
           "  --format FORMAT        report format: text (default), json, markdown\n"
           "  --lang ja|en           language (default: from LC_ALL/LC_MESSAGES/LANG)\n"
           "  --resolver ADDR[:PORT] recursive resolver to use (repeatable; default: the system's)\n"
           "  --compare-resolvers LIST  also ask these resolvers for the MX (step propagation):\n"
           "                         comma-separated addresses, or google, cloudflare, quad9, opendns\n"
           "  --dns-port N           port for direct queries to authoritative servers (default 53)\n"
           "  --smtp-port N          SMTP port to probe (default 25)\n"
           "  --timeout SECONDS      per network operation (default 5); the run is bounded too\n"
           "  --allow-private        private and loopback MX addresses are not errors\n"
           "  --no-smtp              skip the SMTP probes (e.g. where port 25 is blocked)\n"
           "  --dkim-selector NAME   also look for the DKIM key NAME._domainkey.DOMAIN (repeatable)\n"
           "  --spf-ip ADDR          would mail from this IP pass the domain's SPF? (check_host)\n"
           "  --spf-sender ADDRESS   the envelope sender for --spf-ip (default postmaster@DOMAIN)\n"
           "  --rcpt ADDRESS         ask the domain's best working MX whether it takes ADDRESS\n"
           "                         (MAIL FROM:<>, RCPT TO, RSET; no message; DOMAIN may be left out)\n"
           "  --send-test FROM TO    send a short test message from FROM to TO straight to TO's MX\n"
           "  --probe-host HOST      a server known to accept port 25: tells a blocked network\n"
           "                         (OP25B) from servers that are down\n"
           "  --loopback-only        never connect outside 127.0.0.0/8 (tests, classrooms)\n"
           "  --ca-file PEM          also trust this CA for SMTP certificates (internal CAs, the lab)\n"
           "  --explain [FILE]       decode a bounce or mail-log line (stdin when FILE is absent or -)\n"
           "  --batch FILE           diagnose one domain per line (- for stdin); JSON Lines out\n"
           "  --jobs N               with --batch: diagnoses at once (default 16)\n"
           "  --lab [SCENARIO|FILE]  practice lab: broken domains served on loopback, offline\n"
           "  --lab-list             list the practice-lab scenarios\n"
           "  --lab-latency MS       delay every lab DNS answer and SMTP reply\n"
           "  --lab-serve SCENARIO   only serve a scenario (prints its addresses; for other tools)\n"
           "  -h, --help             this help\n"
           "  -V, --version          the version\n\n"
           "Exit status: 0 no problem, 1 warnings, 2 failures, 3 could not diagnose, 64 bad usage.\n",
           MXD_VERSION);
}

static bool parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    char *end;
    if (!s || !*s || *s == '-' || *s == '+')
        return false;
    unsigned long v = strtoul(s, &end, 10);
    if (*end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

enum {
    OPT_REPORT = 256, OPT_FORMAT, OPT_LANG, OPT_RESOLVER, OPT_DNS_PORT, OPT_SMTP_PORT,
    OPT_TIMEOUT, OPT_ALLOW_PRIVATE, OPT_NO_SMTP, OPT_LAB, OPT_LAB_LIST, OPT_LAB_LATENCY,
    OPT_LAB_SERVE, OPT_LOOPBACK_ONLY, OPT_CA_FILE, OPT_DKIM_SELECTOR, OPT_EXPLAIN, OPT_SPF_IP, OPT_SPF_SENDER,
    OPT_RCPT, OPT_SEND_TEST, OPT_PROBE_HOST, OPT_BATCH, OPT_JOBS, OPT_COMPARE_RESOLVERS
};

static const struct option long_opts[] = {
    { "report", no_argument, NULL, OPT_REPORT },
    { "format", required_argument, NULL, OPT_FORMAT },
    { "lang", required_argument, NULL, OPT_LANG },
    { "resolver", required_argument, NULL, OPT_RESOLVER },
    { "compare-resolvers", required_argument, NULL, OPT_COMPARE_RESOLVERS },
    { "dns-port", required_argument, NULL, OPT_DNS_PORT },
    { "smtp-port", required_argument, NULL, OPT_SMTP_PORT },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "allow-private", no_argument, NULL, OPT_ALLOW_PRIVATE },
    { "no-smtp", no_argument, NULL, OPT_NO_SMTP },
    { "loopback-only", no_argument, NULL, OPT_LOOPBACK_ONLY },
    { "ca-file", required_argument, NULL, OPT_CA_FILE },
    { "explain", no_argument, NULL, OPT_EXPLAIN },
    { "spf-ip", required_argument, NULL, OPT_SPF_IP },
    { "batch", required_argument, NULL, OPT_BATCH },
    { "jobs", required_argument, NULL, OPT_JOBS },
    { "spf-sender", required_argument, NULL, OPT_SPF_SENDER },
    { "rcpt", required_argument, NULL, OPT_RCPT },
    { "send-test", required_argument, NULL, OPT_SEND_TEST },
    { "probe-host", required_argument, NULL, OPT_PROBE_HOST },
    { "lab", no_argument, NULL, OPT_LAB },
    { "lab-list", no_argument, NULL, OPT_LAB_LIST },
    { "lab-latency", required_argument, NULL, OPT_LAB_LATENCY },
    { "lab-serve", required_argument, NULL, OPT_LAB_SERVE },
    { "dkim-selector", required_argument, NULL, OPT_DKIM_SELECTOR },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
};

/* The language must be known before any message, so --lang is read first. */
static void early_lang(cli *c, int argc, char **argv)
{
    c->lang = mxd_lang_from_env();
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc)
            v = argv[i + 1];
        else if (strncmp(argv[i], "--lang=", 7) == 0)
            v = argv[i] + 7;
        if (v)
            mxd_lang_parse(v, &c->lang);
    }
}

static int parse_args(cli *c, int argc, char **argv)
{
    unsigned long v;
    int ch;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":hV", long_opts, NULL)) != -1) {
        switch (ch) {
        case OPT_REPORT: c->report = true; break;
        case OPT_FORMAT:
            if (!mxd_format_parse(optarg, &c->format)) {
                say(c, "msg.bad_format", "unknown report format", "value", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_LANG:
            if (!mxd_lang_parse(optarg, &c->lang)) {
                say(c, "msg.bad_lang", "unknown language (use ja or en)", "value", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_RESOLVER: {
            char norm[80];
            if (!mxd_dns_server_normalize(optarg, norm, sizeof norm) ||
                c->nresolvers == MAX_RESOLVERS) {
                say(c, "msg.bad_resolver", "not a resolver address (ADDR[:PORT])", "value", optarg);
                return EXIT_USAGE;
            }
            c->resolvers[c->nresolvers++] = optarg;
            break;
        }
        case OPT_COMPARE_RESOLVERS: {
            /* "google,1.1.1.1,192.0.2.53:5300": names from mxd_public_resolvers or addresses */
            char *list = strdup(optarg), *save = NULL;
            for (char *it = list ? strtok_r(list, ",", &save) : NULL; it;
                 it = strtok_r(NULL, ",", &save)) {
                char addr[80], label[32];
                if (!mxd_propagation_resolver_parse(it, addr, sizeof addr, label, sizeof label) ||
                    c->ncompare == MXD_PROP_MAX_RESOLVERS) {
                    say(c, "msg.bad_resolver", "not a resolver address (ADDR[:PORT])", "value", it);
                    free(list);
                    return EXIT_USAGE;
                }
                c->compare[c->ncompare++] = strdup(it);
            }
            free(list);
            break;
        }
        case OPT_DNS_PORT:
        case OPT_SMTP_PORT:
            if (!parse_uint(optarg, 1, 65535, &v)) {
                say(c, "msg.bad_port", "not a port number (1-65535)", "value", optarg);
                return EXIT_USAGE;
            }
            *(ch == OPT_DNS_PORT ? &c->dns_port : &c->smtp_port) = (unsigned)v;
            break;
        case OPT_TIMEOUT:
            if (!parse_uint(optarg, 1, 120, &v)) {
                say(c, "msg.bad_timeout", "not a timeout in seconds (1-120)", "value", optarg);
                return EXIT_USAGE;
            }
            c->timeout_s = (int)v;
            break;
        case OPT_LAB_LATENCY:
            if (!parse_uint(optarg, 0, 10000, &v)) {
                say(c, "msg.bad_timeout", "not a latency in milliseconds (0-10000)", "value", optarg);
                return EXIT_USAGE;
            }
            c->lab_latency = (unsigned)v;
            break;
        case OPT_ALLOW_PRIVATE: c->allow_private = true; break;
        case OPT_NO_SMTP: c->no_smtp = true; break;
        case OPT_LOOPBACK_ONLY: c->loopback_only = true; break;
        case OPT_EXPLAIN: c->explain = true; break;
        case OPT_BATCH: c->batch = optarg; break;
        case OPT_JOBS:
            if (!parse_uint(optarg, 1, MXD_BATCH_MAX_JOBS, &v)) {
                say(c, "msg.bad_jobs", "not a number of jobs (1-1024)", "value", optarg);
                return EXIT_USAGE;
            }
            c->jobs = (unsigned)v;
            break;
        case OPT_SPF_IP:
            if (!mxd_spf_ip_ok(optarg)) {
                say(c, "msg.bad_spf_ip", "not an IPv4 or IPv6 address", "value", optarg);
                return EXIT_USAGE;
            }
            c->spf_ip = optarg;
            break;
        case OPT_SPF_SENDER:
            if (!strchr(optarg, '@') || strlen(optarg) > 320) {
                say(c, "msg.bad_spf_sender", "not an e-mail address", "value", optarg);
                return EXIT_USAGE;
            }
            c->spf_sender = optarg;
            break;
        case OPT_RCPT:
            if (!mxd_delivery_address(optarg, NULL, 0, NULL, 0)) {
                say(c, "msg.bad_option", "not an e-mail address for --rcpt", "option", optarg);
                return EXIT_USAGE;
            }
            c->rcpt = optarg;
            break;
        case OPT_SEND_TEST:
            /* Two values: FROM is the option's, TO the next argument. */
            if (optind >= argc || !mxd_delivery_address(optarg, NULL, 0, NULL, 0) ||
                !mxd_delivery_address(argv[optind], NULL, 0, NULL, 0)) {
                say(c, "msg.bad_option", "--send-test needs two e-mail addresses, FROM and TO",
                    "option", optind < argc ? argv[optind] : optarg);
                return EXIT_USAGE;
            }
            c->send_from = optarg;
            c->send_to = argv[optind++];
            break;
        case OPT_PROBE_HOST:
            if (!*optarg || strlen(optarg) > 253 || strpbrk(optarg, " /@")) {
                say(c, "msg.bad_option", "not a host name or address for --probe-host", "option",
                    optarg);
                return EXIT_USAGE;
            }
            c->probe_host = optarg;
            break;
        case OPT_CA_FILE: {
            FILE *f = fopen(optarg, "r");
            X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
            if (f)
                fclose(f);
            if (!x) {
                say(c, "msg.bad_ca_file", "cannot read a PEM certificate from", "value", optarg);
                return EXIT_USAGE;
            }
            X509_free(c->ca);
            c->ca = x;
            break;
        }
        case OPT_LAB: c->lab = true; break;
        case OPT_LAB_LIST: c->lab_list = true; break;
        case OPT_LAB_SERVE: c->lab_serve = optarg; break;
        case OPT_DKIM_SELECTOR:
            if (!mxd_dkim_selector_valid(optarg) || c->ndkim_selectors == MAX_DKIM_SELECTORS) {
                say(c, "msg.bad_option", "bad DKIM selector", "option", optarg);
                return EXIT_USAGE;
            }
            c->dkim_selectors[c->ndkim_selectors++] = optarg;
            break;
        case 'h': print_help(c); return 0;
        case 'V': printf("mxdoctor %s\n", MXD_VERSION); return 0;
        case ':':
        case '?':
        default: {
            const char *bad = argv[optind - 1] ? argv[optind - 1] : "?";
            say(c, "msg.bad_option", "unknown or incomplete option", "option", bad);
            usage_line(c);
            return EXIT_USAGE;
        }
        }
    }
    if (optind < argc)
        c->positional = argv[optind++];
    if (optind < argc) {
        say(c, "msg.bad_option", "unexpected argument", "option", argv[optind]);
        usage_line(c);
        return EXIT_USAGE;
    }
    return -1; /* continue */
}

static void base_options(const cli *c, mxd_options *o)
{
    memset(o, 0, sizeof *o);
    o->timeout_s = c->timeout_s ? c->timeout_s : 5;
    o->smtp_port = c->smtp_port ? c->smtp_port : 25;
    o->dns_port = c->dns_port ? c->dns_port : 53;
    o->allow_private = c->allow_private;
    o->no_smtp = c->no_smtp;
    o->loopback_only = c->loopback_only;
    o->extra_ca = c->ca;
    o->spf_ip = c->spf_ip;
    o->spf_sender = c->spf_sender;
    o->rcpt = c->rcpt;
    o->send_from = c->send_from;
    o->send_to = c->send_to;
    o->probe_host = c->probe_host;
    o->resolvers = (char **)c->resolvers;
    o->nresolvers = c->nresolvers;
    o->compare_resolvers = (char **)c->compare;
    o->ncompare_resolvers = c->ncompare;
    o->dkim_selectors = (char **)c->dkim_selectors;
    o->ndkim_selectors = c->ndkim_selectors;
}

/* Runs one diagnosis and prints the report; returns the exit status. */
static int run_report(const cli *c, mxd_loop *loop, const mxd_options *o, const char *typed)
{
    mxd_input in;
    mxd_input_status st = mxd_input_normalize(typed, &in);
    if (st != MXD_IN_OK) {
        /* A 10 MB paste must not come back as a 10 MB message. */
        char *shown = mxd_sanitize(typed, strnlen(typed, 4096), 0, 80);
        mxd_param ps[2] = { { "input", shown ? shown : "" }, { "detail", in.detail } };
        char *text = c->cat[c->lang]
                         ? mxd_catalog_format(c->cat[c->lang], mxd_input_status_key(st), "text", ps, 2)
                         : NULL;
        fprintf(stderr, "mxdoctor: %s\n", text ? text : "the domain is not valid");
        free(text);
        free(shown);
        return EXIT_USAGE;
    }
    mxd_result r;
    memset(&r, 0, sizeof r);
    char err[256];
    if (mxd_diagnose(loop, o, &in, &r, err, sizeof err) < 0) {
        fprintf(stderr, "mxdoctor: %s\n", err);
        return 3;
    }
    snprintf(r.input, sizeof r.input, "%s", typed);
    mxd_findings fs = { 0 };
    mxd_check_all(&r, &fs);
    mxd_sb out = MXD_SB_INIT;
    mxd_report_write(&out, c->format, &r, &fs, c->cat[c->lang]);
    fwrite(mxd_sb_str(&out), 1, out.len, stdout);
    fflush(stdout);
    int rc = mxd_verdict_exit(mxd_verdict_of(&fs));
    mxd_sb_free(&out);
    mxd_findings_free(&fs);
    mxd_result_free(&r);
    return rc;
}

/* A scenario file's mistake, worded in the user's language ("FILE:LINE: ..."). */
static void say_scn_error(const cli *c, const mxd_scn_error *e)
{
    char *text = mxd_scn_error_format(e, c->cat[c->lang]);
    fprintf(stderr, "mxdoctor: %s\n", text ? text : "?");
    free(text);
}

/* "N scenario file(s) were left out; the first: ..." after a folder listing. */
static void say_scn_skipped(const cli *c, size_t nfailed, const mxd_scn_error *e)
{
    if (!nfailed || e->code == MXD_SCN_OK)
        return;
    char count[24];
    snprintf(count, sizeof count, "%zu", nfailed);
    char *err = mxd_scn_error_format(e, c->cat[c->lang]);
    mxd_param ps[2] = { { "count", count }, { "error", err ? err : "" } };
    const mxd_catalog *cat = c->cat[c->lang];
    char *text = cat && mxd_catalog_get(cat, "msg.lab_skipped", "text")
                     ? mxd_catalog_format(cat, "msg.lab_skipped", "text", ps, 2)
                     : NULL;
    if (text)
        fprintf(stderr, "mxdoctor: %s\n", text);
    else
        fprintf(stderr, "mxdoctor: %s scenario file(s) left out; the first: %s\n", count,
                err ? err : "");
    free(text);
    free(err);
}

/* Finds a scenario by id among the built-ins, or loads it as a file path. */
static int find_scenario(const cli *c, const char *name, mxd_scenario *out)
{
    mxd_scn_error err;
    if (strchr(name, '/') || strstr(name, ".scn")) {
        if (mxd_scenario_load(name, out, &err) == 0)
            return 0;
        say_scn_error(c, &err);
        return -1;
    }
    mxd_scenario *all = NULL;
    size_t nfailed = 0;
    size_t n = c->helpdir ? mxd_scenario_list_checked(c->helpdir, &all, &nfailed, &err) : 0;
    int rc = -1;
    for (size_t i = 0; i < n; i++) {
        if (rc < 0 && strcmp(all[i].id, name) == 0) {
            *out = all[i];
            rc = 0;
        } else {
            mxd_scenario_free(&all[i]);
        }
    }
    free(all);
    if (rc < 0) {
        say(c, "msg.lab_unknown", "no such practice-lab scenario (see --lab-list)", "value", name);
        say_scn_skipped(c, nfailed, &err); /* perhaps it is the file that did not parse */
    }
    return rc;
}

static int lab_list(const cli *c)
{
    mxd_scenario *all = NULL;
    size_t nfailed = 0;
    mxd_scn_error err;
    size_t n = c->helpdir ? mxd_scenario_list_checked(c->helpdir, &all, &nfailed, &err) : 0;
    /* A teacher's file with a mistake must not just vanish from the list. */
    say_scn_skipped(c, nfailed, &err);
    for (size_t i = 0; i < n; i++) {
        const char *title = all[i].title[c->lang] ? all[i].title[c->lang] : all[i].title[0];
        printf("%-22s %-9s %s\n", all[i].id, all[i].level, title ? title : "");
        mxd_scenario_free(&all[i]);
    }
    free(all);
    return n ? 0 : 3;
}

static volatile sig_atomic_t stop_serving;
static void on_stop_signal(int sig) { (void)sig; stop_serving = 1; }
static bool serving_stopped(void *arg) { (void)arg; return stop_serving != 0; }

/* --lab-serve: the scenario's servers only, until SIGINT/SIGTERM, announcing
 * where they listen on one line so a test (or dig, swaks) can use them. */
static int lab_serve(const cli *c, mxd_loop *loop)
{
    mxd_scenario scn;
    if (find_scenario(c, c->lab_serve, &scn) < 0)
        return EXIT_USAGE;
    char err[256];
    mxd_lab *lab = mxd_lab_start(loop, &scn, c->lab_latency, err, sizeof err);
    if (!lab) {
        fprintf(stderr, "mxdoctor: %s\n", err);
        mxd_scenario_free(&scn);
        return 3;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* The lab CA as a PEM file, so other tools (and --ca-file) can trust it. */
    char ca_path[256];
    const char *tmp = getenv("TMPDIR");
    snprintf(ca_path, sizeof ca_path, "%s/mxdoctor-lab-ca-%ld.pem", tmp && *tmp ? tmp : "/tmp",
             (long)getpid());
    char pem[8192];
    int pl = mxd_lab_ca_pem(lab, pem, sizeof pem);
    FILE *cf = pl > 0 ? fopen(ca_path, "w") : NULL;
    if (cf) {
        fwrite(pem, 1, (size_t)pl, cf);
        fclose(cf);
    } else {
        ca_path[0] = '\0';
    }
    printf("ready domain=%s resolver=%s dns_port=%u smtp_port=%u https_port=%u ca=%s\n",
           scn.domain, mxd_lab_resolver(lab), mxd_lab_dns_port(lab), mxd_lab_smtp_port(lab),
           mxd_lab_https_port(lab), ca_path[0] ? ca_path : "-");
    fflush(stdout);
    while (!stop_serving)
        mxd_loop_run_until(loop, serving_stopped, NULL, mxd_now_ms() + 1000);
    if (ca_path[0])
        unlink(ca_path);
    mxd_lab_stop(lab);
    mxd_scenario_free(&scn);
    return 0;
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    signal(SIGPIPE, SIG_IGN); /* a peer that hangs up is an error to report, not a reason to die */
    cli c;
    memset(&c, 0, sizeof c);
    early_lang(&c, argc, argv);
    c.helpdir = mxd_help_dir();
    for (int l = 0; l < MXD_LANG_COUNT && c.helpdir; l++) {
        char err[256];
        c.cat[l] = mxd_catalog_load(c.helpdir, (mxd_lang)l, err, sizeof err);
        if (!c.cat[l])
            fprintf(stderr, "mxdoctor: help catalog: %s\n", err);
    }
    int rc = parse_args(&c, argc, argv);
    if (rc >= 0)
        goto out;
    /* "mxdoctor --rcpt user@example.jp": the address says which domain. */
    if (!c.positional && !c.lab && !c.explain)
        c.positional = c.rcpt ? c.rcpt : c.send_to;
    if (!c.helpdir)
        say(&c, "msg.help_not_found", "the help folder was not found (set MXDOCTOR_HELP)", NULL, NULL);

    mxd_loop *loop = mxd_loop_new();
    if (!loop) {
        rc = 3;
        goto out;
    }
    mxd_options o;
    base_options(&c, &o);
    bool interactive = !c.report && isatty(STDOUT_FILENO) && isatty(STDIN_FILENO);

    if (c.explain) {
        /* The positional argument is a file (or "-"), never a domain here. */
        rc = mxd_explain_main(NULL, c.positional, c.format, c.cat[c.lang], stdout);
    } else if (c.lab_list) {
        rc = lab_list(&c);
    } else if (c.lab_serve) {
        rc = lab_serve(&c, loop);
    } else if (c.batch) {
        int fd = strcmp(c.batch, "-") == 0 ? STDIN_FILENO : open(c.batch, O_RDONLY | O_CLOEXEC);
        if (c.positional) {
            say(&c, "msg.bad_option", "unexpected argument", "option", c.positional);
            rc = EXIT_USAGE;
        } else if (fd < 0) {
            say(&c, "msg.batch_open", "cannot read the batch file", "value", c.batch);
            rc = EXIT_USAGE;
        } else {
            rc = mxd_batch_run(loop, &o, fd, c.jobs ? c.jobs : 16, c.cat[c.lang], stdout,
                               isatty(STDERR_FILENO) ? stderr : NULL);
        }
        if (fd > STDIN_FILENO)
            close(fd);
    } else if (interactive) {
        mxd_ui_config u;
        memset(&u, 0, sizeof u);
        u.initial_input = c.lab ? NULL : c.positional;
        u.lang = c.lang;
        u.cat[0] = c.cat[0];
        u.cat[1] = c.cat[1];
        u.opts = o;
        u.lab = c.lab;
        u.lab_scenario = c.lab ? c.positional : NULL;
        u.lab_latency_ms = c.lab_latency;
        u.helpdir = c.helpdir;
        rc = mxd_ui_run(&u);
    } else if (c.lab) {
        mxd_scenario scn;
        if (!c.positional) {
            say(&c, "msg.lab_need_scenario", "--report with --lab needs a scenario (see --lab-list)",
                NULL, NULL);
            rc = EXIT_USAGE;
        } else if (find_scenario(&c, c.positional, &scn) < 0) {
            rc = EXIT_USAGE;
        } else {
            char err[256];
            mxd_lab *lab = mxd_lab_start(loop, &scn, c.lab_latency, err, sizeof err);
            if (!lab) {
                fprintf(stderr, "mxdoctor: %s\n", err);
                rc = 3;
            } else {
                mxd_lab_apply(lab, &o);
                rc = run_report(&c, loop, &o, scn.domain);
                mxd_lab_stop(lab);
            }
            mxd_scenario_free(&scn);
        }
    } else if (!c.positional) {
        say(&c, "msg.no_domain_given", "which domain? give it as an argument", NULL, NULL);
        usage_line(&c);
        rc = EXIT_USAGE;
    } else {
        rc = run_report(&c, loop, &o, c.positional);
    }
    mxd_loop_free(loop);
out:
    for (size_t i = 0; i < c.ncompare; i++)
        free(c.compare[i]);
    for (int l = 0; l < MXD_LANG_COUNT; l++)
        mxd_catalog_free(c.cat[l]);
    X509_free(c.ca);
    return rc;
}
