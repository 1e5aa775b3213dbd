/* Entity-tag list matcher for If-None-Match, If-Match and If-Range (RFC 9110 8.8.3, 13.1).
 *
 * Every function reads exactly `len` bytes, never past them, allocates nothing, and runs in
 * time linear in the header length. Headers are untrusted bytes; `current` is the server's
 * own tag as NUL-terminated header text ("..." or W/"..."; etagc excludes NUL), or NULL when
 * the representation has no tag. (No length argument: every argument converted costs time on
 * the Python side, and a Python bytes object is NUL-terminated already.)
 * With ETAGCORE_ABSENT in `mode` there is no current representation at all: "*" fails too.
 */
#ifndef ETAGCORE_MATCHER_H
#define ETAGCORE_MATCHER_H

#include <stddef.h>

/* Comparison modes. */
#define ETAGCORE_WEAK_LIST 0   /* If-None-Match: "*" or a list, weak comparison */
#define ETAGCORE_STRONG_LIST 1 /* If-Match: "*" or a list, strong comparison */
#define ETAGCORE_STRONG_ONE 2  /* If-Range: exactly one entity-tag, strong comparison */
#define ETAGCORE_TORNADO 3     /* Tornado's check_etag_header: lenient regex scan, weak */
#define ETAGCORE_ABSENT 0x10   /* flag: no current representation */

/* Results. */
#define ETAGCORE_NO_MATCH 0
#define ETAGCORE_MATCH 1
#define ETAGCORE_MALFORMED_HEADER (-1)
#define ETAGCORE_MALFORMED_CURRENT (-2)
#define ETAGCORE_BAD_MODE (-3)

int etagcore_match(const char *header, size_t header_len, const char *current, int mode);

#endif
