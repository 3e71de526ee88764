/* commands.c — equivalent commands per step and platform (see commands.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mxd/commands.h"
#include "mxd/propagation.h"
#include "mxd/strbuf.h"

bool mxd_command_name_safe(const char *name)
{
    if (!name || !*name || name[0] == '-')
        return false;
    size_t n = 0;
    for (const char *p = name; *p; p++, n++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == '_';
        if (!ok || n >= 253)
            return false;
    }
    return true;
}

const char *mxd_platform_label(const char *platform)
{
    if (!platform)
        return "";
    if (strcmp(platform, MXD_PLATFORM_WINDOWS) == 0)
        return "Windows (cmd)";
    if (strcmp(platform, MXD_PLATFORM_POWERSHELL) == 0)
        return "PowerShell";
    if (strcmp(platform, MXD_PLATFORM_UNIX) == 0)
        return "macOS / Linux";
    return platform;
}

/* The resolver the commands should ask, split from "ADDR", "ADDR:PORT",
 * "[V6]:PORT" or a bare IPv6 address. */
typedef struct server {
    bool set;
    char addr[64];
    unsigned port; /* 53 when not given */
} server;

static bool addr_chars_ok(const char *s)
{
    if (!*s || *s == '-')
        return false;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
              c == '.' || c == ':'))
            return false;
    }
    return true;
}

static bool parse_port(const char *s, unsigned *port)
{
    unsigned long v = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > 65535)
            return false;
    }
    if (v == 0)
        return false;
    *port = (unsigned)v;
    return true;
}

/* Fills *sv from spec; false (and sv unset) when the spec is not a plain address
 * with an optional port, so nothing odd is ever pasted into a command. */
static bool parse_server(const char *spec, server *sv)
{
    char buf[80];
    memset(sv, 0, sizeof *sv);
    sv->port = 53;
    if (!spec || strlen(spec) >= sizeof buf)
        return false;
    strcpy(buf, spec);
    char *addr = buf, *port = NULL;
    if (buf[0] == '[') {
        char *close = strchr(buf, ']');
        if (!close)
            return false;
        *close = '\0';
        addr = buf + 1;
        if (close[1] == ':')
            port = close + 2;
        else if (close[1] != '\0')
            return false;
    } else {
        char *colon = strchr(buf, ':');
        if (colon && !strchr(colon + 1, ':')) { /* exactly one ':' → IPv4 (or name) + port */
            *colon = '\0';
            port = colon + 1;
        }
    }
    if (!addr_chars_ok(addr) || strlen(addr) >= sizeof sv->addr)
        return false;
    if (port && !parse_port(port, &sv->port))
        return false;
    strcpy(sv->addr, addr);
    sv->set = true;
    return true;
}

typedef struct cmdlist {
    mxd_command *v;
    size_t n, cap;
    bool failed;
} cmdlist;

static void add(cmdlist *l, const char *platform, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add(cmdlist *l, const char *platform, const char *fmt, ...)
{
    if (l->failed)
        return;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 8;
        mxd_command *nv = realloc(l->v, nc * sizeof *nv);
        if (!nv) {
            l->failed = true;
            return;
        }
        l->v = nv;
        l->cap = nc;
    }
    mxd_sb sb = MXD_SB_INIT;
    va_list ap;
    va_start(ap, fmt);
    mxd_sb_vprintf(&sb, fmt, ap);
    va_end(ap);
    char *s = mxd_sb_take(&sb);
    if (!s) {
        l->failed = true;
        return;
    }
    l->v[l->n].platform = platform;
    l->v[l->n].cmd = s;
    l->n++;
}

/* Hosts worth a command, in sender order: safe names only, each once, no null
 * MX. IP literals are kept only when want_literals (there is nothing to look up
 * for them, but one can still connect). Returns how many were put in hosts. */
static size_t pick_hosts(const mxd_result *r, bool want_literals, const char **hosts, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < r->ntargets && n < max; i++) {
        const mxd_target *t = &r->targets[i];
        if (t->null_mx || (t->ip_literal && !want_literals) || !mxd_command_name_safe(t->host))
            continue;
        bool seen = false;
        for (size_t k = 0; k < n && !seen; k++)
            seen = strcasecmp(hosts[k], t->host) == 0;
        if (!seen)
            hosts[n++] = t->host;
    }
    return n;
}

