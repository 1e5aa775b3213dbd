/* What response.c shares with asgi_send.c (both in etagcore._response). */
#ifndef ETAGCORE_RESPONSE_H
#define ETAGCORE_RESPONSE_H
#include <Python.h>

typedef struct {
    PyObject_HEAD
    PyObject *policy, *method, *request, *status, *headers, *chunks, *last_modified;
    PyObject *tag, *skip; /* the policy's strategy.tag and skip, read by start() */
    Py_ssize_t size, length, max_body; /* length -1: none */
    char binary, method_kind;
} Core;

extern PyTypeObject etagcore_CoreType;
extern PyObject *etagcore_PASS, *etagcore_BUFFER, *etagcore_FLUSH;
extern PyObject *etagcore_send_all; /* bind(): the coroutine function that sends messages in turn */
int etagcore_core_traverse(Core *self, visitproc visit, void *arg);
int etagcore_core_clear(Core *self);
int etagcore_core_init(Core *self, PyObject *args, PyObject *kwds);
/* __init__(policy, method, request_headers, binary) of a Core */
int etagcore_core_setup(Core *self, PyObject *policy, PyObject *method, PyObject *request, int binary);
PyObject *etagcore_core_start(Core *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *etagcore_core_feed(Core *self, PyObject *chunk);
PyObject *etagcore_core_finish(Core *self, PyObject *ignored);
/* Readies AsgiResponse (asgi_send.c) and adds it to module *m*; -1 on error. */
int etagcore_add_asgi(PyObject *m);
#endif
