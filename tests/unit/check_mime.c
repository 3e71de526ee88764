/* check_mime.c — the MIME reader (src/bounce/mime.c) on its own, and bounces
 * sent as MIME read through the bounce decoder (mxd_bounce_parse).
 *
 * The building blocks (quoted-printable, base64, charsets, RFC 2047 words,
 * HTML) are checked on byte strings with what they must give. The messages are
 * written the way the sending software writes them: a Microsoft 365 NDR with
 * quoted-printable HTML and a delivery-status part, a Japanese ISP's bounce in
 * ISO-2022-JP base64 and a mobile carrier's in Shift_JIS, each beside its plain
 * UTF-8 twin that must decode to the same finding, a Postfix DSN with a
 * Japanese template whose code a soft line break splits, an Exim bounce in
 * base64 with line breaks and junk, a paste cut before its closing boundary,
 * multiparts nested past the limit, a subject made of encoded-words, a
 * forwarded bounce, and a returned original that must not be read.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mxd/bounce.h"
#include "mxd/mime.h"
#include "mxd/strbuf.h"

/* ---- fixtures --------------------------------------------------------------------- */

/* Microsoft 365, in pieces: the whole NDR is all of them; the HTML-only copy
 * (a client that kept one alternative, without the report part) leaves out the
 * plain alternative and the delivery-status part. The returned message's
 * Subject and body, the HTML's title, style sheet and comment, and the headers
 * after "Original message headers:" all hold codes that must not be read. */
#define M365_HEAD \
    "Received: from TYCPR01MB8123.jpnprd01.prod.outlook.com (2603:1096:400:1a0::5)\n" \
    " by OS3PR01MB6543.jpnprd01.prod.outlook.com with HTTPS; Tue, 6 Feb 2024\n" \
    " 01:12:47 +0000\n" \
    "MIME-Version: 1.0\n" \
    "From: Microsoft Outlook\n" \
    "\t<MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso.onmicrosoft.com>\n" \
    "To: <taro@contoso.co.jp>\n" \
    "Date: Tue, 6 Feb 2024 01:12:47 +0000\n" \
    "Content-Type: multipart/report; report-type=delivery-status;\n" \
    "\tboundary=\"7e0b3c9a-51d4-4a8e-9f2b-6c1d0e8a4b21\"\n" \
    "X-MS-Exchange-Message-Is-Ndr:\n" \
    "Content-Language: en-US\n" \
    "Message-ID:\n" \
    "\t<3f2a1b0c-9d8e-4f70-8a6b-5e4d3c2b1a09@TYCPR01MB8123.jpnprd01.prod.outlook.com>\n" \
    "Subject: Undeliverable: =?iso-2022-jp?B?GyRCMnE1RCROJCpDTiRpJDsbKEI=?=\n" \
    "Auto-Submitted: auto-replied\n" \
    "\n"

#define M365_ALT \
    "--7e0b3c9a-51d4-4a8e-9f2b-6c1d0e8a4b21\n" \
    "Content-Type: multipart/alternative; differences=Content-Type;\n" \
    "\tboundary=\"c4f1a2b3-9d8e-4f70-8a6b-5e4d3c2b1a09\"\n" \
    "\n"

#define M365_PLAIN \
    "--c4f1a2b3-9d8e-4f70-8a6b-5e4d3c2b1a09\n" \
    "Content-Type: text/plain; charset=\"us-ascii\"\n" \
    "Content-Transfer-Encoding: quoted-printable\n" \
    "\n" \
    "Your message to hanako@fabrikam.co.jp couldn't be delivered.\n" \
    "hanako wasn't found at fabrikam.co.jp.\n" \
    "\n" \
    "Action Required\n" \
    "Unknown To address\n" \
    "\n" \
    "How to Fix It\n" \
    "The address may be misspelled or may not exist. Try one or more of the fol=\n" \
    "lowing:\n" \
    "- Retype the recipient's address, then resend the message.\n" \
    "\n" \
    "Diagnostic information for administrators:\n" \
    "\n" \
    "Generating server: TYCPR01MB8123.jpnprd01.prod.outlook.com\n" \
    "\n" \
    "hanako@fabrikam.co.jp\n" \
    "Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipien=\n" \
    "t not found by SMTP address lookup'\n" \
    "\n" \
    "Original message headers:\n" \
    "\n" \
    "Subject: 552 5.2.2 quota exceeded, please check\n" \
    "\n"

#define M365_HTML \
    "--c4f1a2b3-9d8e-4f70-8a6b-5e4d3c2b1a09\n" \
    "Content-Type: text/html; charset=\"us-ascii\"\n" \
    "Content-Transfer-Encoding: quoted-printable\n" \
    "\n" \
    "<html>\n" \
    "<head>\n" \
    "<meta http-equiv=3D\"Content-Type\" content=3D\"text/html; charset=3Dus-ascii\">\n" \
    "<title>Undeliverable 554 5.7.1</title>\n" \
    "<style type=3D\"text/css\">\n" \
    ".ndr { font-family: 'Segoe UI'; } /* 452 4.2.2 in a style sheet */\n" \
    "</style>\n" \
    "</head>\n" \
    "<body dir=3D\"ltr\" lang=3D\"en\">\n" \
    "<table id=3D\"MsgContainer\" width=3D\"548\" cellspacing=3D\"0\" cellpadding=3D\"=\n" \
    "0\">\n" \
    "<tr><td id=3D\"MsgBody\" style=3D\"font-family: 'Segoe UI', Frutiger;\">\n" \
    "<div style=3D\"font-size: 16px;\">Your message to <a href=3D\"mailto:hanako@fa=\n" \
    "brikam.co.jp\" style=3D\"color: #0072C6;\">hanako@fabrikam.co.jp</a> couldn&#3=\n" \
    "9;t be delivered.</div>\n" \
    "<div style=3D\"font-size: 24px;\"><b>hanako</b> wasn&#39;t found at fabrikam=\n" \
    ".co.jp.</div>\n" \
    "<table><tr><td>Action Required</td><td>&nbsp;</td><td>Recipient</td></tr>\n" \
    "<tr><td>Unknown To address</td></tr></table>\n" \
    "<!-- <p>550 5.7.26 left in a comment</p> -->\n" \
    "<p style=3D\"font-size: 14px;\">Diagnostic information for administrators:</p>\n" \
    "<p style=3D\"font-size: 14px;\">Generating server: TYCPR01MB8123.jpnprd01.pro=\n" \
    "d.outlook.com<br>\n" \
    "<br>\n" \
    "<a href=3D\"mailto:hanako@fabrikam.co.jp\">hanako@fabrikam.co.jp</a><br>\n" \
    "Remote Server returned &#39;550 5.1.=\n" \
    "10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address look=\n" \
    "up&#39;<br>\n" \
    "<br>\n" \
    "Original message headers:</p>\n" \
    "<pre style=3D\"font-family: Consolas;\">Received: from TYCPR01MB8123.jpnprd01=\n" \
    ".prod.outlook.com\n" \
    "Subject: 552 5.2.2 quota exceeded, please check\n" \
    "</pre>\n" \
    "</td></tr></table>\n" \
    "</body>\n" \
    "</html>\n" \
    "\n"

#define M365_ALT_END \
    "--c4f1a2b3-9d8e-4f70-8a6b-5e4d3c2b1a09--\n" \
    "\n"

