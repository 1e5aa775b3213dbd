/* See matcher.h. The grammar, from RFC 9110:
 *
 *   If-None-Match = "*" / #entity-tag          If-Match = "*" / #entity-tag
 *   If-Range      = entity-tag / HTTP-date
 *   entity-tag    = [ weak ] opaque-tag        weak     = %s"W/"
 *   opaque-tag    = DQUOTE *etagc DQUOTE
 *   etagc         = %x21 / %x23-7E / obs-text  obs-text = %x80-FF
 *   #element      = [ element ] *( OWS "," OWS [ element ] )   (5.6.1: empty elements allowed)
 *   OWS           = *( SP / HTAB )
 */
#include "matcher.h"

#include <stdint.h>
#include <string.h>

static int is_etagc(unsigned char c) { return c == 0x21 || (c >= 0x23 && c != 0x7F); }

#if defined(__SSE2__) && !defined(ETAGCORE_PORTABLE) /* ETAGCORE_PORTABLE: the other branch, for tests */
#include <emmintrin.h>
#else
/* Eight bytes at a time: true when none of them stops an etagc run (per byte, the high bit of
 * each term is set iff the byte, as a 7-bit value with high bytes excluded, matches). */
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)
static int all_etagc8(const unsigned char *p) {
    uint64_t v, lt21, quote, del;
    memcpy(&v, p, 8);
    lt21 = (v - ONES * 0x21) & ~v & HIGHS;
    quote = ((v ^ (ONES * 0x22)) - ONES) & ~(v ^ (ONES * 0x22)) & HIGHS;
    del = ((v ^ (ONES * 0x7F)) - ONES) & ~(v ^ (ONES * 0x7F)) & HIGHS;
    return (lt21 | quote | del) == 0;
}
#endif

/* The end of the etagc run that starts at s[i]: the index of the first byte in s[i..n) that
 * is not etagc (below 0x21, '"' or 0x7F; bytes >= 0x80 are obs-text and fine), or n. */
static size_t etagc_end(const unsigned char *s, size_t n, size_t i) {
#if defined(__SSE2__) && !defined(ETAGCORE_PORTABLE)
    const __m128i space = _mm_set1_epi8(0x20), quote = _mm_set1_epi8(0x22), del = _mm_set1_epi8(0x7F);
    for (; n - i >= 16; i += 16) { /* sixteen bytes a step: one flag bit per byte that stops the run */
        __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
        __m128i stop = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(v, space), v),
                                    _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, del)));
        unsigned mask = (unsigned)_mm_movemask_epi8(stop);
        if (mask)
            return i + (size_t)__builtin_ctz(mask);
    }
#else
    while (n - i >= 8 && all_etagc8(s + i))
        i += 8;
#endif
    while (i < n && is_etagc(s[i]))
        i++;
    return i;
}

static int is_ows(unsigned char c) { return c == ' ' || c == '\t'; }

/* A parsed tag: opaque bytes without the quotes, and the weak flag. */
typedef struct {
    const unsigned char *opaque;
    size_t len;
    int weak;
} tag_t;

/* Parse one entity-tag at s[*pos]; on success advance *pos past it and return 1. */
static int parse_tag(const unsigned char *s, size_t n, size_t *pos, tag_t *out) {
    size_t i = *pos;
    out->weak = 0;
    if (n - i >= 2 && s[i] == 'W' && s[i + 1] == '/') {
        out->weak = 1;
        i += 2;
    }
    if (i >= n || s[i] != '"')
        return 0;
    i++;
    out->opaque = s + i;
    i = etagc_end(s, n, i);
    if (i >= n || s[i] != '"')
        return 0;
    out->len = (size_t)(s + i - out->opaque);
    *pos = i + 1;
    return 1;
}

static size_t skip_ows(const unsigned char *s, size_t n, size_t i) {
    while (i < n && is_ows(s[i]))
        i++;
    return i;
}

static int same_opaque(const tag_t *a, const tag_t *b) {
    return a->len == b->len && memcmp(a->opaque, b->opaque, a->len) == 0;
}

static int tags_match(const tag_t *listed, const tag_t *cur, int strong) {
    if (strong && (listed->weak || cur->weak))
        return 0;
    return same_opaque(listed, cur);
}

/* RFC modes. The whole header is validated even after a match, so that a malformed header
 * is reported as malformed whatever its order. */
