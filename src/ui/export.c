/* export.c — saving a report without ever leaving a half-written or clobbered file.
 *
 * The bytes go to a temporary file in the destination's own folder (rename()
 * is only atomic within one file system), are flushed with fsync(), and only
 * then take the final name. Without permission to overwrite, link() gives the
 * name: it fails with EEXIST if the name appeared meanwhile, so a file that
 * exists is never replaced, not even by a race with another program.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "uipriv.h"

char *ui_expand_path(const char *path)
{
    const char *home = getenv("HOME");
    if (path[0] == '~' && (path[1] == '/' || path[1] == '\0') && home && *home) {
        size_t n = strlen(home) + strlen(path);
        char *s = malloc(n);
        if (s)
            snprintf(s, n, "%s%s", home, path + 1);
        return s;
    }
    return strdup(path);
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd); /* best effort: some file systems refuse it */
        close(fd);
    }
}

int ui_write_atomic(const char *path, const void *data, size_t len, bool overwrite)
{
    if (!path || !*path)
        return ENOENT;
    struct stat st;
    if (!overwrite && lstat(path, &st) == 0)
        return EEXIST; /* the cheap answer first; link() below is the safe one */
    if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return EISDIR;

    const char *slash = strrchr(path, '/');
    size_t dl = slash ? (size_t)(slash - path) : 0;
    char *dir = malloc(dl + 2);
    char *tmp = malloc(dl + 32);
    if (!dir || !tmp) {
        free(dir);
        free(tmp);
        return ENOMEM;
    }
    if (slash) {
        memcpy(dir, path, dl ? dl : 1); /* "/x" lives in "/" */
        dir[dl ? dl : 1] = '\0';
    } else {
        strcpy(dir, ".");
    }
    snprintf(tmp, dl + 32, "%s/.mxdoctor-XXXXXX", dir);

    int rc = 0;
    int fd = mkstemp(tmp);
    if (fd < 0) {
        rc = errno;
        goto out;
    }
    /* mkstemp makes the file 0600; a report is an ordinary file (0666 & ~umask) */
    mode_t um = umask(0);
    umask(um);
    fchmod(fd, 0666 & ~um);
    if ((rc = write_all(fd, data, len)) != 0 || (fsync(fd) != 0 && (rc = errno) != 0)) {
        close(fd);
        unlink(tmp);
        goto out;
    }
    if (close(fd) != 0) {
        rc = errno;
        unlink(tmp);
        goto out;
    }
    if (overwrite) {
        if (rename(tmp, path) != 0) {
            rc = errno;
            unlink(tmp);
            goto out;
        }
    } else {
        if (link(tmp, path) != 0) {
            rc = errno;
            if (rc == EPERM || rc == ENOTSUP || rc == ENOSYS || rc == EXDEV) {
                /* no hard links here (FAT, some network file systems): fall
                 * back to a checked rename, leaving only a tiny race */
                if (lstat(path, &st) == 0)
                    rc = EEXIST;
                else if (rename(tmp, path) == 0)
                    rc = 0;
                else
                    rc = errno;
            }
            unlink(tmp);
            if (rc)
                goto out;
        } else {
            unlink(tmp);
        }
    }
    sync_dir(dir);
out:
    free(dir);
    free(tmp);
    return rc;
}
