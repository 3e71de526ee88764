/* tls.c — the shared trust store set-up (see tls.h). */
#include <stdlib.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "mxd/tls.h"

int mxd_tls_load_trust(SSL_CTX *ctx, const X509 *extra_ca)
{
    int rc = -1;
    const char *dir = getenv(X509_get_default_cert_dir_env());
    struct stat st;
    if (!getenv(X509_get_default_cert_file_env())) {
        if (!dir || !*dir)
            dir = X509_get_default_cert_dir();
        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && SSL_CTX_load_verify_dir(ctx, dir) == 1)
            rc = 0;
    }
    if (rc < 0 && SSL_CTX_set_default_verify_paths(ctx) == 1)
        rc = 0;
    ERR_clear_error();
    if (extra_ca && X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), (X509 *)extra_ca) != 1)
        ERR_clear_error(); /* already there */
    return rc;
}