static int match_rfc(const unsigned char *s, size_t n, const tag_t *cur, int exists, int mode) {
    int strong = mode != ETAGCORE_WEAK_LIST;
    int matched = 0, star = 0, elements = 0;
    size_t i = skip_ows(s, n, 0);
    for (;;) {
        if (i < n && s[i] != ',') {
            tag_t listed;
            if (s[i] == '*' && mode != ETAGCORE_STRONG_ONE) {
                star = 1;
                i++;
            } else if (parse_tag(s, n, &i, &listed)) {
                if (cur && tags_match(&listed, cur, strong))
                    matched = 1;
            } else {
                return ETAGCORE_MALFORMED_HEADER;
            }
            elements++;
        }
        i = skip_ows(s, n, i);
        if (i >= n)
            break;
        if (s[i] != ',' || mode == ETAGCORE_STRONG_ONE)
            return ETAGCORE_MALFORMED_HEADER;
        i = skip_ows(s, n, i + 1);
    }
    if (star) /* "*" is only valid as the whole list */
        return elements == 1 ? (exists ? ETAGCORE_MATCH : ETAGCORE_NO_MATCH) : ETAGCORE_MALFORMED_HEADER;
    if (mode == ETAGCORE_STRONG_ONE && elements != 1)
        return ETAGCORE_MALFORMED_HEADER;
    return matched ? ETAGCORE_MATCH : ETAGCORE_NO_MATCH;
}

/* Tornado mode: the decision of RequestHandler.check_etag_header, which runs
 * re.findall(rb'\*|(?:W/)?"[^"]*"', header) and compares each token, with a leading "W/"
 * removed, to the current tag with its "W/" removed; a first token "*" matches anything.
 * `current` is any text here (Tornado does not validate it); empty means no tag. */
static int match_tornado(const unsigned char *s, size_t n, const unsigned char *cur, size_t cur_len) {
    const unsigned char *quote;
    int first = 1;
    size_t i = 0;
    if (cur == NULL || cur_len == 0)
        return ETAGCORE_NO_MATCH;
    if (cur_len >= 2 && cur[0] == 'W' && cur[1] == '/') {
        cur += 2;
        cur_len -= 2;
    }
    /* Once a quote has no closing quote, no later quoted token exists either. */
    quote = n ? memchr(s, '"', n) : NULL;
    while (i < n) {
        const unsigned char *tok = NULL, *end;
        size_t tok_len = 0;
        if (s[i] == '*') {
            tok = s + i;
            tok_len = 1;
            i++;
        } else if (quote != NULL && (s[i] == '"' || (s[i] == 'W' && n - i >= 3 && s[i + 1] == '/' && s[i + 2] == '"'))) {
            size_t open = s[i] == '"' ? i : i + 2;
            end = memchr(s + open + 1, '"', n - open - 1);
            if (end == NULL) {
                quote = NULL;
                i++;
                continue;
            }
            tok = s + open; /* compared without its W/, as Tornado's val() strips it */
            tok_len = (size_t)(end - tok) + 1;
            i = (size_t)(end - s) + 1;
        } else {
            i++;
            continue;
        }
        if (first && tok_len == 1 && tok[0] == '*')
            return ETAGCORE_MATCH;
        first = 0;
        if (tok_len == cur_len && memcmp(tok, cur, cur_len) == 0)
            return ETAGCORE_MATCH;
    }
    return ETAGCORE_NO_MATCH;
}

int etagcore_match(const char *header, size_t header_len, const char *current, int mode) {
    const unsigned char *h = (const unsigned char *)header, *c = (const unsigned char *)current;
    size_t current_len = current ? strlen(current) : 0;
    int exists = !(mode & ETAGCORE_ABSENT);
    tag_t cur;
    size_t pos = 0;
    mode &= ~ETAGCORE_ABSENT;
    if (!exists)
        c = NULL;
    if (mode == ETAGCORE_TORNADO)
        return match_tornado(h, header_len, c, current_len);
    if (mode < ETAGCORE_WEAK_LIST || mode > ETAGCORE_STRONG_ONE)
        return ETAGCORE_BAD_MODE;
    if (c != NULL && (!parse_tag(c, current_len, &pos, &cur) || pos != current_len))
        return ETAGCORE_MALFORMED_CURRENT;
    return match_rfc(h, header_len, c ? &cur : NULL, exists, mode);
}
