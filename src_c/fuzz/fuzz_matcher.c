/* libFuzzer harness for etagcore_match (built by `make -C src_c fuzz`).
 *
 * Input layout: byte 0 picks the mode and the "no representation" flag, byte 1 the length
 * of the current tag (taken from the end of the input), the rest is the header. The header
 * is copied into a buffer of exactly its size and the tag into one of its size plus the NUL
 * terminator, so AddressSanitizer flags any read past either. A tag with a NUL inside is
 * read up to that NUL, as the API says. Besides memory errors it checks the result codes and that the
 * RFC modes agree on well-formed inputs (a weak match whenever a strong one is found).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../matcher.h"

static int run(const uint8_t *h, size_t hn, const uint8_t *c, size_t cn, int null_current, int mode) {
    char *header = malloc(hn ? hn : 1);
    char *current = malloc(cn + 1);
    int r;
    memcpy(header, h, hn);
    memcpy(current, c, cn);
    current[cn] = 0;
    r = etagcore_match(header, hn, null_current ? NULL : current, mode);
    free(header);
    free(current);
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int control, null_current, absent, weak, strong, one, tornado;
    size_t cn;
    if (size < 2)
        return 0;
    control = data[0];
    cn = data[1] % 24;
    data += 2;
    size -= 2;
    if (cn > size)
        cn = size;
    null_current = control & 1;
    absent = (control & 2) ? ETAGCORE_ABSENT : 0;
    const uint8_t *cur = data + size - cn;
    size_t hn = size - cn;

    weak = run(data, hn, cur, cn, null_current, ETAGCORE_WEAK_LIST | absent);
    strong = run(data, hn, cur, cn, null_current, ETAGCORE_STRONG_LIST | absent);
    one = run(data, hn, cur, cn, null_current, ETAGCORE_STRONG_ONE | absent);
    tornado = run(data, hn, cur, cn, null_current, ETAGCORE_TORNADO | absent);

    if (weak < -2 || weak > 1 || strong < -2 || strong > 1 || one < -2 || one > 1 || tornado < 0 || tornado > 1)
        abort();
    if ((weak < 0) != (strong < 0)) /* both list modes validate the same grammar */
        abort();
    if (strong == ETAGCORE_MATCH && weak != ETAGCORE_MATCH) /* strong match implies weak match */
        abort();
    if (one == ETAGCORE_MATCH && strong != ETAGCORE_MATCH) /* one matching tag is a matching list */
        abort();
    if (run(data, hn, cur, cn, null_current, 7) != ETAGCORE_BAD_MODE)
        abort();
    return 0;
}
