#!/bin/sh
# Runs mxdoctor under valgrind for `make valgrind`: any memory error or leak
# makes it exit 99, which every integration test treats as a failure.
# valgrind.supp holds the one false positive of glibc's loader seen here.
here=$(dirname "$0")
exec valgrind -q --suppressions="$here/valgrind.supp" --error-exitcode=99 --leak-check=full \
  --errors-for-leak-kinds=definite,indirect "$here/../${MXD_VG_BIN:-mxdoctor}" "$@"