#define M365_DSN \
    "--7e0b3c9a-51d4-4a8e-9f2b-6c1d0e8a4b21\n" \
    "Content-Type: message/delivery-status\n" \
    "\n" \
    "Reporting-MTA: dns;TYCPR01MB8123.jpnprd01.prod.outlook.com\n" \
    "Received-From-MTA: dns;TYCPR01MB8123.jpnprd01.prod.outlook.com\n" \
    "Arrival-Date: Tue, 6 Feb 2024 01:12:45 +0000\n" \
    "\n" \
    "Original-Recipient: rfc822;hanako@fabrikam.co.jp\n" \
    "Final-Recipient: rfc822;hanako@fabrikam.co.jp\n" \
    "Action: failed\n" \
    "Status: 5.1.10\n" \
    "Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup\n" \
    "\n"

#define M365_ORIG \
    "--7e0b3c9a-51d4-4a8e-9f2b-6c1d0e8a4b21\n" \
    "Content-Type: message/rfc822\n" \
    "\n" \
    "From: taro@contoso.co.jp\n" \
    "To: hanako@fabrikam.co.jp\n" \
    "Subject: 552 5.2.2 quota exceeded, please check\n" \
    "MIME-Version: 1.0\n" \
    "Content-Type: text/plain; charset=\"us-ascii\"\n" \
    "\n" \
    "550 5.7.1 this body must not be read.\n" \
    "\n" \
    "--7e0b3c9a-51d4-4a8e-9f2b-6c1d0e8a4b21--\n"

static const char ja_jis[] =
    "Return-Path: <>\n"
    "Received: from mx01.example-isp.ne.jp (mx01.example-isp.ne.jp [203.0.113.25])\n"
    "\tby mail.example.com (Postfix) with ESMTP id 4TqS1x2k5Hz1\n"
    "\tfor <taro@example.com>; Tue,  6 Feb 2024 10:12:47 +0900 (JST)\n"
    "Date: Tue, 6 Feb 2024 10:12:46 +0900\n"
    "From: MAILER-DAEMON@mx01.example-isp.ne.jp\n"
    "To: taro@example.com\n"
    "Subject: =?ISO-2022-JP?B?GyRCJWEhPCVrR1s/LiUoJWkhPCROJCpDTiRpJDsbKEI=?=\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=\"ISO-2022-JP\"\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "GyRCJDMkTiVhITwlayRPISJBdz8uJDUkbCQ/JWEhPCVrJCxHWz8uJEckLSRKJCskQyQ/JDMkSCRy\n"
    "JCpDTiRpJDskOSRrJD8kYSRLISIbKEIKGyRCJWEhPCVrJTUhPCVQITwkKyRpPCtGMEUqJEtBdz8u\n"
    "JDUkbCRGJCQkXiQ5ISMbKEIKChskQjwhJE4wOEBoJFgkTiVhITwlayRPR1s/LiRHJC0kXiQ7JHMk\n"
    "RyQ3JD8hIxsoQgoKGyRCMDhAaBsoQjogaGFuYWtvQGV4YW1wbGUubmUuanAKGyRCJSglaSE8RmJN\n"
    "RhsoQjogNTUwIDUuMS4xIDxoYW5ha29AZXhhbXBsZS5uZS5qcD4gGyRCMDhAaCROJWEhPCVrJSIl\n"
    "SSVsJTkkLEI4Ol8kNyReJDskcxsoQiAoVXNlciB1bmtub3duKQoKGyRCJWEhPCVrJSIlSSVsJTkk\n"
    "ciQ0M05HJyROJCYkKCEiOkZFWUF3Py4kNyRGJC8kQCQ1JCQhIxsoQgo=\n";

static const char ja_twin[] =
    "このメールは、送信されたメールが配信できなかったことをお知らせするために、\n"
    "メールサーバーから自動的に送信されています。\n"
    "\n"
    "次の宛先へのメールは配信できませんでした。\n"
    "\n"
    "宛先: hanako@example.ne.jp\n"
    "エラー内容: 550 5.1.1 <hanako@example.ne.jp> 宛先のメールアドレスが存在しません (User unknown)\n"
    "\n"
    "メールアドレスをご確認のうえ、再度送信してください。\n";

static const char postfix_qp[] =
    "Return-Path: <>\n"
    "From: MAILER-DAEMON@mail.example.com (Mail Delivery System)\n"
    "To: taro@example.com\n"
    "Subject: =?UTF-8?B?6YWN5L+h44Gn44GN44Gq44GL44Gj44Gf44Oh44O844Or44Gu6L+U6YCB?=\n"
    "Auto-Submitted: auto-replied\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=delivery-status;\n"
    "\tboundary=\"4TqS1x2k5Hz1.1707181967/mail.example.com\"\n"
    "Message-Id: <20240206011247.4TqS1x2k5Hz1@mail.example.com>\n"
    "\n"
    "This is a MIME-encapsulated message.\n"
    "\n"
    "--4TqS1x2k5Hz1.1707181967/mail.example.com\n"
    "Content-Description: Notification\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "=E3=81=93=E3=81=AE=E3=83=A1=E3=83=BC=E3=83=AB=E3=81=AF mail.example.com =E3=\n"
    "=81=AE=E3=83=A1=E3=83=BC=E3=83=AB=E3=82=B7=E3=82=B9=E3=83=86=E3=83=A0=E3=81=\n"
    "=8B=E3=82=89=E8=87=AA=E5=8B=95=E7=9A=84=E3=81=AB=E9=80=81=E4=BF=A1=E3=81=95=\n"
    "=E3=82=8C=E3=81=A6=E3=81=84=E3=81=BE=E3=81=99=E3=80=82\n"
    "\n"
    "=E3=81=8A=E9=80=81=E3=82=8A=E3=81=84=E3=81=9F=E3=81=A0=E3=81=84=E3=81=9F=E3=\n"
    "=83=A1=E3=83=BC=E3=83=AB=E3=82=92=E3=80=81=E6=AC=A1=E3=81=AE=E5=AE=9B=E5=85=\n"
    "=88=E3=81=B8=E9=85=8D=E4=BF=A1=E3=81=A7=E3=81=8D=E3=81=BE=E3=81=9B=E3=82=93=\n"
    "=E3=81=A7=E3=81=97=E3=81=9F=E3=80=82\n"
    "=E9=80=81=E4=BF=A1=E3=81=97=E3=81=9F=E3=83=A1=E3=83=BC=E3=83=AB=E3=81=AF=E3=\n"
    "=80=81=E3=81=93=E3=81=AE=E3=83=A1=E3=83=BC=E3=83=AB=E3=81=AB=E6=B7=BB=E4=BB=\n"
    "=98=E3=81=97=E3=81=A6=E3=81=84=E3=81=BE=E3=81=99=E3=80=82\n"
    "\n"
    "                   =E3=83=A1=E3=83=BC=E3=83=AB=E3=82=B7=E3=82=B9=E3=83=86=\n"
    "=E3=83=A0\n"
    "\n"
    "\n"
    "<hanako@example.jp>: host mx.example.jp[192.0.2.25] said: 550 5.1.=\n"
    "1\n"
    "    <hanako@example.jp>: Recipient address rejected: User unknown in local\n"
    "    recipient table (in reply to RCPT TO command)\n"
    "\n"
    "--4TqS1x2k5Hz1.1707181967/mail.example.com\n"
    "Content-Description: Delivery report\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "Reporting-MTA: dns; mail.example.com\n"
    "X-Postfix-Queue-ID: 4TqS1x2k5Hz1\n"
    "X-Postfix-Sender: rfc822; taro@example.com\n"
    "Arrival-Date: Tue,  6 Feb 2024 10:12:46 +0900 (JST)\n"
    "\n"
    "Final-Recipient: rfc822; hanako@example.jp\n"
    "Original-Recipient: rfc822;hanako@example.jp\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "Remote-MTA: dns; mx.example.jp\n"
    "Diagnostic-Code: smtp; 550 5.1.1 <hanako@example.jp>: Recipient address\n"
    "    rejected: User unknown in local recipient table\n"
    "\n"
    "--4TqS1x2k5Hz1.1707181967/mail.example.com\n"
    "Content-Description: Undelivered Message\n"
    "Content-Type: message/rfc822\n"
    "Content-Transfer-Encoding: 8bit\n"
    "\n"
    "From: taro@example.com\n"
    "Subject: 452 4.2.2 mailbox full?\n"
    "\n"
    "554 5.7.1 not to be read\n"
    "\n"
    "--4TqS1x2k5Hz1.1707181967/mail.example.com--\n";

