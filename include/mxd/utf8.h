/* utf8.h — strict UTF-8 decoding, shared by every module that reads raw bytes.
 *
 * The sanitiser, the JSON writer and the help catalog's parser all have to
 * decide, byte by byte, whether text from a server or a hand-edited file is
 * valid UTF-8. They must agree: a sequence one of them passes and another
 * escapes would let the terminal, the report and the catalog disagree about the
 * same bytes. So there is one decoder, and it is strict (RFC 3629): overlong
 * forms, UTF-16 surrogates (U+D800..U+DFFF) and anything above U+10FFFF are
 * invalid, as are truncated sequences, because each of them has been used to
 * smuggle a character past a filter that decoded more leniently.
 */
#ifndef MXD_UTF8_H
#define MXD_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes the sequence at s (n bytes available; s borrowed, only read). Returns
 * its length (1 to 4) and stores the code point in *cp, or returns 0 when the
 * bytes at s do not start a valid sequence (n == 0 included); *cp is then left
 * as it was. Never reads past s[n - 1]. */
size_t mxd_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);

#endif
