/* batchdrv.c — a stand-in for `mxdoctor --batch` until src/main.c has the option.
 *
 * Takes the options a batch against a lab needs and calls mxd_batch_run()
 * exactly as main.c is meant to (see include/mxd/batch.h), so the benchmark and
 * tests/integration/t_batch.sh can run before and after the wiring alike.
 * Built by bench/run.sh and t_batch.sh against build/libmxd.a.
 *
 *   batchdrv --batch FILE|- [--jobs N] [--resolver A:P] [--smtp-port N]
 *            [--dns-port N] [--timeout S] [--allow-private] [--loopback-only]
 *            [--ca-file PEM] [--no-smtp] [--lang ja|en]
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
#include "mxd/catalog.h"

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    signal(SIGPIPE, SIG_IGN);
    static const struct option lo[] = {
        { "batch", required_argument, NULL, 'b' },
        { "jobs", required_argument, NULL, 'j' },
        { "resolver", required_argument, NULL, 'r' },
        { "smtp-port", required_argument, NULL, 's' },
        { "dns-port", required_argument, NULL, 'd' },
        { "timeout", required_argument, NULL, 't' },
        { "allow-private", no_argument, NULL, 'p' },
        { "loopback-only", no_argument, NULL, 'l' },
        { "ca-file", required_argument, NULL, 'c' },
        { "no-smtp", no_argument, NULL, 'n' },
        { "lang", required_argument, NULL, 'L' },
        { NULL, 0, NULL, 0 },
    };
    const char *batch = NULL;
    unsigned jobs = 0;
    char *resolvers[8];
    mxd_options o;
    memset(&o, 0, sizeof o);
    o.timeout_s = 5;
    o.smtp_port = 25;
    o.dns_port = 53;
    o.resolvers = resolvers;
    X509 *ca = NULL;
    mxd_lang lang = mxd_lang_from_env();
    int ch;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 'b': batch = optarg; break;
        case 'j': jobs = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'r':
            if (o.nresolvers < 8)
                resolvers[o.nresolvers++] = optarg;
            break;
        case 's': o.smtp_port = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'd': o.dns_port = (unsigned)strtoul(optarg, NULL, 10); break;
        case 't': o.timeout_s = atoi(optarg); break;
        case 'p': o.allow_private = true; break;
        case 'l': o.loopback_only = true; break;
        case 'n': o.no_smtp = true; break;
        case 'L': mxd_lang_parse(optarg, &lang); break;
        case 'c': {
            FILE *f = fopen(optarg, "r");
            ca = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
            if (f)
                fclose(f);
            if (!ca) {
                fprintf(stderr, "batchdrv: cannot read %s\n", optarg);
                return 64;
            }
            break;
        }
        default: return 64;
        }
    }
    if (!batch) {
        fprintf(stderr, "batchdrv: --batch FILE|- is required\n");
        return 64;
    }
    o.extra_ca = ca;
    const char *helpdir = mxd_help_dir();
    char err[256];
    mxd_catalog *cat = helpdir ? mxd_catalog_load(helpdir, lang, err, sizeof err) : NULL;
    int fd = strcmp(batch, "-") == 0 ? STDIN_FILENO : open(batch, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        perror(batch);
        mxd_catalog_free(cat);
        X509_free(ca);
        return 64;
    }
    mxd_loop *loop = mxd_loop_new();
    int rc = loop ? mxd_batch_run(loop, &o, fd, jobs, cat, stdout,
                                  isatty(STDERR_FILENO) ? stderr : NULL)
                  : 3;
    if (fd != STDIN_FILENO)
        close(fd);
    mxd_loop_free(loop);
    mxd_catalog_free(cat);
    X509_free(ca);
    return rc;
}