static const char exim_b64[] =
    "From: Mail Delivery System <Mailer-Daemon@mail.example.com>\r\n"
    "To: taro@example.com\r\n"
    "Subject: Mail delivery failed: returning message to sender\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "X-Failed-Recipients: nobody@example.jp, big@example.org\r\n"
    "\r\n"
    "VGhpcyBtZXNzYWdlIHdhcyBjcmVhdGVkIGF1dG9tYXRpY2FsbHkgYnkgbWFp\r\n"
    "bCBkZWxpdmVyeSBzb2Z0 * d2FyZS4NCg0KQSBtZXNzYWdlIHRoYXQgeW91IHNl\r\n"
    "bnQgY291bGQgbm90IGJlIGRlbGl2ZXJlZCB0byBvbmUgb3IgbW9yZSBvZiBp\r\n"
    "   dHMNCnJlY2lwaWVudHMuIFRoaXMgaX!\tMgYSBwZXJtYW5lbnQgZXJyb3IuIFRo\r\n"
    "ZSBmb2xsb3dpbmcgYWRkcmVzcyhlcykgZmFpbGVkOg0KDQogIG5vYm9keUBl\r\n"
    "eGFtcGxlLmpwDQogICAgaG9zdCBteC5leGFtcGxlLmpwIFsxOTIuMC4yLjI1\r\n"
    "XQ0KICAgIFNNVFAgZXJyb3IgZnJvbSByZW1vdGUgbWFpbCBzZXJ2ZXIgYWZ0\r\n"
    "ZXIgUkNQVCBUTzo8bm9ib2R5QGV4YW1wbGUuanA+Og0KICAgIDU1MCA1LjEu\r\n"
    "MSA8bm9ib2R5QGV4YW1wbGUuanA+Li4uIFVzZXIgdW5rbm93bg0KICBiaWdA\r\n"
    "ZXhhbXBsZS5vcmcNCiAgICBob3N0IG14LmV4YW1wbGUub3JnIFsxOTguNTEu\r\n"
    "MTAwLjddDQogICAgU01UUCBlcnJvciBmcm9tIHJlbW90ZSBtYWlsIHNlcnZl\r\n"
    "ciBhZnRlciBlbmQgb2YgZGF0YToNCiAgICA1NTIgNS4zLjQgTWVzc2FnZSBz\r\n"
    "aXplIGV4Y2VlZHMgZml4ZWQgbGltaXQNCg==\r\n"
    "\r\n"
    "-- \r\n"
    "scanned by ExampleAV 4.2.2.1 ==\r\n";

static const char carrier_sjis[] =
    "From: MAILER-DAEMON <postmaster@carrier.example.ne.jp>\n"
    "Subject: =?Shift_JIS?B?g4GBW4OLkZeQTYNHg4mBWw==?=\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=Shift_JIS\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "kZeQTYK1gr2DgYFbg4uCzYjIibqCzIi2kOaCyZPNgquC3IK5gvGCxYK1gr2BQgoKiLaQ5oFGamly\n"
    "by41Njc4QGNhcnJpZXIuZXhhbXBsZS5uZS5qcAqXnZdSgUaItpDmgsyDgYFbg4uDQYNog4yDWIKq\n"
    "jKmCwoKpguiC3IK5gvGBQodAg0GDaIOMg1iCzIzrguggh0GJ8Jbxjc+C3SCCyILHgqqNbIKmgueC\n"
    "6oLcgreBQgo=\n";

static const char carrier_twin[] =
    "送信したメールは以下の宛先に届きませんでした。\n"
    "\n"
    "宛先：jiro.5678@carrier.example.ne.jp\n"
    "理由：宛先のメールアドレスが見つかりません。①アドレスの誤り ②解約済み などが考えられます。\n";

static const char ew_subject[] =
    "From: MAILER-DAEMON@mx.example-isp.ne.jp\n"
    "To: taro@example.com\n"
    "Subject: =?ISO-2022-JP?B?GyRCMDhAaElUTEAkTiQ/JGFHWz8uJEckLSReJDskcyRHJDckPxsoQg==?=\n"
    " =?UTF-8?Q?=EF=BC=88hanako@example.jp=EF=BC=89?=\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=us-ascii\n"
    "Content-Transfer-Encoding: 7bit\n"
    "\n"
    "This is an automatically generated message. Please do not reply.\n";


#define M365_NDR M365_HEAD M365_ALT M365_PLAIN M365_HTML M365_ALT_END M365_DSN M365_ORIG
#define M365_HTML_ONLY M365_HEAD M365_ALT M365_HTML M365_ALT_END M365_ORIG

/* ---- helpers ------------------------------------------------------------------------ */

static void parse(const char *t, mxd_bounce *b)
{
    ck_assert_int_eq(mxd_bounce_parse(t, strlen(t), b), 0);
}

/* Decodes t, which must hold a MIME message. */
static void decode(const char *t, mxd_mime_text *mt)
{
    ck_assert_int_eq(mxd_mime_decode(t, strlen(t), MXD_BOUNCE_MAX_INPUT, mt), 1);
    ck_assert_ptr_nonnull(mt->text);
    ck_assert_uint_eq(strlen(mt->text), mt->len);
}

/* One status with these fields (recipient NULL: none; text: a substring of
 * the server text, or NULL). */
static void expect_one(const mxd_bounce *b, const char *id, const char *rcpt, int code,
                       const char *enh, const char *mta, mxd_bounce_source src, bool inferred,
                       const char *text)
{
    ck_assert_msg(b->n == 1, "%zu statuses, want 1 (first %s)", b->n, b->n ? b->v[0].id : "-");
    const mxd_bounce_status *s = &b->v[0];
    ck_assert_str_eq(s->id, id);
    if (rcpt)
        ck_assert_msg(s->recipient && strcmp(s->recipient, rcpt) == 0, "recipient %s, want %s",
                      s->recipient ? s->recipient : "(none)", rcpt);
    else
        ck_assert_ptr_null(s->recipient);
    ck_assert_int_eq(s->code, code);
    ck_assert_str_eq(s->enhanced, enh);
    ck_assert_str_eq(mxd_bounce_mta_name(s->mta), mta);
    ck_assert_str_eq(mxd_bounce_source_name(s->source), mxd_bounce_source_name(src));
    ck_assert(s->inferred == inferred);
    if (text)
        ck_assert_msg(s->server_text && strstr(s->server_text, text), "server text \"%s\" lacks \"%s\"",
                      s->server_text ? s->server_text : "(none)", text);
}

