/* dnswire.h — DNS messages on the wire: parse any message, build queries and answers.
 *
 * One codec for both sides: the engine walks the raw answers c-ares hands back
 * (so TTLs, flags and every section are visible, on c-ares 1.18 and 1.34 alike),
 * and the practice lab's servers parse queries and write answers with it.
 * Name decompression uses c-ares's own ares_expand_name(), which bounds pointer
 * loops; names come back in presentation form with unusual bytes escaped as
 * c-ares does it (\DDD for bytes outside 0x20..0x7E, a backslash before . \ " ;
 * ( ) @ $), without the trailing dot; the root is ".". Names longer than 255
 * octets on the wire make the message malformed.
 * Pure functions over byte buffers: no I/O.
 */
#ifndef MXD_DNSWIRE_H
#define MXD_DNSWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MXD_NAME_MAX 1024 /* presentation form, escapes included (255 octets * 4) */

enum {
    MXD_T_A = 1, MXD_T_NS = 2, MXD_T_CNAME = 5, MXD_T_SOA = 6, MXD_T_PTR = 12,
    MXD_T_MX = 15, MXD_T_TXT = 16, MXD_T_AAAA = 28, MXD_T_OPT = 41,
    MXD_T_TLSA = 52, MXD_T_SPF = 99, MXD_T_ANY = 255
};
enum {
    MXD_RCODE_NOERROR = 0, MXD_RCODE_FORMERR = 1, MXD_RCODE_SERVFAIL = 2,
    MXD_RCODE_NXDOMAIN = 3, MXD_RCODE_NOTIMP = 4, MXD_RCODE_REFUSED = 5
};
/* Header flag bits as they sit in the 16-bit flags word. */
enum {
    MXD_F_QR = 0x8000, MXD_F_AA = 0x0400, MXD_F_TC = 0x0200, MXD_F_RD = 0x0100,
    MXD_F_RA = 0x0080, MXD_F_AD = 0x0020, MXD_F_CD = 0x0010
};

/* One resource record. Every name is a heap string owned by the record
 * (NULL when unset): a record costs what its names need, not four 1 KiB
 * buffers, so a 200-record answer stays small. The name fields are not a
 * union, so freeing never depends on the type being right. Copy with
 * mxd_rr_copy(), free with mxd_rr_clear(); assigning one record to another
 * moves ownership (only one of the two may be cleared). */
typedef struct mxd_rr {
    char *name;                             /* owner name */
    uint16_t type, rclass;
    uint32_t ttl;
    struct {
        struct { uint16_t pref; char *host; } mx;
        char *target;                       /* NS, CNAME, PTR */
        uint8_t a[4];
        uint8_t aaaa[16];
        struct {
            char *mname, *rname;
            uint32_t serial, refresh, retry, expire, minimum;
        } soa;
    } u;
    /* TXT/SPF: the character-strings concatenated (RFC 7208 §3.3), raw bytes,
     * NUL-terminated for convenience but may contain NULs: use data_len.
     * A, AAAA, MX, NS, CNAME, PTR, SOA: NULL (the fields above hold the data).
     * Other types (OPT included): the raw RDATA, NUL-terminated too. */
    uint8_t *data;
    size_t data_len;
    unsigned txt_strings; /* TXT: how many character-strings were joined */
} mxd_rr;

typedef struct mxd_dnsmsg {
    uint16_t id;
    uint16_t flags;  /* MXD_F_* bits, opcode and rcode included */
    int rcode;       /* (flags & 0xF), extended by OPT when present */
    char qname[MXD_NAME_MAX];
    uint16_t qtype, qclass;
    unsigned qdcount;
    mxd_rr *an, *ns, *ar;  /* owned arrays */
    size_t nan, nns, nar;
    uint16_t edns_udp_size;  /* 0 when no OPT record; at least 512 when there is one */
} mxd_dnsmsg;

/* Parses len bytes. Returns 0 and fills *out (free with mxd_dnsmsg_free), or -1
 * for a malformed message (out is left empty). Never reads past len.
 * Malformed: shorter than a header, a section ending before its count says,
 * an rdlength beyond the end, a bad or looping name, RDATA that does not match
 * its type (an A record of 5 bytes). One exception: when the TC bit is set, a
 * message cut in the middle of a record keeps the records before the cut (the
 * counts in nan/nns/nar say how many) — servers truncate that way.
 * Over 65535 bytes is malformed (no DNS message can be longer). */
int mxd_dns_parse(const uint8_t *buf, size_t len, mxd_dnsmsg *out);
/* Frees what m owns and leaves it empty; m itself is the caller's. */
void mxd_dnsmsg_free(mxd_dnsmsg *m);

/* Deep copy of src into dst (dst's previous contents are not freed). Returns 0,
 * or -1 on ENOMEM (dst left empty, nothing to free). Free dst with mxd_rr_clear(). */
int mxd_rr_copy(mxd_rr *dst, const mxd_rr *src);
/* Frees everything rr owns (names and data) and sets those fields to NULL;
 * type, class, TTL and the numeric fields are kept. rr itself is the caller's. */
void mxd_rr_clear(mxd_rr *rr);
/* Sets one of rr's name fields (&rr->name, &rr->u.mx.host, &rr->u.target,
 * &rr->u.soa.mname, &rr->u.soa.rname) to a copy of value, freeing the old one.
 * value NULL clears the field. Returns 0, or -1 on ENOMEM (the field unchanged). */
