/* commands.h — the commands a person can run to see what a step saw.
 *
 * A helpdesk agent asks a caller to run "the same check" on the caller's own
 * machine; a workshop student wants to repeat a step by hand. For each step this
 * module gives the equivalent commands per platform: Windows cmd (nslookup,
 * telnet), PowerShell (Resolve-DnsName, Test-NetConnection) and macOS/Linux
 * (dig, openssl). The report and the wizard both use it, so the two never
 * disagree about what to type.
 *
 * Commands are meant to be pasted into a shell. Every name placed in one is
 * checked against [A-Za-z0-9._-] (and may not start with '-'); a name that fails
 * is left out, so a hostile MX host name can never become a shell injection or
 * an extra option. Resolver addresses are checked the same way ([0-9A-Fa-f.:]).
 */
#ifndef MXD_COMMANDS_H
#define MXD_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

#include "mxd/result.h"

/* Platform identifiers (static strings; compare with strcmp). */
#define MXD_PLATFORM_WINDOWS "windows"        /* cmd.exe */
#define MXD_PLATFORM_POWERSHELL "powershell"
#define MXD_PLATFORM_UNIX "macos-linux"

typedef struct mxd_command {
    const char *platform; /* one of MXD_PLATFORM_* (static) */
    char *cmd;            /* owned by the array; freed by mxd_commands_free() */
} mxd_command;

/* The equivalent commands for step ("mx", "target", "smtp") on result r, grouped
 * by platform (windows, then powershell, then macos-linux; within a platform in
 * the order a sender tries the MX hosts). When the run used an explicit
 * resolver (r->opts.resolvers[0], "ADDR[:PORT]") the DNS commands ask it; when
 * the SMTP port is not 25 the SMTP commands use that port.
 * Returns the count and sets *out to a new array the caller frees with
 * mxd_commands_free(); returns 0 with *out NULL for a step without commands,
 * when nothing safe can be shown, or when memory runs out. */
size_t mxd_commands_for_step(const char *step, const mxd_result *r, mxd_command **out);
void mxd_commands_free(mxd_command *v, size_t n);

struct mxd_propagation;
/* The commands of step "propagation" from its own data (mxd_commands_for_step
 * hands "propagation" here once mxd_result carries that data): for every
 * authoritative server address asked, its own view with recursion off — the
 * zone's SOA and the domain's MX, on dns_port (0: 53) — then how to flush the
 * DNS cache of the computer where a sending program runs. Same grouping,
 * ownership and safety rules as mxd_commands_for_step(); d NULL gives 0. */
size_t mxd_commands_for_propagation(const struct mxd_propagation *d, unsigned dns_port,
                                    mxd_command **out);

/* A short human name for a platform id ("Windows (cmd)", "PowerShell",
 * "macOS / Linux"); static. Unknown ids come back unchanged. */
const char *mxd_platform_label(const char *platform);

/* True when name may be placed in a pasted command: 1..253 bytes of
 * [A-Za-z0-9._-], not starting with '-'. */
bool mxd_command_name_safe(const char *name);

#endif