/* Two decodings say the same, field by field. */
static void expect_same(const mxd_bounce *a, const mxd_bounce *b)
{
    ck_assert_uint_eq(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        const mxd_bounce_status *x = &a->v[i], *y = &b->v[i];
        ck_assert_str_eq(x->id, y->id);
        ck_assert_str_eq(x->recipient ? x->recipient : "-", y->recipient ? y->recipient : "-");
        ck_assert_int_eq(x->code, y->code);
        ck_assert_str_eq(x->enhanced, y->enhanced);
        ck_assert_int_eq(x->mta, y->mta);
        ck_assert_int_eq(x->source, y->source);
        ck_assert(x->inferred == y->inferred);
        ck_assert_str_eq(x->server_text ? x->server_text : "-", y->server_text ? y->server_text : "-");
    }
}

/* ---- the building blocks: what each gives for a byte string ------------------------------- */

typedef struct textcase {
    const char *in, *out;
} textcase;

/* A decoder into a caller's buffer, as a function of the strbuf kind. */
typedef void (*to_sb)(const char *in, size_t n, mxd_sb *out);

static void check_text(to_sb fn, const textcase *c)
{
    mxd_sb out = MXD_SB_INIT;
    fn(c->in, strlen(c->in), &out);
    ck_assert(mxd_sb_ok(&out));
    ck_assert_msg(out.len == strlen(c->out) && memcmp(mxd_sb_str(&out), c->out, out.len) == 0,
                  "\"%s\" gave \"%s\"", c->in, mxd_sb_str(&out));
    mxd_sb_free(&out);
}

/* Quoted-printable and base64 write into a buffer of a stated size. */
static void qp_sb(const char *in, size_t n, mxd_sb *out)
{
    char *buf = malloc(n + 1);
    ck_assert_ptr_nonnull(buf);
    size_t m = mxd_qp_decode(in, n, buf);
    ck_assert_uint_le(m, n);
    mxd_sb_append(out, buf, m);
    free(buf);
}

static void b64_sb(const char *in, size_t n, mxd_sb *out)
{
    unsigned char *buf = malloc(n / 4 * 3 + 3);
    ck_assert_ptr_nonnull(buf);
    size_t m = mxd_base64_decode(in, n, buf);
    ck_assert_uint_le(m, n / 4 * 3 + 3);
    mxd_sb_append(out, buf, m);
    free(buf);
}

/* ---- quoted-printable ------------------------------------------------------------------- */

static const textcase qp_cases[] = {
    { "550 5.1.=\n1 User unknown", "550 5.1.1 User unknown" },    /* a soft break inside a code */
    { "550 5.1.=\r\n1", "550 5.1.1" },
    { "a=3Db =3d c", "a=b = c" },                                 /* lower-case hex too */
    { "=E3=81=82=e3=81=84", "\xE3\x81\x82\xE3\x81\x84" },         /* あい */
    { "100% =ZZ and =4 and =", "100% =ZZ and =4 and " },          /* bad escapes stay */
    { "trailing   \nnext", "trailing\nnext" },                    /* added white space goes */
    { "keep=20\nnext", "keep \nnext" },                           /* encoded white space stays */
    { "soft =  \t\nbreak", "soft break" },                        /* white space after a soft "=" */
    { "cr\ronly\r", "cr\nonly\n" },
    { "=\n=\n=\n", "" },
    { "", "" },
};

START_TEST(test_qp)
{
    check_text(qp_sb, &qp_cases[_i]);
}
END_TEST

/* ---- base64 ------------------------------------------------------------------------------ */

static const textcase b64_cases[] = {
    { "SGVsbG8sIHdvcmxk", "Hello, world" },
    { "SGVs\r\nbG8s IHdv\tcmxk\n", "Hello, world" },         /* line breaks and blanks */
    { "SGV*sbG!8sI#Hdvc-mxk", "Hello, world" },              /* junk inside */
    { "SGVsbG8=IGp1bms=", "Hello" },                         /* the first '=' ends it */
    { "SGVsbG8=\n\n-- \nscanned 4.2.2.1", "Hello" },         /* junk after the padding */
    { "SGVsbA", "Hell" },                                    /* cut: 2 characters, 1 byte */
    { "SGVsbGg", "Hellh" },                                  /* cut: 3 characters, 2 bytes */
    { "SGVsb", "Hel" },                                      /* a lone character is nothing */
    { "====", "" },
    { "!!!", "" },
    { "", "" },
};

START_TEST(test_base64)
{
    check_text(b64_sb, &b64_cases[_i]);
}
END_TEST

/* ---- charsets ------------------------------------------------------------------------------ */

static const struct {
    const char *charset, *in, *out;
    bool known;
} cs_cases[] = {
    { "UTF-8", "caf\xC3\xA9", "café", true },
    { "us-ascii", "plain", "plain", true },
    { NULL, "plain", "plain", true },
    { "ISO-2022-JP", "\x1B$B$3$s$K$A$O\x1B(B", "こんにちは", true },
    /* NEC row 13 (①), which Windows writes and glibc's ISO-2022-JP refuses */
    { "iso-2022-jp", "\x1B$B-!\x1B(B", "①", true },
    { "Iso-2022-JP", "\x1B(I1\x1B(B", "ｱ", true },                 /* JIS X 0201 katakana */
    { "ISO-2022-JP", "a\x0E" "1" "\x0F" "b", "aｱb", true },         /* SO/SI katakana */
    { "ISO-2022-JP", "\x1B$B$\x1B(B!", "\xEF\xBF\xBD!", true },      /* half a character */
    { "ISO-2022-JP", "caf\xC3\xA9", "café", true },                 /* no escape: as it is */
    { "Shift_JIS", "\x82\xB1\x82\xF1\x87\x40", "こん①", true },
    { "windows-31j", "\xB1", "ｱ", true },
    { "shift_jis", "ab\x82", "ab\xEF\xBF\xBD", true },                /* cut inside a character */
    { "EUC-JP", "\xA4\xB3\xA4\xF3", "こん", true },
    { "ISO-8859-1", "caf\xE9", "café", true },
    { "windows-1252", "\x93ok\x94 \x80", "“ok” €", true },
    { "x-unknown", "ab\xFF", "ab\xFF", false },
    { "../../tmp/evil", "x", "x", false },                          /* never reaches iconv */
};

START_TEST(test_charsets)
{
    mxd_sb out = MXD_SB_INIT;
    const char *in = cs_cases[_i].in;
    bool known = mxd_charset_to_utf8(cs_cases[_i].charset, in, strlen(in), &out);
    ck_assert(mxd_sb_ok(&out));
    ck_assert_msg(strcmp(mxd_sb_str(&out), cs_cases[_i].out) == 0, "%s: \"%s\", want \"%s\"",
                  cs_cases[_i].charset ? cs_cases[_i].charset : "(none)", mxd_sb_str(&out),
                  cs_cases[_i].out);
    ck_assert(known == cs_cases[_i].known);
    mxd_sb_free(&out);
}
END_TEST

/* ---- RFC 2047 ------------------------------------------------------------------------------ */

