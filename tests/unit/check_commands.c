/* check_commands.c — the equivalent commands a person is asked to run.
 *
 * These strings are pasted into a shell by helpdesk callers, so the tests pin
 * them exactly, and check that a hostile host name or resolver never reaches
 * one.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "mxd/commands.h"
#include "mxd/propagation.h"

/* A result with the given MX hosts (sender order), preferences 10, 20, ... */
static mxd_result *make_result(const char *domain, const char *const *hosts, size_t n)
{
    mxd_result *r = calloc(1, sizeof *r);
    ck_assert_ptr_nonnull(r);
    strcpy(r->domain, domain);
    strcpy(r->domain_ascii, domain);
    r->targets = calloc(n ? n : 1, sizeof *r->targets);
    ck_assert_ptr_nonnull(r->targets);
    r->ntargets = n;
    for (size_t i = 0; i < n; i++) {
        r->targets[i].pref = (uint16_t)(10 * (i + 1));
        r->targets[i].duplicate_of = -1;
        strcpy(r->targets[i].host, hosts[i]);
    }
    r->opts.smtp_port = 25;
    r->opts.dns_port = 53;
    return r;
}

static void free_result(mxd_result *r)
{
    mxd_result_free(r);
    free(r);
}

/* Asserts that the commands are exactly want[] (platform|command). */
static void expect(const char *step, const mxd_result *r, const char *const *want, size_t nwant)
{
    mxd_command *v;
    size_t n = mxd_commands_for_step(step, r, &v);
    for (size_t i = 0; i < n && i < nwant; i++) {
        char got[1024];
        snprintf(got, sizeof got, "%s|%s", v[i].platform, v[i].cmd);
        ck_assert_str_eq(got, want[i]);
    }
    ck_assert_uint_eq(n, nwant);
    mxd_commands_free(v, n);
}

#define EXPECT(step, r, ...)                                                           \
    do {                                                                               \
        static const char *const w_[] = { __VA_ARGS__ };                               \
        expect(step, r, w_, sizeof w_ / sizeof w_[0]);                                 \
    } while (0)

static const char *const two[] = { "mx1.example.com", "mx2.example.com" };

START_TEST(test_mx_step)
{
    mxd_result *r = make_result("example.com", two, 2);
    EXPECT("mx", r,
           "windows|nslookup -type=mx example.com",
           "powershell|Resolve-DnsName -Type MX example.com",
           "macos-linux|dig +noall +answer MX example.com");
    free_result(r);
}
END_TEST

START_TEST(test_target_step)
{
    mxd_result *r = make_result("example.com", two, 2);
    EXPECT("target", r,
           "windows|nslookup mx1.example.com",
           "windows|nslookup mx2.example.com",
           "powershell|Resolve-DnsName mx1.example.com",
           "powershell|Resolve-DnsName mx2.example.com",
           "macos-linux|dig +short A mx1.example.com",
           "macos-linux|dig +short AAAA mx1.example.com",
           "macos-linux|dig +short A mx2.example.com",
           "macos-linux|dig +short AAAA mx2.example.com");
    free_result(r);
}
END_TEST

START_TEST(test_smtp_step)
{
    mxd_result *r = make_result("example.com", two, 2);
    EXPECT("smtp", r,
           "windows|telnet mx1.example.com 25",
           "windows|telnet mx2.example.com 25",
           "powershell|Test-NetConnection mx1.example.com -Port 25",
           "powershell|Test-NetConnection mx2.example.com -Port 25",
           "macos-linux|openssl s_client -starttls smtp -connect mx1.example.com:25 -crlf "
           "-servername mx1.example.com",
           "macos-linux|openssl s_client -starttls smtp -connect mx2.example.com:25 -crlf "
           "-servername mx2.example.com");
    free_result(r);
}
END_TEST

START_TEST(test_smtp_port)
{
    static const char *const one[] = { "mx.example.net" };
    mxd_result *r = make_result("example.net", one, 1);
    r->opts.smtp_port = 2525;
    EXPECT("smtp", r,
           "windows|telnet mx.example.net 2525",
           "powershell|Test-NetConnection mx.example.net -Port 2525",
           "macos-linux|openssl s_client -starttls smtp -connect mx.example.net:2525 -crlf "
           "-servername mx.example.net");
    free_result(r);
}
END_TEST

