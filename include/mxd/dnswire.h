/* dnswire.h — DNS messages on the wire: parse any message, build queries and answers.
 *
 * One codec for both sides: the engine walks the raw answers c-ares hands back
 * (so TTLs, flags and every section are visible, on c-ares 1.18 and 1.34 alike),
 * and the practice lab's servers parse queries and write answers with it.
 * Name decompression uses c-ares's own ares_expand_name(), which bounds pointer
 * loops; names come back in presentation form with unusual bytes escaped (\DDD).
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

typedef struct mxd_rr {
    char name[MXD_NAME_MAX];
    uint16_t type, rclass;
    uint32_t ttl;
    union {
        struct { uint16_t pref; char host[MXD_NAME_MAX]; } mx;
        char target[MXD_NAME_MAX];          /* NS, CNAME, PTR */
        uint8_t a[4];
        uint8_t aaaa[16];
        struct {
            char mname[MXD_NAME_MAX], rname[MXD_NAME_MAX];
            uint32_t serial, refresh, retry, expire, minimum;
        } soa;
    } u;
    /* TXT/SPF: the character-strings concatenated (RFC 7208 §3.3), raw bytes,
     * NUL-terminated for convenience but may contain NULs: use txt_len.
     * Other types: the raw RDATA. Owned by the record. */
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
    uint16_t edns_udp_size;  /* 0 when no OPT record */
} mxd_dnsmsg;

/* Parses len bytes. Returns 0 and fills *out (free with mxd_dnsmsg_free), or -1
 * for a malformed message (out is left empty). Never reads past len. */
int mxd_dns_parse(const uint8_t *buf, size_t len, mxd_dnsmsg *out);
void mxd_dnsmsg_free(mxd_dnsmsg *m);

/* Writes a query into buf (cap bytes). rd: recursion desired. edns: add an OPT
 * record advertising 1232 bytes. Returns the length, or -1 when the name is
 * invalid or does not fit. */
int mxd_dns_build_query(uint8_t *buf, size_t cap, uint16_t id, const char *name,
                        uint16_t qtype, bool rd, bool edns);

/* ---- Building answers (the lab's servers). ----
 * A writer over a caller-owned buffer. Names are written uncompressed except
 * for pointers back to the question name. When a record does not fit, the
 * writer sets TC, stops adding, and the message stays well-formed. */
typedef struct mxd_dnsw {
    uint8_t *buf;
    size_t cap, len;
    bool truncated;
    uint16_t counts[4]; /* qd, an, ns, ar */
    int section;        /* 1 an, 2 ns, 3 ar: where the next record goes */
} mxd_dnsw;

/* Starts a response to the given query header: copies id and question, sets QR,
 * and the flags and rcode given. Returns 0, or -1 when the question does not fit. */
int mxd_dnsw_begin(mxd_dnsw *w, uint8_t *buf, size_t cap, uint16_t id,
                   uint16_t flags, const char *qname, uint16_t qtype, uint16_t qclass);
/* Selects the section for the following records: 1 answer, 2 authority, 3 additional. */
void mxd_dnsw_section(mxd_dnsw *w, int section);
/* Adds a record. rdata is in wire form except that names inside MX, NS, CNAME,
 * PTR and SOA are given via rr (rr->u); for TXT, rr->data holds the text and is
 * split into 255-byte character-strings. Returns 0, or -1 when it did not fit (TC set). */
int mxd_dnsw_add(mxd_dnsw *w, const mxd_rr *rr);
/* Finishes the header counts; returns the message length. */
size_t mxd_dnsw_end(mxd_dnsw *w);

/* Presentation of a name: "example.com" style, lower-cased copy into out.
 * Returns false when the name is not a valid presentation-form domain name. */
bool mxd_dns_name_canon(const char *in, char *out, size_t cap);
/* Case-insensitive comparison of two presentation names, trailing dot ignored. */
bool mxd_dns_name_eq(const char *a, const char *b);

const char *mxd_dns_type_name(uint16_t type);   /* "MX", "TYPE65280" (static buffer for unknown) */
const char *mxd_dns_rcode_name(int rcode);     /* "NXDOMAIN", ... */

#endif