static const textcase hdr_cases[] = {
    { "=?UTF-8?B?5a6b5YWI?=", "宛先" },
    { "=?utf-8?q?Caf=C3=A9_au_lait?=", "Café au lait" },
    { "=?UTF-8?Q?a?= =?UTF-8?Q?b?=", "ab" },                   /* the blank between words goes */
    { "=?UTF-8?Q?a?=\r\n =?ISO-8859-1?Q?=E9?=", "aé" },        /* folded, another charset */
    { "=?UTF-8?Q?a?= b", "a b" },                              /* a blank before text stays */
    { "Undeliverable:\r\n =?ISO-2022-JP?B?GyRCMnE1RBsoQg==?=", "Undeliverable: 会議" },
    /* one ISO-2022-JP character sequence cut across two words */
    { "=?ISO-2022-JP?B?GyRC?= =?ISO-2022-JP?B?JDMkcxsoQg==?=", "こん" },
    { "=?UTF-8*ja?B?5a6b5YWI?=", "宛先" },                     /* RFC 2231 language */
    { "=?UTF-8?X?abc?= and =?UTF-8?B?abc", "=?UTF-8?X?abc?= and =?UTF-8?B?abc" },
    { "=?UTF-8?Q?a=0D=0A550_5.1.1?=", "a  550 5.1.1" },        /* no line of its own */
    { "=?x-unknown?Q?abc?=", "abc" },
    { "plain\ttext", "plain text" },
    { "", "" },
};

START_TEST(test_header_words)
{
    check_text(mxd_mime_header_decode, &hdr_cases[_i]);
}
END_TEST

/* ---- HTML ------------------------------------------------------------------------------------ */

static const textcase html_cases[] = {
    { "<p>a</p><p>b</p>", "a\n\nb\n" },
    { "x<br>y<br><br><br>z", "x\ny\n\nz\n" },
    { "<div>one</div>\n<div>two</div>", "one\ntwo\n" },
    { "<tr><td>a</td><td>b</td></tr>", "a b\n" },
    { "a &lt;b&gt; &amp; &quot;c&quot; &#39;d&#39; &#x2014; &#8212;", "a <b> & \"c\" 'd' — —\n" },
    { "&nbsp;x&nbsp;&nbsp;y", "x y\n" },
    { "&foo; &amp &#; &#0; &#x110000;", "&foo; &amp &#; \xEF\xBF\xBD \xEF\xBF\xBD\n" },
    { "<title>550 5.7.1</title><style>p{}/*4.2.2*/</style><script>x=\"550\"</script><!-- 554 -->ok",
      "ok\n" },
    { "<pre>  a\n   b</pre>c", "  a\n   b\n\nc\n" },
    { "<a href=\"x>y\">link</a> after", "link after\n" },
    { "<a title=it's>ok</a>", "ok\n" },                        /* a stray quote hides nothing */
    { "1 < 2 & 3 > 2", "1 < 2 & 3 > 2\n" },
    { "<!-- unclosed 550 5.1.1", "" },
    { "<style>unclosed 550", "" },
    { "caf\xC3\xA9\xC2\xA0ok", "café ok\n" },
    { "<P>Upper<BR>Case</P>", "Upper\nCase\n" },
    { "   \n\t ", "" },
};

START_TEST(test_html)
{
    check_text(mxd_html_to_text, &html_cases[_i]);
}
END_TEST

/* ---- Microsoft 365 ------------------------------------------------------------------------------ */

START_TEST(test_m365_ndr)
{
    mxd_bounce b;
    parse(M365_NDR, &b);
    ck_assert(b.mime);
    ck_assert(!b.truncated);
    /* From the delivery-status part; 5.1.10 RecipientNotFound is an unknown user. */
    expect_one(&b, "bounce.5.1.1", "hanako@fabrikam.co.jp", 550, "5.1.10", "exchange",
               MXD_BOUNCE_SRC_DSN, false, "Recipient not found by SMTP address lookup");
    mxd_bounce_free(&b);

    mxd_mime_text mt;
    decode(M365_NDR, &mt);
    ck_assert_uint_eq(mt.flags, MXD_MIME_ORIGINAL);
    ck_assert_uint_eq(mt.parts, 5); /* report, alternative, plain, delivery-status, rfc822 */
    ck_assert_ptr_nonnull(strstr(mt.text, "Subject: Undeliverable: 会議のお知らせ\n"));
    ck_assert_ptr_nonnull(strstr(mt.text, "From: Microsoft Outlook <MicrosoftExchange"));
    /* The delivery-status part comes before the text that ends in the
     * original's headers. */
    char *dsn = strstr(mt.text, "\nStatus: 5.1.10\n");
    char *human = strstr(mt.text, "Original message headers:");
    ck_assert(dsn && human && dsn < human);
    /* The plain alternative, its soft breaks undone; not the HTML one. */
    ck_assert_ptr_nonnull(strstr(mt.text, "Try one or more of the following:\n"));
    ck_assert_ptr_nonnull(strstr(mt.text, "; Recipient not found by SMTP address lookup'\n"));
    ck_assert_ptr_null(strstr(mt.text, "<div"));
    ck_assert_ptr_null(strstr(mt.text, "Action Required Recipient"));
    ck_assert_ptr_null(strstr(mt.text, "must not be read"));
    ck_assert_ptr_null(strstr(mt.text, "=3D"));
    mxd_mime_text_free(&mt);
}
END_TEST

START_TEST(test_m365_html_only)
{
    mxd_bounce b;
    parse(M365_HTML_ONLY, &b);
    ck_assert(b.mime);
    /* From the HTML: "550 5.1.=\n10" and "&#3=\n9;" joined, the tags gone; the
     * codes in the title, style sheet, comment and original headers unread. */
    expect_one(&b, "bounce.5.1.1", "hanako@fabrikam.co.jp", 550, "5.1.10", "exchange",
               MXD_BOUNCE_SRC_TEXT, false,
               "RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup");
    ck_assert_ptr_null(strchr(b.v[0].server_text, '<'));
    ck_assert_ptr_null(strstr(b.v[0].server_text, "&#"));
    mxd_bounce_free(&b);

    mxd_mime_text mt;
    decode(M365_HTML_ONLY, &mt);
    ck_assert_ptr_nonnull(strstr(mt.text, "Your message to hanako@fabrikam.co.jp couldn't be delivered.\n"));
    ck_assert_ptr_nonnull(strstr(mt.text, "\nhanako@fabrikam.co.jp\nRemote Server returned '550 5.1.10 "));
    ck_assert_ptr_null(strstr(mt.text, "Segoe"));
    ck_assert_ptr_null(strstr(mt.text, "554 5.7.1"));
    ck_assert_ptr_null(strstr(mt.text, "5.7.26"));
    mxd_mime_text_free(&mt);
}
END_TEST

START_TEST(test_line_ends)
{
    /* The same NDR with CRLF (as sent) and with lone CRs decodes the same. */
    static const char src[] = M365_NDR;
    char *crlf = malloc(2 * sizeof src), *cr = malloc(sizeof src);
    ck_assert(crlf && cr);
    size_t a = 0;
    for (size_t i = 0; src[i]; i++) {
        if (src[i] == '\n')
            crlf[a++] = '\r';
        crlf[a++] = src[i];
        cr[i] = src[i] == '\n' ? '\r' : src[i];
    }
    crlf[a] = '\0';
    cr[sizeof src - 1] = '\0';
    mxd_bounce want, got;
    parse(src, &want);
    parse(crlf, &got);
    expect_same(&want, &got);
    ck_assert(got.mime);
    mxd_bounce_free(&got);
    parse(cr, &got);
    expect_same(&want, &got);
    ck_assert(got.mime);
    mxd_bounce_free(&got);
    mxd_bounce_free(&want);
    free(crlf);
    free(cr);
}
END_TEST

/* ---- Japanese ------------------------------------------------------------------------------------ */

