/* SHA-1 (FIPS 180-4, section 6.1) for small bodies.
 *
 * Why our own: for a 100-byte body, hashlib's sha1 spends ~0.5 us in OpenSSL context set-up,
 * two context copies and frees, against ~0.1 us of hashing. Large bodies still go to OpenSSL
 * (SHA-NI); this runs only below the size where OpenSSL's overhead dominates (strategy.py). */
#include "sha1.h"

#include <stdint.h>
#include <string.h>

static uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static uint32_t load_be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

#if defined(__GNUC__) && !defined(__clang__)
#define UNROLL _Pragma("GCC unroll 20") /* measured: unrolled rounds are ~15 % faster */
#else
#define UNROLL
#endif

/* One round: the message word schedule is kept as a ring of 16 words. */
#define W(i) (w[(i) & 15] = rol(w[((i) + 13) & 15] ^ w[((i) + 8) & 15] ^ w[((i) + 2) & 15] ^ w[(i) & 15], 1))
#define ROUND(f, k, wi)                                                                                  \
    do {                                                                                                 \
        uint32_t t = rol(a, 5) + (f) + e + (k) + (wi);                                                   \
        e = d;                                                                                           \
        d = c;                                                                                           \
        c = rol(b, 30);                                                                                  \
        b = a;                                                                                           \
        a = t;                                                                                           \
    } while (0)

static void compress(uint32_t state[5], const unsigned char block[64]) {
    uint32_t w[16], a = state[0], b = state[1], c = state[2], d = state[3], e = state[4];
    int i;
    UNROLL
    for (i = 0; i < 16; i++) {
        w[i] = load_be32(block + 4 * i);
        ROUND(d ^ (b & (c ^ d)), 0x5A827999, w[i]);
    }
    UNROLL
    for (; i < 20; i++)
        ROUND(d ^ (b & (c ^ d)), 0x5A827999, W(i));
    UNROLL
    for (; i < 40; i++)
        ROUND(b ^ c ^ d, 0x6ED9EBA1, W(i));
    UNROLL
    for (; i < 60; i++)
        ROUND((b & c) | (d & (b | c)), 0x8F1BBCDC, W(i));
    UNROLL
    for (; i < 80; i++)
        ROUND(b ^ c ^ d, 0xCA62C1D6, W(i));
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
}

void etagcore_sha1_hex(const unsigned char *data, size_t len, char hex[40]) {
    static const char digits[] = "0123456789abcdef";
    uint32_t state[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    unsigned char tail[128] = {0};
    uint64_t bits = (uint64_t)len * 8;
    size_t rest = len % 64, tail_len = rest < 56 ? 64 : 128, i;
    for (i = 0; i + 64 <= len; i += 64)
        compress(state, data + i);
    /* the last partial block, a 0x80 byte, zeros, and the length in bits, big-endian */
    memcpy(tail, data + i, rest);
    tail[rest] = 0x80;
    for (i = 0; i < 8; i++)
        tail[tail_len - 1 - i] = (unsigned char)(bits >> (8 * i));
    compress(state, tail);
    if (tail_len == 128)
        compress(state, tail + 64);
    for (i = 0; i < 40; i++)
        hex[i] = digits[(state[i / 8] >> (28 - 4 * (i % 8))) & 0xF];
}
