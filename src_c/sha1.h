/* SHA-1 (FIPS 180-4) for small buffers, written for etagcore. */
#ifndef ETAGCORE_SHA1_H
#define ETAGCORE_SHA1_H
#include <stddef.h>

/* Writes the 40 lowercase hex digits of SHA-1(data[0:len]) to hex (no terminator). */
void etagcore_sha1_hex(const unsigned char *data, size_t len, char hex[40]);

#endif