START_TEST(test_japanese_iso2022jp_twin)
{
    mxd_bounce twin, enc;
    parse(ja_twin, &twin);
    parse(ja_jis, &enc);
    ck_assert(!twin.mime);
    ck_assert(enc.mime);
    expect_one(&twin, "bounce.5.1.1", "hanako@example.ne.jp", 550, "5.1.1", "generic",
               MXD_BOUNCE_SRC_TEXT, false, "宛先のメールアドレスが存在しません (User unknown)");
    expect_same(&twin, &enc);
    mxd_bounce_free(&twin);
    mxd_bounce_free(&enc);

    mxd_mime_text mt;
    decode(ja_jis, &mt);
    ck_assert_ptr_nonnull(strstr(mt.text, "Subject: メール配信エラーのお知らせ\n"));
    ck_assert_ptr_nonnull(strstr(mt.text, ja_twin));
    mxd_mime_text_free(&mt);
}
END_TEST

START_TEST(test_japanese_shift_jis_twin)
{
    /* Wording only, with CP932's ① and ② in it. */
    mxd_bounce twin, enc;
    parse(carrier_twin, &twin);
    parse(carrier_sjis, &enc);
    ck_assert(enc.mime);
    expect_one(&twin, "bounce.5.1.1", "jiro.5678@carrier.example.ne.jp", 0, "", "generic",
               MXD_BOUNCE_SRC_WORDING, true, "見つかりません。①アドレスの誤り ②解約済み");
    expect_same(&twin, &enc);
    mxd_bounce_free(&twin);
    mxd_bounce_free(&enc);
}
END_TEST

START_TEST(test_encoded_word_subject)
{
    /* The only clue is the Subject: an ISO-2022-JP B-word and a UTF-8 Q-word,
     * folded onto two lines. Undecoded, nothing would be found. */
    mxd_bounce b;
    parse(ew_subject, &b);
    ck_assert(b.mime);
    expect_one(&b, "bounce.5.1.1", "hanako@example.jp", 0, "", "generic", MXD_BOUNCE_SRC_WORDING,
               true, "宛先不明のため配信できませんでした（hanako@example.jp）");
    mxd_bounce_free(&b);

    mxd_mime_text mt;
    decode(ew_subject, &mt);
    ck_assert_ptr_nonnull(
        strstr(mt.text, "Subject: 宛先不明のため配信できませんでした（hanako@example.jp）\n"));
    ck_assert_ptr_null(strstr(mt.text, "=?"));
    mxd_mime_text_free(&mt);
}
END_TEST

/* ---- Postfix, Exim ------------------------------------------------------------------------------ */

START_TEST(test_postfix_qp_dsn)
{
    mxd_bounce b;
    parse(postfix_qp, &b);
    ck_assert(b.mime);
    ck_assert_str_eq(b.sender, "taro@example.com");
    expect_one(&b, "bounce.5.1.1", "hanako@example.jp", 550, "5.1.1", "postfix", MXD_BOUNCE_SRC_DSN,
               false, "User unknown in local recipient table");
    mxd_bounce_free(&b);

    mxd_mime_text mt;
    decode(postfix_qp, &mt);
    /* The Japanese template decoded, the split code joined, the preamble and
     * the returned message left out. */
    ck_assert_ptr_nonnull(strstr(mt.text, "お送りいただいたメールを、次の宛先へ配信できませんでした。\n"));
    ck_assert_ptr_nonnull(strstr(mt.text, "said: 550 5.1.1\n    <hanako@example.jp>"));
    ck_assert_ptr_nonnull(strstr(mt.text, "Subject: 配信できなかったメールの返送\n"));
    ck_assert_ptr_null(strstr(mt.text, "MIME-encapsulated"));
    ck_assert_ptr_null(strstr(mt.text, "not to be read"));
    ck_assert(mt.flags & MXD_MIME_ORIGINAL);
    mxd_mime_text_free(&mt);
}
END_TEST

START_TEST(test_truncated_paste)
{
    /* The Postfix DSN cut inside the delivery-status part's headers: the
     * closing boundary never comes. The text part still gives the status, with
     * its code (read as raw text, "5.1.=" is no code and only the wording
     * "User unknown" would be left). */
    const char *cut = strstr(postfix_qp, "Content-Type: message/delivery-status");
    ck_assert_ptr_nonnull(cut);
    size_t n = (size_t)(cut - postfix_qp) + strlen("Content-Type: message/deli");
    mxd_bounce b;
    ck_assert_int_eq(mxd_bounce_parse(postfix_qp, n, &b), 0);
    ck_assert(b.mime);
    expect_one(&b, "bounce.5.1.1", "hanako@example.jp", 550, "5.1.1", "postfix",
               MXD_BOUNCE_SRC_TEXT, false, "User unknown in local recipient table");
    mxd_bounce_free(&b);

    mxd_mime_text mt;
    ck_assert_int_eq(mxd_mime_decode(postfix_qp, n, MXD_BOUNCE_MAX_INPUT, &mt), 1);
    ck_assert_uint_eq(mt.flags, MXD_MIME_UNCLOSED);
    mxd_mime_text_free(&mt);

    /* Cut inside the base64 body, after the line with the code (the last
     * sentence is lost, and the base64 group it ends in is cut in two). */
    const char *b64 = strstr(ja_jis, "\n\n") + 2;
    size_t keep = (size_t)(b64 - ja_jis) + 462;
    ck_assert_uint_lt(keep, strlen(ja_jis) - 40);
    ck_assert_int_eq(mxd_bounce_parse(ja_jis, keep, &b), 0);
    expect_one(&b, "bounce.5.1.1", "hanako@example.ne.jp", 550, "5.1.1", "generic",
               MXD_BOUNCE_SRC_TEXT, false, NULL);
    mxd_bounce_free(&b);
}
END_TEST

START_TEST(test_base64_with_junk)
{
    /* CRLF line ends, a stray '*', '!' and a tab inside the base64, an indented
     * line, and an antivirus signature after the padding. */
    mxd_bounce b;
    parse(exim_b64, &b);
    ck_assert(b.mime);
    ck_assert_uint_eq(b.n, 2);
    ck_assert_str_eq(b.v[0].id, "bounce.5.1.1");
    ck_assert_str_eq(b.v[0].recipient, "nobody@example.jp");
    ck_assert_int_eq(b.v[0].code, 550);
    ck_assert_str_eq(b.v[0].enhanced, "5.1.1");
    ck_assert_str_eq(b.v[1].id, "bounce.5.3.4");
    ck_assert_str_eq(b.v[1].recipient, "big@example.org");
    ck_assert_int_eq(b.v[1].code, 552);
    ck_assert_str_eq(b.v[1].enhanced, "5.3.4");
    for (size_t i = 0; i < b.n; i++) {
        ck_assert_int_eq(b.v[i].mta, MXD_MTA_EXIM);
        ck_assert_int_eq(b.v[i].source, MXD_BOUNCE_SRC_TEXT);
    }
    ck_assert_str_eq(b.v[1].server_text, "Message size exceeds fixed limit");
    mxd_bounce_free(&b);
}
END_TEST

/* ---- structure ------------------------------------------------------------------------------------- */

