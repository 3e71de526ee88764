/* fuzz_scenario.c — the practice-lab scenario parser on any file a teacher
 * (or a student passing files around a workshop) might hand it.
 *
 * Properties from scenario.h: a failed parse gives an error with the name, a
 * line and a known code, whose values are clean text, shown as "name:LINE: ..."
 * (here without a catalog), and leaves *out empty; a scenario that parses can be written
 * back with mxd_scenario_format(), and "parsing the output gives s again":
 * the written text parses, and writing that again gives the same text.
 */
#include "fuzz.h"

#include "mxd/sanitize.h"
#include "mxd/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MXD_SCENARIO_MAX_BYTES)
        return 0;
    char *text = fuzz_dup(data, size);
    mxd_scenario s;
    mxd_scn_error err;
    memset(&err, 0x55, sizeof err);
    int rc = mxd_scenario_parse(text, size, "fuzz.scn", &s, &err);
    if (rc != 0) {
        FUZZ_ASSERT(rc == -1);
        FUZZ_ASSERT(err.code > MXD_SCN_OK && err.code < MXD_SCN_E_COUNT && err.line >= 1);
        FUZZ_ASSERT(err.nparams <= MXD_SCN_ERR_MAX_PARAMS);
        for (size_t i = 0; i < err.nparams; i++)
            FUZZ_ASSERT(mxd_is_clean(err.params[i].value, strlen(err.params[i].value), 0));
        char *shown = mxd_scn_error_format(&err, NULL);
        FUZZ_ASSERT(shown != NULL && strncmp(shown, "fuzz.scn:", 9) == 0);
        free(shown);
        FUZZ_ASSERT(s.zones == NULL && s.nzones == 0 && s.smtp == NULL && s.expect == NULL);
        free(text);
        return 0;
    }
    FUZZ_ASSERT(memchr(s.id, '\0', sizeof s.id) != NULL && s.id[0]);
    FUZZ_ASSERT(memchr(s.domain, '\0', sizeof s.domain) != NULL);
    for (size_t z = 0; z < s.nzones; z++)
        FUZZ_ASSERT(s.zones[z].nrrs > 0);

    char *out1 = mxd_scenario_format(&s);
    FUZZ_ASSERT(out1 != NULL);
    mxd_scenario s2;
    rc = mxd_scenario_parse(out1, strlen(out1), "formatted.scn", &s2, &err);
    if (rc != 0) {
        char *shown = mxd_scn_error_format(&err, NULL);
        fprintf(stderr, "formatted scenario does not parse: %s\n--- formatted:\n%s\n---\n",
                shown ? shown : "?", out1);
        free(shown);
        FUZZ_ASSERT(rc == 0);
    }
    FUZZ_ASSERT(strcmp(s.id, s2.id) == 0 && strcmp(s.domain, s2.domain) == 0);
    FUZZ_ASSERT(s.nzones == s2.nzones && s.nauth == s2.nauth && s.nsmtp == s2.nsmtp &&
                s.nexpect == s2.nexpect && s.nhttps == s2.nhttps);
    char *out2 = mxd_scenario_format(&s2);
    FUZZ_ASSERT(out2 != NULL);
    if (strcmp(out1, out2) != 0) {
        fprintf(stderr, "--- first:\n%s\n--- second:\n%s\n---\n", out1, out2);
        FUZZ_ASSERT(strcmp(out1, out2) == 0);
    }
    free(out2);
    free(out1);
    mxd_scenario_free(&s2);
    mxd_scenario_free(&s);
    free(text);
    return 0;
}
