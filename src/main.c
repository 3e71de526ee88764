/* main.c — command line entry point (being built up; see README). */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("mxdoctor %s\n", MXD_VERSION);
        return 0;
    }
    fprintf(stderr, "mxdoctor: not yet usable\n");
    return 64;
}