/* Pieces of the DNS commands that name the resolver; "" without one. */
typedef struct server_args {
    char nslookup_opt[32];  /* "-port=5300 " */
    char nslookup_srv[72];  /* " 192.0.2.53" */
    char dig[96];           /* "@192.0.2.53 -p 5300 " */
    char ps[80];            /* " -Server 192.0.2.53" */
    bool ps_possible;       /* Resolve-DnsName cannot ask a port other than 53 */
} server_args;

static void server_args_of(const mxd_result *r, server_args *a)
{
    memset(a, 0, sizeof *a);
    a->ps_possible = true;
    server sv;
    if (r->opts.nresolvers == 0 || !r->opts.resolvers ||
        !parse_server(r->opts.resolvers[0], &sv))
        return;
    snprintf(a->nslookup_srv, sizeof a->nslookup_srv, " %s", sv.addr);
    snprintf(a->ps, sizeof a->ps, " -Server %s", sv.addr);
    if (sv.port != 53) {
        snprintf(a->nslookup_opt, sizeof a->nslookup_opt, "-port=%u ", sv.port);
        snprintf(a->dig, sizeof a->dig, "@%s -p %u ", sv.addr, sv.port);
        a->ps_possible = false;
    } else {
        snprintf(a->dig, sizeof a->dig, "@%s ", sv.addr);
    }
}

static void cmds_mx(const mxd_result *r, cmdlist *l)
{
    const char *d = r->domain_ascii;
    if (!mxd_command_name_safe(d))
        return;
    server_args a;
    server_args_of(r, &a);
    add(l, MXD_PLATFORM_WINDOWS, "nslookup %s-type=mx %s%s", a.nslookup_opt, d, a.nslookup_srv);
    if (a.ps_possible)
        add(l, MXD_PLATFORM_POWERSHELL, "Resolve-DnsName -Type MX %s%s", d, a.ps);
    add(l, MXD_PLATFORM_UNIX, "dig %s+noall +answer MX %s", a.dig, d);
}

#define MAX_HOSTS 64

static void cmds_target(const mxd_result *r, cmdlist *l)
{
    const char *hosts[MAX_HOSTS];
    size_t n = pick_hosts(r, false, hosts, MAX_HOSTS);
    server_args a;
    server_args_of(r, &a);
    for (size_t i = 0; i < n; i++)
        add(l, MXD_PLATFORM_WINDOWS, "nslookup %s%s%s", a.nslookup_opt, hosts[i], a.nslookup_srv);
    for (size_t i = 0; a.ps_possible && i < n; i++)
        add(l, MXD_PLATFORM_POWERSHELL, "Resolve-DnsName %s%s", hosts[i], a.ps);
    for (size_t i = 0; i < n; i++) {
        add(l, MXD_PLATFORM_UNIX, "dig %s+short A %s", a.dig, hosts[i]);
        add(l, MXD_PLATFORM_UNIX, "dig %s+short AAAA %s", a.dig, hosts[i]);
    }
}

static bool is_ipv4_literal(const char *h)
{
    for (; *h; h++)
        if (!((*h >= '0' && *h <= '9') || *h == '.'))
            return false;
    return true;
}

static void cmds_smtp(const mxd_result *r, cmdlist *l)
{
    const char *hosts[MAX_HOSTS];
    size_t n = pick_hosts(r, true, hosts, MAX_HOSTS);
    unsigned port = r->opts.smtp_port ? r->opts.smtp_port : 25;
    for (size_t i = 0; i < n; i++)
        add(l, MXD_PLATFORM_WINDOWS, "telnet %s %u", hosts[i], port);
    for (size_t i = 0; i < n; i++)
        add(l, MXD_PLATFORM_POWERSHELL, "Test-NetConnection %s -Port %u", hosts[i], port);
    for (size_t i = 0; i < n; i++) {
        /* SNI takes a host name, never an address. */
        if (is_ipv4_literal(hosts[i]))
            add(l, MXD_PLATFORM_UNIX, "openssl s_client -starttls smtp -connect %s:%u -crlf",
                hosts[i], port);
        else
            add(l, MXD_PLATFORM_UNIX,
                "openssl s_client -starttls smtp -connect %s:%u -crlf -servername %s", hosts[i],
                port, hosts[i]);
    }
}

