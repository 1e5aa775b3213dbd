/* ASCII case-insensitive comparison of header names, shared by fields.c and response.c. */
#ifndef ETAGCORE_ASCII_H
#define ETAGCORE_ASCII_H
#include <Python.h>

/* Whether *key* lowered (A-Z only) equals *lowercase*, both *len* bytes long. */
static inline int etagcore_same_name(const char *key, const char *lowercase, Py_ssize_t len) {
    for (Py_ssize_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c >= 'A' && c <= 'Z')
            c += 'a' - 'A';
        if (c != (unsigned char)lowercase[i])
            return 0;
    }
    return 1;
}
#endif