START_TEST(test_resolver_with_port)
{
    char *res[] = { "192.0.2.53:5300" };
    static const char *const one[] = { "mx.example.org" };
    mxd_result *r = make_result("example.org", one, 1);
    r->opts.resolvers = res;
    r->opts.nresolvers = 1;
    /* Resolve-DnsName has no port option: no PowerShell line rather than a wrong one. */
    EXPECT("mx", r,
           "windows|nslookup -port=5300 -type=mx example.org 192.0.2.53",
           "macos-linux|dig @192.0.2.53 -p 5300 +noall +answer MX example.org");
    EXPECT("target", r,
           "windows|nslookup -port=5300 mx.example.org 192.0.2.53",
           "macos-linux|dig @192.0.2.53 -p 5300 +short A mx.example.org",
           "macos-linux|dig @192.0.2.53 -p 5300 +short AAAA mx.example.org");
    free_result(r);
}
END_TEST

START_TEST(test_resolver_default_port)
{
    char *res[] = { "192.0.2.53" };
    static const char *const one[] = { "mx.example.org" };
    mxd_result *r = make_result("example.org", one, 1);
    r->opts.resolvers = res;
    r->opts.nresolvers = 1;
    EXPECT("mx", r,
           "windows|nslookup -type=mx example.org 192.0.2.53",
           "powershell|Resolve-DnsName -Type MX example.org -Server 192.0.2.53",
           "macos-linux|dig @192.0.2.53 +noall +answer MX example.org");
    res[0] = "192.0.2.53:53";
    EXPECT("mx", r,
           "windows|nslookup -type=mx example.org 192.0.2.53",
           "powershell|Resolve-DnsName -Type MX example.org -Server 192.0.2.53",
           "macos-linux|dig @192.0.2.53 +noall +answer MX example.org");
    free_result(r);
}
END_TEST

START_TEST(test_resolver_ipv6)
{
    char *res[] = { "[2001:db8::53]:5353" };
    mxd_result *r = make_result("example.org", NULL, 0);
    r->opts.resolvers = res;
    r->opts.nresolvers = 1;
    EXPECT("mx", r,
           "windows|nslookup -port=5353 -type=mx example.org 2001:db8::53",
           "macos-linux|dig @2001:db8::53 -p 5353 +noall +answer MX example.org");
    res[0] = "::1"; /* bare IPv6: every ':' belongs to the address */
    EXPECT("mx", r,
           "windows|nslookup -type=mx example.org ::1",
           "powershell|Resolve-DnsName -Type MX example.org -Server ::1",
           "macos-linux|dig @::1 +noall +answer MX example.org");
    free_result(r);
}
END_TEST

START_TEST(test_resolver_hostile_ignored)
{
    /* A resolver spec that is not a plain address is left out of the commands
     * (they then ask the caller's own resolver) rather than pasted. */
    char *res[] = { "192.0.2.1;reboot" };
    mxd_result *r = make_result("example.org", NULL, 0);
    r->opts.resolvers = res;
    r->opts.nresolvers = 1;
    EXPECT("mx", r,
           "windows|nslookup -type=mx example.org",
           "powershell|Resolve-DnsName -Type MX example.org",
           "macos-linux|dig +noall +answer MX example.org");
    res[0] = "192.0.2.1:99999";
    EXPECT("mx", r,
           "windows|nslookup -type=mx example.org",
           "powershell|Resolve-DnsName -Type MX example.org",
           "macos-linux|dig +noall +answer MX example.org");
    free_result(r);
}
END_TEST

START_TEST(test_hostile_hosts_skipped)
{
    static const char *const hosts[] = {
        "evil.example;reboot",     /* command separator */
        "$(reboot).example",       /* command substitution */
        "`id`.example",
        "-oProxyCommand=sh",       /* would become an option */
        "mx one.example",          /* word splitting */
        "mx\x1b[31m.example",      /* terminal escape */
        "good.example",
        "a|b.example",
        "x>y.example",
        "\xe4\xbe\x8b.example",   /* non-ASCII: IDN hosts come in A-label form */
    };
    mxd_result *r = make_result("example.com", hosts, sizeof hosts / sizeof hosts[0]);
    EXPECT("target", r,
           "windows|nslookup good.example",
           "powershell|Resolve-DnsName good.example",
           "macos-linux|dig +short A good.example",
           "macos-linux|dig +short AAAA good.example");
    EXPECT("smtp", r,
           "windows|telnet good.example 25",
           "powershell|Test-NetConnection good.example -Port 25",
           "macos-linux|openssl s_client -starttls smtp -connect good.example:25 -crlf "
           "-servername good.example");
    free_result(r);
}
END_TEST

START_TEST(test_hostile_domain)
{
    mxd_result *r = make_result("example.com;rm", NULL, 0);
    mxd_command *v = (mxd_command *)1;
    ck_assert_uint_eq(mxd_commands_for_step("mx", r, &v), 0);
    ck_assert_ptr_null(v);
    free_result(r);
}
END_TEST