START_TEST(test_forwarded_bounce)
{
    /* A person forwards a bounce as an attachment: the bounce inside is read,
     * the original inside the bounce is not. */
    static const char t[] =
        "From: Taro Yamada <taro@example.com>\n"
        "To: helpdesk@example.com\n"
        "Subject: Fwd: Undelivered Mail Returned to Sender\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"fwd-0001\"\n"
        "\n"
        "--fwd-0001\n"
        "Content-Type: text/plain; charset=UTF-8\n"
        "Content-Transfer-Encoding: 8bit\n"
        "\n"
        "Could you look at this? The meeting is at 10:30 in room 504.\n"
        "\n"
        "--fwd-0001\n"
        "Content-Type: message/rfc822\n"
        "Content-Disposition: attachment; filename=\"Undelivered Mail.eml\"\n"
        "\n"
        "From: MAILER-DAEMON@mail.example.com (Mail Delivery System)\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=\"pf-77\"\n"
        "\n"
        "--pf-77\n"
        "Content-Type: text/plain; charset=us-ascii\n"
        "Content-Transfer-Encoding: quoted-printable\n"
        "\n"
        "<full@example.jp>: host mx.example.jp[192.0.2.25] said: 552 5.2.2 <full@examp=\n"
        "le.jp>: Recipient address rejected: Mailbox full (in reply to RCPT TO command)\n"
        "\n"
        "--pf-77\n"
        "Content-Type: message/rfc822\n"
        "\n"
        "From: taro@example.com\n"
        "Subject: 550 5.7.1 not to be read\n"
        "\n"
        "421 4.7.0 nor this\n"
        "--pf-77--\n"
        "\n"
        "--fwd-0001--\n";
    mxd_bounce b;
    parse(t, &b);
    ck_assert(b.mime);
    expect_one(&b, "bounce.5.2.2", "full@example.jp", 552, "5.2.2", "postfix", MXD_BOUNCE_SRC_TEXT,
               false, "Mailbox full");
    mxd_bounce_free(&b);
}
END_TEST

START_TEST(test_original_not_read)
{
    /* A bounce as multipart/mixed (no report), the original attached: the
     * attached message was written by a person, so it is not read. */
    static const char t[] =
        "From: postmaster@mx.example-isp.ne.jp\n"
        "Subject: Returned mail: see transcript for details\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"--==_isp_77\"\n"
        "\n"
        "----==_isp_77\n"
        "Content-Type: text/plain; charset=ISO-2022-JP\n"
        "\n"
        "   ----- The following addresses had permanent fatal errors -----\n"
        "<nobody@example.ne.jp>\n"
        "    (reason: 550 5.1.1 <nobody@example.ne.jp>... User unknown)\n"
        "\n"
        "----==_isp_77\n"
        "Content-Type: message/rfc822\n"
        "\n"
        "From: taro@example.com\n"
        "To: nobody@example.ne.jp\n"
        "Subject: my mailbox full? 452 4.2.2\n"
        "Content-Type: text/plain; charset=UTF-8\n"
        "Content-Transfer-Encoding: base64\n"
        "\n"
        "NTU0IDUuNy4xIHNwYW0gYmxvY2tlZA==\n" /* "554 5.7.1 spam blocked" */
        "----==_isp_77--\n";
    mxd_bounce b;
    parse(t, &b);
    ck_assert(b.mime);
    expect_one(&b, "bounce.5.1.1", "nobody@example.ne.jp", 550, "5.1.1", "generic",
               MXD_BOUNCE_SRC_TEXT, false, "User unknown");
    mxd_bounce_free(&b);
    mxd_mime_text mt;
    decode(t, &mt);
    ck_assert(mt.flags & MXD_MIME_ORIGINAL);
    ck_assert_ptr_null(strstr(mt.text, "spam"));
    mxd_mime_text_free(&mt);
}
END_TEST

/* n levels of multipart/mixed, each with a text part naming its level. */
static char *nested(int levels)
{
    mxd_sb sb = MXD_SB_INIT;
    mxd_sb_puts(&sb, "From: MAILER-DAEMON@mail.example.com\nMIME-Version: 1.0\n");
    for (int i = 1; i <= levels; i++)
        mxd_sb_printf(&sb,
                      "Content-Type: multipart/mixed; boundary=\"lv%d\"\n\n--lv%d\n"
                      "Content-Type: text/plain\n\n550 5.1.1 <u%d@example.jp>: User unknown\n\n--lv%d\n",
                      i, i, i, i);
    mxd_sb_puts(&sb, "Content-Type: text/plain\n\n550 5.1.1 <bottom@example.jp>: User unknown\n");
    for (int i = levels; i >= 1; i--)
        mxd_sb_printf(&sb, "--lv%d--\n", i);
    ck_assert(mxd_sb_ok(&sb));
    return mxd_sb_take(&sb);
}

START_TEST(test_nesting_limit)
{
    /* The message is depth 0, level i's multipart depth i - 1 and its text
     * part depth i: texts deeper than MXD_MIME_MAX_DEPTH are skipped. */
    char *t = nested(40);
    mxd_mime_text mt;
    decode(t, &mt);
    ck_assert(mt.flags & MXD_MIME_TOO_DEEP);
    ck_assert_uint_le(mt.parts, 2 * MXD_MIME_MAX_DEPTH + 1);
    mxd_mime_text_free(&mt);
    mxd_bounce b;
    parse(t, &b);
    ck_assert_uint_eq(b.n, MXD_MIME_MAX_DEPTH);
    for (size_t i = 0; i < b.n; i++) {
        char want[48];
        snprintf(want, sizeof want, "u%zu@example.jp", i + 1);
        ck_assert_str_eq(b.v[i].recipient, want);
        ck_assert_str_eq(b.v[i].id, "bounce.5.1.1");
    }
    mxd_bounce_free(&b);
    free(t);

    /* Within the limit, the bottom is reached. */
    t = nested(MXD_MIME_MAX_DEPTH - 1);
    parse(t, &b);
    ck_assert_uint_eq(b.n, MXD_MIME_MAX_DEPTH);
    ck_assert_str_eq(b.v[b.n - 1].recipient, "bottom@example.jp");
    mxd_bounce_free(&b);
    free(t);
}
END_TEST

START_TEST(test_many_parts)
{
    /* 5000 parts: the first MXD_MIME_MAX_PARTS are read, quickly. */
    mxd_sb sb = MXD_SB_INIT;
    mxd_sb_puts(&sb, "Content-Type: multipart/mixed; boundary=b\n\n");
    for (int i = 0; i < 5000; i++)
        mxd_sb_printf(&sb, "--b\nContent-Type: text/plain; charset=iso-8859-1\n\n%d\n", i);
    mxd_sb_puts(&sb, "--b--\n");
    ck_assert(mxd_sb_ok(&sb));
    clock_t t0 = clock();
    mxd_mime_text mt;
    decode(mxd_sb_str(&sb), &mt);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    ck_assert(mt.flags & MXD_MIME_TOO_MANY);
    ck_assert_uint_eq(mt.parts, MXD_MIME_MAX_PARTS);
    ck_assert_ptr_nonnull(strstr(mt.text, "\n\n998"));
    ck_assert_ptr_null(strstr(mt.text, "999"));
    ck_assert_msg(secs < 2.0, "5000 parts took %.2f s", secs);
    mxd_mime_text_free(&mt);
    mxd_sb_free(&sb);
}
END_TEST

START_TEST(test_output_bound)
{
    /* 1 MiB of Latin-1 is 2 MiB of UTF-8: cut at the decoder's input bound,
     * and said so; the status at the start is still found. */
    const size_t total = MXD_BOUNCE_MAX_INPUT;
    char *buf = malloc(total);
    ck_assert_ptr_nonnull(buf);
    const char *head = "From: MAILER-DAEMON@mail.example.com\n"
                       "Content-Type: text/plain; charset=iso-8859-1\n\n"
                       "550 5.1.1 <gone@example.jp>: User unknown\n\n";
    size_t n = strlen(head);
    memcpy(buf, head, n);
    memset(buf + n, 0xE9, total - n);
    mxd_bounce b;
    ck_assert_int_eq(mxd_bounce_parse(buf, total, &b), 0);
    ck_assert(b.mime);
    ck_assert(b.truncated);
    ck_assert_uint_ge(b.n, 1);
    ck_assert_str_eq(b.v[0].recipient, "gone@example.jp");
    mxd_bounce_free(&b);
    mxd_mime_text mt;
    ck_assert_int_eq(mxd_mime_decode(buf, total, 100, &mt), 1);
    ck_assert_uint_le(mt.len, 100);
    ck_assert(mt.flags & MXD_MIME_TRUNCATED);
    mxd_mime_text_free(&mt);
    free(buf);
}
END_TEST