int mxd_rr_set(char **field, const char *value);
/* mxd_rr_set() with a printf format ("mx%d.%s"). Returns 0, or -1 (field unchanged). */
int mxd_rr_setf(char **field, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes a query into buf (cap bytes). rd: recursion desired. edns: add an OPT
 * record advertising 1232 bytes. Returns the length, or -1 when the name is
 * invalid or does not fit. */
int mxd_dns_build_query(uint8_t *buf, size_t cap, uint16_t id, const char *name,
                        uint16_t qtype, bool rd, bool edns);

/* ---- Building answers (the lab's servers). ----
 * A writer over a caller-owned buffer. Names are written uncompressed except
 * for pointers back to the question name (or a suffix of it: "mx1.lab.test"
 * after a question for "lab.test" is "mx1" + pointer). When a record does not
 * fit, the writer stops adding (every later add fails too) and the message
 * stays well-formed. It sets TC when the lost record was in the answer or
 * authority section; a lost additional record only ends the message, without
 * TC (RFC 2181 §9: the client has all it asked for). */
typedef struct mxd_dnsw {
    uint8_t *buf;       /* borrowed from the caller */
    size_t cap, len;
    bool truncated;     /* a record did not fit */
    uint16_t counts[4]; /* qd, an, ns, ar */
    int section;        /* 1 an, 2 ns, 3 ar: where the next record goes */
    uint16_t edns_size; /* > 0: mxd_dnsw_end() appends an OPT (see mxd_dnsw_edns) */
    uint8_t ext_rcode;  /* upper 8 bits of a 12-bit rcode, carried by that OPT */
} mxd_dnsw;

/* Starts a response to the given query header: copies id and question, sets QR,
 * and the flags and rcode given (rcode in the low 4 bits of flags; opcode bits
 * are kept as given). qname NULL writes no question (qdcount 0: a FORMERR to a
 * message whose question could not be read). Returns 0, or -1 when the question
 * does not fit or qname is not a valid name. */
int mxd_dnsw_begin(mxd_dnsw *w, uint8_t *buf, size_t cap, uint16_t id,
                   uint16_t flags, const char *qname, uint16_t qtype, uint16_t qclass);
/* Selects the section for the following records: 1 answer, 2 authority, 3 additional. */
void mxd_dnsw_section(mxd_dnsw *w, int section);
/* Answers with EDNS (RFC 6891): reserves room for an OPT record advertising
 * udp_size, which mxd_dnsw_end() appends to the additional section even when
 * the message was truncated. Call right after mxd_dnsw_begin(). */
void mxd_dnsw_edns(mxd_dnsw *w, uint16_t udp_size);
/* Changes the response code after begin (an answer may only learn it is
 * NXDOMAIN at the end of a CNAME chain). Codes above 15 need mxd_dnsw_edns(). */
void mxd_dnsw_set_rcode(mxd_dnsw *w, int rcode);
/* Adds a record. rdata is in wire form except that names inside MX, NS, CNAME,
 * PTR and SOA are given via rr (rr->u), A and AAAA via rr->u.a / rr->u.aaaa;
 * for TXT and SPF, rr->data holds the text and is split into 255-byte
 * character-strings; other types take rr->data as raw RDATA. rclass 0 is
 * written as IN. OPT is written with the root as owner. rr is borrowed.
 * Returns 0, or -1 when it did not fit (truncated set, TC as described above)
 * or when rr cannot be encoded (a bad name, RDATA over 65535 bytes; nothing
 * written, the writer stays usable). */
int mxd_dnsw_add(mxd_dnsw *w, const mxd_rr *rr);
/* Finishes the header counts; returns the message length. */
size_t mxd_dnsw_end(mxd_dnsw *w);

/* Wire form of a presentation name (escapes \DDD and \c understood, trailing dot
 * optional, "" and "." are the root). Returns the length written into out, or
 * -1 when the name is invalid (empty label, label over 63 or name over 255
 * octets) or does not fit in cap. */
int mxd_dns_name_to_wire(const char *name, uint8_t *out, size_t cap);

/* Presentation of a name: "example.com" style, lower-cased copy into out,
 * without the trailing dot, escaped the way the parser escapes (so "\065" and
 * "A" both become "a"); the root is ".". Returns false when the name is not a
 * valid presentation-form domain name or does not fit in cap. */
bool mxd_dns_name_canon(const char *in, char *out, size_t cap);
/* Case-insensitive comparison of two presentation names, trailing dot ignored. */
bool mxd_dns_name_eq(const char *a, const char *b);
/* True when name is zone itself or a name below it ("mx.lab.test" under
 * "lab.test"; everything is under the root "."). Label-wise: "xlab.test" is
 * not under "lab.test". */
bool mxd_dns_name_under(const char *name, const char *zone);

/* "MX", "TYPE65280" (a thread-local static buffer for unknown types, valid
 * until the next call on the same thread). */
const char *mxd_dns_type_name(uint16_t type);
/* "NXDOMAIN", ...; "RCODE23" (thread-local static buffer) for unknown ones. */
const char *mxd_dns_rcode_name(int rcode);

#endif
