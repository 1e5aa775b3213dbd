/* What etag_base.c shares with the other sources of etagcore._etag. */
#ifndef ETAGCORE_ETAG_BASE_H
#define ETAGCORE_ETAG_BASE_H
#include <Python.h>

extern PyTypeObject etagcore_ETagBaseType;
/* A tag of class *cls* (a subclass of ETagBase) from an opaque str already known to be valid. */
PyObject *etagcore_make_etag(PyTypeObject *cls, PyObject *opaque, int weak);
/* Adds stat_tag.c's StatTag and stat_key to module *m*; -1 on error. */
int etagcore_add_stat(PyObject *m);
/* Adds pages.c's resident to module *m*; -1 on error. */
int etagcore_add_pages(PyObject *m);
#endif