/* Each authoritative server's own view (recursion off), then the cache flush
 * for each platform: the flush is what a caller can do about an old answer. */
static void cmds_propagation(const mxd_propagation *d, unsigned port, cmdlist *l)
{
    const char *zone = mxd_command_name_safe(d->zone) ? d->zone : NULL;
    const char *dom = mxd_command_name_safe(d->domain) ? d->domain : NULL;
    char nsl_port[32] = "", dig_port[32] = "";
    if (port && port != 53) {
        snprintf(nsl_port, sizeof nsl_port, "-port=%u ", port);
        snprintf(dig_port, sizeof dig_port, "-p %u ", port);
    }
    const char *addrs[64];
    size_t n = 0;
    for (size_t i = 0; i < d->nservers && n < 64; i++)
        if (d->servers[i].addr.family && addr_chars_ok(d->servers[i].addr.text))
            addrs[n++] = d->servers[i].addr.text;
    for (size_t i = 0; i < n; i++) {
        if (zone)
            add(l, MXD_PLATFORM_WINDOWS, "nslookup %s-norecurse -type=soa %s %s", nsl_port, zone,
                addrs[i]);
        if (dom)
            add(l, MXD_PLATFORM_WINDOWS, "nslookup %s-norecurse -type=mx %s %s", nsl_port, dom,
                addrs[i]);
    }
    add(l, MXD_PLATFORM_WINDOWS, "ipconfig /flushdns");
    for (size_t i = 0; i < n && !nsl_port[0]; i++) { /* Resolve-DnsName knows only port 53 */
        if (zone)
            add(l, MXD_PLATFORM_POWERSHELL, "Resolve-DnsName -Type SOA %s -Server %s -NoRecursion",
                zone, addrs[i]);
        if (dom)
            add(l, MXD_PLATFORM_POWERSHELL, "Resolve-DnsName -Type MX %s -Server %s -NoRecursion",
                dom, addrs[i]);
    }
    add(l, MXD_PLATFORM_POWERSHELL, "Clear-DnsClientCache");
    for (size_t i = 0; i < n; i++) {
        if (zone)
            add(l, MXD_PLATFORM_UNIX, "dig @%s %s+norecurse SOA %s", addrs[i], dig_port, zone);
        if (dom)
            add(l, MXD_PLATFORM_UNIX, "dig @%s %s+norecurse MX %s", addrs[i], dig_port, dom);
    }
    add(l, MXD_PLATFORM_UNIX, "sudo dscacheutil -flushcache; sudo killall -HUP mDNSResponder");
    add(l, MXD_PLATFORM_UNIX, "resolvectl flush-caches");
}

size_t mxd_commands_for_propagation(const struct mxd_propagation *d, unsigned dns_port,
                                    mxd_command **out)
{
    cmdlist l = { NULL, 0, 0, false };
    *out = NULL;
    if (!d)
        return 0;
    cmds_propagation(d, dns_port, &l);
    if (l.failed || l.n == 0) {
        mxd_commands_free(l.v, l.n);
        return 0;
    }
    *out = l.v;
    return l.n;
}

size_t mxd_commands_for_step(const char *step, const mxd_result *r, mxd_command **out)
{
    cmdlist l = { NULL, 0, 0, false };
    *out = NULL;
    if (!step || !r)
        return 0;
    if (strcmp(step, "propagation") == 0)
        return mxd_commands_for_propagation(r->propagation, r->opts.dns_port, out);
    if (strcmp(step, "mx") == 0)
        cmds_mx(r, &l);
    else if (strcmp(step, "target") == 0)
        cmds_target(r, &l);
    else if (strcmp(step, "smtp") == 0)
        cmds_smtp(r, &l);
    if (l.failed || l.n == 0) {
        mxd_commands_free(l.v, l.n);
        return 0;
    }
    *out = l.v;
    return l.n;
}

void mxd_commands_free(mxd_command *v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i].cmd);
    free(v);
}