START_TEST(test_null_duplicate_literal)
{
    static const char *const hosts[] = { "", "mx.example.com", "MX.example.com", "192.0.2.7" };
    mxd_result *r = make_result("example.com", hosts, 4);
    r->targets[0].null_mx = true;
    r->targets[0].pref = 0;
    r->targets[2].duplicate_of = 1;
    r->targets[3].ip_literal = true;
    /* Nothing to look up for a null MX or an address; a duplicate once. */
    EXPECT("target", r,
           "windows|nslookup mx.example.com",
           "powershell|Resolve-DnsName mx.example.com",
           "macos-linux|dig +short A mx.example.com",
           "macos-linux|dig +short AAAA mx.example.com");
    /* One can still connect to an address, but SNI takes only names. */
    EXPECT("smtp", r,
           "windows|telnet mx.example.com 25",
           "windows|telnet 192.0.2.7 25",
           "powershell|Test-NetConnection mx.example.com -Port 25",
           "powershell|Test-NetConnection 192.0.2.7 -Port 25",
           "macos-linux|openssl s_client -starttls smtp -connect mx.example.com:25 -crlf "
           "-servername mx.example.com",
           "macos-linux|openssl s_client -starttls smtp -connect 192.0.2.7:25 -crlf");
    free_result(r);
}
END_TEST

START_TEST(test_unknown_step)
{
    mxd_result *r = make_result("example.com", two, 2);
    mxd_command *v = (mxd_command *)1;
    ck_assert_uint_eq(mxd_commands_for_step("policy-not-yet", r, &v), 0);
    ck_assert_ptr_null(v);
    ck_assert_uint_eq(mxd_commands_for_step(NULL, r, &v), 0);
    free_result(r);
}
END_TEST

START_TEST(test_name_safe)
{
    ck_assert(mxd_command_name_safe("mx-1.example_x.COM"));
    ck_assert(mxd_command_name_safe("xn--r8jz45g.jp"));
    ck_assert(!mxd_command_name_safe(""));
    ck_assert(!mxd_command_name_safe(NULL));
    ck_assert(!mxd_command_name_safe("-x.example"));
    ck_assert(!mxd_command_name_safe("a/b.example"));
    ck_assert(!mxd_command_name_safe("a\\b.example"));
    ck_assert(!mxd_command_name_safe("a'b.example"));
    ck_assert(!mxd_command_name_safe("a\"b.example"));
    ck_assert(!mxd_command_name_safe("a\nb.example"));
    char longname[300];
    memset(longname, 'a', 253);
    longname[253] = '\0';
    ck_assert(mxd_command_name_safe(longname));
    longname[253] = 'a';
    longname[254] = '\0';
    ck_assert(!mxd_command_name_safe(longname));
}
END_TEST

START_TEST(test_platform_label)
{
    ck_assert_str_eq(mxd_platform_label(MXD_PLATFORM_WINDOWS), "Windows (cmd)");
    ck_assert_str_eq(mxd_platform_label(MXD_PLATFORM_POWERSHELL), "PowerShell");
    ck_assert_str_eq(mxd_platform_label(MXD_PLATFORM_UNIX), "macOS / Linux");
    ck_assert_str_eq(mxd_platform_label("plan9"), "plan9");
}
END_TEST

/* ---- step "propagation" ---- */

static void add_ns(mxd_propagation *d, const char *name, int family, const char *text)
{
    d->servers = realloc(d->servers, (d->nservers + 1) * sizeof *d->servers);
    ck_assert_ptr_nonnull(d->servers);
    mxd_prop_server *s = &d->servers[d->nservers++];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->addr.family = family;
    snprintf(s->addr.text, sizeof s->addr.text, "%s", text);
}

static void expect_prop(const mxd_propagation *d, unsigned port, const char *const *want,
                        size_t nwant)
{
    mxd_command *v;
    size_t n = mxd_commands_for_propagation(d, port, &v);
    for (size_t i = 0; i < n && i < nwant; i++) {
        char got[1024];
        snprintf(got, sizeof got, "%s|%s", v[i].platform, v[i].cmd);
        ck_assert_str_eq(got, want[i]);
    }
    ck_assert_uint_eq(n, nwant);
    mxd_commands_free(v, n);
}

#define EXPECT_PROP(d, port, ...)                                                      \
    do {                                                                               \
        static const char *const w_[] = { __VA_ARGS__ };                               \
        expect_prop(d, port, w_, sizeof w_ / sizeof w_[0]);                            \
    } while (0)