START_TEST(test_body_only_and_prefix)
{
    /* Pasted from the first boundary on, without the message's headers. */
    static const char body[] =
        "--Apple-Mail=_4F2A\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: quoted-printable\n"
        "\n"
        "=E5=AE=9B=E5=85=88: ichiro@example.net\n"
        "=E3=82=A8=E3=83=A9=E3=83=BC: 550 5.7.=\n"
        "1 Service unavailable; client [192.0.2.1] blocked using zen.spamhaus.org\n"
        "--Apple-Mail=_4F2A--\n";
    mxd_bounce b;
    parse(body, &b);
    ck_assert(b.mime);
    expect_one(&b, "bounce.5.7.1", "ichiro@example.net", 550, "5.7.1", "generic",
               MXD_BOUNCE_SRC_TEXT, false, "blocked using zen.spamhaus.org");
    mxd_bounce_free(&b);

    /* A note typed before the message stays, as it was. */
    char *t = malloc(strlen(ja_jis) + 200);
    ck_assert_ptr_nonnull(t);
    strcpy(t, "Mar  4 10:12:03 mail postfix/smtp[1]: Q1: to=<a@example.org>, dsn=4.4.1, "
              "status=deferred (connect to mx.example.org[192.0.2.9]:25: Connection timed out)\n\n");
    strcat(t, ja_jis);
    parse(t, &b);
    ck_assert(b.mime);
    ck_assert_uint_eq(b.n, 2);
    ck_assert_str_eq(b.v[0].id, "bounce.4.4.1");
    ck_assert_str_eq(b.v[0].recipient, "a@example.org");
    ck_assert_str_eq(b.v[1].id, "bounce.5.1.1");
    ck_assert_str_eq(b.v[1].recipient, "hanako@example.ne.jp");
    mxd_bounce_free(&b);
    free(t);

    /* Saved from a mailbox file: the "From " line before the headers is no
     * text before the message. */
    t = malloc(strlen(ja_jis) + 100);
    ck_assert_ptr_nonnull(t);
    strcpy(t, "From MAILER-DAEMON  Tue Feb  6 10:12:47 2024\n");
    strcat(t, ja_jis);
    parse(t, &b);
    ck_assert(b.mime);
    expect_one(&b, "bounce.5.1.1", "hanako@example.ne.jp", 550, "5.1.1", "generic",
               MXD_BOUNCE_SRC_TEXT, false, NULL);
    mxd_bounce_free(&b);
    free(t);

    /* Below a bounce pasted as text, a message no mail system wrote is the
     * returned original: not decoded, the text read as it is. */
    static const char inline_orig[] =
        "<a@example.jp>: host mx.example.jp[192.0.2.25] said: 550 5.1.1 User unknown\n"
        "\n"
        "From: taro@example.com\n"
        "Subject: hello\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: base64\n"
        "\n"
        "NTUyIDUuMi4yIE1haWxib3ggZnVsbA==\n"; /* "552 5.2.2 Mailbox full" */
    mxd_mime_text mt;
    ck_assert_int_eq(mxd_mime_decode(inline_orig, strlen(inline_orig), MXD_BOUNCE_MAX_INPUT, &mt), 0);
    ck_assert_ptr_null(mt.text);
    parse(inline_orig, &b);
    ck_assert(!b.mime);
    expect_one(&b, "bounce.5.1.1", "a@example.jp", 550, "5.1.1", "generic", MXD_BOUNCE_SRC_TEXT,
               false, NULL);
    mxd_bounce_free(&b);
}
END_TEST

START_TEST(test_not_mime)
{
    /* Text without a MIME message is not touched: the decoder reads it as it
     * is. The last two have MIME-like lines the detector must pass over. */
    static const char *const texts[] = {
        "550 5.1.1 <a@example.jp>: Recipient address rejected: User unknown\n",
        "Subject: Undelivered Mail\nFrom: MAILER-DAEMON\n\n550 5.1.1 User unknown\n",
        "Delivery has failed to these recipients or groups:\n\nOriginal message headers:\n\n"
        "Subject: 552 5.2.2 quota\n",
        "  nobody@example.jp\n    550 5.1.1 User unknown\n\n"
        "------ This is a copy of the message, including all the headers. ------\n"
        "Content-Type: text/plain\n\n554 5.7.1 spam\n",
        "Final-Recipient: rfc822; a@example.jp\nStatus: 5.1.1\n\n"
        "Content-Type: message/rfc822\n\nSubject: 554 5.7.1 must not be read\n",
        "",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        mxd_mime_text mt;
        ck_assert_msg(mxd_mime_decode(texts[i], strlen(texts[i]), MXD_BOUNCE_MAX_INPUT, &mt) == 0,
                      "text %zu taken for MIME", i);
        ck_assert_ptr_null(mt.text);
        mxd_bounce b;
        parse(texts[i], &b);
        ck_assert(!b.mime);
        for (size_t k = 0; k < b.n; k++)
            ck_assert_str_ne(b.v[k].id, "bounce.5.7.1");
        mxd_bounce_free(&b);
    }
    mxd_mime_text mt;
    ck_assert_int_eq(mxd_mime_decode(NULL, 10, 100, &mt), 0);
    mxd_mime_text_free(&mt);
    mxd_mime_text_free(NULL);
}
END_TEST

static Suite *mime_suite(void)
{
    Suite *s = suite_create("mime");
    TCase *tc = tcase_create("blocks");
    tcase_add_loop_test(tc, test_qp, 0, (int)(sizeof qp_cases / sizeof qp_cases[0]));
    tcase_add_loop_test(tc, test_base64, 0, (int)(sizeof b64_cases / sizeof b64_cases[0]));
    tcase_add_loop_test(tc, test_charsets, 0, (int)(sizeof cs_cases / sizeof cs_cases[0]));
    tcase_add_loop_test(tc, test_header_words, 0, (int)(sizeof hdr_cases / sizeof hdr_cases[0]));
    tcase_add_loop_test(tc, test_html, 0, (int)(sizeof html_cases / sizeof html_cases[0]));
    suite_add_tcase(s, tc);

    tc = tcase_create("bounces");
    tcase_add_test(tc, test_m365_ndr);
    tcase_add_test(tc, test_m365_html_only);
    tcase_add_test(tc, test_line_ends);
    tcase_add_test(tc, test_japanese_iso2022jp_twin);
    tcase_add_test(tc, test_japanese_shift_jis_twin);
    tcase_add_test(tc, test_encoded_word_subject);
    tcase_add_test(tc, test_postfix_qp_dsn);
    tcase_add_test(tc, test_truncated_paste);
    tcase_add_test(tc, test_base64_with_junk);
    suite_add_tcase(s, tc);

    tc = tcase_create("structure");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_forwarded_bounce);
    tcase_add_test(tc, test_original_not_read);
    tcase_add_test(tc, test_nesting_limit);
    tcase_add_test(tc, test_many_parts);
    tcase_add_test(tc, test_output_bound);
    tcase_add_test(tc, test_body_only_and_prefix);
    tcase_add_test(tc, test_not_mime);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(mime_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