START_TEST(test_propagation_step)
{
    mxd_propagation d;
    memset(&d, 0, sizeof d);
    strcpy(d.domain, "mail.example.com");
    strcpy(d.zone, "example.com");
    add_ns(&d, "ns1.example.com", AF_INET, "192.0.2.53");
    add_ns(&d, "ns2.example.com", AF_INET6, "2001:db8::53");
    add_ns(&d, "ns3.example.com", 0, ""); /* no address: nothing to ask */
    EXPECT_PROP(&d, 53,
        "windows|nslookup -norecurse -type=soa example.com 192.0.2.53",
        "windows|nslookup -norecurse -type=mx mail.example.com 192.0.2.53",
        "windows|nslookup -norecurse -type=soa example.com 2001:db8::53",
        "windows|nslookup -norecurse -type=mx mail.example.com 2001:db8::53",
        "windows|ipconfig /flushdns",
        "powershell|Resolve-DnsName -Type SOA example.com -Server 192.0.2.53 -NoRecursion",
        "powershell|Resolve-DnsName -Type MX mail.example.com -Server 192.0.2.53 -NoRecursion",
        "powershell|Resolve-DnsName -Type SOA example.com -Server 2001:db8::53 -NoRecursion",
        "powershell|Resolve-DnsName -Type MX mail.example.com -Server 2001:db8::53 -NoRecursion",
        "powershell|Clear-DnsClientCache",
        "macos-linux|dig @192.0.2.53 +norecurse SOA example.com",
        "macos-linux|dig @192.0.2.53 +norecurse MX mail.example.com",
        "macos-linux|dig @2001:db8::53 +norecurse SOA example.com",
        "macos-linux|dig @2001:db8::53 +norecurse MX mail.example.com",
        "macos-linux|sudo dscacheutil -flushcache; sudo killall -HUP mDNSResponder",
        "macos-linux|resolvectl flush-caches");
    mxd_propagation_result_free(&d);
}
END_TEST

START_TEST(test_propagation_port_and_hostile)
{
    mxd_propagation d;
    memset(&d, 0, sizeof d);
    strcpy(d.domain, "lab.test");
    strcpy(d.zone, "lab.test");
    add_ns(&d, "ns1.lab.test", AF_INET, "127.0.54.1");
    /* The lab's port: nslookup and dig take it, Resolve-DnsName cannot. */
    EXPECT_PROP(&d, 40123,
        "windows|nslookup -port=40123 -norecurse -type=soa lab.test 127.0.54.1",
        "windows|nslookup -port=40123 -norecurse -type=mx lab.test 127.0.54.1",
        "windows|ipconfig /flushdns",
        "powershell|Clear-DnsClientCache",
        "macos-linux|dig @127.0.54.1 -p 40123 +norecurse SOA lab.test",
        "macos-linux|dig @127.0.54.1 -p 40123 +norecurse MX lab.test",
        "macos-linux|sudo dscacheutil -flushcache; sudo killall -HUP mDNSResponder",
        "macos-linux|resolvectl flush-caches");
    /* A name that is not safe to paste is left out; the flush commands stay. */
    strcpy(d.domain, "x;rm -rf ~.lab.test");
    strcpy(d.zone, "-oops");
    EXPECT_PROP(&d, 53,
        "windows|ipconfig /flushdns",
        "powershell|Clear-DnsClientCache",
        "macos-linux|sudo dscacheutil -flushcache; sudo killall -HUP mDNSResponder",
        "macos-linux|resolvectl flush-caches");
    mxd_command *v = (mxd_command *)1;
    ck_assert_uint_eq(mxd_commands_for_propagation(NULL, 53, &v), 0);
    ck_assert_ptr_null(v);
    mxd_propagation_result_free(&d);
}
END_TEST

static Suite *commands_suite(void)
{
    Suite *s = suite_create("commands");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_mx_step);
    tcase_add_test(tc, test_target_step);
    tcase_add_test(tc, test_smtp_step);
    tcase_add_test(tc, test_smtp_port);
    tcase_add_test(tc, test_resolver_with_port);
    tcase_add_test(tc, test_resolver_default_port);
    tcase_add_test(tc, test_resolver_ipv6);
    tcase_add_test(tc, test_resolver_hostile_ignored);
    tcase_add_test(tc, test_hostile_hosts_skipped);
    tcase_add_test(tc, test_hostile_domain);
    tcase_add_test(tc, test_null_duplicate_literal);
    tcase_add_test(tc, test_unknown_step);
    tcase_add_test(tc, test_name_safe);
    tcase_add_test(tc, test_platform_label);
    tcase_add_test(tc, test_propagation_step);
    tcase_add_test(tc, test_propagation_port_and_hostile);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(commands_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
